"""The seed's sessions in the seed's own names: weighted voting and iterative refinement.

Weighted voting and iterative refinement are sessions whose coordinator takes every
event (seed Parts 2 and 3: `handle_*_event(session, event_type, event_data, state)`).
This module is the mapping between the spec and that form, which each of the two
declares as its `Specification.session` (`generate --per-agent` writes its `session`
form from it): the session in the seed's names (§2.2's `weighted_state`, §3.2's
`iterative_state`), the events in the seed's names (`seed_event`, and back:
`spec_data`), and how to start the session (`SessionForm.start`: the arguments of
`start_*_consensus` that give an initial state: the proposal, the participants and the
config, as the reference implementation's `impl.api` takes them). Spec agent i is the
participant `agent<i>` (the reference implementation's test harness names them so,
`tests/harness/`), option k is `option<k>`, and numbers are JSON numbers (the seed's
`float()`; a reader takes `"p/q"` alike). Per-agent maps (`%{agent_id() => ...}`) are
objects keyed by agent id; an agent without an entry (no vote, no proposal yet) has no
key.

`WEIGHTED` and `ITERATIVE` are the mappings from the spec's state to the session's
fields, one row per state variable (the README's table and the schema's descriptions
are theirs); a field the seed's state does not have is marked as the model's own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import attrs

from spec.core import action_args
from spec.jsonform import read_fraction, to_json

Json = Any

_AGENT = re.compile(r"agent(-?[0-9]+)")
_OPTION = re.compile(r"option(-?[0-9]+)")
#: The four expertise metrics of an assessment, in the seed's names and order.
METRICS = ("accuracy", "consistency", "domain_knowledge", "past_performance")


def agent_id(i: object) -> Json:
    """The seed's `agent_id` of spec agent i: `agent<i>` (any other value as it is)."""
    if isinstance(i, int) and not isinstance(i, bool):
        return f"agent{i}"
    return to_json(i)


def option_name(k: object) -> Json:
    """The option value of spec option k: `option<k>` (`no_consensus`, None as they are)."""
    if isinstance(k, int) and not isinstance(k, bool):
        return f"option{k}"
    return to_json(k)


def number(x: object) -> Json:
    """A spec number as the seed's: a JSON number (any other value as it is)."""
    if isinstance(x, Fraction | int) and not isinstance(x, bool):
        return float(x) if isinstance(x, Fraction) else x
    return to_json(x)


def _per_agent(convert: Callable[[Any], Json]) -> Callable[[Sequence[Any]], Json]:
    def each(values: Sequence[Any]) -> Json:
        return {agent_id(i): convert(v) for i, v in enumerate(values) if v is not None}

    return each


def _metrics(m: Sequence[Fraction]) -> Json:
    return {name: number(x) for name, x in zip(METRICS, m, strict=True)}


def _vote(v: Any) -> Json:
    return {
        "vote": option_name(v.option),
        "weight": number(v.weight),
        "confidence": number(v.confidence),
        "weighted_value": number(v.weighted_value),
    }


def _submissions(subs: Sequence[Any]) -> Json:
    return {
        agent_id(i): {
            "proposal": to_json(sub.proposal),
            "agent_id": agent_id(i),
            "confidence": number(sub.confidence),
        }
        for i, sub in enumerate(subs)
        if sub is not None
    }


def _feedback(collection: frozenset[tuple[int, int, Fraction]]) -> Json:
    out: dict[str, dict[str, Json]] = {}
    for f, t, score in sorted(collection):
        out.setdefault(agent_id(f), {})[agent_id(t)] = {"quality_score": number(score)}
    return out


def _rounds(records: Sequence[Any]) -> Json:
    return [
        {
            "round": r.round,
            "proposals": _submissions(r.proposals),
            "selected_agent": agent_id(r.selected_agent),
            "selected_proposal": r.selected_proposal,
            "quality_score": number(r.quality_score),
            "convergence_score": number(r.convergence_score),
            "feedback_summary": _per_agent(number)(r.feedback_summary),
        }
        for r in records
    ]


def _same(x: Any) -> Json:
    return to_json(x)


@attrs.frozen
class Field:
    """One spec state variable as a field of the seed's session.

    Attributes:
        spec: the spec's state variable.
        seed: the session's field (a dotted name is a field of a nested object).
        meaning: how the value is written (the README's and the schema's words).
        convert: the spec value to the field's JSON.
        seed_named: the seed's state has the field (False: the model's own).
    """

    spec: str
    seed: str
    meaning: str
    convert: Callable[[Any], Json]
    seed_named: bool = True


_NUMBER = "a number"
_TEXT = "a text"
_BY_AGENT = "an object: agent id -> number"

