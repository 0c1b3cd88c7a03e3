"""`coordspec conform PROTOCOL LOG --events`: event logs replayed through handlers.

Logs of coordspec's own implementation conform; a log with one outcome changed is
reported at that line, naming the field; malformed logs exit 2 with one line; the
`events.jsonl` that `coordspec generate` writes replays through the spec.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model_check import cli
from model_check import conform_events as ce
from model_check.cli import AdapterAgent
from model_check.generate import generate, write
from model_check.schemas import load, validate
from spec import registry
from spec.core import make_config

Event = tuple[str, dict[str, Any]]

WEIGHTED_START = {
    "proposal": "adopt the plan",
    "participants": ["a", "b", "c"],
    "config": {"session_id": "w1", "consensus_threshold": 0.6},
}
WEIGHTED_EVENTS: list[Event] = [
    ("vote_submission", {"agent_id": "a", "vote": "accept", "confidence": 0.9}),
    ("vote_submission", {"agent_id": "z", "vote": "accept"}),  # not_participant
    ("vote_submission", {"agent_id": "b", "vote": "maybe"}),  # unknown_option
    (
        "expertise_assessment",
        {
            "agent_id": "c",
            **dict.fromkeys(
                ("accuracy", "consistency", "domain_knowledge", "past_performance"), 0.9
            ),
        },
    ),
    ("performance_feedback", {"agent_id": "a", "correct": True}),
    ("weight_update_request", {}),
    ("no_such_event", {}),  # unknown_weighted_event
    ("vote_submission", {"agent_id": "b", "vote": "accept", "confidence": 1.0}),
    ("vote_submission", {"agent_id": "c", "vote": "accept", "confidence": 1.0}),
    ("consensus_check", {}),
    ("voting_deadline", {}),
]

ITERATIVE_START = {
    "proposal": "draft",
    "participants": ["a", "b"],
    "config": {"session_id": "i1", "max_rounds": 1},
}
ITERATIVE_EVENTS: list[Event] = [
    ("proposal_submission", {"agent_id": "a", "proposal": "share the load", "confidence": 0.8}),
    ("feedback_submission", {"from_agent": "a", "target_agent": "b", "feedback": {}}),
    ("proposal_submission", {"agent_id": "b", "proposal": "share the work", "confidence": 0.6}),
    ("feedback_submission", {"from_agent": "a", "target_agent": "a", "feedback": {}}),
    (
        "feedback_submission",
        {"from_agent": "a", "target_agent": "b", "feedback": {"quality_score": 0.7}},
    ),
    (
        "feedback_submission",
        {"from_agent": "b", "target_agent": "a", "feedback": {"quality_score": 0.9}},
    ),
    ("round_completion", {}),  # not assessed yet
    ("quality_assessment", {}),
    ("round_completion", {}),  # max_rounds: the session ends with a decision
    ("phase_transition", {}),
]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def impl_agent(protocol: str = "weighted") -> AdapterAgent:
    """coordspec's implementation of `protocol`, through its registered adapter."""
    adapter = registry.adapter(protocol)
    assert adapter is not None
    return AdapterAgent(adapter)


def own_log(protocol: str) -> list[dict[str, Any]]:
    """A log of coordspec's own implementation, with the outcomes it gave."""
    start, events = {
        "weighted": (WEIGHTED_START, WEIGHTED_EVENTS),
        "iterative": (ITERATIVE_START, ITERATIVE_EVENTS),
    }[protocol]
    return ce.record(impl_agent(protocol), protocol, start, events)


def save(path: Path, lines: Sequence[Mapping[str, Any]]) -> Path:
    path.write_text(ce.dump_log(lines), encoding="utf-8")
    return path


# --- logs of our own implementation conform ----------------------------------------------


