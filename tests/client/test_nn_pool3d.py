"""nn.MaxPool3d, nn.AvgPool3d, nn.AdaptiveAvgPool3d, nn.AdaptiveMaxPool3d and their functionals
against torch 2.13: values, indices and gradients in float32 and float64 over kernel sizes,
strides, paddings, dilations, ceil_mode, count_include_pad, divisor_override and adaptive
output sizes, batched and unbatched; the graph (a 1x1x1 adaptive average is torch's mean);
torch's errors at the line; the modules' reprs; a training loop of a 3-d CNN."""

from __future__ import annotations

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import assert_trains_alike, check_error_at_line, check_same, graph_of, train_alike

TOLERANCE = {"float32": {"rtol": 1e-6, "atol": 1e-7}, "float64": {"rtol": 1e-12, "atol": 1e-12}}


def _values(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).tolist()


MAX = {
    "2x2x2": ((2, 3, 4, 6, 6), (2,), {}),
    "3x2x2 stride 2 padding 1": ((2, 2, 5, 7, 6), ((3, 2, 2),), {"stride": 2, "padding": 1}),
    "dilated": ((1, 2, 7, 9, 8), ((2, 3, 2),), {"dilation": (3, 2, 3), "padding": (1, 1, 0)}),
    "ceil_mode": ((2, 2, 5, 7, 7), (3,), {"stride": 2, "ceil_mode": True}),
    "overlapping windows": ((1, 2, 4, 5, 5), (3,), {"stride": 1}),
    "unbatched": ((3, 4, 6, 5), (2,), {"stride": (1, 2, 1)}),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", MAX)
def test_max_pool3d_values_indices_gradients_and_graph_match_torch(case, dtype) -> None:
    shape, args, kwargs = MAX[case]

    def scenario(T):
        kind = getattr(T, dtype)
        x = T.tensor(_values(shape, 0), dtype=kind, requires_grad=True)
        y = T.nn.functional.max_pool3d(x * 1, *args, **kwargs)
        values, indices = T.nn.functional.max_pool3d(x, *args, **kwargs, return_indices=True)
        y.backward(T.tensor(_values(tuple(y.shape), 1), dtype=kind))
        return y, graph_of(y.grad_fn), values, indices, x.grad

    check_same(scenario, **TOLERANCE[dtype])


AVG = {
    "2x2x2": ((2, 3, 4, 6, 6), (2,), {}),
    "3x2x2 stride 2 padding 1": ((2, 2, 5, 7, 6), ((3, 2, 2),), {"stride": 2, "padding": 1}),
    "without the padding": ((2, 2, 5, 7, 7), (3,), {"padding": 1, "count_include_pad": False}),
    "ceil_mode": ((1, 2, 5, 5, 5), (2,), {"stride": 3, "ceil_mode": True}),
    "ceil_mode without the padding": (
        (1, 2, 5, 5, 6),
        (3,),
        {"stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    ),
    "divisor_override": ((1, 2, 4, 6, 6), (3,), {"stride": 1, "divisor_override": 4}),
    "unbatched": ((3, 4, 6, 5), (2,), {"stride": (1, 2, 1)}),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", AVG)
def test_avg_pool3d_values_gradients_and_graph_match_torch(case, dtype) -> None:
    shape, args, kwargs = AVG[case]

    def scenario(T):
        kind = getattr(T, dtype)
        x = T.tensor(_values(shape, 2), dtype=kind, requires_grad=True)
        y = T.nn.functional.avg_pool3d(x, *args, **kwargs)
        y.backward(T.tensor(_values(tuple(y.shape), 3), dtype=kind))
        return y, graph_of(y.grad_fn), x.grad

    check_same(scenario, **TOLERANCE[dtype])


ADAPTIVE = {
    "3x2x4 of 5x7x6": ((2, 3, 5, 7, 6), (3, 2, 4)),
    "larger than the input": ((3, 4, 7, 5), (6, 9, 6)),
    "None keeps a size": ((2, 3, 5, 7, 5), (None, 2, None)),
    "an int": ((1, 2, 6, 8, 8), 3),
    "1x1x1: torch's mean": ((2, 3, 4, 5, 3), 1),
    "1x1 by None": ((2, 3, 1, 4, 5), (None, 1, 1)),
    "an empty batch": ((0, 2, 3, 3, 3), 2),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", ADAPTIVE)
def test_adaptive_pool3d_values_indices_gradients_and_graph_match_torch(case, dtype) -> None:
    shape, size = ADAPTIVE[case]

    def scenario(T):
        kind = getattr(T, dtype)
        F = T.nn.functional
        x = T.tensor(_values(shape, 4), dtype=kind, requires_grad=True)
        mean = F.adaptive_avg_pool3d(x, size)
        largest = F.adaptive_max_pool3d(x * 1, size)
        values, indices = F.adaptive_max_pool3d(x, size, return_indices=True)
        (mean * T.tensor(_values(tuple(mean.shape), 5), dtype=kind)).sum().backward()
        (largest * T.tensor(_values(tuple(largest.shape), 6), dtype=kind)).sum().backward()
        return (
            mean,
            largest,
            graph_of(mean.grad_fn),
            graph_of(largest.grad_fn),
            values,
            indices,
            x.grad,
        )

    check_same(scenario, **TOLERANCE[dtype])


@pytest.mark.parametrize(
    "kwargs", [{"size": (3, 2, 4)}, {"scale_factor": 0.5}, {"size": 1}], ids=str
)
def test_area_interpolation_of_a_5d_input_is_torch_s_adaptive_avg_pool3d(kwargs) -> None:
    def scenario(T):
        x = T.tensor(_values((2, 2, 5, 7, 6), 10), requires_grad=True)
        y = T.nn.functional.interpolate(x, mode="area", **kwargs)
        y.backward(T.tensor(_values(tuple(y.shape), 11)))
        return y, graph_of(y.grad_fn), x.grad

    check_same(scenario)


def test_integer_and_special_values_match_torch() -> None:
    """int64 (avg_pool3d truncates toward zero), nan (max takes the last one), ties (the first)
    and -inf windows."""

    def scenario(T):
        F = T.nn.functional
        ints = T.arange(-60, 68).reshape(1, 2, 4, 4, 4)
        special = T.tensor(np.tile([1.0, np.nan, 1.0, -np.inf], 32).reshape(2, 4, 4, 4).tolist())
        return (
            F.max_pool3d(ints, 2, return_indices=True),
            F.avg_pool3d(ints, 3, 1, 1),
            F.avg_pool3d(ints, 2, divisor_override=-3),
            F.max_pool3d(special, 2, 1, return_indices=True),
            F.adaptive_max_pool3d(special, (3, 2, 3), return_indices=True),
            F.adaptive_avg_pool3d(special, 2),
            F.avg_pool3d(special, 2, 1),
        )

    check_same(scenario)


def test_pooling_arguments_torch_accepts() -> None:
    def scenario(T):
        x = T.tensor(_values((1, 2, 6, 7, 7), 7))
        F = T.nn.functional
        return (
            F.max_pool3d(x, [3, 2, 2], [2], T.Size([1, 0, 1]), (1, True, 1), False, True),
            F.max_pool3d(x, kernel_size=np.int64(2), stride=None),
            F.avg_pool3d(x, (3, 2, 2), None, 1, True, False, 3),
            F.avg_pool3d(input=x, kernel_size=2, stride=[2, 1, 2], ceil_mode=True),
            F.adaptive_max_pool3d(x, [2, 3, 4], False),
        )

    check_same(scenario)


ERRORS = {
    "max 3-d input": lambda T: T.nn.functional.max_pool3d(T.ones(3, 6, 6), 2),
    "max 6-d input": lambda T: T.nn.functional.max_pool3d(T.ones(1, 1, 3, 6, 6, 6), 2),
    "avg 3-d input": lambda T: T.nn.functional.avg_pool3d(T.ones(3, 6, 6), 2),
    "kernel of two": lambda T: T.nn.functional.max_pool3d(T.ones(1, 3, 6, 6), (2, 2)),
    "avg kernel of two": lambda T: T.nn.functional.avg_pool3d(T.ones(1, 3, 6, 6), (2, 2)),
    "stride of two": lambda T: T.nn.functional.max_pool3d(T.ones(1, 3, 6, 6), 2, (1, 1)),
    "avg padding of two": lambda T: T.nn.functional.avg_pool3d(T.ones(1, 3, 6, 6), 2, 1, (1, 1)),
    "dilation of two": lambda T: T.nn.functional.max_pool3d(T.ones(1, 3, 6, 6), 2, 1, 0, (1, 1)),
    "padding over half the kernel": lambda T: T.nn.functional.max_pool3d(
        T.ones(1, 2, 6, 6, 6), 3, padding=2
    ),
    "padding over half the undilated kernel": lambda T: T.nn.functional.max_pool3d(
        T.ones(1, 4, 6, 6), 2, 1, (1, 2, 1), 3
    ),
    "avg input smaller than the kernel": lambda T: T.nn.functional.avg_pool3d(
        T.ones(2, 4, 5, 6), 5, 1, 2
    ),
    "output too small": lambda T: T.nn.functional.max_pool3d(T.ones(1, 3, 2, 4, 4), 3),
    "zero stride": lambda T: T.nn.functional.max_pool3d(T.ones(1, 3, 6, 6), 2, stride=0),
    "zero kernel": lambda T: T.nn.functional.avg_pool3d(T.ones(1, 3, 6, 6), 0),
    "a zero in the kernel, stride 1": lambda T: T.nn.functional.max_pool3d(
        T.ones(1, 3, 6, 6), (2, 0, 2), 1
    ),
    "negative stride": lambda T: T.nn.functional.avg_pool3d(T.ones(1, 3, 6, 6), 2, -1),
    "negative padding": lambda T: T.nn.functional.max_pool3d(T.ones(1, 3, 6, 6), 2, padding=-1),
    "zero dilation": lambda T: T.nn.functional.max_pool3d(T.ones(1, 3, 6, 6), 2, dilation=0),
    "zero divisor": lambda T: T.nn.functional.avg_pool3d(T.ones(1, 3, 6, 6), 2, divisor_override=0),
    "no channels": lambda T: T.nn.functional.max_pool3d(T.ones(1, 0, 5, 5, 5), 2),
    "avg an empty depth": lambda T: T.nn.functional.avg_pool3d(T.ones(2, 0, 5, 5), 2),
    "bool input": lambda T: T.nn.functional.max_pool3d(T.ones(1, 4, 4, 4, dtype=T.bool), 2),
    "avg bool input": lambda T: T.nn.functional.avg_pool3d(T.ones(1, 4, 4, 4, dtype=T.bool), 2),
    "float kernel": lambda T: T.nn.functional.max_pool3d(T.ones(1, 4, 4, 4), 2.5),
    "float kernel with indices": lambda T: T.nn.functional.max_pool3d(
        T.ones(1, 4, 4, 4), 2.5, return_indices=True
    ),
    "float in the dilation": lambda T: T.nn.functional.max_pool3d(
        T.ones(1, 4, 4, 4), 2, 2, 0, (1, 2.0, 1)
    ),
    "int ceil_mode": lambda T: T.nn.functional.max_pool3d(T.ones(1, 4, 4, 4), 2, ceil_mode=1),
    "list input": lambda T: T.nn.functional.max_pool3d([1.0], 2),
    "avg float kernel": lambda T: T.nn.functional.avg_pool3d(T.ones(1, 4, 4, 4), 2.0),
    "avg missing kernel": lambda T: T.nn.functional.avg_pool3d(T.ones(1, 4, 4, 4)),
    "avg too many arguments": lambda T: T.nn.functional.avg_pool3d(
        T.ones(1, 4, 4, 4), 2, 2, 0, False, True, None, 5
    ),
    "avg kernel by keyword, no input": lambda T: T.nn.functional.avg_pool3d(kernel_size=2),
    "avg2d too many arguments": lambda T: T.nn.functional.avg_pool2d(
        T.ones(1, 4, 4), 2, 2, 0, False, True, None, 5
    ),
    "avg2d missing kernel": lambda T: T.nn.functional.avg_pool2d(T.ones(1, 4, 4)),
    "avg2d kernel by keyword, no input": lambda T: T.nn.functional.avg_pool2d(kernel_size=2),
    "avg unknown keyword": lambda T: T.nn.functional.avg_pool3d(T.ones(1, 4, 4, 4), 2, foo=1),
    "max too many arguments": lambda T: T.nn.functional.max_pool3d(
        T.ones(1, 4, 4, 4), 2, 2, 0, 1, False, False, 7
    ),
    "adaptive avg sizes of two": lambda T: T.nn.functional.adaptive_avg_pool3d(
        T.ones(1, 2, 3, 3, 3), (2, 2)
    ),
    "adaptive avg a negative size": lambda T: T.nn.functional.adaptive_avg_pool3d(
        T.ones(3, 4, 5), (2, -1, -3)
    ),
    "adaptive avg 3-d input": lambda T: T.nn.functional.adaptive_avg_pool3d(T.ones(3, 4, 5), 2),
    "adaptive avg no channels": lambda T: T.nn.functional.adaptive_avg_pool3d(
        T.ones(2, 0, 3, 4, 5), 2
    ),
    "adaptive avg int input": lambda T: T.nn.functional.adaptive_avg_pool3d(
        T.ones(1, 3, 4, 5, dtype=T.int64), 2
    ),
    "adaptive max 3-d input": lambda T: T.nn.functional.adaptive_max_pool3d(T.ones(3, 4, 5), 2),
    "adaptive max an empty dim": lambda T: T.nn.functional.adaptive_max_pool3d(
        T.ones(2, 3, 4, 0, 5), 2
    ),
    "adaptive max sizes of two": lambda T: T.nn.functional.adaptive_max_pool3d(
        T.ones(2, 3, 4, 5), (2, 2)
    ),
    "adaptive max a negative size": lambda T: T.nn.functional.adaptive_max_pool3d(
        T.ones(2, 3, 4, 5), (2, -1, 2)
    ),
    "adaptive max bool input": lambda T: T.nn.functional.adaptive_max_pool3d(
        T.ones(2, 3, 4, 5, dtype=T.bool), 2
    ),
    "adaptive None on a 3-d input": lambda T: T.nn.functional.adaptive_max_pool3d(
        T.ones(3, 4, 5), (None, 2, 2)
    ),
    "MaxPool3d too small": lambda T: T.nn.MaxPool3d(3)(T.ones(1, 2, 2, 2)),
    "AvgPool3d 6-d input": lambda T: T.nn.AvgPool3d(2)(T.ones(1, 1, 1, 4, 4, 4)),
}


@pytest.mark.parametrize("name", ERRORS)
def test_pooling_errors_match_torch_at_the_line(name: str) -> None:
    check_error_at_line(ERRORS[name])


@pytest.mark.parametrize("pool", ["adaptive_avg_pool3d", "adaptive_max_pool3d"])
def test_an_empty_adaptive_output_refuses_backward_as_torch(pool: str) -> None:
    """torch raises in backward(); gradrpc's backward is sent without waiting, so its error
    surfaces at the next read, the gradient's."""

    def scenario(T):
        x = T.ones(1, 2, 3, 3, 3, requires_grad=True)
        getattr(T.nn.functional, pool)(x, (2, 0, 2)).sum().backward()
        return x.grad.tolist()

    with pytest.raises(RuntimeError) as theirs:
        scenario(torch)
    with pytest.raises(RuntimeError) as ours:
        scenario(gradrpc)
    line = scenario.__code__.co_firstlineno + 2
    where = f"\n(gradrpc: raised by 'backward' queued at {__file__}:{line})"
    assert str(ours.value) == str(theirs.value) + where
    assert (gradrpc.ones(2) * 3).sum().item() == 6.0  # the session goes on


MODULES = {
    "MaxPool3d": lambda nn: nn.MaxPool3d(2),
    "MaxPool3d everything": lambda nn: nn.MaxPool3d(
        (2, 3, 2), stride=1, padding=1, dilation=2, return_indices=True, ceil_mode=True
    ),
    "AvgPool3d": lambda nn: nn.AvgPool3d(2),
    "AvgPool3d everything": lambda nn: nn.AvgPool3d(
        (2, 3, 2), stride=1, padding=1, ceil_mode=True, count_include_pad=False, divisor_override=3
    ),
    "AdaptiveAvgPool3d": lambda nn: nn.AdaptiveAvgPool3d((2, None, 3)),
    "AdaptiveAvgPool3d global": lambda nn: nn.AdaptiveAvgPool3d(1),
    "AdaptiveMaxPool3d": lambda nn: nn.AdaptiveMaxPool3d(3),
    "AdaptiveMaxPool3d with indices": lambda nn: nn.AdaptiveMaxPool3d((2, 3, 4), True),
}


@pytest.mark.parametrize("name", MODULES)
def test_pooling_module_repr_attributes_and_forward_match_torch(name) -> None:
    def scenario(T):
        m = MODULES[name](T.nn)
        x = T.tensor(_values((2, 2, 5, 6, 7), 8), requires_grad=True)
        y = m(x)
        values = y[0] if isinstance(y, tuple) else y
        values.sum().backward()
        names = ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "output_size")
        attributes = {a: getattr(m, a, None) for a in (*names, "divisor_override")}
        return repr(m), attributes, list(m.state_dict()), y, graph_of(values.grad_fn), x.grad

    check_same(scenario)


def test_training_loop_of_a_3d_cnn_with_pooling_matches_torch() -> None:
    """Ten SGD steps of Conv3d, ReLU, MaxPool3d, Conv3d, ReLU, AvgPool3d, AdaptiveMaxPool3d,
    Flatten, Linear and CrossEntropyLoss from torch's initial weights: the same losses."""
    torch.manual_seed(2)

    def build(nn):
        return nn.Sequential(
            nn.Conv3d(1, 3, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool3d(2),
            nn.Conv3d(3, 4, 3, padding=1),
            nn.ReLU(),
            nn.AvgPool3d(2, ceil_mode=True),
            nn.AdaptiveMaxPool3d(2),
            nn.Flatten(),
            nn.Linear(4 * 2 * 2 * 2, 3),
        )

    rng = np.random.default_rng(9)
    x = rng.standard_normal((6, 1, 6, 7, 6)).tolist()
    labels = rng.integers(0, 3, 6).tolist()
    runs = train_alike(
        build,
        lambda T, parameters: T.optim.SGD(parameters, lr=0.1, momentum=0.9),
        lambda T: T.nn.CrossEntropyLoss(),
        lambda T: (T.tensor(x), T.tensor(labels)),
    )
    assert_trains_alike(runs)
