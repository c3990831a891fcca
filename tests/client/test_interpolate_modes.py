"""F.interpolate's 'trilinear' (5-D), 'bicubic' (4-D) and 'nearest-exact' (3-D to 5-D
inputs), with nn.Upsample, against torch 2.13: values and gradients bit for bit in float32
and float64 (by size or scale_factor, recompute_scale_factor, align_corners, up and down,
torch's generic kernels and its nearest_exact_idx), grad_fn names, torch's errors at the
line, the modules' reprs, and a training loop."""

from __future__ import annotations

import gradrpc
import numpy as np
import pytest
from clientkit import (
    assert_trains_alike,
    check_error_at_line,
    check_same,
    graph_of,
    train_alike,
)

EXACT = {"rtol": 0, "atol": 0}


def _values(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).tolist()


# (input shape, interpolate's keyword arguments)
RESIZES = {
    "trilinear by size": ((1, 2, 3, 4, 5), {"size": (6, 2, 7), "mode": "trilinear"}),
    "trilinear align_corners": (
        (2, 1, 3, 4, 2),
        {"size": (5, 7, 3), "mode": "trilinear", "align_corners": True},
    ),
    "trilinear by scale": ((2, 3, 4, 5, 3), {"scale_factor": 1.7, "mode": "trilinear"}),
    "trilinear by scales, down and up": (
        (1, 1, 6, 7, 8),
        {"scale_factor": (0.6, 1.3, 2.5), "mode": "trilinear"},
    ),
    "trilinear recomputed": (
        (1, 2, 3, 4, 5),
        {"scale_factor": 1.5, "mode": "trilinear", "recompute_scale_factor": True},
    ),
    "trilinear keeping a size": ((1, 2, 3, 4, 5), {"size": (3, 8, 5), "mode": "trilinear"}),
    "bicubic by size": ((2, 3, 5, 7), {"size": (9, 11), "mode": "bicubic"}),
    "bicubic align_corners": (
        (2, 3, 5, 7),
        {"size": (9, 11), "mode": "bicubic", "align_corners": True},
    ),
    "bicubic down": ((1, 2, 8, 9), {"size": (3, 4), "mode": "bicubic"}),
    "bicubic up from 2x3 (clamped taps)": ((1, 2, 2, 3), {"size": (7, 9), "mode": "bicubic"}),
    "bicubic by scales": ((1, 2, 5, 6), {"scale_factor": (2.5, 0.9), "mode": "bicubic"}),
    "bicubic past 128 rows plus columns": (
        (1, 2, 40, 70),
        {"size": (100, 30), "mode": "bicubic", "align_corners": True},
    ),
    "bicubic to one pixel, align_corners": (
        (1, 2, 3, 5),
        {"size": (1, 1), "mode": "bicubic", "align_corners": True},
    ),
    "nearest-exact 1-d up": ((2, 3, 7), {"size": 12, "mode": "nearest-exact"}),
    "nearest-exact 1-d down by scale": ((2, 3, 9), {"scale_factor": 0.4, "mode": "nearest-exact"}),
    "nearest-exact 2-d by size": ((2, 3, 5, 7), {"size": (9, 4), "mode": "nearest-exact"}),
    "nearest-exact 2-d by scales": (
        (1, 2, 3, 5),
        {"scale_factor": (2.1, 1.1), "mode": "nearest-exact"},
    ),
    "nearest-exact 2-d past 128 rows plus columns": (
        (1, 1, 40, 50),
        {"scale_factor": (1.7, 1.3), "mode": "nearest-exact"},
    ),
    "nearest-exact 3-d by size": ((1, 2, 3, 4, 5), {"size": (6, 2, 7), "mode": "nearest-exact"}),
    "nearest-exact 3-d recomputed": (
        (1, 2, 3, 4, 5),
        {"scale_factor": 1.5, "mode": "nearest-exact", "recompute_scale_factor": True},
    ),
    "nearest-exact empty batch": ((0, 2, 3, 3), {"size": 2, "mode": "nearest-exact"}),
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


@pytest.mark.parametrize(
    "mode, shape, name",
    [
        ("trilinear", (1, 1, 2, 2, 2), "UpsampleTrilinear3DBackward0"),
        ("bicubic", (1, 1, 2, 2), "UpsampleBicubic2DBackward0"),
        ("nearest-exact", (1, 1, 2), "UpsampleNearestExact1DBackward0"),
        ("nearest-exact", (1, 1, 2, 2), "UpsampleNearestExact2DBackward0"),
        ("nearest-exact", (1, 1, 2, 2, 2), "UpsampleNearestExact3DBackward0"),
    ],
)
def test_grad_fn_names_are_torch(mode, shape, name) -> None:
    x = gradrpc.ones(*shape, requires_grad=True)
    y = gradrpc.nn.functional.interpolate(x, scale_factor=2, mode=mode)
    assert y.grad_fn.name() == name


def test_interpolate_after_an_op_records_torch_graph() -> None:
    def scenario(T):
        x = T.tensor(_values((1, 2, 3, 4), 2), requires_grad=True)
        y = T.nn.functional.interpolate(x.exp(), scale_factor=2, mode="bicubic") * 2
        z = T.nn.functional.interpolate(x.unsqueeze(2), size=(2, 5, 3), mode="trilinear")
        (y.sum() + z.sum()).backward()
        return y, z, graph_of(y.grad_fn), graph_of(z.grad_fn), x.grad

    check_same(scenario)


MODULES = {
    "Upsample trilinear by scale": (lambda nn: nn.Upsample(scale_factor=2, mode="trilinear"), 5),
    "Upsample trilinear align_corners": (
        lambda nn: nn.Upsample(size=(3, 5, 2), mode="trilinear", align_corners=True),
        5,
    ),
    "Upsample bicubic by size": (lambda nn: nn.Upsample(size=(5, 7), mode="bicubic"), 4),
    "Upsample bicubic align_corners": (
        lambda nn: nn.Upsample(scale_factor=(2, 1.5), mode="bicubic", align_corners=True),
        4,
    ),
    "Upsample nearest-exact 1-d": (
        lambda nn: nn.Upsample(scale_factor=1.7, mode="nearest-exact"),
        3,
    ),
    "Upsample nearest-exact 3-d": (
        lambda nn: nn.Upsample(size=(4, 2, 5), mode="nearest-exact"),
        5,
    ),
}


@pytest.mark.parametrize("case", MODULES)
def test_modules_reprs_values_and_gradients_match_torch(case) -> None:
    build, ndim = MODULES[case]

    def scenario(T):
        module = build(T.nn)
        x = T.tensor(_values((2, 3, 3, 4, 2)[:ndim], 4), requires_grad=True)
        y = module(x)
        y.backward(T.tensor(_values(tuple(y.shape), 5)))
        attributes = (module.size, module.scale_factor, module.mode, module.align_corners)
        return repr(module), attributes, y, graph_of(y.grad_fn), x.grad

    check_same(scenario, **EXACT)


def _interpolate(shape, dtype="float32", **kwargs):
    return lambda T: T.nn.functional.interpolate(T.ones(*shape, dtype=getattr(T, dtype)), **kwargs)


ERRORS = {
    "trilinear of a 3-D input": _interpolate((1, 2, 3), size=2, mode="trilinear"),
    "trilinear of a 4-D input": _interpolate((1, 2, 3, 4), size=2, mode="trilinear"),
    "trilinear of a 2-D input": _interpolate((3, 4), size=2, mode="trilinear"),
    "bicubic of a 3-D input": _interpolate((1, 2, 3), size=2, mode="bicubic"),
    "bicubic of a 5-D input": _interpolate((1, 2, 3, 3, 3), size=2, mode="bicubic"),
    "nearest-exact of a 2-D input": _interpolate((3, 4), size=2, mode="nearest-exact"),
    "nearest-exact with align_corners": _interpolate(
        (1, 2, 3, 4), size=2, mode="nearest-exact", align_corners=True
    ),
    "trilinear to an empty output": _interpolate((1, 2, 3, 4, 5), size=(2, 0, 2), mode="trilinear"),
    "bicubic of an empty dim": _interpolate((1, 1, 0, 4), size=(2, 2), mode="bicubic"),
    "trilinear without channels": _interpolate((1, 0, 3, 4, 5), size=2, mode="trilinear"),
    "nearest-exact 3-d to an empty output": _interpolate(
        (1, 1, 3, 4, 5), size=(2, 0, 2), mode="nearest-exact"
    ),
    "int64 trilinear": _interpolate((1, 1, 2, 2, 2), "int64", size=3, mode="trilinear"),
    "bool bicubic": _interpolate((1, 1, 2, 2), "bool", size=3, mode="bicubic"),
    "int64 bicubic past 128": _interpolate((1, 1, 200, 2), "int64", size=(150, 3), mode="bicubic"),
    "int64 nearest-exact 1-d": _interpolate((1, 1, 2), "int64", size=3, mode="nearest-exact"),
    "int64 nearest-exact 2-d": _interpolate((1, 1, 2, 2), "int64", size=3, mode="nearest-exact"),
    "int64 nearest-exact past 128": _interpolate(
        (1, 1, 200, 2), "int64", size=(150, 3), mode="nearest-exact"
    ),
    "bool nearest-exact 3-d": _interpolate((1, 1, 2, 2, 2), "bool", size=3, mode="nearest-exact"),
    "lanczos without antialias": _interpolate((1, 2, 3, 4), size=2, mode="lanczos"),
    "lanczos of a 3-D input": _interpolate((1, 2, 3), size=2, mode="lanczos"),
    "antialias with trilinear": _interpolate(
        (1, 1, 2, 2, 2), size=3, mode="trilinear", antialias=True
    ),
}


@pytest.mark.parametrize("case", ERRORS)
def test_interpolate_errors_match_torch_at_the_line(case) -> None:
    check_error_at_line(ERRORS[case])


def test_antialias_says_it_is_not_supported() -> None:
    with pytest.raises(NotImplementedError, match="mode 'bilinear' with antialias"):
        gradrpc.nn.functional.interpolate(
            gradrpc.ones(1, 2, 3, 4), size=2, mode="bilinear", antialias=True
        )


def test_a_model_with_bicubic_and_trilinear_upsampling_trains_like_torch() -> None:
    def build(nn):
        return nn.Sequential(
            nn.Conv2d(2, 3, 3, padding=1),
            nn.Upsample(scale_factor=2, mode="bicubic"),
            nn.Tanh(),
            nn.Unflatten(1, (1, 3)),
            nn.Upsample(size=(2, 10, 10), mode="trilinear", align_corners=True),
            nn.Flatten(1, 2),
            nn.Conv2d(2, 1, 3, padding=1),
            nn.Upsample(size=(12, 12), mode="nearest-exact"),
        )

    def data(T):
        return T.tensor(_values((4, 2, 4, 4), 6)), T.tensor(_values((4, 1, 12, 12), 7))

    runs = train_alike(build, lambda T, p: T.optim.SGD(p, lr=0.1), lambda T: T.nn.MSELoss(), data)
    assert_trains_alike(runs)
