"""Round trips of a training step, counted on the wire by a gRPC client interceptor: a step
that reads its loss costs exactly one round trip, a step that reads nothing costs none (its
batch is sent without waiting, and the client goes on while the server runs it), and an error
in a step nobody waited for surfaces at the next value read, naming the op and its line."""

from __future__ import annotations

import collections
import inspect
import threading
import time

import gradrpc
import grpc
import numpy as np
import pytest
import torch

STREAM = "/gradrpc.v1.GradService/ExecuteStream"
W0 = [0.5, -1.0, 2.0, 0.25]
X = [[1.0, 2.0, 3.0, 4.0], [-1.0, 0.5, 0.0, 2.0], [0.3, -0.2, 1.5, -1.0]]
Y = [1.0, -2.0, 0.5]
LR = 0.05


class WireCounter(grpc.UnaryUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Counts every call by method, and the messages sent and received on streams."""

    def __init__(self):
        self.calls: collections.Counter[str] = collections.Counter()
        self.sent = 0
        self.received = 0
        self._lock = threading.Lock()

    def intercept_unary_unary(self, continuation, details, request):
        self.calls[details.method] += 1
        return continuation(details, request)

    def intercept_stream_stream(self, continuation, details, request_iterator):
        self.calls[details.method] += 1

        def counted():
            for request in request_iterator:  # pulled by gRPC as it sends each message
                with self._lock:
                    self.sent += 1
                yield request

        return _CountedResponses(continuation(details, counted()), self)

    def count_received(self) -> None:
        with self._lock:
            self.received += 1

    def snapshot(self) -> tuple[int, int, int]:
        """(calls of any method, messages sent, messages received)."""
        return sum(self.calls.values()), self.sent, self.received


class _CountedResponses:
    """The stream call, counting the responses read from it."""

    def __init__(self, call, counter: WireCounter):
        self._call, self._counter = call, counter

    def __iter__(self):
        return self

    def __next__(self):
        response = next(self._call)
        self._counter.count_received()
        return response

    def __getattr__(self, name):
        return getattr(self._call, name)


@pytest.fixture
def wired(session):
    """A session of its own whose channel goes through a WireCounter."""
    counter = WireCounter()
    with gradrpc.Session(session.address, interceptors=[counter]) as s:
        yield s, counter


def settled(counter: WireCounter, sent: int, timeout: float = 10) -> tuple[int, int, int]:
    """The counter once `sent` messages left and were answered (gRPC's threads do both)."""
    deadline = time.monotonic() + timeout
    while counter.snapshot()[1:] != (sent, sent) and time.monotonic() < deadline:
        time.sleep(0.001)
    return counter.snapshot()


def training_step(T, w, x, y, send=None):
    """A manual step with plain tensor ops: forward, MSE, backward, SGD update, zero_grad."""
    prediction = x @ w
    loss = ((prediction - y) ** 2).mean()
    loss.backward()
    with T.no_grad():
        w -= LR * w.grad
    w.grad.zero_()
    if send is not None:
        send()  # where optimizer.step() / zero_grad() end
    return loss


def test_a_step_that_reads_its_loss_is_one_round_trip(wired):
    s, counter = wired
    w, x, y = s.tensor(W0, requires_grad=True), s.tensor(X), s.tensor(Y)
    tw, tx, ty = torch.tensor(W0, requires_grad=True), torch.tensor(X), torch.tensor(Y)
    s.flush()
    for step in range(20):
        calls, sent, _ = settled(counter, s.messages_sent)
        waits = s.rpc_count
        loss = training_step(gradrpc, w, x, y).item()
        assert s.rpc_count == waits + 1  # the client waited once
        assert settled(counter, s.messages_sent) == (calls, sent + 1, sent + 1)  # one message
        assert loss == pytest.approx(training_step(torch, tw, tx, ty).item(), rel=1e-5), step
    assert counter.calls[STREAM] == 1  # one long-lived stream carried every step
    np.testing.assert_allclose(w.tolist(), tw.tolist(), rtol=1e-5)


def test_a_step_that_sends_then_reads_its_loss_is_one_round_trip(wired):
    """After a read, send() holds the step back (send_delay): the loop's next read comes
    first and carries it, so each step is one message and one wait."""
    s, counter = wired
    s.send_delay = 60.0  # the read always comes first, however slow the machine
    w, x, y = s.tensor(W0, requires_grad=True), s.tensor(X), s.tensor(Y)
    s.flush()
    for _ in range(20):
        calls, sent, _ = settled(counter, s.messages_sent)
        waits = s.rpc_count
        loss = training_step(gradrpc, w, x, y, send=s.send)
        assert s.rpc_count == waits  # the step itself waits for nothing
        loss.item()
        assert s.rpc_count == waits + 1
        assert settled(counter, s.messages_sent) == (calls, sent + 1, sent + 1)
    assert counter.calls[STREAM] == 1


def test_a_step_held_back_after_a_read_leaves_when_due(session):
    """Nothing reads after the held-back step: it leaves after send_delay on its own, and
    the server runs it while the client does other work."""
    counter = WireCounter()
    with gradrpc.Session(session.address, send_delay=0.5, interceptors=[counter]) as s:
        w, x, y = s.tensor(W0, requires_grad=True), s.tensor(X), s.tensor(Y)
        training_step(gradrpc, w, x, y).item()  # a read
        calls, sent, _ = settled(counter, s.messages_sent)
        waits = s.rpc_count
        training_step(gradrpc, w, x, y, send=s.send)
        assert s.messages_sent == sent  # held back
        assert settled(counter, sent + 1) == (calls, sent + 1, sent + 1)  # sent when due, answered
        assert s.messages_sent == sent + 1
        assert s.rpc_count == waits  # nobody waited for it


def test_an_error_in_a_held_back_step_surfaces_at_the_next_read(session):
    """The sender thread sends the held-back step; the server refuses it, and the next read
    raises that error, naming the op and the user's line."""
    counter = WireCounter()
    with gradrpc.Session(session.address, send_delay=0.05, interceptors=[counter]) as s:
        w, features = s.tensor(W0, requires_grad=True), s.tensor([1.0, 2.0, 3.0, 4.0])
        assert features.sum().item() == 10.0  # a read
        loss = ((features * w).sum() - 1.0) ** 2
        features.add_(1)  # modifies what mul saved: only the server's backward can tell
        line = _line() + 1  # the next line's
        loss.backward()
        sent = s.messages_sent
        s.send()  # held back after the read, then sent by the sender thread
        settled(counter, sent + 1)
        assert s.messages_sent == sent + 1
        with pytest.raises(RuntimeError) as info:
            features.sum().item()  # the next read
        assert "modified by an inplace operation" in str(info.value)
        assert str(info.value).endswith(
            f"(gradrpc: raised by 'backward' queued at {__file__}:{line})"
        )
        assert features.sum().item() == 14.0  # raised once; the session goes on


def test_without_a_send_delay_a_step_leaves_at_once_after_a_read(session):
    counter = WireCounter()
    with gradrpc.Session(session.address, send_delay=0, interceptors=[counter]) as s:
        w, x, y = s.tensor(W0, requires_grad=True), s.tensor(X), s.tensor(Y)
        s.flush()
        for _ in range(3):
            calls, sent, _ = settled(counter, s.messages_sent)
            training_step(gradrpc, w, x, y, send=s.send).item()
            assert settled(counter, s.messages_sent) == (calls, sent + 2, sent + 2)


def test_steps_that_read_nothing_cost_no_round_trip(wired):
    s, counter = wired
    w, x, y = s.tensor(W0, requires_grad=True), s.tensor(X), s.tensor(Y)
    tw, tx, ty = torch.tensor(W0, requires_grad=True), torch.tensor(X), torch.tensor(Y)
    s.flush()
    calls, sent, _ = settled(counter, s.messages_sent)
    waits = s.rpc_count
    steps = 50
    for _ in range(steps):
        loss = training_step(gradrpc, w, x, y, send=s.send)
        expected = training_step(torch, tw, tx, ty)
    assert s.rpc_count == waits  # no wait at all
    # at most one message per step, sent as the step ended (fewer while the server is busy)
    messages = s.messages_sent - sent
    assert 1 <= messages <= steps
    assert settled(counter, s.messages_sent) == (calls, sent + messages, sent + messages)
    assert counter.calls[STREAM] == 1
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)  # the one wait
    assert s.rpc_count == waits + 1
    np.testing.assert_allclose(w.tolist(), tw.tolist(), rtol=1e-5)


def test_a_send_while_the_server_is_busy_joins_the_next_message(wired):
    """Nagle's rule: while the last batch sent is unanswered, send() keeps queueing; the
    queue leaves with the next send() after the answer (or a wait), never waiting itself."""
    s, _ = wired
    s.send_delay = 0  # sends after a read too leave at once, by this rule
    big = s.ones(1500, 1500)
    s.flush()
    sent = s.messages_sent
    (big @ big).sum()  # a batch that keeps the server busy for tens of milliseconds
    s.send()
    assert s.messages_sent == sent + 1
    small = s.ones(3) * 2
    s.send()  # the first batch cannot have been answered yet: nothing leaves
    assert s.messages_sent == sent + 1
    waits = s.rpc_count
    assert small.tolist() == [2.0, 2.0, 2.0]  # the wait sends the queue, with the fetch
    assert (s.messages_sent, s.rpc_count) == (sent + 2, waits + 1)
    s.send()  # nothing queued, nothing in flight: nothing to send
    assert s.messages_sent == sent + 2


def test_without_a_step_boundary_the_queue_leaves_only_when_full(wired):
    s, counter = wired
    w, x, y = s.tensor(W0, requires_grad=True), s.tensor(X), s.tensor(Y)
    s.flush()
    calls, sent, _ = settled(counter, s.messages_sent)
    waits = s.rpc_count
    for _ in range(200):  # ~8 operations a step, 1024 a batch
        training_step(gradrpc, w, x, y)
    assert s.rpc_count == waits
    assert 1 <= s.messages_sent - sent <= 2
    assert counter.snapshot()[0] == calls


def test_the_client_does_not_wait_for_steps_it_reads_nothing_from(session):
    """Against batches that keep the server busy, building and sending steps takes a small
    fraction of the time the server needs for them: the client does not block."""
    with gradrpc.Session(session.address) as s:
        n = 2_000_000
        x = s.ones(n)
        y = s.zeros(n)
        w = s.full((n,), 0.5, requires_grad=True)
        s.flush()
        steps = s.max_in_flight  # within the in-flight bound, nothing may block
        waits = s.rpc_count
        started = time.perf_counter()
        for _ in range(steps):
            loss = ((x * w - y) ** 2).mean()
            loss.backward()
            with gradrpc.no_grad():
                w -= LR * w.grad
            w.grad.zero_()
            s.send()
        building = time.perf_counter() - started
        assert s.rpc_count == waits
        value = loss.item()
        total = time.perf_counter() - started
        assert s.rpc_count == waits + 1
    expected = 0.5 * (1 - 2 * LR / n) ** (steps - 1)  # d mean((w - 0)^2) / dw = 2w / n
    assert value == pytest.approx(expected**2, rel=1e-4)
    print(f"building {steps} steps: {building * 1e3:.1f} ms; until the loss: {total * 1e3:.1f} ms")
    assert building < total / 4, (building, total)


def _line() -> int:
    return inspect.currentframe().f_back.f_lineno


def test_an_error_in_a_step_nobody_waited_for_surfaces_at_the_next_read(wired):
    s, counter = wired
    s.send_delay = 0  # each step its own batch, even after the read below
    w, x, y = s.tensor(W0, requires_grad=True), s.tensor(X), s.tensor(Y)
    training_step(gradrpc, w, x, y, send=s.send)  # a good step
    good = w.tolist()
    waits = s.rpc_count

    # A step whose backward only the server can refuse: x changes after mul saved it.
    features = s.tensor([1.0, 2.0, 3.0, 4.0])
    loss = ((features * w).sum() - 1.0) ** 2
    features.add_(1)
    line = _line() + 1  # the next line's
    loss.backward()
    update = LR * w.grad
    with gradrpc.no_grad():
        w -= update
    w.grad.zero_()
    s.send()
    later = training_step(gradrpc, w, x, y, send=s.send)  # a step after it, sent too
    assert s.rpc_count == waits  # nothing waited, nothing raised yet

    with pytest.raises(RuntimeError) as info:
        later.item()  # the next read
    assert s.rpc_count == waits + 1
    message = str(info.value)
    assert "modified by an inplace operation" in message
    assert message.endswith(f"(gradrpc: raised by 'backward' queued at {__file__}:{line})")
    # What was queued after the failing operation in its batch never ran, and says so at once.
    with pytest.raises(RuntimeError, match="was never computed"):
        update.tolist()
    # The later step was on its way before the error was known: it ran, on the weights the
    # failing step left alone (as the stream's contract says, later batches run).
    tw = torch.tensor(good, requires_grad=True)
    expected = training_step(torch, tw, torch.tensor(X), torch.tensor(Y))
    assert later.item() == pytest.approx(expected.item(), rel=1e-5)
    np.testing.assert_allclose(w.tolist(), tw.tolist(), rtol=1e-5)
    assert counter.calls[STREAM] == 1


def test_a_stored_error_is_raised_by_the_first_use_of_what_never_ran(wired):
    s, _ = wired
    w = s.ones(3, requires_grad=True)
    x = s.ones(3)
    loss = (x * w).sum()
    x.add_(1)
    line = _line() + 1  # the next line's
    loss.backward()
    g = w.grad * 2  # never computed on the server
    s.send()
    deadline = time.monotonic() + 10
    while w.grad is not None and time.monotonic() < deadline:  # until the answer is in:
        time.sleep(0.001)  # the client's mirror then forgets the gradient backward never made
        s.send()
    assert w.grad is None
    waits = s.rpc_count
    with pytest.raises(RuntimeError) as info:
        g + 1  # the first use of a tensor that never ran raises the error that stopped it
    assert "modified by an inplace operation" in str(info.value)
    assert str(info.value).endswith(f"queued at {__file__}:{line})")
    with pytest.raises(RuntimeError, match="was never computed"):
        g + 1
    s.flush()  # raised once: nothing is left to raise
    assert s.rpc_count == waits


def test_close_waits_for_what_was_sent_and_raises_its_error(session):
    s = gradrpc.Session(session.address)
    x, w = s.ones(3), s.ones(3, requires_grad=True)
    loss = (x * w).sum()
    x.add_(1)
    line = _line() + 1  # the next line's
    loss.backward()
    s.send()
    waits = s.rpc_count
    with pytest.raises(RuntimeError) as info:
        s.close()
    assert str(info.value).endswith(f"(gradrpc: raised by 'backward' queued at {__file__}:{line})")
    assert s.closed and s.rpc_count == waits + 1


def test_an_idle_stream_is_closed_and_opened_again(session):
    counter = WireCounter()
    with gradrpc.Session(session.address, stream_idle=0.1, interceptors=[counter]) as s:
        x = s.tensor([1.0, 2.0])
        assert (x * 2).tolist() == [2.0, 4.0]
        assert counter.calls[STREAM] == 1
        deadline = time.monotonic() + 10
        while s._stream is not None and time.monotonic() < deadline:
            time.sleep(0.01)  # the server's worker thread is given back
        assert s._stream is None
        assert (x * 3).tolist() == [3.0, 6.0]
        assert counter.calls[STREAM] == 2
        assert s.rpc_count == 2


def test_a_full_queue_leaves_while_the_server_is_busy_and_waits_for_room(session):
    """A full queue is sent even while earlier batches are unanswered (a batch never outgrows
    `max_queue`), and once `max_in_flight` batches are unanswered the client waits for room:
    a client that outruns the server is held back instead of queueing without bound."""
    counter = WireCounter()
    with gradrpc.Session(
        session.address, max_queue=4, max_in_flight=2, interceptors=[counter]
    ) as s:
        big = s.ones(1500, 1500)
        s.flush()
        sent, answered, waits = s.messages_sent, counter.received, s.rpc_count
        (big @ big).sum()  # 2 operations that keep the server busy for tens of milliseconds
        x = s.ones(3)
        x = x + 1  # the fourth: the queue leaves, nobody waits
        assert s.messages_sent == sent + 1
        for _ in range(4):
            x = x + 1  # full again while the first is unanswered: it leaves anyway
        assert (s.messages_sent, counter.received) == (sent + 2, answered)
        for _ in range(4):
            x = x + 1  # full again with two in flight: the client waits for the first answer
        assert s.messages_sent == sent + 3
        assert counter.received >= answered + 1  # (the small second may be answered by now)
        assert s.rpc_count == waits  # held back, not a value read
        assert x.tolist() == [10.0, 10.0, 10.0]
