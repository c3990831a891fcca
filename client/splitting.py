"""torch's functions that cut a tensor into views along a dimension: `split` (an int:
SplitBackward0, a list of sizes: SplitWithSizesBackward0), `split_with_sizes`, `chunk` (a split
of ceil(size / chunks)), `tensor_split` and `hsplit` / `vsplit` / `dsplit` (slices:
SliceBackward0). Each piece is one op, queued at once; nothing is read, except the values of an
index tensor given to `tensor_split`. Like torch's, the pieces of split and chunk (and unbind)
refuse in-place writes while recording (engine.rules.view_rebase_error).
"""

from __future__ import annotations

import itertools

from gradrpc.engine import rules
from gradrpc.engine.errors import ShapeMismatch

from .tensor import Tensor, _arguments

_INVALID_SPLIT = (
    "split() received an invalid combination of arguments - got (Tensor, {got}, int), but "
    "expected one of:\n * (Tensor input, int split_size, int dim = 0)\n      didn't match "
    "because some of the arguments have invalid types: (Tensor, !{got}!, !int!)\n * (Tensor "
    "input, tuple of ints split_size, int dim = 0)\n      didn't match because some of the "
    "arguments have invalid types: (Tensor, !{got}!, !int!)\n"
)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _sizes(name: str, value, position: int, param: str = "split_sizes") -> list[int]:
    """A tuple-of-ints argument, with torch's TypeError for anything else."""
    where = f"{name}(): argument '{param}' (position {position}) must be tuple of ints"
    if not isinstance(value, list | tuple):
        raise TypeError(f"{where}, not {type(value).__name__}")
    for i, v in enumerate(value):
        if not _is_int(v):
            raise TypeError(f"{where}, but found element of type {type(v).__name__} at pos {i}")
    return list(value)


def _dim(name: str, dim) -> int:
    (dim,) = _arguments(name, (dim,), {}, (("dim", "int"),), first=2)
    return dim


def split(t: Tensor, split_size, dim: int = 0) -> tuple[Tensor, ...]:
    """Tensor.split: pieces of `split_size` along `dim` (the last may be shorter), or of the
    lengths in a list. A one-element tensor counts as its int (read at once)."""
    if isinstance(split_size, Tensor) and split_size.numel() == 1:
        split_size = int(split_size)
    if isinstance(split_size, bool):
        raise TypeError(_INVALID_SPLIT.format(got="bool"))
    if not _is_int(split_size):
        return split_with_sizes(t, _sizes("split_with_sizes", split_size, 2), dim)
    attrs = {"split_size": split_size, "dim": _dim("split", dim)}
    rules.infer("split", [t._meta], {**attrs, "index": 0})  # torch's checks, then the count
    size = t._meta.shape[rules.normalize_dim(attrs["dim"], t._meta.ndim)]
    pieces = rules.split_pieces(size, split_size)
    return tuple(t._call("split", [t], {**attrs, "index": i}) for i in range(pieces))


