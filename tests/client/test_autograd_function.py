"""torch.autograd.Function against torch: custom forward and backward in the client's Python
over remote tensors: the node and its ctx, gradients, materialized and non-differentiable
outputs, setup_context, torch's errors, and the round trip each Function's backward costs."""

from __future__ import annotations

import math
import warnings

import gradrpc
import pytest
import torch
from clientkit import check_same, graph_of


def _functions(lib):
    """The same Functions written for `lib` (torch or gradrpc), as users write them."""

    class MyReLU(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    class ScaledPair(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, k):
            ctx.k = k
            ctx.save_for_backward(a, b)
            return a * b * k, a + b

        @staticmethod
        def backward(ctx, g_product, g_sum):
            a, b = ctx.saved_tensors
            ctx.seen = (ctx.needs_input_grad, g_product.clone(), g_sum.clone())
            grad_a = g_product * b * ctx.k + g_sum if ctx.needs_input_grad[0] else None
            grad_b = g_product * a * ctx.k + g_sum if ctx.needs_input_grad[1] else None
            return grad_a, grad_b, None

    class LegendrePolynomial3(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input**3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input**2 - 1)

    class Exp(lib.autograd.Function):  # setup_context style, saving an output
        @staticmethod
        def forward(x):
            return x.exp()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(output)

        @staticmethod
        def backward(ctx, grad):
            (result,) = ctx.saved_tensors
            return grad * result

    return MyReLU, ScaledPair, LegendrePolynomial3, Exp


def test_a_function_records_its_node_and_backpropagates_through_its_backward():
    def run(lib):
        my_relu = _functions(lib)[0]
        x = lib.tensor([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
        y = my_relu.apply(x)
        loss = (y * y).sum()
        loss.backward()
        node = y.grad_fn
        return y, x.grad, type(node).__name__, graph_of(loss.grad_fn), str(y)

    check_same(run)


def test_a_second_pass_through_a_function_that_saved_tensors_is_refused_without_retain():
    def run(lib):
        my_relu = _functions(lib)[0]
        x = lib.tensor([-1.0, 2.0], requires_grad=True)
        y = my_relu.apply(x)
        (y * 3).sum().backward(retain_graph=True)
        (y * 3).sum().backward(retain_graph=False)
        grads = x.grad.clone()
        (y * 3).sum().backward()
        return grads

    check_same(run)


def test_several_outputs_share_one_node_and_unused_ones_get_zero_gradients():
    def run(lib):
        scaled_pair = _functions(lib)[1]
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, 4.0])
        product, total = scaled_pair.apply(a, b, 2.0)
        assert product.grad_fn is total.grad_fn
        product.sum().backward()
        return product, total, a.grad, product.grad_fn.seen, graph_of(product.grad_fn)

    check_same(run)


def test_set_materialize_grads_false_passes_none_and_mark_non_differentiable_drops_history():
    def run(lib):
        class Split(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(False)
                doubled, index = x * 2, x.argmax()
                ctx.mark_non_differentiable(index)
                return doubled, x * 3, index

            @staticmethod
            def backward(ctx, g_doubled, g_tripled, g_index):
                ctx.got = [g is None for g in (g_doubled, g_tripled, g_index)]
                return g_doubled * 2

        x = lib.tensor([1.0, 5.0, 2.0], requires_grad=True)
        doubled, tripled, index = Split.apply(x)
        doubled.sum().backward()
        return index, index.requires_grad, tripled.requires_grad, doubled.grad_fn.got, x.grad

    check_same(run)


def test_the_tutorials_legendre_polynomial_trains_as_in_torch():
    def run(lib):
        p3 = _functions(lib)[2]
        x = lib.linspace(-math.pi, math.pi, 200, dtype=lib.float64)
        y = lib.sin(x)
        a, b, c, d = (
            lib.full((), value, dtype=lib.float64, requires_grad=True)
            for value in (0.0, -1.0, 0.0, 0.3)
        )
        losses = []
        for _ in range(20):
            y_pred = a + b * p3.apply(c + d * x)
            loss = (y_pred - y).pow(2).sum()
            losses.append(loss.item())
            loss.backward()
            with lib.no_grad():
                for p in (a, b, c, d):
                    p -= 5e-6 * p.grad
                    p.grad = None
        return losses, a, b, c, d

    check_same(run, rtol=1e-9, atol=1e-12)


def test_setup_context_style_and_autograd_grad_through_a_function():
    def run(lib):
        exp = _functions(lib)[3]
        x = lib.tensor([0.5, -1.0], requires_grad=True)
        y = exp.apply(x)
        return y, lib.autograd.grad((y * y).sum(), x)

    check_same(run)


def test_a_function_meets_tensor_hooks_in_torchs_order():
    def run(lib):
        order = []

        class Loud(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                order.append(("backward", g.clone()))
                return g * 2

        x = lib.ones(2, requires_grad=True)
        x.register_hook(lambda g: order.append(("x", g.clone())))
        y = Loud.apply(x)
        y.register_hook(lambda g: order.append(("y", g.clone())) or g + 1)
        (y * 3).sum().backward()
        return order, x.grad

    check_same(run)


def test_outputs_need_no_node_without_recording_or_an_input_that_requires_grad():
    def run(lib):
        my_relu = _functions(lib)[0]
        x = lib.tensor([-1.0, 2.0], requires_grad=True)
        with lib.no_grad():
            under_no_grad = my_relu.apply(x)
        plain = my_relu.apply(lib.tensor([-1.0, 2.0]))
        return under_no_grad, plain

    check_same(run)


def test_a_broadcastable_gradient_is_reduced_to_its_input_and_once_differentiable_wraps():
    def run(lib):
        class Mean(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.n = x.numel()
                return x.mean()

            @staticmethod
            @lib.autograd.function.once_differentiable
            def backward(ctx, g):
                return (g / ctx.n).reshape(1, 1, 1).expand(4, 2, 3)

        x = lib.ones(2, 3, requires_grad=True)
        Mean.apply(x).backward()
        return x.grad

    check_same(run)


def _bad(lib, backward):
    class Bad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, k):
            return a * k

    if backward is not None:
        Bad.backward = staticmethod(backward)
    return Bad


@pytest.mark.parametrize(
    "backward",
    [
        lambda ctx, g: (g, None, g),
        lambda ctx, g: g,
        lambda ctx, g: (g.sum().reshape(1).expand(3), None),
        lambda ctx, g: (g, g),
        None,
    ],
    ids=["count", "one-for-two", "shape", "number-input", "missing"],
)
def test_a_backward_torch_refuses_raises_its_error_and_the_session_goes_on(backward):
    def run(lib):
        a = lib.ones(2, requires_grad=True)
        _bad(lib, backward).apply(a, 2.0).sum().backward()

    check_same(run)
    assert (gradrpc.ones(2) * 3).sum().item() == 6.0


def test_an_exception_in_backward_propagates_and_changes_no_grad():
    class Boom(Exception):
        pass

    for lib in (torch, gradrpc):

        class Raising(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                raise Boom

        x = lib.ones(2, requires_grad=True)
        with pytest.raises(Boom):
            (Raising.apply(x) * x).sum().backward()
        assert x.grad is None
        assert (lib.ones(2) * 3).sum().item() == 6.0


def test_legacy_use_is_refused_as_torch_refuses_it():
    def run(lib):
        my_relu = _functions(lib)[0]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            instance = my_relu()
        instance(lib.ones(2, requires_grad=True))
        return [str(w.message).split(">")[1] for w in caught]

    check_same(run)


def test_each_function_a_pass_runs_costs_one_round_trip(session):
    _, _, p3, exp = _functions(gradrpc)
    x = gradrpc.tensor([-1.0, 0.5], requires_grad=True)
    loss = p3.apply(exp.apply(x)).sum()
    session.flush()
    before = session.rpc_count
    loss.backward()
    assert session.rpc_count - before == 3  # the pass, then one answer per Function
    expected = torch.tensor([-1.0, 0.5], requires_grad=True)
    _, _, torch_p3, torch_exp = _functions(torch)
    torch_p3.apply(torch_exp.apply(expected)).sum().backward()
    assert x.grad.tolist() == pytest.approx(expected.grad.tolist(), rel=1e-6)


def test_vjp_is_backwards_other_name_and_defining_both_is_refused():
    def run(lib):
        class ByVjp(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def vjp(ctx, g):
                return g * 3

        class Both(ByVjp):
            @staticmethod
            def backward(ctx, g):
                return g

        x = lib.ones(2, requires_grad=True)
        ByVjp.apply(x).sum().backward()
        grads = x.grad.clone()
        Both.apply(x).sum().backward()
        return grads

    check_same(run)
