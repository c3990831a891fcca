"""F.multilabel_margin_loss and nn.MultiLabelMarginLoss against torch: values, gradients and
grad_fn graphs (MultilabelMarginLossBackward0) for every reduction and input rank, the
module's repr and attributes, the legacy size_average/reduce arguments, torch's errors at the
line, and a target out of range at the next read."""

from __future__ import annotations

import warnings

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import (
    assert_trains_alike,
    check_error_at_line,
    check_raised_at_the_next_read,
    graph_of,
    train_alike,
)

TARGETS = torch.tensor([[3, 0, -1, 1, 2], [1, 2, 3, -1, 0], [0, 1, 2, 3, 4], [4, 4, -1, 0, 0]])


def _ours(t: torch.Tensor) -> gradrpc.Tensor:
    return gradrpc.tensor(t.detach().numpy(), requires_grad=t.requires_grad)


def _compare(call, x: torch.Tensor, target: torch.Tensor) -> None:
    """call(lib)(x, target) under both: the same graph, dtype, shape, values and gradient
    (bit for bit: the same loops in the same order)."""
    theirs_x, ours_x = x.detach().requires_grad_(), _ours(x.detach().requires_grad_())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy arguments' deprecation warning
        expected = call(torch)(theirs_x, target)
        actual = call(gradrpc)(ours_x, _ours(target))
    assert graph_of(actual.grad_fn) == graph_of(expected.grad_fn)
    assert (actual.shape, str(actual.dtype)) == (expected.shape, str(expected.dtype))
    np.testing.assert_array_equal(actual.detach().numpy(), expected.detach().numpy())
    upstream = torch.rand(expected.shape, dtype=expected.dtype) + 0.5
    expected.backward(upstream)
    actual.backward(_ours(upstream))
    np.testing.assert_array_equal(ours_x.grad.numpy(), theirs_x.grad.numpy())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_functional_matches_torch(dtype, reduction) -> None:
    x = torch.randn(4, 5, dtype=dtype)
    _compare(
        lambda T: lambda a, b: T.nn.functional.multilabel_margin_loss(a, b, reduction=reduction),
        x,
        TARGETS,
    )


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize(
    ("x", "target"),
    [(torch.randn(5), torch.tensor([2, 4, -1, 0, 0])), (torch.tensor(0.3), torch.tensor(0))],
    ids=["vector", "0-d"],
)
def test_a_vector_or_a_number_gives_a_0_d_loss(reduction, x, target) -> None:
    _compare(
        lambda T: lambda a, b: T.nn.functional.multilabel_margin_loss(a, b, reduction=reduction),
        x,
        target,
    )


def test_an_empty_batch_unreduced_gives_an_empty_loss() -> None:
    _compare(
        lambda T: lambda a, b: T.nn.functional.multilabel_margin_loss(a, b, reduction="none"),
        torch.randn(0, 4),
        torch.zeros(0, 4, dtype=torch.long),
    )


@pytest.mark.parametrize(
    ("size_average", "reduce"), [(False, None), (None, False), (True, True), (False, True)]
)
def test_legacy_arguments_pick_torch_s_reduction(size_average, reduce) -> None:
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        torch.nn.functional.multilabel_margin_loss(torch.randn(4, 5), TARGETS, size_average, reduce)
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        gradrpc.nn.functional.multilabel_margin_loss(
            gradrpc.randn(4, 5), _ours(TARGETS), size_average, reduce
        )
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    _compare(
        lambda T: (
            lambda a, b: T.nn.functional.multilabel_margin_loss(
                a, b, size_average=size_average, reduce=reduce
            )
        ),
        torch.randn(4, 5, dtype=torch.float64),
        TARGETS,
    )


@pytest.mark.parametrize("kwargs", [{}, {"reduction": "sum"}, {"reduction": "none"}])
def test_module_matches_torch(kwargs) -> None:
    theirs, ours = (
        torch.nn.MultiLabelMarginLoss(**kwargs),
        gradrpc.nn.MultiLabelMarginLoss(**kwargs),
    )
    assert repr(ours) == repr(theirs) == "MultiLabelMarginLoss()"
    assert ours.reduction == theirs.reduction
    _compare(
        lambda T: theirs if T is torch else ours, torch.randn(4, 5, dtype=torch.float64), TARGETS
    )


ERRORS = {
    "3-d": lambda T: T.nn.functional.multilabel_margin_loss(
        T.ones(2, 3, 4), T.zeros(2, 3, 4, dtype=T.long)
    ),
    "no classes": lambda T: T.nn.functional.multilabel_margin_loss(
        T.ones(3, 0), T.zeros(3, 0, dtype=T.long)
    ),
    "target rows": lambda T: T.nn.functional.multilabel_margin_loss(
        T.ones(3, 4), T.zeros(2, 4, dtype=T.long)
    ),
    "target columns": lambda T: T.nn.functional.multilabel_margin_loss(
        T.ones(3, 4), T.zeros(3, 3, dtype=T.long)
    ),
    "vector target size": lambda T: T.nn.functional.multilabel_margin_loss(
        T.ones(4), T.zeros(3, dtype=T.long)
    ),
    "vector 2-d target": lambda T: T.nn.functional.multilabel_margin_loss(
        T.ones(4), T.zeros(1, 4, dtype=T.long)
    ),
    "float target": lambda T: T.nn.functional.multilabel_margin_loss(T.ones(3, 4), T.ones(3, 4)),
    "bool target": lambda T: T.nn.functional.multilabel_margin_loss(
        T.ones(3, 4), T.ones(3, 4, dtype=T.bool)
    ),
    "integral input": lambda T: T.nn.functional.multilabel_margin_loss(
        T.ones(3, 4, dtype=T.long), T.zeros(3, 4, dtype=T.long)
    ),
    "reduction": lambda T: T.nn.functional.multilabel_margin_loss(
        T.ones(3, 4), T.zeros(3, 4, dtype=T.long), reduction="x"
    ),
    "module reduction": lambda T: T.nn.MultiLabelMarginLoss(reduction="x")(
        T.ones(3, 4), T.zeros(3, 4, dtype=T.long)
    ),
}


@pytest.mark.parametrize("call", ERRORS.values(), ids=ERRORS.keys())
def test_error_at_the_line(call) -> None:
    check_error_at_line(call)


@pytest.mark.parametrize(
    "target", [[[0, 4, -1, 1]], [[-2, 0, 1, 2]], [[1, 0, -1, 5]]], ids=["4", "-2", "after -1"]
)
def test_a_target_out_of_range_is_torch_s_error_at_the_next_read(target) -> None:
    check_raised_at_the_next_read(
        lambda T: T.nn.functional.multilabel_margin_loss(T.ones(1, 4), T.tensor(target)).item(),
        "multilabel_margin_loss",
    )


def test_trains_as_torch_trains() -> None:
    """A linear layer trained with the loss by SGD: the same losses, step by step."""
    runs = train_alike(
        lambda nn: nn.Linear(3, 5),
        lambda T, params: T.optim.SGD(params, lr=0.5),
        lambda T: T.nn.MultiLabelMarginLoss(),
        lambda T: (
            T.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)),
            T.tensor(TARGETS.numpy()),
        ),
    )
    assert_trains_alike(runs)
