"""nn.functional.embedding, nn.Embedding and Embedding.from_pretrained against torch 2.13:
values and weight gradients in float32 and float64 (repeated indices summing, padding_idx,
scale_grad_by_freq, 0-d to 2-d index tensors), the graphs recorded, max_norm's in-place
renormalization, reprs, initialization, from_pretrained's freezing and sharing, a training
loop, and torch's errors: at the line where the client can know them, at the next read where
they depend on the indices' values, with the session usable afterwards."""

from __future__ import annotations

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import (
    assert_trains_alike,
    check_error_at_line,
    check_raised_at_the_next_read,
    check_same,
    graph_of,
    no_rpc,
    train_alike,
)

DTYPES = ["float32", "float64"]
TOLERANCE = {"float32": {"rtol": 1e-6, "atol": 1e-6}, "float64": {"rtol": 1e-12, "atol": 1e-14}}
WEIGHT = np.random.default_rng(7).standard_normal((6, 4)) * 2  # row norms about 2 to 6
INDICES = [[1, 3, 3, 0], [5, 3, 1, 1]]  # 3 and 1 repeat; 2 and 4 never occur


def _weight(T, dtype: str, requires_grad: bool = True):
    return T.tensor(WEIGHT, dtype=getattr(T, dtype), requires_grad=requires_grad)


# ---------------------------------------------------------------- values and gradients

