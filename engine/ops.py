"""The concrete half of the op table: each op's forward and vector-Jacobian product.

Keys match `gradrpc.engine.rules.SPECS`, which holds each op's torch name, grad_fn name,
shape/dtype rule and saved tensors. A forward receives its inputs as NumPy arrays already
cast to the op's computing dtype (Python numbers, torch's wrapped numbers, as NumPy scalars,
so that pow tells a number exponent from a 0-d tensor as torch does) and returns the result.
A vjp receives the backward node (its `saved` arrays by name, its `attrs`, its `inputs`'
metadata and which inputs `needs` a gradient) and the incoming gradient `g`, and returns one
gradient per input in the *broadcast* shape, or None where no gradient is needed: the graph
sums each one back to its input's shape, once, centrally (`sum_to_shape`).
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from math import prod
from types import SimpleNamespace

import numpy as np

from . import advanced_indexing, rules
from . import kernels as K
from . import kernels_nn as KN
from .errors import (
    ComputeError,
    DimensionOutOfRange,
    DtypeMismatch,
    InvalidIndex,
    InvalidValue,
    LinAlgError,
    ShapeMismatch,
    Unsupported,
)
from .rules import logical_dims

NUMPY_DTYPES = {
    "float32": np.dtype(np.float32),
    "float64": np.dtype(np.float64),
    "int64": np.dtype(np.int64),
    "int32": np.dtype(np.int32),
    "int16": np.dtype(np.int16),
    "int8": np.dtype(np.int8),
    "uint8": np.dtype(np.uint8),
    "bool": np.dtype(np.bool_),
}


@dataclass(frozen=True, slots=True)
class OpImpl:
    """Forward kernel and vjp of one op; `view` when the result shares the input's storage
    (the op table's views, and `in_place` ones), `in_place` when it stands for torch's input
    itself changed in place (squeeze_, as torch.matmul applies it to a fresh result):
    storage shared, yet no view. `own_dtype` names the inputs passed in their own dtype
    rather than the computing one (nll_loss's int64 class indices). `op` is the op table's
    name (None for the graph's own nodes)."""

    forward: Callable[..., np.ndarray]
    vjp: Callable[..., tuple[np.ndarray | None, ...]]
    view: bool = False
    in_place: bool = False
    own_dtype: tuple[str, ...] = ()
    op: str | None = None


OPS: dict[str, OpImpl] = {}


def op_impl(name: str) -> OpImpl:
    """OPS[name], its forward built if it is a kernel not built yet (the op's first call)."""
    impl = OPS[name]
    if isinstance(impl.forward, K.OnFirstUse):
        impl = OPS[name] = replace(impl, forward=impl.forward.kernel())
    return impl


def _op(name: str, vjp: Callable, in_place: bool = False, own_dtype: tuple[str, ...] = ()):
    def register(forward: Callable) -> Callable:
        view = rules.SPECS[name].view or in_place
        OPS[name] = OpImpl(forward, vjp, view, in_place, own_dtype, name)
        return forward

    return register


# ---------------------------------------------------------------- numerics shared by the graph


def reduce_sum(x: np.ndarray, axes: Sequence[int]) -> np.ndarray:
    """Σ over `axes`, keeping them as size-1 dims; float32 and float64 accumulate in float64,
    bool sums as int64. With no axes, a copy (never an alias of `x`)."""
    acc_dtype = np.int64 if x.dtype.kind in "ib" else np.float64
    if x.dtype.kind == "b":
        x = x.astype(np.int64)
    if not axes:
        return np.array(x, copy=True)
    x = _c(x)
    if len(axes) == x.ndim:
        total = K.sum_all(x.reshape(-1), acc_dtype(0))
        return np.full((1,) * x.ndim, total, dtype=x.dtype)
    out = x
    for axis in sorted(axes, reverse=True):
        shape = out.shape
        outer, inner = prod(shape[:axis]), prod(shape[axis + 1 :])
        acc = np.zeros((outer, inner), dtype=acc_dtype)
        K.sum_middle(_c(out).reshape(outer, shape[axis], inner), acc)
        out = acc.astype(x.dtype, copy=False).reshape((*shape[:axis], 1, *shape[axis + 1 :]))
    return out


def sum_to_shape(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Undo broadcasting: sum `g` over the dims that broadcasting added or stretched."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = list(range(lead)) + [
        lead + i for i, size in enumerate(shape) if size == 1 and g.shape[lead + i] != 1
    ]
    return reduce_sum(g, axes).reshape(shape)


# Arrays handed to the @njit kernels: Numba types read-only arrays (np.broadcast_to's, as
# the reductions' vjps return) apart from writable ones, so those are copied too.


def _c(a: np.ndarray) -> np.ndarray:
    """`a` C-contiguous and writable, copied only if it is not already."""
    if a.flags.c_contiguous and a.flags.writeable:
        return a
    return np.array(a, order="C", copy=True)


def _blas(a: np.ndarray) -> np.ndarray:
    """`a` as BLAS takes it: C- or Fortran-contiguous, and writable."""
    if (a.flags.c_contiguous or a.flags.f_contiguous) and a.flags.writeable:
        return a
    return np.array(a, order="C", copy=True)


def _numel_scale(node, dtype) -> np.ndarray:
    """1/N for a mean reduction over the N elementwise losses, 1 otherwise."""
    first, second = node.inputs[0].shape, node.inputs[1].shape
    shape = first if first == second else np.broadcast_shapes(first, second)
    n = prod(shape) if node.attrs["reduction"] == "mean" else 1
    return np.asarray(1.0 / max(n, 1) if n else np.nan, dtype=dtype)


def _reduce(losses: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return losses
    total = K.sum_all(_c(losses).reshape(-1), 0.0)
    if reduction == "mean":
        total = total / losses.size if losses.size else np.nan
    return np.asarray(total, dtype=losses.dtype)


# ---------------------------------------------------------------- elementwise binary


def _needs(node, i: int, grad: Callable[[], np.ndarray]) -> np.ndarray | None:
    return grad() if node.needs[i] else None


def _times_alpha(g: np.ndarray, alpha) -> np.ndarray:
    """g alpha, or g itself for alpha 1 (torch's maybe_multiply)."""
    return g if alpha == 1 else K.mul(g, _scalar(alpha, g.dtype))


def _add_scaled(a: np.ndarray, b: np.ndarray, alpha) -> np.ndarray:
    """a + alpha b: a plain sum for alpha 1, else one fused multiply-add in a's dtype."""
    return K.add(a, b) if alpha == 1 else K.add_scaled(a, b, _scalar(alpha, a.dtype))


@_op("add", lambda n, g: (g, _needs(n, 1, lambda: _times_alpha(g, n.attrs["alpha"]))))
def add(a, b, alpha=1, scalar_overload=False):  # scalar_overload names the node only
    if a.dtype == np.bool_:  # True + True is 2 before it is True again; alpha is a bool
        a, b, alpha = a.astype(np.int64), b.astype(np.int64), bool(alpha)
    return _add_scaled(a, b, alpha)


@_op("sub", lambda n, g: (g, _needs(n, 1, lambda: _times_alpha(K.neg(g), n.attrs["alpha"]))))
def sub(a, b, alpha=1, scalar_overload=False):  # scalar_overload names the node only
    return K.sub(a, b) if alpha == 1 else _add_scaled(a, b, -alpha)


@_op("rsub", lambda n, g: (_needs(n, 0, lambda: _times_alpha(K.neg(g), n.attrs["alpha"])), g))
def rsub(a, b, alpha=1):
    return K.sub(b, a) if alpha == 1 else _add_scaled(b, a, -alpha)


@_op(
    "mul",
    lambda n, g: (
        _needs(n, 0, lambda: K.mul(g, n.saved["other"])),
        _needs(n, 1, lambda: K.mul(g, n.saved["self"])),
    ),
)
def mul(a, b, scalar_overload=False):  # scalar_overload names the node only
    return K.mul(a, b)


def _div_vjp(n, g):
    if n.attrs.get("rounding_mode"):
        return (_needs(n, 0, lambda: np.zeros_like(g)), _needs(n, 1, lambda: np.zeros_like(g)))
    return (
        _needs(n, 0, lambda: K.div(g, n.saved["other"])),
        _needs(n, 1, lambda: K.div_backward_other(g, n.saved["self"], n.saved["other"])),
    )


def _check_integer_divisor(a, b) -> None:
    """torch's error for an integer division by zero."""
    if a.dtype.kind == "i" and np.size(a) and np.size(b) and not np.all(b):
        raise ComputeError("ZeroDivisionError")


def _floor_quotient(a, b):
    """floor(a / b) as torch's div_floor: Python's // (NumPy's floor_divide is CPython's
    algorithm, a / b for b = 0); an integer -1 divisor negates, wrapping as torch's."""
    _check_integer_divisor(a, b)
    if a.dtype.kind == "i":
        return np.where(b == -1, -a, np.floor_divide(a, np.where(b == -1, 1, b)))
    return np.floor_divide(a, b)


def _trunc_quotient(a, b):
    """trunc(a / b) as torch's div_trunc: C's integer division, or trunc of the float
    quotient."""
    if a.dtype.kind != "i":
        return np.trunc(K.div(a, b))
    floored = _floor_quotient(a, b)
    inexact = (a != floored * b) & ((a < 0) != (b < 0))
    return floored + inexact.astype(floored.dtype)


_ROUNDED_QUOTIENTS = {"floor": _floor_quotient, "trunc": _trunc_quotient}


@_op("div", _div_vjp)
def div(a, b, scalar_overload=False, rounding_mode=""):  # scalar_overload names the node only
    if rounding_mode:
        return _ROUNDED_QUOTIENTS[rounding_mode](a, b)
    return K.div(a, b)


def _floor_divide_vjp(n, g):
    raise ComputeError("derivative for aten::floor_divide is not implemented")


_op("floor_divide", _floor_divide_vjp)(_floor_quotient)


# Comparisons: NumPy's own SIMD loops, on inputs already in the promoted dtype; a bool
# result never requires grad, so there is no vjp to run.
for _name, _compare in {
    "eq": np.equal,
    "ne": np.not_equal,
    "lt": np.less,
    "le": np.less_equal,
    "gt": np.greater,
    "ge": np.greater_equal,
}.items():
    _op(_name, lambda n, g: (None, None))(_compare)


# Rounding: NumPy's own loops (exact, -0.0 kept); the gradient is 0, or g itself for frac.
# An integer input is returned as a copy, as torch's are.
def _rounding(function: Callable) -> Callable:
    return lambda x, **attrs: x.copy() if x.dtype.kind in "ib" else function(x, **attrs)


def _round(x, decimals=None):
    """rint(x), or rint(x 10^d) / 10^d (rint(x / 10^-d) 10^-d for d < 0) in x's dtype, as
    torch rounds to decimals."""
    if not decimals:
        return np.rint(x)
    scale = x.dtype.type(10.0 ** abs(decimals))
    return np.rint(x * scale) / scale if decimals > 0 else np.rint(x / scale) * scale


def _sign(x):
    """1, 0 or -1 (0 for nan and for -0.0, as torch's sign); a bool as it is."""
    if x.dtype.kind == "b":
        return x.copy()
    return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)


for _name, _function in {
    "floor": _rounding(np.floor),
    "ceil": _rounding(np.ceil),
    "trunc": _rounding(np.trunc),
    "round": _rounding(_round),
    "sign": _sign,
}.items():
    _op(_name, lambda n, g: (np.zeros_like(g),))(_function)
_op("frac", lambda n, g: (g,))(lambda x: x - np.trunc(x))

# The floating-point predicates: NumPy's loops; integers and bools are always finite.
for _name, _predicate in {"isnan": np.isnan, "isinf": np.isinf, "isfinite": np.isfinite}.items():
    _op(_name, lambda n, g: (None,), own_dtype=("self",))(_predicate)

# ---- logit, sinc, nan_to_num, signbit, logaddexp


def _logit(x, eps):
    if eps is not None:
        x = np.clip(x, x.dtype.type(eps), x.dtype.type(1 - eps))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(x / (1 - x))


def _logit_vjp(n, g):
    x, eps = n.saved["self"], n.attrs["eps"]
    with np.errstate(divide="ignore", invalid="ignore"):
        grad = g / (x * (1 - x))
    if eps is None:
        return (np.where((x < 0) | (x > 1), x.dtype.type(np.nan), grad),)
    return (np.where((x < eps) | (x > 1 - eps), x.dtype.type(0), grad),)


_op("logit", _logit_vjp)(_logit)


def _sinc(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        pi_x = x * x.dtype.type(np.pi)
        return np.where(x == 0, x.dtype.type(1), np.sin(pi_x) / pi_x)


def _sinc_vjp(n, g):
    x = n.saved["self"]
    pi = x.dtype.type(np.pi)
    with np.errstate(divide="ignore", invalid="ignore"):
        grad = (pi * x * np.cos(pi * x) - np.sin(pi * x)) / (pi * x * x)
    return (g * np.where(x == 0, x.dtype.type(0), grad),)


_op("sinc", _sinc_vjp)(_sinc)


@_op("nan_to_num", lambda n, g: (g * np.isfinite(n.saved["self"]),))
def nan_to_num(x, nan, posinf, neginf):
    if x.dtype.kind != "f":
        return np.array(x, copy=True)
    return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


_op("signbit", lambda n, g: (None,))(
    lambda x: np.zeros(x.shape, bool) if x.dtype.kind == "b" else np.signbit(x)
)


def _logaddexp_vjp(n, g):
    a, b = n.saved["self"], n.saved["other"]
    with np.errstate(over="ignore", invalid="ignore"):
        return (
            _needs(n, 0, lambda: g / (1 + np.exp(b - a))),
            _needs(n, 1, lambda: g / (1 + np.exp(a - b))),
        )


_op("logaddexp", _logaddexp_vjp)(np.logaddexp)


# ---- the special functions (their Numba kernels evaluate in float64 and round once) and
# the floating-point helpers of two; the gradients are torch's derivatives.yaml formulas


def _polygamma_of(x: np.ndarray, n: int, in_place: bool = False) -> np.ndarray:
    return K.polygamma(x, x.dtype.type(n))


def _constant_like(x: np.ndarray, value: float):
    return x.dtype.type(value)


_op("erfc", lambda n, g: (K.neg(K.erf_backward(g, n.saved["self"])),))(K.erfc)
_op(
    "erfinv",
    lambda n, g: (
        g
        * _constant_like(g, 0.5 * math.sqrt(math.pi))
        * np.exp(np.square(K.erfinv(n.saved["self"]))),
    ),
)(K.erfinv)
_op("exp2", lambda n, g: (g * (n.saved["result"] * _constant_like(g, math.log(2))),))(np.exp2)
_op("lgamma", lambda n, g: (g * K.digamma(n.saved["self"]),))(K.lgamma)
_op("digamma", lambda n, g: (g * _polygamma_of(n.saved["self"], 1),))(K.digamma)
_op(
    "polygamma",
    lambda n, g: (g * _polygamma_of(n.saved["self"], n.attrs["n"] + 1),),
)(_polygamma_of)
_op("i0", lambda n, g: (g * K.i1(n.saved["self"]),))(K.i0)
for _name, _factor in (("deg2rad", math.pi / 180), ("rad2deg", 180 / math.pi)):
    _op(_name, lambda n, g, factor=_factor: (g * _constant_like(g, factor),))(
        lambda x, factor=_factor: x * _constant_like(x, factor)
    )


def _mvlgamma_terms(x: np.ndarray, p: int, kernel) -> np.ndarray:
    """Σⱼ kernel(x - j/2) over j = p-1, ..., 0, as torch sums its arange(-p/2 + 1/2, 1/2)."""
    total = np.zeros_like(x)
    for j in range(p - 1, -1, -1):
        total += kernel(x - _constant_like(x, j / 2))
    return total


@_op(
    "mvlgamma",
    lambda n, g: (g * _mvlgamma_terms(n.saved["self"], n.attrs["p"], K.digamma),),
)
def mvlgamma(x, p):
    return _mvlgamma_terms(x, p, K.lgamma) + _constant_like(x, p * (p - 1) * math.log(math.pi) / 4)


_op("sgn", lambda n, g: (np.zeros_like(g),))(_sign)
_op("isposinf", lambda n, g: (None,), own_dtype=("self",))(
    lambda x: np.isposinf(x) if x.dtype.kind == "f" else np.zeros(x.shape, bool)
)
_op("isneginf", lambda n, g: (None,), own_dtype=("self",))(
    lambda x: np.isneginf(x) if x.dtype.kind == "f" else np.zeros(x.shape, bool)
)
_op(
    "special_ndtri",
    lambda n, g: (
        g
        * _constant_like(g, math.sqrt(2 * math.pi))
        * np.exp(np.square(n.saved["result"]) / _constant_like(g, 2)),
    ),
)(K.ndtri)
_op(
    "special_log_ndtr",
    lambda n, g: (
        g
        / _constant_like(g, math.sqrt(2 * math.pi))
        * np.exp(-(n.saved["result"] + np.square(n.saved["self"]) / _constant_like(g, 2))),
    ),
)(K.log_ndtr)
_op(
    "special_i0e",
    lambda n, g: (g * (K.i1e(n.saved["self"]) - _sign(n.saved["self"]) * n.saved["result"]),),
)(K.i0e)


def _bessel_i1_vjp(scaled: bool):
    """i1's or i1e's gradient: i0(x) - result / x, or i0e(x) - result (sgn(x) + 1/x), and
    1/2 where |x| is at most the dtype's epsilon, as torch's i1_backward and i1e_backward."""

    def vjp(n, g):
        x, result = n.saved["self"], n.saved["result"]
        epsilon = np.finfo(x.dtype).eps
        not_tiny = np.abs(x) > epsilon
        safe = np.where(not_tiny, x, x.dtype.type(epsilon))
        if scaled:
            slope = K.i0e(safe) - result * (_sign(safe) + 1 / safe)
        else:
            slope = K.i0(safe) - result / safe
        return (g * np.where(not_tiny, slope, x.dtype.type(0.5)),)

    return vjp


_op("special_i1", _bessel_i1_vjp(scaled=False))(K.i1)
_op("special_i1e", _bessel_i1_vjp(scaled=True))(K.i1e)


_op(
    "special_erfcx",
    lambda n, g: (
        g
        * (
            _constant_like(g, 2) * n.saved["self"] * n.saved["result"]
            - _constant_like(g, 2 / math.sqrt(math.pi))
        ),
    ),
)(K.erfcx)
for _name in (
    "bessel_j0",
    "bessel_j1",
    "bessel_y0",
    "bessel_y1",
    "modified_bessel_i0",
    "modified_bessel_i1",
    "modified_bessel_k0",
    "modified_bessel_k1",
    "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1",
    "spherical_bessel_j0",
    "airy_ai",
):
    _op(f"special_{_name}", lambda n, g: (None,))(getattr(K, _name))
for _name in (
    "chebyshev_polynomial_t",
    "chebyshev_polynomial_u",
    "chebyshev_polynomial_v",
    "chebyshev_polynomial_w",
    "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w",
    "hermite_polynomial_h",
    "hermite_polynomial_he",
    "laguerre_polynomial_l",
    "legendre_polynomial_p",
):
    _op(f"special_{_name}", lambda n, g: (None, None))(getattr(K, _name))


def _not_implemented(name: str):
    """torch's not_implemented(name) derivative: the error, raised when it is needed."""
    raise Unsupported(f"the derivative for '{name}' is not implemented.")


def _zeta_vjp(n, g):
    s = np.asarray(n.saved["self"], g.dtype)
    return (
        _needs(n, 0, lambda: _not_implemented("zeta")),
        _needs(n, 1, lambda: g * -s * K.zeta(s + _constant_like(g, 1), n.saved["other"])),
    )


_op("special_zeta", _zeta_vjp)(K.zeta)


def _igamma_vjp(name: str, sign: int):
    """igamma's or igammac's gradient: ±g x^(a-1) e^-x / Γ(a) for x (other); none for a."""

    def vjp(n, g):
        a = np.asarray(n.saved["self"], g.dtype)
        x = np.asarray(n.saved["other"], g.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):
            density = np.exp((a - _constant_like(g, 1)) * np.log(x) - x - K.lgamma(a))
        return (
            _needs(n, 0, lambda: _not_implemented(f"{name}: input")),
            _needs(n, 1, lambda: g * density if sign > 0 else -(g * density)),
        )

    return vjp


_op("igamma", _igamma_vjp("igamma", 1))(K.igamma)
_op("igammac", _igamma_vjp("igammac", -1))(K.igammac)


def _entr_vjp(n, g):
    with np.errstate(divide="ignore", invalid="ignore"):
        return (g * -(1 + np.log(n.saved["self"])),)


_op("special_entr", _entr_vjp)(K.entr)


def _frexp_vjp(n, g):
    _, exponent = np.frexp(n.saved["self"])
    return (g / np.exp2(exponent.astype(g.dtype)),)


_op("frexp", _frexp_vjp)(lambda x: np.frexp(x)[0])
_op("frexp_exponent", lambda n, g: (None,))(lambda x: np.frexp(x)[1].astype(np.int32))


def _logaddexp2_vjp(n, g):
    a, b = n.saved["self"], n.saved["other"]
    one = _constant_like(g, 1)
    with np.errstate(over="ignore", invalid="ignore"):
        return (
            _needs(n, 0, lambda: g / (one + np.exp2(b - a))),
            _needs(n, 1, lambda: g / (one + np.exp2(a - b))),
        )


_op("logaddexp2", _logaddexp2_vjp)(np.logaddexp2)


def _nan_ignoring_extreme_vjp(compare: np.ufunc):
    """fmax's (`compare` >=) or fmin's (<=) gradient: to self where self compares true
    against other or other is nan, else to other."""

    def vjp(n, g):
        a, b = n.saved["self"], n.saved["other"]
        to_self = compare(a, b) | np.isnan(b) if b.dtype.kind == "f" else compare(a, b)
        zero = g.dtype.type(0)
        return (
            _needs(n, 0, lambda: np.where(to_self, g, zero)),
            _needs(n, 1, lambda: np.where(to_self, zero, g)),
        )

    return vjp


_op("fmax", _nan_ignoring_extreme_vjp(np.greater_equal))(np.fmax)
_op("fmin", _nan_ignoring_extreme_vjp(np.less_equal))(np.fmin)


def _copysign_vjp(n, g):
    x, result = n.saved["self"], n.saved["result"]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(x == 0, x.dtype.type(0), result / x)
    return (_needs(n, 0, lambda: g * ratio), _needs(n, 1, lambda: np.zeros_like(g)))


_op("copysign", _copysign_vjp)(np.copysign)


def _nextafter_vjp(n, g):
    """torch's NextafterBackward0: g to self where self != other (0 where they are equal),
    zeros to other."""
    a, b = n.saved["self"], n.saved["other"]
    return (
        _needs(n, 0, lambda: np.where(a != b, g, g.dtype.type(0))),
        _needs(n, 1, lambda: np.zeros_like(g)),
    )


_op("nextafter", _nextafter_vjp)(np.nextafter)


def _ldexp_power(x: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    """2^exponent, in exponent's floating dtype (x's, the result's, for integers and
    bools), as x's dtype."""
    if exponent.dtype.kind != "f":
        exponent = exponent.astype(x.dtype)
    return np.exp2(exponent).astype(x.dtype, copy=False)


def _ldexp_vjp(n, g):
    """g 2^other and g self ln 2 2^other, as torch's LdexpBackward0 computes them: there
    2^other of an integer other is an integer power (0 for a negative exponent, 0 from 64
    on, as int64 wraps)."""
    x, exponent = n.saved["self"], n.saved["other"]
    if exponent.dtype.kind == "f":
        power = _ldexp_power(g, exponent)
    else:
        shift = np.clip(exponent.astype(np.int64), 0, 63)
        power = np.where((exponent < 0) | (exponent >= 64), 0, np.left_shift(1, shift))
        power = power.astype(g.dtype)
    return (
        _needs(n, 0, lambda: g * power),
        _needs(n, 1, lambda: g * x.astype(g.dtype) * _constant_like(g, math.log(2)) * power),
    )


_op("ldexp", _ldexp_vjp, own_dtype=("other",))(lambda x, e: x * _ldexp_power(x, e))
_op("gcd", lambda n, g: (None, None))(np.gcd)
_op("lcm", lambda n, g: (None, None))(np.lcm)
_op(
    "special_xlog1py",
    lambda n, g: (
        _needs(n, 0, lambda: K.xlog1py_backward_self(g, n.saved["self"], n.saved["other"])),
        _needs(n, 1, lambda: g * n.saved["self"] / (n.saved["other"] + _constant_like(g, 1))),
    ),
)(K.xlog1py)


# Logical and bitwise ops: NumPy's own loops; their bool and int64 results never require
# grad, so there is no vjp to run. The logical ones take their inputs in the promoted dtype
# (logical_not in its own), the bitwise ones in the result's.
for _name, _function in {
    "logical_and": np.logical_and,
    "logical_or": np.logical_or,
    "logical_xor": np.logical_xor,
    "bitwise_and": np.bitwise_and,
    "bitwise_or": np.bitwise_or,
    "bitwise_xor": np.bitwise_xor,
    "bitwise_left_shift": np.left_shift,  # NumPy's shifts are C's made total, as c10's
    "bitwise_right_shift": np.right_shift,
}.items():
    _op(_name, lambda n, g: (None, None))(_function)
_op("logical_not", lambda n, g: (None,), own_dtype=("self",))(np.logical_not)
_op("bitwise_not", lambda n, g: (None,))(np.invert)


@_op("isclose", lambda n, g: (None, None))
def isclose(a, b, rtol, atol, equal_nan):
    """a == b (nan == nan too with equal_nan), or |a - b| <= atol + rtol |b| where |a - b| is
    finite, computed as torch's: the tolerance in the inputs' dtype (the default float dtype
    for integers, whose difference is compared in it, and for bools, converted first); none
    when both tolerances are 0."""
    close = a == b
    if equal_nan and a.dtype.kind == "f":
        close |= np.isnan(a) & np.isnan(b)
    if rtol == 0 and atol == 0:
        return close
    default = NUMPY_DTYPES[rules.default_float()].type
    if a.dtype.kind == "b":
        a, b = a.astype(default), b.astype(default)
    tolerance = a.dtype.type if a.dtype.kind == "f" else default
    allowed = tolerance(atol) + np.abs(tolerance(rtol) * b.astype(tolerance))
    actual = np.abs(a - b)
    return close | (np.isfinite(actual) & (actual.astype(tolerance) <= allowed))


def _extreme_of_two_vjp(smaller: bool):
    """The vjp of maximum, or of minimum (`smaller`), which is maximum's with the operands'
    roles swapped."""

    def vjp(n, g):
        x, y = n.saved["self"], n.saved["other"]
        first, second = (y, x) if smaller else (x, y)
        return (
            _needs(n, 0, lambda: K.larger_backward(g, first, second)),
            _needs(n, 1, lambda: K.larger_backward(g, second, first)),
        )

    return vjp


_op("maximum", _extreme_of_two_vjp(smaller=False))(K.maximum)
_op("minimum", _extreme_of_two_vjp(smaller=True))(K.minimum)


# atan2, hypot, remainder, fmod, xlogy, lerp: their torch derivatives, in torch's order


def _atan2_vjp(n, g):
    a, b = n.saved["self"], n.saved["other"]
    return (
        _needs(n, 0, lambda: K.atan2_backward(g, b, a, b)),
        _needs(n, 1, lambda: K.atan2_backward(g, K.neg(a), a, b)),
    )


_op("atan2", _atan2_vjp)(K.atan2)
_op(
    "hypot",
    lambda n, g: (
        _needs(n, 0, lambda: K.div(K.mul(g, n.saved["self"]), n.saved["result"])),
        _needs(n, 1, lambda: K.div(K.mul(g, n.saved["other"]), n.saved["result"])),
    ),
)(K.hypot)


def _heaviside_vjp(n, g):
    raise ComputeError("derivative for aten::heaviside is not implemented")


@_op("heaviside", _heaviside_vjp)
def heaviside(x, values):
    """values where x == 0, else whether x > 0, in x's dtype."""
    return np.where(x == 0, values, x > 0).astype(x.dtype, copy=False)


def _modulo(name: str, kernel: np.ufunc, quotient_backward: np.ufunc) -> None:
    """remainder or fmod: the kernel, refusing an integer division by zero as torch's; the
    gradient g for self, -g rounded(self / other) for a tensor other."""

    def forward(a, b):
        _check_integer_divisor(a, b)
        return kernel(a, b)

    def vjp(n, g):
        if n.inputs[0] is None:  # a number self: torch's NotImplemented node
            raise ComputeError(f"derivative for aten::{name} is not implemented")
        return (
            _needs(n, 0, lambda: g),
            _needs(n, 1, lambda: quotient_backward(g, n.saved["self"], n.saved["other"])),
        )

    _op(name, vjp)(forward)


_modulo("remainder", K.remainder, K.floor_divide_backward)
_modulo("fmod", K.fmod, K.trunc_divide_backward)
_op(
    "xlogy",
    lambda n, g: (
        _needs(n, 0, lambda: K.xlogy_backward_self(g, n.saved["self"], n.saved["other"])),
        _needs(n, 1, lambda: K.div(K.mul(g, n.saved["self"]), n.saved["other"])),
    ),
)(K.xlogy)


def _lerp_vjp(n, g):
    """LerpBackward0: g (1 - weight) with 1 - weight in float64, then in g's dtype, as torch's
    weight.toDouble(); g weight."""
    weight = n.attrs["weight"]
    return (
        _needs(n, 0, lambda: K.mul(g, g.dtype.type(1 - float(weight)))),
        _needs(n, 1, lambda: K.mul(g, g.dtype.type(weight))),
    )


_op("lerp", _lerp_vjp)(lambda a, b, weight: K.lerp(a, b, a.dtype.type(weight)))


def _lerp_tensor_vjp(n, g):
    x, end, weight = n.saved["self"], n.saved["end"], n.saved["weight"]
    return (
        _needs(n, 0, lambda: K.mul(g, K.sub(weight.dtype.type(1), weight))),
        _needs(n, 1, lambda: K.mul(g, weight)),
        _needs(n, 2, lambda: K.mul(g, K.sub(end, x))),
    )


_op("lerp_tensor", _lerp_tensor_vjp)(K.lerp)


def _addcmul_vjp(n, g):
    """g; g (tensor2 value); g (tensor1 value), as torch's."""
    value = g.dtype.type(n.attrs["value"])
    return (
        g,
        _needs(n, 1, lambda: K.mul(g, K.mul(n.saved["tensor2"], value))),
        _needs(n, 2, lambda: K.mul(g, K.mul(n.saved["tensor1"], value))),
    )


def _addcdiv_vjp(n, g):
    """g; g (value / tensor2); -g value tensor1 / (tensor2 tensor2), as torch's."""
    value = g.dtype.type(n.attrs["value"])
    b = n.saved["tensor2"]
    return (
        g,
        _needs(n, 1, lambda: K.mul(g, K.div(value, b))),
        _needs(n, 2, lambda: K.div(K.mul(K.mul(K.neg(g), value), n.saved["tensor1"]), K.mul(b, b))),
    )


_op("addcmul", _addcmul_vjp)(lambda x, a, b, value: K.addcmul(x, a, b, x.dtype.type(value)))
_op("addcdiv", _addcdiv_vjp)(lambda x, a, b, value: K.addcdiv(x, a, b, x.dtype.type(value)))


def _bounds(dtype: np.dtype, lower, upper) -> tuple:
    """clamp's bounds in `dtype`, an absent one as the dtype's extreme."""
    if dtype.kind == "f":
        low, high = -np.inf, np.inf
    else:
        low, high = np.iinfo(dtype).min, np.iinfo(dtype).max
    return (
        dtype.type(low if lower is None else lower),
        dtype.type(high if upper is None else upper),
    )


def _clamp_vjp(n, g):
    return (
        K.clamp_backward(
            g, n.saved["self"], *_bounds(g.dtype, n.attrs.get("min"), n.attrs.get("max"))
        ),
    )


for _clamp in ("clamp", "clamp_min", "clamp_max"):
    _op(_clamp, _clamp_vjp)(lambda x, min=None, max=None: K.clamp(x, *_bounds(x.dtype, min, max)))


def _pow_number(x: np.ndarray, e: float) -> np.ndarray:
    """x ** e for a float tensor and a Python-number exponent, as torch's pow.Tensor_Scalar
    computes it: shortcuts for e in {0, 1, 0.5, -0.5, -1, 2, 3, -2} (which differ from pow()
    at ±inf, at -0 and in rounding), pow() otherwise."""
    shortcuts = {
        0.0: lambda: np.ones_like(x),
        1.0: lambda: np.array(x, copy=True),
        0.5: lambda: K.sqrt(x),
        -0.5: lambda: K.reciprocal(K.sqrt(x)),
        -1.0: lambda: K.reciprocal(x),
        2.0: lambda: K.mul(x, x),
        3.0: lambda: K.mul(K.mul(x, x), x),
        -2.0: lambda: K.reciprocal(K.mul(x, x)),
    }
    shortcut = shortcuts.get(e)
    return shortcut() if shortcut else K.pow_(x, x.dtype.type(e))


def _pow_vjp(n, g):
    x, e = n.saved["self"], n.saved["other"]

    def grad_base():
        if n.inputs[1] is not None:  # a tensor exponent (PowBackward1)
            return K.pow_backward_base(g, x, e)
        # a number exponent (PowBackward0): 0 for e = 0, else g e x^(e-1), with x^(e-1) as
        # pow.Tensor_Scalar computes it
        if e == 0:
            return np.zeros_like(x)
        return K.mul(g, K.mul(e, _pow_number(x, float(e) - 1)))

    return (
        _needs(n, 0, grad_base),
        _needs(n, 1, lambda: K.pow_backward_exponent(g, x, n.saved["result"])),
    )


@_op("pow", _pow_vjp)
def pow_(a, b):
    if a.dtype.kind == "i":  # (the rule refuses a negative number exponent)
        return K.int_pow(a, b)
    if isinstance(b, np.generic) and isinstance(a, np.ndarray):
        return _pow_number(a, float(b))
    return K.pow_(a, b)


# ---------------------------------------------------------------- elementwise unary

_op("neg", lambda n, g: (K.neg(g),))(K.neg)
_op("exp", lambda n, g: (K.mul(g, n.saved["result"]),))(K.exp)
_op("log", lambda n, g: (K.div(g, n.saved["self"]),))(K.log)
_op("sqrt", lambda n, g: (K.sqrt_backward(g, n.saved["result"]),))(K.sqrt)
_op("abs", lambda n, g: (K.abs_backward(g, n.saved["self"]),))(K.abs_)
_op("relu", lambda n, g: (K.relu_backward(g, n.saved["result"]),))(K.relu)
_op("sigmoid", lambda n, g: (K.sigmoid_backward(g, n.saved["result"]),))(K.sigmoid)
_op("tanh", lambda n, g: (K.tanh_backward(g, n.saved["result"]),))(K.tanh)
_op("reciprocal", lambda n, g: (K.reciprocal_backward(g, n.saved["result"]),))(K.reciprocal)
_op("sin", lambda n, g: (K.sin_backward(g, n.saved["self"]),))(K.sin)
_op("cos", lambda n, g: (K.cos_backward(g, n.saved["self"]),))(K.cos)
for _name, _reads in (
    *((name, "self") for name in ("log1p", "log2", "log10", "erf", "asin", "acos", "atan")),
    *((name, "self") for name in ("sinh", "cosh")),
    *((name, "result") for name in ("expm1", "tan", "rsqrt")),
):
    _backward = getattr(K, f"{_name}_backward")
    _op(_name, lambda n, g, backward=_backward, reads=_reads: (backward(g, n.saved[reads]),))(
        getattr(K, _name)
    )


def _register_without_in_place_derivative(name: str) -> None:
    """asinh, acosh or atanh, whose in-place nodes' backward is torch's refusal."""
    forward, backward = getattr(K, name), getattr(K, f"{name}_backward")

    def vjp(n, g):
        if n.attrs["in_place"]:
            raise Unsupported(f"the derivative for 'inplace version of {name}' is not implemented.")
        return (backward(g, n.saved["self"]),)

    _op(name, vjp)(lambda x, in_place: forward(x))


for _name in rules.UNARY_WITHOUT_IN_PLACE_DERIVATIVE:
    _register_without_in_place_derivative(_name)


# ---------------------------------------------------------------- activations


def _saved_x(n) -> np.ndarray:
    """What an activation's backward reads: x, or the result for torch's in-place form."""
    return n.saved["result"] if n.attrs.get("self_is_result") else n.saved["self"]


def _refuse_in_place_slope(n, op: str) -> None:
    error = rules.in_place_slope_error(op, n.attrs)
    if error:
        raise ComputeError(error)


def _leaky_relu_vjp(n, g):
    _refuse_in_place_slope(n, "leaky_relu")
    return (K.leaky_relu_backward(g, _saved_x(n), g.dtype.type(n.attrs["negative_slope"])),)


@_op("leaky_relu", _leaky_relu_vjp)
def leaky_relu(x, negative_slope, self_is_result):
    return K.leaky_relu(x, x.dtype.type(negative_slope))


def _elu_coefficients(dtype: np.dtype, alpha: float, scale: float, input_scale: float):
    """torch's (negcoef, poscoef, negiptcoef): alpha scale, scale and input_scale in the
    computing dtype, the product rounded there."""
    return dtype.type(alpha) * dtype.type(scale), dtype.type(scale), dtype.type(input_scale)


def _elu_backward(n, g, coefficients):
    _refuse_in_place_slope(n, "elu")
    kernel = K.elu_backward_of_result if n.attrs.get("self_is_result") else K.elu_backward
    return (kernel(g, _saved_x(n), *coefficients),)


def _elu_vjp(n, g):
    a = n.attrs
    return _elu_backward(n, g, _elu_coefficients(g.dtype, a["alpha"], a["scale"], a["input_scale"]))


@_op("elu", _elu_vjp)
def elu(x, alpha, scale, input_scale, self_is_result):
    return K.elu(x, *_elu_coefficients(x.dtype, alpha, scale, input_scale))


def _celu_vjp(n, g):
    """torch's CeluBackward: elu_backward with input_scale 1 / alpha taken in float32."""
    alpha = n.attrs["alpha"]
    inverse = 1.0 / float(np.float32(alpha))
    return _elu_backward(n, g, _elu_coefficients(g.dtype, alpha, 1.0, inverse))


@_op("celu", _celu_vjp)
def celu(x, alpha, self_is_result):
    """elu(x, alpha, 1, 1 / alpha), 1 / alpha in float64."""
    return K.elu(x, *_elu_coefficients(x.dtype, alpha, 1.0, 1.0 / alpha))


_GELU = {"none": (K.gelu, K.gelu_backward), "tanh": (K.gelu_tanh, K.gelu_tanh_backward)}
_op("gelu", lambda n, g: (_GELU[n.attrs["approximate"]][1](g, n.saved["self"]),))(
    lambda x, approximate: _GELU[approximate][0](x)
)
_op("silu", lambda n, g: (K.silu_backward(g, n.saved["self"]),))(K.silu)


def _softplus_vjp(n, g):
    beta, threshold = (g.dtype.type(n.attrs[name]) for name in ("beta", "threshold"))
    return (K.softplus_backward(g, n.saved["self"], beta, threshold),)


@_op("softplus", _softplus_vjp)
def softplus(x, beta, threshold):
    return K.softplus(x, x.dtype.type(beta), x.dtype.type(threshold))


for _name in ("mish", "hardswish", "hardsigmoid", "log_sigmoid"):
    _forward, _backward = getattr(K, _name), getattr(K, f"{_name}_backward")
    _op(_name, lambda n, g, backward=_backward: (backward(g, n.saved["self"]),))(_forward)


def _shrink_vjp(n, g):
    return (K.shrink_backward(g, n.saved["self"], g.dtype.type(n.attrs["lambd"])),)


_op("hardshrink", _shrink_vjp)(lambda x, lambd: K.hardshrink(x, x.dtype.type(lambd)))
_op("softshrink", _shrink_vjp)(lambda x, lambd: K.softshrink(x, x.dtype.type(lambd)))


def _hardtanh_vjp(n, g):
    low, high = (_scalar(n.attrs[name], g.dtype) for name in ("min_val", "max_val"))
    return (K.hardtanh_backward(g, n.saved["self"], low, high),)


@_op("hardtanh", _hardtanh_vjp)
def hardtanh(x, min_val, max_val):
    """clamp(x, min_val, max_val) in x's dtype (an int64 x takes the bounds truncated)."""
    return K.clamp(x, _scalar(min_val, x.dtype), _scalar(max_val, x.dtype))


def _threshold_vjp(n, g):
    return (K.threshold_backward(g, n.saved["self"], _scalar(n.attrs["threshold"], g.dtype)),)


@_op("threshold", _threshold_vjp)
def threshold(x, threshold, value, in_place):
    """value where x <= threshold, both in x's dtype (an int64 x truncates them)."""
    return K.threshold(x, _scalar(threshold, x.dtype), _scalar(value, x.dtype))


def _prelu_kernel_vjp(n, g):
    x, w = n.saved["self"], n.saved["weight"]
    return (
        _needs(n, 0, lambda: K.prelu_backward_self(g, x, w)),
        _needs(n, 1, lambda: K.prelu_backward_weight(g, x)),
    )


_op("prelu_kernel", _prelu_kernel_vjp)(K.prelu)


def _trilinear_vjp(n, g):
    x1, w, x2 = n.saved["self"], n.saved["weight"], n.saved["other"]
    return (
        _needs(n, 0, lambda: np.einsum("bo,oij,bj->bi", g, w, x2, optimize=True)),
        _needs(n, 1, lambda: np.einsum("bo,bi,bj->oij", g, x1, x2, optimize=True)),
        _needs(n, 2, lambda: np.einsum("bo,oij,bi->bj", g, w, x1, optimize=True)),
    )


@_op("trilinear", _trilinear_vjp)
def trilinear(x1, w, x2):
    """Σ_ij x1[b, i] w[o, i, j] x2[b, j], through NumPy's einsum (BLAS contractions)."""
    return np.einsum("bi,oij,bj->bo", x1, w, x2, optimize=True)


def _rrelu_slope(attrs: dict, dtype) -> np.generic:
    return _scalar((attrs["lower"] + attrs["upper"]) / 2, dtype)


def _rrelu_with_noise_vjp(n, g):
    if n.attrs["training"]:
        return (K.mul(g, n.saved["noise"]), None)
    return (K.leaky_relu_backward(g, _saved_x(n), _rrelu_slope(n.attrs, g.dtype)), None)


@_op("rrelu_with_noise", _rrelu_with_noise_vjp)
def rrelu_with_noise(x, noise, lower, upper, training, self_is_result):
    """x noise in training; leaky_relu of slope (lower + upper) / 2 outside it."""
    if training:
        return K.mul(x, noise)
    return K.leaky_relu(x, _rrelu_slope({"lower": lower, "upper": upper}, x.dtype))


def _halves(x: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """The first and second halves of x along dim."""
    first, second = np.split(x, 2, axis=dim)
    return first, second


def _glu_vjp(n, g):
    dim = n.attrs["dim"] % g.ndim
    a, b = _halves(n.saved["self"], dim)
    return (np.concatenate([K.glu_backward_first(g, b), K.glu_backward_second(g, a, b)], dim),)


@_op("glu", _glu_vjp)
def glu(x, dim):
    return K.glu(*_halves(x, dim % x.ndim))


# ---------------------------------------------------------------- matrix products


def _column_major(meta) -> bool:
    """A 2-d input laid out column by column (a transposed view, as Linear's `weight.t()`)."""
    rows, columns = meta.shape if len(meta.shape) == 2 else (1, 1)
    return rows > 1 and columns > 1 and meta.strides == (1, rows)


def _mm_grad_first(g, second, meta):
    """d(first) = g @ secondᵀ, computed in `first`'s layout (as torch's mm_mat1_backward):
    a column-major input gets (second @ gᵀ)ᵀ, so the gradient that reaches its own storage
    through the transpose's backward is row-major and needs no copy."""
    if _column_major(meta):
        return K.mm(_blas(second), _blas(g.T)).T
    return K.mm(_blas(g), _blas(second.T))


def _mm_grad_second(first, g, meta):
    """d(second) = firstᵀ @ g, in `second`'s layout: (gᵀ @ first)ᵀ when column-major."""
    if _column_major(meta):
        return K.mm(_blas(g.T), _blas(first)).T
    return K.mm(_blas(first.T), _blas(g))


@_op(
    "mm",
    lambda n, g: (
        _needs(n, 0, lambda: _mm_grad_first(g, n.saved["other"], n.inputs[0])),
        _needs(n, 1, lambda: _mm_grad_second(n.saved["self"], g, n.inputs[1])),
    ),
)
def mm(a, b):
    if a.dtype.kind == "i":
        return K.mm_int(a, b)
    return K.mm(_blas(a), _blas(b))


@_op(
    "mv",
    lambda n, g: (
        _needs(n, 0, lambda: K.outer(_c(g), _c(n.saved["other"]))),
        _needs(n, 1, lambda: K.mv(_blas(n.saved["self"].T), _c(g))),
    ),
)
def mv(a, v):
    if a.dtype.kind == "i":
        return K.mm_int(a, v.reshape(-1, 1)).reshape(-1)
    return K.mv(_blas(a), _c(v))


@_op(
    "dot",
    lambda n, g: (
        _needs(n, 0, lambda: K.mul(g, n.saved["other"])),
        _needs(n, 1, lambda: K.mul(g, n.saved["self"])),
    ),
)
def dot(a, b):
    if a.dtype.kind == "i":
        return K.mm_int(a.reshape(1, -1), b.reshape(-1, 1)).reshape(())
    return np.asarray(K.dot(_c(a), _c(b)), dtype=a.dtype)


_op("vdot", OPS["dot"].vjp)(dot)


@_op(
    "bmm",
    lambda n, g: (
        _needs(n, 0, lambda: np.matmul(_c(g), _c(n.saved["other"]).transpose(0, 2, 1))),
        _needs(n, 1, lambda: np.matmul(_c(n.saved["self"]).transpose(0, 2, 1), _c(g))),
    ),
)
def bmm(a, b):
    return np.matmul(_c(a), _c(b))


# ---------------------------------------------------------------- views and shape ops


def _inverse_permutation(dims: Sequence[int]) -> list[int]:
    inverse = [0] * len(dims)
    for i, d in enumerate(dims):
        inverse[d % len(dims)] = i
    return inverse


def _back_to_input_shape(n, g):
    return (g.reshape(n.inputs[0].shape),)


_op("t", lambda n, g: (g.T,))(lambda x: x.T)
_op(
    "transpose",
    lambda n, g: (np.swapaxes(g, n.attrs["dim0"], n.attrs["dim1"]) if g.ndim else g,),
)(lambda x, dim0, dim1: np.swapaxes(x, dim0, dim1) if x.ndim else x)
_op("permute", lambda n, g: (np.transpose(g, _inverse_permutation(n.attrs["dims"])),))(
    lambda x, dims: np.transpose(x, [d % max(x.ndim, 1) for d in dims]) if x.ndim else x
)
for _name in ("view", "_reshape_alias", "_unsafe_view"):
    _op(_name, _back_to_input_shape)(lambda x, shape: x.reshape(shape))
_op("clone", lambda n, g: (g,))(lambda x: np.array(x, order="C", copy=True))
_op("unsqueeze", _back_to_input_shape)(lambda x, dim: np.expand_dims(x, dim % (x.ndim + 1)))


@_op("expand", lambda n, g: (sum_to_shape(g, n.inputs[0].shape),))
def expand(x, shape):
    """x's storage seen with `shape`: stride 0 along new and stretched dims (writable, as a
    view of x, so that fill_ and zero_ write into x)."""
    shape = rules.expanded_shape(x.shape, shape, x.dtype.name)
    strides = rules.expanded_strides(x.shape, x.strides, shape)
    return np.lib.stride_tricks.as_strided(x, shape, strides, writeable=x.flags.writeable)


def _on_axis(dim: int, ndim: int, index) -> tuple:
    """A NumPy index applying `index` (an int or a slice) to axis `dim` alone; the Ellipsis
    keeps a 0-d result a view, not a NumPy scalar."""
    return (slice(None),) * (dim % ndim) + (index, Ellipsis)


def _into_zeros(n, g: np.ndarray, index: tuple) -> tuple[np.ndarray]:
    """The gradient of a part of the input: zeros, with `g` where the part was."""
    grad = np.zeros(n.inputs[0].shape, g.dtype)
    grad[index] = g
    return (grad,)


def _select_vjp(n, g):
    return _into_zeros(n, g, _on_axis(n.attrs["dim"], len(n.inputs[0].shape), n.attrs["index"]))


def _slice_vjp(n, g):
    dim, start, end, step = (n.attrs[k] for k in ("dim", "start", "end", "step"))
    return _into_zeros(n, g, _on_axis(dim, len(n.inputs[0].shape), slice(start, end, step)))


_op("select", _select_vjp)(lambda x, dim, index: x[_on_axis(dim, x.ndim, index)])
_op("slice", _slice_vjp)(
    lambda x, dim, start, end, step: x[_on_axis(dim, x.ndim, slice(start, end, step))]
)
_op("unbind", _select_vjp)(lambda x, dim, index: x[_on_axis(dim, x.ndim, index)])
_op("unbind", _select_vjp)(lambda x, dim, index: x[_on_axis(dim, x.ndim, index)])


def _diagonal(x: np.ndarray, offset: int, dim1: int, dim2: int) -> np.ndarray:
    """The `offset`-th diagonal of `x` in dims `dim1` and `dim2`, as the last dim: a writable
    view of x (torch's diagonal is one, which in-place writes go through)."""
    dim1, dim2 = dim1 % x.ndim, dim2 % x.ndim
    shifted = dim2 if offset >= 0 else dim1
    start = x[_on_axis(shifted, x.ndim, slice(abs(offset), None))]
    length = max(min(start.shape[dim1], start.shape[dim2]), 0)
    kept = [d for d in range(x.ndim) if d not in (dim1, dim2)]
    return np.lib.stride_tricks.as_strided(
        start,
        (*(start.shape[d] for d in kept), length),
        (*(start.strides[d] for d in kept), start.strides[dim1] + start.strides[dim2]),
        writeable=x.flags.writeable,
    )


def _diagonal_vjp(n, g):
    grad = np.zeros(n.inputs[0].shape, g.dtype)
    _diagonal(grad, **n.attrs)[...] = g
    return (grad,)


_op("diagonal", _diagonal_vjp)(_diagonal)


def _scattered_part(part: Callable):
    """select_scatter's, slice_scatter's or diagonal_scatter's forward and vjp, given the
    writable view of an array's part that `part(array, **attrs)` names."""

    def forward(x, src, **attrs):
        out = np.array(x, copy=True)
        part(out, **attrs)[...] = src
        return out

    def vjp(n, g):
        def self_grad():
            grad = np.array(g, copy=True)
            part(grad, **n.attrs)[...] = 0
            return grad

        return (_needs(n, 0, self_grad), _needs(n, 1, lambda: np.array(part(g, **n.attrs))))

    return forward, vjp


def _selected_part(x, dim, index):
    return x[_on_axis(dim, x.ndim, index)]


def _sliced_part(x, dim, start, end, step):
    start, end = rules.slice_bounds(x.shape[dim % x.ndim], start, end)
    return x[_on_axis(dim, x.ndim, slice(start, end, step))]


def _diagonal_part(x, offset, dim1, dim2):
    return _diagonal(np.asarray(x), offset, dim1, dim2)


for _name, _part in (
    ("select_scatter", _selected_part),
    ("slice_scatter", _sliced_part),
    ("diagonal_scatter", _diagonal_part),
):
    _forward, _vjp = _scattered_part(_part)
    _op(_name, _vjp)(_forward)


@_op("isin", lambda n, g: (None, None))
def _isin(elements, test_elements, invert):
    return np.isin(elements, test_elements, invert=invert)


def _unfold(x: np.ndarray, dimension: int, size: int, step: int) -> np.ndarray:
    """x's windows as a writable view of x (torch's unfold is one)."""
    meta = rules.meta(x.shape, x.dtype.name)
    shape, _ = rules.unfold_layout(meta, {"dimension": dimension, "size": size, "step": step})
    if not x.ndim:
        return x.reshape(1)[:size]
    dim = dimension % x.ndim
    strides = list(x.strides)
    strides[dim] *= step
    return np.lib.stride_tricks.as_strided(
        x, shape, (*strides, x.strides[dim]), writeable=x.flags.writeable
    )


def _unfold_vjp(n, g):
    """Each window of g added back where it was taken (overlapping windows sum)."""
    shape = n.inputs[0].shape
    grad = np.zeros(shape, g.dtype)
    if not shape:
        return (g.sum(dtype=g.dtype).reshape(()),)
    dim, size, step = n.attrs["dimension"] % len(shape), n.attrs["size"], n.attrs["step"]
    moved = np.moveaxis(grad, dim, 0)
    windows = np.moveaxis(g, dim, 0)  # (windows, ..., size)
    for w in range(windows.shape[0]):
        moved[w * step : w * step + size] += np.moveaxis(windows[w], -1, 0)
    return (grad,)


_op("unfold", _unfold_vjp)(_unfold)


def _rot90(x, k, dims):
    """x rotated k quarter turns in the plane of `dims`: torch's flips, then for an odd k its
    transpose (a view of the flipped copy, torch's strides)."""
    k, dim0, dim1 = rules.rot90_dims(k, dims, x.ndim)
    if k == 0:
        return np.array(x, order="C", copy=True)
    if k == 2:
        return _flipped(x, (dim0, dim1))
    return np.swapaxes(_flipped(x, (dim1 if k == 1 else dim0,)), dim0, dim1)


_op("rot90", lambda n, g: (_rot90(g, -n.attrs["k"], n.attrs["dims"]),))(_rot90)

# ---- trace, diag_embed, diagonal_copy, linalg_cross, block_diag


def _trace_vjp(n, g):
    grad = np.zeros(n.inputs[0].shape, g.dtype)
    _diagonal(grad, 0, 0, 1)[...] = g
    return (grad,)


_op("trace", _trace_vjp)(lambda x: np.asarray(np.trace(x), x.dtype))


@_op("diag_embed", lambda n, g: (np.array(_diagonal(g, **n.attrs)),))
def diag_embed(x, offset, dim1, dim2):
    size = x.shape[-1] + abs(offset)
    shape = list(x.shape[:-1])
    ndim = x.ndim + 1
    for dim in sorted((dim1 % ndim, dim2 % ndim)):
        shape.insert(dim, size)
    out = np.zeros(shape, x.dtype)
    _diagonal(out, offset, dim1, dim2)[...] = x
    return out


_op("diagonal_copy", _diagonal_vjp)(lambda x, **attrs: np.array(_diagonal(x, **attrs)))


def _cross(a, b, dim):
    return np.ascontiguousarray(np.cross(a, b, axis=dim % max(a.ndim, b.ndim)))


def _linalg_cross_vjp(n, g):
    self, other = n.saved["self"], n.saved["other"]
    dim = n.attrs["dim"]
    return (
        _cross(other, g, dim) if n.needs[0] else None,
        _cross(g, self, dim) if n.needs[1] else None,
    )


_op("linalg_cross", _linalg_cross_vjp)(lambda a, b, dim: _cross(a, b, dim))


# ---- linear algebra: inv, det, slogdet, solve, cholesky, triangular and Cholesky solves
# (LAPACK through NumPy, vectorised over batches; per matrix through SciPy's LAPACK and BLAS
# wrappers where torch's result depends on LAPACK's info or BLAS's trsm)


def _mT(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


def _matrices(x: np.ndarray) -> np.ndarray:
    """The matrices of a batch as one (count, rows, columns) array."""
    return x.reshape(-1, *x.shape[-2:])


def _lapack(name: str, x: np.ndarray):
    from scipy.linalg import lapack

    return lapack.get_lapack_funcs((name,), (x,))[0]


def _infos(name: str, A: np.ndarray) -> np.ndarray:
    """LAPACK getrf's (LU) or potrf's (Cholesky, lower triangle) info of each matrix."""
    routine = _lapack(name, A)
    infos = [routine(m)[-1] for m in _matrices(A)] if A.size else []
    return np.array(infos, np.int32).reshape(A.shape[:-2])


def _raise_first_failure(A: np.ndarray, routine: str, message) -> None:
    """torch's LinAlgError for the first matrix whose LAPACK info is positive: "(Batch element
    k): " before `message(info)` when A is a batch."""
    infos = _infos(routine, A).reshape(-1)
    k = int(np.argmax(infos > 0))
    where = f"(Batch element {k}): " if A.ndim > 2 else ""
    raise LinAlgError(message(where, int(infos[k])))


def _singular_inverse(function: str):
    return lambda where, info: (
        f"{function}: {where}The diagonal element {info} is zero, the inversion could not be "
        "completed because the input matrix is singular."
    )


def _inv(A, check_errors=True, function=""):
    try:
        return np.linalg.inv(A)
    except np.linalg.LinAlgError:
        if check_errors:
            _raise_first_failure(A, "getrf", _singular_inverse(function or "linalg.inv"))
    getrf, getrs = _lapack("getrf", A), _lapack("getrs", A)
    out = np.empty_like(A)
    eye = np.eye(A.shape[-1], dtype=A.dtype)
    with np.errstate(all="ignore"):
        for m, o in zip(_matrices(A), _matrices(out), strict=True):
            lu, piv, _ = getrf(m)
            o[...] = getrs(lu, piv, eye)[0]
    return out


def _inv_vjp(n, g):
    inverse_h = _mT(n.saved["result"])
    return (-(inverse_h @ g @ inverse_h),)


_op("linalg_inv", _inv_vjp)(_inv)
_op("linalg_inv_info", lambda n, g: (None,))(lambda A: _infos("getrf", A))


def _cofactors(A: np.ndarray) -> np.ndarray:
    """det(A) A⁻ᵀ, defined for singular matrices too: U diag(Π_{j≠i} s_j) Vᵀ det(U Vᵀ)."""
    if A.shape[-1] == 0:
        return np.zeros_like(A)
    U, s, Vh = np.linalg.svd(A)
    others = np.stack([np.prod(np.delete(s, i, axis=-1), axis=-1) for i in range(s.shape[-1])], -1)
    sign = np.linalg.det(U) * np.linalg.det(Vh)
    return (sign[..., None, None] * (U * others[..., None, :]) @ Vh).astype(A.dtype)


def _inverse_or_nan(A: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(A)
    except np.linalg.LinAlgError:
        return _inv(A, check_errors=False)


_op("linalg_det", lambda n, g: (g[..., None, None] * _cofactors(n.saved["self"]),))(
    lambda A, function="": np.asarray(np.linalg.det(A), A.dtype)
)
_op(
    "linalg_slogdet",
    lambda n, g: (g[..., None, None] * _mT(_inverse_or_nan(n.saved["self"])),),
)(lambda A, function="": np.asarray(np.linalg.slogdet(A)[1], A.dtype))
_op("linalg_slogdet_sign", lambda n, g: (None,))(
    lambda A, function="": np.asarray(np.linalg.slogdet(A)[0], A.dtype)
)


def _is_vector_rhs(A: np.ndarray, B: np.ndarray) -> bool:
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])


def _solve(A, B, left=True, check_errors=True, function=""):
    """X by LAPACK's LU; a singular A, without `check_errors`, gives getrs's infs and nans."""
    vector = _is_vector_rhs(A, B)
    if vector:
        B = B[..., None]
    if not left:
        A, B = _mT(A), _mT(B)
    batch = np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    A = np.broadcast_to(A, (*batch, *A.shape[-2:]))
    B = np.broadcast_to(B, (*batch, *B.shape[-2:]))
    try:
        X = np.linalg.solve(A, B)
    except np.linalg.LinAlgError:
        if check_errors:
            _raise_first_failure(
                A,
                "getrf",
                lambda where, info: (
                    f"{function or 'torch.linalg.solve'}: {where}The solver failed because the "
                    "input matrix is singular."
                ),
            )
        LU, pivots, _ = _getrf(A)
        X = _lu_solve(LU, pivots, B)
    if not left:
        X = _mT(X)
    return np.ascontiguousarray(X[..., 0] if vector else X)


def _solve_vjp(n, g):
    A, X, left = n.saved["self"], n.saved["result"], n.attrs["left"]
    vector = len(n.inputs[1].shape) == 1 or (
        len(n.inputs[1].shape) == A.ndim - 1 and tuple(n.inputs[1].shape) == A.shape[:-1]
    )
    if vector:
        g, X = g[..., None], X[..., None]
    gB = np.linalg.solve(_mT(A), g) if left else _mT(np.linalg.solve(A, _mT(g)))
    gA = -(gB @ _mT(X)) if left else -(_mT(X) @ gB)
    return (gA if n.needs[0] else None, (gB[..., 0] if vector else gB) if n.needs[1] else None)


_op("linalg_solve", _solve_vjp)(_solve)


def _cholesky(A, upper=False, check_errors=True, function=""):
    lower = _mT(A) if upper else A
    try:
        L = np.linalg.cholesky(lower)
    except np.linalg.LinAlgError:
        if check_errors:
            _raise_first_failure(
                lower,
                "potrf",
                lambda where, info: (
                    f"{function or 'linalg.cholesky'}: {where}The factorization could not be "
                    "completed because the input is not positive-definite (the leading minor of "
                    f"order {info} is not positive-definite)."
                ),
            )
        potrf = _lapack("potrf", lower)
        L = np.stack([np.tril(potrf(m, lower=True)[0]) for m in _matrices(lower)])
        L = L.reshape(lower.shape)
    return np.ascontiguousarray(_mT(L) if upper else L)


def _cholesky_vjp(n, g):
    L, upper = n.saved["result"], n.attrs["upper"]
    if upper:
        L, g = _mT(L), _mT(g)
    gA = np.tril(_mT(L) @ g)
    gA = 0.5 * (gA + _mT(np.tril(gA, -1)))
    gA = _trsm(L, gA, upper=False, left=True, trans=True)
    return (_trsm(L, gA, upper=False, left=False),)


_op("linalg_cholesky", _cholesky_vjp)(_cholesky)
_op("linalg_cholesky_info", lambda n, g: (None,))(
    lambda A, upper=False: _infos("potrf", _mT(A) if upper else A)
)


def _trsm(A, B, upper, left=True, unitriangular=False, trans=False):
    """X with op(A) X = B (`left` False: X op(A) = B), op(A) = A or Aᵀ (`trans`), reading
    A's upper or lower triangle, as BLAS's trsm (torch's CPU kernel): no singularity check,
    a zero on the diagonal gives inf and nan as torch's do."""
    from scipy.linalg import blas

    batch = np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    dtype = np.result_type(A, B)
    As = _matrices(np.broadcast_to(A, (*batch, *A.shape[-2:])).astype(dtype, copy=False))
    Bs = _matrices(np.broadcast_to(B, (*batch, *B.shape[-2:])).astype(dtype, copy=False))
    trsm = blas.get_blas_funcs("trsm", (As,))
    out = np.empty((len(Bs), *B.shape[-2:]), dtype)
    with np.errstate(all="ignore"):
        for a, b, o in zip(As, Bs, out, strict=True):
            if b.size:
                o[...] = trsm(
                    1.0,
                    a,
                    b,
                    side=0 if left else 1,
                    lower=not upper,
                    trans_a=int(trans),
                    diag=int(unitriangular),
                )
    return out.reshape(*batch, *B.shape[-2:])


def _solve_triangular_vjp(n, g):
    A, X = n.saved["self"], n.saved["result"]
    upper, left, unit = n.attrs["upper"], n.attrs["left"], n.attrs["unitriangular"]
    gB = _trsm(A, g, upper, left, unit, trans=True)
    gA = None
    if n.needs[0]:
        gA = -(gB @ _mT(X)) if left else -(_mT(X) @ gB)
        gA = np.triu(gA, int(unit)) if upper else np.tril(gA, -int(unit))
    return (gA, gB if n.needs[1] else None)


_op("linalg_solve_triangular", _solve_triangular_vjp)(
    lambda A, B, upper, left=True, unitriangular=False: _trsm(A, B, upper, left, unitriangular)
)


def _cholesky_solve(B, L, upper=False):
    """(L Lᵀ)⁻¹ B, or (Uᵀ U)⁻¹ B: two triangular solves."""
    Y = _trsm(L, B, upper, trans=upper)
    return _trsm(L, Y, upper, trans=not upper)


def _cholesky_solve_vjp(n, g):
    L, X, upper = n.saved["other"], n.saved["result"], n.attrs["upper"]
    gB = _cholesky_solve(g, L, upper)
    common = gB @ _mT(X)
    common = common + _mT(common)
    gL = -(L @ common) if upper else -(common @ L)
    return (gB if n.needs[0] else None, gL if n.needs[1] else None)


_op("cholesky_solve", _cholesky_solve_vjp)(_cholesky_solve)


def _cholesky_inverse_vjp(n, g):
    L, inverse, upper = n.saved["self"], n.saved["result"], n.attrs["upper"]
    common = inverse @ (g + _mT(g)) @ inverse
    return (-(L @ common) if upper else -(common @ L),)


_op("cholesky_inverse", _cholesky_inverse_vjp)(
    lambda L, upper=False: _cholesky_solve(
        np.broadcast_to(np.eye(L.shape[-1], dtype=L.dtype), L.shape), L, upper
    )
)


def _eigh_vectors_vjp(n, g):
    """torch's linalg_eig_backward for Hermitian input, the eigenvectors' part:
    V (skew(Vᵀ g) / (λⱼ − λᵢ)) Vᵀ, with skew(X) = (X − Xᵀ) / 2 and a zero diagonal."""
    A, V = n.saved["self"], n.saved["result"]
    values = np.linalg.eigvalsh(A, UPLO=n.attrs["UPLO"].upper())
    VtG = _mT(V) @ g
    VtG = 0.5 * (VtG - _mT(VtG))
    gaps = values[..., None, :] - values[..., :, None]
    np.einsum("...ii->...i", gaps)[...] = 1.0
    return (V @ (VtG / gaps) @ _mT(V),)


def _eigh_values_vjp(n, g):
    V = np.linalg.eigh(n.saved["self"], UPLO=n.attrs["UPLO"].upper())[1]
    return ((V * g[..., None, :]) @ _mT(V),)


_op("linalg_eigh_values", _eigh_values_vjp)(
    lambda A, UPLO="L": np.linalg.eigvalsh(A, UPLO=UPLO.upper())
)
_op("linalg_eigh_vectors", _eigh_vectors_vjp)(
    lambda A, UPLO="L": np.linalg.eigh(A, UPLO=UPLO.upper())[1]
)


def _svd(A, full_matrices=True):
    """(U, S, Vh) of each matrix (LAPACK's gesdd, as torch's CPU default)."""
    return np.linalg.svd(A, full_matrices=full_matrices)


def _svd_backward(A, full_matrices, gU=None, gS=None, gVh=None):
    """torch's svd_backward (real case) for the incoming gradients given; the full matrices'
    extra columns (rows) get none, as torch narrows them."""
    U, S, Vh = _svd(A, full_matrices)
    m, n = A.shape[-2:]
    k = min(m, n)
    U, Vh = U[..., :k], Vh[..., :k, :]
    if gU is not None:
        gU = gU[..., :k]
    if gVh is not None:
        gVh = gVh[..., :k, :]
    if gU is None and gVh is None:
        return (U * gS[..., None, :]) @ Vh
    S2 = S * S
    E = S2[..., None, :] - S2[..., :, None]
    np.einsum("...ii->...i", E)[...] = 1.0
    gA = np.zeros((*A.shape[:-2], k, k), A.dtype)
    if gU is not None:
        UtgU = _mT(U) @ gU
        gA = gA + (UtgU - _mT(UtgU)) * S[..., None, :]
    if gVh is not None:
        VtgV = Vh @ _mT(gVh)
        gA = gA + S[..., :, None] * (VtgV - _mT(VtgV))
    gA = gA / E
    if gS is not None:
        gA = gA + np.einsum("...i,ij->...ij", gS, np.eye(k, dtype=A.dtype))
    if m > n and gU is not None:
        gA = U @ gA
        gUSinv = gU / S[..., None, :]
        gA = (gA + gUSinv - U @ (_mT(U) @ gUSinv)) @ Vh
    elif m < n and gVh is not None:
        gA = gA @ Vh
        gVhSinv = gVh / S[..., :, None]
        gA = U @ (gA + gVhSinv - (gVhSinv @ _mT(Vh)) @ Vh)
    else:
        gA = U @ gA @ Vh
    return gA


_op("linalg_svd_u", lambda n, g: (_svd_backward(n.saved["self"], n.attrs["full_matrices"], gU=g),))(
    lambda A, full_matrices=True: _svd(A, full_matrices)[0]
)
_op("linalg_svd_s", lambda n, g: (_svd_backward(n.saved["self"], False, gS=g),))(
    lambda A: np.linalg.svd(A, compute_uv=False)
)
_op(
    "linalg_svd_vh", lambda n, g: (_svd_backward(n.saved["self"], n.attrs["full_matrices"], gVh=g),)
)(lambda A, full_matrices=True: _svd(A, full_matrices)[2])


def _matrix_exp(A):
    from scipy.linalg import expm

    return expm(A) if A.size else A.copy()


def _matrix_exp_vjp(n, g):
    """torch's: the upper right block of exp([[Aᵀ, g], [0, Aᵀ]])."""
    At = _mT(n.saved["self"])
    size = At.shape[-1]
    blocks = np.zeros((*g.shape[:-2], 2 * size, 2 * size), g.dtype)
    blocks[..., :size, :size] = At
    blocks[..., size:, size:] = At
    blocks[..., :size, size:] = g
    return (_matrix_exp(blocks)[..., :size, size:],)


_op("linalg_matrix_exp", _matrix_exp_vjp)(_matrix_exp)


_QR_R_NOT_DIFFERENTIABLE = (
    "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use "
    "linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr."
)


def _qr(A, mode="reduced"):
    return np.linalg.qr(A, mode="reduced" if mode == "r" else mode)


def _qr_tall_backward(Q, R, gQ, gR):
    """A = Q R with R square: (gQ + Q copyltu(M)) R⁻ᵀ, M = R gRᵀ − gQᵀ Q."""
    M = R @ _mT(gR) - _mT(gQ) @ Q
    lower = np.tril(M, -1)
    sym = lower + _mT(lower) + np.einsum("...ii->...i", M)[..., None] * np.eye(M.shape[-1])
    return _trsm(R, gQ + Q @ sym, upper=True, left=False, trans=True)


def _qr_backward(A, mode, gQ=None, gR=None):
    """torch's linalg_qr_backward, for the incoming gradients given (absent ones zero)."""
    m, n = A.shape[-2:]
    if mode == "r":
        raise ComputeError(_QR_R_NOT_DIFFERENTIABLE)
    if mode == "complete" and m > n:
        raise ComputeError(
            "The QR decomposition is not differentiable when mode='complete' and nrows > ncols."
        )
    Q, R = _qr(A, mode)
    gQ = np.zeros_like(Q) if gQ is None else gQ
    gR = np.zeros_like(R) if gR is None else gR
    if m >= n:
        return _qr_tall_backward(Q, R, gQ, gR)
    # A = Q [X | Y], R = [U | V] with X = Q U square
    gV = gR[..., m:]
    gX = _qr_tall_backward(Q, R[..., :m], gQ + A[..., m:] @ _mT(gV), gR[..., :m])
    return np.concatenate([gX, Q @ gV], axis=-1)


_op("linalg_qr_q", lambda n, g: (_qr_backward(n.saved["self"], n.attrs["mode"], gQ=g),))(
    lambda A, mode="reduced": np.empty(0, A.dtype) if mode == "r" else _qr(A, mode)[0]
)
_op("linalg_qr_r", lambda n, g: (_qr_backward(n.saved["self"], n.attrs["mode"], gR=g),))(
    lambda A, mode="reduced": _qr(A, mode)[1]
)


def _pinv(A, atol=0.0, rtol=0.0, hermitian=False):
    """torch's linalg_pinv: V diag(1/σ) Uᵀ over the singular values above max(atol,
    rtol · σ_max) (`hermitian`: U diag(1/λ) Uᵀ over the eigenvalues above it in size)."""
    if A.size == 0:
        return np.zeros((*A.shape[:-2], A.shape[-1], A.shape[-2]), A.dtype)
    if hermitian:
        values, U = np.linalg.eigh(A)
        sizes = np.abs(values)
    else:
        U, values, Vh = np.linalg.svd(A, full_matrices=False)
        sizes = values
    tol = np.maximum(atol, rtol * sizes.max(-1, keepdims=True))
    with np.errstate(divide="ignore"):
        inverted = np.where(sizes > tol, 1 / values, 0).astype(A.dtype)
    left = U if hermitian else _mT(Vh)
    return (left * inverted[..., None, :]) @ _mT(U)


def _pinv_backward(A, P, g):
    """torch's pinv_backward: the gradient of A through its pseudo-inverse P."""
    m, cols = A.shape[-2:]
    Ph, gh = _mT(P), _mT(g)
    if m <= cols:
        K = gh @ P
        KPh = K @ Ph
        return -_mT(P @ K) + KPh - (A @ P) @ KPh + (Ph @ P) @ (gh - K @ A)
    K = P @ gh
    PhK = Ph @ K
    return -_mT(K @ P) + (gh - A @ K) @ P @ Ph + PhK - PhK @ P @ A


_op("linalg_pinv", lambda n, g: (_pinv_backward(n.saved["self"], n.saved["result"], g),))(_pinv)


def _lstsq_operands(A, B):
    """A and B broadcast to one batch, B as matrices; whether B was a batch of vectors."""
    vector = B.ndim == A.ndim - 1
    if vector:
        B = B[..., None]
    batch = np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    A = np.broadcast_to(A, (*batch, *A.shape[-2:]))
    return A, np.broadcast_to(B, (*batch, *B.shape[-2:])), vector


def _gelsy(A, B, rcond):
    """(solutions, ranks) of each matrix by LAPACK's gelsy (SciPy's wrapper)."""
    from scipy.linalg import lstsq

    A, B, vector = _lstsq_operands(A, B)
    m, n = A.shape[-2:]
    cond = rcond if rcond > 0 else np.finfo(A.dtype).eps * max(m, n)
    X = np.zeros((*A.shape[:-2], n, B.shape[-1]), A.dtype)
    ranks = np.zeros(A.shape[:-2], np.int64)
    for index in np.ndindex(A.shape[:-2]):
        if A[index].size and B[index].size:
            X[index], _, ranks[index], _ = lstsq(A[index], B[index], cond, lapack_driver="gelsy")
    return (X[..., 0] if vector else X), ranks


def _lstsq_vjp(n, g):
    """torch's linalg_lstsq_backward: through the pseudo-inverse of A."""
    A, B, vector = _lstsq_operands(n.saved["self"], n.saved["other"])
    m, cols = A.shape[-2:]
    P = _pinv(A, rtol=np.finfo(A.dtype).eps * max(m, cols))
    g = g[..., None] if vector else g
    gA = _pinv_backward(A, P, g @ _mT(B)) if n.needs[0] else None
    gB = _mT(P) @ g if n.needs[1] else None
    if gB is not None and vector:
        gB = gB[..., 0]
    return (gA, gB)


_op("linalg_lstsq", _lstsq_vjp)(lambda A, B, rcond=0.0: _gelsy(A, B, rcond)[0])
_op("linalg_lstsq_residuals", lambda n, g: (None, None))(lambda A, B: np.zeros(0, A.dtype))
_op("linalg_lstsq_rank", lambda n, g: (None, None))(
    lambda A, B, rcond=0.0: _gelsy(A, np.zeros((*A.shape[:-1], 1), A.dtype), rcond)[1]
)


# ---- LU (getrf per matrix through SciPy's LAPACK wrappers), lu_unpack, lu_solve (getrs);
# geqrf and householder_product


def _getrf(A):
    """(LU, pivots, infos) of each matrix by LAPACK's getrf: pivots 1-based and int32."""
    *batch, m, n = A.shape
    LU = np.zeros(A.shape, A.dtype)
    pivots = np.zeros((*batch, min(m, n)), np.int32)
    infos = np.zeros(batch, np.int32)
    if A.size:
        getrf = _lapack("getrf", A)
        for index in np.ndindex(*batch):
            LU[index], piv, infos[index] = getrf(A[index])
            pivots[index] = piv + 1
    return LU, pivots, infos


def _lu_factor(A, pivot=True, check_errors=False, function=""):
    LU, _, infos = _getrf(A)
    if check_errors and (infos > 0).any():
        flat = infos.reshape(-1)
        k = int(np.argmax(flat > 0))
        where = f"(Batch element {k}): " if A.ndim > 2 else ""
        raise ComputeError(
            f"{function or 'torch.linalg.lu_factor'}: {where}U[{flat[k]},{flat[k]}] is zero and "
            "using it on lu_solve would result in a division by zero. If you still want to "
            "perform the factorization, consider calling linalg.lu(A, pivot) or "
            "linalg.lu_factor_ex(A, pivot)"
        )
    return LU


def _permutation(pivots: np.ndarray, m: int, dtype) -> np.ndarray:
    """P with A = P L U for LAPACK's 1-based pivots (row i swapped with row pivots[i])."""
    P = np.zeros((*pivots.shape[:-1], m, m), dtype)
    for index in np.ndindex(*pivots.shape[:-1]):
        order = np.arange(m)
        for i, p in enumerate(pivots[index]):
            if not 1 <= p <= m:
                raise ComputeError(
                    "pivots passed to lu_unpack must be between 1 and LU.size(-2) inclusive."
                    "Did you properly pass the result of lu_factor?"
                )
            order[i], order[p - 1] = order[p - 1], order[i]
        P[(*index, order, np.arange(m))] = 1
    return P


def _unpack(LU, pivots=None):
    """(P, L, U) of a getrf result; P None without pivots."""
    m, n = LU.shape[-2:]
    k = min(m, n)
    L = np.tril(LU[..., :, :k], -1) + np.eye(m, k, dtype=LU.dtype)
    U = np.triu(LU[..., :k, :])
    if pivots is None:
        return None, L, U
    pivots = np.broadcast_to(pivots, (*LU.shape[:-2], pivots.shape[-1]))
    return _permutation(pivots, m, LU.dtype), L, U


def _lu(A):
    LU, pivots, _ = _getrf(A)
    return _unpack(LU, pivots)


def _lu_backward(P, L, U, gL, gU):
    """torch's linalg_lu_backward: the gradient of A = P L U from those of L and U (absent
    ones zero), for square, wide (m < n) and tall (m > n) matrices."""
    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    if k == 0:
        return np.zeros((*P.shape[:-2], m, n), P.dtype)
    gL = np.zeros_like(L) if gL is None else gL
    gU = np.zeros_like(U) if gU is None else gU
    if m == n:
        gA = np.tril(_mT(L) @ gL, -1) + np.triu(gU @ _mT(U))
        gA = _trsm(U, gA, upper=True, left=False, trans=True)
        gA = _trsm(L, gA, upper=False, unitriangular=True, trans=True)
    elif m < n:
        gA = np.tril(_mT(L) @ gL - np.triu(gU) @ _mT(U), -1)
        gA = _trsm(U[..., :k], gA, upper=True, left=False, trans=True)
        gA = np.concatenate([gA + np.triu(gU[..., :k]), gU[..., k:]], axis=-1)
        gA = _trsm(L, gA, upper=False, unitriangular=True, trans=True)
    else:
        gA = np.triu(gU @ _mT(U) - _mT(L) @ np.tril(gL, -1))
        gA = _trsm(L[..., :k, :], gA, upper=False, unitriangular=True, trans=True)
        gA = np.concatenate([gA + np.tril(gL[..., :k, :], -1), gL[..., k:, :]], axis=-2)
        gA = _trsm(U, gA, upper=True, left=False, trans=True)
    return P @ gA


def _lu_factor_vjp(n, g):
    P, L, U = _lu(n.saved["self"])
    k = min(g.shape[-2:])
    return (_lu_backward(P, L, U, g[..., :, :k], g[..., :k, :]),)


_op("linalg_lu_factor", _lu_factor_vjp)(_lu_factor)
_op("linalg_lu_factor_pivots", lambda n, g: (None,))(lambda A, pivot=True: _getrf(A)[1])
_op("linalg_lu_factor_info", lambda n, g: (None,))(lambda A, pivot=True: _getrf(A)[2])
_op("linalg_lu_p", lambda n, g: (None,))(lambda A, pivot=True: np.ascontiguousarray(_lu(A)[0]))
_op("linalg_lu_l", lambda n, g: (_lu_backward(*_lu(n.saved["self"]), g, None),))(
    lambda A, pivot=True: np.ascontiguousarray(_lu(A)[1])
)
_op("linalg_lu_u", lambda n, g: (_lu_backward(*_lu(n.saved["self"]), None, g),))(
    lambda A, pivot=True: np.ascontiguousarray(_lu(A)[2])
)


def _lu_unpack_vjp(part: str):
    def vjp(n, g):
        m, cols = n.inputs[0].shape[-2:]
        k = min(m, cols)
        gLU = np.zeros((*n.inputs[0].shape[:-2], m, cols), g.dtype)
        if not n.attrs["unpack_data"]:
            return (gLU, None)
        if part == "L":
            gLU[..., :, :k] = np.tril(g, -1)
        else:
            gLU[..., :k, :] = np.triu(g)
        return (gLU, None)

    return vjp


_op("lu_unpack_p", lambda n, g: (None, None), own_dtype=("other",))(
    lambda LU, pivots: _unpack(LU, pivots)[0]
)
_op("lu_unpack_l", _lu_unpack_vjp("L"), own_dtype=("other",))(
    lambda LU, pivots, unpack_data=True, unpack_pivots=True: (
        _unpack(LU)[1] if unpack_data else np.zeros(0, LU.dtype)
    )
)
_op("lu_unpack_u", _lu_unpack_vjp("U"), own_dtype=("other",))(
    lambda LU, pivots, unpack_data=True, unpack_pivots=True: (
        _unpack(LU)[2] if unpack_data else np.zeros(0, LU.dtype)
    )
)


def _lu_solve(LU, pivots, B, left=True, adjoint=False):
    """getrs on each matrix of the broadcast batch: A X = B, Aᵀ X = B (`adjoint`), X A = B
    as Aᵀ Xᵀ = Bᵀ, X Aᵀ = B as A Xᵀ = Bᵀ."""
    if (pivots < 1).any():
        raise ComputeError(
            "Pivots given to lu_solve must all be greater or equal to 1. Did you properly pass "
            "the result of lu_factor?"
        )
    if (pivots > LU.shape[-1]).any():
        raise ComputeError(
            "Pivots given to lu_solve must all be smaller or equal to LU.size(-2). Did you "
            "properly pass the result of lu_factor?"
        )
    if not left:
        B = _mT(B)
    batch = np.broadcast_shapes(LU.shape[:-2], B.shape[:-2])
    LUs = np.broadcast_to(LU, (*batch, *LU.shape[-2:]))
    Ps = np.broadcast_to(pivots, (*batch, pivots.shape[-1]))
    Bs = np.broadcast_to(B, (*batch, *B.shape[-2:]))
    X = np.zeros(Bs.shape, B.dtype)
    if X.size:
        getrs = _lapack("getrs", LU)
        trans = int(adjoint == left)
        with np.errstate(all="ignore"):
            for index in np.ndindex(*batch):
                X[index] = getrs(LUs[index], Ps[index] - 1, Bs[index], trans=trans)[0]
    return X if left else _mT(X)


def _lu_solve_vjp(n, g):
    LU, pivots, X = n.saved["self"], n.saved["pivots"], n.saved["result"]
    left, adjoint = n.attrs["left"], n.attrs["adjoint"]
    gB = _lu_solve(LU, pivots, g, left, not adjoint)
    gLU = None
    if n.needs[0]:
        if left:
            gA = -(X @ _mT(gB)) if adjoint else -(gB @ _mT(X))
        else:
            gA = -(_mT(gB) @ X) if adjoint else -(_mT(X) @ gB)
        P, L, U = _unpack(LU, pivots)
        PtgA = _mT(P) @ gA
        gLU = np.tril(PtgA @ _mT(U), -1) + np.triu(_mT(L) @ PtgA)
    return (gLU, None, gB if n.needs[2] else None)


_op("linalg_lu_solve", _lu_solve_vjp, own_dtype=("pivots",))(_lu_solve)


def _geqrf(A):
    *batch, m, n = A.shape
    a = np.zeros(A.shape, A.dtype)
    tau = np.zeros((*batch, min(m, n)), A.dtype)
    if A.size:
        geqrf = _lapack("geqrf", A)
        for index in np.ndindex(*batch):
            a[index], tau[index] = geqrf(A[index])[:2]
    return a, tau


def _geqrf_vjp(n, g):
    raise Unsupported("the derivative for 'geqrf' is not implemented.")


_op("geqrf_a", _geqrf_vjp)(lambda A: _geqrf(A)[0])
_op("geqrf_tau", _geqrf_vjp)(lambda A: _geqrf(A)[1])


def _reflectors(A, tau):
    """Each H_i = I − tau_i v_i v_iᵀ of householder_product, (k, *batch, m, m), and the v_i."""
    m = A.shape[-2]
    eye = np.eye(m, dtype=A.dtype)
    vectors, reflectors = [], []
    for i in range(tau.shape[-1]):
        v = np.where(np.arange(m) > i, A[..., :, i], 0).astype(A.dtype)
        v[..., i] = 1
        vectors.append(v)
        reflectors.append(eye - tau[..., i, None, None] * (v[..., :, None] * v[..., None, :]))
    return reflectors, vectors


def _householder_product(A, tau):
    m, n = A.shape[-2:]
    Q = np.broadcast_to(np.eye(m, n, dtype=A.dtype), A.shape)
    for H in reversed(_reflectors(A, tau)[0]):
        Q = H @ Q
    return np.array(Q)


def _householder_product_vjp(n, g):
    """Through Q = H₁ … H_k E (E the first n columns of I): each H_i's gradient
    (H₁ … H_{i-1})ᵀ g (H_{i+1} … H_k E)ᵀ, then tau_i's −vᵀ gH v and v's −tau (gH + gHᵀ) v."""
    A, tau = n.saved["self"], n.saved["other"]
    m, cols = A.shape[-2:]
    reflectors, vectors = _reflectors(A, tau)
    right = [np.broadcast_to(np.eye(m, cols, dtype=A.dtype), A.shape)]
    for H in reversed(reflectors):
        right.insert(0, H @ right[0])
    gA, gtau = np.zeros_like(A), np.zeros_like(tau)
    left = np.broadcast_to(np.eye(m, dtype=A.dtype), (*A.shape[:-2], m, m))
    for i, (H, v) in enumerate(zip(reflectors, vectors, strict=True)):
        gH = _mT(left) @ g @ _mT(right[i + 1])
        gtau[..., i] = -np.einsum("...i,...ij,...j->...", v, gH, v)
        gv = -tau[..., i, None] * ((gH + _mT(gH)) @ v[..., :, None])[..., 0]
        gA[..., i + 1 :, i] = gv[..., i + 1 :]
        left = left @ H
    return (gA if n.needs[0] else None, gtau if n.needs[1] else None)


_op("linalg_householder_product", _householder_product_vjp)(_householder_product)


def _blocks(tensors):
    """Each input's (rows, columns) block of torch.block_diag, from its shape."""
    return [(1, 1) if len(s) == 0 else (1, s[0]) if len(s) == 1 else s for s in tensors]


def _block_diag_vjp(n, g):
    grads, row, column = [], 0, 0
    for meta, (rows, columns) in zip(n.inputs, _blocks([m.shape for m in n.inputs]), strict=True):
        grads.append(g[row : row + rows, column : column + columns].reshape(meta.shape))
        row, column = row + rows, column + columns
    return tuple(grads)


@_op("block_diag", _block_diag_vjp)
def block_diag(*tensors):
    blocks = _blocks([t.shape for t in tensors])
    out = np.zeros((sum(r for r, _ in blocks), sum(c for _, c in blocks)), tensors[0].dtype)
    row = column = 0
    for t, (rows, columns) in zip(tensors, blocks, strict=True):
        out[row : row + rows, column : column + columns] = t.reshape(rows, columns)
        row, column = row + rows, column + columns
    return out


def _piece(ndim: int, dim: int, index: int, split_size=None, split_sizes=None) -> tuple:
    """The NumPy index of a split's piece `index`: split_size positions from index
    split_size on, or split_sizes[index] from the sum of the sizes before it."""
    if split_sizes is None:
        start, length = index * split_size, split_size
    else:
        start, length = sum(split_sizes[:index]), split_sizes[index]
    return _on_axis(dim, ndim, slice(start, start + length))


def _split_vjp(n, g):
    return _into_zeros(n, g, _piece(len(n.inputs[0].shape), **n.attrs))


_op("split", _split_vjp)(lambda x, **attrs: x[_piece(x.ndim, **attrs)])
_op("split_with_sizes", _split_vjp)(lambda x, **attrs: x[_piece(x.ndim, **attrs)])
_op("alias", lambda n, g: (g,))(lambda x: x.view())


def _indexed_layout(shape: tuple[int, ...], dims: tuple[int, ...]) -> tuple[tuple, int]:
    """The axis order that brings the indexed `dims` together (x's own when they are
    adjacent, else they go first), and where their block starts in it."""
    if dims[-1] - dims[0] == len(dims) - 1:
        return tuple(range(len(shape))), dims[0]
    return (*dims, *(d for d in range(len(shape)) if d not in dims)), 0


def _as_middle(shape: tuple[int, ...], start: int, count: int) -> tuple[int, int, int]:
    """`shape` seen as (before, the `count` dims from `start`, after)."""
    return prod(shape[:start]), prod(shape[start : start + count]), prod(shape[start + count :])


def _index_vjp(n, g):
    """The gradient scattered back: each position of the block receives the sum of the
    gradients of the results taken from it."""
    shape, dims = n.inputs[0].shape, n.attrs["dims"]
    order, start = _indexed_layout(shape, dims)
    moved = tuple(shape[d] for d in order)
    positions = advanced_indexing.positions([shape[d] for d in dims], n.saved["indices"])
    grad = np.zeros(_as_middle(moved, start, len(dims)), g.dtype)
    g3 = _c(g).reshape(grad.shape[0], positions.size, grad.shape[2])
    K.scatter_middle(g3, positions.reshape(-1), grad, True)
    grad = _c(grad.reshape(moved).transpose(np.argsort(order)))
    return (grad, *(None,) * len(dims))


@_op("index", _index_vjp, own_dtype=("self", "indices"))
def index(x, *indices, dims):
    """x's elements at the broadcast positions `indices` name along `dims`, gathered."""
    order, start = _indexed_layout(x.shape, dims)
    moved = x.transpose(order)
    positions = advanced_indexing.positions([x.shape[d] for d in dims], indices)
    x3 = _c(moved).reshape(_as_middle(moved.shape, start, len(dims)))
    out = np.empty((x3.shape[0], positions.size, x3.shape[2]), x.dtype)
    K.gather_middle(x3, positions.reshape(-1), out)
    return out.reshape(rules.index_positions_shape(x.shape, dims, positions.shape))


def _moved_blocks(a: np.ndarray, dims: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, tuple]:
    """A C-ordered copy of `a` with the indexed `dims` brought together, that copy seen as
    (before, block, after), and the axis order that undoes the move."""
    order, start = _indexed_layout(a.shape, dims)
    moved = np.array(a.transpose(order), order="C")
    return moved, moved.reshape(_as_middle(moved.shape, start, len(dims))), np.argsort(order)


def _index_put_vjp(n, g):
    """self's gradient is g with the written positions zeroed (all of g when accumulating);
    the values' is g at those positions, as index reads them."""
    shape, dims = n.inputs[0].shape, n.attrs["dims"]
    positions = advanced_indexing.positions([shape[d] for d in dims], n.saved["indices"])
    flat = positions.reshape(-1)
    moved, g3, undo = _moved_blocks(g, dims)
    picked = np.empty((g3.shape[0], flat.size, g3.shape[2]), g.dtype)
    K.gather_middle(g3, flat, picked)
    if not n.attrs["accumulate"]:
        K.scatter_middle(np.zeros_like(picked), flat, g3, False)
    values_grad = picked.reshape(rules.index_positions_shape(shape, dims, positions.shape))
    return (_c(moved.transpose(undo)), values_grad, *(None,) * len(dims))


@_op("index_put", _index_put_vjp, own_dtype=("indices",))
def index_put(x, values, *indices, dims, accumulate):
    """A copy of x with `values`, broadcast to x[indices]'s shape, written (or added) at the
    positions `indices` name along `dims`."""
    positions = advanced_indexing.positions([x.shape[d] for d in dims], indices)
    flat = positions.reshape(-1)
    moved, x3, undo = _moved_blocks(x, dims)
    picked_shape = rules.index_positions_shape(x.shape, dims, positions.shape)
    v3 = _c(np.broadcast_to(values, picked_shape)).reshape(x3.shape[0], flat.size, x3.shape[2])
    K.scatter_middle(v3, flat, x3, accumulate)
    return _c(moved.transpose(undo))


def _cat_vjp(n, g):
    """Each input's part of g along `dim` (none for a skipped 1-d empty input)."""
    dim = n.attrs["dim"] % g.ndim
    grads, start = [], 0
    for meta in n.inputs:
        if meta.shape == (0,) and g.shape != (0,):
            grads.append(np.zeros(0, g.dtype))
            continue
        size = meta.shape[dim]
        grads.append(g[_on_axis(dim, g.ndim, slice(start, start + size))])
        start += size
    return tuple(grads)


@_op("cat", _cat_vjp)
def cat(*tensors, dim):
    joined = [t for t in tensors if t.shape != (0,)]
    if not joined:
        return np.zeros(0, tensors[0].dtype)
    return np.concatenate(joined, axis=dim % joined[0].ndim)


_op(
    "stack",
    lambda n, g: tuple(g[_on_axis(n.attrs["dim"], g.ndim, i)] for i in range(len(n.inputs))),
)(lambda *tensors, dim: np.stack(tensors, axis=dim % (tensors[0].ndim + 1)))


def _squeeze(x: np.ndarray, dim: int | None, dims: tuple[int, ...] | None = None) -> np.ndarray:
    """x without the size-1 dims among `dims` (or `dim`; all of them when neither is given)."""
    if dims is None:
        dims = range(x.ndim) if dim is None else (dim,)
    return np.squeeze(x, tuple({d % x.ndim for d in dims if x.shape[d] == 1})) if x.ndim else x


for _name in ("squeeze", "squeeze_"):
    _op(_name, _back_to_input_shape, in_place=_name == "squeeze_")(_squeeze)


def _clamp_tensors_vjp(n, g):
    """torch's clamp_backward and clamp_backward_min_max for tensor bounds."""
    x, low, high = n.saved["self"], n.saved["min"], n.saved["max"]
    has_min, has_max = n.attrs["has_min"], n.attrs["has_max"]
    inside = np.ones(g.shape, np.bool_)
    if has_min:
        inside &= x >= low
    if has_max:
        inside &= x <= high
    below = (x < low) & (low < high) if has_max else x < low
    above = (x > high) | (high < low) if has_min else x > high
    return (
        _needs(n, 0, lambda: np.where(inside, g, 0)),
        _needs(n, 1, lambda: np.where(below, g, 0)) if has_min else None,
        _needs(n, 2, lambda: np.where(above, g, 0)) if has_max else None,
    )


@_op("clamp_tensors", _clamp_tensors_vjp)
def clamp_tensors(x, low, high, has_min, has_max):
    """max(x, low) then min(·, high), each where given (nan propagates)."""
    out = np.maximum(x, low) if has_min else x
    return np.minimum(out, high) if has_max else np.array(out)


# clamp_min.Tensor and clamp_max.Tensor: self's gradient where it is kept, the bound's where
# the bound is taken (neither where x is nan)
_op(
    "clamp_min_tensor",
    lambda n, g: (
        _needs(n, 0, lambda: np.where(n.saved["self"] >= n.saved["min"], g, 0)),
        _needs(n, 1, lambda: np.where(n.saved["self"] < n.saved["min"], g, 0)),
    ),
)(np.maximum)
_op(
    "clamp_max_tensor",
    lambda n, g: (
        _needs(n, 0, lambda: np.where(n.saved["self"] <= n.saved["max"], g, 0)),
        _needs(n, 1, lambda: np.where(n.saved["self"] > n.saved["max"], g, 0)),
    ),
)(np.minimum)
_op(
    "where",
    lambda n, g: (
        None,
        _needs(n, 1, lambda: np.where(n.saved["condition"], g, 0)),
        _needs(n, 2, lambda: np.where(n.saved["condition"], 0, g)),
    ),
    own_dtype=("condition",),
)(lambda condition, x, y: np.where(condition, x, y))
_op(
    "masked_fill",
    lambda n, g: (np.where(n.saved["mask"], 0, g), None),
    own_dtype=("mask",),
)(lambda x, mask, value: np.where(mask, np.array(value).astype(x.dtype), x))
# the old values get no gradient
_op("zero", lambda n, g: (np.zeros_like(g),))(lambda x: np.zeros(x.shape, x.dtype))
_op("fill", lambda n, g: (np.zeros_like(g),))(lambda x, value: np.full(x.shape, value, x.dtype))


def _checked_as(x: np.ndarray, value: np.ndarray) -> np.ndarray:
    """A 0-d value tensor converted to x's dtype, with torch's error for a number it cannot
    hold (masked_fill checks, as for a number value; fill_ converts as C++ casts)."""
    overflow = rules.scalar_overflow(value.item(), x.dtype.name)
    if overflow:
        raise DtypeMismatch(overflow)
    return value.astype(x.dtype)


_op(
    "fill_tensor",
    lambda n, g: (_needs(n, 0, lambda: np.zeros_like(g)), _needs(n, 1, lambda: g)),
    own_dtype=("value",),
)(lambda x, value: np.full(x.shape, value.astype(x.dtype), x.dtype))
_op(
    "masked_fill_tensor",
    lambda n, g: (
        _needs(n, 0, lambda: np.where(n.saved["mask"], 0, g)),
        None,
        _needs(n, 2, lambda: np.where(n.saved["mask"], g, 0)),
    ),
    own_dtype=("mask", "value"),
)(lambda x, mask, value: np.where(mask, _checked_as(x, value), x))


def _masked_scatter(x, mask, source):
    """x (broadcast with mask) with source's leading elements written where mask holds."""
    shape = np.broadcast_shapes(x.shape, mask.shape)
    out = np.array(np.broadcast_to(x, shape), order="C")
    mask = np.broadcast_to(mask, shape)
    count = int(np.count_nonzero(mask))
    if count > source.size:
        raise ComputeError("Number of elements of source < number of ones in mask")
    out[mask] = source.reshape(-1)[:count]
    return out


def _masked_scatter_vjp(n, g):
    mask = np.broadcast_to(n.saved["mask"], g.shape)

    def source_grad():
        grad = np.zeros(prod(n.inputs[2].shape), g.dtype)
        taken = g[mask]
        grad[: taken.size] = taken
        return grad.reshape(n.inputs[2].shape)

    return (_needs(n, 0, lambda: np.where(mask, 0, g)), None, _needs(n, 2, source_grad))


_op("masked_scatter", _masked_scatter_vjp, own_dtype=("mask",))(_masked_scatter)


def _flat_positions(index: np.ndarray, size: int) -> np.ndarray:
    """put's positions in self flattened, negative ones counted from the end, with torch's
    error for the first out of range."""
    flat = index.reshape(-1)
    bad = (flat < -size) | (flat >= size)
    if bad.any():
        raise InvalidIndex(
            f"out of range: tried to access index {flat[bad.argmax()]} on a tensor of {size} "
            "elements."
        )
    return np.where(flat < 0, flat + size, flat)


def _put(x, index, source, accumulate):
    out = np.array(x, order="C", copy=True)
    flat, positions = out.reshape(-1), _flat_positions(index, x.size)
    if accumulate:
        np.add.at(flat, positions, source.reshape(-1))
    else:
        flat[positions] = source.reshape(-1)
    return out


def _put_vjp(n, g):
    positions = _flat_positions(n.saved["index"], g.size)

    def self_grad():
        if n.attrs["accumulate"]:
            return g
        grad = np.array(g, order="C", copy=True)
        grad.reshape(-1)[positions] = 0
        return grad

    def source_grad():
        return np.ascontiguousarray(g).reshape(-1)[positions].reshape(n.inputs[2].shape)

    return (_needs(n, 0, self_grad), None, _needs(n, 2, source_grad))


_op("put", _put_vjp, own_dtype=("index",))(_put)


# self's old values get no gradient; src's is summed to its shape by the graph
_op("copy", lambda n, g: (_needs(n, 0, lambda: np.zeros_like(g)), g))(
    lambda x, src: np.array(np.broadcast_to(src, x.shape), order="C")
)
# The graph has already cast the input to `dtype`; the copy keeps its layout.
_op("_to_copy", lambda n, g: (g,))(lambda x, dtype: np.array(x, order="K", copy=True))


# ---------------------------------------------------------------- reductions


def _reduced_axes(x_ndim: int, dim) -> list[int]:
    """The axes a reduction folds: all of them for None or an empty list (as torch's do)."""
    dims = [dim] if isinstance(dim, int) else list(dim or ())
    if not dims:
        return list(range(x_ndim))
    return sorted({d % x_ndim for d in dims}) if x_ndim else []


def _sum_forward(x, dim, keepdim, dtype=""):
    axes = _reduced_axes(x.ndim, dim)
    out = reduce_sum(x, axes)
    if dim is None and not keepdim:
        return out.reshape(())
    if keepdim:
        return out
    return out.reshape([s for i, s in enumerate(out.shape) if i not in axes])


def _expand_reduced(n, g):
    """Broadcast the gradient of a reduction back over the reduced dims."""
    shape = n.inputs[0].shape
    axes = _reduced_axes(len(shape), n.attrs["dim"])
    kept = [1 if i in axes else s for i, s in enumerate(shape)]
    return np.broadcast_to(g.reshape(kept), shape)


def _mean_forward(x, dim, keepdim, dtype=""):
    axes = _reduced_axes(x.ndim, dim)
    count = prod(x.shape[a] for a in axes)
    total = _sum_forward(x, dim, keepdim)
    return K.div(total, np.asarray(count if count else np.nan, dtype=x.dtype))


def _mean_vjp(n, g):
    shape = n.inputs[0].shape
    count = prod(shape[a] for a in _reduced_axes(len(shape), n.attrs["dim"]))
    return (_expand_reduced(n, K.div(g, np.asarray(count if count else np.nan, dtype=g.dtype))),)


_op("sum", lambda n, g: (_expand_reduced(n, g),))(_sum_forward)
_op("mean", _mean_vjp)(_mean_forward)


def _nansum(x, dim, keepdim, dtype):
    return _sum_forward(np.where(np.isnan(x), x.dtype.type(0), x), dim, keepdim)


def _nansum_vjp(n, g):
    x = n.saved["self"]
    return (_expand_reduced(n, g) * ~np.isnan(x),)


_op("nansum", _nansum_vjp)(_nansum)


def _prod_forward(x, dim, keepdim, dtype):
    """np.prod over every dim or `dim`, in a float64 (int64) accumulator, then rounded."""
    axis = None if dim is None or x.ndim == 0 else dim % x.ndim
    accumulator = np.float64 if x.dtype.kind == "f" else np.int64
    out = np.prod(x, axis=axis, dtype=accumulator, keepdims=keepdim and axis is not None)
    return np.asarray(out).astype(x.dtype, copy=False)


def _prod_of_others(g: np.ndarray, x: np.ndarray, dim: int) -> np.ndarray:
    """torch's prod_safe_zeros_backward: g times, at each element, the product of the others
    along `dim` (the exclusive running products from the start and from the end)."""
    if x.shape[dim] == 1:
        return np.broadcast_to(g, x.shape)
    ones = np.ones((*x.shape[:dim], 1, *x.shape[dim + 1 :]), x.dtype)
    head = np.concatenate([ones, np.delete(x, -1, axis=dim)], axis=dim)
    tail = np.concatenate([ones, np.flip(np.delete(x, 0, axis=dim), dim)], axis=dim)
    before = _accumulated(np.cumprod, head, dim)
    after = np.flip(_accumulated(np.cumprod, tail, dim), dim)
    return g * (before * after)


def _prod_vjp(n, g):
    """torch's prod_backward, in the result's dtype: g·result/self where self has no zero
    (anywhere, along a dim); else the product of the others, all zeros for two or more
    zeros in a full product."""
    y = n.saved["result"]
    x = n.saved["self"].astype(y.dtype, copy=False)
    g = g.astype(y.dtype, copy=False)
    dim = n.attrs["dim"]
    if x.ndim == 0:
        return (g,)
    if dim is not None:
        dim %= x.ndim
        if not n.attrs["keepdim"]:
            g, y = np.expand_dims(g, dim), np.expand_dims(y, dim)
    zeros = np.count_nonzero(x == 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if zeros == 0:
            return (g * (y / x),)
        if dim is not None:
            return (_prod_of_others(g, x, dim),)
        if zeros > 1:
            return (np.zeros_like(x),)
        return (_prod_of_others(g.reshape(1), x.reshape(-1), 0).reshape(x.shape),)


_op("prod", _prod_vjp)(_prod_forward)


def _deviations(x: np.ndarray, dim) -> tuple[np.ndarray, tuple[int, ...], int]:
    """x - mean over the reduced axes, in float64; the axes and their element count N."""
    axes = tuple(_reduced_axes(x.ndim, dim))
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=axes, keepdims=True) if x.size else np.full((1,) * x.ndim, np.nan)
    return x64 - mean, axes, prod(x.shape[a] for a in axes)


def _variance(x, dim, correction, keepdim) -> np.ndarray:
    """Σ (x - mean)² / max(N - correction, 0) in float64 (the mean too), rounded once."""
    dev, axes, count = _deviations(x, dim)
    var = np.sum(dev * dev, axis=axes, keepdims=keepdim) / max(count - correction, 0)
    return np.asarray(var.reshape(()) if dim is None and not keepdim else var)


def _variance_vjp(n, g, scale) -> np.ndarray:
    """g 2 (x - mean) / (N - correction) times `scale` (both broadcast over the reduced dims)."""
    dev, _, count = _deviations(n.saved["self"], n.attrs["dim"])
    dof = max(count - n.attrs["correction"], 0)
    return (_expand_reduced(n, g * scale) * (2 * dev / dof)).astype(g.dtype)


def _std_scale(n) -> np.ndarray:
    """d std / d var = 1 / (2 std), 0 where std is 0 (as torch's std_backward)."""
    std = n.saved["result"].astype(np.float64)
    return np.divide(0.5, std, out=np.zeros_like(std), where=std != 0)


_op("var", lambda n, g: (_variance_vjp(n, g, 1.0),))(
    lambda x, dim, correction, keepdim: _variance(x, dim, correction, keepdim).astype(x.dtype)
)
_op("std", lambda n, g: (_variance_vjp(n, g, _std_scale(n)),))(
    lambda x, dim, correction, keepdim: np.sqrt(_variance(x, dim, correction, keepdim)).astype(
        x.dtype
    )
)


def _sign(x: np.ndarray) -> np.ndarray:
    """torch's sgn of a real tensor: -1, 0 or 1, and 0 for nan."""
    return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)


def _vector_norm(x, ord, dim, keepdim, dtype, norm_overload=False) -> np.ndarray:
    """(Σ |x|^ord)^(1/ord) over the reduced axes, summed in float64 and rounded once; ord 0
    counts the nonzero elements, ±inf selects the largest or smallest |x| (nan propagating);
    norm_overload names the node only."""
    axes = _reduced_axes(x.ndim, dim)
    if abs(ord) == np.inf:
        pick = np.max if ord > 0 else np.min
        kept = pick(np.abs(x), axis=tuple(axes), keepdims=True) if x.ndim else np.abs(x)
    elif ord == 0:
        kept = reduce_sum((x != 0).astype(np.float64), axes)
    else:
        magnitude = np.abs(x.astype(np.float64))
        total = reduce_sum(
            magnitude if ord == 1 else magnitude * magnitude if ord == 2 else magnitude**ord, axes
        )
        kept = total if ord == 1 else np.sqrt(total) if ord == 2 else total ** (1.0 / ord)
    if not keepdim:
        kept = kept.reshape([s for i, s in enumerate(kept.shape) if i not in axes])
    return kept.astype(x.dtype)


def _vector_norm_vjp(n, g):
    """torch's norm_backward: g sgn(x) for ord 1; g x / norm for 2 (0 where the norm is 0);
    for ±inf, g sgn(x) shared among the elements whose |x| is the norm (or nan); otherwise
    g sgn(x) |x|^(ord-1) / norm^(ord-1). ord 0 has no gradient. With a wider `dtype`, it is
    computed in the dtype torch's promotion picks: the input's where the norm of a tensor
    of one or more dims is a 0-d tensor (reduced whole), except for ±inf."""
    p, shape = n.attrs["ord"], n.inputs[0].shape
    if p == 0:  # (the op table's passes_gradient says so too)
        return (None,)
    axes = _reduced_axes(len(shape), n.attrs["dim"])
    whole = shape and not n.attrs["dim"] and not n.attrs["keepdim"]
    work = n.inputs[0].dtype if whole and abs(p) != np.inf else g.dtype
    x = n.saved["self"].astype(work, copy=False)
    norm = _kept(n, n.saved["result"], axes).astype(work, copy=False)
    g = _kept(n, g, axes).astype(work, copy=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        if p == 1:
            return (_sign(x) * g,)
        if p == 2:
            return (np.where(norm == 0, 0, g * (x / norm)).astype(g.dtype),)
        magnitude = np.abs(x)
        if abs(p) == np.inf:
            mask = (magnitude == norm) | np.isnan(magnitude)
            count = mask.sum(axis=tuple(axes), keepdims=True, dtype=g.dtype)
            return (_sign(x) * (g / count * mask),)
        if p < 1:
            scaled = np.where(x == 0, 0, _sign(x) * magnitude ** (p - 1))
            return ((scaled * g * norm ** (1 - p)).astype(g.dtype),)
        scaled = x * magnitude ** (p - 2) if p >= 2 else _sign(x) * magnitude ** (p - 1)
        scale = np.where(norm == 0, 0, g / norm ** (p - 1))
        return ((scaled * scale).astype(g.dtype),)


_op("linalg_vector_norm", _vector_norm_vjp)(_vector_norm)


def _dist_vjp(n, g):
    """linalg_vector_norm's gradient of the difference: to self, and negated to other (p 0
    has none: the op table's passes_gradient)."""
    if n.attrs["p"] == 0:
        return (None, None)
    a, b = (n.saved[k].astype(g.dtype, copy=False) for k in ("self", "other"))
    diff = a - b
    norm = SimpleNamespace(
        attrs={"ord": n.attrs["p"], "dim": None, "keepdim": False},
        inputs=(rules.meta(diff.shape, diff.dtype.name),),
        saved={"self": diff, "result": n.saved["result"]},
    )
    (grad,) = _vector_norm_vjp(norm, g)
    return (
        _needs(n, 0, lambda: grad.astype(n.inputs[0].dtype, copy=False)),
        _needs(n, 1, lambda: np.negative(grad).astype(n.inputs[1].dtype, copy=False)),
    )


@_op("dist", _dist_vjp)
def dist(a, b, p):
    return _vector_norm(np.subtract(a, b), p, None, False, None)


def _slice_norms(x: np.ndarray, p: float, dim: int):
    """The p-norm of each slice along `dim` (over every other dim, kept as size 1) in float64,
    and those dims."""
    axes = tuple(i for i in range(x.ndim) if i != dim % x.ndim)
    return _vector_norm(x.astype(np.float64), p, list(axes), True, None), axes


def _renorm_vjp(n, g):
    """torch's renorm_backward: where the norm is above maxnorm, factor g minus
    maxnorm / (norm + 1e-7)² times the norm's gradient of Σ x g over the slice; else g."""
    x, (p, dim, maxnorm) = n.saved["self"], (n.attrs[k] for k in ("p", "dim", "maxnorm"))
    x64, g64 = x.astype(np.float64), g.astype(np.float64)
    norms, axes = _slice_norms(x, p, dim)
    weight = (x64 * g64).sum(axis=axes, keepdims=True)
    node = SimpleNamespace(
        attrs={"ord": p, "dim": list(axes), "keepdim": True},
        inputs=(rules.meta(x.shape, "float64"),),
        saved={"self": x64, "result": norms},
    )
    (norm_grad,) = _vector_norm_vjp(node, weight)
    inverse = 1 / (norms + 1e-7)
    scaled = inverse * maxnorm * g64 - (maxnorm * inverse * inverse) * norm_grad
    return (np.where(norms > maxnorm, scaled, g64).astype(g.dtype),)


@_op("renorm", _renorm_vjp)
def renorm(x, p, dim, maxnorm):
    norms, _ = _slice_norms(x, p, dim)
    factor = np.where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)
    return (x * factor).astype(x.dtype)


# Selecting and logical reductions run NumPy's own SIMD loops, which propagate nan as torch
# does (max and min are nan when any element is; argmax and argmin give the first nan).


def _spread_over_ties(x: np.ndarray, result: np.ndarray, g: np.ndarray, axes) -> np.ndarray:
    """(g / count) * mask, mask marking the elements equal to the selected one along `axes`
    (all of them for None) and count their number there: torch's scale_grad_by_count. `result`
    and `g` have the reduced dims kept as size 1."""
    mask = x == result
    if axes is None:  # a whole-tensor max or min of nan gives its gradient to the nans
        if np.isnan(result).any():
            mask = np.isnan(x)
        count = np.asarray(np.count_nonzero(mask), g.dtype)
    else:
        count = mask.sum(axis=tuple(axes), keepdims=True, dtype=g.dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        return K.mul(K.div(g, count), mask.astype(g.dtype))


def _kept(n, value: np.ndarray, axes) -> np.ndarray:
    """`value` reshaped with the reduced `axes` of the node's input kept as size 1."""
    shape = n.inputs[0].shape
    return value.reshape([1 if i in axes else s for i, s in enumerate(shape)])


def _extremum_axes(n) -> list[int]:
    return _reduced_axes(len(n.inputs[0].shape), n.attrs["dim"])


def _extremum_vjp(n, g):
    axes = _extremum_axes(n)
    result, g = _kept(n, n.saved["result"], axes), _kept(n, g, axes)
    return (_spread_over_ties(n.saved["self"], result, g, axes),)


def _extremum_all_vjp(n, g):
    return (_spread_over_ties(n.saved["self"], n.saved["result"], g, None),)


def _index_along(x: np.ndarray, dim: int, pick: Callable) -> np.ndarray:
    """The index `pick` (np.argmax or np.argmin) selects along `dim`, kept as size 1."""
    return np.expand_dims(pick(x, axis=dim), dim)


def _select_dim(pick: Callable):
    def forward(x, dim, keepdim):
        if x.ndim == 0:
            return np.array(x, copy=True)
        values = np.take_along_axis(x, _index_along(x, dim, pick), dim % x.ndim)
        return values if keepdim else np.squeeze(values, dim % x.ndim)

    def vjp(n, g):
        x, dim = n.saved["self"], n.attrs["dim"]
        if x.ndim == 0:
            return (g,)
        dim %= x.ndim
        grad = np.zeros(x.shape, g.dtype)
        kept = g if n.attrs["keepdim"] else np.expand_dims(g, dim)
        np.put_along_axis(grad, _index_along(x, dim, pick), kept, dim)
        return (grad,)

    return forward, vjp


def _arg(pick: Callable):
    def forward(x, dim, keepdim):
        if dim is None:
            index = pick(x.reshape(-1))
            return np.full((1,) * x.ndim if keepdim else (), index, np.int64)
        if x.ndim == 0:
            return np.zeros((), np.int64)
        index = _index_along(x, dim % x.ndim, pick)
        return index if keepdim else np.squeeze(index, dim % x.ndim)

    return forward


def _extremum(reduce: Callable):
    def forward(x, dim, keepdim):
        axes = _reduced_axes(x.ndim, dim)
        return reduce(x, axis=tuple(axes), keepdims=keepdim)

    return forward


for _name, _extreme, _pick in (("max", np.max, np.argmax), ("min", np.min, np.argmin)):
    _op(_name, _extremum_all_vjp)(lambda x, extreme=_extreme: extreme(x))
    _forward, _vjp = _select_dim(_pick)
    _op(f"{_name}_dim", _vjp)(_forward)
    _op(f"a{_name}", _extremum_vjp)(_extremum(_extreme))
    _op(f"aminmax_{_name}", _extremum_vjp)(_extremum(_extreme))
    _op(f"arg{_name}", lambda n, g: (None,))(_arg(_pick))


def _logical(reduce: Callable):
    def forward(x, dim, keepdim):
        return reduce(x, axis=logical_dims(x.ndim, dim), keepdims=keepdim)

    return forward


_op("all", lambda n, g: (None,))(_logical(np.all))
_op("any", lambda n, g: (None,))(_logical(np.any))


def _logsumexp_forward(x, dim, keepdim):
    """torch's logsumexp: ln Σ e^(x - m) + m, m the maximum over the reduced dims (0 where it
    is ±inf), the sum accumulated in float64."""
    axes = _reduced_axes(x.ndim, dim)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if x.size:
            shift = np.max(x, axis=tuple(axes), keepdims=True)
            shift = np.where(np.isinf(shift), x.dtype.type(0), shift)
            total = reduce_sum(np.exp(x - shift), axes)
            out = np.log(total) + shift
        else:
            out = np.log(reduce_sum(np.exp(x), axes))
    if keepdim:
        return out
    return out.reshape([s for i, s in enumerate(out.shape) if i not in axes])


def _logsumexp_vjp(n, g):
    """torch's logsumexp_backward: g e^(self - result), both with the reduced dims back."""
    x, result = n.saved["self"], n.saved["result"]
    shape = [1 if i in _reduced_axes(x.ndim, n.attrs["dim"]) else s for i, s in enumerate(x.shape)]
    with np.errstate(invalid="ignore", over="ignore"):
        return (g.reshape(shape) * np.exp(x - result.reshape(shape)),)


_op("logsumexp", _logsumexp_vjp)(_logsumexp_forward)


# ---------------------------------------------------------------- sorting and selecting along a dim

# From torch's GRAIN_SIZE elements, torch sorts a 1-d int64 tensor in ascending order with
# fbgemm's radix sort, which is stable.
RADIX_SORT_MIN_ELEMENTS = 32768


def _rows(x: np.ndarray, dim: int) -> np.ndarray:
    """A C-ordered copy of x with `dim` moved last, seen as (rows, size along dim)."""
    moved = np.moveaxis(x, dim, -1)
    return np.array(moved, order="C").reshape(prod(moved.shape[:-1]), x.shape[dim])


def _from_rows(rows: np.ndarray, shape: tuple[int, ...], dim: int) -> np.ndarray:
    """`_rows`' inverse, for rows of any length along dim."""
    moved = (*shape[:dim], *shape[dim + 1 :], rows.shape[1])
    return np.moveaxis(rows.reshape(moved), -1, dim)


def _sort_keys(x: np.ndarray, dim: int) -> np.ndarray:
    """The rows the sorting kernels rearrange (bools read as uint8)."""
    return _rows(x.view(np.uint8) if x.dtype == np.bool_ else x, dim)


@_op("argsort", lambda n, g: (None,))
def argsort(x, dim, descending, stable):
    """Where each element of the sorted x comes from along `dim` (see the op table and the
    kernel for the order of ties)."""
    if x.ndim == 0:
        return np.zeros((), np.int64)
    dim %= x.ndim
    if x.strides[dim] == 0:  # torch returns the positions as they are
        positions = np.arange(x.shape[dim]).reshape([-1 if d == dim else 1 for d in range(x.ndim)])
        return np.array(np.broadcast_to(positions, x.shape))
    radix = (
        x.ndim == 1 and x.dtype == np.int64 and not descending and x.size >= RADIX_SORT_MIN_ELEMENTS
    )
    keys = _sort_keys(x, dim)
    order = np.empty(keys.shape, np.int64)
    K.sort_rows(keys, order, descending, stable or radix)
    return _from_rows(order, x.shape, dim)


@_op("topk_indices", lambda n, g: (None,))
def topk_indices(x, k, dim, largest, sorted):
    """Where the k largest (smallest) elements along `dim` are, in torch's order."""
    if x.ndim == 0:
        return np.zeros((), np.int64)
    dim %= x.ndim
    keys = _sort_keys(x, dim)
    order = np.empty(keys.shape, np.int64)
    K.topk_rows(keys, order, k, largest, sorted)
    return _from_rows(order[:, :k], x.shape, dim)


def _region(index_shape: tuple[int, ...], dim: int) -> tuple[slice, ...]:
    """The part of self a gather along `dim` with an index of this shape reads: all of
    `dim`, the index's extent along every other dim."""
    return tuple(slice(None) if d == dim else slice(0, s) for d, s in enumerate(index_shape))


def _three(a: np.ndarray, dim: int) -> np.ndarray:
    """`a` C-ordered and seen as (before `dim`, along it, after it)."""
    return _c(a).reshape(_as_middle(a.shape, dim, 1))


def _gathered(x: np.ndarray, index: np.ndarray, dim: int) -> np.ndarray:
    """x's elements at `index` along `dim` (a 0-d tensor counting as 1-d), with torch's
    gather error for the first position out of range in row-major order."""
    if index.size == 0:
        return np.empty(index.shape, x.dtype)
    dim, shape = dim % max(x.ndim, 1), index.shape
    x, index = np.atleast_1d(x), np.atleast_1d(index)
    x3, index3 = _three(x[_region(index.shape, dim)], dim), _three(index, dim)
    out = np.empty(index3.shape, x.dtype)
    bad = K.gather_along(x3, index3, out)
    if bad >= 0:
        raise ComputeError(
            f"index {index3.reshape(-1)[bad]} is out of bounds for dimension {dim} with size "
            f"{x3.shape[1]}"
        )
    return out.reshape(shape)


def _scattered_back(n, g: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, None]:
    """The gradient of self's elements taken at `index` along dim: zeros of self's shape,
    with g added at each position taken from (torch's scatter_add, in index order)."""
    shape = n.inputs[0].shape
    grad = np.zeros(shape, g.dtype)
    if index.size:
        dim = n.attrs["dim"] % max(len(shape), 1)
        index = np.atleast_1d(index)
        region = np.atleast_1d(grad)[_region(index.shape, dim)]
        part = np.zeros(region.shape, g.dtype)
        g3 = _three(g.reshape(index.shape), dim)
        K.scatter_add_along(g3, _three(index, dim), _three(part, dim))
        region[...] = part
    return (grad, None)


for _name, _input in (("sort", "indices"), ("topk", "indices"), ("gather", "index")):
    _op(
        _name,
        lambda n, g, name=_input: _scattered_back(n, g, n.saved[name]),
        own_dtype=(_input,),
    )(lambda x, index, dim, stable=None: _gathered(x, index, dim))  # stable names the node


# ---------------------------------------------------------------- median, nanmedian, mode


def _median_all(x, ignore_nan):
    """The element that sorts at (N - 1) // 2 (nan if any is nan, unless `ignore_nan`, which
    leaves the nans out); nan for no elements (an integer dtype's smallest value, as torch's
    nan cast)."""
    flat = x.reshape(-1)
    if ignore_nan and flat.dtype.kind == "f":
        flat = flat[~np.isnan(flat)]
    if flat.size == 0 or (flat.dtype.kind == "f" and np.isnan(flat).any()):
        fill = np.nan if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        return np.array(fill, x.dtype)
    return np.array(np.partition(flat, (flat.size - 1) // 2)[(flat.size - 1) // 2], x.dtype)


_op("median", _extremum_all_vjp)(_median_all)


def _kept_index(index: np.ndarray, shape: tuple[int, ...], dim: int) -> np.ndarray:
    """`index` (one per row along `dim`, rows as `_rows` lays them out) shaped as the input
    with `dim` kept as size 1."""
    return np.expand_dims(index.reshape((*shape[:dim], *shape[dim + 1 :])), dim)


def _all_equivalent_first(n: int) -> int:
    """Where std::nth_element at 0 leaves the first of n equivalent elements: torch's
    nanmedian index of a row of nans, which its comparator never orders."""
    order = np.arange(n, dtype=np.int64)
    K._nth_element(np.zeros(n), order, 0, False)
    return int(order[0])


def _median_positions(x: np.ndarray, dim: int, ignore_nan: bool) -> np.ndarray:
    """Per row along `dim`: the first nan (without `ignore_nan`), else the element at
    (count - 1) // 2 sorted by (value, position), nans last: torch's nth_element, whose
    comparator breaks ties by position, leaves exactly that one there."""
    rows = _rows(x, dim)
    n = rows.shape[1]
    nan = np.isnan(rows) if rows.dtype.kind == "f" else np.zeros(rows.shape, bool)
    count = n - nan.sum(axis=1)
    order = np.argsort(rows, axis=1, kind="stable")
    at = (count - 1) // 2 if ignore_nan else np.full(len(rows), (n - 1) // 2)
    picked = np.take_along_axis(order, np.maximum(at, 0)[:, None], 1)[:, 0]
    if ignore_nan:
        picked[count == 0] = _all_equivalent_first(n)
    else:
        has_nan = nan.any(axis=1)
        picked[has_nan] = nan[has_nan].argmax(axis=1)
    return picked


def _mode_positions(x: np.ndarray, dim: int) -> np.ndarray:
    """Per row along `dim`, torch's CPU mode: std::sort of the row by a < b, then the last
    position of the first run of the greatest length (nan never equal, so each nan a run of 1)."""
    keys = _sort_keys(x, dim)
    order = np.empty(keys.shape, np.int64)
    K.sort_rows_by_less(keys, order)
    n = keys.shape[1]
    ends = np.ones(keys.shape, bool)
    ends[:, :-1] = keys[:, :-1] != keys[:, 1:]
    starts = np.ones(keys.shape, bool)
    starts[:, 1:] = ends[:, :-1]
    position = np.arange(n)
    run_start = np.maximum.accumulate(np.where(starts, position, 0), axis=1)
    lengths = np.where(ends, position - run_start + 1, 0)
    return np.take_along_axis(order, lengths.argmax(axis=1)[:, None], 1)[:, 0]


def _positions_op(positions: Callable):
    def forward(x, dim, keepdim, **options):
        if x.ndim == 0:
            return np.zeros((), np.int64)
        dim %= x.ndim
        if x.size:
            index = _kept_index(positions(x, dim, **options), x.shape, dim)
        else:  # no rows to pick from (the dim itself has elements)
            index = np.zeros([1 if d == dim else s for d, s in enumerate(x.shape)], np.int64)
        return index if keepdim else np.squeeze(index, dim)

    return forward


def _order_values(x, indices, dim, keepdim, ignore_nan=False):
    """self's elements at `indices` along `dim` (kept as size 1 or not)."""
    if x.ndim == 0:
        return np.array(x, copy=True)
    dim %= x.ndim
    kept = indices if keepdim else np.expand_dims(indices, dim)
    values = np.take_along_axis(x, kept, dim)
    return values if keepdim else np.squeeze(values, dim)


def _order_values_vjp(n, g):
    """g at the positions the values came from, zeros elsewhere."""
    shape, indices = n.inputs[0].shape, n.saved["indices"]
    if not shape:
        return (g.reshape(()), None)
    dim = n.attrs["dim"] % len(shape)
    grad = np.zeros(shape, g.dtype)
    if not n.attrs["keepdim"]:
        g, indices = np.expand_dims(g, dim), np.expand_dims(indices, dim)
    np.put_along_axis(grad, indices, g, dim)
    return (grad, None)


_op("median_indices", lambda n, g: (None,))(_positions_op(_median_positions))
_op("mode_indices", lambda n, g: (None,))(_positions_op(_mode_positions))
for _name in ("median_dim", "mode"):
    _op(_name, _order_values_vjp, own_dtype=("indices",))(_order_values)


def _kth_positions(x: np.ndarray, dim: int, k: int) -> np.ndarray:
    """Per row along `dim`, where torch's quickselect leaves the k-th smallest element."""
    keys = _sort_keys(x, dim)
    order = np.empty(keys.shape, np.int64)
    K.kth_smallest_rows(keys, order, k - 1)
    return order[:, k - 1]


_op("kthvalue_indices", lambda n, g: (None,))(_positions_op(_kth_positions))
_op("kthvalue", _order_values_vjp, own_dtype=("indices",))(
    lambda x, indices, k, dim, keepdim: _order_values(x, indices, dim, keepdim)
)


def _cumulative_extreme_positions(running: np.ufunc):
    """Where the running maximum (minimum) along `dim` was last taken from: a position
    updates it when its element equals the new running value or is nan."""

    def forward(x, dim):
        if x.ndim == 0 or x.size == 0:
            return np.zeros(x.shape, np.int64)
        dim %= x.ndim
        taken = x == running.accumulate(x, axis=dim)
        if x.dtype.kind == "f":
            taken |= np.isnan(x)
        positions = np.arange(x.shape[dim]).reshape([-1 if d == dim else 1 for d in range(x.ndim)])
        return np.maximum.accumulate(np.where(taken, positions, 0), axis=dim)

    return forward


_op("cummax_indices", lambda n, g: (None,))(_cumulative_extreme_positions(np.maximum))
_op("cummin_indices", lambda n, g: (None,))(_cumulative_extreme_positions(np.minimum))
for _name in ("cummax", "cummin"):
    _op(_name, lambda n, g: _scattered_back(n, g, n.saved["indices"]), own_dtype=("indices",))(
        lambda x, indices, dim: _gathered(x, indices, dim)
    )


def _logcumsumexp(x: np.ndarray, dim: int) -> np.ndarray:
    """ln Σ e^x running along `dim`, in float64."""
    if x.ndim == 0:
        return x.astype(np.float64)
    with np.errstate(invalid="ignore"):
        return np.logaddexp.accumulate(x.astype(np.float64), axis=dim % x.ndim)


def _logcumsumexp_vjp(n, g):
    """torch's logcumsumexp_backward: Σ_{j >= i} g_j e^(x_i - y_j), the positive and the
    negative parts of g each as the exponential of a reversed running log-sum-exp."""
    x, y = n.saved["self"].astype(np.float64), n.saved["result"].astype(np.float64)
    g64 = g.astype(np.float64)
    dim = n.attrs["dim"] % max(x.ndim, 1)
    lowest = np.finfo(g.dtype).min

    def part(mask):
        with np.errstate(divide="ignore", invalid="ignore"):
            log_g = np.where(mask, np.log(np.abs(g64)), lowest) - y
            if x.ndim:
                log_g = np.flip(_logcumsumexp(np.flip(log_g, dim), dim), dim)
            return np.exp(log_g + x)

    return ((part(g64 > 0) - part(g64 < 0)).astype(g.dtype),)


_op("logcumsumexp", _logcumsumexp_vjp)(lambda x, dim: _logcumsumexp(x, dim))


def _index_select_vjp(n, g):
    """torch's index_select_backward: zeros of self's shape, each slice of g added at the
    position it was taken from (index_add, in index order)."""
    shape, index = n.inputs[0].shape, n.saved["index"].reshape(-1)
    if not shape:
        return (g.reshape(()), None)
    dim = n.attrs["dim"] % len(shape)
    grad = np.zeros(_as_middle(shape, dim, 1), g.dtype)
    K.scatter_middle(_c(g).reshape(grad.shape[0], index.size, grad.shape[2]), index, grad, True)
    return (grad.reshape(shape), None)


@_op("index_select", _index_select_vjp, own_dtype=("index",))
def index_select(x, index, dim):
    """x's slices at `index` along `dim`, with torch's CPU kernel's error for the first
    index out of range (see the op table)."""
    flat = _c(index.reshape(-1))
    size = x.shape[dim] if x.ndim else 1
    outside = (flat < 0) | (flat >= size)
    if outside.any():
        if x.ndim > 1 and (dim % x.ndim == 1 or x.size == 0):
            raise ComputeError(
                f"INDICES element is out of DATA bounds, id={flat[outside.argmax()]} "
                f"axis_dim={size}"
            )
        raise InvalidIndex("index out of range in self")
    if x.ndim == 0:
        return np.array(x, copy=True)
    dim %= x.ndim
    x3 = _three(x, dim)
    out = np.empty((x3.shape[0], flat.size, x3.shape[2]), x.dtype)
    K.gather_middle(x3, flat, out)
    return out.reshape((*x.shape[:dim], flat.size, *x.shape[dim + 1 :]))


def _packed_rows(shape: tuple[int, ...], lengths: np.ndarray, batch_first: bool) -> np.ndarray:
    """The padded input's rows (its first two dims flattened) that make the packed data, step
    by step; torch's checks of the lengths."""
    steps, batch = (shape[1], shape[0]) if batch_first else shape[:2]
    lengths = lengths.reshape(-1)
    if lengths[-1] <= 0:
        raise ComputeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' "
            "that is <= 0"
        )
    if (np.diff(lengths) > 0).any():
        raise ComputeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
            "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
            "sidestep this requirement if you do not need ONNX exportability."
        )
    if lengths[0] > steps:
        raise ComputeError(f"Expected sequence length to be at most {steps}, but got {lengths[0]}")
    t, b = np.nonzero(np.arange(lengths[0])[:, None] < lengths[None, :])  # step-major
    return b * steps + t if batch_first else t * batch + b


def _pack_padded_sequence_vjp(n, g):
    """Zeros of the padded input's shape, each packed row's gradient at its place."""
    shape = n.inputs[0].shape
    rows = _packed_rows(shape, n.saved["lengths"], n.attrs.get("batch_first", False))
    grad = np.zeros((shape[0] * shape[1], *shape[2:]), g.dtype)
    grad[rows] = g
    return (grad.reshape(shape), None)


@_op("pack_padded_sequence", _pack_padded_sequence_vjp, own_dtype=("lengths",))
def pack_padded_sequence(x, lengths, total, batch_first=False):
    """The rows of x (its first two dims flattened) that pack its sequences of `lengths`."""
    rows = _packed_rows(x.shape, lengths, batch_first)
    if rows.size != total:
        raise ComputeError(
            f"pack_padded_sequence(): the lengths add up to {rows.size}, not {total}"
        )
    return index_select(x.reshape(x.shape[0] * x.shape[1], *x.shape[2:]), rows, 0)


def _index_add_vjp(n, g):
    source_shape = n.inputs[2].shape
    grad_source = None
    if n.needs[2]:
        index = n.saved["index"].reshape(-1)
        picked = np.take(g, index, axis=n.attrs["dim"] % g.ndim) if g.ndim else g
        grad_source = _times_alpha(
            np.ascontiguousarray(picked).reshape(source_shape), n.attrs["alpha"]
        )
    return (g if n.needs[0] else None, None, grad_source)


@_op("index_add", _index_add_vjp, own_dtype=("index",))
def index_add(x, index, source, dim, alpha):
    """x with alpha source's slices added at index along dim; torch's errors for the first
    position out of range (no negative ones): its 1-d kernel's, or its slicing's."""
    flat = index.reshape(-1)
    size = x.shape[dim % x.ndim] if x.ndim else 1
    outside = (flat < 0) | (flat >= size)
    if outside.any():
        if x.ndim <= 1:
            raise InvalidIndex("index out of range in self")
        raise ComputeError(
            f"index {flat[outside.argmax()]} is out of bounds for dimension {dim % x.ndim} "
            f"with size {size}"
        )
    out = np.array(x, copy=True)
    scaled = source if alpha == 1 else source * _scalar(alpha, source.dtype)
    if x.ndim == 0:
        return (out + scaled.reshape(())).astype(x.dtype)
    moved_source = np.moveaxis(
        scaled.reshape((1,) * (x.ndim - scaled.ndim) + scaled.shape), dim % x.ndim, 0
    )
    np.add.at(np.moveaxis(out, dim % x.ndim, 0), flat, moved_source)
    return out


def _index_copy_vjp(n, g):
    index, dim = n.saved["index"].reshape(-1), n.attrs["dim"]
    grad_self = grad_source = None
    if n.needs[0]:
        grad_self = np.array(g, copy=True)
        if g.ndim:
            np.moveaxis(grad_self, dim % g.ndim, 0)[index] = 0
        else:
            grad_self[...] = 0
    if n.needs[2]:
        picked = np.take(g, index, axis=dim % g.ndim) if g.ndim else g
        grad_source = np.ascontiguousarray(picked).reshape(n.inputs[2].shape)
    return (grad_self, None, grad_source)


@_op("index_copy", _index_copy_vjp, own_dtype=("index",))
def index_copy(x, index, source, dim):
    """x with source's slices written at index along dim (the last of repeats wins)."""
    flat = index.reshape(-1)
    size = x.shape[dim % x.ndim] if x.ndim else 1
    outside = (flat < 0) | (flat >= size)
    if outside.any():
        raise InvalidIndex(
            f"index_copy_(): index {flat[outside.argmax()]} is out of bounds for dimension "
            f"{dim % max(x.ndim, 1)} with size {size}"
        )
    out = np.array(x, copy=True)
    if x.ndim == 0:
        out[...] = source.reshape(())
        return out
    slices = np.moveaxis(source.reshape(source.shape or (1,)), dim % x.ndim, 0)
    np.moveaxis(out, dim % x.ndim, 0)[flat] = slices
    return out


def _index_fill_mask(shape: tuple[int, ...], index: np.ndarray, dim: int) -> np.ndarray:
    """Where index_fill writes: its slices along dim, with torch's error for the first
    position out of range."""
    flat = index.reshape(-1)
    size = shape[dim % len(shape)] if shape else 1
    outside = (flat < -size) | (flat >= size)
    if outside.any():
        raise InvalidIndex(
            f"index {flat[outside.argmax()]} is out of bounds for dimension "
            f"{dim % max(len(shape), 1)} with size {size}"
        )
    mask = np.zeros(shape or (1,), bool)
    np.moveaxis(mask, dim % max(len(shape), 1), 0)[flat] = True
    return mask.reshape(shape)


def _index_fill_vjp(n, g):
    mask = _index_fill_mask(g.shape, n.saved["index"], n.attrs["dim"])
    grads = (_needs(n, 0, lambda: np.where(mask, 0, g).astype(g.dtype)), None)
    if len(n.inputs) == 3:
        grads += (_needs(n, 2, lambda: np.where(mask, g, 0).astype(g.dtype)),)
    return grads


_op("index_fill", _index_fill_vjp, own_dtype=("index",))(
    lambda x, index, dim, value: np.where(
        _index_fill_mask(x.shape, index, dim), np.array(value).astype(x.dtype), x
    )
)
_op("index_fill_tensor", _index_fill_vjp, own_dtype=("index", "value"))(
    lambda x, index, value, dim: np.where(
        _index_fill_mask(x.shape, index, dim), value.astype(x.dtype), x
    )
)


@_op("take", lambda n, g: (_take_vjp(n, g), None), own_dtype=("index",))
def take(x, index):
    """x's elements, flattened, at `index`, with torch's error for the first out of range."""
    flat = index.reshape(-1)
    outside = (flat < -x.size) | (flat >= x.size)
    if outside.any():
        raise InvalidIndex(
            f"out of range: tried to access index {flat[outside.argmax()]} on a tensor of "
            f"{x.size} elements."
        )
    return x.reshape(-1)[flat].reshape(index.shape)


def _take_vjp(n, g):
    grad = np.zeros(prod(n.inputs[0].shape), g.dtype)
    np.add.at(grad, n.saved["index"].reshape(-1), g.reshape(-1))
    return grad.reshape(n.inputs[0].shape)


def _masked_select_vjp(n, g):
    """g put back at the selected positions of the broadcast shape (the graph sums it to
    self's)."""
    mask = n.saved["mask"]
    grad = np.zeros(rules.broadcast_shapes(n.inputs[0].shape, mask.shape), g.dtype)
    grad[np.broadcast_to(mask, grad.shape)] = g
    return (grad, None)


@_op("masked_select", _masked_select_vjp, own_dtype=("mask",))
def masked_select(x, mask, count):
    x, mask = np.broadcast_arrays(x, mask)
    selected = x[mask]
    if selected.size != count:
        raise InvalidValue(
            f"masked_select: the mask selects {selected.size} elements, not count={count}"
        )
    return selected


# ---- scatter, scatter_add, scatter_reduce (see the op table)

_SCATTER_MODES = {"write": 0, "sum": 1, "add": 1, "prod": 2, "multiply": 2, "amax": 3, "amin": 4}
_BOOL_MODES = {1: 3, 2: 4}  # a bool sum is an or (the larger), a product an and (the smaller)


def _visit_order(index_shape: tuple[int, ...], dim: int, shapes: Sequence[tuple]) -> list[int]:
    """The axes of the index in the order torch's CPU scatter kernel visits its entries: a
    TensorIterator over the index's shape with `dim` squashed, whose innermost dims coalesce
    where every operand (of these `shapes`, contiguous) allows; along the last dim, each
    position's entries along dim in turn, otherwise along dim outside the innermost run."""
    ndim = len(index_shape)
    if dim == ndim - 1:
        return [*(d for d in range(ndim) if d != dim), dim]
    shape = (*index_shape[:dim], 1, *index_shape[dim + 1 :])  # dim squashed
    strides = [rules.contiguous_strides(s) for s in shapes]
    inner, extent, stride = [ndim - 1], shape[-1], [s[-1] for s in strides]
    for d in range(ndim - 2, -1, -1):
        if not (
            extent == 1
            or shape[d] == 1
            or all(e * extent == s[d] for e, s in zip(stride, strides, strict=True))
        ):
            break
        if extent == 1:
            stride = [s[d] for s in strides]
        inner.append(d)
        extent *= shape[d]
    inner = sorted(d for d in inner if d != dim)
    return [*(d for d in range(ndim) if d != dim and d not in inner), dim, *inner]


def _check_index(index: np.ndarray, dim: int, size: int, shapes: Sequence[tuple]) -> None:
    """torch's error for the first index entry outside [0, size) in its order of visiting."""
    outside = (index < 0) | (index >= size)
    if outside.any():
        order = _visit_order(index.shape, dim, shapes)
        first = np.transpose(outside, order).reshape(-1).argmax()
        bad = np.transpose(index, order).reshape(-1)[first]
        raise ComputeError(f"index {bad} is out of bounds for dimension {dim} with size {size}")


def _scatter_into(out: np.ndarray, dim: int, index: np.ndarray, values, mode: str) -> np.ndarray:
    """`out` (modified in place, and returned) with `values` (index's region of an array,
    or one number) combined at `index` along `dim` (see kernels.scatter_along); a 0-d
    tensor counts as 1-d."""
    if index.size == 0:
        return out
    dim %= max(out.ndim, 1)
    index = np.atleast_1d(index)
    region = np.atleast_1d(out)[_region(index.shape, dim)]
    if isinstance(values, np.ndarray):
        values = np.atleast_1d(values)[tuple(slice(0, s) for s in index.shape)]
    values = np.broadcast_to(np.asarray(values, out.dtype), index.shape)
    code = _SCATTER_MODES[mode]
    code = _BOOL_MODES.get(code, code) if out.dtype == np.bool_ else code
    part = _three(region, dim)
    K.scatter_along(_three(values, dim), _three(index, dim), part, code)
    region[...] = part.reshape(region.shape)
    return out


def _checked(x: np.ndarray, index: np.ndarray, values, dim: int) -> None:
    """torch's index check of a scatter into x of `values` (an array, or one number)."""
    if index.size:
        arrays = (x, index, values) if isinstance(values, np.ndarray) else (x, index)
        shapes = [np.atleast_1d(a).shape for a in arrays]
        size = x.shape[dim] if x.ndim else 1
        _check_index(np.atleast_1d(index), dim % max(x.ndim, 1), size, shapes)


def _scattered(x, index, values, dim: int, mode: str) -> np.ndarray:
    """A copy of x with values scattered into it, after torch's index check."""
    _checked(x, index, values, dim)
    return _scatter_into(np.array(x, copy=True), dim, index, values, mode)


def _gathered_at(g: np.ndarray, index: np.ndarray, dim: int) -> np.ndarray:
    """g.gather(dim, index) of positions known to be in range."""
    if index.size == 0:
        return np.empty(index.shape, g.dtype)
    dim %= max(g.ndim, 1)
    g1, index3 = np.atleast_1d(g), _three(np.atleast_1d(index), dim)
    out = np.empty(index3.shape, g.dtype)
    K.gather_along(_three(g1[_region(np.atleast_1d(index).shape, dim)], dim), index3, out)
    return out.reshape(index.shape)


def _check_gradient_shape(n, name: str, grad: np.ndarray) -> np.ndarray:
    """torch's check of a node's gradient for src: src's shape, or one it broadcasts to."""
    shape = n.inputs[2].shape
    expandable = len(shape) <= grad.ndim and all(
        s in (1, t) for s, t in zip(shape[::-1], grad.shape[::-1], strict=False)
    )
    if not expandable:
        raise ComputeError(
            f"Function {name} returned an invalid gradient at index 1 - got "
            f"{list(grad.shape)} but expected shape compatible with {list(shape)}"
        )
    return grad


def _unreduced(n) -> None:
    if n.attrs["reduce"]:
        raise ComputeError("derivative for aten::scatter is not implemented")


def _scatter_vjp(n, g):
    """self: g with the written positions zeroed; src: g at them (ScatterBackward0)."""
    _unreduced(n)
    index, dim = n.saved["index"], n.attrs["dim"]
    self_grad = _scatter_into(np.array(g, copy=True), dim, index, 0, "write")
    src_grad = None
    if n.needs[2]:
        src_grad = _check_gradient_shape(n, "ScatterBackward0", _gathered_at(g, index, dim))
    return (self_grad, None, src_grad)


@_op("scatter", _scatter_vjp, own_dtype=("index",))
def scatter(x, index, src, dim, reduce):
    return _scattered(x, index, src, dim, reduce or "write")


def _scatter_value_vjp(n, g):
    """self: g with the written positions zeroed (ScatterBackward1)."""
    _unreduced(n)
    index, dim = n.saved["index"], n.attrs["dim"]
    return (_scatter_into(np.array(g, copy=True), dim, index, 0, "write"), None)


@_op("scatter_value", _scatter_value_vjp, own_dtype=("index",))
def scatter_value(x, index, dim, value, reduce):
    _checked(x, index, value, dim)
    overflow = index.size and rules.scalar_overflow(value, x.dtype.name)
    if overflow:
        raise DtypeMismatch(overflow)
    return _scatter_into(np.array(x, copy=True), dim, index, value, reduce or "write")


def _scatter_add_vjp(n, g):
    src_grad = None
    if n.needs[2]:
        gathered = _gathered_at(g, n.saved["index"], n.attrs["dim"])
        src_grad = _check_gradient_shape(n, "ScatterAddBackward0", gathered)
    return (g, None, src_grad)


@_op("scatter_add", _scatter_add_vjp, own_dtype=("index",))
def scatter_add(x, index, src, dim):
    return _scattered(x, index, src, dim, "sum")


_SCATTER_INITIAL = {"sum": 0, "mean": 0, "prod": 1, "amax": -np.inf, "amin": np.inf}


def _reduced(x, index, src, dim: int, reduce: str, include_self: bool) -> np.ndarray:
    """torch's scatter_reduce_two_cpu: without self, the positions written are first set to
    the reduction's identity (an integer's extreme for amax and amin); a mean divides by the
    count of values (itself included), 1 where none, rounding an integer's down."""
    out = np.array(x, copy=True)
    if not include_self:
        initial = _SCATTER_INITIAL[reduce]
        if out.dtype.kind in "ib" and not np.isfinite(initial):
            info = np.iinfo(np.int64) if out.dtype.kind == "i" else None
            initial = (info.min if initial < 0 else info.max) if info else initial > 0
        _scatter_into(out, dim, index, initial, "write")
    _scatter_into(out, dim, index, src, "sum" if reduce == "mean" else reduce)
    if reduce == "mean":
        count = _scatter_into(
            np.full(out.shape, int(include_self), out.dtype), dim, index, 1, "sum"
        )
        count[count == 0] = 1
        out = out // count if out.dtype.kind == "i" else out / count
    return out


def _scatter_reduce_vjp(n, g):
    """torch's scatter_reduce_backward, step for step (its broadcasts of src against index
    included)."""
    x, index, src, result = (n.saved[k] for k in ("self", "index", "src", "result"))
    dim, reduce, include_self = n.attrs["dim"], n.attrs["reduce"], n.attrs["include_self"]
    one = g.dtype.type(1)
    if reduce not in rules.SCATTER_REDUCTIONS:
        raise ComputeError(
            "Expected 'reduce' to be one of 'sum', 'prod', 'mean', 'amax', 'amin' but got "
            f"{reduce}."
        )
    if reduce == "sum":
        self_grad, src_grad = g, _gathered_at(g, index, dim)
    elif reduce == "prod":
        masked_self = np.where(x == 0, one, x)
        self_grad = g * _reduced(masked_self, index, src, dim, reduce, include_self) / masked_self
        src_zero = src == 0
        zeros = _scatter_into(np.zeros_like(x), dim, index, src_zero.astype(x.dtype), "sum")
        rules.broadcast_shapes(src.shape, index.shape)
        single_zero = src_zero & (_gathered_at(zeros, index, dim) == 1)
        masked_src_result = _reduced(
            x, index, np.where(single_zero, one, src), dim, reduce, include_self
        )
        src_grad = np.where(
            single_zero,
            _gathered_at(g * masked_src_result, index, dim),
            _gathered_at(g * result, index, dim) / np.where(src_zero, one, src),
        )
    elif reduce == "mean":
        count = _scatter_into(np.full(g.shape, int(include_self), g.dtype), dim, index, 1, "sum")
        count[count == 0] = 1
        self_grad = g / count
        src_grad = _gathered_at(g, index, dim) / _gathered_at(count, index, dim)
    else:
        value = _gathered_at(result, index, dim)
        rules.broadcast_shapes(src.shape, index.shape)
        src_is_result = src == value
        ties = _scatter_into(
            (x == result).astype(g.dtype), dim, index, src_is_result.astype(g.dtype), "sum"
        )
        distributed = g / ties
        self_grad = (x == result) * distributed
        src_grad = src_is_result * _gathered_at(distributed, index, dim)
    if not include_self:
        self_grad = _scatter_into(np.array(self_grad, copy=True), dim, index, 0, "write")
    if n.needs[2]:
        src_grad = _check_gradient_shape(n, "ScatterReduceBackward0", src_grad)
    return (self_grad, None, src_grad)


@_op("scatter_reduce", _scatter_reduce_vjp, own_dtype=("index",))
def scatter_reduce(x, index, src, dim, reduce, include_self):
    _checked(x, index, src, dim)
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)
    return _reduced(x, index, src, dim, reduce, include_self)


@_op("index_reduce", _scatter_reduce_vjp, own_dtype=("index",))
def index_reduce(x, index, src, dim, reduce, include_self):
    """scatter_reduce after torch's index_reduce check: every index in [0, size)."""
    size = x.shape[dim] if x.ndim else 1
    if index.size and (index.min() < 0 or index.max() >= size):
        raise InvalidIndex("index out of range in self")
    return _reduced(x, index, src, dim, reduce, include_self)


@_op("one_hot", lambda n, g: (None,))
def one_hot(x, num_classes):
    """int64 zeros with a last dim of num_classes and 1 at each of x's values, after
    torch's checks of the values (a negative one first)."""
    if x.size and x.min() < 0:
        raise ComputeError("Class values must be non-negative.")
    if x.size and x.max() >= num_classes:
        raise ComputeError("Class values must be smaller than num_classes.")
    out = np.zeros((x.size, num_classes), np.int64)
    out[np.arange(x.size), x.reshape(-1)] = 1
    return out.reshape((*x.shape, num_classes))


def _counted(x: np.ndarray, length: int, weights: np.ndarray | None, dtype) -> np.ndarray:
    """x counted (weights summed) into `length` bins, after torch's check of the values."""
    if x.size and x.min() < 0:
        raise ComputeError("bincount only supports 1-d non-negative integral inputs.")
    if x.size and x.max() >= length:
        raise ComputeError(f"bincount(): a value {x.max()} is not below the length {length}")
    if weights is None:
        return np.bincount(x, minlength=length).astype(dtype)
    out = np.zeros(length, dtype)
    np.add.at(out, x, weights.astype(dtype))  # in order, in the result's dtype, as torch's
    return out


@_op("bincount", lambda n, g: (None,))
def bincount(x, length):
    """How often each value in [0, length) occurs in x."""
    return _counted(x, length, None, np.int64)


def _bincount_weighted_vjp(n, g):
    raise ComputeError("derivative for aten::bincount is not implemented")


@_op("bincount_weighted", _bincount_weighted_vjp, own_dtype=("weights",))
def bincount_weighted(x, weights, length):
    """The weights of each value's occurrences summed (int64 zeros for an empty x)."""
    if x.size == 0:
        return np.zeros(length, np.int64)
    return _counted(x, length, weights, np.float32 if weights.dtype == np.float32 else np.float64)


@_op("searchsorted", lambda n, g: (None, None))
def searchsorted(boundaries, x, right):
    """torch's cus_lower_bound (cus_upper_bound with `right`) for every element at once: the
    same halvings, so a nan boundary leads the search where torch's leads it."""
    n = boundaries.shape[-1]
    if n == 0 or x.size == 0:
        return np.zeros(x.shape, np.int64)
    rows = boundaries.reshape(-1, n) if boundaries.ndim > 1 else boundaries.reshape(1, n)
    values = x.reshape(len(rows), -1) if boundaries.ndim > 1 else x.reshape(1, -1)
    start = np.zeros(values.shape, np.int64)
    end = np.full(values.shape, n, np.int64)
    with np.errstate(invalid="ignore"):
        while (active := start < end).any():
            middle = start + ((end - start) >> 1)
            boundary = np.take_along_axis(rows, np.minimum(middle, n - 1), 1)
            onward = ~(boundary > values) if right else ~(boundary >= values)
            start = np.where(active & onward, middle + 1, start)
            end = np.where(active & ~onward, middle, end)
    return start.reshape(x.shape)


def _unique_vjp(n, g):
    name = "unique_consecutive" if n.attrs["consecutive"] else "_unique2"
    _not_implemented(name)


@_op("unique", _unique_vjp)
def unique(x, count, consecutive):
    """The first element of each run of equal neighbours, of x flattened (sorted stably
    first unless `consecutive`; nan never equal), checked to be `count` of them."""
    flat = x.reshape(-1) if consecutive else np.sort(x.reshape(-1), kind="stable")
    first = np.ones(flat.shape, bool)
    first[1:] = flat[1:] != flat[:-1]
    values = flat[first]
    if values.size != count:
        raise ComputeError(f"unique(): {values.size} distinct elements, not {count}")
    return values


def _unique_dim_vjp(n, g):
    name = "unique_consecutive" if n.attrs["consecutive"] else "unique_dim"
    _not_implemented(name)


@_op("unique_dim", _unique_dim_vjp, own_dtype=("inverse",))
def unique_dim(x, inverse, dim, count, consecutive):
    """One slice of x along dim per class in `inverse`: the first of each run, or, sorted,
    the first of its class where std::sort leaves it. Without a nan, torch's lexicographic
    comparisons of two slices agree with comparing their classes, so std::sort of the
    classes moves the slices as torch's std::sort does."""
    order = np.arange(inverse.size)
    classes = inverse.reshape(1, -1)
    if not consecutive:
        classes, order = classes.copy(), np.empty(classes.shape, np.int64)
        K.sort_rows_by_less(classes, order)
        order = order[0]
    classes = classes[0]
    steps = np.diff(classes)
    if inverse.size != 0 and (classes[0] != 0 or ((steps != 0) & (steps != 1)).any()):
        raise ComputeError("unique_dim(): inverse does not number the runs of sorted slices")
    first = np.ones(classes.shape, bool)
    first[1:] = steps != 0
    if int(first.sum()) != count:
        raise ComputeError(f"unique_dim(): {int(first.sum())} classes, not {count}")
    return np.take(x, order[first], axis=dim)


def _cdist_forward(x1, x2, p):
    """Each pair of rows' p-norm distance, from their differences in float64."""
    diff = np.abs(x1[..., :, None, :].astype(np.float64) - x2[..., None, :, :])
    if p == 0:
        out = np.count_nonzero(diff, axis=-1).astype(np.float64)
    elif p == 1:
        out = diff.sum(-1)
    elif p == 2:
        out = np.sqrt(np.square(diff).sum(-1))
    elif np.isinf(p):
        out = diff.max(-1, initial=0.0)
    else:
        out = np.power(np.power(diff, p).sum(-1), 1.0 / p)
    return out.astype(x1.dtype)


def _cdist_grad(g, x1, x2, dist, p):
    """torch's _cdist_backward for x1: Σ over x2's rows of g times the derivative of the
    distance, 0 where the distance is 0 (x2's is this with the roles swapped)."""
    diff = x1[..., :, None, :] - x2[..., None, :, :]
    g, dist = g[..., None], dist[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        if p == 0:
            term = np.zeros(diff.shape, g.dtype)
        elif p == 1:
            term = g * np.sign(diff)
        elif p == 2:
            term = g * diff / dist
        elif np.isinf(p):
            term = g * np.sign(diff) * (np.abs(diff) == dist)
        elif p < 2:
            term = np.sign(diff) * np.power(np.abs(diff), p - 1) * g / np.power(dist, p - 1)
        else:
            term = diff * np.power(np.abs(diff), p - 2) * g / np.power(dist, p - 1)
    term = np.where(dist == 0, 0, term)
    return term.sum(-2).astype(x1.dtype)


def _cdist_vjp(n, g):
    x1, x2, dist, p = n.saved["x1"], n.saved["x2"], n.saved["result"], n.attrs["p"]
    g = np.broadcast_to(g, dist.shape)
    g_t, dist_t = np.swapaxes(g, -1, -2), np.swapaxes(dist, -1, -2)
    return (
        _needs(n, 0, lambda: _cdist_grad(g, x1, x2, dist, p)),
        _needs(n, 1, lambda: _cdist_grad(g_t, x2, x1, dist_t, p)),
    )


_op("cdist", _cdist_vjp)(_cdist_forward)


@_op(
    "euclidean_dist",
    lambda n, g: _euclidean_dist_vjp(n.saved["x1"], n.saved["x2"], n.saved["result"], g, n),
)
def euclidean_dist(x1, x2):
    """torch's _euclidean_dist: one product of the rows padded with their squared norms."""
    one = x1.dtype.type(1)
    x1_norm = np.square(x1).sum(-1, keepdims=True, dtype=x1.dtype)
    x2_norm = np.square(x2).sum(-1, keepdims=True, dtype=x2.dtype)
    x1_ = np.concatenate([x1 * x1.dtype.type(-2), x1_norm, np.full_like(x1_norm, one)], -1)
    x2_ = np.concatenate([x2, np.full_like(x2_norm, one), x2_norm], -1)
    return np.sqrt(np.maximum(np.matmul(x1_, np.swapaxes(x2_, -1, -2)), 0))


def _euclidean_dist_vjp(x1, x2, result, g, n):
    """torch's _euclidean_dist_backward (a subgradient of 0 where a distance is 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(result == 0, 0, g / result).astype(g.dtype)
    ratio_t = np.swapaxes(ratio, -1, -2)
    return (
        _needs(n, 0, lambda: x1 * ratio.sum(-1, keepdims=True) - np.matmul(ratio, x2)),
        _needs(n, 1, lambda: x2 * ratio_t.sum(-1, keepdims=True) - np.matmul(ratio_t, x1)),
    )


@_op("histc", lambda n, g: (None,))
def histc(x, bins, min, max):
    """torch's histogram kernel for histc: each element within the edges counted in bin
    (x - left) · bins / (right - left), computed in x's dtype, the right edge in the last."""
    flat = x.reshape(-1)
    low, high = min, max
    if low == high and flat.size:
        low, high = float(flat.min()), float(flat.max())
    if low == high:
        low, high = low - 1, high + 1
    if error := rules.histc_range_error(low, high):
        raise ComputeError(error)
    left, right = x.dtype.type(low), x.dtype.type(high)
    with np.errstate(invalid="ignore"):
        inside = flat[(flat >= left) & (flat <= right)]
    position = ((inside - left) * x.dtype.type(bins) / (right - left)).astype(np.int64)
    position[position == bins] = bins - 1
    return np.bincount(position, minlength=bins).astype(x.dtype)


# ---------------------------------------------------------------- cumulative sums and products


def _accumulated(accumulate: Callable, x: np.ndarray, dim: int) -> np.ndarray:
    """np.cumsum or np.cumprod of x along `dim`: sequential, in a float64 (int64)
    accumulator, each step rounded to x's dtype, as torch's CPU kernels."""
    if x.ndim == 0:
        return np.array(x, copy=True)
    accumulator = np.float64 if x.dtype.kind == "f" else np.int64
    with np.errstate(invalid="ignore", over="ignore"):  # inf · 0 is nan, as torch's
        return accumulate(x, axis=dim % x.ndim, dtype=accumulator).astype(x.dtype, copy=False)


def _in_self_dtype(n, g: np.ndarray) -> np.ndarray:
    """g converted to self's dtype (torch's grad.to(self.scalar_type()))."""
    return g.astype(NUMPY_DTYPES[n.inputs[0].dtype], copy=False)


def _cumsum_vjp(n, g):
    """torch's cumsum_backward: the running sum of g from the end, in self's dtype."""
    g = _in_self_dtype(n, g)
    if g.ndim == 0:
        return (g,)
    dim = n.attrs["dim"] % g.ndim
    return (np.flip(_accumulated(np.cumsum, np.flip(g, dim), dim), dim),)


def _cumprod_vjp(n, g):
    """torch's cumprod_backward (see the kernel), g rounded to self's dtype first and the
    rest computed in the result's."""
    x, y = n.saved["self"], n.saved["result"]
    g = _in_self_dtype(n, g).astype(y.dtype, copy=False)
    dim = n.attrs["dim"] % max(y.ndim, 1)
    if y.ndim == 0 or y.shape[dim] == 1:  # torch returns g itself
        return (g,)
    x3, y3, g3 = (_three(a, dim) for a in (x, y, g))
    out = np.empty(y3.shape, y.dtype)
    K.cumprod_backward(x3, y3, g3, out)
    return (out.reshape(y.shape),)


_op("cumsum", _cumsum_vjp)(lambda x, dim, dtype: _accumulated(np.cumsum, x, dim))
_op("cumprod", _cumprod_vjp)(lambda x, dim, dtype: _accumulated(np.cumprod, x, dim))

# ---------------------------------------------------------------- losses


def _bce_with_logits_vjp(n, g):
    x, y, scale = n.saved["self"], n.saved["target"], _numel_scale(n, g.dtype)
    weight, pos_weight = n.saved.get("weight"), n.saved.get("pos_weight")
    rest = [None] * (len(n.needs) - 2)
    if pos_weight is None:  # the fused kernels, a weight folded into the upstream gradient
        if weight is not None:
            g, scale = g * scale * weight, x.dtype.type(1)
        return (
            _needs(n, 0, lambda: K.bce_with_logits_backward(g, x, y, scale)),
            _needs(n, 1, lambda: K.bce_with_logits_backward_target(g, x, scale)),
            *rest,
        )
    g = g * scale if weight is None else g * scale * weight
    # torch's formulas: ((p y + 1 - y) sigmoid(x) - p y) for x, ln s(-x) - p ln s(x) for y
    return (
        _needs(n, 0, lambda: ((pos_weight * y + 1 - y) * K.sigmoid(x) - pos_weight * y) * g),
        _needs(n, 1, lambda: (K.log_sigmoid(-x) - K.log_sigmoid(x) * pos_weight) * g),
        *rest,
    )


@_op("binary_cross_entropy_with_logits", _bce_with_logits_vjp)
def binary_cross_entropy_with_logits(x, y, weight=None, pos_weight=None, *, reduction):
    if weight is None and pos_weight is None:
        return _reduce(K.bce_with_logits(x, y), reduction)
    one = x.dtype.type(1)
    weight, pos_weight = (one if w is None else w for w in (weight, pos_weight))
    return _reduce(K.bce_with_logits_weighted(x, y, weight, pos_weight), reduction)


def _mse_vjp(n, g):
    grad = K.squared_error_backward(g, n.saved["self"], n.saved["target"], _numel_scale(n, g.dtype))
    return (grad if n.needs[0] else None, K.neg(grad) if n.needs[1] else None)


@_op("mse_loss", _mse_vjp)
def mse_loss(x, y, reduction):
    return _reduce(K.squared_error(x, y), reduction)


def _pointwise_loss_vjp(backward, attr: str):
    """smooth_l1_loss's and huber_loss's vjp: torch's backward kernel for x, negated for y."""

    def vjp(n, g):
        x, y, scale = n.saved["self"], n.saved["target"], _numel_scale(n, g.dtype)
        grad = backward(g, x, y, g.dtype.type(n.attrs[attr]), scale)
        return (grad if n.needs[0] else None, K.neg(grad) if n.needs[1] else None)

    return vjp


_op("smooth_l1_loss", _pointwise_loss_vjp(K.smooth_l1_backward, "beta"))(
    lambda x, y, reduction, beta: _reduce(K.smooth_l1(x, y, x.dtype.type(beta)), reduction)
)
_op("huber_loss", _pointwise_loss_vjp(K.huber_backward, "delta"))(
    lambda x, y, reduction, delta: _reduce(K.huber(x, y, x.dtype.type(delta)), reduction)
)


def _soft_margin_vjp(n, g):
    """torch's soft_margin_loss_backward: -norm y z / (1 + z) g with z = exp(-y x)."""
    x, y = n.saved["self"], n.saved["target"].astype(g.dtype, copy=False)
    z = np.exp(-y * x)
    grad = (y * z) * -_numel_scale(n, g.dtype)
    return (grad / (z + 1) * g, None)


@_op("soft_margin_loss", _soft_margin_vjp)
def soft_margin_loss(x, y, reduction):
    return _reduce(np.log1p(np.exp(np.negative(x) * y)), reduction)


def _bce_vjp(n, g):
    """torch's binary_cross_entropy_backward (x) and _target_backward (y): each times the
    weight, and over N for a mean."""
    x, weight, scale = n.saved["self"], n.saved.get("weight"), _numel_scale(n, g.dtype)

    def finish(grad):
        if weight is not None:
            grad = grad * weight
        return grad if scale == 1 else grad * scale

    return (
        _needs(n, 0, lambda: finish(K.binary_cross_entropy_backward(g, x, n.saved["target"]))),
        _needs(n, 1, lambda: finish(K.binary_cross_entropy_backward_target(g, x))),
        *[None] * (len(n.needs) - 2),
    )


@_op("binary_cross_entropy", _bce_vjp)
def binary_cross_entropy(x, y, weight=None, *, reduction):
    """Checks every element first, as torch's kernel does: an input, then a target, outside
    [0, 1] (or nan) stops it."""
    outside = ~((x >= 0) & (x <= 1)) | ~((y >= 0) & (y <= 1))
    if outside.any():
        first = np.flatnonzero(outside)[0]
        which = "input" if not 0 <= x.reshape(-1)[first] <= 1 else "target"
        raise ComputeError(f"all elements of {which} should be between 0 and 1")
    losses = K.binary_cross_entropy(x, y)
    return _reduce(losses if weight is None else losses * weight, reduction)


# ---------------------------------------------------------------- neural-network ops


def _scalar(value: float, dtype: np.dtype):
    """An attribute as the kernels take it: rounded to the computing dtype (integers
    truncate, as torch's integral addmm casts beta and alpha)."""
    return dtype.type(int(value)) if dtype.kind == "i" else dtype.type(value)


def _addmm_vjp(n, g):
    beta, alpha = n.attrs["beta"], n.attrs["alpha"]

    def scaled(x):
        return x if alpha == 1 else KN.scale(x, _scalar(alpha, x.dtype))

    return (
        _needs(n, 0, lambda: g if beta == 1 else KN.scale(g, _scalar(beta, g.dtype))),
        _needs(n, 1, lambda: scaled(_mm_grad_first(g, n.saved["mat2"], n.inputs[1]))),
        _needs(n, 2, lambda: scaled(_mm_grad_second(n.saved["mat1"], g, n.inputs[2]))),
    )


@_op("addmm", _addmm_vjp)
def addmm(x, a, b, beta, alpha):
    product = K.mm_int(a, b) if a.dtype.kind == "i" else K.mm(_blas(a), _blas(b))
    return KN.addmm_combine(product, x, _scalar(beta, a.dtype), _scalar(alpha, a.dtype))


def _times(x: np.ndarray, factor: float) -> np.ndarray:
    """factor x, or x itself for factor 1 (torch's maybe_multiply)."""
    return x if factor == 1 else KN.scale(x, _scalar(factor, x.dtype))


def _product_vjp(first_grad, second_grad):
    """The vjp of beta input + alpha product(first, second): beta g for input, alpha times
    first_grad(g, second) and second_grad(first, g), each in its input's dtype."""

    def vjp(n, g):
        alpha, (first, second) = n.attrs["alpha"], rules.SPECS[n.impl.op].inputs[1:]

        def grad(i, compute):
            return _times(compute().astype(n.inputs[i].dtype, copy=False), alpha)

        return (
            _needs(n, 0, lambda: _times(g, n.attrs["beta"]).astype(n.inputs[0].dtype)),
            _needs(n, 1, lambda: grad(1, lambda: first_grad(g, n.saved[second]))),
            _needs(n, 2, lambda: grad(2, lambda: second_grad(n.saved[first], g))),
        )

    return vjp


def _combined(product: np.ndarray, x: np.ndarray, beta, alpha) -> np.ndarray:
    """beta x + alpha product in product's dtype (beta 0 ignores x, nan included)."""
    if product.dtype == np.bool_:
        return (bool(beta) & x) | (bool(alpha) & product) if beta else bool(alpha) & product
    x = np.broadcast_to(x.astype(product.dtype, copy=False), product.shape)
    dtype = product.dtype
    return KN.addmm_combine(product, x, _scalar(beta, dtype), _scalar(alpha, dtype))


@_op("addmv", _product_vjp(lambda g, v: np.outer(g, v), lambda m, g: _c(m.T) @ g))
def addmv(x, m, v, beta, alpha):
    return _combined(np.matmul(_blas(m), _c(v)), x, beta, alpha)


@_op("addr", _product_vjp(lambda g, v2: g @ v2, lambda v1, g: g.T @ v1))
def addr(x, v1, v2, beta, alpha):
    dtype = np.result_type(x, v1, v2)
    product = np.outer(v1.astype(dtype, copy=False), v2.astype(dtype, copy=False))
    return _combined(product, x, beta, alpha)


@_op(
    "baddbmm",
    _product_vjp(
        lambda g, b: np.matmul(_c(g), _c(b).transpose(0, 2, 1)),
        lambda a, g: np.matmul(_c(a).transpose(0, 2, 1), _c(g)),
    ),
)
def baddbmm(x, a, b, beta, alpha):
    return _combined(np.matmul(_c(a), _c(b)), x, beta, alpha)


@_op(
    "addbmm",
    _product_vjp(
        lambda g, b: np.matmul(_c(g)[None], _c(b).transpose(0, 2, 1)),
        lambda a, g: np.matmul(_c(a).transpose(0, 2, 1), _c(g)[None]),
    ),
)
def addbmm(x, a, b, beta, alpha):
    product = np.matmul(_c(a), _c(b)).sum(0, dtype=a.dtype)
    return _combined(product, x, beta, alpha)


def _middle(x: np.ndarray, dim: int) -> np.ndarray:
    """`x` as a C-contiguous (outer, n, inner) array, `dim` in the middle."""
    if x.ndim == 0:
        return _c(x.reshape(1, 1, 1))
    dim %= x.ndim
    return _c(x).reshape(prod(x.shape[:dim]), x.shape[dim], prod(x.shape[dim + 1 :]))


def _along(kernel, dim: int, *arrays: np.ndarray) -> np.ndarray:
    """Run a fused (outer, n, inner) kernel over `arrays` along `dim`; the result has the
    first array's shape."""
    out = np.empty(arrays[0].shape, arrays[0].dtype)
    kernel(*(_middle(a, dim) for a in arrays), _middle(out, dim))
    return out


_op("softmax", lambda n, g: (_along(KN.softmax_backward, n.attrs["dim"], g, n.saved["result"]),))(
    lambda x, dim: _along(KN.softmax, dim, x)
)
_op(
    "log_softmax",
    lambda n, g: (_along(KN.log_softmax_backward, n.attrs["dim"], g, n.saved["result"]),),
)(lambda x, dim: _along(KN.log_softmax, dim, x))


@_op(
    "_safe_softmax",
    lambda n, g: (_along(KN.softmax_backward, n.attrs["dim"], g, n.saved["result"]),),
)
def _safe_softmax(x, dim):
    """softmax, with zeros where a row along `dim` is all -inf (torch's _safe_softmax: the
    saved result's zeros give those rows no gradient)."""
    out = _along(KN.softmax, dim, x)
    rows = np.all(x == -np.inf, axis=dim % x.ndim if x.ndim else None, keepdims=True)
    return np.where(rows, out.dtype.type(0), out)


def _norm_rows(x: np.ndarray, normalized_shape: Sequence[int]) -> np.ndarray:
    """`x` as C-contiguous rows of the trailing `normalized_shape` elements."""
    return _c(x).reshape(prod(x.shape[: x.ndim - len(normalized_shape)]), prod(normalized_shape))


def _affine(param: np.ndarray, n: int) -> np.ndarray:
    """A weight or bias as n contiguous elements (an absent one arrives as the number 1 or 0)."""
    return _c(np.broadcast_to(param.reshape(-1) if param.ndim else param, (n,)))


def _layer_norm_vjp(n, g):
    shape, (needs_x, needs_w, needs_b) = n.attrs["normalized_shape"], n.needs
    rows = _norm_rows(n.saved["self"], shape)
    stats = np.empty((rows.shape[0], 2), rows.dtype)
    KN.layer_norm_stats(rows, n.attrs["eps"], stats)
    weight = _affine(n.saved["weight"], rows.shape[1])
    dx = np.empty(rows.shape if needs_x else (0, rows.shape[1]), rows.dtype)
    dw, db = np.zeros(rows.shape[1]), np.zeros(rows.shape[1])
    KN.layer_norm_backward(_norm_rows(g, shape), rows, weight, stats, dx, dw, db)
    return (
        dx.reshape(g.shape) if needs_x else None,
        dw.astype(rows.dtype).reshape(shape) if needs_w else None,
        db.astype(rows.dtype).reshape(shape) if needs_b else None,
    )


@_op("layer_norm", _layer_norm_vjp)
def layer_norm(x, weight, bias, normalized_shape, eps):
    rows = _norm_rows(x, normalized_shape)
    out = np.empty_like(rows)
    stats = np.empty((rows.shape[0], 2), rows.dtype)
    n = rows.shape[1]
    KN.layer_norm(rows, _affine(weight, n), _affine(bias, n), eps, stats, out)
    return out.reshape(x.shape)


def _groups(x: np.ndarray, groups: int) -> np.ndarray:
    """An (N, C, *) array as a C-contiguous (N, G, C / G, L)."""
    return _c(x).reshape(x.shape[0], groups, x.shape[1] // groups, prod(x.shape[2:]))


def _group_affine(param: np.ndarray, groups: int, channels: int) -> np.ndarray:
    """A weight or bias as a contiguous (G, C / G) array."""
    return _affine(param, channels).reshape(groups, -1)


def _native_group_norm_vjp(n, g):
    """torch's NativeGroupNormBackward0, whose CPU kernel fails when the bias needs a
    gradient and there is no weight (torch 2.13 reads the absent weight's device)."""
    groups, (needs_x, needs_w, needs_b) = n.attrs["num_groups"], n.needs
    if needs_b and n.saved["weight"].ndim == 0:
        raise ComputeError("tensor does not have a device")
    x = _groups(n.saved["self"], groups)
    channels = n.saved["self"].shape[1]
    stats = np.empty((x.shape[0], groups, 2), x.dtype)
    KN.group_norm_stats(x, n.attrs["eps"], stats)
    weight = _group_affine(n.saved["weight"], groups, channels)
    dx = np.empty(x.shape if needs_x else (0, *x.shape[1:]), x.dtype)
    dw, db = np.zeros((2, groups, x.shape[2]))
    KN.group_norm_backward(_groups(g, groups), x, weight, stats, dx, dw, db)
    return (
        dx.reshape(g.shape) if needs_x else None,
        dw.astype(x.dtype).reshape(channels) if needs_w else None,
        db.astype(x.dtype).reshape(channels) if needs_b else None,
    )


@_op("native_group_norm", _native_group_norm_vjp)
def native_group_norm(x, weight, bias, num_groups, eps):
    x4 = _groups(x, num_groups)
    channels = x.shape[1]
    out = np.empty_like(x4)
    stats = np.empty((x4.shape[0], num_groups, 2), x4.dtype)
    affine = weight.ndim > 0 or bias.ndim > 0  # the numbers 1 and 0 arrive as 0-d arrays
    w, b = (_group_affine(p, num_groups, channels) for p in (weight, bias))
    KN.group_norm(x4, w, b, affine, eps, stats, out)
    return out.reshape(x.shape)


def _channels(x: np.ndarray) -> np.ndarray:
    """An (N, C, *) array as a C-contiguous (N, C, L)."""
    return _c(x).reshape(x.shape[0], x.shape[1], prod(x.shape[2:]))


def _batch_statistics(x3: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each channel's μ and Σ (x - μ)², in x's dtype (see KN.batch_norm_stats)."""
    mean, var_sum = np.empty((2, x3.shape[1]), x3.dtype)
    KN.batch_norm_stats(x3, mean, var_sum)
    return mean, var_sum


def _normalization(x3, running_mean, running_var, training: bool, eps: float):
    """(μ, ρ) per channel, in x's dtype as torch computes them: in training the batch's,
    ρ = 1/√(σ² + eps) in float64 from σ² = Σ(x - μ)² / M divided in x's dtype; in evaluation
    the running ones, ρ computed in x's dtype."""
    dtype = x3.dtype.type
    if training:
        mean, var_sum = _batch_statistics(x3)
        variance = (var_sum / dtype(x3.shape[0] * x3.shape[2])).astype(np.float64)
        return mean, (1.0 / np.sqrt(variance + eps)).astype(dtype)
    running_var = running_var.reshape(-1)
    return _c(running_mean.reshape(-1)), dtype(1) / np.sqrt(running_var + dtype(eps))


def _batch_norm_vjp(n, g):
    x, weight = n.saved["self"], n.saved["weight"]
    needs_x, needs_w, needs_b = n.needs[:3]
    if x.size == 0:  # nothing normalized: no element contributes
        zeros = [
            np.zeros(n.inputs[i].shape, NUMPY_DTYPES[n.inputs[i].dtype]) if n.needs[i] else None
            for i in (1, 2)
        ]
        return (np.zeros_like(x) if needs_x else None, *zeros, None, None)[: len(n.needs)]
    x3, training = _channels(x), n.attrs["training"]
    mean, rstd = _normalization(
        x3, n.saved.get("running_mean"), n.saved.get("running_var"), training, n.attrs["eps"]
    )
    channels = x3.shape[1]
    dx = np.empty(x3.shape if needs_x else (0, channels, x3.shape[2]), x3.dtype)
    dw, db = np.empty((2, channels), x3.dtype)
    KN.batch_norm_backward(
        _channels(g), x3, mean, rstd, _affine(weight, channels), training, dx, dw, db
    )
    return (
        dx.reshape(x.shape) if needs_x else None,
        dw.reshape(n.inputs[1].shape) if needs_w else None,
        db.reshape(n.inputs[2].shape) if needs_b else None,
        None,
        None,
    )[: len(n.needs)]


@_op("batch_norm", _batch_norm_vjp)
def batch_norm(x, weight, bias, running_mean=None, running_var=None, *, training, eps):
    if x.size == 0:
        return x.copy()
    x3 = _channels(x)
    channels = x3.shape[1]
    mean, rstd = _normalization(x3, running_mean, running_var, training, eps)
    out = np.empty_like(x3)
    KN.batch_norm(x3, mean, rstd, _affine(weight, channels), _affine(bias, channels), out)
    return out.reshape(x.shape)


@_op("batch_norm_running_stats", lambda n, g: (None, None, None))
def batch_norm_running_stats(x, running_mean, running_var, *, momentum):
    """(1 - momentum) running + momentum × the batch's μ and unbiased σ², stacked, in
    float64 rounded once (the unbiased σ² itself divided in x's dtype, as torch divides it):
    one pass of the batch's statistics for both."""
    running = np.stack([running_mean.reshape(-1), running_var.reshape(-1)])
    if x.size == 0:
        return running
    x3 = _channels(x)
    mean, var_sum = _batch_statistics(x3)
    unbiased = var_sum / x3.dtype.type(x3.shape[0] * x3.shape[2] - 1)
    batch = np.stack([mean, unbiased]).astype(np.float64)
    return (momentum * batch + (1 - momentum) * running).astype(running.dtype)


def _nll_rows(x: np.ndarray, target: np.ndarray, weight: np.ndarray | None):
    """(M, C) rows, (M,) targets and (C,) class weights (ones when there are none) for an
    (N, C) or a (C,) input, or for an (N, C, H, W) one, whose rows are its pixels."""
    if x.ndim == 4:  # classes last: one row per (n, h, w)
        x = x.transpose(0, 2, 3, 1)
    rows = _c(x.reshape(-1, x.shape[-1]))
    weight = np.ones(rows.shape[1], rows.dtype) if weight is None else _c(weight.reshape(-1))
    return rows, _c(target.reshape(-1)), weight


def _nll_mean_divisor(targets: np.ndarray, weight: np.ndarray | None, ignore_index: int):
    """What the mean divides by: the weights of the counted rows (their number unweighted)."""
    counted = targets[targets != ignore_index]
    if weight is None:
        return counted.size
    return float(np.sum(weight.reshape(-1)[counted], dtype=np.float64)) if counted.size else 0.0


def _nll_loss_forward(x, target, weight=None, *, reduction, ignore_index):
    """nll_loss and nll_loss2d: -weight[t] x[row, t] per row, reduced."""
    rows, targets, weights = _nll_rows(x, target, weight)
    losses = np.empty(rows.shape[0], x.dtype)
    bad = KN.nll_loss(rows, targets, weights, ignore_index, losses)
    if bad >= 0:
        raise DimensionOutOfRange(f"Target {targets[bad]} is out of bounds.")
    if reduction == "none":
        return losses.reshape(target.shape) if x.ndim != 1 else losses.reshape(())
    total = K.sum_all(losses, 0.0)
    if reduction == "mean":
        divisor = _nll_mean_divisor(targets, weight, ignore_index)
        total = total / divisor if divisor else np.nan
    return np.asarray(total, dtype=x.dtype)


def _nll_loss_backward(n, g):
    x, target, weight = n.saved["self"], n.saved["target"], n.saved.get("weight")
    rows, targets, weights = _nll_rows(x, target, weight)
    reduction, ignore_index = n.attrs["reduction"], n.attrs["ignore_index"]
    if reduction == "none":
        upstream = _c(np.asarray(g, rows.dtype).reshape(-1))
    else:
        scale = np.asarray(g, np.float64).reshape(())
        if reduction == "mean":
            divisor = _nll_mean_divisor(targets, weight, ignore_index)
            scale = scale / divisor if divisor else np.nan
        upstream = np.full(rows.shape[0], scale, rows.dtype)
    out = np.zeros(rows.shape, rows.dtype)
    KN.nll_loss_backward(upstream, targets, weights, ignore_index, out)
    if x.ndim == 4:  # classes back in the middle
        n_, c, h, w = x.shape
        return _c(out.reshape(n_, h, w, c).transpose(0, 3, 1, 2))
    return out.reshape(x.shape)


for _name in ("nll_loss", "nll_loss2d"):
    _op(
        _name,
        lambda n, g: (
            _needs(n, 0, lambda: _nll_loss_backward(n, g)),
            *[None] * (len(n.needs) - 1),
        ),
        own_dtype=("target",),
    )(_nll_loss_forward)


def _multi_margin_terms(x, target, weight, p: int, margin: float):
    """Per sample and class: z = margin - x[y] + x[d] where positive and d is not the target
    y, the (N, C) rows, the targets (checked) and the per-sample weight w[y] (or None)."""
    classes = x.shape[-1] if x.ndim else 1
    rows, targets = x.reshape(-1, classes), target.reshape(-1).astype(np.int64, copy=False)
    bad = (targets < 0) | (targets >= classes)
    if bad.any():
        raise ComputeError("target out of range")
    frames = np.arange(targets.size)
    z = (x.dtype.type(margin) - rows[frames, targets][:, None]) + rows
    z[frames, targets] = 0
    z = np.where(z > 0, z, x.dtype.type(0))  # as torch's `z > 0`: nan counts nothing
    scale = None if weight is None else weight.reshape(-1)[targets][:, None]
    return rows, targets, z, scale


@_op(
    "multi_margin_loss",
    lambda n, g: (
        _needs(n, 0, lambda: _multi_margin_backward(n, g)),
        *[None] * (len(n.needs) - 1),
    ),
    own_dtype=("target",),
)
def multi_margin_loss(x, target, weight=None, *, reduction, p, margin):
    rows, _, z, scale = _multi_margin_terms(x, target, weight, p, margin)
    h = z if p == 1 else z * z
    if scale is not None:
        h = h * scale
    losses = h.sum(axis=1, dtype=x.dtype) / x.dtype.type(rows.shape[1])
    if reduction == "none":
        return losses.reshape(target.shape)
    total = float(np.sum(losses, dtype=np.float64))
    if reduction == "mean":
        total = total / losses.size if losses.size else 0.0
    return np.asarray(total, dtype=x.dtype)


def _multi_margin_backward(n, g):
    """torch's multi_margin_loss_backward: g_d = s (1, or 2z for p 2) w_y where z > 0,
    the target's the negated sum of the others', times the upstream gradient; s is
    1 / (N C) for a mean, else 1 / C."""
    x, reduction = n.saved["self"], n.attrs["reduction"]
    rows, targets, z, scale = _multi_margin_terms(
        x, n.saved["target"], n.saved.get("weight"), n.attrs["p"], n.attrs["margin"]
    )
    frames, classes = rows.shape
    step = x.dtype.type(1.0 / (frames * classes) if reduction == "mean" else 1.0 / classes)
    h = (z > 0) * step if n.attrs["p"] == 1 else 2 * step * z
    h = h.astype(x.dtype, copy=False)
    if scale is not None:
        h = h * scale
    h[np.arange(frames), targets] = -h.sum(axis=1)
    upstream = np.asarray(g, x.dtype).reshape(-1, 1) if reduction == "none" else g
    return (h * upstream).reshape(x.shape)


def _multilabel_rows(x, target):
    """The (N, C) rows and int64 targets of a (C,), 0-d or (N, C) input, the targets
    checked against [-1, C) as torch checks them."""
    dim = x.shape[-1] if x.ndim else 1
    rows, targets = _c(x.reshape(-1, dim)), _c(target.reshape(-1, dim))
    if targets.size and (targets.min() < -1 or targets.max() >= dim):
        raise ComputeError("argument #2 'target' is out of range")
    return rows, targets


def _multilabel_margin_vjp(n, g):
    """torch's multilabel_margin_loss_backward: ±step per violated (target, non-target)
    pair, step 1 / (N C) for a mean, else 1 / C, then times the upstream gradient."""
    x, reduction = n.saved["self"], n.attrs["reduction"]
    rows, targets = _multilabel_rows(x, n.saved["target"])
    frames, dim = rows.shape
    step = x.dtype.type(1.0 / (frames * dim) if reduction == "mean" else 1.0 / dim)
    out = np.zeros(rows.shape, x.dtype)
    KN.multilabel_margin_loss_backward(rows, targets, step, out)
    upstream = np.asarray(g, x.dtype)
    out *= upstream.reshape(-1, 1) if upstream.ndim else upstream
    return (out.reshape(x.shape), None)


@_op("multilabel_margin_loss", _multilabel_margin_vjp, own_dtype=("target",))
def multilabel_margin_loss(x, target, *, reduction):
    rows, targets = _multilabel_rows(x, target)
    frames, dim = rows.shape
    sums = np.empty(frames, x.dtype)
    total = KN.multilabel_margin_loss(rows, targets, sums)
    if reduction == "none" and x.ndim == 2:
        return sums / x.dtype.type(dim)
    total /= dim
    if reduction == "mean":
        total = total / frames if frames else np.nan
    return np.asarray(total, dtype=x.dtype)


def _ctc_targets(targets, target_lengths):
    """The targets flat as int64 and where each sample's start in them."""
    flat = _c(targets.reshape(-1).astype(np.int64))
    lengths = np.asarray(target_lengths, np.int64)
    if targets.ndim == 2:
        starts = np.arange(lengths.size, dtype=np.int64) * targets.shape[1]
    else:
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    return flat, _c(starts), _c(lengths)


def _ctc_loss_vjp(n, g):
    """torch's ctc_loss backward (see the kernel)."""
    lp = _c(n.saved["log_probs"])
    targets, starts, lengths = _ctc_targets(n.saved["targets"], n.attrs["target_lengths"])
    out = np.zeros(lp.shape, lp.dtype)
    KN.ctc_loss_backward(
        lp,
        targets,
        starts,
        _c(np.asarray(n.attrs["input_lengths"], np.int64)),
        lengths,
        n.attrs["blank"],
        _c(n.saved["result"]),
        _c(np.asarray(g, lp.dtype).reshape(-1)),
        n.attrs["zero_infinity"],
        out,
    )
    return (out, None)


@_op("ctc_loss", _ctc_loss_vjp, own_dtype=("targets",))
def ctc_loss(log_probs, targets, *, input_lengths, target_lengths, blank, zero_infinity):
    flat, starts, lengths = _ctc_targets(targets, target_lengths)
    nll = np.empty(log_probs.shape[1], log_probs.dtype)
    KN.ctc_loss(
        _c(log_probs), flat, starts, _c(np.asarray(input_lengths, np.int64)), lengths, blank, nll
    )
    return nll


# ---------------------------------------------------------------- embedding


def _embedding_vjp(n, g):
    """torch's embedding_dense_backward: the output gradient's rows scatter-added into a
    zero (num_embeddings, embedding_dim) gradient (see the kernel)."""
    weight = n.inputs[0]
    indices = _c(n.saved["indices"].reshape(-1))
    rows = _c(g).reshape(indices.size, weight.shape[1])
    out = np.zeros(weight.shape, g.dtype)
    KN.embedding_backward(rows, indices, n.attrs["padding_idx"], n.attrs["scale_grad_by_freq"], out)
    return (out, None)


@_op("embedding", _embedding_vjp, own_dtype=("indices",))
def embedding(weight, indices, padding_idx, scale_grad_by_freq):
    """weight[indices], one row per index; torch's IndexError for an index out of range."""
    flat = _c(indices.reshape(-1))
    out = np.empty((flat.size, weight.shape[1]), weight.dtype)
    if KN.embedding(_c(weight), flat, out) >= 0:
        raise InvalidIndex("index out of range in self")
    return out.reshape((*indices.shape, weight.shape[1]))


_BAG_MODES = {"sum": 0, "mean": 1, "max": 2}


def _bags(indices, offsets, include_last_offset: bool, rows: int):
    """The int64 indices and each bag's [start, end), checked as torch checks them."""
    indices, offsets = _c(indices.astype(np.int64)), offsets.astype(np.int64)
    n = indices.size
    if offsets.size and offsets[0] != 0:
        raise ComputeError(
            "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
            f"from position 0. However, got {offsets[0]}\n[ torch.LongTensor{{}} ]"
        )
    if offsets.size and offsets[-1] > n:
        raise ComputeError(
            f"offsets[-1] can not be greater than input's length {n} but got offsets[-1] of "
            f"{offsets[-1]}"
        )
    if (np.diff(offsets) < 0).any():
        raise ComputeError(
            "Expected i < index_size to be true, but got false.  (Could this error message be "
            "improved?  If so, please report an enhancement request to PyTorch.)"
        )
    outside = np.flatnonzero((indices < 0) | (indices >= rows))
    if outside.size:
        k = outside[0]
        raise ComputeError(
            f"Index {k} of input takes value {indices[k]} which is not in the valid range "
            f"[0, {rows})"
        )
    bags = offsets.size - include_last_offset
    starts = _c(offsets[:bags])
    ends = _c(offsets[1 : bags + 1] if include_last_offset else np.append(offsets[1:], n))
    return indices, starts, ends


def _sample_weights(weights, dtype):
    """The per-sample weights flat, or none (the number 0) as an empty array."""
    return _c(weights.reshape(-1)) if isinstance(weights, np.ndarray) else np.empty(0, dtype)


def _embedding_bag_max_rows(n, weight, indices, starts, ends):
    """The row index of each bag's maximum, per column (-1 for an empty bag)."""
    out = np.zeros((starts.size, weight.shape[1]), weight.dtype)
    arg = np.full(out.shape, -1, np.int64)
    empty = np.empty(0, weight.dtype)
    KN.embedding_bag(
        _c(weight), indices, starts, ends, empty, False, False, 2, n.attrs["padding_idx"], out, arg
    )
    return arg


def _embedding_bag_weight_grad(n, g):
    rows, dim = n.inputs[0].shape
    indices, starts, ends = _bags(
        n.saved["indices"], n.saved["offsets"], n.attrs["include_last_offset"], rows
    )
    g = _c(np.asarray(g))
    out = np.zeros((rows, dim), g.dtype)
    if n.attrs["mode"] == "max":
        arg = _embedding_bag_max_rows(n, n.saved["weight"], indices, starts, ends)
        found = arg >= 0
        np.add.at(out, (arg[found], np.nonzero(found)[1]), g[found])
        return out
    weights = n.saved["per_sample_weights"]
    KN.embedding_bag_backward(
        g,
        indices,
        starts,
        ends,
        _sample_weights(weights, g.dtype),
        isinstance(weights, np.ndarray),
        n.attrs["mode"] == "mean",
        n.attrs["padding_idx"],
        n.attrs["scale_grad_by_freq"],
        _embedding_bag_frequencies(indices, rows),
        out,
    )
    return out


def _embedding_bag_frequencies(indices, rows: int):
    """What torch's embedding_bag backward divides a row's gradient by with
    scale_grad_by_freq: for the u-th smallest distinct index, the count of the u-th smallest
    index (its own count when counts before it are 1; torch reads the sorted indices at the
    distinct index's ordinal, not at its first position)."""
    freq = np.ones(rows, np.int64)
    counts = np.bincount(indices, minlength=rows)
    distinct = np.unique(indices)
    freq[distinct] = counts[np.sort(indices)[: distinct.size]]
    return freq


def _embedding_bag_sample_weights_grad(n, g):
    weight = n.saved["weight"]
    indices, starts, ends = _bags(
        n.saved["indices"], n.saved["offsets"], n.attrs["include_last_offset"], weight.shape[0]
    )
    out = np.zeros(indices.size, g.dtype)
    KN.embedding_bag_sample_weights_backward(
        _c(np.asarray(g)), _c(weight), indices, starts, ends, n.attrs["padding_idx"], out
    )
    return out


@_op(
    "embedding_bag",
    lambda n, g: (
        _needs(n, 0, lambda: _embedding_bag_weight_grad(n, g)),
        None,
        None,
        _needs(n, 3, lambda: _embedding_bag_sample_weights_grad(n, g)),
    ),
    own_dtype=("indices", "offsets"),
)
def embedding_bag(
    weight,
    indices,
    offsets,
    per_sample_weights,
    *,
    mode,
    scale_grad_by_freq,
    include_last_offset,
    padding_idx,
):
    """Each bag's rows summed, averaged or maxed (see the kernel and the op table)."""
    indices, starts, ends = _bags(indices, offsets, include_last_offset, weight.shape[0])
    out = np.zeros((starts.size, weight.shape[1]), weight.dtype)
    arg = np.full(out.shape, -1, np.int64)
    KN.embedding_bag(
        _c(weight),
        indices,
        starts,
        ends,
        _sample_weights(per_sample_weights, weight.dtype),
        isinstance(per_sample_weights, np.ndarray),
        weight.dtype == np.float32 and padding_idx < 0,
        _BAG_MODES[mode],
        padding_idx,
        out,
        arg,
    )
    return out


@_op("embedding_renorm", lambda n, g: (None, None), own_dtype=("indices",))
def embedding_renorm(weight, indices, max_norm, norm_type):
    """The rows the indices name, each whose norm exceeds max_norm scaled by
    max_norm / (norm + 1e-7), as torch.embedding_renorm_ scales them (see the op table)."""
    n_rows = weight.shape[0]
    flat = _c(indices.reshape(-1))
    outside = np.sort(flat[(flat < -n_rows) | (flat >= n_rows)])
    if outside.size:
        raise InvalidIndex(
            f"select(): index {outside[0]} out of range for tensor of size "
            f"[{n_rows}, {weight.shape[1]}] at dimension 0"
        )
    rows = np.empty((flat.size, weight.shape[1]), weight.dtype)
    KN.embedding(_c(weight), _c(np.where(flat < 0, flat + n_rows, flat)), rows)
    norms = _vector_norm(rows, norm_type, [1], True, None).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        scales = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
    return rows * scales.astype(weight.dtype)


# ---------------------------------------------------------------- convolution


@dataclass(frozen=True, slots=True)
class _ConvGeometry:
    """A convolution's sizes over three spatial dims (1-d and 2-d ones with leading 1s), as
    the im2col kernels take them: the image (a convolution's input, a transposed one's
    output) and the grid of column positions (a convolution's output, a transposed one's
    input); and the result's own spatial sizes."""

    image: tuple[int, ...]  # three
    kernel: np.ndarray
    grid: np.ndarray
    stride: np.ndarray
    padding: np.ndarray
    dilation: np.ndarray
    out: tuple[int, ...]  # the result's spatial sizes, as many as the input has


def _conv_geometry(x_shape, w_shape, attrs: dict) -> _ConvGeometry:
    dim = len(w_shape) - 2
    stride, padding, dilation, output_padding = (
        rules.conv_param(attrs[name], name, dim)
        for name in ("stride", "padding", "dilation", "output_padding")
    )
    kernel = w_shape[2:]
    if attrs["transposed"]:
        grid = tuple(x_shape[2:])
        image = rules.conv_transpose_output_size(
            grid, kernel, stride, padding, dilation, output_padding
        )
        out = image
    else:
        image = tuple(x_shape[2:])
        grid = out = rules.conv_output_size(image, kernel, stride, padding, dilation)
    lead = 3 - dim

    def three(values, fill: int) -> np.ndarray:
        return np.array((fill,) * lead + tuple(values), np.int64)

    return _ConvGeometry(
        (1,) * lead + image,
        three(kernel, 1),
        three(grid, 1),
        three(stride, 1),
        three(padding, 0),
        three(dilation, 1),
        out,
    )


def _is_pointwise(g: _ConvGeometry) -> bool:
    """A 1x1 kernel with neither stride nor padding over an image of the grid's sizes: the
    columns are the image itself."""
    return not (
        np.any(g.kernel != 1) or np.any(g.stride != 1) or np.any(g.padding != 0)
    ) and g.image == tuple(g.grid)


def _conv_columns(x: np.ndarray, geometry: _ConvGeometry, groups: int) -> np.ndarray:
    """An image's im2col columns, (N, groups, channels/groups · kernel taps, positions)."""
    n, channels = x.shape[:2]
    g = geometry
    if _is_pointwise(g):
        return _c(x).reshape(n, groups, channels // groups, -1)
    rows = channels // groups * prod(geometry.kernel)
    cols = np.empty((n, groups, rows, prod(geometry.grid)), x.dtype)
    x5 = _c(x).reshape(n, channels, *g.image)
    KN.im2col(x5, g.kernel, g.grid, g.stride, g.padding, g.dilation, cols)
    return cols


def _conv_image(cols: np.ndarray, geometry: _ConvGeometry, channels: int) -> np.ndarray:
    """col2im: the (N, channels, *image) sums of the columns (N, groups, rows, positions)
    over the image elements each was read from."""
    g = geometry
    batch = cols.shape[0]
    if _is_pointwise(g):
        return _c(cols).reshape(batch, channels, *g.image)
    image = np.zeros((batch, channels, *g.image), cols.dtype)
    KN.col2im(cols, g.kernel, g.grid, g.stride, g.padding, g.dilation, image)
    return image


def _convolution_vjp(n, g):
    """torch's convolution_backward, per sample and group. A convolution y = W cols(x): dx =
    col2im(Wᵀ g), dW = Σ g cols(x)ᵀ over the batch (the columns recomputed from the saved
    input). A transposed one y = col2im(Wᵀ x), its adjoint: dx = W cols(g), a convolution
    of g, and dW = Σ x cols(g)ᵀ. db = Σ g over the batch and the positions (in float64,
    rounded once); each only where needed."""
    needs_x, needs_w, needs_b = n.needs
    x, weight = n.saved["input"], n.saved["weight"]
    attrs = n.attrs
    groups, transposed = attrs["groups"], attrs["transposed"]
    geometry = _conv_geometry(x.shape, weight.shape, attrs)
    batch, channels = x.shape[:2]
    out_channels = weight.shape[1] * groups if transposed else weight.shape[0]
    if batch == 0 or channels == 0:  # torch's Empty path: nothing reached the output
        return (
            np.zeros(x.shape, g.dtype) if needs_x else None,
            np.zeros(weight.shape, g.dtype) if needs_w else None,
            np.zeros(out_channels, g.dtype) if needs_b else None,
        )
    dx = dw = db = None
    if transposed:
        g_cols = _conv_columns(g, geometry, groups) if needs_x or needs_w else None
        if needs_w:
            x4 = _c(x).reshape(batch, groups, channels // groups, -1)
            dw = np.matmul(x4, g_cols.transpose(0, 1, 3, 2)).sum(axis=0)
            dw = dw.reshape(weight.shape)
        if needs_x:
            w3 = _c(weight).reshape(groups, channels // groups, -1)
            dx = np.matmul(w3, g_cols).reshape(x.shape)
    else:
        g4 = _c(g).reshape(batch, groups, out_channels // groups, prod(geometry.grid))
        cols = None
        if needs_w:
            cols = _conv_columns(x, geometry, groups)
            dw = np.matmul(g4, cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(weight.shape)
        if needs_x:
            w3 = _c(weight).reshape(groups, out_channels // groups, -1)
            # the columns' buffer, when there is one of our own, takes their gradient (a fresh
            # array of several MB costs its page faults)
            reuse = cols is not None and not np.may_share_memory(cols, x)
            dcols = np.matmul(w3.transpose(0, 2, 1), g4, out=cols if reuse else None)
            dx = _conv_image(dcols, geometry, channels).reshape(x.shape)
    if needs_b:
        total = np.zeros(out_channels)
        KN.conv_bias_grad(_c(g).reshape(batch, out_channels, -1), total)
        db = total.astype(g.dtype)
    return dx, dw, db


@_op("convolution", _convolution_vjp)
def convolution(x, weight, bias, **attrs):
    """A convolution: each sample's and group's (O/groups, rows) weight times its im2col
    columns (rows, positions) through BLAS, straight into the (N, O, positions) result. A
    transposed one: the weight's transpose times the input's (C/groups, positions) planes,
    summed into the result by col2im. Then the bias added."""
    groups, transposed = attrs["groups"], attrs["transposed"]
    geometry = _conv_geometry(x.shape, weight.shape, attrs)
    batch, channels = x.shape[:2]
    out_channels = weight.shape[1] * groups if transposed else weight.shape[0]
    if batch == 0 or channels == 0:  # torch's Empty path: an empty result
        return np.zeros((batch, out_channels if channels else 0, *geometry.out), x.dtype)
    if transposed:
        x4 = _c(x).reshape(batch, groups, channels // groups, -1)
        w3 = _c(weight).reshape(groups, channels // groups, -1)
        out = _conv_image(np.matmul(w3.transpose(0, 2, 1), x4), geometry, out_channels)
        out = out.reshape(batch, out_channels, -1)
    else:
        cols = _conv_columns(x, geometry, groups)
        out = np.matmul(_c(weight).reshape(groups, out_channels // groups, -1), cols)
        out = out.reshape(batch, out_channels, -1)
    if bias.ndim:
        out += bias.reshape(1, out_channels, 1)
    return out.reshape(batch, out_channels, *geometry.out)


# ---------------------------------------------------------------- constant_pad_nd


def _pad_regions(shape: tuple[int, ...], pad) -> tuple[tuple[slice, ...], tuple[slice, ...]]:
    """The part of the input that constant_pad_nd keeps, and where it lands in the result."""
    ndim, pairs = len(shape), len(pad) // 2
    kept, placed = [], []
    for i, size in enumerate(shape):
        if i < ndim - pairs:
            kept.append(slice(None))
            placed.append(slice(None))
            continue
        before, after = pad[2 * (ndim - i - 1)], pad[2 * (ndim - i - 1) + 1]
        start, stop = max(-before, 0), size - max(-after, 0)
        kept.append(slice(start, stop))
        placed.append(slice(max(before, 0), max(before, 0) + stop - start))
    return tuple(kept), tuple(placed)


def _constant_pad_nd_vjp(n, g):
    kept, placed = _pad_regions(n.inputs[0].shape, n.attrs["pad"])
    dx = np.zeros(n.inputs[0].shape, g.dtype)
    dx[kept] = g[placed]
    return (dx,)


@_op("constant_pad_nd", _constant_pad_nd_vjp)
def constant_pad_nd(x, pad, value):
    out = np.full(rules.constant_pad_shape(x.shape, pad), _scalar(value, x.dtype), x.dtype)
    kept, placed = _pad_regions(x.shape, pad)
    out[placed] = x[kept]
    return out


def _pad_sources(size: int, before: int, after: int, reflect: bool) -> np.ndarray:
    """The input index each output position takes along one padded dim: i = o - before,
    reflected (-j -> j, size - 1 + j -> size - 1 - j) or clamped into [0, size)."""
    i = np.arange(size + before + after) - before
    if reflect:
        i = np.abs(i)
        return np.where(i >= size, 2 * (size - 1) - i, i)
    return np.clip(i, 0, size - 1)


def _index_pad(reflect: bool):
    def forward(x, padding):
        for j in range(len(padding) // 2):  # the last dim first
            axis = x.ndim - 1 - j
            sources = _pad_sources(x.shape[axis], padding[2 * j], padding[2 * j + 1], reflect)
            x = np.take(x, sources, axis=axis)
        return x

    def vjp(n, g):
        shape, padding = n.inputs[0].shape, n.attrs["padding"]
        for j in reversed(range(len(padding) // 2)):  # undone in the reverse order
            axis, before = g.ndim - 1 - j, padding[2 * j]
            sources = _pad_sources(shape[axis], before, padding[2 * j + 1], reflect)
            dx = np.zeros((*g.shape[:axis], shape[axis], *g.shape[axis + 1 :]), g.dtype)
            # the outputs that took input o - before are one slice; each other adds its own
            start, stop = max(before, 0), min(shape[axis] + before, g.shape[axis])
            take = (slice(None),) * axis
            dx[(*take, slice(start - before, stop - before))] = g[(*take, slice(start, stop))]
            for o in (*range(start), *range(stop, g.shape[axis])):
                dx[(*take, sources[o])] += g[(*take, o)]
            g = dx
        return (g,)

    return forward, vjp


for _kind, _reflect in (("reflection", True), ("replication", False)):
    _forward, _vjp = _index_pad(_reflect)
    for _dims in (1, 2, 3):
        _op(f"{_kind}_pad{_dims}d", _vjp)(_forward)


# ---------------------------------------------------------------- repeat, flip, roll, tril, triu


def _repeat_vjp(n, g):
    """torch's repeat_backward: g viewed as (repeat, size) pairs per dim, summed over the
    repeats (and the leading dims repeat added); zeros when a repeat is 0."""
    repeats, shape = n.attrs["repeats"], n.inputs[0].shape
    if 0 in repeats:
        return (np.zeros(shape, g.dtype),)
    padded = (1,) * (len(repeats) - len(shape)) + tuple(shape)
    split = [size for pair in zip(repeats, padded, strict=True) for size in pair]
    summed = reduce_sum(g.reshape(split), list(range(0, len(split), 2)))
    return (summed.reshape(shape),)


@_op("repeat", _repeat_vjp)
def repeat(x, repeats):
    return np.ascontiguousarray(np.tile(x, repeats)) if repeats else np.array(x, copy=True)


def _flipped(x, dims):
    """x reversed along `dims`, copied in x's memory order (torch's empty_like)."""
    return np.array(np.flip(x, [d % max(x.ndim, 1) for d in dims]) if x.ndim else x, order="K")


_op("flip", lambda n, g: (_flipped(g, n.attrs["dims"]),))(_flipped)


def _rolled(x, shifts, dims, sign=1):
    """x shifted cyclically by `shifts` along `dims` (the flattened x with no dims)."""
    if not dims:
        return np.roll(x.reshape(-1), sign * shifts[0]).reshape(x.shape)
    if x.ndim == 0:
        return np.array(x, copy=True)
    return np.ascontiguousarray(np.roll(x, [sign * s for s in shifts], [d % x.ndim for d in dims]))


_op("roll", lambda n, g: (_rolled(g, n.attrs["shifts"], n.attrs["dims"], -1),))(_rolled)
_op("tril", lambda n, g: (np.tril(g, n.attrs["diagonal"]),))(
    lambda x, diagonal: np.tril(x, diagonal)
)
_op("triu", lambda n, g: (np.triu(g, n.attrs["diagonal"]),))(
    lambda x, diagonal: np.triu(x, diagonal)
)


# ---------------------------------------------------------------- max and average pooling


def _planes(x: np.ndarray) -> np.ndarray:
    """A (C, H, W) or (N, C, H, W) array as C-contiguous (planes, H, W)."""
    return _c(x).reshape(-1, x.shape[-2], x.shape[-1])


def _pool_volumes(x: np.ndarray, spatial: int) -> np.ndarray:
    """A pooling's array (batch dims, then `spatial` dims, 2 or 3) as C-contiguous
    (P, D, H, W) volumes, D = 1 for a 2-d pooling (a view of a C-contiguous x)."""
    batch, tail = x.shape[: x.ndim - spatial], x.shape[x.ndim - spatial :]
    return _c(x).reshape(prod(batch), *(1,) * (3 - spatial), *tail)


def _flat_volumes(x: np.ndarray, spatial: int) -> np.ndarray:
    """A pooling's array as C-contiguous (P, elements of a volume)."""
    return _c(x).reshape(prod(x.shape[: x.ndim - spatial]), prod(x.shape[x.ndim - spatial :]))


def _spatial(op: str) -> int:
    return 3 if "3d" in op else 2


def _pool_window(op: str, attrs: dict) -> tuple[np.ndarray, ...]:
    """The kernel, stride, padding and dilation of max_pool2d/3d or avg_pool2d/3d as the
    kernels' (D, H, W) arrays (a 2-d pooling's depth: one element)."""
    depth = ((1,), (1,), (0,), (1,)) if _spatial(op) == 2 else ((),) * 4
    params = rules.pool_params(op, attrs)
    return tuple(np.array((*d, *p), np.int64) for d, p in zip(depth, params, strict=True))


def _max_pool(x: np.ndarray, op: str, attrs: dict) -> tuple[np.ndarray, np.ndarray]:
    """max_pool2d/3d's values and indices (torch's cpu_max_pool)."""
    shape = rules.infer(op, [rules.meta(x.shape, str(x.dtype))], attrs)[2].shape
    out, indices = np.empty(shape, x.dtype), np.empty(shape, np.int64)
    spatial = _spatial(op)
    window = _pool_window(op, attrs)
    KN.max_pool(
        _pool_volumes(x, spatial),
        *window,
        _pool_volumes(out, spatial),
        _pool_volumes(indices, spatial),
    )
    return out, indices


def _scatter_to_maxima(x: np.ndarray, indices: np.ndarray, g: np.ndarray, spatial: int):
    """The gradient of a max pooling: each output's gradient added to its chosen input."""
    dx = np.zeros(x.shape, g.dtype)
    flat = _flat_volumes(indices, spatial)
    KN.max_pool_backward(_flat_volumes(g, spatial), flat, _flat_volumes(dx, spatial))
    return dx


def _max_pool_op(op: str) -> None:
    """Registers max_pool{2,3}d (the backward recomputes the indices from the saved input)
    and max_pool{2,3}d_indices."""

    def vjp(n, g):
        x = n.saved["self"]
        return (_scatter_to_maxima(x, _max_pool(x, op, n.attrs)[1], g, _spatial(op)),)

    _op(op, vjp)(lambda x, **attrs: _max_pool(x, op, attrs)[0])
    _op(f"{op}_indices", lambda n, g: (None,))(lambda x, **attrs: _max_pool(x, op, attrs)[1])


_max_pool_op("max_pool2d")
_max_pool_op("max_pool3d")


_INT_MIN = -(2**31)


def _c_int(values: np.ndarray) -> np.ndarray:
    """C's static_cast<int> of floats as x86 computes it: truncation, and INT_MIN for nan
    or a value outside int's range (as int64)."""
    inside = (values > _INT_MIN - 1) & (values < 2**31)
    return np.where(inside, np.where(inside, values, 0).astype(np.int64), _INT_MIN)


def _fractional_starts(samples: np.ndarray, size: int, out: int, pool: int) -> np.ndarray:
    """torch's generate_intervals for each plane's sample u, in the samples' dtype: window i
    starts at int((i + u) α) - int(u α) (C ints, wrapping), α = (size - pool) / (out - 1),
    the last at size - pool. (P,) samples give (P, out) int64 starts."""
    starts = np.empty((samples.size, out), np.int64)
    if out > 1:
        alpha = samples.dtype.type(size - pool) / samples.dtype.type(out - 1)
        u = samples[:, None]
        steps = np.arange(out - 1, dtype=samples.dtype)
        difference = _c_int((steps + u) * alpha) - _c_int(u * alpha)
        starts[:, :-1] = (difference - _INT_MIN) % 2**32 + _INT_MIN
    if out > 0:
        starts[:, -1] = size - pool
    return starts


def _fractional_max_pool(
    x: np.ndarray, samples: np.ndarray, op: str, attrs: dict
) -> tuple[np.ndarray, np.ndarray]:
    """fractional_max_pool2d/3d's values and indices (torch's
    fractional_max_pool{2,3}d_out_single_batch_frame): plane (n, c) pools with the windows
    that samples[n, c] places (2-d: sample 0 for the width, 1 for the height)."""
    spatial = _spatial(op)
    kernel, size = attrs["kernel_size"], attrs["output_size"]
    shape = (*x.shape[: x.ndim - spatial], *size)
    out, indices = np.empty(shape, x.dtype), np.empty(shape, np.int64)
    volumes = _pool_volumes(x, spatial)
    batch = x.shape[0] if x.ndim == spatial + 2 else 1
    drawn = samples[:batch].reshape(-1, spatial)
    order = (1, 0) if spatial == 2 else (0, 1, 2)  # the sample of each of the dims (H, W) ...
    pools = (1, *kernel) if spatial == 2 else tuple(kernel)
    starts = [np.zeros((volumes.shape[0], 1), np.int64)] if spatial == 2 else []
    for dim, column in enumerate(order):
        extent, pool = x.shape[x.ndim - spatial + dim], kernel[dim]
        starts.append(_fractional_starts(drawn[:, column], extent, size[dim], pool))
        window = starts[-1]
        if pool > 0 and window.size and (window.min() < 0 or window.max() + pool > extent):
            raise ComputeError(f"{op}(): a random sample places a window outside the input")
    KN.fractional_max_pool(
        volumes,
        *starts,
        np.array(pools, np.int64),
        _pool_volumes(out, spatial),
        _pool_volumes(indices, spatial),
    )
    return out, indices


def _fractional_max_pool_op(op: str) -> None:
    """Registers fractional_max_pool{2,3}d (the backward recomputes the indices from the
    saved input and samples) and fractional_max_pool{2,3}d_indices."""
    spatial = _spatial(op)

    def vjp(n, g):
        x = n.saved["self"]
        indices = _fractional_max_pool(x, n.saved["random_samples"], op, n.attrs)[1]
        if indices.size and (indices.min() < 0 or indices.max() >= prod(x.shape[-spatial:])):
            raise ComputeError(  # an empty window's index (kernel <= 0): torch's assert
                f"{op}_backward(): an index lies outside the input (kernel_size <= 0)"
            )
        return (_scatter_to_maxima(x, indices, g, spatial), None)

    _op(op, vjp)(lambda x, samples, **attrs: _fractional_max_pool(x, samples, op, attrs)[0])
    _op(f"{op}_indices", lambda n, g: (None, None))(
        lambda x, samples, **attrs: _fractional_max_pool(x, samples, op, attrs)[1]
    )


_fractional_max_pool_op("fractional_max_pool2d")
_fractional_max_pool_op("fractional_max_pool3d")


def _max_unpool_op(op: str) -> None:
    """Registers max_unpool{2,3}d: each input element placed at its index in a zeroed plane
    (torch's cpu_max_unpool); the gradient gathers the output gradient at the indices."""
    spatial = _spatial(op)

    def forward(x, indices, output_size, **_):
        out = np.zeros((*x.shape[: x.ndim - spatial], *output_size), x.dtype)
        if not out.size:
            return out
        flat_x, flat_indices = _flat_volumes(x, spatial), _flat_volumes(indices, spatial)
        bad = KN.max_unpool(flat_x, flat_indices, _flat_volumes(out, spatial))
        if bad >= 0:
            raise ComputeError(
                f"Found an invalid max index: {flat_indices.flat[bad]} (output volumes are of "
                f"size {'x'.join(map(str, output_size))})"
            )
        return out

    def vjp(n, g):
        indices, layout = n.saved["indices"], n.inputs[1]
        rows = layout.shape[: layout.ndim - spatial]
        if layout.numel and rules.view_strides(layout, (*rows, layout.numel // prod(rows))) is None:
            raise ShapeMismatch(  # torch's max_pool_double_backward views the indices
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
            )
        flat = np.take_along_axis(_flat_volumes(g, spatial), _flat_volumes(indices, spatial), 1)
        return (flat.reshape(indices.shape), None)

    _op(op, vjp, own_dtype=("indices",))(forward)


_max_unpool_op("max_unpool2d")
_max_unpool_op("max_unpool3d")


def _avg_pool_args(op: str, attrs: dict) -> tuple:
    kernel, stride, padding, _ = _pool_window(op, attrs)
    divisor = attrs["divisor_override"]
    return kernel, stride, padding, bool(attrs["count_include_pad"]), divisor or 0


def _avg_pool_op(op: str) -> None:
    """Registers avg_pool{2,3}d: each window's mean as torch's CPU kernels compute it (see
    the op table)."""
    spatial = _spatial(op)

    def vjp(n, g):
        dx = np.zeros(n.inputs[0].shape, g.dtype)
        KN.avg_pool_backward(
            _pool_volumes(g, spatial), *_avg_pool_args(op, n.attrs), _pool_volumes(dx, spatial)
        )
        return (dx,)

    def forward(x, **attrs):
        out = np.empty(
            rules.infer(op, [rules.meta(x.shape, str(x.dtype))], attrs)[2].shape, x.dtype
        )
        integral = x.dtype.kind == "i"
        args = _avg_pool_args(op, attrs)
        KN.avg_pool(_pool_volumes(x, spatial), *args, integral, _pool_volumes(out, spatial))
        return out

    _op(op, vjp)(forward)


_avg_pool_op("avg_pool2d")
_avg_pool_op("avg_pool3d")


def _scale_step(in_size: int, out_size: int, scale, kind):
    """torch's compute_scales_value in `kind`: 1 / scale for a scale given above 0, else
    in_size / out_size."""
    if scale is not None and scale > 0:
        return kind(1.0 / scale)
    return kind(in_size) / kind(out_size)


def _nearest_indices(in_size: int, out_size: int, scale, dtype, generic: bool) -> np.ndarray:
    """The input index each output takes: torch's nearest_idx (float32 scale, identity and
    halving shortcuts), or its generic kernel's (the scale in `dtype`, no shortcuts)."""
    i = np.arange(out_size)
    if not generic and out_size == in_size:
        return i
    if not generic and out_size == 2 * in_size:
        return i >> 1
    kind = np.dtype(dtype).type if generic else np.float32
    step = _scale_step(in_size, out_size, scale, kind)
    source = np.floor((step * i.astype(kind)).astype(np.float32))
    return np.minimum(source.astype(np.int64), in_size - 1)


def _volumes(x: np.ndarray, dims: int) -> np.ndarray:
    """An (N, C, *spatial) array as C-contiguous (planes, D, H, W), missing dims of size 1."""
    return _c(x).reshape(-1, *(1,) * (3 - dims), *x.shape[2:])


def _upsample_nearest_indices(
    shape, attrs: dict, dims: int, dtype, generic: bool
) -> list[np.ndarray]:
    out = attrs["output_size"]
    scales = rules.upsample_scales(attrs, dims)
    found = [_nearest_indices(shape[2 + k], out[k], scales[k], dtype, generic) for k in range(dims)]
    return [np.zeros(1, np.int64)] * (3 - dims) + found


def _upsample_nearest(op: str, mode: str, dims: int, indices_of: Callable):
    """The op copying, for each output, the input element `indices_of` picks along each of
    the `dims` spatial dims ('nearest' and 'nearest-exact'); its vjp adds them back there."""

    def vjp(n, g):
        shape = n.inputs[0].shape
        dx = np.zeros(shape, g.dtype)
        indices = indices_of(shape, n.attrs, dims, g.dtype, generic=False)
        KN.upsample_nearest_backward(_volumes(g, dims), *indices, _volumes(dx, dims))
        return (dx,)

    def forward(x, output_size, **scales):
        attrs = {"output_size": output_size, **scales}
        generic = rules.upsample_kernel_name("nearest", output_size).startswith("compute")
        indices = indices_of(x.shape, attrs, dims, x.dtype, generic)
        out = np.empty((*x.shape[:2], *output_size), x.dtype)
        KN.upsample_nearest(_volumes(x, dims), *indices, _volumes(out, dims))
        return out

    forward.__doc__ = f"F.interpolate's '{mode}' over {dims} spatial dim(s) (see the op table)."
    return _op(op, vjp)(forward)


for _dims in (1, 2, 3):
    _upsample_nearest(f"upsample_nearest{_dims}d", "nearest", _dims, _upsample_nearest_indices)


def _nearest_exact_indices(in_size: int, out_size: int, scale, dtype, generic: bool):
    """The input index each output takes in 'nearest-exact': torch's nearest_exact_idx,
    min(floorf((i + 0.5)·scale), size - 1) with a float32 scale and the product in float64;
    its generic kernel's floorf(source + 0.5), the half-pixel source in `dtype`."""
    if generic:
        source = np.empty(out_size, dtype)
        KN.half_pixel_sources(_scale_step(in_size, out_size, scale, source.dtype.type), source)
        rounded = source.astype(np.float64) + 0.5
    else:
        step = np.float64(_scale_step(in_size, out_size, scale, np.float32))
        rounded = (np.arange(out_size) + 0.5) * step
    return np.minimum(np.floor(rounded.astype(np.float32)).astype(np.int64), in_size - 1)


def _upsample_nearest_exact_indices(
    shape, attrs: dict, dims: int, dtype, generic: bool
) -> list[np.ndarray]:
    out = attrs["output_size"]
    scales = rules.upsample_scales(attrs, dims)
    found = [
        _nearest_exact_indices(shape[2 + k], out[k], scales[k], dtype, generic) for k in range(dims)
    ]
    return [np.zeros(1, np.int64)] * (3 - dims) + found


for _dims in (1, 2, 3):
    _upsample_nearest(
        f"_upsample_nearest_exact{_dims}d", "nearest-exact", _dims, _upsample_nearest_exact_indices
    )


def _source_step(in_size: int, out_size: int, align_corners: bool, scale, kind):
    """torch's area_pixel_compute_scale in `kind`: (in_size - 1) / (out_size - 1) with
    align_corners (0 for one output), else _scale_step's."""
    if align_corners:
        return kind(in_size - 1) / kind(out_size - 1) if out_size > 1 else kind(0)
    return _scale_step(in_size, out_size, scale, kind)


def _linear_neighbours(in_size: int, out_size: int, align_corners: bool, scale, dtype):
    """Each output's two source indices and their weights, in `dtype` (see the kernel); an
    output of the input's size takes each input with weights 1 and 0."""
    i = np.arange(out_size)
    if out_size == in_size:
        return i, i.copy(), np.ones(out_size, dtype), np.zeros(out_size, dtype)
    step = _source_step(in_size, out_size, align_corners, scale, np.dtype(dtype).type)
    first, second = np.empty(out_size, np.int64), np.empty(out_size, np.int64)
    near, far = np.empty(out_size, dtype), np.empty(out_size, dtype)
    KN.linear_neighbours(step, in_size, align_corners, first, second, near, far)
    return first, second, near, far


def _spatial_neighbours(shape, attrs: dict, dtype) -> list[np.ndarray]:
    """The linear neighbours and weights of each spatial dim (2 for bilinear, 3 for
    trilinear), one dim after another."""
    dims = len(attrs["output_size"])
    scales = rules.upsample_scales(attrs, dims)
    return [
        part
        for k in range(dims)
        for part in _linear_neighbours(
            shape[2 + k], attrs["output_size"][k], attrs["align_corners"], scales[k], dtype
        )
    ]


def _line_neighbours(shape, attrs: dict, dtype) -> tuple[np.ndarray, ...]:
    return _linear_neighbours(
        shape[-1], attrs["output_size"][0], attrs["align_corners"], attrs["scales"], dtype
    )


def _upsample_linear1d_vjp(n, g):
    shape = n.inputs[0].shape
    dx = np.zeros(shape, g.dtype)
    neighbours = _line_neighbours(shape, n.attrs, g.dtype)
    KN.upsample_linear1d_backward(
        _c(g).reshape(-1, g.shape[-1]), *neighbours, dx.reshape(-1, shape[-1])
    )
    return (dx,)


@_op("upsample_linear1d", _upsample_linear1d_vjp)
def upsample_linear1d(x, output_size, align_corners, scales):
    """F.interpolate's 'linear' (see the op table)."""
    attrs = dict(output_size=output_size, align_corners=align_corners, scales=scales)
    out = np.empty((*x.shape[:2], *output_size), x.dtype)
    neighbours = _line_neighbours(x.shape, attrs, x.dtype)
    KN.upsample_linear1d(
        _c(x).reshape(-1, x.shape[-1]), *neighbours, out.reshape(-1, out.shape[-1])
    )
    return out


def _upsample_bilinear2d_vjp(n, g):
    shape = n.inputs[0].shape
    dx = np.zeros(shape, g.dtype)
    KN.upsample_bilinear2d_backward(
        _planes(g), *_spatial_neighbours(shape, n.attrs, g.dtype), _planes(dx)
    )
    return (dx,)


@_op("upsample_bilinear2d", _upsample_bilinear2d_vjp)
def upsample_bilinear2d(x, output_size, align_corners, scales_h, scales_w):
    """F.interpolate's 'bilinear' (see the op table)."""
    attrs = dict(output_size=output_size, align_corners=align_corners)
    attrs.update(scales_h=scales_h, scales_w=scales_w)
    summed = sum(output_size) <= 128
    out = np.empty((*x.shape[:2], *output_size), x.dtype)
    neighbours = _spatial_neighbours(x.shape, attrs, x.dtype)
    lanes = 32 // x.itemsize  # torch's 256-bit vectors
    KN.upsample_bilinear2d(_planes(x), *neighbours, summed, x.shape[1], lanes, _planes(out))
    return out


def _upsample_trilinear3d_vjp(n, g):
    shape = n.inputs[0].shape
    dx = np.zeros(shape, g.dtype)
    neighbours = _spatial_neighbours(shape, n.attrs, g.dtype)
    KN.upsample_trilinear3d_backward(_volumes(g, 3), *neighbours, _volumes(dx, 3))
    return (dx,)


@_op("upsample_trilinear3d", _upsample_trilinear3d_vjp)
def upsample_trilinear3d(x, output_size, align_corners, scales_d, scales_h, scales_w):
    """F.interpolate's 'trilinear' (see the op table)."""
    attrs = dict(output_size=output_size, align_corners=align_corners)
    attrs.update(scales_d=scales_d, scales_h=scales_h, scales_w=scales_w)
    out = np.empty((*x.shape[:2], *output_size), x.dtype)
    neighbours = _spatial_neighbours(x.shape, attrs, x.dtype)
    KN.upsample_trilinear3d(_volumes(x, 3), *neighbours, _volumes(out, 3))
    return out


def _cubic_taps(shape, attrs: dict, dtype, fused: bool) -> list[np.ndarray]:
    """Per spatial dim, each output's four clamped source indices and cubic weights (fused:
    as torch's forward kernel computes them, else as its backward)."""
    taps = []
    for k, scale in enumerate(rules.upsample_scales(attrs, 2)):
        in_size, out_size = shape[2 + k], attrs["output_size"][k]
        step = _source_step(in_size, out_size, attrs["align_corners"], scale, np.dtype(dtype).type)
        index, weight = np.empty((out_size, 4), np.int64), np.empty((out_size, 4), dtype)
        KN.cubic_neighbours(step, in_size, attrs["align_corners"], fused, index, weight)
        taps += [index, weight]
    return taps


def _upsample_bicubic2d_vjp(n, g):
    shape = n.inputs[0].shape
    dx = np.zeros(shape, g.dtype)
    taps = _cubic_taps(shape, n.attrs, g.dtype, fused=False)
    KN.upsample_bicubic2d_backward(_planes(g), *taps, _planes(dx))
    return (dx,)


@_op("upsample_bicubic2d", _upsample_bicubic2d_vjp)
def upsample_bicubic2d(x, output_size, align_corners, scales_h, scales_w):
    """F.interpolate's 'bicubic' (see the op table)."""
    attrs = dict(output_size=output_size, align_corners=align_corners)
    attrs.update(scales_h=scales_h, scales_w=scales_w)
    out = np.empty((*x.shape[:2], *output_size), x.dtype)
    taps = _cubic_taps(x.shape, attrs, x.dtype, fused=True)
    KN.upsample_bicubic2d(_planes(x), *taps, _planes(out))
    return out


def _shuffled(x: np.ndarray, r: int) -> np.ndarray:
    """pixel_shuffle: (*, C r², H, W) to (*, C, H r, W r), a new C-contiguous array."""
    *batch, c, h, w = x.shape
    split = x.reshape(*batch, c // (r * r), r, r, h, w)
    moved = np.moveaxis(split, (-4, -3), (-3, -1))  # (*, C, H, r, W, r)
    return np.ascontiguousarray(moved).reshape(*batch, c // (r * r), h * r, w * r)


def _unshuffled(x: np.ndarray, r: int) -> np.ndarray:
    """pixel_unshuffle: (*, C, H r, W r) to (*, C r², H, W), a new C-contiguous array; torch's
    copy of an input without elements, in its own shape."""
    *batch, c, h, w = x.shape
    if x.size == 0:
        return x.copy()
    split = x.reshape(*batch, c, h // r, r, w // r, r)
    moved = np.moveaxis(split, (-3, -1), (-4, -3))  # (*, C, r, r, H, W)
    return np.ascontiguousarray(moved).reshape(*batch, c * r * r, h // r, w // r)


def _pixel_shuffle_vjp(op: str, factor: str, inverse: Callable):
    """The gradient is the inverse op of the output's, with that op's checks; torch refuses
    a result that does not fit the input (an empty pixel_unshuffle keeps its shape)."""

    def vjp(n, g):
        inverse_op = "pixel_unshuffle" if op == "pixel_shuffle" else "pixel_shuffle"
        inverse_factor = "downscale_factor" if op == "pixel_shuffle" else "upscale_factor"
        r = n.attrs[factor]
        rules.infer(inverse_op, [rules.meta(g.shape, str(g.dtype))], {inverse_factor: r})
        dx, shape = inverse(g, r), n.inputs[0].shape
        if dx.shape != shape:
            raise ComputeError(
                f"Function {rules.SPECS[op].grad_fn([], {})} returned an invalid gradient at "
                f"index 0 - got {list(dx.shape)} but expected shape compatible with "
                f"{list(shape)}"
            )
        return (dx,)

    return vjp


@_op("pixel_shuffle", _pixel_shuffle_vjp("pixel_shuffle", "upscale_factor", _unshuffled))
def pixel_shuffle(x, upscale_factor):
    return _shuffled(x, upscale_factor)


@_op("pixel_unshuffle", _pixel_shuffle_vjp("pixel_unshuffle", "downscale_factor", _shuffled))
def pixel_unshuffle(x, downscale_factor):
    return _unshuffled(x, downscale_factor)


def _patch_geometry(attrs: dict, blocks: Sequence[int]) -> list[np.ndarray]:
    """The convolution kernels' (depth, height, width) geometry of a 2-d unfold or fold."""
    kernel, dilation = attrs["kernel_size"], attrs["dilation"]
    return [
        np.array(values, np.int64)
        for values in (
            (1, *kernel),
            (1, *blocks),
            (1, *attrs["stride"]),
            (0, *attrs["padding"]),
            (1, *dilation),
        )
    ]


def _unfolded(x: np.ndarray, attrs: dict) -> np.ndarray:
    """im2col of a (C, H, W) or (N, C, H, W) array (bool through int64)."""
    source = x.astype(np.int64) if x.dtype == np.bool_ else _c(x)
    batched = source.reshape(-1, *source.shape[-3:])
    n, c, h, w = batched.shape
    k = attrs["kernel_size"]
    blocks = [
        rules.patch_blocks(
            (h, w)[i], k[i], attrs["dilation"][i], attrs["padding"][i], attrs["stride"][i]
        )
        for i in range(2)
    ]
    cols = np.empty((n, 1, c * k[0] * k[1], blocks[0] * blocks[1]), source.dtype)
    KN.im2col(batched.reshape(n, c, 1, h, w), *_patch_geometry(attrs, blocks), cols)
    rows = (c * k[0] * k[1], blocks[0] * blocks[1])
    return cols.reshape(*x.shape[:-3], *rows).astype(x.dtype, copy=False)


def _folded(cols: np.ndarray, attrs: dict) -> np.ndarray:
    """col2im of a (C kH kW, L) or (N, C kH kW, L) array into (*, C, oH, oW), zeros first."""
    source = cols.astype(np.int64) if cols.dtype == np.bool_ else _c(cols)
    batched = source.reshape(-1, 1, *source.shape[-2:])
    k, (oh, ow) = attrs["kernel_size"], attrs["output_size"]
    c = batched.shape[2] // (k[0] * k[1])
    blocks = [
        rules.patch_blocks(
            (oh, ow)[i], k[i], attrs["dilation"][i], attrs["padding"][i], attrs["stride"][i]
        )
        for i in range(2)
    ]
    image = np.zeros((batched.shape[0], c, 1, oh, ow), source.dtype)
    KN.col2im(batched, *_patch_geometry(attrs, blocks), image)
    return image.reshape(*cols.shape[:-2], c, oh, ow).astype(cols.dtype, copy=False)


def _im2col_vjp(n, g):
    shape = n.inputs[0].shape
    return (_folded(g, {**n.attrs, "output_size": shape[-2:]}),)


@_op("im2col", _im2col_vjp)
def im2col(x, kernel_size, dilation, padding, stride):
    """F.unfold (see the op table)."""
    attrs = dict(kernel_size=kernel_size, dilation=dilation, padding=padding, stride=stride)
    return _unfolded(x, attrs)


@_op("col2im", lambda n, g: (_unfolded(g, n.attrs),))
def col2im(x, output_size, kernel_size, dilation, padding, stride):
    """F.fold (see the op table)."""
    attrs = dict(kernel_size=kernel_size, dilation=dilation, padding=padding, stride=stride)
    return _folded(x, {**attrs, "output_size": output_size})


def _refuse_an_empty_output_plane(op: str, g: np.ndarray) -> None:
    """torch's adaptive pooling backwards refuse an output plane (volume) without elements."""
    for dim in range(g.ndim - _spatial(op), g.ndim):
        if g.shape[dim] == 0:
            raise ShapeMismatch(
                f"{op}_backward(): Expected grad_output to have non-zero size for non-batch "
                f"dimensions, but grad_output has sizes [{', '.join(map(str, g.shape))}] with "
                f"dimension {dim} being empty"
            )


def _adaptive_avg_pool_op(op: str) -> None:
    """Registers adaptive_avg_pool{2,3}d (torch's cpu_adaptive_avg_pool and its backward)."""
    spatial = _spatial(op)

    def vjp(n, g):
        _refuse_an_empty_output_plane(op, g)
        dx = np.zeros(n.inputs[0].shape, g.dtype)
        KN.adaptive_avg_pool_backward(_pool_volumes(g, spatial), _pool_volumes(dx, spatial))
        return (dx,)

    def forward(x, output_size):
        out = np.empty((*x.shape[: x.ndim - spatial], *output_size), x.dtype)
        KN.adaptive_avg_pool(_pool_volumes(x, spatial), _pool_volumes(out, spatial))
        return out

    _op(op, vjp)(forward)


_adaptive_avg_pool_op("adaptive_avg_pool2d")
_adaptive_avg_pool_op("adaptive_avg_pool3d")


def _adaptive_max_pool(x: np.ndarray, op: str, output_size) -> tuple[np.ndarray, np.ndarray]:
    spatial = _spatial(op)
    shape = (*x.shape[: x.ndim - spatial], *output_size)
    out, indices = np.empty(shape, x.dtype), np.empty(shape, np.int64)
    KN.adaptive_max_pool(
        _pool_volumes(x, spatial), _pool_volumes(out, spatial), _pool_volumes(indices, spatial)
    )
    return out, indices


def _adaptive_max_pool_op(op: str) -> None:
    """Registers adaptive_max_pool{2,3}d (the backward recomputes the indices from the saved
    input) and adaptive_max_pool{2,3}d_indices."""

    def vjp(n, g):
        x = n.saved["self"]
        _refuse_an_empty_output_plane(op, g)
        indices = _adaptive_max_pool(x, op, n.attrs["output_size"])[1]
        return (_scatter_to_maxima(x, indices, g, _spatial(op)),)

    _op(op, vjp)(lambda x, output_size: _adaptive_max_pool(x, op, output_size)[0])
    _op(f"{op}_indices", lambda n, g: (None,))(
        lambda x, output_size: _adaptive_max_pool(x, op, output_size)[1]
    )


_adaptive_max_pool_op("adaptive_max_pool2d")
_adaptive_max_pool_op("adaptive_max_pool3d")
