"""Selecting and logical reductions and elementwise extremes through the client, against
torch: max/min in their three forms (whole tensor, along a dim as torch.return_types, of two
tensors), amax/amin, argmax/argmin, all/any, maximum/minimum and clamp; values, printing,
gradients with ties and nan, the accuracy idiom, and torch's errors at the user's line."""

from __future__ import annotations

import pytest
from clientkit import check_error_at_line, check_same

NAN = float("nan")


def _data(T):
    return T.tensor([[1.0, 5.0, 5.0], [3.0, 3.0, 0.0]], requires_grad=True)


@pytest.mark.parametrize("name", ["max", "min"])
def test_whole_and_along_a_dim(name):
    def scenario(T):
        x = _data(T)
        whole = getattr(x, name)()
        pair = getattr(x, name)(1)
        kept = getattr(T, name)(x, dim=0, keepdim=True)
        values, indices = pair  # unpacks as a tuple
        return (
            whole,
            pair,
            pair.values,
            pair.indices,
            pair[0],
            values,
            indices,
            kept,
            repr(pair),
            str(kept),
            type(pair).__name__,
            len(pair),
            getattr(T.tensor([True, False]), name)(0),  # bool: its indices as well
            getattr(T.tensor(7.0), name)(0, True),
        )

    check_same(scenario)


@pytest.mark.parametrize("name", ["max", "min"])
def test_gradients_go_where_torch_sends_them(name):
    """The whole-tensor form shares the gradient among ties; the dim form gives it to the
    index it returns; amax/amin share it per reduced slice."""

    def scenario(T):
        x = _data(T)
        grads = []
        for result in (
            getattr(x, name)(),
            getattr(x, name)(1).values.sum(),
            getattr(x, name)(0, keepdim=True)[0].sum(),
            getattr(x, f"a{name}")(1).sum(),
            getattr(x, f"a{name}")().mul(2),
            getattr(T, f"{name}imum")(x, T.tensor([3.0, 5.0, 1.0])).sum(),
        ):
            result.backward()
            grads.append(x.grad.clone())
            x.grad = None
        return grads

    check_same(scenario)


def test_nan_wins():
    def scenario(T):
        x = T.tensor([[1.0, NAN, 5.0], [2.0, 0.0, -1.0]], requires_grad=True)
        x.max().backward()
        first = x.grad.clone()
        x.grad = None
        x.amax(1).sum().backward()
        return (
            x.max(),
            x.max(1),
            x.min(0),
            x.argmax(),
            x.argmin(1),
            x.amin(),
            T.maximum(x, T.zeros(3)),
            first,
            x.grad,
        )

    check_same(scenario)


def test_argmax_argmin_all_any():
    def scenario(T):
        x = T.tensor([[0.5, -2.0, 3.0], [4.0, 0.0, 4.0]])
        n = T.tensor([[3, 1], [0, 9]])
        return (
            x.argmax(),
            x.argmax(1),
            x.argmax(dim=0, keepdim=True),
            T.argmin(x, 1),
            x.argmax(dim=None, keepdim=True),
            n.argmax(),
            x.all(),
            x.any(1),
            x.all(dim=1, keepdim=True),
            x.all(()),  # no dims: elementwise, unlike sum(())
            T.any(n, (0, 1)),
            T.all(T.tensor([]), 0),
            (x > 0).all(),
            n.bool().any(),
        )

    check_same(scenario)


def test_accuracy_idiom():
    """The classification-accuracy lines that follow a training loop."""

    def scenario(T):
        logits = T.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0], [1.0, 4.0, 0.0], [0.0, 0.0, 1.0]])
        labels = T.tensor([0, 2, 2, 2])
        predicted = logits.argmax(dim=1)
        _, by_max = T.max(logits, 1)
        correct = (predicted == labels).sum().item()
        accuracy = (by_max == labels).float().mean()
        return predicted, by_max, correct, accuracy, f"{accuracy.item():.2f}"

    check_same(scenario)


def test_clamp():
    def scenario(T):
        x = T.tensor([-2.0, -0.5, 0.0, 0.5, 2.0, NAN], requires_grad=True)
        out = []
        for y in (
            x.clamp(-1, 1),
            x.clamp(min=0),
            T.clamp(x, max=0.25),
            x.clip(0.5, -0.5),  # min above max
            x.clamp_min(0.0),
            T.clamp_max(x, 1),
        ):
            y.sum().backward()
            out += [y, x.grad.clone()]
            x.grad = None
        n = T.tensor([3, -1, 7])
        return out, n.clamp(0, 5), n.clamp(min=0.5), T.tensor([True, False]).clamp(0, 1)

    check_same(scenario)


def test_maximum_minimum_promote_and_broadcast():
    def scenario(T):
        a = T.tensor([[1.0, 2.0], [3.0, -4.0]], requires_grad=True)
        b = T.tensor([2.0, 2.0], dtype=T.float64)
        c = T.maximum(a, b)
        c.sum().backward()
        return (
            c,
            a.grad,
            a.minimum(T.tensor(0)),
            T.max(a, b),
            a.max(other=b),
            T.maximum(T.tensor([True, False]), T.tensor([False, False])),
        )

    check_same(scenario)


ERRORS = [
    lambda T: T.zeros(0, 3).max(),
    lambda T: T.zeros(0, 3).min(0),
    lambda T: T.zeros(2, 0).amax(-1),
    lambda T: T.zeros(0, 2, 0).amin((0, 2)),
    lambda T: T.zeros(0).argmax(),
    lambda T: T.zeros(0, 3).argmin(0),
    lambda T: T.tensor([True]).argmax(),
    lambda T: T.ones(2, 3).max(2),
    lambda T: T.ones(2, 3).argmax(-3),
    lambda T: T.ones(2, 3).all(5),
    lambda T: T.ones(2, 3).amax((0, 0)),
    lambda T: T.ones(2, 3).max(1.5),
    lambda T: T.ones(2, 3).min("a"),
    lambda T: T.ones(2, 3).max(dim=None),
    lambda T: T.ones(2, 3).max(1, 2),
    lambda T: T.ones(2, 3).max(1, keepdim=1),
    lambda T: T.ones(2, 3).argmax(1.5),
    lambda T: T.ones(2, 3).amax(1.5),
    lambda T: T.max(1),
    lambda T: T.argmax([1]),
    lambda T: T.ones(2).maximum(1),
    lambda T: T.minimum(T.ones(2), 1),
    lambda T: T.maximum(1, T.ones(2)),
    lambda T: T.maximum(T.ones(2), T.ones(3)),
    lambda T: T.ones(2).clamp(),
    lambda T: T.ones(2).clamp("a"),
    lambda T: T.tensor([True]).clamp(True),
    lambda T: T.tensor([True]).clamp_max(False),
]


@pytest.mark.parametrize("fn", ERRORS, ids=range(len(ERRORS)))
def test_errors_match_torch(fn):
    check_error_at_line(fn)
