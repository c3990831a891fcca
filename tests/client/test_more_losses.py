"""torch's remaining common losses and distances against torch: kl_div, margin_ranking_loss,
hinge_embedding_loss, soft_margin_loss, cosine_embedding_loss, poisson_nll_loss,
gaussian_nll_loss, pairwise_distance, triplet_margin_loss, multilabel_soft_margin_loss and
their modules (with CosineSimilarity). Each must record torch's nodes (grad_fn graphs compared
whole), give torch's values and input gradients in float32 and float64 for every reduction,
torch's legacy size_average/reduce warnings, reprs and errors at the line."""

from __future__ import annotations

import math
import warnings

import gradrpc
import gradrpc.nn as gnn
import gradrpc.nn.functional as GF
import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF
from clientkit import (
    assert_trains_alike,
    check_error_at_line,
    check_raised_at_the_next_read,
    check_same_error,
    graph_of,
    train_alike,
)

DTYPES = {"float32": (torch.float32, 2e-5, 1e-6), "float64": (torch.float64, 1e-10, 1e-12)}
REDUCTIONS = ["none", "mean", "sum"]


def _ours(t):
    if not isinstance(t, torch.Tensor):
        return t
    return gradrpc.tensor(t.detach().numpy(), requires_grad=t.requires_grad)


def _close(ours, theirs, rtol: float, atol: float) -> None:
    np.testing.assert_allclose(
        np.asarray(ours.detach().numpy()),
        theirs.detach().numpy(),
        rtol=rtol,
        atol=atol,
        equal_nan=True,
    )


