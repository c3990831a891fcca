"""take_along_dim, put / put_, select, select_scatter, slice_scatter, diagonal_scatter,
ravel, diagflat, argwhere, isin, masked_scatter / masked_scatter_, torch.masked_fill and
index_reduce / index_reduce_ through the client, against torch 2.13: values, dtypes,
grad_fn names, gradients, in-place leaf errors and torch's errors at the line."""

from __future__ import annotations

import warnings

import pytest
from clientkit import check_error_at_line, check_raised_at_the_next_read, check_same

GRID = [[0.5, 1.0, -2.0, 3.0], [4.0, -5.0, 6.0, 7.0], [8.0, 9.0, 10.0, -1.5]]


@pytest.mark.parametrize("dim", [0, 1, -1, None])
def test_take_along_dim(dim) -> None:
    def scenario(T):
        x = T.tensor(GRID, requires_grad=True)
        indices = T.tensor([[0, 2], [1, 3], [3, 0]]) if dim != 0 else T.tensor([[2, 0, 1, 2]])
        y = T.take_along_dim(x, indices, dim) if dim is not None else T.take_along_dim(x, indices)
        z = x.take_along_dim(indices, dim=dim)
        (y * T.arange(float(y.numel())).reshape(y.shape)).sum().backward()
        return y, z, y.grad_fn.name(), x.grad

    check_same(scenario)


def test_take_along_dim_broadcasts() -> None:
    def scenario(T):
        x = T.arange(6.0).reshape(2, 1, 3).requires_grad_()
        indices = T.tensor([[[2, 0, 1]], [[0, 0, 0]], [[1, 2, 2]], [[2, 2, 0]]]).reshape(1, 4, 3)
        y = T.take_along_dim(x, indices, 2)
        y.sum().backward()
        return y, x.grad

    check_same(scenario)


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.take_along_dim(T.zeros(3, 4), T.tensor([[1.0]]), 1),
        lambda T: T.take_along_dim(T.zeros(3, 4), T.tensor([1, 2]), 1),
        lambda T: T.take_along_dim(T.zeros(3, 4), T.tensor([[1, 2]], dtype=T.int32), 1),
        lambda T: T.take_along_dim(T.zeros(3, 4), T.tensor([[0]]), 2),
        lambda T: T.take_along_dim(T.zeros(3, 4), T.tensor([[1, 0]]), dim=0),
    ],
)
def test_take_along_dim_errors(call) -> None:
    check_error_at_line(call)


@pytest.mark.parametrize("accumulate", [False, True])
def test_put(accumulate: bool) -> None:
    def scenario(T):
        x = T.tensor(GRID, requires_grad=True)
        source = T.tensor([[10.0, 20.0], [30.0, 40.0]], requires_grad=True)
        index = T.tensor([[0, -1], [5, 0 if accumulate else 6]])
        y = T.put(x, index, source, accumulate)
        z = x.put(index, source, accumulate=accumulate)
        (y * T.arange(12.0).reshape(3, 4)).sum().backward()
        return y, z, y.grad_fn.name(), x.grad, source.grad

    check_same(scenario)


def test_put_in_place() -> None:
    def scenario(T):
        leaf = T.tensor(GRID, requires_grad=True)
        x = leaf * 1
        source = T.tensor([1.0, 2.0], requires_grad=True)
        out = x.put_(T.tensor([3, 7]), source)
        out.sum().backward()
        ints = T.arange(6).reshape(2, 3)
        ints.put_(T.tensor([0, 0, 5]), T.tensor([1, 2, 3]), accumulate=True)
        return out is x, x, x.grad_fn.name(), leaf.grad, source.grad, ints

    check_same(scenario)


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.tensor(GRID, requires_grad=True).put_(T.tensor([1]), T.tensor([9.0])),
        lambda T: T.zeros(3, 4).put_(T.tensor([1, 2]), T.tensor([9.0])),
        lambda T: T.zeros(3, 4).put_(T.tensor([1]), T.tensor([9])),
        lambda T: T.zeros(3, 4).put_(T.tensor([1.0]), T.tensor([9.0])),
        lambda T: T.put(T.zeros(3, 4), T.tensor([1]), 5.0),
    ],
)
def test_put_errors(call) -> None:
    check_error_at_line(call)


