"""torch.optim's update rules as fused in-place steps over a list of parameters: each
algorithm's options with torch's defaults and constructor checks, its state tensors per
parameter, and the scalars its Numba kernel takes, rounded as torch's CPU kernels round them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from . import kernels_nn, rules
from .errors import GradNotSet, InvalidArgument, InvalidValue
from .graph import Tensor

# Each algorithm's options (type, torch's default) and state tensors per parameter. `step`,
# the number of this step for these parameters (1 on the first), has no default.
OPTIMIZER_OPTIONS: dict[str, dict[str, tuple[str, object]]] = {
    "sgd": {
        "lr": ("float", 1e-3),
        "momentum": ("float", 0.0),
        "dampening": ("float", 0.0),
        "weight_decay": ("float", 0.0),
        "nesterov": ("bool", False),
        "maximize": ("bool", False),
        "step": ("int", None),
    },
    "adam": {
        "lr": ("float", 1e-3),
        "beta1": ("float", 0.9),
        "beta2": ("float", 0.999),
        "eps": ("float", 1e-8),
        "weight_decay": ("float", 0.0),
        "amsgrad": ("bool", False),
        "decoupled_weight_decay": ("bool", False),
        "maximize": ("bool", False),
        "step": ("int", None),
    },
    "rmsprop": {
        "lr": ("float", 1e-2),
        "alpha": ("float", 0.99),
        "eps": ("float", 1e-8),
        "weight_decay": ("float", 0.0),
        "momentum": ("float", 0.0),
        "centered": ("bool", False),
        "maximize": ("bool", False),
        "step": ("int", None),
    },
    "adagrad": {
        "lr": ("float", 1e-2),
        "lr_decay": ("float", 0.0),
        "weight_decay": ("float", 0.0),
        "eps": ("float", 1e-10),
        "maximize": ("bool", False),
        "step": ("int", None),
    },
    "adamax": {
        "lr": ("float", 2e-3),
        "beta1": ("float", 0.9),
        "beta2": ("float", 0.999),
        "eps": ("float", 1e-8),
        "weight_decay": ("float", 0.0),
        "maximize": ("bool", False),
        "step": ("int", None),
    },
    "nadam": {
        "lr": ("float", 2e-3),
        "beta1": ("float", 0.9),
        "beta2": ("float", 0.999),
        "eps": ("float", 1e-8),
        "weight_decay": ("float", 0.0),
        "momentum_decay": ("float", 4e-3),
        "decoupled_weight_decay": ("bool", False),
        "maximize": ("bool", False),
        "step": ("int", None),
        # the product of the mu_t of the steps so far, this one's included: torch's float32
        # 0-d state tensor, kept by the client; no default
        "mu_product": ("float", None),
    },
    "radam": {
        "lr": ("float", 1e-3),
        "beta1": ("float", 0.9),
        "beta2": ("float", 0.999),
        "eps": ("float", 1e-8),
        "weight_decay": ("float", 0.0),
        "decoupled_weight_decay": ("bool", False),
        "maximize": ("bool", False),
        "step": ("int", None),
    },
    "rprop": {
        "lr": ("float", 1e-2),  # the step sizes' start: the client fills them with it
        "etaminus": ("float", 0.5),
        "etaplus": ("float", 1.2),
        "step_size_min": ("float", 1e-6),
        "step_size_max": ("float", 50.0),
        "maximize": ("bool", False),
        "step": ("int", None),
    },
    "asgd": {
        "lr": ("float", 1e-2),
        "lambd": ("float", 1e-4),
        "weight_decay": ("float", 0.0),
        "maximize": ("bool", False),
        "step": ("int", None),
        # torch's float32 0-d state tensors eta (the step's learning rate) and mu (the
        # averaging weight), before this step updates them: kept by the client; no default
        "eta": ("float", None),
        "mu": ("float", None),
    },
    "adafactor": {
        "lr": ("float", 1e-2),
        "beta2_decay": ("float", -0.8),
        "eps1": ("float", None),  # none: the first parameter's dtype's machine epsilon
        "eps2": ("float", 1e-3),
        "d": ("float", 1.0),
        "weight_decay": ("float", 0.0),
        "maximize": ("bool", False),
        "step": ("int", None),
    },
    "adadelta": {
        "lr": ("float", 1.0),
        "rho": ("float", 0.9),
        "eps": ("float", 1e-6),
        "weight_decay": ("float", 0.0),
        "maximize": ("bool", False),
        "step": ("int", None),
    },
    "muon": {
        "lr": ("float", 1e-3),
        "weight_decay": ("float", 0.1),
        "momentum": ("float", 0.95),
        "nesterov": ("bool", True),
        "ns_a": ("float", 3.4445),  # ns_coefficients (a, b, c)
        "ns_b": ("float", -4.7750),
        "ns_c": ("float", 2.0315),
        "eps": ("float", 1e-7),
        "ns_steps": ("int", 5),
        # "original" (torch's None too), "match_rms_adamw", or "none": the unscaled lr that
        # torch's step uses for any other value a group may hold
        "adjust_lr_fn": ("string", "original"),
        "step": ("int", None),
    },
}
_BETAS = ("adam", "adamax", "nadam", "radam")  # the algorithms with beta1 and beta2
# the kernels that take all their state tensors, in the table's order, then the scalars
_KERNELS = {
    "adagrad": kernels_nn.adagrad_step,
    "adamax": kernels_nn.adamax_step,
    "nadam": kernels_nn.nadam_step,
    "radam": kernels_nn.radam_step,
    "adadelta": kernels_nn.adadelta_step,
    "rprop": kernels_nn.rprop_step,
    "asgd": kernels_nn.asgd_step,
}


def optimizer_state_count(algorithm: str, options: dict) -> int:
    """How many state tensors each parameter has."""
    if algorithm == "sgd":
        return 1 if options["momentum"] != 0 else 0
    if algorithm == "rmsprop":  # square_avg, momentum_buffer, grad_avg
        return 1 + (options["momentum"] > 0) + bool(options["centered"])
    if algorithm == "adam":  # exp_avg, exp_avg_sq, max_exp_avg_sq
        return 3 if options["amsgrad"] else 2
    if algorithm in ("adagrad", "asgd", "muon"):  # Adagrad's sum, ASGD's ax, Muon's momentum
        return 1
    # Adamax's exp_avg and exp_inf, NAdam's and RAdam's exp_avg and exp_avg_sq, Adadelta's
    # square_avg and acc_delta, Rprop's prev and step_size
    return 2


def _optimizer_options(algorithm: str, given: dict) -> dict:
    table = OPTIMIZER_OPTIONS.get(algorithm)
    if table is None:
        raise InvalidValue(
            f"unknown optimizer algorithm '{algorithm}'; expected one of "
            f"{', '.join(sorted(OPTIMIZER_OPTIONS))}"
        )
    for name in given:
        if name not in table:
            raise InvalidArgument(f"{algorithm}: unexpected option '{name}'")
    options = {name: given.get(name, default) for name, (_, default) in table.items()}
    if options["step"] is None or options["step"] < 1:
        raise InvalidValue(f"{algorithm}: option 'step' must be 1 or more, got {options['step']}")
    if algorithm == "muon":
        _check_muon(options)
        return options
    # torch's constructor checks, for clients that skip them
    checks = [("lr", "learning rate")]
    checks += [("weight_decay", "weight_decay value")] * ("weight_decay" in options)
    checks += {
        "sgd": [("momentum", "momentum value")],
        "adam": [("eps", "epsilon value")],
        "rmsprop": [
            ("eps", "epsilon value"),
            ("momentum", "momentum value"),
            ("alpha", "alpha value"),
        ],
        "adagrad": [("lr_decay", "lr_decay value"), ("eps", "epsilon value")],
        "adamax": [("eps", "epsilon value")],
        "nadam": [("eps", "epsilon value"), ("momentum_decay", "momentum_decay value")],
        "radam": [("eps", "epsilon value")],
        "adadelta": [("eps", "epsilon value")],
        "rprop": [],
        "asgd": [],
        "adafactor": [],
    }[algorithm]
    for name, what in checks:
        if not options[name] >= 0.0:
            raise InvalidValue(f"Invalid {what}: {options[name]}")
    if algorithm == "adadelta" and not 0.0 <= options["rho"] <= 1.0:
        raise InvalidValue(f"Invalid rho value: {options['rho']}")
    if (
        algorithm == "sgd"
        and options["nesterov"]
        and (options["momentum"] <= 0 or options["dampening"] != 0)
    ):
        raise InvalidValue("Nesterov momentum requires a momentum and zero dampening")
    if algorithm in _BETAS:
        for index, name in enumerate(("beta1", "beta2")):
            if not 0.0 <= options[name] < 1.0:
                raise InvalidValue(f"Invalid beta parameter at index {index}: {options[name]}")
    if algorithm == "rprop" and not 0.0 < options["etaminus"] < 1.0 < options["etaplus"]:
        raise InvalidValue(f"Invalid eta values: {options['etaminus']}, {options['etaplus']}")
    if algorithm == "adafactor":
        _check_adafactor(options)
    if algorithm == "asgd":
        for name in ("eta", "mu"):
            if options[name] is None:
                raise InvalidValue(f"asgd: option '{name}' must be given")
    if algorithm == "nadam":
        product = options["mu_product"]
        if product is None:
            raise InvalidValue("nadam: option 'mu_product' must be given")
        if product == 1 or product * _nadam_mu(options, options["step"] + 1) == 1:
            raise InvalidValue(f"nadam: a mu_product of {product} makes the step divide by zero")
    return options


def _check_adafactor(options: dict) -> None:
    """torch's Adafactor constructor checks past lr and weight_decay, with its messages."""
    if not options["beta2_decay"] <= 0.0:
        raise InvalidValue(f"beta2_decay should be <= 0 but is: {options['beta2_decay']}")
    if options["eps1"] is not None and not options["eps1"] >= 0.0:
        raise InvalidValue(f"epsilon1 should be >= 0 but is: {options['eps1']}")
    if not options["eps2"] >= 0.0:
        raise InvalidValue(f"epsilon2 should be >= 0 but is: {options['eps2']}")
    if not options["d"] >= 1.0:
        raise InvalidValue(f"Clipping threshold d should be >= 1 but is: {options['d']}")


