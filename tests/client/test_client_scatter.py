"""scatter, scatter_add, scatter_reduce and index_put (with scatter_, scatter_add_,
scatter_reduce_, index_put_ and the torch.<name> functions) through the client, against torch
2.13: values, dtypes, grad_fn names and gradients, the in-place forms' history, torch's argument
binding and TypeErrors, its checks at the line, an index out of range at the next read, the
legacy reduce's warning and failing backward, and a training idiom (a segment sum and mean by
scatter_reduce)."""

from __future__ import annotations

import warnings
import zlib

import gradrpc
import numpy as np
import pytest
from clientkit import (
    check_error_at_line,
    check_raised_at_the_next_read,
    check_same,
    graph_of,
)
from gradrpc.tensor import _WARNED

REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")
DEPRECATED_REDUCE = (  # torch's, once per process
    "The reduce argument of torch.scatter with Tensor src is deprecated and will be removed "
    "in a future PyTorch release. Use torch.scatter_reduce instead for more reduction "
    "options. (Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/"
    "TensorAdvancedIndexing.cpp:225.)"
)


def test_scatter_matches_torch() -> None:
    """src and value overloads by position and keyword, torch.scatter, along each dim, an
    index smaller than self, repeated positions, 0-d and empty index tensors."""

    def scenario(T):
        x = T.arange(12.0).reshape(3, 4).requires_grad_()
        src = (T.arange(12.0).reshape(3, 4) * 10).requires_grad_()
        rows = T.tensor([[0, 2, 2, 1], [1, 0, 0, 2]])
        cols = T.tensor([[3, 3], [0, 1], [2, 0]])
        results = [
            x.scatter(0, rows, src[:2]),
            T.scatter(x, 1, cols, src[:, :2]),
            x.scatter(dim=-1, index=cols, src=src[:, 1:3]),
            x.scatter(0, rows, 2.5),
            x.scatter(1, cols, value=-1),
            T.scatter(x, 0, rows, value=7),
            x.scatter(0, T.zeros(0, 4, dtype=T.int64), 1.0),
        ]
        sum(r.sum() * (i + 1) for i, r in enumerate(results)).backward()
        scalar = T.tensor(5.0, requires_grad=True)
        written = scalar.scatter(0, T.tensor([0, 0]), T.tensor([1.0, 2.0]))
        ints = T.tensor([[1, 2], [3, 4]]).scatter(1, T.tensor([[1], [0]]), T.tensor([[9], [8]]))
        flags = T.tensor([True, False, False]).scatter(0, T.tensor([2]), True)
        longs = T.tensor([1, 2]).scatter(0, T.tensor([0]), 2.7)
        return (
            results,
            [r.grad_fn.name() for r in results],
            x.grad,
            src.grad,
            written,
            ints,
            flags,
            longs,
        )

    check_same(scenario, rtol=0, atol=0)


def test_scatter_add_matches_torch() -> None:
    def scenario(T):
        x = T.zeros(3, 4, dtype=T.float64, requires_grad=True)
        src = T.arange(1.0, 13.0, dtype=T.float64).reshape(3, 4).requires_grad_()
        index = T.tensor([[0, 1, 2, 0], [0, 0, 2, 2], [1, 1, 1, 1]])
        added = [x.scatter_add(0, index, src), T.scatter_add(x, 1, index, src)]
        (added[0] * added[1]).sum().backward()
        bools = T.tensor([False, False]).scatter_add(0, T.tensor([1, 1]), T.tensor([True, True]))
        return added, [a.grad_fn.name() for a in added], x.grad, src.grad, bools

    check_same(scenario, rtol=0, atol=0)


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_scatter_reduce_matches_torch(reduce: str, include_self: bool) -> None:
    """Ties and zeros where torch's gradient formulas have their special cases; int64 (a
    mean rounds down) and, but for mean, bool."""

    def scenario(T):
        x = T.tensor([[2.0, 0.0, 1.0], [3.0, 3.0, -1.0]], requires_grad=True)
        src = T.tensor(
            [[3.0, 0.0, 1.0], [3.0, 5.0, -1.0], [0.0, 2.0, 4.0], [1.0, 0.0, -1.0]],
            requires_grad=True,
        )
        index = T.tensor([[1, 0, 0], [1, 0, 1], [0, 1, 0], [0, 0, 1]])
        kwargs = {"include_self": include_self}
        reduced = [
            x.scatter_reduce(0, index, src, reduce, **kwargs),
            T.scatter_reduce(x, 0, index, src, reduce=reduce, **kwargs),
        ]
        (reduced[0] * T.tensor([1.0, -2.0, 0.5])).sum().backward()
        ints = T.tensor([5, -3, 2]).scatter_reduce(
            0, T.tensor([0, 0, 1, 1, 1]), T.tensor([2, 7, -3, -4, 6]), reduce, **kwargs
        )
        return reduced, reduced[0].grad_fn.name(), x.grad, src.grad, ints

    check_same(scenario, rtol=1e-6, atol=1e-7)


