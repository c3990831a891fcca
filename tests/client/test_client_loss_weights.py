"""Loss weights against torch: binary_cross_entropy_with_logits's `weight` and `pos_weight`,
nll_loss's and cross_entropy's per-class `weight`, as functions and as modules (values,
gradients, grad_fn, state_dict), and torch's errors for weights it refuses."""

from __future__ import annotations

import gradrpc
import gradrpc.nn as gnn
import gradrpc.nn.functional as GF
import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF
from clientkit import check_same_error

RTOL, ATOL = 1e-5, 1e-6


def _ours(t: torch.Tensor | None) -> gradrpc.Tensor | None:
    if t is None:
        return None
    return gradrpc.tensor(t.detach().numpy(), requires_grad=t.requires_grad)


def _close(ours, theirs) -> None:
    np.testing.assert_allclose(
        np.asarray(ours.detach().numpy()), theirs.detach().numpy(), rtol=RTOL, atol=ATOL
    )


# ---------------------------------------------------------------- values and gradients

BCE_WEIGHTS = {
    "weight per class": ((3,), None),
    "weight per row": ((4, 1), None),
    "weight per element": ((4, 3), None),
    "pos_weight per class": (None, (3,)),
    "pos_weight per row": (None, (4, 1)),
    "both": ((1, 3), (3,)),
}


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shapes", BCE_WEIGHTS.values(), ids=BCE_WEIGHTS.keys())
def test_bce_with_logits_weights_match_torch(reduction: str, shapes) -> None:
    weight_shape, pos_weight_shape = shapes
    x = (torch.randn(4, 3) * 4).requires_grad_()
    y = torch.rand(4, 3, requires_grad=True)
    weight = torch.rand(weight_shape) * 2 if weight_shape else None
    pos_weight = torch.rand(pos_weight_shape) * 3 if pos_weight_shape else None
    kwargs = {"reduction": reduction}
    expected = TF.binary_cross_entropy_with_logits(x, y, weight, pos_weight=pos_weight, **kwargs)
    x_ours, y_ours = _ours(x), _ours(y)
    actual = GF.binary_cross_entropy_with_logits(
        x_ours, y_ours, _ours(weight), pos_weight=_ours(pos_weight), **kwargs
    )
    assert actual.grad_fn.name() == expected.grad_fn.name()
    assert actual.shape == expected.shape
    _close(actual, expected)
    g = torch.rand(expected.shape)
    expected.backward(g)
    actual.backward(_ours(g))
    _close(x_ours.grad, x.grad)
    _close(y_ours.grad, y.grad)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore_index", [-100, 2])
def test_cross_entropy_and_nll_loss_class_weights_match_torch(reduction, ignore_index) -> None:
    x = torch.randn(6, 4, requires_grad=True)
    target = torch.tensor([0, 2, 3, 2, 1, 0])
    weight = torch.rand(4) + 0.1
    x_ours, target_ours, weight_ours = _ours(x), _ours(target), _ours(weight)
    kwargs = {"reduction": reduction, "ignore_index": ignore_index}
    expected = TF.cross_entropy(x, target, weight, **kwargs)
    actual = GF.cross_entropy(x_ours, target_ours, weight_ours, **kwargs)
    assert actual.grad_fn.name() == expected.grad_fn.name() == "NllLossBackward0"
    _close(actual, expected)
    g = torch.rand(expected.shape)
    expected.backward(g)
    actual.backward(_ours(g))
    _close(x_ours.grad, x.grad)
    log_p = torch.randn(6, 4).log_softmax(1)
    _close(
        GF.nll_loss(_ours(log_p), target_ours, weight_ours, **kwargs),
        TF.nll_loss(log_p, target, weight, **kwargs),
    )


@pytest.mark.parametrize(
    "target, weight",
    [([-100, -100], [1.0, 2.0, 3.0]), ([0, 1], [0.0, 0.0, 1.0])],
    ids=["every row ignored", "weights of the rows sum to 0"],
)
def test_a_weighted_mean_over_no_weight_is_nan_as_in_torch(target, weight) -> None:
    x = torch.randn(2, 3, requires_grad=True)
    expected = TF.nll_loss(x, torch.tensor(target), torch.tensor(weight))
    x_ours = _ours(x)
    actual = GF.nll_loss(x_ours, gradrpc.tensor(target), gradrpc.tensor(weight))
    assert np.isnan(expected.item()) and np.isnan(actual.item())
    expected.backward()
    actual.backward()
    np.testing.assert_array_equal(x_ours.grad.numpy(), x.grad.numpy())


def test_one_sample_with_a_class_weight_matches_torch() -> None:
    x, weight = torch.randn(5, requires_grad=True), torch.rand(5)
    expected = TF.cross_entropy(x, torch.tensor(3), weight)
    x_ours = _ours(x)
    actual = GF.cross_entropy(x_ours, gradrpc.tensor(3), _ours(weight))
    _close(actual, expected)
    expected.backward()
    actual.backward()
    _close(x_ours.grad, x.grad)


