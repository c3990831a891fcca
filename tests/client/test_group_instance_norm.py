"""nn.GroupNorm, nn.InstanceNorm1d/2d/3d, nn.functional.group_norm and instance_norm against
torch 2.13: values and gradients of the input, weight and bias in float32 and float64, the
graphs torch records (NativeGroupNormBackward0; instance_norm's ViewBackward0 over
NativeBatchNormBackward0 of repeated parameters), the running statistics instance_norm
leaves, the modules' reprs, parameters, buffers and state_dicts, unbatched inputs, torch's
warnings and errors at the line, and training loops."""

from __future__ import annotations

import warnings

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import (
    assert_trains_alike,
    check_error_at_line,
    check_raised_at_the_next_read,
    check_same,
    graph_of,
    train_alike,
)

TOLERANCE = {"float32": {"rtol": 2e-5, "atol": 2e-6}, "float64": {"rtol": 1e-11, "atol": 1e-12}}
AFFINE = ["weight and bias", "weight only", "bias only", "neither"]


def _values(shape, seed, scale=3.0, shift=1.5):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * scale + shift).tolist()


def _affine(T, affine: str, channels: int, kind):
    """(weight, bias, the leaves behind them): the parameters `affine` names, requiring grad."""
    w = T.tensor(_values(channels, 1, 1.0, 0.5), dtype=kind, requires_grad=True)
    b = T.tensor(_values(channels, 2, 1.0, 0.0), dtype=kind, requires_grad=True)
    weight = w if "weight" in affine else None
    bias = b if affine in ("weight and bias", "bias only") else None
    return weight, bias, w, b


# ---------------------------------------------------------------- group_norm

GROUP_SHAPES = {
    "(N, C), 3 groups": ((4, 6), 3),
    "(N, C, L), 2 groups": ((2, 4, 5), 2),
    "(N, C, H, W), 1 group": ((2, 6, 2, 3), 1),
    "(N, C, H, W), a group per channel": ((3, 4, 2, 2), 4),
    "(N, C, D, H, W), 2 groups": ((2, 4, 2, 2, 3), 2),
}


@pytest.mark.parametrize("affine", AFFINE)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", GROUP_SHAPES)
def test_group_norm_values_gradients_and_graph_match_torch(case, dtype, affine) -> None:
    """(A bias alone here requires no grad: see the next test.)"""
    shape, groups = GROUP_SHAPES[case]

    def scenario(T):
        kind = getattr(T, dtype)
        x = T.tensor(_values(shape, 0), dtype=kind, requires_grad=True)
        weight, bias, w, b = _affine(T, affine, shape[1], kind)
        if affine == "bias only":
            bias = bias.detach()
        y = T.nn.functional.group_norm(x, groups, weight, bias, eps=1e-4)
        y.backward(T.tensor(_values(shape, 5, 1.0, 0.0), dtype=kind))
        return y, graph_of(y.grad_fn), x.grad, w.grad, b.grad

    check_same(scenario, **TOLERANCE[dtype])


@pytest.mark.parametrize("input_grad", [True, False])
def test_group_norm_backward_for_a_bias_without_weight_fails_as_torch_s(input_grad) -> None:
    """torch 2.13's backward fails when the bias needs a gradient and there is no weight;
    gradrpc's fails alike, at the next read."""

    def scenario(T):
        x = T.tensor(_values((2, 4, 3), 0), requires_grad=input_grad)
        b = T.zeros(4, requires_grad=True)
        T.nn.functional.group_norm(x, 2, None, b).sum().backward()
        return b.grad.tolist()

    check_raised_at_the_next_read(scenario, "backward")


def test_group_norm_of_a_non_contiguous_input_clones_it_as_torch() -> None:
    """torch makes the input contiguous first: CloneBackward0 under the node."""

    def scenario(T):
        x = T.tensor(_values((2, 3, 4), 3), requires_grad=True)
        w = T.tensor(_values(4, 4, 1.0, 1.0), requires_grad=True)
        y = T.nn.functional.group_norm(x.transpose(1, 2), 2, w)
        (y * y).sum().backward()
        return y, graph_of(y.grad_fn), x.grad, w.grad

    check_same(scenario, **TOLERANCE["float32"])


