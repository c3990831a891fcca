"""Gradient mode, per thread as in torch: no_grad, enable_grad, set_grad_enabled."""

from __future__ import annotations

import functools
import inspect
import threading


class _State(threading.local):
    enabled = True  # each thread starts with recording on


_state = _State()


def is_grad_enabled() -> bool:
    return _state.enabled


def _set(mode: bool) -> None:
    _state.enabled = bool(mode)


def _wrap_generator(factory, func):
    """A generator function whose body runs in the mode each time it resumes (as torch's
    decorators do: the mode must not leak into, or in from, the code driving it)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        generator = func(*args, **kwargs)
        try:
            with factory():
                response = generator.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with factory():
                        generator.close()
                    raise
                except BaseException as exc:
                    with factory():
                        response = generator.throw(exc)
                else:
                    with factory():
                        response = generator.send(request)
        except StopIteration as stop:
            return stop.value

    return wrapper


def _decorate(factory, func):
    if inspect.isgeneratorfunction(func):
        return _wrap_generator(factory, func)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with factory():
            return func(*args, **kwargs)

    return wrapper


class _GradMode:
    """A context manager that is also a decorator, with or without parentheses
    (`@no_grad()` and `@no_grad`), restoring the previous mode on exit."""

    mode = True

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)

    def __enter__(self):
        self._previous = is_grad_enabled()
        _set(self.mode)

    def __exit__(self, *exc_info) -> None:
        _set(self._previous)

    def __call__(self, func):
        return _decorate(self.__class__, func)

    def clone(self):
        return self.__class__()


class no_grad(_GradMode):
    """Disable gradient recording: results of ops do not require grad."""

    mode = False


class enable_grad(_GradMode):
    """Enable gradient recording (inside no_grad, say)."""

    mode = True


class set_grad_enabled:
    """Set gradient recording on or off: at once when called, and restored on exit when used
    as a context manager; as a decorator, the function runs in the mode."""

    def __init__(self, mode: bool):
        self._previous = is_grad_enabled()
        self.mode = bool(mode)
        _set(mode)

    def __enter__(self):
        pass

    def __exit__(self, *exc_info) -> None:
        _set(self._previous)

    def __call__(self, func):
        _set(self._previous)
        mode = self.mode
        return _decorate(lambda: set_grad_enabled(mode), func)

    def clone(self):
        return self.__class__(self.mode)
