"""addmv, addr, baddbmm, addbmm (and their in-place forms, addmm_), vdot, chain_matmul, dist,
renorm, cov and corrcoef against torch: values, dtypes, broadcasting, grad_fn names,
gradients, and torch's errors with its wording."""

from __future__ import annotations

import numpy as np
import pytest
from clientkit import check_same

RNG = np.random.default_rng(7)


def values(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def with_grads(T, name, arrays, grads, **kwargs):
    """T.name(*arrays, **kwargs) on leaves (those `grads` marks require grad): the result,
    then each leaf's gradient of (result * weights).sum()."""
    leaves = [T.tensor(a, requires_grad=g) for a, g in zip(arrays, grads, strict=True)]
    out = getattr(T, name)(*leaves, **kwargs)
    if out.requires_grad:
        weights = T.arange(1.0, 1.0 + out.numel(), dtype=out.dtype).reshape(out.shape)
        (out * weights).sum().backward()
    return out, [leaf.grad for leaf in leaves]


PRODUCT_CASES = [
    ("addmv", [(3,), (3, 4), (4,)]),
    ("addmv", [(1,), (3, 4), (4,)]),
    ("addmv", [(), (3, 4), (4,)]),
    ("addr", [(3, 4), (3,), (4,)]),
    ("addr", [(4,), (3,), (4,)]),
    ("addr", [(3, 1), (3,), (4,)]),
    ("baddbmm", [(2, 3, 5), (2, 3, 4), (2, 4, 5)]),
    ("baddbmm", [(5,), (2, 3, 4), (2, 4, 5)]),
    ("baddbmm", [(1, 3, 1), (2, 3, 4), (2, 4, 5)]),
    ("addbmm", [(3, 5), (2, 3, 4), (2, 4, 5)]),
    ("addbmm", [(5,), (2, 3, 4), (2, 4, 5)]),
    ("addbmm", [(3, 5), (0, 3, 4), (0, 4, 5)]),
    ("addmm", [(3, 5), (3, 4), (4, 5)]),
]


@pytest.mark.parametrize(("name", "shapes"), PRODUCT_CASES, ids=str)
@pytest.mark.parametrize("scales", [{}, {"beta": 0.5, "alpha": -2.0}, {"beta": 0}], ids=str)
@pytest.mark.parametrize("grads", [(True, True, True), (False, True, False)], ids=str)
def test_products_match_torch(name, shapes, scales, grads):
    arrays = [values(*s) for s in shapes]
    check_same(lambda T: with_grads(T, name, arrays, grads, **scales), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["addmv", "addr", "baddbmm", "addbmm"])
def test_products_in_float64_and_int64(name):
    shapes = dict(PRODUCT_CASES)[name]
    for dtype in (np.float64, np.int64):
        arrays = [(values(*s) * 3).astype(dtype) for s in shapes]
        check_same(lambda T, a=arrays: getattr(T, name)(*map(T.tensor, a), beta=2, alpha=3))


def test_beta_zero_ignores_nan_input_and_gives_it_a_zero_gradient():
    a, b = values(3), values(4)

    def run(T):
        x = T.full((3, 4), float("nan"), requires_grad=True)
        out = T.addr(x, T.tensor(a), T.tensor(b), beta=0)
        out.sum().backward()
        return out, x.grad

    check_same(run, rtol=1e-5, atol=1e-6)


def test_addr_promotes_and_takes_bool():
    a, b = values(3), values(4)
    check_same(lambda T: T.addr(T.ones(3, 4, dtype=T.float64), T.tensor(a), T.tensor(b)))
    check_same(lambda T: T.addr(T.ones(3, 4, dtype=T.int64), T.tensor(a > 0), T.tensor(b)))
    check_same(
        lambda T: T.addr(T.zeros(3, 4, dtype=T.bool), T.tensor(a > 0), T.tensor(b > 0), beta=2)
    )


def test_methods_and_in_place_forms():
    shapes = [(3, 5), (3, 4), (4, 5), (2, 3, 4), (2, 4, 5), (2, 3, 5), (3,), (5,), (4,), (3,)]
    arrays = [values(*s) for s in shapes]

    def run(T):
        x, m1, m2, b1, b2, y, v, u, c, w = (T.tensor(a) for a in arrays)
        x.addmm_(m1, m2, beta=0.5)
        x.addbmm_(b1, b2, alpha=2)
        x.addr_(v, u)
        y.baddbmm_(b1, b2)
        v.addmv_(m1, c)
        T.addmv_(w, m1, c, alpha=3)
        return x, y, v, w, x.addr(v, u, alpha=2), y.baddbmm(b1, b2)

    check_same(run, rtol=1e-5, atol=1e-5)


def test_in_place_records_the_product_node():
    arrays = values(3, 5), values(3, 4), values(4, 5)

    def run(T):
        leaf = T.tensor(arrays[0], requires_grad=True)
        m1 = T.tensor(arrays[1], requires_grad=True)
        x = leaf * 1
        x.addmm_(m1, T.tensor(arrays[2]), beta=2)
        x.sum().backward()
        return x, leaf.grad, m1.grad

    check_same(run, rtol=1e-5, atol=1e-5)


F, D, L, B = "float32", "float64", "int64", "bool"


def t(T, *shape, dtype=F):
    return T.ones(*shape, dtype=getattr(T, dtype))


PRODUCT_ERRORS = [
    lambda T: T.addmv(t(T, 3), t(T, 3, 4), t(T, 5)),
    lambda T: T.addmv(t(T, 2), t(T, 3, 4), t(T, 4)),
    lambda T: T.addmv(t(T, 3), t(T, 3, 4, 1), t(T, 4)),
    lambda T: T.addmv(t(T, 3, 1), t(T, 3, 4), t(T, 4)),
    lambda T: T.addmv(t(T, 3, dtype=D), t(T, 3, 4), t(T, 4)),
    lambda T: T.addmv(t(T, 3), t(T, 3, 4), t(T, 4, dtype=D)),
    lambda T: T.addmv(t(T, 3, dtype=B), t(T, 3, 4, dtype=B), t(T, 4, dtype=B)),
    lambda T: T.addmv(t(T, 3), [1.0], t(T, 4)),
    lambda T: T.addr(t(T, 3, 4), t(T, 3, 1), t(T, 4)),
    lambda T: T.addr(t(T, 3, 4), t(T, 3), t(T, 4, 1)),
    lambda T: T.addr(t(T, 2, 4), t(T, 3), t(T, 4)),
    lambda T: T.addr(t(T, 3, 4, dtype=L), t(T, 3, dtype=L), t(T, 4, dtype=L), beta=2.5),
    lambda T: T.addr(t(T, 3, 4, dtype=L), t(T, 3, dtype=L), t(T, 4, dtype=L), alpha=0.5),
    lambda T: T.baddbmm(t(T, 2, 3, 5), t(T, 2, 3, 4), t(T, 3, 4, 5)),
    lambda T: T.baddbmm(t(T, 2, 3, 5), t(T, 2, 3, 4), t(T, 2, 3, 5)),
    lambda T: T.baddbmm(t(T, 2, 3, 5), t(T, 3, 4), t(T, 2, 4, 5)),
    lambda T: T.baddbmm(t(T, 2, 3, 5), t(T, 2, 3, 4), t(T, 4, 5)),
    lambda T: T.baddbmm(t(T, 2, 3, 5, dtype=D), t(T, 2, 3, 4), t(T, 2, 4, 5)),
    lambda T: T.baddbmm(t(T, 2, 3, 5), t(T, 2, 3, 4), t(T, 2, 4, 5, dtype=D)),
    lambda T: T.baddbmm(t(T, 3, 3, 5), t(T, 2, 3, 4), t(T, 2, 4, 5)),
    lambda T: T.baddbmm(t(T, 2, 3, 5, dtype=B), t(T, 2, 3, 4, dtype=B), t(T, 2, 4, 5, dtype=B)),
    lambda T: T.addbmm(t(T, 4, 5), t(T, 2, 3, 4), t(T, 2, 4, 5)),
    lambda T: T.addbmm(t(T, 3, 5), t(T, 2, 3, 4), t(T, 3, 4, 5)),
    lambda T: T.addbmm(t(T, 3, 5), t(T, 2, 3, 4), t(T, 2, 3, 5)),
    lambda T: T.addbmm(t(T, 3, 5), t(T, 2, 3, 4), t(T, 2, 4)),
    lambda T: T.addbmm(t(T, 3, 5, dtype=D), t(T, 2, 3, 4), t(T, 2, 4, 5)),
    lambda T: T.addbmm(t(T, 3, 5), t(T, 2, 3, 4, dtype=D), t(T, 2, 4, 5)),
    lambda T: T.addbmm(t(T, 3, 5, dtype=B), t(T, 2, 3, 4, dtype=B), t(T, 2, 4, 5, dtype=B)),
    lambda T: t(T, 5).addmm_(t(T, 3, 4), t(T, 4, 5)),
    lambda T: t(T, 1).addmv_(t(T, 3, 4), t(T, 4)),
    lambda T: t(T, 1, 5).addr_(t(T, 3), t(T, 5)),
    lambda T: t(T, 3, 5, dtype=L).addr_(t(T, 3), t(T, 5)),
    lambda T: t(T, 5).baddbmm_(t(T, 2, 3, 4), t(T, 2, 4, 5)),
]


@pytest.mark.parametrize("call", PRODUCT_ERRORS, ids=lambda c: str(PRODUCT_ERRORS.index(c)))
def test_product_errors_match_torch(call):
    check_same(call)


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, float("inf")])
def test_dist_matches_torch_with_its_gradients(p):
    a, b = values(3, 4), values(4)
    check_same(lambda T: with_grads(T, "dist", [a, b], (True, True), p=p), rtol=1e-5, atol=1e-5)