#: Weighted voting's state (spec.weighted.WeightedState) as §2.2's `weighted_state`.
WEIGHTED = (
    Field("proposal", "proposal", _TEXT, _same),
    Field(
        "options",
        "options",
        "the option values, a list: option<k> for k = 1, 2, ...",
        lambda xs: [option_name(k) for k in xs],
        seed_named=False,
    ),
    Field("consensus_threshold", "consensus_threshold", _NUMBER, number),
    Field("assessment_strategy", "assessment_strategy", "static, dynamic or adaptive", _same),
    Field("baseline_weights", "baseline_weights", _BY_AGENT, _per_agent(number)),
    Field(
        "uncapped_weights",
        "uncapped_weights",
        _BY_AGENT + " (before the fairness cap)",
        _per_agent(number),
        seed_named=False,
    ),
    Field("agent_weights", "agent_weights", _BY_AGENT, _per_agent(number)),
    Field(
        "expertise_history",
        "expertise_history",
        "agent id -> its measurements, oldest first, each {accuracy, consistency, "
        "domain_knowledge, past_performance}",
        _per_agent(lambda h: [_metrics(m) for m in h]),
    ),
    Field(
        "votes",
        "votes",
        "agent id -> vote_data {vote, weight, confidence, weighted_value}, for the agents "
        "that voted",
        _per_agent(_vote),
    ),
    Field(
        "votes_cast",
        "votes_cast",
        "agent id -> the votes it has cast (re-votes included)",
        _per_agent(_same),
        seed_named=False,
    ),
    Field("weighted_total", "weighted_total", _NUMBER, number),
    Field("max_possible_weight", "max_possible_weight", _NUMBER, number),
    Field("consensus_reached", "consensus_reached", "a boolean", _same),
    Field(
        "final_decision", "final_decision", "the option decided, no_consensus, or null", option_name
    ),
    Field(
        "first_decision",
        "first_decision",
        "the first decision reached (a history variable)",
        option_name,
        seed_named=False,
    ),
    Field("confidence_score", "confidence_score", _NUMBER, number),
    Field("gini_coefficient", "weight_distribution_stats.gini_coefficient", _NUMBER, number),
    Field(
        "max_individual_weight",
        "weight_distribution_stats.max_individual_weight",
        _NUMBER,
        number,
    ),
    Field("weight_entropy", "weight_distribution_stats.weight_entropy", _NUMBER, number),
    Field(
        "assessments_left",
        "assessments_left",
        "the model's bound: assessments still allowed",
        _same,
        seed_named=False,
    ),
    Field(
        "feedbacks_left",
        "feedbacks_left",
        "the model's bound: feedbacks still allowed",
        _same,
        seed_named=False,
    ),
    Field("closed", "closed", "the session has ended", _same, seed_named=False),
)

#: Iterative refinement's state (spec.iterative.IterativeState) as §3.2's `iterative_state`.
ITERATIVE = (
    Field("current_round", "current_round", "an integer", _same),
    Field("max_rounds", "max_rounds", "an integer", _same),
    Field("initial_proposal", "initial_proposal", _TEXT, _same),
    Field("current_proposal", "current_proposal", _TEXT, _same),
    Field(
        "proposals_history",
        "proposals_history",
        "the finished rounds, each proposal_round {round, proposals, selected_agent, "
        "selected_proposal, quality_score, convergence_score, feedback_summary (agent id "
        "-> number)}",
        _rounds,
    ),
    Field(
        "round_proposals",
        "round_proposals",
        "agent id -> proposal_submission {proposal, agent_id, confidence}, for the agents "
        "that submitted this round",
        _submissions,
    ),
    Field(
        "feedback_collection",
        "feedback_collection",
        "from agent id -> target agent id -> feedback_data {quality_score}",
        _feedback,
    ),
    Field("feedback_weights", "feedback_weights", _BY_AGENT, _per_agent(number)),
    Field("convergence_threshold", "convergence_threshold", _NUMBER, number),
    Field("convergence_score", "convergence_score", _NUMBER, number),
    Field(
        "similarity_history",
        "similarity_history",
        "the rounds' convergence scores, a list of numbers",
        lambda xs: [number(x) for x in xs],
    ),
    Field("convergence_method", "convergence_method", "jaccard, semantic or custom", _same),
    Field(
        "quality_scores",
        "quality_scores",
        "agent id -> the quality of its proposal, or null before the assessment",
        lambda q: None if q is None else _per_agent(number)(q),
    ),
    Field("quality_threshold", "quality_threshold", _NUMBER, number),
    Field(
        "termination_reason",
        "termination_reason",
        "max_rounds, convergence, quality, consensus, or null",
        _same,
    ),
    Field("early_termination_enabled", "early_termination_enabled", "a boolean", _same),
    Field(
        "current_phase",
        "current_phase",
        "proposal_collection, feedback_collection, analysis or transition",
        _same,
    ),
    Field("final_proposal", "final_proposal", "a text, or null", _same),
    Field("consensus_level", "consensus_level", _NUMBER, number),
)


def session_json(table: Sequence[Field], state: object) -> dict[str, Json]:
    """A spec state as the seed's session (`table`'s fields)."""
    out: dict[str, Json] = {}
    for f in table:
        value = f.convert(getattr(state, f.spec))
        head, _, tail = f.seed.partition(".")
        if tail:
            out.setdefault(head, {})[tail] = value
        else:
            out[head] = value
    return out


# --- events --------------------------------------------------------------------------------


