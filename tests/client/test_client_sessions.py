"""Sessions: `gradrpc.connect(address)`, the module-level default session (an embedded server,
or the one at $GRADRPC_ADDRESS, tried with a GradServer in another process), and what the
client package may import."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import gradrpc
import pytest
from clientkit import no_rpc

CLIENT_DIR = Path(gradrpc.__file__).resolve().parent
TIMEOUT = 120


def test_connect_returns_a_session_with_the_module_namespace(session):
    with gradrpc.connect(session.address) as s:
        assert isinstance(s, gradrpc.Session)
        assert s is not session and s.id != session.id
        x = s.tensor([1.0, 2.0], requires_grad=True)
        y = (s.ones(2) * x + s.zeros_like(x) + s.full((2,), 0.5)).sum()
        y.backward()
        assert x._session is s and x.grad.tolist() == [1.0, 1.0]
        assert s.float32 is gradrpc.float32 and s.no_grad is gradrpc.no_grad
        assert s.autograd is gradrpc.autograd and s.Tensor is gradrpc.Tensor
        with s.no_grad():
            assert not (x * 2).requires_grad
        assert s.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]
        assert s.handle_count() > 0
        with pytest.raises(AttributeError, match="'Session' object has no attribute 'nonsense'"):
            s.nonsense  # noqa: B018
    assert s.closed


def test_a_closed_session_refuses_work(session):
    s = gradrpc.connect(session.address)
    x = s.ones(2)
    s.close()
    s.close()  # twice is fine
    with pytest.raises(RuntimeError, match="this session is closed"):
        s.ones(2)
    with pytest.raises(RuntimeError, match="this session is closed"):
        x.tolist()
    del x  # releasing a tensor of a closed session is quiet


def test_tensors_of_two_sessions_do_not_mix(session):
    with gradrpc.connect(session.address) as s:
        a, b = s.ones(2, requires_grad=True), gradrpc.ones(2)
        for mix in (lambda: a + b, lambda: b * a, lambda: a @ b, lambda: a.copy_(b)):
            with (
                no_rpc(s),
                no_rpc(session),
                pytest.raises(RuntimeError, match="different sessions"),
            ):
                mix()
        with pytest.raises(RuntimeError, match="different sessions"):
            a.grad = gradrpc.ones(2)


def test_sessions_do_not_see_each_others_state(session):
    with gradrpc.connect(session.address) as s1, gradrpc.connect(session.address) as s2:
        x1 = s1.tensor([1.0], requires_grad=True)
        x2 = s2.tensor([1.0], requires_grad=True)
        (x1 * 3).sum().backward()
        assert x1.grad.tolist() == [3.0] and x2.grad is None
        assert (s1.handle_count(), s2.handle_count()) == (2, 1)  # x1 and its grad; x2


def test_manual_seed_makes_random_tensors_repeat(session):
    with gradrpc.connect(session.address) as s:
        s.manual_seed(7)
        a = s.rand(3).tolist() + s.randn(2, dtype=gradrpc.float64).tolist()
        s.manual_seed(7)
        b = s.rand(3).tolist() + s.randn(2, dtype=gradrpc.float64).tolist()
        assert a == b and all(0 <= v < 1 for v in a[:3])


def test_the_legacy_constructor_uses_the_default_session():
    t = gradrpc.Tensor([1, 2])
    assert t._session is gradrpc.default_session()
    assert (t.dtype, t.tolist(), t.requires_grad) == (gradrpc.float32, [1.0, 2.0], False)
    assert gradrpc.Tensor(2, 3).shape == (2, 3) and gradrpc.Tensor().shape == (0,)
    assert gradrpc.Tensor(gradrpc.tensor([1.0], dtype=gradrpc.float64)).dtype == gradrpc.float64
    assert isinstance(gradrpc.ones(1), gradrpc.Tensor)


# ---------------------------------------------------------------- the default session


def _run_client(code: str, env: dict, stdin: str = "") -> dict:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _environment(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "GRADRPC_ADDRESS"}
    env.update(extra)
    return env


CLIENT = """
    import json, sys
    import gradrpc
    light = not any(m in sys.modules for m in ("numba", "gradrpc.server", "gradrpc.engine.graph"))
    x = gradrpc.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    s = gradrpc.default_session()
    import gradrpc.session as gs
    print(json.dumps({
        "light": light, "address": s.address, "id": s.id, "grad": x.grad.tolist(),
        "embedded": gs._embedded is not None,
        "server_imported": "gradrpc.server.app" in sys.modules,
        "same": gradrpc.default_session() is s,
    }), flush=True)
    sys.stdin.readline()  # wait to be told to leave
