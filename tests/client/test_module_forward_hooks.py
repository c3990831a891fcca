"""nn.Module forward pre-hooks and forward hooks against torch 2.13: call order, replaced
arguments and results (with and without kwargs), prepend, RemovableHandle (remove, `with`),
their effect on the graph and gradients, and torch's error for a bad pre-hook result."""

from __future__ import annotations

from clientkit import check_same, graph_of


def _model(T):
    T.manual_seed(0)
    model = T.nn.Sequential(T.nn.Linear(3, 4), T.nn.ReLU(), T.nn.Linear(4, 2))
    with T.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(T.linspace(-1, 1, p.numel()).reshape(p.shape) * (i + 1))
    return model


def test_hooks_run_in_order_and_see_what_torch_s_see() -> None:
    def scenario(T):
        model, log = _model(T), []
        handles = [
            model[0].register_forward_pre_hook(lambda m, a: log.append(("pre", a[0].shape))),
            model[0].register_forward_hook(lambda m, a, out: log.append(("post", out.tolist()))),
            model.register_forward_hook(lambda m, a, out: log.append(("outer", type(m).__name__))),
            model[2].register_forward_pre_hook(
                lambda m, a: log.append(("first", len(a))), prepend=True
            ),
            model[2].register_forward_pre_hook(lambda m, a: log.append(("second", len(a)))),
        ]
        out = model(T.ones(2, 3))
        for h in handles[:2]:
            h.remove()
        out2 = model(T.ones(1, 3))
        return [out, out2, [(k, str(v) if k == "pre" else v) for k, v in log]]

    check_same(scenario, rtol=1e-6, atol=1e-7)


def test_replaced_arguments_and_results_reach_the_graph() -> None:
    def scenario(T):
        model = _model(T)
        model[0].register_forward_pre_hook(lambda m, a: a[0] * 2)  # a tensor: the one argument
        model[1].register_forward_hook(lambda m, a, out: out + a[0])
        model[2].register_forward_pre_hook(lambda m, a, kw: ((a[0] - 1,), kw), with_kwargs=True)
        model[2].register_forward_hook(lambda m, a, kw, out: out * 3, with_kwargs=True)
        x = T.tensor([[1.0, -2.0, 0.5]], requires_grad=True)
        out = model(x)
        out.sum().backward()
        return [out, graph_of(out.grad_fn), x.grad, model[0].weight.grad]

    check_same(scenario, rtol=1e-6, atol=1e-7)


def test_a_handle_removes_its_hook_when_its_block_ends() -> None:
    def scenario(T):
        model = _model(T)
        with model.register_forward_hook(lambda m, a, out: out * 0):
            inside = model(T.ones(1, 3))
        return [inside, model(T.ones(1, 3))]

    check_same(scenario, rtol=1e-6, atol=1e-7)


def test_a_pre_hook_with_kwargs_returning_something_else_raises_torch_s_error() -> None:
    def scenario(T):
        model = _model(T)
        model.register_forward_pre_hook(lambda m, a, kw: a, with_kwargs=True)
        model(T.ones(1, 3))

    check_same(scenario)
