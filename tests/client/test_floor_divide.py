"""Rounded division: `//`, `//=`, floor_divide(_), div/divide(_) with rounding_mode 'trunc'
and 'floor', true_divide(_), against torch 2.13: values on special values (nan, ±inf, ±0, a
zero divisor), every integer dtype (wraparound of the most negative value over -1), type
promotion with numbers and 0-d tensors, gradients and graphs (DivBackward2's zero gradient,
floor_divide's NotImplemented node), and torch's errors, at the line or at the read."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from clientkit import check_error_at_line, check_raised_at_the_next_read, check_same, graph_of

SPECIAL = [float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 1e-30, 1.0, -1.0, 2.5, -3.5]
SPECIAL += [7.25, -0.75, 7.0, -7.0, 1e30, 3.0]
INTEGERS = [7, -7, 5, -5, 0, 1, -1, 6, -6, 100, -100, 3]
MODES = [None, "trunc", "floor"]


def _rolled(values: list, by: int) -> list:
    return values[by:] + values[:by]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", MODES)
def test_special_values_match_torch(mode, dtype: str) -> None:
    """Every special value against every other (each rolled past the rest), by div with the
    mode, the method, divide and, for 'floor', floor_divide and `//`."""

    def scenario(T):
        results = []
        for by in (1, 3, 4, 7, 11):
            x = T.tensor(SPECIAL, dtype=getattr(T, dtype))
            y = T.tensor(_rolled(SPECIAL, by), dtype=getattr(T, dtype))
            results += [T.div(x, y, rounding_mode=mode), x.divide(y, rounding_mode=mode)]
            if mode == "floor":
                results += [x // y, T.floor_divide(x, y), x.floor_divide(y)]
        return results

    check_same(scenario, rtol=0, atol=0)


def test_random_floats_match_torch_bit_for_bit() -> None:
    """Quotients near integers (where rounding a float quotient could go either way)."""

    rng = np.random.default_rng(5)
    for dtype in ("float32", "float64"):
        a = (rng.standard_normal(2000) * 1000).astype(dtype)
        b = (rng.standard_normal(2000) * 3).astype(dtype)
        b[::7] = np.trunc(b[::7]) + 1  # exact divisors
        a[::5] = b[::5] * np.trunc(a[::5] / 100)  # exact multiples

        def divide(T, a=a, b=b):
            x, y = T.from_numpy(a.copy()), T.from_numpy(b.copy())
            return [x // y, T.div(x, y, rounding_mode="trunc"), x // 0.1, 3.0 // y]

        check_same(divide, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8"])
@pytest.mark.parametrize("mode", MODES)
def test_integers_match_torch(mode, dtype: str) -> None:
    """Integer quotients stay integers when rounded (Python's // for 'floor', C's / for
    'trunc'), true division gives float32; mixed with numbers and int64 tensors."""

    def scenario(T):
        values = [abs(v) for v in INTEGERS] if dtype == "uint8" else INTEGERS
        divisors = [v or 3 for v in _rolled(values, 3)]
        x = T.tensor(values, dtype=getattr(T, dtype))
        y = T.tensor(divisors, dtype=getattr(T, dtype))
        results = [T.div(x, y, rounding_mode=mode), T.div(x, 3, rounding_mode=mode)]
        results += [T.div(x, -2.5, rounding_mode=mode), T.div(x, T.tensor(4), rounding_mode=mode)]
        results += [T.div(x, T.tensor([-4, 4] * 6), rounding_mode=mode)]
        if mode == "floor":
            results += [x // y, x // 3, 100 // y, x // 2.5, T.floor_divide(x, T.tensor(-3))]
        return results

    check_same(scenario, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8"])
def test_the_most_negative_integer_over_minus_one_wraps_as_torch(dtype: str) -> None:
    """Floored (torch's div_floor special-cases -1); torch's 'trunc' of int64's minimum by a
    -1 tensor dies of SIGFPE, so it is left out (gradrpc wraps it too)."""

    def scenario(T):
        info = {"int64": -(2**63), "int32": -(2**31), "int16": -(2**15), "int8": -128}
        x = T.tensor([info[dtype], -7, 7], dtype=getattr(T, dtype))
        minus_one = T.tensor([-1, -1, -1], dtype=getattr(T, dtype))
        return [x // -1, x // minus_one, T.div(x[1:], minus_one[1:], rounding_mode="trunc")]

    check_same(scenario, rtol=0, atol=0)


@pytest.mark.parametrize("mode", ["trunc", "floor"])
def test_rounded_division_has_a_zero_gradient(mode: str) -> None:
    """DivBackward2 for a tensor or a number divisor (Python's binding wraps the number),
    a zero gradient for both inputs, in place too."""

    def scenario(T):
        x = T.tensor([7.0, -7.0, 5.5, 0.5], requires_grad=True)
        y = T.tensor([2.0, 2.0, -2.0, 0.0], requires_grad=True)
        out = T.div(x, y, rounding_mode=mode)
        scaled = x.div(2, rounding_mode=mode)
        (out + scaled).sum().backward()
        z = x * 1
        z.div_(y, rounding_mode=mode)
        return [out, graph_of(out.grad_fn), graph_of(scaled.grad_fn), x.grad, y.grad, z,
                graph_of(z.grad_fn)]  # fmt: skip

    check_same(scenario, rtol=0, atol=0)


def test_floor_divide_records_torch_s_not_implemented_node() -> None:
    def scenario(T):
        x = T.tensor([7.0, -7.0, 5.5], requires_grad=True)
        out = x // 2
        results = [out, graph_of(out.grad_fn), graph_of((3 // x).grad_fn)]
        z = x * 1
        z //= 2
        return [*results, z, graph_of(z.grad_fn)]

    def backward(T):
        x = T.tensor([7.0, -7.0, 5.5], requires_grad=True)
        (x // 2).sum().backward()
        x.grad.tolist()

    check_same(scenario, rtol=0, atol=0)
    check_raised_at_the_next_read(backward, "backward")


def test_true_division_with_rounding_mode_none_keeps_its_gradient() -> None:
    """(torch names div's node DivBackward2 when rounding_mode=None is written out; gradrpc
    names it DivBackward0, as for div without the keyword.)"""

    def scenario(T):
        x = T.tensor([7.0, -7.0, 5.5], requires_grad=True)
        y = T.tensor([2.0, 3.0, -2.0], requires_grad=True)
        out = T.div(x, y, rounding_mode=None) + x.true_divide(y) + T.true_divide(x, 4)
        out.sum().backward()
        i = T.tensor([7, -7, 5])
        return [out, x.grad, y.grad, T.true_divide(i, 2), i / 2]

    check_same(scenario, rtol=1e-6, atol=0)


def test_in_place_forms_match_torch() -> None:
    def scenario(T):
        a = T.tensor([7.0, -7.0, 5.5])
        b = T.tensor([7, -7, 5])
        c = T.tensor([7.0, -7.0, 5.5])
        d = T.tensor([7.0, -7.0, 5.5])
        a //= 2
        b //= T.tensor([2, 2, -3])
        c.div_(2, rounding_mode="trunc").divide_(T.tensor(0.5), rounding_mode="floor")
        d.true_divide_(4).floor_divide_(0.25)
        return [a, b, c, d]

    check_same(scenario, rtol=0, atol=0)


def test_an_integer_division_by_zero_raises_at_the_next_read() -> None:
    def floor(T):
        (T.tensor([7, -7, 5]) // T.tensor([2, 0, 1])).tolist()

    def trunc(T):
        T.div(T.tensor([7, -7]), 0, rounding_mode="trunc").tolist()

    check_raised_at_the_next_read(floor, "floor_divide")
    check_raised_at_the_next_read(trunc, "div")


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.div(T.ones(2), T.ones(2), rounding_mode=1),
        lambda T: T.ones(2).div(T.ones(2), rounding_mode=1),
        lambda T: T.ones(2).div(2, rounding_mode=[]),
        lambda T: T.div(T.ones(2), 2, rounding_mode="round"),
        lambda T: T.ones(2).div_(2, rounding_mode="bad"),
        lambda T: T.tensor([True]) // T.tensor([True]),
        lambda T: T.div(T.tensor([True]), True, rounding_mode="trunc"),
        lambda T: T.ones(2) // "x",
        lambda T: "x" // T.ones(2),
        lambda T: T.floor_divide(T.ones(2), "x"),
        lambda T: T.tensor([5]).div_(2),
        lambda T: T.tensor([5]).div_(2.5, rounding_mode="floor"),
        lambda T: T.tensor([5]).floor_divide_(2.5),
        lambda T: T.ones(2, 3) // T.ones(4),
        lambda T: T.ones(2, requires_grad=True).floor_divide_(2),
    ],
)
def test_errors_match_torch_at_the_line(call) -> None:
    check_error_at_line(call)


def test_not_implemented_nodes_have_edges_only_for_inputs_that_require_grad() -> None:
    """torch's NotImplemented node (floor_divide, heaviside, a legacy scatter reduce) lists
    only the inputs that require a gradient."""

    def scenario(T):
        x = T.tensor([7.0, -7.0], requires_grad=True)
        y = T.tensor([1.0, 2.0])
        index = T.tensor([0, 1])
        return [
            graph_of(node)
            for node in (
                (x // y).grad_fn,
                (y // x).grad_fn,
                (x // x).grad_fn,
                T.heaviside(y, x).grad_fn,
                T.heaviside(x, y).grad_fn,
                y.scatter(0, index, x, reduce="add").grad_fn,
                x.scatter(0, index, y, reduce="multiply").grad_fn,
            )
        ]

    with warnings.catch_warnings():  # the legacy scatter reduce's deprecation (warned once)
        warnings.simplefilter("ignore", UserWarning)
        check_same(scenario, rtol=0, atol=0)
