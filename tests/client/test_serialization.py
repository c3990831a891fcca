"""gradrpc.save and gradrpc.load against real torch: each reads what the other writes (the
same records, the same pickle), training resumes from a checkpoint as torch's does, saving
costs one round trip, and bad files and arguments get torch's errors."""

from __future__ import annotations

import argparse
import io
import os
import pathlib
import pickle
import re
import struct
import subprocess
import sys
import zipfile
from collections import OrderedDict

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import assert_same, describe
from test_client_round_trips import WireCounter, settled

FLOATS = [[1.5, -2.25, 3.0], [0.125, 4.0, -0.5]]


def example(T):
    """One object of everything a checkpoint holds: each dtype, 0-d and empty tensors, a
    Parameter, a tensor that requires grad, one tensor twice, containers and Python values."""
    weight = T.tensor(FLOATS)
    return {
        "weight": weight,
        "again": weight,
        "double": T.tensor([0.1, 1e300], dtype=T.float64),
        "long": T.tensor([[-(2**62), 7]]),
        "bool": T.tensor([True, False, True]),
        "scalar": T.tensor(2.5),
        "empty": T.zeros(0, 3),
        "parameter": T.nn.Parameter(T.tensor([1.0, 2.0])),
        "frozen": T.nn.Parameter(T.tensor([3.0]), requires_grad=False),
        "requires_grad": T.tensor([0.5, 0.25], requires_grad=True),
        "nested": [(T.tensor([1, 2]), 3), {"lr": 0.01, "name": "sgd", "none": None}],
        "state": OrderedDict(w=T.ones(2), b=T.zeros(1)),
        "dtype": T.float64,
        "size": T.Size([2, 3]),
    }


def records(path) -> dict[str, bytes]:
    """The archive's records by name below its folder."""
    with zipfile.ZipFile(path) as archive:
        return {n.split("/", 1)[1]: archive.read(n) for n in archive.namelist()}


def data_offsets(path) -> list[int]:
    """Where each record's data starts in the file (after its local header)."""
    raw = pathlib.Path(path).read_bytes()
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    offsets = []
    for info in infos:
        name_length, extra_length = struct.unpack("<HH", raw[info.header_offset + 26 :][:4])
        offsets.append(info.header_offset + 30 + name_length + extra_length)
    return offsets


