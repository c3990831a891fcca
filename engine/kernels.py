"""Numba kernels: plain loops and scalar functions, each stating its math.

Elementwise kernels are NumPy ufuncs (`elementwise`): each scalar function is compiled into
one inner loop per dtype, a `@cfunc` cached on disk (`cache=True`), and NumPy calls those
loops, so broadcasting, type resolution, `out=` and the release of the GIL are NumPy's, at
NumPy's own dispatch cost. Loading a loop from the cache takes a few milliseconds; Numba's
`@vectorize` would rebuild every loop's wrapper with LLVM at each load (about 40 ms a
signature). The other kernels are `nogil=True` (sessions on different threads run in
parallel) with explicit signatures (`lazy_njit`), so that a call with other types is an error
rather than a new compilation. Every kernel is built at its first use (`OnFirstUse`), so
importing the engine builds none. No fastmath: results must match torch and finite
differences. Matrix products call BLAS through `np.dot`.

Large inputs can run in parallel: where `config` enables it, the hot elementwise kernels are
`SizeDispatch` objects that call the ufunc or, from a size measured per kernel, a `prange`
loop over C-contiguous operands that evaluates the very same scalar function, so both paths
give the same bits. float32 `exp` and `sigmoid` are branch-free polynomials that LLVM
vectorizes (Numba has no SIMD float32 exp without Intel SVML): `exp` in float32, within 1 ulp,
`sigmoid` in float64, correctly rounded.
"""

import functools
import math
from types import FunctionType

import numpy as np
from llvmlite import ir
from numba import cfunc, njit, prange, types
from numba.core.compiler_lock import global_compiler_lock
from numba.extending import intrinsic, overload
from numba.np.ufunc import _internal

from . import config

_FLOATS = ("float32", "float64")
_WITH_INTS = ("float32", "float64", "int64")

# ---------------------------------------------------------------- elementwise kernels as ufuncs
# A NumPy inner loop is `void loop(char **args, npy_intp *dims, npy_intp *steps, void *data)`:
# dims[0] elements, operand k at args[k] and steps[k] bytes apart. Declaring `args` as T** for
# a loop over dtype T (the same pointers to the C ABI) lets the loop index the operands.
# Each kernel's loop is a copy of one template per arity whose global `_KERNEL` is bound to
# that kernel's scalar function (`_bind`): no closure, so Numba can cache it. The loops become
# a ufunc through `_internal.fromfunc`, as Numba's own ufunc builder makes its ufuncs.

_KERNEL = None  # rebound in each loop's own globals


@intrinsic
def _elements(typingctx, pointer, nbytes):
    """nbytes / sizeof(*pointer): a step in elements (aligned operands' steps divide exactly)."""

    def codegen(context, builder, signature, args):
        size = context.get_abi_sizeof(context.get_data_type(signature.args[0].dtype))
        return builder.sdiv(args[1], context.get_constant(types.intp, size))

    return types.intp(pointer, types.intp), codegen


def _loop_1(args, dims, steps, data):
    """out[i] = f(a[i]): a unit-stride loop (vectorized) or a strided one."""
    n, a, out = dims[0], args[0], args[1]
    sa, so = _elements(a, steps[0]), _elements(out, steps[1])
    if sa == 1 and so == 1:
        for i in range(n):
            out[i] = _KERNEL(a[i])
    else:
        for i in range(n):
            out[i * so] = _KERNEL(a[i * sa])


def _loop_2(args, dims, steps, data):
    """out[i] = f(a[i], b[i]), with unit-stride loops for two arrays and for an array and a
    broadcast scalar (step 0), and a strided one."""
    n, a, b, out = dims[0], args[0], args[1], args[2]
    if n == 0:  # nothing to read a broadcast scalar from
        return
    sa, sb, so = _elements(a, steps[0]), _elements(b, steps[1]), _elements(out, steps[2])
    if so == 1 and sa == 1 and sb == 1:
        for i in range(n):
            out[i] = _KERNEL(a[i], b[i])
    elif so == 1 and sa == 1 and sb == 0:
        b0 = b[0]
        for i in range(n):
            out[i] = _KERNEL(a[i], b0)
    elif so == 1 and sa == 0 and sb == 1:
        a0 = a[0]
        for i in range(n):
            out[i] = _KERNEL(a0, b[i])
    else:
        for i in range(n):
            out[i * so] = _KERNEL(a[i * sa], b[i * sb])


def _loop_3(args, dims, steps, data):
    """out[i] = f(a[i], b[i], c[i]): unit-stride or strided."""
    n, a, b, c, out = dims[0], args[0], args[1], args[2], args[3]
    sa, sb = _elements(a, steps[0]), _elements(b, steps[1])
    sc, so = _elements(c, steps[2]), _elements(out, steps[3])
    if sa == 1 and sb == 1 and sc == 1 and so == 1:
        for i in range(n):
            out[i] = _KERNEL(a[i], b[i], c[i])
    else:
        for i in range(n):
            out[i * so] = _KERNEL(a[i * sa], b[i * sb], c[i * sc])


def _loop_4(args, dims, steps, data):
    """out[i] = f(a[i], b[i], c[i], d[i]): unit-stride or strided."""
    n, a, b, c, d, out = dims[0], args[0], args[1], args[2], args[3], args[4]
    sa, sb = _elements(a, steps[0]), _elements(b, steps[1])
    sc, sd, so = _elements(c, steps[2]), _elements(d, steps[3]), _elements(out, steps[4])
    if sa == 1 and sb == 1 and sc == 1 and sd == 1 and so == 1:
        for i in range(n):
            out[i] = _KERNEL(a[i], b[i], c[i], d[i])
    else:
        for i in range(n):
            out[i * so] = _KERNEL(a[i * sa], b[i * sb], c[i * sc], d[i * sd])


def _loop_5(args, dims, steps, data):
    """out[i] = f(a[i], b[i], c[i], d[i], e[i]): unit-stride or strided."""
    n, a, b, c, d, e, out = dims[0], args[0], args[1], args[2], args[3], args[4], args[5]
    sa, sb, sc = _elements(a, steps[0]), _elements(b, steps[1]), _elements(c, steps[2])
    sd, se, so = _elements(d, steps[3]), _elements(e, steps[4]), _elements(out, steps[5])
    if sa == 1 and sb == 1 and sc == 1 and sd == 1 and se == 1 and so == 1:
        for i in range(n):
            out[i] = _KERNEL(a[i], b[i], c[i], d[i], e[i])
    else:
        for i in range(n):
            out[i * so] = _KERNEL(a[i * sa], b[i * sb], c[i * sc], d[i * sd], e[i * se])


def _prange_1(a, out):
    """out[i] = f(a[i]) over flat C-contiguous operands, in parallel."""
    for i in prange(out.size):
        out[i] = _KERNEL(a[i])


def _prange_2(a, b, out):
    """out[i] = f(a[i], b[i]) over flat C-contiguous operands, in parallel."""
    for i in prange(out.size):
        out[i] = _KERNEL(a[i], b[i])


_LOOPS = {1: _loop_1, 2: _loop_2, 3: _loop_3, 4: _loop_4, 5: _loop_5}
_PRANGES = {1: _prange_1, 2: _prange_2}


def _bind(template: FunctionType, kernel, name: str) -> FunctionType:
    """`template` with its global `_KERNEL` bound to `kernel`, under its own (cache) name."""
    function = FunctionType(template.__code__, {**template.__globals__, "_KERNEL": kernel}, name)
    function.__qualname__ = name
    return function


def _loop_signature(dtype: str):
    t = getattr(types, dtype)
    return types.void(
        types.CPointer(types.CPointer(t)),
        types.CPointer(types.intp),
        types.CPointer(types.intp),
        types.voidptr,
    )


# ---------------------------------------------------------------- kernels built on first use
# Loading a kernel from Numba's cache costs about 3 ms a signature (LLVM links its object code
# into the process), so importing all of the engine's kernels loaded would take over a second of
# every start. Instead each kernel (an `elementwise` ufunc, a `lazy_njit` function) is an
# `OnFirstUse` until its first call or attribute access builds it; the defining module's names
# are then rebound to the kernel itself, so later calls through them reach it directly. (Numba
# types a kernel's call to another through the callee's `_numba_type_`, an attribute, so that
# builds the callee too.) `build_all` builds every kernel: the container image runs it
# (`gradrpc-server --build-kernels`), so that its Numba cache holds them all.

# Sessions on several threads build a kernel once, under Numba's own compiler lock: a build
# compiles or loads under it anyway, and with one lock a build inside Numba's typing of another
# kernel cannot deadlock against a build on another thread.
_BUILD_LOCK = global_compiler_lock
_ON_FIRST_USE: list["OnFirstUse"] = []


class OnFirstUse:
    """A kernel not built yet: `kernel()` builds it (once), calls and attributes reach it."""

    __slots__ = ("__name__", "_build", "_built", "_namespace")

    def __init__(self, function: FunctionType, build):
        self.__name__ = function.__name__
        self._build = build
        self._built = None
        self._namespace = function.__globals__
        _ON_FIRST_USE.append(self)

    def kernel(self):
        """The built kernel, building it on the first call."""
        if self._built is None:
            with _BUILD_LOCK:
                if self._built is None:
                    built = self._build()
                    for name, value in list(self._namespace.items()):
                        if value is self:
                            self._namespace[name] = built
                    self._built = built
        return self._built

    def __call__(self, *args, **kwargs):
        return self.kernel()(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.kernel(), name)

    def __repr__(self) -> str:
        return f"<gradrpc kernel {self.__name__}, built on first use>"


def built(kernel):
    """`kernel` itself, or the kernel an `OnFirstUse` stands for (built now)."""
    return kernel.kernel() if isinstance(kernel, OnFirstUse) else kernel


def build_all() -> int:
    """Build every kernel of the modules imported so far (from Numba's cache where it holds
    them, else compiling them into it); the number built."""
    for kernel in list(_ON_FIRST_USE):
        kernel.kernel()
    return len(_ON_FIRST_USE)


# kernel (ufunc) -> its scalar function, arity and dtypes, for `parallel_loop`
_SCALARS: dict[np.ufunc, tuple] = {}


def elementwise(arity: int, dtypes: tuple[str, ...] = _FLOATS, parallel_from: int | None = None):
    """Compile a scalar function into a ufunc with one cached loop per dtype (in `dtypes`
    order, the order NumPy picks a loop in); a `SizeDispatch` if `parallel_from` is a size
    from which `config` runs it in parallel."""

    def build(function):
        kernel = njit(error_model="numpy")(function)  # as ufuncs: x/0 is inf, not an error
        template = _bind(_LOOPS[arity], kernel, f"{function.__name__}_loop")
        loops = [cfunc(_loop_signature(t), cache=True)(template) for t in dtypes]
        ufunc = _internal.fromfunc(
            function.__name__,
            function.__doc__,
            [loop.address for loop in loops],
            [[np.dtype(t).num] * (arity + 1) for t in dtypes],
            arity,
            1,
            [None] * len(loops),
            loops,  # kept alive as long as the ufunc
            _internal.PyUFunc_None,
        )
        _SCALARS[ufunc] = (kernel, arity, dtypes)
        if parallel_from is None or parallel_from >= config.NEVER:
            return ufunc
        return SizeDispatch(ufunc, parallel_from)

    return lambda function: OnFirstUse(function, lambda: build(function))


def lazy_njit(signatures, **options):
    """`njit(signatures, cache=True, nogil=True, **options)`, compiled (or loaded from Numba's
    cache) at its first call instead of at import. With `signatures` None, Numba's own lazy
    dispatcher."""
    options = {"cache": True, "nogil": True, **options}
    if signatures is None:
        return njit(**options)
    return lambda function: OnFirstUse(function, lambda: njit(signatures, **options)(function))


@functools.cache
def parallel_loop(ufunc: np.ufunc):
    """`ufunc`'s parallel loop(a, [b], out) over flat, C-contiguous operands of one dtype: the
    same scalar function in a `prange` loop on the threading layer (so the same bits)."""
    kernel, arity, dtypes = _SCALARS[ufunc]
    signatures = [f"void({', '.join([f'{t}[::1]'] * (arity + 1))})" for t in dtypes]
    template = _bind(_PRANGES[arity], kernel, f"{ufunc.__name__}_parallel")
    return njit(signatures, cache=True, nogil=True, parallel=True)(template)


class SizeDispatch:
    """An elementwise kernel: the `ufunc` (broadcasting, any layout, any size), or, for at
    least `min_elements` C-contiguous, writable operands of one shape and dtype, its parallel
    `loop` writing a fresh C-contiguous result. Other attributes are the ufunc's."""

    __slots__ = ("__name__", "dtypes", "loop", "min_elements", "ufunc")

    def __init__(self, ufunc: np.ufunc, min_elements: int):
        self.__name__ = ufunc.__name__
        self.ufunc = ufunc
        self.loop = parallel_loop(ufunc)
        self.min_elements = min_elements
        self.dtypes = frozenset(np.dtype(t) for t in _SCALARS[ufunc][2])

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


# ---------------------------------------------------------------- float32 exp and sigmoid
# Both loops have no calls, no branches and no table, so LLVM vectorizes them.
#
# exp, in float32 (16 lanes per AVX-512 instruction): e^x = 2^k e^r with k = round(x / ln 2).
# ln 2 = hi + lo with hi of 16 bits, so r1 = x - k hi is exact and r = r1 - k lo; e^r is
# 1 + r1 - k lo + r^2 p(r), p of degree 5 with Taylor's coefficients 1/2! ... 1/7! (truncation
# below 2^-30 on |r| <= ln 2 / 2), and 1 + r1 is split exactly into a sum (Fast2Sum) so that the
# one large rounding is the last addition. 2^k is built from its bits in two halves, so that a
# subnormal result is rounded once. Over all 2^32 inputs the result is within 1 ulp of e^x and
# it is e^x correctly rounded for 99.87% of those in [-104, 89] (torch's float32 exp: 99.87%,
# NumPy's: 90.6%, on the same inputs), at 1.04-1.69x NumPy's speed over seven B3 runs. The
# previous form, correctly rounded by a float64 polynomial on 8 lanes, ran at 0.7-1.0x NumPy's.
#
# sigmoid, in float64 (8 lanes): e^x = 2^k e^r as above, r by fused multiply-adds with ln 2
# split in two, e^r = 1 + r + r^2 p(r) with p a degree-8 polynomial (p = p_lo + r^4 p_hi, each
# half by Horner), 2^k built from its bits. Relative error below 2^-50.5: 2^-51.6 from the
# polynomial, the rest from rounding; rounded once to float32. For all 2^32 float32 inputs this
# e^x rounds to e^x correctly rounded (the hardest input, -0x1.d2259ap+3, lies within 2^-52.6 of
# a midpoint: checked against mpmath), and sigmoid gives the same bits as an earlier form with p
# of degree 10. A table of 2^(j/64) would cut p to degree 3, but its lookup is a gather, which
# costs more than the multiply-adds it saves.


def _bitcast(source: types.Type, target: types.Type, target_ir: ir.Type):
    """An intrinsic reinterpreting a `source` value's bits as a `target` of the same width."""

    @intrinsic
    def bitcast(typingctx, x):
        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], target_ir)

        return target(source), codegen

    return bitcast


_float32_bits = _bitcast(types.float32, types.int32, ir.IntType(32))
_bits_float32 = _bitcast(types.int32, types.float32, ir.FloatType())
_float64_bits = _bitcast(types.float64, types.int64, ir.IntType(64))
_bits_float64 = _bitcast(types.int64, types.float64, ir.DoubleType())


@intrinsic
def fma(typingctx, a, b, c):
    """a b + c rounded once (IEEE fusedMultiplyAdd, LLVM's llvm.fma), all float32 or float64."""
    if not (a == b == c and a in (types.float32, types.float64)):
        return None

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return a(a, b, c), codegen


# 1.5 * 2^52 + 1023: x + _ROUNDER - _ROUNDER rounds x to an integer k, and x + _ROUNDER's
# bits end with k + 1023 (|k| < 2^51), so shifting them left by 52 gives 2^k's bits.
_ROUNDER = 6755399441056767.0
_INV_LN2 = 1.4426950408889634
_LN2_HI, _LN2_LO = 0.6931471805599453, 2.3190468138462996e-17  # ln 2 = hi + lo
# p(r) ~ (e^r - 1 - r) / r^2 on |r| <= ln 2 / 2: minimax fit of degree 8 for the relative
# error of 1 + r + r^2 p(r) against e^r (Lawson's algorithm in mpmath), 2^-51.6 with these
# float64 coefficients.
_P = (
    0.49999999999998324,
    0.16666666666611546,
    0.04166666666813668,
    0.008333333370875004,
    0.0013888888516196314,
    0.0001984118522901352,
    2.480193172792271e-05,
    2.7634994033269983e-06,
    2.747680079943076e-07,
)


@njit(error_model="numpy")
def _exp_reduced(x):
    """e^x for x in [-110, 89], in float64 to below 2^-50.5 relative (the range float32 needs)."""
    t = fma(x, _INV_LN2, _ROUNDER)
    k = t - _ROUNDER
    r = fma(k, -_LN2_LO, fma(k, -_LN2_HI, x))
    r2 = r * r
    p_lo = fma(fma(fma(_P[3], r, _P[2]), r, _P[1]), r, _P[0])
    p_hi = fma(fma(fma(fma(_P[8], r, _P[7]), r, _P[6]), r, _P[5]), r, _P[4])
    q = fma(r2, fma(r2 * r2, p_hi, p_lo), r)  # e^r - 1
    scale = _bits_float64(_float64_bits(t) << 52)  # 2^k
    return fma(scale, q, scale)


_F32 = np.float32
_ROUNDER32 = _F32(12582912.0)  # 1.5 * 2^23: x + _ROUNDER32 - _ROUNDER32 rounds x to an integer
_ROUNDER32_BITS = int(np.array(_ROUNDER32).view(np.int32))
_INV_LN2_32 = _F32(_INV_LN2)
_LN2_HI32 = _F32(0.693145751953125)  # 16 bits: k _LN2_HI32 is exact for |k| < 2^8
_LN2_LO32 = _F32(math.log(2) - 0.693145751953125)
_P32 = tuple(_F32(1 / math.factorial(n)) for n in range(2, 8))


@njit(error_model="numpy")
def _expf(a):
    """e^a for float32, within 1 ulp; inf, 0 and nan where libm gives them."""
    x = a if a > _F32(-104.0) else _F32(-104.0)  # e^-104 rounds to 0 (nan too: fixed below)
    x = x if x < _F32(89.0) else _F32(89.0)  # e^89 overflows to inf
    t = fma(x, _INV_LN2_32, _ROUNDER32)
    k = t - _ROUNDER32
    r1 = fma(k, -_LN2_HI32, x)
    k_lo = k * _LN2_LO32
    r = r1 - k_lo
    p = fma(fma(fma(fma(fma(_P32[5], r, _P32[4]), r, _P32[3]), r, _P32[2]), r, _P32[1]), r, _P32[0])
    hi = _F32(1.0) + r1
    lo = (_F32(1.0) - hi) + r1  # 1 + r1 = hi + lo exactly
    e_r = hi + (fma(r * r, p, lo) - k_lo)
    k_int = _float32_bits(t) - _ROUNDER32_BITS
    k_half = k_int >> 1
    y = e_r * _bits_float32((k_half + 127) << 23) * _bits_float32((k_int - k_half + 127) << 23)
    return y if a == a else a


@njit(error_model="numpy")  # no ZeroDivision check
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


@elementwise(2, _WITH_INTS, parallel_from=config.PARALLEL_MIN_ELEMENTS)
def add(a, b):
    """a + b"""
    return a + b


@elementwise(2, _WITH_INTS, parallel_from=config.PARALLEL_MIN_ELEMENTS)
def sub(a, b):
    """a - b"""
    return a - b


def _multiply_add(a, b, c):
    """a b + c: rounded once for floats (a fused multiply-add), exact (wrapping) for integers."""
    return a * b + c


@overload(_multiply_add)
def _multiply_add_typed(a, b, c):
    if a in (types.float32, types.float64):
        return lambda a, b, c: fma(a, b, c)
    return lambda a, b, c: a * b + c


