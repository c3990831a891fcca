"""Behaviours that needed the engine's help: integer gradients, negative sizes, .data,
squeeze over all dims, dtype conversion; each against torch."""

from __future__ import annotations

import os
import subprocess
import sys

from clientkit import check_error_at_line, check_same


def test_an_integer_gradient_for_a_float_output():
    def scenario(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        (x * 2).backward(T.tensor([1, 2]))
        return x.grad

    check_same(scenario)


def test_a_negative_size():
    check_error_at_line(lambda T: T.ones(-1))


def test_in_place_through_data_is_not_seen_by_backward():
    def scenario(T):
        x = T.ones(3, requires_grad=True)
        y = (x * x).sum()
        x.data.add_(1)
        y.backward()
        return x.grad

    check_same(scenario)


def test_squeeze_without_a_dim():
    check_same(lambda T: T.ones(1, 2, 1, requires_grad=True).squeeze())


def test_to_another_dtype():
    check_same(lambda T: T.ones(2, requires_grad=True).to(T.float64))


def test_float_double_long_and_back():
    def scenario(T):
        x = T.tensor([1.5, -2.5], requires_grad=True)
        y = x.double() * 2
        y.float().sum().backward()
        return y, x.grad, x.long(), x.long().requires_grad, x.to(x).grad_fn, y.type()

    check_same(scenario)


def test_to_bool_is_nonzero():
    """A float converts to True unless it is zero (nan included), not through an integer."""
    check_same(
        lambda T: (
            T.tensor([0.5, 0.0, -0.2, -0.0, float("nan"), float("inf")]).bool(),
            T.tensor([0.25, 3.0], dtype=T.float64).to(T.bool),
            T.tensor([2, 0, -7]).bool(),
        )
    )


_FLOAT_OF_A_GRAD_TENSOR = """
import warnings
import {module} as T
a = T.ones(2, requires_grad=True)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    int(a.sum()), float(a.sum().detach()), bool(a.sum()), f"{{a.sum():.1f}}", a.sum().item()
    print(len(caught))
    float(a.sum()), float(a.sum() * 2)  # once per process, whatever the filters say
print([(w.category.__name__, str(w.message), w.lineno) for w in caught])
"""


def test_float_of_a_tensor_that_requires_grad_warns_once(session):
    def run(module):
        env = {**os.environ, "GRADRPC_ADDRESS": session.address}
        script = _FLOAT_OF_A_GRAD_TENSOR.format(module=module)
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert run("gradrpc") == run("torch")
