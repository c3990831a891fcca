"""ExecuteStream over a real loopback server, through the raw generated stub: batches sent
without waiting run strictly in order and are answered one response each, in order; a failing
batch is answered with its error in-band (the same code, reason, message and metadata that
Execute's status carries) and the stream goes on; cancellation and shutdown end it."""

from __future__ import annotations

import contextlib
import logging
import queue
import time

import grpc
import numpy as np
import pytest
from gradrpc.server.app import GradServer, ServerConfig
from gradrpc.v1 import gradrpc_pb2 as pb
from serverkit import (
    WireSession,
    call,
    connect,
    details,
    expect_error,
    factory,
    md,
    new_id,
    release,
    upload,
)
from test_protocol import BAD, F32

Code = grpc.StatusCode


class Stream:
    """One ExecuteStream call fed from a queue: `send` never waits for the server."""

    def __init__(self, stub, metadata, timeout: float = 120):
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        self.call = stub.ExecuteStream(
            iter(self._requests.get, None), metadata=metadata, timeout=timeout
        )

    def send(self, operations=(), fetches=()) -> None:
        batch = pb.ExecuteRequest(operations=list(operations), fetches=fetches)
        self._requests.put(pb.ExecuteStreamRequest(batch=batch))

    def receive(self) -> pb.ExecuteStreamResponse:
        return next(self.call)

    def half_close(self) -> None:
        self._requests.put(None)


def values(response: pb.ExecuteStreamResponse) -> list[np.ndarray]:
    assert not response.HasField("error"), response.error
    return [np.frombuffer(v.data, "<f4").reshape(tuple(v.shape)) for v in response.result.values]


def _wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def slow_batch(ops: int) -> list[pb.Operation]:
    """~25 ms per op on a 2-core machine: tanh over 4M elements, freeing each intermediate."""
    batch = [factory(1, "ones", [4_000_000])]
    for k in range(2, ops + 2):
        batch += [call("tanh", [k - 1], k), release(k - 1)]
    return batch


@contextlib.contextmanager
def own_server():
    server = GradServer(ServerConfig(host="127.0.0.1", port=0, max_workers=4)).start()
    channel, stub = connect(server.address)
    try:
        yield server, stub
    finally:
        channel.close()
        server.stop(grace=0)


# ---------------------------------------------------------------- order


def test_pipelined_batches_run_in_order_one_response_each(session, stub):
    stream = Stream(stub, session.metadata)
    n = 300
    stream.send([upload(1, np.zeros((), np.float32))], fetches=[1])
    for k in range(1, n):  # each batch needs the one before it: any reordering fails
        stream.send([call("add", [k, 1.0], k + 1), release(k)], fetches=[k + 1])
    stream.half_close()  # every batch is sent before a single response is read
    answers = [values(r) for r in stream.call]
    assert [a[0].item() for a in answers] == list(range(n))
    assert stream.call.code() == Code.OK  # half-closing ends the call cleanly
    assert session.handle_count() == 1


def test_batches_without_fetches_are_answered_too(session, stub):
    stream = Stream(stub, session.metadata)
    stream.send([upload(1, F32)])
    stream.send()  # an empty batch is a batch
    stream.send([call("neg", [1], 2)], fetches=[2])
    first, empty, last = stream.receive(), stream.receive(), stream.receive()
    assert values(first) == [] and values(empty) == []
    assert values(last)[0].tolist() == (-F32).tolist()
    stream.half_close()
    assert list(stream.call) == []


# ---------------------------------------------------------------- errors in-band


@pytest.mark.parametrize("case", BAD)
def test_failing_batch_is_answered_in_band_as_execute_fails(stub, session, case):
    before, failing, code, reason = BAD[case]
    ops = [upload(1, F32), *before, failing, upload(99, F32)]
    index = str(1 + len(before))
    # What Execute says about this batch, on a session of its own.
    unary = WireSession(stub)
    try:
        unary.execute(ops)
    except grpc.RpcError as error:
        expected_code, expected_info, expected_message = details(error)
    else:
        raise AssertionError("Execute succeeded")
    finally:
        unary.close()

    stream = Stream(stub, session.metadata)
    stream.send([upload(50, F32)])  # an earlier batch
    stream.send(ops)
    stream.send([call("neg", [1], 51)], fetches=[51])  # a later batch, sent without waiting
    stream.send(fetches=[99])
    assert values(stream.receive()) == []
    failed = stream.receive()
    assert not failed.HasField("result") and failed.HasField("error")
    error = failed.error
    assert (error.code, error.reason) == (code.value[0], reason)
    assert error.code == expected_code.value[0] and error.reason == expected_info.reason
    # Torch's text, unchanged; the server's own messages name the method they come from.
    assert error.message == expected_message.replace("in Execute,", "in ExecuteStream,")
    assert dict(error.metadata) == dict(expected_info.metadata)
    assert error.metadata["operation_index"] == index and error.metadata["op"]
    # The stream goes on: the later batch ran, on what the failing batch did before its error.
    assert values(stream.receive())[0].tolist() == (-F32).tolist()
    missing = stream.receive().error  # the failing operation and those after it did not run
    assert (missing.code, missing.reason) == (Code.NOT_FOUND.value[0], "HANDLE_NOT_FOUND")
    assert missing.metadata == {"fetch_index": "0", "handle": "99"}
    kept = 1 + sum(o.WhichOneof("kind") != "backward" for o in before)
    assert session.handle_count() == 1 + kept + 1  # upload 50, the batch's survivors, neg
    stream.half_close()
    assert list(stream.call) == [] and stream.call.code() == Code.OK


