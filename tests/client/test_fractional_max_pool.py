"""nn.FractionalMaxPool2d/3d and F.fractional_max_pool2d/3d against torch 2.13, given the same
`_random_samples`: values, indices, gradients (summed where windows overlap) and graphs
(FractionalMaxPool2DBackward0, FractionalMaxPool3DBackward0), float32 and float64, batched
and unbatched, output_size or output_ratio, nan and ties; samples drawn on the server from
the session's generator when none are given; the modules' attributes, buffers and reprs;
torch's errors at the line."""

from __future__ import annotations

import gradrpc
import numpy as np
import pytest
from clientkit import check_error_at_line, check_same, graph_of


def _values(shape, seed, kind=None):
    rng = np.random.default_rng(seed)
    if kind == "ties":
        return rng.integers(0, 3, shape).astype(float).tolist()
    values = rng.standard_normal(shape)
    if kind == "nan":
        values[rng.random(shape) < 0.15] = np.nan
    return values.tolist()


def _samples(shape, seed):
    return np.random.default_rng(seed).random(shape).tolist()


# spatial dims, input shape, sample shape, kernel_size, keyword arguments, values' kind
CASES = {
    "2d output_size": (2, (2, 3, 9, 8), (2, 3, 2), 2, {"output_size": (4, 5)}, None),
    "2d int output_size": (2, (2, 2, 7, 7), (2, 2, 2), (3, 2), {"output_size": 4}, None),
    "2d output_ratio": (2, (2, 3, 10, 9), (2, 3, 2), 2, {"output_ratio": (0.5, 0.7)}, None),
    "2d unbatched": (2, (3, 8, 9), (1, 3, 2), (2, 3), {"output_size": (5, 4)}, None),
    "2d more sample rows": (2, (1, 2, 6, 7), (3, 2, 2), 2, {"output_size": (3, 3)}, None),
    "2d an output of one": (2, (2, 2, 5, 6), (2, 2, 2), 2, {"output_size": (1, 5)}, None),
    "2d ties": (2, (2, 2, 8, 8), (2, 2, 2), 3, {"output_size": (6, 4)}, "ties"),
    "2d nan": (2, (2, 2, 8, 8), (2, 2, 2), 3, {"output_size": (5, 5)}, "nan"),
    "2d empty batch": (2, (0, 2, 5, 5), (0, 2, 2), 2, {"output_size": 3}, None),
    "3d output_size": (3, (2, 2, 7, 6, 8), (2, 2, 3), 2, {"output_size": (4, 3, 5)}, None),
    "3d output_ratio": (3, (1, 2, 8, 9, 7), (1, 2, 3), 2, {"output_ratio": 0.5}, None),
    "3d unbatched": (3, (2, 6, 7, 8), (1, 2, 3), (1, 2, 3), {"output_size": (5, 3, 4)}, None),
    "3d ties": (3, (1, 2, 6, 6, 6), (2, 2, 3), 2, {"output_size": 4}, "ties"),
    "3d nan": (3, (1, 2, 6, 6, 6), (1, 2, 3), 3, {"output_size": 3}, "nan"),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES)
