"""Norms and gradient clipping against torch: Tensor.norm, torch.norm, torch.linalg's
vector_norm, norm and matrix_norm (the Frobenius norm; the other orders in
test_linalg_norms) with LinalgVectorNormBackward0 and its gradients; torch.nn.utils'
clip_grad_norm_ (every norm type, clipping or not, None grads, torch's non-finite error and
empty-generator warning), clip_grad_value_, and parameters as one vector; a training loop
that clips, step for step as torch; and that clipping reads nothing from the server."""

from __future__ import annotations

import math
import warnings

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import check_error_at_line, check_same, no_rpc, raised

INF = math.inf

CASES = {
    "Tensor.norm": lambda T, x: x.norm(),
    "p=1": lambda T, x: x.norm(1),
    "p=3 over a dim": lambda T, x: x.norm(3, 1),
    "p=0.5 keepdim": lambda T, x: x.norm(0.5, dim=(0, 2), keepdim=True),
    "p=inf": lambda T, x: x.norm(INF),
    "p=-inf over a dim": lambda T, x: x.norm(-INF, -1),
    "p=0": lambda T, x: x.norm(0),
    "p=None": lambda T, x: T.norm(x, None, 2),
    "fro over two dims": lambda T, x: T.norm(x, "fro", (1, 2)),
    "torch.norm dtype": lambda T, x: T.norm(x, dtype=T.float64),
    "vector_norm": lambda T, x: T.linalg.vector_norm(x),
    "vector_norm ord, dims": lambda T, x: T.linalg.vector_norm(x, 1.5, (0, 1), True),
    "vector_norm dtype": lambda T, x: T.linalg.vector_norm(x, INF, 0, dtype=T.float64),
    "vector_norm bool ord": lambda T, x: T.linalg.vector_norm(x, True),
    "linalg.norm flattened": lambda T, x: T.linalg.norm(x),
    "linalg.norm over a dim": lambda T, x: T.linalg.norm(x, 3, 1),
    "linalg.norm fro": lambda T, x: T.linalg.norm(x, "fro", (0, 2)),
    "linalg.norm of a matrix": lambda T, x: T.linalg.norm(x[0]),
    "matrix_norm": lambda T, x: T.linalg.matrix_norm(x),
    "matrix_norm keepdim": lambda T, x: T.linalg.matrix_norm(x, dim=(2, 0), keepdim=True),
    "of a float64 tensor": lambda T, x: x.double().norm(dim=0),
    "normalizing": lambda T, x: x / x.norm(dim=-1, keepdim=True),
    "of a zero vector": lambda T, x: (x * 0).norm(dim=1),
    "0-d": lambda T, x: x[1, 2, 3].norm(),
}


@pytest.mark.parametrize("name", CASES)
def test_norms_match_torch(name):
    def scenario(T):
        x = (T.arange(-12.0, 12.0).reshape(2, 3, 4) / 3).requires_grad_()
        r = CASES[name](T, x)
        (r * T.arange(1.0, 1.0 + r.numel()).reshape(r.shape)).sum().backward()
        return r, x.grad

    check_same(scenario, rtol=1e-5, atol=1e-6)


ERRORS = {
    "an integer tensor": lambda T: T.arange(3).norm(),
    "an integer dtype": lambda T: T.ones(3).norm(dtype=T.int64),
    "narrowing": lambda T: T.linalg.vector_norm(T.ones(3).double(), dtype=T.float32),
    "a string ord": lambda T: T.linalg.vector_norm(T.ones(3), "fro"),
    "inf of nothing": lambda T: T.ones(2, 0).norm(INF),
    "-1 over an empty dim": lambda T: T.ones(2, 0).norm(-1, 1),
    "a repeated dim": lambda T: T.ones(2, 3).norm(dim=(0, -2)),
    "a dim out of range": lambda T: T.ones(2, 3).norm(dim=2),
    "three dims": lambda T: T.linalg.norm(T.ones(2, 3, 4), dim=(0, 1, 2)),
    "ord of a 3-d input": lambda T: T.linalg.norm(T.ones(2, 3, 4), 2),
    "matrix_norm of a vector": lambda T: T.linalg.matrix_norm(T.ones(3)),
    "fro over one dim": lambda T: T.linalg.norm(T.ones(2, 3), "fro", dim=1),
    "the same dim twice": lambda T: T.linalg.matrix_norm(T.ones(2, 3), dim=(0, -2)),
    "an unknown order": lambda T: T.linalg.norm(T.ones(2, 3), "abc"),
    "fro over three dims": lambda T: T.ones(2, 3, 4).norm("fro", (0, 1, 2)),
}


@pytest.mark.parametrize("name", ERRORS)
def test_norm_errors_match_torch_at_the_line(name):
    check_error_at_line(ERRORS[name])


def test_matrix_norm_takes_a_tuple_of_dims():
    with pytest.raises(TypeError) as expected:
        torch.linalg.matrix_norm(torch.ones(2, 3), dim=1)
    with pytest.raises(TypeError) as raised:
        gradrpc.linalg.matrix_norm(gradrpc.ones(2, 3), dim=1)
    assert str(expected.value).startswith("linalg_matrix_norm()")
    assert str(raised.value).startswith("linalg_matrix_norm()")


