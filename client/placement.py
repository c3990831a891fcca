"""Ops that read a tensor's elements along a dim, or place values into a copy of it:
take_along_dim, put, select_scatter, slice_scatter, diagonal_scatter, masked_scatter,
index_reduce and isin, bound as torch's argument parser binds them. Each is an engine op
(which does torch's checks) or a composition of them; an in-place form computes the op and
adopts its result (Tensor._in_place_of), which keeps torch's leaf and view errors.
"""

from __future__ import annotations

import warnings

from gradrpc.engine import rules

from . import dtypes
from .tensor import _WARNED, Tensor, _arguments, _number

INDEX_REDUCTIONS = ("prod", "mean", "amax", "amin")
_INDEX_REDUCE_BETA = (
    "index_reduce() is in beta and the API may change at any time. (Triggered internally at "
    "/__w/pytorch/pytorch/aten/src/ATen/native/TensorAdvancedIndexing.cpp:1523.)"
)


def take_along_dim(t: Tensor, args: tuple, kwargs: dict, first: int) -> Tensor:
    """t.take_along_dim(indices, dim=None): without dim, t flattened at the flattened
    indices; with it, t and indices broadcast against each other but along dim, then
    gathered along it (GatherBackward0, as torch composes it)."""
    params = (("indices", "Tensor"), ("dim", "int?"))
    indices, dim = _arguments("take_along_dim", args, kwargs, params, first, required=1)
    if indices.dtype is not dtypes.int64:
        raise RuntimeError(
            "torch.take_along_dim(): dtype of indices should be Long but got "
            f"{_torch_type_name(indices)}"
        )
    if dim is None:
        return t.reshape(-1).gather(0, indices.reshape(-1))
    if t.ndim != indices.ndim:
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of "
            f"dimensions, but got {t.ndim} dimensions for input, and {indices.ndim} dimensions "
            "for indices"
        )
    dim = rules.normalize_dim(dim, t.ndim)
    t_shape, i_shape = list(t.shape), list(indices.shape)
    i_shape[dim] = t_shape[dim]
    common = list(rules.broadcast_shapes(t_shape, i_shape))
    common[dim] = t.shape[dim]
    t = t.expand(*common) if tuple(common) != tuple(t.shape) else t
    common[dim] = indices.shape[dim]
    indices = indices.expand(*common) if tuple(common) != tuple(indices.shape) else indices
    return t.gather(dim, indices)


def _torch_type_name(t: Tensor) -> str:
    return rules.TORCH_TYPE_NAME[t._meta.dtype]


def put(t: Tensor, args: tuple, kwargs: dict, first: int, in_place: bool = False) -> Tensor:
    """t.put(index, source, accumulate=False): source's elements written (added) at the
    positions index names in t flattened (PutBackward0)."""
    name = "put_" if in_place else "put"
    params = (("index", "Tensor"), ("source", "Tensor"), ("accumulate", "bool"))
    index, source, accumulate = _arguments(name, args, kwargs, params, first, required=2)
    operands = [t, t._coerce(index), t._coerce(source)]

    def compute() -> Tensor:
        return t._call("put", operands, {"accumulate": accumulate})

    if not in_place:
        return compute()
    return t._in_place_of("put_", compute, source.requires_grad)


_SCATTER_PARAMS = {
    "select_scatter": (("src", "Tensor"), ("dim", "int"), ("index", "int")),
    "slice_scatter": (
        ("src", "Tensor"),
        ("dim", "int", 0),
        ("start", "int?"),
        ("end", "int?"),
        ("step", "int", 1),
    ),
    "diagonal_scatter": (
        ("src", "Tensor"),
        ("offset", "int", 0),
        ("dim1", "int", 0),
        ("dim2", "int", 1),
    ),
}


def embedding_scatter(name: str, t: Tensor, args: tuple, kwargs: dict, first: int) -> Tensor:
    """t.select_scatter(src, dim, index), t.slice_scatter(src, dim=0, start=None, end=None,
    step=1) or t.diagonal_scatter(src, offset=0, dim1=0, dim2=1): a copy of t with src
    written over that part (SelectScatterBackward0, ...)."""
    params = _SCATTER_PARAMS[name]
    required = 3 if name == "select_scatter" else 1
    src, *values = _arguments(name, args, kwargs, params, first, required=required)
    attrs = dict(zip((p[0] for p in params[1:]), values, strict=True))
    if name == "slice_scatter":
        attrs["start"] = attrs["start"] or 0
        attrs["end"] = 2**63 - 1 if attrs["end"] is None else attrs["end"]
    return t._call(name, [t, t._coerce(src)], attrs)


