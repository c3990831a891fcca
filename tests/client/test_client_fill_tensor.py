"""fill_ and masked_fill (and masked_fill_) with a 0-d tensor value, against torch: the
nodes they record (FillBackward3, MaskedFillBackward1, CopySlices through a view), the
value's gradient (the sum of the filled positions'), broadcasting, dtype conversion, and
torch's errors at the line or, for a value the tensor cannot hold, at the next read."""

from __future__ import annotations

import gradrpc
import pytest
import torch
from clientkit import check_error_at_line, check_same

CASES = {
    "masked_fill": lambda T, x, v, m: x.masked_fill(m, v),
    "a broadcast mask": lambda T, x, v, m: x.masked_fill(m[:, None].expand(2, 1) > 0, v),
    "masked_fill_ of a result": lambda T, x, v, m: (x * 2).masked_fill_(m, v * 3),
    "fill_ of a result": lambda T, x, v, m: (x + 1).fill_(v),
    "fill_ through a view": lambda T, x, v, m: _through_view(x, lambda y: y[:, 1].fill_(v)),
    "masked_fill_ through a view": lambda T, x, v, m: _through_view(
        x, lambda y: y[1].masked_fill_(m, v)
    ),
    "a float64 value": lambda T, x, v, m: x.masked_fill(m, v.double() / 3),
    "into float64": lambda T, x, v, m: x.double().masked_fill(m, v),
    "an int64 value": lambda T, x, v, m: x.masked_fill(m, T.tensor(7)),
    "into int64": lambda T, x, v, m: T.arange(3).masked_fill(m, v.detach() * 1.9),
    "fill_ into int64": lambda T, x, v, m: T.arange(3).fill_(T.tensor(-2.7)),
    "into bool": lambda T, x, v, m: T.zeros(3, dtype=T.bool).masked_fill(m, T.tensor(0.5)),
    "a value without grad": lambda T, x, v, m: x.masked_fill(m, v.detach()),
    "under no_grad": lambda T, x, v, m: _no_grad(T, lambda: x.detach().fill_(v)),
}


def _through_view(x, write):
    y = x * 1
    write(y)
    return y


def _no_grad(T, fn):
    with T.no_grad():
        return fn()


@pytest.mark.parametrize("name", CASES)
def test_fill_with_a_tensor_value_matches_torch(name):
    def scenario(T):
        x = T.tensor([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]], requires_grad=True)
        v = T.tensor(2.5, requires_grad=True)
        m = T.tensor([True, False, True])
        r = CASES[name](T, x, v, m)
        grads = None
        if r.requires_grad:
            (r * T.arange(1.0, 1.0 + r.numel()).reshape(r.shape)).sum().backward()
            grads = x.grad, v.grad
        fn = r.grad_fn
        return (
            r,
            grads,
            fn.name() if fn else None,
            [f[0] and f[0].name() for f in fn.next_functions] if fn else None,
        )

    check_same(scenario)


ERRORS = {
    "masked_fill with a 1-d value": lambda T: T.ones(3).masked_fill(
        T.tensor([True, False, True]), T.ones(1)
    ),
    "fill_ with a 1-d value": lambda T: T.ones(3).fill_(T.ones(2)),
    "an int64 tensor by a value with grad": lambda T: T.arange(3).masked_fill(
        T.tensor([True, False, True]), T.tensor(2.5, requires_grad=True)
    ),
    "a bool tensor by a value with grad": lambda T: T.zeros(2, dtype=T.bool).masked_fill(
        T.tensor([True, False]), T.tensor(1.5, requires_grad=True)
    ),
    "a leaf that requires grad": lambda T: T.ones(3, requires_grad=True).fill_(T.tensor(1.0)),
    "a mask that is not bool": lambda T: T.ones(3).masked_fill(T.ones(3), T.tensor(1.0)),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch_at_the_line(name):
    check_error_at_line(ERRORS[name])


@pytest.mark.parametrize("fill", ["fill_", "masked_fill_"])
def test_an_integer_tensor_filled_in_place_gets_no_history(fill):
    """The values are torch's, but no history: torch's in-place forms give an int64 tensor
    filled by a value that requires grad a grad_fn and requires_grad, which gradrpc's
    integer tensors never have (the out-of-place masked_fill is torch's error above)."""
    results = []
    for T in (torch, gradrpc):
        x = T.arange(3)
        v = T.tensor(2.5, requires_grad=True)
        args = (v,) if fill == "fill_" else (T.tensor([True, False, True]), v)
        getattr(x, fill)(*args)
        results.append((x.tolist(), x.requires_grad))
    assert results[1] == (results[0][0], False)
    assert results[0][1]  # torch's


@pytest.mark.parametrize(
    ("dtype", "value"), [("int64", 1e30), ("int64", float("inf")), ("float32", 1e300)]
)
def test_masked_fill_refuses_a_value_the_tensor_cannot_hold(dtype, value):
    """The value is known on the server only: torch's error comes at the next read, and the
    session stays usable. fill_ converts such a value as torch's fill_ does (no check)."""
    mask = [True, False, True]
    with pytest.raises(RuntimeError) as expected:
        torch.zeros(3, dtype=getattr(torch, dtype)).masked_fill(
            torch.tensor(mask), torch.tensor(value, dtype=torch.float64)
        )
    filled = gradrpc.zeros(3, dtype=getattr(gradrpc, dtype)).masked_fill(
        gradrpc.tensor(mask), gradrpc.tensor(value, dtype=gradrpc.float64)
    )
    with pytest.raises(RuntimeError) as raised:
        filled.tolist()
    assert str(raised.value).startswith(str(expected.value))
    fill = torch.zeros(3, dtype=getattr(torch, dtype)).fill_(
        torch.tensor(value, dtype=torch.float64)
    )
    ours = gradrpc.zeros(3, dtype=getattr(gradrpc, dtype)).fill_(
        gradrpc.tensor(value, dtype=gradrpc.float64)
    )
    assert ours.tolist() == fill.tolist()
