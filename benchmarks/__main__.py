"""`python -m benchmarks [--quick] [--only B1,B3] [--json PATH]`: run, print, write JSON."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
import traceback

from .common import ROOT, Result, ServerProcess, Settings

ALL = ("B1", "B2", "B3", "B4", "B5", "B6")
NEEDS_SERVER = {"B1", "B2", "B5", "B6"}
TARGETS = {
    "B1": "(a) within 2x of local torch and ≥3x faster than torch.distributed.rpc; "
    "(b) within 1.3x of local torch",
    "B3": "at or above NumPy at every size",
    "B4": "warm start under 2 s",
    "B6": "flat",
}


def _runner(name: str):
    from . import elementwise, mlp, small, startup

    return {
        "B1": mlp.run_b1,
        "B2": small.run_b2,
        "B3": elementwise.run_b3,
        "B4": startup.run_b4,
        "B5": small.run_b5,
        "B6": mlp.run_b6,
    }[name]


def _format(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) >= 1 else f"{value:.3f}"


def print_table(result: Result) -> None:
    headers = ("bench", "case", "median", "unit", "ratio", "target", "note")
    rows = [
        (r.bench, r.case, _format(r.value), r.unit, r.ratio, r.target, r.note) for r in result.rows
    ]
    widths = [
        max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
        for i, h in enumerate(headers)
    ]
    widths[-1] = len(headers[-1])  # the note runs on
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats: about a minute")
    parser.add_argument("--only", default=",".join(ALL), help="comma-separated, e.g. B2,B5")
    parser.add_argument("--json", default=str(ROOT / "bench-results.json"), help="output file")
    args = parser.parse_args(argv)
    only = [b.strip().upper() for b in args.only.split(",") if b.strip()]
    unknown = set(only) - set(ALL)
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(sorted(unknown))}")
    settings = Settings(quick=args.quick)
    result = Result()
    result.data["meta"] = {
        "quick": args.quick,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "targets": TARGETS,
    }
    server = None
    started = time.perf_counter()
    errors = {}
    try:
        if NEEDS_SERVER & set(only):
            server = ServerProcess().__enter__()
            os.environ["GRADRPC_ADDRESS"] = server.address
            result.data["meta"]["server"] = server.address
        for name in only:
            print(f"[{name}] running ...", file=sys.stderr, flush=True)
            try:
                _runner(name)(settings, server, result)
            except Exception as exc:  # one broken benchmark must not lose the others
                traceback.print_exc()
                errors[name] = f"{type(exc).__name__}: {exc}"
                result.row(name, "failed", None, "", "", "", errors[name])
    finally:
        if server is not None:
            import gradrpc

            gradrpc.default_session().close()
            server.stop()
    result.data["meta"]["seconds"] = time.perf_counter() - started
    result.data["errors"] = errors
    result.data["rows"] = [vars(r) for r in result.rows]
    print()
    print_table(result)
    print()
    for name in only:
        if name in TARGETS:
            print(f"target {name}: {TARGETS[name]}")
    print(f"total {result.data['meta']['seconds']:.0f} s; results in {args.json}")
    with open(args.json, "w") as out:
        json.dump(result.data, out, indent=2, default=str)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
