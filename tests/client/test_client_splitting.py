"""split, split_with_sizes, chunk, tensor_split, hsplit, vsplit and dsplit against torch (the
pieces' values, shapes, grad_fn names and gradients; torch's errors at the line), and torch's
rules for views that are not ordinary: the pieces of split, chunk and unbind, and views made
under no_grad, refuse in-place writes while recording and their use once their storage was
written to; a view made under no_grad requires grad as its base does, without an edge."""

from __future__ import annotations

import gradrpc
import pytest
import torch
from clientkit import check_error_at_line, check_same, no_rpc

PIECES = {
    "split int": lambda T, y: y.split(2),
    "split int, dim 1": lambda T, y: y.split(3, dim=1),
    "split larger than the dim": lambda T, y: y.split(9),
    "split list": lambda T, y: y.split([1, 4]),
    "split tuple, keyword": lambda T, y: y.split(split_size=(2, 0, 3)),
    "split a 1-element tensor": lambda T, y: y.split(T.tensor(2)),
    "torch.split": lambda T, y: T.split(y, 2, dim=-1),
    "torch.split list": lambda T, y: T.split(y, [3, 1], 1),
    "split_with_sizes": lambda T, y: y.split_with_sizes([2, 3]),
    "torch.split_with_sizes": lambda T, y: T.split_with_sizes(y, [4, 1], 0),
    "chunk": lambda T, y: y.chunk(2),
    "chunk more than fit": lambda T, y: y.chunk(4),
    "chunk, keywords": lambda T, y: y.chunk(chunks=3, dim=1),
    "torch.chunk": lambda T, y: T.chunk(y, 10, 0),
    "chunk an empty dim": lambda T, y: y[:0].chunk(3),
    "tensor_split sections": lambda T, y: y.tensor_split(3),
    "tensor_split indices": lambda T, y: T.tensor_split(y, [1, 4, 2, 9]),
    "tensor_split negative index": lambda T, y: y.tensor_split([-2], dim=0),
    "tensor_split keyword sections": lambda T, y: y.tensor_split(sections=2, dim=1),
    "tensor_split keyword indices": lambda T, y: y.tensor_split(indices=[1], dim=1),
    "tensor_split a 0-d tensor": lambda T, y: y.tensor_split(T.tensor(2)),
    "tensor_split a 1-d tensor": lambda T, y: y.tensor_split(T.tensor([1, 3])),
    "hsplit": lambda T, y: y.hsplit(2),
    "hsplit indices": lambda T, y: T.hsplit(y, [1, 2]),
    "hsplit 1-d": lambda T, y: y.reshape(-1).hsplit(4),
    "vsplit": lambda T, y: T.vsplit(y[:4], 2),
    "dsplit": lambda T, y: y.reshape(5, 2, 2).dsplit([1]),
    "unbind": lambda T, y: y.unbind(1),
}


@pytest.mark.parametrize("name", PIECES)
def test_pieces_match_torch(name):
    """Values, shapes, grad_fn names and the gradient of a weighted sum of every piece."""

    def scenario(T):
        x = T.arange(20.0).reshape(5, 4).requires_grad_()
        pieces = PIECES[name](T, x * 1)
        total = sum(((p * (i + 1)).sum() for i, p in enumerate(pieces)), T.tensor(0.0))
        total.backward()
        return (
            list(pieces),
            [p.grad_fn.name() for p in pieces],
            [p.grad_fn.next_functions[0][0].name() for p in pieces],
            [tuple(p.shape) for p in pieces],
            x.grad,
        )

    check_same(scenario)


def test_pieces_of_a_leaf_and_without_grad_match_torch():
    def scenario(T):
        w = T.arange(6.0, requires_grad=True)
        a, b = w.split(3)
        (a * b).sum().backward()
        plain = T.arange(5).chunk(2)
        return a, b, a.grad_fn.name(), w.grad, list(plain), [p.requires_grad for p in plain]

    check_same(scenario)


