"""Runs an Execute batch against a session: each Operation message becomes one engine call."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from gradrpc.engine import graph, optimizers, rules
from gradrpc.engine.errors import (
    GradNotSet,
    HandleInUse,
    InvalidArgument,
    InvalidValue,
    NoPausedPass,
)
from gradrpc.engine.graph import Tensor
from gradrpc.engine.ops import NUMPY_DTYPES
from gradrpc.v1 import gradrpc_pb2 as pb

from .codec import check_shape, dtype_name, to_array, to_value
from .session import PausedPass, Session

ACTIVE_CHECK_INTERVAL = 0.005  # seconds; a cancelled batch stops within about this


class BatchFailed(Exception):
    """A step of an Execute batch, described by `where`, failed with `cause`; `metadata`
    names it in the ErrorInfo."""

    def __init__(self, where: str, cause: BaseException, metadata: dict[str, str]):
        super().__init__(f"{where} failed: {cause}")
        self.where = where
        self.cause = cause
        self.metadata = metadata


class OperationFailed(BatchFailed):
    """Operation `index` of a batch failed; earlier ones took effect, it and later ones not."""

    def __init__(self, index: int, op: str, cause: BaseException):
        metadata = {"operation_index": str(index), "op": op}
        super().__init__(f"operation {index} ({op})", cause, metadata)
        self.index = index
        self.op = op


class FetchFailed(BatchFailed):
    """Fetch `index` failed; every operation of the batch took effect."""

    def __init__(self, index: int, handle: int, cause: BaseException):
        metadata = {"fetch_index": str(index), "handle": str(handle)}
        super().__init__(f"fetch {index} (handle {handle})", cause, metadata)
        self.index = index


class CallCancelled(Exception):
    """The call ended (client cancel, deadline or server shutdown) before the batch did."""


def operation_name(operation: pb.Operation) -> str:
    """A short name for errors and metrics: the op for calls, else the operation's kind."""
    kind = operation.WhichOneof("kind") or "unset"
    if kind == "call":
        return operation.call.op
    if kind == "factory":
        return operation.factory.factory
    return kind


# Which AttrValue fields may carry an attribute of each OpInfo/AttrInfo type. A single int
# stands for a one-element list, as torch accepts `sum(dim=1)` and `view(6)`.
_ATTR_FIELDS = {
    "int": ("int_value",),
    "float": ("float_value", "int_value"),
    "bool": ("bool_value",),
    "string": ("string_value",),
    "ints": ("int_list", "int_value"),
    "scalar": ("float_value", "int_value", "bool_value"),
}
_FIELD_NAMES = {
    "int_value": "int",
    "float_value": "float",
    "bool_value": "bool",
    "string_value": "str",
    "int_list": "tuple of ints",
}


def _attrs(op: str, attrs: Mapping[str, pb.AttrValue]) -> dict:
    """Decode a call's attributes, checking each against the op table's declared type.

    Unknown ops and attribute names are left to the engine, which reports them.
    """
    if not attrs:
        return {}
    spec = rules.SPECS.get(op)
    declared = {a.name: a.type for a in spec.attrs} if spec else {}
    out = {}
    for name, value in attrs.items():
        kind = value.WhichOneof("value")
        if kind is None:
            raise InvalidValue(f"{op}(): attribute '{name}' has no value set")
        expected = declared.get(name)
        if expected is not None and kind not in _ATTR_FIELDS[expected]:
            raise InvalidArgument(
                f"{op}(): argument '{name}' must be {_FIELD_NAMES[_ATTR_FIELDS[expected][0]]}, "
                f"not {_FIELD_NAMES[kind]}"
            )
        if kind == "int_list":
            out[name] = tuple(value.int_list.values)
        elif expected == "ints":
            out[name] = (value.int_value,)
        elif expected == "float":
            out[name] = float(getattr(value, kind))
        else:
            out[name] = getattr(value, kind)
    return out


def _operand(session: Session, operand: pb.Operand):
    kind = operand.WhichOneof("value")
    if kind == "handle":
        return session.get(operand.handle)
    if kind is None:
        raise InvalidValue("operand is not set")
    return getattr(operand, kind)