def rewritten(source, target, change) -> None:
    """A copy of the archive at `source` with `change(name, data)` applied to each record
    (None drops it)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            data = change(name.split("/", 1)[1], old.read(name))
            if data is not None:
                new.writestr(name, data)


def outcome_of(fn):
    try:
        return ("ok", fn())
    except Exception as exc:
        return ("raised", type(exc), str(exc))


# ---------------------------------------------------------------- the file


def test_the_file_has_torchs_records_and_pickle(tmp_path):
    gradrpc.save(example(gradrpc), tmp_path / "ours.pt")
    torch.save(example(torch), tmp_path / "theirs.pt")
    ours, theirs = records(tmp_path / "ours.pt"), records(tmp_path / "theirs.pt")
    assert list(ours) == list(theirs)  # the same records in the same order
    assert zipfile.ZipFile(tmp_path / "ours.pt").namelist()[0] == "ours/data.pkl"
    for name in ours:
        if name != ".data/serialization_id":
            assert ours[name] == theirs[name], name  # data.pkl byte for byte, the values too
    assert len(ours[".data/serialization_id"]) == 40 and ours[".data/serialization_id"].isdigit()
    assert ours["version"] == b"3\n" and ours[".storage_alignment"] == b"64"


def test_a_disabled_byteorder_record_comes_last_as_torchs_does(tmp_path):
    gradrpc.save(gradrpc.ones(2), tmp_path / "ours.pt", _disable_byteorder_record=True)
    torch.save(torch.ones(2), tmp_path / "theirs.pt", _disable_byteorder_record=True)
    assert list(records(tmp_path / "ours.pt")) == list(records(tmp_path / "theirs.pt"))
    assert list(records(tmp_path / "ours.pt"))[-2:] == ["byteorder", ".data/serialization_id"]
    assert torch.load(tmp_path / "ours.pt").tolist() == [1.0, 1.0]


def test_every_record_starts_at_a_multiple_of_64_bytes(tmp_path):
    gradrpc.save(example(gradrpc), tmp_path / "ours.pt")
    torch.save(example(torch), tmp_path / "theirs.pt")
    assert all(offset % 64 == 0 for offset in data_offsets(tmp_path / "theirs.pt"))
    assert all(offset % 64 == 0 for offset in data_offsets(tmp_path / "ours.pt"))


def test_torch_loads_what_gradrpc_saves(tmp_path):
    path = tmp_path / "ours.pt"
    gradrpc.save(example(gradrpc), path)
    for loaded in (torch.load(path), torch.load(path, mmap=True), torch.load(path, "cpu")):
        assert_same(describe(example(torch)), describe(loaded), 0, 0)
        assert loaded["again"] is loaded["weight"]
        assert type(loaded["parameter"]) is torch.nn.Parameter
        assert not loaded["frozen"].requires_grad
        assert type(loaded["state"]) is OrderedDict


def test_gradrpc_loads_what_torch_saves(tmp_path):
    path = tmp_path / "theirs.pt"
    torch.save(example(torch), path)
    loaded = gradrpc.load(path)
    assert_same(describe(example(torch)), describe(loaded), 0, 0)
    assert loaded["again"] is loaded["weight"]
    assert type(loaded["parameter"]) is gradrpc.nn.Parameter
    assert loaded["frozen"].requires_grad is False
    assert type(loaded["state"]) is OrderedDict
    assert loaded["size"] == gradrpc.Size([2, 3]) and loaded["dtype"] is gradrpc.float64
    assert_same(describe(example(torch)), describe(gradrpc.load(path)), 0, 0)


def test_views_load_with_their_values(tmp_path):
    """torch saves a view as its base's storage with an offset and strides; gradrpc reads
    the view's elements into a tensor of its own."""
    base = torch.arange(24.0).reshape(4, 6)
    views = {
        "row": base[1],
        "column": base[:, 2],
        "transposed": base.t(),
        "strided": base[::2, 1::3],
        "expanded": torch.tensor([1.0, 2.0]).expand(3, 2),
        "base": base,
    }
    torch.save(views, tmp_path / "views.pt")
    assert len([n for n in records(tmp_path / "views.pt") if n.startswith("data/")]) == 2
    loaded = gradrpc.load(tmp_path / "views.pt")
    for name, view in views.items():
        assert loaded[name].tolist() == view.tolist(), name
        assert loaded[name].is_contiguous()


def test_torchs_integer_types_keep_their_dtype_both_ways(tmp_path):
    values = [-3, 0, 100]
    saved = {str(d): torch.tensor(values, dtype=d) for d in (torch.int8, torch.int16, torch.int32)}
    saved["torch.uint8"] = torch.tensor([0, 200, 255], dtype=torch.uint8)
    torch.save(saved, tmp_path / "ints.pt")
    loaded = gradrpc.load(tmp_path / "ints.pt")
    for name, tensor in saved.items():
        assert str(loaded[name].dtype) == name
        assert loaded[name].tolist() == tensor.tolist()
    gradrpc.save(loaded, tmp_path / "again.pt")  # and torch reads ours back alike
    for name, tensor in torch.load(tmp_path / "again.pt").items():
        assert tensor.dtype == saved[name].dtype and tensor.tolist() == saved[name].tolist()


def test_a_state_dicts_metadata_is_kept(tmp_path):
    model = torch.nn.Linear(3, 2)
    torch.save(model.state_dict(), tmp_path / "linear.pt")
    loaded = gradrpc.load(tmp_path / "linear.pt")
    assert type(loaded) is OrderedDict and list(loaded) == ["weight", "bias"]
    assert loaded._metadata == model.state_dict()._metadata
    ours = gradrpc.nn.Linear(3, 2)
    ours.load_state_dict(loaded)
    assert ours.weight.tolist() == model.weight.tolist()
    gradrpc.save(loaded, tmp_path / "again.pt")  # and saved again, torch reads it back
    assert torch.load(tmp_path / "again.pt")._metadata == model.state_dict()._metadata


