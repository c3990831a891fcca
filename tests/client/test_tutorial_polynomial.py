"""The nn and optim examples of PyTorch's "Learning PyTorch with Examples" (the tutorial seed
001's loop comes from, in its current form): fit a third-order polynomial to sin(x) on
linspace(-π, π, 2000), Sequential(Linear(3, 1), Flatten(0, 1)), MSELoss(sum), and a manual
SGD step under no_grad or torch.optim.RMSprop. Run as written under both libraries from the
same initial weights, they must print the same losses and coefficients (to float32
precision, and for RMSprop near its optimum to the spread torch's own results have there)."""

from __future__ import annotations

import math

import gradrpc
import numpy as np
import torch

STEPS = 500


def _problem(lib, weight: np.ndarray, bias: np.ndarray):
    """The tutorial's data, features x, x^2, x^3, model (from the given weights) and loss."""
    x = lib.linspace(-math.pi, math.pi, 2000)
    y = lib.sin(x)
    p = lib.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    model = lib.nn.Sequential(lib.nn.Linear(3, 1), lib.nn.Flatten(0, 1))
    with lib.no_grad():
        model[0].weight.copy_(lib.tensor(weight))
        model[0].bias.copy_(lib.tensor(bias))
    return xx, y, model, lib.nn.MSELoss(reduction="sum")


def _coefficients(model) -> list[float]:
    linear_layer = model[0]
    return [linear_layer.bias.item()] + [linear_layer.weight[:, i].item() for i in range(3)]


def _fit(lib, weight: np.ndarray, bias: np.ndarray) -> tuple[list[float], list[float]]:
    xx, y, model, loss_fn = _problem(lib, weight, bias)
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
    return losses, _coefficients(model)


def test_the_polynomial_fit_prints_what_torch_prints() -> None:
    rng = np.random.default_rng(0)
    weight = rng.uniform(-0.5, 0.5, (1, 3)).astype(np.float32)
    bias = rng.uniform(-0.5, 0.5, (1,)).astype(np.float32)
    expected = _fit(torch, weight, bias)
    actual = _fit(gradrpc, weight, bias)
    for ours, theirs in zip(actual, expected, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    assert actual[0][-1] < actual[0][0]  # it learns


def _fit_with_optim(lib, weight: np.ndarray, bias: np.ndarray):
    """The tutorial's optim example: the same model, torch.optim.RMSprop(lr=1e-3) doing the
    update (zero_grad, backward, step), over the tutorial's full 2,000 steps."""
    xx, y, model, loss_fn = _problem(lib, weight, bias)
    learning_rate = 1e-3
    optimizer = lib.optim.RMSprop(model.parameters(), lr=learning_rate)
    losses = []
    for t in range(2000):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        if t % 100 == 99:
            losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses, _coefficients(model)


def test_the_rmsprop_fit_prints_what_torch_prints() -> None:
    """Its losses agree to float32 precision while it converges (the first 14 of 20
    printed). Near the optimum RMSprop divides each step by the root of a running mean of
    squared gradients, so steps of about lr go on whatever the gradient's size, and an ulp in a
    gradient moves the last losses by up to 0.4% and the two coefficients that are zero in the
    fit (1e-9) anywhere near zero: torch itself, started from a weight one ulp away, prints
    losses 0.05% apart there and flips the constant term's sign. So those are checked to that
    spread, and the x and x^3 coefficients to 1e-4."""
    rng = np.random.default_rng(1)
    weight = rng.uniform(-0.5, 0.5, (1, 3)).astype(np.float32)
    bias = rng.uniform(-0.5, 0.5, (1,)).astype(np.float32)
    expected_losses, expected = _fit_with_optim(torch, weight, bias)
    actual_losses, actual = _fit_with_optim(gradrpc, weight, bias)
    np.testing.assert_allclose(actual_losses[:14], expected_losses[:14], rtol=1e-5)
    np.testing.assert_allclose(actual_losses[14:], expected_losses[14:], rtol=1e-2)
    np.testing.assert_allclose(actual[1::2], expected[1::2], rtol=1e-4)  # x, x^3
    np.testing.assert_allclose(actual[0::2], expected[0::2], atol=1e-6)  # 1, x^2: about 0
    assert actual_losses[-1] < actual_losses[0] / 1000  # it learns
