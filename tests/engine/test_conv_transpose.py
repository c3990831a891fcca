"""The convolution op with transposed=True against torch.convolution(transposed=True), as
F.conv_transpose1d/2d/3d call it on a batched input: values, node names and gradients over
1-3 spatial dims, strides, paddings, output paddings, dilations and groups; its checks and
their words; a finite-difference check of its vector-Jacobian product."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
import torch
from gradrpc.engine import graph
from gradrpc.engine.errors import GradError

TOLERANCE = {"float32": {"rtol": 2e-5, "atol": 2e-5}, "float64": {"rtol": 1e-12, "atol": 1e-12}}

# (input shape, weight shape (C, O/groups, *kernel), attrs)
CASES = [
    ((2, 3, 7), (3, 4, 3), {}),
    ((2, 3, 5), (3, 2, 3), {"stride": (2,), "padding": (1,), "output_padding": (1,)}),
    ((1, 4, 6), (4, 3, 2), {"groups": 2, "dilation": (3,), "output_padding": (2,)}),
    ((2, 3, 4, 5), (3, 2, 3, 3), {}),
    ((2, 4, 4, 3), (4, 3, 3, 2), {"stride": (2, 3), "padding": (1, 0), "output_padding": (1, 2)}),
    ((1, 4, 5, 4), (4, 1, 3, 3), {"groups": 4, "padding": (1,)}),  # depthwise
    ((2, 6, 3, 3), (6, 2, 2, 3), {"groups": 3, "stride": (2,), "dilation": (2, 1)}),
    ((2, 4, 3, 5), (4, 3, 1, 1), {}),  # 1x1: no columns summed
    ((2, 4, 3, 3), (4, 3, 1, 1), {"stride": (2,), "output_padding": (1,)}),
    ((1, 2, 4, 4), (2, 3, 2, 2), {"dilation": (2,), "output_padding": (1,)}),  # op < dilation
    ((3, 2, 1, 1), (2, 2, 3, 3), {"padding": (1,)}),  # a 1x1 result
    ((2, 2, 3, 2, 3), (2, 3, 2, 2, 2), {}),
    (
        (1, 4, 2, 3, 2),
        (4, 1, 2, 3, 2),
        {
            "stride": (2, 1, 3),
            "padding": (1, 0, 0),
            "dilation": (1, 2, 1),
            "output_padding": (1, 1, 2),
            "groups": 2,
        },
    ),
]


def _seed(*parts: object) -> int:
    return zlib.crc32(repr(parts).encode())


def _full(attrs: dict) -> dict:
    """torch.convolution's keyword arguments for a transposed call with these attrs."""
    full = {"stride": (1,), "padding": (0,), "dilation": (1,), "output_padding": (0,), "groups": 1}
    return {**full, **attrs, "transposed": True}


def _ours(arrays, bias: bool, requires: tuple[bool, ...], attrs: dict):
    tensors = [
        graph.Tensor(a.copy(), requires_grad=r) for a, r in zip(arrays, requires, strict=False)
    ]
    operands = tensors if bias else [*tensors[:2], 0]
    return tensors, graph.call("convolution", operands, {**attrs, "transposed": True})


def _theirs(arrays, bias: bool, requires: tuple[bool, ...], attrs: dict):
    tensors = [torch.tensor(a, requires_grad=r) for a, r in zip(arrays, requires, strict=False)]
    return tensors, torch.convolution(*tensors[:2], tensors[2] if bias else None, **_full(attrs))


def _arrays(x, w, attrs, dtype, seed) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out_channels = w[1] * attrs.get("groups", 1)
    return [rng.standard_normal(s).astype(dtype) for s in (x, w, (out_channels,))]


