"""nn.MaxPool1d, nn.AvgPool1d, nn.AdaptiveMaxPool1d/2d and their functionals against torch
2.13: values, indices, gradients and graphs (torch composes the 1-d pools as unsqueeze, the 2-d
op, squeeze) in float32 and float64, batched and unbatched; nan, ties and -inf; torch's errors
at the line, whose wording differs between max_pool1d and max_pool1d_with_indices; the modules'
reprs; a training loop of a 1-d CNN. (adaptive_max_pool2d's refused backward of an empty output:
test_nn_pool.)"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from clientkit import assert_trains_alike, check_error_at_line, check_same, graph_of, train_alike

TOLERANCE = {"float32": {"rtol": 1e-6, "atol": 1e-7}, "float64": {"rtol": 1e-12, "atol": 1e-12}}


def _values(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).tolist()


MAX_1D = {
    "2": ((2, 3, 8), (2,), {}),
    "3 stride 2 padding 1": ((2, 3, 9), (3,), {"stride": 2, "padding": 1}),
    "dilated": ((1, 2, 11), (3,), {"dilation": 2, "padding": 1}),
    "ceil_mode": ((2, 2, 7), (3,), {"stride": 2, "ceil_mode": True}),
    "overlapping windows": ((1, 2, 6), (3,), {"stride": 1}),
    "unbatched": ((3, 7), ((2,),), {"stride": [1]}),
    "empty batch": ((0, 3, 8), (2,), {}),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", MAX_1D)
def test_max_pool1d_values_indices_gradients_and_graph_match_torch(case, dtype) -> None:
    shape, args, kwargs = MAX_1D[case]

    def scenario(T):
        kind = getattr(T, dtype)
        x = T.tensor(_values(shape, 0), dtype=kind).reshape(shape).requires_grad_()
        F = T.nn.functional
        y = F.max_pool1d(x * 1, *args, **kwargs)
        values, indices = F.max_pool1d(x, *args, **kwargs, return_indices=True)
        (y * T.tensor(_values(tuple(y.shape), 1), dtype=kind).reshape(y.shape)).sum().backward()
        return y, graph_of(y.grad_fn), values, graph_of(values.grad_fn), indices, x.grad

    check_same(scenario, **TOLERANCE[dtype])


AVG_1D = {
    "2": ((2, 3, 8), (2,), {}),
    "3 stride 2 padding 1": ((2, 3, 9), (3,), {"stride": 2, "padding": 1}),
    "without the padding": ((2, 2, 7), (3,), {"padding": 1, "count_include_pad": False}),
    "ceil_mode": ((1, 2, 5), (2,), {"stride": 3, "ceil_mode": True}),
    "ceil_mode without the padding": (
        (1, 2, 6),
        (3,),
        {"stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    ),
    "unbatched": ((3, 7), ((2,),), {"stride": (1,)}),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", AVG_1D)
def test_avg_pool1d_values_gradients_and_graph_match_torch(case, dtype) -> None:
    shape, args, kwargs = AVG_1D[case]

    def scenario(T):
        kind = getattr(T, dtype)
        x = T.tensor(_values(shape, 2), dtype=kind, requires_grad=True)
        y = T.nn.functional.avg_pool1d(x, *args, **kwargs)
        y.backward(T.tensor(_values(tuple(y.shape), 3), dtype=kind))
        return y, graph_of(y.grad_fn), x.grad

    check_same(scenario, **TOLERANCE[dtype])


ADAPTIVE_MAX = {
    "2d 3x2": ((2, 3, 7, 5), (3, 2)),
    "2d more outputs than inputs": ((3, 7, 5), (9, 6)),
    "2d one int": ((1, 2, 8, 8), 3),
    "2d None keeps a size": ((1, 2, 5, 6), (None, 4)),
    "2d 1x1": ((2, 2, 4, 5), 1),
    "2d empty batch": ((0, 2, 3, 3), 2),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", ADAPTIVE_MAX)
def test_adaptive_max_pool2d_values_indices_gradients_and_graph_match_torch(case, dtype) -> None:
    shape, size = ADAPTIVE_MAX[case]

    def scenario(T):
        kind = getattr(T, dtype)
        x = T.tensor(_values(shape, 4), dtype=kind).reshape(shape).requires_grad_()
        F = T.nn.functional
        y = F.adaptive_max_pool2d(x, size)
        values, indices = F.adaptive_max_pool2d(x, size, return_indices=True)
        (y * T.tensor(_values(tuple(y.shape), 5), dtype=kind).reshape(y.shape)).sum().backward()
        return y, graph_of(y.grad_fn), values, indices, x.grad

    check_same(scenario, **TOLERANCE[dtype])


@pytest.mark.parametrize("size", [1, 3, 5, 9, (2,), [4]])
def test_adaptive_max_pool1d_matches_torch(size) -> None:
    def scenario(T):
        x = T.tensor(_values((2, 3, 7), 13), requires_grad=True)
        F = T.nn.functional
        y = F.adaptive_max_pool1d(x, size)
        values, indices = F.adaptive_max_pool1d(x[0], size, True)
        unbatched = T.nn.AdaptiveMaxPool1d(size)(x[1])
        (y.sum() + values.sum() + unbatched.sum()).backward()
        return y, graph_of(y.grad_fn), values, indices, unbatched, x.grad

    check_same(scenario)


def test_pooling_special_values_and_ties_match_torch() -> None:
    """nan (the last one wins), ties (the first), -inf, and a window of -inf alone: values,
    indices and where the gradient goes."""
    nan, inf = float("nan"), float("inf")

    def scenario(T):
        rows = [
            [1.0, nan, 3.0, 3.0, nan, 0.0, -inf, -inf],
            [2.0, 2.0, -1.0, 2.0, 5.0, 5.0, 0.0, 1.0],
        ]
        x = T.tensor([rows], requires_grad=True)
        F = T.nn.functional
        outputs = (
            F.max_pool1d(x, 2, return_indices=True),
            F.max_pool1d(x, 3, 1, 1, return_indices=True),
            F.adaptive_max_pool1d(x, 3, return_indices=True),
            F.adaptive_max_pool2d(x.unsqueeze(0), (1, 5), return_indices=True),
            F.avg_pool1d(x, 3, 2, 1, True, False),
            F.avg_pool1d(T.tensor([[-5, -3, 4, -2, 7, 1, 1]]), 3, 2, 1),  # truncates toward 0
        )
        for values, _ in outputs[:4]:
            values.backward(T.ones(values.shape))
        return outputs, x.grad

    check_same(scenario)


def test_pooling_1d_arguments_torch_accepts() -> None:
    def scenario(T):
        x = T.tensor(_values((2, 3, 9), 6))
        F = T.nn.functional
        return (
            F.max_pool1d(x, [3], [2], T.Size([1]), (1,), False, True),
            F.max_pool1d(x, kernel_size=np.int64(2), stride=None),
            F.max_pool1d(x, T.tensor(3), 2, 1, 2, True),
            F.max_pool1d(x, 2, return_indices=1),
            F.avg_pool1d(x, (3,), None, 1, True, False),
            F.avg_pool1d(input=x, kernel_size=2, stride=[1], ceil_mode=True),
            F.adaptive_max_pool2d(x, (2, None)),
            F.adaptive_max_pool2d(input=x, output_size=2, return_indices=True),
        )

    check_same(scenario)


ERRORS = {
    "max1d 1-d input": lambda T: T.nn.functional.max_pool1d(T.ones(8), 2),
    "max1d 4-d input": lambda T: T.nn.functional.max_pool1d(T.ones(1, 2, 3, 8), 2),
    "max1d empty channels": lambda T: T.nn.functional.max_pool1d(T.ones(2, 0, 8), 2),
    "max1d empty length": lambda T: T.nn.functional.max_pool1d(T.ones(3, 0), 2),
    "max1d empty 2-d batch": lambda T: T.nn.functional.max_pool1d(T.ones(0, 8), 2),
    "max1d two kernel sizes": lambda T: T.nn.functional.max_pool1d(T.ones(2, 3, 8), (2, 2)),
    "max1d no kernel size": lambda T: T.nn.functional.max_pool1d(T.ones(2, 3, 8), []),
    "max1d two strides": lambda T: T.nn.functional.max_pool1d(T.ones(2, 3, 8), 2, (1, 1)),
    "max1d two paddings": lambda T: T.nn.functional.max_pool1d(T.ones(2, 3, 8), 2, padding=(1, 1)),
    "max1d two dilations": lambda T: T.nn.functional.max_pool1d(
        T.ones(2, 3, 8), 2, dilation=(1, 1)
    ),
    "max1d zero kernel": lambda T: T.nn.functional.max_pool1d(T.ones(2, 3, 8), 0, stride=0),
    "max1d zero stride": lambda T: T.nn.functional.max_pool1d(T.ones(2, 3, 8), 2, 0, padding=5),
    "max1d negative padding": lambda T: T.nn.functional.max_pool1d(T.ones(2, 3, 8), 2, padding=-1),
    "max1d padding over half": lambda T: T.nn.functional.max_pool1d(
        T.ones(2, 3, 8), 2, padding=2, dilation=0
    ),
    "max1d zero dilation": lambda T: T.nn.functional.max_pool1d(T.ones(2, 3, 8), 2, dilation=0),
    "max1d output too small": lambda T: T.nn.functional.max_pool1d(T.ones(2, 3, 8), 9),
    "max1d of ints": lambda T: T.nn.functional.max_pool1d(T.ones(2, 3, 8).long(), 2),
    "max1d of bools, too small": lambda T: T.nn.functional.max_pool1d(T.ones(2, 3, 1).bool(), 2),
    "max1d int ceil_mode": lambda T: T.nn.functional.max_pool1d(T.ones(2, 3, 8), 2, None, 0, 1, 1),
    "max1d str kernel": lambda T: T.nn.functional.max_pool1d(T.ones(2, 3, 8), "a"),
    "max1d float kernel": lambda T: T.nn.functional.max_pool1d(T.ones(2, 3, 8), 2.0),
    "max1d list input": lambda T: T.nn.functional.max_pool1d([1.0], 2),
    "max1d unknown keyword": lambda T: T.nn.functional.max_pool1d(T.ones(2, 3, 8), 2, foo=1),
    "max1d indices 1-d input": lambda T: T.nn.functional.max_pool1d(
        T.ones(8), 2, return_indices=True
    ),
    "max1d indices 4-d input": lambda T: T.nn.functional.max_pool1d(
        T.ones(1, 2, 3, 8), 2, return_indices=True
    ),
    "max1d indices empty length": lambda T: T.nn.functional.max_pool1d(
        T.ones(3, 0), 2, return_indices=True
    ),
    "max1d indices two kernel sizes": lambda T: T.nn.functional.max_pool1d(
        T.ones(2, 3, 8), (2, 2), return_indices=True
    ),
    "max1d indices two strides": lambda T: T.nn.functional.max_pool1d(
        T.ones(2, 3, 8), 2, (1, 1), return_indices=True
    ),
    "max1d indices zero kernel": lambda T: T.nn.functional.max_pool1d(
        T.ones(2, 3, 8), 0, return_indices=True
    ),
    "max1d indices padding over half": lambda T: T.nn.functional.max_pool1d(
        T.ones(2, 3, 8), 3, padding=2, return_indices=True
    ),
    "max1d indices output too small": lambda T: T.nn.functional.max_pool1d(
        T.ones(2, 3, 8), 9, return_indices=True
    ),
    "max1d indices str kernel": lambda T: T.nn.functional.max_pool1d(
        T.ones(2, 3, 8), kernel_size="a", return_indices=True
    ),
    "avg1d 1-d input": lambda T: T.nn.functional.avg_pool1d(T.ones(8), 2),
    "avg1d 4-d input": lambda T: T.nn.functional.avg_pool1d(T.ones(1, 2, 3, 8), 2),
    "avg1d empty length": lambda T: T.nn.functional.avg_pool1d(T.ones(3, 0), 2),
    "avg1d two kernel sizes": lambda T: T.nn.functional.avg_pool1d(T.ones(2, 3, 8), (2, 2)),
    "avg1d no kernel size": lambda T: T.nn.functional.avg_pool1d(T.ones(2, 3, 8), []),
    "avg1d two strides": lambda T: T.nn.functional.avg_pool1d(T.ones(2, 3, 8), 2, stride=(1, 1)),
    "avg1d two paddings": lambda T: T.nn.functional.avg_pool1d(T.ones(2, 3, 8), 2, 1, (1, 1)),
    "avg1d zero kernel": lambda T: T.nn.functional.avg_pool1d(T.ones(2, 3, 8), 0),
    "avg1d negative padding": lambda T: T.nn.functional.avg_pool1d(T.ones(2, 3, 8), 2, padding=-1),
    "avg1d padding over half": lambda T: T.nn.functional.avg_pool1d(T.ones(2, 3, 8), 3, padding=2),
    "avg1d output too small": lambda T: T.nn.functional.avg_pool1d(T.ones(2, 3, 8), 9),
    "avg1d of bools": lambda T: T.nn.functional.avg_pool1d(T.ones(2, 3, 8).bool(), 2),
    "avg1d divisor_override": lambda T: T.nn.functional.avg_pool1d(
        T.ones(2, 3, 8), 2, divisor_override=3
    ),
    "avg1d seven arguments": lambda T: T.nn.functional.avg_pool1d(
        T.ones(2, 3, 8), 2, 1, 0, False, True, 3
    ),
    "avg1d no kernel": lambda T: T.nn.functional.avg_pool1d(T.ones(2, 3, 8)),
    "avg1d nothing": lambda T: T.nn.functional.avg_pool1d(),
    "avg1d kernel twice": lambda T: T.nn.functional.avg_pool1d(T.ones(2, 3, 8), 2, kernel_size=2),
    "avg1d None padding": lambda T: T.nn.functional.avg_pool1d(T.ones(2, 3, 8), 2, padding=None),
    "avg1d str in the kernel": lambda T: T.nn.functional.avg_pool1d(T.ones(2, 3, 8), [2, "a"]),
    "avg1d int ceil_mode by keyword": lambda T: T.nn.functional.avg_pool1d(
        T.ones(2, 3, 8), 2, ceil_mode=1
    ),
    "avg1d int ceil_mode by position": lambda T: T.nn.functional.avg_pool1d(
        T.ones(2, 3, 8), 2, 1, 0, 1
    ),
    "avg1d int input": lambda T: T.nn.functional.avg_pool1d(3, 2),
    "adaptive max2d of a 2-d input": lambda T: T.nn.functional.adaptive_max_pool2d(T.ones(5, 7), 2),
    "adaptive max2d of a 2-d input, three sizes": lambda T: T.nn.functional.adaptive_max_pool2d(
        T.ones(5, 7), (2, 3, 4)
    ),
    "adaptive max2d empty channels": lambda T: T.nn.functional.adaptive_max_pool2d(
        T.ones(2, 0, 5, 7), (2, 3, 4)
    ),
    "adaptive max2d empty rows": lambda T: T.nn.functional.adaptive_max_pool2d(
        T.ones(2, 3, 0, 7), 2
    ),
    "adaptive max2d three sizes": lambda T: T.nn.functional.adaptive_max_pool2d(
        T.ones(2, 3, 5, 7).long(), (2, 3, 4)
    ),
    "adaptive max2d one size": lambda T: T.nn.functional.adaptive_max_pool2d(
        T.ones(2, 3, 5, 7), (2,), True
    ),
    "adaptive max2d negative": lambda T: T.nn.functional.adaptive_max_pool2d(
        T.ones(2, 3, 5, 7).long(), (-1, 2)
    ),
    "adaptive max2d of ints": lambda T: T.nn.functional.adaptive_max_pool2d(
        T.ones(2, 3, 5, 7).long(), 2
    ),
    "adaptive max2d of bools": lambda T: T.nn.functional.adaptive_max_pool2d(
        T.ones(2, 3, 5, 7).bool(), 2, return_indices=True
    ),
    "adaptive max2d str size": lambda T: T.nn.functional.adaptive_max_pool2d(
        T.ones(2, 3, 5, 7), "a"
    ),
    "adaptive max2d float size": lambda T: T.nn.functional.adaptive_max_pool2d(
        T.ones(2, 3, 5, 7), 2.0
    ),
    "adaptive max1d of a 4-d input": lambda T: T.nn.functional.adaptive_max_pool1d(
        T.ones(2, 3, 5, 7), 3
    ),
    "adaptive max1d two sizes": lambda T: T.nn.functional.adaptive_max_pool1d(
        T.ones(3, 5, 7), (3, 3)
    ),
    "adaptive max1d negative": lambda T: T.nn.functional.adaptive_max_pool1d(T.ones(3, 5, 7), -1),
    "adaptive max1d empty length": lambda T: T.nn.functional.adaptive_max_pool1d(T.ones(3, 0), 2),
    "adaptive max1d empty channels": lambda T: T.nn.functional.adaptive_max_pool1d(
        T.ones(0, 0, 8), 2
    ),
    "adaptive max1d of ints": lambda T: T.nn.functional.adaptive_max_pool1d(
        T.ones(3, 5, 7).long(), 2
    ),
    "adaptive max1d None": lambda T: T.nn.functional.adaptive_max_pool1d(T.ones(3, 5, 7), None),
    "adaptive max1d float": lambda T: T.nn.functional.adaptive_max_pool1d(T.ones(3, 5, 7), 2.0),
    "adaptive max1d float in a list": lambda T: T.nn.functional.adaptive_max_pool1d(
        T.ones(3, 5, 7), [2.0]
    ),
    "adaptive max1d int input": lambda T: T.nn.functional.adaptive_max_pool1d(3, 2),
    "MaxPool1d too small": lambda T: T.nn.MaxPool1d(3)(T.ones(2, 2)),
    "AvgPool1d 4-d input": lambda T: T.nn.AvgPool1d(2)(T.ones(1, 1, 1, 4)),
    "AdaptiveMaxPool2d 5-d input": lambda T: T.nn.AdaptiveMaxPool2d(2)(T.ones(1, 1, 1, 4, 4)),
}


@pytest.mark.parametrize("name", ERRORS)
def test_pooling_errors_match_torch_at_the_line(name: str) -> None:
    check_error_at_line(ERRORS[name])


MODULES = {
    "MaxPool1d": lambda nn: nn.MaxPool1d(2),
    "MaxPool1d everything": lambda nn: nn.MaxPool1d(
        3, stride=1, padding=1, dilation=2, return_indices=True, ceil_mode=True
    ),
    "AvgPool1d": lambda nn: nn.AvgPool1d(2),
    "AvgPool1d everything": lambda nn: nn.AvgPool1d(
        (3,), stride=2, padding=1, ceil_mode=True, count_include_pad=False
    ),
    "AdaptiveMaxPool1d": lambda nn: nn.AdaptiveMaxPool1d(3),
    "AdaptiveMaxPool1d with indices": lambda nn: nn.AdaptiveMaxPool1d((4,), return_indices=True),
    "AdaptiveMaxPool2d": lambda nn: nn.AdaptiveMaxPool2d((2, None)),
    "AdaptiveMaxPool2d with indices": lambda nn: nn.AdaptiveMaxPool2d(2, True),
}


@pytest.mark.parametrize("name", MODULES)
def test_pooling_module_repr_attributes_and_forward_match_torch(name) -> None:
    def scenario(T):
        m = MODULES[name](T.nn)
        x = T.tensor(_values((2, 3, 9), 7), requires_grad=True)
        y = m(x)
        values = y[0] if isinstance(y, tuple) else y
        values.sum().backward()
        names = ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "output_size")
        attributes = {a: getattr(m, a, None) for a in names}
        return repr(m), attributes, list(m.state_dict()), y, x.grad

    check_same(scenario)


def test_training_loop_of_a_1d_cnn_with_pooling_matches_torch() -> None:
    """Ten SGD-with-momentum steps of Conv1d, ReLU, MaxPool1d, Conv1d, AvgPool1d,
    AdaptiveMaxPool1d, Flatten and Linear with CrossEntropyLoss, from torch's initial
    weights: the same losses."""
    torch.manual_seed(3)

    def build(nn):
        return nn.Sequential(
            nn.Conv1d(2, 4, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Conv1d(4, 5, 3),
            nn.AvgPool1d(2, ceil_mode=True),
            nn.AdaptiveMaxPool1d(2),
            nn.Flatten(),
            nn.Linear(10, 3),
        )

    rng = np.random.default_rng(16)
    x = rng.standard_normal((6, 2, 17)).tolist()
    labels = rng.integers(0, 3, 6).tolist()
    runs = train_alike(
        build,
        lambda T, parameters: T.optim.SGD(parameters, lr=0.05, momentum=0.9),
        lambda T: T.nn.CrossEntropyLoss(),
        lambda T: (T.tensor(x), T.tensor(labels)),
    )
    assert_trains_alike(runs)
