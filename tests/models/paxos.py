"""Paxos: single-decree Paxos by message passing (Paxos.tla).

L. Lamport, "The part-time parliament", ACM TOCS 16(2), 1998, and "Paxos made simple",
2001; the message-passing formulation of Lamport's Paxos.tla in the TLA+ examples
(github.com/tlaplus/Examples, specifications/Paxos). The TLA+ module of the cross-check
suite is `tests/fixtures/tlc/Paxos/Paxos.tla`: acceptors 1..NAcceptors, values
1..NValues, ballots 0..MaxBallot, the quorums are the majorities.

`msgs` is the set of every message ever sent (a message may be received any number of
times, or never). Transcribed one-to-one; each `\\E m \\in msgs` that picks the message
a step answers becomes the action's arguments:

    Phase1a(b) == Send([type |-> "1a", bal |-> b]) /\\ UNCHANGED <<maxBal, maxVBal, maxVal>>
    Phase1b(a) == \\E m \\in msgs : m.type = "1a" /\\ m.bal > maxBal[a] /\\ ...
                                        -- here Phase1b(a, b), m = [type |-> "1a", bal |-> b]
    Phase2a(b, v) == /\\ ~\\E m \\in msgs : m.type = "2a" /\\ m.bal = b
                     /\\ \\E Q \\in Quorum :
                           /\\ \\A a \\in Q : \\E m \\in Joined(Q, b) : m.acc = a
                           /\\ \\/ Voted(Q, b) = {}
                              \\/ \\E m \\in Voted(Q, b) : /\\ m.mval = v
                                                         /\\ \\A mm ... : m.mbal >= mm.mbal
                     /\\ Send([type |-> "2a", bal |-> b, val |-> v]) /\\ UNCHANGED ...
    Phase2b(a) == \\E m \\in msgs : m.type = "2a" /\\ m.bal >= maxBal[a] /\\ ...
                                        -- here Phase2b(a, b, v), m = [type |-> "2a", ...]
    Next == \\/ \\E b \\in Ballot : Phase1a(b) \\/ \\E v \\in Value : Phase2a(b, v)
            \\/ \\E a \\in Acceptor : Phase1b(a) \\/ Phase2b(a)

The quorum Q of Phase2a is not an argument: it only decides whether the step is
enabled, and every quorum gives the same successor (TLC counts one generated state per
quorum that fits; see tests/test_tlc_classics.py). Acceptor a's variables are at index
a - 1 of the tuples.

Properties: `consistency` (at most one value is chosen) holds; `nothing_chosen` is
claimed so that it is refuted, as DieHard's NotSolved: a shortest run choosing a value
has 6 steps (1a, two 1b, 2a, two 2b). For 3 acceptors, 2 values and ballots 0..1:
3921 states, depth 16, no deadlock (Phase1a is always enabled, if only as a stutter).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import ClassVar

import attrs

from spec.core import (
    Config,
    GuardError,
    Invariant,
    Model,
    Specification,
    action_name,
    invariant,
    param,
    put,
)

NONE = 0  # None == 0: not a value


@attrs.frozen
class PaxosConfig(Config):
    """The constants NAcceptors, NValues and MaxBallot."""

    acceptors: int = param(3, low=1, high=5, help="number of acceptors (NAcceptors)")
    values: int = param(2, low=1, high=3, help="number of values (NValues)")
    max_ballot: int = param(1, low=0, high=3, help="the highest ballot (MaxBallot)")


@attrs.frozen
class M1a:
    """[type |-> "1a", bal |-> bal]."""

    bal: int


@attrs.frozen
class M1b:
    """[type |-> "1b", acc |-> acc, bal |-> bal, mbal |-> mbal, mval |-> mval]."""

    acc: int
    bal: int
    mbal: int
    mval: int


@attrs.frozen
class M2a:
    """[type |-> "2a", bal |-> bal, val |-> val]."""

    bal: int
    val: int


@attrs.frozen
class M2b:
    """[type |-> "2b", acc |-> acc, bal |-> bal, val |-> val]."""

    acc: int
    bal: int
    val: int


Message = M1a | M1b | M2a | M2b


@attrs.frozen
class PaxosState:
    """maxBal, maxVBal, maxVal per acceptor (index a - 1), and the messages sent."""

    max_bal: tuple[int, ...]
    max_vbal: tuple[int, ...]
    max_val: tuple[int, ...]
    msgs: frozenset[Message]


@attrs.frozen
class Phase1a:
    """Phase1a(b): ballot b begins."""

    NAME: ClassVar[str] = "phase1a"
    b: int


@attrs.frozen
class Phase2a:
    """Phase2a(b, v): ballot b proposes v."""

    NAME: ClassVar[str] = "phase2a"
    b: int
    v: int


@attrs.frozen
class Phase1b:
    """Phase1b(a) answering the 1a message of ballot b."""

    NAME: ClassVar[str] = "phase1b"
    a: int
    b: int


@attrs.frozen
class Phase2b:
    """Phase2b(a) answering the 2a message of ballot b for value v."""

    NAME: ClassVar[str] = "phase2b"
    a: int
    b: int
    v: int


Action = Phase1a | Phase2a | Phase1b | Phase2b


class Paxos(Model[PaxosState, Action]):
    """Paxos for one configuration of the constants."""

    def __init__(self, config: PaxosConfig) -> None:
        self.config = config
        self.acceptor = tuple(range(1, config.acceptors + 1))
        self.value = tuple(range(1, config.values + 1))
        self.ballot = tuple(range(config.max_ballot + 1))
        #: Quorum == {Q \in SUBSET Acceptor : 2 * Cardinality(Q) > NAcceptors}
        self.quorum = tuple(
            frozenset(q)
            for k in range(len(self.acceptor) + 1)
            for q in itertools.combinations(self.acceptor, k)
            if 2 * k > len(self.acceptor)
        )

    # -- the guards ----------------------------------------------------------------

    def joined(self, s: PaxosState, q: frozenset[int], b: int) -> list[M1b]:
        """Joined(Q, b): the 1b messages of ballot b from the acceptors of Q."""
        return [m for m in s.msgs if isinstance(m, M1b) and m.acc in q and m.bal == b]

    def safe_quorums(self, s: PaxosState, b: int, v: int) -> list[frozenset[int]]:
        """The quorums Q that witness Phase2a(b, v)'s \\E Q \\in Quorum."""
        result = []
        for q in self.quorum:
            joined = self.joined(s, q, b)
            if {m.acc for m in joined} != q:
                continue
            voted = [m for m in joined if m.mbal >= 0]
            if not voted or any(
                m.mval == v and all(m.mbal >= mm.mbal for mm in voted) for m in voted
            ):
                result.append(q)
        return result

    def phase2a_enabled(self, s: PaxosState, b: int, v: int) -> bool:
        """Phase2a(b, v)'s guards: no 2a message of ballot b yet, and a quorum fits."""
        no_2a = not any(isinstance(m, M2a) and m.bal == b for m in s.msgs)
        return no_2a and bool(self.safe_quorums(s, b, v))

    # -- the model -----------------------------------------------------------------

    def initial(self) -> Sequence[PaxosState]:
        """Init: maxBal = maxVBal = -1, maxVal = None for every acceptor; msgs = {}."""
        n = len(self.acceptor)
        return (PaxosState((-1,) * n, (-1,) * n, (NONE,) * n, frozenset()),)

    def honest_actions(self, s: PaxosState) -> list[Action]:
        """Next, disjunct by disjunct: per ballot Phase1a, Phase2a per value; per
        acceptor Phase1b per 1a message, Phase2b per 2a message (by ballot, value)."""
        result: list[Action] = []
        for b in self.ballot:
            result.append(Phase1a(b))
            result += [Phase2a(b, v) for v in self.value if self.phase2a_enabled(s, b, v)]
        for a in self.acceptor:
            result += [
                Phase1b(a, b) for b in self.ballot if M1a(b) in s.msgs and b > s.max_bal[a - 1]
            ]
            result += [
                Phase2b(a, b, v)
                for b in self.ballot
                for v in self.value
                if M2a(b, v) in s.msgs and b >= s.max_bal[a - 1]
            ]
        return result

    def step(self, s: PaxosState, action: Action) -> PaxosState:
        """The action's Send and primed equations, once its guards hold."""
        name = action_name(action)
        if action.b not in self.ballot:
            raise GuardError(name, "ballot", f"no ballot {action.b}")
        if isinstance(action, Phase1a):
            return attrs.evolve(s, msgs=s.msgs | {M1a(action.b)})
        if isinstance(action, Phase2a):
            if not self.phase2a_enabled(s, action.b, action.v):
                raise GuardError(name, "safe_quorum", f"no 2a for {action.b}, {action.v}")
            return attrs.evolve(s, msgs=s.msgs | {M2a(action.b, action.v)})
        a, b = action.a, action.b
        if a not in self.acceptor:
            raise GuardError(name, "acceptor", f"no acceptor {a}")
        i = a - 1
        if isinstance(action, Phase1b):
            if M1a(b) not in s.msgs or b <= s.max_bal[i]:
                raise GuardError(name, "higher_1a", f"no 1a of ballot {b} above {s.max_bal[i]}")
            sent = M1b(a, b, s.max_vbal[i], s.max_val[i])
            return attrs.evolve(s, max_bal=put(s.max_bal, a - 1, b), msgs=s.msgs | {sent})
        v = action.v
        if M2a(b, v) not in s.msgs or b < s.max_bal[i]:
            raise GuardError(name, "2a_not_below", f"no 2a of ballot {b} for {v} at {a}")
        return PaxosState(
            max_bal=put(s.max_bal, a - 1, b),
            max_vbal=put(s.max_vbal, a - 1, b),
            max_val=put(s.max_val, a - 1, v),
            msgs=s.msgs | {M2b(a, b, v)},
        )

    def chosen(self, s: PaxosState) -> set[int]:
        """Chosen: the values some quorum voted for in one ballot."""
        return {
            v
            for v in self.value
            if any(all(M2b(a, b, v) in s.msgs for a in q) for b in self.ballot for q in self.quorum)
        }

    def invariants(self) -> Sequence[Invariant[PaxosState]]:
        """Consistency, and NothingChosen (claimed, to be refuted)."""

        def consistency(s: PaxosState) -> bool:
            """Consistency == Cardinality(Chosen) <= 1: at most one value is chosen."""
            return len(self.chosen(s)) <= 1

        def nothing_chosen(s: PaxosState) -> bool:
            """NothingChosen == Chosen = {}: claimed; refuted by a shortest choice."""
            return not self.chosen(s)

        return (invariant(consistency), invariant(nothing_chosen))


SPEC = Specification(
    name="paxos",
    summary="single-decree Paxos by message passing: at most one value is chosen",
    config_type=PaxosConfig,
    build=Paxos,
)
