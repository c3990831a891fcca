"""The engine's fused optimizer steps (`graph.optimizer_step`, Numba kernels in
`kernels_nn`) against torch.optim 2.13's single-tensor SGD, Adam, RMSprop, Adagrad, Adamax,
NAdam, RAdam and Adadelta: the same parameters and the same gradient sequence, step after
step, in float32 and float64 (bit for bit once torch's sqrt is a correctly rounded one); and
the checks that leave everything unchanged when a step is refused."""

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
ADAGRAD_CONFIGS = [
    {},
    {"lr_decay": 0.1, "eps": 1e-6},
    {"initial_accumulator_value": 0.5, "weight_decay": 0.1},
    {"lr_decay": 0.05, "initial_accumulator_value": 0.1, "maximize": True, "lr": 0.5},
]
ADAMAX_CONFIGS = [
    {},
    {"betas": (0.3, 0.9), "eps": 1e-3},  # 1 - beta1 >= 0.5: torch's other lerp form
    {"weight_decay": 0.1, "maximize": True},
    {"betas": (0.0, 0.0)},
]
NADAM_CONFIGS = [
    {},
    {"momentum_decay": 0.5, "betas": (0.8, 0.99)},
    {"momentum_decay": 0.0, "betas": (0.3, 0.9), "eps": 1e-6},
    {"weight_decay": 0.1, "maximize": True},
    {"weight_decay": 0.3, "decoupled_weight_decay": True, "lr": 0.01},
]
RADAM_CONFIGS = [
    {},  # rectified from step 6 on (rho_t > 5)
    {"betas": (0.9, 0.5)},  # rho_inf = 3: never rectified
    {"betas": (0.3, 0.9), "eps": 1e-6, "weight_decay": 0.1, "maximize": True},
    {"weight_decay": 0.3, "decoupled_weight_decay": True, "lr": 0.01},
]
ADADELTA_CONFIGS = [
    {},
    {"rho": 0.3, "eps": 1e-3},
    {"rho": 0.0, "weight_decay": 0.1},
    {"rho": 1.0, "maximize": True, "lr": 0.5},
    {"rho": 0.95, "weight_decay": 0.01, "maximize": True},
]
OPTIMIZERS = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "rmsprop": torch.optim.RMSprop,
    "adagrad": torch.optim.Adagrad,
    "adamax": torch.optim.Adamax,
    "nadam": torch.optim.NAdam,
    "radam": torch.optim.RAdam,
    "adadelta": torch.optim.Adadelta,
}
CONFIGS = (
    [("sgd", c) for c in SGD_CONFIGS]
    + [("adam", c) for c in ADAM_CONFIGS]
    + [("rmsprop", c) for c in RMSPROP_CONFIGS]
    + [("adagrad", c) for c in ADAGRAD_CONFIGS]
    + [("adamax", c) for c in ADAMAX_CONFIGS]
    + [("nadam", c) for c in NADAM_CONFIGS]
    + [("radam", c) for c in RADAM_CONFIGS]
    + [("adadelta", c) for c in ADADELTA_CONFIGS]
)
STATE_NAMES = {
    "sgd": ["momentum_buffer"],
    "adam": ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"],
    "rmsprop": ["square_avg", "momentum_buffer", "grad_avg"],
    "adagrad": ["sum"],
    "adamax": ["exp_avg", "exp_inf"],
    "nadam": ["exp_avg", "exp_avg_sq"],
    "radam": ["exp_avg", "exp_avg_sq"],
    "adadelta": ["square_avg", "acc_delta"],
}
# torch's 0-d state that the client keeps and sends as options
SCALAR_NAMES = {"sgd": [], "nadam": ["step", "mu_product"]}


def _engine_options(algorithm: str, config: dict) -> dict:
    options = {"lr": config.get("lr", 0.05)}
    for name, value in config.items():
        if name == "betas":
            options["beta1"], options["beta2"] = value
        elif name not in ("lr", "initial_accumulator_value"):  # Adagrad's: the sums' start
            options[name] = value
    return options


def _state_names(algorithm: str, config: dict) -> list[str]:
    """The state tensors of each parameter, in the operation's order."""
    if algorithm == "sgd":
        return STATE_NAMES["sgd"] if config.get("momentum", 0) else []
    if algorithm == "rmsprop":
        momentum, centered = config.get("momentum", 0) > 0, config.get("centered", False)
        return ["square_avg"] + ["momentum_buffer"] * momentum + ["grad_avg"] * centered
    if algorithm == "adam":
        return STATE_NAMES["adam"][: 3 if config.get("amsgrad") else 2]
    return STATE_NAMES[algorithm]


