"""Tensor creation, bound to a session: `gradrpc.ones(...)` uses the default session,
`session.ones(...)` a given one. Factories run on the server; only `tensor` uploads values."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from gradrpc.engine import rules
from gradrpc.engine.errors import Unsupported
from gradrpc.v1 import gradrpc_pb2 as pb

from .dtypes import NUMPY, as_dtype, check_available, from_numpy_dtype
from .session import DTYPE_TO_ENUM, encode
from .tensor import Tensor, _is_ints, _sizes, got_arguments, int_argument, refuse_generator

__all__ = [
    "arange",
    "empty",
    "empty_like",
    "eye",
    "from_numpy",
    "full",
    "full_like",
    "linspace",
    "manual_seed",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "tensor",
    "zeros",
    "zeros_like",
]


def _dtype_name(dtype, default: str | None = None) -> str:
    """`dtype`'s name; absent, `default`'s, else the default float dtype's."""
    if dtype is not None:
        return as_dtype(dtype).name
    return default or rules.default_float()


def _check_device(value) -> None:
    if value is not None:
        check_available(value)


def _upload(session, array: np.ndarray, requires_grad: bool) -> Tensor:
    rules.check_requires_grad(array.dtype.name, requires_grad, "creation")
    handle = session.new_handle()
    upload = pb.UploadOperation(output=handle, value=encode(array), requires_grad=requires_grad)
    session.enqueue("tensor", pb.Operation(upload=upload), handle, nbytes=array.nbytes)
    return Tensor._make(session, handle, rules.meta(array.shape, array.dtype.name), requires_grad)


def _to_array(data, dtype) -> np.ndarray:
    """Values as torch.tensor reads them: Python floats become the default float dtype, NumPy
    arrays keep their type."""
    from_numpy = isinstance(data, np.ndarray | np.generic)
    try:
        array = np.asarray(data)
    except ValueError:  # nested sequences of uneven lengths
        _check_nesting(data)
        raise
    if array.dtype == object:
        _check_nesting(data)
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    if dtype is not None:
        name = as_dtype(dtype).name
        if not from_numpy and name in rules.SMALL_INTEGER_DTYPES and array.size:
            _check_fits(array, name)
    else:
        inferred = from_numpy_dtype(array.dtype)
        if inferred.name == "float64" and not from_numpy:
            inferred = as_dtype(rules.default_float())
        name = inferred.name
    with np.errstate(over="ignore"):  # a number beyond float32's range is inf, silently
        return array.astype(NUMPY[name], copy=dtype is not None)


def _check_fits(array: np.ndarray, dtype: str) -> None:
    """torch.tensor's refusal of a Python number that a smaller integer `dtype` cannot hold
    (c10's check: see rules.fits_integer)."""
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise RuntimeError(f"value cannot be converted to type {dtype} without overflow")
    cast = float if array.dtype.kind == "f" else int
    if not all(rules.fits_integer(cast(v), dtype) for v in (array.min(), array.max())):
        raise RuntimeError(f"value cannot be converted to type {dtype} without overflow")


def _check_nesting(data) -> None:
    """torch.tensor's errors for uneven nested sequences: the shape is read along the first
    elements (the last of which sets how a misplaced sequence is named), then every
    sequence must match it."""
    shape, probe = [], data
    while isinstance(probe, list | tuple):
        shape.append(len(probe))
        if not probe:
            break
        probe = probe[0]

    def check(item, dim: int) -> None:
        if dim == len(shape):
            if isinstance(item, list | tuple):  # a sequence where a number belongs
                kind = type(item).__name__
                if isinstance(probe, float):
                    raise TypeError(f"must be real number, not {kind}")
                raise TypeError(f"'{kind}' object cannot be interpreted as an integer")
            return
        if not isinstance(item, list | tuple):
            raise TypeError("not a sequence")
        if len(item) != shape[dim]:
            raise ValueError(
                f"expected sequence of length {shape[dim]} at dim {dim} (got {len(item)})"
            )
        for element in item:
            check(element, dim + 1)

    check(data, 0)


def tensor(
    session, data, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False
) -> Tensor:
    """A new leaf holding a copy of `data` (nested lists, numbers or NumPy arrays)."""
    _check_device(device)
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use "
            "sourceTensor.detach().clone() or sourceTensor.detach().clone().requires_grad_(True), "
            "rather than "
            "torch.tensor(sourceTensor).",
            UserWarning,
            stacklevel=3,
        )
        out = data.detach().clone().to(dtype) if dtype is not None else data.detach().clone()
        return out.requires_grad_(requires_grad) if requires_grad else out
    return _upload(session, _to_array(data, dtype), requires_grad)