def test_a_big_endian_file_is_swapped(tmp_path):
    saved = {"f": torch.tensor(FLOATS), "d": torch.tensor([1e-300]).double(), "i": torch.arange(3)}
    torch.save(saved, tmp_path / "little.pt")
    itemsizes = {f"data/{i}": v.element_size() for i, v in enumerate(saved.values())}

    def swapped(name, data):
        if name == "byteorder":
            return b"big"
        if name in itemsizes:
            return np.frombuffer(data, f"<u{itemsizes[name]}").byteswap().tobytes()
        return data

    rewritten(tmp_path / "little.pt", tmp_path / "big.pt", swapped)
    assert_same(describe(torch.load(tmp_path / "big.pt")), describe(saved), 0, 0)
    assert_same(describe(gradrpc.load(tmp_path / "big.pt")), describe(saved), 0, 0)


@pytest.mark.parametrize("kind", ["bytes", "path", "str", "file"])
def test_paths_and_file_objects_both_ways(tmp_path, kind):
    def target(name):
        if kind == "bytes":
            return io.BytesIO()
        return tmp_path / name if kind == "path" else str(tmp_path / name)

    def write(save, obj, name):
        if kind != "file":
            f = target(name)
            save(obj, f)
            return f
        with open(tmp_path / name, "wb") as f:
            save(obj, f)
        return tmp_path / name

    def read(load, f):
        if kind == "bytes":
            f.seek(0)
        if kind != "file":
            return load(f)
        with open(f, "rb") as opened:
            return load(opened)

    ours, theirs = (
        write(gradrpc.save, example(gradrpc), "a.pt"),
        write(torch.save, example(torch), "b.pt"),
    )
    expected = describe(example(torch))
    assert_same(expected, describe(read(torch.load, ours)), 0, 0)
    assert_same(expected, describe(read(gradrpc.load, theirs)), 0, 0)
    if kind == "bytes":
        assert zipfile.ZipFile(ours).namelist()[0] == "archive/data.pkl"


def test_a_later_pickle_protocol_round_trips(tmp_path):
    gradrpc.save(example(gradrpc), tmp_path / "p4.pt", pickle_protocol=4)
    assert b"\x93" in records(tmp_path / "p4.pt")["data.pkl"]  # STACK_GLOBAL
    expected = describe(example(torch))
    assert_same(expected, describe(torch.load(tmp_path / "p4.pt", weights_only=False)), 0, 0)
    assert_same(expected, describe(gradrpc.load(tmp_path / "p4.pt")), 0, 0)


# ---------------------------------------------------------------- training resumes


def _sgd(T, parameters):
    return T.optim.SGD(parameters, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)


def _adam(T, parameters):
    return T.optim.Adam(parameters, lr=0.01, betas=(0.8, 0.99), amsgrad=True)


def _build(nn):
    return nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 1))


def _train(T, model, optimizer, steps: int) -> list[float]:
    x = T.tensor(np.linspace(-1, 1, 32, dtype=np.float32).reshape(8, 4))
    y = T.tensor(np.cos(np.arange(8, dtype=np.float32)).reshape(8, 1))
    losses = []
    for _ in range(steps):
        loss = T.nn.functional.mse_loss(model(x), y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses


@pytest.mark.parametrize("make_optimizer", [_sgd, _adam], ids=["sgd", "adam"])
def test_training_resumes_from_a_checkpoint_as_torchs_does(tmp_path, make_optimizer):
    """Each library trains three steps and saves model and optimizer; fresh ones load each
    checkpoint (theirs and the other's) and train three more: the same losses throughout."""
    torch.manual_seed(0)
    start = _build(torch.nn).state_dict()
    saved = {}
    for T, save in ((torch, torch.save), (gradrpc, gradrpc.save)):
        model = _build(T.nn)
        model.load_state_dict(start)
        optimizer = make_optimizer(T, model.parameters())
        first = _train(T, model, optimizer, 3)
        path = tmp_path / f"{T.__name__}.pt"
        save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, path)
        saved[T] = path, first
    np.testing.assert_allclose(saved[gradrpc][1], saved[torch][1], rtol=1e-5)
    resumed = {}
    for T, load in ((torch, torch.load), (gradrpc, gradrpc.load)):
        for source in (torch, gradrpc):
            model = _build(T.nn)  # other weights until it loads
            optimizer = make_optimizer(T, model.parameters())
            checkpoint = load(saved[source][0])
            model.load_state_dict(checkpoint["model"])
            optimizer.load_state_dict(checkpoint["optimizer"])
            resumed[T, source] = _train(T, model, optimizer, 3)
    expected = resumed[torch, torch]
    for key, losses in resumed.items():
        np.testing.assert_allclose(losses, expected, rtol=1e-5, err_msg=str(key))


