"""nn.LayerNorm and nn.functional.layer_norm against torch 2.13: values and gradients of the
input, weight and bias in float32 and float64 (with and without the affine parameters), the
graph torch records, reprs, parameters and state_dict, torch's errors in torch's order at the
line, the checks on saved tensors, and a training loop."""

from __future__ import annotations

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import assert_trains_alike, check_error_at_line, check_same, graph_of, train_alike

TOLERANCE = {"float32": {"rtol": 2e-5, "atol": 2e-6}, "float64": {"rtol": 1e-11, "atol": 1e-12}}
SHAPES = {  # input shape, normalized_shape
    "rows": ((4, 6), (6,)),
    "last two dims": ((2, 3, 4), (3, 4)),
    "all dims": ((3, 5), (3, 5)),
    "one vector": ((7,), (7,)),
    "no rows": ((0, 4), (4,)),
}


def _values(shape, seed, scale=3.0, shift=1.5):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * scale + shift).tolist()


@pytest.mark.parametrize("affine", ["weight and bias", "weight only", "bias only", "neither"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", SHAPES)
def test_layer_norm_values_gradients_and_graph_match_torch(case, dtype, affine) -> None:
    shape, normalized = SHAPES[case]

    def scenario(T):
        kind = getattr(T, dtype)
        x = T.tensor(_values(shape, 0), dtype=kind, requires_grad=True)
        w = T.tensor(_values(normalized, 1, 1.0, 0.0), dtype=kind, requires_grad=True)
        b = T.tensor(_values(normalized, 2, 1.0, 0.0), dtype=kind, requires_grad=True)
        weight = w if "weight" in affine else None
        bias = b if affine in ("weight and bias", "bias only") else None
        y = T.nn.functional.layer_norm(x, normalized, weight, bias)
        y.backward(T.tensor(_values(shape, 3, 1.0, 0.0), dtype=kind))
        return y, graph_of(y.grad_fn), x.grad, w.grad, b.grad

    check_same(scenario, **TOLERANCE[dtype])


def test_layer_norm_of_constant_rows_is_the_bias_and_eps_counts() -> None:
    """A constant row has variance 0: (x - μ) ρ is 0 and the output the bias; a large eps
    shrinks the output as torch's does."""

    def scenario(T):
        x = T.tensor([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]], requires_grad=True)
        b = T.tensor([0.5, -1.0, 2.0])
        constant = T.nn.functional.layer_norm(x, [3], None, b)
        damped = T.nn.functional.layer_norm(x, (3,), eps=10.0)
        (constant.sum() + (damped * damped).sum()).backward()
        return constant, damped, x.grad

    check_same(scenario, **TOLERANCE["float32"])


def test_layer_norm_module_matches_torch() -> None:
    """Parameters start at ones and zeros, the repr is torch's, and forward and backward agree."""

    def scenario(T):
        m = T.nn.LayerNorm([3, 4], eps=1e-3)
        x = T.tensor(_values((2, 3, 4), 5), requires_grad=True)
        y = m(x)
        (y * T.tensor(_values((2, 3, 4), 6))).sum().backward()
        return (
            repr(m),
            list(m.state_dict()),
            m.weight,
            m.bias,
            y,
            x.grad,
            m.weight.grad,
            m.bias.grad,
        )

    check_same(scenario, **TOLERANCE["float32"])


@pytest.mark.parametrize(
    "build",
    [
        lambda nn: nn.LayerNorm(5),
        lambda nn: nn.LayerNorm((2, 5), elementwise_affine=False),
        lambda nn: nn.LayerNorm([5], bias=False),
        lambda nn: nn.LayerNorm(
            5, eps=0.1, dtype=gradrpc.float64 if nn is gradrpc.nn else torch.float64
        ),
        lambda nn: nn.Sequential(nn.Linear(4, 5), nn.LayerNorm(5), nn.ReLU()),
    ],
)
def test_layer_norm_module_repr_parameters_and_dtype_match_torch(build) -> None:
    def scenario(T):
        m = build(T.nn)
        return repr(m), [(n, p.dtype, tuple(p.shape)) for n, p in m.named_parameters()]

    check_same(scenario)


def test_layer_norm_reset_parameters_restores_ones_and_zeros() -> None:
    def scenario(T):
        m = T.nn.LayerNorm(3)
        with T.no_grad():
            m.weight.mul_(4.0)
            m.bias.add_(2.0)
        m.reset_parameters()
        return m.weight, m.bias

    check_same(scenario)


ERRORS = {
    "int normalized_shape": lambda T: T.nn.functional.layer_norm(T.ones(2, 3), 3),
    "float in normalized_shape": lambda T: T.nn.functional.layer_norm(T.ones(2, 3), (3.0,)),
    "None normalized_shape": lambda T: T.nn.functional.layer_norm(T.ones(2, 3), None),
    "empty normalized_shape": lambda T: T.nn.functional.layer_norm(T.ones(2, 3), ()),
    "input shape": lambda T: T.nn.functional.layer_norm(T.ones(2, 3), (4,)),
    "too many dims": lambda T: T.nn.functional.layer_norm(T.ones(3), (1, 3)),
    "weight shape": lambda T: T.nn.functional.layer_norm(T.ones(2, 3), (3,), T.ones(4)),
    "bias shape": lambda T: T.nn.functional.layer_norm(T.ones(2, 3), (3,), None, T.ones(2, 2)),
    "weight not a tensor": lambda T: T.nn.functional.layer_norm(T.ones(2, 3), (3,), 1.0),
    "bias not a tensor": lambda T: T.nn.functional.layer_norm(T.ones(2, 3), (3,), None, [0.0]),
    "eps not a number": lambda T: T.nn.functional.layer_norm(T.ones(2, 3), (3,), eps="a"),
    "input not a tensor": lambda T: T.nn.functional.layer_norm([1.0, 2.0], (2,)),
    "int input": lambda T: T.nn.functional.layer_norm(T.ones(2, 3, dtype=T.int64), (3,)),
    "bool input": lambda T: T.nn.functional.layer_norm(T.ones(2, 3, dtype=T.bool), (3,)),
    "double input, float weight": lambda T: T.nn.functional.layer_norm(
        T.ones(2, 3, dtype=T.float64), (3,), T.ones(3)
    ),
    "float input, double weight": lambda T: T.nn.functional.layer_norm(
        T.ones(2, 3), (3,), T.ones(3, dtype=T.float64)
    ),
    "float input and weight, double bias": lambda T: T.nn.functional.layer_norm(
        T.ones(2, 3), (3,), T.ones(3), T.ones(3, dtype=T.float64)
    ),
    "double input, no weight, float bias": lambda T: T.nn.functional.layer_norm(
        T.ones(2, 3, dtype=T.float64), (3,), None, T.ones(3)
    ),
    "long input, long weight, float bias": lambda T: T.nn.functional.layer_norm(
        T.ones(2, 3, dtype=T.int64), (3,), T.ones(3, dtype=T.int64), T.ones(3)
    ),
    "mixed dtype checked before shapes": lambda T: T.nn.functional.layer_norm(
        T.ones(2, 3, dtype=T.float64), (4,), T.ones(3)
    ),
    "shape checked before dtype": lambda T: T.nn.functional.layer_norm(
        T.ones(2, 3, dtype=T.int64), (4,)
    ),
}


@pytest.mark.parametrize("name", ERRORS)
def test_layer_norm_errors_match_torch_at_the_line(name: str) -> None:
    check_error_at_line(ERRORS[name])


def test_in_place_change_of_a_saved_tensor_fails_backward_as_torch_s() -> None:
    """The node saves input, weight and bias: changing any in place makes backward fail
    (gradrpc's at the next read, naming the backward's line)."""
    for changed in ("input", "weight", "bias"):

        def scenario(T, changed=changed):
            x = T.ones(2, 3).cumsum(1) if T is torch else T.tensor([[1.0, 2, 3], [1, 2, 3]])
            x.requires_grad_(True)
            h = x * 1
            w, b = T.ones(3, requires_grad=True) * 1, T.zeros(3, requires_grad=True) * 1
            y = T.nn.functional.layer_norm(h, (3,), w, b)
            {"input": h, "weight": w, "bias": b}[changed].add_(1.0)
            y.sum().backward()
            return x.grad.sum().item()  # gradrpc's server-side check surfaces at this read

        with pytest.raises(RuntimeError) as theirs:
            scenario(torch)
        with pytest.raises(RuntimeError) as ours:
            scenario(gradrpc)
        assert str(ours.value).split("\n")[0] == str(theirs.value), changed
    assert (gradrpc.ones(2) * 3).sum().item() == 6.0  # the session stays usable


def test_training_loop_with_layer_norm_matches_torch() -> None:
    """Ten SGD steps of Linear, LayerNorm, ReLU, Linear from torch's initial weights."""
    torch.manual_seed(0)

    def build(nn):
        return nn.Sequential(nn.Linear(6, 8), nn.LayerNorm(8), nn.ReLU(), nn.Linear(8, 2))

    rng = np.random.default_rng(7)
    x, y = rng.standard_normal((16, 6)).tolist(), rng.standard_normal((16, 2)).tolist()
    runs = train_alike(
        build,
        lambda T, parameters: T.optim.SGD(parameters, lr=0.1, momentum=0.9),
        lambda T: T.nn.functional.mse_loss,
        lambda T: (T.tensor(x), T.tensor(y)),
    )
    assert_trains_alike(runs)
