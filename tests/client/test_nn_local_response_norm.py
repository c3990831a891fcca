"""nn.LocalResponseNorm and nn.functional.local_response_norm against torch 2.13: values and
gradients in float32 and float64 for 3D to 5D inputs and several window sizes, torch's graph
(avg_pool2d for 3D inputs, avg_pool3d for more dims), reprs and errors."""

from __future__ import annotations

import numpy as np
import pytest
from clientkit import check_error_at_line, check_same, graph_of

TOLERANCE = {"float32": {"rtol": 2e-5, "atol": 2e-6}, "float64": {"rtol": 1e-11, "atol": 1e-12}}
SHAPES = {"3D": (2, 5, 4), "4D": (2, 6, 3, 2), "5D": (2, 4, 2, 3, 2), "one channel": (3, 1, 4)}


def _values(shape, seed):
    return (np.random.default_rng(seed).standard_normal(shape) * 2).tolist()


@pytest.mark.parametrize("size", [1, 2, 3, 6])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", SHAPES)
def test_values_and_gradients_match_torch(case, dtype, size) -> None:
    shape = SHAPES[case]

    def scenario(T):
        x = T.tensor(_values(shape, 0), dtype=getattr(T, dtype), requires_grad=True)
        y = T.nn.functional.local_response_norm(x, size, alpha=0.3, beta=0.6, k=2.0)
        y.backward(T.tensor(_values(shape, 1), dtype=getattr(T, dtype)))
        return y, x.grad, graph_of(y.grad_fn)

    check_same(scenario, **TOLERANCE[dtype])


def test_module_and_empty_input_match_torch() -> None:
    def scenario(T):
        m = T.nn.LocalResponseNorm(3)
        x = T.tensor(_values((2, 4, 3), 2), requires_grad=True)
        empty = T.ones(0, 3, 4)
        y = m(x)
        y.sum().backward()
        return repr(m), repr(T.nn.LocalResponseNorm(2, 0.1, 0.5, 2)), y, x.grad, m(empty) is empty

    check_same(scenario, **TOLERANCE["float32"])


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.nn.functional.local_response_norm(T.ones(2, 3), 2),
        lambda T: T.nn.LocalResponseNorm(2)(T.ones(3)),
        lambda T: T.nn.functional.local_response_norm(T.ones(2, 3, 4), 0),
        lambda T: T.nn.functional.local_response_norm(T.ones(2, 3, 4, 2), -1),
        lambda T: T.nn.functional.local_response_norm(T.ones(2, 3, 4, 2, 2), 0),
    ],
    ids=["2D", "module 1D", "size 0", "size -1", "size 0 4D"],
)
def test_errors_match_torch_at_the_line(call) -> None:
    check_error_at_line(call)