@pytest.mark.parametrize("protocol", cli.session_protocols())
def test_own_log_conforms(
    protocol: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = own_log(protocol)
    schema = load("event_log")
    assert all(validate(line, schema) == [] for line in lines)
    outcomes = [line["outcome"] for line in lines]
    assert any(o["valid"] for o in outcomes) and not all(o["valid"] for o in outcomes)
    assert any(o.get("decision") is not None for o in outcomes)  # the session decided
    log = save(tmp_path / "own.jsonl", lines)
    code, out, err = run(capsys, "conform", protocol, str(log), "--events")
    assert (code, err) == (0, "")
    assert out == (
        f"conforms: {len(lines)} events ({protocol}, implementation form, "
        f"{len(lines)} outcomes compared)\n"
    )
    code, out, _ = run(capsys, "conform", protocol, str(log), "--events", "--json")
    report = json.loads(out)
    assert (code, report["conforms"], report["events"]) == (0, True, len(lines))
    assert report["form"] == "implementation" and report["divergence"] is None


def test_own_weighted_log_records_the_expected_outcomes() -> None:
    lines = own_log("weighted")
    short = [ce.outcome_of(line["outcome"]).show() for line in lines]
    assert short[0] == "accepted [coordination_started, weights_updated] without a decision"
    assert short[2] == "rejected not_participant"
    assert short[3] == "rejected unknown_option"
    assert short[7] == "rejected unknown_weighted_event"
    assert short[8] == "accepted [vote_processed] without a decision"
    assert short[9] == 'accepted [vote_processed, consensus_reached] deciding "accept"'
    assert short[10:] == ["rejected after_decision", "rejected after_decision"]


def test_outcomes_are_optional(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [{k: v for k, v in line.items() if k != "outcome"} for line in own_log("weighted")]
    lines[9]["outcome"] = {"valid": True}
    log = save(tmp_path / "bare.jsonl", lines)
    code, out, _ = run(capsys, "conform", "weighted", str(log), "--events")
    assert code == 0
    assert out.endswith("1 outcome compared)\n")


# --- one outcome changed is reported at its line -----------------------------------------


def mutate(outcome: dict[str, Any], how: str) -> tuple[dict[str, Any], list[str]]:
    """The outcome changed one way, and the fields the report must name."""
    if how == "flip":
        flipped = {"valid": False, "guard": "made_up"} if outcome["valid"] else {"valid": True}
        return flipped, ["valid"]
    if how == "guard" and not outcome["valid"]:
        return {**outcome, "guard": outcome["guard"] + "_x"}, ["guard"]
    if how == "telemetry" and outcome["valid"]:
        return {**outcome, "telemetry": [*outcome["telemetry"], "made_up"]}, ["telemetry"]
    if how == "decision" and outcome["valid"]:
        other = "made_up" if outcome["decision"] is None else None
        return {**outcome, "decision": other}, ["decision"]
    return mutate(outcome, "flip")


@pytest.mark.parametrize(
    ("protocol", "index", "how"),
    [
        ("weighted", 0, "telemetry"),
        ("weighted", 2, "guard"),
        ("weighted", 5, "flip"),
        ("weighted", 8, "decision"),
        ("weighted", 9, "decision"),
        ("weighted", 11, "flip"),
        ("iterative", 2, "guard"),
        ("iterative", 9, "decision"),
        ("iterative", 10, "flip"),
    ],
)
def test_a_changed_outcome_is_reported_at_its_line(
    protocol: str, index: int, how: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = own_log(protocol)
    expected, fields = mutate(lines[index]["outcome"], how)
    got = lines[index]["outcome"]
    lines[index]["outcome"] = expected
    log = save(tmp_path / "changed.jsonl", lines)
    code, out, err = run(capsys, "conform", protocol, str(log), "--events")
    assert (code, err) == (1, "")
    event_type = lines[index]["event_type"]
    assert out.startswith(f"diverges at line {index + 1} (index {index}, {event_type}): ")
    assert f"{', '.join(fields)} differs: expected" in out
    code, out, _ = run(capsys, "conform", protocol, str(log), "--events", "--json")
    d = json.loads(out)["divergence"]
    assert code == 1
    assert (d["line"], d["index"], d["fields"]) == (index + 1, index, fields)
    assert d["expected"] == expected and d["got"] == got


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.sampled_from(WEIGHTED_EVENTS), min_size=1, max_size=8),
    st.data(),
)
def test_the_first_changed_outcome_is_the_one_reported(
    events: list[Event], data: st.DataObject
) -> None:
    lines = own_log_of(events)
    assert ce.replay(ce.parse_log(ce.dump_log(lines)), impl_agent()).conforms
    index = data.draw(st.integers(0, len(lines) - 1))
    how = data.draw(st.sampled_from(["flip", "guard", "telemetry", "decision"]))
    lines[index]["outcome"], fields = mutate(lines[index]["outcome"], how)
    report = ce.replay(ce.parse_log(ce.dump_log(lines)), impl_agent())
    assert report.divergence is not None
    assert (report.divergence.index, list(report.divergence.fields)) == (index, fields)
    assert report.events == index + 1 == report.checked


def own_log_of(events: list[Event]) -> list[dict[str, Any]]:
    return ce.record(impl_agent(), "weighted", WEIGHTED_START, events)


def test_a_refused_start(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    start = {**WEIGHTED_START, "config": {"consensus_threshold": 2}}
    lines = ce.record(impl_agent(), "weighted", start, WEIGHTED_EVENTS)
    assert len(lines) == 1 and lines[0]["outcome"]["guard"] == "invalid_config"
    log = save(tmp_path / "refused.jsonl", lines)
    assert run(capsys, "conform", "weighted", str(log), "--events")[0] == 0
    # the other side started the session: the first line differs
    lines[0]["outcome"] = {"valid": True}
    code, out, _ = run(capsys, "conform", "weighted", str(save(log, lines)), "--events")
    assert code == 1 and out.startswith("diverges at line 1 (index 0, session_start)")
    assert "(threshold" in out or "consensus_threshold" in out  # our reason is shown


def test_a_handler_that_raises_is_a_divergence() -> None:
    class Broken(AdapterAgent):
        def handle(self, event_type: str, data: Mapping[str, Any]) -> ce.Outcome:
            raise ValueError("boom")

    log = ce.parse_log(ce.dump_log(own_log("weighted")[:2]))
    report = ce.replay(log, Broken(impl_agent().adapter))
    assert report.divergence is not None
    assert report.divergence.got == ce.Outcome(False, "handler_raised", "ValueError: boom")


# --- malformed logs: exit 2, one line -----------------------------------------------------


def _line(**changes: Any) -> str:
    base = own_log("weighted")[1]
    return json.dumps({**base, **changes})


START = json.dumps(own_log("weighted")[0])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the log has no events"),
        ("\n\n", "the log has no events"),
        ('{"agent": "coordinator",', "line 1: not JSON (Expecting"),
        (START + "\nnot json\n", "line 2: not JSON (Expecting value"),
        ("[1, 2]\n", "line 1: $: expected object, got array"),
        (START + "\n" + _line(event_data=[1]), "line 2: $.event_data: expected object"),
        ('{"protocol": "weighted"}', "line 1: $: missing required property 'agent'"),
        (START + "\n" + _line(extra=1), "line 2: $: unexpected property 'extra'"),
        (START + "\n" + _line(protocol="iterative"), "line 2: protocol 'iterative', the log"),
        (START + "\n" + _line(index=7), "line 2: index 7, expected 1"),
        (START + "\n" + START.replace('"index": 0', '"index": 1'), "line 2: session_start is"),
        (_line(protocol="paxos", index=0), "a 'paxos' log, not 'weighted'"),
        (
            START.replace('"participants"', '"members"'),
            "line 1: session_start: $: missing required property 'participants'",
        ),
        (
            START.replace('"valid": true', '"valid": "yes"'),
            "line 1: $.outcome.valid: expected boolean",
        ),
        ("[" * 100_000 + "]" * 100_000, "line 1: not JSON (nested too deep)"),
        ("x" * (ce.MAX_LINE + 1), "line 1: longer than"),
    ],
)
def test_malformed_logs_exit_2(
    text: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "bad.jsonl"
    log.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "conform", "weighted", str(log), "--events")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"coordspec: error: {log}: ")
    assert message in err


