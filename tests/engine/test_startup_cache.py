"""Start-up cost of the kernels (benchmark B4): importing the engine builds no kernel; each is
built at its first use, from Numba's cache when it holds it (so compiling nothing and building
no `@vectorize` loop wrapper with LLVM, which Numba rebuilds at every import, about 40 ms a
signature), and `build_all` builds every one (what the container image runs)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

from gradrpc.engine import kernels as K
from gradrpc.engine import ops  # noqa: F401  (imports every kernel module)
from numba.core.dispatcher import Dispatcher

COUNTING = """
import json
import numba.core.ccallback as ccallback
import numba.core.dispatcher as dispatcher
import numba.np.ufunc.ufuncbuilder as ufuncbuilder

counts = {"compiled": [], "ufunc_wrappers": 0}
compile_core = dispatcher._FunctionCompiler._compile_core
compile_loop = ccallback.CFunc._compile_uncached
build_wrapper = ufuncbuilder.build_ufunc_wrapper


def counting_compile(self, args, return_type):
    counts["compiled"].append(self.py_func.__qualname__)
    return compile_core(self, args, return_type)


def counting_loop(self):
    counts["compiled"].append(self._pyfunc.__qualname__)
    return compile_loop(self)


def counting_wrapper(*args, **kwargs):
    counts["ufunc_wrappers"] += 1
    return build_wrapper(*args, **kwargs)


dispatcher._FunctionCompiler._compile_core = counting_compile
ccallback.CFunc._compile_uncached = counting_loop
ufuncbuilder.build_ufunc_wrapper = counting_wrapper
"""

FIRST_USE = """
import gradrpc.server.app
import numpy as np
from gradrpc.engine import kernels

counts["built_by_import"] = sum(k._built is not None for k in kernels._ON_FIRST_USE)
x = np.arange(4.0, dtype=np.float32)
counts["works"] = kernels.add(x, x).tolist() == [0.0, 2.0, 4.0, 6.0]
counts["built"] = [k.__name__ for k in kernels._ON_FIRST_USE if k._built is not None]
counts["add"] = type(kernels.add).__name__
print(json.dumps(counts))
"""

BUILD_ALL = """
from gradrpc.engine import kernels, kernels_nn, ops

counts["count"] = kernels.build_all()
counts["registered"] = len(kernels._ON_FIRST_USE)
counts["left"] = [
    name
    for module in (kernels, kernels_nn)
    for name, value in vars(module).items()
    if isinstance(value, kernels.OnFirstUse)
]
print(json.dumps(counts))
"""


OP_TABLE = """
import numpy as np
from gradrpc.engine import graph, kernels, ops

counts["before"] = type(ops.OPS["relu"].forward).__name__
x = graph.Tensor(np.array([-1.0, 2.0], np.float32), requires_grad=True)
counts["relu"] = graph.call("relu", [x], {}).data.tolist()
counts["after"] = type(ops.OPS["relu"].forward).__name__
counts["op"] = ops.OPS["relu"].op
print(json.dumps(counts))
"""


def _child(script: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", COUNTING + script],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_server_builds_no_kernel_and_a_first_call_builds_one_from_the_cache():
    K.build_all()  # fills the cache, so the child starts warm
    counts = _child(FIRST_USE)
    assert counts == {
        "compiled": [],
        "ufunc_wrappers": 0,
        "built_by_import": 0,
        "works": True,
        "built": ["add"],
        "add": "ufunc",
    }


def test_build_all_loads_every_kernel_from_a_warm_cache_and_rebinds_every_name():
    K.build_all()
    counts = _child(BUILD_ALL)
    assert counts["compiled"] == [] and counts["ufunc_wrappers"] == 0
    assert counts["count"] == counts["registered"] > 150
    assert counts["left"] == []


def test_an_op_s_first_call_leaves_its_table_entry_holding_the_built_kernel():
    """The op table binds some forwards to kernels directly (relu's is the kernel): after the
    op's first call its entry holds the kernel itself, not the stand-in that built it."""
    counts = _child(OP_TABLE)
    assert counts["before"] == "OnFirstUse"
    assert (counts["relu"], counts["after"], counts["op"]) == ([0.0, 2.0], "ufunc", "relu")


# Two kernels, the second calling the first: building `twice_plus_one` must build `plus_one`
# first and rebind its module's name to it, or Numba cannot type the call.
CALLER_AND_CALLEE = """
from gradrpc.engine.kernels import lazy_njit


@lazy_njit(["float64(float64)"], cache=False)  # no file to cache for
def plus_one(x):
    return x + 1.0


@lazy_njit(["float64(float64)"], cache=False)  # no file to cache for
def twice_plus_one(x):
    return 2.0 * plus_one(x)
"""


def test_a_kernel_builds_the_kernels_it_calls_and_its_names_then_reach_them():
    module = {}
    exec(CALLER_AND_CALLEE, module)  # a module of its own, defined after any build_all
    K._ON_FIRST_USE.remove(module["plus_one"])
    K._ON_FIRST_USE.remove(module["twice_plus_one"])
    assert isinstance(module["plus_one"], K.OnFirstUse)
    assert module["twice_plus_one"](1.0) == 4.0
    assert isinstance(module["plus_one"], Dispatcher)
    assert isinstance(module["twice_plus_one"], Dispatcher)
    assert module["plus_one"].signatures == [(K.types.float64,)]


def test_threads_racing_for_a_kernel_build_it_once():
    builds = []

    def build():
        builds.append(threading.get_ident())
        time.sleep(0.05)  # every thread arrives while the first builds
        return abs

    def absolute(x):
        """|x|"""

    kernel = K.OnFirstUse(absolute, build)
    start = threading.Barrier(8)
    results = []

    def call():
        start.wait()
        results.append(kernel(-2))

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    K._ON_FIRST_USE.remove(kernel)
    assert (len(builds), results) == (1, [2] * 8)
    assert kernel.kernel() is abs and repr(kernel) == (
        "<gradrpc kernel absolute, built on first use>"
    )
