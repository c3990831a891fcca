"""`gradrpc.nn` against torch.nn 2.13: module reprs, registration and traversal, state_dict
round trips, parameter counts, Linear's initialization bounds, layers, losses (every
reduction) with their gradients, and torch's errors; plus the mended training loop of seed
001 (as a script: see tests/seeds for the cell as printed)."""

from __future__ import annotations

import math
import re
from collections import OrderedDict

import gradrpc
import gradrpc.nn as gnn
import gradrpc.nn.functional as GF
import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF
from clientkit import check_same_error, raised

RTOL, ATOL = 1e-5, 1e-6


def _ours(t: torch.Tensor, requires_grad: bool | None = None) -> gradrpc.Tensor:
    rg = t.requires_grad if requires_grad is None else requires_grad
    return gradrpc.tensor(t.detach().numpy(), requires_grad=rg)


def _close(ours, theirs, rtol=RTOL, atol=ATOL) -> None:
    np.testing.assert_allclose(
        np.asarray(ours.detach().numpy()), theirs.detach().numpy(), rtol=rtol, atol=atol
    )


def _copy_weights(ours: gnn.Module, theirs: tnn.Module) -> None:
    result = ours.load_state_dict(theirs.state_dict())
    assert repr(result) == "<All keys matched successfully>"


def _pair(builder):
    """The same architecture built by `builder(nn)` in both libraries, torch's weights
    copied into ours."""
    theirs, ours = builder(tnn), builder(gnn)
    _copy_weights(ours, theirs)
    return ours, theirs


def _normalize(text: str) -> str:
    return re.sub(r"0x[0-9a-f]+", "0x…", text)


# ---------------------------------------------------------------- reprs


def _seed_model(nn):
    model = nn.Sequential()
    model.add_module("w0", nn.Linear(1000, 100))
    model.add_module("relu", nn.ReLU())
    model.add_module("w0", nn.Linear(100, 10))  # replaces the first, keeping its place
    return model


REPR_BUILDERS = {
    "seed model": _seed_model,
    "linear": lambda nn: nn.Linear(3, 2),
    "linear no bias": lambda nn: nn.Linear(3, 2, bias=False),
    "nested": lambda nn: nn.Sequential(
        nn.Linear(4, 3), nn.Sequential(nn.Tanh(), nn.Linear(3, 2)), nn.Sigmoid()
    ),
    "ordered dict": lambda nn: nn.Sequential(
        OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU(inplace=True))])
    ),
    "empty sequential": lambda nn: nn.Sequential(),
    "losses": lambda nn: nn.Sequential(
        nn.MSELoss(reduction="sum"), nn.BCEWithLogitsLoss(), nn.CrossEntropyLoss()
    ),
}


@pytest.mark.parametrize("name", REPR_BUILDERS)
def test_module_repr_matches_torch(name: str) -> None:
    assert repr(REPR_BUILDERS[name](gnn)) == repr(REPR_BUILDERS[name](tnn))


def test_parameter_repr_and_flags_match_torch() -> None:
    theirs = tnn.Parameter(torch.tensor([[1.0, -2.5], [0.25, 3.0]]))
    ours = gnn.Parameter(gradrpc.tensor([[1.0, -2.5], [0.25, 3.0]]))
    assert repr(ours) == repr(theirs)
    assert str(ours) == str(theirs)
    assert ours.is_leaf and ours.requires_grad and ours.grad_fn is None
    assert isinstance(ours, gradrpc.Tensor)
    frozen = gnn.Parameter(gradrpc.ones(2), requires_grad=False)
    assert repr(frozen) == repr(tnn.Parameter(torch.ones(2), requires_grad=False))
    # results of ops on a parameter are plain tensors
    assert type(ours * 2) is gradrpc.Tensor and type(ours.detach()) is gradrpc.Tensor


def test_state_dict_repr_matches_torch() -> None:
    ours, theirs = _pair(lambda nn: nn.Linear(3, 2))
    assert _normalize(repr(ours.state_dict())) == _normalize(repr(theirs.state_dict()))


# ---------------------------------------------------------------- registration and traversal