def test_events_after_a_start_refused_by_both_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    refused = {"valid": False, "guard": "invalid_config"}
    start = {**json.loads(START), "outcome": refused}
    start["event_data"] = {**start["event_data"], "config": {"options": []}}
    log = save(tmp_path / "after.jsonl", [start, json.loads(_line())])
    code, _, err = run(capsys, "conform", "weighted", str(log), "--events")
    assert code == 2 and "line 2: an event after a session_start that was refused" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["pbft"], "session logs are replayed for weighted, iterative only"),
        (["paxos"], "unknown protocol 'paxos'"),
        (["weighted", "--agents", "2"], "parameters only apply to spec-form logs"),
    ],
)
def test_unsupported_uses_exit_2(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [{**line, "protocol": args[0]} for line in own_log("weighted")]
    log = save(tmp_path / "log.jsonl", lines)
    code, out, err = run(capsys, "conform", args[0], str(log), "--events", *args[1:])
    assert (code, out) == (2, "") and message in err and err.count("\n") == 1


def test_unreadable_files_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "conform", "weighted", str(tmp_path / "none.jsonl"), "--events")
    assert code == 2 and "cannot read the log: No such file or directory" in err
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe\x00")
    code, _, err = run(capsys, "conform", "weighted", str(binary), "--events")
    assert code == 2 and "cannot read the log" in err and err.count("\n") == 1


# --- the logs `coordspec generate` writes ---------------------------------------------------