def test_many_failures_in_a_row_do_not_end_the_stream(session, stub):
    stream = Stream(stub, session.metadata)
    for k in range(50):
        stream.send([upload(1 + k, F32), call("mm", [1 + k, 1 + k], 1000)])  # mm of 1-d
    stream.send([call("sum", [50], 2000)], fetches=[2000])
    for _ in range(50):
        error = stream.receive().error
        assert (error.reason, error.metadata["operation_index"]) == ("SHAPE_MISMATCH", "1")
        assert error.message == "self must be a matrix"
    assert values(stream.receive())[0].item() == F32.sum()
    assert session.handle_count() == 51


def test_a_session_closed_mid_stream_fails_later_batches_in_band(stub):
    session = WireSession(stub)
    stream = Stream(stub, session.metadata)
    stream.send([upload(1, F32)], fetches=[1])
    assert values(stream.receive())[0].tolist() == F32.tolist()
    session.close()
    stream.send(fetches=[1])
    error = stream.receive().error
    assert (error.code, error.reason) == (Code.NOT_FOUND.value[0], "SESSION_NOT_FOUND")
    stream.half_close()
    assert list(stream.call) == []


# ---------------------------------------------------------------- the session id


@pytest.mark.parametrize(
    ("metadata", "code", "reason"),
    [
        (md(new_id()), Code.NOT_FOUND, "SESSION_NOT_FOUND"),
        (md("not-a-session"), Code.INVALID_ARGUMENT, "INVALID_SESSION_ID"),
        ((), Code.INVALID_ARGUMENT, "INVALID_SESSION_ID"),
    ],
)
def test_a_bad_session_ends_the_stream_with_a_status(stub, metadata, code, reason):
    stream = Stream(stub, metadata)
    stream.send([upload(1, F32)])
    expect_error(stream.receive, code, reason)  # at once, before any batch runs
    stream.half_close()


# ---------------------------------------------------------------- cancellation, shutdown


def test_cancelling_the_stream_stops_its_batch(server, stub, session, caplog):
    stream = Stream(stub, session.metadata)
    stream.send([upload(100, F32)], fetches=[100])
    assert values(stream.receive())[0].tolist() == F32.tolist()
    stream.send(slow_batch(200))  # ~5 s of work
    stream.send([upload(101, F32)])  # queued behind it: never runs
    (held,) = [s for s in server.store.sessions() if s.id == session.id]
    assert _wait_until(held.lock.locked, 10), "the batch never started"
    with caplog.at_level(logging.WARNING):
        started = time.monotonic()
        stream.call.cancel()
        assert _wait_until(lambda: not held.lock.locked(), 2), "the batch ran on"
        assert time.monotonic() - started < 2
        with pytest.raises(grpc.RpcError) as cancelled:
            stream.receive()
        assert cancelled.value.code() == Code.CANCELLED
        # The session stays usable, with what ran before the cancel.
        assert session.fetch(100)[0].tolist() == F32.tolist()
        expect_error(lambda: session.fetch(101), Code.NOT_FOUND, "HANDLE_NOT_FOUND")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    stream.half_close()


def test_shutdown_ends_open_streams():
    with own_server() as (server, stub):
        idle_session, busy_session = WireSession(stub), WireSession(stub)
        idle = Stream(stub, idle_session.metadata)
        idle.send([upload(1, F32)])
        assert values(idle.receive()) == []  # open, nothing in flight
        busy = Stream(stub, busy_session.metadata)
        busy.send(slow_batch(200))
        (held,) = [s for s in server.store.sessions() if s.id == busy_session.id]
        assert _wait_until(held.lock.locked, 10), "the batch never started"
        started = time.monotonic()
        server.stop(grace=0.1)
        assert time.monotonic() - started < 2  # the busy batch stopped at its next operation
        for stream in (idle, busy):
            with pytest.raises(grpc.RpcError) as ended:
                stream.receive()
            assert ended.value.code() in (Code.CANCELLED, Code.UNAVAILABLE)
            stream.half_close()
