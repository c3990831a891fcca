"""nn.MaxUnpool1d/2d/3d and F.max_unpool1d/2d/3d against torch 2.13: the inverse of max pooling
with return_indices (values, gradients and graphs, MaxUnpool2DBackward0, MaxUnpool3DBackward0
and the 1-d form's unsqueeze and squeeze), the output size by default or given (with its
batch dims or not), batched and unbatched, the modules' attributes and reprs, and torch's
errors at the line."""

from __future__ import annotations

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import check_error_at_line, check_same, graph_of

TOLERANCE = {"float32": {"rtol": 0, "atol": 0}, "float64": {"rtol": 0, "atol": 0}}


def _values(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).tolist()


CASES = {
    "1d": (1, (2, 3, 8), (2,), {}),
    "1d stride 1 output_size": (1, (3, 9), (3,), {"stride": 1, "output_size": (10,)}),
    "2d": (2, (2, 3, 6, 8), (2,), {}),
    "2d 3x2 stride 2 padding 1": (2, (2, 2, 7, 6), ((3, 2),), {"stride": 2, "padding": 1}),
    "2d output_size with batch dims": (2, (2, 3, 7, 7), (2,), {"output_size": [2, 3, 7, 7]}),
    "2d unbatched": (2, (3, 6, 5), (2,), {"stride": (2, 1)}),
    "3d": (3, (2, 2, 4, 6, 6), (2,), {}),
    "3d 2x3x2 padding": (
        3,
        (1, 2, 5, 7, 6),
        ((2, 3, 2),),
        {"stride": 2, "padding": (1, 1, 0), "output_size": (5, 7, 6)},
    ),
    "3d unbatched output_size": (3, (2, 5, 6, 7), (2,), {"output_size": (5, 7, 7)}),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES)
def test_max_unpool_of_max_pool_matches_torch(case, dtype) -> None:
    spatial, shape, args, kwargs = CASES[case]
    unpool_kwargs = dict(kwargs)
    pool_kwargs = {k: v for k, v in kwargs.items() if k != "output_size"}

    def scenario(T):
        F = T.nn.functional
        kind = getattr(T, dtype)
        x = T.tensor(_values(shape, 0), dtype=kind)
        pool = getattr(F, f"max_pool{spatial}d")
        values, indices = pool(x, *args, **pool_kwargs, return_indices=True)
        values = values.detach().requires_grad_()
        y = getattr(F, f"max_unpool{spatial}d")(values, indices, *args, **unpool_kwargs)
        y.backward(T.tensor(_values(tuple(y.shape), 1), dtype=kind))
        return y, graph_of(y.grad_fn), values.grad

    check_same(scenario, **TOLERANCE[dtype])


MODULES = {
    "MaxUnpool1d": (
        lambda nn: (nn.MaxPool1d(2, return_indices=True), nn.MaxUnpool1d(2)),
        (2, 3, 8),
    ),
    "MaxUnpool2d": (
        lambda nn: (nn.MaxPool2d((2, 3), 1, 1, return_indices=True), nn.MaxUnpool2d((2, 3), 1, 1)),
        (2, 3, 6, 7),
    ),
    "MaxUnpool3d": (
        lambda nn: (nn.MaxPool3d(2, return_indices=True), nn.MaxUnpool3d(2)),
        (2, 2, 4, 6, 5),
    ),
}


@pytest.mark.parametrize("name", MODULES)
def test_max_unpool_modules_match_torch(name) -> None:
    build, shape = MODULES[name]

    def scenario(T):
        pool, unpool = build(T.nn)
        x = T.tensor(_values(shape, 2), requires_grad=True)
        values, indices = pool(x)
        y = unpool(values, indices, output_size=x.shape)
        y.sum().backward()
        attributes = [unpool.kernel_size, unpool.stride, unpool.padding]
        return repr(unpool), attributes, y, graph_of(y.grad_fn), x.grad

    check_same(scenario)


def _pooled(T, shape=(1, 2, 4, 6)):
    return T.nn.functional.max_pool2d(T.tensor(_values(shape, 3)), 2, return_indices=True)


ERRORS = {
    "output_size out of range": lambda T: T.nn.functional.max_unpool2d(
        *_pooled(T), 2, output_size=(9, 6)
    ),
    "output_size of three": lambda T: T.nn.functional.max_unpool2d(
        *_pooled(T), 2, output_size=(1, 4, 6)
    ),
    "float indices": lambda T: T.nn.functional.max_unpool2d(
        _pooled(T)[0], _pooled(T)[1].double(), 2
    ),
    "indices of another shape": lambda T: T.nn.functional.max_unpool2d(
        _pooled(T)[0], _pooled(T)[1][:, :1], 2
    ),
    "a 2-d input": lambda T: T.nn.functional.max_unpool2d(
        _pooled(T)[0][0, 0], _pooled(T)[1][0, 0], 2
    ),
    "an int input": lambda T: T.nn.functional.max_unpool2d(_pooled(T)[0].long(), _pooled(T)[1], 2),
    "no channels": lambda T: T.nn.functional.max_unpool3d(
        T.ones(1, 0, 2, 2, 2), T.zeros(1, 0, 2, 2, 2, dtype=T.int64), 2
    ),
    "3d zero stride": lambda T: T.nn.functional.max_unpool3d(
        T.ones(1, 1, 2, 2, 2), T.zeros(1, 1, 2, 2, 2, dtype=T.int64), 2, (0, 2, 2)
    ),
    "3d a 3-d input": lambda T: T.nn.functional.max_unpool3d(
        T.ones(1, 2, 2), T.zeros(1, 2, 2, dtype=T.int64), 2
    ),
    "list indices": lambda T: T.nn.functional.max_unpool2d(_pooled(T)[0], [0], 2),
    "float output_size": lambda T: T.nn.functional.max_unpool2d(
        *_pooled(T), 2, output_size=(4.0, 6)
    ),
    "MaxUnpool2d negative output": lambda T: T.nn.MaxUnpool2d(1, padding=1)(
        *_pooled(T, (1, 1, 2, 2))
    ),
}


@pytest.mark.parametrize("name", ERRORS)
def test_max_unpool_errors_match_torch_at_the_line(name: str) -> None:
    check_error_at_line(ERRORS[name])


@pytest.mark.parametrize("spatial", [1, 2, 3])
def test_an_index_outside_its_plane_is_torch_s_error_at_the_next_read(spatial: int) -> None:
    """torch raises in the call; gradrpc's call is sent without waiting, so its error surfaces
    at the next read, naming the call's line."""

    def scenario(T):
        shape = (1, 2, *(2,) * spatial)
        indices = T.zeros(shape, dtype=T.int64)
        indices.view(-1)[3] = 4**spatial  # the size of an output plane
        unpool = getattr(T.nn.functional, f"max_unpool{spatial}d")
        y = unpool(T.ones(shape), indices, 2)
        return y.tolist()

    with pytest.raises(RuntimeError) as theirs:
        scenario(torch)
    with pytest.raises(RuntimeError) as ours:
        scenario(gradrpc)
    line = scenario.__code__.co_firstlineno + 5
    name = "max_unpool3d" if spatial == 3 else "max_unpool2d"
    where = f"\n(gradrpc: raised by '{name}' queued at {__file__}:{line})"
    assert str(ours.value) == str(theirs.value) + where
    assert (gradrpc.ones(2) * 3).sum().item() == 6.0  # the session goes on
