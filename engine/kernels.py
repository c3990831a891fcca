"""Numba kernels: plain loops and scalar functions, each stating its math.

Every kernel has explicit signatures, so importing this module compiles them (or loads them
from Numba's on-disk cache, `cache=True`) at server start-up rather than on a user's first
request. Elementwise kernels are `@vectorize` ufuncs, so they broadcast as NumPy does and
release the GIL inside their loops; the others are `@njit(nogil=True)`, so sessions on
different threads run in parallel. No fastmath: results must match torch and finite
differences. Matrix products call BLAS through `np.dot`.

Large inputs run in parallel: the hot elementwise kernels are `SizeDispatch` objects that
call the serial ufunc, or, from a size measured per kernel (`config`), a `prange` loop over
C-contiguous operands that evaluates the very same ufunc element by element, so both paths
give the same bits. float32 `exp` and `sigmoid` are evaluated in float64 by a branch-free
polynomial that LLVM vectorizes (Numba has no SIMD float32 exp without Intel SVML); rounding
the float64 value gives the correctly rounded float32 result.
"""

import math

import numpy as np
from llvmlite import ir
from numba import njit, prange, types, vectorize
from numba.extending import intrinsic, overload

from . import config


def _sigs(arity: int, ints: bool = False) -> list[str]:
    """Signatures over float32 and float64 (and int64) for an `arity`-argument scalar kernel."""
    types = ["float32", "float64"] + (["int64"] if ints else [])
    return [f"{t}({', '.join([t] * arity)})" for t in types]


def elementwise(arity: int, ints: bool = False):
    """Compile a scalar function into a broadcasting, cached ufunc."""
    return vectorize(_sigs(arity, ints), nopython=True, cache=True)


# Operand dtypes the parallel loops are compiled for.
_FLOATS = ("float32", "float64")
_WITH_INTS = ("float32", "float64", "int64")


def _loop_sigs(arity: int, dtypes: tuple[str, ...]) -> list[str]:
    """void(a, [b, ...], out) over 1-D C-contiguous arrays of one dtype."""
    return [f"void({', '.join([f'{t}[::1]'] * (arity + 1))})" for t in dtypes]


def parallel_loop(arity: int, dtypes: tuple[str, ...] = _FLOATS):
    """Compile an elementwise loop over flat, C-contiguous operands with the threading layer."""
    return njit(_loop_sigs(arity, dtypes), cache=True, nogil=True, parallel=True)


class SizeDispatch:
    """An elementwise kernel: the serial `ufunc` (broadcasting, any layout, any size), or, for
    at least `min_elements` C-contiguous, writable operands of one shape and dtype, the
    parallel `loop` writing a fresh C-contiguous result. Other attributes are the ufunc's."""

    __slots__ = ("__name__", "dtypes", "loop", "min_elements", "ufunc")

    def __init__(self, name, ufunc, loop, min_elements: int, dtypes=_FLOATS):
        self.__name__ = name
        self.ufunc = ufunc
        self.loop = loop
        self.min_elements = min_elements
        self.dtypes = frozenset(np.dtype(t) for t in dtypes)

    def __call__(self, *args, **kwargs):
        first = args[0]
        if (
            not kwargs
            and type(first) is np.ndarray
            and first.size >= self.min_elements
            and len(args) == self.ufunc.nin
            and first.dtype in self.dtypes
            and all(
                type(a) is np.ndarray
                and a.shape == first.shape
                and a.dtype == first.dtype
                and a.flags.c_contiguous
                and a.flags.writeable
                for a in args
            )
        ):
            out = np.empty(first.shape, first.dtype)
            self.loop(*[a.reshape(-1) for a in args], out.reshape(-1))
            return out
        return self.ufunc(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.ufunc, name)

    def __repr__(self) -> str:
        return f"<gradrpc kernel {self.__name__}>"


# ---------------------------------------------------------------- float32 exp, vectorizable
# e^x = 2^(k/4) e^r with k = round(4x / ln 2) and |r| <= ln 2 / 8: a degree-8 polynomial
# gives e^r to ~1e-15, far below float32's half ulp, so rounding to float32 is exact but in
# astronomically rare double-rounding cases (none in an exhaustive scan of every 7th float32
# bit pattern). Rounding uses the 1.5 * 2^52 trick and 2^m is built from its bits, so the
# loop has no calls and no branches.


