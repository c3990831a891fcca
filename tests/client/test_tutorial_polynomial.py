"""The nn example of PyTorch's "Learning PyTorch with Examples" (the tutorial seed 001's loop
comes from, in its current form): fit a third-order polynomial to sin(x) on
linspace(-π, π, 2000), Sequential(Linear(3, 1), Flatten(0, 1)), MSELoss(sum), a manual SGD
step under no_grad. Run as written under both libraries from the same initial weights, it
must print the same losses and coefficients (to float32 precision)."""

from __future__ import annotations

import math

import gradrpc
import numpy as np
import torch

STEPS = 500


def _fit(lib, weight: np.ndarray, bias: np.ndarray) -> tuple[list[float], list[float]]:
    x = lib.linspace(-math.pi, math.pi, 2000)
    y = lib.sin(x)
    p = lib.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    model = lib.nn.Sequential(lib.nn.Linear(3, 1), lib.nn.Flatten(0, 1))
    with lib.no_grad():
        model[0].weight.copy_(lib.tensor(weight))
        model[0].bias.copy_(lib.tensor(bias))
    loss_fn = lib.nn.MSELoss(reduction="sum")
    learning_rate = 1e-6
    losses = []
    for t in range(STEPS):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        if t % 100 == 99:
            losses.append(loss.item())
        model.zero_grad()
        loss.backward()
        with lib.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
    linear_layer = model[0]
    coefficients = [linear_layer.bias.item()] + [linear_layer.weight[:, i].item() for i in range(3)]
    return losses, coefficients


def test_the_polynomial_fit_prints_what_torch_prints() -> None:
    rng = np.random.default_rng(0)
    weight = rng.uniform(-0.5, 0.5, (1, 3)).astype(np.float32)
    bias = rng.uniform(-0.5, 0.5, (1,)).astype(np.float32)
    expected = _fit(torch, weight, bias)
    actual = _fit(gradrpc, weight, bias)
    for ours, theirs in zip(actual, expected, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    assert actual[0][-1] < actual[0][0]  # it learns
