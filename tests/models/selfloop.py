"""SelfLoop: a weakly fair class with a stuttering step beside a real one.

A reproduction, not a published specification (`tests/fixtures/tlc/SelfLoop/`):

    Init == x = 0
    Next == x = 0 /\\ x' \\in {0, 1}
    Spec == Init /\\ [][Next]_x /\\ WF_x(Next)
    Live == <>(x = 1)

`WF_x(Next)` is about `<<Next>>_x`, the Next steps that change x: in x = 0, Next is
enabled (through x' = 1), so a fair behaviour cannot stay in x = 0 forever, and `Live`
holds. TLC says so, with 2 distinct states and 3 generated (the initial state, then
x' = 0 and x' = 1).

Transcribed one-to-one: `x' \\in {0, 1}` is one action per value, `Set(0)` (a step
back to the same state: a stutter, which takes no class) and `Set(1)`, both in the one
fairness class `next` of `WF_x(Next)`.

x = 1 has no successor. The TLA+ configuration turns deadlock checking off
(`CHECK_DEADLOCK FALSE`); the port says instead that x = 1 is the proper end
(`terminal_ok`), so `coordspec check tests/models/selfloop.py` has nothing to report,
and the cross-check runs coordspec without deadlock checking, as TLC runs.
"""

from __future__ import annotations

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
    eventually,
)


@attrs.frozen
class SelfLoopConfig(Config):
    """No parameters: the module has no constants."""


@attrs.frozen
class SelfLoopState:
    """`x`, the module's one variable."""

    x: int


@attrs.frozen
class Set:
    """Next with x' = value (value \\in {0, 1})."""

    NAME: ClassVar[str] = "set"
    value: int


#: x' \in {0, 1}, in that order.
VALUES = (0, 1)


@eventually("next")
def live(state: SelfLoopState) -> bool:
    """Live == <>(x = 1), under WF_x(Next)."""
    return state.x == 1


class SelfLoop(Model[SelfLoopState, Set]):
    """The two-state model."""

    def __init__(self, config: SelfLoopConfig) -> None:
        self.config = config

    def initial(self) -> Sequence[SelfLoopState]:
        """Init == x = 0."""
        return (SelfLoopState(0),)

    def honest_actions(self, state: SelfLoopState) -> list[Set]:
        """Next == x = 0 /\\ x' \\in {0, 1}: Set(0) and Set(1) where x = 0."""
        return [Set(v) for v in VALUES] if state.x == 0 else []

    def step(self, state: SelfLoopState, action: Set) -> SelfLoopState:
        """x' = value, where x = 0."""
        if state.x != 0:
            raise GuardError("set", "x_is_0", f"x is {state.x}")
        if action.value not in VALUES:
            raise GuardError("set", "value_in_0_1", f"no value {action.value}")
        return SelfLoopState(action.value)

    def invariants(self) -> Sequence[Invariant[SelfLoopState]]:
        """None: the module claims none."""
        return ()

    def eventually(self) -> Sequence[Eventually[SelfLoopState]]:
        """Live, under weak fairness of Next."""
        return (live,)

    def action_class(self, action: Set) -> str:
        """Both values are steps of Next: one class, as WF_x(Next) is one condition."""
        return "next"

    def action_classes(self) -> Sequence[str]:
        """The one class."""
        return ("next",)

    def terminal_ok(self, state: SelfLoopState) -> bool:
        """x = 1 is where the behaviour ends (TLC: deadlock checking off)."""
        return state.x == 1


SPEC = Specification(
    name="selfloop",
    summary="x = 0 may stutter or move to x = 1: <>(x = 1) holds under WF_x(Next)",
    config_type=SelfLoopConfig,
    build=SelfLoop,
)