def _upload(session: Session, op: pb.UploadOperation) -> None:
    array = to_array(op.value)
    rules.check_requires_grad(array.dtype.name, op.requires_grad, "creation")
    session.bind(op.output, Tensor(array, requires_grad=op.requires_grad))


def _factory(session: Session, op: pb.FactoryOperation) -> None:
    dtype = dtype_name(op.dtype)
    bounds = (op.low, op.high if op.HasField("high") else None)
    meta = rules.factory_meta(op.factory, op.shape, dtype, op.requires_grad, bounds)
    check_shape(meta.shape, dtype)
    fill = op.fill_value
    if op.factory == "full":
        if rules.is_integer(dtype) and fill.is_integer():  # as the int it was (-1 is 255 in uint8)
            fill = int(fill)
        overflow = rules.scalar_overflow(fill, dtype)
        if overflow:
            raise InvalidValue(overflow)
    np_dtype = NUMPY_DTYPES[dtype]
    shape = meta.shape
    match op.factory:
        case "zeros" | "empty":
            data = np.zeros(shape, np_dtype)
        case "ones":
            data = np.ones(shape, np_dtype)
        case "full":
            data = np.full(shape, np.array(fill).astype(np_dtype), np_dtype)
        case "eye":
            data = np.eye(shape[0], shape[1], dtype=np_dtype)
        case "rand":
            data = session.rng.random(shape, dtype=np_dtype)
        case "randn":
            data = session.rng.standard_normal(shape, dtype=np_dtype)
        case "randint":
            low, last = rules.random_range(*bounds, dtype)
            draws = session.rng.integers(low, last, shape, np.int64, endpoint=True)
            data = draws.astype(np_dtype)
        case "randperm":
            data = session.rng.permutation(shape[0]).astype(np_dtype)
        case "arange":
            data = _arange(op.start, op.step, shape[0], np_dtype)
        case "linspace":
            data = _linspace(op.start, op.end, shape[0], dtype)
    session.bind(op.output, Tensor(data, meta, requires_grad=op.requires_grad))


def _arange(start: float, step: float, n: int, dtype: np.dtype) -> np.ndarray:
    """start + i * step for i < n: in int64 for int64 (whole start and step), else in float64
    rounded to `dtype`, as torch's CPU arange computes."""
    if not (math.isfinite(start) and math.isfinite(step) and step != 0):
        raise InvalidValue(
            f"arange needs a finite start and a finite nonzero step, got {start}, {step}"
        )
    if dtype.kind == "i":
        if start != int(start) or step != int(step) or max(abs(start), abs(step)) > 2**53:
            raise InvalidValue("an int64 arange needs whole start and step within 2**53")
        return np.arange(n, dtype=np.int64) * int(step) + int(start)
    return (np.arange(n, dtype=np.float64) * step + start).astype(dtype)


def _linspace(start: float, end: float, n: int, dtype: str) -> np.ndarray:
    """n numbers from start to end, as torch's CPU linspace computes them: start and end
    converted to `dtype`, step = (end - start) / (n - 1) in the dtype, then start + i * step
    for the first n // 2 and end - (n - 1 - i) * step for the rest, each rounded once as
    torch's fused multiply-add rounds it (float32 through float64, float64 through long
    double; int64 in float64, truncated)."""
    rules.check_linspace_bounds(start, end, dtype)
    if dtype == "int64":
        start, end = math.trunc(start), math.trunc(end)
        compute, wide = np.float64, np.float64
    else:
        compute = NUMPY_DTYPES[dtype].type
        wide = np.float64 if dtype == "float32" else np.longdouble
    first, last = compute(start), compute(end)
    if n == 1:
        return np.full(1, first, NUMPY_DTYPES[dtype])
    step = wide((last - first) / compute(n - 1))
    index = np.arange(n)
    half = n // 2
    data = np.empty(n, wide)
    data[:half] = wide(first) + step * index[:half]
    data[half:] = wide(last) - step * (n - 1 - index[half:])
    return data.astype(compute).astype(NUMPY_DTYPES[dtype])


