"""Peterson: Peterson's mutual exclusion for two processes (Peterson.tla).

G. L. Peterson, "Myths about the mutual exclusion problem", Information Processing
Letters 12(3), 1981; as in the TLA+ examples (github.com/tlaplus/Examples,
specifications/locks_auxiliary_vars/Peterson.tla, a PlusCal version), written as plain
TLA+ with one action per statement in `tests/fixtures/tlc/Peterson/Peterson.tla`.

Each process p loops: noncritical section, raise its flag, give the turn to the other,
wait until the other's flag is down or the turn is p's, critical section, lower its
flag. Transcribed one-to-one:

    LeaveNCS(p)  == pc[p] = "ncs" /\\ Goto(p, "set_flag") /\\ UNCHANGED <<flag, turn>>
    RaiseFlag(p) == pc[p] = "set_flag" /\\ flag' = [flag EXCEPT ![p] = TRUE] /\\ Goto(p, "set_turn")
    GiveTurn(p)  == pc[p] = "set_turn" /\\ turn' = Other(p) /\\ Goto(p, "wait")
    Enter(p)     == /\\ pc[p] = "wait"
                    /\\ ~flag[Other(p)] \\/ turn = p
                    /\\ Goto(p, "cs") /\\ UNCHANGED <<flag, turn>>
    Exit(p)      == pc[p] = "cs" /\\ flag' = [flag EXCEPT ![p] = FALSE] /\\ Goto(p, "ncs")
    Trying(p)    == RaiseFlag(p) \\/ GiveTurn(p) \\/ Enter(p) \\/ Exit(p)
    Next == \\E p \\in Proc : LeaveNCS(p) \\/ Trying(p)
    Spec == Init /\\ [][Next]_vars /\\ \\A p \\in Proc : WF_vars(Trying(p))

Fairness is per process: the class `trying_p` holds process p's RaiseFlag, GiveTurn,
Enter and Exit (one class, as WF_vars(Trying(p)) is one condition on their
disjunction); `ncs_p` holds LeaveNCS(p), which is not fair (a process may stay in its
noncritical section forever).

The properties: `MutualExclusion` (an invariant, holds); `StarvationFree == \\A p \\in
Proc : pc[p] = "set_flag" ~> pc[p] = "cs"`, one `leads_to` per process here
(`starvation_free_0`, `starvation_free_1`), holds thanks to the weak fairness of
Trying; `EntersForever == []<>(pc[0] = "cs")`, that is `TRUE ~> pc[0] = "cs"`, fails:
both processes may stay in their noncritical sections, so the counterexample
stutters in the initial state. No deadlock: 34 states, depth 9.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, TypeVar

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
)

T = TypeVar("T")

NCS = "ncs"
SET_FLAG = "set_flag"
SET_TURN = "set_turn"
WAIT = "wait"
CS = "cs"
#: Proc == {0, 1}
PROC = (0, 1)


@attrs.frozen
class PetersonConfig(Config):
    """No parameters: two processes, as the algorithm is for two."""


@attrs.frozen
class PetersonState:
    """`pc[p]`: process p's next statement; `flag[p]`: p wants in; `turn`: who yields."""

    pc: tuple[str, str]
    flag: tuple[bool, bool]
    turn: int


@attrs.frozen
class LeaveNcs:
    """LeaveNCS(p): process p leaves its noncritical section."""

    NAME: ClassVar[str] = "leave_ncs"
    p: int


@attrs.frozen
class RaiseFlag:
    """RaiseFlag(p): flag[p] := TRUE."""

    NAME: ClassVar[str] = "raise_flag"
    p: int


@attrs.frozen
class GiveTurn:
    """GiveTurn(p): turn := Other(p)."""

    NAME: ClassVar[str] = "give_turn"
    p: int


@attrs.frozen
class Enter:
    """Enter(p): await ~flag[Other(p)] \\/ turn = p, then the critical section."""

    NAME: ClassVar[str] = "enter"
    p: int


@attrs.frozen
class Exit:
    """Exit(p): flag[p] := FALSE, back to the noncritical section."""

    NAME: ClassVar[str] = "exit"
    p: int


Action = LeaveNcs | RaiseFlag | GiveTurn | Enter | Exit

#: Where each action must find its process (pc[p] = ...), and where it sends it.
FROM_TO: dict[type, tuple[str, str]] = {
    LeaveNcs: (NCS, SET_FLAG),
    RaiseFlag: (SET_FLAG, SET_TURN),
    GiveTurn: (SET_TURN, WAIT),
    Enter: (WAIT, CS),
    Exit: (CS, NCS),
}
#: The order of LeaveNCS(p) \/ Trying(p).
ORDER: tuple[type[Action], ...] = (LeaveNcs, RaiseFlag, GiveTurn, Enter, Exit)
TRYING = ("trying_0", "trying_1")


