"""Indexing through the client, against torch: values, shapes, strides, the grad_fn chain
torch builds (select, slice, unsqueeze, alias views, then index for tensors, lists and
masks), gradients, views that share storage and version, and torch's errors raised at the
user's line."""

from __future__ import annotations

import warnings

import gradrpc
import numpy as np
import pytest
from clientkit import check_error_at_line, check_same, no_rpc, torch_error

INDEXES = {
    "int": lambda x: x[1],
    "negative int": lambda x: x[-1],
    "int pair": lambda x: x[0, 2],
    "int then column": lambda x: x[:, 1],
    "slice": lambda x: x[1:],
    "whole slice alone": lambda x: x[:],
    "whole range alone": lambda x: x[:3],
    "slices in a tuple": lambda x: x[0:2, 1:3],
    "whole slices in a tuple": lambda x: x[:, 0:4],
    "step": lambda x: x[::2, 1::2],
    "clamped": lambda x: x[-100:100],
    "empty": lambda x: x[3:1],
    "ellipsis": lambda x: x[...],
    "empty tuple": lambda x: x[()],
    "ellipsis and int": lambda x: x[..., 1],
    "int, ellipsis, int": lambda x: x[0, ..., 1],
    "two ellipses": lambda x: x[..., 0, ...],
    "None": lambda x: x[None],
    "None inside": lambda x: x[:, None, 1:3],
    "None after int": lambda x: x[1, None],
    "None between ints": lambda x: x[0, None, 0],
    "chained": lambda x: x[:, :2][1],
}


@pytest.mark.parametrize("name", INDEXES)
def test_indexing_matches_torch(name):
    index = INDEXES[name]

    def scenario(T):
        a = T.tensor(
            [[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0]],
            requires_grad=True,
        )
        y = index(a)
        names, node = [], y.grad_fn
        while node is not None and node.name() != "torch::autograd::AccumulateGrad":
            names.append(node.name())
            node = node.next_functions[0][0]
        (y * y).sum().backward()
        return y, y.shape, y.stride(), y.is_contiguous(), names, a.grad

    check_same(scenario)


def test_a_zero_dim_tensor_as_an_index():
    def scenario(T):
        a = _grid(T)
        return a[T.tensor(1), 2], a[T.tensor(-1)]

    check_same(scenario)


def _grid(T):
    return T.tensor([[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0]])


def test_views_share_storage_and_version():
    """A write through a view (under no_grad) shows in the base; a write to the base after
    the view was saved for backward fails backward, as in torch."""

    def scenario(T):
        a = _grid(T).requires_grad_()
        with T.no_grad():
            a[1].zero_()
            a[:, 3].mul_(2)
        b = _grid(T)
        row = b[0]
        b.add_(1)
        return a, row

    check_same(scenario)


def test_backward_after_the_base_changed_fails_as_torch_does():
    """A write to another part of the storage bumps the version the slice saved, as torch's
    shared version counter does; the error surfaces at the next read."""

    def scenario(T):
        a = _grid(T).requires_grad_()
        b = a * 1
        c = b[1:]
        y = (c * c).sum()
        with T.no_grad():
            b[0].add_(1)
        y.backward()
        return a.grad.sum().item()

    message = str(torch_error(scenario))
    with pytest.raises(RuntimeError) as raised:
        scenario(gradrpc)
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize(
    "index",
    [
        lambda T: _grid(T)[3],
        lambda T: _grid(T)[-4],
        lambda T: _grid(T)[:, 4],
        lambda T: _grid(T)[1:, 4],
        lambda T: _grid(T)[0, 9],
        lambda T: _grid(T)[None, 5],
        lambda T: _grid(T)[0, None, 9],
        lambda T: _grid(T)[..., 9],
        lambda T: _grid(T)[0, 1, 2],
        lambda T: _grid(T)[::-1],
        lambda T: _grid(T)[::0],
        lambda T: _grid(T)[1.5],
        lambda T: _grid(T)["a"],
        lambda T: T.tensor(1.0)[0],
        lambda T: T.tensor(1.0)[:],
        lambda T: T.tensor(1.0)[0,],
        lambda T: _grid(T)[T.tensor(1.0)],
    ],
)
@pytest.mark.filterwarnings("ignore:Using a non-tuple sequence")  # torch, on x["a"]
def test_errors_as_torch(index):
    check_error_at_line(index)


def _cube(T):
    """2x3x4 values that differ, requiring grad."""
    return (T.arange(24.0).reshape(2, 3, 4) / 4 - 2).requires_grad_()


def _mask(T):
    return T.tensor([[True, False, True], [False, True, True]])


