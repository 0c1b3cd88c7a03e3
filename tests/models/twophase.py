"""TwoPhase: the two-phase commit protocol (TwoPhase.tla).

J. Gray and L. Lamport, "Consensus on transaction commit", ACM TODS 31(1), 2006, as in
Lamport's TwoPhase.tla (TLA+ video course, lecture 6; github.com/tlaplus/Examples,
specifications/transaction_commit). The TLA+ module of the cross-check suite is
`tests/fixtures/tlc/TwoPhase/TwoPhase.tla`, with the resource managers numbered 1..NRM
(index r - 1 of `rm_state`).

A transaction manager (TM) commits once every resource manager (RM) has sent it
"Prepared", or aborts at will; a working RM may also abort on its own. `msgs` is the
set of every message sent: `Prepared(r)` from RM r to the TM, `Commit` and `Abort`
broadcast by the TM. Transcribed one-to-one, action by action:

    TMRcvPrepared(r) == tmState = "init" /\\ [type |-> "Prepared", rm |-> r] \\in msgs
                        /\\ tmPrepared' = tmPrepared \\cup {r} /\\ UNCHANGED ...
    TMCommit == tmState = "init" /\\ tmPrepared = RM /\\ tmState' = "committed"
                /\\ msgs' = msgs \\cup {[type |-> "Commit"]} /\\ UNCHANGED ...
    TMAbort  == tmState = "init" /\\ tmState' = "aborted"
                /\\ msgs' = msgs \\cup {[type |-> "Abort"]} /\\ UNCHANGED ...
    RMPrepare(r) == rmState[r] = "working" /\\ SetRM(r, "prepared")
                    /\\ msgs' = msgs \\cup {[type |-> "Prepared", rm |-> r]} /\\ UNCHANGED ...
    RMChooseToAbort(r) == rmState[r] = "working" /\\ SetRM(r, "aborted") /\\ UNCHANGED ...
    RMRcvCommitMsg(r)  == [type |-> "Commit"] \\in msgs /\\ SetRM(r, "committed") /\\ ...
    RMRcvAbortMsg(r)   == [type |-> "Abort"] \\in msgs /\\ SetRM(r, "aborted") /\\ ...
    TPNext == \\/ TMCommit \\/ TMAbort
              \\/ \\E r \\in RM : TMRcvPrepared(r) \\/ RMPrepare(r) \\/ RMChooseToAbort(r)
                               \\/ RMRcvCommitMsg(r) \\/ RMRcvAbortMsg(r)

A message stays in `msgs`, so receiving it again is a step to the same state: those
steps are listed as enabled (TLC generates them too), and no state is a deadlock.
For 3 RMs: 288 states, 1146 generated, depth 10; TCConsistent holds. The module's
TPTypeOK is not ported and its cfg does not list it (a TLC run saved).
"""

from __future__ import annotations

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
)

WORKING = "working"
PREPARED = "prepared"
COMMITTED = "committed"
ABORTED = "aborted"
INIT = "init"


@attrs.frozen
class TwoPhaseConfig(Config):
    """How many resource managers (the constant NRM)."""

    rms: int = param(3, low=1, high=9, help="number of resource managers (NRM)")


@attrs.frozen
class PreparedMsg:
    """[type |-> "Prepared", rm |-> rm]."""

    rm: int


@attrs.frozen
class CommitMsg:
    """[type |-> "Commit"]."""


@attrs.frozen
class AbortMsg:
    """[type |-> "Abort"]."""


Message = PreparedMsg | CommitMsg | AbortMsg


@attrs.frozen
class TPState:
    """rmState (RM r at index r - 1), tmState, tmPrepared and msgs."""

    rm_state: tuple[str, ...]
    tm_state: str
    tm_prepared: frozenset[int]
    msgs: frozenset[Message]


@attrs.frozen
class TMCommit:
    """TMCommit: the TM commits, every RM being prepared."""

    NAME: ClassVar[str] = "tm_commit"


@attrs.frozen
class TMAbort:
    """TMAbort: the TM aborts at will."""

    NAME: ClassVar[str] = "tm_abort"


@attrs.frozen
class TMRcvPrepared:
    """TMRcvPrepared(r): the TM receives RM r's "Prepared"."""

    NAME: ClassVar[str] = "tm_rcv_prepared"
    r: int


@attrs.frozen
class RMPrepare:
    """RMPrepare(r): working RM r prepares and says so."""

    NAME: ClassVar[str] = "rm_prepare"
    r: int


@attrs.frozen
class RMChooseToAbort:
    """RMChooseToAbort(r): working RM r aborts on its own."""

    NAME: ClassVar[str] = "rm_choose_to_abort"
    r: int


