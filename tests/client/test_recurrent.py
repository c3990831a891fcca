"""nn.RNN, nn.LSTM, nn.GRU and their cells against real torch: with torch's initial weights
loaded, the same outputs, final states, grad_fn names and gradients (of every parameter, the
input and the initial state) over layers, directions, layouts, bias, unbatched inputs, given
or absent initial states and both float dtypes; torch's parameter names, shapes and
initialization bounds, reprs, errors and warning; and a training loop that follows torch's."""

from __future__ import annotations

import contextlib
import math
import warnings

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import assert_trains_alike, check_error_at_line, no_rpc, train_alike

TOLERANCE = {"float32": {"rtol": 2e-5, "atol": 2e-6}, "float64": {"rtol": 1e-10, "atol": 1e-12}}
SEQUENCE, BATCH, INPUT, HIDDEN = 5, 3, 4, 6

# torch's grad_fn where composition gives another: RNN's and GRU's batch_first output is an
# in-place transpose_ there (TransposeBackward1), and a float32 LSTM's single-direction
# sequence-first output comes from oneDNN's fused layer (MkldnnRnnLayerBackward0).
COMPOSED_GRAD_FN = {"TransposeBackward1": "TransposeBackward0"}


def _composed_name(node, mode: str) -> str | None:
    if node is None:
        return None
    name = COMPOSED_GRAD_FN.get(node.name(), node.name())
    return "StackBackward0" if name == "MkldnnRnnLayerBackward0" and mode == "LSTM" else name


def _read(*tensors) -> list[np.ndarray]:
    """The values of gradrpc tensors, in one round trip."""
    session = gradrpc.default_session()
    return session.flush(fetches=tuple(t._handle for t in tensors))


def _random(shape, dtype: str, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _pair(T, torch_module_class, args: tuple, kwargs: dict, dtype: str):
    """torch's module and gradrpc's with torch's weights loaded."""
    theirs = torch_module_class(*args, **kwargs).to(getattr(torch, dtype))
    ours = getattr(gradrpc.nn, torch_module_class.__name__)(
        *args, **kwargs, dtype=getattr(gradrpc, dtype)
    )
    result = ours.load_state_dict(theirs.state_dict())
    assert not result.missing_keys and not result.unexpected_keys
    return theirs, ours


def _compare(theirs_tensors, ours_tensors, dtype: str, where: str) -> None:
    for i, (expected, actual) in enumerate(zip(theirs_tensors, _read(*ours_tensors), strict=True)):
        expected = expected.detach().numpy()
        assert actual.dtype == expected.dtype and actual.shape == expected.shape, (where, i)
        np.testing.assert_allclose(actual, expected, **TOLERANCE[dtype], err_msg=f"{where}[{i}]")


# (mode, constructor keyword arguments, unbatched, initial state given)
CONFIGURATIONS = [
    ("RNN", {}, False, False),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}, False, True),
    ("RNN", {"bidirectional": True, "batch_first": True}, False, True),
    ("RNN", {"bias": False, "num_layers": 2, "bidirectional": True}, True, False),
    ("RNN", {"nonlinearity": "relu", "batch_first": True}, True, True),
    ("GRU", {}, False, True),
    ("GRU", {"num_layers": 2, "batch_first": True}, False, False),
    ("GRU", {"bidirectional": True, "num_layers": 2}, False, True),
    ("GRU", {"bias": False, "batch_first": True}, True, False),
    ("GRU", {"bidirectional": True}, True, True),
    ("LSTM", {}, False, False),
    ("LSTM", {"batch_first": True}, False, True),
    ("LSTM", {"num_layers": 2, "bidirectional": True}, False, True),
    ("LSTM", {"num_layers": 2, "bidirectional": True, "batch_first": True}, False, False),
    ("LSTM", {"bias": False, "num_layers": 2}, True, True),
    ("LSTM", {"bidirectional": True, "batch_first": True}, True, False),
    ("LSTM", {"proj_size": 2, "num_layers": 2, "bidirectional": True}, False, True),
    ("LSTM", {"proj_size": 3, "batch_first": True}, True, False),
]