def _call(session: Session, op: pb.CallOperation) -> None:
    operands = [_operand(session, o) for o in op.inputs]
    attrs = _attrs(op.op, op.attrs)
    result = graph.call(op.op, operands, attrs, grad_enabled=not op.no_grad)
    session.bind(op.output, result)
    if result.grad_fn is not None:
        result.grad_fn.origin = op.output  # how a HookOperation names it


def _set_node_hook(session: Session, op: pb.HookOperation) -> None:
    """Name a node's hooks: a leaf's accumulator by the leaf, else the node a call recorded
    (by its result's handle: that tensor's grad_fn, or else found in the session's graph)."""
    post = op.node_hook == pb.NODE_HOOK_POST
    if op.tensor:
        graph.set_node_hook_key(session.get(op.tensor), op.key, post)
        return
    tensor = session.handles.get(op.node)
    node = tensor.grad_fn if tensor is not None else None
    if getattr(node, "origin", 0) != op.node:
        node = graph.find_node(session.handles.values(), op.node)
    if node is not None:
        graph.set_node_hook_key(node, op.key, post)


def _handles(session: Session, handles: Sequence[int]) -> list[Tensor | None]:
    return [session.get(h) if h else None for h in handles]


def _check_grad_outputs(roots: Sequence[int], grad_outputs: Sequence[int]) -> None:
    if grad_outputs and len(grad_outputs) != len(roots):
        raise InvalidValue(
            f"grad_outputs must hold one entry per output ({len(roots)}) or none, "
            f"got {len(grad_outputs)}"
        )


def _backward(session: Session, op: pb.BackwardOperation):
    """The pass's steps (see `_advance`)."""
    _check_grad_outputs(op.roots, op.grad_outputs)
    roots = _handles(session, op.roots)
    yield from graph.backward_pass(
        roots,
        _handles(session, op.grad_outputs),
        op.retain_graph,
        targets=_handles(session, op.inputs) or None,
        create_graph=op.create_graph,
        hook_keys=op.hook_keys,
    )


def _grad(session: Session, op: pb.GradOperation):
    """The pass's steps (see `_advance`), binding the results at its end."""
    if len(op.results) != len(op.inputs):
        raise InvalidValue("GradOperation needs one result handle per input")
    _check_grad_outputs(op.outputs, op.grad_outputs)
    for i, handle in enumerate(op.results):
        if handle == 0 or handle in session.handles or handle in op.results[:i]:
            raise HandleInUse(f"handle {handle} is reserved, already bound or named twice")
    grads = yield from graph.backward_pass(
        _handles(session, op.outputs),
        _handles(session, op.grad_outputs),
        op.retain_graph,
        targets=_handles(session, op.inputs),
        allow_unused=op.allow_unused,
        accumulate=False,
        create_graph=op.create_graph,
        hook_keys=op.hook_keys,
    )
    for handle, grad in zip(op.results, grads, strict=True):
        if grad is not None:
            session.bind(handle, grad if isinstance(grad, Tensor) else Tensor(grad))


_PAUSE_KINDS = {
    graph.TENSOR_HOOK: pb.PAUSE_KIND_TENSOR_HOOK,
    graph.POST_ACCUMULATE_GRAD_HOOK: pb.PAUSE_KIND_POST_ACCUMULATE_GRAD_HOOK,
    graph.FUNCTION_BACKWARD: pb.PAUSE_KIND_FUNCTION_BACKWARD,
    graph.NODE_PRE_HOOK: pb.PAUSE_KIND_NODE_PRE_HOOK,
    graph.NODE_POST_HOOK: pb.PAUSE_KIND_NODE_POST_HOOK,
}
_ANSWERED_IN_FULL = frozenset({graph.FUNCTION_BACKWARD, graph.NODE_PRE_HOOK, graph.NODE_POST_HOOK})


def _writable(grad: np.ndarray) -> Tensor:
    """A pause's gradient as a tensor the client may change in place (which the pass then
    sees): the pass's own array, or a copy of one that is read-only (a broadcast)."""
    return Tensor(grad if grad.flags.writeable else np.array(grad))


