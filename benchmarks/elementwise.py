"""B3: elementwise forward and backward kernels, float32, engine vs NumPy vs torch, in GB/s
(bytes read plus bytes written, per second). Also the engine's serial ufunc and parallel loop
on their own, and the size from which the parallel loop wins (the crossover).

Each library is measured in a process of its own (`python -m benchmarks.elementwise
--worker engine|torch`), as the server runs the kernels without torch: with both in one
process, torch's OpenMP pool and Numba's spin against each other on 2 cores and parallel
kernels of either stall for a scheduler tick (~10 ms)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np

from .common import ROOT, Result, Settings, median_time

SIZES = (10**3, 10**4, 10**5, 10**6, 10**7)
CROSSOVER_SIZES = tuple(2**k for k in range(11, 19))


NAMES = ("mul (= mul/exp backward)", "exp", "sigmoid", "sigmoid_backward")
ARITY = dict(zip(NAMES, (2, 1, 1, 2), strict=True))
NUMPY_LABELS = dict(zip(NAMES, ("np.multiply", "np.exp", "scipy expit", "g*(1-r)*r"), strict=True))


def _engine_cases():
    """name -> (engine kernel, its NumPy equivalent)."""
    import scipy.special
    from gradrpc.engine import kernels as K

    kernels = tuple(K.built(k) for k in (K.mul, K.exp, K.sigmoid, K.sigmoid_backward))
    numpy = (np.multiply, np.exp, scipy.special.expit, lambda g, r: g * (1 - r) * r)
    return dict(zip(NAMES, zip(kernels, numpy, strict=True), strict=True))


def _torch_cases():
    import torch

    fns = (torch.mul, torch.exp, torch.sigmoid, torch.ops.aten.sigmoid_backward)
    return dict(zip(NAMES, fns, strict=True))


def _operands(arity: int, size: int):
    rng = np.random.default_rng(size)
    arrays = [rng.standard_normal(size, dtype=np.float32) for _ in range(arity)]
    if arity == 2:
        arrays[1] = 1 / (1 + np.exp(-arrays[1]))  # a sigmoid result for sigmoid_backward
    return arrays


def _time(fn, args, budget: float) -> float:
    start = time.perf_counter()
    fn(*args)
    once = max(time.perf_counter() - start, 1e-7)
    repeats = int(min(max(budget / once, 3), 2000))
    return median_time(lambda: fn(*args), repeats)


def _serial(kernel):
    """The kernel's ufunc: the kernel itself, or the serial half of a `SizeDispatch`."""
    return getattr(kernel, "ufunc", kernel)


def _parallel(kernel):
    from gradrpc.engine import kernels as K

    loop = K.parallel_loop(_serial(kernel))

    def run(*args):
        out = np.empty_like(args[0])
        loop(*args, out)
        return out

    return run


def _worker(which: str, quick: bool) -> dict:
    """Seconds per call, {name: {size: {variant: s}}}, plus the crossover scan (engine)."""
    settings = Settings(quick=quick)
    budget = settings.pick(0.1, 0.02)
    sizes = SIZES if not quick else SIZES[:-1]
    out = {"seconds": {}, "crossover": {}}
    if which == "torch":
        import torch

        out["torch_threads"] = torch.get_num_threads()
        for name, fn in _torch_cases().items():
            out["seconds"][name] = {
                size: {
                    "torch": _time(
                        fn, [torch.from_numpy(a) for a in _operands(ARITY[name], size)], budget
                    )
                }
                for size in sizes
            }
        return out
    cases = _engine_cases()
    for name, (kernel, np_fn) in cases.items():
        per_size = out["seconds"][name] = {}
        for size in sizes:
            args = _operands(ARITY[name], size)
            per_size[size] = {
                "engine": _time(kernel, args, budget),
                "engine_serial": _time(_serial(kernel), args, budget),
                "engine_parallel": _time(_parallel(kernel), args, budget),
                "numpy": _time(np_fn, args, budget),
            }
    if not quick:
        from gradrpc.engine import config

        for name in NAMES[:2]:
            kernel = cases[name][0]
            serial, parallel = _serial(kernel), _parallel(kernel)
            wins = []
            for size in CROSSOVER_SIZES:
                args = _operands(ARITY[name], size)
                wins.append((size, _time(serial, args, budget) / _time(parallel, args, budget)))
            threshold = getattr(kernel, "min_elements", config.NEVER)
            out["crossover"][name] = {"wins": wins, "threshold": threshold}
    return out


def _run_worker(which: str, quick: bool) -> dict:
    command = [sys.executable, "-m", "benchmarks.elementwise", "--worker", which]
    done = subprocess.run(
        [*command, *(["--quick"] if quick else [])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_b3(settings: Settings, server, result: Result) -> None:
    engine = _run_worker("engine", settings.quick)
    torch_side = _run_worker("torch", settings.quick)
    data = {"torch_threads": torch_side["torch_threads"], "kernels": {}, "crossover": {}}
    for name in NAMES:
        per_size = {}
        for size, seconds in engine["seconds"][name].items():
            seconds = {**seconds, **torch_side["seconds"][name][size]}
            gbytes = (ARITY[name] + 1) * 4 * int(size) / 1e9
            gbs = per_size[size] = {k: gbytes / v for k, v in seconds.items()}
            ratio = gbs["engine"] / gbs["numpy"]
            result.row(
                "B3",
                f"{name} n={int(size):.0e}",
                gbs["engine"],
                "GB/s",
                f"{ratio:.2f}x {NUMPY_LABELS[name]}",
                "≥1x NumPy",
                f"numpy {gbs['numpy']:.2f}, torch {gbs['torch']:.2f}, "
                f"serial {gbs['engine_serial']:.2f}, parallel {gbs['engine_parallel']:.2f}"
                + ("" if ratio >= 1 else "  MISS"),
            )
        data["kernels"][name] = {"numpy_label": NUMPY_LABELS[name], "gb_per_s": per_size}
    for name, scan in engine["crossover"].items():
        wins = scan["wins"]
        crossover = next(
            (s for i, (s, _) in enumerate(wins) if all(r > 1 for _, r in wins[i:])), None
        )
        data["crossover"][name] = {
            "serial_over_parallel": dict(wins),
            "parallel_wins_from": crossover,
            "dispatch_threshold": scan["threshold"],
        }
        result.row(
            "B3",
            f"crossover {name.split()[0]}: parallel wins from",
            crossover,
            "elements",
            "",
            "",
            f"dispatch threshold {scan['threshold'] if scan['threshold'] < 1 << 60 else 'off'}; "
            "serial/parallel time " + ", ".join(f"{s}:{r:.2f}" for s, r in wins),
        )
    result.data["B3"] = data


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", choices=("engine", "torch"), required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(json.dumps(_worker(args.worker, args.quick)))
