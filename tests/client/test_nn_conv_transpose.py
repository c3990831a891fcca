"""nn.ConvTranspose1d/2d/3d and nn.functional.conv_transpose1d/2d/3d against torch 2.13:
values, gradients of the input, weight and bias and the graph torch records, in float32 and
float64, over strides, paddings, output paddings, dilations and groups, batched and
unbatched; torch's errors at the line; the modules' reprs, parameters, initialization and
forward's output_size; and a training loop of a small decoder whose losses follow torch's."""

from __future__ import annotations

import math

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import (
    assert_trains_alike,
    check_error_at_line,
    check_same,
    graph_of,
    no_rpc,
    train_alike,
)

TOLERANCE = {"float32": {"rtol": 2e-5, "atol": 1e-5}, "float64": {"rtol": 1e-11, "atol": 1e-11}}


def _values(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).tolist()


# (function, input shape, weight shape (C_in, C_out / groups, *kernel), keyword arguments)
CASES = {
    "1d": ("conv_transpose1d", (2, 3, 6), (3, 4, 3), {}),
    "1d stride padding output_padding": (
        "conv_transpose1d",
        (2, 3, 5),
        (3, 2, 4),
        {"stride": 3, "padding": 1, "output_padding": 2},
    ),
    "1d groups dilation": (
        "conv_transpose1d",
        (2, 4, 5),
        (4, 3, 2),
        {"groups": 2, "dilation": 2, "output_padding": 1},
    ),
    "1d unbatched": ("conv_transpose1d", (3, 6), (3, 2, 3), {"stride": 2}),
    "2d": ("conv_transpose2d", (2, 3, 4, 5), (3, 5, 3, 3), {}),
    "2d stride output_padding": (
        "conv_transpose2d",
        (2, 2, 4, 4),
        (2, 3, 3, 3),
        {"stride": 2, "padding": 1, "output_padding": 1},
    ),
    "2d tuples": (
        "conv_transpose2d",
        (1, 3, 3, 4),
        (3, 2, 2, 3),
        {"stride": (2, 3), "padding": (0, 1), "output_padding": (1, 2), "dilation": (2, 1)},
    ),
    "2d groups": ("conv_transpose2d", (2, 6, 3, 3), (6, 2, 3, 3), {"groups": 3, "stride": 2}),
    "2d depthwise": ("conv_transpose2d", (2, 4, 4, 4), (4, 1, 3, 3), {"groups": 4}),
    "2d one by one": ("conv_transpose2d", (3, 4, 5, 5), (4, 2, 1, 1), {}),
    "2d output_padding under the dilation": (
        "conv_transpose2d",
        (1, 2, 3, 3),
        (2, 2, 2, 2),
        {"dilation": 3, "output_padding": 2},
    ),
    "2d unbatched": ("conv_transpose2d", (3, 4, 4), (3, 2, 3, 3), {"stride": 2}),
    "2d batch of 16 (oneDNN in torch)": ("conv_transpose2d", (16, 3, 3, 3), (3, 4, 2, 2), {}),
    "3d": (
        "conv_transpose3d",
        (2, 2, 2, 3, 2),
        (2, 3, 2, 2, 3),
        {"stride": (1, 2, 2), "padding": (0, 1, 0), "output_padding": (0, 1, 1)},
    ),
    "3d unbatched groups": ("conv_transpose3d", (4, 2, 2, 2), (4, 1, 2, 2, 2), {"groups": 2}),
}


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no bias"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES)
def test_values_gradients_and_graph_match_torch(case, dtype, bias) -> None:
    function, shape, weight_shape, kwargs = CASES[case]
    out_channels = weight_shape[1] * kwargs.get("groups", 1)

    def scenario(T):
        kind = getattr(T, dtype)
        x = T.tensor(_values(shape, 0), dtype=kind, requires_grad=True)
        w = T.tensor(_values(weight_shape, 1), dtype=kind, requires_grad=True)
        b = T.tensor(_values((out_channels,), 2), dtype=kind, requires_grad=True)
        y = getattr(T.nn.functional, function)(x, w, b if bias else None, **kwargs)
        y.backward(T.tensor(_values(tuple(y.shape), 3), dtype=kind))
        return y, graph_of(y.grad_fn), x.grad, w.grad, b.grad

    check_same(scenario, **TOLERANCE[dtype])


@pytest.mark.parametrize("needs", ["input", "weight", "bias", "weight and bias", "nothing"])
def test_edges_and_gradients_only_where_needed(needs) -> None:
    def scenario(T):
        x = T.tensor(_values((2, 3, 4, 4), 4), requires_grad="input" in needs)
        w = T.tensor(_values((3, 2, 3, 3), 5), requires_grad="weight" in needs)
        b = T.tensor(_values((2,), 6), requires_grad="bias" in needs)
        y = T.nn.functional.conv_transpose2d(x, w, b, stride=2, output_padding=1)
        if y.requires_grad:
            y.sum().backward()
        return y, graph_of(y.grad_fn), x.grad, w.grad, b.grad

    check_same(scenario, **TOLERANCE["float32"])


