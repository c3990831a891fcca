"""A connection to a gradrpc server: the session, its handle counter and its op queue.

Ops are queued, not sent: each names its result with a handle the client picks, so nothing
waits for a reply until a value is needed. Batches travel on one ExecuteStream per session.
Reading a value sends the queue with the value's fetch and waits for that batch's response
(and thereby every earlier one): one round trip. `send()` (the optimizer calls it at the end
of a step) and a full queue (`max_queue` operations or `max_queue_bytes` of uploads) send the
queue without waiting, so the client builds the next step while the server runs this one; at
most `max_in_flight` batches go unanswered (a full queue waits for room there, so a client
that outruns the server is held back instead of queueing without bound). Handles of tensors
Python frees are released in the next batch. A server error names the failing operation; it
is raised with the op and the user's source line that queued it, at the wait that sees it (a
value read, `flush`, `close`), and the tensors of the operations that did not run are marked
so that using them raises at once. An idle stream is closed after `stream_idle` seconds (each
open stream holds one of the server's worker threads) and opened again on the next send.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import queue
import secrets
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import grpc
import numpy as np
from google.rpc import error_details_pb2
from gradrpc.engine import errors, rules
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
    "int32": pb.DATA_TYPE_INT32,
    "int16": pb.DATA_TYPE_INT16,
    "int8": pb.DATA_TYPE_INT8,
    "uint8": pb.DATA_TYPE_UINT8,
}
ENUM_TO_NUMPY = {
    pb.DATA_TYPE_FLOAT32: np.dtype("<f4"),
    pb.DATA_TYPE_FLOAT64: np.dtype("<f8"),
    pb.DATA_TYPE_INT64: np.dtype("<i8"),
    pb.DATA_TYPE_BOOL: np.dtype(np.bool_),
    pb.DATA_TYPE_INT32: np.dtype("<i4"),
    pb.DATA_TYPE_INT16: np.dtype("<i2"),
    pb.DATA_TYPE_INT8: np.dtype(np.int8),
    pb.DATA_TYPE_UINT8: np.dtype(np.uint8),
}
_CLIENT_PREFIX = os.path.dirname(os.path.abspath(__file__)) + os.sep
_IN_CLIENT: dict[str, bool] = {}  # by code filename: is it a file of this package?


def _user_frame() -> tuple[str, int] | None:
    """(file, line) of the innermost caller outside the gradrpc client package."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        inside = _IN_CLIENT.get(filename)
        if inside is None:
            inside = _IN_CLIENT[filename] = filename.startswith(_CLIENT_PREFIX)
        if not inside:
            return filename, frame.f_lineno
        frame = frame.f_back
    return None


def _let_grpc_threads_run() -> None:
    """Release the GIL for a moment. grpcio's sync stream moves each request and each answer
    through its own Python threads (the request consumer, the channel poller, our reader); while
    the user's step runs, they wait for the GIL up to the interpreter's switch interval (5 ms,
    more than a whole training step) each, so a batch would leave, or its answer be seen, only
    when the step blocks. Measured on B1(b): the batch after a value read stayed unanswered for
    the next nine steps, the server idle meanwhile."""
    time.sleep(0)


@dataclass(slots=True)
class _Queued:
    name: str
    where: tuple[str, int] | None  # the user's file and line that queued it
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


def _error_info(status) -> tuple[str, dict[str, str]]:
    """(reason, metadata) of a google.rpc.Status's ErrorInfo; INTERNAL and {} without one."""
    for detail in status.details if status is not None else ():
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info.reason, dict(info.metadata)
    return "INTERNAL", {}


def _gradrpc_error(
    reason: str, message: str, metadata: dict[str, str], queued: list[_Queued] | None
) -> Exception:
    """The gradrpc error (torch's type) an ErrorInfo names, with the failing op's line."""
    index = metadata.get("operation_index")
    if index is not None and queued is not None and int(index) < len(queued):
        failed = queued[int(index)]
        where = f"{failed.where[0]}:{failed.where[1]}" if failed.where else "<unknown>"
        message = f"{message}\n(gradrpc: raised by '{failed.name}' queued at {where})"
    return errors.error_for_reason(reason)(message)


