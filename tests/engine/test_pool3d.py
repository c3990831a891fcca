"""The 3-d poolings (max_pool3d, avg_pool3d, adaptive_avg_pool3d, adaptive_max_pool3d) and
max_unpool2d/3d against torch: exact bits (values, gradients, indices), nan and -inf windows,
int64 inputs, and torch's errors in its order with its types and words."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gradrpc.engine import graph
from gradrpc.engine.errors import GradError

_RNG_SEED = 3
TORCH = {
    "max_pool3d": torch.max_pool3d,
    "max_pool3d_indices": lambda x, **attrs: torch._C._nn.max_pool3d_with_indices(x, **attrs)[1],
    "avg_pool3d": torch._C._nn.avg_pool3d,
    "adaptive_avg_pool3d": torch._C._nn.adaptive_avg_pool3d,
    "adaptive_max_pool3d": lambda x, output_size: torch._C._nn.adaptive_max_pool3d(x, output_size)[
        0
    ],
    "adaptive_max_pool3d_indices": lambda x, output_size: torch._C._nn.adaptive_max_pool3d(
        x, output_size
    )[1],
    "max_unpool2d": torch._C._nn.max_unpool2d,
    "max_unpool3d": torch._C._nn.max_unpool3d,
}


def _data(shape, dtype="float32", seed=_RNG_SEED) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _ours_and_torch(op: str, data: np.ndarray, attrs: dict):
    """The op's output and its input's gradient (for a fixed output gradient), from the engine
    and from torch."""
    leaf = graph.Tensor(data, requires_grad=True)
    out = graph.call(op, [leaf], attrs)
    g = _data(out.data.shape, data.dtype, seed=7)
    graph.run_backward([out], [graph.Tensor(g)], retain_graph=False)
    x = torch.tensor(data, requires_grad=True)
    expected = TORCH[op](x, **attrs)
    expected.backward(torch.tensor(g))
    return (out.data, leaf.grad.data), (expected.detach().numpy(), x.grad.numpy())


_WINDOWS = [
    (
        "max_pool3d",
        (2, 3, 5, 6, 7),
        {"kernel_size": [3, 2, 3], "stride": [2, 1, 2], "padding": [1]},
    ),
    ("max_pool3d", (3, 6, 5, 7), {"kernel_size": [2], "dilation": [2, 1, 3], "ceil_mode": True}),
    ("avg_pool3d", (2, 3, 5, 6, 7), {"kernel_size": [3], "stride": [2], "padding": [1]}),
    (
        "avg_pool3d",
        (3, 6, 5, 7),
        {"kernel_size": [3, 2, 3], "padding": [1], "ceil_mode": True, "count_include_pad": False},
    ),
    ("avg_pool3d", (1, 2, 5, 5, 5), {"kernel_size": [2], "stride": [3], "divisor_override": 3}),
    ("adaptive_avg_pool3d", (2, 3, 7, 5, 9), {"output_size": [3, 4, 5]}),
    ("adaptive_avg_pool3d", (3, 5, 4, 6), {"output_size": [7, 3, 9]}),
    ("adaptive_max_pool3d", (2, 3, 7, 5, 9), {"output_size": [3, 4, 5]}),
    ("adaptive_max_pool3d", (3, 5, 4, 6), {"output_size": [7, 3, 9]}),
]


@pytest.mark.parametrize(("op", "shape", "attrs"), _WINDOWS, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_and_gradients_are_torch_s_bits(op, shape, attrs, dtype) -> None:
    ours, theirs = _ours_and_torch(op, _data(shape, dtype), attrs)
    for a, b in zip(ours, theirs, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("op", "attrs"),
    [
        ("max_pool3d_indices", {"kernel_size": [2], "padding": [1]}),
        ("adaptive_max_pool3d_indices", {"output_size": [2, 3, 2]}),
    ],
)
def test_indices_of_nan_and_minus_inf_windows_are_torch_s(op, attrs) -> None:
    """nan wins (the last one); a window of -inf gives its first element, as torch's."""
    data = np.full((1, 2, 3, 4, 4), -np.inf, np.float32)
    data[0, 1, 1:, 2:, 1] = np.nan
    data[0, 1, 0, 0, 3] = 1.0
    ours = graph.call(op, [graph.Tensor(data)], attrs).data
    np.testing.assert_array_equal(ours, TORCH[op](torch.tensor(data), **attrs).numpy())


