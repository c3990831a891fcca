"""gradrpc.utils.data against torch.utils.data: the same datasets, samplers and loaders give
the same batches (values, dtypes, shapes, grad_fn) wherever the order is determined, and
torch's errors; shuffled orders are permutations drawn by the session (one round trip an
epoch), reproducible after manual_seed; a TensorDataset's batches cost one index_select per
tensor instead of one op per sample."""

from __future__ import annotations

import collections
import subprocess
import sys
import warnings

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import assert_same, check_same, describe, graph_of, raised

X = [[float(3 * i + j) - 7.5 for j in range(3)] for i in range(10)]
Y = [i % 4 for i in range(10)]
FLAGS = [i % 3 == 0 for i in range(10)]


def tensor_dataset(T):
    return T.utils.data.TensorDataset(T.tensor(X), T.tensor(Y), T.tensor(FLAGS))


def structure(value):
    """The container types of a value, down to its leaves' types (tensors as "Tensor")."""
    if isinstance(value, torch.Tensor | gradrpc.Tensor):
        return "Tensor"
    if isinstance(value, list | tuple):
        return type(value).__name__, [structure(v) for v in value]
    if isinstance(value, dict):
        return type(value).__name__, {k: structure(v) for k, v in value.items()}
    return type(value).__name__


def check_same_values(fn):
    """fn(T) returns the same containers of the same tensors and values under both, exactly."""
    check_same(fn, rtol=0, atol=0)
    assert structure(fn(gradrpc)) == structure(fn(torch))


def batches(T, make_loader):
    """Every batch of one epoch of make_loader(T, data), described, and len(loader)."""
    loader = make_loader(T, T.utils.data)
    return len(loader), [(structure(batch), describe(batch)) for batch in loader]


def check_same_batches(make_loader):
    """make_loader(T, T.utils.data) gives the same batches under torch and gradrpc, exactly."""
    expected, actual = batches(torch, make_loader), batches(gradrpc, make_loader)
    assert actual[0] == expected[0]
    assert [s for s, _ in actual[1]] == [s for s, _ in expected[1]]
    assert_same([d for _, d in expected[1]], [d for _, d in actual[1]], rtol=0, atol=0)
    assert len(expected[1]) == expected[0]


def check_same_raised(fn):
    """fn(T, T.utils.data) raises torch's exception type and message under gradrpc."""
    expected = raised(lambda: fn(torch, torch.utils.data))
    actual = raised(lambda: fn(gradrpc, gradrpc.utils.data))
    assert expected is not None
    assert actual is not None and issubclass(actual[0], expected[0]), (actual, expected)
    assert actual[1] == expected[1]


# ------------------------------------------------------------------ the module


def test_utils_data_is_an_attribute_of_the_package_after_import_gradrpc():
    code = "import gradrpc; print(gradrpc.utils.data.DataLoader.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "DataLoader"


def test_every_exported_name_is_torch_s():
    ours = gradrpc.utils.data
    assert set(ours.__all__) <= set(torch.utils.data.__all__)
    for name in ours.__all__:
        assert getattr(ours, name).__name__ == getattr(torch.utils.data, name).__name__


# ------------------------------------------------------------------ deterministic loading


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("batch_size", [1, 3, 4, 10, 11])
def test_tensor_dataset_batches_are_torch_s(batch_size, drop_last):
    check_same_batches(
        lambda T, data: data.DataLoader(
            tensor_dataset(T), batch_size=batch_size, drop_last=drop_last
        )
    )


def test_a_one_tensor_dataset_gives_a_list_of_one_tensor():
    check_same_batches(
        lambda T, data: data.DataLoader(data.TensorDataset(T.tensor(X)), batch_size=4)
    )


def test_rows_of_a_view_and_of_higher_rank_tensors():
    def make(T, data):
        cube = T.arange(10 * 2 * 3).reshape(10, 2, 3)
        return data.DataLoader(data.TensorDataset(cube.transpose(1, 2), T.tensor(X)[:, 1]), 3)

    check_same_batches(make)


def test_samplers_and_batch_samplers_with_explicit_indices():
    order = [7, 2, 2, 9, 0, -1, 4]
    check_same_batches(lambda T, data: data.DataLoader(tensor_dataset(T), 3, sampler=order))
    check_same_batches(
        lambda T, data: data.DataLoader(
            tensor_dataset(T), batch_sampler=[[3, 1], [0, 9, 8], [5]], collate_fn=None
        )
    )
    check_same_batches(
        lambda T, data: data.DataLoader(
            tensor_dataset(T),
            batch_sampler=data.BatchSampler(data.SequentialSampler(range(7)), 3, False),
        )
    )


