"""scatter, scatter_value, scatter_add and scatter_reduce through the engine against torch 2.13:
values and dtypes over shapes, dims and dtypes, gradients where torch's formulas have special
cases (zeros of a product, ties of amax and amin, nan), and torch's errors, in the forward
(an index out of range, named in the order torch's CPU kernel visits the index) and in the
backward (a src larger than the index, the legacy reduce)."""

from __future__ import annotations

import warnings
import zlib

import numpy as np
import pytest
import torch
from gradrpc.engine import graph
from gradrpc.engine.errors import GradError

DTYPES = {
    "float32": torch.float32,
    "float64": torch.float64,
    "int64": torch.int64,
    "bool": torch.bool,
}
REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")

# (self, index, src, dim): the index at most src everywhere and self but along dim
SHAPES = [
    ((5,), (7,), (7,), 0),
    ((4, 5), (6, 3), (6, 4), 0),
    ((4, 5), (3, 7), (3, 8), 1),
    ((3, 4, 5), (2, 6, 5), (2, 6, 5), 1),
    ((3, 4, 5), (3, 4, 9), (3, 4, 9), -1),
    ((3, 4, 5), (3, 2, 5), (3, 2, 5), 0),
    ((), (), (), 0),
    ((), (3,), (3,), 0),
    ((2, 3), (0, 3), (1, 3), 0),
]

# (torch function, engine op, its attrs): every op and overload of the family
OPS = [
    ("scatter", "scatter", {}),
    *(("scatter", "scatter", {"reduce": r}) for r in ("add", "multiply")),
    ("scatter_value", "scatter_value", {"value": 1.5}),
    ("scatter_value", "scatter_value", {"value": -3, "reduce": "add"}),
    ("scatter_value", "scatter_value", {"value": 2.5, "reduce": "multiply"}),
    ("scatter_add", "scatter_add", {}),
    *(
        ("scatter_reduce", "scatter_reduce", {"reduce": r, "include_self": include})
        for r in REDUCTIONS
        for include in (True, False)
    ),
]


def _torch(op: str, x, index, src, attrs: dict):
    dim = attrs["dim"]
    if op == "scatter_value":
        extra = {"reduce": attrs["reduce"]} if attrs.get("reduce") else {}
        return torch.scatter(x, dim, index, attrs["value"], **extra)
    if op == "scatter":
        extra = {"reduce": attrs["reduce"]} if attrs.get("reduce") else {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the legacy reduce's deprecation
            return torch.scatter(x, dim, index, src, **extra)
    if op == "scatter_add":
        return torch.scatter_add(x, dim, index, src)
    return torch.scatter_reduce(
        x, dim, index, src, attrs["reduce"], include_self=attrs.get("include_self", True)
    )


def _values(rng: np.random.Generator, shape: tuple, dtype: str) -> np.ndarray:
    """Values that repeat, with zeros, negatives (and for floats a fraction)."""
    if dtype == "bool":
        return rng.random(shape) < 0.5
    values = rng.choice([0, 1, 2, -1, 3, -2], shape)
    if dtype != "int64":
        values = values * rng.choice([1.0, 0.75, 1.3], shape)
    return np.asarray(values, dtype)


def _positions(rng: np.random.Generator, x_shape: tuple, shape: tuple, dim: int) -> np.ndarray:
    size = x_shape[dim] if x_shape else 1
    return rng.integers(0, size, shape).astype(np.int64)


def _seed(*parts) -> int:
    return zlib.crc32(repr(parts).encode())


def _operands(op: str, x: np.ndarray, index: np.ndarray, src: np.ndarray, grad: bool = False):
    ours = [graph.Tensor(x.copy(), requires_grad=grad), graph.Tensor(index.copy())]
    theirs = [torch.tensor(x, requires_grad=grad), torch.tensor(index)]
    if op != "scatter_value":
        ours.append(graph.Tensor(src.copy(), requires_grad=grad))
        theirs.append(torch.tensor(src, requires_grad=grad))
    return ours, theirs


def _outcome(op: str, ours: list, theirs: list, attrs: dict):
    """Both results, or torch's error and ours (which must be the same)."""
    try:
        expected = _torch(op, *theirs, *([None] if op == "scatter_value" else []), attrs)
    except Exception as e:
        with pytest.raises(GradError) as raised:
            graph.call(op, ours, attrs)
        assert type(raised.value).__name__ == type(e).__name__
        assert str(raised.value) == str(e)
        return None, None
    return graph.call(op, ours, attrs), expected


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("x_shape", "index_shape", "src_shape", "dim"), SHAPES, ids=str)
@pytest.mark.parametrize(("function", "op", "attrs"), OPS, ids=str)
def test_values_match_torch(function, op, attrs, x_shape, index_shape, src_shape, dim, dtype):
    """Exactly torch's values (sums and products in its order, a mean's division) and dtype,
    or torch's error (a bool mean)."""
    rng = np.random.default_rng(_seed(op, attrs, x_shape, index_shape, dim, dtype))
    x, src = _values(rng, x_shape, dtype), _values(rng, src_shape, dtype)
    index = _positions(rng, x_shape, index_shape, dim)
    ours, theirs = _operands(op, x, index, src)
    result, expected = _outcome(op, ours, theirs, {**attrs, "dim": dim})
    if result is not None:
        assert result.meta.dtype == str(expected.dtype).removeprefix("torch.")
        assert result.meta.shape == tuple(expected.shape)
        np.testing.assert_array_equal(result.data, expected.numpy())


