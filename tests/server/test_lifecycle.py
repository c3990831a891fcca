"""Server lifecycle on real loopback servers: reaping idle sessions, the standard health
service, and graceful shutdown."""

from __future__ import annotations

import contextlib
import threading
import time

import grpc
import numpy as np
import pytest
from gradrpc.server.app import SERVICE_NAME, GradServer, ServerConfig
from gradrpc.v1 import gradrpc_pb2 as pb
from gradrpc.v1 import gradrpc_pb2_grpc as pb_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from serverkit import WireSession, call, connect, decode, expect_error, factory, release, upload

Code = grpc.StatusCode
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@contextlib.contextmanager
def running(**settings):
    """A server of its own on a loopback port, and a stub connected to it."""
    server = GradServer(ServerConfig(host="127.0.0.1", port=0, max_workers=4, **settings))
    server.start()
    channel, stub = connect(server.address)
    try:
        yield server, channel, stub
    finally:
        channel.close()
        server.stop(grace=0)


def slow_batch(ops: int = 25) -> list[pb.Operation]:
    """A batch that keeps the server busy for a while (~25 ms per op on a 2-core machine):
    tanh over 4M elements, again and again, freeing each intermediate."""
    batch = [factory(1, "ones", [4_000_000])]
    for k in range(2, ops + 2):
        batch += [call("tanh", [k - 1], k), release(k - 1)]
    return batch


def _wait_until(condition, timeout: float, every: float = 0.01, while_waiting=None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if while_waiting is not None:
            while_waiting()
        time.sleep(every)
    return condition()


# ---------------------------------------------------------------- reaping


def test_reaper_closes_idle_sessions_only():
    with running(keep_alive=0.3, max_keep_alive=30, reap_interval=0.05) as (server, _, stub):
        idle = WireSession(stub)
        idle.execute([upload(1, np.ones(1000, np.float32))])
        kept_alive = WireSession(stub)
        patient = WireSession(stub, keep_alive=30)
        assert (idle.keep_alive_timeout, patient.keep_alive_timeout) == (0.3, 30)
        assert server.store.tensor_count() == 1

        def is_reaped() -> bool:
            return idle.id not in {s.id for s in server.store.sessions()}

        # KeepAlive every 0.1 s holds `kept_alive` open while `idle` goes past 0.3 s.
        assert _wait_until(is_reaped, 5, every=0.1, while_waiting=kept_alive.handle_count)
        expect_error(idle.handle_count, Code.NOT_FOUND, "SESSION_NOT_FOUND")
        expect_error(lambda: idle.fetch(1), Code.NOT_FOUND, "SESSION_NOT_FOUND")
        assert server.store.tensor_count() == 0  # its tensors went with it
        assert kept_alive.handle_count() == 0
        assert patient.handle_count() == 0
        # Its id is free again.
        stub.CreateSession(pb.CreateSessionRequest(), metadata=idle.metadata)


def test_a_long_call_does_not_leave_its_session_reapable():
    keep_alive = 0.3
    with running(keep_alive=keep_alive, reap_interval=0.02) as (_, _, stub):
        session = WireSession(stub)
        start = time.monotonic()
        session.execute(slow_batch())  # busy sessions are never reaped
        elapsed = time.monotonic() - start
        assert elapsed > 1.5 * keep_alive, f"the batch took only {elapsed:.2f}s: make it longer"
        time.sleep(keep_alive / 2)  # idle for less than the keep-alive since the call ended
        assert session.handle_count() == 1


# ---------------------------------------------------------------- health and shutdown


def test_health_service_reports_serving():
    with running() as (_, channel, _):
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", SERVICE_NAME):
            response = health.Check(health_pb2.HealthCheckRequest(service=service))
            assert response.status == SERVING, service
        with pytest.raises(grpc.RpcError) as unknown:
            health.Check(health_pb2.HealthCheckRequest(service="no.such.Service"))
        assert unknown.value.code() == Code.NOT_FOUND


def test_graceful_shutdown_reports_not_serving_and_finishes_in_flight_call():
    grace = 20.0
    server = GradServer(ServerConfig(host="127.0.0.1", port=0, max_workers=4, grace=grace))
    server.start()
    channel, stub = connect(server.address)
    health = health_pb2_grpc.HealthStub(channel)
    watch = health.Watch(health_pb2.HealthCheckRequest(service=SERVICE_NAME))
    try:
        assert next(watch).status == SERVING
        session = WireSession(stub)
        ops = [*slow_batch(), call("sum", [26], 27)]
        request = pb.ExecuteRequest(operations=ops, fetches=[27])
        in_flight = stub.Execute.future(request, metadata=session.metadata)
        (held,) = [s for s in server.store.sessions() if s.id == session.id]
        assert _wait_until(held.lock.locked, 10), "the call never started"

        stopping = threading.Thread(target=server.stop)  # the configured grace
        started = time.monotonic()
        stopping.start()
        assert next(watch).status == NOT_SERVING  # as soon as stop() begins
        watch.cancel()

        def refused() -> bool:
            try:
                with grpc.insecure_channel(server.address) as probe_channel:
                    probe = pb_grpc.GradServiceStub(probe_channel)
                    probe.KeepAlive(pb.KeepAliveRequest(), metadata=session.metadata, timeout=2)
            except grpc.RpcError as error:
                # grpcio refuses with either of the first two; under load it has also left the
                # call unanswered (3 of 4 workers idle), which is not taking it either.
                assert error.code() in (Code.UNAVAILABLE, Code.CANCELLED, Code.DEADLINE_EXCEEDED)
                return True
            return False

        # Right after NOT_SERVING the server stops taking new calls, while the in-flight one
        # runs to completion.
        assert _wait_until(refused, 5)
        assert not in_flight.done()
        response = in_flight.result(timeout=grace)
        value = 1.0
        for _ in range(25):
            value = np.tanh(value)
        assert decode(response.values[0]) == pytest.approx(4_000_000 * value, rel=1e-3)
        stopping.join(timeout=grace)
        assert not stopping.is_alive()
        assert time.monotonic() - started < grace / 2  # it did not wait out the grace
        assert server.store.sessions() == []
    finally:
        watch.cancel()
        channel.close()
        server.stop(grace=0)


def test_shutdown_stops_a_call_that_outlives_the_grace():
    with running() as (server, _, stub):
        session = WireSession(stub)
        # ~5 s of work; the grace is 0.1 s.
        request = pb.ExecuteRequest(operations=slow_batch(200))
        in_flight = stub.Execute.future(request, metadata=session.metadata)
        (held,) = [s for s in server.store.sessions() if s.id == session.id]
        assert _wait_until(held.lock.locked, 10), "the call never started"
        started = time.monotonic()
        server.stop(grace=0.1)
        # The batch stops at the next operation instead of running on for seconds.
        assert time.monotonic() - started < 2
        assert not held.lock.locked() and held.closed
        with pytest.raises(grpc.RpcError) as cancelled:
            in_flight.result(timeout=10)
        assert cancelled.value.code() in (Code.CANCELLED, Code.UNAVAILABLE)
