"""`gradrpc.nn.Parameter`: a leaf tensor that requires grad and that modules register."""

from __future__ import annotations

from gradrpc.engine import rules

from ..tensor import Tensor


def typename(obj) -> str:
    """torch.typename: "torch.FloatTensor" for a tensor, the qualified type name otherwise."""
    if isinstance(obj, Tensor):
        return f"torch.{rules.TORCH_TYPE_NAME[obj._meta.dtype]}Tensor"
    kind = type(obj)
    module = kind.__module__
    if module in ("builtins", "__builtin__", None):
        return kind.__qualname__
    return f"{module}.{kind.__qualname__}"


class Parameter(Tensor):
    """torch.nn.Parameter(data, requires_grad=True): shares `data`'s values (a detached
    alias on the server, as torch's _make_subclass is) as a leaf that requires grad."""

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            from ..session import default_session

            data = default_session().empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(
                f"Parameter.__new__ expected a Tensor as data, but got {type(data).__name__}"
            )
        alias = data.detach()
        self = object.__new__(cls)
        for name in Tensor.__slots__[1:]:
            object.__setattr__(self, name, getattr(alias, name))
        alias._handle = 0  # `self` owns the handle now
        if requires_grad:
            self.requires_grad_(True)
        return self

    def __init__(self, *args, **kwargs):  # everything happens in __new__
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__
