"""torch.special: the special functions gradrpc has, under torch.special's names (many are
the torch.<fn> functions themselves, as torch's are aliases of them)."""

from __future__ import annotations

import math

from .nn import functional
from .tensor import Tensor, _is_int, _number, check_input, input_method

__all__ = [
    "airy_ai",
    "bessel_j0",
    "bessel_j1",
    "bessel_y0",
    "bessel_y1",
    "chebyshev_polynomial_t",
    "chebyshev_polynomial_u",
    "chebyshev_polynomial_v",
    "chebyshev_polynomial_w",
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcx",
    "erfinv",
    "exp2",
    "expit",
    "expm1",
    "gammainc",
    "gammaincc",
    "gammaln",
    "hermite_polynomial_h",
    "hermite_polynomial_he",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "laguerre_polynomial_l",
    "legendre_polynomial_p",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "modified_bessel_i0",
    "modified_bessel_i1",
    "modified_bessel_k0",
    "modified_bessel_k1",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "round",
    "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1",
    "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w",
    "sinc",
    "softmax",
    "spherical_bessel_j0",
    "xlog1py",
    "xlogy",
    "zeta",
]


def _check_input(name: str, input, argument: str = "input") -> None:
    check_input(f"special_{name}", input, argument=argument)


def _unary(name: str, op: str | None = None, doc: str = "", argument: str = "input"):
    """torch.special.<name>(input): the op `op` (by default special_<name>) of the table;
    torch's errors name the input `argument`."""
    op = op or f"special_{name}"

    def function(input: Tensor) -> Tensor:
        _check_input(name, input, argument)
        return input._call(op, [input])

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc or f"torch.special.{name}(input)"
    return function


def _method(name: str, method: str | None = None):
    """torch.special.<name>(input, ...): input.<method>(...) (by default <name>)."""
    return input_method(name, method, f"special_{name}")


erf = _method("erf")
erfc = _method("erfc")
erfinv = _method("erfinv")
exp2 = _method("exp2")
expm1 = _method("expm1")
log1p = _method("log1p")
expit = _method("expit", "sigmoid")
logit = _method("logit")
gammaln = _method("gammaln", "lgamma")
digamma = psi = _method("digamma")
i0 = _method("i0")
sinc = _method("sinc")
round = _method("round")
logsumexp = _method("logsumexp")
multigammaln = _method("multigammaln", "mvlgamma")
i0e = _unary("i0e", doc="e^-|x| I₀(x) (SpecialI0EBackward0).")
i1 = _unary("i1", doc="I₁(x) (SpecialI1Backward0).")
i1e = _unary("i1e", doc="e^-|x| I₁(x) (SpecialI1EBackward0).")
ndtri = _unary("ndtri", doc="Φ⁻¹(x), the standard normal quantile (SpecialNdtriBackward0).")
log_ndtr = _unary("log_ndtr", doc="ln Φ(x), Φ the standard normal CDF (SpecialLogNdtrBackward0).")
entr = _unary("entr", doc="-x ln x, 0 at 0, -inf below (SpecialEntrBackward0).")
erfcx = _unary("erfcx", doc="e^(x²) erfc(x), the scaled complementary error function.")
bessel_j0 = _unary("bessel_j0", doc="J₀(x); not differentiable, as torch's.")
bessel_j1 = _unary("bessel_j1", doc="J₁(x); not differentiable, as torch's.")
bessel_y0 = _unary("bessel_y0", doc="Y₀(x); not differentiable, as torch's.")
bessel_y1 = _unary("bessel_y1", doc="Y₁(x); not differentiable, as torch's.")
modified_bessel_i0 = _unary("modified_bessel_i0", doc="I₀(x); not differentiable.")
modified_bessel_i1 = _unary("modified_bessel_i1", doc="I₁(x); not differentiable.")
modified_bessel_k0 = _unary("modified_bessel_k0", doc="K₀(x); not differentiable.")
modified_bessel_k1 = _unary("modified_bessel_k1", doc="K₁(x); not differentiable.")
scaled_modified_bessel_k0 = _unary(
    "scaled_modified_bessel_k0", doc="eˣ K₀(x); not differentiable.", argument="x"
)
scaled_modified_bessel_k1 = _unary(
    "scaled_modified_bessel_k1", doc="eˣ K₁(x); not differentiable.", argument="x"
)
spherical_bessel_j0 = _unary(
    "spherical_bessel_j0", doc="sin(x) / x; not differentiable.", argument="x"
)
airy_ai = _unary("airy_ai", doc="Ai(x); not differentiable, as torch's.", argument="x")


def polygamma(n, input) -> Tensor:
    """ψ⁽ⁿ⁾(input), as torch.polygamma."""
    if not _is_int(n):
        raise TypeError(
            f"special_polygamma(): argument 'n' (position 1) must be int, not {type(n).__name__}"
        )
    check_input("special_polygamma", input, position=2)
    return input.polygamma(n)


