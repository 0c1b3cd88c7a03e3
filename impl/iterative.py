"""Iterative proposal refinement: the seed's Part 3 event handlers, in floats.

The reference implementation of `spec/iterative/`, written apart from it: rounds
through the four phases of §3.2 (`proposal_collection`, `feedback_collection`,
`analysis`, `transition`), feedback on other agents' proposals only, Jaccard convergence
(§3.4) against each agent's proposal of the previous round, the composite selection
0.4 quality + 0.4 feedback + 0.2 confidence with ties broken by the text, then the
higher confidence, then the lower position (spec/FINDINGS.md I3), and the stopping rules
(convergence and quality when `early_termination_enabled`, consensus by
`early_termination`, always `max_rounds`). A handler is pure:
`handle_iterative_event(session, event_type, event_data) -> Ok | Error`; telemetry
(`proposal_received`, `feedback_received`, `phase_changed`, `quality_assessed`,
`round_completed`, `converged`, `refinement_terminated`) and the final proposal (a
`Decide`) are effects.

## Tolerance and constants

Scores are floats; they agree with the spec's fractions within
`impl.refinement.tolerance.TOLERANCE` (here only float rounding, about 1e-15, separates
them). Composite scores within the tolerance count as tied (`at_least`), so that the
tie-break decides as the spec's exact comparison does (the seed's own floats break exact
ties by one ulp: FINDINGS I3). The thresholds compare with the same tolerance. The
constants (the phases, the composite's weights, the score without feedback, the
convergence methods, the reference texts) are the spec's (`impl.refinement` has the
policy).

## Event data (the seed's field names)

`EVENTS` declares each event's fields (`agent_id`, `proposal`, `confidence` (required:
FINDINGS I7), `reasoning`, `based_on`; `from_agent`, `target_agent` and `feedback`, the
seed's `feedback_data`, of which `quality_score` in [0, 1] is read) and the reasons it
is refused for (the spec's guard names); the README's table of iterative events is made
from it (`impl.fields`). A key an event does not have is refused (`unknown_field`), and
so is a required field that is absent (`missing_field`), `feedback.quality_score`
included.

## Failures and the round timeout (seed §5.3; spec/FINDINGS.md I6)

`round_timeout` (and `phase_transition` in `proposal_collection`) closes proposal
collection with the proposals at hand, once one is in (`no_proposals` before): the
spec's round timeout. `agent_failure` (`agent_id`) marks a participant failed
(`failed_agents`): its later proposals and feedback are refused (`agent_failed`), and a
phase completes without it, so the last remaining proposal closes proposal collection
(in the spec, that proposal and the round timeout: a path of two steps) and the last
remaining feedback closes feedback collection. A failed agent's proposal and feedback
given before it failed stay. A failure that would leave fewer than two participants is
refused (`insufficient_agents`); `impl.recovery.handle_coordination_error` then fails
the session (`failed`), after which every event is refused (`session_failed`).

## Quality

The seed leaves `quality_assessment` open. As in the spec, the quality of a proposal is
its share of a reference vocabulary (`REFERENCE_TEXTS` by default: the spec's `TEXTS`),
a deterministic stand-in that a deployment replaces by configuring its own texts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, cast

import attrs

from impl.core import (
    Decide,
    Effect,
    Error,
    Ok,
    Scalar,
    Telemetry,
)
from impl.fields import SESSION_FAILED, Event, Field, Protocol, events, refuse_if_failed
from impl.refinement.tolerance import at_least
from impl.weighted import is_rate
from spec import iterative as spec

PROTOCOL = "iterative"
PHASES = spec.PHASES
#: The convergence methods (all Jaccard until a deployment registers its own).
METHODS = tuple(spec.METHODS)
QUALITY_WEIGHT = float(spec.QUALITY_WEIGHT)
FEEDBACK_WEIGHT = float(spec.FEEDBACK_WEIGHT)
CONFIDENCE_WEIGHT = float(spec.CONFIDENCE_WEIGHT)
#: The feedback score of a proposal nobody scored.
NO_FEEDBACK = float(spec.NO_FEEDBACK)

#: The texts whose words make the default quality vocabulary: the spec's `TEXTS`.
REFERENCE_TEXTS = spec.TEXTS

_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> frozenset[str]:
    """Lower-case maximal runs of letters and digits."""
    return frozenset(_WORD.findall(text.lower()))


def jaccard(a: str, b: str) -> float:
    """|A & B| / |A | B| of the word sets; 1.0 for two empty sets (the seed)."""
    x, y = words(a), words(b)
    union = len(x | y)
    return len(x & y) / union if union else 1.0


def vocabulary_of(texts: Sequence[str]) -> frozenset[str]:
    """The words of some texts."""
    return frozenset().union(*(words(t) for t in texts))


def quality(text: str, vocabulary: frozenset[str]) -> float:
    """The share of the vocabulary that the text uses (0.0 for an empty vocabulary)."""
    return len(words(text) & vocabulary) / len(vocabulary) if vocabulary else 0.0


def composite(quality_score: float, feedback: float, confidence: float) -> float:
    """§3.4: base_quality * 0.4 + feedback_score * 0.4 + confidence_score * 0.2."""
    return (
        QUALITY_WEIGHT * quality_score + FEEDBACK_WEIGHT * feedback + CONFIDENCE_WEIGHT * confidence
    )


class Submission(NamedTuple):
    """§3.2's `proposal_submission` (without the timestamp and the estimate)."""

    proposal: str
    confidence: float
    reasoning: str | None = None
    based_on: tuple[str, ...] = ()


