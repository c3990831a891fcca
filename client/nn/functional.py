"""`gradrpc.nn.functional`: torch.nn.functional's activations and losses."""

from __future__ import annotations

import warnings

from gradrpc.engine import rules

from ..grad_mode import no_grad
from ..tensor import Tensor


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return input.relu_() if inplace else input.relu()


def _check_dropout_probability(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """input * noise, noise = bernoulli(1 - p) / (1 - p) drawn on the server without history
    (MulBackward0, as torch's CPU dropout records it); the input itself when p is 0, outside
    training or for no elements. The draws are the session's, not torch's."""
    _check_dropout_probability(p)
    if p == 0 or not training or input.numel() == 0:
        return input
    if not rules.is_float(input._meta.dtype):
        raise RuntimeError(
            "result type Float can't be cast to the desired output type "
            f"{rules.TORCH_TYPE_NAME[input._meta.dtype]}"
        )
    keep = 1.0 - p
    with no_grad():
        if keep == 0:
            noise = input._session.zeros(*input.shape, dtype=input.dtype)
        else:
            draws = input._session.rand(*input.shape, dtype=input.dtype)
            noise = (draws < keep).to(input.dtype) / keep
    return input.mul_(noise) if inplace else input * noise


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
    """-w (p y log σ(x) + (1 - y) log(1 - σ(x))), reduced; weight w and pos_weight p
    broadcast as torch's and get no gradient."""
    name = "binary_cross_entropy_with_logits"
    operands = [input, input._coerce(target)]
    if weight is not None or pos_weight is not None:
        operands.append(1 if weight is None else _tensor_argument(input, name, weight, "weight", 3))
    if pos_weight is not None:
        operands.append(_tensor_argument(input, name, pos_weight, "pos_weight", 4))
    return input._call(name, operands, {"reduction": _reduction(size_average, reduce, reduction)})


def _tensor_argument(input: Tensor, function: str, value, name: str, position: int) -> Tensor:
    """An optional tensor argument of a torch function (a loss's weight): a tensor of
    `input`'s session, else torch's TypeError."""
    if not isinstance(value, Tensor):
        raise TypeError(
            f"{function}(): argument '{name}' (position {position}) must be Tensor, "
            f"not {type(value).__name__}"
        )
    return input._coerce(value)


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
    if target._meta.shape != input._meta.shape:
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


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x Aᵀ + b as torch decomposes it: addmm(bias, x, weight.t()) for a matrix (other
    ranks are viewed as one, then back), matmul(x, weight.t()) without a bias."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"linear(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )
    if bias is None:
        return input.matmul(weight.t())
    if input.ndim == 2:
        return bias.addmm(input, weight.t())
    if input.ndim == 0:
        raise RuntimeError(
            f"both arguments to linear need to be at least 1D, but they are 0D and {weight.ndim}D"
        )
    batch = input.shape[:-1]
    out = bias.addmm(input.reshape(-1, input.shape[-1]), weight.t())
    return out.view(*batch, out.shape[-1])


def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.",
        UserWarning,
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """e^x / Σ e^x along `dim`."""
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim, _stacklevel)
    return input.softmax(dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """x - ln Σ e^x along `dim`."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim, _stacklevel)
    return input.log_softmax(dim, dtype=dtype)


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight=None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """-weight[target[n]] input[n, target[n]] for class indices `target`, reduced
    (ignore_index rows count 0; the mean divides by the weights of the counted rows)."""
    if weight is not None:
        weight = _tensor_argument(input, "nll_loss_nd", weight, "weight", 3)
    return _nll_loss(
        input, target, weight, _reduction(size_average, reduce, reduction), ignore_index
    )


def _nll_loss(input: Tensor, target, weight: Tensor | None, reduction: str, ignore_index: int):
    operands = [input, input._coerce(target)] + ([] if weight is None else [weight])
    return input._call(
        "nll_loss", operands, {"reduction": reduction, "ignore_index": int(ignore_index)}
    )


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight=None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """nll_loss(log_softmax(input, class dim), target), as torch composes it (its grad_fn
    is NllLossBackward0 over LogSoftmaxBackward0)."""
    if weight is not None:
        weight = _tensor_argument(input, "cross_entropy_loss", weight, "weight", 3)
    target = input._coerce(target)
    if target.shape == input.shape:  # torch's test for class probabilities
        raise NotImplementedError(
            "gradrpc: cross_entropy with class-probability targets is not supported yet"
        )
    if label_smoothing != 0.0:
        raise NotImplementedError("gradrpc: label_smoothing is not supported yet")
    class_dim = 0 if input.ndim == 1 else 1
    return _nll_loss(
        input.log_softmax(class_dim),
        target,
        weight,
        _reduction(size_average, reduce, reduction),
        ignore_index,
    )
