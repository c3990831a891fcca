"""Tensors, backward nodes, and the backward pass.

A result that requires grad points at a `Node`: its op, the arrays its backward saved, and
one edge per input (the input's own node, the leaf tensor whose .grad accumulates, or None).
Backward is iterative: it counts each reachable node's consumers, then runs nodes in
torch's order (newest first) once all their gradients have arrived, summing fan-out
contributions, un-broadcasting each input's gradient once, centrally, and accumulating into
leaves only after the whole pass succeeded (so a failed backward changes nothing). Saved
arrays are freed afterwards unless `retain_graph`, and a second pass through a node whose
saved tensors were freed raises torch's error.

Like torch, the kernels give nan and inf without a warning only under
`np.errstate(all="ignore")`, which the caller enters once around its calls (the server's
executor does, for each batch): entered here, it would cost about a microsecond per op.
"""

from __future__ import annotations

import itertools
import math
import sys
import weakref
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from typing import NamedTuple

import numpy as np
from numba.core.runtime._nrt_python import _MemInfo  # what Numba-allocated arrays own

from . import higher_order, rules, traversal
from .errors import (
    CREATE_GRAPH_PAUSE_MESSAGE,
    GRAPH_FREED_MESSAGE,
    GraphFreed,
    InPlaceOnView,
    InvalidValue,
    ShapeMismatch,
    TensorModified,
    Unsupported,
)
from .ops import NUMPY_DTYPES, OpImpl, op_impl, reduce_sum, sum_to_shape
from .rules import TensorMeta

TORCH_TENSOR_TYPE = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "int64": "LongTensor",
    "bool": "BoolTensor",
}

_sequence = itertools.count()
_RESULT = "result"  # a saved tensor's producer when it is the node's own result


class VersionCounter:
    """Counts in-place writes to a storage; shared by a tensor and its views."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


class Tensor:
    """A server-side tensor: NumPy data plus torch's metadata and autograd state."""

    __slots__ = (
        "__weakref__",
        "attr_version",
        "base",
        "creation",
        "data",
        "grad",
        "grad_fn",
        "hook_key",
        "meta",
        "node_hook_keys",
        "output_nr",
        "post_hook_key",
        "requires_grad",
        "retains_grad",
        "version",
        "view_steps",
        "views",
    )

    def __init__(
        self,
        data: np.ndarray,
        meta: TensorMeta | None = None,
        requires_grad: bool = False,
        grad_fn: Node | None = None,
        version: VersionCounter | None = None,
    ) -> None:
        # NumPy hands back scalars for 0-d arithmetic; a tensor always holds an array.
        self.data = data if isinstance(data, np.ndarray) else np.asarray(data)
        self.meta = meta or rules.meta(self.data.shape, self.data.dtype.name)
        self.requires_grad = requires_grad
        self.grad_fn = grad_fn
        self.grad: Tensor | None = None
        self.retains_grad = False
        # a leaf's tensor hooks and post-accumulate-grad hooks live in the client: a pass
        # pauses for them under these keys (0: none; see `set_hook_key`)
        self.hook_key = 0
        self.post_hook_key = 0
        self.version = version or VersionCounter()
        self.base: Tensor | None = None  # the tensor whose storage a view shares (torch's _base)
        self.view_steps: tuple = ()  # a view's (forward, attrs) from base's data to its own
        # torch's CreationMeta of a view: None (DEFAULT), NO_GRAD_MODE (made under no_grad) or
        # MULTI_OUTPUT_NODE (one of several views, or a view of one, made while recording);
        # such a view refuses in-place writes while recording, and its use once the storage's
        # version has moved past `attr_version`. `output_nr` is its place among the pieces.
        self.creation: str | None = None
        self.output_nr = 0
        self.attr_version = 0
        # the live differentiable views of a base an in-place op with history may change
        self.views: weakref.WeakSet[Tensor] | None = None

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def dtype(self) -> str:
        return self.meta.dtype

    def __repr__(self) -> str:
        return f"Tensor({self.data!r}, requires_grad={self.requires_grad})"


# (version counter, the version at save time, the tensor's metadata, the node that produced
# it: its grad_fn, None for a leaf, _RESULT for the saving node's own output; a weak
# reference to a saved input, whose grad_fn may change with an in-place op). Not the tensor
# itself, which would keep its data alive after the graph is freed.
SavedVersion = tuple[VersionCounter, int, TensorMeta, "Node | str | None", "weakref.ref | None"]


class Node:
    """The backward of one op application (torch's grad_fn)."""

    __slots__ = (
        "__weakref__",
        "attrs",
        "edges",
        "freed",
        "has_saved_tensors",
        "hook_key",
        "impl",
        "inputs",
        "name",
        "needs",
        "node_hook_keys",
        "origin",
        "retained",
        "saved",
        "saved_versions",
        "sequence",
    )

    def __init__(
        self, name, impl, attrs, inputs, needs, edges, saved, saved_versions, has_saved_tensors
    ):
        self.name = name
        self.impl = impl
        self.attrs = attrs
        self.inputs: tuple[TensorMeta | None, ...] = inputs
        self.needs: tuple[bool, ...] = needs
        self.edges: tuple[Node | Tensor | None, ...] = edges
        self.saved: dict[str, np.ndarray] | None = saved
        self.saved_versions: list[SavedVersion] = saved_versions
        self.has_saved_tensors = has_saved_tensors
        self.freed = False
        self.retained: weakref.ref[Tensor] | None = None
        self.hook_key = 0  # the client's hooks on the tensor this node made (see set_hook_key)
        self.sequence = next(_sequence)

    def __repr__(self) -> str:
        return f"<{self.name}>"


# ---------------------------------------------------------------- applying ops


def _as_array(operand, dtype: np.dtype) -> np.ndarray | np.generic:
    """A tensor's data in `dtype`; a Python number as a NumPy scalar of `dtype`."""
    if isinstance(operand, Tensor):
        return operand.data if operand.data.dtype == dtype else operand.data.astype(dtype)
    return dtype.type(operand)


_SMALL_INTEGERS = frozenset(NUMPY_DTYPES[d] for d in rules.SMALL_INTEGER_DTYPES)


def _widened(operands: Sequence, plan: _CallPlan) -> list[np.ndarray | np.generic]:
    """The arrays an op's kernels receive when it reads or computes in a smaller integer
    dtype: int64, holding the values of the raw operands, and of the others converted to the
    dtype the op computes in (wrapping around, as torch converts a number or 0-d tensor)."""
    arrays = []
    for o, raw in zip(operands, plan.raw, strict=True):
        if raw:
            arrays.append(o.data.astype(np.int64) if o.data.dtype in _SMALL_INTEGERS else o.data)
        elif plan.compute in _SMALL_INTEGERS:
            data = o.data if isinstance(o, Tensor) else np.asarray(o)
            arrays.append(data.astype(plan.compute).astype(np.int64))
        else:
            arrays.append(_as_array(o, plan.compute))
    return arrays