def from_numpy(session, array: np.ndarray) -> Tensor:
    """A leaf holding a copy of a NumPy array (torch shares memory; a remote tensor cannot)."""
    return _upload(session, _to_array(np.asarray(array), from_numpy_dtype(array.dtype)), False)


def _factory(
    session,
    factory: str,
    shape: Sequence[int],
    dtype: str,
    requires_grad: bool,
    fill: float = 0.0,
    **fields,
) -> Tensor:
    """Queue a FactoryOperation (`fields`: the rest of its fields, arange's start and step,
    randint's low and high)."""
    bounds = (fields.get("low", 0), fields.get("high"))
    meta = rules.factory_meta(factory, shape, dtype, requires_grad, bounds)
    handle = session.new_handle()
    op = pb.FactoryOperation(
        output=handle,
        factory=factory,
        shape=meta.shape,
        dtype=DTYPE_TO_ENUM[dtype],
        fill_value=fill,
        requires_grad=requires_grad,
        **fields,
    )
    session.enqueue(factory, pb.Operation(factory=op), handle)
    return Tensor._make(session, handle, meta, requires_grad)


_DRAW_KEYWORDS = (  # torch's random factories' keywords, with a generator and without
    "*, torch.Generator generator, Tensor out = None, torch.dtype dtype = None, "
    "torch.layout layout = None, torch.device device = None, bool pin_memory = False, "
    "bool requires_grad = False",
    "*, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, "
    "torch.device device = None, bool pin_memory = False, bool requires_grad = False",
)
_RANDOM_SIGNATURES = tuple(f"tuple of ints size, {keywords}" for keywords in _DRAW_KEYWORDS)
_NO_SIZE = {
    name: f"{name}() received an invalid combination of arguments - got (), but expected one of:\n"
    + "".join(f" * ({signature})\n" for signature in _RANDOM_SIGNATURES)
    for name in ("rand", "randn")
}


def _simple(factory: str):
    def create(
        session, *size, dtype=None, device=None, requires_grad: bool = False, **ignored
    ) -> Tensor:
        if not size:
            raise TypeError(
                _NO_SIZE.get(
                    factory, f'{factory}() missing 1 required positional arguments: "size"'
                )
            )
        _check_device(device)
        return _factory(session, factory, _sizes(size), _dtype_name(dtype), requires_grad)

    create.__name__ = factory
    create.__doc__ = f"torch.{factory}(*size, dtype=None, requires_grad=False)"
    return create


zeros = _simple("zeros")
ones = _simple("ones")
empty = _simple("empty")
rand = _simple("rand")
randn = _simple("randn")


def random_integers(
    session,
    shape: Sequence[int],
    dtype: str,
    low: int,
    high: int | None,
    requires_grad: bool,
    stacklevel: int,
) -> Tensor:
    """A "randint" factory: integers drawn from [low, high) as torch's random_(low, high)
    draws them (see rules.random_range), with torch's warnings for a float range beyond the
    integers the dtype holds, at the frame `stacklevel` up (the user's line)."""
    out = _factory(
        session,
        "randint",
        shape,
        dtype,
        requires_grad,
        low=low,
        **({} if high is None else {"high": high}),
    )
    for message in rules.random_precision_warnings(low, high, dtype):
        warnings.warn(message, UserWarning, stacklevel=stacklevel)
    return out


_RANDINT_SIGNATURES = tuple(
    f"{bounds}, {signature}"
    for bounds in ("int high", "int low, int high")
    for signature in _RANDOM_SIGNATURES
)


def _argument_error(function: str, name: str, kind: str, value, position: int | None):
    where = f" (position {position})" if position else ""
    return TypeError(
        f"{function}(): argument '{name}'{where} must be {kind}, not {type(value).__name__}"
    )


def _overloads_error(function: str, args: tuple, kwargs: dict, signatures: Sequence[str]):
    return TypeError(
        f"{function}() received an invalid combination of arguments - got "
        f"({got_arguments(args, kwargs)}), but expected one of:\n"
        + "".join(f" * ({signature})\n" for signature in signatures)
    )


