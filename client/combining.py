"""torch's functions that combine or rearrange whole tensors, composed from the client's ops as
aten composes them, so that the same nodes record: outer, inner, tensordot, kron, cross,
diag, broadcast_to, the h/v/d/column stacks, meshgrid, cartesian_prod, block_diag, diff,
fliplr and flipud. trace,
diag_embed, diagonal_copy (torch.diag of a matrix), linalg_cross and block_diag are engine ops:
torch records a node of their own."""

from __future__ import annotations

import warnings
from math import prod

from gradrpc.engine import rules

from .tensor import _WARNED, Tensor, _arguments, _is_int

_CROSS_DIM_WARNING = (
    "Using torch.cross without specifying the dim arg is deprecated.\n"
    "Please either pass the dim explicitly or simply use torch.linalg.cross.\n"
    "The default value of dim will change to agree with that of linalg.cross in a future "
    "release. (Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/Cross.cpp:63.)"
)
_MESHGRID_WARNING = (
    "torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
    "argument. (Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/"
    "TensorShape.cpp:4215.)"
)


def _tensor(name: str, param: str, value, position: int) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(
            f"{name}(): argument '{param}' (position {position}) must be Tensor, not "
            f"{type(value).__name__}"
        )
    return value


def outer(input: Tensor, vec2, position: int = 2) -> Tensor:
    """input ⊗ vec2 of two vectors: input.reshape(n, 1) * vec2, as aten's outer."""
    vec2 = input._coerce(_tensor("outer", "vec2", vec2, position))
    for param, t in (("self", input), ("vec2", vec2)):
        if t.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {param}, but got {t.ndim}-D")
    return input.reshape(input.shape[0], 1) * vec2


def tensordot(a: Tensor, b: Tensor, dims=2) -> Tensor:
    """Σ over the paired dims `dims` (an int: a's last `dims` with b's first; or two lists) of
    a b: the dims contracted permuted last in a and first in b, one mm (one dot with no free
    dims) of the two as matrices, then the free dims' shape, as aten's tensordot."""
    _tensor("tensordot", "a", a, 1)
    b = a._coerce(_tensor("tensordot", "b", b, 2))
    if _is_int(dims):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        dims_a, dims_b = list(range(-dims, 0)), list(range(dims))
    else:
        dims_a, dims_b = dims
        for param, position, given in (("dims_self", 3, dims_a), ("dims_other", 4, dims_b)):
            if not (isinstance(given, list | tuple) and all(map(_is_int, given))):
                raise TypeError(
                    f"tensordot(): argument '{param}' (position {position}) must be tuple of "
                    f"ints, not {type(given).__name__}"
                )
        dims_a, dims_b = list(dims_a), list(dims_b)
    return _tensordot(a, b, dims_a, dims_b)


def _tensordot(a: Tensor, b: Tensor, dims_a: list, dims_b: list) -> Tensor:
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    if a.dtype != b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    t1, t2, csize = a, b, 1
    for d1, d2 in zip(dims_a, dims_b, strict=True):
        s1, s2 = a.shape[d1], b.shape[d2]
        if s2 == 1:  # broadcast dims are summed right away
            t1 = t1.sum(d1, keepdim=True)
        elif s1 == 1:
            t2 = t2.sum(d2, keepdim=True)
        elif s1 != s2:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {s1} in dim {d1} "
                f"and second has size {s2} in dim {d2}"
            )
        else:
            csize *= s1
    contracted_a = [rules.normalize_dim(d, a.ndim) for d in dims_a]
    contracted_b = [rules.normalize_dim(d, b.ndim) for d in dims_b]
    free_a = [d for d in range(a.ndim) if d not in contracted_a]
    free_b = [d for d in range(b.ndim) if d not in contracted_b]
    sizes = [a.shape[d] for d in free_a] + [b.shape[d] for d in free_b]
    t1 = t1.permute(*free_a, *contracted_a)
    t2 = t2.permute(*contracted_b, *free_b)
    if not free_a and not free_b:
        return t1.flatten().dot(t2.flatten()).view(sizes)
    size1, size2 = prod(a.shape[d] for d in free_a), prod(b.shape[d] for d in free_b)
    return t1.reshape(size1, csize).mm(t2.reshape(csize, size2)).view(sizes)


