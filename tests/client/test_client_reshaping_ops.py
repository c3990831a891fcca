"""Tensor.repeat, flip, roll, tril and triu (with tril_ and triu_), logsumexp, F.one_hot,
F.normalize and F.cosine_similarity through the client, against torch 2.13: values, dtypes,
shapes, grad_fn names and recorded graphs, gradients, float32, float64, int64 and
non-contiguous inputs, and torch's errors (at the line, or at the next read for class values
the server checks)."""

from __future__ import annotations

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import check_error_at_line, check_raised_at_the_next_read, check_same, graph_of

DTYPES = ("float32", "float64", "int64")


def _input(T, dtype: str, transposed: bool):
    """A (3, 4) tensor (a transposed (4, 3) one when `transposed`: not contiguous), requiring
    grad where it is float."""
    values = np.random.default_rng(7).standard_normal((4, 3) if transposed else (3, 4)) * 3
    x = T.tensor(values.tolist(), dtype=getattr(T, dtype))
    if dtype != "int64":
        x.requires_grad_()
    return x.t() if transposed else x


def _with_gradient(T, dtype: str, transposed: bool, f):
    """f(x), and x's gradient for a fixed upstream one where x is float."""
    x = _input(T, dtype, transposed)
    y = f(T, x)
    if not y.requires_grad:
        return y, None
    weights = T.tensor(np.linspace(-1, 2, y.numel()).reshape(y.shape).tolist(), dtype=y.dtype)
    (y * weights).sum().backward()
    return y, _leaf_grad(x)


def _leaf_grad(x):
    return x._base.grad if x._base is not None else x.grad


OPS = {
    "repeat": lambda T, x: x.repeat(2, 1, 3),
    "repeat_sequence": lambda T, x: x.repeat([1, 2]),
    "flip": lambda T, x: x.flip(0, 1),
    "torch.flip": lambda T, x: T.flip(x, [-1]),
    "roll": lambda T, x: x.roll(1, 0),
    "roll_flat": lambda T, x: T.roll(x, -5),
    "roll_dims": lambda T, x: T.roll(x, shifts=(1, 2), dims=(1, 0)),
    "tril": lambda T, x: x.tril(),
    "triu": lambda T, x: T.triu(x, diagonal=1),
    "tril_negative": lambda T, x: T.tril(x, -1),
    "logsumexp": lambda T, x: x.logsumexp(1),
    "logsumexp_keepdim": lambda T, x: T.logsumexp(x, (0, 1), keepdim=True),
    "logsumexp_dim0": lambda T, x: T.logsumexp(x, dim=0),
}


@pytest.mark.parametrize("transposed", [False, True], ids=["contiguous", "transposed"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", sorted(OPS))
def test_ops_match_torch(session, op, dtype, transposed) -> None:
    check_same(lambda T: _with_gradient(T, dtype, transposed, OPS[op]), rtol=1e-5, atol=1e-6)


def test_results_and_graphs_match_torch(session) -> None:
    def graphs(T):
        x = T.randn(3, 4, requires_grad=True) if T is torch else T.tensor(X, requires_grad=True)
        results = [f(T, x) for f in OPS.values()]
        return [graph_of(r.grad_fn) for r in results] + [tuple(r.stride()) for r in results]

    X = torch.randn(3, 4).tolist()
    assert graphs(torch) == graphs(gradrpc)


def test_in_place_triangles_match_torch(session) -> None:
    def run(T):
        x = T.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]], requires_grad=True)
        y = x * 2
        y.tril_(1)
        z = (x * 3).triu_(-1)
        (y * z).sum().backward()
        return y, z, x.grad, graph_of(y.grad_fn)

    check_same(run)
    check_error_at_line(lambda T: T.ones(2, 2, requires_grad=True).tril_())


def test_logsumexp_special_values_match_torch(session) -> None:
    inf, nan = float("inf"), float("nan")
    rows = [[-inf, -inf, -inf], [inf, 1.0, 2.0], [inf, -inf, 0.0], [nan, 1.0, 2.0], [1e30, 1, 2]]
    check_same(lambda T: T.logsumexp(T.tensor(rows), 1))
    check_same(lambda T: T.logsumexp(T.tensor([[True, False]]), 1))
    check_same(lambda T: T.logsumexp(T.zeros(0, 3), 0))


