"""matmul of 3 or more dims, bmm and expand against torch: values, gradients and the whole
graph (matmul records the nodes of aten's decomposition: the folded mm or mv, or expand,
reshape and bmm, each with its _unsafe_view), torch's errors at the line, and in-place
writes into an expanded tensor (refused, or allowed with torch's warnings)."""

from __future__ import annotations

import warnings

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import check_error_at_line, check_same, graph_of, torch_error

SHAPES = [
    ((2, 3, 4), (4, 5)),  # folded into one mm
    ((2, 3, 4), (4,)),  # folded into one mv
    ((5, 2, 3, 4), (4,)),
    ((4,), (2, 4, 5)),  # the vector on the left: bmm, or folded when it requires grad
    ((3, 4), (2, 4, 5)),  # folded transposed when the matrix requires grad, else bmm
    ((3,), (2, 2, 3, 1)),
    ((2, 3, 4), (2, 4, 5)),  # bmm
    ((7, 1, 3, 4), (2, 4, 5)),  # broadcast batches
    ((2, 1, 3, 4), (5, 4, 2)),
    ((1, 3, 4), (2, 4, 5)),  # a batch of one that requires grad is squeezed
    ((2, 3, 4), (1, 4, 5)),
    ((0, 3, 4), (4, 5)),
]


@pytest.mark.parametrize(("a", "b"), SHAPES, ids=str)
@pytest.mark.parametrize("grads", [(True, True), (True, False), (False, True)], ids=str)
def test_matmul_matches_torch_with_itsgraph_of(a, b, grads):
    rng = np.random.default_rng(len(a) * 10 + len(b))
    values = rng.standard_normal(a).astype(np.float32), rng.standard_normal(b).astype(np.float32)
    results = []
    for T in (torch, gradrpc):
        x = T.tensor(values[0], requires_grad=grads[0])
        y = T.tensor(values[1], requires_grad=grads[1])
        out = x @ y
        weights = T.arange(1.0, 1.0 + out.numel()).reshape(out.shape)
        (out * weights).sum().backward()
        grads_out = [None if t.grad is None else t.grad.numpy() for t in (x, y)]
        results.append((tuple(out.shape), graph_of(out.grad_fn), out.detach().numpy(), grads_out))
    (shape, graph, value, grad), (our_shape, our_graph, our_value, our_grad) = results
    assert our_shape == shape
    assert our_graph == graph
    np.testing.assert_allclose(our_value, value, rtol=1e-5, atol=1e-5)
    for ours, theirs in zip(our_grad, grad, strict=True):
        assert (ours is None) == (theirs is None)
        if theirs is not None:
            np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize(
    ("shape", "layout"),
    [
        ((3, 2, 4), lambda x: x.transpose(0, 1)),  # no fold without a copy: bmm
        ((2, 4, 3), lambda x: x.mT),
        ((2, 3, 8), lambda x: x[..., ::2]),
    ],
)
def test_matmul_of_non_contiguous_operands_matches_torch(shape, layout):
    def scenario(T):
        x = T.arange(1.0, 1.0 + np.prod(shape)).reshape(shape).requires_grad_()
        out = layout(x) @ T.arange(1.0, 9.0).reshape(4, 2)
        out.sum().backward()
        return out, graph_of(out.grad_fn), x.grad

    check_same(scenario)


def test_bmm_and_expand_match_torch():
    def scenario(T):
        a = T.arange(1.0, 25.0).reshape(2, 3, 4).requires_grad_()
        b = T.arange(1.0, 9.0).reshape(1, 4, 2).requires_grad_()
        c = T.bmm(a, b.expand(2, -1, -1))
        d = a.bmm(b.expand_as(T.ones(2, 4, 2)))
        e = T.ones(3, 1).expand(T.Size([2, 3, 4]))
        (c * d).sum().backward()
        return c, d, e, e.stride(), e.is_contiguous(), a.grad, b.grad, T.ones(2).expand([2])

    check_same(scenario, rtol=1e-5)


