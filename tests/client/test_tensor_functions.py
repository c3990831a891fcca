"""torch's functions that combine or rearrange whole tensors (outer and ger, inner, tensordot,
kron, trace, diag, diag_embed, cross and linalg.cross, broadcast_to, hstack, vstack,
row_stack, dstack, column_stack, meshgrid, cartesian_prod, block_diag, diff, fliplr, flipud,
tril_indices, triu_indices, logit, sinc, nan_to_num, signbit, logaddexp, nansum, nanmean,
rot90, take, masked_select, index_add, index_copy, index_fill, unfold, new_tensor,
ndimension, element_size) as functions and methods, against torch 2.13: values, dtypes,
graphs (the nodes torch's compositions record), gradients, and torch's errors (type and exact
message) at the line."""

from __future__ import annotations

import importlib
import warnings

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import check_error_at_line, check_raised_at_the_next_read, check_same, graph_of

_WARNED = importlib.import_module("gradrpc.tensor")._WARNED  # torch's warn-once warnings given

RNG = np.random.default_rng(7)


def _data(*shape: int) -> list:
    return RNG.uniform(-2, 2, shape).round(3).tolist()


def _grad_scenario(build, shapes, dtype="float32"):
    """build(T, *leaves) from leaves of `shapes` that require grad: the result, its graph,
    and each leaf's gradient for a weighted sum of the result."""
    data = [_data(*shape) for shape in shapes]

    def scenario(T):
        leaves = [T.tensor(d, dtype=getattr(T, dtype), requires_grad=True) for d in data]
        out = build(T, *leaves)
        outs = out if isinstance(out, tuple) else (out,)
        total = sum((o * T.arange(o.numel(), dtype=o.dtype).reshape(o.shape)).sum() for o in outs)
        total.backward()
        return [*outs, *(graph_of(o.grad_fn) for o in outs), *(x.grad for x in leaves)]

    return scenario


