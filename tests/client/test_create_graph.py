"""create_graph=True through the client (higher-order gradients) against torch: gradients
with history, their grad_fn, grads of grads, Hessian-vector products, a gradient penalty
trained as torch trains it, the refusal of an op the rules do not cover, and no round trip
beyond what a backward costs."""

from __future__ import annotations

import warnings

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import check_same, graph_of, no_rpc
from gradrpc.tensor import _WARNED

X = [0.5, 1.5, -0.7]


def _second(fn):
    """fn(T, x): a scalar; the first gradient (with history) and the gradient of its sum."""

    def run(T):
        x = T.tensor(X, requires_grad=True)
        (g,) = T.autograd.grad(fn(T, x), x, create_graph=True)
        (h,) = T.autograd.grad(g.sum(), x)
        return g, h

    return run


@pytest.mark.parametrize(
    "fn",
    [
        lambda T, x: (x * x).sum(),
        lambda T, x: (x**3).sum(),
        lambda T, x: x.exp().sum(),
        lambda T, x: x.sin().sum(),
        lambda T, x: (x * x).mean(),
        lambda T, x: (1 / (x + 2)).sum(),
        lambda T, x: (x * x + x * x).sum(),
        lambda T, x: x.unsqueeze(0).mm(x.unsqueeze(1) * x.unsqueeze(1)).sum(),
    ],
    ids=["mul", "pow", "exp", "sin", "mean", "reciprocal", "fan_in", "mm"],
)
def test_grad_of_grad_matches_torch_with_its_node_names(session, fn):
    check_same(_second(fn))


