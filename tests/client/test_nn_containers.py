"""nn.ModuleDict, nn.ParameterList, nn.ParameterDict, nn.Unflatten and Tensor.unflatten
against torch 2.13: contents, order, registration (named_parameters, state_dict), reprs,
tensors becoming Parameters, torch's errors at the line, and a model built from them that
trains as torch's does."""

from __future__ import annotations

from collections import OrderedDict

import gradrpc
import numpy as np
import pytest
import torch
from clientkit import assert_trains_alike, check_error_at_line, check_same, graph_of, train_alike


def _names(module) -> dict:
    """What registration shows: named parameters (name, dtype, shape), state_dict keys."""
    return {
        "parameters": [(n, str(p.dtype), tuple(p.shape)) for n, p in module.named_parameters()],
        "state_dict": list(module.state_dict()),
        "children": [n for n, _ in module.named_children()],
    }


def test_module_dict_matches_torch() -> None:
    def scenario(T):
        nn = T.nn
        d = nn.ModuleDict({"b": nn.Linear(2, 3), "a": nn.ReLU()})
        d["c"] = nn.Tanh()
        d.update([("d", nn.Sigmoid()), ("a", nn.Identity())])
        d.update(OrderedDict(e=nn.Flatten()))
        before = (repr(d), list(d), list(d.keys()), [repr(v) for v in d.values()], len(d))
        popped = repr(d.pop("c"))
        del d["d"]
        after = (repr(d), "c" in d, "b" in d, [k for k, _ in d.items()], _names(d))
        d.clear()
        return before, popped, after, repr(d), len(d), repr(nn.ModuleDict())

    check_same(scenario)


def test_parameter_list_matches_torch() -> None:
    def scenario(T):
        nn = T.nn
        ps = nn.ParameterList([nn.Parameter(T.ones(2, 3)), T.zeros(3)])
        ps.append(T.ones(4, dtype=T.float64))
        ps.extend([nn.Parameter(T.ones(1), requires_grad=False), "not a tensor"])
        ps += [T.full((2,), 2.0)]
        ps[1] = T.arange(3.0)
        kinds = [(type(p).__name__, getattr(p, "requires_grad", None)) for p in ps]
        sliced = ps[1:3]
        return (
            repr(ps),
            len(ps),
            kinds,
            _names(ps),
            ps[-1],
            ps[1],
            repr(sliced),
            len(sliced),
            ps[0] is next(iter(ps)),
        )

    check_same(scenario)


def test_parameter_dict_matches_torch() -> None:
    def scenario(T):
        nn = T.nn
        pd = nn.ParameterDict({"w": T.ones(2), "b": nn.Parameter(T.zeros(1))})  # sorted
        pd["s"] = 3
        pd.update(OrderedDict(z=T.ones(1, 2, dtype=T.float64), a=T.zeros(2)))  # in order
        pd.update([("m", T.ones(3))])
        first = (repr(pd), list(pd), len(pd), "w" in pd, pd.get("missing", 5), pd["b"])
        popped = pd.pop("w")
        del pd["s"]
        kinds = [(k, type(v).__name__) for k, v in pd.items()]
        return first, popped, kinds, _names(pd), repr(pd)

    check_same(scenario)


def test_containers_inside_a_module_register_and_print_as_torch() -> None:
    def scenario(T):
        nn = T.nn
        m = nn.Module()
        m.ps = nn.ParameterList([T.ones(2, 3), nn.Parameter(T.zeros(3))])
        m.pd = nn.ParameterDict({"w": T.ones(2)})
        m.md = nn.ModuleDict({"lin": nn.Linear(2, 3), "act": nn.ReLU()})
        m.un = nn.Unflatten(1, (2, 3))
        return repr(m), _names(m)

    check_same(scenario)


@pytest.mark.parametrize(
    ("dim", "sizes"),
    [(1, (2, 3)), (-1, [3, 2]), (1, (2, -1)), (1, (-1, 1, 3)), (0, (2,)), (1, (6,))],
)
def test_unflatten_matches_torch(dim, sizes) -> None:
    def scenario(T):
        x = T.arange(12.0).reshape(2, 6).requires_grad_()
        y = x.unflatten(dim, sizes)
        z = T.unflatten(x.t(), 0, (3, 2))  # a view of a transposed tensor
        w = T.nn.Unflatten(dim, sizes)(x)
        (y * 2).sum().backward()
        return (
            y,
            graph_of(y.grad_fn),
            z,
            z.is_contiguous(),
            w,
            repr(T.nn.Unflatten(dim, sizes)),
            x.grad,
        )

    check_same(scenario)


