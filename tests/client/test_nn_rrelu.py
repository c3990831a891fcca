"""nn.RReLU and nn.functional.rrelu against torch 2.13: outside training the values and
gradients of leaky_relu with slope (lower + upper) / 2; in training with lower = upper the
same, drawn; in training otherwise slopes within [lower, upper], one per element, with the
gradient the slope; the graph (RreluWithNoiseBackward0, ...Backward1 in place), reprs and
torch's errors. The draws are the session's, not torch's."""

from __future__ import annotations

import numpy as np
import pytest
from clientkit import check_error_at_line, check_same, graph_of

TOLERANCE = {"float32": {"rtol": 1e-6, "atol": 1e-7}, "float64": {"rtol": 1e-12, "atol": 1e-13}}


def _values(shape, seed):
    values = np.random.default_rng(seed).standard_normal(shape) * 2
    values.reshape(-1)[:2] = 0.0  # x = 0 takes the negative side's slope
    return values.tolist()


@pytest.mark.parametrize("training", [False, True], ids=["eval", "training with lower = upper"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bounds", [(1.0 / 8, 1.0 / 3), (0.2, 0.2), (-0.5, 0.7)])
def test_deterministic_cases_match_torch(bounds, dtype, training) -> None:
    lower, upper = bounds
    if training:
        lower = upper

    def scenario(T):
        x = T.tensor(_values((3, 5), 0), dtype=getattr(T, dtype), requires_grad=True)
        y = T.nn.functional.rrelu(x, lower, upper, training)
        y.backward(T.tensor(_values((3, 5), 1), dtype=getattr(T, dtype)))
        return y, graph_of(y.grad_fn), x.grad

    check_same(scenario, **TOLERANCE[dtype])


def test_in_place_forms_match_torch() -> None:
    def scenario(T):
        x = T.tensor(_values((4, 3), 2), requires_grad=True)
        h, k = x * 1, x * 2
        T.nn.functional.rrelu(h, 0.1, 0.3, False, True)
        T.nn.functional.rrelu(k, 0.25, 0.25, True, True)
        (h.sum() + k.sum()).backward()
        return h, graph_of(h.grad_fn), k, graph_of(k.grad_fn), x.grad

    check_same(scenario)


def test_training_draws_one_slope_per_negative_element() -> None:
    import gradrpc

    values = np.random.default_rng(3).standard_normal((200, 100))
    x = gradrpc.tensor(values, requires_grad=True)
    y = gradrpc.nn.functional.rrelu(x, 0.1, 0.4, training=True)
    y.sum().backward()
    out, grad = y.detach().numpy(), x.grad.numpy()
    negative = values <= 0
    assert (out[~negative] == values[~negative]).all() and (grad[~negative] == 1).all()
    slopes = out[negative] / values[negative]
    np.testing.assert_allclose(grad[negative], slopes, rtol=1e-12)
    assert slopes.min() >= 0.1 and slopes.max() <= 0.4
    assert abs(slopes.mean() - 0.25) < 0.005 and abs(slopes.var() - 0.3**2 / 12) < 0.001
    again = gradrpc.nn.functional.rrelu(x, 0.1, 0.4, training=True).detach().numpy()
    assert (again != out).any()


def test_module_matches_torch() -> None:
    """Eval mode is deterministic; the module follows its training flag."""

    def scenario(T):
        m = T.nn.RReLU(0.1, 0.3)
        fixed = T.nn.RReLU(0.2, 0.2, inplace=True)
        x = T.tensor(_values((3, 4), 4), requires_grad=True)
        trained = fixed(x * 1)
        m.eval()
        y = m(x)
        (y.sum() + trained.sum()).backward()
        return repr(T.nn.RReLU()), repr(fixed), y, graph_of(y.grad_fn), trained, x.grad

    check_same(scenario)


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.nn.functional.rrelu([1.0]),
        lambda T: T.nn.functional.rrelu(T.ones(3), "a"),
        lambda T: T.nn.functional.rrelu(T.ones(3), 0.5, 0.1),
        lambda T: T.nn.functional.rrelu(T.ones(3), 0.5, 0.1, True),
        lambda T: T.nn.functional.rrelu(T.ones(3, dtype=T.int64)),
        lambda T: T.nn.functional.rrelu(T.ones(3, dtype=T.int64), training=True),
        lambda T: T.nn.functional.rrelu(T.ones(3, dtype=T.bool), training=True),
        lambda T: T.nn.functional.rrelu(T.ones(3, requires_grad=True), inplace=True),
    ],
    ids=[
        "input",
        "lower",
        "bounds",
        "bounds in training",
        "int64",
        "int64 in training",
        "bool in training",
        "in place on a leaf",
    ],
)
def test_errors_match_torch_at_the_line(call) -> None:
    check_error_at_line(call)