class Feedback(NamedTuple):
    """One `feedback_submission`: positions of the two agents and the quality score."""

    from_agent: int
    target_agent: int
    score: float


class RoundRecord(NamedTuple):
    """§3.2's `proposal_round`: one finished round."""

    round: int
    proposals: tuple[Submission | None, ...]
    selected_agent: int
    selected_proposal: str
    quality_score: float
    convergence_score: float
    feedback_summary: tuple[float, ...]


@attrs.frozen
class IterativeSession:
    """An iterative-refinement session: §3.2's state, agents by position in
    `participants`. `feedback_collection` keeps the feedbacks in arrival order."""

    session_id: str
    participants: tuple[str, ...]
    current_round: int
    max_rounds: int
    initial_proposal: str
    current_proposal: str
    proposals_history: tuple[RoundRecord, ...]
    round_proposals: tuple[Submission | None, ...]
    feedback_collection: tuple[Feedback, ...]
    feedback_weights: tuple[float, ...]
    convergence_threshold: float
    convergence_score: float
    similarity_history: tuple[float, ...]
    convergence_method: str
    quality_scores: tuple[float, ...] | None
    quality_threshold: float
    termination_reason: str | None
    early_termination_enabled: bool
    current_phase: str
    final_proposal: str | None
    consensus_level: float
    vocabulary: frozenset[str]
    #: The positions of the participants that failed (`agent_failure`).
    failed_agents: frozenset[int] = frozenset()
    #: Why the session failed (`impl.recovery`), or None while it has not.
    failed: str | None = None

    def index(self, agent_id: object) -> int | None:
        """The position of a participant, or None."""
        for i, a in enumerate(self.participants):
            if a == agent_id:
                return i
        return None

    def live(self) -> tuple[int, ...]:
        """The positions of the participants that have not failed, in order."""
        return tuple(i for i in range(len(self.participants)) if i not in self.failed_agents)


def new_session(
    session_id: str,
    initial_proposal: str,
    participants: Sequence[str],
    max_rounds: int,
    convergence_threshold: float,
    quality_threshold: float,
    early_termination: bool,
    method: str,
    vocabulary: frozenset[str],
) -> IterativeSession:
    """A session in round 1, collecting proposals (arguments trusted: the API checks)."""
    n = len(participants)
    return IterativeSession(
        session_id=session_id,
        participants=tuple(participants),
        current_round=1,
        max_rounds=max_rounds,
        initial_proposal=initial_proposal,
        current_proposal=initial_proposal,
        proposals_history=(),
        round_proposals=(None,) * n,
        feedback_collection=(),
        feedback_weights=(1.0,) * n,
        convergence_threshold=convergence_threshold,
        convergence_score=0.0,
        similarity_history=(),
        convergence_method=method,
        quality_scores=None,
        quality_threshold=quality_threshold,
        termination_reason=None,
        early_termination_enabled=early_termination,
        current_phase="proposal_collection",
        final_proposal=None,
        consensus_level=0.0,
        vocabulary=vocabulary,
    )


# --- derived values ------------------------------------------------------------------------


def feedback_scores(s: IterativeSession) -> tuple[float, ...]:
    """Each participant's feedback score: the mean of the scores others gave it (0.5
    with none)."""
    given: list[list[float]] = [[] for _ in s.participants]
    for f in s.feedback_collection:
        if f.from_agent != f.target_agent:
            given[f.target_agent].append(f.score)
    return tuple(math.fsum(g) / len(g) if g else NO_FEEDBACK for g in given)


