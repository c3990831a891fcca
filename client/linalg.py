"""torch.linalg: inv, inv_ex, det, slogdet, solve, solve_ex, solve_triangular, cholesky,
cholesky_ex (one engine op each, LAPACK-backed, batched; singular or not positive-definite
matrices raise LinAlgError, torch's torch._C._LinAlgError, with its words); lu_factor,
lu_factor_ex, lu, lu_solve and torch.lu_unpack (LAPACK's getrf and getrs, int32 1-based
pivots; torch.lu and torch.lu_solve with torch's deprecation warnings); matrix_power,
multi_dot, vecdot, diagonal, matmul, tensorinv, tensorsolve and vander composed as torch
composes them; and the torch.* spellings (inverse, logdet, cholesky, cholesky_solve,
cholesky_inverse); eigh, eigvalsh, svd, svdvals (torch.svd), qr, pinv (torch.pinverse) and
matrix_exp, one op per result; geqrf and householder_product (torch.orgqr); lstsq (LAPACK's
gelsy); matrix_rank composed of singular values. The cross product (one op,
`LinalgCrossBackward0`) and norms: `vector_norm` (one op, `LinalgVectorNormBackward0`), and
`matrix_norm`, `norm` and `cond` in every real order torch takes, composed as torch's
(singular values for 'nuc' and ±2, sums of columns or rows for ±1 and ±inf)."""

from __future__ import annotations

import math
import warnings
from numbers import Real

from gradrpc.engine import rules
from gradrpc.engine.errors import LinAlgError as LinAlgError
from gradrpc.engine.errors import Unsupported

from . import dtypes, factories, return_types
from .tensor import _WARNED, Tensor, _is_int


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """(Σ |x|^ord)^(1/ord) over all dims or `dim`; ord 0 counts the nonzero elements, inf and
    -inf take the largest and smallest |x|. `dtype` casts x first (no narrowing)."""
    if not isinstance(ord, Real):
        raise TypeError(
            "linalg_vector_norm(): argument 'ord' (position 2) must be Number, not "
            + type(ord).__name__
        )
    attrs = {
        "ord": float(ord),
        "dim": None if dim is None else [int(dim)] if _is_int(dim) else [int(d) for d in dim],
        "keepdim": bool(keepdim),
        "dtype": "" if dtype is None else dtypes.as_dtype(dtype).name,
    }
    return x._call("linalg_vector_norm", [x], attrs)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None):
    """The matrix norm over the two dims `dim`: the Frobenius norm, (Σ x²)^(1/2) over both."""
    if _is_int(dim):  # torch's signature takes a tuple only (its argument parser's TypeError)
        raise TypeError("linalg_matrix_norm(): argument 'dim' must be tuple of ints, not int")
    return _matrix_norm(A, ord, list(dim), keepdim, dtype)


def _matrix_norm(A: Tensor, ord, dims: list, keepdim: bool, dtype) -> Tensor:
    """torch's linalg_matrix_norm: the order checked first, then A and dims; 'fro' the
    vector 2-norm, ±1 and ±inf the largest (smallest) 1-norm of columns (rows), 'nuc' and ±2
    the sum and the largest (smallest) of the singular values of A's dims moved to its end."""
    if isinstance(ord, str) and ord not in ("fro", "nuc"):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if not isinstance(ord, str) and abs(ord) not in (1, 2, math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {float(ord):g} not supported.")
    if A.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."
        )
    if not dtypes.as_dtype(A.dtype).is_floating_point:
        raise RuntimeError(
            "linalg.matrix_norm: Expected a floating point or complex tensor as input. Got "
            f"{rules.TORCH_TYPE_NAME[dtypes.as_dtype(A.dtype).name]}"
        )
    if len(dims) != 2:
        raise RuntimeError(
            f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}"
        )
    first, second = (rules.normalize_dim(d, A.ndim) for d in dims)
    if first == second:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({first}, {second})")
    if ord == "fro":
        return vector_norm(A, 2, dims, keepdim, dtype=dtype)
    if ord in ("nuc", 2, -2):
        order = [d for d in range(A.ndim) if d not in (first, second)] + [first, second]
        A = A if dtype is None else A.to(dtype)
        S = svdvals(A.permute(order))
        if ord == "nuc":
            result = S.sum(-1, keepdim)
        else:
            result = S.amax(-1, keepdim) if ord > 0 else S.amin(-1, keepdim)
        if keepdim:
            reverse = [order.index(d) for d in range(A.ndim)]
            result = result.unsqueeze(-1).permute(reverse)
        return result
    if abs(ord) == math.inf:  # the 1-norm of the transpose
        first, second = second, first
    if not keepdim and first < second:
        second -= 1
    sums = vector_norm(A, 1, [first], keepdim, dtype=dtype)
    return sums.amax(second, keepdim) if ord > 0 else sums.amin(second, keepdim)


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along `dim`, broadcasting (LinalgCrossBackward0)."""
    for position, (param, value) in enumerate((("input", input), ("other", other)), start=1):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"linalg_cross(): argument '{param}' (position {position}) must be Tensor, "
                f"not {type(value).__name__}"
            )
    if not _is_int(dim):
        raise TypeError(f"linalg_cross(): argument 'dim' must be int, not {type(dim).__name__}")
    return input._call("linalg_cross", [input, input._coerce(other)], {"dim": int(dim)})


def inv(A: Tensor) -> Tensor:
    """The inverse of each square matrix (LinalgInvExBackward0); a singular one raises
    LinAlgError with torch's words."""
    return A._call("linalg_inv", [A])


