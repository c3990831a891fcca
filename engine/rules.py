"""The abstract half of the op table: what each op is, before any kernel runs.

For every op this module states its torch name, the name torch prints for its backward node,
its inputs and attributes, which inputs it differentiates, which tensors its backward saves,
and its shape/stride/dtype rule. Rules are pure Python (no numpy, no numba), cost nothing to
run, and raise torch's exception types with torch's wording, so the client predicts every
result's metadata and catches bad input at the user's line without asking the server, while
the server validates input from clients in any language with the same code (as JAX's
abstract evaluation rules do). `gradrpc.engine.ops` holds the concrete half: each op's
forward kernel and vector-Jacobian product, under the same names.
"""

from __future__ import annotations

import contextvars
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from math import prod

from .errors import (
    ComputeError,
    DimensionOutOfRange,
    DtypeMismatch,
    InPlaceOnLeaf,
    InPlaceOnView,
    InvalidArgument,
    InvalidIndex,
    InvalidValue,
    MemoryOverlap,
    NoGradFn,
    NotDifferentiable,
    ScalarOverflow,
    ShapeMismatch,
    UnknownOp,
    Unsupported,
    UnusedInput,
)

# ---------------------------------------------------------------- dtypes

INTEGER_DTYPES = ("uint8", "int8", "int16", "int32", "int64")
# computed in int64, the results narrowed: the low bits of a sum, product or shift do not
# depend on the width, so they wrap around as torch's do
SMALL_INTEGER_DTYPES = INTEGER_DTYPES[:-1]
FLOAT_DTYPES = ("float32", "float64")
DTYPES = ("bool", *INTEGER_DTYPES, *FLOAT_DTYPES)  # bool < integers < floating types
# torch's default dtype (torch.set_default_dtype): the server sets `_BATCH_DEFAULT_FLOAT` for
# each batch it runs from the session's setting; a client reads its process-wide setting, as
# torch's is process-wide
_BATCH_DEFAULT_FLOAT: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "gradrpc_default_float", default=None
)
_process_default_float = "float32"
TORCH_TYPE_NAME = {
    "bool": "Bool",
    "uint8": "Byte",
    "int8": "Char",
    "int16": "Short",
    "int32": "Int",
    "int64": "Long",
    "float32": "Float",
    "float64": "Double",
}
C_TYPE_NAME = {
    "bool": "bool",
    "uint8": "unsigned char",
    "int8": "signed char",
    "int16": "short int",
    "int32": "int",
    "int64": "long int",
    "float32": "float",
    "float64": "double",
}
C10_TYPE_NAME = {
    "bool": "bool",
    "uint8": "uint8_t",
    "int8": "int8_t",
    "int16": "int16_t",
    "int32": "int",
    "int64": "int64_t",
    "float32": "float",
    "float64": "double",
}
# torch's Tensor::toString() of a CPU tensor, in the messages of some of its checks
TENSOR_TYPE_STRING = {
    **{d: f"torch.{TORCH_TYPE_NAME[d]}Tensor" for d in TORCH_TYPE_NAME},
    "bool": "CPUBoolType",
}
# what indexing, gather, scatter, index_select, index_add and embedding take as indices (an int32
# index reaches their kernels widened to int64, as every smaller integer does)
INDEX_DTYPES = ("int64", "int32")
_PROMOTION_RANK = {
    "bool": 0,
    "uint8": 1,
    "int8": 1,
    "int16": 2,
    "int32": 3,
    "int64": 4,
    "float32": 5,
    "float64": 6,
}


@dataclass(frozen=True, slots=True)
class TensorMeta:
    """What is known of a tensor without its values: torch's sizes, strides and dtype."""

    shape: tuple[int, ...]
    dtype: str
    strides: tuple[int, ...]

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def numel(self) -> int:
        return prod(self.shape)


Operand = TensorMeta | float | int | bool  # a tensor or a Python number (torch's wrapped scalar)


def meta(shape: Sequence[int], dtype: str) -> TensorMeta:
    """A contiguous tensor's metadata."""
    shape = tuple(int(s) for s in shape)
    return TensorMeta(shape, dtype, contiguous_strides(shape))


def is_float(dtype: str | None) -> bool:
    return dtype in FLOAT_DTYPES


def is_integer(dtype: str | None) -> bool:
    """An integer dtype (bool is not one)."""
    return dtype in INTEGER_DTYPES


def default_float() -> str:
    """torch.get_default_dtype(): the dtype of floating factories, of Python floats in
    promotion and of integer-to-float results; the batch's setting on the server, else this
    process's."""
    return _BATCH_DEFAULT_FLOAT.get() or _process_default_float


def set_process_default_float(dtype: str) -> None:
    """Set this process's default float dtype (a client's torch.set_default_dtype)."""
    global _process_default_float
    _process_default_float = dtype


def set_batch_default_float(dtype: str | None) -> contextvars.Token:
    """Set the default float dtype of the batch running in this context (the server's
    executor); `reset_batch_default_float` with the token restores the one before."""
    return _BATCH_DEFAULT_FLOAT.set(dtype)


def reset_batch_default_float(token: contextvars.Token) -> None:
    _BATCH_DEFAULT_FLOAT.reset(token)


def scalar_dtype(value: float | int | bool) -> str:
    """The dtype a Python number takes part in promotion as (floats as the default dtype)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    return default_float()


def promote_types(a: str | None, b: str | None) -> str | None:
    """torch.promote_types: bool < uint8, int8 < int16 < int32 < int64 < float32 < float64,
    where uint8 and int8 meet in int16."""
    if a is None or b is None or a == b:
        return a or b
    if {a, b} == {"uint8", "int8"}:
        return "int16"
    return a if _PROMOTION_RANK[a] >= _PROMOTION_RANK[b] else b


def _combine_categories(higher: str | None, lower: str | None) -> str | None:
    if higher is None:
        return lower
    if is_float(higher):
        return higher
    if higher == "bool" or is_float(lower):
        return promote_types(higher, lower)
    return higher


def result_type(operands: Sequence[Operand]) -> str:
    """torch.result_type: dimensioned tensors outrank 0-d tensors, which outrank Python
    numbers, unless a lower rank holds a higher category (bool < integer < floating)."""
    dims = zero_dims = wrapped = None
    for op in operands:
        if isinstance(op, TensorMeta):
            if op.ndim:
                dims = promote_types(dims, op.dtype)
            else:
                zero_dims = promote_types(zero_dims, op.dtype)
        else:
            wrapped = promote_types(wrapped, scalar_dtype(op))
    return _combine_categories(dims, _combine_categories(zero_dims, wrapped))


# ---------------------------------------------------------------- shapes and strides


def contiguous_strides(shape: Sequence[int]) -> tuple[int, ...]:
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


def is_contiguous(m: TensorMeta) -> bool:
    """torch's is_contiguous: dims of size 1 may have any stride."""
    if m.numel == 0:
        return True
    expected = 1
    for size, stride in zip(reversed(m.shape), reversed(m.strides), strict=True):
        if size != 1:
            if stride != expected:
                return False
            expected *= size
    return True


def normalize_dim(dim: int, ndim: int) -> int:
    """Wrap a negative dim, raising torch's IndexError when out of range."""
    rank = max(ndim, 1)
    if not -rank <= dim < rank:
        raise DimensionOutOfRange(
            f"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], "
            f"but got {dim})"
        )
    return dim % rank


def size_dim(dim: int, ndim: int) -> int:
    """`dim` of `size(dim)` and `stride(dim)`, which a 0-d tensor has none of (torch's
    wording differs from normalize_dim's there)."""
    if ndim == 0:
        raise DimensionOutOfRange(f"Dimension specified as {dim} but tensor has no dimensions")
    return normalize_dim(dim, ndim)


def is_expandable_to(shape: Sequence[int], target: Sequence[int]) -> bool:
    """Whether `shape` broadcasts to `target` (torch's is_expandable_to)."""
    return len(shape) <= len(target) and all(
        s in (1, t) for s, t in zip(reversed(shape), reversed(target), strict=False)
    )


def broadcast_shapes(*shapes: Sequence[int]) -> tuple[int, ...]:
    """NumPy/torch broadcasting of shapes, folded pairwise from the left, with torch's error
    for a mismatch (dims compared from the right, numbered as in the result)."""
    out: tuple[int, ...] = ()
    for shape in shapes:
        out = _broadcast_pair(out, tuple(shape))
    return out


def _broadcast_pair(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    ndim = max(len(a), len(b))
    out = [1] * ndim
    for i in range(ndim - 1, -1, -1):
        size_a = a[i - ndim + len(a)] if i - ndim + len(a) >= 0 else 1
        size_b = b[i - ndim + len(b)] if i - ndim + len(b) >= 0 else 1
        if size_a != size_b and size_a != 1 and size_b != 1:
            raise ShapeMismatch(
                f"The size of tensor a ({size_a}) must match the size of tensor b ({size_b}) "
                f"at non-singleton dimension {i}"
            )
        out[i] = size_a if size_a != 1 else size_b
    return tuple(out)


def infer_size(shape: Sequence[int], numel: int) -> tuple[int, ...]:
    """Resolve one -1 in a view shape, as torch's infer_size does."""
    shape = [int(s) for s in shape]
    infer_at = None
    known = 1
    for i, size in enumerate(shape):
        if size == -1:
            if infer_at is not None:
                raise ShapeMismatch("only one dimension can be inferred")
            infer_at = i
        elif size < 0:
            raise ShapeMismatch(f"invalid shape dimension {size}")
        else:
            known *= size
    if infer_at is not None and known != 0 and numel % known == 0:
        shape[infer_at] = numel // known
    elif infer_at is not None or known != numel:
        raise ShapeMismatch(
            f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}"
        )
    return tuple(shape)


def view_strides(m: TensorMeta, shape: tuple[int, ...]) -> tuple[int, ...] | None:
    """Strides that let `m`'s storage be viewed with `shape`, or None if it must be copied
    (torch's computeStride: each run of contiguous old dims must map onto whole new dims)."""
    if m.numel == 0 or m.ndim == 0:
        return contiguous_strides(shape)
    new_strides = [0] * len(shape)
    view_d = len(shape) - 1
    chunk_base = m.strides[-1]
    tensor_numel = view_numel = 1
    for tensor_d in range(m.ndim - 1, -1, -1):
        tensor_numel *= m.shape[tensor_d]
        chunk_ends = tensor_d == 0 or (
            m.shape[tensor_d - 1] != 1 and m.strides[tensor_d - 1] != tensor_numel * chunk_base
        )
        if chunk_ends:
            while view_d >= 0 and (view_numel < tensor_numel or shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base
                view_numel *= shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base = m.strides[tensor_d - 1]
                tensor_numel = view_numel = 1
    return tuple(new_strides) if view_d == -1 else None


# ---------------------------------------------------------------- the op specs


@dataclass(frozen=True, slots=True)
class Attr:
    """One attribute of an op: its name, the AttrValue field that carries it, its default."""

    name: str
    type: str  # "int", "float", "bool", "string", "ints" or "scalar" (a number of any kind)
    doc: str
    default: object = None
    optional: bool = True


def computes_in_result_dtype(operands: Sequence[Operand], out: TensorMeta) -> str:
    """Most ops compute in their result's dtype; a bool result of arithmetic in int64 (True +
    True is 2 before it is True again)."""
    return "int64" if out.dtype == "bool" else out.dtype


@dataclass(frozen=True, slots=True)
class OpSpec:
    """Everything about an op that needs no values.

    `infer(operands, attrs)` validates and returns the result's metadata; `grad_fn` names the
    backward node for these operands; `saves(needs, attrs)` lists the tensors the backward keeps,
    given which inputs need a gradient ("self", "other", "target" or "result"), which is
    what makes a second backward through the node fail once they are freed. `computes_in`
    is the dtype the forward receives its inputs in, given the operands and the result. A
    `variadic` op takes one or more inputs like its last declared one after the others (cat
    and stack: any number of tensors; index: self, then one or more index tensors). A `view`
    op's result shares its first input's storage, as torch's views do. The last
    `optional_inputs` inputs may be left out (a loss's weights). `refuses_grad_as`, when set,
    is the function name torch's error gives for a non-differentiable input that requires grad
    while recording (a loss's weight); empty, such an input simply gets no gradient.
    `passes_gradient(attrs)`, when set, is False where the backward gives no input a
    gradient at all (torch's undefined gradient: an order-0 norm), so a pass reaches nothing
    through the node. A `multi_output` view is one of several a torch function returns at
    once (unbind, split): torch refuses in-place writes to it, or to views of it, while
    recording, and its use once the storage it shares has been written to.
    `refuses_integer_grad` marks an op that torch differentiates into any dtype: an integer
    result (cumsum's `dtype`) of an input that requires grad while recording is torch's
    "Autograd not support dtype" error rather than a result without history.
    """

    name: str
    torch_name: str
    doc: str
    inputs: tuple[str, ...]
    differentiable: tuple[bool, ...]
    infer: Callable[[Sequence[Operand], dict], TensorMeta]
    grad_fn: Callable[[Sequence[Operand], dict], str]
    saves: Callable[[tuple[bool, ...], dict], tuple[str, ...]]
    attrs: tuple[Attr, ...] = ()
    computes_in: Callable[[Sequence[Operand], TensorMeta], str] = computes_in_result_dtype
    variadic: bool = False
    view: bool = False  # the result is a view of its first input (torch's `_base`)
    optional_inputs: int = 0
    refuses_grad_as: str = ""
    passes_gradient: Callable[[dict], bool] | None = None
    multi_output: bool = False  # one of the views a torch function returns together (split)
    refuses_integer_grad: bool = False

    @property
    def arity(self) -> int:
        return len(self.inputs)

    def input_names(self, count: int) -> tuple[str, ...]:
        """The name of each of `count` inputs."""
        return self._repeat_last(self.inputs, count)

    def differentiates(self, count: int) -> tuple[bool, ...]:
        """Whether a gradient flows to each of `count` inputs."""
        return self._repeat_last(self.differentiable, count)

    def _repeat_last(self, declared: tuple, count: int) -> tuple:
        if not self.variadic:
            return declared[:count]
        return declared[:-1] + declared[-1:] * (count - len(declared) + 1)

    def with_defaults(self, attrs: dict) -> dict:
        """`attrs` completed with defaults; unknown or missing required ones are errors."""
        names = {a.name for a in self.attrs}
        for name in attrs:
            if name not in names:
                raise InvalidArgument(f"{self.name}() got an unexpected keyword argument '{name}'")
        out = {}
        for a in self.attrs:
            if a.name in attrs:
                out[a.name] = attrs[a.name]
            elif a.optional:
                out[a.name] = a.default
            else:
                raise InvalidArgument(f"{self.name}() missing required argument '{a.name}'")
        return out


SPECS: dict[str, OpSpec] = {}


def _register(spec: OpSpec) -> None:
    SPECS[spec.name] = spec


def _named(name: str) -> Callable[[Sequence[Operand], dict], str]:
    return lambda operands, attrs: name


def _nothing(needs: tuple[bool, ...], attrs: dict) -> tuple[str, ...]:
    return ()


def _result(needs: tuple[bool, ...], attrs: dict) -> tuple[str, ...]:
    return ("result",)


def _self(needs: tuple[bool, ...], attrs: dict) -> tuple[str, ...]:
    return ("self",)


def _self_and_result(needs: tuple[bool, ...], attrs: dict) -> tuple[str, ...]:
    return ("self", "result")


def _indices(needs: tuple[bool, ...], attrs: dict) -> tuple[str, ...]:
    return ("indices",)


def _index(needs: tuple[bool, ...], attrs: dict) -> tuple[str, ...]:
    return ("index",)


def _tensors(operands: Sequence[Operand]) -> list[TensorMeta]:
    return [o for o in operands if isinstance(o, TensorMeta)]


def _check_operands(name: str, operands: Sequence[Operand], arity: int, optional: int = 0) -> None:
    if not arity - optional <= len(operands) <= arity:
        takes = f"{arity - optional} to {arity}" if optional else f"{arity}"
        raise InvalidArgument(f"{name}() takes {takes} inputs but {len(operands)} were given")


def _require_tensor(name: str, operand: Operand, position: int) -> TensorMeta:
    if not isinstance(operand, TensorMeta):
        raise InvalidArgument(
            f"{name}(): argument {position} must be Tensor, not {type(operand).__name__}"
        )
    return operand


# ---- elementwise binary ops: a tensor and a tensor or a Python number, broadcast


def _binary_infer(name: str, result_float: bool = False):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 2)
        tensors = _tensors(operands)
        if not tensors:
            raise InvalidArgument(f"{name}(): at least one input must be a Tensor")
        if attrs.get("scalar_overload") and isinstance(operands[1], TensorMeta):
            raise InvalidArgument(f"{name}(): scalar_overload takes a number as other")
        shape = broadcast_shapes(*(t.shape for t in tensors))
        dtype = result_type(operands)
        kinds = [o.dtype if isinstance(o, TensorMeta) else scalar_dtype(o) for o in operands]
        if name == "rsub" and not isinstance(operands[0], TensorMeta):
            alpha = attrs["alpha"]
            given = not (type(alpha) is int and alpha == 1)
            raise rsub_arguments_error(type(operands[0]).__name__, "Tensor", alpha, given)
        if name in ("sub", "rsub") and kinds == ["bool", "bool"]:
            raise DtypeMismatch(
                "Subtraction, the `-` operator, with two bool tensors is not supported. "
                "Use the `^` or `logical_xor()` operator instead."
            )
        if name in ("sub", "rsub") and "bool" in kinds:
            raise DtypeMismatch(
                "Subtraction, the `-` operator, with a bool tensor is not supported. "
                "If you are trying to invert a mask, use the `~` or `logical_not()` "
                "operator instead."
            )
        if name in ("add", "sub", "rsub"):
            _check_alpha(attrs["alpha"], dtype)
        rounding = attrs.get("rounding_mode")
        if rounding:
            check_rounding_mode(rounding)
            if dtype == "bool":
                raise Unsupported(f"\"div_{rounding}_cpu\" not implemented for 'Bool'")
        if name == "pow" and dtype == "bool" and isinstance(operands[1], TensorMeta):
            raise Unsupported("\"pow\" not implemented for 'Bool'")
        exponent = operands[1]
        if name == "pow" and is_integer(dtype) and type(exponent) is int and exponent < 0:
            raise ComputeError("Integers to negative integer powers are not allowed.")
        if result_float and not rounding and not is_float(dtype):
            dtype = default_float()
        return meta(shape, dtype)

    return infer


def check_rounding_mode(rounding_mode: str) -> None:
    """torch's error for a rounding mode div does not know ('' is None: true division)."""
    if rounding_mode not in ("", "trunc", "floor"):
        raise ComputeError(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"'{rounding_mode}'"
        )


def rsub_arguments_error(input: str, other: str, alpha: object, given: bool) -> InvalidArgument:
    """torch's TypeError for torch.rsub arguments that fit neither signature (the kinds of
    `input` and `other` named), which blames an `alpha` keyword whenever one is `given`."""
    return InvalidArgument(
        f"rsub() received an invalid combination of arguments - got ({input}, {other}"
        f"{f', alpha={type(alpha).__name__}' if given else ''}), but expected one of:\n"
        " * (Tensor input, Tensor other, *, Number alpha = 1)\n"
        " * (Tensor input, Number other, Number alpha = 1)\n"
        + ("      didn't match because some of the keywords were incorrect: alpha\n" * given)
    )


def _check_alpha(alpha: object, dtype: str) -> None:
    """torch's alpha_check: a bool alpha only for a bool result, an integral one for an
    integral result."""
    if type(alpha) is bool and dtype != "bool":
        raise DtypeMismatch("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, float) and not is_float(dtype):
        raise DtypeMismatch(
            "For integral input tensors, argument alpha must not be a floating point number."
        )


def _pow_grad_fn(operands: Sequence[Operand], attrs: dict) -> str:
    base, exponent = operands
    if not isinstance(base, TensorMeta):
        return "PowBackward2"
    return "PowBackward1" if isinstance(exponent, TensorMeta) else "PowBackward0"


def _pow_saves(needs: tuple[bool, ...], attrs: dict) -> tuple[str, ...]:
    # pow.Tensor_Scalar saves self; pow.Tensor_Tensor self, exponent and result;
    # pow.Scalar exponent and result. Any of them makes the node freeable.
    return ("self", "other", "result")


def _rsub_grad_fn(operands: Sequence[Operand], attrs: dict) -> str:
    # rsub.Tensor (a tensor `other`) is RsubBackward0, rsub.Scalar (a number) RsubBackward1.
    return "RsubBackward0" if isinstance(operands[1], TensorMeta) else "RsubBackward1"


def _mul_saves(needs: tuple[bool, ...], attrs: dict) -> tuple[str, ...]:
    if attrs.get("scalar_overload"):  # mul.Scalar keeps its number, no tensor
        return ()
    return (("other",) if needs[0] else ()) + (("self",) if needs[1] else ())


def _div_saves(needs: tuple[bool, ...], attrs: dict) -> tuple[str, ...]:
    if attrs.get("scalar_overload"):  # div.Scalar keeps its number, no tensor
        return ()
    return ("self", "other") if needs[1] else ("other",)


def _scalar_overload_grad_fn(name: str):
    """torch's `add.Tensor`/`sub.Tensor`/`mul.Tensor`/`div.Tensor` node (Python's `x * 2`
    wraps the number as a tensor), or with `scalar_overload` the `.Scalar` overload's node,
    which torch's C++ compositions (cross_entropy's label smoothing, say) record."""

    def grad_fn(operands: Sequence[Operand], attrs: dict) -> str:
        return f"{name}Backward1" if attrs.get("scalar_overload") else f"{name}Backward0"

    return grad_fn


def _div_grad_fn(operands: Sequence[Operand], attrs: dict) -> str:
    """DivBackward0/1 as add's; with a rounding mode div.Tensor_mode's DivBackward2, or
    div.Scalar_mode's DivBackward3."""
    if attrs.get("rounding_mode"):
        return "DivBackward3" if attrs.get("scalar_overload") else "DivBackward2"
    return _scalar_overload_grad_fn("Div")(operands, attrs)


_ROUNDING_MODE = Attr(
    "rounding_mode",
    "string",
    "'' (true division), 'trunc' (toward zero; C's integer division) or 'floor' (toward "
    "-inf; Python's //). Rounded, the result keeps the promoted dtype (integers stay "
    "integers, an integer division by zero is torch's ZeroDivisionError) and the gradient is 0.",
    "",
)

_SCALAR_OVERLOAD = Attr(
    "scalar_overload",
    "bool",
    "`other` is a number taken as torch's Scalar overload: the node is the op's Backward1.",
    False,
)

_ALPHA = Attr(
    "alpha",
    "scalar",
    "The factor of the scaled operand (other; self for rsub), applied in the computing dtype "
    "and rounded once with the sum (a fused multiply-add); a bool result takes it as a bool.",
    1,
)

_BINARY = {
    # name: (torch name, grad_fn namer, saves, differentiable, result is floating, doc)
    "add": (
        "torch.add",
        _scalar_overload_grad_fn("Add"),
        _nothing,
        (True, True),
        False,
        "self + alpha other",
    ),
    "sub": (
        "torch.sub",
        _scalar_overload_grad_fn("Sub"),
        _nothing,
        (True, True),
        False,
        "self - alpha other",
    ),
    "rsub": ("torch.rsub", _rsub_grad_fn, _nothing, (True, True), False, "other - alpha self"),
    "mul": (
        "torch.mul",
        _scalar_overload_grad_fn("Mul"),
        _mul_saves,
        (True, True),
        False,
        "self * other",
    ),
    "div": (
        "torch.div",
        _div_grad_fn,
        _div_saves,
        (True, True),
        True,
        "self / other",
    ),
    "pow": ("torch.pow", _pow_grad_fn, _pow_saves, (True, True), False, "self ** other"),
}
for _name, (_torch, _gfn, _saves, _diff, _float, _doc) in _BINARY.items():
    _register(
        OpSpec(
            _name,
            _torch,
            f"Elementwise {_doc}, broadcasting; either input may be a number.",
            ("self", "other"),
            _diff,
            _binary_infer(_name, _float),
            _gfn,
            _saves,
            (_ALPHA,) * (_name in ("add", "sub", "rsub"))
            + (_SCALAR_OVERLOAD,) * (_name in ("add", "sub", "mul", "div"))
            + (_ROUNDING_MODE,) * (_name == "div"),
            # a bool sum reaches add's forward as bool, so that it takes alpha as a bool
            (lambda operands, out: out.dtype) if _name == "add" else computes_in_result_dtype,
        )
    )


# ---- comparisons: bool results, no gradient; compared in the operands' promoted dtype


def _compare_infer(name: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 2)
        if not isinstance(operands[0], TensorMeta):
            raise InvalidArgument(
                f"{name}() received an invalid combination of arguments - got "
                f"({type(operands[0]).__name__}, Tensor), but expected one of:\n"
                " * (Tensor input, Tensor other, *, Tensor out = None)\n"
                " * (Tensor input, Number other, *, Tensor out = None)\n"
            )
        return meta(broadcast_shapes(*(t.shape for t in _tensors(operands))), "bool")

    return infer


_COMPARISONS = {
    "eq": "self == other",
    "ne": "self != other",
    "lt": "self < other",
    "le": "self <= other",
    "gt": "self > other",
    "ge": "self >= other",
}
for _name, _doc in _COMPARISONS.items():
    _register(
        OpSpec(
            _name,
            f"torch.{_name}",
            f"Elementwise {_doc} as bool, broadcasting, compared in the promoted dtype of the "
            "inputs (`other` may be a number); not differentiable.",
            ("self", "other"),
            (False, False),
            _compare_infer(_name),
            _named(""),
            _nothing,
            computes_in=lambda operands, out: result_type(operands),
        )
    )


# ---- elementwise extremes: maximum and minimum of two tensors, clamp to number bounds


def _two_tensors(name: str, operands: Sequence[Operand]) -> tuple[TensorMeta, TensorMeta]:
    """The operands of a function of two tensors (input, other), with torch's error for a
    number in either place."""
    _check_operands(name, operands, 2)
    for i, (o, arg) in enumerate(zip(operands, ("input", "other"), strict=True)):
        if not isinstance(o, TensorMeta):
            raise InvalidArgument(
                f"{name}(): argument '{arg}' (position {i + 1}) must be Tensor, not "
                f"{type(o).__name__}"
            )
    return operands[0], operands[1]


def _extreme_of_two_infer(name: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        a, b = _two_tensors(name, operands)
        return meta(broadcast_shapes(a.shape, b.shape), result_type(operands))

    return infer


for _name, _title, _which in (("maximum", "Maximum", "larger"), ("minimum", "Minimum", "smaller")):
    _register(
        OpSpec(
            _name,
            f"torch.{_name}",
            f"Elementwise the {_which} of two tensors, broadcasting (nan if either is nan); "
            "where they are equal each gets half the gradient.",
            ("self", "other"),
            (True, True),
            _extreme_of_two_infer(_name),
            _named(f"{_title}Backward0"),
            lambda needs, attrs: ("self", "other"),
        )
    )


# ---- elementwise functions of two: atan2, hypot, remainder, fmod, xlogy; lerp of three


def _angle_infer(name: str):
    """atan2 or hypot: two tensors, broadcast, in their promoted dtype (atan2 takes integers
    and bools to float32; hypot refuses them, as torch's kernel)."""

    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        a, b = _two_tensors(name, operands)
        shape = broadcast_shapes(a.shape, b.shape)
        dtype = result_type(operands)
        if not is_float(dtype):
            if name == "hypot":
                raise Unsupported(f"\"hypot_cpu\" not implemented for '{TORCH_TYPE_NAME[dtype]}'")
            dtype = default_float()
        return meta(shape, dtype)

    return infer


_register(
    OpSpec(
        "atan2",
        "torch.atan2",
        "Elementwise the angle of the point (other, self), in (-π, π], broadcasting; integers "
        "and bools give float32. The gradient: g other / (self² + other²) for self, "
        "-g self / (self² + other²) for other (0 where self² + other² is 0).",
        ("self", "other"),
        (True, True),
        _angle_infer("atan2"),
        _named("Atan2Backward0"),
        lambda needs, attrs: ("self", "other"),
    )
)
_register(
    OpSpec(
        "hypot",
        "torch.hypot",
        "Elementwise sqrt(self² + other²) of floating tensors, broadcasting. The gradient: "
        "g self / result for self, g other / result for other.",
        ("self", "other"),
        (True, True),
        _angle_infer("hypot"),
        _named("HypotBackward0"),
        lambda needs, attrs: ("self", "other", "result"),
    )
)


def _heaviside_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.heaviside's checks in its order: one dtype for both, then their broadcast."""
    a, b = _two_tensors("heaviside", operands)
    if a.dtype != b.dtype:
        raise DtypeMismatch("heaviside is not yet implemented for tensors with different dtypes.")
    return meta(broadcast_shapes(a.shape, b.shape), a.dtype)


_register(
    OpSpec(
        "heaviside",
        "torch.heaviside",
        "Elementwise 0 where self < 0 (or nan), `values` where self == 0, 1 where self > 0, "
        "broadcasting, self and values of one dtype. torch records no derivative for it: its "
        "NotImplemented node, whose backward fails.",
        ("self", "values"),
        (True, True),
        _heaviside_infer,
        _named("torch::autograd::NotImplemented"),
        _nothing,
    )
)


def _floor_divide_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("floor_divide", operands, 2)
    tensors = _tensors(operands)
    if not tensors:
        raise InvalidArgument("floor_divide(): at least one input must be a Tensor")
    dtype = result_type(operands)
    if dtype == "bool":
        raise Unsupported("\"div_floor_cpu\" not implemented for 'Bool'")
    return meta(broadcast_shapes(*(t.shape for t in tensors)), dtype)


_register(
    OpSpec(
        "floor_divide",
        "torch.floor_divide",
        "Elementwise floor(self / other) (Python's //), broadcasting, in the promoted dtype, "
        "as div(rounding_mode='floor'); an integer division by zero is torch's "
        "ZeroDivisionError. torch records no derivative for it: its NotImplemented node.",
        ("self", "other"),
        (True, True),
        _floor_divide_infer,
        _named("torch::autograd::NotImplemented"),
        _nothing,
    )
)


def _modulo_infer(name: str):
    """remainder or fmod: a tensor and a tensor or a number (remainder's self may be the
    number), in their promoted dtype; bools only with a number promoting them."""

    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 2)
        tensors = _tensors(operands)
        if not tensors or (name == "fmod" and not isinstance(operands[0], TensorMeta)):
            kinds = ", ".join(
                "Tensor" if isinstance(o, TensorMeta) else type(o).__name__ for o in operands
            )
            raise InvalidArgument(
                f"{name}() received an invalid combination of arguments - got ({kinds}), but "
                "expected one of:\n * (Tensor input, Tensor other, *, Tensor out = None)\n"
                + " * (Number self, Tensor other)\n" * (name == "remainder")
                + " * (Tensor input, Number other, *, Tensor out = None)\n"
            )
        dtype = result_type(operands)
        if dtype == "bool":
            raise Unsupported(f"\"{name}_cpu\" not implemented for 'Bool'")
        return meta(broadcast_shapes(*(t.shape for t in tensors)), dtype)

    return infer


def _modulo_grad_fn(title: str):
    """...Backward1 for a tensor divisor, ...Backward0 for a number; torch records no
    derivative of remainder(number, tensor): its NotImplemented node."""

    def grad_fn(operands: Sequence[Operand], attrs: dict) -> str:
        if not isinstance(operands[0], TensorMeta):
            return "torch::autograd::NotImplemented"
        return f"{title}Backward1" if isinstance(operands[1], TensorMeta) else f"{title}Backward0"

    return grad_fn


for _name, _title, _rounding in (
    ("remainder", "Remainder", "floor (the sign of other; Python's %)"),
    ("fmod", "Fmod", "trunc (the sign of self; C's fmod)"),
):
    _register(
        OpSpec(
            _name,
            f"torch.{_name}",
            f"Elementwise self - other {_rounding}(self / other), broadcasting, in the promoted "
            "dtype; an integer division by zero is torch's ZeroDivisionError. The gradient: g "
            f"for self, -g {_rounding.split()[0]}(self / other) for a tensor other"
            + (
                " (a number self records torch's NotImplemented node)."
                if _name == "remainder"
                else "."
            ),
            ("self", "other"),
            (True, True),
            _modulo_infer(_name),
            _modulo_grad_fn(_title),
            lambda needs, attrs: ("self", "other") if needs[1] else (),
        )
    )


def _xlogy_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("xlogy", operands, 2)
    tensors = _tensors(operands)
    if not tensors:
        raise InvalidArgument("xlogy(): at least one input must be a Tensor")
    dtype = result_type(operands)
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return meta(shape, dtype if is_float(dtype) else default_float())


def _xlogy_grad_fn(operands: Sequence[Operand], attrs: dict) -> str:
    if not isinstance(operands[0], TensorMeta):
        return "XlogyBackward1"
    return "XlogyBackward0" if isinstance(operands[1], TensorMeta) else "XlogyBackward2"


_register(
    OpSpec(
        "xlogy",
        "torch.xlogy",
        "Elementwise self ln(other): 0 where self is 0, nan where other is nan; either may be "
        "a number; integers and bools give float32. The gradient: xlogy(g, other) for self (0 "
        "where self is 0 and other <= 0), g self / other for other.",
        ("self", "other"),
        (True, True),
        _xlogy_infer,
        _xlogy_grad_fn,
        lambda needs, attrs: ("self", "other"),
    )
)


def _lerp_infer(name: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        tensor_weight = name == "lerp_tensor"
        _check_operands(name, operands, 3 if tensor_weight else 2)
        _check_scalars([attrs.get("weight")])
        x, *others = (_require_tensor("lerp", o, i) for i, o in enumerate(operands))
        for arg, o in zip(("end", "weight"), others, strict=False):
            if o.dtype != x.dtype:
                raise DtypeMismatch(
                    f"expected dtype {C_TYPE_NAME[x.dtype]} for `{arg}` but got dtype "
                    f"{C_TYPE_NAME[o.dtype]}"
                )
        if not is_float(x.dtype):
            kernel = "tensor" if tensor_weight else "scalar"
            raise Unsupported(
                f"\"lerp_kernel_{kernel}\" not implemented for '{TORCH_TYPE_NAME[x.dtype]}'"
            )
        return meta(broadcast_shapes(x.shape, *(o.shape for o in others)), x.dtype)

    return infer


_LERP_DOC = (
    "Elementwise self + weight (end - self) of floating tensors of one dtype, broadcasting, "
    "computed as torch's: fma(weight, end - self, self) for |weight| < 0.5, else "
    "fma(weight - 1, end - self, end). The gradient: g (1 - weight) for self, g weight for end"
)
_register(
    OpSpec(
        "lerp",
        "torch.lerp",
        f"{_LERP_DOC}; `weight` is a number.",
        ("self", "end"),
        (True, True),
        _lerp_infer("lerp"),
        _named("LerpBackward0"),
        _nothing,
        (Attr("weight", "scalar", "The weight of end.", optional=False),),
    )
)
_register(
    OpSpec(
        "lerp_tensor",
        "torch.lerp",
        f"{_LERP_DOC}, g (end - self) for weight, a tensor of self's dtype.",
        ("self", "end", "weight"),
        (True, True, True),
        _lerp_infer("lerp_tensor"),
        _named("LerpBackward1"),
        lambda needs, attrs: ("self", "end", "weight"),
    )
)


def _pointwise_infer(name: str):
    """addcmul or addcdiv: three tensors, broadcast, in their promoted dtype."""

    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 3)
        _check_scalars([attrs["value"]])
        tensors = [_require_tensor(name, o, i) for i, o in enumerate(operands)]
        dtype = result_type(tensors)
        integral = [not is_float(t.dtype) for t in tensors[1:]]
        if name == "addcdiv" and all(integral):
            raise ComputeError(
                "Integer division with addcdiv is no longer supported, and in a future  release "
                "addcdiv will perform a true division of tensor1 and tensor2. The historic "
                "addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 / "
                "tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / "
                "tensor2) for float inputs. The future addcdiv behavior is just the latter "
                "implementation: (input + value * tensor1 / tensor2), for all dtypes."
            )
        if dtype == "bool":
            raise Unsupported(f"\"{name}_cpu_out\" not implemented for 'Bool'")
        return meta(broadcast_shapes(*(t.shape for t in tensors)), dtype)

    return infer


_VALUE = Attr("value", "scalar", "The factor of the product or quotient, in the result's dtype.", 1)
_register(
    OpSpec(
        "addcmul",
        "torch.addcmul",
        "Elementwise self + value tensor1 tensor2, broadcasting, in the promoted dtype (value "
        "cast to it; bools refused). The gradient: g, g tensor2 value, g tensor1 value.",
        ("self", "tensor1", "tensor2"),
        (True, True, True),
        _pointwise_infer("addcmul"),
        _named("AddcmulBackward0"),
        lambda needs, attrs: ("tensor2",) * needs[1] + ("tensor1",) * needs[2],
        (_VALUE,),
    )
)
_register(
    OpSpec(
        "addcdiv",
        "torch.addcdiv",
        "Elementwise self + value tensor1 / tensor2, broadcasting, in the promoted dtype "
        "(integer tensor1 and tensor2 refused with torch's message). The gradient: g, "
        "g value / tensor2, -g value tensor1 / tensor2².",
        ("self", "tensor1", "tensor2"),
        (True, True, True),
        _pointwise_infer("addcdiv"),
        _named("AddcdivBackward0"),
        lambda needs, attrs: ("tensor1", "tensor2"),  # even for self alone, as torch's
        (_VALUE,),
    )
)


def _clamp_infer(name: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 1)
        x = _require_tensor(name, operands[0], 0)
        bounds = [attrs[b] for b in ("min", "max") if attrs.get(b) is not None]
        if not bounds:
            raise ShapeMismatch("torch.clamp: At least one of 'min' or 'max' must not be None")
        dtype = result_type([x, *bounds])
        if dtype == "bool":  # torch names the kernel by the bounds given
            given = [b for b in ("min", "max") if attrs.get(b) is not None]
            kernel = "clamp" if len(given) == 2 else f"clamp_{given[0]}"
            raise Unsupported(f"\"{kernel}_scalar_cpu\" not implemented for 'Bool'")
        overflow = next(filter(None, (scalar_overflow(b, dtype) for b in bounds)), None)
        if overflow:
            raise DtypeMismatch(overflow)
        return meta(x.shape, dtype)

    return infer


for _name, _title, _bounds in (
    ("clamp", "ClampBackward1", ("min", "max")),
    ("clamp_min", "ClampMinBackward0", ("min",)),
    ("clamp_max", "ClampMaxBackward0", ("max",)),
):
    _register(
        OpSpec(
            _name,
            f"torch.{_name}",
            f"Elementwise min(max(x, min), max) with number bounds ({' and '.join(_bounds)}; "
            "nan stays nan); the gradient passes where min <= x <= max.",
            ("self",),
            (True,),
            _clamp_infer(_name),
            _named(_title),
            _self,
            tuple(
                Attr(
                    b,
                    "scalar",
                    f"The {'lower' if b == 'min' else 'upper'} bound.",
                    optional=_name == "clamp",
                )
                for b in _bounds
            ),
        )
    )


def _clamp_tensors_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("clamp_tensors", operands, 3)
    x = _require_tensor("clamp_tensors", operands[0], 0)
    has = (attrs["has_min"], attrs["has_max"])
    given = [(i, o) for i, (o, h) in enumerate(zip(operands[1:], has, strict=True), 1) if h]
    if not given:
        raise ShapeMismatch("torch.clamp: At least one of 'min' or 'max' must not be None")
    bounds = [_require_tensor("clamp_tensors", o, i) for i, o in given]
    shape = broadcast_shapes(x.shape, *(b.shape for b in bounds))
    dtype = result_type([x, *bounds])
    if dtype == "bool" and len(bounds) == 2:  # one bound alone is a maximum or minimum
        raise Unsupported("\"clamp_cpu\" not implemented for 'Bool'")
    return meta(shape, dtype)


_register(
    OpSpec(
        "clamp_tensors",
        "torch.clamp",
        "min(max(x, min), max) with tensor bounds (`has_min`, `has_max` say which are given; an "
        "absent one is any number), all broadcast and promoted together; the gradient reaches "
        "x where min <= x <= max, min where x < min < max, max where x > max or max < min.",
        ("self", "min", "max"),
        (True, True, True),
        _clamp_tensors_infer,
        _named("ClampBackward0"),
        lambda needs, attrs: ("self", "min", "max") if any(needs) else (),
        (
            Attr("has_min", "bool", "Whether min is given.", False),
            Attr("has_max", "bool", "Whether max is given.", False),
        ),
    )
)


for _name, _title, _bound, _doc in (
    ("clamp_min_tensor", "ClampMinBackward1", "min", "max(x, min)"),
    ("clamp_max_tensor", "ClampMaxBackward1", "max", "min(x, max)"),
):
    _register(
        OpSpec(
            _name,
            f"torch.{_name.removesuffix('_tensor')}",
            f"Elementwise {_doc} with a tensor bound (torch's {_name[:9]}.Tensor), broadcast "
            "and promoted (nan propagates); the gradient reaches x where the bound holds it, "
            f"else {_bound}.",
            ("self", _bound),
            (True, True),
            _extreme_of_two_infer(_name),
            _named(_title),
            lambda needs, attrs, bound=_bound: ("self", bound) if any(needs) else (),
        )
    )


# ---- elementwise unary ops


def _unary_infer(name: str, result_float: bool):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 1)
        x = _require_tensor(name, operands[0], 0)
        if x.dtype == "bool" and name in ("neg", "abs", "relu"):
            if name == "neg":
                raise DtypeMismatch(
                    "Negation, the `-` operator, on a bool tensor is not supported. If you "
                    "are trying to invert a mask, use the `~` or `logical_not()` operator "
                    "instead."
                )
            if name == "relu":
                raise DtypeMismatch("Boolean inputs not supported for relu")
            raise Unsupported("\"abs_cpu\" not implemented for 'Bool'")
        dtype = default_float() if result_float and not is_float(x.dtype) else x.dtype
        return meta(x.shape, dtype)

    return infer


_UNARY = {
    # name: (grad_fn, saves, result is floating, doc)
    "neg": ("NegBackward0", _nothing, False, "-x"),
    "exp": ("ExpBackward0", _result, True, "e^x"),
    "log": ("LogBackward0", _self, True, "the natural logarithm of x"),
    "sqrt": ("SqrtBackward0", _result, True, "x^(1/2)"),
    "abs": ("AbsBackward0", _self, False, "|x|"),
    "relu": ("ReluBackward0", _result, False, "max(x, 0)"),
    "sigmoid": ("SigmoidBackward0", _result, True, "1 / (1 + e^-x)"),
    "tanh": ("TanhBackward0", _result, True, "tanh(x)"),
    "sin": ("SinBackward0", _self, True, "sin(x)"),
    "cos": ("CosBackward0", _self, True, "cos(x)"),
    "reciprocal": ("ReciprocalBackward0", _result, True, "1 / x"),
    "rsqrt": ("RsqrtBackward0", _result, True, "1 / x^(1/2)"),
    "log1p": ("Log1PBackward0", _self, True, "ln(1 + x)"),
    "expm1": ("Expm1Backward0", _result, True, "e^x - 1"),
    "log2": ("Log2Backward0", _self, True, "the base-2 logarithm of x"),
    "log10": ("Log10Backward0", _self, True, "the base-10 logarithm of x"),
    "erf": ("ErfBackward0", _self, True, "the error function 2/√π ∫₀ˣ e^(-t²) dt"),
    "tan": ("TanBackward0", _result, True, "tan(x)"),
    "asin": ("AsinBackward0", _self, True, "arcsin(x) (nan outside [-1, 1])"),
    "acos": ("AcosBackward0", _self, True, "arccos(x) (nan outside [-1, 1])"),
    "atan": ("AtanBackward0", _self, True, "arctan(x)"),
    "sinh": ("SinhBackward0", _self, True, "sinh(x)"),
    "cosh": ("CoshBackward0", _self, True, "cosh(x)"),
    "asinh": ("AsinhBackward0", _self, True, "arsinh(x)"),
    "acosh": ("AcoshBackward0", _self, True, "arcosh(x) (nan below 1)"),
    "atanh": ("AtanhBackward0", _self, True, "artanh(x) (nan outside [-1, 1])"),
}


def _named_by_in_place(title: str) -> Callable[[Sequence[Operand], dict], str]:
    """...Backward0, or Backward1 for torch's in-place form (the `in_place` attr)."""
    return lambda operands, attrs: f"{title}Backward{int(bool(attrs.get('in_place')))}"


# torch records their in-place forms as ...Backward1, whose backward is not implemented
UNARY_WITHOUT_IN_PLACE_DERIVATIVE = ("asinh", "acosh", "atanh")
_IN_PLACE = Attr(
    "in_place",
    "bool",
    "True for torch's in-place form: ...Backward1, whose backward raises torch's "
    "\"the derivative for 'inplace version of ...' is not implemented\" (UNSUPPORTED).",
    False,
)
for _name, (_gfn, _saves, _float, _doc) in _UNARY.items():
    _in_place_named_too = _name in UNARY_WITHOUT_IN_PLACE_DERIVATIVE
    _register(
        OpSpec(
            _name,
            f"torch.{_name}",
            f"Elementwise {_doc}.",
            ("self",),
            (True,),
            _unary_infer(_name, _float),
            _named_by_in_place(_gfn.removesuffix("Backward0"))
            if _in_place_named_too
            else _named(_gfn),
            _saves,
            (_IN_PLACE,) if _in_place_named_too else (),
        )
    )


# ---- rounding, sign and the floating-point predicates

_ROUNDING = {
    # name: (grad_fn, torch's CPU kernel name (refusing bool, or else ints too), doc)
    "floor": ("FloorBackward0", "floor_vml_cpu", "the largest integer ≤ x"),
    "ceil": ("CeilBackward0", "ceil_vml_cpu", "the smallest integer ≥ x"),
    "trunc": ("TruncBackward0", "trunc_vml_cpu", "x rounded toward 0"),
    "round": (
        "RoundBackward0",
        "round_vml_cpu",
        "x rounded to the nearest integer, halves to even; with decimals d, "
        "rint(x 10^d) / 10^d (d < 0: rint(x / 10^-d) 10^-d), in x's dtype",
    ),
    "frac": ("FracBackward0", "frac_cpu", "x - trunc(x)"),
    "sign": ("SignBackward0", "", "1, 0 or -1 as x is positive, zero (or nan) or negative"),
}


def _rounding_infer(name: str, kernel: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 1)
        x = _require_tensor(name, operands[0], 0)
        refused = (*INTEGER_DTYPES, "bool") if name == "frac" else ("bool",) if kernel else ()
        named = kernel
        if name == "round" and attrs.get("decimals") is not None:  # torch's round.decimals
            named = "round_cpu" if attrs["decimals"] else "round_vml_cpu"
            refused = (*INTEGER_DTYPES, "bool")
        if x.dtype in refused:
            raise Unsupported(f"\"{named}\" not implemented for '{TORCH_TYPE_NAME[x.dtype]}'")
        return meta(x.shape, x.dtype)

    return infer


def _round_grad_fn(operands: Sequence[Operand], attrs: dict) -> str:
    return "RoundBackward0" if attrs.get("decimals") is None else "RoundBackward1"


for _name, (_gfn, _kernel, _doc) in _ROUNDING.items():
    _register(
        OpSpec(
            _name,
            f"torch.{_name}",
            f"Elementwise {_doc}; an integer x as it is. "
            + ("The gradient passes unchanged." if _name == "frac" else "The gradient is 0."),
            ("self",),
            (True,),
            _rounding_infer(_name, _kernel),
            _round_grad_fn if _name == "round" else _named(_gfn),
            _nothing,
            (
                Attr(
                    "decimals",
                    "int",
                    "Decimal places to round to (given, even 0: torch's round.decimals, "
                    "RoundBackward1, refusing integers).",
                ),
            )
            if _name == "round"
            else (),
        )
    )


def _predicate_infer(name: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 1)
        x = _require_tensor(name, operands[0], 0)
        return meta(x.shape, "bool")

    return infer


for _name, _doc in {
    "isnan": "x is nan",
    "isinf": "x is +inf or -inf",
    "isfinite": "x is neither inf nor nan",
}.items():
    _register(
        OpSpec(
            _name,
            f"torch.{_name}",
            f"Elementwise: whether {_doc} (always False, or True for isfinite, for integers "
            "and bools). A bool result: not differentiable.",
            ("self",),
            (False,),
            _predicate_infer(_name),
            _named(""),
            _nothing,
        )
    )


# ---- logit, sinc, nan_to_num, signbit, logaddexp: elementwise, torch's own nodes


def _float_unary_infer(name: str):
    """A unary op whose integer and bool inputs give the default float dtype."""

    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 1)
        x = _require_tensor(name, operands[0], 0)
        return meta(x.shape, x.dtype if is_float(x.dtype) else default_float())

    return infer


def _same_dtype_unary_infer(name: str, result: str | None = None):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 1)
        x = _require_tensor(name, operands[0], 0)
        return meta(x.shape, result or x.dtype)

    return infer


def _logaddexp_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    a, b = _two_tensors("logaddexp", operands)
    dtype = result_type(operands)
    if not is_float(dtype):
        raise Unsupported(f"\"logaddexp_cpu\" not implemented for '{TORCH_TYPE_NAME[dtype]}'")
    return meta(broadcast_shapes(a.shape, b.shape), dtype)


_register(
    OpSpec(
        "logit",
        "torch.logit",
        "Elementwise ln(x / (1 - x)), x first clamped to [eps, 1 - eps] when eps is given; "
        "integers and bools give float32. The gradient: g / (x (1 - x)), nan outside [0, 1] "
        "(0 outside [eps, 1 - eps] with eps).",
        ("self",),
        (True,),
        _float_unary_infer("logit"),
        _named("LogitBackward0"),
        _self,
        (Attr("eps", "float", "The clamping margin; none: no clamping.", None),),
    )
)
_register(
    OpSpec(
        "sinc",
        "torch.sinc",
        "Elementwise sin(πx) / (πx), 1 at 0; integers and bools give float32. The gradient: "
        "g (πx cos(πx) - sin(πx)) / (πx²), 0 at 0.",
        ("self",),
        (True,),
        _float_unary_infer("sinc"),
        _named("SincBackward0"),
        _self,
    )
)
_register(
    OpSpec(
        "nan_to_num",
        "torch.nan_to_num",
        "Elementwise nan, +inf and -inf replaced by `nan`, `posinf` and `neginf` (by default "
        "0 and the dtype's largest and lowest finite values); integers and bools as they are. "
        "The gradient passes where x is finite.",
        ("self",),
        (True,),
        _same_dtype_unary_infer("nan_to_num"),
        _named("NanToNumBackward0"),
        _self,
        (
            Attr("nan", "float", "What replaces nan (default 0).", 0.0),
            Attr("posinf", "float", "What replaces +inf (default: the largest finite).", None),
            Attr("neginf", "float", "What replaces -inf (default: the lowest finite).", None),
        ),
        computes_in=lambda operands, out: operands[0].dtype,
    )
)
_register(
    OpSpec(
        "signbit",
        "torch.signbit",
        "Elementwise whether x's sign bit is set (-0.0 and negative nan too; False for bools). "
        "A bool result: not differentiable.",
        ("self",),
        (False,),
        _same_dtype_unary_infer("signbit", "bool"),
        _named(""),
        _nothing,
        computes_in=lambda operands, out: operands[0].dtype,
    )
)
_register(
    OpSpec(
        "logaddexp",
        "torch.logaddexp",
        "Elementwise ln(e^self + e^other), broadcasting, in the promoted floating dtype "
        "(integers and bools refused). The gradients: g / (1 + e^(other - self)) and "
        "g / (1 + e^(self - other)).",
        ("self", "other"),
        (True, True),
        _logaddexp_infer,
        _named("LogaddexpBackward0"),
        lambda needs, attrs: ("self", "other"),
    )
)


# ---- the special functions: torch.special's, the gamma family, Bessel, frexp and the
# floating-point helpers of two (copysign, nextafter, ldexp, fmax, fmin, gcd, lcm)

_SPECIAL_UNARY = {
    # name: (torch function, grad_fn, saves, doc)
    "erfc": ("torch.erfc", "ErfcBackward0", _self, "1 - erf(x). The gradient: -2/√π e^(-x²) g"),
    "erfinv": (
        "torch.erfinv",
        "ErfinvBackward0",
        _self,
        "erf⁻¹(x), nan outside [-1, 1], ±inf at ±1. The gradient: √π/2 e^(erfinv(x)²) g",
    ),
    "exp2": ("torch.exp2", "Exp2Backward0", _result, "2^x. The gradient: g 2^x ln 2"),
    "lgamma": (
        "torch.lgamma",
        "LgammaBackward0",
        _self,
        "ln |Γ(x)|, inf at the non-positive integers. The gradient: g digamma(x)",
    ),
    "digamma": (
        "torch.digamma",
        "DigammaBackward0",
        _self,
        "ψ(x) = Γ'(x) / Γ(x), ∓inf at ±0, nan at the negative integers. The gradient: "
        "g polygamma(1, x)",
    ),
    "i0": (
        "torch.i0",
        "I0Backward0",
        _self,
        "I₀(x), the modified Bessel function of order 0. The gradient: g I₁(x)",
    ),
    "deg2rad": ("torch.deg2rad", "Deg2RadBackward0", _nothing, "x π/180. The gradient: g π/180"),
    "rad2deg": ("torch.rad2deg", "Rad2DegBackward0", _nothing, "x 180/π. The gradient: g 180/π"),
    "special_ndtri": (
        "torch.special.ndtri",
        "SpecialNdtriBackward0",
        _result,
        "Φ⁻¹(x), the standard normal quantile, nan outside [0, 1], ∓inf at 0 and 1. The "
        "gradient: g √(2π) e^(result²/2)",
    ),
    "special_log_ndtr": (
        "torch.special.log_ndtr",
        "SpecialLogNdtrBackward0",
        _self_and_result,
        "ln Φ(x), the log of the standard normal CDF. The gradient: g e^-(result + x²/2) / √(2π)",
    ),
    "special_i0e": (
        "torch.special.i0e",
        "SpecialI0EBackward0",
        _self_and_result,
        "e^-|x| I₀(x). The gradient: g (i1e(x) - sgn(x) result)",
    ),
    "special_i1": (
        "torch.special.i1",
        "SpecialI1Backward0",
        _self_and_result,
        "I₁(x). The gradient: g (I₀(x) - result / x), g/2 where |x| <= the dtype's epsilon",
    ),
    "special_i1e": (
        "torch.special.i1e",
        "SpecialI1EBackward0",
        _self_and_result,
        "e^-|x| I₁(x). The gradient: g (i0e(x) - result (sgn(x) + 1/x)), g/2 where |x| <= "
        "the dtype's epsilon",
    ),
    "special_erfcx": (
        "torch.special.erfcx",
        "SpecialErfcxBackward0",
        _self_and_result,
        "e^(x²) erfc(x), the scaled complementary error function. The gradient: g (2 x "
        "result - 2/√π)",
    ),
    "special_entr": (
        "torch.special.entr",
        "SpecialEntrBackward0",
        _self,
        "-x ln x above 0, 0 at 0, -inf below. The gradient: -g (1 + ln x)",
    ),
}
for _name, (_function, _gfn, _saves, _doc) in _SPECIAL_UNARY.items():
    _register(
        OpSpec(
            _name,
            _function,
            f"Elementwise {_doc}; integers and bools give float32.",
            ("self",),
            (True,),
            _float_unary_infer(_name),
            _named(_gfn),
            _saves,
        )
    )


_SPECIAL_NOT_DIFFERENTIABLE = {
    # name: what torch.special.<name> computes (torch defines no derivative for them)
    "bessel_j0": "J₀(x), the Bessel function of the first kind of order 0",
    "bessel_j1": "J₁(x), the Bessel function of the first kind of order 1",
    "bessel_y0": "Y₀(x), the Bessel function of the second kind of order 0 (-inf at 0, nan below)",
    "bessel_y1": "Y₁(x), the Bessel function of the second kind of order 1 (-inf at 0, nan below)",
    "modified_bessel_i0": "I₀(x), the modified Bessel function of the first kind of order 0",
    "modified_bessel_i1": "I₁(x), the modified Bessel function of the first kind of order 1",
    "modified_bessel_k0": "K₀(x), the modified Bessel function of the second kind of order 0 "
    "(inf at 0, nan below)",
    "modified_bessel_k1": "K₁(x), the modified Bessel function of the second kind of order 1 "
    "(inf at 0, nan below)",
    "scaled_modified_bessel_k0": "eˣ K₀(x) (inf at 0, nan below)",
    "scaled_modified_bessel_k1": "eˣ K₁(x) (inf at 0, nan below)",
    "spherical_bessel_j0": "j₀(x) = sin(x) / x (1 at 0, 0 at ±inf)",
    "airy_ai": "Ai(x), the Airy function of the first kind (nan at ±inf)",
}
for _name, _doc in _SPECIAL_NOT_DIFFERENTIABLE.items():
    _register(
        OpSpec(
            f"special_{_name}",
            f"torch.special.{_name}",
            f"Elementwise {_doc}; integers and bools give float32. Not differentiable: the "
            "result never requires grad, as torch's.",
            ("self",),
            (False,),
            _float_unary_infer(f"special_{_name}"),
            _named(""),
            _nothing,
        )
    )


def _polygamma_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    if attrs["n"] < 0:
        raise ShapeMismatch("polygamma(n, x) does not support negative n.")
    return _float_unary_infer("polygamma")(operands, attrs)


def _mvlgamma_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("mvlgamma", operands, 1)
    if _require_tensor("mvlgamma", operands[0], 0).dtype == "bool":
        raise DtypeMismatch("The input tensor may not be a boolean tensor.")
    if attrs["p"] < 1:
        raise ShapeMismatch("p has to be greater than or equal to 1")
    return _float_unary_infer("mvlgamma")(operands, attrs)


_register(
    OpSpec(
        "polygamma",
        "torch.polygamma",
        "Elementwise ψ⁽ⁿ⁾(x), the n-th derivative of digamma (n >= 0: digamma for 0, "
        "(-1)^(n+1) n! ζ(n + 1, x) from 2); integers and bools give float32. The gradient: "
        "g polygamma(n + 1, x).",
        ("self",),
        (True,),
        _polygamma_infer,
        _named_by_in_place("Polygamma"),
        _self,
        (
            Attr("n", "int", "The order of the derivative, >= 0.", optional=False),
            Attr("in_place", "bool", "True for torch's polygamma_: PolygammaBackward1.", False),
        ),
    )
)
_register(
    OpSpec(
        "mvlgamma",
        "torch.mvlgamma",
        "Elementwise the multivariate log-gamma of dimension p: p(p-1)/4 ln π + Σⱼ lgamma(x - "
        "j/2), j = 0..p-1; integers and bools give float32. The gradient: g Σⱼ digamma(x - "
        "j/2).",
        ("self",),
        (True,),
        _mvlgamma_infer,
        _named("MvlgammaBackward0"),
        _self,
        (Attr("p", "int", "The dimension, >= 1.", optional=False),),
    )
)
_register(
    OpSpec(
        "sgn",
        "torch.sgn",
        "Elementwise sign of x as torch.sign for real dtypes (1, 0 or -1, a bool as it is). "
        "The gradient is 0 (torch's node saves self and the result all the same).",
        ("self",),
        (True,),
        _same_dtype_unary_infer("sgn"),
        _named("SgnBackward0"),
        _self_and_result,
    )
)
for _name, _doc in (("isposinf", "+inf"), ("isneginf", "-inf")):
    _register(
        OpSpec(
            _name,
            f"torch.{_name}",
            f"Elementwise whether x is {_doc} (always False for integers and bools). A bool "
            "result: not differentiable.",
            ("self",),
            (False,),
            _same_dtype_unary_infer(_name, "bool"),
            _named(""),
            _nothing,
            computes_in=lambda operands, out: operands[0].dtype,
        )
    )


def _frexp_infer(name: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 1)
        x = _require_tensor(name, operands[0], 0)
        if not is_float(x.dtype):
            raise ShapeMismatch("torch.frexp() only supports floating-point dtypes")
        return meta(x.shape, "int32" if name == "frexp_exponent" else x.dtype)

    return infer


_register(
    OpSpec(
        "frexp",
        "torch.frexp",
        "The mantissa of torch.frexp: m in [0.5, 1) with x = m 2^e (x itself at 0, ±inf and "
        "nan), of a floating x. The gradient: g / 2^e.",
        ("self",),
        (True,),
        _frexp_infer("frexp"),
        _named("FrexpBackward0"),
        _self,
    )
)
_register(
    OpSpec(
        "frexp_exponent",
        "torch.frexp",
        "The exponent of torch.frexp: e with x = m 2^e, m in [0.5, 1) (0 at 0, ±inf and nan), "
        "as int32, of a floating x; not differentiable.",
        ("self",),
        (False,),
        _frexp_infer("frexp_exponent"),
        _named(""),
        _nothing,
        computes_in=lambda operands, out: operands[0].dtype,
    )
)


def _float_of_two_infer(name: str, numbers: bool = False, integers: str = "float"):
    """A function of two tensors (or of a tensor and a number, with `numbers`), broadcast and
    promoted; an integer or bool promotion gives float32 (`integers` "float"), is refused
    as torch's kernel (`"refuse"`), or is kept (`"keep"`)."""

    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        if numbers:
            _check_operands(name, operands, 2)
            tensors = _tensors(operands)
        else:
            tensors = list(_two_tensors(name, operands))
        dtype = result_type(operands)
        if not is_float(dtype):
            if integers == "refuse":
                kernel = name.removeprefix("special_")
                raise Unsupported(
                    f"\"{kernel}_cpu\" not implemented for '{TORCH_TYPE_NAME[dtype]}'"
                )
            if integers == "float":
                dtype = default_float()
        return meta(broadcast_shapes(*(t.shape for t in tensors)), dtype)

    return infer


def _integers_of_two_infer(name: str):
    """gcd or lcm: two integer tensors, broadcast and promoted (floats and bools refused)."""

    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        a, b = _two_tensors(name, operands)
        dtype = result_type(operands)
        if is_float(dtype) or dtype == "bool":
            raise Unsupported(f"\"{name}_cpu\" not implemented for '{TORCH_TYPE_NAME[dtype]}'")
        return meta(broadcast_shapes(a.shape, b.shape), dtype)

    return infer


_register(
    OpSpec(
        "logaddexp2",
        "torch.logaddexp2",
        "Elementwise log₂(2^self + 2^other), broadcasting, in the promoted floating dtype "
        "(integers and bools refused). The gradients: g / (1 + 2^(other - self)) and "
        "g / (1 + 2^(self - other)).",
        ("self", "other"),
        (True, True),
        _float_of_two_infer("logaddexp2", integers="refuse"),
        _named("Logaddexp2Backward0"),
        lambda needs, attrs: ("self", "other"),
    )
)
for _name, _title, _which, _compare in (
    ("fmax", "Fmax", "larger", ">="),
    ("fmin", "Fmin", "smaller", "<="),
):
    _register(
        OpSpec(
            _name,
            f"torch.{_name}",
            f"Elementwise the {_which} of two tensors, broadcasting, in their promoted dtype; "
            "where one is nan the other (nan only where both are). The gradient: g to self "
            f"where self {_compare} other or other is nan, else to other.",
            ("self", "other"),
            (True, True),
            _float_of_two_infer(_name, integers="keep"),
            _named(f"{_title}Backward0"),
            lambda needs, attrs: ("self", "other"),
        )
    )


def _copysign_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """A tensor self and a tensor or number other, with torch's error for a number self."""
    _check_operands("copysign", operands, 2)
    if not isinstance(operands[0], TensorMeta):
        kinds = ", ".join(
            "Tensor" if isinstance(o, TensorMeta) else type(o).__name__ for o in operands
        )
        raise InvalidArgument(
            f"copysign() received an invalid combination of arguments - got ({kinds}), but "
            "expected one of:\n * (Tensor input, Tensor other, *, Tensor out = None)\n"
            " * (Tensor input, Number other, *, Tensor out = None)\n"
        )
    return _float_of_two_infer("copysign", numbers=True)(operands, attrs)


def _copysign_grad_fn(operands: Sequence[Operand], attrs: dict) -> str:
    return "CopysignBackward0" if isinstance(operands[1], TensorMeta) else "CopysignBackward1"


_register(
    OpSpec(
        "copysign",
        "torch.copysign",
        "Elementwise |self| with the sign of other (a tensor or a number, -0.0 and nan's sign "
        "bit too), broadcasting; integers and bools give float32. CopysignBackward0 (tensor "
        "other) or 1 (number). The gradient: g result / self for self (0 where self is 0), 0 "
        "for other.",
        ("self", "other"),
        (True, True),
        _copysign_infer,
        _copysign_grad_fn,
        lambda needs, attrs: ("self", "result"),
    )
)


_register(
    OpSpec(
        "nextafter",
        "torch.nextafter",
        "Elementwise the next floating-point value after self toward other, broadcasting, in "
        "the promoted floating dtype (integers and bools refused). The gradient, as torch's "
        "NextafterBackward0: g for self where self != other (0 where equal), 0 for other.",
        ("self", "other"),
        (True, True),
        _float_of_two_infer("nextafter", integers="refuse"),
        _named("NextafterBackward0"),
        lambda needs, attrs: ("self", "other"),
    )
)


def _ldexp_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """A floating self's fast path refuses a bool exponent, as torch's kernel."""
    result = _float_of_two_infer("ldexp")(operands, attrs)
    if is_float(operands[0].dtype) and operands[1].dtype == "bool":
        raise Unsupported("\"ldexp_cpu_exp\" not implemented for 'Bool'")
    return result


_register(
    OpSpec(
        "ldexp",
        "torch.ldexp",
        "Elementwise self 2^other, broadcasting: 2^other in other's floating dtype (the "
        "result's for integers and bools), times self in the promoted floating dtype (a "
        "floating self with a bool other refused, as torch's kernel). The gradients: g 2^other "
        "for self (an integer power for an integer other, as torch's: 0 for negative ones), g "
        "self ln 2 2^other for other.",
        ("self", "other"),
        (True, True),
        _ldexp_infer,
        _named("LdexpBackward0"),
        lambda needs, attrs: ("self", "other"),
        computes_in=lambda operands, out: out.dtype,
    )
)
for _name, _doc in (
    ("gcd", "greatest common divisor (non-negative; 0 for 0 and 0)"),
    ("lcm", "least common multiple (non-negative; 0 where either is 0)"),
):
    _register(
        OpSpec(
            _name,
            f"torch.{_name}",
            f"Elementwise the {_doc} of two integer tensors, broadcasting, in their promoted "
            "dtype (floats and bools refused). Not differentiable (integers).",
            ("self", "other"),
            (False, False),
            _integers_of_two_infer(_name),
            _named(""),
            _nothing,
        )
    )


def _tensor_or_number_infer(name: str):
    """Two operands, at least one a tensor, broadcast and promoted; integers and bools give
    float32."""

    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 2)
        if not _tensors(operands):
            raise InvalidArgument(f"{name}(): at least one input must be a Tensor")
        return _float_of_two_infer(name, numbers=True)(operands, attrs)

    return infer


def _xlog1py_grad_fn(operands: Sequence[Operand], attrs: dict) -> str:
    if not isinstance(operands[0], TensorMeta):
        return "SpecialXlog1PyBackward1"
    return "SpecialXlog1PyBackward" + ("0" if isinstance(operands[1], TensorMeta) else "2")


_register(
    OpSpec(
        "special_xlog1py",
        "torch.special.xlog1py",
        "Elementwise self ln(1 + other): 0 where self is 0, nan where other is nan; either may "
        "be a number; integers and bools give float32. SpecialXlog1PyBackward0 (tensors), 1 "
        "(number self), 2 (number other). The gradient: xlog1py(g, other) for self (0 where "
        "self is 0 and other <= -1), g self / (other + 1) for other.",
        ("self", "other"),
        (True, True),
        _tensor_or_number_infer("special_xlog1py"),
        _xlog1py_grad_fn,
        lambda needs, attrs: ("self", "other"),
    )
)


def _zeta_grad_fn(operands: Sequence[Operand], attrs: dict) -> str:
    if not isinstance(operands[0], TensorMeta):
        return "SpecialZetaBackward1"
    return "SpecialZetaBackward" + ("0" if isinstance(operands[1], TensorMeta) else "2")


_register(
    OpSpec(
        "special_zeta",
        "torch.special.zeta",
        "Elementwise the Hurwitz zeta function ζ(self, other) = Σₖ (other + k)^-self (inf at "
        "self = 1, nan below), broadcasting; either may be a number; integers and bools give "
        "float32. SpecialZetaBackward0 (tensors), 1 (number self), 2 (number other). The "
        "gradient: -g self ζ(self + 1, other) for other; for self, torch's \"the derivative "
        "for 'zeta' is not implemented.\" (UNSUPPORTED).",
        ("self", "other"),
        (True, True),
        _tensor_or_number_infer("special_zeta"),
        _zeta_grad_fn,
        lambda needs, attrs: ("self", "other"),
    )
)
for _name, _title, _doc, _sign in (
    ("igamma", "Igamma", "lower", ""),
    ("igammac", "Igammac", "upper", "-"),
):
    _register(
        OpSpec(
            _name,
            f"torch.{_name}",
            f"Elementwise the regularized {_doc} incomplete gamma function of a = self and x = "
            "other, broadcasting, in the promoted floating dtype (integers and bools refused, "
            f"as torch's kernel; nan below 0). The gradient: {_sign}g x^(a-1) e^-x / Γ(a) for "
            f"other; for self, torch's \"the derivative for '{_name}: input' is not "
            'implemented." (UNSUPPORTED).',
            ("self", "other"),
            (True, True),
            _float_of_two_infer(_name, integers="refuse"),
            _named(f"{_title}Backward0"),
            lambda needs, attrs: ("self", "other"),
        )
    )
_POLYNOMIALS = {
    # name: the polynomial of degree n (n truncated to an integer; 0 for negative n)
    "chebyshev_polynomial_t": "Tₙ(x), the Chebyshev polynomial of the first kind",
    "chebyshev_polynomial_u": "Uₙ(x), the Chebyshev polynomial of the second kind",
    "chebyshev_polynomial_v": "Vₙ(x), the Chebyshev polynomial of the third kind",
    "chebyshev_polynomial_w": "Wₙ(x), the Chebyshev polynomial of the fourth kind",
    "shifted_chebyshev_polynomial_t": "Tₙ(2x - 1), the shifted Chebyshev polynomial of the "
    "first kind",
    "shifted_chebyshev_polynomial_u": "Uₙ(2x - 1), the shifted Chebyshev polynomial of the "
    "second kind",
    "shifted_chebyshev_polynomial_v": "Vₙ(2x - 1), the shifted Chebyshev polynomial of the "
    "third kind",
    "shifted_chebyshev_polynomial_w": "Wₙ(2x - 1), the shifted Chebyshev polynomial of the "
    "fourth kind",
    "hermite_polynomial_h": "Hₙ(x), the physicists' Hermite polynomial (nan beyond n = 128 "
    "in float32, 512 in float64)",
    "hermite_polynomial_he": "Heₙ(x), the probabilists' Hermite polynomial (nan beyond n = "
    "128 in float32, 512 in float64)",
    "laguerre_polynomial_l": "Lₙ(x), the Laguerre polynomial",
    "legendre_polynomial_p": "Pₙ(x), the Legendre polynomial",
}
for _name, _doc in _POLYNOMIALS.items():
    _register(
        OpSpec(
            f"special_{_name}",
            f"torch.special.{_name}",
            f"Elementwise {_doc} of degree n = other truncated to an integer (0 for negative, "
            "nan or infinite n), as torch's recurrences and closed forms compute it in the "
            "result's dtype; x = self; either may be a number; broadcasting; integers and "
            "bools give float32. Not differentiable: the result never requires grad.",
            ("self", "other"),
            (False, False),
            _tensor_or_number_infer(f"special_{_name}"),
            _named(""),
            _nothing,
        )
    )


# ---- logical and bitwise ops, closeness


def _logical_of_two_infer(name: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        a, b = _two_tensors(name, operands)
        return meta(broadcast_shapes(a.shape, b.shape), "bool")

    return infer


for _name, _doc in {
    "logical_and": "x and y",
    "logical_or": "x or y",
    "logical_xor": "x xor y",
}.items():
    _register(
        OpSpec(
            _name,
            f"torch.{_name}",
            f"Elementwise {_doc} as bool, broadcasting, where a value is true when nonzero (nan "
            "too) in the inputs' promoted dtype; inputs of any dtype; not differentiable.",
            ("self", "other"),
            (False, False),
            _logical_of_two_infer(_name),
            _named(""),
            _nothing,
            computes_in=lambda operands, out: result_type(operands),
        )
    )
_register(
    OpSpec(
        "logical_not",
        "torch.logical_not",
        "Elementwise x == 0 as bool (nan is true, so its negation false); not differentiable.",
        ("self",),
        (False,),
        _predicate_infer("logical_not"),
        _named(""),
        _nothing,
    )
)


def _bitwise_infer(name: str, arity: int):
    """Integers and bools in the operands' promoted dtype (a number takes part as torch's
    wrapped scalar), broadcast; a floating one (or a bool one, for the shifts) is torch's
    kernel refusal."""

    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, arity)
        tensors = _tensors(operands)
        if not tensors:
            raise InvalidArgument(f"{name}(): at least one input must be a Tensor")
        shape = broadcast_shapes(*(t.shape for t in tensors))
        dtype = result_type(operands)
        if is_float(dtype) or (dtype == "bool" and name in _SHIFT_KERNELS):
            kernel = _SHIFT_KERNELS.get(name, name)
            raise Unsupported(f"\"{kernel}_cpu\" not implemented for '{TORCH_TYPE_NAME[dtype]}'")
        return meta(shape, dtype)

    return infer


_SHIFT_KERNELS = {"bitwise_left_shift": "lshift", "bitwise_right_shift": "rshift"}
for _name, _doc in {
    "bitwise_and": "self & other",
    "bitwise_or": "self | other",
    "bitwise_xor": "self ^ other",
    "bitwise_not": "~self (for bools, not self)",
    "bitwise_left_shift": "self << other (0 for a shift past the width or below 0; no bools)",
    "bitwise_right_shift": "self >> other (arithmetic; past the width or below 0, the sign)",
}.items():
    _arity = 1 if _name == "bitwise_not" else 2
    _register(
        OpSpec(
            _name,
            f"torch.{_name}",
            f"Elementwise {_doc} of integer or bool inputs, in their promoted dtype"
            + (", broadcasting; either input may be a number" if _arity == 2 else "")
            + "; not differentiable.",
            ("self", "other")[:_arity],
            (False,) * _arity,
            _bitwise_infer(_name, _arity),
            _named(""),
            _nothing,
            computes_in=lambda operands, out: out.dtype,
        )
    )


def _isclose_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    a, b = _two_tensors("isclose", operands)
    if a.dtype != b.dtype:
        raise DtypeMismatch(f"{TORCH_TYPE_NAME[a.dtype]} did not match {TORCH_TYPE_NAME[b.dtype]}")
    for tolerance in ("rtol", "atol"):
        if not attrs[tolerance] >= 0:
            raise ComputeError(
                f"{tolerance} must be greater than or equal to zero, but got "
                f"{c10_str(attrs[tolerance])}"
            )
    return meta(broadcast_shapes(a.shape, b.shape), "bool")


_register(
    OpSpec(
        "isclose",
        "torch.isclose",
        "Elementwise self == other, or |self - other| <= atol + rtol |other| where the left "
        "side is finite, as bool, broadcasting; with equal_nan two nans are close too. Inputs "
        "of one dtype, computed in it (bools in the default float dtype; an int64 difference "
        "is compared in it, as torch's); not differentiable.",
        ("self", "other"),
        (False, False),
        _isclose_infer,
        _named(""),
        _nothing,
        (
            Attr("rtol", "float", "The relative tolerance (not negative).", 1e-05),
            Attr("atol", "float", "The absolute tolerance (not negative).", 1e-08),
            Attr("equal_nan", "bool", "Whether two nans are close.", False),
        ),
        computes_in=lambda operands, out: operands[0].dtype,
    )
)


# ---- activations (torch.nn.functional's, with their attributes)

_ACTIVATION_KERNEL = {
    "leaky_relu": "leaky_relu_cpu",
    "elu": "elu_cpu",
    "celu": "elu_cpu",
    "gelu": "GeluKernelImpl",
    "silu": "silu_cpu",
    "softplus": "softplus_cpu",
    "mish": "mish_cpu",
    "hardswish": "hardswish_cpu",
    "hardsigmoid": "hardsigmoid_cpu",
    "log_sigmoid": "log_sigmoid_cpu",
    "hardshrink": "hardshrink_cpu",
    "softshrink": "softshrink_check",
}
_FLOAT_MAX_TEXT = {"float32": "3.40282e+38", "float64": "1.79769e+308"}  # C++'s << of max()
_IN_PLACE_NEGATIVE_SLOPE = {
    "leaky_relu": (
        "In-place leakyReLu backward calculation is triggered with a negative slope which is "
        "not supported. This is caused by calling in-place forward function with a negative "
        "slope, please call out-of-place version instead. File an issue at "
        "https://github.com/pytorch/pytorch if you do require supporting in-place leakRelu "
        "backward calculation with negative slope"
    ),
    "elu": (
        "In-place elu backward calculation is triggered with a negative slope which is not "
        "supported. This is caused by calling in-place forward function with a negative slope, "
        "please call out-of-place version instead."
    ),
}


def in_place_slope_error(name: str, attrs: dict) -> str | None:
    """torch's refusal, raised by the backward, of an in-place leaky_relu_ with a negative
    slope or elu_/celu_ with a negative alpha (the result does not tell the input's sign)."""
    if not attrs.get("self_is_result"):
        return None
    if name == "leaky_relu":
        return _IN_PLACE_NEGATIVE_SLOPE["leaky_relu"] if attrs["negative_slope"] < 0 else None
    return _IN_PLACE_NEGATIVE_SLOPE["elu"] if attrs["alpha"] < 0 else None


def _activation_infer(name: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 1)
        x = _require_tensor(name, operands[0], 0)
        if name == "hardtanh":
            if x.dtype == "bool":
                raise DtypeMismatch("Bool inputs not supported for hardtanh")
            if x.dtype == "uint8" and min(attrs["min_val"], attrs["max_val"]) < 0:
                raise ComputeError("cannot do hardtanh on an unsigned type with negative limits")
        elif not is_float(x.dtype):
            raise Unsupported(
                f"\"{_ACTIVATION_KERNEL[name]}\" not implemented for '{TORCH_TYPE_NAME[x.dtype]}'"
            )
        if name == "gelu" and attrs["approximate"] not in ("none", "tanh"):
            raise ComputeError("approximate argument must be either none or tanh.")
        if name == "celu" and attrs["alpha"] == 0:
            raise ComputeError("ZeroDivisionError: alpha cannot be 0 for CELU")
        if name == "softshrink" and not 0 <= attrs["lambd"] <= float(_FLOAT_MAX_TEXT[x.dtype]):
            raise ComputeError(
                f"lambda must be in range [0, {_FLOAT_MAX_TEXT[x.dtype]}] for input dtype "
                f"{TORCH_TYPE_NAME[x.dtype]}, but found {attrs['lambd']:g}"
            )
        return meta(x.shape, x.dtype)

    return infer


def _in_place_named(title: str) -> Callable[[Sequence[Operand], dict], str]:
    """Backward0, or Backward1 for torch's in-place form, whose node saves the result."""
    return lambda operands, attrs: f"{title}Backward{1 if attrs.get('self_is_result') else 0}"


def _self_or_result(needs: tuple[bool, ...], attrs: dict) -> tuple[str, ...]:
    return ("result",) if attrs.get("self_is_result") else ("self",)


_SELF_IS_RESULT = Attr(
    "self_is_result",
    "bool",
    "True for torch's in-place form: the node is ...Backward1 and saves the result, not x.",
    False,
)
_ACTIVATIONS = {
    # name: (grad_fn, saves, doc, attrs)
    "leaky_relu": (
        _in_place_named("LeakyRelu"),
        _self_or_result,
        "x where x > 0, else negative_slope x",
        (Attr("negative_slope", "float", "The slope below 0.", 0.01), _SELF_IS_RESULT),
    ),
    "elu": (
        _in_place_named("Elu"),
        _self_or_result,
        "scale x where x > 0, else scale alpha (e^(input_scale x) - 1) (selu: alpha "
        "1.6732632423543772848170429916717, scale 1.0507009873554804934193349852946)",
        (
            Attr("alpha", "float", "The negative part's factor.", 1.0),
            Attr("scale", "float", "The factor of the whole.", 1.0),
            Attr("input_scale", "float", "The factor of x in the exponential.", 1.0),
            _SELF_IS_RESULT,
        ),
    ),
    "celu": (
        _in_place_named("Celu"),
        _self_or_result,
        "x where x > 0, else alpha (e^(x / alpha) - 1)",
        (Attr("alpha", "float", "The negative part's factor (not 0).", 1.0), _SELF_IS_RESULT),
    ),
    "gelu": (
        _named("GeluBackward0"),
        _self,
        "x Φ(x), Φ the standard normal CDF; with approximate 'tanh', "
        "x (1 + tanh(√(2/π) (x + 0.044715 x³))) / 2",
        (Attr("approximate", "string", "'none' (default) or 'tanh'.", "none"),),
    ),
    "silu": (_named("SiluBackward0"), _self, "x sigmoid(x)", ()),
    "softplus": (
        _named("SoftplusBackward0"),
        _self,
        "ln(1 + e^(beta x)) / beta, or x where beta x > threshold",
        (
            Attr("beta", "float", "The sharpness.", 1.0),
            Attr("threshold", "float", "Above it (beta x), the identity.", 20.0),
        ),
    ),
    "mish": (_named("MishBackward0"), _self, "x tanh(ln(1 + e^x))", ()),
    "hardswish": (_named("HardswishBackward0"), _self, "x min(max(x + 3, 0), 6) / 6", ()),
    "hardsigmoid": (_named("HardsigmoidBackward0"), _self, "min(max(x + 3, 0), 6) / 6", ()),
    "log_sigmoid": (
        _named("LogSigmoidBackward0"),
        _self,
        "ln σ(x) = min(x, 0) - ln(1 + e^-|x|)",
        (),
    ),
    "hardshrink": (
        _named("HardshrinkBackward0"),
        _self,
        "0 where -lambd <= x <= lambd, else x",
        (Attr("lambd", "float", "The half-width of the zeroed band.", 0.5),),
    ),
    "softshrink": (
        _named("SoftshrinkBackward0"),
        _self,
        "x - lambd above lambd, x + lambd below -lambd, else 0 (x·0)",
        (Attr("lambd", "float", "The half-width of the zeroed band (0 to the dtype's max).", 0.5),),
    ),
    "hardtanh": (
        _named("HardtanhBackward0"),
        _self,
        "x clamped to [min_val, max_val] (bounds truncated for int64); the gradient passes "
        "strictly inside",
        (
            Attr("min_val", "float", "The lower bound.", -1.0),
            Attr("max_val", "float", "The upper bound.", 1.0),
        ),
    ),
}
for _name, (_gfn, _saves, _doc, _attrs) in _ACTIVATIONS.items():
    _register(
        OpSpec(
            _name,
            "torch.nn.functional.logsigmoid"
            if _name == "log_sigmoid"
            else f"torch.nn.functional.{_name}",
            f"Elementwise {_doc}.",
            ("self",),
            (True,),
            _activation_infer(_name),
            _gfn,
            _saves,
            _attrs,
        )
    )


def _threshold_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("threshold", operands, 1)
    x = _require_tensor("threshold", operands[0], 0)
    if x.dtype == "bool":
        raise Unsupported("\"threshold_cpu\" not implemented for 'Bool'")
    for number in ("threshold", "value"):
        overflow = scalar_overflow(attrs[number], x.dtype)
        if overflow:
            raise DtypeMismatch(overflow)
    return meta(x.shape, x.dtype)


_register(
    OpSpec(
        "threshold",
        "torch.nn.functional.threshold",
        "Elementwise value where x <= threshold, else x (both numbers taken in x's dtype, "
        "integers truncated; nan stays nan); the gradient passes where x > threshold.",
        ("self",),
        (True,),
        _threshold_infer,
        _named_by_in_place("Threshold"),
        _self,
        (
            Attr(
                "threshold", "scalar", "The bound at and below which x is replaced.", optional=False
            ),
            Attr("value", "scalar", "What replaces x there.", optional=False),
            Attr(
                "in_place",
                "bool",
                "True for torch's threshold_, whose node is ThresholdBackward1 (it saves x "
                "as it was).",
                False,
            ),
        ),
    )
)


def _require_same_prelu_dtype(x: TensorMeta, w: TensorMeta) -> None:
    if x.dtype != w.dtype:
        raise DtypeMismatch(
            f"prelu: Type promoting not supported. Got {TORCH_TYPE_NAME[x.dtype]} and "
            f"{TORCH_TYPE_NAME[w.dtype]}"
        )


def prelu_weight_shape(x: TensorMeta, w: TensorMeta) -> tuple[int, ...] | None:
    """torch.prelu's checks, in its order, and the shape its weight is reshaped to so that
    it broadcasts over x's dim 1 (None where the ranks already agree)."""
    _require_same_prelu_dtype(x, w)
    if w.numel != 1:
        if x.ndim == 0:
            raise ShapeMismatch("Not allow zero-dim input tensor.")
        channels = x.shape[1] if x.ndim > 1 else 1
        if channels != w.numel:
            raise ShapeMismatch(
                "Mismatch of parameter numbers and input channel size. Found parameter "
                f"numbers = {w.numel} and channel size = {channels}."
            )
    if w.ndim > 1:
        raise ShapeMismatch(
            f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {w.ndim}"
        )
    if x.ndim == w.ndim:
        return None
    return tuple(w.numel if i == 1 else 1 for i in range(x.ndim))


def _prelu_kernel_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.prelu's dtype check and its kernel's; prelu's shape checks and the weight's
    reshape to broadcast over dim 1 are the caller's (prelu_weight_shape)."""
    x, w = _two_tensors("_prelu_kernel", operands)
    _require_same_prelu_dtype(x, w)
    if not is_float(x.dtype):
        raise Unsupported(f"\"prelu_cpu\" not implemented for '{TORCH_TYPE_NAME[x.dtype]}'")
    return meta(broadcast_shapes(x.shape, w.shape), x.dtype)


_register(
    OpSpec(
        "prelu_kernel",
        "torch._prelu_kernel",
        "Elementwise x where x > 0, else weight x, broadcasting (torch.prelu's kernel, "
        "its weight already shaped to broadcast over dim 1); the gradient is g or weight g "
        "for x, 0 or x g for the weight.",
        ("self", "weight"),
        (True, True),
        _prelu_kernel_infer,
        _named("PreluKernelBackward0"),
        lambda needs, attrs: ("self", "weight"),
    )
)


def _rrelu_with_noise_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.rrelu's checks: lower <= upper, then a floating input (named by the kernel
    torch runs: rrelu_with_noise_out_cpu in training, leaky_relu_cpu outside it); the noise,
    a tensor in training, is one of x's shape and dtype where it is a tensor."""
    _check_operands("rrelu_with_noise", operands, 2)
    x = _require_tensor("rrelu_with_noise", operands[0], 0)
    if attrs["lower"] > attrs["upper"]:
        raise ComputeError("Lower bound should be less than or equal to the upper bound")
    if not is_float(x.dtype):
        kernel = "rrelu_with_noise_out_cpu" if attrs["training"] else "leaky_relu_cpu"
        raise Unsupported(f"\"{kernel}\" not implemented for '{TORCH_TYPE_NAME[x.dtype]}'")
    noise = operands[1]
    if attrs["training"]:
        noise = _require_tensor("rrelu_with_noise", noise, 1)
    if isinstance(noise, TensorMeta) and (noise.shape, noise.dtype) != (x.shape, x.dtype):
        raise ShapeMismatch("rrelu_with_noise: the noise must be a tensor like the input")
    return meta(x.shape, x.dtype)


_register(
    OpSpec(
        "rrelu_with_noise",
        "torch.rrelu",
        "Randomized leaky ReLU: in training, x noise, the noise drawn by the caller (1 where "
        "x > 0, else U(lower, upper)), with gradient g noise; outside training, leaky_relu "
        "with slope (lower + upper) / 2 (the noise operand, then any number, unused).",
        ("self", "noise"),
        (True, False),
        _rrelu_with_noise_infer,
        _in_place_named("RreluWithNoise"),
        lambda needs, attrs: (*_self_or_result(needs, attrs), "noise"),
        (
            Attr("lower", "float", "The least slope drawn.", 1.0 / 8),
            Attr("upper", "float", "The largest slope drawn.", 1.0 / 3),
            Attr("training", "bool", "Whether to apply the drawn noise.", False),
            _SELF_IS_RESULT,
        ),
    )
)


def _trilinear_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """Matrices x1 (B, I) and x2 (B, J) and a weight (O, I, J) of one dtype, not bool, as
    torch's (torch.bilinear's checks, with its words, are the caller's)."""
    _check_operands("_trilinear", operands, 3)
    x1, w, x2 = (_require_tensor("_trilinear", o, i) for i, o in enumerate(operands))
    if not (x1.ndim == x2.ndim == 2 and w.ndim == 3):
        raise ShapeMismatch("_trilinear: expected matrices and a 3-D weight")
    if x1.shape[0] != x2.shape[0] or (x1.shape[1], x2.shape[1]) != w.shape[1:]:
        raise ShapeMismatch("_trilinear: sizes do not match")
    if not x1.dtype == w.dtype == x2.dtype:
        raise DtypeMismatch("_trilinear: expected tensors of one dtype")
    if x1.dtype == "bool":
        raise Unsupported("\"bmm\" not implemented for 'Bool'")
    return meta((x1.shape[0], w.shape[0]), x1.dtype)


_register(
    OpSpec(
        "trilinear",
        "torch._trilinear",
        "out[b, o] = Σ_ij x1[b, i] w[o, i, j] x2[b, j]: torch._trilinear as torch.bilinear "
        "calls it (expand1 [1, 3], expand2 [0], expand3 [1, 2], sumdim [2, 3]) on its inputs "
        "flattened to matrices.",
        ("self", "weight", "other"),
        (True, True, True),
        _trilinear_infer,
        _named("TrilinearBackward0"),
        lambda needs, attrs: ("self", "weight", "other"),
    )
)


def _glu_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("glu", operands, 1)
    x = _require_tensor("glu", operands[0], 0)
    if x.ndim == 0:
        raise ComputeError("glu does not support scalars because halving size must be even")
    dim = normalize_dim(attrs["dim"], x.ndim)
    if x.shape[dim] % 2:
        raise ComputeError(
            f"Halving dimension must be even, but dimension {dim} is size {x.shape[dim]}"
        )
    if not is_float(x.dtype):
        raise Unsupported(f"\"glu_cpu\" not implemented for '{TORCH_TYPE_NAME[x.dtype]}'")
    shape = list(x.shape)
    shape[dim] //= 2
    return meta(tuple(shape), x.dtype)


_register(
    OpSpec(
        "glu",
        "torch.nn.functional.glu",
        "The gated linear unit a σ(b), a and b the first and second halves of x along dim; "
        "the gradient is g σ(b) for a and g a σ(b) (1 - σ(b)) for b.",
        ("self",),
        (True,),
        _glu_infer,
        _named("GluBackward0"),
        _self,
        (Attr("dim", "int", "The dimension halved.", -1),),
    )
)


# ---- matrix products


def _same_float_dtype(name: str, a: TensorMeta, b: TensorMeta) -> str:
    if a.dtype != b.dtype:
        if name == "dot":
            raise DtypeMismatch(
                f"dot : expected both vectors to have same dtype, but found "
                f"{TORCH_TYPE_NAME[a.dtype]} and {TORCH_TYPE_NAME[b.dtype]}"
            )
        raise DtypeMismatch(
            f"expected m1 and m2 to have the same dtype, but got: "
            f"{C_TYPE_NAME[a.dtype]} != {C_TYPE_NAME[b.dtype]}"
        )
    if a.dtype == "bool":
        kernel = {"mm": "addmm_impl_cpu_", "mv": "addmv_impl_cpu"}.get(name, name)
        raise Unsupported(f"\"{kernel}\" not implemented for 'Bool'")
    return a.dtype


def _mm_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("mm", operands, 2)
    a, b = (_require_tensor("mm", o, i) for i, o in enumerate(operands))
    if a.ndim != 2 or b.ndim != 2:
        which = "self" if a.ndim != 2 else "mat2"
        raise ShapeMismatch(f"{which} must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise ShapeMismatch(
            f"mat1 and mat2 shapes cannot be multiplied "
            f"({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]})"
        )
    return meta((a.shape[0], b.shape[1]), _same_float_dtype("mm", a, b))


def _mv_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("mv", operands, 2)
    a, v = (_require_tensor("mv", o, i) for i, o in enumerate(operands))
    if a.ndim != 2 or v.ndim != 1:
        raise ShapeMismatch(f"vector + matrix @ vector expected, got 1, {a.ndim}, {v.ndim}")
    if a.shape[1] != v.shape[0]:
        raise ShapeMismatch(
            f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{a.shape[1]}), "
            f"vec ({v.shape[0]})"
        )
    return meta((a.shape[0],), _same_float_dtype("mv", a, v))


def _dot_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("dot", operands, 2)
    a, b = (_require_tensor("dot", o, i) for i, o in enumerate(operands))
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeMismatch(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape[0] != b.shape[0]:
        raise ShapeMismatch(
            f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] "
            f"to have the same number of elements, but got {a.shape[0]} and {b.shape[0]} "
            f"elements respectively"
        )
    return meta((), _same_float_dtype("dot", a, b))


def _bmm_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("bmm", operands, 2)
    a, b = (_require_tensor("bmm", o, i) for i, o in enumerate(operands))
    for name, m in (("batch1", a), ("batch2", b)):
        if m.ndim != 3:
            raise ShapeMismatch(f"{name} must be a 3D tensor")
    if b.shape[:2] != (a.shape[0], a.shape[2]):
        raise ShapeMismatch(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}]."
        )
    if a.dtype == "bool":
        raise Unsupported("\"bmm\" not implemented for 'Bool'")
    if a.dtype != b.dtype:
        raise DtypeMismatch(
            f"expected scalar type {TORCH_TYPE_NAME[a.dtype]} but found {TORCH_TYPE_NAME[b.dtype]}"
        )
    return meta((a.shape[0], a.shape[1], b.shape[2]), a.dtype)


for _name, _infer, _doc in (
    ("mm", _mm_infer, "The matrix product of an (n, k) and a (k, m) matrix."),
    ("mv", _mv_infer, "The product of an (n, k) matrix and a (k,) vector."),
    ("dot", _dot_infer, "The inner product of two vectors of equal length."),
    ("vdot", _dot_infer, "torch.vdot: for real vectors, dot (VdotBackward0)."),
    ("bmm", _bmm_infer, "The matrix products of a batch: (b, n, k) and (b, k, m) to (b, n, m)."),
):
    _register(
        OpSpec(
            _name,
            f"torch.{_name}",
            _doc,
            ("self", "other"),
            (True, True),
            _infer,
            _named(f"{_name.capitalize()}Backward0"),
            _mul_saves,
        )
    )


def matmul_plan(a: TensorMeta, b: TensorMeta, a_requires_grad=False, b_requires_grad=False) -> str:
    """How torch.matmul decomposes (aten's _matmul_impl): "dot", "mv", "mm", "vm" (a vector
    times a matrix: unsqueeze(0), mm, squeeze_(0), which is why torch names its backward
    SqueezeBackward4); with 3 or more dims, "fold" (the larger operand, transposed if it is
    the second, reshaped to a matrix for one mm or mv) or "bmm" (both expanded to the
    broadcast batch, reshaped to 3 dims, one bmm)."""
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeMismatch(
            f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D"
        )
    if a.ndim <= 2 and b.ndim <= 2:
        return {(1, 1): "dot", (2, 1): "mv", (1, 2): "vm", (2, 2): "mm"}[(a.ndim, b.ndim)]
    return "fold" if _should_fold(a, b, a_requires_grad, b_requires_grad) else "bmm"


def _should_fold(a: TensorMeta, b: TensorMeta, a_requires_grad: bool, b_requires_grad: bool):
    """aten's should_fold: fold when the smaller operand has at most 2 dims and either it
    requires grad (a batch of its gradients would be summed) or the larger one, transposed if
    it is the second, folds into a matrix without a copy."""
    a_larger = a.ndim >= b.ndim
    larger = a if a_larger else _permute(b, [*range(b.ndim - 2), b.ndim - 1, b.ndim - 2])
    if not (larger.ndim >= 3 and (b if a_larger else a).ndim <= 2):
        return False
    if b_requires_grad if a_larger else a_requires_grad:
        return True
    if a.ndim == 2:
        return False
    if larger.numel == 0:
        return True
    return all(
        larger.strides[i] == larger.strides[i + 1] * larger.shape[i + 1]
        for i in range(larger.ndim - 2)
    )


# ---- views and shape ops (the result shares the input's storage where torch's does)


def _view_result(m: TensorMeta, shape: tuple[int, ...], strides: tuple[int, ...]) -> TensorMeta:
    return TensorMeta(tuple(shape), m.dtype, tuple(strides))


def _t_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("t", operands, 1)
    x = _require_tensor("t", operands[0], 0)
    if x.ndim > 2:
        raise ShapeMismatch(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return _view_result(x, x.shape[::-1], x.strides[::-1])


def _permute(x: TensorMeta, dims: Sequence[int]) -> TensorMeta:
    return _view_result(x, tuple(x.shape[d] for d in dims), tuple(x.strides[d] for d in dims))


def _transpose_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("transpose", operands, 1)
    x = _require_tensor("transpose", operands[0], 0)
    d0, d1 = normalize_dim(attrs["dim0"], x.ndim), normalize_dim(attrs["dim1"], x.ndim)
    if x.ndim == 0:
        return x
    dims = list(range(x.ndim))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return _permute(x, dims)


def _permute_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("permute", operands, 1)
    x = _require_tensor("permute", operands[0], 0)
    dims = list(attrs["dims"])
    if len(dims) != x.ndim:
        raise ShapeMismatch(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match "
            f"the length of the desired ordering of dimensions i.e. input.dim() = {x.ndim} is "
            f"not equal to len(dims) = {len(dims)}"
        )
    dims = [normalize_dim(d, x.ndim) for d in dims]
    if len(set(dims)) != len(dims):
        raise ShapeMismatch("permute(): duplicate dims are not allowed.")
    return _permute(x, dims) if x.ndim else x


def _view_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("view", operands, 1)
    x = _require_tensor("view", operands[0], 0)
    shape = infer_size(attrs["shape"], x.numel)
    strides = view_strides(x, shape)
    if strides is None:
        raise ShapeMismatch(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        )
    return _view_result(x, shape, strides)


def _reshape_alias_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("_reshape_alias", operands, 1)
    return _view_infer(operands, attrs)


def _unsafe_view_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("_unsafe_view", operands, 1)
    x = _require_tensor("_unsafe_view", operands[0], 0)
    return meta(infer_size(attrs["shape"], x.numel), x.dtype)


def _clone_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("clone", operands, 1)
    x = _require_tensor("clone", operands[0], 0)
    return meta(x.shape, x.dtype)


def _unsqueeze_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("unsqueeze", operands, 1)
    x = _require_tensor("unsqueeze", operands[0], 0)
    dim = normalize_dim(attrs["dim"], x.ndim + 1)
    stride = x.shape[dim] * x.strides[dim] if dim < x.ndim else 1
    return _view_result(
        x, (*x.shape[:dim], 1, *x.shape[dim:]), (*x.strides[:dim], stride, *x.strides[dim:])
    )


def _squeeze_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("squeeze", operands, 1)
    x = _require_tensor("squeeze", operands[0], 0)
    if attrs.get("dims") is not None:
        if attrs.get("dim") is not None:
            raise InvalidArgument("squeeze() takes dim or dims, not both")
        dims = reduced_dims(x, attrs["dims"]) if attrs["dims"] else ()
        kept = [i for i in range(x.ndim) if i not in dims or x.shape[i] != 1]
    elif attrs.get("dim") is None:
        kept = [i for i, size in enumerate(x.shape) if size != 1]
    else:
        dim = normalize_dim(attrs["dim"], x.ndim)
        kept = [i for i in range(x.ndim) if i != dim or x.shape[dim] != 1]
    return _view_result(x, tuple(x.shape[i] for i in kept), tuple(x.strides[i] for i in kept))


def _squeeze_grad_fn(operands: Sequence[Operand], attrs: dict) -> str:
    if attrs.get("dims") is not None:
        return "SqueezeBackward2"
    return "SqueezeBackward0" if attrs.get("dim") is None else "SqueezeBackward1"


def _register_shaping(name, torch_name, doc, infer, grad_fn: str, attrs, view: bool) -> None:
    """An op of one differentiable input that saves nothing (the views and copies that
    reshape, reorder or index it; zero and fill)."""
    _register(
        OpSpec(
            name,
            torch_name,
            doc,
            ("self",),
            (True,),
            infer,
            _named(grad_fn),
            _nothing,
            attrs,
            view=view,
        )
    )


_SHAPE_ATTR = Attr("shape", "ints", "The new shape; one entry may be -1.", optional=False)
_DIM_ATTR = Attr("dim", "int", "The dimension.", optional=False)
for _name, _infer, _gfn, _attrs, _doc in (
    ("t", _t_infer, "TBackward0", (), "Swap the two dimensions of a matrix (a view)."),
    (
        "transpose",
        _transpose_infer,
        "TransposeBackward0",
        (
            Attr("dim0", "int", "The first dimension.", optional=False),
            Attr("dim1", "int", "The second dimension.", optional=False),
        ),
        "Swap two dimensions (a view).",
    ),
    (
        "permute",
        _permute_infer,
        "PermuteBackward0",
        (Attr("dims", "ints", "The new order of the dimensions.", optional=False),),
        "Reorder the dimensions (a view); Tensor.T is permute(reversed dims).",
    ),
    (
        "view",
        _view_infer,
        "ViewBackward0",
        (_SHAPE_ATTR,),
        "The same storage seen with a new shape.",
    ),
    (
        "_reshape_alias",
        _reshape_alias_infer,
        "ReshapeAliasBackward0",
        (_SHAPE_ATTR,),
        "reshape of a non-contiguous tensor whose strides allow a view (a view).",
    ),
    (
        "_unsafe_view",
        _unsafe_view_infer,
        "UnsafeViewBackward0",
        (_SHAPE_ATTR,),
        "A contiguous tensor seen with a new shape (reshape's copying path).",
    ),
    ("clone", _clone_infer, "CloneBackward0", (), "A contiguous copy."),
    (
        "unsqueeze",
        _unsqueeze_infer,
        "UnsqueezeBackward0",
        (_DIM_ATTR,),
        "Insert a dimension of size 1.",
    ),
    (
        "squeeze_",
        _squeeze_infer,
        "SqueezeBackward4",
        (_DIM_ATTR,),
        "squeeze as torch.matmul applies it in place to a fresh result.",
    ),
):
    _register_shaping(
        _name,
        f"torch.Tensor.{_name}",
        _doc,
        _infer,
        _gfn,
        _attrs,
        _name in ("t", "transpose", "permute", "view", "_reshape_alias", "unsqueeze"),
    )


# ---- basic indexing: the client splits x[...] into these (and unsqueeze), as torch does


def _indexed(name: str, operands: Sequence[Operand], attrs: dict) -> tuple[TensorMeta, int]:
    """The tensor that `name` (select, slice or unbind) indexes, and the normalized dim."""
    _check_operands(name, operands, 1)
    x = _require_tensor(name, operands[0], 0)
    if x.ndim == 0:
        raise DimensionOutOfRange(f"{name}() cannot be applied to a 0-dim tensor.")
    return x, normalize_dim(attrs["dim"], x.ndim)


def _select_infer(operands: Sequence[Operand], attrs: dict, name: str = "select") -> TensorMeta:
    x, dim = _indexed(name, operands, attrs)
    index = attrs["index"]
    if not -x.shape[dim] <= index < x.shape[dim]:
        raise DimensionOutOfRange(
            f"select(): index {index} out of range for tensor of size "
            f"[{', '.join(map(str, x.shape))}] at dimension {dim}"
        )
    return _view_result(
        x, x.shape[:dim] + x.shape[dim + 1 :], x.strides[:dim] + x.strides[dim + 1 :]
    )


def slice_bounds(size: int, start: int, end: int) -> tuple[int, int]:
    """torch's slice bounds: a negative bound counts from the end, then both are clamped to
    [0, size] with end >= start."""
    start = start + size if start < 0 else start
    end = end + size if end < 0 else end
    start = min(max(start, 0), size)
    return start, min(max(end, start), size)


def _slice_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    x, dim = _indexed("slice", operands, attrs)
    step = attrs["step"]
    if step <= 0:
        raise InvalidValue("slice step must be positive")
    start, end = slice_bounds(x.shape[dim], attrs["start"], attrs["end"])
    shape, strides = list(x.shape), list(x.strides)
    shape[dim] = -(-(end - start) // step)
    strides[dim] *= step
    return _view_result(x, tuple(shape), tuple(strides))


def _alias_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("alias", operands, 1)
    x = _require_tensor("alias", operands[0], 0)
    return _view_result(x, x.shape, x.strides)


def diagonal_dims(attrs: dict, ndim: int) -> tuple[int, int]:
    """torch.diagonal's two dims, wrapped, with its error for one named twice."""
    dim1, dim2 = normalize_dim(attrs["dim1"], ndim), normalize_dim(attrs["dim2"], ndim)
    if dim1 == dim2:
        raise ShapeMismatch(
            f"diagonal dimensions cannot be identical {attrs['dim1']}, {attrs['dim2']}"
        )
    return dim1, dim2


def _diagonal_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("diagonal", operands, 1)
    x = _require_tensor("diagonal", operands[0], 0)
    dim1, dim2 = diagonal_dims(attrs, x.ndim)
    offset = attrs["offset"]
    length = max(min(x.shape[dim1] + min(offset, 0), x.shape[dim2] - max(offset, 0)), 0)
    kept = [d for d in range(x.ndim) if d not in (dim1, dim2)]
    return _view_result(
        x,
        (*(x.shape[d] for d in kept), length),
        (*(x.strides[d] for d in kept), x.strides[dim1] + x.strides[dim2]),
    )


_SELECT_ATTRS = (
    Attr("dim", "int", "The dimension.", optional=False),
    Attr("index", "int", "The position in it; negative counts from the end.", optional=False),
)

for _name, _torch, _infer, _gfn, _attrs, _doc in (
    (
        "select",
        "torch.select",
        _select_infer,
        "SelectBackward0",
        _SELECT_ATTRS,
        "x[..., index, ...]: the slice at `index` along `dim`, which goes away (a view).",
    ),
    (
        "slice",
        "torch.ops.aten.slice",
        _slice_infer,
        "SliceBackward0",
        (
            Attr("dim", "int", "The dimension (default 0).", default=0),
            Attr(
                "start",
                "int",
                "The first position (default 0; negative counts from the end).",
                default=0,
            ),
            Attr("end", "int", "One past the last position (default: the end).", default=2**63 - 1),
            Attr("step", "int", "The stride, at least 1 (default 1).", default=1),
        ),
        "x[..., start:end:step, ...] along `dim`, bounds clamped as Python's (a view).",
    ),
    (
        "alias",
        "torch.ops.aten.alias",
        _alias_infer,
        "AliasBackward0",
        (),
        "x[...]: the same tensor (a view).",
    ),
    (
        "diagonal",
        "torch.diagonal",
        _diagonal_infer,
        "DiagonalBackward0",
        (
            Attr("offset", "int", "0 the main diagonal, > 0 above it, < 0 below it.", 0),
            Attr("dim1", "int", "The dim of the diagonal's rows (default 0).", 0),
            Attr("dim2", "int", "The dim of its columns (default 1).", 1),
        ),
        "The `offset`-th diagonal of the matrices in `dim1` and `dim2`, which go away; the "
        "diagonal is the last dim (a view).",
    ),
):
    _register_shaping(_name, _torch, _doc, _infer, _gfn, _attrs, view=True)


_register(
    OpSpec(
        "squeeze",
        "torch.Tensor.squeeze",
        "Remove the given dimension (or dimensions) where its size is 1, or every dimension of "
        "size 1 (a view).",
        ("self",),
        (True,),
        _squeeze_infer,
        _squeeze_grad_fn,
        _nothing,
        (
            Attr("dim", "int", "The dimension; all dimensions of size 1 when absent.", None),
            Attr("dims", "ints", "The dimensions, instead of dim (SqueezeBackward2).", None),
        ),
        view=True,
    )
)


# ---- the functions that return several views at once (torch's multi-output view nodes):
# each piece is one op here, with a node of its own where torch's pieces share one (the same
# gradients); like torch's, the pieces refuse in-place writes while recording


def split_pieces(size: int, split_size: int) -> int:
    """How many pieces torch.split(x, split_size) cuts a dimension of `size` into."""
    return max(1, -(-size // split_size)) if split_size else 1


def _split_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    x, dim = _split_operand("split", operands, attrs)
    size, split_size, index = x.shape[dim], attrs["split_size"], attrs["index"]
    if split_size < 0:
        raise ShapeMismatch(
            f"split expects split_size be non-negative, but got split_size={split_size}"
        )
    if split_size == 0 and size != 0:
        raise ShapeMismatch(
            f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}"
        )
    pieces = split_pieces(size, split_size)
    if not 0 <= index < pieces:
        raise InvalidValue(f"split: piece {index} of {pieces}")
    start = index * split_size
    return _narrowed(x, dim, min(split_size, size - start))


def _split_with_sizes_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    x, dim = _split_operand("split_with_sizes", operands, attrs)
    sizes, index = list(attrs["split_sizes"]), attrs["index"]
    if any(s < 0 for s in sizes):
        raise ShapeMismatch(
            "split_with_sizes expects split_sizes have only non-negative entries, but got "
            f"split_sizes={sizes}"
        )
    if sum(sizes) != x.shape[dim]:
        raise ShapeMismatch(
            f"split_with_sizes expects split_sizes to sum exactly to {x.shape[dim]} (input "
            f"tensor's size at dimension {dim}), but got split_sizes={sizes}"
        )
    if not 0 <= index < len(sizes):
        raise InvalidValue(f"split_with_sizes: piece {index} of {len(sizes)}")
    return _narrowed(x, dim, sizes[index])


def _split_operand(name: str, operands: Sequence[Operand], attrs: dict) -> tuple[TensorMeta, int]:
    _check_operands(name, operands, 1)
    x = _require_tensor(name, operands[0], 0)
    if x.ndim == 0:
        raise ShapeMismatch("split expects at least a 1-dimensional tensor")
    return x, normalize_dim(attrs["dim"], x.ndim)


def _narrowed(x: TensorMeta, dim: int, length: int) -> TensorMeta:
    return _view_result(x, (*x.shape[:dim], length, *x.shape[dim + 1 :]), x.strides)


_PIECE_ATTR = Attr("index", "int", "Which piece (from 0).", optional=False)
for _name, _torch, _infer, _gfn, _attrs, _doc in (
    (
        "unbind",
        "torch.unbind",
        lambda operands, attrs: _select_infer(operands, attrs, "unbind"),
        "UnbindBackward0",
        (Attr("dim", "int", "The dimension.", optional=False), _PIECE_ATTR),
        "The `index`-th of the pieces torch.unbind(x, dim) returns: x's slice at `index` along "
        "`dim`, which goes away.",
    ),
    (
        "split",
        "torch.split",
        _split_infer,
        "SplitBackward0",
        (
            Attr(
                "split_size", "int", "Each piece's length (the last may be shorter).", None, False
            ),
            Attr("dim", "int", "The dimension (default 0).", default=0),
            _PIECE_ATTR,
        ),
        "The `index`-th of the pieces torch.split(x, split_size, dim) (and torch.chunk) "
        "returns: positions [index split_size, (index + 1) split_size) along `dim`.",
    ),
    (
        "split_with_sizes",
        "torch.split_with_sizes",
        _split_with_sizes_infer,
        "SplitWithSizesBackward0",
        (
            Attr(
                "split_sizes",
                "ints",
                "The pieces' lengths, summing to the dim's size.",
                None,
                False,
            ),
            Attr("dim", "int", "The dimension (default 0).", default=0),
            _PIECE_ATTR,
        ),
        "The `index`-th of the pieces torch.split(x, split_sizes, dim) returns, for a list of "
        "lengths.",
    ),
):
    _register(
        OpSpec(
            _name,
            _torch,
            _doc + " A view; one of several, so in-place writes to it are refused while recording.",
            ("self",),
            (True,),
            _infer,
            _named(_gfn),
            _nothing,
            _attrs,
            view=True,
            multi_output=True,
        )
    )


def _is_dense(m: TensorMeta) -> bool:
    """Whether `m` covers its storage exactly once: a permutation of contiguous strides."""
    order = sorted(range(m.ndim), key=lambda i: m.strides[i], reverse=True)
    return contiguous_strides([m.shape[i] for i in order]) == tuple(m.strides[i] for i in order)


def _infer_dense_strides(m: TensorMeta) -> tuple[int, ...]:
    """torch's infer_dense_strides: contiguous strides laid out in the order of m's (a stable
    insertion sort, the smaller stride inner, the smaller size first among equal strides;
    a dim of stride 0 keeps its place)."""
    if m.ndim < 2:
        return (1,) * m.ndim

    def should_swap(d0: int, d1: int) -> int:
        s0, s1 = m.strides[d0], m.strides[d1]
        if s0 == 0 or s1 == 0:
            return 0
        if s0 != s1:
            return -1 if s0 < s1 else 1
        return 1 if m.shape[d0] > m.shape[d1] else 0

    perm = list(range(m.ndim - 1, -1, -1))  # innermost first
    for i in range(1, m.ndim):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            swap = should_swap(perm[d0], perm[d1])
            if swap > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif swap < 0:
                break
    strides, step = [0] * m.ndim, 1
    for d in perm:
        strides[d] = step
        step *= max(m.shape[d], 1)
    return tuple(strides)


def preserved_strides(m: TensorMeta) -> tuple[int, ...]:
    """The strides of torch's empty_like(m) (preserve_format): m's own where they cover
    their storage once, else infer_dense_strides'."""
    return m.strides if _is_dense(m) else _infer_dense_strides(m)


def _to_copy_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("_to_copy", operands, 1)
    x = _require_tensor("_to_copy", operands[0], 0)
    dtype = attrs["dtype"]
    if dtype not in DTYPES:
        raise InvalidValue(f"unknown dtype '{dtype}'")
    return TensorMeta(x.shape, dtype, preserved_strides(x))


_register(
    OpSpec(
        "_to_copy",
        "torch.Tensor.to",
        "A copy converted to another dtype (Tensor.to(dtype), .float(), .double(), .long()); "
        "its gradient is converted back.",
        ("self",),
        (True,),
        _to_copy_infer,
        _named("ToCopyBackward0"),
        _nothing,
        (
            Attr(
                "dtype", "string", "The new dtype: float32, float64, int64 or bool.", optional=False
            ),
        ),
        # the conversion is the cast itself: 0.5 becomes True, as in torch, not 0 then False
        computes_in=lambda operands, out: out.dtype,
    )
)


def _copy_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("copy", operands, 2)
    x = _require_tensor("copy", operands[0], 0)
    src = _require_tensor("copy", operands[1], 1)
    check_copy(x, src, False, False)
    return meta(x.shape, x.dtype)


_register(
    OpSpec(
        "copy",
        "torch.ops.aten.copy",
        "src broadcast to self's shape in self's dtype: the out-of-place form of self.copy_(src) "
        "(a `copy` operation with adopt_history then makes it in place, CopyBackwards).",
        ("self", "src"),
        (True, True),
        _copy_infer,
        _named("torch::autograd::CopyBackwards"),
        _nothing,
        computes_in=lambda operands, out: out.dtype,
    )
)


def _fill_infer(name: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 1)
        x = _require_tensor(name, operands[0], 0)
        overflow = scalar_overflow(attrs.get("value", 0), x.dtype)
        if overflow:
            raise DtypeMismatch(overflow)
        return meta(x.shape, x.dtype)

    return infer


for _name, _gfn, _attrs, _doc in (
    ("zero", "ZeroBackward0", (), "Zeros of self's shape and dtype: self.zero_() out of place."),
    (
        "fill",
        "FillBackward2",
        (Attr("value", "scalar", "The number to fill with.", optional=False),),
        "`value` in self's shape and dtype: self.fill_(value) out of place.",
    ),
):
    _register_shaping(
        _name, f"torch.ops.aten.{_name}", _doc, _fill_infer(_name), _gfn, _attrs, False
    )


def _where_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("where", operands, 3)
    condition = _require_tensor("where", operands[0], 0)
    if condition.dtype not in ("bool", "uint8"):  # uint8: deprecated, read as its truth
        raise DtypeMismatch(
            "where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{TORCH_TYPE_NAME[condition.dtype]}"
        )
    tensors = [o.shape for o in operands[1:] if isinstance(o, TensorMeta)]
    return meta(broadcast_shapes(condition.shape, *tensors), result_type(operands[1:]))


_register(
    OpSpec(
        "where",
        "torch.where",
        "self where condition holds, else other; all three broadcast together, self and other "
        "(tensors or numbers) promoted as torch promotes them.",
        ("condition", "self", "other"),
        (False, True, True),
        _where_infer,
        _named("WhereBackward0"),
        lambda needs, attrs: ("condition",) if any(needs) else (),
    )
)


def _masked_fill_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("masked_fill", operands, 2)
    x = _require_tensor("masked_fill", operands[0], 0)
    mask = _require_tensor("masked_fill", operands[1], 1)
    if mask.dtype != "bool":
        raise DtypeMismatch(
            f"masked_fill_ only supports boolean masks, but got mask with dtype "
            f"{C_TYPE_NAME[mask.dtype]}"
        )
    overflow = scalar_overflow(attrs["value"], x.dtype)
    if overflow:
        raise DtypeMismatch(overflow)
    return meta(broadcast_shapes(mask.shape, x.shape), x.dtype)  # torch names the mask first


_register(
    OpSpec(
        "masked_fill",
        "torch.Tensor.masked_fill",
        "self with `value` (in self's dtype) where mask holds; the two broadcast together.",
        ("self", "mask"),
        (True, False),
        _masked_fill_infer,
        _named("MaskedFillBackward0"),
        lambda needs, attrs: ("mask",) if needs[0] else (),
        (Attr("value", "scalar", "The number written where mask holds.", optional=False),),
    )
)


def _masked_scatter_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("masked_scatter", operands, 3)
    x, mask, source = (_require_tensor("masked_scatter", o, i) for i, o in enumerate(operands))
    if mask.dtype != "bool":
        raise DtypeMismatch(
            "masked_scatter_ only supports boolean masks, but got mask with dtype "
            f"{TORCH_TYPE_NAME[mask.dtype]}"
        )
    if source.dtype != x.dtype:
        raise DtypeMismatch(
            "masked_scatter: expected self and source to have same dtypes but got"
            f"{TORCH_TYPE_NAME[x.dtype]} and {TORCH_TYPE_NAME[source.dtype]}"
        )
    return meta(broadcast_shapes(x.shape, mask.shape), x.dtype)


_register(
    OpSpec(
        "masked_scatter",
        "torch.masked_scatter",
        "self (broadcast with mask) with source's elements, in row-major order, written where "
        "mask holds; source needs at least as many elements as mask has trues. The gradient "
        "of self is g where mask does not hold; of source, g where it holds, in order, then "
        "zeros.",
        ("self", "mask", "source"),
        (True, False, True),
        _masked_scatter_infer,
        _named("MaskedScatterBackward0"),
        lambda needs, attrs: ("mask",),
    )
)


def _put_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("put", operands, 3)
    x, index, source = (_require_tensor("put", o, i) for i, o in enumerate(operands))
    if index.dtype != "int64":
        raise DtypeMismatch(
            f"put_(): Expected a long tensor for index, but got {TORCH_TYPE_NAME[index.dtype]}"
        )
    if source.dtype != x.dtype:
        raise DtypeMismatch(
            "put_(): self and source expected to have the same dtype, but got self.dtype = "
            f"{TORCH_TYPE_NAME[x.dtype]} and source.dtype = {TORCH_TYPE_NAME[source.dtype]}"
        )
    if source.numel != index.numel:
        raise InvalidIndex(
            "put_(): Expected source and index to have the same number of elements, but got "
            f"source.numel() = {source.numel}, index.numel() = {index.numel}"
        )
    return meta(x.shape, x.dtype)


_register(
    OpSpec(
        "put",
        "torch.put",
        "self with source's elements written (added, with `accumulate`) at the positions "
        "`index` names in self flattened (negative ones count from the end). The gradient of "
        "self is g, zero at the positions written unless `accumulate`; of source, g at them.",
        ("self", "index", "source"),
        (True, False, True),
        _put_infer,
        _named("PutBackward0"),
        lambda needs, attrs: ("index",),
        (Attr("accumulate", "bool", "Add source's elements instead of writing them.", False),),
    )
)


def _embedding_scatter_infer(name: str, view_infer: Callable):
    """select_scatter's, slice_scatter's and diagonal_scatter's result: self's metadata,
    once src has the shape of the part of self the view names."""

    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 2)
        x, src = (_require_tensor(name, o, i) for i, o in enumerate(operands))
        if attrs.get("step", 1) <= 0:
            raise ShapeMismatch("slice step must be positive")
        part = view_infer([x], attrs)
        if part.shape != src.shape:
            raise ShapeMismatch(
                "expected src to have a size equal to the slice of self. src size = "
                f"{list(src.shape)}, slice size = {list(part.shape)}"
            )
        return meta(x.shape, x.dtype)

    return infer


for _name, _part_infer, _gfn, _attrs, _part in (
    (
        "select_scatter",
        _select_infer,
        "SelectScatterBackward0",
        _SELECT_ATTRS,
        "self.select(dim, index)",
    ),
    (
        "slice_scatter",
        _slice_infer,
        "SliceScatterBackward0",
        (
            Attr("dim", "int", "The dimension (default 0).", default=0),
            Attr("start", "int", "The first position (default 0).", default=0),
            Attr("end", "int", "One past the last position (default: the end).", 2**63 - 1),
            Attr("step", "int", "The stride, at least 1 (default 1).", default=1),
        ),
        "self's slice start:end:step along `dim`",
    ),
    (
        "diagonal_scatter",
        _diagonal_infer,
        "DiagonalScatterBackward0",
        (
            Attr("offset", "int", "0 the main diagonal, > 0 above it, < 0 below it.", 0),
            Attr("dim1", "int", "The dim of the diagonal's rows (default 0).", 0),
            Attr("dim2", "int", "The dim of its columns (default 1).", 1),
        ),
        "self.diagonal(offset, dim1, dim2)",
    ),
):
    _register(
        OpSpec(
            _name,
            f"torch.{_name}",
            f"A copy of self with src (in self's dtype) written over {_part}. The gradient of "
            "self is g with that part zero; of src, g's part.",
            ("self", "src"),
            (True, True),
            _embedding_scatter_infer(_name, _part_infer),
            _named(_gfn),
            _nothing,
            _attrs,
        )
    )


def _isin_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("isin", operands, 2)
    tensors = [o for o in operands if isinstance(o, TensorMeta)]
    if not tensors:
        raise InvalidArgument("isin(): one of elements and test_elements must be a Tensor")
    for o in tensors:
        if o.dtype == "bool":
            raise DtypeMismatch("Unsupported input type encountered for isin(): Bool")
    elements = operands[0]
    return meta(elements.shape if isinstance(elements, TensorMeta) else (), "bool")


_register(
    OpSpec(
        "isin",
        "torch.isin",
        "Whether each element of `elements` (a tensor or a number) equals some element of "
        "`test_elements` (a tensor or a number), both in their promoted dtype (nan equals "
        "nothing), negated with `invert`. Bool tensors are refused, as torch's.",
        ("elements", "test_elements"),
        (False, False),
        _isin_infer,
        _named(""),
        _nothing,
        (Attr("invert", "bool", "Whether each element is in none of test_elements.", False),),
        computes_in=lambda operands, out: result_type(operands),
    )
)


def _fill_tensor_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("fill_tensor", operands, 2)
    x = _require_tensor("fill_tensor", operands[0], 0)
    value = _require_tensor("fill_tensor", operands[1], 1)
    if value.ndim:
        raise ShapeMismatch(
            "fill_ only supports 0-dimension value tensor but got tensor with "
            f"{value.ndim} dimensions."
        )
    return meta(x.shape, x.dtype)


def _masked_fill_tensor_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("masked_fill_tensor", operands, 3)
    value = _require_tensor("masked_fill_tensor", operands[2], 2)
    if value.ndim:
        raise ShapeMismatch(
            "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
            f"{value.ndim} dimension(s)."
        )
    return _masked_fill_infer(operands[:2], {"value": 0})


# A tensor value is read as a number (torch's value.item()) and converted to self's dtype,
# so each input arrives in its own dtype; its gradient is the sum of the filled positions'.
_register(
    OpSpec(
        "fill_tensor",
        "torch.Tensor.fill_",
        "The 0-d tensor `value`, converted to self's dtype, in self's shape: self.fill_(value) "
        "out of place.",
        ("self", "value"),
        (True, True),
        _fill_tensor_infer,
        _named("FillBackward3"),
        _nothing,
        computes_in=lambda operands, out: out.dtype,
    )
)
_register(
    OpSpec(
        "masked_fill_tensor",
        "torch.Tensor.masked_fill",
        "self with the 0-d tensor `value` (converted to self's dtype) where mask holds; self "
        "and mask broadcast together.",
        ("self", "mask", "value"),
        (True, False, True),
        _masked_fill_tensor_infer,
        _named("MaskedFillBackward1"),
        lambda needs, attrs: ("mask",) if any(needs) else (),
        computes_in=lambda operands, out: out.dtype,
    )
)


def reshape_plan(x: TensorMeta, shape: Sequence[int]) -> str:
    """torch.reshape: a view of a contiguous tensor ("view"), `_reshape_alias` of another
    whose strides allow a view ("alias"), else a contiguous clone then `_unsafe_view`
    ("copy")."""
    if is_contiguous(x):
        return "view"
    return "alias" if view_strides(x, infer_size(shape, x.numel)) is not None else "copy"


# ---- joining and splitting: cat and stack take any number of tensors; unbind's pieces


def _tensor_list(operands: Sequence[Operand]) -> list[TensorMeta]:
    for i, o in enumerate(operands):
        if not isinstance(o, TensorMeta):
            raise InvalidArgument(
                f"expected Tensor as element {i} in argument 0, but got {type(o).__name__}"
            )
    return list(operands)


def _cat_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.cat's checks in its order. A 1-d empty tensor is skipped (torch's legacy rule)."""
    if not operands:
        raise InvalidValue("torch.cat(): expected a non-empty list of Tensors")
    tensors = _tensor_list(operands)
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise ShapeMismatch(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    dtype = result_type(tensors)
    joined = [(i, t) for i, t in enumerate(tensors) if t.shape != (0,)]
    if not joined:
        return meta((0,), dtype)
    first = joined[0][1]
    dim = normalize_dim(attrs["dim"], first.ndim)
    size = 0
    for i, t in joined:
        if t.ndim != first.ndim:
            raise ShapeMismatch(
                f"Tensors must have same number of dimensions: got {first.ndim} and {t.ndim}"
            )
        for d, (expected, got) in enumerate(zip(first.shape, t.shape, strict=True)):
            if d != dim and expected != got:
                raise ShapeMismatch(
                    f"Sizes of tensors must match except in dimension {dim}. Expected size "
                    f"{expected} but got size {got} for tensor number {i} in the list."
                )
        size += t.shape[dim]
    return meta((*first.shape[:dim], size, *first.shape[dim + 1 :]), dtype)


def _stack_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    if not operands:
        raise ShapeMismatch("stack expects a non-empty TensorList")
    tensors = _tensor_list(operands)
    first = tensors[0]
    dim = normalize_dim(attrs["dim"], first.ndim + 1)
    for i, t in enumerate(tensors):
        if t.shape != first.shape:
            raise ShapeMismatch(
                f"stack expects each tensor to be equal size, but got {list(first.shape)} at "
                f"entry 0 and {list(t.shape)} at entry {i}"
            )
    return meta((*first.shape[:dim], len(tensors), *first.shape[dim:]), result_type(tensors))


_JOIN_DIM = (Attr("dim", "int", "The dimension to join along.", 0),)
_register(
    OpSpec(
        "cat",
        "torch.cat",
        "The inputs joined along an existing `dim`, in the promoted dtype (1-d empty inputs "
        "skipped); each gets its part of the gradient.",
        ("tensors",),
        (True,),
        _cat_infer,
        _named("CatBackward0"),
        _nothing,
        _JOIN_DIM,
        variadic=True,
    )
)
_register(
    OpSpec(
        "stack",
        "torch.stack",
        "The equal-shaped inputs joined along a new `dim`, in the promoted dtype; each gets "
        "its slice of the gradient.",
        ("tensors",),
        (True,),
        _stack_infer,
        _named("StackBackward0"),
        _nothing,
        _JOIN_DIM,
        variadic=True,
    )
)


def index_positions_shape(
    x: Sequence[int], dims: Sequence[int], shape: tuple[int, ...]
) -> tuple[int, ...]:
    """The shape of x[indices] for an x of shape `x`, index tensors broadcast to `shape` at
    `dims` (increasing): the indexed dims are replaced by `shape` where they are adjacent,
    else it goes first."""
    if dims[-1] - dims[0] == len(dims) - 1:
        return (*x[: dims[0]], *shape, *x[dims[-1] + 1 :])
    return (*shape, *(s for d, s in enumerate(x) if d not in dims))


def _advanced_result(
    name: str, x: TensorMeta, indices: Sequence[Operand], first: int, dims
) -> TensorMeta:
    """The shape of x's elements at int64 or int32 `indices` (broadcast together; operands
    from position `first`) along `dims`."""
    indices = [_require_tensor(name, o, i) for i, o in enumerate(indices, first)]
    dims = tuple(dims)
    if len(dims) != len(indices):
        raise InvalidArgument(f"{name}(): {len(indices)} index tensors but {len(dims)} dims")
    if any(not 0 <= d < x.ndim for d in dims) or list(dims) != sorted(set(dims)):
        raise InvalidArgument(
            f"{name}(): dims must increase within [0, {x.ndim}), got {list(dims)}"
        )
    for i in indices:
        if i.dtype not in INDEX_DTYPES:
            raise InvalidArgument(
                f"{name}(): index tensors must be int64 or int32 (a bool mask is sent as its "
                f"nonzero positions), got {i.dtype}"
            )
    try:
        shape = broadcast_shapes(*(i.shape for i in indices))
    except ShapeMismatch:
        shapes = ", ".join(f"[{', '.join(map(str, i.shape))}]" for i in indices)
        raise InvalidIndex(
            f"shape mismatch: indexing tensors could not be broadcast together with shapes {shapes}"
        ) from None
    return meta(index_positions_shape(x.shape, dims, shape), x.dtype)


_INDEXED_DIMS = Attr(
    "dims", "ints", "The dimension of self each index tensor indexes, increasing.", optional=False
)


def _index_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    if len(operands) < 2:
        raise InvalidArgument("index() takes a tensor and one or more index tensors")
    x = _require_tensor("index", operands[0], 0)
    return _advanced_result("index", x, operands[1:], 1, attrs["dims"])


def _index_put_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    if len(operands) < 3:
        raise InvalidArgument("index_put() takes a tensor, values and one or more index tensors")
    x = _require_tensor("index_put", operands[0], 0)
    values = _require_tensor("index_put", operands[1], 1)
    result = _advanced_result("index_put", x, operands[2:], 2, attrs["dims"])
    try:
        fits = broadcast_shapes(values.shape, result.shape) == result.shape
    except ShapeMismatch:
        fits = False
    if not fits:
        raise ShapeMismatch(
            f"shape mismatch: value tensor of shape {list(values.shape)} cannot be broadcast to "
            f"indexing result of shape {list(result.shape)}"
        )
    if values.dtype != x.dtype:  # (torch checks the shapes first)
        raise DtypeMismatch(
            "Index put requires the source and destination dtypes match, got "
            f"{TORCH_TYPE_NAME[x.dtype]} for the destination and {TORCH_TYPE_NAME[values.dtype]} "
            "for the source."
        )
    return meta(x.shape, x.dtype)


_register(
    OpSpec(
        "index",
        "torch.ops.aten.index",
        "x[indices]: advanced indexing with int64 index tensors, broadcast together, at `dims` "
        "(torch's index with None at the other dims); negative positions count from the end, "
        "one out of range is an INVALID_INDEX error. A copy; repeated positions sum their "
        "gradients.",
        ("self", "indices"),
        (True, False),
        _index_infer,
        _named("IndexBackward0"),
        lambda needs, attrs: ("indices",) if needs[0] else (),
        (_INDEXED_DIMS,),
        variadic=True,
    )
)


_register(
    OpSpec(
        "index_put",
        "torch.ops.aten.index_put",
        "A copy of self with `values` (broadcast to the indexing result) written at the "
        "positions int64 `indices` name along `dims`, as index's; with `accumulate`, added "
        "there (repeated positions adding up). The values must have self's dtype.",
        ("self", "values", "indices"),
        (True, True, False),
        _index_put_infer,
        _named("IndexPutBackward0"),
        lambda needs, attrs: ("indices",) if any(needs) else (),
        (
            _INDEXED_DIMS,
            Attr("accumulate", "bool", "Add the values instead of writing them.", False),
        ),
        variadic=True,
    )
)


# ---- reductions


def reduced_dims(x: TensorMeta, dim) -> tuple[int, ...]:
    """The dims a reduction folds: all of them for None or an empty list (as torch's do),
    else the normalized, sorted set."""
    dims = [dim] if isinstance(dim, int) else list(dim or ())
    if not dims:
        return tuple(range(x.ndim))
    if x.ndim == 0:
        for d in dims:
            normalize_dim(d, 0)
        return ()
    norm = sorted(normalize_dim(d, x.ndim) for d in dims)
    for a, b in itertools.pairwise(norm):
        if a == b:
            raise ShapeMismatch(f"dim {a} appears multiple times in the list of dims")
    return tuple(norm)


def _keep_shape(x: TensorMeta, dims: Sequence[int], keepdim: bool) -> tuple[int, ...]:
    """The shape after reducing `dims`: size 1 there with keepdim, else dropped."""
    if keepdim:
        return tuple(1 if i in dims else s for i, s in enumerate(x.shape))
    return tuple(s for i, s in enumerate(x.shape) if i not in dims)


def _reduce_infer(name: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 1)
        x = _require_tensor(name, operands[0], 0)
        dims = reduced_dims(x, attrs.get("dim"))
        keepdim = bool(attrs.get("keepdim"))
        given = attrs.get("dtype") or ""
        if given and given not in DTYPES:
            raise InvalidValue(f"unknown dtype '{given}'")
        if name == "mean" and not is_float(given or x.dtype):
            which = "Optional dtype" if given else "Input dtype"
            raise DtypeMismatch(
                f"mean(): could not infer output dtype. {which} must be either a floating "
                f"point or complex dtype. Got: {TORCH_TYPE_NAME[given or x.dtype]}"
            )
        dtype = given or (x.dtype if is_float(x.dtype) else "int64")
        return meta(_keep_shape(x, dims, keepdim), dtype)

    return infer


def _reduce_grad_fn(base: str):
    # torch.sum(x) is the first overload (Backward0); a dim, or keepdim, picks dim_IntList.
    def name(operands: Sequence[Operand], attrs: dict) -> str:
        overload = 0 if attrs.get("dim") is None and not attrs.get("keepdim") else 1
        return f"{base}Backward{overload}"

    return name


_REDUCE_ATTRS = (
    Attr("dim", "ints", "The dimensions to reduce; all of them when absent.", None),
    Attr("keepdim", "bool", "Keep reduced dimensions with size 1.", False),
)
for _name, _base, _doc in (("sum", "Sum", "The sum"), ("mean", "Mean", "The arithmetic mean")):
    _register(
        OpSpec(
            _name,
            f"torch.{_name}",
            f"{_doc} of the elements, over all or the given dimensions, in `dtype` (self cast "
            "to it first) or self's, int64 for an integer or bool sum; a mean needs a "
            "floating dtype.",
            ("self",),
            (True,),
            _reduce_infer(_name),
            _reduce_grad_fn(_base),
            _nothing,
            (*_REDUCE_ATTRS, Attr("dtype", "string", "The result's dtype (default: self's).", "")),
            refuses_integer_grad=True,
        )
    )


def _nansum_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("nansum", operands, 1)
    x = _require_tensor("nansum", operands[0], 0)
    dims = reduced_dims(x, attrs.get("dim"))
    dtype = attrs.get("dtype") or (x.dtype if is_float(x.dtype) else "int64")
    if dtype not in DTYPES:
        raise InvalidValue(f"unknown dtype '{dtype}'")
    return meta(_keep_shape(x, dims, bool(attrs.get("keepdim"))), dtype)


_register(
    OpSpec(
        "nansum",
        "torch.nansum",
        "The sum of the elements that are not nan, over all or the given dimensions, in "
        "`dtype` (self cast to it first) or self's, int64 for integer and bool inputs. The "
        "gradient passes to the elements that are not nan.",
        ("self",),
        (True,),
        _nansum_infer,
        _named("NansumBackward0"),
        _self,
        (*_REDUCE_ATTRS, Attr("dtype", "string", "The result's dtype (default: self's).", "")),
    )
)


def _prod_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """prod's result: self's shape less `dim` (size 1 with keepdim; every dim when absent), in
    `dtype` (self is cast to it first) or self's, int64 for integer and bool inputs."""
    _check_operands("prod", operands, 1)
    x = _require_tensor("prod", operands[0], 0)
    dim = attrs.get("dim")
    dtype = attrs.get("dtype") or (x.dtype if is_float(x.dtype) else "int64")
    if dtype not in DTYPES:
        raise InvalidValue(f"unknown dtype '{dtype}'")
    if dim is None:
        return meta((), dtype)
    dims = (normalize_dim(dim, x.ndim) % max(x.ndim, 1),) if x.ndim else ()
    return meta(_keep_shape(x, dims, bool(attrs.get("keepdim"))), dtype)


_register(
    OpSpec(
        "prod",
        "torch.prod",
        "The product of the elements, over all of them (ProdBackward0) or along `dim` "
        "(ProdBackward1), accumulated in float64 (int64). The gradient is torch's "
        "prod_backward: g·result/self without zeros; with zeros, the product of the others "
        "(exclusive running products from both ends), so a lone zero gets it and the rest 0.",
        ("self",),
        (True,),
        _prod_infer,
        lambda operands, attrs: f"ProdBackward{int(attrs.get('dim') is not None)}",
        _self_and_result,
        (
            Attr("dim", "int", "The dimension to reduce; all of them when absent.", None),
            Attr("keepdim", "bool", "Keep `dim` with size 1.", False),
            Attr("dtype", "string", "Cast self to this dtype first; the result's dtype.", ""),
        ),
        refuses_integer_grad=True,
    )
)


def _variance_infer(name: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 1)
        x = _require_tensor(name, operands[0], 0)
        dims = reduced_dims(x, attrs.get("dim"))
        if not is_float(x.dtype):
            raise DtypeMismatch("std and var only support floating point and complex dtypes")
        return meta(_keep_shape(x, dims, bool(attrs.get("keepdim"))), x.dtype)

    return infer


for _name, _base, _saves, _doc in (
    ("var", "Var", _self, "The variance: Σ (x - mean)² / (N - correction)"),
    ("std", "Std", _self_and_result, "The standard deviation: the variance's square root"),
):
    _register(
        OpSpec(
            _name,
            f"torch.{_name}",
            f"{_doc}, over all or the given dimensions (N elements each; nan or inf where "
            "N <= correction).",
            ("self",),
            (True,),
            _variance_infer(_name),
            _named(f"{_base}Backward0"),
            _saves,
            (
                _REDUCE_ATTRS[0],
                Attr("correction", "float", "Subtracted from N (1: Bessel's correction).", 1.0),
                _REDUCE_ATTRS[1],
            ),
        )
    )


def _vector_norm_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("linalg_vector_norm", operands, 1)
    x = _require_tensor("linalg_vector_norm", operands[0], 0)
    if not is_float(x.dtype):
        raise DtypeMismatch(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. "
            f"Got {TORCH_TYPE_NAME[x.dtype]}"
        )
    dtype = attrs.get("dtype") or x.dtype
    if dtype not in DTYPES:
        raise InvalidValue(f"unknown dtype '{dtype}'")
    if not is_float(dtype):
        raise DtypeMismatch(
            "linalg.vector_norm: dtype should be floating point or complex, but got "
            + TORCH_TYPE_NAME[dtype]
        )
    if (x.dtype, dtype) == ("float64", "float32"):
        raise DtypeMismatch(
            "linalg.vector_norm: the dtype of the input (Double) should be convertible without "
            "narrowing to the specified dtype (Float)"
        )
    dim, order = attrs.get("dim"), attrs["ord"]
    dims = reduced_dims(x, dim)
    if (order < 0 or order == math.inf) and x.numel == 0:
        given = [dim] if isinstance(dim, int) else list(dim or ())
        shown = f"{order:g}"
        if not given:
            raise ShapeMismatch(
                f"linalg.vector_norm cannot compute the {shown} norm on an empty tensor because "
                "the operation does not have an identity"
            )
        for d in given:
            if x.shape[normalize_dim(d, x.ndim)] == 0:
                raise ShapeMismatch(
                    f"linalg.vector_norm cannot compute the {shown} norm on the dimension {d}"
                    "because this dimension is empty and the operation does not have an identity"
                )
    return meta(_keep_shape(x, dims, bool(attrs.get("keepdim"))), dtype)


_register(
    OpSpec(
        "linalg_vector_norm",
        "torch.linalg.vector_norm",
        "The vector p-norm (Σ |x|^ord)^(1/ord) over all or the given dimensions: ord 0 counts "
        "the nonzero elements, inf and -inf take the largest and smallest |x|.",
        ("self",),
        (True,),
        _vector_norm_infer,
        lambda operands, attrs: (
            "NormBackward1" if attrs.get("norm_overload") else "LinalgVectorNormBackward0"
        ),
        _self_and_result,
        (
            Attr("ord", "float", "The order p of the norm.", 2.0),
            _REDUCE_ATTRS[0],
            _REDUCE_ATTRS[1],
            Attr("dtype", "string", "Cast the input to this dtype first; the result's dtype.", ""),
            Attr(
                "norm_overload",
                "bool",
                "The node is NormBackward1, as torch's C++ at::norm(self, p, dim, keepdim) "
                "records (pairwise_distance); the same gradient.",
                False,
            ),
        ),
        passes_gradient=lambda attrs: attrs["ord"] != 0,
    )
)


def _dist_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.dist: the inputs broadcast; a floating promoted dtype, else torch's norm error."""
    _check_operands("dist", operands, 2)
    a, b = (_require_tensor("dist", o, i) for i, o in enumerate(operands))
    broadcast_shapes(a.shape, b.shape)
    dtype = result_type([a, b])
    if dtype == "bool":  # the subtraction refuses first
        raise DtypeMismatch(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
            "`^` or `logical_xor()` operator instead."
        )
    if not is_float(dtype):
        raise DtypeMismatch(
            "norm(): input dtype should be either floating point or complex. Got "
            f"{TORCH_TYPE_NAME[dtype]} instead."
        )
    return meta((), dtype)


_register(
    OpSpec(
        "dist",
        "torch.dist",
        "The p-norm of input - other (broadcast) over every element, as linalg_vector_norm "
        "computes it (DistBackward0; p 0 counts the nonzero differences and gives no "
        "gradient).",
        ("self", "other"),
        (True, True),
        _dist_infer,
        _named("DistBackward0"),
        lambda needs, attrs: ("self", "other", "result"),
        (Attr("p", "float", "The order of the norm.", 2.0),),
        passes_gradient=lambda attrs: attrs["p"] != 0,
    )
)


def _renorm_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.renorm's checks in its order: p, maxnorm, rank, dim, then a floating dtype."""
    _check_operands("renorm", operands, 1)
    x = _require_tensor("renorm", operands[0], 0)
    if not attrs["p"] > 0:
        raise ShapeMismatch("renorm: non-positive-norm not supported")
    if not attrs["maxnorm"] >= 0:
        raise ShapeMismatch(f"renorm: expected maxnorm to be >= 0 but got {attrs['maxnorm']:g}")
    if x.ndim < 2:
        raise ShapeMismatch(f"renorm: input needs at least 2 dimensions, got {x.ndim} dimensions")
    normalize_dim(attrs["dim"], x.ndim)
    if not is_float(x.dtype):
        raise DtypeMismatch(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. "
            f"Got {TORCH_TYPE_NAME[x.dtype]}"
        )
    return meta(x.shape, x.dtype)


_register(
    OpSpec(
        "renorm",
        "torch.renorm",
        "Each slice along dim (its p-norm over the other dims above maxnorm) scaled to "
        "maxnorm / (norm + 1e-7), in float64 and rounded once; the others as they are.",
        ("self",),
        (True,),
        _renorm_infer,
        _named("RenormBackward0"),
        _self,
        (
            Attr("p", "float", "The order of the norm.", optional=False),
            Attr("dim", "int", "The dim whose slices are renormalized.", optional=False),
            Attr("maxnorm", "float", "The largest norm a slice keeps.", optional=False),
        ),
    )
)


# ---- linear algebra: inv, det, slogdet, solve, cholesky, triangular and Cholesky solves


def _linalg_square(fname: str, A: TensorMeta, name: str = "A") -> None:
    """torch's checks of a batch of square matrices: at least 2 dims, square."""
    if A.ndim < 2:
        raise ShapeMismatch(f"{fname}: The input tensor {name} must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise ShapeMismatch(
            f"{fname}: A must be batches of square matrices, but they are {A.shape[-2]} by "
            f"{A.shape[-1]} matrices"
        )


def _column_major(shape: Sequence[int], dtype: str) -> TensorMeta:
    """The metadata of LAPACK's results as torch lays them out: each matrix of the last two
    dims column by column, the matrices one after another."""
    if len(shape) < 2:
        return meta(shape, dtype)
    strides = [1, max(shape[-2], 1)]
    step = strides[1] * max(shape[-1], 1)
    for size in reversed(shape[:-2]):
        strides.insert(0, step)
        step *= max(size, 1)
    return TensorMeta(tuple(int(s) for s in shape), dtype, tuple(strides))


def _linalg_floating(fname: str, A: TensorMeta) -> None:
    if not is_float(A.dtype):
        raise DtypeMismatch(
            f"{fname}: Expected a floating point or complex tensor as input. "
            f"Got {TORCH_TYPE_NAME[A.dtype]}"
        )


def _linalg_unary_infer(fname: str, result: str = "matrix", kernel: str = ""):
    """A batch of square matrices in; a matrix (column-major as LAPACK's, or "contiguous"), a
    number ("scalar") or an int32 LAPACK info ("info") per matrix out. `kernel` names the CPU
    kernel of torch's integer dtype error (NotImplementedError) where torch has no floating
    check of its own."""

    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(fname, operands, 1)
        A = _require_tensor(fname, operands[0], 0)
        shown = attrs.get("function") or fname
        _linalg_square(shown, A)
        if kernel and not is_float(A.dtype):
            raise Unsupported(f"\"{kernel}\" not implemented for '{TORCH_TYPE_NAME[A.dtype]}'")
        _linalg_floating(shown, A)
        if result == "matrix":
            return _column_major(A.shape, A.dtype)
        if result == "contiguous":
            return meta(A.shape, A.dtype)
        return meta(A.shape[:-2], "int32" if result == "info" else A.dtype)

    return infer


def _solve_is_vector_rhs(A: TensorMeta, B: TensorMeta) -> bool:
    """torch's rule: B is a batch of vectors when 1-d, or A's shape less its last dim."""
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])


def _linalg_solve_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("linalg_solve", operands, 2)
    A, B = (_require_tensor("linalg_solve", o, i) for i, o in enumerate(operands))
    _linalg_square("linalg.solve", A)
    _linalg_floating("linalg.solve", A)
    vector = _solve_is_vector_rhs(A, B)
    B_shape = (*B.shape, 1) if vector else B.shape
    if len(B_shape) < 2:
        raise ShapeMismatch("linalg.solve: The input tensor B must have at least 2 dimensions.")
    if A.dtype != B.dtype:
        raise DtypeMismatch(
            "linalg.solve: Expected A and B to have the same dtype, but found A of type "
            f"{TORCH_TYPE_NAME[A.dtype]} and B of type {TORCH_TYPE_NAME[B.dtype]} instead"
        )
    left = attrs["left"]
    n = A.shape[-1]
    if (B_shape[-2] if left else B_shape[-1]) != n:
        raise ShapeMismatch(
            f"linalg.solve: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {B_shape[-2]}x{B_shape[-1]})"
        )
    batch = broadcast_shapes(B_shape[:-2], A.shape[:-2])
    shape = (*batch, *B_shape[-2:-1]) if vector else (*batch, *B_shape[-2:])
    return _column_major(shape, A.dtype) if left else meta(shape, A.dtype)


def _solve_triangular_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("linalg_solve_triangular", operands, 2)
    A, B = (_require_tensor("linalg_solve_triangular", o, i) for i, o in enumerate(operands))
    fname = "linalg.solve_triangular"
    if B.ndim < 2:
        raise ShapeMismatch(f"{fname}: The input tensor B must have at least 2 dimensions.")
    _linalg_square(fname, A)
    n, left = A.shape[-1], attrs["left"]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise ShapeMismatch(
            f"{fname}: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {B.shape[-2]}x{B.shape[-1]})"
        )
    dtype = promote_types(A.dtype, B.dtype)
    if not is_float(dtype):
        raise Unsupported(
            f"\"triangular_solve_cpu\" not implemented for '{TORCH_TYPE_NAME[dtype]}'"
        )
    return _column_major((*broadcast_shapes(B.shape[:-2], A.shape[:-2]), *B.shape[-2:]), dtype)


def _cholesky_solve_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("cholesky_solve", operands, 2)
    B, L = (_require_tensor("cholesky_solve", o, i) for i, o in enumerate(operands))
    for name, m in (("b", B), ("u", L)):
        if m.ndim < 2:
            raise ShapeMismatch(
                f"{name} should have at least 2 dimensions, but has {m.ndim} dimensions instead"
            )
    if L.shape[-1] != L.shape[-2] or L.shape[-1] != B.shape[-2]:
        raise ShapeMismatch(
            f"Incompatible matrix sizes for cholesky_solve: each A matrix is {L.shape[-2]} by "
            f"{L.shape[-1]} but each b matrix is {B.shape[-2]} by {B.shape[-1]}"
        )
    if B.dtype != L.dtype:
        raise DtypeMismatch(
            f"expected scalar type {TORCH_TYPE_NAME[B.dtype]} but found {TORCH_TYPE_NAME[L.dtype]}"
        )
    if not is_float(B.dtype):
        raise Unsupported(
            f"\"cholesky_solve_cpu\" not implemented for '{TORCH_TYPE_NAME[B.dtype]}'"
        )
    shape = (*broadcast_shapes(B.shape[:-2], L.shape[:-2]), *B.shape[-2:])
    return _column_major(shape, B.dtype)


_CHECK_ERRORS = Attr(
    "check_errors", "bool", "A matrix that fails is torch's LinAlgError (`LINALG_ERROR`).", True
)
_FUNCTION = Attr(
    "function", "string", "The function torch's messages name (the op's own when empty).", ""
)
_UPPER = Attr("upper", "bool", "The matrices are upper (not lower) triangular.", False)
_LEFT = Attr("left", "bool", "Solve A X = B (False: X A = B).", True)


def _computes_in_input_dtype(operands: Sequence[Operand], out: TensorMeta) -> str:
    """An integer result (LAPACK's info, a rank) of the floating input it is computed from."""
    return operands[0].dtype


def _register_linalg(name, torch_name, doc, inputs, infer, grad_fn, saves, attrs=(), **more):
    _register(
        OpSpec(
            name,
            torch_name,
            doc,
            inputs,
            (grad_fn is not None,) * len(inputs),
            infer,
            grad_fn if callable(grad_fn) else _named(grad_fn or ""),
            saves,
            attrs,
            **more,
        )
    )


_register_linalg(
    "linalg_inv",
    "torch.linalg.inv",
    "The inverse of each square matrix; a singular one (with `check_errors`) is torch's "
    "LinAlgError.",
    ("self",),
    _linalg_unary_infer("linalg.inv"),
    "LinalgInvExBackward0",
    _result,
    (_CHECK_ERRORS, _FUNCTION),
)
_register_linalg(
    "linalg_inv_info",
    "torch.linalg.inv_ex",
    "LAPACK getrf's info of each matrix: 0, or the first zero diagonal element of U from 1.",
    ("self",),
    _linalg_unary_infer("linalg.inv", "info"),
    None,
    _nothing,
    computes_in=_computes_in_input_dtype,
)
_register_linalg(
    "linalg_det",
    "torch.linalg.det",
    "The determinant of each square matrix.",
    ("self",),
    _linalg_unary_infer("linalg.det", "scalar"),
    "LinalgDetBackward0",
    _self,
    (_FUNCTION,),
)
_register_linalg(
    "linalg_slogdet",
    "torch.linalg.slogdet",
    "log |det A| of each square matrix (-inf where singular).",
    ("self",),
    _linalg_unary_infer("linalg.slogdet", "scalar"),
    "LinalgSlogdetBackward0",
    _self,
    (_FUNCTION,),
)
_register_linalg(
    "linalg_slogdet_sign",
    "torch.linalg.slogdet",
    "The sign of det A (-1, 0 or 1) of each square matrix; no gradient flows through it.",
    ("self",),
    _linalg_unary_infer("linalg.slogdet", "scalar"),
    "LinalgSlogdetBackward0",
    _self,
    (_FUNCTION,),
    passes_gradient=lambda attrs: False,
)
_register_linalg(
    "linalg_cholesky",
    "torch.linalg.cholesky",
    "The Cholesky factor L (A = L Lᵀ; `upper`: U, A = Uᵀ U) of each positive-definite matrix, "
    "read from its lower (upper) triangle; with `check_errors`, one that is not is torch's "
    "LinAlgError.",
    ("self",),
    _linalg_unary_infer("linalg.cholesky"),
    lambda operands, attrs: (
        "CholeskyBackward0" if attrs.get("function") == "cholesky" else "LinalgCholeskyExBackward0"
    ),
    _result,
    (_UPPER, _CHECK_ERRORS, _FUNCTION),
)
_register_linalg(
    "linalg_cholesky_info",
    "torch.linalg.cholesky_ex",
    "LAPACK potrf's info of each matrix: 0, or the order of the first leading minor that is "
    "not positive-definite.",
    ("self",),
    _linalg_unary_infer("linalg.cholesky", "info"),
    None,
    _nothing,
    (_UPPER,),
    computes_in=_computes_in_input_dtype,
)
_register_linalg(
    "cholesky_inverse",
    "torch.cholesky_inverse",
    "(L Lᵀ)⁻¹ (`upper`: (Uᵀ U)⁻¹) of each triangular factor.",
    ("self",),
    _linalg_unary_infer("cholesky_inverse", kernel="cholesky_inverse_out_cpu"),
    "CholeskyInverseBackward0",
    _self_and_result,
    (_UPPER,),
)
_register_linalg(
    "linalg_solve",
    "torch.linalg.solve",
    "X with A X = B (`left` False: X A = B), batches broadcast; B a batch of vectors by "
    "torch's rule; a singular A (with `check_errors`) is torch's LinAlgError.",
    ("self", "other"),
    _linalg_solve_infer,
    "LinalgSolveExBackward0",
    _self_and_result,
    (_LEFT, _CHECK_ERRORS, _FUNCTION),
)
_register_linalg(
    "linalg_solve_triangular",
    "torch.linalg.solve_triangular",
    "X with A X = B (`left` False: X A = B) for A's upper (lower) triangle, its diagonal "
    "taken as ones when `unitriangular`; batches broadcast.",
    ("self", "other"),
    _solve_triangular_infer,
    "LinalgSolveTriangularBackward0",
    _self_and_result,
    (
        Attr("upper", "bool", "A is upper (not lower) triangular.", optional=False),
        _LEFT,
        Attr("unitriangular", "bool", "A's diagonal is taken as ones.", False),
    ),
)
_register_linalg(
    "cholesky_solve",
    "torch.cholesky_solve",
    "X with (L Lᵀ) X = B (`upper`: (Uᵀ U) X = B), for B (self) and the factor (other); "
    "batches broadcast.",
    ("self", "other"),
    _cholesky_solve_infer,
    "CholeskySolveBackward0",
    lambda needs, attrs: ("other", "result"),
    (_UPPER,),
)


def _eigh_infer(result: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands("linalg_eigh", operands, 1)
        A = _require_tensor("linalg_eigh", operands[0], 0)
        _linalg_square("linalg.eigh", A)
        if not is_float(A.dtype):
            raise Unsupported(
                f"\"linalg_eigh_cpu\" not implemented for '{TORCH_TYPE_NAME[A.dtype]}'"
            )
        if attrs["UPLO"] not in ("L", "U", "l", "u"):
            raise ComputeError(f"Expected UPLO argument to be 'L' or 'U', but got {attrs['UPLO']}")
        if result == "values":
            return meta(A.shape[:-1], A.dtype)
        return _column_major(A.shape, A.dtype)

    return infer


def _svd_infer(result: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands("linalg_svd", operands, 1)
        A = _require_tensor("linalg_svd", operands[0], 0)
        if A.ndim < 2:
            raise ShapeMismatch("linalg.svd: The input tensor A must have at least 2 dimensions.")
        _linalg_floating("linalg.svd", A)
        *batch, m, n = A.shape
        k = min(m, n)
        if result == "S":
            return meta((*batch, k), A.dtype)
        full = attrs["full_matrices"]
        if result == "U":
            return _column_major((*batch, m, m if full else k), A.dtype)
        return _column_major((*batch, n if full else k, n), A.dtype)

    return infer


_UPLO = Attr("UPLO", "string", "Which triangle of A is read: 'L' (lower) or 'U' (upper).", "L")
_FULL_MATRICES = Attr(
    "full_matrices", "bool", "U is m × m and Vh n × n (else m × k and k × n, k = min(m, n)).", True
)
for _name, _part, _doc in (
    ("linalg_eigh_values", "values", "the eigenvalues, ascending"),
    ("linalg_eigh_vectors", "vectors", "the eigenvectors, one per column (LAPACK's signs)"),
):
    _register_linalg(
        _name,
        "torch.linalg.eigh",
        f"Of each symmetric matrix, read from one triangle: {_doc}.",
        ("self",),
        _eigh_infer(_part),
        "LinalgEighBackward0",
        _self if _part == "values" else _self_and_result,
        (_UPLO,),
    )
for _name, _part, _doc in (
    ("linalg_svd_u", "U", "the left singular vectors U"),
    ("linalg_svd_s", "S", "the singular values, descending"),
    ("linalg_svd_vh", "Vh", "the right singular vectors, transposed (Vh)"),
):
    _register_linalg(
        _name,
        "torch.linalg.svd",
        f"Of each matrix's singular value decomposition A = U diag(S) Vh: {_doc}.",
        ("self",),
        _svd_infer(_part),
        "LinalgSvdBackward0",
        _self,
        () if _part == "S" else (_FULL_MATRICES,),
    )
_register_linalg(
    "linalg_matrix_exp",
    "torch.linalg.matrix_exp",
    "The matrix exponential Σ Aᵏ / k! of each square matrix.",
    ("self",),
    _linalg_unary_infer("linalg.matrix_exp", "contiguous"),
    "LinalgMatrixExpBackward0",
    _self,
)


def _qr_infer(result: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands("linalg_qr", operands, 1)
        A = _require_tensor("linalg_qr", operands[0], 0)
        if A.ndim < 2:
            raise ShapeMismatch("linalg.qr: The input tensor A must have at least 2 dimensions.")
        _linalg_floating("linalg.qr", A)
        mode = attrs["mode"]
        if mode not in ("reduced", "complete", "r"):
            raise ComputeError(
                f"qr received unrecognized mode '{mode}' but expected one of 'reduced' "
                "(default), 'r', or 'complete'"
            )
        *batch, m, n = A.shape
        k = m if mode == "complete" else min(m, n)
        if result == "Q":
            return meta((0,), A.dtype) if mode == "r" else _column_major((*batch, m, k), A.dtype)
        return _column_major((*batch, k, n), A.dtype)

    return infer


_QR_MODE = Attr(
    "mode", "string", "'reduced' (k = min(m, n) columns of Q), 'complete' or 'r'.", "reduced"
)
for _name, _part, _doc in (
    ("linalg_qr_q", "Q", "Q, orthonormal columns (empty for mode 'r')"),
    ("linalg_qr_r", "R", "R, upper triangular"),
):
    _register_linalg(
        _name,
        "torch.linalg.qr",
        f"Of each matrix's QR decomposition A = Q R (LAPACK's Householder geqrf): {_doc}.",
        ("self",),
        _qr_infer(_part),
        "LinalgQrBackward0",
        _self,
        (_QR_MODE,),
    )


def _pinv_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("linalg_pinv", operands, 1)
    A = _require_tensor("linalg_pinv", operands[0], 0)
    if A.ndim < 2 or not is_float(A.dtype):
        shown = ", ".join(map(str, A.shape))
        raise ShapeMismatch(
            f"linalg.pinv({TORCH_TYPE_NAME[A.dtype]}{{[{shown}]}}): expected a tensor with 2 or "
            "more dimensions of float, double, cfloat or cdouble types"
        )
    if attrs["hermitian"]:
        _linalg_square("linalg.eigh", A)
    return meta((*A.shape[:-2], A.shape[-1], A.shape[-2]), A.dtype)


_register_linalg(
    "linalg_pinv",
    "torch.linalg.pinv",
    "The pseudo-inverse of each matrix from its SVD (`hermitian`: its eigendecomposition), "
    "singular values at most max(atol, rtol · σ_max) taken as zero.",
    ("self",),
    _pinv_infer,
    "LinalgPinvBackward0",
    _self_and_result,
    (
        Attr("atol", "float", "The absolute tolerance.", 0.0),
        Attr("rtol", "float", "The tolerance relative to the largest singular value.", 0.0),
        Attr("hermitian", "bool", "A is symmetric: read from its lower triangle.", False),
    ),
)


def _lstsq_check(operands: Sequence[Operand]) -> tuple[TensorMeta, TensorMeta, bool]:
    """torch.linalg.lstsq's checks in its order; whether B is a batch of vectors."""
    _check_operands("linalg_lstsq", operands, 2)
    A, B = (_require_tensor("linalg_lstsq", o, i) for i, o in enumerate(operands))
    if A.ndim < 2:
        raise ShapeMismatch("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if not 0 <= A.ndim - B.ndim <= 1:
        raise ShapeMismatch(
            "torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and "
            "(input.dim() - other.dim()) <= 1"
        )
    vector = B.ndim == A.ndim - 1
    if (B.shape[-1] if vector else B.shape[-2]) != A.shape[-2]:
        raise ShapeMismatch("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    if A.dtype != B.dtype:
        raise DtypeMismatch(
            "torch.linalg.lstsq: Expected input and other to have the same dtype, but got "
            f"input's dtype {TORCH_TYPE_NAME[A.dtype]} and other's dtype "
            f"{TORCH_TYPE_NAME[B.dtype]}"
        )
    if not is_float(A.dtype):
        raise ComputeError("This function doesn't handle types other than float and double")
    return A, B, vector


def _lstsq_infer(result: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        A, B, vector = _lstsq_check(operands)
        *a_batch, m, n = A.shape
        B_batch = B.shape[:-1] if vector else B.shape[:-2]
        batch = broadcast_shapes(a_batch, B_batch)
        if result == "rank":  # (of A's matrices, whatever B's batch)
            return meta(a_batch, "int64")
        if result == "residuals":
            return meta((0,), A.dtype)
        k = 1 if vector else B.shape[-1]
        rows = max(m, n)  # LAPACK solves in B's storage: rows of max(m, n), the first n kept
        full = _column_major((*batch, rows, k), A.dtype)
        shape = (*batch, n) if vector else (*batch, n, k)
        return TensorMeta(shape, A.dtype, full.strides[:-1] if vector else full.strides)

    return infer


_RCOND = Attr("rcond", "float", "Singular values below rcond · σ_max count as zero.", 0.0)
_register_linalg(
    "linalg_lstsq",
    "torch.linalg.lstsq",
    "The least-squares solution X of A X ≈ B (LAPACK's gelsy, torch's CPU default), batches "
    "broadcast, B a batch of vectors when it has one dim fewer than A.",
    ("self", "other"),
    _lstsq_infer("solution"),
    "LinalgLstsqBackward0",
    lambda needs, attrs: ("self", "other"),
    (_RCOND,),
)
_register_linalg(
    "linalg_lstsq_residuals",
    "torch.linalg.lstsq",
    "The residuals of the gelsy driver: always empty; no gradient flows through them.",
    ("self", "other"),
    _lstsq_infer("residuals"),
    "LinalgLstsqBackward0",
    lambda needs, attrs: ("self", "other"),
    passes_gradient=lambda attrs: False,
)
_register_linalg(
    "linalg_lstsq_rank",
    "torch.linalg.lstsq",
    "The rank gelsy finds for each matrix of A (int64).",
    ("self", "other"),
    _lstsq_infer("rank"),
    None,
    _nothing,
    (_RCOND,),
    computes_in=_computes_in_input_dtype,
)


# ---- LU (LAPACK's getrf: both factors in one matrix, 1-based int32 pivots), lu_unpack,
# lu_solve; geqrf and householder_product (LAPACK's Householder reflectors)


def _lu_input(fname: str, operands: Sequence[Operand], attrs: dict, name: str) -> TensorMeta:
    """torch's checks of linalg.lu_factor's and linalg.lu's input, in its order."""
    _check_operands(name, operands, 1)
    A = _require_tensor(name, operands[0], 0)
    if A.ndim < 2:
        raise ShapeMismatch(
            f"{fname}: Expected tensor with 2 or more dimensions. Got size: "
            f"[{', '.join(map(str, A.shape))}] instead"
        )
    if not attrs.get("pivot", True):
        raise ComputeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    if not is_float(A.dtype):
        raise Unsupported(f"\"lu_cpu\" not implemented for '{TORCH_TYPE_NAME[A.dtype]}'")
    return A


def _lu_factor_infer(result: str):
    """lu_factor's LU (column-major as LAPACK's), its int32 pivots (min(m, n) a matrix) or
    its int32 info (one a matrix)."""

    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        A = _lu_input("torch.lu_factor", operands, attrs, "linalg_lu_factor")
        *batch, m, n = A.shape
        if result == "LU":
            return _column_major(A.shape, A.dtype)
        return meta((*batch, min(m, n)) if result == "pivots" else batch, "int32")

    return infer


def _lu_infer(result: str):
    """linalg.lu's P (m × m), L (m × k) or U (k × n), k = min(m, n), contiguous."""

    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        A = _lu_input("linalg.lu", operands, attrs, "linalg_lu")
        *batch, m, n = A.shape
        k = min(m, n)
        return meta((*batch, *{"P": (m, m), "L": (m, k), "U": (k, n)}[result]), A.dtype)

    return infer


def _lu_unpack_infer(result: str):
    """torch.lu_unpack's P, L or U of LU_data's batch."""

    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands("lu_unpack", operands, 2)
        LU, pivots = (_require_tensor("lu_unpack", o, i) for i, o in enumerate(operands))
        if LU.ndim < 2:
            raise ShapeMismatch(
                "torch.lu_unpack: Expected tensor with 2 or more dimensions. Got size: "
                f"[{', '.join(map(str, LU.shape))}] instead"
            )
        if attrs.get("unpack_pivots", True) and pivots.dtype != "int32":
            raise DtypeMismatch(
                "torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 "
                "dtype.\nNote: this function is intended to be used with the output produced by "
                "torch.linalg.lu_factor"
            )
        *batch, m, n = LU.shape
        k = min(m, n)
        if not attrs.get("unpack_data", True):
            return meta((0,), LU.dtype)
        return meta((*batch, *{"P": (m, m), "L": (m, k), "U": (k, n)}[result]), LU.dtype)

    return infer


def _lu_solve_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.linalg.lu_solve's checks in its order; the result column-major for `left`."""
    _check_operands("linalg_lu_solve", operands, 3)
    LU, pivots, B = (_require_tensor("linalg_lu_solve", o, i) for i, o in enumerate(operands))
    _linalg_floating("torch.linalg.lu_solve", LU)
    if LU.dtype != B.dtype:
        raise DtypeMismatch(
            "linalg.lu_solve: Expected LU and B to have the same dtype, but found LU of type "
            f"{TORCH_TYPE_NAME[LU.dtype]} and B of type {TORCH_TYPE_NAME[B.dtype]} instead"
        )
    if pivots.dtype != "int32":
        raise DtypeMismatch("linalg.lu_solve: pivots should be a Tensor of scalar type torch.int32")
    _linalg_square("torch.linalg.lu_solve", LU)
    if B.ndim < 2:
        raise ShapeMismatch("linalg.lu_solve: The input tensor B must have at least 2 dimensions.")
    n, left = LU.shape[-1], attrs["left"]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise ShapeMismatch(
            f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {B.shape[-2]}x{B.shape[-1]})"
        )
    if pivots.ndim == 0 or pivots.shape[-1] != n:
        raise ShapeMismatch(
            "linalg.lu_solve: Number of pivots per batch should be same as the dimension of the "
            "matrix"
        )
    if pivots.shape != LU.shape[:-1]:
        raise ShapeMismatch(
            "linalg.lu_solve: Expected LU.shape[:-1] and pivots.shape to be the same, but got "
            f"pivots with shape [{', '.join(map(str, pivots.shape))}] instead"
        )
    shape = (*broadcast_shapes(B.shape[:-2], LU.shape[:-2]), *B.shape[-2:])
    return _column_major(shape, B.dtype) if left else meta(shape, B.dtype)


_PIVOT = Attr("pivot", "bool", "Partial pivoting (False is refused on the CPU, as torch's).", True)
_lu_doc = "LAPACK getrf's LU factorization of each matrix, A = P L U with row pivoting"
_register_linalg(
    "linalg_lu_factor",
    "torch.linalg.lu_factor",
    f"{_lu_doc}: L (below the diagonal, its unit diagonal implied) and U in one matrix; with "
    "`check_errors`, a zero on U's diagonal is torch's error naming `function`.",
    ("self",),
    _lu_factor_infer("LU"),
    "LinalgLuFactorExBackward0",
    _self,
    (_PIVOT, _CHECK_ERRORS, _FUNCTION),
)
_register_linalg(
    "linalg_lu_factor_pivots",
    "torch.linalg.lu_factor",
    f"{_lu_doc}: the pivots, int32 and 1-based as LAPACK's (row i was swapped with row pivots[i]).",
    ("self",),
    _lu_factor_infer("pivots"),
    None,
    _nothing,
    (_PIVOT,),
    computes_in=_computes_in_input_dtype,
)
_register_linalg(
    "linalg_lu_factor_info",
    "torch.linalg.lu_factor_ex",
    f"{_lu_doc}: getrf's info, int32: 0, or the first zero diagonal element of U from 1.",
    ("self",),
    _lu_factor_infer("info"),
    None,
    _nothing,
    (_PIVOT,),
    computes_in=_computes_in_input_dtype,
)
_register_linalg(
    "linalg_lu_p",
    "torch.linalg.lu",
    f"{_lu_doc}: the permutation matrix P; not differentiable.",
    ("self",),
    _lu_infer("P"),
    None,
    _nothing,
    (_PIVOT,),
)
for _name, _part, _doc in (
    ("linalg_lu_l", "L", "L, unit lower triangular (trapezoidal), m × min(m, n)"),
    ("linalg_lu_u", "U", "U, upper triangular (trapezoidal), min(m, n) × n"),
):
    _register_linalg(
        _name,
        "torch.linalg.lu",
        f"{_lu_doc}: {_doc}.",
        ("self",),
        _lu_infer(_part),
        "LinalgLuBackward0",
        _self,
        (_PIVOT,),
    )
for _name, _part, _doc in (
    ("lu_unpack_p", "P", "the permutation matrix P the pivots make; not differentiable"),
    ("lu_unpack_l", "L", "L, the unit lower triangle (trapezoid) of LU_data"),
    ("lu_unpack_u", "U", "U, the upper triangle (trapezoid) of LU_data"),
):
    _register(
        OpSpec(
            _name,
            "torch.lu_unpack",
            f"Of lu_factor's LU_data (self) and 1-based int32 pivots (other): {_doc}.",
            ("self", "other"),
            (_part != "P", False),
            _lu_unpack_infer(_part),
            _named("" if _part == "P" else "LuUnpackBackward0"),
            _nothing,
            ()
            if _part == "P"
            else (
                Attr("unpack_data", "bool", "False: an empty result (torch's).", True),
                Attr("unpack_pivots", "bool", "False: the pivots' dtype is not checked.", True),
            ),
        )
    )
_register(
    OpSpec(
        "linalg_lu_solve",
        "torch.linalg.lu_solve",
        "X with A X = B (`left` False: X A = B; `adjoint`: Aᵀ in A's place) for A given by "
        "lu_factor's LU (self) and pivots; batches broadcast; pivots out of [1, n] are torch's "
        "error.",
        ("self", "pivots", "other"),
        (True, False, True),
        _lu_solve_infer,
        _named("LinalgLuSolveBackward0"),
        lambda needs, attrs: ("self", "pivots", "result"),
        (_LEFT, Attr("adjoint", "bool", "Solve with Aᵀ (A's adjoint) in A's place.", False)),
    )
)


def _geqrf_infer(result: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands("geqrf", operands, 1)
        A = _require_tensor("geqrf", operands[0], 0)
        if A.ndim < 2:
            raise ShapeMismatch("torch.geqrf: input must have at least 2 dimensions.")
        if not is_float(A.dtype):
            raise Unsupported(f"\"geqrf_cpu\" not implemented for '{TORCH_TYPE_NAME[A.dtype]}'")
        if result == "a":
            return _column_major(A.shape, A.dtype)
        return meta((*A.shape[:-2], min(A.shape[-2:])), A.dtype)

    return infer


for _name, _part, _doc in (
    ("geqrf_a", "a", "R on and above the diagonal, the reflectors' vectors below it"),
    ("geqrf_tau", "tau", "the reflectors' scale factors tau"),
):
    _register_linalg(
        _name,
        "torch.geqrf",
        f"LAPACK geqrf's QR of each matrix as Householder reflectors: {_doc}. Its derivative "
        "is not implemented, as torch's.",
        ("self",),
        _geqrf_infer(_part),
        "GeqrfBackward0",
        _nothing,
    )


def _householder_product_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("linalg_householder_product", operands, 2)
    A, tau = (_require_tensor("linalg_householder_product", o, i) for i, o in enumerate(operands))
    fname = "torch.linalg.householder_product"
    if A.ndim < 2:
        raise ShapeMismatch(f"{fname}: input must have at least 2 dimensions.")
    if A.shape[-2] < A.shape[-1]:
        raise ShapeMismatch(
            f"{fname}: input.shape[-2] must be greater than or equal to input.shape[-1]"
        )
    if tau.ndim and A.shape[-1] < tau.shape[-1]:
        raise ShapeMismatch(
            f"{fname}: input.shape[-1] must be greater than or equal to tau.shape[-1]"
        )
    if A.ndim - tau.ndim != 1:
        raise ShapeMismatch(
            f"{fname}: Expected tau to have one dimension less than input, but got tau.ndim "
            f"equal to {tau.ndim} and input.ndim is equal to {A.ndim}"
        )
    if tau.shape[:-1] != A.shape[:-2]:
        raise ShapeMismatch(
            f"{fname}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got "
            f"[{', '.join(map(str, tau.shape[:-1]))}]"
        )
    if A.dtype != tau.dtype:
        raise DtypeMismatch(
            f"{fname}: tau dtype {TORCH_TYPE_NAME[tau.dtype]} does not match input dtype "
            f"{TORCH_TYPE_NAME[A.dtype]}"
        )
    if not is_float(A.dtype):
        raise Unsupported(f"\"orgqr_cpu\" not implemented for '{TORCH_TYPE_NAME[A.dtype]}'")
    return _column_major(A.shape, A.dtype)


_register_linalg(
    "linalg_householder_product",
    "torch.linalg.householder_product",
    "The first n columns of H₁ … H_k, H_i = I − tau_i v_i v_iᵀ, v_i column i of self below "
    "the diagonal with a one on it (LAPACK's orgqr).",
    ("self", "other"),
    _householder_product_infer,
    "LinalgHouseholderProductBackward0",
    lambda needs, attrs: ("self", "other", "result"),
)


def _logsumexp_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.logsumexp: float input's dtype, the default float for integers and bools. No
    dims reduce them all; of a tensor with elements and dims, without keepdim that is
    torch's broadcast error (its maxima keep size-1 dims that nothing squeezes)."""
    _check_operands("logsumexp", operands, 1)
    x = _require_tensor("logsumexp", operands[0], 0)
    dims, keepdim = reduced_dims(x, attrs["dim"]), attrs["keepdim"]
    dtype = x.dtype if is_float(x.dtype) else default_float()
    if not attrs["dim"] and not keepdim and x.ndim and x.numel:
        raise ShapeMismatch(
            f"output with shape [] doesn't match the broadcast shape [{', '.join(['1'] * x.ndim)}]"
        )
    return meta(_keep_shape(x, dims, keepdim), dtype)


_register(
    OpSpec(
        "logsumexp",
        "torch.logsumexp",
        "ln Σ e^x over `dim`, shifted by the maximum as torch's (a maximum of ±inf shifts "
        "by 0: a row of -inf gives -inf, one with +inf gives inf). The gradient is "
        "g e^(x - result).",
        ("self",),
        (True,),
        _logsumexp_infer,
        _named("LogsumexpBackward0"),
        _self_and_result,
        (
            Attr(
                "dim", "ints", "The dimensions to reduce; all of them when empty.", optional=False
            ),
            Attr("keepdim", "bool", "Keep reduced dimensions with size 1.", False),
        ),
    )
)


# ---- selecting reductions: max, min, amax, amin, argmax, argmin; logical all, any


def _in_own_dtype(operands: Sequence[Operand], out: TensorMeta) -> str:
    """A selecting or logical reduction reads its input as it is (bools included)."""
    return operands[0].dtype


def _check_not_empty(
    name: str, x: TensorMeta, dims: Sequence[int] | None, shown: Sequence[int] | None = None
) -> None:
    """A selecting reduction needs something to select: torch's errors for an empty input
    reduced whole (`dims` None: a RuntimeError, an IndexError for argmax and argmin) and for
    a reduced dim of size 0 (IndexError, naming the dim as `shown` gives it)."""
    if dims is None:
        if x.numel == 0:
            hint = (
                " Specify the reduction dim with the 'dim' argument." if "arg" not in name else ""
            )
            error = DimensionOutOfRange if "arg" in name else ShapeMismatch
            raise error(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0.{hint}"
            )
        return
    for d, given in zip(dims, shown or dims, strict=True):
        if x.ndim and x.shape[d] == 0:
            raise DimensionOutOfRange(
                f"{name}(): Expected reduction dim {given} to have non-zero size."
            )


def _select_all_infer(name: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 1)
        x = _require_tensor(name, operands[0], 0)
        _check_not_empty(name, x, None)
        return meta((), x.dtype)

    return infer


def _selected_shape(name: str, x: TensorMeta, dim: int | None, keepdim: bool):
    """The shape of what max(x, dim) or argmax(x, dim) selects (dim None: the whole x),
    once there is something to select."""
    if dim is None:
        _check_not_empty(name, x, None)
        return _keep_shape(x, range(x.ndim), keepdim)
    dim = normalize_dim(dim, x.ndim)
    _check_not_empty(name, x, [dim])
    return _keep_shape(x, [dim] if x.ndim else [], keepdim)


def _select_dim_infer(name: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 1)
        x = _require_tensor(name, operands[0], 0)
        shape = _selected_shape(name.removesuffix("_dim"), x, attrs["dim"], attrs["keepdim"])
        return meta(shape, x.dtype)

    return infer


def _arg_infer(name: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 1)
        x = _require_tensor(name, operands[0], 0)
        if x.dtype == "bool":
            raise DtypeMismatch(f"{name}(): does not support bool input")
        return meta(_selected_shape(name, x, attrs["dim"], attrs["keepdim"]), "int64")

    return infer


def _extremum_infer(name: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 1)
        x = _require_tensor(name, operands[0], 0)
        dim = attrs["dim"]
        given = [dim] if isinstance(dim, int) else list(dim or ())
        dims = reduced_dims(x, given)
        if given:
            order = [normalize_dim(d, x.ndim) if x.ndim else 0 for d in given]
            _check_not_empty(name, x, order, given)
        else:
            _check_not_empty(name, x, None)
        return meta(_keep_shape(x, dims, attrs["keepdim"]), x.dtype)

    return infer


def logical_dims(ndim: int, dim) -> tuple[int, ...]:
    """The dims all() and any() reduce: every one for None, none for an empty list (unlike
    sum(dim=()), which reduces every one)."""
    if dim is None:
        return tuple(range(ndim))
    dims = [dim] if isinstance(dim, int) else dim
    return tuple(sorted({d % ndim for d in dims})) if ndim else ()


def _logical_infer(name: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 1)
        x = _require_tensor(name, operands[0], 0)
        if attrs["dim"] is not None:
            reduced_dims(x, attrs["dim"])  # torch's errors for a dim out of range or repeated
        dims = logical_dims(x.ndim, attrs["dim"])  # a uint8 input answers in uint8, as torch's
        return meta(
            _keep_shape(x, dims, attrs["keepdim"]), "uint8" if x.dtype == "uint8" else "bool"
        )

    return infer


_KEEPDIM = Attr("keepdim", "bool", "Keep reduced dimensions with size 1.", False)
for _name, _what in (("max", "largest"), ("min", "smallest")):
    _title = _name.capitalize()
    _register(
        OpSpec(
            _name,
            f"torch.{_name}",
            f"The {_what} element (nan if any is nan); the gradient is shared evenly by the "
            "elements equal to it.",
            ("self",),
            (True,),
            _select_all_infer(_name),
            _named(f"{_title}Backward1"),
            _self_and_result,
            computes_in=_in_own_dtype,
        )
    )
    _register(
        OpSpec(
            f"{_name}_dim",
            f"torch.{_name}",
            f"The {_what} element along `dim` (torch.{_name}(x, dim)'s values; nan if any is "
            f"nan); the gradient goes to the first such element, the one arg{_name} selects.",
            ("self",),
            (True,),
            _select_dim_infer(f"{_name}_dim"),
            _named(f"{_title}Backward0"),
            _self,
            (Attr("dim", "int", "The dimension to reduce.", optional=False), _KEEPDIM),
            computes_in=_in_own_dtype,
        )
    )
    _register(
        OpSpec(
            f"a{_name}",
            f"torch.a{_name}",
            f"The {_what} element over all or the given dimensions (nan if any is nan); the "
            "gradient is shared evenly by the elements equal to it.",
            ("self",),
            (True,),
            _extremum_infer(f"a{_name}"),
            _named(f"A{_name}Backward0"),
            _self_and_result,
            (
                Attr("dim", "ints", "The dimensions to reduce; all of them when empty.", ()),
                _KEEPDIM,
            ),
            computes_in=_in_own_dtype,
        )
    )
    _register(
        OpSpec(
            f"aminmax_{_name}",
            "torch.aminmax",
            f"torch.aminmax's {_name}: a{_name} over every element or along `dim`, recorded "
            "as AminmaxBackward0 (torch's one node for both; here one for each, with the same "
            "gradients).",
            ("self",),
            (True,),
            _extremum_infer(f"a{_name}"),
            _named("AminmaxBackward0"),
            _self_and_result,
            (
                Attr("dim", "int", "The dimension to reduce; all of them when absent.", None),
                _KEEPDIM,
            ),
            computes_in=_in_own_dtype,
        )
    )
    _register(
        OpSpec(
            f"arg{_name}",
            f"torch.arg{_name}",
            f"The int64 index of the first {_what} element (of the first nan if any), in the "
            "flattened input or along `dim`; not differentiable.",
            ("self",),
            (False,),
            _arg_infer(f"arg{_name}"),
            _named(""),
            _nothing,
            (
                Attr("dim", "int", "The dimension to reduce; the flattened input when absent."),
                _KEEPDIM,
            ),
            computes_in=_in_own_dtype,
        )
    )
for _name, _what in (("all", "all elements are"), ("any", "any element is")):
    _register(
        OpSpec(
            _name,
            f"torch.{_name}",
            f"Whether {_what} nonzero (nan counts as nonzero), as bool; not differentiable.",
            ("self",),
            (False,),
            _logical_infer(_name),
            _named(""),
            _nothing,
            (
                Attr(
                    "dim",
                    "ints",
                    "The dimensions to reduce: all of them when absent, none when empty.",
                ),
                _KEEPDIM,
            ),
            computes_in=_in_own_dtype,
        )
    )


# ---- order statistics: median, nanmedian, mode
# torch.median(x, dim), torch.nanmedian(x, dim) and torch.mode(x, dim) return values and
# indices: as sort's, two ops each, the int64 indices first (median_indices, mode_indices),
# then the values, self's elements at those indices (median_dim, mode), whose node saves
# the indices. torch.median(x) and torch.nanmedian(x) of the whole tensor are one op.


def _check_median_dtype(x: TensorMeta, kernel: str) -> None:
    if x.dtype == "bool":
        raise Unsupported(f"\"{kernel}\" not implemented for 'Bool'")


def _median_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("median", operands, 1)
    x = _require_tensor("median", operands[0], 0)
    _check_median_dtype(x, "median_cpu")
    return meta((), x.dtype)


def _order_statistic_shape(name: str, x: TensorMeta, attrs: dict) -> tuple[int, ...]:
    """torch's checks for median(x, dim) or mode(x, dim): the dim, then its size (not 0)."""
    dim = normalize_dim(attrs["dim"], x.ndim)
    if x.ndim and x.shape[dim] == 0:
        raise DimensionOutOfRange(f"{name}(): Expected reduction dim {dim} to have non-zero size.")
    return _keep_shape(x, [dim] if x.ndim else [], attrs["keepdim"])


def _order_indices_infer(name: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(f"{name}_indices", operands, 1)
        x = _require_tensor(name, operands[0], 0)
        if name == "median":
            _check_median_dtype(x, "median_out")
        return meta(_order_statistic_shape(name, x, attrs), "int64")

    return infer


def _order_values_infer(name: str):
    """median_dim's and mode's values: self's elements at int64 `indices` (median_indices'
    or mode_indices', for the same `dim` and `keepdim`)."""

    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 2)
        x, indices = (_require_tensor(name, o, i) for i, o in enumerate(operands))
        if name == "median_dim":
            _check_median_dtype(x, "median_out")
        shape = _order_statistic_shape(name.removesuffix("_dim"), x, attrs)
        if indices.dtype != "int64" or indices.shape != shape:
            raise InvalidArgument(
                f"{name}(): indices must be int64 of shape {list(shape)}, not {indices.dtype} of "
                f"shape {list(indices.shape)}"
            )
        return meta(shape, x.dtype)

    return infer


_ORDER_DIM = Attr("dim", "int", "The dimension to reduce.", optional=False)
_IGNORE_NAN = Attr(
    "ignore_nan", "bool", "torch.nanmedian (nan left out), else torch.median.", False
)


def _median_node(order: int):
    def name(operands: Sequence[Operand], attrs: dict) -> str:
        return f"{'Nanmedian' if attrs.get('ignore_nan') else 'Median'}Backward{order}"

    return name


_register(
    OpSpec(
        "median",
        "torch.median",
        "The lower median of every element, the one that sorts at (N - 1) // 2 (nan if any is "
        "nan; with `ignore_nan`, torch.nanmedian, of the elements that are not nan). The "
        "gradient is shared evenly by the elements equal to it (the nans for nan).",
        ("self",),
        (True,),
        _median_infer,
        _median_node(0),
        _self_and_result,
        (_IGNORE_NAN,),
        computes_in=_in_own_dtype,
    )
)
_register(
    OpSpec(
        "median_indices",
        "torch.median",
        "The int64 position along `dim` of the lower median, as torch's CPU kernel picks it: "
        "the first nan if any is nan (without `ignore_nan`), else the element at (N - 1) // 2 "
        "once sorted by value then position (nans last). Not differentiable.",
        ("self",),
        (False,),
        _order_indices_infer("median"),
        _named(""),
        _nothing,
        (_ORDER_DIM, _KEEPDIM, _IGNORE_NAN),
        computes_in=_in_own_dtype,
    )
)
_register(
    OpSpec(
        "median_dim",
        "torch.median",
        "The values of torch.median(x, dim) (or torch.nanmedian with `ignore_nan`): self's "
        "elements at `indices` (median_indices', for the same `dim` and `keepdim`). The "
        "gradient goes back to the positions they came from.",
        ("self", "indices"),
        (True, False),
        _order_values_infer("median_dim"),
        _median_node(1),
        _indices,
        (_ORDER_DIM, _KEEPDIM, _IGNORE_NAN),
        computes_in=_in_own_dtype,
    )
)
_register(
    OpSpec(
        "mode_indices",
        "torch.mode",
        "The int64 position along `dim` of the most frequent value (the smallest among "
        "equally frequent ones), as torch's CPU kernel picks it: the last of its run once "
        "sorted by libstdc++'s std::sort with a < b (ported step for step; a nan, never "
        "equal, is a run of its own, left where that sort leaves it). Not differentiable.",
        ("self",),
        (False,),
        _order_indices_infer("mode"),
        _named(""),
        _nothing,
        (_ORDER_DIM, _KEEPDIM),
        computes_in=_in_own_dtype,
    )
)
_register(
    OpSpec(
        "mode",
        "torch.mode",
        "The values of torch.mode(x, dim): self's elements at `indices` (mode_indices', for "
        "the same `dim` and `keepdim`). The gradient goes back to the positions they came from.",
        ("self", "indices"),
        (True, False),
        _order_values_infer("mode"),
        _named("ModeBackward0"),
        _indices,
        (_ORDER_DIM, _KEEPDIM),
        computes_in=_in_own_dtype,
    )
)


def _kthvalue_shape(x: TensorMeta, attrs: dict) -> tuple[int, ...]:
    """torch's checks for kthvalue(x, k, dim): the dim, then k in [1, its size]."""
    dim = normalize_dim(attrs["dim"], x.ndim)
    size = x.shape[dim] if x.ndim else 1
    if not 1 <= attrs["k"] <= size:
        raise ShapeMismatch(f"kthvalue(): selected number k out of range for dimension {dim}")
    return _keep_shape(x, [dim] if x.ndim else [], attrs["keepdim"])


def _kthvalue_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """kthvalue_indices' int64 positions, or with `indices` kthvalue's values at them."""
    name = "kthvalue" if len(operands) == 2 else "kthvalue_indices"
    _check_operands(name, operands, len(operands))
    x = _require_tensor(name, operands[0], 0)
    if x.dtype == "bool":
        raise Unsupported("\"kthvalue_cpu\" not implemented for 'Bool'")
    shape = _kthvalue_shape(x, attrs)
    if name == "kthvalue_indices":
        return meta(shape, "int64")
    indices = _require_tensor(name, operands[1], 1)
    if indices.dtype != "int64" or indices.shape != shape:
        raise InvalidArgument(
            f"kthvalue(): indices must be int64 of shape {list(shape)}, not {indices.dtype} of "
            f"shape {list(indices.shape)}"
        )
    return meta(shape, x.dtype)


_KTH_ATTRS = (Attr("k", "int", "The rank, from 1.", optional=False), _ORDER_DIM, _KEEPDIM)
_register(
    OpSpec(
        "kthvalue_indices",
        "torch.kthvalue",
        "The int64 position along `dim` of the k-th smallest element (nans largest), as "
        "torch's CPU kernel picks it among ties: its quickselect (median-of-three pivot), "
        "ported step for step. Not differentiable.",
        ("self",),
        (False,),
        _kthvalue_infer,
        _named(""),
        _nothing,
        _KTH_ATTRS,
        computes_in=_in_own_dtype,
    )
)
_register(
    OpSpec(
        "kthvalue",
        "torch.kthvalue",
        "The values of torch.kthvalue(x, k, dim): self's elements at `indices` "
        "(kthvalue_indices', for the same `k`, `dim` and `keepdim`). The gradient goes back to "
        "the positions they came from.",
        ("self", "indices"),
        (True, False),
        _kthvalue_infer,
        _named("KthvalueBackward0"),
        _indices,
        _KTH_ATTRS,
        computes_in=_in_own_dtype,
    )
)


# torch.cummax(x, dim) and torch.cummin(x, dim): the int64 positions of the running extreme
# first (cummax_indices, cummin_indices), then the values, self's elements at them.


def _cumulative_extreme_infer(name: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, len(operands))
        x = _require_tensor(name, operands[0], 0)
        normalize_dim(attrs["dim"], x.ndim)
        if len(operands) == 1:
            return meta(x.shape, "int64")
        indices = _require_tensor(name, operands[1], 1)
        if indices.dtype != "int64" or indices.shape != x.shape:
            raise InvalidArgument(
                f"{name}(): indices must be int64 of shape {list(x.shape)}, not "
                f"{indices.dtype} of shape {list(indices.shape)}"
            )
        return meta(x.shape, x.dtype)

    return infer


_CUMULATIVE_DIM = Attr("dim", "int", "The dimension to accumulate along.", optional=False)
for _name, _word in (("cummax", "largest"), ("cummin", "smallest")):
    _register(
        OpSpec(
            f"{_name}_indices",
            f"torch.{_name}",
            f"The int64 position along `dim` of the {_word} element so far, as torch's CPU "
            "kernel keeps it: the last of equal ones; from a nan on, that nan (a later nan "
            "replaces it). Not differentiable.",
            ("self",),
            (False,),
            _cumulative_extreme_infer(f"{_name}_indices"),
            _named(""),
            _nothing,
            (_CUMULATIVE_DIM,),
            computes_in=_in_own_dtype,
        )
    )
    _register(
        OpSpec(
            _name,
            f"torch.{_name}",
            f"The values of torch.{_name}(x, dim): self's elements at `indices` "
            f"({_name}_indices', for the same `dim`). The gradient is added back at those "
            "positions (torch's scatter_add).",
            ("self", "indices"),
            (True, False),
            _cumulative_extreme_infer(_name),
            _named(f"{_name.capitalize()}Backward0"),
            _indices,
            (_CUMULATIVE_DIM,),
            computes_in=_in_own_dtype,
        )
    )


def _logcumsumexp_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("logcumsumexp", operands, 1)
    x = _require_tensor("logcumsumexp", operands[0], 0)
    normalize_dim(attrs["dim"], x.ndim)
    if not is_float(x.dtype):
        raise Unsupported(
            f"\"logcumsumexp_out_cpu\" not implemented for '{TORCH_TYPE_NAME[x.dtype]}'"
        )
    return meta(x.shape, x.dtype)


_register(
    OpSpec(
        "logcumsumexp",
        "torch.logcumsumexp",
        "ln Σ e^x running along `dim`, accumulated in float64 by log-add-exp steps. The "
        "gradient is torch's logcumsumexp_backward: the positive and negative parts of g "
        "through reversed running log-sum-exps of ln|g| - result, plus self, exponentiated.",
        ("self",),
        (True,),
        _logcumsumexp_infer,
        _named("LogcumsumexpBackward0"),
        _self_and_result,
        (_CUMULATIVE_DIM,),
    )
)


# ---- sorting and selecting along a dim: argsort, sort, topk; gather, index_select
# torch.sort and torch.topk return values and indices: as max(x, dim), two ops here, the
# int64 indices first (argsort, topk_indices), then the values, self's elements at those
# indices (sort, topk), whose node saves the indices, as torch's does.


def _ensure_size(m: TensorMeta, d: int) -> int:
    """torch's ensure_nonempty_size: a 0-d tensor counts as one element along dim 0."""
    return m.shape[d] if m.ndim else 1


def _argsort_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("argsort", operands, 1)
    x = _require_tensor("argsort", operands[0], 0)
    normalize_dim(attrs["dim"], x.ndim)
    return TensorMeta(x.shape, "int64", preserved_strides(x))


def _check_topk_dtype(x: TensorMeta) -> None:
    if x.dtype == "bool":
        raise DtypeMismatch("topk does not support bool dtypes on CPU")


def _topk_indices_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.topk's checks in its order: the dim, k within [0, size along it] (a 0-d tensor
    has one element), then a bool input."""
    _check_operands("topk_indices", operands, 1)
    x = _require_tensor("topk", operands[0], 0)
    dim, k = normalize_dim(attrs["dim"], x.ndim), attrs["k"]
    if not 0 <= k <= _ensure_size(x, dim):
        raise ComputeError("selected index k out of range")
    _check_topk_dtype(x)
    return meta((*x.shape[:dim], k, *x.shape[dim + 1 :]) if x.ndim else (), "int64")


def _selected_values_infer(name: str):
    """sort's and topk's values: self's elements at int64 `indices` along `dim`, shaped as
    self but for at most self's size along it (what argsort or topk_indices returned)."""

    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 2)
        x, indices = (_require_tensor(name, o, i) for i, o in enumerate(operands))
        dim = normalize_dim(attrs["dim"], x.ndim)
        fits = indices.ndim == x.ndim and all(
            i <= s if d == dim else i == s
            for d, (i, s) in enumerate(zip(indices.shape, x.shape, strict=True))
        )
        if indices.dtype != "int64" or not fits:
            raise InvalidArgument(
                f"{name}(): indices must be int64, shaped as self {list(x.shape)} but for at "
                f"most its size along dim, not {indices.dtype} of shape {list(indices.shape)}"
            )
        if name == "topk":
            _check_topk_dtype(x)
        if name == "sort":
            return TensorMeta(x.shape, x.dtype, preserved_strides(x))
        return meta(indices.shape, x.dtype)

    return infer


def _gather_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.gather's checks in its order: the dim, then, when the index has elements, its
    dtype, its rank (0-d counting as 1-d) and its sizes (at most self's, but along dim).
    The result has the index's shape, in self's dtype."""
    _check_operands("gather", operands, 2)
    x, index = (_require_tensor("gather", o, i) for i, o in enumerate(operands))
    dim = normalize_dim(attrs["dim"], x.ndim)
    if index.numel:
        if index.dtype not in INDEX_DTYPES:
            raise DtypeMismatch("gather(): Expected dtype int32/int64 for index")
        if max(x.ndim, 1) != max(index.ndim, 1):
            raise ShapeMismatch(
                "Index tensor must have the same number of dimensions as input tensor"
            )
        for d in range(max(x.ndim, 1)):
            if d != dim and _ensure_size(index, d) > _ensure_size(x, d):
                raise ShapeMismatch(
                    f"Size does not match at dimension {d} expected index {list(index.shape)} "
                    f"to be no larger than self {list(x.shape)} apart from dimension {dim}"
                )
    return meta(index.shape, x.dtype)


def _index_select_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.index_select's checks in its order: the dim, a vector index (0-d counts), one
    index for a 0-d self, an integer index, and for a self of two or more dims without
    elements a dim to select from when there is anything to select."""
    _check_operands("index_select", operands, 2)
    x, index = (_require_tensor("index_select", o, i) for i, o in enumerate(operands))
    dim = normalize_dim(attrs["dim"], x.ndim)
    if index.ndim > 1:
        raise InvalidIndex("index_select(): Index is supposed to be a vector")
    if x.ndim == 0 and index.numel != 1:
        raise ShapeMismatch(
            f"index_select(): Index to scalar can have only 1 value, got {index.numel} value(s)"
        )
    if index.dtype not in INDEX_DTYPES:
        raise DtypeMismatch("index_select(): Expected dtype int32 or int64 for index")
    if x.ndim > 1 and x.numel == 0 and index.numel and x.shape[dim] == 0:
        raise ShapeMismatch("index_select(): self indexing axis dim should be positive")
    return meta((*x.shape[:dim], index.numel, *x.shape[dim + 1 :]) if x.ndim else (), x.dtype)


def _pack_padded_sequence_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """A padded self of two or more dims and a 1-d int64 `lengths`, one per sequence; the
    result's rows are the lengths' sum, `total` (the client knows the lengths)."""
    _check_operands("pack_padded_sequence", operands, 2)
    x, lengths = (_require_tensor("pack_padded_sequence", o, i) for i, o in enumerate(operands))
    if lengths.ndim != 1 or lengths.dtype != "int64":
        raise DtypeMismatch(
            "'lengths' argument should be a 1D CPU int64 tensor, but got "
            f"{lengths.ndim}D cpu {TORCH_TYPE_NAME[lengths.dtype]} tensor"
        )
    if x.ndim < 2 or x.numel == 0:
        raise ShapeMismatch("Cannot pack empty tensors.")
    batch = x.shape[0] if attrs.get("batch_first") else x.shape[1]
    if lengths.numel != batch:
        raise ShapeMismatch(
            f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.numel} "
            f"(batch_size={batch})"
        )
    return meta((attrs["total"], *x.shape[2:]), x.dtype)


def _index_add_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch's index_add checks in its order: the dim, a vector index of int64, self's
    dtype in source, one index per source slice, source's shape but for dim."""
    _check_operands("index_add", operands, 3)
    x, index, source = (_require_tensor("index_add", o, i) for i, o in enumerate(operands))
    dim = normalize_dim(attrs["dim"], x.ndim)
    if index.ndim > 1:
        raise InvalidIndex(
            "index_add_(): Index is supposed to be a vector, but got dim: "
            f"{index.ndim} with type: {TORCH_TYPE_NAME[index.dtype]} and size: "
            f"{list(index.shape)}"
        )
    if index.dtype not in INDEX_DTYPES:
        raise DtypeMismatch(
            "index_add_(): Expected dtype int32/int64 for index but got: "
            f"{TORCH_TYPE_NAME[index.dtype]}"
        )
    if x.dtype != source.dtype:
        raise DtypeMismatch(
            f"index_add_(): self ({TORCH_TYPE_NAME[x.dtype]}) and source "
            f"({TORCH_TYPE_NAME[source.dtype]}) must have the same scalar type"
        )
    slices = source.shape[dim] if source.ndim else 1
    if index.numel != slices:
        raise ShapeMismatch(
            f"index_add_(): Number of indices ({index.numel}) should be equal to "
            f"source.size(dim): ({slices}), for dim: {dim}"
        )
    kept_x, kept_source = list(x.shape), list(source.shape)
    if x.ndim and source.ndim:
        del kept_x[dim], kept_source[dim]
    if kept_x != kept_source:
        raise ShapeMismatch(
            "source tensor shape must match self tensor shape, excluding the specified "
            f"dimension. Got self.shape = {list(x.shape)} source.shape = {list(source.shape)}"
        )
    return meta(x.shape, x.dtype)


_register(
    OpSpec(
        "index_add",
        "torch.Tensor.index_add",
        "self with alpha source's slices along `dim` added at the int64 positions of index "
        "(repeats add up); a position out of range (negative ones too) is torch's error at "
        "the next read: INVALID_INDEX for a self of at most 1 dim, else INVALID_COMPUTATION "
        "('index 5 is out of bounds for dimension 0 with size 3'). The gradients: g "
        "for self, alpha g's slices at index for source.",
        ("self", "index", "source"),
        (True, False, True),
        _index_add_infer,
        _named("IndexAddBackward0"),
        lambda needs, attrs: ("index",) if needs[2] else (),
        (
            Attr("dim", "int", "The dimension to add along.", optional=False),
            Attr("alpha", "scalar", "The factor of source (default 1).", 1),
        ),
    )
)


def _index_copy_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch's index_copy checks in its order: the dim, the index's rank, a scalar source's
    one index, matching ranks, the index's dtype, source's dtype, the slices' shapes, one
    index per slice."""
    _check_operands("index_copy", operands, 3)
    x, index, source = (_require_tensor("index_copy", o, i) for i, o in enumerate(operands))
    dim = normalize_dim(attrs["dim"], x.ndim)
    if index.ndim > 1:
        raise InvalidIndex(f"index_copy_(): Index should have dimension 1 or 0 (got {index.ndim})")
    if source.ndim == 0 and index.numel != 1:
        raise InvalidIndex(
            "index_copy_(): When source is scalar, index should have one element (got "
            f"{index.numel})"
        )
    if source.ndim != x.ndim and source.ndim and x.ndim:
        raise InvalidIndex(
            "index_copy_(): When source and destination are not scalars, their "
            f"dimensionality must match. Source dimensionality ({source.ndim}), destination "
            f"dimensionality ({x.ndim})"
        )
    if index.dtype != "int64":
        raise DtypeMismatch(
            "index_copy_(): Expected a long tensor for index, but got "
            f"{TORCH_TYPE_NAME[index.dtype]}"
        )
    if x.dtype != source.dtype:
        raise DtypeMismatch(
            "index_copy_(): self and source expected to have the same dtype, but got (self) "
            f"{TORCH_TYPE_NAME[x.dtype]} and (source) {TORCH_TYPE_NAME[source.dtype]}"
        )
    sliced_x = [s for i, s in enumerate(x.shape) if i != dim]
    sliced_source = [s for i, s in enumerate(source.shape) if i != dim]
    if sliced_x != sliced_source:
        raise ShapeMismatch(
            "index_copy_(): Source/destination tensor must have same slice shapes. Destination "
            f"slice shape: {' '.join(map(str, sliced_x))} at dimension {dim} and source slice "
            f"shape: {' '.join(map(str, sliced_source))} at dimension 0."
        )
    if source.ndim and index.numel != source.shape[dim]:
        raise InvalidIndex(
            f"index_copy_(): Number of indices ({index.numel}) should be equal to "
            f"source.size(dim) ({source.shape[dim]})"
        )
    return meta(x.shape, x.dtype)


_register(
    OpSpec(
        "index_copy",
        "torch.Tensor.index_copy",
        "self with source's slices along `dim` written at the int64 positions of index (the "
        "last of repeats wins); a position out of range (negative ones too) is INVALID_INDEX "
        "at the next read. The gradients: g with those slices zeroed for self, g's slices at "
        "index for source.",
        ("self", "index", "source"),
        (True, False, True),
        _index_copy_infer,
        _named("IndexCopyBackward0"),
        _index,
        (Attr("dim", "int", "The dimension to copy along.", optional=False),),
    )
)


def _index_fill_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch's index_fill checks in its order: the index's dtype, the dim (a 0-d self as
    1-d), a vector or scalar index."""
    x, index = (_require_tensor("index_fill", o, i) for i, o in enumerate(operands[:2]))
    if index.dtype != "int64":
        raise InvalidIndex("index_fill_(): Expected dtype int64 for index.")
    normalize_dim(attrs["dim"], max(x.ndim, 1))
    if index.ndim > 1:
        raise ShapeMismatch("Index has to be a vector/scalar")
    return meta(x.shape, x.dtype)


def _index_fill_tensor_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("index_fill_tensor", operands, 3)
    value = _require_tensor("index_fill_tensor", operands[2], 2)
    if value.ndim:
        raise ShapeMismatch(
            "index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
            f"{value.ndim} dimension(s)."
        )
    return _index_fill_infer(operands, attrs)


_INDEX_FILL_DOC = (
    "self with its slices along `dim` at the int64 positions of index (negative ones from "
    "the end) set to {value}, converted to self's dtype; a position out of range is "
    "INVALID_INDEX at the next read (torch's 'index 5 is out of bounds for dimension 0 with "
    "size 3'). The gradient: g with those slices zeroed for self{grad}."
)
_register(
    OpSpec(
        "index_fill",
        "torch.Tensor.index_fill",
        _INDEX_FILL_DOC.format(value="the number `value`", grad=""),
        ("self", "index"),
        (True, False),
        lambda operands, attrs: (
            _check_operands("index_fill", operands, 2) or _index_fill_infer(operands, attrs)
        ),
        _named("IndexFillBackward0"),
        _index,
        (
            Attr("dim", "int", "The dimension to fill along.", optional=False),
            Attr("value", "scalar", "The value.", optional=False),
        ),
        computes_in=lambda operands, out: out.dtype,
    )
)
_register(
    OpSpec(
        "index_fill_tensor",
        "torch.Tensor.index_fill",
        _INDEX_FILL_DOC.format(
            value="the 0-d tensor `value`",
            grad=", the sum of g over those slices for value",
        ),
        ("self", "index", "value"),
        (True, False, True),
        _index_fill_tensor_infer,
        _named("IndexFillBackward1"),
        _index,
        (Attr("dim", "int", "The dimension to fill along.", optional=False),),
        computes_in=lambda operands, out: out.dtype,
    )
)


def _take_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("take", operands, 2)
    x, index = (_require_tensor("take", o, i) for i, o in enumerate(operands))
    if index.dtype != "int64":
        raise DtypeMismatch(
            f"take(): Expected a long tensor for index, but got {TORCH_TYPE_NAME[index.dtype]}"
        )
    if x.numel == 0 and index.numel:
        raise InvalidIndex("take(): tried to take from an empty tensor")
    return meta(index.shape, x.dtype)


_register(
    OpSpec(
        "take",
        "torch.take",
        "self's elements, as if flattened, at the int64 positions of index (negative ones "
        "count from the end), in index's shape; one out of range is INVALID_INDEX (torch's "
        "'out of range: tried to access index 12 on a tensor of 12 elements.'). The gradient "
        "adds each element back at its position.",
        ("self", "index"),
        (True, False),
        _take_infer,
        _named("TakeBackward0"),
        _index,
        computes_in=_in_own_dtype,
    )
)


def _masked_select_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("masked_select", operands, 2)
    x, mask = (_require_tensor("masked_select", o, i) for i, o in enumerate(operands))
    if mask.dtype != "bool":
        raise DtypeMismatch("masked_select: expected BoolTensor for mask")
    broadcast_shapes(mask.shape, x.shape)  # torch's order, for its error
    return meta((attrs["count"],), x.dtype)


_register(
    OpSpec(
        "masked_select",
        "torch.masked_select",
        "self's elements where the bool mask is true, self and mask broadcast, as a vector of "
        "`count` elements (clients read the mask to count them, as torch synchronizes); a "
        "count that is not the mask's is INVALID_VALUE. The gradient goes back to those "
        "positions.",
        ("self", "mask"),
        (True, False),
        _masked_select_infer,
        _named("MaskedSelectBackward0"),
        lambda needs, attrs: ("mask",),
        (Attr("count", "int", "How many elements the broadcast mask selects.", optional=False),),
        computes_in=_in_own_dtype,
    )
)


_SORT_DIM = Attr("dim", "int", "The dimension to sort along (default -1, the last).", -1)
_register(
    OpSpec(
        "argsort",
        "torch.argsort",
        "The int64 position along `dim` of each element of the sorted input (nan largest), "
        "in torch's order: equal elements stay in their order with `stable`; without it "
        "they come out where torch's CPU sort (libstdc++'s std::sort, ported step for step) "
        "puts them, except for the stable radix sort torch uses for an ascending 1-d int64 "
        "input of 32,768 elements or more, and a dim of stride 0 (expanded), which torch "
        "leaves in place. Strides as self's, as torch's. Not differentiable.",
        ("self",),
        (False,),
        _argsort_infer,
        _named(""),
        _nothing,
        (
            _SORT_DIM,
            Attr("descending", "bool", "Largest first (nan first).", False),
            Attr("stable", "bool", "Keep equal elements in their order.", False),
        ),
        computes_in=_in_own_dtype,
    )
)
_register(
    OpSpec(
        "sort",
        "torch.sort",
        "The values of torch.sort: self's elements at `indices` (argsort's, for the same "
        "`dim`) along `dim`. The gradient goes back to the positions they came from.",
        ("self", "indices"),
        (True, False),
        _selected_values_infer("sort"),
        lambda operands, attrs: "SortBackward0" if attrs.get("stable") is None else "SortBackward1",
        _indices,
        (
            _SORT_DIM,
            Attr(
                "stable",
                "bool",
                "Names the node only: given (even as false), torch's sort.stable overload "
                "(SortBackward1); absent, SortBackward0. The order is the indices'.",
            ),
        ),
        computes_in=_in_own_dtype,
    )
)
_register(
    OpSpec(
        "topk_indices",
        "torch.topk",
        "The int64 positions along `dim` of the k largest (or smallest) elements, nan "
        "largest, in torch's CPU order (libstdc++'s std::partial_sort when 64·k <= the size "
        "along dim, else std::nth_element, then std::sort of the first k - 1 when `sorted`, "
        "ported step for step, so ties come out as torch's). Not differentiable.",
        ("self",),
        (False,),
        _topk_indices_infer,
        _named(""),
        _nothing,
        (
            Attr("k", "int", "How many elements.", optional=False),
            Attr("dim", "int", "The dimension to select along (default -1, the last).", -1),
            Attr("largest", "bool", "The largest (true, the default) or the smallest.", True),
            Attr("sorted", "bool", "In sorted order (the default), or as selected.", True),
        ),
        computes_in=_in_own_dtype,
    )
)
_register(
    OpSpec(
        "topk",
        "torch.topk",
        "The values of torch.topk: self's elements at `indices` (topk_indices', for the "
        "same `dim`) along `dim`. The gradient goes back to the positions they came from.",
        ("self", "indices"),
        (True, False),
        _selected_values_infer("topk"),
        _named("TopkBackward0"),
        _indices,
        (Attr("dim", "int", "The dimension selected along (default -1, the last).", -1),),
        computes_in=_in_own_dtype,
    )
)
_register(
    OpSpec(
        "gather",
        "torch.gather",
        "out[i][j][k] = self[index[i][j][k]][j][k] along dim 0 (and likewise along another "
        "`dim`): the int64 index's shape, at most self's but along dim. An index outside "
        "[0, size along dim) is INVALID_COMPUTATION with torch's message, naming the first "
        "in row-major order. The gradient scatter-adds into zeros of self's shape.",
        ("self", "index"),
        (True, False),
        _gather_infer,
        _named("GatherBackward0"),
        _index,
        (Attr("dim", "int", "The dimension to gather along.", optional=False),),
        computes_in=_in_own_dtype,
    )
)
_register(
    OpSpec(
        "index_select",
        "torch.index_select",
        "The slices of self at the positions a 1-d (or 0-d) int64 index names along `dim`, "
        "in its order. An index out of range is torch's CPU kernel's error: along dim 1 of a "
        "self of two or more dims, or of one without elements, INVALID_COMPUTATION ('INDICES "
        "element is out of DATA bounds'), otherwise INVALID_INDEX ('index out of range in "
        "self'). The gradient adds each slice back at its position (torch's index_add).",
        ("self", "index"),
        (True, False),
        _index_select_infer,
        _named("IndexSelectBackward0"),
        _index,
        (Attr("dim", "int", "The dimension to select along.", optional=False),),
        computes_in=_in_own_dtype,
    )
)

_register(
    OpSpec(
        "pack_padded_sequence",
        "torch.nn.utils.rnn.pack_padded_sequence",
        "A PackedSequence's data from a padded self (time × batch × ..., batch × time × ... "
        "with batch_first) and the sequences' lengths, positive and in decreasing order: "
        "step t's rows, for the sequences longer than t, after step t - 1's; `total` rows, "
        "the lengths' sum. Lengths that are not are INVALID_COMPUTATION with torch's "
        "message. The gradient puts each row back at its place in the padded input.",
        ("self", "lengths"),
        (True, False),
        _pack_padded_sequence_infer,
        _named("PackPaddedSequenceBackward0"),
        lambda needs, attrs: ("lengths",),
        (
            Attr("total", "int", "The lengths' sum: the rows of the result.", optional=False),
            Attr("batch_first", "bool", "Whether self is batch × time × ....", False),
        ),
        computes_in=_in_own_dtype,
    )
)


# ---- scatter, scatter_add, scatter_reduce: gather's adjoints, writing src along a dim
# One shape rule for all (torch's scatter_gather_dtype_check and scatter_shape_check, every
# message naming scatter()), then each op's own reduce check. An index outside [0, size
# along dim) is the forward's error, in torch's order of visiting the index.

SCATTER_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")
LEGACY_SCATTER_REDUCTIONS = ("add", "multiply")


def _check_scatter(x: TensorMeta, index: TensorMeta, src: TensorMeta | None, dim: int) -> None:
    """torch's checks of a scatter, in its order: the index's dtype, src's dtype, then for an
    index with elements the ranks of index and self, the index's sizes against self's (but
    along dim) and, if those fit, against src's (a dim src lacks is torch's IndexError,
    sizes read as torch's ensure_nonempty_size reads them), src's rank, and only then the
    sizes' verdict."""
    if index.numel and index.dtype not in INDEX_DTYPES:
        raise DtypeMismatch("scatter(): Expected dtype int32/int64 for index")
    if src is not None and src.dtype != x.dtype:
        raise DtypeMismatch("scatter(): Expected self.dtype to be equal to src.dtype")
    if not index.numel:
        return
    rank = max(index.ndim, 1)
    if max(x.ndim, 1) != rank:
        raise ShapeMismatch("Index tensor must have the same number of dimensions as self tensor")
    sizes = [_ensure_size(index, d) for d in range(rank)]
    too_large = any(s > _ensure_size(x, d) for d, s in enumerate(sizes) if d != dim)
    if not too_large and src is not None:
        for d, size in enumerate(sizes):
            if src.ndim:
                normalize_dim(d, src.ndim)  # torch reads src.size(d)
            if size > _ensure_size(src, d):
                too_large = True
                break
    if src is not None and max(src.ndim, 1) != rank:
        raise ShapeMismatch("Index tensor must have the same number of dimensions as src tensor")
    if too_large:
        than_src = f" and to be no larger size than src {list(src.shape)}" if src else ""
        raise ShapeMismatch(
            f"Expected index {list(index.shape)} to be no larger than self {list(x.shape)} "
            f"apart from dimension {dim}{than_src}"
        )


def _check_legacy_reduce(attrs: dict) -> None:
    if attrs["reduce"] and attrs["reduce"] not in LEGACY_SCATTER_REDUCTIONS:
        raise ComputeError("reduce argument must be either add or multiply.")


def _scatter_infer(name: str):
    """The shape rule of scatter, scatter_add or scatter_reduce (self, index, src): self's
    shape and dtype."""

    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 3)
        x, index, src = (_require_tensor(name, o, i) for i, o in enumerate(operands))
        dim = normalize_dim(attrs["dim"], x.ndim)
        _check_scatter(x, index, src, dim)
        if name == "scatter":
            _check_legacy_reduce(attrs)
        if name == "scatter_reduce":
            reduce = attrs["reduce"]
            if reduce not in (*SCATTER_REDUCTIONS, "max", "min"):  # torch's unlisted aliases
                raise ComputeError(
                    f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}"
                )
            if reduce == "mean" and x.dtype == "bool":
                kernel = "scatter_gather_tensor_cpu_reduce_mean" if index.numel else "div_floor_cpu"
                raise Unsupported(f"\"{kernel}\" not implemented for 'Bool'")
        return meta(x.shape, x.dtype)

    return infer


def _scatter_value_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("scatter_value", operands, 2)
    x, index = (_require_tensor("scatter", o, i) for i, o in enumerate(operands))
    dim = normalize_dim(attrs["dim"], x.ndim)
    _check_scatter(x, index, None, dim)
    _check_legacy_reduce(attrs)
    return meta(x.shape, x.dtype)


def _legacy_or(name: str):
    """A scatter's node: torch's NotImplemented one (whose backward fails) for the legacy
    `reduce`."""
    legacy = "torch::autograd::NotImplemented"
    return lambda operands, attrs: legacy if attrs.get("reduce") else name


_SCATTER_DIM = Attr("dim", "int", "The dimension to scatter along.", optional=False)
_LEGACY_REDUCE = Attr(
    "reduce",
    "string",
    "torch's legacy reduction: '' (default: write), 'add' or 'multiply' (in self's dtype; "
    "for bools, or and and). torch records no derivative for it: the backward fails.",
    "",
)
_register(
    OpSpec(
        "scatter",
        "torch.scatter",
        "self with self[index[i][j]][j] = src[i][j] along dim 0 (and likewise along another "
        "`dim`); src's dtype is self's, the int64 index no larger than src and, but along "
        "dim, than self. A position written twice keeps the last value in index order. An "
        "index outside [0, size along dim) is INVALID_COMPUTATION with torch's message. The "
        "gradient: g with the written positions zeroed for self, g gathered at index for "
        "src (an index smaller than src is torch's backward error).",
        ("self", "index", "src"),
        (True, False, True),
        _scatter_infer("scatter"),
        _legacy_or("ScatterBackward0"),
        _index,
        (_SCATTER_DIM, _LEGACY_REDUCE),
        computes_in=_in_own_dtype,
    )
)
_register(
    OpSpec(
        "scatter_value",
        "torch.scatter",
        "torch.scatter's value overload: `value` (in self's dtype) written at each position "
        "the index names along `dim`; one self's dtype cannot hold is torch's error, after "
        "the index's. The gradient of self: g with those positions zeroed.",
        ("self", "index"),
        (True, False),
        _scatter_value_infer,
        _legacy_or("ScatterBackward1"),
        _index,
        (
            _SCATTER_DIM,
            Attr("value", "scalar", "The number written.", optional=False),
            _LEGACY_REDUCE,
        ),
        computes_in=_in_own_dtype,
    )
)
_register(
    OpSpec(
        "scatter_add",
        "torch.scatter_add",
        "self with src added at the positions the index names along `dim`, in index order "
        "(scatter's checks; bools or). The gradient: g for self, g gathered at index for src.",
        ("self", "index", "src"),
        (True, False, True),
        _scatter_infer("scatter_add"),
        _named("ScatterAddBackward0"),
        _index,
        (_SCATTER_DIM,),
        computes_in=_in_own_dtype,
    )
)
_register(
    OpSpec(
        "scatter_reduce",
        "torch.scatter_reduce",
        "self with src reduced into the positions the index names along `dim` ('sum', "
        "'prod', 'mean', 'amax' or 'amin'; nan wins amax and amin), with self's value "
        "(`include_self`, the default) or without it; an integer mean rounds down; torch's "
        "unlisted 'max' and 'min' are amax and amin without a gradient (torch's backward "
        "error). "
        "scatter's checks. The gradient is torch's scatter_reduce_backward: prod divides "
        "the product by each factor (a lone zero's gradient is the product of the others), "
        "amax and amin share it evenly among the ties.",
        ("self", "index", "src"),
        (True, False, True),
        _scatter_infer("scatter_reduce"),
        _named("ScatterReduceBackward0"),
        lambda needs, attrs: ("self", "index", "src", "result"),
        (
            _SCATTER_DIM,
            Attr("reduce", "string", "'sum', 'prod', 'mean', 'amax' or 'amin'.", optional=False),
            Attr("include_self", "bool", "Whether self's values take part.", True),
        ),
        computes_in=_in_own_dtype,
    )
)
_register(
    replace(
        SPECS["scatter_reduce"],
        name="index_reduce",
        torch_name="torch.index_reduce",
        doc="torch.index_reduce as the client composes it: scatter_reduce with index (1-d, "
        "along `dim`) spread over src's shape; 'prod', 'mean', 'amax' or 'amin'. The same "
        "values and gradients, recorded as IndexReduceBackward0.",
        grad_fn=_named("IndexReduceBackward0"),
    )
)


def _one_hot_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """F.one_hot's checks that need no values, in torch's order: an int64 input, then for
    one without elements a positive num_classes. The client resolves num_classes=-1 from
    the values before it asks."""
    _check_operands("one_hot", operands, 1)
    x = _require_tensor("one_hot", operands[0], 0)
    classes = attrs["num_classes"]
    if x.dtype != "int64":
        raise DtypeMismatch("one_hot is only applicable to index tensor of type LongTensor.")
    if x.numel == 0 and classes <= 0:
        raise ShapeMismatch("Can not infer total number of classes from empty tensor.")
    if classes < 0:
        raise InvalidValue(f"one_hot(): num_classes must be non-negative, not {classes}")
    return meta((*x.shape, classes), "int64")


_register(
    OpSpec(
        "one_hot",
        "torch.nn.functional.one_hot",
        "int64 zeros of self's shape plus a last dim of `num_classes`, with 1 at each of "
        "self's values. A negative value, or one not below num_classes, is "
        "INVALID_COMPUTATION with torch's message (the negative one first). Not "
        "differentiable.",
        ("self",),
        (False,),
        _one_hot_infer,
        _named(""),
        _nothing,
        (Attr("num_classes", "int", "The size of the last dim.", optional=False),),
        computes_in=_in_own_dtype,
    )
)


def _bincount_infer(name: str):
    """torch.bincount's checks that need no values, in its order: an integer self, a
    non-negative length, a 1-d self, weights of its length. The client resolves the length
    from the values (max(self) + 1, at least minlength) before it asks."""

    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 2 if name == "bincount_weighted" else 1)
        x = _require_tensor("bincount", operands[0], 0)
        if not is_integer(x.dtype):
            raise Unsupported(f"\"bincount_cpu\" not implemented for '{TORCH_TYPE_NAME[x.dtype]}'")
        if attrs["length"] < 0:
            raise ShapeMismatch("minlength should be >= 0")
        if x.ndim != 1:
            raise ShapeMismatch("bincount only supports 1-d non-negative integral inputs.")
        if name == "bincount" or x.numel == 0:  # torch counts no elements as int64 zeros
            return meta((attrs["length"],), "int64")
        weights = _require_tensor(name, operands[1], 1)
        if weights.shape != x.shape:
            raise ShapeMismatch("weights should be 1-d and have the same length as input")
        return meta((attrs["length"],), "float32" if weights.dtype == "float32" else "float64")

    return infer


_BINCOUNT_LENGTH = Attr("length", "int", "The number of bins.", optional=False)
_register(
    OpSpec(
        "bincount",
        "torch.bincount",
        "How many times each value in [0, length) occurs in the 1-d int64 self, as int64. A "
        "negative value, or one not below length, is INVALID_COMPUTATION. Not differentiable.",
        ("self",),
        (False,),
        _bincount_infer("bincount"),
        _named(""),
        _nothing,
        (_BINCOUNT_LENGTH,),
        computes_in=_in_own_dtype,
    )
)
_register(
    OpSpec(
        "bincount_weighted",
        "torch.bincount",
        "torch.bincount with weights: the sum of the weights of each value's occurrences, "
        "in order, in float32 for float32 weights, else in float64, as torch's (an "
        "empty self gives int64 zeros, as torch's). torch records no derivative for the "
        "weights: its NotImplemented node, whose backward fails.",
        ("self", "weights"),
        (False, True),
        _bincount_infer("bincount_weighted"),
        _named("torch::autograd::NotImplemented"),
        _nothing,
        (_BINCOUNT_LENGTH,),
        computes_in=_in_own_dtype,
    )
)


def _searchsorted_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.searchsorted's checks in its order: a 0-d self only with 1-d boundaries, 1-d
    or more boundaries, whose leading dims are self's; then the promoted dtype (not bool)."""
    _check_operands("searchsorted", operands, 2)
    boundaries, x = (_require_tensor("searchsorted", o, i) for i, o in enumerate(operands))
    where = "torch.searchsorted(): "
    if x.ndim == 0 and boundaries.ndim > 1:
        raise ShapeMismatch(
            f"{where}input value can be a scalar only when boundaries tensor dimension is 1, "
            f"but we got boundaries tensor dim({boundaries.ndim}) and input value's "
            f"dim({x.ndim}) numel({x.numel})"
        )
    if boundaries.ndim == 0:
        raise ShapeMismatch(
            f"{where}boundaries tensor should have positive dimension, but got 0 dimension"
        )
    if boundaries.ndim > 1 and (boundaries.ndim != x.ndim or boundaries.shape[:-1] != x.shape[:-1]):
        raise ShapeMismatch(
            f"{where}boundaries tensor should be 1 dimension or the first N-1 dimensions of "
            "boundaries tensor and input value tensor must match, but we got boundaries "
            f"tensor {list(boundaries.shape)} and input value tensor {list(x.shape)}"
        )
    if result_type(operands) == "bool":
        raise Unsupported("\"searchsorted_out_cpu\" not implemented for 'Bool'")
    return meta(x.shape, "int64")


_register(
    OpSpec(
        "searchsorted",
        "torch.searchsorted",
        "For each element of self, the index in `sorted_sequence` (1-d, or per row: its "
        "leading dims self's) where it would be inserted: the first position whose boundary "
        "is >= it (`right`: >), by torch's binary search, compared in the promoted dtype (a "
        "nan compares as torch's comparisons leave it). int64, not differentiable.",
        ("sorted_sequence", "self"),
        (False, False),
        _searchsorted_infer,
        _named(""),
        _nothing,
        (Attr("right", "bool", "The last position instead of the first among equals.", False),),
        computes_in=lambda operands, out: result_type(operands),
    )
)


def _unique_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("unique", operands, 1)
    x = _require_tensor("unique", operands[0], 0)
    if attrs["count"] < 0:
        raise InvalidValue(f"unique(): count must be non-negative, not {attrs['count']}")
    return meta((attrs["count"],), x.dtype)


_register(
    OpSpec(
        "unique",
        "torch.unique",
        "The distinct elements of the flattened self, sorted (nan last, each nan distinct, "
        "-0.0 and 0.0 one, the first in a stable sort kept); with `consecutive`, "
        "torch.unique_consecutive: the first of each run of equal neighbours, in order. The "
        "client reads how many there are first (`count`; another is INVALID_COMPUTATION). "
        "torch records no derivative: Unique2Backward0 (UniqueConsecutiveBackward0), whose "
        "backward is UNSUPPORTED.",
        ("self",),
        (True,),
        _unique_infer,
        lambda operands, attrs: (
            "UniqueConsecutiveBackward0" if attrs.get("consecutive") else "Unique2Backward0"
        ),
        _nothing,
        (
            Attr("count", "int", "How many distinct elements (runs) there are.", optional=False),
            Attr("consecutive", "bool", "torch.unique_consecutive.", False),
        ),
        computes_in=_in_own_dtype,
    )
)


def _unique_dim_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """self's shape but `count` along dim, strided as torch's; `inverse` int64, one class per
    slice along dim."""
    _check_operands("unique_dim", operands, 2)
    x, inverse = (_require_tensor("unique_dim", o, i) for i, o in enumerate(operands))
    dim = size_dim(attrs["dim"], x.ndim)
    size = x.shape[dim]
    if inverse.dtype != "int64" or inverse.shape != (size,):
        raise InvalidArgument(
            f"unique_dim(): inverse must be int64 of shape [{size}], not {inverse.dtype} of "
            f"shape {list(inverse.shape)}"
        )
    if not 0 <= attrs["count"] <= size:
        raise InvalidValue(f"unique_dim(): count must be in [0, {size}], not {attrs['count']}")
    shape = (*x.shape[:dim], attrs["count"], *x.shape[dim + 1 :])
    if size == 0:
        return meta(shape, x.dtype)
    # torch stacks the slices kept, then moves their dim from the first to `dim`
    stacked = contiguous_strides((attrs["count"], *x.shape[:dim], *x.shape[dim + 1 :]))
    return TensorMeta(shape, x.dtype, (*stacked[1 : dim + 1], stacked[0], *stacked[dim + 1 :]))


_register(
    OpSpec(
        "unique_dim",
        "torch.unique",
        "torch.unique(self, dim=dim) (UniqueDimBackward0) or, with `consecutive`, "
        "torch.unique_consecutive(self, dim=dim) (UniqueConsecutiveBackward0): one slice "
        "along dim per class of equal slices, in class order. The client reads the values "
        "first and sends `inverse` (each slice's class, the classes numbered in the "
        "lexicographic order of their slices, or by run with `consecutive`) and `count`; the "
        "slice kept for a class is the one torch keeps: the first of its run, or the first "
        "where torch's std::sort (ported) leaves it, which matters for zeros' signs. Classes "
        "that do not number runs of the sorted (consecutive) slices are INVALID_COMPUTATION. "
        "torch records no derivative: the backward is UNSUPPORTED.",
        ("self", "inverse"),
        (True, False),
        _unique_dim_infer,
        lambda operands, attrs: (
            "UniqueConsecutiveBackward0" if attrs.get("consecutive") else "UniqueDimBackward0"
        ),
        _nothing,
        (
            Attr("dim", "int", "The dim whose slices are compared.", optional=False),
            Attr("count", "int", "How many classes (distinct slices or runs).", optional=False),
            Attr("consecutive", "bool", "torch.unique_consecutive.", False),
        ),
        computes_in=_in_own_dtype,
    )
)


def _cdist_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.cdist's checks in its order: two or more dims each, as many columns, floating
    dtypes, a non-negative p, one dtype; the batch dims broadcast."""
    _check_operands("cdist", operands, 2)
    x1, x2 = (_require_tensor("cdist", o, i) for i, o in enumerate(operands))
    for name, x in (("X1", x1), ("X2", x2)):
        if x.ndim < 2:
            raise ShapeMismatch(f"cdist only supports at least 2D tensors, {name} got: {x.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise ShapeMismatch(
            f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}"
        )
    for name, x in (("X1", x1), ("X2", x2)):
        if not is_float(x.dtype):
            raise DtypeMismatch(
                f"cdist only supports floating-point dtypes, {name} got: {TORCH_TYPE_NAME[x.dtype]}"
            )
    if not attrs["p"] >= 0:
        raise ShapeMismatch("cdist only supports non-negative p values")
    if x1.dtype != x2.dtype:
        raise DtypeMismatch(
            f"expected scalar type {TORCH_TYPE_NAME[x1.dtype]} but found "
            f"{TORCH_TYPE_NAME[x2.dtype]}"
        )
    batch = broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
    return meta((*batch, x1.shape[-2], x2.shape[-2]), x1.dtype)


def _euclidean_dist_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """cdist's checks (p 2; torch.cdist makes them before it takes this path), but integer
    and bool inputs, which torch._euclidean_dist itself refuses by its squared norms'
    dtype."""
    _check_operands("euclidean_dist", operands, 2)
    if not all(is_float(o.dtype) for o in _tensors(operands)):
        raise DtypeMismatch("result type Float can't be cast to the desired output type Long")
    return _cdist_infer(operands, {"p": 2.0})


_register(
    OpSpec(
        "cdist",
        "torch.cdist",
        "The p-norm distance between each row of x1 (..., P, M) and each row of x2 (..., R, "
        "M), batch dims broadcast: (Σ |x1 - x2|^p)^(1/p), p 0 counting the differing "
        "columns, inf the largest difference; accumulated in float64 and rounded once. "
        "torch's direct path (CdistBackward0, saving x1, x2 and the result); the gradient is "
        "torch's _cdist_backward, 0 where a distance is 0.",
        ("x1", "x2"),
        (True, True),
        _cdist_infer,
        _named("CdistBackward0"),
        lambda needs, attrs: ("x1", "x2", "result"),
        (Attr("p", "float", "The norm's order (>= 0; inf allowed).", 2.0),),
    )
)

_register(
    OpSpec(
        "euclidean_dist",
        "torch._euclidean_dist",
        "torch.cdist's matrix-product path for p = 2 (EuclideanDistBackward0, saving x1, x2 "
        "and the result): sqrt(max([-2 x1, |x1|², 1] · [x2, 1, |x2|²]ᵀ, 0)) in the inputs' "
        "dtype, as torch computes it. The gradient is torch's _euclidean_dist_backward: with "
        "r = g / result (0 where it is 0), x1 Σ r - r x2 and x2 Σ rᵀ - rᵀ x1.",
        ("x1", "x2"),
        (True, True),
        _euclidean_dist_infer,
        _named("EuclideanDistBackward0"),
        lambda needs, attrs: ("x1", "x2", "result"),
    )
)


def histc_range_error(low: float, high: float) -> str | None:
    """torch.histc's complaint about a range (its edges as C++ prints doubles), or None."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return f"torch.histc: range of [{low:g}, {high:g}] is not finite"
    if low > high:
        return "torch.histc: max must be larger than min"
    return None


def _histc_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.histc's checks in its order: bins, the dtype, then a given range (min == max
    takes the data's extremes, checked as the forward finds them)."""
    _check_operands("histc", operands, 1)
    x = _require_tensor("histc", operands[0], 0)
    if attrs["bins"] <= 0:
        raise ShapeMismatch(
            f"torch.histogram(): bins must be > 0, but got {attrs['bins']} for dimension 0"
        )
    for bound in ("min", "max") if x.dtype in SMALL_INTEGER_DTYPES else ():
        if overflow := scalar_overflow(attrs[bound], x.dtype):  # converted first
            raise DtypeMismatch(overflow)
    if not is_float(x.dtype):  # torch's bin edges refuse bools before its histogram does
        kernel = "linspace_cpu" if x.dtype == "bool" else "histogram_cpu"
        raise Unsupported(f"\"{kernel}\" not implemented for '{TORCH_TYPE_NAME[x.dtype]}'")
    if attrs["min"] != attrs["max"] and (error := histc_range_error(attrs["min"], attrs["max"])):
        raise ShapeMismatch(error)
    return meta((attrs["bins"],), x.dtype)


_register(
    OpSpec(
        "histc",
        "torch.histc",
        "A histogram of self's elements in `bins` equal bins over [min, max] (the data's "
        "extremes where min == max, widened by 1 each way where those are equal too); "
        "elements outside (and nan) are left out, max falls in the last bin; each bin found "
        "as (x - min) · bins / (max - min) in self's dtype, as torch's kernel. A non-finite "
        "range of the data is INVALID_COMPUTATION. Not differentiable.",
        ("self",),
        (False,),
        _histc_infer,
        _named(""),
        _nothing,
        (
            Attr("bins", "int", "The number of bins.", 100),
            Attr("min", "float", "The lower edge.", 0.0),
            Attr("max", "float", "The upper edge.", 0.0),
        ),
        computes_in=_in_own_dtype,
    )
)


# ---- cumulative sums and products


def _cumulative_infer(name: str):
    """cumsum's and cumprod's result: self's shape, in `dtype` (self is cast to it first)
    or self's, int64 for integer and bool inputs; a bool result is UNSUPPORTED."""

    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 1)
        x = _require_tensor(name, operands[0], 0)
        normalize_dim(attrs["dim"], x.ndim)
        dtype = attrs["dtype"] or (x.dtype if is_float(x.dtype) else "int64")
        if dtype not in DTYPES:
            raise InvalidValue(f"unknown dtype '{dtype}'")
        if dtype == "bool":
            raise Unsupported(f"\"{name}_out_cpu\" not implemented for 'Bool'")
        return meta(x.shape, dtype)

    return infer


_CUMULATIVE_ATTRS = (
    Attr("dim", "int", "The dimension to accumulate along.", optional=False),
    Attr("dtype", "string", "Cast self to this dtype first; the result's dtype.", ""),
)
_register(
    OpSpec(
        "cumsum",
        "torch.cumsum",
        "The running sums along `dim`, each rounded from a float64 (int64) accumulator, as "
        "torch's CPU kernel rounds them. The gradient is the reversed running sum of the "
        "incoming one, in self's dtype.",
        ("self",),
        (True,),
        _cumulative_infer("cumsum"),
        _named("CumsumBackward0"),
        _nothing,
        _CUMULATIVE_ATTRS,
        refuses_integer_grad=True,
    )
)
_register(
    OpSpec(
        "cumprod",
        "torch.cumprod",
        "The running products along `dim`, each rounded from a float64 (int64) accumulator. "
        "The gradient is torch's cumprod_backward, exact where self has zeros: before a "
        "dimension's first zero the reversed running sum of result·g over self, at it the "
        "products after it (up to the next zero) weighted by g, times the product before "
        "it; after it 0.",
        ("self",),
        (True,),
        _cumulative_infer("cumprod"),
        _named("CumprodBackward0"),
        _self_and_result,
        _CUMULATIVE_ATTRS,
        refuses_integer_grad=True,
    )
)


# ---- losses

REDUCTIONS = ("mean", "sum", "none")


_LOSS_KERNEL = {"mse_loss": "mse_cpu", "smooth_l1_loss": "smooth_l1_cpu", "huber_loss": "huber_cpu"}


def _loss_infer(name: str, broadcast: bool, weights: int = 0):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 2 + weights, weights)
        x, target = (_require_tensor(name, o, i) for i, o in enumerate(operands[:2]))
        reduction = attrs.get("reduction", "mean")
        if reduction not in REDUCTIONS:
            raise InvalidValue(f"{reduction} is not a valid value for reduction")
        if broadcast:
            shape = broadcast_shapes(x.shape, target.shape)
        elif x.shape != target.shape:
            raise InvalidValue(
                f"Target size ({size_repr(target.shape)}) must be the same as input size "
                f"({size_repr(x.shape)})"
            )
        else:
            shape = x.shape
        dtype = result_type([x, target])
        if name == "binary_cross_entropy_with_logits" and is_float(dtype):
            _check_float_target(dtype, target)
            _check_bce_weights(x, target, *operands[2:])
        if not is_float(dtype):
            kernel = _LOSS_KERNEL.get(name, "log_sigmoid_cpu")
            raise Unsupported(f"\"{kernel}\" not implemented for '{TORCH_TYPE_NAME[dtype]}'")
        if name == "smooth_l1_loss" and attrs["beta"] < 0:
            raise ComputeError("smooth_l1_loss does not support negative values for beta.")
        if name == "huber_loss" and not attrs["delta"] > 0:
            raise ComputeError("huber_loss does not support non-positive values for delta.")
        return meta(shape if reduction == "none" else (), dtype)

    return infer


def _check_float_target(dtype: str, target: TensorMeta) -> None:
    """binary_cross_entropy_with_logits computes (1 - target) and writes into a tensor shaped
    like the target: torch's errors for a bool or an integer one."""
    if target.dtype == "bool":
        raise DtypeMismatch(
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead."
        )
    if not is_float(target.dtype):
        raise DtypeMismatch(
            f"result type {TORCH_TYPE_NAME[dtype]} can't be cast to the desired output type "
            f"{TORCH_TYPE_NAME[target.dtype]}"
        )


def _check_bce_weights(x: TensorMeta, target: TensorMeta, weight=1, pos_weight=1) -> None:
    """torch's checks, in its order, of the weights it applies in place: (pos_weight - 1)
    target + 1 multiplies log σ(x), then weight the loss, each shaped like the input."""
    if isinstance(pos_weight, TensorMeta):
        if pos_weight.dtype == "bool":
            raise DtypeMismatch(
                "Subtraction, the `-` operator, with a bool tensor is not supported. "
                "If you are trying to invert a mask, use the `~` or `logical_not()` operator "
                "instead."
            )
        check_broadcasts_into(x.shape, broadcast_shapes(pos_weight.shape, target.shape))
    if isinstance(weight, TensorMeta):
        check_broadcasts_into(x.shape, weight.shape)


def _loss_saves(needs: tuple[bool, ...], attrs: dict) -> tuple[str, ...]:
    return ("self", "target", "weight", "pos_weight")


_REDUCTION_ATTR = (Attr("reduction", "string", "'mean' (default), 'sum' or 'none'.", "mean"),)
_register(
    OpSpec(
        "binary_cross_entropy_with_logits",
        "torch.nn.functional.binary_cross_entropy_with_logits",
        "-w (p y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))), computed stably from logits x "
        "and targets y, then reduced. The optional weight w and pos_weight p (a tensor that "
        "broadcasts as torch's, or a number; 1 when left out) get no gradient: requiring one "
        "while recording is NOT_DIFFERENTIABLE.",
        ("self", "target", "weight", "pos_weight"),
        (True, True, False, False),
        _loss_infer("binary_cross_entropy_with_logits", broadcast=False, weights=2),
        _named("BinaryCrossEntropyWithLogitsBackward0"),
        _loss_saves,
        _REDUCTION_ATTR,
        optional_inputs=2,
        refuses_grad_as="binary_cross_entropy_with_logits",
    )
)
for _name, _title, _doc, _attr in (
    (
        "smooth_l1_loss",
        "SmoothL1Loss",
        "z² / (2 beta) where z = |x - y| < beta, else z - beta / 2",
        Attr("beta", "float", "Where the square turns linear (not negative).", 1.0),
    ),
    (
        "huber_loss",
        "HuberLoss",
        "z² / 2 where z = |x - y| < delta, else delta (z - delta / 2)",
        Attr("delta", "float", "Where the square turns linear (positive).", 1.0),
    ),
):
    _register(
        OpSpec(
            _name,
            f"torch.nn.functional.{_name}",
            f"{_doc}, elementwise, broadcasting, then reduced.",
            ("self", "target"),
            (True, True),
            _loss_infer(_name, broadcast=True),
            _named(f"{_title}Backward0"),
            _loss_saves,
            (*_REDUCTION_ATTR, _attr),
        )
    )


def _soft_margin_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """soft_margin_loss's checks, as torch computes it in place in an input-shaped result:
    -x, times the target (which broadcasts into x's shape), exp, log1p."""
    name = "soft_margin_loss"
    _check_operands(name, operands, 2)
    x, target = (_require_tensor(name, o, i) for i, o in enumerate(operands))
    if attrs["reduction"] not in REDUCTIONS:
        raise InvalidValue(f"{attrs['reduction']} is not a valid value for reduction")
    if x.dtype == "bool":
        raise DtypeMismatch(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    check_broadcasts_into(x.shape, target.shape)
    if not is_float(x.dtype):
        common = result_type([x, target])
        common = common if is_float(common) else default_float()
        raise DtypeMismatch(
            f"result type {TORCH_TYPE_NAME[common]} can't "
            f"be cast to the desired output type {TORCH_TYPE_NAME[x.dtype]}"
        )
    return meta(x.shape if attrs["reduction"] == "none" else (), x.dtype)


_register(
    OpSpec(
        "soft_margin_loss",
        "torch.nn.functional.soft_margin_loss",
        "log(1 + exp(-y x)) elementwise, the target y broadcasting into x's shape, then "
        "reduced. The target gets no gradient: requiring one while recording is "
        "NOT_DIFFERENTIABLE.",
        ("self", "target"),
        (True, False),
        _soft_margin_infer,
        _named("SoftMarginLossBackward0"),
        lambda needs, attrs: ("self", "target"),
        _REDUCTION_ATTR,
        refuses_grad_as="soft_margin_loss",
    )
)


def _bce_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """binary_cross_entropy's checks: a target of the input's size and dtype (floating), a
    weight that broadcasts to the input's shape."""
    name = "binary_cross_entropy"
    _check_operands(name, operands, 3, 1)
    x, target = (_require_tensor(name, o, i) for i, o in enumerate(operands[:2]))
    if attrs["reduction"] not in REDUCTIONS:
        raise InvalidValue(f"{attrs['reduction']} is not a valid value for reduction")
    if x.shape != target.shape:
        raise InvalidValue(
            f"Using a target size ({size_repr(target.shape)}) that is different to the input "
            f"size ({size_repr(x.shape)}) is deprecated. Please ensure they have the same size."
        )
    if target.dtype != x.dtype:
        raise DtypeMismatch(
            f"Found dtype {TORCH_TYPE_NAME[target.dtype]} but expected {TORCH_TYPE_NAME[x.dtype]}"
        )
    if not is_float(x.dtype):
        raise Unsupported(
            f"\"binary_cross_entropy\" not implemented for '{TORCH_TYPE_NAME[x.dtype]}'"
        )
    if len(operands) == 3:
        _check_bce_weights(x, target, _require_tensor(name, operands[2], 2))
    return meta(x.shape if attrs["reduction"] == "none" else (), x.dtype)


_register(
    OpSpec(
        "binary_cross_entropy",
        "torch.nn.functional.binary_cross_entropy",
        "-w (y max(ln x, -100) + (1 - y) max(ln(1 - x), -100)) for probabilities x and "
        "targets y in [0, 1] (else INVALID_COMPUTATION, as torch checks each element), then "
        "reduced. The optional weight w (broadcasting to x's shape) gets no gradient: "
        "requiring one while recording is NOT_DIFFERENTIABLE.",
        ("self", "target", "weight"),
        (True, True, False),
        _bce_infer,
        _named("BinaryCrossEntropyBackward0"),
        _loss_saves,
        _REDUCTION_ATTR,
        optional_inputs=1,
        refuses_grad_as="binary_cross_entropy",
    )
)
_register(
    OpSpec(
        "mse_loss",
        "torch.nn.functional.mse_loss",
        "(x - y)^2 elementwise, broadcasting, then reduced.",
        ("self", "target"),
        (True, True),
        _loss_infer("mse_loss", broadcast=True),
        _named("MseLossBackward0"),
        _loss_saves,
        _REDUCTION_ATTR,
    )
)


# ---- neural-network ops


def _addmm_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.addmm's checks in its order: dtypes (self with mat2, then mat1 with mat2), ranks,
    the product's shapes, then `self` expanded to the product's shape."""
    _check_operands("addmm", operands, 3)
    x, a, b = (_require_tensor("addmm", o, i) for i, o in enumerate(operands))
    for left, right, first in ((x, b, "self"), (a, b, "mat1")):
        if left.dtype != right.dtype:
            raise DtypeMismatch(
                f"{first} and mat2 must have the same dtype, but got "
                f"{TORCH_TYPE_NAME[left.dtype]} and {TORCH_TYPE_NAME[right.dtype]}"
            )
    for name, m in (("mat1", a), ("mat2", b)):
        if m.ndim != 2:
            raise ShapeMismatch(f"{name} must be a matrix, got {m.ndim}-D tensor")
    if a.shape[1] != b.shape[0]:
        raise ShapeMismatch(
            f"mat1 and mat2 shapes cannot be multiplied "
            f"({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]})"
        )
    shape = (a.shape[0], b.shape[1])
    check_expand(x.shape, shape, x.dtype)
    if x.dtype == "bool":
        raise Unsupported("\"addmm_impl_cpu_\" not implemented for 'Bool'")
    return meta(shape, x.dtype)


def check_expand(shape: Sequence[int], target: Sequence[int], dtype: str) -> None:
    """torch's Tensor.expand(target) checks, with its wording."""
    shape, target = tuple(shape), tuple(target)
    if len(shape) > len(target):
        raise ShapeMismatch(
            f"expand(torch.{TORCH_TYPE_NAME[dtype]}Tensor{{[{', '.join(map(str, shape))}]}}, "
            f"size=[{', '.join(map(str, target))}]): the number of sizes provided "
            f"({len(target)}) must be greater or equal to the number of dimensions in the "
            f"tensor ({len(shape)})"
        )
    lead = len(target) - len(shape)
    for i in reversed(range(len(shape))):  # torch's inferExpandGeometry starts at the last
        size = shape[i]
        if size != 1 and size != target[lead + i]:
            raise ShapeMismatch(
                f"The expanded size of the tensor ({target[lead + i]}) must match the existing "
                f"size ({size}) at non-singleton dimension {lead + i}.  Target sizes: "
                f"[{', '.join(map(str, target))}].  Tensor sizes: [{', '.join(map(str, shape))}]"
            )


def expanded_shape(shape: Sequence[int], target: Sequence[int], dtype: str) -> tuple[int, ...]:
    """Tensor.expand(target)'s result shape: -1 keeps an existing size; torch's checks."""
    lead = len(target) - len(shape)
    if lead < 0:
        check_expand(shape, target, dtype)
    for i, size in enumerate(target[:lead]):
        if size < 0:
            raise ShapeMismatch(
                f"The expanded size of the tensor ({size}) isn't allowed in a leading, "
                f"non-existing dimension {i}"
            )
    kept = (s if t == -1 else t for s, t in zip(shape, target[lead:], strict=True))
    resolved = (*target[:lead], *kept)
    check_expand(shape, resolved, dtype)
    if any(size < 0 for size in resolved):
        raise ShapeMismatch("numel: integer multiplication overflow")
    return tuple(resolved)


def expanded_strides(
    shape: Sequence[int], strides: Sequence[int], target: Sequence[int]
) -> tuple[int, ...]:
    """The strides of a tensor of `shape` and `strides` expanded to `target` (resolved): 0
    along new and stretched dims, in whatever unit `strides` are."""
    lead = len(target) - len(shape)
    return (0,) * lead + tuple(
        stride if size == wanted else 0
        for size, wanted, stride in zip(shape, target[lead:], strides, strict=True)
    )


def _expand_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("expand", operands, 1)
    x = _require_tensor("expand", operands[0], 0)
    shape = expanded_shape(x.shape, tuple(attrs["shape"]), x.dtype)
    return _view_result(x, shape, expanded_strides(x.shape, x.strides, shape))


_register_shaping(
    "expand",
    "torch.Tensor.expand",
    "The tensor seen with size-1 dims repeated and new leading dims (a view, stride 0).",
    _expand_infer,
    "ExpandBackward0",
    (Attr("shape", "ints", "The new shape; -1 keeps a dim's size.", optional=False),),
    True,
)


def _addmm_saves(needs: tuple[bool, ...], attrs: dict) -> tuple[str, ...]:
    # AddmmBackward0 keeps mat2 for mat1's gradient and mat1 for mat2's (nothing for self's)
    return (("mat2",) if needs[1] else ()) + (("mat1",) if needs[2] else ())


_register(
    OpSpec(
        "addmm",
        "torch.addmm",
        "beta input + alpha (mat1 @ mat2), input broadcast to the product's shape "
        "(nn.Linear on a matrix is addmm(bias, x, weight.t())).",
        ("self", "mat1", "mat2"),
        (True, True, True),
        _addmm_infer,
        _named("AddmmBackward0"),
        _addmm_saves,
        (
            Attr("beta", "float", "The factor of input.", 1.0),
            Attr("alpha", "float", "The factor of the product.", 1.0),
        ),
    )
)


def _product_checks(name: str, operands: Sequence[Operand]) -> list[TensorMeta]:
    _check_operands(name, operands, 3)
    return [_require_tensor(name, o, i) for i, o in enumerate(operands)]


def _addmv_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.addmv's checks: ranks, sizes (input of 1 or the matrix's rows), dtypes."""
    x, m, v = _product_checks("addmv", operands)
    if m.ndim != 2 or v.ndim != 1 or x.ndim > 1:
        raise ShapeMismatch(f"vector + matrix @ vector expected, got {x.ndim}, {m.ndim}, {v.ndim}")
    if m.shape[1] != v.shape[0] or (x.ndim == 1 and x.shape[0] not in (1, m.shape[0])):
        size = x.shape[0] if x.ndim else 1
        raise ShapeMismatch(
            f"size mismatch, got input ({size}), mat ({m.shape[0]}x{m.shape[1]}), "
            f"vec ({v.shape[0]})"
        )
    if not x.dtype == m.dtype == v.dtype:
        names = ", ".join(TORCH_TYPE_NAME[t.dtype] for t in (x, m))
        raise DtypeMismatch(
            f"addmv input tensors must have the same dtype, but got {names}, and "
            f"{TORCH_TYPE_NAME[v.dtype]}"
        )
    if x.dtype == "bool":
        raise Unsupported("\"addmv_impl_cpu\" not implemented for 'Bool'")
    return meta((m.shape[0],), x.dtype)


def _addr_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.addr's checks: vectors, then input expanded to their outer product's shape; the
    dtype is the three's promoted type."""
    x, v1, v2 = _product_checks("addr", operands)
    for name, v in (("vec1", v1), ("vec2", v2)):
        if v.ndim != 1:
            raise ShapeMismatch(f"addr: Expected 1-D argument {name}, but got {v.ndim}-D")
    shape = (v1.shape[0], v2.shape[0])
    check_expand(x.shape, shape, x.dtype)
    return meta(shape, result_type([x, v1, v2]))


def _size(t: TensorMeta, dim: int) -> int:
    """t.size(dim), with torch's error for a dim t does not have."""
    high = max(t.ndim, 1)
    if not -high <= dim < high:
        raise DimensionOutOfRange(
            f"Dimension out of range (expected to be in range of [{-high}, {high - 1}], "
            f"but got {dim})"
        )
    return t.shape[dim] if t.ndim else 1


def _batch_product_shape(x: TensorMeta, a: TensorMeta, b: TensorMeta, dims: tuple[int, ...]):
    """The product's shape from batch1's `dims` and batch2's dim 2, input expanded to it,
    then the batches' ranks: torch's order."""
    shape = (*(_size(a, d) for d in dims), _size(b, 2))
    check_expand(x.shape, shape, x.dtype)
    for name, m in (("batch1", a), ("batch2", b)):
        if m.ndim != 3:
            raise ShapeMismatch(f"{name} must be a 3D tensor")
    return shape


def _baddbmm_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.baddbmm's checks: input expanded to the (b, n, m) product, ranks, batch2's
    leading sizes, then the three dtypes."""
    x, a, b = _product_checks("baddbmm", operands)
    shape = _batch_product_shape(x, a, b, (0, 1))
    if b.shape[:2] != (a.shape[0], a.shape[2]):
        raise ShapeMismatch(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}]."
        )
    if x.dtype != a.dtype:
        names = [TORCH_TYPE_NAME[t.dtype].lower() for t in (x, a, b)]
        raise DtypeMismatch(
            f"Input dtypes must be the same, got: input {names[0]}, batch1: {names[1]}, "
            f"batch2: {names[2]}"
        )
    if a.dtype != b.dtype:
        raise DtypeMismatch(
            f"expected scalar type {TORCH_TYPE_NAME[a.dtype]} but found {TORCH_TYPE_NAME[b.dtype]}"
        )
    if x.dtype == "bool":
        raise Unsupported("\"baddbmm\" not implemented for 'Bool'")
    return meta(shape, x.dtype)


def _addbmm_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.addbmm's checks: input expanded to the (n, m) sum of products, ranks, batch
    counts, the matrices' sizes, then addmm's dtype checks."""
    x, a, b = _product_checks("addbmm", operands)
    shape = _batch_product_shape(x, a, b, (1,))
    if a.shape[0] != b.shape[0]:
        raise ShapeMismatch(
            f"batch1 and batch2 must have same number of batches, got {a.shape[0]} and {b.shape[0]}"
        )
    if a.shape[2] != b.shape[1]:
        raise ShapeMismatch(
            f"Incompatible matrix sizes for bmm ({a.shape[1]}x{a.shape[2]} and "
            f"{b.shape[1]}x{b.shape[2]})"
        )
    for left, right, first in ((x, b, "self"), (a, b, "mat1")):
        if left.dtype != right.dtype:
            raise DtypeMismatch(
                f"{first} and mat2 must have the same dtype, but got "
                f"{TORCH_TYPE_NAME[left.dtype]} and {TORCH_TYPE_NAME[right.dtype]}"
            )
    if x.dtype == "bool":
        raise Unsupported("\"addmm_impl_cpu_\" not implemented for 'Bool'")
    return meta(shape, x.dtype)


def _product_saves(needs: tuple[bool, ...], attrs: dict, names: tuple[str, str]):
    return ((names[1],) if needs[1] else ()) + ((names[0],) if needs[2] else ())


for _name, _inputs, _infer, _doc in (
    (
        "addmv",
        ("self", "mat", "vec"),
        _addmv_infer,
        "beta input + alpha (mat @ vec), input broadcast to the product's length.",
    ),
    (
        "addr",
        ("self", "vec1", "vec2"),
        _addr_infer,
        "beta input + alpha outer(vec1, vec2), input broadcast to the outer product's shape, "
        "in the three's promoted dtype (for bool: or of ands).",
    ),
    (
        "baddbmm",
        ("self", "batch1", "batch2"),
        _baddbmm_infer,
        "beta input + alpha (batch1 @ batch2) per batch, input broadcast to (b, n, m).",
    ),
    (
        "addbmm",
        ("self", "batch1", "batch2"),
        _addbmm_infer,
        "beta input + alpha Σ_b batch1[b] @ batch2[b], input broadcast to (n, m).",
    ),
):
    _register(
        OpSpec(
            _name,
            f"torch.{_name}",
            _doc,
            _inputs,
            (True, True, True),
            _infer,
            _named(f"{_name.capitalize()}Backward0"),
            lambda needs, attrs, names=_inputs[1:]: _product_saves(needs, attrs, names),
            (
                Attr("beta", "float", "The factor of input.", 1.0),
                Attr("alpha", "float", "The factor of the product.", 1.0),
            ),
        )
    )


def _softmax_infer(name: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 1)
        x = _require_tensor(name, operands[0], 0)
        dim = normalize_dim(attrs["dim"], x.ndim)
        if not is_float(x.dtype):
            kernel = name.removeprefix("_safe_")  # _safe_softmax runs softmax's kernels
            kernel = (
                f"{kernel}_lastdim_kernel_impl" if dim >= x.ndim - 1 else f"{kernel}_kernel_impl"
            )
            raise Unsupported(f"\"{kernel}\" not implemented for '{TORCH_TYPE_NAME[x.dtype]}'")
        return meta(x.shape, x.dtype)

    return infer


for _name, _gfn, _doc in (
    ("softmax", "SoftmaxBackward0", "e^x / Σ e^x"),
    ("log_softmax", "LogSoftmaxBackward0", "x - ln Σ e^x"),
    ("_safe_softmax", "SafeSoftmaxBackward0", "e^x / Σ e^x, 0 in the rows that are all -inf,"),
):
    _register(
        OpSpec(
            _name,
            f"torch.{_name}",
            f"{_doc} along `dim`, computed stably (the maximum subtracted first).",
            ("self",),
            (True,),
            _softmax_infer(_name),
            _named(_gfn),
            _result,
            (Attr("dim", "int", "The dimension the normalization runs along.", optional=False),),
        )
    )


def _check_mixed_dtype(x: TensorMeta, params: Sequence[TensorMeta]) -> None:
    """The mixed-dtype errors of torch's CPU normalizations: the first parameter given
    decides whether dtypes are mixed (it is not of x's); then a parameter that is not float32
    is refused, else x, which does not share their dtype."""
    if params and params[0].dtype != x.dtype:
        if any(p.dtype != "float32" for p in params):
            raise DtypeMismatch("mixed dtype (CPU): expect parameter to have scalar type of Float")
        raise DtypeMismatch("mixed dtype (CPU): all inputs must share same datatype.")


def _layer_norm_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch's layer_norm checks in its order: mixed parameter dtypes (the first parameter
    given decides), normalized_shape, the parameters' shapes, the input's trailing shape, the
    input's dtype, then the bias's dtype."""
    _check_operands("layer_norm", operands, 3)
    x = _require_tensor("layer_norm", operands[0], 0)
    named = zip(("weight", "bias"), operands[1:], strict=True)
    params = {n: p for n, p in named if isinstance(p, TensorMeta)}
    shape = tuple(attrs["normalized_shape"])
    _check_mixed_dtype(x, list(params.values()))
    if not shape:
        raise ShapeMismatch(
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least "
            "one element, but got normalized_shape = []"
        )
    for name, p in params.items():
        if p.shape != shape:
            raise ShapeMismatch(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                f"shape {list(p.shape)} and normalized_shape = {list(shape)}"
            )
    if x.ndim < len(shape) or x.shape[x.ndim - len(shape) :] != shape:
        raise ShapeMismatch(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*{''.join(f', {s}' for s in shape)}], but got input of size{list(x.shape)}"
        )
    _require_norm_kernel_dtypes("LayerNormKernelImpl", x, params.get("bias"))
    return meta(x.shape, x.dtype)


def _require_norm_kernel_dtypes(kernel: str, x: TensorMeta, bias: TensorMeta | None) -> None:
    """layer_norm's and group_norm's last checks: a floating input (named by torch's
    `kernel`), then a bias of the input's dtype."""
    if not is_float(x.dtype):
        raise Unsupported(f"\"{kernel}\" not implemented for '{TORCH_TYPE_NAME[x.dtype]}'")
    if bias is not None and bias.dtype != x.dtype:
        raise DtypeMismatch(
            f"expected scalar type {TORCH_TYPE_NAME[x.dtype]} but found "
            f"{TORCH_TYPE_NAME[bias.dtype]}"
        )


_register(
    OpSpec(
        "layer_norm",
        "torch.nn.functional.layer_norm",
        "(x - μ) / √(σ² + eps) w + b over the trailing normalized_shape dims, μ and σ² (biased) "
        "the mean and variance of each such group. weight w and bias b are tensors of "
        "normalized_shape, or the numbers 1 and 0 in their place when absent (torch's node "
        "always has the three inputs).",
        ("self", "weight", "bias"),
        (True, True, True),
        _layer_norm_infer,
        _named("NativeLayerNormBackward0"),
        lambda needs, attrs: ("self", "weight", "bias"),
        (
            Attr("normalized_shape", "ints", "The trailing dims normalized.", optional=False),
            Attr("eps", "float", "Added to the variance.", 1e-5),
        ),
    )
)


def _native_group_norm_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.group_norm's checks in its order: an input of at least 2 dims (its dims 0 and 1
    read), num_groups positive and dividing the channels, weight and bias vectors of C
    elements (torch's bias message shows the weight's shape, [0] without one), the
    mixed-dtype rule, a floating input, then the bias's dtype."""
    _check_operands("native_group_norm", operands, 3)
    x = _require_tensor("native_group_norm", operands[0], 0)
    if x.ndim < 2:
        raise DimensionOutOfRange(
            "Dimension specified as 0 but tensor has no dimensions"
            if x.ndim == 0
            else "Dimension out of range (expected to be in range of [-1, 0], but got 1)"
        )
    groups, channels = attrs["num_groups"], x.shape[1]
    if groups <= 0:
        raise ComputeError(f"Expected num groups to be greater than 0, got {groups}")
    if channels % groups:
        raise ShapeMismatch(
            "Expected number of channels in input to be divisible by num_groups, but got "
            f"input of shape {list(x.shape)} and num_groups={groups}"
        )
    named = zip(("weight", "bias"), operands[1:], strict=True)
    params = {n: p for n, p in named if isinstance(p, TensorMeta)}
    weight_shape = list(params["weight"].shape) if "weight" in params else [0]
    for name, p in params.items():
        if p.ndim != 1 or p.numel != channels:
            raise ShapeMismatch(
                f"Expected {name} to be a vector of size equal to the number of channels in "
                f"input, but got {name} of shape {weight_shape} and input of shape "
                f"{list(x.shape)}"
            )
    _check_mixed_dtype(x, list(params.values()))
    _require_norm_kernel_dtypes("GroupNormKernelImpl", x, params.get("bias"))
    return meta(x.shape, x.dtype)


_register(
    OpSpec(
        "native_group_norm",
        "torch.nn.functional.group_norm",
        "An (N, C, *) input's channels split into num_groups groups of C / num_groups; each "
        "sample's group normalized on its own, (x - μ) ρ with μ and ρ = 1/√(σ² + eps) (σ² "
        "biased; summed in float64 and rounded once to x's dtype), then per channel c, x s + "
        "(b - μ s) with s = ρ w, as torch's CPU kernel computes it. weight w and bias b are "
        "tensors of C elements, or the numbers 1 and 0 in their place when absent (torch's "
        "node always has the three inputs; without either, (x - μ) ρ).",
        ("self", "weight", "bias"),
        (True, True, True),
        _native_group_norm_infer,
        _named("NativeGroupNormBackward0"),
        lambda needs, attrs: ("self", "weight"),
        (
            Attr("num_groups", "int", "The number of channel groups.", optional=False),
            Attr("eps", "float", "Added to the variance.", 1e-5),
        ),
    )
)


_BATCH_NORM_PARAMETERS = ("weight", "bias", "running_mean", "running_var")


def _check_batch_norm(x: TensorMeta, params: dict[str, TensorMeta], training: bool) -> None:
    """torch's batch_norm checks, in its order, of an input with elements: each running
    statistic holds one element per channel (x's dim 1; none for a 1-d x), or is there in
    evaluation mode, then the weight and bias; the running statistics come as a pair; x has
    a channel dim and is floating; torch's mixed-dtype rules (the first parameter given
    decides), then every parameter in x's dtype."""
    channels = x.shape[1] if x.ndim > 1 else 0
    for name in ("running_mean", "running_var", "weight", "bias"):
        p = params.get(name)
        if p is not None and p.numel != channels:
            raise ShapeMismatch(f"{name} should contain {channels} elements not {p.numel}")
        if p is None and name.startswith("running") and not training:
            raise ShapeMismatch(f"{name} must be defined in evaluation mode")
    if ("running_mean" in params) != ("running_var" in params):
        raise InvalidValue(
            "running_mean and running_var must either both be None or neither be None"
        )
    if x.ndim < 2:
        raise DimensionOutOfRange(
            f"Dimension out of range (expected to be in range of [{-max(x.ndim, 1)}, "
            f"{max(x.ndim, 1) - 1}], but got 1)"
        )
    if not is_float(x.dtype):
        raise Unsupported(f"\"batch_norm\" not implemented for '{TORCH_TYPE_NAME[x.dtype]}'")
    given = [params[n] for n in _BATCH_NORM_PARAMETERS if n in params]
    _check_mixed_dtype(x, given)
    for p in given:
        if p.dtype != x.dtype:
            raise DtypeMismatch(
                f"expected scalar type {TORCH_TYPE_NAME[x.dtype]} but found "
                f"{TORCH_TYPE_NAME[p.dtype]}"
            )


def _batch_norm_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """batch_norm's checks; an input without elements is returned as it is, unchecked, as
    torch does (its client composes torch's clone, mul and add for it instead)."""
    _check_operands("batch_norm", operands, 5, optional=2)
    x = _require_tensor("batch_norm", operands[0], 0)
    named = zip(("weight", "bias", "running_mean", "running_var"), operands[1:], strict=False)
    params = {n: p for n, p in named if isinstance(p, TensorMeta)}
    if x.numel:
        _check_batch_norm(x, params, attrs["training"])
    return meta(x.shape, x.dtype)


def _batch_norm_saves(needs: tuple[bool, ...], attrs: dict) -> tuple[str, ...]:
    # NativeBatchNormBackward0 keeps the input, the weight and the running statistics
    return ("self", "weight", "running_mean", "running_var")


_register(
    OpSpec(
        "batch_norm",
        "torch.nn.functional.batch_norm",
        "Per channel c (dim 1 of an (N, C, *) input), y = (x - μ) ρ w + b, computed as torch's "
        "CPU kernel does: y = x α + β with α = ρ w and β = b - μ α. In training mode μ and "
        "ρ = 1/√(σ² + eps) come from the batch (σ² biased; μ and Σ(x - μ)² summed in float64 "
        "and rounded once); in evaluation mode from running_mean and running_var, which are "
        "then required. weight and bias are tensors of C elements, or the numbers 1 and 0 "
        "in their place (torch's node always has the three inputs). The running statistics "
        "are not differentiable and are not updated here: batch_norm_running_stats computes "
        "their update.",
        ("self", "weight", "bias", "running_mean", "running_var"),
        (True, True, True, False, False),
        _batch_norm_infer,
        _named("NativeBatchNormBackward0"),
        _batch_norm_saves,
        (
            Attr("training", "bool", "Normalize with the batch's statistics.", optional=False),
            Attr("eps", "float", "Added to the variance.", 1e-5),
        ),
        optional_inputs=2,
        refuses_grad_as="native_batch_norm",
    )
)


def _batch_norm_running_stats_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """batch_norm's checks, as for training with both running statistics."""
    _check_operands("batch_norm_running_stats", operands, 3)
    x, mean, var = (
        _require_tensor("batch_norm_running_stats", o, i) for i, o in enumerate(operands)
    )
    _check_batch_norm(x, {"running_mean": mean, "running_var": var}, True)
    return meta((2, mean.numel), mean.dtype)


_register(
    OpSpec(
        "batch_norm_running_stats",
        "torch.nn.functional.batch_norm",
        "The running statistics that batch_norm in training mode leaves behind, as torch "
        "computes them in float64 and rounds once, stacked as (2, C): (1 - momentum) "
        "running_mean + momentum μ, then (1 - momentum) running_var + momentum Σ(x - μ)² / "
        "(M - 1) (M = the elements per channel; Σ(x - μ)² rounded to the input's dtype and "
        "divided in it). Writing them back (copy under no_grad) is torch's in-place update. "
        "Not differentiable.",
        ("self", "running_mean", "running_var"),
        (False, False, False),
        _batch_norm_running_stats_infer,
        _named(""),
        _nothing,
        (Attr("momentum", "float", "The weight of the batch's statistics.", 0.1),),
    )
)


def _check_class_weight(weight: TensorMeta, classes: int, dtype: str) -> None:
    """One weight per class, in the input's dtype (torch's checks and order)."""
    if weight.ndim != 1 or weight.numel != classes:
        raise ShapeMismatch(
            f"weight tensor should be defined either for all {classes} classes or no classes "
            f"but got weight tensor of shape: [{', '.join(map(str, weight.shape))}]"
        )
    if weight.dtype != dtype:
        raise DtypeMismatch(
            f"expected scalar type {TORCH_TYPE_NAME[dtype]} but found "
            f"{TORCH_TYPE_NAME[weight.dtype]}"
        )


def _nll_loss_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.nn.functional.nll_loss's checks for an (N, C) or (C,) input and class-index
    targets, in torch's order."""
    _check_operands("nll_loss", operands, 3, optional=1)
    x, target, *weight = (_require_tensor("nll_loss", o, i) for i, o in enumerate(operands))
    reduction = attrs.get("reduction", "mean")
    if reduction not in REDUCTIONS:
        raise InvalidValue(f"{reduction} is not a valid value for reduction")
    if x.ndim < 1:
        raise InvalidValue(f"Expected 1 or more dimensions (got {x.ndim})")
    if x.ndim > 2:
        raise Unsupported(
            "gradrpc: nll_loss of an input with more than 2 dimensions is not supported yet"
        )
    batch = target.shape[0] if target.ndim else 0  # torch reads a 0-d target's size as 0
    if x.ndim == 2 and x.shape[0] != batch:
        raise InvalidValue(
            f"Expected input batch_size ({x.shape[0]}) to match target batch_size ({batch})."
        )
    if target.dtype not in ("int64", "uint8"):
        raise DtypeMismatch(
            f"expected target dtype to be Long or Byte, but got {TORCH_TYPE_NAME[target.dtype]}"
        )
    if target.ndim > 1:
        raise ShapeMismatch("0D or 1D target tensor expected, multi-target not supported")
    if x.ndim == 1 and target.numel != 1:
        raise InvalidValue(
            f"For 1D input, 1D target must have size 1, but got target size: {target.numel}"
        )
    if weight:
        _check_class_weight(weight[0], x.shape[-1], x.dtype)
    if not is_float(x.dtype):
        raise Unsupported(
            f"\"nll_loss_out_frame\" not implemented for '{TORCH_TYPE_NAME[x.dtype]}'"
        )
    shape = (x.shape[0],) if reduction == "none" and x.ndim == 2 else ()
    return meta(shape, x.dtype)


def _shape_list(shape: tuple[int, ...]) -> str:
    return f"[{', '.join(map(str, shape))}]"


def _multi_margin_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """multi_margin_loss's checks, in torch's order: a non-empty vector or (N, C) matrix,
    a target of N class indices, one weight per class, then the dtypes."""
    name = "multi_margin_loss"
    _check_operands(name, operands, 3, optional=1)
    x, target, *weight = (_require_tensor(name, o, i) for i, o in enumerate(operands))
    if attrs["reduction"] not in REDUCTIONS:
        raise InvalidValue(f"{attrs['reduction']} is not a valid value for reduction")
    if attrs["p"] not in (1, 2):
        raise InvalidValue("only p == 1 and p == 2 supported")
    if not (x.ndim == 0 or (x.ndim in (1, 2) and x.shape[-1] != 0)):
        raise ShapeMismatch(
            "Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
            + _shape_list(x.shape)
        )
    frames, classes = (x.shape[0], x.shape[1]) if x.ndim == 2 else (1, x.numel)
    if target.ndim > 1 or target.numel != frames:
        raise ShapeMismatch(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of "
            f"input samples (batch size). Expected target size [{frames}], but got "
            f"{_shape_list(target.shape)}. Input has shape {_shape_list(x.shape)}."
        )
    if weight and (weight[0].ndim > 1 or weight[0].numel != classes):
        raise ShapeMismatch(
            f"inconsistent weight size, expected {classes} but got {_shape_list(weight[0].shape)}"
        )
    if not is_float(x.dtype):
        raise Unsupported(
            f"\"multi_margin_loss_cpu_kernel\" not implemented for '{TORCH_TYPE_NAME[x.dtype]}'"
        )
    for operand, dtype in ((target, "int64"), *((w, x.dtype) for w in weight)):
        if operand.dtype != dtype:
            raise DtypeMismatch(
                f"expected scalar type {TORCH_TYPE_NAME[dtype]} but found "
                f"{TORCH_TYPE_NAME[operand.dtype]}"
            )
    return meta(target.shape if attrs["reduction"] == "none" else (), x.dtype)


_register(
    OpSpec(
        "multi_margin_loss",
        "torch.nn.functional.multi_margin_loss",
        "Σ_{d != y} w_y max(0, margin - x[y] + x[d])^p / C per sample of an (N, C) or (C,) "
        "input and int64 class indices y (one out of range is INVALID_COMPUTATION), then "
        "reduced (the mean over the N samples). The optional weight w, one per class, gets no "
        "gradient: requiring one while recording is NOT_DIFFERENTIABLE.",
        ("self", "target", "weight"),
        (True, False, False),
        _multi_margin_infer,
        _named("MultiMarginLossBackward0"),
        _loss_saves,
        (
            *_REDUCTION_ATTR,
            Attr("p", "int", "The power of the margin's excess: 1 or 2.", 1),
            Attr("margin", "float", "The margin.", 1.0),
        ),
        optional_inputs=1,
        refuses_grad_as="multi_margin_loss",
    )
)


def _multilabel_margin_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """multilabel_margin_loss's checks, in torch's order: a non-empty vector or (N, C)
    matrix, a target of its shape, then the dtypes. A 0-d or 1-d input gives a 0-d result
    whatever the reduction, as torch's does."""
    name = "multilabel_margin_loss"
    _check_operands(name, operands, 2)
    x, target = (_require_tensor(name, o, i) for i, o in enumerate(operands))
    if attrs["reduction"] not in REDUCTIONS:
        raise InvalidValue(f"{attrs['reduction']} is not a valid value for reduction")
    if not (x.ndim == 0 or (x.ndim in (1, 2) and x.shape[-1] != 0)):
        raise ShapeMismatch(
            "Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
            + _shape_list(x.shape)
        )
    fits = target.ndim <= 1 and target.numel == x.numel if x.ndim <= 1 else target.shape == x.shape
    if not fits:
        raise ShapeMismatch(
            f"inconsistent target size: {_shape_list(target.shape)} for input of size: "
            f"{_shape_list(x.shape)}"
        )
    if not is_float(x.dtype):
        raise Unsupported(
            '"multilabel_margin_loss_forward_out_frame" not implemented for '
            f"'{TORCH_TYPE_NAME[x.dtype]}'"
        )
    if target.dtype != "int64":
        raise DtypeMismatch(f"expected scalar type Long but found {TORCH_TYPE_NAME[target.dtype]}")
    batched = attrs["reduction"] == "none" and x.ndim == 2
    return meta((x.shape[0],) if batched else (), x.dtype)


_register(
    OpSpec(
        "multilabel_margin_loss",
        "torch.nn.functional.multilabel_margin_loss",
        "Σ_{j} Σ_{d not a target} max(0, 1 - x[j] + x[d]) / C per sample of an (N, C) or (C,) "
        "input, j over the sample's int64 target classes: its target row up to the first "
        "negative value (the inner sums in float64, rounded to the dtype per sample). A "
        "target value outside [-1, C) is INVALID_COMPUTATION. Reduced as torch reduces it "
        "(the mean over the N samples; nan for no samples); a 0-d or 1-d input gives a 0-d "
        "result even unreduced. The target is not differentiable.",
        ("self", "target"),
        (True, False),
        _multilabel_margin_infer,
        _named("MultilabelMarginLossBackward0"),
        lambda needs, attrs: ("self", "target"),
        _REDUCTION_ATTR,
    )
)


_CTC_CHECKED = " (while checking arguments for ctc_loss_allocate_outputs)"


def _ctc_loss_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch's ctc_loss checks in its order: (T, N, C) log-probabilities, targets (N, S)
    padded or 1-D concatenated, the blank a class, one input and one target length per
    sample, each within its bounds. The result is each sample's negative log-likelihood."""
    name = "ctc_loss"
    _check_operands(name, operands, 2)
    log_probs, targets = (_require_tensor(name, o, i) for i, o in enumerate(operands))
    if log_probs.ndim != 3:
        raise ShapeMismatch(
            f"Expected 3-dimensional tensor, but got {log_probs.ndim}-dimensional tensor for "
            "argument #1 'log_probs'" + _CTC_CHECKED
        )
    if not is_float(log_probs.dtype):
        raise Unsupported(
            f"\"ctc_loss_cpu\" not implemented for '{TORCH_TYPE_NAME[log_probs.dtype]}'"
        )
    if not 1 <= targets.ndim <= 2:
        raise ShapeMismatch(
            f"Expected 1 to 2 dimensions, but got {targets.ndim}-dimensional tensor for "
            "argument #2 'targets'" + _CTC_CHECKED
        )
    steps, batch, classes = log_probs.shape
    if not 0 <= attrs["blank"] < classes:
        raise ShapeMismatch("blank must be in label range")
    input_lengths, target_lengths = attrs["input_lengths"], attrs["target_lengths"]
    if len(input_lengths) != batch:
        raise ShapeMismatch("input_lengths must be of size batch_size")
    if len(target_lengths) != batch:
        raise ShapeMismatch("target_lengths must be of size batch_size")
    for length in target_lengths:
        if length < 0:
            raise ShapeMismatch(
                f"Expected target_lengths to have value at least 0, but got value {length}"
                + _CTC_CHECKED
            )
    size, dim = (sum(target_lengths), 0) if targets.ndim == 1 else (batch, 0)
    if targets.shape[dim] != size:
        raise ShapeMismatch(
            f"Expected tensor to have size {size} at dimension 0, but got size "
            f"{targets.shape[0]} for argument #2 'targets'" + _CTC_CHECKED
        )
    longest = max(target_lengths, default=0)
    if targets.ndim == 2 and targets.shape[1] < longest:
        raise ShapeMismatch(
            f"Expected tensor to have size at least {longest} at dimension 1, but got size "
            f"{targets.shape[1]} for argument #2 'targets'" + _CTC_CHECKED
        )
    for length in input_lengths:
        if not 0 <= length <= steps:
            bound = "least 0" if length < 0 else f"most {steps}"
            raise ShapeMismatch(
                f"Expected input_lengths to have value at {bound}, but got value {length}"
                + _CTC_CHECKED
            )
    return meta((batch,), log_probs.dtype)


_register(
    OpSpec(
        "ctc_loss",
        "torch._ctc_loss",
        "Each sample's connectionist temporal classification loss: -log Σ over the "
        "alignments of its target (targets[n, :target_lengths[n]] padded, or its run of the "
        "concatenated 1-D targets) with its first input_lengths[n] steps of the (T, N, C) "
        "log-probabilities, blank the class between labels; computed as torch's CPU kernel "
        "computes it (log-space alpha recursion in the dtype). The gradient is torch's "
        "(exp(lp) - exp(log αβ + nll - lp)) × the sample's upstream gradient, zero past its "
        "input length, and zero for an infinite loss with zero_infinity. The targets "
        "(any dtype, read as int64) are not differentiable.",
        ("log_probs", "targets"),
        (True, False),
        _ctc_loss_infer,
        _named("CtcLossBackward0"),
        lambda needs, attrs: ("log_probs", "targets", "result"),
        (
            Attr("input_lengths", "ints", "The number of steps of each sample.", optional=False),
            Attr("target_lengths", "ints", "The target length of each sample.", optional=False),
            Attr("blank", "int", "The blank class.", 0),
            Attr("zero_infinity", "bool", "An infinite loss gets a zero gradient.", False),
        ),
    )
)


_NLL_ATTRS = (
    *_REDUCTION_ATTR,
    Attr("ignore_index", "int", "A target value that contributes nothing.", -100),
)


def _register_nll(name: str, torch_name: str, doc: str, infer, grad_fn: str) -> None:
    """nll_loss and nll_loss2d: self, int64 target and an optional weight, of which only
    self is differentiated."""
    _register(
        OpSpec(
            name,
            torch_name,
            doc,
            ("self", "target", "weight"),
            (True, False, False),
            infer,
            _named(grad_fn),
            _loss_saves,
            _NLL_ATTRS,
            optional_inputs=1,
            refuses_grad_as=f"{name}_forward",
        )
    )


_register_nll(
    "nll_loss",
    "torch.nn.functional.nll_loss",
    "-weight[target[n]] input[n, target[n]] per sample (input holds log-probabilities, "
    "target int64 class indices, the optional weight one number per class, 1 when left "
    "out; ignore_index rows count 0), then reduced: the mean divides by the weights of the "
    "counted rows. cross_entropy is log_softmax then nll_loss. The weight gets no "
    "gradient: requiring one while recording is NOT_DIFFERENTIABLE.",
    _nll_loss_infer,
    "NllLossBackward0",
)


def _nll_loss2d_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch's nll_loss2d checks for an (N, C, H, W) input and (N, H, W) class indices, in
    torch's order."""
    _check_operands("nll_loss2d", operands, 3, optional=1)
    x, target, *weight = (_require_tensor("nll_loss2d", o, i) for i, o in enumerate(operands))
    reduction = attrs.get("reduction", "mean")
    if reduction not in REDUCTIONS:
        raise InvalidValue(f"{reduction} is not a valid value for reduction")
    if target.dtype not in ("int64", "uint8"):
        raise DtypeMismatch(
            f"expected target dtype to be Long or Byte, but got {TORCH_TYPE_NAME[target.dtype]}"
        )
    if target.ndim != 3:
        raise ShapeMismatch(
            "only batches of spatial targets supported (3D tensors) but got targets of "
            f"dimension: {target.ndim}"
        )
    if x.ndim != 4:
        raise ShapeMismatch(
            "only batches of spatial inputs supported (4D tensors), but got input of "
            f"dimension: {x.ndim}"
        )
    if weight and weight[0].numel != x.shape[1]:
        raise ShapeMismatch("weight tensor should be defined either for all or no classes")
    if (x.shape[0], *x.shape[2:]) != target.shape:
        raise ShapeMismatch(
            f"size mismatch (got input: {list(x.shape)} , target: {list(target.shape)}"
        )
    if weight and weight[0].dtype != x.dtype:
        raise DtypeMismatch(
            f"expected scalar type {TORCH_TYPE_NAME[x.dtype]} but found "
            f"{TORCH_TYPE_NAME[weight[0].dtype]}"
        )
    if not is_float(x.dtype):
        raise Unsupported(
            f"\"nll_loss2d_forward_out_frame\" not implemented for '{TORCH_TYPE_NAME[x.dtype]}'"
        )
    return meta(target.shape if reduction == "none" else (), x.dtype)


_register_nll(
    "nll_loss2d",
    "torch._C._nn.nll_loss2d",
    "nll_loss over the pixels of a batch of images: -weight[t] input[n, t, h, w] for each "
    "t = target[n, h, w] (input (N, C, H, W), target (N, H, W) int64; the weight, one "
    "number per class, may have any shape), reduced as nll_loss reduces. nll_loss of "
    "(N, C, d1, ...) inputs is this op on a view of them as (N, C, 1, d1 ...), as torch "
    "composes it.",
    _nll_loss2d_infer,
    "NllLoss2DBackward0",
)


# ---- embedding


# what torch's checkScalarTypes prints for index tensors of the dtypes it refuses
def _check_index_tensor(indices: TensorMeta, argument: int, function: str) -> None:
    """torch's check that an embedding's indices are integers (Long or Int)."""
    if indices.dtype not in INDEX_DTYPES:
        raise DtypeMismatch(
            f"Expected tensor for argument #{argument} 'indices' to have one of the following "
            f"scalar types: Long, Int; but got {TENSOR_TYPE_STRING[indices.dtype]} instead "
            f"(while checking arguments for {function})"
        )


def _embedding_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.embedding's checks in its order: a 2-d weight, integer indices, rows to pick
    from (index_select's check, made only when there is something to pick). The result is
    indices.shape + (embedding_dim,), contiguous, in the weight's dtype."""
    _check_operands("embedding", operands, 2)
    weight, indices = (_require_tensor("embedding", o, i) for i, o in enumerate(operands))
    if weight.ndim != 2:
        raise ShapeMismatch("'weight' must be 2-D")
    _check_index_tensor(indices, 1, "embedding")
    if weight.shape[0] == 0 and indices.numel:
        raise ShapeMismatch("index_select(): self indexing axis dim should be positive")
    return meta((*indices.shape, weight.shape[1]), weight.dtype)


_register(
    OpSpec(
        "embedding",
        "torch.embedding",
        "weight[indices]: row indices[i] of the (num_embeddings, embedding_dim) weight for "
        "each i, so the result has shape indices.shape + (embedding_dim,); an index outside "
        "[0, num_embeddings) is INVALID_INDEX (torch's 'index out of range in self'). The "
        "weight's gradient is torch's embedding_dense_backward: each row of the output "
        "gradient added to the row of the index it came from (in the inputs' order, each "
        "add one fused multiply-add by its scale), except rows whose index is padding_idx, "
        "and with scale_grad_by_freq each scaled by 1 / (the number of times its index "
        "occurs in indices). The indices are not differentiable.",
        ("weight", "indices"),
        (True, False),
        _embedding_infer,
        _named("EmbeddingBackward0"),
        _indices,
        (
            Attr(
                "padding_idx",
                "int",
                "Rows of this index get no gradient (-1, the default, and any other value "
                "outside [0, num_embeddings): none).",
                -1,
            ),
            Attr(
                "scale_grad_by_freq",
                "bool",
                "Divide each row's gradient by its index's count in indices.",
                False,
            ),
        ),
    )
)


def _is_number_zero(operand: Operand) -> bool:
    """The number 0 that stands for a left-out tensor input with an edge of its own."""
    return type(operand) in (int, float) and operand == 0


EMBEDDING_BAG_MODES = ("sum", "mean", "max")


def _embedding_bag_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.embedding_bag's checks in its order: integer indices and offsets, a floating
    weight, per_sample_weights of the weight's type, at least one offset with
    include_last_offset, padding_idx a row or -1 (none). The result is (bags, embedding_dim):
    one bag per offset, less the last with include_last_offset. per_sample_weights may be the
    number 0 for none (torch's node has an edge for it either way)."""
    name = "embedding_bag"
    _check_operands(name, operands, 4)
    weight, indices, offsets = (_require_tensor(name, o, i) for i, o in enumerate(operands[:3]))
    weights = [] if _is_number_zero(operands[3]) else [_require_tensor(name, operands[3], 3)]
    if attrs["mode"] not in EMBEDDING_BAG_MODES:
        raise InvalidValue("mode has to be one of sum, mean or max")
    if weight.ndim != 2:
        raise ShapeMismatch(
            f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}"
        )
    if indices.ndim != 1 or offsets.ndim != 1:
        raise ShapeMismatch("embedding_bag: indices and offsets have to be 1-D")
    for index in (indices, offsets):  # floating indices are refused before the weight
        if is_float(index.dtype):
            _check_index_tensor(index, 1, name)
    if not is_float(weight.dtype):
        raise DtypeMismatch(
            "Expected tensor for argument #1 'weight' to have one of the following scalar "
            f"types: Half, BFloat16, Float, Double; but got {TENSOR_TYPE_STRING[weight.dtype]} "
            "instead (while checking arguments for embedding_bag)"
        )
    for index in (indices, offsets):  # the smaller integers after it
        if index.dtype not in ("int64", "bool"):
            _check_index_tensor(index, 1, name)
    if weights:
        if attrs["mode"] != "sum":
            raise Unsupported("embedding_bag: per_sample_weights is only supported for mode='sum'")
        if weights[0].shape != indices.shape:
            raise ShapeMismatch(
                f"embedding_bag: per_sample_weights {_shape_list(weights[0].shape)} must have "
                f"the shape of the indices {_shape_list(indices.shape)}"
            )
        if weights[0].dtype != weight.dtype:
            raise DtypeMismatch(
                "Expected tensor for argument #1 'weight' to have the same type as tensor for "
                "argument #1 'per_sample_weights'; but type "
                f"{TENSOR_TYPE_STRING[weight.dtype]} does not equal "
                f"{TENSOR_TYPE_STRING[weights[0].dtype]} (while checking arguments for "
                "embedding_bag)"
            )
    if attrs["include_last_offset"] and not offsets.numel:
        raise ShapeMismatch("include_last_offset: number of offset should be at least 1")
    rows, padding_idx = weight.shape[0], attrs["padding_idx"]
    if not -1 <= padding_idx < rows:
        raise ShapeMismatch(
            f"padding_idx must be within the number of embeddings, -{rows} through "
            f"{rows - 1}, but got {padding_idx}"
        )
    bags = offsets.numel - bool(attrs["include_last_offset"])
    return meta((bags, weight.shape[1]), weight.dtype)


def _embedding_bag_saves(needs: tuple[bool, ...], attrs: dict) -> tuple[str, ...]:
    """The indices and offsets (and the per-sample weights); the weight for max (whose
    arg-maxima the backward finds again) and for the per-sample weights' gradient."""
    saved = ("indices", "offsets", "per_sample_weights")
    if attrs["mode"] == "max" or needs[3]:
        saved += ("weight",)
    return saved


_register(
    OpSpec(
        "embedding_bag",
        "torch.embedding_bag",
        "Per bag b, the rows weight[indices[k]] for k in [offsets[b], offsets[b + 1]) (the "
        "last bag up to the end of indices, or with include_last_offset up to the last "
        "offset, which starts no bag), rows whose index is padding_idx left out: summed in "
        "order (with per_sample_weights, each row times its weight first, fused into the "
        "sum for float32 without padding_idx, as torch's kernel fuses it), their mean (the "
        "sum divided by the "
        "rows counted), or their elementwise max (the first of equal maxima; nan only as the "
        "first value); an empty bag gives zeros. offsets[0] other than 0, an offset past "
        "the end of indices or offsets decreasing, and an index outside [0, num_embeddings), "
        "are INVALID_COMPUTATION with torch's messages. Gradients: the weight's as torch's "
        "_embedding_bag_backward (each row's bag gradient, times its per-sample weight, "
        "divided by the bag's count for mean and with scale_grad_by_freq by what torch "
        "divides by: for the u-th smallest distinct index, the count of the u-th smallest "
        "index; for max, to each arg-maximum), and the per-sample weights' "
        "(the bag gradient · the row; the number 0 for none). The indices and offsets are "
        "not differentiable.",
        ("weight", "indices", "offsets", "per_sample_weights"),
        (True, False, False, True),
        _embedding_bag_infer,
        _named("EmbeddingBagBackward0"),
        _embedding_bag_saves,
        (
            Attr("mode", "string", "'sum', 'mean' (default) or 'max'.", "mean"),
            Attr(
                "scale_grad_by_freq",
                "bool",
                "Divide each row's weight gradient by its index's count in indices.",
                False,
            ),
            Attr(
                "include_last_offset",
                "bool",
                "The last offset ends the last bag instead of starting one.",
                False,
            ),
            Attr("padding_idx", "int", "Rows of this index count for nothing (-1: none).", -1),
        ),
    )
)


def _embedding_renorm_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.embedding_renorm_'s checks in its order: a 2-d weight, integer indices, and a
    floating weight (torch's norm refuses others, as soon as there is a row to measure)."""
    _check_operands("embedding_renorm", operands, 2)
    weight, indices = (_require_tensor("embedding_renorm", o, i) for i, o in enumerate(operands))
    if weight.ndim != 2:
        raise ShapeMismatch(
            f"Expected 2-dimensional tensor, but got {weight.ndim}-dimensional tensor for "
            "argument #1 'self' (while checking arguments for embedding_renorm_)"
        )
    _check_index_tensor(indices, 2, "embedding_renorm_")
    if not is_float(weight.dtype) and indices.numel:
        raise DtypeMismatch(
            "norm(): input dtype should be either floating point or complex. "
            f"Got {TORCH_TYPE_NAME[weight.dtype]} instead."
        )
    return meta((indices.numel, weight.shape[1]), weight.dtype)


_register(
    OpSpec(
        "embedding_renorm",
        "torch.embedding_renorm_",
        "The rows of weight that the flattened indices name (a negative index counting from "
        "the end, as select does), each renormalized as torch.embedding_renorm_ does: a row "
        "whose norm of order norm_type (in the weight's dtype, compared in float64) exceeds "
        "max_norm is multiplied by max_norm / (norm + 1e-7), computed in float64 and rounded "
        "to the weight's dtype; the others are returned unchanged. An index outside "
        "[-num_embeddings, num_embeddings) is INVALID_INDEX with torch's select() message, "
        "for the smallest one, as torch visits the indices sorted. Writing the rows back "
        "(index_put under no_grad) is embedding_renorm_. Not differentiable.",
        ("self", "indices"),
        (False, False),
        _embedding_renorm_infer,
        _named(""),
        _nothing,
        (
            Attr("max_norm", "float", "The largest norm a row keeps.", optional=False),
            Attr("norm_type", "float", "The order of the norm (inf allowed).", 2.0),
        ),
    )
)


# ---- convolution

_ONEDNN_FAILURE = (
    "could not create a primitive descriptor for the {} forward propagation primitive. Run "
    "workload with environment variable ONEDNN_VERBOSE=all to get additional diagnostic "
    "information."
)


def _sizes_text(sizes: Sequence[int]) -> str:
    """An IntArrayRef as torch prints it: [1, 2, 3]."""
    return f"[{', '.join(str(s) for s in sizes)}]"


def conv_param(values: Sequence[int], name: str, dim: int) -> tuple[int, ...]:
    """torch's expand_param_if_needed: one value for every spatial dim, or one each."""
    values = tuple(int(v) for v in values)
    if len(values) == 1:
        return values * dim
    if len(values) != dim:
        raise ShapeMismatch(
            f"expected {name} to be a single integer value or a list of {dim} values to match "
            f"the convolution dimensions, but got {name}={_sizes_text(values)}"
        )
    return values


def conv_output_size(
    input_shape: Sequence[int],
    kernel: Sequence[int],
    stride: Sequence[int],
    padding: Sequence[int],
    dilation: Sequence[int],
) -> tuple[int, ...]:
    """Each spatial size of a convolution's result (torch's conv_output_size)."""
    return tuple(
        (size + 2 * p - (d * (k - 1) + 1)) // s + 1
        for size, k, s, p, d in zip(input_shape, kernel, stride, padding, dilation, strict=True)
    )


def conv_transpose_output_size(
    input_shape: Sequence[int],
    kernel: Sequence[int],
    stride: Sequence[int],
    padding: Sequence[int],
    dilation: Sequence[int],
    output_padding: Sequence[int],
) -> tuple[int, ...]:
    """Each spatial size of a transposed convolution's result (torch's
    conv_input_size): the size whose convolution has the input's size, plus output_padding."""
    return tuple(
        (size - 1) * s - 2 * p + d * (k - 1) + op + 1
        for size, k, s, p, d, op in zip(
            input_shape, kernel, stride, padding, dilation, output_padding, strict=True
        )
    )


def _conv_uses_onednn(x: TensorMeta, w: TensorMeta, stride, dilation, groups: int) -> bool:
    """torch's ConvParams::use_mkldnn on a CPU build with oneDNN, for a float32 input (1-d
    convolutions seen as 2-d, as torch views them first), assuming torch runs on more than
    one thread (a 1x1 kernel with neither stride nor dilation and a batch under 16 goes to
    torch's own kernel on a single thread)."""
    if x.dtype != "float32":
        return False
    xs = x.shape if x.ndim != 3 else (x.shape[0], x.shape[1], 1, x.shape[2])
    ws = w.shape if w.ndim != 3 else (w.shape[0], w.shape[1], 1, w.shape[2])
    return (
        groups > 1
        or (ws[-1] > 3 and ws[-2] > 3)
        or xs[0] > 1
        or xs[0] * xs[1] * xs[2] * xs[3] > 20480
    )


def _conv_backend_checks(x: TensorMeta, w: TensorMeta, kernel, dilation, groups, stride) -> None:
    """The checks of the CPU kernel torch picks for a non-empty input: oneDNN's for most
    float32 inputs, else torch's own (slow_conv2d, slow_conv3d or slow_conv_dilated, on
    1-d convolutions seen as 2-d), each in its order."""
    if _conv_uses_onednn(x, w, stride, dilation, groups):
        if w.dtype != x.dtype:
            raise DtypeMismatch(
                f"Input type ({TENSOR_TYPE_STRING[x.dtype]}) and weight type "
                f"({TENSOR_TYPE_STRING[w.dtype]}) should be the same or input should be a MKLDNN "
                "tensor and weight is a dense tensor"
            )
        if any(d <= 0 for d in dilation):
            raise ComputeError("non-positive dilation is not supported")
        if any(k <= 0 for k in kernel) or len(kernel) > 3:
            raise ComputeError(_ONEDNN_FAILURE.format("convolution"))
        return
    if len(kernel) == 1:  # seen as 2-d
        kernel, dilation = (1, *kernel), (1, *dilation)
    if len(kernel) > 3:
        raise ShapeMismatch("unsupported ConvNd parameters")
    dilated = any(d != 1 for d in dilation)
    if dilated:
        kernel_name = "slow_conv_dilated<>"
        if any(k <= 0 for k in kernel):
            raise ComputeError(
                f"kernel size should be greater than zero, but got {_sizes_text(kernel)}"
            )
        if any(d <= 0 for d in dilation):
            raise ComputeError(
                f"dilation should be greater than zero, but got {_sizes_text(dilation)}"
            )
    elif len(kernel) == 3:
        kernel_name = "compute_columns3d"
        if any(k <= 0 for k in kernel):
            raise ComputeError(
                "kernel size should be greater than zero, but got: "
                f"{kernel[0]} x {kernel[1]} x {kernel[2]} (TxHxW)"
            )
    else:
        kernel_name = "slow_conv2d_cpu"
        if any(k <= 0 for k in kernel):
            raise ComputeError(
                "kernel size should be greater than zero, but got kernel_height: "
                f"{kernel[0]} kernel_width: {kernel[1]}"
            )
    if x.dtype == "bool":
        raise Unsupported(f"\"{kernel_name}\" not implemented for 'Bool'")
    if w.dtype != x.dtype:
        raise DtypeMismatch(
            f"expected scalar type {TORCH_TYPE_NAME[x.dtype]} but found {TORCH_TYPE_NAME[w.dtype]}"
        )


def _conv_transpose_backend_checks(
    x: TensorMeta, w: TensorMeta, bias: TensorMeta | None, params: dict, out: Sequence[int]
) -> None:
    """The checks of the CPU kernel torch picks for a non-empty input of a transposed
    convolution: oneDNN's for most float32 inputs whose output_padding stays under the
    stride, else slow_conv_transpose2d's (1-d ones seen as 2-d) or slow_conv_transpose3d's,
    each in its order; `out` is the result's spatial sizes."""
    stride, dilation, output_padding = (
        params["stride"],
        params["dilation"],
        params["output_padding"],
    )
    kernel = w.shape[2:]
    big = any(o >= s for o, s in zip(output_padding, stride, strict=True))
    if not big and _conv_uses_onednn(x, w, stride, dilation, params["groups"]):
        for name, other in (("weight", w), ("bias", bias)):
            if other is not None and other.dtype != x.dtype:
                raise DtypeMismatch(
                    f"Input type ({TENSOR_TYPE_STRING[x.dtype]}) and {name} type "
                    f"({TENSOR_TYPE_STRING[other.dtype]}) should be the same or input should be a "
                    f"MKLDNN tensor and {name} is a dense tensor"
                )
        if any(o <= 0 for o in out):
            raise ComputeError("could not construct a memory descriptor using a format tag")
        if any(d <= 0 for d in dilation) or w.numel == 0 or len(kernel) > 3:
            raise ComputeError(_ONEDNN_FAILURE.format("deconvolution"))
        return
    if len(kernel) > 3:
        raise ShapeMismatch("unsupported ConvNd parameters")
    in_sizes = x.shape[2:]
    weight_shape = w.shape
    if len(kernel) == 1:  # seen as 2-d
        kernel, stride, dilation = (1, *kernel), (1, *stride), (1, *dilation)
        output_padding, in_sizes, out = (0, *output_padding), (1, *in_sizes), (1, *out)
        weight_shape = (*w.shape[:2], 1, *w.shape[2:])
    names = ("depth", "height", "width")[3 - len(kernel) :]

    def listed(label: str, values: Sequence[int], sep: str = " ") -> str:
        return sep.join(f"{label}_{n}: {v}" for n, v in zip(names, values, strict=True))

    if len(kernel) == 2 and any(k <= 0 for k in kernel):
        raise ComputeError(
            f"kernel size should be greater than zero, but got {listed('kernel', kernel)}"
        )
    if any(d <= 0 for d in dilation):
        raise ComputeError(
            f"dilation should be greater than zero, but got {listed('dilation', dilation, ', ')}"
        )
    if not all(o < s or o < d for o, s, d in zip(output_padding, stride, dilation, strict=True)):
        raise ComputeError(
            "output padding must be smaller than either stride or dilation, but got "
            f"{listed('output_padding', output_padding)} {listed('stride', stride)} "
            f"{listed('dilation', dilation)}"
        )
    if w.numel == 0:
        described = (
            "2D or 4D weight tensor expected, but got:"
            if len(kernel) == 2
            else "5D (n_output_plane x n_input_plane x kernel_depth x kernel_height x "
            "kernel_width) tensor expected for weight, but got:"
        )
        raise ShapeMismatch(f"non-empty {described} {_sizes_text(weight_shape)}")
    if any(o < 1 for o in out):
        raise ShapeMismatch(
            f"Given input size per channel: ({' x '.join(map(str, in_sizes))}). Calculated "
            f"output size per channel: ({' x '.join(map(str, out))}). Output size is too small"
        )
    if x.dtype == "bool":
        raise Unsupported(
            f"\"slow_conv_transpose{len(kernel)}d_out_cpu\" not implemented for 'Bool'"
        )
    for other in (w, bias) if len(kernel) == 3 else (w,):
        if other is not None and other.dtype != x.dtype:
            raise DtypeMismatch(
                f"expected scalar type {TORCH_TYPE_NAME[x.dtype]} but found "
                f"{TORCH_TYPE_NAME[other.dtype]}"
            )
    if bias is not None and promote_types(x.dtype, bias.dtype) != x.dtype:  # added in place
        raise DtypeMismatch(
            f"result type {TORCH_TYPE_NAME[bias.dtype]} can't be cast to the desired output "
            f"type {TORCH_TYPE_NAME[x.dtype]}"
        )


def _convolution_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.nn.functional.conv1d/conv2d/conv3d's and conv_transpose1d/2d/3d's checks after
    their unbatched input is given a batch dim, in torch's order: the bias's dtype (convNd's
    own check; the transposed ones have none), then torch.convolution's (the weight's rank,
    groups, the lengths of stride, padding, dilation and output_padding,
    check_shape_forward's), then those of the CPU kernel torch picks."""
    _check_operands("convolution", operands, 3)
    x = _require_tensor("convolution", operands[0], 0)
    w = _require_tensor("convolution", operands[1], 1)
    bias = operands[2]
    if not isinstance(bias, TensorMeta):
        if type(bias) not in (int, float) or bias != 0:
            raise InvalidArgument(
                "convolution(): argument 2 (bias) must be Tensor, or the number 0 for none"
            )
        bias = None
    transposed = attrs["transposed"]
    if bias is not None and not transposed and bias.dtype != x.dtype:
        raise DtypeMismatch(
            f"Input type ({C_TYPE_NAME[x.dtype]}) and bias type ({C_TYPE_NAME[bias.dtype]}) "
            "should be the same"
        )
    dim = w.ndim - 2
    if dim <= 0:
        raise ShapeMismatch("weight should have at least three dimensions")
    groups = attrs["groups"]
    if groups <= 0:
        raise ComputeError("non-positive groups is not supported")
    params = {
        name: conv_param(attrs[name], name, dim)
        for name in ("stride", "padding", "dilation", "output_padding")
    }
    params["groups"] = groups
    stride, padding, dilation = params["stride"], params["padding"], params["dilation"]
    if any(p < 0 for p in padding):
        raise ComputeError("negative padding is not supported")
    if any(p < 0 for p in params["output_padding"]):
        raise ComputeError("negative output_padding is not supported")
    if any(s <= 0 for s in stride):
        raise ComputeError("non-positive stride is not supported")
    if any(d < 0 for d in dilation):
        raise ComputeError("dilation should be greater than zero")
    weight_sizes = _sizes_text(w.shape)
    if w.ndim != x.ndim:
        raise ShapeMismatch(
            f"Expected {w.ndim}-dimensional input for {w.ndim}-dimensional weight "
            f"{weight_sizes}, but got {x.ndim}-dimensional input of size "
            f"{_sizes_text(x.shape)} instead"
        )
    if w.shape[0] < groups:
        raise ShapeMismatch(
            f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, "
            f"but got weight of size {weight_sizes} instead"
        )
    if w.shape[0] % groups:
        raise ShapeMismatch(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension "
            f"0, but got weight of size [{weight_sizes}] instead"
        )
    if transposed:
        channels, out_channels, given = w.shape[0], w.shape[1] * groups, "transposed=1"
    else:
        channels, out_channels, given = w.shape[1] * groups, w.shape[0], f"groups={groups}"
    if x.shape[1] != channels:
        raise ShapeMismatch(
            f"Given {given}, weight of size {weight_sizes}, expected input"
            f"{_sizes_text(x.shape)} to have {channels} channels, but got {x.shape[1]} "
            "channels instead"
        )
    if bias is not None and bias.shape != (out_channels,):
        raise ShapeMismatch(
            f"Given {'transposed=1, ' if transposed else ''}weight of size {weight_sizes}, "
            f"expected bias to be 1-dimensional with {out_channels} elements, but got bias of "
            f"size {_sizes_text(bias.shape)} instead"
        )
    if transposed:
        spatial = conv_transpose_output_size(
            x.shape[2:], w.shape[2:], stride, padding, dilation, params["output_padding"]
        )
    else:
        padded = [size + 2 * p for size, p in zip(x.shape[2:], padding, strict=True)]
        spans = [d * (k - 1) + 1 for k, d in zip(w.shape[2:], dilation, strict=True)]
        if any(p < s for p, s in zip(padded, spans, strict=True)):
            raise ShapeMismatch(
                f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                f"Kernel size: ({' x '.join(map(str, spans))}). Kernel size can't be greater "
                "than actual input size"
            )
        spatial = conv_output_size(x.shape[2:], w.shape[2:], stride, padding, dilation)
    if x.shape[0] == 0 or x.shape[1] == 0:  # torch's Empty backend: input * weight[0]
        shape = (x.shape[0], out_channels if x.shape[1] else 0, *spatial)
        for i, size in enumerate(shape):
            if size < 0:
                raise ShapeMismatch(
                    f"invalid shape dimension {size} at index {i} of shape {_sizes_text(shape)}"
                )
        return meta(shape, result_type((x, meta((), w.dtype))))
    if x.numel == 0:
        raise ShapeMismatch(
            "Only zero batch or zero channel inputs are supported, but got input shape: "
            f"{_sizes_text(x.shape)}"
        )
    if transposed:
        _conv_transpose_backend_checks(x, w, bias, params, spatial)
    else:
        _conv_backend_checks(x, w, w.shape[2:], dilation, groups, stride)  # (3 dims at most)
    return meta((x.shape[0], out_channels, *spatial), x.dtype)


_register(
    OpSpec(
        "convolution",
        "torch.convolution",
        "The cross-correlation of an (N, C, *spatial) input with an (O, C / groups, *kernel) "
        "weight, 1 to 3 spatial dims, as torch.nn.functional.conv1d/conv2d/conv3d compute it "
        "once their unbatched input has a batch dim: out[n, o] = bias[o] + Σ weight[o, c, k] "
        "input[n, g·C/groups + c, s·i + d·k - p] over the group g of o, zero outside the "
        "input. bias is a tensor of O elements, or the number 0 for none (torch's node has "
        "None for it). torch's checks in its order, the dtype ones as its CPU kernels make "
        "them (see the op table in docs/protocol.md). transposed: the adjoint of that "
        "convolution as conv_transpose1d/2d/3d compute it, with an (C, O / groups, *kernel) "
        "weight: out[n, g·O/groups + o, s·i + d·k - p] += weight[g·C/groups + c, o, k] "
        "input[n, g·C/groups + c, i], its spatial sizes (size - 1)·s - 2p + d·(k - 1) + "
        "output_padding + 1. An input with no batch or no channels gives zeros (torch's Empty "
        "path: input times a 0-d weight's dtype). Saves input and weight.",
        ("input", "weight", "bias"),
        (True, True, True),
        _convolution_infer,
        _named("ConvolutionBackward0"),
        lambda needs, attrs: ("input", "weight"),
        (
            Attr("stride", "ints", "One per spatial dim, or one for all.", (1,)),
            Attr("padding", "ints", "Zeros added on both sides, per spatial dim or one.", (0,)),
            Attr("dilation", "ints", "Spacing of the kernel's taps, per dim or one.", (1,)),
            Attr("transposed", "bool", "The transposed convolution (the adjoint).", False),
            Attr(
                "output_padding",
                "ints",
                "Added to one side of a transposed result's sizes, per dim or one.",
                (0,),
            ),
            Attr("groups", "int", "Input and output channels split into this many groups.", 1),
        ),
    )
)


# ---- constant_pad_nd


def constant_pad_shape(shape: Sequence[int], pad: Sequence[int]) -> tuple[int, ...]:
    """torch.constant_pad_nd's checks in its order, and its result's shape: pad holds
    (before, after) pairs from the last dim backwards; negative ones remove elements."""
    if len(pad) % 2:
        raise ShapeMismatch(f"Length of pad must be even but instead it equals {len(pad)}")
    ndim, pairs = len(shape), len(pad) // 2
    if ndim < pairs:
        raise ShapeMismatch(
            "Length of pad should be no more than twice the number of dimensions of the input. "
            f"Pad length is {len(pad)}while the input has {ndim}dimensions."
        )
    out = list(shape)
    grows = False
    for i in range(ndim - pairs, ndim):
        before, after = pad[2 * (ndim - i - 1)], pad[2 * (ndim - i - 1) + 1]
        size = shape[i]
        for p in (before, after):
            if p < 0:
                if size + p < 0:
                    raise ShapeMismatch("narrow(): length must be non-negative.")
                size += p
            elif p:
                grows = True
        out[i] = size
    if not grows:
        return tuple(out)
    for i in range(ndim - pairs, ndim):
        before, after = pad[2 * (ndim - i - 1)], pad[2 * (ndim - i - 1) + 1]
        if shape[i] + before + after <= 0:
            raise ShapeMismatch(
                f"The input size {shape[i]}, plus negative padding {before} and {after} "
                "resulted in a negative output size, which is invalid. Check dimension "
                f"{i} of your input."
            )
        out[i] = shape[i] + before + after
    return tuple(out)


def _constant_pad_nd_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("constant_pad_nd", operands, 1)
    x = _require_tensor("constant_pad_nd", operands[0], 0)
    return meta(constant_pad_shape(x.shape, attrs["pad"]), x.dtype)


_register(
    OpSpec(
        "constant_pad_nd",
        "torch.constant_pad_nd",
        "self with value added around it: pad holds (before, after) counts for the last dim, "
        "then the one before it, and so on; a negative count removes elements instead. value "
        "is cast to self's dtype. The gradient is the output gradient's part where self's "
        "elements went (zeros where a negative count removed them).",
        ("self",),
        (True,),
        _constant_pad_nd_infer,
        _named("ConstantPadNdBackward0"),
        _nothing,
        (
            Attr(
                "pad", "ints", "(before, after) pairs from the last dim backwards.", optional=False
            ),
            Attr("value", "scalar", "The value added (0 by default).", 0),
        ),
    )
)


# ---- copies that rearrange elements: repeat, flip, roll, tril, triu


def _repeat_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """Tensor.repeat's checks in its order: at least as many repeats as dims, then sizes
    that are not negative (the input padded with leading 1s, times the repeats)."""
    _check_operands("repeat", operands, 1)
    x = _require_tensor("repeat", operands[0], 0)
    repeats = tuple(attrs["repeats"])
    if len(repeats) < x.ndim:
        raise ShapeMismatch(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions "
            "of tensor"
        )
    padded = (1,) * (len(repeats) - x.ndim) + x.shape
    shape = tuple(s * r for s, r in zip(padded, repeats, strict=True))
    for size in shape:
        if size < 0:
            raise ShapeMismatch(
                f"Trying to create tensor with negative dimension {size}: "
                f"[{', '.join(map(str, shape))}]"
            )
    return meta(shape, x.dtype)


def distinct_dims(dims: Sequence[int], ndim: int) -> tuple[int, ...]:
    """torch's dim_list_to_bitset: each dim wrapped in turn, a repeat an error when met."""
    seen: list[int] = []
    for d in dims:
        d = normalize_dim(d, ndim)
        if d in seen:
            raise ShapeMismatch(f"dim {d} appears multiple times in the list of dims")
        seen.append(d)
    return tuple(seen)


def _flip_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("flip", operands, 1)
    x = _require_tensor("flip", operands[0], 0)
    distinct_dims(attrs["dims"], x.ndim)
    return TensorMeta(x.shape, x.dtype, preserved_strides(x))


def _roll_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch.roll's checks in its order: shifts given, one per dim (or one, with no dims:
    the flattened tensor), then, for a tensor with elements, each dim in turn."""
    _check_operands("roll", operands, 1)
    x = _require_tensor("roll", operands[0], 0)
    shifts, dims = attrs["shifts"], attrs["dims"]
    if not shifts:
        raise ShapeMismatch("`shifts` required")
    if (dims or len(shifts) != 1) and len(shifts) != len(dims):
        raise ShapeMismatch(
            f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
        )
    for d in dims if x.numel else ():
        size_dim(d, x.ndim)
    return meta(x.shape, x.dtype)


def _triangle_infer(name: str):
    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 1)
        x = _require_tensor(name, operands[0], 0)
        if x.ndim < 2:
            raise ShapeMismatch(f"{name}: input tensor must have at least 2 dimensions")
        return meta(x.shape, x.dtype)

    return infer


_register(
    OpSpec(
        "repeat",
        "torch.Tensor.repeat",
        "self tiled `repeats` times along each dim (self's shape padded with leading 1s to "
        "as many dims as repeats). The gradient sums the tiles (torch's repeat_backward).",
        ("self",),
        (True,),
        _repeat_infer,
        _named("RepeatBackward0"),
        _nothing,
        (Attr("repeats", "ints", "How many times to tile along each dim.", optional=False),),
        computes_in=_in_own_dtype,
    )
)
_register(
    OpSpec(
        "flip",
        "torch.flip",
        "self with the order of its elements reversed along each of `dims` (strides as "
        "self's, as torch's). The gradient is the incoming one flipped back.",
        ("self",),
        (True,),
        _flip_infer,
        _named("FlipBackward0"),
        _nothing,
        (Attr("dims", "ints", "The dims to reverse, each at most once.", optional=False),),
        computes_in=_in_own_dtype,
    )
)
_register(
    OpSpec(
        "roll",
        "torch.roll",
        "self's elements shifted cyclically by shifts[i] along dims[i] (a dim named twice "
        "shifts twice); with no dims, by the one shift over the flattened tensor, the shape "
        "kept. The gradient is the incoming one rolled back.",
        ("self",),
        (True,),
        _roll_infer,
        _named("RollBackward0"),
        _nothing,
        (
            Attr(
                "shifts",
                "ints",
                "The shift along each dim (positive: towards the end).",
                optional=False,
            ),
            Attr("dims", "ints", "The dims to roll along; none: the flattened tensor.", ()),
        ),
        computes_in=_in_own_dtype,
    )
)
for _name, _kept in (("tril", "on and below"), ("triu", "on and above")):
    _register(
        OpSpec(
            _name,
            f"torch.{_name}",
            f"self with the elements {_kept} the `diagonal`-th diagonal of each matrix (the "
            "last two dims) kept, the others 0 (false). The gradient is the incoming one's "
            "same triangle.",
            ("self",),
            (True,),
            _triangle_infer(_name),
            _named(f"{_name.capitalize()}Backward0"),
            _nothing,
            (Attr("diagonal", "int", "0 the main diagonal, > 0 above it, < 0 below it.", 0),),
            computes_in=_in_own_dtype,
        )
    )


def unfold_layout(x: TensorMeta, attrs: dict) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """torch's unfold checks in its order; the view's shape and strides: dim's windows, then
    each window's `size` elements as the last dim."""
    dim = normalize_dim(attrs["dimension"], x.ndim)
    size, step = attrs["size"], attrs["step"]
    largest = x.shape[dim] if x.ndim else 1
    if size > largest:
        raise ShapeMismatch(
            f"maximum size for tensor at dimension {dim} is {largest} but size is {size}"
        )
    if size < 0:
        raise ShapeMismatch(f"size is {size} but must be >= 0")
    if step <= 0:
        raise ShapeMismatch(f"step is {step} but must be > 0")
    if not x.ndim:
        return (size,), (1,)
    shape, strides = list(x.shape), list(x.strides)
    shape[dim] = (x.shape[dim] - size) // step + 1
    strides[dim] = step * x.strides[dim]
    return (*shape, size), (*strides, x.strides[dim])


def _unfold_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("unfold", operands, 1)
    x = _require_tensor("unfold", operands[0], 0)
    return _view_result(x, *unfold_layout(x, attrs))


_register_shaping(
    "unfold",
    "torch.Tensor.unfold",
    "The windows of `size` elements `step` apart along `dimension`, as a new last dim (a "
    "view). The gradient adds each window's back (overlaps sum).",
    _unfold_infer,
    "UnfoldBackward0",
    (
        Attr("dimension", "int", "The dim to slide along.", optional=False),
        Attr("size", "int", "The window's length.", optional=False),
        Attr("step", "int", "The distance between windows' starts.", optional=False),
    ),
    view=True,
)


def rot90_dims(k: int, dims: Sequence[int], ndim: int) -> tuple[int, int, int]:
    """torch.rot90's checks in its order; (k mod 4, dim0, dim1) wrapped."""
    if len(dims) != 2:
        raise ShapeMismatch(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if ndim < 2:
        raise ShapeMismatch(f"expected total dims >= 2, but got total dims = {ndim}")
    dim0, dim1 = normalize_dim(dims[0], ndim), normalize_dim(dims[1], ndim)
    if dim0 == dim1:
        raise ShapeMismatch(
            f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}"
        )
    return k % 4, dim0, dim1


def _rot90_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch's rot90: a contiguous clone for k = 0 mod 4, else flips, and for an odd k the
    two dims transposed (strides swapped)."""
    _check_operands("rot90", operands, 1)
    x = _require_tensor("rot90", operands[0], 0)
    k, dim0, dim1 = rot90_dims(attrs["k"], attrs["dims"], x.ndim)
    if k == 0:
        return meta(x.shape, x.dtype)
    shape, strides = list(x.shape), list(preserved_strides(x))
    if k % 2:
        shape[dim0], shape[dim1] = shape[dim1], shape[dim0]
        strides[dim0], strides[dim1] = strides[dim1], strides[dim0]
    return TensorMeta(tuple(shape), x.dtype, tuple(strides))


_register(
    OpSpec(
        "rot90",
        "torch.rot90",
        "self rotated k times by 90° in the plane of `dims`, from the first towards the "
        "second (as torch: flips and a transpose, its strides). The gradient is the incoming "
        "one rotated back.",
        ("self",),
        (True,),
        _rot90_infer,
        _named("Rot90Backward0"),
        _nothing,
        (
            Attr("k", "int", "The number of quarter turns (default 1).", 1),
            Attr("dims", "ints", "The plane's two dims (default [0, 1]).", (0, 1)),
        ),
        computes_in=_in_own_dtype,
    )
)


# ---- trace, diag_embed, diagonal_copy, linalg_cross, block_diag: torch's own nodes


def _trace_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("trace", operands, 1)
    x = _require_tensor("trace", operands[0], 0)
    if x.ndim != 2:
        raise ShapeMismatch(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
    if x.dtype == "bool":
        raise Unsupported("\"trace\" not implemented for 'Bool'")
    return meta((), x.dtype if is_float(x.dtype) else "int64")


def _diag_embed_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("diag_embed", operands, 1)
    x = _require_tensor("diag_embed", operands[0], 0)
    dim1, dim2 = diagonal_dims(attrs, x.ndim + 1)
    size = x.shape[-1] + abs(attrs["offset"])
    shape = list(x.shape[:-1])
    for dim in sorted((dim1, dim2)):
        shape.insert(dim, size)
    return meta(shape, x.dtype)


def _diagonal_copy_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    view = _diagonal_infer(operands, attrs)
    return meta(view.shape, view.dtype)


def _linalg_cross_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    a, b = _two_tensors("linalg_cross", operands)
    if a.ndim != b.ndim:
        raise ShapeMismatch("linalg.cross: inputs must have the same number of dimensions.")
    if a.dtype != b.dtype:
        raise DtypeMismatch(
            f"expected scalar type {TORCH_TYPE_NAME[a.dtype]} but found {TORCH_TYPE_NAME[b.dtype]}"
        )
    shape = broadcast_shapes(a.shape, b.shape)
    dim = normalize_dim(attrs["dim"], len(shape))
    if a.shape[dim] != 3 or b.shape[dim] != 3:
        raise ShapeMismatch(
            f"linalg.cross: inputs dimension {attrs['dim']} must have length 3. Got "
            f"{a.shape[dim]} and {b.shape[dim]}"
        )
    if a.dtype == "bool":
        raise Unsupported("\"cross\" not implemented for 'Bool'")
    return meta(shape, a.dtype)


def _block_diag_shape(tensors: Sequence[TensorMeta]) -> tuple[int, int]:
    """The (rows, columns) of torch.block_diag: 0-d inputs count as 1x1, 1-d ones as 1xn."""
    blocks = [
        (1, 1) if t.ndim == 0 else (1, t.shape[0]) if t.ndim == 1 else t.shape for t in tensors
    ]
    return sum(r for r, _ in blocks), sum(c for _, c in blocks)


def _block_diag_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    tensors = [_require_tensor("block_diag", t, i) for i, t in enumerate(operands)]
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise ShapeMismatch(
                "torch.block_diag: Input tensors must have 2 or fewer dimensions. Input "
                f"{i} has {t.ndim} dimensions"
            )
    return meta(_block_diag_shape(tensors), result_type(tensors))


_DIAGONAL_ATTRS = (
    Attr("offset", "int", "0 the main diagonal, > 0 above it, < 0 below it.", 0),
    Attr("dim1", "int", "The dim of the diagonal's rows (default 0).", 0),
    Attr("dim2", "int", "The dim of its columns (default 1).", 1),
)
_register(
    OpSpec(
        "trace",
        "torch.trace",
        "The sum of a matrix's main diagonal, in self's dtype (no bool). The gradient is the "
        "incoming one on the diagonal, 0 elsewhere.",
        ("self",),
        (True,),
        _trace_infer,
        _named("TraceBackward0"),
        _nothing,
        computes_in=_in_own_dtype,
    )
)
_register(
    OpSpec(
        "diag_embed",
        "torch.diag_embed",
        "A tensor whose `offset`-th diagonals in dims `dim1` and `dim2` hold self's last dim, "
        "0 elsewhere. The gradient is the incoming one's diagonal.",
        ("self",),
        (True,),
        _diag_embed_infer,
        _named("DiagEmbedBackward0"),
        _nothing,
        (
            Attr("offset", "int", "0 the main diagonal, > 0 above it, < 0 below it.", 0),
            Attr("dim1", "int", "The dim of the diagonals' rows (default -2).", -2),
            Attr("dim2", "int", "The dim of their columns (default -1).", -1),
        ),
        computes_in=_in_own_dtype,
    )
)
_register(
    OpSpec(
        "diagonal_copy",
        "torch.diagonal_copy",
        "torch.diagonal as a contiguous copy (torch.diag of a matrix). The gradient is the "
        "incoming one on that diagonal, 0 elsewhere.",
        ("self",),
        (True,),
        _diagonal_copy_infer,
        _named("DiagonalBackward0_copy"),
        _nothing,
        _DIAGONAL_ATTRS,
        computes_in=_in_own_dtype,
    )
)
_register(
    OpSpec(
        "linalg_cross",
        "torch.linalg.cross",
        "The cross product of 3-vectors along `dim`, broadcasting; both inputs of one dtype "
        "(no bool). The gradient: other × g for self, g × self for other.",
        ("self", "other"),
        (True, True),
        _linalg_cross_infer,
        _named("LinalgCrossBackward0"),
        lambda needs, attrs: ("self", "other"),
        (Attr("dim", "int", "The dim of length 3 (default -1).", -1),),
    )
)
_register(
    OpSpec(
        "block_diag",
        "torch.block_diag",
        "The inputs (0-d as 1x1, 1-d as one row) along the diagonal of a matrix, 0 elsewhere, "
        "in the promoted dtype. Each gets its block of the gradient.",
        ("tensors",),
        (True,),
        _block_diag_infer,
        _named("BlockDiagBackward0"),
        _nothing,
        variadic=True,
    )
)


# ---- reflection_pad{1,2,3}d and replication_pad{1,2,3}d (F.pad's 'reflect' and 'replicate')

_SPATIAL = ("W", "H", "D")  # the padded dims' names, pad's order: the last dim first


def _index_pad_infer(name: str, dims: int, reflect: bool):
    """torch's checks for reflection_pad{dims}d / replication_pad{dims}d, in torch's order:
    the padding's length, a (dims+1)-D or batched (dims+2)-D input with no empty dim but the
    batch, a reflection's padding below its dim's size, an output that is not empty in every
    padded dim, then the dtype (no bool)."""

    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 1)
        x = _require_tensor(name, operands[0], 0)
        pad = attrs["padding"]
        if len(pad) != 2 * dims:
            got = f", but got: {len(pad)}" if reflect else ""
            raise ShapeMismatch(f"padding size is expected to be {2 * dims}{got}")
        checked = x.shape[1:] if x.ndim == dims + 2 else x.shape
        if x.ndim not in (dims + 1, dims + 2) or 0 in checked:
            raise ShapeMismatch(
                f"Expected {dims + 1}D or {dims + 2}D (batch mode) tensor with possibly 0 batch "
                f"size and other non-zero dimensions for input, but got: {_sizes_text(x.shape)}"
            )
        sizes = [x.shape[x.ndim - 1 - j] for j in range(dims)]  # W, H, D
        out = [sizes[j] + pad[2 * j] + pad[2 * j + 1] for j in range(dims)]
        if reflect:
            for j in range(dims):
                if not (pad[2 * j] < sizes[j] and pad[2 * j + 1] < sizes[j]):
                    raise ShapeMismatch(
                        f"Argument #{4 + 2 * j}: Padding size should be less than the "
                        "corresponding input dimension, but got: padding "
                        f"({pad[2 * j]}, {pad[2 * j + 1]}) at dimension {x.ndim - 1 - j} of "
                        f"input {_sizes_text(x.shape)}"
                    )
        if all(o < 1 for o in out):
            named = list(reversed(range(dims)))  # D, H, W
            given = ", ".join(f"{_SPATIAL[j]}: {sizes[j]}" for j in named)
            if dims == 3:
                given = given.replace(", ", " ", 1)  # torch's "(D: 3 H: 4, W: 5)"
            if dims == 2 and not reflect:
                given += " "  # torch's "(H: 4, W: 5 )"
            made = " ".join(f"{_SPATIAL[j]}: {out[j]}" for j in named)
            raise ShapeMismatch(f"input ({given}) is too small. Calculated output {made}")
        shape = (*x.shape[: x.ndim - dims], *reversed(out))
        if any(o < 0 for o in out):
            if reflect and dims == 2:
                raise ShapeMismatch("numel: integer multiplication overflow")
            negative = next(o for o in shape if o < 0)
            raise ShapeMismatch(
                f"Trying to create tensor with negative dimension {negative}: {_sizes_text(shape)}"
            )
        if x.dtype == "bool":
            raise Unsupported(f"\"{name}\" not implemented for 'Bool'")
        return meta(shape, x.dtype)

    return infer


for _kind, _reflect in (("reflection", True), ("replication", False)):
    for _dims in (1, 2, 3):
        _register(
            OpSpec(
                f"{_kind}_pad{_dims}d",
                f"torch._C._nn.{_kind}_pad{_dims}d",
                f"F.pad(self, padding, '{'reflect' if _reflect else 'replicate'}') over the "
                f"last {_dims} dim(s) of a {_dims + 1}-D or batched {_dims + 2}-D input: output "
                f"i takes input i - before, "
                + (
                    "reflected at the edges (-j is j, size - 1 + j is size - 1 - j; "
                    "each padding below the dim's size)"
                    if _reflect
                    else "clamped to [0, size - 1] (the edge repeated)"
                )
                + "; a negative padding removes elements. The gradient sums the output "
                "gradient into the input elements each output took.",
                ("self",),
                (True,),
                _index_pad_infer(f"{_kind}_pad{_dims}d", _dims, _reflect),
                _named(f"{_kind.capitalize()}Pad{_dims}DBackward0"),
                _self,
                (
                    Attr(
                        "padding",
                        "ints",
                        f"{2 * _dims} counts, (before, after) pairs from the last dim backwards.",
                        optional=False,
                    ),
                ),
            )
        )


# ---- upsample_{nearest,nearest_exact}{1,2,3}d, upsample_{linear1d,bilinear2d,trilinear3d} and
# upsample_bicubic2d (F.interpolate's modes)


def upsample_scale_names(dims: int) -> tuple[str, ...]:
    """torch's names of the scale arguments of its {dims}-d upsampling ops."""
    return ("scales",) if dims == 1 else ("scales_d", "scales_h", "scales_w")[3 - dims :]


def upsample_scales(attrs: dict, dims: int) -> list[float | None]:
    """The op's scale attributes, the first spatial dim first (None: from the sizes)."""
    return [attrs[name] for name in upsample_scale_names(dims)]


def upsample_op_name(mode: str, dims: int) -> str:
    """torch's op for F.interpolate's `mode` over `dims` spatial dims."""
    if mode == "nearest-exact":
        return f"_upsample_nearest_exact{dims}d"
    return f"upsample_{mode}{dims}d"


def upsample_kernel_name(mode: str, output_size: Sequence[int]) -> str:
    """The CPU kernel torch dispatches to, which names its dtype error: for 'nearest',
    'nearest-exact' and 'bilinear' its channels-last one for a 2-d output of at most 128 rows
    plus columns, else (and for 'linear', 'trilinear', 'bicubic') the generic one."""
    family = "nearest" if mode.startswith("nearest") else mode
    if family in ("nearest", "bilinear") and sum(output_size) <= 128 and len(output_size) == 2:
        return f"upsample_{family}2d_channels_last"
    if family == "bicubic":
        return "compute_indices_weights_cubic"
    return f"compute_indices_weights_{'nearest' if family == 'nearest' else 'linear'}"


def _upsample_infer(name: str, dims: int, mode: str):
    """torch's checks for upsample_{mode}{dims}d in torch's order: a (dims+2)-D input, spatial
    input and output sizes above 0, a non-batch part with elements, then the dtype (floats)."""

    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 1)
        x = _require_tensor(name, operands[0], 0)
        out = attrs["output_size"]
        if len(out) != dims:
            raise ShapeMismatch(
                f"It is expected output_size equals to {dims}, but got size {len(out)}"
            )
        if x.ndim != dims + 2:
            raise ShapeMismatch(
                f"It is expected input_size equals to {dims + 2}, but got size {x.ndim}"
            )
        spatial = x.shape[2:]
        if any(s <= 0 for s in spatial) or any(o <= 0 for o in out):
            names = _SPATIAL[:dims][::-1]

            def sizes(values):
                text = ", ".join(f"{n}: {v}" for n, v in zip(names, values, strict=True))
                return f"({text})"

            joint = " and output " if dims == 1 else " output "
            raise ShapeMismatch(
                "Input and output sizes should be greater than 0, but got input "
                f"{sizes(spatial)}{joint}{sizes(out)}"
            )
        if prod(x.shape[1:]) == 0:
            raise ShapeMismatch(
                f"Non-empty {dims + 2}D data tensor expected but got a tensor with sizes "
                f"{_sizes_text(x.shape)}"
            )
        if not is_float(x.dtype):
            kernel = upsample_kernel_name(mode, out)
            raise Unsupported(f"\"{kernel}\" not implemented for '{TORCH_TYPE_NAME[x.dtype]}'")
        return meta((*x.shape[:2], *out), x.dtype)

    return infer


_UPSAMPLE_DOCS = {
    "nearest": "output i takes input min(floor(i * scale), size - 1), scale a float32 "
    "1 / scales or size / output_size (torch's nearest_idx; an output of the input's size or "
    "twice it takes i or i // 2; the generic kernel (1-d, 3-d, 2-d outputs over 128 rows "
    "plus columns) has no such shortcuts and float64 scales for float64). The gradient sums "
    "the output gradient into the input element each output took, by nearest_idx.",
    "linear": "each output blends its two neighbours at source index scale * (i + 0.5) - 0.5 "
    "clamped at 0 (align_corners: i * (size - 1) / (output_size - 1)), as fma(x0, w0, x1 "
    "* w1), torch's generic kernel. The gradient adds w * g into the two, fused.",
    "bilinear": "each output is the two-by-two neighbours' blend at source index "
    "scale * (i + 0.5) - 0.5 clamped at 0 (align_corners: i * (size - 1) / (output_size - "
    "1)), torch's area_pixel_compute_source_index; outputs of at most 128 rows plus columns "
    "sum the four products of the weights, larger ones blend rows of column blends, as "
    "torch's two CPU kernels. The gradient spreads each output gradient over the four.",
    "nearest-exact": "output i takes input min(floor((i + 0.5) * scale), size - 1), scale a "
    "float32 1 / scales or size / output_size (torch's nearest_exact_idx; the generic kernel "
    "(1-d, 3-d, 2-d outputs over 128 rows plus columns) takes floor(scale * i + 0.5), the "
    "scale in the input's dtype). The gradient sums the output gradient into the input element "
    "each output took, by nearest_exact_idx.",
    "trilinear": "each output blends its two-by-two-by-two neighbours at source index "
    "scale * (i + 0.5) - 0.5 clamped at 0 (align_corners: i * (size - 1) / (output_size - "
    "1)) per dim, as torch's generic kernel: column blends, then rows, then planes, fused. "
    "The gradient adds (weight product) * g into the eight, fused.",
    "bicubic": "each output is the cubic convolution (A = -0.75) of its four-by-four "
    "neighbours, indices clamped to the input, around source index scale * (i + 0.5) - 0.5 "
    "(not clamped; align_corners: i * (size - 1) / (output_size - 1)), as torch's generic "
    "kernel: four column sums of four products, summed over rows. The gradient adds "
    "g * row weight * column weight into the sixteen (clamped) neighbours.",
}

for _dims, _mode in (
    (1, "nearest"),
    (2, "nearest"),
    (3, "nearest"),
    (1, "nearest-exact"),
    (2, "nearest-exact"),
    (3, "nearest-exact"),
    (1, "linear"),
    (2, "bilinear"),
    (2, "bicubic"),
    (3, "trilinear"),
):
    _name = upsample_op_name(_mode, _dims)
    _attrs = [Attr("output_size", "ints", f"The {_dims} output sizes.", optional=False)]
    if not _mode.startswith("nearest"):
        _attrs.append(
            Attr("align_corners", "bool", "Align the corner pixels' centres.", optional=False)
        )
    _attrs += [
        Attr(scale, "float", "The scale factor given for this dim (absent: from the sizes).")
        for scale in upsample_scale_names(_dims)
    ]
    _register(
        OpSpec(
            _name,
            f"torch._C._nn.{_name}",
            f"F.interpolate(self, mode='{_mode}') of an (N, C, {_dims} spatial dims) input: "
            + _UPSAMPLE_DOCS[_mode],
            ("self",),
            (True,),
            _upsample_infer(_name, _dims, _mode),
            _named(f"Upsample{_mode.title().replace('-', '')}{_dims}DBackward0"),
            _nothing,
            tuple(_attrs),
        )
    )


# ---- pixel_shuffle and pixel_unshuffle


def _pixel_shuffle_infer(name: str, shuffle: bool):
    """torch's checks in its order: at least 3 dims, a positive factor, then the channels
    divisible by its square (shuffle) or the height, then the width, divisible by it."""
    factor_name = "upscale_factor" if shuffle else "downscale_factor"

    def infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
        _check_operands(name, operands, 1)
        x = _require_tensor(name, operands[0], 0)
        r = attrs[factor_name]
        if x.ndim < 3:
            raise ShapeMismatch(
                f"{name} expects input to have at least 3 dimensions, but got input with "
                f"{x.ndim} dimension(s)"
            )
        if r <= 0:
            raise ShapeMismatch(f"{name} expects a positive {factor_name}, but got {r}")
        *batch, c, h, w = x.shape
        if shuffle:
            if c % (r * r):
                raise ShapeMismatch(
                    "pixel_shuffle expects its input's 'channel' dimension to be divisible by "
                    f"the square of upscale_factor, but input.size(-3)={c} is not divisible "
                    f"by {r * r}"
                )
            return meta((*batch, c // (r * r), h * r, w * r), x.dtype)
        for dim, size, what in ((-2, h, "height"), (-1, w, "width")):
            if size % r:
                raise ShapeMismatch(
                    f"pixel_unshuffle expects {what} to be divisible by downscale_factor, but "
                    f"input.size({dim})={size} is not divisible by {r}"
                )
        if 0 in x.shape:
            return meta(x.shape, x.dtype)  # torch's copy of an input without elements
        return meta((*batch, c * r * r, h // r, w // r), x.dtype)

    return infer


for _name, _shuffle in (("pixel_shuffle", True), ("pixel_unshuffle", False)):
    _factor = "upscale_factor" if _shuffle else "downscale_factor"
    _register(
        OpSpec(
            _name,
            f"torch.{_name}",
            (
                "(*, C r², H, W) to (*, C, H r, W r): output [c, h r + i, w r + j] is input "
                "[c r² + i r + j, h, w]. The gradient is pixel_unshuffle of the output's."
                if _shuffle
                else "(*, C, H r, W r) to (*, C r², H, W), pixel_shuffle's inverse. The "
                "gradient is pixel_shuffle of the output's."
            ),
            ("self",),
            (True,),
            _pixel_shuffle_infer(_name, _shuffle),
            _named(f"{_name.title().replace('_', '')}Backward0"),
            _nothing,
            (Attr(_factor, "int", "r, above 0.", optional=False),),
        )
    )


# ---- im2col and col2im (F.unfold and F.fold)


def _patch_params(name: str, attrs: dict, order: Sequence[str]) -> dict:
    """im2col's or col2im's two-int parameters, with torch's length and then value checks in
    `order` (which differs between the two)."""
    names = ("output_size",) * (name == "col2im") + ("kernel_size", "dilation", "padding", "stride")
    for key in names:
        if len(attrs[key]) != 2:
            raise ShapeMismatch(f"It is expected {key} equals to 2, but got size {len(attrs[key])}")
    checks = {
        "kernel_size": (lambda v: v > 0, "kernel size should be greater than zero", "kernel"),
        "dilation": (lambda v: v > 0, "dilation should be greater than zero", "dilation"),
        "padding": (lambda v: v >= 0, "padding should be non-negative", "pad"),
        "stride": (lambda v: v > 0, "stride should be greater than zero", "stride"),
    }
    for key in order:
        valid, words, short = checks[key]
        h, w = attrs[key]
        if not (valid(h) and valid(w)):
            raise ShapeMismatch(f"{words}, but got {short}_height: {h} {short}_width: {w}")
    return {key: tuple(attrs[key]) for key in names}


def patch_blocks(size: int, kernel: int, dilation: int, padding: int, stride: int) -> int:
    """The number of sliding blocks along a dim: floor((size + 2p - d (k - 1) - 1) / s) + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _im2col_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch's im2col checks in its order: the parameters' lengths, kernel, dilation, padding
    and stride values, a (C, H, W) or (N, C, H, W) input with elements but in the batch, at
    least one block each way, then the dtype (no int64)."""
    _check_operands("im2col", operands, 1)
    x = _require_tensor("im2col", operands[0], 0)
    p = _patch_params("im2col", attrs, ("kernel_size", "dilation", "padding", "stride"))
    if 0 < x.ndim < 3:  # torch reads sizes 1 and 2 before its rank check
        raise DimensionOutOfRange(
            f"Dimension out of range (expected to be in range of [{-x.ndim}, {x.ndim - 1}], "
            f"but got {x.ndim})"
        )
    if not (
        (x.ndim == 3 and x.shape[0] and x.shape[1] and x.shape[2])
        or (x.ndim == 4 and x.shape[1] and x.shape[2] and x.shape[3])
    ):
        raise ShapeMismatch(
            "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other "
            f"non-zero dimensions for input, but got: {_sizes_text(x.shape)}"
        )
    h, w = x.shape[-2:]
    k, d, pad, s = p["kernel_size"], p["dilation"], p["padding"], p["stride"]
    blocks = [patch_blocks((h, w)[i], k[i], d[i], pad[i], s[i]) for i in range(2)]
    if blocks[0] < 1 or blocks[1] < 1:
        raise ShapeMismatch(
            f"Given input with spatial size ({h}, {w}), kernel_size=({k[0]}, {k[1]}), "
            f"dilation=({d[0]}, {d[1]}), padding=({pad[0]}, {pad[1]}), calculated shape of "
            f"the array of sliding blocks as ({blocks[0]}, {blocks[1]}), but its components "
            "must be at least one."
        )
    if is_integer(x.dtype):
        raise Unsupported(f"\"im2col_out_cpu\" not implemented for '{TORCH_TYPE_NAME[x.dtype]}'")
    c = x.shape[-3]
    return meta((*x.shape[:-3], c * k[0] * k[1], blocks[0] * blocks[1]), x.dtype)


def _col2im_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    """torch's col2im checks in its order: the parameters' lengths, kernel, stride, dilation
    and padding values, a (C k², L) or (N, C k², L) input with elements but in the batch, its
    rows divisible by the kernel's size, L the number of blocks, then the dtype (no int64)."""
    _check_operands("col2im", operands, 1)
    x = _require_tensor("col2im", operands[0], 0)
    p = _patch_params("col2im", attrs, ("kernel_size", "stride", "dilation", "padding"))
    if not (
        (x.ndim == 2 and x.shape[0] and x.shape[1]) or (x.ndim == 3 and x.shape[1] and x.shape[2])
    ):
        raise ShapeMismatch(
            "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
            f"non-zero dimensions for input, but got: {_sizes_text(x.shape)}"
        )
    out, k, d = p["output_size"], p["kernel_size"], p["dilation"]
    pad, s = p["padding"], p["stride"]
    batch_dim = 0 if x.ndim == 3 else -1
    rows, length = x.shape[batch_dim + 1], x.shape[batch_dim + 2]
    if rows % (k[0] * k[1]):
        raise ShapeMismatch(
            "Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={rows} and "
            f"kernel_size=({k[0]}, {k[1]})."
        )
    blocks = [patch_blocks(out[i], k[i], d[i], pad[i], s[i]) for i in range(2)]
    if length != blocks[0] * blocks[1]:
        raise ShapeMismatch(
            f"Given output_size=({out[0]}, {out[1]}), kernel_size=({k[0]}, {k[1]}), "
            f"dilation=({d[0]}, {d[1]}), padding=({pad[0]}, {pad[1]}), stride=({s[0]}, "
            f"{s[1]}), expected size of input's dimension 2 to match the calculated number "
            f"of sliding blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got "
            f"input.size(2)={length}."
        )
    if is_integer(x.dtype):
        raise Unsupported(f"\"col2im_out_cpu\" not implemented for '{TORCH_TYPE_NAME[x.dtype]}'")
    return meta((*x.shape[:-2], rows // (k[0] * k[1]), *out), x.dtype)


_PATCH_ATTRS = (
    Attr("kernel_size", "ints", "(kH, kW).", optional=False),
    Attr("dilation", "ints", "(dH, dW), the kernel taps' spacing.", optional=False),
    Attr("padding", "ints", "(pH, pW) zeros on both sides.", optional=False),
    Attr("stride", "ints", "(sH, sW) between blocks.", optional=False),
)

_register(
    OpSpec(
        "im2col",
        "torch._C._nn.im2col",
        "F.unfold: the sliding kH x kW blocks of a (C, H, W) or (N, C, H, W) input as "
        "columns, (*, C kH kW, L): row (c, i, j), column (bh, bw) is input [c, bh sH - pH + "
        "i dH, bw sW - pW + j dW], 0 in the padding. The gradient is col2im of the output's.",
        ("self",),
        (True,),
        _im2col_infer,
        _named("Im2ColBackward0"),
        _nothing,
        _PATCH_ATTRS,
    )
)
_register(
    OpSpec(
        "col2im",
        "torch._C._nn.col2im",
        "F.fold: im2col's adjoint, (*, C kH kW, L) columns summed into a (*, C, oH, oW) "
        "output at the elements im2col would read them from, in im2col's order. The "
        "gradient is im2col of the output's.",
        ("self",),
        (True,),
        _col2im_infer,
        _named("Col2ImBackward0"),
        _nothing,
        (Attr("output_size", "ints", "(oH, oW).", optional=False), *_PATCH_ATTRS),
    )
)


# ---- adaptive_avg_pool2d


def require_nonempty_dims(function: str, shape: Sequence[int], dims: Sequence[int]) -> None:
    """The adaptive poolings' check that `dims` of the input (its non-batch dims) have
    elements, with torch's message."""
    for dim in dims:
        if shape[dim] == 0:
            raise ShapeMismatch(
                f"{function}(): Expected input to have non-zero size for non-batch dimensions, "
                f"but input has sizes {_sizes_text(shape)} with dimension {dim} being empty"
            )


def _adaptive_avg_pool_infer(
    operands: Sequence[Operand], attrs: dict, spatial: int = 2
) -> TensorMeta:
    """torch's checks in torch's order for adaptive_avg_pool2d/3d (`spatial` dims): that many
    output sizes, none negative (the checks of adaptive_avg_pool2d/3d, which call this op for
    any output but all ones), an input of that many dims plus one or two with a non-empty
    plane (3-d: non-empty but for its batch), then the dtype (floats only)."""
    name = f"adaptive_avg_pool{spatial}d"
    _check_operands(name, operands, 1)
    x = _require_tensor(name, operands[0], 0)
    size = attrs["output_size"]
    if len(size) != spatial:
        raise ShapeMismatch(f"{name}: output_size must be {spatial}")
    if min(size) < 0:
        received = ", ".join(map(str, size[:2])) + "".join(f",{s}" for s in size[2:])
        raise ShapeMismatch(
            f"{name}: elements of output_size must be greater than or equal to 0 "
            f"but received {{{received}}}"
        )
    if x.ndim not in (spatial + 1, spatial + 2):
        raise ShapeMismatch(
            f"{name}(): Expected {spatial + 1}D or {spatial + 2}D tensor, but got "
            f"{_sizes_text(x.shape)}"
        )
    require_nonempty_dims(name, x.shape, range(1 if spatial == 3 else x.ndim - 2, x.ndim))
    if not is_float(x.dtype):
        kernel = name if spatial == 2 else f"{name}_cpu"
        raise Unsupported(f"\"{kernel}\" not implemented for '{TORCH_TYPE_NAME[x.dtype]}'")
    return meta((*x.shape[:-spatial], *size), x.dtype)


_register(
    OpSpec(
        "adaptive_avg_pool2d",
        "torch._C._nn.adaptive_avg_pool2d",
        "The mean of each of output_size[0] x output_size[1] windows of a (C, H, W) or (N, C, "
        "H, W) input: window i spans rows [floor(i H / oH), ceil((i + 1) H / oH)), likewise "
        "for columns; summed in the input's dtype, divided by the window's height, then its "
        "width. The gradient spreads each output's over its window. (torch's "
        "adaptive_avg_pool2d computes a 1x1 output as mean(-1, -2, keepdim=True) instead, "
        "which the client does.)",
        ("self",),
        (True,),
        _adaptive_avg_pool_infer,
        _named("AdaptiveAvgPool2DBackward0"),
        _self,
        (Attr("output_size", "ints", "(oH, oW).", optional=False),),
    )
)


# ---- adaptive_max_pool2d


def _adaptive_max_pool_infer(
    operands: Sequence[Operand], attrs: dict, op: str = "adaptive_max_pool2d"
) -> TensorMeta:
    """torch's checks in torch's order for adaptive_max_pool2d/3d (and their indices): an
    input of the spatial dims plus one or two, non-empty but for its batch, as many output
    sizes, the output's allocation (no negative size), then the dtype (floats only)."""
    spatial = 3 if "3d" in op else 2
    name = f"adaptive_max_pool{spatial}d"
    _check_operands(op, operands, 1)
    x = _require_tensor(op, operands[0], 0)
    if x.ndim not in (spatial + 1, spatial + 2):
        raise ShapeMismatch(
            f"{name}(): Expected {spatial + 1}D or {spatial + 2}D tensor, but got: "
            f"{_sizes_text(x.shape)}"
        )
    require_nonempty_dims(name, x.shape, range(1, x.ndim))
    size = attrs["output_size"]
    if len(size) != spatial:
        raise ShapeMismatch(f"{name}(): internal error: output_size.size() must be {spatial}")
    shape = (*x.shape[:-spatial], *size)
    negative = next((s for s in size if s < 0), None)
    if negative is not None:
        raise ShapeMismatch(
            f"Trying to create tensor with negative dimension {negative}: {_sizes_text(shape)}"
        )
    if not is_float(x.dtype):
        kernel = name if spatial == 2 else f"{name}_cpu"
        raise Unsupported(f"\"{kernel}\" not implemented for '{TORCH_TYPE_NAME[x.dtype]}'")
    return meta(shape, "int64" if op.endswith("_indices") else x.dtype)


_register(
    OpSpec(
        "adaptive_max_pool2d",
        "torch._C._nn.adaptive_max_pool2d",
        "The largest element of each of output_size[0] x output_size[1] windows of a (C, H, "
        "W) or (N, C, H, W) input, windows as adaptive_avg_pool2d's (nan wins, the last nan; "
        "the first of ties). The gradient goes to the element chosen, summed where windows "
        "overlap; the backward refuses an empty output plane, as torch's.",
        ("self",),
        (True,),
        _adaptive_max_pool_infer,
        _named("AdaptiveMaxPool2DBackward0"),
        _self,
        (Attr("output_size", "ints", "(oH, oW).", optional=False),),
    )
)
_register(
    OpSpec(
        "adaptive_max_pool2d_indices",
        "torch._C._nn.adaptive_max_pool2d",
        "The int64 indices adaptive_max_pool2d returns beside its values: the position of each "
        "window's chosen element within its (H, W) plane, h·W + w. Not differentiable.",
        ("self",),
        (False,),
        lambda operands, attrs: _adaptive_max_pool_infer(
            operands, attrs, "adaptive_max_pool2d_indices"
        ),
        _named(""),
        _nothing,
        SPECS["adaptive_max_pool2d"].attrs,
        computes_in=lambda operands, out: operands[0].dtype,
    )
)

_register(
    OpSpec(
        "adaptive_avg_pool3d",
        "torch._C._nn.adaptive_avg_pool3d",
        "adaptive_avg_pool2d over the last three dims of a (C, D, H, W) or (N, C, D, H, W) "
        "input: the mean of each of oD x oH x oW windows, summed in the input's dtype, divided "
        "by the window's depth, height, then width. (torch's adaptive_avg_pool3d computes a "
        "1x1x1 output as mean(-1, -2, -3, keepdim=True) instead, which the client does.)",
        ("self",),
        (True,),
        lambda operands, attrs: _adaptive_avg_pool_infer(operands, attrs, 3),
        _named("AdaptiveAvgPool3DBackward0"),
        _self,
        (Attr("output_size", "ints", "(oD, oH, oW).", optional=False),),
    )
)
_register(
    OpSpec(
        "adaptive_max_pool3d",
        "torch._C._nn.adaptive_max_pool3d",
        "adaptive_max_pool2d over the last three dims of a (C, D, H, W) or (N, C, D, H, W) "
        "input: the largest element of each of oD x oH x oW windows (nan wins, the last nan; "
        "the first of ties); the gradient goes to the element chosen.",
        ("self",),
        (True,),
        lambda operands, attrs: _adaptive_max_pool_infer(operands, attrs, "adaptive_max_pool3d"),
        _named("AdaptiveMaxPool3DBackward0"),
        _self,
        (Attr("output_size", "ints", "(oD, oH, oW).", optional=False),),
    )
)
_register(
    OpSpec(
        "adaptive_max_pool3d_indices",
        "torch._C._nn.adaptive_max_pool3d",
        "The int64 indices adaptive_max_pool3d returns beside its values: the position of each "
        "window's chosen element within its (D, H, W) volume, (d·H + h)·W + w. Not "
        "differentiable.",
        ("self",),
        (False,),
        lambda operands, attrs: _adaptive_max_pool_infer(
            operands, attrs, "adaptive_max_pool3d_indices"
        ),
        _named(""),
        _nothing,
        SPECS["adaptive_max_pool3d"].attrs,
        computes_in=lambda operands, out: operands[0].dtype,
    )
)

# ---- fractional_max_pool2d and fractional_max_pool3d


def _fractional_max_pool_infer(
    operands: Sequence[Operand], attrs: dict, op: str = "fractional_max_pool2d"
) -> TensorMeta:
    """torch's checks in torch's order for fractional_max_pool2d/3d (and their indices): the
    kernel's and the output's lengths, an input of the spatial dims plus one or two, non-empty
    but for its batch, each pool fitting beside its output (output + pool - 1 <= input, and <
    for 3-d, as torch's 3-d check is strict), the
    output's allocation (no negative size), then the random samples (the input's dtype, 3-D,
    at least the batch's rows, the channels, one per spatial dim) and the dtype (floats only)."""
    spatial = 3 if "3d" in op else 2
    name = f"fractional_max_pool{spatial}d"
    where = name if spatial == 2 else "fractional_max_pool3d_out"
    _check_operands(op, operands, 2)
    x = _require_tensor(op, operands[0], 0)
    samples = _require_tensor(op, operands[1], 1)
    kernel, size = attrs["kernel_size"], attrs["output_size"]
    ints = "Ints" if spatial == 2 else "three Ints"
    for value, what in ((kernel, "kernel_size"), (size, "output_size")):
        if len(value) != spatial:
            raise ShapeMismatch(f"{name}: {what} must either be a single Int or tuple of {ints}")
    if x.ndim not in (spatial + 1, spatial + 2):
        raise ShapeMismatch(
            f"{where}(): Expected {spatial + 1}D or {spatial + 2}D tensor, but got: "
            f"{_sizes_text(x.shape)}"
        )
    for dim in range(1, x.ndim):
        if x.shape[dim] == 0:
            raise ShapeMismatch(
                f"{where}(): Expected input to have non-zero size for non-batch dimensions, but "
                f"got{_sizes_text(x.shape)} with dimension {dim} being empty."
            )
    dims = ("height", "width") if spatial == 2 else ("time", "height", "width")
    for out, pool, extent, dim in zip(size, kernel, x.shape[-spatial:], dims, strict=True):
        if out + pool - 1 > extent or (spatial == 3 and out + pool - 1 == extent):
            raise ShapeMismatch(
                f"{where}(): pool {dim} {pool} too large relative to input {dim} {extent}"
            )
    shape = (*x.shape[:-spatial], *size)
    negative = next((s for s in size if s < 0), None)
    if negative is not None:
        raise ShapeMismatch(
            f"Trying to create tensor with negative dimension {negative}: {_sizes_text(shape)}"
        )
    if samples.dtype != x.dtype:
        raise DtypeMismatch("Expect _random_samples to have the same dtype as input")
    if samples.ndim != 3:
        raise ShapeMismatch(f"Expect _random_samples to have 3 dimensions, got {samples.ndim}")
    batch = x.shape[0] if x.ndim == spatial + 2 else 1
    if samples.shape[0] < batch:
        raise ShapeMismatch("Expect _random_samples.size(0) no less then input batch size.")
    if samples.shape[1] != x.shape[-spatial - 1]:
        raise ShapeMismatch("Expect _random_samples.size(1) equals to input channel size.")
    if samples.shape[2] != spatial:
        raise ShapeMismatch(
            f"Expect _random_samples.size(2) equals to {spatial}; got {samples.shape[2]}."
        )
    if not is_float(x.dtype):
        raise Unsupported(f"\"{name}_out_frame\" not implemented for '{TORCH_TYPE_NAME[x.dtype]}'")
    return meta(shape, "int64" if op.endswith("_indices") else x.dtype)


for _fmp_spatial, _fmp_sizes, _fmp_window, _fmp_index in (
    (2, "(oH, oW)", "kH x kW", "h·W + w in its (H, W) plane"),
    (3, "(oT, oH, oW)", "kT x kH x kW", "(t·H + h)·W + w in its (T, H, W) volume"),
):
    _name = f"fractional_max_pool{_fmp_spatial}d"
    _register(
        OpSpec(
            _name,
            f"torch._C._nn.{_name}",
            f"The largest element of {_fmp_window} windows of a (C, ...) or (N, C, ...) input, at "
            "the starts torch's generate_intervals draws from each plane's random samples (in "
            "the input's dtype: α = (size - pool) / (output - 1), start i = int((i + u) α) - "
            "int(u α), the last size - pool; samples[n, c] for plane (n, c), sample 0 for the "
            + ("width, 1 the height" if _fmp_spatial == 2 else "time, 1 the height, 2 the width")
            + "); nan wins, the last nan; the first of ties. The gradient goes to the element "
            "chosen, summed where windows overlap; the samples get none (one that requires grad "
            "while recording is NOT_DIFFERENTIABLE).",
            ("self", "random_samples"),
            (True, False),
            lambda operands, attrs, _op=_name: _fractional_max_pool_infer(operands, attrs, _op),
            _named(f"FractionalMaxPool{_fmp_spatial}DBackward0"),
            lambda needs, attrs: ("self", "random_samples"),
            (
                Attr("kernel_size", "ints", f"The window, {_fmp_window}.", optional=False),
                Attr("output_size", "ints", f"{_fmp_sizes}.", optional=False),
            ),
            refuses_grad_as=_name,
        )
    )
    _register(
        OpSpec(
            f"{_name}_indices",
            f"torch._C._nn.{_name}",
            f"The int64 indices {_name} returns beside its values: the position of each "
            f"window's chosen element, {_fmp_index}. Not differentiable.",
            ("self", "random_samples"),
            (False, False),
            lambda operands, attrs, _op=f"{_name}_indices": _fractional_max_pool_infer(
                operands, attrs, _op
            ),
            _named(""),
            _nothing,
            SPECS[_name].attrs,
            computes_in=lambda operands, out: operands[0].dtype,
        )
    )

# ---- max_pool2d and avg_pool2d


def _trunc_div(a: int, b: int) -> int:
    """C++'s integer division, which truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def pooling_output_size(
    size: int, kernel: int, pad: int, stride: int, dilation: int, ceil_mode: bool
) -> int:
    """torch's pooling_output_shape, with its checks."""
    if stride == 0:
        raise ComputeError("stride should not be zero")
    if pad < 0:
        raise ComputeError(f"pad must be non-negative, but got pad: {pad}")
    if pad > _trunc_div((kernel - 1) * dilation + 1, 2):
        raise ComputeError(
            f"pad should be at most half of effective kernel size, but got pad={pad}, "
            f"kernel_size={kernel} and dilation={dilation}"
        )
    out = (size + 2 * pad - dilation * (kernel - 1) - 1 + (stride - 1 if ceil_mode else 0)) // (
        stride
    ) + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def pool_params(name: str, attrs: dict) -> tuple[tuple[int, ...], ...]:
    """The kernel, stride, padding and dilation (one per spatial dim, two or three) as torch's
    max_pool2d/3d and avg_pool2d/3d read their lists (an empty stride is the kernel size; no
    dilation list is 1), with their errors."""
    dims = 3 if name.endswith("3d") else 2
    count = ("two", "three")[dims - 2]
    either = "" if name == "avg_pool3d" else "either "

    def each(values: Sequence[int]) -> tuple[int, ...]:
        return tuple(values) if len(values) == dims else (values[0],) * dims

    kernel, stride, padding = attrs["kernel_size"], attrs["stride"], attrs["padding"]
    if len(kernel) not in (1, dims):
        raise ShapeMismatch(
            f"{name}: kernel_size must {either}be a single int, or a tuple of {count} ints"
        )
    if len(stride) not in (0, 1, dims):
        raise ShapeMismatch(
            f"{name}: stride must {either}be omitted, a single int, or a tuple of {count} ints"
        )
    if len(padding) not in (1, dims):
        raise ShapeMismatch(
            f"{name}: padding must {either}be a single int, or a tuple of {count} ints"
        )
    dilation = attrs.get("dilation", (1,))
    if len(dilation) not in (1, dims):
        raise ShapeMismatch(
            f"{name}: dilation must be either a single int, or a tuple of {count} ints"
        )
    return each(kernel), each(stride or kernel), each(padding), each(dilation)


def _pool2d_infer(name: str, x: TensorMeta, attrs: dict) -> TensorMeta:
    """The rest of torch's checks, in its order: the output sizes, pool2d_shape_check, then
    the dtype its kernel dispatches on."""
    (kh, kw), (dh, dw), (ph, pw), (lh, lw) = pool_params(name, attrs)
    planes = x.shape[x.ndim - 3]
    height, width = x.shape[-2], x.shape[-1]
    ceil = attrs["ceil_mode"]
    out_h = pooling_output_size(height, kh, ph, dh, lh, ceil)
    out_w = pooling_output_size(width, kw, pw, dw, lw, ceil)
    if kh <= 0 or kw <= 0:
        raise ComputeError(f"kernel size should be greater than zero, but got kH: {kh} kW: {kw}")
    if dh <= 0 or dw <= 0:
        raise ComputeError(f"stride should be greater than zero, but got dH: {dh} dW: {dw}")
    if lh <= 0 or lw <= 0:
        raise ComputeError(
            f"dilation should be greater than zero, but got dilationH: {lh} dilationW: {lw}"
        )
    valid = x.shape[1] != 0 and x.shape[2] != 0
    if not ((x.ndim == 3 and x.shape[0] != 0 and valid) or (x.ndim == 4 and valid and x.shape[3])):
        raise ShapeMismatch(
            "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
            f"but got:{_sizes_text(x.shape)}"
        )
    if _trunc_div(kw, 2) < pw or _trunc_div(kh, 2) < ph:
        raise ComputeError(
            "pad should be smaller than or equal to half of kernel size, but got "
            f"padW = {pw}, padH = {ph}, kW = {kw}, kH = {kh}"
        )
    if out_w < 1 or out_h < 1:
        raise ShapeMismatch(
            f"Given input size: ({planes}x{height}x{width}). Calculated output size: "
            f"({planes}x{out_h}x{out_w}). Output size is too small"
        )
    if x.dtype == "bool" or (name == "avg_pool2d" and x.dtype in SMALL_INTEGER_DTYPES):
        raise Unsupported(f"\"{name}\" not implemented for '{TORCH_TYPE_NAME[x.dtype]}'")
    return meta((*x.shape[:-2], out_h, out_w), x.dtype)


def _max_pool2d_infer(operands: Sequence[Operand], attrs: dict, op: str = "max_pool2d"):
    _check_operands(op, operands, 1)
    x = _require_tensor(op, operands[0], 0)
    pool_params("max_pool2d", attrs)
    if x.ndim not in (3, 4):
        raise ShapeMismatch("non-empty 3D or 4D (batch mode) tensor expected for input")
    out = _pool2d_infer("max_pool2d", x, attrs)
    return out if op == "max_pool2d" else meta(out.shape, "int64")


def _avg_pool2d_infer(operands: Sequence[Operand], attrs: dict) -> TensorMeta:
    _check_operands("avg_pool2d", operands, 1)
    x = _require_tensor("avg_pool2d", operands[0], 0)
    pool_params("avg_pool2d", attrs)
    if attrs["divisor_override"] is not None and attrs["divisor_override"] == 0:
        raise ComputeError("divisor must be not zero")
    size_dim(-3, x.ndim)
    return _pool2d_infer("avg_pool2d", x, attrs)


_POOL_ATTRS = (
    Attr("kernel_size", "ints", "(kH, kW), or one for both.", optional=False),
    Attr("stride", "ints", "(dH, dW), one for both, or none: the kernel size.", ()),
    Attr("padding", "ints", "Implicit padding on both sides, (padH, padW) or one.", (0,)),
)
_register(
    OpSpec(
        "max_pool2d",
        "torch.nn.functional.max_pool2d",
        "The largest element of each (dilated) window of the last two dims of a (C, H, W) or "
        "(N, C, H, W) input, padded with -inf (torch's max_pool2d_with_indices; nan counts as "
        "the largest, the last one in the window). The gradient goes to the element chosen "
        "(the first of ties), summed where windows overlap. torch's checks in its order.",
        ("self",),
        (True,),
        _max_pool2d_infer,
        _named("MaxPool2DWithIndicesBackward0"),
        _self,
        (
            *_POOL_ATTRS,
            Attr("dilation", "ints", "Spacing of a window's elements, (dH, dW) or one.", (1,)),
            Attr("ceil_mode", "bool", "Round the output size up (windows may overhang).", False),
        ),
    )
)
_register(
    OpSpec(
        "max_pool2d_indices",
        "torch.nn.functional.max_pool2d",
        "The int64 indices that max_pool2d's return_indices gives: the position of each "
        "window's chosen element within its (H, W) plane, h·W + w. Not differentiable.",
        ("self",),
        (False,),
        lambda operands, attrs: _max_pool2d_infer(operands, attrs, "max_pool2d_indices"),
        _named(""),
        _nothing,
        SPECS["max_pool2d"].attrs,
        computes_in=lambda operands, out: operands[0].dtype,
    )
)
_register(
    OpSpec(
        "avg_pool2d",
        "torch.nn.functional.avg_pool2d",
        "The mean of each window of the last two dims of a (C, H, W) or (N, C, H, W) input, "
        "summed in the input's dtype in the window's order and divided by divisor_override, "
        "else the window's size counting the padding (count_include_pad) or not; an int64 "
        "input divides truncating, as torch. Each gradient element is the output gradient "
        "divided the same way, added to the window's elements. torch's checks in its order.",
        ("self",),
        (True,),
        _avg_pool2d_infer,
        _named("AvgPool2DBackward0"),
        _self,
        (
            *_POOL_ATTRS,
            Attr("ceil_mode", "bool", "Round the output size up (windows may overhang).", False),
            Attr("count_include_pad", "bool", "Count the padding in a window's size.", True),
            Attr(
                "divisor_override", "int", "Divide every sum by this (absent: none; 0 is refused)."
            ),
        ),
    )
)


# ---- max_pool3d and avg_pool3d


def _pool3d_infer(name: str, operands: Sequence[Operand], attrs: dict, op: str) -> TensorMeta:
    """torch's checks for max_pool3d and avg_pool3d in its order: the lists' lengths, the
    rank, a zero divisor, the output sizes, then pool3d_shape_check's (kernel, stride,
    dilation, empty non-batch dims, avg_pool3d's input at least the kernel, the padding, the
    output size), then the dtype its kernel dispatches on."""
    _check_operands(op, operands, 1)
    x = _require_tensor(op, operands[0], 0)
    (kt, kh, kw), (dt, dh, dw), (pt, ph, pw), (lt, lh, lw) = pool_params(name, attrs)
    if x.ndim not in (4, 5):
        raise ShapeMismatch("non-empty 4D or 5D (batch mode) tensor expected for input")
    if attrs.get("divisor_override") == 0:
        raise ComputeError("divisor must be not zero")
    ceil = attrs["ceil_mode"]
    planes, (time, height, width) = x.shape[-4], x.shape[-3:]
    out_t = pooling_output_size(time, kt, pt, dt, lt, ceil)
    out_h = pooling_output_size(height, kh, ph, dh, lh, ceil)
    out_w = pooling_output_size(width, kw, pw, dw, lw, ceil)
    if min(kt, kh, kw) <= 0:
        raise ComputeError(
            f"kernel size should be greater than zero, but got kT: {kt} kH: {kh} kW: {kw}"
        )
    if min(dt, dh, dw) <= 0:
        raise ComputeError(
            f"stride should be greater than zero, but got dT: {dt} dH: {dh} dW: {dw}"
        )
    if min(lt, lh, lw) <= 0:
        raise ComputeError(
            "dilation should be greater than zero, but got "
            f"dilationT: {lt} dilationH: {lh} dilationW: {lw}"
        )
    function = (
        "avg_pool3d()" if name == "avg_pool3d" else "max_pool3d_with_indices_out_cpu_template()"
    )
    for size in x.shape[x.ndim - 4 :]:
        if size == 0:
            raise ShapeMismatch(
                f"{function}: Expected input's non-batch dimensions to have positive length, "
                f"but input has a shape of {_sizes_text(x.shape)} and non-batch dimension 0 "
                "has length zero!"
            )
    if name == "avg_pool3d" and (time < kt or height < kh or width < kw):
        raise ComputeError(
            f"input image (T: {time} H: {height} W: {width}) smaller than kernel size "
            f"(kT: {kt} kH: {kh} kW: {kw})"
        )
    if _trunc_div(kt, 2) < pt or _trunc_div(kw, 2) < pw or _trunc_div(kh, 2) < ph:
        raise ComputeError(
            "pad should be smaller than or equal to half of kernel size, but got "
            f"kT: {kt} kW: {kw} kH: {kh} padT: {pt} padW: {pw} padH: {ph}"
        )
    if min(out_t, out_h, out_w) < 1:
        raise ShapeMismatch(
            f"Given input size: ({planes}x{time}x{height}x{width}). Calculated output size: "
            f"({planes}x{out_t}x{out_h}x{out_w}). Output size is too small"
        )
    if x.dtype == "bool" or (name == "avg_pool3d" and x.dtype in SMALL_INTEGER_DTYPES):
        kernel = "avg_pool3d_out_frame" if name == "avg_pool3d" else "max_pool3d"
        raise Unsupported(f"\"{kernel}\" not implemented for '{TORCH_TYPE_NAME[x.dtype]}'")
    return meta(
        (*x.shape[:-3], out_t, out_h, out_w), "int64" if op.endswith("_indices") else x.dtype
    )


_POOL3D_ATTRS = (
    Attr("kernel_size", "ints", "(kT, kH, kW), or one for all.", optional=False),
    Attr("stride", "ints", "(dT, dH, dW), one for all, or none: the kernel size.", ()),
    Attr("padding", "ints", "Implicit padding on both sides, (padT, padH, padW) or one.", (0,)),
)
_register(
    OpSpec(
        "max_pool3d",
        "torch.nn.functional.max_pool3d",
        "max_pool2d over the last three dims of a (C, D, H, W) or (N, C, D, H, W) input "
        "(torch's max_pool3d_with_indices): each (dilated) window's largest element, padding "
        "counting as -inf, nan the largest (the last one). The gradient goes to the element "
        "chosen (the first of ties), summed where windows overlap. torch's checks in its order.",
        ("self",),
        (True,),
        lambda operands, attrs: _pool3d_infer("max_pool3d", operands, attrs, "max_pool3d"),
        _named("MaxPool3DWithIndicesBackward0"),
        _self,
        (
            *_POOL3D_ATTRS,
            Attr("dilation", "ints", "Spacing of a window's elements, (dT, dH, dW) or one.", (1,)),
            Attr("ceil_mode", "bool", "Round the output size up (windows may overhang).", False),
        ),
    )
)
_register(
    OpSpec(
        "max_pool3d_indices",
        "torch.nn.functional.max_pool3d",
        "The int64 indices that max_pool3d's return_indices gives: the position of each "
        "window's chosen element within its (D, H, W) volume, (d·H + h)·W + w. Not "
        "differentiable.",
        ("self",),
        (False,),
        lambda operands, attrs: _pool3d_infer("max_pool3d", operands, attrs, "max_pool3d_indices"),
        _named(""),
        _nothing,
        SPECS["max_pool3d"].attrs,
        computes_in=lambda operands, out: operands[0].dtype,
    )
)
_register(
    OpSpec(
        "avg_pool3d",
        "torch.nn.functional.avg_pool3d",
        "avg_pool2d over the last three dims of a (C, D, H, W) or (N, C, D, H, W) input: each "
        "window summed in the input's dtype in its order and divided by divisor_override, else "
        "its size counting the padding (count_include_pad) or not; an int64 input divides "
        "truncating, as torch. Each gradient element is the output gradient divided the same "
        "way, added to the window's elements. torch's checks in its order.",
        ("self",),
        (True,),
        lambda operands, attrs: _pool3d_infer("avg_pool3d", operands, attrs, "avg_pool3d"),
        _named("AvgPool3DBackward0"),
        _self,
        (
            *_POOL3D_ATTRS,
            *SPECS["avg_pool2d"].attrs[3:],
        ),
    )
)


# ---- max_unpool2d and max_unpool3d


def _max_unpool_infer(operands: Sequence[Operand], attrs: dict, spatial: int) -> TensorMeta:
    """torch's max_unpooling2d/3d checks in its order: int64 indices, the sizes of the lists,
    the rank, indices of the input's shape, non-empty non-batch dims, (3-d) positive strides,
    a non-negative output size, then the dtype (floats only, unless the output is empty, which
    torch never hands to its kernel)."""
    op = f"max_unpool{spatial}d"
    _check_operands(op, operands, 2)
    x, indices = (_require_tensor(op, o, i) for i, o in enumerate(operands))
    size = attrs["output_size"]
    names = ("depth, height, width", "three") if spatial == 3 else ("height, width", "two")
    if indices.dtype != "int64":
        got = "" if spatial == 3 else f" but got: {TORCH_TYPE_NAME[indices.dtype]}"
        raise DtypeMismatch(f"elements in indices should be type int64{got}")
    if spatial == 2 and len(size) != 2:
        raise ShapeMismatch(
            f"There should be exactly two elements (height, width) in output_size, but got "
            f"{len(size)} elements."
        )
    if x.ndim not in (spatial + 1, spatial + 2):
        raise ShapeMismatch(
            f"Input to max_unpooling{spatial}d should be a {spatial + 1}d or {spatial + 2}d "
            f"Tensor, but got a tensor with {x.ndim} dimensions."
        )
    if spatial == 3:
        for name in ("output_size", "stride", "padding"):
            if len(attrs[name]) != 3:
                colon = "" if name == "output_size" else ":"
                raise ShapeMismatch(
                    f"There should be exactly three elements ({names[0]}) in {name}, but "
                    f"got{colon} {len(attrs[name])} elements."
                )
    if x.shape != indices.shape:
        raise ShapeMismatch(
            "Expected shape of indices to be same as that of the input tensor "
            f"({_sizes_text(x.shape)}) but got indices tensor with shape: "
            f"{_sizes_text(indices.shape)}"
        )
    for dim in range(1, x.ndim):
        if x.shape[dim] == 0:
            raise ShapeMismatch(
                f"max_unpooling{spatial}d_forward_out_cpu(): Expected input to have non-zero "
                f"size for non-batch dimensions, but got {_sizes_text(x.shape)} with dimension "
                f"{dim} being empty."
            )
    if spatial == 3 and min(attrs["stride"]) <= 0:
        raise ComputeError(
            f"strides should be greater than zero, but got stride: {_sizes_text(attrs['stride'])}"
        )
    if min(size) < 0:
        raise ComputeError(
            f"max_unpooling{spatial}d(): output_size must contain non-negative spatial "
            f"dimensions, but got output_size=({', '.join(map(str, size))})"
        )
    shape = (*x.shape[:-spatial], *size)
    if not is_float(x.dtype) and prod(shape):
        raise Unsupported(f"\"{op}\" not implemented for '{TORCH_TYPE_NAME[x.dtype]}'")
    return meta(shape, x.dtype)


_MAX_UNPOOL_DOC = (
    "The inverse of max_pool{n}d with return_indices: a zeroed output of output_size{dims} "
    "per plane, output[..., indices[i]] = input[i] along each plane's flattened elements (the "
    "last of repeated indices wins); an index outside the plane is torch's 'Found an invalid "
    "max index' error. The gradient is the output gradient at the indices. The indices are "
    "not differentiable."
)
_register(
    OpSpec(
        "max_unpool2d",
        "torch._C._nn.max_unpool2d",
        _MAX_UNPOOL_DOC.format(n=2, dims=" (oH, oW)"),
        ("self", "indices"),
        (True, False),
        lambda operands, attrs: _max_unpool_infer(operands, attrs, 2),
        _named("MaxUnpool2DBackward0"),
        _indices,
        (Attr("output_size", "ints", "(oH, oW).", optional=False),),
    )
)
_register(
    OpSpec(
        "max_unpool3d",
        "torch._C._nn.max_unpool3d",
        _MAX_UNPOOL_DOC.format(n=3, dims=" (oD, oH, oW)"),
        ("self", "indices"),
        (True, False),
        lambda operands, attrs: _max_unpool_infer(operands, attrs, 3),
        _named("MaxUnpool3DBackward0"),
        _indices,
        (
            Attr("output_size", "ints", "(oD, oH, oW).", optional=False),
            Attr("stride", "ints", "(dD, dH, dW): checked positive, as torch's.", optional=False),
            Attr("padding", "ints", "(padD, padH, padW): unused, as torch's.", optional=False),
        ),
    )
)


# ---------------------------------------------------------------- factories

FACTORIES = (
    *("zeros", "ones", "full", "empty", "eye", "rand", "randn", "arange", "linspace"),
    *("randint", "randperm"),
)


_FLOAT32_MAX = 3.4028234663852886e38


def scalar_overflow(value: float | int, dtype: str) -> str | None:
    """torch's error for a number that `dtype` cannot hold (an integer type takes a float's
    whole part, float32 takes inf and nan but not a finite number beyond its range), else
    None."""
    if dtype in INTEGER_DTYPES:
        fits = fits_integer(value, dtype)
    elif dtype == "float32":
        fits = not math.isfinite(value) or abs(value) <= _FLOAT32_MAX
    else:
        return None
    return None if fits else overflow_message(dtype)


INTEGER_LIMITS = {
    "uint8": (0, 2**8 - 1),
    "int8": (-(2**7), 2**7 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
}


def fits_integer(value: float | int, dtype: str) -> bool:
    """c10's overflow check of a number converted to an integer type: within the type's
    range, where an unsigned type also takes the negatives of its values as integers (which
    wrap around: -1 is 255 in uint8), not as floats."""
    low, high = INTEGER_LIMITS[dtype]
    if isinstance(value, float):
        return math.isfinite(value) and low <= value <= high
    return (-high if low == 0 else low) <= value <= high


def narrowed_scalars(spec: OpSpec, attrs: dict, dtype: str) -> dict:
    """`attrs` with the numbers of an op that computes in a smaller integer `dtype` converted
    to it, as torch converts a Scalar (its whole part, wrapping around: a uint8 clamp to -5
    is a clamp to 251), once infer has refused the numbers that overflow."""
    numbers = [a.name for a in spec.attrs if a.type == "scalar" and attrs.get(a.name) is not None]
    if not numbers:
        return attrs
    narrowed = {name: int(_narrow(math.trunc(attrs[name]), dtype)) for name in numbers}
    return {**attrs, **narrowed}


def _narrow(value: int, dtype: str) -> int:
    """`value` wrapped around into integer `dtype`'s range."""
    low, high = INTEGER_LIMITS[dtype]
    return (value - low) % (high - low + 1) + low


def overflow_message(dtype: str) -> str:
    return f"value cannot be converted to type {C10_TYPE_NAME[dtype]} without overflow"


def arange_plan(start: float, end: float, step: float, dtype: str) -> tuple[float, float, int]:
    """torch.arange's checks and length: (start, step, n) with element i = start + i * step.
    An int64 arange counts in int64 (its bounds and step truncated first), a float one in
    float64, as torch's CPU kernel does."""
    if dtype == "bool":
        raise Unsupported("\"arange_cpu\" not implemented for 'Bool'")
    if is_integer(dtype):
        if 0 < abs(step) < 1:  # torch checks the truncated step apart, with a ValueError
            raise InvalidValue("step must be nonzero")
        start, end, step = (int(v) if math.isfinite(v) else v for v in (start, end, step))
    if step == 0:
        raise ShapeMismatch("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise ShapeMismatch(f"unsupported range: {c10_str(start)} -> {c10_str(end)}")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise ShapeMismatch("upper bound and lower bound inconsistent with step sign")
    if is_integer(dtype):  # C's truncating division; both operands share a sign here
        n = (end - start + step - ((step > 0) - (step < 0))) // step
    else:
        n = math.ceil((float(end) - float(start)) / float(step))
    return start, step, max(int(n), 0)


def check_linspace_bounds(start: float, end: float, dtype: str) -> None:
    """torch.linspace's error for a bound that `dtype` cannot hold."""
    for bound in (start, end):
        overflow = scalar_overflow(bound, dtype)
        if overflow:
            raise DtypeMismatch(overflow)


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_MANTISSA_DIGITS = {"float32": 24, "float64": 53}


def random_range(low: int, high: int | None, dtype: str) -> tuple[int, int]:
    """torch's random_(from, to) as the inclusive range [low, high - 1] it draws integers
    from; without `high`, up to the dtype's largest (2^24 for float32, 2^53 for float64,
    an integer type's largest, 1 for bool), or the whole int64 range from -2^63; for a float dtype,
    bounds beyond 2^digits moved as torch moves them (`_float_from`, `_float_to`). torch's
    checks, in its order."""
    digits = _MANTISSA_DIGITS.get(dtype)
    if high is not None:
        if not low < high:
            raise ComputeError(
                f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
            )
        if digits:
            low, high = _float_from(low, digits), _float_to(high, digits)
            if not low < high:
                raise ComputeError(
                    "random_ expects 'from' casted to dtype to be less than 'to' casted to "
                    f"dtype, but got from={low} >= to={high}"
                )
        last = high - 1
    elif low == _INT64_MIN:
        if dtype == "bool":
            raise Unsupported("\"random_full_64_bits_range_kernel_cpu\" not implemented for 'Bool'")
        if dtype in SMALL_INTEGER_DTYPES:
            raise ComputeError(
                "random_full_64_bits_range_kernel_cpu handles only int64, double, float and "
                "bfloat16"
            )
        return low, _INT64_MAX
    elif digits:
        low, last = _float_from(low, digits), 2**digits
        if not low < last:
            raise ComputeError(
                "random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' "
                f"casted to dtype, but got from={low} > to_inc={last}"
            )
    else:
        last = 1 if dtype == "bool" else INTEGER_LIMITS[dtype][1]
    if dtype == "bool" or dtype in SMALL_INTEGER_DTYPES:
        smallest, largest = (0, 1) if dtype == "bool" else INTEGER_LIMITS[dtype]
        for name, bound in (("from", low), ("to - 1", last)):
            if not smallest <= bound <= largest:
                raise ComputeError(f"{name} is out of bounds for {C_TYPE_NAME[dtype]}")
    return low, last


def _float_from(low: int, digits: int) -> int:
    """torch's update_from for a float of `digits` significant bits: where low + 1 rounds to
    below low, low moves to that float plus the spacing of floats at |low + 1| over 2."""
    above = _rounded_to_bits(low + 1, digits)
    return above + (1 << (abs(low + 1).bit_length() - digits)) if above < low else low


def _float_to(high: int, digits: int) -> int:
    """torch's update_to: where high - 1 rounds to high or above, high moves to that float
    minus the spacing of floats at |high - 1| over 2."""
    below = _rounded_to_bits(high - 1, digits)
    return below - (1 << (abs(high - 1).bit_length() - digits)) if below >= high else high


def _rounded_to_bits(value: int, digits: int) -> int:
    """`value` rounded to `digits` significant bits, halves to even, as C++ converts an
    int64 to a float of that precision."""
    shift = abs(value).bit_length() - digits
    if shift <= 0:
        return value
    quotient, remainder = divmod(abs(value), 1 << shift)
    half = 1 << (shift - 1)
    quotient += remainder > half or (remainder == half and quotient & 1)
    return (quotient << shift) * (1 if value >= 0 else -1)


def random_precision_warnings(low: int, high: int | None, dtype: str) -> list[str]:
    """torch's warnings for a float dtype's random range (as random_range takes it) with a
    bound beyond ±2^digits, where not every integer is a value of the dtype (none for the
    whole int64 range)."""
    if not is_float(dtype) or (high is None and low == _INT64_MIN):
        return []
    low, last = random_range(low, high, dtype)
    digits = _MANTISSA_DIGITS[dtype]
    return [
        f"{name} is out of bounds [-(2^{digits}), 2^{digits}]. Due to precision limitations "
        f"{C_TYPE_NAME[dtype]} can support discrete uniform distribution only within this "
        "range. This warning will become an error in version 1.7 release, please fix the "
        "code in advance (Triggered internally at "
        f"/__w/pytorch/pytorch/aten/src/ATen/native/DistributionTemplates.h:{line}.)"
        for name, bound, line in (("from", low, 110), ("to - 1", last, 111))
        if not -(2**digits) <= bound <= 2**digits
    ]


def c10_str(value: float) -> str:
    """A double as torch prints it in messages, C++'s six significant digits (inf, nan, 1,
    1.5, 1.23457, 1e+20)."""
    return f"{float(value):g}"


def factory_meta(
    factory: str,
    shape: Sequence[int],
    dtype: str,
    requires_grad: bool,
    bounds: tuple[int, int | None] = (0, None),
) -> TensorMeta:
    """Validate a factory call and return its result's metadata (`bounds`: randint's low and
    high, as `random_range` takes them)."""
    if factory not in FACTORIES:
        raise InvalidValue(f"unknown factory '{factory}'; expected one of {', '.join(FACTORIES)}")
    if dtype not in DTYPES:
        raise InvalidValue(f"unknown dtype '{dtype}'")
    shape = tuple(int(s) for s in shape)
    if factory == "eye" and len(shape) != 2:
        raise InvalidValue("eye takes a shape of two dimensions [n, m]")
    if factory in ("arange", "linspace", "randperm") and len(shape) != 1:
        raise InvalidValue(f"{factory} takes a shape of one dimension [n]")
    if factory in ("arange", "linspace"):
        if dtype == "bool":
            raise Unsupported(f"\"{factory}_cpu\" not implemented for 'Bool'")
        if factory == "linspace" and shape[0] < 0:
            raise ShapeMismatch("number of steps must be non-negative")
    for s in shape:
        if s < 0:
            if factory == "eye":
                raise ShapeMismatch(f"n must be greater or equal to 0, got {s}")
            raise ShapeMismatch(
                f"Trying to create tensor with negative dimension {s}: "
                f"[{', '.join(map(str, shape))}]"
            )
    if factory in ("rand", "randn") and not is_float(dtype):
        name = "normal_" if factory == "randn" else "check_uniform_bounds"
        raise Unsupported(f"\"{name}\" not implemented for '{TORCH_TYPE_NAME[dtype]}'")
    if factory == "randperm" and dtype == "bool":
        raise Unsupported("\"randperm\" not implemented for 'Bool'")
    if factory == "randint":
        random_range(*bounds, dtype)
    check_requires_grad(dtype, requires_grad, "creation")
    return meta(shape, dtype)


def check_requires_grad(dtype: str, requires_grad: bool, how: str = "flag") -> None:
    """Only floating tensors may require grad (torch's two wordings: at creation, by flag)."""
    if requires_grad and not is_float(dtype):
        if how == "creation":
            raise DtypeMismatch(
                "Only Tensors of floating point and complex dtype can require gradients"
            )
        raise DtypeMismatch("only Tensors of floating point dtype can require gradients")


# ---------------------------------------------------------------- autograd-state checks
# torch's rules for changing a tensor's autograd state, on metadata alone: the client raises
# them at the user's line, the server refuses the same from a client in any language.


# torch's CreationMeta of a view other than DEFAULT
NO_GRAD_MODE = "no_grad"  # made under no_grad
MULTI_OUTPUT_NODE = "multi_output"  # one of several views a function returns (split, unbind)


def view_creation(grad_enabled: bool, multi_output: bool, source: str | None) -> str | None:
    """A new view's CreationMeta: NO_GRAD_MODE made under no_grad, MULTI_OUTPUT_NODE for a
    piece of a function that returns several views, else its source's (DEFAULT, None, for
    a view of an ordinary tensor), as torch's propagate_creation_meta."""
    if not grad_enabled:
        return NO_GRAD_MODE
    return MULTI_OUTPUT_NODE if multi_output else source


def forward_op_name(grad_fn: str) -> str:
    """torch's Node::forward_op_name: the name without its "Backward<N>" suffix, keeping N
    when it is not 0 (AddBackward1 is Add1)."""
    head, backward, number = grad_fn.rpartition("Backward")
    if not backward or (number and not number.isdigit()):
        return grad_fn
    return head + ("" if number in ("", "0") else number)


# The grad_fn of torch's in-place view ops, by their out-of-place op's (t_ is TBackward1).
IN_PLACE_VIEW_GRAD_FN = {
    "TBackward0": "TBackward1",
    "TransposeBackward0": "TransposeBackward1",
    "UnsqueezeBackward0": "UnsqueezeBackward1",
    "SqueezeBackward0": "SqueezeBackward3",
    "SqueezeBackward1": "SqueezeBackward4",
    "SqueezeBackward2": "SqueezeBackward5",
}

DETACH_VIEW_IN_PLACE_MESSAGE = (
    "Can't detach views in-place. Use detach() instead. If you are using "
    "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set as True, "
    "gradients are views of DDP buckets, and hence detach_() cannot be called on these "
    "gradients. To fix this error, please refer to the Optimizer.zero_grad() function in "
    "torch/optim/optimizer.py as the solution."
)


def view_rebase_error(
    creation: str, output_nr: int, grad_fn: str | None, indirect: bool = False
) -> InPlaceOnView:
    """torch's refusal (handle_view_on_rebase) of an in-place write with grad mode on to a
    view made under no_grad or by a function that returns several views; `indirect`: the
    write was to its base or another view of it, and the view is used afterwards."""
    modified = "its base or another view of its base has been" if indirect else "is being"
    if creation == NO_GRAD_MODE or grad_fn is None:
        prefix = (
            f"Output {output_nr} of {forward_op_name(grad_fn)} is a view of a view which was "
            "created in"
            if grad_fn is not None
            else "A view was created in"
        )
        message = f"{prefix} no_grad mode and {modified} modified inplace with grad mode enabled."
    else:
        message = (
            f"Output {output_nr} of {forward_op_name(grad_fn)} is a view and {modified} "
            "modified inplace."
        )
    if creation == MULTI_OUTPUT_NODE:
        message += (
            " This view is the output of a function that returns multiple views. Such functions "
            "do not allow the output views to be modified inplace. You should replace the "
            "inplace operation by an out-of-place one."
        )
    else:
        message += (
            " Given that this use case is ambiguous and error-prone, it is forbidden. You can "
            "clarify your code by moving both the view and the inplace either both inside the "
            "no_grad block (if you don't want the inplace to be tracked) or both outside (if you "
            "want the inplace to be tracked)."
        )
    return InPlaceOnView(message)


def check_in_place(
    requires_grad: bool,
    is_leaf: bool,
    grad_enabled: bool,
    view_of_leaf: bool = False,
    history: bool = False,
    view_error: InPlaceOnView | None = None,
) -> None:
    """An in-place write is refused, while grad mode is on and something requires grad, on a
    view made under no_grad or by a function that returns several views (`view_error`), and
    on a leaf that requires grad or a view of one. On a tensor with a grad_fn it is an op's
    in-place form (`history`: the tensor takes the op's node); other writes there (zero_,
    copy_) are not supported yet."""
    if not grad_enabled or not requires_grad:
        return
    if view_error is not None:
        raise view_error
    if view_of_leaf:
        raise InPlaceOnLeaf(
            "a view of a leaf Variable that requires grad is being used in an in-place operation."
        )
    if is_leaf:
        raise InPlaceOnLeaf(
            "a leaf Variable that requires grad is being used in an in-place operation."
        )
    if not history:
        raise Unsupported(
            "gradrpc: in-place operations on tensors that have a grad_fn are not supported yet"
        )


def check_copy(
    target: TensorMeta, source: TensorMeta, source_requires_grad: bool, grad_enabled: bool
) -> None:
    """copy_ beyond the in-place rule: the source broadcasts to the target's shape."""
    if grad_enabled and source_requires_grad:
        raise Unsupported("gradrpc: copy_ from a tensor that requires grad is not supported yet")
    check_broadcasts_into(target.shape, source.shape)


def check_broadcasts_into(out: tuple[int, ...], other: tuple[int, ...]) -> None:
    """An in-place op's rule: `other` broadcasts with `out` to `out`'s own shape."""
    shape = broadcast_shapes(out, other)
    if shape != out:
        raise ShapeMismatch(
            f"output with shape [{', '.join(map(str, out))}] doesn't match the "
            f"broadcast shape [{', '.join(map(str, shape))}]"
        )


def overlaps_itself(t: TensorMeta) -> bool:
    """Whether elements of `t` share memory: expanded over a size above 1 (a stride of 0)."""
    return any(stride == 0 and size > 1 for size, stride in zip(t.shape, t.strides, strict=True))


def check_no_internal_overlap(target: TensorMeta) -> None:
    """copy_ and an op's in-place form refuse a target whose elements share memory, as torch's
    do (zero_, fill_, masked_fill_ and index_put_ write it)."""
    if overlaps_itself(target):
        raise MemoryOverlap(
            "unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location. Please clone() the tensor before performing the operation."
        )


def check_set_requires_grad(is_leaf: bool, dtype: str, requires_grad: bool) -> bool:
    """Tensor.requires_grad_: whether it changes the flag (asking a non-leaf to require grad
    is a no-op); only a leaf's flag may be cleared, only floating tensors may require grad."""
    if not is_leaf:
        if requires_grad:
            return False
        raise NoGradFn(
            "you can only change requires_grad flags of leaf variables. If you want to use a "
            "computed variable in a subgraph that doesn't require differentiation use "
            "var_no_grad = var.detach()."
        )
    check_requires_grad(dtype, requires_grad)
    return True


def check_retain_grad(requires_grad: bool) -> None:
    if not requires_grad:
        raise NoGradFn("can't retain_grad on Tensor that has requires_grad=False")


def check_hook(requires_grad: bool, is_leaf: bool, post_accumulate: bool) -> None:
    """Tensor.register_hook and register_post_accumulate_grad_hook (leaves only)."""
    if not requires_grad:
        raise NoGradFn("cannot register a hook on a tensor that doesn't require gradient")
    if post_accumulate and not is_leaf:
        raise NoGradFn("post accumulate grad hooks cannot be registered on non-leaf tensors")


def check_hook_result(name: str, grad: TensorMeta, result: TensorMeta) -> None:
    """A hook's returned gradient: the dtype, then the shape, of the one it was given."""
    if result.dtype != grad.dtype:
        raise DtypeMismatch(
            f"hook '{name}' has changed the type of value (was {TENSOR_TYPE_STRING[grad.dtype]} "
            f"got {TENSOR_TYPE_STRING[result.dtype]})"
        )
    if result.shape != grad.shape:
        raise ShapeMismatch(f"hook '{name}' has changed the size of value")


def check_assigned_grad(t: TensorMeta, grad: TensorMeta) -> None:
    """`t.grad = grad`: the same dtype, then the same shape (torch checks in this order)."""
    if grad.dtype != t.dtype:
        raise DtypeMismatch(
            f"attempting to assign a gradient with dtype '{C_TYPE_NAME[grad.dtype]}' to a "
            f"tensor with grad_dtype '{TORCH_TYPE_NAME[t.dtype]}'. The gradient must match the "
            "tensor's grad_dtype (defaults to the tensor's dtype). You can set the tensor's "
            "grad_dtype attribute with a specific dtype, or None to allow any dtype. Set "
            "grad_dtype with caution. Diverging the dtypes of a tensor and its gradient may "
            "break downstream systems that assume they match."
        )
    if grad.shape != t.shape:
        given, wanted = (", ".join(map(str, m.shape)) for m in (grad, t))
        raise ShapeMismatch(
            f"attempting to assign a gradient of size '[{given}]' to a tensor of size "
            f"'[{wanted}]'. Please ensure that the gradient and the tensor are the same size"
        )


def check_backward_root(index: int, requires_grad: bool) -> None:
    """Each tensor a backward pass starts from must require grad."""
    if not requires_grad:
        raise NoGradFn(
            f"element {index} of tensors does not require grad and does not have a grad_fn"
        )


def check_differentiated(requires_grad: bool) -> None:
    """Each input of autograd.grad must require grad."""
    if not requires_grad:
        raise NoGradFn("One of the differentiated Tensors does not require grad")


def check_used(index: int, used: bool, allow_unused: bool) -> None:
    """An input of autograd.grad the outputs do not depend on needs allow_unused."""
    if not used and not allow_unused:
        raise UnusedInput(
            f"The differentiated Tensor at index {index} appears to not have been used in the "
            "graph. Set allow_unused=True if this is the desired behavior."
        )


def size_repr(shape: Sequence[int]) -> str:
    """torch.Size's repr."""
    return f"torch.Size([{', '.join(map(str, shape))}])"


def check_grad_output(index: int, output: TensorMeta, grad: TensorMeta | None) -> None:
    """Validate one gradient passed to backward: torch requires the output's exact shape
    (any real dtype: the gradient is cast to the output's)."""
    if grad is None:
        if output.numel != 1:
            raise ShapeMismatch("grad can be implicitly created only for scalar outputs")
        return
    if grad.shape != output.shape:
        raise ShapeMismatch(
            f"Mismatch in shape: grad_output[{index}] has a shape of {size_repr(grad.shape)} "
            f"and output[{index}] has a shape of {size_repr(output.shape)}."
        )


def gradient_needs(
    spec: OpSpec, requires_grad: Sequence[bool], out: TensorMeta, grad_enabled: bool
) -> tuple[bool, ...]:
    """Which inputs a gradient flows to: recording is on, the input requires grad, the op
    differentiates it, and the result is floating (integer and bool results never require
    grad, as in torch; where the op `refuses_integer_grad`, such a result is torch's error)."""
    if not grad_enabled:
        return (False,) * len(requires_grad)
    differentiable = spec.differentiates(len(requires_grad))
    if spec.refuses_grad_as:
        names = spec.input_names(len(requires_grad))
        for name, r, d in zip(names, requires_grad, differentiable, strict=True):
            if r and not d:
                raise NotDifferentiable(
                    f"The function '{spec.refuses_grad_as}' is not differentiable with respect "
                    f"to argument '{name}'. This input cannot have requires_grad True."
                )
    needs = tuple([r and d for r, d in zip(requires_grad, differentiable, strict=True)])
    if not is_float(out.dtype):
        if spec.refuses_integer_grad and any(needs):
            raise DtypeMismatch(f"Autograd not support dtype: {TORCH_TYPE_NAME[out.dtype]}")
        return (False,) * len(requires_grad)
    return needs


_INFERRED: dict[tuple, tuple[OpSpec, dict, TensorMeta]] = {}
_INFERRED_MAX = 4096


def typed_key(value) -> tuple:
    """A hashable key for a number or attribute that tells 1, 1.0 and True apart."""
    if isinstance(value, list | tuple):
        return (type(value), *map(typed_key, value))
    return (type(value), value)


def _check_scalars(operands: Sequence[Operand]) -> None:
    """A Python int operand must fit an int64 (the wire's Scalar), with torch's errors past
    uint64; torch's uint64 Scalars, [2**63, 2**64), are not supported."""
    for o in operands:
        if type(o) is not int or -(2**63) <= o < 2**63:
            continue
        if o < 0:
            raise ScalarOverflow("can't convert negative int to unsigned")
        if o >= 2**64:
            raise ScalarOverflow("int too big to convert")
        raise Unsupported(
            "gradrpc: Python ints in [2**63, 2**64) (uint64 Scalars) are not supported"
        )


def infer(op: str, operands: Sequence[Operand], attrs: dict) -> tuple[OpSpec, dict, TensorMeta]:
    """Look up `op`, complete its attrs and infer its result: the entry point both sides use.

    Rules are pure functions of their arguments, and a training loop asks the same questions
    every step, so successful answers are memoized (the returned attrs must not be mutated),
    by the default float dtype too.
    """
    key = (
        op,
        default_float(),
        *[o if type(o) is TensorMeta else typed_key(o) for o in operands],
        *[(name, typed_key(value)) for name, value in attrs.items()],
    )
    try:
        known = _INFERRED.get(key)
    except TypeError:  # an unhashable argument: answer without the memo
        key = known = None
    if known is not None:
        return known
    spec = SPECS.get(op)
    if spec is None:
        raise UnknownOp(f"unknown op '{op}'")
    _check_scalars(operands)
    full = spec.with_defaults(attrs)
    answer = spec, full, spec.infer(operands, full)
    if key is not None:
        if len(_INFERRED) >= _INFERRED_MAX:
            _INFERRED.clear()
        _INFERRED[key] = answer
    return answer
