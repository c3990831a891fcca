"""torch.set_default_dtype, get_default_dtype and set_default_tensor_type against real torch:
what the default float dtype changes (factories, promotion, layers, printing, optimizer
state), its errors, and its order against the operations queued around it."""

from __future__ import annotations

import warnings

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import assert_trains_alike, check_same, train_alike


@pytest.fixture(autouse=True)
def _float32_after(session):
    """Every test leaves both libraries' default at float32, whatever happens in it."""
    yield
    torch.set_default_dtype(torch.float32)
    gradrpc.set_default_dtype(gradrpc.float32)
    session.flush()


def _ints(T):
    return T.tensor([1, 2, 3])


DEFAULT_DTYPE_CASES = {
    "get_default_dtype": lambda T: T.get_default_dtype(),
    "tensor of floats": lambda T: T.tensor([1.5, 2.0]),
    "tensor of a float": lambda T: T.tensor(1.5),
    "tensor of ints": lambda T: T.tensor([1, 2]),
    "as_tensor": lambda T: T.as_tensor([0.25]),
    "legacy Tensor": lambda T: T.Tensor([1, 2]),
    "legacy Tensor of a size": lambda T: T.Tensor(2).dtype,
    "zeros": lambda T: T.zeros(2),
    "ones": lambda T: T.ones(2, 3),
    "empty": lambda T: T.empty(2).dtype,
    "full of a float": lambda T: T.full((2,), 1.5),
    "full of an int": lambda T: T.full((2,), 1),
    "eye": lambda T: T.eye(2),
    "linspace": lambda T: T.linspace(0, 1, 5),
    "logspace": lambda T: T.logspace(0, 1, 3),
    "arange of floats": lambda T: T.arange(0.5, 3),
    "arange of ints": lambda T: T.arange(3),
    "rand": lambda T: T.rand(2).dtype,
    "randn": lambda T: T.randn(2).dtype,
    "randint": lambda T: T.randint(0, 3, (2,)).dtype,
    "new_zeros": lambda T: T.zeros(2).new_zeros(2),
    "float32 new_tensor": lambda T: T.zeros(2, dtype=T.float32).new_tensor([1.5]),
    "int / int": lambda T: _ints(T) / _ints(T),
    "int * 2.5": lambda T: _ints(T) * 2.5,
    "int / 3": lambda T: T.tensor(2) / 3,
    "true_divide": lambda T: T.true_divide(_ints(T), 2),
    "sqrt of ints": lambda T: T.sqrt(_ints(T)),
    "exp of ints": lambda T: T.exp(_ints(T)),
    "int ** 0.5": lambda T: _ints(T) ** 0.5,
    "atan2 of ints": lambda T: T.atan2(_ints(T), _ints(T)),
    "sigmoid of ints": lambda T: T.sigmoid(_ints(T)),
    "bool + 0.5": lambda T: T.tensor(True) + 0.5,
    "bools * 1.5": lambda T: T.tensor([True, False]) * 1.5,
    "where with a float": lambda T: T.where(_ints(T) > 1, _ints(T), 0.5),
    "clamp with a float": lambda T: T.clamp(_ints(T), 0.5),
    "float32 * 2.5": lambda T: T.tensor([1.0], dtype=T.float32) * 2.5,
    "float32 + 0-d default": lambda T: T.tensor([1.0], dtype=T.float32) + T.tensor(2.0),
    "float64 + 1e300": lambda T: T.zeros(2, dtype=T.float64) + 1e300,
    "result_type": lambda T: T.result_type(_ints(T), 2.5),
    "promote_types": lambda T: T.promote_types(T.int64, T.float32),
    "sum of ints": lambda T: _ints(T).sum(),
    "prod of ints": lambda T: _ints(T).prod(),
    "sum of floats": lambda T: T.tensor([1.0, 2.0]).sum(),
    "mean of ints": lambda T: _ints(T).mean(),
    "mean of ints as float64": lambda T: _ints(T).mean(dtype=T.float64),
    "float()": lambda T: _ints(T).float(),
    "logsumexp of ints": lambda T: T.logsumexp(_ints(T), 0),
    "isclose of ints": lambda T: T.isclose(
        T.tensor([16777218]), T.tensor([16777217]), rtol=1 / 16777217, atol=0
    ),
    "finfo": lambda T: T.finfo().eps,
    "repr of default floats": lambda T: repr(T.tensor([1.5])),
    "repr of float32": lambda T: repr(T.tensor([1.5], dtype=T.float32)),
    "repr of empty": lambda T: repr(T.zeros(0)),
    "repr of empty float32": lambda T: repr(T.zeros(0, dtype=T.float32)),
    "type": lambda T: T.tensor([0.5]).type(),
    "Linear": lambda T: [p.dtype for p in T.nn.Linear(2, 3).parameters()],
    "Conv2d": lambda T: [p.dtype for p in T.nn.Conv2d(1, 1, 2).parameters()],
    "BatchNorm1d": lambda T: [b.dtype for b in T.nn.BatchNorm1d(2).buffers()],
    "Embedding": lambda T: T.nn.Embedding(3, 2).weight.dtype,
    "LayerNorm": lambda T: T.nn.LayerNorm(2).weight.dtype,
}


