"""torch.save and torch.load in torch's own file format, without torch.

A checkpoint is a zip archive, as torch.save has written it since 1.6: `<name>/data.pkl`, the
pickled object, in which each tensor is a call of `torch._utils._rebuild_tensor_v2` (a
Parameter: `_rebuild_parameter` around one) whose storage is a persistent id naming the record
`<name>/data/<key>` that holds its elements (little-endian); then `.format_version`,
`.storage_alignment`, `byteorder`, `version` and `.data/serialization_id`, every record's data
starting at a multiple of 64 bytes, as torch's writer aligns them. `save` writes the torch names
by hand (no torch import) and fetches every tensor's values in one round trip per session;
`load` reads with a restricted unpickler that rebuilds gradrpc tensors from the file's storages
and refuses any other global, as torch's `weights_only` loader does.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import pickle
import re
import secrets
import struct
import warnings
import zipfile
from collections import Counter, OrderedDict
from collections.abc import Callable
from functools import cache
from typing import ClassVar

import numpy as np

from . import factories
from .dtypes import DEVICE_TYPES, DTYPES, Size, device, dtype
from .nn.modules import Module
from .nn.parameter import Parameter
from .optim import Optimizer
from .tensor import Tensor

ALIGNMENT = 64
FILE_FORMAT_VERSION = "3\n"  # the `version` record torch 2.x writes
STORAGE_OF_DTYPE = {
    "float32": "FloatStorage",
    "float64": "DoubleStorage",
    "int64": "LongStorage",
    "int32": "IntStorage",
    "int16": "ShortStorage",
    "int8": "CharStorage",
    "uint8": "ByteStorage",
    "bool": "BoolStorage",
}
# The element type of each storage class a file may name.
STORAGE_ELEMENTS = {storage: name for name, storage in STORAGE_OF_DTYPE.items()}
UNSUPPORTED_STORAGES = {
    "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16",
    "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128",
    "QInt8Storage": "qint8",
    "QInt32Storage": "qint32",
    "QUInt8Storage": "quint8",
    "QUInt4x2Storage": "quint4x2",
    "QUInt2x4Storage": "quint2x4",
}
UNSAFE_MESSAGE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` "
    "from `False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will "
    "likely succeed, but it can result in arbitrary code execution. Do it only if you got the "
    "file from a trusted source."
)
DOCS_MESSAGE = (
    "\n\nCheck the documentation of torch.load to learn more about types accepted by default with "
    "weights_only https://pytorch.org/docs/stable/generated/torch.load.html."
)
MINIZ_NOTE = (
    " This is an internal miniz error. If you are seeing this error, there is a high likelihood "
    "that your checkpoint file is corrupted. This can happen if the checkpoint was not saved "
    "properly, was transferred incorrectly, or the file was modified after saving."
)
BLOCKED_MODULES = ("sys", "os", "posix", "nt")
CPU_ONLY = (
    "If you are running on a CPU-only machine, please use torch.load with "
    "map_location=torch.device('cpu') to map your storages to the CPU."
)


# ---------------------------------------------------------------- safe globals


_safe_globals: set = set()


def add_safe_globals(safe_globals: list) -> None:
    """Allow these globals (callables, or (callable, "module.name") pairs) in weights_only
    loads, as torch.serialization.add_safe_globals does."""
    _safe_globals.update(safe_globals)


def get_safe_globals() -> list:
    return list(_safe_globals)


def clear_safe_globals() -> None:
    _safe_globals.clear()


@contextlib.contextmanager
def safe_globals(globals_: list):
    """The globals allowed within the block only."""
    added = set(globals_) - _safe_globals
    _safe_globals.update(added)
    try:
        yield
    finally:
        _safe_globals.difference_update(added)


def _user_allowed_globals() -> dict[str, object]:
    named = {}
    for entry in _safe_globals:
        if isinstance(entry, tuple):
            entry, path = entry
        else:
            path = f"{entry.__module__}.{entry.__qualname__}"
        named[path] = entry
    return named


# ---------------------------------------------------------------- save


class _Global:
    """A global that the pickle names (GLOBAL module name) without importing it."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self, *args):
        """Never called: pickle's save_reduce checks only that the function is callable."""
        raise TypeError(f"{self.module}.{self.name} is torch's; gradrpc only names it")


