"""`gradrpc.optim`: torch.optim's SGD, Adam, AdamW, RMSprop, Adagrad, Adamax, NAdam, RAdam,
Adadelta, Rprop, ASGD, Adafactor and Muon, stepping on the server, and LBFGS (`lbfgs`).

A step queues one OptimizerStepOperation per parameter group, over the group's parameters
that have a gradient (the client knows which from its mirror of the graph): the server
updates them in place with a fused kernel pass per parameter, so parameters, gradients and
optimizer state never travel. State tensors (momentum buffers, moments, Adagrad's sums) are
ordinary server tensors, created on first use (Adagrad's at construction, as torch's).
`optimizer.state[p]` holds torch's keys and kinds of values; `step` is a 0-d tensor of the
default float dtype (torch's scalar dtype) whose count the client keeps, so a step sends
nothing for it but its number, and so are NAdam's `mu_product` and ASGD's `eta` and `mu`,
whose values each step sends. Constructor signatures, defaults, validation errors,
`param_groups`, `zero_grad` and `state_dict` are torch's.
"""

from __future__ import annotations

import operator
import warnings
from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from gradrpc.engine import rules

from .. import factories
from ..nn.modules import _clear_grad
from ..nn.parameter import typename
from ..tensor import Tensor

__all__ = [
    "ASGD",
    "LBFGS",
    "SGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Muon",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "Rprop",
]


class _RequiredParameter:
    """The default of a hyper-parameter every group must give."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _float(value) -> dict:
    """An AttrValue's fields (a message is built from them once, with its operation)."""
    return {"float_value": float(value)}


def _bool(value) -> dict:
    return {"bool_value": bool(value)}


class _ClientScalar(Tensor):
    """A 0-d tensor of the optimizer state whose value the client keeps (`_value`), so a step
    sends only a number for it. The server gets a copy only when something uses the tensor
    (printing it, item(), an operation): one upload, queued, and again after the value has
    changed."""

    __slots__ = ("_copy", "_value")

    @classmethod
    def of(cls, session, value, dtype: str | None = None) -> _ClientScalar:
        """A 0-d `dtype` tensor (torch's scalar dtype by default: the default float dtype)."""
        self = cls._make(session, 0, rules.meta((), dtype or rules.default_float()))
        self._value = value
        return self

    @property
    def _handle(self) -> int:
        if self._copy is None or self._copy[0] != self._value:
            copy = factories.tensor(self._session, float(self._value), dtype=self._meta.dtype)
            self._copy = (self._value, copy)
        return self._copy[1]._handle

    @_handle.setter
    def _handle(self, handle: int) -> None:  # Tensor._make's 0: nothing uploaded yet
        self._copy = None

    def __del__(self) -> None:
        """Nothing to release: the copy is a tensor of its own."""


class _StepCount(_ClientScalar):
    """`state[p]["step"]`: a 0-d tensor of the steps taken (an optimizer step adds
    one, as torch's adds one in place)."""

    __slots__ = ()

    def _advance(self) -> None:
        self._value += 1

    def _undo(self) -> None:
        self._value -= 1


class _MuProduct(_ClientScalar):
    """NAdam's `state[p]["mu_product"]`: the product of the steps' mu_t, a 0-d tensor (of the
    default float dtype, or the parameter's dtype once loaded from a tensor) that each step
    multiplies in place by mu_t, both rounded to its dtype as torch's CPU mul rounds them. An
    undo puts back the value before the latest step (`_before`)."""

    __slots__ = ("_before",)

    @classmethod
    def of(cls, session, value, dtype: str | None = None) -> _MuProduct:
        dtype = dtype or rules.default_float()
        self = super().of(session, float(np.dtype(dtype).type(value)), dtype)
        self._before = self._value
        return self

    def _advance(self, mu: float) -> None:
        kind = np.dtype(self._meta.dtype).type
        self._before, self._value = self._value, float(kind(self._value) * kind(mu))

    def _undo(self) -> None:
        self._value = self._before