def _gradients(op: str, x, index, src, attrs: dict, dtype: str):
    """Our gradients of self and src and torch's, for one random upstream gradient."""
    ours, theirs = _operands(op, x.astype(dtype), index, src.astype(dtype), grad=True)
    result, expected = graph.call(op, ours, attrs), _torch(op, *theirs, attrs)
    assert result.grad_fn.name == expected.grad_fn.name()
    upstream = np.random.default_rng(_seed(op, attrs)).standard_normal(x.shape).astype(dtype)
    mine = graph.run_backward(
        [result], [graph.Tensor(upstream)], False, targets=[ours[0], ours[2]], accumulate=False
    )
    other = torch.autograd.grad(expected, [theirs[0], theirs[2]], torch.tensor(upstream))
    return mine, [t.numpy() for t in other]


NAN = np.nan
# (self, index, src) along dim 0 of 1-d tensors: the special cases of the reductions' gradients
SPECIAL_CASES = [
    ([2.0, 3.0, 0.0, 5.0], [0, 0, 1, 1, 2, 3, 3], [0.0, 4.0, 0.0, 0.0, 7.0, 2.0, 3.0]),
    ([0.0, -1.5, 2.0], [0, 0, 1, 2, 2, 2], [3.0, 2.0, -1.5, 2.0, 2.0, 1.0]),
    ([1.0, 2.0, 2.0], [0, 1, 1, 2, 2], [1.0, 2.0, 2.0, NAN, 2.0]),
    ([NAN, 1.0, -1.0], [0, 1, 2, 2], [1.0, 1.0, -1.0, -1.0]),
    ([1.0, 1.0], [1, 1, 1], [1.0, 1.0, 1.0]),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", REDUCTIONS)
@pytest.mark.parametrize(("x", "index", "src"), SPECIAL_CASES, ids=str)
def test_reduction_gradients_with_zeros_ties_and_nan_match_torch(
    x, index, src, reduce, include_self, dtype
):
    """prod: a zero of self or a lone zero of src gets the product of the others, two zeros
    at one position give zeros; amax and amin: ties share the gradient evenly (self counted
    among them even without include_self, as torch's formula does); nan as torch's."""
    attrs = {"dim": 0, "reduce": reduce, "include_self": include_self}
    x, index, src = np.array(x), np.array(index, np.int64), np.array(src)
    mine, theirs = _gradients("scatter_reduce", x, index, src, attrs, dtype)
    for ours, other in zip(mine, theirs, strict=True):
        np.testing.assert_allclose(ours, other, rtol=1e-6, atol=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("function", "op", "attrs"), [o for o in OPS if "reduce" not in o[2]])
def test_gradients_of_repeated_positions_match_torch(function, op, attrs, dtype):
    """A position written twice: torch's formulas give each src element g at its position,
    overwritten or not, and self's gradient nothing there."""
    rng = np.random.default_rng(_seed(op, dtype))
    x, src = _values(rng, (4, 3), "float64"), _values(rng, (5, 3), "float64")
    index = np.array([[0, 1, 2], [0, 1, 1], [3, 3, 3], [0, 0, 0], [2, 1, 0]], np.int64)
    if op == "scatter_value":
        ours, theirs = _operands(op, x.astype(dtype), index, src, grad=True)
        result, expected = graph.call(op, ours, {**attrs, "dim": 0}), None
        expected = _torch(op, theirs[0], theirs[1], None, {**attrs, "dim": 0})
        upstream = rng.standard_normal((4, 3)).astype(dtype)
        (mine,) = graph.run_backward(
            [result], [graph.Tensor(upstream)], False, targets=[ours[0]], accumulate=False
        )
        (other,) = torch.autograd.grad(expected, [theirs[0]], torch.tensor(upstream))
        assert result.grad_fn.name == expected.grad_fn.name() == "ScatterBackward1"
        np.testing.assert_array_equal(mine, other.numpy())
        return
    mine, theirs = _gradients(op, x, index, src, {**attrs, "dim": 0}, dtype)
    for ours, other in zip(mine, theirs, strict=True):
        np.testing.assert_array_equal(ours, other)


# (op, self's shape, index, src's shape, attrs): torch's checks, in its order
ERRORS = [
    ("scatter", (3, 4), [[0, 1, 2, 0]], (3, 4), {"dim": 2}),
    ("scatter", (), [0], (1,), {"dim": 1}),
    ("scatter", (3, 4), [[0.0]], (3, 4), {"dim": 0}),
    ("scatter", (3, 4), [[0]], "float64", {"dim": 0}),
    ("scatter", (3, 4), [0, 1], (3, 4), {"dim": 0}),
    ("scatter", (3, 4), [[0, 1]], (), {"dim": 0}),
    ("scatter", (3, 4), [[0]], (1,), {"dim": 0}),
    ("scatter", (3, 4), [[0, 1, 2, 0]], (4,), {"dim": 0}),
    ("scatter", (3, 4), [[0] * 5], (5, 6, 7), {"dim": 0}),
    ("scatter", (3, 4), [[0] * 4], (5, 6, 7), {"dim": 0}),
    ("scatter", (3,), [0, 0], (), {"dim": 0}),
    ("scatter", (3,), [0, 0], (1, 6), {"dim": 0}),
    ("scatter", (), [0], (1, 1), {"dim": 0}),
    ("scatter", (3, 4), [[0] * 4] * 4, (3, 4), {"dim": 0}),
    ("scatter", (3, 4), [[0] * 5], (3, 4), {"dim": 1}),
    ("scatter", (3, 4), [[0] * 4] * 2, (1, 4), {"dim": 0}),
    ("scatter", (3, 4), [[5]], (3, 4), {"dim": 0}),
    ("scatter", (3, 4), [[-1]], (3, 4), {"dim": 0}),
    ("scatter", (3, 4), [[0, 9], [8, 0]], (3, 4), {"dim": 0}),
    ("scatter", (3, 4), [[0, 7], [9, 0]], (3, 4), {"dim": 1}),
    ("scatter", (0, 3), [[0, 0, 0]], (1, 3), {"dim": 0}),
    ("scatter", (3, 4), [[0] * 5], (3, 4), {"dim": 0, "reduce": "mean"}),
    ("scatter", (3, 4), [[7] * 4], (3, 4), {"dim": 0, "reduce": "mean"}),
    ("scatter", (3, 4), [[0.0]], (3, 4), {"dim": 0, "reduce": "mean"}),
    ("scatter_value", (3, 4), [[0] * 5], None, {"dim": 0, "value": 1.0}),
    ("scatter_value", (3, 4), [[7] * 4], None, {"dim": 0, "value": 1.0, "reduce": "sum"}),
    ("scatter_value", (3, 4), [[0] * 4], None, {"dim": 0, "value": 1e300}),
    ("scatter_value", (3, 4), [[7] * 4], None, {"dim": 0, "value": 1e300}),
    ("scatter_value", (3, 4), [[0] * 5], None, {"dim": 0, "value": 1e300}),
    ("scatter_add", (3, 4), [[0.0]], (3, 4), {"dim": 0}),
    ("scatter_add", (3, 4), [[0]], "float64", {"dim": 0}),
    ("scatter_add", (3, 4), [[3, 0]], (3, 4), {"dim": 0}),
    ("scatter_reduce", (3, 4), [[0]], (3, 4), {"dim": 0, "reduce": "foo"}),
    ("scatter_reduce", (3, 4), [[0] * 5], (3, 4), {"dim": 0, "reduce": "foo"}),
    ("scatter_reduce", (3, 4), [[7] * 4], (3, 4), {"dim": 0, "reduce": "foo"}),
    ("scatter_reduce", (3, 4), [[0.0]], (3, 4), {"dim": 0, "reduce": "foo"}),
    ("scatter_reduce", (3, 4), [[7]], (3, 4), {"dim": 1, "reduce": "amax"}),
    ("scatter_reduce", (3, 4), [[0]], (3, 4), {"dim": 0, "reduce": "Sum"}),
    ("scatter_reduce", (3, 4), [[0]], (3, 4), {"dim": 0, "reduce": "add"}),
    ("scatter_reduce", (3, 4), [[7]], (3, 4), {"dim": 1, "reduce": "mean", "include_self": False}),
]


def _error_operands(op, x_shape, index, src, dtype="float32"):
    x = np.zeros(x_shape, dtype)
    index = np.array(index)
    src = np.ones(x_shape, "float64") if src == "float64" else np.ones(src or (), dtype)
    return x, index, src


@pytest.mark.parametrize(("op", "x_shape", "index", "src", "attrs"), ERRORS, ids=str)
def test_errors_match_torch(op, x_shape, index, src, attrs) -> None:
    x, index, src_values = _error_operands(op, x_shape, index, src)
    ours, theirs = _operands(op, x, index, src_values)
    result, _ = _outcome(op, ours, theirs, attrs)
    assert result is None, "torch raised no error"


@pytest.mark.parametrize("index_numel", [4, 0])
def test_bool_mean_is_torch_s_unsupported_kernel(index_numel: int) -> None:
    index = np.zeros((1, 4) if index_numel else (0, 4), np.int64)
    x, src = np.zeros((3, 4), bool), np.ones((3, 4), bool)
    ours, theirs = _operands("scatter_reduce", x, index, src)
    result, _ = _outcome("scatter_reduce", ours, theirs, {"dim": 0, "reduce": "mean"})
    assert result is None


# (self's shape, index's shape, src's shape, dim): layouts where torch's TensorIterator
# coalesces the index's dims differently, so visits its entries in another order
VISITING = [
    ((3, 4, 5), (3, 4, 5), (3, 4, 5), 0),
    ((3, 4, 6), (3, 4, 5), (3, 4, 5), 0),
    ((3, 4, 5), (3, 4, 5), (3, 4, 7), 0),
    ((3, 4, 5), (3, 4, 5), (3, 4, 5), 1),
    ((3, 5, 5), (3, 4, 5), (3, 4, 5), 1),
    ((3, 4, 5), (3, 4, 5), (3, 4, 5), 2),
    ((2, 3, 4, 5), (2, 3, 4, 5), (2, 3, 4, 5), 1),
    ((2, 3, 4, 5), (2, 2, 4, 5), (2, 2, 4, 5), 2),
    ((2, 1, 4, 5), (2, 1, 4, 5), (2, 1, 4, 5), 0),
]


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("op", ["scatter", "scatter_value", "scatter_add", "scatter_reduce"])
@pytest.mark.parametrize(("x_shape", "index_shape", "src_shape", "dim"), VISITING, ids=str)
def test_first_index_out_of_range_is_torch_s(op, x_shape, index_shape, src_shape, dim, seed):
    """Three entries out of range: torch names the first its kernel visits."""
    rng = np.random.default_rng(_seed(x_shape, index_shape, dim, seed))
    index = rng.integers(0, x_shape[dim], index_shape)
    bad = rng.choice(index.size, 3, replace=False)
    index.reshape(-1)[bad] = x_shape[dim] + np.arange(3)
    x, src = np.zeros(x_shape, np.float32), np.ones(src_shape, np.float32)
    ours, theirs = _operands(op, x, index, src)
    attrs = {"dim": dim, "value": 1.0} if op == "scatter_value" else {"dim": dim}
    attrs = {**attrs, "reduce": "amax"} if op == "scatter_reduce" else attrs
    result, _ = _outcome(op, ours, theirs, attrs)
    assert result is None


@pytest.mark.parametrize(
    ("op", "attrs"),
    [
        ("scatter", {}),
        ("scatter_add", {}),
        *(("scatter_reduce", {"reduce": r}) for r in REDUCTIONS),
    ],
)
@pytest.mark.parametrize(
    ("index_shape", "src_shape"), [((1, 4), (3, 4)), ((2, 1), (3, 1)), ((2, 3), (2, 4))]
)
def test_src_larger_than_the_index_fails_the_backward_as_torch(op, attrs, index_shape, src_shape):
    """torch's gradient of src is index-shaped (an invalid gradient), or for prod, amax and
    amin a broadcast of src against it (src-shaped where it broadcasts, else its error)."""
    attrs = {**attrs, "dim": 0}
    index = np.zeros(index_shape, np.int64)
    x, src = np.full((3, 4), 2.0), np.full(src_shape, 3.0)
    ours, theirs = _operands(op, x, index, src, grad=True)
    result, expected = graph.call(op, ours, attrs), _torch(op, *theirs, attrs)
    upstream = np.ones((3, 4))
    try:
        (other,) = torch.autograd.grad(expected, [theirs[2]], torch.tensor(upstream))
    except RuntimeError as e:
        with pytest.raises(GradError) as raised:
            graph.run_backward(
                [result], [graph.Tensor(upstream)], False, targets=[ours[2]], accumulate=False
            )
        assert str(raised.value) == str(e)
        return
    (mine,) = graph.run_backward(
        [result], [graph.Tensor(upstream)], False, targets=[ours[2]], accumulate=False
    )
    np.testing.assert_array_equal(mine, other.numpy())


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["max", "min"])
def test_max_and_min_are_amax_and_amin_without_a_gradient_as_torch(reduce, include_self):
    """torch takes the unlisted 'max' and 'min' as amax and amin, and fails their backward."""
    attrs = {"dim": 0, "reduce": reduce, "include_self": include_self}
    x, index, src = np.array([1.0, 5.0, 2.0]), np.array([0, 0, 2]), np.array([3.0, 4.0, 9.0])
    ours, theirs = _operands("scatter_reduce", x, index, src, grad=True)
    result, expected = (
        graph.call("scatter_reduce", ours, attrs),
        _torch("scatter_reduce", *theirs, attrs),
    )
    np.testing.assert_array_equal(result.data, expected.detach().numpy())
    with pytest.raises(RuntimeError) as theirs_raised:
        expected.sum().backward()
    with pytest.raises(GradError) as raised:
        graph.run_backward([graph.call("sum", [result], {})], [None], False)
    assert str(raised.value) == str(theirs_raised.value)


@pytest.mark.parametrize("op", ["scatter", "scatter_value"])
def test_legacy_reduce_records_torch_s_not_implemented_node(op: str) -> None:
    """torch records a NotImplemented node for the legacy reduce; its backward fails."""
    attrs = {"dim": 0, "reduce": "add", **({"value": 2.0} if op == "scatter_value" else {})}
    x, index, src = np.zeros((3, 4)), np.array([[0, 1, 2, 0]]), np.ones((1, 4))
    ours, theirs = _operands(op, x, index, src, grad=True)
    result = graph.call(op, ours, attrs)
    extra = [None] if op == "scatter_value" else []
    expected = _torch(op, *theirs, *extra, attrs)
    assert result.grad_fn.name == expected.grad_fn.name()
    with pytest.raises(RuntimeError) as theirs_raised:
        expected.sum().backward()
    with pytest.raises(GradError) as raised:
        graph.run_backward([graph.call("sum", [result], {})], [None], False)
    assert str(raised.value) == str(theirs_raised.value)