def test_put_out_of_range_index_raises_torch_error() -> None:
    def scenario(T):
        return T.zeros(3, 4).put_(T.tensor([12]), T.tensor([9.0])).tolist()

    check_raised_at_the_next_read(scenario, "put")


@pytest.mark.parametrize("dim, index", [(0, 1), (1, -1), (-2, 2)])
def test_select_is_a_view(dim: int, index: int) -> None:
    def scenario(T):
        leaf = T.tensor(GRID, requires_grad=True)
        x = leaf * 2
        view = T.select(x, dim, index)
        method = x.select(dim, index)
        view.mul_(3)
        x.sum().backward()
        return view, method, view.grad_fn.name(), view._base is x, leaf.grad

    check_same(scenario)


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.select(T.zeros(3, 4), 0, 3),
        lambda T: T.zeros(3, 4).select(2, 0),
        lambda T: T.select(T.tensor(1.0), 0, 0),
    ],
)
def test_select_errors(call) -> None:
    check_error_at_line(call)


def test_scatters_into_parts() -> None:
    def scenario(T):
        x = T.tensor(GRID, requires_grad=True)
        row = T.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        column = T.tensor([-1.0, -2.0, -3.0], requires_grad=True)
        block = T.tensor([[7.0, 8.0], [9.0, 10.0], [11.0, 12.0]], requires_grad=True)
        diagonal = T.tensor([0.0, 0.5, 1.5], requires_grad=True)
        upper = T.tensor([2.0, 3.0, 4.0], requires_grad=True)
        results = [
            T.select_scatter(x, row, 0, 1),
            x.select_scatter(column, 1, -1),
            T.slice_scatter(x, block, 1, 1, 4, 2),
            x.slice_scatter(block, dim=1, start=-2),
            T.slice_scatter(x, T.ones(1, 4), start=1, end=2),
            T.diagonal_scatter(x, diagonal),
            x.diagonal_scatter(upper, 1),
            T.diagonal_scatter(x, T.ones(2), -1, 0, 1),
            T.diagonal_scatter(x, T.ones(3), 0, 1, 0),
        ]
        weights = T.arange(12.0).reshape(3, 4)
        sum((r * weights * (i + 1)).sum() for i, r in enumerate(results)).backward()
        grads = [t.grad for t in (x, row, column, block, diagonal, upper)]
        return results, [r.grad_fn.name() for r in results], grads

    check_same(scenario)


def test_scatters_cast_src_and_take_integers() -> None:
    def scenario(T):
        x = T.zeros(3, 4)
        ints = T.arange(12).reshape(3, 4)
        return [
            T.select_scatter(x, T.ones(4, dtype=T.int64), 0, 1),
            T.select_scatter(ints, T.ones(4), 0, 2),
            T.slice_scatter(ints, T.zeros(3, 0, dtype=T.int64), 1, 5),
            T.diagonal_scatter(T.zeros(2, 3, 3), T.ones(2, 3), 0, 1, 2),
        ]

    check_same(scenario)


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.select_scatter(T.zeros(3, 4), T.ones(3), 0, 1),
        lambda T: T.select_scatter(T.zeros(3, 4), T.ones(4), 0, 5),
        lambda T: T.slice_scatter(T.zeros(3, 4), T.zeros(1, 4)),
        lambda T: T.slice_scatter(T.zeros(3, 4), T.zeros(3, 2), 1, 0, 4, 0),
        lambda T: T.diagonal_scatter(T.zeros(3, 4), T.zeros(2)),
        lambda T: T.diagonal_scatter(T.zeros(3, 4), T.zeros(3), 0, 1, 1),
    ],
)
def test_scatter_errors(call) -> None:
    check_error_at_line(call)


