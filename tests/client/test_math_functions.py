"""The transcendental functions rsqrt, log1p, expm1, log2, log10, erf, tan, asin, acos,
atan, sinh, cosh, asinh, acosh and atanh, as torch.<fn>, Tensor.<fn> and Tensor.<fn>_,
against torch 2.13: values, gradients and graphs in float32 and float64, integer inputs
promoted to float32, the in-place forms' nodes and their refusal of an integer tensor, and
the edges of each domain."""

from __future__ import annotations

import numpy as np
import pytest
from clientkit import check_error_at_line, check_raised_at_the_next_read, check_same, graph_of

FUNCTIONS = {
    # name: values inside its domain
    "rsqrt": np.linspace(0.1, 4.0, 7),
    "log1p": np.linspace(-0.9, 3.0, 7),
    "expm1": np.linspace(-3.0, 3.0, 7),
    "log2": np.linspace(0.1, 8.0, 7),
    "log10": np.linspace(0.1, 100.0, 7),
    "erf": np.linspace(-3.0, 3.0, 7),
    "tan": np.linspace(-1.4, 1.4, 7),
    "asin": np.linspace(-0.95, 0.95, 7),
    "acos": np.linspace(-0.95, 0.95, 7),
    "atan": np.linspace(-5.0, 5.0, 7),
    "sinh": np.linspace(-3.0, 3.0, 7),
    "cosh": np.linspace(-3.0, 3.0, 7),
    "asinh": np.linspace(-5.0, 5.0, 7),
    "acosh": np.linspace(1.05, 6.0, 7),
    "atanh": np.linspace(-0.95, 0.95, 7),
}
DTYPES = ["float32", "float64"]
TOLERANCE = {"float32": {"rtol": 2e-6, "atol": 1e-6}, "float64": {"rtol": 1e-12, "atol": 1e-14}}
# each domain's edges and beyond, and the special values
EDGES = [-np.inf, -2.0, -1.0, -0.5, -0.0, 0.0, 1e-30, 0.5, 1.0, 2.0, 50.0, np.inf, np.nan]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_functions_match_torch(name: str, dtype: str) -> None:
    """torch.<fn>(x) and x.<fn>(): the values, the node and x's gradient."""

    def scenario(T):
        x = T.tensor(FUNCTIONS[name].tolist(), dtype=getattr(T, dtype), requires_grad=True)
        y = getattr(T, name)(x)
        z = getattr(x * 1, name)()
        (y * T.arange(1.0, 8.0, dtype=x.dtype)).sum().backward()
        return y, z, graph_of(y.grad_fn), x.grad

    check_same(scenario, **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_functions_at_their_domains_edges_match_torch(name: str, dtype: str) -> None:
    """nan, ±inf, ±0 and the points where a domain ends: torch's values, and the gradients
    torch gives there (inf and nan included)."""

    def scenario(T):
        x = T.tensor(EDGES, dtype=getattr(T, dtype), requires_grad=True)
        y = getattr(T, name)(x)
        y.backward(T.ones_like(y))
        return y, x.grad

    check_same(scenario, **TOLERANCE[dtype])


NO_IN_PLACE_DERIVATIVE = ("asinh", "acosh", "atanh")


@pytest.mark.parametrize("name", [n for n in FUNCTIONS if n not in NO_IN_PLACE_DERIVATIVE])
def test_in_place_forms_match_torch(name: str) -> None:
    """x.<fn>_() on a non-leaf: the same tensor back, torch's node, the gradient through it."""

    def scenario(T):
        x = T.tensor(FUNCTIONS[name].tolist(), dtype=T.float64, requires_grad=True)
        h = x * 1
        y = getattr(h, f"{name}_")()
        y.backward(T.linspace(-1.0, 1.0, 7, dtype=T.float64))
        return y is h, h, graph_of(h.grad_fn), x.grad

    check_same(scenario, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", NO_IN_PLACE_DERIVATIVE)
def test_in_place_forms_without_a_derivative_record_torch_s_node(name: str) -> None:
    """asinh_, acosh_ and atanh_ record torch's ...Backward1 and compute in place; its
    backward is torch's NotImplementedError, raised at the next read."""

    def graph(T):
        x = T.tensor(FUNCTIONS[name].tolist(), dtype=T.float64, requires_grad=True)
        h = x * 1
        y = getattr(h, f"{name}_")()
        return y is h, h, graph_of(h.grad_fn)

    check_same(graph, rtol=1e-12, atol=1e-14)

    def backward(T):
        x = T.tensor(FUNCTIONS[name].tolist(), dtype=T.float64, requires_grad=True)
        getattr(x * 1, f"{name}_")().sum().backward()
        return x.grad.tolist()

    check_raised_at_the_next_read(backward, "backward")


@pytest.mark.parametrize("name", FUNCTIONS)
def test_integer_and_bool_inputs_give_float32(name: str) -> None:
    check_same(
        lambda T: (
            getattr(T, name)(T.arange(1, 4)),
            getattr(T.tensor([True, False]), name)(),
        )
    )


ERRORS = {
    **{
        f"{name}_ of int64": lambda T, name=name: getattr(T.arange(1, 4), f"{name}_")()
        for name in FUNCTIONS
    },
    "log1p of a number": lambda T: T.log1p(1.0),
    "erf of a list": lambda T: T.erf([1.0]),
    "atanh_ of a leaf": lambda T: T.ones(2, requires_grad=True).atanh_(),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch_at_the_line(name: str) -> None:
    check_error_at_line(ERRORS[name])
