"""EWD840: Dijkstra's termination detection on a ring (EWD840.tla).

E. W. Dijkstra, W. H. J. Feijen and A. J. M. van Gasteren, "Derivation of a termination
detection algorithm for distributed computations", Information Processing Letters 16(5),
1983 (EWD 840); after Stephan Merz's EWD840.tla in the TLA+ examples
(github.com/tlaplus/Examples, specifications/ewd840). The TLA+ module of the
cross-check suite is `tests/fixtures/tlc/EWD840/EWD840.tla`.

N nodes on a ring, each active or passive, white or black. A token goes from node 0 to
N-1, N-2, ..., back to 0, turning black at a black node; node 0 concludes termination
when the token comes back white and node 0 is white and passive. Transcribed
one-to-one, action by action:

    InitiateProbe == /\\ tpos = 0
                     /\\ tcolor = "black" \\/ color[0] = "black"
                     /\\ tpos' = N - 1 /\\ tcolor' = "white"
                     /\\ color' = [color EXCEPT ![0] = "white"] /\\ UNCHANGED active
    PassToken(i) == /\\ tpos = i
                    /\\ ~active[i] \\/ color[i] = "black" \\/ tcolor = "black"
                    /\\ tpos' = i - 1
                    /\\ tcolor' = IF color[i] = "black" THEN "black" ELSE tcolor
                    /\\ color' = [color EXCEPT ![i] = "white"] /\\ UNCHANGED active
    System == InitiateProbe \\/ \\E i \\in Node \\ {0} : PassToken(i)
    SendMsg(i) == /\\ active[i]
                  /\\ \\E j \\in Node \\ {i} :
                        /\\ active' = [active EXCEPT ![j] = TRUE]
                        /\\ color' = [color EXCEPT ![i] = IF j > i THEN "black" ELSE @]
                  /\\ UNCHANGED <<tpos, tcolor>>
    Deactivate(i) == active[i] /\\ active' = [active EXCEPT ![i] = FALSE] /\\ ...
    Environment == \\E i \\in Node : SendMsg(i) \\/ Deactivate(i)
    Spec == Init /\\ [][Next]_vars /\\ WF_vars(System)
    Liveness == terminated ~> terminationDetected

`\\E j` in SendMsg(i) is the action's second argument, `SendMsg(i, j)`. The fairness
classes are the two named disjuncts: `system` (InitiateProbe and every PassToken(i),
one class since WF_vars(System) is one condition) and `environment` (never fair).
`Init` leaves activity, colours and the token's place free: 2^N * 2^N * N initial
states, enumerated in the order active, color, tpos (each node's FALSE/white first).

What both tools find for N = 3: 302 distinct states, depth 8; TerminationDetection and
Dijkstra's invariant `Inv` hold, and so does `Liveness`, thanks to WF_vars(System)
(without it, the token may stop forever). The algorithm ends once termination is
detected: those states have no successor, TLC checks no deadlock, and the port says
they are the proper ends (`terminal_ok`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import ClassVar

import attrs

from spec.core import (
    Config,
    Eventually,
    GuardError,
    Invariant,
    Model,
    Specification,
    action_name,
    invariant,
    leads_to,
    param,
    put,
)

WHITE = "white"
BLACK = "black"
#: Color == {"white", "black"}, in that order.
COLOR = (WHITE, BLACK)


@attrs.frozen
class EWD840Config(Config):
    """The size of the ring (the constant N)."""

    nodes: int = param(3, low=1, high=6, help="number of nodes on the ring (the constant N)")


@attrs.frozen
class RingState:
    """`active[i]`, `color[i]` per node; `tpos`: the token's node; `tcolor`: its colour."""

    active: tuple[bool, ...]
    color: tuple[str, ...]
    tpos: int
    tcolor: str


@attrs.frozen
class InitiateProbe:
    """InitiateProbe: node 0 sends a white token to node N-1 and whitens."""

    NAME: ClassVar[str] = "initiate_probe"


@attrs.frozen
class PassToken:
    """PassToken(i): node i > 0 hands the token to node i-1."""

    NAME: ClassVar[str] = "pass_token"
    i: int


@attrs.frozen
class SendMsg:
    """SendMsg(i) with the \\E j: active node i activates node j."""

    NAME: ClassVar[str] = "send_msg"
    i: int
    j: int


@attrs.frozen
class Deactivate:
    """Deactivate(i): active node i becomes passive."""

    NAME: ClassVar[str] = "deactivate"
    i: int


Action = InitiateProbe | PassToken | SendMsg | Deactivate


SYSTEM = "system"
ENVIRONMENT = "environment"


def probe_guard(s: RingState) -> bool:
    """InitiateProbe's guard: tpos = 0 /\\ (tcolor = "black" \\/ color[0] = "black")."""
    return s.tpos == 0 and (s.tcolor == BLACK or s.color[0] == BLACK)


