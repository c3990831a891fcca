"""torch's aliases and small Tensor queries, against torch 2.13: absolute, negative, the
arc* names, fix and clip (functions, methods, in place), subtract_, the in-place
comparisons, positive, sum_to_size, the real-dtype identities (conj, resolve_conj, real,
H, mH, adjoint) and the dtype and device queries."""

from __future__ import annotations

import pytest
from clientkit import check_error_at_line, check_same, graph_of

ALIASES = {
    "absolute": "abs",
    "negative": "neg",
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
    "arcsinh": "asinh",
    "arccosh": "acosh",
    "arctanh": "atanh",
    "fix": "trunc",
}
DOMAIN = {"arccosh": [1.5, 2.0, 3.25], "arcsin": [0.5, -0.25, 0.75]}
DOMAIN |= {"arccos": DOMAIN["arcsin"], "arctanh": DOMAIN["arcsin"]}


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_unary_aliases_match_torch(alias: str) -> None:
    """The function, the method, the in-place method (with its node) and the gradient."""

    def scenario(T):
        x = T.tensor(DOMAIN.get(alias, [0.5, -2.25, 3.0]), requires_grad=True)
        out = getattr(T, alias)(x)
        out.sum().backward()
        y = x * 1
        getattr(y, f"{alias}_")()
        return [out, getattr(x, alias)(), graph_of(out.grad_fn), x.grad, y, graph_of(y.grad_fn)]

    check_same(scenario, rtol=1e-6, atol=0)


def test_clip_and_subtract_in_place_match_torch() -> None:
    def scenario(T):
        x = T.tensor([0.5, -2.25, 3.0])
        y = T.tensor([4.0, 5.0, 6.0])
        x.clip_(-1, 1)
        y.subtract_(T.tensor([1.0, 2.0, 3.0]), alpha=2)
        return [x, y, T.clip(y, max=1.5)]

    check_same(scenario, rtol=0, atol=0)


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge", "greater_equal", "less"])
def test_in_place_comparisons_match_torch(op: str) -> None:
    """self becomes the truth values in its own dtype; by a number, a tensor or a broadcast
    tensor."""

    def scenario(T):
        a = T.tensor([1.0, 2.0, 3.0, float("nan")])
        b = T.tensor([3, 2, 1, 0])
        c = T.tensor([[1.0, 5.0], [2.0, 0.0]])
        getattr(a, f"{op}_")(2)
        getattr(b, f"{op}_")(T.tensor([1, 2, 3, 4]))
        getattr(c, f"{op}_")(T.tensor([1.5, 1.0]))
        return [a, b, c]

    check_same(scenario, rtol=0, atol=0)


def test_an_in_place_comparison_of_a_tensor_that_requires_grad_has_a_zero_gradient() -> None:
    """torch records EqBackward0; gradrpc records self * 0 + the truth (AddBackward0): the
    values, requires_grad and the zero gradient are torch's, the node's name is not."""

    def scenario(T):
        a = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = a * 2
        y.eq_(4)
        (y * T.tensor([1.0, 2.0, 3.0])).sum().backward()
        return [y.detach(), y.requires_grad, y.is_leaf, a.grad]

    check_same(scenario, rtol=0, atol=0)


def test_positive_and_sum_to_size_match_torch() -> None:
    def scenario(T):
        x = T.arange(24.0).reshape(2, 3, 4).requires_grad_()
        sums = [x.sum_to_size(3, 1), x.sum_to_size((1, 3, 4)), x.sum_to_size(4), x.sum_to_size(1)]
        sums.append(x.sum_to_size(2, 3, 4))
        sum(s.sum() for s in sums).backward()
        graphs = [graph_of(s.grad_fn) for s in sums]
        return [*sums, *graphs, x.grad, T.positive(x) is x, x.positive() is x]

    check_same(scenario, rtol=0, atol=0)


def test_real_dtype_identities_match_torch() -> None:
    def scenario(T):
        m = T.arange(6.0).reshape(2, 3)
        b = T.arange(24.0).reshape(2, 3, 4)
        return [
            m.H,
            b.mH,
            b.adjoint(),
            T.adjoint(m),
            m.conj() is m,
            T.conj(m) is m,
            m.resolve_conj() is m,
            T.resolve_neg(m) is m,
            m.conj_physical() is m,
            T.conj_physical(m) is m,
            m.real is m,
            T.tensor(2.5).H,
        ]

    check_same(scenario, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "int8", "uint8", "bool"])
def test_queries_match_torch(dtype: str) -> None:
    def scenario(T):
        x = T.zeros(2, 3, dtype=getattr(T, dtype))
        return [
            x.is_signed(),
            T.is_signed(x),
            x.is_complex(),
            T.is_complex(x),
            x.is_conj(),
            x.is_neg(),
            T.is_conj(x),
            T.is_neg(x),
            x.is_inference(),
            T.is_inference(x),
            x.is_cpu,
            x.get_device(),
            x.itemsize,
            x.nbytes,
            x.is_same_size(T.ones(2, 3)),
            T.is_same_size(x, T.ones(3, 2)),
            T.ones(1, dtype=getattr(T, dtype)).is_nonzero(),
            T.is_nonzero(T.zeros((), dtype=getattr(T, dtype))),
        ]

    check_same(scenario, rtol=0, atol=0)


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.ones(2, 3, 4).H,
        lambda T: T.ones(3).mH,
        lambda T: T.ones(2).imag,
        lambda T: T.tensor([True]).positive(),
        lambda T: T.ones(2, 3).sum_to_size(2),
        lambda T: T.ones(2, 3).sum_to_size(1, 2, 3),
        lambda T: T.ones(2).is_nonzero(),
        lambda T: T.ones(0).is_nonzero(),
        lambda T: T.ones(2, requires_grad=True).arcsin_(),
        lambda T: T.tensor([1, 2]).eq_(1.5).lt_(T.ones(3)),
    ],
)
def test_errors_match_torch_at_the_line(call) -> None:
    check_error_at_line(call)
