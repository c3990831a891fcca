"""torch.utils.data's DataLoader in the main process: a dataset's samples in the sampler's
order, in batches collated by `collate_fn`. Worker processes (`num_workers > 0`) are refused:
they could not use the session's tensors, which live on the server under this process's
session. A TensorDataset (or a Subset of one) batched by `default_collate` whose tensors do
not require grad is fetched with one `index_select` per tensor, queued like any op; its
values are those of torch's per-row stack."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

import numpy as np
from gradrpc.engine.errors import Unsupported

from ... import factories
from ...tensor import Tensor, refuse_generator
from .collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset, Subset, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]

_T_co = TypeVar("_T_co", covariant=True)


def get_worker_info() -> None:
    """Information about the worker process this runs in: None, the main process's answer
    (gradrpc loads in the main process only)."""
    return None


class _InfiniteConstantSampler(Sampler):
    """None forever: the sampler of an iterable dataset."""

    def __iter__(self):
        while True:
            yield None


class DataLoader(Generic[_T_co]):
    """An iterable over `dataset` in batches of `batch_size` (torch's arguments and checks):
    `shuffle` draws a new order each epoch (by the session's generator, one round trip an
    epoch), `sampler` or `batch_sampler` give the order, `collate_fn` (default_collate)
    merges each batch, `drop_last` drops a short last batch. `num_workers` must be 0, and
    `generator` None (the session draws); `pin_memory` has nothing to pin (torch's
    warning)."""

    __initialized = False

    def __init__(
        self,
        dataset: Dataset[_T_co],
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable | None = None,
        batch_sampler: Sampler[list] | Iterable[list] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        if num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; "
                "use num_workers=0 to disable multiprocessing."
            )
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing."
                "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor "
                "to None."
            )
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if num_workers > 0:
            raise Unsupported(
                "gradrpc: DataLoader with num_workers > 0 is not supported: worker processes "
                "cannot use the session's tensors (they live on the server, under this "
                "process's session); use num_workers=0"
            )
        if multiprocessing_context is not None:
            raise ValueError(
                "multiprocessing_context can only be used with multi-process loading "
                f"(num_workers > 0), but got num_workers={num_workers}"
            )
        refuse_generator(generator)

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        if isinstance(dataset, IterableDataset):
            self._iterable = True
            if shuffle not in {False, None}:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified shuffle option, "
                    f"but got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified sampler option, "
                    f"but got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified batch_sampler "
                    f"option, but got batch_sampler={batch_sampler}"
                )
        else:
            shuffle = bool(shuffle)
            self._iterable = False

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive "
                "with drop_last"
            )

        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self.__initialized = True
        self._IterableDataset_len_called = None

    def __setattr__(self, attr, val) -> None:
        if self.__initialized and attr in (
            "batch_size",
            "batch_sampler",
            "sampler",
            "drop_last",
            "dataset",
            "persistent_workers",
        ):
            raise ValueError(
                f"{attr} attribute should not be set after {self.__class__.__name__} is initialized"
            )
        super().__setattr__(attr, val)

    def __iter__(self) -> _SingleProcessDataLoaderIter:
        return _SingleProcessDataLoaderIter(self)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        """The batches an epoch has: the index sampler's length; for an iterable dataset, its
        length over batch_size (rounded as drop_last says)."""
        if not self._iterable:
            return len(self._index_sampler)
        length = self._IterableDataset_len_called = len(self.dataset)
        if self.batch_size is not None:
            if self.drop_last:
                return length // self.batch_size
            return math.ceil(length / self.batch_size)
        return length


class _SingleProcessDataLoaderIter:
    """One epoch of a DataLoader."""

    def __init__(self, loader: DataLoader) -> None:
        self._dataset = loader.dataset
        self._iterable = loader._iterable
        self._IterableDataset_len_called = loader._IterableDataset_len_called
        self._index_sampler = loader._index_sampler
        if loader.pin_memory and loader.pin_memory_device:
            warnings.warn(
                "pin_memory_device is deprecated, the current accelerator will be used as the "
                f"device,ignore pin_memory_device='{loader.pin_memory_device}'.",
                stacklevel=3,
            )
        if loader.pin_memory:
            warnings.warn(
                "'pin_memory' argument is set as true but no accelerator is found, then device "
                "pinned memory won't be used.",
                stacklevel=3,
            )
        if loader.timeout != 0:
            raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        fetcher = _IterableDatasetFetcher if self._iterable else _MapDatasetFetcher
        self._fetcher = fetcher(
            self._dataset, loader._auto_collation, loader.collate_fn, loader.drop_last
        )

    def __iter__(self) -> _SingleProcessDataLoaderIter:
        return self

    def __next__(self) -> Any:
        data = self._fetcher.fetch(next(self._sampler_iter))
        self._num_yielded += 1
        if (
            self._iterable
            and self._IterableDataset_len_called is not None
            and self._num_yielded > self._IterableDataset_len_called
        ):
            warnings.warn(
                f"Length of IterableDataset {self._dataset} was reported to be "
                f"{self._IterableDataset_len_called}(when accessing len(dataloader)), but "
                f"{self._num_yielded} samples have been fetched. ",
                stacklevel=2,
            )
        return data

    def __len__(self) -> int:
        return len(self._index_sampler)


class _IterableDatasetFetcher:
    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        self.dataset_iter = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, possibly_batched_index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.dataset_iter))
        data = []
        for _ in possibly_batched_index:
            try:
                data.append(next(self.dataset_iter))
            except StopIteration:
                self.ended = True
                break
        if len(data) == 0 or (self.drop_last and len(data) < len(possibly_batched_index)):
            raise StopIteration
        return self.collate_fn(data)


class _MapDatasetFetcher:
    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.rows = _RowSource.of(dataset) if collate_fn is default_collate else None

    def fetch(self, possibly_batched_index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[possibly_batched_index])
        if self.rows is not None:
            batch = self.rows.batch(possibly_batched_index)
            if batch is not None:
                return batch
        if getattr(self.dataset, "__getitems__", None):
            data = self.dataset.__getitems__(possibly_batched_index)
        else:
            data = [self.dataset[idx] for idx in possibly_batched_index]
        return self.collate_fn(data)


def _is_index(value) -> bool:
    return type(value) is int or isinstance(value, np.integer)


class _RowSource:
    """A TensorDataset, maybe under Subsets, none of them subclassed: default_collate of its
    samples at some indices is, row for row, each tensor's index_select at the rows the
    indices name, one op per tensor instead of one per sample and a stack."""

    def __init__(self, tensors: tuple[Tensor, ...], subsets: list[Subset]) -> None:
        self.tensors = tensors
        self.subsets = subsets  # outermost first
        self.session = tensors[0]._session

    @classmethod
    def of(cls, dataset) -> _RowSource | None:
        subsets = []
        while type(dataset) is Subset:
            subsets.append(dataset)
            dataset = dataset.dataset
        tensors = getattr(dataset, "tensors", None)
        if type(dataset) is not TensorDataset or not tensors:
            return None
        if not all(isinstance(t, Tensor) and t._session is tensors[0]._session for t in tensors):
            return None
        return cls(tensors, subsets)

    def batch(self, indices) -> list[Tensor] | None:
        """The batch, or None where torch's per-sample path is needed: a tensor requires grad
        (the batch records StackBackward0), or an index is not an in-range integer (the
        error is the per-sample path's)."""
        if not isinstance(indices, list) or not indices:
            return None
        if any(t._requires_grad for t in self.tensors):
            return None
        for subset in self.subsets:
            positions = subset.indices
            if not isinstance(positions, list | tuple | range | np.ndarray):
                return None
            size = len(positions)
            if not all(_is_index(i) and -size <= i < size for i in indices):
                return None
            indices = [positions[i] for i in indices]
        rows = self.tensors[0].shape[0]
        if not all(_is_index(i) and -rows <= i < rows for i in indices):
            return None
        index = factories.tensor(self.session, np.array(indices, dtype=np.int64) % rows)
        return [t.index_select(0, index) for t in self.tensors]