CASES = [
    ("outer", lambda T, a, b: T.outer(a, b), [(3,), (4,)]),
    ("ger", lambda T, a, b: T.ger(a, b), [(3,), (2,)]),
    ("Tensor.outer", lambda T, a, b: a.outer(b), [(3,), (4,)]),
    ("Tensor.ger", lambda T, a, b: a.ger(b), [(1,), (4,)]),
    ("inner vectors", lambda T, a, b: T.inner(a, b), [(3,), (3,)]),
    ("inner matrices", lambda T, a, b: T.inner(a, b), [(2, 3), (4, 3)]),
    ("inner vector matrix", lambda T, a, b: a.inner(b), [(3,), (4, 3)]),
    ("inner 0-d", lambda T, a, b: T.inner(a, b), [(), (4, 3)]),
    ("inner 3-d", lambda T, a, b: T.inner(a, b), [(2, 2, 3), (3,)]),
    ("tensordot 1", lambda T, a, b: T.tensordot(a, b, dims=1), [(2, 3), (3, 4)]),
    ("tensordot 2", lambda T, a, b: T.tensordot(a, b), [(2, 3, 4), (3, 4, 5)]),
    ("tensordot 0", lambda T, a, b: T.tensordot(a, b, dims=0), [(2, 3), (4,)]),
    ("tensordot lists", lambda T, a, b: T.tensordot(a, b, ([1, 0], [0, 1])), [(3, 4, 2), (4, 3)]),
    ("tensordot tuples", lambda T, a, b: T.tensordot(a, b, dims=((0,), (1,))), [(3, 2), (4, 3)]),
    ("tensordot no free dims", lambda T, a, b: T.tensordot(a, b, 2), [(3, 4), (3, 4)]),
    ("tensordot vectors", lambda T, a, b: T.tensordot(a, b, 1), [(3,), (3,)]),
    ("tensordot broadcast dim", lambda T, a, b: T.tensordot(a, b, 1), [(2, 1), (1, 4)]),
    ("kron", lambda T, a, b: T.kron(a, b), [(2, 3), (3, 2)]),
    ("kron ranks", lambda T, a, b: a.kron(b), [(2,), (2, 3, 2)]),
    ("kron 0-d", lambda T, a, b: T.kron(a, b), [(), (3,)]),
    ("trace", lambda T, a: T.trace(a), [(3, 4)]),
    ("Tensor.trace", lambda T, a: a.trace(), [(4, 2)]),
    ("diag vector", lambda T, a: T.diag(a), [(3,)]),
    ("diag vector offset", lambda T, a: a.diag(2), [(3,)]),
    ("diag vector below", lambda T, a: T.diag(a, diagonal=-1), [(2,)]),
    ("diag matrix", lambda T, a: T.diag(a), [(3, 4)]),
    ("diag matrix offset", lambda T, a: a.diag(-1), [(3, 4)]),
    ("diag_embed", lambda T, a: T.diag_embed(a), [(2, 3)]),
    ("diag_embed dims", lambda T, a: a.diag_embed(1, 0, 2), [(2, 3)]),
    ("diag_embed keywords", lambda T, a: T.diag_embed(a, offset=-1, dim1=-1, dim2=0), [(2, 3)]),
    ("cross", lambda T, a, b: T.cross(a, b, dim=1), [(2, 3), (2, 3)]),
    ("Tensor.cross", lambda T, a, b: a.cross(b, 0), [(3, 2), (3, 1)]),
    ("linalg.cross", lambda T, a, b: T.linalg.cross(a, b), [(4, 3), (1, 3)]),
    ("linalg.cross dim", lambda T, a, b: T.linalg.cross(a, b, dim=0), [(3, 2), (3, 2)]),
    ("broadcast_to", lambda T, a: T.broadcast_to(a, (2, 3)), [(3,)]),
    ("Tensor.broadcast_to", lambda T, a: a.broadcast_to((4, 2, -1)), [(2, 1)]),
    ("hstack vectors", lambda T, a, b: T.hstack([a, b]), [(3,), (2,)]),
    ("hstack matrices", lambda T, a, b: T.hstack((a, b)), [(2, 3), (2, 1)]),
    ("hstack 0-d", lambda T, a, b: T.hstack([a, b]), [(), (2,)]),
    ("vstack", lambda T, a, b: T.vstack([a, b]), [(3,), (2, 3)]),
    ("vstack 0-d", lambda T, a, b: T.vstack([a, b]), [(), ()]),
    ("row_stack", lambda T, a, b: T.row_stack([a, b]), [(3,), (3,)]),
    ("dstack", lambda T, a, b, c: T.dstack([a, b, c]), [(3,), (1, 3), (1, 3, 2)]),
    ("dstack 0-d", lambda T, a: T.dstack([a]), [()]),
    ("column_stack", lambda T, a, b, c: T.column_stack([a, b, c]), [(3,), (3, 2), (3,)]),
    ("column_stack 0-d", lambda T, a, b: T.column_stack([a, b]), [(), ()]),
    ("meshgrid ij", lambda T, a, b: T.meshgrid(a, b, indexing="ij"), [(3,), (4,)]),
    ("meshgrid xy", lambda T, a, b, c: T.meshgrid([a, b, c], indexing="xy"), [(3,), (2,), ()]),
    ("meshgrid one", lambda T, a: T.meshgrid((a,), indexing="xy"), [(3,)]),
    ("cartesian_prod", lambda T, a, b: T.cartesian_prod(a, b), [(3,), (2,)]),
    ("cartesian_prod three", lambda T, a, b, c: T.cartesian_prod(a, b, c), [(2,), (1,), (3,)]),
    ("block_diag", lambda T, a, b, c: T.block_diag(a, b, c), [(2, 3), (3,), ()]),
    ("block_diag empty blocks", lambda T, a, b: T.block_diag(a, b), [(2, 0), (0, 3)]),
    ("diff", lambda T, a: T.diff(a), [(3, 4)]),
    ("Tensor.diff", lambda T, a: a.diff(n=2, dim=0), [(4, 2)]),
    ("diff past the length", lambda T, a: T.diff(a, 5), [(3,)]),
    ("diff none", lambda T, a: T.diff(a, 0), [(3,)]),
    ("diff prepend", lambda T, a, b: T.diff(a, prepend=b), [(3, 4), (3, 1)]),
    ("diff append", lambda T, a, b: T.diff(a, dim=0, append=b), [(3, 4), (2, 4)]),
    ("diff both", lambda T, a, b, c: T.diff(a, 2, prepend=b, append=c), [(4,), (2,), (1,)]),
    ("logit", lambda T, a: T.logit(a.sigmoid()), [(3, 4)]),
    ("logit eps", lambda T, a: (a.sigmoid() * 1.2 - 0.1).logit(0.05), [(3, 4)]),
    ("sinc", lambda T, a: T.sinc(a), [(3, 4)]),
    ("Tensor.sinc", lambda T, a: (a * 0).sinc() + a.sinc(), [(5,)]),
    ("nan_to_num", lambda T, a: T.nan_to_num(T.log(a)), [(3, 4)]),
    (
        "nan_to_num values",
        lambda T, a: (a.log() / (a > 1)).nan_to_num(1.5, 2.0, neginf=-3.0),
        [(9,)],
    ),
    ("logaddexp", lambda T, a, b: T.logaddexp(a, b), [(3, 4), (4,)]),
    ("Tensor.logaddexp", lambda T, a, b: a.logaddexp(b), [(2, 1), ()]),
    ("nansum", lambda T, a: T.nansum(a.log()), [(3, 4)]),
    ("nansum dims", lambda T, a: a.log().nansum((0, 2), keepdim=True), [(2, 3, 4)]),
    ("nansum dtype", lambda T, a: T.nansum(a.log(), 1, dtype=T.float64), [(2, 3)]),
    ("nanmean", lambda T, a: T.nanmean(a.log()), [(3, 4)]),
    ("nanmean dim", lambda T, a: a.log().nanmean(dim=1, keepdim=True), [(3, 4)]),
    ("rot90", lambda T, a: T.rot90(a), [(3, 4)]),
    ("rot90 k", lambda T, a: a.rot90(-1, [2, 0]), [(2, 3, 4)]),
    ("rot90 half", lambda T, a: T.rot90(a, 2, dims=(1, 0)), [(3, 4)]),
    ("rot90 none", lambda T, a: T.rot90(a, k=4), [(3, 4)]),
    ("take", lambda T, a: T.take(a, T.tensor([[0, -1], [5, 5]])), [(3, 4)]),
    ("Tensor.take", lambda T, a: a.take(T.tensor(2)), [(2, 3)]),
    ("masked_select", lambda T, a: T.masked_select(a, a > 0), [(3, 4)]),
    (
        "masked_select broadcast",
        lambda T, a: a.masked_select(T.tensor([True, False, True])),
        [(2, 3)],
    ),
    (
        "masked_select wider mask",
        lambda T, a: T.masked_select(a, T.tensor([[True], [False]])),
        [(3,)],
    ),
    ("masked_select none", lambda T, a: a.masked_select(a > 9), [(3,)]),
    ("index_add", lambda T, a, b: a.index_add(0, T.tensor([2, 0, 2]), b), [(3, 4), (3, 4)]),
    (
        "index_add alpha",
        lambda T, a, b: T.index_add(a, 1, T.tensor([1]), b, alpha=-2.5),
        [(2, 3), (2, 1)],
    ),
    ("index_add vector", lambda T, a, b: a.index_add(-1, T.tensor(1), b), [(3,), (1,)]),
    ("unfold", lambda T, a: a.unfold(1, 2, 1), [(3, 4)]),
    ("unfold steps", lambda T, a: a.unfold(dimension=0, size=2, step=2) * 2, [(5, 2)]),
    ("unfold 0-d", lambda T, a: a.unfold(0, 1, 1), [()]),
    ("unfold of a transpose", lambda T, a: a.t().unfold(-1, 3, 2), [(5, 3)]),
    ("index_copy", lambda T, a, b: a.index_copy(0, T.tensor([2, 0]), b), [(3, 4), (2, 4)]),
    ("index_copy dim", lambda T, a, b: T.index_copy(a, -1, T.tensor([1]), b), [(2, 3), (2, 1)]),
    ("index_copy scalar", lambda T, a, b: a.index_copy(0, T.tensor(1), b), [(3,), ()]),
    ("index_fill", lambda T, a: a.index_fill(0, T.tensor([2, -1]), 1.5), [(3, 4)]),
    ("index_fill dim", lambda T, a: T.index_fill(a, -1, T.tensor(1), -2), [(2, 3)]),
    ("index_fill tensor", lambda T, a, v: a.index_fill(0, T.tensor([0, 2]), v * 2), [(3, 2), ()]),
    ("fliplr", lambda T, a: T.fliplr(a), [(3, 4, 2)]),
    ("flipud", lambda T, a: a.flipud(), [(3,)]),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("name", "build", "shapes"), CASES, ids=[c[0] for c in CASES])
