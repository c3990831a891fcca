"""`gradrpc.optim.Muon` against torch.optim.Muon 2.13: parameters and momentum buffers after
every step over its options, in float32 and float64 (a loss whose gradients both libraries
compute exactly, so any difference is the optimizer's). Torch orthogonalizes in bfloat16; the
server emulates its roundings in float32 and sums its matrix products as torch's oneDNN does
on a CPU with AVX512-BF16: there, bit for bit; elsewhere torch sums in another order, and a
sum may round to a neighbouring bfloat16 (within a few bfloat16 ulps of the update). Also
state_dict both ways and the run resumed, a group's adjust_lr_fn changed after construction,
a step that reads nothing, reprs, errors with torch's type and wording, and a training
loop."""

from __future__ import annotations

from pathlib import Path

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import assert_trains_alike, check_error_at_line, no_rpc, raised, train_alike

CPU_FLAGS = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
BIT_FOR_BIT = "avx512_bf16" in CPU_FLAGS.split()

STEPS = 12
SMALL = ((4, 3), (3, 5), (6, 6), (1, 4))  # tall, wide, square, a row
LARGE = ((40, 24), (24, 40))
CONFIGS = [
    {},
    {"lr": 0.02, "nesterov": False, "weight_decay": 0.0},
    {"lr": 0.1, "momentum": 0.3, "adjust_lr_fn": "match_rms_adamw"},  # a lerp weight > 0.5
    {"lr": 0.05, "momentum": 0.0, "weight_decay": 0.5, "adjust_lr_fn": "original"},
    {"lr": 0.01, "ns_coefficients": (2.0, -1.5, 0.5), "ns_steps": 3, "eps": 1e-3},
    {"lr": 0.01, "ns_steps": 0},  # the update normalized only
]
DTYPES = ["float32", "float64"]


def _run(kwargs: dict, dtype: str, shapes=SMALL):
    """Both libraries' parameters (the same start), optimizers and loss targets."""
    rng = np.random.default_rng(11)
    values = [rng.standard_normal(shape).astype(dtype) for shape in shapes]
    targets = [rng.standard_normal(shape).astype(dtype) for shape in shapes]
    runs = {}
    for lib in (torch, gradrpc):
        params = [lib.tensor(v, requires_grad=True) for v in values]
        runs[lib] = params, lib.optim.Muon(params, **kwargs)
    return runs, targets


def _step(lib, params, targets, optimizer) -> None:
    """The loss sum((w - c)^2): its gradient 2 (w - c) is exact in both libraries."""
    optimizer.zero_grad()
    loss = sum(((p - lib.tensor(t)) ** 2).sum() for p, t in zip(params, targets, strict=True))
    loss.backward()
    optimizer.step()


def _step_both(runs: dict, targets) -> None:
    for lib, (params, optimizer) in runs.items():
        _step(lib, params, targets, optimizer)


def _assert_same(runs: dict, atol: float = 0.0) -> None:
    """Parameters and momentum buffers equal (within atol), and the same state_dict layout."""
    (ours, mine), (theirs, other) = runs[gradrpc], runs[torch]
    for p, q in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=0, atol=atol)
    ours_dict, theirs_dict = mine.state_dict(), other.state_dict()
    assert ours_dict["param_groups"] == theirs_dict["param_groups"]
    assert ours_dict["state"].keys() == theirs_dict["state"].keys()
    for index, state in theirs_dict["state"].items():
        assert list(ours_dict["state"][index]) == list(state) == ["momentum_buffer"]
        got, expected = ours_dict["state"][index]["momentum_buffer"], state["momentum_buffer"]
        assert str(got.dtype) == str(expected.dtype)
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=0, atol=atol)


def _tolerance(kwargs: dict, step: int) -> float:
    """0 (bit for bit) on a CPU with AVX512-BF16; elsewhere a few bfloat16 ulps (2^-8) of an
    update element (at most about 1), times the adjusted lr, per step so far."""
    if BIT_FOR_BIT:
        return 0.0
    ratio = 0.2 * 40**0.5 if kwargs.get("adjust_lr_fn") == "match_rms_adamw" else 40 / 24
    return 4 * 2**-8 * kwargs.get("lr", 1e-3) * ratio * step


