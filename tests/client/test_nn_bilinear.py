"""nn.Bilinear and nn.functional.bilinear against torch 2.13: values and gradients of both
inputs, the weight and the bias for 1-D to 3-D inputs (contiguous or not) in float32 and
float64, the graph torch records (views or clone around TrilinearBackward0, then
AddBackward0), the module's repr, parameters, init bounds and state_dict, training, and
torch's errors in torch's order at the line."""

from __future__ import annotations

import math

import gradrpc
import numpy as np
import pytest
from clientkit import assert_trains_alike, check_error_at_line, check_same, graph_of, train_alike

TOLERANCE = {"float32": {"rtol": 2e-5, "atol": 2e-6}, "float64": {"rtol": 1e-11, "atol": 1e-12}}
SHAPES = {  # input1, input2 (the weight is (5, in1, in2))
    "matrices": ((4, 3), (4, 2)),
    "vectors": ((3,), (2,)),
    "3-D": ((2, 4, 3), (2, 4, 2)),
    "no rows": ((0, 3), (0, 2)),
}


def _values(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).tolist()


@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", SHAPES)
def test_values_gradients_and_graph_match_torch(case, dtype, with_bias) -> None:
    shape1, shape2 = SHAPES[case]

    def scenario(T):
        kind = getattr(T, dtype)
        x1 = T.tensor(_values(shape1, 0), dtype=kind, requires_grad=True)
        x2 = T.tensor(_values(shape2, 1), dtype=kind, requires_grad=True)
        w = T.tensor(_values((5, shape1[-1], shape2[-1]), 2), dtype=kind, requires_grad=True)
        b = T.tensor(_values((5,), 3), dtype=kind, requires_grad=True)
        y = T.nn.functional.bilinear(x1, x2, w, b if with_bias else None)
        y.backward(T.tensor(_values(y.shape, 4), dtype=kind))
        return y, graph_of(y.grad_fn), x1.grad, x2.grad, w.grad, b.grad

    check_same(scenario, **TOLERANCE[dtype])


def test_non_contiguous_inputs_match_torch() -> None:
    def scenario(T):
        x1 = T.tensor(_values((3, 4, 3), 5), requires_grad=True)
        x2 = T.tensor(_values((4, 3, 2), 6), requires_grad=True)
        w = T.tensor(_values((5, 3, 2), 7), requires_grad=True)
        y = T.nn.functional.bilinear(x1.transpose(0, 1), x2, w)
        y.sum().backward()
        return y, graph_of(y.grad_fn), x1.grad, x2.grad, w.grad

    check_same(scenario, **TOLERANCE["float32"])


def test_module_matches_torch() -> None:
    def scenario(T):
        m = T.nn.Bilinear(3, 2, 4)
        plain = T.nn.Bilinear(3, 2, 4, bias=False, dtype=T.float64)
        return (
            repr(m),
            repr(plain),
            [(name, tuple(p.shape), p.dtype) for name, p in m.named_parameters()],
            [(name, tuple(p.shape), p.dtype) for name, p in plain.named_parameters()],
            list(m.state_dict()),
        )

    check_same(scenario)
    m = gradrpc.nn.Bilinear(4, 2, 300)
    for p in (m.weight, m.bias):
        values = p.detach().numpy()
        assert np.abs(values).max() <= 1 / math.sqrt(4) and np.abs(values).max() > 0.45


def test_module_trains_like_torch() -> None:
    def build(nn):
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.bilinear = nn.Bilinear(3, 3, 1)

            def forward(self, x):
                return self.bilinear(x, x.tanh())

        return Net()

    def data(T):
        return T.tensor(_values((8, 3), 8)), T.tensor(_values((8, 1), 9))

    runs = train_alike(
        build, lambda T, params: T.optim.SGD(params, lr=0.05), lambda T: T.nn.MSELoss(), data
    )
    assert_trains_alike(runs)


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.nn.functional.bilinear([1.0], T.ones(2, 4), T.ones(5, 3, 4)),
        lambda T: T.nn.functional.bilinear(T.ones(2, 3), T.ones(2, 4), 1.0),
        lambda T: T.nn.functional.bilinear(T.ones(2, 3), T.ones(2, 4), T.ones(5, 3, 4), 2.0),
        lambda T: T.nn.functional.bilinear(
            T.ones(2, 3), T.ones(2, 4, dtype=T.float64), T.ones(5, 3, 4)
        ),
        lambda T: T.nn.functional.bilinear(
            T.ones(2, 3), T.ones(2, 4), T.ones(5, 3, 4), T.ones(5, dtype=T.float64)
        ),
        lambda T: T.nn.functional.bilinear(T.ones(2, 3), T.ones(1, 2, 4), T.ones(5, 3, 4)),
        lambda T: T.nn.functional.bilinear(T.ones(2, 3), T.ones(3, 4), T.ones(5, 3, 4)),
        lambda T: T.nn.functional.bilinear(T.ones(2, 4), T.ones(2, 4), T.ones(5, 3, 4)),
        lambda T: T.nn.functional.bilinear(T.ones(2, 3), T.ones(2, 3), T.ones(5, 3, 4)),
        lambda T: T.nn.functional.bilinear(T.ones(2, 3), T.ones(2, 4), T.ones(5, 3, 4), T.ones(4)),
        lambda T: T.nn.Bilinear(0, 2, 3),
    ],
    ids=[
        "input1 not a tensor",
        "weight not a tensor",
        "bias not a tensor",
        "input dtypes",
        "bias dtype",
        "ranks",
        "batch dims",
        "input1 size",
        "input2 size",
        "bias size",
        "in1_features 0",
    ],
)
def test_errors_match_torch_at_the_line(call) -> None:
    check_error_at_line(call)