def _configuration_id(configuration) -> str:
    mode, kwargs, unbatched, given = configuration
    words = [mode, *(f"{k}={v}" for k, v in kwargs.items())]
    return " ".join([*words, "unbatched" if unbatched else "batched", "h0" if given else "no h0"])


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("configuration", CONFIGURATIONS, ids=_configuration_id)
def test_layer_matches_torch(session, configuration, dtype):
    mode, kwargs, unbatched, given = configuration
    theirs, ours = _pair(torch, getattr(torch.nn, mode), (INPUT, HIDDEN), kwargs, dtype)
    batch_first = kwargs.get("batch_first", False)
    directions = 2 if kwargs.get("bidirectional") else 1
    states = kwargs.get("num_layers", 1) * directions
    shape = (BATCH, SEQUENCE, INPUT) if batch_first else (SEQUENCE, BATCH, INPUT)
    x = _random(shape[1:] if unbatched else shape, dtype, 0)
    out_size = kwargs.get("proj_size") or HIDDEN
    h_shape = (states, out_size) if unbatched else (states, BATCH, out_size)
    c_shape = (states, HIDDEN) if unbatched else (states, BATCH, HIDDEN)
    initial = [_random(h_shape, dtype, 1)] + (
        [_random(c_shape, dtype, 2)] if mode == "LSTM" else []
    )

    results = {}
    for T, model in ((torch, theirs), (gradrpc, ours)):
        x_t = T.tensor(x, requires_grad=True)
        initial_t = [T.tensor(v, requires_grad=True) for v in initial]
        hx = None if not given else (tuple(initial_t) if mode == "LSTM" else initial_t[0])
        with no_rpc() if T is gradrpc else contextlib.nullcontext():
            output, hidden = model(x_t, hx)
        finals = list(hidden) if mode == "LSTM" else [hidden]
        # weights on the output and states make every gradient element distinct
        loss = (output * T.tensor(_random(tuple(output.shape), dtype, 3))).sum()
        for i, final in enumerate(finals):
            loss = loss + (final * T.tensor(_random(tuple(final.shape), dtype, 4 + i))).sum()
        loss.backward()
        gradients = [p.grad for _, p in model.named_parameters()] + [x_t.grad]
        gradients += [v.grad for v in initial_t] if given else []
        results[T] = output, finals, gradients

    (t_output, t_finals, t_grads), (g_output, g_finals, g_grads) = results[torch], results[gradrpc]
    assert g_output.grad_fn.name() == _composed_name(t_output.grad_fn, mode)
    assert [f.grad_fn.name() for f in g_finals] == [f.grad_fn.name() for f in t_finals]
    _compare([t_output, *t_finals], [g_output, *g_finals], dtype, "outputs")
    _compare(t_grads, g_grads, dtype, "gradients")


