"""nn.Dropout1d/2d/3d, nn.AlphaDropout, nn.FeatureAlphaDropout and their functional forms
against torch 2.13: the input itself outside training or at p = 0, input * 0 at p = 1, the
graph torch records in training (MulBackward0, AddBackward0 for alpha dropout, Unsqueeze and
Squeeze around an unbatched input), the values a draw can take and their gradients, one draw
per channel for the feature forms, the statistics of the draws, reprs, torch's warnings and
errors. The draws are the session's, not torch's."""

from __future__ import annotations

import math
import warnings

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import check_error_at_line, check_same, graph_of

ALPHA = 1.7580993408473766
FEATURE = {  # function, input shape
    "dropout1d": ("dropout1d", (4, 40, 5)),
    "dropout1d unbatched": ("dropout1d", (40, 5)),
    "dropout2d": ("dropout2d", (4, 40, 3, 2)),
    "dropout3d": ("dropout3d", (2, 40, 2, 2, 3)),
    "dropout3d unbatched": ("dropout3d", (40, 2, 2, 3)),
    "feature_alpha_dropout": ("feature_alpha_dropout", (4, 40, 5)),
}
ALL = {**FEATURE, "alpha_dropout": ("alpha_dropout", (4, 6, 5))}


def _call(T, function, x, p, training, inplace=False):
    return getattr(T.nn.functional, function)(x, p, training, inplace)


def _rounded_set(t) -> list[float]:
    return sorted({round(v, 5) for v in t.detach().reshape(-1).tolist()})


