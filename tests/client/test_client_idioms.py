"""Idioms of ordinary torch programs that once came out differently under gradrpc, each
checked against torch: manual SGD through `.data`, integer powers, and the loss functions'
errors for targets of the wrong dtype."""

from __future__ import annotations

import gradrpc
import pytest
from clientkit import check_error_at_line, check_same


def test_manual_sgd_through_data():
    def scenario(T):
        w = T.tensor([1.0, 2.0], requires_grad=True)
        b = T.tensor(0.5, requires_grad=True)
        seen = []
        for _ in range(3):
            loss = ((w * T.tensor([1.0, -1.0])).sum() + b).pow(2)
            loss.backward()
            w.data -= 0.1 * w.grad  # Python: tmp = w.data; tmp -= ...; w.data = tmp
            b.data = b.data - 0.1 * b.grad
            seen += [w.clone(), b.clone(), w.is_leaf, w.requires_grad]
            w.grad.zero_()
            b.grad.zero_()
        return seen

    check_same(scenario)


def test_assigned_data_goes_unnoticed_by_autograd():
    """A saved tensor changed through .data raises no modified-tensor error, as in torch."""

    def scenario(T):
        x = T.ones(2, requires_grad=True)
        y = x * x
        x.data = T.tensor([5.0, 6.0])
        y.sum().backward()
        return x, x.grad

    check_same(scenario)


def test_data_of_another_shape_is_refused_clearly():
    x = gradrpc.ones(2, requires_grad=True)
    with pytest.raises(NotImplementedError, match=r"^gradrpc: assigning \.data"):
        x.data = gradrpc.zeros(3)
    assert x.tolist() == [1.0, 1.0]


def test_integer_powers():
    def scenario(T):
        base = T.tensor([1, 2, -1, 0, -1, 3])
        return (
            base ** T.tensor([-1, -1, -3, -2, -2, 2]),  # torch's integer 1 / a^|b|
            base ** T.tensor(-1),
            base**2,
        )

    check_same(scenario)


ERRORS = [
    lambda T: T.tensor([1, 2]) ** -1,
    lambda T: T.pow(T.tensor([2]), -2),
    lambda T: setattr(T.ones(2), "data", 5),
    lambda T: T.nn.functional.binary_cross_entropy_with_logits(T.ones(2), T.tensor([1, 0])),
    lambda T: T.nn.functional.binary_cross_entropy_with_logits(
        T.ones(2, dtype=T.float64), T.tensor([1, 0])
    ),
    lambda T: T.nn.functional.binary_cross_entropy_with_logits(T.ones(2), T.tensor([True, False])),
    lambda T: T.nn.functional.cross_entropy(T.ones(2, 3), T.tensor([0.0, 1.0])),
    lambda T: T.nn.CrossEntropyLoss()(T.ones(3), T.tensor(1.0)),
]


@pytest.mark.parametrize("fn", ERRORS, ids=range(len(ERRORS)))
def test_errors_match_torch(fn):
    check_error_at_line(fn)
