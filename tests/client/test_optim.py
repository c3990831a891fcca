"""`gradrpc.optim` against torch.optim 2.13: constructor signatures, reprs and validation
errors; trajectories of SGD (momentum, dampening, Nesterov, weight decay, maximize), Adam
(amsgrad, L2 or decoupled weight decay), AdamW, RMSprop, Adagrad (lr_decay,
initial_accumulator_value), Adamax, NAdam (momentum_decay, decoupled weight decay), RAdam
(both sides of its rectification) and Adadelta (rho) step after step; zero_grad semantics;
param_groups (editing lr, several groups, frozen parameters); state_dict and load_state_dict
(resuming from our own or torch's); and what a step sends (one OptimizerStepOperation per
group, no values)."""

from __future__ import annotations

from collections import OrderedDict

import gradrpc
import gradrpc.nn as gnn
import numpy as np
import pytest
import torch
import torch.nn as tnn
from clientkit import raised
from gradrpc.v1 import gradrpc_pb2 as pb

STEPS = 15


def _model(nn):
    layers = [("fc1", nn.Linear(5, 4)), ("act", nn.Tanh()), ("fc2", nn.Linear(4, 3))]
    return nn.Sequential(OrderedDict(layers))


def _pair():
    theirs, ours = _model(tnn), _model(gnn)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def _data(seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(8, 5, generator=generator)
    y = torch.randn(8, 3, generator=generator)
    return (x, y), (gradrpc.tensor(x.numpy()), gradrpc.tensor(y.numpy()))


def _loss(lib, model, x, y):
    return lib.nn.functional.mse_loss(model(x), y, reduction="sum")


def _assert_params_close(ours, theirs, rtol=2e-5, atol=1e-6) -> None:
    for (name, mine), (_, other) in zip(
        ours.named_parameters(), theirs.named_parameters(), strict=True
    ):
        np.testing.assert_allclose(
            mine.detach().numpy(), other.detach().numpy(), rtol=rtol, atol=atol, err_msg=name
        )


def _train(optimizer_ours, optimizer_theirs, ours, theirs, steps=STEPS, each=None):
    (x, y), (gx, gy) = _data()
    losses = []
    for step in range(steps):
        if each is not None:
            each(step)
        for lib, model, optimizer, inputs in (
            (torch, theirs, optimizer_theirs, (x, y)),
            (gradrpc, ours, optimizer_ours, (gx, gy)),
        ):
            optimizer.zero_grad()
            loss = _loss(lib, model, *inputs)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


CONFIGS = [
    ("SGD", {"lr": 0.01}),
    ("SGD", {"lr": 0.01, "momentum": 0.9}),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.01, "momentum": 0.5, "dampening": 0.2, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.001, "weight_decay": 0.05, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "maximize": True}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.5, "amsgrad": True, "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.001, "alpha": 0.9, "eps": 1e-6, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.001, "centered": True, "weight_decay": 0.1, "maximize": True}),
    ("RMSprop", {"lr": 0.001, "momentum": 0.5, "centered": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "initial_accumulator_value": 0.5}),
    ("Adagrad", {"lr": 0.05, "weight_decay": 0.1, "eps": 1e-6, "maximize": True}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("Adamax", {"lr": 0.01, "maximize": True}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.01, "momentum_decay": 0.1, "betas": (0.8, 0.99)}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "maximize": True}),
    ("RAdam", {}),  # rectified from step 6 on
    ("RAdam", {"lr": 0.01, "betas": (0.9, 0.5)}),  # never rectified
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "maximize": True}),
    # lr 0.1, not 1: Adadelta's steps hardly shrink with the gradient, so at lr 1 a small
    # gradient's last-bit difference (torch's and our BLAS sum in different orders) grows past
    # the tolerance within 15 steps for some initial weights
    ("Adadelta", {"lr": 0.1}),
    ("Adadelta", {"lr": 0.1, "rho": 0.5, "eps": 1e-4}),
    ("Adadelta", {"lr": 0.1, "rho": 0.95, "weight_decay": 0.1, "maximize": True}),
]


