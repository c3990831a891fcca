"""`gradrpc.autograd`: backward and grad, with torch's arguments, checks and error texts.

The checks run on the client's mirror of the graph, in torch's order (torch.autograd's
Python checks, then its engine's), so a bad call raises at its line with no round trip; the
pass itself is one queued operation run by the server. The mirror then records what the pass
does on the server: which nodes run (and so free their saved tensors, unless retain_graph)
and which .grad fields receive a gradient. Should the server reject the pass after all, the
record is undone when that error surfaces.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable, Mapping, Sequence

from gradrpc.engine import higher_order, rules, traversal
from gradrpc.engine.errors import (
    GRAPH_FREED_MESSAGE,
    GraphFreed,
    ShapeMismatch,
    Unsupported,
)
from gradrpc.v1 import gradrpc_pb2 as pb

from ..tensor import _WARNED, AccumulateGrad, Node, Tensor, _edge, _mirror_call
from . import function, functional, pauses
from .function import Function, FunctionCtx, once_differentiable

__all__ = [
    "Function",
    "FunctionCtx",
    "backward",
    "function",
    "functional",
    "grad",
    "once_differentiable",
]


# ---------------------------------------------------------------- torch.autograd's Python half


def _tensor_or_tensors_to_tuple(tensors, length: int) -> tuple:
    if tensors is None:
        return (None,) * length
    if isinstance(tensors, Tensor):
        return (tensors,)
    return tuple(tensors)


def _inputs_tuple(inputs, function: str) -> tuple:
    if isinstance(inputs, Tensor):
        return (inputs,)
    if type(inputs) is dict:
        return tuple(inputs.values())
    if isinstance(inputs, Mapping):
        raise TypeError(
            f"`inputs` argument to `{function}()` must be a dict, not {type(inputs).__name__}. "
            "Other Mapping types are not supported."
        )
    return tuple(inputs)


def _make_grads(outputs: Sequence[Tensor], grads: Sequence) -> list[Tensor | None]:
    """torch's _make_grads: pairs (as zip pairs them) checked; None stands for implicit
    ones, allowed for single-element outputs only."""
    checked: list[Tensor | None] = []
    for i, (out, grad) in enumerate(zip(outputs, grads)):  # noqa: B905 - torch zips so
        if isinstance(grad, Tensor):
            if grad._session is not out._session:
                raise RuntimeError("gradrpc: tensors belong to different sessions")
            if grad._meta.shape != out._meta.shape:
                raise ShapeMismatch(
                    f"Mismatch in shape: grad_output[{i}] has a shape of "
                    f"{rules.size_repr(grad._meta.shape)} and output[{i}] has a shape of "
                    f"{rules.size_repr(out._meta.shape)}."
                )
            # torch rejects only a complex/real mismatch here, and there are no complex dtypes.
            grad._session.check_usable(grad._handle)
        elif grad is None:
            if out.requires_grad and out.numel() != 1:
                raise ShapeMismatch("grad can be implicitly created only for scalar outputs")
        else:
            raise TypeError(
                f"gradients can be either Tensors or None, but got {type(grad).__name__}"
            )
        checked.append(grad)
    return checked


# ---------------------------------------------------------------- torch's engine, on the mirror


def _check_engine_call(
    outputs: Sequence[Tensor], grads: Sequence, inputs: Sequence[Tensor], accumulate: bool
) -> None:
    """The checks torch's engine makes before it runs, in its order."""
    if len(outputs) != len(grads):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grads)} gradients")
    session = outputs[0]._session if outputs else None
    for i, out in enumerate(outputs):
        if out._session is not session:
            raise RuntimeError("gradrpc: tensors belong to different sessions")
        rules.check_backward_root(i, out.requires_grad)
        session.check_usable(out._handle)
    for t in inputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element of inputs, but got {type(t).__name__}")
        if t._session is not session:
            raise RuntimeError("gradrpc: tensors belong to different sessions")
        if accumulate:
            t.retain_grad()  # torch's backward(inputs=...) keeps a non-leaf input's .grad
        rules.check_differentiated(t.requires_grad)
        session.check_usable(t._handle)


