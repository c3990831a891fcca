"""median, nanmedian, mode, std_mean and var_mean against torch: values, the indices torch's
CPU kernels pick among ties and nans, the return types, the nodes (MedianBackward0 and 1,
NanmedianBackward0 and 1, ModeBackward0) with their gradients, and torch's errors."""

from __future__ import annotations

import warnings

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import check_error_at_line, check_raised_at_the_next_read, check_same, graph_of

NAN = float("nan")
ROWS = [[3.0, 1, 1, 2, 2, 5], [NAN, 1, 2, NAN, 0, 0], [4, 4, 4, 4, 4, 4], [NAN] * 6]

CASES = {
    "median of all": lambda T, x: x.median(),
    "median of all, a nan": lambda T, x: T.median(x),
    "nanmedian of all": lambda T, x: T.nanmedian(x),
    "median of a row": lambda T, x: x[0].median(),
    "median of all nans": lambda T, x: x[3].median(),
    "nanmedian of all nans": lambda T, x: x[3].nanmedian(),
    "median along dim 1": lambda T, x: T.median(x, 1),
    "median along dim 0, keepdim": lambda T, x: x.median(0, keepdim=True),
    "median dim=-1 by keyword": lambda T, x: T.median(x, dim=-1),
    "nanmedian along dim 1": lambda T, x: T.nanmedian(x, 1),
    "nanmedian along dim 0, keepdim": lambda T, x: x.nanmedian(0, True),
    "mode, default dim": lambda T, x: T.mode(x),
    "mode along dim 0, keepdim": lambda T, x: x.mode(0, keepdim=True),
    "mode of a row": lambda T, x: x[0].mode(),
    "median of a 0-d tensor": lambda T, x: x[0, 0].median(0),
    "mode of a 0-d tensor": lambda T, x: T.mode(x[0, 0]),
    "median of a 3-d view": lambda T, x: x[:3].reshape(3, 2, 3).transpose(0, 2).median(1),
    "nanmedian of a 3-d view": lambda T, x: x.reshape(4, 3, 2).nanmedian(0),
    "mode of a 3-d view": lambda T, x: x.reshape(2, 2, 6).mode(1, True),
    "median of float64": lambda T, x: x.double().median(1),
}


@pytest.mark.parametrize("name", CASES)
def test_matches_torch(name):
    def scenario(T):
        x = T.tensor(ROWS, requires_grad=True)
        r = CASES[name](T, x)
        values = r if isinstance(r, T.Tensor) else r.values
        weights = T.arange(1.0, 1.0 + values.numel()).reshape(values.shape)
        (values * weights).nansum().backward()
        kind = type(r).__name__, getattr(r, "_fields", None)
        return r, x.grad, kind, None if isinstance(r, T.Tensor) else repr(r)

    check_same(scenario)


INTEGER_CASES = {
    "median of int64": lambda T, x: (x.median(), x.median(1), x.nanmedian(0)),
    "mode of int64": lambda T, x: x.mode(0),
    "mode of bool": lambda T, x: (x > 2).mode(1, keepdim=True),
    "median of empty rows": lambda T, x: x[:0].median(1),
    "mode of empty rows": lambda T, x: x[:, :0].mode(0),
}


@pytest.mark.parametrize("name", INTEGER_CASES)
def test_integers_and_empty_match_torch(name):
    check_same(
        lambda T: INTEGER_CASES[name](T, T.tensor([[4, 1, 4, 2], [3, 3, 1, 1], [2, 9, 9, 2]]))
    )


def test_empty_median_of_all_matches_torch():
    check_same(lambda T: (T.ones(0).median(), T.ones(2, 0).nanmedian()))


@pytest.mark.parametrize("seed", range(6))
def test_indices_among_ties_match_torch(seed):
    """Many ties and nans: the indices are exactly torch's (rows of nans of every length)."""
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 4, (40, int(rng.integers(1, 70)))).astype(np.float64)
    if seed % 2:
        data[data == 3] = np.nan
    data[:3] = np.nan
    data[3, :] = 1.0

    def scenario(T):
        x = T.tensor(data.tolist(), dtype=T.float32)
        found = [
            x.median(1),
            x.nanmedian(1),
            x.median(0),
            x.nanmedian(0),
            x.median(),
            x.nanmedian(),
        ]
        return found + ([x.mode(1), x.mode(0)] if seed % 2 == 0 else [])

    check_same(scenario)


