"""Expertise-weighted voting: the seed's Part 2 event handlers, in floats.

The reference implementation of `spec/weighted/`, written apart from it: the same
algorithm (the seed's §2.3 events, §2.4 expertise scoring, the water-filling cap, the
per-option tally with re-votes replacing earlier votes, early consensus, the deadline;
spec/FINDINGS.md W1-W9), over floats, for any number of agents. A handler is pure:
`handle_weighted_event(session, event_type, event_data) -> Ok | Error`, a frozen
`WeightedSession` in and out, effects (telemetry `vote_processed`, `weights_updated`,
`expertise_assessed`, `performance_recorded`, `consensus_reached`, `voting_closed`; the
decision) through `impl.core`. A refused event is an `Error` naming the reason, and the
caller keeps its session.

## Tolerance and constants

Numbers agree with the spec's exact ones within `impl.refinement.tolerance.TOLERANCE`
(1e-8 x max(1, |x|), the reason there); comparisons where exact ties decide (the
consensus bar, the cap) use it (`at_least`), so that a tie the spec sees as a tie (`>=`)
is one here too. The scaling's breakpoints use a finer one, `BREAK_TOLERANCE`. Metrics
are kept rounded to 12 decimals, so that repeated performance feedback (+-0.2) stays on
its grid. The constants (weight bounds, the cap, the factor weights, the scaling, the
average prior, the strategies) are the spec's, as floats (`impl.refinement` has the
policy).

## Event data (the seed's field names)

`EVENTS` declares each event's fields (the seed's names: `agent_id`, `vote`,
`confidence`, the four metrics of `Metrics`, `correct`) and the reasons it is refused
for; the README's table of weighted events is made from it (`impl.fields`). A key an
event does not have is refused (`unknown_field`), and so is a required field that is
absent (`missing_field`). Unlike the model, the implementation has no bound on re-votes,
assessments or feedbacks.

## Failures (seed §5.3)

`agent_failure` (`agent_id`) marks a participant failed (`failed_agents`): its later
votes are refused (`agent_failed`) and the session goes on without it. A vote it cast
before failing stays counted, and its weight stays in the maximum possible weight (the
spec's tally and total: spec/FINDINGS.md S2), so the deadline ends a session that the
remaining agents cannot decide. A failure that would leave no participant is refused
(`insufficient_agents`); `impl.recovery.handle_coordination_error` then fails the
session (`failed`), after which every event is refused (`session_failed`).

## Scale

The weight recalculation is O(n log n): the cap is computed from one sort (the agents
capped are a prefix of the weights in decreasing order, see `cap_weights`), Gini from
the sorted weights, the entropy in one pass.
"""

from __future__ import annotations

import math
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
from impl.refinement.tolerance import TOLERANCE, at_least
from spec import weighted as spec
from spec.core import params_of

#: Tolerance of the scaling's breakpoints (metrics live on a grid of 1e-12, so a raw
#: score 1e-12 below a breakpoint is the breakpoint, rounded).
BREAK_TOLERANCE = 1e-12
METRIC_DIGITS = 12

MIN_WEIGHT = float(spec.MIN_WEIGHT)
MAX_WEIGHT = float(spec.MAX_WEIGHT)
MAX_SHARE = float(spec.MAX_SHARE)
NO_CONSENSUS = spec.NO_CONSENSUS
#: The assessment strategies: the spec's `strategy` parameter's choices.
STRATEGIES = next(p for p in params_of(spec.WeightedConfig) if p.name == "strategy").choices
#: Past performance moves by this on each feedback (the spec's 1/5, written in its
#: `performance_feedback` step, which names no constant for it).
FEEDBACK_STEP = 0.2
PROTOCOL = "weighted"


class Metrics(NamedTuple):
    """§2.2's `expertise_metric`: four rates in [0, 1]."""

    accuracy: float
    consistency: float
    domain_knowledge: float
    past_performance: float


#: The factor weights of the raw score: accuracy, consistency, domain knowledge, past
#: performance (the spec's; they sum to 1).
FACTOR_WEIGHTS = Metrics(*map(float, spec.FACTOR_WEIGHTS))
#: The prior of an agent nobody has measured: the spec's average profile.
AVERAGE = Metrics(*map(float, spec.PROFILES[spec.PROFILE_NAMES.index("average")]))
#: §2.4's scaling, highest piece first: (from raw, factor, exponent, inclusive), the
#: spec's `SCALING`.
SCALING = tuple(
    (float(p.low), float(p.factor), float(p.exponent), p.inclusive) for p in spec.SCALING
)