def test_ravel_diagflat_argwhere() -> None:
    def scenario(T):
        x = T.tensor(GRID, requires_grad=True)
        flat, transposed = T.ravel(x), x.t().ravel()
        square = T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        results = [T.diagflat(square, 1), square.diagflat(-2), T.diagflat(T.tensor([1.0, 2.0]))]
        (flat.sum() + (transposed * T.arange(12.0)).sum()).backward()
        sum(r.sum() for r in results[:2]).backward()
        ints = T.tensor([[0, 1, 0], [2, 0, 3]])
        found = [T.argwhere(ints), ints.argwhere(), T.argwhere(T.tensor(1.0)), T.argwhere(x > 3)]
        names = [flat.grad_fn.name(), transposed.grad_fn.name(), results[0].grad_fn.name()]
        return flat, transposed, results, x.grad, square.grad, found, names

    check_same(scenario)


@pytest.mark.parametrize("invert", [False, True])
def test_isin(invert: bool) -> None:
    def scenario(T):
        ints = T.tensor([[1, 2], [3, 4]])
        floats = T.tensor([1.0, 2.0, float("nan"), 3.5])
        return [
            T.isin(ints, T.tensor([2, 3]), invert=invert),
            T.isin(ints, 3, invert=invert),
            T.isin(3, ints, invert=invert),
            T.isin(floats, T.tensor([2.0, float("nan"), 3.5]), invert=invert),
            T.isin(T.tensor([1, 2, 3]), T.tensor([2.5, 3.0]), invert=invert),
            T.isin(T.tensor([1, 2, 3]), T.tensor([2, 3]), assume_unique=True, invert=invert),
            T.isin(elements=T.tensor([1, 2]), test_elements=T.tensor([1, 3], dtype=T.uint8)),
            T.isin(T.tensor([1.0, 2.0], requires_grad=True), T.tensor([1.0])),
        ]

    check_same(scenario)


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.isin(T.tensor([True, False]), T.tensor([1, 3])),
        lambda T: T.isin(1, 2),
        lambda T: T.isin(T.tensor([1, 2]), "a"),
    ],
)
def test_isin_errors(call) -> None:
    check_error_at_line(call)


def test_masked_scatter() -> None:
    def scenario(T):
        x = T.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], requires_grad=True)
        mask = T.tensor([[True, False, True], [False, True, False]])
        source = T.tensor([[10.0, 20.0], [30.0, 40.0]], requires_grad=True)
        results = [
            x.masked_scatter(mask, source),
            T.masked_scatter(x, T.tensor([True, False, True]), source),
            T.masked_scatter(T.zeros(3), T.ones(2, 3, dtype=T.bool), T.arange(6.0)),
        ]
        weights = T.arange(6.0).reshape(2, 3)
        (results[0] * weights + results[1] * 2 * weights).sum().backward()
        return results, results[0].grad_fn.name(), x.grad, source.grad

    check_same(scenario)


def test_masked_scatter_in_place() -> None:
    def scenario(T):
        leaf = T.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], requires_grad=True)
        x = leaf * 1
        source = T.tensor([10.0, 20.0, 30.0, 40.0, 50.0], requires_grad=True)
        out = x.masked_scatter_(T.tensor([False, True, True]), source)
        (out * T.arange(6.0).reshape(2, 3)).sum().backward()
        return out is x, x, x.grad_fn.name(), leaf.grad, source.grad

    check_same(scenario)


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.zeros(2, 3).masked_scatter(T.ones(2, 3, dtype=T.int32), T.zeros(6)),
        lambda T: T.zeros(2, 3).masked_scatter(T.ones(2, 3, dtype=T.bool), T.zeros(6).long()),
        lambda T: T.zeros(3).masked_scatter_(T.ones(2, 3, dtype=T.bool), T.arange(6.0)),
        lambda T: T.zeros(3, requires_grad=True).masked_scatter_(T.ones(3).bool(), T.ones(3)),
        lambda T: T.masked_scatter(T.zeros(3), T.ones(3).bool(), 1.0),
    ],
)
def test_masked_scatter_errors(call) -> None:
    check_error_at_line(call)


