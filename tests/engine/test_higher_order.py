"""Second derivatives through the engine (run_backward with create_graph) against torch's:
for each op the higher-order rules support, the gradient of <first gradients, v> with
respect to the inputs, as torch.autograd.grad with create_graph then grad again gives it."""

import numpy as np
import pytest
import torch
from gradrpc.engine import graph
from gradrpc.engine.errors import GraphFreed, Unsupported

RNG = np.random.default_rng(7)


def _r(*shape, low=-1.5, high=1.5):
    return RNG.uniform(low, high, shape)


def _positive(*shape):
    return _r(*shape, low=0.3, high=2.0)


# (id, op, operands: arrays differentiated, numbers as they are, attrs, torch function)
CASES = [
    ("add", "add", [_r(2, 3), _r(3)], {"alpha": 2.0}, lambda a, b: torch.add(a, b, alpha=2.0)),
    ("add_number", "add", [_r(2, 3), 1.5], {}, lambda a, b: a + b),
    ("sub", "sub", [_r(2, 3), _r(2, 1)], {}, lambda a, b: a - b),
    ("rsub", "rsub", [_r(4), 2.0], {}, lambda a, b: torch.rsub(a, b)),
    ("mul", "mul", [_r(2, 3), _r(3)], {}, lambda a, b: a * b),
    ("mul_self", "mul", [_r(4), 3.0], {}, lambda a, b: a * b),
    ("div", "div", [_r(2, 3), _positive(2, 3)], {}, lambda a, b: a / b),
    ("div_number", "div", [_r(3), 4.0], {}, lambda a, b: a / b),
    ("neg", "neg", [_r(3)], {}, torch.neg),
    ("pow_number", "pow", [_positive(3), 3.0], {}, lambda a, e: a**e),
    ("pow_fraction", "pow", [_positive(3), 0.5], {}, lambda a, e: a**e),
    ("pow_tensor", "pow", [_positive(3), _r(3)], {}, torch.pow),
    ("exp", "exp", [_r(3)], {}, torch.exp),
    ("log", "log", [_positive(3)], {}, torch.log),
    ("sqrt", "sqrt", [_positive(3)], {}, torch.sqrt),
    ("sin", "sin", [_r(3)], {}, torch.sin),
    ("cos", "cos", [_r(3)], {}, torch.cos),
    ("tanh", "tanh", [_r(3)], {}, torch.tanh),
    ("sigmoid", "sigmoid", [_r(3)], {}, torch.sigmoid),
    ("abs", "abs", [_r(4)], {}, torch.abs),
    ("sum", "sum", [_r(2, 3)], {}, torch.sum),
    ("sum_dim", "sum", [_r(2, 3)], {"dim": [1], "keepdim": False}, lambda a: a.sum(1)),
    ("mean", "mean", [_r(2, 3)], {}, torch.mean),
    ("mean_dim", "mean", [_r(2, 3)], {"dim": [0], "keepdim": True}, lambda a: a.mean(0, True)),
    ("mm", "mm", [_r(2, 3), _r(3, 4)], {}, torch.mm),
    ("mv", "mv", [_r(2, 3), _r(3)], {}, torch.mv),
    ("dot", "dot", [_r(3), _r(3)], {}, torch.dot),
    ("bmm", "bmm", [_r(2, 2, 3), _r(2, 3, 2)], {}, torch.bmm),
    (
        "addmm",
        "addmm",
        [_r(4), _r(2, 3), _r(3, 4)],
        {"beta": 0.5, "alpha": 2.0},
        lambda x, a, b: torch.addmm(x, a, b, beta=0.5, alpha=2.0),
    ),
    ("t", "t", [_r(2, 3)], {}, torch.t),
    ("transpose", "transpose", [_r(2, 3, 4)], {"dim0": 0, "dim1": 2}, lambda a: a.transpose(0, 2)),
    ("permute", "permute", [_r(2, 3, 4)], {"dims": [2, 0, 1]}, lambda a: a.permute(2, 0, 1)),
    ("view", "view", [_r(2, 3)], {"shape": [3, 2]}, lambda a: a.view(3, 2)),
    ("expand", "expand", [_r(3, 1)], {"shape": [2, 3, 4]}, lambda a: a.expand(2, 3, 4)),
    ("unsqueeze", "unsqueeze", [_r(3)], {"dim": 0}, lambda a: a.unsqueeze(0)),
    ("squeeze", "squeeze", [_r(3, 1)], {"dim": 1}, lambda a: a.squeeze(1)),
    ("clone", "clone", [_r(3)], {}, torch.clone),
    ("reciprocal", "reciprocal", [_positive(3)], {}, torch.reciprocal),
    ("select", "select", [_r(2, 4)], {"dim": 1, "index": -2}, lambda a: a[:, -2]),
    (
        "slice",
        "slice",
        [_r(3, 5)],
        {"dim": -1, "start": 1, "end": 4, "step": 1},
        lambda a: a[:, 1:4],
    ),
    (
        "mse_loss",
        "mse_loss",
        [_r(2, 3), _r(2, 3)],
        {},
        torch.nn.functional.mse_loss,
    ),
    (
        "mse_loss_sum",
        "mse_loss",
        [_r(2, 3), _r(2, 3)],
        {"reduction": "sum"},
        lambda a, b: torch.nn.functional.mse_loss(a, b, reduction="sum"),
    ),
    ("softmax", "softmax", [_r(2, 3)], {"dim": 1}, lambda a: torch.softmax(a, 1)),
    ("log_softmax", "log_softmax", [_r(2, 3)], {"dim": 0}, lambda a: torch.log_softmax(a, 0)),
]