class Vote(NamedTuple):
    """§2.2's `vote_data` (without the timestamp): the option, the weight it was cast
    with, the confidence, weight x confidence, and the optional reasoning."""

    option: int
    weight: float
    confidence: float
    weighted_value: float
    reasoning: str | None = None


# --- the numbers -----------------------------------------------------------------------


def raw_score(m: Metrics) -> float:
    """§2.4's weighted sum of the four metrics (in [0, 1])."""
    return (
        m.accuracy * FACTOR_WEIGHTS.accuracy
        + m.consistency * FACTOR_WEIGHTS.consistency
        + m.domain_knowledge * FACTOR_WEIGHTS.domain_knowledge
        + m.past_performance * FACTOR_WEIGHTS.past_performance
    )


def _covers(piece: tuple[float, float, float, bool], raw: float) -> bool:
    """Whether `raw` is where the piece starts or above, within `BREAK_TOLERANCE`."""
    low, _, _, inclusive = piece
    return raw >= low - BREAK_TOLERANCE if inclusive else raw > low + BREAK_TOLERANCE


def expertise_scaling(raw: float) -> float:
    """§2.4's `apply_expertise_scaling` (`SCALING`): >= 0.8: 2 raw^0.7; >= 0.6: 1.5 raw;
    >= 0.4: 1.2 raw; else raw (breakpoints within `BREAK_TOLERANCE`)."""
    _, factor, exponent, _ = next((piece for piece in SCALING if _covers(piece, raw)), SCALING[-1])
    return factor * (raw if exponent == 1 else math.pow(raw, exponent))


def expertise_weight(m: Metrics) -> float:
    """§2.4: the scaled raw score bounded to [0.1, 3.0] (the cap comes after, on all)."""
    return max(MIN_WEIGHT, min(MAX_WEIGHT, expertise_scaling(raw_score(m))))


def cap_weights(weights: Sequence[float], max_share: float = MAX_SHARE) -> list[float]:
    """Water-filling in O(n log n): no weight above `max_share` of the total.

    The spec repeats "cut the agents above the cap, give their excess to the others in
    proportion" until none is above. Every round scales all uncapped agents by one
    factor, so the result is: the k heaviest agents at the cap c = max_share x total,
    the others multiplied by f_k = (total - k c) / (the others' original sum), for the
    least k with (k+1)-th heaviest x f_k <= c. (If the others' sum is 0 they share the
    rest equally.) The total and the order of the weights are kept. One agent, or an
    all-zero vector, is returned as it is.
    """
    n = len(weights)
    total = math.fsum(weights)
    if n < 2 or total <= 0:
        return list(weights)
    cap = max_share * total
    order = sorted(range(n), key=weights.__getitem__, reverse=True)
    if weights[order[0]] <= cap * (1 + TOLERANCE):
        return list(weights)
    # suffix[k]: the sum of the weights after the k heaviest (summed from the lightest).
    suffix = [0.0] * (n + 1)
    for k in range(n - 1, -1, -1):
        suffix[k] = suffix[k + 1] + weights[order[k]]
    k = 0
    while k < n:
        if weights[order[k]] <= 0:  # the rest are all zero: they share equally
            break
        factor = (total - k * cap) / suffix[k]
        if weights[order[k]] * factor <= cap * (1 + TOLERANCE):
            break
        k += 1
    rest = suffix[k] if k < n and weights[order[k]] > 0 else 0.0
    result = [0.0] * n
    for i in order[:k]:
        result[i] = cap
    free = order[k:]
    if not free:  # pragma: no cover - only when max_share * n < 1, which callers exclude
        raise ValueError("max_share * len(weights) must be at least 1")
    if rest > 0:
        factor = (total - k * cap) / rest
        for i in free:
            result[i] = weights[i] * factor
    else:
        for i in free:
            result[i] = (total - k * cap) / len(free)
    return result


def gini(weights: Sequence[float]) -> float:
    """Gini coefficient, sum |w_i - w_j| / (2 n total), from the sorted weights."""
    n, total = len(weights), math.fsum(weights)
    if n < 2 or total <= 0:
        return 0.0
    ranked = sorted(weights)
    return math.fsum((2 * i - n + 1) * w for i, w in enumerate(ranked)) / (n * total)


def max_individual_share(weights: Sequence[float]) -> float:
    """The largest weight over the total (0 for an all-zero vector)."""
    total = math.fsum(weights)
    return max(weights) / total if total > 0 else 0.0


