"""prod, narrow, movedim / moveaxis / swapaxes / swapdims, tile and repeat_interleave (the
methods and the torch.<name> functions) through the client, against torch 2.13: values,
dtypes, grad_fn names, whole graphs, gradients (prod's with zeros), and torch's errors at the
line."""

from __future__ import annotations

import pytest
from clientkit import check_error_at_line, check_same, graph_of


def test_prod_matches_torch() -> None:
    """Full (ProdBackward0) and along a dim (ProdBackward1), keepdim, dtype, a 0-d dim
    argument, torch.prod; without zeros, with one zero and with two in a row."""

    def scenario(T):
        x = T.tensor([[1.5, -2.0, 0.5, 3.0], [0.25, 4.0, -1.0, 2.0], [1.0, 2.0, 3.0, 0.5]])
        x.requires_grad_()
        results = [
            x.prod(),
            x.prod(1),
            x.prod(0, keepdim=True),
            T.prod(x, -1, True),
            x.prod(dim=T.tensor(0)),
            x.prod(dtype=T.float64),
            T.prod(x, 1, dtype=T.float64),
        ]
        sum(r.sum() * (i + 1) for i, r in enumerate(results)).backward()
        return results, [r.grad_fn.name() for r in results], x.grad

    check_same(scenario, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "rows",
    [
        [[2.0, 0.0, 3.0], [4.0, 5.0, 6.0]],  # one zero
        [[0.0, 2.0, 0.0], [4.0, 5.0, 6.0]],  # two zeros in one row
        [[0.0, 2.0, 3.0], [4.0, 0.0, 6.0]],  # one zero in each row
        [[0.0]],
    ],
)
def test_prod_gradient_with_zeros_matches_torch(rows) -> None:
    """torch's prod_backward: a lone zero gets the product of the others, the rest 0; two
    zeros give 0 everywhere (full) or in their row."""

    def scenario(T):
        x = T.tensor(rows, dtype=T.float64, requires_grad=True)
        y = T.tensor(rows, requires_grad=True)
        (x.prod() * 3).backward()
        (y.prod(1) * T.tensor([2.0, -1.0])[: len(rows)]).sum().backward()
        return x.grad, y.grad

    check_same(scenario, rtol=0, atol=0)


def test_prod_dtypes_match_torch() -> None:
    """Integers and bools give int64 (the product wrapping as int64's), dtype casts first;
    a 0-d tensor and an empty dim."""

    def scenario(T):
        ints = T.tensor([[3, -4], [5, 6]])
        return (
            ints.prod(),
            ints.prod(0),
            T.tensor([True, False]).prod(),
            T.tensor([[True, True], [False, True]]).prod(1),
            T.tensor([1.5, 2.5]).prod(dtype=T.int64),
            T.tensor([2, 3]).prod(0, dtype=T.float32),
            T.tensor([1.5, 2.0]).prod(dtype=T.bool),
            T.tensor(2**40).prod() * T.tensor(2**40).prod(),
            T.tensor(3.0, requires_grad=True).prod(0),
            T.ones(0, 3).prod(0),
            T.ones(0).prod(),
        )

    check_same(scenario, rtol=0, atol=0)


def test_narrow_matches_torch() -> None:
    """A view (SliceBackward0) for each dim, a negative start and dim, a 0-d start tensor,
    keywords, torch.narrow, an empty slice; writes through it reach the base."""

    def scenario(T):
        x = T.arange(24.0).reshape(2, 3, 4).requires_grad_()
        results = [
            x.narrow(2, 1, 2),
            x.narrow(-1, -3, 3),
            T.narrow(x, 0, T.tensor(1), 1),
            x.narrow(dim=1, start=0, length=2).narrow(0, 1, 1),
            x.narrow(2, 4, 0),
        ]
        sum(r.sum() * (i + 1) for i, r in enumerate(results)).backward()
        base = T.zeros(3, 4)
        base.narrow(1, 1, 2).fill_(7.0)
        return results, [graph_of(r.grad_fn) for r in results], x.grad, base

    check_same(scenario, rtol=0, atol=0)


