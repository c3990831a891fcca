"""B4: `gradrpc-server` start to the first answered health check, with Numba's cache warm and
with an empty one (NUMBA_CACHE_DIR pointed at a fresh temporary folder)."""

from __future__ import annotations

import statistics

from .common import Result, ServerProcess, Settings, remove_dir, temp_cache_dir


def _start_once(env=None) -> float:
    server = ServerProcess(env).start()
    try:
        return server.wait()
    finally:
        server.stop()


def run_b4(settings: Settings, server: ServerProcess, result: Result) -> None:
    import gradrpc.engine.ops  # noqa: F401  (fills the in-tree cache, so "warm" is warm)

    warm = statistics.median(_start_once() for _ in range(settings.pick(3, 2)))
    data = {"warm_s": warm}
    result.row("B4", "server start → first health answer, warm cache", warm, "s", "", "< 2 s")
    if settings.quick:
        result.row("B4", "… empty Numba cache", None, "s", "", "", "skipped in --quick")
    else:
        cache = temp_cache_dir()
        try:
            cold = _start_once({"NUMBA_CACHE_DIR": cache})
        finally:
            remove_dir(cache)
        data["cold_s"] = cold
        result.row("B4", "… empty Numba cache (NUMBA_CACHE_DIR=temp)", cold, "s")
    result.data["B4"] = data
