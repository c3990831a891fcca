"""var and std against torch: torch's three signatures (dim and unbiased, dim and correction,
unbiased alone), values, VarBackward0 and StdBackward0 with their gradients (0 where std is
0), torch's warning when N <= correction, and its errors at the line."""

from __future__ import annotations

import warnings

import pytest
from clientkit import check_error_at_line, check_same

CASES = {
    "all": lambda T, x: x.var(),
    "std of all": lambda T, x: x.std(),
    "a dim": lambda T, x: x.var(0),
    "keepdim": lambda T, x: x.std(1, keepdim=True),
    "dims, biased": lambda T, x: x.var((0, 2), False),
    "correction 0": lambda T, x: x.std(dim=-1, correction=0),
    "fractional correction": lambda T, x: x.var(dim=[1, 2], correction=1.5),
    "torch.var positional": lambda T, x: T.var(x, 1, True, True),
    "unbiased alone": lambda T, x: x.var(False),
    "torch.std unbiased=False": lambda T, x: T.std(x, unbiased=False),
    "one element": lambda T, x: x[:1, :1, :1].var(0),
    "N <= correction": lambda T, x: x.std(correction=24),
    "std of constants": lambda T, x: (x * 0).std(0),
    "float64": lambda T, x: x.double().var([1, 2]),
    "0-d": lambda T, x: x[0, 0, 0].std(),
    "normalizing": lambda T, x: (x - x.mean(0)) / x.std(0),
}


@pytest.mark.parametrize("name", CASES)
def test_matches_torch(name):
    def scenario(T):
        x = (T.arange(1.0, 25.0).reshape(2, 3, 4) ** 1.5).requires_grad_()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            r = CASES[name](T, x)
        (r * T.arange(1.0, 1.0 + r.numel()).reshape(r.shape)).sum().backward()
        return r, x.grad, [str(w.message) for w in caught]

    check_same(scenario, rtol=1e-5, atol=1e-6)


ERRORS = {
    "an int64 tensor": lambda T: T.ones(3, dtype=T.int64).var(),
    "a dim out of range": lambda T: T.ones(2, 3).std(5),
    "a repeated dim": lambda T: T.ones(2, 3).var((1, 1)),
    "unbiased and correction": lambda T: T.ones(2, 3).var(0, True, correction=1),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch_at_the_line(name):
    check_error_at_line(ERRORS[name])