ADVANCED = {
    "list": lambda T, x: x[[1, 0]],
    "negative and repeated": lambda T, x: x[[-1, 0, -1, 1]],
    "empty list": lambda T, x: x[[]],
    "range": lambda T, x: x[:, range(2)],
    "numpy array": lambda T, x: x[:, np.array([2, 0, 2])],
    "floats truncate": lambda T, x: x[[1.7, 0.2]],
    "int tensor": lambda T, x: x[T.tensor([[1], [0]])],
    "column": lambda T, x: x[:, [0, 2]],
    "two adjacent": lambda T, x: x[:, [0, 2, 2], [1, 3, 1]],
    "broadcast": lambda T, x: x[T.tensor([[0], [1]]), [0, 2]],
    "apart": lambda T, x: x[[0, 1], :, [1, 2]],
    "apart by None": lambda T, x: x[[0], None, [1]],
    "after int": lambda T, x: x[0, [0, 1, 0]],
    "before int": lambda T, x: x[[0, 1], 0],
    "between slices": lambda T, x: x[1:, [0, 2], 1:3],
    "ellipsis": lambda T, x: x[..., [1]],
    "None first": lambda T, x: x[None, [1]],
    "True": lambda T, x: x[True],
    "False": lambda T, x: x[False],
    "0-d bool tensor": lambda T, x: x[T.tensor(True)],
    "list of bools": lambda T, x: x[[True, False]],
    "mask": lambda T, x: x[_mask(T)],
    "mask then slice": lambda T, x: x[_mask(T), 1:3],
    "mask then None": lambda T, x: x[_mask(T), None],
    "mask of a row": lambda T, x: x[0, _mask(T)[0]],
    "mask over the last dims": lambda T, x: x[:, T.tensor([[True, False, True, True]] * 3)],
    "comparison mask": lambda T, x: x[x > 0],
    "int tensor of an int tensor": lambda T, x: x[T.tensor([1, 0])[T.tensor([0, 0, 1])]],
}


@pytest.mark.parametrize("name", ADVANCED)
def test_advanced_indexing_matches_torch(name):
    """Values, shape, strides, the grad_fn chain (IndexBackward0 after the views) and the
    gradient, summed over repeated positions."""
    index = ADVANCED[name]

    def scenario(T):
        x = _cube(T)
        y = index(T, x)
        names, node = [], y.grad_fn
        while node is not None and node.name() != "torch::autograd::AccumulateGrad":
            names.append(node.name())
            node = node.next_functions[0][0]
        (y * T.arange(float(y.numel())).reshape(y.shape)).sum().backward()
        return y, y.shape, y.stride(), y.is_contiguous(), names, x.grad

    check_same(scenario)


def test_known_indices_need_no_round_trip():
    x = _cube(gradrpc)
    gradrpc.default_session().flush()
    with no_rpc():
        x[[0, 1], :, [1, 2]], x[gradrpc.tensor([1, 0])], x[[True, False]]


@pytest.mark.parametrize(
    "index",
    [
        lambda T: _cube(T)[[0, 2]],
        lambda T: _cube(T)[[-3]],
        lambda T: _cube(T)[0, [5]],
        lambda T: _cube(T)[[0, 1], [1, 3]],
        lambda T: _cube(T)[[0, 1], [0, 1, 2]],
        lambda T: _cube(T)[:, [True, False]],
        lambda T: _cube(T)[["a"]],
        lambda T: T.tensor(5.0)[[0]],
    ],
)
@pytest.mark.filterwarnings("ignore:Using a non-tuple sequence")  # on x[["a"]]
def test_advanced_indexing_errors_as_torch(index):
    check_error_at_line(index)


@pytest.mark.parametrize(
    "index",
    [
        lambda T: _cube(T)[T.ones(2, 4, dtype=T.bool)],
        lambda T: _cube(T)[T.ones(2, 3, dtype=T.bool), 0, 0],
    ],
)
def test_errors_of_a_mask_the_server_holds_as_torch(index):
    """A mask tensor is read (the result's shape depends on it): torch's error, one call."""
    check_same(index)


def test_an_index_tensor_out_of_range_surfaces_at_the_next_read():
    """The server checks positions it holds; the error names the op and the line."""

    def scenario(T):
        y = _cube(T)[T.tensor([0, 7])]
        return y.sum().item()

    message = str(torch_error(scenario))
    with pytest.raises(IndexError) as raised:
        scenario(gradrpc)
    assert str(raised.value).startswith(message + "\n(gradrpc: raised by 'index' queued at ")


def test_a_list_of_lists_is_a_tuple_with_torchs_warning():
    def run(T):
        x = _cube(T)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = x[[[0, 1], [1, 0]]]
        return y, [(w.category, str(w.message), w.lineno) for w in caught]

    check_same(run)
