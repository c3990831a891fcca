"""nll_loss and class-index cross_entropy of inputs with extra dimensions (N, C, d1, ...),
against torch: composed as torch's nll_loss_nd composes them (nll_loss2d for four dims, a
view to (N, C, 1, -1) for the others, and the unreduced loss viewed back), so the same nodes
record; torch's values, gradients and errors."""

from __future__ import annotations

import gradrpc
import gradrpc.nn as gnn
import numpy as np
import pytest
import torch
import torch.nn as tnn
from clientkit import check_same_error
from test_client_loss_compositions import _check_against_torch

SHAPES = {
    "NxCxd": ((3, 4, 5), (3, 5)),
    "NxCxHxW": ((2, 4, 3, 2), (2, 3, 2)),
    "NxCxd1xd2xd3": ((2, 4, 1, 2, 3), (2, 1, 2, 3)),
    "one pixel": ((2, 4, 1), (2, 1)),
}


def _inputs(shape, target_shape, weighted: bool, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    classes = shape[1]
    return {
        "input": torch.tensor(rng.standard_normal(shape), dtype=torch.float32, requires_grad=True),
        "target": torch.tensor(rng.integers(0, classes, target_shape)),
        "weight": torch.tensor(rng.uniform(0.5, 2.0, classes), dtype=torch.float32)
        if weighted
        else None,
    }


def _loss(name: str):
    def make(lib, F):
        function = getattr(F, name)
        if name == "nll_loss":
            return lambda input, target, weight=None, **kwargs: function(
                input.log_softmax(1), target, weight, **kwargs
            )
        return lambda input, target, weight=None, **kwargs: function(
            input, target, weight, **kwargs
        )

    return make


KWARGS = {
    "mean": {},
    "sum": {"reduction": "sum"},
    "none": {"reduction": "none"},
    "ignore_index": {"ignore_index": 1},
    "ignore_index none": {"ignore_index": 2, "reduction": "none"},
}


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "class weights"])
@pytest.mark.parametrize("kwargs", KWARGS.values(), ids=KWARGS.keys())
@pytest.mark.parametrize("shapes", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("name", ["nll_loss", "cross_entropy"])
def test_class_index_losses_of_extra_dimensions_match_torch(name, shapes, kwargs, weighted):
    _check_against_torch(_loss(name), _inputs(*shapes, weighted), kwargs)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "class weights"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_label_smoothing_of_extra_dimensions_matches_torch(reduction: str, weighted: bool):
    tensors = _inputs((3, 4, 2, 2), (3, 2, 2), weighted)
    kwargs = {"reduction": reduction, "label_smoothing": 0.2, "ignore_index": 3}
    _check_against_torch(_loss("cross_entropy"), tensors, kwargs)


def test_a_non_contiguous_input_is_made_contiguous_first_as_in_torch():
    """A transposed (N, C, d) input: torch's composition clones it (CloneBackward0) before
    the view."""
    tensors = _inputs((3, 4, 5), (3, 5), weighted=False)  # 4 classes
    tensors["input"] = tensors["input"].detach().transpose(1, 2).contiguous().requires_grad_()
    _check_against_torch(
        lambda lib, F: (
            lambda input, target, weight=None: F.cross_entropy(input.transpose(1, 2), target)
        ),
        tensors,
        {},
    )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_an_empty_batch_matches_torch(reduction: str):
    tensors = {
        "input": torch.zeros((0, 3, 4), requires_grad=True),
        "target": torch.zeros((0, 4), dtype=torch.int64),
    }
    _check_against_torch(_loss("cross_entropy"), tensors, {"reduction": reduction})


def test_the_modules_take_extra_dimensions():
    """nn.CrossEntropyLoss and nn.NLLLoss over a batch of 2x3 images of 4 classes."""
    for module in ("CrossEntropyLoss", "NLLLoss"):
        tensors = _inputs((2, 4, 2, 3), (2, 2, 3), weighted=True)
        _check_against_torch(
            lambda lib, F, module=module: (
                lambda input, target, weight: getattr(tnn if lib is torch else gnn, module)(
                    weight=weight, ignore_index=0
                )(input, target)
            ),
            tensors,
            {},
        )


ERRORS = {
    "target of other extra dims": lambda F, T: F.nll_loss(
        T.zeros(2, 3, 4), T.zeros(2, 5, dtype=T.int64)
    ),
    "target of other batch": lambda F, T: F.cross_entropy(
        T.zeros(2, 3, 4), T.zeros(3, 4, dtype=T.int64)
    ),
    "4-d input, 2-d target": lambda F, T: F.nll_loss(
        T.zeros(2, 3, 4, 5), T.zeros(2, 4, dtype=T.int64)
    ),
    "4-d size mismatch": lambda F, T: F.nll_loss(
        T.zeros(2, 3, 4, 5), T.zeros(2, 4, 6, dtype=T.int64)
    ),
    "5-d target size": lambda F, T: F.nll_loss(
        T.zeros(2, 3, 1, 2, 2), T.zeros(2, 1, 2, 3, dtype=T.int64)
    ),
    "weight of other classes": lambda F, T: F.nll_loss(
        T.zeros(2, 3, 4), T.zeros(2, 4, dtype=T.int64), weight=T.ones(4)
    ),
    "weight of other dtype": lambda F, T: F.nll_loss(
        T.zeros(2, 3, 4, 5), T.zeros(2, 4, 5, dtype=T.int64), weight=T.ones(3, dtype=T.float64)
    ),
    "float target": lambda F, T: F.nll_loss(T.zeros(2, 3, 4), T.zeros(2, 4)),
    "integer input": lambda F, T: F.nll_loss(
        T.zeros(2, 3, 4, 5, dtype=T.int64), T.zeros(2, 4, 5, dtype=T.int64)
    ),
    "bad reduction": lambda F, T: F.nll_loss(
        T.zeros(2, 3, 4), T.zeros(2, 5, dtype=T.int64), reduction="bad"
    ),
    "weight requiring grad": lambda F, T: F.nll_loss(
        T.zeros(2, 3, 4, 5), T.zeros(2, 4, 5, dtype=T.int64), weight=T.ones(3, requires_grad=True)
    ),
}


@pytest.mark.parametrize("call", ERRORS.values(), ids=ERRORS.keys())
def test_errors_match_torch_and_leave_the_session_usable(call):
    check_same_error(call)


@pytest.mark.parametrize("shape", [(2, 3, 4), (2, 3, 4, 1)])
def test_an_out_of_range_class_is_torchs_index_error_at_the_next_read(shape) -> None:
    target_shape = (shape[0], *shape[2:])
    with pytest.raises(IndexError, match=r"Target 5 is out of bounds\."):
        torch.nn.functional.nll_loss(torch.zeros(shape), torch.full(target_shape, 5))
    loss = gnn.functional.nll_loss(gradrpc.zeros(shape), gradrpc.full(target_shape, 5))
    with pytest.raises(IndexError, match=r"Target 5 is out of bounds\."):
        loss.item()


def test_gradrpc_takes_extra_dimensions_with_no_gap():
    """What gradrpc once refused: a 3-d input to nll_loss now records torch's nodes."""
    x = gradrpc.zeros(2, 3, 4, requires_grad=True)
    loss = gnn.functional.nll_loss(x, gradrpc.zeros(2, 4, dtype=gradrpc.int64))
    assert loss.grad_fn.name() == "NllLoss2DBackward0"
