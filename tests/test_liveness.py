"""`find_lasso` on hand-made graphs: weak fairness, stuttering, goals and Byzantine edges."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model_check.liveness import Graph, Lasso, find_lasso

A, B, C = 1, 2, 4  # fairness class bits
BYZ = 0  # a Byzantine edge: no class, never fair

#: A node: its edges as (target, class bit), in action order; the classes enabled there
#: are those of its honest edges plus any extra ones given (actions leaving the graph).
Node = tuple[list[tuple[int, int]], int]


def build(nodes: Sequence[Node]) -> Graph:
    graph = Graph()
    for edges, extra in nodes:
        mask = extra
        for ordinal, (target, bit) in enumerate(edges):
            graph.add_edge(target, ordinal, bit)
            mask |= bit
        graph.close_node(mask)
    return graph


def edge_to(graph: Graph, v: int, ordinal: int) -> tuple[int, int]:
    """The target and class bit of node v's edge with that action position."""
    for pos in graph.edges(v):
        if graph.ordinal[pos] == ordinal:
            cls = graph.cls[pos]
            return graph.target[pos], (1 << (cls - 1)) if cls else 0
    raise AssertionError(f"node {v} has no edge {ordinal}")


def cycle_nodes(graph: Graph, lasso: Lasso) -> tuple[list[int], int]:
    """Walk the lasso; return the cycle's nodes (entry first) and the classes it takes."""
    for i, ordinal in enumerate(lasso.prefix_ordinals):
        assert edge_to(graph, lasso.prefix[i], ordinal)[0] == lasso.prefix[i + 1]
    node = lasso.prefix[-1]
    nodes = [node]
    taken = 0
    for ordinal in lasso.cycle_ordinals:
        node, bit = edge_to(graph, node, ordinal)
        nodes.append(node)
        taken |= bit
    assert node == lasso.prefix[-1], "the cycle does not return to its entry"
    return nodes, taken


def assert_fair(graph: Graph, goal: bytearray, lasso: Lasso, fair: int) -> None:
    """The lasso avoids the goal and is weakly fair to every class in `fair`."""
    nodes, taken = cycle_nodes(graph, lasso)
    assert not any(goal[v] for v in (*lasso.prefix, *nodes))
    disabled = 0
    for v in nodes:
        disabled |= fair & ~graph.enabled[v]
    if not lasso.cycle_ordinals:  # stuttering: every fair class must be disabled there
        assert graph.enabled[lasso.prefix[-1]] & fair == 0
    else:
        assert fair & ~(taken | disabled) == 0


def goals(n: int, *nodes: int) -> bytearray:
    result = bytearray(n)
    for v in nodes:
        result[v] = 1
    return result


# 0 <-B-> 1, and each can take A to the goal 2.
RING_WITH_EXIT: list[Node] = [([(1, B), (2, A)], 0), ([(0, B), (2, A)], 0), ([], 0)]
# The same, but A is disabled in node 1.
RING_A_OFF_IN_1: list[Node] = [([(1, B), (2, A)], 0), ([(0, B)], 0), ([], 0)]


def test_graph_layout() -> None:
    graph = build(RING_WITH_EXIT)
    assert len(graph) == 3
    assert list(graph.edges(0)) == [0, 1]
    assert list(graph.edges(2)) == []
    assert list(graph.enabled) == [A | B, A | B, 0]
    assert edge_to(graph, 1, 1) == (2, A)


def test_class_enabled_throughout_but_never_taken_gives_no_lasso() -> None:
    graph = build(RING_WITH_EXIT)
    goal = goals(3, 2)
    assert find_lasso(graph, goal, [0], A) is None
    assert find_lasso(graph, goal, [0], A | B) is None


def test_unfair_class_does_not_force_the_exit() -> None:
    graph = build(RING_WITH_EXIT)
    goal = goals(3, 2)
    lasso = find_lasso(graph, goal, [0], B)
    assert lasso is not None
    assert lasso.prefix == (0,) and lasso.prefix_ordinals == ()
    nodes, taken = cycle_nodes(graph, lasso)
    assert set(nodes) == {0, 1} and taken == B
    assert_fair(graph, goal, lasso, B)


