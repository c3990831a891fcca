"""torch.nn.utils.rnn: PackedSequence and the functions that pack, pad and unpad sequences.

Lengths, batch sizes and sort orders are small integer lists the client knows: it computes
them itself (from a list of lengths, or from an int64 tensor it reads once) and uploads them as
int64 tensors, remembering their values, so that packing, padding, unpacking and running an RNN
over a PackedSequence queue their operations without reading anything back. Packing is one
operation (PackPaddedSequenceBackward0); padding copies into a filled tensor as torch's does
(CopySlices); values, gradients and grad_fn names are torch's.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from ... import factories
from ...dtypes import float32, float64, int64
from ...session import default_session
from ...tensor import Tensor

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]

# id(tensor) -> its values, for the int64 tensors made here (dropped when the tensor dies)
_KNOWN: dict[int, tuple[int, ...]] = {}


def _known_tensor(values, session=None) -> Tensor:
    """An int64 tensor of `values`, uploaded (queued), whose values the client remembers."""
    values = tuple(int(v) for v in values)
    tensor = factories.tensor(session or default_session(), np.array(values, dtype=np.int64))
    _KNOWN[id(tensor)] = values
    weakref.finalize(tensor, _KNOWN.pop, id(tensor), None)
    return tensor


def _ints(*items) -> list[tuple[int, ...] | None]:
    """Each item's integers: a sequence's own, a tensor's remembered values, or its values
    read from the server (all the unknown ones in one round trip); None stays None."""
    unknown = [t for t in items if isinstance(t, Tensor) and id(t) not in _KNOWN and t.numel() > 0]
    read = {}
    if unknown:
        values = unknown[0]._session.flush(tuple(t._handle for t in unknown))
        read = {
            id(t): tuple(int(v) for v in np.ravel(a)) for t, a in zip(unknown, values, strict=True)
        }
    result = []
    for item in items:
        if item is None:
            result.append(None)
        elif isinstance(item, Tensor):
            result.append(_KNOWN.get(id(item)) or read.get(id(item), ()))
        else:
            result.append(tuple(int(v) for v in item))
    return result


class PackedSequence_(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(PackedSequence_):
    """A batch of variable-length sequences packed time step by time step: `data` holds the
    batch_sizes[t] rows of step t after those of step t - 1 (sequences sorted by decreasing
    length, `sorted_indices` their original positions, `unsorted_indices` its inverse). Made
    by pack_padded_sequence and pack_sequence; every RNN module takes and returns one."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, list | tuple) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        elif batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. "
                "Instances of PackedSequence should never be created manually. "
                "They should be instantiated by functions like pack_sequence "
                "and pack_padded_sequences in nn.utils.rnn. "
                "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence"
            )
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """self with `data` converted as Tensor.to converts it (self if nothing changes)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cpu(self, *args, **kwargs) -> PackedSequence:
        return self.to(*args, **kwargs, device="cpu")

    def cuda(self, *args, **kwargs) -> PackedSequence:
        return type(self)(
            self.data.cuda(*args, **kwargs),
            self.batch_sizes,
            self.sorted_indices,
            self.unsorted_indices,
        )

    def double(self) -> PackedSequence:
        return self.to(dtype=float64)

    def float(self) -> PackedSequence:
        return self.to(dtype=float32)

    def long(self) -> PackedSequence:
        return self.to(dtype=int64)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a permutation (None for None): out[permutation[i]] = i."""
    if permutation is None:
        return None
    (values,) = _ints(permutation)
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[list(values)] = np.arange(len(values))
    return _known_tensor(inverse, permutation._session)


def _descending(lengths: tuple[int, ...]) -> list[int]:
    """Positions ordered by decreasing length, ties in their order (torch's stable sort)."""
    return sorted(range(len(lengths)), key=lambda i: -lengths[i])


