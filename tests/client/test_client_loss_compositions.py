"""Losses torch composes from other ops, against torch: cross_entropy's `label_smoothing` and
class-probability targets, mse_loss's `weight`. The same nodes must record (grad_fn chains
compared whole, Scalar overloads such as MulBackward1 included), with torch's values,
gradients for every input that requires grad, and torch's errors."""

from __future__ import annotations

import warnings

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


def _chain(t) -> list[str]:
    """The grad_fn graph below `t`, depth first, a line a node (None for an input's edge
    that carries no gradient), indented by depth."""
    lines = []

    def visit(node, depth: int) -> None:
        lines.append("  " * depth + (node.name() if node else "None"))
        if node is not None:
            for child, _ in node.next_functions:
                visit(child, depth + 1)

    visit(t.grad_fn, 0)
    return lines


def _close(ours, theirs) -> None:
    np.testing.assert_allclose(
        np.asarray(ours.detach().numpy()),
        theirs.detach().numpy(),
        rtol=RTOL,
        atol=ATOL,
        equal_nan=True,
    )


def _check_against_torch(loss, tensors: dict, kwargs: dict) -> None:
    """loss(**tensors, **kwargs) in torch and in gradrpc: the same graph, value and gradients."""
    ours = {name: _ours(t) for name, t in tensors.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mse_loss's size warning, checked on its own below
        expected = loss(torch, TF)(**tensors, **kwargs)
        actual = loss(gradrpc, GF)(**ours, **kwargs)
    assert _chain(actual) == _chain(expected)
    assert actual.shape == expected.shape and actual.dtype == _ours(expected).dtype
    _close(actual, expected)
    g = torch.rand(expected.shape, dtype=expected.dtype)
    expected.backward(g)
    actual.backward(_ours(g))
    for name, t in tensors.items():
        if t is not None and t.requires_grad:
            _close(ours[name].grad, t.grad)


def _cross_entropy(lib, F):
    return lambda input, target, weight=None, **kwargs: F.cross_entropy(
        input, target, weight, **kwargs
    )


# ---------------------------------------------------------------- cross_entropy


def _classes(n: int, ignore_index: int = -100) -> torch.Tensor:
    """n class indices of 4 classes, the second one ignored."""
    target = torch.randint(0, 4, (n,))
    target[1] = ignore_index
    return target


SMOOTHING = {
    "mean": {"reduction": "mean"},
    "sum": {"reduction": "sum"},
    "none": {"reduction": "none"},
    "ignore_index a class": {"ignore_index": 2},
    "all of it": {"label_smoothing": 1.0},
}


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "class weights"])
@pytest.mark.parametrize("kwargs", SMOOTHING.values(), ids=SMOOTHING.keys())
def test_label_smoothing_with_class_indices_matches_torch(kwargs: dict, weighted: bool) -> None:
    kwargs = {"label_smoothing": 0.15, **kwargs}
    tensors = {
        "input": torch.randn(6, 4, requires_grad=True),
        "target": _classes(6, kwargs.get("ignore_index", -100)),
        "weight": torch.rand(4) + 0.1 if weighted else None,
    }
    _check_against_torch(_cross_entropy, tensors, kwargs)


def test_label_smoothing_of_one_sample_matches_torch() -> None:
    tensors = {"input": torch.randn(4, requires_grad=True), "target": torch.tensor(3)}
    _check_against_torch(_cross_entropy, tensors, {"label_smoothing": 0.2})


PROBABILITIES = {
    "mean": {},
    "sum": {"reduction": "sum"},
    "none": {"reduction": "none"},
    "smoothed": {"label_smoothing": 0.2},
    "smoothed, sum": {"label_smoothing": 0.2, "reduction": "sum"},
}


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "class weights"])
@pytest.mark.parametrize("kwargs", PROBABILITIES.values(), ids=PROBABILITIES.keys())
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2), (4,)], ids=["NxC", "NxCxd", "C"])
def test_class_probability_targets_match_torch(shape, kwargs: dict, weighted: bool) -> None:
    class_dim = 0 if len(shape) == 1 else 1
    tensors = {
        "input": torch.randn(shape, requires_grad=True),
        "target": torch.randn(shape).softmax(class_dim).requires_grad_(),  # gets a gradient
        "weight": torch.rand(4) + 0.1 if weighted else None,
    }
    _check_against_torch(_cross_entropy, tensors, kwargs)


def test_float64_probabilities_promote_the_loss_as_in_torch() -> None:
    tensors = {
        "input": torch.randn(3, 4, requires_grad=True),
        "target": torch.rand(3, 4, dtype=torch.float64),
    }
    _check_against_torch(_cross_entropy, tensors, {"label_smoothing": 0.1})


def test_the_mean_over_no_samples_is_nan_as_in_torch() -> None:
    tensors = {"input": torch.randn(0, 4, requires_grad=True), "target": torch.rand(0, 4)}
    _check_against_torch(_cross_entropy, tensors, {})