@cache
def _global(path: str) -> _Global:
    """One object per name, so that the pickle's memo writes each name once, as torch's does."""
    module, _, name = path.rpartition(".")
    return _Global(module, name)


class _StorageOf:
    """The storage a saved tensor's values go to: the record `data/<key>`."""

    __slots__ = ("key", "tensor")

    def __init__(self, key: str, tensor: Tensor):
        self.key, self.tensor = key, tensor


class _DataOf:
    """A Parameter's data: the tensor rebuilt without requires_grad, inside `_rebuild_parameter`."""

    __slots__ = ("tensor",)

    def __init__(self, tensor: Tensor):
        self.tensor = tensor


def _contiguous_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


def _save_global(pickler: pickle._Pickler, obj: _Global) -> None:
    if pickler.proto >= 4:
        pickler.save(obj.module)
        pickler.save(obj.name)
        pickler.write(pickle.STACK_GLOBAL)
    else:
        pickler.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
    pickler.memoize(obj)


def _save_dtype(pickler: pickle._Pickler, obj: dtype) -> None:
    pickler.save(_global(f"torch.{obj.name}"))


class _TorchPickler(pickle._Pickler):
    """pickle's Python pickler writing gradrpc tensors, Parameters, dtypes, Size and devices as
    torch pickles its own; `storages` collects the tensors whose values the records hold."""

    dispatch: ClassVar[dict] = {
        **pickle._Pickler.dispatch,
        _Global: _save_global,
        dtype: _save_dtype,
    }

    def __init__(self, file, protocol: int):
        super().__init__(file, protocol)
        self.storages: list[_StorageOf] = []

    def persistent_id(self, obj):
        if type(obj) is not _StorageOf:
            return None
        meta = obj.tensor._meta
        storage = _global(f"torch.{STORAGE_OF_DTYPE[meta.dtype]}")
        return ("storage", storage, obj.key, "cpu", meta.numel)

    def _rebuilt(self, tensor: Tensor, requires_grad: bool) -> tuple:
        storage = _StorageOf(str(len(self.storages)), tensor)
        self.storages.append(storage)
        shape = tuple(tensor.shape)
        arguments = (storage, 0, shape, _contiguous_strides(shape), requires_grad, OrderedDict())
        return _global("torch._utils._rebuild_tensor_v2"), arguments

    def reducer_override(self, obj):
        if type(obj) in self.dispatch:
            return NotImplemented
        if type(obj) is _DataOf:
            return self._rebuilt(obj.tensor, False)
        if isinstance(obj, Parameter):
            arguments = (_DataOf(obj), obj.requires_grad, OrderedDict())
            return _global("torch._utils._rebuild_parameter"), arguments
        if isinstance(obj, Tensor):
            return self._rebuilt(obj, obj.requires_grad)
        if isinstance(obj, Size):
            return _global("torch.Size"), (tuple(obj),)
        if isinstance(obj, device):
            return _global("torch.device"), (obj.type,) + (
                () if obj.index is None else (obj.index,)
            )
        if isinstance(obj, Module | Optimizer) or (
            type(obj).__module__.split(".")[0] == "gradrpc" and not isinstance(obj, type)
        ):
            raise NotImplementedError(
                f"gradrpc.save: a {type(obj).__name__} has no counterpart in torch's file format "
                "(gradrpc saves tensors, Parameters, dtypes, Size and devices, in containers "
                "and Python values); save a module's or an optimizer's state_dict() instead"
            )
        return NotImplemented


def _fetch_values(storages: list[_StorageOf]) -> list[np.ndarray]:
    """Every storage's values: one round trip per session that holds some."""
    by_session: dict = {}
    for index, storage in enumerate(storages):
        tensor = storage.tensor
        tensor._session.check_usable(tensor._handle)
        by_session.setdefault(tensor._session, []).append((index, tensor._handle))
    values: list = [None] * len(storages)
    for session, wanted in by_session.items():
        fetched = session.flush(tuple(handle for _, handle in wanted))
        for (index, _), value in zip(wanted, fetched, strict=True):
            values[index] = value
    return values


