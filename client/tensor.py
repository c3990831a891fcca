"""`gradrpc.Tensor`: a proxy for a tensor held by the server, with torch's API.

A Tensor knows its shape, strides, dtype, requires_grad, is_leaf and grad_fn without asking
the server: the op rules (`gradrpc.engine.rules`, pure Python) predict them, and the client
keeps a mirror of the autograd graph (`Node`), so torch's errors are raised at the line
that causes them. Only values (item, tolist, numpy, print) make a round trip.
"""

from __future__ import annotations

import math
import operator
import warnings
import weakref
from collections.abc import Callable, Sequence
from math import prod
from typing import TYPE_CHECKING

import numpy as np
from gradrpc.engine import rules
from gradrpc.engine.errors import DtypeMismatch, InPlaceOnView, NoGradFn, Unsupported
from gradrpc.engine.rules import TensorMeta
from gradrpc.v1 import gradrpc_pb2 as pb

from . import dtypes, indexing, printing, return_types
from .dtypes import DTYPES, Size, as_dtype, check_available, device
from .grad_mode import is_grad_enabled, no_grad

if TYPE_CHECKING:  # utils imports what imports this module
    from .utils.hooks import NodeHooks, RemovableHandle, TensorHooks

_sequence = iter(range(1 << 62))
_WARNED: set[str] = set()  # torch's warn-once warnings already given


class Node:
    """A backward node as torch shows it (`tensor.grad_fn`): its name and next_functions.
    `_passes_nothing` marks a node whose backward gives its inputs no gradient (the op
    table's `passes_gradient`): a pass reaches nothing through it. `_forward` is what a
    create_graph pass reads of an op's node (see `_mirror_call`)."""

    __slots__ = (
        "__weakref__",
        "_forward",
        "_freed",
        "_has_saved",
        "_hooks",
        "_name",
        "_origin",
        "_passes_nothing",
        "_post_hooks",
        "_pre_hooks",
        "_retained",
        "_sequence",
        "next_functions",
    )

    def __init__(self, name: str, next_functions: tuple, has_saved: bool):
        self._name = name
        self.next_functions = next_functions
        self._has_saved = has_saved
        self._freed = False
        self._passes_nothing = False
        self._retained: weakref.ref | None = None
        self._hooks: TensorHooks | None = None  # those of the tensor it made (register_hook)
        # its own hooks (register_prehook, register_hook), and the session and handle of
        # the op result it was made for, by which the server finds its node
        self._pre_hooks: NodeHooks | None = None
        self._post_hooks: NodeHooks | None = None
        self._origin: tuple | None = None
        self._sequence = next(_sequence)
        self._forward: tuple | None = None

    def name(self) -> str:
        return self._name

    def register_prehook(self, fn) -> RemovableHandle:
        """Run `fn(grad_outputs)` before the node runs in a backward pass; a tuple it returns
        (one gradient, or None, per output) is what the node runs on."""
        from .autograd.pauses import register_node_hook

        return register_node_hook(self, fn, post=False)

    def register_hook(self, fn) -> RemovableHandle:
        """Run `fn(grad_inputs, grad_outputs)` after the node ran in a backward pass; a tuple
        it returns (one gradient, or None, per next_functions entry) replaces grad_inputs."""
        from .autograd.pauses import register_node_hook

        return register_node_hook(self, fn, post=True)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {hex(id(self))}>"


_NODE_CLASSES: dict[str, type[Node]] = {}


def node_class(name: str) -> type[Node]:
    """The Node subclass named like torch's backward class (`type(y.grad_fn).__name__` is
    "MulBackward0" in torch, so it is here too)."""
    cls = _NODE_CLASSES.get(name)
    if cls is None:
        cls = _NODE_CLASSES[name] = type(name, (Node,), {"__slots__": ()})
    return cls


class AccumulateGrad(Node):
    """The node that accumulates into a leaf's .grad; `variable` is the leaf."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor):
        super().__init__("torch::autograd::AccumulateGrad", (), False)
        self.variable = variable

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


def _edge(t: Tensor) -> Node | None:
    """The node a gradient for `t` flows into: its grad_fn, or the leaf's accumulator; none
    for a view made under no_grad (it requires grad as its base does, with no accumulator)."""
    if not t._requires_grad:
        return None
    node = t.grad_fn
    if node is not None:
        return node
    if t._creation == rules.NO_GRAD_MODE:
        return None
    accumulator = t._accumulator() if t._accumulator is not None else None
    if accumulator is None:
        accumulator = AccumulateGrad(t)
        t._accumulator = weakref.ref(accumulator)
    return accumulator


def _scalar(value) -> dict:
    """The Operand fields of a number (see Session.enqueue_fields)."""
    if isinstance(value, bool | np.bool_):
        return {"bool_value": bool(value)}
    if isinstance(value, int | np.integer):
        return {"int_value": int(value)}
    return {"float_value": float(value)}


def _attr(value) -> dict:
    """An AttrValue's fields."""
    if isinstance(value, bool):
        return {"bool_value": value}
    if isinstance(value, int):
        return {"int_value": value}
    if isinstance(value, float):
        return {"float_value": value}
    if isinstance(value, str):
        return {"string_value": value}
    return {"int_list": {"values": [int(v) for v in value]}}


UINT8_INDEX_WARNING = (
    "indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool instead. "
    "(Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/IndexingUtils.h:37.)"
)


def _index_value(item):
    """An index item, a tensor one as torch reads it: a 0-d integer tensor is its value (an
    int), a bool or uint8 one its value as a bool, a bool or (deprecated) uint8 mask its
    values (read: the result's shape depends on them); an int64 or int32 index tensor stays
    on the server."""
    if not isinstance(item, Tensor):
        return item
    kind = item.dtype.name
    if kind in ("float32", "float64") or (item.ndim and kind in ("int8", "int16")):
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if kind == "uint8":
        return item.numpy().astype(bool) if item.ndim else bool(item.item())
    if item.ndim == 0:
        return item.item()
    return item.numpy() if kind == "bool" else item


def _warn_of_uint8_masks(index) -> None:
    """torch's deprecation warning for a uint8 mask, once the index checked out."""
    items = index if isinstance(index, tuple) else (index,)
    if any(isinstance(i, Tensor) and i.ndim and i.dtype.name == "uint8" for i in items):
        warnings.warn(UINT8_INDEX_WARNING, UserWarning, stacklevel=3)


def _index_items(index):
    """An index with its tensor items read as torch reads them (see `_index_value`)."""
    if isinstance(index, Tensor):
        return _index_value(index)
    if isinstance(index, tuple) and any(isinstance(item, Tensor) for item in index):
        return tuple(_index_value(item) for item in index)
    return index


def _dims(advanced: list) -> dict:
    """The `dims` attribute of the index or index_put op for these advanced indices."""
    return {"dims": [d for d, _ in advanced]}


def _is_index_tensor(item) -> bool:
    return isinstance(item, Tensor) and item.dtype.name in rules.INDEX_DTYPES


def _number(value):
    """A Python number for a number-like operand (numpy scalars included), else None."""
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, np.generic) and value.ndim == 0:
        return value.item()
    return None


def alpha_attrs(op: str, alpha) -> dict:
    """add's and sub's `alpha` as the op's attribute (none for the default 1), or torch's
    TypeError for one that is not a number."""
    number = _number(alpha)
    if number is None:
        raise TypeError(f"{op}(): argument 'alpha' must be Number, not {type(alpha).__name__}")
    return {} if type(number) is int and number == 1 else {"alpha": number}


def rounding_attrs(signatures: str, given: str, rounding_mode) -> dict:
    """div's `rounding_mode` as the op's attribute (none for None), or torch's TypeError for
    one that is not a string (`given` names the call's arguments, `signatures` torch's)."""
    if rounding_mode is None:
        return {}
    if not isinstance(rounding_mode, str):
        raise TypeError(
            f"div() received an invalid combination of arguments - got ({given}, "
            f"rounding_mode={type(rounding_mode).__name__}), but expected one of:\n{signatures}"
        )
    rules.check_rounding_mode(rounding_mode)
    return {"rounding_mode": rounding_mode}


_DIV_METHOD_SIGNATURES = (
    " * (Tensor other)\n * (Tensor other, *, str rounding_mode)\n"
    " * (Number other, *, str rounding_mode)\n"
)


def _sized(method: str, args: tuple, keyword: dict, name: str) -> tuple:
    """The size arguments of `method`, given as positional ints or as keyword `name`."""
    if keyword.keys() - {name} or (keyword and args):
        unexpected = next(iter(keyword.keys() - {name}), name)
        raise TypeError(f"{method}() got an unexpected keyword argument '{unexpected}'")
    return (keyword[name],) if keyword else args


def _tensor_or_number_error(op: str, params: str, args: Sequence, reasons: bool = True):
    """torch's TypeError for arguments that fit neither its Tensor nor its Number signature of
    `op` (`params` names them with a {} for the type: "{} other", "{} min = None, ...")."""
    kinds = ", ".join(type(a).__name__ for a in args)
    bad = ", ".join(f"!{type(a).__name__}!" for a in args)
    why = f"      didn't match because some of the arguments have invalid types: ({bad})\n"
    why = why if reasons else ""
    return TypeError(
        f"{op}() received an invalid combination of arguments - got ({kinds}), but expected one "
        f"of:\n * ({params.format('Tensor')})\n{why} * ({params.format('Number')})\n{why}"
    )


def _check_cast(result: str, target: str) -> None:
    """torch's refusal to write an op's result into a tensor of a type it cannot cast to."""
    if not _can_cast(result, target):
        raise RuntimeError(
            f"result type {rules.TORCH_TYPE_NAME[result]} can't be cast to the "
            f"desired output type {rules.TORCH_TYPE_NAME[target]}"
        )


def _can_cast(source: str, target: str) -> bool:
    """torch.can_cast: no floating to integral, nothing but bool to bool."""
    if rules.is_float(source) and not rules.is_float(target):
        return False
    return not (source != "bool" and target == "bool")


# In-place forms that torch lets write into an expanded tensor (the rest refuse it), two of
# them with a deprecation warning.
_WRITE_EXPANDED = frozenset({"zero_", "fill_", "masked_fill_", "index_put_"})
_EXPANDED_WARNING = {
    name: f"Use of {name} on expanded tensors is deprecated. Please clone() the tensor before "
    f"performing this operation. This also applies to advanced indexing e.g. {example} "
    f"(Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/"
    f"TensorAdvancedIndexing.cpp:{line}.)"
    for name, example, line in (
        ("masked_fill_", "tensor[mask] = scalar", 2450),
        ("index_put_", "tensor[indices] = tensor", 976),
    )
}


def _warn_if_expanded(t: Tensor, name: str) -> None:
    """torch's deprecation warning for masked_fill_ or index_put_ on an expanded tensor, at the
    user's line."""
    if rules.overlaps_itself(t._meta):
        warnings.warn(_EXPANDED_WARNING[name], UserWarning, stacklevel=3)


_VARIANCE_SIGNATURES = (
    "{name}() received an invalid combination of arguments - got ({dim}, bool, "
    "correction={correction}), but expected one of:\n"
    " * (tuple of ints dim, bool unbiased = True, bool keepdim = False)\n"
    "      didn't match because some of the keywords were incorrect: correction\n"
    " * (tuple of ints dim = None, *, Number correction = None, bool keepdim = False)\n"
    " * (bool unbiased = True)\n"
)
_QUANTILE_ROUNDING = {"lower": "floor", "higher": "ceil", "nearest": "round"}
_QUANTILE_INTERPOLATIONS = ("linear", "midpoint", *_QUANTILE_ROUNDING)
_DEGREES_OF_FREEDOM = (
    "{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
    "reduction factor (input numel divided by output numel). (Triggered internally at "
    "/__w/pytorch/pytorch/aten/src/ATen/native/ReduceOps.cpp:1861.)"
)


def _sizes(size) -> tuple[int, ...]:
    """torch's size arguments: ints, or one tuple/list/Size."""
    if len(size) == 1 and isinstance(size[0], Sequence):
        size = size[0]
    return tuple(int(s) for s in size)


_LEGACY_SIGNATURES = (
    "(*, torch.device device = None)",
    "(torch.Storage storage)",
    "(Tensor other)",
    "(tuple of ints size, *, torch.device device = None)",
    "(object data, *, torch.device device = None)",
)


def _legacy_signature_error(args: tuple, kwargs: dict) -> str:
    """torch's message for torch.Tensor(...) with keywords it does not take."""
    got = [type(a).__name__ for a in args] + [f"{k}={type(v).__name__}" for k, v in kwargs.items()]
    bad = ", ".join(k for k in kwargs if k != "device")
    ints = bool(args) and all(isinstance(a, int) and not isinstance(a, bool) for a in args)
    close = (
        {0}
        if len(args) == 1 and not ints and isinstance(args[0], int | float)
        else {3, 4}
        if ints
        else set()
    )
    lines = [
        "new() received an invalid combination of arguments - "
        f"got ({', '.join(got)}), but expected one of:"
    ]
    for i, signature in enumerate(_LEGACY_SIGNATURES):
        lines.append(f" * {signature}")
        if i in close:
            lines.append(f"      didn't match because some of the keywords were incorrect: {bad}")
    return "\n".join(lines) + "\n"


class _Restore:
    """Sets a tensor's attributes back to `previous` when called: the undo of an operation
    whose effect the client mirrored. It holds the tensor weakly (the queue must not keep
    tensors alive) and is one small object, not a closure and its cells: the queue holds
    one per such operation until the server answers, and the garbage collector visits them."""

    __slots__ = ("_previous", "_tensor")

    def __init__(self, tensor: Tensor, previous: dict):
        self._tensor = weakref.ref(tensor)
        self._previous = previous

    def __call__(self) -> None:
        if (tensor := self._tensor()) is not None:
            for name, value in self._previous.items():
                setattr(tensor, name, value)


class _Restores:
    """The undo of an in-place op with history: the grad_fn and requires_grad of each tensor
    it changed (the tensor, its base, the base's other views), held weakly as _Restore does."""

    __slots__ = ("_restores",)

    def __init__(self, *tensors: Tensor):
        self._restores = [
            _Restore(t, {"grad_fn": t.grad_fn, "_requires_grad": t._requires_grad}) for t in tensors
        ]

    def add(self, tensor: Tensor, **previous) -> None:
        """Restore these attributes of `tensor` too."""
        self._restores.append(_Restore(tensor, previous))

    def __call__(self) -> None:
        for restore in self._restores:
            restore()


class layout:
    """torch.layout: how a tensor's elements are stored; gradrpc's are all `strided`."""

    __slots__ = ("_name",)

    def __init__(self, name: str):
        self._name = name

    def __repr__(self) -> str:
        return f"torch.{self._name}"

    def __reduce__(self) -> str:
        return self._name


strided = layout("strided")


