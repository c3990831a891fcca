"""gradrpc.func against torch.func: grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian,
vmap and functional_call; their values, the structure of what they return (pytrees of
arguments and outputs), which results keep history, composition (vmap(grad), jacrev(jacrev),
grad of grad), per-sample gradients of a model through functional_call, and torch's errors
with their exact texts."""

from __future__ import annotations

from collections import namedtuple

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import check_error_at_line, check_same

X = [0.5, -1.0, 2.0]
XS = [[0.5, -1.0, 2.0], [0.3, 0.1, -0.4]]
W1 = [[0.2, -0.3, 0.5], [0.7, -0.1, 0.4]]
W2 = [[0.6, -0.5]]

Pair = namedtuple("Pair", "a b")


def _scalar(x):
    return (x.sin() * x).sum()


def _mlp(x, w1, w2):
    """A small MLP: tanh(w2 @ tanh(w1 @ x)), one output per row of w2."""
    return w2.matmul(w1.matmul(x).tanh()).tanh()


def _without_grad_fn_names(value):
    """`value` with each tensor's history reduced to whether it has one (torch and gradrpc
    build different nodes inside a transform) and its values rounded."""
    if isinstance(value, torch.Tensor | gradrpc.Tensor):
        values = np.round(value.detach().numpy().astype(np.float64), 4).tolist()
        return (values, value.requires_grad, value.grad_fn is not None)
    if isinstance(value, tuple | list):
        return [_without_grad_fn_names(v) for v in value]
    if isinstance(value, dict):
        return {k: _without_grad_fn_names(v) for k, v in value.items()}
    return value


# ---------------------------------------------------------------- grad, grad_and_value


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.func.grad(_scalar)(T.tensor(X)),
        lambda T: T.func.grad(lambda x, y: (x * y).sum(), argnums=(0, 1))(
            T.tensor(X), T.tensor([1.0, 2.0, 3.0])
        ),
        lambda T: T.func.grad(lambda x, y: (x * y.exp()).sum(), argnums=-1)(
            T.tensor(X), T.tensor([1.0, 2.0, 3.0])
        ),
        lambda T: T.func.grad(lambda x, y: x.sum(), argnums=1)(T.tensor(X), T.tensor(X)),
        lambda T: T.func.grad(lambda x: x.sum())(T.tensor(XS)[None]),
        lambda T: T.func.grad(lambda x: (x * 2).sum(), has_aux=True)(T.tensor(X)),
        lambda T: T.func.grad(lambda x: (_scalar(x), {"a": x * 2}), has_aux=True)(T.tensor(X)),
        lambda T: T.func.grad(lambda d: (d["a"] * d["b"][0]).sum())(
            {"a": T.tensor(X), "b": [T.tensor([1.0, 2.0, 3.0])]}
        ),
        lambda T: T.func.grad(lambda p: (p.a * p.b).sum())(Pair(T.tensor(X), T.tensor(X))),
        lambda T: T.func.grad(lambda x, k: (x * k).sum())(T.tensor(X), 3.0),
        lambda T: T.func.grad(lambda x, *, k: (x * k).sum())(T.tensor(X), k=T.tensor(X)),
        lambda T: T.func.grad(lambda x: x.detach().sum())(T.tensor(X)),
        lambda T: T.func.grad_and_value(_scalar)(T.tensor(X)),
        lambda T: T.func.grad_and_value(lambda x: (_scalar(x), x.cos()), has_aux=True)(T.tensor(X)),
        lambda T: T.func.grad(lambda x: x * 2)(T.tensor(X)),
        lambda T: T.func.grad(lambda x: (x * 2).sum().unsqueeze(0))(T.tensor(X)),
        lambda T: T.func.grad(lambda x: 3)(T.tensor(X)),
        lambda T: T.func.grad(lambda x: (x, 1))(T.tensor(X)),
        lambda T: T.func.grad(lambda x: x.sum(), has_aux=True)(T.tensor(X)),
        lambda T: T.func.grad(lambda x: (x.sum(), 1, 2), has_aux=True)(T.tensor(X)),
        lambda T: T.func.grad(lambda x: (x.sum(), 1), has_aux=True)(T.tensor(X)),
        lambda T: T.func.grad(lambda x, y: (x * y).sum(), argnums=2)(T.tensor(X), T.tensor(X)),
        lambda T: T.func.grad(lambda x, y: (x * y).sum(), argnums=())(T.tensor(X), T.tensor(X)),
        lambda T: T.func.grad(lambda x, y: (x * y).sum(), argnums=1.0)(T.tensor(X), T.tensor(X)),
        lambda T: T.func.grad(lambda x, y: (x * y).sum(), argnums=(0, 0))(T.tensor(X), T.tensor(X)),
        lambda T: T.func.grad(lambda x, y: (x * y).sum(), argnums=(0, -3))(
            T.tensor(X), T.tensor(X)
        ),
        lambda T: T.func.grad(lambda x: x.sum())(3.0),
        lambda T: T.func.grad(lambda x: x["a"].sum())({"a": T.tensor(X), "b": [1]}),
        lambda T: T.func.grad(lambda x: x.sum())(T.arange(3)),
        lambda T: T.func.grad(lambda: T.tensor(1.0))(),
    ],
)
def test_grad_matches_torch(session, call):
    check_same(call, rtol=1e-5, atol=1e-6)


