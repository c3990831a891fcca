"""Driving a real gradrpc server through the raw generated stub: wire encoding written from
the proto's comments (not the server's codec), operation builders, a thin session wrapper,
and a helper that checks a failed call's status code and ErrorInfo."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable, Iterable, Sequence

import grpc
import numpy as np
from google.rpc import error_details_pb2
from gradrpc.v1 import gradrpc_pb2 as pb
from gradrpc.v1 import gradrpc_pb2_grpc as pb_grpc
from grpc_status import rpc_status

MIB = 1024 * 1024
SESSION_KEY = "gradrpc-session-id"
ERROR_DOMAIN = "gradrpc.dev"
CHANNEL_OPTIONS = [
    ("grpc.max_send_message_length", 256 * MIB),
    ("grpc.max_receive_message_length", 256 * MIB),
]
_ENUMS = {
    np.dtype(np.float32): pb.DATA_TYPE_FLOAT32,
    np.dtype(np.float64): pb.DATA_TYPE_FLOAT64,
    np.dtype(np.int64): pb.DATA_TYPE_INT64,
    np.dtype(np.bool_): pb.DATA_TYPE_BOOL,
    np.dtype(np.int32): pb.DATA_TYPE_INT32,
    np.dtype(np.int16): pb.DATA_TYPE_INT16,
    np.dtype(np.int8): pb.DATA_TYPE_INT8,
    np.dtype(np.uint8): pb.DATA_TYPE_UINT8,
}
_DTYPES = {enum: dtype for dtype, enum in _ENUMS.items()}


def new_id() -> str:
    """A session id as the contract asks: 128 random bits as 32 lowercase hex characters."""
    return secrets.token_hex(16)


def md(session_id: str) -> tuple[tuple[str, str], ...]:
    return ((SESSION_KEY, session_id),)


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connect(address: str) -> tuple[grpc.Channel, pb_grpc.GradServiceStub]:
    channel = grpc.insecure_channel(address, options=CHANNEL_OPTIONS)
    grpc.channel_ready_future(channel).result(timeout=10)
    return channel, pb_grpc.GradServiceStub(channel)


# ---------------------------------------------------------------- tensors on the wire


def encode(array) -> pb.TensorValue:
    """Row-major, little-endian, no padding."""
    array = np.asarray(array)
    wire = array.dtype.newbyteorder("<")
    return pb.TensorValue(
        dtype=_ENUMS[array.dtype],
        shape=array.shape,
        data=np.ascontiguousarray(array, dtype=wire).tobytes(),
    )


def decode(value: pb.TensorValue) -> np.ndarray:
    wire = _DTYPES[value.dtype].newbyteorder("<")
    return np.frombuffer(value.data, dtype=wire).reshape(tuple(value.shape))


# ---------------------------------------------------------------- operations


def upload(output: int, array, requires_grad: bool = False) -> pb.Operation:
    value = encode(array)
    return pb.Operation(
        upload=pb.UploadOperation(output=output, value=value, requires_grad=requires_grad)
    )


def factory(output: int, name: str, shape, dtype=pb.DATA_TYPE_FLOAT32, **kw) -> pb.Operation:
    return pb.Operation(
        factory=pb.FactoryOperation(output=output, factory=name, shape=shape, dtype=dtype, **kw)
    )


def operand(x) -> pb.Operand:
    """An int is a handle; wrap numbers in pb.Operand yourself, except floats."""
    if isinstance(x, pb.Operand):
        return x
    if isinstance(x, float):
        return pb.Operand(float_value=x)
    return pb.Operand(handle=x)


def attr(value) -> pb.AttrValue:
    if isinstance(value, pb.AttrValue):
        return value
    if isinstance(value, bool):
        return pb.AttrValue(bool_value=value)
    if isinstance(value, int):
        return pb.AttrValue(int_value=value)
    if isinstance(value, float):
        return pb.AttrValue(float_value=value)
    if isinstance(value, str):
        return pb.AttrValue(string_value=value)
    return pb.AttrValue(int_list=pb.IntList(values=list(value)))


def call(op: str, inputs: Sequence, output: int, no_grad: bool = False, **attrs) -> pb.Operation:
    return pb.Operation(
        call=pb.CallOperation(
            op=op,
            inputs=[operand(x) for x in inputs],
            attrs={k: attr(v) for k, v in attrs.items()},
            output=output,
            no_grad=no_grad,
        )
    )


def backward(*roots: int, retain_graph: bool = False, grad_outputs=(), inputs=()) -> pb.Operation:
    return pb.Operation(
        backward=pb.BackwardOperation(
            roots=roots, retain_graph=retain_graph, grad_outputs=grad_outputs, inputs=inputs
        )
    )


def bind_grad(tensor: int, output: int) -> pb.Operation:
    return pb.Operation(bind_grad=pb.BindGradOperation(tensor=tensor, output=output))


def release(*handles: int) -> pb.Operation:
    return pb.Operation(release=pb.ReleaseOperation(handles=handles))


# ---------------------------------------------------------------- sessions and errors


class WireSession:
    """One session over the raw stub."""

    def __init__(self, stub: pb_grpc.GradServiceStub, keep_alive: float | None = None):
        self.stub = stub
        self.id = new_id()
        self.metadata = md(self.id)
        request = pb.CreateSessionRequest()
        if keep_alive is not None:
            request.keep_alive_timeout.FromNanoseconds(int(keep_alive * 1e9))
        response = stub.CreateSession(request, metadata=self.metadata, timeout=10)
        self.keep_alive_timeout = response.keep_alive_timeout.ToNanoseconds() / 1e9
        self.closed = False

    def execute(self, operations: Iterable[pb.Operation], fetches: Sequence[int] = ()):
        request = pb.ExecuteRequest(operations=list(operations), fetches=fetches)
        response = self.stub.Execute(request, metadata=self.metadata, timeout=120)
        return [decode(v) for v in response.values]

    def fetch(self, *handles: int) -> list[np.ndarray]:
        return self.execute([], handles)

    def handle_count(self) -> int:
        return self.stub.KeepAlive(pb.KeepAliveRequest(), metadata=self.metadata).handle_count

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.stub.CloseSession(pb.CloseSessionRequest(), metadata=self.metadata)


def details(error: grpc.RpcError) -> tuple[grpc.StatusCode, error_details_pb2.ErrorInfo, str]:
    """A failed call's status code, its one ErrorInfo (domain gradrpc.dev) and message."""
    status = rpc_status.from_call(error)
    assert status is not None, f"no rich status on {error.code()}: {error.details()}"
    infos = []
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            infos.append(info)
    assert len(infos) == 1, status
    assert infos[0].domain == ERROR_DOMAIN
    return error.code(), infos[0], status.message


def failure(fn: Callable[[], object]) -> tuple[grpc.StatusCode, error_details_pb2.ErrorInfo, str]:
    """Run `fn`, which must fail; return its status code, ErrorInfo and message."""
    try:
        fn()
    except grpc.RpcError as error:
        return details(error)
    raise AssertionError("the call succeeded; it should have failed")


def expect_error(
    fn: Callable[[], object], code: grpc.StatusCode, reason: str, **metadata: str
) -> str:
    """Assert `fn` fails with `code`, ErrorInfo `reason` and (at least) `metadata`."""
    got_code, info, message = failure(fn)
    assert (got_code, info.reason) == (code, reason), message
    for key, value in metadata.items():
        assert info.metadata.get(key) == value, (key, dict(info.metadata), message)
    return message


def rss_bytes() -> int:
    """This process's resident set size, from /proc/self/statm."""
    with open("/proc/self/statm") as f:
        resident_pages = int(f.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")