def test_loss_modules_keep_their_weights_as_buffers_and_use_them() -> None:
    weight, pos_weight = torch.rand(3), torch.rand(3) * 3
    x, y, classes = torch.randn(4, 3), torch.rand(4, 3), torch.tensor([0, 2, 1, 1])
    pairs = [
        (
            gnn.BCEWithLogitsLoss(weight=_ours(weight), pos_weight=_ours(pos_weight)),
            tnn.BCEWithLogitsLoss(weight=weight, pos_weight=pos_weight),
            y,
        ),
        (gnn.CrossEntropyLoss(weight=_ours(weight)), tnn.CrossEntropyLoss(weight=weight), classes),
        (gnn.NLLLoss(weight=_ours(weight)), tnn.NLLLoss(weight=weight), classes),
    ]
    for ours, theirs, target in pairs:
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for mine, torchs in zip(
            ours.state_dict().values(), theirs.state_dict().values(), strict=True
        ):
            np.testing.assert_array_equal(mine.numpy(), torchs.numpy())
        _close(ours(_ours(x), _ours(target)), theirs(x, target))


# ---------------------------------------------------------------- torch's errors

ERRORS = {
    "bce weight requires grad": lambda F, lib: F.binary_cross_entropy_with_logits(
        lib.zeros(4, 3), lib.zeros(4, 3), weight=lib.ones(3, requires_grad=True)
    ),
    "bce pos_weight requires grad": lambda F, lib: F.binary_cross_entropy_with_logits(
        lib.zeros(4, 3), lib.zeros(4, 3), pos_weight=lib.ones(3, requires_grad=True)
    ),
    "nll weight requires grad": lambda F, lib: F.nll_loss(
        lib.zeros(4, 3, requires_grad=True),
        lib.zeros(4, dtype=lib.int64),
        lib.ones(3, requires_grad=True),
    ),
    "bce weight too wide": lambda F, lib: F.binary_cross_entropy_with_logits(
        lib.zeros(4, 3), lib.zeros(4, 3), weight=lib.ones(5)
    ),
    "bce weight widens the loss": lambda F, lib: F.binary_cross_entropy_with_logits(
        lib.zeros(4, 3), lib.zeros(4, 3), weight=lib.ones(2, 4, 3)
    ),
    "bce pos_weight per row, wrong way": lambda F, lib: F.binary_cross_entropy_with_logits(
        lib.zeros(4, 3), lib.zeros(4, 3), pos_weight=lib.ones(4)
    ),
    "bce bool pos_weight": lambda F, lib: F.binary_cross_entropy_with_logits(
        lib.zeros(4, 3), lib.zeros(4, 3), pos_weight=lib.ones(3, dtype=lib.bool)
    ),
    "bce weight a number": lambda F, lib: F.binary_cross_entropy_with_logits(
        lib.zeros(4, 3), lib.zeros(4, 3), weight=2.0
    ),
    "bce pos_weight a list": lambda F, lib: F.binary_cross_entropy_with_logits(
        lib.zeros(4, 3), lib.zeros(4, 3), pos_weight=[1.0, 2.0, 3.0]
    ),
    "nll weight per sample": lambda F, lib: F.nll_loss(
        lib.zeros(4, 3), lib.zeros(4, dtype=lib.int64), lib.ones(4)
    ),
    "nll weight 0-d": lambda F, lib: F.nll_loss(
        lib.zeros(4, 3), lib.zeros(4, dtype=lib.int64), lib.tensor(1.0)
    ),
    "nll weight float64": lambda F, lib: F.nll_loss(
        lib.zeros(4, 3), lib.zeros(4, dtype=lib.int64), lib.ones(3, dtype=lib.float64)
    ),
    "nll weight a number": lambda F, lib: F.nll_loss(
        lib.zeros(4, 3), lib.zeros(4, dtype=lib.int64), 2.0
    ),
    "cross_entropy weight a number": lambda F, lib: F.cross_entropy(
        lib.zeros(4, 3), lib.zeros(4, dtype=lib.int64), 2.0
    ),
    "cross_entropy weight int64": lambda F, lib: F.cross_entropy(
        lib.zeros(4, 3), lib.zeros(4, dtype=lib.int64), lib.ones(3, dtype=lib.int64)
    ),
}


@pytest.mark.parametrize("call", ERRORS.values(), ids=ERRORS.keys())
def test_weight_errors_match_torch_and_leave_the_session_usable(call) -> None:
    check_same_error(call)


def test_a_weight_that_requires_grad_is_allowed_under_no_grad_as_in_torch() -> None:
    x, y, weight = torch.randn(4, 3), torch.rand(4, 3), torch.rand(3, requires_grad=True)
    with torch.no_grad():
        expected = TF.binary_cross_entropy_with_logits(x, y, weight)
    with gradrpc.no_grad():
        actual = GF.binary_cross_entropy_with_logits(_ours(x), _ours(y), _ours(weight))
    _close(actual, expected)
