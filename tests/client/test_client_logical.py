"""Logical and bitwise ops and closeness through the client, against torch 2.13: the
functions, methods, operators (`& | ^ ~`, reflected and augmented) and in-place forms on
every dtype, numbers on either side, broadcasting and promotion; bool results without
history; isclose's tolerances and nan, allclose and equal as Python bools read in one
round trip; torch's errors at the line; and the masks training code builds with them."""

from __future__ import annotations

import itertools
import operator

import gradrpc
import pytest
from clientkit import check_error_at_line, check_same, no_rpc

NAN, INF = float("nan"), float("inf")
LOGICAL = ("logical_and", "logical_or", "logical_xor")
BITWISE = {"bitwise_and": "&", "bitwise_or": "|", "bitwise_xor": "^"}
OPERATORS = {"&": operator.and_, "|": operator.or_, "^": operator.xor}
AUGMENTED = {"&": operator.iand, "|": operator.ior, "^": operator.ixor}


def _operand(T, kind: str):
    """A tensor of each dtype (n-d and 0-d) or a Python number, for the dtype pairings."""
    return {
        "int64[2,3]": lambda: T.tensor([[6, 0, -3], [5, -1, 2**40 + 7]]),
        "bool[2,3]": lambda: T.tensor([[True, False, True], [False, False, True]]),
        "float32[2,3]": lambda: T.tensor([[0.5, 0.0, NAN], [-2.0, 1.0, 0.0]]),
        "float64[3]": lambda: T.tensor([0.0, 3.0, -0.0], dtype=T.float64),
        "int64[]": lambda: T.tensor(5),
        "bool[]": lambda: T.tensor(True),
        "float32[]": lambda: T.tensor(0.25),
        "float64[]": lambda: T.tensor(1e-50, dtype=T.float64),  # 0 once in float32
        "int": lambda: 3,
        "bool": lambda: True,
        "float": lambda: 2.5,
    }[kind]()


TENSOR_KINDS = ("int64[2,3]", "bool[2,3]", "float32[2,3]", "float64[3]")
TENSOR_KINDS += ("int64[]", "bool[]", "float32[]", "float64[]")
KINDS = (*TENSOR_KINDS, "int", "bool", "float")
PAIRS = [
    (a, b)
    for a, b in itertools.product(KINDS, repeat=2)
    if TENSOR_KINDS.count(a) + TENSOR_KINDS.count(b)
]


# ---------------------------------------------------------------- masks


def test_masks_combine_as_torch_s():
    """The idiom: comparisons combined with & | ^ ~, then used to select, count and weight,
    with a gradient through the weighting only."""

    def scenario(T):
        x = T.tensor([-1.5, 0.25, 0.75, 2.0, NAN, 1.0], requires_grad=True)
        inside = (x > 0) & (x < 1)
        outside = ~inside
        either = (x < 0) | (x >= 2)
        one_of = (x > 0) ^ (x < 1)
        y = (x * inside).sum() + T.where(either, x, 0.0).sum()
        y.backward()
        return (
            inside,
            outside,
            either,
            one_of,
            x[inside],
            inside.sum(),
            inside.requires_grad,
            inside.grad_fn,
            x.grad,
            T.logical_and(x > 0, x.isfinite()).any(),
            x[T.logical_not(x.isnan())],
        )

    check_same(scenario)


# ---------------------------------------------------------------- logical ops


@pytest.mark.parametrize("b", KINDS)
@pytest.mark.parametrize("a", TENSOR_KINDS)
@pytest.mark.parametrize("name", LOGICAL)
def test_logical_ops_on_every_dtype_pairing(name: str, a: str, b: str):
    """Truth is nonzero in the promoted dtype (a 0-d float64 1e-50 is false next to n-d
    float32, true next to float64), the result bool; a number is torch's TypeError."""

    def scenario(T):
        x, y = _operand(T, a), _operand(T, b)
        return getattr(T, name)(x, y), getattr(x, name)(y)

    check_same(scenario)


@pytest.mark.parametrize("name", LOGICAL)
def test_logical_ops_broadcast_and_ignore_requires_grad(name: str):
    def scenario(T):
        x = T.tensor([[0.5], [0.0], [NAN]], requires_grad=True)
        y = T.tensor([1.0, 0.0], requires_grad=True) * 2
        z = getattr(T, name)(x, y)
        return z, z.requires_grad, z.is_leaf, z.grad_fn, getattr(x, name)(T.tensor(0))

    check_same(scenario)