def test_class_disabled_somewhere_in_the_cycle_gives_a_lasso() -> None:
    graph = build(RING_A_OFF_IN_1)
    goal = goals(3, 2)
    lasso = find_lasso(graph, goal, [0], A)
    assert lasso is not None
    nodes, _ = cycle_nodes(graph, lasso)
    assert 1 in nodes, "the cycle must pass where A is disabled"
    assert_fair(graph, goal, lasso, A)
    # Also fair to B, which the cycle takes.
    both = find_lasso(graph, goal, [0], A | B)
    assert both is not None
    assert_fair(graph, goal, both, A | B)


def test_stuttering_where_no_fair_class_is_enabled() -> None:
    # 0 -A-> 1; in 1 only B is enabled, leading to the goal 2.
    graph = build([([(1, A)], 0), ([(2, B)], 0), ([], 0)])
    goal = goals(3, 2)
    lasso = find_lasso(graph, goal, [0], A)
    assert lasso == Lasso(prefix=(0, 1), prefix_ordinals=(0,), cycle_ordinals=())
    assert_fair(graph, goal, lasso, A)
    assert find_lasso(graph, goal, [0], A | B) is None


def test_a_deadlock_is_a_stuttering_lasso() -> None:
    graph = build([([(1, A)], 0), ([], 0)])
    lasso = find_lasso(graph, goals(2), [0], A)
    assert lasso == Lasso(prefix=(0, 1), prefix_ordinals=(0,), cycle_ordinals=())


def test_extra_enabled_class_without_an_edge_counts_as_enabled() -> None:
    # Node 1 has A enabled, but its successor is outside the graph (a state constraint):
    # A stays enabled, so stuttering in 1 is not fair to A.
    graph = build([([(1, A)], 0), ([], A)])
    assert find_lasso(graph, goals(2), [0], A) is None
    assert find_lasso(graph, goals(2), [0], B) is not None


def test_self_loop_is_a_cycle_and_a_lone_node_is_not() -> None:
    loop = build([([(0, A), (1, B)], 0), ([], 0)])
    goal = goals(2, 1)
    lasso = find_lasso(loop, goal, [0], A)
    assert lasso == Lasso(prefix=(0,), prefix_ordinals=(), cycle_ordinals=(0,))
    assert find_lasso(loop, goal, [0], A | B) is None  # B enabled, never taken
    # Without the self-loop, 0 only moves on to the goal.
    lone = build([([(1, A)], 0), ([], 0)])
    assert find_lasso(lone, goals(2, 1), [0], A) is None


def test_byzantine_edges_never_count_as_fair() -> None:
    # 0 <-byz-> 1, each with A to the goal 2: cycling on the adversary's steps alone
    # leaves A enabled and untaken.
    graph = build([([(1, BYZ), (2, A)], 0), ([(0, BYZ), (2, A)], 0), ([], 0)])
    goal = goals(3, 2)
    assert find_lasso(graph, goal, [0], A) is None
    # With nothing fair, the behaviour may stutter at once in the initial state.
    assert find_lasso(graph, goal, [0], 0) == Lasso((0,), (), ())


def test_goal_states_cut_cycles() -> None:
    graph = build([([(1, A)], 0), ([(0, A)], 0)])
    assert find_lasso(graph, goals(2, 1), [0], A) is None
    assert find_lasso(graph, goals(2, 0), [0], A) is None  # goal at the start
    assert find_lasso(graph, goals(2), [0], A) is not None


def test_the_nearest_lasso_is_chosen() -> None:
    # 0 -A-> 1 -A-> 2 -A-> 3 <-A-> 4 (a fair cycle at distance 3), and 0 -A-> 5 with a
    # self-loop (a fair cycle at distance 1).
    graph = build(
        [
            ([(1, A), (5, A)], 0),
            ([(2, A)], 0),
            ([(3, A)], 0),
            ([(4, A)], 0),
            ([(3, A)], 0),
            ([(5, A)], 0),
        ]
    )
    lasso = find_lasso(graph, goals(6), [0], A)
    assert lasso is not None
    assert lasso.prefix == (0, 5) and lasso.prefix_ordinals == (1,)
    assert lasso.cycle_ordinals == (0,)
    # With 5 a goal, the farther cycle is the only one.
    far = find_lasso(graph, goals(6, 5), [0], A)
    assert far is not None
    assert far.prefix == (0, 1, 2, 3)
    assert_fair(graph, goals(6, 5), far, A)


