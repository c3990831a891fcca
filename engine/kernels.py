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
# B₂ₖ / (2k)!, k = 1..12: the Euler-Maclaurin tail of the Hurwitz zeta function
_BERNOULLI_OVER_FACTORIAL = tuple(
    b / math.factorial(2 * k)
    for k, b in enumerate(
        (
            1 / 6,
            -1 / 30,
            1 / 42,
            -1 / 30,
            5 / 66,
            -691 / 2730,
            7 / 6,
            -3617 / 510,
            43867 / 798,
            -174611 / 330,
            854513 / 138,
            -236364091 / 2730,
        ),
        start=1,
    )
)


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
    """ζ(s, q) = Σₖ (q + k)^-s for s > 1 (inf at s = 1, nan below; inf at q a non-positive
    integer, nan for another negative q with a non-integer s): the sum's first terms until q
    + k passes 9, then the Euler-Maclaurin tail."""
    if s == 1:
        return math.inf
    if s < 1 or s != s or q != q:
        return math.nan
    if q <= 0:
        if q == math.floor(q):
            return math.inf
        if s != math.floor(s):
            return math.nan
    total = math.pow(q, -s)
    a = q
    i = 0
    term = 0.0
    while i < 9 or a <= 9:
        i += 1
        a += 1
        term = math.pow(a, -s)
        total += term
        if abs(term) < 1.1102230246251565e-16 * abs(total):
            return total
    # a^(1-s) / (s-1) - a^-s / 2 + Σⱼ B₂ⱼ/(2j)! s(s+1)...(s+2j-2) a^(-s-2j+1); the sum so
    # far counted a^-s whole, hence the half taken back
    total += term * a / (s - 1) - 0.5 * term
    rising = 1.0
    power = term / a
    k = 0.0
    for coefficient in _BERNOULLI_OVER_FACTORIAL:
        rising *= s + k
        correction = coefficient * rising * power
        total += correction
        if abs(correction) < 1.1102230246251565e-16 * abs(total):
            break
        rising *= s + k + 1
        power /= a * a
        k += 2
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