@pytest.mark.parametrize(
    ("op", "attrs"),
    [
        ("max_pool3d", {"kernel_size": [2], "stride": [1], "padding": [1]}),
        ("avg_pool3d", {"kernel_size": [3], "stride": [2], "padding": [1]}),
        ("avg_pool3d", {"kernel_size": [2], "count_include_pad": False, "divisor_override": -3}),
    ],
)
def test_int64_inputs_match_torch(op, attrs) -> None:
    """max_pool3d and avg_pool3d take int64 (avg_pool3d divides truncating)."""
    data = np.random.default_rng(5).integers(-50, 50, (2, 2, 4, 5, 5))
    ours = graph.call(op, [graph.Tensor(data)], attrs).data
    expected = TORCH[op](torch.tensor(data), **attrs).numpy()
    assert ours.dtype == expected.dtype
    np.testing.assert_array_equal(ours, expected)


@pytest.mark.parametrize("op", ["avg_pool2d", "avg_pool3d"])
def test_a_mean_that_underflows_to_minus_zero_is_plus_zero_as_torch_s(op) -> None:
    """torch adds each quotient to a zeroed output, which turns -0 into +0."""
    spatial = int(op[-2])
    data = np.full((1, 1, *(2,) * spatial), -1.4e-45, np.float32)
    attrs = {"kernel_size": [2], "divisor_override": 1000}
    ours = graph.call(op, [graph.Tensor(data)], attrs).data
    expected = getattr(torch._C._nn, op)(torch.tensor(data), **attrs).numpy()
    np.testing.assert_array_equal(np.signbit(ours), np.signbit(expected))
    np.testing.assert_array_equal(ours, expected)


_ERRORS = [
    ("max_pool3d", (1, 2, 4, 4), {"kernel_size": [2, 2]}),
    ("max_pool3d", (1, 2, 4, 4), {"kernel_size": [2], "stride": [1, 1]}),
    ("max_pool3d", (1, 2, 4, 4), {"kernel_size": [2], "padding": [1, 1]}),
    ("max_pool3d", (1, 2, 4, 4), {"kernel_size": [2], "dilation": [1, 1]}),
    ("avg_pool3d", (1, 2, 4, 4), {"kernel_size": [2, 2]}),
    ("avg_pool3d", (1, 2, 4, 4), {"kernel_size": [2], "stride": [1, 1]}),
    ("avg_pool3d", (1, 2, 4, 4), {"kernel_size": [2], "padding": [1, 1]}),
    ("max_pool3d", (2, 4, 4), {"kernel_size": [2]}),
    ("avg_pool3d", (1, 1, 2, 4, 4, 4), {"kernel_size": [2]}),
    ("avg_pool3d", (2, 4, 4), {"kernel_size": [2], "divisor_override": 0}),
    ("avg_pool3d", (1, 2, 4, 4), {"kernel_size": [2], "stride": [0], "divisor_override": 0}),
    ("max_pool3d", (1, 2, 4, 4), {"kernel_size": [2], "stride": [0]}),
    ("max_pool3d", (1, 2, 4, 4), {"kernel_size": [2], "padding": [-1]}),
    ("max_pool3d", (1, 2, 4, 4), {"kernel_size": [2], "padding": [2]}),
    ("max_pool3d", (1, 2, 4, 4), {"kernel_size": [2, 0, 2], "stride": [1]}),
    ("avg_pool3d", (1, 2, 4, 4), {"kernel_size": [0], "stride": [1]}),
    ("max_pool3d", (1, 2, 4, 4), {"kernel_size": [2], "stride": [-1]}),
    ("max_pool3d", (1, 2, 4, 4), {"kernel_size": [2], "dilation": [0]}),
    ("max_pool3d", (2, 0, 3, 4, 5), {"kernel_size": [7]}),
    ("avg_pool3d", (2, 3, 0, 5), {"kernel_size": [2]}),
    ("avg_pool3d", (1, 4, 5, 6), {"kernel_size": [5], "padding": [2]}),
    ("max_pool3d", (1, 4, 5, 6), {"kernel_size": [2], "padding": [1, 2, 1], "dilation": [3]}),
    ("max_pool3d", (1, 4, 5, 6), {"kernel_size": [5]}),
    ("avg_pool3d", (1, 4, 5, 6), {"kernel_size": [4], "stride": [9]}),
    ("max_pool3d", (0, 2, 4, 4, 4), {"kernel_size": [2]}),
    ("avg_pool3d", (0, 2, 4, 4, 4), {"kernel_size": [2]}),
    ("adaptive_avg_pool3d", (1, 2, 3, 3), {"output_size": [2, 2]}),
    ("adaptive_avg_pool3d", (3, 4, 5), {"output_size": [2, -1, -3]}),
    ("adaptive_avg_pool3d", (3, 4, 5), {"output_size": [2, 2, 2]}),
    ("adaptive_avg_pool3d", (2, 0, 3, 4, 5), {"output_size": [2, 2, 2]}),
    ("adaptive_avg_pool3d", (3, 4, 0, 5), {"output_size": [2, 2, 2]}),
    ("adaptive_avg_pool3d", (0, 3, 4, 5), {"output_size": [2, 2, 2]}),
    ("adaptive_max_pool3d", (3, 4, 5), {"output_size": [2, 2]}),
    ("adaptive_max_pool3d", (2, 0, 3, 4, 5), {"output_size": [2, 2]}),
    ("adaptive_max_pool3d", (2, 3, 4, 0, 5), {"output_size": [2, 2, 2]}),
    ("adaptive_max_pool3d", (2, 3, 4, 5), {"output_size": [2, 2]}),
    ("adaptive_max_pool3d", (2, 3, 4, 5), {"output_size": [2, -1, 2]}),
    ("adaptive_max_pool3d", (0, 3, 4, 5), {"output_size": [2, 2, 2]}),
]


