"""Timing, the real `gradrpc-server` subprocess, and results."""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Settings:
    quick: bool = False

    def pick(self, full, quick):
        return quick if self.quick else full


@dataclass
class Row:
    """One printed line: what ran, its median, a ratio, and the target it is held to."""

    bench: str
    case: str
    value: float | None
    unit: str
    ratio: str = ""
    target: str = ""
    note: str = ""


@dataclass
class Result:
    rows: list[Row] = field(default_factory=list)
    data: dict = field(default_factory=dict)

    def row(self, *args, **kwargs) -> Row:
        row = Row(*args, **kwargs)
        self.rows.append(row)
        return row


def median_time(fn: Callable[[], object], repeats: int, number: int = 1) -> float:
    """Median over `repeats` of the seconds one call of `fn` takes (`number` calls a repeat)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_executable() -> list[str]:
    """`gradrpc-server`, this environment's."""
    script = Path(sys.executable).parent / "gradrpc-server"
    return [str(script)] if script.exists() else [sys.executable, "-m", "gradrpc.server.main"]


def server_command(port: int) -> list[str]:
    flags = ["--host", "127.0.0.1", "--port", str(port), "--metrics-port", "0"]
    return [*server_executable(), *flags, "--log-level", "WARNING"]


def check_healthy(channel, timeout: float = 300.0) -> None:
    """Block until the server on `channel` answers a health check with SERVING."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    response = health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service=""), wait_for_ready=True, timeout=timeout
    )
    if response.status != health_pb2.HealthCheckResponse.SERVING:
        raise RuntimeError(f"server reports {response.status}")


def wait_healthy(address: str, timeout: float = 300.0) -> None:
    """Block until the server at `address` answers a health check with SERVING."""
    import grpc

    with grpc.insecure_channel(address) as channel:
        check_healthy(channel, timeout)


class ServerProcess:
    """A real `gradrpc-server` on a free loopback port, for the duration of a `with`."""

    def __init__(self, env: dict[str, str] | None = None):
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen | None = None
        self.started = 0.0

    def start(self) -> ServerProcess:
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            server_command(self.port), env=self.env, stdout=subprocess.DEVNULL
        )
        return self

    def wait(self) -> float:
        """Seconds from start to the first answered health check."""
        wait_healthy(self.address)
        return time.perf_counter() - self.started

    def rss_mib(self) -> float:
        """Resident set size of the server process, MiB (from /proc)."""
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def cpu_seconds(self) -> float:
        """User and system CPU time the server process has used, all threads (from /proc)."""
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> ServerProcess:
        self.start()
        self.wait()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def temp_cache_dir() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="gradrpc-numba-cold-")


def remove_dir(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)
