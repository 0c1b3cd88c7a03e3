"""Driving the weighted-voting implementation from the spec's configurations and actions.

Spec agent i is the implementation's `agent<i>`, option k its `option<k>`; a spec
configuration starts a session through the registered adapter
(`impl.refinement.weighted.ADAPTER`).
"""

from __future__ import annotations

from typing import Any

from impl import weighted as iw
from impl.refinement.weighted import ADAPTER
from spec import weighted as w
from tests.harness.specs import MISFITS, started

#: The implementation's names for the spec's guards, where they differ (it reads
#: metrics, not the model's profile numbers).
REASONS: dict[str, tuple[str, ...]] = {
    "unknown_profile": ("invalid_metrics",),
    "malformed_event": MISFITS,
}


def agent_id(i: int) -> str:
    """The implementation's id of spec agent i."""
    return f"agent{i}"


def option_name(k: int) -> str:
    """The implementation's name of spec option k."""
    return f"option{k}"


def floats(m: w.Metrics) -> dict[str, float]:
    """A spec metric profile as the implementation's four metric fields."""
    return {name: float(x) for name, x in zip(iw.Metrics._fields, m, strict=True)}


def session_start(config: w.WeightedConfig) -> dict[str, Any]:
    """`session_start`'s data for a spec configuration."""
    ids = [agent_id(i) for i in range(config.agents)]
    return {
        "proposal": "proposal",
        "participants": ids,
        "config": {
            "session_id": "s",
            "options": [option_name(k) for k in range(1, config.options + 1)],
            "consensus_threshold": float(config.consensus_threshold),
            "assessment_strategy": config.strategy,
            "expertise": {
                a: floats(w.PROFILES[p]) for a, p in zip(ids, config.profiles, strict=True)
            },
        },
    }


def start(config: w.WeightedConfig) -> iw.WeightedSession:
    """The implementation's session for a spec configuration."""
    return started(ADAPTER, session_start(config), iw.WeightedSession)


def event_of(action: w.Action) -> tuple[str, dict[str, Any]]:
    """The seed event (with the seed's field names) that a spec action stands for."""
    if isinstance(action, w.VoteSubmission):
        return "vote_submission", {
            "agent_id": agent_id(action.agent),
            "vote": option_name(action.vote),
            "confidence": float(action.confidence),
        }
    if isinstance(action, w.ExpertiseAssessment):
        return "expertise_assessment", {
            "agent_id": agent_id(action.agent),
            **floats(w.PROFILES[action.profile]),
        }
    if isinstance(action, w.PerformanceFeedback):
        return "performance_feedback", {
            "agent_id": agent_id(action.agent),
            "correct": action.correct,
        }
    names = {
        w.WeightUpdateRequest: "weight_update_request",
        w.ConsensusCheck: "consensus_check",
        w.VotingDeadline: "voting_deadline",
    }
    return names[type(action)], {}
