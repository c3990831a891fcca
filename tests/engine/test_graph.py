"""Graph semantics of the engine, each checked against torch 2.13 doing the same thing.

Fan-out accumulation, retain_graph, .grad accumulation and zero_, no_grad, detach,
requires_grad flags, retain_grad, backward(inputs=...), autograd.grad (allow_unused),
leaf roots, the modified-by-an-inplace-operation error, un-broadcasting, error texts, and
a 20,000-node chain that a recursive backward could not walk.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np
import pytest
import torch
from gradrpc.engine import graph
from gradrpc.engine.errors import (
    DtypeMismatch,
    GraphFreed,
    InPlaceOnLeaf,
    NoGradFn,
    ShapeMismatch,
    TensorModified,
    UnusedInput,
)

RNG = np.random.default_rng(20240613)


def _data(*shape: int, dtype=np.float64, low: float = 0.5, high: float = 2.0) -> np.ndarray:
    return np.asarray(RNG.uniform(low, high, shape), dtype=dtype)


def pair(data: np.ndarray, requires_grad: bool = False) -> tuple[graph.Tensor, torch.Tensor]:
    """The same values as an engine tensor and as a torch tensor."""
    return (
        graph.Tensor(data.copy(), requires_grad=requires_grad),
        torch.tensor(data, requires_grad=requires_grad),
    )


def op(name: str, *operands, grad_enabled: bool = True, **attrs) -> graph.Tensor:
    return graph.call(name, list(operands), attrs, grad_enabled=grad_enabled)


def backward(root: graph.Tensor, grad=None, retain_graph: bool = False, **kwargs) -> None:
    graph.run_backward([root], [grad], retain_graph, **kwargs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=False, allow_unused=True) -> list:
    outputs = outputs if isinstance(outputs, list) else [outputs]
    return graph.run_backward(
        outputs,
        grad_outputs or [None] * len(outputs),
        retain_graph,
        targets=inputs,
        allow_unused=allow_unused,
        accumulate=False,
    )


def torch_error(fn: Callable[[], object]) -> RuntimeError:
    """The error torch raises for `fn` (which must raise)."""
    with pytest.raises(RuntimeError) as raised:
        fn()
    return raised.value


def assert_grad(ours: graph.Tensor | np.ndarray | None, theirs: torch.Tensor | None) -> None:
    if theirs is None:
        assert ours is None
        return
    assert ours is not None
    array = ours.data if isinstance(ours, graph.Tensor) else ours
    expected = theirs.detach().numpy()
    assert array.dtype == expected.dtype and array.shape == expected.shape
    np.testing.assert_allclose(array, expected, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- accumulation


def test_a_times_a_accumulates_both_edges() -> None:
    a, ta = pair(_data(3), requires_grad=True)
    backward(op("sum", op("mul", a, a)))
    (ta * ta).sum().backward()
    assert_grad(a.grad, ta.grad)


def test_input_used_three_times_sums_its_gradients() -> None:
    x, tx = pair(_data(2, 3), requires_grad=True)
    out = op("sum", op("add", op("add", op("mul", x, 2.0), op("exp", x)), op("tanh", x)))
    backward(out)
    (tx * 2.0 + tx.exp() + tx.tanh()).sum().backward()
    assert_grad(x.grad, tx.grad)


def test_fan_out_of_an_intermediate_node() -> None:
    x, tx = pair(_data(4), requires_grad=True)
    h = op("exp", x)
    backward(op("sum", op("add", op("mul", h, h), op("log", h))))
    th = tx.exp()
    (th * th + th.log()).sum().backward()
    assert_grad(x.grad, tx.grad)


def test_gradients_are_unbroadcast_to_each_input() -> None:
    x, tx = pair(_data(1, 4), requires_grad=True)
    y, ty = pair(_data(3, 1), requires_grad=True)
    z, tz = pair(_data(), requires_grad=True)
    w, tw = pair(_data(2, 1, 3), requires_grad=True)
    v, tv = pair(_data(4, 2, 5, 3), requires_grad=True)
    upstream = _data(3, 4, low=-1, high=1)
    backward(op("mul", op("add", x, y), z), graph.Tensor(upstream))
    ((tx + ty) * tz).backward(torch.tensor(upstream))
    backward(op("sum", op("sub", w, v)))
    (tw - tv).sum().backward()
    for ours, theirs in ((x, tx), (y, ty), (z, tz), (w, tw), (v, tv)):
        assert_grad(ours.grad, theirs.grad)


# ---------------------------------------------------------------- retain_graph


def _arrays_are_disjoint(arrays: list[np.ndarray]) -> bool:
    return not any(
        np.shares_memory(arrays[i], arrays[j])
        for i in range(len(arrays))
        for j in range(i + 1, len(arrays))
    )


@pytest.mark.parametrize(
    "case", ["add", "a_plus_a", "mm", "transpose", "broadcast", "leaf_root", "retained", "scalar"]
)
def test_stored_gradients_share_memory_with_nothing(case: str) -> None:
    """A gradient is adopted into .grad only when nothing else holds its memory (as torch's
    AccumulateGrad steals it); gradients, data, seeds and retained gradients never alias."""
    a = graph.Tensor(_data(3, 4), requires_grad=True)
    b = graph.Tensor(_data(3, 4), requires_grad=True)
    w = graph.Tensor(_data(4, 2), requires_grad=True)
    seed = graph.Tensor(_data(3, 4))
    kept = []
    match case:
        case "add":
            backward(op("sum", op("add", a, b)))
        case "a_plus_a":
            backward(op("sum", op("add", a, a)))
        case "mm":
            backward(op("sum", op("mm", a, w)))
        case "transpose":
            backward(op("sum", op("mm", op("t", w), op("t", a))))
        case "broadcast":
            backward(op("sum", op("mul", a, op("sum", b, dim=(0,), keepdim=True))))
        case "leaf_root":
            backward(a, seed)
        case "retained":
            middle = op("clone", a)
            graph.retain_grad(middle)
            backward(op("sum", op("add", middle, b)))
            kept = [middle.grad.data]
        case "scalar":
            backward(op("sum", op("mul", a, 2.0)))
    grads = [t.grad.data for t in (a, b, w) if t.grad is not None]
    assert grads
    assert _arrays_are_disjoint([*grads, a.data, b.data, w.data, seed.data, *kept])
    assert all(g.flags.writeable and g.flags.c_contiguous for g in grads)


def _kernel_allocation(array: np.ndarray) -> bool:
    """Whether `array` is (a view of the whole of) memory a Numba kernel allocated."""
    owner = array.base if isinstance(array.base, np.ndarray) else array
    return type(owner.base).__name__ == "_MemInfo" and owner.size == array.size


@pytest.mark.parametrize("layout", ["mm", "linear"])
def test_a_gradient_only_backward_holds_is_adopted_not_copied(layout: str) -> None:
    """A weight's gradient is a fresh kernel result; it becomes .grad as it is, also through
    Linear's transpose (computed in the weight's layout, as torch does), and is right."""
    x_data, w_data = _data(3, 4), _data(2, 4)
    x, tx = pair(x_data)
    w, tw = pair(w_data, requires_grad=True)
    b, tb = pair(_data(2), requires_grad=True)
    if layout == "mm":
        backward(op("sum", op("mm", x, op("t", w))))
        torch.mm(tx, tw.t()).sum().backward()
    else:
        backward(op("sum", op("addmm", b, x, op("t", w))))
        torch.addmm(tb, tx, tw.t()).sum().backward()
    assert w.grad.data.flags.c_contiguous and _kernel_allocation(w.grad.data)
    assert_grad(w.grad, tw.grad)


def test_retain_graph_allows_a_second_backward_and_then_frees() -> None:
    x, tx = pair(_data(3), requires_grad=True)
    out = op("sum", op("exp", x))
    tout = tx.exp().sum()
    backward(out, retain_graph=True)
    backward(out)  # retained: runs, and frees
    tout.backward(retain_graph=True)
    tout.backward()
    assert_grad(x.grad, tx.grad)
    expected = torch_error(tout.backward)
    with pytest.raises(GraphFreed) as raised:
        backward(out)
    assert str(raised.value) == str(expected)
    assert_grad(x.grad, tx.grad)  # a failed backward accumulates nothing


def test_second_backward_through_nodes_that_save_nothing_succeeds_as_in_torch() -> None:
    """Adds, views, clone and sum save no tensors, so torch has nothing to free in them."""
    x, tx = pair(_data(2, 3), requires_grad=True)
    y, ty = pair(_data(2, 3), requires_grad=True)
    out = op("sum", op("t", op("clone", op("sub", op("add", x, 1.0), op("neg", y)))))
    tout = (tx + 1.0 - ty.neg()).clone().t().sum()
    for _ in range(3):
        backward(out)
        tout.backward()
    assert_grad(x.grad, tx.grad)
    assert_grad(y.grad, ty.grad)


def test_scalar_multiplier_is_a_saved_tensor_as_in_torch() -> None:
    """x * 2 saves the wrapped number, so even this graph is freed by a backward."""
    x, tx = pair(_data(3), requires_grad=True)
    out, tout = op("sum", op("mul", x, 2.0)), (tx * 2.0).sum()
    backward(out)
    tout.backward()
    expected = torch_error(tout.backward)
    with pytest.raises(GraphFreed, match="backward through the graph a second time") as raised:
        backward(out)
    assert str(raised.value) == str(expected)


# ---------------------------------------------------------------- .grad across calls


def test_grad_accumulates_across_backward_calls_then_zero_() -> None:
    x, tx = pair(_data(2, 3), requires_grad=True)
    upstream = _data(2, 3, low=-1, high=1)
    out, tout = op("sigmoid", x), tx.sigmoid()
    backward(out, graph.Tensor(upstream), retain_graph=True)
    tout.backward(torch.tensor(upstream), retain_graph=True)
    first, tfirst = x.grad, tx.grad
    backward(out, graph.Tensor(upstream), retain_graph=True)
    tout.backward(torch.tensor(upstream), retain_graph=True)
    assert_grad(x.grad, tx.grad)
    assert (x.grad is first) == (tx.grad is tfirst)  # torch accumulates in place
    assert x.grad.version.value == tx.grad._version
    graph.zero_(x.grad)
    tx.grad.zero_()
    assert_grad(x.grad, tx.grad)
    assert x.grad.version.value == tx.grad._version
    backward(out, graph.Tensor(upstream))
    tout.backward(torch.tensor(upstream))
    assert_grad(x.grad, tx.grad)


# ---------------------------------------------------------------- no_grad, detach, flags


def test_results_under_no_grad_do_not_require_grad() -> None:
    x, tx = pair(_data(3), requires_grad=True)
    out = op("exp", x, grad_enabled=False)
    with torch.no_grad():
        tout = tx.exp()
    assert out.requires_grad == tout.requires_grad is False
    assert out.grad_fn is None and tout.grad_fn is None
    assert out.is_leaf and tout.is_leaf
    expected = torch_error(lambda: tout.sum().backward())
    with pytest.raises(NoGradFn) as raised:
        backward(op("sum", out))
    assert str(raised.value) == str(expected)


def test_detach_shares_data_and_version_counter() -> None:
    x, tx = pair(_data(3), requires_grad=True)
    y, ty = op("exp", x), tx.exp()
    d, td = graph.detach(y), ty.detach()
    assert d.requires_grad == td.requires_grad is False
    assert d.is_leaf and d.grad_fn is None
    assert np.shares_memory(d.data, y.data)
    graph.zero_(d)
    td.zero_()
    assert y.version is d.version
    assert y.version.value == ty._version == td._version == 1
    np.testing.assert_array_equal(y.data, ty.detach().numpy())


def test_set_requires_grad_follows_torch() -> None:
    i, ti = pair(np.arange(3))
    expected = torch_error(lambda: ti.requires_grad_())
    with pytest.raises(DtypeMismatch) as raised:
        graph.set_requires_grad(i, True)
    assert str(raised.value) == str(expected)
    graph.set_requires_grad(i, False)  # allowed, as in torch

    x, tx = pair(_data(3), requires_grad=True)
    y, ty = op("mul", x, 2.0), tx * 2.0
    graph.set_requires_grad(y, True)  # a non-leaf may be told what it already is
    ty.requires_grad_(True)
    expected = torch_error(lambda: ty.requires_grad_(False))
    with pytest.raises(NoGradFn) as raised:
        graph.set_requires_grad(y, False)
    assert str(raised.value) == str(expected)

    graph.set_requires_grad(x, False)
    tx.requires_grad_(False)
    assert x.requires_grad == tx.requires_grad is False
    assert op("exp", x).requires_grad == tx.exp().requires_grad is False


def test_in_place_on_a_leaf_that_requires_grad_is_refused() -> None:
    x, tx = pair(_data(3), requires_grad=True)
    expected = torch_error(lambda: tx.zero_())
    with pytest.raises(InPlaceOnLeaf) as raised:
        graph.zero_(x)
    assert str(raised.value) == str(expected)
    graph.zero_(x, grad_enabled=False)  # under no_grad it is allowed
    with torch.no_grad():
        tx.zero_()
    assert x.version.value == tx._version == 1


# ---------------------------------------------------------------- retain_grad


def test_retain_grad_keeps_a_non_leaf_gradient() -> None:
    x, tx = pair(_data(3), requires_grad=True)
    h, th = op("mul", x, 3.0), tx * 3.0
    graph.retain_grad(h)
    th.retain_grad()
    out, tout = op("sum", op("mul", h, h)), (th * th).sum()
    for _ in range(2):  # the second pass adds to it
        backward(out, retain_graph=True)
        tout.backward(retain_graph=True)
        assert_grad(h.grad, th.grad)
    assert h.retains_grad and th.retains_grad
    assert_grad(x.grad, tx.grad)

    graph.retain_grad(x)  # a leaf that requires grad: nothing to do
    tx.retain_grad()
    c, tc = pair(_data(3))
    expected = torch_error(tc.retain_grad)
    with pytest.raises(NoGradFn) as raised:
        graph.retain_grad(c)
    assert str(raised.value) == str(expected)


def test_retained_grad_of_a_0d_tensor_stays_a_tensor() -> None:
    x, tx = pair(_data(3), requires_grad=True)
    s, ts = op("sum", x), tx.sum()
    graph.retain_grad(s)
    ts.retain_grad()
    out, tout = op("mul", s, 3.0), ts * 3.0
    for _ in range(2):
        backward(out, retain_graph=True)
        tout.backward(retain_graph=True)
    assert isinstance(s.grad.data, np.ndarray)
    assert_grad(s.grad, ts.grad)
    graph.zero_(s.grad)
    ts.grad.zero_()
    assert_grad(s.grad, ts.grad)


def test_retain_grad_is_filled_by_autograd_grad_too() -> None:
    x, tx = pair(_data(3), requires_grad=True)
    h, th = op("mul", x, 3.0), tx * 3.0
    graph.retain_grad(h)
    th.retain_grad()
    (ours,) = grad(op("sum", op("mul", h, h)), [x])
    (theirs,) = torch.autograd.grad((th * th).sum(), [tx])
    assert_grad(ours, theirs)
    assert_grad(h.grad, th.grad)
    assert x.grad is None and tx.grad is None


# ---------------------------------------------------------------- backward(inputs=...)


def test_backward_with_inputs_fills_only_those() -> None:
    x, tx = pair(_data(3), requires_grad=True)
    w, tw = pair(_data(3), requires_grad=True)
    out, tout = op("sum", op("mul", x, w)), (tx * tw).sum()
    backward(out, targets=[x])
    tout.backward(inputs=[tx])
    assert_grad(x.grad, tx.grad)
    assert w.grad is None and tw.grad is None


def test_backward_with_a_non_leaf_input_retains_its_grad() -> None:
    x, tx = pair(_data(3), requires_grad=True)
    m, tm = op("exp", x), tx.exp()
    out, tout = op("sum", op("mul", m, 2.0)), (tm * 2.0).sum()
    backward(out, targets=[m])
    tout.backward(inputs=[tm])
    assert_grad(m.grad, tm.grad)
    assert m.retains_grad == tm.retains_grad is True
    assert x.grad is None and tx.grad is None


def test_backward_with_an_input_that_does_not_require_grad() -> None:
    x, tx = pair(_data(3), requires_grad=True)
    c, tc = pair(_data(3))
    expected = torch_error(lambda: (tx * tc).sum().backward(inputs=[tc]))
    with pytest.raises(NoGradFn) as raised:
        backward(op("sum", op("mul", x, c)), targets=[c])
    assert str(raised.value) == str(expected)


# ---------------------------------------------------------------- autograd.grad


def test_grad_returns_gradients_without_touching_dot_grad() -> None:
    x, tx = pair(_data(2, 3), requires_grad=True)
    w, tw = pair(_data(3), requires_grad=True)
    out, tout = op("sum", op("mul", op("exp", x), w)), (tx.exp() * tw).sum()
    ours = grad(out, [w, x])
    theirs = torch.autograd.grad(tout, [tw, tx])
    for mine, other in zip(ours, theirs, strict=True):
        assert_grad(mine, other)
    assert x.grad is None and w.grad is None


def test_grad_allow_unused() -> None:
    x, tx = pair(_data(3), requires_grad=True)
    u, tu = pair(_data(3), requires_grad=True)
    out, tout = op("sum", op("exp", x)), tx.exp().sum()
    ours = grad(out, [x, u], retain_graph=True)
    theirs = torch.autograd.grad(tout, [tx, tu], retain_graph=True, allow_unused=True)
    assert_grad(ours[0], theirs[0])
    assert ours[1] is None and theirs[1] is None
    expected = torch_error(lambda: torch.autograd.grad(tout, [tx, tu], allow_unused=False))
    with pytest.raises(UnusedInput) as raised:
        grad(out, [x, u], allow_unused=False)
    assert str(raised.value) == str(expected)


def test_grad_of_an_input_that_does_not_require_grad() -> None:
    x, tx = pair(_data(3), requires_grad=True)
    c, tc = pair(_data(3))
    expected = torch_error(lambda: torch.autograd.grad((tx * tc).sum(), [tc], allow_unused=True))
    with pytest.raises(NoGradFn) as raised:
        grad(op("sum", op("mul", x, c)), [c])
    assert str(raised.value) == str(expected)


def test_grad_of_an_intermediate_does_not_run_its_node() -> None:
    """autograd.grad(out, [h]) captures h's gradient at h's node without running it, so a
    freed node below h is no obstacle."""
    x, tx = pair(_data(3), requires_grad=True)
    h, th = op("exp", x), tx.exp()
    out, tout = op("sum", op("mul", h, 2.0)), (th * 2.0).sum()
    grad(out, [x], retain_graph=True)  # frees exp's saved result
    torch.autograd.grad(tout, [tx], retain_graph=True)
    grad(op("sum", h), [x])
    torch.autograd.grad(th.sum(), [tx])
    (ours,) = grad(out, [h])
    (theirs,) = torch.autograd.grad(tout, [th])
    assert_grad(ours, theirs)


def test_grad_with_several_outputs_and_a_non_leaf_root_as_input() -> None:
    x, tx = pair(_data(3), requires_grad=True)
    a, ta = op("exp", x), tx.exp()
    b, tb = op("sum", op("mul", a, x)), (ta * tx).sum()
    upstream = _data(3, low=-1, high=1)
    ours = grad([a, b], [x, a], [graph.Tensor(upstream), None])
    theirs = torch.autograd.grad([ta, tb], [tx, ta], [torch.tensor(upstream), None])
    for mine, other in zip(ours, theirs, strict=True):
        assert_grad(mine, other)


# ---------------------------------------------------------------- roots


def test_backward_of_a_leaf_root() -> None:
    x, tx = pair(_data(2, 3), requires_grad=True)
    upstream = _data(2, 3, low=-1, high=1)
    backward(x, graph.Tensor(upstream))
    tx.backward(torch.tensor(upstream))
    assert_grad(x.grad, tx.grad)
    (ours,) = grad(x, [x], [graph.Tensor(upstream)])
    (theirs,) = torch.autograd.grad(tx, [tx], torch.tensor(upstream))
    assert_grad(ours, theirs)
    s, ts = pair(_data(), requires_grad=True)  # a one-element leaf: implicit gradient 1
    backward(s)
    ts.backward()
    assert_grad(s.grad, ts.grad)


def test_backward_argument_errors_match_torch() -> None:
    x, tx = pair(_data(3), requires_grad=True)
    y, ty = op("mul", x, 2.0), tx * 2.0
    expected = torch_error(lambda: ty.backward())
    with pytest.raises(ShapeMismatch) as raised:
        backward(y)
    assert str(raised.value) == str(expected)

    expected = torch_error(lambda: ty.backward(torch.ones(2, dtype=torch.float64)))
    with pytest.raises(ShapeMismatch) as raised:
        backward(y, graph.Tensor(np.ones(2)))
    assert str(raised.value) == str(expected)

    c, tc = pair(_data(3))
    expected = torch_error(lambda: tc.sum().backward())
    with pytest.raises(NoGradFn) as raised:
        backward(op("sum", c))
    assert str(raised.value) == str(expected)


# ---------------------------------------------------------------- in-place modification


def _modified(ops, x, make):
    """Build a graph from `x`, modify a tensor it saved in place, and backward through it."""
    out, victim = make(ops, x)
    ops.zero_(victim)
    ops.backward(ops.sum(out))


class _Engine:
    @staticmethod
    def call(name, *operands, **attrs):
        return op(name, *operands, **attrs)

    detach = staticmethod(graph.detach)

    @staticmethod
    def zero_(t):
        graph.zero_(t, grad_enabled=False)

    @staticmethod
    def sum(t):
        return op("sum", t)

    @staticmethod
    def backward(t):
        backward(t)

    @staticmethod
    def tensor(data):
        return graph.Tensor(np.array(data))


class _Torch:
    @staticmethod
    def call(name, *operands, **attrs):
        return {
            "mul": torch.mul,
            "exp": torch.exp,
            "log": torch.log,
            "sigmoid": torch.sigmoid,
            "pow": torch.pow,
            "t": torch.t,
            "unsqueeze": lambda x, dim: x.unsqueeze(dim),
        }[name](*operands, **attrs)

    detach = staticmethod(torch.Tensor.detach)

    @staticmethod
    def zero_(t):
        with torch.no_grad():
            t.zero_()

    sum = staticmethod(torch.sum)
    backward = staticmethod(torch.Tensor.backward)
    tensor = staticmethod(torch.tensor)


_C = np.array([0.5, 1.5, 2.5], dtype=np.float32)
MODIFICATIONS = {
    # a saved tensor that does not require grad
    "constant": lambda o, x: ((c := o.tensor(_C)), o.call("mul", x, c))[::-1],
    "0-d double": lambda o, x: (o.call("mul", x, c := o.tensor(np.float64(2.0))), c),
    # a saved leaf that requires grad, written under no_grad
    "leaf": lambda o, x: (o.call("mul", x, x), x),
    # a saved result, written through a detached alias
    "result of exp": lambda o, x: ((y := o.call("exp", x)), o.detach(y)),
    "result of sigmoid": lambda o, x: ((y := o.call("sigmoid", x)), o.detach(y)),
    # a saved input made by another op
    "output of mul": lambda o, x: (o.call("log", h := o.call("mul", x, 2.0)), o.detach(h)),
    "output of pow": lambda o, x: (o.call("log", h := o.call("pow", x, x)), o.detach(h)),
    # a saved view, written through its base or itself: torch reports it as AsStrided
    "view of a leaf": lambda o, x: (o.call("log", o.call("unsqueeze", x, dim=0)), o.detach(x)),
    "view of a result": lambda o, x: (
        o.call("log", v := o.call("unsqueeze", o.call("mul", x, 2.0), dim=0)),
        o.detach(v),
    ),
}


@pytest.mark.parametrize("case", MODIFICATIONS)
def test_modified_saved_tensor_raises_torch_error(case: str) -> None:
    x, tx = pair(_data(3, dtype=np.float32), requires_grad=True)
    expected = torch_error(lambda: _modified(_Torch, tx, MODIFICATIONS[case]))
    assert "modified by an inplace operation" in str(expected)
    with pytest.raises(TensorModified) as raised:
        _modified(_Engine, x, MODIFICATIONS[case])
    assert str(raised.value) == str(expected)
    assert x.grad is None


def test_modification_after_backward_with_retain_graph_is_caught() -> None:
    x, tx = pair(_data(2, 3), requires_grad=True)
    w, tw = pair(_data(2, 3))
    out, tout = op("sum", op("mul", x, w)), (tx * tw).sum()
    backward(out, retain_graph=True)
    tout.backward(retain_graph=True)
    graph.zero_(w)
    tw.zero_()
    expected = torch_error(tout.backward)
    with pytest.raises(TensorModified) as raised:
        backward(out)
    assert str(raised.value) == str(expected)


# ---------------------------------------------------------------- depth


def test_deep_chain_backward_is_iterative() -> None:
    """20,000 nodes: far past Python's recursion limit, which a recursive walk would hit."""
    depth = 20_000
    assert sys.getrecursionlimit() < depth
    x = graph.Tensor(np.ones(3), requires_grad=True)
    y = x
    for _ in range(depth):
        y = op("add", y, x)
    backward(op("sum", y))
    np.testing.assert_array_equal(x.grad.data, np.full(3, depth + 1.0))
    np.testing.assert_array_equal(y.data, np.full(3, depth + 1.0))
    del y  # dropping the chain must not overflow the C stack either


