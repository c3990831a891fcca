"""torch.nn.utils.rnn against real torch: PackedSequence (fields, tuple behaviour, repr,
conversions), pack_padded_sequence, pad_packed_sequence, pad_sequence, pack_sequence,
unpack_sequence and unpad_sequence (values, dtypes, gradients, errors), built without a round
trip; and RNN, GRU and LSTM over a PackedSequence: the packed output, the final states per
sequence length and every gradient, as torch's."""

from __future__ import annotations

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import check_same, graph_of, no_rpc

LENGTHS = [  # (lengths, enforce_sorted)
    ([5, 3, 3, 1], True),
    ([2, 5, 1, 3], False),
    ([4, 4, 2, 4], False),
    ([5], True),
]


def _padded(T, steps: int, batch: int, features: int, batch_first: bool, seed: int = 0):
    shape = (batch, steps, features) if batch_first else (steps, batch, features)
    values = np.random.default_rng(seed).standard_normal(shape)
    return T.tensor(values, dtype=T.float64, requires_grad=True)


def _fields(packed) -> list:
    return list(packed)


@pytest.mark.parametrize("lengths, enforce_sorted", LENGTHS)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("as_tensor", [False, True])
def test_pack_then_pad_as_torch(session, lengths, enforce_sorted, batch_first, as_tensor):
    def run(T):
        x = _padded(T, 5, len(lengths), 3, batch_first)
        given = T.tensor(lengths) if as_tensor else lengths
        packed = T.nn.utils.rnn.pack_padded_sequence(x, given, batch_first, enforce_sorted)
        padded, out_lengths = T.nn.utils.rnn.pad_packed_sequence(
            packed, batch_first=batch_first, padding_value=-1.5, total_length=6
        )
        weights = T.arange(padded.numel(), dtype=T.float64).reshape(padded.shape)
        (padded * weights).sum().backward()
        return [*_fields(packed)[1:], packed.data, padded, out_lengths, x.grad]

    check_same(run)


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_graphs_as_torch(session, enforce_sorted, batch_first):
    def graphs(T):
        x = _padded(T, 4, 3, 2, batch_first)
        rnn = T.nn.utils.rnn
        lengths = [4, 3, 1] if enforce_sorted else [3, 4, 1]
        packed = rnn.pack_padded_sequence(x, lengths, batch_first, enforce_sorted)
        padded, lengths = rnn.pad_packed_sequence(packed, batch_first)
        found = [graph_of(packed.data.grad_fn), graph_of(padded.grad_fn)]
        sequences = rnn.unpad_sequence(padded, lengths, batch_first)  # torch: transpose_
        repadded = rnn.pad_sequence(sequences, batch_first, padding_side="left")
        return found + [graph_of(t.grad_fn) for t in (*sequences, repadded)]

    assert graphs(gradrpc) == [_composed(g) for g in graphs(torch)]


def _composed(graph):
    """torch's graph with its in-place transpose_ (TransposeBackward1: unpad_sequence
    without batch_first) as gradrpc's transpose (TransposeBackward0)."""
    if graph is None:
        return None
    name, children = graph
    name = "TransposeBackward0" if name == "TransposeBackward1" else name
    return (name, [_composed(child) for child in children])


def test_packing_reads_nothing(session):
    x = gradrpc.randn(5, 4, 3, requires_grad=True)
    with no_rpc():
        packed = gradrpc.nn.utils.rnn.pack_padded_sequence(x, [2, 5, 1, 3], enforce_sorted=False)
        padded, lengths = gradrpc.nn.utils.rnn.pad_packed_sequence(packed)
        gradrpc.nn.utils.rnn.unpack_sequence(packed)
        gradrpc.nn.utils.rnn.unpad_sequence(padded, lengths)
        gradrpc.nn.GRU(3, 2, bidirectional=True)(packed)