def test_cross_entropy_loss_module_takes_label_smoothing() -> None:
    x, target, weight = torch.randn(6, 4), _classes(6), torch.rand(4)
    theirs = tnn.CrossEntropyLoss(weight=weight, label_smoothing=0.1)
    ours = gnn.CrossEntropyLoss(weight=_ours(weight), label_smoothing=0.1)
    assert repr(ours) == repr(theirs)
    _close(ours(_ours(x), _ours(target)), theirs(x, target))
    probabilities = torch.rand(6, 4)
    _close(ours(_ours(x), _ours(probabilities)), theirs(x, probabilities))


def test_negative_label_smoothing_is_ignored_as_in_torch() -> None:
    tensors = {"input": torch.randn(6, 4, requires_grad=True), "target": _classes(6)}
    _check_against_torch(_cross_entropy, tensors, {"label_smoothing": -0.5})


# ---------------------------------------------------------------- mse_loss's weight


def _mse_loss(lib, F):
    return lambda input, target, weight, **kwargs: F.mse_loss(
        input, target, weight=weight, **kwargs
    )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    "shapes",
    [((4, 3), (4, 3)), ((4, 1), (4, 3)), ((4, 3), (3,))],
    ids=["same shape", "input broadcast", "target broadcast"],
)
def test_mse_loss_weight_matches_torch(shapes, reduction: str) -> None:
    input_shape, target_shape = shapes
    tensors = {
        "input": torch.randn(input_shape, requires_grad=True),
        "target": torch.randn(target_shape, requires_grad=True),
        "weight": torch.rand(input_shape, requires_grad=True),  # gets a gradient too
    }
    _check_against_torch(_mse_loss, tensors, {"reduction": reduction})


def test_mse_loss_weight_warns_of_a_target_of_another_size_as_torch() -> None:
    with pytest.warns(UserWarning, match=r"Using a target size \(torch.Size\(\[3\]\)\)"):
        GF.mse_loss(gradrpc.zeros(2, 3), gradrpc.zeros(3), weight=gradrpc.ones(2, 3))


# ---------------------------------------------------------------- torch's errors

ERRORS = {
    "label_smoothing over 1": lambda F, lib: F.cross_entropy(
        lib.zeros(4, 3), lib.zeros(4, dtype=lib.int64), label_smoothing=1.5
    ),
    "label_smoothing 2, printed as C++ prints it": lambda F, lib: F.cross_entropy(
        lib.zeros(4, 3), lib.zeros(4, dtype=lib.int64), label_smoothing=2.0
    ),
    "label_smoothing over 1 with probabilities": lambda F, lib: F.cross_entropy(
        lib.zeros(4, 3), lib.zeros(4, 3), label_smoothing=1.0000001
    ),
    "integer probabilities": lambda F, lib: F.cross_entropy(
        lib.zeros(4, 3), lib.zeros(4, 3, dtype=lib.int64)
    ),
    "ignore_index with probabilities": lambda F, lib: F.cross_entropy(
        lib.zeros(4, 3), lib.zeros(4, 3), ignore_index=1
    ),
    "a weight per element with probabilities": lambda F, lib: F.cross_entropy(
        lib.zeros(4, 3), lib.zeros(4, 3), lib.ones(4, 3)
    ),
    "a weight too short with probabilities": lambda F, lib: F.cross_entropy(
        lib.zeros(4, 3), lib.zeros(4, 3), lib.ones(2)
    ),
    "a 0-d input with probabilities": lambda F, lib: F.cross_entropy(lib.zeros(()), lib.zeros(())),
    "an unknown reduction with probabilities": lambda F, lib: F.cross_entropy(
        lib.zeros(4, 3), lib.zeros(4, 3), reduction="max"
    ),
    "an unknown reduction with smoothing": lambda F, lib: F.cross_entropy(
        lib.zeros(4, 3), lib.zeros(4, dtype=lib.int64), reduction="max", label_smoothing=0.1
    ),
    "an unknown reduction before a weight that is no tensor": lambda F, lib: F.cross_entropy(
        lib.zeros(4, 3), lib.zeros(4, dtype=lib.int64), 2.0, reduction="max"
    ),
    "a smoothed weight that requires grad": lambda F, lib: F.cross_entropy(
        lib.zeros(4, 3, requires_grad=True),
        lib.zeros(4, dtype=lib.int64),
        lib.ones(3, requires_grad=True),
        label_smoothing=0.1,
    ),
    "mse weight of the target's size": lambda F, lib: F.mse_loss(
        lib.zeros(4, 1), lib.zeros(4, 3), weight=lib.ones(4, 3)
    ),
    "mse weight a number": lambda F, lib: F.mse_loss(lib.zeros(3), lib.zeros(3), weight=2.0),
    "mse weight, unknown reduction": lambda F, lib: F.mse_loss(
        lib.zeros(3), lib.zeros(3), reduction="max", weight=lib.ones(3)
    ),
    "mse weight, shapes that do not broadcast": lambda F, lib: F.mse_loss(
        lib.zeros(3), lib.zeros(4), weight=lib.ones(3)
    ),
}


@pytest.mark.parametrize("call", ERRORS.values(), ids=ERRORS.keys())
def test_errors_match_torch_and_leave_the_session_usable(call) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mse_loss's size warning
        check_same_error(call)
