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


def _checked_reduction(size_average, reduce, reduction: str) -> str:
    """The reduction, checked at the line: a loss composed of several ops checks it first."""
    reduction = _reduction(size_average, reduce, reduction)
    if reduction not in rules.REDUCTIONS:
        raise rules.InvalidValue(f"{reduction} is not a valid value for reduction")
    return reduction


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
    """(x - y)², reduced; with a `weight` of x's size, torch's composition w (x - y)², whose
    mean divides by Σ w."""
    target = input._coerce(target)
    if target._meta.shape != input._meta.shape:
        warnings.warn(
            f"Using a target size ({rules.size_repr(target.shape)}) that is different to the "
            f"input size ({rules.size_repr(input.shape)}). This will likely lead to incorrect "
            "results due to broadcasting. Please ensure they have the same size.",
            UserWarning,
            stacklevel=2,
        )
    reduction = _reduction(size_average, reduce, reduction)
    if weight is None:
        return input._call("mse_loss", [input, target], {"reduction": reduction})
    shape = rules.broadcast_shapes(input._meta.shape, target._meta.shape)
    expanded_input, expanded_target = (
        t if t.shape == shape else t.expand(shape) for t in (input, target)
    )
    if weight.size() != input.size():
        raise ValueError("Weights and input must have the same size.")
    weighted = (expanded_input - expanded_target).pow(2) * weight
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean":
        return weighted.sum() / weight.sum()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


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
    """-weight[target[n]] input[n, target[n]] for class indices `target` (the class dim is
    1, or 0 for a (C,) input), reduced (ignore_index rows count 0; the mean divides by the
    weights of the counted rows)."""
    reduction = _checked_reduction(size_average, reduce, reduction)
    if weight is not None:
        weight = _tensor_argument(input, "nll_loss_nd", weight, "weight", 3)
    return _nll_loss(input, target, weight, reduction, ignore_index)


def _nll_loss(input: Tensor, target, weight: Tensor | None, reduction: str, ignore_index: int):
    """torch's nll_loss_nd: the nll_loss op for (C,) and (N, C) inputs, nll_loss2d for
    (N, C, H, W), and for other ranks nll_loss2d of an (N, C, 1, -1) view (the unreduced
    result viewed back to (N, d1, ...)), so the same nodes record."""
    target = input._coerce(target)
    weights = [] if weight is None else [weight]
    attrs = {"reduction": reduction, "ignore_index": int(ignore_index)}
    if input.ndim <= 2:
        return input._call("nll_loss", [input, target, *weights], attrs)
    batch = target.shape[0] if target.ndim else 0
    if input.shape[0] != batch:
        raise rules.InvalidValue(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({batch})."
        )
    if input.ndim == 4:
        return input._call("nll_loss2d", [input, target, *weights], attrs)
    n, c = input.shape[:2]
    out_size = [n, *input.shape[2:]]
    if list(target.shape[1:]) != out_size[1:]:
        raise rules.ShapeMismatch(f"Expected target size {out_size}, got {list(target.shape)}")
    pixels = (1, -1) if input.numel() > 0 else (0, 0)
    flat = input.contiguous().view(n, c, *pixels)
    flat_target = target.contiguous().view(n, *pixels)
    out = input._call("nll_loss2d", [flat, flat_target, *weights], attrs)
    return out.view(out_size) if reduction == "none" else out


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
    """Cross entropy of log_softmax(input) along the class dim, composed as torch's
    cross_entropy_loss composes it, so the same nodes record: class indices give
    nll_loss(log_softmax(input), target) (NllLossBackward0), blended with the uniform
    distribution's loss for `label_smoothing` ε: (1 - ε) nll + ε/C Σ_c -log p_c; a `target`
    of input's shape holds class probabilities q: -Σ_c q_c log p_c, q smoothed to
    (1 - ε) q + ε/C."""
    reduction = _checked_reduction(size_average, reduce, reduction)
    if weight is not None:
        weight = _tensor_argument(input, "cross_entropy_loss", weight, "weight", 3)
    target = input._coerce(target)
    if target.shape == input.shape:
        return _cross_entropy_probabilities(
            input, target, weight, reduction, ignore_index, label_smoothing
        )
    class_dim = 0 if input.ndim == 1 else 1
    log_p = input.log_softmax(class_dim)
    loss = _nll_loss(log_p, target, weight, reduction, ignore_index)
    if label_smoothing <= 0.0:
        return loss
    _check_label_smoothing(label_smoothing)
    if weight is None:
        smooth = -log_p.sum(class_dim)
    else:
        smooth = -(log_p * weight.view(_class_shape(log_p.ndim, class_dim, weight))).sum(class_dim)
    ignored = target == ignore_index
    smooth.masked_fill_(ignored, 0.0)
    if reduction == "mean" and weight is None:
        smooth = smooth.sum() / (target != ignore_index).sum()
    elif reduction == "mean":
        counted = weight[target.masked_fill(ignored, 0).flatten()]
        smooth = smooth.sum() / counted.masked_fill_(ignored.flatten(), 0).sum()
    elif reduction == "sum":
        smooth = smooth.sum()
    n_classes = log_p.shape[class_dim]
    return _scalar("mul", loss, 1 - label_smoothing) + _scalar(
        "mul", smooth, label_smoothing / n_classes
    )


