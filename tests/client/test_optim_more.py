"""`gradrpc.optim.Rprop`, `ASGD`, `Adafactor` and `LBFGS` against torch.optim 2.13:
parameters and state after every step over their options, in float32 and float64 (a loss
whose gradients both libraries compute exactly, so any difference is the optimizer's),
Rprop's and ASGD's bit for bit, Adafactor's within rounding (its norms sum in another order);
LBFGS's losses, evaluation counts, parameters and history; state_dict both ways (ours loaded
into torch's optimizer, torch's into ours) and the run resumed; a step the server refuses;
reprs; constructor errors with torch's type and wording at the line; and training loops."""

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
ADAFACTOR_CONFIGS = [
    {},
    {"lr": 0.1, "beta2_decay": -0.5, "eps": (1e-4, 1e-2), "d": 2.0},
    {"lr": 0.05, "weight_decay": 0.1, "maximize": True},
    {"beta2_decay": 0.0, "eps": (None, 0.5), "d": 1.0},  # beta2 0: the latest gradient only
]
# an Adafactor trajectory's tolerance per dtype: torch sums its norms in another order
ADAFACTOR_RTOL = {"float32": 2e-5, "float64": 1e-12}
IDS = [f"{name}{kwargs}" for name, kwargs in CONFIGS]
DTYPES = ["float32", "float64"]


def _start(dtype: str, shapes=((4, 3), (5,))):
    """Initial weights and the targets of the loss sum((w - c)^2) per library: its gradient
    2 (w - c) is exact in both."""
    rng = np.random.default_rng(7)
    values = [rng.standard_normal(shape).astype(dtype) for shape in shapes]
    return values, [rng.standard_normal(shape).astype(dtype) for shape in shapes]


def _params(lib, values):
    return [lib.tensor(v, requires_grad=True) for v in values]


def _step(lib, params, targets, optimizer) -> None:
    optimizer.zero_grad()
    loss = sum(((p - lib.tensor(t)) ** 2).sum() for p, t in zip(params, targets, strict=True))
    loss.backward()
    optimizer.step()


def _run(name: str, kwargs: dict, dtype: str, shapes=((4, 3), (5,))):
    values, targets = _start(dtype, shapes)
    runs = {}
    for lib in (torch, gradrpc):
        params = _params(lib, values)
        runs[lib] = params, getattr(lib.optim, name)(params, **kwargs)
    return runs, targets


def _assert_same_state(ours, theirs, rtol: float = 0.0) -> None:
    """The same state keys in the same order, each value of the same shape and dtype and equal
    (bit for bit unless `rtol`)."""
    mine, other = ours.state_dict(), theirs.state_dict()
    assert mine["param_groups"] == other["param_groups"]
    assert mine["state"].keys() == other["state"].keys()
    for index, state in other["state"].items():
        assert list(mine["state"][index]) == list(state)
        for key, value in state.items():
            got = mine["state"][index][key]
            assert str(got.dtype) == str(value.dtype), key
            assert tuple(got.shape) == tuple(value.shape), key
            _assert_close(got.numpy(), value.numpy(), rtol, key)


def _assert_same_params(ours, theirs, rtol: float = 0.0) -> None:
    for mine, other in zip(ours, theirs, strict=True):
        _assert_close(mine.detach().numpy(), other.detach().numpy(), rtol)


def _assert_close(actual: np.ndarray, expected: np.ndarray, rtol: float, what: str = "") -> None:
    """Equal, or within rtol of the tensor's largest element (an element that nearly cancels
    carries the rounding of its larger neighbours)."""
    scale = float(np.abs(expected).max()) if expected.size else 0.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


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


