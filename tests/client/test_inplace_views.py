"""torch's in-place view ops (t_, transpose_, swapaxes_, swapdims_, squeeze_, unsqueeze_) and
detach_, against real torch: the tensor itself changes shape, takes the in-place grad_fn
(TBackward1, ...), its version moves, views of it see the change as torch's do, and gradients
flow through all of it."""

from __future__ import annotations

import pytest
from clientkit import check_error_at_line, check_raised_at_the_next_read, check_same, graph_of

OPS = {
    "t_": lambda x: x.t_(),
    "transpose_": lambda x: x.transpose_(0, 1),
    "transpose_ negative": lambda x: x.transpose_(-1, 0),
    "swapaxes_": lambda x: x.swapaxes_(1, 0),
    "swapdims_": lambda x: x.swapdims_(dim0=0, dim1=1),
    "squeeze_()": lambda x: x.squeeze_(),
    "squeeze_(dim)": lambda x: x.squeeze_(1),
    "squeeze_(dim=) not 1": lambda x: x.squeeze_(dim=0),
    "squeeze_(dims)": lambda x: x.squeeze_((1, 0)),
    "squeeze_([dims])": lambda x: x.squeeze_([-2]),
    "unsqueeze_": lambda x: x.unsqueeze_(-1),
    "unsqueeze_(dim=)": lambda x: x.unsqueeze_(dim=0),
}


def _matrix(lib, shape=(2, 1)):
    return lib.arange(float(shape[0] * shape[1])).reshape(shape) + 1


@pytest.mark.parametrize("op", OPS)
def test_the_tensor_itself_changes_with_the_in_place_grad_fn(session, op):
    def run(lib):
        a = _matrix(lib).requires_grad_()
        x = a * 2
        out = OPS[op](x)
        assert out is x
        weights = lib.arange(float(x.numel())).reshape(x.shape)
        (x * weights).sum().backward()
        return x, x.shape, x.stride(), x.is_contiguous(), graph_of(x.grad_fn), a.grad

    check_same(run)


@pytest.mark.parametrize("op", OPS)
def test_without_grad_the_values_and_metadata_follow(session, op):
    def run(lib):
        x = _matrix(lib, (2, 1))
        OPS[op](x)
        return x, x.shape, x.stride(), x.is_leaf, x.contiguous().view(-1)

    check_same(run)


def test_views_of_a_transposed_base_regenerate_and_write_through(session):
    def run(lib):
        a = lib.arange(6.0).reshape(2, 3).requires_grad_()
        b = a * 1
        row = b[1]
        b.t_()
        column = b[0]
        column.mul_(10)
        (b * lib.arange(6.0).reshape(3, 2)).sum().backward()
        return b, row, column, graph_of(b.grad_fn), graph_of(row.grad_fn), a.grad

    check_same(run)


def test_an_in_place_view_op_on_a_view_keeps_the_base(session):
    def run(lib):
        a = lib.arange(6.0).reshape(2, 3).requires_grad_()
        d = a * 1
        w = d[:, 1:]
        w.t_()
        w.mul_(3)
        w.unsqueeze_(0)
        (d.sum() + (w * w).sum()).backward()
        return d, w, w._base is d, graph_of(d.grad_fn), a.grad

    check_same(run)


def test_a_chain_of_in_place_view_ops_then_backward(session):
    def run(lib):
        a = lib.arange(6.0).reshape(2, 1, 3).requires_grad_()
        x = a * 3
        x.squeeze_(1).unsqueeze_(0).transpose_(0, 2).squeeze_()
        x.mul_(2)
        (x * x).sum().backward()
        return x, graph_of(x.grad_fn), a.grad

    check_same(run, rtol=1e-5)


def test_under_no_grad_a_leaf_that_requires_grad_may_change_shape(session):
    def run(lib):
        a = _matrix(lib, (2, 3)).requires_grad_()
        with lib.no_grad():
            a.t_()
        (a * a).sum().backward()
        return a, a.grad, a.is_leaf

    check_same(run)