def inv_ex(A: Tensor, *, check_errors: bool = False):
    """(inverse, info) as torch.return_types.linalg_inv_ex: info (int32) is LAPACK's, 0 where
    the matrix is invertible, else the first zero diagonal element of its LU factor."""
    info = A._call("linalg_inv_info", [A])
    attrs = {"check_errors": bool(check_errors), "function": "linalg.inv_ex"}
    return return_types.linalg_inv_ex((A._call("linalg_inv", [A], attrs), info))


def det(A: Tensor) -> Tensor:
    """The determinant of each square matrix (LinalgDetBackward0)."""
    return A._call("linalg_det", [A])


def slogdet(A: Tensor):
    """(sign, logabsdet) of each square matrix's determinant, a
    torch.return_types.linalg_slogdet (LinalgSlogdetBackward0)."""
    return return_types.linalg_slogdet(_slogdet(A, ""))


def _slogdet(A: Tensor, function: str) -> tuple[Tensor, Tensor]:
    attrs = {"function": function}
    return A._call("linalg_slogdet_sign", [A], attrs), A._call("linalg_slogdet", [A], attrs)


def logdet(A: Tensor) -> Tensor:
    """log det A, nan where the determinant is negative, as torch.logdet: logabsdet where
    sign is not -1 (WhereBackward0)."""
    from gradrpc import where

    sign, logabsdet = _slogdet(A, "logdet")
    return where(sign == -1.0, math.nan, logabsdet)


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with A X = B (left=False: X A = B), batches broadcast, B a batch of vectors where it
    is 1-d or has A's shape less its last dim (LinalgSolveExBackward0); a singular A raises
    LinAlgError."""
    return A._call("linalg_solve", [A, B], {"left": bool(left)})


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False):
    """(result, info) as torch.return_types.linalg_solve_ex: solve's X (LinalgSolveExBackward0;
    a singular A gives LAPACK's infs and nans, or LinAlgError with `check_errors`) and getrf's
    int32 info of each matrix of A."""
    attrs = {"left": bool(left), "check_errors": bool(check_errors)}
    attrs["function"] = "torch.linalg.solve_ex"
    result = A._call("linalg_solve", [A, B], attrs)
    return return_types.linalg_solve_ex((result, A._call("linalg_inv_info", [A])))


def lu_factor(A: Tensor, *, pivot: bool = True):
    """(LU, pivots) as torch.return_types.linalg_lu_factor: LAPACK getrf's L (unit diagonal
    implied) and U in one matrix (LinalgLuFactorExBackward0) and its 1-based int32 pivots; a
    zero on U's diagonal raises torch's RuntimeError."""
    attrs = {"pivot": bool(pivot), "check_errors": True, "function": "torch.linalg.lu_factor"}
    LU = A._call("linalg_lu_factor", [A], attrs)
    pivots = A._call("linalg_lu_factor_pivots", [A], {"pivot": bool(pivot)})
    return return_types.linalg_lu_factor((LU, pivots))


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False):
    """(LU, pivots, info) as torch.return_types.linalg_lu_factor_ex: lu_factor's, and getrf's
    int32 info (0, or the first zero on U's diagonal, from 1)."""
    return return_types.linalg_lu_factor_ex(
        _lu_factor_ex(A, pivot, check_errors, "torch.linalg.lu_factor_ex")
    )


def _lu_factor_ex(A: Tensor, pivot, check_errors, function: str) -> tuple:
    attrs = {"pivot": bool(pivot), "check_errors": bool(check_errors), "function": function}
    LU = A._call("linalg_lu_factor", [A], attrs)
    pivots = A._call("linalg_lu_factor_pivots", [A], {"pivot": bool(pivot)})
    return LU, pivots, A._call("linalg_lu_factor_info", [A], {"pivot": bool(pivot)})


def legacy_lu(A: Tensor, pivot: bool = True, get_infos: bool = False, *, structseq: bool):
    """torch.lu and Tensor.lu (deprecated, with torch's warning, once): lu_factor_ex's (LU,
    pivots), or (LU, pivots, info) with `get_infos` (torch.lu's a
    torch.return_types._lu_with_info)."""
    if "lu" not in _WARNED:  # torch warns once a process
        _WARNED.add("lu")
        warnings.warn(_LU_DEPRECATED, UserWarning, stacklevel=3)
    LU, pivots, info = _lu_factor_ex(A, pivot, False, "torch.lu")
    if not get_infos:
        return LU, pivots
    return return_types._lu_with_info((LU, pivots, info)) if structseq else (LU, pivots, info)


_LU_DEPRECATED = (
    "torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex and "
    "will be removed in a future PyTorch release.\nLU, pivots = torch.lu(A, compute_pivots)\n"
    "should be replaced with\nLU, pivots = torch.linalg.lu_factor(A, compute_pivots)\nand\n"
    "LU, pivots, info = torch.lu(A, compute_pivots, get_infos=True)\nshould be replaced with\n"
    "LU, pivots, info = torch.linalg.lu_factor_ex(A, compute_pivots) (Triggered internally at "
    "/__w/pytorch/pytorch/aten/src/ATen/native/BatchLinearAlgebra.cpp:2073.)"
)


def lu(A: Tensor, *, pivot: bool = True):
    """(P, L, U) with A = P L U as torch.return_types.linalg_lu: P a permutation matrix (no
    history), L unit lower and U upper triangular (trapezoidal) (LinalgLuBackward0)."""
    attrs = {"pivot": bool(pivot)}
    P = A._call("linalg_lu_p", [A], attrs)
    L = A._call("linalg_lu_l", [A], attrs)
    return return_types.linalg_lu((P, L, A._call("linalg_lu_u", [A], attrs)))


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True, unpack_pivots=True):
    """torch.lu_unpack: (P, L, U) of lu_factor's result as torch.return_types.lu_unpack (L and
    U LuUnpackBackward0); what is not unpacked is an empty tensor."""
    operands = [LU_data, LU_pivots]
    if unpack_pivots:
        P = LU_data._call("lu_unpack_p", operands)
    else:
        P = factories.zeros(LU_data._session, (0,), dtype=LU_data.dtype)
    attrs = {"unpack_data": bool(unpack_data), "unpack_pivots": bool(unpack_pivots)}
    L = LU_data._call("lu_unpack_l", operands, attrs)
    return return_types.lu_unpack((P, L, LU_data._call("lu_unpack_u", operands, attrs)))


