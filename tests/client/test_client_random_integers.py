"""randint, randperm and Tensor.random_ through the client, against torch 2.13. The numbers
come from the session's generator, so they are not torch's: the tests compare what torch
fixes (dtype, shape, requires_grad, the range and that every value in it is drawn, a
permutation's values), torch's errors at the line and its warnings at the user's line, and
that manual_seed makes the draws repeat."""

from __future__ import annotations

import warnings

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import check_error_at_line, check_same

LIBRARIES = pytest.mark.parametrize("T", [torch, gradrpc], ids=["torch", "gradrpc"])


def _metadata(x):
    return x.dtype, tuple(x.shape), x.requires_grad, x.is_leaf, x.grad_fn


def test_metadata_as_torch_s():
    def scenario(T):
        return [
            _metadata(x)
            for x in (
                T.randint(10, (3,)),
                T.randint(3, 10, (2, 2)),
                T.randint(3, 10, size=(2,)),
                T.randint(low=3, high=10, size=[2, 1]),
                T.randint(high=10, size=()),
                T.randint(10, (3,), dtype=T.float32),
                T.randint(2, (3,), dtype=T.bool),
                T.randint(10, (3,), dtype=T.float64, requires_grad=True),
                T.randint(T.tensor(10), T.Size([0, 2])),
                T.randperm(5),
                T.randperm(0),
                T.randperm(n=4, dtype=T.float32, requires_grad=True),
                T.randperm(T.tensor(3)),
                T.zeros(3).random_(),
                T.zeros(2, 3, dtype=T.int64).random_(5),
                T.zeros(3, dtype=T.bool).random_(0, 2),
            )
        ]

    check_same(scenario)


@LIBRARIES
@pytest.mark.parametrize("dtype", ["int64", "float32", "float64", "bool"])
def test_randint_draws_every_integer_of_its_range_uniformly(T, dtype: str):
    """20,000 draws from [low, high): each value's count within 5 sigma of n / k."""
    low, high = (0, 2) if dtype == "bool" else (-3, 5)
    T.manual_seed(0)
    values = T.randint(low, high, (20_000,), dtype=getattr(T, dtype)).numpy()
    assert values.dtype == np.dtype(dtype)
    counts = np.bincount(values.astype(np.int64) - low, minlength=high - low)
    expected = len(values) / (high - low)
    assert len(counts) == high - low
    assert (np.abs(counts - expected) < 5 * np.sqrt(expected)).all(), counts


@LIBRARIES
def test_randperm_is_a_permutation(T):
    T.manual_seed(1)
    for n in (0, 1, 7, 1000):
        values = T.randperm(n).numpy()
        np.testing.assert_array_equal(np.sort(values), np.arange(n))
    assert (T.randperm(1000).numpy() != np.arange(1000)).any()


@LIBRARIES
@pytest.mark.parametrize(
    ("dtype", "args", "low", "last"),
    [
        ("float32", (), 0, 2**24),
        ("float64", (), 0, 2**53),
        ("int64", (), 0, 2**63 - 1),
        ("bool", (), 0, 1),
        ("float32", (7,), 0, 6),
        ("int64", (-5, 3), -5, 2),
        ("int64", (-5, None), -5, 2**63 - 1),
        ("int64", (-(2**63), None), -(2**63), 2**63 - 1),
        ("float64", (2**40, None), 2**40, 2**53),
    ],
)
def test_random_fills_its_range(T, dtype: str, args: tuple, low: int, last: int):
    """random_(), random_(to), random_(from, to), random_(from, None): values in [low, last],
    reaching into the top and bottom of the range."""
    T.manual_seed(2)
    x = T.zeros(4000, dtype=getattr(T, dtype))
    assert x.random_(*args) is x
    values = x.numpy().astype(np.float64)
    span = float(last) - float(low)
    assert values.min() >= low and values.max() <= last
    assert values.max() > low + 0.99 * span and values.min() < low + 0.01 * span + 1
    assert (values == np.trunc(values)).all()


def test_manual_seed_repeats_the_draws():
    def draws():
        gradrpc.manual_seed(3)
        x = gradrpc.zeros(5).random_(100)
        return gradrpc.randint(1000, (5,)).tolist(), gradrpc.randperm(5).tolist(), x.tolist()

    assert draws() == draws()


def test_random_in_place_as_torch_s():
    """random_ writes self (a view's base too); a leaf that requires grad is refused while
    recording, written under no_grad."""

    def scenario(T):
        x = T.zeros(2, 3)
        x[0].random_(1, 2)
        leaf = T.zeros(2, requires_grad=True)
        with T.no_grad():
            leaf.random_(3, 4)
        return x, leaf, leaf.is_leaf

    check_same(scenario)
    check_error_at_line(lambda T: T.zeros(2, requires_grad=True).random_(3))