def test_subsets_and_concatenations_load_as_torch_s():
    check_same_batches(
        lambda T, data: data.DataLoader(data.Subset(tensor_dataset(T), [4, -2, 0, 7, 1]), 2)
    )
    check_same_batches(
        lambda T, data: data.DataLoader(
            data.Subset(data.Subset(tensor_dataset(T), range(9, -1, -1)), np.array([1, 3, 5])),
            batch_size=2,
        )
    )
    check_same_batches(
        lambda T, data: data.DataLoader(
            data.ConcatDataset([tensor_dataset(T), data.Subset(tensor_dataset(T), [2, 3])]), 4
        )
    )
    check_same_batches(
        lambda T, data: data.DataLoader(tensor_dataset(T) + tensor_dataset(T), batch_size=8)
    )


def test_subclasses_of_the_generic_dataset_and_sampler_load_as_torch_s():
    def make(T, data):
        class Squares(data.Dataset[int]):
            def __getitem__(self, i):
                return i * i, T.tensor([float(i), -1.0])

            def __len__(self):
                return 6

        class Evens(data.Sampler[int]):
            def __iter__(self):
                return iter(range(0, 6, 2))

            def __len__(self):
                return 3

        return data.DataLoader(Squares(), batch_size=2, sampler=Evens())

    check_same_batches(make)


def test_without_batching_samples_are_converted_not_collated():
    check_same_batches(lambda T, data: data.DataLoader(tensor_dataset(T), batch_size=None))


class Records:
    """A map-style dataset of nested Python and NumPy values."""

    Point = collections.namedtuple("Point", "x y")

    def __init__(self, data):
        self.data = data

    def __getitem__(self, i):
        return {
            "id": i,
            "weight": 0.5 * i,
            "flag": i % 2 == 0,
            "name": f"item{i}",
            "point": self.Point(np.float32(i) / 3, np.arange(3) * i),
            "pair": (np.full((2,), i, dtype=np.float64), [i, -i]),
        }

    def __len__(self):
        return 5


def test_a_custom_dataset_of_nested_values_collates_as_torch_s():
    def make(T, data):
        records = type("R", (Records, data.Dataset), {})(data)
        return data.DataLoader(records, batch_size=2)

    check_same_batches(make)


def test_iterable_datasets_batch_as_torch_s():
    def stream(data, n):
        class Stream(data.IterableDataset):
            def __iter__(self):
                return iter([(i, float(i) / 4) for i in range(n)])

            def __len__(self):
                return n

        return Stream()

    check_same_batches(lambda T, data: data.DataLoader(stream(data, 7), batch_size=3))
    check_same_batches(lambda T, data: data.DataLoader(stream(data, 7), 3, drop_last=True))
    check_same_batches(lambda T, data: data.DataLoader(stream(data, 3) + stream(data, 2), 2))
    check_same_batches(lambda T, data: data.DataLoader(stream(data, 3), batch_size=None))


def test_an_iterable_dataset_longer_than_its_length_warns_as_torch_s():
    def warned(data):
        class Stream(data.IterableDataset):
            def __iter__(self):
                return iter(range(5))

            def __len__(self):
                return 1

        stream = Stream()
        loader = data.DataLoader(stream, batch_size=2)
        assert len(loader) == 1
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert len(list(loader)) == 3
        return [(w.category, str(w.message).replace(repr(stream), "<stream>")) for w in caught]

    expected = warned(torch.utils.data)
    assert warned(gradrpc.utils.data) == expected
    assert len(expected) == 2 and "but 3 samples have been fetched" in expected[1][1]


# ------------------------------------------------------------------ the fast path


def test_a_batch_of_a_tensor_dataset_is_one_index_select_per_tensor():
    with gradrpc.Session(gradrpc.default_session().address) as s:
        dataset = gradrpc.utils.data.TensorDataset(s.tensor(X), s.tensor(Y))
        loader = gradrpc.utils.data.DataLoader(gradrpc.utils.data.Subset(dataset, [9, 0, 5]), 2)
        s.flush()
        first, second = loader
        assert [queued.name for queued in s._queue] == ["tensor", *["index_select"] * 2] * 2
        assert first[0].tolist() == [X[9], X[0]] and second[1].tolist() == [Y[5]]