@pytest.mark.parametrize(
    ("name", "kwargs"), CONFIGS, ids=lambda v: v if isinstance(v, str) else repr(v)
)
def test_trajectories_match_torch(name: str, kwargs: dict) -> None:
    ours, theirs = _pair()
    optimizer_theirs = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    optimizer_ours = getattr(gradrpc.optim, name)(ours.parameters(), **kwargs)
    losses = _train(optimizer_ours, optimizer_theirs, ours, theirs)
    np.testing.assert_allclose(losses[1::2], losses[0::2], rtol=1e-5)
    _assert_params_close(ours, theirs)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    CONFIGS[:2]
    + CONFIGS[5:6]
    + [("AdamW", {"amsgrad": True}), ("RMSprop", {"centered": True})]
    + [
        ("Adagrad", {"lr_decay": 0.1, "initial_accumulator_value": 0.5, "fused": True}),
        ("Adamax", {"betas": (0.8, 0.99), "foreach": False}),
        ("NAdam", {"momentum_decay": 0.1, "decoupled_weight_decay": True}),
        ("RAdam", {"decoupled_weight_decay": True, "capturable": False}),
        ("Adadelta", {"rho": 0.5, "maximize": True}),
    ],
    ids=str,
)
def test_repr_matches_torch(name: str, kwargs: dict) -> None:
    ours, theirs = _pair()
    assert repr(getattr(gradrpc.optim, name)(ours.parameters(), **kwargs)) == repr(
        getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    )


