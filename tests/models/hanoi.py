"""Hanoi: the towers of Hanoi (Hanoi.tla), whose claimed invariant is refuted.

E. Lucas's puzzle (1883): move a stack of disks from the first rod to the third, one
disk at a time, never a disk onto a smaller one. After the sequence version in the TLA+
examples (github.com/tlaplus/Examples, specifications/tower_of_hanoi/HanoiSeq.tla);
the TLA+ module of the cross-check suite is `tests/fixtures/tlc/Hanoi/Hanoi.tla`. As in
DieHard, `NotSolved` is claimed as an invariant so that the model checker refutes it:
the shortest counterexample is the optimal solution, 2^D - 1 moves.

Transcribed one-to-one, each rod a sequence of disk sizes with its top disk first
(disk 1 is the smallest), the rods numbered 1..3 as in the module:

    CanMove(f, t) == /\\ f # t
                     /\\ towers[f] # <<>>
                     /\\ IF towers[t] = <<>> THEN TRUE ELSE Head(towers[f]) < Head(towers[t])
    Move(f, t) == /\\ CanMove(f, t)
                  /\\ towers' = [towers EXCEPT ![f] = Tail(@), ![t] = <<Head(towers[f])>> \\o @]
    Next == \\E f, t \\in Rod : Move(f, t)
    NotSolved == towers[3] # Stack

`\\E f, t \\in Rod` is one action `Move(f, t)` per pair, in the order f, then t.

A test fixture for the checker: with 5 disks, 3^5 = 243 reachable states (each disk on
any rod, in the one legal order), 727 generated, depth 31; `not_solved` fails in
31 moves.
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

ROD = (1, 2, 3)


@attrs.frozen
class HanoiConfig(Config):
    """How many disks (the constant D)."""

    disks: int = param(5, low=1, high=10, help="number of disks (the constant D)")


@attrs.frozen
class Towers:
    """`towers[r]` for the rods r = 1, 2, 3 (index r - 1): disk sizes, top first."""

    towers: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]


@attrs.frozen
class Move:
    """Move(f, t): the top disk of rod `f` goes onto rod `t`."""

    f: int
    t: int


def can_move(state: Towers, f: int, t: int) -> bool:
    """CanMove(f, t): distinct rods, f not empty, t empty or with a larger top disk."""
    src, dst = state.towers[f - 1], state.towers[t - 1]
    return f != t and src != () and (dst == () or src[0] < dst[0])


class Hanoi(Model[Towers, Move]):
    """Three rods and `disks` disks."""

    def __init__(self, config: HanoiConfig) -> None:
        self.config = config
        self.stack = tuple(range(1, config.disks + 1))  # Stack == [i \in 1..D |-> i]

    def initial(self) -> Sequence[Towers]:
        """Init == towers = <<Stack, <<>>, <<>>>>."""
        return (Towers((self.stack, (), ())),)

    def honest_actions(self, state: Towers) -> list[Move]:
        """Next == \\E f, t \\in Rod : Move(f, t)."""
        return [Move(f, t) for f in ROD for t in ROD if can_move(state, f, t)]

    def step(self, state: Towers, action: Move) -> Towers:
        """towers' = [towers EXCEPT ![f] = Tail(@), ![t] = <<Head(towers[f])>> \\o @]."""
        f, t = action.f, action.t
        if f not in ROD or t not in ROD:
            raise GuardError("move", "rod", f"no rod {f if f not in ROD else t}")
        if not can_move(state, f, t):
            raise GuardError("move", "CanMove", f"rod {f}'s top disk cannot go onto rod {t}")
        rods = list(state.towers)
        disk = rods[f - 1][0]
        rods[f - 1] = rods[f - 1][1:]
        rods[t - 1] = (disk, *rods[t - 1])
        return Towers((rods[0], rods[1], rods[2]))

    def invariants(self) -> Sequence[Invariant[Towers]]:
        """NotSolved, claimed so that its counterexample is a solution."""
        stack = self.stack

        def not_solved(state: Towers) -> bool:
            """NotSolved == towers[3] # Stack: claimed; refuted by a shortest solution."""
            return state.towers[2] != stack

        return (invariant(not_solved),)


SPEC = Specification(
    name="hanoi",
    summary="the towers of Hanoi: NotSolved's counterexample is a 2^D - 1 move solution",
    config_type=HanoiConfig,
    build=Hanoi,
)