def _check_muon(options: dict) -> None:
    """torch's Muon checks (its constructor's, then its step's) with its messages."""
    for name, what in [
        ("lr", "Learning rate"),
        ("momentum", "momentum"),
        ("weight_decay", "weight decay"),
    ]:
        if not options[name] >= 0.0:
            raise InvalidValue(f"{what} should be >= 0 but is: {options[name]}")
    if options["adjust_lr_fn"] not in _MUON_LR_RATIOS:
        raise InvalidValue(
            f"Adjust learning rate function {options['adjust_lr_fn']} is not supported"
        )
    if options["ns_steps"] >= 100:
        raise InvalidValue("Number of steps must be less than 100 for computational efficiency")


# torch's _adjust_lr: the factor of lr for a parameter of shape (A, B)
_MUON_LR_RATIOS = {
    "original": lambda rows, cols: math.sqrt(max(1, rows / cols)),
    "match_rms_adamw": lambda rows, cols: 0.2 * math.sqrt(max(rows, cols)),
    "none": lambda rows, cols: 1.0,
}


def _muon_step(params: Sequence[Tensor], state: Sequence[Tensor], options: dict) -> None:
    """torch.optim.Muon's step, per parameter: the momentum buffer lerped towards the gradient
    and the (Nesterov) update (a Numba kernel, torch's fused multiply-adds), orthogonalized by
    `_newton_schulz` (NumPy, in bfloat16 as torch's), then the parameter decayed by
    1 - lr weight_decay and moved by -adjusted_lr times the update (a Numba kernel)."""
    for p in params:
        if len(p.meta.shape) != 2:
            raise InvalidValue(
                "Muon only supports 2D parameters whereas we found a parameter with size: "
                f"{rules.size_repr(p.meta.shape)}"
            )
    momentum, lr = options["momentum"], options["lr"]
    ratio = _MUON_LR_RATIOS[options["adjust_lr_fn"]]
    coefficients = tuple(np.float32(options[name]) for name in ("ns_a", "ns_b", "ns_c"))
    for p, buf in zip(params, state, strict=True):
        kind = p.data.dtype.type
        weight, copies = kind(1 - momentum), []
        param, buf_flat = _flat(p, copies), _flat(buf, copies)
        update = np.empty(param.size, kind)
        kernels_nn.muon_momentum(
            _flat(p.grad, []),
            buf_flat,
            update,
            weight,
            kind(1) - weight,
            kind(momentum),
            kind(1) - kind(momentum),
            bool(options["nesterov"]),
        )
        rows, cols = p.meta.shape
        update = _newton_schulz(
            update.reshape(rows, cols), coefficients, options["ns_steps"], options["eps"]
        )
        kernels_nn.muon_apply(
            param,
            np.ascontiguousarray(update, dtype=kind).reshape(-1),
            kind(1 - lr * options["weight_decay"]),
            kind(-(lr * ratio(rows, cols))),
        )
        for tensor, copy in copies:
            tensor.data[...] = copy.reshape(tensor.data.shape)
        for tensor in (p, buf):
            tensor.version.value += 1


