"""The engine's Rprop, ASGD and Adafactor steps (`optimizers.optimizer_step`): the steps the
server refuses, with torch's constructor messages where torch has them, leave everything
unchanged. (Their arithmetic against torch is tests/client/test_optim_more.py's.)"""

from __future__ import annotations

import numpy as np
import pytest
from gradrpc.engine import optimizers
from gradrpc.engine.errors import GradNotSet, InvalidArgument, InvalidValue
from gradrpc.engine.graph import Tensor
from gradrpc.engine.rules import DtypeMismatch, ShapeMismatch


def _param(shape=(2, 3), dtype="float32", grad=True) -> Tensor:
    p = Tensor(np.ones(shape, dtype), requires_grad=True)
    if grad:
        p.grad = Tensor(np.ones(shape, dtype))
    return p


def _state(shape=(2, 3), dtype="float32") -> Tensor:
    return Tensor(np.ones(shape, dtype))


ASGD = {"step": 1, "eta": 0.01, "mu": 1.0}
REFUSED = [
    ("rprop", [_param()], [_state()], {"step": 1}, InvalidValue, "takes 2 state"),
    ("rprop", [_param()], [_state()] * 2, {"step": 1, "etaminus": 1.0}, InvalidValue, "eta"),
    ("rprop", [_param()], [_state()] * 2, {"step": 1, "etaplus": 1.0}, InvalidValue, "eta"),
    ("rprop", [_param()], [_state()] * 2, {"step": 1, "lr": -1.0}, InvalidValue, "learning"),
    (
        "rprop",
        [_param()],
        [_state()] * 2,
        {"step": 1, "weight_decay": 0.1},
        InvalidArgument,
        "unexpected",
    ),
    ("rprop", [_param(grad=False)], [_state()] * 2, {"step": 1}, GradNotSet, "no .grad"),
    ("asgd", [_param()], [_state()], {"step": 1, "mu": 1.0}, InvalidValue, "'eta'"),
    ("asgd", [_param()], [_state()], {"step": 1, "eta": 0.01}, InvalidValue, "'mu'"),
    ("asgd", [_param()], [], ASGD, InvalidValue, "takes 1 state"),
    ("asgd", [_param()], [_state()], {**ASGD, "weight_decay": -1.0}, InvalidValue, "weight"),
    ("asgd", [_param()], [_state(dtype="float64")], ASGD, DtypeMismatch, "dtype"),
    ("adafactor", [_param()], [_state((2, 1))], {"step": 1}, InvalidValue, "2 state tensors"),
    ("adafactor", [_param()], [_state((2, 3))] * 2, {"step": 1}, ShapeMismatch, "shape"),
    ("adafactor", [_param((3,))], [_state((3,), "float64")], {"step": 1}, ShapeMismatch, "dtype"),
    ("adafactor", [_param((3,))], [_state((3,))], {"step": 1, "d": 0.5}, InvalidValue, "d should"),
    (
        "adafactor",
        [_param((3,))],
        [_state((3,))],
        {"step": 1, "beta2_decay": 0.1},
        InvalidValue,
        "beta2_decay",
    ),
    (
        "adafactor",
        [_param((3,))],
        [_state((3,))],
        {"step": 1, "eps1": -1.0},
        InvalidValue,
        "epsilon1",
    ),
    (
        "adafactor",
        [_param((3,))],
        [_state((3,))],
        {"step": 1, "eps2": -1.0},
        InvalidValue,
        "epsilon2",
    ),
    ("adafactor", [_param((3,), grad=False)], [_state((3,))], {"step": 1}, GradNotSet, "no .grad"),
]


@pytest.mark.parametrize(("algorithm", "params", "state", "options", "error", "words"), REFUSED)
def test_bad_steps_are_refused_and_change_nothing(algorithm, params, state, options, error, words):
    before = [t.data.copy() for t in params + state]
    with pytest.raises(error, match=words):
        optimizers.optimizer_step(algorithm, params, state, options)
    for t, data in zip(params + state, before, strict=True):
        np.testing.assert_array_equal(t.data, data)
        assert t.version.value == 0


def test_adafactor_factors_matrices_and_keeps_vectors_whole() -> None:
    """A matrix's state is its row_var and col_var, a 0-d tensor's its variance; both step
    (the parameters move, each tensor's version counts the write)."""
    matrix, scalar = _param((2, 3)), _param(())
    state = [_state((2, 1)), _state((1, 3)), _state(())]
    for t in state:
        t.data[...] = 0
    optimizers.optimizer_step("adafactor", [matrix, scalar], state, {"step": 1})
    assert (matrix.data < 1).all() and scalar.data < 1
    assert [t.version.value for t in (matrix, scalar, *state)] == [1] * 5
    np.testing.assert_allclose(state[0].data, 1.0)  # step 1: the latest row means, 1 each
