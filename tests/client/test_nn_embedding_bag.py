"""F.embedding_bag and nn.EmbeddingBag against torch: every mode, 1-D input with offsets and
2-D input without, per_sample_weights, include_last_offset, padding_idx, scale_grad_by_freq
and max_norm; values (equal to torch's bit for bit), gradients, grad_fn graphs
(EmbeddingBagBackward0), the module's repr, options, initial weight and from_pretrained,
torch's errors at the line and bad offsets or indices at the next read, and training."""

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

WEIGHT = np.random.default_rng(11).standard_normal((10, 4))
INDICES = [1, 2, 4, 5, 4, 3, 2, 9, 0, 0, 7, 4, 4]
OFFSETS = [0, 4, 4, 9, 11]  # an empty bag; with padding_idx=4 the last bag is all padding
SAMPLE_WEIGHTS = np.random.default_rng(12).standard_normal(len(INDICES))
GRAD_TOLERANCE = {torch.float32: (1e-5, 1e-6), torch.float64: (1e-12, 1e-13)}


def _run(T, dtype, kwargs: dict, two_d: bool = False, sample_weights: bool = False):
    """embedding_bag under library T: the result, and the weight's (and the per-sample
    weights') gradient for an upstream gradient of arange values."""
    dtype = getattr(T, str(dtype).removeprefix("torch."))
    weight = T.tensor(WEIGHT, dtype=dtype, requires_grad=True)
    extra = {}
    if sample_weights:
        values = SAMPLE_WEIGHTS[:12] if two_d else SAMPLE_WEIGHTS
        extra["per_sample_weights"] = T.tensor(values, dtype=dtype, requires_grad=True)
        if two_d:
            extra["per_sample_weights"] = extra["per_sample_weights"].reshape(3, 4)
    if two_d:
        out = T.nn.functional.embedding_bag(
            T.tensor(INDICES[:12]).reshape(3, 4), weight, **kwargs, **extra
        )
    else:
        out = T.nn.functional.embedding_bag(
            T.tensor(INDICES), weight, T.tensor(kwargs.pop("offsets", OFFSETS)), **kwargs, **extra
        )
    upstream = T.arange(out.numel(), dtype=dtype).reshape(out.shape) / 7 - 1
    inputs = [weight] + ([extra["per_sample_weights"]] if sample_weights else [])
    grads = T.autograd.grad(out, inputs, upstream)
    return out, grads


def _compare(dtype, kwargs: dict, **options) -> None:
    theirs, their_grads = _run(torch, dtype, dict(kwargs), **options)
    ours, our_grads = _run(gradrpc, dtype, dict(kwargs), **options)
    assert graph_of(ours.grad_fn) == graph_of(theirs.grad_fn)
    assert (ours.shape, str(ours.dtype)) == (theirs.shape, str(theirs.dtype))
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    rtol, atol = GRAD_TOLERANCE[dtype]
    for mine, other in zip(our_grads, their_grads, strict=True):
        np.testing.assert_allclose(mine.numpy(), other.numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 4, -6])
def test_bags_of_a_1_d_input_match_torch(dtype, mode, padding_idx) -> None:
    _compare(dtype, {"mode": mode, "padding_idx": padding_idx})


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_include_last_offset_matches_torch(mode) -> None:
    _compare(torch.float32, {"mode": mode, "include_last_offset": True, "offsets": [*OFFSETS, 13]})


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_rows_of_a_2_d_input_are_its_bags(mode) -> None:
    _compare(torch.float64, {"mode": mode}, two_d=True)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("padding_idx", [None, 4])
@pytest.mark.parametrize("two_d", [False, True])
def test_per_sample_weights_match_torch(dtype, padding_idx, two_d) -> None:
    _compare(dtype, {"mode": "sum", "padding_idx": padding_idx}, two_d=two_d, sample_weights=True)


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_scale_grad_by_freq_matches_torch_s_divisors(mode) -> None:
    """torch divides by the count of the u-th smallest index for the u-th distinct one."""
    _compare(torch.float64, {"mode": mode, "scale_grad_by_freq": True})


def test_max_norm_renormalizes_the_rows_in_place_first() -> None:
    def scenario(T):
        weight = T.tensor(WEIGHT * 2, requires_grad=True)
        out = T.nn.functional.embedding_bag(
            T.tensor(INDICES), weight, T.tensor(OFFSETS), max_norm=1.5, mode="sum"
        )
        return out, weight.detach().clone()

    check_same(scenario, rtol=1e-12, atol=1e-12)