def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True, adjoint=False):
    """X with A X = B (`adjoint`: Aᵀ X = B; left=False: X A = B or X Aᵀ = B) for A given by
    lu_factor's (LU, pivots), batches broadcast (LinalgLuSolveBackward0)."""
    attrs = {"left": bool(left), "adjoint": bool(adjoint)}
    return LU._call("linalg_lu_solve", [LU, pivots, B], attrs)


def legacy_lu_solve(B: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:
    """torch.lu_solve and Tensor.lu_solve (deprecated, with torch's warning, once):
    linalg.lu_solve(LU_data, LU_pivots, B)."""
    if "lu_solve" not in _WARNED:
        _WARNED.add("lu_solve")
        warnings.warn(_LU_SOLVE_DEPRECATED, UserWarning, stacklevel=3)
    return lu_solve(LU_data, LU_pivots, B)


_LU_SOLVE_DEPRECATED = (
    "torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be removed in a "
    "future PyTorch release.\nNote that torch.linalg.lu_solve has its arguments reversed.\n"
    "X = torch.lu_solve(B, LU, pivots)\nshould be replaced with\n"
    "X = torch.linalg.lu_solve(LU, pivots, B) (Triggered internally at "
    "/__w/pytorch/pytorch/aten/src/ATen/native/BatchLinearAlgebra.cpp:2230.)"
)


def solve_triangular(
    A: Tensor,
    B: Tensor,
    *,
    upper: bool | None = None,
    left: bool = True,
    unitriangular: bool = False,
) -> Tensor:
    """X with A X = B (left=False: X A = B) for A's upper (lower) triangle, its diagonal taken
    as ones when `unitriangular` (LinalgSolveTriangularBackward0); `upper` is required."""
    if upper is None:
        raise TypeError(
            'linalg_solve_triangular() missing 1 required positional arguments: "upper"'
        )
    attrs = {"upper": bool(upper), "left": bool(left), "unitriangular": bool(unitriangular)}
    return A._call("linalg_solve_triangular", [A, B], attrs)


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """L with A = L Lᵀ (upper=True: U with A = Uᵀ U) from A's lower (upper) triangle
    (LinalgCholeskyExBackward0); a matrix that is not positive-definite raises LinAlgError."""
    return A._call("linalg_cholesky", [A], {"upper": bool(upper)})


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False):
    """(L, info) as torch.return_types.linalg_cholesky_ex: info (int32) is LAPACK's, 0 or the
    order of the first leading minor that is not positive-definite."""
    info = A._call("linalg_cholesky_info", [A], {"upper": bool(upper)})
    attrs = {"upper": bool(upper), "check_errors": bool(check_errors)}
    attrs["function"] = "linalg.cholesky_ex"
    return return_types.linalg_cholesky_ex((A._call("linalg_cholesky", [A], attrs), info))


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False) -> Tensor:
    """torch.cholesky_solve: X with (L Lᵀ) X = B (upper: (Uᵀ U) X = B), batches broadcast
    (CholeskySolveBackward0)."""
    return B._call("cholesky_solve", [B, L], {"upper": bool(upper)})


