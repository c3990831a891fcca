"""torch's scatter family on the client: Tensor.scatter, scatter_add and scatter_reduce, their
in-place forms and torch.<name> functions, bound as torch's argument parser binds them; and
index_put (index_put_, torch.index_put), the scatter that advanced indexing names.

scatter has four overloads, tried in torch's order: (dim, index, src), the same with the
keyword-only legacy `reduce`, then (dim, index, value) with and without it; when none fits,
torch's TypeError lists them. The engine's ops (scatter, scatter_value, scatter_add,
scatter_reduce) do torch's checks; an in-place form computes the op and adopts its result.
"""

from __future__ import annotations

import warnings

from . import dtypes
from .indexing import check_mask_shape
from .tensor import (
    _WARNED,
    UINT8_INDEX_WARNING,
    Tensor,
    _arguments,
    _is_int,
    _number,
    _warn_if_expanded,
)

_DEPRECATED_REDUCE = (
    "The reduce argument of torch.scatter with Tensor src is deprecated and will be removed "
    "in a future PyTorch release. Use torch.scatter_reduce instead for more reduction "
    "options. (Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/"
    "TensorAdvancedIndexing.cpp:225.)"
)
# scatter's overloads: the third argument's name and kind, and whether `reduce` is taken
_OVERLOADS = (("src", "Tensor", False), ("src", "Tensor", True))
_OVERLOADS += (("value", "Number", False), ("value", "Number", True))


def _fits(kind: str, value) -> bool:
    if kind == "int":
        return _is_int(value)
    if kind == "Tensor":
        return isinstance(value, Tensor)
    if kind == "str":
        return isinstance(value, str)
    # a Number: a Python or NumPy number, or a 0-d tensor that does not require grad
    if isinstance(value, Tensor):
        return value.ndim == 0 and not value.requires_grad
    return _number(value) is not None


def _params(third: str, kind: str, reduce: bool) -> tuple[tuple[str, str], ...]:
    params = (("dim", "int"), ("index", "Tensor"), (third, kind))
    return (*params, ("reduce", "str")) if reduce else params


def _bind(params: tuple, args: tuple, kwargs: dict) -> dict | None:
    """The arguments by name if they fit these params (the first three positional, reduce
    keyword-only), else None."""
    if len(args) > 3:
        return None
    bound = dict(zip((name for name, _ in params), args, strict=False))
    kinds = dict(params)
    for name, value in kwargs.items():
        if name in bound or name not in kinds:
            return None
        bound[name] = value
    if len(bound) != len(params) or not all(_fits(kinds[n], v) for n, v in bound.items()):
        return None
    return bound


def _overload_error(name: str, args: tuple, kwargs: dict, function: bool) -> TypeError:
    """torch's TypeError when no overload of scatter fits: each listed, with the reason it
    did not match for those without keyword-only arguments that take as many arguments
    (torch.scatter's all have some: its `out`)."""
    kinds = [type(a).__name__ for a in args]
    kinds += [f"{k}={type(v).__name__}" for k, v in kwargs.items()]
    message = (
        f"{name}() received an invalid combination of arguments - got ({', '.join(kinds)}), "
        "but expected one of:\n"
    )
    for third, kind, reduce in _OVERLOADS:
        params = _params(third, kind, False)
        listed = ", ".join(f"{k} {n}" for n, k in params)
        if function:
            reduced = "str reduce, " if reduce else ""
            message += f" * (Tensor input, {listed}, *, {reduced}Tensor out = None)\n"
            continue
        message += f" * ({listed}, *, str reduce)\n" if reduce else f" * ({listed})\n"
        if reduce or len(args) + len(kwargs) != 3:
            continue
        names = dict(params)
        wrong = [k for k in kwargs if k not in names]
        if wrong:
            message += (
                "      didn't match because some of the keywords were incorrect: "
                f"{', '.join(wrong)}\n"
            )
            continue
        marked = [
            f"!{type(a).__name__}!" if not _fits(k, a) else type(a).__name__
            for a, (_, k) in zip(args, params, strict=False)
        ]
        marked += [
            f"{k}={type(v).__name__}" if _fits(names[k], v) else f"!{k}={type(v).__name__}!"
            for k, v in kwargs.items()
        ]
        message += (
            "      didn't match because some of the arguments have invalid types: "
            f"({', '.join(marked)})\n"
        )
    return TypeError(message)


def bind_scatter(t: Tensor, args: tuple, kwargs: dict, in_place: bool = False) -> Tensor:
    """t.scatter(dim, index, src) or (dim, index, value), with or without the legacy
    `reduce` (torch's deprecation warning, once, for a src): ScatterBackward0 or
    ScatterBackward1 (the legacy reduce: torch's NotImplemented node)."""
    name = "scatter_" if in_place else "scatter"
    for third, kind, reduce in _OVERLOADS:
        bound = _bind(_params(third, kind, reduce), args, kwargs)
        if bound is not None:
            break
    else:
        raise _overload_error(name, args, kwargs, function=False)
    attrs = {"dim": int(bound["dim"]), "reduce": bound.get("reduce", "")}
    index = t._coerce(bound["index"])
    if third == "src":
        src = t._coerce(bound["src"])
        if reduce and "scatter reduce" not in _WARNED:
            _WARNED.add("scatter reduce")
            warnings.warn(_DEPRECATED_REDUCE, UserWarning, stacklevel=3)
        operands, op, grad = [t, index, src], "scatter", src.requires_grad
    else:
        value = bound["value"]
        value = value.item() if isinstance(value, Tensor) else _number(value)
        operands, op, grad, attrs["value"] = [t, index], "scatter_value", False, value
    return _maybe_in_place(t, name if in_place else None, op, operands, attrs, grad)