def select(s: IterativeSession) -> int:
    """The position whose proposal is selected: the highest composite score (within the
    tolerance), then the text first in string order, then the higher confidence, then
    the lower position."""
    assert s.quality_scores is not None
    feedback = feedback_scores(s)
    scores = {
        i: composite(s.quality_scores[i], feedback[i], sub.confidence)
        for i, sub in enumerate(s.round_proposals)
        if sub is not None
    }
    best = max(scores.values())
    tied = [i for i, x in scores.items() if at_least(x, best)]

    def rank(i: int) -> tuple[str, float, int]:
        sub = s.round_proposals[i]
        assert sub is not None
        return (sub.proposal, -sub.confidence, i)

    return min(tied, key=rank)


def convergence(s: IterativeSession) -> float:
    """Mean Jaccard similarity of each agent's proposal to its own of the last round
    (0.0 without a last round or without an agent in both)."""
    if not s.proposals_history:
        return 0.0
    previous = s.proposals_history[-1].proposals
    pairs = [
        jaccard(now.proposal, before.proposal)
        for now, before in zip(s.round_proposals, previous, strict=True)
        if now is not None and before is not None
    ]
    return math.fsum(pairs) / len(pairs) if pairs else 0.0


def proposals_complete(s: IterativeSession) -> bool:
    """Every participant that has not failed has proposed this round (and one has)."""
    return any(p is not None for p in s.round_proposals) and all(
        s.round_proposals[i] is not None for i in s.live()
    )


def feedback_complete(s: IterativeSession) -> bool:
    """Every participant that has not failed has scored every other one's proposal of
    this round."""
    given = {(f.from_agent, f.target_agent) for f in s.feedback_collection}
    return all(
        (i, t) in given
        for i in s.live()
        for t, sub in enumerate(s.round_proposals)
        if sub is not None and t != i
    )


def stopping_reason(s: IterativeSession, record: RoundRecord) -> str | None:
    """The stopping rule, applied to a finished round."""
    if s.early_termination_enabled:
        if len(s.proposals_history) > 1 and at_least(
            record.convergence_score, s.convergence_threshold
        ):
            return "convergence"
        if at_least(record.quality_score, s.quality_threshold):
            return "quality"
    if record.round >= s.max_rounds:
        return "max_rounds"
    return None


# --- effects -----------------------------------------------------------------------------


def _telemetry(
    s: IterativeSession,
    event: str,
    measurements: Mapping[str, int | float],
    metadata: Mapping[str, Scalar] | None = None,
) -> Telemetry:
    return Telemetry(PROTOCOL, event, s.session_id, dict(measurements), dict(metadata or {}))


def _terminate(s: IterativeSession, reason: str) -> tuple[IterativeSession, tuple[Effect, ...]]:
    ended = attrs.evolve(s, termination_reason=reason, final_proposal=s.current_proposal)
    effects: list[Effect] = []
    if reason == "convergence":
        effects.append(_telemetry(ended, "converged", {"convergence_score": s.convergence_score}))
    effects.append(
        _telemetry(
            ended,
            "refinement_terminated",
            {"rounds": len(s.proposals_history), "consensus_level": s.consensus_level},
            {"reason": reason},
        )
    )
    effects.append(Decide(s.current_proposal, (reason, len(s.proposals_history))))
    return ended, tuple(effects)


def _phase(s: IterativeSession, phase: str) -> tuple[IterativeSession, Telemetry]:
    after = attrs.evolve(s, current_phase=phase)
    return after, _telemetry(
        after, "phase_changed", {"round": s.current_round}, {"from": s.current_phase, "to": phase}
    )


# --- the handlers ------------------------------------------------------------------------


Result = Ok[IterativeSession] | Error


def _wrong_phase(s: IterativeSession, event: str, expected: str) -> Error | None:
    if s.current_phase != expected:
        return Error("wrong_phase", f"{event} needs {expected}, not {s.current_phase}")
    return None


def _failed(s: IterativeSession, agent: int) -> Error | None:
    if agent in s.failed_agents:
        return Error("agent_failed", f"agent {s.participants[agent]!r} has failed")
    return None


def _live_agent(s: IterativeSession, agent_id: object) -> int | Error:
    """The position of a participant that has not failed, or why not."""
    agent = s.index(agent_id)
    if agent is None:
        return Error("not_participant", f"agent {agent_id!r} does not participate")
    return _failed(s, agent) or agent


