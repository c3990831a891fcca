"""B1's reference: the MLP step with `torch.distributed.rpc`, distributed autograd and a
remote model (two processes on 127.0.0.1, world_size 2, TensorPipe backend).

Rank 1 holds the model; rank 0 holds the data, calls the model's forward remotely, computes
the loss, runs distributed backward and a DistributedOptimizer step. Run as
`python -m benchmarks.torch_rpc --rank R --port P ...`; `measure()` starts both ranks.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from .common import ROOT, Settings, free_port

# Per step: the forward call, distributed backward reaching rank 1, the optimizer's step on
# rank 1, and the release of the autograd context on rank 1 (one-way messages included).
RPCS_PER_STEP = 4
RPCS_NOTE = "forward, backward, optimizer step, context release; by design"


class _Model:
    def __init__(self):
        import torch

        torch.manual_seed(0)
        self.net = torch.nn.Sequential(
            torch.nn.Linear(1000, 100), torch.nn.ReLU(), torch.nn.Linear(100, 10)
        )

    def forward(self, x):
        return self.net(x)

    def parameter_rrefs(self):
        from torch.distributed.rpc import RRef

        return [RRef(p) for p in self.net.parameters()]


def _trainer(steps: int, repeats: int) -> dict:
    import torch
    import torch.distributed.autograd as dist_autograd
    from torch.distributed import rpc
    from torch.distributed.optim import DistributedOptimizer

    from .mlp import LR, _data

    x, y = (torch.from_numpy(a) for a in _data())
    model = rpc.remote("ps", _Model)
    optimizer = DistributedOptimizer(torch.optim.SGD, model.rpc_sync().parameter_rrefs(), lr=LR)
    loss_fn = torch.nn.MSELoss(reduction="sum")

    def step():
        with dist_autograd.context() as context:
            loss = loss_fn(model.rpc_sync().forward(x), y)
            loss.item()
            dist_autograd.backward(context, [loss])
            optimizer.step(context)

    for _ in range(steps):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        times.append((time.perf_counter() - start) / steps)
    return {"us_per_step": statistics.median(times) * 1e6}


def _main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rank", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    from torch.distributed import rpc

    options = rpc.TensorPipeRpcBackendOptions(
        init_method=f"tcp://127.0.0.1:{args.port}", num_worker_threads=4, rpc_timeout=60
    )
    name = "trainer" if args.rank == 0 else "ps"
    rpc.init_rpc(name, rank=args.rank, world_size=2, rpc_backend_options=options)
    result = _trainer(args.steps, args.repeats) if args.rank == 0 else None
    rpc.shutdown()
    if result is not None:
        print("RESULT " + json.dumps(result), flush=True)


def measure(settings: Settings) -> dict:
    """Run both ranks; the trainer's result, or {'error': why} if it cannot run here."""
    port = free_port()
    steps, repeats = settings.pick(50, 20), settings.pick(5, 3)
    env = {**os.environ, "TP_SOCKET_IFNAME": "lo", "GLOO_SOCKET_IFNAME": "lo"}
    command = [
        sys.executable,
        "-m",
        "benchmarks.torch_rpc",
        "--port",
        str(port),
        "--steps",
        str(steps),
        "--repeats",
        str(repeats),
    ]
    procs = [
        subprocess.Popen(
            [*command, "--rank", str(rank)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rank in (0, 1)
    ]
    try:
        out, err = procs[0].communicate(timeout=180)
        procs[1].communicate(timeout=30)
    except subprocess.TimeoutExpired:
        for p in procs:
            p.kill()
            p.communicate()
        return {"error": "timed out after 180 s"}
    for line in out.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT ") :])
            result.update(rpcs_per_step=RPCS_PER_STEP, rpcs_note=RPCS_NOTE)
            return result
    tail = (err.strip().splitlines() or ["no output"])[-1]
    return {"error": f"trainer exited {procs[0].returncode}: {tail}"}


if __name__ == "__main__":
    _main()