VALIDATION = {
    "negative lr": lambda optim, nn, lib: optim.SGD(_model(nn).parameters(), lr=-1),
    "negative momentum": lambda optim, nn, lib: optim.SGD(_model(nn).parameters(), momentum=-1),
    "negative weight decay": lambda optim, nn, lib: optim.SGD(
        _model(nn).parameters(), weight_decay=-0.1
    ),
    "nesterov without momentum": lambda optim, nn, lib: optim.SGD(
        _model(nn).parameters(), nesterov=True
    ),
    "nesterov with dampening": lambda optim, nn, lib: optim.SGD(
        _model(nn).parameters(), momentum=0.9, dampening=0.1, nesterov=True
    ),
    "adam negative lr": lambda optim, nn, lib: optim.Adam(_model(nn).parameters(), lr=-0.1),
    "adam negative eps": lambda optim, nn, lib: optim.Adam(_model(nn).parameters(), eps=-1.0),
    "adam beta1": lambda optim, nn, lib: optim.Adam(_model(nn).parameters(), betas=(1.0, 0.9)),
    "adam beta2": lambda optim, nn, lib: optim.Adam(_model(nn).parameters(), betas=(0.9, -0.1)),
    "adam weight decay": lambda optim, nn, lib: optim.Adam(
        _model(nn).parameters(), weight_decay=-1.0
    ),
    "adamw weight decay": lambda optim, nn, lib: optim.AdamW(
        _model(nn).parameters(), weight_decay=-1.0
    ),
    "rmsprop negative lr": lambda optim, nn, lib: optim.RMSprop(_model(nn).parameters(), lr=-1),
    "rmsprop negative eps": lambda optim, nn, lib: optim.RMSprop(_model(nn).parameters(), eps=-1),
    "rmsprop negative momentum": lambda optim, nn, lib: optim.RMSprop(
        _model(nn).parameters(), momentum=-0.5
    ),
    "rmsprop negative weight decay": lambda optim, nn, lib: optim.RMSprop(
        _model(nn).parameters(), weight_decay=-0.5
    ),
    "rmsprop negative alpha": lambda optim, nn, lib: optim.RMSprop(
        _model(nn).parameters(), alpha=-0.5
    ),
    "adagrad negative lr": lambda optim, nn, lib: optim.Adagrad(_model(nn).parameters(), lr=-1),
    "adagrad negative lr_decay": lambda optim, nn, lib: optim.Adagrad(
        _model(nn).parameters(), lr_decay=-0.1
    ),
    "adagrad negative weight decay": lambda optim, nn, lib: optim.Adagrad(
        _model(nn).parameters(), weight_decay=-0.1
    ),
    "adagrad negative initial_accumulator_value": lambda optim, nn, lib: optim.Adagrad(
        _model(nn).parameters(), initial_accumulator_value=-0.1
    ),
    "adagrad negative eps": lambda optim, nn, lib: optim.Adagrad(_model(nn).parameters(), eps=-1),
    "adagrad fused and foreach": lambda optim, nn, lib: optim.Adagrad(
        _model(nn).parameters(), fused=True, foreach=True
    ),
    "adagrad lr tensor of two": lambda optim, nn, lib: optim.Adagrad(
        _model(nn).parameters(), lr=lib.tensor([0.1, 0.2])
    ),
    "adamax negative lr": lambda optim, nn, lib: optim.Adamax(_model(nn).parameters(), lr=-1),
    "adamax negative eps": lambda optim, nn, lib: optim.Adamax(_model(nn).parameters(), eps=-1),
    "adamax beta1": lambda optim, nn, lib: optim.Adamax(_model(nn).parameters(), betas=(1.0, 0.9)),
    "adamax beta2": lambda optim, nn, lib: optim.Adamax(_model(nn).parameters(), betas=(0.9, 1.5)),
    "adamax weight decay": lambda optim, nn, lib: optim.Adamax(
        _model(nn).parameters(), weight_decay=-1.0
    ),
    "nadam negative lr": lambda optim, nn, lib: optim.NAdam(_model(nn).parameters(), lr=-1),
    "nadam negative eps": lambda optim, nn, lib: optim.NAdam(_model(nn).parameters(), eps=-1),
    "nadam beta1": lambda optim, nn, lib: optim.NAdam(_model(nn).parameters(), betas=(-0.1, 0.9)),
    "nadam beta2": lambda optim, nn, lib: optim.NAdam(_model(nn).parameters(), betas=(0.9, 1.0)),
    "nadam weight decay": lambda optim, nn, lib: optim.NAdam(
        _model(nn).parameters(), weight_decay=-1.0
    ),
    "nadam momentum decay": lambda optim, nn, lib: optim.NAdam(
        _model(nn).parameters(), momentum_decay=-0.1
    ),
    "radam negative lr": lambda optim, nn, lib: optim.RAdam(_model(nn).parameters(), lr=-1),
    "radam negative eps": lambda optim, nn, lib: optim.RAdam(_model(nn).parameters(), eps=-1),
    "radam beta1": lambda optim, nn, lib: optim.RAdam(_model(nn).parameters(), betas=(1.0, 0.9)),
    "radam beta2": lambda optim, nn, lib: optim.RAdam(_model(nn).parameters(), betas=(0.9, -1.0)),
    "radam weight decay": lambda optim, nn, lib: optim.RAdam(
        _model(nn).parameters(), weight_decay=-1.0
    ),
    "adadelta negative lr": lambda optim, nn, lib: optim.Adadelta(_model(nn).parameters(), lr=-1),
    "adadelta negative rho": lambda optim, nn, lib: optim.Adadelta(
        _model(nn).parameters(), rho=-0.1
    ),
    "adadelta rho above one": lambda optim, nn, lib: optim.Adadelta(
        _model(nn).parameters(), rho=1.5
    ),
    "adadelta negative eps": lambda optim, nn, lib: optim.Adadelta(_model(nn).parameters(), eps=-1),
    "adadelta weight decay": lambda optim, nn, lib: optim.Adadelta(
        _model(nn).parameters(), weight_decay=-1.0
    ),
    "sgd fused and foreach": lambda optim, nn, lib: optim.SGD(
        _model(nn).parameters(), lr=0.1, fused=True, foreach=True
    ),
    "adamw fused and foreach": lambda optim, nn, lib: optim.AdamW(
        _model(nn).parameters(), fused=True, foreach=True
    ),
    "empty": lambda optim, nn, lib: optim.SGD([], lr=0.1),
    "a tensor": lambda optim, nn, lib: optim.SGD(lib.ones(2, requires_grad=True), lr=0.1),
    "not a tensor": lambda optim, nn, lib: optim.SGD([1.0], lr=0.1),
    "non-leaf": lambda optim, nn, lib: optim.SGD([lib.ones(2, requires_grad=True) * 2], lr=0.1),
    "a set": lambda optim, nn, lib: optim.SGD([{"params": {lib.ones(2)}}], lr=0.1),
    "overlapping groups": lambda optim, nn, lib: _overlapping(optim, nn),
}