class Tensor:
    """A tensor held by a gradrpc server; mirrors torch.Tensor."""

    __slots__ = (
        "__weakref__",
        "_accumulator",
        "_attr_version",
        "_base",
        "_creation",
        "_grad",
        "_grad_fn",
        "_handle",
        "_hooks",
        "_meta",
        "_output_nr",
        "_post_hooks",
        "_requires_grad",
        "_retains_grad",
        "_session",
        "_views",
        "_writes",
    )

    # numpy defers to Tensor's reflected operators (np.float64(2) * t is a Tensor), as in torch.
    __array_priority__ = 1000

    @classmethod
    def _make(
        cls,
        session,
        handle: int,
        meta: TensorMeta,
        requires_grad: bool = False,
        grad_fn: Node | None = None,
    ) -> Tensor:
        """The proxy of `handle` on `session` (how gradrpc itself creates tensors)."""
        self = cls.__new__(cls)
        self._session = session
        self._handle = handle
        self._meta = meta
        self._requires_grad = requires_grad
        self._grad_fn = grad_fn
        if grad_fn is not None and grad_fn._origin is None and handle:
            grad_fn._origin = (session, handle)
        self._grad: Tensor | bool | None = None  # True: set on the server, no proxy bound yet
        self._retains_grad = False
        self._accumulator: weakref.ref | None = None
        # a leaf's backward hooks and post-accumulate-grad hooks (a non-leaf's are its node's)
        self._hooks: TensorHooks | None = None
        self._post_hooks: TensorHooks | None = None
        self._base: Tensor | None = None  # the tensor whose storage a view shares
        # the live differentiable views of a base: an in-place op with history regenerates
        # their grad_fn
        self._views: weakref.WeakSet | None = None
        # a view's torch CreationMeta (see engine.graph.Tensor.creation), its place among the
        # pieces of a split or unbind, and its base's count of in-place writes when it was
        # made (`_writes`, counted on a base for it and its views: torch's version counter
        # as far as this client's own writes move it)
        self._creation: str | None = None
        self._output_nr = 0
        self._attr_version = 0
        self._writes = 0
        return self

    def __init__(self, *args, device=None, **kwargs):
        """torch.Tensor(...), the legacy constructor, on the default session: a copy of `data`
        in the default float dtype, an uninitialized tensor of a size, or another tensor's
        data."""
        from . import factories
        from .session import default_session

        if kwargs:
            raise TypeError(
                _legacy_signature_error(args, {"device": device, **kwargs} if device else kwargs)
            )
        if device is not None:
            factories._check_device(device)
        if len(args) == 1 and isinstance(args[0], Tensor):
            source = args[0].detach()
        elif all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            source = factories.empty(default_session(), *(args or (0,)))
        elif (
            len(args) == 1
            and isinstance(args[0], Sequence | np.ndarray)
            and not isinstance(args[0], str)
        ):
            source = factories.tensor(default_session(), args[0], dtype=rules.default_float())
        elif len(args) == 1:
            what = type(args[0]).__name__
            if isinstance(args[0], bool | int | float):
                raise TypeError(f"new(): data must be a sequence (got {what})")
            raise TypeError(f"new(): invalid data type '{what}'")
        else:
            position, bad = next(
                (i, a)
                for i, a in enumerate(args, 1)
                if not isinstance(a, int) or isinstance(a, bool)
            )
            raise TypeError(
                f"new(): argument 'size' failed to unpack the object at pos {position} with error "
                f'"type must be tuple of ints,but got {type(bad).__name__}"'
            )
        for name in Tensor.__slots__[1:]:
            object.__setattr__(self, name, getattr(source, name))
        source._handle = 0  # `self` owns the handle now

    def __del__(self):
        try:
            if self._handle:
                self._session.release(self._handle)
        except Exception:
            pass

    # ------------------------------------------------------------ metadata (no round trip)

    @property
    def shape(self) -> Size:
        return Size(self._meta.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._meta.shape)
        return self._meta.shape[rules.size_dim(dim, self.ndim)]

    @property
    def dtype(self):
        return DTYPES[self._meta.dtype]

    @property
    def ndim(self) -> int:
        return self._meta.ndim

    def dim(self) -> int:
        return self._meta.ndim

    def numel(self) -> int:
        return self._meta.numel

    nelement = numel

    def stride(self, dim: int | None = None):
        if dim is None:
            return self._meta.strides
        return self._meta.strides[rules.size_dim(dim, self.ndim)]

    def is_contiguous(self) -> bool:
        return rules.is_contiguous(self._meta)

    def is_floating_point(self) -> bool:
        return rules.is_float(self._meta.dtype)

    @property
    def device(self) -> device:
        return device("cpu")

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def is_cpu(self) -> bool:
        return True

    def get_device(self) -> int:
        """-1: a CPU tensor's device index."""
        return -1

    def is_signed(self) -> bool:
        return self._meta.dtype not in ("bool", "uint8")

    def is_complex(self) -> bool:
        return False

    def is_conj(self) -> bool:
        return False

    def is_neg(self) -> bool:
        return False

    @property
    def layout(self) -> layout:
        """torch.strided: gradrpc's tensors are dense."""
        return strided

    # gradrpc's tensors are dense, on the CPU, unnamed and neither sparse nor quantized
    is_sparse = is_sparse_csr = is_quantized = is_meta = is_nested = is_mkldnn = property(
        lambda self: False
    )
    is_xpu = is_mps = is_ipu = is_xla = is_vulkan = is_maia = is_mtia = is_sparse
    name = property(lambda self: None)

    def is_pinned(self) -> bool:
        return False

    def is_shared(self) -> bool:
        return False

    @property
    def output_nr(self) -> int:
        """This tensor's place among the outputs of the node that made it: a piece of a split
        or unbind made while recording has its index, any other tensor 0."""
        return self._output_nr

    def is_inference(self) -> bool:
        return False

    def is_nonzero(self) -> bool:
        """Whether the one element is nonzero (one round trip), with torch's errors."""
        if self.numel() != 1:
            raise RuntimeError(
                "Boolean value of Tensor with "
                + ("no values" if self.numel() == 0 else "more than one value")
                + " is ambiguous"
            )
        return bool(self.detach().item())

    def is_same_size(self, other: Tensor) -> bool:
        return self.shape == other.shape

    @property
    def itemsize(self) -> int:
        return self.element_size()

    @property
    def nbytes(self) -> int:
        return self.element_size() * self.numel()

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        # The setter has its own wordings in torch (see requires_grad_ for the method's).
        if not self.is_leaf and value:
            raise NoGradFn("you can only change requires_grad flags of leaf variables.")
        if self.is_leaf and value and not rules.is_float(self._meta.dtype):
            raise DtypeMismatch(
                "only Tensors of floating point and complex dtype can require gradients"
            )
        self.requires_grad_(value)

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._meta.shape[0]

    def __getitem__(self, index) -> Tensor:
        """x[index] as torch builds it (see `indexing`): views for ints, slices, None and
        `...`, then one `index` op (IndexBackward0) for index tensors, lists and masks. A 0-d
        integer or bool tensor counts as its value, and a bool mask as its True positions:
        those are read."""
        steps, advanced = indexing.plan(self._meta.shape, _index_items(index), _is_index_tensor)
        _warn_of_uint8_masks(index)
        out = self._apply_views(steps)
        if advanced:
            out = out._call("index", [out, *self._index_tensors(advanced)], _dims(advanced))
        return out

    def __setitem__(self, index, value) -> None:
        """x[index] = value as torch assigns: the views x[index] takes (whole slices skipped),
        then a copy of value into them, or for index tensors an index_put into them copied
        back; both write into x. A number is converted to x's dtype; a tensor loses its
        leading 1-sized dims and broadcasts (index_put wants x's dtype, a copy converts)."""
        value = self._assigned(value)
        if index is False:
            return  # torch writes nothing and checks nothing more
        steps, advanced = indexing.plan(
            self._meta.shape, _index_items(index), _is_index_tensor, assigning=True
        )
        _warn_of_uint8_masks(index)
        target = self._apply_views(steps)
        if isinstance(value, Tensor) and (advanced or value.shape not in (target.shape, ())):
            shape = value._meta.shape  # torch drops its leading 1s (a view) where it matters
            leading = next((i for i, size in enumerate(shape) if size != 1), len(shape))
            if leading:
                value = value._call("view", [value], {"shape": list(shape[leading:])})
        if isinstance(value, np.ndarray):
            from . import factories

            value = factories.from_numpy(self._session, value)
        if not advanced:
            rules.check_expand(value._meta.shape, target._meta.shape, value._meta.dtype)
            target.copy_(value)
            return
        target._check_history(value._requires_grad)
        _warn_if_expanded(target, "index_put_")
        indices = target._index_tensors(advanced)
        put = target._call("index_put", [target, value, *indices], _dims(advanced))
        target._adopt(put, "index_put_")

    def __delitem__(self, index) -> None:
        raise TypeError("Tensor does not support deleting items")

    def _apply_views(self, steps: list) -> Tensor:
        out = self
        for op, attrs in steps:
            out = out._call(op, [out], attrs)
        return out

    def _index_tensors(self, advanced: list) -> list[Tensor]:
        """The advanced indices as int64 tensors of this session (known ones uploaded)."""
        from . import factories

        return [
            i if isinstance(i, Tensor) else factories.from_numpy(self._session, i)
            for _, i in advanced
        ]

    def _assigned(self, value) -> Tensor | np.ndarray:
        """An assigned value as torch takes it: a tensor of this session, or a number as a
        0-d array of self's dtype (to upload once the index is known good)."""
        if isinstance(value, Tensor):
            return self._coerce(value)
        dtype = self._meta.dtype
        if isinstance(value, complex):  # torch keeps a real one's real part
            if value.imag and dtype != "bool":
                raise RuntimeError(rules.overflow_message(dtype))
            value = bool(value) if dtype == "bool" else value.real
        if not isinstance(value, bool | int | float | np.integer):
            kind = type(value)
            module = "" if kind.__module__ == "builtins" else f"{kind.__module__}."
            raise TypeError(
                f"can't assign a {module}{kind.__name__} to a "
                f"torch.{rules.TORCH_TYPE_NAME[dtype]}Tensor"
            )
        value = int(value) if isinstance(value, np.integer) else value
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            raise ValueError("Overflow when unpacking long long")
        overflow = rules.scalar_overflow(value, dtype)
        if overflow:
            raise RuntimeError(overflow)
        return np.array(value).astype(dtype)

    def __iter__(self):
        """The slices along dim 0, as torch iterates: unbind(0)."""
        if self._meta.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __contains__(self, element) -> bool:
        """Whether some element equals `element` (a number, or a tensor compared
        elementwise with broadcasting): (element == self).any(), read at once."""
        if not isinstance(element, Tensor) and _number(element) is None:
            raise RuntimeError(
                "Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                f"{type(element)}."
            )
        equal = element.eq(self) if isinstance(element, Tensor) else self.eq(element)
        return bool(equal.any().item())

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        """The slices along `dim`, each a view with UnbindBackward0 (torch gives them one
        node; here each has its own, with the same gradients); in-place writes to them are
        refused while recording, as torch's are."""
        (dim,) = _arguments("unbind", (dim,), {}, (("dim", "int"),))
        if self._meta.ndim == 0:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        size = self._meta.shape[rules.normalize_dim(dim, self._meta.ndim)]
        return tuple(self._call("unbind", [self], {"dim": dim, "index": i}) for i in range(size))

    def split(self, split_size, dim: int = 0) -> tuple[Tensor, ...]:
        """Pieces of `split_size` along `dim`, or of the lengths in a list: views with
        SplitBackward0 (SplitWithSizesBackward0), each with a node of its own."""
        from .splitting import split  # splitting builds on Tensor

        return split(self, split_size, dim)

    def split_with_sizes(self, split_sizes, dim: int = 0) -> tuple[Tensor, ...]:
        from .splitting import split_with_sizes

        return split_with_sizes(self, split_sizes, dim)

    def chunk(self, chunks, dim: int = 0) -> tuple[Tensor, ...]:
        """At most `chunks` pieces along `dim`: a split of ceil(size / chunks)."""
        from .splitting import chunk

        return chunk(self, chunks, dim)

    def tensor_split(self, *args, **kwargs) -> tuple[Tensor, ...]:
        """Slices (SliceBackward0): `sections` as even as can be, or between `indices`."""
        from .splitting import tensor_split

        return tensor_split(self, *args, **kwargs)

    def hsplit(self, indices_or_sections) -> tuple[Tensor, ...]:
        from .splitting import directional_split

        return directional_split("hsplit", self, indices_or_sections)

    def vsplit(self, indices_or_sections) -> tuple[Tensor, ...]:
        from .splitting import directional_split

        return directional_split("vsplit", self, indices_or_sections)

    def dsplit(self, indices_or_sections) -> tuple[Tensor, ...]:
        from .splitting import directional_split

        return directional_split("dsplit", self, indices_or_sections)

    # ------------------------------------------------------------ queueing ops

    def _call(self, op: str, operands: Sequence = (), attrs: dict | None = None) -> Tensor:
        """Queue `op` on `operands` (the receiver alone by default)."""
        return _apply(self._session, op, operands or [self], attrs or {})

    # ------------------------------------------------------------ autograd state

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if not rules.check_set_requires_grad(self.is_leaf, self._meta.dtype, requires_grad):
            return self
        self._session.check_usable(self._handle)
        undo = self._undo(_requires_grad=self._requires_grad)
        self._requires_grad = bool(requires_grad)
        self._session.enqueue(
            "requires_grad_",
            pb.Operation(
                set_requires_grad=pb.SetRequiresGradOperation(
                    tensor=self._handle, requires_grad=requires_grad
                )
            ),
            undo=undo,
        )
        return self

    def _undo(self, **previous) -> Callable[[], None]:
        """What restores these attributes, should the server reject the operation that the
        client already mirrored."""
        return _Restore(self, previous)

    @property
    def grad(self) -> Tensor | None:
        if not self.is_leaf and not self._retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed want "
                "the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the "
                "non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you "
                "access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for "
                "more information. (Triggered internally at "
                "/__w/pytorch/pytorch/build/aten/src/ATen/core/TensorBody.h:493.)",
                UserWarning,
                stacklevel=2,
            )
        if self._grad is True:
            handle = self._session.new_handle()
            self._session.enqueue(
                "grad",
                pb.Operation(bind_grad=pb.BindGradOperation(tensor=self._handle, output=handle)),
                handle,
                undo=self._undo(_grad=True),
            )
            self._grad = Tensor._make(
                self._session, handle, rules.meta(self._meta.shape, self._meta.dtype)
            )
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    "assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}"
                )
            if value._session is not self._session:
                raise RuntimeError("gradrpc: tensors belong to different sessions")
            rules.check_assigned_grad(self._meta, value._meta)
            self._session.check_usable(value._handle)
        self._session.check_usable(self._handle)
        self._session.enqueue_fields(
            "grad=",
            "set_grad",
            {"tensor": self._handle, "grad": value._handle if value is not None else 0},
            undo=self._undo(_grad=self._grad),
        )
        self._grad = value

    def retain_grad(self) -> None:
        rules.check_retain_grad(self._requires_grad)
        if self.is_leaf or self._retains_grad:
            return
        self._session.check_usable(self._handle)
        self._mark_retains_grad()
        tensor, node = weakref.ref(self), weakref.ref(self.grad_fn)

        def undo() -> None:
            if (t := tensor()) is not None:
                t._retains_grad = False
            if (n := node()) is not None:
                n._retained = None

        self._session.enqueue(
            "retain_grad",
            pb.Operation(retain_grad=pb.RetainGradOperation(tensor=self._handle)),
            undo=undo,
        )

    def register_hook(self, hook) -> RemovableHandle:
        """Run `hook(grad)` whenever a backward pass computes this tensor's gradient: before
        a leaf's .grad takes it, or before a non-leaf's grad_fn (the one it has now) uses
        it; a tensor it returns takes the gradient's place. A pass that runs hooks costs a
        round trip per hook it meets."""
        from .utils.hooks import RemovableHandle

        rules.check_hook(self._requires_grad, self.is_leaf, False)
        owner = self if self.is_leaf else self.grad_fn  # a non-leaf's hooks are its node's
        if owner._hooks is None:
            owner._hooks = self._register_hooks(False)
        hooks = owner._hooks
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook) -> RemovableHandle:
        """Run `hook(tensor)` after a backward pass accumulated into this leaf's .grad."""
        from .utils.hooks import RemovableHandle

        rules.check_hook(self._requires_grad, self.is_leaf, True)
        if self._post_hooks is None:
            self._post_hooks = self._register_hooks(True)
        handle = RemovableHandle(self._post_hooks)
        self._post_hooks[handle.id] = hook
        return handle

    def _register_hooks(self, post_accumulate: bool) -> TensorHooks:
        """The server's pause point for this tensor's hooks, named by a new key."""
        from .utils.hooks import TensorHooks

        self._session.check_usable(self._handle)
        hooks = TensorHooks(self._session.new_handle(), self._meta, self)
        self._session.pause_targets[hooks.key] = hooks
        operation = pb.HookOperation(
            tensor=self._handle, key=hooks.key, post_accumulate_grad=post_accumulate
        )
        self._session.enqueue("register_hook", pb.Operation(hook=operation))
        return hooks

    @property
    def _backward_hooks(self) -> TensorHooks | None:
        """torch's attribute: the hooks register_hook added (None before the first)."""
        return self._hooks if self.is_leaf else self.grad_fn._hooks

    def _mark_retains_grad(self) -> None:
        """Mirror of the server's retain_grad (which backward(inputs=...) also applies)."""
        self._retains_grad = True
        self.grad_fn._retained = weakref.ref(self)

    def backward(
        self,
        gradient: Tensor | None = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs=None,
    ) -> None:
        """Accumulate d(self)/d(leaf) · gradient into the .grad of the leaves."""
        from .autograd import backward

        backward(
            self, gradient, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs
        )

    def detach(self, _new_version_counter: bool = False) -> Tensor:
        self._session.check_usable(self._handle)
        handle = self._session.new_handle()
        detach = pb.DetachOperation(
            tensor=self._handle, output=handle, new_version_counter=_new_version_counter
        )
        self._session.enqueue("detach", pb.Operation(detach=detach), handle)
        return Tensor._make(self._session, handle, self._meta)

    def detach_(self) -> Tensor:
        """self without its history, in place: a leaf that does not require grad; refused on a
        view, as torch refuses it."""
        if self._base is not None:
            raise RuntimeError(rules.DETACH_VIEW_IN_PLACE_MESSAGE)
        self._session.check_usable(self._handle)
        undo = _Restores(self)
        self._rebase(None, False)
        detach = pb.DetachOperation(tensor=self._handle, in_place=True)
        self._session.enqueue("detach_", pb.Operation(detach=detach), undo=undo)
        return self

    @property
    def data(self) -> Tensor:
        """The values without history; in-place changes through it go unnoticed by autograd."""
        return self.detach(_new_version_counter=True)

    @data.setter
    def data(self, value: Tensor) -> None:
        """`x.data = t`: x takes t's values, unnoticed by autograd. torch rebinds x to t's
        storage; here t's values are copied into x's, so t must have x's shape and dtype."""
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        if (value._meta.shape, value._meta.dtype) != (self._meta.shape, self._meta.dtype):
            raise Unsupported(
                "gradrpc: assigning .data a tensor of another shape or dtype is not supported yet"
            )
        with no_grad():
            self.data.copy_(value)

    # ------------------------------------------------------------ values (one round trip)

    def _values(self) -> np.ndarray:
        return self._session.fetch(self._handle)

    def numpy(self) -> np.ndarray:
        if self._requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. "
                "Use tensor.detach().numpy() instead."
            )
        return self._values()

    def item(self):
        if self.numel() != 1:
            raise RuntimeError(
                f"a Tensor with {self.numel()} elements cannot be converted to Scalar"
            )
        return self._values().reshape(()).item()

    def tolist(self):
        return self._values().tolist()

    def __repr__(self) -> str:
        return printing.format_tensor(
            self._values(),
            dtype=self._meta.dtype,
            requires_grad=self._requires_grad,
            grad_fn=self._printed_grad_fn(),
        )

    __str__ = __repr__

    def _printed_grad_fn(self) -> str | None:
        """The grad_fn's name as torch prints it: "Invalid" where reading it fails."""
        try:
            node = self.grad_fn
        except InPlaceOnView:
            return "Invalid"
        return node.name() if node is not None else None

    def __format__(self, spec: str) -> str:
        if self.ndim == 0:
            return printing.format_scalar(self._values().reshape(())[()], spec)
        return object.__format__(self, spec)

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def _python_scalar(self):
        if self.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __float__(self) -> float:
        # torch warns once per process (TORCH_WARN_ONCE), whatever the warning filters say.
        if self._requires_grad and "float" not in _WARNED:
            _WARNED.add("float")
            warnings.warn(
                "Converting a tensor with requires_grad=True to a scalar may lead to unexpected "
                "behavior.\nConsider using tensor.detach() first. (Triggered internally at "
                "/__w/pytorch/pytorch/torch/csrc/autograd/generated/python_variable_methods.cpp"
                ":822.)",
                UserWarning,
                stacklevel=2,
            )
        return float(self._python_scalar())

    def __int__(self) -> int:
        return int(self._python_scalar())

    def __index__(self) -> int:
        if not rules.is_integer(self._meta.dtype) or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return self.item()

    def __hash__(self) -> int:
        return id(self)

    def __array__(self, dtype=None, copy=None):
        values = self.numpy()
        return values if dtype is None else values.astype(dtype)

    # ------------------------------------------------------------ in place

    @property
    def grad_fn(self) -> Node | None:
        """The node that made this tensor (None for a leaf). A view made under no_grad or by a
        function that returns several views has none to give once its storage was written
        to in place: torch's error."""
        if self._creation is not None and self._stale():
            raise self._view_error(indirect=True)
        return self._grad_fn

    @grad_fn.setter
    def grad_fn(self, node: Node | None) -> None:
        self._grad_fn = node

    def _stale(self) -> bool:
        """Whether the storage this view shares was written to since it was made, while it
        has history or its base requires grad."""
        base = self._base
        return base._writes != self._attr_version and (
            self._grad_fn is not None or base._requires_grad
        )

    def _view_error(self, indirect: bool = False) -> InPlaceOnView:
        """torch's refusal of an in-place write to this view (made under no_grad, or one of
        several a function returned) while recording; `indirect`: of its use after a write
        to its storage."""
        node = self._grad_fn and self._grad_fn.name()
        return rules.view_rebase_error(self._creation, self._output_nr, node, indirect)

    def _written(self) -> None:
        """Count an in-place write to this tensor's storage."""
        (self if self._base is None else self._base)._writes += 1

    def _view_of_leaf(self) -> bool:
        base = self._base
        return base is not None and base._requires_grad and base.grad_fn is None

    def _check_history(self, source_requires_grad: bool) -> bool:
        """Whether an op's in-place form on self records history (torch's checks first: a
        view made under no_grad or one of several a function returned, then leaves)."""
        if not is_grad_enabled() or not (self._requires_grad or source_requires_grad):
            return False
        if self._creation is not None:
            raise self._view_error()
        if self._requires_grad:
            rules.check_in_place(True, self.is_leaf, True, self._view_of_leaf(), history=True)
        return True

    def _adopt(self, source: Tensor, name: str) -> Tensor:
        """Make self the in-place form of the op that computed `source` from it: source's
        values, and while recording its grad_fn too (torch's AddBackward0 for add_); a
        retained gradient follows self to its new node."""
        history = self._check_history(source._requires_grad)
        if name not in _WRITE_EXPANDED:
            rules.check_no_internal_overlap(self._meta)
        rules.check_copy(self._meta, source._meta, False, False)
        for t in (self, source):
            self._session.check_usable(t._handle)
        undo = None
        if history:  # mirror what the server does (see graph._adopt_history)
            base = self if self._base is None else self._base
            views = [v for v in base._views or () if v is not self and v._creation is None]
            undo = _Restores(*([self] if base is self else [self, base]), *views)
            if base is self:
                self._rebase(source.grad_fn, source._requires_grad)
            else:
                node = source.grad_fn
                edges = ((_edge(base), 0), *node.next_functions[1:])
                copy_slices = node_class("CopySlices")
                base._rebase(
                    copy_slices("torch::autograd::CopySlices", edges, node._has_saved), True
                )
                views.append(self)
            as_strided = node_class("AsStridedBackward0")
            for view in views:
                view._rebase(as_strided("AsStridedBackward0", ((base.grad_fn, 0),), False), True)
        fields = {"target": self._handle, "source": source._handle, "adopt_history": True}
        if not is_grad_enabled():
            fields["no_grad"] = True
        self._written()
        self._session.enqueue_fields(name, "copy", fields, undo=undo)
        return self

    def _rebase(self, node: Node | None, requires_grad: bool) -> None:
        """A new grad_fn after an in-place op; a retained gradient follows (torch's)."""
        if self._retains_grad and self.grad_fn is not None:
            self.grad_fn._retained = None
        self.grad_fn, self._requires_grad = node, requires_grad
        if self._retains_grad and node is not None:
            node._retained = weakref.ref(self)

    def zero_(self) -> Tensor:
        if self._check_history(False):
            return self._in_place_of("zero_", lambda: self._call("zero", [self]))
        self._session.check_usable(self._handle)
        self._written()
        self._session.enqueue_fields(
            "zero_", "zero", {"tensor": self._handle, "no_grad": not is_grad_enabled()}
        )
        return self

    def copy_(self, src: Tensor, non_blocking: bool = False) -> Tensor:
        if _number(src) is None and not isinstance(src, Tensor):
            raise TypeError(
                f"copy_(): argument 'other' (position 1) must be Tensor, not {type(src).__name__}"
            )
        src = self._coerce(src)
        if self._check_history(src._requires_grad):
            return self._adopt(self._call("copy", [self, src]), "copy_")
        rules.check_no_internal_overlap(self._meta)
        rules.check_copy(self._meta, src._meta, False, False)
        for t in (self, src):
            self._session.check_usable(t._handle)
        self._written()
        self._session.enqueue_fields(
            "copy_",
            "copy",
            {"target": self._handle, "source": src._handle, "no_grad": not is_grad_enabled()},
        )
        return self

    def _in_place(self, op: str, other, alpha=1, rounding_mode=None) -> Tensor:
        """self op= other, computed out of place and adopted by self (see _adopt)."""
        other = self._operand(f"{op}_", other)
        attrs = alpha_attrs(f"{op}_", alpha)
        if rounding_mode is not None:
            attrs |= rounding_attrs(_DIV_METHOD_SIGNATURES, "Tensor", rounding_mode)
        grad = isinstance(other, Tensor) and other._requires_grad
        return self._in_place_of(f"{op}_", lambda: self._call(op, [self, other], attrs), grad)

    def add_(self, other, *, alpha=1) -> Tensor:
        return self._in_place("add", other, alpha)

    def sub_(self, other, *, alpha=1) -> Tensor:
        return self._in_place("sub", other, alpha)

    def subtract_(self, other, *, alpha=1) -> Tensor:
        return self._in_place("sub", other, alpha)

    def mul_(self, other) -> Tensor:
        return self._in_place("mul", other)

    def multiply_(self, other) -> Tensor:
        """mul_."""
        return self._in_place("mul", other)

    def div_(self, other, *, rounding_mode=None) -> Tensor:
        return self._in_place("div", other, rounding_mode=rounding_mode)

    def true_divide_(self, other) -> Tensor:
        return self._in_place("div", other)

    divide_ = div_

    def floor_divide_(self, other) -> Tensor:
        return self._in_place("floor_divide", other)

    def _augmented(self, op: str, other) -> Tensor:
        if _number(other) is None and not isinstance(other, Tensor):
            return NotImplemented  # as torch's: Python then says "unsupported operand type(s)"
        return self._in_place(op, other)

    def __iadd__(self, other) -> Tensor:
        return self._augmented("add", other)

    def __isub__(self, other) -> Tensor:
        return self._augmented("sub", other)

    def __imul__(self, other) -> Tensor:
        return self._augmented("mul", other)

    def __itruediv__(self, other) -> Tensor:
        return self._augmented("div", other)

    # ------------------------------------------------------------ arithmetic

    def _coerce(self, other) -> Tensor:
        if isinstance(other, Tensor):
            if other._session is not self._session:
                raise RuntimeError("gradrpc: tensors belong to different sessions")
            return other
        return self._session.tensor(other)

    def _operand(self, op: str, other, name: str = "other", position: int = 1):
        """`other` as an operand of a method (`position` 1) or of torch.`op` (2): a tensor
        of this session or a number."""
        number = _number(other)
        if number is not None:
            return number
        if not isinstance(other, Tensor):
            raise TypeError(
                f"{op}(): argument '{name}' (position {position}) must be Tensor, "
                f"not {type(other).__name__}"
            )
        return self._coerce(other)

    def _binary(self, op: str, other) -> Tensor:
        return self._call(op, [self, self._operand(op, other)])

    def _reflected(self, op: str, other, operands) -> Tensor:
        """An operator's result, or NotImplemented for an operand that is not one of ours
        (so Python tries the other side, as torch's operators do)."""
        if _number(other) is None and not isinstance(other, Tensor):
            return NotImplemented
        return operands(self._operand(op, other))

    def add(self, other, *, alpha=1) -> Tensor:
        return self._call("add", [self, self._operand("add", other)], alpha_attrs("add", alpha))

    def sub(self, other, *, alpha=1) -> Tensor:
        return self._call("sub", [self, self._operand("sub", other)], alpha_attrs("sub", alpha))

    def mul(self, other) -> Tensor:
        return self._binary("mul", other)

    def div(self, other, *, rounding_mode=None) -> Tensor:
        """self / other; rounded toward zero ('trunc') or -inf ('floor'), in the promoted
        dtype, with a zero gradient, for a rounding_mode."""
        attrs = rounding_attrs(_DIV_METHOD_SIGNATURES, type(other).__name__, rounding_mode)
        return self._call("div", [self, self._operand("div", other)], attrs)

    def true_divide(self, other) -> Tensor:
        return self._binary("div", other)

    def floor_divide(self, other) -> Tensor:
        """floor(self / other), as div(rounding_mode='floor') (torch records no derivative)."""
        return self._binary("floor_divide", other)

    def pow(self, exponent) -> Tensor:
        if _number(exponent) is None and not isinstance(exponent, Tensor):
            raise TypeError(
                "pow() received an invalid combination of arguments - "
                f"got ({type(exponent).__name__}), but expected one of:\n"
                " * (Tensor exponent)\n * (Number exponent)\n"
            )
        return self._binary("pow", exponent)

    multiply = mul
    divide = div
    subtract = sub

    def __add__(self, other) -> Tensor:
        return self._reflected("add", other, lambda o: self._call("add", [self, o]))

    def __sub__(self, other) -> Tensor:
        return self._reflected("sub", other, lambda o: self._call("sub", [self, o]))

    def __mul__(self, other) -> Tensor:
        return self._reflected("mul", other, lambda o: self._call("mul", [self, o]))

    def __truediv__(self, other) -> Tensor:
        return self._reflected("div", other, lambda o: self._call("div", [self, o]))

    def __pow__(self, exponent) -> Tensor:
        return self._reflected("pow", exponent, lambda o: self._call("pow", [self, o]))

    def __floordiv__(self, other) -> Tensor:
        return self._reflected("floor_divide", other, lambda o: self.floor_divide(o))

    def __rfloordiv__(self, other) -> Tensor:
        return self._reflected(
            "floor_divide", other, lambda o: self._call("floor_divide", [o, self])
        )

    def __ifloordiv__(self, other) -> Tensor:
        return self._augmented("floor_divide", other)

    __radd__ = __add__
    __rmul__ = __mul__

    def __rsub__(self, other) -> Tensor:
        return self._reflected("rsub", other, lambda o: self._call("rsub", [self, o]))

    def __rtruediv__(self, other) -> Tensor:
        # torch computes number / tensor as reciprocal(tensor) * number.
        return self._reflected("div", other, lambda o: self.reciprocal() * o)

    def __rpow__(self, other) -> Tensor:
        return self._reflected("pow", other, lambda o: self._call("pow", [o, self]))

    def __neg__(self) -> Tensor:
        return self._call("neg", [self])

    neg = __neg__

    # ------------------------------------------------------------ comparisons

    def _compare(self, op: str, other) -> Tensor:
        """self `op` other as a bool tensor (no gradient), with torch's error for an operand
        that is neither a tensor nor a number."""
        if _number(other) is None and not isinstance(other, Tensor):
            raise _tensor_or_number_error(op, "{} other", [other])
        return self._binary(op, other)

    def eq(self, other) -> Tensor:
        return self._compare("eq", other)

    def ne(self, other) -> Tensor:
        return self._compare("ne", other)

    def lt(self, other) -> Tensor:
        return self._compare("lt", other)

    def le(self, other) -> Tensor:
        return self._compare("le", other)

    def gt(self, other) -> Tensor:
        return self._compare("gt", other)

    def ge(self, other) -> Tensor:
        return self._compare("ge", other)

    not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge

    def _compare_in_place(self, op: str, other) -> Tensor:
        """self = (self `op` other) in self's dtype. torch's node is <Op>Backward0, whose
        gradient is 0; for a self that requires grad gradrpc records that zero gradient as
        self * 0 + the comparison (AddBackward0)."""

        def compute() -> Tensor:
            truth = self._compare(op, other).to(self.dtype)
            return self * 0 + truth if self._requires_grad else truth

        return self._in_place_of(f"{op}_", compute)

    def eq_(self, other) -> Tensor:
        return self._compare_in_place("eq", other)

    def ne_(self, other) -> Tensor:
        return self._compare_in_place("ne", other)

    def lt_(self, other) -> Tensor:
        return self._compare_in_place("lt", other)

    def le_(self, other) -> Tensor:
        return self._compare_in_place("le", other)

    def gt_(self, other) -> Tensor:
        return self._compare_in_place("gt", other)

    def ge_(self, other) -> Tensor:
        return self._compare_in_place("ge", other)

    not_equal_, less_, less_equal_, greater_, greater_equal_ = ne_, lt_, le_, gt_, ge_

    # An operand that is neither a tensor nor a number gives NotImplemented, as in torch:
    # `x == None` is then False and `x < None` Python's TypeError.
    def __eq__(self, other) -> Tensor:
        return self._reflected("eq", other, lambda o: self._call("eq", [self, o]))

    def __ne__(self, other) -> Tensor:
        return self._reflected("ne", other, lambda o: self._call("ne", [self, o]))

    def __lt__(self, other) -> Tensor:
        return self._reflected("lt", other, lambda o: self._call("lt", [self, o]))

    def __le__(self, other) -> Tensor:
        return self._reflected("le", other, lambda o: self._call("le", [self, o]))

    def __gt__(self, other) -> Tensor:
        return self._reflected("gt", other, lambda o: self._call("gt", [self, o]))

    def __ge__(self, other) -> Tensor:
        return self._reflected("ge", other, lambda o: self._call("ge", [self, o]))

    # ------------------------------------------------------------ logical and bitwise ops

    def _logical(self, op: str, other) -> Tensor:
        return self._call(op, [self, self._tensor_operand(op, other, "other")])

    def logical_and(self, other) -> Tensor:
        return self._logical("logical_and", other)

    def logical_or(self, other) -> Tensor:
        return self._logical("logical_or", other)

    def logical_xor(self, other) -> Tensor:
        return self._logical("logical_xor", other)

    def logical_not(self) -> Tensor:
        return self._call("logical_not", [self])

    def _logical_in_place(self, op: str, *other) -> Tensor:
        """self.op_(...): the bool result written into self's dtype without recording, as
        torch writes it (a leaf that requires grad is written, a tensor keeps its
        grad_fn), with torch's checks of the write."""
        operands = [self, *(self._tensor_operand(f"{op}_", o, "other") for o in other)]
        with no_grad():
            return self._adopt(self._call(op, operands), f"{op}_")

    def logical_and_(self, other) -> Tensor:
        return self._logical_in_place("logical_and", other)

    def logical_or_(self, other) -> Tensor:
        return self._logical_in_place("logical_or", other)

    def logical_xor_(self, other) -> Tensor:
        return self._logical_in_place("logical_xor", other)

    def logical_not_(self) -> Tensor:
        return self._logical_in_place("logical_not")

    def _bitwise_operand(self, op: str, other):
        """`other` of a bitwise method: a tensor or a number, else torch's TypeError."""
        if _number(other) is None and not isinstance(other, Tensor):
            raise _tensor_or_number_error(op, "{} other", [other])
        return self._operand(op, other)

    def _bitwise(self, op: str, other) -> Tensor:
        return self._call(op, [self, self._bitwise_operand(op, other)])

    def _bitwise_in_place(self, op: str, other) -> Tensor:
        """self.op_(other), with torch's checks in its order: autograd's, the result's shape
        against self's, its dtype's cast to self's, then the kernel's dtype."""
        other = self._bitwise_operand(f"{op}_", other)
        self._check_history(False)
        operands = [self._meta, other._meta if isinstance(other, Tensor) else other]
        shapes = [o.shape for o in operands if isinstance(o, TensorMeta)]
        rules.check_broadcasts_into(self._meta.shape, rules.broadcast_shapes(*shapes))
        _check_cast(rules.result_type(operands), self._meta.dtype)
        return self._in_place_of(f"{op}_", lambda: self._call(op, [self, other]))

    def bitwise_and(self, other) -> Tensor:
        return self._bitwise("bitwise_and", other)

    def bitwise_or(self, other) -> Tensor:
        return self._bitwise("bitwise_or", other)

    def bitwise_xor(self, other) -> Tensor:
        return self._bitwise("bitwise_xor", other)

    def bitwise_not(self) -> Tensor:
        return self._call("bitwise_not", [self])

    def bitwise_left_shift(self, other) -> Tensor:
        return self._bitwise("bitwise_left_shift", other)

    def bitwise_right_shift(self, other) -> Tensor:
        return self._bitwise("bitwise_right_shift", other)

    def bitwise_left_shift_(self, other) -> Tensor:
        return self._bitwise_in_place("bitwise_left_shift", other)

    def bitwise_right_shift_(self, other) -> Tensor:
        return self._bitwise_in_place("bitwise_right_shift", other)

    def bitwise_and_(self, other) -> Tensor:
        return self._bitwise_in_place("bitwise_and", other)

    def bitwise_or_(self, other) -> Tensor:
        return self._bitwise_in_place("bitwise_or", other)

    def bitwise_xor_(self, other) -> Tensor:
        return self._bitwise_in_place("bitwise_xor", other)

    def bitwise_not_(self) -> Tensor:
        return self._in_place_of("bitwise_not_", self.bitwise_not)

    # An operand that is neither a tensor nor a number gives NotImplemented, as in torch.
    def __and__(self, other) -> Tensor:
        return self._reflected("bitwise_and", other, lambda o: self._call("bitwise_and", [self, o]))

    def __or__(self, other) -> Tensor:
        return self._reflected("bitwise_or", other, lambda o: self._call("bitwise_or", [self, o]))

    def __xor__(self, other) -> Tensor:
        return self._reflected("bitwise_xor", other, lambda o: self._call("bitwise_xor", [self, o]))

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __lshift__(self, other) -> Tensor:
        shift = "bitwise_left_shift"
        return self._reflected(shift, other, lambda o: self._call(shift, [self, o]))

    def __rshift__(self, other) -> Tensor:
        shift = "bitwise_right_shift"
        return self._reflected(shift, other, lambda o: self._call(shift, [self, o]))

    def __rlshift__(self, other) -> Tensor:
        shift = "bitwise_left_shift"
        return self._reflected(shift, other, lambda o: self._call(shift, [o, self]))

    def __rrshift__(self, other) -> Tensor:
        shift = "bitwise_right_shift"
        return self._reflected(shift, other, lambda o: self._call(shift, [o, self]))

    def _augmented_bitwise(self, op: str, other) -> Tensor:
        if _number(other) is None and not isinstance(other, Tensor):
            return NotImplemented
        return self._bitwise_in_place(op, other)

    def __iand__(self, other) -> Tensor:
        return self._augmented_bitwise("bitwise_and", other)

    def __ior__(self, other) -> Tensor:
        return self._augmented_bitwise("bitwise_or", other)

    def __ixor__(self, other) -> Tensor:
        return self._augmented_bitwise("bitwise_xor", other)

    def __ilshift__(self, other) -> Tensor:
        return self._augmented_bitwise("bitwise_left_shift", other)

    def __irshift__(self, other) -> Tensor:
        return self._augmented_bitwise("bitwise_right_shift", other)

    def __invert__(self) -> Tensor:
        if rules.is_float(self._meta.dtype):
            raise TypeError(
                "~ (operator.invert) is only implemented on integer and Boolean-type tensors"
            )
        return self.bitwise_not()

    # ------------------------------------------------------------ closeness

    def _isclose(self, name: str, other, args: tuple, kwargs: dict, first: int) -> Tensor:
        """isclose's arguments as torch's `name`() reads them (`first`: the position of
        `other`), then the op."""
        other = self._tensor_operand(name, other, "other", position=first)
        params = (("rtol", "float"), ("atol", "float"), ("equal_nan", "bool"))
        rtol, atol, equal_nan = _arguments(name, args, kwargs, params, first=first + 1)
        attrs = {"rtol": 1e-05 if rtol is None else rtol, "atol": 1e-08 if atol is None else atol}
        return self._call("isclose", [self, other], {**attrs, "equal_nan": equal_nan})

    def isclose(self, other, *args, **kwargs) -> Tensor:
        """torch.Tensor.isclose(other, rtol=1e-05, atol=1e-08, equal_nan=False)."""
        return self._isclose("isclose", other, args, kwargs, first=1)

    def allclose(self, other, *args, **kwargs) -> bool:
        """Whether isclose holds everywhere: a Python bool, read (one round trip)."""
        return self._isclose("allclose", other, args, kwargs, first=1).all().item()

    def equal(self, other) -> bool:
        """Whether other has self's shape and equal values, compared in the promoted dtype
        (nan is unequal): a Python bool, read (one round trip) where the shapes match."""
        other = self._tensor_operand("equal", other, "other")
        return self.shape == other.shape and self.eq(other).all().item()

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return self._call("abs", [self])

    abs = __abs__

    def _in_place_of(self, name: str, compute, source_requires_grad: bool = False) -> Tensor:
        """self.name(...): `compute()` runs the op out of place, then self adopts the result
        (see _adopt); torch's checks come first, at the user's line."""
        self._check_history(source_requires_grad)
        result = compute()
        _check_cast(result._meta.dtype, self._meta.dtype)
        return self._adopt(result, name)

    def pow_(self, exponent) -> Tensor:
        grad = isinstance(exponent, Tensor) and exponent._requires_grad
        return self._in_place_of("pow_", lambda: self.pow(exponent), grad)

    def clamp_(self, min=None, max=None) -> Tensor:
        return self._in_place_of("clamp_", lambda: self.clamp(min, max))

    def clamp_min_(self, min) -> Tensor:
        return self._in_place_of("clamp_min_", lambda: self.clamp_min(min))

    def clamp_max_(self, max) -> Tensor:
        return self._in_place_of("clamp_max_", lambda: self.clamp_max(max))

    def hardshrink(self, lambd: float = 0.5) -> Tensor:
        """torch.nn.functional.hardshrink(self, lambd)."""
        from .nn import functional

        return functional.hardshrink(self, lambd)

    def nonzero(self, *, as_tuple: bool = False):
        """The indices of the nonzero elements, as torch's: an int64 (count, ndim) tensor, or
        one int64 vector per dim (a 0-d tensor counts as 1-d). Read, since the result's
        size depends on the values (one round trip), then uploaded without history."""
        from . import factories

        values = self.detach().numpy()
        if as_tuple:
            return tuple(
                factories.from_numpy(self._session, positions.astype(np.int64))
                for positions in np.nonzero(np.atleast_1d(values))
            )
        return factories.from_numpy(self._session, np.argwhere(values).astype(np.int64))

    def masked_fill(self, mask, value) -> Tensor:
        """self with `value` where mask holds: a number (MaskedFillBackward0) or a 0-d tensor
        (MaskedFillBackward1, whose gradient is the sum of the filled positions')."""
        # torch refuses to record this for an integer or bool self (its in-place form does)
        recorded = isinstance(value, Tensor) and value.requires_grad and is_grad_enabled()
        if recorded and not rules.is_float(self._meta.dtype):
            type_name = rules.TORCH_TYPE_NAME[self._meta.dtype]
            raise RuntimeError(f"Autograd not support dtype: {type_name}")
        return self._masked_filled(mask, value)

    def _masked_filled(self, mask, value) -> Tensor:
        mask = self._tensor_operand("masked_fill", mask, "mask")
        if isinstance(value, Tensor):
            return self._call("masked_fill_tensor", [self, mask, value])
        if _number(value) is None:
            raise TypeError(
                "masked_fill(): argument 'value' (position 2) must be Number, not "
                f"{type(value).__name__}"
            )
        return self._call("masked_fill", [self, mask], {"value": _number(value)})

    def masked_fill_(self, mask, value) -> Tensor:
        _warn_if_expanded(self, "masked_fill_")
        return self._in_place_of("masked_fill_", lambda: self._masked_filled(mask, value))

    def apply_(self, callable) -> Tensor:
        """Each element replaced by `callable(element)`, a Python function run here: the
        values are read (one round trip), mapped, and written back without moving the
        version, as torch's apply_ writes them."""
        return self._map_elements("apply_", callable)

    def map_(self, tensor, callable) -> Tensor:
        """Each element replaced by `callable(element, tensor's element)`, `tensor`
        broadcast to self's shape (see apply_)."""
        return self._map_elements("map_", callable, tensor)

    def map2_(self, x, y, callable) -> Tensor:
        """Each element replaced by `callable(element, x's element, y's element)` (see
        map_)."""
        return self._map_elements("map2_", callable, x, y)

    def _map_elements(self, name: str, function, *others: Tensor) -> Tensor:
        if any(t._requires_grad for t in (self, *others)):
            raise RuntimeError(
                f"Can't call {name}() on Variable that requires grad. Use "
                f"var.detach().{name}() instead."
            )
        operands = [self.detach(), *(t.expand(self.shape).detach() for t in others)]
        arrays = self._session.flush(fetches=tuple(t._handle for t in operands))
        convert = {"bool": bool, "float32": _real, "float64": _real}.get(
            self._meta.dtype, lambda r: int(r) if isinstance(r, float) else operator.index(r)
        )
        mapped = [
            convert(function(*values))
            for values in zip(*(a.ravel().tolist() for a in arrays), strict=True)
        ]
        result = np.array(mapped, dtype=arrays[0].dtype).reshape(arrays[0].shape)
        self.data.copy_(self._coerce(result))
        return self

    def where(self, condition, other) -> Tensor:
        """torch.where(condition, self, other)."""
        from gradrpc import where

        return where(condition, self, other)

    def uniform_(self, from_=0.0, to=1.0, *, generator=None) -> Tensor:
        """Values drawn from U(from_, to) on the server, by the session's generator (so not
        torch's numbers)."""
        if from_ > to:
            raise RuntimeError(
                f"uniform_ expects to return a [from, to) range, but found "
                f"from={rules.c10_str(from_)} > to={rules.c10_str(to)}"
            )
        return self._draw(
            "uniform_",
            generator,
            lambda: self._session.rand(*self.shape, dtype=self.dtype) * (to - from_) + from_,
            "check_uniform_bounds",
        )

    def normal_(self, mean=0.0, std=1.0, *, generator=None) -> Tensor:
        """Values drawn from N(mean, std²) on the server, by the session's generator."""
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {rules.c10_str(std)}")
        return self._draw(
            "normal_",
            generator,
            lambda: self._session.randn(*self.shape, dtype=self.dtype) * std + mean,
            "normal_kernel_cpu",
        )

    def random_(self, *args, generator=None, **kwargs) -> Tensor:
        """Integers drawn uniformly from [from, to) on the server, by the session's generator
        (not torch's numbers): random_(), random_(to) or random_(from, to); without `to`, up
        to the dtype's largest (2^24 for float32, 2^53 for float64, 2^63 - 1 for int64, 1 for
        bool), as torch's."""
        from . import factories

        low, high = _random_arguments(args, kwargs)
        return self._draw(
            "random_",
            generator,
            lambda: factories.random_integers(  # stacklevel 5: it, this lambda, _draw, this, user
                self._session, self.shape, self._meta.dtype, low, high, False, stacklevel=5
            ),
        )

    def bernoulli(self, p=None, *, generator=None) -> Tensor:
        """torch.bernoulli(self, p): see sampling.bernoulli."""
        from .sampling import bernoulli

        return bernoulli(self, p, generator=generator)

    def bernoulli_(self, p=0.5, *, generator=None) -> Tensor:
        """self filled with 1 with probability p (a number or a tensor broadcast to self),
        else 0, by the session's generator."""
        from .sampling import bernoulli_draws

        return self._draw("bernoulli_", generator, lambda: bernoulli_draws(self, p))

    def multinomial(self, num_samples: int, replacement: bool = False, *, generator=None):
        """torch.multinomial(self, ...): see sampling.multinomial."""
        from .sampling import multinomial

        return multinomial(self, num_samples, replacement, generator=generator)

    def exponential_(self, lambd=1.0, *, generator=None) -> Tensor:
        """self filled with Exp(lambd) draws, by the session's generator."""
        from .sampling import exponential_draws

        return self._draw("exponential_", generator, lambda: exponential_draws(self, lambd))

    def geometric_(self, p, *, generator=None) -> Tensor:
        """self filled with the number of Bernoulli(p) trials up to the first success."""
        from .sampling import geometric_draws

        return self._draw("geometric_", generator, lambda: geometric_draws(self, p))

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None) -> Tensor:
        """self filled with exp(N(mean, std²)) draws, by the session's generator."""
        from .sampling import log_normal_draws

        return self._draw("log_normal_", generator, lambda: log_normal_draws(self, mean, std))

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None) -> Tensor:
        """self filled with Cauchy(median, sigma) draws, by the session's generator."""
        from .sampling import cauchy_draws

        return self._draw("cauchy_", generator, lambda: cauchy_draws(self, median, sigma))

    def _draw(self, name: str, generator, draws: Callable[[], Tensor], kernel: str = "") -> Tensor:
        """self filled in place with `draws()`, made by the session's generator; `kernel`
        names torch's refusal of a self that is not floating, where it has one."""
        refuse_generator(generator)
        if kernel and not rules.is_float(self._meta.dtype):
            type_name = rules.TORCH_TYPE_NAME[self._meta.dtype]
            raise Unsupported(f"\"{kernel}\" not implemented for '{type_name}'")
        if self._check_history(False):
            raise Unsupported(f"gradrpc: {name} on a tensor with history is not supported yet")
        with no_grad():
            return self._adopt(draws(), name)

    def fill_diagonal_(self, fill_value, wrap: bool = False) -> Tensor:
        """The main diagonal (x[i, i, ..., i]) set to `fill_value`, through a view of it as
        torch does (CopySlices on a tensor with history); with `wrap`, a tall matrix's
        diagonal starts again every ncols + 1 rows."""
        if self.ndim < 2:
            raise RuntimeError("dimensions must larger than 1")
        if any(size != self.shape[0] for size in self.shape[2:]) or (
            self.ndim > 2 and self.shape[1] != self.shape[0]
        ):
            raise RuntimeError("all dimensions of input must be of equal length")
        diagonal = self
        for _ in range(self.ndim - 1):
            diagonal = diagonal.diagonal(0, 0, 1)
        diagonal.fill_(fill_value)
        height, width = self.shape[:2]
        if wrap and self.ndim == 2 and height > width + 1:
            self[width + 1 :].fill_diagonal_(fill_value, wrap=True)
        return self

    def fill_(self, value) -> Tensor:
        """Every element set to `value`: a number (FillBackward2 on a tensor with history) or
        a 0-d tensor (FillBackward3)."""
        if isinstance(value, Tensor):
            return self._in_place_of("fill_", lambda: self._call("fill_tensor", [self, value]))
        if _number(value) is None:
            raise _tensor_or_number_error("fill_", "{} value", [value])
        fill = {"value": _number(value)}
        return self._in_place_of("fill_", lambda: self._call("fill", [self], fill))

    # ------------------------------------------------------------ matrix products

    def _tensor_operand(self, op: str, other, name: str, position: int = 1) -> Tensor:
        """`other` as an operand that must be a tensor (of this session)."""
        if not isinstance(other, Tensor):
            raise TypeError(
                f"{op}(): argument '{name}' (position {position}) must be Tensor, "
                f"not {type(other).__name__}"
            )
        return self._coerce(other)

    def matmul(self, other: Tensor) -> Tensor:
        """torch.matmul as aten decomposes it (`rules.matmul_plan`), so the same nodes record."""
        other = self._tensor_operand("matmul", other, "other")
        plan = rules.matmul_plan(self._meta, other._meta, self._requires_grad, other._requires_grad)
        if plan == "vm":  # torch: unsqueeze(0), mm, squeeze_(0)
            return self.unsqueeze(0).mm(other)._call("squeeze_", attrs={"dim": 0})
        if plan == "fold":
            return self._folded_matmul(other)
        if plan == "bmm":
            return self._batched_matmul(other)
        return self._call(plan, [self, other])

    def _folded_matmul(self, other: Tensor) -> Tensor:
        """The operand of 3 or more dims (the second transposed) as one matrix: one mm or mv,
        then the batch shape back (and the transpose undone)."""
        transpose = other.ndim > self.ndim
        first = other.mT if transpose else self
        second = (self.t() if self.ndim == 2 else self) if transpose else other
        shape = first._meta.shape[:-1]
        folded = first.reshape(prod(shape), first._meta.shape[-1])
        if second.ndim == 1:
            return folded.mv(second)._call("_unsafe_view", attrs={"shape": shape})
        shape = (*shape, second._meta.shape[1])
        out = folded.mm(second)._call("_unsafe_view", attrs={"shape": shape})
        return out.mT.contiguous() if transpose else out

    def _batched_matmul(self, other: Tensor) -> Tensor:
        """Both operands expanded to the broadcast batch shape and reshaped to 3 dims (a vector
        as a batch of one row or one column): one bmm, then the batch shape back."""
        a, b = self._meta.shape, other._meta.shape
        if len(a) == 3 and len(b) == 3 and a[0] != b[0]:  # a batch of one is squeezed
            if a[0] == 1 and self._requires_grad:
                return self.squeeze(0).matmul(other)
            if b[0] == 1 and other._requires_grad:
                return self.matmul(other.squeeze(0))
        n, k = (a[-2] if len(a) > 1 else 1), a[-1]
        m, p = (b[-2], b[-1]) if len(b) > 1 else (b[0], 1)
        batch = rules.broadcast_shapes(a[:-2], b[:-2])
        count = prod(batch)
        first = self.expand(*batch, n, k).reshape(count, n, k)
        if len(b) == 1:
            second = other.expand(*batch, m).reshape(count, m).unsqueeze(2)
        else:
            second = other.expand(*batch, m, p).reshape(count, m, p)
        out = first.bmm(second)
        if len(b) == 1:
            out = out.squeeze(-1)
        shape = (*batch, *((n,) if len(a) > 1 else ()), *((p,) if len(b) > 1 else ()))
        return out._call("_unsafe_view", attrs={"shape": shape})

    def bmm(self, mat2: Tensor) -> Tensor:
        return self._call("bmm", [self, self._tensor_operand("bmm", mat2, "mat2")])

    def mm(self, mat2: Tensor) -> Tensor:
        return self._call("mm", [self, self._tensor_operand("mm", mat2, "mat2")])

    def mv(self, vec: Tensor) -> Tensor:
        return self._call("mv", [self, self._tensor_operand("mv", vec, "vec")])

    def dot(self, tensor: Tensor) -> Tensor:
        return self._call("dot", [self, self._tensor_operand("dot", tensor, "tensor")])

    def addmm(self, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
        """beta self + alpha (mat1 @ mat2), self broadcast to the product's shape."""
        operands = [
            self,
            self._tensor_operand("addmm", mat1, "mat1"),
            self._tensor_operand("addmm", mat2, "mat2"),
        ]
        return self._call("addmm", operands, {"beta": float(beta), "alpha": float(alpha)})

    def _add_product(
        self, op: str, first, second, names: tuple[str, str], beta, alpha, position: int = 1
    ) -> Tensor:
        """beta self + alpha op's product of first and second (the engine's `op`); addr's
        integral result refuses a float beta or alpha, as torch's."""
        operands = [
            self,
            self._tensor_operand(op, first, names[0], position),
            self._tensor_operand(op, second, names[1], position + 1),
        ]
        if op == "addr" and rules.is_integer(rules.result_type([o._meta for o in operands])):
            for name, value in (("beta", beta), ("alpha", alpha)):
                if isinstance(value, float):
                    raise RuntimeError(
                        f"For integral input tensors, argument {name} must not be a floating "
                        "point number."
                    )
        return self._call(op, operands, {"beta": float(beta), "alpha": float(alpha)})

    def _product_in_place(self, name: str, compute: Callable[[], Tensor], *operands) -> Tensor:
        """self.name(...): the product computed out of place, which must keep self's size."""
        grad = any(isinstance(o, Tensor) and o._requires_grad for o in operands)

        def checked() -> Tensor:
            result = compute()
            if result.shape != self.shape:
                sizes = [", ".join(map(str, t.shape)) for t in (self, result)]
                if name == "addr_":
                    v1, v2 = (", ".join(map(str, o.shape)) for o in operands)
                    raise RuntimeError(
                        f"size mismatch, input: [{sizes[0]}], v1: [{v1}], v2: [{v2}]"
                    )
                raise RuntimeError(
                    f"Bad in-place call: input tensor size [{sizes[0]}] and output tensor "
                    f"size [{sizes[1]}] should match"
                )
            return result

        return self._in_place_of(name, checked, grad)

    def addmm_(self, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
        return self._product_in_place(
            "addmm_", lambda: self.addmm(mat1, mat2, beta=beta, alpha=alpha), mat1, mat2
        )

    def addmv(self, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
        """beta self + alpha (mat @ vec), self broadcast to the product's length."""
        return self._add_product("addmv", mat, vec, ("mat", "vec"), beta, alpha)

    def addmv_(self, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
        return self._product_in_place(
            "addmv_", lambda: self.addmv(mat, vec, beta=beta, alpha=alpha), mat, vec
        )

    def addr(self, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1) -> Tensor:
        """beta self + alpha outer(vec1, vec2), in the three's promoted dtype."""
        return self._add_product("addr", vec1, vec2, ("vec1", "vec2"), beta, alpha)

    def addr_(self, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1) -> Tensor:
        return self._product_in_place(
            "addr_", lambda: self.addr(vec1, vec2, beta=beta, alpha=alpha), vec1, vec2
        )

    def baddbmm(self, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
        """beta self + alpha (batch1 @ batch2) per batch, self broadcast to (b, n, m)."""
        return self._add_product("baddbmm", batch1, batch2, ("batch1", "batch2"), beta, alpha)

    def baddbmm_(self, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
        return self._product_in_place(
            "baddbmm_", lambda: self.baddbmm(batch1, batch2, beta=beta, alpha=alpha), batch1, batch2
        )

    def addbmm(self, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
        """beta self + alpha Σ_b batch1[b] @ batch2[b], self broadcast to (n, m)."""
        return self._add_product("addbmm", batch1, batch2, ("batch1", "batch2"), beta, alpha)

    def addbmm_(self, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
        return self._product_in_place(
            "addbmm_", lambda: self.addbmm(batch1, batch2, beta=beta, alpha=alpha), batch1, batch2
        )

    def __matmul__(self, other) -> Tensor:
        return self.matmul(other) if isinstance(other, Tensor) else NotImplemented

    def __rmatmul__(self, other) -> Tensor:
        return other.matmul(self) if isinstance(other, Tensor) else NotImplemented

    # ------------------------------------------------------------ shapes and views

    def t(self) -> Tensor:
        return self._call("t", [self])

    @property
    def mT(self) -> Tensor:
        if self.ndim < 2:
            raise RuntimeError(
                "tensor.mT is only supported on matrices or batches of matrices. "
                f"Got {self.ndim}-D tensor."
            )
        return self.transpose(-2, -1)

    @property
    def mH(self) -> Tensor:
        """mT: the conjugate is the tensor itself for real dtypes."""
        if self.ndim < 2:
            raise RuntimeError(
                "tensor.mH is only supported on matrices or batches of matrices. "
                f"Got {self.ndim}-D tensor."
            )
        return self.mT

    def adjoint(self) -> Tensor:
        return self.mT

    @property
    def H(self) -> Tensor:
        if self.ndim not in (0, 2):
            raise RuntimeError(
                "tensor.H is only supported on matrices (2-D tensors). Got "
                f"{self.ndim}-D tensor. For batches of matrices, consider using tensor.mH"
            )
        if self.ndim == 0 and "H0" not in _WARNED:  # torch's TORCH_WARN_ONCE
            _WARNED.add("H0")
            warnings.warn(
                "Tensor.H is deprecated on 0-D tensors. Consider using x.conj(). (Triggered "
                "internally at /__w/pytorch/pytorch/aten/src/ATen/native/TensorShape.cpp:4335.)",
                UserWarning,
                stacklevel=2,
            )
        return self.t() if self.ndim == 2 else self

    def positive(self) -> Tensor:
        """self itself (+self), refused for bool as torch's."""
        if self._meta.dtype == "bool":
            raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
        return self

    def sum_to_size(self, *size) -> Tensor:
        """The sum of self over the dims it broadcasts from `size` (the gradient of an
        expand): kept as 1s, leading ones viewed away (SumBackward1, ViewBackward0)."""
        size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], tuple | list) else size
        size = tuple(operator.index(n) for n in size)
        shape, lead = self.shape, self.ndim - len(size)
        if lead < 0 or any(n not in (1, m) for n, m in zip(size, shape[lead:], strict=True)):
            raise RuntimeError(
                f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}."
            )
        dims = [lead + i for i, (n, m) in enumerate(zip(size, shape[lead:], strict=True))]
        dims = list(range(lead)) + [d for d in dims if size[d - lead] == 1 and shape[d] != 1]
        summed = self.sum(dims, keepdim=True) if dims else self
        return summed.view(size) if lead else summed

    def conj(self) -> Tensor:
        """self: a real tensor is its own conjugate."""
        return self

    resolve_conj = resolve_neg = conj_physical = conj

    @property
    def real(self) -> Tensor:
        return self

    @property
    def imag(self) -> Tensor:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")

    @property
    def T(self) -> Tensor:
        # torch warns once per process (TORCH_WARN_ONCE), whatever the warning filters say.
        if self.ndim == 0 and "T0" not in _WARNED:
            _WARNED.add("T0")
            warnings.warn(
                "Tensor.T is deprecated on 0-D tensors. This function is the identity in these "
                "cases. (Triggered internally at "
                "/__w/pytorch/pytorch/aten/src/ATen/native/TensorShape.cpp:4321.)",
                UserWarning,
                stacklevel=2,
            )
        elif self.ndim not in (0, 2) and "T" not in _WARNED:
            _WARNED.add("T")
            warnings.warn(
                "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
                "deprecated and it will throw an error in a future release. Consider `x.mT` to "
                "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` "
                "to reverse the dimensions of a tensor. (Triggered internally at "
                "/__w/pytorch/pytorch/aten/src/ATen/native/TensorShape.cpp:4314.)",
                UserWarning,
                stacklevel=2,
            )
        return self._call("permute", [self], {"dims": tuple(range(self.ndim - 1, -1, -1))})

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        return self._call("transpose", [self], {"dim0": int(dim0), "dim1": int(dim1)})

    def permute(self, *dims, **keyword) -> Tensor:
        return self._call(
            "permute", [self], {"dims": _sizes(_sized("permute", dims, keyword, "dims"))}
        )

    def movedim(self, *args, **kwargs) -> Tensor:
        """self with the dims `source` (an int or a sequence) moved to `destination`, the
        others in their order (PermuteBackward0; a 0-d tensor's alias, AliasBackward0)."""
        return self._movedim("movedim", args, kwargs, first=1)

    def moveaxis(self, *args, **kwargs) -> Tensor:
        """movedim."""
        return self._movedim("moveaxis", args, kwargs, first=1)

    def _movedim(self, name: str, args: tuple, kwargs: dict, first: int) -> Tensor:
        if len(args) + len(kwargs) != 2 or kwargs.keys() - {"source", "destination"}:
            raise TypeError(_movedim_overloads(name, self, args, kwargs, first))
        params = (("source", "int list"), ("destination", "int list"))
        source, destination = _arguments(name, args, kwargs, params, first, required=2)
        if len(source) != len(destination):
            raise RuntimeError(
                "movedim: Invalid source or destination dims: source "
                f"({list(source)} dims) should contain the same number of dims as destination "
                f"({list(destination)} dims)"
            )
        moved = {}
        for given, kind in ((source, "source"), (destination, "destination")):
            dims = [rules.normalize_dim(d, self.ndim) for d in given]
            if len(set(dims)) != len(dims):
                raise RuntimeError(f"movedim: repeated dim in `{kind}` ({list(given)})")
            moved[kind] = dims
        if self.ndim == 0:
            return self._call("alias", [self])
        order = [None] * self.ndim
        for s, d in zip(moved["source"], moved["destination"], strict=True):
            order[d] = s
        rest = iter(d for d in range(self.ndim) if d not in moved["source"])
        return self.permute([next(rest) if d is None else d for d in order])

    def swapaxes(self, axis0: int, axis1: int) -> Tensor:
        """transpose(axis0, axis1) (TransposeBackward0)."""
        return self.transpose(axis0, axis1)

    def swapdims(self, dim0: int, dim1: int) -> Tensor:
        """transpose(dim0, dim1) (TransposeBackward0)."""
        return self.transpose(dim0, dim1)

    # torch's in-place view ops: self itself takes the view's shape and strides

    def t_(self) -> Tensor:
        """self.t() in place (TBackward1)."""
        self._check_history(False)
        if self.ndim > 2:
            raise RuntimeError(
                f"t_() expects a tensor with <= 2 dimensions, but self is {self.ndim}D"
            )
        return self._adopt_view(self.t(), "t_")

    def transpose_(self, *args, **kwargs) -> Tensor:
        """self.transpose(dim0, dim1) in place (TransposeBackward1)."""
        params = (("dim0", "int"), ("dim1", "int"))
        dim0, dim1 = _arguments("transpose_", args, kwargs, params, required=2)
        self._check_history(False)
        return self._adopt_view(self.transpose(dim0, dim1), "transpose_")

    def swapaxes_(self, *args, **kwargs) -> Tensor:
        """transpose_(axis0, axis1)."""
        params = (("axis0", "int"), ("axis1", "int"))
        return self.transpose_(*_arguments("swapaxes_", args, kwargs, params, required=2))

    def swapdims_(self, *args, **kwargs) -> Tensor:
        """transpose_(dim0, dim1)."""
        params = (("dim0", "int"), ("dim1", "int"))
        return self.transpose_(*_arguments("swapdims_", args, kwargs, params, required=2))

    def unsqueeze_(self, *args, **kwargs) -> Tensor:
        """self.unsqueeze(dim) in place (UnsqueezeBackward1)."""
        (dim,) = _arguments("unsqueeze_", args, kwargs, (("dim", "int"),), required=1)
        self._check_history(False)
        return self._adopt_view(self.unsqueeze(dim), "unsqueeze_")

    def squeeze_(self, dim=None) -> Tensor:
        """self.squeeze(dim) in place: every size-1 dim (SqueezeBackward3), `dim`
        (SqueezeBackward4), or those of a tuple or list of dims (SqueezeBackward5)."""
        self._check_history(False)
        return self._adopt_view(self.squeeze(dim), "squeeze_")

    def _adopt_view(self, view: Tensor, name: str) -> Tensor:
        """Make self `view`, which an out-of-place view op made of it (see graph.adopt_view):
        its shape and strides on the same storage, a write counted, and while recording its
        node under the in-place op's name (TBackward1), the base's other views taking an
        AsStridedBackward0 as after any in-place op."""
        base = self if self._base is None else self._base
        undo = _Restores(self)
        undo.add(self, _meta=self._meta)
        node = view._grad_fn
        if is_grad_enabled() and self._requires_grad:
            name = rules.IN_PLACE_VIEW_GRAD_FN[node.name()]
            node.__class__, node._name = node_class(name), name
            views = []
            if base is self:
                views = [v for v in self._views or () if v is not view and v._creation is None]
                undo = _Restores(self, *views)
                undo.add(self, _meta=self._meta)
            self._rebase(node, True)
            as_strided = node_class("AsStridedBackward0")
            for v in views:
                v._rebase(as_strided("AsStridedBackward0", ((node, 0),), False), True)
        self._meta = view._meta
        self._written()
        fields = {"target": self._handle, "source": view._handle, "adopt_view": True}
        if not is_grad_enabled():
            fields["no_grad"] = True
        self._session.enqueue_fields(name, "copy", fields, undo=undo)
        return self

    def view(self, *shape, **keyword) -> Tensor:
        return self._call("view", [self], {"shape": _sizes(_sized("view", shape, keyword, "size"))})

    def reshape(self, *shape, **keyword) -> Tensor:
        shape = _sizes(_sized("reshape", shape, keyword, "shape"))
        plan = rules.reshape_plan(self._meta, shape)
        if plan == "view":
            return self.view(shape)
        if plan == "alias":
            return self._call("_reshape_alias", [self], {"shape": shape})
        return self.clone()._call("_unsafe_view", attrs={"shape": shape})

    def expand(self, *sizes, **keyword) -> Tensor:
        """A view with size-1 dims repeated and new leading dims (-1 keeps a size)."""
        shape = _sizes(_sized("expand", sizes, keyword, "size"))
        return self._call("expand", [self], {"shape": shape})

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(other.shape)

    def view_as(self, other: Tensor) -> Tensor:
        return self.view(other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        if self.ndim == 0:
            return self.reshape(1)
        start, end = (
            rules.normalize_dim(start_dim, self.ndim),
            rules.normalize_dim(end_dim, self.ndim),
        )
        if start > end:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        if start == end:
            return self
        shape = self._meta.shape
        return self.reshape((*shape[:start], prod(shape[start : end + 1]), *shape[end + 1 :]))

    def unflatten(self, dim: int, sizes) -> Tensor:
        """A view with dim `dim` split into `sizes` (one -1 is inferred), as torch's
        unflatten (ViewBackward0)."""
        from .splitting import _sizes  # splitting builds on Tensor

        sizes = _sizes("unflatten", sizes, 2, "sizes")
        dim = rules.normalize_dim(dim, self.ndim)
        if not sizes:
            raise RuntimeError("unflatten: sizes must be non-empty")
        size = self._meta.shape[dim]
        if sizes.count(-1) > 1:
            raise RuntimeError(
                "unflatten got an unexpected error:\nonly one dimension can be inferred"
            )
        known = prod(s for s in sizes if s != -1)
        if -1 in sizes and known != 0 and size % known == 0:
            sizes[sizes.index(-1)] = size // known
        if prod(sizes) != size or min(sizes) < 0:
            raise RuntimeError(
                f"unflatten: Provided sizes {sizes} "
                f"don't multiply up to the size of dim {dim} ({size}) in the input tensor"
            )
        shape = self._meta.shape
        return self.view((*shape[:dim], *sizes, *shape[dim + 1 :]))

    def narrow(self, *args, **kwargs) -> Tensor:
        """The `length` elements from `start` (negative: from the end; a 0-d integer tensor
        is read) along `dim`: a view (SliceBackward0), with torch's checks."""
        return self._narrow(args, kwargs, first=1)

    def _narrow(self, args: tuple, kwargs: dict, first: int) -> Tensor:
        if len(args) + len(kwargs) < 3:
            signatures = [f"int dim, {kind} start, int length" for kind in ("Tensor", "int")]
            raise TypeError(_overloads_error("narrow", self, args, kwargs, first, signatures))
        start = args[1] if len(args) > 1 else kwargs.get("start")
        if isinstance(start, Tensor):
            if start.ndim != 0 or start.is_floating_point() or start.dtype == dtypes.bool_:
                raise RuntimeError("start must be an 0-dim integral Tensor.")
            start = start.item()
            if len(args) > 1:
                args = (args[0], start, *args[2:])
            else:
                kwargs = {**kwargs, "start": start}
        elif start is not None and not _is_int(start):
            raise TypeError(_narrow_overloads(self, args, kwargs, first))
        params = (("dim", "int"), ("start", "int"), ("length", "int"))
        dim, start, length = _arguments("narrow", args, dict(kwargs), params, first, required=3)
        if self.ndim == 0:
            raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
        if length < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        size = self._meta.shape[rules.normalize_dim(dim, self.ndim)]
        if not -size <= start <= size:
            raise IndexError(
                f"start out of range (expected to be in range of [{-size}, {size}], but got "
                f"{start})"
            )
        start += size if start < 0 else 0
        if start > size - length:
            raise RuntimeError(
                f"start ({start}) + length ({length}) exceeds dimension size ({size})."
            )
        attrs = {"dim": dim, "start": start, "end": start + length, "step": 1}
        return self._call("slice", [self], attrs)

    def clone(self) -> Tensor:
        return self._call("clone", [self])

    def _new(self, factory: str, size: tuple, dtype, device, requires_grad: bool, *fill):
        """Tensor.new_<factory>: a new tensor on this tensor's session, in its dtype unless
        `dtype` is given; `size` as ints or one sequence, with torch's TypeErrors."""
        from . import factories

        name = f"new_{factory}"
        if not size:
            raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
        if len(size) > 1 and not _is_int(size[0]):
            raise TypeError(f"{name}() takes 1 positional argument but {len(size)} were given")
        if len(size) == 1 and not _is_int(size[0]):
            size = size[0]
            if not isinstance(size, Sequence):
                raise TypeError(
                    f"{name}(): argument 'size' (position 1) must be tuple of ints, not "
                    f"{type(size).__name__}"
                )
        for i, s in enumerate(size):
            if not _is_int(s):
                raise TypeError(
                    f"{name}(): argument 'size' failed to unpack the object at pos {i + 1} with "
                    f'error "type must be tuple of ints,but got {type(s).__name__}"'
                )
        create, size = getattr(factories, factory), tuple(size)
        if fill:
            return create(self._session, size, *fill, dtype or self.dtype, device, requires_grad)
        return create(
            self._session,
            size,
            dtype=dtype or self.dtype,
            device=device,
            requires_grad=requires_grad,
        )

    def new(self, *args) -> Tensor:
        """The legacy constructor in self's dtype: new(*sizes) uninitialized (here zeros),
        new(sequence) a copy of the data, new() an empty vector."""
        if all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            return self.new_empty(args or (0,))
        if len(args) == 1 and isinstance(args[0], Sequence | np.ndarray):
            return self.new_tensor(args[0])
        return Tensor(*args).to(self.dtype)

    def new_tensor(self, data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        """A new leaf holding a copy of `data`, in `dtype` or self's, on self's session."""
        from . import factories  # factories builds on Tensor

        dtype = self.dtype if dtype is None else dtype
        if isinstance(data, Tensor):
            warnings.warn(
                "To copy construct from a tensor, it is recommended to use "
                "sourceTensor.detach().clone() or "
                "sourceTensor.detach().clone().requires_grad_(True), rather than "
                "tensor.new_tensor(sourceTensor).",
                UserWarning,
                stacklevel=2,
            )
            copy = self._coerce(data).detach().clone().to(dtype)
            return copy.requires_grad_(requires_grad) if requires_grad else copy
        return factories.tensor(self._session, data, dtype, device, requires_grad)

    def ndimension(self) -> int:
        return self.ndim

    def element_size(self) -> int:
        """The bytes one element takes: 1 for bool, 4 for float32, 8 for int64 and float64."""
        return np.dtype(self._meta.dtype).itemsize

    def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        """An uninitialized (here zero-filled) tensor of `size`, in this tensor's dtype."""
        return self._new("empty", size, dtype, device, requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        """A tensor of zeros of `size`, in this tensor's dtype unless `dtype` is given."""
        return self._new("zeros", size, dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        """A tensor of ones of `size`, in this tensor's dtype unless `dtype` is given."""
        return self._new("ones", size, dtype, device, requires_grad)

    def new_full(
        self, size, fill_value=None, dtype=None, device=None, requires_grad: bool = False
    ) -> Tensor:
        """A tensor of `size` filled with `fill_value`, in this tensor's dtype (not the
        value's) unless `dtype` is given."""
        if fill_value is None:
            raise TypeError('new_full() missing 1 required positional arguments: "fill_value"')
        if _is_int(size):
            raise TypeError(
                "new_full(): argument 'size' (position 1) must be tuple of ints, not int"
            )
        return self._new("full", (size,), dtype, device, requires_grad, fill_value)

    def contiguous(self) -> Tensor:
        return self if self.is_contiguous() else self.clone()

    def unsqueeze(self, dim: int) -> Tensor:
        return self._call("unsqueeze", [self], {"dim": int(dim)})

    def squeeze(self, dim=None) -> Tensor:
        """Without the size-1 dims: all of them, `dim`, or those of a tuple or list of dims."""
        if isinstance(dim, tuple | list):
            return self._call("squeeze", [self], {"dims": [operator.index(d) for d in dim]})
        return self._call("squeeze", [self], {"dim": None if dim is None else int(dim)})

    def diagonal(self, *args, **kwargs) -> Tensor:
        """The `offset`-th diagonal of the matrices in dims `dim1` and `dim2`, which go
        away, as the last dim (a view; DiagonalBackward0)."""
        return self._diagonal(args, kwargs, first=1)

    def _diagonal(self, args: tuple, kwargs: dict, first: int) -> Tensor:
        params = (("offset", "int", 0), ("dim1", "int", 0), ("dim2", "int", 1))
        offset, dim1, dim2 = _arguments("diagonal", args, kwargs, params, first)
        return self._call("diagonal", [self], {"offset": offset, "dim1": dim1, "dim2": dim2})

    def unfold(self, *args, **kwargs) -> Tensor:
        """The windows of `size` elements `step` apart along `dimension`, as a new last dim
        (a view; UnfoldBackward0)."""
        params = (("dimension", "int"), ("size", "int"), ("step", "int"))
        dimension, size, step = _arguments("unfold", args, kwargs, params, required=3)
        return self._call("unfold", [self], {"dimension": dimension, "size": size, "step": step})

    def diag(self, *args, **kwargs) -> Tensor:
        """A vector on a matrix's `diagonal`-th diagonal (DiagEmbedBackward0), or a matrix's
        `diagonal`-th diagonal, copied (DiagonalBackward0_copy)."""
        from .combining import diag  # combining builds on Tensor

        return diag(self, args, kwargs, first=1)

    def diag_embed(self, *args, **kwargs) -> Tensor:
        """A tensor with self's last dim on the `offset`-th diagonals of dims `dim1` and
        `dim2` (defaults 0, -2, -1), 0 elsewhere (DiagEmbedBackward0)."""
        from .combining import diag_embed

        return diag_embed(self, args, kwargs, first=1)

    def trace(self) -> Tensor:
        """The sum of a matrix's main diagonal (TraceBackward0)."""
        return self._call("trace")

    def vdot(self, other) -> Tensor:
        """The inner product of two real vectors (VdotBackward0)."""
        return self._call("vdot", [self, self._tensor_operand("vdot", other, "other")])

    def dist(self, other, p=2) -> Tensor:
        """The p-norm of self - other, broadcast (DistBackward0)."""
        other = self._tensor_operand("dist", other, "other")
        return self._call("dist", [self, other], {"p": float(p)})

    def renorm(self, p, dim: int, maxnorm) -> Tensor:
        """Each slice along dim whose p-norm is above maxnorm scaled down to it
        (RenormBackward0)."""
        attrs = {"p": float(p), "dim": int(dim), "maxnorm": float(maxnorm)}
        return self._call("renorm", [self], attrs)

    def renorm_(self, p, dim: int, maxnorm) -> Tensor:
        return self._in_place_of("renorm_", lambda: self.renorm(p, dim, maxnorm))

    def cov(self, *, correction: int = 1, fweights=None, aweights=None) -> Tensor:
        """torch.cov: the covariance of the rows (variables) over the columns (observations)."""
        from .numerics import cov

        return cov(self, correction=correction, fweights=fweights, aweights=aweights)

    def corrcoef(self) -> Tensor:
        """torch.corrcoef: Pearson's correlation coefficients of the rows, clipped to [-1, 1]."""
        from .numerics import corrcoef

        return corrcoef(self)

    def outer(self, vec2) -> Tensor:
        """self ⊗ vec2 of two vectors: self.reshape(n, 1) * vec2, as torch's."""
        from .combining import outer

        return outer(self, vec2, position=1)

    ger = outer

    def inner(self, other) -> Tensor:
        """Σ over the last dims of self other (tensordot's nodes, as torch's)."""
        from .combining import inner

        return inner(self, other, position=1)

    def kron(self, other) -> Tensor:
        """The Kronecker product, as torch's views and product."""
        from .combining import kron

        return kron(self, other, position=1)

    def cross(self, *args, **kwargs) -> Tensor:
        """The cross product along `dim` (default: the first dim of size 3, with torch's
        deprecation warning) (LinalgCrossBackward0)."""
        from .combining import cross

        return cross(self, args, kwargs, first=1)

    def inverse(self) -> Tensor:
        """torch.linalg.inv(self)."""
        from .linalg import inv

        return inv(self)

    def det(self) -> Tensor:
        """torch.linalg.det(self)."""
        from .linalg import det

        return det(self)

    def slogdet(self):
        """torch.slogdet(self): (sign, logabsdet), a torch.return_types.slogdet."""
        from gradrpc import slogdet

        return slogdet(self)

    def logdet(self) -> Tensor:
        """torch.logdet(self)."""
        from .linalg import logdet

        return logdet(self)

    def matrix_power(self, n: int) -> Tensor:
        """torch.linalg.matrix_power(self, n)."""
        from .linalg import matrix_power

        return matrix_power(self, n)

    def svd(self, some: bool = True, compute_uv: bool = True):
        """torch.svd(self, some, compute_uv): (U, S, V), a torch.return_types.svd."""
        from .linalg import torch_svd

        return torch_svd(self, some, compute_uv)

    def matrix_exp(self) -> Tensor:
        """torch.linalg.matrix_exp(self)."""
        from .linalg import matrix_exp

        return matrix_exp(self)

    def pinverse(self, rcond: float = 1e-15) -> Tensor:
        """torch.pinverse(self, rcond)."""
        from .linalg import pinv

        return pinv(self, atol=0.0, rtol=rcond)

    def cholesky(self, upper: bool = False) -> Tensor:
        """torch.cholesky(self, upper) (deprecated, with torch's warning)."""
        from .linalg import legacy_cholesky

        return legacy_cholesky(self, upper)

    def lu(self, pivot: bool = True, get_infos: bool = False):
        """torch.lu(self, pivot, get_infos) (deprecated, with torch's warning): a tuple."""
        from .linalg import legacy_lu

        return legacy_lu(self, pivot, get_infos, structseq=False)

    def lu_solve(self, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:
        """torch.lu_solve(self, LU_data, LU_pivots) (deprecated, with torch's warning)."""
        from .linalg import legacy_lu_solve

        return legacy_lu_solve(self, LU_data, LU_pivots)

    def geqrf(self):
        """torch.geqrf(self): (a, tau), a torch.return_types.geqrf."""
        from .linalg import geqrf

        return geqrf(self)

    def orgqr(self, input2: Tensor) -> Tensor:
        """torch.linalg.householder_product(self, input2)."""
        from .linalg import householder_product

        return householder_product(self, input2)

    def cholesky_solve(self, input2: Tensor, upper: bool = False) -> Tensor:
        """torch.cholesky_solve(self, input2, upper)."""
        from .linalg import cholesky_solve

        return cholesky_solve(self, input2, upper)

    def cholesky_inverse(self, upper: bool = False) -> Tensor:
        """torch.cholesky_inverse(self, upper)."""
        from .linalg import cholesky_inverse

        return cholesky_inverse(self, upper)

    def diff(self, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
        """The n-th forward difference along `dim`, as torch composes it (SubBackward0 of
        two SliceBackward0)."""
        from .combining import diff

        return diff(self, n, dim, prepend, append)

    def fliplr(self) -> Tensor:
        from .combining import fliplr

        return fliplr(self)

    def flipud(self) -> Tensor:
        from .combining import flipud

        return flipud(self)

    def broadcast_to(self, *args, **kwargs) -> Tensor:
        """self.expand(size) (ExpandBackward0)."""
        return self._broadcast_to(args, kwargs, first=1)

    def _broadcast_to(self, args: tuple, kwargs: dict, first: int) -> Tensor:
        params = (("size", "ints"),)
        (size,) = _arguments("broadcast_to", args, kwargs, params, first, required=1)
        return self.expand(size)

    # ------------------------------------------------------------ reductions

    def sum(self, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
        """The sum over all dims or `dim`, in `dtype` (self cast to it first) if given, else
        self's (int64 for integers and bools)."""
        attrs = {"dim": dim, "keepdim": keepdim, "dtype": dtype.name if dtype else ""}
        return self._call("sum", [self], attrs)

    def count_nonzero(self, dim=None) -> Tensor:
        """How many elements are not zero (nan counts), in all or along `dim` (int64)."""
        return self.ne(0).sum(dim)

    def mean(self, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
        """The mean over all dims or `dim`, in `dtype` (self cast to it first; a floating
        dtype) if given, else self's, which must then be floating."""
        attrs = {"dim": dim, "keepdim": keepdim, "dtype": dtype.name if dtype else ""}
        return self._call("mean", [self], attrs)

    def prod(self, *args, **kwargs) -> Tensor:
        """x.prod(*, dtype=None): the product of every element (ProdBackward0);
        x.prod(dim, keepdim=False, *, dtype=None): along `dim` (ProdBackward1). In `dtype`
        if given, else self's (int64 for integers and bools)."""
        return self._prod(args, kwargs, first=1)

    def _prod(self, args: tuple, kwargs: dict, first: int) -> Tensor:
        dim = int_argument(args[0] if args else kwargs.get("dim"))
        dtype = kwargs.get("dtype")
        if args or "dim" in kwargs:
            if dim is None:
                raise TypeError(_prod_overloads(self, args, kwargs, first))
            args, kwargs = (
                ((dim, *args[1:]), dict(kwargs)) if args else (args, {**kwargs, "dim": dim})
            )
            params = (("dim", "int"), ("keepdim", "bool"), ("dtype", "dtype?"))
            _, keepdim, dtype = _arguments("prod", args, dict(kwargs), params, first, 1, 2)
            attrs = {"dim": dim, "keepdim": keepdim}
        elif kwargs.keys() <= {"dtype"} and (dtype is None or isinstance(dtype, dtypes.dtype)):
            attrs = {}
        else:
            raise TypeError(_prod_overloads(self, args, kwargs, first))
        return self._call("prod", [self], {**attrs, "dtype": dtype.name if dtype else ""})

    def var(self, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
        """Σ (x - mean)² / (N - correction), correction 1 unless `unbiased` is False."""
        return self._variance("var", dim, unbiased, keepdim, correction)

    def std(self, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
        """The square root of `var` with the same arguments."""
        return self._variance("std", dim, unbiased, keepdim, correction)

    def _variance(
        self, name: str, dim, unbiased, keepdim: bool, correction, function: str = ""
    ) -> Tensor:
        """var or std; `function` names torch.std_mean or torch.var_mean in the errors and
        the warning when they call it."""
        if isinstance(dim, bool):  # torch's var(bool unbiased) overload
            dim, unbiased = None, dim
        if unbiased is not None and correction is not None:
            kinds = {"dim": type(dim).__name__, "correction": type(correction).__name__}
            message = _VARIANCE_SIGNATURES.format(name=function or name, **kinds)
            if function:  # torch.<function>'s signatures name the input
                message = message.replace("got (", "got (Tensor, ").replace(
                    " * (", " * (Tensor input, "
                )
            raise TypeError(message)
        if correction is None:
            correction = 0 if unbiased is False else 1
        dims = rules.reduced_dims(self._meta, dim)
        count = prod(self._meta.shape[d] for d in dims)
        if count - correction <= 0:
            message = _DEGREES_OF_FREEDOM.format(name=function or name)
            warnings.warn(message, UserWarning, stacklevel=4 if function else 3)
        attrs = {"dim": dim, "correction": float(correction), "keepdim": bool(keepdim)}
        return self._call(name, [self], attrs)

    def norm(self, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
        """torch.norm: the vector p-norm over all dims or `dim` (torch.linalg.vector_norm)."""
        from .linalg import torch_norm  # linalg builds on Tensor

        return torch_norm(self, p, dim, keepdim, dtype)

    def max(self, *args, **kwargs):
        """x.max(): the largest element; x.max(dim, keepdim=False): its values and indices
        along `dim` (torch.return_types.max); x.max(other): torch.maximum."""
        return self._extreme("max", args, kwargs)

    def min(self, *args, **kwargs):
        """x.min(), x.min(dim, keepdim=False) or x.min(other), as max."""
        return self._extreme("min", args, kwargs)

    def _extreme(self, name: str, args: tuple, kwargs: dict):
        if not args and not kwargs:
            return self._call(name)
        other = args[0] if len(args) == 1 and not kwargs else kwargs.get("other")
        if isinstance(other, Tensor) and len(args) + len(kwargs) == 1:
            return self._call(f"{name}imum", [self, other])
        dim = args[0] if args else kwargs.get("dim")
        if not _is_int(dim) or not {*kwargs} <= {"dim", "keepdim"}:
            raise TypeError(_extreme_overloads(name, args, kwargs))
        dim, keepdim = _arguments(name, args, kwargs, (("dim", "int"), ("keepdim", "bool")))
        values = self._call(f"{name}_dim", [self], {"dim": dim, "keepdim": keepdim})
        # argmax refuses bool input, yet max(dim) gives a bool tensor's indices
        source = self.long() if self._meta.dtype == "bool" else self
        indices = source._call(f"arg{name}", [source], {"dim": dim, "keepdim": keepdim})
        return getattr(return_types, name)((values, indices))

    def maximum(self, other) -> Tensor:
        return self._call("maximum", [self, self._tensor_operand("maximum", other, "other")])

    def minimum(self, other) -> Tensor:
        return self._call("minimum", [self, self._tensor_operand("minimum", other, "other")])

    # ------------------------------------------------------------ atan2, hypot, remainder, ...

    def atan2(self, other) -> Tensor:
        """The angle of (other, self) in (-π, π] (Atan2Backward0); integers give float32."""
        return self._call("atan2", [self, self._tensor_operand("atan2", other, "other")])

    def hypot(self, other) -> Tensor:
        """sqrt(self² + other²) of floating tensors (HypotBackward0)."""
        return self._call("hypot", [self, self._tensor_operand("hypot", other, "other")])

    def heaviside(self, values) -> Tensor:
        """0 where self < 0, `values` where self == 0, 1 where self > 0 (torch records no
        derivative: its NotImplemented node, whose backward fails)."""
        return self._call("heaviside", [self, self._tensor_operand("heaviside", values, "values")])

    def heaviside_(self, values) -> Tensor:
        values = self._tensor_operand("heaviside_", values, "values")
        return self._in_place_of(
            "heaviside_", lambda: self.heaviside(values), values._requires_grad
        )

    def logaddexp(self, other) -> Tensor:
        """ln(e^self + e^other) (LogaddexpBackward0)."""
        return self._call("logaddexp", [self, self._tensor_operand("logaddexp", other, "other")])

    def logit(self, *args, **kwargs) -> Tensor:
        """ln(x / (1 - x)), x clamped to [eps, 1 - eps] with eps (LogitBackward0)."""
        return self._logit(args, kwargs, first=1)

    def _logit(self, args: tuple, kwargs: dict, first: int) -> Tensor:
        (eps,) = _arguments("logit", args, kwargs, (("eps", "float?"),), first)
        return self._call("logit", [self], {"eps": eps})

    def logit_(self, *args, **kwargs) -> Tensor:
        return self._in_place_of("logit_", lambda: self._logit(args, kwargs, first=1))

    def sinc(self) -> Tensor:
        """sin(πx) / (πx), 1 at 0 (SincBackward0)."""
        return self._call("sinc")

    def sinc_(self) -> Tensor:
        return self._in_place_of("sinc_", self.sinc)

    def nan_to_num(self, *args, **kwargs) -> Tensor:
        """nan, +inf and -inf replaced by nan (0), posinf and neginf (the dtype's extremes)
        (NanToNumBackward0)."""
        return self._nan_to_num(args, kwargs, first=1)

    def _nan_to_num(self, args: tuple, kwargs: dict, first: int) -> Tensor:
        params = (("nan", "float?"), ("posinf", "float?"), ("neginf", "float?"))
        nan, posinf, neginf = _arguments("nan_to_num", args, kwargs, params, first)
        attrs = {"nan": 0.0 if nan is None else nan, "posinf": posinf, "neginf": neginf}
        return self._call("nan_to_num", [self], attrs)

    def nan_to_num_(self, *args, **kwargs) -> Tensor:
        return self._in_place_of("nan_to_num_", lambda: self._nan_to_num(args, kwargs, 1))

    def signbit(self) -> Tensor:
        """Whether each element's sign bit is set (-0.0 too), as bools."""
        return self._call("signbit")

    def nansum(self, *args, **kwargs) -> Tensor:
        """The sum of the elements that are not nan (NansumBackward0)."""
        return self._nansum(args, kwargs, first=1)

    def _nan_reduction_arguments(self, name: str, args: tuple, kwargs: dict, first: int):
        params = (("dim", "int list", None), ("keepdim", "bool"), ("dtype", "dtype?"))
        dim, keepdim, dtype = _arguments(name, args, kwargs, params, first, positional=2)
        return {"dim": dim if dim is None else list(dim), "keepdim": keepdim}, dtype

    def _nansum(self, args: tuple, kwargs: dict, first: int) -> Tensor:
        attrs, dtype = self._nan_reduction_arguments("nansum", args, kwargs, first)
        return self._call("nansum", [self], {**attrs, "dtype": dtype.name if dtype else ""})

    def nanmean(self, *args, **kwargs) -> Tensor:
        """The mean of the elements that are not nan: nansum / their count, as torch's."""
        return self._nanmean(args, kwargs, first=1)

    def _nanmean(self, args: tuple, kwargs: dict, first: int) -> Tensor:
        if not self.is_floating_point():
            raise RuntimeError(
                "nanmean(): expected input to have floating point or complex dtype but got "
                f"{rules.TORCH_TYPE_NAME[self._meta.dtype]}"
            )
        attrs, dtype = self._nan_reduction_arguments("nanmean", args, kwargs, first)
        if dtype is not None and not dtype.is_floating_point:
            raise RuntimeError(
                "nanmean(): could not infer output dtype. Optional dtype must be either a "
                f"floating point or complex dtype. Got: {rules.TORCH_TYPE_NAME[dtype.name]}"
            )
        total = self._call("nansum", [self], {**attrs, "dtype": dtype.name if dtype else ""})
        return total / self.isnan().logical_not().sum(**attrs)

    def rot90(self, *args, **kwargs) -> Tensor:
        """self rotated k quarter turns in the plane of dims (Rot90Backward0)."""
        return self._rot90(args, kwargs, first=1)

    def _rot90(self, args: tuple, kwargs: dict, first: int) -> Tensor:
        params = (("k", "int", 1), ("dims", "ints", (0, 1)))
        k, dims = _arguments("rot90", args, kwargs, params, first)
        return self._call("rot90", [self], {"k": k, "dims": list(dims)})

    def _number_or_tensor(self, op: str, other):
        if _number(other) is None and not isinstance(other, Tensor):
            raise _tensor_or_number_error(op, "{} other", [other])
        return self._operand(op, other)

    def remainder(self, other) -> Tensor:
        """self - other floor(self / other), the sign of other as Python's %: a tensor other
        (RemainderBackward1) or a number (RemainderBackward0)."""
        return self._call("remainder", [self, self._number_or_tensor("remainder", other)])

    def fmod(self, other) -> Tensor:
        """self - other trunc(self / other), the sign of self as C's fmod (FmodBackward1 for
        a tensor other, FmodBackward0 for a number)."""
        return self._call("fmod", [self, self._number_or_tensor("fmod", other)])

    def xlogy(self, other) -> Tensor:
        """self ln(other), 0 where self is 0 (XlogyBackward0, or 2 for a number other)."""
        return self._call("xlogy", [self, self._number_or_tensor("xlogy", other)])

    def lerp(self, end, weight) -> Tensor:
        """self + weight (end - self): a number weight (LerpBackward0) or a tensor one
        (LerpBackward1), end and a tensor weight of self's dtype."""
        if not isinstance(end, Tensor) or (
            _number(weight) is None and not isinstance(weight, Tensor)
        ):
            kinds = [type(a).__name__ for a in (end, weight)]
            # torch marks both where end is wrong, else weight where its signature wants
            tensor_weight = isinstance(end, Tensor) and isinstance(weight, Tensor)
            number_weight = isinstance(end, Tensor) and _number(weight) is not None
            end_mark = kinds[0] if isinstance(end, Tensor) else f"!{kinds[0]}!"
            why = "      didn't match because some of the arguments have invalid types: "
            lines = [
                f" * (Tensor end, {kind} weight)\n{why}({end_mark}, "
                f"{kinds[1] if fits else f'!{kinds[1]}!'})\n"
                for kind, fits in (("Tensor", tensor_weight), ("Number", number_weight))
            ]
            raise TypeError(
                f"lerp() received an invalid combination of arguments - got ({', '.join(kinds)}), "
                "but expected one of:\n" + "".join(lines)
            )
        end = self._coerce(end)
        if isinstance(weight, Tensor):
            return self._call("lerp_tensor", [self, end, self._coerce(weight)])
        return self._call("lerp", [self, end], {"weight": _number(weight)})

    arctan2 = atan2

    def _tensor_in_place(self, op: str, other) -> Tensor:
        other = self._tensor_operand(f"{op}_", other, "other")
        return self._in_place_of(f"{op}_", lambda: getattr(self, op)(other), other._requires_grad)

    def atan2_(self, other) -> Tensor:
        return self._tensor_in_place("atan2", other)

    arctan2_ = atan2_

    def hypot_(self, other) -> Tensor:
        return self._tensor_in_place("hypot", other)

    def _number_or_tensor_in_place(self, op: str, other) -> Tensor:
        other = self._number_or_tensor(f"{op}_", other)
        grad = isinstance(other, Tensor) and other._requires_grad
        return self._in_place_of(f"{op}_", lambda: getattr(self, op)(other), grad)

    def remainder_(self, other) -> Tensor:
        return self._number_or_tensor_in_place("remainder", other)

    def fmod_(self, other) -> Tensor:
        return self._number_or_tensor_in_place("fmod", other)

    def xlogy_(self, other) -> Tensor:
        return self._number_or_tensor_in_place("xlogy", other)

    # ------------------------------------------------------------ the special functions

    def polygamma(self, n) -> Tensor:
        """ψ⁽ⁿ⁾(self), the n-th derivative of digamma (PolygammaBackward0)."""
        if not _is_int(n):
            raise TypeError(
                f"polygamma(): argument 'n' (position 1) must be int, not {type(n).__name__}"
            )
        return self._call("polygamma", [self], {"n": int(n)})

    def polygamma_(self, n) -> Tensor:
        def compute() -> Tensor:
            self.polygamma(n)  # torch's checks of n first
            return self._call("polygamma", [self], {"n": int(n), "in_place": True})

        return self._in_place_of("polygamma_", compute)

    def mvlgamma(self, p) -> Tensor:
        """The multivariate log-gamma of dimension p (MvlgammaBackward0)."""
        if not _is_int(p):
            raise TypeError(
                f"mvlgamma(): argument 'p' (position 1) must be int, not {type(p).__name__}"
            )
        return self._call("mvlgamma", [self], {"p": int(p)})

    def mvlgamma_(self, p) -> Tensor:
        return self._in_place_of("mvlgamma_", lambda: self.mvlgamma(p))

    def isreal(self) -> Tensor:
        """True everywhere (a bool torch.ones_like): a real dtype holds no imaginary part."""
        from . import factories

        return factories.ones_like(self._session, self, dtype=dtypes.bool_)

    def frexp(self):
        """(mantissa, exponent) with self = mantissa 2^exponent, mantissa in [0.5, 1)
        (FrexpBackward0) and exponent int32: torch.return_types.frexp."""
        mantissa = self._call("frexp")
        return return_types.frexp((mantissa, self._call("frexp_exponent")))

    def logaddexp2(self, other) -> Tensor:
        """log₂(2^self + 2^other) (Logaddexp2Backward0)."""
        return self._call("logaddexp2", [self, self._tensor_operand("logaddexp2", other, "other")])

    def fmax(self, other) -> Tensor:
        """The larger of self and other, the number where one is nan (FmaxBackward0)."""
        return self._call("fmax", [self, self._tensor_operand("fmax", other, "other")])

    def fmin(self, other) -> Tensor:
        """The smaller of self and other, the number where one is nan (FminBackward0)."""
        return self._call("fmin", [self, self._tensor_operand("fmin", other, "other")])

    def copysign(self, other) -> Tensor:
        """|self| with other's sign: a tensor (CopysignBackward0) or a number (1)."""
        return self._call("copysign", [self, self._number_or_tensor("copysign", other)])

    def copysign_(self, other) -> Tensor:
        return self._number_or_tensor_in_place("copysign", other)

    def nextafter(self, other) -> Tensor:
        """The next floating-point value after self toward other (NextafterBackward0)."""
        return self._call("nextafter", [self, self._tensor_operand("nextafter", other, "other")])

    def nextafter_(self, other) -> Tensor:
        return self._tensor_in_place("nextafter", other)

    def igamma(self, other) -> Tensor:
        """P(self, other), the regularized lower incomplete gamma function (IgammaBackward0;
        no derivative for self, as torch's)."""
        return self._call("igamma", [self, self._tensor_operand("igamma", other, "other")])

    def igamma_(self, other) -> Tensor:
        return self._tensor_in_place("igamma", other)

    def igammac(self, other) -> Tensor:
        """Q(self, other) = 1 - P(self, other), the regularized upper incomplete gamma
        function (IgammacBackward0; no derivative for self, as torch's)."""
        return self._call("igammac", [self, self._tensor_operand("igammac", other, "other")])

    def igammac_(self, other) -> Tensor:
        return self._tensor_in_place("igammac", other)

    def ldexp(self, other) -> Tensor:
        """self 2^other (LdexpBackward0)."""
        return self._call("ldexp", [self, self._tensor_operand("ldexp", other, "other")])

    def ldexp_(self, other) -> Tensor:
        return self._tensor_in_place("ldexp", other)

    def gcd(self, other) -> Tensor:
        """The greatest common divisor of integer tensors (not differentiable)."""
        return self._call("gcd", [self, self._tensor_operand("gcd", other, "other")])

    def gcd_(self, other) -> Tensor:
        return self._tensor_in_place("gcd", other)

    def lcm(self, other) -> Tensor:
        """The least common multiple of integer tensors (not differentiable)."""
        return self._call("lcm", [self, self._tensor_operand("lcm", other, "other")])

    def lcm_(self, other) -> Tensor:
        return self._tensor_in_place("lcm", other)

    def float_power(self, exponent) -> Tensor:
        """self ** exponent in float64, as torch composes it: both converted to float64
        (ToCopyBackward0 where they were not), then pow."""
        if _number(exponent) is None and not isinstance(exponent, Tensor):
            raise TypeError(
                "float_power() received an invalid combination of arguments - got "
                f"({type(exponent).__name__}), but expected one of:\n"
                " * (Tensor exponent)\n * (Number exponent)\n"
            )
        if isinstance(exponent, Tensor):
            exponent = self._coerce(exponent).to(dtypes.float64)
        return self.to(dtypes.float64).pow(exponent)

    def float_power_(self, exponent) -> Tensor:
        if self._meta.dtype != "float64":
            raise RuntimeError(
                "the base given to float_power_ has dtype "
                f"{rules.TORCH_TYPE_NAME[self._meta.dtype]} but the operation's result "
                "requires dtype Double"
            )
        grad = isinstance(exponent, Tensor) and exponent._requires_grad
        return self._in_place_of("float_power_", lambda: self.float_power(exponent), grad)

    def lerp_(self, end, weight) -> Tensor:
        grad = any(isinstance(t, Tensor) and t._requires_grad for t in (end, weight))
        return self._in_place_of("lerp_", lambda: self.lerp(end, weight), grad)

    def _pointwise(self, name: str, args: tuple, kwargs: dict, first: int = 1) -> Tensor:
        """addcmul or addcdiv(tensor1, tensor2, *, value=1), bound as torch's parser does."""
        if len(args) + len(kwargs.keys() & {"tensor1", "tensor2"}) < 2:
            kinds = ", ".join(type(a).__name__ for a in args)
            raise TypeError(
                f"{name}() received an invalid combination of arguments - got ({kinds}), but "
                "expected (Tensor tensor1, Tensor tensor2, *, Number value = 1)"
            )
        params = (("tensor1", "Tensor"), ("tensor2", "Tensor"), ("value", "Number", 1))
        tensor1, tensor2, value = _arguments(name, args, kwargs, params, first, 2, 2)
        operands = [self, self._coerce(tensor1), self._coerce(tensor2)]
        return self._call(name, operands, {"value": _number(value)})

    def addcmul(self, *args, **kwargs) -> Tensor:
        """self + value tensor1 tensor2 (AddcmulBackward0)."""
        return self._pointwise("addcmul", args, kwargs)

    def addcdiv(self, *args, **kwargs) -> Tensor:
        """self + value tensor1 / tensor2 (AddcdivBackward0); integer tensor1 and tensor2 are
        torch's error."""
        return self._pointwise("addcdiv", args, kwargs)

    def addcmul_(self, *args, **kwargs) -> Tensor:
        grad = any(isinstance(a, Tensor) and a._requires_grad for a in (*args, *kwargs.values()))
        return self._in_place_of("addcmul_", lambda: self.addcmul(*args, **kwargs), grad)

    def addcdiv_(self, *args, **kwargs) -> Tensor:
        grad = any(isinstance(a, Tensor) and a._requires_grad for a in (*args, *kwargs.values()))
        return self._in_place_of("addcdiv_", lambda: self.addcdiv(*args, **kwargs), grad)

    def __mod__(self, other) -> Tensor:
        return self._reflected("remainder", other, lambda o: self._call("remainder", [self, o]))

    def __rmod__(self, other) -> Tensor:
        return self._reflected("remainder", other, lambda o: self._call("remainder", [o, self]))

    def __imod__(self, other) -> Tensor:
        if _number(other) is None and not isinstance(other, Tensor):
            return NotImplemented
        return self.remainder_(other)

    def amax(self, *args, **kwargs) -> Tensor:
        """The largest element over all dims or `dim` (the gradient shared among ties)."""
        dim, keepdim = _arguments("amax", args, kwargs, (("dim", "ints?"), ("keepdim", "bool")))
        return self._call("amax", [self], {"dim": dim, "keepdim": keepdim})

    def amin(self, *args, **kwargs) -> Tensor:
        """The smallest element over all dims or `dim` (the gradient shared among ties)."""
        dim, keepdim = _arguments("amin", args, kwargs, (("dim", "ints?"), ("keepdim", "bool")))
        return self._call("amin", [self], {"dim": dim, "keepdim": keepdim})

    def argmax(self, *args, **kwargs) -> Tensor:
        """The index of the largest element, in the flattened tensor or along `dim`."""
        dim, keepdim = _arguments("argmax", args, kwargs, (("dim", "int?"), ("keepdim", "bool")))
        return self._call("argmax", [self], {"dim": dim, "keepdim": keepdim})

    def argmin(self, *args, **kwargs) -> Tensor:
        """The index of the smallest element, in the flattened tensor or along `dim`."""
        dim, keepdim = _arguments("argmin", args, kwargs, (("dim", "int?"), ("keepdim", "bool")))
        return self._call("argmin", [self], {"dim": dim, "keepdim": keepdim})

    def all(self, *args, **kwargs) -> Tensor:
        """Whether every element is nonzero, over all dims or `dim`, as bool."""
        dim, keepdim = _arguments("all", args, kwargs, (("dim", "ints?"), ("keepdim", "bool")))
        return self._call("all", [self], {"dim": dim, "keepdim": keepdim})

    def any(self, *args, **kwargs) -> Tensor:
        """Whether some element is nonzero, over all dims or `dim`, as bool."""
        dim, keepdim = _arguments("any", args, kwargs, (("dim", "ints?"), ("keepdim", "bool")))
        return self._call("any", [self], {"dim": dim, "keepdim": keepdim})

    # ------------------------------------------------------------ sorting and selecting

    def sort(self, *args, **kwargs):
        """(values, indices) of self sorted along `dim` (default -1), nan largest, as a
        torch.return_types.sort: x.sort(dim=-1, descending=False) (SortBackward0) or
        x.sort(*, stable, dim=-1, descending=False) (SortBackward1). Ties come out in
        torch's CPU order (see the op table's `argsort`)."""
        return self._sort(args, kwargs, first=1)

    def _sort(self, args: tuple, kwargs: dict, first: int):
        dim, descending, stable = _sort_arguments("sort", args, kwargs, first)
        indices = self._argsort(dim, descending, stable)
        attrs = {"dim": dim} if stable is None else {"dim": dim, "stable": stable}
        return return_types.sort((self._call("sort", [self, indices], attrs), indices))

    def argsort(self, *args, **kwargs) -> Tensor:
        """The indices of x.sort(...) with the same arguments."""
        return self._argsort(*_sort_arguments("argsort", args, kwargs, first=1))

    def _argsort(self, dim: int, descending: bool, stable: bool | None) -> Tensor:
        attrs = {"dim": dim, "descending": descending, "stable": bool(stable)}
        return self._call("argsort", [self], attrs)

    def topk(self, *args, **kwargs):
        """(values, indices) of the k largest (largest=False: smallest) elements along `dim`
        (default -1), nan largest, as a torch.return_types.topk (TopkBackward0); sorted, or
        in the order selected. Ties come out in torch's CPU order."""
        return self._topk(args, kwargs, first=1)

    def _topk(self, args: tuple, kwargs: dict, first: int):
        params = (
            ("k", "int"),
            ("dim", "int", -1),
            ("largest", "bool", True),
            ("sorted", "bool", True),
        )
        k, dim, largest, in_order = _arguments("topk", args, kwargs, params, first, required=1)
        attrs = {"k": k, "dim": dim, "largest": largest, "sorted": in_order}
        indices = self._call("topk_indices", [self], attrs)
        return return_types.topk((self._call("topk", [self, indices], {"dim": dim}), indices))

    def median(self, *args, **kwargs):
        """x.median(): the lower median of every element, nan if any is nan (MedianBackward0);
        x.median(dim, keepdim=False): its values and indices along `dim`, as a
        torch.return_types.median (MedianBackward1), the index torch's CPU kernel picks."""
        return self._median("median", args, kwargs, first=1)

    def nanmedian(self, *args, **kwargs):
        """x.median(...) with the nans left out (NanmedianBackward0 and 1)."""
        return self._median("nanmedian", args, kwargs, first=1)

    def _median(self, name: str, args: tuple, kwargs: dict, first: int):
        ignore_nan = name == "nanmedian"
        if not args and not kwargs:
            return self._call("median", [self], {"ignore_nan": ignore_nan})
        params = (("dim", "int"), ("keepdim", "bool"))
        dim, keepdim = _arguments(name, args, kwargs, params, first, required=1)
        attrs = {"dim": dim, "keepdim": keepdim, "ignore_nan": ignore_nan}
        indices = self._call("median_indices", [self], attrs)
        values = self._call("median_dim", [self, indices], attrs)
        return getattr(return_types, name)((values, indices))

    def mode(self, *args, **kwargs):
        """The most frequent value along `dim` (default -1; the smallest among equally
        frequent ones) and its index, as a torch.return_types.mode (ModeBackward0)."""
        return self._mode(args, kwargs, first=1)

    def _mode(self, args: tuple, kwargs: dict, first: int):
        params = (("dim", "int", -1), ("keepdim", "bool"))
        dim, keepdim = _arguments("mode", args, kwargs, params, first)
        attrs = {"dim": dim, "keepdim": keepdim}
        indices = self._call("mode_indices", [self], attrs)
        return return_types.mode((self._call("mode", [self, indices], attrs), indices))

    def kthvalue(self, *args, **kwargs):
        """The k-th smallest element along `dim` (default -1; nans largest) and its index, as
        a torch.return_types.kthvalue (KthvalueBackward0); among ties, the index torch's
        quickselect picks."""
        return self._kthvalue(args, kwargs, first=1)

    def _kthvalue(self, args: tuple, kwargs: dict, first: int):
        params = (("k", "int"), ("dim", "int", -1), ("keepdim", "bool"))
        k, dim, keepdim = _arguments("kthvalue", args, kwargs, params, first, required=1)
        attrs = {"k": k, "dim": dim, "keepdim": keepdim}
        indices = self._call("kthvalue_indices", [self], attrs)
        return return_types.kthvalue((self._call("kthvalue", [self, indices], attrs), indices))

    def cummax(self, *args, **kwargs):
        """The running maximum along `dim` and where it was taken from (the last of equal
        elements; nan sticks), as a torch.return_types.cummax (CummaxBackward0)."""
        return self._cumulative_extreme("cummax", args, kwargs, first=1)

    def cummin(self, *args, **kwargs):
        """The running minimum along `dim`, as cummax (CumminBackward0)."""
        return self._cumulative_extreme("cummin", args, kwargs, first=1)

    def _cumulative_extreme(self, name: str, args: tuple, kwargs: dict, first: int):
        (dim,) = _arguments(name, args, kwargs, (("dim", "int"),), first, required=1)
        indices = self._call(f"{name}_indices", [self], {"dim": dim})
        values = self._call(name, [self, indices], {"dim": dim})
        return getattr(return_types, name)((values, indices))

    def logcumsumexp(self, *args, **kwargs) -> Tensor:
        """ln Σ e^x running along `dim` (LogcumsumexpBackward0)."""
        return self._logcumsumexp(args, kwargs, first=1)

    def _logcumsumexp(self, args: tuple, kwargs: dict, first: int) -> Tensor:
        (dim,) = _arguments("logcumsumexp", args, kwargs, (("dim", "int"),), first, required=1)
        return self._call("logcumsumexp", [self], {"dim": dim})

    def aminmax(self, *args, **kwargs):
        """(amin, amax) over every element or along `dim` (keyword-only, as `keepdim`), as a
        torch.return_types.aminmax; torch records one AminmaxBackward0 node for both, here
        each has its own, with the same gradients."""
        return self._aminmax(args, kwargs, first=1)

    def _aminmax(self, args: tuple, kwargs: dict, first: int):
        if args:
            taken = "0 positional arguments" if first == 1 else "1 positional argument"
            given = len(args) + first - 1
            raise TypeError(
                f"aminmax() takes {taken} but {given} {'was' if given == 1 else 'were'} given"
            )
        params = (("dim", "int?"), ("keepdim", "bool"))
        dim, keepdim = _arguments("aminmax", (), kwargs, params)
        if dim is None and self.numel() == 0:
            raise RuntimeError(
                "aminmax(): cannot compute aminmax over an empty dimension as the operation "
                "has no identity."
            )
        if dim is not None and self.ndim and self.shape[rules.normalize_dim(dim, self.ndim)] == 0:
            raise IndexError(
                f"aminmax: Expected reduction dim {rules.normalize_dim(dim, self.ndim)} to have "
                "non-zero size."
            )
        attrs = {"dim": dim, "keepdim": keepdim}
        pair = (self._call(f"aminmax_{extreme}", [self], attrs) for extreme in ("min", "max"))
        return return_types.aminmax(pair)

    def msort(self) -> Tensor:
        """self sorted along its first dim (SortBackward0)."""
        return self.sort(dim=0).values

    def quantile(self, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear"):
        """The q-th quantiles (q a number or a 0-d or 1-d tensor in [0, 1]) of every element
        or along `dim`, nan if any is nan, interpolated between the sorted elements around
        rank q (N - 1) by `interpolation` (linear, lower, higher, midpoint or nearest),
        composed as torch composes it (sort, gather, lerp_, squeeze_)."""
        return self._quantile(False, q, dim, keepdim, interpolation)

    def nanquantile(self, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear"):
        """x.quantile(...) of the elements that are not nan (nan where all are)."""
        return self._quantile(True, q, dim, keepdim, interpolation)

    def _quantile(self, ignore_nan: bool, q, dim, keepdim: bool, interpolation: str) -> Tensor:
        if not isinstance(q, Tensor):
            if not 0 <= q <= 1:
                raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q}")
            q = self.new_tensor(q)
        if self._meta.numel == 0:
            raise RuntimeError("quantile() input tensor must be non-empty")
        if q.dim() > 1:
            raise RuntimeError("quantile() q must be a scalar or 1D tensor")
        if self._meta.dtype not in ("float32", "float64"):
            raise RuntimeError("quantile() input tensor must be either float or double dtype")
        if q._meta.dtype != self._meta.dtype:
            raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
        if interpolation not in _QUANTILE_INTERPOLATIONS:
            raise RuntimeError(
                "quantile() interpolation must be one of linear, lower, higher, midpoint or "
                f"nearest, but got {interpolation}"
            )
        shape = self._meta.shape
        if dim is None:
            kept = [1] * len(shape) if keepdim else []
            ordered = self.flatten()
        else:
            dim = rules.normalize_dim(dim, len(shape))
            kept = [1 if d == dim else s for d, s in enumerate(shape) if keepdim or d != dim]
            ordered = self.unsqueeze(-1).transpose(dim, -1)
        if not q.ge(0).logical_and(q.le(1)).all().item():
            raise RuntimeError("quantile() q values must be in the range [0, 1]")
        ordered = ordered.sort().values.view([*kept, ordered.shape[-1]])
        if ignore_nan:  # ranks among the elements that are not nan (0 where all are)
            ranks = q * (ordered.isnan().logical_not().sum(-1, True) - 1)
            ranks = ranks.masked_fill(ranks < 0, 0)
        else:  # a nan sorts last: rank it there
            last = ordered.shape[-1] - 1
            ranks = (q * last).where(ordered.isnan().any(-1, True).logical_not(), last)
        if interpolation in _QUANTILE_ROUNDING:
            ranks = getattr(ranks, _QUANTILE_ROUNDING[interpolation])()
        below = ranks.long()
        values = ordered.gather(-1, below)
        if interpolation in ("linear", "midpoint"):
            weights = (
                ranks.new_full(ranks.shape, 0.5) if interpolation == "midpoint" else ranks - below
            )
            values.lerp_(ordered.gather(-1, ranks.ceil().long()), weights)
        if q.dim():
            values = values.unsqueeze(0).transpose(0, -1)
        return values._call("squeeze_", attrs={"dim": -1})

    def bincount(self, weights=None, minlength: int = 0) -> Tensor:
        """How often each value of the 1-d int64 self occurs (with `weights`: their sum per
        value), in max(self) + 1 bins, at least minlength: the values' extremes are read
        first, one round trip, as torch synchronizes."""
        if not rules.is_integer(self._meta.dtype):
            kind = rules.TORCH_TYPE_NAME[self._meta.dtype]
            raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{kind}'")
        if minlength < 0:
            raise RuntimeError("minlength should be >= 0")
        if self.dim() == 1 and self._meta.numel == 0:
            return self.new_zeros(minlength)
        length = minlength
        if self.dim() == 1:
            with no_grad():
                low, high = self.amin(), self.amax()
            low, high = (int(v) for v in self._session.flush((low._handle, high._handle)))
            if low < 0:
                raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
            length = max(high + 1, minlength)
        if weights is None:
            return self._call("bincount", [self], {"length": length})
        weights = self._tensor_operand("bincount", weights, "weights")
        return self._call("bincount_weighted", [self, weights], {"length": length})

    def histogram(self, bins=100, *, range=None, weight=None, density: bool = False):
        """torch.histogram(self, ...): (hist, bin_edges)."""
        from .numerics import histogram

        return histogram(self, bins, range=range, weight=weight, density=density)

    def histc(self, bins: int = 100, min=0, max=0) -> Tensor:
        """A histogram of the elements in `bins` equal bins over [min, max] (the data's
        extremes where min == max), in self's dtype, without history. A range the data gives
        that is not finite is torch's error at the next read."""
        return self._call("histc", [self], {"bins": bins, "min": float(min), "max": float(max)})

    def unique(
        self,
        sorted: bool = True,
        return_inverse: bool = False,
        return_counts: bool = False,
        dim=None,
    ):
        """The distinct elements, sorted (nan last, each nan distinct; `sorted` False gives
        the same, as torch's CPU kernel), with each element's index among them and each
        one's count when asked: the values are read first, one round trip, as torch
        synchronizes (Unique2Backward0, whose backward fails as torch's). With `dim`, the
        distinct slices along it, sorted lexicographically (UniqueDimBackward0)."""
        return self._unique(False, return_inverse, return_counts, dim)

    def unique_consecutive(
        self, return_inverse: bool = False, return_counts: bool = False, dim=None
    ):
        """The first element of each run of equal neighbours, in order, with inverse and
        counts as unique's (UniqueConsecutiveBackward0); with `dim`, of the slices along it."""
        return self._unique(True, return_inverse, return_counts, dim)

    def _unique(self, consecutive: bool, return_inverse: bool, return_counts: bool, dim):
        from . import factories

        if dim is not None:
            return self._unique_dim(consecutive, return_inverse, return_counts, dim)
        flat = self._session.flush((self._handle,))[0].reshape(-1)
        order = np.arange(flat.size) if consecutive else np.argsort(flat, kind="stable")
        ordered = flat[order]
        first = np.ones(flat.shape, bool)
        first[1:] = ordered[1:] != ordered[:-1]  # nan never equal
        attrs = {"count": int(first.sum()), "consecutive": consecutive}
        found = [self._call("unique", [self], attrs)]
        if return_inverse:
            inverse = np.empty(flat.shape, np.int64)
            inverse[order] = np.cumsum(first) - 1
            found.append(factories.from_numpy(self._session, inverse.reshape(self.shape)))
        if return_counts:
            counts = np.diff(np.append(np.flatnonzero(first), flat.size))
            found.append(factories.from_numpy(self._session, counts))
        return found[0] if len(found) == 1 else tuple(found)

    def _unique_dim(self, consecutive: bool, return_inverse: bool, return_counts: bool, dim):
        """unique's and unique_consecutive's slices along `dim`, compared lexicographically
        (a slice holding a nan equals none): the values read first, one round trip; torch's
        checks before."""
        from . import factories

        if not isinstance(dim, int) or isinstance(dim, bool):
            where = (
                "unique_consecutive(): argument 'dim'"
                if consecutive
                else ("unique_dim(): argument 'dim' (position 2)")
            )
            raise TypeError(f"{where} must be int, not {type(dim).__name__}")
        dim = rules.size_dim(dim, self.ndim)
        shape = self._meta.shape
        if shape[dim] == 0 and shape.count(0) > 1:
            raise RuntimeError(
                "Number of zero sized dimensions is more than one, so unique cannot be applied "
            )
        if shape[dim] != 0 and 0 in shape:
            raise RuntimeError(
                "There are 0 sized dimensions, and they aren't selected, so unique cannot be "
                "applied"
            )
        values = self._session.flush((self._handle,))[0]
        width = prod(shape[:dim] + shape[dim + 1 :])
        slices = np.moveaxis(values, dim, 0).reshape(shape[dim], width)
        order = np.arange(len(slices))
        if not consecutive:  # lexicographic: the first element the last key, nan last
            order = np.lexsort(slices.T[::-1]) if slices.size else order
        ordered = slices[order]
        first = np.ones(len(slices), bool)
        first[1:] = (ordered[1:] != ordered[:-1]).any(1)  # nan never equal
        inverse = np.empty(len(slices), np.int64)
        inverse[order] = np.cumsum(first) - 1
        inverse = factories.from_numpy(self._session, inverse)
        attrs = {"dim": dim, "count": int(first.sum()), "consecutive": consecutive}
        found = [self._call("unique_dim", [self, inverse], attrs)]
        if return_inverse:
            found.append(inverse)
        if return_counts:
            counts = np.diff(np.append(np.flatnonzero(first), len(slices)))
            found.append(factories.from_numpy(self._session, counts))
        return found[0] if len(found) == 1 else tuple(found)

    def gather(self, *args, **kwargs) -> Tensor:
        """out[i][j] = self[index[i][j]][j] along dim 0, self[i][index[i][j]] along dim 1, and
        so on (GatherBackward0; the gradient scatter-adds)."""
        return self._gather(args, kwargs, first=1)

    def _gather(self, args: tuple, kwargs: dict, first: int) -> Tensor:
        params = (("dim", "int"), ("index", "Tensor"), ("sparse_grad", "bool"))
        dim, index, sparse_grad = _arguments(
            "gather", args, kwargs, params, first, required=2, positional=2
        )
        if sparse_grad:
            raise Unsupported(
                "gradrpc: sparse gradients (gather's sparse_grad=True) are not supported"
            )
        return self._call("gather", [self, self._coerce(index)], {"dim": dim})

    def index_put(self, *args, **kwargs) -> Tensor:
        """self with values written (accumulate=True: added) at the positions a tuple of
        index tensors names, as self[indices] = values writes them (IndexPutBackward0)."""
        from .scattering import bind_index_put

        return bind_index_put(self, args, kwargs)

    def index_put_(self, *args, **kwargs) -> Tensor:
        from .scattering import bind_index_put

        return bind_index_put(self, args, kwargs, in_place=True)

    def scatter(self, *args, **kwargs) -> Tensor:
        """self with src[i][j] written at [index[i][j]][j] along dim 0, self's [i][index[i][j]]
        along dim 1, and so on (ScatterBackward0), or a number `value` (ScatterBackward1);
        the legacy keyword `reduce` ('add' or 'multiply') combines instead."""
        from .scattering import bind_scatter

        return bind_scatter(self, args, kwargs)

    def scatter_(self, *args, **kwargs) -> Tensor:
        from .scattering import bind_scatter

        return bind_scatter(self, args, kwargs, in_place=True)

    def scatter_add(self, *args, **kwargs) -> Tensor:
        """self with src added at the index's positions along dim (ScatterAddBackward0)."""
        from .scattering import bind_scatter_add

        return bind_scatter_add(self, args, kwargs)

    def scatter_add_(self, *args, **kwargs) -> Tensor:
        from .scattering import bind_scatter_add

        return bind_scatter_add(self, args, kwargs, in_place=True)

    def scatter_reduce(self, *args, **kwargs) -> Tensor:
        """self with src reduced into the index's positions along dim by `reduce` ('sum',
        'prod', 'mean', 'amax' or 'amin'), self's values included unless include_self=False
        (ScatterReduceBackward0)."""
        from .scattering import bind_scatter_reduce

        return bind_scatter_reduce(self, args, kwargs)

    def scatter_reduce_(self, *args, **kwargs) -> Tensor:
        from .scattering import bind_scatter_reduce

        return bind_scatter_reduce(self, args, kwargs, in_place=True)

    def index_add(self, *args, **kwargs) -> Tensor:
        """self with alpha source's slices along dim added at index's positions
        (IndexAddBackward0)."""
        return self._index_add(args, kwargs, first=1)

    def _index_add(self, args: tuple, kwargs: dict, first: int) -> Tensor:
        params = (("dim", "int"), ("index", "Tensor"), ("source", "Tensor"), ("alpha", "Number", 1))
        dim, index, source, alpha = _arguments(
            "index_add", args, kwargs, params, first, required=3, positional=3
        )
        operands = [self, self._coerce(index), self._coerce(source)]
        return self._call("index_add", operands, {"dim": dim, "alpha": _number(alpha)})

    def index_add_(self, *args, **kwargs) -> Tensor:
        source = args[2] if len(args) > 2 else kwargs.get("source")
        grad = isinstance(source, Tensor) and source._requires_grad
        return self._in_place_of("index_add_", lambda: self._index_add(args, kwargs, 1), grad)

    def index_copy(self, *args, **kwargs) -> Tensor:
        """self with source's slices along dim written at index's positions
        (IndexCopyBackward0)."""
        return self._index_copy(args, kwargs, first=1)

    def _index_copy(self, args: tuple, kwargs: dict, first: int) -> Tensor:
        params = (("dim", "int"), ("index", "Tensor"), ("source", "Tensor"))
        dim, index, source = _arguments("index_copy", args, kwargs, params, first, required=3)
        operands = [self, self._coerce(index), self._coerce(source)]
        return self._call("index_copy", operands, {"dim": dim})

    def index_copy_(self, *args, **kwargs) -> Tensor:
        source = args[2] if len(args) > 2 else kwargs.get("source")
        grad = isinstance(source, Tensor) and source._requires_grad
        return self._in_place_of("index_copy_", lambda: self._index_copy(args, kwargs, 1), grad)

    def index_fill(self, *args, **kwargs) -> Tensor:
        """self with its slices along dim at index's positions set to value, a number
        (IndexFillBackward0) or a 0-d tensor (IndexFillBackward1)."""
        return self._index_fill(args, kwargs, first=1)

    def _index_fill(self, args: tuple, kwargs: dict, first: int) -> Tensor:
        value = args[2] if len(args) > 2 else kwargs.get("value")
        given = (*args, None, None)[:2]
        misfits = (given[0] is not None and not _is_int(given[0])) or (
            given[1] is not None and not isinstance(given[1], Tensor)
        )
        if misfits or (not isinstance(value, Tensor) and _number(value) is None):
            raise TypeError(_index_fill_overloads(self, args, kwargs, first))
        kind = "Tensor" if isinstance(value, Tensor) else "Number"
        params = (("dim", "int"), ("index", "Tensor"), ("value", kind))
        dim, index, value = _arguments("index_fill", args, kwargs, params, first, required=3)
        if kind == "Number":
            attrs = {"dim": dim, "value": _number(value)}
            return self._call("index_fill", [self, self._coerce(index)], attrs)
        operands = [self, self._coerce(index), self._coerce(value)]
        return self._call("index_fill_tensor", operands, {"dim": dim})

    def index_fill_(self, *args, **kwargs) -> Tensor:
        value = args[2] if len(args) > 2 else kwargs.get("value")
        grad = isinstance(value, Tensor) and value._requires_grad
        return self._in_place_of("index_fill_", lambda: self._index_fill(args, kwargs, 1), grad)

    def take_along_dim(self, *args, **kwargs) -> Tensor:
        """self's elements at `indices` along `dim` (the two broadcast but along it), or
        without dim, self flattened at indices flattened (GatherBackward0)."""
        from .placement import take_along_dim

        return take_along_dim(self, args, kwargs, first=1)

    def put(self, *args, **kwargs) -> Tensor:
        """self with source written (added, with accumulate) at the positions index names in
        self flattened (PutBackward0)."""
        from .placement import put

        return put(self, args, kwargs, first=1)

    def put_(self, *args, **kwargs) -> Tensor:
        from .placement import put

        return put(self, args, kwargs, first=1, in_place=True)

    def select(self, dim: int, index: int) -> Tensor:
        """The slice at `index` along `dim`, which goes away: a view (SelectBackward0)."""
        params = (("dim", "int"), ("index", "int"))
        dim, index = _arguments("select", (dim, index), {}, params)
        return self._call("select", [self], {"dim": dim, "index": index})

    def select_scatter(self, *args, **kwargs) -> Tensor:
        """A copy of self with src written over self.select(dim, index)."""
        from .placement import embedding_scatter

        return embedding_scatter("select_scatter", self, args, kwargs, first=1)

    def slice_scatter(self, *args, **kwargs) -> Tensor:
        """A copy of self with src written over its slice start:end:step along dim."""
        from .placement import embedding_scatter

        return embedding_scatter("slice_scatter", self, args, kwargs, first=1)

    def diagonal_scatter(self, *args, **kwargs) -> Tensor:
        """A copy of self with src written over self.diagonal(offset, dim1, dim2)."""
        from .placement import embedding_scatter

        return embedding_scatter("diagonal_scatter", self, args, kwargs, first=1)

    def ravel(self) -> Tensor:
        """self flattened: a view where self is contiguous, else a copy (ViewBackward0)."""
        return self.contiguous().view(-1)

    def diagflat(self, offset: int = 0) -> Tensor:
        """A matrix with self's elements, flattened, on its `offset`-th diagonal."""
        return self.contiguous().view(-1).diag_embed(offset)

    def argwhere(self) -> Tensor:
        """The indices of the nonzero elements, as self.nonzero()."""
        return self.nonzero()

    def masked_scatter(self, mask, source) -> Tensor:
        """self (broadcast with mask) with source's elements, in order, written where mask
        holds (MaskedScatterBackward0)."""
        from .placement import masked_scatter

        return masked_scatter(self, mask, source, first=1)

    def masked_scatter_(self, mask, source) -> Tensor:
        from .placement import masked_scatter

        return masked_scatter(self, mask, source, first=1, in_place=True)

    def index_reduce(self, *args, **kwargs) -> Tensor:
        """source's slices along dim reduced into self's at index by 'prod', 'mean', 'amax'
        or 'amin' (include_self: self's values take part)."""
        from .placement import index_reduce

        return index_reduce(self, args, kwargs, first=1)

    def index_reduce_(self, *args, **kwargs) -> Tensor:
        from .placement import index_reduce

        return index_reduce(self, args, kwargs, first=1, in_place=True)

    def take(self, index) -> Tensor:
        """self's elements, flattened, at index's positions, in index's shape
        (TakeBackward0)."""
        return self._call("take", [self, self._tensor_operand("take", index, "index")])

    def masked_select(self, mask) -> Tensor:
        """self's elements where mask is true, both broadcast, as a vector
        (MaskedSelectBackward0): the mask's count is read first, one round trip."""
        return self._masked_select(mask, position=1)

    def _masked_select(self, mask, position: int) -> Tensor:
        mask = self._tensor_operand("masked_select", mask, "mask", position)
        if mask._meta.dtype != "bool":
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        shape = rules.broadcast_shapes(mask._meta.shape, self._meta.shape)  # torch's order
        with no_grad():
            count = int(mask.expand(shape).sum().item())
        return self._call("masked_select", [self, mask], {"count": count})

    def index_select(self, *args, **kwargs) -> Tensor:
        """The slices of self along `dim` at the positions of a 1-d index, in its order
        (IndexSelectBackward0; the gradient adds each slice back at its position)."""
        return self._index_select(args, kwargs, first=1)

    def _index_select(self, args: tuple, kwargs: dict, first: int) -> Tensor:
        params = (("dim", "int"), ("index", "Tensor"))
        dim, index = _arguments("index_select", args, kwargs, params, first, required=2)
        return self._call("index_select", [self, self._coerce(index)], {"dim": dim})

    # ------------------------------------------------------------ copies that rearrange

    def repeat(self, *repeats, **kwargs) -> Tensor:
        """self tiled `repeats` times along each dim, ints or one sequence, self's shape
        padded with leading 1s (RepeatBackward0; the gradient sums the tiles)."""
        repeats = _int_list_varargs("repeat", "repeats", repeats, kwargs)
        return self._call("repeat", [self], {"repeats": repeats})

    def tile(self, *dims, **kwargs) -> Tensor:
        """repeat(dims), `dims` padded with leading 1s to self's rank (RepeatBackward0)."""
        dims = _int_list_varargs("tile", "dims", dims, kwargs)
        return self.repeat((1,) * (self.ndim - len(dims)) + dims)

    def repeat_interleave(self, *args, **kwargs) -> Tensor:
        """Each element (of the flattened tensor, or each slice along `dim`) `repeats` times
        in a row: an int as torch's unsqueeze, expand, clone, view (ViewBackward0); a 1-d
        int64 tensor of counts (one per slice, or one for all), read in one round trip, as
        torch's index_select (IndexSelectBackward0)."""
        return self._repeat_interleave(args, kwargs, first=1)

    def _repeat_interleave(self, args: tuple, kwargs: dict, first: int) -> Tensor:
        repeats = args[0] if args else kwargs.get("repeats")
        if not isinstance(repeats, Tensor) and not _is_int(repeats):
            raise TypeError(_repeat_interleave_overloads(self, args, kwargs, first))
        kind = "Tensor" if isinstance(repeats, Tensor) else "int"
        params = (("repeats", kind), ("dim", "int?"), ("output_size", "int?"))
        repeats, dim, output_size = _arguments(
            "repeat_interleave", args, dict(kwargs), params, first, required=1, positional=2
        )
        source = self.flatten() if dim is None else self
        dim = rules.normalize_dim(0 if dim is None else dim, source.ndim)
        size = source._meta.shape[dim] if source.ndim else 1
        if kind == "int":
            if repeats < 0:
                raise RuntimeError("Repeats must be non-negative")
            total = size * repeats
        else:
            counts = repeat_counts(repeats, size, dim)
            total = int(counts.sum())
        if output_size is not None and output_size != total:
            raise RuntimeError(
                f"repeat_interleave: Invalid output_size, expected {total} but got {output_size}"
            )
        if kind != "int":
            index = self._session.tensor(np.repeat(np.arange(size), counts))
            return source.index_select(dim, index)
        shape = list(source._meta.shape)
        widened = source.unsqueeze(dim + 1).expand([*shape[: dim + 1], repeats, *shape[dim + 1 :]])
        return widened.clone().flatten(dim, dim + 1)

    def flip(self, *dims, **kwargs) -> Tensor:
        """self reversed along `dims`, ints or one sequence (FlipBackward0)."""
        return self._flip(_int_list_varargs("flip", "dims", dims, kwargs))

    def _flip(self, dims: tuple[int, ...]) -> Tensor:
        return self._call("flip", [self], {"dims": dims})

    def roll(self, *args, **kwargs) -> Tensor:
        """self shifted cyclically by `shifts` along `dims`; with no dims, the flattened
        tensor by one shift, the shape kept (RollBackward0)."""
        return self._roll(args, kwargs, first=1)

    def _roll(self, args: tuple, kwargs: dict, first: int) -> Tensor:
        params = (("shifts", "int list"), ("dims", "int list", ()))
        shifts, dims = _arguments("roll", args, kwargs, params, first, required=1)
        return self._call("roll", [self], {"shifts": shifts, "dims": dims})

    def tril(self, *args, **kwargs) -> Tensor:
        """The lower triangle of each matrix (the last two dims), from the `diagonal`-th
        diagonal, the rest 0 (TrilBackward0)."""
        return self._triangle("tril", args, kwargs, first=1)

    def triu(self, *args, **kwargs) -> Tensor:
        """The upper triangle of each matrix (the last two dims), from the `diagonal`-th
        diagonal, the rest 0 (TriuBackward0)."""
        return self._triangle("triu", args, kwargs, first=1)

    def tril_(self, *args, **kwargs) -> Tensor:
        return self._in_place_of("tril_", lambda: self._triangle("tril_", args, kwargs, 1))

    def triu_(self, *args, **kwargs) -> Tensor:
        return self._in_place_of("triu_", lambda: self._triangle("triu_", args, kwargs, 1))

    def _triangle(self, name: str, args: tuple, kwargs: dict, first: int) -> Tensor:
        (diagonal,) = _arguments(name, args, kwargs, (("diagonal", "int", 0),), first)
        return self._call(name.rstrip("_"), [self], {"diagonal": diagonal})

    def logsumexp(self, *args, **kwargs) -> Tensor:
        """ln Σ e^x over `dim` (an int or a sequence; an empty one: all dims), shifted by
        the maximum as torch's; integers and bools give float32 (LogsumexpBackward0)."""
        return self._logsumexp(args, kwargs, first=1)

    def _logsumexp(self, args: tuple, kwargs: dict, first: int) -> Tensor:
        params = (("dim", "int list"), ("keepdim", "bool"))
        dim, keepdim = _arguments("logsumexp", args, kwargs, params, first, required=1)
        return self._call("logsumexp", [self], {"dim": dim, "keepdim": keepdim})

    # ------------------------------------------------------------ cumulative sums and products

    def cumsum(self, *args, **kwargs) -> Tensor:
        """The running sums along `dim`, in `dtype` if given (int64 for integers and bools;
        CumsumBackward0)."""
        return self._cumulative("cumsum", args, kwargs, first=1)

    def cumprod(self, *args, **kwargs) -> Tensor:
        """The running products along `dim`, in `dtype` if given (int64 for integers and
        bools; CumprodBackward0, exact where self has zeros)."""
        return self._cumulative("cumprod", args, kwargs, first=1)

    def cumsum_(self, *args, **kwargs) -> Tensor:
        return self._cumulative_in_place("cumsum", args, kwargs)

    def cumprod_(self, *args, **kwargs) -> Tensor:
        return self._cumulative_in_place("cumprod", args, kwargs)

    def _cumulative_arguments(self, name: str, args: tuple, kwargs: dict, first: int) -> dict:
        params = (("dim", "int"), ("dtype", "dtype?"))
        dim, dtype = _arguments(name, args, kwargs, params, first, required=1, positional=1)
        return {"dim": dim} if dtype is None else {"dim": dim, "dtype": dtype.name}

    def _cumulative(self, name: str, args: tuple, kwargs: dict, first: int) -> Tensor:
        return self._call(name, [self], self._cumulative_arguments(name, args, kwargs, first))

    def _cumulative_in_place(self, name: str, args: tuple, kwargs: dict) -> Tensor:
        """x.cumsum_(dim) / x.cumprod_(dim): computed in x's own dtype (torch's kernels have
        none for bool), which a `dtype` must be."""
        attrs = self._cumulative_arguments(f"{name}_", args, kwargs, first=1)
        dtype = self._meta.dtype
        if attrs.get("dtype", dtype) != dtype:
            raise RuntimeError(
                f"Bad in-place call: input tensor dtype {rules.C_TYPE_NAME[dtype]} and output "
                f"tensor dtype {rules.C_TYPE_NAME[attrs['dtype']]} should match"
            )
        return self._in_place_of(
            f"{name}_", lambda: self._call(name, [self], {**attrs, "dtype": dtype})
        )

    def clamp(self, min=None, max=None) -> Tensor:
        """min(max(x, min), max) with number bounds (ClampBackward1) or tensor bounds
        (ClampBackward0); the gradient passes where min <= x <= max."""
        given = [b for b in (min, max) if b is not None]
        if given and all(isinstance(b, Tensor) for b in given):
            bounds = [0 if b is None else self._coerce(b) for b in (min, max)]
            attrs = {"has_min": min is not None, "has_max": max is not None}
            return self._call("clamp_tensors", [self, *bounds], attrs)
        if any(_number(b) is None for b in given):
            # torch gives the reasons for a tensor and a number mixed only
            mixed = any(isinstance(b, Tensor) for b in given)
            raise _tensor_or_number_error("clamp", "{0} min = None, {0} max = None", given, mixed)
        return self._call("clamp", [self], {"min": _number(min), "max": _number(max)})

    def clamp_min(self, min) -> Tensor:
        """max(x, min): a number bound (ClampMinBackward0) or a tensor one, broadcast
        (ClampMinBackward1)."""
        if isinstance(min, Tensor):
            return self._call("clamp_min_tensor", [self, self._coerce(min)])
        return self._call("clamp_min", [self], {"min": _bound("clamp_min", "min", min)})

    def clamp_max(self, max) -> Tensor:
        """min(x, max): a number bound (ClampMaxBackward0) or a tensor one, broadcast
        (ClampMaxBackward1)."""
        if isinstance(max, Tensor):
            return self._call("clamp_max_tensor", [self, self._coerce(max)])
        return self._call("clamp_max", [self], {"max": _bound("clamp_max", "max", max)})

    def softmax(self, dim: int, dtype=None) -> Tensor:
        """e^x / Σ e^x along `dim` (converted to `dtype` first, if given)."""
        x = self if dtype is None else self.to(dtype)
        return x._call("softmax", [x], {"dim": int(dim)})

    def log_softmax(self, dim: int, dtype=None) -> Tensor:
        """x - ln Σ e^x along `dim` (converted to `dtype` first, if given)."""
        x = self if dtype is None else self.to(dtype)
        return x._call("log_softmax", [x], {"dim": int(dim)})

    def prelu(self, weight: Tensor) -> Tensor:
        """x where x > 0, else weight x (torch.nn.functional.prelu)."""
        from .nn.functional import prelu  # the functional API builds on Tensor

        return prelu(self, weight)

    # ------------------------------------------------------------ conversions

    def to(self, *args, **kwargs) -> Tensor:
        """Tensor.to(device), .to(dtype), .to(device, dtype) or .to(other): only "cpu"
        exists; a new dtype makes a converted copy (ToCopyBackward0), the same one is self."""
        target = None
        for value in (*args, *kwargs.values()):
            if isinstance(value, Tensor):
                target = value.dtype
            elif isinstance(value, device | str) and not (
                isinstance(value, str) and value in DTYPES
            ):
                check_available(value)
            elif value is not None and not isinstance(value, bool):
                target = as_dtype(value)
        if target is None or target.name == self._meta.dtype:
            return self
        return self._call("_to_copy", [self], {"dtype": target.name})

    def float(self) -> Tensor:
        return self.to(DTYPES["float32"])

    def double(self) -> Tensor:
        return self.to(DTYPES["float64"])

    def long(self) -> Tensor:
        return self.to(DTYPES["int64"])

    def int(self) -> Tensor:
        return self.to(DTYPES["int32"])

    def short(self) -> Tensor:
        return self.to(DTYPES["int16"])

    def char(self) -> Tensor:
        return self.to(DTYPES["int8"])

    def byte(self) -> Tensor:
        return self.to(DTYPES["uint8"])

    def bool(self) -> Tensor:
        return self.to(DTYPES["bool"])

    def type(self, dtype=None):
        if dtype is None:
            return f"torch.{rules.TORCH_TYPE_NAME[self._meta.dtype]}Tensor"
        return self.to(as_dtype(dtype))

    def cpu(self) -> Tensor:
        return self

    def cuda(self, device=None, non_blocking: bool = False) -> Tensor:
        check_available("cuda")
        return self

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)


def _unary_methods(op: str):
    """Tensor.`op`() and its in-place form `op`_(), for an elementwise unary op of the table."""

    def out_of_place(self) -> Tensor:
        return self._call(op, [self])

    attrs = {"in_place": True} if op in rules.UNARY_WITHOUT_IN_PLACE_DERIVATIVE else {}

    def in_place(self) -> Tensor:
        return self._in_place_of(f"{op}_", lambda: self._call(op, [self], attrs))

    for method, name in ((out_of_place, op), (in_place, f"{op}_")):
        method.__name__ = method.__qualname__ = name
        method.__doc__ = f"torch.Tensor.{name}"
    return out_of_place, in_place


def _round(self, *args, decimals=None) -> Tensor:
    """torch.Tensor.round: to the nearest integer (halves to even), or to `decimals` places."""
    if args:
        raise TypeError(
            f"round() takes from 1 to 0 positional arguments but {len(args)} were given"
        )
    if decimals is not None and not _is_int(decimals):
        raise TypeError(f"round(): argument 'decimals' must be int, not {type(decimals).__name__}")
    return self._call("round", [self], {} if decimals is None else {"decimals": decimals})


def _round_(self, *args, decimals=None) -> Tensor:
    return self._in_place_of("round_", lambda: _round(self, *args, decimals=decimals))


def _square(self) -> Tensor:
    """torch.Tensor.square: self ** 2 (PowBackward0, as torch records it)."""
    return self.pow(2)


def _square_(self) -> Tensor:
    return self.pow_(2)


Tensor.round, Tensor.round_ = _round, _round_
Tensor.square, Tensor.square_ = _square, _square_
for _op in ("isnan", "isinf", "isfinite", "isposinf", "isneginf"):  # bool: no in-place forms
    setattr(Tensor, _op, _unary_methods(_op)[0])
for _op in (
    *("exp", "log", "sqrt", "relu", "sigmoid", "tanh", "reciprocal", "sin", "cos"),
    *("rsqrt", "log1p", "expm1", "log2", "log10", "erf", "tan", "asin", "acos", "atan"),
    *("sinh", "cosh", "asinh", "acosh", "atanh"),
    *("erfc", "erfinv", "exp2", "lgamma", "digamma", "i0", "sgn", "deg2rad", "rad2deg"),
    *("floor", "ceil", "trunc", "sign", "frac"),
):
    _forward, _in_place = _unary_methods(_op)
    setattr(Tensor, _op, _forward)
    setattr(Tensor, f"{_op}_", _in_place)
for _op in ("abs", "neg"):  # Tensor.abs and Tensor.neg are its operators (__abs__, __neg__)
    setattr(Tensor, f"{_op}_", _unary_methods(_op)[1])
for _alias, _op in {
    "absolute": "abs",
    "negative": "neg",
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
    "arcsinh": "asinh",
    "arccosh": "acosh",
    "arctanh": "atanh",
    "fix": "trunc",
    "clip": "clamp",
}.items():
    setattr(Tensor, _alias, getattr(Tensor, _op))
    setattr(Tensor, f"{_alias}_", getattr(Tensor, f"{_op}_"))


# ---------------------------------------------------------------- torch's argument parsing


def check_input(function: str, input, position: int = 1, argument: str = "input") -> None:
    """torch's TypeError for a torch.<function> whose `input` (torch's `argument`) is not a
    tensor."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{function}(): argument '{argument}' (position {position}) must be Tensor, not "
            f"{type(input).__name__}"
        )


def input_method(name: str, method: str | None = None, function: str | None = None):
    """<namespace>.<name>(input, ...) as input.<method>(...) (by default <name>), input
    checked first as torch's `function` (by default <name>) checks it."""
    method = method or name

    def call(input: Tensor, *args, **kwargs):
        check_input(function or name, input)
        return getattr(input, method)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"{name}(input, ...) is input.{method}(...)."
    return call


def _is_int(value) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _is_ints(value) -> bool:
    return _is_int(value) or (isinstance(value, list | tuple) and all(map(_is_int, value)))


# kind: (torch's name for it, the check); a kind written with a trailing "?" also takes None
_ARG_TYPES = {
    "int": ("int", _is_int),
    "float": ("float", lambda v: _number(v) is not None or (isinstance(v, Tensor) and v.ndim == 0)),
    "bool": ("bool", lambda v: isinstance(v, bool | np.bool_)),
    "ints": ("tuple of ints", _is_ints),
    "Tensor": ("Tensor", lambda v: isinstance(v, Tensor)),
    "Number": ("Number", lambda v: _number(v) is not None),
    "str": ("str", lambda v: isinstance(v, str)),
    "Tensors": ("tuple of Tensors", lambda v: isinstance(v, tuple | list)),
    "dtype": ("torch.dtype", lambda v: isinstance(v, dtypes.dtype)),
}


def _real(value) -> float:
    """`value` as a float, as torch reads a Python object as a double (its TypeError, "must be
    real number, not str", for one that is no number)."""
    math.isfinite(value)  # CPython's own conversion, with that message
    return float(value)


def _arguments(
    name: str,
    args: tuple,
    kwargs: dict,
    params: tuple,
    first: int = 1,
    required: int = 0,
    positional: int | None = None,
) -> list:
    """Bind a method's arguments to `params` as torch's argument parser does. Each param is
    (name, kind) or (name, kind, default); the first `required` must be given, the others
    default to None (False for a bool) unless stated; only the first `positional` (all by
    default) may be given by position; None given for a kind without "?" is refused; an
    "int list" is an int or a sequence of ints, as a tuple. torch's
    TypeErrors for too many or missing arguments, a wrong type, or a repeated or unknown
    keyword; `first` is the position torch counts the first of `args` as (2 for a
    torch.<function> whose first argument is the input, which torch counts too)."""
    shift = first - 1
    most = len(params) if positional is None else positional
    if len(args) > most:
        raise TypeError(_extra_arguments(name, required + shift, most + shift, len(args) + shift))
    values = []
    for position, (param, kind, *default) in enumerate(params, start=1):
        given = position <= len(args)
        if given and param in kwargs:
            raise TypeError(f"{name}() got multiple values for argument '{param}'")
        if not given and param not in kwargs:
            if position <= required:
                missing = ", ".join(f'"{p[0]}"' for p in params[position - 1 : required])
                count = required - position + 1
                # torch's wording: "arguments" for one, "argument" for more
                plural = "s" if count == 1 else ""
                raise TypeError(
                    f"{name}() missing {count} required positional argument{plural}: {missing}"
                )
            values.append(default[0] if default else False if kind == "bool" else None)
            continue
        value = args[position - 1] if given else kwargs.pop(param)
        if kind == "int list":  # torch's int[1]: one int, or a sequence of them
            where = f" (position {position + shift})" if given else ""
            values.append(_int_list(name, param, value, where))
            continue
        type_name, check = _ARG_TYPES[kind.rstrip("?")]
        if not check(value) and not (value is None and kind.endswith("?")):
            where = f" (position {position + shift})" if given else ""
            raise TypeError(
                f"{name}(): argument '{param}'{where} must be {type_name}, "
                f"not {type(value).__name__}"
            )
        if kind.startswith("int") and value is not None:
            value = int(value) if _is_int(value) else tuple(int(v) for v in value)
        if kind.startswith("float") and value is not None:
            value = float(value)  # a 0-d tensor's value is read
        values.append(bool(value) if kind == "bool" else value)
    if kwargs:
        raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kwargs))}'")
    return values


def _int_list(name: str, param: str, value, where: str) -> tuple[int, ...]:
    """An int list argument as torch's parser reads one that also takes a single int
    (torch's int[1]): an int, or a sequence of ints, with torch's TypeErrors."""
    if _is_int(value):
        return (int(value),)
    if not isinstance(value, list | tuple):
        raise TypeError(
            f"{name}(): argument '{param}'{where} must be tuple of ints, not {type(value).__name__}"
        )
    for i, item in enumerate(value):
        if not _is_int(item):
            raise TypeError(
                f"{name}(): argument '{param}'{where} must be tuple of ints, but found element "
                f"of type {type(item).__name__} at pos {i}"
            )
    return tuple(int(v) for v in value)


def _int_list_varargs(name: str, param: str, args: tuple, kwargs: dict) -> tuple[int, ...]:
    """A method's int list given as ints (torch's varargs), one sequence, or by keyword
    (where a single int is refused), with torch's TypeErrors."""
    if kwargs.keys() - {param}:
        raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if args and kwargs:
        raise TypeError(f"{name}() got multiple values for argument '{param}'")
    if not args and not kwargs:
        raise TypeError(f'{name}() missing 1 required positional arguments: "{param}"')
    if kwargs:
        value = kwargs[param]
        if _is_int(value):
            raise TypeError(f"{name}(): argument '{param}' must be tuple of ints, not int")
        return _int_list(name, param, value, "")
    if len(args) == 1:
        return _int_list(name, param, args[0], " (position 1)")
    for i, item in enumerate(args):
        if not _is_int(item):
            raise TypeError(
                f"{name}(): argument '{param}' failed to unpack the object at pos {i + 1} with "
                f'error "type must be tuple of ints,but got {type(item).__name__}"'
            )
    return tuple(int(v) for v in args)


def _extra_arguments(name: str, fewest: int, most: int, given: int) -> str:
    """torch's error for more positional arguments than a signature takes."""
    if fewest != most:
        return f"{name}() takes from {fewest} to {most} positional arguments but {given} were given"
    plural, verb = ("" if most == 1 else "s"), ("was" if given == 1 else "were")
    return f"{name}() takes {most} positional argument{plural} but {given} {verb} given"


def _sort_signatures(name: str, function: bool) -> list[tuple]:
    """torch's two signatures of sort or argsort, the method's or the torch.<function>'s:
    (params for _arguments, how many are required, how many may be positional, how many
    arguments it takes with its input and `out`, the names it takes only by keyword, and
    the signature as torch's errors print it)."""
    lead = "Tensor input, " if function else ""
    out = {"sort": "tuple of Tensors out = None", "argsort": "Tensor out = None"}[name]
    plain_out = function and name == "sort"  # argsort's plain signature has no `out`
    keyword = (("stable", "bool?" if name == "sort" else "bool"), ("dim", "int", -1))
    keyword += (("descending", "bool"),)
    return [
        (
            keyword,
            1,
            0,
            3 + 2 * function,
            {"stable", "dim", "descending", *(["out"] if function else [])},
            f"({lead}*, bool stable, int dim = -1, bool descending = False"
            + (f", {out})" if function else ")"),
        ),
        (
            (("dim", "int", -1), ("descending", "bool")),
            0,
            2,
            2 + function + plain_out,
            {"out"} if plain_out else set(),
            f"({lead}int dim = -1, bool descending = False"
            + (f", *, {out})" if plain_out else ")"),
        ),
    ]


def _sort_arguments(name: str, args: tuple, kwargs: dict, first: int) -> tuple:
    """(dim, descending, stable) from the arguments of sort or argsort (`first` 2 for the
    torch.<function>, whose input torch counts), by torch's two signatures: (dim=-1,
    descending=False), where stable is None, or (*, stable, dim=-1, descending=False), where
    it is a bool (sort's takes None, as False). torch's TypeErrors: the signature's own when
    only one takes that many arguments, else the list of both."""
    function = first == 2
    signatures = _sort_signatures(name, function)
    for params, required, positional, *_ in signatures:
        try:
            values = _arguments(name, args, dict(kwargs), params, first, required, positional)
        except TypeError:
            continue
        if required:  # the keyword signature
            stable, dim, descending = values
            return dim, descending, bool(stable)
        return (*values, None)
    given = len(args) + len(kwargs) + function
    plausible = [s for s in signatures if s[1] + function <= given <= s[3]]
    if len(plausible) == 1:  # its own error
        params, required, positional, *_ = plausible[0]
        _arguments(name, args, dict(kwargs), params, first, required, positional)
    positional = ["Tensor"] * function + [_type_name(a) for a in args]
    keywords = [f"{k}={_type_name(v)}" for k, v in kwargs.items()]
    got = ", ".join(positional + keywords) + (", " if keywords and not positional else "")
    # torch marks every argument as wrong but a tensor input, its only one without a default
    marked = ["Tensor"] * function + [f"!{_type_name(a)}!" for a in args]
    marked += [f"{k}=!{_type_name(v)}!" for k, v in kwargs.items()]
    lines = [f"{name}() received an invalid combination of arguments - got ({got}), but "]
    lines[0] += "expected one of:"
    why = "      didn't match because some of the"
    for _, _, _, most, keyword_only, printed in signatures:
        lines.append(f" * {printed}")
        if given == most + printed.count("*"):  # torch counts the "*" as an argument here
            wrong = [k for k in kwargs if k not in keyword_only]
            if wrong:
                lines.append(f"{why} keywords were incorrect: {', '.join(wrong)}")
            else:
                lines.append(f"{why} arguments have invalid types: ({', '.join(marked)})")
    raise TypeError("\n".join(lines) + "\n")


def _type_name(value) -> str:
    """A value's type as torch's messages name it (module-qualified outside the builtins)."""
    if isinstance(value, Tensor):
        return "Tensor"
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


def got_arguments(args: tuple, kwargs: dict) -> str:
    """The kinds of the arguments given, as torch's overload errors list them."""
    got = ", ".join(
        [type(a).__name__ for a in args] + [f"{k}={type(v).__name__}" for k, v in kwargs.items()]
    )
    return got + ", " if kwargs and not args else got


def repeat_counts(repeats: Tensor, size: int, dim: int) -> np.ndarray:
    """repeat_interleave's tensor of counts, read, with torch's checks: 0-d or 1-d int64,
    none negative, one per slice along `dim` (or one for all of them)."""
    if repeats.ndim > 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    if repeats.is_floating_point():
        kind = rules.TORCH_TYPE_NAME[repeats._meta.dtype]
        raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for '{kind}'")
    if repeats.numel() not in (1, size):
        raise RuntimeError(
            "repeats must have the same size as input along dim, but got repeats.size(0) = "
            f"{repeats.numel()} and input.size({dim}) = {size}"
        )
    counts = np.broadcast_to(np.asarray(repeats.numpy(), np.int64).reshape(-1), (size,))
    if (counts < 0).any():
        raise RuntimeError("repeats can not be negative")
    return counts


def repeated_positions(repeats: Tensor) -> Tensor:
    """torch.repeat_interleave(repeats): each position i of a 1-d tensor of counts,
    repeats[i] times (int64)."""
    if repeats.ndim != 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    counts = repeat_counts(repeats, repeats.numel(), 0)
    return repeats._session.tensor(np.repeat(np.arange(counts.size), counts))


def _overloads_error(name: str, input: Tensor, args: tuple, kwargs: dict, first: int, signatures):
    """torch's error for arguments that match none of `name`'s overloads (`signatures`,
    each without the input), of the method or (`first` 2) the torch.<name> function."""
    function = first == 2
    given = got_arguments((input, *args) if function else args, kwargs)
    prefix = "Tensor input, " if function else ""
    listed = "".join(f" * ({prefix}{signature})\n" for signature in signatures)
    return (
        f"{name}() received an invalid combination of arguments - got ({given}), but expected "
        f"one of:\n{listed}"
    )


def _movedim_overloads(name: str, input: Tensor, args: tuple, kwargs: dict, first: int) -> str:
    signatures = ("int source, int destination", "tuple of ints source, tuple of ints destination")
    return _overloads_error(name, input, args, kwargs, first, signatures)


def _repeat_interleave_overloads(input: Tensor, args: tuple, kwargs: dict, first: int) -> str:
    signatures = [
        f"{kind} repeats, int dim = None, *, int output_size = None" for kind in ("Tensor", "int")
    ]
    return _overloads_error("repeat_interleave", input, args, kwargs, first, signatures)


def _narrow_overloads(input: Tensor, args: tuple, kwargs: dict, first: int) -> str:
    """torch's error for a start neither an int nor a tensor, each argument marked by its
    overload's parser as torch's (positional arguments only; keywords as positions)."""
    function = first == 2
    given = [*((input,) if function else ()), *args]
    lines = []
    for start_kind in ("Tensor", "int"):
        marks = [type(a).__name__ for a in given]
        for position, kind in enumerate(("int", start_kind, "int"), start=len(given) - len(args)):
            if position < len(given):
                value = given[position]
                fits = isinstance(value, Tensor) if kind == "Tensor" else _is_int(value)
                marks[position] = marks[position] if fits else f"!{marks[position]}!"
        for key, value in kwargs.items():
            fits = _is_int(value) or (key == "start" and start_kind == "Tensor")
            mark = f"{key}={type(value).__name__}"
            marks.append(mark if fits else f"!{mark}!")
        prefix = "Tensor input, " if function else ""
        lines.append(
            f" * ({prefix}int dim, {start_kind} start, int length)\n      didn't match because "
            f"some of the arguments have invalid types: ({', '.join(marks)})\n"
        )
    return (
        f"narrow() received an invalid combination of arguments - got "
        f"({got_arguments(tuple(given), kwargs)}), but expected one of:\n{''.join(lines)}"
    )


def _index_fill_overloads(input: Tensor, args: tuple, kwargs: dict, first: int) -> str:
    """torch's error for a value neither a tensor nor a number, each argument marked by its
    overload's parser as torch's (the value, always; the others where they do not fit)."""
    given = [*((input,) if first == 2 else ()), *args]
    kinds = ("int", "Tensor", "value")
    marks = [type(a).__name__ for a in given]
    for position, kind in enumerate(kinds, start=len(given) - len(args)):
        if position < len(given):
            value = given[position]
            fits = {"int": _is_int(value), "Tensor": isinstance(value, Tensor)}.get(kind, False)
            marks[position] = marks[position] if fits else f"!{marks[position]}!"
    marks += [f"!{key}={type(value).__name__}!" for key, value in kwargs.items()]
    prefix = "Tensor input, " if first == 2 else ""
    lines = "".join(
        f" * ({prefix}int dim, Tensor index, {kind} value)\n      didn't match because some "
        f"of the arguments have invalid types: ({', '.join(marks)})\n"
        for kind in ("Tensor", "Number")
    )
    return (
        "index_fill() received an invalid combination of arguments - got "
        f"({got_arguments(tuple(given), kwargs)}), but expected one of:\n{lines}"
    )


def _prod_overloads(input: Tensor, args: tuple, kwargs: dict, first: int) -> str:
    """torch's error for prod() arguments that match neither of its overloads, the method's
    or (`first` 2) the torch.prod function's."""
    function = first == 2
    given = got_arguments((input, *args) if function else args, kwargs)
    prefix, out = ("Tensor input, ", ", Tensor out = None") if function else ("", "")
    return (
        f"prod() received an invalid combination of arguments - got ({given}), but expected "
        f"one of:\n * ({prefix}*, torch.dtype dtype = None)\n"
        f" * ({prefix}int dim, bool keepdim = False, *, torch.dtype dtype = None{out})\n"
    )


def _extreme_overloads(name: str, args: tuple, kwargs: dict) -> str:
    """torch's error for max() or min() arguments that match none of its overloads."""
    got = got_arguments(args, kwargs)
    why = (
        "some of the keywords were incorrect: " + ", ".join(kwargs)
        if kwargs
        else "some of the arguments have invalid types: ("
        + ", ".join(f"!{type(a).__name__}!" for a in args)
        + ")"
    )
    return (
        f"{name}() received an invalid combination of arguments - got ({got}), but expected "
        f"one of:\n * ()\n      didn't match because {why}\n * (Tensor other)\n"
        f"      didn't match because {why}\n * (int dim, bool keepdim = False)\n"
    )


def int_argument(value) -> int | None:
    """An int argument as torch's parser takes it (a Python or NumPy integer, or a 0-d
    integer tensor, read), else None."""
    if isinstance(value, Tensor) and value.ndim == 0 and not value.is_floating_point():
        value = value.item()
    return int(value) if _is_int(value) else None


def refuse_generator(generator) -> None:
    if generator is not None:
        raise Unsupported("gradrpc: generator= is not supported (the session draws)")


_RANDOM_SIGNATURES = (
    "*, torch.Generator generator = None",
    "int from, int to, *, torch.Generator generator = None",
    "int to, *, torch.Generator generator = None",
)


def _random_arguments(args: tuple, kwargs: dict) -> tuple[int, int | None]:
    """random_'s (from, to) from its three signatures: (), (to), (from, to); a `to` of None
    stands for the dtype's largest."""
    if len(args) > 2:
        raise TypeError(f"random_() takes 2 positional arguments but {len(args)} were given")
    keywords = dict(kwargs)
    given = [*args, *([keywords.pop("to")] if "to" in keywords else [])]
    ints = [int_argument(value) for value in given]
    if not keywords:
        if not given:
            return 0, None
        if len(given) == 1 and ints[0] is not None:
            return 0, ints[0]
        if len(given) == 2 and ints[0] is not None and (given[1] is None or ints[1] is not None):
            return ints[0], ints[1]
    lines = [f" * ({signature})\n" for signature in _RANDOM_SIGNATURES]
    if len(args) == 2 and not kwargs:  # torch blames both on its first signature
        marked = ", ".join(f"!{type(a).__name__}!" for a in args)
        lines[0] += (
            f"      didn't match because some of the arguments have invalid types: ({marked})\n"
        )
    raise TypeError(
        f"random_() received an invalid combination of arguments - got "
        f"({got_arguments(args, kwargs)}), but expected one of:\n" + "".join(lines)
    )


def _bound(name: str, param: str, value):
    """A number clamp bound, or torch's TypeError."""
    if _number(value) is None:
        raise TypeError(
            f"{name}(): argument '{param}' (position 1) must be Number, not {type(value).__name__}"
        )
    return _number(value)


# ---------------------------------------------------------------- queueing one op

_SCALAR_ARGUMENT_OPS = frozenset(
    {"pow", "rsub", "remainder", "fmod", "xlogy", "copysign", "special_xlog1py", "special_zeta"}
)


def edge_positions(op: str, spec, name: str, metas: Sequence, needs, attrs: dict) -> tuple:
    """Which operands of `op` (metas: a number's is the number) torch's node has an edge
    for, in order: its next_functions."""
    # torch's pow and rsub take a Python number as a Scalar argument, not as an input:
    # their node has no edge for it (mul, add, sub and div wrap it as a tensor input,
    # unless called as their Scalar overload). Nor has a node an edge for an input that
    # is never differentiated (nll_loss's target, index's indices). torch's NotImplemented
    # node has edges only for the inputs that require a gradient.
    scalar_argument = op in _SCALAR_ARGUMENT_OPS or attrs.get("scalar_overload")
    differentiable = spec.differentiates(len(metas))
    if name == "torch::autograd::NotImplemented":
        differentiable = needs
    return tuple(
        i
        for i, (m, differentiated) in enumerate(zip(metas, differentiable, strict=True))
        if differentiated and (isinstance(m, TensorMeta) or not scalar_argument)
    )


def _node(op: str, spec, operands: Sequence, metas: list, attrs: dict, needs, out_meta) -> Node:
    """The mirror of the node the server records for `op` (some input needs a gradient)."""
    name = spec.grad_fn(metas, attrs)
    operand_edges = tuple(
        _edge(o) if need else None for o, need in zip(operands, needs, strict=True)
    )
    edges = tuple(
        (operand_edges[i], 0) for i in edge_positions(op, spec, name, metas, needs, attrs)
    )
    # torch's C++-only nodes are named with their namespace; their class is not
    saves = bool(spec.saves(needs, attrs))
    node = node_class(name.rpartition("::")[2])(name, edges, saves)
    if spec.passes_gradient is not None and not spec.passes_gradient(attrs):
        node._passes_nothing = True
    node._forward = (op, attrs, tuple(metas), tuple(needs), operand_edges, out_meta)
    return node


def _mirror_call(session, op: str, operands: Sequence, attrs: dict) -> Tensor:
    """`op` applied on the mirror only, while recording: a result without a handle whose
    grad_fn is the node the server records (how a create_graph pass predicts its graph)."""
    metas = [o._meta if isinstance(o, Tensor) else o for o in operands]
    spec, full_attrs, out_meta = rules.infer(op, metas, attrs)
    requires = [isinstance(o, Tensor) and o._requires_grad for o in operands]
    needs = rules.gradient_needs(spec, requires, out_meta, True)
    node = _node(op, spec, operands, metas, full_attrs, needs, out_meta) if any(needs) else None
    return Tensor._make(session, 0, out_meta, node is not None, node)


def _apply(session, op: str, operands: Sequence, attrs: dict) -> Tensor:
    """Validate `op` with its rule, queue it, and return its result's proxy (with grad_fn)."""
    metas = [o._meta if isinstance(o, Tensor) else o for o in operands]
    spec, full_attrs, out_meta = rules.infer(op, metas, attrs)
    inputs, requires = [], []
    for o in operands:
        if isinstance(o, Tensor):
            if o._session is not session:
                raise RuntimeError("gradrpc: tensors belong to different sessions")
            session.check_usable(o._handle)
            inputs.append({"handle": o._handle})
            requires.append(o._requires_grad)
        else:
            inputs.append(_scalar(o))
            requires.append(False)
    grad_on = is_grad_enabled()
    needs = rules.gradient_needs(spec, requires, out_meta, grad_on)
    node = None
    if any(needs):  # before a handle is taken: reading an input's grad_fn may raise
        node = _node(op, spec, operands, metas, full_attrs, needs, out_meta)
    handle = session.new_handle()
    out = Tensor._make(session, handle, out_meta, node is not None, node)
    if spec.view:
        base = operands[0] if operands[0]._base is None else operands[0]._base
        out._base = base
        if not grad_on:
            out._requires_grad = base._requires_grad  # torch's requires_grad() of a view
        out._creation = rules.view_creation(grad_on, spec.multi_output, operands[0]._creation)
        if grad_on and spec.multi_output:
            out._output_nr = full_attrs["index"]
        out._attr_version = base._writes
        if grad_on and not (base.grad_fn is None and base._requires_grad):
            if base._views is None:
                base._views = weakref.WeakSet()
            base._views.add(out)
    call = {"op": op, "inputs": inputs, "output": handle}
    if not grad_on:
        call["no_grad"] = True  # proto3: False is the default, not worth a field to set
    if attrs:
        call["attrs"] = {k: _attr(v) for k, v in attrs.items() if v is not None}
    session.enqueue_fields(op, "call", call, handle)
    return out
