"""PReLU, GLU and Threshold, as functions (torch.prelu, Tensor.prelu, F.prelu, F.glu,
F.threshold, F.threshold_, torch.threshold, torch.threshold_) and as modules, against torch
2.13: values and gradients of input and weight in float32 and float64, the graphs recorded
(prelu's reshaped weight, threshold_'s ThresholdBackward1), int64 thresholds, special
values, reprs and state dicts, torch's errors at the line, and a training loop."""

from __future__ import annotations

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import assert_trains_alike, check_error_at_line, check_same, graph_of, train_alike

DTYPES = ["float32", "float64"]
TOLERANCE = {"float32": {"rtol": 1e-6, "atol": 1e-6}, "float64": {"rtol": 1e-12, "atol": 1e-14}}
VALUES = np.linspace(-3.0, 3.0, 24).reshape(2, 3, 4)  # no element is 0
GRAD_OUTPUT = np.cos(np.arange(24.0)).reshape(2, 3, 4)
SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, 1.0, -1.0, 50.0, -50.0]


def _tensor(T, values, dtype: str, requires_grad: bool = True):
    data = np.asarray(values).tolist()
    return T.tensor(data, dtype=getattr(T, dtype), requires_grad=requires_grad)


# ---------------------------------------------------------------- prelu

