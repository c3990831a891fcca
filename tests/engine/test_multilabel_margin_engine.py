"""multilabel_margin_loss in the engine against torch 2.13: targets ending at their first
negative value, repeated targets, 0-d and (C,) inputs, every reduction, values and
gradients equal to torch's bit for bit (the same loops in the same order)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from gradrpc.engine import graph
from gradrpc.engine.errors import ComputeError

TARGETS = {
    "ended": [[3, 0, -1, 1, 2], [1, 2, 3, -1, 0], [0, 1, 2, 3, 4], [-1, 2, 0, 0, 0]],
    "repeats": [[1, 1, 4, -1, -1], [2, 0, 2, 0, -1], [4, -1, 0, 0, 0], [0, 3, 3, 3, 3]],
}


def _both(x: np.ndarray, target: np.ndarray, reduction: str, upstream_seed: int = 1):
    mine = graph.Tensor(x.copy(), requires_grad=True)
    ours = graph.call(
        "multilabel_margin_loss", [mine, graph.Tensor(target)], {"reduction": reduction}
    )
    theirs_x = torch.tensor(x, requires_grad=True)
    theirs = F.multilabel_margin_loss(theirs_x, torch.tensor(target), reduction=reduction)
    upstream = np.random.default_rng(upstream_seed).standard_normal(ours.meta.shape)
    upstream = upstream.astype(x.dtype)
    (grad,) = graph.run_backward(
        [ours],
        [graph.Tensor(upstream.copy())],
        retain_graph=False,
        targets=[mine],
        accumulate=False,
    )
    (their_grad,) = torch.autograd.grad(theirs, theirs_x, torch.tensor(upstream))
    return ours, theirs, grad, their_grad


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("targets", sorted(TARGETS))
def test_values_and_gradients_equal_torch_s(dtype: str, reduction: str, targets: str) -> None:
    x = np.random.default_rng(7).standard_normal((4, 5)).astype(dtype)
    target = np.asarray(TARGETS[targets], np.int64)
    ours, theirs, grad, their_grad = _both(x, target, reduction)
    assert ours.grad_fn.name == theirs.grad_fn.name() == "MultilabelMarginLossBackward0"
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())
    assert ours.data.dtype == theirs.detach().numpy().dtype
    np.testing.assert_array_equal(grad, their_grad.numpy())


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize(("shape", "target"), [((5,), [2, 4, -1, 0, 0]), ((), 0), ((1,), [-1])])
def test_a_vector_or_a_number_gives_a_0_d_loss(reduction, shape, target) -> None:
    x = np.random.default_rng(3).standard_normal(shape)
    ours, theirs, grad, their_grad = _both(x, np.asarray(target, np.int64), reduction)
    assert ours.data.shape == tuple(theirs.shape) == ()
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())
    np.testing.assert_array_equal(grad, their_grad.numpy())


def test_nan_inputs_count_as_no_violation_as_in_torch() -> None:
    x = np.array([[np.nan, 0.5, 1.0, -2.0], [0.3, np.inf, -np.inf, 0.0]])
    target = np.array([[1, -1, 0, 0], [0, 2, -1, 0]])
    ours, theirs, grad, their_grad = _both(x, target, "none")
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())
    np.testing.assert_array_equal(grad, their_grad.numpy())


@pytest.mark.parametrize("bad", [[[4, 0, -1, 1]], [[-2, 0, 1, 2]], [[1, 0, -1, 5]]])
def test_a_target_outside_minus_one_to_c_is_torch_s_error(bad) -> None:
    x = np.zeros((1, 4), np.float32)
    with pytest.raises(RuntimeError, match="target' is out of range"):
        F.multilabel_margin_loss(torch.tensor(x), torch.tensor(bad))
    with pytest.raises(ComputeError, match=r"^argument #2 'target' is out of range$"):
        graph.call(
            "multilabel_margin_loss",
            [graph.Tensor(x), graph.Tensor(np.asarray(bad, np.int64))],
            {"reduction": "mean"},
        )
