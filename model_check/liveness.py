"""Liveness: `<>goal` and `premise ~> goal` under weak fairness, on the explored graph.

The semantics are TLA+'s. `WF_vars(A)` for a class A of actions: a behaviour is fair
when A is not enabled forever without an A step, where both words are about steps that
change the state: A is enabled in s when some action of A leads from s to a state other
than s (ENABLED <<A>>_vars), and a step is an A step when it is an action of A that
changes the state (<<A>>_vars). A step from s back to s is a stutter: it never counts as
taking a class, and a class whose only actions in s lead back to s is not enabled there.
Strong fairness is not offered (no protocol here needs it).

A behaviour violates `<>goal` when it never visits a goal state; it violates
`premise ~> goal` (`[](premise => <>goal)`) when at some point a premise state is
visited and no goal state is visited from then on. On a finite graph such a behaviour
ends, after a finite prefix, in one of two ways, all through non-goal states from the
point that matters on (an initial state for `<>`, the premise state for `~>`):

- it stutters forever in a non-goal state where no fair class is enabled (a deadlock is
  the special case where nothing at all is enabled); or
- it cycles forever through a strongly connected component C of those non-goal states,
  and is fair: for each fair class c, c is taken on a state-changing edge inside C, or c
  is not enabled in some state of C.

For weak fairness a component that fails the test has no fair sub-component either (a
class enabled in every state of C is enabled in every state of any part of C, and is
taken in none of its edges), so examining each maximal component once is exact; no
recursive decomposition is needed, unlike strong fairness.

The lasso reported is deterministic: the search starts from its sources (the initial
non-goal states at distance 0, or for `~>` every premise state that is not a goal state
at its breadth-first depth), goes breadth-first through non-goal states, and the lasso's
prefix is a shortest path to the nearest state from which a fair cycle or stuttering is
possible, ties broken by the order of discovery; its cycle visits, class by class, a
state where the class is not enabled or an edge that takes it, then returns.
"""

from __future__ import annotations

import sys
from array import array
from collections import deque
from collections.abc import Sequence
from typing import Any

import attrs


class Graph:
    """The explored graph in flat arrays: node `v`'s edges are `start[v]:start[v + 1]`.

    Nodes are state indices in BFS order and must be closed in that order. Each edge
    keeps its target, the position of its action in the source's enabled list, and its
    fairness class bit index: 0 for a Byzantine action, which is never fair, and for a
    stutter (a step back to the same state), which takes no class. A node's `enabled`
    mask has the classes with a step out of it that changes the state.
    """

    def __init__(self) -> None:
        # Each column starts at the narrowest type and widens when a value outgrows it
        # (`_widen`), so a typical state costs a few bytes plus about 7 an edge.
        self.start = array("I", [0])
        self.target = array("I")
        self.ordinal = array("B")
        self.cls = array("B")
        self.enabled: array[int] | list[int] = array("B")

    def add_edge(self, target: int, ordinal: int, class_bit: int) -> None:
        """Add an edge out of the node being expanded."""
        self.target.append(target)
        try:
            self.ordinal.append(ordinal)
        except OverflowError:
            self.ordinal = _widen(self.ordinal, ordinal)
        try:
            self.cls.append(class_bit.bit_length())
        except OverflowError:
            self.cls = _widen(self.cls, class_bit.bit_length())

    def close_node(self, enabled_mask: int) -> None:
        """Finish the node being expanded; `enabled_mask` has its enabled fair classes."""
        try:
            self.start.append(len(self.target))
        except OverflowError:
            self.start = _widen(self.start, len(self.target))
        try:
            self.enabled.append(enabled_mask)
        except OverflowError:  # more than 64 fairness classes: a list of ints
            self.enabled = _widen(self.enabled, enabled_mask)

    def __len__(self) -> int:
        return len(self.enabled)

    def nbytes(self) -> int:
        """Bytes held by the edge arrays and the enabled-class masks."""
        size = 0
        for column in (self.start, self.target, self.ordinal, self.cls, self.enabled):
            if isinstance(column, array):
                size += column.itemsize * len(column)
            else:
                size += sys.getsizeof(column) + sum(sys.getsizeof(m) for m in column)
        return size

    def edges(self, v: int) -> range:
        """Positions of node `v`'s edges."""
        return range(self.start[v], self.start[v + 1])


