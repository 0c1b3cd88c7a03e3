"""The refinement session's configuration and state (seed §3.2, `iterative_state`)."""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

import attrs

from spec.core import Config, param
from spec.iterative.scoring import METHODS

PHASES = ("proposal_collection", "feedback_collection", "analysis", "transition")
REASONS = ("max_rounds", "convergence", "quality", "consensus")


# --- configuration ---------------------------------------------------------------------


@attrs.frozen
class IterativeConfig(Config):
    """The bounds of an iterative-refinement model."""

    agents: int = param(3, low=2, high=5, help="participants 0..agents-1")
    outsiders: int = param(0, low=0, high=2, help="extra agent ids that try to take part")
    max_rounds: int = param(2, low=1, high=4, help="the round bound (max_rounds)")
    texts: int = param(2, low=1, high=4, help="proposals drawn from the first TEXTS")
    confidence_levels: int = param(1, low=1, high=3, help="confidences k/levels")
    feedback_levels: int = param(1, low=1, high=3, help="feedback scores 1, 0, 1/2 (this many)")
    convergence_threshold: Fraction = param(
        Fraction(9, 10), low=Fraction(0), high=Fraction(1), help="similarity that stops"
    )
    quality_threshold: Fraction = param(
        Fraction(1), low=Fraction(0), high=Fraction(1), help="quality that stops"
    )
    early_termination: bool = param(True, help="early_termination_enabled")
    round_timeout: bool = param(
        True, help="phase_transition closes proposal_collection once a proposal is in"
    )
    method: str = param("jaccard", choices=tuple(METHODS), help="convergence_method")


# --- state -----------------------------------------------------------------------------


class Submission(NamedTuple):
    """§3.2's `proposal_submission` (reasoning, influences and time not modelled)."""

    proposal: str
    confidence: Fraction


class RoundRecord(NamedTuple):
    """§3.2's `proposal_round`: one finished round."""

    round: int
    proposals: tuple[Submission | None, ...]
    selected_agent: int
    selected_proposal: str
    quality_score: Fraction
    convergence_score: Fraction
    feedback_summary: tuple[Fraction, ...]


@attrs.frozen
class IterativeState:
    """The session state of §3.2."""

    current_round: int
    max_rounds: int
    initial_proposal: str
    current_proposal: str
    proposals_history: tuple[RoundRecord, ...]
    round_proposals: tuple[Submission | None, ...]
    feedback_collection: frozenset[tuple[int, int, Fraction]]
    feedback_weights: tuple[Fraction, ...]
    convergence_threshold: Fraction
    convergence_score: Fraction
    similarity_history: tuple[Fraction, ...]
    convergence_method: str
    quality_scores: tuple[Fraction, ...] | None
    quality_threshold: Fraction
    termination_reason: str | None
    early_termination_enabled: bool
    current_phase: str
    final_proposal: str | None
    consensus_level: Fraction