@intrinsic
def _float64_bits(typingctx, x):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _bits_float64(typingctx, x):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


_ROUNDER = 6755399441055744.0  # 1.5 * 2^52: x + _ROUNDER - _ROUNDER rounds x to an integer
_FOUR_OVER_LN2 = 4 / math.log(2)
_LN2_OVER_4_HI = 0.6931471803691238 / 4  # ln 2 = hi + lo, hi with trailing zero bits
_LN2_OVER_4_LO = 1.9082149292705877e-10 / 4
_ROOT4_2, _ROOT2_2, _ROOT4_8 = 2**0.25, 2**0.5, 2**0.75


@njit("float64(float64)", cache=True, nogil=True)
def _exp_reduced(x):
    """e^x for x in [-110, 89], in float64 to ~1e-15 relative (the range float32 needs)."""
    t = x * _FOUR_OVER_LN2 + _ROUNDER
    k = t - _ROUNDER
    r = (x - k * _LN2_OVER_4_HI) - k * _LN2_OVER_4_LO
    p = 1.0 + r * (
        1.0
        + r
        * (
            1 / 2
            + r
            * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (1 / 5040 + r / 40320)))))
        )
    )
    i = _float64_bits(t) - _float64_bits(_ROUNDER)
    j = i & 3
    root = _ROOT4_8 if j == 3 else (_ROOT2_2 if j == 2 else (_ROOT4_2 if j == 1 else 1.0))
    return p * root * _bits_float64(((i >> 2) + 1023) << 52)


@njit("float32(float32)", cache=True, nogil=True)
def _expf(a):
    """e^a for float32, correctly rounded; inf, 0 and nan where libm gives them."""
    x = np.float64(a)
    x = x if x > -110.0 else -110.0  # e^-110 and below round to 0 in float32 (nan too: fixed below)
    x = x if x < 89.0 else 89.0  # e^89 and above round to inf
    y = np.float32(_exp_reduced(x))
    return y if a == a else a


@njit("float32(float32)", cache=True, nogil=True, error_model="numpy")  # no ZeroDivision check
def _sigmoidf(a):
    """1 / (1 + e^-a) for float32, from e^-|a| in float64 (no overflow on either side)."""
    x = np.float64(a)
    m = -x if x >= 0 else x
    m = m if m > -110.0 else -110.0
    e = _exp_reduced(m)
    s = 1.0 / (1.0 + e)  # sigmoid(|a|)'s complement form; for a < 0, e / (1 + e)
    y = np.float32(s if x >= 0 else e * s)
    return y if a == a else a


def _exp_scalar(a):
    """e^a: `_expf` for float32, libm's exp for float64."""
    return math.exp(a)


@overload(_exp_scalar)
def _exp_scalar_typed(a):
    if a == types.float32:
        return lambda a: _expf(a)
    return lambda a: math.exp(a)


def _sigmoid_scalar(a):
    """1 / (1 + e^-a): `_sigmoidf` for float32, the two-sided libm form for float64."""
    return 1 / (1 + math.exp(-a))


@overload(_sigmoid_scalar)
def _sigmoid_scalar_typed(a):
    if a == types.float32:
        return lambda a: _sigmoidf(a)

    def sigmoid64(a):
        if a >= 0:
            return 1 / (1 + math.exp(-a))
        z = math.exp(a)
        return z / (1 + z)

    return sigmoid64


# ---------------------------------------------------------------- forward, elementwise


@elementwise(2, ints=True)
def _add(a, b):
    """a + b"""
    return a + b


@elementwise(2, ints=True)
def _sub(a, b):
    """a - b"""
    return a - b


@elementwise(2, ints=True)
def _mul(a, b):
    """a * b"""
    return a * b


@elementwise(2)
def _div(a, b):
    """a / b (IEEE: x/0 is ±inf, 0/0 is nan)"""
    return a / b


@elementwise(2)
def pow_(a, b):
    """a ** b"""
    return a**b


