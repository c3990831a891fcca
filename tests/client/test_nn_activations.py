"""nn's activations (LeakyReLU, ELU, SELU, CELU, GELU, SiLU, Softplus, Hardtanh, ReLU6, Mish,
Hardswish, Hardsigmoid, LogSigmoid, Hardshrink, Softshrink, Softsign, Tanhshrink, Softmin) and
losses (L1Loss, SmoothL1Loss, HuberLoss, BCELoss), as functions and as modules, against
torch 2.13: values and input gradients in float32 and float64, the graphs recorded (in-place
forms' ...Backward1 nodes included), reprs, reductions and the legacy size_average/reduce with
torch's warnings, torch's errors at the line, and short training loops."""

from __future__ import annotations

import warnings

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import (
    assert_trains_alike,
    check_error_at_line,
    check_same,
    graph_of,
    torch_error,
    train_alike,
)

# negative, zero, positive and large values; hardtanh's and relu6's bounds; softplus's
# threshold (20: beta x equal to it is not above it) and beyond
VALUES = [-30.0, -6.0, -2.5, -2.0, -1.0, -0.5, -1e-3, 0.0, 1e-3, 0.5, 1.0, 2.5, 6.0, 10.0]
VALUES += [20.0, 21.0, 30.0]
GRAD_OUTPUT = np.linspace(-1.0, 2.0, len(VALUES)).tolist()
DTYPES = ["float32", "float64"]
TOLERANCE = {"float32": {"rtol": 1e-6, "atol": 1e-6}, "float64": {"rtol": 1e-12, "atol": 1e-14}}