def _cross_entropy_probabilities(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None,
    reduction: str,
    ignore_index: int,
    label_smoothing: float,
) -> Tensor:
    """-Σ_c w_c q_c log p_c for class probabilities q, torch's cross_entropy_loss_prob_target:
    the mean divides by the number of samples (N times the extra dims)."""
    if not rules.is_float(target._meta.dtype):
        raise rules.DtypeMismatch(
            "Expected floating point type for target with class probabilities, got "
            + rules.TORCH_TYPE_NAME[target._meta.dtype]
        )
    if ignore_index >= 0:
        raise rules.ComputeError("ignore_index is not supported for floating point target")
    class_dim = 0 if input.ndim == 1 else 1
    n_classes = input.size(class_dim)
    if weight is not None and (weight.ndim != 1 or weight.numel() != n_classes):
        raise rules.ShapeMismatch(
            f"cross_entropy: weight tensor should be defined either for all {n_classes} "
            "classes or no classes but got weight tensor of shape: "
            f"[{', '.join(map(str, weight.shape))}]"
        )
    log_p = input.log_softmax(class_dim)
    if label_smoothing > 0.0:
        _check_label_smoothing(label_smoothing)
        target = _scalar(
            "add", _scalar("mul", target, 1 - label_smoothing), label_smoothing / n_classes
        )
    terms = log_p * target
    if weight is not None:  # viewed for a 2-d or wider input only, as torch's
        terms = terms * (
            weight.view(_class_shape(log_p.ndim, 1, weight)) if log_p.ndim > 1 else weight
        )
    if reduction == "none":
        return -terms.sum(class_dim)
    if reduction == "sum":
        return -terms.sum()
    if log_p.numel() == 0:
        return -terms.sum().fill_(float("nan"))
    return _scalar("div", -terms.sum(), log_p.numel() // n_classes)


def _check_label_smoothing(label_smoothing: float) -> None:
    if label_smoothing > 1.0:
        raise rules.ComputeError(
            f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing:g}"
        )


def _class_shape(ndim: int, class_dim: int, weight: Tensor) -> list[int]:
    """A per-class weight's shape to broadcast along `class_dim` of an `ndim`-d input."""
    shape = [1] * ndim
    shape[class_dim] = weight.shape[0]
    return shape


def _scalar(op: str, tensor: Tensor, number: float) -> Tensor:
    """`tensor op number` as torch's C++ compositions call it, the op's Scalar overload (its
    node is AddBackward1, MulBackward1 or DivBackward1, where Python's `tensor * number`
    records MulBackward0)."""
    return tensor._call(op, [tensor, number], {"scalar_overload": True})
