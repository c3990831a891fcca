"""Assignment through an index, `x[index] = value`, against torch: the values written (into
x itself, through views and transposes), numbers converted to x's dtype, tensors broadcast
after their leading 1-sized dims go, index tensors, lists and masks (index_put), torch's
refusals for leaves, and its errors raised at the user's line. Assignment with autograd
(IndexPutBackward0, CopySlices) is tested with the other in-place ops, in
test_client_in_place."""

from __future__ import annotations

import gradrpc
import numpy as np
import pytest
from clientkit import check_error_at_line, check_same, torch_error


def _grid(T, dtype=None):
    return T.arange(12, dtype=dtype or T.float32).reshape(3, 4)


ASSIGNMENTS = {
    "int, number": lambda T, x: x.__setitem__(1, 7.5),
    "negative int, row": lambda T, x: x.__setitem__(-1, T.tensor([1.0, 2.0, 3.0, 4.0])),
    "column": lambda T, x: x.__setitem__((slice(None), 1), T.tensor([1.0, 2.0, 3.0])),
    "slice with step": lambda T, x: x.__setitem__((slice(None), slice(None, None, 2)), -1),
    "clamped slice": lambda T, x: x.__setitem__(slice(-100, 2), 0),
    "whole slice": lambda T, x: x.__setitem__(slice(None), 3),
    "ellipsis": lambda T, x: x.__setitem__(..., T.tensor([1.0, 2.0, 3.0, 4.0])),
    "ellipsis and int": lambda T, x: x.__setitem__((..., 2), 5),
    "None": lambda T, x: x.__setitem__(None, 2),
    "None inside": lambda T, x: x.__setitem__((slice(None), None, 1), T.ones(3, 1)),
    "True": lambda T, x: x.__setitem__(True, 1),
    "False writes nothing, even a value that fits nowhere": lambda T, x: x.__setitem__(
        False, T.ones(5)
    ),
    "leading ones dropped": lambda T, x: x.__setitem__(0, T.ones(1, 1, 4)),
    "all-ones value to one element": lambda T, x: x.__setitem__((1, 2), T.ones(1, 1)),
    "float64 value into float32 (copy converts)": lambda T, x: x.__setitem__(
        0, T.tensor([0.1, 0.2, 0.3, 0.4], dtype=T.float64)
    ),
    "list of rows": lambda T, x: x.__setitem__([0, 2], 9),
    "list, row value broadcast": lambda T, x: x.__setitem__([0, 2], T.tensor([1.0, 2.0, 3.0, 4.0])),
    "list with leading ones": lambda T, x: x.__setitem__([0, 2], T.ones(1, 2, 4)),
    "index tensor": lambda T, x: x.__setitem__(T.tensor([2, -3]), T.tensor([[1.0], [2.0]])),
    "two lists": lambda T, x: x.__setitem__(([0, 1, 2], [3, 2, 1]), T.tensor([7.0, 8.0, 9.0])),
    "int and list": lambda T, x: x.__setitem__((1, [0, 3]), T.tensor([5.0, 6.0])),
    "column list": lambda T, x: x.__setitem__((slice(None), [2, 0]), T.tensor([1.0, 2.0])),
    "bool mask list": lambda T, x: x.__setitem__([True, False, True], 0),
    "numpy array": lambda T, x: x.__setitem__(np.array([1, 2]), 4),
    "mask of x": lambda T, x: x.__setitem__(x > 5, 0),
    "mask of x, values": lambda T, x: x.__setitem__(x < 3, T.tensor([10.0, 20.0, 30.0])),
    "repeated positions, the last one written": lambda T, x: x.__setitem__(
        [0, 0], T.tensor([[1.0], [2.0]])
    ),
    "through a transposed view": lambda T, x: x.t().__setitem__(0, 9),
    "a view, then its slice": lambda T, x: x[1:].__setitem__((slice(None), 1), -2),
}


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_assignment_matches_torch(name):
    def scenario(T):
        x = _grid(T)
        ASSIGNMENTS[name](T, x)
        return x, x.is_leaf, x.requires_grad

    check_same(scenario)


def test_non_adjacent_index_tensors_place_values_first():
    def scenario(T):
        x = T.zeros(2, 3, 4)
        x[[0, 1], :, [1, 2]] = T.arange(6.0).reshape(2, 3)
        y = T.zeros(2, 3, 4, dtype=T.int64)
        y[0, [0, 2], 1:3] = T.tensor([[1], [2]])
        return x, y

    check_same(scenario)


@pytest.mark.parametrize(
    ("dtype", "value"),
    [
        ("int64", 1.7),
        ("int64", -1.7),
        ("int64", True),
        ("int64", 2**63 - 1),
        ("int64", np.int32(3)),
        ("bool", 2),
        ("bool", 0.0),
        ("bool", float("nan")),
        ("float32", 2**62),
        ("float32", 1e20),
        ("float32", float("inf")),
        ("float32", np.float64(2.5)),
        ("float64", 1 + 0j),
        ("bool", 1j),
    ],
)
def test_numbers_are_converted_as_torch_converts_them(dtype, value):
    def scenario(T):
        x = T.zeros(2, 3, dtype=getattr(T, dtype))
        x[0] = value
        x[[1], 1] = value
        return x

    check_same(scenario)