def test_integer_tensors_and_an_empty_batch_match_torch() -> None:
    def scenario(T):
        rng = np.random.default_rng(13)
        x = T.tensor(rng.integers(-5, 5, (2, 4, 3, 3)).tolist())
        w = T.tensor(rng.integers(-3, 3, (4, 2, 2, 2)).tolist())
        empty = T.ones(0, 3, 4, requires_grad=True)
        weight = T.ones(3, 2, 3, requires_grad=True)
        y = T.nn.functional.conv_transpose1d(empty, weight, stride=2)
        y.sum().backward()
        return (
            T.nn.functional.conv_transpose2d(x, w, T.tensor([1, -2]), stride=2),
            T.nn.functional.conv_transpose3d(x[None], w[None], groups=1),
            y,
            empty.grad,
            weight.grad,
        )

    check_same(scenario)


def test_arguments_torch_accepts() -> None:
    """Positional and keyword arguments, lists, torch.Size, one-element integer tensors and
    bools inside tuples where torch takes a tuple of ints."""

    def scenario(T):
        x = T.tensor(_values((1, 2, 4, 4), 9))
        w = T.tensor(_values((2, 2, 3, 3), 10))
        F = T.nn.functional
        return (
            F.conv_transpose2d(x, w, None, [2, 1], T.Size([1, 0]), (1, False), 1, (1, True)),
            F.conv_transpose2d(input=x, weight=w, dilation=2, groups=np.int64(1)),
            F.conv_transpose2d(x, w, stride=T.tensor([2]), output_padding=T.tensor(1)),
        )

    check_same(scenario, **TOLERANCE["float32"])


