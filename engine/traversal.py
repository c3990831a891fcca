"""Which backward nodes a pass reaches and which it runs, for any graph of nodes.

The engine runs backward over its nodes; the client predicts the same pass over its mirror
of the graph (to raise torch's errors at the user's line and to know which .grad fields the
pass sets). Both use these rules, so their predictions cannot drift apart. `edges(node)`
yields a node's non-None edges: interior nodes, for which `is_node` is true, and leaves.
Pure Python.
"""

from collections.abc import Callable, Collection, Hashable, Iterable

Edges = Callable[[Hashable], Iterable[Hashable]]


def count_dependencies(roots: Iterable, edges: Edges, is_node: Callable[[object], bool]) -> dict:
    """Every interior node reachable from `roots`, mapped to the number of reachable nodes
    whose backward feeds it (it may run once they all have)."""
    dependencies = dict.fromkeys(roots, 0)
    stack = list(dependencies)
    seen = set(stack)
    while stack:
        node = stack.pop()
        for edge in edges(node):
            if is_node(edge):
                dependencies[edge] = dependencies.get(edge, 0) + 1
                if edge not in seen:
                    seen.add(edge)
                    stack.append(edge)
    return dependencies


def needed(nodes: Collection, edges: Edges, targets: Collection, run_targets: bool) -> set:
    """The nodes that must run to deliver the targets' gradients: those with an edge to a
    target (a leaf or a node) or to a needed node. A target node itself is captured, not
    run, unless it is needed otherwise or `run_targets` (backward(inputs=...) runs it, as
    torch does; autograd.grad does not)."""
    consumers: dict = {}
    for node in nodes:
        for edge in edges(node):
            consumers.setdefault(edge, []).append(node)
    result: set = set()
    stack = [
        n for n in nodes if (run_targets and n in targets) or any(e in targets for e in edges(n))
    ]
    while stack:
        node = stack.pop()
        if node not in result:
            result.add(node)
            stack.extend(consumers.get(node, ()))
    return result