def test_values_graphs_and_gradients_match_torch(name, build, shapes, dtype) -> None:
    # sinc's float32 gradient cancels (πx cos πx - sin πx): an ulp of sin or cos, where
    # torch's vectorized kernels and NumPy's differ, moves it by up to about 1e-3
    atol = 2e-3 if "sinc" in name and dtype == "float32" else 1e-5
    check_same(_grad_scenario(build, shapes, dtype), rtol=1e-5, atol=atol)


def test_integer_and_mixed_dtypes_match_torch() -> None:
    """Promotion where torch promotes (outer, kron, block_diag: int64 with float32), int64
    results where torch keeps them (trace, diag, cross), bool blocks."""

    def scenario(T):
        i = T.tensor([[1, 2, 3], [4, 5, 6]])
        f = T.tensor([0.5, -1.5])
        b = T.tensor([True, False])
        return [
            T.outer(i[0], f),
            T.kron(i, f),
            T.trace(i),
            T.diag(i[1], 1),
            T.diag(i, 1),
            T.linalg.cross(i, i.flip(1)),
            T.block_diag(i, f, b),
            T.block_diag(b),
            T.block_diag(),
            T.hstack([i[0], f.long()]),
            T.cartesian_prod(i[0], i[1]),
            T.meshgrid(b, b, indexing="ij"),
            T.inner(i, i),
            T.tensordot(i, i, ([0], [0])),
            T.logit(i),
            T.sinc(i),
            T.nan_to_num(i, 1.0),
            T.signbit(T.tensor([-0.0, 0.0, -1.5, float("inf"), float("-inf")])),
            T.signbit(i - 3),
            T.signbit(b),
            T.logaddexp(i, f[:1]),
            T.nansum(i),
            T.nansum(b, 0),
            T.nansum(i, dtype=T.float32),
            T.rot90(i, 3),
            T.rot90(i).is_contiguous(),
            T.rot90(i, 3).stride(),
            T.nan_to_num(T.tensor([float("nan"), float("inf"), -float("inf"), 1.0])),
            T.nan_to_num(T.tensor([float("inf"), -float("inf")], dtype=T.float64)),
            T.diff(i),
            T.diff(b),
            T.diff(i[0], append=f),
            T.tril_indices(3, 4),
            T.tril_indices(4, 3, -1),
            T.triu_indices(3, 4, 1),
            T.triu_indices(0, 2),
            T.tril_indices(3, 3, offset=9),
        ]

    check_same(scenario)


