"""torch functions composed of other ops, as torch's own C++ composes them (so the same
nodes record): chain_matmul, cov, corrcoef, atleast_1d/2d/3d, broadcast_tensors,
combinations, unravel_index, vander, trapezoid, trapz, cumulative_trapezoid and histogram;
and the factories logspace and range."""

from __future__ import annotations

import itertools
import math
import operator
import warnings

import gradrpc
import numpy as np
from gradrpc.engine import rules

from . import return_types
from .combining import _at_least
from .grad_mode import no_grad
from .tensor import _WARNED, Tensor


def _scalar(op: str, tensor: Tensor, number: float) -> Tensor:
    """`tensor op number` by the op's Scalar overload (MulBackward1, DivBackward1), as
    torch's C++ compositions record it."""
    return tensor._call(op, [tensor, number], {"scalar_overload": True})


def chain_matmul(*matrices) -> Tensor:
    """The product of the matrices (deprecated, with torch's warning): one is cloned, more go
    through linalg.multi_dot's left-to-right mm chain, viewed at the end."""
    if "chain_matmul" not in _WARNED:
        _WARNED.add("chain_matmul")
        warnings.warn(
            "torch.chain_matmul is deprecated and will be removed in a future PyTorch "
            "release. Use torch.linalg.multi_dot instead, which accepts a list of two or more "
            "tensors rather than multiple parameters. (Triggered internally at "
            "/__w/pytorch/pytorch/aten/src/ATen/native/LinearAlgebra.cpp:1102.)",
            UserWarning,
            stacklevel=2,
        )
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for m in matrices:
        if m.dim() != 2:
            raise RuntimeError(f"Tensor dimension is {m.dim()}, expected 2 instead.")
    if len(matrices) == 1:
        return matrices[0].clone()
    product = matrices[0]
    for m in matrices[1:]:
        product = product.mm(m)
    return product.view(product.shape)


def _weights_checked(name: str, w: Tensor, observations: int, integral: bool) -> None:
    if w.dim() > 1:
        raise RuntimeError(
            f"cov(): expected {name} to have one or fewer dimensions but got {name} with "
            f"{w.dim()} dimensions"
        )
    kind, wanted = (
        (rules.is_integer, "integral") if integral else (rules.is_float, "floating point")
    )
    if not kind(w._meta.dtype):
        raise RuntimeError(
            f"cov(): expected {name} to have {wanted} dtype but got {name} with "
            f"{rules.TORCH_TYPE_NAME[w._meta.dtype]} dtype"
        )
    if w.numel() != observations:
        raise RuntimeError(
            f"cov(): expected {name} to have the same numel as there are observations in the "
            f"input but got {w.numel()} != {observations}"
        )