def test_group_norm_of_a_constant_group_and_of_empty_inputs_match_torch() -> None:
    """A constant group with eps=0 is nan (0 · ∞), as torch's; empty groups give a nan weight
    gradient (torch's μ = 0 and ρ = nan) and inputs without samples zero gradients."""

    def scenario(T):
        x = T.tensor([[[1.0, 1.0], [3.0, 4.0]]], requires_grad=True)
        constant = T.nn.functional.group_norm(x, 2, None, None, 0.0)
        outputs = [constant]
        for shape in ((2, 4, 0), (0, 4, 3), (2, 0, 3)):
            e = T.ones(*shape, requires_grad=True)
            w = T.ones(shape[1], requires_grad=True)
            b = T.zeros(shape[1], requires_grad=True)
            y = T.nn.functional.group_norm(e, 2, w, b)
            y.sum().backward()
            outputs += [y, e.grad, w.grad, b.grad]
        return outputs

    check_same(scenario)


def _f(T):
    return T.nn.functional


GROUP_NORM_ERRORS = {
    "num_groups 0": lambda T: _f(T).group_norm(T.ones(2, 4, 3), 0),
    "num_groups negative": lambda T: _f(T).group_norm(T.ones(2, 4, 3), -1),
    "channels not divisible": lambda T: _f(T).group_norm(T.ones(2, 4, 3), 3),
    "more groups than channels": lambda T: _f(T).group_norm(T.ones(2, 4, 3), 8),
    "1-d input": lambda T: _f(T).group_norm(T.ones(4), 2),
    "0-d input": lambda T: _f(T).group_norm(T.tensor(1.0), 1),
    "one value per group": lambda T: _f(T).group_norm(T.ones(1, 4), 4),
    "one value per group, 3-d": lambda T: _f(T).group_norm(T.ones(1, 4, 1), 4),
    "weight size": lambda T: _f(T).group_norm(T.ones(2, 4, 3), 2, T.ones(5)),
    "weight of two dims": lambda T: _f(T).group_norm(T.ones(2, 4, 3), 2, T.ones(4, 1)),
    "0-d weight": lambda T: _f(T).group_norm(T.ones(2, 4, 3), 2, T.tensor(1.0)),
    "bias size": lambda T: _f(T).group_norm(T.ones(2, 4, 3), 2, T.ones(4), T.ones(5)),
    "bias size without a weight": lambda T: _f(T).group_norm(T.ones(2, 4, 3), 2, None, T.ones(5)),
    "long input": lambda T: _f(T).group_norm(T.ones(2, 4, 3, dtype=T.int64), 2),
    "bool input": lambda T: _f(T).group_norm(T.ones(2, 4, 3, dtype=T.bool), 2),
    "long input, float weight": lambda T: _f(T).group_norm(
        T.ones(2, 4, 3, dtype=T.int64), 2, T.ones(4)
    ),
    "long weight": lambda T: _f(T).group_norm(T.ones(2, 4, 3), 2, T.ones(4, dtype=T.int64)),
    "double input, float weight": lambda T: _f(T).group_norm(
        T.ones(2, 4, 3, dtype=T.float64), 2, T.ones(4)
    ),
    "float input, double weight": lambda T: _f(T).group_norm(
        T.ones(2, 4, 3), 2, T.ones(4, dtype=T.float64)
    ),
    "float weight, double bias": lambda T: _f(T).group_norm(
        T.ones(2, 4, 3), 2, T.ones(4), T.zeros(4, dtype=T.float64)
    ),
    "double input, float bias alone": lambda T: _f(T).group_norm(
        T.ones(2, 4, 3, dtype=T.float64), 2, None, T.zeros(4)
    ),
    "sizes checked before dtypes": lambda T: _f(T).group_norm(
        T.ones(2, 4, 3, dtype=T.float64), 3, T.ones(5)
    ),
    "float num_groups": lambda T: _f(T).group_norm(T.ones(2, 4, 3), 2.0),
    "weight not a tensor": lambda T: _f(T).group_norm(T.ones(2, 4, 3), 2, [1.0] * 4),
    "eps not a number": lambda T: _f(T).group_norm(T.ones(2, 4, 3), 2, eps="a"),
    "input not a tensor": lambda T: _f(T).group_norm([1.0, 2.0], 1),
    "module: channels not divisible": lambda T: T.nn.GroupNorm(3, 4),
    "module: no groups": lambda T: T.nn.GroupNorm(0, 4),
    "module: float num_channels": lambda T: T.nn.GroupNorm(2, 4.0),
    "module: input of other channels": lambda T: T.nn.GroupNorm(2, 4)(T.ones(2, 6, 3)),
    "module: channels not divisible by the input's": lambda T: T.nn.GroupNorm(2, 4)(
        T.ones(2, 3, 3)
    ),
}


