"""sort, argsort, topk, gather, index_select, cumsum and cumprod (with cumsum_ and
cumprod_) through the client, against torch 2.13: values, dtypes, indices in torch's order
of ties and nan, torch.return_types and their printing, gradients and grad_fn names, 0-d and
empty inputs, integer and bool inputs, torch's errors (at the line, or at the next read for
an index the server checks) with the session usable after them, and training idioms."""

from __future__ import annotations

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import (
    check_error_at_line,
    check_raised_at_the_next_read,
    check_same,
    graph_of,
    no_rpc,
)

NAN = float("nan")


def _ties(T, n: int = 40):
    """Two rows of n values drawn from a few, nan among them: most are tied."""
    values = np.random.default_rng(n).choice([0.0, 1.0, 2.0, -1.0, NAN], (2, n))
    return T.tensor(values.tolist(), requires_grad=True)


@pytest.mark.parametrize("n", [5, 40])
def test_sort_and_argsort_match_torch(n: int) -> None:
    """Values, indices in torch's order of ties (std::sort's above 16 elements), both
    overloads (SortBackward0 and SortBackward1, stable=None included), as functions and
    methods, and the gradient back through the permutation."""

    def scenario(T):
        x = _ties(T, n)
        results = [
            T.sort(x),
            x.sort(0, True),
            x.sort(dim=0),
            x.sort(descending=True),
            T.sort(x, stable=True, descending=True),
            x.sort(stable=False, dim=0),
            x.sort(stable=None),
            T.argsort(x),
            x.argsort(0, True),
            T.argsort(x, stable=True, dim=-1),
        ]
        total = sum((r[0] * T.arange(r[0].numel()).reshape(r[0].shape)).sum() for r in results[:7])
        total.backward()
        return results, [graph_of(r[0].grad_fn) for r in results[:7]], x.grad

    check_same(scenario, rtol=0, atol=0)


