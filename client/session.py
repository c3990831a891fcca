"""A connection to a gradrpc server: the session, its handle counter and its op queue.

Ops are queued, not sent: each names its result with a handle the client picks, so nothing
waits for a reply until a value is needed. Reading a value flushes the queue and fetches the
value in the same call (one round trip). The queue also leaves once it holds `max_queue`
operations or `max_queue_bytes` of uploads. Handles of tensors Python frees are released in
the next batch. A server error names the failing operation; it is raised with the op and the
user's source line that queued it, and the tensors of the operations that did not run are
marked so that using them raises at once.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import grpc
import numpy as np
from google.rpc import error_details_pb2
from gradrpc.engine import errors
from gradrpc.v1 import gradrpc_pb2 as pb
from gradrpc.v1 import gradrpc_pb2_grpc as pb_grpc
from grpc_status import rpc_status

SESSION_METADATA_KEY = "gradrpc-session-id"
ADDRESS_VARIABLE = "GRADRPC_ADDRESS"
MAX_MESSAGE_BYTES = 256 * 1024 * 1024
DTYPE_TO_ENUM = {
    "float32": pb.DATA_TYPE_FLOAT32,
    "float64": pb.DATA_TYPE_FLOAT64,
    "int64": pb.DATA_TYPE_INT64,
    "bool": pb.DATA_TYPE_BOOL,
}
ENUM_TO_NUMPY = {
    pb.DATA_TYPE_FLOAT32: np.dtype("<f4"),
    pb.DATA_TYPE_FLOAT64: np.dtype("<f8"),
    pb.DATA_TYPE_INT64: np.dtype("<i8"),
    pb.DATA_TYPE_BOOL: np.dtype(np.bool_),
}
_CLIENT_DIR = os.path.dirname(os.path.abspath(__file__))


def _user_frame() -> str:
    """`file:line` of the innermost caller outside the gradrpc client package."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_CLIENT_DIR + os.sep):
        frame = frame.f_back
    return f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else "<unknown>"


@dataclass(slots=True)
class _Queued:
    operation: pb.Operation
    name: str
    where: str
    outputs: tuple[int, ...]  # the handles it binds
    undo: Callable[[], None] | None  # reverts the client's mirror, should it fail


def encode(array: np.ndarray) -> pb.TensorValue:
    """A NumPy array as a TensorValue (row-major, little-endian)."""
    dtype = array.dtype.name
    wire = ENUM_TO_NUMPY[DTYPE_TO_ENUM[dtype]]
    data = np.ascontiguousarray(array, dtype=wire).tobytes()
    return pb.TensorValue(dtype=DTYPE_TO_ENUM[dtype], shape=array.shape, data=data)


def decode(value: pb.TensorValue) -> np.ndarray:
    """A TensorValue as a NumPy array in native byte order."""
    wire = ENUM_TO_NUMPY[value.dtype]
    return (
        np.frombuffer(value.data, dtype=wire)
        .astype(wire.newbyteorder("="), copy=True)
        .reshape(tuple(value.shape))
    )


def raise_rpc_error(error: grpc.RpcError, queued: list[_Queued] | None = None) -> None:
    """Re-raise a failed call as the gradrpc error its ErrorInfo names, with torch's type."""
    status = rpc_status.from_call(error)
    reason, index = "INTERNAL", None
    message = error.details() if hasattr(error, "details") else str(error)
    if status is not None:
        message = status.message
        for detail in status.details:
            info = error_details_pb2.ErrorInfo()
            if detail.Unpack(info):
                reason = info.reason
                if "operation_index" in info.metadata:
                    index = int(info.metadata["operation_index"])
    elif error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        raise ConnectionError(f"gradrpc server unreachable: {message}") from error
    if index is not None and queued is not None and index < len(queued):
        failed = queued[index]
        message = f"{message}\n(gradrpc: raised by '{failed.name}' queued at {failed.where})"
    raise errors.error_for_reason(reason)(message) from None