STATISTIC_MEAN = {
    "std_mean of all": lambda T, x: T.std_mean(x),
    "var_mean along a dim": lambda T, x: T.var_mean(x, 1),
    "std_mean, dims and keepdim": lambda T, x: T.std_mean(x, (0, 2), keepdim=True),
    "var_mean, correction 0": lambda T, x: T.var_mean(x, dim=-1, correction=0),
    "std_mean, unbiased False": lambda T, x: T.std_mean(x, 0, False),
    "var_mean, the unbiased overload": lambda T, x: T.var_mean(x, False),
    "std_mean keepdim of all": lambda T, x: T.std_mean(x, keepdim=True),
}


@pytest.mark.parametrize("name", STATISTIC_MEAN)
def test_statistic_and_mean_match_torch_but_for_the_node(name):
    """Values, shapes and gradients as torch's; torch records one StdMeanBackward0 or
    VarMeanBackward0 for both results, gradrpc a node for each (see the README), whose
    gradients, added, round differently in float32 where they nearly cancel."""

    def scenario(T):
        x = (T.arange(1.0, 25.0).reshape(2, 3, 4) ** 1.5).requires_grad_()
        statistic, mean = STATISTIC_MEAN[name](T, x)
        (statistic * 2 + mean * 3).sum().backward()
        values = [t.detach() for t in (statistic, mean)]
        return type((statistic, mean)).__name__, values, x.grad

    check_same(scenario, rtol=1e-5, atol=1e-4)
    x = gradrpc.ones(3, requires_grad=True)
    names = [t.grad_fn.name() for t in (*gradrpc.std_mean(x), *gradrpc.var_mean(x, 0))]
    assert names == ["StdBackward0", "MeanBackward0", "VarBackward0", "MeanBackward1"]


def test_statistic_mean_warns_as_torch_when_n_is_at_most_the_correction():
    def scenario(T):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = T.std_mean(T.ones(1))
        return [t.detach() for t in result], [str(w.message) for w in caught]

    check_same(scenario)