def test_grad_of_a_non_scalar_raises_at_the_call(session):
    check_error_at_line(lambda T: T.func.grad(lambda x: x * 2)(T.ones(3)))


def test_grad_result_has_history_only_from_outside_tensors(session):
    """No grad_fn outside a transform, unless the result depends on a tensor the caller
    made require grad (an input, or one f closes over): then it differentiates further."""

    def run(T):
        x = T.tensor(X)
        xr = T.tensor(X, requires_grad=True)
        w = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        through_input = T.func.grad(lambda x: (x**3).sum())(xr)
        (second,) = T.autograd.grad(through_input.sum(), xr)
        return [
            T.func.grad(_scalar)(x),
            T.func.grad_and_value(_scalar)(x),
            through_input,
            second,
            T.func.grad(lambda x: (x * x * w).sum())(x),
            T.func.grad(lambda x: (x * x).sum() + w.sum())(x),
            T.func.jacrev(lambda x: x * w)(x),
            T.func.vjp(lambda x: x * w, x)[1](T.ones(3)),
            T.func.jvp(lambda x: x * w, (x,), (T.ones(3),)),
            T.func.vjp(T.sin, x)[1](w),
        ]

    expected = _without_grad_fn_names(run(torch))
    actual = _without_grad_fn_names(run(gradrpc))
    np.testing.assert_equal(actual, expected)
    assert [e[2] for e in expected[:1]] == [False]  # the oracle says what is claimed


def test_grad_ignores_an_outer_no_grad(session):
    check_same(lambda T: _in_no_grad(T, lambda: T.func.grad(_scalar)(T.tensor(X))), rtol=1e-5)


def _in_no_grad(T, fn):
    with T.no_grad():
        return fn()


# ---------------------------------------------------------------- vjp, jvp