@elementwise(3, _WITH_INTS)
def add_scaled(a, b, alpha):
    """a + alpha b, rounded once, as torch's add with alpha (its loops are fused multiply-adds)"""
    return _multiply_add(b, alpha, a)


@elementwise(2, _WITH_INTS, parallel_from=config.PARALLEL_MIN_ELEMENTS)
def mul(a, b):
    """a * b"""
    return a * b


@elementwise(2, parallel_from=config.PARALLEL_MIN_ELEMENTS)
def div(a, b):
    """a / b (IEEE: x/0 is ±inf, 0/0 is nan)"""
    return a / b


@elementwise(2)
def pow_(a, b):
    """a ** b"""
    return a**b


@elementwise(2, ("int64",))
def int_pow(a, b):
    """a ** b for integers, by repeated squaring; for b < 0 the integer part of 1 / a^|b|
    (1 for a = 1, ±1 for a = -1, else 0), as torch's powi"""
    if b < 0:
        if a == 1:
            return 1
        if a == -1:
            return -1 if b % 2 else 1
        return 0
    result = 1
    while b > 0:
        if b & 1:
            result *= a
        a *= a
        b >>= 1
    return result


@elementwise(1, _WITH_INTS, parallel_from=config.PARALLEL_MIN_ELEMENTS)
def neg(a):
    """-a"""
    return -a


@elementwise(1, parallel_from=config.PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL)
def exp(a):
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


@elementwise(1, _WITH_INTS)
def abs_(a):
    """|a|"""
    return abs(a)


@elementwise(1, _WITH_INTS, parallel_from=config.PARALLEL_MIN_ELEMENTS)
def relu(a):
    """max(a, 0), propagating nan"""
    return a if not a <= 0 else 0


@elementwise(1, parallel_from=config.PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL)
def sigmoid(a):
    """1 / (1 + e^-a), evaluated without overflow on either side"""
    return _sigmoid_scalar(a)


def _rounded_like(x, value):
    """`value`, a float64 function of x or a constant, rounded once to x's type: tanh, sin
    and cos of a float32 are evaluated in float64 (float32 libm's tanhf is off by up to 2
    ulp; torch's vectorized float32 functions differ from this correctly rounded result on
    about 0.06% of elements)."""
    return value


@overload(_rounded_like)
def _rounded_like_typed(x, value):
    if x == types.float32:
        return lambda x, value: np.float32(value)
    return lambda x, value: value


@elementwise(1, parallel_from=config.PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL)
def tanh(a):
    """tanh a"""
    return _rounded_like(a, math.tanh(np.float64(a)))


@elementwise(1, parallel_from=config.PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL)
def sin(a):
    """sin a"""
    return _rounded_like(a, math.sin(np.float64(a)))


@elementwise(1, parallel_from=config.PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL)
def cos(a):
    """cos a"""
    return _rounded_like(a, math.cos(np.float64(a)))


# The other transcendental functions, each computed in float64 and rounded once to the dtype
# (torch's float32 kernels are within an ulp of that); C's libm gives nan outside a domain
# and ±inf at its edges, as torch's.


@elementwise(1, parallel_from=config.PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL)
def log1p(a):
    """ln(1 + a)"""
    return _rounded_like(a, math.log1p(np.float64(a)))


@elementwise(1, parallel_from=config.PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL)
def expm1(a):
    """e^a - 1"""
    return _rounded_like(a, math.expm1(np.float64(a)))


@elementwise(1, parallel_from=config.PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL)
def log2(a):
    """log₂ a"""
    return _rounded_like(a, math.log2(np.float64(a)))


@elementwise(1, parallel_from=config.PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL)
def log10(a):
    """log₁₀ a"""
    return _rounded_like(a, math.log10(np.float64(a)))


@elementwise(1, parallel_from=config.PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL)
def erf(a):
    """2/√π ∫₀ᵃ e^(-t²) dt"""
    return _rounded_like(a, math.erf(np.float64(a)))


@elementwise(1, parallel_from=config.PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL)
def tan(a):
    """tan a"""
    return _rounded_like(a, math.tan(np.float64(a)))


@elementwise(1, parallel_from=config.PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL)
def asin(a):
    """arcsin a"""
    return _rounded_like(a, math.asin(np.float64(a)))


@elementwise(1, parallel_from=config.PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL)
def acos(a):
    """arccos a"""
    return _rounded_like(a, math.acos(np.float64(a)))


@elementwise(1, parallel_from=config.PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL)
def atan(a):
    """arctan a"""
    return _rounded_like(a, math.atan(np.float64(a)))


@elementwise(1, parallel_from=config.PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL)
def sinh(a):
    """sinh a"""
    return _rounded_like(a, math.sinh(np.float64(a)))


@elementwise(1, parallel_from=config.PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL)
def cosh(a):
    """cosh a"""
    return _rounded_like(a, math.cosh(np.float64(a)))


@elementwise(1, parallel_from=config.PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL)
def asinh(a):
    """arsinh a"""
    return _rounded_like(a, math.asinh(np.float64(a)))


@elementwise(1, parallel_from=config.PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL)
def acosh(a):
    """arcosh a"""
    return _rounded_like(a, math.acosh(np.float64(a)))


@elementwise(1, parallel_from=config.PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL)
def atanh(a):
    """artanh a"""
    return _rounded_like(a, math.atanh(np.float64(a)))


@elementwise(1, parallel_from=config.PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL)
def rsqrt(a):
    """1 / a^(1/2) (±inf at ±0, nan below 0)"""
    return _rounded_like(a, 1 / math.sqrt(np.float64(a)))


# ---- special functions: each evaluated in float64 and rounded once to the dtype

_PI = math.pi
_SQRT_PI = math.sqrt(math.pi)
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
# (2k)! / B₂ₖ, k = 1..12: the Euler-Maclaurin tail of the Hurwitz zeta function, as torch's
_ZETA_TAIL = (
    12.0,
    -720.0,
    30240.0,
    -1209600.0,
    47900160.0,
    -1.8924375803183791606e9,
    7.47242496e10,
    -2.950130727918164224e12,
    1.1646782814350067249e14,
    -4.5979787224074726105e15,
    1.8152105401943546773e17,
    -7.1661652561756670113e18,
)
_MACHEP = 1.11022302462515654042e-16  # 2^-53


@njit(error_model="numpy")
def _digamma64(x):
    """ψ(x) = Γ'(x) / Γ(x): ∓inf at ±0, nan at the negative integers and -inf; the
    reflection ψ(x) = ψ(1 - x) - π / tan(πx) below 0, the recurrence ψ(x) = ψ(x + 1) - 1/x
    up to 10, then the asymptotic series ln x - 1/(2x) - Σ B₂ₖ / (2k x^2k)."""
    if x == 0:
        return math.copysign(math.inf, -x)
    if x != x:
        return x
    result = 0.0
    if x < 0:
        if x == math.floor(x):
            return math.nan
        result = -_PI / math.tan(_PI * (x - math.trunc(x)))
        x = 1 - x
    while x < 10:
        result -= 1 / x
        x += 1
    z = 1 / (x * x)
    tail = z * (
        1 / 12
        - z * (1 / 120 - z * (1 / 252 - z * (1 / 240 - z * (1 / 132 - z * (691 / 32760 - z / 12)))))
    )
    return result + math.log(x) - 0.5 / x - tail


@njit(error_model="numpy")
def _trigamma64(x):
    """ψ'(x): the reflection ψ'(1 - x) + ψ'(x) = π² / sin²(πx) below 1/2, six steps of
    ψ'(x) = ψ'(x + 1) + 1/x², then the asymptotic series 1/x + 1/(2x²) + Σ B₂ₖ / x^(2k+1)."""
    sign = 1.0
    result = 0.0
    if x < 0.5:
        sign = -1.0
        s = math.sin(_PI * x)
        result = -(_PI * _PI) / (s * s)
        x = 1 - x
    for _ in range(6):
        result += 1 / (x * x)
        x += 1
    z = 1 / (x * x)
    result += (1 + 1 / (2 * x) + z * (1 / 6 - z * (1 / 30 - z * (1 / 42)))) / x
    return sign * result


@njit(error_model="numpy")
def _hurwitz_zeta64(s, q):
    """ζ(s, q) = Σₖ (q + k)^-s, torch's (Cephes's) zeta: inf at s = 1, nan below; inf at q
    a non-positive integer, nan for another negative q with a non-integer s; the sum's
    terms until q + k passes 9 (or they stop counting), then the Euler-Maclaurin tail."""
    if s == 1:
        return math.inf
    if s < 1:
        return math.nan
    if q <= 0:
        if q == math.floor(q):
            return math.inf
        if s != math.floor(s):
            return math.nan
    total = math.pow(q, -s)
    a = q
    i = 0
    b = 0.0
    while i < 9 or a <= 9.0:
        i += 1
        a += 1.0
        b = math.pow(a, -s)
        total += b
        if -_MACHEP * total < b < _MACHEP * total:
            return total
    w = a
    total += b * w / (s - 1.0)
    total -= 0.5 * b
    a = 1.0
    k = 0.0
    for coefficient in _ZETA_TAIL:
        a *= s + k
        b /= w
        t = a * b / coefficient
        total = total + t
        if abs(t / total) < _MACHEP:
            return total
        k += 1.0
        a *= s + k
        b /= w
        k += 1.0
    return total


@njit(error_model="numpy")
def _polygamma64(n, x):
    """ψ⁽ⁿ⁾(x): ψ for n = 0, ψ' for n = 1, else (-1)^(n+1) n! ζ(n + 1, x)."""
    if n == 0:
        return _digamma64(x)
    if n == 1:
        return _trigamma64(x)
    sign = 1.0 if n % 2 else -1.0
    return sign * math.exp(math.lgamma(n + 1.0)) * _hurwitz_zeta64(n + 1.0, x)


@njit(error_model="numpy")
def _erf_inverse_step(x, residual):
    """One Halley step for erf(x) = y (or erfc(x) = 1 - y) given erf(x) - y: the derivative
    2/√π e^(-x²) and the second derivative -2x times it."""
    step = residual / (2 / _SQRT_PI * math.exp(-x * x))
    return x - step / (1 + x * step)


@njit(error_model="numpy")
def _erfinv64(y):
    """erf⁻¹(y): nan outside [-1, 1], ±inf at ±1; Winitzki's closed form as the first guess,
    then Halley steps on erf(x) - y, or on (1 - |y|) - erfc(x) past 1/2 (1 - |y| exact)."""
    a = abs(y)
    if a > 1 or y != y:
        return math.nan
    if a == 1:
        return math.copysign(math.inf, y)
    if a < 1e-3:
        x = 0.5 * _SQRT_PI * (a + _PI / 12 * a * a * a)
    else:
        w = -math.log((1 - a) * (1 + a))
        c = 2 / (_PI * 0.147) - w / 2
        x = math.sqrt(math.sqrt(c * c + w / 0.147) - c)
    complement = 1 - a
    for _ in range(8):
        residual = complement - math.erfc(x) if a > 0.5 else math.erf(x) - a
        previous = x
        x = _erf_inverse_step(x, residual)
        if x == previous or x != x:
            break
    return math.copysign(x, y)


@njit(error_model="numpy")
def _log_ndtr64(x):
    """ln Φ(x), Φ the standard normal CDF: ln(1 - erfc(x/√2)/2) above -1, ln(erfc(-x/√2)/2)
    down to -20, below it the asymptotic -x²/2 - ln(-x) - ln √(2π) + ln Σ (-1)ᵏ (2k-1)!!/x^2k."""
    if x != x:
        return x
    if x > -1:
        return math.log1p(-0.5 * math.erfc(x * 0.7071067811865476))
    if x > -20:
        return math.log(0.5 * math.erfc(-x * 0.7071067811865476))
    if x == -math.inf:
        return x
    z = 1 / (x * x)
    total = 1.0
    term = 1.0
    k = 1.0
    while abs(term) > 1e-17:
        term *= -(2 * k - 1) * z
        total += term
        k += 1
    return -0.5 * x * x - math.log(-x) - _LOG_SQRT_2PI + math.log(total)


@njit(error_model="numpy")
def _ndtri64(p):
    """Φ⁻¹(p): nan outside [0, 1], ∓inf at 0 and 1; -Φ⁻¹(1 - p) above 1/2 (1 - p exact),
    else -√2 erfc⁻¹(2p), from a first guess by Newton steps on ln Φ(x) - ln p."""
    if p != p or p < 0 or p > 1:
        return math.nan
    if p == 0:
        return -math.inf
    if p == 1:
        return math.inf
    if p > 0.5:
        return -_ndtri64(1 - p)
    if p > 0.05:
        x = -1.4142135623730951 * _erfinv64(1 - 2 * p)
    else:
        t = -2 * math.log(p)
        x = -math.sqrt(t - math.log(t) - 2 * _LOG_SQRT_2PI)
    target = math.log(p)
    for _ in range(8):
        log_cdf = _log_ndtr64(x)
        # d ln Φ / dx = φ(x) / Φ(x)
        slope = math.exp(-0.5 * x * x - _LOG_SQRT_2PI - log_cdf)
        previous = x
        x -= (log_cdf - target) / slope
        if abs(x - previous) <= 1e-16 * abs(x) or x != x:
            break
    return x


@njit(error_model="numpy")
def _bessel_i_scaled64(order, x):
    """e^-|x| I_order(|x|) for order 0 or 1: the power series Σ (x/2)^(2k+ν) / (k! (k+ν)!)
    up to 30, the asymptotic 1/√(2πx) Σ (-1)ᵏ aₖ(ν) / xᵏ beyond (aₖ = aₖ₋₁ (4ν² - (2k-1)²)
    / (8k))."""
    x = abs(x)
    if x != x:
        return x
    if x <= 30:
        quarter = x * x / 4
        term = 1.0 if order == 0 else x / 2
        total = term
        k = 0.0
        while term > 1e-17 * total:
            k += 1
            term *= quarter / (k * (k + order))
            total += term
        return total * math.exp(-x)
    if x == math.inf:
        return 0.0
    mu = 4.0 * order * order
    term = 1.0
    total = 1.0
    k = 1.0
    while abs(term) > 1e-17:
        term *= -(mu - (2 * k - 1) ** 2) / (8 * k * x)
        total += term
        k += 1
    return total / math.sqrt(2 * _PI * x)


@elementwise(1)
def erfc(a):
    """1 - erf a, without the cancellation"""
    return _rounded_like(a, math.erfc(np.float64(a)))


@elementwise(1)
def erfinv(a):
    """erf⁻¹ a (nan outside [-1, 1], ±inf at ±1)"""
    return _rounded_like(a, _erfinv64(np.float64(a)))


@elementwise(1)
def lgamma(a):
    """ln |Γ(a)| (inf at the non-positive integers and ±inf)"""
    return _rounded_like(a, math.lgamma(np.float64(a)))


@elementwise(1)
def digamma(a):
    """ψ(a) = Γ'(a) / Γ(a)"""
    return _rounded_like(a, _digamma64(np.float64(a)))


@elementwise(2)
def polygamma(a, n):
    """ψ⁽ⁿ⁾(a), n (a whole number in a's dtype) >= 0"""
    return _rounded_like(a, _polygamma64(int(n), np.float64(a)))


@elementwise(1)
def ndtri(a):
    """Φ⁻¹(a), the standard normal quantile"""
    return _rounded_like(a, _ndtri64(np.float64(a)))


@elementwise(1)
def log_ndtr(a):
    """ln Φ(a), the log of the standard normal CDF"""
    return _rounded_like(a, _log_ndtr64(np.float64(a)))


@elementwise(1)
def i0(a):
    """I₀(a), the modified Bessel function of the first kind of order 0"""
    x = np.float64(a)
    return _rounded_like(a, _bessel_i_scaled64(0, x) * math.exp(abs(x)))


@elementwise(1)
def i0e(a):
    """e^-|a| I₀(a)"""
    return _rounded_like(a, _bessel_i_scaled64(0, np.float64(a)))


@elementwise(1)
def i1(a):
    """I₁(a), odd"""
    x = np.float64(a)
    return _rounded_like(a, math.copysign(_bessel_i_scaled64(1, x) * math.exp(abs(x)), x))


@elementwise(1)
def i1e(a):
    """e^-|a| I₁(a), odd"""
    x = np.float64(a)
    return _rounded_like(a, math.copysign(_bessel_i_scaled64(1, x), x))


# ---- torch's Cephes ports (ATen's Math.h): erfcx, the incomplete gamma functions, the
# Bessel and Airy functions, evaluated in float64 and rounded once; and the orthogonal
# polynomials, evaluated in the dtype itself as torch's recurrences are.


def _table(text: str) -> np.ndarray:
    """A table of float64 coefficients, written whitespace-separated."""
    return np.array(text.split(), dtype=np.float64)


_AIRY_AN = _table(
    """
    0.346538101525629 12.007595273964581 76.27960536152345
    168.08922493463058 159.75639135016442 70.53609068404442
    14.026469116338967 1.0
    """
)

_AIRY_AD = _table(
    """
    0.5675945326387702 14.75625625848472 84.51389701414746
    177.31808814540045 164.2346928715297 71.47784008255756
    14.095913560783403 1.0
    """
)

_AIRY_AFN = _table(
    """
    -0.1316963234183318 -0.6264565444319123 -0.6931580360369335
    -0.2797799815451191 -0.04919001326095003 -0.004062659235948854
    -0.0001592764962392621 -2.776491081552329e-06 -1.6778769848911465e-08
    """
)

_AIRY_AFD = _table(
    """
    13.356042070655324 32.682503279522464 26.736704094149957
    9.187074029072596 1.4752914677166642 0.11568717379518804
    0.004402916416152112 7.547203482874142e-05 4.5185009297058035e-07
    """
)

_AIRY_AGN = _table(
    """
    0.01973399320916857 0.39110302961568827 1.0657989759959559
    0.9391692298166502 0.35146565610554764 0.06338889196289255
    0.005858041130483885 0.000282851600836737 6.98793669997261e-06
    8.117892395543892e-08 3.415517847659236e-10
    """
)

_AIRY_AGD = _table(
    """
    9.30892908077442 19.835292871831214 15.564662893286462
    5.476860694229755 0.9542936116189619 0.08645808263523921
    0.004126565238242226 0.00010125908511650914 1.1716673321441352e-06
    4.9183457006293e-09
    """
)

_J0_PP = _table(
    """
    0.0007969367292973471 0.08283523921074408 1.239533716464143
    5.447250030587687 8.74716500199817 5.303240382353949
    1.0
    """
)

_J0_PQ = _table(
    """
    0.0009244088105588637 0.08562884743544745 1.2535274390105895
    5.470977403304171 8.761908832370695 5.306052882353947
    1.0
    """
)

_J0_QP = _table(
    """
    -0.011366383889846916 -1.2825271867050931 -19.553954425773597
    -93.20601521237683 -177.68116798048806 -147.07750515495118
    -51.41053267665993 -6.050143506007285
    """
)

_J0_QQ = _table(
    """
    64.3178256118178 856.4300259769806 3882.4018360540163
    7240.467741956525 5930.727011873169 2062.0933166032783
    242.0057402402914
    """
)

_J0_RP = _table(
    """
    -4794432209.782018 1956174919465.5657 -249248344360967.72
    9708622510473064.0
    """
)

_J0_RQ = _table(
    """
    499.563147152651 173785.4016763747 48440965.83399621
    11185553704.535683 2112775201154.892 310518229857422.56
    3.1812195594320496e+16 1.7108629408104315e+18
    """
)

_J1_PP = _table(
    """
    0.0007621256162081731 0.07313970569409176 1.1271960812968493
    5.112079511468076 8.424045901417724 5.214515986823615
    1.0
    """
)

_J1_PQ = _table(
    """
    0.0005713231280725487 0.06884559087544954 1.105142326340617
    5.073863861286015 8.399855543276042 5.209828486823619
    1.0
    """
)

_J1_QP = _table(
    """
    0.05108625947501766 4.982138729512334 75.82382841325453
    366.7796093601508 710.8563049989261 597.4896124006136
    211.68875710057213 25.207020585802372
    """
)

_J1_QQ = _table(
    """
    74.23732770356752 1056.4488603826283 4986.410583376536
    9562.318924047562 7997.041604473507 2826.1927851763908
    336.0936078106983
    """
)