def test_packed_sequence_as_torch(session):
    from gradrpc.nn.utils.rnn import PackedSequence as Ours
    from torch.nn.utils.rnn import PackedSequence as Theirs

    def run(T):
        sequences = [T.tensor([1.0, 2.0, 3.0]), T.tensor([4.0]), T.tensor([5.0, 6.0])]
        packed = T.nn.utils.rnn.pack_sequence(sequences, enforce_sorted=False)
        data, batch_sizes, sorted_indices, unsorted_indices = packed
        made = T.nn.utils.rnn.PackedSequence(packed.data, packed.batch_sizes)
        return [
            repr(packed),
            packed._fields,
            len(packed),
            packed[0] is packed.data,
            packed.float() is packed,
            packed.double().data,
            packed.to(T.float64).sorted_indices,
            packed.to("cpu") is packed,
            packed.cpu() is packed,
            packed.is_cuda,
            repr(packed._replace(data=packed.data * 2)),
            repr(made),
            repr(T.nn.utils.rnn.PackedSequence((packed.data, packed.batch_sizes))),
            T.nn.utils.rnn.invert_permutation(T.tensor([2, 0, 3, 1])),
            [data, batch_sizes, sorted_indices, unsorted_indices],
        ]

    check_same(run)
    assert Ours.__mro__[-2:] == Theirs.__mro__[-2:] == (tuple, object)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_as_torch(session, batch_first, padding_side):
    def run(T):
        rng = np.random.default_rng(3)
        sequences = [
            T.tensor(rng.standard_normal((n, 2)), dtype=T.float64, requires_grad=True)
            for n in (2, 4, 1)
        ]
        padded = T.nn.utils.rnn.pad_sequence(sequences, batch_first, 7.0, padding_side)
        weights = T.arange(padded.numel(), dtype=T.float64).reshape(padded.shape)
        (padded * weights).sum().backward()
        return [padded, *[s.grad for s in sequences]]

    check_same(run)


def test_pack_unpack_unpad_round_trip_as_torch(session):
    def run(T):
        rng = np.random.default_rng(4)
        sequences = [
            T.tensor(rng.standard_normal((n, 2, 2)), requires_grad=True) for n in (3, 1, 4)
        ]
        packed = T.nn.utils.rnn.pack_sequence(sequences, enforce_sorted=False)
        unpacked = T.nn.utils.rnn.unpack_sequence(packed)
        padded = T.nn.utils.rnn.pad_sequence(sequences)
        unpadded = T.nn.utils.rnn.unpad_sequence(padded, T.tensor([3, 1, 4]))
        total = sum((u * (i + 1)).sum() for i, u in enumerate(unpacked + unpadded))
        total.backward()
        detached = unpacked + unpadded
        return [packed.data.detach(), packed.batch_sizes, *detached, *[s.grad for s in sequences]]

    check_same(run)


ERRORS = [
    lambda T: T.nn.utils.rnn.pack_padded_sequence(T.zeros(4, 3, 2), [2, 3, 1]),
    lambda T: T.nn.utils.rnn.pack_padded_sequence(T.zeros(4, 3, 2), [3, 2, 0]),
    lambda T: T.nn.utils.rnn.pack_padded_sequence(T.zeros(4, 3, 2), [3, 2]),
    lambda T: T.nn.utils.rnn.pack_padded_sequence(T.zeros(0, 3, 2), [3, 2, 1]),
    lambda T: T.nn.utils.rnn.pack_padded_sequence(T.zeros(4, 3), T.tensor([[3, 2, 1]])),
    lambda T: T.nn.utils.rnn.pad_packed_sequence(
        T.nn.utils.rnn.pack_sequence([T.zeros(3), T.zeros(1)]), total_length=2
    ),
    lambda T: T.nn.utils.rnn.pad_sequence(3),
    lambda T: T.nn.utils.rnn.pad_sequence([]),
    lambda T: T.nn.utils.rnn.pad_sequence([T.zeros(2)], padding_side="middle"),
    lambda T: T.nn.utils.rnn.pad_sequence([T.zeros(2, 3), T.zeros(2, 4)]),
    lambda T: T.nn.utils.rnn.pad_sequence([T.zeros(2, 1), T.zeros(3, 4)]),
    lambda T: T.nn.utils.rnn.pad_sequence([T.zeros(2), T.zeros(3, 4)]),
    lambda T: T.nn.utils.rnn.unpad_sequence(T.zeros(3, 2), T.tensor([1, 2, 3])),
    lambda T: T.nn.utils.rnn.PackedSequence(T.zeros(3)),
    lambda T: T.nn.utils.rnn.pack_sequence([T.zeros(2)]).cuda(),
    lambda T: T.nn.utils.rnn.pack_padded_sequence(T.zeros(3, 2), T.tensor([3.0, 2.0])).cuda(),
    lambda T: T.nn.RNN(2, 3)(T.nn.utils.rnn.pack_sequence([T.zeros(2, 3)])),
    lambda T: T.nn.GRU(2, 3)(T.nn.utils.rnn.pack_sequence([T.zeros(2, 2)]), T.zeros(1, 2, 3)),
]