def _tree(nn):
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 2)))
    model.head = nn.Linear(2, 1, bias=False)
    return model


def test_names_counts_and_traversal_match_torch() -> None:
    ours, theirs = _tree(gnn), _tree(tnn)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [tuple(p.shape) for p in ours.parameters()] == [
        tuple(p.shape) for p in theirs.parameters()
    ]
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters())
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [type(m).__name__ for m in ours.modules()] == [
        type(m).__name__ for m in theirs.modules()
    ]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters(recurse=False)] == []
    assert all(isinstance(p, gnn.Parameter) for p in ours.parameters())


def test_shared_parameters_are_listed_once() -> None:
    for nn in (gnn, tnn):
        layer = nn.Linear(2, 2)
        model = nn.Sequential(layer, layer)
        assert len(list(model.parameters())) == 2
        assert len(list(model.children())) == 1


def test_setattr_registers_parameters_modules_and_plain_values() -> None:
    class Net(gnn.Module):
        def __init__(self):
            super().__init__()
            self.scale = gnn.Parameter(gradrpc.ones(3))
            self.inner = gnn.Linear(3, 3)
            self.note = "plain"

        def forward(self, x):
            return self.inner(x) * self.scale

    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["scale", "inner.weight", "inner.bias"]
    assert net.note == "plain" and "note" not in net._parameters
    out = net(gradrpc.ones(2, 3))
    assert out.shape == (2, 3) and out.grad_fn.name() == "MulBackward0"
    net.scale = None
    assert net.scale is None and next(n for n, _ in net.named_parameters()) == "inner.weight"
    del net.inner
    assert not hasattr(net, "inner")


REGISTRATION_ERRORS = {
    "parameter as a tensor": lambda nn, t: setattr(_with_weight(nn, t), "weight", t.ones(2)),
    "module as an int": lambda nn, t: setattr(_with_child(nn), "child", 3),
    "add_module not a module": lambda nn, t: nn.Sequential().add_module("x", 3),
    "add_module bad name": lambda nn, t: nn.Sequential().add_module("a.b", nn.ReLU()),
    "add_module empty name": lambda nn, t: nn.Sequential().add_module("", nn.ReLU()),
    "add_module name not str": lambda nn, t: nn.Sequential().add_module(1, nn.ReLU()),
    "add_module existing attribute": lambda nn, t: nn.Sequential().add_module(
        "training", nn.ReLU()
    ),
    "register_parameter non-leaf": lambda nn, t: nn.Module().register_parameter(
        "p", nn.Parameter(t.ones(2)) * 2
    ),
    "missing attribute": lambda nn, t: nn.Linear(2, 2).nope,
    "index out of range": lambda nn, t: nn.Sequential(nn.ReLU())[3],
    "train not bool": lambda nn, t: nn.ReLU().train("yes"),
    "forward missing": lambda nn, t: nn.Module()(t.ones(1)),
}


def _with_weight(nn, t):
    layer = nn.Linear(2, 2)
    return layer


def _with_child(nn):
    model = nn.Module()
    model.child = nn.ReLU()
    return model


@pytest.mark.parametrize("name", REGISTRATION_ERRORS)
def test_registration_errors_match_torch(name: str) -> None:
    theirs = raised(lambda: REGISTRATION_ERRORS[name](tnn, torch))
    ours = raised(lambda: REGISTRATION_ERRORS[name](gnn, gradrpc))
    assert theirs is not None
    assert ours is not None and issubclass(ours[0], theirs[0]) and ours[1] == theirs[1]


def test_sequential_indexing_len_iteration_and_append() -> None:
    for nn in (gnn, tnn):
        model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
        assert len(model) == 3
        assert isinstance(model[0], nn.Linear) and isinstance(model[-2], nn.ReLU)
        head = model[1:]
        assert isinstance(head, nn.Sequential) and len(head) == 2
        assert [n for n, _ in head.named_children()] == ["1", "2"]
        assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
        assert model.append(nn.Sigmoid()) is model and len(model) == 4
        assert [n for n, _ in model.named_children()][-1] == "3"
        model[1] = nn.Tanh()
        assert isinstance(model[1], nn.Tanh)
        del model[0]
        assert [n for n, _ in model.named_children()] == ["0", "1", "2"]
    assert repr(_seed_model(gnn)[::-1]) == repr(_seed_model(tnn)[::-1])