def randint(
    session, *args, generator=None, dtype=None, device=None, requires_grad: bool = False, **kwargs
) -> Tensor:
    """torch.randint(low=0, high, size): integers drawn uniformly from [low, high) on the
    server, by the session's generator (so not torch's numbers); int64 unless `dtype` says
    otherwise."""
    keywords = {k: kwargs.pop(k) for k in ("low", "high", "size") if k in kwargs}
    names = ("high", "size") if len(args) + len(keywords) == 2 else ("low", "high", "size")
    values = {**dict(zip(names, args, strict=False)), **keywords}
    low, high = int_argument(values.get("low", 0)), int_argument(values.get("high"))
    size = values.get("size")
    sized = isinstance(size, Sequence) and _is_ints(size)
    matched = not kwargs and len(args) <= len(names) and values.keys() == set(names)
    if matched and len(names) == 2:  # one signature: torch names the argument that fails
        for position, name, kind, fits in (
            (1, "high", "int", high is not None),
            (2, "size", "tuple of ints", sized),
        ):
            if not fits:
                where = None if name in keywords else position
                raise _argument_error("randint", name, kind, values[name], where)
    elif not (matched and low is not None and high is not None and sized):
        raise _overloads_error("randint", args, {**keywords, **kwargs}, _RANDINT_SIGNATURES)
    _check_device(device)
    refuse_generator(generator)
    dtype = _dtype_name(dtype, "int64")
    shape = _sizes((size,))  # stacklevel 4: random_integers, this, the module's wrapper, user
    return random_integers(session, shape, dtype, low, high, requires_grad, stacklevel=4)


def randperm(
    session, *args, generator=None, dtype=None, device=None, requires_grad: bool = False, **kwargs
) -> Tensor:
    """torch.randperm(n): a permutation of 0 to n - 1 drawn on the server by the session's
    generator (not torch's); int64 unless `dtype` says otherwise."""
    values = {**dict(zip(("n",), args, strict=False)), **kwargs}
    if len(args) > 1 or values.keys() != {"n"}:
        signatures = [f"int n, {keywords}" for keywords in _DRAW_KEYWORDS]
        raise _overloads_error("randperm", args, kwargs, signatures)
    n = int_argument(values["n"])
    if n is None:
        raise _argument_error("randperm", "n", "int", values["n"], None if kwargs else 1)
    _check_device(device)
    refuse_generator(generator)
    return _factory(session, "randperm", (n,), _dtype_name(dtype, "int64"), requires_grad)