_J1_RP = _table(
    """
    -899971225.7055594 452228297998.19403 -72749424522181.83
    3682957328638529.0
    """
)

_J1_RQ = _table(
    """
    620.8364781180543 256987.25675774884 83514679.14319493
    22151159547.97925 4749141220799.914 784369607876235.9
    8.952223361846274e+16 5.322786203326801e+18
    """
)

_Y0_PP = _table(
    """
    0.0007969367292973471 0.08283523921074408 1.239533716464143
    5.447250030587687 8.74716500199817 5.303240382353949
    1.0
    """
)

_Y0_PQ = _table(
    """
    0.0009244088105588637 0.08562884743544745 1.2535274390105895
    5.470977403304171 8.761908832370695 5.306052882353947
    1.0
    """
)

_Y0_QP = _table(
    """
    -0.011366383889846916 -1.2825271867050931 -19.553954425773597
    -93.20601521237683 -177.68116798048806 -147.07750515495118
    -51.41053267665993 -6.050143506007285
    """
)

_Y0_QQ = _table(
    """
    64.3178256118178 856.4300259769806 3882.4018360540163
    7240.467741956525 5930.727011873169 2062.0933166032783
    242.0057402402914
    """
)

_Y0_YP = _table(
    """
    15592.436785523574 -14663929.59039716 5435264770.518765
    -982136065717.9115 87590639439536.7 -3466283033847297.0
    4.4273326857256984e+16 -1.8495080043698668e+16
    """
)

_Y0_YQ = _table(
    """
    1041.2835366425984 626107.330137135 268919633.39381415
    86400248710.3935 20297961275010.555 3171577528429750.5
    2.5059625617265306e+17
    """
)

_Y1_PP = _table(
    """
    0.0007621256162081731 0.07313970569409176 1.1271960812968493
    5.112079511468076 8.424045901417724 5.214515986823615
    1.0
    """
)

_Y1_PQ = _table(
    """
    0.0005713231280725487 0.06884559087544954 1.105142326340617
    5.073863861286015 8.399855543276042 5.209828486823619
    1.0
    """
)

_Y1_QP = _table(
    """
    0.05108625947501766 4.982138729512334 75.82382841325453
    366.7796093601508 710.8563049989261 597.4896124006136
    211.68875710057213 25.207020585802372
    """
)

_Y1_QQ = _table(
    """
    74.23732770356752 1056.4488603826283 4986.410583376536
    9562.318924047562 7997.041604473507 2826.1927851763908
    336.0936078106983
    """
)

_Y1_YP = _table(
    """
    1263204747.9017804 -647355876379.1603 114509511541823.73
    -8127702555013251.0 2.024394757135949e+17 -7.788771962659501e+17
    """
)

_Y1_YQ = _table(
    """
    594.3015923461282 235564.09294306856 73481194.44597217
    18760131610.870617 3882312774962.3857 620557727146953.8
    6.871410873553005e+16 3.9727060811656064e+18
    """
)

_I0_A = _table(
    """
    -4.4153416464793395e-18 3.3307945188222384e-17 -2.431279846547955e-16
    1.715391285555133e-15 -1.1685332877993451e-14 7.676185498604936e-14
    -4.856446783111929e-13 2.95505266312964e-12 -1.726826291441556e-11
    9.675809035373237e-11 -5.189795601635263e-10 2.6598237246823866e-09
    -1.300025009986248e-08 6.046995022541919e-08 -2.670793853940612e-07
    1.1173875391201037e-06 -4.4167383584587505e-06 1.6448448070728896e-05
    -5.754195010082104e-05 0.00018850288509584165 -0.0005763755745385824
    0.0016394756169413357 -0.004324309995050576 0.010546460394594998
    -0.02373741480589947 0.04930528423967071 -0.09490109704804764
    0.17162090152220877 -0.3046826723431984 0.6767952744094761
    """
)

_I0_B = _table(
    """
    -7.233180487874754e-18 -4.830504485944182e-18 4.46562142029676e-17
    3.461222867697461e-17 -2.8276239805165836e-16 -3.425485619677219e-16
    1.7725601330565263e-15 3.8116806693526224e-15 -9.554846698828307e-15
    -4.150569347287222e-14 1.54008621752141e-14 3.8527783827421426e-13
    7.180124451383666e-13 -1.7941785315068062e-12 -1.3215811840447713e-11
    -3.1499165279632416e-11 1.1889147107846439e-11 4.94060238822497e-10
    3.3962320257083865e-09 2.266668990498178e-08 2.0489185894690638e-07
    2.8913705208347567e-06 6.889758346916825e-05 0.0033691164782556943
    0.8044904110141088
    """
)

_I1_A = _table(
    """
    2.7779141127610464e-18 -2.111421214358166e-17 1.5536319577362005e-16
    -1.1055969477353862e-15 7.600684294735408e-15 -5.042185504727912e-14
    3.223793365945575e-13 -1.9839743977649436e-12 1.1736186298890901e-11
    -6.663489723502027e-11 3.625590281552117e-10 -1.8872497517228294e-09
    9.381537386495773e-09 -4.445059128796328e-08 2.0032947535521353e-07
    -8.568720264695455e-07 3.4702513081376785e-06 -1.3273163656039436e-05
    4.781565107550054e-05 -0.00016176081582589674 0.0005122859561685758
    -0.0015135724506312532 0.004156422944312888 -0.010564084894626197
    0.024726449030626516 -0.05294598120809499 0.1026436586898471
    -0.17641651835783406 0.25258718644363365
    """
)

_I1_B = _table(
    """
    7.517296310842105e-18 4.414348323071708e-18 -4.6503053684893586e-17
    -3.209525921993424e-17 2.96262899764595e-16 3.3082023109209285e-16
    -1.8803547755107825e-15 -3.8144030724370075e-15 1.0420276984128802e-14
    4.272440016711951e-14 -2.1015418427726643e-14 -4.0835511110921974e-13
    -7.198551776245908e-13 2.0356285441470896e-12 1.4125807436613782e-11
    3.2526035830154884e-11 -1.8974958123505413e-11 -5.589743462196584e-10
    -3.835380385964237e-09 -2.6314688468895196e-08 -2.512236237870209e-07
    -3.882564808877691e-06 -0.00011058893876262371 -0.009761097491361469
    0.7785762350182801
    """
)

_K0_A = _table(
    """
    1.374465435613523e-16 4.25981614279661e-14 1.0349695257633842e-11
    1.904516377220209e-09 2.5347910790261494e-07 2.286212103119452e-05
    0.001264615411446926 0.0359799365153615 0.3442898999246285
    -0.5353273932339028
    """
)

_K0_B = _table(
    """
    5.300433772686263e-18 -1.6475804301524212e-17 5.2103915050390274e-17
    -1.678231096805412e-16 5.512055978524319e-16 -1.848593377343779e-15
    6.3400764774050706e-15 -2.2275133269916698e-14 8.032890775363575e-14
    -2.9800969231727303e-13 1.140340588208475e-12 -4.514597883373944e-12
    1.8559491149547177e-11 -7.957489244477107e-11 3.577397281400301e-10
    -1.69753450938906e-09 8.574034017414225e-09 -4.660489897687948e-08
    2.766813639445015e-07 -1.8317555227191195e-06 1.39498137188765e-05
    -0.00012849549581627802 0.0015698838857300533 -0.0314481013119645
    2.4403030820659555
    """
)

_K1_A = _table(
    """
    -7.023863479386288e-18 -2.427449850519366e-15 -6.666901694199329e-13
    -1.4114883926335278e-10 -2.213387630734726e-08 -2.4334061415659684e-06
    -0.0001730288957513052 -0.006975723859639864 -0.12261118082265715
    -0.3531559607765449 1.5253002273389478
    """
)

_K1_B = _table(
    """
    -5.756744483665017e-18 1.7940508731475592e-17 -5.689462558442859e-17
    1.838093544366639e-16 -6.057047248373319e-16 2.038703165624334e-15
    -7.019837090418314e-15 2.4771544244813043e-14 -8.976705182324994e-14
    3.3484196660784293e-13 -1.2891739609510289e-12 5.13963967348173e-12
    -2.1299678384275683e-11 9.218315187605006e-11 -4.1903547593418965e-10
    2.015049755197033e-09 -1.0345762465678097e-08 5.7410841254500495e-08
    -3.5019606030878126e-07 2.406484947837217e-06 -1.936197974166083e-05
    0.00019521551847135162 -0.002857816859622779 0.10392373657681724
    2.7206261904844427
    """
)

_ERFCX_Y100 = _table(
    """
    0.0007087803245410644 0.000712340910470263 3.5779077297597742e-06 1.7403143962587938e-08
    8.171066004730779e-11 3.688502236043496e-13 1.5917038551111112e-15 0.0021479143208285143
    0.0007268640236737999 3.6843175430938994e-06 1.80718412721492e-08 8.549644929604033e-11
    3.885203751853429e-13 1.6868473576888889e-15 0.0036165255935630175 0.0007418209232355551
    3.794831995752824e-06 1.8771627021793087e-08 8.948471512241509e-11 4.093585851777244e-13
    1.787206146488889e-15 0.005115498386003198 0.0007572284073479166 3.90964257267357e-06
    1.950416870430047e-08 9.3687503063179e-11 4.3143925959079665e-13 1.8939926435555556e-15
    0.006645751317267305 0.0007731040605444745 4.028951058939944e-06 2.0271233238288382e-08
    9.81176313217091e-11 4.548420740601775e-13 2.007635221333333e-15 0.008208238997024121
    0.0007894662961188171 4.152970155262265e-06 2.1074693344544657e-08 1.0278874108587318e-10
    4.796520139061334e-13 2.1285907413333335e-15 0.009803953727535219 0.0008063344010834284
    4.281924132973699e-06 2.1916534346907168e-08 1.0771535136565471e-10 5.059597262369282e-13
    2.2573462684444446e-15 0.011433927298290302 0.0008237285838319657 4.416049531176544e-06
    2.2798861426211987e-08 1.129129174587924e-10 5.338618936581688e-13 2.3944209546666666e-15
    0.013099232878814654 0.0008416700246790696 4.555595898845751e-06 2.3723907357214174e-08
    1.1839789326602696e-10 5.634616306755024e-13 2.5403679644444446e-15 0.014800987015587536
    0.0008601809294634594 4.700826584881687e-06 2.4694040760197315e-08 1.2418779768752298e-10
    5.948689037032026e-13 2.695776456888889e-15 0.01654035173939407 0.0008792845864124146
    4.852019579300175e-06 2.571177490088171e-08 1.3030128534230821e-10 6.282009758687478e-13
    2.8612737351111112e-15 0.018318536789842393 0.0008990054264789172 5.009468408955337e-06
    2.677977707421807e-08 1.3675822186304616e-10 6.635828774535271e-13 3.0375273884444443e-15
    0.020136801964214277 0.0009193690873767368 5.1734830914104276e-06 2.7900878609710433e-08
    1.435797640280904e-10 7.011479031104373e-13 3.2252476e-15 0.021996459598282742
    0.0009404024815536678 5.344391150804117e-06 2.9078085538049375e-08 1.507884450032973e-10
    7.41038136474992e-13 3.425189232e-15 0.02389887718722632 0.0009621338683590018
    5.5225386998049015e-06 3.0314589961047687e-08 1.5840826497296334e-10 7.834050047241445e-13
    3.6381553564444445e-15 0.025845480155298518 0.0009845929306782012 5.708291592005185e-06
    3.161378216916483e-08 1.664647874552963e-10 8.28409859287854e-13 3.864997576888889e-15
    0.027837754783474698 0.0010078108563256892 5.9020366493792216e-06 3.297926355324652e-08
    1.7498524159268457e-10 8.762245912484253e-13 4.106620648888889e-15 0.029877251304899308
    0.001031820424505735 6.104182969716206e-06 3.441486035954272e-08 1.839986307293409e-10
    9.270322736636504e-13 4.3639844053333335e-15 0.03196558717859645 0.0010566560976716574
    6.315163319241458e-06 3.592463833952192e-08 1.9353584758781173e-10 9.810278385988926e-13
    4.6381060817777776e-15 0.03410445055258834 0.0010823541191350532 6.535435615955393e-06
    3.7512918348533524e-08 2.0362979635817883e-10 1.0384187833037281e-12 4.930062526222222e-15
    0.036295603928292425 0.0011089526167995269 6.765484509551836e-06 3.918429294991359e-08
    2.1431552202133775e-10 1.0994259106646732e-12 5.240994910222222e-15 0.03854088803884051
    0.001136491713417542 7.005823064124631e-06 4.0943644083718584e-08 2.2563034723692883e-10
    1.1642841011361993e-12 5.572109287111111e-15 0.04084222595478596 0.0011650136437945675
    7.2569945502343e-06 4.279616186185504e-08 2.3761401711005023e-10 1.2332431172381557e-12
    5.924680236444444e-15 0.04320162743154022 0.0011945628793917271 7.51957435328492e-06
    4.474736455396099e-08 2.503088521647295e-10 1.3065684400300477e-12 6.300053285333334e-15
    0.04562119351381047 0.001225186260806753 7.794172005555192e-06 4.680311983095446e-08
    2.6375990983978426e-10 1.384542137097712e-12 6.6996477404444446e-15 0.048103121413299865
    0.0012569331386432195 8.081433349636768e-06 4.896966733568202e-08 2.7801515481905746e-10
    1.4674637611609885e-12 7.124958935111111e-15 0.05064970967698334 0.0012898555233099055
    8.38204284145688e-06 5.125364265255184e-08 2.9312563849675507e-10 1.5556512782814827e-12
    7.577560782222223e-15 0.053263363664388864 0.0013240082443256975 8.696726001500767e-06
    5.36621027503968e-08 3.09145687866348e-10 1.6494420240828494e-12 8.059107964444444e-15
    0.05594660135350001 0.001359449119740819 9.026252023301638e-06 5.6202552975056696e-08
    3.261331041050314e-10 1.7491936862246368e-12 8.571338168888888e-15 0.058702059496154084
    0.0013962391363223647 9.371436548731279e-06 5.8882975670265285e-08 3.4414937110591756e-10
    1.855285310975186e-12 9.11607367111111e-15 0.061532500145144775 0.0014344426411912014
    9.733144620101681e-06 6.171186050734718e-08 3.63259874182953e-10 1.9681183310134517e-12
    9.69522384e-15 0.06444081757665329 0.0014741275456383132 1.0112293819576438e-05
    6.469823660593325e-08 3.8353412915303665e-10 2.088117611438512e-12 1.031078448e-14
    0.06743004563313039 0.001515365541891654 1.0509857606888329e-05 6.785170652936334e-08
    4.050460219481114e-10 2.2157325110542536e-12 1.0964842115555555e-14 0.07050336551333886
    0.001558232333649571 1.092686886686523e-05 7.118248223961351e-08 4.2787405890153386e-10
    2.351437952227442e-12 1.1659571751111111e-14 0.0736641140379446 0.001602807881243882
    1.1364423678778208e-05 7.470142309742318e-08 4.521016277747649e-10 2.495735500408857e-12
    1.2397238257777777e-14 0.07691579242081956 0.0016491766623447889 1.1823685320041301e-05
    7.842007599378154e-08 4.778172695691648e-10 2.6491544403815725e-12 1.3180196462222222e-14
    0.08026207557809462 0.0016974279491709504 1.2305888517309891e-05 8.235071769897904e-08
    5.051149610985711e-10 2.81225284976269e-12 1.4010889635555555e-14 0.08370682200898036
    0.0017476561032212657 1.2812343958540764e-05 8.650639951503644e-08 5.340944082386946e-10
    2.9856186620887555e-12 1.489185159111111e-14 0.08725408428446171 0.0017999608886001962
    1.3344443080089493e-05 9.0900994316429e-08 5.648613497261646e-10 3.169870708003396e-12
    1.5825697795555556e-14 0.09090812018217274 0.00185444780506577 1.390366314342612e-05
    9.554924606254991e-08 5.975278712524205e-10 3.36565973660991e-12 1.6815130613333334e-14
    0.09467340450807549 0.0019112284419887304 1.4491572616545005e-05 1.0046682186333614e-07
    6.3221272959791e-10 3.573669397558913e-12 1.786293159111111e-14 0.09855464164800445
    0.0019704208544725622 1.5109836875625445e-05 1.0567036667675984e-07 6.690416864001935e-10
    3.794617185082434e-12 1.897195904e-14 0.1025567788947009 0.0020321499629472857
    1.576022424296218e-05 1.1117756071353507e-07 7.081478511009766e-10 4.029255327663256e-12
    2.0145143075555556e-14 0.10668502059865094 0.002096547977614873 1.6444612377624982e-05
    1.1700717962026153e-07 7.496720325093842e-10 4.2783716186085925e-12 2.138547936e-14
    0.11094484319386444 0.002163754849190817 1.7164995035719656e-05 1.2317915750735938e-07
    7.937630983149963e-10 4.542790176310636e-12 2.2696025653333333e-14 0.11534201115268805
    0.002233918747454642 1.7923489217504226e-05 1.2971465288245997e-07 8.405783418038907e-10
    4.8233721206418025e-12 2.4079890062222222e-14 0.11988259392684095 0.002307196569191869
    1.8722342718958937e-05 1.3663611754337958e-07 8.902838548849328e-10 5.121016156922585e-12
    2.554022711111111e-14 0.12457298393509812 0.0023837544771809576 1.956394210571161e-05
    1.439673684773947e-07 9.430549064645925e-10 5.436659058313422e-12 2.708022592e-14
    0.12941991566142438 0.002463768471950886 2.045082112747588e-05 1.5173366280523906e-07
    9.990763250638903e-10 5.771276031135163e-12 2.8703099555555555e-14 0.13443048593088697
    0.0025474249981080823 2.1385669591362916e-05 1.5996177579900442e-07 1.0585428844575133e-09
    6.125880953678788e-12 3.041208014222222e-14 0.13961217543434562 0.0026349215871051762
    2.2371342712572568e-05 1.6868008199296823e-07 1.1216596910444997e-09 6.501526475309089e-12
    3.221039450666667e-14 0.144972871576738 0.002726467538398244 2.341087096105095e-05
    1.7791863939526378e-07 1.1886425714330958e-09 6.8993039665054284e-12 3.4101266222222225e-14
    0.15052089272774619 0.0028222846410136237 2.4507470422713398e-05 1.8770927679626137e-07
    1.259718458758337e-09 7.320343304922983e-12 3.6087889048888887e-14 0.1562650139577461
    0.0029226079376196627 2.566455369376845e-05 1.9808568415654462e-07 1.3351257759815557e-09
    7.765812489104676e-12 3.817342003555556e-14 0.16221449434620738 0.0030276865332726477
    2.6885741326534563e-05 2.0908350604346383e-07 1.415114814424073e-09 8.236917066597432e-12
    4.036095745777778e-14 0.1683791059541213 0.0031377844510793083 2.8174873844911173e-05
    2.2074043807045782e-07 1.499948105599609e-09 8.734899366193081e-12 4.265352897777778e-14
    0.1747691645565937 0.0032531815370903066 2.9536024347344365e-05 2.3309632627767074e-07
    1.5899007843582445e-09 9.261037523542736e-12 4.5054073102222224e-14 0.18139556223643702
    0.0033741744168097 3.09735117147095e-05 2.461932693759229e-07 1.6852609412267751e-09
    9.81664429428549e-12 4.756541809777778e-14 0.18826980194443665 0.0035010775057740316
    3.249191444001427e-05 2.600757237588632e-07 1.7863299617388377e-09 1.0403065638343878e-11
    5.019026583111111e-14 0.19540403413693969 0.0036342240767211326 3.4096085096200906e-05
    2.7479061117017636e-07 1.8934228504790033e-09 1.1021679075323599e-11 5.293117173333333e-14
    0.20281109560651886 0.00377396738593236 3.579116545759241e-05 2.9038742889416174e-07
    2.0068685374849e-09 1.1673891799578381e-11 5.5790523093333335e-14 0.21050455062669335
    0.003920681861392565 3.7582602289680105e-05 3.0691836231886877e-07 2.1270101645763676e-09
    1.2361138551062899e-11 5.877052016e-14 0.21849873453703333 0.004074764355468959
    3.947616382098671e-05 3.244383997013992e-07 2.254205349151868e-09 1.3084879235290859e-11
    6.187315326222222e-14 0.2268087999004323 0.004236635464862852 4.1477956909656896e-05
    3.430054489450281e-07 2.3888264229264067e-09 1.3846596292818514e-11 6.510018375111112e-14
    0.23545076536988704 0.004406740920636517 4.35944449162247e-05 3.6268045617760415e-07
    2.53126064308532e-09 1.4647791812837902e-11 6.845312263111111e-14 0.24444156740777434
    0.004585553051160578 4.5832466292683086e-05 3.835275259003303e-07 2.6819103733055602e-09
    1.5489984390884758e-11 7.193320636444444e-14 0.25379911500634267 0.004773572320865003
    4.8199253896534185e-05 4.0561404245564733e-07 2.8411932320871164e-09 1.637470573645832e-11
    7.554137982222222e-14 0.26354234756393613 0.0049713289477083785 5.070245503693037e-05
    4.2901079254268185e-07 3.009542205890048e-09 1.730349702534734e-11 7.927827336888888e-14
    0.27369129607732345 0.005179384602305264 5.33501522583266e-05 4.537920884886502e-07
    3.187405724581438e-09 1.827790501024511e-11 8.314418236444444e-14 0.28426714781640317
    0.005398334191669514 5.615088486525581e-05 4.800358919649474e-07 3.3752476967570798e-09
    1.9299477888083468e-11 8.713904913777777e-14 0.2952923146534852 0.0056288077305420795
    5.911367118991331e-05 5.078239378174484e-07 3.5735475025851714e-09 2.036976093701707e-11
    9.126244261333333e-14 0.3067905052252884 0.00587147230327454 6.224803160219768e-05
    5.372418576620094e-07 3.782799941896024e-09 2.149029193044454e-11 9.551353918222223e-14
    0.3187868011117332 0.00612703411923391 6.556401225970764e-05 5.683793028783774e-07
    4.003515135339238e-09 2.2662596341239295e-11 9.989110976e-14 0.33130773722152623
    0.006396240664679808 6.90722095929424e-05 6.013300666188594e-07 4.236218376588347e-09
    2.3888182347073697e-11 1.0439349811555555e-13 0.34438138658041334 0.0066798829540414
    7.278379551860356e-05 6.36192204432288e-07 4.481449933651445e-09 2.5168535651285476e-11
    1.0901861383111111e-13 0.35803744972380175 0.006978797883488269 7.671054337145482e-05
    6.730681530891739e-07 4.739764797584523e-09 2.650511414114305e-11 1.1376390933333332e-13
    0.37230734890119727 0.007293870689646138 8.086485454267072e-05 7.120648471806269e-07
    5.0117323769745884e-09 2.7899342394100073e-11 1.1862637614222222e-13 0.3872243273055545
    0.00762603751625498 8.525978581000461e-05 7.532938330517133e-07 5.297936136838812e-09
    2.935260605416409e-11 1.2360253370666666e-13 0.4028235535461694 0.007976288091502973
    8.990907734243825e-05 7.968713796195619e-07 5.5989731807360405e-09 3.0866246101464866e-11
    1.2868841946666668e-13 0.4191422315891379 0.008345668518695046 9.482718135925016e-05
    8.429185856178314e-07 5.915453775108349e-09 3.244155303434747e-11 1.338795794311111e-13
    0.43621971639463786 0.00873528418282895 0.000100029291420668 8.915614828021988e-07
    6.24800081507886e-09 3.407976098345888e-11 1.3917107176888888e-13 0.4540976354853433
    0.009146302775554824 0.00010553137232446167 9.429311346463863e-07 6.597249231221996e-09
    3.5782041795476564e-11 1.4455745872e-13 0.4728200166851233 0.009579957440886046
    0.00011135019058000067 9.971637300550903e-07 6.963845336995697e-09 3.7549499088161346e-11
    1.500328071288889e-13 0.4924334222717984 0.010037550043909497 0.00011750334542845235
    1.0544006716188967e-06 7.348446116824222e-09 3.938316232643575e-11 1.5559069118222223e-13
    0.5129870897920926 0.010520454564612427 0.00012400930037494997 1.1147886579371265e-06
    7.75171845505687e-09 4.1283980931872625e-11 1.612241968e-13 0.5345330797910137
    0.011030120618800727 0.0001308874151957227 1.1784797595374515e-06 8.174338306304482e-09
    4.3252818449517084e-11 1.669259264e-13 0.557126430711693 0.011568077107929736
    0.00013815797838036652 1.2456314879260905e-06 8.616989807896932e-09 4.529044681153965e-11
    1.7268801084444443e-13 0.5808253212251933 0.012135935999503878 0.0001458422399666584
    1.316406857309571e-06 9.080364335510602e-09 4.739754071312462e-11 1.785021160888889e-13
    0.6056912402529337 0.01273539623952555 0.00015396244472258864 1.3909744385382817e-06
    9.565159503230623e-09 4.957467212766904e-11 1.8435945564444444e-13 0.6317891649471572
    0.013368247798287032 0.00016254186562762076 1.4695084048334055e-06 1.0072078109604152e-08
    5.182230499568071e-11 1.9025081422222223e-13 0.6591877468972532 0.014036375850601992
    0.00017160483760259707 1.5521885688723188e-06 1.060182703153528e-08 5.414079010583752e-11
    1.9616655146666667e-13 0.6879595068317443 0.014741765091365868 0.00018117679143520433
    1.6392004108230584e-06 1.1155116068018043e-08 5.653036019492569e-11 2.0209663662222222e-13
    0.7181810380872997 0.015486504187117112 0.00019128428784550924 1.7307350969359975e-06
    1.1732656736113608e-08 5.899112528756384e-11 2.0803065333333334e-13 0.7499332191172625
    0.016272790364044783 0.00020195505163377912 1.8269894883203348e-06 1.2335161021630225e-08
    6.152306831216908e-11 2.1395783431111112e-13 0.7833014353128349 0.01710293413265243
    0.00021321800585063328 1.9281661395543912e-06 1.2963340087354342e-08 6.412604099806635e-11
    2.1986708942222223e-13 0.8183758104102381 0.017979364149044223 0.0002251033059275313
    2.0344732868018175e-06 1.361790294183995e-08 6.679976008397248e-11 2.257470126222222e-13
    0.8552514477568512 0.01890463221254756 0.00023764237370371255 2.146124825130639e-06
    1.4299555071870523e-08 6.954380386469418e-11 2.3158593688888887e-13 0.8940286817084994
    0.0198814183991272 0.00025086793128395994 2.2633402747585233e-06 1.500899704211653e-08
    7.235760907504394e-11 2.3737194737777777e-13 0.9348133394287079 0.02091253632978037
    0.0002648140346599848 2.3863447359754924e-06 1.5746923065472183e-08 7.524046814172015e-11
    2.4309291271111114e-13 0.9777170133588503 0.02200093857283048 0.0002795161070268238
    2.5153688325245316e-06 1.651401954782282e-08 7.819152682936823e-11 2.4873652355555557e-13
    """
)