def _root(t: Tensor) -> Node:
    """The node a pass seeds for output `t` (its grad_fn, or a leaf's accumulator)."""
    return t.grad_fn if t.grad_fn is not None else _edge(t)


def _edges(node: Node):
    if node._passes_nothing:
        return ()
    return (edge for edge, _ in node.next_functions if edge is not None)


def _plan(
    outputs: Sequence[Tensor], inputs: Sequence[Tensor], accumulate: bool
) -> tuple[list[Node], set[Node], set[Node] | None]:
    """(reachable nodes, nodes that run, target nodes) of a pass; raises torch's error for
    a pass through saved tensors that an earlier pass freed."""
    # The client's graph has a node per leaf too (AccumulateGrad): every edge is a node.
    nodes = list(traversal.count_dependencies([_root(o) for o in outputs], _edges, bool))
    targets = {_root(t) for t in inputs} if inputs else None
    needed = (
        set(nodes)
        if targets is None
        else traversal.needed(nodes, _edges, targets, run_targets=accumulate)
    )
    for node in needed:
        if node._freed and node._has_saved:
            raise GraphFreed(GRAPH_FREED_MESSAGE)
    return nodes, needed, targets


class _Record:
    """What the client mirrors of a pass before the server runs it: the nodes it frees and
    the .grad it sets (weak references: the queue must not keep a graph alive)."""

    def __init__(self) -> None:
        self.freed: list[weakref.ref] = []
        self.grads: list[tuple[weakref.ref, object, Node]] = []

    def undo(self) -> None:
        """Forget the pass: the server rejected it."""
        for ref in self.freed:
            if (node := ref()) is not None:
                node._freed = False
        self.forget(lambda node: True)

    def forget(self, starved: Callable[[Node], bool]) -> None:
        """Put back the .grad of the tensors whose node got no gradient after all."""
        for ref, previous, node in reversed(self.grads):
            if starved(node) and (tensor := ref()) is not None:
                tensor._grad = previous


def _record(
    needed: set[Node], targets: set[Node] | None, retain_graph: bool, accumulate: bool
) -> _Record:
    """Mirror what the pass does on the server."""
    record = _Record()
    captured = targets - needed if targets is not None and not accumulate else set()
    for node in (*needed, *captured):
        if isinstance(node, AccumulateGrad):
            if accumulate and (targets is None or node in targets) and node.variable._grad is None:
                record.grads.append((weakref.ref(node.variable), None, node))
                node.variable._grad = True  # bound to a proxy when first read
            continue
        retained = node._retained() if node._retained is not None else None
        if retained is not None:
            record.grads.append((weakref.ref(retained), retained._grad, node))
            retained._grad = True  # a new tensor each pass, as torch's retain_grad hook makes
        if node in needed and not retain_graph and not node._freed:
            record.freed.append(weakref.ref(node))
            node._freed = True
    return record


# ---------------------------------------------------------------- create_graph, on the mirror

_CREATE_GRAPH_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the "
    "parameter and its gradient which can cause a memory leak. We recommend using autograd.grad "
    "when creating the graph to avoid this. If you have to use this function, make sure to "
    "reset the .grad fields of your parameters to None after use to break the cycle and avoid "
    "the leak. (Triggered internally at /__w/pytorch/pytorch/torch/csrc/autograd/engine.cpp:1307.)"
)


class _Mirror:
    """higher_order's backend and adapter on the client's mirror: its tensors have no
    handle, only the metadata and grad_fn of what the server computes."""

    def __init__(self, session):
        self.session = session

    def call(self, op: str, operands, attrs: dict) -> Tensor:
        return _mirror_call(self.session, op, operands, attrs)

    @staticmethod
    def meta(t: Tensor):
        return t._meta

    @staticmethod
    def edges(node: Node) -> tuple:
        if node._forward is None:
            return () if node._passes_nothing else tuple(e for e, _ in node.next_functions)
        return node._forward[4]

    @staticmethod
    def is_node(edge) -> bool:
        return not isinstance(edge, AccumulateGrad)

    @staticmethod
    def order(node: Node) -> int:
        return node._sequence

    @staticmethod
    def name(node: Node) -> str:
        return node._name

    def view(self, node: Node) -> higher_order.NodeView | None:
        if node._forward is None:
            return None
        op, attrs, operands, needs, edges, out_meta = node._forward

        def saved(i: int):
            edge, operand = edges[i], operands[i]
            if not isinstance(operand, rules.TensorMeta):
                return operand
            if isinstance(edge, AccumulateGrad):
                return edge.variable
            return Tensor._make(self.session, 0, operand, edge is not None, edge)

        def result() -> Tensor:
            return Tensor._make(self.session, 0, out_meta, True, node)

        return higher_order.NodeView(op, attrs, operands, needs, saved, result)


