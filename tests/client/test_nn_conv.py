"""nn.Conv1d, nn.Conv2d, nn.Conv3d and nn.functional.conv1d/conv2d/conv3d against torch 2.13:
values and gradients of the input, weight and bias in float32 and float64 over shapes,
strides, paddings (ints, tuples, 'valid', 'same'), dilations and groups, batched and
unbatched; the graph torch records; torch's errors at the line; the modules' reprs,
parameters, initialization and state_dict; the checks on saved tensors; and a training loop
of a small CNN whose losses follow torch's."""

from __future__ import annotations

import math
import re
import subprocess
import sys
import warnings

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


# (function, input shape, weight shape, keyword arguments)
CASES = {
    "1d": ("conv1d", (2, 3, 9), (4, 3, 3), {}),
    "1d stride padding dilation": (
        "conv1d",
        (2, 3, 11),
        (4, 3, 3),
        {"stride": 2, "padding": 2, "dilation": 2},
    ),
    "1d groups": ("conv1d", (2, 4, 7), (6, 2, 2), {"groups": 2, "padding": (1,)}),
    "1d same odd": ("conv1d", (2, 3, 8), (4, 3, 5), {"padding": "same"}),
    "1d same even": ("conv1d", (2, 3, 8), (4, 3, 4), {"padding": "same"}),
    "1d same dilated": ("conv1d", (1, 2, 9), (3, 2, 4), {"padding": "same", "dilation": 3}),
    "1d valid": ("conv1d", (2, 3, 6), (2, 3, 3), {"padding": "valid"}),
    "1d unbatched": ("conv1d", (3, 9), (4, 3, 3), {"padding": 1}),
    "2d": ("conv2d", (2, 3, 7, 6), (5, 3, 3, 3), {}),
    "2d stride and padding tuples": (
        "conv2d",
        (2, 3, 9, 8),
        (4, 3, 3, 2),
        {"stride": (2, 3), "padding": (1, 2)},
    ),
    "2d dilation": ("conv2d", (1, 2, 9, 9), (3, 2, 3, 3), {"dilation": (2, 3), "padding": 1}),
    "2d groups": ("conv2d", (2, 6, 6, 6), (9, 2, 3, 3), {"groups": 3, "stride": 2}),
    "2d depthwise": ("conv2d", (2, 4, 6, 6), (8, 1, 3, 3), {"groups": 4, "padding": 1}),
    "2d one by one": ("conv2d", (3, 4, 5, 5), (2, 4, 1, 1), {}),
    "2d same odd": ("conv2d", (2, 3, 6, 5), (4, 3, 3, 5), {"padding": "same"}),
    "2d same even": ("conv2d", (2, 3, 6, 6), (4, 3, 4, 2), {"padding": "same"}),
    "2d same even dilated": (
        "conv2d",
        (1, 3, 8, 8),
        (2, 3, 2, 3),
        {"padding": "same", "dilation": (3, 2)},
    ),
    "2d valid": ("conv2d", (2, 3, 6, 5), (4, 3, 3, 3), {"padding": "valid", "stride": 2}),
    "2d unbatched": ("conv2d", (3, 6, 6), (4, 3, 3, 3), {"padding": "same"}),
    "2d batch of 16 (oneDNN in torch)": ("conv2d", (16, 3, 5, 5), (4, 3, 3, 3), {"padding": 1}),
    "2d kernel as large as the input": ("conv2d", (2, 3, 4, 5), (2, 3, 4, 5), {}),
    "3d": ("conv3d", (2, 2, 4, 5, 4), (3, 2, 2, 3, 2), {"stride": (1, 2, 1), "padding": 1}),
    "3d unbatched same": ("conv3d", (2, 4, 4, 4), (3, 2, 3, 2, 3), {"padding": "same"}),
}


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no bias"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES)
def test_conv_values_gradients_and_graph_match_torch(case, dtype, bias) -> None:
    function, shape, weight_shape, kwargs = CASES[case]

    def scenario(T):
        kind = getattr(T, dtype)
        x = T.tensor(_values(shape, 0), dtype=kind, requires_grad=True)
        w = T.tensor(_values(weight_shape, 1), dtype=kind, requires_grad=True)
        b = T.tensor(_values((weight_shape[0],), 2), dtype=kind, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns once for an even 'same' kernel
            y = getattr(T.nn.functional, function)(x, w, b if bias else None, **kwargs)
        y.backward(T.tensor(_values(tuple(y.shape), 3), dtype=kind))
        return y, graph_of(y.grad_fn), x.grad, w.grad, b.grad

    check_same(scenario, **TOLERANCE[dtype])


@pytest.mark.parametrize(
    "needs",
    ["input", "weight", "bias", "input and bias", "weight and bias", "nothing"],
)
def test_conv_records_torchs_edges_and_gradients_only_where_needed(needs) -> None:
    """next_functions has an edge for input, weight and bias, None where one needs no
    gradient (or is absent); without any, no node at all."""

    def scenario(T):
        x = T.tensor(_values((2, 3, 5, 5), 4), requires_grad="input" in needs)
        w = T.tensor(_values((4, 3, 3, 3), 5), requires_grad="weight" in needs)
        b = T.tensor(_values((4,), 6), requires_grad="bias" in needs)
        y = T.nn.functional.conv2d(x, w, b, padding=1)
        if y.requires_grad:
            y.sum().backward()
        return y, graph_of(y.grad_fn), x.grad, w.grad, b.grad

    check_same(scenario, **TOLERANCE["float32"])


def test_conv_graph_reaches_views_and_earlier_ops() -> None:
    """The input's own history (a view, an op) and the weight's (a product) are the node's
    next functions, as torch's."""

    def scenario(T):
        x = T.tensor(_values((2, 5, 5, 3), 7), requires_grad=True)
        w = T.tensor(_values((4, 3, 2, 2), 8), requires_grad=True)
        y = T.nn.functional.conv2d((x * 2).permute(0, 3, 1, 2), w * 0.5, stride=2)
        y.relu().sum().backward()
        return y, graph_of(y.grad_fn), x.grad, w.grad

    check_same(scenario, **TOLERANCE["float32"])


def test_conv_of_integer_tensors_matches_torch() -> None:
    def scenario(T):
        rng = np.random.default_rng(13)
        x = T.tensor(rng.integers(-5, 5, (2, 3, 5, 5)).tolist())
        w = T.tensor(rng.integers(-3, 3, (4, 3, 3, 3)).tolist())
        b = T.tensor([1, -2, 3, 0])
        return T.nn.functional.conv2d(x, w, b, padding=1, stride=2), T.nn.functional.conv1d(
            x[:, :, 0], w[:, :, 0], dilation=2
        )

    check_same(scenario)


def test_conv_of_an_empty_batch_matches_torch() -> None:
    def scenario(T):
        x = T.ones(0, 3, 5, 5, requires_grad=True)
        w = T.ones(4, 3, 3, 3, requires_grad=True)
        b = T.ones(4, requires_grad=True)
        y = T.nn.functional.conv2d(x, w, b)
        y.sum().backward()
        return y, x.grad, w.grad, b.grad

    check_same(scenario)


def test_conv_arguments_torch_accepts() -> None:
    """Lists, torch.Size, numpy ints, one-element integer tensors and bools inside tuples
    where torch takes a tuple of ints; positional and keyword arguments."""

    def scenario(T):
        x = T.tensor(_values((1, 2, 7, 7), 9))
        w = T.tensor(_values((2, 2, 3, 3), 10))
        F = T.nn.functional
        return (
            F.conv2d(x, w, None, [2, 1], T.Size([1, 0]), (2, True), 1),
            F.conv2d(input=x, weight=w, stride=np.int64(2), groups=np.int64(1)),
            F.conv2d(x, w, stride=T.tensor([2]), padding=T.tensor(1)),
            F.conv2d(x, w, None, 1, "same"),
        )

    check_same(scenario, **TOLERANCE["float32"])


def test_same_padding_with_an_even_kernel_warns_as_torch_once() -> None:
    """torch's warning (a TORCH_WARN_ONCE, so compared with a fresh torch process), given
    once per process by gradrpc too, at the caller's line."""
    code = (
        "import warnings, torch\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        "    torch.nn.functional.conv1d(torch.ones(1, 1, 5), torch.ones(1, 1, 2), padding='same')\n"
        "print(str(w[0].message))\n"
    )
    expected = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()
    from gradrpc.tensor import _WARNED

    _WARNED.discard("conv_same")
    x, w = gradrpc.ones(1, 1, 5), gradrpc.ones(1, 1, 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gradrpc.nn.functional.conv1d(x, w, padding="same")
        gradrpc.nn.functional.conv1d(x, w, padding="same")
    assert [str(c.message) for c in caught] == [expected]
    assert caught[0].category is UserWarning and caught[0].filename == __file__


ERRORS = {
    "channels": lambda T: T.nn.functional.conv2d(T.ones(1, 4, 5, 5), T.ones(8, 3, 3, 3)),
    "channels with groups": lambda T: T.nn.functional.conv2d(
        T.ones(1, 4, 5, 5), T.ones(8, 3, 3, 3), groups=2
    ),
    "channels, unbatched": lambda T: T.nn.functional.conv1d(T.ones(4, 5), T.ones(8, 3, 3)),
    "kernel larger than the input": lambda T: T.nn.functional.conv2d(
        T.ones(1, 3, 2, 2), T.ones(8, 3, 3, 3)
    ),
    "dilated kernel larger than the padded input": lambda T: T.nn.functional.conv1d(
        T.ones(1, 3, 5), T.ones(2, 3, 3), padding=1, dilation=4
    ),
    "5-d input to conv2d": lambda T: T.nn.functional.conv2d(
        T.ones(1, 1, 3, 5, 5), T.ones(8, 3, 3, 3)
    ),
    "2-d input to conv2d": lambda T: T.nn.functional.conv2d(T.ones(5, 5), T.ones(8, 3, 3, 3)),
    "4-d input to conv1d": lambda T: T.nn.functional.conv1d(T.ones(1, 3, 5, 5), T.ones(8, 3, 3)),
    "1-d input to conv1d": lambda T: T.nn.functional.conv1d(T.ones(5), T.ones(8, 3, 3)),
    "3-d weight to conv2d": lambda T: T.nn.functional.conv2d(T.ones(1, 3, 5, 5), T.ones(8, 3, 3)),
    "2-d weight to conv1d": lambda T: T.nn.functional.conv1d(T.ones(1, 3, 5), T.ones(8, 3)),
    "stride of three values": lambda T: T.nn.functional.conv2d(
        T.ones(1, 3, 5, 5), T.ones(8, 3, 3, 3), stride=(1, 1, 1)
    ),
    "padding of two values to conv1d": lambda T: T.nn.functional.conv1d(
        T.ones(1, 3, 5), T.ones(8, 3, 3), padding=(1, 1)
    ),
    "empty dilation": lambda T: T.nn.functional.conv2d(
        T.ones(1, 3, 5, 5), T.ones(8, 3, 3, 3), dilation=()
    ),
    "negative padding": lambda T: T.nn.functional.conv2d(
        T.ones(1, 3, 5, 5), T.ones(8, 3, 3, 3), padding=-1
    ),
    "zero stride": lambda T: T.nn.functional.conv2d(
        T.ones(1, 3, 5, 5), T.ones(8, 3, 3, 3), stride=0
    ),
    "zero dilation": lambda T: T.nn.functional.conv2d(
        T.ones(1, 3, 7, 7), T.ones(8, 3, 3, 3), dilation=0
    ),
    "zero groups": lambda T: T.nn.functional.conv2d(
        T.ones(1, 3, 5, 5), T.ones(8, 3, 3, 3), groups=0
    ),
    "out channels not divisible by groups": lambda T: T.nn.functional.conv2d(
        T.ones(1, 6, 5, 5), T.ones(8, 2, 3, 3), groups=3
    ),
    "fewer out channels than groups": lambda T: T.nn.functional.conv2d(
        T.ones(1, 3, 5, 5), T.ones(2, 1, 3, 3), groups=3
    ),
    "bias shape": lambda T: T.nn.functional.conv2d(
        T.ones(1, 3, 5, 5), T.ones(8, 3, 3, 3), T.ones(7)
    ),
    "2-d bias": lambda T: T.nn.functional.conv2d(
        T.ones(1, 3, 5, 5), T.ones(8, 3, 3, 3), T.ones(8, 1)
    ),
    "same with stride": lambda T: T.nn.functional.conv2d(
        T.ones(1, 3, 5, 5), T.ones(8, 3, 3, 3), padding="same", stride=2
    ),
    "same with stride (1, 2)": lambda T: T.nn.functional.conv1d(
        T.ones(1, 3, 5), T.ones(8, 3, 3), padding="same", stride=(2,)
    ),
    "same with a stride of three values": lambda T: T.nn.functional.conv2d(
        T.ones(1, 3, 5, 5), T.ones(8, 3, 3, 3), padding="same", stride=(1, 1, 1)
    ),
    "same with a 3-d weight": lambda T: T.nn.functional.conv2d(
        T.ones(1, 3, 5, 5), T.ones(3, 3, 3), padding="same"
    ),
    "same with the wrong channels": lambda T: T.nn.functional.conv2d(
        T.ones(1, 4, 5, 5), T.ones(8, 3, 3, 3), padding="same"
    ),
    "valid with a kernel larger than the input": lambda T: T.nn.functional.conv2d(
        T.ones(1, 3, 2, 2), T.ones(8, 3, 3, 3), padding="valid"
    ),
    "unknown padding string": lambda T: T.nn.functional.conv2d(
        T.ones(1, 3, 5, 5), T.ones(8, 3, 3, 3), padding="SAME"
    ),
    "double input, float weight": lambda T: T.nn.functional.conv2d(
        T.ones(1, 3, 5, 5, dtype=T.float64), T.ones(8, 3, 3, 3)
    ),
    "float input, double weight": lambda T: T.nn.functional.conv2d(
        T.ones(1, 3, 5, 5), T.ones(8, 3, 3, 3, dtype=T.float64)
    ),
    "float input, double weight, batch of 16": lambda T: T.nn.functional.conv2d(
        T.ones(16, 3, 5, 5), T.ones(8, 3, 3, 3, dtype=T.float64)
    ),
    "long input, float weight": lambda T: T.nn.functional.conv1d(
        T.ones(1, 3, 5, dtype=T.int64), T.ones(8, 3, 3)
    ),
    "bool input": lambda T: T.nn.functional.conv2d(
        T.ones(1, 3, 5, 5, dtype=T.bool), T.ones(8, 3, 3, 3, dtype=T.bool)
    ),
    "bool input, dilated": lambda T: T.nn.functional.conv2d(
        T.ones(1, 3, 5, 5, dtype=T.bool), T.ones(8, 3, 3, 3), dilation=2
    ),
    "double bias": lambda T: T.nn.functional.conv2d(
        T.ones(1, 3, 5, 5), T.ones(8, 3, 3, 3), T.ones(8, dtype=T.float64)
    ),
    "bias dtype checked before the input's rank": lambda T: T.nn.functional.conv2d(
        T.ones(5, 5), T.ones(8, 3, 3, 3), T.ones(8, dtype=T.int64)
    ),
    "float stride": lambda T: T.nn.functional.conv2d(
        T.ones(1, 3, 5, 5), T.ones(8, 3, 3, 3), stride=1.5
    ),
    "float in the padding tuple": lambda T: T.nn.functional.conv2d(
        T.ones(1, 3, 5, 5), T.ones(8, 3, 3, 3), padding=(1, 1.0)
    ),
    "bool groups": lambda T: T.nn.functional.conv2d(
        T.ones(1, 3, 5, 5), T.ones(8, 3, 3, 3), groups=True
    ),
    "None dilation": lambda T: T.nn.functional.conv2d(
        T.ones(1, 3, 5, 5), T.ones(8, 3, 3, 3), dilation=None
    ),
    "list input": lambda T: T.nn.functional.conv1d([[1.0]], T.ones(1, 1, 1)),
    "number bias": lambda T: T.nn.functional.conv2d(T.ones(1, 3, 5, 5), T.ones(8, 3, 3, 3), 1),
    "unknown keyword": lambda T: T.nn.functional.conv3d(
        T.ones(1, 1, 2, 2, 2), T.ones(1, 1, 1, 1, 1), foo=1
    ),
    "too many arguments": lambda T: T.nn.functional.conv2d(
        T.ones(1, 3, 5, 5), T.ones(8, 3, 3, 3), None, 1, 0, 1, 1, 5
    ),
    "missing weight": lambda T: T.nn.functional.conv2d(T.ones(1, 3, 5, 5)),
}


@pytest.mark.parametrize("name", ERRORS)
def test_conv_errors_match_torch_at_the_line(name: str) -> None:
    check_error_at_line(ERRORS[name])


def test_in_place_change_of_a_saved_tensor_fails_backward_as_torch_s() -> None:
    """The node saves input and weight whatever needs a gradient: changing either in place
    makes backward fail (gradrpc's at the next read), the bias does not."""
    for changed in ("input", "weight", "bias"):

        def scenario(T, changed=changed):
            x = T.ones(1, 2, 4, 4, requires_grad=True)
            h = x * 1
            w = T.ones(3, 2, 2, 2) * 1  # needs no gradient, still saved
            b = T.zeros(3, requires_grad=True) * 1
            y = T.nn.functional.conv2d(h, w, b)
            {"input": h, "weight": w, "bias": b}[changed].add_(1.0)
            y.sum().backward()
            return x.grad.sum().item()

        if changed == "bias":
            assert scenario(gradrpc) == scenario(torch)
            continue
        with pytest.raises(RuntimeError) as theirs:
            scenario(torch)
        with pytest.raises(RuntimeError) as ours:
            scenario(gradrpc)
        assert str(ours.value).split("\n")[0] == str(theirs.value), changed
    assert (gradrpc.ones(2) * 3).sum().item() == 6.0


# ---------------------------------------------------------------- modules


def _dtype(nn, name):
    return getattr(gradrpc if nn is gradrpc.nn else torch, name)


MODULES = {
    "Conv1d": lambda nn: nn.Conv1d(4, 6, 3),
    "Conv1d everything": lambda nn: nn.Conv1d(
        4, 6, 3, stride=2, padding=1, dilation=2, groups=2, bias=False
    ),
    "Conv1d same": lambda nn: nn.Conv1d(4, 6, (4,), padding="same"),
    "Conv1d valid": lambda nn: nn.Conv1d(4, 6, 3, padding="valid"),
    "Conv1d padding (0,)": lambda nn: nn.Conv1d(4, 6, 3, padding=(0,)),
    "Conv2d": lambda nn: nn.Conv2d(3, 8, 3),
    "Conv2d tuples": lambda nn: nn.Conv2d(3, 8, (3, 5), stride=(2, 1), padding=(1, 2)),
    "Conv2d groups": lambda nn: nn.Conv2d(4, 8, 3, groups=4, dilation=(1, 2)),
    "Conv2d float64": lambda nn: nn.Conv2d(2, 3, 2, bias=False, dtype=_dtype(nn, "float64")),
    "Conv2d same": lambda nn: nn.Conv2d(3, 4, 3, padding="same", dilation=2),
    "Conv2d padding_mode zeros": lambda nn: nn.Conv2d(3, 4, 1, padding_mode="zeros"),
    "Conv3d": lambda nn: nn.Conv3d(2, 4, (1, 2, 3), stride=(1, 2, 1), padding=1),
    "in a Sequential": lambda nn: nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten()),
}


@pytest.mark.parametrize("name", MODULES)
def test_conv_module_repr_parameters_and_attributes_match_torch(name) -> None:
    def scenario(T):
        m = MODULES[name](T.nn)
        attributes = [
            getattr(m, a, None)
            for a in ("in_channels", "out_channels", "kernel_size", "stride", "padding")
        ] + [
            getattr(m, a, None)
            for a in ("dilation", "groups", "padding_mode", "transposed", "output_padding")
        ]
        return (
            repr(m),
            [(n, p.dtype, tuple(p.shape), p.requires_grad) for n, p in m.named_parameters()],
            list(m.state_dict()),
            attributes,
            getattr(m, "_reversed_padding_repeated_twice", None),
        )

    check_same(scenario)


@pytest.mark.parametrize("name", [n for n in MODULES if n != "in a Sequential"])
def test_conv_module_forward_and_backward_match_torch_from_its_weights(name) -> None:
    """torch's initial weights loaded with load_state_dict: the same outputs and gradients."""
    torch.manual_seed(3)
    theirs = MODULES[name](torch.nn)
    ours = MODULES[name](gradrpc.nn)
    assert repr(ours.load_state_dict(theirs.state_dict())) == "<All keys matched successfully>"
    spatial = {"Conv1d": (9,), "Conv2d": (7, 6), "Conv3d": (4, 5, 6)}[name.split()[0]]
    shape = (2, theirs.in_channels, *spatial)
    dtype = theirs.weight.dtype
    x_theirs = torch.tensor(_values(shape, 11), dtype=dtype, requires_grad=True)
    x_ours = gradrpc.tensor(_values(shape, 11), dtype=str(dtype).split(".")[1])
    x_ours.requires_grad_(True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y_theirs, y_ours = theirs(x_theirs), ours(x_ours)
    upstream = _values(tuple(y_theirs.shape), 12)
    y_theirs.backward(torch.tensor(upstream, dtype=dtype))
    y_ours.backward(gradrpc.tensor(upstream, dtype=str(dtype).split(".")[1]))
    tolerance = TOLERANCE[str(dtype).split(".")[1]]
    assert y_ours.grad_fn.name() == y_theirs.grad_fn.name()
    for mine, other in [
        (y_ours, y_theirs),
        (x_ours.grad, x_theirs.grad),
        (ours.weight.grad, theirs.weight.grad),
        *([(ours.bias.grad, theirs.bias.grad)] if theirs.bias is not None else []),
    ]:
        np.testing.assert_allclose(mine.detach().numpy(), other.detach().numpy(), **tolerance)
    state = ours.state_dict()
    assert list(state) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(state[key].detach().numpy(), value.detach().numpy())


@pytest.mark.parametrize(
    ("in_channels", "out_channels", "kernel_size", "groups"),
    [(3, 16, 3, 1), (8, 8, (3, 5), 4), (64, 32, 3, 1)],
)
def test_conv_init_is_torchs_kaiming_uniform_and_bias_bounds(
    in_channels, out_channels, kernel_size, groups
) -> None:
    """kaiming_uniform_(a=√5) and U(-1/√fan_in, 1/√fan_in): both within 1/√fan_in, fan_in =
    in_channels / groups · kernel taps, drawn on the server (no values sent)."""
    gradrpc.manual_seed(in_channels)
    session = gradrpc.default_session()
    session.flush()
    with no_rpc(session):
        m = gradrpc.nn.Conv2d(in_channels, out_channels, kernel_size, groups=groups)
    fan_in = in_channels // groups * math.prod(m.kernel_size)
    bound = 1 / math.sqrt(fan_in)
    weight, bias = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert weight.dtype == np.float32 and bias.shape == (out_channels,)
    for values in (weight, bias):
        assert np.all(np.abs(values) <= bound) and np.abs(values).max() > bound / 4
    if weight.size >= 10_000:
        assert abs(weight.var() - bound**2 / 3) < 0.05 * bound**2 / 3
    before = weight.copy()
    m.reset_parameters()
    assert not np.array_equal(m.weight.detach().numpy(), before)
    assert m.weight.is_leaf and m.weight.requires_grad


MODULE_ERRORS = {
    "groups 0": lambda T: T.nn.Conv2d(4, 4, 3, groups=0),
    "in_channels not divisible": lambda T: T.nn.Conv2d(3, 4, 3, groups=2),
    "out_channels not divisible": lambda T: T.nn.Conv1d(4, 3, 3, groups=2),
    "same with stride": lambda T: T.nn.Conv1d(3, 4, 3, padding="same", stride=2),
    "wrong channels in forward": lambda T: T.nn.Conv2d(3, 4, 3)(T.ones(1, 2, 5, 5)),
    "kernel larger than the input in forward": lambda T: T.nn.Conv1d(3, 4, 5)(T.ones(1, 3, 4)),
    "3-d input to Conv3d": lambda T: T.nn.Conv3d(1, 1, 1)(T.ones(2, 2, 2)),
}


@pytest.mark.parametrize("name", MODULE_ERRORS)
def test_conv_module_errors_match_torch_at_the_line(name) -> None:
    check_error_at_line(MODULE_ERRORS[name])


def _sets_sorted(message: str) -> str:
    """A message with each {...} set's elements sorted: Python prints a set in an order that
    depends on the hash seed and on how the file that built it was compiled."""
    return re.sub(r"\{[^}]*\}", lambda m: str(sorted(m.group(0)[1:-1].split(", "))), message)


@pytest.mark.parametrize(
    "build",
    [
        lambda T: T.nn.Conv2d(3, 4, 3, padding="full"),
        lambda T: T.nn.Conv2d(3, 4, 3, padding_mode="mirror"),
    ],
    ids=["unknown padding string", "unknown padding_mode"],
)
def test_conv_module_value_errors_match_torch_up_to_set_order(build) -> None:
    with pytest.raises(ValueError) as theirs:
        build(torch)
    with pytest.raises(ValueError) as ours:
        build(gradrpc)
    assert _sets_sorted(str(ours.value)) == _sets_sorted(str(theirs.value))


def test_training_loop_of_a_small_cnn_matches_torch() -> None:
    """Ten SGD steps of Conv2d, ReLU, Conv2d (strided, 'same' not allowed there), ReLU,
    Flatten, Linear and CrossEntropyLoss from torch's initial weights: the same losses."""
    torch.manual_seed(0)

    def build(nn):
        return nn.Sequential(
            nn.Conv2d(1, 4, 3, padding="same"),
            nn.ReLU(),
            nn.Conv2d(4, 6, 3, stride=2, padding=1, bias=False),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(6 * 4 * 4, 3),
        )

    rng = np.random.default_rng(5)
    x = rng.standard_normal((8, 1, 8, 8)).tolist()
    labels = rng.integers(0, 3, 8).tolist()
    runs = train_alike(
        build,
        lambda T, parameters: T.optim.SGD(parameters, lr=0.1, momentum=0.9),
        lambda T: T.nn.CrossEntropyLoss(),
        lambda T: (T.tensor(x), T.tensor(labels)),
    )
    assert_trains_alike(runs)
