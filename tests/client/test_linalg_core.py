"""torch.linalg's inverse, determinants, solves and Cholesky factorization against torch:
values, dtypes, shapes, strides, grad_fn names and gradients (float32 and float64, batched,
broadcasting), the torch.* and Tensor spellings, the named results, and torch's errors word
for word, LinAlgError (torch._C._LinAlgError) included."""

from __future__ import annotations

import subprocess
import sys
import warnings

import gradrpc
import numpy as np
import pytest
from clientkit import check_error_at_line, check_raised_at_the_next_read, check_same
from gradrpc.tensor import _WARNED

RNG = np.random.default_rng(0)
DOMINANT = RNG.uniform(-1, 1, (2, 3, 3)) + 3 * np.eye(3)  # well conditioned, det > 0
GENERAL = RNG.uniform(-1, 1, (2, 3, 3))  # either sign of det
M = RNG.uniform(-1, 1, (2, 3, 3))
SPD = M @ np.swapaxes(M, -1, -2) + np.eye(3)
B = RNG.uniform(-1, 1, (2, 3, 2))

CASES = {
    "linalg.inv": lambda T, A, S, B: T.linalg.inv(A),
    "linalg.inv of one matrix": lambda T, A, S, B: T.linalg.inv(A[1]),
    "torch.inverse": lambda T, A, S, B: T.inverse(A),
    "Tensor.inverse": lambda T, A, S, B: A.inverse(),
    "linalg.inv_ex": lambda T, A, S, B: T.linalg.inv_ex(A),
    "linalg.det": lambda T, A, S, B: T.linalg.det(A),
    "det of either sign": lambda T, A, S, B: T.det(A - 2 * T.eye(3, dtype=A.dtype)),
    "Tensor.det": lambda T, A, S, B: A[0].det(),
    "det of a singular matrix": lambda T, A, S, B: T.linalg.det(A[:, :, [0, 0, 1]]),
    "linalg.slogdet": lambda T, A, S, B: T.linalg.slogdet(A - 2 * T.eye(3, dtype=A.dtype)),
    "torch.slogdet": lambda T, A, S, B: T.slogdet(A),
    "Tensor.slogdet": lambda T, A, S, B: A.slogdet(),
    "slogdet's logabsdet": lambda T, A, S, B: T.linalg.slogdet(A).logabsdet,
    "torch.logdet": lambda T, A, S, B: T.logdet(S),
    "logdet of a negative det": lambda T, A, S, B: T.logdet(A - 3 * T.eye(3, dtype=A.dtype)),
    "Tensor.logdet": lambda T, A, S, B: A.logdet(),
    "linalg.solve": lambda T, A, S, B: T.linalg.solve(A, B),
    "solve broadcasting A": lambda T, A, S, B: T.linalg.solve(A[0], B),
    "solve broadcasting B": lambda T, A, S, B: T.linalg.solve(A[:, None], B[0]),
    "solve of a vector": lambda T, A, S, B: T.linalg.solve(A[0], B[0, :, 0]),
    "solve of a batch of vectors": lambda T, A, S, B: T.linalg.solve(A, B[:, :, 0]),
    "solve of one vector for a batch": lambda T, A, S, B: T.linalg.solve(A, B[0, :, 0]),
    "solve left=False": lambda T, A, S, B: T.linalg.solve(A, B.mT, left=False),
    "linalg.cholesky": lambda T, A, S, B: T.linalg.cholesky(S),
    "cholesky upper": lambda T, A, S, B: T.linalg.cholesky(S, upper=True),
    "cholesky reads the lower triangle": lambda T, A, S, B: T.linalg.cholesky(S.tril()),
    "cholesky_ex": lambda T, A, S, B: T.linalg.cholesky_ex(S, upper=True),
    "solve_triangular upper": lambda T, A, S, B: T.linalg.solve_triangular(A, B, upper=True),
    "solve_triangular lower, broadcast": lambda T, A, S, B: T.linalg.solve_triangular(
        A[:, None], B[0], upper=False
    ),
    "solve_triangular right unit": lambda T, A, S, B: T.linalg.solve_triangular(
        A, B.mT, upper=True, left=False, unitriangular=True
    ),
    "cholesky_solve": lambda T, A, S, B: T.cholesky_solve(B, T.linalg.cholesky(S)),
    "cholesky_solve upper": lambda T, A, S, B: T.cholesky_solve(
        B, T.linalg.cholesky(S, upper=True), upper=True
    ),
    "Tensor.cholesky_solve": lambda T, A, S, B: B[0].cholesky_solve(T.linalg.cholesky(S[0])),
    "cholesky_inverse": lambda T, A, S, B: T.cholesky_inverse(T.linalg.cholesky(S)),
    "cholesky_inverse upper": lambda T, A, S, B: T.linalg.cholesky(S, upper=True).cholesky_inverse(
        True
    ),
    "matrix_power 2": lambda T, A, S, B: T.linalg.matrix_power(A, 2),
    "matrix_power 3": lambda T, A, S, B: T.matrix_power(A[0], 3),
    "matrix_power 6": lambda T, A, S, B: A.matrix_power(6),
    "matrix_power 13": lambda T, A, S, B: T.linalg.matrix_power(A[0] / 3, 13),
    "matrix_power 1": lambda T, A, S, B: T.linalg.matrix_power(A, 1),
    "matrix_power -1": lambda T, A, S, B: T.linalg.matrix_power(A, -1),
    "matrix_power -5": lambda T, A, S, B: T.linalg.matrix_power(A[1], -5),
    "multi_dot of two": lambda T, A, S, B: T.linalg.multi_dot([A[0], B[0]]),
    "multi_dot of three": lambda T, A, S, B: T.linalg.multi_dot([B[0].T, A[0], B[1]]),
    "multi_dot of three, right first": lambda T, A, S, B: T.linalg.multi_dot([A[0], B[0], B[1].T]),
    "multi_dot of vectors": lambda T, A, S, B: T.linalg.multi_dot([B[0, :, 0], A[0], B[1, :, 1]]),
    "multi_dot of five": lambda T, A, S, B: T.linalg.multi_dot(
        (B[0].T, A[0], S[1], B[1], B[0].T[:, :2])
    ),
    "vecdot": lambda T, A, S, B: T.linalg.vecdot(A, B[:, :, :1].mT),
    "vecdot dim": lambda T, A, S, B: T.linalg.vecdot(A, S, dim=0),
    "linalg.diagonal": lambda T, A, S, B: T.linalg.diagonal(A),
    "linalg.diagonal offset": lambda T, A, S, B: T.linalg.diagonal(A, offset=1, dim1=0, dim2=2),
    "linalg.matmul": lambda T, A, S, B: T.linalg.matmul(A, B),
}


