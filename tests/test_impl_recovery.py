"""The seed's §5.3 error handling (impl/recovery.py): each error kind per protocol.

`handle_coordination_error(session, (kind, detail), context)`: the telemetry event
`[:foundation, :mabeam, :coordination, :coordination_error]` with the seed's metadata
first, then the recovery: a timeout is the protocol's own timeout, an agent's failure
removes it (PBFT: a crashed replica within f, and a failed primary starts the view
change at once), an invalid message changes nothing, insufficient agents and anything
else fail the session, which then refuses every event. Random schedules with failures
and timeouts interleaved still refine the specs step by step (hypothesis), and a session
with silent or failed participants ends.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impl import api, recovery
from impl import iterative as ii
from impl import pbft as ipbft
from impl import weighted as iw
from impl.core import CollectingSink, Error, Ok, Telemetry, emit
from impl.refinement import iterative as ref_iterative
from impl.refinement import weighted as ref_weighted
from impl.refinement.pbft import abstract as pbft_abstract
from impl.refinement.pbft import spec_path, violated
from impl.refinement.tolerance import approx, differences
from spec import iterative as it
from spec import pbft as spec_pbft
from spec import weighted as w
from tests.harness import iterative as hi
from tests.harness import weighted as hw
from tests.harness.pbft import conformance_runtime, small_runtime
from tests.harness.specs import refined_step

F = Fraction
A, THE = it.TEXTS[:2]
NAME = ("foundation", "mabeam", "coordination", "coordination_error")


def ok(result: Ok[Any] | Error) -> Ok[Any]:
    assert isinstance(result, Ok), result
    return result


def handled(session: object, error: object, context: object = "test") -> Ok[Any]:
    return ok(api.handle_coordination_error(session, error, context))


def weighted(agents: int = 3) -> iw.WeightedSession:
    return hw.start(w.WeightedConfig(agents=agents, profiles=(1,) * agents))


def iterative(agents: int = 3) -> ii.IterativeSession:
    return hi.start(it.IterativeConfig(agents=agents))


def replica() -> ipbft.PbftSession:
    return small_runtime().sessions[1]


def propose(s: ii.IterativeSession, agent: int, text: str = A) -> ii.IterativeSession:
    event = hi.event_of(it.ProposalSubmission(agent, text, F(1)))
    proposed: ii.IterativeSession = ok(ii.handle_iterative_event(s, *event)).session
    return proposed


def telemetry(result: Ok[Any]) -> list[Telemetry]:
    return [e for e in result.effects if isinstance(e, Telemetry)]


# --- telemetry: every case, every protocol ------------------------------------------------

SESSIONS: dict[str, Callable[[], recovery.Session]] = {
    "weighted": weighted,
    "iterative": iterative,
    "byzantine": replica,
}
ERRORS: list[tuple[object, str]] = [
    (("timeout", 5000), "{:timeout, 5000}"),
    (("agent_failure", "agent1"), '{:agent_failure, "agent1"}'),
    (("invalid_message", {"from": "x", "n": 1}), '{:invalid_message, %{"from" => "x", "n" => 1}}'),
    (("insufficient_agents", None), "{:insufficient_agents, nil}"),
    ("boom", '"boom"'),
    (("weird", [1, True]), "{:weird, [1, true]}"),
]


@pytest.mark.parametrize("algorithm", SESSIONS)
@pytest.mark.parametrize(("error", "text"), ERRORS)
def test_every_case_emits_the_seeds_telemetry(algorithm: str, error: object, text: str) -> None:
    session = SESSIONS[algorithm]()
    result = handled(session, error, "vote handling")
    first = result.effects[0]
    assert isinstance(first, Telemetry) and first.name == NAME
    assert (first.session_id, dict(first.measurements)) == (session.session_id, {})
    assert dict(first.metadata) == {
        "error": text,
        "context": "vote handling",
        "algorithm": algorithm,
    }
    assert [e.name for e in telemetry(result)].count(NAME) == 1
    sink = CollectingSink()
    emit(result.effects, sink)
    assert sink.events[0] is first


def test_the_seeds_inspect() -> None:
    assert recovery.inspect(("timeout", ("round", 2))) == "{:timeout, {:round, 2}}"
    assert recovery.inspect(()) == "{}" and recovery.inspect('say "hi"') == '"say \\"hi\\""'
    assert recovery.inspect((1, "a")) == '{1, "a"}' and recovery.inspect(False) == "false"
    assert recovery.kind_of(("timeout",)) == (None, ("timeout",))  # not the seed's shape
    error = handled(weighted(), ("timeout", 1), ("handle", 3)).effects[0]
    assert isinstance(error, Telemetry) and error.metadata["context"] == "{:handle, 3}"


def test_other_telemetry_keeps_its_protocol_in_the_name() -> None:
    t = Telemetry("weighted", "vote_processed", "s")
    assert t.name == ("foundation", "mabeam", "coordination", "weighted", "vote_processed")


def test_not_a_session() -> None:
    refused = api.handle_coordination_error(object(), ("timeout", 1))
    assert isinstance(refused, Error) and refused.reason == "unknown_session"


# --- invalid messages, insufficient agents, the unknown: every protocol ------------------


@pytest.mark.parametrize("algorithm", SESSIONS)
def test_an_invalid_message_changes_nothing(algorithm: str) -> None:
    session = SESSIONS[algorithm]()
    result = handled(session, ("invalid_message", "forged prepare"))
    assert result.session == session and len(result.effects) == 1


@pytest.mark.parametrize("algorithm", SESSIONS)
@pytest.mark.parametrize("error", [("insufficient_agents", 1), ("disk_full", "/var"), 42, None])
def test_a_failed_session_refuses_every_event(algorithm: str, error: object) -> None:
    session = SESSIONS[algorithm]()
    failed = handled(session, error).session
    assert failed.failed == recovery.inspect(error)
    protocol = {"byzantine": "pbft"}.get(algorithm, algorithm)
    for event in [*api.FIELDS[protocol].events, "no_such_event"]:
        refused = api.handle_event(failed, event, {})
        assert isinstance(refused, Error) and refused.reason == "session_failed", event
    again = handled(failed, ("timeout", 1))  # still reported; the session stays failed
    assert again.session == failed and telemetry(again)[0].name == NAME
    assert handled(failed, "other").session.failed == failed.failed  # the first reason stays


# --- timeouts --------------------------------------------------------------------------


def test_weighted_timeout_is_the_deadline() -> None:
    s = weighted()
    result = handled(s, ("timeout", "voting_deadline"))
    assert result.session.closed and result.session.final_decision == iw.NO_CONSENSUS
    assert [t.event for t in telemetry(result)] == ["coordination_error", "voting_closed"]
    late = handled(result.session, ("timeout", 1))  # closed: nothing to do
    assert late.session == result.session and len(late.effects) == 1


def test_iterative_timeout_is_the_round_timeout() -> None:
    s = iterative()
    empty = handled(s, ("timeout", 1))
    assert empty.session == s  # no proposal in: nothing to do
    s = propose(s, 0)
    timed = handled(s, ("timeout", 1))
    assert timed.session.current_phase == "feedback_collection"
    assert [t.event for t in telemetry(timed)] == ["coordination_error", "phase_changed"]
    assert handled(timed.session, ("timeout", 1)).session == timed.session  # not collecting


def test_pbft_timeout_fires_the_running_timer() -> None:
    rt = small_runtime(faulty=(0,))
    idle = rt.sessions[1]
    assert handled(idle, ("timeout", 1)).session == idle  # no timer runs
    rt.submit(1)
    rt.run(timers=False)
    waiting = rt.sessions[1]
    assert waiting.timer_running and waiting.view == 0
    fired = handled(waiting, ("timeout", 1))
    assert (fired.session.view, fired.session.changing) == (1, True)
    assert "view_change_initiated" in [t.event for t in telemetry(fired)]


# --- agents' failures: weighted ----------------------------------------------------------


def test_weighted_goes_on_without_the_failed_agent() -> None:
    """The failed agent's vote stays counted and its weight in the total (FINDINGS S2);
    its later votes are refused."""
    s = weighted()
    vote = hw.event_of(w.VoteSubmission(0, 2, F(1)))
    s = ok(iw.handle_weighted_event(s, *vote)).session
    total = s.max_possible_weight
    result = handled(s, ("agent_failure", "agent0"))
    after = result.session
    assert after.failed_agents == {0} and after.failed is None
    assert (after.votes, after.max_possible_weight) == (s.votes, total)
    assert [t.event for t in telemetry(result)] == ["coordination_error", "agent_failed"]
    assert telemetry(result)[1].metadata == {"agent_id": "agent0", "voted": True}
    refused = iw.handle_weighted_event(after, *vote)
    assert isinstance(refused, Error) and refused.reason == "agent_failed"
    # agent1's 1/3 of the weight alone is short of 0.6; with agent0's vote, 2/3 decides
    vote1 = hw.event_of(w.VoteSubmission(1, 2, F(1)))
    decided = ok(iw.handle_weighted_event(after, *vote1)).session
    assert decided.consensus_reached and decided.final_decision == "option2"


def test_weighted_failures_down_to_one_agent_then_insufficient() -> None:
    s = weighted(2)
    s = handled(s, ("agent_failure", "agent1")).session
    assert s.failed is None and s.failed_agents == {1}
    assert handled(s, ("agent_failure", "agent1")).session == s  # already failed
    assert handled(s, ("agent_failure", "mallory")).session == s  # not a participant
    last = handled(s, ("agent_failure", "agent0")).session
    assert last.failed is not None and last.failed.startswith("insufficient_agents")
    refused = iw.handle_weighted_event(s, "agent_failure", {"agent_id": "agent0"})
    assert isinstance(refused, Error) and refused.reason == "insufficient_agents"


# --- agents' failures: iterative ---------------------------------------------------------


def test_iterative_last_remaining_proposal_closes_the_round() -> None:
    s = handled(iterative(), ("agent_failure", "agent2")).session
    assert s.failed_agents == {2} and s.current_phase == "proposal_collection"
    s = propose(s, 0)
    assert s.current_phase == "proposal_collection"
    s = propose(s, 1)
    assert s.current_phase == "feedback_collection"
    refused = ii.handle_iterative_event(s, *hi.event_of(it.FeedbackSubmission(2, 0, F(1))))
    assert isinstance(refused, Error) and refused.reason == "agent_failed"
    for source, target in ((0, 1), (1, 0)):  # the remaining feedback closes feedback
        event = hi.event_of(it.FeedbackSubmission(source, target, F(1)))
        s = ok(ii.handle_iterative_event(s, *event)).session
    assert s.current_phase == "analysis"


def test_iterative_failure_closes_a_phase_that_waited_only_for_it() -> None:
    s = propose(propose(iterative(), 0), 1)
    result = handled(s, ("agent_failure", "agent2"))
    assert result.session.current_phase == "feedback_collection"
    assert [t.event for t in telemetry(result)] == [
        "coordination_error",
        "agent_failed",
        "phase_changed",
    ]
    model = it.Iterative(it.IterativeConfig())
    before = ref_iterative.abstract(s, model.config)
    after = ref_iterative.abstract(result.session, model.config)
    assert approx(after, model.step(before, it.PhaseTransition()))  # the spec's timeout


def test_iterative_keeps_two_agents() -> None:
    s = iterative(3)
    s = handled(s, ("agent_failure", "agent0")).session
    refused = ii.handle_iterative_event(s, "agent_failure", {"agent_id": "agent1"})
    assert isinstance(refused, Error) and refused.reason == "insufficient_agents"
    failed = handled(s, ("agent_failure", "agent1")).session
    assert failed.failed is not None and failed.failed.startswith("insufficient_agents")
    assert failed.failed_agents == {0}


# --- agents' failures: PBFT --------------------------------------------------------------


def recover(rt: Any, i: int, error: object) -> Ok[ipbft.PbftSession]:
    """The error handled on replica i's session in the runtime, its effects carried out."""
    result = handled(rt.sessions[i], error)
    rt.sessions[i] = result.session
    rt._carry_out(i, result.effects)  # the runtime's own way to carry out effects
    return result


