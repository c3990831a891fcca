"""B1: the seed's MLP training step, and B6: the server's memory over many steps.

N=64, D_in=1000, H=100, D_out=10, MSELoss(reduction='sum'), SGD lr=1e-6, float32. gradrpc
runs it with `gradrpc.nn`/`gradrpc.optim` where they exist, else with explicit tensors and
an in-place update under no_grad (the table says which ran).
"""

from __future__ import annotations

import time

import numpy as np

from .common import Result, ServerProcess, Settings, median_time

N, D_IN, H, D_OUT = 64, 1000, 100, 10
LR = 1e-6


def _data(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D_IN), dtype=np.float32)
    y = rng.standard_normal((N, D_OUT), dtype=np.float32)
    return x, y


class TorchLikeStep:
    """One training step written against a torch-like module (`torch` or `gradrpc`)."""

    def __init__(self, torch, prefer_nn: bool = True):
        x, y = _data()
        self.torch = torch
        self.x, self.y = torch.tensor(x), torch.tensor(y)
        nn, optim = getattr(torch, "nn", None), getattr(torch, "optim", None)
        if (
            prefer_nn
            and all(hasattr(nn, name) for name in ("Sequential", "Linear", "ReLU", "MSELoss"))
            and hasattr(optim, "SGD")
        ):
            self.variant = "nn.Sequential/Linear/MSELoss + optim.SGD"
            torch.manual_seed(0)
            self.model = nn.Sequential(nn.Linear(D_IN, H), nn.ReLU(), nn.Linear(H, D_OUT))
            self.loss_fn = nn.MSELoss(reduction="sum")
            self.optimizer = optim.SGD(self.model.parameters(), lr=LR)
            self.step = self._nn_step
        else:
            self.variant = "explicit tensors: mm + bias, relu, mse_loss(sum), w -= lr*w.grad"
            rng = np.random.default_rng(1)
            shapes = [(D_IN, H), (H,), (H, D_OUT), (D_OUT,)]
            self.params = [
                torch.tensor(
                    (rng.standard_normal(s) / np.sqrt(s[0] if len(s) == 2 else 1)).astype(
                        np.float32
                    ),
                    requires_grad=True,
                )
                for s in shapes
            ]
            self.step = self._explicit_step

    def _nn_step(self, read: bool) -> None:
        loss = self.loss_fn(self.model(self.x), self.y)
        if read:
            loss.item()
        loss.backward()
        self.optimizer.step()
        self.optimizer.zero_grad()

    def _explicit_step(self, read: bool) -> None:
        torch = self.torch
        w1, b1, w2, b2 = self.params
        pred = (self.x.mm(w1) + b1).relu().mm(w2) + b2
        loss = torch.nn.functional.mse_loss(pred, self.y, reduction="sum")
        if read:
            loss.item()
        loss.backward()
        with torch.no_grad():
            for p in self.params:
                p -= LR * p.grad
                p.grad.zero_()


class NumpyStep:
    """The same step by hand in NumPy (forward, backward, SGD), float32."""

    def __init__(self):
        self.x, self.y = _data()
        rng = np.random.default_rng(1)
        self.w1 = (rng.standard_normal((D_IN, H)) / np.sqrt(D_IN)).astype(np.float32)
        self.b1 = np.zeros(H, np.float32)
        self.w2 = (rng.standard_normal((H, D_OUT)) / np.sqrt(H)).astype(np.float32)
        self.b2 = np.zeros(D_OUT, np.float32)

    def step(self, read: bool) -> None:
        pre = self.x @ self.w1 + self.b1
        h = np.maximum(pre, 0)
        diff = h @ self.w2 + self.b2 - self.y
        loss = float((diff * diff).sum())  # always computed; reading it is free
        del loss
        g = 2 * diff
        gw2, gb2 = h.T @ g, g.sum(0)
        gh = g @ self.w2.T
        gh[pre <= 0] = 0
        gw1, gb1 = self.x.T @ gh, gh.sum(0)
        self.w1 -= LR * gw1
        self.b1 -= LR * gb1
        self.w2 -= LR * gw2
        self.b2 -= LR * gb2


def _per_step(step, settings: Settings, read_every: int, counter=None, server=None):
    """(median µs per step, round trips per step, mean CPU µs per step of this process and
    of `server`'s) over blocks of steps."""
    steps = settings.pick(50, 20)
    repeats = settings.pick(7, 3)

    def block():
        for i in range(steps):
            step((i + 1) % read_every == 0)

    block()  # warm-up: compiles nothing here, but fills caches and the server's pools
    before = counter() if counter else None
    cpu_before = time.process_time(), server.cpu_seconds() if server else 0.0
    seconds = median_time(block, repeats) / steps
    per_step = 1e6 / (steps * repeats)
    cpu = (
        (time.process_time() - cpu_before[0]) * per_step,
        (server.cpu_seconds() - cpu_before[1]) * per_step if server else None,
    )
    rpcs = (counter() - before) / (steps * repeats) if counter else None
    return seconds * 1e6, rpcs, cpu


def _cpu_note(cpu: tuple[float, float | None]) -> str:
    client, server = cpu
    return f"CPU/step: client {client:,.0f} µs + server {server:,.0f} µs" if server else ""


