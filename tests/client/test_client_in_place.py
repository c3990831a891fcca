"""In-place ops on tensors with history, against torch: `y.add_(1)`, `y += b`, `y.relu_()`,
`y[idx] = v` give y the op's grad_fn (AddBackward0, ReluBackward0, IndexPutBackward0) and
the gradients torch computes; the saved original self, a saved result that is y itself,
versions that make earlier savers refuse a backward (naming y's grad_fn now), retained
gradients that follow y, a tensor without history taking one from its source, and
nn.ReLU(inplace=True) in a training loop; through a view, CopySlices on the base and
AsStridedBackward0 on the view and on the base's other views. Torch's refusals for leaves
and views of leaves at the line."""

from __future__ import annotations

import warnings

import gradrpc
import pytest
from clientkit import check_error_at_line, check_same, torch_error


def _chain(y):
    names, node = [], y.grad_fn
    while node is not None and node.name() != "torch::autograd::AccumulateGrad":
        names.append(node.name())
        node = node.next_functions[0][0]
    return names


IN_PLACE = {
    "add_ number": lambda T, x, b: (x * 2).add_(1),
    "add_ tensor that requires grad": lambda T, x, b: (x * 2).add_(b),
    "sub_ with alpha": lambda T, x, b: (x * 2).sub_(x, alpha=2),
    "mul_ by a tensor that requires grad (original self kept)": lambda T, x, b: (x * 2).mul_(b),
    "div_": lambda T, x, b: (x * 2).div_(4),
    "relu_": lambda T, x, b: (x - 1.5).relu_(),
    "two in a row": lambda T, x, b: (x * 2).add_(1).mul_(3),
    **{
        f"{op}_": lambda T, x, b, op=op: getattr(x * 0.5, f"{op}_")()
        for op in (
            "exp",
            "log",
            "sqrt",
            "abs",
            "neg",
            "sigmoid",
            "tanh",
            "reciprocal",
            "sin",
            "cos",
        )
    },
    "pow_ number": lambda T, x, b: (x * 2).pow_(3),
    "pow_ tensor that requires grad": lambda T, x, b: (x * 0.5).pow_(b),
    "clamp_": lambda T, x, b: (x * 2).clamp_(3, 5),
    "clamp_min_": lambda T, x, b: (x * 2).clamp_min_(3),
    "clamp_max_": lambda T, x, b: (x * 2).clamp_max_(3),
    "clamp_min_ tensor that requires grad": lambda T, x, b: (x * 2).clamp_min_(b * 3),
    "clamp_max_ tensor that requires grad": lambda T, x, b: (x * 2).clamp_max_(b * 3),
    "zero_ then add_": lambda T, x, b: (x * 2).zero_().add_(b),
    "fill_ then mul_": lambda T, x, b: (x * 2).fill_(1.5).mul_(b),
    "index assignment": lambda T, x, b: _assign(x * 2, [0, 2], b[:2]),
    "mask assignment": lambda T, x, b: _assign(x * 2, x * 2 > 3, 0.0),
}


def _assign(y, index, value):
    y[index] = value
    return y


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_records_torch_s_history(name):
    def scenario(T):
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = T.tensor([3.0, -1.0, 0.5], requires_grad=True)
        y = IN_PLACE[name](T, x, b)
        (y * y).sum().backward()
        return y, y.is_leaf, _chain(y), x.grad, b.grad

    check_same(scenario)


def test_augmented_assignment_records_history():
    def scenario(T):
        x = T.ones(3, requires_grad=True)
        y = x * 2
        y += 1
        y *= x
        y.sum().backward()
        return y, type(y.grad_fn).__name__, x.grad

    check_same(scenario)


def check_same_deferred_error(scenario):
    """torch raises at the line; gradrpc's server raises at the next wait (here a flush),
    with torch's type and message and a note naming the operation and its line."""
    expected = torch_error(scenario)
    with pytest.raises(type(expected)) as raised:
        scenario(gradrpc)
        gradrpc.default_session().flush()
    message, note = str(raised.value).split("\n")
    assert message == str(expected)
    assert note.startswith("(gradrpc: raised by 'backward' queued at ")


@pytest.mark.parametrize(
    "build",
    [
        lambda x: _saved_then_written(x * 2),  # z saved y: y is output 0 of Add now
        lambda x: x.exp().add_(1),  # exp saved its result, y
        lambda x: (x * 2).exp_().add_(1),  # exp_ saved y itself, at version 1
        lambda x: (lambda y: y.mul_(y))(x * 2),  # mul_'s other is y, which it changes
        lambda x: (x * 0.5).sigmoid_().tanh_(),  # sigmoid_ saved y, tanh_ changes it
    ],
)
def test_earlier_savers_refuse_a_backward_as_torch(build):
    def scenario(T):
        x = T.ones(3, requires_grad=True)
        build(x).sum().backward()

    check_same_deferred_error(scenario)


