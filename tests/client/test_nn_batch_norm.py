"""nn.BatchNorm1d/2d/3d and nn.functional.batch_norm against torch 2.13: values and gradients
of the input, weight and bias in training and evaluation, in float32 and float64, the running
statistics torch leaves, the modules' buffers, reprs, state_dict,
train/eval, momentum=None, torch's errors in torch's order at the line, the checks on saved
tensors, inputs without elements, and training loops."""

from __future__ import annotations

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import assert_trains_alike, check_error_at_line, check_same, graph_of, train_alike

TOLERANCE = {"float32": {"rtol": 2e-5, "atol": 2e-6}, "float64": {"rtol": 1e-11, "atol": 1e-12}}
SHAPES = {
    "(N, C)": (6, 3),
    "(N, C, L)": (2, 3, 5),
    "(N, C, H, W)": (2, 3, 2, 4),
    "(N, C, D, H, W)": (2, 3, 2, 2, 3),
    "(N, C, 1) of one channel": (4, 1, 1),
}


def _values(shape, seed, scale=3.0, shift=1.5):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * scale + shift).tolist()


@pytest.mark.parametrize("affine", ["weight and bias", "weight only", "bias only", "neither"])
@pytest.mark.parametrize("mode", ["training", "training with running stats", "evaluation"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", SHAPES)
def test_batch_norm_values_gradients_running_stats_and_graph_match_torch(
    case, dtype, mode, affine
) -> None:
    shape = SHAPES[case]
    channels = shape[1]

    def scenario(T):
        kind = getattr(T, dtype)
        x = T.tensor(_values(shape, 0), dtype=kind, requires_grad=True)
        w = T.tensor(_values(channels, 1, 1.0, 0.5), dtype=kind, requires_grad=True)
        b = T.tensor(_values(channels, 2, 1.0, 0.0), dtype=kind, requires_grad=True)
        mean = T.tensor(_values(channels, 3, 0.5, 0.0), dtype=kind)
        var = T.tensor(_values(channels, 4, 0.5, 2.0), dtype=kind).abs()
        weight = w if "weight" in affine else None
        bias = b if affine in ("weight and bias", "bias only") else None
        running = (None, None) if mode == "training" else (mean, var)
        y = T.nn.functional.batch_norm(
            x, *running, weight, bias, training=mode != "evaluation", momentum=0.2
        )
        y.backward(T.tensor(_values(shape, 5, 1.0, 0.0), dtype=kind))
        return y, graph_of(y.grad_fn), x.grad, w.grad, b.grad, mean, var

    check_same(scenario, **TOLERANCE[dtype])


def test_batch_norm_of_a_constant_channel_is_the_bias_and_eps_counts() -> None:
    """A constant channel has variance 0: x - μ is 0 and the output the bias; a large eps
    shrinks the output as torch's does."""

    def scenario(T):
        x = T.tensor([[2.0, 1.0], [2.0, 2.0], [2.0, 4.0]], requires_grad=True)
        b = T.tensor([0.5, -1.0])
        constant = T.nn.functional.batch_norm(x, None, None, None, b, True)
        damped = T.nn.functional.batch_norm(x, None, None, training=True, eps=10.0)
        (constant.sum() + (damped * damped).sum()).backward()
        return constant, damped, x.grad

    check_same(scenario, **TOLERANCE["float32"])


@pytest.mark.parametrize("mode", ["training", "evaluation"])
def test_batch_norm_of_an_input_without_elements_is_torch_s_composition(mode) -> None:
    """torch returns clone(x) * weight[0] + bias[0] for no elements, unchecked, and leaves
    the running statistics alone."""

    def scenario(T):
        x = T.ones(0, 3, requires_grad=True)
        w, b = T.ones(3, requires_grad=True), T.zeros(3, requires_grad=True)
        mean, var = T.zeros(4), T.ones(4)  # not checked
        y = T.nn.functional.batch_norm(x, mean, var, w, b, mode == "training")
        y.sum().backward()
        bare = T.nn.functional.batch_norm(T.ones(2, 0, 3), None, None, training=True)
        return y, graph_of(y.grad_fn), w.grad, b.grad, mean, bare

    check_same(scenario)


@pytest.mark.parametrize("kind", ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"])
def test_batch_norm_modules_train_then_evaluate_as_torch_s(kind) -> None:
    """Three training steps update running_mean, running_var and num_batches_tracked; in
    evaluation the module normalizes with them; state_dict holds all five entries."""
    shape = {"BatchNorm1d": (5, 3, 2), "BatchNorm2d": (2, 3, 2, 2), "BatchNorm3d": (2, 3, 1, 2, 2)}

    def scenario(T):
        m = getattr(T.nn, kind)(3, momentum=0.3)
        outputs = []
        for step in range(3):
            x = T.tensor(_values(shape[kind], step), requires_grad=True)
            y = m(x)
            (y * y).sum().backward()
            outputs += [y, x.grad]
        m.eval()
        x = T.tensor(_values(shape[kind], 9), requires_grad=True)
        y = m(x)
        y.sum().backward()
        state = m.state_dict()
        return (
            repr(m),
            outputs,
            y,
            graph_of(y.grad_fn),
            x.grad,
            m.weight.grad,
            m.bias.grad,
            list(state.items()),
            m.training,
        )

    check_same(scenario, **TOLERANCE["float32"])


def test_cumulative_average_with_momentum_none_matches_torch() -> None:
    """momentum=None averages every batch so far (the factor 1 / num_batches_tracked)."""

    def scenario(T):
        m = T.nn.BatchNorm1d(2, momentum=None)
        for step in range(4):
            m(T.tensor(_values((4, 2), step)))
        return repr(m), m.running_mean, m.running_var, m.num_batches_tracked

    check_same(scenario, **TOLERANCE["float32"])


@pytest.mark.parametrize(
    "build",
    [
        lambda T: T.nn.BatchNorm1d(4),
        lambda T: T.nn.BatchNorm2d(4, eps=1e-3, momentum=0.5),
        lambda T: T.nn.BatchNorm1d(4, affine=False),
        lambda T: T.nn.BatchNorm1d(4, bias=False),
        lambda T: T.nn.BatchNorm3d(4, track_running_stats=False),
        lambda T: T.nn.BatchNorm1d(4, dtype=T.float64),
        lambda T: T.nn.BatchNorm1d(0),
        lambda T: T.nn.Sequential(T.nn.Linear(3, 4), T.nn.BatchNorm1d(4), T.nn.ReLU()),
    ],
)
def test_batch_norm_module_repr_parameters_and_buffers_match_torch(build) -> None:
    def scenario(T):
        m = build(T)
        return (
            repr(m),
            [(n, p.dtype, tuple(p.shape)) for n, p in m.named_parameters()],
            list(m.named_buffers()),
            list(m.state_dict()),
        )

    check_same(scenario)


@pytest.mark.parametrize("running", ["tracked", "not tracked"])
def test_evaluation_without_running_stats_uses_the_batch_s(running) -> None:
    """track_running_stats=False normalizes with the batch's statistics in evaluation too,
    and a tracking module in training with the batch's while it updates its buffers."""

    def scenario(T):
        m = T.nn.BatchNorm1d(3, track_running_stats=running == "tracked")
        m.eval()
        x = T.tensor(_values((4, 3), 1), requires_grad=True)
        y = m(x)
        y.sum().backward()
        return y, x.grad, [b for b in m.buffers()]

    check_same(scenario, **TOLERANCE["float32"])


def test_reset_running_stats_and_parameters_match_torch() -> None:
    def scenario(T):
        m = T.nn.BatchNorm1d(3)
        m(T.tensor(_values((4, 3), 1)))
        with T.no_grad():
            m.weight.mul_(4.0)
            m.bias.add_(2.0)
        m.reset_running_stats()
        stats = [b.clone() for b in m.buffers()]
        m(T.tensor(_values((4, 3), 2)))
        m.reset_parameters()
        return stats, list(m.state_dict().items())

    check_same(scenario)


def test_load_state_dict_carries_running_statistics_from_torch() -> None:
    """A torch BatchNorm's state_dict, after training, loads into gradrpc's and both evaluate
    alike."""
    theirs = torch.nn.BatchNorm2d(2)
    for step in range(3):
        theirs(torch.tensor(_values((3, 2, 2, 2), step)))
    ours = gradrpc.nn.BatchNorm2d(2)
    ours.load_state_dict(theirs.state_dict())
    theirs.eval()
    ours.eval()
    x = _values((2, 2, 3, 1), 7)
    expected = theirs(torch.tensor(x)).detach().numpy()
    actual = ours(gradrpc.tensor(x)).detach().numpy()
    np.testing.assert_allclose(actual, expected, rtol=2e-6, atol=1e-6)
    assert ours.num_batches_tracked.item() == 3


def _f(T):
    return T.nn.functional


ERRORS = {
    "one value per channel": lambda T: _f(T).batch_norm(T.ones(1, 3), None, None, training=True),
    "one value per channel, 3-d": lambda T: T.nn.BatchNorm1d(3)(T.ones(1, 3, 1)),
    "module: 4-d input to BatchNorm1d": lambda T: T.nn.BatchNorm1d(3)(T.ones(2, 3, 2, 2)),
    "module: 3-d input to BatchNorm2d": lambda T: T.nn.BatchNorm2d(3)(T.ones(2, 3, 2)),
    "module: 4-d input to BatchNorm3d": lambda T: T.nn.BatchNorm3d(3)(T.ones(2, 3, 2, 2)),
    "module: 1-d input": lambda T: T.nn.BatchNorm1d(3)(T.ones(3)),
    "module: float num_features": lambda T: T.nn.BatchNorm1d(3.0),
    "module: str num_features": lambda T: T.nn.BatchNorm2d("3"),
    "module: negative num_features": lambda T: T.nn.BatchNorm1d(-1),
    "module: wrong channel count": lambda T: T.nn.BatchNorm2d(3)(T.ones(2, 4, 2, 2)),
    "running_mean size": lambda T: _f(T).batch_norm(T.ones(4, 3), T.zeros(4), T.ones(4)),
    "running_var size": lambda T: _f(T).batch_norm(T.ones(4, 3), T.zeros(3), T.ones(4)),
    "running statistic of two dims": lambda T: _f(T).batch_norm(
        T.ones(4, 3), T.zeros(3, 2), T.ones(3)
    ),
    "weight size": lambda T: _f(T).batch_norm(T.ones(4, 3), None, None, T.ones(4), training=True),
    "bias size": lambda T: _f(T).batch_norm(
        T.ones(4, 3), None, None, None, T.ones(2), training=True
    ),
    "running statistics before the weight": lambda T: _f(T).batch_norm(
        T.ones(4, 3), None, None, T.ones(4), T.ones(4)
    ),
    "running_mean missing in evaluation": lambda T: _f(T).batch_norm(T.ones(4, 3), None, None),
    "running_var missing in evaluation": lambda T: _f(T).batch_norm(T.ones(4, 3), T.zeros(3), None),
    "running_mean alone in training": lambda T: _f(T).batch_norm(
        T.ones(4, 3), T.zeros(3), None, training=True
    ),
    "running_var alone in training": lambda T: _f(T).batch_norm(
        T.ones(4, 3), None, T.ones(3), training=True
    ),
    "sizes checked before the pair": lambda T: _f(T).batch_norm(
        T.ones(4, 3), T.zeros(4), None, training=True
    ),
    "1-d input in training": lambda T: _f(T).batch_norm(T.ones(4), None, None, training=True),
    "1-d input with running statistics": lambda T: _f(T).batch_norm(
        T.ones(4), T.zeros(3), T.ones(3)
    ),
    "1-d input and a weight": lambda T: _f(T).batch_norm(
        T.ones(4), None, None, T.ones(3), training=True
    ),
    "0-d input in training": lambda T: _f(T).batch_norm(T.tensor(1.0), None, None, training=True),
    "long input": lambda T: _f(T).batch_norm(
        T.ones(4, 3, dtype=T.int64), None, None, training=True
    ),
    "bool input": lambda T: _f(T).batch_norm(T.ones(4, 3, dtype=T.bool), None, None, training=True),
    "sizes checked before dtype": lambda T: _f(T).batch_norm(
        T.ones(4, 3, dtype=T.int64), T.zeros(4), T.ones(3)
    ),
    "float input, double weight": lambda T: _f(T).batch_norm(
        T.ones(4, 3), None, None, T.ones(3, dtype=T.float64), training=True
    ),
    "double input, float weight": lambda T: _f(T).batch_norm(
        T.ones(4, 3, dtype=T.float64), None, None, T.ones(3), training=True
    ),
    "double input, float running statistics": lambda T: _f(T).batch_norm(
        T.ones(4, 3, dtype=T.float64), T.zeros(3), T.ones(3), training=True
    ),
    "float input, double running_mean": lambda T: _f(T).batch_norm(
        T.ones(4, 3), T.zeros(3, dtype=T.float64), T.ones(3), training=True
    ),
    "float weight, double bias": lambda T: _f(T).batch_norm(
        T.ones(4, 3), None, None, T.ones(3), T.ones(3, dtype=T.float64), training=True
    ),
    "running_mean requires grad": lambda T: _f(T).batch_norm(
        T.ones(4, 3), T.zeros(3, requires_grad=True), T.ones(3), training=True
    ),
    "running_var requires grad in evaluation": lambda T: _f(T).batch_norm(
        T.ones(4, 3), T.zeros(3), T.ones(3, requires_grad=True)
    ),
    "eps negative": lambda T: _f(T).batch_norm(T.ones(4, 3), T.zeros(3), T.ones(3), eps=-1.0),
    "eps zero in training": lambda T: _f(T).batch_norm(
        T.ones(4, 3), None, None, training=True, eps=0.0
    ),
    "eps not a number": lambda T: _f(T).batch_norm(
        T.ones(4, 3), None, None, training=True, eps="a"
    ),
    "momentum None": lambda T: _f(T).batch_norm(
        T.ones(4, 3), None, None, training=True, momentum=None
    ),
    "training not a bool": lambda T: _f(T).batch_norm(T.ones(4, 3), None, None, training=1),
    "weight not a tensor": lambda T: _f(T).batch_norm(
        T.ones(4, 3), None, None, [1.0, 1.0, 1.0], training=True
    ),
    "running_mean not a tensor": lambda T: _f(T).batch_norm(
        T.ones(4, 3), [0.0, 0.0, 0.0], T.ones(3), training=True
    ),
    "input not a tensor": lambda T: _f(T).batch_norm([1.0, 2.0], None, None),
}


@pytest.mark.parametrize("name", ERRORS)
def test_batch_norm_errors_match_torch_at_the_line(name: str) -> None:
    check_error_at_line(ERRORS[name])


def test_a_failed_check_leaves_the_running_statistics_alone() -> None:
    """torch's checks come before its in-place update: a refused call changes nothing."""

    def scenario(T):
        mean, var = T.zeros(3), T.ones(3)
        try:
            T.nn.functional.batch_norm(T.ones(4, 3), mean, var, T.ones(4), training=True)
        except RuntimeError as e:
            return str(e), mean, var

    check_same(scenario)


@pytest.mark.parametrize("changed", ["input", "weight", "running_mean in evaluation"])
def test_in_place_change_of_a_saved_tensor_fails_backward_as_torch_s(changed) -> None:
    """The node saves the input, the weight and the running statistics: changing one in
    place makes backward fail (gradrpc's at the next read, naming the backward's line);
    the bias is not saved, so changing it does not."""

    def scenario(T):
        x = T.tensor(_values((4, 3), 1), requires_grad=True)
        h = x * 1
        w, b = T.ones(3, requires_grad=True) * 1, T.zeros(3, requires_grad=True) * 1
        mean, var = T.zeros(3), T.ones(3)
        training = changed != "running_mean in evaluation"
        y = T.nn.functional.batch_norm(h, mean, var, w, b, training)
        b.add_(1.0)
        {"input": h, "weight": w, "running_mean in evaluation": mean}[changed].add_(1.0)
        y.sum().backward()
        return x.grad.sum().item()  # gradrpc's server-side check surfaces at this read

    with pytest.raises(RuntimeError) as theirs:
        scenario(torch)
    with pytest.raises(RuntimeError) as ours:
        scenario(gradrpc)
    assert str(ours.value).split("\n")[0] == str(theirs.value)
    assert (gradrpc.ones(2) * 3).sum().item() == 6.0  # the session stays usable


def test_training_loop_with_batch_norm_matches_torch() -> None:
    """Ten SGD-with-momentum steps of Linear, BatchNorm1d, ReLU, Linear from torch's initial
    weights; then the running statistics and the evaluation outputs agree."""
    torch.manual_seed(0)

    def build(nn):
        return nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))

    rng = np.random.default_rng(7)
    x, y = rng.standard_normal((16, 6)).tolist(), rng.standard_normal((16, 2)).tolist()
    runs = train_alike(
        build,
        lambda T, parameters: T.optim.SGD(parameters, lr=0.1, momentum=0.9),
        lambda T: T.nn.functional.mse_loss,
        lambda T: (T.tensor(x), T.tensor(y)),
    )
    results = {}
    for T, (model, losses, inputs) in runs.items():
        model.eval()
        with T.no_grad():
            evaluated = model(inputs[:4]).tolist()
        stats = [model[1].running_mean.tolist(), model[1].running_var.tolist()]
        results[T] = losses, evaluated, stats, model[1].num_batches_tracked.item()
    np.testing.assert_allclose(results[gradrpc][0], results[torch][0], rtol=1e-5)
    np.testing.assert_allclose(results[gradrpc][1], results[torch][1], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(results[gradrpc][2], results[torch][2], rtol=1e-5, atol=1e-6)
    assert results[gradrpc][3] == results[torch][3] == 10
    assert results[torch][0][-1] < results[torch][0][0]


def test_image_training_loop_with_batch_norm_2d_matches_torch() -> None:
    """Adam on BatchNorm2d over (N, C, H, W) images, flattened into a classifier with
    cross-entropy: ten steps of losses agree."""
    torch.manual_seed(1)

    def build(nn):
        return nn.Sequential(nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(18, 3))

    rng = np.random.default_rng(3)
    images = (rng.standard_normal((8, 2, 3, 3)) * 2 + 1).tolist()
    labels = rng.integers(0, 3, 8).tolist()
    runs = train_alike(
        build,
        lambda T, parameters: T.optim.Adam(parameters, lr=0.01),
        lambda T: T.nn.functional.cross_entropy,
        lambda T: (T.tensor(images), T.tensor(labels)),
    )
    assert_trains_alike(runs)


def test_a_training_step_with_batch_norm_waits_once() -> None:
    """The running statistics' update travels with the step: a step that reads its loss
    waits for the server once (momentum=None reads num_batches_tracked too, as torch's
    module does with float())."""
    session = gradrpc.default_session()
    for momentum, waits_per_step in ((0.1, 1), (None, 2)):
        model = gradrpc.nn.Sequential(
            gradrpc.nn.Linear(4, 6), gradrpc.nn.BatchNorm1d(6, momentum=momentum)
        )
        optimizer = gradrpc.optim.SGD(model.parameters(), lr=0.1)
        x = gradrpc.tensor(_values((8, 4), 1))
        session.flush()
        before = session.rpc_count
        for _ in range(5):
            loss = (model(x) ** 2).mean()
            loss.item()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        assert session.rpc_count - before == 5 * waits_per_step, momentum
