"""torch.where, Tensor.where, nonzero, masked_fill(_) and clamp with tensor bounds against torch:
values, broadcasting, torch's promotion of tensors and numbers, WhereBackward0,
MaskedFillBackward0 and ClampBackward0 with their gradients, and torch's errors at the line."""

from __future__ import annotations

import pytest
from clientkit import check_error_at_line, check_same

CASES = {
    "tensor and number": lambda T, x, c: T.where(c, x, 0.0),
    "broadcast, promoted to float64": lambda T, x, c: T.where(c, x, T.zeros(2, 1, dtype=T.float64)),
    "two numbers": lambda T, x, c: T.where(c, 1, 0),
    "a float and an int": lambda T, x, c: T.where(c, 1.0, 0),
    "int64 tensor and a float": lambda T, x, c: T.where(c, T.ones(3, dtype=T.int64), 0.5),
    "method": lambda T, x, c: x.where(x > 1.5, 2),
    "both sides require grad": lambda T, x, c: T.where(c, x * 2, x * x),
    "masked_fill": lambda T, x, c: x.masked_fill(c, -1),
    "masked_fill broadcast": lambda T, x, c: x.masked_fill(T.tensor([[True], [False]]), 0),
    "masked_fill int64": lambda T, x, c: T.ones(3, dtype=T.int64).masked_fill(c, 1.5),
    "masked_fill_ with history": lambda T, x, c: (x * 2).masked_fill_(x > 1.5, 0.5),
}


@pytest.mark.parametrize("name", CASES)
def test_matches_torch(name):
    def scenario(T):
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        c = T.tensor([True, False, True])
        r = CASES[name](T, x, c)
        if r.requires_grad:
            (r * T.arange(1.0, 1.0 + r.numel()).reshape(r.shape)).sum().backward()
        return r, x.grad

    check_same(scenario)


ERRORS = {
    "where of an int64 condition": lambda T: T.where(T.tensor([1, 0]), T.ones(2), 0.0),
    "where of shapes that do not broadcast": lambda T: T.where(
        T.tensor([True, False]), T.ones(3), 0.0
    ),
    "masked_fill of an int64 mask": lambda T: T.ones(3).masked_fill(T.tensor([1, 0, 1]), 0),
    "masked_fill of a mask that does not broadcast": lambda T: T.ones(3).masked_fill(
        T.tensor([True, False]), 0
    ),
    "masked_fill_ larger than self": lambda T: T.ones(3).masked_fill_(
        T.tensor([[True], [False]]), 0
    ),
    "masked_fill_ of a leaf": lambda T: T.ones(3, requires_grad=True).masked_fill_(
        T.tensor([True, False, True]), 0
    ),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch_at_the_line(name):
    check_error_at_line(ERRORS[name])


CLAMPS = {
    "both bounds": lambda T, x, lo, hi: x.clamp(lo, hi),
    "min alone": lambda T, x, lo, hi: x.clamp(min=lo),
    "max alone, broadcast": lambda T, x, lo, hi: x.clamp(max=hi.reshape(2, 1)),
    "promoted to float64": lambda T, x, lo, hi: T.clamp(x, lo.double(), None),
    "max below min": lambda T, x, lo, hi: x.clip(lo + 1, lo),
}


@pytest.mark.parametrize("name", CLAMPS)
def test_clamp_with_tensor_bounds_matches_torch(name):
    def scenario(T):
        x = T.tensor([-2.0, 0.5, 3.0, 1.0], requires_grad=True)
        lo = T.tensor([0.0, 0.0, 0.0, 2.0], requires_grad=True)
        hi = T.tensor([1.0, 1.0, 1.0, 5.0], requires_grad=True)
        r = CLAMPS[name](T, x, lo, hi)
        (r * T.arange(1.0, 1.0 + r.numel()).reshape(r.shape)).sum().backward()
        names = [None if n is None else n.name() for n, _ in r.grad_fn.next_functions]
        return r, r.grad_fn.name(), names, x.grad, lo.grad, hi.grad

    check_same(scenario)


def test_clamp_with_integer_and_bool_tensor_bounds():
    def scenario(T):
        return (
            T.tensor([1, 5]).clamp(T.tensor([2, 2])),
            T.tensor([1, 5]).clamp(T.tensor([2.5, 2.0])),
            T.tensor([True, False]).clamp(max=T.tensor([True, True])),
        )

    check_same(scenario)


CLAMP_ERRORS = {
    "a tensor and a number": lambda T: T.ones(3).clamp(T.zeros(3), 2.0),
    "a number and a tensor": lambda T: T.ones(3).clamp(2.0, T.zeros(3)),
    "bounds that do not broadcast": lambda T: T.ones(3).clamp(T.zeros(2)),
    "bool with both bounds": lambda T: T.tensor([True]).clamp(T.tensor([False]), T.tensor([True])),
}


@pytest.mark.parametrize("name", CLAMP_ERRORS)
def test_clamp_errors_match_torch_at_the_line(name):
    check_error_at_line(CLAMP_ERRORS[name])


NONZERO = {
    "matrix": lambda T, x: T.nonzero(x),
    "matrix as tuple": lambda T, x: x.nonzero(as_tuple=True),
    "where alone": lambda T, x: T.where(x > 0.5),
    "0-d, nonzero": lambda T, x: T.nonzero(T.tensor(3.0)),
    "0-d, zero": lambda T, x: T.tensor(0.0).nonzero(),
    "0-d as tuple": lambda T, x: T.tensor(True).nonzero(as_tuple=True),
    "empty": lambda T, x: T.zeros(0, 3).nonzero(),
    "bool": lambda T, x: (x > 1).nonzero(),
}


@pytest.mark.parametrize("name", NONZERO)
def test_nonzero_matches_torch(name):
    """Read once (the result's size depends on the values), then int64 tensors without
    history."""

    def scenario(T):
        x = T.tensor([[0.0, 1.0, 0.0], [2.0, 0.0, 3.0]], requires_grad=True)
        return NONZERO[name](T, x)

    check_same(scenario)
