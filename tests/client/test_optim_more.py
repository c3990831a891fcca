"""`gradrpc.optim.Rprop` and `gradrpc.optim.ASGD` against torch.optim 2.13: parameters and
state bit for bit after every step over their options, in float32 and float64 (a loss whose
gradients both libraries compute exactly, so any difference is the optimizer's); state_dict
both ways (ours loaded into torch's optimizer, torch's into ours) and the run resumed; reprs;
constructor errors with torch's type and wording at the line; and a training loop."""

from __future__ import annotations

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import assert_trains_alike, check_error_at_line, no_rpc, train_alike

STEPS = 25

CONFIGS = [
    ("Rprop", {}),
    ("Rprop", {"lr": 0.1, "etas": (0.3, 1.5), "step_sizes": (0.01, 0.2)}),
    ("Rprop", {"lr": 0.5, "etas": (0.1, 3.0), "step_sizes": (1e-3, 2), "maximize": True}),
    ("Rprop", {"lr": 0.05, "step_sizes": (0.2, 0.1)}),  # min > max: clamp gives max
    ("ASGD", {}),
    ("ASGD", {"lr": 0.05, "lambd": 0.1, "alpha": 0.5, "t0": 3}),  # averages from step 4
    ("ASGD", {"lr": 0.02, "lambd": 0.01, "t0": 0, "weight_decay": 0.1, "maximize": True}),
    ("ASGD", {"lr": 0.1, "alpha": 1.5, "t0": 10.5, "weight_decay": 0.3}),
]
IDS = [f"{name}{kwargs}" for name, kwargs in CONFIGS]
DTYPES = ["float32", "float64"]


def _start(dtype: str):
    """Initial weights and the targets of the loss sum((w - c)^2) per library: its gradient
    2 (w - c) is exact in both."""
    rng = np.random.default_rng(7)
    w = rng.standard_normal((4, 3)).astype(dtype)
    b = rng.standard_normal(5).astype(dtype)
    c = rng.standard_normal((4, 3)).astype(dtype)
    d = rng.standard_normal(5).astype(dtype)
    return [w, b], [c, d]


def _params(lib, values):
    return [lib.tensor(v, requires_grad=True) for v in values]


def _step(lib, params, targets, optimizer) -> None:
    optimizer.zero_grad()
    loss = sum(((p - lib.tensor(t)) ** 2).sum() for p, t in zip(params, targets, strict=True))
    loss.backward()
    optimizer.step()


def _run(name: str, kwargs: dict, dtype: str):
    values, targets = _start(dtype)
    runs = {}
    for lib in (torch, gradrpc):
        params = _params(lib, values)
        runs[lib] = params, getattr(lib.optim, name)(params, **kwargs)
    return runs, targets


def _assert_same_state(ours, theirs) -> None:
    """The same state keys in the same order, each value equal bit for bit, in its dtype."""
    mine, other = ours.state_dict(), theirs.state_dict()
    assert mine["param_groups"] == other["param_groups"]
    assert mine["state"].keys() == other["state"].keys()
    for index, state in other["state"].items():
        assert list(mine["state"][index]) == list(state)
        for key, value in state.items():
            got = mine["state"][index][key]
            assert str(got.dtype) == str(value.dtype), key
            np.testing.assert_array_equal(got.numpy(), value.numpy(), err_msg=key)


def _assert_same_params(ours, theirs) -> None:
    for mine, other in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(mine.detach().numpy(), other.detach().numpy())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=IDS)
def test_steps_are_torch_bit_for_bit(name: str, kwargs: dict, dtype: str) -> None:
    runs, targets = _run(name, kwargs, dtype)
    for step in range(STEPS):
        for lib, (params, optimizer) in runs.items():
            _step(lib, params, targets, optimizer)
        _assert_same_params(runs[gradrpc][0], runs[torch][0])
        if step in (0, 1, STEPS - 1):
            _assert_same_state(runs[gradrpc][1], runs[torch][1])


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=IDS)
def test_repr_matches_torch(name: str, kwargs: dict) -> None:
    runs, _ = _run(name, kwargs, "float32")
    assert repr(runs[gradrpc][1]) == repr(runs[torch][1])


def _as_torch(state_dict: dict) -> dict:
    """A gradrpc optimizer's state_dict with torch tensors for its tensors."""
    state = {
        index: {key: torch.tensor(value.numpy()) for key, value in saved.items()}
        for index, saved in state_dict["state"].items()
    }
    return {"state": state, "param_groups": state_dict["param_groups"]}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("source", ["own", "torch", "ours into torch"])