@pytest.mark.parametrize(
    "fn",
    [
        lambda T, x: x.tanh().sum(),
        lambda T, x: x.sigmoid().sum(),
        lambda T, x: (x.relu() * x).sum(),
        lambda T, x: (x.abs() * x * x).sum(),
        lambda T, x: (x + 3).log().sum() + (x + 3).sqrt().sum(),
        lambda T, x: x.cos().pow(x).sum(),
        lambda T, x: T.softmax(x * x, 0)[0],
        lambda T, x: T.log_softmax(x * x, 0).sum() + T.nn.functional.mse_loss(x * x, x),
    ],
    ids=["tanh", "sigmoid", "relu", "abs", "log_sqrt", "pow_tensor", "softmax", "losses"],
)
def test_grad_of_grad_values_match_torch(session, fn):
    (g, h), (tg, th) = _second(fn)(gradrpc), _second(fn)(torch)
    np.testing.assert_allclose(g.tolist(), tg.tolist(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h.tolist(), th.tolist(), rtol=1e-5, atol=1e-6)
    assert g.requires_grad and g.grad_fn is not None


def test_a_gradient_takes_its_input_s_dtype(session):
    def run(T):
        x = T.tensor(X, requires_grad=True)
        c = T.tensor(X, dtype=T.float64)
        (g,) = T.autograd.grad((x * c * x).sum(), x, create_graph=True)
        (h,) = T.autograd.grad(g.sum(), x)
        return g, h

    check_same(run)


def test_third_derivative(session):
    def run(T):
        x = T.tensor(X, requires_grad=True)
        (g,) = T.autograd.grad((x**4).sum(), x, create_graph=True)
        (h,) = T.autograd.grad(g.sum(), x, create_graph=True)
        (k,) = T.autograd.grad(h.sum(), x)
        return g, h, k

    check_same(run)


def test_a_grad_output_that_requires_grad_joins_the_graph(session):
    """The double-vjp trick: the derivative of a vjp with respect to its vector is a jvp."""

    def run(T):
        x = T.tensor(X, requires_grad=True)
        v = T.zeros(3, requires_grad=True)
        y = x.sin() * x
        (vjp,) = T.autograd.grad(y, x, grad_outputs=v, create_graph=True)
        (jvp,) = T.autograd.grad(vjp, v, grad_outputs=T.tensor([1.0, 2.0, 3.0]))
        return vjp, jvp

    check_same(run)


def test_backward_inputs_keeps_a_non_leaf_gradient_with_history(session):
    def run(T):
        x = T.tensor(X, requires_grad=True)
        h = x * x
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (h.exp()).sum().backward(create_graph=True, inputs=[h])
        (k,) = T.autograd.grad(h.grad.sum(), x)
        return h.grad, k, x.grad

    check_same(run)


def _client_names(node) -> list:
    """The names a grad_fn reaches, depth first, skipping absent edges."""
    if node is None:
        return []
    names = [node.name()]
    for child, _ in node.next_functions:
        names += _client_names(child)
    return names


def _server_names(edge) -> list:
    if edge is None:
        return []
    if not hasattr(edge, "edges"):  # a leaf
        return ["torch::autograd::AccumulateGrad"]
    names = [edge.name]
    for child in edge.edges:
        names += _server_names(child)
    return names


@pytest.mark.parametrize(
    "fn",
    [
        lambda x, w: (x.unsqueeze(0) @ w).tanh().sum() * (x * x).sum(),
        lambda x, w: gradrpc.nn.functional.mse_loss((w.t() @ x).sigmoid(), x[:2] * 2),
        lambda x, w: (w @ w.t()).softmax(1)[0, 1] + (x.exp() / (x * x + 1)).mean(),
        lambda x, w: gradrpc.log_softmax(w[:, 1:] ** 2.5, 0).sum() - x.sqrt().relu().sum(),
    ],
)
def test_the_mirror_predicts_the_server_s_graph(session, fn):
    from gradrpc import session as sessions

    if sessions._embedded is None:
        pytest.skip("the server's graph is visible only in an embedded server")
    x = gradrpc.tensor([0.5, 1.5, 0.7], requires_grad=True)
    w = gradrpc.tensor([[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]], requires_grad=True)
    grads = gradrpc.autograd.grad(fn(x, w), [x, w], create_graph=True)
    session.flush()
    held = sessions._embedded.store.get(session.id)
    for g in grads:
        assert _client_names(g.grad_fn) == _server_names(held.get(g._handle).grad_fn)
        assert len(_client_names(g.grad_fn)) > 3


def test_first_gradient_graph_is_torch_s(session):
    graphs = {}
    for T in (torch, gradrpc):
        x = T.tensor(X, requires_grad=True)
        (g,) = T.autograd.grad((x * x).sum(), x, create_graph=True)
        graphs[T] = graph_of(g.grad_fn)
    assert graphs[gradrpc] == graphs[torch]


def test_backward_with_create_graph_warns_once_as_torch(session):
    _WARNED.discard("create_graph")  # as in a fresh process
    x = gradrpc.tensor(X, requires_grad=True)
    with pytest.warns(UserWarning, match="create a reference cycle between the parameter"):
        x.exp().sum().backward(create_graph=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x.exp().sum().backward(create_graph=True)


def test_backward_with_create_graph_gives_grad_a_history(session):
    values = {}
    for T in (torch, gradrpc):
        x = T.tensor(X, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (x.exp() * x).sum().backward(create_graph=True)
        # torch copies the first gradient (CopyBackwards); gradrpc clones it
        copied = "torch::autograd::CopyBackwards" if T is torch else "CloneBackward0"
        assert x.grad.grad_fn.name() == copied
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (x * x).sum().backward(create_graph=True)
        assert x.grad.grad_fn.name() == "AddBackward0" and x.grad.requires_grad
        first = x.grad.tolist()
        (h,) = T.autograd.grad(x.grad.sum(), x)
        values[T] = first, h.tolist()
    np.testing.assert_allclose(values[gradrpc], values[torch], rtol=1e-6)


def test_create_graph_keeps_the_graph_by_default(session):
    for T in (torch, gradrpc):
        x = T.tensor(X, requires_grad=True)
        y = (x.exp() * x).sum()
        T.autograd.grad(y, x, create_graph=True)
        y.backward()  # retain_graph defaulted to True
        assert x.grad.tolist() == pytest.approx(((np.array(X) + 1) * np.exp(X)).tolist())


def _mlp():
    torch.manual_seed(3)
    return torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1))


def _ours(model):
    ours = gradrpc.nn.Sequential(
        gradrpc.nn.Linear(3, 5), gradrpc.nn.Tanh(), gradrpc.nn.Linear(5, 1)
    )
    ours.load_state_dict({k: v.clone() for k, v in model.state_dict().items()})
    return ours


def test_hessian_vector_product_of_an_mlp_loss(session):
    theirs = _mlp()
    models = {torch: theirs, gradrpc: _ours(theirs)}
    data = np.random.default_rng(0).normal(size=(4, 3)).tolist()
    target = [[0.5], [-1.0], [0.25], [2.0]]
    results = {}
    for T, model in models.items():
        params = list(model.parameters())
        loss = T.nn.functional.mse_loss(model(T.tensor(data)), T.tensor(target))
        grads = T.autograd.grad(loss, params, create_graph=True)
        vs = [T.ones_like(p) * 0.1 for p in params]
        dot = sum((g * v).sum() for g, v in zip(grads, vs, strict=True))
        hvp = T.autograd.grad(dot, params)
        results[T] = [h.detach().numpy() for h in hvp]
    for ours, theirs_h in zip(results[gradrpc], results[torch], strict=True):
        np.testing.assert_allclose(ours, theirs_h, rtol=1e-4, atol=1e-6)


def test_gradient_penalty_training_loop_matches_torch(session):
    theirs = _mlp()
    models = {torch: theirs, gradrpc: _ours(theirs)}
    rng = np.random.default_rng(1)
    batches = [rng.normal(size=(6, 3)).tolist() for _ in range(5)]
    losses = {}
    for T, model in models.items():
        optimizer = T.optim.SGD(model.parameters(), lr=0.05)
        losses[T] = []
        for batch in batches:
            x = T.tensor(batch, requires_grad=True)
            critic = model(x)
            (grad_x,) = T.autograd.grad(critic.sum(), x, create_graph=True)
            norm = (grad_x * grad_x).sum(1).sqrt()
            loss = critic.mean() + 10 * ((norm - 1) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses[T].append(loss.item())
    np.testing.assert_allclose(losses[gradrpc], losses[torch], rtol=1e-5)
    assert losses[torch][-1] != losses[torch][0]


def test_an_op_without_rules_refuses_and_the_session_goes_on(session):
    x = gradrpc.tensor(X, requires_grad=True)
    y = x.sinh().sum()
    with pytest.raises(NotImplementedError, match="create_graph through SinhBackward0"):
        gradrpc.autograd.grad(y, x, create_graph=True)
    with pytest.raises(NotImplementedError, match="create_graph through SinhBackward0"):
        y.backward(create_graph=True)
    assert x.grad is None
    y.backward()
    np.testing.assert_allclose(x.grad.tolist(), np.cosh(X), rtol=1e-6)


def test_no_round_trip_beyond_backward_s(session):
    x = gradrpc.tensor(X, requires_grad=True)
    session.flush()
    with no_rpc(session):
        y = (x.exp() * x).sum()
        (g,) = gradrpc.autograd.grad(y, x, create_graph=True)
        (g * g).sum().backward()
    assert x.grad.tolist() == pytest.approx(_torch_grad_of_squared_gradient())


def _torch_grad_of_squared_gradient():
    x = torch.tensor(X, requires_grad=True)
    (g,) = torch.autograd.grad((x.exp() * x).sum(), x, create_graph=True)
    (g * g).sum().backward()
    return x.grad.tolist()
