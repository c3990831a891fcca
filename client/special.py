"""torch.special: the special functions gradrpc has, under torch.special's names (many are
the torch.<fn> functions themselves, as torch's are aliases of them)."""

from __future__ import annotations

import math

from .nn import functional
from .tensor import Tensor, _is_int, _number, check_input, input_method

__all__ = [
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfinv",
    "exp2",
    "expit",
    "expm1",
    "gammaln",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "round",
    "sinc",
    "softmax",
    "xlog1py",
    "xlogy",
]


def _check_input(name: str, input) -> None:
    check_input(f"special_{name}", input)


def _unary(name: str, op: str | None = None, doc: str = ""):
    """torch.special.<name>(input): the op `op` (by default special_<name>) of the table."""
    op = op or f"special_{name}"

    def function(input: Tensor) -> Tensor:
        _check_input(name, input)
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


def xlog1py(input, other) -> Tensor:
    """input ln(1 + other), 0 where input is 0 (either may be a number, not both)."""
    tensors = [isinstance(a, Tensor) for a in (input, other)]
    numbers = [_number(a) is not None for a in (input, other)]
    if not (tensors[0] and (tensors[1] or numbers[1])) and not (numbers[0] and tensors[1]):
        kinds = ", ".join(type(a).__name__ for a in (input, other))
        raise TypeError(
            f"special_xlog1py() received an invalid combination of arguments - got ({kinds}), "
            "but expected one of:\n * (Tensor input, Tensor other, *, Tensor out = None)\n"
            " * (Number self, Tensor other, *, Tensor out = None)\n"
            " * (Tensor input, Number other, *, Tensor out = None)\n"
        )
    tensor = input if tensors[0] else other
    operands = [tensor._coerce(a) if isinstance(a, Tensor) else _number(a) for a in (input, other)]
    return tensor._call("special_xlog1py", operands)
