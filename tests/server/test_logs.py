"""Structured logs: one line per event (startup, sessions created, closed and reaped, errors,
shutdown), each carrying its session id and reason as fields, as text or as JSON."""

from __future__ import annotations

import json
import logging
import re
import signal
import time

import grpc
import numpy as np
from gradrpc.server import logs
from gradrpc.server.app import GradServer, ServerConfig
from serverkit import WireSession, call, connect, expect_error, upload
from test_cli import ServerProcess, _clean_env


def _events(stderr: str) -> list[dict]:
    """The JSON log lines; the one plain line is the address the server prints for scripts."""
    events = []
    for line in stderr.splitlines():
        if not line.startswith("gradrpc-server listening on "):
            events.append(json.loads(line))
    return events


def test_json_lines_carry_the_session_id_and_the_reason():
    with ServerProcess("--port", "0", "--host", "127.0.0.1", "--log-format", "json") as server:
        host, port = server.address()
        channel, stub = connect(f"{host}:{port}")
        session = WireSession(stub)
        session.execute([upload(1, np.ones(3, np.float32))])
        expect_error(
            lambda: session.execute([call("mm", [1, 1], 2)]),
            grpc.StatusCode.INVALID_ARGUMENT,
            "SHAPE_MISMATCH",
        )
        session.close()
        channel.close()
        assert server.stop(signal.SIGTERM) == 0
    events = _events(server.stderr)
    assert all({"time", "level", "logger", "message"} <= e.keys() for e in events)
    by_message = {e["message"]: e for e in events}
    created = by_message["session created"]
    assert (created["session"], created["level"], created["keep_alive"]) == (
        session.id,
        "INFO",
        300.0,
    )
    assert by_message["session closed"]["session"] == session.id
    (error,) = [e for e in events if e.get("reason") == "SHAPE_MISMATCH"]
    assert error["session"] == session.id
    assert (error["code"], error["op"], error["operation_index"]) == ("INVALID_ARGUMENT", "mm", "0")
    assert error["message"].startswith("error in Execute, operation 0 (mm): ")
    assert by_message[f"GradServer started on 127.0.0.1:{port}"]["metrics_port"] is None
    assert by_message["shutting down"]["signal"] == signal.SIGTERM
    assert "stopped" in by_message


def test_the_environment_picks_the_format():
    env = {"GRADRPC_LOG_FORMAT": "JSON", "GRADRPC_LOG_LEVEL": "info"}
    with ServerProcess("--port", "0", env=_clean_env(**env)) as server:
        server.address()
        assert server.stop(signal.SIGINT) == 0
    assert [e["message"] for e in _events(server.stderr)][-1] == "stopped"


def test_text_lines_append_the_fields():
    record = logging.LogRecord(
        "gradrpc.server", logging.INFO, __file__, 1, "session closed", (), None
    )
    record.session = "0" * 32
    line = logs.TextFormatter().format(record)
    assert re.fullmatch(r"\S+ \S+ INFO gradrpc\.server session closed session=0{32}", line)


def test_reaping_logs_the_session(caplog):
    server = GradServer(
        ServerConfig(host="127.0.0.1", port=0, keep_alive=0.1, reap_interval=0.05)
    ).start()
    channel, stub = connect(server.address)
    try:
        with caplog.at_level(logging.INFO, logger="gradrpc.server"):
            session = WireSession(stub)
            deadline = time.monotonic() + 10
            while server.store.sessions() and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        channel.close()
        server.stop(grace=0)
    (reaped,) = [r for r in caplog.records if r.getMessage() == "session reaped"]
    assert reaped.session == session.id
    assert reaped.idle > 0.1
