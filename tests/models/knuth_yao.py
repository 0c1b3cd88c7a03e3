"""Knuth-Yao: a fair six-sided die thrown with a fair coin (KnuthYao.tla).

D. E. Knuth and A. C. Yao, "The complexity of nonuniform random number generation"
(1976): an automaton with seven inner states s0..s6 in which each coin flip moves on,
to another inner state or to a face 1..6 of the die, each face reached with
probability 1/6. After the TLA+ examples' KnuthYao.tla (github.com/tlaplus/Examples,
specifications/KnuthYao), without its variable `p` (the probability of the path so far,
which halves at each flip and so makes the state space infinite). The TLA+ module of
the cross-check suite is `tests/fixtures/tlc/KnuthYao/KnuthYao.tla`.

Transcribed one-to-one:

    Init == state = "s0" /\\ flip \\in Coin
    Next == /\\ state \\notin Face
            /\\ state' = IF flip = "H" THEN OnHeads[state] ELSE OnTails[state]
            /\\ flip' \\in Coin
    Spec == Init /\\ [][Next]_vars /\\ WF_vars(Next)
    Terminates == <>(state \\in Face)

`flip' \\in Coin` is one action per side, `Flip("H")` and `Flip("T")`, both in the one
fairness class `next` of `WF_vars(Next)`.

What both tools find (26 states, 30 generated, depth 3):
- deadlock: a thrown die has no successor. The TLA+ configuration keeps deadlock
  checking on and the port declares no `terminal_ok`, so that both report it: the
  counterexample is a shortest throw, 3 flips;
- `terminates` is violated even under weak fairness: the coin may loop between s1 and
  s3 (heads, heads, ...) forever; the die stops with probability 1, which is not a
  property of every behaviour. The counterexample is a lasso with a proper cycle.
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

#: Coin == {"H", "T"}, in that order.
COIN = ("H", "T")
#: Face == {"1", ..., "6"}: the die has been thrown.
FACE = ("1", "2", "3", "4", "5", "6")
#: The automaton's inner states s0..s6, and where each goes on heads and on tails.
INNER = ("s0", "s1", "s2", "s3", "s4", "s5", "s6")
ON_HEADS = {"s0": "s1", "s1": "s3", "s2": "s5", "s3": "s1", "s4": "2", "s5": "4", "s6": "6"}
ON_TAILS = {"s0": "s2", "s1": "s4", "s2": "s6", "s3": "1", "s4": "3", "s5": "5", "s6": "s2"}


@attrs.frozen
class KnuthYaoConfig(Config):
    """No parameters: the module has no constants."""


@attrs.frozen
class DieState:
    """`state`: where the automaton is; `flip`: the coin tossed for its next move."""

    state: str
    flip: str


@attrs.frozen
class Flip:
    """Next with flip' = coin: move on the tossed coin, and toss it again."""

    NAME: ClassVar[str] = "flip"
    coin: str


@eventually("next")
def terminates(s: DieState) -> bool:
    """Terminates == <>(state \\in Face), under WF_vars(Next) (fails: the coin may loop)."""
    return s.state in FACE


class KnuthYao(Model[DieState, Flip]):
    """The die automaton and its coin."""

    def __init__(self, config: KnuthYaoConfig) -> None:
        self.config = config

    def initial(self) -> Sequence[DieState]:
        """Init == state = "s0" /\\ flip \\in Coin."""
        return tuple(DieState("s0", coin) for coin in COIN)

    def honest_actions(self, s: DieState) -> list[Flip]:
        """Next, for each flip' \\in Coin, until the die is thrown."""
        return [] if s.state in FACE else [Flip(coin) for coin in COIN]

    def step(self, s: DieState, action: Flip) -> DieState:
        """state' = the move on `flip`; flip' = the new toss."""
        if s.state in FACE:
            raise GuardError("flip", "not_thrown", f"the die shows {s.state}")
        if action.coin not in COIN:
            raise GuardError("flip", "coin", f"no side {action.coin!r}")
        moved = ON_HEADS[s.state] if s.flip == "H" else ON_TAILS[s.state]
        return DieState(moved, action.coin)

    def invariants(self) -> Sequence[Invariant[DieState]]:
        """None: the module claims none."""
        return ()

    def eventually(self) -> Sequence[Eventually[DieState]]:
        """Terminates, under weak fairness of Next."""
        return (terminates,)

    def action_class(self, action: Flip) -> str:
        """Every flip is a Next step: one class."""
        return "next"

    def action_classes(self) -> Sequence[str]:
        """The one class."""
        return ("next",)


SPEC = Specification(
    name="knuth_yao",
    summary="the Knuth-Yao die from a fair coin: it stops with probability 1, not always",
    config_type=KnuthYaoConfig,
    build=KnuthYao,
)
