"""torch.linalg's matrix_norm, norm and cond in every real order torch takes, and tensorinv,
tensorsolve and vander, against torch: values, the grad_fn chains torch composes them of,
gradients, keepdim and dims, singular and empty matrices, and torch's errors."""

from __future__ import annotations

import math

import gradrpc
import numpy as np
import pytest
from clientkit import check_error_at_line, check_raised_at_the_next_read, check_same, graph_of

INF = math.inf
ORDERS = ["fro", "nuc", 1, -1, 2, -2, INF, -INF]
RNG = np.random.default_rng(5)
BATCH = RNG.uniform(-1, 1, (2, 3, 4))
SQUARE = RNG.uniform(-1, 1, (2, 3, 3)) + 2 * np.eye(3)


def _loss(T, result):
    return (
        result * T.arange(1.0, result.numel() + 1.0, dtype=result.dtype).reshape(result.shape)
    ).sum()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("ord", ORDERS, ids=str)
@pytest.mark.parametrize(("dim", "keepdim"), [((-2, -1), False), ((2, 0), True), ((0, 2), False)])
def test_matrix_norm_matches_torch(ord, dim, keepdim, dtype):
    def scenario(T):
        A = T.tensor(BATCH, dtype=getattr(T, dtype), requires_grad=True)
        result = T.linalg.matrix_norm(A, ord, dim, keepdim)
        _loss(T, result).backward()
        return result, A.grad, graph_of(result.grad_fn)

    check_same(scenario, **({"rtol": 1e-5, "atol": 1e-6} if dtype == "float32" else {}))


@pytest.mark.parametrize("ord", ORDERS, ids=str)
def test_norm_of_matrices_matches_torch(ord):
    """linalg.norm of a 2-d input or over two dims, torch.norm and Tensor.norm with a
    matrix order, and matrix_norm's dtype."""

    def scenario(T):
        A = T.tensor(BATCH, requires_grad=True)
        results = [T.linalg.norm(A[0], ord), T.linalg.norm(A, ord, dim=(0, 1), keepdim=True)]
        results.append(T.linalg.matrix_norm(A, ord, dtype=T.float64))
        if isinstance(ord, str):
            results += [T.norm(A, ord, dim=(1, 2)), A.norm(ord, dim=(2, 0))]
        sum(_loss(T, r) for r in results).backward()
        return results, A.grad

    check_same(scenario)


@pytest.mark.parametrize("p", [None, *ORDERS], ids=str)
def test_cond_matches_torch(p):
    """Of an invertible batch (values, gradients where torch has them, chains), of a
    singular matrix (inf, or the nuclear norm's large number) and of empty matrices (zeros)."""

    def scenario(T):
        A = T.tensor(SQUARE, requires_grad=True)
        result = T.linalg.cond(A, p)
        if p in INVERSE_BASED:
            assert A.grad is None
        else:
            _loss(T, result).backward()
        singular = T.linalg.cond(T.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=T.float64), p)
        empty = T.linalg.cond(T.zeros(2, 0, 0), p)
        return result, A.grad, graph_of(result.grad_fn), singular.isinf(), empty

    check_same(scenario)


INVERSE_BASED = ["fro", 1, -1, INF, -INF]


@pytest.mark.parametrize("p", INVERSE_BASED, ids=str)
def test_cond_through_the_inverse_has_torch_s_backward_error(p):
    """torch writes inf into the inverse its backward saved (masked_fill_): a backward
    through it is torch's version error, here at the next read."""

    def scenario(T):
        A = T.tensor(SQUARE, requires_grad=True)
        T.linalg.cond(A, p).sum().backward()
        return A.grad.tolist()

    check_raised_at_the_next_read(scenario, "backward")


def test_cond_of_a_non_square_matrix_in_its_2_norm_matches_torch():
    def scenario(T):
        A = T.tensor(BATCH, requires_grad=True)
        result = T.linalg.cond(A)
        result.sum().backward()
        return result, A.grad, T.linalg.cond(A, -2)

    check_same(scenario)