@pytest.mark.parametrize("name", GROUP_NORM_ERRORS)
def test_group_norm_errors_match_torch_at_the_line(name: str) -> None:
    check_error_at_line(GROUP_NORM_ERRORS[name])


@pytest.mark.parametrize(
    "build",
    [
        lambda T: T.nn.GroupNorm(2, 4),
        lambda T: T.nn.GroupNorm(3, 6, 1e-3, False),
        lambda T: T.nn.GroupNorm(1, 4, bias=False),
        lambda T: T.nn.GroupNorm(2, 4, dtype=T.float64),
        lambda T: T.nn.GroupNorm(2.0, 4),
        lambda T: T.nn.GroupNorm(2, 0),
        lambda T: T.nn.Sequential(T.nn.Conv1d(2, 4, 3), T.nn.GroupNorm(2, 4), T.nn.ReLU()),
    ],
)
def test_group_norm_module_repr_parameters_and_state_dict_match_torch(build) -> None:
    def scenario(T):
        m = build(T)
        return (
            repr(m),
            [(n, p.dtype, tuple(p.shape)) for n, p in m.named_parameters()],
            list(m.state_dict().items()) if not isinstance(m, T.nn.Sequential) else None,
        )

    check_same(scenario)


def test_group_norm_module_forward_backward_and_reset_match_torch() -> None:
    def scenario(T):
        m = T.nn.GroupNorm(2, 4, eps=1e-3)
        with T.no_grad():
            m.weight.mul_(2.0)
            m.bias.add_(0.5)
        x = T.tensor(_values((3, 4, 2, 2), 6), requires_grad=True)
        y = m(x)
        (y * y).sum().backward()
        grads = [x.grad, m.weight.grad, m.bias.grad]
        m.reset_parameters()
        return y, graph_of(y.grad_fn), grads, list(m.state_dict().items())

    check_same(scenario, **TOLERANCE["float32"])


# ---------------------------------------------------------------- instance_norm

INSTANCE_SHAPES = {
    "(N, C, L)": (2, 3, 5),
    "(N, C, H, W)": (3, 2, 2, 3),
    "(N, C, D, H, W)": (2, 3, 2, 2, 2),
    "(1, C, L)": (1, 3, 4),
}
MODES = ["input statistics", "input statistics and running ones", "running statistics"]