def _newton_schulz(update: np.ndarray, coefficients: tuple, steps: int, eps: float) -> np.ndarray:
    """torch's _zeropower_via_newtonschulz in bfloat16, its roundings emulated in float32
    (NumPy has no bfloat16): X = update (transposed when it has more rows than columns) over
    its norm (at least eps), then `steps` times G = X X^T, X = a X + (b G + c G G) X. Each
    matrix product sums as torch's on a CPU with AVX512-BF16 (`kernels_nn.bfloat16_matmul`);
    each addmm(C, A, B, beta, alpha) is torch's fma(beta, C, alpha (A B)) in float32, then
    rounded to bfloat16."""
    if update.shape[0] > update.shape[1]:
        return _newton_schulz(update.T, coefficients, steps, eps).T
    a, b, c = coefficients
    x = _bfloat16(update.astype(np.float32))
    norm = _bfloat16(np.float32(math.sqrt(np.square(x, dtype=np.float64).sum())))
    x = _bfloat16(x / _bfloat16(np.maximum(norm, np.float32(eps))))
    for _ in range(steps):
        gram = _bfloat16(_matmul(x, x.T))
        gram_update = _bfloat16(_fma(b, gram, c * _matmul(gram, gram)))
        x = _bfloat16(_fma(a, x, _matmul(gram_update, x)))
    return x