_IGAM_ASYMPTOTIC = _table(
    """
    -0.3333333333333333 0.08333333333333333 -0.014814814814814815
    0.0011574074074074073 0.0003527336860670194 -0.0001787551440329218
    3.919263178522438e-05 -2.1854485106799924e-06 -1.85406221071516e-06
    8.296711340953087e-07 -1.7665952736826078e-07 6.707853543401498e-09
    1.0261809784240309e-08 -4.382036018453353e-09 9.14769958223679e-10
    -2.551419399494625e-11 -5.830772132550426e-11 2.4361948020667415e-11
    -5.0276692801141755e-12 1.1004392031956135e-13 3.3717632624009856e-13
    -1.392388722418162e-13 2.8534893807047445e-14 -5.139111834242572e-16
    -1.9752288294349442e-15 -0.001851851851851852 -0.003472222222222222
    0.0026455026455026454 -0.0009902263374485596 0.00020576131687242798
    -4.018775720164609e-07 -1.8098550334489977e-05 7.64916091608111e-06
    -1.6120900894563446e-06 4.647127802807434e-09 1.378633446915721e-07
    -5.752545603517705e-08 1.1951628599778148e-08 -1.7543241719747647e-11
    -1.0091543710600413e-09 4.162792991842583e-10 -8.56390702649298e-11
    6.067215101604758e-14 7.1624989648114856e-12 -2.933186643771437e-12
    5.996696365683689e-13 -2.1671786527323313e-16 -4.978339972369262e-14
    2.0291628823713425e-14 -4.13125571381061e-15 0.004133597883597883
    -0.0026813271604938273 0.0007716049382716049 2.0093878600823047e-06
    -0.00010736653226365161 5.2923448829120125e-05 -1.2760635188618728e-05
    3.423578734096138e-08 1.3721957309062932e-06 -6.298992138380055e-07
    1.4280614206064242e-07 -2.0477098421990866e-10 -1.409252991086752e-08
    6.228974084922022e-09 -1.3670488396617112e-09 9.428356159014678e-13
    1.2872252400089318e-10 -5.5645956134363323e-11 1.197593554636698e-11
    -4.1689782251838634e-15 -1.0940640427884595e-12 4.662239946390136e-13
    -9.905105763906907e-14 1.8931876768373515e-17 8.859221872591127e-15
    0.0006494341563786008 0.00022947209362139917 -0.0004691894943952557
    0.00026772063206283885 -7.561801671883977e-05 -2.396505113867297e-07
    1.1082654115347302e-05 -5.6749528269915965e-06 1.4230900732435883e-06
    -2.7861080291528143e-11 -1.6958404091930278e-07 8.099464905388083e-08
    -1.9111168485973655e-08 2.3928620439808118e-12 2.0620131815488797e-09
    -9.460496661855133e-10 2.1541049775774907e-10 -1.388823336813903e-14
    -2.1894761681963938e-11 9.790998951171684e-12 -2.178219188018096e-12
    6.208819573407901e-17 2.126978363279737e-13 -9.344688791517433e-14
    2.045367122678285e-14 -0.0008618882909167117 0.0007840392217200666
    -0.0002990724803031902 -1.4638452578843418e-06 6.641498215465122e-05
    -3.968365047179435e-05 1.1375726970678419e-05 2.507497226237533e-10
    -1.6954149536558305e-06 8.907507532205309e-07 -2.292934834000805e-07
    2.956794137544049e-11 2.8865829742708783e-08 -1.4189739437803219e-08
    3.4463580499464896e-09 -2.3024517174528067e-13 -3.9409233028046403e-10
    1.86023389685045e-10 -4.356323005056618e-11 1.278600101629623e-15
    4.67927502665792e-12 -2.149246470613483e-12 4.908815614809652e-13
    -6.33859148489156e-18 -5.045332069080094e-14 -0.00033679855336635813
    -6.972813758365858e-05 0.0002772753244959392 -0.00019932570516188847
    6.797780477937208e-05 1.419062920643967e-07 -1.3594048189768693e-05
    8.018470256334202e-06 -2.291481176508095e-06 -3.252473551298454e-10
    3.4652846491085265e-07 -1.8447187191171344e-07 4.8240967037894184e-08
    -1.7989466721743514e-14 -6.306194500013523e-09 3.162417628774568e-09
    -7.840924253697429e-10 5.192679165254041e-15 9.358944242306784e-11
    -4.513426216163278e-11 1.0799129993116828e-11 -3.661886712685252e-17
    -1.210902069055155e-12 5.680743584990564e-13 -1.3249659916340829e-13
    0.0005313079364639922 -0.0005921664373536939 0.0002708782096718045
    7.902353232660328e-07 -8.153969367561969e-05 5.61168275310625e-05
    -1.8329116582843375e-05 -3.0796134506033047e-09 3.465155368803609e-06
    -2.0291327396058603e-06 5.788792863149004e-07 2.338630673826657e-13
    -8.828600746330484e-08 4.7435958880408125e-08 -1.2545415020710382e-08
    8.649648858010293e-14 1.6846058979264062e-09 -8.575492823577594e-10
    2.1598224929232125e-10 -7.613230520476153e-16 -2.6639822008536144e-11
    1.3065700536611057e-11 -3.1799163902367977e-12 4.710976121367431e-18
    3.6902800842763465e-13 0.00034436760689237765 5.171790908260592e-05
    -0.00033493161081142234 0.0002812695154763237 -0.00010976582244684731
    -1.2741009095484485e-07 2.7744451511563645e-05 -1.8263488805711332e-05
    5.7876949497350525e-06 4.93875893393627e-10 -1.0595367014026043e-06
    6.166714376110408e-07 -1.7562973359060463e-07 -1.297447328701544e-12
    2.695423606288966e-08 -1.4578352908731272e-08 3.887645959386175e-09
    -3.881002251019412e-17 -5.327994173877286e-10 2.7437977643314844e-10
    -6.995796092070568e-11 2.589986387486848e-17 8.856689099669639e-12
    -4.403168815871311e-12 1.0865561947091654e-12 -0.0006526239185953094
    0.0008394987206720873 -0.000438297098541721 -6.969091458420552e-07
    0.00016644846642067547 -0.00012783517679769218 4.629953263691304e-05
    4.557909867922708e-09 -1.0595271125805195e-05 6.783342904865167e-06
    -2.1075476666258803e-06 -1.7213731432817144e-11 3.773587741611098e-07
    -2.1867506700122867e-07 6.220228804018927e-08 6.597703826733e-16
    -9.590386497425686e-09 5.213214492280807e-09 -1.3991589583935709e-09
    5.382058999060575e-16 1.9484714275467745e-10 -1.0127287556389682e-10
    2.6077347197254926e-11 -5.090418699993299e-18 -3.3721464474854593e-12
    -0.0005967612901927463 -7.204895416020011e-05 0.0006782308837667328
    -0.0006401475260262758 0.00027750107634328704 1.819700838046515e-07
    -8.479507117068503e-05 6.105192082501531e-05 -2.1073920183404862e-05
    -8.858589014125599e-10 4.5284535953805374e-06 -2.8427815022504407e-06
    8.708234177864641e-07 3.6886101871706966e-12 -1.534469519070206e-07
    8.862466778790695e-08 -2.5184812301826817e-08 -1.0225912098215092e-14
    3.896947075815478e-09 -2.1267304792235634e-09 5.737013552805138e-10
    -1.887749850169741e-19 -8.093153869465787e-11 4.23827232834492e-11
    -1.1002224534207727e-11 0.0013324454494800656 -0.0019144384985654776
    0.0011089369134596636 9.9324041226423e-07 -0.0005087450129309319
    0.00042735056665392886 -0.000168588537679108 -8.1301893922785e-09
    4.5284402370562144e-05 -3.127053674781734e-05 1.044986828530338e-05
    4.8435226265680926e-11 -2.148256587345626e-06 1.329369701097492e-06
    -4.029569309210103e-07 -1.756787766632329e-13 7.014504316366825e-08
    -4.040787734999483e-08 1.1474026743371962e-08 3.9642746853563326e-18
    -1.7804938269892715e-09 9.748026254873165e-10 -2.6405338676507616e-10
    5.794875163403742e-18 3.764774955354384e-11 0.001579727660730835
    0.00016251626278391583 -0.0020633421035543276 0.00213896861856891
    -0.0010108559391263003 -3.99127055299192e-07 0.0003623502508476469
    -0.00028143901463712157 0.00010449513336495887 2.12114184918303e-09
    -2.5779417251947842e-05 1.7281818956040464e-05 -5.641377387290428e-06
    -1.1024320105776174e-11 1.1223224418895176e-06 -6.869339637952674e-07
    2.0653236975414888e-07 4.6714772409838506e-14 -3.5609886164949055e-08
    2.0470855345905963e-08 -5.809173863328336e-09 -1.332821287582869e-16
    9.035460439133513e-10 -4.959878251733084e-10 1.3481607129399748e-10
    -0.004072512119514016 0.00640336283380807 -0.004041016108167662
    -2.183732802866233e-06 0.002174044180125464 -0.001970044051841889
    0.0008359546974796246 1.9445447567109655e-08 -0.000257793871204217
    0.00019009987368139304 -6.769649993743896e-05 -1.4440629666426571e-10
    1.5712512518742267e-05 -1.0304008744776892e-05 3.304517767401387e-06
    7.982976024232571e-13 -6.4097794149313e-07 3.8894624761300054e-07
    -1.161834764494887e-07 -2.816808630596451e-15 1.9878012911297094e-08
    -1.1407719956357511e-08 3.2355857064185554e-09 4.175946829345594e-20
    -5.042311271810582e-10 -0.0059475779383993 -0.0005401647678926045
    0.00879104135507679 -0.009857631558785612 0.005013469503102154
    1.2807521786221875e-06 -0.0020626019342754685 0.0017109128573523059
    -0.000676953127141338 -6.901154567656214e-09 0.00018855128143995903
    -0.0001339521566349197 4.626318303352804e-05 4.003423061332135e-11
    -1.0255652921494033e-05 6.612086372797651e-06 -2.0913022027253007e-06
    -2.0951775649603836e-13 3.975602904199325e-07 -2.395621197881589e-07
    7.118288338214586e-08 8.925574873053455e-16 -1.2101547235064675e-08
    6.935061824833439e-09 -1.96614644538561e-09 0.01740202778752271
    -0.029527880945699123 0.020045875571402798 7.0289515966903405e-06
    -0.012375421071343148 0.011976293444235253 -0.0054156038466518525
    -6.329089339641862e-08 0.0018855118129005065 -0.001473473274825001
    0.0005551581009770838 5.240683441255066e-10 -0.00014357913535784837
    9.91812932249433e-05 -3.346083474947831e-05 -3.575583729109899e-12
    7.1560851960630075e-06 -4.551680262815553e-06 1.4236576649271474e-06
    1.8803149082089665e-14 -2.662340389892921e-07 1.5950642189595716e-07
    -4.71875146738411e-08 -6.510787295875518e-17 7.979509102674624e-09
    0.03024912416090589 0.0024817436002649977 -0.049939134373457025
    0.05991564300930787 -0.03248320760162339 -5.721296865210344e-06
    0.015085251778569354 -0.013261324005088445 0.0055515262632426145
    3.026318225703001e-08 -0.0017229548406756724 0.0012893570099929638
    -0.00046845138348319875 -1.830259937893045e-10 0.00011449739014822654
    -7.737856522124447e-05 2.5625836246985202e-05 1.0766165333192815e-12
    -5.324680928242262e-06 3.349634863064464e-06 -1.0381253128684019e-06
    -5.608909920621128e-15 1.9150821930676592e-07 -1.1418365800203487e-07
    3.3654425209171787e-08 -0.09905102088015905 0.17954011706123485
    -0.12989606383463778 -3.1478872752284355e-05 0.09051063527684813
    -0.0928288244111844 0.04441211283987781 2.7779236316835886e-07
    -0.017229543805449696 0.014182925050891573 -0.005621416163374734
    -2.39598509186381e-09 0.0016029634366079909 -0.0011606784674435774
    0.00041001337768153875 1.836580075409066e-11 -9.58442565636559e-05
    6.364306233776471e-05 -2.076250624489065e-05 -1.1806020912804483e-13
    4.213180823912065e-06 -2.626224133701247e-06 8.077062049493066e-07
    6.012591212363273e-16 -1.472973737401884e-07 -0.19994542198219728
    -0.015056113040026424 0.36470239469348487 -0.4643519231173355
    0.26640934719197895 3.403826602714719e-05 -0.13784338709329624
    0.1276467178337056 -0.056213828755200985 -1.753150885483011e-07
    0.019235592956768112 -0.015088821281095314 0.005740185445135012
    1.0622382710310225e-09 -0.0015335082692563998 0.0010819320643228215
    -0.0003737251019394566 -6.617090972903199e-12 8.426361738090962e-05
    -5.515070682748348e-05 1.776953644834807e-05 3.882792321020553e-14
    -3.53513697488768e-06 2.186583213004527e-06 -6.68128494476256e-07
    0.7243860850402943 -1.3918010932653375 1.0654143352413967
    0.0001876173868950258 -0.827055011761527 0.8935243334782842
    -0.44971003995291337 -1.6107401567546651e-06 0.1923559016527109
    -0.1659770216004261 0.06888222268181433 1.3910091724608687e-08
    -0.02146911561508663 0.016228980898865892 -0.005979601617258426
    -1.1287469112826745e-10 0.0015167451119784856 -0.00104786342935539
    0.0003553907288912642 8.170432211180152e-13 -7.77730134424524e-05
    5.029141389700772e-05 -1.6035083867000518e-05 1.2469354315487606e-14
    3.1369106244517616e-06 1.6668949727276812 0.1165462765994632
    -3.3288393225018904 4.469232548286404 -2.6977693045875806
    -0.0002600667859891061 1.5389017615694538 -1.4937962361134611
    0.6888196463323315 1.3077482004552384e-06 -0.2576296332559629
    0.21097676102125448 -0.08371440835921988 -7.792042888135476e-09
    0.0242679230648336 -0.017813678334552312 0.006397033038890006
    4.943080709048052e-11 -0.0015554602758465635 0.0010561196919903215
    -0.000352771844604729 9.300233464502246e-14 7.528585502655717e-05
    -4.818651556915635e-05 1.5227271505597605e-05 -6.618829886137293
    13.397985455142589 -10.789350606845145 -0.0014352254537875018
    9.23336945961898 -10.456552819547769 5.510552602903347
    1.2024439690716742e-05 -2.5762961164755818 2.320744274538718
    -1.0045728797216285 -1.0207833290021913e-07 0.3397509217116947
    -0.2672051745075747 0.10235252851562705 8.432973048487163e-10
    -0.027998284958442594 0.020066274144976814 -0.007055436891508624
    1.9402238183698188e-12 0.0016562888105449611 -0.0011082898580743682
    0.0003654545161310169 -5.129003202697179e-11 -7.634010369686903e-05
    -17.112706061976095 -1.1208044642899115 37.131966511885445
    -52.29827102534896 33.058589696624615 0.002479129897620022
    -20.61089403411526 20.88672775145582 -10.045703956517752
    -1.2238783449063012e-05 4.077013427422114 -3.473667358470195
    1.4329352617312006 7.135991441187971e-08 -0.4479725715911561
    0.3411266608064446 -0.12699786326594922 -2.895367726908153e-10
    0.03312577627825986 -0.023274087021036102 0.008039999350364889
    -1.177805216235265e-09 -0.001832162489107167 0.0012108282933588664
    -0.0003947994124682252 73.89033153567425 -156.80141270402274
    132.2177542759164 0.013692876877324546 -123.66496885920151
    146.2068939106273 -80.36558772486535 -0.00011259851148881298
    40.77013219617994 -38.21034001327303 17.19522294277362
    9.351970795516835e-07 -6.271615990774704 5.116899907185264
    -2.0319658112299095 -4.950721558276154e-09 0.596263972943326
    -0.44220765337238094 0.16079998700166273 -2.4733786203223403e-08
    -0.040307574759979765 0.02784905074709787 -0.009475185899205422
    6.419922235909132e-06 0.002125018077469946 212.1683709838252
    13.107863022633868 -496.9828593287175 731.215952669692
    -482.1382172089085 -0.028817248692894887 326.167203029471
    -343.8934028008712 171.95193870816232 0.00014038077378096157
    -75.2594195897599 66.51969984520935 -28.447519748152462
    -7.613702615875392e-07 9.540223710530437 -7.517530111331138
    2.894399756887196 -4.66121949995382e-07 -0.8061514959879409
    0.5848300657063102 -0.20845408972964957 0.00014765818959305816
    0.05100043386375302 -0.03306625214188366 0.015109265210467774
    -989.5964309832236 2192.555536090523 -1928.3586782723355
    -0.15925738122215252 1956.9985945919857 -2407.2514765081555
    1375.6149959336497 0.0012920735237496668 -752.5941715948055
    731.7166874220871 -341.37023466220063 -9.985739026060805e-06
    133.56313181291574 -112.76295161252794 46.31039609820446
    -7.923738713361476e-06 -14.510726927018647 11.111771248100563
    -4.169081794527089 0.0031008219800117806 1.1220095449981469
    -0.7605237992614992 0.36262236505085255 0.2216867741940747
    0.48683443692930506
    """
)