class _CallPlan:
    """What `call` derives from the op, its operands' metadata (or numbers), attrs, which
    operands require grad, the grad mode and the default float dtype: the same every step
    of a training loop, so it is memoized by those (see `_plan`)."""

    __slots__ = (
        "attrs",
        "compute",
        "grad_fn",
        "has_saved_tensors",
        "impl",
        "input_metas",
        "is_view",
        "multi_output",
        "needs",
        "out_dtype",
        "out_meta",
        "raw",
        "saved_inputs",
        "saves_result",
        "widens",
    )

    def __init__(self, op: str, metas: list, attrs: dict, requires: list, grad_enabled: bool):
        spec, self.attrs, self.out_meta = rules.infer(op, metas, attrs)
        self.impl = impl = op_impl(op)
        self.is_view = spec.view
        self.multi_output = spec.multi_output
        self.out_dtype = NUMPY_DTYPES[self.out_meta.dtype]
        compute = spec.computes_in(metas, self.out_meta)
        self.compute = NUMPY_DTYPES[compute]
        if compute in rules.SMALL_INTEGER_DTYPES:
            self.attrs = rules.narrowed_scalars(spec, self.attrs, compute)
        self.widens = not impl.view and any(
            m.dtype in rules.SMALL_INTEGER_DTYPES
            for m in (*metas, self.out_meta)
            if isinstance(m, TensorMeta)
        )
        names = spec.input_names(len(metas))
        # operands passed as they are (views, and the inputs that keep their own dtype)
        self.raw = tuple(impl.view or name in impl.own_dtype for name in names)
        self.needs = rules.gradient_needs(spec, requires, self.out_meta, grad_enabled)
        saved_names = spec.saves(self.needs, self.attrs) if any(self.needs) else ()
        # (index, name, is a tensor, is one of a variadic op's repeated inputs, saved as a
        # list) of the inputs the backward keeps: the saved ones, and every number (a vjp
        # reads it as an attribute of the node)
        repeated = spec.inputs[-1] if spec.variadic else None
        self.saved_inputs = tuple(
            (i, name, isinstance(m, TensorMeta), name == repeated)
            for i, (name, m) in enumerate(zip(names, metas, strict=True))
            if name in saved_names or not isinstance(m, TensorMeta)
        )
        self.saves_result = "result" in saved_names
        self.has_saved_tensors = bool(saved_names)
        self.grad_fn = spec.grad_fn(metas, self.attrs) if any(self.needs) else None
        self.input_metas = tuple(m if isinstance(m, TensorMeta) else None for m in metas)


_PLANS: dict[tuple, _CallPlan] = {}
_PLANS_MAX = 4096


def _plan(op: str, operands: Sequence, attrs: dict, grad_enabled: bool) -> _CallPlan:
    metas = [o.meta if isinstance(o, Tensor) else o for o in operands]
    requires = [isinstance(o, Tensor) and o.requires_grad for o in operands]
    key = (
        op,
        grad_enabled,
        rules.default_float(),  # what the rules give integer-to-float results and Python floats
        tuple(requires),
        *[m if type(m) is TensorMeta else rules.typed_key(m) for m in metas],
        *[(name, rules.typed_key(value)) for name, value in attrs.items()],
    )
    try:
        plan = _PLANS.get(key)
    except TypeError:  # an unhashable attribute: plan without the memo
        return _CallPlan(op, metas, attrs, requires, grad_enabled)
    if plan is None:
        plan = _CallPlan(op, metas, attrs, requires, grad_enabled)
        if len(_PLANS) >= _PLANS_MAX:
            _PLANS.clear()
        _PLANS[key] = plan
    return plan


def call(
    op: str, operands: Sequence[Tensor | float | int | bool], attrs: dict, grad_enabled: bool = True
) -> Tensor:
    """Apply an op of the table, recording a backward node when a gradient can flow."""
    plan = _plan(op, operands, attrs, grad_enabled)
    if plan.widens:
        arrays = _widened(operands, plan)
    else:
        compute = plan.compute
        arrays = [
            o.data if raw else _as_array(o, compute)
            for o, raw in zip(operands, plan.raw, strict=True)
        ]
    result = plan.impl.forward(*arrays, **plan.attrs)
    if not isinstance(result, np.ndarray) or result.dtype != plan.out_dtype:
        result = np.asarray(result).astype(plan.out_dtype, copy=False)
    version = operands[0].version if plan.impl.view else None
    if plan.grad_fn is None:
        out = Tensor(result, plan.out_meta, version=version)
        if plan.is_view:
            _link_view(out, operands[0], plan, grad_enabled)
        return out
    saved: dict[str, np.ndarray] = {}
    saved_versions: list[SavedVersion] = []
    for i, name, is_tensor, in_list in plan.saved_inputs:
        if in_list:
            saved.setdefault(name, []).append(arrays[i])
        else:
            saved[name] = arrays[i]
        if is_tensor:
            o = operands[i]
            saved_versions.append((o.version, o.version.value, o.meta, o.grad_fn, weakref.ref(o)))
    out = Tensor(result, plan.out_meta, requires_grad=True, version=version)
    if plan.saves_result:
        saved["result"] = result
        saved_versions.append((out.version, out.version.value, plan.out_meta, _RESULT, None))
    edges = tuple(_edge(o) if need else None for o, need in zip(operands, plan.needs, strict=True))
    out.grad_fn = Node(
        plan.grad_fn,
        plan.impl,
        plan.attrs,
        plan.input_metas,
        plan.needs,
        edges,
        saved,
        saved_versions,
        plan.has_saved_tensors,
    )
    if plan.is_view:
        _link_view(out, operands[0], plan, grad_enabled)
    return out


def _edge(t: Tensor) -> Node | Tensor | None:
    """Where a gradient for `t` goes: its grad_fn, or the leaf itself; nowhere for a view made
    under no_grad, which requires grad as its base does but has no accumulator of its own. A
    view made under no_grad or by a function that returns several views has no usable
    grad_fn once the storage it shares was written to (torch's VariableHooks::grad_fn)."""
    if t.creation is not None:
        if t.version.value != t.attr_version:
            raise _view_error(t, indirect=True)
        if t.grad_fn is None and t.creation == rules.NO_GRAD_MODE:
            return None
    return t.grad_fn or t