@pytest.mark.parametrize(("name", "kwargs"), [CONFIGS[1], CONFIGS[5], CONFIGS[6]], ids=str)
def test_load_state_dict_resumes_as_torch_does(name, kwargs, source: str, dtype: str) -> None:
    """After 5 steps a new optimizer (another lr) loads the state, its own kind's, torch's or,
    the other way, torch's loads ours; the run goes on bit for bit as torch's after the same
    load (ASGD's float32 eta and mu cast to a float64 parameter's dtype, as torch casts them)."""
    runs, targets = _run(name, kwargs, dtype)
    for _ in range(5):
        for lib, (params, optimizer) in runs.items():
            _step(lib, params, targets, optimizer)
    saved_ours, saved_theirs = runs[gradrpc][1].state_dict(), runs[torch][1].state_dict()
    resumed = {lib: getattr(lib.optim, name)(runs[lib][0], lr=0.5) for lib in runs}
    resumed[gradrpc].load_state_dict(saved_theirs if source == "torch" else saved_ours)
    resumed[torch].load_state_dict(
        _as_torch(saved_ours) if source == "ours into torch" else saved_theirs
    )
    assert repr(resumed[gradrpc]) == repr(resumed[torch])
    _assert_same_state(resumed[gradrpc], resumed[torch])
    for _ in range(8):
        for lib in runs:
            _step(lib, runs[lib][0], targets, resumed[lib])
        _assert_same_params(runs[gradrpc][0], runs[torch][0])
    _assert_same_state(resumed[gradrpc], resumed[torch])


def test_state_dict_holds_torch_keys_before_and_after_a_step() -> None:
    """No state before the first step; then Rprop's step, prev, step_size and ASGD's step,
    eta, mu, ax, the 0-d ones float32 (ASGD's eta the group's lr, as torch starts it)."""
    for name in ("Rprop", "ASGD"):
        runs, targets = _run(name, {"lr": 0.3}, "float64")
        assert runs[gradrpc][1].state_dict()["state"] == runs[torch][1].state_dict()["state"] == {}
        for lib, (params, optimizer) in runs.items():
            _step(lib, params, targets, optimizer)
        _assert_same_state(runs[gradrpc][1], runs[torch][1])


def test_asgd_step_sends_eta_and_mu_and_no_values(session) -> None:
    """A step reads nothing: eta and mu are the client's numbers."""
    runs, targets = _run("ASGD", {"t0": 1}, "float32")
    params, optimizer = runs[gradrpc]
    _step(gradrpc, params, targets, optimizer)
    session.flush()
    with no_rpc():
        _step(gradrpc, params, targets, optimizer)
        state = optimizer.state[params[0]]
        assert (state["eta"]._value, state["mu"]._value) == (
            float(np.float32(0.01 / (1 + 1e-4 * 0.01 * 2) ** 0.75)),
            1.0,
        )


ERRORS = [
    lambda T: T.optim.Rprop([T.zeros(2, requires_grad=True)], lr=-1),
    lambda T: T.optim.Rprop([T.zeros(2, requires_grad=True)], lr=T.tensor([0.1, 0.2])),
    lambda T: T.optim.Rprop([T.zeros(2, requires_grad=True)], etas=(1.0, 2.0)),
    lambda T: T.optim.Rprop([T.zeros(2, requires_grad=True)], etas=(0.5, 1.0)),
    lambda T: T.optim.Rprop([T.zeros(2, requires_grad=True)], etas=(0.0, 1.2)),
    lambda T: T.optim.Rprop(T.zeros(2, requires_grad=True)),
    lambda T: T.optim.ASGD([T.zeros(2, requires_grad=True)], lr=-0.5),
    lambda T: T.optim.ASGD([T.zeros(2, requires_grad=True)], weight_decay=-1),
    lambda T: T.optim.ASGD([T.zeros(2, requires_grad=True)], lr=T.tensor([0.1, 0.2])),
    lambda T: T.optim.ASGD([]),
]


@pytest.mark.parametrize("index", range(len(ERRORS)))
def test_constructor_errors_are_torch_at_the_line(index: int) -> None:
    check_error_at_line(ERRORS[index])


@pytest.mark.parametrize(
    "make",
    [
        lambda T, params: T.optim.Rprop(params, lr=0.01),
        lambda T, params: T.optim.ASGD(params, lr=0.05, t0=2),
    ],
    ids=["Rprop", "ASGD"],
)
def test_a_training_loop_trains_as_torch(make) -> None:
    def data(T):
        generator = torch.Generator().manual_seed(3)
        x, y = torch.randn(16, 5, generator=generator), torch.randn(16, 2, generator=generator)
        return (x, y) if T is torch else (gradrpc.tensor(x.numpy()), gradrpc.tensor(y.numpy()))

    runs = train_alike(
        lambda nn: nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 2)),
        make,
        lambda T: T.nn.MSELoss(),
        data,
        steps=12,
    )
    assert_trains_alike(runs, rtol=1e-4)
