"""Smoke test of `python -m benchmarks`: the quick run of two benchmarks completes against a
real `gradrpc-server` and writes the JSON with the expected keys. No timing is checked."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_b2_b5_writes_expected_json(tmp_path):
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "B2,B5", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(out.read_text())
    assert data["errors"] == {}
    assert data["meta"]["quick"] is True
    assert {"gradrpc_us", "rpcs", "torch_local_us", "gradients_match"} <= data["B2"].keys()
    assert data["B2"]["gradients_match"] is True
    assert {"ops", "ops_per_second", "rpcs"} <= data["B5"].keys()
    assert {row["bench"] for row in data["rows"]} == {"B2", "B5"}
    assert "B2" in done.stdout and "ops/s" in done.stdout


def test_quick_b3_b4_writes_expected_json(tmp_path):
    """B3 times the engine's kernels themselves (built on first use), B4 starts real servers."""
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "B3,B4", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(out.read_text())
    assert data["errors"] == {}
    assert len(data["B3"]["kernels"]) == 4
    assert {"warm_op_s", "warm_health_s"} <= data["B4"].keys()
    assert {row["bench"] for row in data["rows"]} == {"B3", "B4"}
