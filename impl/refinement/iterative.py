"""The iterative-refinement implementation's refinement of `spec.iterative`.

`abstract` maps an `impl.iterative.IterativeSession` to the `spec.iterative.IterativeState`
it stands for:

- agents 0..n-1: `session.participants`, by position;
- texts, phases, termination reasons, rounds: the same values;
- confidences, feedback scores, thresholds, feedback weights (configured or measured):
  `snap` of the floats;
- quality, convergence, consensus level, feedback summaries (derived): the floats'
  exact binary values;
- submissions: without their reasoning and influences (not modelled).

Every field of the spec state comes from the session, so the spec configuration is not
needed; `abstract` takes it for the same signature as the other protocols' and checks
that the session has its number of agents. States are then compared within the
tolerance (`impl.refinement.tolerance.approx`). `ADAPTER` drives the implementation
through `impl.api` for `conform --events`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from impl import api
from impl.core import Error, Ok
from impl.iterative import IterativeSession, Submission
from impl.refinement.tolerance import snap
from spec import iterative as spec
from spec.registry import Adapter


def abstract(session: IterativeSession, config: spec.IterativeConfig) -> spec.IterativeState:
    """The spec state this session stands for (the module docstring's table).

    Raises:
        ValueError: the session's participants are not the config's agents.
    """
    s = session
    if len(s.participants) != config.agents:
        raise ValueError(f"{len(s.participants)} participants, the config has {config.agents}")

    def sub(x: Submission | None) -> spec.Submission | None:
        return None if x is None else spec.Submission(x.proposal, snap(x.confidence))

    def subs(xs: tuple[Submission | None, ...]) -> tuple[spec.Submission | None, ...]:
        return tuple(sub(x) for x in xs)

    def exact(xs: Sequence[float]) -> tuple[Fraction, ...]:
        return tuple(Fraction(x) for x in xs)

    return spec.IterativeState(
        current_round=s.current_round,
        max_rounds=s.max_rounds,
        initial_proposal=s.initial_proposal,
        current_proposal=s.current_proposal,
        proposals_history=tuple(
            spec.RoundRecord(
                round=r.round,
                proposals=subs(r.proposals),
                selected_agent=r.selected_agent,
                selected_proposal=r.selected_proposal,
                quality_score=Fraction(r.quality_score),
                convergence_score=Fraction(r.convergence_score),
                feedback_summary=exact(r.feedback_summary),
            )
            for r in s.proposals_history
        ),
        round_proposals=subs(s.round_proposals),
        feedback_collection=frozenset(
            (f.from_agent, f.target_agent, snap(f.score)) for f in s.feedback_collection
        ),
        feedback_weights=tuple(snap(x) for x in s.feedback_weights),
        convergence_threshold=snap(s.convergence_threshold),
        convergence_score=Fraction(s.convergence_score),
        similarity_history=exact(s.similarity_history),
        convergence_method=s.convergence_method,
        quality_scores=None if s.quality_scores is None else exact(s.quality_scores),
        quality_threshold=snap(s.quality_threshold),
        termination_reason=s.termination_reason,
        early_termination_enabled=s.early_termination_enabled,
        current_phase=s.current_phase,
        final_proposal=s.final_proposal,
        consensus_level=Fraction(s.consensus_level),
    )


def start(data: Mapping[str, Any]) -> Ok[IterativeSession] | Error:
    """`session_start`'s data (`proposal`, `participants`, `config`) through
    `impl.api.start_iterative_consensus`."""
    return api.start_iterative_consensus(data["proposal"], data["participants"], data.get("config"))


def handle(session: Any, event_type: str, data: Mapping[str, Any]) -> Ok[Any] | Error:
    """One event through `impl.api.handle_event`."""
    return api.handle_event(session, event_type, data)


#: How the oracle drives the iterative implementation.
ADAPTER = Adapter(start=start, handle=handle, abstract=abstract)