def masked_scatter(t: Tensor, mask, source, first: int, in_place: bool = False) -> Tensor:
    """t.masked_scatter(mask, source): source's elements, in order, written where mask (bool,
    broadcast with t) holds (MaskedScatterBackward0)."""
    name = "masked_scatter_" if in_place else "masked_scatter"
    mask = t._tensor_operand(name, mask, "mask", first)
    source = t._tensor_operand(name, source, "source", first + 1)
    if in_place and tuple(mask.shape) != tuple(t.shape):
        if mask.ndim > t.ndim:
            raise RuntimeError(
                f"expand(CPU{_torch_type_name(mask)}Type{{{list(mask.shape)}}}, size="
                f"{list(t.shape)}): the number of sizes provided ({t.ndim}) must be greater or "
                f"equal to the number of dimensions in the tensor ({mask.ndim})"
            )
        mask = mask.expand(*t.shape)

    def compute() -> Tensor:
        return t._call("masked_scatter", [t, mask, source])

    if not in_place:
        return compute()
    return t._in_place_of(name, compute, source.requires_grad)


def index_reduce(t: Tensor, args: tuple, kwargs: dict, first: int, in_place: bool = False):
    """t.index_reduce(dim, index, source, reduce, *, include_self=True): source's slices
    along dim reduced into t's at index by 'prod', 'mean', 'amax' or 'amin': the
    index_reduce op, scatter_reduce's with index spread over source's shape
    (IndexReduceBackward0). An index out of range is torch's IndexError at the next read."""
    name = "index_reduce_" if in_place else "index_reduce"
    params = (
        ("dim", "int"),
        ("index", "Tensor"),
        ("source", "Tensor"),
        ("reduce", "str"),
        ("include_self", "bool", True),
    )
    dim, index, source, reduce, include_self = _arguments(
        name, args, kwargs, params, first, required=4, positional=4
    )
    if "index_reduce" not in _WARNED:
        _WARNED.add("index_reduce")
        warnings.warn(_INDEX_REDUCE_BETA, UserWarning, stacklevel=3)
    if reduce not in INDEX_REDUCTIONS:
        raise RuntimeError(
            "index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
            f"{reduce}."
        )
    dim = rules.normalize_dim(dim, max(t.ndim, 1))
    if index.ndim > 1:
        raise IndexError(f"index_reduce_(): Index should have dimension 1 or 0 (got {index.ndim})")
    if index.dtype not in (dtypes.int64, dtypes.int32):
        raise RuntimeError(
            "index_reduce_(): Expected dtype int32/int64 for index but got: "
            f"{_torch_type_name(index)}"
        )
    if source.dtype is not t.dtype:
        raise RuntimeError(
            f"index_reduce_(): self ({_torch_type_name(t)}) and source "
            f"({_torch_type_name(source)}) must have the same scalar type"
        )
    along = source.shape[dim] if source.ndim else 1
    if index.numel() != along:
        raise RuntimeError(
            f"index_reduce_(): Number of indices ({index.numel()}) should be equal to "
            f"source.size(dim): ({along}), for dim: {dim}"
        )

    def compute() -> Tensor:
        spread = index.long().reshape(*[-1 if d == dim else 1 for d in range(source.ndim)])
        spread = spread.expand(*source.shape) if source.ndim else spread.reshape(())
        attrs = {"dim": dim, "reduce": reduce, "include_self": include_self}
        return t._call("index_reduce", [t, spread, source], attrs)

    if not in_place:
        return compute()
    return t._in_place_of(name, compute, source.requires_grad)


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False):
    """torch.isin: whether each of elements (a tensor or a number) is among test_elements (a
    tensor or a number), compared in their promoted dtype; `assume_unique` changes nothing
    but speed in torch and nothing at all here."""
    tensor = next((e for e in (elements, test_elements) if isinstance(e, Tensor)), None)
    operands = [e if isinstance(e, Tensor) else _number(e) for e in (elements, test_elements)]
    if tensor is None or any(o is None for o in operands):
        kinds = ", ".join(
            "Tensor" if isinstance(e, Tensor) else type(e).__name__
            for e in (elements, test_elements)
        )
        tail = ", *, bool assume_unique = False, bool invert = False, Tensor out = None)\n"
        raise TypeError(
            f"isin() received an invalid combination of arguments - got ({kinds}), but "
            "expected one of:\n"
            f" * (Tensor elements, Tensor test_elements{tail}"
            f" * (Number element, Tensor test_elements{tail}"
            f" * (Tensor elements, Number test_element{tail}"
        )
    for o in operands:
        if isinstance(o, Tensor):
            tensor._coerce(o)
    return tensor._call("isin", operands, {"invert": bool(invert)})