def _results(value) -> list:
    return list(value) if isinstance(value, tuple) else [value]


@pytest.mark.filterwarnings("ignore:torch.cholesky is deprecated")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", CASES)
def test_linalg_matches_torch(name, dtype):
    def scenario(T):
        kind = getattr(T, dtype)
        A, S, Bt = (T.tensor(v, dtype=kind).requires_grad_() for v in (DOMINANT, SPD, B))
        out = CASES[name](T, A, S, Bt)
        results = _results(out)
        loss = sum(
            (r * T.arange(1.0, 1.0 + r.numel(), dtype=r.dtype).reshape(r.shape)).sum()
            for r in results
            if r.requires_grad
        )
        loss.backward()
        strides = [r.stride() for r in results]
        return type(out).__name__, out, strides, A.grad, S.grad, Bt.grad

    tolerance = {"rtol": 2e-4, "atol": 2e-4} if dtype == "float32" else {"rtol": 1e-9, "atol": 1e-9}
    check_same(scenario, **tolerance)


def test_general_matrices_match_torch():
    """Matrices of either sign of determinant (not diagonally dominant), in float64."""

    def scenario(T):
        A = T.tensor(GENERAL).requires_grad_()
        outs = [T.linalg.inv(A), T.linalg.det(A), *T.linalg.slogdet(A), T.logdet(A)]
        outs.append(T.linalg.solve(A, T.ones(2, 3, dtype=T.float64)))
        sum((o * o).sum() for o in outs if o.requires_grad and o.isfinite().all()).backward()
        return outs, A.grad

    check_same(scenario, rtol=1e-9, atol=1e-9)


