"""nn.LPPool1d/2d/3d and F.lp_pool1d/2d/3d against torch 2.13: torch's composition of avg_pool,
pow, sign, relu and mul (so the graph is torch's), values and gradients in float32 and
float64, the ±inf norms (max pooling of |x|), batched and unbatched inputs, the modules'
reprs and torch's errors at the line."""

from __future__ import annotations

import math

import numpy as np
import pytest
from clientkit import check_error_at_line, check_same, graph_of

TOLERANCE = {"float32": {"rtol": 2e-6, "atol": 1e-7}, "float64": {"rtol": 1e-12, "atol": 1e-12}}


def _values(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).tolist()


CASES = {
    "1d p=2": ("lp_pool1d", (2, 3, 9), (2, 3), {}),
    "1d p=3 stride 2 ceil_mode": ("lp_pool1d", (3, 10), (3.0, 3), {"stride": 2, "ceil_mode": True}),
    "1d p=inf": ("lp_pool1d", (2, 3, 9), (math.inf, 2), {}),
    "2d p=2": ("lp_pool2d", (2, 3, 6, 7), (2, 2), {}),
    "2d p=1.5 3x2 stride 1": ("lp_pool2d", (2, 6, 7), (1.5, (3, 2)), {"stride": 1}),
    "2d p=-inf": ("lp_pool2d", (2, 3, 6, 7), (-math.inf, 3), {"stride": (2, 1)}),
    "2d ceil_mode": ("lp_pool2d", (1, 2, 7, 7), (2.0, 3), {"stride": 2, "ceil_mode": True}),
    "3d p=2": ("lp_pool3d", (2, 2, 4, 6, 5), (2, 2), {}),
    "3d p=4 2x3x2 stride 1": ("lp_pool3d", (2, 4, 6, 5), (4, (2, 3, 2)), {"stride": 1}),
    "3d p=inf ceil_mode": (
        "lp_pool3d",
        (1, 2, 5, 5, 5),
        (math.inf, 2),
        {"stride": 2, "ceil_mode": True},
    ),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES)
def test_lp_pool_values_gradients_and_graph_match_torch(case, dtype) -> None:
    name, shape, args, kwargs = CASES[case]

    def scenario(T):
        kind = getattr(T, dtype)
        x = T.tensor(_values(shape, 0), dtype=kind, requires_grad=True)
        y = getattr(T.nn.functional, name)(x, *args, **kwargs)
        y.backward(T.tensor(_values(tuple(y.shape), 1), dtype=kind))
        return y, graph_of(y.grad_fn), x.grad

    check_same(scenario, **TOLERANCE[dtype])


def test_a_window_of_zeros_has_torch_s_gradient() -> None:
    """sign(0) * relu(0) is 0, whose power 1/p has torch's gradient (nan for p > 1 where
    0 ** (1/p - 1) is inf times 0)."""

    def scenario(T):
        x = T.tensor([[[0.0, 0.0, 1.0, -2.0, 0.0, 3.0]]], requires_grad=True)
        y = T.nn.functional.lp_pool1d(x, 2, 2)
        y.sum().backward()
        return y, x.grad

    check_same(scenario)


MODULES = {
    "LPPool1d": lambda nn: nn.LPPool1d(2, 3),
    "LPPool1d everything": lambda nn: nn.LPPool1d(3, 2, stride=1, ceil_mode=True),
    "LPPool2d": lambda nn: nn.LPPool2d(2, 2),
    "LPPool2d everything": lambda nn: nn.LPPool2d(1.5, (2, 3), stride=(1, 2), ceil_mode=True),
    "LPPool3d": lambda nn: nn.LPPool3d(2, 2),
    "LPPool3d inf": lambda nn: nn.LPPool3d(float("inf"), (2, 1, 2), stride=1),
}
INPUTS = {"LPPool1d": (2, 3, 8), "LPPool2d": (2, 3, 6, 7), "LPPool3d": (2, 2, 4, 6, 5)}


@pytest.mark.parametrize("name", MODULES)
def test_lp_pool_modules_match_torch(name) -> None:
    def scenario(T):
        m = MODULES[name](T.nn)
        x = T.tensor(_values(INPUTS[name.split()[0]], 2), requires_grad=True)
        y = m(x)
        y.sum().backward()
        attributes = [getattr(m, a) for a in ("norm_type", "kernel_size", "stride", "ceil_mode")]
        return repr(m), attributes, list(m.state_dict()), y, graph_of(y.grad_fn), x.grad

    check_same(scenario)


ERRORS = {
    "1d kernel larger than the input": lambda T: T.nn.functional.lp_pool1d(T.ones(1, 2, 2), 2, 3),
    "2d 5-d input": lambda T: T.nn.functional.lp_pool2d(T.ones(1, 1, 2, 4, 4), 2, 2),
    "3d kernel of two": lambda T: T.nn.functional.lp_pool3d(T.ones(1, 4, 4, 4), 2, (2, 2)),
    "3d input smaller than the kernel": lambda T: T.nn.LPPool3d(2, 3)(T.ones(1, 2, 4, 4)),
}


@pytest.mark.parametrize("name", ERRORS)
def test_lp_pool_errors_match_torch_at_the_line(name: str) -> None:
    check_error_at_line(ERRORS[name])