@pytest.mark.parametrize("call", ERRORS)
def test_errors_as_torch(session, call):
    assert check_same(call)[0] == "raised"


def test_importable_as_torch(session):
    from gradrpc.nn.utils.rnn import pack_padded_sequence

    assert pack_padded_sequence is gradrpc.nn.utils.rnn.pack_padded_sequence
    assert sorted(gradrpc.nn.utils.rnn.__all__) == sorted(torch.nn.utils.rnn.__all__)


# (mode, keyword arguments)
MODULES = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2, "bidirectional": True}),
    ("GRU", {"bidirectional": True}),
    ("GRU", {"num_layers": 2, "batch_first": True}),
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"bidirectional": True, "proj_size": 2, "batch_first": True}),
]


@pytest.mark.parametrize("mode, kwargs", MODULES, ids=lambda v: str(v))
@pytest.mark.parametrize("lengths, enforce_sorted", LENGTHS)
@pytest.mark.parametrize("given", [False, True])
def test_layer_over_packed_sequence_as_torch(session, mode, kwargs, lengths, enforce_sorted, given):
    theirs = getattr(torch.nn, mode)(3, 4, **kwargs).double()
    ours = getattr(gradrpc.nn, mode)(3, 4, **kwargs, dtype=gradrpc.float64)
    ours.load_state_dict(theirs.state_dict())
    batch_first = kwargs.get("batch_first", False)
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    size = kwargs.get("proj_size", 4)
    rng = np.random.default_rng(5)
    h0 = rng.standard_normal((layers, len(lengths), size))
    c0 = rng.standard_normal((layers, len(lengths), 4))

    def run(T, module):
        x = _padded(T, 5, len(lengths), 3, batch_first, seed=6)
        packed = T.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first, enforce_sorted)
        hx = None
        if given:
            hx = T.tensor(h0, requires_grad=True)
            if mode == "LSTM":
                hx = (hx, T.tensor(c0, requires_grad=True))
        output, hidden = module(packed, hx)
        assert type(output).__name__ == "PackedSequence"
        padded, _ = T.nn.utils.rnn.pad_packed_sequence(output, batch_first)
        states = list(hidden) if mode == "LSTM" else [hidden]
        weights = T.arange(padded.numel(), dtype=T.float64).reshape(padded.shape)
        loss = (padded * weights.sin()).sum()
        loss = loss + sum((s * (i + 2)).sum() for i, s in enumerate(states))
        loss.backward()
        grads = [x.grad] + [p.grad for p in module.parameters()]
        if given:
            grads += [h.grad for h in (hx if mode == "LSTM" else (hx,))]
        fields = [output.batch_sizes, output.sorted_indices, output.unsorted_indices]
        names = [t.grad_fn.name() for t in (output.data, *states)]
        states = [s.detach() for s in states]
        return [output.data.detach(), padded.detach(), *states, *fields, *grads], names

    expected, their_names = run(torch, theirs)
    actual, our_names = run(gradrpc, ours)
    assert our_names == their_names
    assert len(actual) == len(expected)
    for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
        if e is None:
            assert a is None, i
            continue
        assert tuple(a.shape) == tuple(e.shape), i
        np.testing.assert_allclose(a.numpy(), e.numpy(), rtol=1e-10, atol=1e-12, err_msg=str(i))


def test_packed_output_trains_like_torch(session):
    """A classifier over the final states of a packed bidirectional LSTM trains as torch's."""
    theirs = torch.nn.LSTM(2, 3, bidirectional=True)
    ours = gradrpc.nn.LSTM(2, 3, bidirectional=True)
    ours.load_state_dict(theirs.state_dict())
    rng = np.random.default_rng(8)
    x = rng.standard_normal((4, 3, 2)).astype("float32")
    losses = {}
    for T, module in ((torch, theirs), (gradrpc, ours)):
        optimizer = T.optim.SGD(module.parameters(), lr=0.1)
        losses[T] = []
        for _ in range(5):
            packed = T.nn.utils.rnn.pack_padded_sequence(
                T.tensor(x), [2, 4, 1], enforce_sorted=False
            )
            _, (h, _) = module(packed)
            loss = (h - 1).pow(2).mean()
            losses[T].append(loss.item())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    np.testing.assert_allclose(losses[gradrpc], losses[torch], rtol=1e-5)
    assert losses[torch][-1] < losses[torch][0]
