"""Tokens: k interchangeable agents, each counting up to a limit, to test symmetry.

Every agent runs the same program and none is distinguished: `Increment(agent)` adds
one to the agent's counter while it is below `limit`; with `resets` on, `Reset(agent)`
sets a full counter back to 0. Permuting the agents maps behaviours to behaviours, so
`canonical` (sorting the counters) is a symmetry, and it is on by default.

By hand: the reachable states are all of {0..limit}^k, so (limit + 1)^k of them, and
their classes under permutation are the multisets of k values from limit + 1, so
C(k + limit, k) of them. With binary counters (limit 1) that is 2^k against k + 1.

`overflow` is a mutant: the increment's guard is off by one (`<=` for `<`), so a
counter can pass the limit and `within_limit` fails. With `resets`, `all_full` is not
inevitable: an agent may fill and reset forever while another stays at 0, a fair cycle.

A test fixture for the checker: every verdict is the same with and without symmetry.
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
    Witness,
    eventually,
    invariant,
    param,
    witness,
)


@attrs.frozen
class TokensConfig(Config):
    """How many agents, how far they count, and which variant of the program."""

    agents: int = param(3, low=1, high=8, help="number of interchangeable agents")
    limit: int = param(1, low=1, high=4, help="the value at which a counter is full")
    resets: bool = param(False, help="let a full counter be reset to 0")
    overflow: bool = param(False, help="mutant: Increment's guard is off by one")


@attrs.frozen
class TokensState:
    """`counts[i]`: agent i's counter."""

    counts: tuple[int, ...]


@attrs.frozen
class Increment:
    """Agent `agent` adds one to its counter."""

    agent: int


@attrs.frozen
class Reset:
    """Agent `agent`, full, sets its counter back to 0."""

    agent: int


Action = Increment | Reset


class Tokens(Model[TokensState, Action]):
    """The agents and their counters, for one configuration."""

    symmetry_default: ClassVar[bool] = True

    def __init__(self, config: TokensConfig) -> None:
        self.config = config

    def initial(self) -> Sequence[TokensState]:
        """Every counter at 0."""
        return (TokensState((0,) * self.config.agents),)

    def can_increment(self, state: TokensState, agent: int) -> bool:
        """Guard of Increment: the counter is below the limit (at most it, if mutant)."""
        if self.config.overflow:
            return state.counts[agent] <= self.config.limit
        return state.counts[agent] < self.config.limit

    def can_reset(self, state: TokensState, agent: int) -> bool:
        """Guard of Reset: resets are on and the counter is full."""
        return self.config.resets and state.counts[agent] >= self.config.limit

    def honest_actions(self, state: TokensState) -> list[Action]:
        """Per agent: Increment, then Reset, where their guards hold."""
        result: list[Action] = []
        for agent in range(self.config.agents):
            if self.can_increment(state, agent):
                result.append(Increment(agent))
            if self.can_reset(state, agent):
                result.append(Reset(agent))
        return result

    def step(self, state: TokensState, action: Action) -> TokensState:
        """Change the one counter the action names."""
        agent = action.agent
        name = type(action).__name__
        if not 0 <= agent < self.config.agents:
            raise GuardError(name, "is_agent", f"no agent {agent}")
        if isinstance(action, Increment):
            if not self.can_increment(state, agent):
                raise GuardError(name, "can_increment", f"agent {agent}'s counter is full")
            value = state.counts[agent] + 1
        else:
            if not self.can_reset(state, agent):
                raise GuardError(name, "can_reset", f"agent {agent} cannot reset now")
            value = 0
        counts = (*state.counts[:agent], value, *state.counts[agent + 1 :])
        return attrs.evolve(state, counts=counts)

    def invariants(self) -> Sequence[Invariant[TokensState]]:
        """No counter passes the limit."""
        limit = self.config.limit

        @invariant
        def within_limit(state: TokensState) -> bool:
            """Every counter is between 0 and the limit."""
            return all(0 <= c <= limit for c in state.counts)

        return (within_limit,)

    def witnesses(self) -> Sequence[Witness[TokensState]]:
        """Every counter can be full at once."""
        full = self.is_full

        @witness
        def all_full(state: TokensState) -> bool:
            """Every counter is full at once."""
            return full(state)

        return (all_full,)

    def eventually(self) -> Sequence[Eventually[TokensState]]:
        """Under weak fairness of Increment, every counter is full at some time."""
        full = self.is_full

        @eventually("increment")
        def all_become_full(state: TokensState) -> bool:
            """Eventually every counter is full at once (fails with resets)."""
            return full(state)

        return (all_become_full,)

    def is_full(self, state: TokensState) -> bool:
        """Every counter has reached the limit."""
        return all(c >= self.config.limit for c in state.counts)

    def terminal_ok(self, state: TokensState) -> bool:
        """Nothing left to do once every counter is full: the proper end."""
        return self.is_full(state)

    def canonical(self, state: TokensState) -> TokensState:
        """The agents are interchangeable: sort the counters."""
        return TokensState(tuple(sorted(state.counts)))


SPEC = Specification(
    name="tokens",
    summary="k interchangeable counting agents: a fixture for symmetry reduction",
    config_type=TokensConfig,
    build=Tokens,
)