def cholesky_inverse(L: Tensor, upper: bool = False) -> Tensor:
    """torch.cholesky_inverse: (L Lᵀ)⁻¹ (upper: (Uᵀ U)⁻¹) (CholeskyInverseBackward0)."""
    return L._call("cholesky_inverse", [L], {"upper": bool(upper)})


def legacy_cholesky(A: Tensor, upper: bool = False) -> Tensor:
    """torch.cholesky (deprecated, with torch's warning, once): linalg.cholesky's factor,
    recorded as CholeskyBackward0."""
    if "cholesky" not in _WARNED:  # torch warns once a process
        _WARNED.add("cholesky")
        warnings.warn(_CHOLESKY_DEPRECATED, UserWarning, stacklevel=3)
    return A._call("linalg_cholesky", [A], {"upper": bool(upper), "function": "cholesky"})


_CHOLESKY_DEPRECATED = (
    "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a "
    "future PyTorch release.\nL = torch.cholesky(A)\nshould be replaced with\n"
    "L = torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, upper=True)\n"
    "should be replaced with\nU = torch.linalg.cholesky(A).mH\nThis transform will produce "
    "equivalent results for all valid (symmetric positive definite) inputs. (Triggered "
    "internally at /__w/pytorch/pytorch/aten/src/ATen/native/BatchLinearAlgebra.cpp:1765.)"
)


def eigh(A: Tensor, UPLO: str = "L"):
    """(eigenvalues, eigenvectors) of each symmetric matrix, read from its lower (UPLO="U":
    upper) triangle, as torch.return_types.linalg_eigh (LinalgEighBackward0): the values
    ascending, the vectors as columns, signed as LAPACK signs them."""
    attrs = {"UPLO": UPLO}
    values = A._call("linalg_eigh_values", [A], attrs)
    return return_types.linalg_eigh((values, A._call("linalg_eigh_vectors", [A], attrs)))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """The eigenvalues of each symmetric matrix, ascending (LinalgEighBackward0)."""
    return A._call("linalg_eigh_values", [A], {"UPLO": UPLO})