def softmax(input, dim, dtype=None) -> Tensor:
    """torch.nn.functional.softmax(input, dim, dtype=dtype)."""
    _check_input("softmax", input)
    return functional.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None) -> Tensor:
    """torch.nn.functional.log_softmax(input, dim, dtype=dtype)."""
    _check_input("log_softmax", input)
    return functional.log_softmax(input, dim, dtype=dtype)


def ndtr(input) -> Tensor:
    """Φ(x) = (1 + erf(x/√2)) / 2, composed as torch composes it (so its nodes: MulBackward1,
    ErfBackward0, AddBackward1, MulBackward1)."""
    _check_input("ndtr", input)
    scaled = functional._scalar("mul", input, 1 / math.sqrt(2))
    return functional._scalar("mul", functional._scalar("add", scaled.erf(), 1), 0.5)


def xlogy(input, other) -> Tensor:
    """input ln(other), as torch.xlogy."""
    from . import xlogy as torch_xlogy

    return torch_xlogy(input, other)


def _tensor_or_number(op: str, input, other, names: tuple[str, str, str]) -> Tensor:
    """torch.special.<op>(input, other) where either may be a number (not both), with torch's
    TypeError naming the overloads' parameters (`names`: the tensor first one, the number
    first one and the second one)."""
    tensors = [isinstance(a, Tensor) for a in (input, other)]
    numbers = [_number(a) is not None for a in (input, other)]
    if not (tensors[0] and (tensors[1] or numbers[1])) and not (numbers[0] and tensors[1]):
        kinds = ", ".join(type(a).__name__ for a in (input, other))
        first, number_first, second = names
        raise TypeError(
            f"special_{op}() received an invalid combination of arguments - got ({kinds}), "
            f"but expected one of:\n * (Tensor {first}, Tensor {second}, *, Tensor out = None)\n"
            f" * (Number {number_first}, Tensor {second}, *, Tensor out = None)\n"
            f" * (Tensor {first}, Number {second}, *, Tensor out = None)\n"
        )
    tensor = input if tensors[0] else other
    operands = [tensor._coerce(a) if isinstance(a, Tensor) else _number(a) for a in (input, other)]
    return tensor._call(f"special_{op}", operands)


def xlog1py(input, other) -> Tensor:
    """input ln(1 + other), 0 where input is 0 (either may be a number, not both)."""
    return _tensor_or_number("xlog1py", input, other, ("input", "self", "other"))


def zeta(input, other) -> Tensor:
    """The Hurwitz zeta function ζ(input, other) (either may be a number, not both); its
    derivative for input is torch's NotImplementedError."""
    return _tensor_or_number("zeta", input, other, ("input", "self", "other"))


def _incomplete_gamma(name: str, method: str):
    def function(input, other) -> Tensor:
        check_input(f"special_{name}", input)
        return getattr(input, method)(
            input._tensor_operand(f"special_{name}", other, "other", position=2)
        )

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"input.{method}(other): torch.{method} under torch.special's name."
    return function


gammainc = _incomplete_gamma("gammainc", "igamma")
gammaincc = _incomplete_gamma("gammaincc", "igammac")


def _polynomial(name: str, doc: str):
    def function(input, n) -> Tensor:
        return _tensor_or_number(name, input, n, ("x", "x", "n"))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (
        f"{doc} of degree n (truncated to an integer; 0 for negative n), as torch computes "
        "it; x or n may be a number (not both). Not differentiable, as torch's."
    )
    return function


chebyshev_polynomial_t = _polynomial("chebyshev_polynomial_t", "Tₙ(x)")
chebyshev_polynomial_u = _polynomial("chebyshev_polynomial_u", "Uₙ(x)")
chebyshev_polynomial_v = _polynomial("chebyshev_polynomial_v", "Vₙ(x)")
chebyshev_polynomial_w = _polynomial("chebyshev_polynomial_w", "Wₙ(x)")
shifted_chebyshev_polynomial_t = _polynomial("shifted_chebyshev_polynomial_t", "Tₙ(2x - 1)")
shifted_chebyshev_polynomial_u = _polynomial("shifted_chebyshev_polynomial_u", "Uₙ(2x - 1)")
shifted_chebyshev_polynomial_v = _polynomial("shifted_chebyshev_polynomial_v", "Vₙ(2x - 1)")
shifted_chebyshev_polynomial_w = _polynomial("shifted_chebyshev_polynomial_w", "Wₙ(2x - 1)")
hermite_polynomial_h = _polynomial("hermite_polynomial_h", "Hₙ(x), the physicists' Hermite")
hermite_polynomial_he = _polynomial("hermite_polynomial_he", "Heₙ(x), the probabilists' Hermite")
laguerre_polynomial_l = _polynomial("laguerre_polynomial_l", "Lₙ(x), the Laguerre polynomial")
legendre_polynomial_p = _polynomial("legendre_polynomial_p", "Pₙ(x), the Legendre polynomial")
