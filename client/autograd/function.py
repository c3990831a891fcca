"""torch.autograd.Function: custom differentiable operations whose forward and backward are
the user's Python, run in the client over remote tensors.

`apply` runs `forward` with recording off, then records one node for the outputs (a
FunctionOperation); the node is the `ctx` that forward and backward share, as in torch. A
backward pass that reaches the node pauses for the client (see `pauses`), which calls the
Function's `backward` on the output gradients and answers with the input gradients.
"""

from __future__ import annotations

import functools
import warnings

from gradrpc.engine import rules
from gradrpc.engine.errors import Unsupported
from gradrpc.v1 import gradrpc_pb2 as pb

from ..dtypes import DTYPES
from ..grad_mode import is_grad_enabled, no_grad
from ..tensor import Node, Tensor, _edge

__all__ = ["BackwardCFunction", "Function", "FunctionCtx", "once_differentiable"]

_NO_BACKWARD = (
    "You must implement either the backward or vjp method for your custom autograd.Function "
    "to use it with backward mode AD."
)


class FunctionCtx:
    """What forward leaves for backward: saved tensors and flags (`ctx` in both)."""

    def save_for_backward(self, *tensors) -> None:
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple:
        return self._saved

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize_grads = value

    def mark_dirty(self, *tensors) -> None:
        raise Unsupported(
            "gradrpc: ctx.mark_dirty (a Function changing its inputs in place) is not supported yet"
        )


class BackwardCFunction(Node, FunctionCtx):
    """A custom Function's node (`output.grad_fn`) and its ctx; `_forward_cls` is the
    Function. Named "<Function>Backward" as torch names it."""

    _forward_cls: type[Function]

    def __init__(self) -> None:
        super().__init__(f"{self._forward_cls.__name__}Backward", (), False)
        self._saved: tuple = ()
        self._non_differentiable: set[int] = set()
        self._materialize_grads = True
        self._args: tuple = ()
        self._output_metas: tuple = ()
        self.needs_input_grad: tuple[bool, ...] = ()

    def __repr__(self) -> str:
        return f"<gradrpc.autograd.function.{type(self).__name__} object at {hex(id(self))}>"

    def _output_grads(self, session, grad_handles) -> tuple:
        """The gradient of each output as a pause names it, None where none arrived."""
        return tuple(
            Tensor._make(session, handle, meta) if handle else None
            for handle, meta in zip(grad_handles, self._output_metas, strict=True)
        )

    def _input_grads(self, session, grads: tuple) -> tuple:
        """Run the Function's backward on the output gradients (zeros where none arrived,
        unless set_materialize_grads(False)); the gradient of each tensor input, None where
        it needs none, checked as torch checks them."""
        if self._materialize_grads:
            grads = tuple(
                session.zeros(meta.shape, dtype=DTYPES[meta.dtype]) if g is None else g
                for g, meta in zip(grads, self._output_metas, strict=True)
            )
        result = _user_backward(self._forward_cls)(self, *grads)
        result = result if isinstance(result, tuple) else (result,)
        if len(result) != len(self._args):
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients (expected "
                f"{len(self._args)}, got {len(result)})"
            )
        input_grads = []
        for i, (arg, grad) in enumerate(zip(self._args, result, strict=True)):
            if not isinstance(arg, Tensor):
                if grad is not None:
                    raise RuntimeError(
                        f"function {self.name()} returned a gradient different than None at "
                        f"position {i + 1}, but the corresponding forward input was not a "
                        "Variable"
                    )
                continue
            if grad is not None and not rules.is_expandable_to(arg._meta.shape, grad._meta.shape):
                raise RuntimeError(
                    f"Function {self.name()} returned an invalid gradient at index {i} - got "
                    f"{list(grad._meta.shape)} but expected shape compatible with "
                    f"{list(arg._meta.shape)}"
                )
            input_grads.append(grad if arg._requires_grad else None)
        return tuple(input_grads)


def _user_backward(cls: type[Function]):
    """The Function's `backward`, or its `vjp` (torch's other name for it), not both."""
    backward, vjp = cls.backward, cls.vjp
    if backward is not Function.backward and vjp is not Function.vjp:
        raise RuntimeError(
            "Implementing both 'backward' and 'vjp' for a custom Function is not allowed. You "
            "should only implement one of them."
        )
    return vjp if vjp is not Function.vjp else backward


class FunctionMeta(type):
    """Gives each Function its node class, named "<Function>Backward"."""

    def __init__(cls, name, bases, attrs):
        backward_cls = type(f"{name}Backward", (BackwardCFunction,), {"_forward_cls": cls})
        cls._backward_cls = backward_cls
        super().__init__(name, bases, attrs)


class Function(FunctionCtx, metaclass=FunctionMeta):
    """Subclass it with static `forward(ctx, *args)` (or `forward(*args)` and
    `setup_context(ctx, inputs, output)`) and `backward(ctx, *grad_outputs)`; call `apply`."""

    def __init__(self, *args, **kwargs) -> None:
        warnings.warn(
            f"{type(self)} should not be instantiated. Methods on autograd functions are all "
            "static, so you should invoke them on the class itself. Instantiating an autograd "
            "function will raise an error in a future version of PyTorch.",
            DeprecationWarning,
            stacklevel=2,
        )

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use "
            "new-style autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
        )

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(_NO_BACKWARD)

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = cls._backward_cls()
        ctx._args = args
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        with no_grad():
            if cls.setup_context is Function.setup_context:
                outputs = cls.forward(ctx, *args, **kwargs)
            else:
                outputs = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, outputs)
        inputs = [a for a in args if isinstance(a, Tensor)]
        if not (is_grad_enabled() and any(t._requires_grad for t in inputs)):
            return outputs
        return _record(ctx, inputs, outputs)


def _record(ctx: BackwardCFunction, inputs: list[Tensor], outputs):
    """Make the differentiable outputs results of `ctx`'s node: new tensors sharing their
    data (the server's node records them), non-tensor outputs passed through."""
    is_tuple = isinstance(outputs, tuple)
    returned = outputs if is_tuple else (outputs,)
    tensors = [o for o in returned if isinstance(o, Tensor)]
    session = inputs[0]._session
    results = {}
    differentiable = []
    for out in tensors:
        results[id(out)] = out.detach()
        differentiable.append(
            id(out) not in ctx._non_differentiable and rules.is_float(out._meta.dtype)
        )
    ctx.next_functions = tuple((_edge(t) if t._requires_grad else None, 0) for t in inputs)
    ctx._has_saved = any(isinstance(t, Tensor) for t in ctx._saved)
    ctx._output_metas = tuple(t._meta for t in tensors)
    key = session.new_handle()
    session.pause_targets[key] = ctx
    operation = pb.FunctionOperation(
        name=ctx.name(),
        key=key,
        inputs=[t._handle for t in inputs],
        outputs=[results[id(o)]._handle for o in tensors],
        differentiable=differentiable,
        saves_tensors=ctx._has_saved,
    )
    session.enqueue("apply", pb.Operation(function=operation))
    for out, flag in zip(tensors, differentiable, strict=True):
        if flag:
            result = results[id(out)]
            result._requires_grad, result._grad_fn = True, ctx
    made = tuple(results.get(id(o), o) if isinstance(o, Tensor) else o for o in returned)
    return made if is_tuple else made[0]


def once_differentiable(backward):
    """torch's decorator for a backward that is not itself differentiable: here every
    backward runs with recording off, so it only wraps."""

    @functools.wraps(backward)
    def wrapper(ctx, *args):
        with no_grad():
            return backward(ctx, *args)

    return wrapper
