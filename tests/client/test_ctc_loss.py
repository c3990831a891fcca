"""F.ctc_loss and nn.CTCLoss against torch: padded and concatenated targets, lengths as lists
or tensors, every reduction, zero_infinity, another blank and unbatched inputs; the same
grad_fn graphs (CtcLossBackward0 under torch's Div/Mean/Sum/Where/Squeeze), values and
gradients equal to torch's bit for bit, the module's repr, torch's errors, and training."""

from __future__ import annotations

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import assert_trains_alike, check_error_at_line, graph_of, train_alike

LOGITS = np.random.default_rng(21).standard_normal((8, 3, 6))
PADDED = [[1, 2, 2, 4], [3, 1, 0, 0], [5, 5, 1, 1]]
CONCATENATED = [1, 2, 2, 4, 3, 1, 5, 5, 1]
INPUT_LENGTHS = [8, 6, 3]
TARGET_LENGTHS = [4, 2, 3]  # the last needs 4 steps: an infinite loss


def _run(T, dtype, targets, lengths_as_tensors: bool, unbatched: bool = False, **kwargs):
    log_probs = T.tensor(torch.tensor(LOGITS, dtype=getattr(torch, dtype)).log_softmax(2).numpy())
    il, tl = INPUT_LENGTHS, TARGET_LENGTHS
    if unbatched:
        log_probs, targets, il, tl = log_probs[:, 0].detach(), targets[0], il[0], tl[0]
    log_probs.requires_grad_()
    if lengths_as_tensors or unbatched:
        il, tl = T.tensor(il), T.tensor(tl)
    out = T.nn.functional.ctc_loss(log_probs, T.tensor(targets), il, tl, **kwargs)
    return out, log_probs


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("targets", [PADDED, CONCATENATED], ids=["padded", "concatenated"])
@pytest.mark.parametrize("tensors", [False, True], ids=["lists", "tensors"])
def test_functional_matches_torch(dtype, reduction, zero_infinity, targets, tensors) -> None:
    kwargs = {"reduction": reduction, "zero_infinity": zero_infinity}
    theirs, their_input = _run(torch, dtype, targets, tensors, **kwargs)
    ours, our_input = _run(gradrpc, dtype, targets, tensors, **kwargs)
    assert graph_of(ours.grad_fn) == graph_of(theirs.grad_fn)
    assert (ours.shape, str(ours.dtype)) == (theirs.shape, str(theirs.dtype))
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    upstream = torch.rand(theirs.shape, dtype=theirs.dtype) + 0.5
    theirs.backward(upstream)
    ours.backward(gradrpc.tensor(upstream.numpy()))
    np.testing.assert_array_equal(our_input.grad.numpy(), their_input.grad.numpy())


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("blank", [0, 5])
def test_unbatched_input_and_another_blank_match_torch(reduction, blank) -> None:
    targets = [[1, 2, 2, 4]]
    theirs, their_input = _run(
        torch, "float64", targets, False, True, reduction=reduction, blank=blank
    )
    ours, our_input = _run(
        gradrpc, "float64", targets, False, True, reduction=reduction, blank=blank
    )
    assert graph_of(ours.grad_fn) == graph_of(theirs.grad_fn)
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    theirs.sum().backward()
    ours.sum().backward()
    np.testing.assert_array_equal(our_input.grad.numpy(), their_input.grad.numpy())


@pytest.mark.parametrize(
    "kwargs", [{}, {"blank": 2, "reduction": "sum", "zero_infinity": True}, {"reduction": "none"}]
)
def test_module_matches_torch(kwargs) -> None:
    theirs, ours = torch.nn.CTCLoss(**kwargs), gradrpc.nn.CTCLoss(**kwargs)
    assert repr(ours) == repr(theirs) == "CTCLoss()"
    assert (ours.blank, ours.reduction, ours.zero_infinity) == (
        theirs.blank,
        theirs.reduction,
        theirs.zero_infinity,
    )
    results = []
    for T, loss in ((torch, theirs), (gradrpc, ours)):
        log_probs = T.tensor(LOGITS).log_softmax(2).detach().requires_grad_()
        out = loss(log_probs, T.tensor(PADDED), INPUT_LENGTHS, TARGET_LENGTHS)
        out.sum().backward()
        results.append((out.detach().numpy(), log_probs.grad.numpy()))
    for theirs_value, ours_value in zip(*results, strict=True):
        np.testing.assert_array_equal(ours_value, theirs_value)