_LANCZOS_NUM = (
    0.006061842346248907,
    0.5098416655656676,
    19.519927882476175,
    449.9445569063168,
    6955.999602515376,
    75999.29304014542,
    601859.6171681099,
    3481712.154980646,
    14605578.087685067,
    43338889.32467614,
    86363131.2881386,
    103794043.11634454,
    56906521.913471565,
)
_LANCZOS_DENOM = (
    1.0,
    66.0,
    1925.0,
    32670.0,
    357423.0,
    2637558.0,
    13339535.0,
    45995730.0,
    105258076.0,
    150917976.0,
    120543840.0,
    39916800.0,
    0.0,
)


@njit(error_model="numpy")
def _erfcx_y100(y100):
    """erfcx(x) for 400/(4+|x|) = y100 in [0, 100): the Chebyshev fit of its interval
    [k/100, (k+1)/100], in t = 2 y100 - (2k + 1) (1 where y100 is 100)."""
    k = int(y100)
    if k >= 100:
        return 1.0
    t = 2 * y100 - (2 * k + 1)
    row = 7 * k
    total = _ERFCX_Y100[row + 6]
    for i in range(5, -1, -1):
        total = fma(total, t, _ERFCX_Y100[row + i])
    return total


@njit(error_model="numpy")
def _erfcx64(x):
    """e^(x²) erfc(x), as torch's calc_erfcx (Johnson's Faddeeva): a continued fraction
    above 50, 2 e^(x²) - erfcx(-x) below 0, inf below -26.7."""
    if x != x:
        return x
    if x >= 0:
        if x > 50:
            if x > 5e7:
                return 0.56418958354775628694807945156 / x
            xx = x * x
            return (
                0.56418958354775628694807945156
                * (xx * (xx + 4.5) + 2)
                / (x * (xx * (xx + 5) + 3.75))
            )
        return _erfcx_y100(400 / (4 + x))
    if x < -26.7:
        return math.inf
    if x < -6.1:
        return 2 * math.exp(x * x)
    return 2 * math.exp(x * x) - _erfcx_y100(400 / (4 - x))


@njit(error_model="numpy")
def _ratevl(x, num, denom):
    """num(x) / denom(x), coefficients from the highest power, as a polynomial in 1/x
    beyond |x| = 1 (torch's ratevl)."""
    m, n = len(num) - 1, len(denom) - 1
    if abs(x) > 1:
        y = 1 / x
        top = num[m]
        for i in range(m - 1, -1, -1):
            top = top * y + num[i]
        bottom = denom[n]
        for i in range(n - 1, -1, -1):
            bottom = bottom * y + denom[i]
        return math.pow(x, n - m) * top / bottom
    top = num[0]
    for i in range(1, m + 1):
        top = top * x + num[i]
    bottom = denom[0]
    for i in range(1, n + 1):
        bottom = bottom * x + denom[i]
    return top / bottom


_LANCZOS_G = 6.024680040776729583740234375


@njit(error_model="numpy")
def _igam_fac(a, x):
    """x^a e^-x / Γ(a), through Lanczos's sum where a and x are close."""
    if abs(a - x) > 0.4 * abs(a):
        ax = a * math.log(x) - x - math.lgamma(a)
        if ax < -709.782712893383996843:
            return 0.0
        return math.exp(ax)
    fac = a + _LANCZOS_G - 0.5
    result = math.sqrt(fac / 2.718281828459045) / _ratevl(a, _LANCZOS_NUM, _LANCZOS_DENOM)
    if a < 200 and x < 200:
        return result * math.exp(a - x) * math.pow(x / fac, a)
    ratio = (x - a - _LANCZOS_G + 0.5) / fac
    return result * math.exp(a * (math.log1p(ratio) - ratio) + x * (0.5 - _LANCZOS_G) / fac)


@njit(error_model="numpy")
def _igam_series(a, x):
    """P(a, x) by its power series (DLMF 8.11.4)."""
    ax = _igam_fac(a, x)
    if ax == 0.0:
        return 0.0
    r = a
    c = 1.0
    total = 1.0
    for _ in range(2000):
        r += 1.0
        c *= x / r
        total += c
        if c <= _MACHEP * total:
            break
    return total * ax / a


@njit(error_model="numpy")
def _igamc_series(a, x):
    """Q(a, x) for small x (DLMF 8.7.3), without P's cancellation."""
    fac = 1.0
    total = 0.0
    for n in range(1, 2000):
        fac *= -x / n
        term = fac / (a + n)
        total += term
        if abs(term) <= _MACHEP * abs(total):
            break
    logx = math.log(x)
    return -math.expm1(a * logx - math.lgamma(1 + a)) - math.exp(a * logx - math.lgamma(a)) * total


@njit(error_model="numpy")
def _igam_asymptotic(a, x, lower):
    """P(a, x) (`lower`) or Q(a, x) for large a near x: Temme's uniform expansion (DLMF
    8.12.3/8.12.4)."""
    sign = -1.0 if lower else 1.0
    sigma = (x - a) / a
    eta = 0.0
    if x / a != 1:
        eta = math.copysign(math.sqrt(-2 * (math.log1p(sigma) - sigma)), x / a - 1)
    result = 0.5 * math.erfc(sign * eta * math.sqrt(a / 2))
    powers = np.empty(25)
    powers[0] = 1.0
    highest = 0
    total = 0.0
    factor = 1.0
    previous = math.inf
    for k in range(25):
        ck = _IGAM_ASYMPTOTIC[25 * k]
        for n in range(1, 25):
            if n > highest:
                powers[n] = eta * powers[n - 1]
                highest += 1
            term = _IGAM_ASYMPTOTIC[25 * k + n] * powers[n]
            ck += term
            if abs(term) < _MACHEP * abs(ck):
                break
        term = ck * factor
        if abs(term) > previous:
            break
        total += term
        if abs(term) < _MACHEP * abs(total):
            break
        previous = abs(term)
        factor /= a
    # torch takes π as a float32 here
    return result + sign * math.exp(-0.5 * a * eta * eta) * total / math.sqrt(
        2 * 3.1415927410125732 * a
    )


@njit(error_model="numpy")
def _igamc_continued_fraction(a, x):
    """Q(a, x) by its continued fraction (DLMF 8.9.2)."""
    ax = _igam_fac(a, x)
    if ax == 0.0:
        return 0.0
    y = 1.0 - a
    z = x + y + 1.0
    c = 0.0
    pkm2 = 1.0
    qkm2 = x
    pkm1 = x + 1.0
    qkm1 = z * x
    result = pkm1 / qkm1
    for _ in range(2000):
        c += 1.0
        y += 1.0
        z += 2.0
        yc = y * c
        pk = pkm1 * z - pkm2 * yc
        qk = qkm1 * z - qkm2 * yc
        if qk != 0:
            r = pk / qk
            t = abs((result - r) / r)
            result = r
        else:
            t = 1.0
        pkm2, pkm1, qkm2, qkm1 = pkm1, pk, qkm1, qk
        if abs(pk) > 4.503599627370496e15:
            pkm2 *= 2.22044604925031308085e-16
            pkm1 *= 2.22044604925031308085e-16
            qkm2 *= 2.22044604925031308085e-16
            qkm1 *= 2.22044604925031308085e-16
        if t <= _MACHEP:
            break
    return result * ax


@njit(error_model="numpy")
def _igam_regime(a, x):
    """1 where Temme's expansion applies (a large and x near it), else 0."""
    ratio = abs(x - a) / a
    if 20 < a < 200 and ratio < 0.3:
        return 1
    if a > 200 and ratio < 4.5 / math.sqrt(a):
        return 1
    return 0


@njit(error_model="numpy")
def _igammac64(a, x):
    """Q(a, x) = Γ(a, x) / Γ(a), the regularized upper incomplete gamma function, with
    torch's (SciPy's) values at the boundaries (nan below 0, Q(0, x > 0) = 0)."""
    if x < 0 or a < 0:
        return math.nan
    if a == 0:
        return 0.0 if x > 0 else math.nan
    if x == 0:
        return 1.0
    if math.isinf(a):
        return math.nan if math.isinf(x) else 1.0
    if math.isinf(x):
        return 0.0
    if _igam_regime(a, x) == 1:
        return _igam_asymptotic(a, x, False)
    if x > 1.1:
        if x < a:
            return 1.0 - _igam_series(a, x)
        return _igamc_continued_fraction(a, x)
    if x <= 0.5:
        if -0.4 / math.log(x) < a:
            return 1.0 - _igam_series(a, x)
        return _igamc_series(a, x)
    if x * 1.1 < a:
        return 1.0 - _igam_series(a, x)
    return _igamc_series(a, x)


@njit(error_model="numpy")
def _igamma64(a, x):
    """P(a, x) = γ(a, x) / Γ(a), the regularized lower incomplete gamma function, with
    torch's (SciPy's) values at the boundaries (nan below 0, P(0, x > 0) = 1)."""
    if x < 0 or a < 0:
        return math.nan
    if a == 0:
        return 1.0 if x > 0 else math.nan
    if x == 0:
        return 0.0
    if math.isinf(a):
        return math.nan if math.isinf(x) else 0.0
    if math.isinf(x):
        return 1.0
    if _igam_regime(a, x) == 1:
        return _igam_asymptotic(a, x, True)
    if x > 1.0 and x > a:
        return 1.0 - _igammac64(a, x)
    return _igam_series(a, x)


@njit(error_model="numpy")
def _series(coefficients, count, y):
    """Σ coefficients[i] yⁱ⁻¹..., Horner's rule over the first `count` coefficients (the
    highest power first)."""
    total = 0.0
    for i in range(count):
        total = fma(total, y, coefficients[i])
    return total


@njit(error_model="numpy")
def _bessel_j0_64(x):
    """J₀(x), Cephes's j0: a rational fit in x² to 5, Hankel's asymptotic form beyond."""
    x = abs(x)
    if x <= 5.0:
        if x < 0.00001:
            return 1.0 - x * x / 4.0
        xx = x * x
        return (
            (xx - 5.78318596294678452118e00)
            * (xx - 3.04712623436620863991e01)
            * _series(_J0_RP, 4, xx)
            / _series(_J0_RQ, 8, xx)
        )
    y = 25.0 / (x * x)
    shifted = x - 0.785398163397448309615660845819875721
    return (
        (
            _series(_J0_PP, 7, y) / _series(_J0_PQ, 7, y) * math.cos(shifted)
            - 5.0 / x * (_series(_J0_QP, 8, y) / _series(_J0_QQ, 7, y)) * math.sin(shifted)
        )
        * 0.797884560802865355879892119868763737
        / math.sqrt(x)
    )


@njit(error_model="numpy")
def _bessel_j1_64(x):
    """J₁(x), odd, Cephes's j1."""
    if x < 0.0:
        return -_bessel_j1_64(-x)
    if x <= 5.0:
        xx = x * x
        return (
            _series(_J1_RP, 4, xx)
            / _series(_J1_RQ, 8, xx)
            * x
            * (xx - 1.46819706421238932572e01)
            * (xx - 4.92184563216946036703e01)
        )
    y = 5.0 / x * (5.0 / x)
    shifted = x - 2.356194490192344928846982537459627163
    return (
        (
            _series(_J1_PP, 7, y) / _series(_J1_PQ, 7, y) * math.cos(shifted)
            - 5.0 / x * (_series(_J1_QP, 8, y) / _series(_J1_QQ, 7, y)) * math.sin(shifted)
        )
        * 0.797884560802865355879892119868763737
        / math.sqrt(x)
    )


@njit(error_model="numpy")
def _bessel_y0_64(x):
    """Y₀(x), Cephes's y0: -inf at 0, nan below."""
    if x <= 5.0:
        if x == 0.0:
            return -math.inf
        if x < 0.0:
            return math.nan
        xx = x * x
        return _series(_Y0_YP, 8, xx) / _series(_Y0_YQ, 7, xx) + (
            0.636619772367581343075535053490057448 * math.log(x) * _bessel_j0_64(x)
        )
    y = 25.0 / (x * x)
    shifted = x - 0.785398163397448309615660845819875721
    return (
        (
            _series(_Y0_PP, 7, y) / _series(_Y0_PQ, 7, y) * math.sin(shifted)
            + 5.0 / x * (_series(_Y0_QP, 8, y) / _series(_Y0_QQ, 7, y)) * math.cos(shifted)
        )
        * 0.797884560802865355879892119868763737
        / math.sqrt(x)
    )


@njit(error_model="numpy")
def _bessel_y1_64(x):
    """Y₁(x), Cephes's y1: -inf at 0, nan below."""
    if x <= 5.0:
        if x == 0.0:
            return -math.inf
        if x <= 0.0:
            return math.nan
        xx = x * x
        return x * (_series(_Y1_YP, 6, xx) / _series(_Y1_YQ, 8, xx)) + (
            0.636619772367581343075535053490057448 * (_bessel_j1_64(x) * math.log(x) - 1.0 / x)
        )
    y = 5.0 / x * (5.0 / x)
    shifted = x - 2.356194490192344928846982537459627163
    return (
        (
            _series(_Y1_PP, 7, y) / _series(_Y1_PQ, 7, y) * math.sin(shifted)
            + 5.0 / x * (_series(_Y1_QP, 8, y) / _series(_Y1_QQ, 7, y)) * math.cos(shifted)
        )
        * 0.797884560802865355879892119868763737
        / math.sqrt(x)
    )


@njit(error_model="numpy")
def _chebyshev_series(coefficients, count, y):
    """Cephes's chbevl: Σ' cᵢ Tᵢ(y/2) by Clenshaw's recurrence, as (b₀ - b₂) / 2."""
    p = 0.0
    q = 0.0
    b = coefficients[0]
    for i in range(1, count):
        p = q
        q = b
        b = fma(y, q, -p) + coefficients[i]
    return 0.5 * (b - p)


@njit(error_model="numpy")
def _modified_bessel_i0_64(x):
    """I₀(x), Cephes's i0 (Chebyshev series on [0, 8] and beyond)."""
    ax = abs(x)
    if ax <= 8.0:
        return math.exp(ax) * _chebyshev_series(_I0_A, 30, ax / 2.0 - 2.0)
    return math.exp(ax) * _chebyshev_series(_I0_B, 25, 32.0 / ax - 2.0) / math.sqrt(ax)


@njit(error_model="numpy")
def _modified_bessel_i1_64(x):
    """I₁(x), odd, Cephes's i1."""
    ax = abs(x)
    if ax <= 8.0:
        value = _chebyshev_series(_I1_A, 29, ax / 2.0 - 2.0) * ax * math.exp(ax)
    else:
        value = math.exp(ax) * _chebyshev_series(_I1_B, 25, 32.0 / ax - 2.0) / math.sqrt(ax)
    return -value if x < 0.0 else value


@njit(error_model="numpy")
def _modified_bessel_k0_64(x, scaled):
    """K₀(x), or eˣ K₀(x) (`scaled`): inf at 0, nan below, Cephes's k0 and k0e."""
    if x == 0.0:
        return math.inf
    if x < 0.0:
        return math.nan
    if x <= 2.0:
        value = _chebyshev_series(_K0_A, 10, x * x - 2.0) - math.log(
            0.5 * x
        ) * _modified_bessel_i0_64(x)
        return value * math.exp(x) if scaled else value
    value = _chebyshev_series(_K0_B, 25, 8.0 / x - 2.0) / math.sqrt(x)
    return value if scaled else math.exp(-x) * value


@njit(error_model="numpy")
def _modified_bessel_k1_64(x, scaled):
    """K₁(x), or eˣ K₁(x) (`scaled`): inf at 0, nan below, Cephes's k1 and k1e."""
    if x == 0.0:
        return math.inf
    if x < 0.0:
        return math.nan
    if x <= 2.0:
        value = (
            math.log(0.5 * x) * _modified_bessel_i1_64(x)
            + _chebyshev_series(_K1_A, 11, x * x - 2.0) / x
        )
        return value * math.exp(x) if scaled else value
    value = _chebyshev_series(_K1_B, 25, 8.0 / x - 2.0) / math.sqrt(x)
    return value if scaled else math.exp(-x) * value


