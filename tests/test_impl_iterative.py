"""The iterative-refinement implementation (impl/iterative.py) against its spec.

Jaccard, quality and the composite selection against `spec.iterative`; the handlers
event by event; a hypothesis state machine whose rules are an adversary's choice of
events (valid, invalid, duplicated, out of order, after termination, from outsiders, on
oneself, agents' failures and round timeouts: seed §5.3) that checks after every step
that the implementation's abstraction moved by a spec step or stuttered, that the spec
accepts exactly the events the implementation accepts (with the same reason for a
refusal) and that the spec's invariants hold; the spec's witnesses replayed (from ITF
files); the mutants' counterexamples replayed, each departing from the implementation at
a pinned step.

How a step is checked: the implementation's session is mapped to a spec state by its
abstraction function (`abstract`: positions for agents, the spec's fractions for
measured values, exact binary values for derived numbers), and
`tests.harness.iterative.refined_path` finds the spec state it matches within the
tolerance (a stutter, one spec step, or, after an agent's failure, a proposal or
feedback and the `phase_transition` it makes the implementation take with it);
the spec's invariants are evaluated on that (exact) state, since float-derived numbers
satisfy exact equalities only within the tolerance.

`HYPOTHESIS_PROFILE=thorough` runs the state machine for 10,000 examples.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from impl import iterative as ii
from impl.core import CollectingSink, Decide, Error, Ok, emit
from impl.refinement.iterative import ADAPTER, abstract
from impl.refinement.tolerance import approx, close
from model_check.engine import Options, check
from model_check.itf import read_trace, write_trace
from spec import iterative as it
from spec import registry
from spec.core import GuardError
from tests.harness.iterative import REASONS, agent_id, event_of, project, refined_path, start
from tests.harness.profiles import machine_settings
from tests.harness.specs import holds, refused_by
from tests.mutants.iterative import MUTANTS

F = Fraction
A, THE, CUT, LONG = it.TEXTS

# --- translating the implementation's events for the spec -----------------------------


def _spec_agent(value: object, n: int) -> int:
    if isinstance(value, str) and value.startswith("agent") and value[5:].isdigit():
        return int(value[5:])
    return n + 10


def _number(value: object) -> object:
    return F(value) if isinstance(value, float) and math.isfinite(value) else value


def spec_event(
    s: ii.IterativeSession, event_type: str, data: object
) -> tuple[str, dict[str, object]] | None:
    """The spec's reading of an implementation event (`spec.iterative.from_event`'s
    names), or None where the spec has no way to say it (data that is not a mapping).

    A key the implementation's event does not declare passes unchanged, and a missing
    field stays missing (a feedback that does not fit the seed's `feedback_data`: the
    score), so that the spec refuses both as `malformed_event` where the implementation
    says `unknown_field` / `missing_field`."""
    if not isinstance(data, Mapping) or event_type == "agent_failure":
        return None  # a failed agent is, to the spec, one that never acts again
    n = len(s.participants)
    out: dict[str, object] = {}
    if event_type == "round_timeout":  # the spec's phase_transition out of proposals
        if s.current_phase != "proposal_collection" or s.termination_reason is not None:
            return None
        event_type = "phase_transition"
    if event_type == "proposal_submission":
        for key, name in (("agent_id", "agent"), ("proposal", "proposal")):
            if key in data:
                out[name] = _spec_agent(data[key], n) if key == "agent_id" else data[key]
        if "confidence" in data:
            out["confidence"] = _number(data["confidence"])
    elif event_type == "feedback_submission":
        for key in ("from_agent", "target_agent"):
            if key in data:
                out[key] = _spec_agent(data[key], n)
        if "feedback" in data:
            feedback = data["feedback"]
            if not isinstance(feedback, Mapping):
                out["score"] = None
            elif "quality_score" in feedback and set(feedback) <= FEEDBACK_KEYS:
                out["score"] = _number(feedback["quality_score"])
    declared = ii.EVENTS.get(event_type)
    if declared is not None:
        names = {f.name for f in declared.fields}
        out.update({str(k): v for k, v in data.items() if k not in names})
    return event_type, out


#: The keys of the seed's `feedback_data`.
FEEDBACK_KEYS = frozenset(f.name for f in ii.FEEDBACK_DATA)
# --- the numbers ------------------------------------------------------------------------

texts = st.sampled_from([*it.TEXTS, "", "Plan, a BUDGET!", "budget_2 plan", "ümlaut plan"])


@given(texts, texts)
def test_jaccard_and_quality_agree_with_the_spec(a: str, b: str) -> None:
    assert close(ii.jaccard(a, b), float(it.jaccard(a, b)))
    vocabulary = ii.vocabulary_of(ii.REFERENCE_TEXTS)
    assert close(ii.quality(a, vocabulary), float(it.quality(a)))


def test_reference_texts_are_the_specs() -> None:
    assert ii.REFERENCE_TEXTS == it.TEXTS
    assert ii.words("Plan, a BUDGET_2!") == {"plan", "a", "budget", "2"}
    assert ii.jaccard("", "") == 1.0 and ii.quality("plan", frozenset()) == 0.0


scores = st.integers(0, 20).map(lambda k: F(k, 20))


@given(scores, scores, scores)
def test_composite_agrees_with_the_spec(q: Fraction, f: Fraction, c: Fraction) -> None:
    assert close(ii.composite(float(q), float(f), float(c)), float(it.composite(q, f, c)))


# --- the handlers -----------------------------------------------------------------------


def ok(result: Ok[ii.IterativeSession] | Error) -> Ok[ii.IterativeSession]:
    assert isinstance(result, Ok), result
    return result


def send(s: ii.IterativeSession, action: it.Action) -> Ok[ii.IterativeSession]:
    return ok(ii.handle_iterative_event(s, *event_of(action)))


def test_a_round_with_feedback_then_max_rounds() -> None:
    s = start(it.IterativeConfig(agents=2, max_rounds=1, texts=3))
    names: list[str] = []
    for action in (
        it.ProposalSubmission(0, CUT, F(1)),
        it.ProposalSubmission(1, A, F(1)),
        it.FeedbackSubmission(0, 1, F(1)),
        it.FeedbackSubmission(1, 0, F(0)),
        it.QualityAssessment(),
        it.RoundCompletion(),
    ):
        result = send(s, action)
        sink = CollectingSink()
        emit(result.effects, sink)
        names += sink.names()
        s = result.session
    assert names == [
        "proposal_received",
        "proposal_received",
        "phase_changed",
        "feedback_received",
        "feedback_received",
        "phase_changed",
        "quality_assessed",
        "round_completed",
        "refinement_terminated",
    ]
    # CUT: 0.4 x 4/8 + 0.4 x 0 + 0.2 = 0.4; A: 0.4 x 3/8 + 0.4 x 1 + 0.2 = 0.75
    assert s.termination_reason == "max_rounds" and s.final_proposal == A
    assert s.proposals_history[0].feedback_summary == (0.0, 1.0)
    assert s.consensus_level == pytest.approx((1 + 1 / 6) / 2)
    assert ii.handle_iterative_event(s, "convergence_check") == Error(
        "after_termination", "the session has terminated"
    )


def test_convergence_and_early_termination() -> None:
    s = start(it.IterativeConfig(agents=2, max_rounds=3, texts=2))
    for _ in range(2):
        for action in (
            it.ProposalSubmission(0, A, F(1)),
            it.ProposalSubmission(1, THE, F(1)),
            it.PhaseTransition(),
            it.QualityAssessment(),
            it.RoundCompletion(),
        ):
            result = send(s, action)
            s = result.session
        if s.termination_reason is None:
            checked = send(s, it.ConvergenceCheck())
            assert checked.session == s
            s = send(s, it.PhaseTransition()).session
    assert s.termination_reason == "convergence" and s.similarity_history == (0.0, 1.0)
    assert [e.event for e in result.effects if hasattr(e, "event")][-2:] == [
        "converged",
        "refinement_terminated",
    ]
    assert Decide(A, ("convergence", 2)) in result.effects
    t = start(it.IterativeConfig(agents=2, max_rounds=3, texts=2))
    for action in (
        it.ProposalSubmission(0, A, F(1)),
        it.ProposalSubmission(1, CUT, F(1)),
        it.PhaseTransition(),
        it.QualityAssessment(),
        it.RoundCompletion(),
    ):
        t = send(t, action).session
    ended = send(t, it.EarlyTermination())
    assert ended.session.termination_reason == "consensus"
    assert ended.session.final_proposal == CUT  # quality 1/2 beats 3/8


def test_quality_stops_a_session_at_the_threshold() -> None:
    """CUT is selected (0.4 x 1/2 + 0.4 x 1/2 + 0.2 beats A's 0.55) with quality 1/2: at
    a threshold of 1/2 the session stops there; at the default, 1, it goes on."""
    round_one = (
        it.ProposalSubmission(0, CUT, F(1)),
        it.ProposalSubmission(1, A, F(1)),
        it.PhaseTransition(),
        it.QualityAssessment(),
        it.RoundCompletion(),
    )
    for threshold, reason in ((F(1, 2), "quality"), (F(1), None)):
        s = start(it.IterativeConfig(agents=2, max_rounds=3, texts=3, quality_threshold=threshold))
        for action in round_one:
            s = send(s, action).session
        assert (s.current_proposal, s.termination_reason) == (CUT, reason)


def test_ties_go_to_the_text_then_confidence() -> None:
    """FINDINGS I3: 0.1/0.4/0.6 and 0.2/0.3/0.6 are both 8/25 (the seed's floats make
    0.32000000000000006 and 0.32); both are ties here."""
    assert ii.composite(0.1, 0.4, 0.6) != ii.composite(0.2, 0.3, 0.6)
    s = start(it.IterativeConfig(agents=2, max_rounds=1, texts=2))
    for action in (
        it.ProposalSubmission(0, THE, F(1)),
        it.ProposalSubmission(1, A, F(1)),
        it.PhaseTransition(),
        it.QualityAssessment(),
        it.RoundCompletion(),
    ):
        s = send(s, action).session
    assert s.proposals_history[0].selected_agent == 1 and s.final_proposal == A


@pytest.mark.parametrize(
    ("event", "data", "reason"),
    [
        ("refine", {}, "unknown_iterative_event"),
        ("proposal_submission", "plan", "malformed_event"),
        ("proposal_submission", {"agent_id": "agent0", "proposal": A}, "missing_field"),
        (
            "proposal_submission",
            {"agent_id": "agent0", "proposal": A, "confidence": 1.0, "confidance": 1.0},
            "unknown_field",
        ),
        (
            "proposal_submission",
            {"agent_id": "x", "proposal": A, "confidence": 1.0},
            "not_participant",
        ),
        (
            "proposal_submission",
            {"agent_id": "agent0", "proposal": A, "confidence": 2.0},
            "confidence_out_of_range",
        ),
        (
            "proposal_submission",
            {"agent_id": "agent0", "proposal": 7, "confidence": 1.0},
            "malformed_proposal",
        ),
        (
            "proposal_submission",
            {"agent_id": "agent0", "proposal": A, "confidence": 1.0, "based_on": "agent1"},
            "malformed_event",
        ),
        (
            "feedback_submission",
            {"from_agent": "agent0", "target_agent": "agent1", "feedback": {}},
            "missing_field",
        ),
        (
            "feedback_submission",
            {"from_agent": "agent0", "target_agent": "agent1", "feedback": {"score": 1}},
            "unknown_field",
        ),
        (
            "feedback_submission",
            {"from_agent": "agent0", "target_agent": "agent1", "feedback": {"quality_score": 1}},
            "wrong_phase",
        ),
        (
            "feedback_submission",
            {"from_agent": "agent0", "target_agent": "zed", "feedback": {"quality_score": 1}},
            "not_participant",
        ),
        ("quality_assessment", {"round": 1}, "unknown_field"),
        ("quality_assessment", None, "wrong_phase"),
        ("round_completion", {}, "wrong_phase"),
        ("convergence_check", {}, "wrong_phase"),
        ("phase_transition", {}, "no_proposals"),
        ("round_timeout", {}, "no_proposals"),
        ("early_termination", {}, "wrong_phase"),
        ("agent_failure", {}, "missing_field"),
        ("agent_failure", {"agent_id": "zed"}, "not_participant"),
    ],
)
def test_refusals_name_the_reason(event: str, data: Any, reason: str) -> None:
    result = ii.handle_iterative_event(start(it.IterativeConfig()), event, data)
    assert isinstance(result, Error) and result.reason == reason, result


def test_feedback_refusals_and_reasoning() -> None:
    s = start(it.IterativeConfig(agents=2, early_termination=False))
    s = ok(
        ii.handle_iterative_event(
            s,
            "proposal_submission",
            {
                "agent_id": "agent0",
                "proposal": A,
                "confidence": 1,
                "reasoning": "short",
                "based_on": ["agent1"],
            },
        )
    ).session
    assert s.round_proposals[0] == ii.Submission(A, 1.0, "short", ("agent1",))
    again = ii.handle_iterative_event(s, *event_of(it.ProposalSubmission(0, A, F(1))))
    assert isinstance(again, Error) and again.reason == "already_submitted"
    s = send(s, it.ProposalSubmission(1, A, F(1))).session

    def feedback(data: Any) -> str:
        result = ii.handle_iterative_event(s, "feedback_submission", data)
        assert isinstance(result, Error)
        return result.reason

    pair = {"from_agent": "agent0", "target_agent": "agent1"}
    assert feedback({**pair, "feedback": {}}) == "missing_field"  # not score_out_of_range
    score = {"quality_score": 0.5}
    assert feedback({**pair, "target_agent": "agent0", "feedback": score}) == "self_feedback"
    assert feedback({**pair, "feedback": 0.5}) == "score_out_of_range"
    assert feedback({**pair, "feedback": {"quality_score": -1}}) == "score_out_of_range"
    s = send(s, it.FeedbackSubmission(0, 1, F(1))).session
    assert feedback({**pair, "feedback": {"quality_score": 1}}) == "already_given"
    s = send(s, it.PhaseTransition()).session
    premature = ii.handle_iterative_event(s, "round_completion")
    assert isinstance(premature, Error) and premature.reason == "assessed"
    s = send(s, it.QualityAssessment()).session
    twice = ii.handle_iterative_event(s, "quality_assessment")
    assert isinstance(twice, Error) and twice.reason == "already_assessed"
    s = send(s, it.RoundCompletion()).session
    off = ii.handle_iterative_event(s, "early_termination")
    assert isinstance(off, Error) and off.reason == "early_termination_enabled"


def test_the_registered_adapter_drives_the_api() -> None:
    assert registry.adapter("iterative") is ADAPTER and ADAPTER.abstract is abstract
    assert ADAPTER.start is not None
    refused = ADAPTER.start({"proposal": A, "participants": ["agent0"]})
    assert isinstance(refused, Error) and refused.reason == "invalid_config"
    with pytest.raises(ValueError, match="2 participants, the config has 3"):
        abstract(start(it.IterativeConfig(agents=2)), it.IterativeConfig())


# --- the round timeout and agents' failures (seed §5.3; FINDINGS I6) --------------------


def test_round_timeout_closes_the_round_with_the_proposals_at_hand() -> None:
    """The spec's phase_transition out of proposal_collection, step for step: feedback
    only on the proposals in, and feedback collection closes when all of it is in."""
    config = it.IterativeConfig()
    model = it.Iterative(config)
    s, shadow = start(config), model.initial()[0]
    for action in (
        it.ProposalSubmission(0, CUT, F(1)),
        it.PhaseTransition(),  # the round timeout: `round_timeout` below
        it.FeedbackSubmission(1, 0, F(1)),
        it.FeedbackSubmission(2, 0, F(0)),
    ):
        event = ("round_timeout", {}) if action == it.PhaseTransition() else event_of(action)
        s, shadow = send_event(s, *event).session, model.step(shadow, action)
        assert approx(abstract(s, config), shadow)
    assert s.current_phase == shadow.current_phase == "analysis"
    s = send(send(s, it.QualityAssessment()).session, it.RoundCompletion()).session
    assert s.proposals_history[0].selected_agent == 0 and s.current_proposal == CUT
    assert s.proposals_history[0].feedback_summary == (0.5, 0.5, 0.5)


def test_round_timeout_refusals() -> None:
    s = start(it.IterativeConfig())
    for event in ("round_timeout", "phase_transition"):
        refused = ii.handle_iterative_event(s, event)
        assert refused == Error("no_proposals", "no proposal of round 1 is in")
    s = send(s, it.ProposalSubmission(0, A, F(1))).session
    s = ok(ii.handle_iterative_event(s, "round_timeout")).session
    late = ii.handle_iterative_event(s, "round_timeout")
    assert late == Error(
        "wrong_phase", "round_timeout needs proposal_collection, not feedback_collection"
    )
    nobody = ii.handle_iterative_event(s, *event_of(it.FeedbackSubmission(0, 1, F(1))))
    assert nobody == Error("no_target_proposal", "agent 'agent1' has no proposal")


def send_event(s: ii.IterativeSession, event: str, data: Any) -> Ok[ii.IterativeSession]:
    return ok(ii.handle_iterative_event(s, event, data))


def test_agent_failure_then_the_last_proposal_is_a_spec_path_of_two() -> None:
    """After agent 2 fails, agent 1's proposal completes the round: in the spec, that
    proposal and the round timeout (`refined_path`); the failure itself stutters."""
    config = it.IterativeConfig()
    model = it.Iterative(config)
    s = send(start(config), it.ProposalSubmission(0, A, F(1))).session
    shadow = abstract(s, config)
    failed = send_event(s, "agent_failure", {"agent_id": "agent2"})
    assert abstract(failed.session, config) == shadow  # a stutter
    assert [e.event for e in failed.effects if hasattr(e, "event")] == ["agent_failed"]
    last = send(failed.session, it.ProposalSubmission(1, THE, F(1)))
    assert last.session.current_phase == "feedback_collection"
    after = abstract(last.session, config)
    two = model.step(model.step(shadow, it.ProposalSubmission(1, THE, F(1))), it.PhaseTransition())
    assert refined_path(model, shadow, after, True) == two
    with pytest.raises(AssertionError, match="no spec step"):
        refined_path(model, shadow, after, False)  # two steps only after a failure
    refused = ii.handle_iterative_event(last.session, *event_of(it.FeedbackSubmission(2, 0, F(1))))
    assert refused == Error("agent_failed", "agent 'agent2' has failed")
    s = last.session
    for action in (it.FeedbackSubmission(0, 1, F(1)), it.FeedbackSubmission(1, 0, F(1))):
        s = send(s, action).session
    assert s.current_phase == "analysis"  # agent 2's feedback is not waited for


def test_agent_failure_refusals() -> None:
    s = start(it.IterativeConfig(agents=3))
    s = send_event(s, "agent_failure", {"agent_id": "agent0"}).session
    for agent, reason in (("agent0", "agent_failed"), ("agent1", "insufficient_agents")):
        refused = ii.handle_iterative_event(s, "agent_failure", {"agent_id": agent})
        assert isinstance(refused, Error) and refused.reason == reason
    two = ii.handle_iterative_event(
        start(it.IterativeConfig(agents=2)), "agent_failure", {"agent_id": "agent1"}
    )
    assert isinstance(two, Error) and two.reason == "insufficient_agents"
    failed = attrs.evolve(s, failed="insufficient_agents")
    assert ii.handle_iterative_event(failed, "refine") == Error(
        "session_failed", "the session failed: insufficient_agents"
    )


# --- conformance: the adversary's events, checked step by step -------------------------

CONFIGS = (
    it.IterativeConfig(),
    it.IterativeConfig(agents=2, outsiders=1, max_rounds=3, texts=4, confidence_levels=2),
    it.IterativeConfig(agents=3, feedback_levels=3, texts=3, convergence_threshold=F(1, 2)),
    it.IterativeConfig(agents=2, max_rounds=2, early_termination=False, feedback_levels=2),
    it.IterativeConfig(agents=2, texts=3, quality_threshold=F(1, 2)),
)

SIMPLE = ("quality_assessment", "round_completion", "convergence_check", "phase_transition")


class IterativeConformance(RuleBasedStateMachine):
    """The adversary picks events; the implementation must refine the spec."""

    def __init__(self) -> None:
        super().__init__()
        self.config = CONFIGS[0]
        self.model = it.Iterative(self.config)
        self.session = start(self.config)
        self.shadow = self.model.initial()[0]
        self.sent: list[tuple[str, object]] = []

    @initialize(config=st.sampled_from(CONFIGS))
    def begin(self, config: it.IterativeConfig) -> None:
        self.config = config
        self.model = it.Iterative(config)
        self.session = start(config)
        self.shadow = self.model.initial()[0]
        assert approx(abstract(self.session, config), self.shadow)

    def deliver(self, event_type: str, data: object) -> None:
        before = self.session
        reading = spec_event(before, event_type, data)
        verdict: str | None = None
        if reading is not None:
            try:
                action = it.from_event(*reading)
                verdict = refused_by(self.model, self.shadow, action)
            except GuardError as err:  # the event does not decode
                verdict = err.guard
            if verdict is None and action not in self.model.candidates(self.shadow):
                return  # outside the model's domains (a text, a confidence, a score)
        self.sent.append((event_type, data))
        assert ADAPTER.handle is not None
        odd: Any = data  # the adversary's data need not be a mapping
        result: Ok[ii.IterativeSession] | Error = ADAPTER.handle(before, event_type, odd)
        if isinstance(result, Error):
            assert self.session == before
            if result.reason == "agent_failed":  # to the spec, it never acts again
                assert isinstance(data, Mapping)
                actor = data.get("agent_id", data.get("from_agent"))
                assert before.index(actor) in before.failed_agents, (data, result)
                return
            if reading is not None:
                assert verdict is not None, f"spec accepts {reading}, impl says {result}"
                assert result.reason in REASONS.get(verdict, (verdict,)), (verdict, result)
            return
        assert verdict is None, f"impl accepts {event_type} {data}, spec says {verdict}"
        after = abstract(result.session, self.config)
        matched = refined_path(self.model, self.shadow, after, bool(before.failed_agents))
        self.session, self.shadow = result.session, matched

    @invariant()
    def spec_invariants_hold(self) -> None:
        for inv in self.model.invariants():
            assert inv.holds(self.shadow), inv.name

    def running(self) -> bool:
        """The session has not terminated: the spec's `after_termination` holds."""
        return holds(self.model, self.shadow, it.ConvergenceCheck(), "after_termination")

    @precondition(running)
    @rule(agent=st.integers(0, 4), text=st.integers(0, 3), level=st.integers(0, 2))
    def proposal_submission(self, agent: int, text: int, level: int) -> None:
        confidence = self.model.confidences[level % len(self.model.confidences)]
        self.deliver(
            "proposal_submission",
            {
                "agent_id": agent_id(agent),
                "proposal": it.TEXTS[text % self.config.texts],
                "confidence": float(confidence),
            },
        )

    @rule(
        agent=st.sampled_from(["agent0", "agent1", "nobody"]),
        proposal=st.sampled_from([A, "plan everything", 42]),
        confidence=st.sampled_from([0.3, 1.5, "sure", None]),
    )
    def odd_proposal(self, agent: str, proposal: object, confidence: object) -> None:
        data = {"agent_id": agent, "proposal": proposal}
        if confidence is not None:
            data["confidence"] = confidence
        self.deliver("proposal_submission", data)

    @precondition(running)
    @rule(source=st.integers(0, 3), to=st.integers(0, 3), level=st.integers(0, 2))
    def feedback_submission(self, source: int, to: int, level: int) -> None:
        score = self.model.scores[level % len(self.model.scores)]
        self.deliver(
            "feedback_submission",
            {
                "from_agent": agent_id(source),
                "target_agent": agent_id(to),
                "feedback": {"quality_score": float(score), "confidence": 0.9},
            },
        )

    @rule(
        feedback=st.sampled_from(
            [{"quality_score": 1.5}, {"quality_score": 0.3}, 1.0, {}, {"qualty_score": 0.3}]
        )
    )
    def odd_feedback(self, feedback: object) -> None:
        self.deliver(
            "feedback_submission",
            {"from_agent": "agent0", "target_agent": "agent1", "feedback": feedback},
        )

    @precondition(running)
    @rule(name=st.sampled_from(SIMPLE))
    def coordinator(self, name: str) -> None:
        self.deliver(name, {})

    @precondition(running)
    @rule()
    def early_termination(self) -> None:
        self.deliver("early_termination", None)

    @rule(
        name=st.sampled_from(["refine", *ii.EVENTS]),
        data=st.sampled_from([None, [], {}, {"x": 1}]),
    )
    def odd_event(self, name: str, data: object) -> None:
        self.deliver(name, data)

    @precondition(running)
    @rule(k=st.integers(0, 10_000))
    def enabled_event(self, k: int) -> None:
        """One of the events the spec enables now (the adversary lets the protocol on)."""
        actions = self.model.honest_actions(self.shadow)
        if actions:
            self.deliver(*event_of(actions[k % len(actions)]))

    @precondition(running)
    @rule(agent=st.integers(0, 4))
    def agent_failure(self, agent: int) -> None:
        """A participant fails (seed §5.3): it never acts again; a phase that waits only
        for it closes."""
        self.deliver("agent_failure", {"agent_id": agent_id(agent)})

    @precondition(running)
    @rule()
    def round_timeout(self) -> None:
        """The round's time is up (the spec's phase_transition out of proposals)."""
        self.deliver("round_timeout", {})

    @precondition(lambda self: bool(self.sent))
    @rule(k=st.integers(0, 60))
    def replayed_event(self, k: int) -> None:
        """An earlier event again: a duplicate, or out of its order."""
        self.deliver(*self.sent[k % len(self.sent)])


IterativeConformance.TestCase.settings = machine_settings(150, 40)
TestIterativeConformance = IterativeConformance.TestCase


# --- replays ----------------------------------------------------------------------------


def run_trace(
    config: it.IterativeConfig, actions: list[it.Action], states: list[it.IterativeState]
) -> tuple[int | None, ii.IterativeSession]:
    """Feed the actions to the implementation: the first step (0 = the initial state)
    where it departs from `states` (refuses the event, or reaches another state), or
    None if it follows them all; and the session it ends with."""
    session = start(config)
    n = config.agents
    if not approx(abstract(session, config), project(states[0], n)):
        return 0, session
    for k, (action, state) in enumerate(zip(actions, states[1:], strict=True), start=1):
        result = ii.handle_iterative_event(session, *event_of(action))
        if isinstance(result, Error):
            return k, session
        session = result.session
        if not approx(abstract(session, config), project(state, n)):
            return k, session
    return None, session


#: (config, depth) where each witness is reached, breadth-first.
WITNESS_RUNS = (
    (it.IterativeConfig(agents=2, max_rounds=1, texts=2, confidence_levels=2), None),
    (it.IterativeConfig(agents=2, max_rounds=3, texts=1), 16),
)


def test_spec_witnesses_are_reproduced_through_itf(tmp_path: Path) -> None:
    reproduced = []
    for config, depth in WITNESS_RUNS:
        model = it.Iterative(config)
        result = check(model, Options(max_depth=depth, check_liveness=False))
        for name, trace in result.witness_traces:
            path = tmp_path / f"{name}.itf.json"
            write_trace(path, trace)
            read = read_trace(path, model)
            actions = [s.action for s in read.steps[1:]]
            states = [s.state for s in read.steps]
            departs, _ = run_trace(config, actions, states)
            assert departs is None, name
            witness = next(x for x in model.witnesses() if x.name == name)
            assert witness.reached(states[-1])
            reproduced.append((name, len(trace)))
    assert reproduced == [
        ("ended_by_max_rounds", 5),
        ("feedback_overrules_confidence", 6),
        ("converged_early", 11),
    ]


#: Where the implementation departs from each mutant's counterexample: the step of the
#: rule the mutant changes.
DEPARTS = {
    "seed_all_submitted_counts_outsiders": 2,  # refused: not_participant
    "self_feedback_counted": 3,  # refused: self_feedback
    "no_max_rounds": 5,  # round 1 of 1 completes: terminated by max_rounds
    "map_order_tie_break": 5,  # the tie goes to the text first in string order
}


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_mutant_counterexamples_depart_from_the_implementation(mutant: Any) -> None:
    model = mutant.build()
    result = check(model, Options())
    trace = next(c.trace for c in result.counterexamples if c.property == mutant.property)
    assert len(trace) == mutant.length
    actions = [s.action for s in trace.steps[1:]]
    states = [s.state for s in trace.steps]
    departs, session = run_trace(model.config, actions, states)
    assert departs == DEPARTS[mutant.name]
    honest = it.Iterative(model.config)
    invariants = {p.name: p for p in honest.invariants()}
    if mutant.property in invariants:
        assert not invariants[mutant.property].holds(project(states[-1], model.config.agents))
        assert invariants[mutant.property].holds(abstract(session, model.config))
    else:  # `terminates`: the lasso never ends; the implementation has ended
        assert session.termination_reason == "max_rounds"