class _Replaced(_MuProduct):
    """ASGD's `eta` and `mu`: 0-d tensors (the default float dtype, or the parameter's dtype
    once loaded from a tensor) that each step overwrites with a new value, rounded to the
    default float dtype (torch's `as_tensor` of a number) and then to their dtype (its
    `copy_`). An undo puts back the
    value before the latest step."""

    __slots__ = ()

    def _advance(self, value: float) -> None:
        kind = np.dtype(self._meta.dtype).type
        as_tensor = np.dtype(rules.default_float()).type
        self._before, self._value = self._value, float(kind(as_tensor(value)))


def _loaded_scalar(p: Tensor, key: str, value):
    """A loaded `step`, `mu_product`, `eta` or `mu` (a number or 0-d tensor) as p's: this
    session's as they are (torch keeps a loaded tensor too), others copied. A step count stays
    in the default float dtype; torch casts the others' tensors to p's dtype, numbers to the
    default float dtype."""
    if key == "step":
        if value is None or (isinstance(value, _StepCount) and value._session is p._session):
            return value
        return _StepCount.of(p._session, int(value))
    tensor = isinstance(value, Tensor) or hasattr(value, "__array__")
    dtype = p._meta.dtype if tensor else rules.default_float()
    kind = _MuProduct if key == "mu_product" else _Replaced
    if isinstance(value, _MuProduct):
        if value._session is p._session and value._meta.dtype == dtype and type(value) is kind:
            return value
        value = value._value
    return kind.of(p._session, float(value), dtype)


_CLIENT_KEPT = ("step", "mu_product", "eta", "mu")  # the state keys of _ClientScalars


class _UndoStep:
    """Puts the state of some parameters back, should the server refuse their step: state
    made for the step dropped, client-kept scalars as before it (step counts one lower). One
    small object, as the queue holds it until the server answers."""

    __slots__ = ("advanced", "made", "state")

    def __init__(self, state: dict):
        self.state = state
        self.made: list[Tensor] = []
        self.advanced: list[_StepCount | _MuProduct] = []

    def __call__(self) -> None:
        for p in self.made:
            self.state.pop(p, None)
        for scalar in self.advanced:
            scalar._undo()


