"""The GradService servicer: convert, call the engine, convert back.

`_describe_error` is the one place where exceptions become errors on the wire: a gradrpc
error keeps its canonical code, ErrorInfo reason and torch's message; a failing batch step
adds `operation_index` and `op` (or `fetch_index` and `handle` for a fetch) to the ErrorInfo
metadata; running out of memory is RESOURCE_EXHAUSTED; anything unexpected becomes INTERNAL
and is logged with its traceback, without ever taking the server down. Every error is logged
with its session and reason. Unary methods abort with that as their status (`_unary`);
ExecuteStream answers a failed batch with it as an in-band `ExecuteError` and goes on with the
next batch. `_unary`, ExecuteStream's loop and `_execute` are where metrics are recorded.
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from gradrpc.engine import rules
from gradrpc.engine.errors import GradError, SessionNotFound
from gradrpc.v1 import gradrpc_pb2 as pb
from gradrpc.v1 import gradrpc_pb2_grpc as pb_grpc
from grpc_status import rpc_status

from .executor import BatchFailed, CallCancelled, OperationFailed, execute
from .metrics import Metrics
from .session import SessionStore

SESSION_METADATA_KEY = "gradrpc-session-id"
ERROR_DOMAIN = "gradrpc.dev"
log = logging.getLogger("gradrpc.server")


def session_id_of(context: grpc.ServicerContext) -> str | None:
    for key, value in context.invocation_metadata():
        if key == SESSION_METADATA_KEY:
            return value
    return None


def _status(code: str, reason: str, message: str, metadata: dict[str, str]) -> grpc.Status:
    info = error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN, metadata=metadata)
    detail = any_pb2.Any()
    detail.Pack(info)
    return rpc_status.to_status(
        status_pb2.Status(code=code_pb2.Code.Value(code), message=message, details=[detail])
    )


def _describe(exc: BaseException, where: str) -> tuple[str, str, str]:
    """(status code name, ErrorInfo reason, message) for an exception raised `where`.

    A gradrpc error's message is torch's text, unchanged: clients raise it as is.
    """
    if isinstance(exc, GradError):
        return exc.status, exc.reason, str(exc)
    if isinstance(exc, CallCancelled):  # nobody is waiting for this status any more
        return "CANCELLED", "CANCELLED", f"{exc} ({where})"
    if isinstance(exc, MemoryError):  # an allocation this machine cannot satisfy
        return "RESOURCE_EXHAUSTED", "RESOURCE_EXHAUSTED", f"out of memory {where}: {exc}"
    return "INTERNAL", "INTERNAL", f"internal error {where}: {type(exc).__name__}: {exc}"


@dataclass(frozen=True, slots=True)
class ErrorDescription:
    """An exception as the wire carries it: a status code name, ErrorInfo reason and
    metadata, and the message."""

    code: str
    reason: str
    message: str
    metadata: dict[str, str]

    def status(self) -> grpc.Status:
        """As a unary call's status, with the ErrorInfo detail."""
        return _status(self.code, self.reason, self.message, self.metadata)

    def execute_error(self) -> pb.ExecuteError:
        """As ExecuteStream's in-band error for one batch."""
        return pb.ExecuteError(
            code=code_pb2.Code.Value(self.code),
            message=self.message,
            reason=self.reason,
            metadata=self.metadata,
        )


def _describe_error(exc: Exception, method: str, context: grpc.ServicerContext) -> ErrorDescription:
    """The one place where exceptions become wire errors, each logged with its reason
    (unexpected ones as errors, with their traceback)."""
    cause, metadata, where = exc, {}, f"in {method}"
    if isinstance(exc, BatchFailed):
        cause, metadata, where = exc.cause, exc.metadata, f"in {method}, {exc.where}"
    code, reason, message = _describe(cause, where)
    fields = {"session": session_id_of(context), "code": code, "reason": reason, **metadata}
    if code == "INTERNAL":
        log.exception("internal error %s", where, extra=fields)
    else:
        log.info("error %s: %s", where, message, extra=fields)
    return ErrorDescription(code, reason, message, dict(metadata))


