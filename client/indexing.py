"""x[index] as torch applies it: one view op per basic index, left to right, then one
`index` op for the advanced ones.

An int selects (`select`, SelectBackward0) and its dimension goes; a slice narrows
(`slice`, SliceBackward0); None inserts a dimension (`unsqueeze`); the first `...` stands for
the dimensions no other index names. Inside a tuple a slice that keeps its whole dimension
applies nothing, and an index that applies nothing at all is an `alias` (AliasBackward0); a
lone slice is always applied. Index tensors, lists and arrays (advanced indices) are
gathered in one `index` op (IndexBackward0) after the views, each at the dimension it names
there: an integer one as it is, a bool mask as the positions of its True elements (one
index per dimension it covers), a Python bool as an inserted dimension indexed by [0] (True)
or [] (False). A list holding a sequence, slice, None, `...` or tensor is read as a tuple,
with torch's deprecation warning.
"""

from __future__ import annotations

import operator
import warnings

import numpy as np
from gradrpc.engine import advanced_indexing, rules

Step = tuple[str, dict]

_SEQUENCE_AS_TUPLE = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed "
    "in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be "
    "interpreted as tensor index, x[torch.tensor(seq)], which will result either in an error "
    "or a different result (Triggered internally at "
    "/__w/pytorch/pytorch/torch/csrc/autograd/python_variable_indexing.cpp:349.)"
)