@njit(["int64(int64, int64)"], cache=True, nogil=True)
def _int_pow(a, b):
    result = 1
    while b > 0:
        if b & 1:
            result *= a
        a *= a
        b >>= 1
    return result


@vectorize(["int64(int64, int64)"], nopython=True, cache=True)
def int_pow(a, b):
    """a ** b for integers, by repeated squaring (b >= 0)"""
    return _int_pow(a, b)


@elementwise(1, ints=True)
def _neg(a):
    """-a"""
    return -a


@elementwise(1)
def _exp(a):
    """e^a"""
    return _exp_scalar(a)


@elementwise(1)
def log(a):
    """ln a (nan below 0, -inf at 0)"""
    if a < 0:
        return math.nan
    if a == 0:
        return -math.inf
    return math.log(a)


@elementwise(1)
def sqrt(a):
    """a^(1/2) (nan below 0)"""
    return math.sqrt(a) if a >= 0 else math.nan


@elementwise(1, ints=True)
def abs_(a):
    """|a|"""
    return abs(a)


@elementwise(1, ints=True)
def _relu(a):
    """max(a, 0), propagating nan"""
    return a if not a <= 0 else 0


@elementwise(1)
def _sigmoid(a):
    """1 / (1 + e^-a), evaluated without overflow on either side"""
    return _sigmoid_scalar(a)


@elementwise(1)
def _tanh(a):
    """tanh a"""
    return math.tanh(a)


@elementwise(1)
def reciprocal(a):
    """1 / a"""
    return 1 / a


# ---------------------------------------------------------------- backward, elementwise
# g is the incoming gradient, r the forward result, x the forward input.


@elementwise(2)
def sqrt_backward(g, r):
    """g / (2 r)"""
    return g / (2 * r)


@elementwise(2)
def abs_backward(g, x):
    """g sign(x), with sign(0) = 0"""
    if x > 0:
        return g
    if x < 0:
        return -g
    return g * 0


@elementwise(2)
def _relu_backward(g, r):
    """0 where r <= 0, else g (so g where r is nan), as torch's threshold_backward"""
    if r <= 0:
        return 0
    return g


@elementwise(2)
def _sigmoid_backward(g, r):
    """g r (1 - r)"""
    return g * (1 - r) * r


@elementwise(2)
def _tanh_backward(g, r):
    """g (1 - r^2)"""
    return g * (1 - r * r)


@elementwise(2)
def reciprocal_backward(g, r):
    """-g r^2"""
    return -g * (r * r)


@elementwise(3)
def div_backward_other(g, a, b):
    """-g a / b^2, as torch orders it: -g ((a / b) / b)"""
    return -g * ((a / b) / b)


@elementwise(3)
def pow_backward_base(g, x, e):
    """g e x^(e - 1), and 0 where e = 0 (even where g is not finite)"""
    if e == 0:
        return 0
    return g * (e * x ** (e - 1))


@elementwise(3)
def pow_backward_exponent(g, x, r):
    """g r ln x, and 0 where x = 0 and the exponent makes r finite"""
    if x == 0 and r == r and not math.isinf(r):
        return g * 0
    if x < 0:
        return g * math.nan
    return g * (r * math.log(x))


@elementwise(2)
def bce_with_logits(x, y):
    """(1 - y) x + m + ln(e^-m + e^(-x-m)) with m = max(-x, 0): -(y ln s(x) + (1-y) ln(1-s(x)))"""
    m = max(-x, 0)
    return (1 - y) * x + m + math.log(math.exp(-m) + math.exp(-x - m))


@elementwise(4)
def bce_with_logits_backward(g, x, y, scale):
    """g scale (sigmoid(x) - y)"""
    if x >= 0:
        s = 1 / (1 + math.exp(-x))
    else:
        z = math.exp(x)
        s = z / (1 + z)
    return g * scale * (s - y)


@elementwise(3)
def bce_with_logits_backward_target(g, x, scale):
    """-g scale x"""
    return -g * scale * x


@elementwise(2)
def _squared_error(x, y):
    """(x - y)^2"""
    d = x - y
    return d * d


