"""torch.linalg's lu_factor, lu_factor_ex, lu, lu_solve, solve_ex, householder_product, and
torch.lu_unpack, torch.geqrf, torch.orgqr and the deprecated torch.lu and torch.lu_solve,
against torch: values, int32 pivots and infos, grad_fn names, gradients, batching and
broadcasting, torch's warnings and its errors (type and words)."""

from __future__ import annotations

import subprocess
import sys
import warnings

import gradrpc
import numpy as np
import pytest
from clientkit import check_error_at_line, check_raised_at_the_next_read, check_same, graph_of
from gradrpc.tensor import _WARNED

RNG = np.random.default_rng(11)
SQUARE = RNG.uniform(-1, 1, (2, 3, 4, 4))
TALL = RNG.uniform(-1, 1, (2, 5, 3))
WIDE = RNG.uniform(-1, 1, (3, 5))
RHS = RNG.uniform(-1, 1, (4, 1, 4, 2))
SINGULAR = [[1.0, 2.0], [2.0, 4.0]]
DTYPES = ["float32", "float64"]


def _tolerance(dtype: str) -> dict:
    return {"rtol": 1e-4, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-9, "atol": 1e-10}


def _weights(T, like):
    """Fixed weights for a loss that reaches every element."""
    return T.arange(1.0, like.numel() + 1.0, dtype=like.dtype).reshape(like.shape) / like.numel()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("data", [SQUARE, TALL, WIDE], ids=["square", "tall", "wide"])
