"""Numba kernels: plain loops and scalar functions, each stating its math.

Every kernel has explicit signatures, so importing this module compiles them (or loads them
from Numba's on-disk cache, `cache=True`) at server start-up rather than on a user's first
request. Elementwise kernels are `@vectorize` ufuncs, so they broadcast as NumPy does and
release the GIL inside their loops; the others are `@njit(nogil=True)`, so sessions on
different threads run in parallel. No fastmath: results must match torch and finite
differences. Matrix products call BLAS through `np.dot`.
"""

import math

import numpy as np
from numba import njit, vectorize


def _sigs(arity: int, ints: bool = False) -> list[str]:
    """Signatures over float32 and float64 (and int64) for an `arity`-argument scalar kernel."""
    types = ["float32", "float64"] + (["int64"] if ints else [])
    return [f"{t}({', '.join([t] * arity)})" for t in types]


def elementwise(arity: int, ints: bool = False):
    """Compile a scalar function into a broadcasting, cached ufunc."""
    return vectorize(_sigs(arity, ints), nopython=True, cache=True)


# ---------------------------------------------------------------- forward, elementwise


@elementwise(2, ints=True)
def add(a, b):
    """a + b"""
    return a + b


@elementwise(2, ints=True)
def sub(a, b):
    """a - b"""
    return a - b


@elementwise(2, ints=True)
def mul(a, b):
    """a * b"""
    return a * b


@elementwise(2)
def div(a, b):
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
def neg(a):
    """-a"""
    return -a


@elementwise(1)
def exp(a):
    """e^a"""
    return math.exp(a)


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
def relu(a):
    """max(a, 0), propagating nan"""
    return a if not a <= 0 else 0


@elementwise(1)
def sigmoid(a):
    """1 / (1 + e^-a), evaluated without overflow on either side"""
    if a >= 0:
        return 1 / (1 + math.exp(-a))
    z = math.exp(a)
    return z / (1 + z)


@elementwise(1)
def tanh(a):
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
def relu_backward(g, r):
    """0 where r <= 0, else g (so g where r is nan), as torch's threshold_backward"""
    if r <= 0:
        return 0
    return g


@elementwise(2)
def sigmoid_backward(g, r):
    """g r (1 - r)"""
    return g * (1 - r) * r


@elementwise(2)
def tanh_backward(g, r):
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
def squared_error(x, y):
    """(x - y)^2"""
    d = x - y
    return d * d


@elementwise(4)
def squared_error_backward(g, x, y, scale):
    """2 g scale (x - y)"""
    return 2 * scale * (x - y) * g


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
def sum_all(x, acc):
    """acc + Σ x, accumulated in acc's type (float64 for floats, so float32 sums round once)."""
    for i in range(x.size):
        acc += x[i]
    return acc


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
