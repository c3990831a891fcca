"""Gradient mode, per thread as in torch: no_grad, enable_grad, set_grad_enabled."""

from __future__ import annotations

import functools
import threading

_state = threading.local()


def is_grad_enabled() -> bool:
    return getattr(_state, "enabled", True)


def _set(mode: bool) -> None:
    _state.enabled = bool(mode)


class _GradMode:
    """A context manager that is also a decorator, restoring the previous mode on exit."""

    mode = True

    def __enter__(self):
        self._previous = is_grad_enabled()
        _set(self.mode)

    def __exit__(self, *exc_info) -> None:
        _set(self._previous)

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):  # noqa: N801 - torch's name
    """Disable gradient recording: results of ops do not require grad."""

    mode = False


class enable_grad(_GradMode):  # noqa: N801 - torch's name
    """Enable gradient recording (inside no_grad, say)."""

    mode = True


class set_grad_enabled(_GradMode):  # noqa: N801 - torch's name
    """Set gradient recording on or off: at once when called, and restored on exit when used
    as a context manager."""

    def __init__(self, mode: bool):
        self._previous = is_grad_enabled()
        self.mode = bool(mode)
        _set(mode)

    def __enter__(self):
        pass

    def __call__(self, func):
        _set(self._previous)
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)

        return wrapper