def _saved_then_written(y):
    z = y * y
    y.add_(1)
    return z


def test_a_retained_gradient_follows_the_tensor():
    def scenario(T):
        x = T.ones(3, requires_grad=True)
        y = x * 2
        y.retain_grad()
        y.add_(1)
        (y * y).sum().backward()
        return y.grad, x.grad

    check_same(scenario)


def test_a_tensor_without_history_takes_its_source_s():
    def scenario(T):
        w = T.ones(3, requires_grad=True)
        z = T.zeros(3)
        z.add_(w)
        z.mul_(w)
        z.sum().backward()
        y = T.zeros(3)
        y[[1]] = w[:1] * 5
        y.sum().backward()
        return z, z.is_leaf, z.requires_grad, _chain(z), y, w.grad

    check_same(scenario)


def test_a_dropped_view_does_not_stand_in_the_way():
    """The view's handle is released before the in-place op reaches the server, in the same
    batch: the server sees no view in use, as the client does."""

    def scenario(T):
        x = T.ones(3, requires_grad=True)
        y = x * 2
        v = y[1:]
        w = v * 3  # uses the view, in the same batch
        del v
        y.mul_(5)
        (y.sum() + w.sum()).backward()
        return y, w, x.grad

    check_same(scenario)


def test_mixed_dtypes_keep_the_original_self():
    def scenario(T):
        x = T.ones(3, requires_grad=True)
        b = T.tensor([1.0, 2.0, 3.0], dtype=T.float64, requires_grad=True)
        y = x * 2
        y.mul_(b)
        y.sum().backward()
        return y, x.grad, b.grad

    check_same(scenario)


def test_no_grad_writes_keep_the_history():
    def scenario(T):
        x = T.ones(3, requires_grad=True)
        y = x * 2
        with T.no_grad():
            y.add_(1)
            y[[0]] = 7
        y.sum().backward()
        return y, _chain(y), x.grad

    check_same(scenario)


def test_relu_inplace_trains_as_torch():
    def scenario(T):
        T.manual_seed(0)
        x = T.tensor([[0.5, -1.0, 2.0], [1.5, 0.2, -0.7]])
        target = T.tensor([[1.0], [-1.0]])
        model = T.nn.Sequential(
            T.nn.Linear(3, 4), T.nn.ReLU(inplace=True), T.nn.Linear(4, 1), T.nn.ReLU()
        )
        with T.no_grad():
            for p in model.parameters():
                p.copy_(T.arange(p.numel()).reshape(p.shape) * 0.3 - 1)
        optimizer = T.optim.SGD(model.parameters(), lr=0.1)
        losses = []
        for _ in range(5):
            out = model(x)
            loss = T.nn.functional.mse_loss(out, target)
            losses.append(loss.item())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return losses, _chain(out), [p for p in model.parameters()]

    check_same(scenario, rtol=1e-5)