def test_tensors_that_require_grad_are_stacked_row_by_row_as_torch_does():
    def run(T):
        w = T.tensor(X, requires_grad=True)
        loader = T.utils.data.DataLoader(T.utils.data.TensorDataset(w, T.tensor(Y)), 4)
        (rows, labels), *_ = loader
        (rows * labels[:, None]).sum().backward()
        return rows, graph_of(rows.grad_fn), w.grad

    expected, actual = run(torch), run(gradrpc)
    assert actual[1] == expected[1]  # StackBackward0 over four SelectBackward0
    assert_same(describe(expected[0]), describe(actual[0]), rtol=0, atol=0)
    assert_same(describe(expected[2]), describe(actual[2]), rtol=0, atol=0)


def test_an_index_out_of_range_is_the_per_sample_path_s_error():
    check_same_raised(lambda T, data: list(data.DataLoader(tensor_dataset(T), sampler=[3, 10])))
    check_same_raised(lambda T, data: list(data.DataLoader(tensor_dataset(T), sampler=[-11])))
    check_same_raised(
        lambda T, data: list(data.DataLoader(data.Subset(tensor_dataset(T), [1, 2]), sampler=[2]))
    )


# ------------------------------------------------------------------ random orders


def shuffled_epochs(seed, epochs=3, n=50, **options):
    """The labels of each epoch of a shuffled loader over range(n), after manual_seed(seed)."""
    dataset = gradrpc.utils.data.TensorDataset(gradrpc.arange(n), gradrpc.arange(n) * 2)
    loader = gradrpc.utils.data.DataLoader(dataset, batch_size=8, shuffle=True, **options)
    gradrpc.manual_seed(seed)
    orders = []
    for _ in range(epochs):
        order = []
        for rows, doubled in loader:
            assert doubled.tolist() == [2 * i for i in rows.tolist()]
            order += rows.tolist()
        orders.append(order)
    return orders


def test_each_shuffled_epoch_is_a_new_permutation():
    orders = shuffled_epochs(0)
    for order in orders:
        assert sorted(order) == list(range(50))
    assert len({tuple(order) for order in orders}) == 3
    assert orders == shuffled_epochs(0)  # reproducible after manual_seed
    assert orders != shuffled_epochs(1)


def test_drop_last_drops_a_short_shuffled_batch():
    (order,) = shuffled_epochs(3, epochs=1, drop_last=True)
    assert len(order) == 48 and len(set(order)) == 48


def test_random_samplers_draw_permutations_and_replacements():
    data = gradrpc.utils.data
    gradrpc.manual_seed(5)
    longer = list(data.RandomSampler(range(4), num_samples=10))
    assert len(longer) == 10
    assert sorted(longer[:4]) == sorted(longer[4:8]) == [0, 1, 2, 3]
    assert len(set(longer[8:])) == 2
    drawn = list(data.RandomSampler(range(6), replacement=True, num_samples=200))
    assert len(drawn) == 200 and set(drawn) == set(range(6))
    picked = list(data.SubsetRandomSampler([10, 20, 30, 40]))
    assert sorted(picked) == [10, 20, 30, 40]
    assert len(data.RandomSampler(range(4), num_samples=10)) == 10
    assert len(data.SubsetRandomSampler([10, 20, 30, 40])) == 4


def test_random_split_lengths_are_torch_s_and_the_subsets_a_permutation():
    for lengths in ([3, 7], [0.3, 0.3, 0.4], [0.5, 0.5], [0.25, 0.25, 0.25, 0.25]):
        theirs = torch.utils.data.random_split(range(10), lengths)
        ours = gradrpc.utils.data.random_split(range(10), lengths)
        assert [len(s) for s in ours] == [len(s) for s in theirs]
        assert sorted(i for subset in ours for i in subset) == list(range(10))
    gradrpc.manual_seed(7)
    first = [list(s) for s in gradrpc.utils.data.random_split(range(10), [5, 5])]
    gradrpc.manual_seed(7)
    assert [list(s) for s in gradrpc.utils.data.random_split(range(10), [5, 5])] == first


def test_random_split_errors_and_warnings_are_torch_s():
    check_same_raised(lambda T, data: data.random_split(range(10), [3, 8]))
    check_same_raised(lambda T, data: data.random_split(range(10), [1.5, -0.5]))

    def warned(data):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            data.random_split(range(2), [0.1, 0.9, 0.0])
        return [(w.category, str(w.message)) for w in caught]

    assert warned(gradrpc.utils.data) == warned(torch.utils.data) != []


