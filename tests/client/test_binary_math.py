"""atan2 (arctan2), hypot, remainder (and %), fmod, xlogy, lerp, addcmul and addcdiv as
functions, methods and in-place methods, against torch 2.13: values on special values (nan,
±inf, ±0), gradients and graphs, type promotion with tensors, 0-d tensors and Python numbers,
integer results, and torch's errors (type and exact message) at the line or at the read that
surfaces them."""

from __future__ import annotations

import pytest
from clientkit import check_error_at_line, check_raised_at_the_next_read, check_same, graph_of

SPECIAL = [float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 1e-30, 1.0, -1.0, 2.5, -3.5]
SPECIAL += [7.25, -0.75]
TWO_TENSORS = ("atan2", "hypot", "remainder", "fmod", "xlogy")


def _rolled(values: list, by: int) -> list:
    return values[by:] + values[:by]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", TWO_TENSORS)
def test_special_values_gradients_and_graphs_match_torch(op: str, dtype: str) -> None:
    """Every special value against every other (each rolled past the rest): the function, the
    method, both gradients and the graph."""

    def scenario(T):
        results = []
        for by in (1, 3, 4, 7):
            x = T.tensor(SPECIAL, dtype=getattr(T, dtype), requires_grad=True)
            y = T.tensor(_rolled(SPECIAL, by), dtype=getattr(T, dtype), requires_grad=True)
            out = getattr(T, op)(x * 1, y)
            (out * T.arange(len(SPECIAL), dtype=out.dtype)).sum().backward()
            results += [out, getattr(x, op)(y), graph_of(out.grad_fn), x.grad, y.grad]
        return results

    check_same(scenario, rtol=1e-6, atol=0)


@pytest.mark.parametrize("op", ["remainder", "fmod", "xlogy"])
@pytest.mark.parametrize("number", [2, 2.5, -1.5, 0.0, True])
def test_a_number_operand_matches_torch(op: str, number) -> None:
    """A Python number as other (RemainderBackward0, FmodBackward0, XlogyBackward2) and, for
    remainder and xlogy, as input (remainder's NotImplemented node, XlogyBackward1)."""

    def scenario(T):
        x = T.tensor(SPECIAL, requires_grad=True)
        out = getattr(T, op)(x, number)
        out.sum().backward()
        results = [out, getattr(x, op)(number), graph_of(out.grad_fn), x.grad]
        if op != "fmod":
            positive = T.tensor([0.5, 2.0, 3.0, float("inf")], requires_grad=op == "xlogy")
            results.append(getattr(T, op)(number, positive))
        return results

    check_same(scenario, rtol=1e-6, atol=0)


def test_xlogy_of_a_number_records_its_gradient() -> None:
    def scenario(T):
        y = T.tensor([0.5, 2.0, 0.0, -1.0], requires_grad=True)
        out = T.xlogy(3, y)
        out.sum().backward()
        return out, graph_of(out.grad_fn), y.grad

    check_same(scenario)


def test_remainder_of_a_number_refuses_its_backward() -> None:
    """torch.remainder(number, tensor) (and number % tensor) records torch's NotImplemented
    node: the values, but no derivative."""

    def scenario(T):
        x = T.tensor([1.5, -2.0, 4.0], requires_grad=True)
        return T.remainder(2, x), 2 % x, graph_of((2 % x).grad_fn)

    check_same(scenario)

    def backward(T):
        x = T.tensor([1.5, -2.0], requires_grad=True)
        (2 % x).sum().backward()
        x.grad.tolist()

    check_raised_at_the_next_read(backward, "backward")


@pytest.mark.parametrize("dtype", ["int64", "bool"])
@pytest.mark.parametrize("op", TWO_TENSORS)
def test_integer_and_bool_operands_match_torch(op: str, dtype: str) -> None:
    """Promotion with tensors of each kind, 0-d tensors and numbers: remainder and fmod of
    integers stay int64 (with Python's and C's signs), atan2 and xlogy give float32, hypot
    refuses them; a bool result of remainder or fmod is refused."""

    def scenario(T):
        values = [5, -7, 7, -5] if dtype == "int64" else [True, False, True, True]
        x = T.tensor(values, dtype=getattr(T, dtype))
        divisor = T.tensor([3, 3, -3, -2]) if dtype == "int64" else T.tensor([2, 3, -3, 5])
        results = [getattr(T, op)(x, divisor), getattr(T, op)(divisor, x.abs() + 1)]
        results.append(getattr(T, op)(x, T.tensor([1.5, -2.0, 0.5, 4.0])))
        results.append(getattr(T, op)(x, T.tensor(2.5, dtype=T.float64)))
        if op not in ("atan2", "hypot"):
            results += [getattr(T, op)(x, 3), getattr(T, op)(x, 2.5)]
        return results

    check_same(scenario)