def _advance(session: Session, steps, answer=None, pass_id: int = 0) -> pb.Pause | None:
    """Run a pass's steps (a generator, started by sending None) on with `answer`: to their
    end (None) or to their next pause, which the session keeps for a ResumeOperation; the
    pause's gradients are bound to handles of the server's."""
    try:
        pause = steps.send(answer)
    except StopIteration:
        return None
    pass_id = pass_id or next(session.pass_ids)
    session.paused.append(PausedPass(pass_id, steps, pause.kind))
    grads = [session.bind_new(_writable(g)) if g is not None else 0 for g in pause.grads]
    kind = _PAUSE_KINDS[pause.kind]
    return pb.Pause(kind=kind, key=pause.key, grads=grads, pass_id=pass_id)


def _resume(session: Session, op: pb.ResumeOperation) -> pb.Pause | None:
    """Answer the newest paused pass: a tensor hook's replacement (or None), a Function's
    or a node hook's gradients (None for 0), nothing after a post-accumulate-grad hook.
    Abandoning a pass drops it and the passes paused since."""
    ids = [p.pass_id for p in session.paused]
    if op.abandon:
        if op.pass_id in ids:
            for dropped in session.paused[ids.index(op.pass_id) :]:
                dropped.steps.close()
            del session.paused[ids.index(op.pass_id) :]
        return None
    if not ids or ids[-1] != op.pass_id:
        raise NoPausedPass(f"pass {op.pass_id} is not the session's newest paused pass")
    paused = session.paused[-1]
    grads = [session.get(h).data if h else None for h in op.grads]
    if paused.kind == graph.TENSOR_HOOK and len(grads) > 1:
        raise InvalidValue(f"a tensor hook's answer is one gradient, got {len(grads)}")
    if paused.kind == graph.POST_ACCUMULATE_GRAD_HOOK and grads:
        raise InvalidValue("a post-accumulate-grad hook's answer is empty")
    session.paused.pop()
    answer = grads if paused.kind in _ANSWERED_IN_FULL else (grads or [None])[0]
    return _advance(session, paused.steps, answer, paused.pass_id)


def _function(session: Session, op: pb.FunctionOperation) -> None:
    if len(op.differentiable) != len(op.outputs):
        raise InvalidValue("FunctionOperation needs one differentiable flag per output")
    graph.apply_function(
        op.key,
        op.name,
        [session.get(h) for h in op.inputs],
        [session.get(h) for h in op.outputs],
        op.differentiable,
        op.saves_tensors,
    )


def _bind_grad(session: Session, op: pb.BindGradOperation) -> None:
    tensor = session.get(op.tensor)
    if tensor.grad is None:
        raise GradNotSet(f"handle {op.tensor} has no .grad (it is None)")
    session.bind(op.output, tensor.grad)


def _optimizer_step(session: Session, op: pb.OptimizerStepOperation) -> None:
    """Decode the options against the engine's table (absent ones take torch's defaults
    there), then run the fused update."""
    table = optimizers.OPTIMIZER_OPTIONS.get(op.algorithm, {})
    options = {}
    for name, value in op.options.items():
        kind = value.WhichOneof("value")
        if kind is None:
            raise InvalidValue(f"{op.algorithm}: option '{name}' has no value set")
        declared = table.get(name, (None,))[0]
        if declared is not None and kind not in _ATTR_FIELDS[declared]:
            raise InvalidArgument(
                f"{op.algorithm}: option '{name}' must be {_FIELD_NAMES[_ATTR_FIELDS[declared][0]]}"
                f", not {_FIELD_NAMES[kind]}"
            )
        raw = getattr(value, kind)
        options[name] = float(raw) if declared == "float" else raw
    optimizers.optimizer_step(
        op.algorithm,
        [session.get(h) for h in op.params],
        [session.get(h) for h in op.state],
        options,
    )


def _set_default_dtype(session: Session, op: pb.SetDefaultDtypeOperation) -> None:
    """The session's default float dtype, from the next operation on (see `execute`)."""
    dtype = dtype_name(op.dtype)
    if not rules.is_float(dtype):
        raise InvalidValue(f"the default dtype must be a floating type, got {dtype}")
    session.default_dtype = dtype
    rules.set_batch_default_float(dtype)


