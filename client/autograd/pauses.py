"""Backward passes that pause for the client: tensor hooks, post-accumulate-grad hooks and
custom Functions' backwards run here, in the user's process, in torch's order.

A pass that meets none is queued and costs no round trip. One that does is waited for: the
server stops it at each hook or Function (`Pause`), the client runs the Python code there
(its ops queued as usual, with recording off as in torch's backward) and answers with a
ResumeOperation in the same message, so each pause costs one round trip.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from gradrpc.engine import rules
from gradrpc.engine.errors import CREATE_GRAPH_PAUSE_MESSAGE, Unsupported
from gradrpc.v1 import gradrpc_pb2 as pb

from ..grad_mode import no_grad
from ..tensor import AccumulateGrad, Node, Tensor, edge_positions
from ..utils.hooks import NodeHooks, RemovableHandle
from .function import BackwardCFunction


def pause_points(
    session,
    needed: Collection[Node],
    targets: Collection[Node] | None,
    accumulate: bool,
    create_graph: bool,
) -> tuple[list[int], bool]:
    """(the keys of the hooks a pass runs, whether it runs a custom Function): the hooks of
    the nodes it runs or captures, a leaf's post-accumulate-grad hooks where it accumulates
    (nothing to look for in a session without hooks or Functions)."""
    if not session.pause_targets:
        return [], False
    captured = set(targets) - set(needed) if targets is not None and not accumulate else set()
    keys: list[int] = []
    functions = False
    for node in (*needed, *captured):
        if isinstance(node, AccumulateGrad):
            leaf = node.variable
            if leaf._hooks:
                keys.append(leaf._hooks.key)
            if accumulate and (targets is None or node in targets):
                hooks = (leaf._post_hooks, node._pre_hooks, node._post_hooks)
                keys.extend(h.key for h in hooks if h)
            continue
        if node._hooks:
            keys.append(node._hooks.key)
        if node in needed:
            keys.extend(h.key for h in (node._pre_hooks, node._post_hooks) if h and h.key)
            functions = functions or isinstance(node, BackwardCFunction)
    if create_graph and (keys or functions):
        raise Unsupported(CREATE_GRAPH_PAUSE_MESSAGE)
    return keys, functions


class _Drops:
    """Where a pass's hooks or Functions' backwards gave no gradient where one was due:
    nodes a pre-hook left without one (`silenced`), and (node, next_functions index) edges
    a post-hook or a backward gave none (`cut`)."""

    def __init__(self) -> None:
        self.silenced: set[Node] = set()
        self.cut: set[tuple[Node, int]] = set()

    def starved(self, roots: Sequence[Node], needed: Collection[Node]) -> Callable[[Node], bool]:
        """Whether a node of the pass got no gradient (a leaf's accumulator: or kept none)."""
        fed: set[Node] = set()
        stack = list(roots)
        while stack:
            node = stack.pop()
            if node in fed:
                continue
            fed.add(node)
            if node in self.silenced or node not in needed or node._passes_nothing:
                continue
            for i, (child, _) in enumerate(node.next_functions):
                if child is not None and (node, i) not in self.cut:
                    stack.append(child)
        silenced = self.silenced
        return lambda n: n not in fed or (isinstance(n, AccumulateGrad) and n in silenced)


def run(
    session,
    undo: Callable[[], None],
    outputs: Sequence[int] = (),
    roots: Sequence[Node] = (),
    needed: Collection[Node] = (),
) -> Callable[[Node], bool] | None:
    """Wait for the pass just queued and answer each of its pauses until it ends. Should a
    hook or Function raise, or the pass fail, the server drops the pass, the client's
    record of it is undone and the gradient handles it was to bind are not used. Returns,
    when a hook or backward withheld a gradient, which nodes (from `roots` through
    `needed`) got none, for the caller to correct its record of the pass."""
    pass_id = 0
    drops = _Drops()
    try:
        pause = session.flush_pass()
        while pause is not None:
            pass_id = pause.pass_id
            with no_grad():
                grads = _answer(session, pause, drops)
            resume = pb.ResumeOperation(pass_id=pass_id, grads=grads)
            session.enqueue("backward", pb.Operation(resume=resume))
            pause = session.flush_pass()
    except BaseException:
        if pass_id:  # harmless should it have ended already
            abandon = pb.ResumeOperation(pass_id=pass_id, abandon=True)
            session.enqueue("backward", pb.Operation(resume=abandon))
        undo()
        session.mark_unbound(outputs)
        raise
    if drops.silenced or drops.cut:
        return drops.starved(roots, needed)
    return None


def _answer(session, pause: pb.Pause, drops: _Drops) -> list[int]:
    """Run what `pause` waits for; the ResumeOperation's gradient handles."""
    target = session.pause_targets.get(pause.key)
    if target is None:  # its tensor or node is gone, and so are the hooks: keep the grads
        if pause.kind == pb.PAUSE_KIND_NODE_POST_HOOK:
            return list(pause.grads[:-1])
        return list(pause.grads) if pause.kind == pb.PAUSE_KIND_NODE_PRE_HOOK else []
    if pause.kind == pb.PAUSE_KIND_TENSOR_HOOK:
        given = Tensor._make(session, pause.grads[0], target.meta)
        return _run_tensor_hooks(target, given)
    if pause.kind == pb.PAUSE_KIND_POST_ACCUMULATE_GRAD_HOOK:
        tensor = target.owner()
        for hook in list(target.values()):
            if hook(tensor) is not None:
                raise RuntimeError("Tensor post accumulate grad hooks should return None.")
        return []
    if pause.kind == pb.PAUSE_KIND_NODE_PRE_HOOK:
        (grad,) = pause.grads
        grads = _run_pre_hooks(target, (Tensor._make(session, grad, target.output_meta),))
        if grads[0] is None and (node := target.owner()) is not None:
            drops.silenced.add(node)
        return _handles(grads)
    if pause.kind == pb.PAUSE_KIND_NODE_POST_HOOK:
        return _answer_post_hooks(session, target, pause.grads, drops)
    return _answer_function(session, target, pause.grads, drops)


def _handles(grads: Sequence[Tensor | None]) -> list[int]:
    return [0 if g is None else g._handle for g in grads]


def _answer_function(session, ctx: BackwardCFunction, grad_handles, drops: _Drops) -> list[int]:
    """A custom Function's backward between its node's pre-hooks and post-hooks."""
    grads = ctx._output_grads(session, grad_handles)
    if ctx._pre_hooks:
        grads = _run_pre_hooks(ctx._pre_hooks, grads)
    input_grads = ctx._input_grads(session, grads)
    if ctx._post_hooks:
        input_grads = _run_post_hooks(ctx._post_hooks, input_grads, grads)
    for i, ((edge, _), g) in enumerate(zip(ctx.next_functions, input_grads, strict=True)):
        if edge is not None and g is None:
            drops.cut.add((ctx, i))
    return _handles(input_grads)


def _answer_post_hooks(session, hooks: NodeHooks, grad_handles, drops: _Drops) -> list[int]:
    """A node's post-hooks on what it gave its inputs (the server's one per operand, of
    which torch's node shows those with an edge) and its output's gradient."""
    *given, output = grad_handles
    grads = [
        Tensor._make(session, h, meta) if h else None
        for h, meta in zip(given, hooks.input_metas, strict=True)
    ]
    out = Tensor._make(session, output, hooks.output_meta) if output else None
    shown = tuple(grads[i] for i in hooks.positions)
    answer = _run_post_hooks(hooks, shown, (out,))
    node = hooks.owner()
    for index, (i, g) in enumerate(zip(hooks.positions, answer, strict=True)):
        if g is None and grads[i] is not None and node is not None:
            drops.cut.add((node, index))
        grads[i] = g
    return _handles(grads)


def _hook_name(hook) -> str:
    return getattr(hook, "__name__", repr(hook))


def _checked(hook, given: tuple, result) -> tuple:
    """A node hook's returned tuple, checked as torch checks it against what it was given."""
    if not isinstance(result, tuple):
        raise TypeError(f"expected tuple, but hook returned '{type(result).__name__}'")
    if len(result) != len(given):
        raise RuntimeError(
            f"hook '{_hook_name(hook)}' has returned an incorrect number of values (got "
            f"{len(result)}, but expected {len(given)})"
        )
    for original, value in zip(given, result, strict=True):
        if value is None:
            continue
        if original is None:
            raise RuntimeError("can't replace a None gradient with a non-None value")
        if not isinstance(value, Tensor):
            raise TypeError(f"expected Variable, but hook returned '{type(value).__name__}'")
        rules.check_hook_result(_hook_name(hook), original._meta, value._meta)
    return result


def _run_pre_hooks(hooks, grads: tuple) -> tuple:
    """Each pre-hook in turn on the output gradients; a tuple it returns replaces them."""
    for hook in list(hooks.values()):
        result = hook(grads)
        if result is not None:
            grads = _checked(hook, grads, result)
    return grads


def _run_post_hooks(hooks, grad_inputs: tuple, grad_outputs: tuple) -> tuple:
    """Each post-hook in turn on (grad_inputs, grad_outputs); a tuple it returns replaces
    grad_inputs."""
    for hook in list(hooks.values()):
        result = hook(grad_inputs, grad_outputs)
        if result is not None:
            grad_inputs = _checked(hook, grad_inputs, result)
    return grad_inputs


def _run_tensor_hooks(hooks, grad: Tensor) -> list[int]:
    """Each hook in turn on the gradient, a returned tensor replacing it (torch's checks);
    the answer names the gradient even when no hook replaced it, as one may have changed
    it in place."""
    current = grad
    for hook in list(hooks.values()):
        result = hook(current)
        if result is None:
            continue
        if not isinstance(result, Tensor):
            raise TypeError(f"expected Variable, but hook returned '{type(result).__name__}'")
        rules.check_hook_result(_hook_name(hook), current._meta, result._meta)
        current = result
    return [current._handle]


def register_node_hook(node: Node, hook, post: bool) -> RemovableHandle:
    """grad_fn.register_hook (`post`) or register_prehook: the first of a node's hooks of
    either kind names them to the server (a custom Function's run at its own pause)."""
    hooks = node._post_hooks if post else node._pre_hooks
    if hooks is None:
        hooks = _node_hooks(node, post)
        if post:
            node._post_hooks = hooks
        else:
            node._pre_hooks = hooks
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def _node_hooks(node: Node, post: bool) -> NodeHooks:
    """A node's new hooks, named to the server: a leaf's accumulator by the leaf, a node an
    op recorded by the handle of the op's result (which may be gone since)."""
    if isinstance(node, BackwardCFunction):
        return NodeHooks(node, 0, None, (), ())
    if isinstance(node, AccumulateGrad):
        session, fields = node.variable._session, {"tensor": node.variable._handle}
        session.check_usable(node.variable._handle)
        hooks = NodeHooks(node, 0, node.variable._meta, (), ())
    elif node._forward is None or node._origin is None:
        raise NotImplementedError(
            f"gradrpc: hooks on a {node.name()} node are not supported yet: only on nodes "
            "that ops recorded and on leaves' accumulators"
        )
    else:
        op, attrs, metas, needs, _, out_meta = node._forward
        positions = edge_positions(op, rules.SPECS[op], node._name, metas, needs, attrs)
        inputs = tuple(m if isinstance(m, rules.TensorMeta) else None for m in metas)
        hooks = NodeHooks(node, 0, out_meta, inputs, positions)
        session, handle = node._origin
        fields = {"node": handle}
    hooks.key = session.new_handle()
    session.pause_targets[hooks.key] = hooks
    kind = pb.NODE_HOOK_POST if post else pb.NODE_HOOK_PRE
    operation = pb.HookOperation(key=hooks.key, node_hook=kind, **fields)
    session.enqueue("register_hook", pb.Operation(hook=operation))
    return hooks