# ---------------------------------------------------------------- copy_ and .grad assignment


def test_copy_broadcasts_converts_and_bumps_the_version() -> None:
    a, ta = pair(np.zeros((2, 3), dtype=np.float32))
    s, ts = pair(np.arange(3))  # int64 into float32, broadcast over rows
    graph.copy_(a, s)
    ta.copy_(ts)
    np.testing.assert_array_equal(a.data, ta.numpy())
    assert a.data.dtype == np.float32 and a.version.value == ta._version == 1


@pytest.mark.parametrize("shape", [(2,), (2, 3), (1, 3)])
def test_copy_shape_errors_match_torch(shape: tuple[int, ...]) -> None:
    a, ta = pair(np.zeros(3))
    s, ts = pair(np.ones(shape))
    expected = torch_error(lambda: ta.copy_(ts))
    with pytest.raises(ShapeMismatch) as raised:
        graph.copy_(a, s)
    assert str(raised.value) == str(expected)
    assert a.version.value == ta._version == 0


def test_copy_into_a_leaf_that_requires_grad_is_refused() -> None:
    x, tx = pair(_data(3), requires_grad=True)
    s, ts = pair(_data(3))
    expected = torch_error(lambda: tx.copy_(ts))
    with pytest.raises(InPlaceOnLeaf) as raised:
        graph.copy_(x, s)
    assert str(raised.value) == str(expected)


@pytest.mark.parametrize(
    ("shape", "dtype"), [((2,), np.float64), ((3,), np.float32), ((2,), np.int64)]
)
def test_assigning_a_mismatched_grad_fails_as_in_torch(shape, dtype) -> None:
    x, tx = pair(_data(3), requires_grad=True)
    g, tg = pair(np.zeros(shape, dtype=dtype))

    def assign() -> None:
        tx.grad = tg

    expected = torch_error(assign)
    with pytest.raises(type(expected)) as raised:
        graph.set_grad(x, g)
    assert str(raised.value) == str(expected)
    assert x.grad is None