def _check(call, tensors: dict, dtype: str, **kwargs) -> None:
    """call(F)(**tensors, **kwargs) with torch's F and ours: the same grad_fn graph, shape,
    dtype and value, and the same gradient for each tensor that requires grad."""
    torch_dtype, rtol, atol = DTYPES[dtype]
    tensors = {
        k: v.to(torch_dtype).detach().requires_grad_(v.requires_grad)
        if isinstance(v, torch.Tensor) and v.is_floating_point()
        else v
        for k, v in tensors.items()
    }
    ours = {k: _ours(v) for k, v in tensors.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kl_div's 'mean' warning, checked on its own below
        expected = call(TF)(**tensors, **kwargs)
        actual = call(GF)(**ours, **kwargs)
    assert graph_of(actual.grad_fn) == graph_of(expected.grad_fn)
    assert actual.shape == expected.shape
    assert str(actual.dtype) == str(expected.dtype)
    _close(actual, expected, rtol, atol)
    g = torch.rand(expected.shape, dtype=expected.dtype) + 0.5
    expected.backward(g)
    actual.backward(_ours(g))
    for name, t in tensors.items():
        if isinstance(t, torch.Tensor) and t.requires_grad:
            _close(ours[name].grad, t.grad, rtol, atol)


def _r(*shape, grad: bool = True) -> torch.Tensor:
    return torch.randn(shape, dtype=torch.float64).requires_grad_(grad)


def _signs(*shape) -> torch.Tensor:
    return torch.randint(0, 2, shape).double() * 2 - 1


# ---------------------------------------------------------------- values, graphs, gradients


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", [*REDUCTIONS, "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(dtype: str, reduction: str, log_target: bool) -> None:
    target = torch.randn(3, 4) if log_target else torch.rand(3, 4)
    target[0, 0] = -2.0 if log_target else 0.0  # xlogy's 0 log 0
    tensors = {"input": _r(3, 4).log_softmax(1).detach().requires_grad_(), "target": target}
    _check(lambda F: F.kl_div, tensors, dtype, reduction=reduction, log_target=log_target)
    tensors["target"] = target.double().requires_grad_()  # the target's gradient too
    _check(lambda F: F.kl_div, tensors, dtype, reduction=reduction, log_target=log_target)


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_div_batchmean_of_a_0d_input_is_its_sum(dtype: str) -> None:
    tensors = {"input": _r(), "target": torch.rand(())}
    _check(lambda F: F.kl_div, tensors, dtype, reduction="batchmean")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_ranking_loss(dtype: str, reduction: str) -> None:
    tensors = {"input1": _r(6), "input2": _r(6), "target": _signs(6)}
    _check(lambda F: F.margin_ranking_loss, tensors, dtype, reduction=reduction)
    tensors["target"] = tensors["target"].requires_grad_()
    _check(lambda F: F.margin_ranking_loss, tensors, dtype, reduction=reduction, margin=0.4)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_embedding_loss(dtype: str, reduction: str) -> None:
    target = _signs(3, 4)
    target[0, 0] = 0.0  # neither 1 nor -1: both terms
    tensors = {"input": _r(3, 4), "target": target}
    _check(lambda F: F.hinge_embedding_loss, tensors, dtype, reduction=reduction)
    _check(lambda F: F.hinge_embedding_loss, tensors, dtype, reduction=reduction, margin=0.3)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_loss(dtype: str, reduction: str) -> None:
    tensors = {"input": _r(3, 4) * 3, "target": _signs(3, 4)}
    _check(lambda F: F.soft_margin_loss, tensors, dtype, reduction=reduction)
    tensors["target"] = _signs(4)  # broadcast into the input's shape
    _check(lambda F: F.soft_margin_loss, tensors, dtype, reduction=reduction)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cosine_embedding_loss(dtype: str, reduction: str) -> None:
    tensors = {"input1": _r(4, 5), "input2": _r(4, 5), "target": torch.tensor([1.0, -1, 1, -1])}
    _check(lambda F: F.cosine_embedding_loss, tensors, dtype, reduction=reduction)
    _check(lambda F: F.cosine_embedding_loss, tensors, dtype, reduction=reduction, margin=-0.5)
    tensors = {"input1": _r(5), "input2": _r(5), "target": torch.tensor(-1.0)}
    _check(lambda F: F.cosine_embedding_loss, tensors, dtype, reduction=reduction, margin=-0.9)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_poisson_nll_loss(dtype: str, reduction: str) -> None:
    target = torch.rand(3, 4) * 4
    tensors = {"input": _r(3, 4), "target": target}
    _check(lambda F: F.poisson_nll_loss, tensors, dtype, reduction=reduction)
    _check(lambda F: F.poisson_nll_loss, tensors, dtype, reduction=reduction, full=True)
    rates = {"input": torch.rand(3, 4, dtype=torch.float64, requires_grad=True), "target": target}
    _check(lambda F: F.poisson_nll_loss, rates, dtype, reduction=reduction, log_input=False)
    rates["target"] = target.double().requires_grad_()
    _check(
        lambda F: F.poisson_nll_loss,
        rates,
        dtype,
        reduction=reduction,
        log_input=False,
        full=True,
        eps=0.1,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gaussian_nll_loss(dtype: str, reduction: str) -> None:
    var = torch.rand(3, 4, dtype=torch.float64)
    var[0, 0] = 0.0  # clamped to eps, without recording
    tensors = {"input": _r(3, 4), "target": _r(3, 4), "var": var.requires_grad_()}
    _check(lambda F: F.gaussian_nll_loss, tensors, dtype, reduction=reduction)
    _check(lambda F: F.gaussian_nll_loss, tensors, dtype, reduction=reduction, full=True)
    tensors["var"] = torch.rand(3, dtype=torch.float64, requires_grad=True)  # one dim short
    _check(lambda F: F.gaussian_nll_loss, tensors, dtype, reduction=reduction, eps=0.5)
    tensors["var"] = torch.rand(3, 1, dtype=torch.float64, requires_grad=True)  # broadcasts
    _check(lambda F: F.gaussian_nll_loss, tensors, dtype, reduction=reduction)
    tensors["var"] = 0.7  # a float: times ones_like(input)
    _check(lambda F: F.gaussian_nll_loss, tensors, dtype, reduction=reduction, full=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_loss(dtype: str, reduction: str, swap: bool) -> None:
    tensors = {"anchor": _r(4, 5), "positive": _r(4, 5), "negative": _r(4, 5)}
    _check(lambda F: F.triplet_margin_loss, tensors, dtype, reduction=reduction, swap=swap)
    _check(
        lambda F: F.triplet_margin_loss,
        tensors,
        dtype,
        reduction=reduction,
        swap=swap,
        margin=3.0,
        p=1.0,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_soft_margin_loss(dtype: str, reduction: str) -> None:
    target = (torch.rand(3, 4) > 0.5).double()
    tensors = {"input": _r(3, 4), "target": target}
    _check(lambda F: F.multilabel_soft_margin_loss, tensors, dtype, reduction=reduction)
    tensors["weight"] = torch.rand(4, dtype=torch.float64)
    _check(lambda F: F.multilabel_soft_margin_loss, tensors, dtype, reduction=reduction)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_loss(dtype: str, reduction: str, p: int) -> None:
    x = _r(6, 5).detach()
    x[0, 1] = math.nan  # torch's `z > 0` counts nothing for nan
    tensors = {"input": x.requires_grad_(), "target": torch.tensor([0, 4, 2, 2, 1, 3])}
    _check(lambda F: F.multi_margin_loss, tensors, dtype, reduction=reduction, p=p)
    tensors["weight"] = torch.rand(5, dtype=torch.float64)
    _check(lambda F: F.multi_margin_loss, tensors, dtype, reduction=reduction, p=p, margin=0.3)
    for target in (torch.tensor(3), torch.tensor([3])):  # a (C,) input: the target's shape
        tensors = {"input": _r(5), "target": target}
        _check(lambda F: F.multi_margin_loss, tensors, dtype, reduction=reduction, p=p)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shapes, kwargs",
    [
        (((3, 4), (3, 4)), {}),
        (((3, 4), (4,)), {"p": 1.0, "keepdim": True}),
        (((2, 3, 4), (2, 3, 4)), {"p": 3.0, "eps": 0.0}),
        (((5,), (5,)), {"p": math.inf}),
    ],
)
def test_pairwise_distance(dtype: str, shapes, kwargs: dict) -> None:
    tensors = {"x1": _r(*shapes[0]), "x2": _r(*shapes[1])}
    _check(lambda F: F.pairwise_distance, tensors, dtype, **kwargs)


# ---------------------------------------------------------------- reductions and warnings


def test_kl_div_mean_warns_as_torch() -> None:
    x, y = torch.randn(2, 3), torch.rand(2, 3)
    with pytest.warns(UserWarning) as theirs:
        TF.kl_div(x, y)
    with pytest.warns(UserWarning) as ours:
        GF.kl_div(_ours(x), _ours(y))
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    assert ours[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # batchmean, sum and none warn of nothing
        GF.kl_div(_ours(x), _ours(y), reduction="batchmean")


LEGACY = [(None, False), (False, None), (True, True), (False, True)]


@pytest.mark.parametrize("size_average, reduce", LEGACY)
@pytest.mark.parametrize(
    "name, args",
    [
        ("kl_div", ((2, 3), (2, 3))),
        ("margin_ranking_loss", ((4,), (4,), (4,))),
        ("hinge_embedding_loss", ((2, 3), (2, 3))),
        ("soft_margin_loss", ((2, 3), (2, 3))),
        ("cosine_embedding_loss", ((2, 3), (2, 3), (2,))),
        ("poisson_nll_loss", ((2, 3), (2, 3))),
        ("triplet_margin_loss", ((2, 3), (2, 3), (2, 3))),
        ("multilabel_soft_margin_loss", ((2, 3), (2, 3))),
    ],
)
def test_legacy_size_average_and_reduce(name: str, args, size_average, reduce) -> None:
    """The legacy arguments pick torch's reduction, with its deprecation warning, even over
    an explicit (batchmean) reduction."""
    tensors = [torch.rand(shape) for shape in args]
    kwargs = {"size_average": size_average, "reduce": reduce, "reduction": "batchmean"}
    if name != "kl_div":
        kwargs["reduction"] = "mean"
    with pytest.warns(UserWarning) as theirs:
        expected = getattr(TF, name)(*tensors, **kwargs)
    with pytest.warns(UserWarning) as ours:
        actual = getattr(GF, name)(*map(_ours, tensors), **kwargs)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    assert actual.shape == expected.shape
    _close(actual, expected, 1e-5, 1e-6)


# ---------------------------------------------------------------- modules

MODULES = {
    "KLDivLoss": ((), {"reduction": "batchmean", "log_target": True}, 2),
    "MarginRankingLoss": ((0.5,), {"reduction": "sum"}, 3),
    "HingeEmbeddingLoss": ((), {"margin": 2.0}, 2),
    "SoftMarginLoss": ((), {"reduction": "none"}, 2),
    "CosineEmbeddingLoss": ((0.2,), {}, 3),
    "PoissonNLLLoss": ((), {"full": True, "eps": 1e-4}, 2),
    "GaussianNLLLoss": ((), {"full": True, "reduction": "sum"}, 3),
    "TripletMarginLoss": ((), {"margin": 0.5, "p": 1.0, "swap": True}, 3),
    "MultiLabelSoftMarginLoss": ((), {"reduction": "sum"}, 2),
    "MultiMarginLoss": ((2, 0.5), {"reduction": "none"}, 2),
    "PairwiseDistance": ((), {"p": 3.0, "keepdim": True}, 2),
    "CosineSimilarity": ((), {"dim": 0, "eps": 1e-3}, 2),
}


@pytest.mark.parametrize("name", MODULES)
def test_module_matches_torch(name: str) -> None:
    """The module's repr, attributes, and its call's value, graph and gradients."""
    args, kwargs, arity = MODULES[name]
    theirs, ours = getattr(tnn, name)(*args, **kwargs), getattr(gnn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    public = {k: v for k, v in vars(theirs).items() if not k.startswith("_") and k != "training"}
    assert {k: getattr(ours, k) for k in public} == public
    inputs = [torch.rand(4, 3, dtype=torch.float64, requires_grad=True) for _ in range(arity)]
    if name in ("MarginRankingLoss", "HingeEmbeddingLoss", "SoftMarginLoss"):
        inputs[-1] = _signs(4, 3)
    if name == "CosineEmbeddingLoss":
        inputs[-1] = _signs(4)
    if name == "MultiMarginLoss":
        inputs[-1] = torch.tensor([2, 0, 1, 1])
    expected = theirs(*inputs)
    mine = [_ours(t) for t in inputs]
    actual = ours(*mine)
    assert graph_of(actual.grad_fn) == graph_of(expected.grad_fn)
    _close(actual, expected, 1e-10, 1e-12)
    expected.sum().backward()
    actual.sum().backward()
    for t, m in zip(inputs, mine, strict=True):
        if t.requires_grad:
            _close(m.grad, t.grad, 1e-10, 1e-12)


def test_module_legacy_reduction_warns_at_construction() -> None:
    with pytest.warns(UserWarning) as theirs:
        expected = tnn.KLDivLoss(size_average=False)
    with pytest.warns(UserWarning) as ours:
        actual = gnn.KLDivLoss(size_average=False)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    assert actual.reduction == expected.reduction == "sum"


# ---------------------------------------------------------------- errors


ERRORS = {
    "kl_div reduction": lambda T: T.nn.functional.kl_div(T.ones(3), T.ones(3), reduction="x"),
    "kl_div integral": lambda T: T.nn.functional.kl_div(
        T.ones(3, dtype=T.long), T.ones(3), reduction="sum"
    ),
    "margin_ranking dims": lambda T: T.nn.functional.margin_ranking_loss(
        T.ones(3), T.ones(3), T.ones(2, 3)
    ),
    "margin_ranking reduction": lambda T: T.nn.functional.margin_ranking_loss(
        T.ones(3), T.ones(3), T.ones(3), reduction="x"
    ),
    "hinge reduction": lambda T: T.nn.functional.hinge_embedding_loss(
        T.ones(3), T.ones(3), reduction="x"
    ),
    "soft_margin reduction": lambda T: T.nn.functional.soft_margin_loss(
        T.ones(3), T.ones(3), reduction="x"
    ),
    "soft_margin shape": lambda T: T.nn.functional.soft_margin_loss(T.ones(4), T.ones(3, 4)),
    "soft_margin integral": lambda T: T.nn.functional.soft_margin_loss(
        T.ones(3, dtype=T.long), T.ones(3)
    ),
    "soft_margin bool": lambda T: T.nn.functional.soft_margin_loss(
        T.ones(3, dtype=T.bool), T.ones(3)
    ),
    "soft_margin target grad": lambda T: T.nn.functional.soft_margin_loss(
        T.ones(3), T.ones(3, requires_grad=True)
    ),
    "cosine_embedding target": lambda T: T.nn.functional.cosine_embedding_loss(
        T.ones(3, 2), T.ones(3, 2), T.ones(3, 1)
    ),
    "cosine_embedding 1d target": lambda T: T.nn.functional.cosine_embedding_loss(
        T.ones(3, 2), T.ones(3), T.ones(3)
    ),
    "cosine_embedding 0d target": lambda T: T.nn.functional.cosine_embedding_loss(
        T.ones(3), T.ones(2, 3), T.tensor(1.0)
    ),
    "poisson reduction": lambda T: T.nn.functional.poisson_nll_loss(
        T.ones(3), T.ones(3), reduction="x"
    ),
    "gaussian negative var": lambda T: T.nn.functional.gaussian_nll_loss(
        T.ones(3), T.ones(3), -1.0
    ),
    "gaussian int var": lambda T: T.nn.functional.gaussian_nll_loss(T.ones(3), T.ones(3), 1),
    "gaussian list var": lambda T: T.nn.functional.gaussian_nll_loss(T.ones(3), T.ones(3), [1.0]),
    "pairwise shapes": lambda T: T.nn.functional.pairwise_distance(T.ones(3, 2), T.ones(4, 2)),
    "triplet dims": lambda T: T.nn.functional.triplet_margin_loss(
        T.ones(3, 2), T.ones(3, 2), T.ones(2)
    ),
    "triplet margin": lambda T: T.nn.functional.triplet_margin_loss(
        T.ones(3, 2), T.ones(3, 2), T.ones(3, 2), margin=0
    ),
    "multilabel reduction": lambda T: T.nn.functional.multilabel_soft_margin_loss(
        T.ones(3, 2), T.ones(3, 2), reduction="x"
    ),
    "TripletMarginLoss margin": lambda T: T.nn.TripletMarginLoss(margin=-1.0),
    "multi_margin p": lambda T: T.nn.functional.multi_margin_loss(
        T.ones(3, 4), T.tensor([0, 1, 2]), p=3
    ),
    "multi_margin weight dim": lambda T: T.nn.functional.multi_margin_loss(
        T.ones(3, 4), T.tensor([0, 1, 2]), weight=T.ones(1, 4)
    ),
    "multi_margin weight size": lambda T: T.nn.functional.multi_margin_loss(
        T.ones(3, 4), T.tensor([0, 1, 2]), weight=T.ones(3)
    ),
    "multi_margin weight dtype": lambda T: T.nn.functional.multi_margin_loss(
        T.ones(3, 4), T.tensor([0, 1, 2]), weight=T.ones(4, dtype=T.float64)
    ),
    "multi_margin weight grad": lambda T: T.nn.functional.multi_margin_loss(
        T.ones(3, 4), T.tensor([0, 1, 2]), weight=T.ones(4, requires_grad=True)
    ),
    "multi_margin empty": lambda T: T.nn.functional.multi_margin_loss(
        T.ones(3, 0), T.tensor([0, 1, 2])
    ),
    "multi_margin 3-d": lambda T: T.nn.functional.multi_margin_loss(
        T.ones(2, 3, 4), T.tensor([0, 1])
    ),
    "multi_margin target size": lambda T: T.nn.functional.multi_margin_loss(
        T.ones(3, 4), T.tensor([0, 1])
    ),
    "multi_margin 2-d target": lambda T: T.nn.functional.multi_margin_loss(
        T.ones(4), T.tensor([[1]])
    ),
    "multi_margin float target": lambda T: T.nn.functional.multi_margin_loss(
        T.ones(3, 4), T.tensor([0.0, 1.0, 2.0])
    ),
    "multi_margin integral input": lambda T: T.nn.functional.multi_margin_loss(
        T.ones(3, 4, dtype=T.long), T.tensor([0, 1, 2])
    ),
    "multi_margin reduction": lambda T: T.nn.functional.multi_margin_loss(
        T.ones(3, 4), T.tensor([0, 1, 2]), reduction="x"
    ),
    "MultiMarginLoss p": lambda T: T.nn.MultiMarginLoss(p=3),
    "MultiMarginLoss weight": lambda T: T.nn.MultiMarginLoss(weight=T.ones(2, 2)),
}


@pytest.mark.parametrize("call", ERRORS.values(), ids=ERRORS.keys())
def test_error_at_the_line(call) -> None:
    check_error_at_line(call)


def test_multi_margin_loss_target_out_of_range_at_the_next_read() -> None:
    check_raised_at_the_next_read(
        lambda T: T.nn.functional.multi_margin_loss(T.ones(3, 4), T.tensor([0, 4, 1])).item(),
        "multi_margin_loss",
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda F, lib: F.gaussian_nll_loss(lib.ones(3), lib.ones(3), -lib.ones(3)),
        lambda F, lib: F.gaussian_nll_loss(lib.ones(3, 2), lib.ones(3, 2), -lib.ones(2)),
        lambda F, lib: F.gaussian_nll_loss(lib.ones(3, 2), lib.ones(3, 2), lib.ones(2)),
        lambda F, lib: F.gaussian_nll_loss(lib.ones(3), lib.ones(3), lib.ones(3), reduction="x"),
    ],
    ids=["negative", "negative before the size", "size", "reduction"],
)
def test_gaussian_nll_loss_tensor_var_errors(call) -> None:
    """A tensor var's checks: torch reads whether any entry is negative first (one round
    trip here too), then its size, then the reduction."""
    check_same_error(call)


# ---------------------------------------------------------------- training


def _embedding_net(nn):
    return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 4))


def test_trains_alike_with_soft_margin_and_kl_div() -> None:
    def data(T):
        generator = torch.Generator().manual_seed(3)
        x = torch.randn(16, 6, generator=generator)
        y = torch.randint(0, 2, (16, 4), generator=generator).double() * 2 - 1
        return (T.tensor(x.numpy()), T.tensor(y.float().numpy()))

    runs = train_alike(
        _embedding_net,
        lambda T, params: T.optim.SGD(params, lr=0.5),
        lambda T: T.nn.SoftMarginLoss(),
        data,
    )
    assert_trains_alike(runs)

    def kl(T):
        loss = T.nn.KLDivLoss(reduction="batchmean")
        return lambda output, target: loss(output.log_softmax(1), target)

    def distributions(T):
        generator = torch.Generator().manual_seed(4)
        x = torch.randn(16, 6, generator=generator)
        y = torch.randn(16, 4, generator=generator).softmax(1)
        return (T.tensor(x.numpy()), T.tensor(y.numpy()))

    runs = train_alike(
        _embedding_net, lambda T, params: T.optim.Adam(params, lr=0.05), kl, distributions
    )
    assert_trains_alike(runs)