def svd(A: Tensor, full_matrices: bool = True, *, driver=None):
    """(U, S, Vh) with A = U diag(S) Vh, as torch.return_types.linalg_svd
    (LinalgSvdBackward0): S descending, U and Vh signed as LAPACK's gesdd signs them;
    `full_matrices` False keeps only min(m, n) columns of U and rows of Vh."""
    if driver is not None:
        raise RuntimeError(_DRIVER_ON_CPU)
    attrs = {"full_matrices": bool(full_matrices)}
    U = A._call("linalg_svd_u", [A], attrs)
    S = A._call("linalg_svd_s", [A])
    return return_types.linalg_svd((U, S, A._call("linalg_svd_vh", [A], attrs)))


_DRIVER_ON_CPU = (
    "torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with "
    "cuSOLVER backend."
)


def svdvals(A: Tensor, *, driver=None) -> Tensor:
    """The singular values of each matrix, descending (LinalgSvdBackward0)."""
    if driver is not None:
        raise RuntimeError(_DRIVER_ON_CPU)
    return A._call("linalg_svd_s", [A])


def torch_svd(A: Tensor, some: bool = True, compute_uv: bool = True):
    """torch.svd: (U, S, V), V = Vh.mT (TransposeBackward0), as torch.return_types.svd;
    without `compute_uv`, U and V are zeros of (m, m) and (n, n)."""
    if not compute_uv:
        S = svdvals(A)
        *batch, m, n = A.shape
        U = factories.zeros(A._session, (*batch, m, m), dtype=A.dtype)
        V = factories.zeros(A._session, (*batch, n, n), dtype=A.dtype).mT
        return return_types.svd((U, S, V))
    U, S, Vh = svd(A, full_matrices=not some)
    return return_types.svd((U, S, Vh.mT))


def qr(A: Tensor, mode: str = "reduced"):
    """(Q, R) with A = Q R, as torch.return_types.linalg_qr (LinalgQrBackward0): Householder
    QR as LAPACK's; mode "complete" makes Q square, "r" leaves Q empty."""
    attrs = {"mode": mode}
    return return_types.linalg_qr(
        (A._call("linalg_qr_q", [A], attrs), A._call("linalg_qr_r", [A], attrs))
    )


def geqrf(A: Tensor):
    """torch.geqrf: (a, tau) as torch.return_types.geqrf, LAPACK geqrf's QR as Householder
    reflectors (GeqrfBackward0, whose derivative is not implemented, as torch's)."""
    return return_types.geqrf((A._call("geqrf_a", [A]), A._call("geqrf_tau", [A])))


def householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """The first n columns of the product of the Householder reflectors I − tau_i v_i v_iᵀ
    that A's columns below the diagonal describe, as LAPACK's orgqr
    (LinalgHouseholderProductBackward0); torch.orgqr."""
    return A._call("linalg_householder_product", [A, tau])


_EPS = {"float32": 1.1920928955078125e-07, "float64": 2.220446049250313e-16}


def _tolerances(A: Tensor, atol, rtol) -> tuple[float, float]:
    """torch's defaults: no atol is 0; no rtol is eps · max(m, n), or 0 beside a positive atol."""
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else _EPS[A.dtype.name] * max(A.shape[-2:])
    return (0.0 if atol is None else float(atol)), float(rtol)


def pinv(A: Tensor, rcond=None, hermitian: bool = False, *, atol=None, rtol=None) -> Tensor:
    """The pseudo-inverse of each matrix (LinalgPinvBackward0): from its SVD (`hermitian`: its
    eigendecomposition, reading the lower triangle), singular values at most max(atol,
    rtol · σ_max) taken as zero; `rcond` is the older name of `rtol`."""
    if A.ndim >= 2 and dtypes.as_dtype(A.dtype).is_floating_point:
        atol, rtol = _tolerances(A, atol, rtol if rcond is None else rcond)
    else:
        atol, rtol = 0.0, 0.0  # (the op refuses it with torch's message)
    attrs = {"atol": atol, "rtol": rtol, "hermitian": bool(hermitian)}
    return A._call("linalg_pinv", [A], attrs)


