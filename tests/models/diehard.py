"""Die Hard: the water-jug puzzle, after Lamport's DieHard.tla (the TLA+ Examples).

DieHard.tla opens: "In the movie Die Hard 3, the heros must obtain exactly 4 gallons of
water using a 5 gallon jug, a 3 gallon jug, and a water faucet. Our goal: to get TLC to
solve the problem for us." Its trick is to claim the invariant `NotSolved == big # 4`
and let the model checker refute it: the counterexample is the solution.

The transcription is one-to-one. As in the TLA+ spec, every action is always enabled
(filling a full jug is a step that changes nothing), so no guard can fail; `step` only
rejects what is not an action of this model. The capacities are configuration, 3 and
5 gallons by default, as in the film.

A test fixture for the checker: 16 reachable states, and a shortest counterexample to
`big_not_4` of exactly 6 steps.
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
    Witness,
    invariant,
    param,
    witness,
)


@attrs.frozen
class DieHardConfig(Config):
    """The jug capacities, in gallons."""

    small: int = param(3, low=1, high=10, help="capacity of the small jug, in gallons")
    big: int = param(5, low=1, high=10, help="capacity of the big jug, in gallons")


@attrs.frozen
class Jugs:
    """`small` and `big`: the gallons of water in each jug (the spec's two variables)."""

    small: int
    big: int


@attrs.frozen
class FillSmall:
    """FillSmallJug == small' = 3 /\\ big' = big."""


@attrs.frozen
class FillBig:
    """FillBigJug == big' = 5 /\\ small' = small."""


@attrs.frozen
class EmptySmall:
    """EmptySmallJug == small' = 0 /\\ big' = big."""


@attrs.frozen
class EmptyBig:
    """EmptyBigJug == big' = 0 /\\ small' = small."""


@attrs.frozen
class SmallToBig:
    """SmallToBig == big' = Min(big + small, 5) /\\ small' = small - (big' - big)."""


@attrs.frozen
class BigToSmall:
    """BigToSmall == small' = Min(big + small, 3) /\\ big' = big - (small' - small)."""


Action = FillSmall | FillBig | EmptySmall | EmptyBig | SmallToBig | BigToSmall

#: Next == FillSmallJug \/ FillBigJug \/ EmptySmallJug \/ EmptyBigJug \/ SmallToBig
#:         \/ BigToSmall, in the spec's order.
ACTIONS: tuple[Action, ...] = (
    FillSmall(),
    FillBig(),
    EmptySmall(),
    EmptyBig(),
    SmallToBig(),
    BigToSmall(),
)


@invariant
def big_not_4(state: Jugs) -> bool:
    """NotSolved == big # 4: claimed invariant whose counterexample is the solution."""
    return state.big != 4


class DieHard(Model[Jugs, Action]):
    """The jugs, for one pair of capacities."""

    def __init__(self, config: DieHardConfig) -> None:
        self.config = config

    def initial(self) -> Sequence[Jugs]:
        """Init == big = 0 /\\ small = 0."""
        return (Jugs(small=0, big=0),)

    def honest_actions(self, state: Jugs) -> tuple[Action, ...]:
        """Every action, always: none of the spec's actions has a guard."""
        return ACTIONS

    def step(self, state: Jugs, action: Action) -> Jugs:
        """Fill, empty or pour, as the action says."""
        small_cap, big_cap = self.config.small, self.config.big
        if isinstance(action, FillSmall):
            return attrs.evolve(state, small=small_cap)
        if isinstance(action, FillBig):
            return attrs.evolve(state, big=big_cap)
        if isinstance(action, EmptySmall):
            return attrs.evolve(state, small=0)
        if isinstance(action, EmptyBig):
            return attrs.evolve(state, big=0)
        if isinstance(action, SmallToBig):
            big = min(state.big + state.small, big_cap)
            return Jugs(small=state.small - (big - state.big), big=big)
        if isinstance(action, BigToSmall):
            small = min(state.big + state.small, small_cap)
            return Jugs(small=small, big=state.big - (small - state.small))
        raise GuardError(type(action).__name__, "is_action", "not an action of Die Hard")

    def invariants(self) -> Sequence[Invariant[Jugs]]:
        """NotSolved, claimed as an invariant so that its counterexample solves the puzzle."""
        return (big_not_4, type_ok(self.config))

    def witnesses(self) -> Sequence[Witness[Jugs]]:
        """Both jugs can be full at once (the model is not vacuous)."""
        small_cap, big_cap = self.config.small, self.config.big

        def both_full(state: Jugs) -> bool:
            """Both jugs are full."""
            return state.small == small_cap and state.big == big_cap

        return (witness(both_full),)


def type_ok(config: DieHardConfig) -> Invariant[Jugs]:
    """TypeOK == small \\in 0..3 /\\ big \\in 0..5, for the configured capacities."""

    def type_ok(state: Jugs) -> bool:
        """TypeOK: each jug holds between nothing and its capacity."""
        return 0 <= state.small <= config.small and 0 <= state.big <= config.big

    return invariant(type_ok)


SPEC = Specification(
    name="diehard",
    summary="Die Hard jugs (DieHard.tla): measure 4 gallons with a 3 and a 5 gallon jug",
    config_type=DieHardConfig,
    build=DieHard,
)
