"""The engine's Muon step (`optimizers.optimizer_step("muon", ...)`): the steps the server
refuses, with torch's messages, leave everything unchanged; `_bfloat16` rounds as torch's
conversion. (Its arithmetic against torch is tests/client/test_optim_muon.py's.)"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gradrpc.engine import optimizers
from gradrpc.engine.errors import GradNotSet, InvalidArgument, InvalidValue
from gradrpc.engine.graph import Tensor
from gradrpc.engine.rules import ShapeMismatch


def _param(shape=(2, 3), grad=True) -> Tensor:
    p = Tensor(np.ones(shape, "float32"), requires_grad=True)
    if grad:
        p.grad = Tensor(np.ones(shape, "float32"))
    return p


def _state(shape=(2, 3)) -> Tensor:
    return Tensor(np.ones(shape, "float32"))


REFUSED = [
    ([_param()], [], {}, InvalidValue, "takes 1 state tensor"),
    ([_param()], [_state((3, 2))], {}, ShapeMismatch, "has shape"),
    ([_param((6,))], [_state((6,))], {}, InvalidValue, r"size: torch.Size\(\[6\]\)"),
    ([_param(), _param((1, 2, 3))], [_state(), _state((1, 2, 3))], {}, InvalidValue, "2D"),
    ([_param()], [_state()], {"lr": -1.0}, InvalidValue, "Learning rate should be >= 0"),
    ([_param()], [_state()], {"momentum": -0.5}, InvalidValue, "momentum should be >= 0"),
    ([_param()], [_state()], {"weight_decay": -1.0}, InvalidValue, "weight decay should be"),
    ([_param()], [_state()], {"ns_steps": 100}, InvalidValue, "less than 100"),
    ([_param()], [_state()], {"adjust_lr_fn": "x"}, InvalidValue, "function x is not"),
    ([_param()], [_state()], {"maximize": True}, InvalidArgument, "unexpected option"),
    ([_param(grad=False)], [_state()], {}, GradNotSet, "no .grad"),
]


@pytest.mark.parametrize(("params", "state", "options", "error", "words"), REFUSED)
def test_bad_steps_are_refused_and_change_nothing(params, state, options, error, words) -> None:
    before = [t.data.copy() for t in params + state]
    with pytest.raises(error, match=words):
        optimizers.optimizer_step("muon", params, state, {"step": 1, **options})
    for t, data in zip(params + state, before, strict=True):
        np.testing.assert_array_equal(t.data, data)
        assert t.version.value == 0


def test_a_step_moves_the_parameter_and_counts_the_writes() -> None:
    p, buf = _param(), _state()
    buf.data[...] = 0
    optimizers.optimizer_step("muon", [p], [buf], {"step": 1})
    assert (p.data < 1).all() and (buf.data > 0).all()
    assert p.version.value == buf.version.value == 1


def test_bfloat16_rounding_is_torchs() -> None:
    """Ties to even, the largest values to infinity, NaN kept, subnormals and signs."""
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2**32, 20000, dtype=np.uint64).astype(np.uint32)
    special = np.array([0.0, -0.0, 1.0 + 2**-8, 1.0 + 3 * 2**-8, 3.4e38, -3.4e38, 1e-40, np.inf])
    values = np.concatenate([bits.view(np.float32), special.astype(np.float32)])
    expected = torch.from_numpy(values).bfloat16().float().numpy()
    np.testing.assert_array_equal(optimizers._bfloat16(values), expected)
