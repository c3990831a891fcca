"""`gradrpc-server`: run the service. Every flag also reads an environment variable."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

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
]


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def parse_config(argv: list[str] | None = None) -> tuple[ServerConfig, str]:
    """The configuration from flags, then environment variables, then defaults."""
    defaults = ServerConfig()
    parser = argparse.ArgumentParser(
        prog="gradrpc-server",
        description="PyTorch-style autograd over gRPC (gradrpc.v1.GradService, grpc.health.v1).",
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
    log_default = os.environ.get("GRADRPC_LOG_LEVEL", "INFO").upper()
    if log_default not in LOG_LEVELS:
        parser.error(f"GRADRPC_LOG_LEVEL: must be one of {', '.join(LOG_LEVELS)}")
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        default=log_default,
        help=f"logging level [env GRADRPC_LOG_LEVEL, default {log_default}]",
    )
    args = parser.parse_args(argv)
    try:
        config = ServerConfig(**{field: getattr(args, field) for _, field, *_ in FLAGS})
    except ValueError as exc:
        parser.error(str(exc))
    return config, args.log_level


def main(argv: list[str] | None = None) -> int:
    config, log_level = parse_config(argv)
    logging.basicConfig(
        level=log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    log = logging.getLogger("gradrpc.server")
    stop = threading.Event()

    def request_stop(signum, frame):
        log.info("signal %d: shutting down (grace %.1fs)", signum, config.grace)
        stop.set()

    # Handlers first: a SIGTERM that arrives while the kernels load still shuts down cleanly.
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    from .app import GradServer  # imports the engine: compiles or loads the kernels

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