def seed_event(events: Mapping[str, type], action: object) -> dict[str, Json]:
    """A spec action as the seed's event: `event_type` and `event_data` in the seed's
    names (`agent_id`, option values, numbers; an assessment's metric profile as its four
    metrics, a profile the model does not have as metrics of -1; a feedback's score as
    `feedback.quality_score`)."""
    from spec import weighted

    names = [name for name, cls in events.items() if type(action) is cls]
    assert names, "every action of a session protocol is a seed event"
    data: dict[str, Json] = {}
    for key, value in action_args(action).items():
        if key in ("agent", "from_agent", "target_agent"):
            data["agent_id" if key == "agent" else key] = agent_id(value)
        elif key == "vote":
            data["vote"] = option_name(value)
        elif key == "profile":
            known = isinstance(value, int) and 0 <= value < len(weighted.PROFILES)
            profile = weighted.PROFILES[value] if known else (Fraction(-1),) * len(METRICS)
            data.update(_metrics(profile))
        elif key == "score":
            data["feedback"] = {"quality_score": number(value)}
        else:
            data[key] = number(value)
    return {"event_type": names[0], "event_data": data}


#: The seed's optional fields the spec does not model: read and dropped.
IGNORED = frozenset({"reasoning", "based_on", "recency_weight", "measured_at"})
IGNORED_FEEDBACK = frozenset(
    {
        "target_proposal",
        "specific_feedback",
        "improvement_suggestions",
        "overall_assessment",
        "confidence",
        "timestamp",
    }
)


def _position(pattern: re.Pattern[str], value: Json) -> Json:
    if isinstance(value, str):
        match = pattern.fullmatch(value)
        if match:
            return int(match.group(1))
    return value


def _spec_number(value: Json) -> Json:
    found = read_fraction(value)
    return value if found is None else found


def spec_data(event_type: str, data: Mapping[str, Json]) -> dict[str, Json]:
    """The spec's event data of an event in the seed's names (`seed_event` backwards).

    Agents are `agent<i>` or positions, options `option<k>` or numbers, fractions `"p/q"`
    or numbers (`spec.jsonform.read_fraction`); four metrics that are a profile of the model are
    that profile (other metrics are profile -1, which no model has); a vote without a
    confidence has the seed's 1.0. The seed's fields the spec does not model (`IGNORED`)
    are dropped; any other key is kept as it is, for the spec's decoder to refuse.
    """
    from spec import weighted

    out: dict[str, Json] = {}
    metrics: dict[str, Json] = {}
    for key, value in data.items():
        if key in ("agent_id", "from_agent", "target_agent"):
            out["agent" if key == "agent_id" else key] = _position(_AGENT, value)
        elif key == "vote":
            out["vote"] = _position(_OPTION, value)
        elif key == "confidence":
            out["confidence"] = _spec_number(value)
        elif key in METRICS:
            metrics[key] = _spec_number(value)
        elif key == "feedback" and isinstance(value, Mapping):
            for inner, score in value.items():
                if inner == "quality_score":
                    out["score"] = _spec_number(score)
                elif inner not in IGNORED_FEEDBACK:
                    out[f"feedback.{inner}"] = score
        elif key not in IGNORED:
            out[key] = value
    if metrics and set(metrics) == set(METRICS):
        given = tuple(metrics[name] for name in METRICS)
        profiles = [tuple(p) for p in weighted.PROFILES]
        out["profile"] = profiles.index(given) if given in profiles else -1
    else:
        out.update(metrics)
    if event_type == "vote_submission" and "confidence" not in out:
        out["confidence"] = Fraction(1)
    return out


def weighted_start(state: Any) -> dict[str, Json]:
    """The arguments of `start_weighted_consensus` that give the initial `state`."""
    ids = [agent_id(i) for i in range(len(state.votes))]
    return {
        "proposal": state.proposal,
        "participants": ids,
        "config": {
            "options": [option_name(k) for k in state.options],
            "consensus_threshold": number(state.consensus_threshold),
            "assessment_strategy": state.assessment_strategy,
            "expertise": {
                a: _metrics(h[0]) for a, h in zip(ids, state.expertise_history, strict=True)
            },
        },
    }


def iterative_start(state: Any) -> dict[str, Json]:
    """The arguments of `start_iterative_consensus` that give the initial `state`."""
    return {
        "proposal": state.initial_proposal,
        "participants": [agent_id(i) for i in range(len(state.round_proposals))],
        "config": {
            "max_rounds": state.max_rounds,
            "convergence_threshold": number(state.convergence_threshold),
            "quality_threshold": number(state.quality_threshold),
            "early_termination": state.early_termination_enabled,
            "convergence_method": state.convergence_method,
        },
    }


@attrs.frozen
class SessionForm:
    """A session protocol's form in the seed's names (`Specification.session`).

    Attributes:
        fields: the state as the session's fields (`session_json`).
        start: the arguments of `start_*_consensus` that give an initial state.
    """

    fields: tuple[Field, ...]
    start: Callable[[Any], dict[str, Json]]


WEIGHTED_SESSION = SessionForm(WEIGHTED, weighted_start)
ITERATIVE_SESSION = SessionForm(ITERATIVE, iterative_start)