LOOKUPS = {
    "2-d indices": lambda F, T, w: F.embedding(T.tensor(INDICES), w),
    "1-d indices": lambda F, T, w: F.embedding(T.tensor([4, 0, 4, 4]), w),
    "0-d index": lambda F, T, w: F.embedding(T.tensor(2), w),
    "no indices": lambda F, T, w: F.embedding(T.tensor([], dtype=T.int64), w),
    "3-d indices": lambda F, T, w: F.embedding(T.tensor([INDICES, INDICES[::-1]]), w),
    "padding_idx": lambda F, T, w: F.embedding(T.tensor(INDICES), w, padding_idx=3),
    "padding_idx 0": lambda F, T, w: F.embedding(T.tensor(INDICES), w, padding_idx=0),
    "negative padding_idx": lambda F, T, w: F.embedding(T.tensor(INDICES), w, padding_idx=-5),
    "padding_idx unused": lambda F, T, w: F.embedding(T.tensor(INDICES), w, padding_idx=2),
    "scale_grad_by_freq": lambda F, T, w: F.embedding(
        T.tensor(INDICES), w, scale_grad_by_freq=True
    ),
    "scale_grad_by_freq with padding_idx": lambda F, T, w: F.embedding(
        T.tensor(INDICES), w, padding_idx=1, scale_grad_by_freq=True
    ),
    "a non-contiguous weight": lambda F, T, w: F.embedding(T.tensor(INDICES), w.t().t()[:, 1:]),
    "a weight with history": lambda F, T, w: F.embedding(T.tensor(INDICES), w * 3),
    "non-contiguous indices": lambda F, T, w: F.embedding(T.tensor(INDICES).t(), w),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", LOOKUPS)
def test_lookup_values_gradients_and_graph_match_torch(name: str, dtype: str) -> None:
    """The rows, EmbeddingBackward0 and what it reaches, and the weight's gradient for an
    upstream gradient of distinct values (repeated indices sum; padding rows get none;
    scale_grad_by_freq divides by each index's count)."""

    def scenario(T):
        w = _weight(T, dtype)
        y = LOOKUPS[name](T.nn.functional, T, w)
        upstream = np.linspace(-1.0, 2.0, y.numel()).reshape(tuple(y.shape))
        y.backward(T.tensor(upstream, dtype=getattr(T, dtype)))
        return y, y.stride(), graph_of(y.grad_fn), w.grad

    check_same(scenario, **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_lookup_of_a_weight_without_grad_matches_torch(dtype: str) -> None:
    """Any weight dtype is looked up as it is; no history without requires_grad."""
    check_same(
        lambda T: T.nn.functional.embedding(
            T.tensor(INDICES),
            T.tensor(WEIGHT > 0 if dtype == "bool" else WEIGHT * 3).to(getattr(T, dtype)),
        )
    )


def test_gradients_accumulate_over_two_lookups_as_torch() -> None:
    def scenario(T):
        w = _weight(T, "float64")
        a = T.nn.functional.embedding(T.tensor([0, 2]), w, padding_idx=2)
        b = T.nn.functional.embedding(T.tensor([[2, 2], [5, 0]]), w, scale_grad_by_freq=True)
        (a.sum() * 2 + (b * b).sum()).backward()
        return w.grad, graph_of(b.grad_fn)

    check_same(scenario, **TOLERANCE["float64"])


def test_lookup_is_known_without_asking_the_server(session) -> None:
    """Shape, dtype and grad_fn come from the op table: no round trip until a read."""
    w = gradrpc.tensor(WEIGHT, requires_grad=True)
    indices = gradrpc.tensor(INDICES)
    session.flush()
    with no_rpc(session):
        y = gradrpc.nn.functional.embedding(indices, w, padding_idx=1)
        assert y.shape == gradrpc.Size([2, 4, 4])
        assert y.grad_fn.name() == "EmbeddingBackward0"
        y.sum().backward()


def test_indices_changed_in_place_refuse_the_backward_as_torch() -> None:
    """EmbeddingBackward0 saves the indices, as torch's does (the server finds the
    change, so gradrpc raises at the next read)."""

    def scenario(T):
        w = _weight(T, "float64")
        indices = T.tensor(INDICES)
        y = T.nn.functional.embedding(indices, w)
        indices.add_(1)
        y.sum().backward()
        return w.grad.tolist()

    check_raised_at_the_next_read(scenario, "backward")


# ---------------------------------------------------------------- max_norm

RENORMS = {
    "max_norm 3": {"max_norm": 3.0},
    "max_norm 1, order 1": {"max_norm": 1.0, "norm_type": 1.0},
    "max_norm 2, order inf": {"max_norm": 2.0, "norm_type": float("inf")},
    "max_norm 3, order 3": {"max_norm": 3.0, "norm_type": 3},
    "max_norm above every norm": {"max_norm": 100.0},
    "a negative max_norm flips every row": {"max_norm": -1.0},
    "an int max_norm": {"max_norm": 2},
    "with padding_idx and scale_grad_by_freq": {
        "max_norm": 2.5,
        "padding_idx": 3,
        "scale_grad_by_freq": True,
    },
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", RENORMS)
def test_max_norm_renormalizes_the_rows_in_place_as_torch(name: str, dtype: str) -> None:
    """The referenced rows whose norm exceeds max_norm are scaled by max_norm / (norm +
    1e-7) in the weight itself, the others left alone; then the lookup and its gradient."""

    def scenario(T):
        w = _weight(T, dtype)
        y = T.nn.functional.embedding(T.tensor(INDICES), w, **RENORMS[name])
        y.backward(T.ones_like(y))
        return y, graph_of(y.grad_fn), w.detach().clone(), w.grad, w.is_leaf

    check_same(scenario, **TOLERANCE[dtype])


def test_max_norm_renormalizes_a_table_of_a_module_as_torch() -> None:
    """nn.Embedding(max_norm=...) renormalizes its weight at every forward."""

    def scenario(T):
        emb = T.nn.Embedding.from_pretrained(_weight(T, "float32", False), max_norm=1.5)
        before = emb.weight.detach().clone()
        y = emb(T.tensor([[0, 5]]))
        return before, y, emb.weight.detach().clone()

    check_same(scenario, **TOLERANCE["float32"])


def test_max_norm_write_moves_the_weight_s_version_as_torch() -> None:
    """The renormalization writes the weight in place (through weight.detach(), once, even
    when no row changes): a graph that saved the weight refuses its backward, as torch's."""

    def scenario(T):
        w = _weight(T, "float32")
        saved = (w * w).sum()
        T.nn.functional.embedding(T.tensor([0]), w, max_norm=1e6)
        saved.backward()
        return w.grad.tolist()

    check_raised_at_the_next_read(scenario, "backward")


# ---------------------------------------------------------------- errors

AT_THE_LINE = {
    "float32 indices": lambda T: T.nn.functional.embedding(T.tensor([0.0]), T.ones(5, 3)),
    "float64 indices": lambda T: T.nn.functional.embedding(
        T.tensor([0.0], dtype=T.float64), T.ones(5, 3)
    ),
    "bool indices": lambda T: T.nn.functional.embedding(T.tensor([True]), T.ones(5, 3)),
    "a 1-d weight": lambda T: T.nn.functional.embedding(T.tensor([0.0]), T.ones(5)),
    "a 3-d weight": lambda T: T.nn.functional.embedding(T.tensor([0]), T.ones(2, 3, 4)),
    "an empty weight": lambda T: T.nn.functional.embedding(T.tensor([0]), T.ones(0, 3)),
    "padding_idx too large": lambda T: T.nn.functional.embedding(
        T.tensor([0]), T.ones(5, 3), padding_idx=5
    ),
    "padding_idx too small": lambda T: T.nn.functional.embedding(
        T.tensor([0]), T.ones(5, 3), padding_idx=-6
    ),
    "padding_idx of a 0-d weight": lambda T: T.nn.functional.embedding(
        T.tensor([0]), T.ones(()), padding_idx=1
    ),
    "padding_idx float": lambda T: T.nn.functional.embedding(
        T.tensor([0]), T.ones(5, 3), padding_idx=1.5
    ),
    "padding_idx negative float": lambda T: T.nn.functional.embedding(
        T.tensor([0]), T.ones(5, 3), padding_idx=-1.5
    ),
    "padding_idx bool": lambda T: T.nn.functional.embedding(
        T.tensor([0]), T.ones(5, 3), padding_idx=True
    ),
    "padding_idx str": lambda T: T.nn.functional.embedding(
        T.tensor([0]), T.ones(5, 3), padding_idx="a"
    ),
    "scale_grad_by_freq int": lambda T: T.nn.functional.embedding(
        T.tensor([0]), T.ones(5, 3), scale_grad_by_freq=1
    ),
    "sparse None": lambda T: T.nn.functional.embedding(T.tensor([0]), T.ones(5, 3), sparse=None),
    "indices a list": lambda T: T.nn.functional.embedding([0], T.ones(5, 3)),
    "indices an int": lambda T: T.nn.functional.embedding(0, T.ones(5, 3)),
    "weight a list": lambda T: T.nn.functional.embedding(T.tensor([0]), [[1.0]]),
    "max_norm with float indices": lambda T: T.nn.functional.embedding(
        T.tensor([0.0]), T.ones(5, 3), max_norm=1.0
    ),
    "max_norm with bool indices": lambda T: T.nn.functional.embedding(
        T.tensor([True]), T.ones(5, 3), max_norm=1.0
    ),
    "max_norm of a 1-d weight": lambda T: T.nn.functional.embedding(
        T.tensor([0.0]), T.ones(5), max_norm=1.0
    ),
    "max_norm of an int64 weight": lambda T: T.nn.functional.embedding(
        T.tensor([0]), T.ones(5, 3, dtype=T.int64), max_norm=1.0
    ),
    "max_norm of a bool weight": lambda T: T.nn.functional.embedding(
        T.tensor([0]), T.ones(5, 3, dtype=T.bool), max_norm=1.0
    ),
    "max_norm str": lambda T: T.nn.functional.embedding(T.tensor([0]), T.ones(5, 3), max_norm="a"),
    "norm_type str": lambda T: T.nn.functional.embedding(
        T.tensor([0]), T.ones(5, 3), max_norm=1.0, norm_type="a"
    ),
    "max_norm with indices a list": lambda T: T.nn.functional.embedding(
        [0], T.ones(5, 3), max_norm=1.0
    ),
    "module padding_idx too large": lambda T: T.nn.Embedding(5, 3, padding_idx=5),
    "module padding_idx too small": lambda T: T.nn.Embedding(5, 3, padding_idx=-6),
    "module _weight of another shape": lambda T: T.nn.Embedding(5, 3, _weight=T.ones(3, 5)),
    "from_pretrained of a 1-d tensor": lambda T: T.nn.Embedding.from_pretrained(T.ones(5)),
    "module float indices": lambda T: T.nn.Embedding(5, 3)(T.tensor([[1.0]])),
}


@pytest.mark.parametrize("name", AT_THE_LINE)
def test_errors_match_torch_at_the_line(name: str) -> None:
    check_error_at_line(AT_THE_LINE[name])


AT_THE_NEXT_READ = {  # (the scenario, the op that fails)
    "an index too large": (
        lambda T: T.nn.functional.embedding(T.tensor([0, 5]), T.ones(5, 3)).sum().item(),
        "embedding",
    ),
    "a negative index": (
        lambda T: T.nn.functional.embedding(T.tensor([[0], [-1]]), T.ones(5, 3)).sum().item(),
        "embedding",
    ),
    "a 0-d index out of range": (
        lambda T: T.nn.functional.embedding(T.tensor(9), T.ones(5, 3)).sum().item(),
        "embedding",
    ),
    "a module's index too large": (
        lambda T: T.nn.Embedding(5, 3)(T.tensor([5])).sum().item(),
        "embedding",
    ),
    # torch visits the indices sorted, so the smallest one out of range is named
    "max_norm, an index too large": (
        lambda T: (
            T.nn.functional.embedding(T.tensor([6, 0, 5]), T.ones(5, 3), max_norm=1.0).sum().item()
        ),
        "embedding_renorm",
    ),
    "max_norm, an index too small": (
        lambda T: (
            T.nn.functional.embedding(T.tensor([7, -8, -6]), T.ones(5, 3), max_norm=1.0)
            .sum()
            .item()
        ),
        "embedding_renorm",
    ),
    "max_norm, a negative index in range": (
        lambda T: (
            T.nn.functional.embedding(T.tensor([0, -1]), T.ones(5, 3), max_norm=1.0).sum().item()
        ),
        "embedding",
    ),
}


@pytest.mark.parametrize("name", AT_THE_NEXT_READ)
def test_index_errors_match_torch_at_the_next_read(name: str) -> None:
    """torch's IndexError, raised where the values are read; the session stays usable."""
    check_raised_at_the_next_read(*AT_THE_NEXT_READ[name])


def test_an_index_error_leaves_earlier_work_and_the_session_usable(session) -> None:
    w = gradrpc.tensor(WEIGHT, requires_grad=True)
    good = gradrpc.nn.functional.embedding(gradrpc.tensor([1]), w)
    bad = gradrpc.nn.functional.embedding(gradrpc.tensor([6]), w)
    with pytest.raises(IndexError, match=r"^index out of range in self\n"):
        bad.sum().item()
    good.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy()[1], np.ones(4))
    assert gradrpc.nn.functional.embedding(gradrpc.tensor([2]), w).tolist() == [WEIGHT[2].tolist()]


def test_sparse_gradients_are_not_supported(session) -> None:
    """torch's sparse=True gives a sparse gradient; gradrpc has no sparse tensors."""
    with no_rpc(session), pytest.raises(NotImplementedError, match=r"^gradrpc: .*sparse=True"):
        gradrpc.nn.functional.embedding(gradrpc.tensor([0]), gradrpc.ones(5, 3), sparse=True)
    with pytest.raises(NotImplementedError, match=r"^gradrpc: .*sparse=True"):
        gradrpc.nn.Embedding(5, 3, sparse=True)(gradrpc.tensor([0]))


# ---------------------------------------------------------------- the module

MODULES = {
    "plain": lambda nn: nn.Embedding(10, 3),
    "padding_idx": lambda nn: nn.Embedding(10, 3, padding_idx=0),
    "negative padding_idx": lambda nn: nn.Embedding(10, 3, padding_idx=-2),
    "every option": lambda nn: nn.Embedding(
        10, 3, padding_idx=4, max_norm=1.5, norm_type=1.0, scale_grad_by_freq=True, sparse=True
    ),
    "norm_type int": lambda nn: nn.Embedding(10, 3, max_norm=2, norm_type=3),
    "frozen": lambda nn: nn.Embedding(10, 3, _freeze=True),
    "float64": lambda nn: nn.Embedding(
        2, 5, dtype=torch.float64 if nn is torch.nn else gradrpc.float64
    ),
    "in a Sequential": lambda nn: nn.Sequential(nn.Embedding(10, 3), nn.Linear(3, 2)),
}


@pytest.mark.parametrize("name", MODULES)
def test_module_repr_parameters_and_options_match_torch(name: str) -> None:
    def scenario(T):
        module = MODULES[name](T.nn)
        emb = module[0] if isinstance(module, T.nn.Sequential) else module
        options = [
            getattr(emb, a)
            for a in ("num_embeddings", "embedding_dim", "padding_idx", "max_norm", "norm_type")
        ]
        options += [emb.scale_grad_by_freq, emb.sparse]
        w = emb.weight
        flags = (tuple(w.shape), str(w.dtype), w.requires_grad, w.is_leaf, type(w).__name__)
        return repr(module), options, flags, list(module.state_dict())

    check_same(scenario)


@pytest.mark.parametrize("padding_idx", [None, 0, 3, -1])
def test_initial_weight_is_standard_normal_with_the_padding_row_zeroed(padding_idx) -> None:
    """N(0, 1) drawn on the server (the session's draws, not torch's): over 20,000 numbers the
    mean is within 0.03 of 0 and the standard deviation within 0.03 of 1; the padding row is
    zero, and reset_parameters draws again and zeroes it again."""
    emb = gradrpc.nn.Embedding(2000, 10, padding_idx=padding_idx)
    for _ in range(2):
        values = emb.weight.detach().numpy()
        assert values.shape == (2000, 10) and values.dtype == np.float32
        if padding_idx is not None:
            assert not values[padding_idx].any()
            values = np.delete(values, padding_idx, axis=0)
        assert abs(values.mean()) < 0.03 and abs(values.std() - 1) < 0.03
        before = emb.weight.detach().numpy()
        emb.reset_parameters()
        assert not np.array_equal(emb.weight.detach().numpy(), before)
    assert emb.weight.is_leaf and emb.weight.requires_grad and emb.weight.grad_fn is None


@pytest.mark.parametrize("freeze", [True, False])
def test_from_pretrained_freezes_and_shares_the_values_as_torch(freeze: bool) -> None:
    """from_pretrained's weight is a Parameter over the given tensor's values: frozen by
    default (no gradient), trainable with freeze=False; a write to either is seen by both."""

    def scenario(T):
        table = T.tensor(WEIGHT)
        emb = T.nn.Embedding.from_pretrained(table, freeze=freeze, padding_idx=2)
        with T.no_grad():
            table[0] = 7.0
        y = emb(T.tensor([[0, 2, 5]]))
        flags = (emb.weight.requires_grad, y.requires_grad, graph_of(y.grad_fn))
        if freeze:
            return repr(emb), y, flags, emb.weight.grad
        y.sum().backward()
        return repr(emb), y, flags, emb.weight.grad, table

    check_same(scenario, **TOLERANCE["float32"])


# ---------------------------------------------------------------- training

TRAINING = {
    "Embedding Linear, CrossEntropyLoss": {},
    "padding_idx and scale_grad_by_freq": {"padding_idx": 0, "scale_grad_by_freq": True},
    "max_norm": {"max_norm": 1.0},
}


@pytest.mark.parametrize("name", TRAINING)
def test_training_loop_losses_match_torch(name: str) -> None:
    """Eight SGD steps of Embedding -> Linear -> CrossEntropyLoss over sequences of token
    ids, from torch's initial weights loaded into ours: the losses within 1e-5 relative."""
    torch.manual_seed(0)

    def build(nn):
        return nn.Sequential(nn.Embedding(12, 5, **TRAINING[name]), nn.Flatten(), nn.Linear(15, 4))

    tokens = torch.randint(0, 12, (16, 3))
    labels = torch.randint(0, 4, (16,))
    runs = train_alike(
        build,
        lambda T, parameters: T.optim.SGD(parameters, lr=0.5),
        lambda T: T.nn.CrossEntropyLoss(),
        lambda T: tuple(t if T is torch else gradrpc.tensor(t.numpy()) for t in (tokens, labels)),
        steps=8,
    )
    assert_trains_alike(runs)
