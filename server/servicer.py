"""The GradService servicer: convert, call the engine, convert back.

Every method runs inside `_status_on_error`, the one place where exceptions become gRPC
statuses: a gradrpc error keeps its canonical code, ErrorInfo reason and torch's message; a
failing batch step adds `operation_index` and `op` (or `fetch_index` and `handle` for a
fetch) to the ErrorInfo metadata; running out of memory is RESOURCE_EXHAUSTED; anything
unexpected becomes INTERNAL and is logged with its session, without ever taking the server
down.
"""

from __future__ import annotations

import contextlib
import logging

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


@contextlib.contextmanager
def _status_on_error(context: grpc.ServicerContext, method: str):
    """The one place where exceptions become gRPC statuses with an ErrorInfo."""
    try:
        yield
    except Exception as exc:
        cause, metadata, where = exc, {}, f"in {method}"
        if isinstance(exc, BatchFailed):
            cause, metadata, where = exc.cause, exc.metadata, f"in {method}, {exc.where}"
        code, reason, message = _describe(cause, where)
        if code == "INTERNAL":
            log.exception("internal error %s, session %s", where, session_id_of(context))
        context.abort_with_status(_status(code, reason, message, metadata))


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