def normalised_entropy(weights: Sequence[float]) -> float:
    """Shannon entropy of the shares over ln n, in [0, 1] (1 for one agent or equal
    weights, 0 for an all-zero vector)."""
    n, total = len(weights), math.fsum(weights)
    if total <= 0:
        return 0.0
    if n < 2 or min(weights) == max(weights):
        return 1.0
    h = -math.fsum(w / total * math.log(w / total) for w in weights if w > 0)
    return min(1.0, max(0.0, h / math.log(n)))


@attrs.frozen
class WeightStats:
    """The result of a weight recalculation: §2.2's weights and distribution stats."""

    agent_weights: tuple[float, ...]
    max_possible_weight: float
    gini_coefficient: float
    max_individual_weight: float
    weight_entropy: float


def recalculate(uncapped: Sequence[float]) -> WeightStats:
    """Cap the weights and compute the distribution statistics (O(n log n))."""
    capped = tuple(cap_weights(uncapped))
    return WeightStats(
        agent_weights=capped,
        max_possible_weight=math.fsum(capped),
        gini_coefficient=gini(capped),
        max_individual_weight=max_individual_share(capped),
        weight_entropy=normalised_entropy(capped),
    )


# --- the session -----------------------------------------------------------------------


@attrs.frozen
class WeightedSession:
    """A weighted-voting session: §2.2's state, agents and options by position.

    `agents[i]` is the seed's `agent_id` of position i in every per-agent tuple;
    votes name options by their position in `options`. `assessments` and `feedbacks`
    count the measurements taken in this session (the seed's `weight_adjustments`).
    """

    session_id: str
    proposal: str
    agents: tuple[str, ...]
    options: tuple[str | int, ...]
    consensus_threshold: float
    assessment_strategy: str
    baseline_weights: tuple[float, ...]
    uncapped_weights: tuple[float, ...]
    agent_weights: tuple[float, ...]
    expertise_history: tuple[tuple[Metrics, ...], ...]
    votes: tuple[Vote | None, ...]
    votes_cast: tuple[int, ...]
    weighted_total: float
    max_possible_weight: float
    consensus_reached: bool
    final_decision: str | int | None
    confidence_score: float
    gini_coefficient: float
    max_individual_weight: float
    weight_entropy: float
    assessments: int
    feedbacks: int
    closed: bool
    #: The positions of the agents that failed (`agent_failure`).
    failed_agents: frozenset[int] = frozenset()
    #: Why the session failed (`impl.recovery`), or None while it has not.
    failed: str | None = None

    def index(self, agent_id: object) -> int | None:
        """The position of a participant, or None."""
        try:
            return self.agents.index(cast(str, agent_id))
        except ValueError:
            return None

    def latest(self, agent: int) -> Metrics:
        """The agent's latest expertise measurement."""
        return self.expertise_history[agent][-1]


def new_session(
    session_id: str,
    proposal: str,
    agents: Sequence[str],
    options: Sequence[str | int],
    consensus_threshold: float,
    assessment_strategy: str,
    metrics: Sequence[Metrics],
) -> WeightedSession:
    """A session before any vote: baseline weights from each agent's metrics, capped.

    The arguments are trusted (`impl.api.start_weighted_consensus` validates them).
    """
    history = tuple((m,) for m in metrics)
    baseline = tuple(expertise_weight(m) for m in metrics)
    stats = recalculate(baseline)
    n = len(agents)
    return WeightedSession(
        session_id=session_id,
        proposal=proposal,
        agents=tuple(agents),
        options=tuple(options),
        consensus_threshold=consensus_threshold,
        assessment_strategy=assessment_strategy,
        baseline_weights=baseline,
        uncapped_weights=baseline,
        agent_weights=stats.agent_weights,
        expertise_history=history,
        votes=(None,) * n,
        votes_cast=(0,) * n,
        weighted_total=0.0,
        max_possible_weight=stats.max_possible_weight,
        consensus_reached=False,
        final_decision=None,
        confidence_score=0.0,
        gini_coefficient=stats.gini_coefficient,
        max_individual_weight=stats.max_individual_weight,
        weight_entropy=stats.weight_entropy,
        assessments=0,
        feedbacks=0,
        closed=False,
    )


def tally(s: WeightedSession) -> list[float]:
    """Each option's support: current weight x confidence over the agents voting for it."""
    support = [0.0] * len(s.options)
    for i, v in enumerate(s.votes):
        if v is not None:
            support[v.option] += s.agent_weights[i] * v.confidence
    return support