def _matmul(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    out = np.empty((left.shape[0], right.shape[1]), np.float32)
    kernels_nn.bfloat16_matmul(np.ascontiguousarray(left), np.ascontiguousarray(right), out)
    return out


def _fma(scale: np.float32, values: np.ndarray, addend: np.ndarray) -> np.ndarray:
    """scale values + addend in float32, rounded once (the product of a float32 and a
    bfloat16 is exact in float64; the float64 sum rounds again only where it is inexact)."""
    return (np.float64(scale) * values + addend.astype(np.float64)).astype(np.float32)


def _bfloat16(values) -> np.ndarray:
    """float32 values rounded to bfloat16 (8 significant bits, to nearest, ties to even), as
    float32: torch's conversion. NaN stays NaN."""
    values = np.asarray(values, dtype=np.float32)
    bits = values.view(np.uint32)
    rounded = (bits + (np.uint32(0x7FFF) + ((bits >> 16) & np.uint32(1)))) & np.uint32(0xFFFF0000)
    return np.where(np.isnan(values), values, rounded.view(np.float32))


def _adafactor_state_shapes(shape: tuple) -> list[tuple]:
    """Adafactor's state of a parameter of `shape`: row_var (the last dim 1) and col_var (the
    second to last 1) for a matrix or more, else variance (its shape)."""
    if len(shape) > 1:
        return [(*shape[:-1], 1), (*shape[:-2], 1, shape[-1])]
    return [shape]


def _adafactor_step(params: Sequence[Tensor], state: Sequence[Tensor], options: dict) -> None:
    """torch.optim.Adafactor's single-tensor step, in NumPy in the parameter's dtype, with its
    norms (of the parameter, of each row and column of the gradient and of the update) summed
    in float64 and its Python scalars in float64: within rounding of torch's, not its bits."""
    shapes = [_adafactor_state_shapes(p.meta.shape) for p in params]
    if len(state) != sum(len(each) for each in shapes):
        raise InvalidValue(
            f"adafactor takes 2 state tensors per parameter of 2 or more dims, else 1: "
            f"{sum(len(each) for each in shapes)} for these {len(params)} parameter(s), "
            f"got {len(state)}"
        )
    states, start = [], 0
    for i, (p, wanted) in enumerate(zip(params, shapes, strict=True)):
        if not rules.is_float(p.dtype):
            raise rules.DtypeMismatch(
                f"parameter {i} has dtype {p.dtype}; only floating tensors can be optimized"
            )
        if not p.is_leaf:
            raise InvalidValue("can't optimize a non-leaf Tensor")
        if p.grad is None:
            raise GradNotSet(f"parameter {i} has no .grad (it is None)")
        _check_like("the gradient", p.grad, p, i)
        mine = list(state[start : start + len(wanted)])
        start += len(wanted)
        for s, shape in zip(mine, wanted, strict=True):
            if s.dtype != p.dtype or s.meta.shape != shape:
                raise rules.ShapeMismatch(
                    f"a state tensor of parameter {i} has shape {rules.size_repr(s.meta.shape)} "
                    f"and dtype {s.dtype}; it must have shape {rules.size_repr(shape)} and the "
                    f"parameter's dtype {p.dtype}"
                )
            if s is p or s is p.grad:
                raise InvalidValue(f"a state tensor of parameter {i} is its parameter or gradient")
        states.append(mine)
    step, lr, eps1 = float(options["step"]), options["lr"], options["eps1"]
    one_minus_beta2 = step ** options["beta2_decay"]
    rho = min(lr, 1 / (step**0.5))
    for p, mine in zip(params, states, strict=True):
        data, kind = p.data, p.data.dtype.type
        if eps1 is None:  # torch's loop keeps the first parameter's
            eps1 = float(np.finfo(kind).eps)
        weight = kind(one_minus_beta2)
        grad = -p.grad.data if options["maximize"] else p.grad.data
        alpha = max(options["eps2"], _norm(data) / (data.size**0.5)) * rho
        if options["weight_decay"] != 0:
            data *= kind(1 - lr * options["weight_decay"])
        if grad.ndim > 1:
            row_var, col_var = (s.data for s in mine)
            row_mean = np.square(_norm(grad, -1, kind)) / kind(grad.shape[-1])
            row_var[...] = _lerp(row_var, row_mean, weight)
            col_mean = np.square(_norm(grad, -2, kind)) / kind(grad.shape[-2])
            col_var[...] = _lerp(col_var, col_mean, weight)
            estimate = np.matmul(row_var, col_var)
            estimate /= np.maximum(row_var.mean(axis=-2, keepdims=True), kind(eps1))
        else:
            (variance,) = (s.data for s in mine)
            variance[...] = _lerp(variance, grad * grad, weight)
            estimate = variance.copy()
        update = (kind(1) / np.sqrt(np.maximum(estimate, kind(eps1 * eps1)))) * grad
        denom = max(1.0, _norm(update) / ((update.size**0.5) * options["d"]))
        data += update * kind(-alpha / denom)
        for tensor in (p, *mine):
            tensor.version.value += 1


def _norm(array: np.ndarray, axis: int | None = None, kind: type | None = None):
    """The 2-norm summed in float64: a Python float of the whole array, or along `axis`
    (kept) rounded to `kind`."""
    squares = np.square(array, dtype=np.float64)
    if axis is None:
        return float(np.sqrt(squares.sum()))
    return np.sqrt(squares.sum(axis=axis, keepdims=True)).astype(kind)


def _lerp(start: np.ndarray, end: np.ndarray, weight) -> np.ndarray:
    """torch's lerp with a number weight: start + w (end - start) for |w| < 0.5, else
    end - (end - start)(1 - w)."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (type(weight)(1) - weight)


def _nadam_mu(options: dict, step: float) -> float:
    """NAdam's momentum coefficient mu_step = beta1 (1 - 0.96^(step momentum_decay) / 2), in
    torch's float64 arithmetic."""
    return options["beta1"] * (1.0 - 0.5 * (0.96 ** (step * options["momentum_decay"])))


def _check_like(what: str, t: Tensor, param: Tensor, index: int) -> None:
    if t.dtype != param.dtype:
        raise rules.DtypeMismatch(
            f"{what} of parameter {index} has dtype {t.dtype}, the parameter {param.dtype}"
        )
    if t.meta.shape != param.meta.shape:
        raise rules.ShapeMismatch(
            f"{what} of parameter {index} has shape {rules.size_repr(t.meta.shape)}, the "
            f"parameter {rules.size_repr(param.meta.shape)}"
        )


def _flat(tensor: Tensor, copies: list[tuple[Tensor, np.ndarray]]) -> np.ndarray:
    """`tensor`'s data as a writable contiguous 1-D array for a kernel: a view of it, or a
    copy, which is added to `copies` (to be written back)."""
    data = tensor.data
    if data.flags.c_contiguous and data.flags.writeable:
        return data.reshape(-1)
    copy = np.array(data, order="C", copy=True).reshape(-1)
    copies.append((tensor, copy))
    return copy


def optimizer_step(
    algorithm: str, params: Sequence[Tensor], state: Sequence[Tensor], options: dict
) -> None:
    """One torch.optim step for `params`, in place on them and on their `state` tensors
    (grouped by parameter), one fused kernel pass per parameter. Everything is checked
    before anything changes."""
    options = _optimizer_options(algorithm, options)
    if algorithm == "adafactor":
        _adafactor_step(params, state, options)
        return
    per_param = optimizer_state_count(algorithm, options)
    if len(state) != per_param * len(params):
        raise InvalidValue(
            f"{algorithm} with these options takes {per_param} state tensor(s) per parameter: "
            f"{per_param * len(params)} for {len(params)} parameter(s), got {len(state)}"
        )
    for i, p in enumerate(params):
        if not rules.is_float(p.dtype):
            raise rules.DtypeMismatch(
                f"parameter {i} has dtype {p.dtype}; only floating tensors can be optimized"
            )
        if not p.is_leaf:
            raise InvalidValue("can't optimize a non-leaf Tensor")
        if p.grad is None:
            raise GradNotSet(f"parameter {i} has no .grad (it is None)")
        _check_like("the gradient", p.grad, p, i)
        for s in state[i * per_param : (i + 1) * per_param]:
            _check_like("a state tensor", s, p, i)
            if s is p or s is p.grad:
                raise InvalidValue(f"a state tensor of parameter {i} is its parameter or gradient")
    if algorithm == "muon":
        _muon_step(params, state, options)
        return
    scalars: dict[type, tuple] = {}  # the kernel's scalar arguments, per parameter dtype
    for i, p in enumerate(params):
        dtype = p.data.dtype.type
        if dtype not in scalars:
            scalars[dtype] = _update_scalars(algorithm, options, dtype)
        written = [p, *state[i * per_param : (i + 1) * per_param]]
        copies: list[tuple[Tensor, np.ndarray]] = []
        arrays = [_flat(t, copies) for t in written]
        grad = _flat(p.grad, [])  # only read
        if algorithm == "sgd":
            buf = arrays[1] if per_param else np.empty(0, dtype)
            kernels_nn.sgd_step(arrays[0], grad, buf, *scalars[dtype])
        elif algorithm == "rmsprop":
            rest = iter(arrays[2:])
            buf = next(rest) if options["momentum"] > 0 else np.empty(0, dtype)
            grad_avg = next(rest) if options["centered"] else np.empty(0, dtype)
            kernels_nn.rmsprop_step(arrays[0], grad, arrays[1], buf, grad_avg, *scalars[dtype])
        elif algorithm == "adam":
            max_exp_avg_sq = arrays[3] if per_param == 3 else np.empty(0, dtype)
            kernels_nn.adam_step(arrays[0], grad, *arrays[1:3], max_exp_avg_sq, *scalars[dtype])
        else:
            _KERNELS[algorithm](arrays[0], grad, *arrays[1:], *scalars[dtype])
        for tensor, copy in copies:
            tensor.data[...] = copy.reshape(tensor.data.shape)
        for tensor in written:
            tensor.version.value += 1


def _update_scalars(algorithm: str, options: dict, dtype: type) -> tuple:
    """The update kernel's scalar arguments, rounded to the parameter's dtype as torch's CPU
    kernels round them, the step-dependent ones computed first in float64 as torch's Python
    code does: SGD's -lr, momentum, 1 - dampening, weight decay, nesterov, maximize and
    whether this is the first step; Adam's L2 weight decay and decoupled decay factor
    (1 - lr weight_decay, AdamW's), 1 - beta1, beta1, beta2, 1 - beta2, -lr / (1 - beta1^step),
    sqrt(1 - beta2^step), eps, maximize and amsgrad; RMSprop's -lr, alpha, 1 - alpha and
    1 - (1 - alpha), eps, weight decay, momentum and maximize; Adagrad's -lr / (1 + (step - 1)
    lr_decay), eps, weight decay and maximize; Adamax's -lr / (1 - beta1^step), 1 - beta1,
    beta1, beta2, eps, weight decay and maximize; NAdam's and RAdam's weight decays (as Adam's),
    1 - beta1, beta1, beta2 and 1 - beta2, then NAdam's 1 - beta2^step, eps, -lr (1 - mu_t) /
    (1 - mu_product), -lr mu_{t+1} / (1 - mu_product mu_{t+1}) and maximize, RAdam's
    1 - beta1^step, lr, sqrt(1 - beta2^step), eps, the rectification term, maximize and whether
    to rectify (rho_t > 5); Adadelta's -lr, rho, 1 - rho, eps, weight decay and maximize;
    Rprop's etaminus, etaplus, step_size_min, step_size_max and maximize; ASGD's decay factor
    1 - lambd eta, -eta, weight decay, mu, whether to average (mu != 1) and maximize."""
    step = float(options["step"])
    maximize = bool(options["maximize"])
    if algorithm == "sgd":
        return (
            dtype(-options["lr"]),
            dtype(options["momentum"]),
            dtype(1 - options["dampening"]),
            dtype(options["weight_decay"]),
            bool(options["nesterov"]),
            maximize,
            options["step"] == 1,
        )
    if algorithm == "rmsprop":
        weight = dtype(1 - options["alpha"])
        return (
            dtype(-options["lr"]),
            dtype(options["alpha"]),
            weight,
            dtype(1) - weight,
            dtype(options["eps"]),
            dtype(options["weight_decay"]),
            dtype(options["momentum"]),
            maximize,
        )
    if algorithm == "adagrad":
        clr = options["lr"] / (1 + (step - 1) * options["lr_decay"])
        return (dtype(-clr), dtype(options["eps"]), dtype(options["weight_decay"]), maximize)
    if algorithm == "rprop":
        return (
            dtype(options["etaminus"]),
            dtype(options["etaplus"]),
            dtype(options["step_size_min"]),
            dtype(options["step_size_max"]),
            maximize,
        )
    if algorithm == "asgd":
        eta, mu = options["eta"], options["mu"]
        return (
            dtype(1 - options["lambd"] * eta),
            dtype(-eta),
            dtype(options["weight_decay"]),
            dtype(mu),
            mu != 1,
            maximize,
        )
    if algorithm == "adadelta":
        return (
            dtype(-options["lr"]),
            dtype(options["rho"]),
            dtype(1 - options["rho"]),
            dtype(options["eps"]),
            dtype(options["weight_decay"]),
            maximize,
        )
    beta1, beta2 = options["beta1"], options["beta2"]
    weight = dtype(1 - beta1)
    if algorithm == "adamax":
        clr = options["lr"] / (1 - beta1**step)
        return (
            dtype(-clr),
            weight,
            dtype(1) - weight,
            dtype(beta2),
            dtype(options["eps"]),
            dtype(options["weight_decay"]),
            maximize,
        )
    decoupled = options["decoupled_weight_decay"]
    moments = (
        dtype(0 if decoupled else options["weight_decay"]),
        dtype(1 - options["lr"] * options["weight_decay"] if decoupled else 1),
        weight,
        dtype(1) - weight,
        dtype(beta2),
        dtype(1 - beta2),
    )
    if algorithm == "nadam":
        lr, product = options["lr"], options["mu_product"]
        mu, mu_next = _nadam_mu(options, step), _nadam_mu(options, step + 1)
        return (
            *moments,
            dtype(1 - beta2**step),
            dtype(options["eps"]),
            dtype(-lr * (1.0 - mu) / (1.0 - product)),
            dtype((-lr * mu_next) / (1.0 - product * mu_next)),
            maximize,
        )
    if algorithm == "radam":
        bias_correction2 = 1 - beta2**step
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        rectify = rho_t > 5.0
        rect = (
            ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            if rectify
            else 1.0
        )
        return (
            *moments,
            dtype(1 - beta1**step),
            dtype(options["lr"]),
            dtype(bias_correction2**0.5),
            dtype(options["eps"]),
            dtype(rect),
            maximize,
            rectify,
        )
    return (
        *moments,
        dtype(-(options["lr"] / (1 - beta1**step))),
        dtype((1 - beta2**step) ** 0.5),
        dtype(options["eps"]),
        maximize,
        bool(options["amsgrad"]),
    )


__all__ = ["OPTIMIZER_OPTIONS", "optimizer_state_count", "optimizer_step"]
