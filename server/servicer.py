"""The GradService servicer: convert, call the engine, convert back.

`_describe_error` is the one place where exceptions become errors on the wire: a gradrpc
error keeps its canonical code, ErrorInfo reason and torch's message; a failing batch step
adds `operation_index` and `op` (or `fetch_index` and `handle` for a fetch) to the ErrorInfo
metadata; running out of memory is RESOURCE_EXHAUSTED; anything unexpected becomes INTERNAL
and is logged with its session, without ever taking the server down. Unary methods abort with
that as their status (`_status_on_error`); ExecuteStream answers a failed batch with it as an
in-band `ExecuteError` and goes on with the next batch.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from gradrpc.engine import rules
from gradrpc.engine.errors import GradError, SessionNotFound
from gradrpc.v1 import gradrpc_pb2 as pb
from gradrpc.v1 import gradrpc_pb2_grpc as pb_grpc
from grpc_status import rpc_status

from .executor import BatchFailed, CallCancelled, execute
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
    """The one place where exceptions become wire errors; unexpected ones are logged."""
    cause, metadata, where = exc, {}, f"in {method}"
    if isinstance(exc, BatchFailed):
        cause, metadata, where = exc.cause, exc.metadata, f"in {method}, {exc.where}"
    code, reason, message = _describe(cause, where)
    if code == "INTERNAL":
        log.exception("internal error %s, session %s", where, session_id_of(context))
    return ErrorDescription(code, reason, message, dict(metadata))


@contextlib.contextmanager
def _status_on_error(context: grpc.ServicerContext, method: str):
    """Abort a unary call with the status `_describe_error` gives its exception."""
    try:
        yield
    except Exception as exc:
        context.abort_with_status(_describe_error(exc, method, context).status())


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
    )


class GradServicer(pb_grpc.GradServiceServicer):
    """Implements gradrpc.v1.GradService over a SessionStore."""

    def __init__(self, store: SessionStore):
        self.store = store
        self._op_table = pb.ListOpsResponse(
            ops=[_op_info(s) for _, s in sorted(rules.SPECS.items())]
        )

    def CreateSession(self, request, context):
        with _status_on_error(context, "CreateSession"):
            # Nanoseconds are plain ints: no Duration is too large (ToTimedelta overflows).
            requested = request.keep_alive_timeout.ToNanoseconds() / 1e9
            session = self.store.create(session_id_of(context), requested)
            timeout = duration_pb2.Duration()
            timeout.FromNanoseconds(round(session.keep_alive * 1e9))
            return pb.CreateSessionResponse(keep_alive_timeout=timeout)

    def KeepAlive(self, request, context):
        with _status_on_error(context, "KeepAlive"):
            session = self.store.get(session_id_of(context))
            return pb.KeepAliveResponse(handle_count=len(session.handles))

    def CloseSession(self, request, context):
        with _status_on_error(context, "CloseSession"):
            self.store.close(session_id_of(context))
            return pb.CloseSessionResponse()

    def Execute(self, request, context):
        with _status_on_error(context, "Execute"):
            return self._execute(request, context)

    def ExecuteStream(self, request_iterator, context):
        """Each batch runs as Execute runs it, in arrival order, answered in order; a failing
        batch is answered with its error in-band and the stream goes on. Only a bad or unknown
        session id ends the stream, at once, with a status."""
        with _status_on_error(context, "ExecuteStream"):
            self.store.get(session_id_of(context))
        # A cancelled call (client cancel, deadline, shutdown past its grace) ends this loop:
        # the request iterator raises, and a batch in progress stops at its next operation.
        for request in request_iterator:
            try:
                result = self._execute(request.batch, context)
            except Exception as exc:
                error = _describe_error(exc, "ExecuteStream", context).execute_error()
                yield pb.ExecuteStreamResponse(error=error)
            else:
                yield pb.ExecuteStreamResponse(result=result)

    def _execute(self, request: pb.ExecuteRequest, context) -> pb.ExecuteResponse:
        """Run one batch under its session's lock (Execute and ExecuteStream alike)."""
        session = self.store.get(session_id_of(context))
        with session.lock:
            if session.closed:
                raise SessionNotFound(f"session {session.id} was closed or reaped")
            try:
                values = execute(session, request, context.is_active)
            finally:
                session.touch()  # a long batch must not leave the session reapable
        return pb.ExecuteResponse(values=values)

    def ListOps(self, request, context):
        return self._op_table