def other(p: int) -> int:
    """Other(p) == 1 - p."""
    return 1 - p


def may_enter(s: PetersonState, p: int) -> bool:
    """Enter(p)'s await: ~flag[Other(p)] \\/ turn = p."""
    return not s.flag[other(p)] or s.turn == p


def _set(pair: tuple[T, T], p: int, value: T) -> tuple[T, T]:
    return (value, pair[1]) if p == 0 else (pair[0], value)


@invariant
def mutual_exclusion(s: PetersonState) -> bool:
    """MutualExclusion == ~(pc[0] = "cs" /\\ pc[1] = "cs")."""
    return s.pc != (CS, CS)


def starvation_free(p: int) -> Eventually[PetersonState]:
    """pc[p] = "set_flag" ~> pc[p] = "cs", under WF_vars(Trying(q)) for both q."""

    def premise(s: PetersonState) -> bool:
        return s.pc[p] == SET_FLAG

    def goal(s: PetersonState) -> bool:
        return s.pc[p] == CS

    goal.__name__ = f"starvation_free_{p}"
    goal.__doc__ = f'StarvationFree for p = {p}: pc[{p}] = "set_flag" ~> pc[{p}] = "cs".'
    return leads_to(premise, *TRYING)(goal)


def _always(s: PetersonState) -> bool:
    return True


@leads_to(_always, *TRYING)
def enters_forever(s: PetersonState) -> bool:
    """EntersForever == []<>(pc[0] = "cs"), i.e. TRUE ~> pc[0] = "cs" (fails: NCS unfair)."""
    return s.pc[0] == CS


class Peterson(Model[PetersonState, Action]):
    """The two processes."""

    def __init__(self, config: PetersonConfig) -> None:
        self.config = config

    def initial(self) -> Sequence[PetersonState]:
        """Init: both in "ncs", both flags down, turn = 0."""
        return (PetersonState((NCS, NCS), (False, False), 0),)

    def honest_actions(self, s: PetersonState) -> list[Action]:
        """\\E p \\in Proc : LeaveNCS(p) \\/ Trying(p): per process, its one enabled step."""
        result: list[Action] = []
        for p in PROC:
            for kind in ORDER:
                if s.pc[p] == FROM_TO[kind][0] and (kind is not Enter or may_enter(s, p)):
                    result.append(kind(p))
        return result

    def step(self, s: PetersonState, action: Action) -> PetersonState:
        """Goto(p, next label), with the statement's effect on flag or turn."""
        name = action_name(action)
        p = action.p
        if p not in PROC:
            raise GuardError(name, "proc", f"no process {p}")
        here, there = FROM_TO[type(action)]
        if s.pc[p] != here:
            raise GuardError(name, "pc", f"process {p} is at {s.pc[p]}, not {here}")
        if isinstance(action, Enter) and not may_enter(s, p):
            raise GuardError(name, "await", f"process {other(p)} wants in and has the turn")
        s = attrs.evolve(s, pc=_set(s.pc, p, there))
        if isinstance(action, RaiseFlag):
            return attrs.evolve(s, flag=_set(s.flag, p, True))
        if isinstance(action, GiveTurn):
            return attrs.evolve(s, turn=other(p))
        if isinstance(action, Exit):
            return attrs.evolve(s, flag=_set(s.flag, p, False))
        return s

    def invariants(self) -> Sequence[Invariant[PetersonState]]:
        """MutualExclusion."""
        return (mutual_exclusion,)

    def eventually(self) -> Sequence[Eventually[PetersonState]]:
        """StarvationFree (per process) and EntersForever."""
        return (starvation_free(0), starvation_free(1), enters_forever)

    def action_class(self, action: Action) -> str:
        """`ncs_p` for LeaveNCS(p), `trying_p` for the rest of process p's steps."""
        kind = "ncs" if isinstance(action, LeaveNcs) else "trying"
        return f"{kind}_{action.p}"

    def action_classes(self) -> Sequence[str]:
        """ncs_0, ncs_1, trying_0, trying_1."""
        return ("ncs_0", "ncs_1", *TRYING)


SPEC = Specification(
    name="peterson",
    summary="Peterson's two-process mutual exclusion: safe and starvation-free under WF",
    config_type=PetersonConfig,
    build=Peterson,
)