@pytest.mark.parametrize(
    "call",
    [
        lambda T: _vjp_at(T, lambda x: x.sin() * x, (T.tensor(X),), T.ones(3)),
        lambda T: _vjp_at(
            T,
            lambda x, w: {"y": w.matmul(x), "s": (x.sum(),)},
            (T.tensor(X), T.tensor(W1)),
            {"y": T.tensor([1.0, -2.0]), "s": (T.tensor(3.0),)},
        ),
        lambda T: _vjp_at(T, lambda x: x.sin(), (T.tensor(X),), (T.ones(3),)),
        lambda T: _vjp_at(T, lambda x: x.sin(), (T.tensor(X),), [T.ones(3)]),
        lambda T: _vjp_at(T, lambda x: x.sin(), (T.tensor(X),), T.ones(2)),
        lambda T: T.func.vjp(lambda x: (x.exp(), x.cos()), T.tensor(X), has_aux=True)[::2],
        lambda T: T.func.vjp(lambda x: 3, T.tensor(X)),
        lambda T: T.func.vjp(lambda x: None, T.tensor(X)),
        lambda T: T.func.vjp(lambda x: x.long(), T.tensor(X)),
        lambda T: T.func.vjp(lambda x: x, 3.0),
        lambda T: T.func.vjp(lambda x: x.sum(), T.tensor(X), has_aux=True),
        lambda T: T.func.jvp(lambda x: x.sin() * x, (T.tensor(X),), (T.tensor([1.0, 0.0, 2.0]),)),
        lambda T: T.func.jvp(
            lambda x, w: (w.matmul(x), {"a": x * 2}),
            (T.tensor(X), T.tensor(W1)),
            (T.ones(3), T.tensor([[1.0, 0.0, 2.0], [0.5, -1.0, 0.0]])),
        ),
        lambda T: T.func.jvp(lambda x: x * 0 + 1, (T.tensor(X),), (T.ones(3),)),
        lambda T: T.func.jvp(
            lambda x: (x.sum(), x.cos()), (T.tensor(X),), (T.ones(3),), has_aux=True
        ),
        lambda T: T.func.jvp(lambda x: x.sin(), T.tensor(X), T.tensor(X)),
        lambda T: T.func.jvp(lambda x: x.sin(), (T.tensor(X),), T.tensor(X)),
        lambda T: T.func.jvp(lambda x: x.sin(), (T.tensor(X),), (T.ones(3), T.ones(3))),
        lambda T: T.func.jvp(lambda x: x.sin(), (T.tensor(X),), (T.ones(2),)),
        lambda T: T.func.jvp(lambda x: 3, (T.tensor(X),), (T.ones(3),)),
        lambda T: T.func.jvp(lambda x: x, (3.0,), (T.ones(3),)),
        lambda T: T.func.jvp(lambda x: x.sin(), (T.tensor(X),), (T.ones(3),), has_aux=True),
    ],
)
def test_vjp_and_jvp_match_torch(session, call):
    check_same(call, rtol=1e-5, atol=1e-6)


def _vjp_at(T, f, primals, cotangents):
    output, vjp_fn = T.func.vjp(f, *primals)
    return output, vjp_fn(cotangents), vjp_fn(cotangents)  # vjp_fn runs more than once


# ---------------------------------------------------------------- jacrev, jacfwd, hessian