def test_named_results_read_like_torchs():
    A = gradrpc.tensor(DOMINANT)
    sign, logabsdet = gradrpc.linalg.slogdet(A)
    result = gradrpc.linalg.slogdet(A)
    assert type(result).__name__ == "linalg_slogdet" and type(gradrpc.slogdet(A)).__name__ == (
        "slogdet"
    )
    assert result.sign.tolist() == sign.tolist() == [1.0, 1.0]
    assert result.logabsdet.tolist() == logabsdet.tolist()
    ex = gradrpc.linalg.inv_ex(A)
    assert (ex.inverse.dtype, ex.info.dtype, ex.info.tolist()) == (
        gradrpc.float64,
        gradrpc.int32,
        [0, 0],
    )
    L, info = gradrpc.linalg.cholesky_ex(gradrpc.tensor(SPD))
    assert L.shape == (2, 3, 3) and info.tolist() == [0, 0]
    assert repr(result).startswith("torch.return_types.linalg_slogdet(\nsign=tensor([1., 1.]")


def test_infos_of_matrices_that_fail_match_torch():
    zero, rank_one = np.zeros((3, 3)), np.outer([0.5, 1, 1.5], [0.25, 0.25, 0.25])
    singular = np.stack([np.eye(3) / 3, zero, rank_one, np.diag([0.5, 2, 0])])
    not_pd = np.stack([np.eye(3) / 4, -np.eye(3), np.array([[0.5, 1, 0], [1, 0.5, 0], [0, 0, 1]])])

    def scenario(T):
        inv_ex = T.linalg.inv_ex(T.tensor(singular))
        chol_ex = T.linalg.cholesky_ex(T.tensor(not_pd))
        upper = T.linalg.cholesky_ex(T.tensor(not_pd), upper=True)
        return inv_ex.info, inv_ex.inverse[0], chol_ex.info, upper.info, chol_ex.L

    check_same(scenario)


def test_cholesky_warns_once_as_torch():
    """torch.cholesky's deprecation warning, once a process (torch's in a fresh one)."""
    script = (
        "import torch, warnings\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        "    torch.cholesky(torch.eye(2)); torch.eye(2).cholesky()\n"
        "print(len(w)); print(w[0].message, end='')\n"
    )
    count, theirs = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split("\n", 1)
    _WARNED.discard("cholesky")  # as in a fresh process
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        L = gradrpc.cholesky(gradrpc.tensor(SPD[0]).requires_grad_())
        gradrpc.tensor(SPD[0]).cholesky()
    assert (len(ours), str(ours[0].message)) == (int(count), theirs)
    assert L.grad_fn.name() == "CholeskyBackward0"
    np.testing.assert_allclose(L.detach().numpy(), np.linalg.cholesky(SPD[0]), rtol=1e-12)