def _run_both(algorithm: str, config: dict, dtype: str, seed: int, steps: int = STEPS, each=None):
    """`steps` steps of torch's optimizer and of the engine's, side by side; `each(step,
    ours, theirs)` after each. NAdam's mu_product, which the client keeps, is torch's."""
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    ours = [graph.Tensor(v.copy(), requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    optimizer = OPTIMIZERS[algorithm](theirs, **{"lr": 0.05, **config})
    count = len(_state_names(algorithm, config))
    start = config.get("initial_accumulator_value", 0)
    state = [graph.Tensor(np.full(s, start, dtype)) for s in SHAPES for _ in range(count)]
    options = _engine_options(algorithm, config)
    for step in range(1, steps + 1):
        for mine, other in zip(ours, theirs, strict=True):
            g = rng.standard_normal(mine.meta.shape).astype(dtype)
            mine.grad = graph.Tensor(g.copy())
            other.grad = torch.tensor(g)
        optimizer.step()
        if algorithm == "nadam":
            options["mu_product"] = optimizer.state[theirs[0]]["mu_product"].item()
        optimizers.optimizer_step(algorithm, ours, state, {**options, "step": step})
        if each is not None:
            each(step, ours, theirs)
    return ours, theirs, state, optimizer


def _assert_as_torch(algorithm, config, ours, theirs, state, optimizer, rtol) -> None:
    for mine, other in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine.data, other.detach().numpy(), rtol=rtol, atol=rtol)
    names = _state_names(algorithm, config)
    for i, other in enumerate(theirs):
        assert list(optimizer.state[other]) == SCALAR_NAMES.get(algorithm, ["step"]) + names
        for j, name in enumerate(names):
            expected = optimizer.state[other][name]
            np.testing.assert_allclose(
                state[i * len(names) + j].data, expected.numpy(), rtol=rtol, atol=rtol
            )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("algorithm", "config"), CONFIGS, ids=lambda v: v if isinstance(v, str) else repr(v)
)
def test_steps_match_torch_optim(algorithm: str, config: dict, dtype: str) -> None:
    """SGD's and Adamax's are bit for bit torch's (their arithmetic is fused multiply-adds,
    products and quotients); the others differ where torch's sqrt (MKL's vectorized one) is
    not correctly rounded, by an ulp there."""
    ours, theirs, state, optimizer = _run_both(algorithm, config, dtype, seed=len(repr(config)))
    rtol = 0 if algorithm in ("sgd", "adamax") else 2e-6 if dtype == "float32" else 1e-13
    _assert_as_torch(algorithm, config, ours, theirs, state, optimizer, rtol)
    assert all(mine.version.value == STEPS for mine in ours)  # each step bumps the version


def _correctly_rounded_sqrt(self: torch.Tensor) -> torch.Tensor:
    return torch.tensor(np.sqrt(self.detach().numpy()))


def _correctly_rounded_sqrt_(self: torch.Tensor) -> torch.Tensor:
    return self.copy_(_correctly_rounded_sqrt(self))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("algorithm", "config"),
    [(a, c) for a, c in CONFIGS if a not in ("sgd", "adamax")],
    ids=lambda v: v if isinstance(v, str) else repr(v),
)
def test_steps_are_torch_bit_for_bit_with_a_correctly_rounded_sqrt(
    algorithm: str, config: dict, dtype: str, monkeypatch
) -> None:
    """torch's sqrt and sqrt_ replaced by NumPy's (correctly rounded, as the kernels'), every
    other operation of torch's single-tensor step is the kernels' to the last bit: the order,
    the fused multiply-adds, the scalars' roundings."""
    monkeypatch.setattr(torch.Tensor, "sqrt", _correctly_rounded_sqrt)
    monkeypatch.setattr(torch.Tensor, "sqrt_", _correctly_rounded_sqrt_)
    ours, theirs, state, optimizer = _run_both(algorithm, config, dtype, seed=len(repr(config)))
    _assert_as_torch(algorithm, config, ours, theirs, state, optimizer, rtol=0)


