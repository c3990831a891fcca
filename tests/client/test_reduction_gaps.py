"""dtype= on the reductions (sum, mean, nansum, nanmean, prod, cumsum, cumprod, softmax,
log_softmax), cummax, cummin, logcumsumexp, kthvalue, aminmax and msort through the client,
against torch 2.13: values, dtypes, return types, grad_fn names, gradients and torch's errors
at the line."""

from __future__ import annotations

import pytest
from clientkit import check_error_at_line, check_same

ROWS = [[1.5, -2.0, 0.5, 3.0], [0.25, 4.0, -1.0, 2.0], [1.0, 2.0, 3.0, 0.5]]


@pytest.mark.parametrize("name", ["sum", "mean", "nansum", "nanmean"])
@pytest.mark.parametrize("dims", [(), (1,), (-1, True), ((0, 1), True)])
def test_float_reductions_with_dtype(name: str, dims: tuple) -> None:
    def scenario(T):
        x = T.tensor(ROWS, requires_grad=True)
        method = getattr(x, name)(*dims, dtype=T.float64)
        function = getattr(T, name)(x, *dims, dtype=T.float64)
        ((method * 2).sum() + function.sum()).backward()
        return method, function, method.grad_fn.name(), x.grad

    check_same(scenario)


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int32", "int64", "bool"])
@pytest.mark.parametrize("dims", [(), (0,), (-1, True)])
def test_integer_sums_and_means_cast_first(dtype: str, dims: tuple) -> None:
    """An integer or bool tensor summed as int64 by default, in a float dtype or its own
    (uint8 wraps) when asked; its mean needs a float dtype."""

    def scenario(T):
        x = T.tensor([[200, 100, 7], [1, 0, 3]]).to(getattr(T, dtype))
        return [
            x.sum(*dims),
            x.sum(*dims, dtype=T.float32),
            x.sum(*dims, dtype=getattr(T, dtype)),
            T.sum(x, *dims, dtype=T.float64),
            x.mean(*dims, dtype=T.float32),
            T.mean(x, *dims, dtype=T.float64),
            x.prod(),
            x.cumsum(0),
        ]

    check_same(scenario)


def test_other_reductions_keep_their_dtype_argument() -> None:
    def scenario(T):
        x = T.tensor(ROWS, requires_grad=True)
        u = T.tensor([[3, 1], [2, 5]], dtype=T.uint8)
        results = [
            x.prod(dtype=T.float64),
            T.prod(x, 1, dtype=T.float64),
            x.cumsum(1, dtype=T.float64),
            T.cumprod(x, -1, dtype=T.float64),
            x.softmax(1, T.float64),
            T.softmax(x, -1, dtype=T.float64),
            T.log_softmax(x, 0, dtype=T.float64),
            T.nn.functional.softmax(x, dim=1, dtype=T.float64),
            T.nn.functional.log_softmax(x, dim=0, dtype=T.float64),
        ]
        sum((r * (i + 1)).sum() for i, r in enumerate(results)).backward()
        ints = [u.softmax(0, T.float32), T.log_softmax(u, 1, dtype=T.float64), u.cumprod(0)]
        return results, [r.grad_fn.name() for r in results], x.grad, ints

    check_same(scenario, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.tensor([1, 2]).mean(),
        lambda T: T.tensor([1, 2], dtype=T.uint8).mean(0),
        lambda T: T.tensor([1.0, 2.0]).mean(dtype=T.int64),
        lambda T: T.mean(T.tensor([1, 2]), dtype=T.int32),
        lambda T: T.tensor([1.0, 2.0], requires_grad=True).sum(dtype=T.int64),
        lambda T: T.tensor([1.0, 2.0], requires_grad=True).prod(dtype=T.int64),
        lambda T: T.softmax(T.tensor([[1, 2]]), 0),
        lambda T: T.softmax(T.tensor([[1.0, 2.0]]), 1, dtype=T.int64),
        lambda T: T.nanmean(T.tensor([1, 2]), dtype=T.float64),
        lambda T: T.tensor([1.0]).nanmean(dtype=T.int64),
    ],
)
def test_dtype_errors(call) -> None:
    check_error_at_line(call)


NAN = float("nan")
CUMULATIVE_ROWS = [[1.0, 3.0, 3.0, 2.0, NAN, 5.0, NAN], [2.0, 2.0, 1.0, 4.0, 4.0, 0.0, -1.0]]


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cummax_cummin(name: str, dim: int) -> None:
    """Values, the indices of ties (the last) and after a nan, the return type, and the
    gradient added back at the indices."""

    def scenario(T):
        x = T.tensor(CUMULATIVE_ROWS, requires_grad=True)
        result = getattr(T, name)(x, dim)
        method = getattr(x, name)(dim=dim)
        weights = T.arange(14.0).reshape(2, 7)
        (result.values * weights).sum().backward()
        return (
            type(result).__name__,
            result.values,
            result.indices,
            method[0],
            method[1],
            result.values.grad_fn.name(),
            x.grad,
        )

    check_same(scenario)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float64"])