@attrs.frozen
class RMRcvCommitMsg:
    """RMRcvCommitMsg(r): RM r receives the TM's "Commit"."""

    NAME: ClassVar[str] = "rm_rcv_commit_msg"
    r: int


@attrs.frozen
class RMRcvAbortMsg:
    """RMRcvAbortMsg(r): RM r receives the TM's "Abort"."""

    NAME: ClassVar[str] = "rm_rcv_abort_msg"
    r: int


Action = (
    TMCommit
    | TMAbort
    | TMRcvPrepared
    | RMPrepare
    | RMChooseToAbort
    | RMRcvCommitMsg
    | RMRcvAbortMsg
)
PerRM = TMRcvPrepared | RMPrepare | RMChooseToAbort | RMRcvCommitMsg | RMRcvAbortMsg
#: The order of the disjuncts of \E r \in RM : ... in TPNext.
PER_RM: tuple[type[PerRM], ...] = (
    TMRcvPrepared,
    RMPrepare,
    RMChooseToAbort,
    RMRcvCommitMsg,
    RMRcvAbortMsg,
)


@invariant
def tc_consistent(s: TPState) -> bool:
    """TCConsistent: no RM has aborted while another has committed."""
    return not (ABORTED in s.rm_state and COMMITTED in s.rm_state)


class TwoPhase(Model[TPState, Action]):
    """Two-phase commit with `rms` resource managers."""

    def __init__(self, config: TwoPhaseConfig) -> None:
        self.config = config
        self.rm = tuple(range(1, config.rms + 1))

    def initial(self) -> Sequence[TPState]:
        """TPInit: every RM working, the TM in "init", nothing prepared or sent."""
        return (TPState((WORKING,) * self.config.rms, INIT, frozenset(), frozenset()),)

    def guard(self, s: TPState, action: Action) -> str | None:
        """The name of the first guard of `action` that fails in `s`, or None."""
        if isinstance(action, TMCommit | TMAbort):
            if s.tm_state != INIT:
                return "tm_init"
            if isinstance(action, TMCommit) and s.tm_prepared != frozenset(self.rm):
                return "all_prepared"
            return None
        if action.r not in self.rm:
            return "rm"
        here = s.rm_state[action.r - 1]
        if isinstance(action, TMRcvPrepared):
            if s.tm_state != INIT:
                return "tm_init"
            return None if PreparedMsg(action.r) in s.msgs else "prepared_sent"
        if isinstance(action, RMPrepare | RMChooseToAbort):
            return None if here == WORKING else "working"
        if isinstance(action, RMRcvCommitMsg):
            return None if CommitMsg() in s.msgs else "commit_sent"
        return None if AbortMsg() in s.msgs else "abort_sent"

    def honest_actions(self, s: TPState) -> list[Action]:
        """TPNext, disjunct by disjunct, each per RM in order."""
        candidates: list[Action] = [TMCommit(), TMAbort()]
        candidates += [kind(r) for r in self.rm for kind in PER_RM]
        return [a for a in candidates if self.guard(s, a) is None]

    def step(self, s: TPState, action: Action) -> TPState:
        """The action's primed equations, once its guard holds."""
        failed = self.guard(s, action)
        if failed is not None:
            raise GuardError(action_name(action), failed, f"{action!r} is not enabled")
        if isinstance(action, TMCommit):
            return attrs.evolve(s, tm_state=COMMITTED, msgs=s.msgs | {CommitMsg()})
        if isinstance(action, TMAbort):
            return attrs.evolve(s, tm_state=ABORTED, msgs=s.msgs | {AbortMsg()})
        r = action.r
        if isinstance(action, TMRcvPrepared):
            return attrs.evolve(s, tm_prepared=s.tm_prepared | {r})
        new = {
            RMPrepare: PREPARED,
            RMChooseToAbort: ABORTED,
            RMRcvCommitMsg: COMMITTED,
            RMRcvAbortMsg: ABORTED,
        }[type(action)]
        rm_state = (*s.rm_state[: r - 1], new, *s.rm_state[r:])
        msgs = s.msgs | {PreparedMsg(r)} if isinstance(action, RMPrepare) else s.msgs
        return attrs.evolve(s, rm_state=rm_state, msgs=msgs)

    def invariants(self) -> Sequence[Invariant[TPState]]:
        """TCConsistent."""
        return (tc_consistent,)


SPEC = Specification(
    name="twophase",
    summary="two-phase commit (Gray and Lamport): a TM, resource managers, messages",
    config_type=TwoPhaseConfig,
    build=TwoPhase,
)