def test_pbft_goes_on_with_one_crashed_replica_and_fails_beyond_f() -> None:
    rt = small_runtime()
    rt.crash(3)
    for i in (0, 1, 2):
        result = recover(rt, i, ("agent_failure", "replica:3"))
        assert result.session.failed_replicas == {3} and result.session.failed is None
        assert len(result.effects) == 1  # a backup failed: nothing else to do
    rt.submit(1)
    rt.run(timers=False)
    assert rt.decided == {0: 1, 1: 1, 2: 1}
    beyond = recover(rt, 0, ("agent_failure", "replica:2")).session
    assert beyond.failed == "insufficient_agents: 2 replicas failed, f = 1"
    refused = ipbft.handle_byzantine_event(beyond, "timeout", {"view": 0, "epoch": 0})
    assert isinstance(refused, Error) and refused.reason == "session_failed"
    assert handled(rt.sessions[1], ("agent_failure", "nobody")).session == rt.sessions[1]


def test_pbft_failed_primary_starts_the_view_change_at_once() -> None:
    """Replica 0, view 0's primary, has crashed (the spec's default: faulty and silent);
    told so while a request waits, each backup starts the view change without waiting
    for its timer, which is a step of the spec (`Timeout`); the new primary decides."""
    config = spec_pbft.PbftConfig()
    model = spec_pbft.Pbft(config)
    rt = conformance_runtime(config)
    rt.submit(1)
    rt.run(timers=False)
    assert rt.decided == {} and all(s.timer_running for s in rt.sessions.values())
    before = pbft_abstract(rt, config)
    for i in (1, 2, 3):
        result = recover(rt, i, ("agent_failure", "replica:0"))
        assert (result.session.view, result.session.changing) == (1, True)
        after = pbft_abstract(rt, config)
        assert spec_path(model, before, after) is not None and not violated(model, after)
        before = after
    rt.run(timers=False)
    assert rt.decided == {1: 1, 2: 1, 3: 1}
    idle = small_runtime().sessions[2]  # no request waits: noted, no view change
    noted = handled(idle, ("agent_failure", "replica:0")).session
    assert (noted.view, noted.failed_replicas) == (0, {0})