def _view_error(t: Tensor, indirect: bool = False) -> InPlaceOnView | None:
    """torch's refusal of an in-place write to `t` while recording (`indirect`: of its use
    after a write to its storage), when `t` is a view made under no_grad or by a function
    that returns several views."""
    if t.creation is None:
        return None
    return rules.view_rebase_error(t.creation, t.output_nr, t.grad_fn and t.grad_fn.name, indirect)


def _link_view(view: Tensor, source: Tensor, plan: _CallPlan, grad_enabled: bool) -> None:
    """Record the view's base and how to take it from the base (torch's _base and view_fn);
    one made while recording is differentiable, and an in-place op with history on its base
    regenerates its grad_fn (a leaf that requires grad allows no such op)."""
    base = source if source.base is None else source.base
    view.base = base
    view.view_steps = (*source.view_steps, (plan.impl.forward, plan.attrs))
    if not grad_enabled:
        view.requires_grad = base.requires_grad  # torch's requires_grad() of a view
    view.creation = rules.view_creation(grad_enabled, plan.multi_output, source.creation)
    if grad_enabled and plan.multi_output:
        view.output_nr = plan.attrs["index"]
    view.attr_version = view.version.value
    if grad_enabled and not (base.is_leaf and base.requires_grad):
        if base.views is None:
            base.views = weakref.WeakSet()
        base.views.add(view)


def _view_of(array: np.ndarray, steps: tuple) -> np.ndarray:
    """The part of a base-shaped `array` a view with these steps sees (a NumPy view of it)."""
    for forward, attrs in steps:
        array = forward(array, **attrs)
    return array


def detach(t: Tensor, new_version_counter: bool = False) -> Tensor:
    """A leaf sharing `t`'s data, without history; it shares `t`'s version counter too
    (Tensor.detach) unless `new_version_counter` (Tensor.data)."""
    return Tensor(t.data, t.meta, version=None if new_version_counter else t.version)


def retain_grad(t: Tensor) -> None:
    """Keep the gradient of non-leaf `t` in its .grad after backward (a no-op for a leaf
    that requires grad)."""
    rules.check_retain_grad(t.requires_grad)
    if t.is_leaf:
        return
    t.retains_grad = True
    t.grad_fn.retained = weakref.ref(t)


def set_requires_grad(t: Tensor, requires_grad: bool) -> None:
    """torch's Tensor.requires_grad_: only leaves, only floating types."""
    if rules.check_set_requires_grad(t.is_leaf, t.dtype, requires_grad):
        t.requires_grad = requires_grad


def zero_(t: Tensor, grad_enabled: bool = True) -> None:
    """Fill `t` with zeros in place."""
    rules.check_in_place(
        t.requires_grad, t.is_leaf, grad_enabled, _view_of_leaf(t), view_error=_view_error(t)
    )
    t.data[...] = 0
    t.version.value += 1


def copy_(
    target: Tensor, source: Tensor, grad_enabled: bool = True, adopt_history: bool = False
) -> None:
    """Write `source`'s values, broadcast and converted, into `target` in place. With
    `adopt_history`, `source` is what an op computed from `target` and `target` becomes that
    op's in-place form (`y.add_(1)` is `add(y, 1)` then this): it takes source's history."""
    if adopt_history and grad_enabled and (target.requires_grad or source.requires_grad):
        _adopt_history(target, source)
        return
    rules.check_in_place(
        target.requires_grad,
        target.is_leaf,
        grad_enabled,
        _view_of_leaf(target),
        view_error=_view_error(target),
    )
    if not adopt_history:  # an in-place form that torch refuses there, the client refuses
        rules.check_no_internal_overlap(target.meta)
    rules.check_copy(target.meta, source.meta, source.requires_grad, grad_enabled)
    _write(target, source.data)
    target.version.value += 1


def adopt_view(target: Tensor, source: Tensor, grad_enabled: bool = True) -> None:
    """torch's in-place view ops (t_, transpose_, squeeze_, unsqueeze_): `source`, the view the
    op made of `target`, becomes target itself. Target takes its shape and strides on the same
    storage and its version moves; while recording, its grad_fn becomes source's node under the
    in-place name (TBackward1), and the live views of a base take their part of its new
    history, as after any in-place op."""
    if source.base is not (target if target.base is None else target.base):
        raise InvalidValue("adopt_view needs a source that is a view of the target")
    recording = grad_enabled and target.requires_grad
    rules.check_in_place(
        target.requires_grad,
        target.is_leaf,
        grad_enabled,
        _view_of_leaf(target),
        history=True,
        view_error=_view_error(target),
    )
    old_shape = target.meta.shape
    target.data, target.meta = source.data, source.meta
    target.version.value += 1
    forward, attrs = source.view_steps[-1]
    if target.base is not None:
        target.view_steps = source.view_steps
        if target.base.views is not None:
            target.base.views.discard(source)
    elif target.views:
        # the views' steps start from target's old layout: first the way back to it
        back = (forward, attrs) if len(old_shape) == target.meta.ndim else _unit_dims(old_shape)
        target.views.discard(source)
        for view in target.views:
            view.view_steps = (back, *view.view_steps)
    if not recording:
        return
    node = source.grad_fn
    node.name = rules.IN_PLACE_VIEW_GRAD_FN[node.name]
    node.impl = replace(node.impl, in_place=True)  # torch names it so in its version errors
    _rebase(target, node, True)
    if target.base is None:
        _regenerate_views(target, target)