def test_under_no_grad_a_parameter_stays_a_leaf_and_trains_on():
    def scenario(T):
        w = T.ones(2, 3, requires_grad=True)
        with T.no_grad():
            w[0, 1] = 0
            w[:, [2]] = -1
            w[w > 0.5] *= 3
        (w * w).sum().backward()
        return w, w.is_leaf, w.grad_fn is None, w.grad

    check_same(scenario)


def test_an_assignment_into_a_saved_tensor_fails_backward_as_torch():
    """The write bumps x's version: backward, run by the server, fails with torch's words
    at the next read, naming the backward's line."""

    def scenario(T):
        x = T.ones(3)
        w = T.ones(3, requires_grad=True)
        y = (w * x).sum()
        x[0] = 5
        y.backward()
        return w.grad.tolist()

    expected = torch_error(scenario)
    with pytest.raises(RuntimeError) as raised:
        scenario(gradrpc)
    message, note = str(raised.value).split("\n")
    assert message == str(expected)
    assert note.startswith("(gradrpc: raised by 'backward' queued at ")


ERRORS = {
    "list value": lambda T: _grid(T).__setitem__(0, [1, 2, 3, 4]),
    "tuple value": lambda T: _grid(T).__setitem__(0, (1, 2)),
    "ndarray value": lambda T: _grid(T).__setitem__(0, np.ones(4)),
    "numpy float32 value": lambda T: _grid(T).__setitem__(0, np.float32(2)),
    "numpy bool value": lambda T: _grid(T, T.int64).__setitem__(0, np.bool_(True)),
    "None value": lambda T: _grid(T).__setitem__(0, None),
    "int beyond int64": lambda T: _grid(T).__setitem__(0, 2**70),
    "nan into int64": lambda T: _grid(T, T.int64).__setitem__(0, float("nan")),
    "1e20 into int64": lambda T: _grid(T, T.int64).__setitem__([0], 1e20),
    "1e300 into float32": lambda T: _grid(T).__setitem__(0, 1e300),
    "imaginary into float64": lambda T: _grid(T, T.float64).__setitem__(0, 2j),
    "more dims than the view": lambda T: _grid(T).__setitem__(0, T.ones(2, 4)),
    "a size that does not broadcast": lambda T: _grid(T).__setitem__(0, T.ones(3)),
    "a column's trailing 1": lambda T: _grid(T).__setitem__((slice(None), 0), T.ones(3, 1)),
    "index_put shape": lambda T: _grid(T).__setitem__([0, 1], T.ones(3)),
    "index_put dims": lambda T: _grid(T).__setitem__([0, 1], T.ones(2, 2, 4)),
    "index_put dtype": lambda T: _grid(T).__setitem__([0], T.ones(4, dtype=T.float64)),
    "index_put int value into float": lambda T: _grid(T).__setitem__([0], T.ones(4, dtype=T.int64)),
    "list out of range": lambda T: _grid(T).__setitem__([0, 5], 1),
    "int out of range": lambda T: _grid(T).__setitem__((0, 5), 1),
    "0-d with an int": lambda T: T.tensor(5.0).__setitem__(0, 1),
    "float index": lambda T: _grid(T).__setitem__(1.5, 1),
    "view of a leaf": lambda T: T.ones(3, requires_grad=True).__setitem__(0, 1),
    "view of a leaf, slice": lambda T: T.ones(3, requires_grad=True).__setitem__(slice(1, None), 1),
    "leaf, list": lambda T: T.ones(3, requires_grad=True).__setitem__([0], 1),
    "leaf, whole slice": lambda T: T.ones(3, requires_grad=True).__setitem__(slice(None), 1),
    "leaf, ellipsis": lambda T: T.ones(3, requires_grad=True).__setitem__(..., 1),
    "view of a leaf, int and list": lambda T: T.ones(2, 3, requires_grad=True).__setitem__(
        (0, [1]), 1
    ),
    "del": lambda T: _grid(T).__delitem__(0),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch_at_the_line(name):
    check_error_at_line(ERRORS[name])


def test_a_leaf_through_its_own_mask():
    def scenario(T):
        x = T.ones(3, requires_grad=True)
        x[x > 0] = 1

    check_same(scenario)


def test_an_index_tensor_out_of_range_fails_at_the_next_read():
    x = gradrpc.zeros(3)
    x[gradrpc.tensor([0, 3])] = 1.0
    with pytest.raises(IndexError, match=r"^index 3 is out of bounds for dimension 0 with size 3"):
        x.tolist()
    assert x.tolist() == [0.0, 0.0, 0.0]  # nothing written, the session goes on