def test_in_place_forms_record_history_as_torch() -> None:
    """scatter_, scatter_add_ and scatter_reduce_ on a non-leaf, and on a view (CopySlices)."""

    def scenario(T):
        leaf = T.arange(8.0).reshape(2, 4).requires_grad_()
        src = T.ones(2, 4, requires_grad=True)
        index = T.tensor([[1, 0, 3, 3], [2, 2, 0, 1]])
        y = leaf * 2
        y.scatter_(1, index, src)
        y.scatter_add_(1, index, src)
        y.scatter_reduce_(1, index, src * 3, "amax", include_self=False)
        z = leaf.clone()
        z[1].scatter_(0, T.tensor([0, 2]), 5.0)
        w = leaf.clone()
        w.scatter_(1, index, src, reduce="multiply")
        (y.sum() + z.sum()).backward()
        return (
            y,
            z,
            w,
            graph_of(y.grad_fn),
            graph_of(z.grad_fn),
            w.grad_fn.name(),
            leaf.grad,
            src.grad,
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy reduce's deprecation
        check_same(scenario, rtol=0, atol=0)


def test_legacy_reduce_warns_once_and_its_backward_fails_as_torch() -> None:
    """torch warns once per process, at the user's line, that scatter's reduce with a src is
    deprecated (a value does not warn); it records a NotImplemented node whose backward
    fails."""
    _WARNED.discard("scatter reduce")  # as in a fresh process
    x, index = gradrpc.ones(2, 3, requires_grad=True), gradrpc.tensor([[0, 1, 2]])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        valued = x.scatter(1, index, 2.0, reduce="multiply")
        first = x.scatter(1, index, gradrpc.full((1, 3), 3.0), reduce="add")
        second = gradrpc.scatter(x, 1, index, gradrpc.full((1, 3), 3.0), reduce="multiply")
    assert [str(w.message) for w in caught] == [DEPRECATED_REDUCE]
    assert (caught[0].filename, caught[0].category) == (__file__, UserWarning)

    def scenario(T):
        y = T.ones(2, 3, requires_grad=True).scatter(1, T.tensor([[0, 1, 2]]), 2.0, reduce="add")
        return y, y.grad_fn.name()

    check_same(scenario)
    assert {r.grad_fn.name() for r in (valued, first, second)} == {
        "torch::autograd::NotImplemented"
    }

    def backward(T):
        x = T.ones(2, 3, requires_grad=True)
        x.scatter(1, T.tensor([[0, 1, 2]]), 2.0, reduce="add").sum().backward()
        return x.grad.tolist()

    check_raised_at_the_next_read(backward, "backward")


def _values_and_grads(T, op: str, dtype, dim: int, reduce: str | None):
    rng = np.random.default_rng(zlib.crc32(repr((op, dim, reduce)).encode()))
    x = T.tensor(rng.standard_normal((4, 5, 6)).round(1), dtype=dtype, requires_grad=True)
    index_shape = [3, 4, 5]
    index_shape[dim] = 7
    src = T.tensor(rng.standard_normal(index_shape).round(1), dtype=dtype, requires_grad=True)
    index = T.tensor(rng.integers(0, x.shape[dim], index_shape))
    if op == "scatter_reduce":
        y = x.scatter_reduce(dim, index, src, reduce, include_self=bool(dim % 2))
    else:
        y = getattr(x, op)(dim, index, src)
    (y * y).sum().backward()
    return y, x.grad, src.grad


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
@pytest.mark.parametrize(
    ("op", "reduce"),
    [("scatter", None), ("scatter_add", None), *(("scatter_reduce", r) for r in REDUCTIONS)],
)
def test_values_and_gradients_in_three_dims_match_torch(op: str, reduce, dim: int) -> None:
    check_same(lambda T: _values_and_grads(T, op, T.float32, dim, reduce), rtol=1e-5, atol=1e-6)
    check_same(lambda T: _values_and_grads(T, op, T.float64, dim, reduce), rtol=1e-12, atol=0)


def test_segment_sum_and_mean_train_as_torch() -> None:
    """A segment mean pooling by scatter_reduce and a sum by scatter_add in a small model's
    loss: the same losses and parameters after a few SGD steps."""

    def scenario(T):
        weight = T.tensor([[0.5, -0.2], [0.1, 0.3], [-0.4, 0.2]], requires_grad=True)
        features = T.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 1.5], [2.0, 0.5, -0.5], [1.0, 1.0, 1.0]])
        segment = T.tensor([0, 1, 0, 2])
        target = T.tensor([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
        optimizer = T.optim.SGD([weight], lr=0.1)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            hidden = features @ weight
            index = segment.unsqueeze(1).expand(4, 2)
            pooled = T.zeros(3, 2).scatter_reduce(0, index, hidden, "mean", include_self=False)
            total = T.zeros(3, 2).scatter_add(0, index, hidden)
            loss = ((pooled - target) ** 2).mean() + 0.01 * (total**2).sum()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, weight

    check_same(scenario, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put_matches_torch(accumulate: bool) -> None:
    """Index tensors along the leading dims, a bool mask (read), a 0-d and a negative index,
    values broadcast; IndexPutBackward0's gradients; index_put_ on a non-leaf and a view;
    bools accumulate as or."""

    def scenario(T):
        x = T.arange(12.0).reshape(3, 4).requires_grad_()
        values = T.tensor([[1.0, -2.0, 3.0, 0.5], [2.0, 2.0, 2.0, 2.0]], requires_grad=True)
        rows = T.tensor([0, 2]) if not accumulate else T.tensor([1, 1])
        results = [
            x.index_put((rows,), values, accumulate),
            T.index_put(x, [rows, T.tensor([-1, 0])], values[0, :2], accumulate=accumulate),
            x.index_put((T.tensor([True, False, True]),), values[1], accumulate=accumulate),
            x.index_put((T.tensor(1), T.tensor([[0, 3]])), values[:1, 1:3], accumulate),
            x.index_put(indices=(x > 6.0,), values=T.tensor(-1.0), accumulate=accumulate),
        ]
        sum(r.sum() * (i + 1) for i, r in enumerate(results)).backward()
        y = x * 2
        y.index_put_((rows,), values, accumulate=accumulate)
        z = x.clone()
        z[1].index_put_((T.tensor([1, 2]),), values[0, :1], accumulate)
        (y.sum() + (z * z).sum()).backward()
        flags = T.tensor([True, False]).index_put((T.tensor([1, 1]),), T.tensor(True), accumulate)
        return (
            results,
            [r.grad_fn.name() for r in results],
            x.grad,
            values.grad,
            y,
            z,
            graph_of(y.grad_fn),
            graph_of(z.grad_fn),
            flags,
        )

    check_same(scenario, rtol=0, atol=0)


ERRORS = {
    "scatter: no src or value": lambda T: T.ones(3).scatter(0, T.tensor([0])),
    "scatter: a str src": lambda T: T.ones(3).scatter(0, T.tensor([0]), "a"),
    "scatter: a tensor value": lambda T: T.ones(3).scatter(0, T.tensor([0]), value=T.ones(1)),
    "scatter: a value that requires grad": lambda T: T.ones(3).scatter(
        0, T.tensor([0]), value=T.tensor(1.0, requires_grad=True)
    ),
    "scatter: reduce not a str": lambda T: T.ones(3).scatter(0, T.tensor([0]), T.ones(1), reduce=1),
    "scatter: reduce by position": lambda T: T.ones(3).scatter(0, T.tensor([0]), T.ones(1), "add"),
    "scatter: a float index": lambda T: T.ones(3).scatter(0, 1.5, T.ones(1)),
    "scatter: a float dim": lambda T: T.ones(3).scatter(0.0, T.tensor([0]), T.ones(1)),
    "scatter: an unknown keyword": lambda T: T.ones(3).scatter(0, T.tensor([0]), T.ones(1), foo=1),
    "scatter_: no src": lambda T: T.ones(3).scatter_(0, T.tensor([0])),
    "scatter_: a None src": lambda T: T.ones(3).scatter_(0, T.tensor([0]), None),
    "torch.scatter: no src": lambda T: T.scatter(T.ones(3), 0, T.tensor([0])),
    "torch.scatter: a str src": lambda T: T.scatter(T.ones(3), 0, T.tensor([0]), "a"),
    "torch.scatter: not a tensor": lambda T: T.scatter(1, 0, T.tensor([0]), T.ones(1)),
    "scatter_add: a number src": lambda T: T.ones(3).scatter_add(0, T.tensor([0]), 1.0),
    "scatter_add: no src": lambda T: T.ones(3).scatter_add(0, T.tensor([0])),
    "scatter_add: too many": lambda T: T.ones(3).scatter_add(0, T.tensor([0]), T.ones(1), 1),
    "scatter_add_: a number src": lambda T: T.ones(3).scatter_add_(0, T.tensor([0]), 1.0),
    "torch.scatter_add: a number src": lambda T: T.scatter_add(T.ones(3), 0, T.tensor([0]), 1.0),
    "torch.scatter_add: not a tensor": lambda T: T.scatter_add(1.0, 0, T.tensor([0]), T.ones(1)),
    "scatter_reduce: no reduce": lambda T: T.ones(3).scatter_reduce(0, T.tensor([0]), T.ones(1)),
    "scatter_reduce: an int reduce": lambda T: T.ones(3).scatter_reduce(
        0, T.tensor([0]), T.ones(1), 1
    ),
    "scatter_reduce: include_self by position": lambda T: T.ones(3).scatter_reduce(
        0, T.tensor([0]), T.ones(1), "sum", True
    ),
    "scatter_reduce: an int include_self": lambda T: T.ones(3).scatter_reduce(
        0, T.tensor([0]), T.ones(1), "sum", include_self=1
    ),
    "torch.scatter_reduce: include_self by position": lambda T: T.scatter_reduce(
        T.ones(3), 0, T.tensor([0]), T.ones(1), "sum", True
    ),
    "scatter_reduce_: include_self by position": lambda T: T.ones(3).scatter_reduce_(
        0, T.tensor([0]), T.ones(1), "sum", True
    ),
    "scatter: dim out of range": lambda T: T.ones(3, 4).scatter(2, T.tensor([[0]]), T.ones(1, 1)),
    "scatter: a float index tensor": lambda T: T.ones(3).scatter(0, T.tensor([0.0]), T.ones(1)),
    "scatter: src of another dtype": lambda T: T.ones(3).scatter(
        0, T.tensor([0]), T.ones(1, dtype=T.float64)
    ),
    "scatter: index and self ranks": lambda T: T.ones(3).scatter(0, T.tensor([[0]]), T.ones(1)),
    "scatter: index and src ranks": lambda T: T.ones(3, 4).scatter(0, T.tensor([[0]]), T.ones(1)),
    "scatter: index larger than src": lambda T: T.ones(3, 4).scatter(
        0, T.zeros(2, 4, dtype=T.int64), T.ones(1, 4)
    ),
    "scatter: index larger than self": lambda T: T.ones(3, 4).scatter(
        0, T.zeros(1, 5, dtype=T.int64), 1.0
    ),
    "scatter: unknown legacy reduce": lambda T: T.ones(3).scatter(
        0, T.tensor([0]), T.ones(1), reduce="mean"
    ),
    "scatter_add: src of another dtype": lambda T: T.ones(3).scatter_add(
        0, T.tensor([0]), T.ones(1, dtype=T.int64)
    ),
    "scatter_reduce: unknown reduce": lambda T: T.ones(3).scatter_reduce(
        0, T.tensor([0]), T.ones(1), "maximum"
    ),
    "scatter_reduce: a bool mean": lambda T: T.ones(3, dtype=T.bool).scatter_reduce(
        0, T.tensor([0]), T.ones(1, dtype=T.bool), "mean"
    ),
    "scatter_: a leaf that requires grad": lambda T: T.ones(3, requires_grad=True).scatter_(
        0, T.tensor([0]), 1.0
    ),
    "scatter_add_: a leaf that requires grad": lambda T: T.ones(3, requires_grad=True).scatter_add_(
        0, T.tensor([0]), T.ones(1)
    ),
    "scatter_reduce_: a leaf that requires grad": lambda T: T.ones(
        3, requires_grad=True
    ).scatter_reduce_(0, T.tensor([0]), T.ones(1), "sum"),
    "index_put: too many indices": lambda T: T.zeros(3, 4).index_put(
        (T.tensor([0]),) * 3, T.ones(4)
    ),
    "index_put: a float index": lambda T: T.zeros(3, 4).index_put((T.tensor([0.0]),), T.ones(4)),
    "index_put: values of another dtype": lambda T: T.zeros(3, 4).index_put(
        (T.tensor([0]),), T.ones(4, dtype=T.float64)
    ),
    "index_put: values of another shape": lambda T: T.zeros(3, 4).index_put(
        (T.tensor([0]),), T.ones(3, dtype=T.float64)
    ),
    "index_put: a mask of another shape": lambda T: T.zeros(3, 4).index_put(
        (T.tensor([True, False]),), T.ones(4)
    ),
    "index_put: indices that do not broadcast": lambda T: T.zeros(3, 4).index_put(
        (T.tensor([0, 1]), T.tensor([0, 1, 2])), T.ones(1)
    ),
    "index_put: a tensor for the tuple": lambda T: T.zeros(3, 4).index_put(
        T.tensor([0]), T.ones(1)
    ),
    "index_put: None in the tuple": lambda T: T.zeros(3, 4).index_put((None,), T.ones(1)),
    "torch.index_put: None in the tuple": lambda T: T.index_put(T.zeros(3), (None,), T.ones(1)),
    "index_put: a number for values": lambda T: T.zeros(3).index_put((T.tensor([0]),), 1.0),
    "index_put: an int accumulate": lambda T: T.zeros(3).index_put(
        (T.tensor([0]),), T.ones(1), accumulate=1
    ),
    "index_put: no values": lambda T: T.zeros(3).index_put((T.tensor([0]),)),
    "index_put: no indices": lambda T: T.zeros(3).index_put((), T.ones(1)),
    "index_put: of a 0-d tensor": lambda T: T.tensor(1.0).index_put((T.tensor(0),), T.tensor(5.0)),
    "index_put_: a leaf that requires grad": lambda T: T.zeros(3, requires_grad=True).index_put_(
        (T.tensor([0]),), T.tensor(1.0)
    ),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch_at_the_line(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_error_at_line(ERRORS[name])


INDEX_ERRORS = {  # positions the server checks: torch's error at the next read
    "scatter: an index out of range": (
        lambda T: T.ones(3, 4).scatter(0, T.tensor([[0, 9], [8, 0]]), T.ones(2, 2)).tolist(),
        "scatter",
    ),
    "scatter: a negative index": (
        lambda T: T.ones(3, 4).scatter(1, T.tensor([[-1]]), 2.0).sum().item(),
        "scatter_value",
    ),
    "scatter: a value int64 cannot hold": (
        lambda T: T.ones(3, dtype=T.int64).scatter(0, T.tensor([0]), 1e19).tolist(),
        "scatter_value",
    ),
    "scatter_add: into a 0-d tensor": (
        lambda T: T.tensor(1.0).scatter_add(0, T.tensor([0, 1]), T.ones(2)).tolist(),
        "scatter_add",
    ),
    "scatter_reduce: in three dims": (
        lambda T: (
            T.ones(3, 4, 6)
            .scatter_reduce(
                0, T.tensor([[[0, 5, 0, 0, 0]] * 4, [[4, 0, 0, 0, 0]] * 4]), T.ones(2, 4, 5), "sum"
            )
            .tolist()
        ),
        "scatter_reduce",
    ),
    "index_put: an index out of range": (
        lambda T: T.zeros(3, 4).index_put((T.tensor([5]),), T.ones(4), True).tolist(),
        "index_put",
    ),
}


@pytest.mark.parametrize("name", INDEX_ERRORS)
def test_index_errors_match_torch_at_the_next_read(name: str) -> None:
    """torch's error where the values are read, naming the op; the session stays usable."""
    check_raised_at_the_next_read(*INDEX_ERRORS[name])


def test_src_larger_than_the_index_fails_the_backward_as_torch() -> None:
    """torch's gradient of src is then index-shaped, which its engine refuses."""

    def scenario(T):
        src = T.ones(3, 4, requires_grad=True)
        T.zeros(3, 4).scatter_add(0, T.tensor([[0, 1, 2, 0]]), src).sum().backward()
        return src.grad.tolist()

    check_raised_at_the_next_read(scenario, "backward")
