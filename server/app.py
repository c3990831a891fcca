"""The server's lifecycle: build, start, reap idle sessions, stop gracefully.

Used by the `gradrpc-server` CLI and by the client's embedded mode alike.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from concurrent import futures

import grpc
from gradrpc.v1 import gradrpc_pb2, gradrpc_pb2_grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from threadpoolctl import threadpool_limits

from .config import ServerConfig
from .metrics import Metrics
from .servicer import GradServicer
from .session import SessionStore

__all__ = ["SERVICE_NAME", "GradServer", "ServerConfig", "start_embedded"]

SERVICE_NAME = gradrpc_pb2.DESCRIPTOR.services_by_name["GradService"].full_name
log = logging.getLogger("gradrpc.server")


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
MALLOC_VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


def keep_large_blocks_on_the_heap(threshold_mb: int) -> bool:
    """glibc's malloc, for the whole process: blocks up to `threshold_mb` MiB come from the heap,
    which is trimmed only when more than twice that is free at its top.

    By default a block above 128 KiB (raised to the largest one freed so far) is a fresh mmap
    and the heap is trimmed above twice that: a step's arrays of a few MiB then fault in new
    pages every time, which here costs as much as a convolution's arithmetic. True when set;
    False where malloc is not glibc's or the environment sets its thresholds itself."""
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    if any(name in os.environ for name in MALLOC_VARIABLES) or "threshold" in tunables:
        return False
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    threshold = threshold_mb * 1024 * 1024
    if mallopt is None or not (
        mallopt(M_MMAP_THRESHOLD, threshold) and mallopt(M_TRIM_THRESHOLD, 2 * threshold)
    ):
        log.info("malloc's thresholds left as they are: not glibc's malloc")
        return False
    return True


class GradServer:
    """A running gradrpc server: gRPC server, session store, health and reflection services,
    reaper, and Prometheus metrics (served over HTTP when `config.metrics_port` is set).

    `config.blas_threads`, when set, limits the BLAS libraries the kernels call (loaded by
    the engine's import) for the whole process; `config.malloc_threshold_mb` tunes its malloc."""

    def __init__(self, config: ServerConfig):
        self.config = config
        if config.blas_threads:
            threadpool_limits(limits=config.blas_threads, user_api="blas")
        if config.malloc_threshold_mb:
            keep_large_blocks_on_the_heap(config.malloc_threshold_mb)
        self.store = SessionStore(config.keep_alive, config.max_keep_alive, config.max_sessions)
        limit = config.max_message_mb * 1024 * 1024
        self.grpc_server = grpc.server(
            futures.ThreadPoolExecutor(
                max_workers=config.max_workers, thread_name_prefix="gradrpc"
            ),
            options=[
                ("grpc.max_receive_message_length", limit),
                ("grpc.max_send_message_length", limit),
                # gRPC sets SO_REUSEPORT by default: a second server on a busy port would then
                # bind too and silently take half of the connections. Fail instead.
                ("grpc.so_reuseport", 0),
            ],
        )
        self.metrics = Metrics(self.store)
        gradrpc_pb2_grpc.add_GradServiceServicer_to_server(
            GradServicer(self.store, self.metrics), self.grpc_server
        )
        self.health = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.grpc_server)
        reflection.enable_server_reflection(
            (SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), self.grpc_server
        )
        address = f"{config.host}:{config.port}"
        try:
            self.port = self.grpc_server.add_insecure_port(address)
        except RuntimeError as exc:  # grpcio raises rather than returning 0 since 1.50 or so
            raise OSError(f"could not bind {address} (is the port in use?)") from exc
        if self.port == 0:
            raise OSError(f"could not bind {address} (is the port in use?)")
        if config.metrics_port:
            self.metrics.serve(config.host, config.metrics_port)
        self._stopping = threading.Event()
        self._reaper = threading.Thread(target=self._reap_loop, name="gradrpc-reaper", daemon=True)

    @property
    def address(self) -> str:
        host = self.config.host
        if host in ("0.0.0.0", "[::]", "::"):
            host = "127.0.0.1"
        return f"{host}:{self.port}"

    def start(self) -> GradServer:
        # SERVING before the port opens, so no health check ever sees the service unknown.
        for service in ("", SERVICE_NAME):
            self.health.set(service, health_pb2.HealthCheckResponse.SERVING)
        self.grpc_server.start()
        self._reaper.start()
        log.info(
            "GradServer started on %s:%d",
            self.config.host,
            self.port,
            extra={"metrics_port": self.config.metrics_port or None},
        )
        return self

    def _reap_loop(self) -> None:
        while not self._stopping.wait(self.config.reap_interval):
            try:
                self.store.reap()  # logs each session it reaps
            except Exception:  # never let one bad scan end reaping for good
                log.exception("reaping idle sessions failed")

    def stop(self, grace: float | None = None) -> None:
        """Report NOT_SERVING, refuse new calls, let in-flight ones finish within `grace`."""
        self._stopping.set()
        self.health.enter_graceful_shutdown()
        self.grpc_server.stop(self.config.grace if grace is None else grace).wait()
        if self._reaper.is_alive():
            self._reaper.join()
        self.store.close_all()
        self.metrics.close()

    def wait(self) -> None:
        self.grpc_server.wait_for_termination()


def start_embedded() -> GradServer:
    """A server for this process alone, on a private loopback port."""
    return GradServer(ServerConfig(host="127.0.0.1", port=0, max_workers=16)).start()