def matrix_rank(A: Tensor, tol=None, hermitian: bool = False, *, atol=None, rtol=None) -> Tensor:
    """How many singular values (`hermitian`: eigenvalues in size) of each matrix exceed
    max(atol, rtol · σ_max), as torch counts them: int64, no history. `tol` is atol."""
    if A.ndim < 2:
        raise RuntimeError(
            "torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions."
        )
    if not dtypes.as_dtype(A.dtype).is_floating_point:  # (torch's default tolerance's eps)
        raise RuntimeError("This function doesn't handle types other than float and double")
    if tol is not None:
        atol = tol
    S = eigvalsh(A).abs() if hermitian else svdvals(A)
    atol, rtol = _tolerances(A, atol, rtol)
    if S.numel() == 0:
        return S.gt(atol).sum(-1)
    largest = S.amax(-1, keepdim=True) if hermitian else S.narrow(-1, 0, 1)
    return S.gt((largest * rtol).clamp_min(atol)).sum(-1)


def cond(A: Tensor, p=None) -> Tensor:
    """The condition number of each matrix in the norm `p`, as torch composes it: for p None
    or ±2, σ_max / σ_min (σ_min / σ_max) of its singular values (SqueezeBackward1); for 'nuc',
    Σσ · Σ1/σ; else ‖A‖ ‖A⁻¹‖ with a singular A's inverse inf, nan_to_num'd to inf
    (NanToNumBackward0). 0 for empty matrices."""
    if A.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    if isinstance(p, str):
        _cond_square(A, p)
        if p not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    else:
        p = 2 if p is None else p
        if abs(p) not in (1, 2, math.inf):
            raise RuntimeError(f"linalg.cond got an invalid norm type: {float(p):g}")
    if A.numel() == 0:
        return factories.zeros(A._session, A.shape[:-2], dtype=A.dtype)
    if p in (2, -2):
        S = svdvals(A)
        largest, smallest = S.narrow(-1, 0, 1), S.narrow(-1, -1, 1)
        ratio = smallest / largest if p == -2 else largest / smallest
        return ratio.squeeze(-1)
    if p == "nuc":
        S = svdvals(A)
        return S.sum(-1) * S.reciprocal().sum(-1)
    if not isinstance(p, str):
        _cond_square(A, p if _is_int(p) or math.isinf(p) else f"{float(p):f}")
    inverse, info = inv_ex(A)
    inverse.masked_fill_(info.unsqueeze(-1).unsqueeze(-1) > 0, math.inf)
    result = _matrix_norm(A, p, [-2, -1], False, None) * _matrix_norm(
        inverse, p, [-2, -1], False, None
    )
    return result.nan_to_num_(math.inf, math.inf, -math.inf)


def _cond_square(A: Tensor, shown) -> None:
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.cond(ord={shown}): A must be batches of square matrices, but they are "
            f"{A.shape[-2]} by {A.shape[-1]} matrices"
        )


_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A: Tensor, B: Tensor, rcond=None, *, driver=None):
    """(solution, residuals, rank, singular_values) of the least-squares problem A X ≈ B, as
    torch.return_types.linalg_lstsq, by LAPACK's gelsy (torch's CPU default): the residuals
    and singular values empty, the rank int64 (LinalgLstsqBackward0, whose gradient goes
    through A's pseudo-inverse). Batches broadcast; B is a batch of vectors when it has one
    dim fewer than A. The other drivers are not supported (NotImplementedError)."""
    if driver is not None and driver not in _DRIVERS:
        raise RuntimeError(
            "torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)"
        )
    if driver not in (None, "gelsy"):
        raise Unsupported(f"gradrpc: torch.linalg.lstsq's driver {driver!r} is not supported")
    attrs = {"rcond": 0.0 if rcond is None else float(rcond)}
    B = A._coerce(B)
    solution = A._call("linalg_lstsq", [A, B], attrs)
    residuals = A._call("linalg_lstsq_residuals", [A, B])
    rank = A._call("linalg_lstsq_rank", [A, B], attrs)
    singular_values = factories.zeros(A._session, (0,), dtype=A.dtype)
    return return_types.linalg_lstsq((solution, residuals, rank, singular_values))


def matrix_exp(A: Tensor) -> Tensor:
    """exp(A) = Σ Aᵏ / k! of each square matrix (LinalgMatrixExpBackward0)."""
    return A._call("linalg_matrix_exp", [A])