def _proposal(s: IterativeSession, data: Mapping[str, Any]) -> Result:
    agent = _live_agent(s, data["agent_id"])
    if isinstance(agent, Error):
        return agent
    wrong = _wrong_phase(s, "proposal_submission", "proposal_collection")
    if wrong:
        return wrong
    if s.round_proposals[agent] is not None:
        return Error("already_submitted", f"agent {data['agent_id']!r} submitted this round")
    confidence = data["confidence"]
    if not is_rate(confidence):
        return Error("confidence_out_of_range", f"confidence {confidence!r} is not in [0, 1]")
    proposal = data["proposal"]
    if not isinstance(proposal, str):
        return Error("malformed_proposal", "a proposal is a text")
    submission = EVENTS["proposal_submission"]
    reasoning = submission.value(data, "reasoning")
    based_on = submission.value(data, "based_on") or ()
    if (reasoning is not None and not isinstance(reasoning, str)) or not isinstance(
        based_on, list | tuple
    ):
        return Error("malformed_event", "reasoning is a text and based_on a list of agent ids")
    sub = Submission(proposal, float(confidence), reasoning, tuple(str(b) for b in based_on))
    proposals = (*s.round_proposals[:agent], sub, *s.round_proposals[agent + 1 :])
    after = attrs.evolve(s, round_proposals=proposals)
    effects: list[Effect] = [
        _telemetry(
            after,
            "proposal_received",
            {"round": s.current_round, "confidence": sub.confidence},
            {"agent_id": s.participants[agent]},
        )
    ]
    if proposals_complete(after):
        after, moved = _phase(after, "feedback_collection")
        effects.append(moved)
    return Ok(after, tuple(effects))


def _feedback(s: IterativeSession, data: Mapping[str, Any]) -> Result:
    ends = []
    for key in ("from_agent", "target_agent"):
        i = s.index(data[key])
        if i is None:
            return Error("not_participant", f"agent {data[key]!r} does not participate")
        ends.append(i)
    source, target = ends
    failed = _failed(s, source)
    if failed:
        return failed
    wrong = _wrong_phase(s, "feedback_submission", "feedback_collection")
    if wrong:
        return wrong
    if source == target:
        return Error("self_feedback", "an agent may not score its own proposal")
    if s.round_proposals[target] is None:
        return Error("no_target_proposal", f"agent {data['target_agent']!r} has no proposal")
    feedback = data["feedback"]
    score = feedback.get("quality_score") if isinstance(feedback, Mapping) else None
    if not is_rate(score):
        return Error("score_out_of_range", f"feedback quality_score {score!r} is not in [0, 1]")
    value = float(cast(float, score))
    if any(f.from_agent == source and f.target_agent == target for f in s.feedback_collection):
        return Error("already_given", "this feedback was already given")
    given = (*s.feedback_collection, Feedback(source, target, value))
    after = attrs.evolve(s, feedback_collection=given)
    effects: list[Effect] = [
        _telemetry(
            after,
            "feedback_received",
            {"score": value},
            {"from_agent": s.participants[source], "target_agent": s.participants[target]},
        )
    ]
    if feedback_complete(after):
        after, moved = _phase(after, "analysis")
        effects.append(moved)
    return Ok(after, tuple(effects))


def _quality(s: IterativeSession) -> Result:
    wrong = _wrong_phase(s, "quality_assessment", "analysis")
    if wrong:
        return wrong
    if s.quality_scores is not None:
        return Error("already_assessed", "this round is assessed")
    scores = tuple(
        quality(sub.proposal, s.vocabulary) if sub is not None else 0.0 for sub in s.round_proposals
    )
    after = attrs.evolve(s, quality_scores=scores)
    return Ok(after, (_telemetry(after, "quality_assessed", {"best_quality": max(scores)}),))