def test_train_eval_and_requires_grad() -> None:
    model = _tree(gnn)
    assert model.training and all(m.training for m in model.modules())
    assert model.eval() is model and not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


# ---------------------------------------------------------------- state_dict


def test_state_dict_holds_detached_values_and_round_trips() -> None:
    ours, theirs = _pair(_tree)
    state = ours.state_dict()
    assert isinstance(state, OrderedDict)
    for (name, value), (their_name, their_value) in zip(
        state.items(), theirs.state_dict().items(), strict=True
    ):
        assert name == their_name and not value.requires_grad and value.is_leaf
        _close(value, their_value)
    fresh = _tree(gnn)
    assert repr(fresh.load_state_dict(state)) == "<All keys matched successfully>"
    for mine, other in zip(fresh.parameters(), theirs.parameters(), strict=True):
        _close(mine, other)
        assert mine.requires_grad and mine.is_leaf  # copied in place, still parameters
    with_vars = ours.state_dict(keep_vars=True)
    assert all(isinstance(v, gnn.Parameter) for v in with_vars.values())


@pytest.mark.parametrize(
    "edit",
    [
        lambda s: s.pop("0.bias"),
        lambda s: s.__setitem__("extra", next(iter(s.values()))),
        lambda s: s.__setitem__("2.0.weight", s["0.weight"]),
        lambda s: s.__setitem__("0.bias", [1.0]),
    ],
    ids=["missing", "unexpected", "size mismatch", "not a tensor"],
)
def test_load_state_dict_errors_match_torch(edit) -> None:
    theirs, ours = _tree(tnn), _tree(gnn)
    their_state, our_state = theirs.state_dict(), ours.state_dict()
    edit(their_state)
    edit(our_state)
    expected = raised(lambda: theirs.load_state_dict(their_state))
    actual = raised(lambda: ours.load_state_dict(our_state))
    if expected is None:  # torch accepts a list as a tensor-like value? then so do we
        assert actual is None
        return
    assert actual is not None and issubclass(actual[0], expected[0])
    assert actual[1].replace("gradrpc.Tensor", "torch.Tensor") == expected[1]


def test_load_state_dict_not_strict_reports_keys() -> None:
    theirs, ours = _tree(tnn), _tree(gnn)
    their_state, our_state = theirs.state_dict(), ours.state_dict()
    for s in (their_state, our_state):
        s.pop("0.bias")
        s["extra"] = s["0.weight"]
    assert repr(ours.load_state_dict(our_state, strict=False)) == repr(
        theirs.load_state_dict(their_state, strict=False)
    )


# ---------------------------------------------------------------- initialization


@pytest.mark.parametrize(("fan_in", "fan_out"), [(1000, 100), (3, 400), (1, 50)])
def test_linear_init_is_uniform_within_torchs_bounds(fan_in: int, fan_out: int) -> None:
    gradrpc.manual_seed(fan_in)
    layer = gnn.Linear(fan_in, fan_out)
    bound = 1 / math.sqrt(fan_in)
    weight, bias = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert weight.shape == (fan_out, fan_in) and bias.shape == (fan_out,)
    assert weight.dtype == np.float32
    for values in (weight, bias):
        assert np.all(np.abs(values) <= bound)
    if weight.size >= 10_000:  # uniform: mean 0, variance bound² / 3
        assert abs(weight.mean()) < 0.02 * bound
        assert abs(weight.var() - bound**2 / 3) < 0.05 * bound**2 / 3
        assert weight.min() < -0.99 * bound and weight.max() > 0.99 * bound
    torch_layer = tnn.Linear(fan_in, fan_out)
    assert np.abs(torch_layer.weight.detach().numpy()).max() <= bound


