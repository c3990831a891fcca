"""grad_fn.register_prehook / register_hook and nn.Module's backward hooks against torch: when
they run and in which order, what they see, what their answers change (a gradient taken
away included), torch's errors, and the round trips such a pass costs."""

from __future__ import annotations

import warnings

import gradrpc
import numpy as np
import pytest
from clientkit import check_same, no_rpc


def _values(grads) -> tuple:
    return tuple(None if g is None else g.detach().clone() for g in grads)


def test_node_hooks_run_in_torchs_order_among_tensor_and_accumulator_hooks():
    def run(lib):
        log = []
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        y = x * w
        y.register_hook(lambda g: log.append(("tensor", g.clone())))
        y.grad_fn.register_prehook(lambda go: log.append(("pre", _values(go))))
        y.grad_fn.register_hook(lambda gi, go: log.append(("post", _values(gi), _values(go))))
        accumulator = y.grad_fn.next_functions[0][0]
        accumulator.register_prehook(lambda go: log.append(("acc pre", _values(go))))
        accumulator.register_hook(lambda gi, go: log.append(("acc post", gi, _values(go))))
        x.register_post_accumulate_grad_hook(lambda t: log.append(("post accumulate", t.grad)))
        y.sum().backward()
        return log, x.grad, w.grad

    check_same(run)


def test_a_post_hook_replaces_grad_inputs_and_none_takes_a_gradient_away():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        y = x * w
        y.grad_fn.register_hook(lambda gi, go: (gi[0] * 10, None))
        (y * 2).sum().backward()
        return x.grad, w.grad

    check_same(run)


def test_a_pre_hook_replaces_the_output_gradient_or_withholds_it():
    def run(lib, drop):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()
        y.retain_grad()
        y.grad_fn.register_prehook(lambda go: (None,) if drop else (go[0] * 3,))
        y.sum().backward()
        return x.grad, y.grad

    check_same(lambda lib: run(lib, drop=False))
    check_same(lambda lib: run(lib, drop=True))


def test_a_leaf_keeps_the_gradient_other_paths_bring_when_one_is_withheld():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        a = x * 2
        a.grad_fn.register_hook(lambda gi, go: (None, None))
        (a + x.sin()).sum().backward()
        return x.grad

    check_same(run)


def test_hooks_on_an_intermediate_node_whose_tensor_is_gone_and_after_an_in_place_op():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        out = (x.exp() * 2).sin().sum()
        mul = out.grad_fn.next_functions[0][0].next_functions[0][0]
        mul.register_prehook(lambda go: (go[0] * 0.5,))
        seen = []
        mul.next_functions[0][0].register_hook(lambda gi, go: seen.append(_values(gi)))
        out.backward()
        y = x * 3
        node = y.grad_fn
        y.add_(1)
        node.register_prehook(lambda go: (go[0] + 1,))
        x.grad = None
        y.sum().backward()
        return mul.name(), seen, x.grad

    check_same(run, rtol=1e-5)


def test_autograd_grad_runs_node_hooks_only_at_the_nodes_it_runs():
    def run(lib):
        log = []
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()
        z = y.sum()
        y.grad_fn.register_prehook(lambda go: log.append("exp"))
        z.grad_fn.register_prehook(lambda go: log.append("sum"))
        y.grad_fn.next_functions[0][0].register_prehook(lambda go: log.append("accumulator"))
        first = lib.autograd.grad(z, x, retain_graph=True)
        second = lib.autograd.grad(z, y)
        return log, first, second

    check_same(run)


def test_autograd_grad_gives_none_where_a_hook_withheld_the_gradient():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()
        y.grad_fn.register_prehook(lambda go: (None,))
        return lib.autograd.grad(y.sum(), x, allow_unused=True)

    check_same(run)


