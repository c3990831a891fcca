"""The Node.js example (examples/node): a client in a second language, written from
docs/protocol.md and the .proto alone, run against a real server on a loopback port.

It must print the seed's five gradients exactly, leave no session behind, and report a
failed call with its status code, message and ErrorInfo reason and exit non-zero. Skipped
only where `node` is not installed; missing npm packages are installed with `npm ci`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import grpc
import pytest
from gradrpc.server.app import GradServer, ServerConfig
from gradrpc.v1 import gradrpc_pb2 as pb
from gradrpc.v1 import gradrpc_pb2_grpc as pb_grpc

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "node"
SCRIPT = "sigmoid_chain.js"
SEED_GRADIENTS = [
    "dh/dw0 = -0.1966",
    "dh/dx0 = 0.3932",
    "dh/dw1 = -0.3932",
    "dh/dx1 = -0.5898",
    "dh/dw2 = 0.1966",
]


@pytest.fixture(scope="module")
def node() -> str:
    """The `node` executable, with the example's npm packages installed."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH: the Node.js example cannot run")
    if not (EXAMPLE / "node_modules" / "@grpc" / "grpc-js").is_dir():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail(
                f"{EXAMPLE / 'node_modules'} is missing and npm is not on PATH to install it: "
                "run `npm ci` in examples/node (`make test` does)"
            )
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=EXAMPLE,
            capture_output=True,
            text=True,
            timeout=240,
        )
        if result.returncode != 0:
            pytest.fail(f"`npm ci` in examples/node failed:\n{result.stdout}{result.stderr}")
    return node


@pytest.fixture(scope="module")
def server():
    server = GradServer(ServerConfig(host="127.0.0.1", port=0, max_workers=4)).start()
    yield server
    server.stop(grace=0)


def run_example(node: str, address: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [node, SCRIPT],
        cwd=EXAMPLE,
        env={**os.environ, "GRADRPC_ADDRESS": address, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_prints_the_seed_gradients_and_closes_its_session(node, server):
    result = run_example(node, server.address)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == SEED_GRADIENTS
    assert result.stderr == ""
    assert server.store.sessions() == []


def test_malformed_session_id_is_reported_with_its_reason(node, server):
    result = run_example(node, server.address, GRADRPC_SESSION_ID="not-32-hex-characters")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "INVALID_ARGUMENT (3)" in result.stderr
    assert "32 lowercase hexadecimal characters" in result.stderr
    assert "reason: INVALID_SESSION_ID" in result.stderr


def test_session_id_in_use_is_reported_and_that_session_left_alone(node, server):
    session_id = os.urandom(16).hex()
    metadata = (("gradrpc-session-id", session_id),)
    with grpc.insecure_channel(server.address) as channel:
        stub = pb_grpc.GradServiceStub(channel)
        stub.CreateSession(pb.CreateSessionRequest(), metadata=metadata, timeout=10)
        result = run_example(node, server.address, GRADRPC_SESSION_ID=session_id)
        assert result.returncode == 1
        assert "ALREADY_EXISTS (6)" in result.stderr
        assert f"session {session_id} already exists" in result.stderr
        assert "reason: SESSION_EXISTS" in result.stderr
        # The example closes only a session it created.
        stub.KeepAlive(pb.KeepAliveRequest(), metadata=metadata, timeout=10)
        stub.CloseSession(pb.CloseSessionRequest(), metadata=metadata, timeout=10)


def test_no_server_at_the_address_fails_fast_with_the_status(node):
    with socket.socket() as s:  # a loopback port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run_example(node, f"127.0.0.1:{port}", GRADRPC_DEADLINE_MS="2000")
    assert result.returncode == 1
    assert result.stdout == ""
    assert f"call to 127.0.0.1:{port} failed" in result.stderr
    assert "UNAVAILABLE (14)" in result.stderr or "DEADLINE_EXCEEDED (4)" in result.stderr
