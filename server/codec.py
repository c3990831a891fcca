"""Tensors on the wire: `TensorValue` (dtype enum, shape, raw little-endian bytes) <-> NumPy."""

from collections.abc import Sequence
from math import prod

import numpy as np
from gradrpc.engine.errors import InvalidValue
from gradrpc.engine.ops import NUMPY_DTYPES
from gradrpc.v1 import gradrpc_pb2 as pb

DTYPE_TO_ENUM = {
    "float32": pb.DATA_TYPE_FLOAT32,
    "float64": pb.DATA_TYPE_FLOAT64,
    "int64": pb.DATA_TYPE_INT64,
    "bool": pb.DATA_TYPE_BOOL,
    "int32": pb.DATA_TYPE_INT32,
    "int16": pb.DATA_TYPE_INT16,
    "int8": pb.DATA_TYPE_INT8,
    "uint8": pb.DATA_TYPE_UINT8,
}
ENUM_TO_DTYPE = {v: k for k, v in DTYPE_TO_ENUM.items()}
_WIRE = {name: dt.newbyteorder("<") for name, dt in NUMPY_DTYPES.items()}
MAX_DIMS = 64 if np.lib.NumpyVersion(np.__version__) >= "2.0.0" else 32
_MAX_BYTES = np.iinfo(np.intp).max


def dtype_name(enum: int) -> str:
    """The dtype name for a DataType enum value; unset or unknown values are errors."""
    try:
        return ENUM_TO_DTYPE[enum]
    except KeyError:
        raise InvalidValue(f"unsupported dtype enum value {enum}") from None


def check_shape(shape: Sequence[int], dtype: str) -> None:
    """Reject shapes no array can have: negative sizes, too many dimensions, or more bytes
    than an address space holds (zero-size dimensions included, as NumPy counts them)."""
    if any(s < 0 for s in shape):
        raise InvalidValue(f"negative dimension in shape {list(shape)}")
    if len(shape) > MAX_DIMS:
        raise InvalidValue(f"a tensor has at most {MAX_DIMS} dimensions, got {len(shape)}")
    if prod(max(s, 1) for s in shape) * NUMPY_DTYPES[dtype].itemsize > _MAX_BYTES:
        raise InvalidValue(f"storage size calculation overflowed with sizes={list(shape)}")


def to_array(value: pb.TensorValue) -> np.ndarray:
    """Decode a TensorValue, checking that its bytes fill its shape exactly."""
    dtype = dtype_name(value.dtype)
    shape = tuple(value.shape)
    check_shape(shape, dtype)
    expected = prod(shape) * NUMPY_DTYPES[dtype].itemsize
    if len(value.data) != expected:
        raise InvalidValue(
            f"a {dtype} tensor of shape {list(shape)} needs {expected} bytes, got {len(value.data)}"
        )
    array = np.frombuffer(value.data, dtype=_WIRE[dtype]).astype(NUMPY_DTYPES[dtype])
    if dtype == "bool" and array.size and array.view(np.uint8).max() > 1:
        raise InvalidValue("bool tensor bytes must be 0 or 1")
    return array.reshape(shape)


def to_value(array: np.ndarray) -> pb.TensorValue:
    """Encode an array as a TensorValue."""
    dtype = array.dtype.name
    data = np.ascontiguousarray(array, dtype=_WIRE[dtype]).tobytes()
    return pb.TensorValue(dtype=DTYPE_TO_ENUM[dtype], shape=array.shape, data=data)
