"""The engine's fused optimizer steps (`graph.optimizer_step`, Numba kernels in
`kernels_nn`) against torch.optim 2.13's single-tensor SGD, Adam and RMSprop: the same
parameters and the same gradient sequence, step after step, in float32 and float64; and the
checks that leave everything unchanged when a step is refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gradrpc.engine import graph, optimizers
from gradrpc.engine.errors import (
    DtypeMismatch,
    GradNotSet,
    InvalidArgument,
    InvalidValue,
    ShapeMismatch,
)

SHAPES = [(3, 4), (5,), ()]
STEPS = 20

SGD_CONFIGS = [
    {},
    {"momentum": 0.9},
    {"momentum": 0.9, "nesterov": True},
    {"momentum": 0.5, "dampening": 0.3, "weight_decay": 0.1},
    {"weight_decay": 0.01, "maximize": True},
    {"momentum": 0.9, "maximize": True, "nesterov": True, "weight_decay": 0.05},
]
ADAM_CONFIGS = [
    {},
    {"weight_decay": 0.1},
    {"betas": (0.3, 0.9), "eps": 1e-6},  # 1 - beta1 >= 0.5: torch's other lerp form
    {"maximize": True, "lr": 0.01},
    {"betas": (0.0, 0.0)},
    {"amsgrad": True},
    {"amsgrad": True, "weight_decay": 0.1, "maximize": True, "lr": 0.01},
    {"weight_decay": 0.3, "decoupled_weight_decay": True},  # AdamW
    {"weight_decay": 0.3, "decoupled_weight_decay": True, "amsgrad": True, "maximize": True},
]

RMSPROP_CONFIGS = [
    {},
    {"alpha": 0.9, "eps": 1e-6},
    {"momentum": 0.9},
    {"centered": True},
    {"alpha": 0.3, "centered": True},  # lerp weight 1 - alpha >= 0.5: torch's other form
    {"momentum": 0.5, "centered": True, "weight_decay": 0.1, "maximize": True},
    {"weight_decay": 0.01, "maximize": True, "lr": 0.001},
]
OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "rmsprop": torch.optim.RMSprop}
STATE_NAMES = {
    "sgd": ["momentum_buffer"],
    "adam": ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"],
    "rmsprop": ["square_avg", "momentum_buffer", "grad_avg"],
}


def _engine_options(algorithm: str, config: dict) -> dict:
    options = {"lr": config.get("lr", 0.05)}
    for name, value in config.items():
        if name == "betas":
            options["beta1"], options["beta2"] = value
        elif name != "lr":
            options[name] = value
    return options


def _state_names(algorithm: str, config: dict) -> list[str]:
    """The state tensors of each parameter, in the operation's order."""
    if algorithm == "sgd":
        return STATE_NAMES["sgd"] if config.get("momentum", 0) else []
    if algorithm == "rmsprop":
        momentum, centered = config.get("momentum", 0) > 0, config.get("centered", False)
        return ["square_avg"] + ["momentum_buffer"] * momentum + ["grad_avg"] * centered
    return STATE_NAMES["adam"][: 3 if config.get("amsgrad") else 2]


def _run_both(algorithm: str, config: dict, dtype: str, seed: int):
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    ours = [graph.Tensor(v.copy(), requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    optimizer = OPTIMIZERS[algorithm](theirs, **{"lr": 0.05, **config})
    count = len(_state_names(algorithm, config))
    state = [graph.Tensor(np.zeros(s, dtype)) for s in SHAPES for _ in range(count)]
    options = _engine_options(algorithm, config)
    for step in range(1, STEPS + 1):
        for mine, other in zip(ours, theirs, strict=True):
            g = rng.standard_normal(mine.meta.shape).astype(dtype)
            mine.grad = graph.Tensor(g.copy())
            other.grad = torch.tensor(g)
        optimizers.optimizer_step(algorithm, ours, state, {**options, "step": step})
        optimizer.step()
    return ours, theirs, state, optimizer


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("algorithm", "config"),
    [("sgd", c) for c in SGD_CONFIGS]
    + [("adam", c) for c in ADAM_CONFIGS]
    + [("rmsprop", c) for c in RMSPROP_CONFIGS],
    ids=lambda v: v if isinstance(v, str) else repr(v),
)
def test_steps_match_torch_optim(algorithm: str, config: dict, dtype: str) -> None:
    """SGD's are bit for bit torch's (its arithmetic is fused multiply-adds and products);
    Adam's and RMSprop's differ where torch's vectorized sqrt is not correctly rounded."""
    ours, theirs, state, optimizer = _run_both(algorithm, config, dtype, seed=len(repr(config)))
    rtol = 0 if algorithm == "sgd" else 2e-6 if dtype == "float32" else 1e-13
    for mine, other in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine.data, other.detach().numpy(), rtol=rtol, atol=rtol)
        assert mine.version.value == STEPS  # each step bumps the parameter's version
    names = _state_names(algorithm, config)
    for i, other in enumerate(theirs):
        assert list(optimizer.state[other]) == ["step"] * (algorithm != "sgd") + names
        for j, name in enumerate(names):
            expected = optimizer.state[other][name]
            np.testing.assert_allclose(
                state[i * len(names) + j].data, expected.numpy(), rtol=rtol, atol=rtol
            )


