"""Tensor.register_hook and register_post_accumulate_grad_hook against torch: which hooks run,
in which order, with which gradient, what their answers change, torch's errors, and the
round trips a pass with hooks costs (one per hook it meets; none without)."""

from __future__ import annotations

import contextlib

import gradrpc
import pytest
import torch
from clientkit import check_error_at_line, check_same, no_rpc


def _logged(log: list, name: str, answer=None):
    """A hook that records (name, the gradient it got) and returns `answer(grad)`."""

    def hook(grad):
        log.append((name, grad.clone()))
        return None if answer is None else answer(grad)

    return hook


def test_a_non_leaf_hook_changes_what_flows_on_and_what_retain_grad_keeps():
    def run(lib):
        log = []
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        x.register_hook(_logged(log, "x"))
        y.register_hook(_logged(log, "y", lambda g: g * 10))
        y.retain_grad()
        (y * y).sum().backward()
        return log, x.grad, y.grad

    check_same(run)


def test_autograd_grad_runs_the_hooks_of_its_inputs_and_returns_what_they_gave():
    def run(lib):
        log = []
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        x.register_hook(_logged(log, "x", lambda g: g + 1))
        y = x * 3
        y.register_hook(_logged(log, "y", lambda g: g * 2))
        by_leaf = lib.autograd.grad(y.sum(), [x], retain_graph=True)
        by_node = lib.autograd.grad((y * 1).sum(), [y])
        return log, by_leaf, by_node

    check_same(run)


def test_a_captured_node_that_also_runs_gives_its_gradient_before_the_hooks():
    def run(lib):
        log = []
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        y.register_hook(_logged(log, "y", lambda g: g * 2))
        return log, lib.autograd.grad((y * y).sum(), [y, x])

    check_same(run)


@pytest.mark.parametrize("n", range(1, 9))
def test_leaves_ready_together_run_their_hooks_in_the_order_of_torchs_heap(n):
    def run(lib):
        order = []
        leaves = [lib.ones(2, requires_grad=True) for _ in range(n)]
        for i, t in enumerate(leaves):
            t.register_hook(lambda g, i=i: order.append(i))
        lib.stack(leaves).sum().backward()
        return order

    check_same(run)


@pytest.mark.parametrize(
    "combine",
    [
        lambda lib, a, b, c: a * b * c,
        lambda lib, a, b, c: lib.addcmul(a, b, c),
        lambda lib, a, b, c: (a * 2) * b + c,
        lambda lib, a, b, c: (c * 2) * (b + a),
    ],
)
def test_hooks_run_in_torchs_order_over_leaves_and_nodes(combine):
    def run(lib):
        order = []
        a, b, c = (lib.ones(2, requires_grad=True) for _ in range(3))
        for name, t in zip("abc", (a, b, c), strict=True):
            t.register_hook(lambda g, name=name: order.append(name))
        out = combine(lib, a, b, c)
        out.register_hook(lambda g: order.append("out"))
        out.sum().backward()
        return order

    check_same(run)


def test_hooks_chain_in_registration_order_and_none_keeps_the_gradient():
    def run(lib):
        log = []
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        y.register_hook(lambda g: g * 2)
        y.register_hook(_logged(log, "second"))
        y.register_hook(lambda g: g + 1)
        y.sum().backward()
        return log, x.grad

    check_same(run)


def test_a_removed_hook_no_longer_runs_and_a_pass_without_hooks_costs_no_round_trip(session):
    for lib in (torch, gradrpc):
        log = []
        x = lib.ones(2, requires_grad=True)
        handle = x.register_hook(_logged(log, "x"))
        (x * 2).sum().backward()
        assert len(log) == 1
        handle.remove()
        handle.remove()  # twice is harmless
        assert repr(x._backward_hooks) == "OrderedDict()"
        if lib is gradrpc:
            session.flush()
            with no_rpc():
                (x * 2).sum().backward()
        else:
            (x * 2).sum().backward()
        assert len(log) == 1
        assert x.grad.tolist() == [4.0, 4.0]


def test_each_hook_a_pass_meets_costs_one_round_trip(session):
    x = gradrpc.ones(2, requires_grad=True)
    y = x * 2
    x.register_hook(lambda g: None)
    y.register_hook(lambda g: g * 3)
    loss = (y * y).sum()
    session.flush()
    before = session.rpc_count
    loss.backward()
    assert session.rpc_count - before == 3  # the pass, then an answer per hook
    assert x.grad.tolist() == [24.0, 24.0]


def test_the_hook_of_a_tensor_that_is_gone_still_runs():
    def run(lib):
        log = []
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        y.register_hook(_logged(log, "y", lambda g: g * 5))
        loss = y.sum()
        del y
        loss.backward()
        return log, x.grad

    check_same(run)


def test_a_hook_registered_before_an_in_place_op_sees_the_gradient_of_the_old_value():
    def run(lib):
        log = []
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        y.register_hook(_logged(log, "old y"))
        y.mul_(3)
        y.register_hook(_logged(log, "new y"))
        y.sum().backward()
        return log, x.grad

    check_same(run)


def test_a_hook_may_change_a_leafs_gradient_in_place():
    def run(lib):
        x = lib.ones(2, requires_grad=True)
        x.register_hook(lambda g: g.add_(1))
        (x * 2).sum().backward()
        return x.grad

    check_same(run)


def test_hooks_run_again_in_a_second_pass_over_a_retained_graph():
    def run(lib):
        log = []
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        y.register_hook(_logged(log, "y"))
        y.sum().backward(retain_graph=True)
        y.sum().backward()
        return log, x.grad

    check_same(run)