def test_movedim_and_swapaxes_match_torch() -> None:
    """movedim / moveaxis with ints and sequences (PermuteBackward0, a 0-d tensor's
    AliasBackward0), swapaxes / swapdims as transpose (TransposeBackward0)."""

    def scenario(T):
        x = (T.arange(24.0).reshape(2, 3, 4) / 7).requires_grad_()
        results = [
            x.movedim(0, 2),
            x.movedim((0, 1), (2, 0)),
            T.movedim(x, [-1], [0]),
            x.moveaxis(source=1, destination=-1),
            T.moveaxis(x, 0, 0),
            x.swapaxes(0, 2),
            T.swapaxes(x, 1, 2),
            x.swapdims(dim0=0, dim1=1),
            T.swapdims(x, 1, 1),
        ]
        sum(r.sum() * (i + 1) for i, r in enumerate(results)).backward()
        scalar = T.tensor(2.0, requires_grad=True)
        moved = scalar.movedim(0, -1)
        return (
            results,
            [graph_of(r.grad_fn) for r in results],
            x.grad,
            [r.is_contiguous() for r in results],
            graph_of(moved.grad_fn),
            T.ones(3).movedim(0, 0),
        )

    check_same(scenario, rtol=0, atol=0)


def test_tile_and_repeat_interleave_match_torch() -> None:
    """tile pads dims with leading 1s (RepeatBackward0); repeat_interleave with an int, as
    torch's unsqueeze, expand, clone, view graph, flattened without a dim; with a tensor of
    counts as index_select; torch.repeat_interleave(counts)."""

    def scenario(T):
        x = T.arange(12.0).reshape(2, 3, 2).requires_grad_()
        results = [
            x.tile((2,)),
            x.tile(2, 1),
            T.tile(x, (1, 2, 1, 1)),
            x.repeat_interleave(2, dim=1),
            x.repeat_interleave(3),
            T.repeat_interleave(x, 2, -1, output_size=12),
            x.repeat_interleave(T.tensor([1, 0, 2]), dim=1),
            x.repeat_interleave(T.tensor([2]), dim=0),
            x.transpose(0, 2).repeat_interleave(2),
            T.tensor(5.0).repeat_interleave(2),
            x.repeat_interleave(0, dim=2),
        ]
        sum(r.sum() * (i + 1) for i, r in enumerate(results)).backward()
        return (
            results,
            [graph_of(r.grad_fn) for r in results],
            x.grad,
            T.repeat_interleave(T.tensor([2, 0, 1])),
            T.tensor([1, 2]).repeat_interleave(2),
        )

    check_same(scenario, rtol=0, atol=0)


def test_errors_after_reading_a_tensor_match_torch() -> None:
    """Negative counts, and a start tensor out of range, once their values are read."""
    check_same(lambda T: T.ones(3).repeat_interleave(T.tensor([1, -1, 2])))
    check_same(lambda T: T.ones(2, 3).narrow(1, T.tensor(5), 0))