@pytest.mark.parametrize("shapes", [SMALL, LARGE], ids=["small", "large"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", CONFIGS, ids=str)
def test_steps_are_torchs(kwargs: dict, dtype: str, shapes) -> None:
    runs, targets = _run(kwargs, dtype, shapes)
    assert runs[gradrpc][1].state_dict()["state"] == {}
    for step in range(1, STEPS + 1):
        _step_both(runs, targets)
        _assert_same(runs, _tolerance(kwargs, step))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("source", ["own", "torch", "ours into torch"])
def test_load_state_dict_resumes_as_torch_does(source: str, dtype: str) -> None:
    """After 5 steps a new optimizer (another lr and momentum) loads the state, its own,
    torch's or, the other way, torch's loads ours; the run goes on as torch's."""
    runs, targets = _run(CONFIGS[2], dtype)
    for _ in range(5):
        _step_both(runs, targets)
    saved_ours, saved_theirs = runs[gradrpc][1].state_dict(), runs[torch][1].state_dict()
    if source == "ours into torch":
        saved_ours = {
            "state": {
                i: {k: torch.tensor(v.numpy()) for k, v in s.items()}
                for i, s in saved_ours["state"].items()
            },
            "param_groups": saved_ours["param_groups"],
        }
    resumed = {lib: lib.optim.Muon(runs[lib][0], lr=0.5, momentum=0.9) for lib in runs}
    resumed[gradrpc].load_state_dict(saved_theirs if source == "torch" else saved_ours)
    resumed[torch].load_state_dict(saved_ours if source == "ours into torch" else saved_theirs)
    assert repr(resumed[gradrpc]) == repr(resumed[torch])
    runs = {lib: (runs[lib][0], resumed[lib]) for lib in runs}
    _assert_same(runs, _tolerance(CONFIGS[2], 5))
    for step in range(6, 11):
        _step_both(runs, targets)
        _assert_same(runs, _tolerance({"lr": 0.5}, step))


def test_an_adjust_lr_fn_set_after_construction_steps_as_torchs() -> None:
    """torch's step scales lr by sqrt(max(1, A/B)) for None and "original", by
    0.2 sqrt(max(A, B)) for "match_rms_adamw", and not at all for any other value a group
    holds (its constructor refuses them)."""
    runs, targets = _run({"lr": 0.05}, "float32")
    for fn in (None, "match_rms_adamw", "something else", "original"):
        for _, optimizer in runs.values():
            optimizer.param_groups[0]["adjust_lr_fn"] = fn
        for _ in range(2):
            _step_both(runs, targets)
            _assert_same(runs, _tolerance({"lr": 0.05}, 8))


def test_a_step_reads_nothing(session) -> None:
    runs, targets = _run({}, "float32")
    params, optimizer = runs[gradrpc]
    _step(gradrpc, params, targets, optimizer)
    session.flush()
    with no_rpc():
        _step(gradrpc, params, targets, optimizer)
        _step(gradrpc, params, targets, optimizer)
    for _ in range(3):
        _step(torch, runs[torch][0], targets, runs[torch][1])
    _assert_same(runs, _tolerance({}, 3))


@pytest.mark.parametrize("kwargs", CONFIGS, ids=str)
def test_repr_matches_torch(kwargs: dict) -> None:
    runs, _ = _run(kwargs, "float32")
    assert repr(runs[gradrpc][1]) == repr(runs[torch][1])
    assert runs[gradrpc][1].defaults == runs[torch][1].defaults


ERRORS = [
    lambda T: T.optim.Muon([T.zeros(2, 2, requires_grad=True)], lr=-1),
    lambda T: T.optim.Muon([T.zeros(2, 2, requires_grad=True)], lr=T.tensor([0.1, 0.2])),
    lambda T: T.optim.Muon([T.zeros(2, 2, requires_grad=True)], momentum=-0.1),
    lambda T: T.optim.Muon([T.zeros(2, 2, requires_grad=True)], weight_decay=-1e-3),
    lambda T: T.optim.Muon([T.zeros(2, 2, requires_grad=True)], adjust_lr_fn="adamw"),
    lambda T: T.optim.Muon([T.zeros(3, requires_grad=True)]),
    lambda T: T.optim.Muon([T.zeros(2, 2, requires_grad=True), T.zeros(1, 2, 3)]),
    lambda T: T.optim.Muon([T.zeros((), requires_grad=True)], lr=0.1),
    lambda T: T.optim.Muon([]),
    lambda T: T.optim.Muon(T.zeros(2, 2, requires_grad=True)),
]


@pytest.mark.parametrize("index", range(len(ERRORS)))
def test_constructor_errors_are_torch_at_the_line(index: int) -> None:
    check_error_at_line(ERRORS[index])


def test_a_negative_tensor_lr_is_refused_as_torch_refuses_it() -> None:
    """Torch compares the 0-d tensor with 0 (gradrpc reads it: a round trip) and formats it
    as its number."""
    errors = {
        lib: raised(lambda lib=lib: lib.optim.Muon([lib.zeros(2, 2)], lr=lib.tensor(-0.25)))
        for lib in (torch, gradrpc)
    }
    assert errors[gradrpc] == errors[torch] == (ValueError, errors[torch][1])
    assert errors[torch][1] == "Learning rate should be >= 0 but is: -0.25"


@pytest.mark.parametrize(
    "kwargs",
    [{"ns_steps": 100}, {"ns_coefficients": (1.0, 2.0)}, {"ns_steps": 5.0}],
    ids=str,
)
def test_step_errors_are_torchs(kwargs: dict) -> None:
    """torch checks ns_steps and ns_coefficients when it steps: so does gradrpc, before
    anything reaches the server; the optimizer then steps with good settings."""
    runs, targets = _run(kwargs, "float32")
    errors = {
        lib: raised(lambda lib=lib: _step(lib, runs[lib][0], targets, runs[lib][1])) for lib in runs
    }
    assert errors[gradrpc] is not None and errors[gradrpc] == errors[torch]
    for params, optimizer in runs.values():
        optimizer.param_groups[0].update(ns_steps=5, ns_coefficients=(3.4445, -4.7750, 2.0315))
        for p in params:  # torch's failed step lerped its buffers already; start both afresh
            optimizer.state.pop(p, None)
    _step_both(runs, targets)
    _assert_same(runs, _tolerance({}, 1))


def test_a_training_loop_trains_as_torch() -> None:
    def data(T):
        generator = torch.Generator().manual_seed(5)
        x, y = torch.randn(16, 5, generator=generator), torch.randn(16, 2, generator=generator)
        return (x, y) if T is torch else (gradrpc.tensor(x.numpy()), gradrpc.tensor(y.numpy()))

    runs = train_alike(
        lambda nn: nn.Sequential(
            nn.Linear(5, 6, bias=False), nn.Tanh(), nn.Linear(6, 2, bias=False)
        ),
        lambda T, params: T.optim.Muon(params, lr=0.05),
        lambda T: T.nn.MSELoss(),
        data,
        steps=12,
    )
    assert_trains_alike(runs, rtol=1e-5 if BIT_FOR_BIT else 1e-3)  # the forward sums differ