class Session:
    """A session on a gradrpc server, with the same namespace as the `gradrpc` module.

    Use it as a context manager, or call `close()`; `gradrpc.connect(address)` makes one.
    """

    def __init__(
        self,
        address: str,
        keep_alive: float = 300.0,
        max_queue: int = 1024,
        max_queue_bytes: int = 64 << 20,
    ):
        self.address = address
        self.id = secrets.token_hex(16)
        self.max_queue = max_queue
        self.max_queue_bytes = max_queue_bytes
        self._channel = grpc.insecure_channel(
            address,
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ],
        )
        self._stub = pb_grpc.GradServiceStub(self._channel)
        self._metadata = ((SESSION_METADATA_KEY, self.id),)
        self._lock = threading.RLock()
        self._queue: list[_Queued] = []
        self._queue_bytes = 0
        self._released: list[int] = []
        self._failed: set[int] = set()
        self._next_handle = 1
        self._last_call = time.monotonic()
        self.rpc_count = 0
        self.closed = False
        timeout = pb.CreateSessionRequest()
        timeout.keep_alive_timeout.FromMilliseconds(int(keep_alive * 1000))
        try:
            response = self._stub.CreateSession(
                timeout, metadata=self._metadata, wait_for_ready=True, timeout=30
            )
        except grpc.RpcError as error:
            self._channel.close()
            raise_rpc_error(error)
        self.keep_alive = response.keep_alive_timeout.ToTimedelta().total_seconds()
        self._stop_keep_alive = threading.Event()
        threading.Thread(
            target=self._keep_alive_loop, name="gradrpc-keepalive", daemon=True
        ).start()

    # ------------------------------------------------------------ handles and the queue

    def new_handle(self) -> int:
        with self._lock:
            handle = self._next_handle
            self._next_handle += 1
            return handle

    def enqueue(
        self,
        name: str,
        operation: pb.Operation,
        output: int = 0,
        nbytes: int = 0,
        outputs: Sequence[int] = (),
        undo: Callable[[], None] | None = None,
    ) -> None:
        """Queue one operation. `output` (or `outputs`) are the handles it binds; `undo`
        reverts what the client recorded of its effect, run if the server rejects it."""
        bound = (output, *outputs) if output else tuple(outputs)
        with self._lock:
            self._check_open()
            self._queue.append(_Queued(operation, name, _user_frame(), bound, undo))
            self._queue_bytes += nbytes
            if len(self._queue) >= self.max_queue or self._queue_bytes >= self.max_queue_bytes:
                self.flush()

    def check_usable(self, handle: int) -> None:
        """Raise at once if `handle` belongs to an operation that never ran."""
        if handle in self._failed:
            raise RuntimeError(
                "gradrpc: this tensor was never computed, because an earlier operation in the "
                "same batch failed (see the error raised then)"
            )

    def release(self, handle: int) -> None:
        """Called when the client drops a tensor: free its handle in the next batch."""
        if not self.closed:
            self._released.append(handle)  # list.append is atomic; safe from __del__

    def _check_open(self) -> None:
        if self.closed:
            raise RuntimeError("gradrpc: this session is closed")

    def flush(self, fetches: tuple[int, ...] = ()) -> list[np.ndarray]:
        """Send the queue (and releases) in one Execute call and return the fetched values."""
        with self._lock:
            self._check_open()
            queued, self._queue, self._queue_bytes = self._queue, [], 0
            released, self._released = self._released, []
            released = [h for h in released if h not in self._failed]
            operations = [q.operation for q in queued]
            if released:
                operations.append(pb.Operation(release=pb.ReleaseOperation(handles=released)))
            if not operations and not fetches:
                return []
            request = pb.ExecuteRequest(operations=operations, fetches=fetches)
            try:
                response = self._call(self._stub.Execute, request)
            except grpc.RpcError as error:
                self._mark_failed(error, queued, released)
                raise_rpc_error(error, queued)
            return [decode(v) for v in response.values]

    def _mark_failed(
        self, error: grpc.RpcError, queued: list[_Queued], released: list[int]
    ) -> None:
        status = rpc_status.from_call(error)
        index = 0  # without an index, assume that nothing ran
        for detail in status.details if status else ():
            info = error_details_pb2.ErrorInfo()
            if detail.Unpack(info):
                if "operation_index" in info.metadata:
                    index = int(info.metadata["operation_index"])
                elif "fetch_index" in info.metadata:  # every operation ran; a fetch failed
                    return
        for q in reversed(queued[index:]):
            self._failed.update(q.outputs)
            if q.undo is not None:
                q.undo()
        if index >= len(queued):  # the releases themselves failed: try them again later
            self._released.extend(released)

    def fetch(self, handle: int) -> np.ndarray:
        self.check_usable(handle)
        return self.flush((handle,))[0]

    def _call(self, method, request):
        self.rpc_count += 1
        self._last_call = time.monotonic()
        return method(request, metadata=self._metadata)

    def _keep_alive_loop(self) -> None:
        interval = max(self.keep_alive / 3, 0.05)
        while not self._stop_keep_alive.wait(interval):
            if time.monotonic() - self._last_call < interval:
                continue
            with contextlib.suppress(grpc.RpcError):
                self._stub.KeepAlive(pb.KeepAliveRequest(), metadata=self._metadata, timeout=10)

    def handle_count(self) -> int:
        """Flush, then ask the server how many handles this session holds."""
        self.flush()
        return self._call(self._stub.KeepAlive, pb.KeepAliveRequest()).handle_count

    def list_ops(self) -> pb.ListOpsResponse:
        return self._call(self._stub.ListOps, pb.ListOpsRequest())

    def close(self) -> None:
        """Send what is queued, close the session on the server and the channel."""
        if self.closed:
            return
        try:
            self.flush()
        finally:
            self.closed = True
            self._stop_keep_alive.set()
            with contextlib.suppress(grpc.RpcError):
                self._stub.CloseSession(
                    pb.CloseSessionRequest(), metadata=self._metadata, timeout=10
                )
            self._channel.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<gradrpc.Session {self.id} at {self.address}>"

    def __getattr__(self, name: str):
        """The module's namespace, bound to this session (factories create tensors here)."""
        from . import namespace

        return namespace.lookup(self, name)


# ---------------------------------------------------------------- the default session

_default: Session | None = None
_embedded = None
_default_lock = threading.Lock()


def default_session() -> Session:
    """The session module-level calls use: the server at $GRADRPC_ADDRESS if set, else an
    embedded server started in this process on a private loopback port."""
    global _default, _embedded
    if _default is not None and not _default.closed:
        return _default
    with _default_lock:
        if _default is None or _default.closed:
            address = os.environ.get(ADDRESS_VARIABLE)
            if not address:
                if _embedded is None:
                    from gradrpc.server.app import start_embedded

                    _embedded = start_embedded()
                address = _embedded.address
            _default = Session(address)
            # Before interpreter exit shuts down thread pools (the embedded server's too).
            register = getattr(threading, "_register_atexit", atexit.register)
            register(_shutdown)
    return _default


def _shutdown() -> None:
    global _embedded
    if _default is not None:
        with contextlib.suppress(Exception):
            _default.close()
    if _embedded is not None:
        _embedded.stop(grace=0)
        _embedded = None