def _rpc_error(error: grpc.RpcError, queued: list[_Queued] | None = None) -> Exception:
    """The exception to raise for a failed call (or a broken stream)."""
    status = rpc_status.from_call(error)
    message = error.details() if hasattr(error, "details") else str(error)
    if status is None:
        code = error.code() if hasattr(error, "code") else None
        if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            exc = ConnectionError(f"gradrpc server unreachable: {message}")
            exc.__cause__ = error
            return exc
        return _gradrpc_error("INTERNAL", message or str(code), {}, queued)
    reason, metadata = _error_info(status)
    return _gradrpc_error(reason, status.message, metadata, queued)


def raise_rpc_error(error: grpc.RpcError, queued: list[_Queued] | None = None) -> None:
    """Re-raise a failed call as the gradrpc error its ErrorInfo names, with torch's type."""
    exc = _rpc_error(error, queued)
    if isinstance(exc, ConnectionError):
        raise exc
    raise exc from None


@dataclass(slots=True, eq=False)
class _Batch:
    """One ExecuteStream request and what its answer settles."""

    request: pb.ExecuteStreamRequest | None  # dropped once handed to the stream
    queued: list[_Queued]
    released: list[int]
    nbytes: int
    done: threading.Event
    response: pb.ExecuteStreamResponse | None = None
    failure: grpc.RpcError | None = None  # the stream broke before this batch was answered


class _Stream:
    """One ExecuteStream call. Requests go through a queue that gRPC's sender thread drains;
    a reader thread takes the responses, which answer the sent batches in order."""

    def __init__(self, stub: pb_grpc.GradServiceStub, metadata, max_in_flight: int, max_bytes: int):
        self.max_in_flight = max_in_flight
        self.max_bytes = max_bytes
        self.unanswered: deque[_Batch] = deque()
        self.unanswered_bytes = 0
        self.changed = threading.Condition()
        self.ended = False
        self.last_send = time.monotonic()
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        self._call = stub.ExecuteStream(self._request_iterator(), metadata=metadata)
        self._reader = threading.Thread(target=self._read, name="gradrpc-stream", daemon=True)
        self._reader.start()

    def _request_iterator(self) -> Iterator[pb.ExecuteStreamRequest]:
        while (request := self._requests.get()) is not None:
            yield request

    def send(self, batch: _Batch) -> bool:
        """Send `batch` once fewer than `max_in_flight` batches (and `max_bytes` of uploads)
        are unanswered, waiting for the oldest otherwise; False if the stream has ended."""
        with self.changed:
            while (
                not self.ended
                and self.unanswered
                and (
                    len(self.unanswered) >= self.max_in_flight
                    or self.unanswered_bytes + batch.nbytes > self.max_bytes
                )
            ):
                self.changed.wait()
            if self.ended:
                return False
            self.unanswered.append(batch)
            self.unanswered_bytes += batch.nbytes
            self.last_send = time.monotonic()
        self._requests.put(batch.request)
        batch.request = None
        _let_grpc_threads_run()
        return True

    def idle_for(self, now: float) -> float:
        """How long nothing has been in flight (0 while a batch is unanswered)."""
        with self.changed:
            return 0.0 if self.unanswered else now - self.last_send

    def _read(self) -> None:
        failure = None
        try:
            for response in self._call:
                with self.changed:
                    batch = self.unanswered.popleft()
                    self.unanswered_bytes -= batch.nbytes
                    self.changed.notify_all()
                batch.response = response
                batch.done.set()
                # not held while waiting for the next answer: the fetched values may be large
                del batch, response
        except grpc.RpcError as error:
            failure = error
        except IndexError:  # a response nobody asked for: the stream is no use any more
            self._call.cancel()
        with self.changed:
            self.ended = True
            pending, self.unanswered = list(self.unanswered), deque()
            self.changed.notify_all()
        self._requests.put(None)  # lets gRPC's sender thread finish
        for batch in pending:
            batch.failure = failure or _StreamEnded()
            batch.done.set()

    def close(self) -> None:
        """End the requests; the server answers what it has and ends the call."""
        self._requests.put(None)


class _StreamEnded(grpc.RpcError):
    """The stream ended before answering a batch."""

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNAVAILABLE

    def details(self) -> str:
        return "the ExecuteStream call ended before answering this batch"

    def trailing_metadata(self) -> None:
        return None


