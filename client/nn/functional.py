"""`gradrpc.nn.functional`: torch.nn.functional's activations and losses."""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Iterable
from math import prod

import numpy as np
from gradrpc.engine import rules
from gradrpc.engine.errors import ComputeError, DtypeMismatch, ShapeMismatch, Unsupported

from ..dtypes import DTYPES, int64
from ..grad_mode import is_grad_enabled, no_grad
from ..splitting import _is_int, _sizes
from ..tensor import _WARNED, Tensor, _number
from .attention import multi_head_attention_forward as multi_head_attention_forward
from .attention import scaled_dot_product_attention as scaled_dot_product_attention
from .parameter import typename


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
    return _dropout(input, p, training, inplace, None, alpha=False)


_SELU_SATURATION = 1.7580993408473766  # -SELU(-inf), the value alpha dropout drops to


def _dropout(
    input: Tensor, p: float, training: bool, inplace: bool, drawn: int | None, alpha: bool
):
    """torch's _dropout_impl on the CPU: the input itself when p is 0, outside training or
    for no elements; input * 0 when p is 1; else input * noise, where noise is bernoulli(1 - p)
    drawn on the server without history (one draw per element, or with `drawn` dims one per
    index of the leading `drawn` dims, torch's feature noise) and divided by 1 - p; with
    `alpha` the noise is scaled by a = 1 / √((α² p + 1)(1 - p)) instead and
    (noise - 1) α a + α a p added after (AddBackward0 over MulBackward0), which keeps a SELU
    network's zero mean and unit variance."""
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        with no_grad():
            zero = input._session.zeros((), dtype=input.dtype)
        return input.mul_(zero) if inplace else input * zero
    if drawn is not None and input.ndim < drawn:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if not rules.is_float(input._meta.dtype):
        raise RuntimeError(
            "result type Float can't be cast to the desired output type "
            f"{rules.TORCH_TYPE_NAME[input._meta.dtype]}"
        )
    keep = 1.0 - p
    shape = tuple(input.shape)
    if drawn is not None:
        shape = (*shape[:drawn], *[1] * (len(shape) - drawn))
    with no_grad():
        noise = (input._session.rand(*shape, dtype=input.dtype) < keep).to(input.dtype)
        if alpha:
            a = 1.0 / math.sqrt((_SELU_SATURATION**2 * p + 1) * keep)
            shift = (noise - 1) * (_SELU_SATURATION * a) + _SELU_SATURATION * a * p
            noise = noise * a
        else:
            noise = noise / keep
    out = input.mul_(noise) if inplace else input * noise
    return out.add_(shift) if alpha else out


def _feature_dropout(input: Tensor, p, training, inplace, batched: bool) -> Tensor:
    """torch's feature dropout, of an input without a batch dim through unsqueeze(0) and
    squeeze(0) (in place, such an input is dropped through its (C, 1, ...) noise directly:
    MulBackward0 where torch records SqueezeBackward4 of its in-place reshapes)."""
    if batched:
        return _dropout(input, p, training, inplace, 2, alpha=False)
    if inplace:
        return _dropout(input, p, training, True, 1, alpha=False)
    return _dropout(input.unsqueeze(0), p, training, False, 2, alpha=False).squeeze(0)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zeroes whole channels (input[n, c], or input[c] without a batch dim) with probability
    p while training, scaling the rest by 1/(1-p); for 2D or 3D inputs."""
    _check_dropout_probability(p)
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note "
            "that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs)."
        )
    return _feature_dropout(input, p, training, inplace, batched=input.dim() == 3)


def _warn_feature_dropout_rank(function: str, ndim: int, spatial: int) -> None:
    warnings.warn(
        f"{function}: Received a {ndim}-D input to {function}, which is deprecated and will "
        "result in an error in a future release. To retain the behavior and silence this "
        f"warning, please use dropout instead. Note that {function} exists to provide "
        f"channel-wise dropout on inputs with {spatial} spatial dimensions, a channel "
        f"dimension, and an optional batch dimension (i.e. {spatial + 1}D or {spatial + 2}D "
        "inputs).",
        UserWarning,
        stacklevel=3,
    )


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zeroes whole channels (input[n, c]) with probability p while training, scaling the
    rest by 1/(1-p). As torch's, a 3D input is taken as (N, C, L), with torch's warnings."""
    _check_dropout_probability(p)
    if input.dim() not in (3, 4):
        _warn_feature_dropout_rank("dropout2d", input.dim(), 2)
    if input.dim() == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret "
            "the input as one without a batch dimension, i.e. shape (C, H, W). To maintain "
            "the 1D channel-wise dropout behavior, please switch to using dropout1d instead.",
            UserWarning,
            stacklevel=2,
        )
    return _feature_dropout(input, p, training, inplace, batched=True)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zeroes whole channels (input[n, c], or input[c] without a batch dim) with probability
    p while training, scaling the rest by 1/(1-p); other than 4D or 5D inputs warn."""
    _check_dropout_probability(p)
    if input.dim() not in (4, 5):
        _warn_feature_dropout_rank("dropout3d", input.dim(), 3)
    return _feature_dropout(input, p, training, inplace, batched=input.dim() == 5)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False):
    """Sets each element to SELU's saturation -α' with probability p while training, then
    scales and shifts all so that the mean and variance stay those of a SELU network."""
    _check_dropout_probability(p)
    return _dropout(input, p, training, inplace, None, alpha=True)


def feature_alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
):
    """alpha_dropout with one draw per channel (input[n, c]) instead of per element."""
    _check_dropout_probability(p)
    return _dropout(input, p, training, inplace, 2, alpha=True)


def sigmoid(input: Tensor) -> Tensor:
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


def _check_input(function: str, input) -> None:
    """torch's TypeError for an `input` that is not a tensor."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{function}(): argument 'input' (position 1) must be Tensor, "
            f"not {type(input).__name__}"
        )


def _number_argument(function: str, value, name: str, position: int, kind: str = "Number"):
    """`value` as a float, for an argument torch parses as a Number (or as a float, with
    `kind` "float"); else torch's TypeError."""
    number = _number(value)
    if number is None or isinstance(number, complex):
        raise TypeError(
            f"{function}(): argument '{name}' (position {position}) must be {kind}, "
            f"not {type(value).__name__}"
        )
    return float(number)


def _activation(input: Tensor, op: str, attrs: dict, inplace: bool, self_is_result: bool = False):
    """The elementwise `op` of `input`, or its in-place form (the op computed out of place,
    then adopted by `input`; with `self_is_result` its node saves the result, torch's
    ...Backward1)."""
    if not inplace:
        return input._call(op, [input], attrs)
    if self_is_result:
        attrs = {**attrs, "self_is_result": True}
    return input._in_place_of(f"{op}_", lambda: input._call(op, [input], attrs))


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """max(0, x) + negative_slope min(0, x)."""
    function = "leaky_relu_" if inplace else "leaky_relu"
    _check_input(function, input)
    slope = _number_argument(function, negative_slope, "negative_slope", 2)
    return _activation(input, "leaky_relu", {"negative_slope": slope}, inplace, self_is_result=True)


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Randomized leaky ReLU, torch's rrelu_with_noise op (RreluWithNoiseBackward0, or
    ...Backward1 in place): in training x where x > 0, else x r with r ~ U(lower, upper)
    drawn per element on the server (the session's draws, not torch's), the gradient 1 or r;
    outside training leaky_relu with slope (lower + upper) / 2."""
    function = "rrelu_" if inplace else "rrelu"
    _check_input(function, input)
    lower = _number_argument(function, lower, "lower", 2)
    upper = _number_argument(function, upper, "upper", 3)
    attrs = {"lower": lower, "upper": upper, "training": bool(training)}
    noise = 1.0
    if training:
        _check_call("rrelu_with_noise", [input, input], attrs)
        with no_grad():
            draws = input._session.rand(*input.shape, dtype=input.dtype)
            noise = (draws * (upper - lower) + lower).masked_fill(input > 0, 1.0)
    if not inplace:
        return input._call("rrelu_with_noise", [input, noise], attrs)
    attrs["self_is_result"] = True
    return input._in_place_of(
        "rrelu_", lambda: input._call("rrelu_with_noise", [input, noise], attrs)
    )


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, else alpha (e^x - 1)."""
    function = "elu_" if inplace else "elu"
    _check_input(function, input)
    alpha = _number_argument(function, alpha, "alpha", 2)
    attrs = {"alpha": alpha, "scale": 1.0, "input_scale": 1.0}
    return _activation(input, "elu", attrs, inplace, self_is_result=True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale (max(0, x) + min(0, alpha (e^x - 1))), alpha ≈ 1.6733 and scale ≈ 1.0507: the
    elu op with those (EluBackward0, as torch records it)."""
    _check_input("selu_" if inplace else "selu", input)
    attrs = {"alpha": _SELU_ALPHA, "scale": _SELU_SCALE, "input_scale": 1.0}
    return _activation(input, "elu", attrs, inplace, self_is_result=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha (e^(x / alpha) - 1))."""
    function = "celu_" if inplace else "celu"
    _check_input(function, input)
    alpha = _number_argument(function, alpha, "alpha", 2)
    return _activation(input, "celu", {"alpha": alpha}, inplace, self_is_result=True)


def gelu(input: Tensor, *, approximate: str = "none") -> Tensor:
    """x Φ(x), Φ the standard normal CDF; with approximate='tanh',
    x (1 + tanh(√(2/π) (x + 0.044715 x³))) / 2."""
    _check_input("gelu", input)
    if not isinstance(approximate, str):
        raise TypeError(
            f"gelu(): argument 'approximate' must be str, not {type(approximate).__name__}"
        )
    return input._call("gelu", [input], {"approximate": approximate})


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x σ(x)."""
    _check_input("silu_" if inplace else "silu", input)
    return _activation(input, "silu", {}, inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """ln(1 + e^(beta x)) / beta, or x itself where beta x > threshold."""
    _check_input("softplus", input)
    attrs = {
        "beta": _number_argument("softplus", beta, "beta", 2),
        "threshold": _number_argument("softplus", threshold, "threshold", 3),
    }
    return input._call("softplus", [input], attrs)


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """x clamped to [min_val, max_val]; the gradient passes strictly inside."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    function = "hardtanh_" if inplace else "hardtanh"
    _check_input(function, input)
    attrs = {
        "min_val": _number_argument(function, min_val, "min_val", 2),
        "max_val": _number_argument(function, max_val, "max_val", 3),
    }
    return _activation(input, "hardtanh", attrs, inplace)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(0, x), 6): hardtanh(x, 0, 6), as torch records it."""
    _check_input("relu6_" if inplace else "relu6", input)
    return _activation(input, "hardtanh", {"min_val": 0.0, "max_val": 6.0}, inplace)


def _scalar_argument(function: str, value, name: str, position: int):
    """`value` as torch's parser takes a Number (bool, int and float kept as they are),
    else its TypeError."""
    number = _number(value)
    if number is None or isinstance(number, complex):
        raise TypeError(
            f"{function}(): argument '{name}' (position {position}) must be Number, "
            f"not {type(value).__name__}"
        )
    return number


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """value where x <= threshold, else x (threshold and value taken in x's dtype)."""
    function = "threshold_" if inplace else "threshold"
    _check_input(function, input)
    attrs = {
        "threshold": _scalar_argument(function, threshold, "threshold", 2),
        "value": _scalar_argument(function, value, "value", 3),
    }
    if not inplace:
        return input._call("threshold", [input], attrs)
    in_place = {**attrs, "in_place": True}
    return input._in_place_of("threshold_", lambda: input._call("threshold", [input], in_place))


_threshold = threshold  # what threshold_, whose argument shadows the name, calls


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """threshold(input, threshold, value, inplace=True)."""
    return _threshold(input, threshold, value, inplace=True)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x where x > 0, else weight x, weight's elements along dim 1 (torch.prelu: the weight
    reshaped to broadcast there, then torch's _prelu_kernel)."""
    _check_input("prelu", input)
    if not isinstance(weight, Tensor):
        raise TypeError(
            f"prelu(): argument 'weight' (position 2) must be Tensor, not {typename(weight)}"
        )
    shape = rules.prelu_weight_shape(input._meta, weight._meta)
    if shape is not None:
        weight = weight.reshape(shape)
    return input._call("prelu_kernel", [input, weight], {})


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a σ(b), a and b the halves of input along dim."""
    if input.dim() == 0:
        raise ComputeError("glu does not support scalars because halving size must be even")
    return input._call("glu", [input], {"dim": _parsed("glu", dim, "dim", 2, "int")})


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x tanh(softplus(x))."""
    _check_input("mish_" if inplace else "mish", input)
    return _activation(input, "mish", {}, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x min(max(x + 3, 0), 6) / 6."""
    _check_input("hardswish_" if inplace else "hardswish", input)
    return _activation(input, "hardswish", {}, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x + 3, 0), 6) / 6."""
    _check_input("hardsigmoid_" if inplace else "hardsigmoid", input)
    return _activation(input, "hardsigmoid", {}, inplace)


def logsigmoid(input: Tensor) -> Tensor:
    """ln σ(x)."""
    _check_input("log_sigmoid", input)
    return input._call("log_sigmoid", [input], {})


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x outside [-lambd, lambd], else 0."""
    _check_input("hardshrink", input)
    return input._call(
        "hardshrink", [input], {"lambd": _number_argument("hardshrink", lambd, "lambd", 2)}
    )


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x moved lambd toward 0, and 0 within [-lambd, lambd]."""
    _check_input("softshrink", input)
    return input._call(
        "softshrink", [input], {"lambd": _number_argument("softshrink", lambd, "lambd", 2)}
    )


def softsign(input: Tensor) -> Tensor:
    """x / (|x| + 1), composed as torch composes it."""
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x), composed as torch composes it."""
    return input - input.tanh()


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-x) along `dim`, as torch composes it."""
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim, _stacklevel)
    return (-input).softmax(dim, dtype=dtype)


