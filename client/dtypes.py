"""torch's dtype objects, `torch.Size` and the CPU device."""

from __future__ import annotations

import numpy as np
from gradrpc.engine.rules import default_float


class dtype:
    """An element type; printed as torch prints it (`torch.float32`)."""

    __slots__ = ("is_floating_point", "itemsize", "name")

    def __init__(self, name: str, itemsize: int):
        self.name = name
        self.itemsize = itemsize
        self.is_floating_point = name.startswith("float")

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))

    @property
    def is_signed(self) -> bool:
        return self.name not in ("bool", "uint8")


float32 = dtype("float32", 4)
float64 = dtype("float64", 8)
int64 = dtype("int64", 8)
int32 = dtype("int32", 4)
int16 = dtype("int16", 2)
int8 = dtype("int8", 1)
uint8 = dtype("uint8", 1)
bool_ = dtype("bool", 1)
DTYPES = {d.name: d for d in (float32, float64, int64, int32, int16, int8, uint8, bool_)}
NUMPY = {name: np.dtype(name).type for name in DTYPES}


class finfo:
    """torch.finfo: the limits of a floating dtype (the default float dtype if none), as
    NumPy knows them."""

    def __init__(self, type: dtype | None = None):
        if type is None:
            type = DTYPES[default_float()]
        if not isinstance(type, dtype) or not type.is_floating_point:
            raise TypeError(
                "torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                "'torch.finfo'"
            )
        info = np.finfo(type.name)
        self.dtype = type.name
        self.bits = int(info.bits)
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)

    def __eq__(self, other) -> bool:
        return isinstance(other, finfo) and self.dtype == other.dtype

    def __hash__(self) -> int:
        return hash(("finfo", self.dtype))

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:.6g}, min={self.min:.6g}, max={self.max:.6g}, "
            f"eps={self.eps:.6g}, smallest_normal={self.smallest_normal:.6g}, "
            f"tiny={self.tiny:.6g}, dtype={self.dtype})"
        )


class iinfo:
    """torch.iinfo: the limits of an integer dtype."""

    def __init__(self, type: dtype):
        if isinstance(type, dtype) and type.name == "bool":
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if not isinstance(type, dtype) or type.is_floating_point:
            raise TypeError(
                "torch.iinfo() requires an integer input type. Use torch.finfo to handle "
                "'torch.iinfo'"
            )
        info = np.iinfo(type.name)
        self.dtype = type.name
        self.bits, self.max, self.min = int(info.bits), int(info.max), int(info.min)

    def __eq__(self, other) -> bool:
        return isinstance(other, iinfo) and self.dtype == other.dtype

    def __hash__(self) -> int:
        return hash(("iinfo", self.dtype))

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:.6g}, max={self.max:.6g}, dtype={self.dtype})"


def _by_name(name: str) -> dtype:
    return DTYPES[name]


def from_numpy_dtype(np_dtype: np.dtype) -> dtype:
    """The dtype holding values of a NumPy dtype (uint16, uint32 and uint64 widen to int64)."""
    kind = np.dtype(np_dtype).kind
    if kind == "b":
        return bool_
    if kind in "iu":
        return DTYPES.get(np.dtype(np_dtype).name, int64)
    if kind == "f":
        return float64 if np.dtype(np_dtype).itemsize == 8 else float32
    raise TypeError(
        f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types are: "
        "float64, float32, int64, int32, int16, int8, uint64, uint32, uint16, uint8, and bool."
    )


def as_dtype(value) -> dtype:
    if isinstance(value, dtype):
        return value
    if isinstance(value, str) and value in DTYPES:
        return DTYPES[value]
    if value in (float,):
        return float64
    if value in (int,):
        return int64
    if value in (bool,):
        return bool_
    raise TypeError(f"dtype must be a gradrpc dtype such as torch.float32, not {value!r}")


class Size(tuple):
    """torch.Size: a tuple of ints printed as `torch.Size([2, 3])`."""

    def __repr__(self) -> str:
        return f"torch.Size([{', '.join(map(str, self))}])"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, index):
        out = super().__getitem__(index)
        return Size(out) if isinstance(index, slice) else out


DEVICE_TYPES = (
    "cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia",
    "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone",
)  # fmt: skip


class device:
    """A device, as torch names them. gradrpc computes on its server's CPU: naming another
    device is fine, creating a tensor there fails (see `check_available`)."""

    __slots__ = ("index", "type")

    def __init__(self, type: str = "cpu", index: int | None = None):
        if isinstance(type, device):
            type, index = type.type, type.index
        kind, _, number = str(type).partition(":")
        if kind not in DEVICE_TYPES:
            raise RuntimeError(
                f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of device "
                f"string: {type}"
            )
        self.type = kind
        self.index = int(number) if number else index

    def __repr__(self) -> str:
        return (
            f"device(type='{self.type}')"
            if self.index is None
            else (f"device(type='{self.type}', index={self.index})")
        )

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:  # a string is not equal to a device, in torch
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


def check_available(value) -> device:
    """The device `value` names, if tensors can live there (only the CPU)."""
    target = device(value)
    if target.type == "cuda":
        raise AssertionError("Torch not compiled with CUDA enabled")  # as CPU-only torch says
    if target.type != "cpu":
        raise RuntimeError(
            f"gradrpc computes on the server's CPU; device '{target}' is not available"
        )
    return target