ERRORS = {
    "prod: a tuple of dims": lambda T: T.ones(2, 3).prod((0, 1)),
    "prod: dim None": lambda T: T.ones(2, 3).prod(dim=None),
    "prod: keepdim without dim": lambda T: T.ones(2, 3).prod(keepdim=True),
    "prod: a float dim": lambda T: T.ones(2, 3).prod(1.5),
    "prod: an int keepdim": lambda T: T.ones(2, 3).prod(1, 1),
    "prod: keepdim None": lambda T: T.ones(2, 3).prod(0, keepdim=None),
    "prod: three positional": lambda T: T.ones(2, 3).prod(0, True, T.float64),
    "prod: an unknown keyword": lambda T: T.ones(2, 3).prod(0, foo=1),
    "prod: a str dtype": lambda T: T.ones(2, 3).prod(0, dtype="a"),
    "prod: an int dtype, no dim": lambda T: T.ones(2, 3).prod(dtype=1),
    "prod: dim out of range": lambda T: T.ones(2, 3).prod(2),
    "torch.prod: a tuple": lambda T: T.prod(T.ones(2, 3), (0, 1)),
    "torch.prod: keepdim only": lambda T: T.prod(T.ones(2, 3), keepdim=True),
    "torch.prod: an int keepdim": lambda T: T.prod(T.ones(2, 3), 1, 1),
    "torch.prod: four positional": lambda T: T.prod(T.ones(2, 3), 0, True, T.float64),
    "prod: an int64 result with grad": lambda T: T.ones(2, requires_grad=True).prod(dtype=T.int64),
    "prod: a bool result with grad": lambda T: T.ones(2, requires_grad=True).prod(0, dtype=T.bool),
    "narrow: start past the end": lambda T: T.ones(2, 3).narrow(1, 4, 0),
    "narrow: start before the start": lambda T: T.ones(2, 4).narrow(1, -5, 1),
    "narrow: too long": lambda T: T.ones(2, 4).narrow(1, 2, 3),
    "narrow: negative start too long": lambda T: T.ones(2, 4).narrow(1, -1, 2),
    "narrow: negative length": lambda T: T.ones(2, 4).narrow(1, 0, -1),
    "narrow: dim out of range": lambda T: T.ones(2, 4).narrow(2, 0, 1),
    "narrow: 0-d": lambda T: T.tensor(1.0).narrow(0, 0, 1),
    "narrow: a float start": lambda T: T.ones(2, 4).narrow(1, 1.0, 1),
    "torch.narrow: a float start": lambda T: T.narrow(T.ones(2, 4), 1, 1.0, 1),
    "narrow: a float start tensor": lambda T: T.ones(2, 4).narrow(1, T.tensor(1.0), 1),
    "narrow: a 1-d start tensor": lambda T: T.ones(2, 4).narrow(1, T.tensor([1]), 1),
    "narrow: missing length": lambda T: T.ones(2, 3).narrow(1, 0),
    "movedim: one argument": lambda T: T.ones(2, 3).movedim(0),
    "moveaxis: one argument": lambda T: T.ones(2, 3).moveaxis(0),
    "torch.movedim: one argument": lambda T: T.movedim(T.ones(2, 3), 0),
    "movedim: out of range": lambda T: T.ones(2, 3).movedim(0, 2),
    "movedim: repeated source": lambda T: T.ones(2, 3, 4).movedim((0, -3), (1, 2)),
    "movedim: repeated destination": lambda T: T.ones(2, 3, 4).movedim((0, 1), (1, -2)),
    "movedim: lengths differ": lambda T: T.ones(2, 3, 4).movedim((0, 1), (1,)),
    "swapaxes: out of range": lambda T: T.ones(2, 3).swapaxes(0, 2),
    "tile: a negative count": lambda T: T.ones(2, 3).tile(-1),
    "tile: no dims": lambda T: T.ones(2, 3).tile(),
    "repeat_interleave: a negative int": lambda T: T.ones(2, 3).repeat_interleave(-1),
    "repeat_interleave: dim out of range": lambda T: T.ones(2, 3).repeat_interleave(2, dim=2),
    "repeat_interleave: a float": lambda T: T.ones(2, 3).repeat_interleave(2.0),
    "repeat_interleave: a wrong output_size": lambda T: T.ones(2, 3).repeat_interleave(
        2, dim=1, output_size=5
    ),
    "repeat_interleave: 2-d counts": lambda T: T.ones(2, 3).repeat_interleave(
        T.tensor([[1, 2, 0]]), dim=1
    ),
    "repeat_interleave: float counts": lambda T: T.ones(2, 3).repeat_interleave(
        T.tensor([1.0, 2.0, 0.0]), dim=1
    ),
    "repeat_interleave: counts of another size": lambda T: T.ones(2, 3).repeat_interleave(
        T.tensor([1, 2]), dim=1
    ),
    "torch.repeat_interleave: 2-d counts alone": lambda T: T.repeat_interleave(T.tensor([[1, 2]])),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_torch_at_the_line(name: str) -> None:
    check_error_at_line(ERRORS[name])