@pytest.mark.parametrize("affine", ["weight and bias", "weight only", "neither"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", INSTANCE_SHAPES)
def test_instance_norm_values_gradients_running_stats_and_graph_match_torch(
    case, dtype, mode, affine
) -> None:
    shape = INSTANCE_SHAPES[case]
    channels = shape[1]

    def scenario(T):
        kind = getattr(T, dtype)
        x = T.tensor(_values(shape, 0), dtype=kind, requires_grad=True)
        weight, bias, w, b = _affine(T, affine, channels, kind)
        mean = T.tensor(_values(channels, 3, 0.5, 0.0), dtype=kind)
        var = T.tensor(_values(channels, 4, 0.5, 2.0), dtype=kind).abs()
        running = (None, None) if mode == "input statistics" else (mean, var)
        y = T.nn.functional.instance_norm(
            x, *running, weight, bias, mode != "running statistics", momentum=0.2
        )
        y.backward(T.tensor(_values(shape, 5, 1.0, 0.0), dtype=kind))
        return y, graph_of(y.grad_fn), x.grad, w.grad, b.grad, mean, var

    check_same(scenario, **TOLERANCE[dtype])


def test_instance_norm_of_a_non_contiguous_input_and_inputs_without_elements() -> None:
    """torch makes the input contiguous (CloneBackward0 under the view); an input without
    samples gives nan running statistics (the mean over no samples), one without spatial
    elements an empty result."""

    def scenario(T):
        x = T.tensor(_values((2, 4, 3), 3), requires_grad=True)
        w = T.tensor(_values(3, 4, 1.0, 1.0), requires_grad=True)
        y = T.nn.functional.instance_norm(x.transpose(1, 2), weight=w, eps=0.0)
        (y * y).sum().backward()
        mean, var = T.zeros(3), T.ones(3)
        no_samples = T.nn.functional.instance_norm(T.ones(0, 3, 4), mean, var)
        no_elements = T.nn.functional.instance_norm(T.ones(2, 3, 0))
        return y, graph_of(y.grad_fn), x.grad, w.grad, no_samples, mean, var, no_elements

    check_same(scenario, **TOLERANCE["float32"])


INSTANCE_NORM_ERRORS = {
    "1-d input": lambda T: _f(T).instance_norm(T.ones(4)),
    "0-d input": lambda T: _f(T).instance_norm(T.tensor(1.0)),
    "2-d input": lambda T: _f(T).instance_norm(T.ones(3, 4)),
    "one spatial element": lambda T: _f(T).instance_norm(T.ones(3, 4, 1)),
    "no running statistics for use_input_stats=False": lambda T: _f(T).instance_norm(
        T.ones(2, 3, 4), use_input_stats=False
    ),
    "one running statistic for use_input_stats=False": lambda T: _f(T).instance_norm(
        T.ones(2, 3, 4), T.zeros(3), use_input_stats=False
    ),
    "1-d input with running statistics": lambda T: _f(T).instance_norm(
        T.ones(4), T.zeros(4), T.ones(4), use_input_stats=False
    ),
    "0-d input with running statistics": lambda T: _f(T).instance_norm(
        T.tensor(1.0), T.zeros(1), T.ones(1), use_input_stats=False
    ),
    "one running statistic": lambda T: _f(T).instance_norm(T.ones(2, 3, 4), T.zeros(3)),
    "weight size": lambda T: _f(T).instance_norm(T.ones(2, 3, 4), weight=T.ones(4)),
    "bias size": lambda T: _f(T).instance_norm(T.ones(2, 3, 4), bias=T.ones(4)),
    "running_mean size": lambda T: _f(T).instance_norm(T.ones(2, 3, 4), T.zeros(4), T.ones(4)),
    "weight of two dims": lambda T: _f(T).instance_norm(T.ones(2, 3, 4), weight=T.ones(3, 1)),
    "long input": lambda T: _f(T).instance_norm(T.ones(2, 3, 4, dtype=T.int64)),
    "double input, float weight": lambda T: _f(T).instance_norm(
        T.ones(2, 3, 4, dtype=T.float64), weight=T.ones(3)
    ),
    "float input, double weight": lambda T: _f(T).instance_norm(
        T.ones(2, 3, 4), weight=T.ones(3, dtype=T.float64)
    ),
    "running_mean requires grad": lambda T: _f(T).instance_norm(
        T.ones(2, 3, 4), T.zeros(3, requires_grad=True), T.ones(3)
    ),
    "weight not a tensor": lambda T: _f(T).instance_norm(T.ones(2, 3, 4), weight=[1.0] * 3),
    "running_mean not a tensor": lambda T: _f(T).instance_norm(
        T.ones(2, 3, 4), [0.0] * 3, T.ones(3)
    ),
    "use_input_stats not a bool": lambda T: _f(T).instance_norm(T.ones(2, 3, 4), use_input_stats=1),
    "momentum not a number": lambda T: _f(T).instance_norm(T.ones(2, 3, 4), momentum="a"),
    "eps not a number": lambda T: _f(T).instance_norm(T.ones(2, 3, 4), eps="a"),
    "input not a tensor": lambda T: _f(T).instance_norm([1.0, 2.0]),
    "module: 4-d input to InstanceNorm1d": lambda T: T.nn.InstanceNorm1d(3)(T.ones(2, 3, 4, 5)),
    "module: 1-d input to InstanceNorm1d": lambda T: T.nn.InstanceNorm1d(3)(T.ones(4)),
    "module: 2-d input to InstanceNorm2d": lambda T: T.nn.InstanceNorm2d(3)(T.ones(3, 4)),
    "module: 3-d input to InstanceNorm3d": lambda T: T.nn.InstanceNorm3d(3)(T.ones(2, 3, 4)),
    "module: affine, other channels": lambda T: T.nn.InstanceNorm1d(3, affine=True)(
        T.ones(2, 5, 4)
    ),
    "module: affine, unbatched, other channels": lambda T: T.nn.InstanceNorm2d(3, affine=True)(
        T.ones(5, 4, 4)
    ),
    "module: one spatial element in training": lambda T: T.nn.InstanceNorm1d(3)(T.ones(2, 3, 1)),
    "module: float num_features, affine": lambda T: T.nn.InstanceNorm1d(3.0, affine=True),
}


@pytest.mark.parametrize("name", INSTANCE_NORM_ERRORS)
def test_instance_norm_errors_match_torch_at_the_line(name: str) -> None:
    check_error_at_line(INSTANCE_NORM_ERRORS[name])


@pytest.mark.parametrize(
    ("kind", "shape"),
    [("InstanceNorm1d", (5, 4)), ("InstanceNorm2d", (6, 4, 4))],
)
def test_instance_norm_warns_of_other_channels_without_affine_as_torch(kind, shape) -> None:
    """Without affine parameters num_features is not used: a mismatch only warns, with
    torch's message, and the input is normalized."""

    def scenario(T):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = getattr(T.nn, kind)(3)(T.tensor(_values(shape, 2)))
        return y, [str(w.message) for w in caught], [w.category for w in caught]

    check_same(scenario, **TOLERANCE["float32"])


@pytest.mark.parametrize(
    ("kind", "batched"),
    [
        ("InstanceNorm1d", (2, 3, 5)),
        ("InstanceNorm2d", (2, 3, 2, 3)),
        ("InstanceNorm3d", (2, 3, 2, 2, 2)),
    ],
)
def test_instance_norm_modules_train_then_evaluate_as_torch_s(kind, batched) -> None:
    """With track_running_stats, training steps update the running statistics (never
    num_batches_tracked) and evaluation uses them; an unbatched input is one sample
    (UnsqueezeBackward0 under, SqueezeBackward1 over)."""

    def scenario(T):
        m = getattr(T.nn, kind)(3, momentum=0.3, affine=True, track_running_stats=True)
        outputs = []
        for step in range(3):
            x = T.tensor(_values(batched, step), requires_grad=True)
            y = m(x)
            (y * y).sum().backward()
            outputs += [y, x.grad]
        unbatched = T.tensor(_values(batched[1:], 8), requires_grad=True)
        single = m(unbatched)
        single.sum().backward()
        m.eval()
        x = T.tensor(_values(batched, 9), requires_grad=True)
        y = m(x)
        (y * y).sum().backward()
        return (
            repr(m),
            outputs,
            single,
            graph_of(single.grad_fn),
            unbatched.grad,
            y,
            graph_of(y.grad_fn),
            x.grad,
            m.weight.grad,
            m.bias.grad,
            list(m.state_dict().items()),
        )

    check_same(scenario, **TOLERANCE["float32"])


def test_instance_norm_without_tracking_uses_the_input_s_statistics_in_evaluation() -> None:
    """track_running_stats=False (the default): evaluation normalizes with the input's
    statistics too; momentum=None with tracking leaves the running statistics as they are."""

    def scenario(T):
        plain = T.nn.InstanceNorm1d(3)
        plain.eval()
        x = T.tensor(_values((2, 3, 4), 1))
        frozen = T.nn.InstanceNorm1d(3, momentum=None, track_running_stats=True)
        after = frozen(x)
        return plain(x), after, list(frozen.state_dict().items())

    check_same(scenario, **TOLERANCE["float32"])


@pytest.mark.parametrize(
    "build",
    [
        lambda T: T.nn.InstanceNorm1d(4),
        lambda T: T.nn.InstanceNorm2d(4, eps=1e-3, momentum=0.5, affine=True),
        lambda T: T.nn.InstanceNorm3d(4, 1e-3, None, True, True),
        lambda T: T.nn.InstanceNorm1d(4, affine=True, bias=False),
        lambda T: T.nn.InstanceNorm2d(4, track_running_stats=True, dtype=T.float64),
        lambda T: T.nn.InstanceNorm1d(3.0),
        lambda T: T.nn.Sequential(T.nn.Conv2d(2, 4, 3), T.nn.InstanceNorm2d(4), T.nn.ReLU()),
    ],
)
def test_instance_norm_module_repr_parameters_and_buffers_match_torch(build) -> None:
    def scenario(T):
        m = build(T)
        return (
            repr(m),
            [(n, p.dtype, tuple(p.shape)) for n, p in m.named_parameters()],
            list(m.named_buffers()),
            list(m.state_dict()),
        )

    check_same(scenario)


# ---------------------------------------------------------------- training loops


def test_training_loop_with_group_norm_matches_torch() -> None:
    """Ten SGD-with-momentum steps of Conv1d, GroupNorm, ReLU, Flatten, Linear from torch's
    initial weights: the losses agree."""
    torch.manual_seed(0)

    def build(nn):
        return nn.Sequential(
            nn.Conv1d(2, 6, 3), nn.GroupNorm(3, 6), nn.ReLU(), nn.Flatten(), nn.Linear(36, 2)
        )

    rng = np.random.default_rng(5)
    x, y = (rng.standard_normal((8, 2, 8)) * 2).tolist(), rng.standard_normal((8, 2)).tolist()
    runs = train_alike(
        build,
        lambda T, parameters: T.optim.SGD(parameters, lr=0.05, momentum=0.9),
        lambda T: T.nn.functional.mse_loss,
        lambda T: (T.tensor(x), T.tensor(y)),
    )
    assert_trains_alike(runs)


def test_training_loop_with_instance_norm_matches_torch() -> None:
    """Adam on Conv2d, InstanceNorm2d (affine, tracking running statistics), ReLU and a
    classifier: ten steps of losses agree, then the running statistics and the evaluation
    outputs. (The convolution has no bias: the normalization cancels it, its gradient is
    rounding noise, and Adam would make steps of that noise.)"""
    torch.manual_seed(1)

    def build(nn):
        return nn.Sequential(
            nn.Conv2d(1, 3, 2, bias=False),
            nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(27, 3),
        )

    rng = np.random.default_rng(3)
    images = (rng.standard_normal((6, 1, 4, 4)) * 2 + 1).tolist()
    labels = rng.integers(0, 3, 6).tolist()
    runs = train_alike(
        build,
        lambda T, parameters: T.optim.Adam(parameters, lr=0.01),
        lambda T: T.nn.functional.cross_entropy,
        lambda T: (T.tensor(images), T.tensor(labels)),
    )
    assert_trains_alike(runs)
    results = {}
    for T, (model, _, inputs) in runs.items():
        model.eval()
        with T.no_grad():
            evaluated = model(inputs[:2]).tolist()
        results[T] = evaluated, model[1].running_mean.tolist(), model[1].running_var.tolist()
    for ours, theirs in zip(results[gradrpc], results[torch], strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
