"""torch.einsum and torch.diagonal against torch: values, every input's gradient and the whole
graph (einsum records torch's composition: diagonals, unsqueezes, permutes, sums, and a bmm
between views per pair of operands), float32, float64 and int64, the argument formats, and
torch's errors with its wording at the line, without a call to the server."""

from __future__ import annotations

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import check_error_at_line, check_same, graph_of, no_rpc

EQUATIONS = [  # (equation, operand shapes)
    ("ij,jk->ik", [(2, 3), (3, 4)]),  # matmul
    ("ij,jk", [(2, 3), (3, 4)]),  # implicit output
    ("ij,jk->ki", [(2, 3), (3, 4)]),  # the transposed product: torch swaps the operands
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),  # batch matmul
    ("bij,bjk->kbi", [(2, 3, 4), (2, 4, 5)]),
    ("i,j->ij", [(3,), (4,)]),  # outer: a mul
    ("i,i->", [(4,), (4,)]),  # dot
    ("ij,j->i", [(2, 3), (3,)]),
    ("j,jk->k", [(3,), (3, 4)]),
    ("ii", [(3, 3)]),  # trace
    ("ii->i", [(3, 3)]),  # diagonal
    ("bii->bi", [(2, 3, 3)]),
    ("iji->j", [(3, 2, 3)]),
    ("iij,j", [(2, 2, 3), (3,)]),
    ("bii,bjj->bij", [(2, 3, 3), (2, 4, 4)]),
    ("ij->ji", [(2, 3)]),  # transpose
    ("ij", [(2, 3)]),
    ("ij->", [(2, 3)]),  # sum
    ("ij->j", [(2, 3)]),
    ("ij,kl->", [(2, 3), (4, 5)]),
    ("bn,anm,bm->ba", [(2, 5), (3, 5, 4), (2, 4)]),  # bilinear
    ("...ij->...ji", [(2, 3, 4, 5)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),  # broadcast batch dims
    ("...,...->...", [(2, 1), (1, 3)]),
    ("a...,b...", [(2, 3), (4, 3)]),
    ("i...->...", [(3, 2, 2)]),
    ("...ii->...i", [(2, 3, 3)]),
    ("i->i...", [(2,)]),  # an ellipsis of no dims
    ("ij,ij->ij", [(2, 3), (1, 3)]),  # a size-1 dim broadcast
    ("i,i", [(4,), (1,)]),
    ("ij,jk->ki", [(1, 3), (3, 1)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),  # three operands, left to right
    ("ijk,ikl,j->l", [(2, 3, 4), (2, 4, 5), (3,)]),
    ("ab,bc,cd,de->ae", [(2, 3), (3, 4), (4, 2), (2, 3)]),  # four
    ("ija,kla->kilj", [(2, 3, 5), (4, 6, 5)]),
    ("ija,kla->lkji", [(2, 3, 5), (4, 6, 5)]),
    ("Ab,bA->A", [(2, 3), (3, 2)]),  # upper- and lower-case labels
    (" i j , j k -> i k ", [(2, 3), (3, 4)]),  # spaces
    (",->", [(), ()]),
    ("i,->i", [(3,), ()]),
    ("->", [()]),
    ("ij,jk->ik", [(2, 0), (0, 3)]),  # empty dims
    ("ij,jk->ik", [(0, 3), (3, 2)]),
    ("ij->", [(0, 3)]),
    ("ii->i", [(0, 0)]),
]


def _run(T, equation: str, values: list, dtype=None, requires_grad=True):
    operands = [T.tensor(v, dtype=dtype, requires_grad=requires_grad) for v in values]
    return operands, T.einsum(equation, *operands)


@pytest.mark.parametrize(("equation", "shapes"), EQUATIONS, ids=str)
def test_einsum_matches_torch_with_its_graph_and_gradients(equation, shapes):
    rng = np.random.default_rng(len(equation) + 7 * len(shapes))
    values = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    results = []
    for T in (torch, gradrpc):
        operands, out = _run(T, equation, values)
        weights = T.arange(1.0, 1.0 + out.numel()).reshape(out.shape)
        (out * weights).sum().backward()
        grads = [t.grad.numpy() for t in operands]
        results.append((out.dtype, tuple(out.shape), graph_of(out.grad_fn), out.detach(), grads))
    (dtype, shape, graph, value, grads), (our_dtype, our_shape, our_graph, our_value, ours) = (
        results
    )
    assert (str(our_dtype), our_shape, our_graph) == (str(dtype), shape, graph)
    np.testing.assert_allclose(our_value.numpy(), value.numpy(), rtol=1e-5, atol=1e-5)
    for our_grad, grad in zip(ours, grads, strict=True):
        np.testing.assert_allclose(our_grad, grad, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize(("equation", "shapes"), EQUATIONS[::3], ids=str)
@pytest.mark.parametrize("dtype", ["float64", "int64"])
def test_einsum_in_float64_and_int64(equation, shapes, dtype):
    rng = np.random.default_rng(len(equation))
    values = [rng.integers(-5, 6, s).astype(dtype) for s in shapes]
    expected = _run(torch, equation, values, getattr(torch, dtype), False)[1]
    actual = _run(gradrpc, equation, values, getattr(gradrpc, dtype), False)[1]
    assert str(actual.dtype) == str(expected.dtype) and actual.shape == expected.shape
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-12)


def test_einsum_of_operands_of_which_some_require_grad():
    rng = np.random.default_rng(3)
    values = [rng.standard_normal(s).astype(np.float32) for s in [(2, 3), (3, 4), (4, 5)]]
    for needs in [(True, False, False), (False, True, False), (False, False, True)]:
        results = []
        for T in (torch, gradrpc):
            operands = [T.tensor(v, requires_grad=n) for v, n in zip(values, needs, strict=True)]
            out = T.einsum("ij,jk,kl->il", *operands)
            out.sum().backward()
            grads = [None if t.grad is None else t.grad.numpy() for t in operands]
            results.append((graph_of(out.grad_fn), grads))
        assert results[1][0] == results[0][0]
        for ours, theirs in zip(results[1][1], results[0][1], strict=True):
            assert (ours is None) == (theirs is None)
            if theirs is not None:
                np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


def test_einsum_reshaping_a_product_of_a_pair_has_torch_s_values_and_gradients():
    """A pair with nothing to sum is multiplied; the next pair reshapes that product, whose
    layout torch takes from its inputs where gradrpc's is contiguous, so the reshape's node
    can differ (README); values and gradients do not."""
    rng = np.random.default_rng(5)
    values = [rng.standard_normal(s).astype(np.float32) for s in [(1, 3, 3), (2, 3, 2), (2, 3)]]
    results = []
    for T in (torch, gradrpc):
        operands, out = _run(T, "...cb,aca,ac", values)
        (out * T.arange(1.0, 1.0 + out.numel()).reshape(out.shape)).sum().backward()
        results.append([out.detach().numpy()] + [t.grad.numpy() for t in operands])
    for ours, theirs in zip(results[1], results[0], strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-4)


def test_einsum_of_non_contiguous_operands():
    """Transposed and expanded operands: torch's reshapes copy or view as their strides
    allow, which the graph shows."""

    def fn(T):
        a = T.arange(12.0).reshape(3, 4).requires_grad_()
        b = T.arange(8.0).reshape(4, 2).requires_grad_()
        out = T.einsum("ji,jk->ik", a.t(), b.t().expand(3, 2, 4).transpose(1, 2))
        out.sum().backward()
        return out, graph_of(out.grad_fn), a.grad, b.grad

    check_same(fn)


@pytest.mark.parametrize(
    "fn",
    [
        lambda T, a, b: T.einsum("ij,jk", [a, b]),  # the operands as one list
        lambda T, a, b: T.einsum("ij,jk->ki", (a, b)),
        lambda T, a, b: T.einsum(a, [0, 1], b, [1, 2], [0, 2]),  # the sublist format
        lambda T, a, b: T.einsum(a, [0, 1], b, [1, 2]),
        lambda T, a, b: T.einsum(a, [Ellipsis, 27], b, [27, 51], [51, Ellipsis]),
        lambda T, a, b: T.einsum(a, [True, 0], [0]),
    ],
    ids=["list", "tuple", "sublists", "sublists, implicit", "sublists, ellipsis", "bool"],
)
def test_einsum_argument_formats(fn):
    def run(T):
        a = T.arange(6.0).reshape(2, 3).requires_grad_()
        b = T.arange(12.0).reshape(3, 4).requires_grad_()
        out = fn(T, a, b)
        out.sum().backward()
        return out, graph_of(out.grad_fn), a.grad

    check_same(run)


def test_einsum_is_a_function_of_the_module_and_of_sessions_not_a_method(session):
    assert not hasattr(torch.Tensor, "einsum") and not hasattr(gradrpc.Tensor, "einsum")
    x = gradrpc.ones(2, 2)
    assert session.einsum("ij->", x).item() == 4.0


def test_building_an_einsum_makes_no_round_trip(session):
    a, b, c = gradrpc.randn(2, 3), gradrpc.randn(3, 3), gradrpc.randn(3, 4)
    session.flush()
    with no_rpc():
        out = gradrpc.einsum("ij,jj,jk->ik", a, b, c)
        out = gradrpc.einsum("...i,...i->...", out, out)
    assert out.shape == (2,)


def _r(T, *shape):
    return T.zeros(shape)


ERRORS = [
    lambda T: T.einsum("ij", _r(T, 2, 3, 4)),
    lambda T: T.einsum("ij...", _r(T, 2)),
    lambda T: T.einsum("ij,jk->ik", _r(T, 2, 3), _r(T, 4, 5)),
    lambda T: T.einsum("ij,ij->ij", _r(T, 2, 3), _r(T, 3, 3)),
    lambda T: T.einsum("...i,...i->...", _r(T, 2, 4, 3), _r(T, 3, 3, 3)),
    lambda T: T.einsum("ii", _r(T, 2, 3)),
    lambda T: T.einsum("i1", _r(T, 2, 3)),
    lambda T: T.einsum("ij->i1", _r(T, 2, 3)),
    lambda T: T.einsum("ij-", _r(T, 2, 3)),
    lambda T: T.einsum("ié", _r(T, 2, 2)),  # the index counts the bytes
    lambda T: T.einsum("é->i", _r(T, 2)),
    lambda T: T.einsum("i->é", _r(T, 2)),
    lambda T: T.einsum("ij->ii", _r(T, 2, 3)),
    lambda T: T.einsum("ij->k", _r(T, 2, 3)),
    lambda T: T.einsum("ij,jk", _r(T, 2, 3)),
    lambda T: T.einsum("ij", _r(T, 2, 3), _r(T, 3, 3)),
    lambda T: T.einsum("i.j", _r(T, 2, 3)),
    lambda T: T.einsum("ij..", _r(T, 2, 3)),
    lambda T: T.einsum("...i...", _r(T, 2, 3)),
    lambda T: T.einsum("ij->..", _r(T, 2, 3)),
    lambda T: T.einsum("...ij->......", _r(T, 2, 3)),
    lambda T: T.einsum("ij"),
    lambda T: T.einsum(_r(T, 2)),
    lambda T: T.einsum("ij", []),
    lambda T: T.einsum(_r(T, 2, 3), [0, 60]),
    lambda T: T.einsum(_r(T, 2, 3), [0, -1]),
    lambda T: T.einsum(_r(T, 2), [1.5]),
    lambda T: T.einsum(_r(T, 2), "ij"),
    lambda T: T.einsum(_r(T, 2), 3),
    lambda T: T.einsum(_r(T, 2), [0], 5, [0]),
    lambda T: T.einsum(_r(T, 2), [0], [0], [0]),
    lambda T: T.einsum("ij", _r(T, 2, 3), 3),
    lambda T: T.einsum("i", [_r(T, 2), None]),
    lambda T: T.einsum(3, _r(T, 2, 3)),
    lambda T: T.einsum("i", _r(T, 2), path=None),
    lambda T: T.einsum("i,i", _r(T, 2), T.zeros(2, dtype=T.float64)),  # bmm's dtype check
    lambda T: T.einsum("i,i->", T.zeros(2, dtype=T.bool), T.zeros(2, dtype=T.bool)),
]


@pytest.mark.parametrize("fn", ERRORS, ids=range(len(ERRORS)))
def test_einsum_errors_match_torch_at_the_line(fn):
    check_error_at_line(fn)


# ---------------------------------------------------------------- diagonal


@pytest.mark.parametrize(
    ("shape", "args", "kwargs"),
    [
        ((3, 4), (), {}),
        ((3, 4), (1,), {}),
        ((3, 4), (-2,), {}),
        ((3, 4), (7,), {}),  # past the edge: empty
        ((2, 3, 4), (0, 2, 0), {}),
        ((2, 3, 4), (), {"offset": -1, "dim1": -1, "dim2": 1}),
        ((0, 3), (), {}),
    ],
    ids=str,
)
def test_diagonal_matches_torch(shape, args, kwargs):
    def fn(T):
        x = T.arange(float(np.prod(shape))).reshape(shape).requires_grad_()
        out = x.diagonal(*args, **kwargs)
        also = T.diagonal(x, *args, **kwargs)
        (out * T.arange(1.0, 1.0 + out.numel()).reshape(out.shape)).sum().backward()
        return out, also, out.stride(), graph_of(out.grad_fn), out._base is x, x.grad

    check_same(fn)


def test_diagonal_is_a_view_that_writes_into_its_base():
    def fn(T):
        x = T.zeros(3, 4)
        x.diagonal(1).fill_(5.0)
        x.diagonal().add_(1.0)
        return x

    check_same(fn)


@pytest.mark.parametrize(
    "fn",
    [
        lambda T: T.zeros(3, 4).diagonal(0, 0, 0),
        lambda T: T.zeros(3, 4).diagonal(0, 0, -2),
        lambda T: T.zeros(3, 4).diagonal(0, 0, 2),
        lambda T: T.zeros(3).diagonal(),
        lambda T: T.tensor(1.0).diagonal(0, 0, -1),
        lambda T: T.zeros(3, 3).diagonal(offset=1.5),
        lambda T: T.zeros(3, 3).diagonal(0, 1, 1, 1),
        lambda T: T.zeros(3, 3).diagonal(foo=1),
        lambda T: T.diagonal(3),
        lambda T: T.diagonal(T.zeros(3, 3), 0, 1, 2, 3),
    ],
    ids=range(10),
)
def test_diagonal_errors_match_torch_at_the_line(fn):
    check_error_at_line(fn)