def test_dist_of_order_zero_counts_and_gives_no_gradient():
    a, b = values(3, 4), values(3, 4)
    b[0] = a[0]

    def run(T):
        leaf = T.tensor(a, requires_grad=True)
        out = T.dist(leaf, T.tensor(b), 0)
        out.backward()
        return out, leaf.grad

    check_same(run)


def test_vdot_matches_torch():
    a, b = values(5), values(5)
    check_same(lambda T: with_grads(T, "vdot", [a, b], (True, True)), rtol=1e-5, atol=1e-6)
    check_same(lambda T: T.vdot(T.tensor([1, 2]), T.tensor([3, 4])))


@pytest.mark.parametrize(("p", "dim", "maxnorm"), [(2, 0, 1.0), (1, 1, 2.0), (3, -1, 0.5)])
def test_renorm_matches_torch_with_its_gradients(p, dim, maxnorm):
    x = values(3, 4, 2) * 2

    def run(T):
        out, grads = with_grads(T, "renorm", [x], (True,), p=p, dim=dim, maxnorm=maxnorm)
        y = T.tensor(x)
        return out, grads, y.renorm_(p, dim, maxnorm), y.renorm(p, dim, 100.0)

    check_same(run, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"correction": 0},
        {"correction": 2},
        {"fweights": np.array([1, 2, 0, 3, 1])},
        {"aweights": np.array([0.5, 1.0, 2.0, 0.1, 1.0], np.float32)},
        {
            "fweights": np.array([1, 2, 1, 3, 1]),
            "aweights": np.array([0.5, 1.0, 2.0, 0.1, 1.0], np.float32),
        },
    ],
    ids=str,
)
def test_cov_and_corrcoef_match_torch(kwargs):
    x = values(3, 5)

    def run(T):
        leaf = T.tensor(x, requires_grad=True)
        weights = {k: T.tensor(v) for k, v in kwargs.items() if k != "correction"}
        c = T.cov(leaf, correction=kwargs.get("correction", 1), **weights)
        r = T.corrcoef(leaf)
        (c.sum() + r.sum()).backward()
        return c, r, leaf.grad, leaf.cov(), T.cov(T.tensor(x[0])), T.corrcoef(T.tensor(x[0]))

    check_same(run, rtol=1e-5, atol=1e-5)