@pytest.mark.parametrize("op", ["remainder", "fmod"])
def test_integer_division_by_zero_raises_torch_s_error_at_the_read(op: str) -> None:
    def by_tensor(T):
        getattr(T, op)(T.tensor([5, -7]), T.tensor([3, 0])).tolist()

    def by_number(T):
        getattr(T.tensor([5, -7]), op)(0).tolist()

    check_raised_at_the_next_read(by_tensor, op)
    check_raised_at_the_next_read(by_number, op)
    check_same(lambda T: getattr(T, op)(T.tensor([5.0, -0.0]), 0))  # floats give nan
    check_same(lambda T: getattr(T, op)(T.tensor([], dtype=T.int64), T.tensor([0])))


def test_the_mod_operator_matches_torch() -> None:
    """% is remainder (Python's sign), a number % tensor too, %= in place, and an operand of
    another kind is Python's TypeError."""

    def scenario(T):
        x = T.tensor([5.5, -7.0, 3.0], requires_grad=True)
        y = x % 2
        z = x % T.tensor([-2.0, 3.0, 2.0])
        (y + z).sum().backward()
        i = T.tensor([5, -7, 6])
        i %= 4
        f = T.tensor([5.0, -1.0])
        f %= T.tensor(-3.0)
        return T.tensor(3.0) % 2, y, z, graph_of(z.grad_fn), x.grad, i, f, -7 % T.tensor([3])

    check_same(scenario)
    check_error_at_line(lambda T: T.tensor([1.0]) % "a")


@pytest.mark.parametrize("op", TWO_TENSORS)
def test_in_place_forms_match_torch(op: str) -> None:
    """op_(other) on a non-leaf: the values, the node (with the in-place history) and the
    gradients through it; through a view, torch's CopySlices."""

    def scenario(T):
        x = T.tensor([[1.5, -2.0, 0.5], [3.0, -0.25, 2.0]], requires_grad=True)
        other = T.tensor([0.5, 2.0, 1.5], requires_grad=True)
        y = x * 1
        getattr(y, f"{op}_")(other)
        z = x * 1
        getattr(z[0], f"{op}_")(other)
        (y.sum() + (z * 2).sum()).backward()
        return y, z, graph_of(y.grad_fn), graph_of(z.grad_fn), x.grad, other.grad

    check_same(scenario)


@pytest.mark.parametrize("op", ["remainder", "fmod", "xlogy"])
def test_in_place_forms_take_numbers(op: str) -> None:
    def scenario(T):
        x = T.tensor([1.5, -2.0, 0.0], requires_grad=True)
        y = x * 1
        getattr(y, f"{op}_")(2.5)
        y.sum().backward()
        i = T.tensor([5, -7])
        if op != "xlogy":
            getattr(i, f"{op}_")(3)
        return y, graph_of(y.grad_fn), x.grad, i

    check_same(scenario)


