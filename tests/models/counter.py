"""Counter: one integer modulo n, a synthetic model with exactly n reachable states.

Not a published specification: a benchmark fixture whose states cost next to nothing
to step, encode and check, so that a run measures the checker's own bookkeeping (the
visited set above all; `benchmarks/bench_spill.py`).

    Init == x = 0
    Next == x' = (x + 1) % n  \\/  x' = (2 * x) % n

By hand: `Inc` alone walks 0, 1, ..., n - 1 and back to 0, so every value of 0..n-1 is
reachable and nothing else is: exactly n distinct states. Both actions are always
enabled, so 2n + 1 states are generated (the initial state, then two successors of
each), half of them repeats: `Double` mostly reaches a state stored long before (on
disk, once the visited set has spilled), `Inc` of the last value leads back to 0.
Breadth-first, the doubling keeps the search shallow (a depth of about 2 log2 n).

`in_range` (0 <= x < n) holds; there is no deadlock, as every state has a successor.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from spec.core import (
    Config,
    GuardError,
    Invariant,
    Model,
    Specification,
    invariant,
    param,
)


@attrs.frozen
class CounterConfig(Config):
    """The modulus: the number of reachable states."""

    n: int = param(1000, low=1, high=10**9, help="the modulus, so the number of states")


@attrs.frozen
class CounterState:
    """`x`, the model's one variable, in 0..n-1."""

    x: int


@attrs.frozen
class Inc:
    """x' = (x + 1) % n."""


@attrs.frozen
class Double:
    """x' = (2 * x) % n."""


Action = Inc | Double

#: Next's two disjuncts, in that order; neither has a guard.
ACTIONS: tuple[Action, ...] = (Inc(), Double())


class Counter(Model[CounterState, Action]):
    """The counter modulo `config.n`."""

    def __init__(self, config: CounterConfig) -> None:
        self.config = config

    def initial(self) -> Sequence[CounterState]:
        """Init == x = 0."""
        return (CounterState(0),)

    def honest_actions(self, state: CounterState) -> tuple[Action, ...]:
        """Both actions, always."""
        return ACTIONS

    def step(self, state: CounterState, action: Action) -> CounterState:
        """Add one or double, modulo n."""
        n = self.config.n
        if isinstance(action, Inc):
            return CounterState((state.x + 1) % n)
        if isinstance(action, Double):
            return CounterState((2 * state.x) % n)
        raise GuardError(type(action).__name__, "is_action", "not an action of Counter")

    def invariants(self) -> Sequence[Invariant[CounterState]]:
        """The counter stays in 0..n-1."""
        n = self.config.n

        @invariant
        def in_range(state: CounterState) -> bool:
            """0 <= x < n."""
            return 0 <= state.x < n

        return (in_range,)


SPEC = Specification(
    name="counter",
    summary="one counter modulo n (x + 1, 2x): exactly n states, a benchmark fixture",
    config_type=CounterConfig,
    build=Counter,
)
