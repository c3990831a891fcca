"""Which backward nodes a pass reaches and which it runs, for any graph of nodes.

The engine runs backward over its nodes; the client predicts the same pass over its mirror
of the graph (to raise torch's errors at the user's line and to know which .grad fields the
pass sets). Both use these rules, so their predictions cannot drift apart. `edges(node)`
yields a node's non-None edges: interior nodes, for which `is_node` is true, and leaves.
Pure Python.
"""

import heapq
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


class NewestFirst:
    """A heap of nodes, highest `order` first; distinct orders need no rule for ties."""

    def __init__(self, order: Callable[[object], int]):
        self.order = order
        self.items: list = []

    def __bool__(self) -> bool:
        return bool(self.items)

    def push(self, node) -> None:
        heapq.heappush(self.items, (-self.order(node), node))

    def pop(self):
        return heapq.heappop(self.items)[1]


class ReadyQueue:
    """torch's ready queue: a std::priority_queue of nodes, highest `priority` first.

    Among equal priorities (every leaf's accumulator has the highest) the order is the
    layout of libstdc++'s binary heap, so its push_heap and pop_heap are followed step by
    step: which of two leaves ready together runs first is what torch's hooks observe.
    """

    def __init__(self, priority: Callable[[object], float]):
        self.priority = priority
        self.items: list = []

    def __bool__(self) -> bool:
        return bool(self.items)

    def push(self, item) -> None:
        self.items.append(item)
        self._sift_up(len(self.items) - 1, 0, item)

    def pop(self):
        items = self.items
        top = items[0]
        last = items.pop()
        if items:
            self._adjust(last)
        return top

    def _sift_up(self, hole: int, top: int, item) -> None:
        """libstdc++'s __push_heap: move `item` up from `hole` past lower-priority parents."""
        items, key = self.items, self.priority(item)
        parent = (hole - 1) // 2
        while hole > top and self.priority(items[parent]) < key:
            items[hole] = items[parent]
            hole = parent
            parent = (hole - 1) // 2
        items[hole] = item

    def _adjust(self, item) -> None:
        """libstdc++'s __adjust_heap from the root: the hole sinks along the larger child
        (the left one on ties), then `item` rises into place."""
        items, priority = self.items, self.priority
        length = len(items)
        hole = child = 0
        while child < (length - 1) // 2:
            child = 2 * (child + 1)
            if priority(items[child]) < priority(items[child - 1]):
                child -= 1
            items[hole] = items[child]
            hole = child
        if length % 2 == 0 and child == (length - 2) // 2:
            child = 2 * (child + 1)
            items[hole] = items[child - 1]
            hole = child - 1
        self._sift_up(hole, 0, item)