def _compare(arrays, bias: bool, requires: tuple[bool, ...], attrs: dict, seed: int) -> None:
    """Value, dtype, node name and the gradients of the inputs that require them."""
    mine, ours = _ours(arrays, bias, requires, attrs)
    their_inputs, theirs = _theirs(arrays, bias, requires, attrs)
    expected = theirs.detach().numpy()
    assert ours.data.dtype == expected.dtype
    assert ours.data.shape == expected.shape
    tolerance = TOLERANCE[expected.dtype.name]
    np.testing.assert_allclose(ours.data, expected, **tolerance)
    assert ours.grad_fn.name == theirs.grad_fn.name() == "ConvolutionBackward0"
    upstream = (
        np.random.default_rng(seed + 1).standard_normal(expected.shape).astype(expected.dtype)
    )
    targets = [t for t in mine if t.requires_grad]
    grads = graph.run_backward(
        [ours],
        [graph.Tensor(upstream.copy())],
        retain_graph=False,
        targets=targets,
        accumulate=False,
    )
    their_targets = [t for t in their_inputs if t.requires_grad]
    expected_grads = torch.autograd.grad(theirs, their_targets, torch.tensor(upstream))
    for i, (a, b) in enumerate(zip(grads, expected_grads, strict=True)):
        assert a.dtype == b.numpy().dtype, f"gradient {i}"
        np.testing.assert_allclose(a, b.numpy(), **tolerance, err_msg=f"gradient {i}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize(("x", "w", "attrs"), CASES, ids=str)
def test_values_and_gradients_match_torch(x, w, attrs, bias, dtype) -> None:
    seed = _seed(x, w, attrs, bias, dtype)
    _compare(_arrays(x, w, attrs, dtype, seed), bias, (True, True, bias), attrs, seed)


@pytest.mark.parametrize(
    "requires", [(True, False, False), (False, True, False), (False, False, True)]
)
def test_each_gradient_alone_matches_torch(requires) -> None:
    x, w, attrs = CASES[4]
    seed = _seed(requires)
    _compare(_arrays(x, w, attrs, "float64", seed), True, requires, attrs, seed)


def test_a_bias_of_another_dtype_is_cast_by_the_2d_kernel_as_torchs() -> None:
    """torch's slow_conv_transpose2d adds a float32 bias to a float64 result; the bias's
    gradient comes back in float32."""
    x, w, attrs = CASES[3]
    seed = _seed("mixed")
    arrays = _arrays(x, w, attrs, "float64", seed)
    arrays[2] = arrays[2].astype(np.float32)
    _compare(arrays, True, (True, True, True), attrs, seed)


def test_int64_is_computed_in_int64_as_torch() -> None:
    rng = np.random.default_rng(0)
    x, w, b = (rng.integers(-3, 4, s) for s in ((2, 4, 3, 3), (4, 1, 2, 2), (2,)))
    attrs = {"stride": (2,), "groups": 2, "output_padding": (1,)}
    _, ours = _ours([x, w, b], True, (False,) * 3, attrs)
    _, theirs = _theirs([x, w, b], True, (False,) * 3, attrs)
    assert ours.data.dtype == np.int64
    np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize(
    ("x", "w", "dtypes"),
    [
        ((0, 4, 5, 5), (4, 3, 3, 3), ("float32", "float32")),
        ((0, 4, 5), (4, 3, 3), ("float32", "float64")),  # torch: input * a 0-d weight
        ((0, 4, 5, 5), (4, 3, 3, 3), ("int64", "float64")),
    ],
    ids=str,
)
def test_an_empty_batch_gives_torchs_empty_result_and_zero_gradients(x, w, dtypes) -> None:
    arrays = [np.ones(x, dtypes[0]), np.ones(w, dtypes[1])]
    requires = tuple(a.dtype.kind == "f" for a in arrays)
    mine, ours = _ours(arrays, False, requires, {"stride": (2,), "output_padding": (1,)})
    _, theirs = _theirs(arrays, False, requires, {"stride": (2,), "output_padding": (1,)})
    assert ours.data.shape == tuple(theirs.shape)
    assert ours.data.dtype == theirs.detach().numpy().dtype
    if ours.requires_grad:
        upstream = graph.Tensor(np.ones(ours.data.shape, ours.data.dtype))
        targets = [t for t in mine if t.requires_grad]
        grads = graph.run_backward(
            [ours], [upstream], retain_graph=False, targets=targets, accumulate=False
        )
        assert all(
            not g.any() and g.shape == t.data.shape for g, t in zip(grads, targets, strict=True)
        )


@pytest.mark.parametrize("transposed", [False, True])
def test_the_empty_path_has_the_dtype_of_input_times_a_0d_weight(transposed) -> None:
    """torch's Empty backend multiplies the input by weight[0]: a float32 input keeps float32
    with a float64 weight (a 0-d operand does not promote within a category)."""
    x, w = np.ones((0, 4, 5), np.float32), np.ones((4, 4, 3))
    ours = graph.call(
        "convolution", [graph.Tensor(x), graph.Tensor(w), 0], {"transposed": transposed}
    )
    theirs = torch.convolution(
        torch.tensor(x), torch.tensor(w), None, **{**_full({}), "transposed": transposed}
    )
    assert ours.data.dtype == theirs.numpy().dtype == np.float32
    assert ours.data.shape == tuple(theirs.shape)


@pytest.mark.parametrize(("x", "w", "attrs"), [CASES[1], CASES[6], CASES[9], CASES[12]], ids=str)
def test_gradient_matches_finite_differences(x, w, attrs) -> None:
    """Each input's gradient of L = Σ g · convolution(...) against central differences."""
    eps = 1e-6
    arrays = _arrays(x, w, attrs, "float64", _seed("fd", x))
    tensors, out = _ours(arrays, True, (True, True, True), attrs)
    upstream = np.random.default_rng(1).standard_normal(out.data.shape)
    grads = graph.run_backward(
        [out],
        [graph.Tensor(upstream.copy())],
        retain_graph=False,
        targets=tensors,
        accumulate=False,
    )
    operands = [graph.Tensor(a) for a in arrays]

    def objective() -> float:
        result = graph.call("convolution", operands, {**attrs, "transposed": True})
        return float((result.data * upstream).sum())

    for operand, grad in zip(operands, grads, strict=True):
        numeric = np.zeros_like(operand.data)
        for index in np.ndindex(operand.data.shape):
            original = operand.data[index]
            operand.data[index] = original + eps
            plus = objective()
            operand.data[index] = original - eps
            minus = objective()
            operand.data[index] = original
            numeric[index] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-6)


