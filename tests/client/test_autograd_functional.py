"""gradrpc.autograd.functional against torch.autograd.functional: vjp, jvp, jacobian, hessian,
vhp and hvp on scalar, vector and matrix functions of one input or a tuple of them, the
structure of what they return, create_graph results differentiated further, zeros for unused
inputs, torch's errors (strict mode, v, the function's outputs), and no round trip before a
result is read."""

from __future__ import annotations

import gradrpc
import gradrpc.autograd.functional
import pytest
import torch
from clientkit import check_same, no_rpc

X = [[0.5, -1.0, 2.0], [0.3, 0.1, -0.4]]
W = [[0.2, -0.3], [0.5, 0.7], [-0.1, 0.4]]
V = [0.7, -0.2, 1.1]


def _F(T):
    return T.autograd.functional


def _mlp(x, w):
    """A small MLP-like scalar: tanh(x @ w) summed, then squared through a second layer."""
    h = x.matmul(w).tanh()
    return (h.matmul(w.t()).tanh() * x).sum()


@pytest.mark.parametrize(
    "call",
    [
        lambda T: _F(T).vjp(lambda x: (x * x).sum(), T.tensor(V)),
        lambda T: _F(T).vjp(lambda x: x.exp(), T.tensor(V), T.tensor([1.0, 2.0, 3.0])),
        lambda T: _F(T).vjp(lambda x, w: x.mm(w), (T.tensor(X), T.tensor(W)), T.ones(2, 2)),
        lambda T: _F(T).vjp(lambda x: (x.sin(), x * 2), T.tensor(V), (T.ones(3), T.ones(3))),
        lambda T: _F(T).jvp(lambda x: x.exp() * x, T.tensor(V), T.tensor([1.0, 0.0, 2.0])),
        lambda T: _F(T).jvp(lambda x: (x * x).sum(), T.tensor([2.0]), None),
        lambda T: _F(T).jvp(
            lambda x, w: (x.mm(w), x.sum()),
            (T.tensor(X), T.tensor(W)),
            (T.ones(2, 3), T.ones(3, 2)),
        ),
        lambda T: _F(T).jacobian(lambda x: x.exp() * x.sum(), T.tensor(V)),
        lambda T: _F(T).jacobian(lambda x: (x * x).sum(), T.tensor(V)),
        lambda T: _F(T).jacobian(lambda x, w: x.mm(w).tanh(), (T.tensor(X), T.tensor(W))),
        lambda T: _F(T).jacobian(lambda x: (x.sin(), x.sum()), T.tensor(X)),
        lambda T: _F(T).jacobian(lambda x, w: (x.mm(w), w * 3), (T.tensor(X), T.tensor(W))),
        lambda T: _F(T).hessian(lambda x: (x**3).sum(), T.tensor(V)),
        lambda T: _F(T).hessian(_mlp, (T.tensor(X), T.tensor(W))),
        lambda T: _F(T).hessian(lambda x: (x.tanh() * x).sum(), T.tensor(X)),
        lambda T: _F(T).vhp(lambda x: (x**3).sum(), T.tensor(V), T.tensor([1.0, 0.5, -1.0])),
        lambda T: _F(T).vhp(_mlp, (T.tensor(X), T.tensor(W)), (T.ones(2, 3), T.ones(3, 2))),
        lambda T: _F(T).hvp(lambda x: (x**3).sum(), T.tensor(V), T.tensor([1.0, 0.5, -1.0])),
        lambda T: _F(T).hvp(_mlp, (T.tensor(X), T.tensor(W)), (T.ones(2, 3), T.ones(3, 2))),
        lambda T: _F(T).hvp(lambda x: (x * x * x).sum(), T.tensor(1.5), None),
    ],
    ids=[
        "vjp_scalar",
        "vjp_vector",
        "vjp_tuple_inputs",
        "vjp_tuple_outputs",
        "jvp_vector",
        "jvp_v_none",
        "jvp_tuples",
        "jacobian_vector",
        "jacobian_scalar",
        "jacobian_2d_output",
        "jacobian_tuple_outputs",
        "jacobian_tuples",
        "hessian_cube",
        "hessian_mlp",
        "hessian_2d_input",
        "vhp",
        "vhp_mlp",
        "hvp",
        "hvp_mlp",
        "hvp_v_none",
    ],
)
def test_results_and_their_structure_match_torch(session, call):
    expected = check_same(call, rtol=1e-5, atol=1e-6)
    assert expected[0] == "ok"


def _nested_types(value):
    if isinstance(value, tuple):
        return tuple(_nested_types(v) for v in value)
    return "Tensor"


