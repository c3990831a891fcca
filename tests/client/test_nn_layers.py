"""nn.ModuleList, Identity, Flatten, Softmax, LogSoftmax and NLLLoss against torch: reprs
(ModuleList folds runs of equal modules as torch's does), list operations and their
renumbering, registered parameters, forward values and gradients, warnings and errors."""

from __future__ import annotations

import warnings

import gradrpc
import torch
from clientkit import check_same


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
