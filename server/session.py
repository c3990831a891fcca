"""Sessions: a handle table per client, each with its own lock, and the store that reaps them.

One session's calls run one at a time in arrival order (its lock); different sessions run in
parallel, since the kernels release the GIL.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field

import numpy as np
from gradrpc.engine.errors import (
    HandleInUse,
    HandleNotFound,
    InvalidSessionId,
    InvalidValue,
    ResourceExhausted,
    SessionExists,
    SessionNotFound,
)
from gradrpc.engine.graph import Tensor

SESSION_ID = re.compile(r"[0-9a-f]{32}")
SERVER_HANDLES = 1 << 63  # handles from here up are the server's (a Pause's gradients)
log = logging.getLogger("gradrpc.server")


@dataclass(slots=True)
class PausedPass:
    """A backward pass waiting for the client's answer (see executor._advance)."""

    pass_id: int
    steps: Generator
    kind: str  # what it waits for: an engine.graph pause kind


@dataclass(eq=False)
class Session:
    """One client's tensors, by client-chosen handle."""

    id: str
    keep_alive: float
    handles: dict[int, Tensor] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_used: float = field(default_factory=time.monotonic)
    rng: np.random.Generator = field(default_factory=np.random.default_rng)
    default_dtype: str = "float32"  # torch.set_default_dtype's, for this session's batches
    closed: bool = False
    # backward passes paused for the client, the newest last (a hook may run a pass of its own)
    paused: list[PausedPass] = field(default_factory=list)
    pass_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    server_handles: itertools.count = field(default_factory=lambda: itertools.count(SERVER_HANDLES))

    def touch(self) -> None:
        """Mark the session as used now, postponing its reaping."""
        self.last_used = time.monotonic()

    def get(self, handle: int) -> Tensor:
        try:
            return self.handles[handle]
        except KeyError:
            raise HandleNotFound(f"handle {handle} is not bound in this session") from None

    def bind(self, handle: int, tensor: Tensor) -> None:
        if handle == 0 or handle >= SERVER_HANDLES:
            raise HandleInUse(f"handle {handle} is reserved")
        if handle in self.handles:
            raise HandleInUse(f"handle {handle} is already bound in this session")
        self.handles[handle] = tensor

    def bind_new(self, tensor: Tensor) -> int:
        """Bind `tensor` to a handle of the server's choosing (one the client never picks)."""
        handle = next(self.server_handles)
        self.handles[handle] = tensor
        return handle

    def release(self, handles: Sequence[int]) -> None:
        """Drop `handles`, all or none: an unknown or repeated handle changes nothing."""
        seen = set()
        for handle in handles:
            if handle not in self.handles:
                raise HandleNotFound(f"handle {handle} is not bound in this session")
            if handle in seen:
                raise HandleNotFound(f"handle {handle} is released twice in one operation")
            seen.add(handle)
        for handle in handles:
            del self.handles[handle]

    def clear(self) -> None:
        """Close the session: drop every handle (the caller holds `lock`)."""
        self.closed = True
        self.handles.clear()
        for paused in self.paused:
            paused.steps.close()
        self.paused.clear()

    def nbytes(self) -> int:
        """Bytes of tensor data the handles and their gradients hold (each base array once)."""
        bases = {}
        for t in list(self.handles.values()):  # a copy: the session's calls may bind meanwhile
            grad = t.grad
            for data in (t.data,) if grad is None else (t.data, grad.data):
                base = data.base if isinstance(data.base, np.ndarray) else data
                bases[id(base)] = base.nbytes
        return sum(bases.values())


class SessionStore:
    """All live sessions; idle ones past their keep-alive are reaped."""

    def __init__(
        self,
        default_keep_alive: float = 300.0,
        max_keep_alive: float = 3600.0,
        max_sessions: int = 1000,
    ):
        self.default_keep_alive = default_keep_alive
        self.max_keep_alive = max_keep_alive
        self.max_sessions = max_sessions
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    @staticmethod
    def check_id(session_id: str | None) -> str:
        if not session_id or not SESSION_ID.fullmatch(session_id):
            raise InvalidSessionId(
                "the gradrpc-session-id metadata must be 32 lowercase hexadecimal characters "
                "(128 random bits)"
            )
        return session_id

    def create(self, session_id: str | None, keep_alive: float = 0.0) -> Session:
        session_id = self.check_id(session_id)
        if keep_alive < 0:
            raise InvalidValue(f"keep_alive_timeout must not be negative, got {keep_alive}s")
        keep_alive = min(keep_alive or self.default_keep_alive, self.max_keep_alive)
        with self._lock:
            if session_id in self._sessions:
                raise SessionExists(f"session {session_id} already exists")
            if len(self._sessions) >= self.max_sessions:
                raise ResourceExhausted(
                    f"the server holds its maximum of {self.max_sessions} sessions"
                )
            session = self._sessions[session_id] = Session(session_id, keep_alive)
        log.info("session created", extra={"session": session_id, "keep_alive": keep_alive})
        return session

    def get(self, session_id: str | None) -> Session:
        session_id = self.check_id(session_id)
        with self._lock:
            session = self._sessions.get(session_id)
        if session is None:
            raise SessionNotFound(
                f"session {session_id} does not exist (closed, reaped or never created)"
            )
        session.touch()
        return session

    def close(self, session_id: str | None) -> None:
        session_id = self.check_id(session_id)
        with self._lock:
            session = self._sessions.pop(session_id, None)
        if session is None:
            raise SessionNotFound(
                f"session {session_id} does not exist (closed, reaped or never created)"
            )
        with session.lock:
            session.clear()
        log.info("session closed", extra={"session": session_id})

    def reap(self, now: float | None = None) -> list[str]:
        """Close sessions idle past their keep-alive; busy ones (lock held) are kept."""
        now = time.monotonic() if now is None else now
        with self._lock:
            idle = [s for s in self._sessions.values() if now - s.last_used > s.keep_alive]
        reaped = []
        for session in idle:
            if not session.lock.acquire(blocking=False):
                continue
            try:
                if session.closed or now - session.last_used <= session.keep_alive:
                    continue
                with self._lock:
                    # Closed and created anew since the scan: leave the new one alone.
                    if self._sessions.get(session.id) is session:
                        del self._sessions[session.id]
                session.clear()
                reaped.append(session.id)
                log.info(
                    "session reaped",
                    extra={"session": session.id, "idle": round(now - session.last_used, 3)},
                )
            finally:
                session.lock.release()
        return reaped

    def sessions(self) -> list[Session]:
        with self._lock:
            return list(self._sessions.values())

    def tensor_count(self) -> int:
        """Live handles over all sessions (each keeps one tensor alive)."""
        return sum(len(s.handles) for s in self.sessions())

    def nbytes(self) -> int:
        """Bytes of tensor data held over all sessions (`Session.nbytes`)."""
        return sum(s.nbytes() for s in self.sessions())

    def close_all(self) -> None:
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            with session.lock:
                session.clear()
        log.info("sessions closed at shutdown", extra={"sessions": len(sessions)})