def _archive_name(f) -> str:
    """torch's name for the archive's folder: the file name without its extension, or
    "archive" for a file object."""
    if isinstance(f, str | os.PathLike):
        return os.path.splitext(os.path.basename(os.fspath(f)))[0]
    return "archive"


def _write_record(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    """A stored record whose data starts at a multiple of ALIGNMENT in the file: its local
    header carries an "FB" extra field of padding, as torch's writer's does."""
    info = zipfile.ZipInfo(name)
    zip64 = len(data) * 1.05 > zipfile.ZIP64_LIMIT  # zipfile then adds a 20-byte extra field
    header = 30 + len(name.encode()) + 4 + (20 if zip64 else 0)
    padding = -(archive.fp.tell() + header) % ALIGNMENT
    info.extra = b"FB" + struct.pack("<H", padding) + b"Z" * padding
    archive.writestr(info, data)


def save(
    obj,
    f,
    pickle_module=pickle,
    pickle_protocol: int = 2,
    _use_new_zipfile_serialization: bool = True,
    _disable_byteorder_record: bool = False,
) -> None:
    """torch.save(obj, f): `obj` pickled into torch's zip format, at a path or into a binary
    file object; torch.load reads it (with weights_only=True when `obj` holds tensors,
    containers and Python values). The tensors' values come in one round trip per session."""
    if not isinstance(f, str | os.PathLike) and not hasattr(f, "write"):
        raise AttributeError(
            "expected 'f' to be string, path, or a file-like object with a 'write' attribute"
        )
    if not _use_new_zipfile_serialization:
        raise NotImplementedError(
            "gradrpc.save writes torch's zip format only (_use_new_zipfile_serialization=True)"
        )
    if pickle_module is not pickle:
        raise NotImplementedError("gradrpc.save pickles with the standard pickle module only")
    if isinstance(f, str | os.PathLike):
        parent = os.path.dirname(os.fspath(f))
        if parent and not os.path.isdir(parent):
            raise RuntimeError(f"Parent directory {parent} does not exist.")
    pickled = io.BytesIO()
    pickler = _TorchPickler(pickled, pickle_protocol)
    pickler.dump(obj)
    values = _fetch_values(pickler.storages)

    def records():
        yield "data.pkl", pickled.getvalue()
        yield ".format_version", b"1"
        yield ".storage_alignment", str(ALIGNMENT).encode()
        if not _disable_byteorder_record:
            yield "byteorder", b"little"
        for storage, value in zip(pickler.storages, values, strict=True):
            yield f"data/{storage.key}", value.astype(value.dtype.newbyteorder("<")).tobytes()
        yield "version", FILE_FORMAT_VERSION.encode()
        if _disable_byteorder_record:  # torch's writer still adds one, at the end
            yield "byteorder", b"little"
        serialization_id = f"{secrets.randbits(64):020d}{secrets.randbits(64):020d}"
        yield ".data/serialization_id", serialization_id.encode()

    is_path = isinstance(f, str | os.PathLike)
    with open(f, "wb") if is_path else contextlib.nullcontext(f) as file:
        with zipfile.ZipFile(file, "w") as archive:
            for name, data in records():
                _write_record(archive, f"{_archive_name(f)}/{name}", data)
        if not is_path:
            file.flush()


# ---------------------------------------------------------------- load


class _Storage:
    """A storage read from the file: its elements, flat, in the file's byte order. It stands
    for torch's storage where a map_location function gets one."""

    __slots__ = ("elements",)

    def __init__(self, elements: np.ndarray):
        self.elements = elements

    def cpu(self) -> _Storage:
        return self


class _NoCounterpart(pickle.UnpicklingError):
    """A torch global that gradrpc cannot rebuild."""


def _check_location(location: str) -> None:
    """Raise unless a storage's (mapped) location is the CPU, with torch's errors for the
    devices CPU-only torch lacks."""
    if location == "cpu":
        return
    if re.match("cuda(:|[0-9]+|$)", location):
        raise RuntimeError(
            "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() "
            f"is False. {CPU_ONLY}"
        )
    if location.partition(":")[0] in DEVICE_TYPES:
        raise RuntimeError(
            f"gradrpc computes on the server's CPU; device '{location}' is not available"
        )
    raise RuntimeError(
        "don't know how to restore data location of torch.storage.UntypedStorage (tagged with "
        f"{location})"
    )


def _restorer(map_location) -> Callable[[_Storage, str], None]:
    """What torch's map_location does to a storage saved at a location, for gradrpc: check
    that it ends on the CPU."""
    if map_location is None:
        return lambda storage, location: _check_location(location)
    if isinstance(map_location, dict):
        return lambda storage, location: _check_location(map_location.get(location, location))
    if isinstance(map_location, str | device) or (
        type(map_location).__module__ == "torch" and type(map_location).__name__ == "device"
    ):
        return lambda storage, location: _check_location(str(map_location))

    def restore(storage: _Storage, location: str) -> None:
        result = map_location(storage, location)
        if result is None:
            _check_location(location)
        elif result is not storage:
            raise TypeError(
                f"gradrpc.load: map_location returned a {type(result).__name__}; gradrpc's "
                "storages stay on the server's CPU (return the storage given, or None)"
            )

    return restore


def _weights_only_message(message: str) -> str:
    """torch.load's account of an error of its weights_only unpickler."""
    if re.search(r"GLOBAL (\S+) was not an allowed global by default.", message):
        return (
            "Weights only load failed. This file can still be loaded, to do so you have two "
            "options, \033[1mdo those steps only if you trust the source of the checkpoint"
            f"\033[0m. \n\t(1) {UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with "
            "`weights_only=True` please check the recommended steps in the following error "
            f"message.\n\tWeightsUnpickler error: {message}{DOCS_MESSAGE}"
        )
    updated = f"Weights only load failed. {UNSAFE_MESSAGE}\n"
    if not re.search(r"whose module (\S+) is blocked", message):
        updated += (
            "Please file an issue with the following so that we can make `weights_only=True` "
            "compatible with your use case: WeightsUnpickler error: "
        )
    return f"{updated}\n\n{message}{DOCS_MESSAGE}"


def _refused_global(path: str, module: str) -> pickle.UnpicklingError:
    if module in BLOCKED_MODULES:
        return pickle.UnpicklingError(
            f"Trying to load unsupported GLOBAL {path} whose module {module} is blocked."
        )
    if path.startswith("builtins."):
        path = path[len("builtins.") :]
    return pickle.UnpicklingError(
        f"Unsupported global: GLOBAL {path} was not an allowed global by default. Please use "
        f"`torch.serialization.add_safe_globals([{path}])` or the "
        f"`torch.serialization.safe_globals([{path}])` context manager to allowlist this global "
        "if you trust this class/function."
    )


def _check_view(offset: int, size: tuple, stride: tuple, storage_size: int) -> None:
    """Raise torch's errors for a view that does not lie within its loaded storage."""
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    if min(size, default=0) < 0:
        raise RuntimeError("numel: integer multiplication overflow")
    if len(size) != len(stride) or min(stride, default=0) < 0:
        raise RuntimeError(
            f"Storage size calculation overflowed with sizes={list(size)} and "
            f"strides={list(stride)}"
        )
    reach = sum((n - 1) * s for n, s in zip(size, stride, strict=True))
    if 0 not in size and offset + reach >= storage_size:
        raise RuntimeError("Trying to resize storage that is not resizable")


def _unpickler(file, load_args: dict, weights_only: bool, base: type, session, records, restore):
    """An unpickler of `file` (a `base` made with `load_args`) that rebuilds torch's tensors as
    gradrpc tensors on `session` from the storages `records(name)` holds, and finds only the
    globals gradrpc rebuilds: with weights_only, those and the ones allowlisted; otherwise also
    any outside torch."""
    loaded: dict[str, _Storage] = {}
    wire = "<" if records.byteorder == "little" else ">"

    def rebuild_tensor(
        storage, offset, size, stride, requires_grad, backward_hooks=None, metadata=None
    ) -> Tensor:
        """torch._utils._rebuild_tensor_v2: the view's elements, copied into a tensor."""
        elements = storage.elements
        _check_view(offset, size, stride, elements.size)
        view = np.lib.stride_tricks.as_strided(
            elements[offset:],
            shape=tuple(size),
            strides=tuple(s * elements.itemsize for s in stride),
        )
        kind = elements.dtype.newbyteorder("=")
        values = np.array(view, dtype=kind)
        return factories._upload(session, values, bool(requires_grad))

    def rebuild_parameter(data, requires_grad, backward_hooks=None) -> Parameter:
        return Parameter(data, requires_grad)

    rebuilders = {
        "torch._utils._rebuild_tensor_v2": rebuild_tensor,
        "torch._utils._rebuild_parameter": rebuild_parameter,
    }

    class Unpickler(base):
        def find_class(self, module: str, name: str):
            path = f"{module}.{name}"
            if module == "torch" and name in UNSUPPORTED_STORAGES:
                raise TypeError(
                    f"gradrpc.load: can't load torch.{UNSUPPORTED_STORAGES[name]} tensors "
                    f"(torch.{name}). The only supported types are: float64, float32, int64, "
                    "int32, int16, int8, uint8, and bool."
                )
            found = rebuilders.get(path, _LOADABLE.get(path))
            if found is not None:
                return found
            if module == "torch" or module.startswith("torch."):
                raise _NoCounterpart(
                    f"gradrpc.load cannot rebuild {path}: it reads tensors, Parameters, "
                    "torch.Size, torch.device and the dtypes (floating, integer and bool), "
                    "in containers and Python values (save a module's state_dict(), not the "
                    "module)"
                )
            if not weights_only:
                return super().find_class(module, name)
            allowed = _user_allowed_globals()
            if path in allowed:
                return allowed[path]
            raise _refused_global(path, module)

        def persistent_load(self, saved_id):
            if not (
                type(saved_id) is tuple
                and len(saved_id) == 5
                and saved_id[0] in ("storage", b"storage")
                and type(saved_id[1]) is _StorageType
            ):
                raise pickle.UnpicklingError(
                    f"Only persistent_load of storage is allowed, but got {saved_id!r}"
                )
            _, storage_type, key, location, numel = saved_id
            location = location.decode() if isinstance(location, bytes) else location
            if key not in loaded:
                kind = storage_type.elements.newbyteorder(wire)
                data = records(f"data/{key}")
                nbytes = int(numel) * kind.itemsize
                if len(data) != nbytes:
                    raise RuntimeError(
                        f"record size ({len(data)} bytes) does not match expected size "
                        f"({nbytes} bytes = {nbytes} elements * 1 bytes/element) for dtype Byte"
                    )
                storage = _Storage(np.frombuffer(data, dtype=kind))
                restore(storage, location)
                loaded[key] = storage
            return loaded[key]

    return Unpickler(file, **load_args)


class _StorageType:
    """A storage class the file names (torch.FloatStorage, ...): its elements' NumPy type."""

    __slots__ = ("elements",)

    def __init__(self, elements: str):
        self.elements = np.dtype(elements)


_LOADABLE: dict[str, object] = {
    "collections.OrderedDict": OrderedDict,
    "collections.Counter": Counter,
    "builtins.set": set,
    "builtins.complex": complex,
    "builtins.bytearray": bytearray,
    "_codecs.encode": codecs.encode,  # how protocol 2 writes bytes
    "torch.Size": Size,
    "torch.device": device,
    **{f"torch.{name}": d for name, d in DTYPES.items()},
    **{f"torch.{name}": _StorageType(e) for name, e in STORAGE_ELEMENTS.items()},
}


def _check_seekable(f) -> None:
    """torch's check, with its wording, that a file object can be read from anywhere."""
    try:
        f.seek(f.tell())
    except (io.UnsupportedOperation, AttributeError) as e:
        if "seek" in str(e) or "tell" in str(e):
            raise type(e)(
                f"{e}. You can only torch.load from a file that is seekable. Please pre-load the "
                "data into a buffer like io.BytesIO and try to load from it instead."
            ) from None
        raise


def load(
    f,
    map_location=None,
    pickle_module=None,
    *,
    weights_only: bool | None = None,
    mmap: bool | None = None,
    session=None,
    **pickle_load_args,
):
    """torch.load(f, map_location=None, *, weights_only=True): the object a torch zip
    checkpoint holds (torch.save's or gradrpc.save's), its tensors uploaded to `session` (the
    default session; `session.load(...)` names one) without a round trip. Storages must end on
    the CPU: map_location may be None, "cpu", a device, a dict of location tags or a function
    of (storage, location) that returns the storage or None."""
    if weights_only is None:
        weights_only = pickle_module is None
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if pickle_load_args and weights_only:
        warnings.warn("pickle_load_args only works if `weights_only=False`.", stacklevel=2)
    is_path = isinstance(f, str | os.PathLike)
    if mmap and not is_path:
        raise ValueError("f must be a file path in order to use the mmap argument")
    if session is None:
        from .session import default_session

        session = default_session()
    with open(f, "rb") if is_path else contextlib.nullcontext(f) as file:
        if not is_path:
            _check_seekable(file)
        start = file.tell()
        head = file.read(4)
        file.seek(start)
        if head == b"":
            raise EOFError
        if head != b"PK\x03\x04":
            raise RuntimeError(
                "gradrpc.load reads torch's zip checkpoint format (torch.save's default since "
                "torch 1.6) only, and this file is not a zip archive: if torch.save wrote it with "
                "_use_new_zipfile_serialization=False, load it with torch and save it again"
            )
        try:
            archive = zipfile.ZipFile(file)
        except zipfile.BadZipFile:
            short = file.seek(0, io.SEEK_END) - start < 22  # no room for an end record
            problem = "not a ZIP archive" if short else "failed finding central directory"
            raise RuntimeError(
                f"PytorchStreamReader failed reading zip archive: {problem}.{MINIZ_NOTE}"
            ) from None
        with archive:
            records = _Records(archive)
            base = pickle.Unpickler if weights_only else (pickle_module or pickle).Unpickler
            load_args = {"encoding": pickle_load_args.get("encoding", "utf-8")}
            unpickler = _unpickler(
                io.BytesIO(records("data.pkl")),
                load_args if weights_only else {**load_args, **pickle_load_args},
                weights_only,
                base,
                session,
                records,
                _restorer(map_location),
            )
            try:
                return unpickler.load()
            except pickle.UnpicklingError as e:
                if not weights_only or isinstance(e, _NoCounterpart):
                    raise
                raise pickle.UnpicklingError(_weights_only_message(str(e))) from None


class _Records:
    """The records of a torch archive by name (under its folder, whatever it is called), with
    torch's errors for a missing one, and its byte order."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        names = archive.namelist()
        first = names[0] if names else ""
        if "/" not in first:
            raise RuntimeError(
                "[enforce fail at inline_container.cc:180] . file in archive is not in a "
                f"subdirectory: {first}"
            )
        self.prefix = first.split("/")[0] + "/"
        self.names = set(names)
        if not self.has("version") and not self.has(".data/version"):
            raise RuntimeError(
                'Expected hasRecord("version") to be true, but got false.  (Could this error '
                "message be improved?  If so, please report an enhancement request to PyTorch.)"
            )
        self.byteorder = self("byteorder").decode() if self.has("byteorder") else "little"
        if self.byteorder not in ("little", "big"):
            raise ValueError("Unknown endianness type: " + self.byteorder)

    def has(self, name: str) -> bool:
        return self.prefix + name in self.names

    def __call__(self, name: str) -> bytes:
        if not self.has(name):
            raise RuntimeError(
                f"PytorchStreamReader failed locating file {name}: file not found.{MINIZ_NOTE}"
            )
        return self.archive.read(self.prefix + name)


__all__ = [
    "add_safe_globals",
    "clear_safe_globals",
    "get_safe_globals",
    "load",
    "safe_globals",
    "save",
]