def test_a_custom_functions_node_hooks_see_all_its_outputs_and_its_tensor_inputs():
    def run(lib):
        class Pair(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                return x * k, x + 1

            @staticmethod
            def backward(ctx, ga, gb):
                return ga * 3 + gb, None

        log = []
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        a, b = Pair.apply(x, 3)
        a.grad_fn.register_prehook(lambda go: log.append(("pre", _values(go))))
        a.grad_fn.register_hook(lambda gi, go: log.append(("post", _values(gi), _values(go))))
        a.sum().backward(retain_graph=True)
        a.grad_fn.register_hook(lambda gi, go: (None,))
        x.grad = None
        a.sum().backward()
        return log, a.grad_fn is b.grad_fn, x.grad

    check_same(run)


def test_a_functions_backward_that_returns_none_leaves_the_leaf_without_grad():
    def run(lib):
        class Nothing(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return None

        x = lib.tensor([1.0, 2.0], requires_grad=True)
        Nothing.apply(x).sum().backward()
        y = lib.tensor([1.0, 2.0], requires_grad=True)
        return x.grad, lib.autograd.grad(Nothing.apply(y).sum(), y, allow_unused=True)

    check_same(run)


@pytest.mark.parametrize(
    "answer",
    [
        lambda lib, gi: (gi[0],),
        lambda lib, gi: [gi[0], gi[1]],
        lambda lib, gi: gi[0],
        lambda lib, gi: (1, None),
        lambda lib, gi: (lib.ones(3), None),
        lambda lib, gi: (lib.ones(3, dtype=lib.float64), None),
        lambda lib, gi: (gi[0], lib.ones(2)),
    ],
    ids=["count", "list", "tensor", "number", "shape", "dtype", "none-replaced"],
)
def test_post_hook_answers_torch_refuses(answer):
    def run(lib):
        def bad(gi, go):
            return answer(lib, gi)

        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.grad_fn.register_hook(bad)
        y.sum().backward()

    check_same(run)


def test_pre_hook_answers_torch_refuses_and_the_session_goes_on():
    for answer in (
        lambda lib, go: (go[0], go[0]),
        lambda lib, go: go[0],
        lambda lib, go: (lib.ones(3),),
    ):

        def run(lib):
            x = lib.tensor([1.0, 2.0], requires_grad=True)
            y = x * 2
            y.grad_fn.register_prehook(lambda go: answer(lib, go))  # noqa: B023
            y.sum().backward()

        check_same(run)
    x = gradrpc.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_a_removed_node_hook_costs_no_round_trip():
    x = gradrpc.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    handle = y.grad_fn.register_prehook(lambda go: None)
    handle.remove()
    with no_rpc():
        y.sum().backward()


def test_each_node_hook_a_pass_meets_costs_one_round_trip():
    session = gradrpc.default_session()
    x = gradrpc.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    z = y * 2
    y.grad_fn.register_prehook(lambda go: None)
    z.grad_fn.register_hook(lambda gi, go: None)
    session.flush()
    before = session.rpc_count
    z.sum().backward()
    assert session.rpc_count - before == 3  # two pauses, and the answer that ends the pass


def _mlp(lib, seed: int):
    rng = np.random.default_rng(seed)
    model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2))
    with lib.no_grad():
        for p in model.parameters():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    return model, lib.tensor(rng.standard_normal((2, 3)).astype(np.float32))


def test_module_full_backward_hooks_and_pre_hooks_see_torchs_gradients_in_torchs_order():
    def run(lib):
        model, x = _mlp(lib, 0)
        x.requires_grad_()
        log = []
        for i, m in enumerate(model):
            m.register_full_backward_hook(
                lambda m, gi, go, i=i: log.append((i, "hook", _values(gi), _values(go)))
            )
            m.register_full_backward_pre_hook(
                lambda m, go, i=i: log.append((i, "pre", _values(go)))
            )
        model.register_full_backward_hook(lambda m, gi, go: log.append(("seq", _values(gi))))
        model(x).sum().backward()
        return log, x.grad, model[0].weight.grad

    check_same(run, rtol=1e-5)


def test_module_backward_hooks_replace_gradients_and_fire_without_input_grads():
    def run(lib):
        model, x = _mlp(lib, 1)
        layer = model[2]
        layer.register_full_backward_pre_hook(lambda m, go: (go[0] * 2,))
        layer.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0.5,))
        log = []
        model[0].register_full_backward_hook(lambda m, gi, go: log.append((gi, _values(go))))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model(x).sum().backward()
        return log, model[0].weight.grad, model[2].bias.grad, [str(w.message) for w in caught]

    check_same(run, rtol=1e-5)


def test_module_training_loop_clipping_by_backward_hook_matches_torch():
    def run(lib):
        model, x = _mlp(lib, 2)
        target = lib.zeros(2, 2)
        model[2].register_full_backward_hook(lambda m, gi, go: (gi[0] * 0.5,))
        model[2].register_full_backward_pre_hook(lambda m, go: (go[0].clamp(-0.1, 0.1),))
        optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
        losses = []
        for _ in range(5):
            optimizer.zero_grad()
            loss = lib.nn.functional.mse_loss(model(x), target)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses

    check_same(run, rtol=1e-5)


def test_legacy_module_backward_hook_sees_its_output_nodes_gradients_and_warns():
    def run(lib):
        model, x = _mlp(lib, 3)
        x.requires_grad_()
        seen = []
        model[2].register_backward_hook(lambda m, gi, go: seen.append((_values(gi), _values(go))))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model(x).sum().backward()
        try:
            model[2].register_full_backward_hook(lambda m, gi, go: None)
        except RuntimeError as exc:
            error = str(exc)
        return seen, [str(w.message) for w in caught], error

    check_same(run, rtol=1e-5)