@pytest.mark.parametrize(
    "call",
    [
        lambda T: _F(T).jacobian(lambda x, w: (x.mm(w), w * 3), (T.tensor(X), T.tensor(W))),
        lambda T: _F(T).jacobian(lambda x, w: x.mm(w), (T.tensor(X), T.tensor(W))),
        lambda T: _F(T).jacobian(lambda x: (x.sin(),), T.tensor(V)),
        lambda T: _F(T).hessian(_mlp, (T.tensor(X), T.tensor(W))),
        lambda T: _F(T).vjp(lambda x: (x * 2,), (T.tensor(V),), (T.ones(3),)),
    ],
)
def test_tuples_are_tuples_where_torch_gives_tuples(session, call):
    assert _nested_types(call(gradrpc)) == _nested_types(call(torch))


@pytest.mark.parametrize(
    "call",
    [
        lambda T, x: _F(T).vjp(lambda x: x.exp() * x, x, T.ones(3), create_graph=True)[1],
        lambda T, x: _F(T).jvp(lambda x: x.exp() * x, x, T.ones(3), create_graph=True)[1],
        lambda T, x: _F(T).jacobian(lambda x: x.sin() * x, x, create_graph=True),
        lambda T, x: _F(T).hessian(lambda x: (x.tanh() * x).sum(), x, create_graph=True),
        lambda T, x: _F(T).vhp(lambda x: (x**3).sum(), x, T.ones(3), create_graph=True)[1],
        lambda T, x: _F(T).hvp(lambda x: (x**3).sum(), x, T.ones(3), create_graph=True)[1],
    ],
    ids=["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"],
)
def test_create_graph_results_differentiate_further(session, call):
    def run(T):
        x = T.tensor(V, requires_grad=True)
        result = call(T, x)
        (result * result).sum().backward()
        return result.requires_grad, x.grad

    check_same(run, rtol=1e-5, atol=1e-6)


def test_create_graph_through_stack_as_the_hessian_takes_it(session):
    def run(T):
        x = T.tensor(V, requires_grad=True)
        stacked = T.stack([x * x, x.exp(), x], dim=-1)
        (g,) = T.autograd.grad((stacked * stacked).sum(), x, create_graph=True)
        (h,) = T.autograd.grad(g.sum(), x)
        return g, h

    check_same(run, rtol=1e-5, atol=1e-6)


def test_create_graph_results_keep_their_history_without_create_graph_they_are_detached(session):
    def run(T):
        x = T.tensor(V, requires_grad=True)
        kept = _F(T).vjp(lambda x: (x * x).sum(), x, create_graph=True)
        detached = _F(T).vjp(lambda x: (x * x).sum(), x)
        return kept, detached

    check_same(run)


@pytest.mark.parametrize(
    "call",
    [
        lambda T, x, y: _F(T).vjp(lambda x, y: x * 2, (x, y), T.ones(3)),
        lambda T, x, y: _F(T).jvp(lambda x, y: (x * 2, x.sum()), (x, y), (T.ones(3), T.ones(2))),
        lambda T, x, y: _F(T).jacobian(lambda x, y: (x.exp(), T.ones(2)), (x, y)),
        lambda T, x, y: _F(T).hessian(lambda x, y: (x**3).sum(), (x, y)),
        lambda T, x, y: _F(T).vhp(lambda x, y: (x * x).sum() + y.sum(), (x, y), (x, y)),
        lambda T, x, y: _F(T).hvp(lambda x, y: (x * x).sum() + y.sum(), (x, y), (x, y)),
    ],
    ids=["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"],
)
def test_unused_inputs_give_zeros(session, call):
    check_same(lambda T: call(T, T.tensor(V), T.tensor([1.0, -2.0])))


@pytest.mark.parametrize(
    "call",
    [
        lambda T, x, y: _F(T).vjp(lambda x, y: x * 2, (x, y), T.ones(3), strict=True),
        lambda T, x, y: _F(T).vjp(lambda x, y: T.ones(3), (x, y), T.ones(3), strict=True),
        lambda T, x, y: _F(T).jvp(lambda x, y: x * 2, (x, y), (x, y), strict=True),
        lambda T, x, y: _F(T).jvp(lambda x: (x * 2, T.ones(2)), x, x, strict=True),
        lambda T, x, y: _F(T).jacobian(lambda x, y: x.exp(), (x, y), strict=True),
        lambda T, x, y: _F(T).jacobian(lambda x, y: x * 2, x, create_graph=True, strict=True),
        lambda T, x, y: _F(T).hessian(lambda x: (x * 2).sum(), x, strict=True),
        lambda T, x, y: _F(T).hessian(lambda x, y: (x**3).sum(), (x, y), strict=True),
        lambda T, x, y: _F(T).vhp(lambda x: (x * 2).sum(), x, x, strict=True),
        lambda T, x, y: _F(T).vhp(
            lambda x, y: (x * x).sum() + y.sum(), (x, y), (x, y), strict=True
        ),
        lambda T, x, y: _F(T).hvp(lambda x: (x * 2).sum(), x, x, strict=True),
        lambda T, x, y: _F(T).vhp(
            lambda x: (x * x).sum(), x, x.detach(), create_graph=True, strict=True
        ),
    ],
    ids=[
        "vjp_independent_input",
        "vjp_output_without_grad",
        "jvp_independent_input",
        "jvp_output_without_grad",
        "jacobian_independent_input",
        "jacobian_create_graph_linear",
        "hessian_linear",
        "hessian_independent_input",
        "vhp_linear",
        "vhp_independent_input",
        "hvp_linear",
        "vhp_create_graph",
    ],
)
def test_strict_mode_raises_torch_s_errors(session, call):
    expected = check_same(lambda T: call(T, T.tensor(V), T.tensor([1.0, -2.0])))
    assert expected[0] == "raised"