ADAFACTOR_SHAPES = ((4, 3), (2, 3, 5), (1, 6), (5,), ())  # factored from 2 dims on


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", ADAFACTOR_CONFIGS, ids=str)
def test_adafactor_steps_are_torch_within_rounding(kwargs: dict, dtype: str) -> None:
    """Matrices and a 3-d tensor factored (row_var, col_var), a vector and a 0-d tensor not
    (variance): parameters and state as torch's after every step, within rounding."""
    runs, targets = _run("Adafactor", kwargs, dtype, ADAFACTOR_SHAPES)
    rtol = ADAFACTOR_RTOL[dtype]
    for step in range(STEPS):
        for lib, (params, optimizer) in runs.items():
            _step(lib, params, targets, optimizer)
        _assert_same_params(runs[gradrpc][0], runs[torch][0], rtol)
        if step in (0, 1, STEPS - 1):
            _assert_same_state(runs[gradrpc][1], runs[torch][1], rtol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("source", ["own", "torch", "ours into torch"])
def test_adafactor_load_state_dict_resumes_as_torch_does(source: str, dtype: str) -> None:
    kwargs = ADAFACTOR_CONFIGS[1]
    runs, targets = _run("Adafactor", kwargs, dtype, ADAFACTOR_SHAPES)
    for _ in range(5):
        for lib, (params, optimizer) in runs.items():
            _step(lib, params, targets, optimizer)
    saved_ours, saved_theirs = runs[gradrpc][1].state_dict(), runs[torch][1].state_dict()
    resumed = {lib: lib.optim.Adafactor(runs[lib][0], lr=0.5) for lib in runs}
    resumed[gradrpc].load_state_dict(saved_theirs if source == "torch" else saved_ours)
    resumed[torch].load_state_dict(
        _as_torch(saved_ours) if source == "ours into torch" else saved_theirs
    )
    assert repr(resumed[gradrpc]) == repr(resumed[torch])
    rtol = ADAFACTOR_RTOL[dtype]
    _assert_same_state(resumed[gradrpc], resumed[torch], rtol)
    for _ in range(8):
        for lib in runs:
            _step(lib, runs[lib][0], targets, resumed[lib])
        _assert_same_params(runs[gradrpc][0], runs[torch][0], 2 * rtol)
    _assert_same_state(resumed[gradrpc], resumed[torch], 2 * rtol)


def test_adafactor_step_reads_nothing(session) -> None:
    """The norms the step needs are the server's: a step makes no round trip."""
    runs, targets = _run("Adafactor", {}, "float32", ADAFACTOR_SHAPES)
    params, optimizer = runs[gradrpc]
    session.flush()
    with no_rpc():
        _step(gradrpc, params, targets, optimizer)
        _step(gradrpc, params, targets, optimizer)
    for _ in range(2):
        _step(torch, runs[torch][0], targets, runs[torch][1])
    _assert_same_params(params, runs[torch][0], ADAFACTOR_RTOL["float32"])


@pytest.mark.parametrize(
    ("name", "kwargs"),
    CONFIGS + [("Adafactor", kwargs) for kwargs in ADAFACTOR_CONFIGS],
    ids=IDS + [f"Adafactor{kwargs}" for kwargs in ADAFACTOR_CONFIGS],
)
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
    """No state before the first step; then Rprop's step, prev, step_size, ASGD's step, eta,
    mu, ax and Adafactor's step, row_var, col_var (a matrix) or variance (a vector), the 0-d
    ones float32 (ASGD's eta the group's lr, as torch starts it)."""
    for name in ("Rprop", "ASGD", "Adafactor"):
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


def _refused_step(lib, params, optimizer) -> None:
    """A step whose backward fails: torch raises at backward(); gradrpc's server refuses the
    backward and the step queued after it, and the next read raises."""
    features = lib.tensor(np.ones(5, params[1].detach().numpy().dtype))
    loss = ((features * params[1]).sum() - 1.0) ** 2
    features.add_(1)  # modifies what mul saved for backward
    optimizer.zero_grad()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
        optimizer.step()
        features.sum().item()


@pytest.mark.parametrize("refused", [1, 3], ids=["first step", "third step"])
@pytest.mark.parametrize(("name", "kwargs"), [CONFIGS[1], CONFIGS[5]], ids=str)
def test_a_step_the_server_refuses_leaves_the_state_torch_has(name, kwargs, refused) -> None:
    """The state made for a refused first step is dropped; a later refused step puts the
    step count and ASGD's eta and mu back: the run goes on bit for bit as torch's."""
    runs, targets = _run(name, kwargs, "float32")
    for step in range(1, 7):
        for lib, (params, optimizer) in runs.items():
            if step == refused:
                _refused_step(lib, params, optimizer)
            else:
                _step(lib, params, targets, optimizer)
        _assert_same_state(runs[gradrpc][1], runs[torch][1])
    _assert_same_params(runs[gradrpc][0], runs[torch][0])


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
    lambda T: T.optim.Adafactor([T.zeros(2, requires_grad=True)], lr=-1),
    lambda T: T.optim.Adafactor([T.zeros(2, requires_grad=True)], lr=T.tensor([0.1, 0.2])),
    lambda T: T.optim.Adafactor([T.zeros(2, requires_grad=True)], beta2_decay=0.5),
    lambda T: T.optim.Adafactor([T.zeros(2, requires_grad=True)], eps=(-1e-3, 1e-3)),
    lambda T: T.optim.Adafactor([T.zeros(2, requires_grad=True)], eps=(None, -1.0)),
    lambda T: T.optim.Adafactor([T.zeros(2, requires_grad=True)], d=0.5),
    lambda T: T.optim.Adafactor([T.zeros(2, requires_grad=True)], weight_decay=-0.1),
    lambda T: T.optim.LBFGS([T.zeros(2, requires_grad=True)], lr=-1),
    lambda T: T.optim.LBFGS([{"params": [T.zeros(2, requires_grad=True)]}, {"params": []}]),
    lambda T: T.optim.LBFGS(
        [{"params": [T.zeros(2, requires_grad=True)]}, {"params": [T.ones(1, requires_grad=True)]}]
    ),
]