def _reduction(size_average, reduce, reduction: str) -> str:
    """`reduction`, or the one the legacy `size_average` and `reduce` give (with torch's
    deprecation warning)."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(
        "size_average and reduce args will be deprecated, please use "
        f"reduction='{reduction}' instead.",
        UserWarning,
        stacklevel=3,
    )
    return reduction


def _check_reduction(reduction: str) -> str:
    """The reduction, checked at the line: a loss composed of several ops checks it first."""
    if reduction not in rules.REDUCTIONS:
        raise rules.InvalidValue(f"{reduction} is not a valid value for reduction")
    return reduction


def _checked_reduction(size_average, reduce, reduction: str) -> str:
    return _check_reduction(_reduction(size_average, reduce, reduction))


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


def _warn_target_size(input: Tensor, target: Tensor) -> None:
    """torch's warning for a target whose size is not the input's (they will broadcast)."""
    if target.size() != input.size():
        warnings.warn(
            f"Using a target size ({rules.size_repr(target.shape)}) that is different to the "
            f"input size ({rules.size_repr(input.shape)}). This will likely lead to incorrect "
            "results due to broadcasting. Please ensure they have the same size.",
            UserWarning,
            stacklevel=3,
        )


def _broadcast(input: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """torch.broadcast_tensors(input, target): each expanded to their common shape
    (ExpandBackward0), unless it has that shape already."""
    if input._meta.shape == target._meta.shape:
        return input, target
    shape = rules.broadcast_shapes(input._meta.shape, target._meta.shape)
    return tuple(t if t._meta.shape == shape else t.expand(shape) for t in (input, target))


def _weighted(input: Tensor, weight: Tensor, reduction: str, errors, mean) -> Tensor:
    """torch's composition of a loss with a `weight` of the input's size: the elementwise
    `errors()` times the weight, then none, sum or `mean(weighted)`."""
    if weight.size() != input.size():
        raise ValueError("Weights and input must have the same size.")
    weighted = errors() * weight
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean":
        return mean(weighted)
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


def _pointwise_loss(input, target, size_average, reduce, reduction, weight, loss, errors):
    """mse_loss's and l1_loss's common course: torch's target-size warning, the legacy
    reduction, both broadcast (ExpandBackward0); then `loss(x, y, reduction)`, or with a
    `weight` of x's size torch's composition w errors(x, y), whose mean divides by Σ w."""
    _warn_target_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    expanded_input, expanded_target = _broadcast(input, input._coerce(target))
    if weight is None:
        return loss(expanded_input, expanded_target, reduction)
    return _weighted(
        input,
        weight,
        reduction,
        lambda: errors(expanded_input, expanded_target),
        lambda weighted: weighted.sum() / weight.sum(),
    )


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight=None,
) -> Tensor:
    """(x - y)², reduced; with a `weight` of x's size, w (x - y)², whose mean divides by Σ w."""
    return _pointwise_loss(
        input,
        target,
        size_average,
        reduce,
        reduction,
        weight,
        lambda x, y, reduction: input._call("mse_loss", [x, y], {"reduction": reduction}),
        lambda x, y: (x - y).pow(2),
    )


def _l1(expanded_input: Tensor, expanded_target: Tensor, reduction: str) -> Tensor:
    """torch's l1_loss op, a composition: |x - y| (AbsBackward0 of SubBackward0), then its
    mean() or sum()."""
    reduction = _check_reduction(reduction)
    errors = (expanded_input - expanded_target).abs()
    if reduction == "none":
        return errors
    return errors.sum() if reduction == "sum" else errors.mean()


def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight=None,
) -> Tensor:
    """|x - y|, reduced; with a `weight` of x's size, w |x - y|, whose mean divides by Σ w."""
    return _pointwise_loss(
        input, target, size_average, reduce, reduction, weight, _l1, lambda x, y: (x - y).abs()
    )


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """z² / (2 beta) where z = |x - y| < beta, else z - beta / 2, reduced; l1_loss for a
    beta of 0, as torch's."""
    _warn_target_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    expanded_input, expanded_target = _broadcast(input, input._coerce(target))
    if beta == 0.0:
        return _l1(expanded_input, expanded_target, reduction)
    attrs = {
        "reduction": _check_reduction(reduction),
        "beta": _number_argument("smooth_l1_loss", beta, "beta", 4, "float"),
    }
    return input._call("smooth_l1_loss", [expanded_input, expanded_target], attrs)


def huber_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight=None,
) -> Tensor:
    """z² / 2 where z = |x - y| < delta, else delta (z - delta / 2), reduced; with a
    `weight` of x's size, torch's composition w huber(x, y), whose mean is the plain mean."""
    _warn_target_size(input, target)
    expanded_input, expanded_target = _broadcast(input, input._coerce(target))

    def huber(reduction: str) -> Tensor:
        attrs = {
            "reduction": _check_reduction(reduction),
            "delta": _number_argument("huber_loss", delta, "delta", 4, "float"),
        }
        return input._call("huber_loss", [expanded_input, expanded_target], attrs)

    if weight is None:
        return huber(reduction)
    return _weighted(input, weight, reduction, lambda: huber("none"), Tensor.mean)