@pytest.mark.parametrize(
    "call",
    [
        lambda T, x: _F(T).vjp(lambda x: x * 2, x),
        lambda T, x: _F(T).jvp(lambda x: x * 2, x),
        lambda T, x: _F(T).vhp(lambda x: x.sum(), x),
        lambda T, x: _F(T).hvp(lambda x: x.sum(), (x, x), None),
        lambda T, x: _F(T).jvp(lambda x: x * 2, x, T.ones(2)),
        lambda T, x: _F(T).jvp(lambda x, y: x * y, (x, x), (T.ones(3), T.ones(2))),
        lambda T, x: _F(T).vjp(lambda x: (x, x), x, (T.ones(3),)),
        lambda T, x: _F(T).vjp(lambda x: x, x, (T.ones(3), T.ones(3))),
        lambda T, x: _F(T).vjp(lambda x: x, x, [1.0, 2.0, 3.0]),
        lambda T, x: _F(T).jvp(lambda x: 3.0, x, T.ones(3)),
        lambda T, x: _F(T).jacobian(lambda x: (x, 2), x),
        lambda T, x: _F(T).jacobian(lambda x: x, [x]),
        lambda T, x: _F(T).vjp(lambda x: x, (x, 1.0), T.ones(3)),
        lambda T, x: _F(T).hessian(lambda x: (x.sum(), x.sum()), x),
        lambda T, x: _F(T).hessian(lambda x: x * 2, x),
        lambda T, x: _F(T).vhp(lambda x: x * 2, x, x),
        lambda T, x: _F(T).hvp(lambda x: (x.sum(),), x, x),
        lambda T, x: _F(T).jacobian(lambda x: x, x, strategy="sideways"),
        lambda T, x: _F(T).hessian(lambda x: x.sum(), x, outer_jacobian_strategy="sideways"),
        lambda T, x: _F(T).jacobian(lambda x: x, x, strategy="forward-mode", create_graph=True),
        lambda T, x: _F(T).jacobian(lambda x: x, x, strategy="forward-mode", strict=True),
        lambda T, x: _F(T).jacobian(lambda x: x, x, strategy="forward-mode"),
        lambda T, x: _F(T).jacobian(lambda x: x, x, vectorize=True, strict=True),
    ],
)
def test_bad_calls_raise_torch_s_errors(session, call):
    expected = check_same(lambda T: call(T, T.tensor(V)))
    assert expected[0] == "raised"


@pytest.mark.parametrize(
    "call",
    [
        lambda F, x: F.jacobian(lambda x: x * 2, x, vectorize=True),
        lambda F, x: F.hessian(lambda x: (x**3).sum(), x, vectorize=True),
        lambda F, x: F.jacobian(lambda x: x * 2, x, strategy="forward-mode", vectorize=True),
        lambda F, x: F.hessian(
            lambda x: (x**3).sum(), x, vectorize=True, outer_jacobian_strategy="forward-mode"
        ),
    ],
)
@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
def test_vmap_and_forward_mode_are_refused_by_name(session, call):
    with pytest.raises(NotImplementedError, match="gradrpc"):
        call(gradrpc.autograd.functional, gradrpc.tensor(V))
    call(torch.autograd.functional, torch.tensor(V))  # what torch computes there


def test_nothing_is_read_before_the_caller_reads(session):
    x, w = gradrpc.tensor(X), gradrpc.tensor(W)
    gradrpc.ones(1).tolist()  # the session is connected
    with no_rpc(session):
        jac = gradrpc.autograd.functional.jacobian(lambda x, w: x.mm(w).tanh(), (x, w))
        hess = gradrpc.autograd.functional.hessian(_mlp, (x, w))
    expected = torch.autograd.functional.jacobian(
        lambda x, w: x.mm(w).tanh(), (torch.tensor(X), torch.tensor(W))
    )
    assert torch.allclose(torch.tensor(jac[1].tolist()), expected[1], atol=1e-6)
    assert hess[1][0].shape == (3, 2, 2, 3)
