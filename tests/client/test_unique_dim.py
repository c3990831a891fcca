"""unique and unique_consecutive along a dim against torch: the slices kept (the zero signs
torch's std::sort leaves), inverse and counts, the nodes (UniqueDimBackward0,
UniqueConsecutiveBackward0) and their failing backward, empty inputs and torch's errors."""

from __future__ import annotations

import numpy as np
import pytest
from clientkit import check_error_at_line, check_raised_at_the_next_read, check_same

NAN = float("nan")
ROWS = [[1.0, 2, 1], [0, 5, 0], [1, 2, 1], [0, 5, 0], [0, 5, 0], [0, 2, 9]]

CASES = {
    "rows": lambda T, x: T.unique(x, dim=0),
    "rows, inverse and counts": lambda T, x: T.unique(
        x, dim=0, return_inverse=True, return_counts=True
    ),
    "columns": lambda T, x: x.unique(dim=1, return_inverse=True),
    "last dim by a negative dim": lambda T, x: T.unique(x, dim=-1, return_counts=True),
    "not sorted": lambda T, x: x.unique(sorted=False, dim=0, return_inverse=True),
    "positional": lambda T, x: x.unique(True, True, True, 0),
    "consecutive rows": lambda T, x: T.unique_consecutive(
        x, dim=0, return_inverse=True, return_counts=True
    ),
    "consecutive columns": lambda T, x: x.unique_consecutive(True, True, 1),
    "3-d, the middle dim": lambda T, x: T.unique(
        x.reshape(2, 3, 3), dim=1, return_inverse=True, return_counts=True
    ),
    "3-d, consecutive along the first": lambda T, x: T.unique_consecutive(
        T.cat([x, x]).reshape(4, 3, 3), dim=0, return_counts=True
    ),
    "strides, torch's moved dim": lambda T, x: (
        x.unique(dim=1).stride(),
        x.reshape(2, 3, 3).unique_consecutive(dim=1).stride(),
        x[:0].unique(dim=0).stride(),
        x.unique(dim=-1).is_contiguous(),
    ),
    "int64": lambda T, x: T.unique(x.long(), dim=0, return_inverse=True),
    "bool": lambda T, x: T.unique(x > 1, dim=1, return_counts=True),
    "1-d": lambda T, x: T.unique(x[0], dim=0, return_inverse=True, return_counts=True),
    "one column": lambda T, x: T.unique(x[:, :1], dim=0, return_inverse=True),
    "empty along dim": lambda T, x: T.unique(x[:0], dim=0, return_inverse=True, return_counts=True),
    "empty along dim, consecutive": lambda T, x: T.unique_consecutive(
        x[:, :0], dim=1, return_inverse=True, return_counts=True
    ),
    "consecutive nan slices": lambda T, x: T.unique_consecutive(
        T.tensor([[NAN, 1.0], [NAN, 1.0], [0.0, 2.0], [0, 2]]), dim=0, return_counts=True
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_unique_along_a_dim_matches_torch(name):
    def scenario(T):
        return CASES[name](T, T.tensor(ROWS, requires_grad=True))

    check_same(scenario, rtol=0, atol=0)


def test_a_slice_holding_a_nan_equals_none():
    """Each is kept, as torch keeps it; where they sort differs (the README says how)."""

    def scenario(T):
        x = T.tensor([[NAN, 1.0], [NAN, 1.0], [0.0, 2.0], [0.0, 2.0], [1.0, NAN]])
        values, counts = T.unique(x, dim=0, return_counts=True)
        return values.shape, counts.sort().values

    check_same(scenario, rtol=0, atol=0)


@pytest.mark.parametrize("rows", [6, 40, 300])
def test_the_zero_signs_kept_are_torchs(rows):
    """Equal slices that differ in their zeros' signs: the one kept is where torch's
    std::sort (insertion sort below 17 slices, introsort above) leaves it."""
    rng = np.random.default_rng(rows)
    data = rng.choice([-0.0, 0.0, 1.0], (rows, 2)).tolist()

    def scenario(T):
        x = T.tensor(data)
        out = [T.unique(x, dim=0, return_inverse=True, return_counts=True)]
        out.append(T.unique_consecutive(x, dim=0))
        return out, [1 / o for o in (out[0][0], out[1])]  # -inf where a zero is negative

    check_same(scenario, rtol=0, atol=0)


def test_random_integer_rows_match_torch():
    rng = np.random.default_rng(1)
    data = rng.integers(0, 3, (200, 3, 2)).tolist()

    def scenario(T):
        x = T.tensor(data)
        return [T.unique(x, dim=d, return_inverse=True, return_counts=True) for d in (0, 1, 2)] + [
            T.unique_consecutive(x, dim=0, return_inverse=True, return_counts=True)
        ]

    check_same(scenario, rtol=0, atol=0)


def test_unique_along_a_dim_reads_the_values_once(session):
    x = session.tensor(ROWS)
    before = session.rpc_count
    values, inverse, counts = x.unique(dim=0, return_inverse=True, return_counts=True)
    assert session.rpc_count == before + 1
    assert values.tolist() == [[0.0, 2.0, 9.0], [0.0, 5.0, 0.0], [1.0, 2.0, 1.0]]
    assert (inverse.tolist(), counts.tolist()) == ([2, 1, 2, 1, 1, 0], [1, 3, 2])


@pytest.mark.parametrize("function", ["unique", "unique_consecutive"])
def test_the_backward_fails_as_torchs_at_the_next_read(function):
    def backward(T):
        x = T.tensor(ROWS, requires_grad=True)
        getattr(T, function)(x, dim=0).sum().backward()
        return x.grad.tolist()

    check_raised_at_the_next_read(backward, "backward")


ERRORS = {
    "a dim out of range": lambda T: T.unique(T.ones(2, 3), dim=2),
    "a negative dim out of range": lambda T: T.ones(2, 3).unique_consecutive(dim=-3),
    "a 0-d tensor": lambda T: T.unique(T.tensor(3.0), dim=0),
    "a 0-d tensor, dim -1": lambda T: T.unique_consecutive(T.tensor(3.0), dim=-1),
    "a float dim": lambda T: T.ones(2, 3).unique(dim=1.0),
    "a bool dim": lambda T: T.unique(T.ones(2, 3), dim=True),
    "a str dim, consecutive": lambda T: T.unique_consecutive(T.ones(2, 3), dim="a"),
    "zeros along another dim": lambda T: T.unique(T.ones(2, 0, 3), dim=0),
    "zeros along another dim, consecutive": lambda T: T.unique_consecutive(T.ones(0, 3), dim=1),
    "zeros along two dims": lambda T: T.unique(T.ones(2, 0, 0), dim=1),
    "zeros along two dims, consecutive": lambda T: T.unique_consecutive(T.ones(0, 0), dim=0),
}


@pytest.mark.parametrize("name", ERRORS)
def test_unique_dim_errors_match_torch_at_the_line(name):
    check_error_at_line(ERRORS[name])
