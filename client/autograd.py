"""`gradrpc.autograd`: backward and grad, with torch's arguments, checks and error texts.

The checks run on the client's mirror of the graph, so a bad call raises at its line with no
round trip; the pass itself is one queued operation run by the server. The mirror then
records what the pass did: saved tensors freed (unless retain_graph) and which .grad
fields now hold a gradient.
"""

from __future__ import annotations

from collections.abc import Sequence

from gradrpc.engine import rules
from gradrpc.engine.errors import GraphFreed, NoGradFn, Unsupported, UnusedInput
from gradrpc.v1 import gradrpc_pb2 as pb

from .tensor import AccumulateGrad, Node, Tensor

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, Tensor):
        return [value]
    return list(value)


def _check_outputs(outputs: list[Tensor], grads: list) -> list[Tensor | None]:
    """torch's _make_grads: one gradient per output, shapes checked, implicit ones allowed
    for single-element outputs only; then every output must require grad."""
    if grads and len(grads) != len(outputs):
        raise RuntimeError(f"got {len(grads)} tensors and {len(outputs)} gradients")
    grads = grads or [None] * len(outputs)
    checked: list[Tensor | None] = []
    for i, (out, grad) in enumerate(zip(outputs, grads, strict=True)):
        if grad is not None and not isinstance(grad, Tensor):
            grad = out._session.tensor(grad, dtype=out.dtype)
        if grad is not None or out.requires_grad:
            rules.check_grad_output(i, out._meta, grad._meta if grad is not None else None)
        checked.append(grad)
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise NoGradFn(f"element {i} of tensors does not require grad and does not have a grad_fn")
    return checked


def _reachable(roots: Sequence[Node]) -> list[Node]:
    """Every backward node reachable from `roots` (AccumulateGrad nodes included)."""
    seen = dict.fromkeys(roots)
    stack = list(roots)
    while stack:
        node = stack.pop()
        for edge, _ in node.next_functions:
            if edge is not None and edge not in seen:
                seen[edge] = None
                stack.append(edge)
    return list(seen)


def _needed(nodes: list[Node], targets: set[Node] | None) -> set[Node]:
    """The nodes whose backward runs: all of them, or those with a path to a target."""
    if targets is None:
        return set(nodes)
    consumers: dict[Node, list[Node]] = {}
    for node in nodes:
        for edge, _ in node.next_functions:
            if edge is not None:
                consumers.setdefault(edge, []).append(node)
    needed: set[Node] = set()
    stack = [n for n in nodes if n in targets]
    while stack:
        node = stack.pop()
        if node not in needed:
            needed.add(node)
            stack.extend(consumers.get(node, ()))
    return needed


def _target(t: Tensor) -> Node:
    if t.grad_fn is not None:
        return t.grad_fn
    from .tensor import _edge

    edge = _edge(t)
    if edge is None:
        raise RuntimeError("One of the differentiated Tensors does not require grad")
    return edge


def _run(outputs, grads, retain_graph, inputs, accumulate, allow_unused=True) -> tuple[list[Node], set[Node]]:
    """Check the pass on the mirror; return (nodes it reaches, nodes it runs)."""
    roots = [o.grad_fn if o.grad_fn is not None else _target(o) for o in outputs]
    nodes = _reachable(roots)
    targets = {_target(t) for t in inputs} if inputs else None
    needed = _needed(nodes, targets)
    for node in needed:
        if node._freed and node._has_saved:
            raise GraphFreed(FREED_MESSAGE)
    if not accumulate and not allow_unused:
        for t in inputs:
            if _target(t) not in needed:
                raise UnusedInput(
                    "One of the differentiated Tensors appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior."
                )
    return nodes, needed


def _record(needed: set[Node], retain_graph: bool, accumulate: bool, targets: set[Node] | None) -> None:
    """Mirror what the server did: free saved tensors, mark the gradients it wrote."""
    for node in needed:
        if isinstance(node, AccumulateGrad):
            if accumulate and (targets is None or node in targets):
                leaf = node.variable
                if leaf._grad is None:
                    leaf._grad = True
            continue
        if not retain_graph:
            node._freed = True
        retained = node._retained() if node._retained is not None else None
        if retained is not None:
            retained._grad = True  # a new tensor each pass, as torch's retain_grad hook makes


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None, create_graph: bool = False, grad_variables=None, inputs=None) -> None:
    """torch.autograd.backward: accumulate d(tensors)/d(leaves) · grad_tensors into .grad."""
    if create_graph:
        raise Unsupported("gradrpc: create_graph=True (higher-order gradients) is not supported yet")
    if inputs is not None and not _as_list(inputs):
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    outputs = _as_list(tensors)
    grads = _check_outputs(outputs, _as_list(grad_tensors if grad_tensors is not None else grad_variables))
    inputs = _as_list(inputs)
    retain = bool(retain_graph)
    _, needed = _run(outputs, grads, retain, inputs, accumulate=True)
    session = outputs[0]._session
    session.enqueue(
        "backward",
        pb.Operation(
            backward=pb.BackwardOperation(
                roots=[o._handle for o in outputs],
                grad_outputs=[g._handle if g is not None else 0 for g in grads],
                retain_graph=retain,
                inputs=[t._handle for t in inputs],
            )
        ),
    )
    _record(needed, retain, True, {_target(t) for t in inputs} if inputs else None)


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None, create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None, materialize_grads: bool = False):
    """torch.autograd.grad: the gradients of `outputs` with respect to `inputs`, as a tuple."""
    if create_graph:
        raise Unsupported("gradrpc: create_graph=True (higher-order gradients) is not supported yet")
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    if not ins:
        raise RuntimeError("grad requires non-empty inputs.")
    allow_unused = bool(allow_unused) or materialize_grads
    grads = _check_outputs(outs, _as_list(grad_outputs))
    retain = bool(retain_graph)
    _, needed = _run(outs, grads, retain, ins, accumulate=False, allow_unused=allow_unused)
    session = outs[0]._session
    results = []
    handles = []
    for t in ins:
        used = _target(t) in needed
        if used:
            handle = session.new_handle()
            handles.append(handle)
            results.append(Tensor(session, handle, rules.meta(t._meta.shape, t._meta.dtype)))
        else:
            handles.append(session.new_handle())
            results.append(None)
    session.enqueue(
        "grad",
        pb.Operation(
            grad=pb.GradOperation(
                outputs=[o._handle for o in outs],
                inputs=[t._handle for t in ins],
                grad_outputs=[g._handle if g is not None else 0 for g in grads],
                retain_graph=retain,
                allow_unused=allow_unused,
                results=handles,
            )
        ),
    )
    _record(needed, retain, False, None)
    if materialize_grads:
        results = [r if r is not None else session.zeros_like(t) for r, t in zip(results, ins, strict=True)]
    return tuple(results)
