"""The smaller integer dtypes (int32, int16, int8, uint8) against torch: creation, promotion,
arithmetic that wraps around as torch's does, reductions, views, in-place writes, casts,
printing and errors. Each expression runs under torch and under gradrpc."""

import warnings

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import check_same

SMALL = ("int32", "int16", "int8", "uint8")
OTHERS = ("int64", "bool", "float32", "float64", *SMALL)

# a: 2x3 of the dtype under test, made by a wrapping cast; b: another dtype, no zeros
A = "t.tensor([[1, -2, 3], [100, -128, 127]]).to(t.{a})"
B = "t.tensor([[3, 1, -7], [2, 5, -1]]).to(t.{b})"

UNARY = [
    "a",
    "repr(a)",
    "str(a[0])",
    "a.dtype",
    "(a.dtype.is_signed, a.dtype.itemsize, a.dtype.is_floating_point, a.element_size())",
    "a.type()",
    "a.tolist()",
    "a[1, 2].item()",
    "int(a[1, 1])",
    "a + 1",
    "1 - a",
    "a * 3",
    "a * 1000",
    "a + 2**40",
    "a / 2",
    "a + 1.5",
    "a * True",
    "a + t.tensor(2)",
    "a + t.tensor(2.5)",
    "-a",
    "a.abs()",
    "a.neg()",
    "a.sign()",
    "a ** 2",
    "a.pow(3)",
    "2 ** a.clamp(0, 10)",
    "a % 7",
    "a.remainder(-7)",
    "a.fmod(7)",
    "~a",
    "a & 0x5A",
    "a | 3",
    "a ^ 0xFF",
    "a << 1",
    "a >> 1",
    "a > 0",
    "a == 3",
    "a.sum()",
    "a.sum(0)",
    "a.sum(1, keepdim=True)",
    "a.prod()",
    "a.prod(1)",
    "a.cumsum(1)",
    "a.cumprod(0)",
    "a.max()",
    "a.min()",
    "a.max(1)",
    "a.amax(0)",
    "a.argmax()",
    "a.argmin(1)",
    "a.sort(1)",
    "a.argsort(0)",
    "a.topk(2)",
    "a.unique()",
    "a.mean()",
    "a.float().mean()",
    "a.std()",
    "a.exp()",
    "a.sqrt()",
    "a.sigmoid()",
    "a.floor()",
    "a.round()",
    "a.clamp(-5, 5)",
    "a.clamp(min=0)",
    "a.clone()",
    "a.t()",
    "a.reshape(-1)",
    "a.view(3, 2)",
    "a[0]",
    "a[:, 1:]",
    "a[a > 2]",
    "a[t.tensor([1, 0])]",
    "a.flip(0)",
    "a.roll(1, 1)",
    "a.repeat(2, 1)",
    "a.expand(2, 2, 3)",
    "a.unsqueeze(0).squeeze()",
    "t.cat([a, a])",
    "t.stack([a, a], 1)",
    "t.where(a > 0, a, 0)",
    "a.masked_fill(a < 0, 9)",
    "a.float()",
    "a.double()",
    "a.long()",
    "a.int()",
    "a.short()",
    "a.char()",
    "a.byte()",
    "a.bool()",
    "a.to(t.float64)",
    "a.type(t.int16)",
    "t.zeros_like(a)",
    "t.ones_like(a, dtype=t.uint8)",
    "t.full_like(a, 7)",
    "a.new_zeros(2)",
    "a.new_tensor([1, 2])",
    "a.is_floating_point()",
    "a.requires_grad_()",
    "t.tensor([1, 2], dtype=t.{a}, requires_grad=True)",
    "a.eq(a).all()",
    "a.count_nonzero()",
    "a.nonzero()",
    "a.diff()",
    "a.dot(a) if a.ndim == 1 else a[0].dot(a[0])",
    "a @ a.t()",
    "a.matmul(a.t().float())",
    "a.add_(1)",
    "a.mul_(3)",
    "a.sub_(a)",
    "a.mul_(2.5)",
    "a.add_(True)",
    "a.fill_(7)",
    "a.zero_()",
    "a.copy_(t.tensor([1.9, -2.9, 300.0]))",
    "a.clamp_(0, 50)",
    "a.neg_()",
    "a.bitwise_not_()",
    "a.__ilshift__(2)",
]

BINARY = [
    "a + b",
    "a - b",
    "a * b",
    "a / b",
    "a == b",
    "a < b",
    "t.maximum(a, b)",
    "t.minimum(a, b)",
    "t.where(b > 0, a, b)",
    "t.cat([a, b])",
    "a & b",
    "a.add_(b)",
    "t.result_type(a, b)",
    "t.promote_types(a.dtype, b.dtype)",
    "a.to(b)",
    "a.type_as(b)",
]

