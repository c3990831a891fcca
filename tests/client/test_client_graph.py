"""Autograd graph semantics through the client, compared with real torch.

Each scenario is a function of the module (`T` is torch or gradrpc) that returns what it
observed (tensors, flags, grad_fn names); `check_same` runs it under both and compares."""

from __future__ import annotations

import gradrpc
import pytest
import torch
from clientkit import check_same

# ---------------------------------------------------------------- accumulation and fan-out


def test_fan_out_accumulates():
    def scenario(T):
        x = T.tensor([1.0, 2.0, -3.0], requires_grad=True)
        y = x * x + x * 3 + x  # x used four times
        y.sum().backward()
        return x.grad

    check_same(scenario)


def test_diamond_and_shared_subexpressions():
    def scenario(T):
        x = T.tensor([0.5, -1.5], requires_grad=True)
        a = x.exp()
        b = a + a
        c = b * a - a.sigmoid()
        (c * c).sum().backward()
        return x.grad, a.requires_grad, a.is_leaf, c.grad_fn

    check_same(scenario, rtol=1e-6)


def test_self_product_and_gradients_accumulate_over_calls():
    def scenario(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        grads = []
        for _ in range(3):
            (x * x).sum().backward()
            grads.append(x.grad.clone())
        return grads

    check_same(scenario)


def test_leaf_used_as_root():
    def scenario(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        x.backward(T.tensor([3.0, 4.0]))
        s = T.tensor(2.0, requires_grad=True)
        s.backward()
        return x.grad, s.grad

    check_same(scenario)


def test_broadcast_gradients_sum_back_to_each_input():
    def scenario(T):
        a = T.ones(2, 1, 3, requires_grad=True)
        b = T.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
        c = T.tensor(2.0, requires_grad=True)
        ((a * b + c) ** 2).sum().backward()
        return a.grad, b.grad, c.grad

    check_same(scenario)


# ---------------------------------------------------------------- retain_graph and freeing


def test_retain_graph_then_free():
    def scenario(T):
        inp = T.eye(3, 4, requires_grad=True)
        out = (inp + 1).pow(2).t()
        out.backward(T.ones_like(out), retain_graph=True)
        first = inp.grad.clone()
        out.backward(T.ones_like(out))
        second = inp.grad.clone()
        try:
            out.backward(T.ones_like(out))
        except RuntimeError as exc:
            third = str(exc)
        return first, second, third

    check_same(scenario)


def test_a_new_graph_over_freed_nodes_that_saved_nothing():
    def scenario(T):
        x = T.ones(2, requires_grad=True)
        a = x * 2  # MulBackward0 saves nothing for x (it saves the number 2)
        b = a.exp().sum()
        b.backward()
        c = (a + 1).sum()  # walks through a's node again
        c.backward()
        return x.grad

    check_same(scenario)


def test_autograd_grad_does_not_free_the_node_it_captures():
    def scenario(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        h = x.exp()
        y = (h * h).sum()
        (g,) = T.autograd.grad(y, h)
        h.sum().backward()  # through ExpBackward0, which grad() did not run
        return g, x.grad, h.grad_fn

    check_same(scenario, rtol=1e-6)


# ---------------------------------------------------------------- gradient mode


def test_no_grad_as_context_manager():
    def scenario(T):
        x = T.ones(2, requires_grad=True)
        with T.no_grad():
            y = x * 2
            inner = T.is_grad_enabled()
        z = x * 2
        return y, inner, T.is_grad_enabled(), z, y.is_leaf, y.grad_fn

    check_same(scenario)


def test_no_grad_as_decorator_with_and_without_parentheses():
    def scenario(T):
        @T.no_grad()
        def double(x):
            return x * 2

        @T.no_grad
        def triple(x):
            return x * 3

        x = T.ones(2, requires_grad=True)
        return double(x), triple(x), T.is_grad_enabled(), double.__name__

    check_same(scenario)


def test_no_grad_decorates_generators_per_resumption():
    def scenario(T):
        @T.no_grad()
        def steps(x):
            for k in range(3):
                yield x * k, T.is_grad_enabled()

        x = T.ones(2, requires_grad=True)
        seen = []
        for y, enabled in steps(x):
            seen.append((y.requires_grad, enabled, T.is_grad_enabled()))
        return seen

    check_same(scenario)


def test_no_grad_restores_the_mode_on_exceptions_and_nesting():
    def scenario(T):
        try:
            with T.no_grad():
                raise KeyError
        except KeyError:
            pass
        after_exception = T.is_grad_enabled()
        outer = T.no_grad()
        with outer:
            with outer:
                pass
            nested = T.is_grad_enabled()
        return after_exception, nested, T.is_grad_enabled()

    check_same(scenario)


def test_enable_grad_inside_no_grad():
    def scenario(T):
        x = T.ones(2, requires_grad=True)
        with T.no_grad():
            with T.enable_grad():
                y = x * 2
            z = x * 2

            @T.enable_grad()
            def f(v):
                return v * 3

            w = f(x)
        return y, z, w

    check_same(scenario)


def test_set_grad_enabled_as_call_context_and_decorator():
    def scenario(T):
        x = T.ones(2, requires_grad=True)
        T.set_grad_enabled(False)
        a = x * 2
        T.set_grad_enabled(True)
        with T.set_grad_enabled(False):
            b = x * 2
            inside = T.is_grad_enabled()
        with T.no_grad(), T.set_grad_enabled(True):
            c = x * 2

        @T.set_grad_enabled(False)
        def f(v):
            return v * 2

        return a, b, inside, c, f(x), T.is_grad_enabled()

    check_same(scenario)


def test_grad_mode_is_per_thread():
    import threading

    seen = {}

    def other():
        seen["other"] = gradrpc.is_grad_enabled()

    with gradrpc.no_grad():
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert seen["other"] is True


def test_results_under_no_grad_can_become_leaves():
    def scenario(T):
        x = T.ones(2, requires_grad=True)
        with T.no_grad():
            y = x * 2
        y.requires_grad_()
        (y * 3).sum().backward()
        return y.grad, x.grad, y.is_leaf

    check_same(scenario)


# ---------------------------------------------------------------- detach, requires_grad, leaves


def test_detach():
    def scenario(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        d = y.detach()
        z = d * x  # no gradient through d
        z.sum().backward()
        return d, d.requires_grad, d.is_leaf, d.grad_fn, x.grad

    check_same(scenario)


def test_detach_shares_storage():
    def scenario(T):
        x = T.ones(3)
        d = x.detach()
        d.add_(1)
        v = x.view(3, 1)
        v.mul_(3)
        return x, d, v

    check_same(scenario)


def test_requires_grad_and_is_leaf():
    def scenario(T):
        a = T.ones(2)
        b = T.ones(2, requires_grad=True)
        c = a * 2
        d = b * 2
        e = T.ones(2).requires_grad_()
        f = T.ones(2, requires_grad=True).requires_grad_(False)
        g = T.zeros(2)
        g.requires_grad = True
        h = d.requires_grad_(True)  # a non-leaf may keep requiring grad
        return [(t.requires_grad, t.is_leaf) for t in (a, b, c, d, e, f, g, h)], h is d

    check_same(scenario)


def test_retain_grad():
    def scenario(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.retain_grad()
        y.retain_grad()  # twice is once
        z = (y * y).sum()
        z.backward(retain_graph=True)
        first = y.grad
        z.backward()
        x.retain_grad()  # a no-op on leaves
        return first, y.grad, y.retains_grad, x.retains_grad, x.grad

    check_same(scenario)


def test_retained_gradients_are_new_tensors_each_pass():
    for T in (torch, gradrpc):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.retain_grad()
        z = (y * y).sum()
        z.backward(retain_graph=True)
        first = y.grad
        z.backward()
        assert first is not y.grad and y.grad is y.grad
        assert first.tolist() == [4.0, 8.0] and y.grad.tolist() == [8.0, 16.0]


def test_non_leaf_grad_warns_and_is_none():
    def scenario(T):
        x = T.ones(2, requires_grad=True)
        y = x * 2
        y.sum().backward()
        with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed") as record:
            grad = y.grad
        return grad, str(record[0].message)

    check_same(scenario)


# ---------------------------------------------------------------- autograd.backward and grad


def test_autograd_backward_with_grad_tensors():
    def scenario(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        w = T.tensor([3.0, -1.0], requires_grad=True)
        y1, y2 = x * w, (x * x).sum()
        T.autograd.backward([y1, y2], grad_tensors=[T.tensor([1.0, 10.0]), None])
        T.autograd.backward(y1.sum() * 0 + w.sum())  # a single tensor, implicit gradient
        return x.grad, w.grad

    check_same(scenario)


def test_autograd_backward_with_inputs():
    def scenario(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        w = T.tensor([3.0, -1.0], requires_grad=True)
        h = x * w
        y = (h * h).sum()
        y.backward(inputs=[w], retain_graph=True)
        only_w = (x.grad, w.grad.clone())
        T.autograd.backward(y, inputs=h, retain_graph=True)  # a non-leaf input keeps its grad
        T.autograd.backward(y, inputs={"x": x})
        return only_w, h.retains_grad, h.grad, x.grad, w.grad

    check_same(scenario)


def test_autograd_grad():
    def scenario(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        w = T.tensor([3.0, -1.0], requires_grad=True)
        h = x.tanh()
        y = (h * w).sum()
        gx, gh = T.autograd.grad(y, [x, h], retain_graph=True)
        (gw,) = T.autograd.grad(y, w, retain_graph=True)
        vector = T.autograd.grad(h * w, x, grad_outputs=T.tensor([1.0, 0.5]), retain_graph=True)
        several = T.autograd.grad([y, h.sum()], [w, x])
        return gx, gh, gw, vector, several, x.grad, w.grad, gx.is_leaf, gx.requires_grad

    check_same(scenario, rtol=1e-6)


def test_autograd_grad_allow_unused_and_materialize():
    def scenario(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        unused = T.tensor([5.0], requires_grad=True)
        y = (x * x).sum()
        a = T.autograd.grad(y, [x, unused], allow_unused=True, retain_graph=True)
        b = T.autograd.grad(y, [unused, x], materialize_grads=True, retain_graph=True)
        try:
            T.autograd.grad(y, [x, unused])
        except RuntimeError as exc:
            c = str(exc)
        return a, b, c

    check_same(scenario)


def test_autograd_grad_sees_retained_gradients():
    def scenario(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        h = x.exp()
        h.retain_grad()
        y = (h * h).sum()
        g = T.autograd.grad(y, x)
        return g, h.grad, x.grad

    check_same(scenario, rtol=1e-6)


# ---------------------------------------------------------------- .grad: zeroing, identity


def test_grad_zero_and_identity():
    for T in (torch, gradrpc):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        assert x.grad is None
        (x * 3).sum().backward()
        g = x.grad
        assert g is x.grad  # the same object on every read
        (x * 2).sum().backward()
        assert g is x.grad and g.tolist() == [5.0, 5.0]  # accumulated in place
        x.grad.zero_()
        assert g.tolist() == [0.0, 0.0]
        (x * x).sum().backward()
        assert g is x.grad and x.grad.tolist() == [2.0, 4.0]
        assert (g.requires_grad, g.is_leaf, g.grad_fn) == (False, True, None)


def test_grad_alias_sees_in_place_changes_and_accumulation():
    def scenario(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        (x * 1).sum().backward()
        g = x.grad
        g.add_(10)
        (x * 1).sum().backward()
        return g, x.grad

    check_same(scenario)


def test_assigning_grad():
    def scenario(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        mine = T.tensor([5.0, 5.0])
        x.grad = mine
        (x * 1).sum().backward()  # accumulates into the assigned tensor, in place
        accumulated = (mine, x.grad is mine)
        x.grad = None
        (x * 2).sum().backward()
        return accumulated, x.grad, x.grad is mine

    check_same(scenario)


def test_sgd_style_update():
    def scenario(T):
        w = T.tensor([1.0, -2.0, 0.5], requires_grad=True)
        history = []
        for _ in range(5):
            loss = ((w * 3) ** 2).sum()
            loss.backward()
            with T.no_grad():
                w -= 0.01 * w.grad
            w.grad.zero_()
            history.append(loss.item())
        return w, history, w.is_leaf, w.requires_grad

    check_same(scenario, rtol=1e-6)


# ---------------------------------------------------------------- grad_fn as torch shows it


def test_grad_fn_names_and_next_functions():
    def scenario(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        m = T.ones(2, 3, requires_grad=True)
        outs = [
            x * 2,
            2**x,
            x**2,
            1 - x,
            x @ m,
            m.t() @ x,
            x @ x,
            x.view(2, 1),
            x.unsqueeze(0).t(),
            x.sum(),
            x.mean(0),
        ]
        names = []
        for out in outs:
            node = out.grad_fn
            names.append(
                (
                    node.name(),
                    type(node).__name__,
                    [
                        (type(n).__name__ if n is not None else None, i)
                        for n, i in node.next_functions
                    ],
                )
            )
        return names

    check_same(scenario)


def test_accumulate_grad_nodes():
    for T in (torch, gradrpc):
        x = T.ones(2, requires_grad=True)
        y = x * 2
        z = x * 3
        acc = y.grad_fn.next_functions[0][0]
        assert type(acc).__name__ == "AccumulateGrad"
        assert acc.variable is x
        assert acc is z.grad_fn.next_functions[0][0]  # one accumulator per leaf
        assert acc.name() == "torch::autograd::AccumulateGrad"


# ---------------------------------------------------------------- printing tensors


def test_print_repr_and_fstrings():
    def scenario(T):
        x = T.tensor([[1.5, -2.0], [3.25, 4.0]], requires_grad=True)
        y = (x * 2).sum()
        outputs = [
            repr(x),
            str(x * 2),
            f"{y}",
            f"{y:.2f}",
            f"{T.tensor(3)}",
            f"loss: {y.item():.3f}",
            f"{x.detach()}",
            str(T.tensor([1e-8, 1.0, 1e8], dtype=T.float64)),
            repr(T.tensor([True, False])),
            repr(T.zeros(2, 0)),
            repr(T.tensor([1, 2, 3]) * 2),
            repr(T.ones(2, dtype=T.float64, requires_grad=True).exp()),
        ]
        with T.no_grad():
            outputs.append(repr(x * 2))
        return outputs

    check_same(scenario)


def test_printing_costs_one_call(session):
    x = gradrpc.ones(3, requires_grad=True)
    y = x.exp() * 2
    before = session.rpc_count
    text = repr(y)
    assert session.rpc_count == before + 1
    assert text == repr(torch.ones(3, requires_grad=True).exp() * 2)