@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cummax_cummin_dtypes_and_shapes(name: str, dtype: str) -> None:
    def scenario(T):
        x = T.tensor([[3, 1, 3, 0], [0, 2, 2, 5], [1, 1, 0, 4]]).to(getattr(T, dtype))
        three = x.reshape(3, 2, 2)
        return [
            getattr(T, name)(x, 0),
            getattr(T, name)(three, -2),
            getattr(T, name)(x[0, 0], 0),
            getattr(T, name)(x[:0], 1),
        ]

    check_same(scenario)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_logcumsumexp(dim: int) -> None:
    def scenario(T):
        x = T.tensor([[1.0, 3.0, -2.0, 0.5], [50.0, -50.0, 2.0, 2.0]], requires_grad=True)
        y = T.logcumsumexp(x, dim)
        z = x.double().logcumsumexp(dim=dim)
        (y * T.tensor([[1.0, -2.0, 3.0, 0.0], [-1.0, 2.0, 0.5, 4.0]])).sum().backward()
        return y, z, y.grad_fn.name(), x.grad

    check_same(scenario, rtol=1e-5, atol=1e-6)


def test_logcumsumexp_with_infinities_and_nan() -> None:
    def scenario(T):
        x = T.tensor([-float("inf"), 0.0, float("inf"), 1.0])
        return T.logcumsumexp(x, 0), T.logcumsumexp(T.tensor([1.0, NAN, 2.0]), 0)

    check_same(scenario)


@pytest.mark.parametrize("k, dim, keepdim", [(1, 1, False), (2, -1, True), (3, 0, False)])
def test_kthvalue(k: int, dim: int, keepdim: bool) -> None:
    """Ties and nans (largest), torch's quickselect's choice of index among ties."""

    def scenario(T):
        x = T.tensor(
            [[2.0, 1.0, 2.0, 2.0, NAN], [0.0, 0.0, 0.0, 5.0, -1.0], [3.0, 3.0, 1.0, 1.0, 1.0]],
            requires_grad=True,
        )
        result = T.kthvalue(x, k, dim, keepdim)
        method = x.kthvalue(k, dim=dim, keepdim=keepdim)
        (result.values * 3).sum().backward()
        return type(result).__name__, result, method, result.values.grad_fn.name(), x.grad

    check_same(scenario)


@pytest.mark.parametrize("dtype", ["int64", "int16", "uint8", "float32"])
def test_kthvalue_longer_rows_match_torch_indices(dtype: str) -> None:
    def scenario(T):
        values = [(i * 7919) % 13 for i in range(60)]
        x = T.tensor(values).reshape(3, 20).to(getattr(T, dtype))
        return [T.kthvalue(x, k, 1) for k in (1, 5, 10, 20)] + [T.kthvalue(x, 2, 0)]

    check_same(scenario)


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.kthvalue(T.zeros(2, 3), 4, 1),
        lambda T: T.kthvalue(T.zeros(2, 3), 0),
        lambda T: T.kthvalue(T.tensor(3.0), 2),
        lambda T: T.kthvalue(T.zeros(2, 3), 1, 2),
        lambda T: T.kthvalue(T.tensor([True]), 1),
        lambda T: T.zeros(2).kthvalue(1.5),
        lambda T: T.cummax(T.zeros(2, 3), 2),
        lambda T: T.cummin(T.zeros(2, 3)),
        lambda T: T.logcumsumexp(T.tensor([1, 2]), 0),
        lambda T: T.logcumsumexp(T.zeros(2), -2),
    ],
)
def test_order_errors(call) -> None:
    check_error_at_line(call)


@pytest.mark.parametrize("kwargs", [{}, {"dim": 0}, {"dim": -1, "keepdim": True}])
def test_aminmax(kwargs: dict) -> None:
    def scenario(T):
        x = T.tensor([[1.0, 5.0, 5.0], [-2.0, 0.0, -2.0]], requires_grad=True)
        result = T.aminmax(x, **kwargs)
        method = x.aminmax(**kwargs)
        (result.min * 2 + result.max * 3).sum().backward()
        ints = T.aminmax(T.tensor([[3, 1], [2, 7]], dtype=T.int16), **kwargs)
        return type(result).__name__, result.min, result.max, method, x.grad, ints

    check_same(scenario)


def test_aminmax_with_nan_and_bool() -> None:
    def scenario(T):
        return T.aminmax(T.tensor([1.0, NAN])), T.aminmax(T.tensor([True, False]), dim=0)

    check_same(scenario)


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.aminmax(T.zeros(0, 3)),
        lambda T: T.aminmax(T.zeros(0, 3), dim=0),
        lambda T: T.aminmax(T.zeros(2, 3), 1),
        lambda T: T.zeros(2, 3).aminmax(1),
        lambda T: T.aminmax(T.zeros(2, 3), dim=1.5),
    ],
)
def test_aminmax_errors(call) -> None:
    check_error_at_line(call)


def test_msort() -> None:
    def scenario(T):
        x = T.tensor([[3.0, 1.0], [1.0, 2.0], [2.0, NAN]], requires_grad=True)
        y, z = T.msort(x), x.msort()
        (y * T.arange(6.0).reshape(3, 2)).sum().backward()
        return y, z, y.grad_fn.name(), x.grad, T.msort(T.tensor([3, 1, 2]))

    check_same(scenario)