@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
@pytest.mark.parametrize(
    "call",
    [
        lambda T, jac: jac(lambda x: x**2)(T.tensor(X)),
        lambda T, jac: jac(_mlp)(T.tensor(X), T.tensor(W1), T.tensor(W2)),
        lambda T, jac: jac(_mlp, argnums=(1, 2))(T.tensor(X), T.tensor(W1), T.tensor(W2)),
        lambda T, jac: jac(lambda x, y: {"a": x * y, "b": (x.sum(),)}, argnums=(0, 1))(
            T.tensor(X), T.tensor(XS)[:, :1]
        ),
        lambda T, jac: jac(lambda x: (x.sum(), x.cos()), has_aux=True)(T.tensor(X)),
        lambda T, jac: jac(lambda d: d["a"] * d["b"])({"a": T.tensor(X), "b": T.tensor(X)}),
        lambda T, jac: jac(lambda x: x[:0])(T.tensor(X)),
        lambda T, jac: jac(lambda x: x * 2)(T.tensor(X)[:0]),
        lambda T, jac: jac(lambda x: x.sum())(T.tensor(X)),
        lambda T, jac: jac(lambda x: 3)(T.tensor(X)),
        lambda T, jac: jac(lambda x: x)(3.0),
        lambda T, jac: jac(lambda x: x, argnums=1)(T.tensor(X)),
        lambda T, jac: jac(lambda x: x.long())(T.tensor(X)),
        lambda T, jac: jac(lambda x: x.sum(), has_aux=True)(T.tensor(X)),
    ],
)
def test_jacobians_match_torch(session, call, jac):
    check_same(lambda T: call(T, getattr(T.func, jac)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.func.hessian(_scalar)(T.tensor(X)),
        lambda T: T.func.hessian(lambda x, w1, w2: _mlp(x, w1, w2).sum())(
            T.tensor(X), T.tensor(W1), T.tensor(W2)
        ),
        lambda T: T.func.hessian(lambda x, w1, w2: _mlp(x, w1, w2).sum(), argnums=(0, 2))(
            T.tensor(X), T.tensor(W1), T.tensor(W2)
        ),
        lambda T: T.func.jacrev(T.func.jacrev(lambda x: (x**3).sum() * x[0]))(T.tensor(X)),
        lambda T: T.func.jacfwd(T.func.jacrev(_mlp, argnums=1))(
            T.tensor(X), T.tensor(W1), T.tensor(W2)
        ),
        lambda T: T.func.grad(lambda x: T.func.grad(_scalar)(x).sum())(T.tensor(X)),
        lambda T: T.func.grad(
            lambda x: T.func.grad(lambda y: (x * y.exp()).sum())(T.tensor([0.1, 0.2, 0.3])).sum()
        )(T.tensor(X)),
        lambda T: T.func.vmap(T.func.grad(_scalar))(T.tensor(XS)),
        lambda T: T.func.vmap(T.func.jacrev(_mlp), in_dims=(0, None, None))(
            T.tensor(XS), T.tensor(W1), T.tensor(W2)
        ),
        lambda T: T.func.grad(lambda x: T.func.vmap(_scalar)(x).sum())(T.tensor(XS)),
        lambda T: T.func.jvp(T.func.grad(_scalar), (T.tensor(X),), (T.ones(3),)),
        lambda T: T.func.jacrev(lambda x: T.func.jvp(_scalar, (x,), (T.ones(3),))[1])(T.tensor(X)),
        lambda T: T.func.grad(lambda x: T.func.vjp(T.sin, x)[1](x.cos())[0].sum())(T.tensor(X)),
        lambda T: T.func.vmap(lambda x: T.func.jvp(_scalar, (x,), (x,)))(T.tensor(XS)),
        lambda T: T.func.hessian(lambda x: T.vmap(_scalar)(x).sum())(T.tensor(XS)),
    ],
)
def test_hessians_and_compositions_match_torch(session, call):
    check_same(call, rtol=1e-5, atol=1e-6)


def test_jacobian_of_an_input_requiring_grad_keeps_its_history(session):
    def run(T):
        x = T.tensor(X, requires_grad=True)
        jacobian = T.func.jacrev(lambda x: x**2)(x)
        return jacobian, T.autograd.grad(jacobian.sum(), x)[0]

    assert _without_grad_fn_names(run(gradrpc)) == _without_grad_fn_names(run(torch))


