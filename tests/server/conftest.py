"""Fixtures for the server tests: a real GradServer on a loopback port, driven by the raw stub."""

from __future__ import annotations

import pytest
from gradrpc.server.app import GradServer, ServerConfig
from serverkit import WireSession, connect


@pytest.fixture(scope="module")
def server():
    server = GradServer(ServerConfig(host="127.0.0.1", port=0, max_workers=4)).start()
    yield server
    server.stop(grace=0)


@pytest.fixture(scope="module")
def stub(server):
    channel, stub = connect(server.address)
    yield stub
    channel.close()


@pytest.fixture
def session(stub):
    session = WireSession(stub)
    yield session
    session.close()
