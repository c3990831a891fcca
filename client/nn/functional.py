"""`gradrpc.nn.functional`: torch.nn.functional's activations and losses."""

from __future__ import annotations

import warnings

from gradrpc.engine import rules

from ..tensor import Tensor


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return input.relu_() if inplace else input.relu()


def sigmoid(input: Tensor) -> Tensor:
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


def _reduction(size_average, reduce, reduction: str) -> str:
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return ("mean" if size_average else "sum") if reduce else "none"


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight=None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    pos_weight=None,
) -> Tensor:
    """-(y log σ(x) + (1 - y) log(1 - σ(x))), reduced."""
    if weight is not None or pos_weight is not None:
        raise NotImplementedError("gradrpc: weight and pos_weight are not supported yet")
    return input._call(
        "binary_cross_entropy_with_logits",
        [input, input._coerce(target)],
        {"reduction": _reduction(size_average, reduce, reduction)},
    )


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight=None,
) -> Tensor:
    """(x - y)², reduced."""
    target = input._coerce(target)
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({rules.size_repr(target.shape)}) that is different to the "
            f"input size ({rules.size_repr(input.shape)}). This will likely lead to incorrect "
            "results due to broadcasting. Please ensure they have the same size.",
            UserWarning,
            stacklevel=2,
        )
    if weight is not None:
        raise NotImplementedError("gradrpc: weight is not supported yet")
    return input._call(
        "mse_loss", [input, target], {"reduction": _reduction(size_average, reduce, reduction)}
    )