def _mirror_pass(outputs: Sequence[Tensor], grads: Sequence, inputs: Sequence[Tensor], accumulate):
    """Predict a create_graph pass on the mirror (raising torch-style for an op it cannot
    differentiate, before anything is queued): (the mirror, leaf gradients, captured target
    gradients, each reached node's gradient)."""
    mirror = _Mirror(outputs[0]._session)
    seeds = []
    for out, given in zip(outputs, grads, strict=True):
        usable = given is not None and given._meta.dtype == out._meta.dtype
        seed = given if usable else Tensor._make(mirror.session, 0, out._meta)
        seeds.append((_root(out), seed))
    targets = {_root(t) for t in inputs} if inputs else None
    roots = [o.grad_fn for o in outputs if o.grad_fn is not None]
    leaf_grads, captured, _, reached = higher_order.run(
        mirror, mirror, seeds, roots, targets, accumulate
    )
    return mirror, leaf_grads, captured, reached


def _bound(session, grad: Tensor, handle: int) -> Tensor:
    """The proxy of a create_graph gradient the server binds to `handle`."""
    return Tensor._make(session, handle, grad._meta, grad._requires_grad, grad._grad_fn)


def _stored_grads(mirror: _Mirror, leaf_grads: dict, reached: dict, targets) -> list:
    """(tensor, its .grad on the mirror) for each .grad a create_graph backward sets."""
    kept = [
        (node.variable, grad)
        for node, grad in leaf_grads.items()
        if node.variable._requires_grad and (targets is None or node in targets)
    ]
    for node, grad in reached.items():
        if node._retained is not None and (tensor := node._retained()) is not None:
            kept.append((tensor, grad))
    stored = []
    for tensor, grad in kept:
        previous = Tensor.grad.fget(tensor) if tensor._grad is True else tensor._grad
        stored.append((tensor, higher_order.stored(mirror, previous, grad)))
    return stored


def _bind_grads(session, stored: list) -> None:
    """After a create_graph backward: each .grad it set, as a proxy with its history."""
    for tensor, grad in stored:
        handle = session.new_handle()
        session.enqueue(
            "grad",
            pb.Operation(bind_grad=pb.BindGradOperation(tensor=tensor._handle, output=handle)),
            handle,
        )
        tensor._grad = _bound(session, grad, handle)


# ---------------------------------------------------------------- the API


