"""The repository's promises: generated code in sync, the contract lint-clean, the layering
(engine without grpc, client without numba), one op table with both halves complete, and a
protocol document that names every op and error reason."""

import filecmp
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROTO = "gradrpc/v1/gradrpc.proto"
GENERATED = ("gradrpc_pb2.py", "gradrpc_pb2.pyi", "gradrpc_pb2_grpc.py")


def test_generated_code_matches_the_proto(tmp_path):
    out = tmp_path / "gen"
    out.mkdir()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{ROOT / 'protos'}",
            f"--python_out={out}",
            f"--pyi_out={out}",
            f"--grpc_python_out={out}",
            str(ROOT / "protos" / PROTO),
        ],
        check=True,
    )
    for name in GENERATED:
        committed = ROOT / "protos" / "gradrpc" / "v1" / name
        assert filecmp.cmp(out / "gradrpc" / "v1" / name, committed, shallow=False), (
            f"{committed} is out of date with {PROTO}: run `make proto` and commit the result"
        )


def test_contract_passes_buf_lint():
    buf = ROOT / "node_modules" / ".bin" / "buf"
    assert buf.exists() or shutil.which("buf"), "buf is missing: `make test` installs it with npm"
    result = subprocess.run(
        [str(buf) if buf.exists() else "buf", "lint"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return {name.split(".")[0] for name in out.stdout.split()}


def test_client_imports_neither_numba_nor_the_kernels():
    modules = _modules_after("import gradrpc, gradrpc.nn.functional, gradrpc.autograd")
    assert "numba" not in modules
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, gradrpc; print('gradrpc.engine.kernels' in sys.modules)",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    assert out.stdout.strip() == "False"


def test_engine_never_imports_grpc():
    # The engine is loaded without the client's package __init__ (which needs grpc).
    stub_parent = (
        "import types; p = types.ModuleType('gradrpc'); p.__path__ = []; sys.modules['gradrpc'] = p"
    )
    modules = _modules_after(f"{stub_parent}; import gradrpc.engine.graph, gradrpc.engine.ops")
    assert "numba" in modules
    assert "grpc" not in modules and "google" not in modules


@pytest.mark.parametrize("source", sorted((ROOT / "engine").glob("*.py")), ids=lambda p: p.name)
def test_engine_sources_do_not_mention_grpc(source):
    assert "import grpc" not in source.read_text()


def test_op_table_halves_cover_the_same_ops():
    from gradrpc.engine import ops, rules

    assert set(rules.SPECS) == set(ops.OPS)


def _declared_reasons() -> set[str]:
    """Every ErrorInfo reason the engine and the server define."""
    reasons = set()
    for folder in ("engine", "server"):
        for path in (ROOT / folder).glob("*.py"):
            reasons.update(re.findall(r'^\s+reason = "([A-Z_]+)"', path.read_text(), re.M))
    return reasons


def test_protocol_doc_lists_every_error_reason_and_op():
    """docs/protocol.md is what client authors in other languages read: its error table
    names every reason, and its op table every op of the table."""
    from gradrpc.engine import rules

    doc = (ROOT / "docs" / "protocol.md").read_text()
    table_reasons = set(re.findall(r"^\| `([A-Z_]+)` \|", doc, re.M))
    assert _declared_reasons() <= table_reasons, _declared_reasons() - table_reasons
    ops_section = doc[doc.index("## The op table") : doc.index("## Errors")]
    documented_ops = set(re.findall(r"`([a-z_][a-z_0-9]*)`", ops_section))
    assert set(rules.SPECS) <= documented_ops, set(rules.SPECS) - documented_ops
