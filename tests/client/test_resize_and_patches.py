"""F.interpolate ('nearest' on 3-D to 5-D inputs, 'bilinear' with and without align_corners,
'area'), its deprecated aliases and nn.Upsample / UpsamplingNearest2d /
UpsamplingBilinear2d against torch 2.13: values bit for bit and gradients in float32 and
float64 by size or scale_factor (recompute_scale_factor too), the graphs, torch's errors at
the line and its warnings, the modules' reprs, and a training loop through upsampling."""

from __future__ import annotations

import warnings

import gradrpc
import numpy as np
import pytest
from clientkit import assert_trains_alike, check_error_at_line, check_same, graph_of, train_alike

EXACT = {"rtol": 0, "atol": 0}


def _values(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).tolist()


# (input shape, interpolate's keyword arguments)
RESIZES = {
    "nearest 1-d up by size": ((2, 3, 5), {"size": 12}),
    "nearest 1-d by a scale that keeps the size": ((2, 3, 5), {"scale_factor": 1.1}),
    "nearest 1-d down by scale": ((1, 2, 9), {"scale_factor": 0.4}),
    "nearest 2-d by size": ((2, 3, 5, 7), {"size": (9, 4)}),
    "nearest 2-d doubling": ((1, 2, 3, 4), {"scale_factor": 2}),
    "nearest 2-d by scales (nearest_idx's shortcuts)": ((1, 2, 3, 5), {"scale_factor": (2.1, 1.1)}),
    "nearest 2-d by scale, recomputed": (
        (1, 2, 6, 7),
        {"scale_factor": 1.7, "recompute_scale_factor": True},
    ),
    "nearest 2-d past 128 rows plus columns": ((1, 1, 40, 50), {"scale_factor": (2.5, 1.1)}),
    "nearest 3-d by size": ((1, 2, 3, 4, 5), {"size": (6, 2, 7)}),
    "nearest 3-d by scale": ((1, 2, 3, 4, 5), {"scale_factor": 1.5}),
    "bilinear by size": ((2, 3, 5, 7), {"size": (9, 11), "mode": "bilinear"}),
    "bilinear align_corners": (
        (2, 3, 5, 7),
        {"size": (9, 11), "mode": "bilinear", "align_corners": True},
    ),
    "bilinear by scale": ((1, 2, 5, 6), {"scale_factor": (2.5, 0.9), "mode": "bilinear"}),
    "bilinear down, channel vectors and their tail": (
        (1, 9, 6, 6),
        {"size": (4, 5), "mode": "bilinear"},
    ),
    "bilinear past 128 rows plus columns": (
        (1, 2, 40, 70),
        {"size": (100, 30), "mode": "bilinear", "align_corners": True},
    ),
    "bilinear recomputed": (
        (1, 2, 5, 6),
        {"scale_factor": 1.7, "mode": "bilinear", "recompute_scale_factor": True},
    ),
    "area 2-d": ((2, 3, 7, 5), {"size": (3, 2), "mode": "area"}),
    "area 1-d by scale": ((2, 3, 7), {"scale_factor": 0.5, "mode": "area"}),
    "empty batch": ((0, 2, 3, 3), {"size": 2}),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", RESIZES)
def test_interpolate_values_gradients_and_graph_match_torch(case, dtype) -> None:
    shape, kwargs = RESIZES[case]

    def scenario(T):
        kind = getattr(T, dtype)
        x = T.tensor(_values(shape, 0), dtype=kind, requires_grad=True)
        y = T.nn.functional.interpolate(x, **kwargs)
        y.backward(T.tensor(_values(tuple(y.shape), 1), dtype=kind))
        return y, graph_of(y.grad_fn), x.grad

    check_same(scenario, **EXACT)


def test_interpolate_after_an_op_records_torch_graph() -> None:
    def scenario(T):
        x = T.tensor(_values((1, 2, 3, 4), 2), requires_grad=True)
        y = T.nn.functional.interpolate(x.exp(), scale_factor=2, mode="bilinear") * 2
        y.sum().backward()
        return y, graph_of(y.grad_fn), x.grad

    check_same(scenario)


@pytest.mark.parametrize(
    "alias, kwargs",
    [
        ("upsample", {"scale_factor": 2}),
        ("upsample", {"size": (5, 3), "mode": "bilinear"}),
        ("upsample_nearest", {"size": 7}),
        ("upsample_bilinear", {"scale_factor": 1.5}),
    ],
)
def test_deprecated_aliases_warn_and_match_torch(alias, kwargs) -> None:
    def scenario(T):
        x = T.tensor(_values((1, 2, 3, 4), 3), requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = getattr(T.nn.functional, alias)(x, **kwargs)
        y.sum().backward()
        return y, x.grad, [(w.category.__name__, str(w.message)) for w in caught]

    check_same(scenario, **EXACT)


MODULES = {
    "Upsample scale": lambda nn: nn.Upsample(scale_factor=2),
    "Upsample size bilinear": lambda nn: nn.Upsample(size=(5, 7), mode="bilinear"),
    "Upsample scales align_corners": lambda nn: nn.Upsample(
        scale_factor=(2, 1.5), mode="bilinear", align_corners=True
    ),
    "Upsample recompute": lambda nn: nn.Upsample(scale_factor=1.7, recompute_scale_factor=True),
    "UpsamplingNearest2d": lambda nn: nn.UpsamplingNearest2d(scale_factor=3),
    "UpsamplingBilinear2d": lambda nn: nn.UpsamplingBilinear2d(size=(4, 9)),
}


@pytest.mark.parametrize("case", MODULES)
def test_modules_reprs_values_and_gradients_match_torch(case) -> None:
    def scenario(T):
        module = MODULES[case](T.nn)
        x = T.tensor(_values((2, 3, 3, 4), 4), requires_grad=True)
        y = module(x)
        y.backward(T.tensor(_values(tuple(y.shape), 5)))
        attributes = (module.size, module.scale_factor, module.mode, module.align_corners)
        return repr(module), attributes, y, graph_of(y.grad_fn), x.grad

    check_same(scenario, **EXACT)


ERRORS = {
    "size and scale": lambda T: T.nn.functional.interpolate(
        T.ones(1, 2, 3, 4), size=2, scale_factor=2
    ),
    "neither size nor scale": lambda T: T.nn.functional.interpolate(T.ones(1, 2, 3, 4)),
    "sizes of another rank": lambda T: T.nn.functional.interpolate(
        T.ones(1, 2, 3, 4), size=(2, 3, 4)
    ),
    "scales of another rank": lambda T: T.nn.functional.interpolate(
        T.ones(1, 2, 3, 4), scale_factor=(2, 3, 4)
    ),
    "a float size": lambda T: T.nn.functional.interpolate(T.ones(1, 2, 3, 4), size=(2.0, 3)),
    "align_corners with nearest": lambda T: T.nn.functional.interpolate(
        T.ones(1, 2, 3, 4), size=2, align_corners=True
    ),
    "recompute with a size": lambda T: T.nn.functional.interpolate(
        T.ones(1, 2, 3, 4), size=2, mode="bilinear", recompute_scale_factor=True
    ),
    "an unknown mode": lambda T: T.nn.functional.interpolate(T.ones(1, 2, 3, 4), 2, mode="foo"),
    "a 2-D input": lambda T: T.nn.functional.interpolate(T.ones(3, 4), size=2),
    "bilinear of a 3-D input": lambda T: T.nn.functional.interpolate(
        T.ones(1, 2, 3), size=2, mode="bilinear"
    ),
    "bilinear of a 5-D input": lambda T: T.nn.functional.interpolate(
        T.ones(1, 2, 3, 3, 3), size=2, mode="bilinear"
    ),
    "antialias with nearest": lambda T: T.nn.functional.interpolate(
        T.ones(1, 2, 3, 4), size=2, antialias=True
    ),
    "an empty output": lambda T: T.nn.functional.interpolate(T.ones(1, 2, 3, 4), size=(0, 3)),
    "a scale to nothing": lambda T: T.nn.functional.interpolate(
        T.ones(1, 2, 3, 4), scale_factor=0.1
    ),
    "a negative scale": lambda T: T.nn.functional.interpolate(
        T.ones(1, 2, 3, 4), scale_factor=-1.0
    ),
    "an empty 1-d input": lambda T: T.nn.functional.interpolate(T.ones(1, 2, 0), size=2),
    "an empty 3-d dim": lambda T: T.nn.functional.interpolate(T.ones(1, 2, 3, 0, 3), size=2),
    "no channels": lambda T: T.nn.functional.interpolate(T.ones(1, 0, 3, 4), size=2),
    "an infinite scale": lambda T: T.nn.functional.interpolate(
        T.ones(1, 2, 3, 4), scale_factor=float("inf")
    ),
    "int64 nearest 2-d": lambda T: T.nn.functional.interpolate(
        T.ones(1, 2, 3, 4, dtype=T.int64), scale_factor=2
    ),
    "int64 nearest past 128": lambda T: T.nn.functional.interpolate(
        T.ones(1, 2, 100, 100, dtype=T.int64), scale_factor=2
    ),
    "bool nearest 1-d": lambda T: T.nn.functional.interpolate(
        T.ones(1, 2, 3, dtype=T.bool), size=4
    ),
    "int64 bilinear": lambda T: T.nn.functional.interpolate(
        T.ones(1, 2, 3, 4, dtype=T.int64), size=2, mode="bilinear"
    ),
    "int64 bilinear past 128": lambda T: T.nn.functional.interpolate(
        T.ones(1, 2, 100, 100, dtype=T.int64), scale_factor=2, mode="bilinear"
    ),
}


@pytest.mark.parametrize("case", ERRORS)
def test_interpolate_errors_match_torch_at_the_line(case) -> None:
    check_error_at_line(ERRORS[case])


def test_a_model_with_upsampling_trains_like_torch() -> None:
    def build(nn):
        return nn.Sequential(
            nn.Conv2d(2, 3, 3, padding=1),
            nn.Upsample(scale_factor=2, mode="bilinear"),
            nn.Tanh(),
            nn.Conv2d(3, 1, 3, padding=1),
            nn.UpsamplingNearest2d(size=(10, 10)),
        )

    def data(T):
        return T.tensor(_values((4, 2, 4, 4), 6)), T.tensor(_values((4, 1, 10, 10), 7))

    runs = train_alike(build, lambda T, p: T.optim.SGD(p, lr=0.1), lambda T: T.nn.MSELoss(), data)
    assert_trains_alike(runs)


def test_unsupported_modes_say_so() -> None:
    with pytest.raises(NotImplementedError, match="mode 'bicubic'"):
        gradrpc.nn.functional.interpolate(gradrpc.ones(1, 2, 3, 4), size=2, mode="bicubic")