def plan(
    shape: tuple[int, ...], index, is_tensor, assigning: bool = False
) -> tuple[list[Step], list[tuple[int, object]]]:
    """The (op, attrs) view steps that compute x[index] for an x of `shape`, and the advanced
    indices to apply after them as (dim, int64 array or index tensor), dims increasing; or
    torch's error. `is_tensor(item)` tells an int64 index tensor of the caller's. For an
    assignment (`x[index] = v`) torch skips every whole slice and applies no `alias`: the
    steps may be none, and v is written into x itself."""
    if _sequence_as_tuple(index, is_tensor):
        warnings.warn(_SEQUENCE_AS_TUPLE, UserWarning, stacklevel=3)
        index = tuple(index)
    ndim = len(shape)
    if not isinstance(index, tuple):
        if ndim == 0 and isinstance(index, slice):
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        if ndim == 0 and _is_int(index):
            raise IndexError(
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"
            )
    items = [
        item if is_tensor(item) else _as_index(item)
        for item in (index if isinstance(index, tuple) else (index,))
    ]
    named = sum(_dims_named(item, is_tensor) for item in items)
    if named > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    sizes, dim, steps, expanded = list(shape), 0, [], False
    selected = 0  # dims already selected away: torch's errors count them
    advanced: list[tuple[int, object]] = []
    for item in items:
        if item is Ellipsis:
            dim += 0 if expanded else ndim - named
            expanded = True
        elif item is None or isinstance(item, bool):
            steps.append(("unsqueeze", {"dim": dim}))
            sizes.insert(dim, 1)
            if isinstance(item, bool):
                advanced.append((dim, np.zeros(int(item), np.int64)))
            dim += 1
        elif is_tensor(item) or isinstance(item, np.ndarray):
            advanced.append((dim, item))
            dim += item.ndim if getattr(item, "dtype", None) == np.bool_ else 1
        elif isinstance(item, slice):
            step = _slice_step(item)
            start, end = rules.slice_bounds(
                sizes[dim],
                0 if item.start is None else operator.index(item.start),
                sizes[dim] if item.stop is None else operator.index(item.stop),
            )
            lone = not isinstance(index, tuple) and not assigning
            if lone or (start, end, step) != (0, sizes[dim], 1):
                steps.append(("slice", {"dim": dim, "start": start, "end": end, "step": step}))
                sizes[dim] = -(-(end - start) // step)
            dim += 1
        else:
            position, size = operator.index(item), sizes[dim]
            if not -size <= position < size:
                raise IndexError(
                    f"index {position} is out of bounds for dimension {dim + selected} with "
                    f"size {size}"
                )
            steps.append(("select", {"dim": dim, "index": position % size}))
            del sizes[dim]
            selected += 1
    if not advanced:
        return steps or ([] if assigning else [("alias", {})]), []
    advanced = _masks_as_positions(advanced, sizes)
    _check_known(advanced, sizes)
    return steps, advanced


def _sequence_as_tuple(index, is_tensor) -> bool:
    """torch's (and old NumPy's) rule: a short non-tuple sequence holding a sequence, a
    slice, `...`, None or a tensor is a tuple of indices."""
    if not isinstance(index, list) or len(index) >= 32:
        return False
    return any(
        item is None
        or item is Ellipsis
        or isinstance(item, slice | list | tuple | np.ndarray)
        or is_tensor(item)
        for item in index
    )


def _as_index(item):
    """A list, tuple, range or array index as torch reads it: a bool array when all its
    elements are bools, else int64 (numbers truncated); other items as they are."""
    if isinstance(item, bool | np.bool_):
        return bool(item)
    if not isinstance(item, list | tuple | range | np.ndarray):
        _check_kind(item)
        return item
    array = np.asarray(item)
    if array.dtype.kind in "US":
        raise TypeError("new(): invalid data type 'str'")
    if array.dtype == np.bool_:
        return bool(array) if array.ndim == 0 else array
    if array.size and array.dtype.kind not in "iuf":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return array.astype(np.int64)


def _dims_named(item, is_tensor) -> int:
    """How many of x's dimensions an index item consumes (torch's count for `...`)."""
    if item is None or item is Ellipsis or isinstance(item, bool):
        return 0
    if isinstance(item, np.ndarray) and item.dtype == np.bool_:
        return item.ndim
    return 1


def check_mask_shape(mask_shape, sizes, dim: int) -> None:
    """torch's IndexError for a bool mask, indexing from `dim`, whose shape is not that of
    the indexed dims of a tensor of `sizes`."""
    for j, size in enumerate(mask_shape):
        if size != sizes[dim + j]:
            raise IndexError(
                f"The shape of the mask {list(mask_shape)} at index {j} does not match the "
                f"shape of the indexed tensor {list(sizes)} at index {dim + j}"
            )


def _masks_as_positions(advanced: list, sizes: list[int]) -> list[tuple[int, object]]:
    """Each bool mask replaced by the positions of its True elements, one int64 index per
    dimension it covers, after torch's check of its shape against the indexed tensor's."""
    out = []
    for dim, item in advanced:
        if not (isinstance(item, np.ndarray) and item.dtype == np.bool_):
            out.append((dim, item))
            continue
        check_mask_shape(item.shape, sizes, dim)
        out += [(dim + j, positions) for j, positions in enumerate(np.nonzero(item))]
    return out


def _check_known(advanced: list, sizes: list[int]) -> None:
    """Out-of-range values of indices known here, raised at the user's line (the server
    checks index tensors)."""
    known = [item for _, item in advanced]
    if not all(isinstance(item, np.ndarray) for item in known):
        return
    try:
        np.broadcast_shapes(*(item.shape for item in known))
    except ValueError:
        return  # the op's rule raises torch's error for these shapes
    advanced_indexing.positions([sizes[d] for d, _ in advanced], known)


def _is_int(item) -> bool:
    return isinstance(item, int | np.integer) and not isinstance(item, bool | np.bool_)


def _slice_step(item: slice) -> int:
    step = 1 if item.step is None else operator.index(item.step)
    if step == 0:
        raise ValueError("slice step cannot be zero")
    if step < 0:
        raise ValueError("step must be greater than zero")
    return step


def _check_kind(item) -> None:
    if item is None or item is Ellipsis or isinstance(item, slice) or _is_int(item):
        return
    if isinstance(item, str):
        raise TypeError("new(): invalid data type 'str'")
    raise IndexError(
        "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
        f"valid indices (got {type(item).__name__})"
    )
