"""Small Tensor methods and attributes torch has, against real torch: multiply_,
fill_diagonal_, hardshrink, apply_ / map_ / map2_, new, output_nr, layout and the flags of
tensor kinds gradrpc does not have (sparse, quantized, meta, ...)."""

from __future__ import annotations

import pickle

import gradrpc
import pytest
import torch
from clientkit import check_error_at_line, check_same, graph_of


def _matrix(lib, rows=3, columns=4):
    return lib.arange(float(rows * columns)).reshape(rows, columns) - 5


def test_multiply_in_place(session):
    def run(lib):
        a = _matrix(lib).requires_grad_()
        x = a * 1
        out = x.multiply_(lib.arange(4.0))
        x.multiply_(2)
        x.sum().backward()
        return out is x, x, graph_of(x.grad_fn), a.grad

    check_same(run)


@pytest.mark.parametrize(
    ("shape", "wrap"),
    [
        ((3, 4), False),
        ((4, 3), False),
        ((7, 3), False),
        ((7, 3), True),
        ((9, 2), True),
        ((4, 5), True),
        ((4, 4), True),
        ((2, 2, 2), False),
        ((3, 3, 3, 3), True),
        ((0, 0), False),
    ],
)
def test_fill_diagonal(session, shape, wrap):
    def run(lib):
        x = lib.zeros(shape)
        out = x.fill_diagonal_(5, wrap=wrap)
        return out is x, x

    check_same(run)


def test_fill_diagonal_of_a_transposed_integer_matrix(session):
    check_same(lambda lib: lib.ones(2, 5, dtype=lib.int64).t().fill_diagonal_(2.7, True))


def test_fill_diagonal_with_history(session):
    def run(lib):
        a = _matrix(lib, 5, 2).requires_grad_()
        x = a * 1
        x.fill_diagonal_(lib.tensor(3.0), wrap=True)
        (x * x).sum().backward()
        return x, x.grad_fn.name(), a.grad

    check_same(run)


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib: lib.ones(3).fill_diagonal_(1),
        lambda lib: lib.ones(2, 3, 4).fill_diagonal_(1),
        lambda lib: lib.ones(2, 2, 3).fill_diagonal_(1),
        lambda lib: lib.ones(2, 2, requires_grad=True).fill_diagonal_(1),
    ],
)
def test_fill_diagonal_errors(session, fn):
    check_error_at_line(fn)


@pytest.mark.parametrize("lambd", [0.5, 2, 0])
def test_hardshrink_method(session, lambd):
    def run(lib):
        a = _matrix(lib).requires_grad_()
        y = a.hardshrink(lambd) if lambd != 0.5 else a.hardshrink()
        y.sum().backward()
        return y, a.grad

    check_same(run)


def test_apply_map_and_map2(session):
    def run(lib):
        y = lib.arange(4.0)
        out = y.apply_(lambda v: v * 2)
        y.map_(lib.ones(4), lambda p, q: p + q)
        y.map2_(lib.ones(4), lib.tensor([10.0]), lambda p, q, r: p - q + r)
        m = _matrix(lib).t()  # not contiguous
        m.map_(lib.arange(3.0), lambda p, q: p * q)
        return out is y, y, m

    check_same(run)


def test_apply_converts_the_results_to_the_dtype(session):
    def run(lib):
        seen = []
        ints = lib.arange(4).apply_(lambda v: seen.append(type(v).__name__) or v * 1.5)
        bools = lib.tensor([True, False]).apply_(lambda v: 5)
        floats = lib.arange(3, dtype=lib.float64).apply_(lambda v: v // 2)
        return ints, bools, floats, seen

    check_same(run)


def test_apply_does_not_move_the_version(session):
    """A tensor saved for backward and changed by apply_ still differentiates, with the new
    values, as in torch (which does not count apply_'s write)."""

    def run(lib):
        a = _matrix(lib, 2, 2).requires_grad_()
        w = lib.ones(2, 2)
        y = a * w
        w.apply_(lambda v: v + 2)
        y.sum().backward()
        return a.grad

    check_same(run)


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib: lib.ones(3, requires_grad=True).apply_(lambda v: v),
        lambda lib: (lib.ones(3, requires_grad=True) * 1).apply_(lambda v: v),
        lambda lib: lib.ones(3).map_(lib.ones(3, requires_grad=True), lambda p, q: p),
        lambda lib: lib.ones(3, requires_grad=True).map2_(lib.ones(3), lib.ones(3), lambda *v: 0),
        lambda lib: lib.ones(3).map2_(lib.ones(3), lib.ones(3, requires_grad=True), lambda *v: 0),
        lambda lib: lib.ones(3).map_(lib.ones(2), lambda p, q: p),
        lambda lib: lib.ones(3).apply_(lambda p: "x"),
        lambda lib: lib.ones(3).apply_(lambda p: None),
        lambda lib: lib.ones(3, dtype=lib.int64).apply_(lambda p: None),
        lambda lib: lib.ones(3).apply_(5),
    ],
)
def test_apply_errors(session, fn):
    expected = check_same(fn)
    assert expected[0] == "raised"


def test_new(session):
    def run(lib):
        x = _matrix(lib)
        integers = lib.arange(3)
        return (
            x.new(2, 3).shape,
            x.new(2, 3).dtype,
            x.new([1, 2]),
            integers.new([1.5, 2]),
            x.new(),
            integers.new(0).dtype,
        )

    check_same(run)


def test_output_nr(session):
    def run(lib):
        x = _matrix(lib).requires_grad_() * 1
        return (
            x.output_nr,
            [piece.output_nr for piece in x.unbind(0)],
            [piece.output_nr for piece in x.split(1, 1)],
            [piece.output_nr for piece in x.chunk(2)],
            x[1].output_nr,
            lib.ones(2).output_nr,
        )

    check_same(run)


FLAGS = [
    "is_sparse",
    "is_sparse_csr",
    "is_quantized",
    "is_meta",
    "is_nested",
    "is_mkldnn",
    "is_xpu",
    "is_mps",
    "is_ipu",
    "is_xla",
    "is_vulkan",
    "is_maia",
    "is_mtia",
    "name",
]


def test_flags_and_layout(session):
    def run(lib):
        x = _matrix(lib).requires_grad_()
        return (
            [getattr(x, flag) for flag in FLAGS],
            x.is_pinned(),
            x.is_shared(),
            repr(x.layout),
            x.layout == lib.strided,
            str(lib.strided),
            type(lib.strided).__name__,
        )

    check_same(run)


def test_strided_pickles_as_itself():
    assert pickle.loads(pickle.dumps(gradrpc.strided)) is gradrpc.strided
    assert pickle.loads(pickle.dumps(torch.strided)) is torch.strided