ERRORS = {
    "leaf": lambda T: T.ones(3, requires_grad=True).add_(1),
    "view of a leaf": lambda T: T.ones(3, requires_grad=True)[1:].add_(1),
    "transposed view of a leaf": lambda T: T.ones(2, 3, requires_grad=True).t().mul_(2),
    "view of a leaf, zero_": lambda T: T.ones(3, requires_grad=True)[0].zero_(),
    "relu_ of a leaf": lambda T: T.ones(3, requires_grad=True).relu_(),
    "exp_ of an int64 tensor": lambda T: T.ones(3, dtype=T.int64).exp_(),
    "fill_ with a string": lambda T: T.ones(3).fill_("a"),
    "fill_ of a leaf": lambda T: T.ones(3, requires_grad=True).fill_(0),
    "zero_ of a view of a leaf": lambda T: T.ones(3, requires_grad=True)[1:].zero_(),
    "nan into int64": lambda T: T.ones(3, dtype=T.int64).fill_(float("nan")),
    "float into int64": lambda T: T.ones(3, dtype=T.int64).mul_(1.5),
    "a broadcast larger than self": lambda T: (T.ones(3, requires_grad=True) * 2).add_(
        T.ones(2, 3)
    ),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch_at_the_line(name):
    check_error_at_line(ERRORS[name])


def _next_names(node):
    return [None if n is None else n.name() for n, _ in node.next_functions]


THROUGH_VIEWS = {
    "add_ on a slice": lambda T, y, b: y[0:2].add_(b[:2]),
    "an int assigned": lambda T, y, b: y.__setitem__(0, 5.0),
    "a tensor that requires grad assigned": lambda T, y, b: y.__setitem__(slice(1, 3), b[1:]),
    "a view of a view": lambda T, y, b: y.unsqueeze(0)[0, 1:].exp_(),
    "index tensors through a view": lambda T, y, b: y[1:].__setitem__([0], b[:1] * 2),
}


@pytest.mark.parametrize("name", THROUGH_VIEWS)
def test_in_place_through_a_view_records_copy_slices(name):
    def scenario(T):
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = T.tensor([3.0, -1.0, 0.5], requires_grad=True)
        y = x * 2
        THROUGH_VIEWS[name](T, y, b)
        (y * y).sum().backward()
        return y, y.grad_fn.name(), _next_names(y.grad_fn), x.grad, b.grad

    check_same(scenario)


def test_the_written_view_gets_as_strided_backward():
    def scenario(T):
        x = T.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        y = x * 2
        v = y.t()[1]
        v.mul_(3)
        (v.sum() * 10 + y.sum()).backward()
        return v, v.grad_fn.name(), _next_names(v.grad_fn), y.grad_fn.name(), x.grad

    check_same(scenario)


def test_a_tensor_without_history_gets_one_through_a_view():
    def scenario(T):
        w = T.tensor([2.0, 3.0], requires_grad=True)
        z = T.zeros(2, 3)
        z[:, 1] = w
        z[0, 2:] = w[:1] * 4
        c = T.zeros(3)
        c.copy_(w[0] * 2)
        (z.sum() + (c * c).sum()).backward()
        return z, _next_names(z.grad_fn), c.grad_fn.name(), _next_names(c.grad_fn), w.grad

    check_same(scenario)


def test_other_views_take_their_part_of_the_new_history():
    """Views of a tensor an in-place op changes get an AsStridedBackward0 from its new
    grad_fn (torch regenerates theirs), so their gradients flow through the op."""

    def scenario(T):
        x = T.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        y = x * 2
        row, column = y[0], y.t()[2]
        y.mul_(3)
        names = [row.grad_fn.name(), _next_names(row.grad_fn)]
        y[1, :2] = 0
        names += [column.grad_fn.name(), _next_names(column.grad_fn)]
        ((row * row).sum() + column.sum() * 10).backward()
        return row, column, names, x.grad

    check_same(scenario)


def test_a_view_of_a_tensor_without_history_takes_one():
    def scenario(T):
        w = T.tensor([2.0], requires_grad=True)
        z = T.zeros(3)
        first = z[0]
        z[0:1] = w * 3
        first.backward()
        return first, first.requires_grad, w.grad

    check_same(scenario)


def test_fill_and_zero_without_history():
    def scenario(T):
        a = T.zeros(2, 3, dtype=T.int64).fill_(2.7)
        b = T.ones(3, dtype=T.bool).fill_(0)
        c = T.arange(6.0).reshape(2, 3)
        c.t()[1].zero_()
        w = T.ones(2, requires_grad=True)
        with T.no_grad():
            w.fill_(0.5)
        return a, b, c, w, w.is_leaf

    check_same(scenario)


def test_a_write_through_a_view_is_queued_under_the_user_s_op():
    """The name a failing operation is reported under ("raised by 'add_' queued at ...") is
    the user's in-place op, not the names of the nodes the client records for it."""
    with gradrpc.Session(gradrpc.default_session().address) as s:
        y = s.ones(2, 3, requires_grad=True) * 2
        y[1:].add_(1)
        y[:, 0] = s.zeros(2)
        names = [queued.name for queued in s._queue]
        assert "add_" in names and "copy_" in names
        assert not {"torch::autograd::CopySlices", "AsStridedBackward0"} & set(names)


EXPANDED_WRITES = {
    "masked_fill_ of one element": lambda T, e: e.masked_fill_(
        T.tensor([[False, True, False, False], [False] * 4, [False] * 4]), 7.0
    ),
    "masked_fill_ of a column": lambda T, e: e.masked_fill_(
        T.tensor([[False, False, True, False]] * 3), -1.0
    ),
    "index_put_ of one element": lambda T, e: e.index_put_(
        (T.tensor([1]), T.tensor([2])), T.tensor(9.0)
    ),
    "index assignment of a row": lambda T, e: e.__setitem__(T.tensor([0]), 3.0),
    "index assignment of nan": lambda T, e: e.__setitem__((0, 3), float("nan")),
}


@pytest.mark.parametrize("name", EXPANDED_WRITES)
def test_writes_into_an_expanded_tensor_reach_every_alias(name):
    """masked_fill_ and index_put_ may write an expanded tensor, whose rows share memory:
    what they write shows in every row and in the tensor expanded, as torch's kernels write
    only the elements they change (an unchanged alias written later would undo it)."""

    def scenario(T):
        base = T.tensor([[0.5, 1.5, 2.5, 3.5]])
        expanded = base.expand(3, 4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's deprecation of masked_fill_ there
            EXPANDED_WRITES[name](T, expanded)
        return base, expanded

    check_same(scenario)