def total_over(weights: Sequence[float], votes: Sequence[Vote | None]) -> float:
    """Sum of current weight x confidence over the agents that have a vote."""
    return math.fsum(weights[i] * v.confidence for i, v in enumerate(votes) if v is not None)


def updated_weights(s: WeightedSession) -> tuple[float, ...]:
    """The uncapped weights of a weight update: static, the baseline; dynamic, the
    latest expertise weight; adaptive, the mean of the two (FINDINGS W9)."""
    if s.assessment_strategy == "static":
        return s.baseline_weights
    latest = tuple(expertise_weight(h[-1]) for h in s.expertise_history)
    if s.assessment_strategy == "dynamic":
        return latest
    return tuple((b + x) / 2 for b, x in zip(s.baseline_weights, latest, strict=True))


# --- effects -----------------------------------------------------------------------------


def _telemetry(
    s: WeightedSession,
    event: str,
    measurements: Mapping[str, int | float],
    metadata: Mapping[str, Scalar] | None = None,
) -> Telemetry:
    return Telemetry(PROTOCOL, event, s.session_id, dict(measurements), dict(metadata or {}))


def _decide(s: WeightedSession, closing: bool) -> tuple[WeightedSession, tuple[Effect, ...]]:
    """Early consensus (or, when `closing`, the deadline's result)."""
    support = tally(s)
    bar = s.consensus_threshold * s.max_possible_weight
    winners = [k for k, w in enumerate(support) if at_least(w, bar)]
    if len(winners) == 1:
        k = winners[0]
        total = s.weighted_total
        confidence = min(1.0, support[k] / total) if total > 0 else 0.0
        decided = attrs.evolve(
            s,
            consensus_reached=True,
            final_decision=s.options[k],
            confidence_score=confidence,
            closed=True,
        )
        proof = tuple(
            (s.agents[i], s.agent_weights[i], v.confidence)
            for i, v in enumerate(s.votes)
            if v is not None and v.option == k
        )
        return decided, (
            _telemetry(
                decided,
                "consensus_reached",
                {"support": support[k], "bar": bar, "confidence_score": confidence},
                {"decision": s.options[k], "closing": closing},
            ),
            Decide(s.options[k], proof),
        )
    if closing:
        closed = attrs.evolve(s, final_decision=NO_CONSENSUS, closed=True)
        return closed, (
            _telemetry(
                closed,
                "voting_closed",
                {"weighted_total": s.weighted_total, "bar": bar},
                {"result": NO_CONSENSUS},
            ),
            Decide(NO_CONSENSUS),
        )
    return s, ()


def _with_weights(s: WeightedSession, uncapped: tuple[float, ...]) -> WeightedSession:
    stats = recalculate(uncapped)
    return attrs.evolve(
        s,
        uncapped_weights=uncapped,
        agent_weights=stats.agent_weights,
        max_possible_weight=stats.max_possible_weight,
        gini_coefficient=stats.gini_coefficient,
        max_individual_weight=stats.max_individual_weight,
        weight_entropy=stats.weight_entropy,
        weighted_total=total_over(stats.agent_weights, s.votes),
    )


def _append(
    history: tuple[tuple[Metrics, ...], ...], agent: int, m: Metrics
) -> tuple[tuple[Metrics, ...], ...]:
    return (*history[:agent], (*history[agent], m), *history[agent + 1 :])


# --- validation --------------------------------------------------------------------------