class Session:
    """A session on a gradrpc server, with the same namespace as the `gradrpc` module.

    Use it as a context manager, or call `close()`; `gradrpc.connect(address)` makes one.
    `rpc_count` counts the round trips the client waited for (one per value read, whatever
    was sent before it); `messages_sent` counts the batches sent on the stream, awaited or
    not. `interceptors` are gRPC client interceptors for the session's channel.
    `send_delay` is how long `send()` holds back a step that read a value (see `send`).
    """

    def __init__(
        self,
        address: str,
        keep_alive: float = 300.0,
        max_queue: int = 1024,
        max_queue_bytes: int = 64 << 20,
        max_in_flight: int = 8,
        stream_idle: float = 2.0,
        send_delay: float = 0.002,
        interceptors: Sequence[grpc.ClientInterceptor] = (),
    ):
        self.address = address
        self.id = secrets.token_hex(16)
        self.max_queue = max_queue
        self.max_queue_bytes = max_queue_bytes
        self.max_in_flight = max_in_flight
        self.stream_idle = stream_idle
        self.send_delay = send_delay
        self._channel = grpc.insecure_channel(
            address,
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ],
        )
        channel = grpc.intercept_channel(self._channel, *interceptors)
        self._stub = pb_grpc.GradServiceStub(channel)
        self._metadata = ((SESSION_METADATA_KEY, self.id),)
        self._lock = threading.RLock()
        self._queue: list[_Queued] = []  # what `_pending` holds, in order
        self._pending = pb.ExecuteStreamRequest()  # the next batch, built in place
        self._operations = self._pending.batch.operations
        self._queue_bytes = 0
        self._released: list[int] = []
        self._failed: set[int] = set()
        self._handles = itertools.count(1)
        # the default float dtype the server runs this session's operations with, as far as the
        # client knows (None: unknown, after a batch that failed before it could set it)
        self._server_default_dtype: str | None = "float32"
        self._last_call = time.monotonic()
        self._stream: _Stream | None = None
        self._sent: deque[_Batch] = deque()  # sent, their answers not yet settled
        self._error: Exception | None = None  # the first error no wait has raised yet
        self._waited_since_send = False  # a wait (a value read) since the last send()
        self._send_due: float | None = None  # when a held-back send() leaves, if nothing sent
        self._send_timer = threading.Condition(self._lock)
        self._sender: threading.Thread | None = None  # sends held-back batches when due
        # what a paused backward pass waits for, by Pause.key: a tensor's hooks, a Function
        self.pause_targets: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
        self.rpc_count = 0
        self.messages_sent = 0
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
        return next(self._handles)  # atomic: count's next holds the GIL throughout

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
            if self._server_default_dtype != rules.default_float():
                self._queue_default_dtype()
            self._operations.append(operation)
            self._queued(_Queued(name, _user_frame(), bound, undo), nbytes)

    def enqueue_fields(
        self,
        name: str,
        kind: str,
        fields: dict,
        output: int = 0,
        undo: Callable[[], None] | None = None,
    ) -> None:
        """`enqueue` for an operation given as its kind (the Operation field) and a dict of
        its fields: built in place in the batch, it costs less than half of a message built
        and then copied. The operations a training step repeats come this way."""
        with self._lock:
            self._check_open()
            if self._server_default_dtype != rules.default_float():
                self._queue_default_dtype()
            self._operations.add(**{kind: fields})
            self._queued(_Queued(name, _user_frame(), (output,) if output else (), undo), 0)

    def _queue_default_dtype(self) -> None:
        """Queue the process's default float dtype (torch.set_default_dtype's) for the server
        to run the operations after it with, as the client predicted their results with it."""
        dtype = self._server_default_dtype = rules.default_float()

        def undo() -> None:  # it never ran: the server's is unknown, set it again
            self._server_default_dtype = None

        operation = pb.SetDefaultDtypeOperation(dtype=DTYPE_TO_ENUM[dtype])
        self._operations.add(set_default_dtype=operation)
        self._queue.append(_Queued("set_default_dtype", _user_frame(), (), undo))

    def _queued(self, queued: _Queued, nbytes: int) -> None:
        """Record an operation just added to the batch; send the batch once it is full, even
        while the server is busy (so a batch never outgrows the limits), waiting only while
        `max_in_flight` batches are unanswered: a client that outruns the server is held
        back there instead of queueing without bound."""
        self._queue.append(queued)
        self._queue_bytes += nbytes
        if len(self._queue) >= self.max_queue or self._queue_bytes >= self.max_queue_bytes:
            self._send_batch(())

    def check_usable(self, handle: int) -> None:
        """Raise at once if `handle` belongs to an operation that never ran (the error that
        stopped it first, if no wait has raised that yet)."""
        if handle in self._failed:
            with self._lock:
                self._raise_error()
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

    def send(self) -> None:
        """Send the queue (and releases) without waiting for the server: the client goes on
        building the next step while the server runs this one. While the last batch sent is
        still unanswered the server is busy anyway, so the queue keeps growing instead
        (Nagle's rule: fewer, larger messages, each costing both sides a gRPC message's
        work) and leaves with a later `send()`, a full queue or a wait. A step that read a
        value (a wait since the last `send()`) is held back for `send_delay` seconds: a loop
        that reads every step reads again soon, and that read carries the queue in its own
        message; otherwise it leaves when due, by the same rule (TCP's delayed
        acknowledgement, for the same reason). An error surfaces at the next wait (a value
        read, `flush()`, `close()`). The optimizers call it after a step."""
        with self._lock:
            self._check_open()
            waited, self._waited_since_send = self._waited_since_send, False
            if waited and self.send_delay > 0:
                self._hold_send()
            elif not self._busy():
                self._send_batch(())

    def _busy(self) -> bool:
        """Whether the last batch sent is still unanswered (after letting gRPC's threads take
        in an answer that has come)."""
        if not self._sent or self._sent[-1].done.is_set():
            return False
        _let_grpc_threads_run()
        return not self._sent[-1].done.is_set()

    def _hold_send(self) -> None:
        """Have the sender thread send the queue in `send_delay` seconds, unless something
        sends it before."""
        self._send_due = time.monotonic() + self.send_delay
        if self._sender is None:
            self._sender = threading.Thread(
                target=self._send_when_due, name="gradrpc-sender", daemon=True
            )
            self._sender.start()
        self._send_timer.notify()

    def _send_when_due(self) -> None:
        with self._lock:
            while not self.closed:
                due = self._send_due
                if due is None:
                    self._send_timer.wait()
                elif (remaining := due - time.monotonic()) > 0:
                    self._send_timer.wait(remaining)
                else:
                    self._send_due = None
                    if not self._busy():
                        self._send_batch(())

    def flush(self, fetches: tuple[int, ...] = ()) -> list[np.ndarray]:
        """Send the queue (and releases) with `fetches`, wait for the answer (and thereby for
        every batch sent before), and return the fetched values: one round trip, none if
        nothing was queued or in flight. Raises the first error not raised yet."""
        batch = self._round_trip(fetches)
        return [] if batch is None else [decode(v) for v in batch.response.result.values]

    def flush_pass(self):
        """`flush()` for a queue that ends with a backward pass (or a ResumeOperation): the
        Pause it stopped at, or None once it ended. The releases wait for the next batch,
        since a pause ends a batch: nothing after it runs."""
        result = self._round_trip((), hold_releases=True).response.result
        return result.pause if result.HasField("pause") else None

    def _round_trip(self, fetches: tuple[int, ...], hold_releases: bool = False) -> _Batch | None:
        """Send the queue and wait for every batch sent; the batch sent now (None if there
        was nothing to send). Raises the first error not raised yet."""
        with self._lock:
            self._check_open()
            batch = self._send_batch(fetches, hold_releases)
            if self._sent:
                self.rpc_count += 1
                self._waited_since_send = True
                for waiting in list(self._sent):  # answered in order: in effect, the last
                    waiting.done.wait()
                self._settle()
            self._raise_error()
            return batch

    def _send_batch(self, fetches: tuple[int, ...], hold_releases: bool = False) -> _Batch | None:
        """Put the queue, the releases and `fetches` on the stream (None if all are empty)."""
        self._send_due = None  # what a held-back send() would send leaves now
        self._settle()  # answers already here: their errors are stored, their handles marked
        released, self._released = ([], self._released) if hold_releases else (self._released, [])
        released = [h for h in released if h not in self._failed]
        if not self._queue and not released and not fetches:
            return None
        queued, self._queue, queue_bytes, self._queue_bytes = self._queue, [], self._queue_bytes, 0
        request, self._pending = self._pending, pb.ExecuteStreamRequest()
        self._operations = self._pending.batch.operations
        if released:
            request.batch.operations.add().release.handles.extend(released)
        request.batch.fetches.extend(fetches)
        batch = _Batch(request, queued, released, queue_bytes, threading.Event())
        self._sent.append(batch)
        self.messages_sent += 1
        self._last_call = time.monotonic()
        stream = self._stream
        if stream is None or stream.ended:
            stream = self._stream = _Stream(
                self._stub, self._metadata, self.max_in_flight, 2 * self.max_queue_bytes
            )
        try:
            sent = stream.send(batch)
        except BaseException:  # interrupted while waiting for room: it never left
            sent = False
            raise
        finally:
            if not sent:  # (or the stream broke): nobody will answer it
                batch.failure = _StreamEnded()
                batch.done.set()
        return batch

    def _settle(self) -> None:
        """Take in the answers that have come, in order: mark the handles of operations that
        did not run, revert the mirror, and keep the first error for the next wait."""
        while self._sent and self._sent[0].done.is_set():
            batch = self._sent.popleft()
            if batch.failure is not None:
                exc = _rpc_error(batch.failure, batch.queued)
                reason, metadata = _error_info(rpc_status.from_call(batch.failure))
            elif batch.response.HasField("error"):
                error = batch.response.error
                reason, metadata = error.reason, dict(error.metadata)
                exc = _gradrpc_error(reason, error.message, metadata, batch.queued)
            else:
                continue
            self._mark_failed(metadata, batch.queued, batch.released)
            if self._error is None:
                self._error = exc

    def _raise_error(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error

    def _mark_failed(
        self, metadata: dict[str, str], queued: list[_Queued], released: list[int]
    ) -> None:
        if "fetch_index" in metadata:  # every operation ran; a fetch failed
            return
        index = int(metadata.get("operation_index", 0))  # without one, assume nothing ran
        for q in reversed(queued[index:]):
            self._failed.update(q.outputs)
            if q.undo is not None:
                q.undo()
        if index >= len(queued):  # the releases themselves failed: try them again later
            self._released.extend(released)

    def mark_unbound(self, handles: Sequence[int]) -> None:
        """Handles an operation was to bind but never will (its pass failed after it ran)."""
        self._failed.update(handles)

    def fetch(self, handle: int) -> np.ndarray:
        self.check_usable(handle)
        return self.flush((handle,))[0]

    def _call(self, method, request):
        self.rpc_count += 1
        self._last_call = time.monotonic()
        return method(request, metadata=self._metadata)

    def _keep_alive_loop(self) -> None:
        interval = max(self.keep_alive / 3, 0.05)
        tick = min(interval, max(self.stream_idle / 2, 0.05))
        while not self._stop_keep_alive.wait(tick):
            self._close_idle_stream()
            if time.monotonic() - self._last_call < interval:
                continue
            with contextlib.suppress(grpc.RpcError):
                self._stub.KeepAlive(pb.KeepAliveRequest(), metadata=self._metadata, timeout=10)

    def _close_idle_stream(self) -> None:
        """An open stream holds one of the server's worker threads: give it back once the
        stream has had nothing in flight for `stream_idle` seconds."""
        stream = self._stream
        if stream is None or stream.idle_for(time.monotonic()) < self.stream_idle:
            return
        if self._lock.acquire(blocking=False):  # busy: try again at the next tick
            try:
                if self._stream is stream and stream.idle_for(time.monotonic()) >= self.stream_idle:
                    self._stream = None
                    stream.close()
            finally:
                self._lock.release()

    def handle_count(self) -> int:
        """Flush, then ask the server how many handles this session holds."""
        self.flush()
        return self._call(self._stub.KeepAlive, pb.KeepAliveRequest()).handle_count

    def list_ops(self) -> pb.ListOpsResponse:
        return self._call(self._stub.ListOps, pb.ListOpsRequest())

    def close(self) -> None:
        """Send what is queued and wait for every answer, then end the stream and close the
        session on the server and the channel."""
        if self.closed:
            return
        try:
            self.flush()
        finally:
            self.closed = True
            self._stop_keep_alive.set()
            with self._lock:
                self._send_timer.notify()  # the sender thread ends
                stream, self._stream = self._stream, None
            if stream is not None:
                stream.close()
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
