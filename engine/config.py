"""Compiler and threading settings of the kernels, in one place.

Imported by `kernels` before anything compiles. Large elementwise and reduction kernels run
on Numba's threading layer; it must be safe when several gRPC worker threads launch parallel
kernels at once, which Numba's default fallback (`workqueue`) is not, so only `omp` or `tbb`
are used. Where neither loads, every kernel stays serial.

Environment:
- `GRADRPC_THREADING_LAYER`: `omp`, `tbb` or `threadsafe` (either; the default).
- `GRADRPC_PARALLEL_MIN`: elements from which cheap kernels (arithmetic) go parallel.
- `GRADRPC_PARALLEL_MIN_TRANSCENDENTAL`: the same for kernels that call exp/tanh.
- `NUMBA_NUM_THREADS` (Numba's own): threads a parallel kernel uses.
- `OMP_WAIT_POLICY` (OpenMP's): PASSIVE unless set, so the pool's threads sleep between
  kernels instead of spinning on cores the gRPC threads need (on 2 busy cores spinning
  threads stalled parallel kernels by a scheduler tick, ~10 ms, in `--only B3`).

The crossovers were measured with `python -m benchmarks --only B3` on 2 idle cores: a parallel
float32 `mul` beats the serial one from about 64-128 Ki elements, `exp` from about 8 Ki.
"""

from __future__ import annotations

import importlib
import os

import numba

_LAYER_MODULES = {"tbb": "numba.np.ufunc.tbbpool", "omp": "numba.np.ufunc.omppool"}


def _usable_layer(requested: str) -> str | None:
    """The first threadsafe threading layer that loads here, or None."""
    candidates = ["tbb", "omp"] if requested == "threadsafe" else [requested]
    for layer in candidates:
        if layer not in _LAYER_MODULES:
            raise ValueError(f"GRADRPC_THREADING_LAYER must be omp, tbb or threadsafe: {layer!r}")
        try:
            importlib.import_module(_LAYER_MODULES[layer])
        except ImportError:
            continue
        return layer
    return None


THREADING_LAYER = _usable_layer(os.environ.get("GRADRPC_THREADING_LAYER", "threadsafe"))
PARALLEL = THREADING_LAYER is not None
NEVER = 1 << 62  # a threshold no array reaches: the kernel stays serial
# On 2 shared cores a 2-thread kernel waits for a busy core: B3 measured ~10 ms stalls per
# call at load average 5-6 (torch's own parallel ops stalled the same way), against at most
# a 1.9x gain on idle cores. So with 2 cores or fewer the kernels stay serial unless the
# thresholds are set explicitly.
_FEW_CORES = (os.cpu_count() or 1) <= 2


def _threshold(variable: str, measured: int) -> int:
    if not PARALLEL:
        return NEVER
    if variable in os.environ:
        return int(os.environ[variable])
    return NEVER if _FEW_CORES else measured


PARALLEL_MIN_ELEMENTS = _threshold("GRADRPC_PARALLEL_MIN", 65536)
PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL = _threshold("GRADRPC_PARALLEL_MIN_TRANSCENDENTAL", 8192)

if PARALLEL:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read when the pool first starts
    numba.config.THREADING_LAYER = THREADING_LAYER
