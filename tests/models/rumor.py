"""A rumor spreading among agents named by strings: a fixture for determinism tests.

Agents `a`, `b`, `c`, ... hold sets of strings; a `tell` action sends the rumor from an
informed agent to an uninformed one and logs the pair. The states are frozensets of
strings and of string pairs, whose Python iteration order depends on `PYTHONHASHSEED`,
so any output that leaked that order would differ between two runs with other seeds.
The invariant `not_all_informed` is meant to fail: its counterexample is the trace the
determinism test compares.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from spec.core import (
    Config,
    Invariant,
    Model,
    Preset,
    Specification,
    Witness,
    invariant,
    param,
    witness,
)


@attrs.frozen
class RumorConfig(Config):
    """How many agents, named `a`, `b`, ... in order."""

    agents: int = param(4, low=2, high=8, help="number of agents")


@attrs.frozen
class RumorState:
    """Who knows the rumor and who told whom."""

    informed: frozenset[str]
    told: frozenset[tuple[str, str]]


@attrs.frozen
class Tell:
    """`sender` tells the rumor to `receiver`."""

    sender: str
    receiver: str


class Rumor(Model[RumorState, Tell]):
    """Rumor spreading; agent `a` starts informed."""

    def __init__(self, config: RumorConfig) -> None:
        self.names = tuple("abcdefgh"[: config.agents])

    def initial(self) -> Sequence[RumorState]:
        return [RumorState(frozenset({self.names[0]}), frozenset())]

    def honest_actions(self, state: RumorState) -> list[Tell]:
        return [
            Tell(s, r)
            for s in self.names
            for r in self.names
            if s in state.informed and r not in state.informed
        ]

    def step(self, state: RumorState, action: Tell) -> RumorState:
        return RumorState(
            state.informed | {action.receiver},
            state.told | {(action.sender, action.receiver)},
        )

    def terminal_ok(self, state: RumorState) -> bool:
        return len(state.informed) == len(self.names)

    def invariants(self) -> list[Invariant[RumorState]]:
        @invariant
        def not_all_informed(state: RumorState) -> bool:
            """Some agent has not heard the rumor (false once it has spread: a planted bug)."""
            return len(state.informed) < len(self.names)

        return [not_all_informed]

    def witnesses(self) -> list[Witness[RumorState]]:
        @witness
        def two_informed(state: RumorState) -> bool:
            """At least two agents know the rumor."""
            return len(state.informed) >= 2

        return [two_informed]


SPEC = Specification(
    "rumor",
    "rumor spreading (a test fixture)",
    RumorConfig,
    Rumor,
    presets=(Preset("pair", "two agents: the smallest rumor", {"agents": "2"}),),
)