# --- random schedules: every step refines the spec ----------------------------------------

CHOICES = st.lists(st.tuples(st.integers(0, 9), st.integers(0, 10_000)), min_size=10, max_size=60)


def pick(actions: list[Any], k: int, agents_first: bool) -> Any:
    """The k-th action (mod their number); with `agents_first`, the k-th of the agents'
    own (proposals, votes, feedback), if there are any: a schedule that lets the
    agents finish a phase before the coordinator closes it."""
    own = [a for a in actions if hasattr(a, "agent") or hasattr(a, "from_agent")]
    chosen = own if agents_first and own else actions
    return chosen[k % len(chosen)]


@settings(max_examples=100, deadline=None)
@given(agents=st.integers(3, 4), rounds=st.integers(1, 2), choices=CHOICES)
def test_iterative_schedules_with_failures_refine_the_spec(
    agents: int, rounds: int, choices: list[tuple[int, int]]
) -> None:
    """Honest events the spec enables, with failures and timeouts interleaved (through
    `handle_coordination_error`): each step is a stutter, a spec step or a spec path of
    two (`refined_path`), the spec's invariants hold, and a failed agent's events are
    refused."""
    config = it.IterativeConfig(agents=agents, max_rounds=rounds)
    model = it.Iterative(config)
    session, shadow = hi.start(config), model.initial()[0]
    for kind, k in choices:
        if session.termination_reason is not None or session.failed is not None:
            break  # (failed: insufficient agents; to the spec, a run that stops there)
        if kind == 0:
            result = handled(session, ("agent_failure", hi.agent_id(k % agents)))
        elif kind == 1:
            result = handled(session, ("timeout", k))
        else:
            action = pick(model.honest_actions(shadow), k, kind < 7)
            answer = api.handle_event(session, *hi.event_of(action))
            if isinstance(answer, Error):
                assert answer.reason == "agent_failed", (action, answer)
                continue
            result = answer
        after = ref_iterative.abstract(result.session, config)
        shadow = hi.refined_path(model, shadow, after, bool(session.failed_agents))
        session = result.session
        assert all(inv.holds(shadow) for inv in model.invariants())


