"""nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool1d/2d and their functionals (max_pool2d with
return_indices too) against torch 2.13: values, indices and gradients in float32 and float64
over kernel sizes, strides, paddings, dilations, ceil_mode, count_include_pad,
divisor_override and adaptive output sizes, batched and unbatched; the graph (a 1x1 adaptive
output is torch's mean); torch's errors at the line; the modules' reprs; CNN training loops
with pooling."""

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
    "2x2": ((2, 3, 6, 6), (2,), {}),
    "3x2 stride 2 padding 1": ((2, 3, 7, 6), ((3, 2),), {"stride": 2, "padding": 1}),
    "dilated": ((1, 2, 9, 8), ((3, 2),), {"dilation": (2, 3), "padding": (1, 0)}),
    "ceil_mode": ((2, 2, 7, 7), (3,), {"stride": 2, "ceil_mode": True}),
    "overlapping windows": ((1, 2, 5, 5), (3,), {"stride": 1}),
    "unbatched": ((3, 6, 5), (2,), {"stride": (2, 1)}),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", MAX)
def test_max_pool2d_values_indices_gradients_and_graph_match_torch(case, dtype) -> None:
    shape, args, kwargs = MAX[case]

    def scenario(T):
        kind = getattr(T, dtype)
        x = T.tensor(_values(shape, 0), dtype=kind, requires_grad=True)
        y = T.nn.functional.max_pool2d(x * 1, *args, **kwargs)
        values, indices = T.nn.functional.max_pool2d(x, *args, **kwargs, return_indices=True)
        y.backward(T.tensor(_values(tuple(y.shape), 1), dtype=kind))
        return y, graph_of(y.grad_fn), values, indices, x.grad

    check_same(scenario, **TOLERANCE[dtype])