def test_linear_init_sends_no_values(session) -> None:
    session.flush()
    queued = []
    original = session.enqueue

    def spy(name, operation, *args, **kwargs):
        queued.append(operation.WhichOneof("kind"))
        return original(name, operation, *args, **kwargs)

    session.enqueue = spy
    try:
        gnn.Linear(500, 200)
    finally:
        del session.enqueue
    assert "upload" not in queued and queued.count("factory") == 2


def test_to_float_double_and_cpu() -> None:
    model = _tree(gnn)
    assert model.to("cpu") is model and model.cpu() is model
    assert model.to(gradrpc.device("cpu")) is model
    model.double()
    assert all(p.dtype == gradrpc.float64 for p in model.parameters())
    assert all(isinstance(p, gnn.Parameter) and p.requires_grad for p in model.parameters())
    out = model(gradrpc.ones(2, 4, dtype=gradrpc.float64))
    assert out.dtype == gradrpc.float64
    model.to(gradrpc.float32)
    assert all(p.dtype == gradrpc.float32 for p in model.parameters())
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        model.cuda()
    with pytest.raises(TypeError, match=r"nn\.Module\.to only accepts floating point"):
        model.to(gradrpc.int64)


# ---------------------------------------------------------------- layers and functional


# (without a bias, torch.matmul of more than 2 dimensions: not supported yet)
@pytest.mark.parametrize(
    ("shape", "bias"),
    [((5, 4), True), ((4,), True), ((2, 3, 4), True), ((5, 4), False), ((4,), False)],
)
def test_linear_matches_torch_forward_backward_and_grad_fn(shape, bias) -> None:
    ours, theirs = _pair(lambda nn: nn.Linear(4, 3, bias=bias))
    x = torch.randn(shape, requires_grad=True)
    x_ours = _ours(x)
    out_theirs, out_ours = theirs(x), ours(x_ours)
    assert out_ours.grad_fn.name() == out_theirs.grad_fn.name()
    assert out_ours.shape == out_theirs.shape
    _close(out_ours, out_theirs)
    g = torch.randn(out_theirs.shape)
    out_theirs.backward(g)
    out_ours.backward(_ours(g))
    _close(x_ours.grad, x.grad)
    for mine, other in zip(ours.parameters(), theirs.parameters(), strict=True):
        _close(mine.grad, other.grad)


def test_linear_shape_error_is_torchs_at_the_call() -> None:
    for nn, lib in ((tnn, torch), (gnn, gradrpc)):
        with pytest.raises(RuntimeError) as raised:
            nn.Linear(100, 10)(lib.ones(64, 1000))
        assert str(raised.value) == "mat1 and mat2 shapes cannot be multiplied (64x1000 and 100x10)"


