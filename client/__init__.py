"""gradrpc: PyTorch-style autograd computed by a gRPC server.

Write torch code with ``import gradrpc as torch``: tensors live on the server, ops are
queued and sent in batches, and values come back when you read them. Module-level calls use
a default session: the server at ``$GRADRPC_ADDRESS`` if set, else an embedded server
started in this process. ``gradrpc.connect(address)`` opens a session of your own, with the
same namespace as this module.
"""

from __future__ import annotations

import builtins
import math
import warnings
from collections.abc import Callable

from gradrpc.engine import rules

from . import (
    autograd,
    combining,
    factories,
    func,
    linalg,
    nn,
    numerics,
    optim,
    placement,
    return_types,
    sampling,
    serialization,
    special,
    utils,
)
from .dtypes import (
    DTYPES,
    Size,
    check_available,
    device,
    dtype,
    finfo,
    float32,
    float64,
    iinfo,
    int8,
    int16,
    int32,
    int64,
    uint8,
)
from .dtypes import bool_ as bool
from .einsum import einsum
from .func import vmap
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .namespace import on_default_session
from .printing import get_printoptions, set_printoptions
from .scattering import bind_index_put, bind_scatter_add, bind_scatter_reduce, scatter_function
from .serialization import load, save
from .session import Session, default_session
from .tensor import (
    Tensor,
    _apply,
    _arguments,
    _is_int,
    _number,
    _sort_arguments,
    alpha_attrs,
    check_input,
    input_method,
    layout,
    repeated_positions,
    rounding_attrs,
    strided,
)

float = float32
double = float64
long = int64
int = int32  # as torch's namespace has it; this module's code says builtins.int
short = int16

arange = on_default_session(factories.arange)
linspace = on_default_session(factories.linspace)
logspace = on_default_session(numerics.logspace)
range = on_default_session(numerics.range_)
empty = on_default_session(factories.empty)
empty_like = on_default_session(factories.empty_like)
eye = on_default_session(factories.eye)
from_numpy = on_default_session(factories.from_numpy)
full = on_default_session(factories.full)
full_like = on_default_session(factories.full_like)
manual_seed = on_default_session(factories.manual_seed)
ones = on_default_session(factories.ones)
ones_like = on_default_session(factories.ones_like)
rand = on_default_session(factories.rand)
rand_like = on_default_session(factories.rand_like)
randint = on_default_session(factories.randint)
randn = on_default_session(factories.randn)
randn_like = on_default_session(factories.randn_like)
randperm = on_default_session(factories.randperm)
tensor = on_default_session(factories.tensor)
tril_indices = on_default_session(factories.tril_indices)
triu_indices = on_default_session(factories.triu_indices)
zeros = on_default_session(factories.zeros)
zeros_like = on_default_session(factories.zeros_like)


def connect(address: str, keep_alive: float = 300.0) -> Session:
    """Open a session on the server at `address` ("host:port")."""
    return Session(address, keep_alive=keep_alive)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """`data` itself if it is a tensor (converted to `dtype` if one is given), else
    torch.tensor(data, dtype=dtype): a copy, where torch shares a NumPy array's memory."""
    if isinstance(data, Tensor):
        if device is not None:
            check_available(device)
        return data if dtype is None else data.to(dtype)
    return tensor(data, dtype=dtype, device=device)


def result_type(tensor, other) -> dtype:
    """The dtype arithmetic on `tensor` and `other` (tensors or numbers) results in."""
    operands = [o._meta if isinstance(o, Tensor) else o for o in (tensor, other)]
    return DTYPES[rules.result_type(operands)]


def promote_types(type1, type2) -> dtype:
    """The smallest dtype both dtypes convert to without losing their kind."""
    for position, given in enumerate((type1, type2), 1):
        if not isinstance(given, dtype):
            raise TypeError(
                f"promote_types(): argument 'type{position}' (position {position}) must be "
                f"torch.dtype, not {type(given).__name__}"
            )
    return DTYPES[rules.promote_types(type1.name, type2.name)]


# ---------------------------------------------------------------- functions of tensors