def test_the_deprecated_argument_order_swaps_them_with_torch_s_warning() -> None:
    def scenario(T):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = T.nn.functional.embedding_bag(
                T.tensor(WEIGHT), T.tensor(INDICES), T.tensor(OFFSETS)
            )
        return out, [str(w.message) for w in caught]

    check_same(scenario, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- the module

MODULES = {
    "plain": lambda nn: nn.EmbeddingBag(10, 3),
    "sum, padding_idx": lambda nn: nn.EmbeddingBag(10, 3, mode="sum", padding_idx=0),
    "negative padding_idx": lambda nn: nn.EmbeddingBag(10, 3, padding_idx=-2),
    "every option": lambda nn: nn.EmbeddingBag(
        10,
        3,
        max_norm=1.5,
        norm_type=1.0,
        scale_grad_by_freq=True,
        mode="sum",
        include_last_offset=True,
        padding_idx=4,
    ),
    "max, int norm_type": lambda nn: nn.EmbeddingBag(10, 3, mode="max", max_norm=2, norm_type=3),
    "float64": lambda nn: nn.EmbeddingBag(
        2, 5, dtype=torch.float64 if nn is torch.nn else gradrpc.float64
    ),
}


@pytest.mark.parametrize("name", MODULES)
def test_module_repr_parameters_and_options_match_torch(name: str) -> None:
    def scenario(T):
        bag = MODULES[name](T.nn)
        names = ("num_embeddings", "embedding_dim", "max_norm", "norm_type", "padding_idx")
        options = [getattr(bag, a) for a in names]
        options += [bag.scale_grad_by_freq, bag.mode, bag.sparse, bag.include_last_offset]
        w = bag.weight
        flags = (tuple(w.shape), str(w.dtype), w.requires_grad, w.is_leaf, type(w).__name__)
        return repr(bag), options, flags, list(bag.state_dict())

    check_same(scenario)


@pytest.mark.parametrize("padding_idx", [None, 0, -1])
def test_initial_weight_is_standard_normal_with_the_padding_row_zeroed(padding_idx) -> None:
    """N(0, 1) drawn on the server: over 20,000 numbers the mean within 0.03 of 0 and the
    standard deviation within 0.03 of 1; the padding row zero."""
    bag = gradrpc.nn.EmbeddingBag(2000, 10, padding_idx=padding_idx)
    values = bag.weight.detach().numpy()
    assert values.shape == (2000, 10) and values.dtype == np.float32
    if padding_idx is not None:
        assert not values[padding_idx].any()
        values = np.delete(values, padding_idx, axis=0)
    assert abs(values.mean()) < 0.03 and abs(values.std() - 1) < 0.03
    assert bag.weight.is_leaf and bag.weight.requires_grad


@pytest.mark.parametrize("freeze", [True, False])
def test_from_pretrained_matches_torch(freeze: bool) -> None:
    def scenario(T):
        table = T.tensor(WEIGHT)
        bag = T.nn.EmbeddingBag.from_pretrained(table, freeze=freeze, mode="max", padding_idx=2)
        y = bag(T.tensor([[0, 2, 5], [2, 2, 1]]))
        flags = (bag.weight.requires_grad, y.requires_grad, graph_of(y.grad_fn))
        if freeze:
            return repr(bag), y, flags, bag.weight.grad
        y.sum().backward()
        return repr(bag), y, flags, bag.weight.grad

    check_same(scenario, rtol=1e-12, atol=1e-12)


def test_module_forward_with_offsets_and_per_sample_weights() -> None:
    def scenario(T):
        bag = T.nn.EmbeddingBag.from_pretrained(T.tensor(WEIGHT), freeze=False, mode="sum")
        psw = T.tensor(SAMPLE_WEIGHTS, requires_grad=True)
        y = bag(T.tensor(INDICES), T.tensor(OFFSETS), per_sample_weights=psw)
        y.sum().backward()
        return y, bag.weight.grad, psw.grad

    check_same(scenario, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- errors

ERRORS = {
    "psw shape": lambda T: T.nn.functional.embedding_bag(
        T.tensor([1, 2]), T.ones(5, 2), T.tensor([0]), per_sample_weights=T.ones(3), mode="sum"
    ),
    "weight 1-d": lambda T: T.nn.functional.embedding_bag(
        T.tensor([1, 2]), T.ones(5), T.tensor([0])
    ),
    "2-d with offsets": lambda T: T.nn.functional.embedding_bag(
        T.tensor([[1, 2]]), T.ones(5, 2), T.tensor([0])
    ),
    "no offsets": lambda T: T.nn.functional.embedding_bag(T.tensor([1, 2]), T.ones(5, 2)),
    "2-d offsets": lambda T: T.nn.functional.embedding_bag(
        T.tensor([1, 2]), T.ones(5, 2), T.tensor([[0]])
    ),
    "3-d input": lambda T: T.nn.functional.embedding_bag(T.tensor([[[1, 2]]]), T.ones(5, 2)),
    "mode": lambda T: T.nn.functional.embedding_bag(
        T.tensor([1, 2]), T.ones(5, 2), T.tensor([0]), mode="min"
    ),
    "max by freq": lambda T: T.nn.functional.embedding_bag(
        T.tensor([1, 2]), T.ones(5, 2), T.tensor([0]), mode="max", scale_grad_by_freq=True
    ),
    "max sparse": lambda T: T.nn.functional.embedding_bag(
        T.tensor([1, 2]), T.ones(5, 2), T.tensor([0]), mode="max", sparse=True
    ),
    "psw with mean": lambda T: T.nn.functional.embedding_bag(
        T.tensor([1, 2]), T.ones(5, 2), T.tensor([0]), per_sample_weights=T.ones(2)
    ),
    "psw dtype": lambda T: T.nn.functional.embedding_bag(
        T.tensor([1, 2]),
        T.ones(5, 2),
        T.tensor([0]),
        per_sample_weights=T.ones(2, dtype=T.float64),
        mode="sum",
    ),
    "float indices": lambda T: T.nn.functional.embedding_bag(
        T.tensor([1.0, 2.0]), T.ones(5, 2), T.tensor([0])
    ),
    "float offsets": lambda T: T.nn.functional.embedding_bag(
        T.tensor([1, 2]), T.ones(5, 2), T.tensor([0.0])
    ),
    "integer weight": lambda T: T.nn.functional.embedding_bag(
        T.tensor([1, 2]), T.ones(5, 2, dtype=T.long), T.tensor([0])
    ),
    "padding_idx too large": lambda T: T.nn.functional.embedding_bag(
        T.tensor([1, 2]), T.ones(5, 2), T.tensor([0]), padding_idx=5
    ),
    "padding_idx too small": lambda T: T.nn.functional.embedding_bag(
        T.tensor([1, 2]), T.ones(5, 2), T.tensor([0]), padding_idx=-6
    ),
    "include_last_offset without offsets": lambda T: T.nn.functional.embedding_bag(
        T.tensor([1, 2]), T.ones(5, 2), T.tensor([], dtype=T.long), include_last_offset=True
    ),
    "2-d input of empty rows": lambda T: T.nn.functional.embedding_bag(
        T.zeros(2, 0, dtype=T.long), T.ones(5, 2)
    ),
    "module padding_idx": lambda T: T.nn.EmbeddingBag(5, 3, padding_idx=5),
    "module _weight shape": lambda T: T.nn.EmbeddingBag(5, 3, _weight=T.ones(3, 5)),
    "from_pretrained 1-d": lambda T: T.nn.EmbeddingBag.from_pretrained(T.ones(3)),
}


@pytest.mark.parametrize("call", ERRORS.values(), ids=ERRORS.keys())
def test_error_at_the_line(call) -> None:
    check_error_at_line(call)


@pytest.mark.parametrize(
    ("indices", "offsets"),
    [([1, 2, 3], [1, 2]), ([1, 2, 3], [0, 4]), ([1, 2, 3], [0, 2, 1]), ([1, 10, 2], [0])],
    ids=["first offset", "past the end", "decreasing", "index"],
)
def test_bad_offsets_and_indices_are_torch_s_errors_at_the_next_read(indices, offsets) -> None:
    check_raised_at_the_next_read(
        lambda T: (
            T.nn.functional.embedding_bag(T.tensor(indices), T.ones(10, 2), T.tensor(offsets))
            .sum()
            .item()
        ),
        "embedding_bag",
    )


def test_trains_as_torch_trains() -> None:
    """EmbeddingBag -> Linear -> CrossEntropyLoss, SGD from torch's initial weights."""
    torch.manual_seed(0)
    runs = train_alike(
        lambda nn: nn.Sequential(
            nn.EmbeddingBag(12, 5, mode="mean", padding_idx=0), nn.Linear(5, 3)
        ),
        lambda T, params: T.optim.SGD(params, lr=0.5),
        lambda T: T.nn.CrossEntropyLoss(),
        lambda T: (
            T.tensor([[1, 2, 0], [3, 4, 5], [6, 0, 0], [7, 11, 10]]),
            T.tensor([0, 1, 2, 1]),
        ),
    )
    assert_trains_alike(runs)
