"""Helpers for the client tests: run the same code under real torch and under gradrpc (on the
default session, an embedded server with the real kernels) and compare what comes out."""

from __future__ import annotations

import builtins
import contextlib
import traceback
from collections import OrderedDict
from collections.abc import Callable

import gradrpc
import numpy as np
import pytest
import torch


def builtin_type(exc: BaseException) -> type:
    """The built-in exception class an error is (what `except` clauses written for torch
    catch): gradrpc's errors derive from the one torch raises (and take its name)."""
    return next(c for c in type(exc).__mro__ if getattr(builtins, c.__name__, None) is c)


def is_tensor(value) -> bool:
    return isinstance(value, torch.Tensor | gradrpc.Tensor)


def describe(value):
    """A comparable account of a result: tensors by dtype, shape, flags, grad_fn name and
    values (as float64 arrays, compared with a tolerance); containers element by element."""
    if is_tensor(value):
        values = np.asarray(value.detach().numpy(), dtype=np.float64)
        return {
            "tensor": True,
            "dtype": str(value.dtype),
            "shape": tuple(value.shape),
            "requires_grad": value.requires_grad,
            "is_leaf": value.is_leaf,
            "grad_fn": value.grad_fn.name() if value.grad_fn is not None else None,
            "values": values,
        }
    if isinstance(value, tuple | list):
        return [describe(v) for v in value]
    if isinstance(value, dict):
        return {k: describe(v) for k, v in value.items()}
    if hasattr(value, "next_functions") and hasattr(value, "name"):  # a grad_fn
        return ("node", value.name())
    if isinstance(value, torch.Size | gradrpc.Size):
        return ("Size", tuple(value))
    if isinstance(value, torch.dtype | gradrpc.dtype):
        return ("dtype", str(value))
    return value


def assert_same(expected, actual, rtol: float, atol: float, where: str = "result") -> None:
    if isinstance(expected, dict) and expected.get("tensor"):
        assert isinstance(actual, dict) and actual.get("tensor"), (
            f"{where}: {actual!r} is not a tensor"
        )
        for key in ("dtype", "shape", "requires_grad", "is_leaf", "grad_fn"):
            assert actual[key] == expected[key], (
                f"{where}.{key}: {actual[key]!r} != {expected[key]!r}"
            )
        np.testing.assert_allclose(
            actual["values"], expected["values"], rtol=rtol, atol=atol, err_msg=where
        )
        return
    if isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{where}: {actual!r}"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            assert_same(e, a, rtol, atol, f"{where}[{i}]")
        return
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and actual.keys() == expected.keys(), f"{where}: {actual!r}"
        for k in expected:
            assert_same(expected[k], actual[k], rtol, atol, f"{where}[{k!r}]")
        return
    if isinstance(expected, float) and isinstance(actual, float):
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=where)
        return
    assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def outcome(fn: Callable, module):
    """("ok", description) or ("raised", built-in type, message)."""
    try:
        return ("ok", describe(fn(module)))
    except Exception as exc:
        return ("raised", builtin_type(exc), str(exc))


def raised(fn: Callable) -> tuple[type, str] | None:
    """(type, message) of the exception `fn()` raises, or None if it returns."""
    try:
        fn()
    except Exception as exc:
        return type(exc), str(exc)
    return None


def check_same(fn: Callable, rtol: float = 1e-6, atol: float = 1e-7):
    """Run `fn(torch)` and `fn(gradrpc)`; both must return the same thing or raise the same
    built-in exception type with the same message. Returns torch's outcome."""
    expected = outcome(fn, torch)
    actual = outcome(fn, gradrpc)
    if expected[0] == "raised" or actual[0] == "raised":
        assert actual == expected, f"gradrpc: {actual}\ntorch:   {expected}"
    else:
        assert_same(expected[1], actual[1], rtol, atol)
    return expected


def check_same_error(call: Callable) -> None:
    """`call(F, lib)` with torch.nn.functional and torch, then with gradrpc's: gradrpc raises
    torch's exception type (or a class of its own derived from it) with torch's message,
    whenever it surfaces, and the session stays usable."""
    expected = raised(lambda: call(torch.nn.functional, torch))
    actual = raised(lambda: call(gradrpc.nn.functional, gradrpc))
    assert expected is not None
    assert actual is not None and issubclass(actual[0], expected[0]), (actual, expected)
    assert actual[1] == expected[1]
    assert (gradrpc.ones(2) * 3).sum().item() == 6.0


