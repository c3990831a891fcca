"""The elementwise kernels as NumPy calls them (`kernels.elementwise`): every layout NumPy
hands an inner loop (contiguous, strided, reversed, broadcast, 0-d, empty) gives the bits
of the same kernel on contiguous copies; int64 stays int64; the parallel loops give the
serial bits; float32 exp is within 1 ulp of e^x and almost always correctly rounded."""

from __future__ import annotations

import numpy as np
import pytest
from gradrpc.engine import config
from gradrpc.engine import kernels as K

ELEMENTWISE = [
    "add", "sub", "mul", "div", "pow_", "int_pow", "neg", "exp", "log", "sqrt", "abs_", "relu",
    "sigmoid", "tanh", "reciprocal", "sqrt_backward", "abs_backward", "relu_backward",
    "sigmoid_backward", "tanh_backward", "reciprocal_backward", "div_backward_other",
    "pow_backward_base", "pow_backward_exponent", "bce_with_logits", "bce_with_logits_backward",
    "bce_with_logits_backward_target", "squared_error", "squared_error_backward", "sin", "cos",
    "sin_backward", "cos_backward", "rsqrt", "log1p", "expm1", "log2", "log10", "erf", "tan",
    "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "rsqrt_backward",
    "log1p_backward", "expm1_backward", "log2_backward", "log10_backward", "erf_backward",
    "tan_backward", "asin_backward", "acos_backward", "atan_backward", "sinh_backward",
    "cosh_backward", "asinh_backward", "acosh_backward", "atanh_backward",
]  # fmt: skip
SPECIALS = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 88.7, -103.9, 0.5, 2.0, 3.0]
CASES = [(name, dtype) for name in ELEMENTWISE for dtype in getattr(K, name).types]


def _values(rng, dtype, n: int) -> np.ndarray:
    if dtype == np.int64:
        return rng.integers(0, 6, n)  # int_pow takes exponents >= 0
    values = rng.standard_normal(n) * rng.choice([1.0, 10.0], n)
    values[: len(SPECIALS)] = SPECIALS
    return rng.permutation(values).astype(dtype)


def _layouts(args: list[np.ndarray]):
    """(name, operands) in the layouts NumPy's inner loops see."""
    yield "contiguous", args
    yield "strided", [np.repeat(a, 2)[::2] if i % 2 else a for i, a in enumerate(args)]
    yield "reversed", [a[::-1] for a in args]
    yield "transposed", [a[:60].reshape(6, 10).T for a in args]
    yield "broadcast", [a[:7].reshape(7, 1) if i == 0 else a[:9] for i, a in enumerate(args)]
    for k in range(len(args)):
        yield f"0-d operand {k}", [a[:1].reshape(()) if i == k else a for i, a in enumerate(args)]
    yield "0-d", [a[:1].reshape(()) for a in args]
    yield "empty", [a[:0] for a in args]


def _same_bits(x: np.ndarray, y: np.ndarray) -> bool:
    """Equal bit for bit, every nan counting as one (LLVM, like C, leaves nan's sign and
    payload unspecified: sqrt(-1) is -nan in a vectorized loop, nan in its scalar tail)."""
    x, y = (np.where(np.isnan(a), np.nan, a) if a.dtype.kind == "f" else a for a in (x, y))
    x, y = np.asarray(x), np.asarray(y)
    return x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()


@pytest.mark.parametrize(("name", "types"), CASES)
def test_every_layout_gives_the_contiguous_bits(name, types):
    kernel = getattr(K, name)
    dtype = np.dtype(types[0])
    rng = np.random.default_rng(len(name))
    args = [_values(rng, dtype.type, 64) for _ in range(kernel.nin)]
    with np.errstate(all="ignore"):
        for layout, operands in _layouts(args):
            got = kernel(*operands)
            copies = [np.array(a, order="C") for a in np.broadcast_arrays(*operands)]
            want = kernel(*copies)
            assert got.dtype == dtype, layout
            assert _same_bits(got, want), layout


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "neg", "abs_", "sqrt"])
def test_plain_arithmetic_matches_numpy_bit_for_bit(name):
    numpy = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
             "neg": np.negative, "abs_": np.abs, "sqrt": np.sqrt}[name]  # fmt: skip
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        args = [_values(rng, dtype, 1000) for _ in range(numpy.nin)]
        with np.errstate(all="ignore"):
            assert _same_bits(getattr(K, name)(*args), numpy(*args))
            assert _same_bits(getattr(K, name)(*args[::-1]), numpy(*args[::-1]))