def _check_broadcast_shapes(*shapes) -> None:
    """torch.broadcast_shapes's check, with its error (worded unlike broadcasting
    tensors')."""
    common = [1] * max(len(shape) for shape in shapes)
    for index, shape in enumerate(shapes):
        for dim in range(-1, -1 - len(shape), -1):
            if common[dim] == 1:
                common[dim] = shape[dim]
            elif shape[dim] not in (1, common[dim]):
                raise rules.ShapeMismatch(
                    f"Attempting to broadcast a dimension of length {shape[dim]} at {dim}! "
                    f"Mismatching argument at index {index} had {shape}; but expected shape "
                    f"should be broadcastable to {common}"
                )


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight=None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """-w (y ln x + (1 - y) ln(1 - x)) for probabilities x, each log clamped at -100,
    reduced; the weight w broadcasts to x's shape and gets no gradient. torch's checks in
    its order: the reduction, the target's size, then the weight against the target."""
    reduction = _checked_reduction(size_average, reduce, reduction)
    if target.size() != input.size():
        raise ValueError(
            f"Using a target size ({rules.size_repr(target.shape)}) that is different to the "
            f"input size ({rules.size_repr(input.shape)}) is deprecated. Please ensure they "
            "have the same size."
        )
    operands = [input, input._coerce(target)]
    if weight is not None:
        _check_broadcast_shapes(target.size(), weight.size())
        operands.append(input._coerce(weight))
    return input._call("binary_cross_entropy", operands, {"reduction": reduction})


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


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y[..., o] = Σ_ij x1[..., i] A[o, i, j] x2[..., j] + b[o], as torch composes it: both
    inputs reshaped to matrices, one `trilinear` op (TrilinearBackward0), the result
    reshaped back, then + bias (AddBackward0)."""
    for name, position, value in (("input1", 1, input1), ("input2", 2, input2)):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"bilinear(): argument '{name}' (position {position}) must be Tensor, not "
                f"{type(value).__name__}"
            )
    _check_tensor_arguments("bilinear", (("weight", 3, weight), ("bias", 4, bias)))
    if not isinstance(weight, Tensor):
        raise TypeError("bilinear(): argument 'weight' (position 3) must be Tensor, not NoneType")
    tensors = (("input1", input1), ("input2", input2), ("weight", weight), ("bias", bias))
    dtypes = [(name, t._meta.dtype) for name, t in tensors if t is not None]
    if len({dtype for _, dtype in dtypes}) > 1:
        raise RuntimeError(
            "All tensors must have the same dtype, got "
            + ", ".join(f"{name}: {_C_TYPE_NAME[dtype]}" for name, dtype in dtypes)
        )
    if input1.dim() != input2.dim():
        raise RuntimeError(
            f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}"
        )
    for i in range(input1.dim() - 1):
        if input1.size(i) != input2.size(i):
            raise RuntimeError(
                f"bilinear(): input batch dimensions do not match at dim {i}: got "
                f"{input1.size(i)} and {input2.size(i)}"
            )
    for name, value, dim in (("input1", input1, 1), ("input2", input2, 2)):
        if value.size(-1) != weight.size(dim):
            raise RuntimeError(
                f"bilinear(): {name} size does not match weight size: got {value.size(-1)} "
                f"but expected {weight.size(dim)}"
            )
    if bias is not None and bias.size(0) != weight.size(0):
        raise RuntimeError(
            f"bilinear(): bias size does not match weight size: got {bias.size(0)} but "
            f"expected {weight.size(0)}"
        )
    output_size = (*input1.shape[:-1], weight.size(0))
    matrix1 = input1.reshape(-1, input1.size(-1))
    matrix2 = input2.reshape(-1, input2.size(-1))
    output = input1._call("trilinear", [matrix1, weight, matrix2], {}).reshape(output_size)
    return output if bias is None else output + bias


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """(x - μ) / √(σ² + eps) w + b over the trailing `normalized_shape` dims: one op,
    `NativeLayerNormBackward0`, whose three inputs are always there (the numbers 1 and 0 stand
    for an absent weight and bias, as torch's node has None for them)."""
    _check_input("layer_norm", input)
    shape = _sizes("layer_norm", normalized_shape, 2, "normalized_shape")
    affine = []
    for value, name, position, absent in ((weight, "weight", 3, 1), (bias, "bias", 4, 0)):
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(
                f"layer_norm(): argument '{name}' (position {position}) must be Tensor, "
                f"not {type(value).__name__}"
            )
        affine.append(absent if value is None else value)
    eps = _number_argument("layer_norm", eps, "eps", 5, "float")
    attrs = {"normalized_shape": shape, "eps": eps}
    return input._call("layer_norm", [input, *affine], attrs)


_C_TYPE_NAME = {"float32": "float", "float64": "double", "int64": "long int", "bool": "bool"}


def rms_norm(
    input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None
) -> Tensor:
    """x / √(mean(x²) + eps) w over the trailing `normalized_shape` dims, composed as torch
    composes it on the CPU: x * rsqrt(x.pow(2).mean(dims, keepdim=True) + eps), times w when
    given, cast back to x's dtype (MulBackward0 over RsqrtBackward0, AddBackward1,
    MeanBackward1, PowBackward0). eps=None is the machine epsilon of x's dtype. A weight of
    another dtype warns once, as torch does."""
    _check_input("rms_norm", input)
    shape = _sizes("rms_norm", normalized_shape, 2, "normalized_shape")
    _check_tensor_arguments("rms_norm", (("weight", 3, weight),))
    if eps is not None:
        eps = _number_argument("rms_norm", eps, "eps", 4, "float")
    if not shape:
        raise RuntimeError(
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least "
            "one element, but got normalized_shape = []"
        )
    if weight is not None and tuple(weight.shape) != tuple(shape):
        raise RuntimeError(
            "Expected weight to be of same shape as normalized_shape, but got weight of shape "
            f"{list(weight.shape)} and normalized_shape = {shape}"
        )
    if input.ndim < len(shape):
        raise ValueError(
            f"Input tensor must have at least {len(shape)} dimensions, but got {input.ndim}"
        )
    if list(input.shape[input.ndim - len(shape) :]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={shape}, expected input with shape "
            f"[*{', '.join(map(str, shape))}], but got input of size{list(input.shape)}"
        )
    if weight is not None and weight.dtype != input.dtype and "rms_norm_dtypes" not in _WARNED:
        _WARNED.add("rms_norm_dtypes")
        warnings.warn(
            "Mismatch dtype between input and weight: input dtype = "
            f"{_C_TYPE_NAME[input._meta.dtype]}, weight dtype = {_C_TYPE_NAME[weight._meta.dtype]}"
            ", Cannot dispatch to fused implementation. (Triggered internally at "
            "/__w/pytorch/pytorch/aten/src/ATen/native/layer_norm.cpp:346.)",
            UserWarning,
            stacklevel=2,
        )
    if not rules.is_float(input._meta.dtype):
        raise NotImplementedError(
            f"\"rms_norm\" not implemented for '{rules.TORCH_TYPE_NAME[input._meta.dtype]}'"
        )
    if eps is None:
        eps = float(np.finfo(input._meta.dtype).eps)
    dims = tuple(range(input.ndim - 1, input.ndim - 1 - len(shape), -1))
    out = input * _scalar("add", input.pow(2).mean(dims, keepdim=True), eps).rsqrt()
    if weight is not None:
        out = out * weight
    return out if out.dtype == input.dtype else out.to(input.dtype)


def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """x / (k + α/n Σ x²)^β, the sum over n = `size` neighbouring channels (dim 1), composed
    as torch composes it: x², padded along the channels, averaged over (size, 1) windows by
    avg_pool2d (over (size, 1, 1) windows of the (N, 1, C, H, rest) view by avg_pool3d for
    inputs of 4 or more dims), then mul, add, pow and div."""
    dim = input.dim()
    if dim < 3:
        raise ValueError(
            "Expected 3D or higher dimensionality                          input "
            f"(got {dim} dimensions)"
        )
    if input.numel() == 0:
        return input
    div = input.mul(input)
    if dim == 3:
        div = div.unsqueeze(1)
        div = pad(div, (0, 0, size // 2, (size - 1) // 2))
        div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        sizes = input.size()
        div = div.view(sizes[0], 1, sizes[1], sizes[2], -1)
        div = pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = avg_pool3d(div, (size, 1, 1), stride=1).squeeze(1)
        div = div.view(sizes)
    div = div.mul(alpha).add(k).pow(beta)
    return input / div


def _verify_batch_size(size) -> None:
    """torch's: training needs more than one value per channel."""
    values = size[0]
    for i in range(len(size) - 2):
        values *= size[i + 2]
    if values == 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size {size}"
        )


def _check_call(op: str, operands: list, attrs: dict) -> None:
    """torch's checks of `op` on `operands`, raised before anything is queued."""
    metas = [o._meta if isinstance(o, Tensor) else o for o in operands]
    spec, _, out = rules.infer(op, metas, attrs)
    requires = [isinstance(o, Tensor) and o._requires_grad for o in operands]
    rules.gradient_needs(spec, requires, out, is_grad_enabled())


def _check_tensor_arguments(function: str, arguments) -> None:
    """torch's TypeError for each (name, position, value) whose value is neither None nor a
    tensor, in order."""
    for name, position, value in arguments:
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(
                f"{function}(): argument '{name}' (position {position}) must be Tensor, "
                f"not {type(value).__name__}"
            )


def _norm_arguments(
    function: str, input, tensors: tuple, flag_name: str, flag, momentum, eps
) -> tuple[float, float]:
    """torch.batch_norm's and torch.instance_norm's argument checks in their order: the
    input, the (weight, bias, running_mean, running_var) tensors, the bool `flag` at
    position 6; then momentum and eps as floats."""
    _check_input(function, input)
    names = ("weight", "bias", "running_mean", "running_var")
    _check_tensor_arguments(function, zip(names, range(2, 6), tensors, strict=True))
    if not isinstance(flag, bool):
        raise TypeError(
            f"{function}(): argument '{flag_name}' (position 6) must be bool, not "
            f"{type(flag).__name__}"
        )
    return (
        _number_argument(function, momentum, "momentum", 7, "float"),
        _number_argument(function, eps, "eps", 8, "float"),
    )


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """(x - μ) / √(σ² + eps) w + b per channel (dim 1): the batch's μ and biased σ² in
    training, the running ones otherwise. In training the running statistics, when given,
    become (1 - momentum) running + momentum × the batch's μ and unbiased σ², in place, as
    torch updates them; then one op, `NativeBatchNormBackward0`, whose three inputs are
    always there (the numbers 1 and 0 stand for an absent weight and bias)."""
    if training:
        _verify_batch_size(input.size())
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    momentum, eps = _norm_arguments(
        "batch_norm", input, (weight, bias, running_mean, running_var), "training", training,
        momentum, eps,
    )  # fmt: skip
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps):
    """torch.batch_norm once its arguments are parsed: the running statistics' update, then
    the op (for an input without elements, torch's own composition, unchecked)."""
    if input.numel() == 0:
        out = input.clone()
        if weight is not None:
            out = out * weight[0]
        return out + bias[0] if bias is not None else out
    running = [] if running_mean is None and running_var is None else [running_mean, running_var]
    operands = [input, 1 if weight is None else weight, 0 if bias is None else bias]
    operands += [0 if r is None else r for r in running]  # a number for one left out: an error
    attrs = {"training": training, "eps": eps}
    if training and running:
        _check_call("batch_norm", operands, attrs)
        with no_grad():
            stats = input._call(
                "batch_norm_running_stats", [input, *running], {"momentum": momentum}
            )
            for value, updated in zip(running, stats, strict=True):
                value.copy_(updated if updated.shape == value.shape else updated.view_as(value))
    return input._call("batch_norm", operands, attrs)


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """(x - μ) / √(σ² + eps) w + b per sample and channel, composed as torch composes it:
    x viewed as (1, N C, *), weight, bias and running statistics repeated N times, one
    batch_norm (training with `use_input_stats`), the running statistics given back as the
    mean over the batch of the repeated ones batch_norm updated, and the result viewed back
    (ViewBackward0 over NativeBatchNormBackward0)."""
    if use_input_stats:
        size = input.size()
        if prod(size[2:]) == 1:
            raise ValueError(
                f"Expected more than 1 spatial element when training, got input size {size}"
            )
    momentum, eps = _norm_arguments(
        "instance_norm", input, (weight, bias, running_mean, running_var), "use_input_stats",
        use_input_stats, momentum, eps,
    )  # fmt: skip
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError(
            "Expected running_mean and running_var to be defined when use_input_stats is false"
        )
    batch, channels = input.size(0), input.size(1)
    weight, bias, mean, var = (
        None if t is None else t.repeat(batch) for t in (weight, bias, running_mean, running_var)
    )
    flat = input.contiguous().view(1, batch * channels, *input.shape[2:])
    out = _batch_norm(flat, mean, var, weight, bias, use_input_stats, momentum, eps)
    with no_grad():
        for running, repeated in ((running_mean, mean), (running_var, var)):
            if running is not None:
                running.copy_(repeated.view(batch, channels).mean(0))
    return out.view(input.shape)


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """(x - μ) / √(σ² + eps) w + b over each sample's `num_groups` groups of channels: one
    op, `NativeGroupNormBackward0`, whose three inputs are always there (the numbers 1 and 0
    stand for an absent weight and bias), of the input made contiguous (CloneBackward0 when
    it is not, as torch's)."""
    if input.dim() < 2:
        raise RuntimeError(
            f"Expected at least 2 dimensions for input tensor but received {input.dim()}"
        )
    _verify_batch_size([input.size(0) * input.size(1) // num_groups, num_groups, *input.size()[2:]])
    if not _is_int(num_groups):
        raise TypeError(
            "group_norm(): argument 'num_groups' (position 2) must be int, not "
            f"{type(num_groups).__name__}"
        )
    _check_tensor_arguments("group_norm", (("weight", 3, weight), ("bias", 4, bias)))
    eps = _number_argument("group_norm", eps, "eps", 5, "float")
    operands = [input, 1 if weight is None else weight, 0 if bias is None else bias]
    attrs = {"num_groups": operator.index(num_groups), "eps": eps}
    if not input.is_contiguous():
        _check_call("native_group_norm", operands, attrs)
        operands[0] = input.contiguous()
    return input._call("native_group_norm", operands, attrs)


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


# ---------------------------------------------------------------- losses torch composes


def _apply_loss_reduction(loss: Tensor, reduction: str) -> Tensor:
    """torch's apply_loss_reduction: loss.mean(), loss.sum() or the loss itself."""
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _scalar_minus(number: float, tensor: Tensor) -> Tensor:
    """`number - tensor` as ATen's C++ operator computes it: a tensor like `tensor` filled with
    `number`, then sub_ (SubBackward0, no edge to the filled one)."""
    return tensor.new_zeros(tensor.shape).fill_(number).sub_(tensor)


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """Σ y (ln y - x) for log-probabilities x, composed as torch's: xlogy(y, y) - y x, or
    exp(y) (y - x) for a log target; 'batchmean' divides the sum by the batch size."""
    if size_average is not None or reduce is not None:
        reduced_as = _reduction(size_average, reduce, reduction)
    else:
        if reduction == "mean":
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the "
                "support size.'batchmean' divides only by the batch size, and aligns with the "
                "KL div math definition.'mean' will be changed to behave the same as "
                "'batchmean' in the next major release.",
                stacklevel=2,
            )
        reduced_as = "sum" if reduction == "batchmean" else _check_reduction(reduction)
    target = input._coerce(target)
    if not (rules.is_float(input._meta.dtype) and rules.is_float(target._meta.dtype)):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        output = target.exp() * (target - input)
    else:
        output = target.xlogy(target) - target * input
    reduced = _apply_loss_reduction(output, reduced_as)
    if reduction == "batchmean" and input.ndim != 0:
        return reduced / input.size()[0]
    return reduced


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, -y (x1 - x2) + margin), reduced, composed as torch's."""
    reduction = _checked_reduction(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} "
        )
    target = input1._coerce(target)
    unclamped = _scalar("add", -target * (input1 - input2), margin)
    return _apply_loss_reduction(unclamped.clamp_min_(0), reduction)


def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """x where y is 1, max(0, margin - x) where y is -1 (both where y is neither), reduced,
    composed as torch's."""
    reduction = _checked_reduction(size_average, reduce, reduction)
    target = input._coerce(target)
    zeros = input.new_zeros(input.shape)
    margin_clamp = _scalar_minus(margin, input).clamp_min_(0)
    output_margin = margin_clamp.where(target != 1, zeros)
    output_self = input.where(target != -1, zeros)
    return _apply_loss_reduction(output_margin + output_self, reduction)


def soft_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """ln(1 + e^(-y x)), reduced: torch's own op (SoftMarginLossBackward0); the target gets
    no gradient."""
    reduction = _checked_reduction(size_average, reduce, reduction)
    return input._call("soft_margin_loss", [input, input._coerce(target)], {"reduction": reduction})


_COSINE_EPSILON = 1e-12


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """1 - cos(x1, x2) where y is 1, max(0, cos(x1, x2) - margin) where y is -1, reduced;
    cos = Σ x1 x2 / sqrt((Σ x1² + ε)(Σ x2² + ε)), composed as torch's."""
    reduction = _checked_reduction(size_average, reduce, reduction)
    target = input1._coerce(target)
    targ_dim = target.ndim
    if targ_dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    sizes = f"{list(input1.shape)} and {list(input2.shape)}."
    if targ_dim == 1 and not input1.ndim == input2.ndim == 2:
        raise RuntimeError(
            f"1D target tensor expects 2D input tensors, but found inputs with sizes {sizes}"
        )
    if targ_dim == 0 and not input1.ndim == input2.ndim == 1:
        raise RuntimeError(
            f"0D target tensor expects 1D input tensors, but found inputs with sizes {sizes}"
        )
    prod_sum = (input1 * input2).sum(targ_dim)
    mag_square1 = _scalar("add", (input1 * input1).sum(targ_dim), _COSINE_EPSILON)
    mag_square2 = _scalar("add", (input2 * input2).sum(targ_dim), _COSINE_EPSILON)
    cos = prod_sum / (mag_square1 * mag_square2).sqrt_()
    zeros = cos.new_zeros(cos.shape)
    pos = _scalar_minus(1, cos)
    neg = _scalar("sub", cos, margin).clamp_min_(0)
    output = pos.where(target == 1, zeros) + neg.where(target == -1, zeros)
    return _apply_loss_reduction(output, reduction)