def test_values_indices_and_gradients_match_torch(case, dtype) -> None:
    spatial, shape, sample_shape, kernel, kwargs, kind = CASES[case]

    def scenario(T):
        F = T.nn.functional
        kind_of = getattr(T, dtype)
        x = T.tensor(_values(shape, 0, kind), dtype=kind_of, requires_grad=True)
        samples = T.tensor(_samples(sample_shape, 1), dtype=kind_of)
        pool = getattr(F, f"fractional_max_pool{spatial}d")
        y = pool(x, kernel, **kwargs, _random_samples=samples)
        values, indices = pool(x, kernel, **kwargs, return_indices=True, _random_samples=samples)
        y.backward(T.tensor(_values(tuple(y.shape), 2), dtype=kind_of))
        return y, graph_of(y.grad_fn), values, indices, x.grad

    check_same(scenario, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_window_starts_are_computed_in_the_input_s_dtype(dtype: str) -> None:
    """u = 0.49999997 over 5 rows to 3 outputs of 1: float32's (1 + u) * 2 rounds to 3.0,
    float64's stays under it, so the middle window starts one row apart."""

    def scenario(T):
        kind = getattr(T, dtype)
        x = T.arange(50.0, dtype=kind).reshape(2, 5, 5)
        samples = T.full((1, 2, 2), 0.49999997, dtype=T.float32).to(kind)
        return T.nn.functional.fractional_max_pool2d(
            x, 1, 3, return_indices=True, _random_samples=samples
        )

    check_same(scenario, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_samples_outside_the_unit_interval_place_windows_as_torch(dtype: str) -> None:
    """C's float-to-int conversion as torch's x86 build does it: truncation toward zero, and
    INT_MIN for nan, infinities and values outside int's range (their windows start at 0)."""

    def scenario(T):
        kind = getattr(T, dtype)
        x = T.tensor(_values((1, 9, 9, 9), 14), dtype=kind)
        drawn = [-0.7, 1.5, 5.0, -5.0, 3e7, 1e8, 3e9, -3e9, float("nan"), float("inf")]
        samples = T.tensor(drawn, dtype=kind).reshape(1, 5, 2).repeat(1, 2, 1)[:, :9]
        return T.nn.functional.fractional_max_pool2d(
            x, 2, 4, return_indices=True, _random_samples=samples
        )

    check_same(scenario, rtol=0, atol=0)


def test_a_non_contiguous_input_and_the_with_indices_functions_match_torch() -> None:
    def scenario(T):
        F = T.nn.functional
        x = T.tensor(_values((2, 9, 8, 3), 3)).permute(0, 3, 2, 1).requires_grad_()
        samples = T.tensor(_samples((2, 3, 2), 4))
        values, indices = F.fractional_max_pool2d_with_indices(
            x, 2, (5, 4), _random_samples=samples
        )
        z = T.tensor(_values((1, 2, 5, 6, 7), 5))
        pooled = F.fractional_max_pool3d_with_indices(
            z, 2, output_ratio=(0.5, 0.6, 0.5), _random_samples=T.tensor(_samples((1, 2, 3), 6))
        )
        values.sum().backward()
        return values, indices, x.grad, pooled

    check_same(scenario, rtol=0, atol=0)


@pytest.mark.parametrize("spatial", [2, 3])
def test_samples_are_drawn_from_the_session_s_generator(spatial: int) -> None:
    """Without `_random_samples`, one U(0, 1) sample per (batch, channel, spatial dim) comes
    from the session's generator in the input's dtype: the same seed and an explicit
    rand(N, C, spatial) give the same result; another draw, other windows."""
    F = gradrpc.nn.functional
    pool = getattr(F, f"fractional_max_pool{spatial}d")
    x = gradrpc.tensor(_values((2, 3, *(12,) * spatial), 7), dtype=gradrpc.float64)
    gradrpc.manual_seed(5)
    drawn, drawn_indices = pool(x, 2, output_size=5, return_indices=True)
    gradrpc.manual_seed(5)
    samples = gradrpc.rand(2, 3, spatial, dtype=gradrpc.float64)
    given, given_indices = pool(x, 2, output_size=5, return_indices=True, _random_samples=samples)
    again = pool(x, 2, output_size=5, return_indices=True)[1]
    assert drawn.dtype == gradrpc.float64 and tuple(drawn.shape) == (2, 3, *(5,) * spatial)
    np.testing.assert_array_equal(drawn.numpy(), given.numpy())
    np.testing.assert_array_equal(drawn_indices.numpy(), given_indices.numpy())
    assert (again.numpy() != drawn_indices.numpy()).any()
    unbatched = pool(x[0].float(), 3, output_ratio=(0.5,) * spatial)
    assert unbatched.dtype == gradrpc.float32 and tuple(unbatched.shape) == (3, *(6,) * spatial)


def test_drawn_samples_pool_maxima_of_windows_with_gradients() -> None:
    """Without samples, each value is the input at its index, and the gradient counts how
    often each element was chosen."""
    x = gradrpc.tensor(_values((2, 3, 11, 10), 8), requires_grad=True)
    y, indices = gradrpc.nn.functional.fractional_max_pool2d(
        x, 3, output_ratio=(0.6, 0.6), return_indices=True
    )
    y.sum().backward()
    flat = x.detach().numpy().reshape(2, 3, -1)
    picked = np.take_along_axis(flat, indices.numpy().reshape(2, 3, -1), -1)
    np.testing.assert_array_equal(picked.reshape(y.shape), y.detach().numpy())
    counts = np.zeros_like(flat)
    for n in range(2):
        for c in range(3):
            np.add.at(counts[n, c], indices.numpy()[n, c].ravel(), 1)
    np.testing.assert_array_equal(x.grad.numpy(), counts.reshape(x.shape))
    assert y.grad_fn.name() == "FractionalMaxPool2DBackward0"


MODULES = {
    "2d output_size": lambda nn, s: nn.FractionalMaxPool2d(3, output_size=(4, 5)),
    "2d output_ratio with indices": lambda nn, s: nn.FractionalMaxPool2d(
        (2, 3), output_ratio=0.5, return_indices=True
    ),
    "2d with samples": lambda nn, s: nn.FractionalMaxPool2d(2, 4, _random_samples=s(2, 3, 2)),
    "3d output_size": lambda nn, s: nn.FractionalMaxPool3d(2, output_size=3),
    "3d output_ratio with samples": lambda nn, s: nn.FractionalMaxPool3d(
        (2, 2, 1), output_ratio=(0.5, 0.4, 0.6), return_indices=True, _random_samples=s(2, 3, 3)
    ),
}


@pytest.mark.parametrize("name", MODULES)
def test_modules_match_torch(name: str) -> None:
    def scenario(T):
        def samples(*shape):
            return T.tensor(_samples(shape, 9))

        m = MODULES[name](T.nn, samples)
        attributes = [m.kernel_size, m.output_size, m.output_ratio, m.return_indices]
        buffers = [(k, v) for k, v in m.named_buffers()]
        result = [repr(m), attributes, buffers, list(m.state_dict())]
        if m._random_samples is not None:
            spatial = len(m.kernel_size)
            x = T.tensor(_values((2, 3, *(10,) * spatial), 10), requires_grad=True)
            out = m(x)
            y = out[0] if m.return_indices else out
            y.sum().backward()
            result += [out, graph_of(y.grad_fn), x.grad]
        return result

    check_same(scenario, rtol=0, atol=0)


def _x(T, shape=(2, 3, 7, 8), dtype=None):
    return T.tensor(_values(shape, 11), dtype=dtype or T.float32)


def _s(T, shape=(2, 3, 2), dtype=None):
    return T.tensor(_samples(shape, 12), dtype=dtype or T.float32)


def _F(T):
    return T.nn.functional


ERRORS = {
    "neither size nor ratio": lambda T: _F(T).fractional_max_pool2d(_x(T), 2),
    "3d neither size nor ratio": lambda T: _F(T).fractional_max_pool3d(_x(T), 2),
    "a float ratio": lambda T: _F(T).fractional_max_pool2d(_x(T), 2, output_ratio=0.5),
    "three ratios": lambda T: _F(T).fractional_max_pool2d(_x(T), 2, output_ratio=(0.5,) * 3),
    "one ratio in a list": lambda T: _F(T).fractional_max_pool2d(_x(T), 2, output_ratio=[0.5]),
    "three output sizes": lambda T: _F(T).fractional_max_pool2d(
        _x(T), 2, (3, 3, 3), _random_samples=_s(T)
    ),
    "three kernel sizes": lambda T: _F(T).fractional_max_pool2d(
        _x(T), (2, 2, 2), 3, _random_samples=_s(T)
    ),
    "a 2-d input": lambda T: _F(T).fractional_max_pool2d(_x(T)[0, 0], 2, 3, _random_samples=_s(T)),
    "a 2-d input without samples": lambda T: _F(T).fractional_max_pool2d(_x(T)[0, 0], 2, 3),
    "an empty dim": lambda T: _F(T).fractional_max_pool2d(
        _x(T)[:, :, :0], 2, 3, _random_samples=_s(T)
    ),
    "pool height too large": lambda T: _F(T).fractional_max_pool2d(
        _x(T), 7, 3, _random_samples=_s(T)
    ),
    "pool width too large": lambda T: _F(T).fractional_max_pool2d(
        _x(T), 2, (3, 8), _random_samples=_s(T)
    ),
    "a negative output size": lambda T: _F(T).fractional_max_pool2d(
        _x(T), 2, (-1, 3), _random_samples=_s(T)
    ),
    "samples of another dtype": lambda T: _F(T).fractional_max_pool2d(
        _x(T), 2, 3, _random_samples=_s(T, dtype=T.float64)
    ),
    "2-d samples": lambda T: _F(T).fractional_max_pool2d(
        _x(T), 2, 3, _random_samples=_s(T, (2, 3))
    ),
    "too few sample rows": lambda T: _F(T).fractional_max_pool2d(
        _x(T), 2, 3, _random_samples=_s(T, (1, 3, 2))
    ),
    "samples for other channels": lambda T: _F(T).fractional_max_pool2d(
        _x(T), 2, 3, _random_samples=_s(T, (2, 2, 2))
    ),
    "three samples a plane": lambda T: _F(T).fractional_max_pool2d(
        _x(T), 2, 3, _random_samples=_s(T, (2, 3, 3))
    ),
    "an int input with int samples": lambda T: _F(T).fractional_max_pool2d(
        _x(T).long(), 2, 3, _random_samples=_s(T).long()
    ),
    "an int input without samples": lambda T: _F(T).fractional_max_pool2d(_x(T).long(), 2, 3),
    "a float kernel": lambda T: _F(T).fractional_max_pool2d(_x(T), 2.0, 3, _random_samples=_s(T)),
    "a float output size": lambda T: _F(T).fractional_max_pool2d(
        _x(T), 2, 3.0, _random_samples=_s(T)
    ),
    "list samples": lambda T: _F(T).fractional_max_pool2d(_x(T), 2, 3, _random_samples=[1.0]),
    "samples that require grad": lambda T: _F(T).fractional_max_pool2d(
        _x(T), 2, 3, _random_samples=_s(T).requires_grad_()
    ),
    "3d three kernel sizes": lambda T: _F(T).fractional_max_pool3d(
        _x(T, (2, 3, 5, 6, 7)), (2, 2), 3, _random_samples=_s(T, (2, 3, 3))
    ),
    "3d two output sizes": lambda T: _F(T).fractional_max_pool3d(
        _x(T, (2, 3, 5, 6, 7)), 2, (3, 3), _random_samples=_s(T, (2, 3, 3))
    ),
    "3d a 3-d input": lambda T: _F(T).fractional_max_pool3d(
        _x(T, (3, 6, 7)), 2, 3, _random_samples=_s(T, (1, 3, 3))
    ),
    "3d an empty dim": lambda T: _F(T).fractional_max_pool3d(
        _x(T, (2, 3, 5, 0, 7)), 2, 3, _random_samples=_s(T, (2, 3, 3))
    ),
    "3d a pool that only just fits": lambda T: _F(T).fractional_max_pool3d(
        _x(T, (2, 3, 5, 6, 7)), 2, (4, 3, 3), _random_samples=_s(T, (2, 3, 3))
    ),
    "3d pool width too large": lambda T: _F(T).fractional_max_pool3d(
        _x(T, (2, 3, 5, 6, 7)), 2, (3, 3, 6), _random_samples=_s(T, (2, 3, 3))
    ),
    "3d two samples a plane": lambda T: _F(T).fractional_max_pool3d(
        _x(T, (2, 3, 5, 6, 7)), 2, 3, _random_samples=_s(T, (2, 3, 2))
    ),
    "3d an int input": lambda T: _F(T).fractional_max_pool3d(
        _x(T, (1, 3, 5, 6, 7)).long(), 2, 3, _random_samples=_s(T, (1, 3, 3)).long()
    ),
    "3d a 3-d input and a ratio": lambda T: _F(T).fractional_max_pool3d(
        _x(T, (3, 6, 7)), 2, output_ratio=0.5
    ),
    "module without sizes": lambda T: T.nn.FractionalMaxPool2d(2),
    "module with both": lambda T: T.nn.FractionalMaxPool2d(2, 3, 0.5),
    "module ratio above one": lambda T: T.nn.FractionalMaxPool2d(2, output_ratio=1.5),
    "module ratio of one": lambda T: T.nn.FractionalMaxPool2d(2, output_ratio=(0.5, 1)),
    "3d module kernel 0": lambda T: T.nn.FractionalMaxPool3d(0, output_ratio=0.5),
    "3d module a kernel of 0": lambda T: T.nn.FractionalMaxPool3d((2, 0, 1), output_ratio=0.5),
    "3d module without sizes": lambda T: T.nn.FractionalMaxPool3d(2),
    "3d module ratio of one": lambda T: T.nn.FractionalMaxPool3d(2, output_ratio=(0.5, 0.5, 1)),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch_at_the_line(name: str) -> None:
    check_error_at_line(ERRORS[name])


def test_a_kernel_of_zero_pools_empty_windows_as_torch() -> None:
    """torch's empty window keeps -inf and the index of its start (one past the input at the
    last window)."""

    def scenario(T):
        x = T.tensor(_values((1, 1, 5, 5), 13))
        samples = T.full((1, 1, 2), 0.5)
        return T.nn.functional.fractional_max_pool2d(
            x, (1, 0), 3, return_indices=True, _random_samples=samples
        )

    check_same(scenario, rtol=0, atol=0)