def pack_padded_sequence(
    input: Tensor, lengths, batch_first: bool = False, enforce_sorted: bool = True
) -> PackedSequence:
    """Pack a padded T × B × * batch (B × T × * with batch_first) of sequences of `lengths`
    (a list or an int64 tensor), sorting them by decreasing length unless `enforce_sorted`."""
    if isinstance(lengths, Tensor) and lengths.dim() != 1:
        raise RuntimeError(
            "'lengths' argument should be a 1D CPU int64 tensor, but got "
            f"{lengths.dim()}D cpu Long tensor"
        )
    (lengths,) = _ints(lengths)
    sorted_indices = None
    if not enforce_sorted:
        order = _descending(lengths)
        lengths = tuple(lengths[i] for i in order)
        sorted_indices = _known_tensor(order, input._session)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    steps, batch = (input.size(1), input.size(0)) if batch_first else (input.size(0), input.size(1))
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    if batch != len(lengths):
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {len(lengths)} "
            f"(batch_size={batch})"
        )
    if lengths[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' "
            "that is <= 0"
        )
    if any(a < b for a, b in itertools.pairwise(lengths)):
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
            "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
            "sidestep this requirement if you do not need ONNX exportability."
        )
    if lengths[0] > steps:
        raise RuntimeError(f"Expected sequence length to be at most {steps}, but got {lengths[0]}")
    batch_sizes = [sum(1 for n in lengths if n > t) for t in range(lengths[0])]
    data = input._call(
        "pack_padded_sequence",
        [input, _known_tensor(lengths, input._session)],
        {"total": sum(lengths), "batch_first": bool(batch_first)},
    )
    return PackedSequence(data, _known_tensor(batch_sizes, input._session), sorted_indices, None)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """The padded batch back (T × B × *, or B × T × * with batch_first; T the longest length
    or `total_length`), in the original order, and the sequences' lengths."""
    sizes, unsorted = _ints(sequence.batch_sizes, sequence.unsorted_indices)
    max_seq_length = len(sizes)
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError(
                "Expected total_length to be at least the length "
                "of the longest sequence in input, but got "
                f"total_length={total_length} and max sequence length being {max_seq_length}"
            )
        max_seq_length = total_length
    data = sequence.data
    rest = tuple(data.shape[1:])
    output = data.new_full((max_seq_length, sizes[0], *rest), padding_value)
    offset = first = 0
    for step in range(1, len(sizes) + 1):  # blocks of steps with the same batch size
        if step == len(sizes) or sizes[step] != sizes[first]:
            count = sizes[first] * (step - first)
            block = data[offset : offset + count].view(step - first, sizes[first], *rest)
            output[first:step, : sizes[first]].copy_(block)
            offset, first = offset + count, step
    lengths = [sum(1 for size in sizes if size > b) for b in range(sizes[0])]
    if batch_first:
        output = output.transpose(0, 1)
    if sequence.unsorted_indices is None:
        return output, _known_tensor(lengths, data._session)
    output = output.index_select(0 if batch_first else 1, sequence.unsorted_indices)
    return output, _known_tensor([lengths[b] for b in unsorted], data._session)


def _check_copy(slot: tuple[int, ...], shape: tuple[int, ...]) -> None:
    """torch's copy_ checks of a sequence of `shape` into its padded slot: the two broadcast
    (the mismatch found from the last dim), to the slot's shape."""
    ndim = max(len(slot), len(shape))
    broadcast = []
    for dim in range(ndim - 1, -1, -1):
        a = slot[dim - ndim + len(slot)] if dim - ndim + len(slot) >= 0 else 1
        b = shape[dim - ndim + len(shape)] if dim - ndim + len(shape) >= 0 else 1
        if a != b and 1 not in (a, b):
            raise RuntimeError(
                f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                f"non-singleton dimension {dim}"
            )
        broadcast.insert(0, max(a, b))
    if tuple(broadcast) != slot:
        raise RuntimeError(
            f"output with shape {list(slot)} doesn't match the broadcast shape {broadcast}"
        )


def pad_sequence(
    sequences, batch_first: bool = False, padding_value: float = 0.0, padding_side: str = "right"
) -> Tensor:
    """Sequences of L × * stacked into T × B × * (B × T × * with batch_first), each padded
    with `padding_value` to the longest length T on `padding_side` ('right' or 'left')."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError(
            "pad_sequence: Expected iterable for input sequences, but got arg of type: "
            f"{type(sequences)}"
        )
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    first = sequences[0]
    rest = tuple(first.shape[1:])
    longest = max(s.size(0) for s in sequences)
    shape = (len(sequences), longest) if batch_first else (longest, len(sequences))
    output = first.new_full((*shape, *rest), padding_value)
    for i, s in enumerate(sequences):
        length = s.size(0)
        _check_copy((length, *rest), tuple(s.shape))
        start = 0 if padding_side == "right" else longest - length
        rows = slice(start, start + length)
        (output[i, rows] if batch_first else output[rows, i]).copy_(s)
    return output


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list[Tensor]:
    """The padded batch's sequences, each cut to its length."""
    (lengths,) = _ints(lengths)
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [
        seq[_known_tensor(range(length), seq._session)]
        for seq, length in zip(padded_sequences.unbind(0), lengths, strict=True)
    ]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """pad_sequence then pack_padded_sequence, with the sequences' own lengths."""
    lengths = [v.size(0) for v in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The packed sequences as a list of tensors of their lengths, in the original order."""
    padded_sequences, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded_sequences, lengths, batch_first=True)