@pytest.mark.parametrize("index", range(len(ERRORS)))
def test_constructor_errors_are_torch_at_the_line(index: int) -> None:
    check_error_at_line(ERRORS[index])


@pytest.mark.parametrize(
    "make",
    [
        lambda T, params: T.optim.Rprop(params, lr=0.01),
        lambda T, params: T.optim.ASGD(params, lr=0.05, t0=2),
        lambda T, params: T.optim.Adafactor(params, lr=0.05),
    ],
    ids=["Rprop", "ASGD", "Adafactor"],
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


LBFGS_CONFIGS = [
    {},
    {"line_search_fn": "strong_wolfe"},
    {"lr": 0.5, "max_iter": 5, "history_size": 3},
    {"lr": 0.3, "max_iter": 7, "history_size": 2, "line_search_fn": "strong_wolfe"},
    {"max_iter": 50, "tolerance_grad": 1e-3, "tolerance_change": 1e-4},  # stops early
]
# L-BFGS amplifies the last bits of its dot products and sums (torch's and ours add in other
# orders): float64 runs agree far past these; float32 ones on a well-conditioned problem and
# short of convergence, where its stopping tests compare differences of a few ulps (there a
# float32 run may stop an iteration earlier or later than torch's). Its strong Wolfe search
# is sensitive too: torch's own float32 run moves by 3e-4 when the loss is scaled by 1 + 1e-7
LBFGS_RTOL = {"float32": 1e-3, "float64": 1e-9}
LBFGS_FLOAT32_MAX_ITER = 4


def _lbfgs_runs(kwargs: dict, dtype: str, steps: int = 3):
    """`steps` LBFGS steps per library on sum((tanh(x w + b) - y)^2): the losses each step
    returns, the parameters and the optimizers."""
    rng = np.random.default_rng(1)
    scale = 0.3 if dtype == "float32" else 1.0  # float32: nearly quadratic, well conditioned
    values = [(rng.standard_normal(s) * scale).astype(dtype) for s in [(3, 4), (4,)]]
    x, y = (rng.standard_normal(s).astype(dtype) * scale for s in [(6, 3), (6, 4)])
    runs = {}
    for lib in (torch, gradrpc):
        params = _params(lib, values)
        features, targets = lib.tensor(x), lib.tensor(y)
        optimizer = lib.optim.LBFGS(params, **kwargs)

        def closure(lib=lib, params=params, features=features, targets=targets, o=optimizer):
            o.zero_grad()
            loss = ((features @ params[0] + params[1]).tanh() - targets).pow(2).sum()
            loss.backward()
            return loss

        losses = [optimizer.step(closure).item() for _ in range(steps)]
        runs[lib] = params, optimizer, losses
    return runs


@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", LBFGS_CONFIGS, ids=str)
def test_lbfgs_steps_as_torch(kwargs: dict, dtype: str) -> None:
    """The same numbers of closure evaluations and iterations, the same losses and parameters
    (within LBFGS_RTOL) and the same state keys and group settings."""
    if dtype == "float32":
        kwargs = {**kwargs, "max_iter": LBFGS_FLOAT32_MAX_ITER}
    runs = _lbfgs_runs(kwargs, dtype)
    (ours, mine, our_losses), (theirs, other, their_losses) = runs[gradrpc], runs[torch]
    rtol = LBFGS_RTOL[dtype]
    np.testing.assert_allclose(our_losses, their_losses, rtol=rtol)
    _assert_same_params(ours, theirs, rtol)
    for key in ("func_evals", "n_iter"):
        assert mine.state[ours[0]][key] == other.state[theirs[0]][key], key
    saved, expected = mine.state_dict(), other.state_dict()
    assert saved["param_groups"] == expected["param_groups"]
    assert list(saved["state"][0]) == list(expected["state"][0])
    for key in ("d", "prev_flat_grad"):
        _assert_close(saved["state"][0][key].numpy(), expected["state"][0][key].numpy(), rtol, key)
    assert len(saved["state"][0]["old_dirs"]) == len(expected["state"][0]["old_dirs"])
    assert repr(mine) == repr(other)


def _lbfgs_as_torch(value):
    """A gradrpc LBFGS state value with torch tensors for its tensors, lists element by
    element."""
    if isinstance(value, list):
        return [_lbfgs_as_torch(item) for item in value]
    if isinstance(value, gradrpc.Tensor):
        return torch.tensor(value.numpy())
    return value


@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad")
@pytest.mark.parametrize("source", ["torch", "ours into torch"])
def test_lbfgs_load_state_dict_resumes_as_torch_does(source: str) -> None:
    """Its history (lists of tensors, `al` with Nones) loads both ways and the next step
    continues it: the same iterations and losses as torch's."""
    kwargs = {"max_iter": 4, "history_size": 3}
    runs = _lbfgs_runs(kwargs, "float64", steps=2)
    saved_ours, saved_theirs = runs[gradrpc][1].state_dict(), runs[torch][1].state_dict()
    if source == "ours into torch":
        saved_theirs = {
            "state": {
                i: {k: _lbfgs_as_torch(v) for k, v in s.items()}
                for i, s in saved_ours["state"].items()
            },
            "param_groups": saved_ours["param_groups"],
        }
    losses = {}
    for lib, saved in (
        (gradrpc, saved_theirs if source == "torch" else saved_ours),
        (torch, saved_theirs),
    ):
        params = runs[lib][0]
        resumed = lib.optim.LBFGS(params, **kwargs)
        resumed.load_state_dict(saved)
        first = runs[lib][1].state[params[0]]
        assert resumed.state[params[0]]["n_iter"] == first["n_iter"]
        features = lib.tensor(np.ones((6, 3)))

        def closure(lib=lib, params=params, features=features, o=resumed):
            o.zero_grad()
            loss = ((features @ params[0] + params[1]).tanh() - 0.5).pow(2).sum()
            loss.backward()
            return loss

        losses[lib] = [resumed.step(closure).item() for _ in range(2)]
        losses[lib].append(resumed.state[params[0]]["n_iter"])
    np.testing.assert_allclose(losses[gradrpc], losses[torch], rtol=1e-9)
    _assert_same_params(runs[gradrpc][0], runs[torch][0], 1e-9)
