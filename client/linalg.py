"""torch.linalg's cross product (one op, `LinalgCrossBackward0`) and norms: `vector_norm`
(one op, `LinalgVectorNormBackward0`), and `norm` and `matrix_norm` where they are vector
norms (the Frobenius norm, and `norm` without an order or over one dim). The other matrix
norms need singular values or sums of rows and are not supported: they raise
NotImplementedError."""

from __future__ import annotations

import math
from numbers import Real

from gradrpc.engine import rules
from gradrpc.engine.errors import Unsupported

from . import dtypes
from .tensor import Tensor, _is_int

_MATRIX_ORDERS = ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf)


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
    if A.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."
        )
    if len(dims) != 2:
        raise RuntimeError(
            f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}"
        )
    first, second = (rules.normalize_dim(d, A.ndim) for d in dims)
    if first == second:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({first}, {second})")
    if ord not in _MATRIX_ORDERS:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if ord != "fro":
        raise Unsupported(f"gradrpc: the matrix norm of order {ord!r} is not supported")
    return vector_norm(A, 2, dims, keepdim, dtype=dtype)


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
