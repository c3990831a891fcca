"""B4: `gradrpc-server` start to its first answers, with Numba's cache warm and with an empty
one (NUMBA_CACHE_DIR pointed at a fresh temporary folder); and `gradrpc-server --build-kernels`
into an empty cache, which compiles every kernel (the server builds each at its first use, so
an empty cache costs a first start only `add`'s compilation, and each op's first call its own).

Each start is timed twice from the moment the process is spawned: to the first answered
health check, then to the first answered Execute that runs a real op (CreateSession, then
one Execute that uploads two float32 tensors, adds them with the `add` kernel and fetches the
sum, checked against NumPy). The client retries its connection every 20 ms, so the times are the
server's own: with gRPC's default reconnect backoff (1 s, then 1.6 times longer each try) a
client that starts trying before the server listens connects up to a backoff step late."""

from __future__ import annotations

import os
import secrets
import statistics
import subprocess
import time

import numpy as np

from .common import (
    Result,
    ServerProcess,
    Settings,
    check_healthy,
    remove_dir,
    server_executable,
    temp_cache_dir,
)

SESSION_KEY = "gradrpc-session-id"
# Try to connect every 20 ms while the server is not listening yet.
EAGER_RECONNECT = [
    ("grpc.initial_reconnect_backoff_ms", 20),
    ("grpc.min_reconnect_backoff_ms", 20),
    ("grpc.max_reconnect_backoff_ms", 20),
]


def _tensor(array: np.ndarray):
    from gradrpc.v1 import gradrpc_pb2 as pb

    return pb.TensorValue(
        dtype=pb.DATA_TYPE_FLOAT32, shape=array.shape, data=array.astype("<f4").tobytes()
    )


def _first_add(channel, timeout: float) -> None:
    """Create a session and run x + y in it, checking the sum."""
    from gradrpc.v1 import gradrpc_pb2 as pb
    from gradrpc.v1 import gradrpc_pb2_grpc as pb_grpc

    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    y = np.full((2, 3), 0.5, dtype=np.float32)
    metadata = ((SESSION_KEY, secrets.token_hex(16)),)
    stub = pb_grpc.GradServiceStub(channel)
    stub.CreateSession(
        pb.CreateSessionRequest(), metadata=metadata, wait_for_ready=True, timeout=timeout
    )
    request = pb.ExecuteRequest(
        operations=[
            pb.Operation(upload=pb.UploadOperation(output=1, value=_tensor(x))),
            pb.Operation(upload=pb.UploadOperation(output=2, value=_tensor(y))),
            pb.Operation(
                call=pb.CallOperation(
                    op="add", inputs=[pb.Operand(handle=1), pb.Operand(handle=2)], output=3
                )
            ),
        ],
        fetches=[3],
    )
    (value,) = stub.Execute(request, metadata=metadata, timeout=timeout).values
    total = np.frombuffer(value.data, dtype="<f4").reshape(tuple(value.shape))
    if not np.array_equal(total, x + y):
        raise RuntimeError(f"first add returned {total}, not {x + y}")


def _start_once(env=None, timeout: float = 300.0) -> tuple[float, float]:
    """Seconds from spawning the server to its first health answer and to its first sum."""
    import grpc

    server = ServerProcess(env).start()
    try:
        with grpc.insecure_channel(server.address, options=EAGER_RECONNECT) as channel:
            check_healthy(channel, timeout)
            healthy = time.perf_counter() - server.started
            _first_add(channel, timeout)
            return healthy, time.perf_counter() - server.started
    finally:
        server.stop()


def _build_all_cold() -> float:
    """Seconds `gradrpc-server --build-kernels` takes to compile every kernel into an empty
    cache."""
    cache = temp_cache_dir()
    try:
        started = time.perf_counter()
        subprocess.run(
            [*server_executable(), "--build-kernels"],
            env={**os.environ, "NUMBA_CACHE_DIR": cache},
            check=True,
        )
        return time.perf_counter() - started
    finally:
        remove_dir(cache)


def run_b4(settings: Settings, server: ServerProcess, result: Result) -> None:
    from gradrpc.engine import kernels, ops  # noqa: F401  (ops imports every kernel module)

    kernels.build_all()  # fills the in-tree cache, so "warm" is warm

    starts = [_start_once() for _ in range(settings.pick(5, 3))]
    health, op = (statistics.median(times) for times in zip(*starts, strict=True))
    data = {"warm_op_s": op, "warm_health_s": health}
    result.row("B4", "server start → first Execute running add, warm cache", op, "s", "", "< 2 s")
    result.row("B4", "… → first health answer, warm cache", health, "s")
    if settings.quick:
        result.row("B4", "… empty Numba cache", None, "s", "", "", "skipped in --quick")
    else:
        cache = temp_cache_dir()
        try:
            cold_health, cold_op = _start_once({"NUMBA_CACHE_DIR": cache})
        finally:
            remove_dir(cache)
        build_all = _build_all_cold()
        data.update(cold_op_s=cold_op, cold_health_s=cold_health, cold_build_all_s=build_all)
        result.row(
            "B4",
            "… first Execute, empty Numba cache (NUMBA_CACHE_DIR=temp)",
            cold_op,
            "s",
            note=f"first health answer {cold_health:.1f} s",
        )
        result.row("B4", "`gradrpc-server --build-kernels`, empty Numba cache", build_all, "s")
    result.data["B4"] = data