# ---------------------------------------------------------------- vmap


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.vmap(lambda a: a.sum(0))(T.tensor(XS)),
        lambda T: T.vmap(lambda a: a.sum(0), in_dims=1)(T.tensor(XS)),
        lambda T: T.vmap(lambda a: a * 2, in_dims=-1, out_dims=-2)(T.tensor(XS)),
        lambda T: T.vmap(lambda a: a * 2, out_dims=1)(T.tensor(XS)),
        lambda T: T.vmap(lambda a, b: a + b, in_dims=(0, None))(T.tensor(XS), T.tensor(X)),
        lambda T: T.vmap(lambda a, b: a + b, in_dims=(0, None))(T.tensor(XS), 2.0),
        lambda T: T.vmap(lambda a, b: a * b, in_dims=(0, 1))(T.tensor(XS), T.tensor(XS).t()),
        lambda T: T.vmap(lambda a, k=1: a * k)(T.tensor(XS), k=3),
        lambda T: T.vmap(lambda a, k=None: a * k)(T.tensor(XS), k=T.ones(3)),
        lambda T: T.vmap(lambda d: d["a"] * d["b"][0])({"a": T.tensor(XS), "b": [T.tensor(XS)]}),
        lambda T: T.vmap(lambda d: d["a"] * d["b"][0], in_dims=({"a": 0, "b": 1},))(
            {"a": T.tensor(XS), "b": [T.tensor(XS).t()]}
        ),
        lambda T: T.vmap(lambda a, b: {"s": a + b, "l": [a, (b.sum(),)]})(
            T.tensor(XS), T.tensor(XS)
        ),
        lambda T: T.vmap(lambda a: (a, a), out_dims=(0, 1))(T.tensor(XS)),
        lambda T: T.vmap(lambda a: (a, 3), out_dims=(0, None))(T.tensor(XS)),
        lambda T: T.vmap(lambda a: a, out_dims=(1,))(T.tensor(XS)),
        lambda T: T.vmap(T.vmap(lambda a: a * a.sum()))(T.tensor(XS)[None].expand(2, 2, 3)),
        lambda T: T.vmap(lambda a: a.mv(T.tensor(X)), chunk_size=1)(T.tensor(XS)[None]),
        lambda T: T.vmap(lambda a: a.sum(0), in_dims=2)(T.tensor(XS)),
        lambda T: T.vmap(lambda a: a.sum(0), in_dims=-3)(T.tensor(XS)),
        lambda T: T.vmap(lambda a: a, in_dims=(0, 0))(T.tensor(XS)),
        lambda T: T.vmap(lambda a: a, in_dims=[0])(T.tensor(XS)),
        lambda T: T.vmap(lambda a: a, in_dims="a")(T.tensor(XS)),
        lambda T: T.vmap(lambda a: a, in_dims=(None,))(T.tensor(XS)),
        lambda T: T.vmap(lambda a, b: a + b)(T.tensor(XS), T.ones(3, 3)),
        lambda T: T.vmap(lambda a, b: a + b, in_dims=(0, 1.0))(T.tensor(XS), T.tensor(X)),
        lambda T: T.vmap(lambda a, b: a + b)(T.tensor(XS), 2.0),
        lambda T: T.vmap(lambda a: a)(T.tensor(1.0)),
        lambda T: T.vmap(lambda a: a)(),
        lambda T: T.vmap(lambda a: 3)(T.tensor(XS)),
        lambda T: T.vmap(lambda a: a.sum(), out_dims=1)(T.tensor(XS)),
        lambda T: T.vmap(lambda a: a, out_dims=(0, 1))(T.tensor(XS)),
        lambda T: T.vmap(lambda a: (a, a), out_dims=(0, None))(T.tensor(XS)),
        lambda T: T.vmap(lambda a: a, out_dims="a")(T.tensor(XS)),
        lambda T: T.vmap(lambda a: a, randomness="foo")(T.tensor(XS)),
        lambda T: T.vmap(lambda a: a, chunk_size=0)(T.tensor(XS)),
        lambda T: T.vmap(lambda d: d["a"], in_dims=({"a": 0},))({"a": T.ones(2), "b": [T.ones(2)]}),
        lambda T: T.vmap(lambda a, b: a, in_dims=(0, 0, 0))(T.ones(2), Pair(T.ones(2), None)),
    ],
)
def test_vmap_matches_torch(session, call):
    check_same(call, rtol=1e-5, atol=1e-6)


def test_vmap_is_torch_vmap_and_keeps_the_name(session):
    assert gradrpc.vmap is gradrpc.func.vmap

    def scaled(a):
        return a * 2

    assert gradrpc.vmap(scaled).__name__ == "scaled"


def test_vmap_over_an_empty_batch_says_it_loops(session):
    with pytest.raises(RuntimeError, match="once per sample"):
        gradrpc.vmap(lambda a: a)(gradrpc.ones(0, 3))


# ---------------------------------------------------------------- functional_call


def _linear_state(T):
    model = T.nn.Linear(3, 2)
    with T.no_grad():
        model.weight.copy_(T.tensor(W1))
        model.bias.copy_(T.tensor([0.1, -0.2]))
    return model