def _saved_then_transposed(lib):
    a = _matrix(lib, (2, 3)).requires_grad_()
    d = a * 1
    e = d * d  # saves d
    d.t_()
    e.sum().backward()
    return a.grad.tolist()


def _result_saved_then_transposed(lib):
    a = _matrix(lib, (2, 3)).requires_grad_()
    d = a.exp()  # saves its result, d
    d.unsqueeze_(0).transpose_(0, 1)
    d.sum().backward()
    return a.grad.tolist()


@pytest.mark.parametrize("scenario", [_saved_then_transposed, _result_saved_then_transposed])
def test_the_version_moves(session, scenario):
    """A tensor saved for backward, then changed by an in-place view op, refuses the backward
    with torch's message, naming the tensor's new shape and grad_fn."""
    check_raised_at_the_next_read(scenario, "backward")


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib: _matrix(lib, (2, 3)).requires_grad_().t_(),
        lambda lib: _matrix(lib, (2, 3)).requires_grad_()[0].unsqueeze_(0),
        lambda lib: _matrix(lib, (2, 3)).requires_grad_().squeeze_(),
        lambda lib: lib.ones(2, 3, 4).t_(),
        lambda lib: (lib.ones(2, 3, 4, requires_grad=True) * 1).t_(),
        lambda lib: lib.ones(2, 3).transpose_(0, 3),
        lambda lib: lib.ones(2, 3).transpose_(0),
        lambda lib: lib.ones(2, 3).transpose_(0, 1, 2),
        lambda lib: lib.ones(2, 3).swapaxes_(0),
        lambda lib: lib.ones(2, 3).unsqueeze_(5),
        lambda lib: lib.ones(2, 3).unsqueeze_(),
        lambda lib: lib.ones(2, 3).squeeze_(5),
        lambda lib: lib.ones(2, 1).squeeze_((1, 1)),
    ],
)
def test_torch_errors(session, fn):
    check_error_at_line(fn)


def test_a_view_made_under_no_grad_refuses_it_while_recording(session):
    def fn(lib):
        b = lib.ones(2, 3, requires_grad=True) * 1
        with lib.no_grad():
            view = b[0]
        return view.unsqueeze_(0)

    check_error_at_line(fn)


def test_a_view_changed_under_no_grad_refuses_its_use_after(session):
    def fn(lib):
        b = lib.ones(2, 3, requires_grad=True) * 1
        with lib.no_grad():
            view = b[0]
            view.unsqueeze_(0)
        return view * 2

    check_error_at_line(fn)


def test_detach_in_place(session):
    def run(lib):
        a = _matrix(lib, (2, 3)).requires_grad_()
        e = a * 2
        view = e[0]
        out = e.detach_()
        f = a * 3
        a.detach_()
        return out is e, e, view, view._base is e, a, a.requires_grad, f, e.detach().detach_()

    check_same(run)


def test_a_saved_tensor_detached_in_place_refuses_the_backward(session):
    def scenario(lib):
        a = _matrix(lib, (2, 3)).requires_grad_()
        e = a * 2
        loss = (e * e).sum()
        e.detach_()
        loss.backward()
        return a.grad.tolist()

    check_raised_at_the_next_read(scenario, "backward")


def test_a_backward_through_a_tensor_detached_in_place_without_saving_it(session):
    def run(lib):
        a = _matrix(lib, (2, 3)).requires_grad_()
        e = a * 2
        loss = (e * 3).sum()
        e.detach_()
        loss.backward()
        return a.grad, e

    check_same(run)


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib: _matrix(lib, (2, 3)).requires_grad_()[0].detach_(),
        lambda lib: (_matrix(lib, (2, 3)).requires_grad_() * 1)[:, 1].detach_(),
        lambda lib: lib.zeros(3)[0:2].detach_(),
    ],
)
def test_detach_in_place_refuses_views(session, fn):
    check_error_at_line(fn)
