"""The special functions against torch 2.13: erfc, erfinv, exp2, lgamma, digamma, polygamma,
mvlgamma, i0, sgn, deg2rad, rad2deg, the floating-point predicates isposinf, isneginf and
isreal, the functions of two logaddexp2, float_power, fmax, fmin, copysign, nextafter,
ldexp, gcd and lcm, frexp, and the gradrpc.special namespace: values in float32 and float64
(integer and bool inputs promoted), their edges (poles, ±inf, nan, ±0, subnormals),
broadcasting, the nodes torch records, gradients, in-place forms and torch's errors."""

from __future__ import annotations

import numpy as np
import pytest
from clientkit import check_error_at_line, check_same, graph_of

DTYPES = ["float32", "float64"]
# float32: torch evaluates several of these in float32 (digamma, polygamma, log_ndtr, i0e...)
# where gradrpc evaluates in float64 and rounds once, so they differ by a few float32 ulps
TOLERANCE = {"float32": {"rtol": 1e-5, "atol": 1e-6}, "float64": {"rtol": 1e-12, "atol": 1e-14}}

POSITIVE = [0.1, 0.5, 1.0, 1.5, 2.5, 4.0, 9.5, 10.0, 25.0]
REAL_LINE = [-7.5, -3.3, -1.5, -0.5, -0.1, 0.1, 0.5, 1.0, 2.5, 6.0, 40.0]
UNIT = [-0.999, -0.9, -0.5, -0.1, 0.0, 0.1, 0.5, 0.9, 0.999]
PROBABILITY = [1e-30, 1e-10, 0.001, 0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.98, 0.999]
# name: (the call, values inside its domain)
UNARY = {
    "erfc": (lambda T, x: T.erfc(x), [-4.0, -1.0, -0.2, 0.0, 0.3, 1.0, 3.0, 9.0]),
    "erfinv": (lambda T, x: T.erfinv(x), UNIT),
    "exp2": (lambda T, x: T.exp2(x), [-20.0, -1.5, 0.0, 0.5, 3.0, 30.0]),
    "lgamma": (lambda T, x: T.lgamma(x), REAL_LINE),
    "digamma": (lambda T, x: T.digamma(x), REAL_LINE),
    "polygamma 0": (lambda T, x: T.polygamma(0, x), REAL_LINE),
    "polygamma 1": (lambda T, x: T.polygamma(1, x), REAL_LINE),
    "polygamma 2": (lambda T, x: T.polygamma(2, x), REAL_LINE),
    "polygamma 3": (lambda T, x: x.polygamma(3), POSITIVE),
    "mvlgamma 1": (lambda T, x: T.mvlgamma(x, 1), POSITIVE),
    "mvlgamma 3": (lambda T, x: T.mvlgamma(x + 2, p=3), POSITIVE),
    "i0": (lambda T, x: T.i0(x), REAL_LINE),
    "sgn": (lambda T, x: T.sgn(x), REAL_LINE),
    "deg2rad": (lambda T, x: T.deg2rad(x), REAL_LINE),
    "rad2deg": (lambda T, x: x.rad2deg(), REAL_LINE),
    "special.i0e": (lambda T, x: T.special.i0e(x), REAL_LINE),
    "special.i1": (lambda T, x: T.special.i1(x), REAL_LINE),
    "special.i1e": (lambda T, x: T.special.i1e(x), REAL_LINE),
    "special.ndtri": (lambda T, x: T.special.ndtri(x), PROBABILITY),
    "special.ndtr": (lambda T, x: T.special.ndtr(x), REAL_LINE),
    "special.log_ndtr": (lambda T, x: T.special.log_ndtr(x), [-40.0, *REAL_LINE]),
    "special.entr": (lambda T, x: T.special.entr(x), POSITIVE),
    "special.expit": (lambda T, x: T.special.expit(x), REAL_LINE),
    "special.logit": (lambda T, x: T.special.logit(x, eps=1e-3), PROBABILITY),
    "special.gammaln": (lambda T, x: T.special.gammaln(x), REAL_LINE),
    "special.psi": (lambda T, x: T.special.psi(x), REAL_LINE),
    "special.digamma": (lambda T, x: T.special.digamma(x), POSITIVE),
    "special.polygamma": (lambda T, x: T.special.polygamma(1, x), POSITIVE),
    "special.multigammaln": (lambda T, x: T.special.multigammaln(x + 1, 2), POSITIVE),
    "special.erf": (lambda T, x: T.special.erf(x), REAL_LINE),
    "special.erfc": (lambda T, x: T.special.erfc(x), REAL_LINE),
    "special.erfinv": (lambda T, x: T.special.erfinv(x), UNIT),
    "special.exp2": (lambda T, x: T.special.exp2(x), UNIT),
    "special.expm1": (lambda T, x: T.special.expm1(x), REAL_LINE),
    "special.log1p": (lambda T, x: T.special.log1p(x), POSITIVE),
    "special.i0": (lambda T, x: T.special.i0(x), REAL_LINE),
    "special.sinc": (lambda T, x: T.special.sinc(x), REAL_LINE),
    "special.round": (lambda T, x: T.special.round(x, decimals=1), REAL_LINE),
    "special.softmax": (lambda T, x: T.special.softmax(x, 0), REAL_LINE),
    "special.log_softmax": (lambda T, x: T.special.log_softmax(x, 0, dtype=T.float64), REAL_LINE),
    "special.logsumexp": (lambda T, x: T.special.logsumexp(x, 0), REAL_LINE),
    "special.xlogy": (lambda T, x: T.special.xlogy(x, 2.5), REAL_LINE),
    "special.xlog1py": (lambda T, x: T.special.xlog1py(x, 2.5), REAL_LINE),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", UNARY)
def test_unary_functions_match_torch(name: str, dtype: str) -> None:
    """The values, the graph torch records and x's gradient."""
    call, values = UNARY[name]

    def scenario(T):
        x = T.tensor(values, dtype=getattr(T, dtype), requires_grad=True)
        y = call(T, x)
        weights = T.linspace(-1.0, 2.0, y.numel(), dtype=y.dtype).reshape(y.shape)
        (y * weights).sum().backward()
        # (torch's gradient of sgn is its ZeroTensor, which numpy() refuses)
        return y, graph_of(y.grad_fn), x.grad + T.zeros(len(values), dtype=x.dtype)

    check_same(scenario, **TOLERANCE[dtype])


EDGES = [-np.inf, -3.0, -2.0, -1.0, -0.5, -0.0, 0.0, 5e-324, 1e-300, 1e-40, 0.5, 1.0, 1e10]
EDGES += [np.inf, np.nan]
ELEMENTWISE = [n for n in UNARY if n.split(".")[-1] not in ("softmax", "log_softmax", "logsumexp")]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_unary_functions_at_their_edges_match_torch(name: str, dtype: str) -> None:
    """Poles (lgamma and digamma at the non-positive integers), ±inf, nan, ±0, subnormals
    and the ends of each domain: torch's values, inf and nan where torch's are."""
    call, _ = UNARY[name]
    edges = EDGES
    if dtype == "float32" and name in ("polygamma 1", "special.polygamma"):
        # torch's float32 trigamma takes sin(π x) in float32: not 0 at the negative integers
        edges = [e for e in EDGES if not (e < 0 and e == np.floor(e) and np.isfinite(e))]

    def scenario(T):
        return call(T, T.tensor(edges, dtype=getattr(T, dtype)))

    check_same(scenario, **TOLERANCE[dtype])


@pytest.mark.parametrize("name", ["erfc", "erfinv", "exp2", "lgamma", "digamma", "i0"])
@pytest.mark.parametrize("name_of", ["deg2rad", "rad2deg", "sgn"])
def test_integer_and_bool_inputs(name: str, name_of: str) -> None:
    """Integers and bools give float32 (sgn keeps their dtype)."""
    check_same(
        lambda T: (
            getattr(T, name)(T.tensor([1, 2, -3, 0])),
            getattr(T.tensor([True, False]), name)(),
            getattr(T, name_of)(T.tensor([1, -2, 0], dtype=T.int16)),
            getattr(T, name_of)(T.tensor([True, False])),
            T.polygamma(2, T.tensor([1, 2, -3])),
            T.mvlgamma(T.tensor([3, 4]), 2),
            T.special.i1(T.tensor([1, -2])),
            T.special.ndtri(T.tensor([True, False])),
        )
    )


IN_PLACE = {
    "erfc_": lambda h: h.erfc_(),
    "erfinv_": lambda h: h.erfinv_(),
    "exp2_": lambda h: h.exp2_(),
    "lgamma_": lambda h: h.lgamma_(),
    "digamma_": lambda h: h.digamma_(),
    "i0_": lambda h: h.i0_(),
    "sgn_": lambda h: h.sgn_(),
    "deg2rad_": lambda h: h.deg2rad_(),
    "rad2deg_": lambda h: h.rad2deg_(),
    "polygamma_": lambda h: h.polygamma_(1),
    "mvlgamma_": lambda h: h.mvlgamma_(2),
}


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_forms_match_torch(name: str) -> None:
    """x.<fn>_() on a non-leaf: the same tensor back, torch's node, the gradient through it."""

    def scenario(T):
        x = T.tensor([0.15, 0.35, 0.7, 0.9], dtype=T.float64, requires_grad=True)
        h = x * 1 + (1.5 if name == "mvlgamma_" else 0)
        y = IN_PLACE[name](h)
        y.backward(T.linspace(-1.0, 1.0, 4, dtype=T.float64))
        return y is h, h, graph_of(h.grad_fn), x.grad + T.zeros(4, dtype=T.float64)

    check_same(scenario, rtol=1e-12, atol=1e-14)


def test_torch_level_in_place_functions_match_torch() -> None:
    def scenario(T):
        x = T.tensor([0.5, 1.5, -2.0])
        e = T.tensor([1, 2, 3])
        results = [T.erfc_(x.clone()), T.exp2_(x.clone()), T.i0_(x.clone())]
        results += [T.deg2rad_(x.clone()), T.rad2deg_(x.clone()), T.ldexp_(x.clone(), e)]
        results += [T.gcd_(e.clone(), T.tensor([4, 4, 4])), T.lcm_(e.clone(), T.tensor(4))]
        return results

    check_same(scenario)


def test_predicates_match_torch() -> None:
    def scenario(T):
        x = T.tensor([-np.inf, -1.0, -0.0, np.nan, 3.0, np.inf], requires_grad=True)
        ints = T.tensor([1, -2])
        return (
            T.isposinf(x),
            x.isneginf(),
            T.isreal(x),
            x.isreal(),
            T.isposinf(ints),
            T.isneginf(T.tensor([True])),
            T.isreal(ints),
        )

    check_same(scenario)


# ---- functions of two

A = [[-3.0], [-0.5], [0.0], [0.75], [2.0]]
B = [-1.5, 0.0, 0.5, 3.0]
BINARY = {
    "logaddexp2": lambda T, a, b: T.logaddexp2(a, b),
    "fmax": lambda T, a, b: T.fmax(a, b),
    "fmin": lambda T, a, b: a.fmin(b),
    "copysign": lambda T, a, b: T.copysign(a, b),
    "copysign number": lambda T, a, b: T.copysign(a, -2) + a.copysign(0.0),
    "ldexp": lambda T, a, b: T.ldexp(a, b),
    "ldexp int": lambda T, a, b: T.ldexp(a, T.tensor([0, 1, -3, 20])),
    "float_power": lambda T, a, b: T.float_power(a.abs(), b),
    "float_power number": lambda T, a, b: T.float_power(a, 2) + a.float_power(3),
    "float_power number base": lambda T, a, b: T.float_power(2, b),
    "xlogy": lambda T, a, b: T.xlogy(a, b.abs()),
    "xlog1py": lambda T, a, b: T.special.xlog1py(a, b.abs()),
    "xlog1py number self": lambda T, a, b: T.special.xlog1py(3, b),
    "xlog1py number other": lambda T, a, b: T.special.xlog1py(a, 0.5),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", BINARY)
def test_binary_functions_match_torch(name: str, dtype: str) -> None:
    """Broadcast (5, 1) against (4,): values, dtype, graph and both gradients."""

    def scenario(T):
        a = T.tensor(A, dtype=getattr(T, dtype), requires_grad=True)
        b = T.tensor(B, dtype=getattr(T, dtype), requires_grad=True)
        y = BINARY[name](T, a, b)
        (y * T.linspace(-1.0, 1.0, y.numel(), dtype=y.dtype).reshape(y.shape)).sum().backward()
        return y, graph_of(y.grad_fn), a.grad, b.grad

    check_same(scenario, **TOLERANCE[dtype])


def test_fmax_and_fmin_take_the_number_where_one_is_nan() -> None:
    """nan only where both are; equal values send the gradient to self, as torch's."""

    def scenario(T):
        a = T.tensor([1.0, np.nan, 2.0, np.nan, 3.0, -0.0], requires_grad=True)
        b = T.tensor([1.0, 1.0, np.nan, np.nan, 4.0, 0.0], requires_grad=True)
        y = T.fmax(a, b)
        z = T.fmin(a, b)
        (y + 2 * z).sum().backward()
        return y, z, a.grad, b.grad, T.fmax(T.tensor([1, 5]), T.tensor([3, 2]))

    check_same(scenario)


def test_copysign_of_zeros_nans_and_integers() -> None:
    def scenario(T):
        x = T.tensor([0.0, -0.0, 1.0, -2.0, np.nan, np.inf], requires_grad=True)
        s = T.tensor([-1.0, 1.0, -0.0, np.nan, -1.0, -np.inf])
        y = T.copysign(x, s)
        y.backward(T.ones_like(y))
        return (
            y,
            x.grad,
            T.copysign(T.tensor([1, -2]), T.tensor([-1, 2])),
            T.copysign(T.tensor([True, False]), -1),
        )

    check_same(scenario, rtol=0, atol=0)


def test_nextafter_matches_torch_bit_for_bit() -> None:
    """Toward larger, smaller, equal, ±inf and nan, from ±0 (the smallest subnormal), in
    both dtypes; torch's NextafterBackward0 passes the gradient to self where self != other
    and zeros to other."""

    def scenario(T):
        results = []
        for dtype in (T.float32, T.float64):
            a = T.tensor([0.0, -0.0, 1.0, 1.0, 1.0, 3.0, np.nan, 2.0], dtype=dtype)
            b = T.tensor([1.0, -1.0, 2.0, 0.0, 1.0, np.inf, 1.0, np.nan], dtype=dtype)
            results.append(T.nextafter(a, b))
        x = T.tensor([1.0, np.nan, 2.0, 0.0, 5.0, np.inf, 3.0], requires_grad=True)
        other = T.tensor([np.nan, 1.0, 2.0, -0.0, 5.0, np.inf, np.inf], requires_grad=True)
        y = x.nextafter(other)
        y.backward(T.arange(1.0, 8.0))
        return results, y, x.grad, other.grad

    outcome = check_same(scenario, rtol=0, atol=0)
    assert outcome[0] == "ok"


def test_ldexp_computes_two_to_the_exponent_in_its_dtype() -> None:
    """2^other in other's floating dtype (the result's for integers): float32's overflows."""

    def scenario(T):
        one = T.tensor([1.0], dtype=T.float64)
        return (
            T.ldexp(one, T.tensor([200])),
            T.ldexp(one, T.tensor([200.0])),
            T.ldexp(one, T.tensor([200.0], dtype=T.float32)),
            T.ldexp(T.tensor([1.0]), T.tensor([128])),
            T.ldexp(T.tensor([1, 2]), T.tensor([3, -1])),
            T.ldexp(T.tensor([3.0, -1.5]), T.tensor([-1070, 5])),
        )

    check_same(scenario, rtol=0, atol=0)


def test_gcd_and_lcm_match_torch() -> None:
    def scenario(T):
        a = T.tensor([[12, -18, 0, 7, 0]])
        b = T.tensor([[8], [12], [-21]])
        small = T.tensor([-4, 0, 7], dtype=T.int8)
        return (
            T.gcd(a, b),
            T.lcm(a, b),
            a.gcd(T.tensor([5])),
            T.gcd(small, T.tensor([6, 0, -21], dtype=T.int8)),
            T.lcm(small, T.tensor([6, 5, 3], dtype=T.int32)),
            T.gcd(T.tensor([4]), T.tensor([True])),
        )

    check_same(scenario, rtol=0, atol=0)


IN_PLACE_OF_TWO = {
    "copysign_": lambda T, h: h.copysign_(T.tensor([-1.0, 2.0, -3.0], dtype=T.float64)),
    "copysign_ number": lambda T, h: h.copysign_(-1),
    "ldexp_": lambda T, h: h.ldexp_(T.tensor([1, 2, -3])),
    "float_power_": lambda T, h: h.float_power_(2),
    "float_power_ tensor": lambda T, h: h.float_power_(T.tensor([2.0, 3.0, 0.5])),
    "nextafter_": lambda T, h: h.nextafter_(T.tensor([0.0, 3.0, 2.0], dtype=T.float64)),
}


@pytest.mark.parametrize("name", IN_PLACE_OF_TWO)
def test_in_place_forms_of_two_match_torch(name: str) -> None:
    def scenario(T):
        x = T.tensor([0.5, -1.5, 2.0], dtype=T.float64, requires_grad=True)
        h = x * 1
        y = IN_PLACE_OF_TWO[name](T, h)
        h.backward(T.tensor([1.0, -2.0, 0.5], dtype=T.float64))
        return y is h, h, graph_of(h.grad_fn), x.grad

    check_same(scenario, rtol=1e-12, atol=1e-14)


def test_in_place_gcd_and_lcm_match_torch() -> None:
    def scenario(T):
        i = T.tensor([6, 10, -9])
        i.gcd_(T.tensor([4, 4, 6])).lcm_(T.tensor([3]))
        return i

    check_same(scenario, rtol=0, atol=0)


def test_frexp_matches_torch() -> None:
    """torch.return_types.frexp: the mantissa (FrexpBackward0, gradient g / 2^exponent) and
    the int32 exponent, at ±0, ±inf, nan and subnormals too."""

    def scenario(T):
        x = T.tensor([1.0, -0.0, 3.5, -1e-3, np.inf, np.nan, 0.0, 3e-42], requires_grad=True)
        result = T.frexp(x)
        mantissa, exponent = result
        mantissa.backward(T.ones(8))
        double = x.detach().double().frexp()
        return (
            type(result).__name__,
            result.mantissa,
            result.exponent,
            exponent.dtype,
            x.grad,
            double,
            repr(T.frexp(T.tensor([1.0, 4.0]))),
        )

    check_same(scenario, rtol=0, atol=0)


# ---- errors

ERRORS = {
    "gcd of floats": lambda T: T.gcd(T.tensor([1.0]), T.tensor([2.0])),
    "lcm of bools": lambda T: T.lcm(T.tensor([True]), T.tensor([False])),
    "gcd of a number": lambda T: T.gcd(T.tensor([1]), 2),
    "nextafter of int64": lambda T: T.nextafter(T.tensor([1]), T.tensor([2])),
    "logaddexp2 of int64": lambda T: T.logaddexp2(T.tensor([1]), T.tensor([2])),
    "logaddexp2 of a number": lambda T: T.logaddexp2(T.tensor([1.0]), 2),
    "fmax of a number": lambda T: T.fmax(2, T.tensor([1.0])),
    "ldexp of a number": lambda T: T.ldexp(T.tensor([1.0]), 2.5),
    "ldexp of a bool exponent": lambda T: T.ldexp(T.tensor([1.0]), T.tensor([True])),
    "copysign of a number self": lambda T: T.copysign(2, T.tensor([1.0])),
    "polygamma negative n": lambda T: T.polygamma(-1, T.tensor([1.0])),
    "polygamma float n": lambda T: T.polygamma(1.5, T.tensor([1.0])),
    "polygamma of a number": lambda T: T.polygamma(1, 2.0),
    "Tensor.polygamma negative n": lambda T: T.tensor([1.0]).polygamma(-2),
    "special.polygamma float n": lambda T: T.special.polygamma(1.0, T.tensor([1.0])),
    "mvlgamma p 0": lambda T: T.mvlgamma(T.tensor([1.0]), 0),
    "frexp of int64": lambda T: T.frexp(T.tensor([1, 2])),
    "erfc of a number": lambda T: T.erfc(2.0),
    "special.i1 of a number": lambda T: T.special.i1(2.0),
    "special.xlog1py of numbers": lambda T: T.special.xlog1py(2.0, 3.0),
    "float_power of numbers": lambda T: T.float_power(2, 3),
    "float_power_ of float32": lambda T: T.tensor([1.0]).float_power_(2),
    "exp2_ of int64": lambda T: T.tensor([1, 2]).exp2_(),
    "lgamma_ of int64": lambda T: T.tensor([1, 2]).lgamma_(),
    "copysign_ of int64": lambda T: T.tensor([1, 2]).copysign_(T.tensor([1.0, -1.0])),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch(name: str) -> None:
    check_error_at_line(ERRORS[name])


def test_non_differentiable_results_record_no_node() -> None:
    def scenario(T):
        x = T.tensor([1.0, np.inf], requires_grad=True)
        i = T.tensor([4, 6])
        return (
            T.isposinf(x).requires_grad,
            T.isreal(x).requires_grad,
            T.frexp(x).exponent.requires_grad,
            T.gcd(i, i).grad_fn,
            T.frexp(x).mantissa.grad_fn,
        )

    check_same(scenario)


# ---- accuracy against scipy (where installed), float64, beyond the points above


def test_float64_accuracy_against_scipy() -> None:
    """Within a few ulps of scipy's (Cephes) values across wide ranges."""
    special = pytest.importorskip("scipy.special")
    import gradrpc

    rng = np.random.default_rng(0)
    wide = np.concatenate([rng.uniform(-30, 30, 300), rng.uniform(0, 700, 100)])
    unit = rng.uniform(-1, 1, 300)
    probability = np.concatenate([rng.uniform(0, 1, 300), 10.0 ** -rng.uniform(0, 300, 100)])
    cases = [
        (gradrpc.lgamma, special.gammaln, np.abs(wide) + 1e-3, 1e-13),
        (gradrpc.digamma, special.digamma, wide, 1e-12),
        # (torch's trigamma, which gradrpc follows, truncates its series: within 1e-9 of
        # scipy's; below 0 its reflection through sin(πx)² loses more)
        (lambda x: gradrpc.polygamma(1, x), lambda x: special.polygamma(1, x), np.abs(wide), 1e-9),
        (lambda x: gradrpc.polygamma(4, x), lambda x: special.polygamma(4, x), np.abs(wide), 1e-12),
        (gradrpc.erfinv, special.erfinv, unit, 1e-14),
        (gradrpc.erfc, special.erfc, wide / 4, 1e-13),  # libm (as torch) against Cephes
        (gradrpc.i0, special.i0, wide, 1e-14),
        (gradrpc.special.i0e, special.i0e, wide, 1e-14),
        (gradrpc.special.i1, special.i1, wide, 1e-14),
        (gradrpc.special.i1e, special.i1e, wide, 1e-14),
        (gradrpc.special.ndtri, special.ndtri, probability, 1e-14),
        (gradrpc.special.log_ndtr, special.log_ndtr, np.concatenate([wide, -wide * 3]), 1e-13),
    ]
    for ours, reference, values, rtol in cases:
        x = gradrpc.tensor(values, dtype=gradrpc.float64)
        expected = reference(values)
        if reference is special.digamma or reference.__name__ == "<lambda>":
            finite = ~((values <= 0) & (values == np.floor(values)))
            values, expected = values[finite], expected[finite]
            x = gradrpc.tensor(values, dtype=gradrpc.float64)
        np.testing.assert_allclose(ours(x).numpy(), expected, rtol=rtol, atol=1e-300)