@pytest.mark.parametrize("kind", TENSOR_KINDS)
def test_logical_not(kind: str):
    check_same(lambda T: (T.logical_not(_operand(T, kind)), _operand(T, kind).logical_not()))


@pytest.mark.parametrize("name", (*LOGICAL, "logical_not"))
@pytest.mark.parametrize("kind", ["int64[2,3]", "bool[2,3]", "float32[2,3]"])
def test_logical_in_place_writes_truth_in_self_s_dtype(name: str, kind: str):
    def scenario(T):
        x = _operand(T, kind).clone()
        other = () if name == "logical_not" else (T.tensor([1.0, 0.0, 2.0]),)
        out = getattr(x, f"{name}_")(*other)
        return x, out is x

    check_same(scenario)


@pytest.mark.parametrize("name", (*LOGICAL, "logical_not"))
def test_logical_in_place_is_not_recorded(name: str):
    """torch writes these through autograd: a leaf that requires grad is written and stays a
    leaf; a tensor with history keeps its grad_fn, and a backward through it still runs."""

    def scenario(T):
        other = () if name == "logical_not" else (T.tensor([1, 0, 3]),)
        leaf = T.tensor([0.5, 0.0, NAN], requires_grad=True)
        getattr(leaf, f"{name}_")(*other)
        w = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = w * 2
        getattr(y, f"{name}_")(*other)
        y.sum().backward()
        return leaf, leaf.is_leaf, leaf.grad_fn, y, y.grad_fn, w.grad

    check_same(scenario)


@pytest.mark.parametrize("name", LOGICAL)
def test_logical_errors_as_torch(name: str):
    check_error_at_line(lambda T: getattr(T, name)(T.ones(2), 2))
    check_error_at_line(lambda T: getattr(T, name)(2, T.ones(2)))
    check_error_at_line(lambda T: getattr(T, name)(T.ones(2), None))
    check_error_at_line(lambda T: getattr(T.ones(2), name)(1.5))
    check_error_at_line(lambda T: getattr(T.ones(2), name)(T.ones(3)))
    check_error_at_line(lambda T: getattr(T.ones(2), f"{name}_")(True))
    check_error_at_line(lambda T: getattr(T.ones(3), f"{name}_")(T.ones(2, 3)))
    check_error_at_line(lambda T: getattr(T.ones(1).expand(3), f"{name}_")(T.ones(3)))
    check_error_at_line(lambda T: T.logical_not(None))


# ---------------------------------------------------------------- bitwise ops


@pytest.mark.parametrize(("a", "b"), PAIRS)
@pytest.mark.parametrize("symbol", OPERATORS)
def test_bitwise_operators_on_every_dtype_pairing(symbol: str, a: str, b: str):
    """int64 and bool in torch's promoted dtype (bool with a Python int is int64, int64 with
    a bool keeps int64), numbers on either side (Python reflects them); a floating
    operand is torch's NotImplementedError."""

    def scenario(T):
        return OPERATORS[symbol](_operand(T, a), _operand(T, b))

    check_same(scenario)


@pytest.mark.parametrize("name", BITWISE)
def test_bitwise_functions_and_methods(name: str):
    def scenario(T):
        i, b = T.tensor([[6, -3, 2**62 + 1]]), T.tensor([[True], [False]])
        return (
            getattr(T, name)(i, b),
            getattr(T, name)(7, i),  # torch's (Number self, Tensor other) overload
            getattr(T, name)(True, b),
            getattr(i, name)(-(2**63)),
            getattr(b, name)(T.tensor(True)),
            getattr(b, name)(2).dtype,
        )

    check_same(scenario)


@pytest.mark.parametrize("symbol", AUGMENTED)
@pytest.mark.parametrize("b", KINDS)
@pytest.mark.parametrize("a", ["int64[2,3]", "bool[2,3]", "int64[]", "bool[]", "float32[2,3]"])
def test_bitwise_in_place_on_every_dtype_pairing(a: str, b: str, symbol: str):
    """`&=` and its method: the result written into self, or torch's first refusal: the
    result's shape, then its dtype's cast to self's, then a floating kernel."""
    name = next(op for op, s in BITWISE.items() if s == symbol)

    def scenario(T):
        x, y = _operand(T, a), _operand(T, b)
        z = AUGMENTED[symbol](x, y)
        return x, z is x, getattr(_operand(T, a), f"{name}_")(y)

    check_same(scenario)