@pytest.mark.parametrize("weight", [0.3, 0.5, 0.7, -1.5, 2, True])
def test_lerp_with_a_number_weight_matches_torch(weight) -> None:
    def scenario(T):
        x = T.tensor([[1.5, -2.0, 0.0], [float("inf"), 3.0, -0.0]], requires_grad=True)
        end = T.tensor([0.5, 4.0, -1.0], requires_grad=True)
        out = T.lerp(x, end, weight)
        (out * T.tensor([1.0, 2.0, 3.0])).sum().backward()
        return out, x.lerp(end, weight), graph_of(out.grad_fn), x.grad, end.grad

    check_same(scenario, rtol=1e-6, atol=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_lerp_with_a_tensor_weight_matches_torch(dtype: str) -> None:
    def scenario(T):
        kind = getattr(T, dtype)
        x = T.tensor([[1.5, -2.0, 0.0], [0.25, 3.0, -0.0]], dtype=kind, requires_grad=True)
        end = T.tensor(4.0, dtype=kind, requires_grad=True)
        weight = T.tensor([[0.2], [0.9]], dtype=kind, requires_grad=True)
        out = T.lerp(x, end, weight)
        out.sum().backward()
        y = x * 1
        y.lerp_(end, weight)
        return out, graph_of(out.grad_fn), x.grad, end.grad, weight.grad, y, graph_of(y.grad_fn)

    check_same(scenario, rtol=1e-6, atol=0)


@pytest.mark.parametrize("value", [None, 0.5, -2, True])
@pytest.mark.parametrize("op", ["addcmul", "addcdiv"])
def test_addcmul_and_addcdiv_match_torch(op: str, value) -> None:
    """Broadcast operands, the value keyword, gradients, the graph and the in-place form."""
    keywords = {} if value is None else {"value": value}

    def scenario(T):
        x = T.tensor([[1.5, -2.0, 0.0], [0.25, float("inf"), -0.0]], requires_grad=True)
        a = T.tensor([0.5, -4.0, 3.0], requires_grad=True)
        b = T.tensor([[2.0], [-0.0]], requires_grad=True)
        out = getattr(T, op)(x, a, b, **keywords)
        (out * T.tensor([1.0, 2.0, 3.0])).sum().backward()
        y = x * 1
        getattr(y, f"{op}_")(a, b, **keywords)
        return (
            out,
            getattr(x, op)(a, b, **keywords),
            graph_of(out.grad_fn),
            x.grad,
            a.grad,
            b.grad,
            y,
        )

    check_same(scenario, rtol=1e-6, atol=0)


def test_addcmul_of_integers_matches_torch() -> None:
    """In int64, the value cast to an integer (truncated) as torch's."""

    def scenario(T):
        i = T.tensor([5, -7, 3])
        return T.addcmul(i, i, i), T.addcmul(i, i, i, value=2), T.addcmul(i, i, i, value=1.7)

    check_same(scenario)


@pytest.mark.parametrize("op", [*TWO_TENSORS, "lerp", "lerp_tensor", "addcmul", "addcdiv"])
@pytest.mark.parametrize("which", [0, 1, 2])
def test_a_second_backward_fails_where_torch_s_does(op: str, which: int) -> None:
    """Each input alone requiring grad: the node keeps saved tensors (a second backward is
    torch's error) exactly where torch's does."""

    def scenario(T):
        ts = [T.tensor([1.5, 2.0], requires_grad=i == which) for i in range(3)]
        if op in TWO_TENSORS:
            out = getattr(T, op)(ts[0], ts[1])
        elif op == "lerp":
            out = T.lerp(ts[0], ts[1], 0.3)
        elif op == "lerp_tensor":
            out = T.lerp(*ts)
        else:
            out = getattr(T, op)(*ts)
        if not out.requires_grad:
            return out
        total = out.sum()
        total.backward()
        total.backward()
        return [t.grad for t in ts]

    check_same(scenario)


def test_arctan2_is_atan2() -> None:
    def scenario(T):
        x = T.tensor([1.0, -1.0])
        y = T.tensor([-2.0, 0.0])
        z = x.clone()
        z.arctan2_(y)
        return T.arctan2(x, y), x.arctan2(y), z

    check_same(scenario)


def test_results_are_computed_in_one_round_trip_per_read(session) -> None:
    """The ops queue without calling the server; reading the results is one call."""
    import gradrpc

    x = gradrpc.tensor([1.5, -2.0, 0.5])
    y = gradrpc.tensor([0.5, 3.0, -1.0])
    session.flush()
    before = session.rpc_count
    outs = [x.atan2(y), x.hypot(y), x % y, x.fmod(y), x.xlogy(y.abs()), x.lerp(y, 0.25)]
    assert session.rpc_count == before
    total = sum(o.sum() for o in outs)
    total.item()
    assert session.rpc_count == before + 1


ERRORS = [
    lambda T: T.atan2(T.tensor([1.0]), 2),
    lambda T: T.atan2(2, T.tensor([1.0])),
    lambda T: T.tensor([1.0]).atan2(2),
    lambda T: T.tensor([1.0]).atan2_(2.5),
    lambda T: T.tensor([1.0]).hypot("a"),
    lambda T: T.hypot(T.tensor([1, 2]), T.tensor([3, 4])),
    lambda T: T.hypot(T.tensor([True]), T.tensor([False])),
    lambda T: T.atan2(T.ones(2, 3), T.ones(4)),
    lambda T: T.tensor([1, 2]).atan2_(T.tensor([1, 1])),
    lambda T: T.ones(1).atan2_(T.ones(4)),
    lambda T: T.remainder(T.tensor([True]), T.tensor([True])),
    lambda T: T.fmod(T.tensor([True]), True),
    lambda T: T.remainder(T.tensor([1.0]), "a"),
    lambda T: T.remainder("a", T.tensor([1.0])),
    lambda T: T.fmod(2, T.tensor([1.0])),
    lambda T: T.fmod(T.tensor([1.0]), "a"),
    lambda T: T.xlogy(T.tensor([1.0]), "a"),
    lambda T: T.xlogy(2, 3),
    lambda T: T.tensor([1.0]).remainder("a"),
    lambda T: T.tensor([1.0]).fmod(None),
    lambda T: T.remainder(T.tensor([1.0]), None),
    lambda T: T.xlogy(None, T.tensor([1.0])),
    lambda T: T.tensor([1.0]).xlogy(None),
    lambda T: T.tensor([2, 3]).remainder_(2.5),
    lambda T: T.tensor([2, 3]).xlogy_(2),
    lambda T: T.ones(1).remainder_(T.ones(4)),
    lambda T: T.lerp(T.ones(2), T.ones(2, dtype=T.float64), 0.3),
    lambda T: T.lerp(T.ones(2, dtype=T.float64), T.ones(2), 0.3),
    lambda T: T.lerp(T.ones(2), T.ones(2), T.ones(2, dtype=T.float64)),
    lambda T: T.lerp(T.ones(2), T.ones(2), T.tensor([1, 2])),
    lambda T: T.lerp(T.tensor([1, 2]), T.tensor([1, 2]), 0.5),
    lambda T: T.lerp(T.tensor([1, 2]), T.tensor([1, 2]), T.tensor([1, 2])),
    lambda T: T.lerp(T.tensor([True]), T.tensor([True]), 0.5),
    lambda T: T.lerp(T.ones(2), 2.0, 0.3),
    lambda T: T.lerp(T.ones(2), T.ones(2), "a"),
    lambda T: T.ones(2).lerp(T.ones(2), "a"),
    lambda T: T.ones(2).lerp(2.0, 0.5),
    lambda T: T.ones(2).lerp(T.ones(2), None),
    lambda T: T.ones(2).lerp(2.0, "a"),
    lambda T: T.ones(2).lerp(T.ones(3), 0.5),
    lambda T: T.ones(1).lerp_(T.ones(4), 0.5),
    lambda T: T.lerp(T.ones(2), T.ones(2), 2**70),
    lambda T: T.ones(2).addcmul(T.ones(2), T.ones(2), value=2**70),
    lambda T: T.ones(2) % 2**70,
    lambda T: T.addcdiv(T.ones(2), T.tensor([1, 2]), T.tensor([1, 2])),
    lambda T: T.ones(2).addcdiv_(T.tensor([1, 2]), T.tensor([True, False])),
    lambda T: T.addcmul(T.tensor([True]), T.tensor([True]), T.tensor([True])),
    lambda T: T.ones(2).addcmul(2, T.ones(2)),
    lambda T: T.addcmul(T.ones(2), T.ones(2), 2),
    lambda T: T.addcmul(2, T.ones(2), T.ones(2)),
    lambda T: T.ones(2).addcmul(T.ones(2), T.ones(2), 3),
    lambda T: T.addcmul(T.ones(2), T.ones(2), T.ones(2), 3),
    lambda T: T.ones(2).addcdiv(T.ones(2), T.ones(2), value="a"),
    lambda T: T.ones(2).addcmul(T.ones(2), T.ones(2), value=None),
    lambda T: T.ones(2).addcmul(T.ones(2)),
    lambda T: T.ones(1).addcmul_(T.ones(2), T.ones(2)),
    lambda T: T.addcmul(T.ones(2, 3), T.ones(4), T.ones(3)),
]


@pytest.mark.parametrize("fn", ERRORS, ids=range(len(ERRORS)))
def test_errors_match_torch_at_the_line(fn) -> None:
    check_error_at_line(fn)