def _overlapping(optim, nn):
    model = _model(nn)
    return optim.SGD([{"params": model.fc1.parameters()}, {"params": model.parameters()}], lr=0.1)


@pytest.mark.parametrize("name", VALIDATION)
def test_validation_errors_match_torch(name: str) -> None:
    expected = raised(lambda: VALIDATION[name](torch.optim, tnn, torch))
    actual = raised(lambda: VALIDATION[name](gradrpc.optim, gnn, gradrpc))
    assert expected is not None
    assert actual is not None and issubclass(actual[0], expected[0])
    assert actual[1] == expected[1]


def test_duplicate_parameters_warn_as_torch() -> None:
    for optim, lib in ((torch.optim, torch), (gradrpc.optim, gradrpc)):
        p = lib.ones(2, requires_grad=True)
        with pytest.warns(UserWarning, match="duplicate parameters"):
            optim.SGD([p, p], lr=0.1)


# ---------------------------------------------------------------- zero_grad and groups


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad_matches_torch_and_makes_no_round_trip(set_to_none: bool, session) -> None:
    ours, theirs = _pair()
    optimizer_ours = gradrpc.optim.SGD(ours.parameters(), lr=0.1)
    optimizer_theirs = torch.optim.SGD(theirs.parameters(), lr=0.1)
    (x, y), (gx, gy) = _data()
    _loss(torch, theirs, x, y).backward()
    _loss(gradrpc, ours, gx, gy).backward()
    session.flush()
    calls = session.rpc_count
    optimizer_ours.zero_grad(set_to_none=set_to_none)
    assert session.rpc_count == calls
    optimizer_theirs.zero_grad(set_to_none=set_to_none)
    for mine, other in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert (mine.grad is None) == (other.grad is None)
        if other.grad is not None:
            np.testing.assert_array_equal(mine.grad.numpy(), other.grad.numpy())


def test_zero_grad_is_the_default_set_to_none() -> None:
    ours, _ = _pair()
    optimizer = gradrpc.optim.Adam(ours.parameters())
    _loss(gradrpc, ours, *_data()[1]).backward()
    optimizer.zero_grad()
    assert all(p.grad is None for p in ours.parameters())


def test_changing_lr_in_param_groups_matches_torch() -> None:
    ours, theirs = _pair()
    optimizer_ours = gradrpc.optim.SGD(ours.parameters(), lr=0.01, momentum=0.9)
    optimizer_theirs = torch.optim.SGD(theirs.parameters(), lr=0.01, momentum=0.9)
    assert isinstance(optimizer_ours.param_groups, list)
    assert optimizer_ours.param_groups[0].keys() == optimizer_theirs.param_groups[0].keys()

    def decay(step: int) -> None:
        for optimizer in (optimizer_ours, optimizer_theirs):
            for group in optimizer.param_groups:
                group["lr"] = 0.01 * 0.8**step

    _train(optimizer_ours, optimizer_theirs, ours, theirs, each=decay)
    _assert_params_close(ours, theirs)


