"""Comparisons through the client, against torch: operators, methods, functions and their
aliases give bool tensors without history; numbers on either side, broadcasting, promotion
and nan; torch's errors; and tensors stay hashable by identity."""

from __future__ import annotations

import gradrpc
import pytest
from clientkit import check_error_at_line, check_same, no_rpc

OPERATORS = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
NAMES = ("eq", "ne", "lt", "le", "gt", "ge")
ALIASES = ("not_equal", "less", "less_equal", "greater", "greater_equal")


@pytest.mark.parametrize("symbol", OPERATORS)
def test_operators(symbol):
    compare = OPERATORS[symbol]

    def scenario(T):
        x = T.tensor([[1.0, 2.0, float("nan")], [4.0, -0.0, float("inf")]], requires_grad=True)
        y = T.tensor([2.0, 0.0, float("nan")])
        n = T.tensor([[1, 2, 3], [2, 2, 2]])
        result = compare(x, y)
        return (
            result,
            result.requires_grad,
            result.grad_fn,
            result.is_leaf,
            compare(x, 2),  # a number on the right
            compare(2.0, x),  # and on the left: Python reflects it
            compare(n, 2.5),  # int64 against a float: compared as float32
            compare(n, T.tensor([2, 2, 3])),
            compare(T.tensor([True, False]), T.tensor([True, True])),
            compare(T.tensor(3.0, dtype=T.float64), x),  # a 0-d tensor, broadcast
        )

    check_same(scenario)


@pytest.mark.parametrize("name", NAMES + ALIASES)
def test_methods_and_functions(name):
    def scenario(T):
        x = T.tensor([1.0, 2.0, 3.0])
        y = T.tensor([3.0, 2.0, 1.0], dtype=T.float64)
        return getattr(x, name)(y), getattr(T, name)(x, 2), getattr(x, name)(2.0).dtype

    check_same(scenario)


def test_int64_beyond_float32_compares_after_promotion():
    # 2**24 + 1 is not a float32: against a float, both sides round to 2**24 first
    check_same(lambda T: (T.tensor([16777217]) == 16777216.0, T.tensor([16777217]) == 16777216))


def test_masks_in_arithmetic():
    def scenario(T):
        x = T.tensor([-1.0, 0.5, 2.0], requires_grad=True)
        mask = x > 0
        y = (x * mask).sum() + (x >= 1).float().mean()
        y.backward()
        return mask, y, x.grad, (x > 0).sum(), mask.long()

    check_same(scenario)


def test_none_and_other_types():
    """`==` with a non-tensor is Python's identity test; ordering is Python's TypeError."""
    check_same(lambda T: (T.ones(2) == None, T.ones(2) != None, T.ones(2) == "x"))  # noqa: E711
    check_error_at_line(lambda T: T.ones(2) < None)
    check_error_at_line(lambda T: T.ones(2) >= "x")


@pytest.mark.parametrize("name", NAMES)
def test_errors_as_torch(name):
    check_error_at_line(lambda T: getattr(T.ones(2), name)(None))
    check_error_at_line(lambda T: getattr(T.ones(2), name)("a"))
    check_error_at_line(lambda T: getattr(T, name)(2, T.ones(2)))
    check_error_at_line(lambda T: getattr(T, name)(T.ones(2), None))
    check_error_at_line(lambda T: getattr(T.ones(2), name)(T.ones(3)))


def test_bool_of_a_comparison():
    check_same(lambda T: (bool(T.tensor(2.0) > 1), bool(T.tensor([3]) == 3)))
    check_error_at_line(lambda T: bool(T.ones(2) == T.ones(2)))


def test_tensors_stay_hashable_by_identity():
    x, y = gradrpc.ones(2), gradrpc.ones(2)
    with no_rpc():
        assert {x: 1, y: 2}[x] == 1
        assert x in {x} and y not in {x}
        assert x in [x]  # identity first: no comparison is made
