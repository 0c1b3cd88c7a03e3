"""Driving the iterative-refinement implementation from the spec's configurations and
actions.

Spec agent i is the implementation's `agent<i>`; a spec configuration starts a session
through the registered adapter (`impl.refinement.iterative.ADAPTER`).
"""

from __future__ import annotations

from typing import Any

import attrs

from impl import iterative as ii
from impl.refinement.iterative import ADAPTER
from impl.refinement.tolerance import approx, differences
from spec import iterative as it
from spec.core import action_name
from tests.harness.specs import MISFITS, refined_step, started

#: The implementation's names for the spec's guards, where they differ.
REASONS: dict[str, tuple[str, ...]] = {"malformed_event": MISFITS}


def agent_id(i: int) -> str:
    """The implementation's id of spec agent i."""
    return f"agent{i}"


def session_start(config: it.IterativeConfig) -> dict[str, Any]:
    """`session_start`'s data for a spec configuration."""
    return {
        "proposal": it.TEXTS[0],
        "participants": [agent_id(i) for i in range(config.agents)],
        "config": {
            "session_id": "s",
            "max_rounds": config.max_rounds,
            "convergence_threshold": float(config.convergence_threshold),
            "quality_threshold": float(config.quality_threshold),
            "early_termination": config.early_termination,
            "convergence_method": config.method,
        },
    }


def start(config: it.IterativeConfig) -> ii.IterativeSession:
    """The implementation's session for a spec configuration."""
    return started(ADAPTER, session_start(config), ii.IterativeSession)


def event_of(action: it.Action) -> tuple[str, dict[str, Any]]:
    """The seed event (with the seed's field names) that a spec action stands for."""
    if isinstance(action, it.ProposalSubmission):
        return "proposal_submission", {
            "agent_id": agent_id(action.agent),
            "proposal": action.proposal,
            "confidence": float(action.confidence),
        }
    if isinstance(action, it.FeedbackSubmission):
        return "feedback_submission", {
            "from_agent": agent_id(action.from_agent),
            "target_agent": agent_id(action.target_agent),
            "feedback": {"quality_score": float(action.score)},
        }
    return action_name(action), {}


def project(state: it.IterativeState, n: int) -> it.IterativeState:
    """A (mutant's) state as the spec's: its fields only, and the participants' slots."""
    fields = {f.name: getattr(state, f.name) for f in attrs.fields(it.IterativeState)}
    fields["round_proposals"] = fields["round_proposals"][:n]
    fields["proposals_history"] = tuple(
        r._replace(proposals=r.proposals[:n], feedback_summary=r.feedback_summary[:n])
        for r in state.proposals_history
    )
    return it.IterativeState(**fields)


def refined_path(
    model: it.Iterative, shadow: it.IterativeState, after: it.IterativeState, failures: bool
) -> it.IterativeState:
    """The spec state an implementation step maps to: a stutter or one spec step
    (`tests.harness.specs.refined_step`), or, once an agent has failed, two: the last
    remaining proposal (or feedback) closes its phase, which in the spec is the
    submission and then `phase_transition` (the round's time is up)."""
    try:
        matched: it.IterativeState = refined_step(model, shadow, after, approx, differences)
        return matched
    except AssertionError:
        if not failures:
            raise
    for action in model.honest_actions(shadow):
        middle = model.step(shadow, action)
        if it.PhaseTransition() in model.honest_actions(middle):
            successor = model.step(middle, it.PhaseTransition())
            if approx(after, successor):
                return successor
    raise AssertionError(f"no spec path: {differences(after, shadow)}")
