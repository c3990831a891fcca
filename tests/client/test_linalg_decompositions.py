"""torch.linalg's eigh, eigvalsh, svd, svdvals, torch.svd, qr, pinv, lstsq, matrix_rank, cond
and matrix_exp against torch.
Eigenvectors and singular vectors are signed as the LAPACK build picks, so they are compared
with torch's signed as ours, and through quantities that do not depend on the sign
(reconstructions, projections, squared entries) together with their gradients; the values
that are unique (eigenvalues, singular values, exponentials) are compared as they are."""

from __future__ import annotations

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import check_error_at_line, check_raised_at_the_next_read, check_same

RNG = np.random.default_rng(7)
M = RNG.uniform(-1, 1, (2, 4, 4))
SYMMETRIC = M + np.swapaxes(M, -1, -2)
TALL = RNG.uniform(-1, 1, (2, 5, 3))
WIDE = RNG.uniform(-1, 1, (3, 4))


def _signed_as(reference: np.ndarray, vectors: np.ndarray, axis: int) -> np.ndarray:
    """`vectors` with each vector (along `axis`) flipped to point as `reference`'s."""
    dots = (reference * vectors).sum(axis, keepdims=True)
    return vectors * np.where(dots < 0, -1.0, 1.0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("UPLO", ["L", "U"])
def test_eigh_matches_torch(dtype, UPLO):
    def run(T):
        A = T.tensor(SYMMETRIC, dtype=getattr(T, dtype)).requires_grad_()
        values, vectors = T.linalg.eigh(A, UPLO=UPLO)
        # sign-free: the eigenvalues and the projection onto the two largest eigenvectors
        top = vectors[..., 2:]
        projection = top @ top.mT
        weights = T.arange(1.0, 33.0, dtype=A.dtype).reshape(2, 4, 4)
        (values.pow(2).sum() + (projection * weights).sum()).backward()
        strides = (values.stride(), vectors.stride(), values.grad_fn.name(), vectors.grad_fn.name())
        return values, projection, vectors.detach().numpy(), A.grad, strides

    theirs, ours = run(torch), run(gradrpc)
    tol = {"rtol": 1e-4, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-9, "atol": 1e-10}
    for mine, other in zip(ours[:2] + ours[3:4], theirs[:2] + theirs[3:4], strict=True):
        np.testing.assert_allclose(mine.detach().numpy(), other.detach().numpy(), **tol)
    np.testing.assert_allclose(ours[2], _signed_as(ours[2], theirs[2], -2), **tol)
    assert ours[4] == theirs[4]
    reconstructed = (ours[2] * ours[0].detach().numpy()[..., None, :]) @ np.swapaxes(
        ours[2], -1, -2
    )
    np.testing.assert_allclose(reconstructed, SYMMETRIC, rtol=tol["rtol"], atol=10 * tol["atol"])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_eigvalsh_matches_torch(dtype):
    def scenario(T):
        A = T.tensor(SYMMETRIC, dtype=getattr(T, dtype)).requires_grad_()
        values = T.linalg.eigvalsh(A, "U")
        (values * T.arange(1.0, 9.0, dtype=A.dtype).reshape(2, 4)).sum().backward()
        return values, A.grad

    check_same(scenario, rtol=1e-4 if dtype == "float32" else 1e-9, atol=1e-5)


SVD_CASES = {
    "linalg.svd tall": lambda T, X, W: T.linalg.svd(X),
    "linalg.svd tall reduced": lambda T, X, W: T.linalg.svd(X, full_matrices=False),
    "linalg.svd wide": lambda T, X, W: T.linalg.svd(W),
    "linalg.svd wide reduced": lambda T, X, W: T.linalg.svd(W, full_matrices=False),
    "torch.svd": lambda T, X, W: T.svd(X),
    "torch.svd some=False": lambda T, X, W: T.svd(W, some=False),
    "Tensor.svd": lambda T, X, W: W.svd(),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", SVD_CASES)
def test_svd_matches_torch(name, dtype):
    def run(T):
        kind = getattr(T, dtype)
        X, W = (T.tensor(v, dtype=kind).requires_grad_() for v in (TALL, WIDE))
        U, S, V = SVD_CASES[name](T, X, W)
        k = S.shape[-1]
        # sign-free: S, the reconstruction, squared entries of every vector (full ones too)
        Vh = V if type(SVD_CASES[name](T, X, W)).__name__ == "linalg_svd" else V.mT
        rebuilt = (U[..., :k] * S[..., None, :]) @ Vh[..., :k, :]
        loss = (S * S).sum() + (rebuilt * rebuilt.detach()).sum()
        loss = loss + (U * U * T.arange(float(U.numel()), dtype=kind).reshape(U.shape)).sum()
        loss = loss + (V * V * T.arange(float(V.numel()), dtype=kind).reshape(V.shape)).sum()
        loss.backward()
        names = [t.grad_fn.name() for t in (U, S, V)]
        strides = [t.stride() for t in (U, S, V)]
        return (U, S, V), rebuilt, X.grad, W.grad, names, strides, type(U).__name__

    theirs, ours = run(torch), run(gradrpc)
    tol = {"rtol": 1e-4, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-9, "atol": 1e-10}
    (U, S, V), (tU, tS, tV) = ours[0], theirs[0]
    np.testing.assert_allclose(S.detach().numpy(), tS.detach().numpy(), **tol)
    np.testing.assert_allclose(ours[1].detach().numpy(), theirs[1].detach().numpy(), **tol)
    for mine, other in ((U, tU), (V, tV)):  # each vector a column of U and of torch.svd's V
        along = -1 if mine is V and "linalg" in name else -2
        mine, other = mine.detach().numpy(), other.detach().numpy()
        k = S.shape[-1]  # the full matrices' extra vectors are a basis of the rest: any
        cut = (..., slice(None), slice(k)) if along == -2 else (..., slice(k), slice(None))
        np.testing.assert_allclose(mine[cut], _signed_as(mine[cut], other[cut], along), **tol)
    for mine, other in zip(ours[2:4], theirs[2:4], strict=True):
        assert (mine is None) == (other is None)
        if mine is not None:
            np.testing.assert_allclose(mine.numpy(), other.numpy(), **tol)
    assert ours[4:] == theirs[4:]


def test_svdvals_and_compute_uv_false_match_torch():
    def scenario(T):
        X = T.tensor(TALL).requires_grad_()
        values = T.linalg.svdvals(X)
        U, S, V = T.svd(X, compute_uv=False)
        (values * T.tensor([1.0, 2.0, 3.0], dtype=X.dtype)).sum().backward()
        return values, S, U, V, V.stride(), X.grad

    check_same(scenario, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matrix_exp_matches_torch(dtype):
    def scenario(T):
        A = T.tensor(M / 2, dtype=getattr(T, dtype)).requires_grad_()
        outs = [
            T.linalg.matrix_exp(A),
            T.matrix_exp(A[0]),
            A[1].matrix_exp(),
        ]
        sum(
            (o * T.arange(1.0, 1.0 + o.numel(), dtype=o.dtype).reshape(o.shape)).sum() for o in outs
        ).backward()
        return outs, [o.stride() for o in outs], A.grad

    check_same(
        scenario,
        rtol=1e-4 if dtype == "float32" else 1e-11,
        atol=1e-5 if dtype == "float32" else 1e-11,
    )


QR_SHAPES = {"tall": (2, 5, 3), "wide": (3, 5), "square": (3, 3)}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["reduced", "complete"])
@pytest.mark.parametrize("shape", QR_SHAPES)
def test_qr_matches_torch(shape, mode, dtype):
    """Householder QR as LAPACK's: the same signs, so Q and R compare as they are."""
    values = np.random.default_rng(len(shape)).uniform(-1, 1, QR_SHAPES[shape])

    def scenario(T):
        A = T.tensor(values, dtype=getattr(T, dtype)).requires_grad_()
        result = T.linalg.qr(A, mode=mode)
        Q, R = result
        if not (mode == "complete" and shape == "tall"):  # (torch's backward refuses it)
            weights = [
                T.arange(1.0, 1.0 + t.numel(), dtype=t.dtype).reshape(t.shape) for t in (Q, R)
            ]
            ((Q * weights[0]).sum() + (R * weights[1]).sum()).backward()
        return type(result).__name__, result, Q.stride(), R.stride(), A.grad

    check_same(
        scenario,
        rtol=1e-4 if dtype == "float32" else 1e-9,
        atol=1e-4 if dtype == "float32" else 1e-10,
    )


@pytest.mark.parametrize(
    "scenario",
    [
        lambda T: T.linalg.qr(T.ones(3, 2, requires_grad=True), mode="r").R.sum().backward(),
        lambda T: T.linalg.qr(T.ones(3, 2, requires_grad=True), mode="complete").Q.sum().backward(),
    ],
    ids=["mode r", "complete of a tall matrix"],
)
def test_qr_backward_errors_match_torch(scenario):
    check_raised_at_the_next_read(lambda T: (scenario(T), T.ones(1).tolist()), "backward")


def test_qr_mode_r_leaves_q_empty():
    check_same(lambda T: T.linalg.qr(T.tensor(TALL).requires_grad_(), mode="r"))


PINV_CASES = {
    "tall": lambda T, X, W, S: T.linalg.pinv(X),
    "wide": lambda T, X, W, S: T.linalg.pinv(W),
    "atol": lambda T, X, W, S: T.linalg.pinv(X, atol=0.5),
    "rtol": lambda T, X, W, S: T.linalg.pinv(W, rtol=0.4),
    "rcond": lambda T, X, W, S: T.linalg.pinv(X, 0.3),
    "hermitian": lambda T, X, W, S: T.linalg.pinv(S, hermitian=True),
    "torch.pinverse": lambda T, X, W, S: T.pinverse(W),
    "Tensor.pinverse": lambda T, X, W, S: X.pinverse(0.2),
    "rank deficient": lambda T, X, W, S: T.linalg.pinv(X[..., [0, 0, 1]]),
    "matrix_rank": lambda T, X, W, S: T.linalg.matrix_rank(X),
    "matrix_rank deficient": lambda T, X, W, S: T.linalg.matrix_rank(X[..., [0, 0, 1]]),
    "matrix_rank atol": lambda T, X, W, S: T.linalg.matrix_rank(X, atol=0.8),
    "matrix_rank rtol": lambda T, X, W, S: T.linalg.matrix_rank(W, rtol=0.5),
    "matrix_rank hermitian": lambda T, X, W, S: T.linalg.matrix_rank(S, hermitian=True),
    "cond": lambda T, X, W, S: T.linalg.cond(X),
    "cond 2": lambda T, X, W, S: T.linalg.cond(W, 2),
    "cond -2": lambda T, X, W, S: T.linalg.cond(S, -2),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", PINV_CASES)
def test_pinv_rank_and_cond_match_torch(name, dtype):
    def scenario(T):
        kind = getattr(T, dtype)
        X, W, S = (T.tensor(v, dtype=kind).requires_grad_() for v in (TALL, WIDE, SYMMETRIC))
        out = PINV_CASES[name](T, X, W, S)
        if out.requires_grad:
            (out * T.arange(1.0, 1.0 + out.numel(), dtype=kind).reshape(out.shape)).sum().backward()
        return out, out.stride(), X.grad, W.grad, S.grad

    check_same(
        scenario,
        rtol=1e-4 if dtype == "float32" else 1e-9,
        atol=1e-4 if dtype == "float32" else 1e-10,
    )


LSTSQ_CASES = {
    "tall": lambda T, X, B: T.linalg.lstsq(X, B),
    "vectors": lambda T, X, B: T.linalg.lstsq(X, B[..., 0]),
    "broadcast": lambda T, X, B: T.linalg.lstsq(X[:1], B),
    "square": lambda T, X, B: T.linalg.lstsq(X[:, :3], B[:, :3]),
    "wide": lambda T, X, B: T.linalg.lstsq(X[0].mT, B[0, :3]),
    "one vector": lambda T, X, B: T.linalg.lstsq(X[0], B[0, :, 0]),
    "rcond, gelsy": lambda T, X, B: T.linalg.lstsq(X, B, 1e-3, driver="gelsy"),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", LSTSQ_CASES)
def test_lstsq_matches_torch(name, dtype):
    """Full-rank problems (a rank-deficient one's solution is gelsy's choice)."""
    rhs = np.random.default_rng(2).uniform(-1, 1, (2, 5, 2))

    def scenario(T):
        kind = getattr(T, dtype)
        X, B = (T.tensor(v, dtype=kind).requires_grad_() for v in (TALL, rhs))
        result = LSTSQ_CASES[name](T, X, B)
        X_ = result.solution
        (X_ * T.arange(1.0, 1.0 + X_.numel(), dtype=kind).reshape(X_.shape)).sum().backward()
        return type(result).__name__, result, [t.stride() for t in result], X.grad, B.grad

    check_same(
        scenario,
        rtol=1e-4 if dtype == "float32" else 1e-9,
        atol=1e-4 if dtype == "float32" else 1e-10,
    )


def test_named_results_read_like_torchs():
    e = gradrpc.linalg.eigh(gradrpc.tensor(SYMMETRIC))
    assert type(e).__name__ == "linalg_eigh" and e.eigenvalues is e[0] and e.eigenvectors is e[1]
    s = gradrpc.linalg.svd(gradrpc.tensor(TALL))
    assert type(s).__name__ == "linalg_svd" and (s.U, s.S, s.Vh) == tuple(s)
    t = gradrpc.svd(gradrpc.tensor(TALL))
    assert type(t).__name__ == "svd" and t.V is t[2]


ERRORS = {
    "eigh not square": lambda T: T.linalg.eigh(T.ones(2, 3)),
    "eigh int": lambda T: T.linalg.eigh(T.ones(2, 2, dtype=T.int64)),
    "eigh UPLO": lambda T: T.linalg.eigh(T.eye(2), UPLO="X"),
    "eigvalsh 1-d": lambda T: T.linalg.eigvalsh(T.ones(3)),
    "svd 1-d": lambda T: T.linalg.svd(T.ones(3)),
    "svd int": lambda T: T.linalg.svd(T.ones(2, 2, dtype=T.int64)),
    "svdvals int": lambda T: T.linalg.svdvals(T.ones(2, 2, dtype=T.int64)),
    "svd driver": lambda T: T.linalg.svd(T.ones(2, 2), driver="gesvd"),
    "torch.svd int": lambda T: T.svd(T.ones(2, 2, dtype=T.int64)),
    "matrix_exp not square": lambda T: T.linalg.matrix_exp(T.ones(2, 3)),
    "matrix_exp int": lambda T: T.matrix_exp(T.ones(2, 2, dtype=T.int64)),
    "matrix_exp 1-d": lambda T: T.linalg.matrix_exp(T.ones(3)),
    "qr 1-d": lambda T: T.linalg.qr(T.ones(3)),
    "qr int": lambda T: T.linalg.qr(T.ones(2, 2, dtype=T.int64)),
    "qr mode": lambda T: T.linalg.qr(T.ones(2, 2), mode="x"),
    "pinv int": lambda T: T.linalg.pinv(T.ones(2, 2, dtype=T.int64)),
    "pinv 1-d": lambda T: T.linalg.pinv(T.ones(3)),
    "pinv hermitian not square": lambda T: T.linalg.pinv(T.ones(2, 3), hermitian=True),
    "matrix_rank 1-d": lambda T: T.linalg.matrix_rank(T.ones(3)),
    "matrix_rank int": lambda T: T.linalg.matrix_rank(T.ones(2, 2, dtype=T.int64)),
    "cond 1-d": lambda T: T.linalg.cond(T.ones(3)),
    "cond int": lambda T: T.linalg.cond(T.ones(2, 2, dtype=T.int64)),
    "lstsq 1-d": lambda T: T.linalg.lstsq(T.ones(3), T.ones(3)),
    "lstsq rows": lambda T: T.linalg.lstsq(T.ones(3, 2), T.ones(4, 2)),
    "lstsq dims": lambda T: T.linalg.lstsq(T.ones(3, 2), T.ones(2, 3, 2)),
    "lstsq int": lambda T: T.linalg.lstsq(T.ones(3, 2, dtype=T.int64), T.ones(3, 2, dtype=T.int64)),
    "lstsq dtypes": lambda T: T.linalg.lstsq(T.ones(3, 2), T.ones(3, 2, dtype=T.float64)),
    "lstsq driver": lambda T: T.linalg.lstsq(T.ones(3, 2), T.ones(3, 2), driver="x"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch(name):
    check_error_at_line(ERRORS[name])
