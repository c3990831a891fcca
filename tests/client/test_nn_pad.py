"""nn.functional.pad in its four modes, the padding modules (ReflectionPad1d/2d/3d,
ReplicationPad*, CircularPad*, ConstantPad*, ZeroPad*), Conv1d/2d/3d's padding_mode and
Tensor.new_empty/new_zeros/new_ones/new_full against torch 2.13: values, gradients and the
graph (circular padding is torch's chain of CopySlices), dtypes, torch's errors at the line,
the modules' reprs, and a training loop of reflect-padded convolutions."""

from __future__ import annotations

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import assert_trains_alike, check_error_at_line, check_same, graph_of, train_alike

TOLERANCE = {"float32": {"rtol": 1e-6, "atol": 1e-6}, "float64": {"rtol": 1e-12, "atol": 1e-12}}


def _values(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).tolist()


# shape, pad: every (k+1)-D and (k+2)-D input the non-constant modes take, with negative pads
PADS = {
    "1d batched": ((2, 3, 5), (2, 4)),
    "1d unbatched": ((3, 5), (4, 1)),
    "1d removing": ((2, 3, 5), (-2, 3)),
    "2d batched": ((2, 2, 4, 5), (1, 2, 3, 0)),
    "2d unbatched": ((2, 4, 5), (3, 1, 2, 2)),
    "2d removing": ((2, 2, 4, 5), (3, -1, -2, 2)),
    "3d batched": ((1, 2, 3, 4, 5), (1, 1, 2, 0, 0, 2)),
    "3d unbatched": ((2, 3, 4, 3), (2, 1, 1, 3, 2, 1)),
    "3d removing": ((1, 2, 3, 4, 3), (-1, 2, 1, -1, 2, -1)),
    "a pad of 0": ((2, 3, 4, 5), (0, 0, 1, 1)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("case", PADS)
def test_pad_values_gradients_and_graph_match_torch(case, mode, dtype) -> None:
    shape, pad = PADS[case]

    def scenario(T):
        kind = getattr(T, dtype)
        x = T.tensor(_values(shape, 0), dtype=kind, requires_grad=True)
        y = T.nn.functional.pad(x * 2, pad, mode=mode)
        y.backward(T.tensor(_values(tuple(y.shape), 1), dtype=kind))
        return y, y.dtype, graph_of(y.grad_fn), x.grad

    check_same(scenario, **TOLERANCE[dtype])


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_of_integers_and_bools_matches_torch(mode) -> None:
    for dtype in ("int64", "bool"):

        def scenario(T, dtype=dtype):
            x = T.tensor(_values((2, 3, 4), 2), dtype=T.float32) > 0
            x = x if dtype == "bool" else (x.long() * 7 - 3)
            return T.nn.functional.pad(x, (2, 1), mode=mode)

        check_same(scenario)


def test_pad_constant_value_and_many_dims_match_torch() -> None:
    def scenario(T):
        x = T.tensor(_values((2, 3, 2, 2), 3), requires_grad=True)
        y = T.nn.functional.pad(x, (1, 0, 0, 2, 1, 1, 1, 0), value=-1.5)
        ints = T.nn.functional.pad(T.arange(6).view(2, 3), [1, 1], "constant", 2.7)
        y.sum().backward()
        return y, graph_of(y.grad_fn), ints, x.grad, T.nn.functional.pad(x, ())

    check_same(scenario)


def test_pad_with_a_value_of_zero_takes_any_mode() -> None:
    def scenario(T):
        x = T.tensor(_values((1, 2, 3), 4))
        return [T.nn.functional.pad(x, (1, 2), m, 0) for m in ("reflect", "replicate", "circular")]

    check_same(scenario)


ERRORS = {
    "odd length": lambda T: T.nn.functional.pad(T.ones(2, 3), (1, 1, 1)),
    "too long": lambda T: T.nn.functional.pad(T.ones(2, 3), (1,) * 6),
    "unknown mode": lambda T: T.nn.functional.pad(T.ones(2, 3), (1, 1), mode="wrap"),
    "mode before length": lambda T: T.nn.functional.pad(T.ones(2, 3), (1, 1, 1), mode="wrap"),
    "value with reflect": lambda T: T.nn.functional.pad(T.ones(2, 3), (1, 1), "reflect", 2.0),
    "value with circular": lambda T: T.nn.functional.pad(T.ones(2, 3), (1, 1), "circular", 1),
    "1-d input": lambda T: T.nn.functional.pad(T.ones(5), (1, 1), mode="reflect"),
    "4-d input, one pair": lambda T: T.nn.functional.pad(T.ones(1, 2, 3, 4), (1, 1), "replicate"),
    "2-d input, two pairs": lambda T: T.nn.functional.pad(T.ones(3, 4), (1,) * 4, "circular"),
    "no pairs": lambda T: T.nn.functional.pad(T.ones(3, 4), [], mode="reflect"),
    "reflect too far": lambda T: T.nn.functional.pad(T.ones(2, 3, 4), (4, 1), mode="reflect"),
    "reflect too far, H": lambda T: T.nn.functional.pad(T.ones(1, 4, 5), (1, 1, 4, 0), "reflect"),
    "reflect too far, D": lambda T: T.nn.functional.pad(
        T.ones(1, 2, 3, 4, 5), (1, 1, 1, 1, 3, 0), "reflect"
    ),
    "reflect to nothing": lambda T: T.nn.functional.pad(T.ones(2, 3, 5), (-3, -2), "reflect"),
    "reflect 2d to nothing": lambda T: T.nn.functional.pad(
        T.ones(2, 3, 4, 5), (-3, -3, -2, -2), "reflect"
    ),
    "replicate 2d to nothing": lambda T: T.nn.functional.pad(
        T.ones(2, 3, 4, 5), (-3, -3, -2, -2), "replicate"
    ),
    "replicate 3d to nothing": lambda T: T.nn.functional.pad(
        T.ones(1, 2, 3, 4, 5), (-3, -3, -2, -2, -2, -1), "replicate"
    ),
    "replicate to a negative size": lambda T: T.nn.functional.pad(
        T.ones(2, 3, 4, 5), (-6, 0, 1, 4), "replicate"
    ),
    "reflect 2d to a negative size": lambda T: T.nn.functional.pad(
        T.ones(2, 3, 4, 5), (-6, 0, 0, 0), "reflect"
    ),
    "an empty channel dim": lambda T: T.nn.functional.pad(T.ones(2, 0, 3), (1, 1), "reflect"),
    "reflect a bool": lambda T: T.nn.functional.pad(T.ones(2, 3).bool(), (1, 1), "reflect"),
    "replicate a bool": lambda T: T.nn.functional.pad(T.ones(2, 3).bool(), (1, 1), "replicate"),
    "circular wraps twice": lambda T: T.nn.functional.pad(T.ones(1, 2, 3), (4, 1), "circular"),
    "circular to nothing": lambda T: T.nn.functional.pad(T.ones(1, 2, 3), (-3, -1), "circular"),
    "pad not a tuple": lambda T: T.nn.functional.pad(T.ones(2, 3), 1),
    "pad of floats": lambda T: T.nn.functional.pad(T.ones(2, 3), [1.5, 1]),
    "pad of bools": lambda T: T.nn.functional.pad(T.ones(2, 3), (True, 1)),
    "mode not a str": lambda T: T.nn.functional.pad(T.ones(2, 3), (1, 1), mode=3),
    "value not a number": lambda T: T.nn.functional.pad(T.ones(2, 3), (1, 1), "constant", "a"),
    "input not a tensor": lambda T: T.nn.functional.pad([1.0, 2.0], (1, 1)),
    "constant to a negative size": lambda T: T.nn.functional.pad(T.ones(2, 3), (-2, -2)),
    "CircularPad1d on 4-d": lambda T: T.nn.CircularPad1d(1)(T.ones(1, 1, 2, 3)),
    "CircularPad2d on 2-d": lambda T: T.nn.CircularPad2d(1)(T.ones(2, 3)),
    "ReflectionPad2d of two counts": lambda T: T.nn.ReflectionPad2d((1, 2))(T.ones(1, 1, 3, 3)),
    "new_zeros without a size": lambda T: T.ones(2).new_zeros(),
    "new_zeros of a float": lambda T: T.ones(2).new_zeros(2.0),
    "new_ones of a float element": lambda T: T.ones(2).new_ones(2, 3.0),
    "new_ones of a tuple with a str": lambda T: T.ones(2).new_ones((2, "a")),
    "new_ones of a float, then an int": lambda T: T.ones(2).new_ones(2.0, 3),
    "new_full of an int": lambda T: T.ones(2).new_full(2, 1.0),
    "new_full without a value": lambda T: T.ones(2).new_full((2,)),
    "new_empty of a negative size": lambda T: T.ones(2).new_empty(2, -1),
    "new_zeros of ints requiring grad": lambda T: T.ones(2).new_zeros(
        2, dtype=T.int64, requires_grad=True
    ),
}


@pytest.mark.parametrize("name", ERRORS)
def test_pad_errors_match_torch_at_the_line(name) -> None:
    check_error_at_line(ERRORS[name])


MODULES = {
    "ReflectionPad1d": (lambda nn: nn.ReflectionPad1d((3, 1)), (2, 3, 5)),
    "ReflectionPad2d": (lambda nn: nn.ReflectionPad2d(2), (2, 3, 4, 5)),
    "ReflectionPad3d": (lambda nn: nn.ReflectionPad3d((1, 0, 2, 1, 0, 1)), (1, 2, 3, 4, 3)),
    "ReplicationPad1d": (lambda nn: nn.ReplicationPad1d(2), (3, 5)),
    "ReplicationPad2d": (lambda nn: nn.ReplicationPad2d((1, 3, 0, 2)), (2, 4, 5)),
    "ReplicationPad3d": (lambda nn: nn.ReplicationPad3d(1), (1, 2, 3, 4, 3)),
    "CircularPad1d": (lambda nn: nn.CircularPad1d(2), (2, 3, 5)),
    "CircularPad2d": (lambda nn: nn.CircularPad2d((1, 0, 2, 1)), (2, 3, 4, 5)),
    "CircularPad3d": (lambda nn: nn.CircularPad3d(1), (2, 3, 4, 3)),
    "ConstantPad1d": (lambda nn: nn.ConstantPad1d(2, 3.5), (2, 5)),
    "ConstantPad2d": (lambda nn: nn.ConstantPad2d((1, 0, 2, 1), -1), (3, 4, 5)),
    "ConstantPad3d": (lambda nn: nn.ConstantPad3d(1, 0.5), (2, 2, 3, 4)),
    "ZeroPad1d": (lambda nn: nn.ZeroPad1d((3, 1)), (2, 3, 5)),
    "ZeroPad2d": (lambda nn: nn.ZeroPad2d(1), (2, 3, 4)),
    "ZeroPad3d": (lambda nn: nn.ZeroPad3d((1, 0, 0, 1, 2, 0)), (1, 2, 3, 2)),
}


@pytest.mark.parametrize("name", MODULES)
def test_padding_modules_match_torch(name) -> None:
    make, shape = MODULES[name]

    def scenario(T):
        m = make(T.nn)
        x = T.tensor(_values(shape, 5), requires_grad=True)
        y = m(x)
        y.backward(T.tensor(_values(tuple(y.shape), 6)))
        kinds = [isinstance(m, getattr(T.nn, k)) for k in ("ConstantPad1d", "ConstantPad2d")]
        return repr(m), m.padding, getattr(m, "value", None), kinds, list(m.state_dict()), y, x.grad

    check_same(scenario)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("dims", [1, 2, 3])
def test_convolutions_padding_modes_match_torch(dims, mode) -> None:
    """torch's ConvNd pads with F.pad's mode of that name, then convolves without padding:
    the same values, gradients (input, weight, bias) and graph, from torch's weights."""
    torch.manual_seed(dims)
    theirs = getattr(torch.nn, f"Conv{dims}d")(2, 3, 3, padding=(1, 2, 1)[:dims], padding_mode=mode)
    ours = getattr(gradrpc.nn, f"Conv{dims}d")(2, 3, 3, padding=(1, 2, 1)[:dims], padding_mode=mode)
    ours.load_state_dict(theirs.state_dict())
    shape = (2, 2, *(5, 6, 4)[:dims])

    def scenario(T):
        m = theirs if T is torch else ours
        m.zero_grad()
        x = T.tensor(_values(shape, 7), requires_grad=True)
        y = m(x)
        y.backward(T.tensor(_values(tuple(y.shape), 8)))
        return repr(m), y, graph_of(y.grad_fn), x.grad, m.weight.grad, m.bias.grad

    check_same(scenario, rtol=1e-5, atol=1e-5)


def test_conv_with_same_padding_and_a_padding_mode_matches_torch() -> None:
    torch.manual_seed(3)
    theirs = torch.nn.Conv2d(2, 2, (3, 4), padding="same", padding_mode="reflect")
    ours = gradrpc.nn.Conv2d(2, 2, (3, 4), padding="same", padding_mode="reflect")
    ours.load_state_dict(theirs.state_dict())

    def scenario(T):
        m = theirs if T is torch else ours
        x = T.tensor(_values((1, 2, 5, 6), 9), requires_grad=True)
        y = m(x)
        y.sum().backward()
        return repr(m), m._reversed_padding_repeated_twice, y, graph_of(y.grad_fn), x.grad

    check_same(scenario, rtol=1e-5, atol=1e-5)


def test_new_factories_match_torch() -> None:
    def scenario(T):
        x = T.tensor([1, 2], dtype=T.int64)
        f = T.tensor([[1.0]], dtype=T.float64)
        made = [
            x.new_zeros(2, 3),
            x.new_ones((2,)),
            x.new_full((2, 2), 1.5),  # in x's dtype, not the value's
            x.new_empty([]).shape,
            f.new_zeros([1, 2]),
            f.new_full([2], 2, dtype=T.float32),
            x.new_ones(2, dtype=T.float32, requires_grad=True),
            f.new_empty(0, 3).shape,
        ]
        return made, [t.requires_grad for t in made if isinstance(t, T.Tensor)]

    check_same(scenario)


def test_training_loop_with_reflect_padded_convolutions_matches_torch() -> None:
    """Ten Adam steps of ReflectionPad2d, Conv2d(padding_mode='circular'), ReLU,
    Conv2d(padding_mode='replicate'), Flatten, Linear and MSELoss from torch's initial
    weights: the same losses."""
    torch.manual_seed(4)

    def build(nn):
        return nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(1, 3, 3, padding=1, padding_mode="circular"),
            nn.ReLU(),
            nn.Conv2d(3, 2, 3, padding=1, padding_mode="replicate"),
            nn.Flatten(),
            nn.Linear(2 * 8 * 8, 2),
        )

    rng = np.random.default_rng(10)
    x, y = rng.standard_normal((4, 1, 6, 6)).tolist(), rng.standard_normal((4, 2)).tolist()
    runs = train_alike(
        build,
        lambda T, parameters: T.optim.Adam(parameters, lr=0.01),
        lambda T: T.nn.functional.mse_loss,
        lambda T: (T.tensor(x), T.tensor(y)),
    )
    assert_trains_alike(runs)