def test_cov_of_integers_and_too_few_observations():
    check_same(lambda T: T.cov(T.tensor([[1, 2, 4], [3, 1, 0]])))
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        check_same(lambda T: T.cov(T.tensor([[1.0], [2.0]])))


def test_chain_matmul_matches_torch():
    arrays = values(2, 3), values(3, 4), values(4, 5)

    def run(T):
        leaves = [T.tensor(a, requires_grad=True) for a in arrays]
        out = T.chain_matmul(*leaves)
        out.sum().backward()
        return out, [leaf.grad for leaf in leaves], T.chain_matmul(T.tensor(arrays[0]))

    with pytest.warns(UserWarning, match="chain_matmul is deprecated"):
        check_same(run, rtol=1e-5, atol=1e-5)


MISC_ERRORS = [
    lambda T: T.vdot(t(T, 3), t(T, 4)),
    lambda T: T.vdot(t(T, 3, 1), t(T, 3)),
    lambda T: T.vdot(t(T, 3), t(T, 3, dtype=D)),
    lambda T: T.dist(t(T, 3, dtype=L), t(T, 3, dtype=L)),
    lambda T: T.dist(t(T, 3), t(T, 4)),
    lambda T: T.renorm(t(T, 3, 4), 2, 2, 1.0),
    lambda T: T.renorm(t(T, 3, 4), -1, 0, 1.0),
    lambda T: T.renorm(t(T, 3, 4), 2, 0, -1.0),
    lambda T: T.renorm(t(T, 3), 2, 0, 1.0),
    lambda T: T.renorm(t(T, 3, 4, dtype=L), 2, 0, 1.0),
    lambda T: T.cov(t(T, 2, 3, 4)),
    lambda T: T.cov(t(T, 2, 4), fweights=t(T, 4)),
    lambda T: T.cov(t(T, 2, 4), fweights=T.tensor([1, -2, 3, 4])),
    lambda T: T.cov(t(T, 2, 4), aweights=T.tensor([1, -2, 3, 4.0])),
    lambda T: T.cov(t(T, 2, 4), aweights=t(T, 3)),
    lambda T: T.cov(t(T, 2, 4), aweights=t(T, 1, 4)),
    lambda T: T.cov(t(T, 2, 4), aweights=T.zeros(4)),
    lambda T: T.chain_matmul(),
    lambda T: T.chain_matmul(t(T, 2, 3), t(T, 3)),
]


@pytest.mark.parametrize("call", MISC_ERRORS, ids=lambda c: str(MISC_ERRORS.index(c)))
@pytest.mark.filterwarnings("ignore:torch.chain_matmul is deprecated")
def test_errors_match_torch(call):
    check_same(call)