def test_tensorinv_and_tensorsolve_match_torch():
    def scenario(T):
        A = T.tensor(RNG.uniform(-1, 1, (4, 6, 8, 3)) + 0.0, requires_grad=True)
        inverse = T.linalg.tensorinv(A, ind=2)
        B = T.tensor(np.arange(24.0).reshape(4, 6) / 24, requires_grad=True)
        X = T.linalg.tensorsolve(A, B)
        C = T.tensor(RNG.uniform(-1, 1, (2, 3, 6)), requires_grad=True)
        Y = T.linalg.tensorsolve(C, T.tensor(np.ones((3, 2))), dims=(0,))
        (_loss(T, inverse) + _loss(T, X) + _loss(T, Y)).backward()
        chains = [graph_of(t.grad_fn) for t in (inverse, X, Y)]
        return inverse, X, Y, A.grad, B.grad, C.grad, chains, inverse.stride()

    check_same(scenario, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32"])
def test_vander_matches_torch(dtype):
    def scenario(T):
        x = T.tensor([[1.5, -2.0, 3.0], [0.5, 1.0, 2.0]]).to(getattr(T, dtype))
        if x.is_floating_point():
            x.requires_grad_()
        results = [T.linalg.vander(x), T.linalg.vander(x, N=5), T.linalg.vander(x[0], N=2)]
        if x.requires_grad:
            sum(_loss(T, r) for r in results).backward()
        return results, x.grad, graph_of(results[0].grad_fn)

    check_same(scenario)


def test_tensorinv_of_a_singular_tensor_matches_torch():
    check_raised_at_the_next_read(
        lambda T: T.linalg.tensorinv(T.zeros(2, 2, 2, 2), ind=2).tolist(), "linalg_inv"
    )


ERRORS = {
    "matrix_norm order 3": lambda T: T.linalg.matrix_norm(T.ones(3, 3), 3),
    "matrix_norm order 3 before the dims": lambda T: T.linalg.matrix_norm(T.ones(3), 3),
    "matrix_norm order 3.5": lambda T: T.linalg.matrix_norm(T.ones(3, 3), 3.5),
    "matrix_norm order 1e-7": lambda T: T.linalg.matrix_norm(T.ones(3, 3), 1e-7),
    "matrix_norm order abc": lambda T: T.linalg.matrix_norm(T.ones(3), "abc"),
    "matrix_norm int fro": lambda T: T.linalg.matrix_norm(T.ones(3, 3, dtype=T.int64)),
    "matrix_norm int nuc": lambda T: T.linalg.matrix_norm(T.ones(3, 3, dtype=T.int64), "nuc"),
    "matrix_norm int 1": lambda T: T.linalg.matrix_norm(T.ones(3, 3, dtype=T.int64), 1),
    "matrix_norm 2 of a vector": lambda T: T.linalg.matrix_norm(T.ones(3), 2),
    "matrix_norm same dims": lambda T: T.linalg.matrix_norm(T.ones(2, 3, 3), 1, dim=(0, 0)),
    "norm nuc over one dim": lambda T: T.linalg.norm(T.ones(2, 3), "nuc", dim=1),
    "cond 1 not square": lambda T: T.linalg.cond(T.ones(3, 4), 1),
    "cond 1.0 not square": lambda T: T.linalg.cond(T.ones(3, 4), 1.0),
    "cond inf not square": lambda T: T.linalg.cond(T.ones(3, 4), INF),
    "cond -inf not square": lambda T: T.linalg.cond(T.ones(3, 4), -INF),
    "cond fro not square": lambda T: T.linalg.cond(T.ones(3, 4), "fro"),
    "cond abc not square": lambda T: T.linalg.cond(T.ones(3, 4), "abc"),
    "cond abc": lambda T: T.linalg.cond(T.ones(3, 3), "abc"),
    "cond 3": lambda T: T.linalg.cond(T.ones(3, 4), 3),
    "cond 0.5": lambda T: T.linalg.cond(T.ones(3, 3), 0.5),
    "cond int 1": lambda T: T.linalg.cond(T.ones(3, 3, dtype=T.int64), 1),
    "tensorinv ind 0": lambda T: T.linalg.tensorinv(T.ones(2, 2), ind=0),
    "tensorinv shape": lambda T: T.linalg.tensorinv(T.ones(4, 6, 8, 3), ind=1),
    "tensorsolve shape": lambda T: T.linalg.tensorsolve(T.ones(4, 6, 8, 3), T.ones(4, 5)),
    "tensorsolve dims": lambda T: T.linalg.tensorsolve(T.ones(2, 3, 6), T.ones(3, 2), dims=(0,)),
    "vander bool": lambda T: T.linalg.vander(T.tensor([True, False])),
    "vander N 1": lambda T: T.linalg.vander(T.ones(3), N=1),
    "vander 0-d": lambda T: T.linalg.vander(T.tensor(2.0)),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch(name):
    check_error_at_line(ERRORS[name])


def test_matrix_norms_compose_as_torch_without_reading():
    """The composed norms queue their ops: nothing is read until a value is."""
    A = gradrpc.tensor(SQUARE)
    session = gradrpc.default_session()
    session.flush()
    before = session.rpc_count
    for p in ORDERS:
        gradrpc.linalg.cond(A, p)
        gradrpc.linalg.matrix_norm(A, p)
    assert session.rpc_count == before