def _run(session: Session, operation: pb.Operation) -> pb.Pause | None:
    """Run one operation; a backward pass that pauses returns its Pause."""
    kind = operation.WhichOneof("kind")
    op = getattr(operation, kind) if kind else None
    match kind:
        case "upload":
            _upload(session, op)
        case "factory":
            _factory(session, op)
        case "call":
            _call(session, op)
        case "backward":
            return _advance(session, _backward(session, op))
        case "grad":
            return _advance(session, _grad(session, op))
        case "resume":
            return _resume(session, op)
        case "hook" if op.node_hook:
            _set_node_hook(session, op)
        case "hook":
            graph.set_hook_key(session.get(op.tensor), op.key, op.post_accumulate_grad)
        case "function":
            _function(session, op)
        case "bind_grad":
            _bind_grad(session, op)
        case "set_grad":
            graph.set_grad(session.get(op.tensor), session.get(op.grad) if op.grad else None)
        case "zero":
            graph.zero_(session.get(op.tensor), grad_enabled=not op.no_grad)
        case "copy" if op.adopt_view:
            graph.adopt_view(session.get(op.target), session.get(op.source), not op.no_grad)
        case "copy":
            graph.copy_(
                session.get(op.target),
                session.get(op.source),
                grad_enabled=not op.no_grad,
                adopt_history=op.adopt_history,
            )
        case "set_requires_grad":
            graph.set_requires_grad(session.get(op.tensor), op.requires_grad)
        case "detach" if op.in_place:
            graph.detach_(session.get(op.tensor))
        case "detach":
            session.bind(op.output, graph.detach(session.get(op.tensor), op.new_version_counter))
        case "retain_grad":
            graph.retain_grad(session.get(op.tensor))
        case "release":
            session.release(op.handles)
        case "optimizer_step":
            _optimizer_step(session, op)
        case "manual_seed":
            session.rng = np.random.default_rng(op.seed)
        case "set_default_dtype":
            _set_default_dtype(session, op)
        case _:
            raise InvalidValue("operation has no kind set")
    return None


def execute(
    session: Session, request: pb.ExecuteRequest, is_active: Callable[[], bool] = lambda: True
) -> pb.ExecuteResponse:
    """Run the batch in order, then fetch; the first failure stops it (earlier ops stay),
    and so does a backward pass that pauses (nothing is fetched then).

    `is_active` is asked before the first operation and then before any that starts more
    than `ACTIVE_CHECK_INTERVAL` seconds after the last question (asking takes a lock in
    grpcio): once the call has ended (cancelled by the client, past its deadline, or cut
    off by a shutdown's grace) nobody can receive the result, so the rest of the batch is
    not run. The engine's rules read the session's default float dtype (for this thread, for
    the batch's duration): sessions that the server runs side by side each have their own.
    """
    default_dtype = rules.set_batch_default_float(session.default_dtype)
    try:
        return _execute(session, request, is_active)
    finally:
        rules.reset_batch_default_float(default_dtype)


def _execute(
    session: Session, request: pb.ExecuteRequest, is_active: Callable[[], bool]
) -> pb.ExecuteResponse:
    checked = -math.inf
    with np.errstate(all="ignore"):  # like torch: nan and inf without a warning
        for index, operation in enumerate(request.operations):
            try:
                now = time.monotonic()
                if now - checked > ACTIVE_CHECK_INTERVAL:
                    checked = now
                    if not is_active():
                        raise CallCancelled("the call ended before this operation ran")
                pause = _run(session, operation)
            except Exception as exc:
                raise OperationFailed(index, operation_name(operation), exc) from exc
            if pause is not None:
                pause.operation_index = index
                return pb.ExecuteResponse(pause=pause)
    values = []
    for index, handle in enumerate(request.fetches):
        try:
            values.append(to_value(session.get(handle).data))
        except Exception as exc:
            raise FetchFailed(index, handle, exc) from exc
    return pb.ExecuteResponse(values=values)