#: generate's bounds that find every witness in a second or two (tests/test_generate.py).
STATES = {"weighted": 600, "iterative": 3500}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Path]]:
    logs = []
    for protocol, states in STATES.items():
        spec = registry.specification(protocol)
        config = make_config(spec.config_type, {})
        vectors = generate(protocol, spec.build(config), config, max_states=states)
        out = tmp_path_factory.mktemp(protocol)
        write(vectors, spec.build(config), out)
        logs += [(protocol, p) for p in sorted(out.rglob("events.jsonl"))]
    return logs


def test_generated_logs_replay_through_the_spec(
    generated: list[tuple[str, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert {p for p, _ in generated} == {"weighted", "iterative"}
    for protocol, log in generated:
        lines = log.read_text().splitlines()
        code, out, err = run(capsys, "conform", protocol, str(log), "--events")
        assert (code, err) == (0, ""), out
        n = len(lines)
        events, outcomes = ("1 event", "1 outcome") if n == 1 else (f"{n} events", f"{n} outcomes")
        assert out == f"conforms: {events} ({protocol}, spec form, {outcomes} compared)\n"


def test_a_changed_generated_log_diverges(
    generated: list[tuple[str, Path]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    protocol, log = max(generated, key=lambda g: len(g[1].read_text().splitlines()))
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    last = len(lines) - 1  # generate ends each run with an event that must be rejected
    assert lines[last]["outcome"]["valid"] is False
    lines[last]["outcome"]["guard"] = "made_up"
    changed = save(tmp_path / "changed.jsonl", lines)
    code, out, _ = run(capsys, "conform", protocol, str(changed), "--events", "--json")
    d = json.loads(out)["divergence"]
    assert code == 1 and (d["line"], d["fields"]) == (last + 1, ["guard"])
    lines[0]["outcome"] = {"valid": False, "guard": "made_up"}
    code, out, _ = run(capsys, "conform", protocol, str(save(changed, lines)), "--events")
    assert code == 1 and out.startswith(f"diverges at line 1 (index 0, {lines[0]['event_type']})")
    assert "valid differs: expected rejected made_up, got accepted" in out


def test_spec_form_with_parameters_and_bad_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vote = {
        "agent": "coordinator",
        "protocol": "weighted",
        "event_type": "vote_submission",
        "event_data": {"agent": 1, "vote": 1, "confidence": "1/2"},
        "outcome": {"valid": True},
    }
    log = save(tmp_path / "spec.jsonl", [vote])
    two = ("--agents", "2", "--profiles", "2,1")
    assert run(capsys, "conform", "weighted", str(log), "--events", *two)[0] == 0
    code, _, err = run(capsys, "conform", "weighted", str(log), "--events", "--agents", "99")
    assert code == 2 and "agents" in err and err.count("\n") == 1
    # agent 1 of 1: the spec's guard refuses it, the log says valid
    one = ("--agents", "1", "--profiles", "1")
    code, out, _ = run(capsys, "conform", "weighted", str(log), "--events", *one)
    assert code == 1 and "valid differs: expected accepted, got rejected" in out
    bad = {**vote, "event_data": {"agent": 5, "vote": 1, "confidence": "1/2"}}
    code, out, _ = run(capsys, "conform", "weighted", str(save(log, [bad])), "--events")
    assert code == 1 and "valid differs: expected accepted, got rejected" in out
    weird = {**vote, "event_data": {"agent": 0, "vote": 1, "confidence": "x"}}
    report = ce.replay_spec(ce.parse_log(ce.dump_log([weird])), spec_model("weighted"))
    assert report.divergence is not None
    assert report.divergence.got.guard == "confidence_out_of_range"
    # a spec whose step fails on data its guards let through: reported, not raised
    model = spec_model("weighted")
    model.step = lambda state, action: 1 // 0
    report = ce.replay_spec(ce.parse_log(ce.dump_log([vote])), model)
    assert report.divergence is not None
    assert report.divergence.got.guard == "spec_error"
    assert report.divergence.got.reason == "ZeroDivisionError: integer division or modulo by zero"


def spec_model(protocol: str) -> Any:
    spec = registry.specification(protocol)
    return spec.build(make_config(spec.config_type, {}))


def test_spec_form_needs_an_event_table_and_no_session_start() -> None:
    from tests.models import diehard

    log = ce.parse_log(_line(index=0, outcome={"valid": True}))
    model = diehard.SPEC.build(make_config(diehard.SPEC.config_type, {}))
    with pytest.raises(ce.LogError, match="no seed event form"):
        ce.replay_spec(log, model)
    weighted = spec_model("weighted")
    weighted.initial = list
    with pytest.raises(ce.LogError, match="no initial state"):
        ce.replay_spec(log, weighted)
    with pytest.raises(ce.LogError, match="replayed through the implementation"):
        ce.replay_spec(ce.parse_log(START), spec_model("weighted"))