def _caught(fn):
    """fn()'s result and the warnings it gave: (category name, message) pairs."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn()
    return result, [(w.category.__name__, str(w.message)) for w in caught]


# ---------------------------------------------------------------- activations

ACTIVATIONS = {
    "leaky_relu": lambda F, x: F.leaky_relu(x),
    "leaky_relu slope 0.2": lambda F, x: F.leaky_relu(x, 0.2),
    "leaky_relu negative slope": lambda F, x: F.leaky_relu(x, negative_slope=-0.5),
    "leaky_relu int slope": lambda F, x: F.leaky_relu(x, 2),
    "elu": lambda F, x: F.elu(x),
    "elu alpha 0.5": lambda F, x: F.elu(x, 0.5),
    "elu negative alpha": lambda F, x: F.elu(x, alpha=-1.0),
    "selu": lambda F, x: F.selu(x),
    "celu": lambda F, x: F.celu(x),
    "celu alpha 2": lambda F, x: F.celu(x, 2.0),
    "celu negative alpha": lambda F, x: F.celu(x, -1.5),
    "gelu": lambda F, x: F.gelu(x),
    "gelu tanh": lambda F, x: F.gelu(x, approximate="tanh"),
    "silu": lambda F, x: F.silu(x),
    "softplus": lambda F, x: F.softplus(x),
    "softplus beta 2 threshold 5": lambda F, x: F.softplus(x, 2, 5),
    "softplus beta 0.5": lambda F, x: F.softplus(x, beta=0.5, threshold=3.0),
    "softplus negative beta": lambda F, x: F.softplus(x, -1.0),
    "hardtanh": lambda F, x: F.hardtanh(x),
    "hardtanh -2 2.5": lambda F, x: F.hardtanh(x, -2, 2.5),
    "hardtanh equal bounds": lambda F, x: F.hardtanh(x, 0.5, 0.5),
    "relu6": lambda F, x: F.relu6(x),
    "mish": lambda F, x: F.mish(x),
    "hardswish": lambda F, x: F.hardswish(x),
    "hardsigmoid": lambda F, x: F.hardsigmoid(x),
    "logsigmoid": lambda F, x: F.logsigmoid(x),
    "hardshrink": lambda F, x: F.hardshrink(x),
    "hardshrink 2.5": lambda F, x: F.hardshrink(x, 2.5),
    "softshrink": lambda F, x: F.softshrink(x),
    "softshrink 2": lambda F, x: F.softshrink(x, lambd=2),
    "softsign": lambda F, x: F.softsign(x),
    "tanhshrink": lambda F, x: F.tanhshrink(x),
    "softmin": lambda F, x: F.softmin(x.reshape(1, -1), dim=1),
    "softmin dim 0": lambda F, x: F.softmin(x, 0),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_values_gradients_and_grad_fn_match_torch(name: str, dtype: str) -> None:
    def scenario(T):
        x = T.tensor(VALUES, dtype=getattr(T, dtype), requires_grad=True)
        y = ACTIVATIONS[name](T.nn.functional, x)
        y.backward(T.tensor(GRAD_OUTPUT, dtype=getattr(T, dtype)))
        return y, graph_of(y.grad_fn), x.grad

    check_same(scenario, **TOLERANCE[dtype])


def test_hardtanh_and_relu6_take_int64_as_torch_s() -> None:
    def scenario(T):
        x = T.arange(-8, 9)
        return (
            T.nn.functional.relu6(x),
            T.nn.functional.hardtanh(x, -2, 3),
            T.nn.functional.hardtanh(x, -1.5, 2.5),
            T.nn.ReLU6(inplace=True)(x.clone()),
        )

    check_same(scenario)


MODULES = {
    "LeakyReLU": lambda nn: nn.LeakyReLU(),
    "LeakyReLU 0.2 in place": lambda nn: nn.LeakyReLU(0.2, inplace=True),
    "ELU": lambda nn: nn.ELU(alpha=0.5),
    "ELU in place": lambda nn: nn.ELU(inplace=True),
    "SELU": lambda nn: nn.SELU(),
    "SELU in place": lambda nn: nn.SELU(True),
    "CELU": lambda nn: nn.CELU(2.0),
    "CELU in place": lambda nn: nn.CELU(0.5, True),
    "GELU": lambda nn: nn.GELU(),
    "GELU tanh": lambda nn: nn.GELU("tanh"),
    "SiLU": lambda nn: nn.SiLU(),
    "SiLU in place": lambda nn: nn.SiLU(inplace=True),
    "Softplus": lambda nn: nn.Softplus(),
    "Softplus 2 10": lambda nn: nn.Softplus(2, 10),
    "Hardtanh": lambda nn: nn.Hardtanh(),
    "Hardtanh -2 2 in place": lambda nn: nn.Hardtanh(-2, 2, inplace=True),
    "ReLU6": lambda nn: nn.ReLU6(),
    "ReLU6 in place": lambda nn: nn.ReLU6(inplace=True),
    "Mish": lambda nn: nn.Mish(),
    "Mish in place": lambda nn: nn.Mish(inplace=True),
    "Hardswish": lambda nn: nn.Hardswish(),
    "Hardswish in place": lambda nn: nn.Hardswish(True),
    "Hardsigmoid in place": lambda nn: nn.Hardsigmoid(inplace=True),
    "LogSigmoid": lambda nn: nn.LogSigmoid(),
    "Hardshrink": lambda nn: nn.Hardshrink(),
    "Softshrink 1.5": lambda nn: nn.Softshrink(1.5),
    "Softsign": lambda nn: nn.Softsign(),
    "Tanhshrink": lambda nn: nn.Tanhshrink(),
    "Softmin": lambda nn: nn.Softmin(dim=0),
}


@pytest.mark.parametrize("name", MODULES)
def test_activation_modules_print_and_compute_as_torch_s(name: str) -> None:
    """On a tensor with history: an in-place module writes into it and records its node."""

    def scenario(T):
        module = MODULES[name](T.nn)
        x = T.tensor(VALUES, dtype=T.float64, requires_grad=True)
        h = x * 1.5
        y = module(h)
        y.backward(T.tensor(GRAD_OUTPUT, dtype=T.float64))
        return repr(module), str(module), y is h, y, graph_of(y.grad_fn), x.grad

    check_same(scenario, **TOLERANCE["float64"])


def test_activation_reprs_in_a_sequential_match_torch() -> None:
    def reprs(T):
        nn = T.nn
        model = nn.Sequential(
            nn.Linear(3, 4),
            nn.LeakyReLU(0.2, inplace=True),
            nn.ELU(),
            nn.SELU(inplace=True),
            nn.CELU(alpha=1.5),
            nn.GELU(approximate="tanh"),
            nn.SiLU(),
            nn.Softplus(beta=0.5, threshold=10.0),
            nn.Hardtanh(-2, 2),
            nn.ReLU6(),
            nn.Sequential(nn.L1Loss(), nn.SmoothL1Loss(beta=0.5), nn.HuberLoss(delta=2.0)),
            nn.BCELoss(reduction="sum"),
        )
        return repr(model), repr(nn.ModuleList([nn.GELU(), nn.GELU(), nn.ReLU6(True)]))

    assert reprs(gradrpc) == reprs(torch)


def test_module_attributes_match_torch_s() -> None:
    def attributes(T):
        nn = T.nn
        modules = [
            nn.LeakyReLU(0.3),
            nn.ELU(2.0, True),
            nn.CELU(),
            nn.GELU("tanh"),
            nn.Softplus(3, 4),
            nn.Hardtanh(-3, 3),
            nn.ReLU6(True),
            nn.SmoothL1Loss(beta=0.25),
            nn.HuberLoss("sum", 3),
        ]
        return [
            {k: v for k, v in vars(m).items() if not k.startswith("_")} for m in modules
        ], isinstance(nn.ReLU6(), nn.Hardtanh)

    assert attributes(gradrpc) == attributes(torch)


IN_PLACE = {
    "leaky_relu": lambda F, h: F.leaky_relu(h, 0.2, inplace=True),
    "leaky_relu slope 0": lambda F, h: F.leaky_relu(h, 0.0, True),
    "elu": lambda F, h: F.elu(h, inplace=True),
    "selu": lambda F, h: F.selu(h, inplace=True),
    "celu": lambda F, h: F.celu(h, 0.5, inplace=True),
    "silu": lambda F, h: F.silu(h, inplace=True),
    "hardtanh": lambda F, h: F.hardtanh(h, -2.0, 2.0, inplace=True),
    "relu6": lambda F, h: F.relu6(h, inplace=True),
    "mish": lambda F, h: F.mish(h, inplace=True),
    "hardswish": lambda F, h: F.hardswish(h, True),
    "hardsigmoid": lambda F, h: F.hardsigmoid(h, inplace=True),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_forms_record_torch_s_nodes(name: str, dtype: str) -> None:
    """leaky_relu_, elu_, selu_ and celu_ record ...Backward1 (their node saves the result);
    silu_, hardtanh_ and relu6_ record the out-of-place node."""

    def scenario(T):
        x = T.tensor(VALUES, dtype=getattr(T, dtype), requires_grad=True)
        h = x * 1.5
        y = IN_PLACE[name](T.nn.functional, h)
        y.backward(T.tensor(GRAD_OUTPUT, dtype=getattr(T, dtype)))
        return y is h, h, graph_of(h.grad_fn), x.grad

    check_same(scenario, **TOLERANCE[dtype])


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_forms_through_a_view_record_torch_s_copy_slices(name: str) -> None:
    def scenario(T):
        x = T.tensor(VALUES, dtype=T.float64, requires_grad=True)
        h = x * 1.5
        view = h[2:-3:2]
        IN_PLACE[name](T.nn.functional, view)
        h.backward(T.tensor(GRAD_OUTPUT, dtype=T.float64))
        return h, graph_of(h.grad_fn), view.grad_fn.name(), x.grad

    check_same(scenario, **TOLERANCE["float64"])


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_forms_without_history_write_the_values(name: str) -> None:
    def scenario(T):
        x = T.tensor(VALUES)
        y = IN_PLACE[name](T.nn.functional, x)
        w = T.tensor(VALUES, requires_grad=True)
        with T.no_grad():
            IN_PLACE[name](T.nn.functional, w)
        return y is x, x, w

    check_same(scenario, **TOLERANCE["float32"])


NEGATIVE_IN_PLACE = {
    "leaky_relu_ negative slope": lambda F, h: F.leaky_relu(h, -0.1, inplace=True),
    "elu_ negative alpha": lambda F, h: F.elu(h, -0.5, inplace=True),
    "celu_ negative alpha": lambda F, h: F.celu(h, -2.0, inplace=True),
}


def _check_deferred_error(scenario, op: str) -> None:
    """torch raises in `scenario`; gradrpc's server at the next wait (here a flush), with
    torch's type and message and a note naming the operation that failed."""
    expected = torch_error(scenario)
    with pytest.raises(type(expected)) as raised:
        scenario(gradrpc)
        gradrpc.default_session().flush()
    message, note = str(raised.value).split("\n")
    assert message == str(expected)
    assert note.startswith(f"(gradrpc: raised by '{op}' queued at ")