#: The unsigned array types, narrowest first.
_WIDER = {"B": "H", "H": "I", "I": "Q"}


def _widen(column: array[int] | list[int], value: int) -> Any:
    """`column` with `value` appended, in the narrowest unsigned type (or a list of
    ints, past 64 bits) that holds them all."""
    if isinstance(column, list):
        column.append(value)
        return column
    code: Any = column.typecode
    while code in _WIDER:
        code = _WIDER[code]
        if value < 1 << (8 * array(code).itemsize):
            wider = array(code, column)
            wider.append(value)
            return wider
    return [*column, value]


@attrs.frozen
class Lasso:
    """A fair non-goal behaviour: a path of nodes, then a cycle of action positions.

    `prefix[0]` is one of the search's sources (an initial state, or for `~>` a premise
    state, to be reached from an initial state by the caller); `prefix_ordinals[i]`
    leads from `prefix[i]` to `prefix[i + 1]`; the cycle starts and ends at `prefix[-1]`;
    an empty cycle means stuttering there forever.
    """

    prefix: tuple[int, ...]
    prefix_ordinals: tuple[int, ...]
    cycle_ordinals: tuple[int, ...]


def _sccs(graph: Graph, member: bytearray, roots: list[int]) -> list[list[int]]:
    """Tarjan's algorithm with an explicit stack, on the nodes with `member[v]` set."""
    n = len(graph)
    index = array("i", [-1]) * n
    low = array("i", [0]) * n
    on_stack = bytearray(n)
    stack: list[int] = []
    result: list[list[int]] = []
    counter = 0
    start, target = graph.start, graph.target
    for root in roots:
        if index[root] != -1:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = 1
        work = [(root, start[root])]
        while work:
            v, pos = work[-1]
            end = start[v + 1]
            descended = False
            while pos < end:
                w = target[pos]
                pos += 1
                if not member[w]:
                    continue
                if index[w] == -1:
                    work[-1] = (v, pos)
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = 1
                    work.append((w, start[w]))
                    descended = True
                    break
                if on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
            if descended:
                continue
            work.pop()
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack[w] = 0
                    component.append(w)
                    if w == v:
                        break
                component.sort()
                result.append(component)
    return result


def _path(graph: Graph, src: int, inside: bytearray, goal: int) -> list[tuple[int, int]] | None:
    """Shortest path inside `inside` from `src` to `goal`, as (node, ordinal) steps."""
    if src == goal:
        return []
    parent: dict[int, tuple[int, int]] = {src: (-1, -1)}
    queue = deque([src])
    while queue:
        v = queue.popleft()
        for pos in graph.edges(v):
            w = graph.target[pos]
            if not inside[w] or w in parent:
                continue
            parent[w] = (v, graph.ordinal[pos])
            if w == goal:
                steps: list[tuple[int, int]] = []
                node = w
                while node != src:
                    prev, ordinal = parent[node]
                    steps.append((node, ordinal))
                    node = prev
                steps.reverse()
                return steps
            queue.append(w)
    return None  # pragma: no cover - targets are chosen inside a strongly connected set