def test_a_split_queues_one_operation_per_piece_and_reads_nothing(session):
    x = gradrpc.ones(6, 2, requires_grad=True) * 1
    session.flush()
    with no_rpc():
        pieces = x.split(2)
        chunks = x.chunk(3, 1)
        slices = x.tensor_split(4)
    assert (len(pieces), len(chunks), len(slices)) == (3, 2, 4)


ERRORS = [
    lambda T: T.ones(5, 2).split(0),
    lambda T: T.ones(5, 2).split(-1),
    lambda T: T.ones(5, 2).split([1, 2]),
    lambda T: T.ones(5, 2).split([6, -1]),
    lambda T: T.ones(5, 2).split(1, dim=2),
    lambda T: T.ones(5, 2).split(1.5),
    lambda T: T.ones(5, 2).split("a"),
    lambda T: T.ones(5, 2).split([1.0, 4.0]),
    lambda T: T.ones(5, 2).split(True),
    lambda T: T.tensor(1.0).split(1),
    lambda T: T.ones(5, 2).split_with_sizes(2),
    lambda T: T.ones(5, 2).chunk(0),
    lambda T: T.ones(5, 2).chunk(-1),
    lambda T: T.ones(5, 2).chunk(2.0),
    lambda T: T.tensor(1.0).chunk(2),
    lambda T: T.ones(5, 2).tensor_split(0),
    lambda T: T.ones(5, 2).tensor_split(1.5),
    lambda T: T.ones(5, 2).tensor_split(2, dim=5),
    lambda T: T.tensor(1.0).tensor_split(1),
    lambda T: T.ones(5, 4).hsplit(3),
    lambda T: T.ones(5, 4).hsplit(0),
    lambda T: T.ones(5, 4).hsplit(1.5),
    lambda T: T.tensor(1.0).hsplit(1),
    lambda T: T.ones(4).vsplit(2),
    lambda T: T.ones(5, 4).vsplit(2),
    lambda T: T.ones(5, 4).dsplit(2),
]


@pytest.mark.parametrize("call", ERRORS, ids=range(len(ERRORS)))
def test_errors_match_torch_at_the_line(call):
    check_error_at_line(call)


def test_index_tensor_errors_match_torch():
    check_same(lambda T: T.ones(5, 2).tensor_split(T.tensor([1.0])))
    check_same(lambda T: T.ones(5, 2).tensor_split(T.tensor([[1]])))


# ---------------------------------------------------------------- views that refuse writes

REFUSED_WRITES = {
    "add_ to a split piece": lambda T: _y(T).split(2)[1].add_(1),
    "mul_ to an unbind piece": lambda T: _y(T).unbind(0)[2].mul_(2),
    "zero_ a chunk": lambda T: _y(T).chunk(2)[0].zero_(),
    "copy_ into a split_with_sizes piece": lambda T: _y(T).split([1, 4])[1].copy_(T.zeros(4, 2)),
    "assign into a piece": lambda T: _y(T).split(2)[0].__setitem__(0, 5.0),
    "add_ to a view of a piece": lambda T: _y(T).split(2)[0].view(-1).add_(1),
    "a piece of a leaf": lambda T: T.ones(4, requires_grad=True).split(2)[1].add_(1),
    "a piece of a tensor without grad, a value with": lambda T: (
        T.ones(4).split(2)[0].add_(T.ones(2, requires_grad=True))
    ),
    "a view made under no_grad": lambda T: _made_without_grad(T, lambda y: y[:2]).add_(1),
    "a view of a leaf made under no_grad": lambda T: _made_without_grad(
        T, lambda y: y.detach().requires_grad_()[0]
    ).mul_(2),
    "a view of one made under no_grad": lambda T: _made_without_grad(T, lambda y: y[1:])[0].add_(1),
    "pieces made under no_grad": lambda T: _made_without_grad(T, lambda y: y.split(2))[0].add_(1),
}


def _y(T):
    return T.arange(10.0).reshape(5, 2).requires_grad_() * 1


def _made_without_grad(T, make):
    """make(y), or make() given no y, under no_grad."""
    y = _y(T) if make.__code__.co_argcount else None
    with T.no_grad():
        return make(y) if y is not None else make()