def _arithmetic(op: str, input, other, alpha=1, attrs=None) -> Tensor:
    """torch.`op`(input, other, alpha=...): either may be a Python number (then torch wraps
    it as a 0-d tensor input, which is what the node shows); `attrs` are the op's others."""
    if isinstance(input, Tensor):
        other = input._operand(op, other, position=2)
        first = input
    elif isinstance(other, Tensor) and _number(input) is not None:
        first = _number(input)
    else:
        raise TypeError(
            f"{op}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )
    tensor = first if isinstance(first, Tensor) else other
    return tensor._call(op, [first, other], alpha_attrs(op, alpha) | (attrs or {}))


def add(input, other, *, alpha=1) -> Tensor:
    return _arithmetic("add", input, other, alpha)


def sub(input, other, *, alpha=1) -> Tensor:
    return _arithmetic("sub", input, other, alpha)


_UNSET = object()


def rsub(input, other, *, alpha=_UNSET) -> Tensor:
    """other - alpha input (torch.rsub); a number `other` is a Scalar argument (RsubBackward1)."""
    given = alpha is not _UNSET
    operands = [o if isinstance(o, Tensor) else _number(o) for o in (input, other)]
    tensor = next((o for o in operands if isinstance(o, Tensor)), None)
    missing = operands[0] is None or operands[1] is None or (given and _number(alpha) is None)
    if tensor is None or missing:
        raise rules.rsub_arguments_error(type(input).__name__, type(other).__name__, alpha, given)
    return tensor._call("rsub", operands, {"alpha": _number(alpha)} if given else {})


def mul(input, other) -> Tensor:
    return _arithmetic("mul", input, other)


_DIV_SIGNATURES = (
    " * (Tensor input, Tensor other, *, Tensor out = None)\n"
    " * (Tensor input, Tensor other, *, str rounding_mode, Tensor out = None)\n"
    " * (Tensor input, Number other, *, str rounding_mode)\n"
)


def div(input, other, *, rounding_mode=None) -> Tensor:
    """input / other; rounded toward zero ('trunc') or -inf ('floor'), in the promoted
    dtype with a zero gradient, for a rounding_mode."""
    given = f"{type(input).__name__}, {type(other).__name__}"
    attrs = rounding_attrs(_DIV_SIGNATURES, given, rounding_mode)
    return _arithmetic("div", input, other, attrs=attrs)


def true_divide(input, other) -> Tensor:
    return _arithmetic("div", input, other)


def get_default_dtype() -> dtype:
    """The dtype of floating factories, of Python floats in promotion and of integer-to-float
    results: float32 unless `set_default_dtype` changed it."""
    return DTYPES[rules.default_float()]


def set_default_dtype(d, /) -> None:
    """torch.set_default_dtype: float32 or float64 for what `get_default_dtype` describes,
    in this process (every session: each tells its server before its next operation)."""
    if not isinstance(d, dtype):
        raise TypeError(
            "invalid dtype object: only floating-point types are supported as the default type"
        )
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    rules.set_process_default_float(d.name)


_TENSOR_TYPE_DTYPES = {f"torch.{rules.TORCH_TYPE_NAME[d]}Tensor": d for d in rules.DTYPES}
_warned_tensor_type = False


def set_default_tensor_type(t) -> None:
    """torch.set_default_tensor_type (deprecated, with torch's warning once): the default
    dtype by its legacy type name, 'torch.FloatTensor' or 'torch.DoubleTensor'."""
    global _warned_tensor_type
    if not _warned_tensor_type:
        _warned_tensor_type = True
        warnings.warn(
            "torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
            "torch.set_default_dtype() and torch.set_default_device() as alternatives.",
            UserWarning,
            stacklevel=2,
        )
    name = _TENSOR_TYPE_DTYPES.get(t) if isinstance(t, str) else None
    if name is None:
        if isinstance(t, str) and t.startswith("torch.") and "." not in t[6:]:
            raise AttributeError(f"module 'torch' has no attribute '{t[6:]}'")
        raise TypeError(
            "invalid type object: only floating-point types are supported as the default type"
        )
    set_default_dtype(DTYPES[name])


def typename(obj) -> str:
    """torch.typename: a tensor's legacy type name (torch.FloatTensor), else the object's
    qualified type name."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module in (None, "builtins") else f"{module}.{name}"


def floor_divide(input, other) -> Tensor:
    """floor(input / other), Python's // (torch records no derivative for it)."""
    if isinstance(input, Tensor) and not isinstance(other, Tensor) and _number(other) is None:
        raise TypeError(
            "floor_divide() received an invalid combination of arguments - got "
            f"(Tensor, {type(other).__name__}), but expected one of:\n"
            " * (Tensor input, Tensor other, *, Tensor out = None)\n"
            " * (Tensor input, Number other)\n"
            "      didn't match because some of the arguments have invalid types: "
            f"(Tensor, !{type(other).__name__}!)\n"
        )
    return _arithmetic("floor_divide", input, other)


multiply = mul
subtract = sub
divide = div


def pow(input, exponent) -> Tensor:
    return input.pow(exponent) if isinstance(input, Tensor) else exponent.__rpow__(input)


def where(condition, input=None, other=None) -> Tensor:
    """input where condition holds, else other (WhereBackward0); input and other are tensors
    or numbers, broadcast with condition and promoted as torch promotes them. Alone,
    condition.nonzero(as_tuple=True)."""
    if not isinstance(condition, Tensor):
        raise TypeError(
            f"where(): argument 'condition' (position 1) must be Tensor, not "
            f"{type(condition).__name__}"
        )
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    operands = [condition]
    for name, value in (("input", input), ("other", other)):
        if isinstance(value, Tensor):
            operands.append(condition._coerce(value))
        elif _number(value) is not None:
            operands.append(_number(value))
        else:
            raise TypeError(
                f"where(): argument '{name}' must be Tensor or Number, not {type(value).__name__}"
            )
    if condition.dtype is uint8:
        warnings.warn(_UINT8_CONDITION, UserWarning, stacklevel=2)
    return _apply(condition._session, "where", operands, {})


_UINT8_CONDITION = (
    "where received a uint8 condition tensor. This behavior is deprecated and will be removed "
    "in a future version of PyTorch. Use a boolean condition instead. (Triggered internally at "
    "/__w/pytorch/pytorch/aten/src/ATen/native/TensorCompare.cpp:621.)"
)


def nonzero(input, *, as_tuple: bool = False):
    check_input("nonzero", input)
    return input.nonzero(as_tuple=as_tuple)


def _comparison(op: str):
    def compare(input, other) -> Tensor:
        if not isinstance(input, Tensor) or (
            _number(other) is None and not isinstance(other, Tensor)
        ):
            raise TypeError(
                f"{op}() received an invalid combination of arguments - got "
                f"({type(input).__name__}, {type(other).__name__}), but expected one of:\n"
                " * (Tensor input, Tensor other, *, Tensor out = None)\n"
                " * (Tensor input, Number other, *, Tensor out = None)\n"
            )
        return input._compare(op, other)

    compare.__name__ = op
    compare.__doc__ = f"torch.{op}(input, other): an elementwise comparison, as a bool tensor."
    return compare


eq, ne, lt, le, gt, ge = (_comparison(op) for op in ("eq", "ne", "lt", "le", "gt", "ge"))
not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge


def _bitwise(op: str):
    def function(input, other) -> Tensor:
        if isinstance(input, Tensor) and (_number(other) is not None or isinstance(other, Tensor)):
            return input._bitwise(op, other)
        if _number(input) is not None and isinstance(other, Tensor):
            return other._call(op, [_number(input), other])
        kinds = ", ".join(type(a).__name__ for a in (input, other))
        marked = f"!{type(input).__name__}!, " + (
            "Tensor" if isinstance(other, Tensor) else f"!{type(other).__name__}!"
        )
        raise TypeError(
            f"{op}() received an invalid combination of arguments - got ({kinds}), but expected "
            "one of:\n * (Tensor input, Tensor other, *, Tensor out = None)\n"
            " * (Number self, Tensor other)\n"
            f"      didn't match because some of the arguments have invalid types: ({marked})\n"
            " * (Tensor input, Number other, *, Tensor out = None)\n"
        )

    function.__name__ = op
    function.__doc__ = f"torch.{op}(input, other): either may be a number (integers and bool)."
    return function


bitwise_and, bitwise_or, bitwise_xor = map(_bitwise, ("bitwise_and", "bitwise_or", "bitwise_xor"))
bitwise_left_shift, bitwise_right_shift = map(
    _bitwise, ("bitwise_left_shift", "bitwise_right_shift")
)


def _closeness(name: str):
    def function(input, other, *args, **kwargs):
        check_input(name, input)
        close = input._isclose(name, other, args, kwargs, first=2)
        return close if name == "isclose" else close.all().item()

    function.__name__ = name
    function.__doc__ = f"torch.{name}(input, other, rtol=1e-05, atol=1e-08, equal_nan=False)"
    return function


isclose, allclose = _closeness("isclose"), _closeness("allclose")


def equal(input, other) -> bool:
    """torch.equal: the same shape and equal values (a Python bool, read)."""
    check_input("equal", input)
    return input.equal(input._tensor_operand("equal", other, "other", position=2))


def _joined(name: str, tensors, args: tuple, kwargs: dict) -> Tensor:
    """torch.cat / torch.stack: one op over all `tensors` (any session's first tensor)."""
    combining.check_tensor_sequence(name, tensors)
    (dim,) = _arguments(name, args, kwargs, (("dim", "int?"),), first=2)
    dim = 0 if dim is None else dim
    if not tensors:  # the rule has torch's error for it
        rules.infer(name, [], {"dim": dim})
    return tensors[0]._call(name, list(tensors), {"dim": dim})


def cat(tensors, *args, **kwargs) -> Tensor:
    """torch.cat(tensors, dim=0): the tensors joined along an existing dim (CatBackward0)."""
    return _joined("cat", tensors, args, kwargs)


concat = concatenate = cat


def stack(tensors, *args, **kwargs) -> Tensor:
    """torch.stack(tensors, dim=0): the equal-shaped tensors joined along a new dim
    (StackBackward0)."""
    return _joined("stack", tensors, args, kwargs)


def _on_input(name: str, doc: str, bind: Callable):
    """torch.<name>(input, ...): `input` checked, then bind(input, args, kwargs, first=2),
    the tensor method's binding with torch's argument positions counted from the input."""

    def function(input, *args, **kwargs):
        check_input(name, input)
        return bind(input, args, kwargs, 2)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return function


sort = _on_input(
    "sort",
    """torch.sort(input, dim=-1, descending=False) or torch.sort(input, *, stable, dim=-1,
    descending=False): input.sort(...), as a torch.return_types.sort.""",
    Tensor._sort,
)
topk = _on_input(
    "topk",
    """torch.topk(input, k, dim=-1, largest=True, sorted=True), a torch.return_types.topk.""",
    Tensor._topk,
)
median = _on_input(
    "median",
    """torch.median(input) or torch.median(input, dim, keepdim=False), a
    torch.return_types.median: input.median(...).""",
    lambda input, args, kwargs, first: input._median("median", args, kwargs, first),
)
nanmedian = _on_input(
    "nanmedian",
    """torch.nanmedian(input) or torch.nanmedian(input, dim, keepdim=False), a
    torch.return_types.nanmedian: input.nanmedian(...).""",
    lambda input, args, kwargs, first: input._median("nanmedian", args, kwargs, first),
)
mode = _on_input(
    "mode",
    """torch.mode(input, dim=-1, keepdim=False), a torch.return_types.mode.""",
    Tensor._mode,
)
kthvalue = _on_input(
    "kthvalue",
    """torch.kthvalue(input, k, dim=-1, keepdim=False), a torch.return_types.kthvalue.""",
    Tensor._kthvalue,
)
cummax = _on_input(
    "cummax",
    """torch.cummax(input, dim), a torch.return_types.cummax.""",
    lambda t, *bound: t._cumulative_extreme("cummax", *bound),
)
cummin = _on_input(
    "cummin",
    """torch.cummin(input, dim), a torch.return_types.cummin.""",
    lambda t, *bound: t._cumulative_extreme("cummin", *bound),
)
logcumsumexp = _on_input(
    "logcumsumexp",
    """torch.logcumsumexp(input, dim): input.logcumsumexp(dim).""",
    Tensor._logcumsumexp,
)
gather = _on_input(
    "gather",
    """torch.gather(input, dim, index): input.gather(dim, index).""",
    Tensor._gather,
)
index_put = _on_input(
    "index_put",
    """torch.index_put(input, indices, values, accumulate=False): input.index_put(...).""",
    bind_index_put,
)
scatter = scatter_function
scatter_add = _on_input(
    "scatter_add",
    """torch.scatter_add(input, dim, index, src): input.scatter_add(dim, index, src).""",
    bind_scatter_add,
)
scatter_reduce = _on_input(
    "scatter_reduce",
    """torch.scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    input.scatter_reduce(...).""",
    bind_scatter_reduce,
)
index_select = _on_input(
    "index_select",
    """torch.index_select(input, dim, index): input.index_select(dim, index).""",
    Tensor._index_select,
)
index_add = _on_input(
    "index_add",
    """torch.index_add(input, dim, index, source, *, alpha=1): input.index_add(...).""",
    Tensor._index_add,
)
index_copy = _on_input(
    "index_copy",
    """torch.index_copy(input, dim, index, source): input.index_copy(dim, index, source).""",
    Tensor._index_copy,
)
index_fill = _on_input(
    "index_fill",
    """torch.index_fill(input, dim, index, value): input.index_fill(dim, index, value).""",
    Tensor._index_fill,
)
cumsum = _on_input(
    "cumsum",
    """torch.cumsum(input, dim, *, dtype=None): input.cumsum(dim, dtype=dtype).""",
    lambda t, *bound: t._cumulative("cumsum", *bound),
)
cumprod = _on_input(
    "cumprod",
    """torch.cumprod(input, dim, *, dtype=None): input.cumprod(dim, dtype=dtype).""",
    lambda t, *bound: t._cumulative("cumprod", *bound),
)
prod = _on_input(
    "prod",
    """torch.prod(input, *, dtype=None) or torch.prod(input, dim, keepdim=False, *,
    dtype=None): input.prod(...).""",
    Tensor._prod,
)
narrow = _on_input(
    "narrow",
    """torch.narrow(input, dim, start, length): input.narrow(dim, start, length).""",
    Tensor._narrow,
)
movedim = _on_input(
    "movedim",
    """torch.movedim(input, source, destination): input.movedim(source, destination).""",
    lambda t, *bound: t._movedim("movedim", *bound),
)
moveaxis = _on_input(
    "moveaxis",
    """torch.moveaxis(input, source, destination): input.moveaxis(source, destination).""",
    lambda t, *bound: t._movedim("moveaxis", *bound),
)


def repeat_interleave(input, *args, **kwargs):
    """torch.repeat_interleave(input, repeats, dim=None, *, output_size=None):
    input.repeat_interleave(...); torch.repeat_interleave(repeats), a 1-d int64 tensor of
    counts alone: each position i repeated repeats[i] times (int64)."""
    check_input("repeat_interleave", input)
    if args or kwargs:
        return input._repeat_interleave(args, kwargs, 2)
    return repeated_positions(input)


roll = _on_input(
    "roll",
    """torch.roll(input, shifts, dims=None): input.roll(shifts, dims).""",
    Tensor._roll,
)
tril = _on_input(
    "tril",
    """torch.tril(input, diagonal=0): input.tril(diagonal).""",
    lambda t, *bound: t._triangle("tril", *bound),
)
triu = _on_input(
    "triu",
    """torch.triu(input, diagonal=0): input.triu(diagonal).""",
    lambda t, *bound: t._triangle("triu", *bound),
)
diagonal = _on_input(
    "diagonal",
    """torch.diagonal(input, offset=0, dim1=0, dim2=1): input.diagonal(offset, dim1, dim2).""",
    Tensor._diagonal,
)
diag = _on_input(
    "diag",
    """torch.diag(input, diagonal=0): input.diag(diagonal).""",
    combining.diag,
)
diag_embed = _on_input(
    "diag_embed",
    """torch.diag_embed(input, offset=0, dim1=-2, dim2=-1): input.diag_embed(...).""",
    combining.diag_embed,
)
broadcast_to = _on_input(
    "broadcast_to",
    """torch.broadcast_to(input, size): input.expand(size).""",
    Tensor._broadcast_to,
)
cross = _on_input(
    "cross",
    """torch.cross(input, other, dim=None): input.cross(other, dim).""",
    combining.cross,
)


def inverse(input) -> Tensor:
    """torch.inverse: torch.linalg.inv(input)."""
    check_input("inverse", input)
    return linalg.inv(input)


def det(input) -> Tensor:
    """torch.det: torch.linalg.det(input)."""
    check_input("det", input)
    return linalg.det(input)


def slogdet(input):
    """torch.slogdet: torch.linalg.slogdet's (sign, logabsdet), a torch.return_types.slogdet."""
    check_input("slogdet", input)
    return return_types.slogdet(linalg.slogdet(input))


def logdet(input) -> Tensor:
    """log det input, nan where the determinant is negative (WhereBackward0)."""
    check_input("logdet", input)
    return linalg.logdet(input)


def matrix_power(input, n) -> Tensor:
    """torch.matrix_power: torch.linalg.matrix_power(input, n)."""
    check_input("matrix_power", input)
    return linalg.matrix_power(input, n)


def svd(input, some: bool = True, compute_uv: bool = True):
    """torch.svd: (U, S, V) with input = U diag(S) Vᵀ, a torch.return_types.svd."""
    check_input("svd", input)
    return linalg.torch_svd(input, some, compute_uv)


def matrix_exp(input) -> Tensor:
    """torch.matrix_exp: torch.linalg.matrix_exp(input)."""
    check_input("matrix_exp", input)
    return linalg.matrix_exp(input)


def pinverse(input, rcond: float = 1e-15) -> Tensor:
    """torch.pinverse: torch.linalg.pinv(input, rtol=rcond)."""
    check_input("pinverse", input)
    return linalg.pinv(input, atol=0.0, rtol=rcond)


def cholesky(input, upper: bool = False) -> Tensor:
    """torch.cholesky (deprecated; torch's warning): the Cholesky factor (CholeskyBackward0)."""
    check_input("cholesky", input)
    return linalg.legacy_cholesky(input, upper)


def lu(input, pivot: bool = True, get_infos: bool = False):
    """torch.lu (deprecated; torch's warning): (LU, pivots), or (LU, pivots, info) with
    `get_infos`, of torch.linalg.lu_factor_ex."""
    check_input("lu", input)
    return linalg.legacy_lu(input, pivot, get_infos, structseq=True)


def lu_solve(input, LU_data, LU_pivots) -> Tensor:
    """torch.lu_solve (deprecated; torch's warning): torch.linalg.lu_solve(LU_data, LU_pivots,
    input)."""
    check_input("lu_solve", input)
    return linalg.legacy_lu_solve(input, LU_data, LU_pivots)


def lu_unpack(LU_data, LU_pivots, unpack_data: bool = True, unpack_pivots: bool = True):
    """(P, L, U) of torch.linalg.lu_factor's result, a torch.return_types.lu_unpack."""
    check_input("lu_unpack", LU_data)
    return linalg.lu_unpack(LU_data, LU_pivots, unpack_data, unpack_pivots)


def geqrf(input):
    """(a, tau), LAPACK geqrf's Householder QR, a torch.return_types.geqrf (GeqrfBackward0)."""
    check_input("geqrf", input)
    return linalg.geqrf(input)


def orgqr(input, tau) -> Tensor:
    """torch.orgqr: torch.linalg.householder_product(input, tau)."""
    check_input("orgqr", input)
    return linalg.householder_product(input, tau)


def cholesky_solve(input, input2, upper: bool = False) -> Tensor:
    """X with (L Lᵀ) X = input for the factor input2 (CholeskySolveBackward0)."""
    check_input("cholesky_solve", input)
    return linalg.cholesky_solve(input, input2, upper)


def cholesky_inverse(input, upper: bool = False) -> Tensor:
    """(L Lᵀ)⁻¹ of the Cholesky factor input (CholeskyInverseBackward0)."""
    check_input("cholesky_inverse", input)
    return linalg.cholesky_inverse(input, upper)


def trace(input) -> Tensor:
    """The sum of a matrix's main diagonal (TraceBackward0)."""
    check_input("trace", input)
    return input.trace()


def outer(input, vec2) -> Tensor:
    """input ⊗ vec2 of two vectors (torch.ger too)."""
    check_input("outer", input)
    return combining.outer(input, vec2)


ger = outer


def inner(input, other) -> Tensor:
    """Σ over the last dims of input other."""
    check_input("inner", input)
    return combining.inner(input, other)


def kron(input, other) -> Tensor:
    """The Kronecker product."""
    check_input("kron", input)
    return combining.kron(input, other)


def block_diag(*tensors) -> Tensor:
    """The tensors (0-d as 1x1, 1-d as a row) along a matrix's diagonal (BlockDiagBackward0);
    none: an empty 1x0 float32 tensor."""
    joined = combining.block_diag(*tensors)
    return empty(1, 0) if joined is None else joined


def diff(input, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The n-th forward difference along `dim`."""
    check_input("diff", input)
    return combining.diff(input, n, dim, prepend, append)


def fliplr(input) -> Tensor:
    check_input("fliplr", input)
    return combining.fliplr(input)


def flipud(input) -> Tensor:
    check_input("flipud", input)
    return combining.flipud(input)


tensordot = combining.tensordot
hstack = combining.hstack
vstack = combining.vstack
row_stack = combining.row_stack
dstack = combining.dstack
column_stack = combining.column_stack
meshgrid = combining.meshgrid
cartesian_prod = combining.cartesian_prod
logit = _on_input(
    "logit",
    """torch.logit(input, eps=None): input.logit(eps).""",
    Tensor._logit,
)
nan_to_num = _on_input(
    "nan_to_num",
    """torch.nan_to_num(input, nan=0.0, posinf=None, neginf=None): input.nan_to_num(...).""",
    Tensor._nan_to_num,
)
nansum = _on_input(
    "nansum",
    """torch.nansum(input, dim=None, keepdim=False, *, dtype=None): input.nansum(...).""",
    Tensor._nansum,
)
nanmean = _on_input(
    "nanmean",
    """torch.nanmean(input, dim=None, keepdim=False, *, dtype=None): input.nanmean(...).""",
    Tensor._nanmean,
)
rot90 = _on_input(
    "rot90",
    """torch.rot90(input, k=1, dims=[0, 1]): input.rot90(k, dims).""",
    Tensor._rot90,
)
logsumexp = _on_input(
    "logsumexp",
    """torch.logsumexp(input, dim, keepdim=False): input.logsumexp(dim, keepdim).""",
    Tensor._logsumexp,
)


def argsort(input, *args, **kwargs) -> Tensor:
    """torch.argsort: the indices of torch.sort with the same arguments."""
    check_input("argsort", input)
    return input._argsort(*_sort_arguments("argsort", args, kwargs, first=2))


def flip(input, *args, **kwargs) -> Tensor:
    """torch.flip(input, dims): dims a sequence (a single int refused, as torch's)."""
    check_input("flip", input)
    (dims,) = _arguments("flip", args, kwargs, (("dims", "int list"),), first=2, required=1)
    given = args[0] if args else kwargs.get("dims")
    if isinstance(given, builtins.int):
        where = " (position 2)" if args else ""
        raise TypeError(f"flip(): argument 'dims'{where} must be tuple of ints, not int")
    return input._flip(dims)


def take(input, index) -> Tensor:
    """input's elements, flattened, at index's positions."""
    check_input("take", input)
    return input._call("take", [input, input._tensor_operand("take", index, "index", 2)])


def masked_select(input, mask) -> Tensor:
    """input's elements where mask is true, as a vector (one round trip to count them)."""
    check_input("masked_select", input)
    return input._masked_select(mask, position=2)


take_along_dim = _on_input(
    "take_along_dim",
    """torch.take_along_dim(input, indices, dim=None): input.take_along_dim(...).""",
    placement.take_along_dim,
)
put = _on_input(
    "put",
    """torch.put(input, index, source, accumulate=False): input.put(...).""",
    placement.put,
)
select_scatter = _on_input(
    "select_scatter",
    """torch.select_scatter(input, src, dim, index): input.select_scatter(...).""",
    lambda t, *bound: placement.embedding_scatter("select_scatter", t, *bound),
)
slice_scatter = _on_input(
    "slice_scatter",
    """torch.slice_scatter(input, src, dim=0, start=None, end=None, step=1).""",
    lambda t, *bound: placement.embedding_scatter("slice_scatter", t, *bound),
)
diagonal_scatter = _on_input(
    "diagonal_scatter",
    """torch.diagonal_scatter(input, src, offset=0, dim1=0, dim2=1).""",
    lambda t, *bound: placement.embedding_scatter("diagonal_scatter", t, *bound),
)
index_reduce = _on_input(
    "index_reduce",
    """torch.index_reduce(input, dim, index, source, reduce, *, include_self=True).""",
    placement.index_reduce,
)
isin = placement.isin


def select(input, dim: int, index: int) -> Tensor:
    """input.select(dim, index): a view."""
    check_input("select", input)
    return input.select(dim, index)


def masked_scatter(input, mask, source) -> Tensor:
    """input.masked_scatter(mask, source)."""
    check_input("masked_scatter", input)
    return placement.masked_scatter(input, mask, source, first=2)


def masked_fill(input, mask, value) -> Tensor:
    """input.masked_fill(mask, value)."""
    check_input("masked_fill", input)
    return input.masked_fill(input._tensor_operand("masked_fill", mask, "mask", 2), value)


def argwhere(input) -> Tensor:
    """input.nonzero(): the indices of the nonzero elements, one row each."""
    check_input("argwhere", input)
    return input.argwhere()


def ravel(input) -> Tensor:
    check_input("ravel", input)
    return input.ravel()


def diagflat(input, offset: int = 0) -> Tensor:
    """A matrix with input's elements, flattened, on its `offset`-th diagonal."""
    check_input("diagflat", input)
    return input.diagflat(offset)


def neg(input: Tensor) -> Tensor:
    return -input


def _of_two_tensors(name: str):
    """torch.{name}(input, other): the method, with `other` checked as torch's function
    numbers it (position 2)."""

    def function(input: Tensor, other: Tensor) -> Tensor:
        check_input(name, input)
        return getattr(input, name)(input._tensor_operand(name, other, "other", position=2))

    function.__name__ = name
    return function


matmul = _of_two_tensors("matmul")
logical_and = _of_two_tensors("logical_and")
logical_or = _of_two_tensors("logical_or")
logical_xor = _of_two_tensors("logical_xor")
maximum = _of_two_tensors("maximum")
minimum = _of_two_tensors("minimum")
atan2 = arctan2 = _of_two_tensors("atan2")
logaddexp = _of_two_tensors("logaddexp")
hypot = _of_two_tensors("hypot")
logaddexp2 = _of_two_tensors("logaddexp2")
fmax = _of_two_tensors("fmax")
fmin = _of_two_tensors("fmin")
nextafter = _of_two_tensors("nextafter")
igamma = _of_two_tensors("igamma")
igammac = _of_two_tensors("igammac")
ldexp = _of_two_tensors("ldexp")
gcd = _of_two_tensors("gcd")
lcm = _of_two_tensors("lcm")


def heaviside(input: Tensor, values: Tensor) -> Tensor:
    """torch.heaviside(input, values): input.heaviside(values)."""
    check_input("heaviside", input)
    return input.heaviside(input._tensor_operand("heaviside", values, "values", position=2))


_CDIST_MODES = (
    "use_mm_for_euclid_dist_if_necessary",
    "use_mm_for_euclid_dist",
    "donot_use_mm_for_euclid_dist",
)


def cdist(x1: Tensor, x2: Tensor, p=2.0, compute_mode=_CDIST_MODES[0]) -> Tensor:
    """The p-norm distance between each row of x1 (..., P, M) and each of x2 (..., R, M),
    batch dims broadcast: torch's direct path (CdistBackward0), or for p = 2 with more than
    25 rows (or compute_mode's say) its matrix-product path (EuclideanDistBackward0 under a
    view)."""
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    if not isinstance(x1, Tensor):
        raise TypeError(
            f"cdist(): argument 'x1' (position 1) must be Tensor, not {type(x1).__name__}"
        )
    x2 = x1._tensor_operand("cdist", x2, "x2", position=2)
    rows = (x1.shape[-2], x2.shape[-2]) if x1.dim() >= 2 and x2.dim() >= 2 else (0, 0)
    by_product = compute_mode == _CDIST_MODES[1] or (
        compute_mode == _CDIST_MODES[0] and builtins.max(rows) > 25
    )
    if p != 2 or not by_product or not x1.numel() or not x2.numel():
        return x1._call("cdist", [x1, x2], {"p": builtins.float(p)})
    return _euclidean_dist(x1, x2)


def _euclidean_dist(x1: Tensor, x2: Tensor) -> Tensor:
    """torch's cdist_impl for p = 2 by a matrix product: the batches expanded and flattened
    (unless there is one), _euclidean_dist, then a view of the result."""
    if x1.dtype != x2.dtype and x1.is_floating_point() and x2.is_floating_point():
        names = [rules.TORCH_TYPE_NAME[t._meta.dtype].lower() for t in (x1, x2)]
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {names[0]} != {names[1]}"
        )
    rules.SPECS["cdist"].infer([x1._meta, x2._meta], {"p": 2.0})  # torch.cdist's checks first
    batch = rules.broadcast_shapes(tuple(x1.shape[:-2]), tuple(x2.shape[:-2]))
    count = math.prod(batch)
    if count != 1:
        x1 = x1.expand(*batch, *x1.shape[-2:]).contiguous().view(count, *x1.shape[-2:])
        x2 = x2.expand(*batch, *x2.shape[-2:]).contiguous().view(count, *x2.shape[-2:])
    dist = x1._call("euclidean_dist", [x1, x2])
    return dist.view(*batch, x1.shape[-2], x2.shape[-2])


_SEARCH_SIGNATURES = {
    "searchsorted": (
        "Tensor sorted_sequence, {} input, *, bool out_int32 = False, bool right = False, str "
        "side = None, Tensor sorter = None, Tensor out = None"
    ),
    "bucketize": "{} input, Tensor boundaries, *, bool out_int32 = False, bool right = False",
}


def _check_search_arguments(name: str, boundaries, values, out_int32: bool, sorter=None):
    """torch's TypeError for searchsorted's and bucketize's arguments of other kinds, before
    anything else; then gradrpc's NotImplementedError for out_int32."""
    pair = (boundaries, values) if name == "searchsorted" else (values, boundaries)
    if (
        not isinstance(boundaries, Tensor)
        or (_number(values) is None and not isinstance(values, Tensor))
        or (sorter is not None and not isinstance(sorter, Tensor))
    ):
        kinds = ", ".join(_kind(a) for a in pair)
        if sorter is not None:
            kinds += f", sorter={_kind(sorter)}"
        signature = _SEARCH_SIGNATURES[name]
        tails = (", Tensor out = None" if name == "bucketize" else "", "")
        raise TypeError(
            f"{name}() received an invalid combination of arguments - got ({kinds}), but "
            f"expected one of:\n * ({signature.format('Tensor')}{tails[0]})\n"
            f" * ({signature.format('Number').replace(' input', ' self', 1)}{tails[1]})\n"
        )
    if out_int32:
        raise NotImplementedError(f"gradrpc: {name}(out_int32=True) is not supported")


def _kind(argument) -> str:
    return "Tensor" if isinstance(argument, Tensor) else type(argument).__name__


def _searched(boundaries: Tensor, values, right: bool) -> Tensor:
    """The searchsorted op; a number of values as a 0-d tensor (int64 or float64, as
    torch's scalar_to_tensor)."""
    number = _number(values)
    if number is not None:
        dtype = float64 if isinstance(number, builtins.float) else int64
        values = boundaries.new_tensor(number, dtype=dtype)
    return boundaries._call("searchsorted", [boundaries, values], {"right": builtins.bool(right)})


def _sorted_by(boundaries: Tensor, sorter: Tensor) -> Tensor:
    """The boundaries in `sorter`'s order along the last dim, after torch's checks of the
    sorter: its shape, its dtype, then its range (its extremes read, one round trip, as torch
    synchronizes)."""
    if sorter.shape != boundaries.shape:
        raise RuntimeError(
            "torch.searchsorted(): boundary and sorter must have the same size, but got "
            f"boundary tensor {list(boundaries.shape)}and got sorter tensor {list(sorter.shape)}"
        )
    if sorter.dtype != int64:
        raise RuntimeError(
            "torch.searchsorted(): sorter must be a tensor of long dtype but got dtype "
            f"{rules.TORCH_TYPE_NAME[sorter._meta.dtype]}"
        )
    if sorter.numel() == 0:
        return boundaries
    if sorter.dim() == 0:
        raise RuntimeError("ArrayRef: attempted to access back() of empty list")
    with no_grad():
        low, high = sorter.amin(), sorter.amax()
        low, high = (builtins.int(v) for v in sorter._session.flush((low._handle, high._handle)))
        if low < 0 or high >= sorter.shape[-1]:
            raise RuntimeError("torch.searchsorted(): sorter index out of range")
        return boundaries.gather(-1, sorter)


def searchsorted(
    sorted_sequence, values, *, out_int32=False, right=False, side=None, sorter=None
) -> Tensor:
    """For each value, the index in the innermost dim of `sorted_sequence` where inserting it
    keeps the order: the first such (`right` or side='right': the last), int64, by torch's
    binary search; with `sorter` (int64 indices that sort each row of `sorted_sequence`), an
    index into the sorted order. `out_int32` is not supported."""
    _check_search_arguments("searchsorted", sorted_sequence, values, out_int32, sorter)
    if side is not None and side not in ("left", "right"):
        raise RuntimeError(
            f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}"
        )
    if side == "left" and right:
        raise RuntimeError(
            "torch.searchsorted(): side and right can't be set to opposites, got side of left "
            "while right was True"
        )
    if sorter is not None:
        sorted_sequence = _sorted_by(sorted_sequence, sorter)
    return _searched(sorted_sequence, values, right or side == "right")


def bucketize(input, boundaries, *, out_int32=False, right=False) -> Tensor:
    """torch.searchsorted(boundaries, input, right=right) for 1-d boundaries."""
    _check_search_arguments("bucketize", boundaries, input, out_int32)
    if boundaries.dim() != 1:
        raise RuntimeError(
            f"boundaries tensor must be 1 dimension, but got dim({boundaries.dim()})"
        )
    return _searched(boundaries, input, right)


def _tensor_or_number_pair(name: str, input, other) -> Tensor:
    """torch.{name}(input, other) of remainder, fmod, copysign or xlogy: a tensor and a
    tensor or a number (fmod's and copysign's input must be the tensor), with torch's error
    for other arguments."""
    number_self = name not in ("fmod", "copysign")
    given = (input, other)
    tensors = [isinstance(a, Tensor) for a in given]
    numbers = [_number(a) is not None for a in given]
    fits = tensors[0] and (tensors[1] or numbers[1])
    fits = fits or (number_self and numbers[0] and tensors[1])
    if not fits:
        kinds = ", ".join(type(a).__name__ for a in given)
        fits_number_self = (numbers[0], tensors[1])
        marks = ", ".join(
            type(a).__name__ if fits else f"!{type(a).__name__}!"
            for a, fits in zip(given, fits_number_self, strict=True)
        )
        tail = ", *, Tensor out = None" if name == "xlogy" else ""
        why = (
            f"      didn't match because some of the arguments have invalid types: ({marks})\n"
            if name == "remainder"
            else ""
        )
        raise TypeError(
            f"{name}() received an invalid combination of arguments - got ({kinds}), but "
            "expected one of:\n * (Tensor input, Tensor other, *, Tensor out = None)\n"
            + (f" * (Number self, Tensor other{tail})\n{why}" if number_self else "")
            + " * (Tensor input, Number other, *, Tensor out = None)\n"
        )
    tensor = input if tensors[0] else other
    operands = [a if isinstance(a, Tensor) else _number(a) for a in given]
    for a in operands:
        if isinstance(a, Tensor):
            tensor._coerce(a)
    return tensor._call(name, operands)


def remainder(input, other) -> Tensor:
    """input - other floor(input / other), the sign of other (input may be a number)."""
    return _tensor_or_number_pair("remainder", input, other)


def fmod(input, other) -> Tensor:
    """input - other trunc(input / other), the sign of input."""
    return _tensor_or_number_pair("fmod", input, other)


def xlogy(input, other) -> Tensor:
    """input ln(other), 0 where input is 0 (input may be a number)."""
    return _tensor_or_number_pair("xlogy", input, other)


def copysign(input, other) -> Tensor:
    """|input| with other's sign (other a tensor or a number)."""
    return _tensor_or_number_pair("copysign", input, other)


def polygamma(n, input) -> Tensor:
    """ψ⁽ⁿ⁾(input), the n-th derivative of digamma."""
    if not _is_int(n):
        raise TypeError(
            f"polygamma(): argument 'n' (position 1) must be int, not {type(n).__name__}"
        )
    check_input("polygamma", input, position=2)
    return input.polygamma(n)


def float_power(input, exponent) -> Tensor:
    """input ** exponent in float64 (either may be a number, not both)."""
    if isinstance(input, Tensor):
        return input.float_power(exponent)
    if _number(input) is None or not isinstance(exponent, Tensor):
        kinds = ", ".join(type(a).__name__ for a in (input, exponent))
        raise TypeError(
            f"float_power() received an invalid combination of arguments - got ({kinds}), but "
            "expected one of:\n * (Tensor input, Tensor exponent, *, Tensor out = None)\n"
            " * (Number self, Tensor exponent, *, Tensor out = None)\n"
            " * (Tensor input, Number exponent, *, Tensor out = None)\n"
        )
    return exponent.to(float64).__rpow__(_number(input))


def addcmul(input, *args, **kwargs) -> Tensor:
    """input + value tensor1 tensor2."""
    check_input("addcmul", input)
    return input._pointwise("addcmul", args, kwargs, first=2)


def addcdiv(input, *args, **kwargs) -> Tensor:
    """input + value tensor1 / tensor2."""
    check_input("addcdiv", input)
    return input._pointwise("addcdiv", args, kwargs, first=2)


def lerp(input, end, weight) -> Tensor:
    """input + weight (end - input), weight a number or a tensor."""
    weight_fits = isinstance(weight, Tensor) or _number(weight) is not None
    if not isinstance(input, Tensor) or not isinstance(end, Tensor) or not weight_fits:
        kinds = ", ".join(type(a).__name__ for a in (input, end, weight))
        raise TypeError(
            f"lerp() received an invalid combination of arguments - got ({kinds}), but expected "
            "one of:\n * (Tensor input, Tensor end, Tensor weight, *, Tensor out = None)\n"
            " * (Tensor input, Tensor end, Number weight, *, Tensor out = None)\n"
        )
    return input.lerp(end, weight)


prelu = input_method("prelu")
pixel_shuffle = nn.functional.pixel_shuffle
pixel_unshuffle = nn.functional.pixel_unshuffle
threshold = nn.functional.threshold
threshold_ = nn.functional.threshold_
exp = input_method("exp")
log = input_method("log")
sqrt = input_method("sqrt")
abs = input_method("abs")
absolute = input_method("absolute")
negative = input_method("negative")
positive = input_method("positive")
resolve_conj = input_method("resolve_conj")
resolve_neg = input_method("resolve_neg")
conj = input_method("conj")
conj_physical = input_method("conj_physical")
arcsin = input_method("arcsin")
arccos = input_method("arccos")
arctan = input_method("arctan")
arcsinh = input_method("arcsinh")
arccosh = input_method("arccosh")
arctanh = input_method("arctanh")
fix = input_method("fix")
adjoint = input_method("adjoint")
is_same_size = input_method("is_same_size")
is_signed = input_method("is_signed")
is_conj = input_method("is_conj")
is_neg = input_method("is_neg")
is_inference = input_method("is_inference")
is_complex = input_method("is_complex")
is_floating_point = input_method("is_floating_point")
is_nonzero = input_method("is_nonzero")
relu = input_method("relu")
sigmoid = input_method("sigmoid")
tanh = input_method("tanh")
reciprocal = input_method("reciprocal")
sin = input_method("sin")
cos = input_method("cos")
rsqrt = input_method("rsqrt")
log1p = input_method("log1p")
expm1 = input_method("expm1")
log2 = input_method("log2")
log10 = input_method("log10")
erf = input_method("erf")
tan = input_method("tan")
asin = input_method("asin")
acos = input_method("acos")
atan = input_method("atan")
sinh = input_method("sinh")
cosh = input_method("cosh")
asinh = input_method("asinh")
acosh = input_method("acosh")
atanh = input_method("atanh")
floor = input_method("floor")
ceil = input_method("ceil")
trunc = input_method("trunc")
round = input_method("round")
sign = input_method("sign")
frac = input_method("frac")
square = input_method("square")
isnan = input_method("isnan")
isinf = input_method("isinf")
isfinite = input_method("isfinite")
signbit = input_method("signbit")
sinc = input_method("sinc")
erfc = input_method("erfc")
erfinv = input_method("erfinv")
exp2 = input_method("exp2")
lgamma = input_method("lgamma")
digamma = input_method("digamma")
i0 = input_method("i0")
sgn = input_method("sgn")
deg2rad = input_method("deg2rad")
rad2deg = input_method("rad2deg")
isposinf = input_method("isposinf")
isneginf = input_method("isneginf")
isreal = input_method("isreal")
frexp = input_method("frexp")
mvlgamma = input_method("mvlgamma")
erfc_ = input_method("erfc_")
exp2_ = input_method("exp2_")
i0_ = input_method("i0_")
deg2rad_ = input_method("deg2rad_")
rad2deg_ = input_method("rad2deg_")
ldexp_ = input_method("ldexp_")
gcd_ = input_method("gcd_")
lcm_ = input_method("lcm_")
logical_not = input_method("logical_not")
bitwise_not = input_method("bitwise_not")
mm = input_method("mm")
var = input_method("var")
norm = input_method("norm")
std = input_method("std")
quantile = input_method("quantile")
bincount = input_method("bincount")
histc = input_method("histc")
unique = input_method("unique")
unique_consecutive = input_method("unique_consecutive")
nanquantile = input_method("nanquantile")
msort = input_method("msort")


aminmax = _on_input(
    "aminmax",
    """torch.aminmax(input, *, dim=None, keepdim=False): input.aminmax(...).""",
    Tensor._aminmax,
)


def _statistic_mean(name: str, input, dim, unbiased, keepdim, correction) -> tuple:
    check_input(f"{name}_mean", input)
    if not input.is_floating_point():
        raise RuntimeError(f"{name}_mean only support floating point and complex dtypes")
    statistic = input._variance(name, dim, unbiased, keepdim, correction, f"{name}_mean")
    if dim is True or dim is False:  # the unbiased overload
        dim = None
    return statistic, input.mean(dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None) -> tuple:
    """(input.std(...), input.mean(dim, keepdim)) with std's arguments. torch records one
    node for both (StdMeanBackward0); here each has its own (StdBackward0, MeanBackward)."""
    return _statistic_mean("std", input, dim, unbiased, keepdim, correction)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None) -> tuple:
    """(input.var(...), input.mean(dim, keepdim)), as std_mean (VarBackward0, MeanBackward
    where torch records VarMeanBackward0)."""
    return _statistic_mean("var", input, dim, unbiased, keepdim, correction)