@njit(error_model="numpy")
def _airy_ai64(x):
    """Ai(x), Cephes's airy: nan at ±inf, 0 beyond 103.892, the asymptotic forms below
    -2.09 and from 2.09 (its Maclaurin series between)."""
    if math.isinf(x):
        return math.nan
    if x > 103.892:
        return 0.0
    if x < -2.09:
        z = 1.0 / (-2.0 * x * math.sqrt(-x) / 3.0)
        zz = z * z
        afn = _series(_AIRY_AFN, 9, zz)
        afd = _series(_AIRY_AFD, 9, zz)
        agn = _series(_AIRY_AGN, 11, zz)
        agd = _series(_AIRY_AGD, 10, zz)
        t = -2.0 * x * math.sqrt(-x) / 3.0 + 0.25 * math.pi
        return (
            5.64189583547756286948e-01
            / math.sqrt(math.sqrt(-x))
            * (math.sin(t) * (1.0 + zz * afn / afd) - math.cos(t) * (z * agn / agd))
        )
    if x >= 2.09:
        zeta = 2.0 * x * math.sqrt(x) / 3.0
        an = _series(_AIRY_AN, 8, 1.0 / zeta)
        ad = _series(_AIRY_AD, 8, 1.0 / zeta)
        return (
            5.64189583547756286948e-01
            * (an / ad)
            / (2.0 * math.sqrt(math.sqrt(x)) * math.exp(zeta))
        )
    f = 1.0
    g = x
    k = 1.0
    m = 1.0
    n = x
    t = 1.0
    z = x * x * x
    while t > 2.220446049250313e-16:
        m *= z
        k += 1.0
        m /= k
        n *= z
        k += 1.0
        n /= k
        m /= k
        f += m
        k += 1.0
        n /= k
        g += n
        t = abs(m / f)
    return 0.355028053887817239260 * f - 0.258819403792806798405 * g


@njit(error_model="numpy")
def _spherical_bessel_j0_64(x):
    """j₀(x) = sin(x) / x: 0 at ±inf, a Taylor polynomial below 1/2."""
    if math.isinf(x):
        return 0.0
    if abs(x) < 0.5:
        xx = x * x
        return 1.0 + xx * (
            -1.0 / 6.0
            + xx
            * (
                1.0 / 120.0
                + xx
                * (
                    -1.0 / 5040.0
                    + xx * (1.0 / 362880.0 + xx * (-1.0 / 39916800.0 + xx * (1.0 / 6227020800.0)))
                )
            )
        )
    return math.sin(x) / x


def _hermite_limit(x):
    """The largest order torch's Hermite polynomials evaluate in x's dtype (nan beyond)."""
    return 512


@overload(_hermite_limit)
def _hermite_limit_typed(x):
    if x == types.float32:
        return lambda x: 128
    return lambda x: 512


@njit(error_model="numpy")
def _order(n):
    """A polynomial's order as torch's static_cast<int64_t>: truncated toward 0, and -1
    (the polynomial is 0) for nan, ±inf and values past int64's range."""
    if not abs(n) < 9.2e18:
        return -1
    return int(n)


@njit(error_model="numpy")
def _like(x, value):
    """`value` (a number) in x's floating type."""
    return _rounded_like(x, np.float64(value))


@njit(error_model="numpy")
def _chebyshev_recurrence(x, n, p, q):
    """The term n of r = 2x q - p from the terms 0 (p) and 1 (q), stopping at a nan."""
    r = q
    k = 2
    while k <= n and q == q:
        r = fma(x + x, q, -p)
        p = q
        q = r
        k += 1
    return r


@njit(error_model="numpy")
def _chebyshev_t(x, n):
    """Tₙ(x): 0 for n < 0, ±1 at x = ±1, cos(n acos x) inside (-1, 1) from n = 7."""
    one = _like(x, 1.0)
    if n < 0:
        return _like(x, 0.0)
    if abs(x) == one:
        return one if x > 0 or n % 2 == 0 else -one
    if n > 6 and abs(x) < one:
        return math.cos(_like(x, n) * math.acos(x))
    if n == 0:
        return one
    if n == 1:
        return x
    return _chebyshev_recurrence(x, n, one, x)


@njit(error_model="numpy")
def _chebyshev_u(x, n):
    """Uₙ(x): 0 for n < 0, ±(n + 1) at x = ±1, sin((n+1) θ) / sin θ (θ = acos x) inside
    (-1, 1) from n = 9."""
    one = _like(x, 1.0)
    if n < 0:
        return _like(x, 0.0)
    if abs(x) == one:
        return _like(x, n + 1 if x > 0 or n % 2 == 0 else -(n + 1))
    if n > 8 and abs(x) < one:
        theta = math.acos(x)
        if math.sin(theta) != 0:
            return math.sin(_like(x, n + 1) * theta) / math.sin(theta)
        return _like(x, n + 1) * math.cos(_like(x, n + 1) * theta) / x
    if n == 0:
        return one
    if n == 1:
        return x + x
    return _chebyshev_recurrence(x, n, one, x + x)


@njit(error_model="numpy")
def _chebyshev_v(x, n):
    """Vₙ(x): 0 for n < 0, 1 at x = 1 and ±(2n + 1) at -1, cos((n+½) θ) / cos(θ/2)
    inside (-1, 1) from n = 9."""
    one = _like(x, 1.0)
    if n < 0:
        return _like(x, 0.0)
    odd = _like(x, n + n + 1 if n % 2 == 0 else -(n + n + 1))
    if abs(x) == one:
        return one if x > 0 else odd
    if n > 8 and abs(x) < one:
        theta = math.acos(x)
        if math.sin(theta / _like(x, 2.0)) != one:
            return math.cos((_like(x, n) + _like(x, 0.5)) * theta) / math.cos(theta / _like(x, 2.0))
        return odd
    if n == 0:
        return one
    if n == 1:
        return x + x - one
    return _chebyshev_recurrence(x, n, one, x + x - one)


@njit(error_model="numpy")
def _chebyshev_w(x, n):
    """Wₙ(x): 0 for n < 0, 2n + 1 at x = 1 and ±1 at -1, sin((n+½) θ) / sin(θ/2) inside
    (-1, 1) from n = 9."""
    one = _like(x, 1.0)
    if n < 0:
        return _like(x, 0.0)
    at_one = _like(x, n + n + 1)
    at_minus_one = one if n % 2 == 0 else -one
    if abs(x) == one:
        return at_one if x > 0 else at_minus_one
    if n > 8 and abs(x) < one:
        theta = math.acos(x)
        if math.cos(theta / _like(x, 2.0)) != one:
            return math.sin((_like(x, n) + _like(x, 0.5)) * theta) / math.sin(theta / _like(x, 2.0))
        return at_one if x > 0 else at_minus_one
    if n == 0:
        return one
    if n == 1:
        return x + x + one
    return _chebyshev_recurrence(x, n, one, x + x + one)


@njit(error_model="numpy")
def _shifted_chebyshev_t(x, n):
    """Tₙ*(x) = Tₙ(2x - 1), as torch evaluates it: 1 at x = 1, ±1 at 0, cos(n acos(2x-1))
    inside (0, 1) from n = 7."""
    one = _like(x, 1.0)
    if n < 0:
        return _like(x, 0.0)
    if x == one:
        return one
    if x == 0:
        return one if n % 2 == 0 else -one
    y = x + x - one
    if n > 6 and abs(y) < one:
        return math.cos(_like(x, n) * math.acos(y))
    if n == 0:
        return one
    if n == 1:
        return y
    return _chebyshev_recurrence(y, n, one, y)


@njit(error_model="numpy")
def _shifted_chebyshev_u(x, n):
    """Uₙ*(x) = Uₙ(2x - 1): n + 1 at x = 1, ±(n + 1) at 0, the closed form inside (0, 1)
    from n = 7."""
    one = _like(x, 1.0)
    if n < 0:
        return _like(x, 0.0)
    if x == one:
        return _like(x, n + 1)
    if x == 0:
        return _like(x, n + 1 if n % 2 == 0 else -(n + 1))
    y = x + x - one
    if n > 6 and abs(y) < one:
        theta = math.acos(y)
        if math.sin(theta) != 0:
            return math.sin(_like(x, n + 1) * theta) / math.sin(theta)
        return _like(x, n + 1) * math.cos(_like(x, n + 1) * theta) / y
    if n == 0:
        return one
    if n == 1:
        return y + y
    return _chebyshev_recurrence(y, n, one, y + y)


@njit(error_model="numpy")
def _shifted_chebyshev_v(x, n):
    """Vₙ*(x) = Vₙ(2x - 1): 1 at x = 1, ±(2n + 1) at 0, the closed form inside (0, 1) from
    n = 7."""
    one = _like(x, 1.0)
    if n < 0:
        return _like(x, 0.0)
    odd = _like(x, n + n + 1 if n % 2 == 0 else -(n + n + 1))
    if x == one:
        return one
    if x == 0:
        return odd
    y = x + x - one
    if n > 6 and abs(y) < one:
        theta = math.acos(y)
        if math.sin(theta / _like(x, 2.0)) != one:
            return math.cos((_like(x, n) + _like(x, 0.5)) * theta) / math.cos(theta / _like(x, 2.0))
        return odd
    if n == 0:
        return one
    if n == 1:
        return y + y - one
    return _chebyshev_recurrence(y, n, one, y + y - one)


@njit(error_model="numpy")
def _shifted_chebyshev_w(x, n):
    """Wₙ*(x) = Wₙ(2x - 1): 2n + 1 at x = 1, ±1 at 0, the closed form inside (0, 1) from
    n = 5."""
    one = _like(x, 1.0)
    if n < 0:
        return _like(x, 0.0)
    at_zero = one if n % 2 == 0 else -one
    if x == one:
        return _like(x, n + n + 1)
    if x == 0:
        return at_zero
    y = x + x - one
    if n > 4 and abs(y) < one:
        theta = math.acos(y)
        if math.cos(theta / _like(x, 2.0)) != one:
            return math.sin((_like(x, n) + _like(x, 0.5)) * theta) / math.sin(theta / _like(x, 2.0))
        return at_zero
    if n == 0:
        return one
    if n == 1:
        return y + y + one
    return _chebyshev_recurrence(y, n, one, y + y + one)


@njit(error_model="numpy")
def _hermite_h(x, n):
    """Hₙ(x), the physicists' Hermite polynomial: 0 for n < 0, nan past torch's order limit
    (128 in float32, 512 in float64); r = 2x q - k p for k = 2, 4, ..., 2n - 2."""
    if n < 0:
        return _like(x, 0.0)
    if n == 0:
        return _like(x, 1.0)
    if n == 1:
        return x + x
    if n > _hermite_limit(x):
        return _like(x, math.nan)
    p = _like(x, 1.0)
    q = x + x
    r = _like(x, 0.0)
    for k in range(2, n + n, 2):
        r = fma(x + x, q, -(_like(x, k) * p))
        p = q
        q = r
    return r


@njit(error_model="numpy")
def _hermite_he(x, n):
    """Heₙ(x), the probabilists' Hermite polynomial: 0 for n < 0, nan past torch's order
    limit; r = x q - k p for k = 1, ..., n - 1."""
    if n < 0:
        return _like(x, 0.0)
    if n == 0:
        return _like(x, 1.0)
    if n == 1:
        return x
    if n > _hermite_limit(x):
        return _like(x, math.nan)
    p = _like(x, 1.0)
    q = x
    r = x
    for k in range(1, n):
        r = fma(x, q, -(_like(x, k) * p))
        p = q
        q = r
    return r


@njit(error_model="numpy")
def _laguerre_l(x, n):
    """Lₙ(x): 0 for n < 0, 1 at x = 0; r = ((2k + 1 - x) q - k p) / (k + 1)."""
    one = _like(x, 1.0)
    if n < 0:
        return _like(x, 0.0)
    if abs(x) == 0 or n == 0:
        return one
    p = one
    q = one - x
    r = q
    k = 1
    while k < n and q == q:
        r = fma(_like(x, k + k) + (one - x), q, -(_like(x, k) * p)) / _like(x, k + 1)
        p = q
        q = r
        k += 1
    return r


@njit(error_model="numpy")
def _legendre_p(x, n):
    """Pₙ(x): 0 for n < 0, ±1 at x = ±1; r = ((2k + 1) x q - k p) / (k + 1)."""
    one = _like(x, 1.0)
    if n < 0:
        return _like(x, 0.0)
    if abs(x) == one:
        return one if x > 0 or n % 2 == 0 else -one
    if n == 0:
        return one
    p = one
    q = x
    r = x
    k = 1
    while k < n and q == q:
        r = fma(_like(x, k + k + 1) * x, q, -(_like(x, k) * p)) / _like(x, k + 1)
        p = q
        q = r
        k += 1
    return r


@elementwise(1)
def erfcx(a):
    """e^(a²) erfc(a), the scaled complementary error function"""
    return _rounded_like(a, _erfcx64(np.float64(a)))


@elementwise(2)
def zeta(s, q):
    """ζ(s, q), the Hurwitz zeta function"""
    return _rounded_like(s, _hurwitz_zeta64(np.float64(s), np.float64(q)))


@elementwise(2)
def igamma(a, x):
    """P(a, x), the regularized lower incomplete gamma function"""
    return _rounded_like(a, _igamma64(np.float64(a), np.float64(x)))


@elementwise(2)
def igammac(a, x):
    """Q(a, x) = 1 - P(a, x), the regularized upper incomplete gamma function"""
    return _rounded_like(a, _igammac64(np.float64(a), np.float64(x)))


@elementwise(1)
def bessel_j0(a):
    """J₀(a), the Bessel function of the first kind of order 0"""
    return _rounded_like(a, _bessel_j0_64(np.float64(a)))


@elementwise(1)
def bessel_j1(a):
    """J₁(a), the Bessel function of the first kind of order 1"""
    return _rounded_like(a, _bessel_j1_64(np.float64(a)))


@elementwise(1)
def bessel_y0(a):
    """Y₀(a), the Bessel function of the second kind of order 0"""
    return _rounded_like(a, _bessel_y0_64(np.float64(a)))


@elementwise(1)
def bessel_y1(a):
    """Y₁(a), the Bessel function of the second kind of order 1"""
    return _rounded_like(a, _bessel_y1_64(np.float64(a)))


@elementwise(1)
def modified_bessel_i0(a):
    """I₀(a) by Cephes's Chebyshev series (torch.special.modified_bessel_i0)"""
    return _rounded_like(a, _modified_bessel_i0_64(np.float64(a)))


@elementwise(1)
def modified_bessel_i1(a):
    """I₁(a) by Cephes's Chebyshev series (torch.special.modified_bessel_i1)"""
    return _rounded_like(a, _modified_bessel_i1_64(np.float64(a)))


@elementwise(1)
def modified_bessel_k0(a):
    """K₀(a), the modified Bessel function of the second kind of order 0"""
    return _rounded_like(a, _modified_bessel_k0_64(np.float64(a), False))


@elementwise(1)
def modified_bessel_k1(a):
    """K₁(a), the modified Bessel function of the second kind of order 1"""
    return _rounded_like(a, _modified_bessel_k1_64(np.float64(a), False))


@elementwise(1)
def scaled_modified_bessel_k0(a):
    """eᵃ K₀(a)"""
    return _rounded_like(a, _modified_bessel_k0_64(np.float64(a), True))


@elementwise(1)
def scaled_modified_bessel_k1(a):
    """eᵃ K₁(a)"""
    return _rounded_like(a, _modified_bessel_k1_64(np.float64(a), True))


@elementwise(1)
def spherical_bessel_j0(a):
    """j₀(a) = sin(a) / a"""
    return _rounded_like(a, _spherical_bessel_j0_64(np.float64(a)))


@elementwise(1)
def airy_ai(a):
    """Ai(a), the Airy function of the first kind"""
    return _rounded_like(a, _airy_ai64(np.float64(a)))


@elementwise(2)
def chebyshev_polynomial_t(x, n):
    """Tₙ(x), n truncated to an integer"""
    return _chebyshev_t(x, _order(n))


@elementwise(2)
def chebyshev_polynomial_u(x, n):
    """Uₙ(x), n truncated to an integer"""
    return _chebyshev_u(x, _order(n))


@elementwise(2)
def chebyshev_polynomial_v(x, n):
    """Vₙ(x), n truncated to an integer"""
    return _chebyshev_v(x, _order(n))


@elementwise(2)
def chebyshev_polynomial_w(x, n):
    """Wₙ(x), n truncated to an integer"""
    return _chebyshev_w(x, _order(n))


@elementwise(2)
def shifted_chebyshev_polynomial_t(x, n):
    """Tₙ(2x - 1), n truncated to an integer"""
    return _shifted_chebyshev_t(x, _order(n))


@elementwise(2)
def shifted_chebyshev_polynomial_u(x, n):
    """Uₙ(2x - 1), n truncated to an integer"""
    return _shifted_chebyshev_u(x, _order(n))


@elementwise(2)
def shifted_chebyshev_polynomial_v(x, n):
    """Vₙ(2x - 1), n truncated to an integer"""
    return _shifted_chebyshev_v(x, _order(n))


@elementwise(2)
def shifted_chebyshev_polynomial_w(x, n):
    """Wₙ(2x - 1), n truncated to an integer"""
    return _shifted_chebyshev_w(x, _order(n))


@elementwise(2)
def hermite_polynomial_h(x, n):
    """Hₙ(x), n truncated to an integer"""
    return _hermite_h(x, _order(n))


@elementwise(2)
def hermite_polynomial_he(x, n):
    """Heₙ(x), n truncated to an integer"""
    return _hermite_he(x, _order(n))


@elementwise(2)
def laguerre_polynomial_l(x, n):
    """Lₙ(x), n truncated to an integer"""
    return _laguerre_l(x, _order(n))


@elementwise(2)
def legendre_polynomial_p(x, n):
    """Pₙ(x), n truncated to an integer"""
    return _legendre_p(x, _order(n))


@elementwise(1)
def entr(a):
    """-a ln a for a > 0, 0 at 0, -inf below 0 (nan stays nan)"""
    if a > 0:
        return -a * _rounded_like(a, math.log(np.float64(a)))
    if a == 0:
        return a * 0
    if a < 0:
        return _rounded_like(a, -math.inf)
    return a


@elementwise(2)
def xlog1py(x, y):
    """x ln(1 + y): nan where y is nan, else 0 where x is 0"""
    if y != y:
        return y
    if x == 0:
        return x * 0
    return x * _rounded_like(x, math.log1p(np.float64(y)))


@elementwise(3)
def xlog1py_backward_self(g, x, y):
    """xlog1py(g, y), and 0 where x = 0 and y <= -1, as torch's (its masked_fill)"""
    if x == 0 and y <= -1:
        return x * 0 + 0  # +0.0
    if y != y:
        return y
    if g == 0:
        return g * 0
    return g * _rounded_like(g, math.log1p(np.float64(y)))


@elementwise(2)
def atan2(a, b):
    """the angle of the point (b, a), in (-π, π]"""
    return math.atan2(a, b)


@elementwise(2)
def hypot(a, b):
    """sqrt(a² + b²) without overflow or underflow on the way"""
    return math.hypot(a, b)


def _mod(a, b):
    """a mod b truncated toward zero (the sign of a): C's fmod (exact), or % for integers."""
    return np.fmod(a, b)


@overload(_mod)
def _mod_typed(a, b):
    if a == types.float32:  # Numba's np.fmod gives a float64, the exact float32 value
        return lambda a, b: np.float32(np.fmod(a, b))
    if a == types.float64:
        return lambda a, b: np.fmod(a, b)

    def truncated(a, b):
        r = a % b  # Python's floored modulo: the sign of b
        return r - b if r != 0 and (r < 0) != (a < 0) else r

    return truncated


@elementwise(2, _WITH_INTS)
def fmod(a, b):
    """a - b trunc(a / b), the sign of a (the rule refuses integer division by zero)"""
    return _mod(a, b)


@elementwise(2, _WITH_INTS)
def remainder(a, b):
    """a - b floor(a / b), as torch's: fmod(a, b) moved by b where its sign is not b's (so
    -0.0 stays -0.0, and -5 mod inf is inf)"""
    r = _mod(a, b)
    if r != 0 and (b < 0) != (r < 0):
        r += b
    return r


