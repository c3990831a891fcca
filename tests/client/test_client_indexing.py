"""Basic indexing through the client, against torch: values, shapes, strides, the grad_fn
chain torch builds (select, slice, unsqueeze, alias), gradients, views that share storage and
version, and torch's errors raised at the user's line."""

from __future__ import annotations

import gradrpc
import pytest
from clientkit import check_error_at_line, check_same, torch_error

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


@pytest.mark.parametrize(
    "index",
    [
        lambda x: x[[0, 1]],
        lambda x: x[True],
        lambda x: x[gradrpc.tensor([0, 1])],
        lambda x: x[gradrpc.tensor([True, False, True])],
    ],
    ids=["list", "bool", "int tensor", "bool tensor"],
)
def test_advanced_indexing_is_refused_clearly(index):
    x = _grid(gradrpc)
    with pytest.raises(NotImplementedError, match=r"^gradrpc: advanced indexing"):
        index(x)
    assert x[1].sum().item() == 22.0