def is_rate(value: object) -> bool:
    """A real number in [0, 1] (not a bool, not NaN)."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 <= value <= 1
    )


def metrics_of(data: Mapping[str, Any]) -> Metrics | Error:
    """The four metrics of an assessment (each a rate), or `invalid_metrics`."""
    values = []
    for name in Metrics._fields:
        value = data.get(name)
        if not is_rate(value):
            return Error("invalid_metrics", f"{name} must be a number in [0, 1], not {value!r}")
        values.append(round(float(cast(float, value)), METRIC_DIGITS))
    return Metrics(*values)


def _agent(s: WeightedSession, data: Mapping[str, Any]) -> int | Error:
    i = s.index(data["agent_id"])
    if i is None:
        return Error("not_participant", f"agent {data['agent_id']!r} does not participate")
    return i


# --- the handlers ------------------------------------------------------------------------


def _vote_submission(s: WeightedSession, data: Mapping[str, Any]) -> Ok[WeightedSession] | Error:
    agent = _agent(s, data)
    if isinstance(agent, Error):
        return agent
    if agent in s.failed_agents:
        return Error("agent_failed", f"agent {s.agents[agent]!r} has failed")
    vote = data["vote"]
    if vote not in s.options or isinstance(vote, bool):
        return Error("unknown_option", f"option {vote!r} is not listed")
    confidence = EVENTS["vote_submission"].value(data, "confidence")
    if not is_rate(confidence):
        return Error("confidence_out_of_range", f"confidence {confidence!r} is not in [0, 1]")
    reasoning = EVENTS["vote_submission"].value(data, "reasoning")
    if reasoning is not None and not isinstance(reasoning, str):
        return Error("malformed_event", "reasoning must be a text")
    option = s.options.index(vote)
    weight = s.agent_weights[agent]
    c = float(confidence)
    cast = Vote(option, weight, c, weight * c, reasoning)
    votes = (*s.votes[:agent], cast, *s.votes[agent + 1 :])
    counts = (*s.votes_cast[:agent], s.votes_cast[agent] + 1, *s.votes_cast[agent + 1 :])
    after = attrs.evolve(
        s, votes=votes, votes_cast=counts, weighted_total=total_over(s.agent_weights, votes)
    )
    processed = _telemetry(
        after,
        "vote_processed",
        {"weight": weight, "confidence": c, "weighted_total": after.weighted_total},
        {"agent_id": s.agents[agent], "vote": vote, "re_vote": s.votes[agent] is not None},
    )
    decided, effects = _decide(after, closing=False)
    return Ok(decided, (processed, *effects))


def _weight_update(s: WeightedSession) -> Ok[WeightedSession]:
    after = _with_weights(s, updated_weights(s))
    return Ok(
        after,
        (
            _telemetry(
                after,
                "weights_updated",
                {
                    "max_possible_weight": after.max_possible_weight,
                    "gini_coefficient": after.gini_coefficient,
                    "max_individual_weight": after.max_individual_weight,
                    "weight_entropy": after.weight_entropy,
                    "agents": len(after.agents),
                },
                {"strategy": s.assessment_strategy},
            ),
        ),
    )


def _assessment(s: WeightedSession, data: Mapping[str, Any]) -> Ok[WeightedSession] | Error:
    agent = _agent(s, data)
    if isinstance(agent, Error):
        return agent
    m = metrics_of(data)
    if isinstance(m, Error):
        return m
    after = attrs.evolve(
        s, expertise_history=_append(s.expertise_history, agent, m), assessments=s.assessments + 1
    )
    return Ok(
        after,
        (
            _telemetry(
                after,
                "expertise_assessed",
                {"expertise_weight": expertise_weight(m)},
                {"agent_id": s.agents[agent]},
            ),
        ),
    )


def _feedback(s: WeightedSession, data: Mapping[str, Any]) -> Ok[WeightedSession] | Error:
    agent = _agent(s, data)
    if isinstance(agent, Error):
        return agent
    correct = data["correct"]
    if not isinstance(correct, bool):
        return Error(
            "malformed_event", f"performance_feedback needs correct: bool, not {correct!r}"
        )
    last = s.latest(agent)
    moved = last.past_performance + (FEEDBACK_STEP if correct else -FEEDBACK_STEP)
    past = round(min(1.0, max(0.0, moved)), METRIC_DIGITS)
    m = last._replace(past_performance=past)
    after = attrs.evolve(
        s, expertise_history=_append(s.expertise_history, agent, m), feedbacks=s.feedbacks + 1
    )
    return Ok(
        after,
        (
            _telemetry(
                after,
                "performance_recorded",
                {"past_performance": past},
                {"agent_id": s.agents[agent], "correct": correct},
            ),
        ),
    )


#: The fewest agents a weighted session goes on with.
LEAST_AGENTS = 1


def _agent_failure(s: WeightedSession, data: Mapping[str, Any]) -> Ok[WeightedSession] | Error:
    """§5.3's `handle_agent_failure`: the session goes on without the agent (its vote,
    if any, and its weight stay: spec/FINDINGS.md S2)."""
    agent = _agent(s, data)
    if isinstance(agent, Error):
        return agent
    if agent in s.failed_agents:
        return Error("agent_failed", f"agent {s.agents[agent]!r} has failed already")
    remaining = len(s.agents) - len(s.failed_agents) - 1
    if remaining < LEAST_AGENTS:
        return Error("insufficient_agents", f"without {s.agents[agent]!r}, no agent remains")
    after = attrs.evolve(s, failed_agents=s.failed_agents | {agent})
    return Ok(
        after,
        (
            _telemetry(
                after,
                "agent_failed",
                {"remaining": remaining, "weight": s.agent_weights[agent]},
                {"agent_id": s.agents[agent], "voted": s.votes[agent] is not None},
            ),
        ),
    )


_AGENT = Field("agent_id", "text", "the agent: a participant")
_METRIC = "number in [0, 1]"

#: Each event: its data's fields and the reasons it is refused for (`impl.fields`).
EVENTS: dict[str, Event] = events(
    Event(
        "vote_submission",
        (
            Field("agent_id", "text", "the voter: a participant"),
            Field(
                "vote",
                "one of the session's `options`",
                "the option voted for; a re-vote replaces the agent's earlier vote",
            ),
            Field(
                "confidence",
                _METRIC,
                "the vote counts weight x confidence",
                default=1.0,
            ),
            Field("reasoning", "text", "kept with the vote", default=None),
        ),
        (
            "not_participant",
            "agent_failed",
            "unknown_option",
            "confidence_out_of_range",
            "malformed_event",
        ),
    ),
    Event("weight_update_request"),
    Event(
        "expertise_assessment",
        (
            _AGENT,
            Field("accuracy", _METRIC, "historical accuracy rate (factor 0.3)"),
            Field("consistency", _METRIC, "consistency of responses (factor 0.2)"),
            Field("domain_knowledge", _METRIC, "domain-specific expertise (factor 0.3)"),
            Field("past_performance", _METRIC, "overall past performance (factor 0.2)"),
            Field("recency_weight", "number", "the seed's; accepted, not used", default=None),
            Field("measured_at", "timestamp", "the seed's; accepted, not used", default=None),
        ),
        ("not_participant", "invalid_metrics"),
    ),
    Event("consensus_check"),
    Event("voting_deadline"),
    Event(
        "performance_feedback",
        (
            _AGENT,
            Field(
                "correct",
                "boolean",
                "past performance moves by +0.2 (true) or -0.2 (false), within [0, 1]",
            ),
        ),
        ("not_participant", "malformed_event"),
    ),
    Event(
        "agent_failure",
        (Field("agent_id", "text", "the agent that failed (seed §5.3)"),),
        ("not_participant", "agent_failed", "insufficient_agents"),
    ),
)

#: The protocol as the API takes it (the README's table: `impl.fields.markdown`).
FIELDS = Protocol(
    "weighted",
    "start_weighted_consensus",
    EVENTS,
    (
        ("unknown_weighted_event", "no such event_type"),
        ("malformed_event", "event_data is not a mapping"),
        ("unknown_field", "a key the event does not have"),
        ("missing_field", "a required field is absent"),
        ("after_decision", "the session has decided"),
        ("after_deadline", "the deadline closed the session"),
        ("store_failed", "`handle_event` with a store: writing an accepted measurement failed"),
        SESSION_FAILED,
    ),
)


def handle_weighted_event(
    session: WeightedSession, event_type: str, event_data: Mapping[str, Any] | None = None
) -> Ok[WeightedSession] | Error:
    """§2.3's `handle_weighted_event`: the new session and its effects, or an `Error`.

    Events after the decision are `after_decision`, after the deadline `after_deadline`;
    unknown names are `unknown_weighted_event`; data that is not a mapping is
    `malformed_event`; a key the event does not have is `unknown_field`, a required
    field absent `missing_field` (`EVENTS`); every event on a failed session is
    `session_failed`.
    """
    failed = refuse_if_failed(session.failed)
    if failed is not None:
        return failed
    event = EVENTS.get(event_type)
    if event is None:
        return Error("unknown_weighted_event", f"no such event {event_type!r}")
    if event_data is None:
        event_data = {}
    if not isinstance(event_data, Mapping):
        return Error("malformed_event", f"{event_type} data must be a mapping")
    misfit = event.check(event_data)
    if misfit is not None:
        return misfit
    s = session
    if s.closed:
        reason = "after_decision" if s.consensus_reached else "after_deadline"
        return Error(reason, "the session has ended")
    if event_type == "vote_submission":
        return _vote_submission(s, event_data)
    if event_type == "weight_update_request":
        return _weight_update(s)
    if event_type == "expertise_assessment":
        return _assessment(s, event_data)
    if event_type == "performance_feedback":
        return _feedback(s, event_data)
    if event_type == "agent_failure":
        return _agent_failure(s, event_data)
    decided, effects = _decide(s, closing=event_type == "voting_deadline")
    return Ok(decided, effects)