def _rho_t(step: int, beta2: float = 0.999) -> float:
    """RAdam's length of the approximated simple moving average at `step`."""
    rho_inf = 2 / (1 - beta2) - 1
    return rho_inf - 2 * step * beta2**step / (1 - beta2**step)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_radam_rectifies_from_the_step_torch_does(dtype: str) -> None:
    """Steps 1 to 5 (rho_t <= 5) are SGD with momentum, lr times the bias-corrected exp_avg,
    no sqrt: bit for bit torch's; from step 6 (rho_t > 5) the adaptive, rectified step,
    within torch's sqrt's ulp. A switch a step early or late is off by far more."""
    assert [_rho_t(step) > 5 for step in range(1, 11)] == [False] * 5 + [True] * 5

    def check(step, ours, theirs):
        rtol = 0 if _rho_t(step) <= 5 else 2e-6 if dtype == "float32" else 1e-13
        for mine, other in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(mine.data, other.detach().numpy(), rtol=rtol, atol=rtol)

    _run_both("radam", {"lr": 0.5}, dtype, seed=0, steps=10, each=check)


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


@pytest.mark.parametrize("nan_in", ["exp_inf", "grad"])
def test_adamax_keeps_nan_in_its_norm_as_torch_does(nan_in: str) -> None:
    """torch.maximum propagates nan from either side: a nan in exp_inf, or in |grad| + eps,
    stays in exp_inf and reaches the parameter; the other elements are torch's bits."""
    values = np.array([1.0, -2.0, 0.5], np.float32)
    theirs = torch.tensor(values, requires_grad=True)
    optimizer = torch.optim.Adamax([theirs], lr=0.1)
    theirs.grad = torch.tensor([0.1, 0.2, 0.3])
    optimizer.step()
    grad = np.array([0.3, 0.2, 0.1], np.float32)
    if nan_in == "exp_inf":
        optimizer.state[theirs]["exp_inf"][1] = float("nan")
    else:
        grad[1] = np.nan
    ours = graph.Tensor(theirs.detach().numpy().copy(), requires_grad=True)
    state = [
        graph.Tensor(optimizer.state[theirs][n].numpy().copy()) for n in ("exp_avg", "exp_inf")
    ]
    theirs.grad = torch.tensor(grad)
    ours.grad = graph.Tensor(grad.copy())
    optimizer.step()
    optimizers.optimizer_step("adamax", [ours], state, {"lr": 0.1, "step": 2})
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())
    np.testing.assert_array_equal(state[1].data, optimizer.state[theirs]["exp_inf"].numpy())
    assert np.isnan(state[1].data[1]) and np.isnan(ours.data[1])


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
        ("adagrad", [_param()], [], {"step": 1}, InvalidValue),  # no sum
        ("adagrad", [_param()], [_param(grad=False)], {"step": 1, "lr_decay": -1}, InvalidValue),
        ("adamax", [_param()], [_param(grad=False)] * 2, {"step": 1, "beta1": 1.0}, InvalidValue),
        ("adamax", [_param()], [_param(grad=False)] * 2, {"step": 1, "eps": -1.0}, InvalidValue),
        ("nadam", [_param()], [_param(grad=False)] * 2, {"step": 1}, InvalidValue),  # mu_product
        (
            "nadam",
            [_param()],
            [_param(grad=False)] * 2,
            {"step": 1, "mu_product": 1.0},  # 1 - mu_product = 0 divides
            InvalidValue,
        ),
        (
            "nadam",
            [_param()],
            [_param(grad=False)] * 2,
            {"step": 1, "mu_product": 0.9, "momentum_decay": -0.1},
            InvalidValue,
        ),
        ("nadam", [_param()], [_param(grad=False)] * 2, {"step": 1, "mu": 0.9}, InvalidArgument),
        ("radam", [_param()], [_param(grad=False)], {"step": 1}, InvalidValue),  # one of two
        ("radam", [_param()], [_param(grad=False)] * 2, {"step": 1, "beta2": -0.1}, InvalidValue),
        ("adadelta", [_param()], [_param(grad=False)] * 2, {"step": 1, "rho": 1.5}, InvalidValue),
        (
            "adadelta",
            [_param()],
            [_param(grad=False)] * 2,
            {"step": 1, "weight_decay": -0.1},
            InvalidValue,
        ),
        (
            "adadelta",
            [_param()],
            [_param(grad=False), _param(dtype="float64", grad=False)],
            {"step": 1},
            DtypeMismatch,
        ),
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
