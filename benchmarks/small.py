"""B2: the seeds' scalar sigmoid chain; B5: small ops per second through the client queue."""

from __future__ import annotations

from .common import Result, ServerProcess, Settings, median_time


def _chain(torch):
    """w0*x0 + w1*x1 + w2 -> neg, exp, +1, 1/g; backward; read the five gradients."""
    w0 = torch.tensor(2.0, requires_grad=True)
    x0 = torch.tensor(-1.0, requires_grad=True)
    w1 = torch.tensor(-3.0, requires_grad=True)
    x1 = torch.tensor(-2.0, requires_grad=True)
    w2 = torch.tensor(-3.0, requires_grad=True)
    h = 1 / (1 + torch.exp(-(w0 * x0 + w1 * x1 + w2)))
    h.backward()
    return [t.grad.item() for t in (w0, x0, w1, x1, w2)]


def run_b2(settings: Settings, server: ServerProcess, result: Result) -> None:
    import gradrpc
    import torch

    session = gradrpc.default_session()
    repeats = settings.pick(200, 50)
    expected = _chain(torch)
    got = _chain(gradrpc)
    before = session.rpc_count
    us = median_time(lambda: _chain(gradrpc), repeats) * 1e6
    rpcs = (session.rpc_count - before) / repeats
    local = median_time(lambda: _chain(torch), repeats) * 1e6
    result.data["B2"] = {
        "gradrpc_us": us,
        "rpcs": rpcs,
        "torch_local_us": local,
        "gradients_match": all(abs(a - b) < 1e-6 for a, b in zip(got, expected, strict=True)),
    }
    result.row(
        "B2",
        "sigmoid chain: forward, backward, 5 grads",
        us,
        "µs",
        f"{us / local:.1f}x local torch",
        "",
        f"{rpcs:.1f} RPC",
    )
    result.row("B2", "sigmoid chain, local torch", local, "µs")


def run_b5(settings: Settings, server: ServerProcess, result: Result) -> None:
    import gradrpc

    session = gradrpc.default_session()
    ops = settings.pick(10_000, 2_000)

    def burst():
        x = gradrpc.zeros(())
        for _ in range(ops):
            x = x + 1
        return x.item()

    assert burst() == ops
    before = session.rpc_count
    repeats = settings.pick(3, 1)
    seconds = median_time(burst, repeats)
    rpcs = (session.rpc_count - before) / repeats
    result.data["B5"] = {"ops": ops, "ops_per_second": ops / seconds, "rpcs": rpcs}
    result.row(
        "B5", f"{ops:,} x = x + 1, then item()", ops / seconds, "ops/s", "", "", f"{rpcs:.0f} RPC"
    )
