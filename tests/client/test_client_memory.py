"""A long loop of small steps leaves the server holding what it held before: the handles of
tensors Python drops are released in later batches, and the client's graph mirror (including
what the queue keeps to undo a failed pass) does not keep tensors alive."""

from __future__ import annotations

import gc
import math

import gradrpc
import pytest

ITERATIONS = 10_000


def test_ten_thousand_iterations_leave_the_handle_count_where_it_started(session):
    with gradrpc.connect(session.address) as s:
        start = s.handle_count()
        w = s.tensor([0.5, -1.0, 2.0], requires_grad=True)
        x = s.ones(3)
        for i in range(ITERATIONS):
            h = (w * x).tanh()
            h.retain_grad() if i % 7 == 0 else None
            y = (h.exp() + w).sum()
            y.backward()
            if i % 97 == 0:
                assert y.item() == pytest.approx(y.item())
                with gradrpc.no_grad():
                    w -= 0.001 * w.grad
                w.grad.zero_()
            if i % 1000 == 0:
                (g,) = gradrpc.autograd.grad((w * w).sum(), w)
                assert g.shape == w.shape
        assert s.rpc_count < ITERATIONS // 10  # batched
        during = s.handle_count()
        assert during <= start + 10, during  # w, x, w.grad, the last h, y and friends
        del w, x, h, y, g
        gc.collect()
        assert s.handle_count() == start


def test_dropping_a_graph_releases_every_tensor_it_made(session):
    with gradrpc.connect(session.address) as s:
        start = s.handle_count()
        x = s.ones(4, requires_grad=True)
        ys = [(x * k).exp() for k in range(50)]
        total = sum(y.sum() for y in ys)
        total.backward()
        assert s.handle_count() > start + 50
        del ys, total
        gc.collect()
        assert s.handle_count() == start + 1  # x (its .grad gets a handle when first read)
        assert x.grad.tolist() == pytest.approx([sum(math.exp(k) * k for k in range(50))] * 4)
        assert s.handle_count() == start + 2
        del x
        gc.collect()
        assert s.handle_count() == start