def test_several_param_groups_and_frozen_parameters_match_torch(session) -> None:
    ours, theirs = _pair()
    for model in (ours, theirs):
        model.fc2.bias.requires_grad_(False)

    def groups(model):
        return [
            {"params": model.fc1.parameters(), "lr": 0.05},
            {"params": [model.fc2.weight, model.fc2.bias], "momentum": 0.5},
        ]

    optimizer_ours = gradrpc.optim.SGD(groups(ours), lr=0.01)
    optimizer_theirs = torch.optim.SGD(groups(theirs), lr=0.01)
    assert [g["lr"] for g in optimizer_ours.param_groups] == [0.05, 0.01]
    assert [g["momentum"] for g in optimizer_ours.param_groups] == [0, 0.5]
    _train(optimizer_ours, optimizer_theirs, ours, theirs)
    _assert_params_close(ours, theirs)
    # the frozen bias never had a gradient: no state for it, in either
    frozen = ours.fc2.bias
    assert "momentum_buffer" not in optimizer_ours.state.get(frozen, {})
    assert "momentum_buffer" not in optimizer_theirs.state.get(theirs.fc2.bias, {})


def test_add_param_group_fills_defaults_like_torch() -> None:
    ours, theirs = _pair()
    optimizer_ours = gradrpc.optim.Adam(ours.fc1.parameters(), lr=0.01)
    optimizer_theirs = torch.optim.Adam(theirs.fc1.parameters(), lr=0.01)
    optimizer_ours.add_param_group({"params": ours.fc2.parameters(), "eps": 1e-3})
    optimizer_theirs.add_param_group({"params": theirs.fc2.parameters(), "eps": 1e-3})
    for mine, other in zip(optimizer_ours.param_groups, optimizer_theirs.param_groups, strict=True):
        assert {k: v for k, v in mine.items() if k != "params"} == {
            k: v for k, v in other.items() if k != "params"
        }
    _train(optimizer_ours, optimizer_theirs, ours, theirs)
    _assert_params_close(ours, theirs)


def test_closure_is_called_with_grad_enabled() -> None:
    ours, theirs = _pair()
    (x, y), (gx, gy) = _data()
    results = []
    for lib, model in ((torch, theirs), (gradrpc, ours)):
        optimizer = lib.optim.SGD(model.parameters(), lr=0.01)

        def closure(
            lib=lib, model=model, optimizer=optimizer, inputs=(x, y) if lib is torch else (gx, gy)
        ):
            optimizer.zero_grad()
            loss = _loss(lib, model, *inputs)
            loss.backward()
            return loss

        with lib.no_grad():
            results.append(optimizer.step(closure).item())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6)
    _assert_params_close(ours, theirs)


# ---------------------------------------------------------------- state_dict


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("SGD", {"lr": 0.01, "momentum": 0.9}),
        ("Adam", {}),
        ("Adam", {"amsgrad": True}),
        ("AdamW", {}),
        ("RMSprop", {"momentum": 0.9, "centered": True}),
        ("Adagrad", {"lr_decay": 0.1, "initial_accumulator_value": 0.5}),
        ("Adamax", {}),
        ("NAdam", {}),
        ("RAdam", {}),
        ("Adadelta", {}),
    ],
)
def test_state_dict_matches_torch(name: str, kwargs: dict) -> None:
    ours, theirs = _pair()
    optimizer_ours = getattr(gradrpc.optim, name)(ours.parameters(), **kwargs)
    optimizer_theirs = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    _train(optimizer_ours, optimizer_theirs, ours, theirs, steps=3)
    mine, other = optimizer_ours.state_dict(), optimizer_theirs.state_dict()
    assert mine["param_groups"] == other["param_groups"]
    assert mine["state"].keys() == other["state"].keys()
    for index, state in other["state"].items():
        assert list(mine["state"][index]) == list(state)
        for key, value in state.items():
            expected = value.numpy()
            # float32 state after 3 steps: an element that nearly cancels (a momentum of
            # differences) carries the rounding of its larger neighbours, so the absolute
            # tolerance scales with the tensor's largest element
            scale = float(np.abs(expected).max()) if expected.size else 0.0
            np.testing.assert_allclose(
                mine["state"][index][key].numpy(), expected, rtol=2e-5, atol=1e-7 + 2e-6 * scale
            )


