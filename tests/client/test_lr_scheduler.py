"""`gradrpc.optim.lr_scheduler` against torch.optim.lr_scheduler 2.13: every scheduler's lrs
(and CyclicLR's and OneCycleLR's momentum or betas) exactly equal to torch's at every step,
chainable and closed form; state_dict equal to torch's, and round trips (ours and torch's)
that continue as torch does; ReduceLROnPlateau's modes, thresholds, cooldown and min_lr;
training under a schedule; the warnings of a misordered step; and constructor errors."""

from __future__ import annotations

import inspect
import math
import warnings
from collections import OrderedDict

import gradrpc
import gradrpc.nn as gnn
import gradrpc.optim.lr_scheduler as glrs
import numpy as np
import pytest
import torch
import torch.nn as tnn
from clientkit import raised

STEPS = 40
GROUP_KEYS = ("lr", "momentum", "betas", "initial_lr", "max_lr", "min_lr")


OPTIMIZERS = {
    "SGD": ("SGD", {"momentum": 0.9}),
    "Adam": ("Adam", {"betas": (0.85, 0.99)}),
    "RMSprop": ("RMSprop", {"momentum": 0.5}),
}


def _optimizer(lib, kind: str = "SGD", lrs=(0.1, 0.03)):
    """An optimizer of `lib` with one group per lr (one small parameter each)."""
    name, kwargs = OPTIMIZERS[kind]
    groups = [{"params": [lib.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    return getattr(lib.optim, name)(groups, **kwargs)


def _groups(optimizer) -> list[dict]:
    return [
        {k: group[k] for k in GROUP_KEYS if k in group} | {"params": len(group["params"])}
        for group in optimizer.param_groups
    ]


def _snapshot(scheduler, optimizer):
    return scheduler.get_last_lr(), _groups(optimizer)


class Warmup:
    """A callable object: its attributes travel in the scheduler's state_dict."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __call__(self, epoch: int) -> float:
        return min(1.0, (epoch + 1) / self.n)


def _sequential(L, o):
    return L.SequentialLR(
        o, [L.LinearLR(o, 0.1, total_iters=5), L.CosineAnnealingLR(o, 20, 1e-3)], milestones=[5]
    )


def _three_sequential(L, o):
    schedulers = [L.ConstantLR(o, 0.5, 3), L.ExponentialLR(o, 0.9), L.StepLR(o, 4, 0.5)]
    return L.SequentialLR(o, schedulers, milestones=[3, 12])


SCHEDULES = {
    "LambdaLR": lambda L, o: L.LambdaLR(o, lambda e: 0.95**e),
    "LambdaLR lists": lambda L, o: L.LambdaLR(o, [lambda e: 1 / (e + 1), Warmup(7)]),
    "MultiplicativeLR": lambda L, o: L.MultiplicativeLR(o, lambda e: 0.97),
    "MultiplicativeLR lists": lambda L, o: L.MultiplicativeLR(o, (Warmup(3), lambda e: 0.9)),
    "StepLR": lambda L, o: L.StepLR(o, 5),
    "StepLR gamma": lambda L, o: L.StepLR(o, step_size=3, gamma=0.7),
    "MultiStepLR": lambda L, o: L.MultiStepLR(o, [3, 10, 10, 25], gamma=0.3),
    "ConstantLR": lambda L, o: L.ConstantLR(o),
    "ConstantLR factor": lambda L, o: L.ConstantLR(o, factor=0.3, total_iters=11),
    "LinearLR": lambda L, o: L.LinearLR(o),
    "LinearLR decay": lambda L, o: L.LinearLR(o, 1.0, 0.05, total_iters=30),
    "ExponentialLR": lambda L, o: L.ExponentialLR(o, 0.93),
    "PolynomialLR": lambda L, o: L.PolynomialLR(o),
    "PolynomialLR power": lambda L, o: L.PolynomialLR(o, total_iters=33, power=2.5),
    "CosineAnnealingLR": lambda L, o: L.CosineAnnealingLR(o, 10),
    "CosineAnnealingLR eta_min": lambda L, o: L.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
    "SequentialLR": _sequential,
    "SequentialLR three": _three_sequential,
    "ChainedScheduler": lambda L, o: L.ChainedScheduler(
        [L.ConstantLR(o, 0.5, total_iters=4), L.ExponentialLR(o, 0.9)]
    ),
    "ChainedScheduler optimizer": lambda L, o: L.ChainedScheduler(
        [L.LinearLR(o, 0.2, total_iters=6), L.CosineAnnealingLR(o, 12)], optimizer=o
    ),
    "CyclicLR": lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=4),
    "CyclicLR triangular2": lambda L, o: L.CyclicLR(
        o, [0.01, 0.002], [0.1, 0.05], 3, 5, mode="triangular2", base_momentum=0.7
    ),
    "CyclicLR exp_range": lambda L, o: L.CyclicLR(
        o, 0.001, 0.01, 5, mode="exp_range", gamma=0.97, max_momentum=[0.95, 0.92]
    ),
    "CyclicLR scale_fn": lambda L, o: L.CyclicLR(
        o, 0.01, 0.1, 6, scale_fn=lambda x: 1 / (1 + x), scale_mode="iterations"
    ),
    "CyclicLR no momentum": lambda L, o: L.CyclicLR(o, 0.01, 0.1, 7, cycle_momentum=False),
    "CosineAnnealingWarmRestarts": lambda L, o: L.CosineAnnealingWarmRestarts(o, 5),
    "CosineAnnealingWarmRestarts mult": lambda L, o: L.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.001
    ),
    "OneCycleLR": lambda L, o: L.OneCycleLR(o, 0.5, total_steps=STEPS),
    "OneCycleLR linear": lambda L, o: L.OneCycleLR(
        o, [0.5, 0.2], epochs=9, steps_per_epoch=5, pct_start=0.25, anneal_strategy="linear"
    ),
    "OneCycleLR three phase": lambda L, o: L.OneCycleLR(
        o, 0.3, STEPS + 3, three_phase=True, div_factor=10.0, final_div_factor=100.0
    ),
    "OneCycleLR no momentum": lambda L, o: L.OneCycleLR(o, 0.4, STEPS, cycle_momentum=False),
}
CASES = [
    pytest.param(name, optimizer, id=f"{name}-{optimizer}")
    for name in SCHEDULES
    for optimizer in (["SGD", "Adam"] if "Cyclic" in name or "OneCycle" in name else ["SGD"])
] + [pytest.param("OneCycleLR", "RMSprop", id="OneCycleLR-RMSprop")]


def _pair_run(schedule, kind: str, steps=STEPS, step=None):
    """The same schedule under torch and under gradrpc: for each, the snapshots after
    construction and after each optimizer.step(); scheduler.step() pair, the scheduler and
    the optimizer."""
    runs = []
    for lib in (torch, gradrpc):
        optimizer = _optimizer(lib, kind)
        scheduler = schedule(lib.optim.lr_scheduler, optimizer)
        trace = [_snapshot(scheduler, optimizer)]
        for i in range(steps):
            optimizer.step()
            scheduler.step() if step is None else step(scheduler, i, lib)
            trace.append(_snapshot(scheduler, optimizer))
        runs.append((trace, scheduler, optimizer))
    return runs


def _assert_traces_equal(theirs: list, ours: list) -> None:
    for i, (expected, actual) in enumerate(zip(theirs, ours, strict=True)):
        assert actual == expected, f"step {i}:\ngradrpc: {actual}\ntorch:   {expected}"
        assert all(type(lr) is type(e) for lr, e in zip(actual[0], expected[0], strict=True))


@pytest.mark.parametrize(("name", "optimizer"), CASES)
def test_lrs_are_torch_s_at_every_step(name: str, optimizer: str) -> None:
    (theirs, their_scheduler, _), (ours, our_scheduler, _) = _pair_run(SCHEDULES[name], optimizer)
    _assert_traces_equal(theirs, ours)
    assert our_scheduler.state_dict() == their_scheduler.state_dict()
    assert list(our_scheduler.state_dict()) == list(their_scheduler.state_dict())


CLOSED_FORM = {
    "StepLR": lambda L, o: L.StepLR(o, 4, 0.5),
    "MultiStepLR": lambda L, o: L.MultiStepLR(o, [2, 5, 5, 9]),
    "ConstantLR": lambda L, o: L.ConstantLR(o, 0.25, total_iters=6),
    "LinearLR": lambda L, o: L.LinearLR(o, 0.2, 0.9, total_iters=8),
    "ExponentialLR": lambda L, o: L.ExponentialLR(o, 0.8),
    "PolynomialLR": lambda L, o: L.PolynomialLR(o, 10, 2.0),
    "CosineAnnealingLR": lambda L, o: L.CosineAnnealingLR(o, 9, 0.002),
    "LambdaLR": lambda L, o: L.LambdaLR(o, lambda e: 1 / (1 + e)),
    "CosineAnnealingWarmRestarts": lambda L, o: L.CosineAnnealingWarmRestarts(o, 4, 2, 0.01),
}
EPOCHS = [0, 1, 3, 2, 7, 12, 5, 20, 11, 30, 4.5, 13.25]


@pytest.mark.parametrize("name", CLOSED_FORM)
def test_step_with_an_epoch_uses_torch_s_closed_form(name: str) -> None:
    def step(scheduler, i, lib):
        epoch = EPOCHS[i]
        if isinstance(epoch, float) and name != "CosineAnnealingWarmRestarts":
            epoch = int(epoch)
        with pytest.warns(UserWarning) if name != "CosineAnnealingWarmRestarts" else _quiet():
            scheduler.step(epoch)
        if i % 3 == 2:  # the chainable form continues from there
            scheduler.step()

    (theirs, *_), (ours, *_) = _pair_run(CLOSED_FORM[name], "SGD", len(EPOCHS), step)
    _assert_traces_equal(theirs, ours)


def _quiet():
    return warnings.catch_warnings(record=False)


@pytest.mark.parametrize("name", ["CosineAnnealingLR", "StepLR", "ExponentialLR", "LinearLR"])
def test_resuming_with_last_epoch_matches_torch(name: str) -> None:
    """A scheduler made with last_epoch = k over groups that have their initial_lr."""
    make = {
        "CosineAnnealingLR": lambda L, o: L.CosineAnnealingLR(o, 10, 0.01, last_epoch=6),
        "StepLR": lambda L, o: L.StepLR(o, 3, last_epoch=4),
        "ExponentialLR": lambda L, o: L.ExponentialLR(o, 0.9, last_epoch=2),
        "LinearLR": lambda L, o: L.LinearLR(o, 0.5, total_iters=6, last_epoch=3),
    }[name]

    def schedule(L, o):
        first = L.ExponentialLR(o, 0.5)  # sets initial_lr
        o.step()
        first.step()
        return make(L, o)

    (theirs, *_), (ours, *_) = _pair_run(schedule, "SGD", 25)
    _assert_traces_equal(theirs, ours)


PLATEAU = {
    "defaults": {},
    "min rel": {"patience": 2, "factor": 0.5},
    "min abs cooldown": {"threshold": 0.05, "threshold_mode": "abs", "cooldown": 3, "patience": 1},
    "max rel": {"mode": "max", "patience": 0, "factor": 0.7, "threshold": 0.01},
    "max abs min_lr": {"mode": "max", "threshold_mode": "abs", "patience": 1, "min_lr": 0.02},
    "min_lr list": {"patience": 0, "factor": 0.3, "min_lr": [0.005, 0.001]},
    "eps": {"patience": 0, "factor": 0.9, "eps": 0.005, "min_lr": [0.0, 0.02]},
}
METRICS = [1.0, 0.9, 0.95, 0.96, 0.97, 0.89, 0.9, 0.9, 0.88, 0.5, 0.51, 0.52, 0.53, 0.54]


@pytest.mark.parametrize("tensor_metrics", [False, True])
@pytest.mark.parametrize("kwargs", PLATEAU.values(), ids=PLATEAU.keys())
def test_reduce_lr_on_plateau_matches_torch(kwargs: dict, tensor_metrics: bool) -> None:
    def step(scheduler, i, lib):
        metric = METRICS[i % len(METRICS)] * (1 + (i // len(METRICS)) / 10)
        scheduler.step(lib.tensor(metric) if tensor_metrics else metric)

    (theirs, their_scheduler, _), (ours, our_scheduler, _) = _pair_run(
        lambda L, o: L.ReduceLROnPlateau(o, **kwargs), "SGD", STEPS, step
    )
    _assert_traces_equal(theirs, ours)
    assert our_scheduler.state_dict() == their_scheduler.state_dict()
    assert list(our_scheduler.state_dict()) == list(their_scheduler.state_dict())
    assert our_scheduler.in_cooldown == their_scheduler.in_cooldown


def test_reduce_lr_on_plateau_with_a_new_group_is_refused_as_torch() -> None:
    def run(lib):
        optimizer = _optimizer(lib)
        scheduler = lib.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, min_lr=[0, 0])
        optimizer.add_param_group({"params": [lib.zeros(1, requires_grad=True)]})
        scheduler.step(1.0)
        scheduler.step(2.0)

    expected, actual = raised(lambda: run(torch)), raised(lambda: run(gradrpc))
    assert expected is not None and actual == expected


ROUND_TRIPS = {
    "StepLR": lambda L, o: L.StepLR(o, 4, 0.5),
    "LambdaLR": lambda L, o: L.LambdaLR(o, [Warmup(9), lambda e: 0.9**e]),
    "CosineAnnealingLR": lambda L, o: L.CosineAnnealingLR(o, 8, 0.001),
    "CyclicLR": lambda L, o: L.CyclicLR(o, 0.01, 0.2, 3, 4, mode="exp_range", gamma=0.9),
    "OneCycleLR": lambda L, o: L.OneCycleLR(o, 0.5, 40, three_phase=True),
    "CosineAnnealingWarmRestarts": lambda L, o: L.CosineAnnealingWarmRestarts(o, 3, 2),
    "SequentialLR": _sequential,
    "ChainedScheduler": lambda L, o: L.ChainedScheduler(
        [L.MultiStepLR(o, [3, 7]), L.ExponentialLR(o, 0.95)]
    ),
    "ReduceLROnPlateau": lambda L, o: L.ReduceLROnPlateau(o, patience=1, cooldown=1),
}


@pytest.mark.parametrize("source", ["own", "torch"])
@pytest.mark.parametrize("name", ROUND_TRIPS)
def test_state_dict_round_trips_continue_as_torch(name: str, source: str) -> None:
    """Run 12 steps, save optimizer and scheduler, load them into fresh ones (ours from ours
    or from torch's; torch's from ours or torch's), run 15 more: the lrs stay torch's."""
    make = ROUND_TRIPS[name]

    def step(scheduler, lib, i):
        if name == "ReduceLROnPlateau":
            scheduler.step(METRICS[i % len(METRICS)])
        else:
            scheduler.step()

    def first_run(lib):
        optimizer = _optimizer(lib)
        scheduler = make(lib.optim.lr_scheduler, optimizer)
        for i in range(12):
            optimizer.step()
            step(scheduler, lib, i)
        return optimizer.state_dict(), scheduler.state_dict()

    saved = {"torch": first_run(torch), "own": first_run(gradrpc)}
    traces = []
    for lib, other in ((torch, "torch" if source == "own" else "own"), (gradrpc, source)):
        optimizer = _optimizer(lib)
        scheduler = make(lib.optim.lr_scheduler, optimizer)
        optimizer_state, scheduler_state = saved[other]
        optimizer.load_state_dict(optimizer_state)
        scheduler.load_state_dict(scheduler_state)
        trace = [_snapshot(scheduler, optimizer)]
        for i in range(12, 27):
            optimizer.step()
            step(scheduler, lib, i)
            trace.append(_snapshot(scheduler, optimizer))
        traces.append(trace)
    _assert_traces_equal(*traces)


def test_state_dict_restores_a_callable_object_s_attributes() -> None:
    for lib in (torch, gradrpc):
        scheduler = lib.optim.lr_scheduler.LambdaLR(_optimizer(lib), [Warmup(3), Warmup(4)])
        assert scheduler.state_dict()["lr_lambdas"] == [{"n": 3}, {"n": 4}]
        scheduler.load_state_dict({**scheduler.state_dict(), "lr_lambdas": [None, {"n": 8}]})
        assert [fn.n for fn in scheduler.lr_lambdas] == [3, 8]


def _model(nn):
    layers = [("fc1", nn.Linear(5, 4)), ("act", nn.Tanh()), ("fc2", nn.Linear(4, 3))]
    return nn.Sequential(OrderedDict(layers))


TRAINING = {
    "SGD StepLR": (
        lambda optim, m: optim.SGD(m.parameters(), lr=0.05, momentum=0.9),
        lambda L, o: L.StepLR(o, step_size=3, gamma=0.5),
    ),
    "Adam OneCycleLR": (
        lambda optim, m: optim.Adam(m.parameters(), lr=0.01),
        lambda L, o: L.OneCycleLR(o, 0.05, total_steps=12),
    ),
    "SGD CyclicLR": (
        lambda optim, m: optim.SGD(m.parameters(), lr=0.05),
        lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=3),
    ),
}


@pytest.mark.parametrize("name", TRAINING)
def test_training_under_a_schedule_matches_torch(name: str) -> None:
    """optimizer.step() then scheduler.step(), with a real loss and backward: the server's
    steps take the scheduled lr (and momentum/betas) of each step."""
    make_optimizer, make_scheduler = TRAINING[name]
    theirs, ours = _model(tnn), _model(gnn)
    ours.load_state_dict(theirs.state_dict())
    generator = torch.Generator().manual_seed(0)
    x, y = torch.randn(8, 5, generator=generator), torch.randn(8, 3, generator=generator)
    runs = []
    for lib, model, inputs in ((torch, theirs, (x, y)), (gradrpc, ours, (x.numpy(), y.numpy()))):
        x_, y_ = (lib.tensor(v) for v in inputs) if lib is gradrpc else inputs
        optimizer = make_optimizer(lib.optim, model)
        scheduler = make_scheduler(lib.optim.lr_scheduler, optimizer)
        lrs = []
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # in this order, no warning
            for _ in range(10):
                optimizer.zero_grad()
                lib.nn.functional.mse_loss(model(x_), y_).backward()
                optimizer.step()
                scheduler.step()
                lrs.append(scheduler.get_last_lr())
        runs.append(lrs)
    assert runs[0] == runs[1]
    for (key, mine), (_, other) in zip(
        ours.named_parameters(), theirs.named_parameters(), strict=True
    ):
        np.testing.assert_allclose(
            mine.detach().numpy(), other.detach().numpy(), rtol=1e-5, atol=1e-7, err_msg=key
        )


def _warnings(fn) -> list[tuple[type, str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [(w.category, str(w.message)) for w in caught]


def _scheduler_first(lib):
    optimizer = _optimizer(lib)
    scheduler = lib.optim.lr_scheduler.StepLR(optimizer, 2)
    scheduler.step()
    optimizer.step()
    scheduler.step()


def _overridden_step(lib):
    optimizer = _optimizer(lib)
    scheduler = lib.optim.lr_scheduler.ExponentialLR(optimizer, 0.9)
    optimizer.step = lambda closure=None: None
    optimizer.step()
    scheduler.step()


def _get_lr_outside_step(lib):
    lib.optim.lr_scheduler.CosineAnnealingLR(_optimizer(lib), 10).get_lr()


def _epoch_argument(lib):
    optimizer = _optimizer(lib)
    scheduler = lib.optim.lr_scheduler.MultiStepLR(optimizer, [2])
    optimizer.step()
    scheduler.step(3)
    lib.optim.lr_scheduler.ReduceLROnPlateau(optimizer).step(1.0, epoch=4)


def _two_schedulers_one_optimizer(lib):
    """The optimizer's step is wrapped once; both schedulers see it called."""
    optimizer = _optimizer(lib)
    first = lib.optim.lr_scheduler.StepLR(optimizer, 2)
    second = lib.optim.lr_scheduler.ExponentialLR(optimizer, 0.9)
    optimizer.step()
    first.step()
    second.step()


@pytest.mark.parametrize(
    "fn",
    [
        _scheduler_first,
        _overridden_step,
        _get_lr_outside_step,
        _epoch_argument,
        _two_schedulers_one_optimizer,
    ],
)
def test_warnings_are_torch_s(fn) -> None:
    expected = _warnings(lambda: fn(torch))
    assert _warnings(lambda: fn(gradrpc)) == expected
    assert fn is _two_schedulers_one_optimizer or expected


def test_the_optimizer_step_wrapper_keeps_working() -> None:
    optimizer = _optimizer(gradrpc)
    glrs.StepLR(optimizer, 2)
    assert optimizer.step._wrapped_by_lr_sched and not hasattr(optimizer, "_opt_called")
    p = optimizer.param_groups[0]["params"][0]
    (p * 2).sum().backward()
    assert optimizer.step(lambda: 3.0) == 3.0 and optimizer._opt_called
    np.testing.assert_allclose(p.detach().numpy(), [-0.2, -0.2])


def _opt(lib):
    return _optimizer(lib)


ERRORS = {
    "not an optimizer": lambda L, lib: L.StepLR(object(), 3),
    "plateau not an optimizer": lambda L, lib: L.ReduceLROnPlateau([1]),
    "cyclic not an optimizer": lambda L, lib: L.CyclicLR("sgd", 0.1, 1.0),
    "one cycle not an optimizer": lambda L, lib: L.OneCycleLR(None, 0.1, 10),
    "missing initial_lr": lambda L, lib: L.StepLR(_opt(lib), 3, last_epoch=5),
    "lambdas count": lambda L, lib: L.LambdaLR(_opt(lib), [lambda e: 1.0]),
    "multiplicative not callable": lambda L, lib: L.MultiplicativeLR(_opt(lib), 0.9),
    "multiplicative list not callable": lambda L, lib: L.MultiplicativeLR(
        _opt(lib), [lambda e: 1.0, "x"]
    ),
    "constant factor": lambda L, lib: L.ConstantLR(_opt(lib), factor=1.5),
    "linear start": lambda L, lib: L.LinearLR(_opt(lib), start_factor=0),
    "linear end": lambda L, lib: L.LinearLR(_opt(lib), end_factor=-0.1),
    "sequential empty": lambda L, lib: L.SequentialLR(_opt(lib), [], []),
    "sequential milestones": lambda L, lib: _wrapped(L, lib, "sequential milestones"),
    "sequential plateau": lambda L, lib: _wrapped(L, lib, "sequential plateau"),
    "sequential other optimizer": lambda L, lib: _wrapped(L, lib, "sequential other"),
    "sequential not a scheduler": lambda L, lib: L.SequentialLR(_opt(lib), [3], []),
    "chained empty": lambda L, lib: L.ChainedScheduler([]),
    "chained plateau": lambda L, lib: _wrapped(L, lib, "chained plateau"),
    "chained other optimizer": lambda L, lib: _wrapped(L, lib, "chained other"),
    "plateau factor": lambda L, lib: L.ReduceLROnPlateau(_opt(lib), factor=1.0),
    "plateau mode": lambda L, lib: L.ReduceLROnPlateau(_opt(lib), mode="avg"),
    "plateau threshold mode": lambda L, lib: L.ReduceLROnPlateau(_opt(lib), threshold_mode="x"),
    "plateau min_lrs": lambda L, lib: L.ReduceLROnPlateau(_opt(lib), min_lr=[0.1]),
    "cyclic mode": lambda L, lib: L.CyclicLR(_opt(lib), 0.1, 1.0, mode="triangle"),
    "cyclic base_lr": lambda L, lib: L.CyclicLR(_opt(lib), [0.1], 1.0),
    "cyclic max_momentum": lambda L, lib: L.CyclicLR(_opt(lib), 0.1, 1.0, max_momentum=(1, 2, 3)),
    "warm restarts T_0": lambda L, lib: L.CosineAnnealingWarmRestarts(_opt(lib), 0),
    "warm restarts float T_0": lambda L, lib: L.CosineAnnealingWarmRestarts(_opt(lib), 2.0),
    "warm restarts T_mult": lambda L, lib: L.CosineAnnealingWarmRestarts(_opt(lib), 3, 0),
    "warm restarts eta_min": lambda L, lib: L.CosineAnnealingWarmRestarts(_opt(lib), 3, 1, "0"),
    "warm restarts epoch": lambda L, lib: L.CosineAnnealingWarmRestarts(_opt(lib), 3).step(-1),
    "one cycle no steps": lambda L, lib: L.OneCycleLR(_opt(lib), 0.1, epochs=3),
    "one cycle total_steps": lambda L, lib: L.OneCycleLR(_opt(lib), 0.1, 0),
    "one cycle epochs": lambda L, lib: L.OneCycleLR(_opt(lib), 0.1, epochs=0, steps_per_epoch=2),
    "one cycle steps_per_epoch": lambda L, lib: L.OneCycleLR(
        _opt(lib), 0.1, epochs=2, steps_per_epoch=1.5
    ),
    "one cycle pct_start": lambda L, lib: L.OneCycleLR(_opt(lib), 0.1, 10, pct_start=1.5),
    "one cycle int pct_start": lambda L, lib: L.OneCycleLR(_opt(lib), 0.1, 10, pct_start=1),
    "one cycle anneal": lambda L, lib: L.OneCycleLR(_opt(lib), 0.1, 10, anneal_strategy="exp"),
    "one cycle max_lr": lambda L, lib: L.OneCycleLR(_opt(lib), [0.1, 0.2, 0.3], 10),
    "one cycle past the end": lambda L, lib: _steps(L.OneCycleLR(_opt(lib), 0.1, 2), 3),
    "base get_lr": lambda L, lib: L.LRScheduler(_opt(lib)),
}


def _steps(scheduler, n: int) -> None:
    for _ in range(n):
        scheduler.step()


def _wrapped(L, lib, case: str):
    optimizer, other = _opt(lib), _opt(lib)
    first, second = L.ConstantLR(optimizer), L.ExponentialLR(optimizer, 0.9)
    elsewhere = L.StepLR(other, 2)
    plateau = L.ReduceLROnPlateau(optimizer)
    if case == "sequential milestones":
        return L.SequentialLR(optimizer, [first, second], [2, 4])
    if case == "sequential plateau":
        return L.SequentialLR(optimizer, [first, plateau], [2])
    if case == "sequential other":
        return L.SequentialLR(optimizer, [first, elsewhere], [2])
    if case == "chained plateau":
        return L.ChainedScheduler([first, plateau])
    return L.ChainedScheduler([first, second, elsewhere])


@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_torch_s(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = raised(lambda: ERRORS[name](torch.optim.lr_scheduler, torch))
        actual = raised(lambda: ERRORS[name](glrs, gradrpc))
    assert expected is not None
    assert actual == expected


def test_the_module_is_torch_s() -> None:
    assert gradrpc.optim.lr_scheduler is glrs
    assert sorted(glrs.__all__) == sorted(torch.optim.lr_scheduler.__all__)
    assert glrs.EPOCH_DEPRECATION_WARNING == torch.optim.lr_scheduler.EPOCH_DEPRECATION_WARNING
    for name in glrs.__all__:
        ours = inspect.signature(getattr(glrs, name)).parameters
        theirs = inspect.signature(getattr(torch.optim.lr_scheduler, name)).parameters
        assert [(p.name, p.kind, p.default) for p in ours.values()] == [
            (p.name, p.kind, p.default) for p in theirs.values()
        ], name
        assert issubclass(getattr(glrs, name), glrs.LRScheduler)
    assert math.isclose(inspect.signature(glrs.ConstantLR).parameters["factor"].default, 1 / 3)


def test_a_subclass_with_its_own_get_lr_works_as_in_torch() -> None:
    def make(L, o):
        class Halving(L.LRScheduler):
            def get_lr(self):
                return [base_lr / 2**self.last_epoch for base_lr in self.base_lrs]

        return Halving(o)

    (theirs, *_), (ours, *_) = _pair_run(make, "SGD", 10)
    _assert_traces_equal(theirs, ours)