def test_shuffling_reads_once_an_epoch_on_the_data_s_session():
    default = gradrpc.default_session()
    with gradrpc.Session(default.address) as s:
        dataset = gradrpc.utils.data.TensorDataset(s.randn(100, 5), s.randint(0, 3, (100,)))
        s.flush()
        for shuffle, reads in ((True, 1), (False, 0)):
            loader = gradrpc.utils.data.DataLoader(dataset, batch_size=16, shuffle=shuffle)
            for _ in range(3):
                before, default_before = s.rpc_count, default.rpc_count
                assert len(list(loader)) == 7
                assert (s.rpc_count - before, default.rpc_count - default_before) == (reads, 0)


# ------------------------------------------------------------------ samplers


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("size", [1, 3, 4, 12])
def test_batch_samplers_are_torch_s(size, drop_last):
    def make(data):
        sampler = data.BatchSampler(data.SequentialSampler(range(10)), size, drop_last)
        return len(sampler), list(sampler)

    assert make(gradrpc.utils.data) == make(torch.utils.data)


@pytest.mark.parametrize(
    "make",
    [
        lambda data: data.BatchSampler(range(3), 0, False),
        lambda data: data.BatchSampler(range(3), True, False),
        lambda data: data.BatchSampler(range(3), 2, 1),
        lambda data: data.RandomSampler(range(3), replacement=1),
        lambda data: data.RandomSampler(range(3), num_samples=0),
        lambda data: data.RandomSampler([]),
        lambda data: data.Sampler().__iter__(),
    ],
)
def test_sampler_errors_are_torch_s(make):
    check_same_raised(lambda T, data: make(data))


# ------------------------------------------------------------------ datasets


def test_dataset_errors_are_torch_s():
    check_same_raised(lambda T, data: data.TensorDataset(T.ones(3), T.ones(4)))
    check_same_raised(lambda T, data: data.Dataset()[0])
    check_same_raised(lambda T, data: data.ConcatDataset([]))
    check_same_raised(lambda T, data: data.ConcatDataset([range(2), data.IterableDataset()]))
    check_same_raised(lambda T, data: data.ConcatDataset([range(2), range(3)])[-6])

    def overriding_subset(T, data):
        class Picked(data.Subset):
            def __getitem__(self, idx):
                return idx

        return Picked(range(3), [0])

    check_same_raised(overriding_subset)


def test_dataset_lengths_and_items_are_torch_s():
    def items(T, data):
        pair = data.ConcatDataset([range(3), data.Subset(range(10), [9, 8])])
        rows = data.TensorDataset(T.tensor(X), T.tensor(Y))
        return (
            len(pair),
            [pair[i] for i in range(-5, 5)],
            pair.cumulative_sizes,
            len(rows),
            rows[-1],
            rows[2:4],
            data.Subset(rows, [1, 3])[[0, 1]],
        )

    check_same_values(lambda T: items(T, T.utils.data))


# ------------------------------------------------------------------ collation


SAMPLES = {
    "ints": [1, 2, 3],
    "floats": [1.5, 2.0],
    "ints then a float": [1, 2.5],
    "bools": [True, False],
    "an int and a bool": [1, True],
    "numpy float32 scalars": [np.float32(1.25), np.float32(-2)],
    "numpy float64 scalars": [np.float64(1.5), np.float64(2)],
    "numpy int64 and a bool": [np.int64(3), True],
    "numpy float32 and float64 scalars": [np.float32(0.5), np.float64(0.25)],
    "numpy bools": [np.bool_(True), np.bool_(False)],
    "numpy arrays": [np.ones((2, 2)), np.zeros((2, 2))],
    "numpy float32 and float64 arrays": [np.ones(2, dtype=np.float32), np.arange(2.0)],
    "numpy int64 arrays": [np.arange(3), np.arange(3) * 2],
    "strings": ["a", "bc"],
    "bytes": [b"a", b"b"],
    "dicts of tuples": [{"a": 1, "b": (1.0, 2)}, {"a": 2, "b": (3.0, 4)}],
    "lists": [[1, 2.0], [3, 4.0]],
    "nested lists": [[[1], [2]], [[3], [4]]],
}


@pytest.mark.parametrize("samples", SAMPLES.values(), ids=SAMPLES.keys())
def test_default_collate_is_torch_s(samples):
    check_same_values(lambda T: T.utils.data.default_collate(samples))
    check_same_values(lambda T: T.utils.data.default_convert(samples))


def test_default_collate_of_tensors_and_namedtuples():
    Pair = collections.namedtuple("Pair", "left right")

    def collated(T):
        rows = [Pair(T.tensor([i, 2.0 * i]), {"n": i, "t": T.tensor(i)}) for i in range(3)]
        batch = T.utils.data.default_collate(rows)
        assert type(batch) is Pair
        return list(batch), T.utils.data.default_convert(Pair(np.float64(1), (2, np.ones(1))))

    check_same_values(collated)


