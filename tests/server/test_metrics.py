"""Prometheus metrics, scraped over HTTP from a real server after real calls: gauges of
sessions, tensors and bytes held; operations by op; RPC latency by method; errors by reason."""

from __future__ import annotations

import os
import queue
import socket
import timeit
import urllib.error
import urllib.request

import grpc
import numpy as np
import pytest
from gradrpc.server.app import GradServer, ServerConfig, start_embedded
from gradrpc.server.main import METRICS_PORT, parse_config
from gradrpc.server.metrics import Metrics
from gradrpc.server.session import SessionStore
from gradrpc.v1 import gradrpc_pb2 as pb
from prometheus_client.parser import text_string_to_metric_families
from serverkit import (
    WireSession,
    backward,
    call,
    connect,
    expect_error,
    factory,
    free_port,
    md,
    new_id,
    release,
    upload,
)

Code = grpc.StatusCode


class Scraper:
    def __init__(self, port: int):
        self.url = f"http://127.0.0.1:{port}/metrics"

    def __call__(self) -> dict[tuple[str, frozenset], float]:
        """Every sample: (name, labels) -> value."""
        with urllib.request.urlopen(self.url, timeout=10) as reply:
            text = reply.read().decode()
        return {
            (s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }


def value(samples, name: str, **labels) -> float:
    """A sample's value; 0 for a labelled series never recorded."""
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def metered():
    port = free_port()
    server = GradServer(ServerConfig(host="127.0.0.1", port=0, max_workers=4, metrics_port=port))
    server.start()
    channel, stub = connect(server.address)
    yield server, stub, Scraper(port)
    channel.close()
    server.stop(grace=0)


def test_gauges_follow_sessions_tensors_and_bytes(metered):
    _, stub, scrape = metered
    samples = scrape()
    assert [value(samples, n) for n in ("gradrpc_sessions", "gradrpc_tensors")] == [0, 0]
    assert value(samples, "gradrpc_tensor_bytes") == 0

    a = WireSession(stub)
    x = np.arange(1000, dtype=np.float32)
    a.execute([upload(1, x, requires_grad=True), call("mul", [1, 2.0], 2), call("sum", [2], 3)])
    a.execute([backward(3, retain_graph=True)])  # x.grad: another 4000 bytes
    a.execute([call("view", [1], 4, shape=[10, 100])])  # a view of x: no new bytes
    samples = scrape()
    assert value(samples, "gradrpc_sessions") == 1
    assert value(samples, "gradrpc_tensors") == 4
    assert value(samples, "gradrpc_tensor_bytes") == 4000 + 4000 + 4000 + 4

    b = WireSession(stub)
    b.execute([factory(1, "zeros", [2, 3], pb.DATA_TYPE_FLOAT64)])
    samples = scrape()
    assert (value(samples, "gradrpc_sessions"), value(samples, "gradrpc_tensors")) == (2, 5)
    assert value(samples, "gradrpc_tensor_bytes") == 12004 + 48

    a.close()
    samples = scrape()
    assert (value(samples, "gradrpc_sessions"), value(samples, "gradrpc_tensors")) == (1, 1)
    assert value(samples, "gradrpc_tensor_bytes") == 48
    b.close()
    assert value(scrape(), "gradrpc_sessions") == 0


def test_operations_count_by_op_and_kind_only_once_they_ran(metered):
    _, stub, scrape = metered
    session = WireSession(stub)
    ops = "gradrpc_operations_total"
    ok = [
        upload(1, np.ones((2, 3), np.float32)),
        factory(2, "ones", [2, 3]),
        call("add", [1, 2], 3),
        call("mul", [3, 3], 4),
    ]
    session.execute(ok)
    failing = [call("mul", [1, 2], 5), call("mm", [1, 2], 6), call("exp", [1], 7)]
    expect_error(
        lambda: session.execute(failing),
        Code.INVALID_ARGUMENT,
        "SHAPE_MISMATCH",
        operation_index="1",
        op="mm",
    )
    expect_error(
        lambda: session.execute([call("no_such_op", [1], 8)]), Code.INVALID_ARGUMENT, "UNKNOWN_OP"
    )
    session.execute([release(3, 4)])
    samples = scrape()
    counts = {dict(labels)["op"]: v for (name, labels), v in samples.items() if name == ops and v}
    # The mul before the failing mm ran; the mm, the exp after it and the unknown
    # op did not (and an unknown name never becomes a label).
    assert counts == {"upload": 1, "ones": 1, "add": 1, "mul": 2, "release": 1}
    assert value(samples, "gradrpc_errors_total", method="Execute", reason="SHAPE_MISMATCH") == 1
    assert value(samples, "gradrpc_errors_total", method="Execute", reason="UNKNOWN_OP") == 1
    session.close()


def test_rpc_latency_by_method_with_one_observation_per_stream_batch(metered):
    _, stub, scrape = metered
    session = WireSession(stub)
    session.execute([upload(1, np.ones(3, np.float32))])
    session.handle_count()
    stub.ListOps(pb.ListOpsRequest(), timeout=10)
    requests: queue.SimpleQueue = queue.SimpleQueue()
    stream = stub.ExecuteStream(iter(requests.get, None), metadata=session.metadata, timeout=30)
    for operations in ([call("exp", [1], 2)], [call("exp", [99], 3)], [release(2)]):
        requests.put(pb.ExecuteStreamRequest(batch=pb.ExecuteRequest(operations=operations)))
    replies = [next(stream) for _ in range(3)]
    assert [r.HasField("error") for r in replies] == [False, True, False]
    requests.put(None)
    assert list(stream) == []
    session.close()

    samples = scrape()
    count = "gradrpc_rpc_duration_seconds_count"
    for method, calls in [
        ("CreateSession", 1),
        ("Execute", 1),
        ("KeepAlive", 1),
        ("ListOps", 1),
        ("ExecuteStream", 3),
        ("CloseSession", 1),
    ]:
        assert value(samples, count, method=method) == calls, method
        assert value(samples, "gradrpc_rpc_duration_seconds_sum", method=method) > 0
        infinite = value(samples, "gradrpc_rpc_duration_seconds_bucket", method=method, le="+Inf")
        assert infinite == calls
    errors = "gradrpc_errors_total"
    assert value(samples, errors, method="ExecuteStream", reason="HANDLE_NOT_FOUND") == 1
    ops = "gradrpc_operations_total"
    assert (value(samples, ops, op="exp"), value(samples, ops, op="release")) == (1, 1)


def test_failed_unary_calls_count_by_method_and_reason(metered):
    _, stub, scrape = metered
    unknown = md(new_id())
    for _ in range(2):
        expect_error(
            lambda: stub.KeepAlive(pb.KeepAliveRequest(), metadata=unknown),
            Code.NOT_FOUND,
            "SESSION_NOT_FOUND",
        )
    expect_error(
        lambda: stub.CreateSession(pb.CreateSessionRequest(), metadata=md("Not-Hex")),
        Code.INVALID_ARGUMENT,
        "INVALID_SESSION_ID",
    )
    requests = iter([pb.ExecuteStreamRequest()])
    expect_error(
        lambda: list(stub.ExecuteStream(requests, metadata=unknown)),
        Code.NOT_FOUND,
        "SESSION_NOT_FOUND",
    )
    samples = scrape()
    errors = "gradrpc_errors_total"
    assert value(samples, errors, method="KeepAlive", reason="SESSION_NOT_FOUND") == 2
    assert value(samples, errors, method="CreateSession", reason="INVALID_SESSION_ID") == 1
    assert value(samples, errors, method="ExecuteStream", reason="SESSION_NOT_FOUND") == 1
    assert value(samples, "gradrpc_rpc_duration_seconds_count", method="KeepAlive") == 2
    assert value(samples, "gradrpc_sessions") == 0


def test_stopping_the_server_closes_the_endpoint():
    port = free_port()
    server = GradServer(ServerConfig(host="127.0.0.1", port=0, metrics_port=port)).start()
    assert value(Scraper(port)(), "gradrpc_sessions") == 0
    server.stop(grace=0)
    with pytest.raises(urllib.error.URLError):
        Scraper(port)()


def test_a_busy_metrics_port_is_an_error():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(OSError, match=f"could not bind metrics port 127.0.0.1:{port}"):
            GradServer(ServerConfig(host="127.0.0.1", port=0, metrics_port=port))


def test_only_the_cli_serves_metrics_by_default(monkeypatch):
    for key in [k for k in os.environ if k.startswith("GRADRPC_")]:
        monkeypatch.delenv(key)
    config = parse_config([]).config
    assert config.metrics_port == METRICS_PORT == 9464
    assert ServerConfig().metrics_port == 0  # servers built in code, tests included
    embedded = start_embedded()
    try:
        assert embedded.config.metrics_port == 0
    finally:
        embedded.stop(grace=0)


def test_counting_a_training_steps_operations_is_cheap():
    """A seed training step is about 13 operations; counting them must stay far below the
    ~1 ms the server spends on the step (measured: well under 1 µs an operation)."""
    metrics = Metrics(SessionStore())
    step = [upload(1, np.ones(3, np.float32)), factory(2, "ones", [3])]
    step += [call(op, [1, 2], 3 + i) for i, op in enumerate(["mm", "add", "relu", "mm", "add"])]
    step += [call("sub", [7, 1], 10), call("pow", [10, 2.0], 11), call("sum", [11], 12)]
    step += [backward(12), release(1, 2), pb.Operation(optimizer_step=pb.OptimizerStepOperation())]
    operations = pb.ExecuteRequest(operations=step).operations
    assert len(operations) == 13
    best = min(timeit.repeat(lambda: metrics.operations(operations), number=200, repeat=5)) / 200
    assert best < 13 * 5e-6, f"{best * 1e6:.1f} µs for 13 operations"