def _reshaped(array: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return array.reshape(shape)


def _unit_dims(shape: tuple[int, ...]) -> tuple:
    """A view step to `shape` from an array that has its sizes, with unit dims added or
    removed (NumPy reshapes so without a copy)."""
    return (_reshaped, {"shape": shape})


# Whether some tensor with history was detached in place: only then does a backward look for
# saved tensors so detached (see _check_detached).
_detached_in_place = False


def detach_(t: Tensor) -> None:
    """torch's Tensor.detach_: `t` loses its history and no longer requires grad; refused on a
    view."""
    global _detached_in_place
    if t.base is not None:
        raise InPlaceOnView(rules.DETACH_VIEW_IN_PLACE_MESSAGE)
    _detached_in_place = _detached_in_place or t.grad_fn is not None
    t.grad_fn = None
    t.requires_grad = False


def _write(target: Tensor, values: np.ndarray) -> None:
    """`values` into target's memory. Where target's elements share memory (an expanded view,
    which only masked_fill_ and index_put_ write, as in torch), only the elements the op
    changed are written, as torch's kernels write only those: an unchanged alias written
    after a changed one would undo it."""
    values = values.astype(target.data.dtype, copy=False)
    if not rules.overlaps_itself(target.meta):
        target.data[...] = values
        return
    old = target.data
    values = np.broadcast_to(values, old.shape)
    changed = ~((values == old) | ((values != values) & (old != old)))  # nan as nan is kept
    old[changed] = values[changed]


def _view_of_leaf(t: Tensor) -> bool:
    return t.base is not None and t.base.is_leaf and t.base.requires_grad


def _adopt_history(target: Tensor, source: Tensor) -> None:
    """torch's in-place op on a tensor with history: the values are written into target, whose
    grad_fn becomes source's node. That node's saved `self` (target before the write) is kept
    as a copy, as torch keeps the original self; a saved result is target itself from now on.
    Nodes that saved target earlier see its version move and refuse a backward. Through a
    view, the base takes a CopySlices node around the op's and the view an
    AsStridedBackward0 from it, as torch's do; so do the other live views of the base."""
    rules.check_in_place(
        True,
        target.is_leaf and target.requires_grad,
        True,
        target.requires_grad and _view_of_leaf(target),
        history=True,
        view_error=_view_error(target),
    )
    rules.check_copy(target.meta, source.meta, False, False)
    if source.meta.shape != target.meta.shape:
        raise InvalidValue(
            "copy with adopt_history needs a source of the target's shape "
            f"{list(target.meta.shape)}, got {list(source.meta.shape)}"
        )
    node = source.grad_fn
    saved = node.saved if node is not None and node.saved is not None else {}
    if "self" in saved:  # input 0, target: the first saved version
        if saved["self"] is target.data:  # not a copy in another dtype already
            saved["self"] = target.data.copy()
        _, _, meta, producer, _ = node.saved_versions[0]
        node.saved_versions[0] = (VersionCounter(), 0, meta, producer, None)
    _write(target, source.data)
    target.version.value += 1
    if "result" in saved:
        saved["result"] = target.data
        node.saved_versions = [
            (target.version, target.version.value, e[2], _RESULT, None) if e[3] is _RESULT else e
            for e in node.saved_versions
        ]
    if target.base is None:
        _rebase(target, node, source.requires_grad)
        _regenerate_views(target, target)
        return
    base = target.base
    copy_slices = Node(
        "CopySlices",
        _COPY_SLICES,
        {"steps": target.view_steps, "op": node, "view": target.meta},
        (base.meta, *node.inputs[1:]),
        (base.requires_grad, *node.needs[1:]),
        ((base.grad_fn or base) if base.requires_grad else None, *node.edges[1:]),
        node.saved,
        node.saved_versions,
        node.has_saved_tensors,
    )
    _rebase(base, copy_slices, True)
    _regenerate_views(base, target)
    _rebase(target, _as_strided(target, base), True)


def _regenerate_views(base: Tensor, skip: Tensor) -> None:
    """Each other live differentiable view of `base` takes its part of the base's new
    history, as torch regenerates a view's grad_fn."""
    for view in list(base.views or ()):
        if view is not skip and view.creation is None:  # the others refuse their next use
            _rebase(view, _as_strided(view, base), True)


def _as_strided(view: Tensor, base: Tensor) -> Node:
    """The grad_fn of a view of `base` whose history an in-place op changed."""
    steps = {"steps": view.view_steps}
    return Node(
        "AsStridedBackward0",
        _AS_STRIDED,
        steps,
        (base.meta,),
        (True,),
        (base.grad_fn,),
        {},
        [],
        False,
    )


def _rebase(t: Tensor, node: Node | None, requires_grad: bool) -> None:
    """Give `t` a new grad_fn after an in-place op; a retained gradient follows (torch's)."""
    if t.retains_grad and t.grad_fn is not None:
        t.grad_fn.retained = None
    t.grad_fn = node
    t.requires_grad = requires_grad
    if t.retains_grad and node is not None:
        node.retained = weakref.ref(t)


def _copy_slices_vjp(n: Node, g: np.ndarray) -> tuple:
    """The base's gradient is g, but where the view was written the op's vjp runs on that
    part and its gradient for the view's old values takes the place; the op's other inputs
    get theirs. A view whose elements share memory refuses it, as torch's does."""
    rules.check_no_internal_overlap(n.attrs["view"])
    op = n.attrs["op"]
    grad = np.array(g, order="C", copy=True)
    part = _view_of(grad, n.attrs["steps"])
    grads = op.impl.vjp(op, np.array(part, order="C", copy=True))
    first = grads[0]
    part[...] = 0 if first is None else sum_to_shape(np.asarray(first), part.shape)
    return (grad, *grads[1:])


def _as_strided_vjp(n: Node, g: np.ndarray) -> tuple:
    """A written view's gradient, placed where it sits in its base."""
    grad = np.zeros(n.inputs[0].shape, g.dtype)
    _view_of(grad, n.attrs["steps"])[...] = g
    return (grad,)


_COPY_SLICES = OpImpl(None, _copy_slices_vjp)
_AS_STRIDED = OpImpl(None, _as_strided_vjp)


def set_grad(t: Tensor, grad: Tensor | None) -> None:
    """`t.grad = grad` with torch's checks."""
    if grad is not None:
        rules.check_assigned_grad(t.meta, grad.meta)
    t.grad = grad


# ---------------------------------------------------------------- backward


def _producer_name(node: Node) -> str:
    """How torch names the op that produced a saved tensor in the modified-tensor error: a
    differentiable view that was written through is AsStrided (torch regenerates its grad_fn
    so), any other the grad_fn's name without "Backward" and without an overload 0."""
    if node.impl.view and not node.impl.in_place:
        return "AsStrided"
    return node.name.removesuffix("Backward0").replace("Backward", "")


def _check_detached(node: Node) -> None:
    """torch's refusal of a tensor saved with history that was detached in place since."""
    for _, _, _, producer, owner in node.saved_versions:
        tensor = owner() if owner is not None else None
        if isinstance(producer, Node) and tensor is not None and tensor.is_leaf:
            raise TensorModified(
                "Trying to use a saved tensor that has been detached in-place, i.e. with "
                ".detach_().This is not supported, please use out-of-place `.detach()` instead"
            )


def _check_versions(node: Node) -> None:
    if _detached_in_place:
        _check_detached(node)
    for counter, expected, meta, producer, owner in node.saved_versions:
        if counter.value == expected:
            continue
        if owner is not None and (tensor := owner()) is not None:
            # torch names the tensor's grad_fn and shape now (t_ changes its shape)
            producer, meta = tensor.grad_fn, tensor.meta
        shape = ", ".join(map(str, meta.shape))
        if producer is None:
            which = ""
        else:
            made_by = _producer_name(node if producer == _RESULT else producer)
            which = f", which is output 0 of {made_by},"
        raise TensorModified(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [torch.{TORCH_TENSOR_TYPE[meta.dtype]} [{shape}]]{which} is at "
            f"version {counter.value}; expected version {expected} instead. Hint: enable "
            "anomaly detection to find the operation that failed to compute its gradient, with "
            "torch.autograd.set_detect_anomaly(True, check_nan=False)."
        )


def _edges(node: Node):
    return (edge for edge in node.edges if edge is not None)


def _is_node(edge) -> bool:
    return isinstance(edge, Node)


def _accumulate(buffer: dict, key, grad: np.ndarray) -> None:
    previous = buffer.get(key)
    buffer[key] = grad if previous is None else previous + grad


def _fresh(array: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """A writable, contiguous array that aliases nothing else."""
    return np.array(array, dtype=dtype, order="C", copy=True)


class Pause(NamedTuple):
    """Where a pass waits for the client. `TENSOR_HOOK`: before the gradient of a tensor with
    hooks is used (`grads`: that gradient); the answer is its replacement, or None to keep
    it. `POST_ACCUMULATE_GRAD_HOOK`: after a leaf's .grad took its gradient; the answer is
    None. `FUNCTION_BACKWARD`: a custom Function's backward (`grads`: one per output, None
    where none arrived); the answer is one gradient, or None, per input. `NODE_PRE_HOOK`:
    before a node runs (`grads`: its output's gradient); the answer is the gradient it runs
    on, or None for none. `NODE_POST_HOOK`: after (`grads`: one gradient per input, None
    where there is none, then the output's); the answer is one gradient, or None, per
    input."""

    kind: str
    key: int
    grads: tuple


TENSOR_HOOK = "tensor_hook"
POST_ACCUMULATE_GRAD_HOOK = "post_accumulate_grad_hook"
FUNCTION_BACKWARD = "function_backward"
NODE_PRE_HOOK = "node_pre_hook"
NODE_POST_HOOK = "node_post_hook"

_functions_recorded = False  # whether a custom Function was ever recorded


def set_hook_key(t: Tensor, key: int, post_accumulate: bool = False) -> None:
    """Name the client's hooks on `t` `key`; a pass given the key pauses for them: a tensor
    hook before t's gradient is used (at the grad_fn t has now, as torch registers it, or
    before a leaf's accumulation), a post-accumulate-grad hook after a leaf's."""
    rules.check_hook(t.requires_grad, t.grad_fn is None, post_accumulate)
    if post_accumulate:
        t.post_hook_key = key
    elif t.grad_fn is None:
        t.hook_key = key
    else:
        t.grad_fn.hook_key = key


_NO_NODE_HOOKS = (0, 0)


def set_node_hook_key(node: Node | Tensor, key: int, post: bool) -> None:
    """Name the client's pre-hooks (or, with `post`, post-hooks) on a node `key` (a leaf
    stands for its accumulator); a pass given the key pauses before the node runs, or
    after. A node's keys are a (pre, post) pair in a slot left unset until a hook names
    them, which keeps them off the path of every op."""
    if isinstance(node, Tensor):
        rules.check_hook(node.requires_grad, node.grad_fn is None, False)
    pre, post_key = getattr(node, "node_hook_keys", _NO_NODE_HOOKS)
    node.node_hook_keys = (pre, key) if post else (key, post_key)


def find_node(tensors: Iterable[Tensor], origin: int) -> Node | None:
    """The node whose `origin` (the handle its op's result was bound to, a slot set only
    by the server) is `origin`, among the histories of `tensors`."""
    stack = [t.grad_fn for t in tensors if t.grad_fn is not None]
    seen = set(stack)
    while stack:
        node = stack.pop()
        if getattr(node, "origin", 0) == origin:
            return node
        for edge in node.edges:
            if type(edge) is Node and edge not in seen:
                seen.add(edge)
                stack.append(edge)
    return None


def _node_hooked(given: Sequence, answer: Sequence) -> tuple:
    """A node hook's answer: one gradient (or None) per one given, each of its shape and
    dtype (the client checks them with the hook's name first)."""
    if len(answer) != len(given):
        raise InvalidValue(
            f"a node hook's answer has {len(answer)} gradients, expected {len(given)}"
        )
    for g, replacement in zip(given, answer, strict=True):
        if g is not None:
            _hooked(g, replacement)
    return tuple(answer)


def _output_token(n: Node, g: np.ndarray) -> tuple:
    """A custom Function output's backward: the pass keeps `g` for the Function's node
    and passes it a 0-d token, so that it runs once every output's gradient is in."""
    return (np.zeros((), g.dtype),)


_FUNCTION_BACKWARD = OpImpl(None, None)  # the pass pauses instead of running it
_FUNCTION_OUTPUT = OpImpl(None, _output_token)


def apply_function(
    key: int,
    name: str,
    inputs: Sequence[Tensor],
    outputs: Sequence[Tensor],
    differentiable: Sequence[bool],
    saves_tensors: bool,
) -> None:
    """Record a custom autograd.Function the client ran (while recording): `outputs`, which
    it computed from `inputs` without history, become results of one node named `name`
    (each differentiable one through a node of its own that feeds it), whose backward
    pauses the pass for the client under `key`. `saves_tensors`: it refuses a second pass
    once a pass freed it, as a node with saved tensors does."""
    global _functions_recorded
    needs = tuple(t.requires_grad for t in inputs)
    if not any(needs):
        return
    edges = tuple(_edge(t) if need else None for t, need in zip(inputs, needs, strict=True))
    metas = tuple(t.meta for t in inputs)
    node = Node(name, _FUNCTION_BACKWARD, {"key": key}, metas, needs, edges, {}, [], saves_tensors)
    node.attrs["outputs"] = len(outputs)
    for i, (out, flag) in enumerate(zip(outputs, differentiable, strict=True)):
        if not flag:
            continue
        if out.grad_fn is not None or out.requires_grad or out.meta.dtype not in rules.FLOAT_DTYPES:
            raise InvalidValue(
                f"output {i} of a Function must be a new floating tensor without history"
            )
        token = (rules.meta((), out.meta.dtype),)
        piece = Node(name, _FUNCTION_OUTPUT, {"index": i}, token, (True,), (node,), {}, [], False)
        out.grad_fn, out.requires_grad = piece, True
    _functions_recorded = True


def _pauses(dependencies: dict[Node, int], hook_keys: Collection[int]) -> bool:
    """Whether a pass over these nodes may pause: it runs hooks, or meets a custom Function."""
    return bool(hook_keys) or (
        _functions_recorded and any(n.impl is _FUNCTION_BACKWARD for n in dependencies)
    )


def _leaf_dependencies(dependencies: dict[Node, int]) -> dict[Tensor, int]:
    """Each leaf a reachable node feeds, mapped to the number of such edges (torch's
    AccumulateGrad nodes count their producers as every node does)."""
    waits: dict[Tensor, int] = {}
    for node in dependencies:
        for edge in node.edges:
            if type(edge) is Tensor:
                waits[edge] = waits.get(edge, 0) + 1
    return waits


def _sequence_of(node: Node) -> int:
    return node.sequence


def _runs(item: Node | Tensor, needed: set[Node], target_keys: set | None) -> bool:
    """Whether torch queues this node (or leaf accumulator) in a pass: every reached one,
    or with targets those that deliver or capture a target's gradient."""
    return target_keys is None or item in needed or item in target_keys


def _priority(item: Node | Tensor) -> float:
    """A node's place in torch's ready queue: newest first, every leaf's accumulator before."""
    return math.inf if type(item) is Tensor else item.sequence


def _hooked(grad: np.ndarray, replacement: np.ndarray | None) -> np.ndarray:
    """A tensor hook's answer in place of `grad` (None keeps it), checked as torch checks it."""
    if replacement is None:
        return grad
    rules.check_hook_result(
        "hook",
        rules.meta(grad.shape, grad.dtype.name),
        rules.meta(replacement.shape, replacement.dtype.name),
    )
    return replacement


def _function_grads(node: Node, answer: Sequence) -> tuple:
    """A custom Function backward's answer: one gradient (or None) per input, each of a
    shape its input broadcasts to (the pass sums it down to the input's shape)."""
    if len(answer) != len(node.inputs):
        raise InvalidValue(
            f"Function {node.name} returned an incorrect number of gradients (expected "
            f"{len(node.inputs)}, got {len(answer)})"
        )
    for i, (g, meta) in enumerate(zip(answer, node.inputs, strict=True)):
        if g is not None and not rules.is_expandable_to(meta.shape, g.shape):
            raise ShapeMismatch(
                f"Function {node.name} returned an invalid gradient at index {i} - got "
                f"{list(g.shape)} but expected shape compatible with {list(meta.shape)}"
            )
    return tuple(answer)


def _leaf_ready(leaf: Tensor, leaf_grads: dict, accumulate: bool, hook_keys: frozenset[int]):
    """A pausing pass's steps at a leaf whose gradients have all arrived, in torch's order:
    its tensor hooks; then, where the pass accumulates, its accumulator's pre-hooks (which
    may take the gradient away), the accumulation itself where a hook after it is to see
    .grad, its post-accumulate-grad hooks, and the accumulator's post-hooks (no inputs)."""
    grad = leaf_grads.get(leaf)
    if grad is None:
        return
    if leaf.hook_key in hook_keys:
        grad = _hooked(grad, (yield Pause(TENSOR_HOOK, leaf.hook_key, (grad,))))
        leaf_grads[leaf] = grad
    if not accumulate:
        return
    pre, post = getattr(leaf, "node_hook_keys", _NO_NODE_HOOKS)
    if pre in hook_keys:
        (grad,) = _node_hooked((grad,), (yield Pause(NODE_PRE_HOOK, pre, (grad,))))
        if grad is None:
            del leaf_grads[leaf]
            return
        leaf_grads[leaf] = grad
    watched = leaf.post_hook_key in hook_keys
    if watched or post in hook_keys:
        _store_grad(leaf, leaf_grads.pop(leaf), in_place=True)
    if watched:
        yield Pause(POST_ACCUMULATE_GRAD_HOOK, leaf.post_hook_key, ())
    if post in hook_keys:
        _node_hooked((), (yield Pause(NODE_POST_HOOK, post, (grad,))))


def _input_grads(node: Node, input_grads: Sequence, needed: set, target_keys: set | None) -> list:
    """What a node's backward gives each input as torch's node returns it (and its
    post-hooks see it): of the input's shape and dtype, None where there is no input that
    requires grad, or where a pass with targets does not need it."""
    return [
        None
        if edge is None or g is None or not _delivers(edge, needed, target_keys)
        else _reduced(g, meta)
        for edge, g, meta in zip(node.edges, input_grads, node.inputs, strict=True)
    ]


def _delivers(edge, needed: set, target_keys: set | None) -> bool:
    """Whether a pass passes a gradient on along `edge`: everywhere, or with targets to the
    nodes that lead to one and to the targets themselves."""
    return target_keys is None or edge in target_keys or edge in needed


def _reduced(g, meta: TensorMeta) -> np.ndarray:
    """A backward's gradient for an input: summed down to the input's shape, in its dtype."""
    g = sum_to_shape(np.asarray(g), meta.shape)
    dtype = NUMPY_DTYPES[meta.dtype]
    return g if g.dtype == dtype else g.astype(dtype)


def _propagate(
    seeds: list[tuple[Tensor, np.ndarray]],
    dependencies: dict[Node, int],
    needed: set[Node],
    target_keys: set | None,
    pausing: bool,
    accumulate: bool,
    hook_keys: frozenset[int],
):
    """Run the reachable nodes newest first, each once all its gradients have arrived;
    return (leaf gradients, captured target gradients, the nodes run, retained non-leaf
    gradients). `pausing`: a generator's body that yields a `Pause` for each hook and
    custom Function it meets (in torch's order: torch's ready queue, leaves included) and
    goes on with the answer sent in. Its own function so that no local variable outlives
    it holding a gradient."""
    node_grads: dict[Node, np.ndarray] = {}
    leaf_grads: dict[Tensor, np.ndarray] = {}
    captured: dict[Node, np.ndarray] = {}
    for root, seed in seeds:
        if root.grad_fn is None:
            _accumulate(leaf_grads, root, seed)
        else:
            _accumulate(node_grads, root.grad_fn, seed)
    if pausing:
        leaf_waits = _leaf_dependencies(dependencies)
        output_grads: dict[Node, dict[int, np.ndarray]] = {}
        queue = traversal.ReadyQueue(_priority)
    else:
        queue = traversal.NewestFirst(_sequence_of)
    started = set()
    for root, _ in seeds:
        if root.grad_fn is not None:
            key, ready = root.grad_fn, dependencies[root.grad_fn] == 0
        else:  # a leaf root's accumulator is queued only where a hook may watch it
            key, ready = root, pausing and leaf_waits.get(root, 0) == 0
        if ready and key not in started:
            started.add(key)
            queue.push(key)
    executed: list[Node] = []
    retained: list[tuple[Tensor, np.ndarray]] = []
    while queue:
        node = queue.pop()
        if type(node) is Tensor:  # a leaf whose gradients have all arrived (pausing only)
            yield from _leaf_ready(node, leaf_grads, accumulate, hook_keys)
            continue
        grad = node_grads.pop(node, None)
        for edge in node.edges:
            if isinstance(edge, Node):
                dependencies[edge] -= 1
                if dependencies[edge] == 0 and (not pausing or _runs(edge, needed, target_keys)):
                    queue.push(edge)
            elif pausing and edge is not None:
                leaf_waits[edge] -= 1
                if leaf_waits[edge] == 0 and _runs(edge, needed, target_keys):
                    queue.push(edge)
        if grad is None:
            continue
        captures = target_keys is not None and node in target_keys
        if pausing and node.hook_key in hook_keys and (captures or node in needed):
            given = grad
            grad = _hooked(given, (yield Pause(TENSOR_HOOK, node.hook_key, (given,))))
            if captures:  # torch captures what the hooks gave only at a node it does not run
                captured[node] = given if node in needed else grad
        elif captures:
            captured[node] = grad
        if node not in needed and not captures:
            continue
        # torch runs retain_grad hooks on every node it reaches, run or only captured
        if node.retained is not None and (kept := node.retained()) is not None:
            retained.append((kept, grad))
        if node not in needed:
            continue
        pre, post = getattr(node, "node_hook_keys", _NO_NODE_HOOKS) if pausing else (0, 0)
        if pre in hook_keys:
            (grad,) = _node_hooked((grad,), (yield Pause(NODE_PRE_HOOK, pre, (grad,))))
        if node.freed and node.has_saved_tensors:
            raise GraphFreed(GRAPH_FREED_MESSAGE)
        _check_versions(node)
        if node.impl is _FUNCTION_BACKWARD:
            outputs = output_grads.pop(node, {})
            grads = tuple(outputs.get(i) for i in range(node.attrs["outputs"]))
            input_grads = _function_grads(
                node, (yield Pause(FUNCTION_BACKWARD, node.attrs["key"], grads))
            )
        elif grad is None:  # a pre-hook took the gradient away: torch's backward gives none
            input_grads = (None,) * len(node.edges)
        else:
            if node.impl is _FUNCTION_OUTPUT:
                output_grads.setdefault(node.edges[0], {})[node.attrs["index"]] = grad
            input_grads = node.impl.vjp(node, grad)
        if post in hook_keys:
            given = _input_grads(node, input_grads, needed, target_keys)
            answer = yield Pause(NODE_POST_HOOK, post, (*given, grad))
            input_grads = _node_hooked(given, answer)
        executed.append(node)
        for edge, g, meta in zip(node.edges, input_grads, node.inputs, strict=True):
            if edge is None or g is None:
                continue
            if target_keys is not None and edge not in target_keys and edge not in needed:
                continue  # `_delivers`, inline on this path of every pass
            g = _reduced(g, meta)
            _accumulate(leaf_grads if isinstance(edge, Tensor) else node_grads, edge, g)

    return leaf_grads, captured, executed, retained


def run_backward(*args, **kwargs) -> list[np.ndarray | Tensor | None]:
    """`backward_pass` for a caller that answers no pause: an error if it meets one."""
    steps = backward_pass(*args, **kwargs)
    try:
        next(steps)
    except StopIteration as done:
        return done.value
    steps.close()
    raise Unsupported("this pass meets a hook or a custom Function, which only a client runs")


def backward_pass(
    roots: Sequence[Tensor],
    grad_outputs: Sequence[Tensor | None],
    retain_graph: bool,
    targets: Sequence[Tensor] | None = None,
    allow_unused: bool = True,
    accumulate: bool = True,
    create_graph: bool = False,
    hook_keys: Collection[int] = (),
):
    """Differentiate `roots` (seeded with `grad_outputs`, None meaning ones): a generator
    that yields a `Pause` at each custom Function and at the hooks named in `hook_keys`
    (see `set_hook_key`), and returns the result.

    With `accumulate`, add the gradients into the .grad of the leaves that require grad
    (only `targets` if given), as torch.autograd.backward does; otherwise return the
    gradient of each target, as torch.autograd.grad does. With `create_graph` the gradients
    are tensors with the history of their computation (see `higher_order`).
    """
    seeds: list[tuple[Tensor, np.ndarray]] = []
    for i, root in enumerate(roots):
        rules.check_backward_root(i, root.requires_grad)
        _edge(root)  # torch reads its grad_fn, which a written multi-output view refuses
        given = grad_outputs[i] if i < len(grad_outputs) else None
        rules.check_grad_output(i, root.meta, given.meta if given is not None else None)
        dtype = root.data.dtype
        seed = (
            np.ones(root.meta.shape, dtype)
            if given is None
            else given.data.astype(dtype, copy=False)
        )
        seeds.append((root, seed))

    if targets is not None:
        for t in targets:
            if accumulate:
                retain_grad(t)  # torch's backward(inputs=...) keeps a non-leaf input's .grad
            else:
                rules.check_differentiated(t.requires_grad)

    root_nodes = [r.grad_fn for r, _ in seeds if r.grad_fn is not None]
    hook_keys = frozenset(hook_keys) - {0}
    dependencies = traversal.count_dependencies(root_nodes, _edges, _is_node)
    pausing = _pauses(dependencies, hook_keys)
    if create_graph:
        if pausing:
            raise Unsupported(CREATE_GRAPH_PAUSE_MESSAGE)
        return _run_create_graph(
            seeds, grad_outputs, retain_graph, targets, allow_unused, accumulate
        )
    target_keys = None
    if targets is not None:
        target_keys = {t.grad_fn if t.grad_fn is not None else t for t in targets}
        needed = traversal.needed(dependencies, _edges, target_keys, run_targets=accumulate)
    else:
        needed = set(dependencies)

    leaf_grads, captured, executed, retained = yield from _propagate(
        seeds, dependencies, needed, target_keys, pausing, accumulate, hook_keys
    )

    if not retain_graph:
        for node in executed:
            node.freed = True
            if node.has_saved_tensors:  # else it holds numbers only, which torch's node keeps
                node.saved = None
            node.saved_versions = []
    for tensor, grad in retained:
        _store_grad(tensor, grad, in_place=False)
    if accumulate:
        while leaf_grads:  # popped, so that a gradient nothing else holds can be adopted
            leaf, grad = leaf_grads.popitem()
            if leaf.requires_grad and (target_keys is None or leaf in target_keys):
                _store_grad(leaf, grad, in_place=True)
        return []
    results: list[np.ndarray | None] = []
    for i, t in enumerate(targets or ()):
        g = leaf_grads.get(t) if t.grad_fn is None else captured.get(t.grad_fn)
        rules.check_used(i, g is not None, allow_unused)
        results.append(None if g is None else _fresh(g, t.data.dtype))
    return results


class _Engine:
    """higher_order's backend and adapter on the engine's tensors and nodes."""

    @staticmethod
    def call(op: str, operands: Sequence, attrs: dict) -> Tensor:
        return call(op, operands, attrs)

    @staticmethod
    def meta(t: Tensor) -> TensorMeta:
        return t.meta

    @staticmethod
    def edges(node: Node) -> tuple:
        return node.edges

    @staticmethod
    def is_node(edge) -> bool:
        return isinstance(edge, Node)

    @staticmethod
    def order(node: Node) -> int:
        return node.sequence

    @staticmethod
    def name(node: Node) -> str:
        return node.name

    @staticmethod
    def view(node: Node) -> higher_order.NodeView | None:
        """The node as a vjp reads it: a saved input is a new tensor on its data with the
        input's history (its grad_fn, or the leaf itself), as torch unpacks a saved tensor."""
        op = node.impl.op
        if op is None:
            return None
        if node.freed and node.has_saved_tensors:
            raise GraphFreed(GRAPH_FREED_MESSAGE)
        _check_versions(node)
        names = rules.SPECS[op].input_names(len(node.inputs))
        operands = tuple(
            m if m is not None else node.saved[name].item()
            for m, name in zip(node.inputs, names, strict=True)
        )

        def saved(i: int):
            if node.inputs[i] is None:
                return operands[i]
            edge, data = node.edges[i], node.saved[names[i]]
            if isinstance(edge, Tensor):
                return edge
            meta = node.inputs[i] if node.inputs[i].dtype == data.dtype.name else None
            return Tensor(data, meta, requires_grad=edge is not None, grad_fn=edge)

        def result() -> Tensor:
            return Tensor(node.saved["result"], requires_grad=True, grad_fn=node)

        return higher_order.NodeView(op, node.attrs, operands, node.needs, saved, result)


def _run_create_graph(
    seeds: list[tuple[Tensor, np.ndarray]],
    grad_outputs: Sequence[Tensor | None],
    retain_graph: bool,
    targets: Sequence[Tensor] | None,
    allow_unused: bool,
    accumulate: bool,
) -> list[Tensor | None]:
    """run_backward with create_graph: the gradients are tensors with history (a given
    grad_output that requires grad takes part in it); .grad fields are replaced, never
    written in place."""
    graph_seeds = []
    for i, (root, seed) in enumerate(seeds):
        given = grad_outputs[i] if i < len(grad_outputs) else None
        usable = given is not None and given.data.dtype == seed.dtype
        graph_seeds.append((root.grad_fn or root, given if usable else Tensor(seed)))
    target_keys = None
    if targets is not None:
        target_keys = {t.grad_fn if t.grad_fn is not None else t for t in targets}
    root_nodes = [r.grad_fn for r, _ in seeds if r.grad_fn is not None]
    leaf_grads, captured, executed, reached = higher_order.run(
        _Engine, _Engine, graph_seeds, root_nodes, target_keys, accumulate
    )
    if not retain_graph:
        for node in executed:
            node.freed = True
            if node.has_saved_tensors:
                node.saved = None
            node.saved_versions = []
    for node, grad in reached.items():
        if node.retained is not None and (kept := node.retained()) is not None:
            kept.grad = higher_order.stored(_Engine, kept.grad, grad)
    if accumulate:
        for leaf, grad in leaf_grads.items():
            if leaf.requires_grad and (target_keys is None or leaf in target_keys):
                leaf.grad = higher_order.stored(_Engine, leaf.grad, grad)
        return []
    results: list[Tensor | None] = []
    for i, t in enumerate(targets or ()):
        g = leaf_grads.get(t) if t.grad_fn is None else captured.get(t.grad_fn)
        rules.check_used(i, g is not None, allow_unused)
        results.append(g)
    return results


# References to a gradient that only `run_backward` holds, seen from `_adopt`: the caller's
# variable, `_store_grad`'s parameter, `_adopt`'s parameter and getrefcount's argument.
_SOLE_REFERENCES = 4


def _adopt(grad: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """`grad` itself when nothing else can reach its memory (torch's AccumulateGrad steals
    such a gradient), else a fresh copy. No tensor, other gradient or view refers to it (a
    view refers to its base), and its memory is its own (see `_sole_memory`)."""
    if (
        grad.dtype == dtype
        and grad.flags.c_contiguous
        and grad.flags.writeable
        and sys.getrefcount(grad) <= _SOLE_REFERENCES
        and _sole_memory(grad.base, grad.size, dtype)
    ):
        return grad
    return _fresh(grad, dtype)


def _sole_memory(base, size: int, dtype: np.dtype) -> bool:
    """Whether a gradient whose base is `base` alone holds its memory: NumPy's own (no base),
    a Numba kernel's allocation (its MemInfo), or the whole of an array owning such memory
    that nothing but this gradient views (as a transpose of a kernel's result is)."""
    if base is None:
        return True
    if type(base) is _MemInfo:
        return sys.getrefcount(base) == 3  # the gradient's reference, the parameter, the argument
    return (
        isinstance(base, np.ndarray)
        and base.size == size
        and base.dtype == dtype
        and sys.getrefcount(base) == 3
        and (base.base is None or (type(base.base) is _MemInfo and sys.getrefcount(base.base) == 2))
    )


def _store_grad(t: Tensor, grad: np.ndarray, in_place: bool) -> None:
    """Accumulate into t.grad: the gradient (adopted, or a copy) the first time, then in
    place (leaves) or out of place (retained non-leaf gradients), as torch's AccumulateGrad
    does."""
    if t.grad is None:
        t.grad = Tensor(_adopt(grad, t.data.dtype), t.meta if rules.is_contiguous(t.meta) else None)
    elif in_place:
        t.grad.data += grad
        t.grad.version.value += 1
    else:
        t.grad = Tensor(t.grad.data + grad, t.grad.meta)


__all__ = [
    "Node",
    "Tensor",
    "adopt_view",
    "call",
    "copy_",
    "detach",
    "detach_",
    "reduce_sum",
    "retain_grad",
    "run_backward",
    "set_grad",
    "set_requires_grad",
    "zero_",
]