bmm = input_method("bmm")
addmm = input_method("addmm")


def _add_product(name: str, names: tuple[str, str]):
    def function(input, first, second, *, beta=1, alpha=1) -> Tensor:
        check_input(name, input)
        return input._add_product(name, first, second, names, beta, alpha, position=2)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"torch.{name}(input, {', '.join(names)}, *, beta=1, alpha=1)."
    return function


addmv = _add_product("addmv", ("mat", "vec"))
addmv_ = input_method("addmv_")
addr = _add_product("addr", ("vec1", "vec2"))
baddbmm = _add_product("baddbmm", ("batch1", "batch2"))
addbmm = _add_product("addbmm", ("batch1", "batch2"))
vdot = input_method("vdot")
dist = input_method("dist")
renorm = input_method("renorm")
cov = numerics.cov
corrcoef = numerics.corrcoef
chain_matmul = numerics.chain_matmul
atleast_1d = numerics.atleast_1d
atleast_2d = numerics.atleast_2d
atleast_3d = numerics.atleast_3d
broadcast_tensors = numerics.broadcast_tensors
combinations = numerics.combinations
unravel_index = numerics.unravel_index
vander = numerics.vander
trapezoid = numerics.trapezoid
trapz = numerics.trapz
cumulative_trapezoid = numerics.cumulative_trapezoid
histogram = numerics.histogram
bernoulli = sampling.bernoulli
multinomial = sampling.multinomial
normal = sampling.normal
poisson = sampling.poisson
softmax = input_method("softmax")
log_softmax = input_method("log_softmax")
mv = input_method("mv")
dot = input_method("dot")
t = input_method("t")
transpose = input_method("transpose")
swapaxes = input_method("swapaxes")
swapdims = input_method("swapdims")
tile = input_method("tile")
permute = input_method("permute")
reshape = input_method("reshape")
flatten = input_method("flatten")
unflatten = input_method("unflatten")
unsqueeze = input_method("unsqueeze")
squeeze = input_method("squeeze")
sum = input_method("sum")
count_nonzero = input_method("count_nonzero")
mean = input_method("mean")
max = input_method("max")
min = input_method("min")
amax = input_method("amax")
amin = input_method("amin")
argmax = input_method("argmax")
argmin = input_method("argmin")
all = input_method("all")
any = input_method("any")