@pytest.mark.parametrize("name", NEGATIVE_IN_PLACE)
def test_in_place_with_a_negative_slope_fails_at_backward_as_torch_s(name: str) -> None:
    def forward(T):
        x = T.tensor([-2.0, 0.5, 3.0], requires_grad=True)
        h = x * 1
        NEGATIVE_IN_PLACE[name](T.nn.functional, h)
        return h

    check_same(lambda T: (forward(T), graph_of(forward(T).grad_fn)))
    _check_deferred_error(lambda T: forward(T).sum().backward(), "backward")


def test_hardtanh_s_deprecated_keywords_warn_as_torch_s() -> None:
    def scenario(T):
        return _caught(lambda: repr(T.nn.Hardtanh(min_value=-2.0, max_value=3)))

    check_same(scenario)


# ---------------------------------------------------------------- losses

INPUT = [[-2.0, -1.0, -0.5], [0.0, 0.25, 0.5], [1.0, 1.5, 3.0], [0.7, -0.3, 2.0]]
# residuals x - y: -2 -1 -0.5 / 0 -0.25 1 / 1 1 2 / 0 -0.5 3: on the beta and delta boundaries
TARGET = [[0.0, 0.0, 0.0], [0.0, 0.5, -0.5], [0.0, 0.5, 1.0], [0.7, 0.2, -1.0]]
WEIGHT = [[0.5, 1.0, 2.0], [0.0, 1.5, 1.0], [3.0, 0.25, 1.0], [1.0, 1.0, 0.5]]
LOSS_GRAD = [[1.0, -0.5, 2.0], [0.25, 1.5, -1.0], [0.5, 0.5, 3.0], [-2.0, 1.0, 0.75]]