AVG = {
    "2x2": ((2, 3, 6, 6), (2,), {}),
    "3x2 stride 2 padding 1": ((2, 3, 7, 6), ((3, 2),), {"stride": 2, "padding": 1}),
    "without the padding": ((2, 2, 7, 7), (3,), {"padding": 1, "count_include_pad": False}),
    "ceil_mode": ((1, 2, 5, 5), (2,), {"stride": 3, "ceil_mode": True}),
    "ceil_mode without the padding": (
        (1, 2, 5, 5),
        (3,),
        {"stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    ),
    "divisor_override": ((1, 2, 6, 6), (3,), {"stride": 1, "divisor_override": 4}),
    "unbatched": ((3, 6, 5), (2,), {"stride": (2, 1)}),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", AVG)
def test_avg_pool2d_values_gradients_and_graph_match_torch(case, dtype) -> None:
    shape, args, kwargs = AVG[case]

    def scenario(T):
        kind = getattr(T, dtype)
        x = T.tensor(_values(shape, 2), dtype=kind, requires_grad=True)
        y = T.nn.functional.avg_pool2d(x, *args, **kwargs)
        y.backward(T.tensor(_values(tuple(y.shape), 3), dtype=kind))
        return y, graph_of(y.grad_fn), x.grad

    check_same(scenario, **TOLERANCE[dtype])


def test_pooling_integer_and_special_values_match_torch() -> None:
    """int64 (avg truncates toward zero), nan (max takes it, the last one), ties (the first)
    and -inf, as torch's kernels."""
    nan, inf = float("nan"), float("inf")

    def scenario(T):
        ints = T.tensor([[[[-5, -3, 4], [-2, -4, 7], [1, 1, 1]]]])
        special = T.tensor([[[[nan, 1.0, -inf], [nan, 2.0, -inf], [3.0, 3.0, 0.5]]]])
        F = T.nn.functional
        return (
            F.max_pool2d(ints, 2, 1),
            F.avg_pool2d(ints, 2, 1),
            F.avg_pool2d(ints, 3, 1, 1, divisor_override=2),
            F.max_pool2d(special, 2, 1, return_indices=True),
            F.avg_pool2d(special, 2, 1),
        )

    check_same(scenario)


def test_pooling_arguments_torch_accepts() -> None:
    def scenario(T):
        x = T.tensor(_values((1, 2, 7, 7), 4))
        F = T.nn.functional
        return (
            F.max_pool2d(x, [3, 2], [2], T.Size([1, 0]), (1, True), False, True),
            F.max_pool2d(x, kernel_size=np.int64(2), stride=None),
            F.avg_pool2d(x, (3, 2), None, 1, True, False, 3),
            F.avg_pool2d(input=x, kernel_size=2, stride=[2, 1], ceil_mode=True),
        )

    check_same(scenario)


ERRORS = {
    "max 5-d input": lambda T: T.nn.functional.max_pool2d(T.ones(1, 1, 3, 6, 6), 2),
    "max 2-d input": lambda T: T.nn.functional.max_pool2d(T.ones(6, 6), 2),
    "avg 5-d input": lambda T: T.nn.functional.avg_pool2d(T.ones(1, 1, 3, 6, 6), 2),
    "avg 2-d input": lambda T: T.nn.functional.avg_pool2d(T.ones(6, 6), 2),
    "padding over half the kernel": lambda T: T.nn.functional.max_pool2d(
        T.ones(1, 2, 6, 6), 3, padding=2
    ),
    "avg padding over half the kernel": lambda T: T.nn.functional.avg_pool2d(
        T.ones(1, 2, 6, 6), 4, padding=(2, 3)
    ),
    "output too small": lambda T: T.nn.functional.max_pool2d(T.ones(1, 3, 2, 2), 3),
    "avg output too small": lambda T: T.nn.functional.avg_pool2d(T.ones(3, 2, 2), 3),
    "zero stride": lambda T: T.nn.functional.max_pool2d(T.ones(1, 3, 6, 6), 2, stride=0),
    "zero kernel": lambda T: T.nn.functional.avg_pool2d(T.ones(1, 3, 6, 6), 0),
    "zero kernel, stride 1": lambda T: T.nn.functional.max_pool2d(T.ones(1, 3, 6, 6), 0, 1),
    "negative stride": lambda T: T.nn.functional.avg_pool2d(T.ones(1, 3, 6, 6), 2, -1),
    "negative padding": lambda T: T.nn.functional.max_pool2d(T.ones(1, 3, 6, 6), 2, padding=-1),
    "zero dilation": lambda T: T.nn.functional.max_pool2d(T.ones(1, 3, 6, 6), 2, dilation=0),
    "kernel of three": lambda T: T.nn.functional.max_pool2d(T.ones(1, 3, 6, 6), (2, 2, 2)),
    "avg stride of three": lambda T: T.nn.functional.avg_pool2d(T.ones(1, 3, 6, 6), 2, (1, 1, 1)),
    "zero divisor": lambda T: T.nn.functional.avg_pool2d(T.ones(1, 3, 6, 6), 2, divisor_override=0),
    "no channels": lambda T: T.nn.functional.max_pool2d(T.ones(1, 0, 5, 5), 2),
    "bool input": lambda T: T.nn.functional.max_pool2d(T.ones(1, 1, 4, 4, dtype=T.bool), 2),
    "avg bool input": lambda T: T.nn.functional.avg_pool2d(T.ones(1, 1, 4, 4, dtype=T.bool), 2),
    "float kernel": lambda T: T.nn.functional.max_pool2d(T.ones(1, 1, 4, 4), 2.5),
    "float kernel with indices": lambda T: T.nn.functional.max_pool2d(
        T.ones(1, 1, 4, 4), 2.5, return_indices=True
    ),
    "float in the kernel": lambda T: T.nn.functional.max_pool2d(T.ones(1, 1, 4, 4), (2.0, 2)),
    "float in the padding": lambda T: T.nn.functional.max_pool2d(
        T.ones(1, 1, 4, 4), 2, padding=(1, 0.5)
    ),
    "int ceil_mode": lambda T: T.nn.functional.max_pool2d(T.ones(1, 1, 4, 4), 2, ceil_mode=1),
    "list input": lambda T: T.nn.functional.max_pool2d([1.0], 2),
    "avg float stride by keyword": lambda T: T.nn.functional.avg_pool2d(
        T.ones(1, 1, 4, 4), 2, stride=1.5
    ),
    "avg float in the kernel by keyword": lambda T: T.nn.functional.avg_pool2d(
        T.ones(1, 1, 4, 4), kernel_size=(2.0, 2)
    ),
    "avg float divisor": lambda T: T.nn.functional.avg_pool2d(
        T.ones(1, 1, 4, 4), 2, divisor_override=1.5
    ),
    "avg int ceil_mode by position": lambda T: T.nn.functional.avg_pool2d(
        T.ones(1, 1, 4, 4), 2, None, 0, 1
    ),
    "avg unknown keyword": lambda T: T.nn.functional.avg_pool2d(T.ones(1, 1, 4, 4), 2, foo=1),
    "max unknown keyword": lambda T: T.nn.functional.max_pool2d(T.ones(1, 1, 4, 4), 2, foo=1),
    "MaxPool2d too small": lambda T: T.nn.MaxPool2d(3)(T.ones(1, 2, 2)),
    "AvgPool2d 5-d input": lambda T: T.nn.AvgPool2d(2)(T.ones(1, 1, 1, 4, 4)),
}


@pytest.mark.parametrize("name", ERRORS)
def test_pooling_errors_match_torch_at_the_line(name: str) -> None:
    check_error_at_line(ERRORS[name])


MODULES = {
    "MaxPool2d": lambda nn: nn.MaxPool2d(2),
    "MaxPool2d everything": lambda nn: nn.MaxPool2d(
        (2, 3), stride=1, padding=1, dilation=2, return_indices=True, ceil_mode=True
    ),
    "AvgPool2d": lambda nn: nn.AvgPool2d(2),
    "AvgPool2d everything": lambda nn: nn.AvgPool2d(
        (2, 3), stride=1, padding=1, ceil_mode=True, count_include_pad=False, divisor_override=3
    ),
}


@pytest.mark.parametrize("name", MODULES)
def test_pooling_module_repr_attributes_and_forward_match_torch(name) -> None:
    def scenario(T):
        m = MODULES[name](T.nn)
        x = T.tensor(_values((2, 2, 6, 7), 5), requires_grad=True)
        y = m(x)
        values = y[0] if isinstance(y, tuple) else y
        values.sum().backward()
        attributes = {
            a: getattr(m, a, None)
            for a in ("kernel_size", "stride", "padding", "dilation", "ceil_mode")
        }
        return repr(m), attributes, list(m.state_dict()), y, x.grad

    check_same(scenario)


def test_training_loop_of_a_cnn_with_pooling_matches_torch() -> None:
    """Ten SGD steps of Conv2d, ReLU, MaxPool2d, Conv2d, ReLU, AvgPool2d, Flatten, Linear and
    CrossEntropyLoss from torch's initial weights: the same losses."""
    torch.manual_seed(1)

    def build(nn):
        return nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(4, 6, 3, padding=1),
            nn.ReLU(),
            nn.AvgPool2d(2, ceil_mode=True),
            nn.Flatten(),
            nn.Linear(6 * 3 * 3, 3),
        )

    rng = np.random.default_rng(6)
    x = rng.standard_normal((8, 1, 10, 10)).tolist()
    labels = rng.integers(0, 3, 8).tolist()
    runs = train_alike(
        build,
        lambda T, parameters: T.optim.SGD(parameters, lr=0.1, momentum=0.9),
        lambda T: T.nn.CrossEntropyLoss(),
        lambda T: (T.tensor(x), T.tensor(labels)),
    )
    assert_trains_alike(runs)


ADAPTIVE = {
    "3x2 of 7x5": ((2, 3, 7, 5), (3, 2)),
    "larger than the input": ((3, 7, 5), (9, 6)),
    "None keeps a size": ((2, 3, 7, 5), (None, 2)),
    "an int": ((1, 2, 8, 8), 3),
    "1x1: torch's mean": ((2, 3, 4, 5), 1),
    "1 by None": ((2, 3, 4, 5), (1, None)),
    "an empty batch": ((0, 2, 3, 3), 2),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", ADAPTIVE)
def test_adaptive_avg_pool2d_values_gradients_and_graph_match_torch(case, dtype) -> None:
    shape, size = ADAPTIVE[case]

    def scenario(T):
        kind = getattr(T, dtype)
        x = T.tensor(_values(shape, 11), dtype=kind, requires_grad=True)
        y = T.nn.functional.adaptive_avg_pool2d(x * 1, size)
        y.backward(T.tensor(_values(tuple(y.shape), 12), dtype=kind))
        return y, graph_of(y.grad_fn), x.grad

    check_same(scenario, **TOLERANCE[dtype])


@pytest.mark.parametrize("size", [1, 3, 5, 9, (2,)])
def test_adaptive_avg_pool1d_matches_torch(size) -> None:
    def scenario(T):
        x = T.tensor(_values((2, 3, 7), 13), requires_grad=True)
        y = T.nn.functional.adaptive_avg_pool1d(x, size)
        unbatched = T.nn.AdaptiveAvgPool1d(size)(x[0])
        (y.sum() + unbatched.sum()).backward()
        return y, graph_of(y.grad_fn), unbatched, x.grad

    check_same(scenario)


ADAPTIVE_ERRORS = {
    "2d of a 2-d input, None": lambda T: T.nn.functional.adaptive_avg_pool2d(
        T.ones(3, 5), (None, 2)
    ),
    "2d of a 2-d input": lambda T: T.nn.functional.adaptive_avg_pool2d(T.ones(3, 5), (2, 2)),
    "2d 1x1 of a 1-d input": lambda T: T.nn.functional.adaptive_avg_pool2d(T.ones(5), 1),
    "2d three sizes": lambda T: T.nn.functional.adaptive_avg_pool2d(T.ones(2, 3, 5), (2, 2, 2)),
    "2d one size": lambda T: T.nn.functional.adaptive_avg_pool2d(T.ones(2, 3, 5), [1]),
    "2d negative": lambda T: T.nn.functional.adaptive_avg_pool2d(T.ones(2, 3, 5), (1, -1)),
    "2d float size": lambda T: T.nn.functional.adaptive_avg_pool2d(T.ones(2, 3, 5), (2.0, 2)),
    "2d str size": lambda T: T.nn.functional.adaptive_avg_pool2d(T.ones(2, 3, 5), "a"),
    "2d empty plane": lambda T: T.nn.functional.adaptive_avg_pool2d(T.ones(2, 0, 5), 2),
    "2d of ints": lambda T: T.nn.functional.adaptive_avg_pool2d(T.ones(2, 3, 5).long(), 2),
    "2d 1x1 of ints": lambda T: T.nn.functional.adaptive_avg_pool2d(T.ones(2, 3, 5).long(), 1),
    "1d of a 1-d input": lambda T: T.nn.functional.adaptive_avg_pool1d(T.ones(5), 2),
    "1d of a 4-d input": lambda T: T.nn.functional.adaptive_avg_pool1d(T.ones(1, 2, 3, 5), 2),
    "1d two sizes": lambda T: T.nn.functional.adaptive_avg_pool1d(T.ones(2, 5), (2, 3)),
    "1d float size": lambda T: T.nn.functional.adaptive_avg_pool1d(T.ones(2, 5), 2.0),
    "1d None": lambda T: T.nn.functional.adaptive_avg_pool1d(T.ones(2, 5), (None,)),
    "1d negative": lambda T: T.nn.functional.adaptive_avg_pool1d(T.ones(2, 5), -1),
}


@pytest.mark.parametrize("name", ADAPTIVE_ERRORS)
def test_adaptive_pooling_errors_match_torch_at_the_line(name: str) -> None:
    check_error_at_line(ADAPTIVE_ERRORS[name])


@pytest.mark.parametrize("pool", ["adaptive_avg_pool2d", "adaptive_max_pool2d"])
def test_an_empty_adaptive_output_refuses_backward_as_torch(pool: str) -> None:
    """torch raises in backward(); gradrpc's backward is sent without waiting, so its error
    surfaces at the next read, the gradient's."""

    def scenario(T):
        x = T.ones(1, 2, 3, 3, requires_grad=True)
        getattr(T.nn.functional, pool)(x, (0, 2)).sum().backward()
        return x.grad.tolist()

    with pytest.raises(RuntimeError) as theirs:
        scenario(torch)
    with pytest.raises(RuntimeError) as ours:
        scenario(gradrpc)
    line = scenario.__code__.co_firstlineno + 2
    where = f"\n(gradrpc: raised by 'backward' queued at {__file__}:{line})"
    assert str(ours.value) == str(theirs.value) + where
    assert (gradrpc.ones(2) * 3).sum().item() == 6.0  # the session goes on


@pytest.mark.parametrize("size", [1, 2, (3, None)])
def test_adaptive_pooling_modules_match_torch(size) -> None:
    def scenario(T):
        m = T.nn.AdaptiveAvgPool2d(size)
        x = T.tensor(_values((2, 2, 6, 7), 14), requires_grad=True)
        y = m(x)
        y.sum().backward()
        return repr(m), m.output_size, repr(T.nn.AdaptiveAvgPool1d(size)), y, x.grad

    check_same(scenario)


def test_training_loop_of_a_cnn_with_global_average_pooling_matches_torch() -> None:
    """Ten Adam steps of Conv2d, BatchNorm2d, ReLU, AdaptiveAvgPool2d(1), Flatten and Linear
    with CrossEntropyLoss, from torch's initial weights: the same losses."""
    torch.manual_seed(2)

    def build(nn):
        return nn.Sequential(
            nn.Conv2d(2, 4, 3, padding=1),
            nn.BatchNorm2d(4),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d((2, 3)),
            nn.Conv2d(4, 5, 1),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(5, 3),
        )

    rng = np.random.default_rng(15)
    x = rng.standard_normal((6, 2, 7, 9)).tolist()
    labels = rng.integers(0, 3, 6).tolist()
    runs = train_alike(
        build,
        lambda T, parameters: T.optim.Adam(parameters, lr=0.01),
        lambda T: T.nn.CrossEntropyLoss(),
        lambda T: (T.tensor(x), T.tensor(labels)),
    )
    assert_trains_alike(runs)
