"""atleast_1d/2d/3d, broadcast_tensors, combinations, unravel_index, logspace, range, vander,
trapezoid, trapz, cumulative_trapezoid and histogram against torch: values, dtypes, shapes,
grad_fn names, gradients, warnings and errors."""

from __future__ import annotations

import warnings

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import check_same

RNG = np.random.default_rng(11)
Y = RNG.standard_normal((2, 4)).astype(np.float32)
X = np.array([0.0, 1.0, 3.0, 3.5], np.float32)


def graded(T, fn, *arrays):
    """fn(T, *leaves) on leaves that require grad, then the leaves' gradients of the sum of
    what it returns."""
    leaves = [T.tensor(a, requires_grad=True) for a in arrays]
    out = fn(T, *leaves)
    parts = out if isinstance(out, tuple) else (out,)
    sum(p.sum() for p in parts if p.requires_grad).backward()
    return out, [leaf.grad for leaf in leaves]


@pytest.mark.parametrize("name", ["atleast_1d", "atleast_2d", "atleast_3d"])
def test_atleast(name):
    arrays = [np.float32(2.0), np.arange(3.0), np.ones((2, 3)), np.ones((1, 2, 3, 4))]

    def run(T):
        fn = getattr(T, name)
        one = [graded(T, lambda T, x: fn(x), np.asarray(a, np.float32)) for a in arrays]
        tensors = [T.tensor(a) for a in arrays]
        return one, fn(*tensors), fn(tensors), fn(tuple(tensors)), fn()

    check_same(run)
    check_same(lambda T: getattr(T, name)(1.0))


def test_broadcast_tensors():
    def run(T):
        return graded(
            T, lambda T, a, b, c: T.broadcast_tensors(a, b, c), Y[:1].T, X, np.float32(2.0)
        )

    check_same(run)
    check_same(lambda T: T.broadcast_tensors())
    check_same(lambda T: T.broadcast_tensors(T.ones(3), T.ones(4)))
    check_same(lambda T: T.broadcast_tensors(T.ones(3), 1.0))


@pytest.mark.parametrize("r", [0, 1, 2, 3, 5])
@pytest.mark.parametrize("with_replacement", [False, True])
def test_combinations(r, with_replacement):
    check_same(
        lambda T: (
            graded(T, lambda T, x: T.combinations(x, r, with_replacement=with_replacement), X)
            if r
            else T.combinations(T.tensor(X), r)
        )
    )
    check_same(lambda T: T.combinations(T.tensor([1, 2, 3]), r, with_replacement))
    check_same(lambda T: T.combinations(T.ones(0), r, with_replacement))


def test_combinations_errors():
    check_same(lambda T: T.combinations(T.ones(2, 2)))
    check_same(lambda T: T.combinations(T.ones(3), -1))


@pytest.mark.parametrize(
    ("indices", "shape"),
    [
        *[(4, (3, 2)), ([4, 1, 0], (3, 2)), ([[4], [5]], (3, 2)), (6, (3, 2)), (-1, (3, 2))],
        *[(-7, (3, 2)), (3, 6), ([1, 2], (2, 1, 3)), (0, ())],
    ],
)
def test_unravel_index(indices, shape):
    check_same(lambda T: T.unravel_index(T.tensor(indices), shape))
    check_same(lambda T: T.unravel_index(T.tensor(indices, dtype=T.int32), shape))


def test_unravel_index_errors():
    check_same(lambda T: T.unravel_index(T.tensor(1.0), (3, 2)))
    check_same(lambda T: T.unravel_index(T.tensor(True), (3, 2)))
    check_same(lambda T: T.unravel_index(T.tensor(1), (3, -2)))
    check_same(lambda T: T.unravel_index(1, (3, 2)))


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((0, 2, 3), {}),
        ((0, 2, 3), {"base": 2}),
        ((-1, 3, 5), {"base": 0.5}),
        ((0, 2, 3), {"dtype": "int64"}),
        ((0.5, 3.7, 7), {"dtype": "float64"}),
        ((0, 2, 0), {}),
        ((0, 2, 1), {}),
        ((1, 2, 3), {"requires_grad": True}),
        ((0, -3, 9), {"base": 3.0}),
    ],
    ids=str,
)
def test_logspace(args, kwargs):
    def run(T):
        given = {k: getattr(T, v) if k == "dtype" else v for k, v in kwargs.items()}
        return T.logspace(*args, **given)

    check_same(run, rtol=1e-6, atol=0)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        *[((1, 4), {}), ((1, 4, 0.5), {}), ((1, 4), {"dtype": "int64"}), ((4, 1, -1), {})],
        *[((1, 4.5), {}), ((0, 1, 0.1), {"dtype": "float64"})],
    ],
    ids=str,
)
def test_range_warns_as_torch(args, kwargs):
    def run(T):
        given = {k: getattr(T, v) for k, v in kwargs.items()}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = T.range(*args, **given)
        return out, [(w.category, str(w.message)) for w in caught]

    check_same(run)


@pytest.mark.filterwarnings("ignore:torch.range is deprecated")
def test_factory_errors():
    check_same(lambda T: T.logspace(0, 2, -1))
    check_same(lambda T: T.range(4, 1))
    check_same(lambda T: T.range(1, 4, 0))