def _as_torch(state_dict: dict) -> dict:
    """A gradrpc optimizer's state_dict with torch tensors for its tensors."""
    state = {
        index: {key: torch.tensor(value.numpy()) for key, value in saved.items()}
        for index, saved in state_dict["state"].items()
    }
    return {"state": state, "param_groups": state_dict["param_groups"]}


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("SGD", {"lr": 0.01, "momentum": 0.9}),
        ("Adam", {}),
        ("Adagrad", {"lr_decay": 0.1, "initial_accumulator_value": 0.5}),
        ("Adamax", {}),
        ("NAdam", {"momentum_decay": 0.1}),
        ("RAdam", {}),  # resumed at step 4: rectified from the third resumed step
        ("Adadelta", {"rho": 0.5}),
    ],
)
@pytest.mark.parametrize("source", ["own", "torch", "ours into torch"])
def test_load_state_dict_continues_the_run_as_torch_does(name: str, kwargs: dict, source: str):
    """A new optimizer (other settings) loads the state after 3 steps, its own kind's or real
    torch's (or, the other way, torch's loads ours, its tensors made torch's), and the run
    goes on as torch's does after the same load: the saved settings (lr) and state (momentum
    buffers, moments, sums, step counts, NAdam's mu_product) are restored. Eight float32
    steps apart, values agree to 1e-4 relative (torch's and our BLAS sum in different
    orders); a lost state or step count is off by far more."""
    torch.manual_seed(0)  # the same initial weights whichever tests ran before
    ours, theirs = _pair()
    optimizer_ours = getattr(gradrpc.optim, name)(ours.parameters(), **kwargs)
    optimizer_theirs = getattr(torch.optim, name)(theirs.parameters(), **kwargs)
    _train(optimizer_ours, optimizer_theirs, ours, theirs, steps=3)
    saved_ours, saved_theirs = optimizer_ours.state_dict(), optimizer_theirs.state_dict()
    resumed_ours = getattr(gradrpc.optim, name)(ours.parameters(), lr=0.5)
    resumed_theirs = getattr(torch.optim, name)(theirs.parameters(), lr=0.5)
    resumed_ours.load_state_dict(saved_theirs if source == "torch" else saved_ours)
    resumed_theirs.load_state_dict(
        _as_torch(saved_ours) if source == "ours into torch" else saved_theirs
    )
    assert repr(resumed_ours) == repr(resumed_theirs)
    losses = _train(resumed_ours, resumed_theirs, ours, theirs, steps=5)
    np.testing.assert_allclose(losses[1::2], losses[::2], rtol=2e-5)
    _assert_params_close(ours, theirs, rtol=1e-4)
    mine, other = resumed_ours.state_dict(), resumed_theirs.state_dict()
    for index, state in other["state"].items():
        for key, value in state.items():
            np.testing.assert_allclose(
                mine["state"][index][key].numpy(), value.numpy(), rtol=1e-4, atol=1e-6
            )


@pytest.mark.parametrize(
    "groups",
    [
        lambda model: [{"params": model.fc1.parameters()}, {"params": model.fc2.parameters()}],
        lambda model: [{"params": [model.fc2.weight]}],
    ],
    ids=["group count", "group size"],
)
def test_load_state_dict_refuses_other_groups_as_torch_does(groups) -> None:
    ours, theirs = _pair()
    failures = []
    for lib, model in ((torch, theirs), (gradrpc, ours)):
        saved = lib.optim.SGD(model.parameters(), lr=0.1).state_dict()  # one group of 4
        with pytest.raises(ValueError) as info:
            lib.optim.SGD(groups(model), lr=0.1).load_state_dict(saved)
        failures.append(str(info.value))
    assert failures[0] == failures[1]


