"""The server's lifecycle: build, start, reap idle sessions, stop gracefully.

Used by the `gradrpc-server` CLI and by the client's embedded mode alike.
"""

from __future__ import annotations

import logging
import threading
from concurrent import futures
from dataclasses import dataclass

import grpc
from gradrpc.v1 import gradrpc_pb2, gradrpc_pb2_grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from .servicer import GradServicer
from .session import SessionStore

SERVICE_NAME = gradrpc_pb2.DESCRIPTOR.services_by_name["GradService"].full_name
log = logging.getLogger("gradrpc.server")


@dataclass
class ServerConfig:
    """Everything the CLI can set; see `gradrpc-server --help` for each field's flag."""

    host: str = "127.0.0.1"
    port: int = 50051
    max_workers: int = 8
    max_message_mb: int = 256
    keep_alive: float = 300.0
    max_keep_alive: float = 3600.0
    max_sessions: int = 1000
    reap_interval: float = 10.0
    grace: float = 10.0


class GradServer:
    """A running gradrpc server: gRPC server, session store, health service, reaper."""

    def __init__(self, config: ServerConfig):
        self.config = config
        self.store = SessionStore(config.keep_alive, config.max_keep_alive, config.max_sessions)
        limit = config.max_message_mb * 1024 * 1024
        self.grpc_server = grpc.server(
            futures.ThreadPoolExecutor(
                max_workers=config.max_workers, thread_name_prefix="gradrpc"
            ),
            options=[
                ("grpc.max_receive_message_length", limit),
                ("grpc.max_send_message_length", limit),
            ],
        )
        gradrpc_pb2_grpc.add_GradServiceServicer_to_server(
            GradServicer(self.store), self.grpc_server
        )
        self.health = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.grpc_server)
        self.port = self.grpc_server.add_insecure_port(f"{config.host}:{config.port}")
        if self.port == 0:
            raise OSError(f"could not bind {config.host}:{config.port}")
        self._stopping = threading.Event()
        self._reaper = threading.Thread(target=self._reap_loop, name="gradrpc-reaper", daemon=True)

    @property
    def address(self) -> str:
        host = self.config.host
        if host in ("0.0.0.0", "[::]", "::"):
            host = "127.0.0.1"
        return f"{host}:{self.port}"

    def start(self) -> GradServer:
        self.grpc_server.start()
        for service in ("", SERVICE_NAME):
            self.health.set(service, health_pb2.HealthCheckResponse.SERVING)
        self._reaper.start()
        log.info("gradrpc-server listening on %s:%d", self.config.host, self.port)
        return self

    def _reap_loop(self) -> None:
        while not self._stopping.wait(self.config.reap_interval):
            for session_id in self.store.reap():
                log.info("reaped idle session %s", session_id)

    def stop(self, grace: float | None = None) -> None:
        """Report NOT_SERVING, refuse new calls, let in-flight ones finish within `grace`."""
        self._stopping.set()
        self.health.enter_graceful_shutdown()
        self.grpc_server.stop(self.config.grace if grace is None else grace).wait()
        self.store.close_all()

    def wait(self) -> None:
        self.grpc_server.wait_for_termination()


def start_embedded() -> GradServer:
    """A server for this process alone, on a private loopback port."""
    return GradServer(ServerConfig(host="127.0.0.1", port=0, max_workers=4)).start()