def test_session_factories():
    session = gradrpc.default_session()
    np.testing.assert_allclose(session.logspace(0, 1, 2).numpy(), torch.logspace(0, 1, 2))
    with pytest.warns(UserWarning, match="torch.range is deprecated"):
        assert session.range(1, 3).tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("N", [None, 0, 1, 2, 5])
@pytest.mark.parametrize("increasing", [False, True])
def test_vander(N, increasing):
    """(torch's backward through vander of N > 1 fails: it writes cumprod into a slice of
    a tensor it saved, so only the forward graph is compared.)"""
    check_same(lambda T: T.vander(T.tensor(X[:3], requires_grad=True), N, increasing))
    check_same(lambda T: T.vander(T.tensor([1, 2, 3]), N=N, increasing=increasing))
    check_same(lambda T: T.vander(T.tensor([True, False]), N=N, increasing=increasing))


def test_vander_errors():
    check_same(lambda T: T.vander(T.ones(3), N=-1))
    check_same(lambda T: T.vander(T.ones(2, 2)))


TRAPEZOID_CASES = [
    lambda T, y: T.trapezoid(y),
    lambda T, y: T.trapezoid(y, dx=0.5),
    lambda T, y: T.trapezoid(y, T.tensor(X)),
    lambda T, y: T.trapezoid(y, T.tensor(np.stack([X, X * 2]))),
    lambda T, y: T.trapezoid(y, dim=0),
    lambda T, y: T.trapezoid(y, T.tensor(X[:2]), dim=0),
    lambda T, y: T.trapz(y),
    lambda T, y: T.trapz(y, dx=2.0),
    lambda T, y: T.trapz(y, T.tensor(X)),
    lambda T, y: T.cumulative_trapezoid(y),
    lambda T, y: T.cumulative_trapezoid(y, dx=0.5),
    lambda T, y: T.cumulative_trapezoid(y, T.tensor(X)),
    lambda T, y: T.cumulative_trapezoid(y, dim=0),
    lambda T, y: T.trapezoid(y[:, :1]),
    lambda T, y: T.trapezoid(y[:, :0]),
    lambda T, y: T.cumulative_trapezoid(y[:, :1]),
]


@pytest.mark.parametrize("case", TRAPEZOID_CASES, ids=lambda c: str(TRAPEZOID_CASES.index(c)))
def test_trapezoid_family(case):
    check_same(lambda T: graded(T, case, Y), rtol=1e-5, atol=1e-6)


def test_trapezoid_of_integers_and_errors():
    check_same(lambda T: T.trapezoid(T.tensor([1, 2, 3])))
    check_same(lambda T: T.trapezoid(T.tensor([1, 2, 3]), dx=2))
    check_same(lambda T: T.trapezoid(T.tensor([1, 2, 3]), T.tensor([1, 2, 4])))
    check_same(lambda T: T.cumulative_trapezoid(T.tensor([1, 2, 3])))
    check_same(lambda T: T.trapezoid(T.ones(2, 3), T.tensor([0.0, 1.0])))
    check_same(lambda T: T.trapezoid(T.ones(2, 3), dx=1, dim=2))
    check_same(lambda T: T.trapezoid(T.tensor(1.0)))


DATA = np.array([1.0, 2, 1, 2.5, 4, -1, 0.25, 3.999], np.float32)
WEIGHTS = np.arange(1.0, 9.0, dtype=np.float32)


@pytest.mark.parametrize(
    ("bins", "range_"),
    [(b, r) for b in (1, 4, 7) for r in (None, (0.0, 3.0), (0, 10))] + [("edges", None)],
)  # a range goes with a bin count only
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("density", [False, True])
def test_histogram(bins, range_, weighted, density):

    def run(T):
        given = T.tensor([0.0, 1.0, 2.0, 5.0]) if bins == "edges" else bins
        weight = T.tensor(WEIGHTS) if weighted else None
        extra = {} if range_ is None else {"range": range_}
        result = T.histogram(T.tensor(DATA), given, weight=weight, density=density, **extra)
        return result, result.hist, result.bin_edges, T.tensor(DATA).histogram(given)

    check_same(run, rtol=1e-6, atol=1e-7)


def test_histogram_edge_cases_and_errors():
    check_same(lambda T: T.histogram(T.ones(0), 4))
    check_same(lambda T: T.histogram(T.ones(3), 4))
    check_same(lambda T: T.histogram(T.tensor(DATA, dtype=T.float64), 4))
    check_same(lambda T: T.histogram(T.tensor(DATA), 0))
    check_same(lambda T: T.histogram(T.tensor(DATA), 4, range=(3.0, 0.0)))
    check_same(lambda T: T.histogram(T.tensor([1, 2]), 4))
    check_same(lambda T: T.histogram(T.tensor(DATA), T.tensor([0.0, 1.0], dtype=T.float64)))
    check_same(lambda T: T.histogram(T.tensor(DATA), 4, weight=T.ones(3)))
    check_same(lambda T: T.histogram(T.tensor(DATA), T.ones(1, 3)))
    check_same(lambda T: T.histogram(T.tensor([1.0, float("nan")]), 2))
    check_same(lambda T: T.histogram(T.tensor([1.0, float("inf")]), 2))
    assert repr(gradrpc.histogram(gradrpc.tensor([1.0, 2.0]), 2)) == repr(
        torch.histogram(torch.tensor([1.0, 2.0]), 2)
    )