def test_an_optimizer_state_dict_loads_in_torch_as_torchs(tmp_path):
    model = gradrpc.nn.Linear(3, 2)
    optimizer = gradrpc.optim.Adam(model.parameters())
    model(gradrpc.ones(3)).sum().backward()
    optimizer.step()
    gradrpc.save(optimizer.state_dict(), tmp_path / "adam.pt")
    loaded = torch.load(tmp_path / "adam.pt")
    assert_same(describe(optimizer.state_dict()), describe(loaded), 0, 0)
    assert loaded["state"][0]["step"].dtype == torch.float32  # torch's step: a float32 0-d


# ---------------------------------------------------------------- round trips


def test_saving_fetches_every_tensor_in_one_round_trip(session):
    counter = WireCounter()
    with gradrpc.Session(session.address, interceptors=[counter]) as s:
        tensors = {f"t{i}": s.ones(i + 1) * i for i in range(20)}
        optimizer = gradrpc.optim.Adam([s.zeros(3, requires_grad=True)])
        optimizer.param_groups[0]["params"][0].sum().backward()
        optimizer.step()
        checkpoint = {"tensors": tensors, "optimizer": optimizer.state_dict()}
        s.flush()
        calls, sent, _ = settled(counter, s.messages_sent)
        waits = s.rpc_count
        buffer = io.BytesIO()
        gradrpc.save(checkpoint, buffer)
        assert s.rpc_count == waits + 1
        assert settled(counter, s.messages_sent) == (calls, sent + 1, sent + 1)

        buffer.seek(0)
        loaded = s.load(buffer)  # uploads, queued: no round trip
        assert s.rpc_count == waits + 1
        assert loaded["tensors"]["t3"]._session is s
        assert loaded["tensors"]["t3"].tolist() == [3.0] * 4
    buffer.seek(0)
    expected = {f"t{i}": torch.ones(i + 1) * i for i in range(20)}
    assert_same(describe(expected), describe(torch.load(buffer)["tensors"]), 0, 0)


def test_the_client_saves_and_loads_without_torch(session):
    code = (
        "import io, sys, gradrpc\n"
        "b = io.BytesIO()\n"
        "gradrpc.save({'w': gradrpc.ones(2), 'p': gradrpc.nn.Parameter(gradrpc.zeros(1))}, b)\n"
        "b.seek(0)\n"
        "print(gradrpc.load(b)['w'].tolist(), 'torch' in sys.modules)\n"
    )
    env = {**os.environ, "GRADRPC_ADDRESS": session.address}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "[1.0, 1.0] False", out.stderr


# ---------------------------------------------------------------- errors


def _same_outcome(load_torch, load_gradrpc):
    expected, actual = outcome_of(load_torch), outcome_of(load_gradrpc)
    assert expected[0] == actual[0] == "raised", (expected, actual)
    assert issubclass(actual[1], expected[1]) and actual[2] == expected[2], (actual, expected)


def test_a_missing_file(tmp_path):
    path = str(tmp_path / "missing.pt")
    _same_outcome(lambda: torch.load(path), lambda: gradrpc.load(path))


def test_an_empty_file(tmp_path):
    (tmp_path / "empty.pt").write_bytes(b"")
    _same_outcome(
        lambda: torch.load(tmp_path / "empty.pt"), lambda: gradrpc.load(tmp_path / "empty.pt")
    )


