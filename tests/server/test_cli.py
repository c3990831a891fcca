"""`gradrpc-server` as a real subprocess: flags, environment variables, serving, SIGTERM."""

from __future__ import annotations

import dataclasses
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

import grpc
import numpy as np
import pytest
from gradrpc.server.app import SERVICE_NAME, GradServer
from gradrpc.server.config import ServerConfig
from gradrpc.server.main import parse_config
from grpc_health.v1 import health_pb2, health_pb2_grpc
from serverkit import WireSession, call, connect, free_port, release, upload

COMMAND = [sys.executable, "-m", "gradrpc.server.main"]
LISTENING = re.compile(r"gradrpc-server listening on (\S+):(\d+)")
START_TIMEOUT = 60  # loading the kernels from Numba's cache takes a few seconds
# flag, environment variable: the documented interface
FLAGS = {
    "--host": "GRADRPC_HOST",
    "--port": "GRADRPC_PORT",
    "--max-workers": "GRADRPC_MAX_WORKERS",
    "--max-message-mb": "GRADRPC_MAX_MESSAGE_MB",
    "--keep-alive": "GRADRPC_KEEP_ALIVE",
    "--max-keep-alive": "GRADRPC_MAX_KEEP_ALIVE",
    "--max-sessions": "GRADRPC_MAX_SESSIONS",
    "--reap-interval": "GRADRPC_REAP_INTERVAL",
    "--grace": "GRADRPC_GRACE",
    "--metrics-port": "GRADRPC_METRICS_PORT",
    "--blas-threads": "GRADRPC_BLAS_THREADS",
    "--malloc-threshold-mb": "GRADRPC_MALLOC_THRESHOLD_MB",
    "--log-level": "GRADRPC_LOG_LEVEL",
    "--log-format": "GRADRPC_LOG_FORMAT",
}


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without GRADRPC_* settings, and no metrics endpoint unless asked."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADRPC_")}
    return {**env, "GRADRPC_METRICS_PORT": "0", **extra}


class ServerProcess:
    """`gradrpc-server` in a subprocess, its stderr collected line by line."""

    def __init__(self, *args: str, env: dict[str, str] | None = None):
        self.process = subprocess.Popen(
            [*COMMAND, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env if env is not None else _clean_env(),
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)
            self._queue.put(line)
        self._queue.put(None)

    def outcome(self) -> tuple[str, int] | int:
        """Wait for the "listening on HOST:PORT" line (returns host and port) or the exit
        (returns the exit code)."""
        while True:
            try:
                line = self._queue.get(timeout=START_TIMEOUT)
            except queue.Empty:
                pytest.fail(f"neither listening nor exited in {START_TIMEOUT}s: {self.stderr}")
            if line is None:
                return self.process.wait(timeout=10)
            if match := LISTENING.search(line):
                return match.group(1), int(match.group(2))

    def address(self) -> tuple[str, int]:
        outcome = self.outcome()
        if isinstance(outcome, int):
            pytest.fail(f"exited with {outcome} before listening: {self.stderr}")
        return outcome

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 15) -> int:
        self.process.send_signal(signum)
        return self.process.wait(timeout=timeout)

    @property
    def stderr(self) -> str:
        return "".join(self.lines)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc_info) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _check_serving(address: str) -> None:
    channel, stub = connect(address)
    try:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", SERVICE_NAME):
            status = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
            assert status.status == health_pb2.HealthCheckResponse.SERVING
        session = WireSession(stub)
        x = np.array([1.5, -2.0], np.float32)
        ops = [upload(1, x, requires_grad=True), call("mul", [1, 1], 2), call("add", [2, 1.0], 3)]
        (out,) = session.execute(ops, fetches=[3])
        assert out.tolist() == (x * x + 1).tolist()
        session.close()
    finally:
        channel.close()


def test_serves_then_exits_cleanly_on_sigterm():
    grace = 5.0
    with ServerProcess("--port", "0", "--host", "127.0.0.1", "--grace", str(grace)) as server:
        host, port = server.address()
        assert host == "127.0.0.1" and port > 0
        _check_serving(f"{host}:{port}")
        assert server.stop(signal.SIGTERM, timeout=grace + 5) == 0
        assert "shutting down" in server.stderr
        assert "Traceback" not in server.stderr