PRELU = {
    "one slope": lambda T, x, w: T.nn.functional.prelu(x, w[:1]),
    "a slope per channel": lambda T, x, w: T.nn.functional.prelu(x, w),
    "0-d slope": lambda T, x, w: T.prelu(x, w[1]),
    "method": lambda T, x, w: x.prelu(w),
    "2-d input": lambda T, x, w: T.prelu(x[0].t(), w[:4] if len(w) > 3 else w[:1]),
    "1-d input, one slope": lambda T, x, w: T.prelu(x[0, 0], w[:1]),
    "0-d input, 0-d slope": lambda T, x, w: T.prelu(x[0, 0, 0], w[2]),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", PRELU)
def test_prelu_matches_torch(name: str, dtype: str) -> None:
    """The values, the graph (the weight's reshape is torch's ViewBackward0) and both
    gradients, the weight's summed over the dims it broadcasts along."""

    def scenario(T):
        x = _tensor(T, VALUES, dtype)
        w = _tensor(T, [0.25, -0.5, 2.0], dtype)
        y = PRELU[name](T, x, w)
        y.backward(T.ones_like(y) * 0.5 + y.detach() * 0)
        return y, graph_of(y.grad_fn), x.grad, w.grad

    check_same(scenario, **TOLERANCE[dtype])


def test_prelu_without_a_weight_gradient_records_torch_s_graph() -> None:
    def scenario(T):
        x = _tensor(T, VALUES, "float32")
        y = T.nn.functional.prelu(x * 2, T.tensor([0.1, 0.2, 0.3]))
        y.backward(_tensor(T, GRAD_OUTPUT, "float32", False))
        return y, graph_of(y.grad_fn), x.grad

    check_same(scenario)


@pytest.mark.parametrize("dtype", DTYPES)
def test_prelu_of_special_values_matches_torch(dtype: str) -> None:
    def scenario(T):
        x = _tensor(T, SPECIAL, dtype)
        w = _tensor(T, [-0.5], dtype)
        y = T.prelu(x, w)
        y.backward(T.ones_like(y))
        return y, x.grad, w.grad

    check_same(scenario, **TOLERANCE[dtype])


def test_prelu_module_matches_torch() -> None:
    """PReLU's repr, its state dict, its slopes starting at init, reset_parameters, and
    its gradients."""

    def scenario(T):
        module = T.nn.PReLU(3, init=0.1, dtype=T.float64)
        single = T.nn.PReLU()
        x = _tensor(T, VALUES, "float64")
        module(x).sum().backward()
        with T.no_grad():
            module.weight.mul_(3)
        module.reset_parameters()
        return (
            repr(module),
            repr(single),
            list(module.state_dict()),
            module.weight.grad,
            module.weight,
            single.weight,
            single(x[0]),
        )

    check_same(scenario, rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------- glu


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [-1, 0, 1, 2, -3])
def test_glu_matches_torch(dim: int, dtype: str) -> None:
    def scenario(T):
        x = _tensor(T, np.linspace(-4.0, 4.0, 48).reshape(2, 6, 4), dtype)
        y = T.nn.functional.glu(x, dim)
        y.backward(T.ones_like(y) * 0.75)
        return y, graph_of(y.grad_fn), x.grad

    check_same(scenario, **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_glu_of_special_values_matches_torch(dtype: str) -> None:
    """Each special value gates each other one (a in the first half, b in the second)."""

    def scenario(T):
        pairs = np.array([(a, b) for a in SPECIAL for b in SPECIAL]).T  # (2, 100)
        x = _tensor(T, pairs, dtype)
        y = T.nn.functional.glu(x, 0)
        y.backward(T.ones_like(y))
        return y, x.grad

    check_same(scenario, **TOLERANCE[dtype])


def test_glu_module_matches_torch() -> None:
    def scenario(T):
        x = _tensor(T, VALUES.reshape(6, 4), "float32")
        y = T.nn.GLU(0)(x)
        y.sum().backward()
        return repr(T.nn.GLU()), repr(T.nn.GLU(dim=0)), y, x.grad, T.nn.GLU()(x[:, :0]).shape

    check_same(scenario)


# ---------------------------------------------------------------- threshold

THRESHOLDS = {
    "float bounds": lambda T, x: T.nn.functional.threshold(x, 0.5, 20.0),
    "int bounds": lambda T, x: T.nn.functional.threshold(x, 1, -2),
    "keywords": lambda T, x: T.nn.functional.threshold(x, threshold=-1.0, value=0.25),
    "bool value": lambda T, x: T.threshold(x, 0.0, True),
    "torch.threshold": lambda T, x: T.threshold(x, 2.5, 0.0),
    "module": lambda T, x: T.nn.Threshold(0.1, 20)(x),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", THRESHOLDS)
def test_threshold_matches_torch(name: str, dtype: str) -> None:
    def scenario(T):
        x = _tensor(T, VALUES, dtype)
        y = THRESHOLDS[name](T, x)
        y.backward(_tensor(T, GRAD_OUTPUT, dtype, False))
        return y, graph_of(y.grad_fn), x.grad

    check_same(scenario, **TOLERANCE[dtype])


IN_PLACE = {
    "F.threshold_": lambda T, h: T.nn.functional.threshold_(h, 0.5, 9.0),
    "inplace=True": lambda T, h: T.nn.functional.threshold(h, 0.5, 9.0, inplace=True),
    "torch.threshold_": lambda T, h: T.threshold_(h, 0.5, 9.0),
    "module": lambda T, h: T.nn.Threshold(0.5, 9.0, inplace=True)(h),
}


@pytest.mark.parametrize("name", IN_PLACE)
def test_threshold_in_place_records_threshold_backward1(name: str) -> None:
    """threshold_ replaces the values in place and records ThresholdBackward1, which saves
    the input as it was: the gradient is zero where the input was at or below the threshold,
    even where the value written there is above it."""

    def scenario(T):
        x = _tensor(T, VALUES, "float64")
        h = x * 1.5
        y = IN_PLACE[name](T, h)
        y.backward(_tensor(T, GRAD_OUTPUT, "float64", False))
        return y is h, h, graph_of(h.grad_fn), x.grad

    check_same(scenario, rtol=1e-12, atol=1e-14)


def test_threshold_in_place_through_a_view_matches_torch() -> None:
    def scenario(T):
        x = _tensor(T, VALUES.reshape(-1), "float64")
        h = x * 1.5
        T.nn.functional.threshold_(h[2:-3:2], 0.0, -7.0)
        h.backward(_tensor(T, GRAD_OUTPUT.reshape(-1), "float64", False))
        return h, graph_of(h.grad_fn), x.grad

    check_same(scenario, rtol=1e-12, atol=1e-14)


def test_threshold_takes_its_numbers_in_the_input_s_dtype() -> None:
    """An int64 input truncates the threshold and the value; float32 rounds them (so a
    threshold just above 1 is 1); nan never passes the threshold test."""

    def scenario(T):
        ints = T.arange(-3, 5)
        floats = T.tensor([1.0, 2.0, float("nan"), -1.0])
        return (
            T.threshold(ints, 1.5, 100),
            T.threshold(ints, -1.5, 7.9),
            T.threshold(ints, 2, True),
            T.threshold(floats, 1.00000001, 3.0),
            T.threshold(floats.double(), 1.00000001, 3.0),
            T.threshold(floats, float("nan"), 5.0),
            T.threshold(floats, float("inf"), -1.0),
            T.threshold(floats, 0.0, float("-inf")),
            T.threshold(T.tensor(2.0), 1, 0),
        )

    check_same(scenario)


@pytest.mark.parametrize("dtype", DTYPES)
def test_threshold_of_special_values_matches_torch(dtype: str) -> None:
    def scenario(T):
        x = _tensor(T, SPECIAL, dtype)
        y = T.threshold(x, 0.0, -1.0)
        y.backward(T.ones_like(y))
        return y, x.grad

    check_same(scenario, **TOLERANCE[dtype])


def test_threshold_module_reprs_match_torch() -> None:
    check_same(
        lambda T: [
            repr(T.nn.Threshold(0.1, 20)),
            repr(T.nn.Threshold(1, 2.5, inplace=True)),
            repr(T.nn.Sequential(T.nn.Linear(2, 2), T.nn.Threshold(0.0, -1.0), T.nn.GLU())),
        ]
    )


# ---------------------------------------------------------------- errors at the line

ERRORS = {
    "prelu dtypes": lambda T: T.prelu(T.ones(2, 3), T.ones(3, dtype=T.float64)),
    "prelu int64 weight": lambda T: T.prelu(T.ones(2, 3), T.ones(1, dtype=T.int64)),
    "prelu int64": lambda T: T.prelu(T.arange(3), T.ones(1, dtype=T.int64)),
    "prelu bool": lambda T: T.prelu(T.tensor([True]), T.tensor([True])),
    "prelu channels": lambda T: T.nn.functional.prelu(T.ones(2, 3), T.ones(2)),
    "prelu 1-d channels": lambda T: T.prelu(T.ones(2), T.ones(2)),
    "prelu 0-d input": lambda T: T.prelu(T.tensor(1.0), T.ones(3)),
    "prelu 2-d weight": lambda T: T.prelu(T.ones(2, 3), T.ones(1, 3)),
    "prelu 2-d single weight": lambda T: T.prelu(T.ones(2, 3), T.ones(1, 1)),
    "prelu weight number": lambda T: T.prelu(T.ones(3), 0.5),
    "prelu input number": lambda T: T.nn.functional.prelu(1, T.ones(1)),
    "PReLU channels": lambda T: T.nn.PReLU(3)(T.ones(2, 4)),
    "glu 0-d": lambda T: T.nn.functional.glu(T.tensor(3.0)),
    "glu odd": lambda T: T.nn.functional.glu(T.ones(2, 3)),
    "glu odd dim 0": lambda T: T.nn.functional.glu(T.ones(3, 2), 0),
    "glu odd int64": lambda T: T.nn.functional.glu(T.arange(3)),
    "glu int64": lambda T: T.nn.functional.glu(T.arange(4)),
    "glu dim": lambda T: T.nn.functional.glu(T.ones(2, 4), 2),
    "glu negative dim": lambda T: T.nn.functional.glu(T.ones(2, 4), -3),
    "glu dim float": lambda T: T.nn.functional.glu(T.ones(4), 0.5),
    "glu input number": lambda T: T.nn.functional.glu(1),
    "GLU odd": lambda T: T.nn.GLU()(T.ones(5)),
    "threshold bool": lambda T: T.nn.functional.threshold(T.tensor([True]), 0, 1),
    "threshold str": lambda T: T.nn.functional.threshold(T.ones(2), "a", 1),
    "threshold_ value str": lambda T: T.nn.functional.threshold_(T.ones(2), 1, "b"),
    "torch.threshold value None": lambda T: T.threshold(T.ones(2), 1, None),
    "threshold input": lambda T: T.nn.functional.threshold([1.0], 0, 1),
    "threshold_ input": lambda T: T.threshold_(1.0, 0, 1),
    "threshold int64 nan": lambda T: T.threshold(T.arange(3), float("nan"), 0),
    "threshold int64 inf value": lambda T: T.threshold(T.arange(3), 1, float("inf")),
    "threshold float32 value too large": lambda T: T.threshold(T.ones(2), 1, 1e39),
    "threshold_ on a leaf": lambda T: T.threshold_(T.ones(2, requires_grad=True), 0, 1),
    "Threshold missing value": lambda T: T.nn.Threshold(0.1),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch_at_the_line(name: str) -> None:
    check_error_at_line(ERRORS[name])


# ---------------------------------------------------------------- training


def test_a_model_with_prelu_glu_and_threshold_trains_as_torch_s() -> None:
    """A gated MLP (Linear, GLU, PReLU per channel, Threshold) under Adam: the same losses
    as torch's for 15 steps, the slopes learned included."""
    x_values = np.sin(np.arange(64.0) * 0.37).reshape(16, 4)
    y_values = np.cos(np.arange(16.0) * 0.5).reshape(16, 1)
    runs = train_alike(
        lambda nn: nn.Sequential(
            nn.Linear(4, 16), nn.GLU(), nn.PReLU(8), nn.Threshold(-0.5, -0.5), nn.Linear(8, 1)
        ),
        lambda T, parameters: T.optim.Adam(parameters, lr=0.02),
        lambda T: T.nn.MSELoss(),
        lambda T: (T.tensor(x_values.tolist()), T.tensor(y_values.tolist())),
        steps=15,
    )
    assert_trains_alike(runs)
    slopes = {T: runs[T][0][2].weight.detach().numpy() for T in runs}
    np.testing.assert_allclose(slopes[gradrpc], slopes[torch], rtol=1e-5, atol=1e-6)
    assert not np.allclose(slopes[torch], 0.25)  # the slopes did learn