def test_lu_factor_matches_torch(data, dtype):
    def scenario(T):
        A = T.tensor(data, dtype=getattr(T, dtype), requires_grad=True)
        LU, pivots = T.linalg.lu_factor(A)
        ex = T.linalg.lu_factor_ex(A)
        (LU * _weights(T, LU)).sum().backward()
        return LU, pivots, LU.stride(), ex.LU, ex.pivots, ex.info, A.grad

    check_same(scenario, **_tolerance(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("data", [SQUARE, TALL, WIDE], ids=["square", "tall", "wide"])
def test_lu_matches_torch(data, dtype):
    def scenario(T):
        A = T.tensor(data, dtype=getattr(T, dtype), requires_grad=True)
        P, L, U = T.linalg.lu(A)
        ((L * _weights(T, L)).sum() + (U * _weights(T, U)).sum()).backward()
        gL = T.autograd.grad((L**2).sum(), A, retain_graph=False)[0]
        return P, L, U, L.stride(), A.grad, gL, (P @ L @ U - A).abs().amax() < 1e-5

    check_same(scenario, **_tolerance(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
def test_lu_solve_matches_torch(left, adjoint, dtype):
    """Every equation lu_solve solves, LU's batch broadcast against B's; gradients to the
    factorization (through lu_factor to A) and to B."""

    def scenario(T):
        A = T.tensor(SQUARE, dtype=getattr(T, dtype), requires_grad=True)
        B = T.tensor(RHS if left else RHS.swapaxes(-1, -2), dtype=A.dtype, requires_grad=True)
        LU, pivots = T.linalg.lu_factor(A)
        X = T.linalg.lu_solve(LU, pivots, B, left=left, adjoint=adjoint)
        (X * _weights(T, X)).sum().backward()
        return X, X.stride(), A.grad, B.grad

    check_same(scenario, **_tolerance(dtype))


def test_lu_solve_gradient_of_the_factors_matches_torch():
    """The gradient lu_solve gives LU itself (a leaf), not only through lu_factor."""

    def scenario(T):
        LU = T.tensor(SQUARE[0, 0] + 4 * np.eye(4), requires_grad=True)
        pivots = T.tensor([3, 3, 4, 4], dtype=T.int32)
        B = T.tensor(RHS[0, 0])
        X = T.linalg.lu_solve(LU, pivots, B, adjoint=True)
        (X * _weights(T, X)).sum().backward()
        return X, LU.grad

    check_same(scenario, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("data", [SQUARE, TALL, WIDE], ids=["square", "tall", "wide"])
def test_lu_unpack_matches_torch(data):
    def scenario(T):
        A = T.tensor(data)
        LU, pivots = T.linalg.lu_factor(A)
        LU.requires_grad_()
        P, L, U = T.lu_unpack(LU, pivots)
        ((L * _weights(T, L)).sum() + (U * _weights(T, U)).sum()).backward()
        no_data = T.lu_unpack(LU, pivots, unpack_data=False)
        no_pivots = T.lu_unpack(LU, pivots.long(), unpack_pivots=False)  # (dtype unchecked)
        return P, L, U, LU.grad, no_data, no_pivots, graph_of(U.grad_fn)

    check_same(scenario, rtol=1e-9, atol=1e-10)


def test_solve_ex_matches_torch():
    """A singular matrix gives LAPACK's infs and its info, without an error; B's batch
    broadcasts while info keeps A's; the gradient is solve's."""

    def scenario(T):
        A = T.tensor([SINGULAR, [[2.0, 1.0], [1.0, 3.0]]], dtype=T.float64)
        result, info = T.linalg.solve_ex(A, T.ones(3, 1, 2, 1, dtype=T.float64))
        W = T.tensor(SQUARE[0], requires_grad=True)
        B = T.tensor(RHS[:, 0, :, 0], requires_grad=True)
        X = T.linalg.solve_ex(W, B, left=False)
        (X.result * _weights(T, X.result)).sum().backward()
        return result, info, X, W.grad, B.grad

    check_same(scenario, rtol=1e-9, atol=1e-10)


SINGULAR_READS = {
    "solve_ex": (
        lambda T: T.linalg.solve_ex(T.tensor(SINGULAR), T.ones(2), check_errors=True)[0].tolist(),
        "linalg_solve",
    ),
    "lu_factor": (lambda T: T.linalg.lu_factor(T.tensor(SINGULAR))[0].tolist(), "linalg_lu_factor"),
    "lu_factor in a batch": (
        lambda T: T.linalg.lu_factor(T.stack([T.eye(2), T.tensor(SINGULAR)]))[0].tolist(),
        "linalg_lu_factor",
    ),
    "lu_factor_ex checking": (
        lambda T: T.linalg.lu_factor_ex(T.tensor(SINGULAR), check_errors=True)[0].tolist(),
        "linalg_lu_factor",
    ),
    "lu_solve pivot 0": (
        lambda T: T.linalg.lu_solve(
            T.eye(3), T.tensor([0, 4, 3], dtype=T.int32), T.ones(3, 1)
        ).tolist(),
        "linalg_lu_solve",
    ),
    "lu_solve pivot 4": (
        lambda T: T.linalg.lu_solve(
            T.eye(3), T.tensor([1, 4, 3], dtype=T.int32), T.ones(3, 1)
        ).tolist(),
        "linalg_lu_solve",
    ),
    "lu_unpack pivot 4": (
        lambda T: T.lu_unpack(T.eye(3), T.tensor([4, 3, 3], dtype=T.int32))[0].tolist(),
        "lu_unpack_p",
    ),
}


@pytest.mark.parametrize("name", SINGULAR_READS)
def test_failures_found_in_the_values_match_torch(name):
    scenario, op = SINGULAR_READS[name]
    check_raised_at_the_next_read(scenario, op)


def test_singular_matrices_factor_as_torch_s_without_checking():
    def scenario(T):
        A = T.tensor(SINGULAR, dtype=T.float64)
        return T.linalg.lu_factor_ex(A), T.linalg.lu(A), T.lu(A, get_infos=True)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_same(scenario)


def test_the_deprecated_spellings_match_torch():
    def scenario(T):
        A = T.tensor(SQUARE[0], requires_grad=True)
        B = T.tensor(RHS[:3, 0], requires_grad=True)
        LU, pivots = T.lu(A)
        also = A.lu(get_infos=True)
        X = T.lu_solve(B, LU, pivots) + B.lu_solve(*A.lu())
        (X * _weights(T, X)).sum().backward()
        return LU, pivots, also, type(also).__name__, X, A.grad, B.grad

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_same(scenario, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("name", ["lu", "lu_solve"])
def test_deprecated_spellings_warn_once_as_torch(name):
    """torch.lu's and torch.lu_solve's deprecation warnings, once a process (torch's in a
    fresh one), whether called as functions or as methods."""
    call = {
        "lu": "T.lu(A); A.lu()",
        "lu_solve": "T.lu_solve(B, *T.linalg.lu_factor(A)); B.lu_solve(*T.linalg.lu_factor(A))",
    }[name]
    script = (
        "import torch as T, warnings\n"
        "A = T.eye(2) + 1; B = T.ones(2, 1)\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        f"    {call}\n"
        "print(len(w)); print(w[0].message, end='')\n"
    )
    count, theirs = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split("\n", 1)
    _WARNED.discard(name)  # as in a fresh process
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        T, A, B = gradrpc, gradrpc.eye(2) + 1, gradrpc.ones(2, 1)
        exec(call, {"T": T, "A": A, "B": B})
    assert (len(ours), str(ours[0].message)) == (int(count), theirs)


@pytest.mark.parametrize("dtype", DTYPES)
def test_geqrf_and_householder_product_match_torch(dtype):
    """geqrf's reflectors (LAPACK's signs on both sides), their product Q, and its gradients
    to the reflectors and to tau; torch.orgqr and the methods."""

    def scenario(T):
        A = T.tensor(TALL, dtype=getattr(T, dtype))
        a, tau = T.geqrf(A)
        a.requires_grad_()
        tau.requires_grad_()
        Q = T.linalg.householder_product(a, tau)
        partial = T.orgqr(a, tau[..., :2])
        ((Q * _weights(T, Q)).sum() + (partial**2).sum()).backward()
        method = A[0].geqrf()
        return a, tau, A.geqrf(), method, Q, Q.stride(), partial, a.grad, tau.grad

    check_same(scenario, **_tolerance(dtype))


def test_geqrf_has_no_derivative_as_torch():
    """Both results record GeqrfBackward0; a backward through it is torch's
    NotImplementedError, raised at the next read."""
    check_same(lambda T: [t.grad_fn for t in T.geqrf(T.tensor(WIDE, requires_grad=True))])

    def scenario(T):
        A = T.tensor(WIDE, requires_grad=True)
        T.geqrf(A).tau.sum().backward()
        return A.grad.tolist()

    check_raised_at_the_next_read(scenario, "backward")


ERRORS = {
    "lu_factor 1-d": lambda T: T.linalg.lu_factor(T.ones(3)),
    "lu_factor int": lambda T: T.linalg.lu_factor(T.ones(3, 3, dtype=T.int64)),
    "lu_factor without pivots": lambda T: T.linalg.lu_factor(T.eye(3), pivot=False),
    "lu_factor_ex 1-d": lambda T: T.linalg.lu_factor_ex(T.ones(3)),
    "lu 1-d": lambda T: T.linalg.lu(T.ones(3)),
    "lu int": lambda T: T.linalg.lu(T.ones(3, 3, dtype=T.int64)),
    "lu without pivots": lambda T: T.linalg.lu(T.eye(3), pivot=False),
    "lu_solve mismatch": lambda T: T.linalg.lu_solve(
        T.eye(3), T.ones(3, dtype=T.int32), T.ones(4, 2)
    ),
    "lu_solve right mismatch": lambda T: T.linalg.lu_solve(
        T.eye(3), T.ones(3, dtype=T.int32), T.ones(3, 2), left=False
    ),
    "lu_solve vector": lambda T: T.linalg.lu_solve(T.eye(3), T.ones(3, dtype=T.int32), T.ones(3)),
    "lu_solve dtypes": lambda T: T.linalg.lu_solve(
        T.eye(3), T.ones(3, dtype=T.int32), T.ones(3, 2, dtype=T.float64)
    ),
    "lu_solve int64 pivots": lambda T: T.linalg.lu_solve(
        T.eye(3), T.ones(3, dtype=T.int64), T.ones(3, 2)
    ),
    "lu_solve not square": lambda T: T.linalg.lu_solve(
        T.ones(3, 4), T.ones(3, dtype=T.int32), T.ones(3, 2)
    ),
    "lu_solve 1-d LU": lambda T: T.linalg.lu_solve(T.ones(3), T.ones(3, dtype=T.int32), T.ones(3)),
    "lu_solve int": lambda T: T.linalg.lu_solve(
        T.ones(3, 3, dtype=T.int64), T.ones(3, dtype=T.int32), T.ones(3, 2, dtype=T.int64)
    ),
    "lu_solve pivot count": lambda T: T.linalg.lu_solve(
        T.eye(3), T.ones(2, dtype=T.int32), T.ones(3, 2)
    ),
    "lu_solve pivot batch": lambda T: T.linalg.lu_solve(
        T.eye(3).expand(2, 3, 3), T.ones(3, dtype=T.int32), T.ones(3, 2)
    ),
    "lu_unpack 1-d": lambda T: T.lu_unpack(T.ones(3), T.ones(3, dtype=T.int32)),
    "lu_unpack int64 pivots": lambda T: T.lu_unpack(T.eye(3), T.ones(3, dtype=T.int64)),
    "solve_ex mismatch": lambda T: T.linalg.solve_ex(T.eye(3), T.ones(3, 2), left=False),
    "geqrf 1-d": lambda T: T.geqrf(T.ones(3)),
    "geqrf int": lambda T: T.geqrf(T.ones(3, 3, dtype=T.int64)),
    "householder_product wide": lambda T: T.linalg.householder_product(T.ones(3, 4), T.ones(3)),
    "householder_product long tau": lambda T: T.linalg.householder_product(T.ones(4, 3), T.ones(4)),
    "householder_product 1-d": lambda T: T.linalg.householder_product(T.ones(4), T.ones(4)),
    "householder_product tau dims": lambda T: T.linalg.householder_product(
        T.ones(4, 3), T.ones(2, 2)
    ),
    "householder_product tau batch": lambda T: T.linalg.householder_product(
        T.ones(2, 4, 3), T.ones(3, 2)
    ),
    "householder_product dtypes": lambda T: T.orgqr(T.ones(4, 3), T.ones(2, dtype=T.float64)),
    "householder_product int": lambda T: T.linalg.householder_product(
        T.ones(4, 3, dtype=T.int64), T.ones(2, dtype=T.int64)
    ),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch(name):
    check_error_at_line(ERRORS[name])