LINALG_ERRORS = {
    "inv of a singular matrix": lambda T: T.linalg.inv(T.zeros(3, 3)).tolist(),
    "inv of ones": lambda T: T.inverse(T.ones(3, 3)).tolist(),
    "inv of a batch": lambda T: T.linalg.inv(
        T.stack([T.eye(2), T.tensor([[1.0, 2.0], [2.0, 4.0]])])
    ).tolist(),
    "inv_ex checking": lambda T: T.linalg.inv_ex(T.zeros(2, 2), check_errors=True)[0].tolist(),
    "matrix_power -1": lambda T: T.linalg.matrix_power(T.zeros(2, 2), -1).tolist(),
    "solve": lambda T: T.linalg.solve(T.zeros(2, 2), T.ones(2)).tolist(),
    "solve in a batch": lambda T: T.linalg.solve(
        T.stack([T.eye(2), T.zeros(2, 2)]), T.ones(2, 2)
    ).tolist(),
    "cholesky": lambda T: T.linalg.cholesky(-T.eye(3)).tolist(),
    "cholesky second minor": lambda T: T.linalg.cholesky(
        T.tensor([[1.0, 2.0], [2.0, 1.0]]), upper=True
    ).tolist(),
    "cholesky in a batch": lambda T: T.linalg.cholesky(T.stack([T.eye(2), -T.eye(2)])).tolist(),
    "cholesky_ex checking": lambda T: T.linalg.cholesky_ex(-T.eye(2), check_errors=True)[
        0
    ].tolist(),
}


@pytest.mark.parametrize("name", LINALG_ERRORS)
def test_linalg_errors_match_torch(name):
    op = {"solve": "linalg_solve", "cholesky": "linalg_cholesky"}
    check_raised_at_the_next_read(
        LINALG_ERRORS[name], op.get(name.split()[0].removesuffix("_ex"), "linalg_inv")
    )


def test_linalg_error_is_torchs_class():
    with pytest.raises(gradrpc.linalg.LinAlgError) as raised:
        gradrpc.linalg.inv(gradrpc.zeros(2, 2)).tolist()
    assert issubclass(gradrpc.linalg.LinAlgError, RuntimeError)
    assert type(raised.value).__module__ == "torch._C"
    assert type(raised.value).__qualname__ == "_LinAlgError"
    try:
        gradrpc.cholesky(-gradrpc.eye(2)).tolist()
    except RuntimeError as exc:  # what `except torch.linalg.LinAlgError` code also catches
        assert isinstance(exc, gradrpc.linalg.LinAlgError)
        assert str(exc).startswith("cholesky: The factorization could not be completed")
    assert gradrpc.ones(2).sum().item() == 2.0