ERRORS = {
    "ModuleDict of an int": lambda T: T.nn.ModuleDict(3),
    "ModuleDict of a triple": lambda T: T.nn.ModuleDict([(1, 2, 3)]),
    "ModuleDict of a non-pair": lambda T: T.nn.ModuleDict([3]),
    "ModuleDict of a non-module": lambda T: T.nn.ModuleDict({"a": 3}),
    "ModuleDict with an int key": lambda T: T.nn.ModuleDict({1: T.nn.ReLU()}),
    "ModuleDict missing key": lambda T: T.nn.ModuleDict({"a": T.nn.ReLU()})["b"],
    "ParameterList of an int": lambda T: T.nn.ParameterList(3),
    "ParameterList out of range": lambda T: T.nn.ParameterList([T.ones(1)])[1],
    "ParameterList called": lambda T: T.nn.ParameterList([T.ones(1)])(1),
    "ParameterDict of an int": lambda T: T.nn.ParameterDict(3),
    "ParameterDict missing key": lambda T: T.nn.ParameterDict({"a": T.ones(1)})["b"],
    "ParameterDict int key": lambda T: T.nn.ParameterDict({"a": T.ones(1)})[1],
    "ParameterDict of a triple": lambda T: T.nn.ParameterDict([("a", 1, 2)]),
    "ParameterDict called": lambda T: T.nn.ParameterDict()(1),
    "Unflatten of an int": lambda T: T.nn.Unflatten(1, 5),
    "Unflatten of a float": lambda T: T.nn.Unflatten(1, (2.0, 3)),
    "unflatten wrong product": lambda T: T.ones(2, 6).unflatten(1, (4, 2)),
    "unflatten zero and -1": lambda T: T.ones(2, 6).unflatten(1, (0, -1)),
    "unflatten -1 not dividing": lambda T: T.ones(2, 6).unflatten(1, (-1, 4)),
    "unflatten no sizes": lambda T: T.ones(2, 6).unflatten(1, ()),
    "unflatten dim out of range": lambda T: T.ones(2, 6).unflatten(2, (2, 3)),
    "unflatten int sizes": lambda T: T.ones(2, 6).unflatten(1, 5),
    "unflatten float size": lambda T: T.ones(2, 6).unflatten(1, [2.0, 3]),
}


@pytest.mark.parametrize("name", ERRORS)
def test_container_errors_match_torch_at_the_line(name: str) -> None:
    check_error_at_line(ERRORS[name])


def test_unflatten_two_inferred_sizes_raise_torchs_error() -> None:
    """torch appends its C++ stack to this message; gradrpc gives the message alone."""
    with pytest.raises(RuntimeError) as theirs:
        torch.ones(2, 6).unflatten(1, (-1, -1))
    with pytest.raises(RuntimeError) as ours:
        gradrpc.ones(2, 6).unflatten(1, (-1, -1))
    assert str(theirs.value).startswith(str(ours.value) + "\n")
    assert (
        str(ours.value) == "unflatten got an unexpected error:\nonly one dimension can be inferred"
    )


def test_training_a_model_built_from_containers_matches_torch() -> None:
    """A model whose layers sit in a ModuleDict, whose per-feature scales sit in a
    ParameterList and whose bias sits in a ParameterDict, with an Unflatten: ten Adam steps
    from torch's initial weights give torch's losses."""
    torch.manual_seed(4)

    def build(nn):
        T = torch if nn is torch.nn else gradrpc

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = nn.ModuleDict({"hidden": nn.Linear(6, 8), "out": nn.Linear(8, 3)})
                self.scales = nn.ParameterList([T.ones(8), T.full((8,), 0.5)])
                self.extra = nn.ParameterDict({"bias": T.zeros(3)})
                self.unflatten = nn.Unflatten(1, (2, 3))

            def forward(self, x):
                x = self.unflatten(x).sum(1)
                x = T.cat([x, x], 1)
                h = self.layers["hidden"](x) * self.scales[0] + self.scales[1]
                return self.layers["out"](h.tanh()) + self.extra["bias"]

        return Net()

    rng = np.random.default_rng(17)
    x = rng.standard_normal((5, 6)).tolist()
    y = rng.standard_normal((5, 3)).tolist()
    runs = train_alike(
        build,
        lambda T, parameters: T.optim.Adam(parameters, lr=0.05),
        lambda T: T.nn.MSELoss(),
        lambda T: (T.tensor(x), T.tensor(y)),
    )
    assert_trains_alike(runs)
    ours, theirs = runs[gradrpc][0], runs[torch][0]
    for (name, p), (their_name, q) in zip(
        ours.named_parameters(), theirs.named_parameters(), strict=True
    ):
        assert name == their_name
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)
