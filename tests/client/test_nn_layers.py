"""nn.ModuleList, Identity, Flatten, Softmax, LogSoftmax, NLLLoss and Dropout against torch:
reprs (ModuleList folds runs of equal modules as torch's does), list operations and their
renumbering, registered parameters, forward values and gradients, dropout's history and
statistics, warnings and errors."""

from __future__ import annotations

import warnings

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import check_error_at_line, check_same


def _outcome(fn):
    try:
        return fn()
    except Exception as exc:
        return (type(exc).__name__, str(exc))


def _module_list_story(T):
    T.manual_seed(0)
    layers = [T.nn.Linear(2, 2, bias=False) for _ in range(3)]
    ml = T.nn.ModuleList([*layers, T.nn.ReLU(), T.nn.ReLU(), T.nn.Tanh()])
    story = [repr(ml), [name for name, _ in ml.named_parameters()]]
    ml.insert(1, T.nn.Identity())
    ml.append(T.nn.Flatten())
    del ml[0]
    popped = ml.pop(-1)
    story += [repr(ml), repr(popped), len(ml), repr(ml[1:3]), ml[-1] is ml[5]]
    ml[0] = T.nn.Sigmoid()
    ml += [T.nn.Softmax(dim=1)]
    story += [repr(ml + T.nn.ModuleList([T.nn.LogSoftmax(1)])), repr(T.nn.ModuleList())]
    story += [[name for name, _ in ml.named_parameters()], [type(m).__name__ for m in ml]]
    story.append(_outcome(lambda: ml[10]))
    story.append(_outcome(lambda: ml(1)))
    story.append(_outcome(lambda: ml.extend(3)))
    return story


def test_module_list_behaves_as_torch_s():
    assert _module_list_story(gradrpc) == _module_list_story(torch)


def test_layers_print_as_torch_s():
    def reprs(T):
        model = T.nn.Sequential(
            T.nn.Flatten(),
            T.nn.Linear(4, 3),
            T.nn.LogSoftmax(dim=1),
            T.nn.Softmax(),
            T.nn.NLLLoss(ignore_index=1),
            T.nn.Identity(54, unused=1),
        )
        return repr(model)

    assert reprs(gradrpc) == reprs(torch)


def test_a_classifier_trains_as_torch_s():
    def scenario(T):
        model = T.nn.Sequential(T.nn.Flatten(), T.nn.Linear(4, 3), T.nn.Identity())
        with T.no_grad():
            model[1].weight.copy_(T.arange(12.0).reshape(3, 4) * 0.1 - 0.5)
            model[1].bias.fill_(0.1)
        x = T.arange(16.0).reshape(4, 2, 2) * 0.1
        target = T.tensor([2, 0, 1, 2])
        log_probs = T.nn.LogSoftmax(dim=1)(model(x))
        loss = T.nn.NLLLoss(reduction="sum")(log_probs, target)
        loss.backward()
        probs = T.nn.Softmax(dim=-1)(model(x))
        return loss, log_probs, probs, model[1].weight.grad, T.nn.Flatten(0)(x).shape

    check_same(scenario, rtol=1e-5)


def test_softmax_without_dim_warns_as_torch_s():
    for T in (torch, gradrpc):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            T.nn.Softmax()(T.tensor([[1.0, 2.0]]))
        assert [str(w.message) for w in caught] == [
            "Implicit dimension choice for softmax has been deprecated. Change the call to "
            "include dim=X as an argument."
        ]


def _next_names(node):
    return [None if n is None else n.name() for n, _ in node.next_functions]


def test_dropout_records_torch_s_history():
    """torch's CPU dropout is input * (bernoulli(1 - p) / (1 - p)): MulBackward0, no edge for
    the noise; its draws differ from gradrpc's, the values they can take do not."""

    def scenario(T):
        x = T.ones(2000, requires_grad=True)
        y = T.nn.functional.dropout(x * 2, 0.3)
        y.sum().backward()
        values = sorted({round(v, 5) for v in y.tolist()})
        grads = sorted({round(v, 5) for v in x.grad.tolist()})
        return y.grad_fn.name(), _next_names(y.grad_fn), values, grads, y.dtype, y.shape

    check_same(scenario)


def test_dropout_is_the_input_itself_or_zeros_where_torch_s_is():
    def scenario(T):
        x = T.ones(3, requires_grad=True)
        model = T.nn.Sequential(T.nn.Dropout(0.5))
        model.eval()
        zeros = T.nn.functional.dropout(x, 1.0)
        return (
            T.nn.functional.dropout(x, 0.0) is x,
            T.nn.functional.dropout(x, 0.4, training=False) is x,
            model(x) is x,
            T.nn.functional.dropout(T.ones(0), 0.5).shape,
            zeros,
            repr(T.nn.Dropout(0.2, inplace=True)),
        )

    check_same(scenario)


def test_dropout_drops_about_p_and_scales_the_rest():
    x = gradrpc.ones(20_000)
    y = gradrpc.nn.functional.dropout(x, 0.25).numpy()
    assert set(np.unique(y).tolist()) == {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.02  # ~6 standard deviations
    again = gradrpc.nn.functional.dropout(x, 0.25).numpy()
    assert (again != y).any()  # fresh noise each call


def test_dropout_in_place_keeps_history():
    def scenario(T):
        x = T.ones(50, requires_grad=True)
        h = x * 3
        T.nn.functional.dropout(h, 0.5, inplace=True)
        return h.grad_fn.name(), _next_names(h.grad_fn), sorted({round(v, 4) for v in h.tolist()})

    check_same(scenario)


DROPOUT_ERRORS = {
    "p above 1": lambda T: T.nn.functional.dropout(T.ones(3), 1.5),
    "p below 0": lambda T: T.nn.Dropout(-0.1),
    "an int64 input": lambda T: T.nn.functional.dropout(T.ones(3, dtype=T.int64), 0.5),
}


@pytest.mark.parametrize("name", DROPOUT_ERRORS)
def test_dropout_errors_match_torch_at_the_line(name):
    check_error_at_line(DROPOUT_ERRORS[name])