def test_bitwise_not_and_invert():
    def scenario(T):
        i, b = T.tensor([6, 0, -3, 2**63 - 1]), T.tensor([[True, False]])
        j = i.clone()
        j.bitwise_not_()
        return ~i, ~b, T.bitwise_not(i), b.bitwise_not(), ~T.tensor(False), j

    check_same(scenario)


@pytest.mark.parametrize("name", BITWISE)
def test_bitwise_errors_as_torch(name: str):
    check_error_at_line(lambda T: getattr(T, name)(T.ones(2), 1))
    check_error_at_line(lambda T: getattr(T, name)(2.5, T.tensor([1])))
    check_error_at_line(lambda T: getattr(T, name)(T.tensor([1]), None))
    check_error_at_line(lambda T: getattr(T, name)(None, T.tensor([1])))
    check_error_at_line(lambda T: getattr(T, name)(3, 5))
    check_error_at_line(lambda T: getattr(T, name)(T.tensor([1]), "a"))
    check_error_at_line(lambda T: getattr(T.tensor([1]), name)(None))
    check_error_at_line(lambda T: getattr(T.tensor([1]), f"{name}_")(None))
    check_error_at_line(lambda T: getattr(T.tensor([1, 2]), name)(T.tensor([1, 2, 3])))
    check_error_at_line(lambda T: getattr(T.tensor(1), f"{name}_")(T.ones(3)))  # shape first
    check_error_at_line(lambda T: getattr(T.tensor([1]).expand(2), f"{name}_")(1))
    check_error_at_line(lambda T: getattr(T.ones(2, requires_grad=True), f"{name}_")(1))
    check_error_at_line(lambda T: OPERATORS[BITWISE[name]](T.tensor([1]), None))
    check_error_at_line(lambda T: OPERATORS[BITWISE[name]]("a", T.tensor([1])))
    check_error_at_line(lambda T: AUGMENTED[BITWISE[name]](T.tensor([1]), None))


def test_invert_and_bitwise_not_errors_as_torch():
    check_error_at_line(lambda T: ~T.ones(2))
    check_error_at_line(lambda T: ~T.tensor(1.0, dtype=T.float64))
    check_error_at_line(lambda T: T.bitwise_not(T.ones(2)))
    check_error_at_line(lambda T: T.ones(2).bitwise_not_())
    check_error_at_line(lambda T: T.bitwise_not(3))


# ---------------------------------------------------------------- closeness

CLOSE_X = [1.0, NAN, INF, -INF, 1e-9, 1.0, 0.0, -0.0, 100.0, INF]
CLOSE_Y = [1.00001, NAN, INF, INF, 0.0, 1.1, -0.0, 1e-8, 100.002, NAN]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_isclose_on_special_values(dtype: str):
    def scenario(T):
        x = T.tensor(CLOSE_X, dtype=getattr(T, dtype), requires_grad=True)
        y = T.tensor(CLOSE_Y, dtype=getattr(T, dtype))
        close = T.isclose(x, y)
        return (
            close,
            close.requires_grad,
            close.grad_fn,
            T.isclose(x, y, equal_nan=True),
            T.isclose(x, y, rtol=0.2),
            T.isclose(x, y, 0.0, 0.0),  # equality alone
            x.isclose(y, atol=1e-3),
            x.isclose(y, 1e-3, 0.5, True),
            T.isclose(x, y, rtol=INF),
            T.isclose(x, y, rtol=2, atol=0),  # ints are taken as floats
            T.isclose(x, y, rtol=T.tensor(0.2)),  # so are 0-d tensors (read)
        )

    check_same(scenario)


def test_isclose_on_integers_and_bools_and_broadcast():
    """Integer differences are compared with a float32 tolerance, bools as float32."""

    def scenario(T):
        i, j = T.tensor([10, 100, -5, 2**40]), T.tensor([12, 109, -5, 2**40 + 1])
        b = T.tensor([[True], [False]])
        return (
            T.isclose(i, j),
            T.isclose(i, j, atol=1.5),
            T.isclose(i, j, rtol=0.1),
            T.isclose(b, T.tensor([True, False])),
            T.isclose(b, ~b, rtol=2, atol=3),
            T.isclose(T.ones(2, 1), T.tensor([1.0, 1.0 + 1e-6, 2.0])),
        )

    check_same(scenario)