def find_lasso(
    graph: Graph,
    goal: bytearray,
    sources: Sequence[int],
    fair: int,
    distances: Sequence[int] | None = None,
) -> Lasso | None:
    """A fair behaviour that, from one of `sources` on, never reaches `goal`; or None.

    Args:
        graph: the complete explored graph.
        goal: one byte per node, 1 where the goal holds.
        sources: the nodes where the goal-free part may begin: the initial nodes for
            `<>goal`, the premise nodes for `premise ~> goal`. Goal nodes among them are
            ignored.
        fair: the bits of the weakly fair action classes.
        distances: each source's distance from an initial node (its breadth-first
            depth), so that the lasso found is a shortest one; all 0 when omitted.
    """
    n = len(graph)
    dist = array("i", [-1]) * n
    parent: dict[int, tuple[int, int]] = {}
    member = bytearray(n)
    order: list[int] = []
    # Breadth-first, level by level: the sources of each distance join its level after
    # the nodes reached from the level before (for `<>` all sources are at distance 0,
    # and this is a plain breadth-first search from the initial nodes).
    starts = [0] * len(sources) if distances is None else distances
    pending = sorted(
        (d, i, v) for i, (v, d) in enumerate(zip(sources, starts, strict=True)) if not goal[v]
    )
    level: list[int] = []
    depth = pending[0][0] if pending else 0
    k = 0
    while level or k < len(pending):
        while k < len(pending) and pending[k][0] <= depth:
            v = pending[k][2]
            k += 1
            if dist[v] == -1:
                dist[v] = depth
                member[v] = 1
                level.append(v)
        order.extend(level)
        following: list[int] = []
        for v in level:
            for pos in graph.edges(v):
                w = graph.target[pos]
                if goal[w] or dist[w] != -1:
                    continue
                dist[w] = depth + 1
                member[w] = 1
                parent[w] = (v, graph.ordinal[pos])
                following.append(w)
        level = following
        depth += 1
        if not level and k < len(pending):
            depth = max(depth, pending[k][0])

    # Candidates: (distance, node, cycle) with cycle None for stuttering.
    best: tuple[int, int, int, list[int] | None] | None = None
    for v in order:
        if graph.enabled[v] & fair == 0:
            best = (dist[v], v, 0, None)
            break  # `order` is by distance: the first is the nearest
    for component in _sccs(graph, member, order):
        inside = set(component)
        if len(component) == 1:
            v = component[0]
            if not any(graph.target[p] == v for p in graph.edges(v)):
                continue
        taken = 0
        disabled = 0
        for v in component:
            disabled |= fair & ~graph.enabled[v]
            for pos in graph.edges(v):
                if graph.target[pos] in inside and graph.cls[pos]:
                    taken |= 1 << (graph.cls[pos] - 1)
        if fair & ~(taken | disabled):
            continue
        entry = min(component, key=lambda v: (dist[v], v))
        stutters = graph.enabled[entry] & fair == 0  # then stuttering there is fair
        candidate = (dist[entry], entry, 0 if stutters else 1, None if stutters else component)
        if best is None or candidate[:3] < best[:3]:
            best = candidate
    if best is None:
        return None
    _, entry, _, members = best
    prefix = [entry]
    prefix_ordinals: list[int] = []
    while prefix[-1] in parent:
        prev, ordinal = parent[prefix[-1]]
        prefix.append(prev)
        prefix_ordinals.append(ordinal)
    prefix.reverse()
    prefix_ordinals.reverse()
    cycle = [] if members is None else _fair_cycle(graph, members, entry, fair)
    return Lasso(tuple(prefix), tuple(prefix_ordinals), tuple(cycle))


def _fair_cycle(graph: Graph, component: list[int], entry: int, fair: int) -> list[int]:
    """Action positions of a cycle from `entry` that meets every fair class."""
    inside = bytearray(len(graph))
    for v in component:
        inside[v] = 1
    steps: list[tuple[int, int]] = []
    current = entry
    bit = 1
    while bit <= fair:
        if fair & bit:
            where = next((v for v in component if not graph.enabled[v] & bit), None)
            if where is not None:
                path = _path(graph, current, inside, where)
                assert path is not None
                steps += path
                current = where
            else:
                cls = bit.bit_length()
                pos = next(
                    p
                    for v in component
                    for p in graph.edges(v)
                    if graph.cls[p] == cls and inside[graph.target[p]]
                )
                source = next(v for v in component if pos in graph.edges(v))
                path = _path(graph, current, inside, source)
                assert path is not None
                steps += path
                steps.append((graph.target[pos], graph.ordinal[pos]))
                current = graph.target[pos]
        bit <<= 1
    back = _path(graph, current, inside, entry)
    assert back is not None
    steps += back
    # Never empty: a class that asks for nothing here is disabled at the entry, and an
    # entry where every fair class is disabled is a stuttering lasso, preferred above.
    assert steps
    return [ordinal for _, ordinal in steps]