@elementwise(4)
def squared_error_backward(g, x, y, scale):
    """2 g scale (x - y)"""
    return 2 * scale * (x - y) * g


# ---------------------------------------------------------------- parallel loops for large inputs
# Each evaluates its serial ufunc element by element (same bits); `SizeDispatch` picks it.


@parallel_loop(2, _WITH_INTS)
def _add_loop(a, b, out):
    for i in prange(out.size):
        out[i] = _add(a[i], b[i])


@parallel_loop(2, _WITH_INTS)
def _sub_loop(a, b, out):
    for i in prange(out.size):
        out[i] = _sub(a[i], b[i])


@parallel_loop(2, _WITH_INTS)
def _mul_loop(a, b, out):
    for i in prange(out.size):
        out[i] = _mul(a[i], b[i])


@parallel_loop(2, _FLOATS)
def _div_loop(a, b, out):
    for i in prange(out.size):
        out[i] = _div(a[i], b[i])


@parallel_loop(2, _FLOATS)
def _relu_backward_loop(a, b, out):
    for i in prange(out.size):
        out[i] = _relu_backward(a[i], b[i])


@parallel_loop(2, _FLOATS)
def _sigmoid_backward_loop(a, b, out):
    for i in prange(out.size):
        out[i] = _sigmoid_backward(a[i], b[i])


@parallel_loop(2, _FLOATS)
def _tanh_backward_loop(a, b, out):
    for i in prange(out.size):
        out[i] = _tanh_backward(a[i], b[i])


@parallel_loop(2, _FLOATS)
def _squared_error_loop(a, b, out):
    for i in prange(out.size):
        out[i] = _squared_error(a[i], b[i])


@parallel_loop(1, _WITH_INTS)
def _neg_loop(a, out):
    for i in prange(out.size):
        out[i] = _neg(a[i])


@parallel_loop(1, _WITH_INTS)
def _relu_loop(a, out):
    for i in prange(out.size):
        out[i] = _relu(a[i])


@parallel_loop(1, _FLOATS)
def _exp_loop(a, out):
    for i in prange(out.size):
        out[i] = _exp(a[i])


@parallel_loop(1, _FLOATS)
def _sigmoid_loop(a, out):
    for i in prange(out.size):
        out[i] = _sigmoid(a[i])


@parallel_loop(1, _FLOATS)
def _tanh_loop(a, out):
    for i in prange(out.size):
        out[i] = _tanh(a[i])


add = SizeDispatch("add", _add, _add_loop, config.PARALLEL_MIN_ELEMENTS, _WITH_INTS)
sub = SizeDispatch("sub", _sub, _sub_loop, config.PARALLEL_MIN_ELEMENTS, _WITH_INTS)
mul = SizeDispatch("mul", _mul, _mul_loop, config.PARALLEL_MIN_ELEMENTS, _WITH_INTS)
div = SizeDispatch("div", _div, _div_loop, config.PARALLEL_MIN_ELEMENTS, _FLOATS)
relu_backward = SizeDispatch(
    "relu_backward", _relu_backward, _relu_backward_loop, config.PARALLEL_MIN_ELEMENTS, _FLOATS
)
sigmoid_backward = SizeDispatch(
    "sigmoid_backward",
    _sigmoid_backward,
    _sigmoid_backward_loop,
    config.PARALLEL_MIN_ELEMENTS,
    _FLOATS,
)
tanh_backward = SizeDispatch(
    "tanh_backward", _tanh_backward, _tanh_backward_loop, config.PARALLEL_MIN_ELEMENTS, _FLOATS
)
squared_error = SizeDispatch(
    "squared_error", _squared_error, _squared_error_loop, config.PARALLEL_MIN_ELEMENTS, _FLOATS
)
neg = SizeDispatch("neg", _neg, _neg_loop, config.PARALLEL_MIN_ELEMENTS, _WITH_INTS)
relu = SizeDispatch("relu", _relu, _relu_loop, config.PARALLEL_MIN_ELEMENTS, _WITH_INTS)
exp = SizeDispatch("exp", _exp, _exp_loop, config.PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL, _FLOATS)
sigmoid = SizeDispatch(
    "sigmoid", _sigmoid, _sigmoid_loop, config.PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL, _FLOATS
)
tanh = SizeDispatch("tanh", _tanh, _tanh_loop, config.PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL, _FLOATS)


