"""The GradService servicer: convert, call the engine, convert back.

Every method runs inside `_status_on_error`, the one place where exceptions become gRPC
statuses: a gradrpc error keeps its canonical code and ErrorInfo reason, a failing batch
operation adds its index and op name, and anything unexpected becomes INTERNAL and is
logged with its session, without ever taking the server down.
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

from .executor import OperationFailed, execute
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


@contextlib.contextmanager
def _status_on_error(context: grpc.ServicerContext, method: str):
    try:
        yield
    except OperationFailed as failed:
        cause = failed.cause
        metadata = {"operation_index": str(failed.index), "op": failed.op}
        if isinstance(cause, GradError):
            status = _status(cause.status, cause.reason, str(cause), metadata)
        else:
            log.exception(
                "internal error in %s, operation %d (%s), session %s",
                method,
                failed.index,
                failed.op,
                session_id_of(context),
            )
            message = f"internal error in operation {failed.index} ({failed.op}): {type(cause).__name__}: {cause}"
            status = _status("INTERNAL", "INTERNAL", message, metadata)
        context.abort_with_status(status)
    except GradError as exc:
        context.abort_with_status(_status(exc.status, exc.reason, str(exc), {}))
    except Exception as exc:
        log.exception("internal error in %s, session %s", method, session_id_of(context))
        context.abort_with_status(
            _status("INTERNAL", "INTERNAL", f"internal error: {type(exc).__name__}: {exc}", {})
        )


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
            session = self.store.create(
                session_id_of(context), request.keep_alive_timeout.ToTimedelta().total_seconds()
            )
            timeout = duration_pb2.Duration()
            timeout.FromMilliseconds(int(session.keep_alive * 1000))
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
                    raise SessionNotFound(f"session {session.id} was closed")
                values = execute(session, request)
            return pb.ExecuteResponse(values=values)

    def ListOps(self, request, context):
        return self._op_table
