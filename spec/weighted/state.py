"""The weighted-voting session's configuration and state (seed §2.2, `weighted_state`)."""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

import attrs

from spec.core import Config, ConfigError, param
from spec.weighted.scoring import Metrics

# --- configuration ---------------------------------------------------------------------


@attrs.frozen
class WeightedConfig(Config):
    """The bounds of a weighted-voting model."""

    agents: int = param(3, low=1, high=6, help="participating agents 0..agents-1")
    options: int = param(2, low=1, high=4, help="the options 1..options")
    consensus_threshold: Fraction = param(
        Fraction(3, 5), low=Fraction(1, 100), high=Fraction(1), help="share of the total weight"
    )
    confidence_levels: int = param(2, low=1, high=4, help="confidences k/levels, k = 1..levels")
    max_votes: int = param(2, low=1, high=3, help="votes per agent (the first and re-votes)")
    assessments: int = param(1, low=0, high=3, help="expertise assessments in a session")
    feedbacks: int = param(0, low=0, high=3, help="performance feedbacks in a session")
    strategy: str = param(
        "dynamic", choices=("static", "dynamic", "adaptive"), help="assessment_strategy"
    )
    profiles: tuple[int, ...] = param(
        (2, 1, 1),
        low=0,
        high=2,
        distinct=False,
        help="initial profile per agent (0 novice, 1 average, 2 expert)",
    )

    def validate(self) -> None:
        if len(self.profiles) != self.agents:
            raise ConfigError("profiles", f"give one profile per agent ({self.agents})")


# --- state -----------------------------------------------------------------------------


class Vote(NamedTuple):
    """§2.2's `vote_data`: the vote, the weight it was cast with, the confidence."""

    option: int
    weight: Fraction
    confidence: Fraction
    weighted_value: Fraction


@attrs.frozen
class WeightedState:
    """The session state of §2.2 (with the uncapped weights kept, to check the cap)."""

    proposal: str
    options: tuple[int, ...]
    consensus_threshold: Fraction
    assessment_strategy: str
    baseline_weights: tuple[Fraction, ...]
    uncapped_weights: tuple[Fraction, ...]
    agent_weights: tuple[Fraction, ...]
    expertise_history: tuple[tuple[Metrics, ...], ...]
    votes: tuple[Vote | None, ...]
    votes_cast: tuple[int, ...]
    weighted_total: Fraction
    max_possible_weight: Fraction
    consensus_reached: bool
    final_decision: int | str | None
    first_decision: int | str | None
    confidence_score: Fraction
    gini_coefficient: Fraction
    max_individual_weight: Fraction
    weight_entropy: Fraction
    assessments_left: int
    feedbacks_left: int
    closed: bool