# ---------------------------------------------------------------- reductions


@njit(
    [
        "float64(float32[::1], float64)",
        "float64(float64[::1], float64)",
        "int64(int64[::1], int64)",
    ],
    cache=True,
    nogil=True,
)
def _sum_all_serial(x, acc):
    """acc + Σ x, accumulated in acc's type (float64 for floats, so float32 sums round once)."""
    for i in range(x.size):
        acc += x[i]
    return acc


@njit(
    [
        "float64(float32[::1], float64)",
        "float64(float64[::1], float64)",
        "int64(int64[::1], int64)",
    ],
    cache=True,
    nogil=True,
    parallel=True,
)
def _sum_all_parallel(x, acc):
    """acc + Σ x as `_sum_all_serial`, each thread summing a contiguous chunk."""
    total = acc * 0
    for i in prange(x.size):
        total += x[i]
    return acc + total


def sum_all(x, acc):
    """acc + Σ x, accumulated in acc's type (float64 for floats, so float32 sums round once);
    in parallel chunks from `config.PARALLEL_MIN_ELEMENTS` elements."""
    if x.size >= config.PARALLEL_MIN_ELEMENTS:
        return _sum_all_parallel(x, acc)
    return _sum_all_serial(x, acc)


@njit(
    [
        "void(float32[:, :, ::1], float64[:, ::1])",
        "void(float64[:, :, ::1], float64[:, ::1])",
        "void(int64[:, :, ::1], int64[:, ::1])",
    ],
    cache=True,
    nogil=True,
)
def sum_middle(x, acc):
    """acc[a, b] += Σ_r x[a, r, b]: the sum over one axis of an array seen as (A, R, B)."""
    n_a, n_r, n_b = x.shape
    for a in range(n_a):
        for r in range(n_r):
            for b in range(n_b):
                acc[a, b] += x[a, r, b]


# ---------------------------------------------------------------- matrix products


def _mm_sigs() -> list[str]:
    sigs = []
    for t in ("float32", "float64"):
        for left in (":, ::1", "::1, :"):
            for right in (":, ::1", "::1, :"):
                sigs.append(f"{t}[:, ::1]({t}[{left}], {t}[{right}])")
    return sigs


@njit(_mm_sigs(), cache=True, nogil=True)
def mm(a, b):
    """a @ b through BLAS gemm; C- or Fortran-ordered inputs (transposes) need no copy."""
    return np.dot(a, b)


@njit(["int64[:, ::1](int64[:, :], int64[:, :])"], cache=True, nogil=True)
def mm_int(a, b):
    """out[i, j] = Σ_k a[i, k] b[k, j] for integers."""
    n, k = a.shape
    m = b.shape[1]
    out = np.zeros((n, m), dtype=np.int64)
    for i in range(n):
        for p in range(k):
            aip = a[i, p]
            for j in range(m):
                out[i, j] += aip * b[p, j]
    return out


def _mv_sigs() -> list[str]:
    return [
        f"{t}[::1]({t}[{layout}], {t}[::1])"
        for t in ("float32", "float64")
        for layout in (":, ::1", "::1, :")
    ]


@njit(_mv_sigs(), cache=True, nogil=True)
def mv(a, v):
    """a @ v through BLAS gemv."""
    return np.dot(a, v)


@njit(
    ["float32(float32[::1], float32[::1])", "float64(float64[::1], float64[::1])"],
    cache=True,
    nogil=True,
)
def dot(a, b):
    """Σ_i a_i b_i through BLAS dot."""
    return np.dot(a, b)


@njit(
    ["float32[:, ::1](float32[::1], float32[::1])", "float64[:, ::1](float64[::1], float64[::1])"],
    cache=True,
    nogil=True,
)
def outer(u, v):
    """out[i, j] = u_i v_j"""
    out = np.empty((u.size, v.size), dtype=u.dtype)
    for i in range(u.size):
        for j in range(v.size):
            out[i, j] = u[i] * v[j]
    return out