def test_in_place_forms_match_torch() -> None:
    """logit_, sinc_ and nan_to_num_ on a tensor with history: the values, the graph (the
    op's node on the tensor), the gradient; a leaf that requires grad refuses them."""

    def scenario(T):
        x = T.tensor([0.25, 0.5, 0.9, 0.0], requires_grad=True)
        a, b, c = x * 1, x * 2, x.log()
        a.logit_(0.1)
        b.sinc_()
        c.nan_to_num_(neginf=-5.0)
        (a + b * 2 + c * 3).sum().backward()
        return [a, b, c, graph_of(a.grad_fn), graph_of(c.grad_fn), x.grad]

    check_same(scenario)
    check_error_at_line(lambda T: T.ones(2, requires_grad=True).sinc_())


def test_new_tensor_ndimension_and_element_size_match_torch() -> None:
    def scenario(T):
        x = T.ones(2, 3, dtype=T.float64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            copied = x.new_tensor(T.ones(2, requires_grad=True) * 2, requires_grad=True)
        return [
            x.new_tensor([1, 2]),
            x.new_tensor([[1.5], [2.0]], dtype=T.float32),
            x.new_tensor(3, requires_grad=True),
            T.tensor([True]).new_tensor([0, 1]),
            copied,
            x.ndimension(),
            T.tensor(1).ndimension(),
            [T.ones(1, dtype=d).element_size() for d in (T.bool, T.int64, T.float32, T.float64)],
        ]

    check_same(scenario)
    check_error_at_line(lambda T: T.ones(2, dtype=T.int64).new_tensor([1], requires_grad=True))


def test_new_tensor_of_a_tensor_warns_as_torch() -> None:
    with pytest.warns(UserWarning, match=r"rather than tensor.new_tensor\(sourceTensor\)"):
        gradrpc.ones(2).new_tensor(gradrpc.ones(2))


def test_take_out_of_range_raises_torch_s_error_at_the_next_read() -> None:
    check_raised_at_the_next_read(
        lambda T: T.take(T.ones(3, 4), T.tensor([1, 12])).sum().item(), "take"
    )


@pytest.mark.parametrize("shape", [(3,), (3, 2)])
@pytest.mark.parametrize("position", [3, -1])
def test_index_add_out_of_range_raises_torch_s_error_at_the_next_read(shape, position) -> None:
    source = (1, *shape[1:])
    check_raised_at_the_next_read(
        lambda T: T.zeros(shape).index_add(0, T.tensor([position]), T.ones(source)).sum().item(),
        "index_add",
    )


@pytest.mark.parametrize("position", [3, -1])
def test_index_copy_out_of_range_raises_torch_s_error_at_the_next_read(position) -> None:
    check_raised_at_the_next_read(
        lambda T: T.zeros(3, 2).index_copy(0, T.tensor([position]), T.ones(1, 2)).sum().item(),
        "index_copy",
    )


def test_index_copy_in_place_and_repeats_match_torch() -> None:
    def scenario(T):
        x = T.ones(3, 2, requires_grad=True)
        source = T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = x * 1
        y.index_copy_(0, T.tensor([1, 1]), source)
        (y * T.arange(6.0).reshape(3, 2)).sum().backward()
        return [y, graph_of(y.grad_fn), x.grad, source.grad]

    check_same(scenario)


@pytest.mark.parametrize("position", [3, -4])
def test_index_fill_out_of_range_raises_torch_s_error_at_the_next_read(position) -> None:
    check_raised_at_the_next_read(
        lambda T: T.zeros(3, 2).index_fill(0, T.tensor([position]), 1.0).sum().item(),
        "index_fill",
    )


def test_index_fill_in_place_and_integers_match_torch() -> None:
    def scenario(T):
        x = T.ones(3, 2, requires_grad=True)
        value = T.tensor(2.5, requires_grad=True)
        y, z = x * 1, x * 2
        y.index_fill_(1, T.tensor([0]), value)
        z.index_fill_(0, T.tensor([1, 1]), -1.0)
        (y * T.arange(6.0).reshape(3, 2) + z).sum().backward()
        ints = T.tensor([1, 2, 3]).index_fill(0, T.tensor([0]), T.tensor(7.9))
        return [y, z, graph_of(y.grad_fn), graph_of(z.grad_fn), x.grad, value.grad, ints]

    check_same(scenario)


def test_index_add_in_place_and_integers_match_torch() -> None:
    def scenario(T):
        x = T.ones(3, 2, requires_grad=True)
        source = T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = x * 1
        y.index_add_(0, T.tensor([1, 1]), source, alpha=3)
        y.sum().backward()
        ints = T.tensor([1, 2, 3]).index_add(0, T.tensor([0, 0]), T.tensor([5, 7]), alpha=2)
        return [y, graph_of(y.grad_fn), x.grad, source.grad, ints]

    check_same(scenario)


def test_unfold_is_a_view_as_torch_s() -> None:
    def scenario(T):
        x = T.arange(8.0).reshape(2, 4)
        windows = x.unfold(1, 2, 2)
        windows[0, 1, 0] = -1.0
        return [x, windows, windows.stride(), windows.is_contiguous(), windows._base is x]

    check_same(scenario)


def test_masked_select_reads_the_mask_once() -> None:
    x = gradrpc.tensor([[1.0, -2.0], [3.0, -4.0]])
    mask = x > 0
    gradrpc.default_session().flush()
    before = gradrpc.default_session().rpc_count
    x.masked_select(mask)
    assert gradrpc.default_session().rpc_count == before + 1


def test_a_lone_vector_is_its_own_cartesian_product() -> None:
    def scenario(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        return T.cartesian_prod(x) is x

    check_same(scenario)


def test_cross_without_dim_warns_once_as_torch() -> None:
    """torch.cross without dim takes input's first dim of size 3, with torch's deprecation
    warning, given once a process (torch's TORCH_WARN_ONCE)."""
    _WARNED.discard("cross dim")
    x = [[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]
    y = [[-1.0, 0.5, 2.0], [3.0, 1.0, -2.0]]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        theirs = torch.cross(torch.tensor(x), torch.tensor(y))
        ours = gradrpc.cross(gradrpc.tensor(x), gradrpc.tensor(y))
        gradrpc.tensor(x).cross(gradrpc.tensor(y))
    ours_warned = [str(w.message) for w in caught if w.filename == __file__]
    assert ours_warned[-1] == (
        "Using torch.cross without specifying the dim arg is deprecated.\n"
        "Please either pass the dim explicitly or simply use torch.linalg.cross.\n"
        "The default value of dim will change to agree with that of linalg.cross in a future "
        "release. (Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/"
        "Cross.cpp:63.)"
    )
    assert sum("torch.cross" in m for m in ours_warned) <= 2  # torch's own, once, and ours
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


def test_meshgrid_without_indexing_warns_and_is_ij() -> None:
    _WARNED.discard("meshgrid indexing")
    with pytest.warns(UserWarning) as ours:
        grids = gradrpc.meshgrid(gradrpc.tensor([1.0, 2.0]), gradrpc.tensor([3.0, 4.0, 5.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = torch.meshgrid(torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0, 5.0]))
    assert str(ours[0].message) == (
        "torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
        "argument. (Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/"
        "TensorShape.cpp:4215.)"
    )
    for g, e in zip(grids, expected, strict=True):
        np.testing.assert_array_equal(g.numpy(), e.numpy())


ERRORS = [
    lambda T: T.outer(T.ones(3), T.ones(2, 2)),
    lambda T: T.outer(T.ones(2, 2), T.ones(3)),
    lambda T: T.outer(T.ones(3), 3),
    lambda T: T.ones(3).outer(3),
    lambda T: T.ger(T.ones(3, 1), T.ones(2)),
    lambda T: T.inner(T.ones(3), T.ones(4)),
    lambda T: T.inner(T.ones(3), 2),
    lambda T: T.tensordot(T.ones(2, 3), T.ones(4, 5), dims=1),
    lambda T: T.tensordot(T.ones(2, 3), T.ones(4, 5), dims=-1),
    lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 5), dims=([1], [0, 1])),
    lambda T: T.tensordot(T.ones(3), T.ones(3, dtype=T.float64), dims=1),
    lambda T: T.tensordot(T.ones(3, 2), T.ones(4, 3), dims=(0, 1)),
    lambda T: T.tensordot(T.ones(3, 2), T.ones(4, 3), dims=([0], 1)),
    lambda T: T.kron(T.ones(3), 2),
    lambda T: T.ones(3).kron(2),
    lambda T: T.trace(T.ones(3)),
    lambda T: T.trace(T.ones(2, 3, 4)),
    lambda T: T.trace(T.ones(2, 2, dtype=T.bool)),
    lambda T: T.diag(T.ones(2, 3, 4)),
    lambda T: T.diag(T.tensor(1.0)),
    lambda T: T.ones(3).diag(1.0),
    lambda T: T.diag_embed(T.ones(3), 0, 0, 0),
    lambda T: T.diag_embed(T.ones(3), dim1=0, dim2=5),
    lambda T: T.diag_embed(T.tensor(1.0)),
    lambda T: T.cross(T.ones(2, 4), T.ones(2, 4)),
    lambda T: T.cross(T.ones(2, 3), T.ones(2, 3), dim=0),
    lambda T: T.ones(2, 3).cross(T.ones(2, 3), dim=2),
    lambda T: T.linalg.cross(T.ones(2, 4), T.ones(2, 4)),
    lambda T: T.linalg.cross(T.ones(2, 3), T.ones(3)),
    lambda T: T.linalg.cross(T.ones(2, 3), T.ones(4, 3)),
    lambda T: T.linalg.cross(T.ones(3), T.ones(3, dtype=T.float64)),
    lambda T: T.linalg.cross(T.ones(3, dtype=T.bool), T.ones(3, dtype=T.bool)),
    lambda T: T.linalg.cross(1, T.ones(3)),
    lambda T: T.broadcast_to(T.ones(3), (2, 4)),
    lambda T: T.broadcast_to(T.ones(3), 3.0),
    lambda T: T.ones(3).broadcast_to(3.0),
    lambda T: T.hstack([]),
    lambda T: T.vstack(T.ones(3)),
    lambda T: T.dstack([T.ones(3), 2]),
    lambda T: T.column_stack([T.ones(2, 3), T.ones(3)]),
    lambda T: T.meshgrid(indexing="ij"),
    lambda T: T.meshgrid(T.ones(2), indexing="foo"),
    lambda T: T.cartesian_prod(T.ones(2, 2)),
    lambda T: T.block_diag(T.ones(2, 2, 2)),
    lambda T: T.block_diag(1),
    lambda T: T.logit(T.ones(2), "a"),
    lambda T: T.ones(2).logit(eps="a"),
    lambda T: T.nan_to_num(T.ones(2), "a"),
    lambda T: T.nansum(T.ones(2), 1.5),
    lambda T: T.nansum(T.ones(2, 3), 2),
    lambda T: T.nanmean(T.tensor([1, 2])),
    lambda T: T.nanmean(T.ones(2), dtype=T.int64),
    lambda T: T.rot90(T.ones(2, 2), 1.5),
    lambda T: T.rot90(T.ones(3)),
    lambda T: T.rot90(T.ones(2, 3, 4), 1, [0]),
    lambda T: T.rot90(T.ones(2, 3, 4), 1, [1, -2]),
    lambda T: T.rot90(T.ones(2, 3, 4), 1, [0, 3]),
    lambda T: T.ones(2).logaddexp(2.0),
    lambda T: T.logaddexp(T.ones(2), 2.0),
    lambda T: T.logaddexp(T.tensor([1, 2]), T.tensor([1, 2])),
    lambda T: T.sinc(2.0),
    lambda T: T.signbit(2),
    lambda T: T.tensor([1, 2]).logit_(),
    lambda T: T.take(T.ones(2), [1]),
    lambda T: T.ones(2).take(1),
    lambda T: T.take(T.ones(2), T.tensor([1.0])),
    lambda T: T.take(T.ones(0), T.tensor([0])),
    lambda T: T.masked_select(T.ones(2), T.ones(2)),
    lambda T: T.ones(2).masked_select([True, False]),
    lambda T: T.masked_select(T.ones(2), T.ones(3, dtype=T.bool)),
    lambda T: T.ones(3, 4).index_add(0, T.tensor([0]), T.ones(1, 4), 2),
    lambda T: T.ones(3, 4).index_add(0, T.tensor([0]), T.ones(1, 4), alpha="a"),
    lambda T: T.ones(3, 4).index_add(0.5, T.tensor([0]), T.ones(1, 4)),
    lambda T: T.index_add(T.ones(3, 4), 0, [0], T.ones(1, 4)),
    lambda T: T.ones(3, 4).index_add(0, T.tensor([0])),
    lambda T: T.ones(3, 4).index_add(2, T.tensor([0]), T.ones(1, 4)),
    lambda T: T.ones(3, 4).index_add(0, T.tensor([[0]]), T.ones(1, 4)),
    lambda T: T.ones(3, 4).index_add(0, T.tensor([0.0]), T.ones(1, 4)),
    lambda T: T.ones(3, 4).index_add(0, T.tensor([0]), T.ones(1, 4, dtype=T.float64)),
    lambda T: T.ones(3, 4).index_add(0, T.tensor([0, 1]), T.ones(3, 4)),
    lambda T: T.ones(3, 4).index_add(0, T.tensor([0]), T.ones(1, 5)),
    lambda T: T.ones(3).index_add(0, T.tensor(1), T.tensor(3.0)),
    lambda T: T.ones(3, 4).unfold(1, 5, 1),
    lambda T: T.ones(3, 4).unfold(1, 2, 0),
    lambda T: T.ones(3, 4).unfold(1, -1, 1),
    lambda T: T.ones(3, 4).unfold(2, 2, 1),
    lambda T: T.ones(3, 4).unfold(1, 2, 1.5),
    lambda T: T.ones(3, 4).unfold(1, 2),
    lambda T: T.ones(3, 4).index_copy(2, T.tensor([0]), T.ones(1, 4)),
    lambda T: T.ones(3, 4).index_copy(0, T.tensor([[0]]), T.ones(1, 4)),
    lambda T: T.ones(3, 4).index_copy(0, T.tensor([0.0]), T.ones(1, 4)),
    lambda T: T.ones(3, 4).index_copy(0, T.tensor([0]), T.ones(1, 4, dtype=T.float64)),
    lambda T: T.ones(3, 4).index_copy(0, T.tensor([0, 1]), T.ones(3, 4)),
    lambda T: T.ones(3, 4, 5).index_copy(1, T.tensor([0]), T.ones(3, 1, 6)),
    lambda T: T.ones(3, 4, 5).index_copy(1, T.tensor([0]), T.ones(3, 1)),
    lambda T: T.ones(3).index_copy(0, T.tensor([0, 1]), T.tensor(2.0)),
    lambda T: T.ones(3, 4).index_copy(0, [0], T.ones(1, 4)),
    lambda T: T.ones(3, 4).index_fill(2, T.tensor([0]), 1.0),
    lambda T: T.ones(3, 4).index_fill(0, T.tensor([[0]]), 1.0),
    lambda T: T.ones(3, 4).index_fill(0, T.tensor([0.0]), 1.0),
    lambda T: T.ones(3, 4).index_fill(0, T.tensor([0]), T.ones(2)),
    lambda T: T.ones(3, 4).index_fill(0, T.tensor([0]), "a"),
    lambda T: T.index_fill(T.ones(3, 4), 0, T.tensor([0]), "a"),
    lambda T: T.ones(3, 4).index_fill(0.5, T.tensor([0]), 1.0),
    lambda T: T.diff(T.tensor(1.0)),
    lambda T: T.diff(T.ones(3), n=-1),
    lambda T: T.diff(T.ones(3, 4), prepend=T.ones(4)),
    lambda T: T.diff(T.ones(3), prepend=1.0),
    lambda T: T.fliplr(T.ones(3)),
    lambda T: T.flipud(T.tensor(1.0)),
    lambda T: T.tril_indices(-1, 3),
    lambda T: T.triu_indices(3, -1),
    lambda T: T.tril_indices(3.0, 4),
    lambda T: T.triu_indices(3, 4, dtype=T.float32),
]


@pytest.mark.parametrize("fn", ERRORS, ids=range(len(ERRORS)))
def test_errors_match_torch_at_the_line(fn) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_error_at_line(fn)
