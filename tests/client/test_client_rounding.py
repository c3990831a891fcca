"""floor, ceil, trunc, round (with decimals), sign, frac, square and the predicates isnan,
isinf and isfinite, as functions, methods and in-place methods, against torch 2.13: values on
special values (nan, ±inf, ±0, halves), gradients and graphs, integer and bool inputs,
torch's errors at the line, and the idioms training code uses them in."""

from __future__ import annotations

import pytest
from clientkit import check_error_at_line, check_same, graph_of

VALUES = [float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 0.5, 1.5, 2.5, -2.5, -0.4]
VALUES += [1.26, -7.75, 123.456, 1e-30, 2.675]
OPS = ("floor", "ceil", "trunc", "round", "sign", "frac", "square")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", OPS)
def test_function_method_and_gradient_match_torch(op: str, dtype: str) -> None:
    def scenario(T):
        x = T.tensor(VALUES, dtype=getattr(T, dtype), requires_grad=True)
        y = getattr(T, op)(x)
        z = getattr(x, op)()
        (y * T.arange(len(VALUES), dtype=y.dtype)).sum().backward()
        return y, z, graph_of(y.grad_fn), x.grad

    check_same(scenario, rtol=0, atol=0)


@pytest.mark.parametrize("decimals", [0, 1, 2, 3, -1, -2])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_to_decimals_matches_torch(decimals: int, dtype: str) -> None:
    """rint(x 10^d) / 10^d in the input's dtype (2.675 is 2.68 in float32, 2.67 in float64);
    given decimals, even 0, records RoundBackward1."""

    def scenario(T):
        x = T.tensor(VALUES, dtype=getattr(T, dtype), requires_grad=True)
        y = T.round(x, decimals=decimals)
        y.sum().backward()
        return y, x.round(decimals=decimals), y.grad_fn.name(), x.grad

    check_same(scenario, rtol=0, atol=0)


@pytest.mark.parametrize("op", ("isnan", "isinf", "isfinite"))
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_predicates_match_torch(op: str, dtype: str) -> None:
    def scenario(T):
        values = VALUES if dtype.startswith("float") else [0, 1, 1, 0]
        x = T.tensor(values, dtype=getattr(T, dtype))
        if dtype.startswith("float"):
            x.requires_grad_()
        return getattr(T, op)(x), getattr(x, op)()

    check_same(scenario)


@pytest.mark.parametrize("op", [*OPS, "round_decimals"])
@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_integer_and_bool_inputs_match_torch(op: str, dtype: str) -> None:
    """Integers come back as they are (a copy), sign computes, square promotes bool to int64;
    torch's kernels refuse bool for floor/ceil/trunc/round, ints for frac and for round with
    decimals."""

    def scenario(T):
        x = T.tensor([3, 0, 1, 0] if dtype == "bool" else [3, -2, 0, 7], dtype=getattr(T, dtype))
        if op == "round_decimals":
            return x.round(decimals=1)
        y = getattr(x, op)()
        return y, y.dtype

    check_same(scenario)


@pytest.mark.parametrize("op", [*OPS, "round_decimals"])
def test_in_place_forms_match_torch(op: str) -> None:
    """x.op_() on a tensor with history records op's node on x; on an int tensor it keeps x's
    dtype."""

    def scenario(T):
        leaf = T.tensor(VALUES[3:], requires_grad=True)
        x = leaf * 1.0
        if op == "round_decimals":
            x.round_(decimals=1)
        else:
            getattr(x, f"{op}_")()
        x.sum().backward()
        ints = T.tensor([3, -2, 0])
        if op not in ("frac", "round_decimals"):
            getattr(ints, f"{op}_")()
        return x, graph_of(x.grad_fn), leaf.grad, ints

    check_same(scenario, rtol=0, atol=0)


def test_rounding_idioms_match_torch() -> None:
    """Accuracy of rounded predictions, a nan check on a loss, clamping away non-finite
    values: the forms training loops use."""

    def scenario(T):
        logits = T.tensor([[2.0, -1.0], [0.3, 0.2], [-3.0, 4.0]], requires_grad=True)
        target = T.tensor([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])
        prediction = logits.sigmoid()
        accuracy = (prediction.round() == target).float().mean().item()
        loss = T.nn.functional.binary_cross_entropy(prediction, target)
        diverged = T.isnan(loss).any().item() or not T.isfinite(loss).all().item()
        values = T.tensor([1.0, float("inf"), float("nan"), -2.0])
        cleaned = T.where(T.isfinite(values), values, T.zeros_like(values))
        return accuracy, diverged, cleaned, (values.sign() * values.abs().floor()).tolist()

    check_same(scenario)


ERRORS = {
    "round with a positional decimals": lambda T: T.ones(2).round(1),
    "round with float decimals": lambda T: T.ones(2).round(decimals=1.0),
    "round with bool decimals": lambda T: T.ones(2).round(decimals=True),
    "floor of a list": lambda T: T.floor([1.5]),
    "isnan of a number": lambda T: T.isnan(1.0),
    "in place on a leaf that requires grad": lambda T: T.ones(2, requires_grad=True).floor_(),
    "in place round of ints to decimals": lambda T: T.tensor([1, 2]).round_(decimals=1),
    "in place square of a float into bool": lambda T: T.tensor([True]).square_(),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch_at_the_line(name: str) -> None:
    check_error_at_line(ERRORS[name])