@pytest.mark.parametrize("nan_in", ["exp_avg_sq", "max_exp_avg_sq"])
def test_amsgrad_keeps_nan_in_its_maximum_as_torch_does(nan_in: str) -> None:
    """torch.maximum propagates nan from either side, so a nan in the running maximum or in
    the new second moment stays in max_exp_avg_sq and reaches the parameter."""
    values = np.array([1.0, -2.0, 0.5], np.float32)
    theirs = torch.tensor(values, requires_grad=True)
    optimizer = torch.optim.Adam([theirs], lr=0.1, amsgrad=True)
    theirs.grad = torch.tensor([0.1, 0.2, 0.3])
    optimizer.step()
    optimizer.state[theirs][nan_in][1] = float("nan")
    ours = graph.Tensor(values.copy(), requires_grad=True)
    state = [
        graph.Tensor(optimizer.state[theirs][n].numpy().copy())
        for n in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    ]
    ours.data[...] = theirs.detach().numpy()
    theirs.grad = torch.tensor([0.3, 0.2, 0.1])
    ours.grad = graph.Tensor(theirs.grad.numpy().copy())
    optimizer.step()
    optimizers.optimizer_step("adam", [ours], state, {"lr": 0.1, "amsgrad": True, "step": 2})
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-6, equal_nan=True)
    maximum = optimizer.state[theirs]["max_exp_avg_sq"].numpy()
    np.testing.assert_allclose(state[2].data, maximum, rtol=1e-6, equal_nan=True)
    assert np.isnan(maximum[1]) and np.isnan(ours.data[1])


def _param(shape=(2, 3), dtype="float32", grad=True) -> graph.Tensor:
    p = graph.Tensor(np.ones(shape, dtype), requires_grad=True)
    if grad:
        p.grad = graph.Tensor(np.ones(shape, dtype))
    return p


@pytest.mark.parametrize(
    ("algorithm", "params", "state", "options", "error"),
    [
        ("lbfgs", [_param()], [], {"step": 1}, InvalidValue),  # unknown
        ("rmsprop", [_param()], [], {"step": 1}, InvalidValue),  # no state
        ("rmsprop", [_param()], [_param(grad=False)], {"step": 1, "alpha": -0.5}, InvalidValue),
        (
            "rmsprop",
            [_param()],
            [_param(grad=False)],  # centered takes a second state tensor
            {"step": 1, "centered": True},
            InvalidValue,
        ),
        ("sgd", [_param()], [], {"step": 1, "betas": 0.9}, InvalidArgument),
        ("sgd", [_param()], [], {}, InvalidValue),  # no step
        ("sgd", [_param()], [], {"step": 0}, InvalidValue),
        ("sgd", [_param()], [], {"step": 1, "lr": -1.0}, InvalidValue),
        ("sgd", [_param()], [], {"step": 1, "nesterov": True}, InvalidValue),
        ("adam", [_param()], [], {"step": 1}, InvalidValue),  # no state
        ("adam", [_param()], [_param(grad=False)] * 2, {"step": 1, "beta2": 1.0}, InvalidValue),
        ("sgd", [_param(grad=False)], [], {"step": 1}, GradNotSet),
        (
            "sgd",
            [_param()],
            [_param((3, 2), grad=False)],
            {"step": 1, "momentum": 0.9},
            ShapeMismatch,
        ),
        (
            "sgd",
            [_param()],
            [_param(dtype="float64", grad=False)],
            {"step": 1, "momentum": 0.9},
            DtypeMismatch,
        ),
    ],
)
def test_bad_steps_are_refused_and_change_nothing(algorithm, params, state, options, error):
    before = [p.data.copy() for p in params + state]
    with pytest.raises(error):
        optimizers.optimizer_step(algorithm, params, state, options)
    for t, data in zip(params + state, before, strict=True):
        np.testing.assert_array_equal(t.data, data)
        assert t.version.value == 0


def test_a_non_leaf_is_refused() -> None:
    x = _param()
    y = graph.call("mul", [x, 2.0], {})
    y.grad = graph.Tensor(np.ones((2, 3), np.float32))
    with pytest.raises(InvalidValue, match="can't optimize a non-leaf Tensor"):
        optimizers.optimizer_step("sgd", [y], [], {"step": 1})


def test_non_contiguous_parameters_and_gradients_are_updated_in_place() -> None:
    base = np.arange(12, dtype=np.float64).reshape(3, 4)
    p = graph.Tensor(base.T, requires_grad=True)  # a transposed view of `base`
    p.grad = graph.Tensor(np.ones((4, 3)).T.copy().T)
    optimizers.optimizer_step("sgd", [p], [], {"step": 1, "lr": 0.5})
    np.testing.assert_array_equal(base, np.arange(12).reshape(3, 4) - 0.5)
