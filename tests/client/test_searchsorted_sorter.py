"""searchsorted with `sorter` against torch: indices into the order the sorter gives, per row
too, with `right` and `side`, a number of values, and torch's checks of the sorter in its
order (the range read from the server, one round trip, as torch synchronizes)."""

from __future__ import annotations

import gradrpc
import numpy as np
import pytest
from clientkit import check_error_at_line, check_same

BOUNDARIES = [5.0, 1, 3, 9, 7, 3]
VALUES = [[0.0, 3, 6], [9, 10, 4]]

CASES = {
    "sorter": lambda T, b, v: T.searchsorted(b, v, sorter=b.argsort()),
    "right": lambda T, b, v: T.searchsorted(b, v, right=True, sorter=b.argsort()),
    "side right": lambda T, b, v: T.searchsorted(b, v, side="right", sorter=b.argsort()),
    "side left": lambda T, b, v: T.searchsorted(b, v, side="left", sorter=b.argsort()),
    "a number": lambda T, b, v: T.searchsorted(b, 3.0, sorter=b.argsort(), side="right"),
    "an int number": lambda T, b, v: T.searchsorted(b.long(), 3, sorter=b.argsort()),
    "per row": lambda T, b, v: T.searchsorted(b.reshape(2, 3), v, sorter=b.reshape(2, 3).argsort()),
    "a sorter that does not sort": lambda T, b, v: T.searchsorted(b, v, sorter=T.arange(6)),
    "a repeated index": lambda T, b, v: T.searchsorted(b, v, sorter=T.zeros(6, dtype=T.int64)),
    "a non-contiguous sorter": lambda T, b, v: T.searchsorted(
        b.reshape(2, 3), v, sorter=T.tensor([[2, 0, 1], [1, 2, 0]]).t().contiguous().t()
    ),
    "empty boundaries": lambda T, b, v: T.searchsorted(b[:0], v, sorter=T.zeros(0, dtype=T.int64)),
    "boundaries that require grad": lambda T, b, v: T.searchsorted(
        b.requires_grad_(), v, sorter=b.argsort()
    ),
    "bool values": lambda T, b, v: T.searchsorted(b, v > 5, sorter=b.argsort()),
}


@pytest.mark.filterwarnings(r"ignore:torch\.searchsorted\(\)\W sorter tensor is non-contiguous")
@pytest.mark.parametrize("name", CASES)
def test_searchsorted_with_a_sorter_matches_torch(name):
    def scenario(T):
        return CASES[name](T, T.tensor(BOUNDARIES), T.tensor(VALUES))

    check_same(scenario, rtol=0, atol=0)


def test_random_rows_with_ties_match_torch():
    rng = np.random.default_rng(0)
    boundaries = rng.integers(0, 6, (3, 40)).astype(np.float32).tolist()
    values = rng.integers(-1, 7, (3, 25)).astype(np.float32).tolist()

    def scenario(T):
        s, v = T.tensor(boundaries), T.tensor(values)
        order = s.argsort(stable=True)
        return [T.searchsorted(s, v, right=right, sorter=order) for right in (False, True)]

    check_same(scenario, rtol=0, atol=0)


RANGE_ERRORS = {
    "an index too large": lambda T: T.searchsorted(
        T.ones(3), T.ones(2), sorter=T.tensor([0, 1, 3])
    ),
    "a negative index": lambda T: T.searchsorted(T.ones(3), T.ones(2), sorter=T.tensor([0, -1, 2])),
    "the range before the leading dims": lambda T: T.searchsorted(
        T.ones(2, 3), T.ones(3, 2), sorter=T.full((2, 3), 5)
    ),
    "leading dims that differ, a sorter in range": lambda T: T.searchsorted(
        T.ones(2, 3), T.ones(3, 2), sorter=T.zeros(2, 3, dtype=T.int64)
    ),
}


@pytest.mark.parametrize("name", RANGE_ERRORS)
def test_a_sorter_out_of_range_fails_as_torchs(name):
    check_same(RANGE_ERRORS[name])


def test_the_range_is_read_in_one_round_trip(session):
    boundaries = session.tensor(BOUNDARIES)
    sorter = boundaries.argsort()
    before = session.rpc_count
    found = gradrpc.searchsorted(boundaries, session.tensor(VALUES), sorter=sorter)
    assert session.rpc_count == before + 1
    assert found.tolist() == [[0, 1, 4], [5, 6, 3]]


ERRORS = {
    "a list sorter": lambda T: T.searchsorted(T.ones(3), T.ones(2), sorter=[0, 1, 2]),
    "a sorter of another shape": lambda T: T.searchsorted(
        T.ones(3), T.ones(2), sorter=T.tensor([0, 1])
    ),
    "a float sorter": lambda T: T.searchsorted(T.ones(3), T.ones(2), sorter=T.ones(3)),
    "another shape before another dtype": lambda T: T.searchsorted(
        T.ones(3), T.ones(2), sorter=T.ones(2)
    ),
    "an unknown side before the sorter": lambda T: T.searchsorted(
        T.ones(3), T.ones(2), side="x", sorter=T.ones(2)
    ),
    "0-d boundaries and sorter": lambda T: T.searchsorted(
        T.tensor(1.0), T.ones(2), sorter=T.tensor(0)
    ),
}


@pytest.mark.parametrize("name", ERRORS)
def test_sorter_errors_match_torch_at_the_line(name):
    check_error_at_line(ERRORS[name])
