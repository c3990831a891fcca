"""SetDefaultDtypeOperation on the wire: each session has its own default float dtype, which
holds from the operation that sets it on, and which the server's memoized plans respect."""

from __future__ import annotations

import threading

import grpc
import numpy as np
from gradrpc.v1 import gradrpc_pb2 as pb
from serverkit import WireSession, call, expect_error, upload

INTS = np.array([1, 2, 3], dtype=np.int64)


def set_default(dtype: int) -> pb.Operation:
    return pb.Operation(set_default_dtype=pb.SetDefaultDtypeOperation(dtype=dtype))


def promotions(first: int) -> list[pb.Operation]:
    """int64 / int64, int64 * 2.5 and sqrt(int64), bound from handle `first` on."""
    return [
        call("div", [first, first], first + 1),
        call("mul", [first, 2.5], first + 2),
        call("sqrt", [first], first + 3),
    ]


def test_sessions_keep_their_own_default(stub):
    wide, plain = WireSession(stub), WireSession(stub)
    try:
        wide.execute([set_default(pb.DATA_TYPE_FLOAT64), upload(1, INTS)])
        plain.execute([upload(1, INTS)])
        for _ in range(2):  # a second time through the servers' memoized plans
            got_wide = wide.execute(promotions(1), fetches=[2, 3, 4])
            got_plain = plain.execute(promotions(1), fetches=[2, 3, 4])
            assert [v.dtype for v in got_wide] == [np.float64] * 3
            assert [v.dtype for v in got_plain] == [np.float32] * 3
            np.testing.assert_array_equal(got_wide[2], np.sqrt(INTS.astype(np.float64)))
            np.testing.assert_array_equal(got_plain[2], np.sqrt(INTS.astype(np.float32)))
            for session in (wide, plain):
                session.execute([pb.Operation(release=pb.ReleaseOperation(handles=[2, 3, 4]))])
    finally:
        wide.close()
        plain.close()


def test_the_setting_holds_from_its_place_in_the_batch(session):
    got = session.execute(
        [
            upload(1, INTS),
            call("div", [1, 1], 2),
            set_default(pb.DATA_TYPE_FLOAT64),
            call("div", [1, 1], 3),
            set_default(pb.DATA_TYPE_FLOAT32),
            call("div", [1, 1], 4),
        ],
        fetches=[2, 3, 4],
    )
    assert [v.dtype for v in got] == [np.float32, np.float64, np.float32]


def test_sessions_running_side_by_side_do_not_interfere(stub):
    """Threads of the server run both sessions' batches at once, each with its default."""
    dtypes = {pb.DATA_TYPE_FLOAT32: np.float32, pb.DATA_TYPE_FLOAT64: np.float64}
    failures = []

    def run(dtype: int) -> None:
        session = WireSession(stub)
        try:
            session.execute([set_default(dtype), upload(1, INTS)])
            for i in range(30):
                first = 10 + 4 * i
                ops = [call("mul", [1, 1], first), *promotions(first)]
                got = session.execute(ops, fetches=[first + 1, first + 2, first + 3])
                if any(v.dtype != dtypes[dtype] for v in got):
                    failures.append((dtype, [v.dtype for v in got]))
        finally:
            session.close()

    threads = [threading.Thread(target=run, args=(d,)) for d in dtypes for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_a_default_that_is_not_floating_is_refused(session):
    for dtype in (pb.DATA_TYPE_INT64, pb.DATA_TYPE_UNSPECIFIED):
        expect_error(
            lambda dtype=dtype: session.execute([set_default(dtype)]),
            grpc.StatusCode.INVALID_ARGUMENT,
            "INVALID_VALUE",
            operation_index="0",
            op="set_default_dtype",
        )
    (got,) = session.execute([upload(1, INTS), call("div", [1, 1], 2)], fetches=[2])
    assert got.dtype == np.float32