@pytest.mark.parametrize(("op", "shape", "attrs"), _ERRORS, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_errors_match_torch(op, shape, attrs, dtype) -> None:
    """torch's checks in its order (the dtype last), or the same result where none refuses."""
    data = np.ones(shape, dtype)
    try:
        expected = TORCH[op](torch.tensor(data), **attrs)
    except (RuntimeError, NotImplementedError) as error:
        with pytest.raises(GradError) as raised:
            graph.call(op, [graph.Tensor(data)], attrs)
        assert type(raised.value).__name__ == type(error).__name__
        assert str(raised.value) == str(error)
    else:
        ours = graph.call(op, [graph.Tensor(data)], attrs).data
        assert ours.dtype == expected.numpy().dtype
        np.testing.assert_array_equal(ours, expected.numpy())


@pytest.mark.parametrize("op", ["adaptive_avg_pool3d", "adaptive_max_pool3d"])
def test_adaptive_backward_refuses_an_empty_volume_as_torch(op) -> None:
    data = np.ones((1, 2, 3, 3, 3), np.float32)
    x = torch.tensor(data, requires_grad=True)
    with pytest.raises(RuntimeError) as expected:
        TORCH[op](x, output_size=[2, 0, 2]).sum().backward()
    out = graph.call(op, [graph.Tensor(data, requires_grad=True)], {"output_size": [2, 0, 2]})
    assert out.data.shape == (1, 2, 2, 0, 2)
    with pytest.raises(GradError) as raised:
        graph.run_backward([graph.call("sum", [out], {})], [None], retain_graph=False)
    assert str(raised.value) == str(expected.value)


def _pooled(spatial: int, shape, kernel) -> tuple[np.ndarray, np.ndarray]:
    """torch's max pooling of random data: values and their (distinct) indices."""
    pool = (
        torch._C._nn.max_pool2d_with_indices
        if spatial == 2
        else torch._C._nn.max_pool3d_with_indices
    )
    values, indices = pool(torch.tensor(_data(shape)), kernel)
    return values.numpy(), indices.numpy()


@pytest.mark.parametrize(
    ("op", "shape", "kernel", "attrs"),
    [
        ("max_unpool2d", (2, 3, 6, 8), [2, 2], {"output_size": [6, 8]}),
        ("max_unpool2d", (3, 7, 5), [3, 2], {"output_size": [8, 5]}),
        (
            "max_unpool3d",
            (2, 2, 4, 6, 5),
            [2, 3, 2],
            {"output_size": [4, 6, 5], "stride": [2, 3, 2], "padding": [0, 0, 0]},
        ),
        (
            "max_unpool3d",
            (2, 5, 4, 6),
            [2, 2, 2],
            {"output_size": [5, 5, 7], "stride": [2, 2, 2], "padding": [1, 0, 0]},
        ),
    ],
    ids=str,
)
def test_max_unpool_of_max_pool_is_torch_s(op, shape, kernel, attrs) -> None:
    values, indices = _pooled(int(op[-2]), shape, kernel)
    leaf = graph.Tensor(values, requires_grad=True)
    out = graph.call(op, [leaf, graph.Tensor(indices)], attrs)
    g = _data(out.data.shape, seed=9)
    graph.run_backward([out], [graph.Tensor(g)], retain_graph=False)
    x = torch.tensor(values, requires_grad=True)
    expected = TORCH[op](x, torch.tensor(indices), **attrs)
    expected.backward(torch.tensor(g))
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    np.testing.assert_array_equal(leaf.grad.data, x.grad.numpy())


@pytest.mark.parametrize("index", [24, -1, 100])
def test_an_invalid_unpool_index_is_torch_s_error(index: int) -> None:
    """One index outside its plane (torch's threads report whichever they meet last)."""
    values, indices = _pooled(2, (1, 2, 4, 6), [2, 2])
    indices[0, 1, 1, 0] = index
    with pytest.raises(RuntimeError) as expected:
        TORCH["max_unpool2d"](torch.tensor(values), torch.tensor(indices), [4, 6])
    with pytest.raises(GradError) as raised:
        graph.call(
            "max_unpool2d", [graph.Tensor(values), graph.Tensor(indices)], {"output_size": [4, 6]}
        )
    assert type(raised.value).__name__ == type(expected.value).__name__
    assert str(raised.value) == str(expected.value)


def test_unpool_backward_refuses_transposed_indices_as_torch() -> None:
    """torch's backward views the indices as (N, C, H·W), which a transposed plane refuses."""
    values, indices = _pooled(2, (1, 2, 6, 4), [2, 2])
    values, indices = (
        np.ascontiguousarray(values.swapaxes(-1, -2)),
        np.ascontiguousarray(indices.swapaxes(-1, -2)),
    )
    x = torch.tensor(values, requires_grad=True)
    with pytest.raises(RuntimeError) as expected:
        TORCH["max_unpool2d"](
            x.transpose(-1, -2), torch.tensor(indices).transpose(-1, -2), [6, 4]
        ).sum().backward()
    leaf = graph.Tensor(values, requires_grad=True)
    swap = {"dim0": -1, "dim1": -2}
    operands = [graph.call("transpose", [t], swap) for t in (leaf, graph.Tensor(indices))]
    out = graph.call("max_unpool2d", operands, {"output_size": [6, 4]})
    with pytest.raises(GradError) as raised:
        graph.run_backward([graph.call("sum", [out], {})], [None], retain_graph=False)
    assert str(raised.value) == str(expected.value)


_UNPOOL_ERRORS = [
    ("max_unpool2d", (2, 3, 2, 2), "float32", {"output_size": [4, 4]}),
    ("max_unpool2d", (2, 3, 2, 2), "int64", {"output_size": [4, 4, 1]}),
    ("max_unpool2d", (3, 2, 2), "int64", {"output_size": [4, 4]}),
    ("max_unpool2d", (2, 2), "int64", {"output_size": [4, 4]}),
    ("max_unpool2d", (2, 0, 2, 2), "int64", {"output_size": [4, 4]}),
    ("max_unpool2d", (2, 3, 2, 2), "int64", {"output_size": [-1, 4]}),
    ("max_unpool2d", (2, 3, 2, 2), "int64", {"output_size": [0, 4]}),
    ("max_unpool3d", (2, 3, 2, 2), "float32", {"output_size": [1, 4, 4]}),
    ("max_unpool3d", (3, 2, 2), "int64", {"output_size": [1, 4, 4]}),
    ("max_unpool3d", (2, 3, 2, 2), "int64", {"output_size": [4, 4]}),
    ("max_unpool3d", (2, 3, 2, 2), "int64", {"stride": [1]}),
    ("max_unpool3d", (2, 3, 2, 2), "int64", {"padding": [0, 0]}),
    ("max_unpool3d", (1, 2, 3, 2, 2), "int64", {}),
    ("max_unpool3d", (1, 2, 0, 2, 2), "int64", {}),
    ("max_unpool3d", (2, 3, 2, 2), "int64", {"stride": [1, 0, 1]}),
    ("max_unpool3d", (2, 3, 2, 2), "int64", {"output_size": [1, -4, 4], "stride": [1, 0, 1]}),
    ("max_unpool3d", (2, 3, 2, 2), "int64", {"output_size": [1, -4, 4]}),
]


@pytest.mark.parametrize(("op", "index_shape", "index_dtype", "attrs"), _UNPOOL_ERRORS, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_unpool_errors_match_torch(op, index_shape, index_dtype, attrs, dtype) -> None:
    """torch's checks in its order (the dtype last, and only for a non-empty output)."""
    data = np.ones((2, 3, 2, 2), dtype)
    indices = np.zeros(index_shape, index_dtype)
    if op == "max_unpool3d":
        attrs = {"output_size": [1, 4, 4], "stride": [1, 1, 1], "padding": [0, 0, 0], **attrs}
    try:
        expected = TORCH[op](torch.tensor(data), torch.tensor(indices), **attrs)
    except (RuntimeError, NotImplementedError) as error:
        with pytest.raises(GradError) as raised:
            graph.call(op, [graph.Tensor(data), graph.Tensor(indices)], attrs)
        assert type(raised.value).__name__ == type(error).__name__
        assert str(raised.value) == str(error)
    else:
        ours = graph.call(op, [graph.Tensor(data), graph.Tensor(indices)], attrs).data
        np.testing.assert_array_equal(ours, expected.numpy())