def pass_guard(s: RingState, i: int) -> bool:
    """PassToken(i)'s guard: tpos = i, and node i passive, or node i or the token black."""
    return s.tpos == i and (not s.active[i] or s.color[i] == BLACK or s.tcolor == BLACK)


def terminated(s: RingState) -> bool:
    """terminated == \\A i \\in Node : ~active[i]."""
    return not any(s.active)


def termination_detected(s: RingState) -> bool:
    """terminationDetected: a white token at white, passive node 0."""
    return s.tpos == 0 and s.tcolor == WHITE and s.color[0] == WHITE and not s.active[0]


@invariant
def termination_detection(s: RingState) -> bool:
    """TerminationDetection == terminationDetected => terminated."""
    return not termination_detected(s) or terminated(s)


@invariant
def inv(s: RingState) -> bool:
    """Inv: the nodes above tpos are passive, or a node in 0..tpos is black, or the token."""
    return (
        all(not s.active[i] for i in range(s.tpos + 1, len(s.active)))
        or any(s.color[j] == BLACK for j in range(s.tpos + 1))
        or s.tcolor == BLACK
    )


@leads_to(terminated, SYSTEM)
def liveness(s: RingState) -> bool:
    """Liveness == terminated ~> terminationDetected, under WF_vars(System)."""
    return termination_detected(s)


class EWD840(Model[RingState, Action]):
    """The ring of `nodes` nodes."""

    def __init__(self, config: EWD840Config) -> None:
        self.config = config
        self.nodes = tuple(range(config.nodes))

    def initial(self) -> Sequence[RingState]:
        """Init: active \\in [Node -> BOOLEAN], color \\in [Node -> Color], tpos \\in Node,
        tcolor = "black"."""
        n = self.config.nodes
        return tuple(
            RingState(active, color, tpos, BLACK)
            for active in itertools.product((False, True), repeat=n)
            for color in itertools.product(COLOR, repeat=n)
            for tpos in self.nodes
        )

    def honest_actions(self, s: RingState) -> list[Action]:
        """Next == System \\/ Environment, disjunct by disjunct."""
        result: list[Action] = []
        if probe_guard(s):
            result.append(InitiateProbe())
        result += [PassToken(i) for i in self.nodes[1:] if pass_guard(s, i)]
        for i in self.nodes:
            if s.active[i]:
                result += [SendMsg(i, j) for j in self.nodes if j != i]
                result.append(Deactivate(i))
        return result

    def step(self, s: RingState, action: Action) -> RingState:
        """The action's primed equations, once its guard holds."""
        name = action_name(action)
        if isinstance(action, InitiateProbe):
            if not probe_guard(s):
                raise GuardError(name, "probe", "node 0 lacks the token or nothing is black")
            return attrs.evolve(
                s, tpos=self.config.nodes - 1, tcolor=WHITE, color=put(s.color, 0, WHITE)
            )
        i = action.i
        if i not in self.nodes:
            raise GuardError(name, "node", f"no node {i}")
        if isinstance(action, PassToken):
            if i == 0 or not pass_guard(s, i):
                raise GuardError(name, "pass", f"node {i} may not pass the token")
            tcolor = BLACK if s.color[i] == BLACK else s.tcolor
            return attrs.evolve(s, tpos=i - 1, tcolor=tcolor, color=put(s.color, i, WHITE))
        if not s.active[i]:
            raise GuardError(name, "active", f"node {i} is passive")
        if isinstance(action, SendMsg):
            j = action.j
            if j == i or j not in self.nodes:
                raise GuardError(name, "other_node", f"node {i} cannot send to {j}")
            color = put(s.color, i, BLACK) if j > i else s.color
            return attrs.evolve(s, active=put(s.active, j, True), color=color)
        return attrs.evolve(s, active=put(s.active, i, False))

    def invariants(self) -> Sequence[Invariant[RingState]]:
        """TerminationDetection and Dijkstra's Inv."""
        return (termination_detection, inv)

    def eventually(self) -> Sequence[Eventually[RingState]]:
        """Liveness, under weak fairness of System."""
        return (liveness,)

    def action_class(self, action: Action) -> str:
        """`system` for the token's moves, `environment` for the nodes' own steps."""
        return SYSTEM if isinstance(action, InitiateProbe | PassToken) else ENVIRONMENT

    def action_classes(self) -> Sequence[str]:
        """System and Environment."""
        return (SYSTEM, ENVIRONMENT)

    def terminal_ok(self, s: RingState) -> bool:
        """Termination detected: every node passive, a white token back at white node 0.

        These are exactly the states without a successor: a passive node i > 0 with the
        token may pass it, and node 0 may start a probe unless the round was white.
        """
        return terminated(s) and termination_detected(s)


SPEC = Specification(
    name="ewd840",
    summary="Dijkstra's termination detection on a ring (EWD 840), under WF of the token",
    config_type=EWD840Config,
    build=EWD840,
)
