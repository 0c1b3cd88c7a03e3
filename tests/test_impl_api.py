"""The coordination API (impl/api.py): the three starts with validated configs,
`handle_event` dispatching on the session's kind, and expertise that persists across
weighted sessions through the store."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from impl import api, pbft
from impl import iterative as ii
from impl import weighted as iw
from impl.core import Decide, Error, Ok, Send, Telemetry
from impl.store import SqliteExpertiseStore, StoreError
from impl.weighted import Metrics

KEY = b"k" * 32
NOVICE = {"accuracy": 0.2, "consistency": 0.2, "domain_knowledge": 0.2, "past_performance": 0.2}
EXPERT = {"accuracy": 1.0, "consistency": 1.0, "domain_knowledge": 1.0, "past_performance": 1.0}


def ok(result: Ok[Any] | Error) -> Ok[Any]:
    assert isinstance(result, Ok), result
    return result


def refused(result: Ok[Any] | Error, reason: str = "invalid_config") -> str:
    assert isinstance(result, Error) and result.reason == reason, result
    assert "\n" not in result.detail
    return result.detail


# --- weighted ---------------------------------------------------------------------------


def test_weighted_defaults() -> None:
    started = ok(api.start_weighted_consensus("budget", ["a", "b", "c"]))
    s = started.session
    assert isinstance(s, iw.WeightedSession)
    assert s.options == ("accept", "reject") and s.consensus_threshold == 0.6
    assert s.assessment_strategy == "dynamic" and s.session_id.startswith("weighted-")
    assert s.agent_weights == pytest.approx((0.6, 0.6, 0.6))
    assert [e.event for e in started.effects if isinstance(e, Telemetry)] == [
        "coordination_started",
        "weights_updated",
    ]
    again = ok(api.start_weighted_consensus("budget", ["a", "b", "c"]))
    assert again.session.session_id == s.session_id  # derived, deterministic
    other = ok(api.start_weighted_consensus("budget", ["a", "b"]))
    assert other.session.session_id != s.session_id


@pytest.mark.parametrize(
    ("proposal", "participants", "config", "starts"),
    [
        (7, ["a"], None, "proposal: expected a text"),
        ("p", "abc", None, "participants: expected a list"),
        ("p", [], None, "participants: at least 1 needed"),
        ("p", ["a", ""], None, "participants: agent ids are non-empty texts"),
        ("p", ["a", "a"], None, "participants: agent ids must be distinct"),
        ("p", ["a"], [1], "config: expected a mapping"),
        ("p", ["a"], {"quorum": 1}, "quorum: unknown key; the keys are session_id"),
        ("p", ["a"], {"options": []}, "options: expected a non-empty list"),
        ("p", ["a"], {"options": "yes"}, "options: expected a non-empty list"),
        ("p", ["a"], {"options": [1.5]}, "options: expected texts or integers"),
        ("p", ["a"], {"options": ["y", "y"]}, "options: must be distinct"),
        ("p", ["a"], {"options": ["no_consensus"]}, "options: must be distinct"),
        ("p", ["a"], {"consensus_threshold": 1.5}, "consensus_threshold: expected a number"),
        ("p", ["a"], {"consensus_threshold": True}, "consensus_threshold: expected a number"),
        ("p", ["a"], {"assessment_strategy": "x"}, "assessment_strategy: expected one of"),
        ("p", ["a"], {"expertise": 3}, "expertise: expected a mapping"),
        ("p", ["a"], {"expertise": {"z": NOVICE}}, "expertise: 'z' is not a participant"),
        ("p", ["a"], {"expertise": {"a": 0.5}}, "expertise: a: expected a mapping"),
        ("p", ["a"], {"expertise": {"a": {"accuracy": 2}}}, "expertise: a: accuracy must"),
        ("p", ["a"], {"session_id": ""}, "session_id: expected a non-empty text"),
    ],
)
def test_weighted_configs_are_validated(
    proposal: object, participants: object, config: object, starts: str
) -> None:
    detail = refused(api.start_weighted_consensus(proposal, participants, config))
    assert detail.startswith(starts), detail


def test_fifty_agents_vote_through_the_api() -> None:
    ids = [f"agent{i}" for i in range(50)]
    expertise = {a: EXPERT if i < 5 else NOVICE for i, a in enumerate(ids)}
    s = ok(
        api.start_weighted_consensus(
            "release", ids, {"expertise": expertise, "options": ["ship", "wait"]}
        )
    ).session
    decided = None
    for i, a in enumerate(ids):
        result = ok(api.handle_event(s, "vote_submission", {"agent_id": a, "vote": "ship"}))
        s = result.session
        decisions = [e for e in result.effects if isinstance(e, Decide)]
        if decisions:
            decided = (i, decisions[0].value)
            break
    # 5 experts (2.0 each) and 45 novices (0.2 each): total 19, the bar 0.6 x 19 = 11.4
    # is met exactly by the 5 experts and 7 novices (10 + 1.4): a tie counts (>=), so the
    # 12th vote decides
    assert decided == (11, "ship")
    assert s.final_decision == "ship" and s.confidence_score == pytest.approx(1.0)


class _FailingStore:
    def __init__(self, fail_load: bool) -> None:
        self.fail_load = fail_load

    def load(self, agent_ids: Iterable[str]) -> dict[str, Metrics]:
        if self.fail_load:
            raise StoreError("cannot open expertise store x: disk")
        return {}

    def record(self, updates: Mapping[str, Metrics], source: str) -> None:
        raise StoreError("cannot write expertise store x: full")

    def history(self, agent_id: str) -> list[Metrics]:
        return []


def test_expertise_persists_across_sessions() -> None:
    store = SqliteExpertiseStore(":memory:")
    first = ok(api.start_weighted_consensus("p1", ["a", "b"], {"expertise": {"a": EXPERT}}))
    s = first.session
    assert s.baseline_weights == pytest.approx((2.0, 0.6))
    s = ok(api.handle_event(s, "expertise_assessment", {"agent_id": "a", **NOVICE}, store)).session
    s = ok(
        api.handle_event(s, "performance_feedback", {"agent_id": "a", "correct": True}, store)
    ).session
    ok(api.handle_event(s, "vote_submission", {"agent_id": "b", "vote": "accept"}, store))
    assert store.history("a") == [Metrics(0.2, 0.2, 0.2, 0.2), Metrics(0.2, 0.2, 0.2, 0.4)]
    assert store.load(["a", "b"]) == {"a": Metrics(0.2, 0.2, 0.2, 0.4)}
    # a refused measurement writes nothing
    refused(
        api.handle_event(s, "expertise_assessment", {"agent_id": "zz", **NOVICE}, store),
        "not_participant",
    )
    # the next session starts from the stored metrics (they win over the config's prior)
    second = ok(api.start_weighted_consensus("p2", ["a", "b"], {"expertise": {"a": EXPERT}}, store))
    assert second.session.latest(0) == Metrics(0.2, 0.2, 0.2, 0.4)
    assert second.session.baseline_weights[0] == pytest.approx(
        iw.expertise_weight(Metrics(0.2, 0.2, 0.2, 0.4))
    )
    assert second.effects[1].measurements["from_store"] == 1  # type: ignore[union-attr]


def test_store_failures_are_errors_and_keep_the_session() -> None:
    refused(
        api.start_weighted_consensus("p", ["a"], None, _FailingStore(fail_load=True)),
        "store_failed",
    )
    store = _FailingStore(fail_load=False)
    s = ok(api.start_weighted_consensus("p", ["a"], None, store)).session
    detail = refused(
        api.handle_event(s, "performance_feedback", {"agent_id": "a", "correct": False}, store),
        "store_failed",
    )
    assert detail == "cannot write expertise store x: full"


# --- iterative --------------------------------------------------------------------------


def test_iterative_defaults_and_a_session() -> None:
    started = ok(api.start_iterative_consensus("plan a budget", ["a", "b"]))
    s = started.session
    assert isinstance(s, ii.IterativeSession)
    assert (s.max_rounds, s.convergence_threshold, s.quality_threshold) == (5, 0.9, 1.0)
    assert s.early_termination_enabled and s.convergence_method == "jaccard"
    assert [e.event for e in started.effects if isinstance(e, Telemetry)] == [
        "coordination_started"
    ]
    custom = ok(
        api.start_iterative_consensus(
            "x", ["a", "b", "c"], {"reference_texts": ["alpha beta"], "session_id": "it-1"}
        )
    ).session
    assert custom.vocabulary == {"alpha", "beta"} and custom.session_id == "it-1"
    result = ok(
        api.handle_event(
            s, "proposal_submission", {"agent_id": "a", "proposal": "plan", "confidence": 1}
        )
    )
    assert result.session.round_proposals[0] == ii.Submission("plan", 1.0)
    refused(api.handle_event(s, "vote_submission", {}), "unknown_iterative_event")


@pytest.mark.parametrize(
    ("participants", "config", "starts"),
    [
        (["a"], None, "participants: at least 2 needed"),
        (["a", "b"], {"max_rounds": 0}, "max_rounds: expected an integer in 1..100"),
        (["a", "b"], {"max_rounds": True}, "max_rounds: expected an integer"),
        (["a", "b"], {"convergence_threshold": -1}, "convergence_threshold: expected"),
        (["a", "b"], {"quality_threshold": float("nan")}, "quality_threshold: expected"),
        (["a", "b"], {"early_termination": "yes"}, "early_termination: expected true or"),
        (["a", "b"], {"convergence_method": "cosine"}, "convergence_method: expected one"),
        (["a", "b"], {"reference_texts": "abc"}, "reference_texts: expected a list"),
        (["a", "b"], {"reference_texts": [1]}, "reference_texts: expected a list"),
        (["a", "b"], {"rounds": 3}, "rounds: unknown key"),
    ],
)
def test_iterative_configs_are_validated(participants: object, config: object, starts: str) -> None:
    detail = refused(api.start_iterative_consensus("p", participants, config))
    assert detail.startswith(starts), detail


# --- pbft ----------------------------------------------------------------------------------


def test_pbft_primary_starts_with_a_pre_prepare() -> None:
    ids = ["r0", "r1", "r2", "r3"]
    started = ok(api.start_byzantine_consensus("op", ids, {"master_key": KEY}))
    s = started.session
    assert isinstance(s, pbft.PbftSession) and s.replica == 0 and s.is_primary
    sends = [e for e in started.effects if isinstance(e, Send)]
    assert sends and all(isinstance(e.message, pbft.Signed) for e in sends)
    assert any(isinstance(e.message.body, pbft.PrePrepareMsg) for e in sends)  # type: ignore[attr-defined]
    backup = ok(api.start_byzantine_consensus(None, ids, {"master_key": KEY, "replica": "r2"}))
    assert backup.session.replica == 2 and backup.effects == ()
    refused(api.handle_event(backup.session, "vote_submission", {}), "unknown_byzantine_event")
    # no data is an empty mapping for the replica: the timer's view and epoch are missing
    refused(api.handle_event(backup.session, "timeout", None), "missing_field")
    refused(api.handle_event(backup.session, "timeout", {"view": 0, "epoch": 0}), "stale_timer")


@pytest.mark.parametrize(
    ("proposal", "config", "starts"),
    [
        ("op", {}, "master_key: expected at least 16 bytes"),
        ("op", {"master_key": b"short"}, "master_key: expected at least 16 bytes"),
        ({"x": 1}, {"master_key": KEY}, "proposal: expected a text or an integer"),
        (True, {"master_key": KEY}, "proposal: expected a text or an integer"),
        ("op", {"master_key": KEY, "replica": "r9"}, "replica: expected one of"),
        ("op", {"master_key": KEY, "client": ""}, "client: expected a non-empty text"),
        ("op", {"master_key": KEY, "log_size": "big"}, "log_size: expected an integer"),
        ("op", {"master_key": KEY, "base_timeout": 0}, "base_timeout: base_timeout must be"),
    ],
)
def test_pbft_configs_are_validated(proposal: object, config: object, starts: str) -> None:
    detail = refused(api.start_byzantine_consensus(proposal, ["r0", "r1", "r2", "r3"], config))
    assert detail.startswith(starts), detail


def test_unknown_sessions() -> None:
    detail = refused(api.handle_event("not a session", "vote_submission", {}), "unknown_session")
    assert detail == "not a coordination session: str"
