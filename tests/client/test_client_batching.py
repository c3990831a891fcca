"""Batching: ops are queued, values cost one round trip each, metadata costs nothing, a full
queue leaves without waiting, the handles of dropped tensors leave in a later batch, and no
answer is kept once it is read."""

from __future__ import annotations

import gc
import sys
import threading
import time

import gradrpc
import pytest
import torch
from clientkit import no_rpc


@pytest.mark.parametrize("n", [1, 10, 200])
def test_a_chain_of_ops_then_item_is_one_call(session, n):
    session.flush()
    before = session.rpc_count
    x = gradrpc.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = x
    for i in range(n):
        y = (y * 0.99 + 0.01).tanh() if i % 2 else y.exp() / 3
    value = y.sum().item()
    assert session.rpc_count == before + 1

    tx = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    ty = tx
    for i in range(n):
        ty = (ty * 0.99 + 0.01).tanh() if i % 2 else ty.exp() / 3
    assert value == pytest.approx(ty.sum().item(), rel=1e-5)


def test_forward_backward_and_reading_the_gradient_is_one_call(session):
    session.flush()
    before = session.rpc_count
    w = gradrpc.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x = gradrpc.ones(2)
    loss = ((w @ x).relu() ** 2).mean()
    loss.backward()
    grad = w.grad
    assert session.rpc_count == before  # nothing sent yet
    assert grad.tolist() == [[3.0, 3.0], [7.0, 7.0]]
    assert session.rpc_count == before + 1


def test_metadata_queries_cost_nothing():
    x = gradrpc.ones(2, 3, requires_grad=True)
    y = (x * 2).t()
    z = y.sum(0)
    with no_rpc():
        for t in (x, y, z):
            _ = (t.shape, t.size(), t.dtype, t.ndim, t.dim(), t.numel(), t.stride())
            _ = (t.is_contiguous(), t.requires_grad, t.is_leaf, t.grad_fn, t.device)
            _ = (t.is_floating_point(), t.retains_grad, t.is_cuda)
        _ = (y.size(0), len(y), y.grad_fn.next_functions, y.grad_fn.name(), x.grad)
        z.backward(gradrpc.ones(2))
        _ = (x.grad.shape, x.grad.dtype, x.grad.requires_grad, x.grad.is_leaf)


def test_each_value_read_is_one_call(session):
    x = gradrpc.tensor([1.0, 2.0, 3.0])
    y = x * 2
    reads = [y.tolist, y.numpy, lambda: repr(y), lambda: str(y), lambda: f"{y.sum():.1f}"]
    reads += [y.sum().item, lambda: float(y.sum()), lambda: bool(y.sum()), lambda: print(y)]
    for read in reads:
        session.flush()
        before = session.rpc_count
        read()
        assert session.rpc_count == before + 1


def test_empty_flush_costs_nothing(session):
    session.flush()
    with no_rpc():
        session.flush()


def test_dropped_handles_leave_in_the_next_batch(session):
    gc.collect()  # what earlier tests left in reference cycles (a caught error's frames)
    start = session.handle_count()
    tensors = [gradrpc.ones(2) * k for k in range(5)]
    # the five ones() were dropped at once: their handles left with the batch that made them
    assert session.handle_count() == start + 5
    with no_rpc():
        del tensors
        gc.collect()
    assert session.handle_count() == start


def test_the_queue_leaves_when_full_without_waiting():
    with gradrpc.Session(gradrpc.default_session().address, max_queue=10) as s:
        x = s.ones(3)
        with no_rpc(s):
            for _ in range(8):
                x = x + 1
            assert s.messages_sent == 0
            y = x + 1  # the tenth operation: the queue is sent, nobody waits for it
            assert s.messages_sent == 1
        assert y.tolist() == [10.0, 10.0, 10.0]
        assert (s.rpc_count, s.messages_sent) == (1, 2)


def test_uploads_leave_by_size_without_waiting():
    with gradrpc.Session(gradrpc.default_session().address, max_queue_bytes=1000) as s:
        s.tensor([1.0] * 100)  # 400 bytes
        s.tensor([1.0] * 100)
        assert (s.rpc_count, s.messages_sent) == (0, 0)
        s.tensor([1.0] * 100)  # 1200 bytes queued
        assert (s.rpc_count, s.messages_sent) == (0, 1)


def _reader_locals(thread: threading.Thread) -> set[str]:
    """The local names of the stream reader's loop in `thread` as it stands now (none once
    it has left the loop: its stream ended)."""
    frame = sys._current_frames().get(thread.ident)
    while frame is not None and frame.f_code.co_name != "_read":
        frame = frame.f_back
    return set() if frame is None else set(frame.f_locals)


def test_the_stream_reader_keeps_no_answer_once_it_is_read(session):
    """Between answers the stream's reader thread holds neither the last batch nor its
    response: a large fetched value is freed once the caller is done with it."""
    big = session.ones(1000, 1000)
    assert big.sum().item() == 1e6
    readers = [t for t in threading.enumerate() if t.name == "gradrpc-stream"]
    assert readers
    # each reader goes back to waiting for its next answer at once; well before the stream's
    # idle close (stream_idle, 2 s), after which it would hold nothing anyway
    deadline = time.monotonic() + 1
    while any({"batch", "response"} & _reader_locals(r) for r in readers):
        assert time.monotonic() < deadline, [_reader_locals(r) for r in readers]
        time.sleep(0.01)