@pytest.mark.parametrize("name", REFUSED_WRITES)
def test_in_place_writes_are_refused_as_torch_refuses_them(name):
    """torch's message, at the line; the session stays usable."""
    check_error_at_line(REFUSED_WRITES[name])
    assert (gradrpc.ones(2) * 3).sum().item() == 6.0


USE_AFTER_WRITE = {
    "a piece written under no_grad": lambda T, y, s: _made_without_grad(T, lambda: s[0].add_(1)),
    "a piece, after another": lambda T, y, s: _made_without_grad(T, lambda: s[1].zero_()),
    "a piece, after its base's op with history": lambda T, y, s: y.mul_(2),
    "a piece, after its base's copy_ under no_grad": lambda T, y, s: _made_without_grad(
        T, lambda: y.copy_(T.ones(5, 2))
    ),
}


@pytest.mark.parametrize("name", USE_AFTER_WRITE)
def test_pieces_refuse_use_once_their_storage_was_written(name):
    """torch's error when the piece's grad_fn is read or it is used, at the line; printed,
    its grad_fn is "Invalid"; other tensors go on working."""

    def scenario(T):
        x = T.arange(10.0).reshape(5, 2).requires_grad_()
        y = x * 1
        s = y.split(2)
        USE_AFTER_WRITE[name](T, y, s)
        return s, y

    for library in (torch, gradrpc):
        pieces, _ = scenario(library)
        assert repr(pieces[0]).endswith("grad_fn=<Invalid>)")
    check_error_at_line(lambda T: scenario(T)[0][0].grad_fn)
    check_error_at_line(lambda T: scenario(T)[0][0] * 2)
    check_error_at_line(lambda T: scenario(T)[0][0].sum())

    def survivors(T):
        s, y = scenario(T)
        (y * 3).sum().backward()  # the base is fine
        with T.no_grad():
            piece = s[0] * 2  # and so is the piece, without recording
        return piece, y.grad_fn.name()

    check_same(survivors)


def test_a_view_made_under_no_grad_requires_grad_without_an_edge():
    """It requires grad as its base does and is a leaf without grad_fn; an op on it records
    a node whose edge for it is None, and backward through that node reaches nothing."""

    def scenario(T):
        x = T.ones(4, requires_grad=True)
        y = x * 2
        with T.no_grad():
            v, u = y[:2], x[1:]
        w = v * u[:2]
        w.sum().backward()
        return (
            v,
            u,
            (v.requires_grad, u.requires_grad, v.is_leaf, v.grad_fn, u.grad_fn),
            w,
            [f[0] and f[0].name() for f in w.grad_fn.next_functions],
            x.grad,
        )

    check_same(scenario)


def test_writes_under_no_grad_to_pieces_and_no_grad_views_are_allowed():
    def scenario(T):
        x = T.arange(6.0, requires_grad=True)
        y = x * 1
        with T.no_grad():
            y.split(2)[0].add_(10)
            y[4:].mul_(3)
            x.split(3)[1].zero_()
        return y.detach(), x.detach()

    check_same(scenario)


def test_a_view_made_under_no_grad_of_a_parameter_refuses_use_after_an_optimizer_step():
    """The step writes the parameter on the server: the client cannot see it, so torch's
    error surfaces at the next read, naming the line; the session stays usable."""
    w = gradrpc.ones(4, requires_grad=True)
    with gradrpc.no_grad():
        view = w[:2]
    (w * 2).sum().backward()
    gradrpc.optim.SGD([w], lr=0.1).step()
    y = view * 3
    with pytest.raises(RuntimeError) as caught:
        y.sum().item()
    expected = (
        "A view was created in no_grad mode and its base or another view of its base has been "
        "modified inplace with grad mode enabled."
    )
    assert str(caught.value).startswith(expected)
    assert caught.value.reason == "IN_PLACE_ON_VIEW"
    assert (gradrpc.ones(2) * 3).sum().item() == 6.0