def inner(input: Tensor, other, position: int = 2) -> Tensor:
    """Σ over the last dims of input other: their product for a 0-d one, else tensordot."""
    other = input._coerce(_tensor("inner", "other", other, position))
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(
            "inner() the last dimension must match on both input tensors but got shapes "
            f"{list(input.shape)} and {list(other.shape)}"
        )
    return _tensordot(input, other, [-1], [-1])


def kron(input: Tensor, other, position: int = 2) -> Tensor:
    """The Kronecker product: each input viewed with a size-1 dim beside each of its own
    (`_unsafe_view`), multiplied, and the pairs of dims merged, as aten's kron."""
    other = input._coerce(_tensor("kron", "other", other, position))
    ndim = max(input.ndim, other.ndim)
    a = (1,) * (ndim - input.ndim) + tuple(input.shape)
    b = (1,) * (ndim - other.ndim) + tuple(other.shape)
    a_shape = [s for size in a for s in (size, 1)]
    b_shape = [s for size in b for s in (1, size)]
    product = input._call("_unsafe_view", [input], {"shape": a_shape}) * other._call(
        "_unsafe_view", [other], {"shape": b_shape}
    )
    return product._call(
        "_unsafe_view", [product], {"shape": [x * y for x, y in zip(a, b, strict=True)]}
    )


def cross(input: Tensor, args: tuple, kwargs: dict, first: int) -> Tensor:
    """torch.cross(input, other, dim=None): linalg_cross along `dim`, by default (with
    torch's warning, once) the first dim of input of size 3."""
    other, dim = _arguments("cross", args, kwargs, (("other", "Tensor"), ("dim", "int?")), first, 1)
    other = input._coerce(other)
    if dim is None:
        if "cross dim" not in _WARNED:
            _WARNED.add("cross dim")
            warnings.warn(_CROSS_DIM_WARNING, UserWarning, stacklevel=3)
        dim = next((d for d, size in enumerate(input.shape) if size == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return input._call("linalg_cross", [input, other], {"dim": dim})


def diag(input: Tensor, args: tuple, kwargs: dict, first: int) -> Tensor:
    """A vector on the `diagonal`-th diagonal of a square matrix (diag_embed), or a matrix's
    `diagonal`-th diagonal (diagonal_copy)."""
    (diagonal,) = _arguments("diag", args, kwargs, (("diagonal", "int", 0),), first)
    if input.ndim == 1:
        return input._call("diag_embed", [input], {"offset": diagonal, "dim1": 0, "dim2": 1})
    if input.ndim == 2:
        return input._call("diagonal_copy", [input], {"offset": diagonal})
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


def diag_embed(input: Tensor, args: tuple, kwargs: dict, first: int) -> Tensor:
    params = (("offset", "int", 0), ("dim1", "int", -2), ("dim2", "int", -1))
    offset, dim1, dim2 = _arguments("diag_embed", args, kwargs, params, first)
    return input._call("diag_embed", [input], {"offset": offset, "dim1": dim1, "dim2": dim2})


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The n-th forward difference along `dim` (prepend and append joined on first): each
    pass the tensor narrowed from 1 minus narrowed to its length - 1 (logical_xor for bool),
    as aten's diff; n = 0 a copy."""
    for param, value in (("prepend", prepend), ("append", append)):
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(
                f"diff(): argument '{param}' must be Tensor, not {type(value).__name__}"
            )
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    parts = [input._coerce(t) for t in (prepend, input, append) if t is not None]
    if any(t.ndim != input.ndim for t in parts):
        raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    result = parts[0]._call("cat", parts, {"dim": dim}) if len(parts) > 1 else input
    if n == 0:
        return result.new_empty(result.shape).copy_(result)
    length = result.shape[dim]
    for _ in range(min(n, length)):
        later, earlier = result.narrow(dim, 1, length - 1), result.narrow(dim, 0, length - 1)
        result = later.logical_xor(earlier) if result._meta.dtype == "bool" else later - earlier
        length -= 1
    return result


def fliplr(input: Tensor) -> Tensor:
    """input reversed along dim 1 (FlipBackward0)."""
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return input._flip((1,))


def flipud(input: Tensor) -> Tensor:
    """input reversed along dim 0 (FlipBackward0)."""
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return input._flip((0,))


def check_tensor_sequence(name: str, tensors) -> None:
    """torch's TypeErrors for a `tensors` argument that is not a sequence of tensors."""
    if not isinstance(tensors, list | tuple):
        raise TypeError(
            f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
            f"{type(tensors).__name__}"
        )
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}"
            )