def test_masked_scatter_too_few_source_elements() -> None:
    def scenario(T):
        x = T.zeros(2, 3).masked_scatter(T.ones(2, 3, dtype=T.bool), T.zeros(4))
        return x.tolist()

    check_raised_at_the_next_read(scenario, "masked_scatter")


def test_masked_fill_function() -> None:
    def scenario(T):
        x = T.tensor(GRID, requires_grad=True)
        mask = x > 2
        value = T.tensor(-1.0, requires_grad=True)
        y, z = T.masked_fill(x, mask, 3.0), T.masked_fill(x, mask, value)
        (y.sum() + (z * 2).sum()).backward()
        return y, z, y.grad_fn.name(), z.grad_fn.name(), x.grad, value.grad

    check_same(scenario)


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dim", [0, -1])
def test_index_reduce(reduce: str, include_self: bool, dim: int) -> None:
    def scenario(T):
        base = T.tensor([[1.0, 1.0, 1.0], [3.0, 3.0, 3.0]])
        source = T.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0], [2.0, 2.0, 2.0]])
        if dim == -1:
            base, source = base.t().contiguous(), source.t().contiguous()
        base.requires_grad_()
        source.requires_grad_()
        index = T.tensor([0, 1, 0, 0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = base.index_reduce(dim, index, source, reduce, include_self=include_self)
            z = T.index_reduce(base, dim, index, source, reduce, include_self=include_self)
        (y * T.arange(6.0).reshape(y.shape)).sum().backward()
        return y, z, base.grad, source.grad

    check_same(scenario, rtol=1e-6, atol=1e-6)


def test_index_reduce_integers_and_in_place() -> None:
    def scenario(T):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ints = T.tensor([[1, 2], [3, 4]])
            source = T.tensor([[1, 2], [5, 5]])
            index = T.tensor([0, 0], dtype=T.int32)
            results = [
                ints.index_reduce(0, index, source, "mean"),
                ints.index_reduce(0, index, source, "mean", include_self=False),
                ints.index_reduce(1, index, source, "prod"),
            ]
            x = T.zeros(2, 3)
            out = x.index_reduce_(0, T.tensor([1, 1]), T.tensor([[1.0, 5, 2], [4, 0, 3]]), "amax")
        return results, out is x, x

    check_same(scenario)


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.zeros(2, 3).index_reduce(0, T.tensor([0]), T.ones(1, 3), "sum"),
        lambda T: T.zeros(2, 3).index_reduce(0, T.tensor([0.0]), T.ones(1, 3), "mean"),
        lambda T: T.zeros(2, 3).index_reduce(0, T.tensor([0]), T.ones(1, 3).double(), "mean"),
        lambda T: T.zeros(2, 3).index_reduce(0, T.tensor([0, 1, 1]), T.ones(2, 3), "mean"),
        lambda T: T.zeros(2, 3, requires_grad=True).index_reduce_(
            0, T.tensor([0]), T.ones(1, 3), "mean"
        ),
    ],
)
def test_index_reduce_errors(call) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_error_at_line(call)


@pytest.mark.parametrize("index", [[0, 5], [0, -1]])
def test_index_reduce_checks_the_index_range_at_the_next_read(index: list) -> None:
    def scenario(T):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            T.zeros(2, 3).index_reduce(0, T.tensor(index), T.ones(2, 3), "mean").tolist()

    check_raised_at_the_next_read(scenario, "index_reduce")


def test_index_reduce_warns_once_as_torch() -> None:
    """torch's beta warning, once a process (torch's was given by an earlier test)."""
    import gradrpc
    from gradrpc.tensor import _WARNED

    _WARNED.discard("index_reduce")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            gradrpc.zeros(2).index_reduce(0, gradrpc.tensor([0]), gradrpc.ones(1), "amax")
    assert [str(w.message) for w in caught] == [
        "index_reduce() is in beta and the API may change at any time. (Triggered internally "
        "at /__w/pytorch/pytorch/aten/src/ATen/native/TensorAdvancedIndexing.cpp:1523.)"
    ]
