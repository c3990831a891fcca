"""`gradrpc-health`: a health probe (the container's HEALTHCHECK). Asks a server's
grpc.health.v1 service for its overall status and exits 0 only if it is SERVING.

The server is `--address`, else `$GRADRPC_ADDRESS`, else the one the server's own settings
(`$GRADRPC_HOST`, `$GRADRPC_PORT`) describe, reached on loopback where it listens on all
interfaces: in a container, the server beside the probe.
"""

from __future__ import annotations

import argparse
import os
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from .config import ServerConfig

TIMEOUT = 3.0  # seconds; below the HEALTHCHECK's timeout, so the probe reports why it failed


def default_address() -> str:
    if "GRADRPC_ADDRESS" in os.environ:
        return os.environ["GRADRPC_ADDRESS"]
    host = os.environ.get("GRADRPC_HOST", ServerConfig.host)
    if host in ("0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{os.environ.get('GRADRPC_PORT', ServerConfig.port)}"


def status(address: str, timeout: float) -> str:
    """The server's serving status (SERVING, NOT_SERVING, ...) or why it gave none."""
    with grpc.insecure_channel(address) as channel:
        try:
            response = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=timeout
            )
        except grpc.RpcError as exc:
            return f"{exc.code().name}: {exc.details()}"
    return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="gradrpc-health",
        description="Exit 0 if the gradrpc server answers its health check with SERVING, else 1.",
    )
    address = default_address()
    parser.add_argument(
        "--address",
        default=address,
        help="host:port of the server [env GRADRPC_ADDRESS, else GRADRPC_HOST and GRADRPC_PORT "
        f"as gradrpc-server reads them; default {address}]",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=TIMEOUT,
        help=f"seconds to wait for the answer [default {TIMEOUT:g}]",
    )
    args = parser.parse_args(argv)
    answer = status(args.address, args.timeout)
    print(f"{args.address}: {answer}", file=sys.stdout if answer == "SERVING" else sys.stderr)
    return 0 if answer == "SERVING" else 1


if __name__ == "__main__":
    sys.exit(main())