def _round_completion(s: IterativeSession) -> Result:
    wrong = _wrong_phase(s, "round_completion", "analysis")
    if wrong:
        return wrong
    if s.quality_scores is None:
        return Error("assessed", "the round's quality is not assessed yet")
    best = select(s)
    chosen = s.round_proposals[best]
    assert chosen is not None
    score = convergence(s)
    record = RoundRecord(
        round=s.current_round,
        proposals=s.round_proposals,
        selected_agent=best,
        selected_proposal=chosen.proposal,
        quality_score=s.quality_scores[best],
        convergence_score=score,
        feedback_summary=feedback_scores(s),
    )
    agreeing = [jaccard(sub.proposal, chosen.proposal) for sub in s.round_proposals if sub]
    after = attrs.evolve(
        s,
        proposals_history=(*s.proposals_history, record),
        current_proposal=chosen.proposal,
        convergence_score=score,
        similarity_history=(*s.similarity_history, score),
        consensus_level=math.fsum(agreeing) / len(agreeing),
        current_phase="transition",
    )
    effects: list[Effect] = [
        _telemetry(
            after,
            "round_completed",
            {
                "round": s.current_round,
                "quality_score": record.quality_score,
                "convergence_score": score,
                "consensus_level": after.consensus_level,
            },
            {"selected_agent": s.participants[best]},
        )
    ]
    reason = stopping_reason(after, record)
    if reason:
        after, ended = _terminate(after, reason)
        effects += ended
    return Ok(after, tuple(effects))


def _convergence_check(s: IterativeSession) -> Result:
    wrong = _wrong_phase(s, "convergence_check", "transition")
    if wrong:
        return wrong
    reason = stopping_reason(s, s.proposals_history[-1])
    checked = _telemetry(s, "convergence_checked", {"convergence_score": s.convergence_score})
    if reason:  # pragma: no cover - the rule already ran when the round completed
        after, ended = _terminate(s, reason)
        return Ok(after, (checked, *ended))
    return Ok(s, (checked,))


def _time_up(s: IterativeSession) -> Result:
    """The round's time is up: proposal collection closes with the proposals at hand."""
    if all(p is None for p in s.round_proposals):
        return Error("no_proposals", f"no proposal of round {s.current_round} is in")
    after, moved = _phase(s, "feedback_collection")
    return Ok(after, (moved,))


def _round_timeout(s: IterativeSession) -> Result:
    wrong = _wrong_phase(s, "round_timeout", "proposal_collection")
    return wrong or _time_up(s)


def _phase_transition(s: IterativeSession) -> Result:
    if s.current_phase == "proposal_collection":
        return _time_up(s)
    if s.current_phase == "feedback_collection":
        after, moved = _phase(s, "analysis")
        return Ok(after, (moved,))
    if s.current_phase != "transition":
        return Error("wrong_phase", f"no transition out of {s.current_phase} by event")
    after = attrs.evolve(
        s,
        current_round=s.current_round + 1,
        round_proposals=(None,) * len(s.participants),
        feedback_collection=(),
        quality_scores=None,
    )
    after, moved = _phase(after, "proposal_collection")
    return Ok(after, (moved,))


#: The fewest participants an iterative session goes on with.
LEAST_AGENTS = 2


def _agent_failure(s: IterativeSession, data: Mapping[str, Any]) -> Result:
    """§5.3's `handle_agent_failure`: the session goes on without the agent, whose
    proposal and feedback already given stay; a phase that waited only for it closes."""
    agent = _live_agent(s, data["agent_id"])
    if isinstance(agent, Error):
        return agent
    if len(s.live()) - 1 < LEAST_AGENTS:
        return Error(
            "insufficient_agents",
            f"without {data['agent_id']!r}, fewer than {LEAST_AGENTS} participants remain",
        )
    after = attrs.evolve(s, failed_agents=s.failed_agents | {agent})
    effects: list[Effect] = [
        _telemetry(
            after,
            "agent_failed",
            {"round": s.current_round, "remaining": len(after.live())},
            {"agent_id": s.participants[agent], "phase": s.current_phase},
        )
    ]
    if s.current_phase == "proposal_collection" and proposals_complete(after):
        after, moved = _phase(after, "feedback_collection")
        effects.append(moved)
    elif s.current_phase == "feedback_collection" and feedback_complete(after):
        after, moved = _phase(after, "analysis")
        effects.append(moved)
    return Ok(after, tuple(effects))


def _early_termination(s: IterativeSession) -> Result:
    wrong = _wrong_phase(s, "early_termination", "transition")
    if wrong:
        return wrong
    if not s.early_termination_enabled:
        return Error("early_termination_enabled", "early termination is off")
    after, effects = _terminate(s, "consensus")
    return Ok(after, effects)


_UNUSED = "the seed's; accepted, not used"

