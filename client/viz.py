"""`gradrpc.viz.make_dot`: torchviz's drawing of an autograd graph, from the client's mirror.

Same nodes, labels, colours and DOT source as `torchviz.make_dot`, built without a round
trip: grey boxes are backward nodes (named as torch names their classes), light blue ones
the leaves that receive a gradient, dark olive green the outputs. The result is a
`graphviz.Digraph` when the `graphviz` package is installed (rendering needs its `dot`
program), else a `Digraph` of this module with the same `source`.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from gradrpc.engine.errors import Unsupported

from .tensor import Tensor

__all__ = ["Digraph", "make_dot"]

_ID = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*|-?(\.[0-9]+|[0-9]+(\.[0-9]*)?))$")
_KEYWORDS = {"node", "edge", "graph", "digraph", "subgraph", "strict"}
_UNESCAPED_QUOTE = re.compile(r'((?:\\\\)*)\\?(")')


def _quote(text: str) -> str:
    """A DOT identifier for `text`, quoted where it must be (as the graphviz package does)."""
    if _ID.match(text) and text.lower() not in _KEYWORDS:
        return text
    return '"' + _UNESCAPED_QUOTE.sub(r"\1\\\2", text) + '"'


def _attr_list(label: str | None, attrs: dict) -> str:
    items = [f"label={_quote(label)}"] if label is not None else []
    items += [f"{_quote(k)}={_quote(v)}" for k, v in sorted(attrs.items()) if v is not None]
    return f" [{' '.join(items)}]" if items else ""


class Digraph:
    """The part of `graphviz.Digraph` that make_dot uses, writing the same DOT source."""

    def __init__(self, node_attr: dict | None = None, graph_attr: dict | None = None):
        self.node_attr = dict(node_attr or {})
        self.graph_attr = dict(graph_attr or {})
        self.body: list[str] = []

    def node(self, name: str, label: str | None = None, **attrs: str) -> None:
        self.body.append(f"\t{_quote(name)}{_attr_list(label, attrs)}\n")

    def edge(self, tail_name: str, head_name: str, **attrs: str) -> None:
        self.body.append(f"\t{_quote(tail_name)} -> {_quote(head_name)}{_attr_list(None, attrs)}\n")

    @property
    def source(self) -> str:
        head = [
            f"\t{kind}{_attr_list(None, attrs)}\n"
            for kind, attrs in (("graph", self.graph_attr), ("node", self.node_attr))
            if attrs
        ]
        return "".join(["digraph {\n", *head, *self.body, "}\n"])

    def __str__(self) -> str:
        return self.source

    def pipe(self, format: str = "svg") -> bytes:
        """The graph rendered by Graphviz's `dot` program (which must be on the PATH)."""
        dot = shutil.which("dot")
        if dot is None:
            raise RuntimeError("make_dot: rendering needs Graphviz's `dot` program on the PATH")
        return subprocess.run(
            [dot, f"-T{format}"], input=self.source.encode(), capture_output=True, check=True
        ).stdout

    def _repr_svg_(self) -> str | None:
        """An SVG for notebooks, or None (their text repr) without the `dot` program."""
        return self.pipe("svg").decode() if shutil.which("dot") else None


def _digraph(**attrs):
    try:
        from graphviz import Digraph as graphviz_digraph
    except ImportError:
        return Digraph(**attrs)
    return graphviz_digraph(**attrs)


def make_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50):
    """torchviz.make_dot: the autograd graph behind `var` (a tensor or a tuple of them) as
    DOT; `params` names tensors (name → tensor) in their boxes. Backward nodes hold no saved
    values on the client, so `show_attrs` and `show_saved` (and `max_attr_chars`, which
    serves them) are not supported."""
    if show_attrs or show_saved:
        raise Unsupported("gradrpc: make_dot's show_attrs and show_saved are not supported yet")
    params = params or {}
    if not all(isinstance(p, Tensor) for p in params.values()):
        raise TypeError("make_dot: params must map names to Tensors")
    names = {id(v): k for k, v in params.items()}
    dot = _digraph(
        node_attr={
            "style": "filled",
            "shape": "box",
            "align": "left",
            "fontsize": "10",
            "ranksep": "0.1",
            "height": "0.2",
            "fontname": "monospace",
        },
        graph_attr={"size": "12,12"},
    )
    seen: set[int] = set()

    def var_name(t: Tensor) -> str:
        return f"{names.get(id(t), '')}\n ({', '.join(str(s) for s in t.size())})"

    def visit(fn) -> None:
        """Draw `fn`: its variable (an AccumulateGrad's leaf) and the node itself."""
        seen.add(id(fn))
        if hasattr(fn, "variable"):
            seen.add(id(fn.variable))
            dot.node(str(id(fn.variable)), var_name(fn.variable), fillcolor="lightblue")
            dot.edge(str(id(fn.variable)), str(id(fn)))
        dot.node(str(id(fn)), type(fn).__name__)

    def add_nodes(root) -> None:
        """torchviz's depth-first walk, in its order, without recursion (deep graphs)."""
        if id(root) in seen:
            return
        visit(root)
        stack = [(root, iter(root.next_functions))]
        while stack:
            fn, edges = stack[-1]
            nxt = next((u for u, _ in edges if u is not None), None)
            if nxt is None:
                stack.pop()
                continue
            dot.edge(str(id(nxt)), str(id(fn)))
            if id(nxt) not in seen:
                visit(nxt)
                stack.append((nxt, iter(nxt.next_functions)))

    for out in var if isinstance(var, tuple) else (var,):
        if id(out) in seen:
            continue
        seen.add(id(out))
        dot.node(str(id(out)), var_name(out), fillcolor="darkolivegreen1")
        if out.grad_fn is not None:
            add_nodes(out.grad_fn)
            dot.edge(str(id(out.grad_fn)), str(id(out)))
    size = max(12, len(dot.body) * 0.15)
    dot.graph_attr.update(size=f"{size},{size}")
    return dot