def test_one_hot_matches_torch(session) -> None:
    for f in (
        lambda T: T.nn.functional.one_hot(T.tensor([0, 2, 1])),
        lambda T: T.nn.functional.one_hot(T.tensor([[0, 2], [1, 0]]).t(), 5),
        lambda T: T.nn.functional.one_hot(T.tensor(3), num_classes=4),
        lambda T: T.nn.functional.one_hot(T.zeros(2, 0, dtype=T.int64), 3),
    ):
        check_same(f)


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.nn.functional.one_hot(T.tensor([0.0, 1.0])),
        lambda T: T.nn.functional.one_hot(T.tensor([], dtype=T.int64)),
        lambda T: T.nn.functional.one_hot(T.tensor([1]), 2.0),
        lambda T: T.nn.functional.one_hot(T.tensor([1]), 3, 4),
        lambda T: T.zeros(2, 3).repeat(2),
        lambda T: T.zeros(2, 3).repeat(-1, 2),
        lambda T: T.zeros(2, 3).repeat(),
        lambda T: T.zeros(2, 3).repeat(2, 2.0),
        lambda T: T.zeros(2, 3).repeat([2.0, 1]),
        lambda T: T.zeros(2, 3).repeat("a"),
        lambda T: T.zeros(2, 3).flip(0, 0),
        lambda T: T.zeros(2, 3).flip(dims=0),
        lambda T: T.flip(T.zeros(2, 3), 0),
        lambda T: T.flip(T.zeros(2, 3), [1.0]),
        lambda T: T.zeros(2, 3).flip(),
        lambda T: T.zeros(2, 3).roll(()),
        lambda T: T.zeros(2, 3).roll((1, 2)),
        lambda T: T.zeros(2, 3).roll(1, 2),
        lambda T: T.roll(T.zeros(2, 3), 1.5),
        lambda T: T.roll(T.zeros(2, 3), 1, 0, 1),
        lambda T: T.roll(T.tensor(1.0), 1, 0),
        lambda T: T.tril(T.ones(3)),
        lambda T: T.zeros(2, 3).triu(1.0),
        lambda T: T.zeros(2, 3).tril(k=1),
        lambda T: T.logsumexp(T.zeros(2, 3), ()),
        lambda T: T.zeros(2, 3).logsumexp(),
        lambda T: T.zeros(2, 3).logsumexp([1.0]),
        lambda T: T.zeros(2, 3).logsumexp(2),
        lambda T: T.nn.functional.cosine_similarity(T.arange(3), T.arange(3)),
        lambda T: T.nn.functional.cosine_similarity(T.randn(3), T.randn(2)),
        lambda T: T.nn.functional.normalize(T.arange(3.0)),
    ],
    ids=range(31),
)
def test_errors_match_torch_at_the_line(session, call) -> None:
    check_error_at_line(call)


def test_one_hot_errors_on_values_it_reads_match_torch(session) -> None:
    """num_classes=-1 (or not positive) reads the values, as torch does: errors at once."""
    check_same(lambda T: T.nn.functional.one_hot(T.tensor([0, -1])))
    check_same(lambda T: T.nn.functional.one_hot(T.tensor([0, 1]), 0))
    check_same(lambda T: T.nn.functional.one_hot(T.tensor([0, 1]), -3))


def test_one_hot_value_errors_come_at_the_next_read(session) -> None:
    check_raised_at_the_next_read(
        lambda T: T.nn.functional.one_hot(T.tensor([0, 3]), 3).tolist(), "one_hot"
    )
    check_raised_at_the_next_read(
        lambda T: T.nn.functional.one_hot(T.tensor([0, -3]), 3).tolist(), "one_hot"
    )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normalize_and_cosine_similarity_match_torch(session, dtype) -> None:
    def run(T, f):
        rng = np.random.default_rng(3)
        a = T.tensor(rng.standard_normal((4, 3)).tolist(), dtype=getattr(T, dtype))
        b = T.tensor(rng.standard_normal((3,)).tolist(), dtype=getattr(T, dtype))
        a.requires_grad_(), b.requires_grad_()
        y = f(T.nn.functional, a, b)
        (y * T.linspace(-1, 1, y.numel()).reshape(y.shape)).sum().backward()
        return y, a.grad, b.grad, graph_of(y.grad_fn)

    for f in (
        lambda F, a, b: F.normalize(a),
        lambda F, a, b: F.normalize(a.t(), p=1.0, dim=0),
        lambda F, a, b: F.normalize(b, dim=0, eps=10.0),
        lambda F, a, b: F.cosine_similarity(a, b),
        lambda F, a, b: F.cosine_similarity(a, a * 2, dim=0),
        lambda F, a, b: F.cosine_similarity(a, b.long(), dim=1),
    ):
        check_same(lambda T, f=f: run(T, f), rtol=1e-5, atol=1e-6)