#: The seed's `feedback_data`: the keys a feedback may have; `quality_score` is read.
FEEDBACK_DATA = (
    Field("target_proposal", "any", _UNUSED, default=None),
    Field("quality_score", "number in [0, 1]", "the score given to the target's proposal"),
    Field("specific_feedback", "list", _UNUSED, default=None),
    Field("improvement_suggestions", "list of texts", _UNUSED, default=None),
    Field("overall_assessment", "text", _UNUSED, default=None),
    Field("confidence", "number", _UNUSED, default=None),
    Field("timestamp", "timestamp", _UNUSED, default=None),
)

#: Each event: its data's fields and the reasons it is refused for (`impl.fields`).
EVENTS: dict[str, Event] = events(
    Event(
        "proposal_submission",
        (
            Field("agent_id", "text", "the proposer: a participant"),
            Field("proposal", "text", "the proposal for this round"),
            Field(
                "confidence",
                "number in [0, 1]",
                "the proposer's confidence: 0.2 of the composite score (no default: FINDINGS I7)",
            ),
            Field("reasoning", "text", "kept with the proposal", default=None),
            Field(
                "based_on",
                "list of agent ids",
                "the proposals this one builds on",
                default=(),
            ),
        ),
        (
            "not_participant",
            "agent_failed",
            "wrong_phase",
            "already_submitted",
            "confidence_out_of_range",
            "malformed_proposal",
            "malformed_event",
        ),
    ),
    Event(
        "feedback_submission",
        (
            Field("from_agent", "text", "who gives the feedback: a participant"),
            Field("target_agent", "text", "whose proposal it scores: another participant"),
            Field(
                "feedback",
                "mapping (the seed's `feedback_data`)",
                "the feedback; its keys are the seed's, below",
                fields=FEEDBACK_DATA,
            ),
        ),
        (
            "not_participant",
            "agent_failed",
            "wrong_phase",
            "self_feedback",
            "no_target_proposal",
            "score_out_of_range",
            "already_given",
        ),
    ),
    Event("round_completion", reasons=("wrong_phase", "assessed")),
    Event("convergence_check", reasons=("wrong_phase",)),
    Event("quality_assessment", reasons=("wrong_phase", "already_assessed")),
    Event("phase_transition", reasons=("wrong_phase", "no_proposals")),
    Event("early_termination", reasons=("wrong_phase", "early_termination_enabled")),
    Event("round_timeout", reasons=("wrong_phase", "no_proposals")),
    Event(
        "agent_failure",
        (Field("agent_id", "text", "the participant that failed (seed §5.3)"),),
        ("not_participant", "agent_failed", "insufficient_agents"),
    ),
)

#: The protocol as the API takes it (the README's table: `impl.fields.markdown`).
FIELDS = Protocol(
    "iterative",
    "start_iterative_consensus",
    EVENTS,
    (
        ("unknown_iterative_event", "no such event_type"),
        ("malformed_event", "event_data is not a mapping"),
        ("unknown_field", "a key the event does not have"),
        ("missing_field", "a required field is absent"),
        ("after_termination", "the session has terminated"),
        SESSION_FAILED,
    ),
)


def handle_iterative_event(
    session: IterativeSession, event_type: str, event_data: Mapping[str, Any] | None = None
) -> Result:
    """§3.3's `handle_iterative_event`: the new session and its effects, or an `Error`.

    Unknown names are `unknown_iterative_event`; data that is not a mapping is
    `malformed_event`; a key the event does not have is `unknown_field`, a required
    field absent `missing_field` (`EVENTS`); every event after termination is
    `after_termination`, and every event on a failed session `session_failed`.
    """
    failed = refuse_if_failed(session.failed)
    if failed is not None:
        return failed
    event = EVENTS.get(event_type)
    if event is None:
        return Error("unknown_iterative_event", f"no such event {event_type!r}")
    data = {} if event_data is None else event_data
    if not isinstance(data, Mapping):
        return Error("malformed_event", f"{event_type} data must be a mapping")
    misfit = event.check(data)
    if misfit is not None:
        return misfit
    s = session
    if s.termination_reason is not None:
        return Error("after_termination", "the session has terminated")
    if event_type == "proposal_submission":
        return _proposal(s, data)
    if event_type == "feedback_submission":
        return _feedback(s, data)
    if event_type == "quality_assessment":
        return _quality(s)
    if event_type == "round_completion":
        return _round_completion(s)
    if event_type == "convergence_check":
        return _convergence_check(s)
    if event_type == "phase_transition":
        return _phase_transition(s)
    if event_type == "round_timeout":
        return _round_timeout(s)
    if event_type == "agent_failure":
        return _agent_failure(s, data)
    return _early_termination(s)
