"""Torch-identical text rendering of tensors, implemented over numpy arrays.

This module reproduces, character for character, what ``repr(tensor)`` / ``str(tensor)``
print in torch 2.13.0 for dense CPU tensors of dtype float32, float64, the integers and bool,
without importing torch.  The rules it follows:

* Every element of a tensor is printed with one shared *element formatter*, right-aligned to
  a common width.  When the tensor is summarised, the formatter is chosen from the elements
  that will actually be shown (the ``edgeitems`` first and last slices of every dimension).
* Integer and bool elements are printed with ``str()``.
* Floating elements are judged on the nonzero finite values only (as the tensor's own dtype,
  converted exactly to Python floats):

  - *int mode* when every such value is integral: values print as ``"3."`` (``"%.0f"`` plus a
    dot; nan / inf get no dot);
  - *scientific mode* (unless forced by ``sci_mode``) when ``max / min > 1000``,
    ``max > 1e8`` or ``min < 1e-4`` over their absolute values: ``"%.{precision}e"``;
  - otherwise fixed point ``"%.{precision}f"``.

  With no nonzero finite value at all the tensor prints in int mode with width 1.
* Rows wrap so that ``(linewidth - indent) // (width + 2)`` elements share a line; nested
  dimensions are separated by ``","``, ``ndim - 1`` newlines and an indent of one space per
  nesting level beyond ``"tensor("``.
* Tensors with more than ``threshold`` elements are summarised with ``...`` in every
  dimension longer than ``2 * edgeitems``.
* Suffixes (``size=``, ``dtype=``, ``grad_fn=`` / ``requires_grad=True``) follow the body,
  each on the same line if it fits within ``linewidth``, else on a new indented line.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy
from gradrpc.engine.rules import default_float

__all__ = ["format_scalar", "format_tensor", "get_printoptions", "set_printoptions"]

_PREFIX = "tensor("
_NUMPY_DTYPES = {
    name: numpy.dtype(name).type
    for name in ("float32", "float64", "int64", "int32", "int16", "int8", "uint8", "bool")
}
# Dtypes whose name torch leaves out of a non-empty tensor's repr, besides the default float.
_IMPLICIT_DTYPES = {"int64", "bool"}


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_OPTIONS = _PrintOptions()

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(
    precision=None,
    threshold=None,
    edgeitems=None,
    linewidth=None,
    profile=None,
    sci_mode=None,
) -> None:
    """Set printing options exactly like ``torch.set_printoptions``.

    A known ``profile`` ("default", "short", "full") first resets precision, threshold,
    edgeitems and linewidth (an unknown one is ignored); explicit arguments then override it.
    ``sci_mode`` is always assigned, so omitting it restores automatic notation choice.
    """
    for name, value in _PROFILES.get(profile, {}).items():
        setattr(_OPTIONS, name, value)
    if precision is not None:
        _OPTIONS.precision = precision
    if threshold is not None:
        _OPTIONS.threshold = threshold
    if edgeitems is not None:
        _OPTIONS.edgeitems = edgeitems
    if linewidth is not None:
        _OPTIONS.linewidth = linewidth
    _OPTIONS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """Return the current options as a dict usable as ``set_printoptions(**options)``."""
    return dataclasses.asdict(_OPTIONS)


@dataclasses.dataclass(frozen=True)
class _ElementFormatter:
    """Formats one element as torch does, right-aligned to ``width`` characters."""

    floating: bool
    int_mode: bool = True
    sci_mode: bool = False
    width: int = 1

    def text(self, value) -> str:
        """Unpadded text of a Python scalar under this formatter's notation."""
        if not self.floating:
            return str(value)
        precision = _OPTIONS.precision
        if self.sci_mode:
            return f"{value:.{precision}e}"
        if self.int_mode:
            text = f"{value:.0f}"
            return text if math.isinf(value) or math.isnan(value) else text + "."
        return f"{value:.{precision}f}"

    def __call__(self, value) -> str:
        return self.text(value).rjust(self.width)


def _choose_formatter(sample: numpy.ndarray) -> _ElementFormatter:
    """Pick notation and width from the elements that will be shown (``sample``).

    Width is the longest element text, where for floats only nonzero finite values count
    (in int mode each counts one extra character for the trailing dot), with a minimum of 1.
    """
    flat = sample.reshape(-1)
    if flat.dtype.kind not in "fc":
        width = max((len(str(v)) for v in flat.tolist()), default=1)
        return _ElementFormatter(floating=False, width=max(width, 1))

    shown = flat[numpy.isfinite(flat) & (flat != 0)]
    if shown.size == 0:
        return _ElementFormatter(floating=True)

    int_mode = bool(numpy.all(shown == numpy.ceil(shown)))
    if _OPTIONS.sci_mode is None:
        magnitudes = numpy.abs(shown).astype(numpy.float64)
        smallest, largest = magnitudes.min(), magnitudes.max()
        with numpy.errstate(over="ignore"):
            spread = largest / smallest
        sci_mode = bool(spread > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4)
    else:
        sci_mode = bool(_OPTIONS.sci_mode)

    measure = _ElementFormatter(floating=True, int_mode=int_mode, sci_mode=sci_mode)
    width = max(len(measure.text(v)) for v in shown.tolist())
    return dataclasses.replace(measure, width=max(width, 1))


