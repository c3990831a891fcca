"""Run one seed's cells, in order and in one namespace, under real torch or under gradrpc.

Usage: ``python seed_runner.py torch|gradrpc < cells.json`` (a JSON list of code strings).

Before each cell it prints ``MARKER.format(index)`` on a line of its own; an exception a cell
raises is printed as ``RAISED <built-in type name>`` (its traceback goes to stderr) and the
next cell runs. Under ``gradrpc`` the module is installed as ``torch``, so ``import torch`` in
a cell gets gradrpc, and ``gradrpc.viz`` as ``torchviz``. In both runtimes alike,
``torch.randn`` is replaced by a function that returns fixed values (NumPy's generator with a
fixed seed, in call order) through ``torch.tensor``, so that cells using randn print the same
numbers, and graphviz's ``render`` only writes the graph's DOT source (which the tests compare).
"""

from __future__ import annotations

import builtins
import json
import sys
import traceback

import numpy as np

MARKER = "=== gradrpc seed cell {} ==="
RAISED = "RAISED"
RANDN_SEED = 20240917


def _install(runtime: str):
    if runtime == "gradrpc":
        import gradrpc
        import gradrpc.nn.functional

        sys.modules["torch"] = gradrpc
        sys.modules["torch.nn"] = gradrpc.nn
        sys.modules["torch.nn.functional"] = gradrpc.nn.functional
        sys.modules["torch.autograd"] = gradrpc.autograd
        import gradrpc.viz

        sys.modules["torchviz"] = gradrpc.viz  # the seeds draw graphs with torchviz.make_dot
    elif runtime != "torch":
        raise SystemExit(f"unknown runtime {runtime!r}")
    import graphviz
    import torch

    # Rendering writes the DOT source only: the `dot` binary is not assumed, in either runtime.
    graphviz.Digraph.render = lambda self, filename=None, directory=None, **ignored: self.save(
        filename, directory
    )
    generator = np.random.default_rng(RANDN_SEED)

    def randn(*size, dtype=None, requires_grad=False, **ignored):
        if len(size) == 1 and isinstance(size[0], tuple | list):
            size = tuple(size[0])
        values = generator.standard_normal(size).astype(np.float32)
        return torch.tensor(values, dtype=dtype or torch.float32, requires_grad=requires_grad)

    torch.randn = randn
    return torch


def main() -> None:
    runtime = sys.argv[1]
    cells = json.load(sys.stdin)
    # The notebooks were run out of order (001 runs In [12] before the In [6] that imports
    # torch), so each seed runs in a namespace where torch is already imported, as in the
    # kernel that produced the seed's outputs.
    namespace: dict = {"__name__": "__main__", "torch": _install(runtime)}
    for index, cell in enumerate(cells):
        print(MARKER.format(index), flush=True)
        try:
            exec(compile(cell, f"<seed cell {index}>", "exec"), namespace)
        except Exception as exc:
            sys.stdout.flush()
            # gradrpc's errors derive from the built-in type torch raises: compare that one
            kind = next(c for c in type(exc).__mro__ if getattr(builtins, c.__name__, None) is c)
            print(f"{RAISED} {kind.__name__}", flush=True)
            print(f"--- cell {index} raised under {runtime}:", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