def test_help_lists_every_flag_with_its_environment_variable():
    result = subprocess.run(
        [*COMMAND, "--help"], capture_output=True, text=True, timeout=60, env=_clean_env()
    )
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())  # argparse wraps lines
    for flag, env in FLAGS.items():
        assert re.search(rf"{flag}\b.*?\[env {env}, default [^\]]+\]", text), (flag, env)
    # Every setting of ServerConfig has a flag.
    fields = {f.name for f in dataclasses.fields(ServerConfig)}
    assert {flag[2:].replace("-", "_") for flag in FLAGS} == fields | {"log_level", "log_format"}


def test_environment_variables_configure_the_server():
    port = free_port()
    env = _clean_env(
        GRADRPC_HOST="127.0.0.1",
        GRADRPC_PORT=str(port),
        GRADRPC_KEEP_ALIVE="7.5",
        GRADRPC_LOG_LEVEL="warning",
    )
    with ServerProcess(env=env) as server:
        assert server.address() == ("127.0.0.1", port)
        channel, stub = connect(f"127.0.0.1:{port}")
        try:
            session = WireSession(stub)
            assert session.keep_alive_timeout == 7.5
            session.close()
        finally:
            channel.close()
        assert server.stop(signal.SIGINT) == 0
        assert " INFO " not in server.stderr  # GRADRPC_LOG_LEVEL=warning


def test_flags_override_environment(monkeypatch):
    monkeypatch.setenv("GRADRPC_PORT", "1234")
    monkeypatch.setenv("GRADRPC_KEEP_ALIVE", "5")
    monkeypatch.setenv("GRADRPC_LOG_LEVEL", "debug")
    config, level, _, _ = parse_config(["--keep-alive", "9", "--max-workers", "3"])
    assert (config.port, config.keep_alive, config.max_workers, level) == (1234, 9.0, 3, "DEBUG")
    assert config.grace == ServerConfig().grace


@pytest.mark.parametrize(
    "env, argv",
    [
        ({"GRADRPC_PORT": "eighty"}, []),
        ({"GRADRPC_LOG_LEVEL": "chatty"}, []),
        ({"GRADRPC_LOG_FORMAT": "xml"}, []),
        ({}, ["--metrics-port", "-1"]),
        ({}, ["--port", "70000"]),
        ({}, ["--grace", "-1"]),
        ({}, ["--max-workers", "0"]),
        ({}, ["--blas-threads", "-1"]),
        ({}, ["--malloc-threshold-mb", "-1"]),
    ],
)
def test_bad_settings_are_usage_errors(monkeypatch, capsys, env, argv):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SystemExit) as exit_:
        parse_config(argv)
    assert exit_.value.code == 2
    assert "gradrpc-server: error:" in capsys.readouterr().err


# Prints the BLAS thread counts before and after building a server from these CLI arguments.
_BLAS_PROBE = """
import sys
from gradrpc.server.app import GradServer
from gradrpc.server.main import parse_config
from threadpoolctl import threadpool_info

def blas():
    return sorted({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"})

before = blas()
GradServer(parse_config(sys.argv[1:])[0])
print(before, blas())
"""