def _rpc_counter():
    import gradrpc

    session = gradrpc.default_session()
    return (lambda: session.rpc_count) if hasattr(session, "rpc_count") else None


def run_b1(settings: Settings, server: ServerProcess, result: Result) -> None:
    import gradrpc
    import torch

    from . import torch_rpc

    data = result.data.setdefault("B1", {})
    step = TorchLikeStep(gradrpc)
    data["gradrpc_variant"] = step.variant
    counter = _rpc_counter()
    a_us, a_rpc, a_cpu = _per_step(step.step, settings, 1, counter, server)
    b_us, b_rpc, b_cpu = _per_step(step.step, settings, 10, counter, server)
    for key, us, rpcs, cpu in (
        ("gradrpc_read_every_step", a_us, a_rpc, a_cpu),
        ("gradrpc_read_every_10th", b_us, b_rpc, b_cpu),
    ):
        data[key] = {
            "us_per_step": us,
            "rpcs_per_step": rpcs,
            "client_cpu_us_per_step": cpu[0],
            "server_cpu_us_per_step": cpu[1],
        }

    default_threads = torch.get_num_threads()
    local, local_cpu = {}, {}
    for threads in (1, default_threads):
        torch.set_num_threads(threads)
        local_step = TorchLikeStep(torch)
        local[threads], _, (local_cpu[threads], _) = _per_step(local_step.step, settings, 1)
    torch.set_num_threads(default_threads)
    data["torch_local_1_thread"] = {
        "us_per_step": local[1],
        "cpu_us_per_step": local_cpu[1],
        "rpcs_per_step": 0,
    }
    data["torch_local_default_threads"] = {
        "us_per_step": local[default_threads],
        "cpu_us_per_step": local_cpu[default_threads],
        "threads": default_threads,
        "rpcs_per_step": 0,
    }
    numpy_us, _, (numpy_cpu, _) = _per_step(NumpyStep().step, settings, 1)
    data["numpy_by_hand"] = {"us_per_step": numpy_us, "cpu_us_per_step": numpy_cpu}
    rpc = torch_rpc.measure(settings)
    data["torch_distributed_rpc"] = rpc

    best_local = min(local.values())
    result.row(
        "B1",
        f"gradrpc (a) item() every step [{step.variant}]",
        a_us,
        "µs/step",
        f"{a_us / best_local:.2f}x local torch",
        "≤2x local torch",
        f"{a_rpc:.2f} RPC/step; {_cpu_note(a_cpu)}",
    )
    if rpc.get("us_per_step"):
        speedup = rpc["us_per_step"] / a_us
        result.row(
            "B1",
            "gradrpc (a) vs torch.distributed.rpc",
            speedup,
            "x faster",
            "",
            "≥3x faster than dist.rpc",
        )
    result.row(
        "B1",
        "gradrpc (b) item() every 10th step",
        b_us,
        "µs/step",
        f"{b_us / best_local:.2f}x local torch",
        "≤1.3x local torch",
        f"{b_rpc:.2f} RPC/step; {_cpu_note(b_cpu)}",
    )
    result.row(
        "B1",
        "local torch, 1 thread",
        local[1],
        "µs/step",
        "",
        "",
        f"CPU/step {local_cpu[1]:,.0f} µs",
    )
    result.row(
        "B1",
        f"local torch, {default_threads} threads",
        local[default_threads],
        "µs/step",
        "",
        "",
        f"CPU/step {local_cpu[default_threads]:,.0f} µs",
    )
    result.row(
        "B1",
        "NumPy by hand",
        numpy_us,
        "µs/step",
        f"{numpy_us / best_local:.2f}x local torch",
        "",
        f"CPU/step {numpy_cpu:,.0f} µs",
    )
    if rpc.get("us_per_step"):
        result.row(
            "B1",
            "torch.distributed.rpc (TensorPipe, 2 procs, remote model)",
            rpc["us_per_step"],
            "µs/step",
            f"{rpc['us_per_step'] / best_local:.2f}x local torch",
            "",
            f"{rpc['rpcs_per_step']} RPC/step ({rpc['rpcs_note']})",
        )
    else:
        result.row("B1", "torch.distributed.rpc", None, "", "", "", f"not run: {rpc['error']}")


def run_b6(settings: Settings, server: ServerProcess, result: Result) -> None:
    import gradrpc

    step = TorchLikeStep(gradrpc)
    marks = settings.pick((1000, 10000), (200, 1000))
    for _ in range(20):
        step.step(True)
    rss = {"start": server.rss_mib()}
    done = 0
    for mark in marks:
        for i in range(done, mark):
            step.step((i + 1) % 10 == 0)
        step.step(True)
        done = mark
        rss[str(mark)] = server.rss_mib()
    result.data["B6"] = {"variant": step.variant, "rss_mib": rss}
    growth = rss[str(marks[1])] - rss[str(marks[0])]
    for key, value in rss.items():
        label = "after warm-up (20 steps)" if key == "start" else f"after {key} steps"
        result.row("B6", f"server RSS {label}", value, "MiB")
    result.row(
        "B6", f"RSS growth {marks[0]} → {marks[1]} steps", growth, "MiB", "", "flat", step.variant
    )