def cov(input: Tensor, *, correction: int = 1, fweights=None, aweights=None) -> Tensor:
    """torch.cov as aten composes it: rows are variables, columns observations, weighted by
    fweights · aweights; the weights' signs, their sum and the degrees of freedom are read
    (one round trip, where weights are given), as torch checks them."""
    if input.dim() > 2:
        raise RuntimeError(
            "cov(): expected input to have two or fewer dimensions but got an input with "
            f"{input.dim()} dimensions"
        )
    if input._meta.dtype == "bool":
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.view(1, -1) if input.dim() < 2 else input
    observations = x.shape[1]
    w = None
    for name, given, integral in (("fweights", fweights, True), ("aweights", aweights, False)):
        if given is not None:
            _weights_checked(name, given, observations, integral)
            w = given if w is None else w * given
    if w is None:
        w_sum = observations
        norm_factor = w_sum - correction
    else:
        w_sum = w.sum()
        with no_grad():
            checks = [w_sum]
            for given in (fweights, aweights):
                if given is not None and observations:
                    checks.append(given.amin())
            if aweights is not None and correction:
                checks.append((w * aweights).sum())
        read = input._session.flush(tuple(t._handle for t in checks))
        for name, given in (("fweights", fweights), ("aweights", aweights)):
            if given is not None and observations and read.pop(1) < 0:
                raise RuntimeError(f"cov(): {name} cannot be negative")
        if read[0] == 0:
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
        norm_factor = read[0] - correction * (read[1] / read[0] if len(read) > 1 else 1)
    avg = (x if w is None else x * w).sum(1) / w_sum
    if norm_factor <= 0:
        warnings.warn(
            "cov(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "number of observations. (Triggered internally at "
            "/__w/pytorch/pytorch/aten/src/ATen/native/Correlation.cpp:129.)",
            UserWarning,
            stacklevel=3,
        )
        norm_factor = 0
    x = x - avg.unsqueeze(1)
    c = x.mm((x if w is None else x * w).t())
    return c.true_divide(norm_factor).squeeze()


def corrcoef(input: Tensor) -> Tensor:
    """torch.corrcoef: cov normalized by the variables' standard deviations, clipped."""
    c = cov(input)
    if c.dim() == 0:
        return c / c
    stddev = c.diagonal().sqrt()
    c = c / stddev.view(-1, 1)
    c = c / stddev.view(1, -1)
    return c.clip(-1, 1)


def _at_least_all(name: str, ndim: int, tensors):
    """atleast_Nd of one tensor, or of each of several (given apart or as one sequence)."""
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return _at_least(tensors[0], ndim)
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tensors[0]
    for value in tensors:
        if not isinstance(value, Tensor):
            got = type(value).__name__
            raise TypeError(
                f"{name}() received an invalid combination of arguments - got ({got}), but "
                "expected one of:\n * (Tensor input)\n      didn't match because some of the "
                f"arguments have invalid types: (!{got}!)\n * (tuple of Tensors tensors)\n"
                "      didn't match because some of the arguments have invalid types: "
                f"(!{got}!)\n"
            )
    return tuple(_at_least(t, ndim) for t in tensors)


def atleast_1d(*tensors):
    """Each tensor with at least one dim (a 0-d one viewed as size 1)."""
    return _at_least_all("atleast_1d", 1, tensors)


def atleast_2d(*tensors):
    """Each tensor with at least two dims (a vector as a row)."""
    return _at_least_all("atleast_2d", 2, tensors)


def atleast_3d(*tensors):
    """Each tensor with at least three dims (a vector as (1, n, 1), a matrix (n, m, 1))."""
    return _at_least_all("atleast_3d", 3, tensors)


def broadcast_tensors(*tensors) -> tuple:
    """The tensors expanded to their common shape (ExpandBackward0); one that has it already
    is returned itself, as torch's expand_outplace does."""
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}"
            )
    shape = rules.broadcast_shapes(*(t._meta.shape for t in tensors)) if tensors else ()
    return tuple(t if t._meta.shape == shape else t.expand(shape) for t in tensors)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The length-r combinations of a vector's elements (with_replacement: of the elements
    repeated), as rows in itertools' order: the picked elements stacked (StackBackward0)."""
    if input.dim() != 1:
        raise RuntimeError(
            f"Expect a 1D vector, but got shape [{', '.join(map(str, input.shape))}]"
        )
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input.new_empty(0)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = np.array(list(pick(range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    from .factories import from_numpy

    columns = [from_numpy(input._session, np.ascontiguousarray(rows[:, i])) for i in range(r)]
    return input._call("stack", [input[c] for c in columns], {"dim": 1})


def unravel_index(indices: Tensor, shape) -> tuple:
    """The coordinates in `shape` of each flat index (negative ones counted from the end),
    as int64 tensors of indices's shape, one per dim."""
    if not isinstance(indices, Tensor):
        raise AttributeError(f"'{type(indices).__name__}' object has no attribute 'is_complex'")
    if not rules.is_integer(indices._meta.dtype):
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    sizes = (shape,) if isinstance(shape, int) else tuple(shape)
    if any(s < 0 for s in sizes):
        raise ValueError(f"'shape' cannot have negative values, but got {tuple(sizes)}")
    total = math.prod(sizes)
    flat = indices.long().remainder(total) if total else indices.long()
    coordinates = []
    for size in reversed(sizes):
        coordinate = flat.remainder(size)
        coordinates.append(coordinate)
        flat = ((flat - coordinate).double() / size).long()  # exact below 2^53
    return tuple(reversed(coordinates))


def vander(x: Tensor, N=None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix of a vector: columns x^0 ... x^(N-1) (cumulative products
    written into ones), in x's dtype promoted with int64, reversed (FlipBackward0) unless
    increasing."""
    if x.dim() != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    dtype = rules.promote_types(x._meta.dtype, "int64")
    result = x._session.ones(x.shape[0], n, dtype=dtype)
    if n > 1:  # written into the ones (CopySlices), as torch's cumprod_out
        result[:, 1:] = x.to(dtype).unsqueeze(1).expand(x.shape[0], n - 1).cumprod(1)
    return result if increasing else result.flip(1)


def _trapezoid_dim(y: Tensor, dim: int) -> int:
    if y.dim() == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return rules.normalize_dim(dim, y.dim())


def _zeros_without(y: Tensor, dim: int) -> Tensor:
    shape = [s for i, s in enumerate(y.shape) if i != dim]
    return y._session.zeros(shape, dtype=y.dtype)


def _x_spacing(y: Tensor, x: Tensor, dim: int, name: str) -> Tensor:
    """x's differences along dim, x (1-d, one value per sample) viewed along dim."""
    if x.dim() == 1:
        if x.shape[0] != y.shape[dim]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        sizes = [1] * y.dim()
        sizes[dim] = x.shape[0]
        x = x.view(sizes)
    elif x.dim() < y.dim():
        x = x.view((1,) * (y.dim() - x.dim()) + tuple(x.shape))
    length = x.shape[dim]
    return x.narrow(dim, 1, length - 1) - x.narrow(dim, 0, length - 1)


def _pair_sums(y: Tensor, dim: int) -> Tensor:
    length = y.shape[dim]
    return y.narrow(dim, 1, length - 1) + y.narrow(dim, 0, length - 1)


def trapezoid(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """∫ y along dim by the trapezoidal rule, at spacing dx (default 1) or at sample points x,
    as aten composes it."""
    dim = _trapezoid_dim(y, dim)
    if x is not None and dx is not None:
        raise TypeError("trapezoid() received an invalid combination of arguments")
    if y.shape[dim] == 0:
        return _zeros_without(y, dim)
    if isinstance(x, Tensor):
        dx_tensor = _x_spacing(y, x, dim, "trapezoid")
        return _scalar("div", (dx_tensor * _pair_sums(y, dim)).sum(dim), 2.0)
    spacing = 1.0 if dx is None else float(dx)
    lead = (slice(None),) * dim
    ends = y[(*lead, 0)] + y[(*lead, -1)]
    return _scalar("mul", y.sum(dim) - _scalar("mul", ends, 0.5), spacing)


def trapz(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """torch.trapz: trapezoid."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The running trapezoidal integral of y along dim (one fewer element), at spacing dx or
    at sample points x."""
    dim = _trapezoid_dim(y, dim)
    if y.shape[dim] == 0:
        return _zeros_without(y, dim)
    if isinstance(x, Tensor):
        dx_tensor = _x_spacing(y, x, dim, "cumulative_trapezoid")
        return _scalar("div", (dx_tensor * _pair_sums(y, dim)).cumsum(dim), 2.0)
    spacing = 1.0 if dx is None else float(dx)
    return _scalar("mul", _pair_sums(y, dim), spacing / 2.0).cumsum(dim)


def histogram(input: Tensor, bins=100, *, range=None, weight=None, density: bool = False):
    """(hist, bin_edges): counts (or weight sums; with density, divided by their total and
    the bins' widths) of input's elements in `bins` equal bins over range (the data's
    extremes, read in one round trip, when not given) or between the edges of a 1-d `bins`
    tensor; each bin holds [left, right), the last [left, right]. No history."""
    dtype = input._meta.dtype
    if not rules.is_float(dtype):
        raise NotImplementedError(
            f"\"histogramdd\" not implemented for '{rules.TORCH_TYPE_NAME[dtype]}'"
        )
    if weight is not None and tuple(weight.shape) != tuple(input.shape):
        raise RuntimeError(
            "torch.histogramdd: if weight tensor is provided it should have the same shape as "
            "the input tensor excluding its innermost dimension, but got input with shape "
            f"[{input.numel()}, 1] and weight with shape [{', '.join(map(str, weight.shape))}]"
        )
    with no_grad():
        flat = input.reshape(-1)
        if isinstance(bins, Tensor):
            edges = _tensor_edges(input, bins)
        else:
            edges = _linear_edges(input, flat, operator.index(bins), range)
        count = edges.shape[0] - 1
        found = gradrpc.searchsorted(edges, flat, right=True)
        position = (found - 1).clamp(0, max(count - 1, 0))
        inside = (flat >= edges[0]) & (flat <= edges[-1])
        amounts = inside.to(dtype) if weight is None else weight.reshape(-1) * inside
        hist = input._session.zeros(count, dtype=dtype).scatter_add(0, position, amounts)
        if density:
            hist = hist / (hist.sum() * (edges[1:] - edges[:-1]))
    return return_types.histogram((hist, edges))


def _tensor_edges(input: Tensor, bins: Tensor) -> Tensor:
    if bins.dim() != 1:
        raise RuntimeError(
            "torch.histogramdd: bins tensor should have one dimension, but got "
            f"{bins.dim()} dimensions in the bins tensor for dimension 0"
        )
    if bins._meta.dtype != input._meta.dtype:
        raise RuntimeError(
            "torch.histogramdd: input tensor and bins tensors should have the same dtype, but "
            f"got input with dtype {rules.C_TYPE_NAME[input._meta.dtype]} and bins for "
            f"dimension 0 with dtype {rules.C_TYPE_NAME[bins._meta.dtype]}"
        )
    return bins


def _linear_edges(input: Tensor, flat: Tensor, bins: int, range) -> Tensor:
    """bins + 1 equal-width edges over range, else over the data's extremes (widened by 0.5
    each way where they are equal; [0, 1] for no data)."""
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if range is not None:
        low, high = (float(v) for v in range)
        if low > high:
            raise RuntimeError(
                f"torch.histogramdd: min should not exceed max, but got min {low:g} max "
                f"{high:g} for dimension 0"
            )
    elif flat.numel():
        extremes = flat.amin(), flat.amax()
        low, high = (float(v) for v in input._session.flush(tuple(t._handle for t in extremes)))
    else:
        low, high = 0.0, 0.0
    if not (math.isfinite(low) and math.isfinite(high)):
        raise RuntimeError(
            f"torch.histogramdd: dimension 0's range [{low:g}, {high:g}] is not finite"
        )
    if low == high:
        low, high = (0.0, 1.0) if not flat.numel() and range is None else (low - 0.5, high + 0.5)
    return input._session.linspace(low, high, bins + 1, dtype=input.dtype)


_RANGE_WARNING = (
    "torch.range is deprecated and will be removed in a future release because its behavior "
    "is inconsistent with Python's range builtin. Instead, use torch.arange, which produces "
    "values in [start, end)."
)


def range_(session, start=0, end=None, step=1, *, dtype=None, requires_grad=False, **ignored):
    """torch.range (deprecated, with torch's warning): start, start + step, ... up to end
    inclusive, in the default float dtype unless `dtype` says otherwise."""
    from .factories import _dtype_name, _factory

    warnings.warn(_RANGE_WARNING, UserWarning, stacklevel=3)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = math.floor((end - start) / step) + 1
    return _factory(
        session,
        "arange",
        (n,),
        _dtype_name(dtype),
        requires_grad,
        start=float(start),
        step=float(step),
    )


def logspace(
    session, start, end, steps, base=10.0, *, dtype=None, requires_grad=False, **ignored
) -> Tensor:
    """base ** e for `steps` exponents e from start to end, as torch's CPU kernel computes
    them (the exponents in the dtype, from both ends; the power in float64), uploaded."""
    from .factories import _dtype_name, _upload

    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    name = _dtype_name(dtype)
    np_dtype = np.dtype(name)
    if np_dtype.kind == "f":
        first, last = np_dtype.type(start), np_dtype.type(end)
        step = (last - first) / np_dtype.type(max(steps - 1, 1))
    else:
        first, last = np.float64(math.trunc(start)), np.float64(math.trunc(end))
        step = (last - first) / max(steps - 1, 1)
    index = np.arange(steps)
    half = steps // 2 if steps > 1 else 1  # one step is base ** start
    with np.errstate(over="ignore", invalid="ignore"):
        exponents = np.where(
            index < half,
            first + step * index.astype(step.dtype),
            last - step * (steps - index - 1).astype(step.dtype),
        )
        values = np.power(np.float64(base), exponents.astype(np.float64))
    return _upload(session, values.astype(np_dtype), requires_grad)


FACTORIES = {"logspace": logspace, "range": range_}  # session.logspace, session.range