@pytest.mark.parametrize("n", [6, 40, 200])
def test_topk_matches_torch(n: int) -> None:
    """The k largest or smallest, nan largest, sorted or as selected, in torch's order of
    ties (std::partial_sort where 64·k <= n, else std::nth_element); TopkBackward0."""

    def scenario(T):
        x = _ties(T, n)
        results = [
            T.topk(x, 3),
            x.topk(2, largest=False),
            x.topk(n // 2, sorted=False),
            x.topk(k=1, dim=0),
            x.topk(2, 0, False, False),
            x.topk(0),
            T.topk(x, n),
        ]
        total = sum(
            (r.values * (T.arange(r.values.numel()) + 1.0).reshape(r.values.shape)).sum()
            for r in results
        )
        total.backward()
        return results, [r.values.grad_fn.name() for r in results], x.grad

    check_same(scenario, rtol=0, atol=0)


def test_return_types_print_and_unpack_as_torch_s() -> None:
    def scenario(T):
        x = T.tensor([[3.0, 1.0, 2.0], [NAN, 0.5, -1.0]], requires_grad=True)
        ordered, top = x.sort(), x.topk(2)
        values, indices = top
        return (
            repr(ordered),
            str(top),
            type(ordered).__name__,
            type(top).__name__,
            len(top),
            values,
            indices,
            top[0],
            ordered.indices,
        )

    check_same(scenario)


def test_sorting_0d_empty_integer_and_bool_inputs_match_torch() -> None:
    def scenario(T):
        ints = T.tensor([[3, 1, 3, 2], [0, 5, 5, 5]])
        bools = T.tensor([True, False, True, False])
        scalar = T.tensor(2.5, requires_grad=True)
        empty = T.zeros(2, 0)
        scalar_sorted = scalar.sort()
        scalar_sorted.values.backward()
        return (
            ints.sort(),
            ints.sort(descending=True, stable=True),
            ints.topk(2),
            ints.argsort(0),
            bools.sort(),
            bools.argsort(descending=True),
            scalar_sorted,
            scalar.topk(1),
            scalar.topk(0, dim=-1),
            T.argsort(scalar),
            scalar.grad,
            empty.sort(1),
            empty.topk(0, 1),
            empty.topk(1, 0),
            empty.argsort(0),
        )

    check_same(scenario, rtol=0, atol=0)


def test_sorting_non_contiguous_and_expanded_inputs_matches_torch() -> None:
    """A transposed input keeps its strides in sort's results (torch's empty_like); an
    expanded dim keeps its order, as torch leaves it."""

    def scenario(T):
        x = _ties(T, 24).t()
        expanded = T.tensor([[1.0], [2.0]]).expand(2, 30)
        ordered = x.sort(0)
        return (
            ordered,
            ordered.values.stride(),
            ordered.indices.stride(),
            ordered.values.is_contiguous(),
            x.topk(3, 0),
            x[::2].argsort(1).stride(),
            expanded.sort(),
            expanded.argsort(0, descending=True),
        )

    check_same(scenario, rtol=0, atol=0)


def test_gather_matches_torch() -> None:
    """Along each dim, with an index smaller than self, repeated positions (their gradients
    add), 0-d and empty index tensors; GatherBackward0."""

    def scenario(T):
        x = T.arange(12.0).reshape(3, 4).requires_grad_()
        rows = T.tensor([[0, 2, 2], [1, 0, 0]])
        cols = T.tensor([[3, 3], [0, 1], [2, 2]])
        results = [
            T.gather(x, 0, rows),
            x.gather(1, cols),
            x.gather(dim=-1, index=T.tensor([[1], [1]])),
            T.gather(x, 1, T.zeros(3, 0, dtype=T.int64)),
        ]
        sum(r.sum() * (i + 1) for i, r in enumerate(results)).backward()
        scalar = T.tensor(5.0, requires_grad=True)
        picked = scalar.gather(0, T.tensor([0, 0]))
        picked.sum().backward()
        ints = T.tensor([[1, 2], [3, 4]]).gather(1, T.tensor([[1, 0], [0, 0]]))
        flags = T.tensor([True, False]).gather(0, T.tensor([1, 1, 0]))
        return (
            results,
            [r.grad_fn.name() for r in results],
            x.grad,
            picked,
            scalar.grad,
            ints,
            flags,
        )

    check_same(scenario, rtol=0, atol=0)


def test_index_select_matches_torch() -> None:
    """Along each dim, repeated positions (their gradients add), 0-d and empty indices, a 0-d
    self; IndexSelectBackward0."""

    def scenario(T):
        x = T.arange(24.0).reshape(2, 3, 4).requires_grad_()
        results = [
            T.index_select(x, 0, T.tensor([1, 1, 0])),
            x.index_select(1, T.tensor([2, 0, 2, 2])),
            x.index_select(-1, T.tensor(3)),
            x.index_select(dim=2, index=T.zeros(0, dtype=T.int64)),
        ]
        sum(r.sum() * (i + 1) for i, r in enumerate(results)).backward()
        scalar = T.tensor(5.0, requires_grad=True)
        chosen = scalar.index_select(0, T.tensor([0]))
        chosen.backward()
        return (
            results,
            [r.grad_fn.name() for r in results],
            x.grad,
            chosen,
            scalar.grad,
            T.tensor([[True, False], [False, False]]).index_select(1, T.tensor([1, 0])),
            T.tensor([3, 4, 5]).index_select(0, T.tensor([2, 0])),
        )

    check_same(scenario, rtol=0, atol=0)


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_cumulative_sums_and_products_match_torch(name: str) -> None:
    """Along each dim, a wider dtype (the gradient back in the input's), integer and bool
    inputs (int64 results), 0-d and empty inputs; as functions and methods."""

    def scenario(T):
        x = T.tensor([[0.5, -2.0, 3.0], [1.5, 0.25, -1.0]], requires_grad=True)
        results = [
            getattr(T, name)(x, 1),
            getattr(x, name)(0),
            getattr(x, name)(dim=-1, dtype=T.float64),
            getattr(T, name)(x, 0, dtype=None),
        ]
        sum((r * (T.arange(6.0).reshape(2, 3) + 1)).sum() for r in results).backward()
        scalar = T.tensor(3.0, requires_grad=True)
        getattr(scalar, name)(0).backward()
        return (
            results,
            [graph_of(r.grad_fn) for r in results],
            x.grad,
            scalar.grad,
            getattr(T.tensor([[3, -2], [4, 5]]), name)(0),
            getattr(T.tensor([True, True, False]), name)(0),
            getattr(T.tensor([1, 2]), name)(0, dtype=T.float32),
            getattr(T.zeros(0, 3), name)(1),
        )

    check_same(scenario, rtol=1e-6, atol=0)


def test_cumprod_gradient_with_zeros_matches_torch() -> None:
    """torch's cumprod_backward, exact where the input has zeros: one, two, first, last, all,
    signed, and with nan and inf before a zero."""

    def scenario(T):
        x = T.tensor(
            [
                [2.0, 0.0, 4.0, 5.0],
                [2.0, 0.0, 4.0, 0.0],
                [0.0, 3.0, 4.0, 5.0],
                [2.0, 3.0, 4.0, 0.0],
                [0.0, 0.0, 0.0, 0.0],
                [-0.0, 2.0, -3.0, 0.5],
                [2.0, NAN, 0.0, 3.0],
                [2.0, float("inf"), 0.0, 3.0],
            ],
            dtype=T.float64,
            requires_grad=True,
        )
        y = x.cumprod(1)
        y.backward(T.arange(32.0, dtype=T.float64).reshape(8, 4) - 10)
        first = x.grad.clone()
        x.grad = None
        x.t().cumprod(0).sum().backward()
        return y, first, x.grad

    check_same(scenario, rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_cumulative_in_place_matches_torch(name: str) -> None:
    """x.cumsum_(dim) on a tensor with history records CumsumBackward0 on it; on an int64
    tensor it stays int64."""

    def scenario(T):
        leaf = T.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], requires_grad=True)
        y = leaf * 2
        same = getattr(y, f"{name}_")(1)
        y.sum().backward()
        ints = T.tensor([2, 3, 4])
        getattr(ints, f"{name}_")(0)
        with T.no_grad():
            getattr(leaf, f"{name}_")(dim=0)
        return y, same is y, graph_of(y.grad_fn), leaf, ints, ints.dtype

    check_same(scenario, rtol=1e-6, atol=0)


