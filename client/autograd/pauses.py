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
from ..tensor import AccumulateGrad, Node, Tensor
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
            if leaf._post_hooks and accumulate and (targets is None or node in targets):
                keys.append(leaf._post_hooks.key)
            continue
        if node._hooks:
            keys.append(node._hooks.key)
        functions = functions or (isinstance(node, BackwardCFunction) and node in needed)
    if create_graph and (keys or functions):
        raise Unsupported(CREATE_GRAPH_PAUSE_MESSAGE)
    return keys, functions


def run(session, undo: Callable[[], None], outputs: Sequence[int] = ()) -> None:
    """Wait for the pass just queued and answer each of its pauses until it ends. Should a
    hook or Function raise, or the pass fail, the server drops the pass, the client's
    record of it is undone and the gradient handles it was to bind are not used."""
    pass_id = 0
    try:
        pause = session.flush_pass()
        while pause is not None:
            pass_id = pause.pass_id
            with no_grad():
                grads = _answer(session, pause)
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


def _answer(session, pause: pb.Pause) -> list[int]:
    """Run what `pause` waits for; the ResumeOperation's gradient handles."""
    target = session.pause_targets.get(pause.key)
    if target is None:  # its tensor is gone, and so are the hooks
        return []
    if pause.kind == pb.PAUSE_KIND_TENSOR_HOOK:
        given = Tensor._make(session, pause.grads[0], target.meta)
        return _run_tensor_hooks(target, given)
    if pause.kind == pb.PAUSE_KIND_POST_ACCUMULATE_GRAD_HOOK:
        tensor = target.owner()
        for hook in list(target.values()):
            if hook(tensor) is not None:
                raise RuntimeError("Tensor post accumulate grad hooks should return None.")
        return []
    return target._answer(session, pause.grads)


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
        rules.check_hook_result(getattr(hook, "__name__", repr(hook)), current._meta, result._meta)
        current = result
    return [current._handle]