def full(session, size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of `size` filled with `fill_value`; the dtype follows the value's type."""
    _check_device(device)
    default = (
        "bool" if isinstance(fill_value, bool) else "int64" if isinstance(fill_value, int) else None
    )
    name = _dtype_name(dtype, default)
    overflow = rules.scalar_overflow(fill_value, name)
    if overflow:
        raise RuntimeError(overflow)
    return _factory(session, "full", _sizes((size,)), name, requires_grad, float(fill_value))


def eye(
    session, n: int, m: int | None = None, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """The n x m identity matrix."""
    _check_device(device)
    return _factory(session, "eye", (n, n if m is None else m), _dtype_name(dtype), requires_grad)


def _triangle_indices(name: str, row, col, offset, dtype, device) -> np.ndarray:
    for param, position, value in (("row", 1, row), ("col", 2, col), ("offset", 3, offset)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(
                f"{name}(): argument '{param}' (position {position}) must be int, not "
                f"{type(value).__name__}"
            )
    _check_device(device)
    dtype = _dtype_name(dtype) if dtype is not None else "int64"
    if dtype != "int64":
        raise Unsupported(f"\"{name}\" not implemented for '{rules.TORCH_TYPE_NAME[dtype]}'")
    for param, value in (("row", row), ("col", col)):
        if value < 0:
            raise RuntimeError(f"{param} must be non-negative, got{value}")
    if name == "tril_indices":
        return np.stack(np.tril_indices(row, offset, col)).astype(np.int64)
    return np.stack(np.triu_indices(row, offset, col)).astype(np.int64)


def tril_indices(session, row, col, offset=0, *, dtype=None, device=None) -> Tensor:
    """The (row, column) positions of a row x col matrix's lower triangle from the
    `offset`-th diagonal, row by row: an int64 tensor of 2 rows."""
    array = _triangle_indices("tril_indices", row, col, offset, dtype, device)
    return _upload(session, array, False)


def triu_indices(session, row, col, offset=0, *, dtype=None, device=None) -> Tensor:
    """The (row, column) positions of a row x col matrix's upper triangle from the
    `offset`-th diagonal, row by row: an int64 tensor of 2 rows."""
    array = _triangle_indices("triu_indices", row, col, offset, dtype, device)
    return _upload(session, array, False)


_ARANGE_SIGNATURES = (
    "Number end, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, "
    "torch.device device = None, bool pin_memory = False, bool requires_grad = False",
    "Number start, Number end, *, torch.dtype dtype = None, torch.layout layout = None, "
    "torch.device device = None, bool pin_memory = False, bool requires_grad = False",
    "Number start, Number end, Number step = 1, *, Tensor out = None, torch.dtype dtype = None, "
    "torch.layout layout = None, torch.device device = None, bool pin_memory = False, "
    "bool requires_grad = False",
)


def arange(
    session, *bounds, dtype=None, device=None, requires_grad: bool = False, **ignored
) -> Tensor:
    """torch.arange(end), (start, end) or (start, end, step): start + i * step below end;
    int64 when every bound is an integer, else the default float dtype."""
    if not 1 <= len(bounds) <= 3:
        got = ", ".join(type(b).__name__ for b in bounds)
        raise TypeError(
            f"arange() received an invalid combination of arguments - got ({got}), but "
            "expected one of:\n" + "".join(f" * ({s})\n" for s in _ARANGE_SIGNATURES)
        )
    names = ("end",) if len(bounds) == 1 else ("start", "end", "step")
    numbers = []
    for position, (name, value) in enumerate(zip(names[: len(bounds)], bounds, strict=True), 1):
        number = value.item() if isinstance(value, Tensor) and value.ndim == 0 else value
        if isinstance(number, np.generic):
            number = number.item()
        if not isinstance(number, int | float):
            raise TypeError(
                f"arange(): argument '{name}' (position {position}) must be Number, not "
                f"{type(value).__name__}"
            )
        numbers.append(number)
    start, end, step = (0, numbers[0], 1) if len(numbers) == 1 else (*numbers, 1)[:3]
    _check_device(device)
    default = "int64" if all(isinstance(v, int) for v in (start, end, step)) else None
    dtype = _dtype_name(dtype, default)
    first, stride, n = rules.arange_plan(start, end, step, dtype)
    return _factory(
        session, "arange", (n,), dtype, requires_grad, start=float(first), step=float(stride)
    )


_LINSPACE_SIGNATURES = tuple(
    f"{start} start, {end} end, int steps, *, Tensor out = None, torch.dtype dtype = None, "
    "torch.layout layout = None, torch.device device = None, bool pin_memory = False, "
    "bool requires_grad = False"
    for start, end in (
        ("Tensor", "Tensor"),
        ("Number", "Tensor"),
        ("Tensor", "Number"),
        ("Number", "Number"),
    )
)


def linspace(
    session,
    start=None,
    end=None,
    steps=None,
    *,
    dtype=None,
    device=None,
    requires_grad: bool = False,
    **ignored,
) -> Tensor:
    """torch.linspace(start, end, steps): `steps` numbers from start to end inclusive, in the
    default float dtype unless `dtype` says otherwise (computed on the server as torch's CPU
    kernel computes them)."""
    args = [a for a in (start, end, steps) if a is not None]
    bounds = [a.item() if isinstance(a, Tensor) and a.ndim == 0 else a for a in (start, end)]
    bounds = [b.item() if isinstance(b, np.generic) else b for b in bounds]
    if not all(isinstance(b, int | float) for b in bounds) or type(steps) is not int:
        got = ", ".join(type(a).__name__ for a in args)
        raise TypeError(
            f"linspace() received an invalid combination of arguments - got ({got}), but "
            "expected one of:\n" + "".join(f" * ({s})\n" for s in _LINSPACE_SIGNATURES)
        )
    _check_device(device)
    dtype = _dtype_name(dtype)
    start, end = (float(b) for b in bounds)
    rules.check_linspace_bounds(start, end, dtype)
    return _factory(session, "linspace", (steps,), dtype, requires_grad, start=start, end=end)


def _like(factory: str):
    def create(
        session, input: Tensor, dtype=None, device=None, requires_grad: bool = False, **ignored
    ) -> Tensor:
        _check_device(device)
        return _factory(
            input._session,
            factory,
            input.shape,
            _dtype_name(dtype, input._meta.dtype),
            requires_grad,
        )

    create.__name__ = f"{factory}_like"
    create.__doc__ = f"torch.{factory}_like(input, dtype=None, requires_grad=False)"
    return create


zeros_like = _like("zeros")
ones_like = _like("ones")
empty_like = _like("empty")
rand_like = _like("rand")
randn_like = _like("randn")


def full_like(
    session, input: Tensor, fill_value, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    _check_device(device)
    return _factory(
        input._session,
        "full",
        input.shape,
        _dtype_name(dtype, input._meta.dtype),
        requires_grad,
        float(fill_value),
    )


def manual_seed(session, seed: int) -> None:
    """Seed the session's random generator (rand, randn)."""
    session.enqueue(
        "manual_seed",
        pb.Operation(manual_seed=pb.ManualSeedOperation(seed=int(seed) & (2**64 - 1))),
    )