# (input shape, weight shape, bias shape or None, attrs, dtypes of input, weight, bias)
_ERRORS = [
    ((2, 4, 5, 5), (4, 3, 3, 3), None, {"output_padding": (1,)}, None),
    ((2, 4, 5, 5), (4, 3, 3, 3), None, {"output_padding": (2,), "stride": (2,)}, None),
    ((2, 4, 5, 5), (4, 3, 3, 3), None, {"output_padding": (0, 1), "dilation": (1, 1)}, "float64"),
    (
        (2, 4, 5, 5),
        (4, 3, 3, 3),
        None,
        {"output_padding": (2,), "dilation": (2,), "stride": (2,)},
        "float64",
    ),
    ((1, 2, 3), (2, 2, 2), None, {"output_padding": (1,)}, None),
    ((1, 2, 3, 3, 3), (2, 2, 2, 2, 2), None, {"output_padding": (1,)}, "float64"),
    ((2, 4, 5, 5), (4, 3, 3, 3), None, {"output_padding": (-1,), "stride": (0,)}, None),
    ((2, 4, 5, 5), (4, 3, 3, 3), None, {"output_padding": (-1,), "padding": (-1,)}, None),
    ((2, 4, 5, 5), (4, 3, 3, 3), None, {"output_padding": (1, 1, 1)}, None),
    ((2, 4, 5, 5), (4, 3, 3, 3), None, {"groups": 3}, None),
    ((2, 4, 5, 5), (4, 3, 3, 3), None, {"groups": 8}, None),
    ((2, 4, 5, 5), (3, 4, 3, 3), None, {}, None),  # channels
    ((4, 5, 5), (4, 3, 3, 3), None, {}, None),  # the input's rank
    ((2, 4, 5, 5), (4, 3, 3, 3), (4,), {}, None),  # the bias's size
    ((2, 4, 5, 5), (4, 3, 3, 3), (1, 3), {}, "float64"),
    ((2, 4, 5, 5), (4, 3, 3, 3), (3,), {}, ("float32", "float32", "float64")),  # oneDNN's
    ((2, 4, 5, 5), (4, 3, 3, 3), (3,), {}, ("float32", "float32", "int64")),
    ((2, 4, 5, 5), (4, 3, 3, 3), None, {}, ("float32", "float64", None)),
    ((2, 4, 5, 5), (4, 3, 3, 3), None, {}, ("float64", "float32", None)),
    ((1, 1, 5, 5), (1, 3, 3, 3), None, {}, ("float32", "float64", None)),  # slow kernel
    ((1, 2, 3, 3, 3), (2, 2, 2, 2, 2), (2,), {}, ("float64", "float64", "float32")),
    ((2, 4, 5, 5), (4, 3, 3, 3), (3,), {}, ("int64", "int64", "float32")),
    ((2, 4, 5, 5), (4, 3, 3, 3), None, {}, ("bool", "bool", None)),
    ((1, 2, 3, 3, 3), (2, 2, 2, 2, 2), None, {}, ("bool", "bool", None)),
    ((2, 4, 5, 5), (4, 3, 3, 3), None, {}, ("float32", "bool", None)),
    ((2, 4, 5, 5), (4, 3, 3, 3), None, {"dilation": (0,)}, None),  # oneDNN's failure
    ((2, 4, 5, 5), (4, 3, 3, 3), None, {"dilation": (0,)}, "float64"),
    ((1, 2, 3, 3, 3), (2, 2, 2, 2, 2), None, {"dilation": (0,)}, "float64"),
    ((1, 2, 3), (2, 2, 2), None, {"dilation": (0,)}, "float64"),
    ((2, 4, 5, 5), (4, 3, 3, 0), None, {}, None),
    ((2, 4, 5, 5), (4, 3, 3, 0), None, {}, "float64"),
    ((1, 2, 3, 3, 3), (2, 2, 0, 2, 2), None, {}, "float64"),
    ((2, 4, 5, 5), (4, 0, 3, 3), None, {}, "float64"),
    ((1, 2, 3), (2, 0, 2), None, {}, "float64"),
    ((2, 4, 5, 5), (4, 3, 3, 3), None, {"padding": (4,)}, None),  # an empty result
    ((2, 4, 5, 5), (4, 3, 3, 3), None, {"padding": (3, 4)}, None),
    ((2, 4, 5, 5), (4, 3, 3, 3), None, {"padding": (4,)}, "float64"),
    ((1, 2, 3, 3, 3), (2, 2, 2, 2, 2), None, {"padding": (3,)}, "float64"),
    ((1, 2, 3), (2, 2, 2), None, {"padding": (2,)}, "float64"),
    ((0, 4, 5, 5), (4, 3, 3, 3), None, {"padding": (5,)}, None),
    ((2, 4, 0, 5), (4, 3, 3, 3), None, {}, None),
    ((2, 2, 3, 3, 3, 3), (2, 2, 2, 2, 2, 2), None, {}, None),
    ((1, 2, 3, 3, 3, 3), (2, 2, 2, 2, 2, 2), None, {}, "float64"),
]


def _dtypes(spec) -> tuple:
    if spec is None or isinstance(spec, str):
        return (spec or "float32",) * 3
    return spec


@pytest.mark.parametrize(("x", "w", "b", "attrs", "dtypes"), _ERRORS, ids=str)
def test_errors_match_torch(x, w, b, attrs, dtypes) -> None:
    """torch.convolution's checks for transposed=True in its order, then those of the CPU
    kernel it picks (oneDNN's, slow_conv_transpose2d's or slow_conv_transpose3d's)."""
    dtypes = _dtypes(dtypes)
    arrays = [np.ones(x, dtypes[0]), np.ones(w, dtypes[1])]
    if b is not None:
        arrays.append(np.ones(b, dtypes[2]))
    theirs = [torch.tensor(a) for a in arrays]
    with pytest.raises(Exception) as expected:
        torch.convolution(*theirs[:2], theirs[2] if b is not None else None, **_full(attrs))
    ours = [graph.Tensor(a) for a in arrays] + ([] if b is not None else [0])
    with pytest.raises(GradError) as raised:
        graph.call("convolution", ours, {**attrs, "transposed": True})
    assert type(raised.value).__name__ == type(expected.value).__name__
    assert str(raised.value) == str(expected.value)