def split_with_sizes(t: Tensor, split_sizes, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of the given lengths along `dim`, which must sum to its size."""
    sizes = _sizes("split_with_sizes", split_sizes, 1)
    dim = _dim("split_with_sizes", dim)
    attrs = {"split_sizes": sizes, "dim": dim}
    if not sizes:  # no piece to check the arguments with: torch's sum check
        rules.infer("split_with_sizes", [t._meta], {**attrs, "index": 0})
    return tuple(t._call("split_with_sizes", [t], {**attrs, "index": i}) for i in range(len(sizes)))


def chunk(t: Tensor, chunks, dim: int = 0) -> tuple[Tensor, ...]:
    """`chunks` pieces or fewer: a split of ceil(size / chunks) (of empty pieces, for an
    empty dim: split_with_sizes, as torch's)."""
    chunks, dim = _arguments("chunk", (chunks, dim), {}, (("chunks", "int"), ("dim", "int")))
    if t._meta.ndim == 0:
        raise ShapeMismatch("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise ShapeMismatch(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    size = t._meta.shape[rules.normalize_dim(dim, t._meta.ndim)]
    if size == 0:
        return split_with_sizes(t, [0] * chunks, dim)
    return split(t, -(-size // chunks), dim)


_TENSOR_SPLIT_NAMES = ("indices", "sections", "tensor_indices_or_sections")
_TENSOR_SPLIT_OVERLOADS = (
    "tensor_split() received an invalid combination of arguments - got ({got}), but expected "
    "one of:\n * (tuple of ints indices, int dim = 0)\n * (Tensor tensor_indices_or_sections, "
    "int dim = 0)\n * (int sections, int dim = 0)\n"
)


def tensor_split(t: Tensor, *args, **kwargs) -> tuple[Tensor, ...]:
    """Tensor.tensor_split(sections | indices | tensor_indices_or_sections, dim=0): `sections`
    slices as even as can be (the first size % sections one longer), or the slices between
    consecutive `indices` (each a Python slice bound). An index tensor is read."""
    got = _types(args, kwargs)
    first = [*args[:1], *(kwargs.pop(n) for n in _TENSOR_SPLIT_NAMES if n in kwargs)]
    dims = [*args[1:], *([kwargs.pop("dim")] if "dim" in kwargs else [])]
    if kwargs or len(first) != 1 or len(dims) > 1:
        raise TypeError(_TENSOR_SPLIT_OVERLOADS.format(got=got))
    split_by, dim = first[0], (dims or [0])[0]
    if isinstance(split_by, Tensor):
        split_by = _index_tensor(split_by)
    if not (_is_int(split_by) or isinstance(split_by, list | tuple)) or not _is_int(dim):
        raise TypeError(_TENSOR_SPLIT_OVERLOADS.format(got=got))
    if t._meta.ndim == 0:
        raise ShapeMismatch(
            "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims"
        )
    size = t._meta.shape[rules.normalize_dim(dim, t._meta.ndim)]
    if _is_int(split_by):
        if split_by <= 0:
            raise ShapeMismatch(f"number of sections must be larger than 0, got {split_by}")
        shorter, longer = divmod(size, split_by)
        bounds = [0, *itertools.accumulate(shorter + (i < longer) for i in range(split_by))]
    else:
        bounds = [0, *_sizes("tensor_split", split_by, 1, "indices"), size]
    return tuple(
        t._call("slice", [t], {"dim": dim, "start": start, "end": end, "step": 1})
        for start, end in itertools.pairwise(bounds)
    )


def _types(args: tuple, kwargs: dict) -> str:
    return ", ".join(
        [type(a).__name__ for a in args] + [f"{k}={type(v).__name__}" for k, v in kwargs.items()]
    )


def _index_tensor(indices: Tensor) -> int | list[int]:
    """A 0-d int64 tensor as sections, a 1-d one as indices (read at once)."""
    if indices._meta.dtype != "int64":
        raise ShapeMismatch(
            "tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
            f"{rules.TORCH_TYPE_NAME[indices._meta.dtype]}"
        )
    if indices._meta.ndim > 1:
        raise ShapeMismatch(
            "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
            f"one-dimensional tensor, but got a tensor with {indices._meta.ndim} dims"
        )
    return indices.tolist()


def directional_split(name: str, t: Tensor, indices_or_sections) -> tuple[Tensor, ...]:
    """torch.hsplit (dim 1, or 0 for a 1-d tensor), vsplit (dim 0), dsplit (dim 2): an int
    must divide the dimension evenly; a list of indices is tensor_split's."""
    least = {"hsplit": 1, "vsplit": 2, "dsplit": 3}[name]
    ndim = t._meta.ndim
    if ndim < least:
        raise ShapeMismatch(
            f"torch.{name} requires a tensor with at least {least} dimension, but got a tensor "
            f"with {ndim} dimensions!"
        )
    dim = {"hsplit": 0 if ndim == 1 else 1, "vsplit": 0, "dsplit": 2}[name]
    if isinstance(indices_or_sections, list | tuple):
        return tensor_split(t, _sizes(name, indices_or_sections, 1, "indices"), dim)
    if not _is_int(indices_or_sections):
        got = type(indices_or_sections).__name__
        raise TypeError(
            f"{name}() received an invalid combination of arguments - got ({got}), but expected "
            f"one of:\n * (int sections)\n      didn't match because some of the arguments "
            f"have invalid types: (!{got}!)\n * (tuple of ints indices)\n      didn't match "
            f"because some of the arguments have invalid types: (!{got}!)\n"
        )
    size = t._meta.shape[dim]
    if indices_or_sections == 0 or size % indices_or_sections:
        raise ShapeMismatch(
            f"torch.{name} attempted to split along dimension {dim}, but the size of the "
            f"dimension {size} is not divisible by the split_size {indices_or_sections}!"
        )
    return tensor_split(t, indices_or_sections, dim)
