"""Backward with create_graph: each node's vjp expressed with the op table's own ops, so
that the pass records the graph of the gradients it computes (higher-order gradients).

The engine runs it on its tensors; the client runs it on its mirror of the graph, with
tensors that hold metadata only, to know the gradients' grad_fn without a round trip. Both
run these rules in the same order, so their graphs cannot drift apart. Pure Python: a
`Backend` applies ops, an `Adapter` reads a graph's nodes.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from . import rules, traversal
from .errors import Unsupported


class Backend(Protocol):
    def call(self, op: str, operands: Sequence, attrs: dict) -> Any: ...

    def meta(self, tensor: Any) -> rules.TensorMeta: ...


@dataclass
class NodeView:
    """What a vjp reads of a node: its forward op, the op's full attrs, each operand's
    metadata (a number as itself), which operands need a gradient, and accessors of the
    saved operands and result as tensors connected to their history."""

    op: str
    attrs: dict
    operands: tuple
    needs: tuple
    saved: Callable[[int], Any]
    result: Callable[[], Any]


class Adapter(Protocol):
    def edges(self, node) -> tuple:
        """One edge per operand (a node, a leaf's key, or None)."""

    def is_node(self, edge) -> bool: ...

    def order(self, node) -> int: ...

    def view(self, node) -> NodeView | None:
        """The node as a vjp reads it; None for a node these rules cannot differentiate."""

    def name(self, node) -> str: ...


def unsupported(name: str) -> Unsupported:
    return Unsupported(f"gradrpc: create_graph through {name} is not supported yet")


# ---------------------------------------------------------------- helpers on tensors


def _mul(b: Backend, x, y):
    return b.call("mul", [x, y], {})


def _div(b: Backend, x, y):
    return b.call("div", [x, y], {})


def _neg(b: Backend, x):
    return b.call("neg", [x], {})


def _scaled(b: Backend, x, factor):
    return x if factor == 1 else _mul(b, x, factor)


def _reshaped(b: Backend, x, shape: tuple):
    """`x` with `shape` (a view, of a contiguous copy if `x` is not contiguous)."""
    if b.meta(x).shape == tuple(shape):
        return x
    if not rules.is_contiguous(b.meta(x)):
        x = b.call("clone", [x], {})
    return b.call("view", [x], {"shape": list(shape)})


def sum_to(b: Backend, g, shape: tuple):
    """`g` summed down to `shape` (undoing broadcasting), as torch's sum_to."""
    have = b.meta(g).shape
    if have == tuple(shape):
        return g
    lead = len(have) - len(shape)
    dims = list(range(lead)) + [
        lead + i for i, s in enumerate(shape) if s == 1 and have[lead + i] != 1
    ]
    if dims:
        g = b.call("sum", [g], {"dim": dims, "keepdim": True})
    return _reshaped(b, g, shape)


def _expanded(b: Backend, g, reduced: rules.TensorMeta, attrs: dict):
    """A reduction's gradient `g` back in the input's shape."""
    dims = rules.reduced_dims(reduced, attrs.get("dim"))
    kept = tuple(1 if i in dims else s for i, s in enumerate(reduced.shape))
    return b.call("expand", [_reshaped(b, g, kept)], {"shape": list(reduced.shape)})


# ---------------------------------------------------------------- the vjps


def _t(b, x):
    return b.call("t", [x], {})


def _elementwise(derivative):
    """The vjp of a unary op whose gradient is g · derivative(b, n)."""
    return lambda b, n, g: (_mul(b, g, derivative(b, n)),)


def _pow_vjp(b, n, g):
    x, e = n.saved(0), n.saved(1)
    if not isinstance(n.operands[1], rules.TensorMeta):
        base = _mul(b, g, 0.0) if e == 0 else _mul(b, g, _mul(b, b.call("pow", [x, e - 1], {}), e))
        return (base, None)
    base = exponent = None
    if n.needs[0]:
        base = _mul(b, g, _mul(b, e, b.call("pow", [x, b.call("sub", [e, 1], {})], {})))
    if n.needs[1]:
        exponent = _mul(b, g, _mul(b, n.result(), b.call("log", [x], {})))
    return (base, exponent)


def _div_vjp(b, n, g):
    grad_self = _div(b, g, n.saved(1)) if n.needs[0] else None
    grad_other = None
    if isinstance(n.operands[1], rules.TensorMeta) and n.needs[1]:
        other = n.saved(1)
        grad_other = _neg(b, _mul(b, g, _div(b, n.saved(0), _mul(b, other, other))))
    return (grad_self, grad_other)


def _mm_vjp(b, n, g):
    return (
        b.call("mm", [g, _t(b, n.saved(1))], {}) if n.needs[0] else None,
        b.call("mm", [_t(b, n.saved(0)), g], {}) if n.needs[1] else None,
    )


def _bmm_vjp(b, n, g):
    swap = {"dim0": 1, "dim1": 2}
    return (
        b.call("bmm", [g, b.call("transpose", [n.saved(1)], swap)], {}) if n.needs[0] else None,
        b.call("bmm", [b.call("transpose", [n.saved(0)], swap), g], {}) if n.needs[1] else None,
    )


def _mv_vjp(b, n, g):
    column = b.call("unsqueeze", [g], {"dim": 1})
    return (
        b.call("mm", [column, b.call("unsqueeze", [n.saved(1)], {"dim": 0})], {})
        if n.needs[0]
        else None,
        b.call("mv", [_t(b, n.saved(0)), g], {}) if n.needs[1] else None,
    )


def _addmm_vjp(b, n, g):
    beta, alpha = n.attrs["beta"], n.attrs["alpha"]
    return (
        _scaled(b, g, beta) if n.needs[0] else None,
        _scaled(b, b.call("mm", [g, _t(b, n.saved(2))], {}), alpha) if n.needs[1] else None,
        _scaled(b, b.call("mm", [_t(b, n.saved(1)), g], {}), alpha) if n.needs[2] else None,
    )


def _mse_vjp(b, n, g):
    x, y = n.operands
    if n.attrs["reduction"] != "none":
        shape = rules.broadcast_shapes(x.shape, y.shape)
        g = b.call("expand", [g], {"shape": list(shape)})
    scale = 2.0 / math.prod(x.shape) if n.attrs["reduction"] == "mean" else 2.0
    grad = _mul(b, _mul(b, b.call("sub", [n.saved(0), n.saved(1)], {}), scale), g)
    return (grad if n.needs[0] else None, _neg(b, grad) if n.needs[1] else None)


def _softmax_vjp(b, n, g):
    r, along = n.result(), {"dim": [n.attrs["dim"]], "keepdim": True}
    dot = b.call("sum", [_mul(b, g, r)], along)
    return (_mul(b, r, b.call("sub", [g, dot], {})),)


def _log_softmax_vjp(b, n, g):
    along = {"dim": [n.attrs["dim"]], "keepdim": True}
    total = b.call("sum", [g], along)
    return (b.call("sub", [g, _mul(b, b.call("exp", [n.result()], {}), total)], {}),)


def _permute_vjp(b, n, g):
    dims = [d % len(n.operands[0].shape) for d in n.attrs["dims"]]
    inverse = sorted(range(len(dims)), key=dims.__getitem__)
    return (b.call("permute", [g], {"dims": inverse}),)


def _reshape_vjp(b, n, g):
    return (_reshaped(b, g, n.operands[0].shape),)


def _placed(b, g, x: rules.TensorMeta, dim: int, before: int, after: int):
    """A part's gradient `g` (x's shape but along `dim`) placed in zeros of x's shape."""
    pad = [0, 0] * (len(x.shape) - 1 - dim) + [before, after]
    return b.call("constant_pad_nd", [g], {"pad": pad})


def _select_vjp(b, n, g):
    x = n.operands[0]
    dim = n.attrs["dim"] % len(x.shape)
    index = n.attrs["index"] % x.shape[dim]
    part = b.call("unsqueeze", [g], {"dim": dim})
    return (_placed(b, part, x, dim, index, x.shape[dim] - index - 1),)


def _stack_vjp(b, n, g):
    dim = n.attrs["dim"] % (len(n.operands[0].shape) + 1)
    return tuple(
        b.call("select", [g], {"dim": dim, "index": i}) if need else None
        for i, need in enumerate(n.needs)
    )


def _sliced(attrs: dict, x: rules.TensorMeta) -> tuple[int, range]:
    dim = attrs["dim"] % len(x.shape)
    return dim, range(x.shape[dim])[attrs["start"] : attrs["end"] : attrs["step"]]


def _slice_vjp(b, n, g):
    x = n.operands[0]
    dim, kept = _sliced(n.attrs, x)
    before = kept.start if kept else 0
    return (_placed(b, g, x, dim, before, x.shape[dim] - before - len(kept)),)


def _sum_vjp(b, n, g):
    return (_expanded(b, g, n.operands[0], n.attrs),)


def _mean_vjp(b, n, g):
    x = n.operands[0]
    dims = rules.reduced_dims(x, n.attrs.get("dim"))
    count = math.prod(x.shape[d] for d in dims)
    return (_div(b, _expanded(b, g, x, n.attrs), count),)


VJPS: dict[str, Callable] = {
    "add": lambda b, n, g: (g, _scaled(b, g, n.attrs["alpha"]) if n.needs[1] else None),
    "sub": lambda b, n, g: (g, _scaled(b, _neg(b, g), n.attrs["alpha"]) if n.needs[1] else None),
    "rsub": lambda b, n, g: (_scaled(b, _neg(b, g), n.attrs["alpha"]) if n.needs[0] else None, g),
    "mul": lambda b, n, g: (
        _mul(b, g, n.saved(1)) if n.needs[0] else None,
        _mul(b, g, n.saved(0)) if n.needs[1] else None,
    ),
    "div": _div_vjp,
    "pow": _pow_vjp,
    "neg": lambda b, n, g: (_neg(b, g),),
    "exp": _elementwise(lambda b, n: n.result()),
    "log": lambda b, n, g: (_div(b, g, n.saved(0)),),
    "reciprocal": lambda b, n, g: (_mul(b, _neg(b, g), _mul(b, n.result(), n.result())),),
    "sqrt": lambda b, n, g: (_div(b, g, _mul(b, n.result(), 2)),),
    "sin": _elementwise(lambda b, n: b.call("cos", [n.saved(0)], {})),
    "cos": _elementwise(lambda b, n: _neg(b, b.call("sin", [n.saved(0)], {}))),
    "tanh": _elementwise(
        lambda b, n: b.call("rsub", [_mul(b, n.result(), n.result()), 1], {"alpha": 1})
    ),
    "sigmoid": _elementwise(
        lambda b, n: _mul(b, n.result(), b.call("rsub", [n.result(), 1], {"alpha": 1}))
    ),
    "relu": _elementwise(lambda b, n: b.call("gt", [n.result(), 0], {})),
    "abs": _elementwise(lambda b, n: b.call("sign", [n.saved(0)], {})),
    "sum": _sum_vjp,
    "mean": _mean_vjp,
    "mm": _mm_vjp,
    "mv": _mv_vjp,
    "dot": lambda b, n, g: (
        _mul(b, g, n.saved(1)) if n.needs[0] else None,
        _mul(b, g, n.saved(0)) if n.needs[1] else None,
    ),
    "bmm": _bmm_vjp,
    "addmm": _addmm_vjp,
    "t": lambda b, n, g: (_t(b, g),),
    "transpose": lambda b, n, g: (b.call("transpose", [g], n.attrs),),
    "permute": _permute_vjp,
    "view": _reshape_vjp,
    "_reshape_alias": _reshape_vjp,
    "_unsafe_view": _reshape_vjp,
    "unsqueeze": lambda b, n, g: (b.call("squeeze", [g], {"dim": n.attrs["dim"]}),),
    "squeeze": _reshape_vjp,
    "squeeze_": _reshape_vjp,
    "expand": lambda b, n, g: (sum_to(b, g, n.operands[0].shape),),
    "clone": lambda b, n, g: (g,),
    "select": _select_vjp,
    "slice": _slice_vjp,
    "stack": _stack_vjp,
    "mse_loss": _mse_vjp,
    "softmax": _softmax_vjp,
    "log_softmax": _log_softmax_vjp,
}

# the ops whose rules cover some of their uses only
_COVERS: dict[str, Callable[[NodeView], bool]] = {
    "slice": lambda n: _sliced(n.attrs, n.operands[0])[1].step == 1,
}


# ---------------------------------------------------------------- the pass


def check(adapter: Adapter, nodes) -> None:
    """torch-style refusal, before anything runs, of a node these rules cannot differentiate."""
    for node in nodes:
        view = adapter.view(node)
        if view is None or view.op not in VJPS or not _COVERS.get(view.op, bool)(view):
            raise unsupported(adapter.name(node))


def run(
    backend: Backend,
    adapter: Adapter,
    seeds: Sequence[tuple[Any, Any]],
    root_nodes: Sequence,
    target_keys: set | None,
    accumulate: bool,
) -> tuple[dict, dict, list, dict]:
    """The pass, newest node first, each once all its gradients have arrived; gradients are
    the backend's tensors, summed with `add` and un-broadcast with `sum_to`. `seeds` pairs a
    root's key (its node, or a leaf's key) with its gradient. Returns (leaf gradients,
    captured target gradients, the nodes run, each run or captured node's gradient)."""

    def edges(node):
        return (e for e in adapter.edges(node) if e is not None)

    dependencies = traversal.count_dependencies(root_nodes, edges, adapter.is_node)
    if target_keys is None:
        needed = set(dependencies)
    else:
        needed = traversal.needed(dependencies, edges, target_keys, run_targets=accumulate)
    check(adapter, needed)

    def add(buffer: dict, key, grad) -> None:
        previous = buffer.get(key)
        buffer[key] = grad if previous is None else backend.call("add", [previous, grad], {})

    node_grads: dict = {}
    leaf_grads: dict = {}
    for key, grad in seeds:
        add(node_grads if adapter.is_node(key) else leaf_grads, key, grad)
    ready = [(-adapter.order(n), n) for n in dependencies if dependencies[n] == 0]
    heapq.heapify(ready)
    captured: dict = {}
    reached: dict = {}
    executed: list = []
    while ready:
        _, node = heapq.heappop(ready)
        grad = node_grads.pop(node, None)
        for edge in adapter.edges(node):
            if edge is not None and adapter.is_node(edge):
                dependencies[edge] -= 1
                if dependencies[edge] == 0:
                    heapq.heappush(ready, (-adapter.order(edge), edge))
        if grad is None:
            continue
        captures = target_keys is not None and node in target_keys
        if captures:
            captured[node] = grad
        if node not in needed and not captures:
            continue
        reached[node] = grad
        if node not in needed:
            continue
        view = adapter.view(node)
        grads = VJPS[view.op](backend, view, grad)
        executed.append(node)
        for edge, g, operand in zip(adapter.edges(node), grads, view.operands, strict=False):
            if edge is None or g is None:
                continue
            if target_keys is not None and edge not in target_keys and edge not in needed:
                continue
            g = sum_to(backend, g, operand.shape)
            if backend.meta(g).dtype != operand.dtype:  # as the engine casts a gradient
                g = backend.call("_to_copy", [g], {"dtype": operand.dtype})
            add(node_grads if adapter.is_node(edge) else leaf_grads, edge, g)
    return leaf_grads, captured, executed, reached


def stored(backend: Backend, previous, grad):
    """The .grad a create_graph pass leaves: a copy of the first gradient (torch copies it
    too, with CopyBackwards), then the previous .grad plus the new one, out of place."""
    if previous is None:
        return backend.call("clone", [grad], {})
    return backend.call("add", [previous, grad], {})
