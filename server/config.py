"""The server's settings, importable without grpc or the engine (so `--help` starts fast)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ServerConfig:
    """Everything the CLI can set; see `gradrpc-server --help` for each field's flag."""

    host: str = "127.0.0.1"
    port: int = 50051
    max_workers: int = 64
    max_message_mb: int = 256
    keep_alive: float = 300.0
    max_keep_alive: float = 3600.0
    max_sessions: int = 1000
    reap_interval: float = 10.0
    grace: float = 10.0
    metrics_port: int = 0  # 0: no metrics endpoint (the CLI's default is 9464)
    blas_threads: int = 0  # 0: the process's BLAS keeps its thread count
    malloc_threshold_mb: int = 0  # 0: glibc's malloc keeps its own thresholds (the CLI's is 64)

    def __post_init__(self) -> None:
        problems = []
        for name in ("port", "metrics_port"):
            if not 0 <= getattr(self, name) <= 65535:
                problems.append(f"{name} must be in [0, 65535], got {getattr(self, name)}")
        for name in ("blas_threads", "malloc_threshold_mb"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must not be negative, got {getattr(self, name)}")
        for name in ("max_workers", "max_message_mb", "max_sessions"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("keep_alive", "max_keep_alive", "reap_interval"):
            if not getattr(self, name) > 0:
                problems.append(f"{name} must be positive, got {getattr(self, name)}")
        if not self.grace >= 0:
            problems.append(f"grace must not be negative, got {self.grace}")
        if problems:
            raise ValueError("; ".join(problems))
