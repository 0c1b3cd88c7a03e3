"""The seed's events of weighted voting (§2.3, `handle_weighted_voting_event`) as actions,
and the guards that decide when each is accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import TYPE_CHECKING

import attrs

from spec.core import Guard, decode_event, guard
from spec.weighted.scoring import PROFILES
from spec.weighted.state import WeightedState

if TYPE_CHECKING:
    from spec.weighted import Weighted

# --- actions (the seed's events) ---------------------------------------------------------


@attrs.frozen
class VoteSubmission:
    """An agent votes for `vote` with `confidence` (a re-vote replaces the last one)."""

    agent: int
    vote: int
    confidence: Fraction


@attrs.frozen
class WeightUpdateRequest:
    """Recompute the weights from the latest expertise, by the assessment strategy."""


@attrs.frozen
class ExpertiseAssessment:
    """A new expertise measurement of `agent` (one of the metric profiles)."""

    agent: int
    profile: int


@attrs.frozen
class ConsensusCheck:
    """Check for consensus now (after weights changed, say)."""


@attrs.frozen
class VotingDeadline:
    """Voting closes: the decided option, or `no_consensus`."""


@attrs.frozen
class PerformanceFeedback:
    """The agent's last judgement was right (`correct`) or wrong: past performance +-1/5."""

    agent: int
    correct: bool


Action = (
    VoteSubmission
    | WeightUpdateRequest
    | ExpertiseAssessment
    | ConsensusCheck
    | VotingDeadline
    | PerformanceFeedback
)

#: The seed's event names and the actions they map to.
EVENTS: dict[str, type] = {
    "vote_submission": VoteSubmission,
    "weight_update_request": WeightUpdateRequest,
    "expertise_assessment": ExpertiseAssessment,
    "consensus_check": ConsensusCheck,
    "voting_deadline": VotingDeadline,
    "performance_feedback": PerformanceFeedback,
}


def from_event(event_type: str, data: Mapping[str, object]) -> Action:
    """The action of a seed event, or `GuardError` `unknown_weighted_event`."""
    action: Action = decode_event(EVENTS, "unknown_weighted_event", event_type, data)
    return action


# --- guards: when an event is accepted ------------------------------------------------------
#
# The seed's vote handler validates nothing (`agent_weight = Map.get(weighted_state.
# agent_weights, agent_id, 1.0)`, `confidence = event_data[:confidence] || 1.0`); these
# are the spec's rules (FINDINGS W7), checked in this order, and the model's bounds.


@guard(
    quote='seed §2.1: "Early Consensus Detection: Stop voting when threshold reached"',
    reason="the session has ended",
)
def after_decision(m: Weighted, s: WeightedState, a: Action) -> bool:
    """The session has not ended with a decision."""
    return not (s.closed and s.consensus_reached)


@guard(
    quote='seed §2.2: "voting_deadline: DateTime.t(), # When voting closes"',
    reason="the session has ended",
)
def after_deadline(m: Weighted, s: WeightedState, a: Action) -> bool:
    """The session has not ended at the deadline."""
    return not (s.closed and not s.consensus_reached)


@guard(
    quote="seed silent: its handler takes any agent_id, `Map.get(weighted_state."
    "agent_weights, agent_id, 1.0)`; our decision, spec/FINDINGS.md W7",
    reason="agent {a.agent} does not participate",
)
def not_participant(
    m: Weighted, s: WeightedState, a: VoteSubmission | ExpertiseAssessment | PerformanceFeedback
) -> bool:
    """The agent is a participant (an int, not a bool, in 0..agents-1)."""
    return isinstance(a.agent, int) and not isinstance(a.agent, bool) and a.agent in m.agents


@guard(
    quote="seed silent: `vote: term()`, any value; our decision, spec/FINDINGS.md W7",
    reason="option {a.vote!r} is not listed",
)
def unknown_option(m: Weighted, s: WeightedState, a: VoteSubmission) -> bool:
    """The vote names a listed option."""
    return a.vote in s.options


@guard(
    quote="seed: `confidence = event_data[:confidence] || 1.0`, unchecked; our decision, "
    "spec/FINDINGS.md W7",
    reason="confidence {a.confidence!r}",
)
def confidence_out_of_range(m: Weighted, s: WeightedState, a: VoteSubmission) -> bool:
    """The confidence is a Fraction or an int (not a bool) in [0, 1]."""
    c = a.confidence
    return not isinstance(c, bool) and isinstance(c, Fraction | int) and 0 <= c <= 1


@guard(
    quote="the model's bound max_votes (the seed bounds no re-votes)",
    reason="the model's bound on votes is reached",
    bound=True,
)
def vote_bound(m: Weighted, s: WeightedState, a: VoteSubmission) -> bool:
    """The agent has votes left under `max_votes`."""
    return s.votes_cast[a.agent] < m.config.max_votes


@guard(
    quote="seed silent: `expertise_metric` is any measurement; the model's metric "
    "profiles (PROFILES) are what an assessment may report",
    reason="no metric profile {a.profile!r}",
)
def unknown_profile(m: Weighted, s: WeightedState, a: ExpertiseAssessment) -> bool:
    """The assessment names one of the metric profiles."""
    return isinstance(a.profile, int) and a.profile in range(len(PROFILES))


@guard(
    quote="the model's bound assessments (the seed bounds none)",
    reason="the model's bound is reached",
    bound=True,
)
def assessment_bound(m: Weighted, s: WeightedState, a: ExpertiseAssessment) -> bool:
    """Assessments are left under the model's bound."""
    return s.assessments_left > 0


@guard(
    quote="the model's bound feedbacks (the seed bounds none)",
    reason="the model's bound is reached",
    bound=True,
)
def feedback_bound(m: Weighted, s: WeightedState, a: PerformanceFeedback) -> bool:
    """Feedbacks are left under the model's bound."""
    return s.feedbacks_left > 0


#: Every event is refused once the session has ended (the first two guards).
OPEN = (after_decision, after_deadline)

#: The guards of each event, in the order they are checked: the first that fails is
#: the one a refusal names.
GUARDS: Mapping[type, tuple[Guard, ...]] = {
    VoteSubmission: (
        *OPEN,
        not_participant,
        unknown_option,
        confidence_out_of_range,
        vote_bound,
    ),
    WeightUpdateRequest: OPEN,
    ExpertiseAssessment: (*OPEN, not_participant, unknown_profile, assessment_bound),
    ConsensusCheck: OPEN,
    VotingDeadline: OPEN,
    PerformanceFeedback: (*OPEN, not_participant, feedback_bound),
}