@settings(max_examples=60, deadline=None)
@given(choices=CHOICES)
def test_weighted_schedules_with_failures_refine_the_spec(choices: list[tuple[int, int]]) -> None:
    """The same for weighted voting: a failure is a stutter, a failed agent's votes are
    refused, and a timeout is the spec's deadline."""
    config = w.WeightedConfig()
    model = w.Weighted(config)
    session, shadow = hw.start(config), model.initial()[0]
    for kind, k in choices:
        if session.closed or session.failed is not None:
            break
        if kind == 0:
            result = handled(session, ("agent_failure", hw.agent_id(k % config.agents)))
        elif kind == 1 and k % 5 == 0:
            result = handled(session, ("timeout", k))
        else:
            actions = [
                a for a in model.honest_actions(shadow) if not isinstance(a, w.VotingDeadline)
            ]
            action = actions[k % len(actions)]
            answer = api.handle_event(session, *hw.event_of(action))
            if isinstance(answer, Error):
                assert answer.reason == "agent_failed", (action, answer)
                continue
            result = answer
        after = ref_weighted.abstract(result.session, config)
        shadow = refined_step(model, shadow, after, approx, differences)
        session = result.session
        assert all(inv.holds(shadow) for inv in model.invariants())


@settings(max_examples=60, deadline=None)
@given(
    agents=st.integers(2, 4),
    rounds=st.integers(1, 3),
    silent=st.sets(st.integers(0, 3)),
    failing=st.integers(0, 3),
    texts=st.lists(st.sampled_from(it.TEXTS), min_size=1, max_size=12),
)
def test_a_session_with_silent_or_failed_participants_ends(
    agents: int, rounds: int, silent: set[int], failing: int, texts: list[str]
) -> None:
    """FINDINGS I6: some participants never propose (silent; not all), one may fail
    mid-round; the others propose, the round's time runs out (`timeout`), and the
    coordinator moves on: the session terminates within max_rounds rounds."""
    silent = {i for i in silent if i < agents}
    if len(silent) == agents:
        silent.discard(0)
    speakers = set(range(agents)) - silent - {failing}
    if agents < 3 or not speakers:  # keep two participants, and one that proposes
        failing = agents
    s = hi.start(it.IterativeConfig(agents=agents, max_rounds=rounds))
    coordinator = ("phase_transition", "quality_assessment", "round_completion")
    for step in range(rounds):
        for i in range(agents):
            if i not in silent and i not in s.failed_agents:
                s = propose(s, i, texts[(step * agents + i) % len(texts)])
            if step == 0 and i == 0 and failing < agents:
                s = handled(s, ("agent_failure", hi.agent_id(failing))).session
        s = handled(s, ("timeout", step)).session
        for event in coordinator:
            answer = ii.handle_iterative_event(s, event)
            s = answer.session if isinstance(answer, Ok) else s
        if s.termination_reason is not None:
            break
        s = ok(ii.handle_iterative_event(s, "phase_transition")).session
    assert s.termination_reason is not None and s.failed is None
    assert len(s.proposals_history) <= rounds


def test_a_failed_mark_is_a_field_with_a_default() -> None:
    """The failed mark travels with each session type; a fresh session has none."""
    for session in (weighted(), iterative(), replica()):
        assert session.failed is None
        assert attrs.evolve(session, failed="x").failed == "x"
