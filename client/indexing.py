"""x[index] as torch applies basic indexing: one view op per index, left to right.

An int selects (`select`, SelectBackward0) and its dimension goes; a slice narrows
(`slice`, SliceBackward0); None inserts a dimension (`unsqueeze`); the first `...` stands for
the dimensions no other index names. Inside a tuple a slice that keeps its whole dimension
applies nothing, and an index that applies nothing at all is an `alias` (AliasBackward0); a
lone slice is always applied. Advanced indexing (tensors, lists, bools) is not supported yet.
"""

from __future__ import annotations

import operator

import numpy as np
from gradrpc.engine import rules
from gradrpc.engine.errors import Unsupported

Step = tuple[str, dict]


def advanced_indexing() -> Unsupported:
    """The error for an index that needs advanced indexing (tensors, lists, bools)."""
    return Unsupported(
        "gradrpc: advanced indexing (with tensors, lists or bools) is not supported yet"
    )


def plan(shape: tuple[int, ...], index) -> list[Step]:
    """The (op, attrs) steps that compute x[index] for an x of `shape`, or torch's error."""
    ndim = len(shape)
    if not isinstance(index, tuple):
        if ndim == 0 and isinstance(index, slice):
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        if ndim == 0 and _is_int(index):
            raise IndexError(
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"
            )
    items = index if isinstance(index, tuple) else (index,)
    for item in items:
        _check_kind(item)
    named = sum(item is not None and item is not Ellipsis for item in items)
    if named > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    sizes, dim, steps, expanded = list(shape), 0, [], False
    selected = 0  # dims already selected away: torch's errors count them
    for item in items:
        if item is Ellipsis:
            dim += 0 if expanded else ndim - named
            expanded = True
        elif item is None:
            steps.append(("unsqueeze", {"dim": dim}))
            sizes.insert(dim, 1)
            dim += 1
        elif isinstance(item, slice):
            step = _slice_step(item)
            start, end = rules.slice_bounds(
                sizes[dim],
                0 if item.start is None else operator.index(item.start),
                sizes[dim] if item.stop is None else operator.index(item.stop),
            )
            if not isinstance(index, tuple) or (start, end, step) != (0, sizes[dim], 1):
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
    return steps or [("alias", {})]


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
    if isinstance(item, bool | np.bool_ | list | tuple | np.ndarray):
        raise advanced_indexing()
    if isinstance(item, str):
        raise TypeError("new(): invalid data type 'str'")
    raise IndexError(
        "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
        f"valid indices (got {type(item).__name__})"
    )
