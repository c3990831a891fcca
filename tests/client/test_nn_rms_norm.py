"""nn.RMSNorm and nn.functional.rms_norm against torch 2.13: values and gradients in float32
and float64 with and without a weight, the graph torch composes on the CPU, eps=None as the
dtype's machine epsilon, the module's repr, parameters and state_dict, and torch's errors in
torch's order at the line."""

from __future__ import annotations

import subprocess
import sys
import warnings

import gradrpc
import numpy as np
import pytest
from clientkit import assert_trains_alike, check_error_at_line, check_same, graph_of, train_alike
from gradrpc.tensor import _WARNED

TOLERANCE = {"float32": {"rtol": 2e-5, "atol": 2e-6}, "float64": {"rtol": 1e-11, "atol": 1e-12}}
SHAPES = {  # input shape, normalized_shape
    "rows": ((4, 6), (6,)),
    "last two dims": ((2, 3, 4), (3, 4)),
    "all dims": ((3, 5), (3, 5)),
    "one vector": ((7,), (7,)),
    "no rows": ((0, 4), (4,)),
}


def _values(shape, seed, scale=2.0, shift=0.5):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * scale + shift).tolist()


@pytest.mark.parametrize("eps", [None, 1e-3])
@pytest.mark.parametrize("with_weight", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", SHAPES)
def test_rms_norm_values_gradients_and_graph_match_torch(case, dtype, with_weight, eps) -> None:
    shape, normalized = SHAPES[case]

    def scenario(T):
        kind = getattr(T, dtype)
        x = T.tensor(_values(shape, 0), dtype=kind, requires_grad=True)
        w = T.tensor(_values(normalized, 1, 1.0, 0.0), dtype=kind, requires_grad=True)
        y = T.nn.functional.rms_norm(x, normalized, w if with_weight else None, eps)
        y.backward(T.tensor(_values(shape, 3, 1.0, 0.0), dtype=kind))
        return y, graph_of(y.grad_fn), x.grad, w.grad

    check_same(scenario, **TOLERANCE[dtype])


def test_rms_norm_default_eps_is_the_machine_epsilon_of_the_dtype() -> None:
    """Tiny inputs make eps dominate: float32's and float64's epsilons give torch's values."""

    def scenario(T):
        x = T.tensor([[1e-5, -2e-5, 3e-6]], requires_grad=True)
        y = T.nn.functional.rms_norm(x, [3])
        z = T.nn.functional.rms_norm(x.double() * 1e-4, [3])
        (y.sum() + z.sum()).backward()
        return y, z, x.grad

    check_same(scenario, rtol=1e-6, atol=1e-9)


def test_rms_norm_weight_of_another_dtype_keeps_the_input_dtype() -> None:
    """A float64 weight on a float32 input: the product is cast back (ToCopyBackward0 on top);
    a float32 weight on a float64 input stays float64."""

    def scenario(T):
        x = T.tensor(_values((2, 3), 4), requires_grad=True)
        w = T.tensor(_values((3,), 5), dtype=T.float64, requires_grad=True)
        y = T.nn.functional.rms_norm(x, (3,), w)
        x64 = T.tensor(_values((2, 3), 6), dtype=T.float64, requires_grad=True)
        z = T.nn.functional.rms_norm(x64, (3,), w.float())
        (y.sum() + z.sum()).backward()
        return y, graph_of(y.grad_fn), z, graph_of(z.grad_fn), x.grad, w.grad, x64.grad

    check_same(scenario, rtol=2e-5, atol=2e-6)


def test_rms_norm_weight_of_another_dtype_warns_once_with_torchs_words() -> None:
    """torch warns once per process: its words are read from a fresh process."""
    script = (
        "import torch, warnings; warnings.simplefilter('always')\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    torch.nn.functional.rms_norm(torch.ones(2, 3), (3,), torch.ones(3).double())\n"
        "print(str(w[0].message))"
    )
    torch_words = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.strip()
    _WARNED.discard("rms_norm_dtypes")
    for expected in ([torch_words], []):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            gradrpc.nn.functional.rms_norm(gradrpc.ones(2, 3), (3,), gradrpc.ones(3).double())
        assert [str(w.message) for w in caught] == expected


def test_rms_norm_module_matches_torch() -> None:
    """The weight starts at ones; the repr, parameters and state_dict are torch's; forward
    and backward agree."""

    def scenario(T):
        m = T.nn.RMSNorm([3, 4], eps=1e-3)
        plain = T.nn.RMSNorm(4, elementwise_affine=False)
        double = T.nn.RMSNorm(4, dtype=T.float64)
        x = T.tensor(_values((2, 3, 4), 5), requires_grad=True)
        y = m(x) + plain(x)
        (y * T.tensor(_values((2, 3, 4), 6))).sum().backward()
        return (
            repr(m),
            repr(plain),
            repr(double),
            [name for name, _ in m.named_parameters()],
            list(m.state_dict()),
            list(plain.state_dict()),
            plain.weight,
            double.weight,
            m.weight,
            y,
            graph_of(y.grad_fn),
            x.grad,
            m.weight.grad,
        )

    check_same(scenario, **TOLERANCE["float32"])


def test_rms_norm_module_trains_like_torch() -> None:
    def build(nn):
        return nn.Sequential(nn.Linear(4, 6), nn.RMSNorm(6), nn.Linear(6, 1))

    def data(T):
        return T.tensor(_values((8, 4), 7)), T.tensor(_values((8, 1), 8))

    runs = train_alike(
        build,
        lambda T, params: T.optim.SGD(params, lr=0.05),
        lambda T: T.nn.MSELoss(),
        data,
    )
    assert_trains_alike(runs)


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.nn.functional.rms_norm([1.0], (4,)),
        lambda T: T.nn.functional.rms_norm(T.ones(2, 4), 4),
        lambda T: T.nn.functional.rms_norm(T.ones(2, 4), [4.0]),
        lambda T: T.nn.functional.rms_norm(T.ones(2, 4), (4,), 1.0),
        lambda T: T.nn.functional.rms_norm(T.ones(2, 4), (4,), eps="small"),
        lambda T: T.nn.functional.rms_norm(T.ones(2, 3), (), T.ones(5)),
        lambda T: T.nn.functional.rms_norm(T.ones(2, 3), (1, 2, 3), T.ones(5)),
        lambda T: T.nn.functional.rms_norm(T.ones(2, 3), (3,), T.ones(2)),
        lambda T: T.nn.functional.rms_norm(T.ones(2, 3), (2, 2, 3)),
        lambda T: T.nn.functional.rms_norm(T.tensor(2.0), (1,)),
        lambda T: T.nn.functional.rms_norm(T.ones(2, 3, 4), (5,)),
        lambda T: T.nn.functional.rms_norm(T.ones(2, 3, 4), (2, 4)),
        lambda T: T.nn.functional.rms_norm(T.ones(2, 3, dtype=T.int64), (3,)),
        lambda T: T.nn.functional.rms_norm(T.ones(2, 3, dtype=T.bool), (3,)),
        lambda T: T.nn.RMSNorm(3)(T.ones(2, 3, dtype=T.int64)),
    ],
    ids=[
        "input not a tensor",
        "int normalized_shape",
        "float in normalized_shape",
        "weight not a tensor",
        "eps not a float",
        "empty normalized_shape",
        "weight shape before input rank",
        "weight shape",
        "input rank",
        "scalar input",
        "trailing size",
        "trailing sizes",
        "int64 input",
        "bool input",
        "module on int64",
    ],
)
def test_rms_norm_errors_match_torch(call) -> None:
    check_error_at_line(call)
