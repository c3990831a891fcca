"""torch.utils.data's `default_collate` (a list of samples to a batch) and `default_convert`
(NumPy values to tensors). Tensors are stacked with `gradrpc.stack`; numbers and NumPy
values become tensors on the default session."""

from __future__ import annotations

import collections
import copy
import re
from collections.abc import Callable

import gradrpc
import numpy as np

from ... import factories
from ...dtypes import float64
from ...session import default_session
from ...tensor import Tensor

__all__ = ["collate", "default_collate", "default_collate_fn_map", "default_convert"]

_STRING_OR_OBJECT = re.compile(r"[SaUO]")  # NumPy dtypes of strings and objects
default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _as_tensor(data) -> Tensor:
    """torch.as_tensor: a tensor as it is, anything else uploaded (NumPy values keep their
    dtype, as gradrpc holds it)."""
    return data if isinstance(data, Tensor) else factories.tensor(default_session(), data)


def default_convert(data):
    """NumPy arrays and scalars (but not arrays of strings or objects) as tensors, inside
    mappings, namedtuples and sequences too (a tuple becomes a list); anything else as it is."""
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if elem_type.__name__ == "ndarray" and _STRING_OR_OBJECT.search(data.dtype.str):
            return data
        return _as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update({key: default_convert(data[key]) for key in data})
                return clone
            return elem_type({key: default_convert(data[key]) for key in data})
        except TypeError:
            return {key: default_convert(data[key]) for key in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, str | bytes):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def collate(batch, *, collate_fn_map: dict[type | tuple[type, ...], Callable] | None = None):
    """The samples of `batch` merged element by element: an element whose type (or, in the
    map's order, a base of it) `collate_fn_map` names goes to that function; mappings,
    namedtuples and sequences are collated field by field (tuples become lists)."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update(
                    {
                        key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
                        for key in elem
                    }
                )
                return clone
            return elem_type(
                {
                    key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
                    for key in elem
                }
            )
        except TypeError:
            return {
                key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem
            }
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple
        return elem_type(
            *(
                collate(samples, collate_fn_map=collate_fn_map)
                for samples in zip(*batch, strict=False)
            )
        )
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(elem) == elem_size for elem in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch, strict=False))
        if isinstance(elem, tuple):
            return [collate(samples, collate_fn_map=collate_fn_map) for samples in transposed]
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, samples in enumerate(transposed):
                    clone[i] = collate(samples, collate_fn_map=collate_fn_map)
                return clone
            return elem_type(
                [collate(samples, collate_fn_map=collate_fn_map) for samples in transposed]
            )
        except TypeError:
            return [collate(samples, collate_fn_map=collate_fn_map) for samples in transposed]
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def collate_tensor_fn(batch, *, collate_fn_map=None) -> Tensor:
    return gradrpc.stack(batch, 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None) -> Tensor:
    """The arrays as tensors, stacked: arrays of one shape and dtype in one upload."""
    elem = batch[0]
    if _STRING_OR_OBJECT.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    if all(
        type(b) is np.ndarray and b.shape == elem.shape and b.dtype == elem.dtype for b in batch
    ):
        return _as_tensor(np.stack(batch))
    return collate([_as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None) -> Tensor:
    """NumPy scalars as one tensor: in one upload when they are of one type, else stacked in
    their promoted dtype."""
    if all(type(b) is type(batch[0]) for b in batch):
        return _as_tensor(np.array(batch))
    return gradrpc.stack([_as_tensor(np.asarray(b)) for b in batch])


def collate_float_fn(batch, *, collate_fn_map=None) -> Tensor:
    return factories.tensor(default_session(), batch, dtype=float64)


def collate_int_fn(batch, *, collate_fn_map=None) -> Tensor:
    return factories.tensor(default_session(), batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map: dict[type | tuple[type, ...], Callable] = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """A list of samples as one batch, as torch's: tensors stacked (a new first dim), NumPy
    arrays and scalars as tensors, floats as a float64 tensor, ints as an int64 tensor (bools
    as a bool one), strings and bytes as they are; mappings, namedtuples and sequences field by
    field (tuples become lists). Anything else is torch's TypeError."""
    return collate(batch, collate_fn_map=default_collate_fn_map)
