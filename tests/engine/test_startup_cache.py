"""Start-up cost of the kernels (benchmark B4): with Numba's cache warm, importing
`gradrpc.engine.kernels` compiles nothing and builds no `@vectorize` loop wrapper with LLVM
(Numba rebuilds those at every import, about 40 ms a signature); every kernel is loaded."""

from __future__ import annotations

import json
import subprocess
import sys

import gradrpc.engine.kernels  # noqa: F401  (fills the cache, so the child starts warm)

CHILD = """
import json
import numba.core.dispatcher as dispatcher
import numba.np.ufunc.ufuncbuilder as ufuncbuilder

counts = {"compiled": [], "ufunc_wrappers": 0}
compile_core = dispatcher._FunctionCompiler._compile_core
build_wrapper = ufuncbuilder.build_ufunc_wrapper


def counting_compile(self, args, return_type):
    counts["compiled"].append(self.py_func.__qualname__)
    return compile_core(self, args, return_type)


def counting_wrapper(*args, **kwargs):
    counts["ufunc_wrappers"] += 1
    return build_wrapper(*args, **kwargs)


dispatcher._FunctionCompiler._compile_core = counting_compile
ufuncbuilder.build_ufunc_wrapper = counting_wrapper
from gradrpc.engine import kernels

import numpy as np
x = np.arange(4.0, dtype=np.float32)
counts["works"] = kernels.add(x, x).tolist() == [0.0, 2.0, 4.0, 6.0]
print(json.dumps(counts))
"""


def test_a_warm_import_of_the_kernels_compiles_nothing():
    done = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120, check=True
    )
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    assert counts == {"compiled": [], "ufunc_wrappers": 0, "works": True}
