"""Fixtures for the client tests: the default session (an embedded server with the real
kernels, or the server at $GRADRPC_ADDRESS), and hygiene between tests."""

from __future__ import annotations

import gradrpc
import pytest
import torch


@pytest.fixture(scope="session")
def session():
    """The module-level default session that `gradrpc.ones(...)` and friends use."""
    return gradrpc.default_session()


@pytest.fixture(autouse=True)
def _clean_state(session):
    """Grad mode on in both libraries; and nothing a test queued is left for the next one
    (an error it would raise belongs to the test that queued it)."""
    torch.set_grad_enabled(True)
    gradrpc.set_grad_enabled(True)
    yield
    torch.set_grad_enabled(True)
    gradrpc.set_grad_enabled(True)
    session.flush()