def _maybe_in_place(t: Tensor, in_place: str | None, op: str, operands: list, attrs: dict, grad):
    """The op's result, or with the in-place form's name, t adopting it (see Tensor._adopt)."""
    if in_place is None:
        return t._call(op, operands, attrs)
    return t._in_place_of(in_place, lambda: t._call(op, operands, attrs), grad)


def scatter_function(input, *args, **kwargs) -> Tensor:
    """torch.scatter(input, dim, index, src or value, *, reduce): input.scatter(...)."""
    if not isinstance(input, Tensor):
        raise _overload_error("scatter", (input, *args), kwargs, function=True)
    try:
        return bind_scatter(input, args, kwargs)
    except TypeError as e:
        if not str(e).startswith("scatter() received an invalid combination"):
            raise
        raise _overload_error("scatter", (input, *args), kwargs, function=True) from None


def bind_scatter_add(t: Tensor, args: tuple, kwargs: dict, first: int = 1, in_place: bool = False):
    """t.scatter_add(dim, index, src): src added at the index's positions along dim
    (ScatterAddBackward0)."""
    name = "scatter_add_" if in_place else "scatter_add"
    params = (("dim", "int"), ("index", "Tensor"), ("src", "Tensor"))
    dim, index, src = _arguments(name, args, kwargs, params, first, required=3)
    index, src = t._coerce(index), t._coerce(src)
    operands, in_place_name = [t, index, src], name if in_place else None
    return _maybe_in_place(
        t, in_place_name, "scatter_add", operands, {"dim": dim}, src.requires_grad
    )


def bind_scatter_reduce(
    t: Tensor, args: tuple, kwargs: dict, first: int = 1, in_place: bool = False
):
    """t.scatter_reduce(dim, index, src, reduce, *, include_self=True): src reduced into the
    index's positions by 'sum', 'prod', 'mean', 'amax' or 'amin' (ScatterReduceBackward0)."""
    name = "scatter_reduce_" if in_place else "scatter_reduce"
    params = (
        ("dim", "int"),
        ("index", "Tensor"),
        ("src", "Tensor"),
        ("reduce", "str"),
        ("include_self", "bool", True),
    )
    dim, index, src, reduce, include_self = _arguments(
        name, args, kwargs, params, first, required=4, positional=4
    )
    index, src = t._coerce(index), t._coerce(src)
    attrs = {"dim": dim, "reduce": reduce, "include_self": include_self}
    operands, in_place_name = [t, index, src], name if in_place else None
    return _maybe_in_place(t, in_place_name, "scatter_reduce", operands, attrs, src.requires_grad)


def bind_index_put(t: Tensor, args: tuple, kwargs: dict, first: int = 1, in_place: bool = False):
    """t.index_put(indices, values, accumulate=False): t with values (of t's dtype, broadcast
    to t[indices]'s shape) written, or added, at the positions a tuple of index tensors names
    along t's leading dims (IndexPutBackward0); a bool mask stands for its nonzero positions
    (read, one round trip). torch's checks in its order: the indices' count and dtypes, a
    mask's shape, the indices' broadcast and the values' shape, then their dtype."""
    name = "index_put_" if in_place else "index_put"
    params = (("indices", "Tensors"), ("values", "Tensor"), ("accumulate", "bool", False))
    indices, values, accumulate = _arguments(name, args, kwargs, params, first, required=2)
    for i, index in enumerate(indices):
        if not isinstance(index, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument {first - 1}, but got "
                f"{type(index).__name__}"
            )
    if not indices:
        raise RuntimeError("sym_strides() called on an undefined Tensor")
    shape = t._meta.shape
    count = sum(max(i.ndim, 1) if i.dtype is dtypes.bool_ else 1 for i in indices)
    if count > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)} (got {count})")
    positions, dims = [], []
    for index in indices:
        d = len(dims)
        if index.dtype is dtypes.uint8:  # a deprecated mask
            if len(indices) == 1 and not accumulate and values.ndim == 0:  # torch's masked_fill_
                raise RuntimeError(
                    "masked_fill_ only supports boolean masks, but got mask with dtype unsigned "
                    "char"
                )
            warnings.warn(UINT8_INDEX_WARNING, UserWarning, stacklevel=3)
            index = index.bool()
        if index.dtype is dtypes.bool_:
            if index.ndim == 0:
                raise NotImplementedError("gradrpc: index_put with a 0-d bool index")
            check_mask_shape(index.shape, shape, d)
            positions += index.nonzero(as_tuple=True)
            dims += range(d, d + index.ndim)
        elif index.dtype in (dtypes.int64, dtypes.int32):
            positions.append(t._coerce(index).long())
            dims.append(d)
        else:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    values = t._coerce(values)
    attrs = {"dims": dims, "accumulate": accumulate}
    if in_place:
        _warn_if_expanded(t, "index_put_")
    in_place_name = name if in_place else None
    operands = [t, values, *positions]
    return _maybe_in_place(t, in_place_name, "index_put", operands, attrs, values.requires_grad)