@pytest.mark.parametrize("case", ALL)
def test_outside_training_and_at_p_0_the_input_itself_at_p_1_zeros(case) -> None:
    function, shape = ALL[case]

    def scenario(T):
        x = T.ones(*shape, requires_grad=True)
        zeros = _call(T, function, x * 2, 1.0, True)
        zeros.sum().backward()
        return (
            _call(T, function, x, 0.4, False) is x,
            _call(T, function, x, 0.0, True) is x,
            _call(T, function, T.ones(0, 3, 2), 0.5, True).shape,
            zeros,
            graph_of(zeros.grad_fn),
            x.grad,
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_same(scenario)


@pytest.mark.parametrize("case", ALL)
def test_training_records_torch_s_graph_and_values(case) -> None:
    """The graph and the set of values a draw can give (and their gradients) are torch's."""
    function, shape = ALL[case]

    def scenario(T):
        x = T.ones(*shape, requires_grad=True)
        y = _call(T, function, x * 2, 0.3, True)
        y.sum().backward()
        return graph_of(y.grad_fn), y.shape, y.dtype, _rounded_set(y), _rounded_set(x.grad)

    expected = check_same(scenario)
    assert len(expected[1][3]) == 2  # both outcomes of the draw are there


@pytest.mark.parametrize("case", FEATURE)
def test_feature_forms_draw_once_per_channel(case) -> None:
    function, shape = FEATURE[case]
    x = gradrpc.ones(*shape, dtype=gradrpc.float64)
    y = _call(gradrpc, function, x, 0.5, True).numpy()
    channels = y.reshape(*y.shape[: 1 if "unbatched" in case else 2], -1)
    assert (channels == channels[..., :1]).all()  # one value per channel
    assert len(np.unique(channels[..., 0])) == 2  # different channels drop differently


def test_dropout1d_drops_about_p_of_the_channels_and_scales_the_rest() -> None:
    x = gradrpc.ones(400, 50, 2)
    y = gradrpc.nn.functional.dropout1d(x, 0.25).numpy()
    assert set(np.unique(y).tolist()) == {0.0, np.float32(1 / 0.75)}
    assert abs((y[:, :, 0] == 0).mean() - 0.25) < 0.02  # ~6 standard deviations
    assert (gradrpc.nn.functional.dropout1d(x, 0.25).numpy() != y).any()  # fresh draws


def test_alpha_dropout_keeps_zero_mean_and_unit_variance() -> None:
    """Of a standard normal input, as torch's does: the two affine maps the draws pick are
    torch's, and the mean and variance stay 0 and 1."""
    rng = np.random.default_rng(0)
    values = rng.standard_normal(200_000)
    y = gradrpc.nn.functional.alpha_dropout(gradrpc.tensor(values), 0.2, True).numpy()
    a = 1 / math.sqrt((ALPHA**2 * 0.2 + 1) * 0.8)
    dropped = np.isclose(y, -ALPHA * a + ALPHA * a * 0.2)
    kept = np.isclose(y, values * a + ALPHA * a * 0.2)
    assert (dropped | kept).all()
    assert abs(dropped.mean() - 0.2) < 0.006
    assert abs(y.mean()) < 0.02 and abs(y.var() - 1) < 0.02


def test_in_place_forms_record_torch_s_graph() -> None:
    def scenario(T):
        x = T.ones(4, 6, 5, requires_grad=True)
        h, g = x * 3, x * 2
        T.nn.functional.dropout1d(h, 0.5, inplace=True)
        T.nn.functional.alpha_dropout(g, 0.5, True, inplace=True)
        return graph_of(h.grad_fn), _rounded_set(h), graph_of(g.grad_fn), _rounded_set(g)

    check_same(scenario)


def test_modules_match_torch() -> None:
    """Reprs; eval mode is the input itself; AlphaDropout and FeatureAlphaDropout follow the
    module's training flag."""

    def scenario(T):
        nn = T.nn
        layers = [
            nn.Dropout1d(),
            nn.Dropout2d(0.2, inplace=True),
            nn.Dropout3d(0.3),
            nn.AlphaDropout(0.2),
            nn.FeatureAlphaDropout(inplace=True),
        ]
        x = T.ones(2, 3, 4, 5, 6, requires_grad=True)
        trained = [graph_of(m(x * 1).grad_fn) for m in layers[2:4]]
        for m in layers:
            m.eval()
        return [repr(m) for m in layers], [m(x) is x for m in layers], trained

    check_same(scenario)


def _warnings_of(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [(w.category, str(w.message), w.filename) for w in caught]


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.nn.functional.dropout2d(T.ones(3, 4, 5), 0.5),
        lambda T: T.nn.functional.dropout2d(T.ones(3, 4), 0.5),
        lambda T: T.nn.functional.dropout3d(T.ones(3, 4, 5), 0.5),
        lambda T: T.nn.functional.dropout3d(T.ones(2, 3, 4, 5, 6, 2), 0.5, False),
    ],
    ids=["dropout2d 3D", "dropout2d 2D", "dropout3d 3D", "dropout3d 6D"],
)
def test_warnings_match_torch_at_the_caller(call) -> None:
    assert _warnings_of(lambda: call(gradrpc)) == _warnings_of(lambda: call(torch))


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.nn.functional.dropout1d(T.ones(3), 0.5),
        lambda T: T.nn.functional.dropout1d(T.ones(2, 3, 4, 5), 0.5),
        lambda T: T.nn.functional.dropout1d(T.ones(2, 3, 4), 1.5),
        lambda T: T.nn.functional.dropout1d(T.ones(2, 3, dtype=T.int64), 0.5),
        lambda T: T.nn.functional.feature_alpha_dropout(T.ones(3), 0.5, True),
        lambda T: T.nn.functional.alpha_dropout(T.ones(3, dtype=T.int64), 0.5, True),
        lambda T: T.nn.functional.alpha_dropout(T.ones(3), -0.5),
        lambda T: T.nn.Dropout2d(-1),
        lambda T: T.nn.AlphaDropout(2),
        lambda T: T.nn.FeatureAlphaDropout(1.01),
    ],
    ids=[
        "dropout1d 1D",
        "dropout1d 4D",
        "dropout1d p",
        "dropout1d int64",
        "feature_alpha_dropout 1D",
        "alpha_dropout int64",
        "alpha_dropout p",
        "Dropout2d p",
        "AlphaDropout p",
        "FeatureAlphaDropout p",
    ],
)
def test_errors_match_torch_at_the_line(call) -> None:
    check_error_at_line(call)