def test_int64_kernels_compute_in_int64():
    """Exact beyond 2^53, where a float64 loop would round."""
    big = np.array([2**60 + 1, -(2**60) - 3])
    two = np.array([2, 3])
    assert K.add(big, two).tolist() == [2**60 + 3, -(2**60)]
    assert K.sub(big, two).tolist() == [2**60 - 1, -(2**60) - 6]
    assert K.mul(big // 8, two).tolist() == [(2**60 + 1) // 8 * 2, (-(2**60) - 3) // 8 * 3]
    assert K.neg(big).tolist() == [-(2**60) - 1, 2**60 + 3]
    assert K.abs_(big).tolist() == [2**60 + 1, 2**60 + 3]
    assert K.relu(big).tolist() == [2**60 + 1, 0]
    assert K.int_pow(np.array([3, -2]), np.array([39, 61])).tolist() == [3**39, (-2) ** 61]
    assert K.add(big, two).dtype == np.int64


@pytest.mark.parametrize("name", ["mul", "exp", "sigmoid_backward", "relu"])
def test_parallel_loop_gives_the_serial_bits(name):
    kernel = K.built(getattr(K, name))
    serial = getattr(kernel, "ufunc", kernel)
    kernel = K.SizeDispatch(serial, min_elements=1000)  # parallel from 1000 elements
    rng = np.random.default_rng(1)
    for types in serial.types:
        dtype = np.dtype(types[0]).type
        args = [_values(rng, dtype, 5000) for _ in range(serial.nin)]
        with np.errstate(all="ignore"):
            assert _same_bits(kernel(*args), serial(*args))  # the parallel loop
            small = [a[:10] for a in args]
            assert _same_bits(kernel(*small), serial(*small))  # below the threshold
            strided = [a[::2] for a in args]
            assert _same_bits(kernel(*strided), serial(*strided))  # not contiguous: the ufunc


def test_kernels_are_numpy_ufuncs_where_nothing_runs_in_parallel():
    kernel = K.built(K.mul)
    if config.PARALLEL_MIN_ELEMENTS < config.NEVER:
        assert isinstance(kernel, K.SizeDispatch)
        kernel = kernel.ufunc
    assert isinstance(kernel, np.ufunc)
    assert kernel.types == ["ff->f", "dd->d", "ll->l"]
    log = K.built(K.log)
    assert isinstance(log, np.ufunc) and log.__doc__.endswith("ln a (nan below 0, -inf at 0)")


def _exp_correctly_rounded(x: np.ndarray) -> np.ndarray:
    """e^x rounded once to float32: libm's float64 e^x, rounded, except within 2^-40 of a
    float32 rounding midpoint, where mpmath decides."""
    mpmath = pytest.importorskip("mpmath")
    with np.errstate(all="ignore"):
        e = np.exp(x.astype(np.float64))
        out = e.astype(np.float32)
        near = out.astype(np.float64)
        away = np.nextafter(out, np.where(e >= near, np.inf, -np.inf).astype(np.float32))
        midpoint = (near + away.astype(np.float64)) / 2
        close = np.isfinite(e) & (np.abs(e - midpoint) <= e * 2.0**-40)
    with mpmath.workprec(200):
        for i in np.nonzero(close)[0]:
            exact = mpmath.exp(mpmath.mpf(float(x[i])))
            low, high = sorted((out[i], away[i]))
            middle = (mpmath.mpf(float(low)) + mpmath.mpf(float(high))) / 2
            tie_to = low if int(low.view(np.int32)) % 2 == 0 else high
            out[i] = low if exact < middle else high if exact > middle else tie_to
    return out


def test_float32_exp_is_within_one_ulp_and_almost_always_correctly_rounded():
    """A sample of every float32 whose e^x is finite and nonzero (all of them were checked
    once, the same way: within 1 ulp, and correctly rounded for 99.87% of them), and the edges,
    which are exact."""
    positive = np.arange(0, 0x42B20000, 1009, dtype=np.uint32)  # 0 .. 89
    negative = np.arange(0x80000000, 0xC2D00000, 1013, dtype=np.uint32)  # -0 .. -104
    x = np.concatenate([positive, negative]).view(np.float32)
    expected = _exp_correctly_rounded(x)
    ulps = np.abs(K.exp(x).view(np.int32).astype(np.int64) - expected.view(np.int32))
    assert ulps.max() == 1
    assert np.mean(ulps == 0) > 0.998
    edges = np.array([88.72283, 88.72284, -87.33654, -103.27893, -103.972084], np.float32)
    edges = np.concatenate([edges, np.nextafter(edges, np.float32(0))])
    with np.errstate(all="ignore"):
        assert _same_bits(K.exp(edges), _exp_correctly_rounded(edges))
        specials = np.array([np.inf, -np.inf, np.nan, 89.0, 1e30, -110.0, -1e30], np.float32)
        assert _same_bits(K.exp(specials), np.exp(specials))