@pytest.mark.parametrize(
    "samples",
    [
        lambda T: [object()],
        lambda T: [np.array(["a"])],
        lambda T: [(1, 2), (3,)],
        lambda T: [T.ones(2), 1],
        lambda T: [T.ones(2), T.ones(3)],
        lambda T: [np.ones(2), np.ones(3)],
        lambda T: [],
    ],
    ids=[
        "an object",
        "numpy strings",
        "unequal sizes",
        "a tensor and an int",
        "tensors of unequal shapes",
        "arrays of unequal shapes",
        "no samples",
    ],
)
def test_default_collate_errors_are_torch_s(samples):
    check_same_raised(lambda T, data: data.default_collate(samples(T)))


# ------------------------------------------------------------------ the DataLoader's checks


@pytest.mark.parametrize(
    "options",
    [
        {"num_workers": -1},
        {"timeout": -1},
        {"prefetch_factor": 2},
        {"persistent_workers": True},
        {"sampler": [0, 1], "shuffle": True},
        {"batch_sampler": [[0]], "batch_size": 2},
        {"batch_sampler": [[0]], "shuffle": True},
        {"batch_sampler": [[0]], "drop_last": True},
        {"batch_size": None, "drop_last": True},
        {"multiprocessing_context": "spawn"},
        {"batch_size": 0},
        {"drop_last": None},
    ],
    ids=lambda options: ",".join(options),
)
def test_data_loader_errors_are_torch_s(options):
    check_same_raised(lambda T, data: data.DataLoader(range(4), **options))


def test_data_loader_errors_of_iterable_datasets_and_attributes_are_torch_s():
    check_same_raised(lambda T, data: data.DataLoader(data.ChainDataset([]), shuffle=True))
    check_same_raised(lambda T, data: data.DataLoader(data.ChainDataset([]), sampler=[0]))
    check_same_raised(lambda T, data: setattr(data.DataLoader(range(4)), "batch_size", 2))
    check_same_raised(lambda T, data: iter(data.DataLoader(range(4), timeout=1)))


def test_pin_memory_warns_as_torch_does():
    def warned(data):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert [b.tolist() for b in data.DataLoader(range(3), 2, pin_memory=True)] == [
                [0, 1],
                [2],
            ]
        return [(w.category, str(w.message)) for w in caught]

    assert warned(gradrpc.utils.data) == warned(torch.utils.data) != []


def test_worker_processes_and_generators_are_refused():
    data = gradrpc.utils.data
    with pytest.raises(NotImplementedError, match="num_workers > 0 is not supported"):
        data.DataLoader(range(4), num_workers=2)
    for make in (
        lambda: data.DataLoader(range(4), shuffle=True, generator=object()),
        lambda: data.RandomSampler(range(4), generator=object()),
        lambda: data.SubsetRandomSampler([1], generator=object()),
        lambda: data.random_split(range(4), [2, 2], generator=object()),
    ):
        with pytest.raises(NotImplementedError, match="generator= is not supported"):
            make()
    assert data.get_worker_info() is None is torch.utils.data.get_worker_info()


# ------------------------------------------------------------------ a training loop


def test_a_training_loop_over_a_data_loader_tracks_torch_s_losses():
    rng = np.random.default_rng(0)
    features = rng.standard_normal((37, 5)).astype(np.float32)
    targets = features @ rng.standard_normal((5, 2)).astype(np.float32) + 0.1
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    state = {k: v.clone() for k, v in theirs.state_dict().items()}
    losses = {}
    for T in (torch, gradrpc):
        model = theirs
        if T is gradrpc:
            model = gradrpc.nn.Sequential(
                gradrpc.nn.Linear(5, 8), gradrpc.nn.Tanh(), gradrpc.nn.Linear(8, 2)
            )
            model.load_state_dict(state)
        dataset = T.utils.data.TensorDataset(T.from_numpy(features), T.from_numpy(targets))
        loader = T.utils.data.DataLoader(dataset, batch_size=8)
        optimizer = T.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        losses[T] = []
        for _ in range(4):
            for x, y in loader:
                loss = T.nn.functional.mse_loss(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses[T].append(loss.item())
    assert len(losses[gradrpc]) == 20
    np.testing.assert_allclose(losses[gradrpc], losses[torch], rtol=2e-6)