def test_allclose_and_equal_are_python_bools():
    def scenario(T):
        x = T.tensor([1.0, 2.0, NAN])
        return (
            T.allclose(x[:2], x[:2] + 1e-6),
            T.allclose(x, x),
            T.allclose(x, x, equal_nan=True),
            x.allclose(x + 0.1, 0.2),
            T.allclose(T.ones(2, 1), T.ones(3)),  # broadcast
            T.allclose(T.ones(0), T.ones(0)),
            T.equal(x[:2], x[:2]),
            T.equal(x, x),  # nan is unequal
            x.equal(x.detach().clone()),
            T.equal(T.ones(3), T.ones(3, dtype=T.int64)),  # compared in the promoted dtype
            T.equal(T.tensor([1.1]), T.tensor([1.1], dtype=T.float64)),
            T.equal(T.tensor([True, False]), T.tensor([1, 0])),
            T.equal(T.tensor([0.0]), T.tensor([-0.0])),
            T.equal(T.ones(3), T.ones(1)),  # no broadcasting
            T.equal(T.ones(0), T.ones(0, 2)),
        )

    check_same(scenario)


def test_allclose_and_equal_read_once_and_equal_shapes_not_at_all(session):
    x, y = gradrpc.rand(3), gradrpc.rand(3)
    session.flush()
    for compare in (lambda: gradrpc.allclose(x, y), lambda: x.equal(y)):
        before = session.rpc_count
        assert compare() is False
        assert session.rpc_count == before + 1
    with no_rpc():
        assert gradrpc.equal(x, gradrpc.rand(1, 3)) is False


@pytest.mark.parametrize("name", ["isclose", "allclose"])
def test_closeness_errors_as_torch(name: str):
    check_error_at_line(lambda T: getattr(T, name)(T.ones(2), T.ones(2, dtype=T.float64)))
    check_error_at_line(lambda T: getattr(T, name)(T.ones(2), T.tensor([1, 1])))
    check_error_at_line(lambda T: getattr(T, name)(T.tensor([True]), T.tensor([1])))
    check_error_at_line(lambda T: getattr(T, name)(T.ones(2), T.ones(2), rtol=-1))
    check_error_at_line(lambda T: getattr(T, name)(T.ones(2), T.ones(2), atol=-0.5))
    check_error_at_line(lambda T: getattr(T, name)(T.ones(2), T.ones(2), atol=NAN))
    check_error_at_line(lambda T: getattr(T, name)(T.ones(2), T.ones(2), rtol=-1.2345678))
    check_error_at_line(lambda T: getattr(T, name)(T.ones(2), T.ones(3)))
    check_error_at_line(lambda T: getattr(T, name)(T.ones(2), 1.0))
    check_error_at_line(lambda T: getattr(T, name)(1.0, T.ones(2)))
    check_error_at_line(lambda T: getattr(T.ones(2), name)(None))
    check_error_at_line(lambda T: getattr(T, name)(T.ones(2), T.ones(2), rtol="x"))
    check_error_at_line(lambda T: getattr(T, name)(T.ones(2), T.ones(2), 0.1, "x"))
    check_error_at_line(lambda T: getattr(T.ones(2), name)(T.ones(2), "x"))
    check_error_at_line(lambda T: getattr(T, name)(T.ones(2), T.ones(2), equal_nan=1))
    check_error_at_line(lambda T: getattr(T.ones(2), name)(T.ones(2), 0.1, 0.1, 1))
    check_error_at_line(lambda T: getattr(T, name)(T.ones(2), T.ones(2), rtol=T.ones(1)))
    check_error_at_line(lambda T: getattr(T, name)(T.ones(2), T.ones(2), foo=1))
    check_error_at_line(lambda T: getattr(T.ones(2), name)(T.ones(2), 0.1, rtol=0.2))


def test_equal_errors_as_torch():
    check_error_at_line(lambda T: T.equal(T.ones(2), None))
    check_error_at_line(lambda T: T.equal(2, T.ones(2)))
    check_error_at_line(lambda T: T.ones(2).equal(2.0))