def test_an_order_0_norm_gives_no_gradient():
    """torch's norm_backward gives nothing for ord 0: a leaf behind it keeps .grad None and
    counts as unused by autograd.grad, and a retained .grad stays None."""

    def scenario(T):
        x = T.tensor([1.0, 0.0, 2.0], requires_grad=True)
        y = x * 2
        y.retain_grad()
        n = T.linalg.vector_norm(y, 0)
        unused = raised(lambda: T.autograd.grad(n, [x], retain_graph=True))
        allowed = T.autograd.grad(n, [x], retain_graph=True, allow_unused=True)
        (n + x.sum()).backward()
        return n, unused[1], allowed, x.grad, y.grad

    check_same(scenario)


# ---------------------------------------------------------------- torch.nn.utils


def _with_grads(T, nan: bool = False):
    """Three parameters with gradients of different sizes, and one without."""
    w = (T.arange(12.0).reshape(3, 4) / 5 - 1).requires_grad_()
    b = T.tensor([0.5, -2.0, 3.0], requires_grad=True)
    c = T.tensor([[1.5]], requires_grad=True)
    unused = T.ones(2, requires_grad=True)
    loss = (w**3).sum() + (b * b).sum() * 4 + (c * (float("nan") if nan else 7.0)).sum()
    loss.backward()
    return [w, unused, b, c]


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.0, INF, 0.5, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e4])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    def scenario(T):
        params = _with_grads(T)
        total = T.nn.utils.clip_grad_norm_(params, max_norm, float(norm_type))
        return total, [p.grad for p in params]

    check_same(scenario, rtol=1e-5, atol=1e-6)


CLIPPING = {
    "a single tensor": lambda T, ps: T.nn.utils.clip_grad_norm_(ps[0], 1.0),
    "a generator": lambda T, ps: T.nn.utils.clip_grad_norm_((p for p in ps), 2.0, 1),
    "no gradients": lambda T, ps: T.nn.utils.clip_grad_norm_([ps[1]], 1.0),
    "an empty generator": lambda T, ps: T.nn.utils.clip_grad_norm_((p for p in []), 1.0),
    "deprecated clip_grad_norm": lambda T, ps: T.nn.utils.clip_grad_norm(ps, 1.0),
    "get_total_norm": lambda T, ps: T.nn.utils.get_total_norm([p.grad for p in ps[::2]], 3),
    "clip_grads_with_norm_": lambda T, ps: T.nn.utils.clip_grads_with_norm_(
        ps, 1.0, T.tensor(40.0)
    ),
    "clip_grad_value_": lambda T, ps: T.nn.utils.clip_grad_value_(ps, 2.5),
    "clip_grad_value_ of one": lambda T, ps: T.nn.utils.clip_grad_value_(ps[2], 1),
    "non-finite, allowed": lambda T, ps: T.nn.utils.clip_grad_norm_(_with_grads(T, True), 1.0),
    "non-finite, refused": lambda T, ps: T.nn.utils.clip_grad_norm_(
        _with_grads(T, True), 1.0, error_if_nonfinite=True
    ),
    "parameters_to_vector": lambda T, ps: T.nn.utils.parameters_to_vector(ps) * 2,
    "parameters_to_vector of none": lambda T, ps: T.nn.utils.parameters_to_vector([]),
    "vector_to_parameters": lambda T, ps: T.nn.utils.vector_to_parameters(
        T.arange(20.0), [p.detach() for p in ps]
    ),
    "vector_to_parameters, not a tensor": lambda T, ps: T.nn.utils.vector_to_parameters([1.0], ps),
}


@pytest.mark.parametrize("name", CLIPPING)
def test_clipping_utilities_match_torch(name):
    def scenario(T):
        params = _with_grads(T)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = CLIPPING[name](T, params)
        shown = [(w.category.__name__, str(w.message)) for w in caught]
        return result, [p.grad for p in params], shown

    check_same(scenario, rtol=1e-5, atol=1e-6)


def test_clipping_reads_nothing_from_the_server():
    params = _with_grads(gradrpc)
    gradrpc.default_session().flush()
    with no_rpc():
        total = gradrpc.nn.utils.clip_grad_norm_(params, 1.0)
        gradrpc.nn.utils.clip_grad_value_(params, 0.1)
    assert total.item() > 1.0


def test_training_with_clipping_matches_torch():
    """Twenty SGD steps with momentum on a small MLP whose gradients are clipped to norm 1
    every step: the same losses and weights as torch (to 1e-4: the float32 norms can differ
    in their last bit, and momentum carries that along)."""
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    ours = gradrpc.nn.Sequential(
        gradrpc.nn.Linear(5, 8), gradrpc.nn.Tanh(), gradrpc.nn.Linear(8, 2)
    )
    ours.load_state_dict(theirs.state_dict())
    x, y = torch.randn(16, 5) * 3, torch.randn(16, 2)
    data = {torch: (x, y), gradrpc: (gradrpc.tensor(x.numpy()), gradrpc.tensor(y.numpy()))}
    losses = {}
    for T, model in ((torch, theirs), (gradrpc, ours)):
        optimizer = T.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        inputs, targets = data[T]
        losses[T] = []
        for _ in range(20):
            loss = T.nn.functional.mse_loss(model(inputs), targets, reduction="sum")
            optimizer.zero_grad()
            loss.backward()
            norm = T.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            losses[T].append((loss.item(), norm.item()))
    np.testing.assert_allclose(losses[gradrpc], losses[torch], rtol=1e-5)
    assert max(n for _, n in losses[torch]) > 1.0  # it did clip
    for (_, mine), (_, other) in zip(
        ours.named_parameters(), theirs.named_parameters(), strict=True
    ):
        np.testing.assert_allclose(
            mine.detach().numpy(), other.detach().numpy(), rtol=1e-4, atol=1e-6
        )
