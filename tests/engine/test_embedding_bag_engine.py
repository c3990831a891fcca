"""embedding_bag in the engine against torch 2.13: every mode, empty bags, padding_idx,
per_sample_weights, include_last_offset and scale_grad_by_freq; values equal to torch's bit
for bit (the same sums in the same order), gradients within a few ulps (torch's axpy and dot
may fuse or vectorize), and torch's errors for bad offsets and indices."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gradrpc.engine import graph
from gradrpc.engine.errors import ComputeError

INDICES = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0, 0, 7, 4, 4, 6])
OFFSETS = np.array([0, 4, 4, 9, 11])  # an empty bag, a bag of two paddings with padding_idx 4
TOLERANCE = {"float32": {"rtol": 1e-5, "atol": 1e-6}, "float64": {"rtol": 1e-12, "atol": 1e-13}}


def _both(dtype, mode, sample_weights=False, **attrs):
    rng = np.random.default_rng(5)
    weight = rng.standard_normal((10, 6)).astype(dtype)
    offsets = OFFSETS if not attrs.get("include_last_offset") else np.append(OFFSETS, 14)
    ours_w = graph.Tensor(weight.copy(), requires_grad=True)
    theirs_w = torch.tensor(weight, requires_grad=True)
    ours_in, theirs_in = [ours_w], [theirs_w]
    operands = [ours_w, graph.Tensor(INDICES), graph.Tensor(offsets)]
    psw = None
    if not sample_weights:
        operands.append(0)
    else:
        values = rng.standard_normal(INDICES.size).astype(dtype)
        operands.append(graph.Tensor(values.copy(), requires_grad=True))
        psw = torch.tensor(values, requires_grad=True)
        ours_in.append(operands[-1])
        theirs_in.append(psw)
    ours = graph.call("embedding_bag", operands, {"mode": mode, **attrs})
    theirs = torch.embedding_bag(
        theirs_w,
        torch.tensor(INDICES),
        torch.tensor(offsets),
        attrs.get("scale_grad_by_freq", False),
        {"sum": 0, "mean": 1, "max": 2}[mode],
        False,
        psw,
        attrs.get("include_last_offset", False),
        attrs.get("padding_idx", -1) if attrs.get("padding_idx", -1) >= 0 else None,
    )[0]
    assert ours.grad_fn.name == theirs.grad_fn.name() == "EmbeddingBagBackward0"
    assert ours.data.dtype == theirs.detach().numpy().dtype
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())
    upstream = np.random.default_rng(9).standard_normal(ours.meta.shape).astype(dtype)
    grads = graph.run_backward(
        [ours],
        [graph.Tensor(upstream.copy())],
        retain_graph=False,
        targets=ours_in,
        accumulate=False,
    )
    theirs_grads = torch.autograd.grad(theirs, theirs_in, torch.tensor(upstream))
    for mine, other in zip(grads, theirs_grads, strict=True):
        np.testing.assert_allclose(mine, other.numpy(), **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [-1, 4])
@pytest.mark.parametrize("include_last_offset", [False, True])
def test_modes_match_torch(dtype, mode, padding_idx, include_last_offset) -> None:
    _both(dtype, mode, padding_idx=padding_idx, include_last_offset=include_last_offset)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("padding_idx", [-1, 4])
def test_per_sample_weights_match_torch(dtype, padding_idx) -> None:
    _both(dtype, "sum", sample_weights=True, padding_idx=padding_idx)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_scale_grad_by_freq_matches_torch(dtype, mode) -> None:
    _both(dtype, mode, scale_grad_by_freq=True, padding_idx=2)


def test_max_takes_the_first_of_equal_maxima_and_nan_only_first() -> None:
    weight = np.array([[1.0, 2.0], [1.0, 3.0], [np.nan, 2.0], [0.0, np.nan]])
    for indices in ([0, 1, 3, 2], [2, 0, 1], [3, 1]):
        ours = graph.call(
            "embedding_bag",
            [graph.Tensor(weight), graph.Tensor(np.array(indices)), graph.Tensor(np.array([0])), 0],
            {"mode": "max"},
        )
        theirs = torch.nn.functional.embedding_bag(
            torch.tensor(indices), torch.tensor(weight), torch.tensor([0]), mode="max"
        )
        np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize(
    ("indices", "offsets"),
    [([1, 2, 3], [1, 2]), ([1, 2, 3], [0, 4]), ([1, 2, 3], [0, 2, 1]), ([1, 10, 2], [0])],
    ids=["first offset", "past the end", "decreasing", "index"],
)
def test_bad_offsets_and_indices_are_torch_s_errors(indices, offsets) -> None:
    weight = np.ones((10, 3), np.float32)
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.functional.embedding_bag(
            torch.tensor(indices), torch.tensor(weight), torch.tensor(offsets)
        )
    with pytest.raises(ComputeError) as ours:
        graph.call(
            "embedding_bag",
            [
                graph.Tensor(weight),
                graph.Tensor(np.array(indices)),
                graph.Tensor(np.array(offsets)),
                0,
            ],
            {"mode": "mean"},
        )
    assert str(ours.value) == str(theirs.value)