@contextlib.contextmanager
def no_rpc(session=None):
    """Assert that the block makes no call to the server."""
    session = session or gradrpc.default_session()
    before = session.rpc_count
    yield
    assert session.rpc_count == before, f"{session.rpc_count - before} call(s) to the server"


def torch_error(fn: Callable) -> BaseException:
    try:
        fn(torch)
    except Exception as exc:
        return exc
    raise AssertionError("torch raised nothing")


def user_line(exc: BaseException, filename: str) -> int:
    """The last line of `filename` that the exception went through: where the user sees it."""
    return [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename][-1].lineno


def check_raised_at_the_next_read(scenario: Callable, op: str) -> None:
    """scenario(gradrpc) raises torch's error type and message when it reads, followed by the
    note naming the failing op and the line of the scenario's file that queued it; the
    session stays usable."""
    expected = torch_error(scenario)
    with pytest.raises(builtin_type(expected)) as raised:
        scenario(gradrpc)
    note = f"\n(gradrpc: raised by '{op}' queued at {scenario.__code__.co_filename}:"
    assert str(raised.value).startswith(f"{expected}{note}"), (str(raised.value), str(expected))
    assert (gradrpc.ones(2) * 3).sum().item() == 6.0


def check_error_at_line(fn: Callable) -> BaseException:
    """`fn(gradrpc)` (a lambda) must raise what `fn(torch)` raises, with the same built-in
    type and exact message, at the lambda's line, without calling the server."""
    expected = torch_error(fn)
    gradrpc.default_session().flush()  # whatever earlier code queued is not this call's
    with no_rpc():
        try:
            fn(gradrpc)
        except Exception as exc:
            actual = exc
        else:
            raise AssertionError(f"gradrpc raised nothing; torch raised {expected!r}")
    assert builtin_type(actual) is builtin_type(expected), (actual, expected)
    assert str(actual) == str(expected), f"gradrpc: {actual}\ntorch:   {expected}"
    lines = {line for _, _, line in fn.__code__.co_lines() if line is not None}
    assert user_line(actual, fn.__code__.co_filename) in lines  # raised by the call, not later
    return actual


def graph_of(node):
    """A grad_fn and everything it reaches, by name: (name, [child or None, ...])."""
    if node is None:
        return None
    return (node.name(), [graph_of(child) for child, _ in node.next_functions])


def train_alike(
    build: Callable, make_optimizer: Callable, make_loss: Callable, data: Callable, steps: int = 10
) -> dict:
    """`build(torch.nn)` and `build(gradrpc.nn)`, ours loaded with torch's initial weights,
    each trained `steps` steps of make_optimizer(T, parameters) on make_loss(T)(model(x), y)
    with (x, y) = data(T) (zero_grad, backward, step; the loss read each step):
    {T: (model, losses, x)}."""
    theirs = build(torch.nn)
    state = OrderedDict((k, v.clone()) for k, v in theirs.state_dict().items())
    runs = {}
    for T in (torch, gradrpc):
        model = theirs if T is torch else build(gradrpc.nn)
        model.load_state_dict(state)
        optimizer, loss_function = make_optimizer(T, model.parameters()), make_loss(T)
        x, y = data(T)
        losses = []
        for _ in range(steps):
            loss = loss_function(model(x), y)
            losses.append(loss.item())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        runs[T] = model, losses, x
    return runs


def assert_trains_alike(runs: dict, rtol: float = 1e-5) -> None:
    """train_alike's runs: gradrpc's losses are torch's within `rtol`, and torch's model
    trains (its last loss below its first)."""
    ours, theirs = runs[gradrpc][1], runs[torch][1]
    np.testing.assert_allclose(ours, theirs, rtol=rtol)
    assert theirs[-1] < theirs[0]


__all__ = [
    "assert_same",
    "assert_trains_alike",
    "builtin_type",
    "check_error_at_line",
    "check_raised_at_the_next_read",
    "check_same",
    "check_same_error",
    "describe",
    "graph_of",
    "no_rpc",
    "outcome",
    "torch_error",
    "train_alike",
    "user_line",
]