clamp = clip = input_method("clamp")
clamp_min = input_method("clamp_min")
clamp_max = input_method("clamp_max")
clone = input_method("clone")
unbind = input_method("unbind")
split_with_sizes = input_method("split_with_sizes")
chunk = input_method("chunk")
tensor_split = input_method("tensor_split")
hsplit = input_method("hsplit")
vsplit = input_method("vsplit")
dsplit = input_method("dsplit")


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
    """torch.split: tensor.split(split_size_or_sections, dim)."""
    check_input("split", tensor)
    return tensor.split(split_size_or_sections, dim)


detach = input_method("detach")
numel = input_method("numel")


class cuda:
    """gradrpc computes on the server's CPU."""

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def device_count() -> int:
        return 0


__all__ = [
    "Session",
    "Size",
    "Tensor",
    "abs",
    "absolute",
    "acos",
    "acosh",
    "add",
    "addbmm",
    "addcdiv",
    "addcmul",
    "addmm",
    "addmv",
    "addmv_",
    "addr",
    "adjoint",
    "all",
    "allclose",
    "amax",
    "amin",
    "aminmax",
    "any",
    "arange",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "argmax",
    "argmin",
    "argsort",
    "argwhere",
    "as_tensor",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "autograd",
    "baddbmm",
    "bernoulli",
    "bincount",
    "bitwise_and",
    "bitwise_left_shift",
    "bitwise_not",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
    "block_diag",
    "bmm",
    "bool",
    "broadcast_tensors",
    "broadcast_to",
    "bucketize",
    "cartesian_prod",
    "cat",
    "cdist",
    "ceil",
    "chain_matmul",
    "cholesky",
    "cholesky_inverse",
    "cholesky_solve",
    "chunk",
    "clamp",
    "clamp_max",
    "clamp_min",
    "clip",
    "clone",
    "column_stack",
    "combinations",
    "concat",
    "concatenate",
    "conj",
    "conj_physical",
    "connect",
    "copysign",
    "corrcoef",
    "cos",
    "cosh",
    "count_nonzero",
    "cov",
    "cross",
    "cuda",
    "cummax",
    "cummin",
    "cumprod",
    "cumsum",
    "cumulative_trapezoid",
    "default_session",
    "deg2rad",
    "deg2rad_",
    "det",
    "detach",
    "device",
    "diag",
    "diag_embed",
    "diagflat",
    "diagonal",
    "diagonal_scatter",
    "diff",
    "digamma",
    "dist",
    "div",
    "divide",
    "dot",
    "double",
    "dsplit",
    "dstack",
    "dtype",
    "einsum",
    "empty",
    "empty_like",
    "enable_grad",
    "eq",
    "equal",
    "erf",
    "erfc",
    "erfc_",
    "erfinv",
    "exp",
    "exp2",
    "exp2_",
    "expm1",
    "eye",
    "finfo",
    "fix",
    "flatten",
    "flip",
    "fliplr",
    "flipud",
    "float",
    "float32",
    "float64",
    "float_power",
    "floor",
    "floor_divide",
    "fmax",
    "fmin",
    "fmod",
    "frac",
    "frexp",
    "from_numpy",
    "full",
    "full_like",
    "func",
    "gather",
    "gcd",
    "gcd_",
    "ge",
    "geqrf",
    "ger",
    "get_default_dtype",
    "get_printoptions",
    "greater",
    "greater_equal",
    "gt",
    "heaviside",
    "histc",
    "histogram",
    "hsplit",
    "hstack",
    "hypot",
    "i0",
    "i0_",
    "igamma",
    "igammac",
    "iinfo",
    "index_add",
    "index_copy",
    "index_fill",
    "index_put",
    "index_reduce",
    "index_select",
    "inner",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "inverse",
    "is_complex",
    "is_conj",
    "is_floating_point",
    "is_grad_enabled",
    "is_inference",
    "is_neg",
    "is_nonzero",
    "is_same_size",
    "is_signed",
    "is_tensor",
    "isclose",
    "isfinite",
    "isin",
    "isinf",
    "isnan",
    "isneginf",
    "isposinf",
    "isreal",
    "kron",
    "kthvalue",
    "layout",
    "lcm",
    "lcm_",
    "ldexp",
    "ldexp_",
    "le",
    "lerp",
    "less",
    "less_equal",
    "lgamma",
    "linalg",
    "linspace",
    "load",
    "log",
    "log1p",
    "log2",
    "log10",
    "log_softmax",
    "logaddexp",
    "logaddexp2",
    "logcumsumexp",
    "logdet",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "logit",
    "logspace",
    "logsumexp",
    "long",
    "lt",
    "lu",
    "lu_solve",
    "lu_unpack",
    "manual_seed",
    "masked_fill",
    "masked_scatter",
    "masked_select",
    "matmul",
    "matrix_exp",
    "matrix_power",
    "max",
    "maximum",
    "mean",
    "median",
    "meshgrid",
    "min",
    "minimum",
    "mm",
    "mode",
    "moveaxis",
    "movedim",
    "msort",
    "mul",
    "multinomial",
    "multiply",
    "mv",
    "mvlgamma",
    "nan_to_num",
    "nanmean",
    "nanmedian",
    "nanquantile",
    "nansum",
    "narrow",
    "ne",
    "neg",
    "negative",
    "nextafter",
    "nn",
    "no_grad",
    "nonzero",
    "norm",
    "normal",
    "not_equal",
    "numel",
    "ones",
    "ones_like",
    "optim",
    "orgqr",
    "outer",
    "permute",
    "pinverse",
    "pixel_shuffle",
    "pixel_unshuffle",
    "poisson",
    "polygamma",
    "positive",
    "pow",
    "prelu",
    "prod",
    "promote_types",
    "put",
    "quantile",
    "rad2deg",
    "rad2deg_",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "range",
    "ravel",
    "reciprocal",
    "relu",
    "remainder",
    "renorm",
    "repeat_interleave",
    "reshape",
    "resolve_conj",
    "resolve_neg",
    "result_type",
    "return_types",
    "roll",
    "rot90",
    "round",
    "row_stack",
    "rsqrt",
    "save",
    "scatter",
    "scatter_add",
    "scatter_reduce",
    "searchsorted",
    "select",
    "select_scatter",
    "serialization",
    "set_default_dtype",
    "set_default_tensor_type",
    "set_grad_enabled",
    "set_printoptions",
    "sgn",
    "short",
    "sigmoid",
    "sign",
    "signbit",
    "sin",
    "sinc",
    "sinh",
    "slice_scatter",
    "slogdet",
    "softmax",
    "sort",
    "special",
    "split",
    "split_with_sizes",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "std_mean",
    "strided",
    "sub",
    "subtract",
    "sum",
    "svd",
    "swapaxes",
    "swapdims",
    "t",
    "take",
    "take_along_dim",
    "tan",
    "tanh",
    "tensor",
    "tensor_split",
    "tensordot",
    "threshold",
    "threshold_",
    "tile",
    "topk",
    "trace",
    "transpose",
    "trapezoid",
    "trapz",
    "tril",
    "tril_indices",
    "triu",
    "triu_indices",
    "true_divide",
    "trunc",
    "typename",
    "uint8",
    "unbind",
    "unflatten",
    "unique",
    "unique_consecutive",
    "unravel_index",
    "unsqueeze",
    "utils",
    "vander",
    "var",
    "var_mean",
    "vdot",
    "vmap",
    "vsplit",
    "vstack",
    "where",
    "xlogy",
    "zeros",
    "zeros_like",
]