def tensorinv(A: Tensor, ind: int = 2) -> Tensor:
    """The inverse of A as a map from its first `ind` dims to the rest, shaped A.shape[ind:]
    + A.shape[:ind]: inv of A as a square matrix, as torch composes it."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    end, start = tuple(A.shape[ind:]), tuple(A.shape[:ind])
    if math.prod(end) != math.prod(start):
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[ind:]) == "
            f"prod(self.shape[:ind]), but got {math.prod(end)} != {math.prod(start)}"
        )
    size = math.prod(end)
    inverse = A._call("linalg_inv", [A.reshape(size, size)], {"function": "inv"})
    return inverse.reshape(*end, *start)


def tensorsolve(A: Tensor, B: Tensor, dims=None) -> Tensor:
    """X with tensordot(A, X, X.ndim) = B, A's `dims` moved to its end first: solve of A as
    a square matrix and B flattened, as torch composes it."""
    if dims is not None:
        dims = [int(dims)] if _is_int(dims) else [int(d) for d in dims]
        A = A.movedim(dims, list(range(A.ndim - len(dims), A.ndim)))
    result_shape = tuple(A.shape[B.ndim :])
    if math.prod(result_shape) != B.numel():
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
            f"prod(self.shape[:other.ndim]), but got {math.prod(result_shape)} != {B.numel()}"
        )
    size = math.prod(result_shape)
    return solve(A.reshape(size, size), B.flatten()).reshape(result_shape)


def vander(x: Tensor, *, N=None) -> Tensor:
    """The Vandermonde matrix of x's last dim: columns x⁰, x¹, …, x^(N−1) (N defaults to its
    length), a row of ones beside the cumulative product, as torch composes it
    (CatBackward0)."""
    from gradrpc import cat

    name = dtypes.as_dtype(x.dtype).name
    if name not in ("float32", "float64") and name not in rules.INTEGER_DTYPES:
        raise RuntimeError(
            "linalg.vander supports floating point, complex, and integer tensors, but got "
            f"{rules.TORCH_TYPE_NAME[name]}"
        )
    x = x.unsqueeze(-1) if x.ndim == 0 else x
    n = x.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    powers = x.unsqueeze(-1).expand(*x.shape, n - 1).cumprod(-1)
    return cat([powers.new_ones(*x.shape, 1), powers], -1)


def matrix_power(A: Tensor, n: int) -> Tensor:
    """A to the integer power n by torch's sequence of matrix products (the inverse's for
    n < 0; the identity, a copy, for n = 0)."""
    if not _is_int(n):
        raise TypeError(
            f"linalg_matrix_power(): argument 'n' (position 2) must be int, not {type(n).__name__}"
        )
    if A.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_power: The input tensor A must have at least 2 dimensions."
        )
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.matrix_power: A must be batches of square matrices, but they are "
            f"{A.shape[-2]} by {A.shape[-1]} matrices"
        )
    n = int(n)
    if n == 0:
        identity = factories.eye(A._session, A.shape[-1], dtype=A.dtype)
        return A.clone().copy_(identity.expand_as(A))
    if n == -1:
        return inv(A)
    if n < 0:
        A, n = inv(A), -n
    if n == 1:
        return A.clone()
    if n in (2, 3):
        square = A.matmul(A)
        return square if n == 2 else square.matmul(A)
    power = result = None
    while n > 0:
        bit, n = n % 2, n // 2
        power = A if power is None else power.matmul(power)
        if bit:
            result = power if result is None else result.matmul(power)
    return result


def multi_dot(tensors) -> Tensor:
    """The product of a chain of matrices (the first may be a row vector, the last a column
    vector) in the order of fewest multiplications, as torch picks it."""
    tensors = list(tensors)
    count = len(tensors)
    if count < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {count}")
    first, last = tensors[0], tensors[-1]
    out_shape = []
    chain = list(tensors)
    for position, name, unsqueezed in ((0, "first", 0), (count - 1, "last", -1)):
        t = tensors[position]
        if t.ndim == 1:
            chain[position] = t.unsqueeze(unsqueezed)
        elif t.ndim != 2:
            raise RuntimeError(f"multi_dot(): the {name} tensor must be 1D or 2D but got {t.ndim}D")
    if first.ndim == 2:
        out_shape.append(first.shape[0])
    if last.ndim == 2:
        out_shape.append(last.shape[1])
    for i in range(1, count - 1):
        if tensors[i].ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {tensors[i].ndim}D")
    for i in range(1, count):
        if chain[i].dtype != chain[0].dtype:
            raise RuntimeError(
                "multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                f"{_c_type(chain[0].dtype)} and tensor {i} {_c_type(chain[i].dtype)}"
            )
        if chain[i - 1].shape[-1] != chain[i].shape[0]:
            raise RuntimeError(
                f"multi_dot(): tensors {i - 1} and {i} with shapes {list(tensors[i - 1].shape)} "
                f"and {list(tensors[i].shape)} cannot be multiplied"
            )
    if count == 2:
        result = chain[0].mm(chain[1])
    elif count == 3:
        a, b, c, d = chain[0].shape[0], chain[1].shape[0], chain[2].shape[0], chain[2].shape[1]
        if (a * c) * (b + d) > (b * d) * (a + c):
            result = chain[0].mm(chain[1].mm(chain[2]))
        else:
            result = chain[0].mm(chain[1]).mm(chain[2])
    else:
        result = _chain_product(chain, _chain_order(chain), 0, count - 1)
    return result.view(out_shape)


def _c_type(dtype) -> str:
    return rules.C_TYPE_NAME[dtypes.as_dtype(dtype).name]


def _chain_order(chain: list) -> list:
    """torch's matrix_chain_order: s[i][j], where the cheapest product of chain[i..j] splits."""
    count = len(chain)
    sizes = [chain[0].shape[0]] + [t.shape[1] for t in chain]
    cost = [[0] * count for _ in range(count)]
    split = [[0] * count for _ in range(count)]
    for length in range(1, count):
        for i in range(count - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + sizes[i] * sizes[k + 1] * sizes[j + 1]
                if q < cost[i][j]:
                    cost[i][j], split[i][j] = q, k
    return split


def _chain_product(chain: list, split: list, i: int, j: int) -> Tensor:
    if i == j:
        return chain[i]
    k = split[i][j]
    return _chain_product(chain, split, i, k).mm(_chain_product(chain, split, k + 1, j))


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """Σ x·y along `dim`, broadcasting (SumBackward1)."""
    if not dtypes.as_dtype(x.dtype).is_floating_point:
        raise RuntimeError(
            "linalg.vecdot: Expected a floating point or complex tensor as input. "
            f"Got {rules.TORCH_TYPE_NAME[dtypes.as_dtype(x.dtype).name]}"
        )
    if x.dtype != y.dtype:
        raise RuntimeError(
            "linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
            f"{rules.TORCH_TYPE_NAME[dtypes.as_dtype(x.dtype).name]} and y of type "
            f"{rules.TORCH_TYPE_NAME[dtypes.as_dtype(y.dtype).name]} instead"
        )
    return (x * y).sum(dim)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """A.diagonal(offset, dim1, dim2): a view, by default of the last two dims."""
    return A.diagonal(offset, dim1, dim2)


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """torch.matmul."""
    return input.matmul(other)


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """A vector norm (no `ord`, or `dim` of one dim, or a 1-d input) or a matrix norm (a
    string `ord`, `dim` of two dims, or a 2-d input), as torch.linalg.norm picks."""
    dims = None if dim is None else [dim] if _is_int(dim) else list(dim)
    if dims is not None and len(dims) not in (1, 2):
        raise RuntimeError(
            f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {dims}"
        )
    if dims is None and ord is not None and A.ndim not in (1, 2):
        raise RuntimeError(
            "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
            f"Got {A.ndim}D."
        )
    if isinstance(ord, str) or (
        ord is not None and (len(dims) == 2 if dims is not None else A.ndim == 2)
    ):
        return _matrix_norm(A, ord, [-2, -1] if dims is None else dims, keepdim, dtype)
    return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)


def torch_norm(x: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """torch.norm and Tensor.norm: the vector p-norm, "fro" over at most two dims the
    2-norm, other strings the matrix norm."""
    if isinstance(p, str):
        if p == "fro" and (dim is None or _is_int(dim) or len(dim) <= 2):
            return vector_norm(x, 2, dim, keepdim, dtype=dtype)
        every = range(x.ndim) if dim is None else [dim] if _is_int(dim) else dim
        return _matrix_norm(x, p, list(every), keepdim, dtype)
    return vector_norm(x, 2.0 if p is None else p, dim, keepdim, dtype=dtype)
