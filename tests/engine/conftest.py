"""The engine's contract: its caller silences NumPy's floating-point warnings once, around
its calls, as the server's executor does for each batch (see `gradrpc.engine.graph`)."""

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _nan_and_inf_without_warnings():
    with np.errstate(all="ignore"):
        yield
