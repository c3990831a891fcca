"""torch.optim's update rules as fused in-place steps over a list of parameters: each
algorithm's options with torch's defaults and constructor checks, its state tensors per
parameter, and the scalars its Numba kernel takes, rounded as torch's CPU kernels round them.
"""

from __future__ import annotations

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
}


def optimizer_state_count(algorithm: str, options: dict) -> int:
    """How many state tensors each parameter has."""
    if algorithm == "sgd":
        return 1 if options["momentum"] != 0 else 0
    if algorithm == "rmsprop":  # square_avg, momentum_buffer, grad_avg
        return 1 + (options["momentum"] > 0) + bool(options["centered"])
    return 3 if options["amsgrad"] else 2


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
    # torch's constructor checks, for clients that skip them
    checks = [("lr", "learning rate"), ("weight_decay", "weight_decay value")]
    checks += {
        "sgd": [("momentum", "momentum value")],
        "adam": [("eps", "epsilon value")],
        "rmsprop": [
            ("eps", "epsilon value"),
            ("momentum", "momentum value"),
            ("alpha", "alpha value"),
        ],
    }[algorithm]
    for name, what in checks:
        if not options[name] >= 0.0:
            raise InvalidValue(f"Invalid {what}: {options[name]}")
    if (
        algorithm == "sgd"
        and options["nesterov"]
        and (options["momentum"] <= 0 or options["dampening"] != 0)
    ):
        raise InvalidValue("Nesterov momentum requires a momentum and zero dampening")
    if algorithm == "adam":
        for index, name in enumerate(("beta1", "beta2")):
            if not 0.0 <= options[name] < 1.0:
                raise InvalidValue(f"Invalid beta parameter at index {index}: {options[name]}")
    return options


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
        else:
            max_exp_avg_sq = arrays[3] if per_param == 3 else np.empty(0, dtype)
            kernels_nn.adam_step(arrays[0], grad, *arrays[1:3], max_exp_avg_sq, *scalars[dtype])
        for tensor, copy in copies:
            tensor.data[...] = copy.reshape(tensor.data.shape)
        for tensor in written:
            tensor.version.value += 1


def _update_scalars(algorithm: str, options: dict, dtype: type) -> tuple:
    """The update kernel's scalar arguments, rounded to the parameter's dtype as torch's CPU
    kernels round them: SGD's -lr, momentum, 1 - dampening, weight decay, nesterov, maximize
    and whether this is the first step; Adam's L2 weight decay and decoupled decay factor
    (1 - lr weight_decay, AdamW's), 1 - beta1, beta1, beta2, 1 - beta2, -lr / (1 - beta1^step),
    sqrt(1 - beta2^step), eps, maximize and amsgrad; RMSprop's -lr, alpha, 1 - alpha and
    1 - (1 - alpha), eps, weight decay, momentum and maximize."""
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
            bool(options["maximize"]),
        )
    if algorithm == "sgd":
        return (
            dtype(-options["lr"]),
            dtype(options["momentum"]),
            dtype(1 - options["dampening"]),
            dtype(options["weight_decay"]),
            bool(options["nesterov"]),
            bool(options["maximize"]),
            options["step"] == 1,
        )
    step = float(options["step"])
    beta1, beta2 = options["beta1"], options["beta2"]
    weight = dtype(1 - beta1)
    decoupled = options["decoupled_weight_decay"]
    return (
        dtype(0 if decoupled else options["weight_decay"]),
        dtype(1 - options["lr"] * options["weight_decay"] if decoupled else 1),
        weight,
        dtype(1) - weight,
        dtype(beta2),
        dtype(1 - beta2),
        dtype(-(options["lr"] / (1 - beta1**step))),
        dtype((1 - beta2**step) ** 0.5),
        dtype(options["eps"]),
        bool(options["maximize"]),
        bool(options["amsgrad"]),
    )


__all__ = ["OPTIMIZER_OPTIONS", "optimizer_state_count", "optimizer_step"]
