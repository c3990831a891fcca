"""nn.init and Tensor.uniform_/normal_ against torch: gains and fans as torch computes them,
the distributions each initializer draws from (bounds and spread against torch's own draws
on the same shape; the numbers are the session's, not torch's), constants exactly, parameters
that stay leaves, seeded draws that repeat, and torch's errors at the line."""

from __future__ import annotations

import warnings

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import check_error_at_line, check_same


@pytest.mark.parametrize(
    ("nonlinearity", "param"),
    [
        ("linear", None),
        ("conv2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", 3),
        ("selu", None),
    ],
)
def test_gains_match_torch(nonlinearity, param):
    expected = torch.nn.init.calculate_gain(nonlinearity, param)
    assert gradrpc.nn.init.calculate_gain(nonlinearity, param) == expected


INITIALIZERS = {
    "uniform_": lambda init, w: init.uniform_(w, -0.5, 2.0),
    "normal_": lambda init, w: init.normal_(w, 1.0, 0.3),
    "xavier_uniform_": lambda init, w: init.xavier_uniform_(w, gain=2.0),
    "xavier_normal_": lambda init, w: init.xavier_normal_(w),
    "kaiming_uniform_": lambda init, w: init.kaiming_uniform_(w, a=5**0.5),
    "kaiming_uniform_ fan_out relu": lambda init, w: init.kaiming_uniform_(
        w, mode="fan_out", nonlinearity="relu"
    ),
    "kaiming_normal_": lambda init, w: init.kaiming_normal_(w, nonlinearity="tanh"),
}


@pytest.mark.parametrize("name", INITIALIZERS)
def test_draws_come_from_torch_s_distribution(name):
    """A 200x30x10 tensor (fans 300 and 2,000): the same range and spread as torch's draws."""
    theirs = torch.empty(200, 30, 10)
    INITIALIZERS[name](torch.nn.init, theirs)
    ours = gradrpc.empty(200, 30, 10, requires_grad=True)
    assert INITIALIZERS[name](gradrpc.nn.init, ours) is ours
    assert ours.is_leaf and ours.requires_grad and ours.grad_fn is None
    values, expected = ours.detach().numpy(), theirs.numpy()
    assert abs(values.mean() - expected.mean()) < 0.02 * expected.std() + 0.01
    assert values.std() == pytest.approx(expected.std(), rel=0.02)
    if "uniform" in name:  # the same bounds: both reach them within a small fraction
        assert values.min() == pytest.approx(expected.min(), rel=0.01)
        assert values.max() == pytest.approx(expected.max(), rel=0.01)


def test_constants_match_torch_and_parameters_stay_leaves():
    def scenario(T):
        layer = T.nn.Linear(3, 2)
        T.nn.init.constant_(layer.weight, 0.25)
        T.nn.init.zeros_(layer.bias)
        ones = T.nn.init.ones_(T.empty(2, 2, dtype=T.int64))
        return layer.weight, layer.bias, ones, layer.weight.is_leaf, layer.weight.grad_fn

    check_same(scenario)


def test_seeded_draws_repeat():
    def draw():
        gradrpc.manual_seed(7)
        return gradrpc.nn.init.normal_(gradrpc.empty(5)).tolist()

    assert draw() == draw()


def test_a_zero_element_tensor_is_left_with_torch_s_warning():
    w = gradrpc.empty(0, 3)
    with pytest.warns(UserWarning, match="^Initializing zero-element tensors is a no-op$"):
        assert gradrpc.nn.init.kaiming_uniform_(w) is w
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradrpc.nn.init.uniform_(w)


ERRORS = {
    "fans of a vector": lambda T: T.nn.init.xavier_uniform_(T.ones(3)),
    "an unknown mode": lambda T: T.nn.init.kaiming_uniform_(T.ones(3, 4), mode="x"),
    "an unknown nonlinearity": lambda T: T.nn.init.calculate_gain("foo"),
    "a slope that is not a number": lambda T: T.nn.init.calculate_gain("leaky_relu", "a"),
    "uniform_ the wrong way round": lambda T: T.ones(3).uniform_(2, 1),
    "normal_ with a negative std": lambda T: T.ones(3).normal_(0, -1.5),
    "uniform_ of int64": lambda T: T.ones(3, dtype=T.int64).uniform_(),
    "normal_ of bool": lambda T: T.ones(3, dtype=T.bool).normal_(),
    "a leaf that requires grad, outside no_grad": lambda T: T.ones(3, requires_grad=True).normal_(),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch_at_the_line(name):
    check_error_at_line(ERRORS[name])


def test_a_generator_is_refused_clearly():
    with pytest.raises(NotImplementedError, match=r"^gradrpc: generator="):
        gradrpc.ones(3).uniform_(generator=object())
    assert np.isfinite(gradrpc.ones(3).uniform_().numpy()).all()