def test_backward_with_inputs_runs_the_hooks_of_those_inputs_only():
    def run(lib):
        log = []
        x = lib.ones(2, requires_grad=True)
        w = lib.ones(2, requires_grad=True)
        x.register_hook(_logged(log, "x"))
        w.register_hook(_logged(log, "w"))
        (x * w * 3).sum().backward(inputs=[w])
        return log, x.grad, w.grad

    check_same(run)


def test_a_hook_may_run_a_backward_pass_of_its_own():
    def run(lib):
        x = lib.ones(2, requires_grad=True)
        inner = []
        y = x * 5
        y.register_hook(lambda g: inner.append(g.clone()))

        def outer(g):
            with lib.enable_grad():
                inner.append(lib.autograd.grad((y * y).sum(), x, retain_graph=True))
            return g * 2

        a = x * 3
        a.register_hook(outer)
        a.sum().backward()
        return inner, x.grad

    check_same(run)


def test_post_accumulate_grad_hooks_see_the_accumulated_grad_and_may_step_the_leaf():
    def run(lib):
        seen = []
        w = lib.tensor([1.0, -2.0], requires_grad=True)

        def sgd_in_backward(p):
            seen.append(p.grad.clone())
            with lib.no_grad():
                p.sub_(0.5 * p.grad)
            p.grad = None

        w.register_post_accumulate_grad_hook(sgd_in_backward)
        for _ in range(3):
            (w * w * 3).sum().backward()
        return seen, w.detach(), w.grad

    check_same(run)


def test_a_post_accumulate_grad_hook_runs_after_the_tensor_hooks():
    def run(lib):
        order = []
        w = lib.ones(2, requires_grad=True)
        w.register_post_accumulate_grad_hook(lambda p: order.append(("post", p.grad.clone())))
        w.register_hook(_logged(order, "pre", lambda g: g * 10))
        (w * 2).sum().backward()
        return order

    check_same(run)


@pytest.mark.parametrize(
    "scenario",
    [
        lambda lib: lib.ones(2).register_hook(lambda g: g),
        lambda lib: (lib.ones(2, requires_grad=True) * 2).register_post_accumulate_grad_hook(print),
        lambda lib: lib.ones(2).register_post_accumulate_grad_hook(print),
    ],
)
def test_registering_where_torch_refuses_raises_torchs_error_at_the_line(scenario):
    check_error_at_line(scenario)


def _size_changing(g):
    return g.sum()


def _retyping(g):
    return g.double()


@pytest.mark.parametrize(
    "hook",
    [_size_changing, _retyping, lambda g: 3, lambda g: [g]],
    ids=["size", "dtype", "number", "list"],
)
@pytest.mark.parametrize("on_leaf", [False, True])
def test_a_hook_answer_torch_refuses_raises_its_error_and_changes_nothing(hook, on_leaf):
    def run(lib):
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        (x if on_leaf else y).register_hook(hook)
        (y * x).sum().backward()

    check_same(run)

    def after(lib):  # the pass changed no .grad; the session goes on
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        handle = (x if on_leaf else y).register_hook(hook)
        with contextlib.suppress(RuntimeError, TypeError):
            (y * x).sum().backward(retain_graph=True)
        handle.remove()
        grad_before = x.grad
        (y * x).sum().backward()
        return grad_before, x.grad

    check_same(after)


def test_a_post_accumulate_grad_hook_that_returns_something_raises_torchs_error():
    def run(lib):
        w = lib.ones(2, requires_grad=True)
        w.register_post_accumulate_grad_hook(lambda p: p * 2)
        (w * 3).sum().backward()

    check_same(run)


def test_an_exception_in_a_hook_propagates_and_leaves_the_grads_as_they_were():
    class Boom(Exception):
        pass

    for lib in (torch, gradrpc):
        x = lib.ones(2, requires_grad=True)
        y = x * 2

        def boom(g):
            raise Boom("boom")

        y.register_hook(boom)
        with pytest.raises(Boom):
            (y * x).sum().backward()
        assert x.grad is None
        assert (lib.ones(2) * 3).sum().item() == 6.0


def test_hooks_in_a_create_graph_pass_are_refused_plainly():
    x = gradrpc.ones(2, requires_grad=True)
    x.register_hook(lambda g: g)
    with pytest.raises(NotImplementedError, match="create_graph pass are not supported yet"):
        gradrpc.autograd.grad((x * x).sum(), x, create_graph=True)
    assert gradrpc.autograd.grad((x * x).sum(), x)[0].tolist() == [2.0, 2.0]


def test_the_seeds_training_loop_with_a_gradient_clipping_hook_trains_as_torchs():
    def run(lib):
        lib.manual_seed(0)
        torch.manual_seed(0)
        x = lib.tensor(torch.randn(16, 5).tolist())
        y = lib.tensor(torch.randn(16, 1).tolist())
        model = lib.nn.Sequential(lib.nn.Linear(5, 4), lib.nn.ReLU(), lib.nn.Linear(4, 1))
        with lib.no_grad():
            for i, p in enumerate(model.parameters()):
                p.copy_(lib.tensor(torch.linspace(-0.5, 0.5, p.numel()).reshape(p.shape).tolist()))
                p.register_hook(lambda g, i=i: g.clamp(-0.1 * (i + 1), 0.1 * (i + 1)))
        optimizer = lib.optim.SGD(model.parameters(), lr=0.05)
        losses = []
        for _ in range(5):
            loss = lib.nn.functional.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, [p.detach() for p in model.parameters()]

    check_same(run, rtol=1e-5, atol=1e-6)
