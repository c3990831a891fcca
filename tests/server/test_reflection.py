"""Server reflection on a real server, through the reflection client stub (as grpcurl uses
it): the services are listed, and their descriptors resolve, dependencies included."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

GRAD_SERVICE = "gradrpc.v1.GradService"


@pytest.fixture(scope="module")
def channel(server):
    with grpc.insecure_channel(server.address) as channel:
        yield channel


def _ask(channel, **request) -> reflection_pb2.ServerReflectionResponse:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    requests = iter([reflection_pb2.ServerReflectionRequest(**request)])
    (response,) = stub.ServerReflectionInfo(requests, timeout=10)
    return response


def test_list_services_names_grad_service_health_and_reflection(channel):
    response = _ask(channel, list_services="")
    names = {s.name for s in response.list_services_response.service}
    assert names == {
        GRAD_SERVICE,
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    }


def test_file_containing_symbol_describes_the_service(channel):
    response = _ask(channel, file_containing_symbol=GRAD_SERVICE)
    files = [
        descriptor_pb2.FileDescriptorProto.FromString(raw)
        for raw in response.file_descriptor_response.file_descriptor_proto
    ]
    (proto,) = [f for f in files if f.package == "gradrpc.v1"]
    assert proto.name == "gradrpc/v1/gradrpc.proto"
    (service,) = proto.service
    assert {m.name for m in service.method} == {
        "CreateSession",
        "KeepAlive",
        "CloseSession",
        "Execute",
        "ExecuteStream",
        "ListOps",
    }


def test_an_unknown_symbol_is_not_found(channel):
    response = _ask(channel, file_containing_symbol="gradrpc.v1.NoSuchThing")
    assert response.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]


def test_a_descriptor_pool_built_from_reflection_resolves_methods_and_messages(channel):
    """What `grpcurl describe` does: every file comes from the server, imports included."""
    pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
    execute = pool.FindServiceByName(GRAD_SERVICE).methods_by_name["Execute"]
    assert execute.input_type.full_name == "gradrpc.v1.ExecuteRequest"
    assert execute.output_type.full_name == "gradrpc.v1.ExecuteResponse"
    created = pool.FindMessageTypeByName("gradrpc.v1.CreateSessionRequest")
    duration = created.fields_by_name["keep_alive_timeout"].message_type
    assert duration.full_name == "google.protobuf.Duration"
    check = pool.FindServiceByName("grpc.health.v1.Health").methods_by_name["Check"]
    assert check.output_type.full_name == "grpc.health.v1.HealthCheckResponse"
