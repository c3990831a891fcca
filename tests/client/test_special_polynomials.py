"""torch.special's orthogonal polynomials (Chebyshev T, U, V, W and their shifted forms,
Hermite H and He, Laguerre L, Legendre P) against torch 2.13: values in float32 and float64
(bit for bit: the same recurrences, closed forms and fused multiply-adds), torch's special
cases (negative, fractional, nan and infinite n, x = ±1 and 0, |x| > 1, the Hermite order
limits), tensors or numbers on either side, broadcasting, promotion, no autograd, errors."""

from __future__ import annotations

import numpy as np
import pytest
from clientkit import check_error_at_line, check_same

DTYPES = ["float32", "float64"]
POLYNOMIALS = [
    "chebyshev_polynomial_t",
    "chebyshev_polynomial_u",
    "chebyshev_polynomial_v",
    "chebyshev_polynomial_w",
    "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w",
    "hermite_polynomial_h",
    "hermite_polynomial_he",
    "laguerre_polynomial_l",
    "legendre_polynomial_p",
]
# ±1, 0 and 1/2 (the ends of the shifted ones' domain), inside and beyond [-1, 1], ±inf
X = [-np.inf, -3.5, -1.0, -0.999, -0.7, -0.25, 0.0, 0.13, 0.5, 0.8, 1.0, 1.5, 4.0, np.inf]
# negative, fractional (truncated toward 0), each side of the closed forms' thresholds
N = [-3.0, -0.5, 0.0, 0.9, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 12.7, 25.0, 60.0]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", POLYNOMIALS)
def test_values_match_torch_bit_for_bit(name: str, dtype: str) -> None:
    """Every x against every n (broadcast), and a dense grid of x for a few orders."""

    def scenario(T):
        function = getattr(T.special, name)
        x = T.tensor(X, dtype=getattr(T, dtype)).reshape(-1, 1)
        n = T.tensor(N, dtype=getattr(T, dtype))
        grid = T.linspace(-1.5, 1.5, 601, dtype=getattr(T, dtype)).reshape(-1, 1)
        return function(x, n), function(grid, T.tensor([2.0, 7.0, 10.0, 33.0]))

    check_same(scenario, rtol=0, atol=0)


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_numbers_integers_and_bools(name: str) -> None:
    """A number x or n (an int, a float, a bool), integer and bool tensors (float32), a
    float64 tensor on either side."""

    def scenario(T):
        function = getattr(T.special, name)
        x = T.tensor([-0.6, 0.2, 0.9])
        return (
            function(x, 3),
            function(x, 4.7),
            function(x, True),
            function(0.3, T.tensor([0, 1, 5, 11])),
            function(-2, T.tensor([3.0, 4.0], dtype=T.float64)),
            function(T.tensor([1, 2, -1]), T.tensor([3, 2, 5])),
            function(T.tensor([True, False]), T.tensor([2, 3])),
            function(x, T.tensor([2, 9, 10], dtype=T.int16)),
            function(T.tensor([0.25, 0.5], dtype=T.float64), T.tensor(6.0)),
        )

    check_same(scenario, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", POLYNOMIALS)
def test_nan_and_infinite_orders_and_a_nan_x(name: str, dtype: str) -> None:
    """A nan or infinite n (torch's int64 conversion: the polynomial is 0), orders past
    int64, a nan x at orders 0 and 1 (torch's value at higher orders is an uninitialized
    variable's for some of these)."""

    def scenario(T):
        function = getattr(T.special, name)
        x = T.tensor([0.3, -0.8, 2.0], dtype=getattr(T, dtype)).reshape(-1, 1)
        n = T.tensor([np.nan, np.inf, -np.inf, 1e30], dtype=getattr(T, dtype))
        nan = T.tensor([np.nan, np.nan], dtype=getattr(T, dtype))
        return function(x, n), function(nan, T.tensor([0.0, 1.0], dtype=getattr(T, dtype)))

    check_same(scenario, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["hermite_polynomial_h", "hermite_polynomial_he"])
def test_hermite_order_limits(name: str, dtype: str) -> None:
    """nan past order 128 in float32 and 512 in float64, as torch's."""

    def scenario(T):
        x = T.tensor([0.01, -0.02, 0.5], dtype=getattr(T, dtype)).reshape(-1, 1)
        n = T.tensor([20.0, 128.0, 129.0, 512.0, 513.0], dtype=getattr(T, dtype))
        return getattr(T.special, name)(x, n)

    check_same(scenario, rtol=0, atol=0)


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_not_differentiable(name: str) -> None:
    def scenario(T):
        x = T.tensor([0.2, 0.4], requires_grad=True)
        n = T.tensor([2.0, 3.0], requires_grad=True)
        y = getattr(T.special, name)(x, n)
        z = getattr(T.special, name)(x, 3)
        return y.requires_grad, y.grad_fn, z.requires_grad, (y + x).grad_fn.name()

    check_same(scenario)


ERRORS = {
    "two numbers": lambda T: T.special.chebyshev_polynomial_t(0.5, 3),
    "None n": lambda T: T.special.legendre_polynomial_p(T.tensor([2.0]), None),
    "a string x": lambda T: T.special.hermite_polynomial_h("x", T.tensor([2.0])),
    "a list n": lambda T: T.special.laguerre_polynomial_l(T.tensor([2.0]), [1, 2]),
    "shapes": lambda T: T.special.chebyshev_polynomial_u(T.tensor([1.0, 2]), T.tensor([1, 2, 3])),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors(name: str) -> None:
    if name == "shapes":
        check_same(ERRORS[name])
    else:
        check_error_at_line(ERRORS[name])