def _tensor_list(name: str, tensors) -> list[Tensor]:
    check_tensor_sequence(name, tensors)
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return list(tensors)


def _at_least(t: Tensor, ndim: int) -> Tensor:
    """aten's atleast_1d/2d/3d: a 0-d tensor reshaped, a 1-d one unsqueezed in front (and,
    for 3 dims, behind), a 2-d one behind."""
    if t.ndim >= ndim:
        return t
    if t.ndim == 0:
        return t.reshape((1,) * ndim)
    if t.ndim == 1:
        t = t.unsqueeze(0)
    return t if ndim == 2 else t.unsqueeze(-1)


def _joined(name: str, tensors, ndim: int, dim) -> Tensor:
    parts = [_at_least(t, ndim) for t in _tensor_list(name, tensors)]
    dim = dim(parts[0]) if callable(dim) else dim
    return parts[0]._call("cat", parts, {"dim": dim})


def hstack(tensors) -> Tensor:
    """The tensors (at least 1-d) joined along dim 1, along dim 0 if they are vectors."""
    return _joined("hstack", tensors, 1, lambda first: 0 if first.ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    """The tensors (at least 2-d) joined along dim 0."""
    return _joined("vstack", tensors, 2, 0)


def row_stack(tensors) -> Tensor:
    return _joined("row_stack", tensors, 2, 0)


def dstack(tensors) -> Tensor:
    """The tensors (at least 3-d) joined along dim 2."""
    return _joined("dstack", tensors, 3, 2)


def column_stack(tensors) -> Tensor:
    """The tensors joined along dim 1, 0-d and 1-d ones as columns."""
    parts = [
        t.reshape(t.numel(), 1) if t.ndim <= 1 else t for t in _tensor_list("column_stack", tensors)
    ]
    return parts[0]._call("cat", parts, {"dim": 1})


def meshgrid(*tensors, indexing: str | None = None) -> tuple[Tensor, ...]:
    """One grid per 0-d or 1-d tensor, each viewed along its own dim and expanded to the
    sizes of all; 'xy' indexing swaps the first two dims. No indexing warns (once) and is
    'ij'."""
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tensors[0]
    if indexing is None:
        if "meshgrid indexing" not in _WARNED:
            _WARNED.add("meshgrid indexing")
            warnings.warn(_MESHGRID_WARNING, UserWarning, stacklevel=2)
        indexing = "ij"
    tensors = _tensor_list("meshgrid", tensors)
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(
                f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got a "
                f"{t.ndim}-D tensor"
            )
    if any(t.dtype != tensors[0].dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    if indexing not in ("xy", "ij"):
        raise RuntimeError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    swap = indexing == "xy" and len(tensors) >= 2
    if swap:
        tensors[0], tensors[1] = tensors[1], tensors[0]
    shape = [t.numel() for t in tensors]
    grids = []
    for i, t in enumerate(tensors):
        view = [1] * len(tensors)
        view[i] = -1
        grids.append(t.view(view).expand(shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def cartesian_prod(*tensors) -> Tensor:
    """Every combination of the vectors' elements, one row each (a lone vector itself)."""
    tensors = _tensor_list("cartesian_prod", tensors)
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(tensors, indexing="ij")
    return grids[0]._call("stack", [g.flatten() for g in grids], {"dim": 1})


def block_diag(*tensors) -> Tensor | None:
    """The tensors (0-d as 1x1, 1-d as a row) along a matrix's diagonal; None for none (the
    caller makes torch's empty 1x0 float32 tensor)."""
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}"
            )
    if not tensors:
        return None
    return tensors[0]._call("block_diag", list(tensors))
