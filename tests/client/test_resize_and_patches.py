"""F.interpolate ('nearest' on 3-D to 5-D inputs, 'linear' and 'bilinear' with and without
align_corners,
'area'), its deprecated aliases and nn.Upsample / UpsamplingNearest2d /
UpsamplingBilinear2d, and F.pixel_shuffle / pixel_unshuffle (torch.* too) with
nn.PixelShuffle / PixelUnshuffle, against torch 2.13: values bit for bit and gradients in
float32 and float64 (by size or scale_factor, recompute_scale_factor too), the graphs,
torch's errors at the line and its warnings, the modules' reprs, and training loops."""

from __future__ import annotations

import warnings

import gradrpc
import numpy as np
import pytest
from clientkit import (
    assert_trains_alike,
    check_error_at_line,
    check_raised_at_the_next_read,
    check_same,
    graph_of,
    train_alike,
)

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
    "linear by size": ((2, 3, 7), {"size": 11, "mode": "linear"}),
    "linear align_corners": ((2, 9, 40), {"size": 150, "mode": "linear", "align_corners": True}),
    "linear by scale": ((1, 2, 6), {"scale_factor": 1.7, "mode": "linear"}),
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
    "linear of a 4-D input": lambda T: T.nn.functional.interpolate(
        T.ones(1, 2, 3, 4), size=2, mode="linear"
    ),
    "int64 linear": lambda T: T.nn.functional.interpolate(
        T.ones(1, 2, 3, dtype=T.int64), size=2, mode="linear"
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
    with pytest.raises(NotImplementedError, match="mode 'bicubic' with antialias"):
        gradrpc.nn.functional.interpolate(
            gradrpc.ones(1, 2, 3, 4), size=2, mode="bicubic", antialias=True
        )


SHUFFLES = {
    "shuffle by 2": ("pixel_shuffle", (2, 8, 3, 4), 2),
    "shuffle by 3, unbatched": ("pixel_shuffle", (9, 2, 3), 3),
    "shuffle by 1": ("pixel_shuffle", (1, 4, 2, 3), 1),
    "shuffle with two batch dims": ("pixel_shuffle", (2, 3, 4, 2, 2), 2),
    "unshuffle by 2": ("pixel_unshuffle", (2, 2, 6, 4), 2),
    "unshuffle by 3, two batch dims": ("pixel_unshuffle", (3, 2, 1, 6, 9), 3),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", SHUFFLES)
def test_pixel_shuffles_values_gradients_and_graph_match_torch(case, dtype) -> None:
    name, shape, factor = SHUFFLES[case]

    def scenario(T):
        kind = getattr(T, dtype)
        x = T.tensor(_values(shape, 8), dtype=kind, requires_grad=True)
        y = getattr(T.nn.functional, name)(x * 1, factor)
        y.backward(T.tensor(_values(tuple(y.shape), 9), dtype=kind))
        again = getattr(T, name)(x.detach(), factor)
        return y, graph_of(y.grad_fn), x.grad, again

    check_same(scenario, **EXACT)


def test_pixel_shuffles_keep_integer_and_bool_dtypes_like_torch() -> None:
    def scenario(T):
        x = T.arange(24).reshape(1, 4, 2, 3)
        shuffled = T.nn.functional.pixel_shuffle(x, 2)
        back = T.nn.functional.pixel_unshuffle(shuffled, 2)
        return shuffled, back, T.pixel_shuffle(x > 5, 2)

    check_same(scenario, **EXACT)


def test_empty_pixel_shuffles_and_their_backward_match_torch() -> None:
    """torch's pixel_unshuffle copies an input without elements in its own shape, so the
    backward of an empty pixel_shuffle fails, as torch's does."""

    def scenario(T):
        return T.nn.functional.pixel_unshuffle(T.ones(0, 1, 4, 4), 2).shape

    check_same(scenario)

    def backward(T):
        x = T.ones(0, 4, 2, 2, requires_grad=True)
        T.nn.functional.pixel_shuffle(x, 2).sum().backward()
        return x.grad.tolist()

    check_raised_at_the_next_read(backward, "backward")


@pytest.mark.parametrize(
    "build", [lambda nn: nn.PixelShuffle(2), lambda nn: nn.PixelUnshuffle(2)], ids=["up", "down"]
)
def test_pixel_shuffle_modules_reprs_values_and_gradients_match_torch(build) -> None:
    def scenario(T):
        module = build(T.nn)
        x = T.tensor(_values((2, 4, 4, 6), 10), requires_grad=True)
        y = module(x)
        y.backward(T.tensor(_values(tuple(y.shape), 11)))
        return repr(module), y, graph_of(y.grad_fn), x.grad

    check_same(scenario, **EXACT)


SHUFFLE_ERRORS = {
    "shuffle of a 2-D input": lambda T: T.nn.functional.pixel_shuffle(T.ones(2, 3), 2),
    "shuffle of a 2-D input by 0": lambda T: T.nn.functional.pixel_shuffle(T.ones(2, 3), 0),
    "shuffle by 0": lambda T: T.nn.functional.pixel_shuffle(T.ones(1, 8, 3, 4), 0),
    "shuffle by -2": lambda T: T.nn.functional.pixel_shuffle(T.ones(1, 8, 3, 4), -2),
    "shuffle of channels not a square's multiple": lambda T: T.nn.functional.pixel_shuffle(
        T.ones(2, 3, 4), 2
    ),
    "shuffle by a float": lambda T: T.nn.functional.pixel_shuffle(T.ones(1, 4, 3, 4), 2.0),
    "shuffle of a list": lambda T: T.pixel_shuffle([1.0], 2),
    "unshuffle of a 2-D input": lambda T: T.nn.functional.pixel_unshuffle(T.ones(2, 3), 2),
    "unshuffle of an odd height": lambda T: T.nn.functional.pixel_unshuffle(T.ones(1, 2, 3, 4), 2),
    "unshuffle of an odd width": lambda T: T.nn.functional.pixel_unshuffle(T.ones(1, 2, 4, 3), 2),
    "unshuffle by 0": lambda T: T.nn.functional.pixel_unshuffle(T.ones(1, 2, 4, 4), 0),
    "unshuffle of an empty odd height": lambda T: T.nn.functional.pixel_unshuffle(
        T.ones(0, 1, 3, 4), 2
    ),
}


@pytest.mark.parametrize("case", SHUFFLE_ERRORS)
def test_pixel_shuffle_errors_match_torch_at_the_line(case) -> None:
    check_error_at_line(SHUFFLE_ERRORS[case])


def test_a_model_with_pixel_shuffles_trains_like_torch() -> None:
    def build(nn):
        return nn.Sequential(
            nn.PixelUnshuffle(2),
            nn.Conv2d(4, 8, 3, padding=1),
            nn.Tanh(),
            nn.PixelShuffle(2),
            nn.Conv2d(2, 1, 1),
        )

    def data(T):
        return T.tensor(_values((3, 1, 6, 6), 12)), T.tensor(_values((3, 1, 6, 6), 13))

    runs = train_alike(build, lambda T, p: T.optim.SGD(p, lr=0.1), lambda T: T.nn.MSELoss(), data)
    assert_trains_alike(runs)


PATCHES = {
    "unfold 2x2": ("unfold", (2, 3, 5, 6), (2,), {}),
    "unfold with everything": (
        "unfold",
        (2, 3, 5, 6),
        ((2, 3),),
        {"dilation": (1, 2), "padding": (1, 0), "stride": (2, 1)},
    ),
    "unfold unbatched": ("unfold", (3, 4, 5), (3,), {"padding": 1, "stride": 2}),
    "fold 2x2": ("fold", (2, 12, 20), ((5, 6), 2), {}),
    "fold overlapping with everything": (
        "fold",
        (2, 12, 6),
        ((5, 6), (2, 3)),
        {"dilation": (1, 2), "padding": (1, 0), "stride": (2, 1)},
    ),
    "fold unbatched": ("fold", (8, 12), ((4, 5), 2), {}),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", PATCHES)
def test_unfold_and_fold_values_gradients_and_graph_match_torch(case, dtype) -> None:
    name, shape, args, kwargs = PATCHES[case]

    def scenario(T):
        kind = getattr(T, dtype)
        x = T.tensor(_values(shape, 14), dtype=kind, requires_grad=True)
        y = getattr(T.nn.functional, name)(x * 1, *args, **kwargs)
        y.backward(T.tensor(_values(tuple(y.shape), 15), dtype=kind))
        return y, graph_of(y.grad_fn), x.grad

    check_same(scenario, **EXACT)


def test_fold_of_unfold_counts_each_element_s_blocks_like_torch() -> None:
    def scenario(T):
        x = T.ones(1, 2, 5, 5, dtype=T.float64)
        patches = T.nn.functional.unfold(x, 3, padding=1)
        return T.nn.functional.fold(patches, (5, 5), 3, padding=1), T.nn.functional.unfold(x > 0, 2)

    check_same(scenario, **EXACT)


@pytest.mark.parametrize(
    "build",
    [
        lambda nn: nn.Unfold(2),
        lambda nn: nn.Unfold((2, 3), dilation=2, padding=1, stride=(1, 2)),
        lambda nn: nn.Fold((4, 5), 2),
        lambda nn: nn.Fold(output_size=(4, 6), kernel_size=(2, 3), stride=(2, 3)),
    ],
    ids=["Unfold", "Unfold with everything", "Fold", "Fold strided"],
)
def test_unfold_and_fold_modules_reprs_values_and_gradients_match_torch(build) -> None:
    def scenario(T):
        module = build(T.nn)
        shape = (2, 3, 5, 6) if isinstance(module, T.nn.Unfold) else (2, 12, 12)
        if isinstance(module, T.nn.Fold) and module.output_size == (4, 6):
            shape = (2, 18, 4)
        x = T.tensor(_values(shape, 16), requires_grad=True)
        y = module(x)
        y.backward(T.tensor(_values(tuple(y.shape), 17)))
        return repr(module), y, graph_of(y.grad_fn), x.grad

    check_same(scenario, **EXACT)


PATCH_ERRORS = {
    "unfold of a 5-D input": lambda T: T.nn.functional.unfold(T.ones(2, 3, 5, 6, 1), 2),
    "unfold of a 2-D input": lambda T: T.nn.functional.unfold(T.ones(5, 6), 2),
    "unfold of a 1-D input": lambda T: T.nn.functional.unfold(T.ones(5), 2),
    "unfold kernel 0": lambda T: T.nn.functional.unfold(T.ones(2, 3, 5, 6), 0),
    "unfold stride 0": lambda T: T.nn.functional.unfold(T.ones(2, 3, 5, 6), 2, stride=0),
    "unfold dilation 0 and stride 0": lambda T: T.nn.functional.unfold(
        T.ones(2, 3, 5, 6), 2, dilation=0, stride=0
    ),
    "unfold negative padding": lambda T: T.nn.functional.unfold(T.ones(2, 3, 5, 6), 2, padding=-1),
    "unfold kernel too large": lambda T: T.nn.functional.unfold(T.ones(2, 3, 5, 6), 7),
    "unfold three kernel sizes": lambda T: T.nn.functional.unfold(T.ones(2, 3, 5, 6), (2, 3, 4)),
    "unfold without channels": lambda T: T.nn.functional.unfold(T.ones(2, 0, 5, 6), 2),
    "unfold of int64": lambda T: T.nn.functional.unfold(T.ones(2, 3, 5, 6, dtype=T.int64), 2),
    "unfold by a float": lambda T: T.nn.functional.unfold(T.ones(1, 2, 3, 3), 2.0),
    "unfold of a string": lambda T: T.nn.functional.unfold("a", 2),
    "fold rows not a kernel multiple": lambda T: T.nn.functional.fold(T.ones(2, 12, 20), (5, 6), 3),
    "fold of the wrong length": lambda T: T.nn.functional.fold(T.ones(2, 12, 19), (5, 6), 2),
    "fold unbatched rows": lambda T: T.nn.functional.fold(T.ones(2, 12), (5, 6), 2),
    "fold kernel 0": lambda T: T.nn.functional.fold(T.ones(2, 12, 20), (5, 6), 0),
    "fold stride 0 and dilation 0": lambda T: T.nn.functional.fold(
        T.ones(2, 12, 20), (5, 6), 2, dilation=0, stride=0
    ),
    "fold into nothing": lambda T: T.nn.functional.fold(T.ones(2, 4, 1), (1, 1), 2),
    "fold of a 1-D input": lambda T: T.nn.functional.fold(T.ones(3), (5, 6), 2),
    "fold of a 4-D input": lambda T: T.nn.functional.fold(T.ones(2, 3, 4, 5), (5, 6), 2),
    "fold of int64": lambda T: T.nn.functional.fold(T.ones(2, 12, 20, dtype=T.int64), (5, 6), 2),
    "fold by a float size": lambda T: T.nn.functional.fold(T.ones(1, 4, 4), 3.0, 2),
}


@pytest.mark.parametrize("case", PATCH_ERRORS)
def test_unfold_and_fold_errors_match_torch_at_the_line(case) -> None:
    check_error_at_line(PATCH_ERRORS[case])


def test_a_model_with_unfold_and_fold_trains_like_torch() -> None:
    def build(nn):
        return nn.Sequential(
            nn.Unfold(2, stride=2),
            nn.Unflatten(1, (4, 2)),
            nn.Flatten(1, 2),
            nn.Tanh(),
            nn.Fold((4, 4), 2, stride=2),
            nn.Conv2d(2, 1, 3, padding=1),
        )

    def data(T):
        return T.tensor(_values((3, 2, 4, 4), 18)), T.tensor(_values((3, 1, 4, 4), 19))

    runs = train_alike(build, lambda T, p: T.optim.SGD(p, lr=0.1), lambda T: T.nn.MSELoss(), data)
    assert_trains_alike(runs)