def test_stuttering_wins_a_tie_with_a_cycle() -> None:
    # From 0: to 1, where nothing fair is enabled, or to 2, which loops on itself.
    graph = build([([(1, A), (2, A)], 0), ([(3, B)], 0), ([(2, A)], 0), ([], 0)])
    lasso = find_lasso(graph, goals(4, 3), [0], A)
    assert lasso == Lasso(prefix=(0, 1), prefix_ordinals=(0,), cycle_ordinals=())


def test_the_cycle_takes_every_class_enabled_throughout() -> None:
    # A triangle 0 -A-> 1 -B-> 2 -C-> 0 with shortcuts 0 -B-> 2 and 1 -A-> 0: every class
    # is enabled somewhere; the fair cycle must take all three.
    graph = build(
        [
            ([(2, B), (1, A)], A | B | C),
            ([(0, A), (2, B)], A | B | C),
            ([(0, C)], A | B | C),
        ]
    )
    lasso = find_lasso(graph, goals(3), [0], A | B | C)
    assert lasso is not None
    _, taken = cycle_nodes(graph, lasso)
    assert taken == A | B | C
    assert_fair(graph, goals(3), lasso, A | B | C)


def test_several_initial_states() -> None:
    # Initial 0 goes straight to the goal; initial 1 can loop forever.
    graph = build([([(2, A)], 0), ([(1, A)], 0), ([], 0)])
    goal = goals(3, 2)
    assert find_lasso(graph, goal, [0], A) is None
    assert find_lasso(graph, goal, [0, 1], A) == Lasso((1,), (), (0,))


@st.composite
def random_graphs(draw: st.DrawFn) -> tuple[list[Node], bytearray, int]:
    n = draw(st.integers(1, 7))
    nodes: list[Node] = []
    for _ in range(n):
        edges = draw(
            st.lists(st.tuples(st.integers(0, n - 1), st.sampled_from([BYZ, A, B, C])), max_size=3)
        )
        extra = draw(st.sampled_from([0, 0, A, B]))
        nodes.append((edges, extra))
    goal = bytearray(draw(st.lists(st.sampled_from([0, 0, 1]), min_size=n, max_size=n)))
    fair = draw(st.sampled_from([0, A, B, A | B, A | B | C]))
    return nodes, goal, fair


def brute_force_fair_loop_exists(nodes: Sequence[Node], goal: bytearray, fair: int) -> bool:
    """Is there a fair non-goal behaviour from node 0? Checks every non-goal node set S
    reachable from 0 avoiding the goal: stuttering in a node with no fair class enabled,
    or a strongly connected S (with an edge inside) that is fair."""
    graph = build(nodes)
    n = len(nodes)
    if goal[0]:
        return False
    reach = {0}
    frontier = [0]
    while frontier:
        v = frontier.pop()
        for w, _ in nodes[v][0]:
            if not goal[w] and w not in reach:
                reach.add(w)
                frontier.append(w)
    if any(graph.enabled[v] & fair == 0 for v in reach):
        return True
    members = sorted(reach)
    for mask in range(1, 1 << len(members)):
        subset = {members[i] for i in range(len(members)) if mask >> i & 1}
        inner = [(v, w, bit) for v in subset for w, bit in nodes[v][0] if w in subset]
        if not inner:
            continue

        def reach_within(src: int, subset: set[int] = subset) -> set[int]:
            seen = {src}
            stack = [src]
            while stack:
                v = stack.pop()
                for w, _ in nodes[v][0]:
                    if w in subset and w not in seen:
                        seen.add(w)
                        stack.append(w)
            return seen

        if any(reach_within(v) != subset for v in subset):
            continue
        taken = 0
        for _, _, bit in inner:
            taken |= bit
        disabled = 0
        for v in subset:
            disabled |= fair & ~graph.enabled[v]
        if fair & ~(taken | disabled) == 0:
            return True
    assert n >= 1
    return False