def _engine(op, operands, attrs):
    tensors = [
        graph.Tensor(o.copy(), requires_grad=True) if isinstance(o, np.ndarray) else o
        for o in operands
    ]
    inputs = [t for t in tensors if isinstance(t, graph.Tensor)]
    out = graph.call(op, tensors, attrs)
    weight = graph.Tensor(np.linspace(0.5, 1.5, max(out.data.size, 1)).reshape(out.data.shape))
    loss = graph.call(
        "sum", [graph.call("mul", [graph.call("mul", [out, out], {}), weight], {})], {}
    )
    first = graph.run_backward(
        [loss], [None], True, targets=inputs, accumulate=False, create_graph=True
    )
    probes = [graph.Tensor(np.cos(np.arange(g.data.size)).reshape(g.data.shape)) for g in first]
    total = None
    for g, v in zip(first, probes, strict=True):
        term = graph.call("sum", [graph.call("mul", [g, v], {})], {})
        total = term if total is None else graph.call("add", [total, term], {})
    second = graph.run_backward(
        [total], [None], False, targets=inputs, accumulate=False, allow_unused=True
    )
    return [g.data for g in first], second


def _torch(fn, operands):
    tensors = [
        torch.tensor(o, requires_grad=True) if isinstance(o, np.ndarray) else o for o in operands
    ]
    inputs = [t for t in tensors if isinstance(t, torch.Tensor)]
    out = fn(*tensors)
    weight = torch.linspace(0.5, 1.5, max(out.numel(), 1), dtype=out.dtype).reshape(out.shape)
    first = torch.autograd.grad((out * out * weight).sum(), inputs, create_graph=True)
    probes = [torch.cos(torch.arange(g.numel(), dtype=g.dtype)).reshape(g.shape) for g in first]
    total = sum((g * v).sum() for g, v in zip(first, probes, strict=True))
    second = torch.autograd.grad(total, inputs, allow_unused=True)
    return [g.detach().numpy() for g in first], second


@pytest.mark.parametrize(
    ("op", "operands", "attrs", "fn"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_second_derivative_matches_torch(op, operands, attrs, fn):
    first, second = _engine(op, operands, attrs)
    expected_first, expected_second = _torch(fn, operands)
    for got, want in zip(first, expected_first, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    for got, want in zip(second, expected_second, strict=True):
        want = np.zeros_like(got) if want is None and got is not None else want
        if want is None:
            assert got is None
        else:
            np.testing.assert_allclose(got, want.numpy(), rtol=1e-10, atol=1e-12)


def test_first_gradient_records_torch_node_names():
    x = graph.Tensor(np.array([0.5, 1.5, -0.7]), requires_grad=True)
    squares = graph.call("sum", [graph.call("mul", [x, x], {})], {})
    (g,) = graph.run_backward([squares], [None], True, [x], accumulate=False, create_graph=True)
    assert g.grad_fn.name == "AddBackward0"
    assert [e.name for e in g.grad_fn.edges] == ["MulBackward0", "MulBackward0"]
    cubed = graph.call("sum", [graph.call("pow", [x, 3], {})], {})
    (g,) = graph.run_backward([cubed], [None], True, [x], accumulate=False, create_graph=True)
    assert g.grad_fn.name == "MulBackward0"


def test_backward_with_create_graph_replaces_grad_with_history():
    x = graph.Tensor(np.array([0.5, 1.5, -0.7]), requires_grad=True)
    for _ in range(2):
        y = graph.call("sum", [graph.call("exp", [x], {})], {})
        graph.run_backward([y], [None], True, create_graph=True)
    assert x.grad.grad_fn.name == "AddBackward0"
    np.testing.assert_allclose(x.grad.data, 2 * np.exp(x.data))
    first = x.grad
    graph.run_backward([graph.call("sum", [first], {})], [None], False, targets=[x])
    assert x.grad is first  # a pass without create_graph adds in place, as torch's does
    np.testing.assert_allclose(x.grad.data, 4 * np.exp(x.data))


def test_unsupported_op_refuses_before_anything_runs():
    x = graph.Tensor(np.array([0.5, 1.5, -0.7]), requires_grad=True)
    y = graph.call("sum", [graph.call("sinh", [graph.call("exp", [x], {})], {})], {})
    with pytest.raises(Unsupported, match="create_graph through SinhBackward0 is not supported"):
        graph.run_backward([y], [None], False, create_graph=True)
    assert x.grad is None
    graph.run_backward([y], [None], False)  # the graph was left as it was
    assert x.grad is not None


def test_a_strided_slice_refuses():
    x = graph.Tensor(np.arange(6.0), requires_grad=True)
    y = graph.call("sum", [graph.call("slice", [x], {"dim": 0, "start": 0, "step": 2})], {})
    with pytest.raises(Unsupported, match="create_graph through SliceBackward0"):
        graph.run_backward([y], [None], False, create_graph=True)


def test_freed_graph_refuses_a_create_graph_pass():
    x = graph.Tensor(np.array([0.5, 1.5]), requires_grad=True)
    y = graph.call("sum", [graph.call("exp", [x], {})], {})
    graph.run_backward([y], [None], False)
    with pytest.raises(GraphFreed):
        graph.run_backward([y], [None], False, create_graph=True)
