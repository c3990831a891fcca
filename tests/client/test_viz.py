"""gradrpc.viz.make_dot against torchviz.make_dot on real torch.

Each scenario is a function of the module (`T` is torch or gradrpc) returning the output(s)
and the params dict; torchviz draws torch's graph and gradrpc.viz the client's mirror. Node
ids are object ids, so the two sources are compared with ids renamed in order of first
appearance, and as structure: node labels with their colours, edges by their ends' labels."""

from __future__ import annotations

import os
import re
import sys
from collections import Counter

import gradrpc
import graphviz
import pytest
import torch
import torchviz
from gradrpc.engine.errors import Unsupported
from gradrpc.viz import Digraph, make_dot

# torchviz 0.0.3 compares torch versions with distutils' LooseVersion.
pytestmark = pytest.mark.filterwarnings("ignore:distutils Version classes:DeprecationWarning")

# ---------------------------------------------------------------- scenarios


def seed_sigmoid(T):
    """Seed 001, "In [6]": the sigmoid of w0 x0 + w1 x1 + w2, drawn after backward."""
    w0 = T.tensor(2.0, requires_grad=True)
    x0 = T.tensor(-1.0, requires_grad=True)
    w1 = T.tensor(-3.0, requires_grad=True)
    x1 = T.tensor(-2.0, requires_grad=True)
    w2 = T.tensor(-3.0, requires_grad=True)
    a = w0 * x0
    b = w1 * x1
    c = a + b
    d = c + w2
    e = -d
    f = T.exp(e)
    g = 1 + f
    h = 1 / g
    h.backward()
    params = {"w0": w0, "x0": x0, "w1": w1, "x1": x1, "w2": w2}
    return h, {**params, "a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g, "h": h}


def _detach_leaves(T):
    names = "abcde"
    values = (1.2, 2.2, 0.2, 0.8, 7.0)
    return {n: T.tensor([v], requires_grad=True) for n, v in zip(names, values, strict=True)}


def seed_before_detach(T):
    """Seed 001, "In [8]": the graph before detach (drawn after backward)."""
    p = _detach_leaves(T)
    f = p["d"] * ((p["a"] + p["b"]) * (p["c"])) + p["e"]
    f.backward()
    return f, p


def seed_after_detach(T):
    """Seed 001, "In [8]": the graph after detach (c leaves it)."""
    p = _detach_leaves(T)
    return p["d"] * ((p["a"] + p["b"]) * (p["c"].detach())) + p["e"], p


def seed_mlp(T):
    """Seed 001's training loop (mended: layers w0 and w1, y of N rows), one step's loss."""
    N, D_in, H, D_out = 64, 1000, 100, 10
    model = T.nn.Sequential()
    model.add_module("w0", T.nn.Linear(D_in, H))
    model.add_module("relu", T.nn.ReLU())
    model.add_module("w1", T.nn.Linear(H, D_out))
    loss = T.nn.MSELoss(reduction="sum")(model(T.ones(N, D_in)), T.zeros(N, D_out))
    return loss, dict(model.named_parameters())


def fan_out_and_two_outputs(T):
    """A leaf used twice by one node, a shared subexpression, and a tuple of outputs."""
    x = T.tensor([1.0, 2.0], requires_grad=True)
    w = T.ones(2, 3, requires_grad=True)
    s = x * x
    y = (s.matmul(w)).sigmoid().sum()
    z = (s**2 + s.exp()).mean()
    return (y, z), {"x": x, "w": w, "y": y}


def leaf_and_constant_outputs(T):
    """Outputs without a graph: a leaf that requires grad, and a tensor that does not."""
    x = T.ones(2, 2, requires_grad=True)
    return (x, T.zeros(3) * 2), {"x": x}


def classifier(T):
    """Cross-entropy of a linear layer's logits, with unnamed leaves."""
    w = T.ones(4, 3, requires_grad=True)
    b = T.zeros(3, requires_grad=True)
    logits = T.ones(5, 4).mm(w) + b
    return T.nn.functional.cross_entropy(logits, T.tensor([0, 1, 2, 0, 1])), None


SCENARIOS = [
    seed_sigmoid,
    seed_before_detach,
    seed_after_detach,
    seed_mlp,
    fan_out_and_two_outputs,
    leaf_and_constant_outputs,
    classifier,
]


# ---------------------------------------------------------------- comparing drawings

_ID = re.compile(r"\b\d{9,}\b")  # object ids (sizes and attributes are shorter)
_NODE = re.compile(r'\t(\d+) \[label=("(?:[^"\\]|\\.)*"|\S+)(.*)\]\n', re.DOTALL)
_EDGE = re.compile(r"\t(\d+) -> (\d+)(.*)\n")


def canonical(source: str) -> str:
    """The source with each object id renamed to its order of first appearance."""
    order: dict[str, str] = {}
    return _ID.sub(lambda m: order.setdefault(m.group(), f"n{len(order)}"), source)


def structure(dot) -> tuple:
    """(graph attributes, node attributes, Counter of nodes as (label, attributes), Counter
    of edges as (tail's label, head's label, attributes))."""
    labels, nodes, edges = {}, Counter(), []
    for line in dot.body:
        if node := _NODE.fullmatch(line):
            labels[node[1]] = node[2]
            nodes[node[2], node[3]] += 1
        else:
            edges.append(_EDGE.fullmatch(line).groups())
    edge_labels = Counter((labels[tail], labels[head], rest) for tail, head, rest in edges)
    return dot.graph_attr, dot.node_attr, nodes, edge_labels


def draw(T, scenario, **kwargs):
    var, params = scenario(T)
    return (torchviz.make_dot if T is torch else make_dot)(var, params=params, **kwargs)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
def test_same_drawing_as_torchviz(scenario):
    expected, actual = draw(torch, scenario), draw(gradrpc, scenario)
    assert isinstance(actual, graphviz.Digraph)
    assert structure(actual) == structure(expected)
    assert canonical(actual.source) == canonical(expected.source)


def test_seed_sigmoid_graph_as_drawn():
    """The seed's picture, spelled out: every op's node, the named leaves, the output."""
    _, _, nodes, edges = structure(draw(gradrpc, seed_sigmoid))
    assert nodes == Counter(
        {
            ('"h\n ()"', " fillcolor=darkolivegreen1"): 1,
            **{(f'"{n}\n ()"', " fillcolor=lightblue"): 1 for n in ("w0", "x0", "w1", "x1", "w2")},
            ("MulBackward0", ""): 3,
            ("AddBackward0", ""): 3,
            ("AccumulateGrad", ""): 5,
            ("ReciprocalBackward0", ""): 1,
            ("ExpBackward0", ""): 1,
            ("NegBackward0", ""): 1,
        }
    )
    assert edges[("AccumulateGrad", "MulBackward0", "")] == 4
    assert edges[("AccumulateGrad", "AddBackward0", "")] == 1
    assert all(edges[(f'"{n}\n ()"', "AccumulateGrad", "")] == 1 for n in ("w0", "x1", "w2"))
    assert edges[("MulBackward0", '"h\n ()"', "")] == 1


# ---------------------------------------------------------------- without graphviz, rendering


def test_without_the_graphviz_package_the_same_source(monkeypatch):
    var, params = seed_mlp(gradrpc)
    expected = make_dot(var, params=params)
    monkeypatch.setitem(sys.modules, "graphviz", None)  # `import graphviz` fails
    actual = make_dot(var, params=params)
    assert type(actual) is Digraph
    assert actual.source == expected.source
    assert str(actual) == actual.source


def test_rendering_needs_the_dot_program(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    dot = make_dot(*seed_sigmoid(gradrpc))
    path = os.environ["PATH"]
    monkeypatch.setenv("PATH", str(tmp_path))
    assert dot._repr_svg_() is None
    with pytest.raises(RuntimeError, match="`dot` program"):
        dot.pipe(format="svg")
    program = tmp_path / "dot"
    program.write_text('#!/bin/sh\necho "<svg $1>"\ncat\necho "</svg>"\n')
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{path}")
    assert dot.pipe(format="png") == f"<svg -Tpng>\n{dot.source}</svg>\n".encode()
    assert dot._repr_svg_() == f"<svg -Tsvg>\n{dot.source}</svg>\n"


# ---------------------------------------------------------------- what torchviz cannot


def test_deep_graph_without_recursion():
    x = gradrpc.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    body = make_dot(y).body
    assert sum("MulBackward0" in line for line in body) == 3000
    assert len(body) == 3 + 3000 + 2 + 3000  # 3003 nodes, 3002 edges


# ---------------------------------------------------------------- arguments


@pytest.mark.parametrize("flag", ["show_attrs", "show_saved"])
def test_saved_values_are_not_shown(flag):
    with pytest.raises(Unsupported, match="show_attrs and show_saved"):
        make_dot(*seed_sigmoid(gradrpc), **{flag: True})


def test_params_must_be_tensors():
    with pytest.raises(TypeError, match="params must map names to Tensors"):
        make_dot(gradrpc.ones(2), params={"w": torch.ones(2)})
