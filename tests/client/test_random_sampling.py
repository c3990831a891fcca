"""Random sampling on the session's generator (not torch's streams): shapes, dtypes,
ranges and loose statistics of bernoulli, multinomial, normal, poisson, exponential_,
geometric_, log_normal_ and cauchy_; the same draws again after gradrpc.manual_seed; and
torch's argument errors, word for word."""

from __future__ import annotations

import math

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import check_same

N = 20000


def same_after_seed(draw) -> np.ndarray:
    """draw() twice after manual_seed(5): the same values; different after another seed."""
    gradrpc.manual_seed(5)
    first = draw().numpy()
    gradrpc.manual_seed(5)
    np.testing.assert_array_equal(draw().numpy(), first)
    gradrpc.manual_seed(6)
    assert not np.array_equal(draw().numpy(), first) or first.size < 4
    return first


def like_torch(draw) -> np.ndarray:
    """draw(T) for torch and gradrpc: the same dtype and shape; gradrpc's values."""
    expected, actual = draw(torch), draw(gradrpc)
    assert str(actual.dtype) == str(expected.dtype)
    assert tuple(actual.shape) == tuple(expected.shape)
    assert actual.requires_grad is False
    return actual.numpy()


def test_bernoulli_of_probabilities_and_of_p():
    p = np.linspace(0, 1, 5, dtype=np.float32).repeat(N // 5)
    values = like_torch(lambda T: T.bernoulli(T.tensor(p)))
    assert set(np.unique(values)) <= {0.0, 1.0}
    means = values.reshape(5, -1).mean(1)
    np.testing.assert_allclose(means, [0, 0.25, 0.5, 0.75, 1], atol=0.03)
    assert means[0] == 0 and means[-1] == 1
    values = like_torch(lambda T: T.bernoulli(T.zeros(N, dtype=T.float64), 0.3))
    assert abs(values.mean() - 0.3) < 0.02
    same_after_seed(lambda: gradrpc.bernoulli(gradrpc.full((50,), 0.5)))
    values = like_torch(lambda T: T.tensor(p).bernoulli())
    assert abs(values.mean() - 0.5) < 0.02


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_bernoulli_in_place(dtype):
    values = like_torch(lambda T: T.zeros(N, dtype=getattr(T, dtype)).bernoulli_(0.2))
    assert abs(values.astype(float).mean() - 0.2) < 0.02
    p = np.where(np.arange(N) % 2, 0.9, 0.0).astype(np.float32)
    values = like_torch(lambda T: T.zeros(N, dtype=getattr(T, dtype)).bernoulli_(T.tensor(p)))
    assert values[::2].astype(float).sum() == 0
    assert abs(values[1::2].astype(float).mean() - 0.9) < 0.02


@pytest.mark.parametrize("replacement", [False, True])
def test_multinomial(replacement):
    weights = np.array([0.1, 0.0, 0.9, 2.0], np.float32)
    values = like_torch(lambda T: T.multinomial(T.tensor(weights), 4, replacement))
    assert values.dtype == np.int64 and values.min() >= 0 and values.max() <= 3
    if not replacement:
        assert sorted(values) == [0, 1, 2, 3] and values[-1] == 1  # the zero weight last
    rows = np.tile(weights, (N // 10, 1))
    values = like_torch(lambda T: T.multinomial(T.tensor(rows), 1, replacement))
    counts = np.bincount(values.reshape(-1), minlength=4) / values.size
    np.testing.assert_allclose(counts, weights / weights.sum(), atol=0.02)
    assert counts[1] == 0
    same_after_seed(lambda: gradrpc.tensor(weights).multinomial(3, replacement))


def test_multinomial_with_replacement_draws_many():
    values = like_torch(lambda T: T.multinomial(T.tensor([1.0, 3.0]), N, True))
    assert abs(values.mean() - 0.75) < 0.02


def test_normal_overloads():
    mean = np.array([-5.0, 0.0, 5.0], np.float32).repeat(N // 3)
    values = like_torch(lambda T: T.normal(T.tensor(mean), T.full(mean.shape, 2.0)))
    np.testing.assert_allclose(values.reshape(3, -1).mean(1), [-5, 0, 5], atol=0.1)
    np.testing.assert_allclose(values.reshape(3, -1).std(1), [2, 2, 2], rtol=0.05)
    values = like_torch(lambda T: T.normal(T.tensor(mean), 0.5))
    np.testing.assert_allclose(values.reshape(3, -1).std(1), [0.5] * 3, rtol=0.05)
    values = like_torch(lambda T: T.normal(1.0, T.full((N,), 3.0, dtype=T.float64)))
    assert abs(values.mean() - 1) < 0.1 and abs(values.std() - 3) < 0.15
    values = like_torch(lambda T: T.normal(2.0, 0.1, (N // 10, 10)))
    assert abs(values.mean() - 2) < 0.01
    like_torch(lambda T: T.normal(0.0, 1.0, size=(2, 3), dtype=T.float64))
    like_torch(lambda T: T.normal(T.zeros(3, 1), T.ones(4)))
    like_torch(lambda T: T.normal(T.zeros(3), T.ones(3, dtype=T.float64)))
    same_after_seed(lambda: gradrpc.normal(gradrpc.zeros(10), 1.0))
    same_after_seed(lambda: gradrpc.normal(0.0, 1.0, (10,)))


def test_poisson():
    rates = np.array([0.0, 0.5, 4.0, 60.0], np.float32).repeat(N // 4)
    values = like_torch(lambda T: T.poisson(T.tensor(rates)))
    assert np.all(values == np.round(values)) and values.min() >= 0
    groups = values.reshape(4, -1)
    np.testing.assert_allclose(groups.mean(1), [0, 0.5, 4, 60], atol=0.25)
    np.testing.assert_allclose(groups[1:].var(1), [0.5, 4, 60], rtol=0.1)
    assert groups[0].max() == 0
    like_torch(lambda T: T.poisson(T.ones(2, 3, dtype=T.float64)))
    same_after_seed(lambda: gradrpc.poisson(gradrpc.full((10,), 3.0)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_continuous_distributions_in_place(dtype):
    def filled(method, *args):
        return like_torch(lambda T: getattr(T.empty(N, dtype=getattr(T, dtype)), method)(*args))

    values = filled("exponential_", 2.0)
    assert values.min() >= 0 and abs(values.mean() - 0.5) < 0.02
    values = filled("geometric_", 0.25)
    assert values.min() >= 1 and np.all(values == np.round(values))
    assert abs(values.mean() - 4) < 0.15
    values = filled("log_normal_", 0.5, 0.25)
    assert values.min() > 0 and abs(np.log(values).mean() - 0.5) < 0.01
    assert abs(np.log(values).std() - 0.25) < 0.01
    values = filled("cauchy_", 1.0, 2.0)
    assert abs(np.median(values) - 1) < 0.1
    assert abs(np.quantile(values, 0.75) - 3) < 0.15  # median + sigma
    values = like_torch(lambda T: T.empty(N, dtype=T.int64).geometric_(0.5))
    assert values.min() >= 1 and abs(values.mean() - 2) < 0.1
    same_after_seed(lambda: gradrpc.empty(10).exponential_())
    same_after_seed(lambda: gradrpc.empty(10).cauchy_())


def test_draws_fill_the_tensor_in_place():
    x = gradrpc.zeros(5)
    assert x.exponential_() is x and x.geometric_(0.5) is x
    assert x.log_normal_() is x and x.cauchy_() is x and x.bernoulli_() is x


SAMPLING_ERRORS = [
    lambda T: T.bernoulli(T.tensor([1.5])),
    lambda T: T.bernoulli(T.tensor([-0.5, 0.2])),
    lambda T: T.bernoulli(T.tensor([0.2]), 1.5),
    lambda T: T.bernoulli(T.tensor([1, 0])),
    lambda T: T.ones(3).bernoulli_(1.5),
    lambda T: T.ones(3).bernoulli_(T.tensor([0.1, 2.0, 0.3])),
    lambda T: T.ones(3).bernoulli_(T.tensor([0.1, 0.2])),
    lambda T: T.multinomial(T.tensor([0.1, 0.9]), 3),
    lambda T: T.multinomial(T.tensor([0.1, 0.9]), 0),
    lambda T: T.multinomial(T.tensor([0.1, 0.9]), -1, True),
    lambda T: T.multinomial(T.tensor([0.0, 0.0]), 1),
    lambda T: T.multinomial(T.tensor([-1.0, 2.0]), 1),
    lambda T: T.multinomial(T.tensor([math.nan, 2.0]), 1),
    lambda T: T.multinomial(T.tensor([math.inf, 2.0]), 1),
    lambda T: T.multinomial(T.tensor([1, 2]), 1),
    lambda T: T.multinomial(T.ones(2, 2, 2), 1),
    lambda T: T.multinomial(T.tensor(1.0), 1),
    lambda T: T.multinomial(T.tensor([[1.0, 1.0], [0.0, 0.0]]), 1),
    lambda T: T.normal(0.0, 1.0),
    lambda T: T.normal(0.0, -1.0, (2,)),
    lambda T: T.normal(T.zeros(3), -1.0),
    lambda T: T.normal(T.zeros(3), T.tensor([1.0, -1.0, 1.0])),
    lambda T: T.normal(T.zeros(3, dtype=T.int64), 1.0),
    lambda T: T.normal(T.zeros(2), T.ones(3)),
    lambda T: T.poisson(T.tensor([-1.0, 5.0])),
    lambda T: T.poisson(T.tensor([1.0, math.nan])),
    lambda T: T.poisson(T.tensor([1, 5])),
    lambda T: T.ones(3).exponential_(0),
    lambda T: T.ones(3).exponential_(-1),
    lambda T: T.ones(3, dtype=T.int64).exponential_(),
    lambda T: T.ones(3).geometric_(0),
    lambda T: T.ones(3).geometric_(1),
    lambda T: T.ones(3).geometric_(1.5),
    lambda T: T.ones(3).log_normal_(1, 0),
    lambda T: T.ones(3).log_normal_(1, -1),
    lambda T: T.ones(3, dtype=T.int64).log_normal_(),
    lambda T: T.ones(3).cauchy_(0, 0),
    lambda T: T.ones(3).cauchy_(0, -1.5),
    lambda T: T.ones(3, dtype=T.int64).cauchy_(),
]


@pytest.mark.parametrize("call", SAMPLING_ERRORS, ids=lambda c: str(SAMPLING_ERRORS.index(c)))
def test_sampling_errors_match_torch(call):
    check_same(call)