FACTORIES = [
    "t.tensor([1, 2, 3], dtype=t.{a})",
    "t.tensor(-5, dtype=t.{a})",
    "t.tensor([1.7, -2.7], dtype=t.{a})",
    "t.tensor([[True, False]], dtype=t.{a})",
    "t.tensor([], dtype=t.{a})",
    "t.tensor([300], dtype=t.{a})",
    "t.tensor([-129], dtype=t.{a})",
    "t.tensor([2**31], dtype=t.{a})",
    "t.tensor([-255], dtype=t.{a})",
    "t.zeros(2, 3, dtype=t.{a})",
    "t.ones(4, dtype=t.{a})",
    "t.full((2,), 7, dtype=t.{a})",
    "t.full((2,), 300, dtype=t.{a})",
    "t.empty(3, dtype=t.{a}).shape",
    "t.arange(5, dtype=t.{a})",
    "t.arange(1, 10, 3, dtype=t.{a})",
    "t.eye(2, dtype=t.{a})",
    "t.linspace(0, 10, 5, dtype=t.{a})",
    "t.randint(0, 10, (3,), dtype=t.{a}).dtype",
    "t.randint(0, 300, (3,), dtype=t.{a}).dtype",
    "t.randint(-3, 3, (3,), dtype=t.{a}).dtype",
    "t.empty(3, dtype=t.{a}).random_(-200, 0).dtype",
    "t.empty(3, dtype=t.{a}).random_(-(2**63), None)",
    "t.zeros(2, dtype=t.{a}).fill_(300)",
    "t.from_numpy(np.array([1, 2], dtype='{a}'))",
    "t.tensor(np.array([[1, 2]], dtype='{a}'))",
    "t.as_tensor(np.array([7], dtype='{a}'))",
    "t.zeros(2, dtype=t.{a}).numpy().dtype.name",
    "t.tensor([1], dtype=t.{a}).unsqueeze(0).repeat(2, 2)",
]


def _run(expression: str, a: str, b: str | None = None):
    def fn(t):
        scope = {"t": t, "np": np}
        scope["a"] = eval(A.format(a=a), scope)
        if b is not None:
            scope["b"] = eval(B.format(b=b), scope)
        return eval(expression.format(a=a), scope)

    return fn


@pytest.mark.parametrize("dtype", SMALL)
@pytest.mark.parametrize("expression", UNARY)
def test_one_operand(expression, dtype):
    check_same(_run(expression, dtype), rtol=1e-6, atol=0)


@pytest.mark.parametrize("other", OTHERS)
@pytest.mark.parametrize("dtype", SMALL)
@pytest.mark.parametrize("expression", BINARY)
def test_two_operands(expression, dtype, other):
    check_same(_run(expression, dtype, other), rtol=1e-6, atol=0)


@pytest.mark.parametrize("dtype", SMALL)
@pytest.mark.parametrize("expression", FACTORIES)
def test_factories(expression, dtype):
    check_same(_run(expression, dtype), rtol=0, atol=0)


@pytest.mark.parametrize("dtype", SMALL)
def test_random_draws_cover_the_dtypes_range(dtype):
    """random_() draws from [0, the dtype's largest], randint from any range within the
    dtype's, as torch's."""
    low, high = np.iinfo(dtype).min, np.iinfo(dtype).max
    draws = gradrpc.empty(4000, dtype=getattr(gradrpc, dtype)).random_().numpy()
    assert draws.dtype == np.dtype(dtype) and draws.min() >= 0 and draws.max() > high // 2
    for first in (low, high - 2):  # randint(low, high) reaches both ends of the dtype
        edge = gradrpc.randint(first, first + 3, (300,), dtype=getattr(gradrpc, dtype)).numpy()
        assert sorted(set(edge.tolist())) == [first, first + 1, first + 2]


def test_namespace_aliases():
    assert (gradrpc.int, gradrpc.short) == (gradrpc.int32, gradrpc.int16)
    for name in ("int", "short", "int32", "int16", "int8", "uint8"):
        assert repr(getattr(gradrpc, name)) == repr(getattr(torch, name))


INDEXED = "t.arange(6.0).reshape(2, 3)"
INDEXING = [
    "x[i]",
    "x[:, i]",
    "x[i, i]",
    "x.index_put((i,), t.tensor(9.0))",
    "x.index_put((i,), t.tensor(9.0), accumulate=True)",
    "x.gather(1, i.expand(2, 2))",
    "x.scatter(1, i.expand(2, 2), 1.0)",
    "x.scatter_add(1, i.expand(2, 2), t.ones(2, 2))",
    "x.index_select(1, i)",
    "x.index_add(1, i, t.ones(2, 2))",
    "x.index_fill(1, i, 1.0)",
    "x.index_copy(1, i, t.ones(2, 2))",
    "x.take(i)",
    "t.nn.functional.embedding(i, x.t())",
    "t.nn.functional.one_hot(i)",
    "t.nn.functional.nll_loss(x, i)",
    "t.nn.functional.cross_entropy(x, i)",
    "t.bincount(i)",
    "[10, 20, 30][i[1]]",
]


@pytest.mark.parametrize("dtype", SMALL)
@pytest.mark.parametrize("expression", INDEXING)
def test_indices(expression, dtype):
    def fn(t):
        scope = {"t": t, "x": eval(INDEXED, {"t": t}), "i": t.tensor([1, 0]).to(getattr(t, dtype))}
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # torch's deprecation of uint8 indices, as an error
            return eval(expression, scope)

    check_same(fn, rtol=0, atol=0)


def test_a_uint8_condition_is_read_as_its_truth_with_torchs_warning():
    def fn(t):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = t.where(t.tensor([1, 0, 7]).to(t.uint8), t.tensor([1.0, 2.0, 3.0]), -1.0)
        return out, [str(w.message) for w in caught]

    check_same(fn, rtol=0, atol=0)
