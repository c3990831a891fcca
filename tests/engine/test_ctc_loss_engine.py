"""ctc_loss in the engine against torch 2.13's CPU kernel: padded and concatenated targets,
repeated labels, another blank, short inputs, impossible alignments with and without
zero_infinity; the losses and gradients equal to torch's bit for bit (the same recursions in
the same order). torch's gradient assumes log-softmax inputs, so finite differences check it
through log_softmax, where it is the derivative."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gradrpc.engine import graph

PADDED = np.array([[1, 2, 2, 4], [3, 1, 0, 0], [5, 5, 5, 1], [4, 0, 0, 0]])
CONCATENATED = np.array([1, 2, 2, 3, 1, 5, 5, 4])
INPUT_LENGTHS = [8, 6, 7, 1]


def _call(log_probs, targets, target_lengths, **attrs):
    attrs = {"input_lengths": INPUT_LENGTHS, "target_lengths": target_lengths, **attrs}
    return graph.call("ctc_loss", [log_probs, graph.Tensor(targets)], attrs)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("targets", "target_lengths"),
    [(PADDED, [4, 2, 3, 0]), (CONCATENATED, [3, 2, 3, 0]), (PADDED, [4, 2, 3, 2])],
    ids=["padded", "concatenated", "impossible"],
)
@pytest.mark.parametrize("blank", [0, 6])
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_losses_and_gradients_equal_torch_s(
    dtype, targets, target_lengths, blank, zero_infinity
) -> None:
    logits = torch.randn(8, 4, 7, dtype=getattr(torch, dtype), generator=torch.manual_seed(3))
    log_probs = logits.log_softmax(2).detach()
    ours_in = graph.Tensor(log_probs.numpy().copy(), requires_grad=True)
    ours = _call(ours_in, targets, target_lengths, blank=blank, zero_infinity=zero_infinity)
    theirs_in = log_probs.clone().requires_grad_()
    theirs = torch.ops.aten._ctc_loss(
        theirs_in, torch.tensor(targets), INPUT_LENGTHS, target_lengths, blank, zero_infinity
    )[0]
    assert ours.grad_fn.name == theirs.grad_fn.name() == "CtcLossBackward0"
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())
    upstream = np.random.default_rng(1).standard_normal(4).astype(dtype)
    (grad,) = graph.run_backward(
        [ours],
        [graph.Tensor(upstream.copy())],
        retain_graph=False,
        targets=[ours_in],
        accumulate=False,
    )
    (their_grad,) = torch.autograd.grad(theirs, theirs_in, torch.tensor(upstream))
    np.testing.assert_array_equal(grad, their_grad.numpy())


def test_gradient_through_log_softmax_is_the_derivative() -> None:
    rng = np.random.default_rng(4)
    logits = rng.standard_normal((8, 4, 7))
    upstream = rng.standard_normal(4)
    target_lengths = [4, 2, 3, 1]

    def objective(values):
        log_probs = graph.call("log_softmax", [graph.Tensor(values)], {"dim": 2})
        return float(np.sum(upstream * _call(log_probs, PADDED, target_lengths).data))

    x = graph.Tensor(logits.copy(), requires_grad=True)
    loss = _call(graph.call("log_softmax", [x], {"dim": 2}), PADDED, target_lengths)
    (grad,) = graph.run_backward(
        [loss], [graph.Tensor(upstream)], retain_graph=False, targets=[x], accumulate=False
    )
    numerical = np.zeros_like(logits)
    eps = 1e-6
    for i in np.ndindex(logits.shape):
        up, down = logits.copy(), logits.copy()
        up[i] += eps
        down[i] -= eps
        numerical[i] = (objective(up) - objective(down)) / (2 * eps)
    np.testing.assert_allclose(grad, numerical, rtol=1e-5, atol=1e-6)