# (cell, constructor keyword arguments)
CELLS = [
    ("RNNCell", {}),
    ("RNNCell", {"nonlinearity": "relu"}),
    ("RNNCell", {"bias": False}),
    ("LSTMCell", {}),
    ("LSTMCell", {"bias": False}),
    ("GRUCell", {}),
    ("GRUCell", {"bias": False}),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("given", [False, True], ids=["no hx", "hx"])
@pytest.mark.parametrize("unbatched", [False, True], ids=["batched", "unbatched"])
@pytest.mark.parametrize(
    "cell", CELLS, ids=[" ".join([c, *(f"{k}={v}" for k, v in kw.items())]) for c, kw in CELLS]
)
def test_cell_matches_torch(session, cell, unbatched, given, dtype):
    name, kwargs = cell
    theirs, ours = _pair(torch, getattr(torch.nn, name), (INPUT, HIDDEN), kwargs, dtype)
    x = _random((INPUT,) if unbatched else (BATCH, INPUT), dtype, 0)
    state_shape = (HIDDEN,) if unbatched else (BATCH, HIDDEN)
    states = [_random(state_shape, dtype, 1 + i) for i in range(2 if name == "LSTMCell" else 1)]

    results = {}
    for T, model in ((torch, theirs), (gradrpc, ours)):
        x_t = T.tensor(x, requires_grad=True)
        states_t = [T.tensor(v, requires_grad=True) for v in states]
        hx = None if not given else (tuple(states_t) if name == "LSTMCell" else states_t[0])
        out = model(x_t, hx)
        outs = list(out) if name == "LSTMCell" else [out]
        loss = sum(
            (o * T.tensor(_random(state_shape, dtype, 5 + i))).sum() for i, o in enumerate(outs)
        )
        loss.backward()
        gradients = [p.grad for _, p in model.named_parameters()] + [x_t.grad]
        gradients += [v.grad for v in states_t] if given else []
        results[T] = outs, gradients

    (t_outs, t_grads), (g_outs, g_grads) = results[torch], results[gradrpc]
    assert [o.grad_fn.name() for o in g_outs] == [o.grad_fn.name() for o in t_outs]
    _compare(t_outs, g_outs, dtype, "outputs")
    _compare(t_grads, g_grads, dtype, "gradients")


def test_a_sequence_stepped_through_cells_is_the_layer(session):
    """The cells, stepped by hand with a layer's weights, give the layer's output."""
    layer = gradrpc.nn.LSTM(INPUT, HIDDEN)
    cell = gradrpc.nn.LSTMCell(INPUT, HIDDEN)
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = gradrpc.randn(SEQUENCE, BATCH, INPUT)
    output, (h_n, c_n) = layer(x)
    h = c = gradrpc.zeros(BATCH, HIDDEN)
    steps = []
    for t in range(SEQUENCE):
        h, c = cell(x[t], (h, c))
        steps.append(h)
    expected = _read(gradrpc.stack(steps), h, c)
    actual = _read(output, h_n[0], c_n[0])
    for e, a in zip(expected, actual, strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("mode", ["RNN", "GRU", "LSTM"])
def test_dropout_between_layers_while_training(session, mode):
    """dropout=1 zeroes the first layer's output while training (so torch's results are
    deterministic: the second layer sees zeros) and nothing in eval mode."""
    kwargs = {"num_layers": 2, "dropout": 1.0}
    theirs, ours = _pair(torch, getattr(torch.nn, mode), (INPUT, HIDDEN), kwargs, "float64")
    x = _random((SEQUENCE, BATCH, INPUT), "float64", 0)
    for training in (True, False):
        theirs.train(training)
        ours.train(training)
        t_output, t_hidden = theirs(torch.tensor(x))
        g_output, g_hidden = ours(gradrpc.tensor(x))
        t_finals = list(t_hidden) if mode == "LSTM" else [t_hidden]
        g_finals = list(g_hidden) if mode == "LSTM" else [g_hidden]
        _compare([t_output, *t_finals], [g_output, *g_finals], "float64", f"training={training}")


def test_dropout_draws_while_training(session):
    """With 0 < dropout < 1 the second layer's input is masked (the draws are gradrpc's):
    training differs from eval and from another draw."""
    gradrpc.manual_seed(0)
    model = gradrpc.nn.GRU(INPUT, HIDDEN, num_layers=2, dropout=0.5)
    x = gradrpc.randn(SEQUENCE, BATCH, INPUT)
    first, second = model(x)[0], model(x)[0]
    evaluated = model.eval()(x)[0]
    first, second, evaluated = _read(first, second, evaluated)
    assert not np.allclose(first, evaluated) and not np.allclose(first, second)


def test_dropout_with_one_layer_warns_as_torch(session):
    with pytest.warns(UserWarning) as theirs:
        torch.nn.LSTM(INPUT, HIDDEN, dropout=0.5)
    with pytest.warns(UserWarning) as ours:
        gradrpc.nn.LSTM(INPUT, HIDDEN, dropout=0.5)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradrpc.nn.LSTM(INPUT, HIDDEN, num_layers=2, dropout=0.5)


@pytest.mark.parametrize(
    "build",
    [
        lambda nn: nn.LSTM(INPUT, HIDDEN, num_layers=2, bidirectional=True),
        lambda nn: nn.LSTM(INPUT, HIDDEN, num_layers=2, proj_size=3, bidirectional=True),
        lambda nn: nn.GRU(INPUT, HIDDEN, bias=False, num_layers=2),
        lambda nn: nn.RNN(INPUT, HIDDEN, 3, "relu"),
        lambda nn: nn.LSTMCell(INPUT, HIDDEN),
        lambda nn: nn.GRUCell(INPUT, HIDDEN, bias=False),
        lambda nn: nn.RNNCell(INPUT, HIDDEN),
    ],
    ids=["lstm", "lstm proj", "gru", "rnn", "lstm cell", "gru cell", "rnn cell"],
)
def test_parameters_as_torch(session, build):
    """Names, shapes and order as torch's; every parameter U(-1/√hidden, 1/√hidden)."""
    theirs, ours = build(torch.nn), build(gradrpc.nn)
    expected = [(k, tuple(p.shape)) for k, p in theirs.named_parameters()]
    assert [(k, tuple(p.shape)) for k, p in ours.named_parameters()] == expected
    assert list(ours.state_dict()) == list(theirs.state_dict())
    if hasattr(theirs, "all_weights"):
        names = [[tuple(p.shape) for p in weights] for weights in theirs.all_weights]
        assert [[tuple(p.shape) for p in weights] for weights in ours.all_weights] == names
    bound = 1 / math.sqrt(HIDDEN)
    values = np.concatenate([v.ravel() for v in _read(*ours.parameters())])
    assert values.min() >= -bound and values.max() <= bound
    assert values.min() < -0.8 * bound and values.max() > 0.8 * bound


def test_dtype_conversion_and_flatten_parameters(session):
    theirs, ours = _pair(torch, torch.nn.GRU, (INPUT, HIDDEN), {"num_layers": 2}, "float32")
    theirs.double().flatten_parameters()
    ours.double().flatten_parameters()
    x = _random((SEQUENCE, BATCH, INPUT), "float64", 0)
    t_output, t_hidden = theirs(torch.tensor(x))
    g_output, g_hidden = ours(gradrpc.tensor(x))
    _compare([t_output, t_hidden], [g_output, g_hidden], "float64", "double")


REPRS = [
    lambda nn: nn.LSTM(10, 20, num_layers=2, batch_first=True),
    lambda nn: nn.LSTM(3, 4, proj_size=2),
    lambda nn: nn.RNN(3, 4, nonlinearity="relu", dropout=0.2, num_layers=2, bias=False),
    lambda nn: nn.RNN(3, 4, bidirectional=True),
    lambda nn: nn.GRU(3, 4),
    lambda nn: nn.GRU(3, 4, 2, True, True, 0.5, True),
    lambda nn: nn.LSTMCell(3, 4),
    lambda nn: nn.RNNCell(3, 4, bias=False, nonlinearity="relu"),
    lambda nn: nn.GRUCell(3, 4, bias=False),
    lambda nn: nn.Sequential(nn.LSTM(3, 4), nn.Linear(4, 2)),
]


@pytest.mark.parametrize("build", REPRS)
def test_repr_as_torch(session, build):
    assert repr(build(gradrpc.nn)) == repr(build(torch.nn))


def _x(T, *shape, dtype=None):
    return T.zeros(*shape, dtype=dtype)


ERRORS = {
    "input size": lambda T: T.nn.LSTM(4, 4)(_x(T, 5, 2, 3)),
    "input size batch_first": lambda T: T.nn.GRU(4, 4, batch_first=True)(_x(T, 2, 5, 3)),
    "LSTM 4-D input": lambda T: T.nn.LSTM(3, 4)(_x(T, 1, 2, 3, 3)),
    "GRU 1-D input": lambda T: T.nn.GRU(3, 4)(_x(T, 3)),
    "RNN 4-D input": lambda T: T.nn.RNN(3, 4)(_x(T, 1, 2, 3, 3)),
    "input dtype": lambda T: T.nn.RNN(3, 4)(_x(T, 5, 2, 3, dtype=T.float64)),
    "LSTM hidden size": lambda T: T.nn.LSTM(3, 4)(_x(T, 5, 2, 3), (_x(T, 1, 3, 4), _x(T, 1, 2, 4))),
    "LSTM cell size": lambda T: T.nn.LSTM(3, 4)(_x(T, 5, 2, 3), (_x(T, 1, 2, 4), _x(T, 1, 2, 3))),
    "LSTM proj hidden size": lambda T: T.nn.LSTM(3, 4, proj_size=2)(
        _x(T, 5, 2, 3), (_x(T, 1, 2, 4), _x(T, 1, 2, 4))
    ),
    "LSTM batched 2-D hx": lambda T: T.nn.LSTM(3, 4)(_x(T, 5, 2, 3), (_x(T, 2, 4), _x(T, 1, 2, 4))),
    "LSTM unbatched 3-D hx": lambda T: T.nn.LSTM(3, 4)(_x(T, 5, 3), (_x(T, 1, 1, 4), _x(T, 1, 4))),
    "GRU hidden size": lambda T: T.nn.GRU(3, 4, num_layers=2)(_x(T, 5, 2, 3), _x(T, 1, 2, 4)),
    "RNN bidirectional hidden size": lambda T: T.nn.RNN(3, 4, bidirectional=True)(
        _x(T, 5, 2, 3), _x(T, 1, 2, 4)
    ),
    "GRU batched 2-D hx": lambda T: T.nn.GRU(3, 4)(_x(T, 5, 2, 3), _x(T, 2, 4)),
    "RNN unbatched 3-D hx": lambda T: T.nn.RNN(3, 4)(_x(T, 5, 3), _x(T, 1, 1, 4)),
    "unknown nonlinearity": lambda T: T.nn.RNN(3, 4, nonlinearity="sigmoid"),
    "proj_size for GRU": lambda T: T.nn.GRU(3, 4, proj_size=2),
    "proj_size for RNN": lambda T: T.nn.RNN(3, 4, proj_size=2),
    "proj_size too large": lambda T: T.nn.LSTM(3, 4, proj_size=4),
    "negative proj_size": lambda T: T.nn.LSTM(3, 4, proj_size=-1),
    "dropout out of range": lambda T: T.nn.LSTM(3, 4, dropout=1.5),
    "dropout a bool": lambda T: T.nn.GRU(3, 4, dropout=True),
    "zero hidden_size": lambda T: T.nn.LSTM(3, 0),
    "zero input_size": lambda T: T.nn.RNN(0, 4),
    "zero layers": lambda T: T.nn.LSTM(3, 4, num_layers=0),
    "float input_size": lambda T: T.nn.LSTM(3.0, 4),
    "float hidden_size": lambda T: T.nn.GRU(3, 4.0),
    "int bias": lambda T: T.nn.LSTM(3, 4, bias=1),
    "int batch_first": lambda T: T.nn.RNN(3, 4, batch_first=1),
    "cell 3-D input": lambda T: T.nn.LSTMCell(3, 4)(_x(T, 1, 2, 3)),
    "cell 3-D hidden": lambda T: T.nn.GRUCell(3, 4)(_x(T, 2, 3), _x(T, 1, 2, 4)),
    "cell 3-D hx[1]": lambda T: T.nn.LSTMCell(3, 4)(_x(T, 2, 3), (_x(T, 2, 4), _x(T, 1, 2, 4))),
    "cell input size": lambda T: T.nn.LSTMCell(3, 4)(_x(T, 2, 2)),
    "cell batch size": lambda T: T.nn.GRUCell(3, 4)(_x(T, 2, 3), _x(T, 3, 4)),
    "cell hidden size": lambda T: T.nn.RNNCell(3, 4)(_x(T, 2, 3), _x(T, 2, 3)),
    "cell unbatched 2-D hidden": lambda T: T.nn.RNNCell(3, 4)(_x(T, 3), _x(T, 2, 4)),
    "LSTMCell hidden1 size": lambda T: T.nn.LSTMCell(3, 4)(_x(T, 2, 3), (_x(T, 2, 4), _x(T, 2, 5))),
    "LSTMCell hidden1 batch": lambda T: T.nn.LSTMCell(3, 4)(
        _x(T, 2, 3), (_x(T, 2, 4), _x(T, 1, 4))
    ),
    "cell input dtype": lambda T: T.nn.RNNCell(3, 4)(_x(T, 2, 3, dtype=T.float64)),
    "cell input dtype without bias": lambda T: T.nn.GRUCell(3, 4, bias=False)(
        _x(T, 2, 3, dtype=T.float64)
    ),
    "cell weight dtype": lambda T: T.nn.LSTMCell(3, 4).double()(_x(T, 2, 3)),
    "cell unknown nonlinearity": lambda T: T.nn.RNNCell(3, 4, nonlinearity="sigmoid")(_x(T, 2, 3)),
}


@pytest.mark.parametrize("call", ERRORS.values(), ids=ERRORS.keys())
def test_errors_as_torch(session, call):
    check_error_at_line(call)


def _sequence_model(nn, recurrent: str):
    """A classifier of sequences: a two-layer recurrent layer, then a linear head on the last
    step's output."""

    class Classifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.recurrent = getattr(nn, recurrent)(INPUT, HIDDEN, num_layers=2, batch_first=True)
            self.head = nn.Linear(HIDDEN, 2)

        def forward(self, x):
            output, _ = self.recurrent(x)
            return self.head(output[:, -1])

    return Classifier()


@pytest.mark.parametrize("recurrent", ["LSTM", "GRU", "RNN"])
def test_sequence_model_trains_as_torch(session, recurrent):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, SEQUENCE, INPUT)).astype(np.float32)
    labels = (x[:, :, 0].sum(axis=1) > 0).astype(np.int64)
    runs = train_alike(
        lambda nn: _sequence_model(nn, recurrent),
        lambda T, parameters: T.optim.Adam(parameters, lr=0.05),
        lambda T: T.nn.CrossEntropyLoss(),
        lambda T: (T.tensor(x), T.tensor(labels)),
    )
    assert_trains_alike(runs, rtol=1e-4)