def backward(
    tensors,
    grad_tensors=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    grad_variables=None,
    inputs=None,
) -> None:
    """torch.autograd.backward: accumulate d(tensors)/d(leaves) · grad_tensors into .grad."""
    if grad_variables is not None:
        warnings.warn(
            "`grad_variables` is deprecated. Use `grad_tensors` instead.",
            FutureWarning,
            stacklevel=2,
        )
        if grad_tensors is not None:
            raise RuntimeError(
                "`grad_tensors` and `grad_variables` (deprecated) arguments both passed to "
                "`backward()`. Please only use `grad_tensors`."
            )
        grad_tensors = grad_variables
    inputs_tuple = () if inputs is None else _inputs_tuple(inputs, "backward")
    if inputs is not None and not inputs_tuple:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    outputs = (tensors,) if isinstance(tensors, Tensor) else tuple(tensors)
    grads = _make_grads(outputs, _tensor_or_tensors_to_tuple(grad_tensors, len(outputs)))
    retain = create_graph if retain_graph is None else bool(retain_graph)
    _check_engine_call(outputs, grads, inputs_tuple, accumulate=True)
    _, needed, targets = _plan(outputs, inputs_tuple, accumulate=True)
    session = outputs[0]._session
    hook_keys, functions = pauses.pause_points(session, needed, targets, True, create_graph)
    if create_graph:
        mirror, leaf_grads, _, reached = _mirror_pass(outputs, grads, inputs_tuple, True)
        stored = _stored_grads(mirror, leaf_grads, reached, targets)
        if "create_graph" not in _WARNED:  # torch warns once a process
            _WARNED.add("create_graph")
            warnings.warn(_CREATE_GRAPH_WARNING, UserWarning, stacklevel=2)
    operation = {
        "roots": [o._handle for o in outputs],
        "grad_outputs": [g._handle if g is not None else 0 for g in grads],
        "retain_graph": retain,
        "inputs": [t._handle for t in inputs_tuple],
    }
    if create_graph:
        operation["create_graph"] = True
    if hook_keys:
        operation["hook_keys"] = hook_keys
    record = _record(needed, targets, retain, accumulate=True)
    session.enqueue_fields("backward", "backward", operation, undo=record.undo)
    if hook_keys or functions:
        starved = pauses.run(session, record.undo, (), [_root(o) for o in outputs], needed)
        if starved is not None:
            record.forget(starved)
    if create_graph:
        _bind_grads(session, stored)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
):
    """torch.autograd.grad: the gradients of `outputs` with respect to `inputs`, as a tuple
    (None for an input the outputs do not depend on, with allow_unused)."""
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, "
            "but got: allow_unused=False."
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    outs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    ins = _inputs_tuple(inputs, "grad")
    if not ins:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if not only_inputs:
        warnings.warn(
            "only_inputs argument is deprecated and is ignored now (defaults to True). To "
            "accumulate gradient for other parts of the graph, please use torch.autograd.backward.",
            FutureWarning,
            stacklevel=2,
        )
    grads = _make_grads(outs, _tensor_or_tensors_to_tuple(grad_outputs, len(outs)))
    if is_grads_batched:
        raise Unsupported("gradrpc: is_grads_batched is not supported yet")
    retain = create_graph if retain_graph is None else bool(retain_graph)
    _check_engine_call(outs, grads, ins, accumulate=False)
    nodes, needed, targets = _plan(outs, ins, accumulate=False)
    hook_keys, functions = pauses.pause_points(
        outs[0]._session, needed, targets, False, create_graph
    )
    reached = set(nodes)
    for i, t in enumerate(ins):
        rules.check_used(i, _root(t) in reached, allow_unused)
    session = outs[0]._session
    if create_graph:
        _, leaf_grads, captured, _ = _mirror_pass(outs, grads, ins, False)
        predicted = [
            leaf_grads.get(key) if isinstance(key, AccumulateGrad) else captured.get(key)
            for key in map(_root, ins)
        ]
    handles = [session.new_handle() for _ in ins]  # unused ones stay unbound on the server
    results = [
        (
            _bound(session, predicted[i], h)
            if create_graph
            else Tensor._make(session, h, rules.meta(t._meta.shape, t._meta.dtype))
        )
        if _root(t) in reached
        else None
        for i, (h, t) in enumerate(zip(handles, ins, strict=True))
    ]
    operation = pb.GradOperation(
        outputs=[o._handle for o in outs],
        inputs=[t._handle for t in ins],
        grad_outputs=[g._handle if g is not None else 0 for g in grads],
        retain_graph=retain,
        allow_unused=bool(allow_unused),
        results=handles,
        create_graph=create_graph,
        hook_keys=hook_keys,
    )
    record = _record(needed, targets, retain, accumulate=False)
    session.enqueue("grad", pb.Operation(grad=operation), outputs=handles, undo=record.undo)
    if hook_keys or functions:
        roots = [_root(o) for o in outs]
        starved = pauses.run(session, record.undo, handles, roots, needed)
        if starved is not None:
            record.forget(starved)
            unused = [h for h, t in zip(handles, ins, strict=True) if starved(_root(t))]
            session.mark_unbound(unused)  # the server bound nothing to them
            results = [None if h in unused else r for r, h in zip(results, handles, strict=True)]
    if materialize_grads:
        results = [
            r if r is not None else session.zeros_like(t) for r, t in zip(results, ins, strict=True)
        ]
    return tuple(results)
