"""The seed's events of iterative refinement (§3.3, `handle_iterative_event`) as actions,
and the guards that decide when each is accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import TYPE_CHECKING

import attrs

from spec.core import Guard, action_name, decode_event, guard
from spec.iterative.state import IterativeState

if TYPE_CHECKING:
    from spec.iterative import Iterative

# --- actions (the seed's events) ---------------------------------------------------------


@attrs.frozen
class ProposalSubmission:
    """`agent` submits `proposal` for this round with `confidence`."""

    agent: int
    proposal: str
    confidence: Fraction


@attrs.frozen
class FeedbackSubmission:
    """`from_agent` scores `target_agent`'s proposal of this round."""

    from_agent: int
    target_agent: int
    score: Fraction


@attrs.frozen
class QualityAssessment:
    """The round's proposals are assessed (analysis phase)."""


@attrs.frozen
class RoundCompletion:
    """The best proposal is selected and the round recorded; the stopping rule applies."""


@attrs.frozen
class ConvergenceCheck:
    """The stopping rule is evaluated again (transition phase)."""


@attrs.frozen
class PhaseTransition:
    """Feedback collection closes, or the next round starts."""


@attrs.frozen
class EarlyTermination:
    """The coordinator ends the session by consensus (when early termination is on)."""


Action = (
    ProposalSubmission
    | FeedbackSubmission
    | QualityAssessment
    | RoundCompletion
    | ConvergenceCheck
    | PhaseTransition
    | EarlyTermination
)

EVENTS: dict[str, type] = {
    "proposal_submission": ProposalSubmission,
    "feedback_submission": FeedbackSubmission,
    "round_completion": RoundCompletion,
    "convergence_check": ConvergenceCheck,
    "quality_assessment": QualityAssessment,
    "phase_transition": PhaseTransition,
    "early_termination": EarlyTermination,
}


def from_event(event_type: str, data: Mapping[str, object]) -> Action:
    """The action of a seed event, or `GuardError` `unknown_iterative_event`."""
    action: Action = decode_event(EVENTS, "unknown_iterative_event", event_type, data)
    return action


# --- guards: when an event is accepted ------------------------------------------------------
#
# The seed's `validate_proposal_submission` and `validate_feedback_submission` are
# unspecified; these are the spec's rules (FINDINGS I1, I2, I6-I8), checked in this
# order: the first that fails is the one a refusal names.


@guard(
    quote="seed §3.2: `termination_reason: :max_rounds | :convergence | :quality | "
    ":consensus | nil`; silent on events after it is set: our decision, spec/FINDINGS.md I7",
    reason="the session has terminated",
)
def after_termination(m: Iterative, s: IterativeState, a: Action) -> bool:
    """The session has not terminated."""
    return s.termination_reason is None


def in_phase(expected: str, quote: str) -> Guard:
    """The guard `wrong_phase`: the session is in phase `expected` (§3.2's
    `current_phase`)."""

    def holds(m: Iterative, s: IterativeState, a: Action) -> bool:
        return s.current_phase == expected

    def reason(m: Iterative, s: IterativeState, a: Action) -> str:
        return f"{action_name(a)} needs {expected}, not {s.current_phase}"

    return Guard("wrong_phase", quote, holds, reason)


#: The seed's phases, which every `wrong_phase` guard checks.
_PHASES = (
    "seed §3.2: `current_phase: :proposal_collection | :feedback_collection | :analysis "
    "| :transition`"
)


@guard(
    "wrong_phase",
    quote="seed: the phase leaves proposal_collection by `transition_to_feedback_phase` "
    "when all have submitted; it, feedback and transition also close by event: our "
    "decision, spec/FINDINGS.md I6",
    reason="no transition out of {s.current_phase} by event",
)
def transition_phase(m: Iterative, s: IterativeState, a: PhaseTransition) -> bool:
    """The session is in a phase that `phase_transition` closes: feedback collection,
    transition, and (with the round timeout) proposal collection."""
    if s.current_phase == "proposal_collection":
        return m.config.round_timeout
    return s.current_phase in ("feedback_collection", "transition")


@guard(
    quote="seed §3.2: `round_timeout: pos_integer(), # Timeout per round in ms`, declared "
    "and never read: when the round's time is up, the phase moves on with the proposals "
    "at hand, if there is one: our decision, spec/FINDINGS.md I6",
    reason="no proposal of round {s.current_round} is in",
)
def no_proposals(m: Iterative, s: IterativeState, a: PhaseTransition) -> bool:
    """Out of proposal collection only with a proposal of the round in hand."""
    return s.current_phase != "proposal_collection" or any(
        sub is not None for sub in s.round_proposals
    )


@guard(
    quote='seed: `validate_proposal_submission(agent_id, iterative_state)`, "Validate '
    'submission timing and agent eligibility" (unspecified); spec/FINDINGS.md I1',
    reason="agent {a.agent} does not participate",
)
def not_participant(m: Iterative, s: IterativeState, a: ProposalSubmission) -> bool:
    """The proposer is a participant."""
    return a.agent in m.participants


def _outsider(m: Iterative, a: FeedbackSubmission) -> int | None:
    """The first of the feedback's two agents that is not a participant, if any."""
    for who in (a.from_agent, a.target_agent):
        if who not in m.participants:
            return who
    return None


