"""`gradrpc-server`: run the service. Every flag also reads an environment variable."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from typing import NamedTuple

from . import logs
from .config import ServerConfig

# flag, field, type, environment variable, help
FLAGS = [
    ("--host", "host", str, "GRADRPC_HOST", "address to listen on (0.0.0.0 for all interfaces)"),
    ("--port", "port", int, "GRADRPC_PORT", "port to listen on (0 picks a free one)"),
    (
        "--max-workers",
        "max_workers",
        int,
        "GRADRPC_MAX_WORKERS",
        "threads serving calls; a busy session's ExecuteStream holds one",
    ),
    (
        "--max-message-mb",
        "max_message_mb",
        int,
        "GRADRPC_MAX_MESSAGE_MB",
        "largest request or reply, in MiB",
    ),
    (
        "--keep-alive",
        "keep_alive",
        float,
        "GRADRPC_KEEP_ALIVE",
        "default idle seconds before a session is reaped",
    ),
    (
        "--max-keep-alive",
        "max_keep_alive",
        float,
        "GRADRPC_MAX_KEEP_ALIVE",
        "largest keep-alive a client may ask for, seconds",
    ),
    ("--max-sessions", "max_sessions", int, "GRADRPC_MAX_SESSIONS", "most sessions held at once"),
    (
        "--reap-interval",
        "reap_interval",
        float,
        "GRADRPC_REAP_INTERVAL",
        "seconds between scans for idle sessions",
    ),
    (
        "--grace",
        "grace",
        float,
        "GRADRPC_GRACE",
        "seconds in-flight calls get to finish on SIGTERM/SIGINT",
    ),
    (
        "--metrics-port",
        "metrics_port",
        int,
        "GRADRPC_METRICS_PORT",
        "port of the Prometheus metrics endpoint (HTTP, /metrics) on --host; 0 disables it",
    ),
    (
        "--blas-threads",
        "blas_threads",
        int,
        "GRADRPC_BLAS_THREADS",
        "threads each matrix product may use (OpenBLAS); 0 leaves OpenBLAS's own count, one per "
        "core. Sessions already run in parallel: a server of many busy sessions may want 1",
    ),
    (
        "--malloc-threshold-mb",
        "malloc_threshold_mb",
        int,
        "GRADRPC_MALLOC_THRESHOLD_MB",
        "glibc: arrays up to this size come from the heap and up to twice this of freed heap "
        "is kept for the next ones, instead of fresh pages whose faults can cost more than the "
        "arithmetic; 0 leaves malloc's defaults (and MALLOC_*_THRESHOLD_ set in the "
        "environment wins)",
    ),
]


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
METRICS_PORT = 9464  # the CLI serves metrics by default; a GradServer built in code does not
MALLOC_THRESHOLD_MB = 64  # the CLI tunes malloc; a GradServer built in code does not


def _choice(parser: argparse.ArgumentParser, env: str, choices: tuple[str, ...], default: str):
    value = os.environ.get(env, default)
    if value.lower() not in (c.lower() for c in choices):
        parser.error(f"{env}: must be one of {', '.join(choices)}")
    return value


class Options(NamedTuple):
    config: ServerConfig
    log_level: str
    log_format: str
    build_kernels: bool  # build every kernel into Numba's cache and exit, serving nothing


def parse_config(argv: list[str] | None = None) -> Options:
    """The configuration, log level and log format from flags, then environment variables,
    then defaults, and whether to build the kernels and exit instead of serving."""
    defaults = ServerConfig(metrics_port=METRICS_PORT, malloc_threshold_mb=MALLOC_THRESHOLD_MB)
    parser = argparse.ArgumentParser(
        prog="gradrpc-server",
        description="PyTorch-style autograd over gRPC (gradrpc.v1.GradService, grpc.health.v1, "
        "server reflection), with Prometheus metrics over HTTP.",
    )
    for flag, field, kind, env, text in FLAGS:
        default = getattr(defaults, field)
        if env in os.environ:
            try:
                default = kind(os.environ[env])
            except ValueError:
                parser.error(f"{env}: invalid {kind.__name__} value: {os.environ[env]!r}")
        parser.add_argument(
            flag,
            dest=field,
            type=kind,
            default=default,
            help=f"{text} [env {env}, default {default}]",
        )
    level = _choice(parser, "GRADRPC_LOG_LEVEL", LOG_LEVELS, "INFO").upper()
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        default=level,
        help=f"logging level [env GRADRPC_LOG_LEVEL, default {level}]",
    )
    log_format = _choice(parser, "GRADRPC_LOG_FORMAT", logs.FORMATS, "text").lower()
    parser.add_argument(
        "--log-format",
        type=str.lower,
        choices=logs.FORMATS,
        default=log_format,
        help="one line per event: text, or a JSON object with the event's fields (session, "
        f"reason, ...) as keys [env GRADRPC_LOG_FORMAT, default {log_format}]",
    )
    parser.add_argument(
        "--build-kernels",
        action="store_true",
        help="compile every kernel into Numba's cache (NUMBA_CACHE_DIR), or check that it holds "
        "them, and exit; a server builds each kernel at its first call, from that cache in "
        "milliseconds (the container image runs this at build time)",
    )
    args = parser.parse_args(argv)
    try:
        config = ServerConfig(**{field: getattr(args, field) for _, field, *_ in FLAGS})
    except ValueError as exc:
        parser.error(str(exc))
    return Options(config, args.log_level, args.log_format, args.build_kernels)


def build_kernels() -> int:
    """Build every kernel of the engine; prints how many."""
    from gradrpc.engine import kernels, ops  # noqa: F401  (ops imports every kernel module)

    started = time.perf_counter()
    count = kernels.build_all()
    elapsed = time.perf_counter() - started
    print(f"gradrpc-server: {count} kernels built in {elapsed:.1f} s", file=sys.stderr, flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    config, log_level, log_format, build_only = parse_config(argv)
    if build_only:
        return build_kernels()
    logs.configure(log_level, log_format)
    log = logging.getLogger("gradrpc.server")
    stop = threading.Event()

    def request_stop(signum, frame):
        log.info("shutting down", extra={"signal": signum, "grace": config.grace})
        stop.set()

    # Handlers first: a SIGTERM that arrives while the kernels load still shuts down cleanly.
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    from .app import GradServer  # imports the engine; each kernel is built at its first call

    try:
        server = GradServer(config)
    except OSError as exc:
        print(f"gradrpc-server: {exc}", file=sys.stderr, flush=True)
        return 1
    if stop.is_set():
        return 0
    server.start()
    print(f"gradrpc-server listening on {config.host}:{server.port}", file=sys.stderr, flush=True)
    stop.wait()
    server.stop()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