ERRORS = {
    "inv not square": lambda T: T.linalg.inv(T.ones(2, 3)),
    "inv 1-d": lambda T: T.inverse(T.ones(3)),
    "inv int": lambda T: T.linalg.inv(T.ones(3, 3, dtype=T.int64)),
    "inv_ex not square": lambda T: T.linalg.inv_ex(T.ones(2, 3)),
    "det int": lambda T: T.det(T.ones(2, 2, dtype=T.int64)),
    "det not square": lambda T: T.linalg.det(T.ones(2, 3)),
    "slogdet not square": lambda T: T.slogdet(T.ones(2, 3)),
    "logdet not square": lambda T: T.logdet(T.ones(2, 3)),
    "logdet int": lambda T: T.logdet(T.ones(3, 3, dtype=T.int64)),
    "solve 1-d A": lambda T: T.linalg.solve(T.ones(3), T.ones(3)),
    "solve int": lambda T: T.linalg.solve(T.eye(2, dtype=T.int64), T.ones(2, dtype=T.int64)),
    "solve 0-d B": lambda T: T.linalg.solve(T.eye(2), T.tensor(1.0)),
    "solve mismatch": lambda T: T.linalg.solve(T.eye(2), T.ones(3, 4)),
    "solve vector mismatch": lambda T: T.linalg.solve(T.eye(2), T.ones(3)),
    "solve right mismatch": lambda T: T.linalg.solve(T.eye(2), T.ones(3, 4), left=False),
    "solve batch mismatch": lambda T: T.linalg.solve(T.eye(2).expand(3, 2, 2), T.ones(4, 2, 1)),
    "solve dtypes": lambda T: T.linalg.solve(T.eye(2), T.eye(2, dtype=T.float64)),
    "cholesky not square": lambda T: T.linalg.cholesky(T.ones(2, 3)),
    "cholesky int": lambda T: T.linalg.cholesky(T.ones(2, 2, dtype=T.int64)),
    "solve_triangular without upper": lambda T: T.linalg.solve_triangular(T.eye(2), T.ones(2, 2)),
    "solve_triangular vector": lambda T: T.linalg.solve_triangular(T.eye(2), T.ones(2), upper=True),
    "solve_triangular mismatch": lambda T: T.linalg.solve_triangular(
        T.eye(2), T.ones(3, 2), upper=True
    ),
    "solve_triangular int": lambda T: T.linalg.solve_triangular(
        T.eye(2, dtype=T.int64), T.ones(2, 2, dtype=T.int64), upper=True
    ),
    "cholesky_solve mismatch": lambda T: T.cholesky_solve(T.ones(3, 2), T.eye(2)),
    "cholesky_solve 1-d": lambda T: T.cholesky_solve(T.ones(2), T.eye(2)),
    "cholesky_solve int": lambda T: T.cholesky_solve(
        T.ones(2, 2, dtype=T.int64), T.eye(2, dtype=T.int64)
    ),
    "cholesky_inverse not square": lambda T: T.cholesky_inverse(T.ones(2, 3)),
    "cholesky_inverse int": lambda T: T.cholesky_inverse(T.ones(2, 2, dtype=T.int64)),
    "matrix_power 1-d": lambda T: T.linalg.matrix_power(T.ones(3), 2),
    "matrix_power not square": lambda T: T.matrix_power(T.ones(2, 3), 2),
    "matrix_power int inverse": lambda T: T.linalg.matrix_power(T.ones(2, 2, dtype=T.int64), -1),
    "multi_dot of one": lambda T: T.linalg.multi_dot([T.ones(2, 2)]),
    "multi_dot mismatch": lambda T: T.linalg.multi_dot([T.ones(2, 2), T.ones(3, 3)]),
    "multi_dot 3-d": lambda T: T.linalg.multi_dot([T.ones(2, 2, 2), T.ones(2, 2)]),
    "multi_dot 3-d last": lambda T: T.linalg.multi_dot([T.ones(2, 2), T.ones(2, 2, 2)]),
    "multi_dot 1-d middle": lambda T: T.linalg.multi_dot([T.ones(2, 2), T.ones(2), T.ones(2, 2)]),
    "multi_dot dtypes": lambda T: T.linalg.multi_dot([T.ones(2, 2), T.ones(2, 2).double()]),
    "vecdot dtypes": lambda T: T.linalg.vecdot(T.ones(2), T.ones(2, dtype=T.float64)),
    "vecdot int": lambda T: T.linalg.vecdot(T.ones(2, dtype=T.int64), T.ones(2, dtype=T.int64)),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch(name):
    check_error_at_line(ERRORS[name])


def test_integer_matrix_power_and_multi_dot_match_torch():
    def scenario(T):
        A = T.tensor([[1, 2], [3, 4]])
        return T.linalg.matrix_power(A, 5), T.linalg.multi_dot([A, A, A]), A.matrix_power(0)

    check_same(scenario)


def test_solve_triangular_of_a_zero_diagonal_gives_inf_and_nan():
    def scenario(T):
        return T.linalg.solve_triangular(T.zeros(2, 2), T.ones(2, 2), upper=True)

    check_same(scenario)


def test_empty_matrices_match_torch():
    def scenario(T):
        E = T.ones(2, 0, 0, requires_grad=True)
        outs = [T.linalg.inv(E), T.linalg.det(E), T.linalg.solve(E, T.ones(2, 0, 3))]
        (outs[0].sum() + outs[1].sum()).backward()
        return outs, E.grad

    check_same(scenario)