def _unary(method):
    """Time a unary call; abort it with the status `_describe_error` gives its exception."""
    name = method.__name__

    @functools.wraps(method)
    def timed(self: GradServicer, request, context: grpc.ServicerContext):
        started = time.perf_counter()
        try:
            return method(self, request, context)
        except Exception as exc:
            context.abort_with_status(self._error(exc, name, context).status())
        finally:
            self.metrics.rpc(name, time.perf_counter() - started)

    return timed


def _op_info(spec: rules.OpSpec) -> pb.OpInfo:
    return pb.OpInfo(
        name=spec.name,
        torch_name=spec.torch_name,
        grad_fn=spec.grad_fn([rules.meta((1,), "float32")] * spec.arity, {"dim": None}),
        arity=spec.arity,
        attrs=[
            pb.AttrInfo(name=a.name, type=a.type, optional=a.optional, doc=a.doc)
            for a in spec.attrs
        ],
        differentiable=spec.differentiable,
        doc=spec.doc,
        variadic=spec.variadic,
        optional_inputs=spec.optional_inputs,
    )


class GradServicer(pb_grpc.GradServiceServicer):
    """Implements gradrpc.v1.GradService over a SessionStore."""

    def __init__(self, store: SessionStore, metrics: Metrics):
        self.store = store
        self.metrics = metrics
        self._op_table = pb.ListOpsResponse(
            ops=[_op_info(s) for _, s in sorted(rules.SPECS.items())]
        )

    def _error(self, exc: Exception, method: str, context) -> ErrorDescription:
        error = _describe_error(exc, method, context)
        self.metrics.error(method, error.reason)
        return error

    @_unary
    def CreateSession(self, request, context):
        # Nanoseconds are plain ints: no Duration is too large (ToTimedelta overflows).
        requested = request.keep_alive_timeout.ToNanoseconds() / 1e9
        session = self.store.create(session_id_of(context), requested)
        timeout = duration_pb2.Duration()
        timeout.FromNanoseconds(round(session.keep_alive * 1e9))
        return pb.CreateSessionResponse(keep_alive_timeout=timeout)

    @_unary
    def KeepAlive(self, request, context):
        session = self.store.get(session_id_of(context))
        return pb.KeepAliveResponse(handle_count=len(session.handles))

    @_unary
    def CloseSession(self, request, context):
        self.store.close(session_id_of(context))
        return pb.CloseSessionResponse()

    @_unary
    def Execute(self, request, context):
        return self._execute(request, context)

    def ExecuteStream(self, request_iterator, context):
        """Each batch runs as Execute runs it, in arrival order, answered in order (and timed
        as one call); a failing batch is answered with its error in-band and the stream goes
        on. Only a bad or unknown session id ends the stream, at once, with a status."""
        try:
            self.store.get(session_id_of(context))
        except Exception as exc:
            context.abort_with_status(self._error(exc, "ExecuteStream", context).status())
        # A cancelled call (client cancel, deadline, shutdown past its grace) ends this loop:
        # the request iterator raises, and a batch in progress stops at its next operation.
        for request in request_iterator:
            started = time.perf_counter()
            try:
                response = pb.ExecuteStreamResponse(result=self._execute(request.batch, context))
            except Exception as exc:
                error = self._error(exc, "ExecuteStream", context).execute_error()
                response = pb.ExecuteStreamResponse(error=error)
            self.metrics.rpc("ExecuteStream", time.perf_counter() - started)
            yield response

    def _execute(self, request: pb.ExecuteRequest, context) -> pb.ExecuteResponse:
        """Run one batch under its session's lock (Execute and ExecuteStream alike) and count
        the operations that ran."""
        session = self.store.get(session_id_of(context))
        with session.lock:
            if session.closed:
                raise SessionNotFound(f"session {session.id} was closed or reaped")
            ran = request.operations
            try:
                response = execute(session, request, context.is_active)
            except OperationFailed as exc:
                ran = ran[: exc.index]
                raise
            finally:
                session.touch()  # a long batch must not leave the session reapable
                self.metrics.operations(ran)
        return response

    @_unary
    def ListOps(self, request, context):
        return self._op_table