@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("case", DEFAULT_DTYPE_CASES)
def test_what_the_default_dtype_decides(case, default):
    def run(T):
        T.set_default_dtype(getattr(T, default))
        return DEFAULT_DTYPE_CASES[case](T)

    check_same(run, rtol=1e-6 if default == "float32" else 1e-13, atol=0)


@pytest.mark.parametrize("name", ["Adam", "NAdam", "ASGD"])
def test_optimizer_scalar_state_takes_the_default_dtype(name):
    """torch's optimizers keep step (and NAdam's mu_product, ASGD's eta and mu) in float64
    when that is the default."""

    def run(T):
        T.set_default_dtype(T.float64)
        p = T.nn.Parameter(T.tensor([1.0, -2.0]))
        optimizer = getattr(T.optim, name)([p], lr=0.1)
        for _ in range(2):
            p.grad = T.tensor([0.5, 0.25])
            optimizer.step()
        return {key: value for key, value in optimizer.state[p].items()}, p

    check_same(run, rtol=1e-12, atol=0)


@pytest.mark.parametrize("make_optimizer", ["SGD", "Adam"])
def test_a_float64_linear_trains_as_torch(make_optimizer):
    torch.set_default_dtype(torch.float64)
    gradrpc.set_default_dtype(gradrpc.float64)
    rows = np.random.default_rng(0).standard_normal((8, 3)).tolist()
    runs = train_alike(
        lambda nn: nn.Linear(3, 2),
        lambda T, params: getattr(T.optim, make_optimizer)(params, lr=0.05),
        lambda T: T.nn.MSELoss(),
        lambda T: (T.tensor(rows), T.tensor(rows)[:, :2] * 0.5 + 1 / 3),
        steps=5,
    )
    assert_trains_alike(runs, rtol=1e-13)
    model, _, x = runs[gradrpc]
    assert {p.dtype for p in model.parameters()} == {gradrpc.float64}
    assert x.dtype == gradrpc.float64


@pytest.mark.parametrize(
    "value",
    [
        lambda T: T.int64,
        lambda T: T.bool,
        lambda T: "float64",
        lambda T: None,
        lambda T: float,
    ],
)
def test_set_default_dtype_refuses_what_torch_refuses(value):
    check_same(lambda T: T.set_default_dtype(value(T)))


@pytest.mark.parametrize(
    "name", ["torch.DoubleTensor", "torch.FloatTensor", "torch.LongTensor", "torch.Nope", 3]
)
def test_set_default_tensor_type(name):
    def run(T):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            T.set_default_tensor_type(name)
        return T.get_default_dtype(), T.tensor([0.1])

    check_same(run, rtol=0, atol=0)


def test_set_default_tensor_type_warns_as_torch(monkeypatch):
    monkeypatch.setattr(gradrpc, "_warned_tensor_type", False)  # as in a new process
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gradrpc.set_default_tensor_type("torch.DoubleTensor")
        gradrpc.set_default_tensor_type("torch.FloatTensor")
    expected = (
        "torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
        "torch.set_default_dtype() and torch.set_default_device() as alternatives."
    )
    assert [(w.category, str(w.message)) for w in caught] == [(UserWarning, expected)]


def test_changes_keep_their_place_among_queued_operations(session):
    """Results queued before and after each change, read in one round trip, have the dtype
    (and values) they had when queued: the server runs each with the client's default."""
    ints = gradrpc.tensor([1, 2, 3])
    results = []
    for default in ("float64", "float32", "float64"):
        gradrpc.set_default_dtype(getattr(gradrpc, default))
        results.append(ints / 3)
    before = session.rpc_count
    values = session.flush(tuple(r._handle for r in results))
    assert session.rpc_count == before + 1
    assert [v.dtype.name for v in values] == ["float64", "float32", "float64"]
    assert [r.dtype for r in results] == [gradrpc.float64, gradrpc.float32, gradrpc.float64]
    thirds = torch.tensor([1, 2, 3]) / torch.tensor(3.0, dtype=torch.float64)
    np.testing.assert_array_equal(values[0], thirds.numpy())


def test_a_new_session_takes_the_process_default(session):
    gradrpc.set_default_dtype(gradrpc.float64)
    with gradrpc.Session(session.address) as other:
        ints = other.tensor([1, 2])
        assert (ints / 2).numpy().dtype == np.float64
        assert (ints * 0.1).numpy().tolist() == [0.1, 0.2]


def test_a_failed_batch_does_not_lose_the_change(session):
    """A change queued behind an operation that fails never runs: it is sent again."""
    ints = gradrpc.tensor([5, 7])
    gradrpc.remainder(ints, gradrpc.tensor([3, 0]))  # fails on the server
    gradrpc.set_default_dtype(gradrpc.float64)
    skipped = ints / 2  # queued behind the change, behind the failure
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        session.flush()
    assert skipped.dtype == gradrpc.float64
    assert (ints / 2).numpy().dtype == np.float64