@pytest.mark.parametrize(
    "argv, env, expected",
    [
        ([], {}, "[2] [2]"),  # the CLI's default: left as OpenBLAS set it
        (["--blas-threads", "1"], {}, "[2] [1]"),
        ([], {"GRADRPC_BLAS_THREADS": "2", "OPENBLAS_NUM_THREADS": "1"}, "[1] [2]"),
    ],
)
def test_blas_threads_limit_the_kernels_matrix_products(argv, env, expected):
    """The BLAS libraries start with OPENBLAS_NUM_THREADS (2 here) threads each; the CLI
    server limits them when told to."""
    result = subprocess.run(
        [sys.executable, "-c", _BLAS_PROBE, "--port", "0", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env=_clean_env(**{"OPENBLAS_NUM_THREADS": "2", **env}),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads /proc")
@pytest.mark.parametrize(("timeout", "spins"), [(None, False), ("30", True)])
def test_idle_blas_threads_sleep_instead_of_spinning(timeout, spins):
    """After a matrix product, OpenBLAS's idle threads poll for 2**OPENBLAS_THREAD_TIMEOUT
    cycles (by default 2**28, about 0.1 s of a core) before they sleep; the server makes it
    2**4, so an idle server uses no CPU. Set explicitly, the variable is left alone: 2**30
    cycles (its largest, about 0.35 s) keep a thread polling through most of each half
    second, which even a loaded machine (where the poll gets part of a core) tells apart
    from the 0.01 s or less that a sleeping server uses."""
    env = _clean_env(OPENBLAS_NUM_THREADS="2")
    env.pop("OPENBLAS_THREAD_TIMEOUT", None)  # this process's server package set it
    if timeout:
        env["OPENBLAS_THREAD_TIMEOUT"] = timeout
    with ServerProcess("--port", "0", env=env) as server:
        host, port = server.address()
        channel, stub = connect(f"{host}:{port}")
        try:
            session = WireSession(stub)
            a = np.ones((400, 400), np.float32)
            session.execute([upload(1, a), call("mm", [1, 1], 2)], fetches=[])
            used = []
            for _ in range(3):  # a product, then half a second of nothing
                session.execute([call("mm", [2, 1], 3), release(3)], fetches=[])
                before = _cpu_seconds(server.process.pid)
                time.sleep(0.5)
                used.append(_cpu_seconds(server.process.pid) - before)
            session.close()
        finally:
            channel.close()
    idle = min(used)
    assert (idle >= 0.06) if spins else (idle <= 0.02), used


# The client's embedded server: the process's CPU while idle after each of three products.
_EMBEDDED_IDLE = """
import os, time
os.environ.pop("GRADRPC_ADDRESS", None)
import gradrpc

a = gradrpc.ones(400, 400)
used = []
for _ in range(3):
    (a @ a).sum().item()
    before = time.process_time()
    time.sleep(0.5)
    used.append(time.process_time() - before)
print(min(used))
"""


def test_the_embedded_servers_blas_threads_sleep_too():
    env = _clean_env(OPENBLAS_NUM_THREADS="2")
    env.pop("OPENBLAS_THREAD_TIMEOUT", None)
    result = subprocess.run(
        [sys.executable, "-c", _EMBEDDED_IDLE], capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) <= 0.02


# Builds a server from these CLI arguments, then counts the page faults of a step-like pattern:
# three 6 MiB arrays made and dropped, ten times over (after a first round that warms up).
_FAULTS_PROBE = """
import resource, sys
import numpy as np
from gradrpc.server.app import GradServer
from gradrpc.server.main import parse_config

GradServer(parse_config(sys.argv[1:])[0])

def step():
    arrays = [np.ones(1_572_864, np.float32) for _ in range(3)]
    del arrays

step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    step()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) // 10)
"""


@pytest.mark.parametrize(
    "argv, env, reuses",
    [
        ([], {}, True),  # the CLI's default, 64 MiB
        (["--malloc-threshold-mb", "0"], {}, False),  # glibc's defaults
        (["--malloc-threshold-mb", "4"], {}, False),  # below the arrays' size
        ([], {"MALLOC_TRIM_THRESHOLD_": str(1 << 20)}, False),  # the environment's own choice
    ],
)
def test_the_cli_server_reuses_freed_heap_for_large_arrays(argv, env, reuses):
    """Under glibc's defaults (or thresholds below the arrays' size) freeing the arrays trims
    the heap, so each round faults in fresh pages (about 1,000 here); the CLI's keep them."""
    result = subprocess.run(
        [sys.executable, "-c", _FAULTS_PROBE, "--port", "0", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env=_clean_env(**env),
    )
    assert result.returncode == 0, result.stderr
    faults = int(result.stdout)
    assert (faults < 100) if reuses else (faults > 500), faults


def test_a_busy_port_fails_cleanly():
    """A second server on a port in use exits with an error instead of sharing it."""
    first = GradServer(ServerConfig(host="127.0.0.1", port=0)).start()
    try:
        with ServerProcess("--host", "127.0.0.1", "--port", str(first.port)) as second:
            assert second.outcome() == 1
            assert f"could not bind 127.0.0.1:{first.port}" in second.stderr
            assert "Traceback" not in second.stderr
        with grpc.insecure_channel(first.address) as channel:
            grpc.channel_ready_future(channel).result(timeout=10)
    finally:
        first.stop(grace=0)