@elementwise(2)
def xlogy(x, y):
    """x ln y: nan where y is nan, else 0 where x is 0"""
    if y != y:
        return y
    if x == 0:
        return x * 0
    return x * math.log(y)


@elementwise(3)
def lerp(a, b, w):
    """a + w (b - a), as torch's vectorized loop: fma(w, b - a, a) for |w| < 0.5, else
    fma(w - 1, b - a, b)"""
    if abs(w) < 0.5:
        return fma(w, b - a, a)
    return fma(w - _rounded_like(w, 1.0), b - a, b)


@elementwise(4, _WITH_INTS)
def addcmul(x, a, b, value):
    """x + value a b, as torch's loop orders it: (value a) b + x"""
    return x + value * a * b


@elementwise(4)
def addcdiv(x, a, b, value):
    """x + value a / b, as torch's loop orders it: (value a) / b + x"""
    return x + value * a / b


@elementwise(1)
def reciprocal(a):
    """1 / a"""
    return 1 / a


@elementwise(2, _WITH_INTS)
def maximum(a, b):
    """the larger of a and b, nan if either is nan"""
    if a != a:
        return a
    if b != b:
        return b
    return a if a >= b else b


@elementwise(2, _WITH_INTS)
def minimum(a, b):
    """the smaller of a and b, nan if either is nan"""
    if a != a:
        return a
    if b != b:
        return b
    return a if a <= b else b


@elementwise(3, _WITH_INTS)
def clamp(x, lo, hi):
    """min(max(x, lo), hi): hi where lo > hi, nan where x or a bound is nan"""
    if x != x:
        return x
    if lo != lo:
        return lo
    if hi != hi:
        return hi
    if x < lo:
        x = lo
    return hi if x > hi else x


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


@elementwise(2, parallel_from=config.PARALLEL_MIN_ELEMENTS)
def relu_backward(g, r):
    """0 where r <= 0, else g (so g where r is nan), as torch's threshold_backward"""
    if r <= 0:
        return 0
    return g


@elementwise(2, parallel_from=config.PARALLEL_MIN_ELEMENTS)
def sigmoid_backward(g, r):
    """g r (1 - r)"""
    return g * (1 - r) * r


@elementwise(2, parallel_from=config.PARALLEL_MIN_ELEMENTS)
def tanh_backward(g, r):
    """g (1 - r^2)"""
    return g * (1 - r * r)


@elementwise(2, parallel_from=config.PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL)
def sin_backward(g, x):
    """g cos(x), cos rounded to the dtype first as torch's `grad * self.cos()`"""
    return g * _rounded_like(x, math.cos(np.float64(x)))


@elementwise(2, parallel_from=config.PARALLEL_MIN_ELEMENTS_TRANSCENDENTAL)
def cos_backward(g, x):
    """g (-sin(x)), sin rounded to the dtype first as torch's `grad * -self.sin()`"""
    return g * -_rounded_like(x, math.sin(np.float64(x)))


# The backward formulas of torch's derivatives.yaml, each step rounded to the dtype as torch's
# tensor arithmetic rounds it.


@njit(error_model="numpy")
def _rsqrt_of(v):
    """1 / √v in v's dtype, rounded twice as torch's vectorized rsqrt (nan below 0)"""
    return _rounded_like(v, 1.0) / math.sqrt(v) if v >= 0 else _rounded_like(v, math.nan)


@elementwise(2)
def log1p_backward(g, x):
    """g / (x + 1)"""
    return g / (x + _rounded_like(x, 1.0))


@elementwise(2)
def expm1_backward(g, r):
    """g (r + 1), r = e^x - 1"""
    return g * (r + _rounded_like(r, 1.0))


@elementwise(2)
def log2_backward(g, x):
    """g / (x ln 2)"""
    return g / (x * _rounded_like(x, 0.6931471805599453))


@elementwise(2)
def log10_backward(g, x):
    """g / (x ln 10)"""
    return g / (x * _rounded_like(x, 2.302585092994046))


@elementwise(2)
def erf_backward(g, x):
    """2/√π e^(-x²) g"""
    return _rounded_like(x, 1.1283791670955126) * _exp_scalar(-(x * x)) * g


@elementwise(2)
def tan_backward(g, r):
    """g (1 + r²), r = tan x"""
    return g * (_rounded_like(r, 1.0) + r * r)


@elementwise(2)
def asin_backward(g, x):
    """g / √(1 - x²)"""
    return g * _rsqrt_of(-x * x + _rounded_like(x, 1.0))


@elementwise(2)
def acos_backward(g, x):
    """-g / √(1 - x²)"""
    return g * -_rsqrt_of(-x * x + _rounded_like(x, 1.0))


@elementwise(2)
def atan_backward(g, x):
    """g / (x² + 1)"""
    return g / (x * x + _rounded_like(x, 1.0))


@elementwise(2)
def sinh_backward(g, x):
    """g cosh(x), cosh rounded to the dtype first"""
    return g * _rounded_like(x, math.cosh(np.float64(x)))


@elementwise(2)
def cosh_backward(g, x):
    """g sinh(x), sinh rounded to the dtype first"""
    return g * _rounded_like(x, math.sinh(np.float64(x)))


@elementwise(2)
def asinh_backward(g, x):
    """g / √(x² + 1)"""
    return g * _rsqrt_of(x * x + _rounded_like(x, 1.0))


@elementwise(2)
def acosh_backward(g, x):
    """g / √(x² - 1)"""
    return g * _rsqrt_of(x * x - _rounded_like(x, 1.0))


@elementwise(2)
def atanh_backward(g, x):
    """g / (1 - x²), as torch's (g 1) / (1 - x²)"""
    return g / (_rounded_like(x, 1.0) - x * x)


@elementwise(2)
def rsqrt_backward(g, r):
    """-g r³ / 2, r = 1 / √x"""
    return _rounded_like(r, -0.5) * g * (r * r * r)


@elementwise(2)
def reciprocal_backward(g, r):
    """-g r^2"""
    return -g * (r * r)


@elementwise(3)
def larger_backward(g, a, b):
    """∂max(a, b)/∂a g: g where a > b or either is nan, g / 2 where a == b, 0 where a < b
    (∂min(a, b)/∂a g is larger_backward(g, b, a))"""
    if a < b:
        return 0
    if a == b:
        return g / 2
    return g


@elementwise(4)
def clamp_backward(g, x, lo, hi):
    """g where lo <= x <= hi, else 0 (so 0 where x or a bound is nan)"""
    return g if lo <= x <= hi else 0


@elementwise(3)
def div_backward_other(g, a, b):
    """-g a / b^2, as torch orders it: -g ((a / b) / b)"""
    return -g * ((a / b) / b)


@elementwise(4)
def atan2_backward(g, c, a, b):
    """g c / (a² + b²), as torch orders it: (g c) (1 / (a a + b b)), the reciprocal 0 where
    a a + b b is 0; ∂atan2(a, b)/∂a g with c = b, ∂/∂b g with c = -a"""
    squares = a * a + b * b
    return (g * c) * (squares * 0 if squares == 0 else 1 / squares)


@elementwise(3)
def floor_divide_backward(g, a, b):
    """-g floor(a / b), the floor as torch's div(rounding_mode="floor"): (a - fmod(a, b)) / b,
    one less where the remainder's sign is not b's, rounded to the nearest integer; a / b
    for b = 0, and ±0 (the sign of a / b) for a zero quotient"""
    if b == 0:
        return -g * (a / b)
    mod = _mod(a, b)
    q = (a - mod) / b
    if mod != 0 and (b < 0) != (mod < 0):
        q -= 1
    if q != 0:
        floored = np.floor(q)
        if q - floored > 0.5:
            floored += 1
    else:
        floored = math.copysign(0.0, a / b)
    return -g * floored


@elementwise(3)
def trunc_divide_backward(g, a, b):
    """-g trunc(a / b), torch's div(rounding_mode="trunc")"""
    return -g * np.trunc(a / b)


@elementwise(3)
def xlogy_backward_self(g, x, y):
    """xlogy(g, y), and 0 where x = 0 and y <= 0, as torch's (its masked_fill)"""
    if x == 0 and y <= 0:
        return x * 0 + 0  # +0.0
    if y != y:
        return y
    if g == 0:
        return g * 0
    return g * math.log(y)


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
def bce_with_logits_weighted(x, y, w, p):
    """w ((1 - y) x + ((p - 1) y + 1) softplus(-x)): bce_with_logits with torch's weight w and
    pos_weight p, in torch's order of operations"""
    m = max(-x, 0)
    return ((1 - y) * x + ((p - 1) * y + 1) * (m + math.log(math.exp(-m) + math.exp(-x - m)))) * w


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


@elementwise(2, parallel_from=config.PARALLEL_MIN_ELEMENTS)
def squared_error(x, y):
    """(x - y)^2"""
    d = x - y
    return d * d


@elementwise(4)
def squared_error_backward(g, x, y, scale):
    """2 g scale (x - y)"""
    return 2 * scale * (x - y) * g


# ---------------------------------------------------------------- activations and losses
# torch's CPU kernels (ATen's Activation.cpp, PointwiseOpsKernel.cpp, Loss.cpp), operation
# for operation, in the computing dtype; the attributes come as scalars of that dtype.


@elementwise(2)
def leaky_relu(x, slope):
    """x where x > 0, else x slope (nan stays nan)"""
    return x if x > 0 else x * slope


@elementwise(3)
def leaky_relu_backward(g, x, slope):
    """g where x > 0, else g slope (x may be the result: same sign for slope >= 0)"""
    return g if x > 0 else g * slope


@elementwise(4)
def elu(x, negcoef, poscoef, negiptcoef):
    """x poscoef where x > 0, else expm1(x negiptcoef) negcoef"""
    return math.expm1(x * negiptcoef) * negcoef if x <= 0 else x * poscoef


@elementwise(5)
def elu_backward(g, x, negcoef, poscoef, negiptcoef):
    """g poscoef where x > 0, else g negiptcoef negcoef e^(x negiptcoef)"""
    if x <= 0:
        return g * negiptcoef * negcoef * _exp_scalar(x * negiptcoef)
    return g * poscoef


@elementwise(5)
def elu_backward_of_result(g, r, negcoef, poscoef, negiptcoef):
    """elu_backward from the result r (torch's in-place form): g negiptcoef (r + negcoef)"""
    return g * negiptcoef * (r + negcoef) if r <= 0 else g * poscoef


_SQRT1_2 = 0.7071067811865476  # M_SQRT1_2
_GELU_PDF = 2 / math.sqrt(math.pi) * _SQRT1_2 * 0.5  # M_2_SQRTPI M_SQRT1_2 / 2
_GELU_TANH_BETA = math.sqrt(2) * 2 / math.sqrt(math.pi) * 0.5  # M_SQRT2 M_2_SQRTPI / 2
_GELU_TANH_KAPPA = 0.044715


@elementwise(1)
def gelu(x):
    """x (1 + erf(x / √2)) / 2"""
    return x * _rounded_like(x, 0.5) * (1 + math.erf(x * _rounded_like(x, _SQRT1_2)))


@elementwise(2)
def gelu_backward(g, x):
    """g (Φ(x) + x φ(x))"""
    cdf = _rounded_like(x, 0.5) * (1 + math.erf(x * _rounded_like(x, _SQRT1_2)))
    pdf = _rounded_like(x, _GELU_PDF) * _exp_scalar(x * x * _rounded_like(x, -0.5))
    return g * (cdf + x * pdf)


@elementwise(1)
def gelu_tanh(x):
    """x (1 + tanh(√(2/π) (x + 0.044715 x³))) / 2"""
    inner = _rounded_like(x, _GELU_TANH_BETA) * (
        x + _rounded_like(x, _GELU_TANH_KAPPA) * (x * x * x)
    )
    return _rounded_like(x, 0.5) * x * (1 + math.tanh(inner))


@elementwise(2)
def gelu_tanh_backward(g, x):
    """g d/dx of gelu_tanh, in torch's order of operations"""
    beta, kappa = _rounded_like(x, _GELU_TANH_BETA), _rounded_like(x, _GELU_TANH_KAPPA)
    x_sq = x * x
    tanh_inner = math.tanh(beta * (x + kappa * (x_sq * x)))
    left = _rounded_like(x, 0.5) * x
    right = 1 + tanh_inner
    left_derivative = _rounded_like(x, 0.5) * right
    tanh_derivative = 1 - tanh_inner * tanh_inner
    inner_derivative = beta * (1 + _rounded_like(x, 3.0) * kappa * x_sq)
    return g * (left_derivative + left * tanh_derivative * inner_derivative)


@elementwise(1)
def silu(x):
    """x / (1 + e^-x)"""
    return x / (1 + _exp_scalar(-x))


@elementwise(2)
def silu_backward(g, x):
    """g s (1 + x (1 - s)), s = sigmoid(x)"""
    s = 1 / (1 + _exp_scalar(-x))
    return g * s * (1 + x * (1 - s))


@elementwise(3)
def softplus(x, beta, threshold):
    """x where x beta > threshold, else ln(1 + e^(x beta)) / beta"""
    return x if x * beta > threshold else math.log1p(_exp_scalar(x * beta)) / beta


@elementwise(4)
def softplus_backward(g, x, beta, threshold):
    """g where x beta > threshold, else g z / (z + 1), z = e^(x beta)"""
    z = _exp_scalar(x * beta)
    return g if x * beta > threshold else g * z / (z + 1)


@njit(inline="always")
def _clamp_0_6(x):
    """min(max(x, 0), 6) as C++'s std::min and std::max take them (nan passes through)."""
    zero, six = _rounded_like(x, 0.0), _rounded_like(x, 6.0)
    x = zero if x < zero else x
    return six if six < x else x


@njit(inline="always")
def _tanh_softplus(x):
    """tanh(ln(1 + e^x)), in float64, rounded once to x's type."""
    return _rounded_like(x, math.tanh(math.log1p(math.exp(float(x)))))


@elementwise(1)
def mish(x):
    """x tanh(ln(1 + e^x))"""
    return x * _tanh_softplus(x)


@elementwise(2)
def mish_backward(g, x):
    """g (t + x σ(x) (1 - t²)), t = tanh(ln(1 + e^x))"""
    t = _tanh_softplus(x)
    return g * (t + x * _sigmoid_scalar(x) * (1 - t * t))


@elementwise(1)
def hardswish(x):
    """x min(max(x + 3, 0), 6) / 6"""
    return x * _clamp_0_6(x + 3) / 6


@elementwise(2)
def hardswish_backward(g, x):
    """0 where x <= -3, g where x >= 3, else g (x / 3 + 1/2): torch's vectorized kernel (its
    scalar loop, which takes a tensor's last few elements, gives -g/2 at -3 and 3g/2 at 3)"""
    if x <= -3:
        return _rounded_like(x, 0.0)
    if x >= 3:
        return g
    return g * (x / 3 + _rounded_like(x, 0.5))


@elementwise(1)
def hardsigmoid(x):
    """min(max(x + 3, 0), 6) / 6"""
    return _clamp_0_6(x + 3) / 6


_ONE_SIXTH_FLOAT32 = float(np.float32(1 / 6))  # torch's `1.0f / 6.0f`, in double too


@elementwise(2)
def hardsigmoid_backward(g, x):
    """g (1/6 as a float32) where -3 < x < 3, else 0"""
    return g * _rounded_like(x, _ONE_SIXTH_FLOAT32) if -3 < x < 3 else _rounded_like(x, 0.0)


@elementwise(1)
def log_sigmoid(x):
    """min(x, 0) - ln(1 + e^-|x|)"""
    zero = _rounded_like(x, 0.0)
    smaller = zero if zero < x else x
    return smaller - math.log1p(_exp_scalar(-abs(x)))


@elementwise(2)
def log_sigmoid_backward(g, x):
    """g (1 - σ(x)), as torch's g (m - s z / (1 + z)), z = e^-|x|; m = s = 1 where x < 0,
    else m = 0, s = -1"""
    z = _exp_scalar(-abs(x))
    if x < 0:
        return g * (1 - z / (1 + z))
    return g * (z / (1 + z))


@elementwise(2)
def hardshrink(x, lambd):
    """0 where -lambd <= x <= lambd, else x"""
    return _rounded_like(x, 0.0) if -lambd <= x <= lambd else x


@elementwise(3)
def shrink_backward(g, x, lambd):
    """hardshrink's and softshrink's: g where x < -lambd or x > lambd, else 0 (so 0 where x
    is nan, as torch's vectorized kernel has it; its scalar loop, which takes a tensor's last
    few elements, passes g there)"""
    return g if x < -lambd or x > lambd else _rounded_like(x, 0.0)


@elementwise(2)
def softshrink(x, lambd):
    """x - lambd where x > lambd, x + lambd where x < -lambd, else x 0"""
    if x > lambd:
        return x - lambd
    if x < -lambd:
        return x + lambd
    return x * 0


@elementwise(4, _WITH_INTS)
def hardtanh_backward(g, x, lo, hi):
    """g where lo < x < hi, else 0 (so 0 where x is nan, as torch's vectorized kernel has it;
    its scalar loop, which takes a tensor's last few elements, passes g there)"""
    return g if lo < x < hi else 0


@elementwise(3, _WITH_INTS)
def threshold(x, bound, value):
    """value where x <= bound, else x (nan stays nan)"""
    return value if x <= bound else x


@elementwise(3)
def threshold_backward(g, x, bound):
    """0 where x <= bound, else g (so g where x is nan)"""
    return _rounded_like(x, 0.0) if x <= bound else g


@elementwise(2)
def prelu(x, w):
    """x where x > 0, else w x"""
    return x if x > 0 else w * x


@elementwise(3)
def prelu_backward_self(g, x, w):
    """g where x > 0, else w g"""
    return g if x > 0 else w * g


@elementwise(2)
def prelu_backward_weight(g, x):
    """0 where x > 0, else x g"""
    return _rounded_like(x, 0.0) if x > 0 else x * g


@elementwise(2)
def glu(a, b):
    """a (1 / (1 + e^-b)), as torch's glu kernel computes it"""
    return a * (1 / (1 + _exp_scalar(-b)))


@elementwise(3)
def glu_backward_second(g, a, b):
    """(1 - σ(b)) σ(b) a g, σ torch's sigmoid, as torch's glu_backward kernel computes it"""
    s = _sigmoid_scalar(b)
    return (1 - s) * s * a * g


@elementwise(2)
def glu_backward_first(g, b):
    """σ(b) g"""
    return _sigmoid_scalar(b) * g


@elementwise(3)
def smooth_l1(x, y, beta):
    """z² / (2 beta) where z = |x - y| < beta, else z - beta / 2"""
    z = abs(x - y)
    return _rounded_like(x, 0.5) * z * z / beta if z < beta else z - _rounded_like(x, 0.5) * beta


@elementwise(5)
def smooth_l1_backward(g, x, y, beta, norm):
    """norm g sign(x - y) beyond ±beta, else norm (x - y) g / beta"""
    d = x - y
    if d <= -beta:
        return -norm * g
    if d >= beta:
        return norm * g
    return norm * d * g / beta


@elementwise(3)
def huber(x, y, delta):
    """z² / 2 where z = |x - y| < delta, else delta (z - delta / 2)"""
    z = abs(x - y)
    half = _rounded_like(x, 0.5)
    return half * z * z if z < delta else delta * (z - half * delta)


@elementwise(5)
def huber_backward(g, x, y, delta, norm):
    """norm g delta sign(x - y) beyond ±delta, else norm (x - y) g"""
    d = x - y
    if d <= -delta:
        return -norm * g * delta
    if d >= delta:
        return norm * g * delta
    return norm * d * g


_BCE_EPSILON = float(np.float32(1e-12))


@elementwise(2)
def binary_cross_entropy(x, y):
    """(y - 1) max(ln(1 - x), -100) - y max(ln x, -100)"""
    low = _rounded_like(x, -100.0)
    return (y - 1) * max(math.log1p(-x), low) - y * max(math.log(x), low)