"""


def test_default_session_is_an_embedded_server_without_gradrpc_address():
    out = _run_client(CLIENT, _environment())
    assert out["light"], "import gradrpc imported the kernels or the server"
    assert out["embedded"] and out["server_imported"] and out["same"]
    assert out["address"].startswith("127.0.0.1:")
    assert out["grad"] == [2.0, 4.0]


SERVER = """
    import json, sys
    from gradrpc.server.app import GradServer, ServerConfig
    server = GradServer(ServerConfig(host="127.0.0.1", port=0, max_workers=4)).start()
    print(server.address, flush=True)
    for line in sys.stdin:  # one report of the sessions per line read
        sessions = {s.id: len(s.handles) for s in server.store.sessions()}
        print(json.dumps(sessions), flush=True)
    server.stop(grace=0)
"""


@pytest.fixture(scope="module")
def separate_server():
    """A GradServer in a process of its own; `report()` lists its sessions."""
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(SERVER)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=_environment(),
    )

    def report() -> dict:
        process.stdin.write("report\n")
        process.stdin.flush()
        return json.loads(process.stdout.readline())

    try:
        address = process.stdout.readline().strip()
        assert address, "the server did not start"
        yield address, report
    finally:
        process.stdin.close()
        process.wait(timeout=30)
        process.stdout.close()


def test_default_session_uses_gradrpc_address(separate_server):
    address, report = separate_server
    client = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CLIENT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_environment(GRADRPC_ADDRESS=address),
    )
    try:
        out = json.loads(client.stdout.readline())
        assert out["address"] == address
        assert not out["embedded"] and not out["server_imported"] and out["light"]
        assert out["grad"] == [2.0, 4.0]
        sessions = report()
        assert out["id"] in sessions and sessions[out["id"]] >= 1  # x (and its grad) live there
        client.stdin.write("\n")
        client.stdin.close()
        assert client.wait(timeout=TIMEOUT) == 0, client.stderr.read()
    finally:
        if client.poll() is None:
            client.kill()
        client.stdout.close()
        client.stderr.close()
    assert out["id"] not in report(), "the session outlived its process (it closes at exit)"


# ---------------------------------------------------------------- what the client imports


def _imports(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            base = node.module or ""
            yield from (
                [base] if base != "gradrpc.engine" else [f"{base}.{a.name}" for a in node.names]
            )


# The engine's pure-Python modules; kernels, ops and graph need Numba.
PURE_ENGINE = {
    "gradrpc.engine.rules",
    "gradrpc.engine.errors",
    "gradrpc.engine.traversal",
    "gradrpc.engine.higher_order",
    "gradrpc.engine.advanced_indexing",  # NumPy only
}


def test_the_client_imports_only_the_pure_engine_modules():
    for path in sorted(CLIENT_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for name in _imports(tree):
            assert not name.startswith(("numba", "scipy")), (path, name)
            if name.startswith("gradrpc.engine"):
                assert name in PURE_ENGINE, (path, name)
        # the embedded server is imported where it is started, never at import time
        top_level = ast.Module(
            body=[n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)],
            type_ignores=[],
        )
        assert not any(n.startswith("gradrpc.server") for n in _imports(top_level)), path