ERRORS = {
    "output_padding not under stride or dilation": lambda T: T.nn.functional.conv_transpose2d(
        T.ones(2, 4, 5, 5), T.ones(4, 3, 3, 3), output_padding=1
    ),
    "output_padding of a 1-d one": lambda T: T.nn.functional.conv_transpose1d(
        T.ones(1, 2, 3), T.ones(2, 2, 2), output_padding=1, stride=1
    ),
    "output_padding of a 3-d one": lambda T: T.nn.functional.conv_transpose3d(
        T.ones(1, 2, 3, 3, 3), T.ones(2, 2, 2, 2, 2), output_padding=(0, 2, 0), stride=2
    ),
    "negative output_padding": lambda T: T.nn.functional.conv_transpose2d(
        T.ones(2, 4, 5, 5), T.ones(4, 3, 3, 3), output_padding=-1
    ),
    "output_padding of three values": lambda T: T.nn.functional.conv_transpose2d(
        T.ones(2, 4, 5, 5), T.ones(4, 3, 3, 3), output_padding=(1, 1, 1)
    ),
    "channels": lambda T: T.nn.functional.conv_transpose2d(T.ones(2, 4, 5, 5), T.ones(3, 4, 3, 3)),
    "channels, unbatched": lambda T: T.nn.functional.conv_transpose1d(
        T.ones(4, 5), T.ones(3, 3, 3)
    ),
    "groups not dividing the input channels": lambda T: T.nn.functional.conv_transpose2d(
        T.ones(2, 4, 5, 5), T.ones(4, 3, 3, 3), groups=3
    ),
    "bias shape": lambda T: T.nn.functional.conv_transpose2d(
        T.ones(2, 4, 5, 5), T.ones(4, 3, 3, 3), T.ones(4)
    ),
    "double bias (oneDNN in torch)": lambda T: T.nn.functional.conv_transpose2d(
        T.ones(2, 4, 5, 5), T.ones(4, 3, 3, 3), T.ones(3, dtype=T.float64)
    ),
    "double weight": lambda T: T.nn.functional.conv_transpose2d(
        T.ones(1, 1, 5, 5), T.ones(1, 3, 3, 3, dtype=T.float64)
    ),
    "bool input": lambda T: T.nn.functional.conv_transpose2d(
        T.ones(1, 1, 5, 5, dtype=T.bool), T.ones(1, 3, 3, 3, dtype=T.bool)
    ),
    "output too small": lambda T: T.nn.functional.conv_transpose2d(
        T.ones(1, 1, 5, 5, dtype=T.float64), T.ones(1, 3, 3, 3, dtype=T.float64), padding=4
    ),
    "output too small (oneDNN in torch)": lambda T: T.nn.functional.conv_transpose2d(
        T.ones(2, 4, 5, 5), T.ones(4, 3, 3, 3), padding=4
    ),
    "2-d input": lambda T: T.nn.functional.conv_transpose2d(T.ones(5, 5), T.ones(4, 3, 3, 3)),
    "5-d input to conv_transpose2d": lambda T: T.nn.functional.conv_transpose2d(
        T.ones(1, 1, 4, 5, 5), T.ones(4, 3, 3, 3)
    ),
    "string padding": lambda T: T.nn.functional.conv_transpose2d(
        T.ones(2, 4, 5, 5), T.ones(4, 3, 3, 3), padding="same"
    ),
    "float in the stride tuple": lambda T: T.nn.functional.conv_transpose2d(
        T.ones(2, 4, 5, 5), T.ones(4, 3, 3, 3), None, (1.0, 1)
    ),
    "float groups": lambda T: T.nn.functional.conv_transpose2d(
        T.ones(2, 4, 5, 5), T.ones(4, 3, 3, 3), groups=1.0
    ),
    "None stride": lambda T: T.nn.functional.conv_transpose2d(
        T.ones(2, 4, 5, 5), T.ones(4, 3, 3, 3), stride=None
    ),
    "number bias": lambda T: T.nn.functional.conv_transpose2d(
        T.ones(2, 4, 5, 5), T.ones(4, 3, 3, 3), 3
    ),
    "list input": lambda T: T.nn.functional.conv_transpose2d([1.0], T.ones(4, 3, 3, 3)),
    "unknown keyword": lambda T: T.nn.functional.conv_transpose2d(
        T.ones(2, 4, 5, 5), T.ones(4, 3, 3, 3), foo=1
    ),
    "repeated argument": lambda T: T.nn.functional.conv_transpose2d(
        T.ones(2, 4, 5, 5), T.ones(4, 3, 3, 3), input=1
    ),
    "too many arguments": lambda T: T.nn.functional.conv_transpose2d(
        T.ones(2, 4, 5, 5), T.ones(4, 3, 3, 3), None, 1, 0, 0, 1, 1, 9
    ),
    "missing weight": lambda T: T.nn.functional.conv_transpose3d(T.ones(1, 1, 2, 2, 2)),
    "missing both": lambda T: T.nn.functional.conv_transpose1d(),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch_at_the_line(name: str) -> None:
    check_error_at_line(ERRORS[name])


# ---------------------------------------------------------------- modules


MODULES = {
    "ConvTranspose1d": lambda nn: nn.ConvTranspose1d(4, 6, 3),
    "ConvTranspose1d everything": lambda nn: nn.ConvTranspose1d(
        4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, bias=False, dilation=2
    ),
    "ConvTranspose2d": lambda nn: nn.ConvTranspose2d(2, 3, 3, stride=2, output_padding=1),
    "ConvTranspose2d tuples": lambda nn: nn.ConvTranspose2d(
        3, 8, (3, 5), stride=(2, 1), padding=(1, 2), dilation=(1, 2)
    ),
    "ConvTranspose2d float64": lambda nn: nn.ConvTranspose2d(
        2, 3, 2, bias=False, dtype=gradrpc.float64 if nn is gradrpc.nn else torch.float64
    ),
    "ConvTranspose3d": lambda nn: nn.ConvTranspose3d(2, 4, (1, 2, 3), stride=(1, 2, 1)),
}


@pytest.mark.parametrize("name", MODULES)
def test_module_repr_parameters_and_attributes_match_torch(name) -> None:
    def scenario(T):
        m = MODULES[name](T.nn)
        attributes = [
            getattr(m, a)
            for a in ("in_channels", "out_channels", "kernel_size", "stride", "padding")
        ] + [
            getattr(m, a)
            for a in ("dilation", "groups", "padding_mode", "transposed", "output_padding")
        ]
        return (
            repr(m),
            [(n, p.dtype, tuple(p.shape), p.requires_grad) for n, p in m.named_parameters()],
            list(m.state_dict()),
            attributes,
        )

    check_same(scenario)


@pytest.mark.parametrize("name", MODULES)
def test_module_forward_and_backward_match_torch_from_its_weights(name) -> None:
    """torch's initial weights loaded with load_state_dict: the same outputs and gradients."""
    torch.manual_seed(3)
    theirs = MODULES[name](torch.nn)
    ours = MODULES[name](gradrpc.nn)
    assert repr(ours.load_state_dict(theirs.state_dict())) == "<All keys matched successfully>"
    spatial = (5, 4, 3)[: len(theirs.kernel_size)]
    shape = (2, theirs.in_channels, *spatial)
    dtype = str(theirs.weight.dtype).split(".")[1]
    x_theirs = torch.tensor(_values(shape, 11), dtype=theirs.weight.dtype, requires_grad=True)
    x_ours = gradrpc.tensor(_values(shape, 11), dtype=dtype, requires_grad=True)
    y_theirs, y_ours = theirs(x_theirs), ours(x_ours)
    upstream = _values(tuple(y_theirs.shape), 12)
    y_theirs.backward(torch.tensor(upstream, dtype=theirs.weight.dtype))
    y_ours.backward(gradrpc.tensor(upstream, dtype=dtype))
    assert y_ours.grad_fn.name() == y_theirs.grad_fn.name() == "ConvolutionBackward0"
    for mine, other in [
        (y_ours, y_theirs),
        (x_ours.grad, x_theirs.grad),
        (ours.weight.grad, theirs.weight.grad),
        *([(ours.bias.grad, theirs.bias.grad)] if theirs.bias is not None else []),
    ]:
        np.testing.assert_allclose(
            mine.detach().numpy(), other.detach().numpy(), **TOLERANCE[dtype]
        )


@pytest.mark.parametrize(
    "output_size",
    [None, [9, 9], [10, 9], [2, 3, 10, 10], [8, 9], [11, 10], [9], [1, 3, 9, 9, 9]],
    ids=str,
)
def test_forward_output_size_matches_torch(output_size) -> None:
    """output_size picks output_padding within the stride's range; its ValueErrors."""

    def scenario(T):
        T.manual_seed(0)
        m = T.nn.ConvTranspose2d(2, 3, 3, stride=2)
        y = m(T.ones(2, 2, 4, 4), output_size=output_size)
        return tuple(y.shape), m(T.ones(2, 4, 4), output_size).shape

    check_same(scenario)


@pytest.mark.parametrize(
    ("in_channels", "out_channels", "kernel_size", "groups"),
    [(16, 3, 3, 1), (8, 8, (3, 5), 4), (8, 64, 3, 1)],
)
def test_init_is_torchs_kaiming_uniform_of_the_transposed_weight(
    in_channels, out_channels, kernel_size, groups
) -> None:
    """kaiming_uniform_(a=√5) and the bias's U(-1/√fan_in, 1/√fan_in), fan_in computed from
    the (in_channels, out_channels / groups, *kernel) weight as torch's: out_channels /
    groups · kernel taps; drawn on the server (no values sent)."""
    gradrpc.manual_seed(in_channels)
    session = gradrpc.default_session()
    session.flush()
    with no_rpc(session):
        m = gradrpc.nn.ConvTranspose2d(in_channels, out_channels, kernel_size, groups=groups)
    fan_in = out_channels // groups * math.prod(m.kernel_size)
    bound = 1 / math.sqrt(fan_in)
    weight, bias = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert weight.shape == (in_channels, out_channels // groups, *m.kernel_size)
    assert weight.dtype == np.float32 and bias.shape == (out_channels,)
    for values in (weight, bias):
        assert np.all(np.abs(values) <= bound) and np.abs(values).max() > bound / 4
    if weight.size >= 4_000:
        assert abs(weight.var() - bound**2 / 3) < 0.05 * bound**2 / 3


MODULE_ERRORS = {
    "padding_mode reflect": lambda T: T.nn.ConvTranspose2d(2, 3, 3, padding_mode="reflect"),
    "groups 0": lambda T: T.nn.ConvTranspose1d(4, 4, 3, groups=0),
    "out_channels not divisible": lambda T: T.nn.ConvTranspose1d(4, 3, 3, groups=2),
    "wrong channels in forward": lambda T: T.nn.ConvTranspose2d(3, 4, 3)(T.ones(1, 2, 5, 5)),
    "3-d input to ConvTranspose3d": lambda T: T.nn.ConvTranspose3d(1, 1, 1)(T.ones(2, 2, 2)),
    "output_padding not under the stride": lambda T: T.nn.ConvTranspose2d(
        2, 2, 3, output_padding=1
    )(T.ones(1, 2, 3, 3)),
}


@pytest.mark.parametrize("name", MODULE_ERRORS)
def test_module_errors_match_torch_at_the_line(name) -> None:
    check_error_at_line(MODULE_ERRORS[name])


def test_training_loop_of_a_small_decoder_matches_torch() -> None:
    """Ten Adam steps of Linear, Unflatten, ConvTranspose2d (strided, output_padding), ReLU,
    ConvTranspose2d and MSELoss, from torch's initial weights: the same losses."""
    torch.manual_seed(0)

    def build(nn):
        return nn.Sequential(
            nn.Linear(4, 3 * 3 * 3),
            nn.Unflatten(1, (3, 3, 3)),
            nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(4, 1, 3, padding=1, bias=False),
        )

    rng = np.random.default_rng(5)
    codes = rng.standard_normal((8, 4)).tolist()
    images = rng.standard_normal((8, 1, 6, 6)).tolist()
    runs = train_alike(
        build,
        lambda T, parameters: T.optim.Adam(parameters, lr=0.01),
        lambda T: T.nn.MSELoss(),
        lambda T: (T.tensor(codes), T.tensor(images)),
    )
    assert_trains_alike(runs)