# ---------------------------------------------------------------- what a step sends


@pytest.mark.parametrize(
    ("name", "per_param", "made_at_step"),
    [
        ("Adam", 2, True),  # exp_avg and exp_avg_sq
        ("Adagrad", 1, False),  # sum, made by the constructor
        ("Adamax", 2, True),  # exp_avg and exp_inf
        ("NAdam", 2, True),  # exp_avg and exp_avg_sq; mu_product is an option
        ("RAdam", 2, True),  # exp_avg and exp_avg_sq
        ("Adadelta", 2, True),  # square_avg and acc_delta
    ],
)
def test_a_step_queues_one_operation_per_group_and_no_values(
    name: str, per_param: int, made_at_step: bool, session, monkeypatch
) -> None:
    ours, _ = _pair()
    optimizer = getattr(gradrpc.optim, name)(
        [{"params": ours.fc1.parameters()}, {"params": ours.fc2.parameters(), "lr": 0.1}]
    )
    _loss(gradrpc, ours, *_data()[1]).backward()
    session.flush()
    queued = []
    original, original_fields = session.enqueue, session.enqueue_fields

    def spy(name, operation, *args, **kwargs):
        queued.append(operation)
        return original(name, operation, *args, **kwargs)

    def spy_fields(name, kind, fields, *args, **kwargs):
        queued.append(pb.Operation(**{kind: fields}))
        return original_fields(name, kind, fields, *args, **kwargs)

    sent = []
    monkeypatch.setattr(session, "enqueue", spy)
    monkeypatch.setattr(session, "enqueue_fields", spy_fields)
    monkeypatch.setattr(session, "send", lambda: sent.append(True), raising=False)
    calls = session.rpc_count
    optimizer.step()
    kinds = [op.WhichOneof("kind") for op in queued]
    assert kinds.count("optimizer_step") == 2
    assert "upload" not in kinds and "bind_grad" not in kinds
    # the state tensors of the 4 parameters, zeros, made with the first step (or before)
    assert kinds.count("factory") == per_param * 4 * made_at_step
    steps = [op.optimizer_step for op in queued if op.WhichOneof("kind") == "optimizer_step"]
    assert [len(s.params) for s in steps] == [2, 2]
    assert [len(s.state) for s in steps] == [2 * per_param] * 2
    assert steps[1].options["lr"].float_value == 0.1 and steps[0].options["step"].int_value == 1
    assert session.rpc_count == calls  # queued, not sent: the session's send() pushes it
    assert sent == [True]
    queued.clear()
    optimizer.step()  # the state exists now: nothing but the two steps
    assert [op.WhichOneof("kind") for op in queued] == ["optimizer_step"] * 2
    options = queued[0].optimizer_step.options
    assert options["step"].int_value == 2
    assert ("mu_product" in options) == (name == "NAdam")
    if name == "NAdam":  # the product of this step and the last one's, as the state holds it
        product = optimizer.state[ours.fc1.weight]["mu_product"]
        assert options["mu_product"].float_value == product.item()


def test_parameters_without_gradients_are_left_out() -> None:
    ours, _ = _pair()
    before = [p.detach().numpy() for p in ours.parameters()]
    optimizer = gradrpc.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    optimizer.step()  # no gradients yet: nothing happens
    assert not any(optimizer.state.get(p) for p in ours.parameters())
    for mine, values in zip(ours.parameters(), before, strict=True):
        np.testing.assert_array_equal(mine.detach().numpy(), values)


@pytest.mark.parametrize(
    "name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "NAdam", "RAdam", "Adadelta"]
)
def test_unsupported_options_say_so(name: str) -> None:
    params = list(_model(gnn).parameters())
    for kwargs in ({"differentiable": True},):
        with pytest.raises(NotImplementedError, match="gradrpc"):
            getattr(gradrpc.optim, name)(params, **kwargs)