class Optimizer:
    """Base class of the optimizers (torch.optim.Optimizer)."""

    algorithm = ""  # the OptimizerStepOperation's algorithm
    # the group's options it sends besides lr and betas, as floats and as bools
    float_options: tuple[str, ...] = ()
    bool_options: tuple[str, ...] = ()

    def __init__(self, params, defaults: dict) -> None:
        if defaults.get("differentiable"):
            raise NotImplementedError("gradrpc: differentiable optimizers are not supported")
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict] = defaultdict(dict)
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                "dicts, but got " + typename(params)
            )
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)
        if defaults.get("fused") and defaults.get("foreach"):
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def add_param_group(self, param_group: dict) -> None:
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            param_group["params"] = list(params)
        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    + typename(param)
                )
            if not self.defaults.get("differentiable") and not (
                param.is_leaf or param.retains_grad
            ):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)
        params = param_group["params"]
        if len(params) != len({id(p) for p in params}):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, "
                "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for "
                "more information",
                stacklevel=3,
            )
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if seen & {id(p) for p in params}:
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients: set them to None (one SetGrad each, no round trip), or zero
        them in place."""
        for group in self.param_groups:
            for p in group["params"]:
                _clear_grad(p, set_to_none)

    def __repr__(self) -> str:
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    # ------------------------------------------------------------ stepping

    def _state_keys(self, group: dict) -> tuple[str, ...]:
        """The keys of the state of each parameter of `group`, in torch's order: the
        client-kept scalars (`step`, NAdam's `mu_product`) and the state tensors, in the
        operation's order."""
        raise NotImplementedError

    def _param_state_keys(self, group: dict, p: Tensor) -> tuple[str, ...]:
        """The keys of p's state: the group's (Adafactor's depend on p's dims)."""
        return self._state_keys(group)

    def _options(self, group: dict) -> dict[str, dict]:
        """The operation's options from `group`: lr (a 1-element tensor taken as its number),
        betas as beta1 and beta2 where the optimizer has them, then `float_options` and
        `bool_options`."""
        options = {"lr": _float(_check_number("lr", group["lr"]))}
        if "betas" in self.defaults:
            options["beta1"], options["beta2"] = (_float(beta) for beta in group["betas"])
        options.update({name: _float(group[name]) for name in self.float_options})
        options.update({name: _bool(group[name]) for name in self.bool_options})
        return options

    def _advance(self, group: dict, state: dict) -> dict:
        """Advance a parameter's client-kept scalars for its step as torch's step does (the
        count one up) and give what its operation sends of them (the step's number)."""
        count = state["step"]
        count._advance()
        return {"step": count._value}

    def _new_state(self, p: Tensor, key: str, group: dict) -> Tensor:
        """A state value for p (of `group`)'s first step, as torch makes it: a step count of 0,
        a mu_product of 1, or zeros like p."""
        if key == "step":
            return _StepCount.of(p._session, 0)
        if key == "mu_product":
            return _MuProduct.of(p._session, 1.0)
        return factories.zeros_like(p._session, p)

    def step(self, closure=None):
        """One optimization step for every parameter that has a gradient."""
        loss = None
        if closure is not None:
            from ..grad_mode import enable_grad

            with enable_grad():
                loss = closure()
        sessions = []
        for group in self.param_groups:
            session = self._step_group(group)
            if session is not None and session not in sessions:
                sessions.append(session)
        for session in sessions:
            send = getattr(session, "send", None)
            if send is not None:
                send()
        return loss

    def _step_group(self, group: dict):
        params = [p for p in group["params"] if p._grad is not None]
        if not params:
            return None
        batches: dict[tuple, tuple[list[Tensor], _UndoStep]] = {}
        for p in params:
            keys = self._param_state_keys(group, p)
            p._session.check_usable(p._handle)
            state = self.state[p] if keys else {}  # SGD without momentum keeps none, as torch's
            made = any(state.get(key) is None for key in keys)
            if made:
                state.update({key: self._new_state(p, key, group) for key in keys})
            kept = [state[key] for key in keys if key in _CLIENT_KEPT]
            # what the operation sends of the client-kept scalars: the step's number, the count
            # (SGD's kernel asks only whether the buffer is new), NAdam's mu_product
            sent = self._advance(group, state) if kept else {"step": 1 if made else 2}
            members, undo = batches.setdefault(tuple(sent.items()), ([], _UndoStep(self.state)))
            members.append(p)
            if made:
                undo.made.append(p)
            else:
                undo.advanced.extend(kept)
        options = self._options(group)
        session = params[0]._session
        for sent, (members, undo) in batches.items():
            if any(p._session is not session for p in members):
                raise RuntimeError("gradrpc: tensors belong to different sessions")
            operation = {
                "algorithm": self.algorithm,
                "params": [p._handle for p in members],
                "state": [
                    self.state[p][key]._handle
                    for p in members
                    for key in self._param_state_keys(group, p)
                    if key not in _CLIENT_KEPT
                ],
                "options": {
                    **options,
                    **{k: {"int_value": v} if k == "step" else _float(v) for k, v in sent},
                },
            }
            session.enqueue_fields(
                f"{type(self).__name__}.step", "optimizer_step", operation, undo=undo
            )
        return session

    # ------------------------------------------------------------ state

    def state_dict(self) -> dict:
        """{"state": {index: state}, "param_groups": [group with "params" as indices]}; as
        torch's, the state dicts are the optimizer's own, not copies."""
        mapping: dict[int, int] = {}
        start = 0
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {
            mapping[id(key)] if isinstance(key, Tensor) else key: value
            for key, value in self.state.items()
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """torch.optim.Optimizer.load_state_dict: the groups' settings and each parameter's
        state from `state_dict` (this optimizer's or torch's, as `state_dict()` gives them),
        matched to this optimizer's parameters by position. State tensors of this session and
        of the parameter's dtype are taken as they are (torch keeps such tensors too); others,
        torch tensors and arrays included, are copied into the parameter's session and dtype.
        A saved `step` (a number or 0-d tensor) becomes the step count the next update
        continues from, a saved `mu_product` NAdam's product."""
        groups = self.param_groups
        saved_groups = [dict(g) for g in state_dict["param_groups"]]
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        pairs = zip(groups, saved_groups, strict=True)
        if any(len(group["params"]) != len(saved["params"]) for group, saved in pairs):
            raise ValueError(
                "loaded state dict contains a parameter group "
                "that doesn't match the size of optimizer's group"
            )
        by_index = dict(
            zip(
                (i for g in saved_groups for i in g["params"]),
                (p for g in groups for p in g["params"]),
                strict=True,
            )
        )
        state: defaultdict[Tensor, dict] = defaultdict(dict)
        for index, saved in state_dict["state"].items():
            p = by_index.get(index)
            if p is None:
                state[index] = saved  # as torch keeps it: state of no parameter here
                continue
            state[p] = {
                key: _loaded_scalar(p, key, value)
                if key in _CLIENT_KEPT
                else _state_tensor(p, value)
                for key, value in saved.items()
            }
        for group, saved in zip(groups, saved_groups, strict=True):
            saved["params"] = group["params"]
            for name, default in self.defaults.items():
                saved.setdefault(name, default)
        self.state, self.param_groups = state, saved_groups


def _state_tensor(p: Tensor, value):
    """A loaded state value for parameter `p`: a tensor of p's session in p's dtype (this
    session's tensors as they are, or converted; anything array-like uploaded; lists, as
    LBFGS's history, element by element)."""
    if isinstance(value, list):
        return [_state_tensor(p, item) for item in value]
    if isinstance(value, Tensor):
        if value._session is p._session:
            return value.to(p.dtype)
        value = value.numpy()
    if hasattr(value, "__array__"):
        return factories.tensor(p._session, np.asarray(value), dtype=p.dtype)
    return value


def _check_number(name: str, value) -> float:
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError(f"Tensor {name} must be 1-element")
        return value.item()
    return value


class SGD(Optimizer):
    """Stochastic gradient descent, with momentum, dampening, Nesterov momentum, weight
    decay and maximize (torch.optim.SGD)."""

    algorithm = "sgd"
    float_options = ("momentum", "dampening", "weight_decay")
    bool_options = ("nesterov", "maximize")

    def __init__(
        self,
        params: Iterable,
        lr=1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay=0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        lr_value = _check_number("lr", lr)
        if lr_value < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _state_keys(self, group: dict) -> tuple[str, ...]:
        return ("momentum_buffer",) if group["momentum"] != 0 else ()

    def _options(self, group: dict) -> dict[str, dict]:
        """weight_decay may be a 1-element tensor too, as lr may."""
        weight_decay = _float(_check_number("weight_decay", group["weight_decay"]))
        return {**super()._options(group), "weight_decay": weight_decay}


class Adam(Optimizer):
    """Adam with L2 or decoupled weight decay, amsgrad and maximize (torch.optim.Adam)."""

    algorithm = "adam"
    float_options = ("eps", "weight_decay")
    bool_options = ("amsgrad", "decoupled_weight_decay", "maximize")

    def __init__(
        self,
        params: Iterable,
        lr=1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        _check_adam_family(lr, eps, betas, weight_decay)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _state_keys(self, group: dict) -> tuple[str, ...]:
        return ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")[: 4 if group["amsgrad"] else 3]


class AdamW(Adam):
    """Adam with decoupled weight decay, 1e-2 by default (torch.optim.AdamW): each step first
    scales the parameters by 1 - lr weight_decay."""

    def __init__(
        self,
        params: Iterable,
        lr=1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:  # as torch's AdamW.__setstate__
            group["decoupled_weight_decay"] = True


class RMSprop(Optimizer):
    """RMSprop with momentum, centering, weight decay and maximize (torch.optim.RMSprop)."""

    algorithm = "rmsprop"
    float_options = ("alpha", "eps", "weight_decay", "momentum")
    bool_options = ("centered", "maximize")

    def __init__(
        self,
        params: Iterable,
        lr=1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        if not _check_number("lr", lr) >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        for value, what in [
            (eps, "epsilon"),
            (momentum, "momentum"),
            (weight_decay, "weight_decay"),
            (alpha, "alpha"),
        ]:
            if not value >= 0.0:
                raise ValueError(f"Invalid {what} value: {value}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _state_keys(self, group: dict) -> tuple[str, ...]:
        return (
            ("step", "square_avg")
            + ("momentum_buffer",) * (group["momentum"] > 0)
            + ("grad_avg",) * bool(group["centered"])
        )


class Adagrad(Optimizer):
    """Adagrad with learning-rate decay, weight decay and maximize (torch.optim.Adagrad). As
    torch's, it makes every parameter's state (`step` and `sum`, filled with
    initial_accumulator_value) when constructed."""

    algorithm = "adagrad"
    float_options = ("lr_decay", "weight_decay", "eps")
    bool_options = ("maximize",)

    def __init__(
        self,
        params: Iterable,
        lr=1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        if not _check_number("lr", lr) >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not lr_decay >= 0.0:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not initial_accumulator_value >= 0.0:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {initial_accumulator_value}"
            )
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p].update(
                    {key: self._new_state(p, key, group) for key in ("step", "sum")}
                )

    def _new_state(self, p: Tensor, key: str, group: dict) -> Tensor:
        """`sum` is filled with the constructor's initial_accumulator_value (torch's
        defaults', whatever the group says)."""
        if key != "sum":
            return super()._new_state(p, key, group)
        return factories.full_like(p._session, p, self.defaults["initial_accumulator_value"])

    def _state_keys(self, group: dict) -> tuple[str, ...]:
        return ("step", "sum")


def _check_adam_family(lr, eps, betas, weight_decay) -> None:
    """torch's constructor checks of Adam, Adamax, NAdam and RAdam, in its order."""
    if not _check_number("lr", lr) >= 0.0:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not eps >= 0.0:
        raise ValueError(f"Invalid epsilon value: {eps}")
    for index, beta in enumerate((betas[0], betas[1])):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {beta}")
    if not weight_decay >= 0.0:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class Adamax(Optimizer):
    """Adamax, Adam with the infinity norm, with weight decay and maximize
    (torch.optim.Adamax)."""

    algorithm = "adamax"
    float_options = ("eps", "weight_decay")
    bool_options = ("maximize",)

    def __init__(
        self,
        params: Iterable,
        lr=2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        _check_adam_family(lr, eps, betas, weight_decay)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _state_keys(self, group: dict) -> tuple[str, ...]:
        return ("step", "exp_avg", "exp_inf")


class NAdam(Optimizer):
    """NAdam, Adam with Nesterov momentum, with momentum decay, L2 or decoupled weight decay
    and maximize (torch.optim.NAdam). Its `mu_product` state is kept by the client, as the
    step count is, and sent with each step."""

    algorithm = "nadam"
    float_options = ("eps", "weight_decay", "momentum_decay")
    bool_options = ("decoupled_weight_decay", "maximize")

    def __init__(
        self,
        params: Iterable,
        lr=2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_adam_family(lr, eps, betas, weight_decay)
        if not momentum_decay >= 0.0:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _state_keys(self, group: dict) -> tuple[str, ...]:
        return ("step", "mu_product", "exp_avg", "exp_avg_sq")

    def _advance(self, group: dict, state: dict) -> dict:
        """The count one up, then mu_product times mu_t = beta1 (1 - 0.96^(t momentum_decay)
        / 2); the operation sends both."""
        sent = super()._advance(group, state)
        beta1, momentum_decay = group["betas"][0], group["momentum_decay"]
        product = state["mu_product"]
        product._advance(beta1 * (1.0 - 0.5 * (0.96 ** (sent["step"] * momentum_decay))))
        return {**sent, "mu_product": product._value}


class RAdam(Optimizer):
    """RAdam, Adam with its adaptive learning rate rectified once the variance is tractable,
    with L2 or decoupled weight decay and maximize (torch.optim.RAdam)."""

    algorithm = "radam"
    float_options = ("eps", "weight_decay")
    bool_options = ("decoupled_weight_decay", "maximize")

    def __init__(
        self,
        params: Iterable,
        lr=1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_adam_family(lr, eps, betas, weight_decay)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _state_keys(self, group: dict) -> tuple[str, ...]:
        return ("step", "exp_avg", "exp_avg_sq")


class Rprop(Optimizer):
    """Rprop, the resilient backpropagation algorithm, with maximize (torch.optim.Rprop): each
    element's step size grows by etas[1] while its gradient keeps its sign and shrinks by
    etas[0] when the sign flips, within step_sizes; the parameter moves by its step size
    against the gradient's sign. Its step sizes start at the group's lr."""

    algorithm = "rprop"
    bool_options = ("maximize",)

    def __init__(
        self,
        params: Iterable,
        lr=1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        if not _check_number("lr", lr) >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {
            "lr": lr,
            "etas": etas,
            "step_sizes": step_sizes,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _state_keys(self, group: dict) -> tuple[str, ...]:
        return ("step", "prev", "step_size")

    def _new_state(self, p: Tensor, key: str, group: dict) -> Tensor:
        """`step_size` is filled with the group's lr, as torch's."""
        if key != "step_size":
            return super()._new_state(p, key, group)
        return factories.full_like(p._session, p, _check_number("lr", group["lr"]))

    def _options(self, group: dict) -> dict[str, dict]:
        (etaminus, etaplus), (smallest, largest) = group["etas"], group["step_sizes"]
        return {
            **super()._options(group),
            "etaminus": _float(etaminus),
            "etaplus": _float(etaplus),
            "step_size_min": _float(smallest),
            "step_size_max": _float(largest),
        }


class ASGD(Optimizer):
    """Averaged stochastic gradient descent, with weight decay and maximize
    (torch.optim.ASGD). Its `eta` (the step's learning rate, lr / (1 + lambd lr t)^alpha)
    and `mu` (the averaging weight, 1 / max(1, t - t0)) are 0-d tensors kept by the
    client, as the step count is, and sent with each step; `ax`, the average, stays on the
    server."""

    algorithm = "asgd"
    float_options = ("lambd", "weight_decay")
    bool_options = ("maximize",)

    def __init__(
        self,
        params: Iterable,
        lr=1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        if not _check_number("lr", lr) >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _state_keys(self, group: dict) -> tuple[str, ...]:
        return ("step", "eta", "mu", "ax")

    def _new_state(self, p: Tensor, key: str, group: dict) -> Tensor:
        """`eta` starts at the group's lr, `mu` at 1 (in the default float dtype, as torch's)."""
        if key == "eta":
            return _Replaced.of(p._session, _check_number("lr", group["lr"]))
        if key == "mu":
            return _Replaced.of(p._session, 1.0)
        return super()._new_state(p, key, group)

    def _advance(self, group: dict, state: dict) -> dict:
        """The count one up; the operation sends it with eta and mu as they are, which then
        become torch's for the next step."""
        sent = super()._advance(group, state)
        eta, mu = state["eta"], state["mu"]
        sent.update(eta=eta._value, mu=mu._value)
        lr, step = _check_number("lr", group["lr"]), sent["step"]
        eta._advance(lr / ((1 + group["lambd"] * lr * step) ** group["alpha"]))
        mu._advance(1 / max(1, step - group["t0"]))
        return sent


class Adafactor(Optimizer):
    """Adafactor, with weight decay and maximize (torch.optim.Adafactor): the second moment of
    a parameter of 2 or more dims kept factored, as a row and a column mean (`row_var`,
    `col_var`), of other parameters whole (`variance`); the step is relative to the
    parameter's norm and clipped by d. The server computes the norms itself: a step reads
    nothing."""

    algorithm = "adafactor"
    float_options = ("beta2_decay", "d", "weight_decay")
    bool_options = ("maximize",)

    def __init__(
        self,
        params: Iterable,
        lr=1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
    ) -> None:
        if not _check_number("lr", lr) >= 0.0:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not beta2_decay <= 0.0:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not eps[0] >= 0.0:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not eps[1] >= 0.0:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not d >= 1.0:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not weight_decay >= 0.0:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = {
            "lr": lr,
            "beta2_decay": beta2_decay,
            "eps": eps,
            "d": d,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _state_keys(self, group: dict) -> tuple[str, ...]:
        return ("step", "row_var", "col_var", "variance")

    def _param_state_keys(self, group: dict, p: Tensor) -> tuple[str, ...]:
        return ("step", "row_var", "col_var") if p.dim() > 1 else ("step", "variance")

    def _new_state(self, p: Tensor, key: str, group: dict) -> Tensor:
        """row_var: zeros of p's shape with its last dim 1; col_var: with its second to last
        1 (as torch's)."""
        if key not in ("row_var", "col_var"):
            return super()._new_state(p, key, group)
        shape = list(p.shape)
        shape[-1 if key == "row_var" else -2] = 1
        return factories.full(p._session, shape, 0.0, dtype=p.dtype)

    def _options(self, group: dict) -> dict[str, dict]:
        eps1, eps2 = group["eps"]
        options = {**super()._options(group), "eps2": _float(eps2)}
        if eps1 is not None:
            options["eps1"] = _float(eps1)
        return options


class Muon(Optimizer):
    """Muon, momentum SGD whose update is orthogonalized by a Newton-Schulz iteration, with
    decoupled weight decay (torch.optim.Muon), for 2-D parameters only. The server runs the
    iteration in torch's order with its bfloat16 roundings emulated in float32 (NumPy has no
    bfloat16), so a step reads nothing; its matrix products sum in another order than
    torch's, which may move an element of a larger update by a bfloat16 ulp."""

    algorithm = "muon"
    float_options = ("weight_decay", "momentum", "eps")
    bool_options = ("nesterov",)

    def __init__(
        self,
        params: Iterable,
        lr=1e-3,
        weight_decay: float = 0.1,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_coefficients: tuple[float, float, float] = (3.4445, -4.7750, 2.0315),
        eps: float = 1e-7,
        ns_steps: int = 5,
        adjust_lr_fn: str | None = None,
    ) -> None:
        if not _check_number("lr", lr) >= 0.0:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not momentum >= 0.0:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not weight_decay >= 0.0:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ["original", "match_rms_adamw"]:
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = {
            "lr": lr,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "nesterov": nesterov,
            "ns_coefficients": ns_coefficients,
            "eps": eps,
            "ns_steps": ns_steps,
            "adjust_lr_fn": adjust_lr_fn,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(
                        "Muon only supports 2D parameters whereas we found a parameter with "
                        f"size: {p.size()}"
                    )

    def _state_keys(self, group: dict) -> tuple[str, ...]:
        return ("momentum_buffer",)

    def _options(self, group: dict) -> dict[str, dict]:
        """torch's step-time checks (ns_steps, then ns_coefficients) with its messages; the
        coefficients as ns_a, ns_b, ns_c; adjust_lr_fn "original" for None, "none" (the
        unscaled lr, as torch's step) for a value it does not know."""
        steps = group["ns_steps"]
        if steps >= 100:
            raise ValueError("Number of steps must be less than 100 for computational efficiency")
        if len(group["ns_coefficients"]) != 3:
            raise ValueError("Coefficients must be a tuple of exactly 3 values")
        a, b, c = group["ns_coefficients"]
        adjust = group["adjust_lr_fn"] or "original"
        return {
            **super()._options(group),
            "ns_a": _float(a),
            "ns_b": _float(b),
            "ns_c": _float(c),
            "ns_steps": {"int_value": operator.index(steps)},
            "adjust_lr_fn": {
                "string_value": adjust if adjust in ("original", "match_rms_adamw") else "none"
            },
        }


class Adadelta(Optimizer):
    """Adadelta with weight decay and maximize (torch.optim.Adadelta)."""

    algorithm = "adadelta"
    float_options = ("rho", "eps", "weight_decay")
    bool_options = ("maximize",)

    def __init__(
        self,
        params: Iterable,
        lr=1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        if not _check_number("lr", lr) >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _state_keys(self, group: dict) -> tuple[str, ...]:
        return ("step", "square_avg", "acc_delta")


from . import lr_scheduler  # noqa: E402, F401
from .lbfgs import LBFGS  # noqa: E402
