"""The weighted-voting implementation's refinement of `spec.weighted`: session -> spec state.

`abstract` maps an `impl.weighted.WeightedSession` to the `spec.weighted.WeightedState`
it stands for, under the spec configuration whose bounds the session runs within:

- agents 0..n-1: `session.agents`, by position; options 1..k: `session.options`, by
  position + 1;
- `proposal`: `"proposal"` (the spec's one proposal; the text is not modelled);
- the threshold, metrics and confidences (configured or measured): `snap` of the floats;
- weights, totals and statistics (derived): the floats' exact binary values;
- `final_decision`: the option's position + 1, or `no_consensus`; `first_decision`: the
  same once consensus is reached;
- `assessments_left`, `feedbacks_left`: the config's bounds less the session's counts.

States are then compared within the tolerance (`impl.refinement.tolerance.approx`).
`ADAPTER` drives the implementation through `impl.api` for `conform --events`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from impl import api
from impl.core import Error, Ok
from impl.refinement.tolerance import snap
from impl.weighted import NO_CONSENSUS, WeightedSession
from spec import weighted as spec
from spec.registry import Adapter


def abstract(session: WeightedSession, config: spec.WeightedConfig) -> spec.WeightedState:
    """The spec state this session stands for (the module docstring's table).

    `config` gives the model's bounds on assessments and feedbacks, of which the session
    has used `session.assessments` and `session.feedbacks`.
    """
    s = session

    def exact(xs: Sequence[float]) -> tuple[Fraction, ...]:
        return tuple(Fraction(x) for x in xs)

    def decision(d: str | int | None) -> int | str | None:
        if d is None or d == NO_CONSENSUS:
            return d
        return s.options.index(d) + 1

    votes = tuple(
        None
        if v is None
        else spec.Vote(
            v.option + 1, Fraction(v.weight), snap(v.confidence), Fraction(v.weighted_value)
        )
        for v in s.votes
    )
    final = decision(s.final_decision)
    return spec.WeightedState(
        proposal="proposal",
        options=tuple(range(1, len(s.options) + 1)),
        consensus_threshold=snap(s.consensus_threshold),
        assessment_strategy=s.assessment_strategy,
        baseline_weights=exact(s.baseline_weights),
        uncapped_weights=exact(s.uncapped_weights),
        agent_weights=exact(s.agent_weights),
        expertise_history=tuple(
            tuple(spec.Metrics(*(snap(x) for x in m)) for m in h) for h in s.expertise_history
        ),
        votes=votes,
        votes_cast=s.votes_cast,
        weighted_total=Fraction(s.weighted_total),
        max_possible_weight=Fraction(s.max_possible_weight),
        consensus_reached=s.consensus_reached,
        final_decision=final,
        first_decision=final if s.consensus_reached else None,
        confidence_score=Fraction(s.confidence_score),
        gini_coefficient=Fraction(s.gini_coefficient),
        max_individual_weight=Fraction(s.max_individual_weight),
        weight_entropy=Fraction(s.weight_entropy),
        assessments_left=config.assessments - s.assessments,
        feedbacks_left=config.feedbacks - s.feedbacks,
        closed=s.closed,
    )


def start(data: Mapping[str, Any]) -> Ok[WeightedSession] | Error:
    """`session_start`'s data (`proposal`, `participants`, `config`) through
    `impl.api.start_weighted_consensus` (no expertise store)."""
    return api.start_weighted_consensus(data["proposal"], data["participants"], data.get("config"))


def handle(session: Any, event_type: str, data: Mapping[str, Any]) -> Ok[Any] | Error:
    """One event through `impl.api.handle_event` (no expertise store)."""
    return api.handle_event(session, event_type, data)


#: How the oracle drives the weighted implementation.
ADAPTER = Adapter(start=start, handle=handle, abstract=abstract)