@pytest.mark.parametrize("data", [b"PK\x03\x04 short", b"PK\x03\x04 long enough, but no archive"])
def test_a_broken_zip(data):
    _same_outcome(lambda: torch.load(io.BytesIO(data)), lambda: gradrpc.load(io.BytesIO(data)))


@pytest.mark.parametrize(
    "change",
    [
        lambda name, data: None if name == "data.pkl" else data,
        lambda name, data: None if name == "data/1" else data,
        lambda name, data: None if name == "version" else data,
        lambda name, data: data[:3] if name == "data/0" else data,
    ],
    ids=["no data.pkl", "no storage", "no version", "short storage"],
)
def test_a_corrupt_archive(tmp_path, change):
    torch.save({"a": torch.ones(2), "b": torch.zeros(3)}, tmp_path / "good.pt")
    rewritten(tmp_path / "good.pt", tmp_path / "bad.pt", change)
    _same_outcome(
        lambda: torch.load(tmp_path / "bad.pt"), lambda: gradrpc.load(tmp_path / "bad.pt")
    )


def test_a_view_past_its_storage_is_refused(tmp_path):
    """torch.arange(4.)[1:] with its storage cut to two elements (the pickle and the record)."""
    torch.save(torch.arange(4.0)[1:], tmp_path / "view.pt")

    def cut(name, data):
        if name == "data.pkl":
            return re.sub(b"(cpuq.)K\x04", lambda m: m.group(1) + b"K\x02", data)
        return data[:8] if name == "data/0" else data

    rewritten(tmp_path / "view.pt", tmp_path / "cut.pt", cut)
    _same_outcome(
        lambda: torch.load(tmp_path / "cut.pt"), lambda: gradrpc.load(tmp_path / "cut.pt")
    )