def _summary_sample(values: numpy.ndarray) -> numpy.ndarray:
    """The elements a summarised print shows: the edge slices of each long dimension.

    With ``edgeitems == 0`` a multi-dimensional tensor shows no element at all.
    """
    edge = _OPTIONS.edgeitems
    if values.ndim == 0:
        return values
    if values.ndim > 1 and not edge:
        return values[tuple(slice(0, 0) for _ in values.shape)]
    index = [
        numpy.r_[0:edge, n - edge : n] if n > 2 * edge else numpy.arange(n) for n in values.shape
    ]
    return values[numpy.ix_(*index)]


def _format_row(row: numpy.ndarray, indent: int, summarize: bool, fmt: _ElementFormatter) -> str:
    """Format a 1-d array, wrapping so each line holds ``(linewidth - indent) // (width + 2)``
    elements (at least one); a summary marker ``" ..."`` counts as an element."""
    edge = _OPTIONS.edgeitems
    per_line = max(1, math.floor((_OPTIONS.linewidth - indent) / (fmt.width + 2)))
    if summarize and not edge:
        items = ["..."]
    elif summarize and row.shape[0] > 2 * edge:
        head, tail = row[:edge].tolist(), row[-edge:].tolist()
        items = [fmt(v) for v in head] + [" ..."] + [fmt(v) for v in tail]
    else:
        items = [fmt(v) for v in row.tolist()]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _format_nested(
    values: numpy.ndarray, indent: int, summarize: bool, fmt: _ElementFormatter
) -> str:
    """Format an array of any rank; sub-arrays of rank ``k`` are separated by ``","``,
    ``k`` newlines and ``indent + 1`` spaces, long dimensions summarised by ``"..."``."""
    if values.ndim == 0:
        return fmt(values.item())
    if values.ndim == 1:
        return _format_row(values, indent, summarize, fmt)
    edge, count = _OPTIONS.edgeitems, values.shape[0]
    if summarize and count > 2 * edge:
        positions = [*range(edge), None, *range(count - edge, count)]
    else:
        positions = list(range(count))
    parts = [
        "..." if i is None else _format_nested(values[i], indent + 1, summarize, fmt)
        for i in positions
    ]
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _append_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Close ``tensor(`` after appending suffixes, each moved to a new line indented by
    ``indent`` when it would overflow ``linewidth``.

    The running line length deliberately mirrors torch's arithmetic, which counts the last
    line as two characters longer than it is when the text has a single line.
    """
    line_length = len(text) - text.rfind("\n") + 1
    pieces = [text]
    for suffix in suffixes:
        if line_length + len(suffix) + 2 > _OPTIONS.linewidth:
            pieces.append(",\n" + " " * indent + suffix)
            line_length = indent + len(suffix)
        else:
            pieces.append(", " + suffix)
            line_length += len(suffix) + 2
    return "".join(pieces) + ")"


def format_tensor(
    values: numpy.ndarray,
    *,
    dtype: str,
    requires_grad: bool = False,
    grad_fn: str | None = None,
) -> str:
    """Return exactly what torch prints for repr() of a tensor with these values.

    ``values`` is a numpy array of the tensor's dtype and shape; ``dtype`` is one of
    a gradrpc dtype name ("float32", "int32", ...).  ``grad_fn`` (e.g. "AddBackward0") prints as
    ``grad_fn=<AddBackward0>``; otherwise ``requires_grad=True`` prints as such.  Empty
    tensors print ``[]`` with ``size=`` (unless 1-d) and ``dtype=`` (unless the default
    float dtype); non-empty ones print ``size=`` only when ``edgeitems`` is 0 and ``dtype=``
    only for dtypes other than the default float dtype, int64 and bool.
    """
    if dtype not in _NUMPY_DTYPES:
        raise ValueError(f"unsupported dtype {dtype!r}; expected one of {sorted(_NUMPY_DTYPES)}")
    array = numpy.asarray(values, dtype=_NUMPY_DTYPES[dtype])
    indent = len(_PREFIX)
    suffixes = []
    if array.size == 0:
        if array.ndim != 1:
            suffixes.append(f"size={tuple(array.shape)}")
        if dtype != default_float():
            suffixes.append(f"dtype=torch.{dtype}")
        body = "[]"
    else:
        if not _OPTIONS.edgeitems:
            suffixes.append(f"size={tuple(array.shape)}")
        if dtype not in _IMPLICIT_DTYPES and dtype != default_float():
            suffixes.append(f"dtype=torch.{dtype}")
        summarize = array.size > _OPTIONS.threshold
        fmt = _choose_formatter(_summary_sample(array) if summarize else array)
        body = _format_nested(array, indent, summarize, fmt)
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _append_suffixes(_PREFIX + body, suffixes, indent)


def format_scalar(value, spec: str) -> str:
    """What ``format(t, spec)`` gives for a 0-d tensor ``t`` holding ``value``.

    Torch formats the Python number ``t.item()``, so ``value`` should be a numpy scalar (or
    0-d array) of the tensor's dtype, or that exact Python number: a float32 0.1 formats as
    ``0.10000000149011612`` with an empty spec.
    """
    if isinstance(value, (numpy.generic, numpy.ndarray)):
        value = value.item()
    return format(value, spec)