@pytest.mark.parametrize("name", ["ReLU", "Sigmoid", "Tanh"])
def test_activations_match_torch(name: str) -> None:
    x = torch.randn(3, 4, requires_grad=True)
    x_ours = _ours(x)
    out_theirs, out_ours = getattr(tnn, name)()(x), getattr(gnn, name)()(x_ours)
    assert out_ours.grad_fn.name() == out_theirs.grad_fn.name()
    _close(out_ours, out_theirs)
    out_theirs.sum().backward()
    out_ours.sum().backward()
    _close(x_ours.grad, x.grad)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize(("shape", "dim"), [((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -1), ((5,), 0)])
def test_softmax_functions_match_torch(fn: str, shape, dim) -> None:
    x = torch.randn(shape, requires_grad=True) * 3
    x.retain_grad()
    x_ours = _ours(x, requires_grad=True)
    out_theirs = getattr(TF, fn)(x, dim=dim)
    out_ours = getattr(GF, fn)(x_ours, dim=dim)
    assert out_ours.grad_fn.name() == out_theirs.grad_fn.name()
    _close(out_ours, out_theirs)
    g = torch.randn(shape)
    out_theirs.backward(g)
    out_ours.backward(_ours(g))
    _close(x_ours.grad, x.grad)
    # also as torch.softmax and Tensor.softmax
    _close(getattr(gradrpc, fn)(x_ours, dim), out_theirs)
    _close(getattr(x_ours, fn)(dim), out_theirs)


def test_softmax_without_dim_warns_as_torch() -> None:
    x = torch.randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax") as theirs:
        expected = TF.softmax(x)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax") as ours:
        actual = GF.softmax(_ours(x))
    assert str(ours[0].message) == str(theirs[0].message)
    _close(actual, expected)


def _loss_inputs(loss: str, shape=(4, 5)):
    torch.manual_seed(len(loss) + len(shape))
    x = torch.randn(shape, requires_grad=True)
    if loss == "CrossEntropyLoss":
        target = torch.randint(0, shape[-1], shape[:-1])
    elif loss == "BCEWithLogitsLoss":
        target = torch.rand(shape)
    else:
        target = torch.randn(shape)
    return x, target


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("loss", ["MSELoss", "BCEWithLogitsLoss", "CrossEntropyLoss"])
def test_loss_modules_match_torch(loss: str, reduction: str) -> None:
    x, target = _loss_inputs(loss)
    x_ours = _ours(x)
    theirs = getattr(tnn, loss)(reduction=reduction)
    ours = getattr(gnn, loss)(reduction=reduction)
    assert repr(ours) == repr(theirs) and ours.reduction == reduction
    out_theirs, out_ours = theirs(x, target), ours(x_ours, _ours(target, False))
    assert out_ours.grad_fn.name() == out_theirs.grad_fn.name()
    assert out_ours.shape == out_theirs.shape
    _close(out_ours, out_theirs)
    g = torch.randn(out_theirs.shape)
    out_theirs.backward(g)
    out_ours.backward(_ours(g))
    _close(x_ours.grad, x.grad)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore_index", [-100, 2])
def test_cross_entropy_and_nll_loss_match_torch(reduction: str, ignore_index: int) -> None:
    x = torch.randn(6, 4, requires_grad=True)
    target = torch.tensor([0, 2, 3, 2, 1, 0])
    x_ours, target_ours = _ours(x), gradrpc.tensor([0, 2, 3, 2, 1, 0])
    kwargs = {"reduction": reduction, "ignore_index": ignore_index}
    expected = TF.cross_entropy(x, target, **kwargs)
    actual = GF.cross_entropy(x_ours, target_ours, **kwargs)
    assert actual.grad_fn.name() == expected.grad_fn.name() == "NllLossBackward0"
    assert actual.grad_fn.next_functions[0][0].name() == "LogSoftmaxBackward0"
    _close(actual, expected)
    g = torch.rand(expected.shape)
    expected.backward(g)
    actual.backward(_ours(g))
    _close(x_ours.grad, x.grad)
    _close(
        GF.nll_loss(GF.log_softmax(x_ours, 1), target_ours, **kwargs),
        TF.nll_loss(TF.log_softmax(x, 1), target, **kwargs),
    )


def test_cross_entropy_of_one_sample_matches_torch() -> None:
    x = torch.randn(5, requires_grad=True)
    expected = TF.cross_entropy(x, torch.tensor(3))
    actual = GF.cross_entropy(_ours(x), gradrpc.tensor(3))
    _close(actual, expected)
    assert actual.shape == expected.shape


@pytest.mark.parametrize(
    "call",
    [
        lambda F, lib: F.nll_loss(lib.ones(3, 4), lib.ones(2, dtype=lib.int64)),
        lambda F, lib: F.nll_loss(lib.ones(3, 4), lib.ones(3)),
        lambda F, lib: F.nll_loss(lib.ones(3, 4), lib.ones(3, dtype=lib.int64), reduction="x"),
        lambda F, lib: F.cross_entropy(lib.ones(3, 4), lib.ones(3, 2, dtype=lib.int64)),
        lambda F, lib: F.linear(lib.ones(2, 3), lib.ones(4, 5), lib.ones(4)),
        lambda F, lib: F.softmax(lib.ones(2, 3), dim=2),
    ],
    ids=["batch", "target dtype", "reduction", "multi-target", "linear shapes", "dim"],
)
def test_functional_errors_match_torch(call) -> None:
    check_same_error(call)


def test_an_out_of_range_class_is_torchs_index_error_at_the_next_read() -> None:
    with pytest.raises(IndexError, match=r"Target 4 is out of bounds\."):
        TF.nll_loss(torch.zeros(2, 4), torch.tensor([0, 4]))
    loss = GF.nll_loss(gradrpc.zeros(2, 4), gradrpc.tensor([0, 4]))
    with pytest.raises(IndexError, match=r"Target 4 is out of bounds\."):
        loss.item()


# ---------------------------------------------------------------- zero_grad


@pytest.mark.parametrize("set_to_none", [True, False])
def test_module_zero_grad_matches_torch(set_to_none: bool, session) -> None:
    ours, theirs = _pair(_tree)
    x = torch.randn(2, 4)
    theirs(x).sum().backward()
    ours(_ours(x)).sum().backward()
    theirs.zero_grad(set_to_none=set_to_none)
    session.flush()
    calls = session.rpc_count
    ours.zero_grad(set_to_none=set_to_none)
    assert session.rpc_count == calls  # queued, not sent
    for mine, other in zip(ours.parameters(), theirs.parameters(), strict=True):
        if set_to_none:
            assert mine.grad is None and other.grad is None
        else:
            _close(mine.grad, other.grad)


# ---------------------------------------------------------------- the seed 001 loop, mended

SEED_LOOP = """
import torch

if torch.cuda.is_available():
    dev = torch.device("cuda")
else:
    dev = torch.device("cpu")

N, D_in, H, D_out = 64, 1000, 100, 10
x = X.to(dev)
y = Y.to(dev)

model = torch.nn.Sequential()
model.add_module('w0', torch.nn.Linear(D_in, H))
model.add_module('relu', torch.nn.ReLU())
model.add_module('w1', torch.nn.Linear(H, D_out))
model.to(dev)
model.load_state_dict(STATE)

loss_function = torch.nn.MSELoss(reduction='sum')
optimizer = OPTIMIZER(model.parameters())

losses = []
for i in range(50):
    y_predict = model(x)
    loss = loss_function(y_predict, y)
    losses.append(loss.item())
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
"""

OPTIMIZERS = {
    "sgd": lambda optim: lambda p: optim.SGD(p, lr=1e-6),
    "sgd momentum": lambda optim: lambda p: optim.SGD(p, lr=1e-6, momentum=0.9),
    "sgd nesterov": lambda optim: lambda p: optim.SGD(p, lr=1e-6, momentum=0.9, nesterov=True),
    "adam": lambda optim: lambda p: optim.Adam(p, lr=1e-3),
}


def seed_loop_losses(name: str) -> tuple[list[float], list[float]]:
    """The mended seed-001 loop under torch and under gradrpc, from the same initial
    weights (torch's, through load_state_dict) and the same data: the 50 losses of each."""
    torch.manual_seed(0)
    x, y = torch.randn(64, 1000), torch.randn(64, 10)
    layers = [("w0", tnn.Linear(1000, 100)), ("relu", tnn.ReLU()), ("w1", tnn.Linear(100, 10))]
    state = tnn.Sequential(OrderedDict(layers)).state_dict()
    results = []
    for lib in (torch, gradrpc):
        namespace = {
            "X": x if lib is torch else gradrpc.tensor(x.numpy()),
            "Y": y if lib is torch else gradrpc.tensor(y.numpy()),
            "STATE": {k: v.clone() for k, v in state.items()},
            "OPTIMIZER": OPTIMIZERS[name](lib.optim),
        }
        code = SEED_LOOP if lib is torch else SEED_LOOP.replace("import torch", "")
        if lib is gradrpc:
            namespace["torch"] = gradrpc
        exec(compile(code, f"<seed 001 loop under {lib.__name__}>", "exec"), namespace)
        results.append(namespace["losses"])
    return results[0], results[1]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_mended_seed_loop_matches_torch_for_50_steps(name: str) -> None:
    theirs, ours = seed_loop_losses(name)
    assert len(ours) == len(theirs) == 50
    relative = np.abs(np.array(ours) - np.array(theirs)) / np.abs(np.array(theirs))
    assert relative.max() < 1e-4, (name, relative.max())
    assert theirs[-1] < theirs[0]  # it trains