ERRORS = {
    "bmm of a matrix": lambda T: T.bmm(T.ones(3, 4), T.ones(2, 4, 5)),
    "bmm of a second matrix": lambda T: T.bmm(T.ones(2, 3, 4), T.ones(4, 5)),
    "bmm batches": lambda T: T.bmm(T.ones(2, 3, 4), T.ones(3, 4, 5)),
    "bmm inner sizes": lambda T: T.ones(2, 3, 4).bmm(T.ones(2, 5, 5)),
    "bmm dtypes": lambda T: T.bmm(T.ones(2, 3, 4), T.ones(2, 4, 5, dtype=T.float64)),
    "bmm of bool": lambda T: T.bmm(T.ones(2, 3, 4, dtype=T.bool), T.ones(2, 4, 5)),
    "bmm of a number": lambda T: T.ones(2, 3, 4).bmm(3),
    "matmul batches that do not broadcast": lambda T: T.ones(2, 3, 4) @ T.ones(3, 4, 6),
    "batched matmul inner sizes": lambda T: T.ones(2, 3, 4, requires_grad=True) @ T.ones(2, 5, 6),
    "folded matmul inner sizes": lambda T: T.ones(2, 3, 4) @ T.ones(5, 6),
    "folded matmul with a vector": lambda T: T.ones(2, 3, 4) @ T.ones(5),
    "vector times a batch": lambda T: T.ones(5) @ T.ones(2, 3, 4),
    "matrix times a batch": lambda T: T.ones(5, 2) @ T.ones(2, 3, 4),
    "folded matmul dtypes": lambda T: T.ones(2, 3, 4) @ T.ones(4, 5, dtype=T.float64),
    "expand to fewer dims": lambda T: T.ones(2, 3, 4).expand(3, 2),
    "expand a size that is not 1": lambda T: T.ones(2, 3, 4).expand(2, 3, 5),
    "expand -1 into a new dim": lambda T: T.ones(2, 3, 4).expand(-1, -1, -1, 4),
    "expand to a negative size": lambda T: T.ones(1).expand(-3),
    "copy_ into an expanded tensor": lambda T: T.ones(3, 1).expand(3, 4).copy_(T.zeros(3, 4)),
    "add_ into an expanded tensor": lambda T: T.ones(3, 1).expand(3, 4).add_(1),
    "relu_ of an expanded tensor": lambda T: T.ones(3, 1).expand(3, 4).relu_(),
    "assigning a row of an expanded tensor": lambda T: T.ones(3, 1).expand(3, 4).__setitem__(0, 1),
    "an expanded view of a leaf": lambda T: T.ones(3, 1, requires_grad=True).expand(3, 4).mul_(2),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch_at_the_line(name):
    check_error_at_line(ERRORS[name])


WRITES = {
    "fill_": lambda T, x: x.fill_(7),
    "zero_": lambda T, x: x.zero_(),
    "masked_fill_": lambda T, x: x.masked_fill_(T.ones(3, 4, dtype=T.bool), 5),
    "index_put_": lambda T, x: x.__setitem__([0, 1], 2),
    "a column": lambda T, x: x.__setitem__((slice(None), 0), 2),
}


@pytest.mark.parametrize("name", WRITES)
def test_writes_torch_allows_into_an_expanded_tensor(name):
    """They write into the base (each of its elements once per copy), with torch's
    deprecation warnings for masked_fill_ and index_put_."""

    def scenario(T):
        base = T.arange(1.0, 4.0).reshape(3, 1)
        x = base.expand(3, 4)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            WRITES[name](T, x)
        return base, x, [str(w.message) for w in caught]

    check_same(scenario)


def test_zero_through_an_expanded_view_records_torchs_nodes_and_refuses_their_backward():
    def scenario(T):
        w = T.ones(2, 1, requires_grad=True)
        h = w * 2
        view = h.expand(2, 3)
        view.zero_()
        return w, h, view

    def nodes(T):
        _, h, view = scenario(T)
        return h, graph_of(h.grad_fn), graph_of(view.grad_fn)

    check_same(nodes)
    expected = torch_error(lambda T: scenario(T)[1].sum().backward())
    w, h, _ = scenario(gradrpc)
    h.sum().backward()
    with pytest.raises(RuntimeError) as raised:
        w.grad.numpy()  # the queued backward's error surfaces at the read
    assert str(raised.value).startswith(f"{expected}\n(gradrpc: raised by 'backward' queued at")