def test_per_sample_gradients_as_torch_tutorial_computes_them(session):
    """vmap(grad(loss)) over functional_call of a Linear + ReLU + Linear model: one gradient
    per sample and parameter, equal to torch's, and to each sample's own backward."""

    def run(T):
        T.manual_seed(0)
        model = T.nn.Sequential(T.nn.Linear(3, 4), T.nn.ReLU(), T.nn.Linear(4, 2))
        with T.no_grad():
            for i, p in enumerate(model.parameters()):
                p.copy_(T.linspace(-1.0, 1.0, p.numel()).reshape(p.shape) * (i + 1) / 3)
        params = {k: v.detach() for k, v in model.named_parameters()}
        buffers = {k: v.detach() for k, v in model.named_buffers()}
        data = T.tensor([[0.5, -1.0, 2.0], [0.3, 0.1, -0.4], [1.0, 1.5, -0.5], [-2.0, 0.2, 0.1]])
        targets = T.tensor([0, 1, 1, 0])

        def compute_loss(params, buffers, sample, target):
            predictions = T.func.functional_call(model, (params, buffers), (sample.unsqueeze(0),))
            return T.nn.functional.cross_entropy(predictions, target.unsqueeze(0))

        per_sample = T.func.vmap(T.func.grad(compute_loss), in_dims=(None, None, 0, 0))(
            params, buffers, data, targets
        )
        one_by_one = []
        for sample, target in zip(data, targets, strict=True):
            model.zero_grad()
            T.nn.functional.cross_entropy(model(sample[None]), target[None]).backward()
            one_by_one.append({k: p.grad.clone() for k, p in model.named_parameters()})
        return per_sample, one_by_one

    expected = check_same(run, rtol=1e-5, atol=1e-6)
    per_sample, one_by_one = expected[1]
    for name, grads in per_sample.items():  # the oracle agrees with itself
        np.testing.assert_allclose(
            grads["values"], np.stack([g[name]["values"] for g in one_by_one]), rtol=1e-5
        )


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.func.functional_call(
            _linear_state(T), {"weight": T.ones(2, 3)}, (T.tensor(XS),)
        ),
        lambda T: T.func.functional_call(
            _linear_state(T), [{"weight": T.ones(2, 3)}, {"bias": T.zeros(2)}], T.tensor(XS)
        ),
        lambda T: T.func.functional_call(_linear_state(T), {}, kwargs={"input": T.tensor(XS)}),
        lambda T: T.func.functional_call(
            _linear_state(T), [{"weight": T.ones(2, 3)}, {"weight": T.ones(2, 3)}], T.ones(3)
        ),
        lambda T: T.func.functional_call(_linear_state(T), [{"weight": T.ones(2, 3)}, 1], ()),
        lambda T: T.func.functional_call(_linear_state(T), 3, ()),
        lambda T: T.func.functional_call(
            _linear_state(T), {"weight": T.ones(2, 3), "extra": T.ones(1)}, T.ones(3), strict=True
        ),
        lambda T: T.func.functional_call(_linear_state(T), {"weight": 3}, T.ones(3)),
        lambda T: T.func.functional_call(_linear_state(T), {"nope.weight": T.ones(1)}, T.ones(3)),
        lambda T: _after_call(T, {"weight": T.ones(2, 3)}, T.ones(3)),
        lambda T: _after_call(T, {"weight": T.ones(2, 3)}, T.ones(4)),
        lambda T: _tied(T, {"0.weight": T.eye(2)}, tie_weights=True),
        lambda T: _tied(T, {"0.weight": T.eye(2)}, tie_weights=False),
        lambda T: _tied(T, {"0.weight": T.eye(2), "1.weight": T.ones(2, 2)}, tie_weights=True),
    ],
)
def test_functional_call_matches_torch(session, call):
    check_same(call, rtol=1e-5, atol=1e-6)


def _after_call(T, values, x):
    """The output (or error) of the call, and the module's own parameters afterwards."""
    model = _linear_state(T)
    try:
        result = T.func.functional_call(model, values, (x,))
    except RuntimeError as exc:
        result = str(exc)
    return result, dict(model.named_parameters())


def _tied(T, values, tie_weights):
    first = T.nn.Linear(2, 2, bias=False)
    second = T.nn.Linear(2, 2, bias=False)
    with T.no_grad():
        first.weight.copy_(T.tensor([[1.0, 2.0], [3.0, 4.0]]))
    second.weight = first.weight
    model = T.nn.Sequential(first, second)
    output = T.func.functional_call(model, values, T.tensor([1.0, -1.0]), tie_weights=tie_weights)
    return output, model[1].weight