def test_random_on_a_tensor_with_history_is_not_supported_yet():
    """torch records RandomBackward0/1/2 (a zero gradient); the client refuses it."""
    y = gradrpc.ones(2, requires_grad=True) * 2
    with pytest.raises(NotImplementedError, match="random_ on a tensor with history"):
        y.random_(5)
    with pytest.raises(NotImplementedError, match="generator= is not supported"):
        gradrpc.randint(5, (2,), generator=object())


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.randint(2**25, (3,), dtype=T.float32),
        lambda T: T.randint(-(2**25) - 1, 2**25 + 2, (3,), dtype=T.float32),
        lambda T: T.randint(2**54, (3,), dtype=T.float64),
        lambda T: T.zeros(3).random_(-(2**30), -(2**25)),
        lambda T: T.zeros(3).random_(-(2**25), None),
        lambda T: T.zeros(3).random_(-(2**63), None),  # the whole range: no warning
        lambda T: T.zeros(3).random_(2**24),
    ],
)
def test_float_range_warnings_as_torch_s(call):
    """A float range beyond the integers the dtype holds warns as torch does, at the line."""
    seen = {}
    for T in (torch, gradrpc):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call(T)
        seen[T] = [(w.category, str(w.message), w.filename, w.lineno) for w in caught]
    assert seen[gradrpc] == seen[torch]


def test_errors_as_torch():
    check_error_at_line(lambda T: T.randint(5, 5, (3,)))
    check_error_at_line(lambda T: T.randint(6, 5, (3,)))
    check_error_at_line(lambda T: T.randint(0, (3,)))
    check_error_at_line(lambda T: T.randint(-3, (3,)))
    check_error_at_line(lambda T: T.randint(3, (3,), dtype=T.bool))
    check_error_at_line(lambda T: T.randint(-(2**63), 2**63 - 1, (2,), dtype=T.bool))
    check_error_at_line(lambda T: T.randint(10, (3,), requires_grad=True))
    check_error_at_line(lambda T: T.randint(3, (3,), dtype=T.bool, requires_grad=True))
    check_error_at_line(lambda T: T.randint(5, 5, (-1,)))
    check_error_at_line(lambda T: T.randint(10, 3))
    check_error_at_line(lambda T: T.randint(10, size=3))
    check_error_at_line(lambda T: T.randint(10))
    check_error_at_line(lambda T: T.randint())
    check_error_at_line(lambda T: T.randint(2.5, (3,)))
    check_error_at_line(lambda T: T.randint(True, (3,)))
    check_error_at_line(lambda T: T.randint(high=2.5, size=(3,)))
    check_error_at_line(lambda T: T.randint(1.0, 5.0, (3,)))
    check_error_at_line(lambda T: T.randint(10, (3,), 5))
    check_error_at_line(lambda T: T.randint(10, (3,), foo=1))
    check_error_at_line(lambda T: T.randint(10, (3,), low=2))
    check_error_at_line(lambda T: T.randperm(-1))
    check_error_at_line(lambda T: T.randperm(5, dtype=T.bool))
    check_error_at_line(lambda T: T.randperm(5, requires_grad=True))
    check_error_at_line(lambda T: T.randperm(2.5))
    check_error_at_line(lambda T: T.randperm((3,)))
    check_error_at_line(lambda T: T.randperm())
    check_error_at_line(lambda T: T.randperm(3, foo=1))


@pytest.mark.parametrize(
    "bounds",
    [(2**25 + 1, 2**25 + 3), (2**25 + 5, 2**25 + 7), (2**30 + 1, 2**30 + 60), (2**53 + 1, None)],
)
def test_float_bounds_move_as_torch_moves_them(bounds: tuple):
    """Bounds beyond 2^24 first move to integers a float32 holds, as torch's update_from and
    update_to move them, which can leave the range empty: torch's error."""
    check_error_at_line(lambda T: T.zeros(3).random_(*bounds))


def test_float_bounds_that_collapse_to_one_value():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's (checked above) for bounds beyond 2^24
        check_same(
            lambda T: (
                T.zeros(4).random_(-(2**30) - 3, -(2**30) + 1),
                T.zeros(4).random_(2**25 + 2, 2**25 + 3),
            )
        )


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_random_errors_as_torch(dtype: str):
    x = lambda T: T.zeros(3, dtype=getattr(T, dtype))  # noqa: E731
    check_error_at_line(lambda T: x(T).random_(5, 5))
    check_error_at_line(lambda T: x(T).random_(6, 5))
    check_error_at_line(lambda T: x(T).random_(0))
    check_error_at_line(lambda T: x(T).random_(-1))
    check_error_at_line(lambda T: x(T).random_(2.5))
    check_error_at_line(lambda T: x(T).random_(True))
    check_error_at_line(lambda T: x(T).random_(None))
    check_error_at_line(lambda T: x(T).random_(2, 2.5))
    check_error_at_line(lambda T: x(T).random_(1, 2, 3))
    check_error_at_line(lambda T: x(T).random_(to=None))
    check_error_at_line(lambda T: x(T).random_(**{"from": 2}))
    if dtype != "int64":
        check_error_at_line(lambda T: x(T).random_(2**53 + 1, None))
    if dtype == "bool":
        check_error_at_line(lambda T: x(T).random_(3))
        check_error_at_line(lambda T: x(T).random_(-1, None))
        check_error_at_line(lambda T: x(T).random_(-(2**63), None))