def poisson_nll_loss(
    input: Tensor,
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average=None,
    eps: float = 1e-8,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """e^x - y x for a log input x, else x - y ln(x + eps); `full` adds Stirling's
    y ln y - y + ½ ln(2π y) where y > 1; reduced, composed as torch's."""
    reduction = _checked_reduction(size_average, reduce, reduction)
    target = input._coerce(target)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * _scalar("add", input, eps).log()
    if full:
        stirling = (
            target * target.log()
            - target
            + _scalar("mul", _scalar("mul", target, 2 * math.pi).log(), 0.5)
        )
        loss += stirling.masked_fill(target <= 1, 0)
    return _apply_loss_reduction(loss, reduction)


def gaussian_nll_loss(
    input: Tensor,
    target: Tensor,
    var,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """½ (ln max(var, eps) + (x - y)² / max(var, eps)), plus ½ ln 2π when `full`, reduced,
    as torch's Python computes it (var clamped in place without recording; a var one dim
    short of the input is unsqueezed)."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * input.new_ones(input.shape)
    elif not isinstance(var, Tensor):  # torch.any(var < 0) of a Python int's bool
        raise TypeError(
            f"any() received an invalid combination of arguments - got ({type(var < 0).__name__}"
            "), but expected one of:\n * (Tensor input, *, Tensor out = None)\n * (Tensor "
            "input, tuple of ints dim = None, bool keepdim = False, *, Tensor out = None)\n * "
            "(Tensor input, int dim, bool keepdim = False, *, Tensor out = None)\n"
        )
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.size() != input.size():
        if input.size()[:-1] == var.size():
            var = var.unsqueeze(-1)
        elif not (
            input.ndim == var.ndim
            and sum(y for x, y in zip(input.size(), var.size(), strict=True) if x != y) == 1
        ):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss += 0.5 * math.log(2 * math.pi)
    return _apply_loss_reduction(loss, reduction)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) with d the pairwise distance (with `swap`,
    d(a, n) is min(d(a, n), d(p, n))), reduced, composed as torch's."""
    reduction = _checked_reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and "
            f"negative {negative.ndim}D inputs"
        )
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = dist_neg.minimum(pairwise_distance(positive, negative, p, eps))
    output = (_scalar("add", dist_pos, margin) - dist_neg).clamp_min(0)
    return _apply_loss_reduction(output, reduction)


def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight=None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """-(y ln σ(x) + (1 - y) ln σ(-x)), weighted, averaged over the class (last) dim, then
    reduced, as torch's Python computes it."""
    if size_average is not None or reduce is not None:
        reduction = _reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(dim=class_dim) / input.size(class_dim)
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(reduction + " is not valid")


def _ctc_lengths(log_probs: Tensor, input_lengths, target_lengths) -> tuple[list, list]:
    """The lengths as lists of ints: sequences as they are, tensors (integral, as torch
    requires) read in one round trip."""
    tensors = [v for v in (input_lengths, target_lengths) if isinstance(v, Tensor)]
    for value, name in ((input_lengths, "input_lengths"), (target_lengths, "target_lengths")):
        if isinstance(value, Tensor) and value.dtype != int64:
            raise RuntimeError(f"{name} must be integral")
    fetched = iter(log_probs._session.flush(tuple(t._handle for t in tensors)) if tensors else ())
    return tuple(
        [int(v) for v in next(fetched).reshape(-1).tolist()]
        if isinstance(value, Tensor)
        else [operator.index(v) for v in value]
        for value in (input_lengths, target_lengths)
    )


def ctc_loss(
    log_probs: Tensor,
    targets: Tensor,
    input_lengths,
    target_lengths,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """The connectionist temporal classification loss, composed as torch.ctc_loss composes
    it: each sample's negative log-likelihood (torch's own op, CtcLossBackward0, on (T, N, C)
    log-probabilities; an unbatched (T, C) input unsqueezed to a batch of one), infinite
    losses replaced by 0 through where with zero_infinity, then reduced: 'mean' divides each
    loss by its target length (at least 1) before the mean, 'sum' sums, 'none' keeps them.
    Lengths given as tensors are read (one round trip), as torch reads them."""
    reduction = _check_reduction(reduction)
    batched = log_probs.dim() == 3
    lengths = _ctc_lengths(log_probs, input_lengths, target_lengths)
    attrs = {
        "input_lengths": lengths[0],
        "target_lengths": lengths[1],
        "blank": operator.index(blank),
        "zero_infinity": bool(zero_infinity),
    }
    log_probs_ = log_probs if batched else log_probs.unsqueeze(1)
    losses = log_probs_._call("ctc_loss", [log_probs_, log_probs_._coerce(targets)], attrs)
    if zero_infinity:
        zero = losses._session.zeros((), dtype=losses.dtype)
        losses = zero.where(losses == math.inf, losses)
    if reduction == "mean":
        divisors = [float(max(length, 1)) for length in lengths[1]]
        return (losses / losses._session.tensor(divisors, dtype=losses.dtype)).mean()
    if reduction == "sum":
        return losses.sum()
    return losses if batched else losses.squeeze(0)


def multilabel_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Σ_j Σ_{d not a target} max(0, 1 - x[j] + x[d]) / C per sample, j over its int64
    target classes (its target row up to the first -1), reduced: torch's own op
    (MultilabelMarginLossBackward0). A target out of range is torch's RuntimeError at the
    next read."""
    reduction = _checked_reduction(size_average, reduce, reduction)
    operands = [input, input._coerce(target)]
    return input._call("multilabel_margin_loss", operands, {"reduction": reduction})


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight=None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Σ_{d != y} w_y max(0, margin - x[y] + x[d])^p / C per sample, reduced: torch's own op
    (MultiMarginLossBackward0); the weight gets no gradient."""
    reduction = _checked_reduction(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    operands = [input, input._coerce(target)]
    if weight is not None:
        if weight.dim() != 1:
            raise ValueError("weight must be one-dimensional")
        operands.append(input._coerce(weight))
    attrs = {"reduction": reduction, "p": int(p), "margin": float(margin)}
    return input._call("multi_margin_loss", operands, attrs)


# ---------------------------------------------------------------- one_hot, normalize, cosine


def one_hot(*args, **kwargs) -> Tensor:
    """F.one_hot(input, num_classes=-1): int64, a last dim of num_classes, 1 at each value.
    num_classes=-1 (or not positive) reads the values' minimum and maximum (one round trip,
    as torch synchronizes), so torch's errors come at this line; a given one checks the
    values on the server, its errors raised at the next read."""
    from ..tensor import _arguments

    params = (("input", "Tensor"), ("num_classes", "int", -1))
    input, num_classes = _arguments("one_hot", args, kwargs, params, required=1)
    if input.dtype == int64 and input.numel() and num_classes <= 0:
        with no_grad():
            low, high = input.amin(), input.amax()
        low, high = (int(v) for v in input._session.flush((low._handle, high._handle)))
        if low < 0:
            raise RuntimeError("Class values must be non-negative.")
        if num_classes != -1:
            raise RuntimeError("Class values must be smaller than num_classes.")
        num_classes = high + 1
    return input._call("one_hot", [input], {"num_classes": num_classes})


def normalize(input: Tensor, p: float = 2.0, dim=1, eps: float = 1e-12) -> Tensor:
    """input / max(‖input‖_p over dim, eps), composed as torch's: norm, clamp_min, expand_as,
    div (DivBackward0)."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return input / denom


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Σ (x1 / max(‖x1‖, eps)) (x2 / max(‖x2‖, eps)) over dim, composed as torch's C++: integer
    inputs converted to the common float dtype, both expanded to the broadcast shape when
    theirs differ, each 2-norm cloned and clamped in place without recording."""
    from ..linalg import vector_norm

    common = rules.result_type([x1._meta, x2._meta])
    if not rules.is_float(common):
        raise RuntimeError(
            "expected common dtype to be floating point, yet common dtype is "
            + rules.TORCH_TYPE_NAME[common]
        )
    x1, x2 = (x if rules.is_float(x._meta.dtype) else x.to(DTYPES[common]) for x in (x1, x2))
    if x1.shape != x2.shape:
        shape = rules.broadcast_shapes(x1.shape, x2.shape)
        x1, x2 = x1.expand(shape), x2.expand(shape)
    norms = [vector_norm(x, 2, dim, keepdim=True).clone() for x in (x1, x2)]
    with no_grad():
        for norm in norms:
            norm.clamp_min_(eps)
    return ((x1 / norms[0]) * (x2 / norms[1])).sum(dim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """‖x1 - x2 + eps‖_p over the last dim of the broadcast, composed as torch's: sub, add
    (AddBackward1), norm (NormBackward1)."""
    difference = _scalar("add", x1 - x2, eps)
    attrs = {"ord": float(p), "dim": [max(x1.ndim, x2.ndim) - 1], "keepdim": bool(keepdim)}
    return difference._call("linalg_vector_norm", [difference], {**attrs, "norm_overload": True})


# ---------------------------------------------------------------- embedding


def _parsed(function: str, value, name: str, position: int, kind: str):
    """`value` as torch's argument parser takes an int (anything with __index__ but a bool)
    or a bool (a Python bool only), else its TypeError."""
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind == "int" and not isinstance(value, bool) and hasattr(type(value), "__index__"):
        return operator.index(value)
    shown = "Tensor" if isinstance(value, Tensor) else typename(value)
    raise TypeError(
        f"{function}(): argument '{name}' (position {position}) must be {kind}, not {shown}"
    )


def padding_index(padding_idx: int | None, num_embeddings: int) -> int | None:
    """torch's check that padding_idx names a row (AssertionError otherwise, compared as
    torch compares it), made non-negative."""
    if padding_idx is None:
        return None
    if padding_idx > 0:
        if padding_idx >= num_embeddings:
            raise AssertionError("Padding_idx must be within num_embeddings")
    elif padding_idx < 0:
        if padding_idx < -num_embeddings:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = num_embeddings + padding_idx
    return padding_idx


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """weight[input]: the row of each index, torch.embedding (EmbeddingBackward0), after
    torch.nn.functional's own steps: padding_idx checked against the rows and made
    non-negative (-1 for none); with max_norm, the rows input names renormalized in place
    first, through weight.detach(), as embedding_renorm_ does (a row whose norm of order
    norm_type exceeds max_norm is scaled by max_norm / (norm + 1e-7))."""
    padding_idx = -1 if padding_idx is None else padding_index(padding_idx, weight.size(0))
    if max_norm is not None:
        input = input.contiguous()
        _embedding_renorm_(weight.detach(), input, max_norm, norm_type)
    for value, name, position in ((weight, "weight", 1), (input, "indices", 2)):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"embedding(): argument '{name}' (position {position}) must be Tensor, "
                f"not {type(value).__name__}"
            )
    attrs = {
        "padding_idx": _parsed("embedding", padding_idx, "padding_idx", 3, "int"),
        "scale_grad_by_freq": _parsed(
            "embedding", scale_grad_by_freq, "scale_grad_by_freq", 4, "bool"
        ),
    }
    if _parsed("embedding", sparse, "sparse", 5, "bool"):
        raise NotImplementedError(
            "gradrpc: embedding with sparse=True is not supported (gradrpc has no sparse "
            "tensors); use sparse=False, whose gradient is the same as a dense tensor"
        )
    return weight._call("embedding", [weight, weight._coerce(input)], attrs)


def embedding_bag(
    input: Tensor,
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Each bag's rows of weight summed, averaged or maxed: torch.embedding_bag
    (EmbeddingBagBackward0), after torch.nn.functional's own steps and checks: a 2-D input is
    bags of its row length (offsets built for it), a 1-D one bags starting at `offsets`;
    padding_idx checked against the rows and made non-negative; with max_norm, the rows
    input names renormalized in place first, as embedding does."""
    if weight.dtype == int64 and input.is_floating_point():
        warnings.warn(
            "Argument order of nn.functional.embedding_bag was changed. "
            "Usage `embedding_bag(weight, input, ...)` is deprecated, "
            "and should now be `embedding_bag(input, weight, ...)`.",
            stacklevel=2,
        )
        weight, input = input, weight
    if per_sample_weights is not None and input.size() != per_sample_weights.size():
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, "
            f"then it must have the same shape as the input ({input.shape})"
        )
    if weight.dim() != 2:
        raise ValueError(
            f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}"
        )
    if input.dim() == 2:
        if offsets is not None:
            shown = "<class 'torch.Tensor'>" if isinstance(offsets, Tensor) else str(type(offsets))
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a "
                "mini-batch of fixed length sequences. However, found offsets of type "
                f"{shown}"
            )
        offsets = input._session.arange(0, input.numel(), input.size(1), dtype=input.dtype)
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}"
        )
    if mode not in rules.EMBEDDING_BAG_MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if max_norm is not None:
        _embedding_renorm_(weight.detach(), input, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. "
            "per_sample_weights is only supported for mode='sum' "
            f"(got mode='{mode}'). Please open a feature request on GitHub."
        )
    if sparse:
        raise NotImplementedError(
            "gradrpc: embedding_bag with sparse=True is not supported (gradrpc has no sparse "
            "tensors); use sparse=False, whose gradient is the same as a dense tensor"
        )
    rows = weight.size(0)
    if padding_idx is not None and not -rows <= padding_idx < rows:
        raise RuntimeError(
            f"padding_idx must be within the number of embeddings, -{rows} through "
            f"{rows - 1}, but got {padding_idx}"
        )
    attrs = {
        "mode": mode,
        "scale_grad_by_freq": bool(scale_grad_by_freq),
        "include_last_offset": bool(include_last_offset),
        "padding_idx": -1 if padding_idx is None else padding_idx % rows,
    }
    sample_weights = 0 if per_sample_weights is None else weight._coerce(per_sample_weights)
    operands = [weight, weight._coerce(input), weight._coerce(offsets), sample_weights]
    return weight._call("embedding_bag", operands, attrs)


def _embedding_renorm_(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    """torch.embedding_renorm_(weight, input, max_norm, norm_type): the renormalized rows
    (the embedding_renorm op) written back into weight in place, one write."""
    attrs = {
        "max_norm": _number_argument("embedding_renorm_", max_norm, "max_norm", 3, "float"),
        "norm_type": _number_argument("embedding_renorm_", norm_type, "norm_type", 4, "float"),
    }
    indices = weight._coerce(input).reshape(-1)
    weight[indices] = weight._call("embedding_renorm", [weight, indices], attrs)


# ---------------------------------------------------------------- convolution

_CONV_PARAMS = ("input", "weight", "bias", "stride", "padding", "dilation", "groups")
_CONV_OVERLOADS = (
    " * (Tensor input, Tensor weight, Tensor bias = None, tuple of ints stride = 1, tuple of "
    "ints padding = 0, tuple of ints dilation = 1, int groups = 1)\n"
    " * (Tensor input, Tensor weight, Tensor bias = None, tuple of ints stride = 1, str "
    'padding = "valid", tuple of ints dilation = 1, int groups = 1)\n'
)
_SAME_WARNING = (
    "Using padding='same' with even kernel lengths and odd dilation may require a zero-padded "
    "copy of the input be created (Triggered internally at "
    "/__w/pytorch/pytorch/aten/src/ATen/native/Convolution.cpp:1101.)"
)


class _Unmatched(Exception):
    """An argument that fits neither of torch's convNd overloads."""


def _shown(value) -> str:
    return "Tensor" if isinstance(value, Tensor) else typename(value)


def _index_int(value) -> int:
    """An int as torch's parser takes one: anything with __index__ but a bool (an integer
    tensor of one element is its value)."""
    if isinstance(value, bool) or not hasattr(type(value), "__index__"):
        raise _Unmatched
    if isinstance(value, Tensor) and (value.dtype is not int64 or value.numel() != 1):
        raise _Unmatched
    return operator.index(value)


def _int_list(function: str, name: str, value, size: int) -> list[int]:
    """A `tuple of ints` argument: an int, or a sequence whose first element is an int and
    whose others are ints or bools (torch's unpack error names the first that is not). A
    single int stands for `size` of them, as torch's parser expands it for convNd."""
    if isinstance(value, Tensor) and value.dtype is int64 and value.numel() == 1:
        return [int(value.item())] * size
    if isinstance(value, list | tuple):
        if value:
            _index_int(value[0])  # torch matches an overload on the first element alone
        out = []
        for position, element in enumerate(value, start=1):
            if isinstance(element, bool):
                out.append(int(element))
                continue
            try:
                out.append(_index_int(element))
            except _Unmatched:
                raise TypeError(
                    f"{function}(): argument '{name}' failed to unpack the object at pos "
                    f'{position} with error "type must be tuple of ints,but got '
                    f'{type(element).__name__}"'
                ) from None
        return out
    return [_index_int(value)] * size


def _conv_arguments(function: str, spatial: int, args: tuple, kwargs: dict):
    """convNd's arguments bound as torch's parser binds them, or its TypeError."""
    bound = dict(zip(_CONV_PARAMS, args, strict=False))
    try:
        if len(args) > len(_CONV_PARAMS) or any(
            k not in _CONV_PARAMS or k in bound for k in kwargs
        ):
            raise _Unmatched
        bound.update(kwargs)
        input, weight = bound.get("input"), bound.get("weight")
        bias = bound.get("bias")
        if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
            raise _Unmatched
        if bias is not None and not isinstance(bias, Tensor):
            raise _Unmatched
        stride = _int_list(function, "stride", bound.get("stride", 1), spatial)
        padding = bound.get("padding", 0)
        if not isinstance(padding, str):
            padding = _int_list(function, "padding", padding, spatial)
        dilation = _int_list(function, "dilation", bound.get("dilation", 1), spatial)
        groups = _index_int(bound.get("groups", 1))
    except _Unmatched:
        got = ", ".join([_shown(a) for a in args] + [f"{k}={_shown(v)}" for k, v in kwargs.items()])
        raise TypeError(
            f"{function}() received an invalid combination of arguments - got ({got}), but "
            f"expected one of:\n{_CONV_OVERLOADS}"
        ) from None
    return input, weight, bias, stride, padding, dilation, groups


def _sizes_text(sizes) -> str:
    return f"[{', '.join(str(s) for s in sizes)}]"


def _batchify(function: str, spatial: int, input: Tensor) -> tuple[Tensor, bool]:
    """torch's batchify: an input of `spatial` dims and channels, unbatched ones given a
    batch dim (UnsqueezeBackward0); whether it had one."""
    if input.ndim not in (spatial + 1, spatial + 2):
        raise ShapeMismatch(
            f"Expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input to "
            f"{function}, but got input of size: {_sizes_text(input.shape)}"
        )
    batched = input.ndim == spatial + 2
    return (input if batched else input.unsqueeze(0)), batched


def _convolution(function: str, spatial: int, args: tuple, kwargs: dict) -> Tensor:
    """torch's conv1d/conv2d/conv3d: the bias's dtype checked, an unbatched input given a
    batch dim (UnsqueezeBackward0, then SqueezeBackward1 on the result, as torch records
    them), padding 'valid' as 0 and 'same' as torch's convolution_same computes it (an even
    kernel with odd dilation pads the input on the right first, a constant_pad_nd), then
    one convolution op (ConvolutionBackward0)."""
    input, weight, bias, stride, padding, dilation, groups = _conv_arguments(
        function, spatial, args, kwargs
    )
    if bias is not None and bias._meta.dtype != input._meta.dtype:
        raise DtypeMismatch(
            f"Input type ({rules.C_TYPE_NAME[input._meta.dtype]}) and bias type "
            f"({rules.C_TYPE_NAME[bias._meta.dtype]}) should be the same"
        )
    input, batched = _batchify(function, spatial, input)
    if isinstance(padding, str):
        if padding == "same":
            input, padding = _same_padding(input, weight, stride, dilation, groups)
        elif padding == "valid":
            padding = [0]
        else:
            raise ComputeError(f"Invalid padding string: '{padding}'")
    attrs = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    out = input._call("convolution", [input, weight, 0 if bias is None else bias], attrs)
    return out if batched else out.squeeze(0)


def _same_padding(input: Tensor, weight: Tensor, stride, dilation, groups: int):
    """torch's convolution_same: its checks, then the padding that keeps the input's size;
    where a dim needs one more on the right than on the left, the input padded there first
    (a zero-padded copy, with torch's warning, once)."""
    k = weight.ndim
    if k <= 2:
        raise ShapeMismatch("weight should have at least three dimensions")
    if groups <= 0:
        raise ComputeError("non-positive groups is not supported")
    dim = k - 2
    if k != input.ndim:
        raise ShapeMismatch(
            f"Expected {k}-dimensional input for {k}-dimensional weight"
            f"{_sizes_text(weight.shape)}, but got {input.ndim}-dimensional input of size "
            f"{_sizes_text(input.shape)} instead"
        )
    for name, values in (("stride", stride), ("dilation", dilation)):
        if len(values) not in (dim, 1):
            raise ShapeMismatch(f"{name} cannot broadcast to {dim} dimensions")
    if any(s != 1 for s in stride):
        raise ComputeError("padding='same' is not supported for strided convolutions")
    left, right = [], []
    for i in range(dim):
        total = (dilation[0] if len(dilation) == 1 else dilation[i]) * (weight.shape[i + 2] - 1)
        left.append(total // 2)
        right.append(total - total // 2)
    if left == right:
        return input, left
    if "conv_same" not in _WARNED:
        _WARNED.add("conv_same")
        warnings.warn(_SAME_WARNING, UserWarning, stacklevel=4)
    pad = [0] * (2 * dim)
    for i in range(dim):
        delta = right[i] - left[i]
        at = 2 * (dim - 1 - i)  # F.pad's order: the last dim first
        if delta > 0:
            pad[at + 1] = delta
        else:
            pad[at] = delta
            left[i] = right[i]
    return input._call("constant_pad_nd", [input], {"pad": pad, "value": 0}), left


def conv1d(*args, **kwargs) -> Tensor:
    """conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1): the
    cross-correlation of an (N, C, L) or unbatched (C, L) input with an (O, C/groups, K)
    weight; padding an int, a tuple, 'valid' or 'same' (see _convolution)."""
    return _convolution("conv1d", 1, args, kwargs)


def conv2d(*args, **kwargs) -> Tensor:
    """conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1): the
    cross-correlation of an (N, C, H, W) or unbatched (C, H, W) input with an
    (O, C/groups, kH, kW) weight; padding an int, a tuple, 'valid' or 'same'."""
    return _convolution("conv2d", 2, args, kwargs)


def conv3d(*args, **kwargs) -> Tensor:
    """conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1): the
    cross-correlation of an (N, C, D, H, W) or unbatched (C, D, H, W) input with an
    (O, C/groups, kD, kH, kW) weight; padding an int, a tuple, 'valid' or 'same'."""
    return _convolution("conv3d", 3, args, kwargs)


_CONV_TRANSPOSE_PARAMS = (
    ("input", None),
    ("weight", "Tensor"),
    ("bias", "Tensor?"),
    ("stride", "ints"),
    ("padding", "ints"),
    ("output_padding", "ints"),
    ("groups", "int"),
    ("dilation", "ints"),
)


def _conv_transpose(function: str, spatial: int, args: tuple, kwargs: dict) -> Tensor:
    """torch's conv_transpose1d/2d/3d: its parser's TypeErrors, an unbatched input given a
    batch dim (UnsqueezeBackward0, then SqueezeBackward1 on the result), then one
    convolution op with transposed set (ConvolutionBackward0)."""
    params = _CONV_TRANSPOSE_PARAMS
    if len(args) > len(params):
        raise TypeError(
            f"{function}() takes from 2 to {len(params)} positional arguments but {len(args)} "
            "were given"
        )
    bound, missing = _bind_pool_arguments(
        function, params, args, kwargs, spatial, ("input", "weight")
    )
    if missing:
        raise _missing_arguments(function, missing)
    input, batched = _batchify(function, spatial, bound.pop("input"))
    operands = [input, bound.pop("weight"), bound.pop("bias", None)]
    if operands[2] is None:
        operands[2] = 0
    out = input._call("convolution", operands, {**bound, "transposed": True})
    return out if batched else out.squeeze(0)


def conv_transpose1d(*args, **kwargs) -> Tensor:
    """conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
    groups=1, dilation=1): the transposed convolution (the adjoint of conv1d's) of an
    (N, C, L) or unbatched (C, L) input with a (C, O/groups, K) weight."""
    return _conv_transpose("conv_transpose1d", 1, args, kwargs)


def conv_transpose2d(*args, **kwargs) -> Tensor:
    """conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
    groups=1, dilation=1): the transposed convolution (the adjoint of conv2d's) of an
    (N, C, H, W) or unbatched (C, H, W) input with a (C, O/groups, kH, kW) weight."""
    return _conv_transpose("conv_transpose2d", 2, args, kwargs)


def conv_transpose3d(*args, **kwargs) -> Tensor:
    """conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
    groups=1, dilation=1): the transposed convolution (the adjoint of conv3d's) of an
    (N, C, D, H, W) or unbatched (C, D, H, W) input with a (C, O/groups, kD, kH, kW)
    weight."""
    return _conv_transpose("conv_transpose3d", 3, args, kwargs)


# ---------------------------------------------------------------- adaptive pooling


_INTERPOLATE_MODES = (
    "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
)
_UPSAMPLE_OPS = {
    (3, "nearest"): 1,
    (4, "nearest"): 2,
    (5, "nearest"): 3,
    (3, "nearest-exact"): 1,
    (4, "nearest-exact"): 2,
    (5, "nearest-exact"): 3,
    (3, "linear"): 1,
    (4, "bilinear"): 2,
    (4, "bicubic"): 2,
    (5, "trilinear"): 3,
}


def _interpolate_sizes(input: Tensor, size, scale_factor, dim: int):
    """torch's interpolate: exactly one of size and scale_factor, as one entry per spatial
    dim; returns (output_size, scale_factors), one of them None."""
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if not isinstance(size, list | tuple):
            return [size for _ in range(dim)], None
        if len(size) != dim:
            raise ValueError(
                "Input and output must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {list(input.shape[2:])} and output size of "
                f"{size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                "output size in (o1, o2, ...,oK) format."
            )
        if not all(isinstance(s, int) for s in size):
            raise TypeError(
                "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                "Tuple[int, int, int], but got size with types "
                f"{[type(s) for s in size]}"
            )
        return size, None
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if not isinstance(scale_factor, list | tuple):
        return None, [scale_factor for _ in range(dim)]
    if len(scale_factor) != dim:
        raise ValueError(
            "Input and scale_factor must have the same number of spatial dimensions, but got "
            f"input with spatial dimensions of {list(input.shape[2:])} and scale_factor of "
            f"shape {scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) "
            "format and scale_factor in (s1, s2, ...,sK) format."
        )
    return None, scale_factor


def _scaled_size(size: int, factor: float) -> int:
    """torch's compute_output_size: size · factor in float64, truncated to int64."""
    value = float(size) * float(factor)
    if not -(2.0**63) <= value < 2.0**63:
        raise RuntimeError("value cannot be converted to type int64_t without overflow")
    return int(value)


def interpolate(
    input: Tensor,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """torch's interpolate: its checks in its order, then 'nearest' and 'nearest-exact' (1-d
    to 3-d: UpsampleNearest{1,2,3}DBackward0, UpsampleNearestExact{1,2,3}DBackward0),
    'linear' (UpsampleLinear1DBackward0), 'bilinear' and 'bicubic' (UpsampleBilinear2D-,
    UpsampleBicubic2DBackward0), 'trilinear' (UpsampleTrilinear3DBackward0) or 'area'
    (adaptive_avg_pool1d/2d/3d). With recompute_scale_factor, the output size is
    floor(size · scale) and the kernel derives its scale from the sizes; otherwise it
    takes 1 / scale_factor. antialias and 'lanczos' raise NotImplementedError."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | bicubic | trilinear"
            )
    elif align_corners is None:
        align_corners = False
    dim = input.ndim - 2
    output_size, scale_factors = _interpolate_sizes(input, size, scale_factor, dim)
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        output_size = [int(input.shape[i + 2] * scale_factors[i]) for i in range(dim)]
        scale_factors = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
        raise ValueError(
            "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and "
            "requires a 4-D tensor as input"
        )
    if mode == "area" and input.ndim in (3, 4, 5):
        pools = {3: adaptive_avg_pool1d, 4: adaptive_avg_pool2d, 5: adaptive_avg_pool3d}
        return pools[input.ndim](input, output_size)
    dims = _UPSAMPLE_OPS.get((input.ndim, mode))
    if mode == "lanczos" and input.ndim == 4 and not antialias:
        raise ValueError("Lanczos mode requires antialias=True")
    if dims is None or antialias:
        needs = {"linear": 3, "bilinear": 4, "trilinear": 5}.get(mode)
        if input.ndim in (3, 4, 5) and needs not in (None, input.ndim):
            raise NotImplementedError(
                f"Got {input.ndim}D input, but {mode} mode needs {needs}D input"
            )
        if antialias or (mode == "lanczos" and input.ndim == 4):
            raise NotImplementedError(
                f"gradrpc: interpolate's mode '{mode}' with antialias is not supported yet"
            )
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
            f"the modes: {_INTERPOLATE_MODES} (got {mode})"
        )
    if output_size is None:
        output_size = [_scaled_size(input.shape[i + 2], scale_factors[i]) for i in range(dim)]
    attrs = {"output_size": list(output_size)}
    if not mode.startswith("nearest"):
        attrs["align_corners"] = bool(align_corners)
    if scale_factors is not None:
        names = rules.upsample_scale_names(dims)
        attrs.update({name: float(s) for name, s in zip(names, scale_factors, strict=True)})
    return input._call(rules.upsample_op_name(mode, dims), [input], attrs)


def upsample(input: Tensor, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated torch alias of interpolate (with torch's warning)."""
    warnings.warn(
        "`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated torch alias of interpolate(mode='nearest') (with torch's warning)."""
    warnings.warn(
        "`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated torch alias of interpolate(mode='bilinear', align_corners=True) (with
    torch's warning)."""
    warnings.warn(
        "`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C r², H, W) to (*, C, H r, W r): each channel group of r² becomes r x r blocks
    (PixelShuffleBackward0)."""
    _check_input("pixel_shuffle", input)
    r = _parsed("pixel_shuffle", upscale_factor, "upscale_factor", 2, "int")
    return input._call("pixel_shuffle", [input], {"upscale_factor": r})


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) to (*, C r², H, W), pixel_shuffle's inverse (PixelUnshuffleBackward0)."""
    _check_input("pixel_unshuffle", input)
    r = _parsed("pixel_unshuffle", downscale_factor, "downscale_factor", 2, "int")
    return input._call("pixel_unshuffle", [input], {"downscale_factor": r})


def _pair(value) -> tuple:
    """torch's _pair: an iterable as a tuple, anything else twice."""
    if isinstance(value, list | tuple):
        return tuple(value)
    return (value, value)


def _patch_attrs(function: str, first: int, **values) -> dict:
    """unfold's and fold's two-int arguments as torch's parser takes them (positions from
    `first`), with its TypeError for a non-int."""
    return {
        name: _sizes(function, _pair(value), first + i, name)
        for i, (name, value) in enumerate(values.items())
    }


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """The sliding kH x kW blocks of a (N, C, H, W) or (C, H, W) input as columns, (*, C kH
    kW, L) (torch's im2col: Im2ColBackward0)."""
    _check_input("im2col", input)
    attrs = _patch_attrs(
        "im2col", 2, kernel_size=kernel_size, dilation=dilation, padding=padding, stride=stride
    )
    return input._call("im2col", [input], attrs)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """unfold's adjoint: (*, C kH kW, L) columns summed into (*, C, oH, oW) blocks (torch's
    col2im: Col2ImBackward0)."""
    _check_input("col2im", input)
    attrs = _patch_attrs(
        "col2im",
        2,
        output_size=output_size,
        kernel_size=kernel_size,
        dilation=dilation,
        padding=padding,
        stride=stride,
    )
    return input._call("col2im", [input], attrs)


def _output_size_ints(function: str, value, dims: int) -> list[int]:
    """torch's parser for an `output_size` of ints: an int (for each of `dims` dims), or a
    sequence of ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        return [value] * dims
    return _sizes(function, value, 2, "output_size")


def _list_with_default(output_size, input: Tensor):
    """torch's _list_with_default: None in `output_size` keeps the input's size there."""
    if isinstance(output_size, int):
        return output_size
    if input.ndim <= len(output_size):
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
    defaults = input.shape[-len(output_size) :]
    return [d if v is None else v for v, d in zip(output_size, defaults, strict=True)]


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """The mean over each of oH x oW windows of the last two dims, window i spanning rows
    [floor(i H / oH), ceil((i + 1) H / oH)) (AdaptiveAvgPool2DBackward0); None in
    `output_size` keeps the input's size. A 1x1 output is torch's mean(-1, -2, keepdim=True)."""
    size = _output_size_ints("adaptive_avg_pool2d", _list_with_default(output_size, input), 2)
    if size == [1, 1]:
        return input.mean((-1, -2), keepdim=True)
    return input._call("adaptive_avg_pool2d", [input], {"output_size": size})


def _check_dim_range(function: str, input: Tensor) -> None:
    """torch's checkDimRange for the 1-d poolings: a 2-D or 3-D input."""
    if input.ndim not in (2, 3):
        raise ShapeMismatch(
            f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument "
            f"#1 'self' (while checking arguments for {function})"
        )


def _check_one_int(function: str, name: str, value: list[int]) -> None:
    """torch's check1d: an `int[1]` argument holds one int."""
    if len(value) != 1:
        raise ShapeMismatch(
            f"{function}() argument '{name}' should contain one int (got {len(value)})"
        )


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """torch's adaptive_avg_pool1d: adaptive_avg_pool2d of input.unsqueeze(-2) to
    (1, output_size), squeezed back, on an (N, C, L) or (C, L) input."""
    size = _output_size_ints("adaptive_avg_pool1d", output_size, 1)
    _check_dim_range("adaptive_avg_pool1d", input)
    _check_one_int("adaptive_avg_pool1d", "output_size", size)
    return adaptive_avg_pool2d(input.unsqueeze(-2), [1, size[0]]).squeeze(-2)


def _adaptive_max_pool2d_pair(input, output_size) -> tuple[Tensor, Tensor]:
    size = _output_size_ints("adaptive_max_pool2d", _list_with_default(output_size, input), 2)
    attrs = {"output_size": size}
    return (
        input._call("adaptive_max_pool2d", [input], attrs),
        input._call("adaptive_max_pool2d_indices", [input], attrs),
    )


def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """adaptive_max_pool2d's values and the int64 position of each within its (H, W) plane."""
    return _adaptive_max_pool2d_pair(input, output_size)


def _adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False) -> Tensor:
    """The largest element of each of oH x oW windows of the last two dims, windows as
    adaptive_avg_pool2d's (AdaptiveMaxPool2DBackward0); None keeps the input's size."""
    size = _output_size_ints("adaptive_max_pool2d", _list_with_default(output_size, input), 2)
    return input._call("adaptive_max_pool2d", [input], {"output_size": size})


def adaptive_max_pool2d(*args, **kwargs):
    """adaptive_max_pool2d(input, output_size, return_indices=False), dispatched on
    return_indices as torch's boolean_dispatch does."""
    flag = _dispatch_flag(args, kwargs, "return_indices", 2)
    return (adaptive_max_pool2d_with_indices if flag else _adaptive_max_pool2d)(*args, **kwargs)


def _adaptive_max_pool1d_pair(input, output_size) -> tuple[Tensor, Tensor]:
    """torch.adaptive_max_pool1d: its checks, then adaptive_max_pool2d of input.unsqueeze(-2)
    to (1, output_size), values and indices squeezed back."""
    _pool_input("adaptive_max_pool1d", input)
    size = _output_size_ints("adaptive_max_pool1d", output_size, 1)
    _check_dim_range("adaptive_max_pool1d", input)
    _check_one_int("adaptive_max_pool1d", "output_size", size)
    rules.require_nonempty_dims("adaptive_max_pool1d", input.shape, range(1, input.ndim))
    values, indices = _adaptive_max_pool2d_pair(input.unsqueeze(-2), [1, size[0]])
    return values.squeeze(-2), indices.squeeze(-2)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """adaptive_max_pool1d's values and the int64 position of each along the last dim."""
    return _adaptive_max_pool1d_pair(input, output_size)


def _adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False) -> Tensor:
    """The largest element of each of output_size windows of the last dim of an (N, C, L) or
    (C, L) input."""
    return _adaptive_max_pool1d_pair(input, output_size)[0]


def adaptive_max_pool1d(*args, **kwargs):
    """adaptive_max_pool1d(input, output_size, return_indices=False), dispatched on
    return_indices as torch's boolean_dispatch does."""
    flag = _dispatch_flag(args, kwargs, "return_indices", 2)
    return (adaptive_max_pool1d_with_indices if flag else _adaptive_max_pool1d)(*args, **kwargs)


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """The mean over each of oD x oH x oW windows of the last three dims, windows as
    adaptive_avg_pool2d's (AdaptiveAvgPool3DBackward0); None in `output_size` keeps the
    input's size. A 1x1x1 output is torch's mean((-1, -2, -3), keepdim=True)."""
    size = _output_size_ints("adaptive_avg_pool3d", _list_with_default(output_size, input), 3)
    if size == [1, 1, 1]:
        return input.mean((-1, -2, -3), keepdim=True)
    return input._call("adaptive_avg_pool3d", [input], {"output_size": size})


def adaptive_max_pool3d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """adaptive_max_pool3d's values and the int64 position of each within its (D, H, W)
    volume."""
    size = _output_size_ints("adaptive_max_pool3d", _list_with_default(output_size, input), 3)
    attrs = {"output_size": size}
    return (
        input._call("adaptive_max_pool3d", [input], attrs),
        input._call("adaptive_max_pool3d_indices", [input], attrs),
    )


def _adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False) -> Tensor:
    """The largest element of each of oD x oH x oW windows of the last three dims
    (AdaptiveMaxPool3DBackward0); None keeps the input's size."""
    size = _output_size_ints("adaptive_max_pool3d", _list_with_default(output_size, input), 3)
    return input._call("adaptive_max_pool3d", [input], {"output_size": size})


def adaptive_max_pool3d(*args, **kwargs):
    """adaptive_max_pool3d(input, output_size, return_indices=False), dispatched on
    return_indices as torch's boolean_dispatch does."""
    flag = _dispatch_flag(args, kwargs, "return_indices", 2)
    return (adaptive_max_pool3d_with_indices if flag else _adaptive_max_pool3d)(*args, **kwargs)


# ---------------------------------------------------------------- padding

_PAD_OPS = {"reflect": "reflection", "replicate": "replication"}
_PAD_COMBINATIONS = (
    "Supported combinations for non-constant padding:\n"
    "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
    "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
    "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
)


def _pad_arguments(input, pad, mode, value) -> list[int]:
    """torch._C._nn.pad's argument parsing: its TypeErrors, by position."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"pad(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )
    pad = _sizes("pad", pad, 2, "pad")
    if not isinstance(mode, str):
        raise TypeError(
            f"pad(): argument 'mode' (position 3) must be str, not {type(mode).__name__}"
        )
    if value is not None and _number(value) is None:
        raise TypeError(
            f"pad(): argument 'value' (position 4) must be float, not {type(value).__name__}"
        )
    return pad


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """torch.nn.functional.pad: `pad` holds (before, after) counts from the last dim backwards
    (a negative count removes elements). 'constant' fills with `value` (constant_pad_nd, any
    number of dims); 'reflect', 'replicate' and 'circular' pad the last k = len(pad) / 2 dims
    of a (k+1)-D or (k+2)-D input: output i takes input i - before reflected at the edges
    (reflection_pad{k}d), clamped to them (replication_pad{k}d), or modulo the size (torch's
    _pad_circular, composed as torch composes it)."""
    pad = _pad_arguments(input, pad, mode, value)
    if mode not in ("constant", *_PAD_OPS, "circular"):
        raise Unsupported(f"Unrecognised padding mode {mode}")
    if len(pad) % 2:
        raise ComputeError("Padding length must be divisible by 2")
    if len(pad) > 2 * input.ndim:
        raise ComputeError(
            "Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pad)} and input of dimension {input.ndim}"
        )
    if mode == "constant":
        return input._call("constant_pad_nd", [input], {"pad": pad, "value": value or 0})
    if value is not None and value != 0:
        raise ComputeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    dims = len(pad) // 2
    if dims not in (1, 2, 3) or input.ndim not in (dims + 1, dims + 2):
        raise Unsupported(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\n"
            + _PAD_COMBINATIONS
        )
    if mode == "circular":
        return _pad_circular(input, pad)
    return input._call(f"{_PAD_OPS[mode]}_pad{dims}d", [input], {"padding": pad})


def _narrow(t: Tensor, dim: int, start: int, end: int) -> Tensor:
    """torch's Tensor.slice(dim, start, end): a view recorded even when it takes everything."""
    return t._call("slice", [t], {"dim": dim, "start": start, "end": end, "step": 1})


def _pad_circular(input: Tensor, pad: list[int]) -> Tensor:
    """torch's _pad_circular: a new tensor, the input's kept part copied into its middle,
    then for each padded dim (the last first) its left and right edges copied from the far
    side of that dim (corners are written more than once). Each copy is an in-place copy_ into
    a view, so the graph is torch's chain of CopySlices and SliceBackward0 nodes."""
    dims, shape = len(pad) // 2, input.shape
    out_shape = list(shape)
    for i in range(dims):
        dim = input.ndim - 1 - i
        before, after = pad[2 * i], pad[2 * i + 1]
        out_shape[dim] = shape[dim] + before + after
        if before > shape[dim] or after > shape[dim]:
            raise ComputeError("Padding value causes wrapping around more than once.")
        if out_shape[dim] < 0:
            raise ComputeError("Negative padding value is resulting in an empty dimension")
    out = input.new_empty(out_shape)
    into, taken = out, input
    for i in range(dims):
        dim = input.ndim - 1 - i
        before, after = pad[2 * i], pad[2 * i + 1]
        into = _narrow(into, dim, max(before, 0), out_shape[dim] - max(after, 0))
        taken = _narrow(taken, dim, max(-before, 0), shape[dim] - max(-after, 0))
    into.copy_(taken)
    for i in range(dims):
        dim, size = input.ndim - 1 - i, out_shape[input.ndim - 1 - i]
        before, after = pad[2 * i], pad[2 * i + 1]
        if before > 0:
            end = size - max(after, 0)
            _narrow(out, dim, 0, before).copy_(_narrow(out, dim, end - before, end))
        if after > 0:
            start = max(before, 0)
            _narrow(out, dim, size - after, size).copy_(_narrow(out, dim, start, start + after))
    return out


# ---------------------------------------------------------------- pooling


def _pool_argument(function: str, name: str, value, position: int | None, kind: str, size: int = 2):
    """One argument as torch's parser reads it for the pooling and transposed convolution
    functions: `ints` (an int for `size` of it, or a sequence whose first element is an
    int), `bool`, `int`, `int?`, `Tensor`, `Tensor?`; else its TypeError ((position n) when
    it was given by position)."""
    where = f"{function}(): argument '{name}'" + (f" (position {position})" if position else "")
    if kind in ("Tensor", "Tensor?"):
        if isinstance(value, Tensor) or (value is None and kind == "Tensor?"):
            return value
        raise TypeError(f"{where} must be Tensor, not {_shown(value)}")
    if kind == "bool":
        if isinstance(value, bool):
            return value
        raise TypeError(f"{where} must be bool, not {_shown(value)}")
    if kind in ("int", "int?"):
        if value is None and kind == "int?":
            return None
        try:
            return _index_int(value)
        except _Unmatched:
            raise TypeError(f"{where} must be int, not {_shown(value)}") from None
    if isinstance(value, list | tuple):
        if value:
            try:
                _index_int(value[0])
            except _Unmatched:
                if position:
                    raise TypeError(
                        f"{where} must be tuple of ints, but found element of type "
                        f"{type(value[0]).__name__} at pos 0"
                    ) from None
                raise TypeError(f"{where} must be tuple of ints, not {_shown(value)}") from None
        return _int_list(function, name, value, size)
    try:
        return _int_list(function, name, value, size)
    except _Unmatched:
        raise TypeError(f"{where} must be tuple of ints, not {_shown(value)}") from None


def _pool_input(function: str, input, position: int | None = 1) -> None:
    if not isinstance(input, Tensor):
        where = f" (position {position})" if position else ""
        raise TypeError(
            f"{function}(): argument 'input'{where} must be Tensor, not {_shown(input)}"
        )


def _max_pool_call(
    function: str, op: str, input, kernel_size, stride, padding, dilation, ceil_mode
) -> tuple[Tensor, dict]:
    """max_pool2d's or max_pool3d's (`op`) values, and its attributes as torch's parser
    reads them for `function`."""
    _pool_input(function, input)
    size = 3 if op == "max_pool3d" else 2
    attrs = {
        "kernel_size": _pool_argument(function, "kernel_size", kernel_size, 2, "ints", size),
        "stride": []
        if stride is None
        else _pool_argument(function, "stride", stride, 3, "ints", size),
        "padding": _pool_argument(function, "padding", padding, 4, "ints", size),
        "dilation": _pool_argument(function, "dilation", dilation, 5, "ints", size),
        "ceil_mode": _pool_argument(function, "ceil_mode", ceil_mode, 6, "bool"),
    }
    return input._call(op, [input], attrs), attrs


def max_pool2d_with_indices(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """max_pool2d's values and the int64 position of each within its (H, W) plane."""
    out, attrs = _max_pool_call(
        "max_pool2d_with_indices",
        "max_pool2d",
        input,
        kernel_size,
        stride,
        padding,
        dilation,
        ceil_mode,
    )
    return out, input._call("max_pool2d_indices", [input], attrs)


def _max_pool2d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor:
    """The largest element of each window of a (C, H, W) or (N, C, H, W) input (torch's
    max_pool2d_with_indices, MaxPool2DWithIndicesBackward0)."""
    args = (input, kernel_size, stride, padding, dilation, ceil_mode)
    return _max_pool_call("max_pool2d", "max_pool2d", *args)[0]


def _dispatch_flag(args: tuple, kwargs: dict, name: str, index: int):
    """torch's boolean_dispatch: the flag argument, by keyword or at `index`, else False."""
    return kwargs[name] if name in kwargs else (args[index] if len(args) > index else False)


def max_pool2d(*args, **kwargs):
    """max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
    return_indices=False), dispatched on return_indices as torch's boolean_dispatch does."""
    flag = _dispatch_flag(args, kwargs, "return_indices", 6)
    return (max_pool2d_with_indices if flag else _max_pool2d)(*args, **kwargs)


def _max_pool1d_arguments(function, input, kernel_size, stride, padding, dilation, ceil_mode):
    """torch.max_pool1d's arguments as its parser reads them: [k], [s] (empty: none), [p],
    [d], ceil_mode."""
    _pool_input(function, input)
    return (
        _pool_argument(function, "kernel_size", kernel_size, 2, "ints", 1),
        [] if stride is None else _pool_argument(function, "stride", stride, 3, "ints", 1),
        _pool_argument(function, "padding", padding, 4, "ints", 1),
        _pool_argument(function, "dilation", dilation, 5, "ints", 1),
        _pool_argument(function, "ceil_mode", ceil_mode, 6, "bool"),
    )


def _as_pool2d(kernel, stride, padding, dilation) -> dict:
    """A 1-d pooling's arguments for the 2-d op over input.unsqueeze(-2): windows 1 high."""
    return {
        "kernel_size": [1, kernel[0]],
        "stride": [1, (stride or kernel)[0]],
        "padding": [0, padding[0]],
        "dilation": [1, dilation[0]],
    }


def _max_pool1d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor:
    """The largest element of each (dilated) window of the last dim of an (N, C, L) or (C, L)
    input: torch's checks (check_max_pool1d, in its order), then max_pool2d over
    input.unsqueeze(-2), squeezed back (SqueezeBackward1 over MaxPool2DWithIndicesBackward0)."""
    kernel, stride, padding, dilation, ceil_mode = _max_pool1d_arguments(
        "max_pool1d", input, kernel_size, stride, padding, dilation, ceil_mode
    )
    valid = input.ndim == 2 and input.shape[0] and input.shape[1]
    if not (valid or (input.ndim == 3 and input.shape[1] and input.shape[2])):
        raise ShapeMismatch(
            "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size "
            f"for input, but got:{list(input.shape)}"
        )
    for name, value, ok in (
        ("kernel_size", kernel, "an int, list of ints or tuple of ints"),
        ("stride", stride, "None, an int, list of ints, or tuple of ints"),
        ("padding", padding, "an int, list of ints, or tuple of ints"),
        ("dilation", dilation, "an int, list of ints or tuple of ints"),
    ):
        if len(value) != 1 and not (name == "stride" and not value):
            raise ShapeMismatch(
                f"max_pool1d() {name} must be {ok} of size 1 but got size {len(value)}"
            )
    (k,), (s,), (p,), (d,) = kernel, stride or kernel, padding, dilation
    for name, value in (("kernel_size", k), ("stride", s)):
        if value <= 0:
            raise ShapeMismatch(f"max_pool1d() {name} must be greater than zero, but got {value}")
    if p < 0:
        raise ShapeMismatch(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise ShapeMismatch(
            "max_pool1d() padding should be at most half of kernel size, but got "
            f"padding={p} and kernel_size={k}"
        )
    if d <= 0:
        raise ShapeMismatch(f"max_pool1d() dilation must be greater than zero, but got {d}")
    width = rules.pooling_output_size(input.shape[-1], k, p, s, d, ceil_mode)
    if width <= 0:
        raise ShapeMismatch(f"max_pool1d() Invalid computed output size: {width}")
    if not rules.is_float(input._meta.dtype):
        name = rules.TORCH_TYPE_NAME[input._meta.dtype]
        raise Unsupported(f"\"max_pool1d_impl\" not implemented for '{name}'")
    attrs = {**_as_pool2d(kernel, stride, padding, dilation), "ceil_mode": ceil_mode}
    return input.unsqueeze(-2)._call("max_pool2d", [input.unsqueeze(-2)], attrs).squeeze(-2)


def max_pool1d_with_indices(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """torch.max_pool1d_with_indices: its checks, then max_pool2d_with_indices over
    input.unsqueeze(-2); values and indices (positions along the last dim) squeezed back."""
    kernel, stride, padding, dilation, ceil_mode = _max_pool1d_arguments(
        "max_pool1d_with_indices", input, kernel_size, stride, padding, dilation, ceil_mode
    )
    _check_dim_range("max_pool1d", input)
    for name, value in (
        ("kernel_size", kernel),
        ("stride", stride or kernel),
        ("padding", padding),
        ("dilation", dilation),
    ):
        _check_one_int("max_pool1d", name, value)
    attrs = {**_as_pool2d(kernel, stride, padding, dilation), "ceil_mode": ceil_mode}
    planes = input.unsqueeze(-2)
    values = planes._call("max_pool2d", [planes], attrs)
    return values.squeeze(-2), planes._call("max_pool2d_indices", [planes], attrs).squeeze(-2)


def max_pool1d(*args, **kwargs):
    """max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
    return_indices=False), dispatched on return_indices as torch's boolean_dispatch does."""
    flag = _dispatch_flag(args, kwargs, "return_indices", 6)
    return (max_pool1d_with_indices if flag else _max_pool1d)(*args, **kwargs)


_AVG_POOL_PARAMS = (
    ("input", None),
    ("kernel_size", "ints"),
    ("stride", "ints?"),
    ("padding", "ints"),
    ("ceil_mode", "bool"),
    ("count_include_pad", "bool"),
    ("divisor_override", "int?"),
)


def _bind_pool_arguments(
    function: str,
    params: tuple,
    args: tuple,
    kwargs: dict,
    size: int,
    required: tuple[str, ...] = ("input", "kernel_size"),
) -> tuple[dict, list[str]]:
    """The arguments given to a pooling function, read as torch's parser reads them (its
    TypeErrors for unknown, repeated and mistyped arguments), and the required ones missing."""
    names = [name for name, _ in params]
    for key in kwargs:
        if key not in names:
            raise TypeError(f"{function}() got an unexpected keyword argument '{key}'")
    bound = {}
    for position, (name, kind) in enumerate(params, start=1):
        given = position <= len(args)
        if given and name in kwargs:
            raise TypeError(f"{function}() got multiple values for argument '{name}'")
        if not given and name not in kwargs:
            continue
        value = args[position - 1] if given else kwargs[name]
        where = position if given else None
        if name == "input":
            _pool_input(function, value, where)
        elif kind == "ints?":
            value = (
                [] if value is None else _pool_argument(function, name, value, where, "ints", size)
            )
        else:
            value = _pool_argument(function, name, value, where, kind, size)
        bound[name] = value
    return bound, [name for name in required if name not in bound]


def _missing_arguments(function: str, missing: list[str]) -> TypeError:
    """torch's error for required arguments not given, its plural included."""
    plural = "s" if len(missing) == 1 else ""
    names = ", ".join(f'"{name}"' for name in missing)
    return TypeError(
        f"{function}() missing {len(missing)} required positional argument{plural}: {names}"
    )


def _avg_pool(function: str, spatial: int, args: tuple, kwargs: dict) -> Tensor:
    """avg_pool2d or avg_pool3d as torch's parser reads its arguments: its TypeErrors (one
    for too many, one naming the required arguments not given by position when any is
    missing), then the op."""
    if len(args) > len(_AVG_POOL_PARAMS):
        raise TypeError(
            f"{function}() takes from 2 to {len(_AVG_POOL_PARAMS)} positional arguments but "
            f"{len(args)} were given"
        )
    bound, missing = _bind_pool_arguments(function, _AVG_POOL_PARAMS, args, kwargs, spatial)
    if missing:
        raise _missing_arguments(function, ["input", "kernel_size"][len(args) :])
    input = bound.pop("input")
    if bound.get("divisor_override") is None:
        bound.pop("divisor_override", None)
    return input._call(function, [input], bound)


def avg_pool2d(*args, **kwargs) -> Tensor:
    """avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
    count_include_pad=True, divisor_override=None): the mean of each window of a (C, H, W)
    or (N, C, H, W) input (AvgPool2DBackward0), as torch's CPU kernel computes it."""
    return _avg_pool("avg_pool2d", 2, args, kwargs)


def max_pool3d_with_indices(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """max_pool3d's values and the int64 position of each within its (D, H, W) volume."""
    args = (input, kernel_size, stride, padding, dilation, ceil_mode)
    out, attrs = _max_pool_call("max_pool3d_with_indices", "max_pool3d", *args)
    return out, input._call("max_pool3d_indices", [input], attrs)


def _max_pool3d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor:
    """The largest element of each window of a (C, D, H, W) or (N, C, D, H, W) input
    (torch's max_pool3d_with_indices, MaxPool3DWithIndicesBackward0)."""
    args = (input, kernel_size, stride, padding, dilation, ceil_mode)
    return _max_pool_call("max_pool3d", "max_pool3d", *args)[0]


def max_pool3d(*args, **kwargs):
    """max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
    return_indices=False), dispatched on return_indices as torch's boolean_dispatch does."""
    flag = _dispatch_flag(args, kwargs, "return_indices", 6)
    return (max_pool3d_with_indices if flag else _max_pool3d)(*args, **kwargs)


def avg_pool3d(*args, **kwargs) -> Tensor:
    """avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
    count_include_pad=True, divisor_override=None): the mean of each window of a (C, D, H, W)
    or (N, C, D, H, W) input (AvgPool3DBackward0), as torch's CPU kernel computes it."""
    return _avg_pool("avg_pool3d", 3, args, kwargs)


def _ntuple(value, n: int) -> tuple:
    """torch's _single, _pair and _triple: an iterable as a tuple, anything else n times."""
    return tuple(value) if isinstance(value, Iterable) else (value,) * n


def _lp_pool(pool, max_pool, window: int, input, norm_type, kernel_size, stride, ceil_mode):
    """torch's lp_pool1d/2d/3d composition: max_pool of |x| (of -|x|, negated) for a norm_type
    of ±inf; else (sign(a) * relu(|a|)) * window ** (1 / p), a = pool(x ** p), `window` the
    kernel's size (PowBackward0 over MulBackward0 over the sign, relu and pooling nodes)."""
    if isinstance(norm_type, int | float):
        if norm_type == math.inf:
            return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        if norm_type == -math.inf:
            return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = pool(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return (out.sign() * relu(out.abs())).mul(window).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """The p-norm of each window of the last dim: torch's composition of avg_pool1d."""
    args = (input, norm_type, kernel_size, stride, ceil_mode)
    return _lp_pool(avg_pool1d, max_pool1d, kernel_size, *args)


def lp_pool2d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """The p-norm of each window of the last two dims: torch's composition of avg_pool2d."""
    kw, kh = _ntuple(kernel_size, 2)
    args = (input, norm_type, kernel_size, stride, ceil_mode)
    return _lp_pool(avg_pool2d, max_pool2d, kw * kh, *args)


def lp_pool3d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """The p-norm of each window of the last three dims: torch's composition of
    avg_pool3d."""
    kd, kw, kh = _ntuple(kernel_size, 3)
    args = (input, norm_type, kernel_size, stride, ceil_mode)
    return _lp_pool(avg_pool3d, max_pool3d, kd * kw * kh, *args)


def _fractional_max_pool_pair(
    spatial: int, input, kernel_size, output_size, output_ratio, _random_samples
) -> tuple[Tensor, Tensor, dict]:
    """torch's fractional_max_pool{2,3}d_with_indices: the output size (from output_ratio,
    int(size * ratio), where output_size is None), one U(0, 1) sample per plane and spatial
    dim drawn on the server in the input's dtype by the session's generator when
    `_random_samples` is None (the draws are the session's, not torch's), then the op's
    values and the arguments for its indices."""
    function = f"fractional_max_pool{spatial}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{function} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if spatial == 2 and len(output_ratio) > 2:
            raise ValueError(
                "fractional_max_pool2d requires output_ratio to either be a single Int or "
                "tuple of Ints."
            )
        ratio = _ntuple(output_ratio, spatial)
        output_size = [int(input.size(d - spatial) * ratio[d]) for d in range(spatial)]
    if _random_samples is None:
        batch = 1 if input.dim() == spatial + 1 else input.size(0)
        _random_samples = input._session.rand(
            batch, input.size(-spatial - 1), spatial, dtype=input.dtype
        )
    _pool_input(function, input)
    attrs = {
        "kernel_size": _pool_argument(function, "kernel_size", kernel_size, 2, "ints", spatial),
        "output_size": _pool_argument(function, "output_size", output_size, 3, "ints", spatial),
    }
    samples = _pool_argument(function, "random_samples", _random_samples, 4, "Tensor")
    return input._call(function, [input, samples], attrs), samples, attrs


def fractional_max_pool2d_with_indices(
    input: Tensor,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """fractional_max_pool2d's values and the int64 position of each within its (H, W)
    plane."""
    args = (input, kernel_size, output_size, output_ratio, _random_samples)
    values, samples, attrs = _fractional_max_pool_pair(2, *args)
    return values, input._call("fractional_max_pool2d_indices", [input, samples], attrs)


def _fractional_max_pool2d(
    input: Tensor,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> Tensor:
    """The largest element of each kH x kW window of the last two dims, the windows placed
    pseudo-randomly (torch's generate_intervals) so that there are output_size of them, or
    int(size * output_ratio) (FractionalMaxPool2DBackward0)."""
    args = (input, kernel_size, output_size, output_ratio, _random_samples)
    return _fractional_max_pool_pair(2, *args)[0]


def fractional_max_pool2d(*args, **kwargs):
    """fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
    return_indices=False, _random_samples=None), dispatched on return_indices as torch's
    boolean_dispatch does."""
    flag = _dispatch_flag(args, kwargs, "return_indices", 4)
    return (fractional_max_pool2d_with_indices if flag else _fractional_max_pool2d)(*args, **kwargs)


def fractional_max_pool3d_with_indices(
    input: Tensor,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """fractional_max_pool3d's values and the int64 position of each within its (T, H, W)
    volume."""
    args = (input, kernel_size, output_size, output_ratio, _random_samples)
    values, samples, attrs = _fractional_max_pool_pair(3, *args)
    return values, input._call("fractional_max_pool3d_indices", [input, samples], attrs)


def _fractional_max_pool3d(
    input: Tensor,
    kernel_size,
    output_size=None,
    output_ratio=None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> Tensor:
    """fractional_max_pool2d over the last three dims (FractionalMaxPool3DBackward0)."""
    args = (input, kernel_size, output_size, output_ratio, _random_samples)
    return _fractional_max_pool_pair(3, *args)[0]


def fractional_max_pool3d(*args, **kwargs):
    """fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
    return_indices=False, _random_samples=None), dispatched on return_indices as torch's
    boolean_dispatch does."""
    flag = _dispatch_flag(args, kwargs, "return_indices", 4)
    return (fractional_max_pool3d_with_indices if flag else _fractional_max_pool3d)(*args, **kwargs)


def _unpool_output_size(input, kernel_size, stride, padding, output_size) -> list[int]:
    """torch's _unpool_output_size: the size max pooling came from, (in - 1) stride + kernel
    - 2 padding per dim, or the `output_size` given (its last dims), which must be within a
    stride of it; none negative."""
    input_size = input.size()
    dims = len(kernel_size)
    default_size = [
        (input_size[-dims + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d]
        for d in range(dims)
    ]
    if output_size is None:
        ret = default_size
    else:
        if len(output_size) == dims + 2:
            output_size = output_size[2:]
        if len(output_size) != dims:
            raise ValueError(
                f"output_size should be a sequence containing {dims} or {dims + 2} elements, "
                f"but it has a length of '{len(output_size)}'"
            )
        for d in range(dims):
            min_size, max_size = default_size[d] - stride[d], default_size[d] + stride[d]
            if not (min_size < output_size[d] < max_size):
                raise ValueError(
                    f'invalid output_size "{output_size}" (dim {d} must be between {min_size} '
                    f"and {max_size})"
                )
        ret = output_size
    for d in range(dims):
        if ret[d] < 0:
            raise ValueError(
                "max_unpooling: output_size must contain non-negative spatial dimensions, but "
                f"got output_size[{d}]={ret[d]}"
            )
    return ret


def _max_unpool(op: str, input, indices, output_size, *stride_and_padding) -> Tensor:
    """torch._C._nn.max_unpool2d/3d (3-d: with stride and padding): its parser's TypeErrors,
    then the op."""
    _pool_input(op, input)
    indices = _pool_argument(op, "indices", indices, 2, "Tensor")
    names = ("output_size", "stride", "padding")
    attrs = {
        name: _pool_argument(op, name, value, position, "ints", int(op[-2]))
        for position, (name, value) in enumerate(
            zip(names, (output_size, *stride_and_padding), strict=False), start=3
        )
    }
    return input._call(op, [input, indices], attrs)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """max_pool1d's partial inverse: torch's max_unpool2d of input.unsqueeze(-1) and
    indices.unsqueeze(-1) to (output_size, 1), squeezed back (SqueezeBackward1 over
    MaxUnpool2DBackward0)."""
    kernel_size = _ntuple(kernel_size, 1)
    stride = _ntuple(stride, 1) if stride is not None else kernel_size
    padding = _ntuple(padding, 1)
    size = [*_unpool_output_size(input, kernel_size, stride, padding, output_size), 1]
    planes = input.unsqueeze(-1)
    return _max_unpool("max_unpool2d", planes, indices.unsqueeze(-1), size).squeeze(-1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """max_pool2d's partial inverse: each value put at its index in a zeroed (…, oH, oW)
    plane (MaxUnpool2DBackward0); the output size is the pooled input's, or `output_size`."""
    kernel_size = _ntuple(kernel_size, 2)
    stride = _ntuple(stride, 2) if stride is not None else kernel_size
    padding = _ntuple(padding, 2)
    size = _unpool_output_size(input, kernel_size, stride, padding, output_size)
    return _max_unpool("max_unpool2d", input, indices, size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """max_pool3d's partial inverse: each value put at its index in a zeroed (…, oD, oH, oW)
    volume (MaxUnpool3DBackward0); the output size is the pooled input's, or
    `output_size`."""
    kernel_size = _ntuple(kernel_size, 3)
    stride = _ntuple(stride, 3) if stride is not None else kernel_size
    padding = _ntuple(padding, 3)
    size = _unpool_output_size(input, kernel_size, stride, padding, output_size)
    return _max_unpool("max_unpool3d", input, indices, size, stride, padding)


def avg_pool1d(*args, **kwargs) -> Tensor:
    """avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
    count_include_pad=True): the mean of each window of the last dim of an (N, C, L) or (C, L)
    input; torch's checks, then avg_pool2d over input.unsqueeze(-2), squeezed back
    (SqueezeBackward1 over AvgPool2DBackward0)."""
    params = _AVG_POOL_PARAMS[:-1]
    if len(args) > len(params):
        raise TypeError(
            f"avg_pool1d() takes from 2 to {len(params)} positional arguments but {len(args)} "
            "were given"
        )
    bound, missing = _bind_pool_arguments("avg_pool1d", params, args, kwargs, 1)
    if missing:
        raise _missing_arguments("avg_pool1d", missing)
    input = bound.pop("input")
    _check_dim_range("avg_pool1d", input)
    kernel, stride = bound["kernel_size"], bound.get("stride") or bound["kernel_size"]
    padding = bound.get("padding", [0])
    for name, value in (("kernel_size", kernel), ("stride", stride), ("padding", padding)):
        _check_one_int("avg_pool1d", name, value)
    attrs = _as_pool2d(kernel, stride, padding, [1])
    del attrs["dilation"]
    attrs["ceil_mode"] = bound.get("ceil_mode", False)
    attrs["count_include_pad"] = bound.get("count_include_pad", True)
    planes = input.unsqueeze(-2)
    return planes._call("avg_pool2d", [planes], attrs).squeeze(-2)
