"""Runs an Execute batch against a session: each Operation message becomes one engine call."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from gradrpc.engine import graph, rules
from gradrpc.engine.errors import GradNotSet, HandleInUse, InvalidValue
from gradrpc.engine.graph import Tensor
from gradrpc.engine.ops import NUMPY_DTYPES
from gradrpc.v1 import gradrpc_pb2 as pb

from .codec import dtype_name, to_array, to_value
from .session import Session


class OperationFailed(Exception):
    """Operation `index` of a batch failed with `cause`; earlier ones took effect."""

    def __init__(self, index: int, op: str, cause: BaseException):
        super().__init__(f"operation {index} ({op}) failed: {cause}")
        self.index = index
        self.op = op
        self.cause = cause


def operation_name(operation: pb.Operation) -> str:
    """A short name for errors and metrics: the op for calls, else the operation's kind."""
    kind = operation.WhichOneof("kind") or "unset"
    if kind == "call":
        return operation.call.op
    if kind == "factory":
        return operation.factory.factory
    return kind


def _attr(value: pb.AttrValue):
    kind = value.WhichOneof("value")
    if kind == "int_list":
        return tuple(value.int_list.values)
    if kind is None:
        raise InvalidValue("attribute value is not set")
    return getattr(value, kind)


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
    meta = rules.factory_meta(op.factory, op.shape, dtype, op.requires_grad)
    np_dtype = NUMPY_DTYPES[dtype]
    shape = meta.shape
    match op.factory:
        case "zeros" | "empty":
            data = np.zeros(shape, np_dtype)
        case "ones":
            data = np.ones(shape, np_dtype)
        case "full":
            data = np.full(shape, op.fill_value, np_dtype)
        case "eye":
            data = np.eye(shape[0], shape[1], dtype=np_dtype)
        case "rand":
            data = session.rng.random(shape, dtype=np_dtype)
        case "randn":
            data = session.rng.standard_normal(shape, dtype=np_dtype)
    session.bind(op.output, Tensor(data, meta, requires_grad=op.requires_grad))


def _call(session: Session, op: pb.CallOperation) -> None:
    operands = [_operand(session, o) for o in op.inputs]
    attrs = {name: _attr(value) for name, value in op.attrs.items()}
    result = graph.call(op.op, operands, attrs, grad_enabled=not op.no_grad)
    session.bind(op.output, result)


def _handles(session: Session, handles: Sequence[int]) -> list[Tensor | None]:
    return [session.get(h) if h else None for h in handles]


def _backward(session: Session, op: pb.BackwardOperation) -> None:
    roots = _handles(session, op.roots)
    graph.run_backward(
        roots,
        _handles(session, op.grad_outputs),
        op.retain_graph,
        targets=_handles(session, op.inputs) or None,
    )


def _grad(session: Session, op: pb.GradOperation) -> None:
    if len(op.results) != len(op.inputs):
        raise InvalidValue("GradOperation needs one result handle per input")
    for handle in op.results:
        if handle == 0 or handle in session.handles:
            raise HandleInUse(f"handle {handle} is reserved or already bound in this session")
    grads = graph.run_backward(
        _handles(session, op.outputs),
        _handles(session, op.grad_outputs),
        op.retain_graph,
        targets=_handles(session, op.inputs),
        allow_unused=op.allow_unused,
        accumulate=False,
    )
    for handle, grad in zip(op.results, grads, strict=True):
        if grad is not None:
            session.bind(handle, Tensor(grad))


def _bind_grad(session: Session, op: pb.BindGradOperation) -> None:
    tensor = session.get(op.tensor)
    if tensor.grad is None:
        raise GradNotSet(f"handle {op.tensor} has no .grad (it is None)")
    session.bind(op.output, tensor.grad)


def _run(session: Session, operation: pb.Operation) -> None:
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
            _backward(session, op)
        case "grad":
            _grad(session, op)
        case "bind_grad":
            _bind_grad(session, op)
        case "set_grad":
            graph.set_grad(session.get(op.tensor), session.get(op.grad) if op.grad else None)
        case "zero":
            graph.zero_(session.get(op.tensor), grad_enabled=not op.no_grad)
        case "copy":
            graph.copy_(session.get(op.target), session.get(op.source), grad_enabled=not op.no_grad)
        case "set_requires_grad":
            graph.set_requires_grad(session.get(op.tensor), op.requires_grad)
        case "detach":
            session.bind(op.output, graph.detach(session.get(op.tensor)))
        case "retain_grad":
            graph.retain_grad(session.get(op.tensor))
        case "release":
            for handle in op.handles:
                session.get(handle)
            for handle in op.handles:
                session.release(handle)
        case "manual_seed":
            session.rng = np.random.default_rng(op.seed)
        case _:
            raise InvalidValue("operation has no kind set")


def execute(session: Session, request: pb.ExecuteRequest) -> list[pb.TensorValue]:
    """Run the batch in order, then fetch; the first failure stops it (earlier ops stay)."""
    for index, operation in enumerate(request.operations):
        try:
            _run(session, operation)
        except Exception as exc:
            raise OperationFailed(index, operation_name(operation), exc) from exc
    return [to_value(session.get(h).data) for h in request.fetches]