@settings(max_examples=200, deadline=None)
@given(random_graphs())
def test_find_lasso_agrees_with_brute_force(case: tuple[list[Node], bytearray, int]) -> None:
    nodes, goal, fair = case
    graph = build(nodes)
    lasso = find_lasso(graph, goal, [0], fair)
    assert (lasso is not None) == brute_force_fair_loop_exists(nodes, goal, fair)
    if lasso is not None:
        assert lasso.prefix[0] == 0
        assert_fair(graph, goal, lasso, fair)


@pytest.mark.parametrize("fair", [A, A | B])
def test_lasso_is_deterministic(fair: int) -> None:
    graph = build(RING_A_OFF_IN_1)
    first = find_lasso(graph, goals(3, 2), [0], fair)
    assert first is not None
    assert all(find_lasso(graph, goals(3, 2), [0], fair) == first for _ in range(3))


# --- TLA+'s WF over state-changing steps, and leads-to sources -----------------------


def test_a_stutter_neither_takes_nor_enables_a_class() -> None:
    """SelfLoop: x = 0 may step to 0 (a stutter) or to 1 (the goal), both class A.

    The engine gives the stutter no class and does not count it as enabling A, so A is
    enabled at 0 (the step to 1) and never taken by the loop: no fair lasso avoids 1.
    TLC agrees (WF_x(Next) with Next == x = 0 /\\ x' \\in {0, 1}: <>(x = 1) holds).
    """
    graph = build([([(0, 0), (1, A)], 0), ([], 0)])
    assert find_lasso(graph, goals(2, 1), [0], A) is None
    assert find_lasso(graph, goals(2, 1), [0], 0) == Lasso((0,), (), ())  # unfair: stutters
    # Only the stutter: A is not enabled at 0 (ENABLED <<A>>_x is false), so 0 may stutter.
    alone = build([([(0, 0)], 0), ([], 0)])
    assert find_lasso(alone, goals(2, 1), [0], A) == Lasso((0,), (), ())


def test_leads_to_starts_at_the_premise_at_its_depth() -> None:
    """0 -> 1 -> 2 -> 3 (the goal), and 2 <-> 4 by B: with the premise at 1 and at 4,
    the lasso starts from the nearer source by distance from the initial state."""
    nodes: list[Node] = [
        ([(1, A)], 0),
        ([(2, A)], 0),
        ([(3, A), (4, B)], 0),
        ([], 0),
        ([(2, B)], 0),
    ]
    graph = build(nodes)
    # Fair to B only: at 1 no B step is possible, so stuttering there is fair.
    lasso = find_lasso(graph, goals(5, 3), [1, 4], B, [1, 3])
    assert lasso == Lasso((1,), (), ())
    # The premise at 4 only: the search starts there, at its depth.
    lasso = find_lasso(graph, goals(5, 3), [4], B, [3])
    assert lasso is not None and lasso.prefix == (4,) and lasso.cycle_ordinals == (0, 1)
    assert_fair(graph, goals(5, 3), lasso, B)
    # Fair to A and B: A is not enabled at 4, so 2 <-> 4 is weakly fair still.
    lasso = find_lasso(graph, goals(5, 3), [1, 4], A | B, [1, 3])
    assert lasso is not None and lasso.prefix == (1, 2)
    assert_fair(graph, goals(5, 3), lasso, A | B)
    # With A enabled at 4 too (4 -> 3), every fair behaviour from a premise ends at 3.
    graph = build([*nodes[:4], ([(2, B), (3, A)], 0)])
    assert find_lasso(graph, goals(5, 3), [1, 4], A | B, [1, 3]) is None
    # A premise that is a goal state is no source at all.
    assert find_lasso(graph, goals(5, 3), [3], 0, [3]) is None


def test_graph_columns_widen_when_a_value_outgrows_them() -> None:
    """The columns start one byte wide and widen, values kept, when one outgrows them."""
    graph = Graph()
    graph.add_edge(0, 3, 1)
    graph.add_edge(0, 300, 1 << 299)  # an ordinal past a byte, a class past 255
    graph.close_node(1 << 70)  # more than 64 fairness classes: a list of ints
    assert list(graph.ordinal) == [3, 300] and graph.ordinal.typecode == "H"
    assert list(graph.cls) == [1, 300] and graph.cls.typecode == "H"
    assert graph.enabled == [1 << 70]
    assert graph.nbytes() > 0
