"""TCommit: Lamport's specification of transaction commit (TCommit.tla).

As explained in "Transaction Commit", Lecture 5 of Lamport's TLA+ Video Course, after
Gray and Lamport, "Consensus on Transaction Commit" (2006). `RM` is "the set of
participating resource managers"; each is working, prepared, committed or aborted, and
they must all agree on whether the transaction commits or aborts (TCConsistent).

Transcribed one-to-one:

    canCommit    == \\A rm \\in RM : rmState[rm] \\in {"prepared", "committed"}
    notCommitted == \\A rm \\in RM : rmState[rm] # "committed"
    Prepare(rm)  == rmState[rm] = "working" /\\ rmState' = [.. EXCEPT ![rm] = "prepared"]
    Decide(rm)   == \\/ rmState[rm] = "prepared" /\\ canCommit
                       /\\ rmState' = [.. EXCEPT ![rm] = "committed"]
                    \\/ rmState[rm] \\in {"working", "prepared"} /\\ notCommitted
                       /\\ rmState' = [.. EXCEPT ![rm] = "aborted"]

Simplifying choices: the set RM is `0..rms-1`, so `rmState` is a tuple indexed by the
resource manager; the two disjuncts of `Decide(rm)` are one action class, `decide`,
whose `outcome` field says which disjunct is taken (in a state where every RM is
prepared both are enabled, so `step` must be told which).

A test fixture for the checker: 34 reachable states for 3 resource managers (the 27 in
which none committed, and the 7 in which every RM is prepared or committed and some
committed), 13 up to the symmetry that permutes the interchangeable resource managers.
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
    Witness,
    invariant,
    param,
    witness,
)

WORKING = "working"
PREPARED = "prepared"
COMMITTED = "committed"
ABORTED = "aborted"
RM_STATES = (WORKING, PREPARED, COMMITTED, ABORTED)


@attrs.frozen
class TCommitConfig(Config):
    """How many resource managers take part."""

    rms: int = param(3, low=1, high=10, help="number of resource managers (the set RM)")


@attrs.frozen
class TCState:
    """`rm_state[rm]`: the state of resource manager `rm` (the spec's `rmState`)."""

    rm_state: tuple[str, ...]


@attrs.frozen
class Prepare:
    """Prepare(rm): a working resource manager prepares."""

    rm: int


@attrs.frozen
class Decide:
    """Decide(rm): a resource manager commits or aborts; `outcome` names the disjunct."""

    rm: int
    outcome: str  # COMMITTED or ABORTED


Action = Prepare | Decide


def can_commit(state: TCState) -> bool:
    """canCommit == \\A rm \\in RM : rmState[rm] \\in {"prepared", "committed"}."""
    return all(s in (PREPARED, COMMITTED) for s in state.rm_state)


def not_committed(state: TCState) -> bool:
    """notCommitted == \\A rm \\in RM : rmState[rm] # "committed"."""
    return all(s != COMMITTED for s in state.rm_state)


@invariant
def tc_type_ok(state: TCState) -> bool:
    """TCTypeOK == rmState \\in [RM -> {"working", "prepared", "committed", "aborted"}]."""
    return all(s in RM_STATES for s in state.rm_state)


@invariant
def tc_consistent(state: TCState) -> bool:
    """TCConsistent: no resource manager has aborted while another has committed."""
    return not (ABORTED in state.rm_state and COMMITTED in state.rm_state)


@witness
def some_committed(state: TCState) -> bool:
    """Some resource manager has committed (the transaction can commit at all)."""
    return COMMITTED in state.rm_state


@witness
def all_aborted(state: TCState) -> bool:
    """Every resource manager has aborted (the transaction can abort)."""
    return all(s == ABORTED for s in state.rm_state)


class TCommit(Model[TCState, Action]):
    """Transaction commit over `rms` resource managers."""

    symmetry_default: ClassVar[bool] = False

    def __init__(self, config: TCommitConfig) -> None:
        self.config = config

    def initial(self) -> Sequence[TCState]:
        """TCInit == rmState = [rm \\in RM |-> "working"]."""
        return (TCState((WORKING,) * self.config.rms),)

    def honest_actions(self, state: TCState) -> list[Action]:
        """Per resource manager: Prepare, then Decide to commit, then Decide to abort."""
        result: list[Action] = []
        commit_ok = can_commit(state)
        abort_ok = not_committed(state)
        for rm, s in enumerate(state.rm_state):
            if s == WORKING:
                result.append(Prepare(rm))
            if s == PREPARED and commit_ok:
                result.append(Decide(rm, COMMITTED))
            if s in (WORKING, PREPARED) and abort_ok:
                result.append(Decide(rm, ABORTED))
        return result

    def step(self, state: TCState, action: Action) -> TCState:
        """rmState' = [rmState EXCEPT ![rm] = ...], once the disjunct's guards hold."""
        if not 0 <= action.rm < self.config.rms:
            raise GuardError(type(action).__name__, "rm_in_RM", f"no resource manager {action.rm}")
        current = state.rm_state[action.rm]
        if isinstance(action, Prepare):
            if current != WORKING:
                raise GuardError("Prepare", "working", f"rm {action.rm} is {current}")
            new = PREPARED
        elif action.outcome == COMMITTED:
            if current != PREPARED:
                raise GuardError("Decide", "prepared", f"rm {action.rm} is {current}")
            if not can_commit(state):
                raise GuardError("Decide", "canCommit", "some resource manager is working")
            new = COMMITTED
        elif action.outcome == ABORTED:
            if current not in (WORKING, PREPARED):
                raise GuardError("Decide", "working_or_prepared", f"rm {action.rm} is {current}")
            if not not_committed(state):
                raise GuardError("Decide", "notCommitted", "some resource manager committed")
            new = ABORTED
        else:
            raise GuardError("Decide", "outcome", f"no outcome {action.outcome!r}")
        rm_state = (*state.rm_state[: action.rm], new, *state.rm_state[action.rm + 1 :])
        return attrs.evolve(state, rm_state=rm_state)

    def invariants(self) -> Sequence[Invariant[TCState]]:
        """TCTypeOK and TCConsistent."""
        return (tc_type_ok, tc_consistent)

    def witnesses(self) -> Sequence[Witness[TCState]]:
        """The transaction can commit, and it can abort."""
        return (some_committed, all_aborted)

    def terminal_ok(self, state: TCState) -> bool:
        """Every resource manager has decided: that is the end of the transaction.

        With TCConsistent, the states where nothing is enabled are exactly the two where
        all committed or all aborted: a prepared RM can always still abort unless
        another committed, and then every RM is prepared or committed and it can commit.
        """
        return all(s in (COMMITTED, ABORTED) for s in state.rm_state)

    def canonical(self, state: TCState) -> TCState:
        """Resource managers are interchangeable: sort their states."""
        return TCState(tuple(sorted(state.rm_state)))


SPEC = Specification(
    name="tcommit",
    summary="Lamport's TCommit: resource managers agree to commit or abort",
    config_type=TCommitConfig,
    build=TCommit,
)