@guard(
    "not_participant",
    quote="seed: `validate_feedback_submission(from_agent, target_agent, feedback, "
    "iterative_state)` (unspecified); both ends are participants: spec/FINDINGS.md I1",
    reason=lambda m, s, a: f"agent {_outsider(m, a)} does not participate",
)
def feedback_participants(m: Iterative, s: IterativeState, a: FeedbackSubmission) -> bool:
    """Both the scorer and the scored agent are participants."""
    return _outsider(m, a) is None


@guard(
    quote="seed: `Map.put(iterative_state.round_proposals, agent_id, submission)` "
    "replaces an earlier one; rejected instead: our decision, spec/FINDINGS.md I7",
    reason="agent {a.agent} submitted this round",
)
def already_submitted(m: Iterative, s: IterativeState, a: ProposalSubmission) -> bool:
    """The agent has not submitted this round."""
    return s.round_proposals[a.agent] is None


@guard(
    quote="seed: `confidence = event_data[:confidence] || 0.5`, unchecked; our decision, "
    "spec/FINDINGS.md I7",
    reason="confidence {a.confidence!r}",
)
def confidence_out_of_range(m: Iterative, s: IterativeState, a: ProposalSubmission) -> bool:
    """The confidence is a Fraction or an int in [0, 1]."""
    return isinstance(a.confidence, Fraction | int) and 0 <= a.confidence <= 1


@guard(
    quote="seed §3.2: `proposal: term()`; the model's proposals are texts (their word "
    "sets are compared, §3.4): our decision, spec/FINDINGS.md I7",
    reason="a proposal is a text",
)
def malformed_proposal(m: Iterative, s: IterativeState, a: ProposalSubmission) -> bool:
    """The proposal is a text."""
    return isinstance(a.proposal, str)


@guard(
    quote='seed §3.4, `select_best_proposal`: "Feedback score (average of feedback from '
    'other agents)"; rejected, not only left out: spec/FINDINGS.md I2',
    reason="an agent may not score its own proposal",
)
def self_feedback(m: Iterative, s: IterativeState, a: FeedbackSubmission) -> bool:
    """The scorer is not the scored agent."""
    return a.from_agent != a.target_agent


@guard(
    quote="seed §3.2, `feedback_data`: `target_proposal: term()`; the target's proposal "
    "of this round (with the round timeout, one may be missing): spec/FINDINGS.md I6",
    reason="agent {a.target_agent} has no proposal this round",
)
def no_target_proposal(m: Iterative, s: IterativeState, a: FeedbackSubmission) -> bool:
    """The scored agent submitted a proposal this round."""
    return s.round_proposals[a.target_agent] is not None


@guard(
    quote="seed §3.2, `feedback_data`: `quality_score: float(), # 0.0 to 1.0`",
    reason="score {a.score!r}",
)
def score_out_of_range(m: Iterative, s: IterativeState, a: FeedbackSubmission) -> bool:
    """The score is a Fraction or an int in [0, 1]."""
    return isinstance(a.score, Fraction | int) and 0 <= a.score <= 1


@guard(
    quote="seed: `Map.put(from_agent_feedback, target_agent, feedback)` replaces an "
    "earlier one; rejected instead: our decision, spec/FINDINGS.md I7",
    reason="this feedback was already given",
)
def already_given(m: Iterative, s: IterativeState, a: FeedbackSubmission) -> bool:
    """The scorer has not yet scored this target this round."""
    return not any(f == a.from_agent and t == a.target_agent for f, t, _ in s.feedback_collection)


@guard(
    quote="seed silent (`handle_iterative_quality_assessment` is not given): one "
    "assessment per round, our decision, spec/FINDINGS.md I8",
    reason="this round is assessed",
)
def already_assessed(m: Iterative, s: IterativeState, a: QualityAssessment) -> bool:
    """The round's proposals are not assessed yet."""
    return s.quality_scores is None


@guard(
    quote="seed §3.4: `select_best_proposal` reads `Map.get(quality_scores, agent_id, "
    "0.5)`; assessed first, so the default never applies: spec/FINDINGS.md I8",
    reason="the round's quality is not assessed yet",
)
def assessed(m: Iterative, s: IterativeState, a: RoundCompletion) -> bool:
    """The round's proposals are assessed."""
    return s.quality_scores is not None


@guard(
    quote="seed §3.2: `early_termination_enabled: boolean()`",
    reason="early termination is off",
)
def early_termination_enabled(m: Iterative, s: IterativeState, a: EarlyTermination) -> bool:
    """Early termination is enabled."""
    return s.early_termination_enabled


#: The guards of each event, in the order they are checked.
GUARDS: Mapping[type, tuple[Guard, ...]] = {
    ProposalSubmission: (
        after_termination,
        not_participant,
        in_phase(
            "proposal_collection",
            'seed: `validate_proposal_submission`, "Validate submission timing"; ' + _PHASES,
        ),
        already_submitted,
        confidence_out_of_range,
        malformed_proposal,
    ),
    FeedbackSubmission: (
        after_termination,
        feedback_participants,
        in_phase("feedback_collection", _PHASES),
        self_feedback,
        no_target_proposal,
        score_out_of_range,
        already_given,
    ),
    QualityAssessment: (after_termination, in_phase("analysis", _PHASES), already_assessed),
    RoundCompletion: (after_termination, in_phase("analysis", _PHASES), assessed),
    ConvergenceCheck: (after_termination, in_phase("transition", _PHASES)),
    PhaseTransition: (after_termination, transition_phase, no_proposals),
    EarlyTermination: (
        after_termination,
        in_phase("transition", _PHASES),
        early_termination_enabled,
    ),
}