def test_a_legacy_or_foreign_file_is_refused(tmp_path):
    torch.save(torch.ones(2), tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    (tmp_path / "text.pt").write_text("hello")
    for name in ("legacy.pt", "text.pt"):
        with pytest.raises(RuntimeError, match="reads torch's zip checkpoint format"):
            gradrpc.load(tmp_path / name)


def test_a_global_outside_the_allowlist_is_refused_as_torch_refuses_it(tmp_path):
    path = tmp_path / "namespace.pt"
    torch.save({"args": argparse.Namespace(lr=0.1), "w": torch.ones(1)}, path)
    _same_outcome(lambda: torch.load(path), lambda: gradrpc.load(path))
    assert gradrpc.load(path, weights_only=False)["args"].lr == 0.1
    with gradrpc.serialization.safe_globals([argparse.Namespace]):
        assert gradrpc.load(path)["args"] == argparse.Namespace(lr=0.1)
    assert gradrpc.serialization.get_safe_globals() == []
    gradrpc.serialization.add_safe_globals([(argparse.Namespace, "argparse.Namespace")])
    assert gradrpc.load(path)["args"] == argparse.Namespace(lr=0.1)
    gradrpc.serialization.clear_safe_globals()
    with pytest.raises(
        pickle.UnpicklingError, match=r"GLOBAL argparse\.Namespace was not an allowed"
    ):
        gradrpc.load(path)


def test_a_blocked_module_is_refused_as_torch_refuses_it(tmp_path):
    torch.save({"call": os.system}, tmp_path / "system.pt")  # never called: refused by name
    _same_outcome(
        lambda: torch.load(tmp_path / "system.pt"), lambda: gradrpc.load(tmp_path / "system.pt")
    )


def test_torch_objects_gradrpc_cannot_rebuild_are_refused(tmp_path):
    torch.save(torch.nn.Linear(2, 1), tmp_path / "module.pt")
    torch.save(torch.ones(2, dtype=torch.float16), tmp_path / "half.pt")
    for weights_only in (True, False):
        with pytest.raises(pickle.UnpicklingError, match=r"^gradrpc.load cannot rebuild torch.nn"):
            gradrpc.load(tmp_path / "module.pt", weights_only=weights_only)
    with pytest.raises(TypeError, match=r"can't load torch.float16 tensors \(torch.HalfStorage\)"):
        gradrpc.load(tmp_path / "half.pt")


def _cuda_file(tmp_path):
    """A checkpoint torch made on "cuda:0" (its location tag rewritten; CPU torch cannot)."""
    torch.save({"w": torch.tensor(FLOATS)}, tmp_path / "cpu.pt")
    cpu, cuda = b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0"
    rewritten(tmp_path / "cpu.pt", tmp_path / "cuda.pt", lambda n, d: d.replace(cpu, cuda))
    return tmp_path / "cuda.pt"


@pytest.mark.parametrize(
    "map_location",
    ["cpu", {"cuda:0": "cpu"}, lambda storage, location: storage.cpu()],
    ids=["str", "dict", "function"],
)
def test_map_location_brings_storages_to_the_cpu(tmp_path, map_location):
    path = _cuda_file(tmp_path)
    expected = describe(torch.load(path, map_location=map_location))
    assert_same(expected, describe(gradrpc.load(path, map_location=map_location)), 0, 0)
    assert_same(expected, describe(gradrpc.load(path, map_location=torch.device("cpu"))), 0, 0)
    assert_same(expected, describe(gradrpc.load(path, map_location=gradrpc.device("cpu"))), 0, 0)


@pytest.mark.parametrize(
    "map_location",
    [None, lambda storage, location: None, "cuda", "cuda:1", "bogus", 5, {"cpu": "cuda"}],
)
def test_map_location_errors(tmp_path, map_location):
    """A storage left on "cuda:0" (no map_location, or a function giving None), or sent to a
    device CPU-only torch lacks."""
    if map_location is None or callable(map_location):
        path = _cuda_file(tmp_path)
    else:
        path = tmp_path / "cpu.pt"
        torch.save({"w": torch.ones(2)}, path)
    _same_outcome(
        lambda: torch.load(path, map_location=map_location),
        lambda: gradrpc.load(path, map_location=map_location),
    )


class Unseekable:
    def read(self, size=-1):
        return b""


@pytest.mark.parametrize(
    "call",
    [
        lambda T, path: T.load(path, pickle_module=pickle, weights_only=True),
        lambda T, path: T.load(io.BytesIO(path.read_bytes()), mmap=True),
        lambda T, path: T.load(Unseekable()),
    ],
    ids=["pickle_module", "mmap of a buffer", "unseekable"],
)
def test_load_argument_errors(tmp_path, call):
    torch.save(torch.ones(1), tmp_path / "one.pt")
    _same_outcome(
        lambda: call(torch, tmp_path / "one.pt"), lambda: call(gradrpc, tmp_path / "one.pt")
    )


def test_meta_is_not_a_place_for_gradrpc_tensors(tmp_path):
    torch.save(torch.ones(1), tmp_path / "one.pt")
    assert torch.load(tmp_path / "one.pt", map_location="meta").is_meta
    with pytest.raises(RuntimeError, match="device 'meta' is not available"):
        gradrpc.load(tmp_path / "one.pt", map_location="meta")


@pytest.mark.parametrize(
    "call",
    [
        lambda T, path: T.save(T.ones(1), 123),
        lambda T, path: T.save(T.ones(1), str(path / "no" / "such" / "dir" / "x.pt")),
    ],
    ids=["no file", "no directory"],
)
def test_save_argument_errors(tmp_path, call):
    _same_outcome(lambda: call(torch, tmp_path), lambda: call(gradrpc, tmp_path))


def test_what_has_no_counterpart_in_the_file_is_refused():
    model = gradrpc.nn.Linear(2, 1)
    for obj in (model, {"model": model}, gradrpc.optim.SGD(model.parameters(), lr=0.1)):
        with pytest.raises(NotImplementedError, match="save a module's or an optimizer's"):
            gradrpc.save(obj, io.BytesIO())
    with pytest.raises(NotImplementedError, match="zip format only"):
        gradrpc.save(model.weight, io.BytesIO(), _use_new_zipfile_serialization=False)
