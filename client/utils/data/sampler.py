"""torch.utils.data's samplers: the order in which a DataLoader takes a dataset's samples,
and how it groups them into batches. Random orders are drawn by the session's generator
(the session of the data's tensors, else the default one; reproducible after `manual_seed`),
not by torch's, and each epoch's order is read in one round trip."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Generic, TypeVar

from ... import factories
from ...tensor import refuse_generator
from .dataset import session_of

__all__ = [
    "BatchSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
]

_T_co = TypeVar("_T_co", covariant=True)


class Sampler(Generic[_T_co]):
    """Subclasses define `__iter__` over indices (or lists of indices, batches), and may
    define `__len__`."""

    def __iter__(self) -> Iterator[_T_co]:
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


def _permutations(session, n: int, count: int) -> list[int]:
    """`count` permutations of range(n), one after another, drawn by the session's generator
    and read in one round trip."""
    drawn = [factories.randperm(session, n) for _ in range(count)]
    values = session.flush(tuple(p._handle for p in drawn))
    return [i for permutation in values for i in permutation.tolist()]


class RandomSampler(Sampler[int]):
    """A random order of the data source's indices, new each epoch: a permutation (as many
    as `num_samples` takes, cut to it), or `num_samples` indices drawn with replacement.
    One round trip an epoch, at the first index."""

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator=None,
    ) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={self.replacement}"
            )
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(
                "num_samples should be a positive integer value, but got "
                f"num_samples={self.num_samples}"
            )
        refuse_generator(generator)

    @property
    def num_samples(self) -> int:
        if self._num_samples is None:
            return len(self.data_source)
        return self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        session = session_of(self.data_source)
        if self.replacement:
            yield from factories.randint(session, n, (self.num_samples,)).tolist()
        else:
            count = -(-self.num_samples // n)
            yield from _permutations(session, n, count)[: self.num_samples]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given indices in a random order, new each epoch (one round trip an epoch)."""

    def __init__(self, indices: Sequence[int], generator=None) -> None:
        refuse_generator(generator)
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        for i in _permutations(session_of(self.indices), len(self.indices), 1):
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler[list[int]]):
    """The sampler's indices in lists of `batch_size` (the last one shorter unless
    `drop_last`)."""

    def __init__(
        self, sampler: Sampler[int] | Iterable[int], batch_size: int, drop_last: bool
    ) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        sampler_iter = iter(self.sampler)
        if self.drop_last:
            for batch in zip(*[sampler_iter] * self.batch_size, strict=False):
                yield [*batch]
        else:
            batch = [*itertools.islice(sampler_iter, self.batch_size)]
            while batch:
                yield batch
                batch = [*itertools.islice(sampler_iter, self.batch_size)]

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
