"""Joining and splitting through the client, against torch: torch.cat / concat / stack over
any number of tensors (promotion, the 1-d empty rule, gradients to each input), unbind,
iteration, `in`, and torch's errors at the user's line."""

from __future__ import annotations

import pytest
from clientkit import check_error_at_line, check_same


def test_cat_and_stack():
    def scenario(T):
        a = T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        b = T.tensor([[5.0, 6.0]], dtype=T.float64, requires_grad=True)
        n = T.tensor([[7, 8]])
        rows = T.cat([a, b, n])
        cols = T.cat((a, a.t()), dim=1)
        stacked = T.stack([a, a * 2, a.exp()], 1)
        (rows.sum() + cols.pow(2).sum() + stacked.sum()).backward()
        return (
            rows,
            cols,
            stacked,
            T.concat([a, T.zeros(0)]),  # a 1-d empty tensor is skipped
            T.concatenate([T.zeros(0), T.zeros(0)]),
            T.stack([T.tensor(1.0), T.tensor(2.0)]),
            T.stack((a,), dim=-1).shape,
            len(rows.grad_fn.next_functions),
            a.grad,
            b.grad,
            str(stacked),
        )

    check_same(scenario)


def test_iteration_and_unbind():
    def scenario(T):
        x = T.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
        total = 0
        for k, row in enumerate(x):
            total = total + row * (k + 1)
        first, second = x.unbind(1)
        (total.sum() + (first * second).sum()).backward()
        pieces = list(x.detach())
        return (
            total,
            first,
            second,
            x.grad,
            pieces,
            [float(v) for v in T.tensor([0.5, 1.5])],
            [r.tolist() for r in T.unbind(T.tensor([[1, 2], [3, 4]]), dim=-1)],
            len(list(T.zeros(0, 3))),
        )

    check_same(scenario)


def test_membership():
    def scenario(T):
        x = T.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        return (
            2 in x,
            2.5 in x,
            T.tensor([4.0, 5.0, 6.0]) in x,
            T.tensor(7.0) in x,
            True in T.tensor([False, True]),
        )

    check_same(scenario)


ERRORS = [
    lambda T: T.cat([]),
    lambda T: T.stack([]),
    lambda T: T.cat([T.ones(2, 3), T.ones(2, 2)]),
    lambda T: T.cat([T.ones(2, 3), T.ones(2)]),
    lambda T: T.cat([T.ones(2), T.tensor(1.0)]),
    lambda T: T.cat([T.ones(2), 1]),
    lambda T: T.cat(T.ones(2)),
    lambda T: T.cat([T.ones(2)], 1),
    lambda T: T.cat([T.ones(2)], dim=1.5),
    lambda T: T.stack([T.ones(2, 3), T.ones(3, 2)]),
    lambda T: T.stack([T.ones(2)], "a"),
    lambda T: T.stack([T.ones(2)], 2),
    lambda T: list(T.tensor(1.0)),
    lambda T: T.tensor(1.0).unbind(),
    lambda T: T.ones(2, 3).unbind(2),
    lambda T: T.ones(2).unbind(0.5),
    lambda T: "x" in T.ones(2),
]


@pytest.mark.parametrize("fn", ERRORS, ids=range(len(ERRORS)))
def test_errors_match_torch(fn):
    check_error_at_line(fn)


def test_membership_broadcast_error_matches_torch():
    """`element in x` compares `element == x`: a broadcast error names the operands in that
    order."""
    check_same(lambda T: T.tensor([1.0, 2.0]) in T.ones(2, 3))