def test_the_idioms_training_code_uses_match_torch() -> None:
    """Top-k accuracy, the negative log-likelihood by gather, a lookup by index_select, a
    cumulative distribution and the median by sort: values and gradients."""

    def scenario(T):
        logits = T.tensor(
            [[2.0, 0.5, -1.0, 3.0], [0.1, 0.2, 0.3, 0.4], [5.0, -2.0, 1.0, 0.0]],
            requires_grad=True,
        )
        target = T.tensor([3, 0, 0])
        top2 = logits.topk(2, dim=1).indices
        accuracy = (top2 == target.unsqueeze(1)).any(dim=1).float().mean().item()
        nll = -logits.log_softmax(1).gather(1, target.unsqueeze(1)).squeeze(1).mean()
        table = T.arange(10.0).reshape(5, 2).requires_grad_()
        rows = table.index_select(0, T.tensor([4, 1, 4]))
        (nll + rows.pow(2).sum()).backward()
        probabilities = logits.detach().softmax(1).cumsum(1)
        ordered = logits.detach().flatten().sort().values
        median = ordered[(ordered.numel() - 1) // 2]
        ranks = logits.detach().argsort(1).argsort(1)
        return accuracy, nll, logits.grad, table.grad, probabilities, median, ranks

    check_same(scenario)


ERRORS = {
    "sort: dim out of range": lambda T: T.ones(2, 3).sort(2),
    "sort: dim of a 0-d tensor": lambda T: T.tensor(1.0).sort(1),
    "sort: a float dim": lambda T: T.sort(T.ones(2, 3), 1.5),
    "sort: a float dim, method": lambda T: T.ones(2, 3).sort(1.5),
    "sort: two ints": lambda T: T.ones(2, 3).sort(0, 1),
    "sort: three positional": lambda T: T.ones(2, 3).sort(0, True, True),
    "sort: stable and positional": lambda T: T.ones(2, 3).sort(0, stable=True),
    "sort: an int stable": lambda T: T.ones(2, 3).sort(stable=1),
    "sort: dim None": lambda T: T.ones(2, 3).sort(dim=None),
    "sort: an unknown keyword": lambda T: T.ones(2, 3).sort(foo=1),
    "sort: four, function": lambda T: T.sort(T.ones(2, 3), 0, True, True),
    "sort: a list": lambda T: T.sort([1.0, 2.0]),
    "argsort: dim out of range": lambda T: T.ones(3).argsort(-2),
    "argsort: stable None": lambda T: T.ones(3).argsort(stable=None),
    "argsort: two ints, function": lambda T: T.argsort(T.ones(3), 0, 1),
    "argsort: stable and positional, function": lambda T: T.argsort(T.ones(3), 0, stable=True),
    "argsort: four, function": lambda T: T.argsort(T.ones(3), 0, True, True),
    "argsort: a bool then an int": lambda T: T.ones(3).argsort(True, 0),
    "topk: k too big": lambda T: T.ones(2, 3).topk(4),
    "topk: k negative": lambda T: T.ones(2, 3).topk(-1),
    "topk: k of a 0-d tensor": lambda T: T.tensor(1.0).topk(2),
    "topk: dim out of range": lambda T: T.topk(T.ones(2, 3), 1, dim=2),
    "topk: bool": lambda T: T.tensor([True, False]).topk(1),
    "topk: bool and k too big": lambda T: T.tensor([True, False]).topk(3),
    "topk: no k": lambda T: T.ones(3).topk(),
    "topk: a float k": lambda T: T.topk(T.ones(3), 1.5),
    "topk: a None dim": lambda T: T.ones(3).topk(1, None),
    "topk: an int largest": lambda T: T.ones(3).topk(1, 0, 1),
    "topk: too many": lambda T: T.ones(3).topk(1, 0, True, True, 1),
    "topk: k twice": lambda T: T.ones(3).topk(1, k=1),
    "gather: dim out of range": lambda T: T.ones(2, 3).gather(2, T.zeros(2, 3, dtype=T.int64)),
    "gather: a float index": lambda T: T.gather(T.ones(2, 3), 1, T.zeros(2, 3)),
    "gather: a bool index": lambda T: T.ones(3).gather(0, T.tensor([True])),
    "gather: an index of another rank": lambda T: T.ones(2, 3).gather(1, T.zeros(3, dtype=T.int64)),
    "gather: an index too large": lambda T: T.ones(2, 3).gather(1, T.zeros(3, 3, dtype=T.int64)),
    "gather: no index": lambda T: T.gather(T.ones(3), 0),
    "gather: no dim or index": lambda T: T.gather(T.ones(3)),
    "gather: a list index": lambda T: T.ones(3).gather(0, [0]),
    "gather: a float dim": lambda T: T.gather(T.ones(3), 0.5, T.zeros(1, dtype=T.int64)),
    "gather: three positional": lambda T: T.ones(3).gather(0, T.zeros(1, dtype=T.int64), True),
    "gather: an int sparse_grad": lambda T: T.ones(3).gather(
        0, T.zeros(1, dtype=T.int64), sparse_grad=1
    ),
    "index_select: dim out of range": lambda T: T.ones(2, 3).index_select(2, T.tensor([0])),
    "index_select: a 2-d index": lambda T: T.ones(2, 3).index_select(0, T.tensor([[0]])),
    "index_select: of a 0-d tensor": lambda T: T.tensor(1.0).index_select(0, T.tensor([0, 0])),
    "index_select: a float index": lambda T: T.index_select(T.ones(3), 0, T.tensor([0.0])),
    "index_select: nothing to select from": lambda T: T.zeros(0, 3).index_select(0, T.tensor([0])),
    "index_select: no index": lambda T: T.index_select(T.ones(3), 0),
    "cumsum: no dim": lambda T: T.ones(3).cumsum(),
    "cumsum: dim out of range": lambda T: T.cumsum(T.ones(2, 3), -3),
    "cumsum: a positional dtype": lambda T: T.cumsum(T.ones(3), 0, T.float64),
    "cumsum: a dtype that is not one": lambda T: T.ones(3).cumsum(0, dtype=1),
    "cumsum: a bool dtype": lambda T: T.tensor([True]).cumsum(0, dtype=T.bool),
    "cumsum: an integer result that would need grad": lambda T: T.ones(
        3, requires_grad=True
    ).cumsum(0, dtype=T.int64),
    "cumprod: no dim": lambda T: T.cumprod(T.ones(3)),
    "cumprod: a float dim": lambda T: T.ones(3).cumprod(1.5),
    "cumprod: an integer result that would need grad": lambda T: T.ones(
        3, requires_grad=True
    ).cumprod(0, dtype=T.int64),
    "cumsum_: of bools": lambda T: T.tensor([True, False]).cumsum_(0),
    "cumprod_: of bools": lambda T: T.tensor([True, False]).cumprod_(0),
    "cumsum_: another dtype": lambda T: T.ones(2).cumsum_(0, dtype=T.float64),
    "cumprod_: another dtype": lambda T: T.tensor([1, 2]).cumprod_(0, dtype=T.float32),
    "cumsum_: a leaf that requires grad": lambda T: T.ones(2, requires_grad=True).cumsum_(0),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch_at_the_line(name: str) -> None:
    check_error_at_line(ERRORS[name])


INDEX_ERRORS = {  # positions the server checks: torch's error at the next read
    "gather: an index out of range": (
        lambda T: T.ones(3, 4).gather(0, T.tensor([[0, 9], [8, 0]])).tolist(),
        "gather",
    ),
    "gather: a negative index": (
        lambda T: T.ones(3, 4).gather(1, T.tensor([[-1]])).sum().item(),
        "gather",
    ),
    "gather: of a 0-d tensor": (
        lambda T: T.tensor(1.0).gather(0, T.tensor([0, 1])).tolist(),
        "gather",
    ),
    "index_select: out of range along dim 0": (
        lambda T: T.ones(3, 4).index_select(0, T.tensor([5])).tolist(),
        "index_select",
    ),
    "index_select: out of range along dim 1": (
        lambda T: T.ones(3, 4).index_select(1, T.tensor([1, 9, -1])).tolist(),
        "index_select",
    ),
    "index_select: a negative index of a vector": (
        lambda T: T.ones(3).index_select(0, T.tensor([-1])).tolist(),
        "index_select",
    ),
    "index_select: from a tensor without elements": (
        lambda T: T.zeros(2, 0).index_select(0, T.tensor([1, 5])).tolist(),
        "index_select",
    ),
}


@pytest.mark.parametrize("name", INDEX_ERRORS)
def test_index_errors_match_torch_at_the_next_read(name: str) -> None:
    """torch's error where the values are read, naming the op; the session stays usable."""
    check_raised_at_the_next_read(*INDEX_ERRORS[name])


def test_a_failed_gather_leaves_the_tensors_before_it_usable() -> None:
    x = gradrpc.arange(6.0).reshape(2, 3).requires_grad_()
    y = x.cumsum(1)
    with pytest.raises(RuntimeError, match="index 7 is out of bounds for dimension 1 with size 3"):
        x.gather(1, gradrpc.tensor([[7]])).tolist()
    y.sum().backward()
    expected = torch.arange(6.0).reshape(2, 3).requires_grad_()
    expected.cumsum(1).sum().backward()
    assert x.grad.tolist() == expected.grad.tolist()


def test_sparse_gradients_are_not_supported(session) -> None:
    """torch's gather(sparse_grad=True) gives a sparse gradient; gradrpc has no sparse
    tensors, and says so at the line."""
    x = gradrpc.ones(2, 3, requires_grad=True)
    with no_rpc(session), pytest.raises(NotImplementedError, match=r"^gradrpc: .*sparse_grad"):
        x.gather(1, gradrpc.tensor([[0], [2]]), sparse_grad=True)