@elementwise(3)
def binary_cross_entropy_backward(g, x, y):
    """g (x - y) / max((1 - x) x, ε), ε torch's EPSILON: the float 1e-12 (9.99999996e-13)"""
    return g * (x - y) / max((1 - x) * x, _rounded_like(x, _BCE_EPSILON))


@elementwise(2)
def binary_cross_entropy_backward_target(g, x):
    """-g logit(x) = -g ln(x / (1 - x))"""
    return -math.log(x / (1 - x)) * g


# ---------------------------------------------------------------- reductions


_SUM_ALL_SIGNATURES = [
    "float64(float32[::1], float64)",
    "float64(float64[::1], float64)",
    "int64(int64[::1], int64)",
]


@lazy_njit(_SUM_ALL_SIGNATURES)
def _sum_all_serial(x, acc):
    """acc + Σ x, accumulated in acc's type (float64 for floats, so float32 sums round once)."""
    for i in range(x.size):
        acc += x[i]
    return acc


# With its signatures (so `build_all` builds it) only where `config` runs it; otherwise Numba's
# lazy dispatcher, compiled if ever called.
@lazy_njit(
    _SUM_ALL_SIGNATURES if config.PARALLEL_MIN_ELEMENTS < config.NEVER else None,
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


@lazy_njit(
    [
        "void(float32[:, :, ::1], float64[:, ::1])",
        "void(float64[:, :, ::1], float64[:, ::1])",
        "void(int64[:, :, ::1], int64[:, ::1])",
    ],
)
def sum_middle(x, acc):
    """acc[a, b] += Σ_r x[a, r, b]: the sum over one axis of an array seen as (A, R, B)."""
    n_a, n_r, n_b = x.shape
    for a in range(n_a):
        for r in range(n_r):
            for b in range(n_b):
                acc[a, b] += x[a, r, b]


_MIDDLE_TYPES = ("float32", "float64", "int64", "boolean")


@lazy_njit(
    [f"void({t}[:, :, ::1], int64[::1], {t}[:, :, ::1])" for t in _MIDDLE_TYPES],
)
def gather_middle(x, positions, out):
    """out[a, p, b] = x[a, positions[p], b]: advanced indexing's rows, gathered."""
    n_a, n_p, n_b = out.shape
    for a in range(n_a):
        for p in range(n_p):
            row = positions[p]
            for b in range(n_b):
                out[a, p, b] = x[a, row, b]


@lazy_njit(
    [f"void({t}[:, :, ::1], int64[::1], {t}[:, :, ::1], boolean)" for t in _MIDDLE_TYPES],
)
def scatter_middle(values, positions, out, accumulate):
    """out[a, positions[p], b] = values[a, p, b] in order (a repeated position keeps the last
    value), or with `accumulate` += (gather_middle's adjoint; for bools, a logical or)."""
    n_a, n_p, n_b = values.shape
    for a in range(n_a):
        for p in range(n_p):
            row = positions[p]
            for b in range(n_b):
                if accumulate:
                    out[a, row, b] += values[a, p, b]
                else:
                    out[a, row, b] = values[a, p, b]


@lazy_njit(
    [f"int64({t}[:, :, ::1], int64[:, :, ::1], {t}[:, :, ::1])" for t in _MIDDLE_TYPES],
)
def gather_along(x, index, out):
    """out[a, j, b] = x[a, index[a, j, b], b]: torch's gather along the middle axis. Returns
    the flat position in `index` of the first entry outside [0, x.shape[1]), or -1."""
    n_a, n_j, n_b = index.shape
    size = x.shape[1]
    for a in range(n_a):
        for j in range(n_j):
            for b in range(n_b):
                row = index[a, j, b]
                if row < 0 or row >= size:
                    return (a * n_j + j) * n_b + b
                out[a, j, b] = x[a, row, b]
    return -1


@lazy_njit(
    [f"void({t}[:, :, ::1], int64[:, :, ::1], {t}[:, :, ::1])" for t in _FLOATS],
)
def scatter_add_along(values, index, out):
    """out[a, index[a, j, b], b] += values[a, j, b], j increasing (gather_along's adjoint;
    each element's sum in the order torch's scatter_add adds it)."""
    n_a, n_j, n_b = index.shape
    for a in range(n_a):
        for j in range(n_j):
            for b in range(n_b):
                out[a, index[a, j, b], b] += values[a, j, b]


@lazy_njit(
    [f"void({t}[:, :, ::1], int64[:, :, ::1], {t}[:, :, ::1], int64)" for t in _MIDDLE_TYPES],
)
def scatter_along(values, index, out, mode):
    """out[a, index[a, j, b], b] combined with values[a, j, b], j increasing, as torch's CPU
    scatter kernels do: mode 0 writes (the last write stays), 1 adds, 2 multiplies, 3 keeps
    the larger and 4 the smaller (nan wins both). Bools take 3 and 4 for or and and."""
    n_a, n_j, n_b = index.shape
    for a in range(n_a):
        for j in range(n_j):
            for b in range(n_b):
                row = index[a, j, b]
                value = values[a, j, b]
                if mode == 0:
                    out[a, row, b] = value
                elif mode == 1:
                    out[a, row, b] += value
                elif mode == 2:
                    out[a, row, b] *= value
                elif mode == 3:
                    if value != value or out[a, row, b] < value:
                        out[a, row, b] = value
                elif value != value or value < out[a, row, b]:
                    out[a, row, b] = value


# ---------------------------------------------------------------- cumulative products


@lazy_njit(
    [f"void({t}[:, :, ::1], {t}[:, :, ::1], {t}[:, :, ::1], {t}[:, :, ::1])" for t in _FLOATS],
)
def cumprod_backward(x, y, g, out):
    """torch's cumprod_backward of y = cumprod(x) along the middle axis, lane by lane, with
    z the lane's first zero (n if none) and z' its next: for k < z, out[k] = (Σ_{k<=j<z}
    y[j] g[j]) / x[k], the sum a float64 running sum from the end rounded at each step;
    out[z] = (Σ_{z<=j<z'} g[j] Π_{z<i<=j} x[i]) y[z - 1] (no y factor for z = 0); 0 after z.
    The products are rounded to x's dtype as torch's are."""
    n_a, n, n_b = x.shape
    rounded = np.empty(1, x.dtype)
    for a in range(n_a):
        for b in range(n_b):
            z = 0
            while z < n and x[a, z, b] != 0:
                z += 1
            total = 0.0
            for k in range(n - 1, -1, -1):
                if k < z:
                    total += y[a, k, b] * g[a, k, b]
                    rounded[0] = total
                    out[a, k, b] = rounded[0] / x[a, k, b]
                else:
                    out[a, k, b] = 0
            if z == n:
                continue
            product, total = 1.0, 0.0
            for j in range(z, n):
                if j > z:
                    if x[a, j, b] == 0:
                        break
                    product *= x[a, j, b]
                rounded[0] = product
                total += rounded[0] * g[a, j, b]
            rounded[0] = total
            out[a, z, b] = rounded[0] * y[a, z - 1, b] if z > 0 else rounded[0]


# ---------------------------------------------------------------- sorting
# torch's CPU sort and topk order each row's (key, position) pairs with libstdc++'s
# std::sort, std::stable_sort, std::nth_element and std::partial_sort. The unstable ones
# leave equal keys in an order their algorithm decides, so these are ports of libstdc++'s,
# step for step: introsort (median-of-three quicksort down to runs of 16, heapsort below
# 2·log2(n) levels, then one insertion sort), introselect and heap selection. Keys move with
# their positions in `order`; nan is larger than every number.


@njit(cache=True, nogil=True)
def _before(a, b, descending):
    """Whether key a sorts before key b: torch's KeyValueCompAsc (nan last) or
    KeyValueCompDesc (nan first); `descending` None: std::less, a < b, which orders no nan
    (torch's mode)."""
    if descending is None:
        return a < b
    if descending:
        return (a != a and b == b) or a > b
    return (a == a and b != b) or a < b


@njit(cache=True, nogil=True)
def _swap(keys, order, i, j):
    keys[i], keys[j] = keys[j], keys[i]
    order[i], order[j] = order[j], order[i]


@njit(cache=True, nogil=True)
def _move(keys, order, source, target):
    keys[target] = keys[source]
    order[target] = order[source]


@njit(cache=True, nogil=True)
def _linear_insert(keys, order, last, descending):
    """__unguarded_linear_insert: the pair at `last` moved left past the keys it sorts before."""
    key, position = keys[last], order[last]
    j = last - 1
    while _before(key, keys[j], descending):
        _move(keys, order, j, j + 1)
        j -= 1
    keys[j + 1], order[j + 1] = key, position


@njit(cache=True, nogil=True)
def _insertion_sort(keys, order, first, last, descending):
    """__insertion_sort of [first, last): stable."""
    for i in range(first + 1, last):
        if _before(keys[i], keys[first], descending):
            key, position = keys[i], order[i]
            for j in range(i, first, -1):
                _move(keys, order, j - 1, j)
            keys[first], order[first] = key, position
        else:
            _linear_insert(keys, order, i, descending)


@njit(cache=True, nogil=True)
def _partition_pivot(keys, order, first, last, descending):
    """__unguarded_partition_pivot: the median of [first + 1], the middle and [last - 1]
    moved to `first`, then [first + 1, last) split around it; returns the cut."""
    a, b, c = first + 1, first + (last - first) // 2, last - 1
    if _before(keys[a], keys[b], descending):
        if _before(keys[b], keys[c], descending):
            _swap(keys, order, first, b)
        elif _before(keys[a], keys[c], descending):
            _swap(keys, order, first, c)
        else:
            _swap(keys, order, first, a)
    elif _before(keys[a], keys[c], descending):
        _swap(keys, order, first, a)
    elif _before(keys[b], keys[c], descending):
        _swap(keys, order, first, c)
    else:
        _swap(keys, order, first, b)
    low, high = first + 1, last
    while True:
        while _before(keys[low], keys[first], descending):
            low += 1
        high -= 1
        while _before(keys[first], keys[high], descending):
            high -= 1
        if low >= high:
            return low
        _swap(keys, order, low, high)
        low += 1


@njit(cache=True, nogil=True)
def _adjust_heap(keys, order, first, hole, length, key, position, descending):
    """__adjust_heap then __push_heap: the (key, position) pair sifted into the max-heap
    [first, first + length) from `hole`."""
    top = child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if _before(keys[first + child], keys[first + child - 1], descending):
            child -= 1
        _move(keys, order, first + child, first + hole)
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        _move(keys, order, first + child - 1, first + hole)
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and _before(keys[first + parent], key, descending):
        _move(keys, order, first + parent, first + hole)
        hole = parent
        parent = (hole - 1) // 2
    keys[first + hole], order[first + hole] = key, position


@njit(cache=True, nogil=True)
def _pop_heap(keys, order, first, last, result, descending):
    """__pop_heap: the heap's top moved to `result`, whose pair is sifted into the heap."""
    key, position = keys[result], order[result]
    _move(keys, order, first, result)
    _adjust_heap(keys, order, first, 0, last - first, key, position, descending)


@njit(cache=True, nogil=True)
def _heap_select(keys, order, first, middle, last, descending):
    """__heap_select: [first, middle) made a heap of the middle - first pairs that sort
    first in [first, last)."""
    length = middle - first
    if length >= 2:
        parent = (length - 2) // 2
        while True:
            key, position = keys[first + parent], order[first + parent]
            _adjust_heap(keys, order, first, parent, length, key, position, descending)
            if parent == 0:
                break
            parent -= 1
    for i in range(middle, last):
        if _before(keys[i], keys[first], descending):
            _pop_heap(keys, order, first, middle, i, descending)


@njit(cache=True, nogil=True)
def _sort_heap(keys, order, first, last, descending):
    while last - first > 1:
        last -= 1
        _pop_heap(keys, order, first, last, last, descending)


@njit(cache=True, nogil=True)
def _log2(n):
    """std::__lg: floor(log2(n)) for n > 0."""
    k = 0
    while n > 1:
        n >>= 1
        k += 1
    return k


@njit(cache=True, nogil=True)
def _std_sort(keys, order, first, last, descending):
    """std::sort of [first, last): __introsort_loop, its recursion on the right part kept on
    a stack (the parts are disjoint, so the order they are sorted in changes nothing), then
    __final_insertion_sort."""
    if last - first < 2:
        return
    depth = 2 * _log2(last - first)
    pending = np.empty((depth + 2, 3), np.int64)
    pending[0, 0], pending[0, 1], pending[0, 2] = first, last, depth
    count = 1
    while count:
        count -= 1
        low, high, depth = pending[count, 0], pending[count, 1], pending[count, 2]
        while high - low > 16:
            if depth == 0:
                _heap_select(keys, order, low, high, high, descending)
                _sort_heap(keys, order, low, high, descending)
                break
            depth -= 1
            cut = _partition_pivot(keys, order, low, high, descending)
            pending[count, 0], pending[count, 1], pending[count, 2] = cut, high, depth
            count += 1
            high = cut
    if last - first > 16:
        _insertion_sort(keys, order, first, first + 16, descending)
        for i in range(first + 16, last):
            _linear_insert(keys, order, i, descending)
    else:
        _insertion_sort(keys, order, first, last, descending)


@njit(cache=True, nogil=True)
def _stable_sort(keys, order, key_buffer, order_buffer, descending):
    """A stable sort (std::stable_sort's result, which stability fixes): insertion-sorted
    runs of 16, merged pairwise, a pair from the right run taken first only when its key
    sorts strictly before."""
    n = keys.size
    for start in range(0, n, 16):
        _insertion_sort(keys, order, start, min(start + 16, n), descending)
    source_keys, source_order, target_keys, target_order = keys, order, key_buffer, order_buffer
    in_buffer = False
    width = 16
    while width < n:
        for low in range(0, n, 2 * width):
            middle, high = min(low + width, n), min(low + 2 * width, n)
            i, j = low, middle
            for k in range(low, high):
                if j < high and (
                    i >= middle or _before(source_keys[j], source_keys[i], descending)
                ):
                    target_keys[k], target_order[k] = source_keys[j], source_order[j]
                    j += 1
                else:
                    target_keys[k], target_order[k] = source_keys[i], source_order[i]
                    i += 1
        source_keys, target_keys = target_keys, source_keys
        source_order, target_order = target_order, source_order
        in_buffer = not in_buffer
        width *= 2
    if in_buffer:
        keys[:] = key_buffer
        order[:] = order_buffer


@njit(cache=True, nogil=True)
def _nth_element(keys, order, nth, descending):
    """std::nth_element (__introselect): the pair that sorts at `nth` put there, those that
    sort before it before it."""
    first, last = 0, keys.size
    depth = 2 * _log2(last)
    while last - first > 3:
        if depth == 0:
            _heap_select(keys, order, first, nth + 1, last, descending)
            _swap(keys, order, first, nth)
            return
        depth -= 1
        cut = _partition_pivot(keys, order, first, last, descending)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(keys, order, first, last, descending)


_SORT_TYPES = ("float32", "float64", "int64", "uint8")  # bool keys are read as uint8


@lazy_njit(
    [f"void({t}[:, ::1], int64[:, ::1], boolean, boolean)" for t in _SORT_TYPES],
)
def sort_rows(keys, order, descending, stable):
    """Each row of `keys` sorted in place (ascending, or descending), `order` receiving each
    key's original position in its row: std::stable_sort's order with `stable`, else
    std::sort's."""
    n_rows, n = keys.shape
    key_buffer = np.empty(n if stable else 0, keys.dtype)
    order_buffer = np.empty(n if stable else 0, np.int64)
    for r in range(n_rows):
        for i in range(n):
            order[r, i] = i
        if stable:
            _stable_sort(keys[r], order[r], key_buffer, order_buffer, descending)
        else:
            _std_sort(keys[r], order[r], 0, n, descending)


@lazy_njit([f"void({t}[:, ::1], int64[:, ::1])" for t in _SORT_TYPES])
def sort_rows_by_less(keys, order):
    """Each row of `keys` sorted in place by std::sort with std::less, as torch's mode sorts:
    a nan, neither less nor greater than any key, stays where the algorithm leaves it."""
    n_rows, n = keys.shape
    for r in range(n_rows):
        for i in range(n):
            order[r, i] = i
        _std_sort(keys[r], order[r], 0, n, None)


@lazy_njit(
    [f"void({t}[:, ::1], int64[:, ::1], int64, boolean, boolean)" for t in _SORT_TYPES[:3]],
)
def topk_rows(keys, order, k, largest, sort_selected):
    """Each row of `keys` rearranged in place, `order` receiving the original positions, so
    that its first k keys are its k largest (or smallest), as torch's topk leaves them:
    std::partial_sort when 64·k <= n, else std::nth_element at k - 1, then with `sorted`
    `sort_selected` std::sort of the k - 1 before it."""
    n_rows, n = keys.shape
    if k == 0:
        return
    for r in range(n_rows):
        row_keys, row_order = keys[r], order[r]
        for i in range(n):
            row_order[i] = i
        if 64 * k <= n:
            _heap_select(row_keys, row_order, 0, k, n, largest)
            _sort_heap(row_keys, row_order, 0, k, largest)
            continue
        _nth_element(row_keys, row_order, k - 1, largest)
        if sort_selected:
            _std_sort(row_keys, row_order, 0, k - 1, largest)


@njit(cache=True, nogil=True)
def _greater_or_nan(a, b) -> bool:
    """kthvalue's comparator: a nan is greater than any other key."""
    return (a != a and b == b) or a > b


@lazy_njit([f"void({t}[:, ::1], int64[:, ::1], int64)" for t in _SORT_TYPES])
def kth_smallest_rows(keys, order, k):
    """Each row of `keys` rearranged in place, `order` receiving the original positions, so
    that position k holds the row's (k+1)-th smallest key (nans largest): torch's
    quick_select_template (median-of-three pivot, Hoare partition), step for step."""
    n_rows, n = keys.shape
    for r in range(n_rows):
        a, o = keys[r], order[r]
        for i in range(n):
            o[i] = i
        low, high = 0, n - 1
        while high > low:
            if high == low + 1:
                if _greater_or_nan(a[low], a[high]):
                    _swap(a, o, low, high)
                break
            _swap(a, o, low + (high - low) // 2, low + 1)
            if _greater_or_nan(a[low + 1], a[high]):
                _swap(a, o, low + 1, high)
            if _greater_or_nan(a[low], a[high]):
                _swap(a, o, low, high)
            if _greater_or_nan(a[low + 1], a[low]):
                _swap(a, o, low + 1, low)
            i, j, pivot = low + 1, high, a[low]
            while True:
                i += 1
                while _greater_or_nan(pivot, a[i]):
                    i += 1
                j -= 1
                while _greater_or_nan(a[j], pivot):
                    j -= 1
                if j < i:
                    break
                _swap(a, o, i, j)
            _swap(a, o, low, j)
            if j <= k:
                low = i
            if j >= k:
                high = j - 1


# ---------------------------------------------------------------- matrix products


def _mm_sigs() -> list[str]:
    sigs = []
    for t in ("float32", "float64"):
        for left in (":, ::1", "::1, :"):
            for right in (":, ::1", "::1, :"):
                sigs.append(f"{t}[:, ::1]({t}[{left}], {t}[{right}])")
    return sigs


@lazy_njit(_mm_sigs())
def mm(a, b):
    """a @ b through BLAS gemm; C- or Fortran-ordered inputs (transposes) need no copy."""
    return np.dot(a, b)


@lazy_njit(["int64[:, ::1](int64[:, :], int64[:, :])"])
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


@lazy_njit(_mv_sigs())
def mv(a, v):
    """a @ v through BLAS gemv."""
    return np.dot(a, v)


@lazy_njit(
    ["float32(float32[::1], float32[::1])", "float64(float64[::1], float64[::1])"],
)
def dot(a, b):
    """Σ_i a_i b_i through BLAS dot."""
    return np.dot(a, b)


@lazy_njit(
    ["float32[:, ::1](float32[::1], float32[::1])", "float64[:, ::1](float64[::1], float64[::1])"],
)
def outer(u, v):
    """out[i, j] = u_i v_j"""
    out = np.empty((u.size, v.size), dtype=u.dtype)
    for i in range(u.size):
        for j in range(v.size):
            out[i, j] = u[i] * v[j]
    return out