ERRORS = {
    "2-d input, 2 lengths": lambda T: T.nn.functional.ctc_loss(
        T.zeros(6, 5), T.tensor([[1]]), [6, 5], [1, 1]
    ),
    "1-d input": lambda T: T.nn.functional.ctc_loss(T.zeros(5), T.tensor([1]), [6], [1]),
    "4-d input": lambda T: T.nn.functional.ctc_loss(T.zeros(1, 6, 2, 5), T.tensor([1]), [6], [1]),
    "integral input": lambda T: T.nn.functional.ctc_loss(
        T.zeros(6, 2, 5, dtype=T.long), T.tensor([[1], [1]]), [6, 5], [1, 1]
    ),
    "3-d targets": lambda T: T.nn.functional.ctc_loss(
        T.zeros(6, 2, 5), T.ones(2, 1, 1, dtype=T.long), [6, 5], [1, 1]
    ),
    "blank": lambda T: T.nn.functional.ctc_loss(
        T.zeros(6, 2, 5), T.tensor([[1], [1]]), [6, 5], [1, 1], blank=5
    ),
    "input_lengths size": lambda T: T.nn.functional.ctc_loss(
        T.zeros(6, 2, 5), T.tensor([[1], [1]]), [6], [1, 1]
    ),
    "target_lengths size": lambda T: T.nn.functional.ctc_loss(
        T.zeros(6, 2, 5), T.tensor([[1], [1]]), [6, 5], [1]
    ),
    "negative target length": lambda T: T.nn.functional.ctc_loss(
        T.zeros(6, 2, 5), T.tensor([[1], [1]]), [6, 5], [-1, 1]
    ),
    "padded targets short": lambda T: T.nn.functional.ctc_loss(
        T.zeros(6, 2, 5), T.tensor([[1], [1]]), [6, 5], [2, 1]
    ),
    "padded targets rows": lambda T: T.nn.functional.ctc_loss(
        T.zeros(6, 2, 5), T.tensor([[1]]), [6, 5], [1, 1]
    ),
    "concatenated targets size": lambda T: T.nn.functional.ctc_loss(
        T.zeros(6, 2, 5), T.tensor([1, 2, 3]), [6, 5], [1, 1]
    ),
    "input length too long": lambda T: T.nn.functional.ctc_loss(
        T.zeros(6, 2, 5), T.tensor([[1], [1]]), [7, 5], [1, 1]
    ),
    "negative input length": lambda T: T.nn.functional.ctc_loss(
        T.zeros(6, 2, 5), T.tensor([[1], [1]]), [-1, 5], [1, 1]
    ),
    "float input lengths": lambda T: T.nn.functional.ctc_loss(
        T.zeros(6, 2, 5), T.tensor([[1], [1]]), T.tensor([6.0, 5.0]), T.tensor([1, 1])
    ),
    "float target lengths": lambda T: T.nn.functional.ctc_loss(
        T.zeros(6, 2, 5), T.tensor([[1], [1]]), T.tensor([6, 5]), T.tensor([1.0, 1.0])
    ),
    "reduction": lambda T: T.nn.functional.ctc_loss(
        T.zeros(6, 2, 5), T.tensor([[1], [1]]), [6, 5], [1, 1], reduction="x"
    ),
}


@pytest.mark.parametrize("call", ERRORS.values(), ids=ERRORS.keys())
def test_error_at_the_line(call) -> None:
    check_error_at_line(call)


def test_trains_as_torch_trains() -> None:
    """Linear -> log_softmax -> CTCLoss over a (T, N, features) batch, SGD from torch's
    initial weights: the same losses step by step."""

    def build(nn):
        return nn.Sequential(nn.Linear(4, 6), nn.LogSoftmax(2))

    runs = train_alike(
        build,
        lambda T, params: T.optim.SGD(params, lr=0.2),
        lambda T: lambda out, y: T.nn.CTCLoss()(out, y, [7, 5], [3, 2]),
        lambda T: (
            T.tensor(np.linspace(-1, 1, 7 * 2 * 4, dtype=np.float32).reshape(7, 2, 4)),
            T.tensor([[1, 2, 3], [4, 5, 0]]),
        ),
    )
    assert_trains_alike(runs)