ERRORS = {
    "median of bool": lambda T: T.median(T.tensor([True, False])),
    "median of bool along a dim": lambda T: T.tensor([True, False]).median(0),
    "nanmedian of bool": lambda T: T.tensor([True]).nanmedian(),
    "median of an empty dim": lambda T: T.ones(2, 0).median(-1),
    "nanmedian of an empty dim": lambda T: T.nanmedian(T.ones(2, 0), 1),
    "mode of an empty dim": lambda T: T.ones(2, 0).mode(),
    "median dim out of range": lambda T: T.ones(2, 3).median(2),
    "mode dim out of range": lambda T: T.mode(T.ones(2, 3), -3),
    "median dim None": lambda T: T.ones(3).median(dim=None),
    "median dim a str": lambda T: T.median(T.ones(3), "a"),
    "median too many arguments": lambda T: T.median(T.ones(3), 0, True, 1),
    "std_mean of int64": lambda T: T.std_mean(T.ones(3, dtype=T.int64)),
    "var_mean of int64 along a dim": lambda T: T.var_mean(T.ones(3, dtype=T.int64), 0),
    "std_mean, unbiased and correction": lambda T: T.std_mean(T.ones(3), 0, True, correction=1),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch_at_the_line(name):
    check_error_at_line(ERRORS[name])


def test_return_types_print_as_torch():
    def scenario(T):
        x = T.tensor([[2.0, 1.0, 2.0], [0.0, 5.0, 5.0]])
        return [repr(r) for r in (x.median(1), x.nanmedian(0), x.mode(1))]

    check_same(scenario)
    assert torch.return_types.median.__name__ == gradrpc.return_types.median.__name__


QUANTILES = {
    "of all": lambda T, x, how: T.quantile(x, 0.3, interpolation=how),
    "of a row without nan": lambda T, x, how: x[2].quantile(0.37, interpolation=how),
    "a 1-d q along dim 1, keepdim": lambda T, x, how: x.quantile(
        T.tensor([0.25, 0.5, 1.0]), dim=1, keepdim=True, interpolation=how
    ),
    "nanquantile along dim 1": lambda T, x, how: x.nanquantile(0.4, 1, interpolation=how),
    "nanquantile of all, a 1-d q": lambda T, x, how: T.nanquantile(
        x, T.tensor([0.0, 0.1, 0.9]), interpolation=how
    ),
    "nanquantile along dim 0, keepdim": lambda T, x, how: T.nanquantile(
        x, 0.5, dim=0, keepdim=True, interpolation=how
    ),
    "keepdim of all": lambda T, x, how: x[2:].quantile(0.6, keepdim=True, interpolation=how),
    "float64 along dim -1": lambda T, x, how: x.double()[::2].quantile(0.55, -1, interpolation=how),
    "a 0-d input": lambda T, x, how: x[0, 0].quantile(0.5, interpolation=how),
}


@pytest.mark.parametrize("how", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("name", QUANTILES)
def test_quantile_matches_torch(name, how):
    def scenario(T):
        x = T.tensor([*ROWS[:2], [4.0, 6, 1, 0, 2, 9]], requires_grad=True)
        r = QUANTILES[name](T, x, how)
        (r * T.arange(1.0, 1.0 + r.numel()).reshape(r.shape)).nansum().backward()
        return r, x.grad

    check_same(scenario, rtol=1e-5, atol=1e-6)


def test_quantile_records_torch_graph_for_a_number_q():
    """sort, view, gather, lerp_ and squeeze_ as torch's composition records them; a 1-d q
    moves its dim first with out-of-place unsqueeze and transpose where torch's are in place
    (UnsqueezeBackward1, TransposeBackward1), under the same SqueezeBackward4."""

    def scenario(T):
        x = T.tensor([[3.0, 1, 2], [0, 5, 4]], requires_grad=True)
        return graph_of(T.quantile(x, 0.5, dim=0).grad_fn), graph_of(x.quantile(0.2).grad_fn)

    check_same(scenario)


QUANTILE_ERRORS = {
    "q above 1": lambda T: T.quantile(T.ones(3), 1.5),
    "q values outside [0, 1]": lambda T: T.nanquantile(T.ones(3), T.tensor([0.5, 2.0])),
    "q of another dtype": lambda T: T.ones(3).quantile(T.tensor([0.5], dtype=T.float64)),
    "an unknown interpolation": lambda T: T.quantile(T.ones(3), 0.5, interpolation="foo"),
    "an empty input": lambda T: T.nanquantile(T.ones(0), 0.5),
    "an int64 input": lambda T: T.quantile(T.ones(3, dtype=T.int64), 0.5),
    "a 2-d q": lambda T: T.ones(3).quantile(T.ones(2, 2)),
    "a dim out of range": lambda T: T.quantile(T.ones(2, 3), 0.5, dim=2),
}


@pytest.mark.parametrize("name", QUANTILE_ERRORS)
def test_quantile_errors_match_torch(name):
    check_same(QUANTILE_ERRORS[name])


HEAVISIDE = {
    "floats, a 0-d values": lambda T: T.heaviside(T.tensor([-1.0, 0, 2, NAN, -0.0]), T.tensor(0.5)),
    "broadcast": lambda T: T.tensor([[0.0], [3.0]]).heaviside(T.tensor([7.0, -1.0])),
    "int64": lambda T: T.heaviside(T.tensor([1, 0, -2]), T.tensor([7])),
    "bool": lambda T: T.heaviside(T.tensor([True, False]), T.tensor(True)),
    "in place": lambda T: T.tensor([0.0, -3.0]).heaviside_(T.tensor([4.0, 4.0])),
    "its NotImplemented node": lambda T: (
        T.heaviside(T.tensor([0.0, 2.0], requires_grad=True), T.tensor(0.5)).grad_fn
    ),
}


@pytest.mark.parametrize("name", HEAVISIDE)
def test_heaviside_matches_torch(name):
    check_same(HEAVISIDE[name])


def test_heaviside_backward_fails_as_torch_at_the_next_read():
    def backward(T):
        x = T.tensor([0.0, 2.0], requires_grad=True)
        T.heaviside(x, T.tensor(0.5)).sum().backward()
        return x.grad.tolist()

    check_raised_at_the_next_read(backward, "backward")


HEAVISIDE_ERRORS = {
    "different dtypes": lambda T: T.heaviside(T.tensor([1.0, 0]), T.tensor([7])),
    "a number values": lambda T: T.heaviside(T.tensor([1.0, 0]), 0.5),
    "a method's number values": lambda T: T.tensor([1.0, 0]).heaviside(0.5),
    "shapes that do not broadcast": lambda T: T.ones(2).heaviside(T.ones(3)),
}


@pytest.mark.parametrize("name", HEAVISIDE_ERRORS)
def test_heaviside_errors_match_torch_at_the_line(name):
    check_error_at_line(HEAVISIDE_ERRORS[name])


BINCOUNT = {
    "counts": lambda T: T.bincount(T.tensor([1, 1, 3])),
    "minlength": lambda T: T.tensor([0, 2]).bincount(None, 4),
    "minlength below the values": lambda T: T.bincount(T.tensor([1, 5, 5]), minlength=2),
    "float32 weights": lambda T: T.bincount(T.tensor([1, 1, 3]), T.tensor([0.1, 0.7, 2.0]), 6),
    "float64 weights": lambda T: T.tensor([2, 0, 2]).bincount(T.tensor([0.5, 1, 2]).double()),
    "int64 weights": lambda T: T.bincount(T.tensor([1, 1, 3]), T.tensor([1, 1, 2])),
    "bool weights": lambda T: T.bincount(T.tensor([1, 1, 3]), T.tensor([True, False, True])),
    "empty": lambda T: T.bincount(T.tensor([], dtype=T.int64)),
    "empty with weights": lambda T: T.bincount(
        T.tensor([], dtype=T.int64), T.tensor([]), minlength=3
    ),
    "weights that require grad": lambda T: T.bincount(
        T.tensor([1, 3]), T.tensor([1.0, 2], requires_grad=True)
    ),
    "many float32 weights, summed in order": lambda T: T.bincount(
        T.arange(1000) % 7, T.linspace(0.1, 3.3, 1000)
    ),
}


@pytest.mark.parametrize("name", BINCOUNT)
def test_bincount_matches_torch(name):
    check_same(BINCOUNT[name], rtol=0, atol=0)


BINCOUNT_ERRORS = {
    "a negative value": lambda T: T.bincount(T.tensor([-1, 2])),
    "floats": lambda T: T.bincount(T.tensor([1.0])),
    "bools": lambda T: T.tensor([True]).bincount(),
    "2-d": lambda T: T.bincount(T.tensor([[1]])),
    "a negative minlength": lambda T: T.bincount(T.tensor([1]), minlength=-1),
    "weights of another length": lambda T: T.bincount(T.tensor([1, 2]), T.tensor([1.0])),
}


@pytest.mark.parametrize("name", BINCOUNT_ERRORS)
def test_bincount_errors_match_torch_at_the_line(name):
    check_same(BINCOUNT_ERRORS[name])


def test_bincount_backward_fails_as_torch_at_the_next_read():
    def backward(T):
        weights = T.tensor([1.0, 2.0], requires_grad=True)
        T.bincount(T.tensor([1, 3]), weights).sum().backward()
        return weights.grad.tolist()

    check_raised_at_the_next_read(backward, "backward")


SEARCHES = {
    "searchsorted": lambda T, s, v: T.searchsorted(s, v),
    "right": lambda T, s, v: T.searchsorted(s, v, right=True),
    "side right": lambda T, s, v: T.searchsorted(s, v, side="right"),
    "side left": lambda T, s, v: T.searchsorted(s, v, side="left"),
    "a number": lambda T, s, v: (T.searchsorted(s, 5.0), T.searchsorted(s, 5, right=True)),
    "int64 boundaries, a float number": lambda T, s, v: T.searchsorted(s.long(), 2.5),
    "int64 values": lambda T, s, v: T.searchsorted(s, v.long()),
    "bool values": lambda T, s, v: T.searchsorted(s, v > 5),
    "per row": lambda T, s, v: T.searchsorted(T.stack([s, s * 2]), v),
    "nan boundaries and values": lambda T, s, v: T.searchsorted(
        T.tensor([[1.0, 3, 5], [2, 4, NAN]]), T.tensor([[3.0, NAN], [4, 9]])
    ),
    "nan, right": lambda T, s, v: T.searchsorted(
        T.tensor([[1.0, NAN, 5], [2, 4, NAN]]), T.tensor([[3.0, NAN], [4, 9]]), right=True
    ),
    "bucketize": lambda T, s, v: T.bucketize(v, s),
    "bucketize right, a number": lambda T, s, v: (
        T.bucketize(v, s, right=True),
        T.bucketize(5, s, right=True),
    ),
    "empty boundaries": lambda T, s, v: T.searchsorted(s[:0], v),
    "values that require grad": lambda T, s, v: T.searchsorted(s, v.requires_grad_()),
}


@pytest.mark.parametrize("name", SEARCHES)
def test_searchsorted_and_bucketize_match_torch(name):
    def scenario(T):
        boundaries = T.tensor([1.0, 3, 5, 5, 7, 9])[[0, 1, 2, 4, 5]]
        return SEARCHES[name](T, boundaries, T.tensor([[3.0, 6, 9, 0.5], [5, 5.5, 10, 1]]))

    check_same(scenario, rtol=0, atol=0)


def test_searchsorted_matches_torch_on_random_ties():
    rng = np.random.default_rng(0)
    boundaries = np.sort(rng.integers(0, 6, (3, 40)), axis=1).astype(np.float32)
    values = rng.integers(-1, 7, (3, 25)).astype(np.float32)

    def scenario(T):
        s, v = T.tensor(boundaries.tolist()), T.tensor(values.tolist())
        return [T.searchsorted(s, v, right=right) for right in (False, True)]

    check_same(scenario, rtol=0, atol=0)


SEARCH_ERRORS = {
    "an unknown side": lambda T: T.searchsorted(T.ones(3), T.ones(2), side="foo"),
    "opposite side and right": lambda T: T.searchsorted(
        T.ones(3), T.ones(2), right=True, side="left"
    ),
    "leading dims that differ": lambda T: T.searchsorted(T.ones(2, 3), T.ones(3, 2)),
    "a 0-d value for 2-d boundaries": lambda T: T.searchsorted(T.ones(2, 3), T.tensor(1.0)),
    "a number for 2-d boundaries": lambda T: T.searchsorted(T.ones(2, 3), 1.0),
    "0-d boundaries": lambda T: T.searchsorted(T.tensor(1.0), T.ones(2)),
    "bool boundaries and values": lambda T: T.searchsorted(
        T.tensor([True, False]), T.tensor([True])
    ),
    "a list of values": lambda T: T.searchsorted(T.ones(3), [1.0]),
    "a list of boundaries": lambda T: T.searchsorted([1.0], T.ones(3)),
    "bucketize, a list of boundaries": lambda T: T.bucketize(T.ones(3), [1.0]),
    "bucketize, 2-d boundaries": lambda T: T.bucketize(T.ones(3), T.ones(2, 2)),
    "bucketize, 0-d boundaries": lambda T: T.bucketize(T.ones(2), T.tensor(3.0)),
}


@pytest.mark.parametrize("name", SEARCH_ERRORS)
def test_search_errors_match_torch_at_the_line(name):
    check_error_at_line(SEARCH_ERRORS[name])


UNIQUE = {
    "unique": lambda T, x: T.unique(x),
    "inverse and counts": lambda T, x: T.unique(x, return_inverse=True, return_counts=True),
    "counts alone": lambda T, x: x.unique(return_counts=True),
    "inverse alone, not sorted": lambda T, x: x.unique(sorted=False, return_inverse=True),
    "0.0 before -0.0": lambda T, x: T.unique(x.flip(0), return_inverse=True),
    "2-d int64": lambda T, x: T.unique(
        T.tensor([[2, 1], [2, 1], [0, 5]]), return_inverse=True, return_counts=True
    ),
    "not sorted, int64": lambda T, x: T.unique(T.tensor([5, 3, 5, 1]), sorted=False),
    "bool": lambda T, x: T.unique(T.tensor([True, False, True]), return_counts=True),
    "0-d": lambda T, x: T.unique(T.tensor(3.0), return_inverse=True, return_counts=True),
    "empty": lambda T, x: T.unique(T.ones(0), return_inverse=True, return_counts=True),
    "consecutive": lambda T, x: T.unique_consecutive(x, return_inverse=True, return_counts=True),
    "consecutive int64": lambda T, x: T.tensor([1, 1, 2, 2, 3, 1, 1, 2]).unique_consecutive(),
    "consecutive counts": lambda T, x: x.reshape(2, 4).unique_consecutive(return_counts=True),
}


@pytest.mark.parametrize("name", UNIQUE)
def test_unique_matches_torch(name):
    def scenario(T):
        x = T.tensor([3.0, 1, NAN, 1, -0.0, 0.0, NAN, 2], requires_grad=True)
        return UNIQUE[name](T, x)

    check_same(scenario, rtol=0, atol=0)


@pytest.mark.parametrize("function", ["unique", "unique_consecutive"])
def test_unique_backward_fails_as_torch_at_the_next_read(function):
    def backward(T):
        x = T.tensor([3.0, 1.0], requires_grad=True)
        getattr(T, function)(x).sum().backward()
        return x.grad.tolist()

    check_raised_at_the_next_read(backward, "backward")


CDIST = {
    "p=2": lambda T, a, b: T.cdist(a, b),
    "p=1": lambda T, a, b: T.cdist(a, b, p=1),
    "p=0": lambda T, a, b: T.cdist(a, b, 0),
    "p=inf": lambda T, a, b: T.cdist(a, b, float("inf")),
    "p=3": lambda T, a, b: T.cdist(a, b, p=3.0),
    "p=1.5": lambda T, a, b: T.cdist(a, b, p=1.5),
    "p=0.5": lambda T, a, b: T.cdist(a, b, p=0.5),
    "a zero distance": lambda T, a, b: T.cdist(a, T.cat([b, a[:1]])),
    "batched": lambda T, a, b: T.cdist(a.reshape(2, 2, 3), b[:4].reshape(2, 2, 3), p=1.0),
    "broadcast batch": lambda T, a, b: T.cdist(a.reshape(2, 2, 3), b, p=2.0),
    "float64": lambda T, a, b: T.cdist(a.double(), b.double(), 2.5),
    "never the mm path": lambda T, a, b: T.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist"),
}


@pytest.mark.parametrize("name", CDIST)
def test_cdist_matches_torch(name):
    rng = np.random.default_rng(3)
    left, right = rng.normal(size=(4, 3)).tolist(), rng.normal(size=(5, 3)).tolist()

    def scenario(T):
        a, b = T.tensor(left, requires_grad=True), T.tensor(right, requires_grad=True)
        r = CDIST[name](T, a, b)
        (r * T.arange(1.0, 1.0 + r.numel()).reshape(r.shape)).sum().backward()
        return r, a.grad, b.grad

    check_same(scenario, rtol=1e-5, atol=1e-5)


MATRIX_PRODUCT_PATH = {
    "more than 25 rows": lambda T, a, b: T.cdist(a, b),
    "more than 25 rows of x2": lambda T, a, b: T.cdist(b[:3], a),
    "asked for": lambda T, a, b: T.cdist(b, b[:4], compute_mode="use_mm_for_euclid_dist"),
    "batched, broadcast": lambda T, a, b: T.cdist(a.reshape(2, 15, 3), b),
    "one batch": lambda T, a, b: T.cdist(a.unsqueeze(0), b),
    "refused": lambda T, a, b: T.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist"),
    "p=1 never": lambda T, a, b: T.cdist(a, b, p=1),
}


@pytest.mark.parametrize("name", MATRIX_PRODUCT_PATH)
def test_cdist_takes_torch_matrix_product_path_where_torch_does(name):
    """p = 2 with more than 25 rows (or compute_mode's say): EuclideanDistBackward0 under a
    view, torch's values within rounding, its gradients and graph."""

    def scenario(T):
        a = T.linspace(-1, 1, 90).reshape(30, 3).requires_grad_()
        b = (T.linspace(0, 2, 21).reshape(7, 3) ** 2).requires_grad_()
        r = MATRIX_PRODUCT_PATH[name](T, a, b)
        (r * r.detach()).sum().backward()
        return r, a.grad, b.grad, graph_of(r.grad_fn)

    check_same(scenario, rtol=1e-4, atol=1e-4)


CDIST_ERRORS = {
    "1-d": lambda T: T.cdist(T.ones(3), T.ones(2, 3)),
    "columns": lambda T: T.cdist(T.ones(2, 4), T.ones(2, 3), p=-1),
    "int64": lambda T: T.cdist(T.ones(2, 3, dtype=T.int64), T.ones(2, 3), p=-1),
    "int64 x2": lambda T: T.cdist(T.ones(2, 3), T.ones(2, 3, dtype=T.int64)),
    "negative p": lambda T: T.cdist(T.ones(2, 3), T.ones(2, 3), p=-1),
    "dtypes": lambda T: T.cdist(T.ones(2, 3), T.ones(2, 3, dtype=T.float64), p=1),
    "batches": lambda T: T.cdist(T.ones(2, 3, 4), T.ones(3, 5, 4)),
    "compute_mode": lambda T: T.cdist(T.ones(2, 3), T.ones(2, 3), compute_mode="x"),
    "int64, many rows": lambda T: T.cdist(T.ones(30, 3, dtype=T.int64), T.ones(2, 3)),
    "columns, many rows": lambda T: T.cdist(T.ones(30, 3), T.ones(2, 4)),
    "dtypes, many rows": lambda T: T.cdist(T.ones(30, 3), T.ones(2, 3, dtype=T.float64)),
    "dtypes, many rows of x2": lambda T: T.cdist(T.ones(2, 3).double(), T.ones(26, 3)),
    "a list x1": lambda T: T.cdist([1.0], T.ones(2, 2)),
    "a list x2": lambda T: T.cdist(T.ones(2, 2), [1.0]),
}


@pytest.mark.parametrize("name", CDIST_ERRORS)
def test_cdist_errors_match_torch_at_the_line(name):
    check_error_at_line(CDIST_ERRORS[name])


HISTC = {
    "a given range": lambda T, x: T.histc(x, bins=4, min=0, max=4),
    "the data's range": lambda T, x: T.histc(x, 4),
    "equal bounds take the data's": lambda T, x: x.histc(5, 3, 3),
    "one value": lambda T, x: T.histc(T.tensor([2.0, 2.0]), 3),
    "one value, given": lambda T, x: T.histc(T.tensor([1.0]), 2, 1, 1),
    "elements outside": lambda T, x: x.histc(5, 1, 3),
    "the right edge": lambda T, x: T.histc(T.tensor([0.0, 1, 2, 3]), 3, 0, 3),
    "float64 rounding": lambda T, x: T.histc(T.tensor([0.1, 0.2, 0.3]).double(), 3, 0.1, 0.3),
    "float32 rounding": lambda T, x: T.histc(T.linspace(0, 1, 101), 7, 0.1, 0.9),
    "nan left out": lambda T, x: T.histc(T.tensor([1.0, NAN]), 2, 0, 3),
    "empty": lambda T, x: T.histc(T.ones(0), 3),
    "2-d, default bins": lambda T, x: T.histc(x.reshape(1, 7).expand(2, 7)),
}


@pytest.mark.parametrize("name", HISTC)
def test_histc_matches_torch(name):
    check_same(
        lambda T: HISTC[name](T, T.tensor([1.0, 2, 1, 4, 2.5, 0.5, 7], requires_grad=True)),
        rtol=0,
        atol=0,
    )


HISTC_ERRORS = {
    "no bins": lambda T: T.histc(T.ones(3), 0, 3, 1),
    "int64": lambda T: T.histc(T.tensor([1, 2]), 3),
    "bins before the dtype": lambda T: T.histc(T.ones(3, dtype=T.int64), -1),
    "min above max": lambda T: T.histc(T.ones(3), 3, 3, 1),
    "an infinite max": lambda T: T.ones(3).histc(3, 0, float("inf")),
    "a nan max": lambda T: T.histc(T.ones(3), 3, 0.1, NAN),
}


@pytest.mark.parametrize("name", HISTC_ERRORS)
def test_histc_errors_match_torch_at_the_line(name):
    check_error_at_line(HISTC_ERRORS[name])


def test_histc_of_infinite_data_fails_as_torch_at_the_next_read():
    check_raised_at_the_next_read(
        lambda T: T.histc(T.tensor([1.0, float("inf")]), 3).tolist(), "histc"
    )