LOSSES = {
    "l1_loss": lambda T, x, y, r: T.nn.functional.l1_loss(x, y, reduction=r),
    "l1_loss weight": lambda T, x, y, r: T.nn.functional.l1_loss(
        x, y, reduction=r, weight=T.tensor(WEIGHT, dtype=x.dtype)
    ),
    "smooth_l1_loss": lambda T, x, y, r: T.nn.functional.smooth_l1_loss(x, y, reduction=r),
    "smooth_l1_loss beta 0": lambda T, x, y, r: T.nn.functional.smooth_l1_loss(
        x, y, reduction=r, beta=0.0
    ),
    "smooth_l1_loss beta 0.5": lambda T, x, y, r: T.nn.functional.smooth_l1_loss(
        x, y, None, None, r, 0.5
    ),
    "smooth_l1_loss beta 2": lambda T, x, y, r: T.nn.functional.smooth_l1_loss(
        x, y, reduction=r, beta=2
    ),
    "huber_loss": lambda T, x, y, r: T.nn.functional.huber_loss(x, y, r),
    "huber_loss delta 0.5": lambda T, x, y, r: T.nn.functional.huber_loss(
        x, y, reduction=r, delta=0.5
    ),
    "huber_loss delta 2": lambda T, x, y, r: T.nn.functional.huber_loss(x, y, r, 2),
    "huber_loss weight": lambda T, x, y, r: T.nn.functional.huber_loss(
        x, y, r, 0.5, weight=T.tensor(WEIGHT, dtype=x.dtype)
    ),
    "mse_loss weight": lambda T, x, y, r: T.nn.functional.mse_loss(
        x, y, reduction=r, weight=T.tensor(WEIGHT, dtype=x.dtype)
    ),
    "L1Loss": lambda T, x, y, r: T.nn.L1Loss(reduction=r)(x, y),
    "SmoothL1Loss": lambda T, x, y, r: T.nn.SmoothL1Loss(reduction=r, beta=0.5)(x, y),
    "HuberLoss": lambda T, x, y, r: T.nn.HuberLoss(reduction=r, delta=2.0)(x, y),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", LOSSES)
def test_loss_values_gradients_and_graph_match_torch(name: str, reduction: str, dtype) -> None:
    def scenario(T):
        x = T.tensor(INPUT, dtype=getattr(T, dtype), requires_grad=True)
        y = T.tensor(TARGET, dtype=getattr(T, dtype), requires_grad=True)
        loss = LOSSES[name](T, x, y, reduction)
        gradient = T.tensor(LOSS_GRAD if reduction == "none" else 0.5, dtype=getattr(T, dtype))
        loss.backward(gradient)
        return loss, graph_of(loss.grad_fn), x.grad, y.grad

    check_same(scenario, **TOLERANCE[dtype])


PROBABILITIES = [[0.05, 0.1, 0.5], [0.9, 0.95, 0.3], [0.25, 0.999, 0.2], [0.6, 0.4, 0.01]]
LABELS = [[0.0, 1.0, 0.5], [1.0, 0.0, 0.3], [0.2, 1.0, 0.0], [1.0, 0.4, 0.9]]
BCE_WEIGHTS = {"no weight": None, "(3,)": (3,), "(4, 1)": (4, 1), "(4, 3)": (4, 3), "(1,)": (1,)}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weight_shape", BCE_WEIGHTS.values(), ids=BCE_WEIGHTS.keys())
def test_binary_cross_entropy_matches_torch(weight_shape, reduction: str, dtype: str) -> None:
    """As a function and as BCELoss (its weight a buffer, in its state_dict); the target
    gets its gradient too."""

    def scenario(T):
        dt = getattr(T, dtype)
        x = T.tensor(PROBABILITIES, dtype=dt, requires_grad=True)
        y = T.tensor(LABELS, dtype=dt, requires_grad=True)
        weight = None
        if weight_shape is not None:
            weight = T.arange(1.0, 1.0 + np.prod(weight_shape), dtype=dt).reshape(weight_shape)
        loss = T.nn.functional.binary_cross_entropy(x, y, weight, reduction=reduction)
        gradient = T.tensor(LOSS_GRAD if reduction == "none" else 0.5, dtype=dt)
        loss.backward(gradient)
        module = T.nn.BCELoss(weight, reduction=reduction)
        return (
            loss,
            graph_of(loss.grad_fn),
            x.grad,
            y.grad,
            module(x, y),
            dict(module.state_dict()),
            [name for name, _ in module.named_buffers()],
        )

    check_same(scenario, **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_cross_entropy_at_0_and_1_matches_torch(dtype: str) -> None:
    """Each log is clamped at -100; the gradient's denominator (1 - x) x at torch's EPSILON,
    the float 1e-12 (9.99999996e-13) in float64 too."""

    def scenario(T):
        x = T.tensor([0.0, 0.0, 1.0, 1.0, 0.5], dtype=getattr(T, dtype), requires_grad=True)
        y = T.tensor([0.0, 1.0, 0.0, 1.0, 1.0], dtype=getattr(T, dtype))
        loss = T.nn.functional.binary_cross_entropy(x, y, reduction="none")
        loss.sum().backward()
        return loss, x.grad

    check_same(scenario, **TOLERANCE[dtype])


def test_bce_loss_after_sigmoid_matches_torch() -> None:
    def scenario(T):
        x = T.tensor(INPUT, requires_grad=True)
        loss = T.nn.BCELoss()(T.nn.Sigmoid()(x), T.tensor(LABELS))
        loss.backward()
        return loss, graph_of(loss.grad_fn), x.grad

    check_same(scenario, **TOLERANCE["float32"])


BROADCAST_LOSSES = {
    "l1_loss": lambda F, x, y: F.l1_loss(x, y),
    "smooth_l1_loss": lambda F, x, y: F.smooth_l1_loss(x, y, reduction="sum"),
    "smooth_l1_loss beta 0": lambda F, x, y: F.smooth_l1_loss(x, y, beta=0),
    "huber_loss": lambda F, x, y: F.huber_loss(x, y, "none", 0.5),
    "mse_loss": lambda F, x, y: F.mse_loss(x, y),
}


@pytest.mark.parametrize("shapes", [((4, 3), (3,)), ((3,), (4, 3)), ((2, 1), (1, 3))])
@pytest.mark.parametrize("name", BROADCAST_LOSSES)
def test_losses_broadcast_with_torch_s_warning_and_expand_nodes(name: str, shapes) -> None:
    def scenario(T):
        x = T.linspace(-2, 3, int(np.prod(shapes[0]))).reshape(shapes[0]).requires_grad_()
        y = T.linspace(1, -1, int(np.prod(shapes[1]))).reshape(shapes[1]).requires_grad_()
        loss, caught = _caught(lambda: BROADCAST_LOSSES[name](T.nn.functional, x, y))
        loss.sum().backward()
        return loss, graph_of(loss.grad_fn), x.grad, y.grad, caught

    check_same(scenario, **TOLERANCE["float32"])


LEGACY = [(False, None), (None, False), (True, True), (False, True), (True, False)]
LEGACY_CALLS = {
    "l1_loss": lambda T, x, y, s, r: T.nn.functional.l1_loss(x, y, s, r),
    "smooth_l1_loss": lambda T, x, y, s, r: T.nn.functional.smooth_l1_loss(x, y, s, r, beta=0.5),
    "binary_cross_entropy": lambda T, x, y, s, r: T.nn.functional.binary_cross_entropy(
        x.sigmoid(), y, size_average=s, reduce=r
    ),
    "mse_loss": lambda T, x, y, s, r: T.nn.functional.mse_loss(x, y, s, r),
    "binary_cross_entropy_with_logits": lambda T, x, y, s, r: (
        T.nn.functional.binary_cross_entropy_with_logits(x, y, size_average=s, reduce=r)
    ),
    "cross_entropy": lambda T, x, y, s, r: T.nn.functional.cross_entropy(
        x, T.tensor([0, 2, 1, 2]), size_average=s, reduce=r
    ),
    "nll_loss": lambda T, x, y, s, r: T.nn.functional.nll_loss(
        x.log_softmax(1), T.tensor([1, 0, 2, 2]), None, s, reduce=r
    ),
    "L1Loss": lambda T, x, y, s, r: T.nn.L1Loss(s, r)(x, y),
    "SmoothL1Loss": lambda T, x, y, s, r: T.nn.SmoothL1Loss(s, r, beta=2.0)(x, y),
    "BCELoss": lambda T, x, y, s, r: T.nn.BCELoss(None, s, r)(x.sigmoid(), y),
    "CrossEntropyLoss": lambda T, x, y, s, r: T.nn.CrossEntropyLoss(None, s, reduce=r)(
        x, T.tensor([2, 2, 0, 1])
    ),
}


@pytest.mark.parametrize("legacy", LEGACY, ids=[f"size_average={s}, reduce={r}" for s, r in LEGACY])
@pytest.mark.parametrize("name", LEGACY_CALLS)
def test_legacy_size_average_and_reduce_warn_as_torch_s(name: str, legacy) -> None:
    def scenario(T):
        x = T.tensor(INPUT, requires_grad=True)
        y = T.tensor(LABELS)
        loss, caught = _caught(lambda: LEGACY_CALLS[name](T, x, y, *legacy))
        return loss, caught

    check_same(scenario, **TOLERANCE["float32"])


def test_bce_out_of_range_fails_as_torch_s_when_read() -> None:
    _check_deferred_error(
        lambda T: T.nn.functional.binary_cross_entropy(
            T.tensor([0.5, 1.5]), T.tensor([1.0, 0.0])
        ).item(),
        "binary_cross_entropy",
    )


# ---------------------------------------------------------------- errors at the line

ERRORS = {
    "mish int64": lambda T: T.nn.functional.mish(T.arange(3)),
    "mish_ input": lambda T: T.nn.functional.mish(1.0, inplace=True),
    "hardswish int64": lambda T: T.nn.functional.hardswish(T.arange(3)),
    "hardswish bool": lambda T: T.nn.functional.hardswish(T.ones(2, dtype=T.bool)),
    "hardswish input": lambda T: T.nn.functional.hardswish([1.0]),
    "hardsigmoid int64": lambda T: T.nn.functional.hardsigmoid(T.arange(3)),
    "logsigmoid int64": lambda T: T.nn.functional.logsigmoid(T.arange(3)),
    "logsigmoid input": lambda T: T.nn.functional.logsigmoid(1.0),
    "hardshrink int64": lambda T: T.nn.functional.hardshrink(T.arange(3)),
    "hardshrink lambd str": lambda T: T.nn.functional.hardshrink(T.ones(2), "a"),
    "softshrink int64": lambda T: T.nn.functional.softshrink(T.arange(3), -1.0),
    "softshrink negative": lambda T: T.nn.functional.softshrink(T.ones(2), -1.0),
    "softshrink double negative": lambda T: T.nn.functional.softshrink(
        T.ones(2, dtype=T.float64), -0.5
    ),
    "softshrink inf": lambda T: T.nn.functional.softshrink(T.ones(2), float("inf")),
    "softshrink over float32": lambda T: T.nn.functional.softshrink(T.ones(2), 3.5e38),
    "softmin int64": lambda T: T.nn.functional.softmin(T.arange(3), 0),
    "leaky_relu slope str": lambda T: T.nn.functional.leaky_relu(T.ones(2), "a"),
    "leaky_relu_ slope None": lambda T: T.nn.functional.leaky_relu(T.ones(2), None, True),
    "leaky_relu input float": lambda T: T.nn.functional.leaky_relu(1.0),
    "leaky_relu_ input list": lambda T: T.nn.functional.leaky_relu([1.0], inplace=True),
    "leaky_relu int64": lambda T: T.nn.functional.leaky_relu(T.arange(3)),
    "leaky_relu_ int64": lambda T: T.nn.functional.leaky_relu(T.arange(3), inplace=True),
    "elu alpha str": lambda T: T.nn.functional.elu(T.ones(2), "a"),
    "elu_ alpha str": lambda T: T.nn.functional.elu(T.ones(2), "a", inplace=True),
    "elu int64": lambda T: T.nn.functional.elu(T.arange(3)),
    "selu input": lambda T: T.nn.functional.selu(1.0),
    "selu_ input": lambda T: T.nn.functional.selu(1, inplace=True),
    "selu int64": lambda T: T.nn.functional.selu(T.arange(3)),
    "celu alpha 0": lambda T: T.nn.functional.celu(T.ones(2), 0.0),
    "celu alpha str": lambda T: T.nn.functional.celu(T.ones(2), "a"),
    "celu int64": lambda T: T.nn.functional.celu(T.arange(3)),
    "gelu approximate": lambda T: T.nn.functional.gelu(T.ones(2), approximate="exact"),
    "gelu approximate int": lambda T: T.nn.functional.gelu(T.ones(2), approximate=1),
    "gelu approximate positional": lambda T: T.nn.functional.gelu(T.ones(2), "tanh"),
    "gelu input": lambda T: T.nn.functional.gelu(1.0),
    "gelu int64": lambda T: T.nn.functional.gelu(T.arange(3)),
    "GELU approximate": lambda T: T.nn.GELU("fast")(T.ones(2)),
    "silu input": lambda T: T.nn.functional.silu(1.0),
    "silu int64": lambda T: T.nn.functional.silu(T.arange(3)),
    "softplus beta str": lambda T: T.nn.functional.softplus(T.ones(2), "a"),
    "softplus threshold None": lambda T: T.nn.functional.softplus(T.ones(2), 1, None),
    "softplus 4 positional": lambda T: T.nn.functional.softplus(T.ones(2), 1, 2, 3),
    "softplus unknown keyword": lambda T: T.nn.functional.softplus(T.ones(2), gamma=1),
    "softplus input": lambda T: T.nn.functional.softplus(1.0),
    "softplus int64": lambda T: T.nn.functional.softplus(T.arange(3)),
    "hardtanh min above max": lambda T: T.nn.functional.hardtanh(T.ones(2), 2.0, 1.0),
    "hardtanh min str": lambda T: T.nn.functional.hardtanh(T.ones(2), "a", 1.0),
    "hardtanh input": lambda T: T.nn.functional.hardtanh(1.0),
    "hardtanh bool": lambda T: T.nn.functional.hardtanh(T.tensor([True])),
    "relu6_ input": lambda T: T.nn.functional.relu6(1.0, inplace=True),
    "relu6 bool": lambda T: T.nn.functional.relu6(T.tensor([True, False])),
    "in place on a leaf": lambda T: T.nn.functional.elu(
        T.ones(2, requires_grad=True), inplace=True
    ),
    "in place module on a leaf": lambda T: T.nn.SiLU(True)(T.ones(2, requires_grad=True)),
    "Hardtanh max not above min": lambda T: T.nn.Hardtanh(1, 1),
    "HuberLoss delta str": lambda T: T.nn.HuberLoss(delta="a"),
    "HuberLoss size_average": lambda T: T.nn.HuberLoss(size_average=True),
    "l1_loss reduction": lambda T: T.nn.functional.l1_loss(T.ones(2), T.ones(2), reduction="x"),
    "l1_loss shapes": lambda T: T.nn.functional.l1_loss(T.ones(3), T.ones(4)),
    "l1_loss weight size": lambda T: T.nn.functional.l1_loss(
        T.ones(3), T.ones(3), weight=T.ones(1)
    ),
    "l1_loss weight reduction": lambda T: T.nn.functional.l1_loss(
        T.ones(3), T.ones(3), reduction="x", weight=T.ones(3)
    ),
    "l1_loss target a number": lambda T: T.nn.functional.l1_loss(T.ones(3), 1.0),
    "l1_loss int64": lambda T: T.nn.functional.l1_loss(T.arange(3), T.arange(3)),
    "L1Loss reduction": lambda T: T.nn.L1Loss(reduction="x")(T.ones(2), T.ones(2)),
    "smooth_l1_loss reduction": lambda T: T.nn.functional.smooth_l1_loss(
        T.ones(2), T.ones(2), reduction="x"
    ),
    "smooth_l1_loss beta 0 reduction": lambda T: T.nn.functional.smooth_l1_loss(
        T.ones(2), T.ones(2), reduction="x", beta=0
    ),
    "smooth_l1_loss negative beta": lambda T: T.nn.functional.smooth_l1_loss(
        T.ones(2), T.ones(2), beta=-1.0
    ),
    "smooth_l1_loss beta str": lambda T: T.nn.functional.smooth_l1_loss(
        T.ones(2), T.ones(2), beta="a"
    ),
    "smooth_l1_loss shapes": lambda T: T.nn.functional.smooth_l1_loss(T.ones(2, 3), T.ones(2)),
    "smooth_l1_loss int64": lambda T: T.nn.functional.smooth_l1_loss(T.arange(3), T.arange(3)),
    "huber_loss reduction": lambda T: T.nn.functional.huber_loss(T.ones(2), T.ones(2), "x"),
    "huber_loss delta 0": lambda T: T.nn.functional.huber_loss(T.ones(2), T.ones(2), delta=0),
    "huber_loss negative delta": lambda T: T.nn.HuberLoss(delta=-1.0)(T.ones(2), T.ones(2)),
    "huber_loss delta str": lambda T: T.nn.functional.huber_loss(T.ones(2), T.ones(2), delta="a"),
    "huber_loss weight size": lambda T: T.nn.functional.huber_loss(
        T.ones(3), T.ones(3), weight=T.ones(3, 1)
    ),
    "huber_loss weight reduction": lambda T: T.nn.functional.huber_loss(
        T.ones(3), T.ones(3), "x", weight=T.ones(3)
    ),
    "huber_loss int64": lambda T: T.nn.functional.huber_loss(T.arange(3), T.arange(3)),
    "bce target size": lambda T: T.nn.functional.binary_cross_entropy(T.ones(3), T.ones(1)),
    "bce reduction": lambda T: T.nn.functional.binary_cross_entropy(
        T.ones(3), T.ones(3), reduction="x"
    ),
    "bce weight against the target": lambda T: T.nn.functional.binary_cross_entropy(
        T.ones(2, 3), T.ones(2, 3), T.ones(4, 1, 2)
    ),
    "bce weight larger than the input": lambda T: T.nn.functional.binary_cross_entropy(
        T.ones(3), T.ones(3), T.ones(2, 3)
    ),
    "bce weight a number": lambda T: T.nn.functional.binary_cross_entropy(
        T.ones(3), T.ones(3), weight=2
    ),
    "bce weight requires grad": lambda T: T.nn.functional.binary_cross_entropy(
        T.ones(3), T.ones(3), T.ones(3, requires_grad=True)
    ),
    "bce target dtype": lambda T: T.nn.functional.binary_cross_entropy(
        T.ones(3), T.ones(3, dtype=T.float64)
    ),
    "bce int64": lambda T: T.nn.functional.binary_cross_entropy(
        T.ones(3, dtype=T.int64), T.ones(3, dtype=T.int64)
    ),
    "BCELoss target size": lambda T: T.nn.BCELoss()(T.ones(2, 1), T.ones(2)),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch_at_the_line(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the target size warning some of them give first
        check_error_at_line(ERRORS[name])


# ---------------------------------------------------------------- training


def _regression_data(T, seed: int):
    torch.manual_seed(seed)
    x, y = torch.randn(16, 4), torch.randn(16, 2)
    return (x, y) if T is torch else (gradrpc.tensor(x.numpy()), gradrpc.tensor(y.numpy()))


def _labels_data(T, seed: int):
    torch.manual_seed(seed)
    x, y = torch.randn(16, 4), (torch.rand(16, 3) > 0.5).float()
    return (x, y) if T is torch else (gradrpc.tensor(x.numpy()), gradrpc.tensor(y.numpy()))


TRAINING = {
    "Linear GELU Linear, SmoothL1Loss": (
        lambda nn: nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.Linear(8, 2)),
        lambda T: T.nn.SmoothL1Loss(beta=0.5),
        _regression_data,
    ),
    "LeakyReLU_ and ELU_ in place, L1Loss": (
        lambda nn: nn.Sequential(
            nn.Linear(4, 8),
            nn.LeakyReLU(0.1, inplace=True),
            nn.Linear(8, 8),
            nn.ELU(inplace=True),
            nn.Linear(8, 2),
        ),
        lambda T: T.nn.L1Loss(),
        _regression_data,
    ),
    "SiLU Softplus, HuberLoss": (
        lambda nn: nn.Sequential(
            nn.Linear(4, 8), nn.SiLU(), nn.Linear(8, 8), nn.Softplus(beta=2), nn.Linear(8, 2)
        ),
        lambda T: T.nn.HuberLoss(delta=0.5),
        _regression_data,
    ),
    "SELU CELU Hardtanh ReLU6, SmoothL1Loss beta 2": (
        lambda nn: nn.Sequential(
            nn.Linear(4, 8),
            nn.SELU(),
            nn.Linear(8, 8),
            nn.CELU(0.5),
            nn.Linear(8, 8),
            nn.Hardtanh(-0.5, 0.5),
            nn.Linear(8, 8),
            nn.ReLU6(inplace=True),
            nn.Linear(8, 2),
        ),
        lambda T: T.nn.SmoothL1Loss(beta=2.0),
        _regression_data,
    ),
    "Linear Sigmoid, BCELoss with a weight": (
        lambda nn: nn.Sequential(nn.Linear(4, 3), nn.Sigmoid()),
        lambda T: T.nn.BCELoss(weight=T.tensor([1.0, 2.0, 0.5])),
        _labels_data,
    ),
}


@pytest.mark.parametrize("name", TRAINING)
def test_training_loop_losses_match_torch(name: str) -> None:
    """Five SGD steps from the same initial weights (torch's, loaded into ours)."""
    build, make_loss, data = TRAINING[name]
    torch.manual_seed(0)
    runs = train_alike(
        build,
        lambda T, parameters: T.optim.SGD(parameters, lr=0.2),
        make_loss,
        lambda T: data(T, 1),
        steps=5,
    )
    assert_trains_alike(runs)
