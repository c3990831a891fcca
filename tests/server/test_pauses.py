"""Paused backward passes on the wire: HookOperation, FunctionOperation, ResumeOperation and
ExecuteResponse.pause, driven by the raw stub as a client in another language would."""

from __future__ import annotations

import grpc
import numpy as np
from gradrpc.v1 import gradrpc_pb2 as pb
from serverkit import backward, bind_grad, call, decode, expect_error, upload

SERVER_HANDLES = 1 << 63


def _run(session, operations, fetches=()) -> pb.ExecuteResponse:
    request = pb.ExecuteRequest(operations=list(operations), fetches=fetches)
    return session.stub.Execute(request, metadata=session.metadata, timeout=60)


def _hook(tensor: int, key: int, post: bool = False) -> pb.Operation:
    return pb.Operation(hook=pb.HookOperation(tensor=tensor, key=key, post_accumulate_grad=post))


def _resume(pass_id: int, *grads: int, abandon: bool = False) -> pb.Operation:
    return pb.Operation(resume=pb.ResumeOperation(pass_id=pass_id, grads=grads, abandon=abandon))


def _hooked_backward(root: int, *keys: int) -> pb.Operation:
    operation = backward(root)
    operation.backward.hook_keys.extend(keys)
    return operation


def _graph(session) -> None:
    """x (1) = [1, 2, 3] requiring grad; y (2) = 2x; loss (3) = sum(y * y)."""
    session.execute(
        [
            upload(1, np.array([1.0, 2.0, 3.0], np.float32), requires_grad=True),
            call("mul", [1, 2.0], 2),
            call("mul", [2, 2], 4),
            call("sum", [4], 3),
        ]
    )


def test_a_pass_pauses_at_each_named_hook_in_order_and_ends_the_batch(session):
    _graph(session)
    response = _run(
        session,
        [_hook(1, 11), _hook(2, 22), _hooked_backward(3, 11, 22), bind_grad(1, 9)],
        fetches=[1],
    )
    pause = response.pause
    assert (pause.kind, pause.key, pause.operation_index) == (pb.PAUSE_KIND_TENSOR_HOOK, 22, 2)
    assert not response.values  # the batch ended there: no bind_grad, no fetch
    (y_grad,) = pause.grads
    assert y_grad >= SERVER_HANDLES
    np.testing.assert_array_equal(session.fetch(y_grad)[0], [4.0, 8.0, 12.0])
    # the client's hook body: replace y's gradient by ten times it
    session.execute([call("mul", [y_grad, 10.0], 5)])
    pause = _run(session, [_resume(pause.pass_id, 5)]).pause
    assert (pause.kind, pause.key) == (pb.PAUSE_KIND_TENSOR_HOOK, 11)
    np.testing.assert_array_equal(session.fetch(pause.grads[0])[0], [80.0, 160.0, 240.0])
    response = _run(session, [_resume(pause.pass_id), bind_grad(1, 9)], fetches=[9])
    assert not response.HasField("pause")
    np.testing.assert_array_equal(decode(response.values[0]), [80.0, 160.0, 240.0])


def test_a_pass_not_naming_a_hook_key_runs_through_without_pausing(session):
    _graph(session)
    response = _run(session, [_hook(2, 22), backward(3), bind_grad(1, 9)], fetches=[9])
    assert not response.HasField("pause")
    np.testing.assert_array_equal(decode(response.values[0]), [8.0, 16.0, 24.0])


def test_a_post_accumulate_grad_hook_pauses_after_the_leaf_took_its_gradient(session):
    _graph(session)
    pause = _run(session, [_hook(1, 5, post=True), _hooked_backward(3, 5)]).pause
    assert (pause.kind, pause.key, list(pause.grads)) == (
        pb.PAUSE_KIND_POST_ACCUMULATE_GRAD_HOOK,
        5,
        [],
    )
    session.execute([bind_grad(1, 9)])  # the .grad is there while the pass waits
    np.testing.assert_array_equal(session.fetch(9)[0], [8.0, 16.0, 24.0])
    assert not _run(session, [_resume(pause.pass_id)]).HasField("pause")


def test_a_function_node_pauses_for_one_gradient_per_input(session):
    session.execute(
        [
            upload(1, np.array([1.0, -2.0], np.float32), requires_grad=True),
            upload(2, np.array([3.0, 4.0], np.float32)),
            call("relu", [1], 3, no_grad=True),  # what the client's forward computed
        ]
    )
    function = pb.FunctionOperation(
        name="MyReLUBackward", key=7, inputs=[1, 2], outputs=[3], differentiable=[True]
    )
    session.execute([pb.Operation(function=function), call("sum", [3], 4)])
    pause = _run(session, [backward(4)]).pause
    assert (pause.kind, pause.key) == (pb.PAUSE_KIND_FUNCTION_BACKWARD, 7)
    (out_grad,) = pause.grads
    session.execute([call("mul", [out_grad, 2.0], 5)])
    assert not _run(session, [_resume(pause.pass_id, 5, 0)]).HasField("pause")
    session.execute([bind_grad(1, 9)])
    np.testing.assert_array_equal(session.fetch(9)[0], [2.0, 2.0])


def test_a_wrong_answer_fails_the_pass_and_the_session_goes_on(session):
    _graph(session)
    pause = _run(session, [_hook(2, 22), _hooked_backward(3, 22)]).pause
    session.execute([call("sum", [pause.grads[0]], 5)])
    expect_error(
        lambda: _run(session, [_resume(pause.pass_id, 5)]),
        grpc.StatusCode.INVALID_ARGUMENT,
        "SHAPE_MISMATCH",
        operation_index="0",
    )
    expect_error(  # the pass is gone
        lambda: _run(session, [_resume(pause.pass_id)]),
        grpc.StatusCode.FAILED_PRECONDITION,
        "NO_PAUSED_PASS",
    )
    response = _run(session, [backward(3), bind_grad(1, 9)], fetches=[9])
    np.testing.assert_array_equal(decode(response.values[0]), [8.0, 16.0, 24.0])


def test_abandoning_drops_the_pass_and_changes_no_grad(session):
    _graph(session)
    pause = _run(session, [_hook(2, 22), _hooked_backward(3, 22)]).pause
    session.execute([_resume(pause.pass_id, abandon=True)])
    session.execute([_resume(pause.pass_id, abandon=True)])  # no longer paused: left alone
    expect_error(
        lambda: session.execute([bind_grad(1, 9)]),
        grpc.StatusCode.FAILED_PRECONDITION,
        "GRAD_NOT_SET",
    )


def test_resuming_without_a_paused_pass_and_binding_a_servers_handle_are_refused(session):
    expect_error(
        lambda: session.execute([_resume(1)]), grpc.StatusCode.FAILED_PRECONDITION, "NO_PAUSED_PASS"
    )
    expect_error(
        lambda: session.execute([upload(SERVER_HANDLES + 5, np.ones(1, np.float32))]),
        grpc.StatusCode.INVALID_ARGUMENT,
        "HANDLE_IN_USE",
    )


def test_a_hook_on_a_tensor_that_does_not_require_grad_is_refused(session):
    session.execute([upload(1, np.ones(2, np.float32))])
    message = expect_error(
        lambda: session.execute([_hook(1, 3)]),
        grpc.StatusCode.FAILED_PRECONDITION,
        "DOES_NOT_REQUIRE_GRAD",
    )
    assert message == "cannot register a hook on a tensor that doesn't require gradient"
