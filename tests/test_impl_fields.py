"""Every event's fields (impl/fields.py): declared once, checked, and documented.

Each protocol declares its events (`impl.api.FIELDS`); the README's tables are made from
the declarations and must be the ones printed there; a key an event does not have is
refused as `unknown_field`, a required field absent as `missing_field`, in every event of
every protocol, with the session unchanged; the reasons each event declares are the
ones its handler gives (an adversary's events, and the handlers' source); a PBFT client
request is plain data through the API, and the README's example of it runs as printed.
"""

from __future__ import annotations

import ast
import doctest
import random
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from impl import api, fields, pbft
from impl import iterative as ii
from impl import weighted as iw
from impl.auth import KeyRing
from impl.core import CollectingSink, Error, Ok, Send, SetTimer
from impl.fields import REQUIRED, Event, Field
from impl.pbft import CheckpointMsg, CommitMsg, PrepareMsg, PrePrepareMsg, Snapshot
from impl.runtime import Runtime
from spec import registry

ROOT = Path(__file__).resolve().parent.parent
KEY = b"0123456789abcdef"
REPLICAS = ["r0", "r1", "r2", "r3"]


def section(title: str, level: str = "## ") -> str:
    """The README's section `title`: from its heading to the next at its level or above."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n{level}{title}\n")
    ends = [text.find(f"\n{h} ", start + 1) for h in ("#" * k for k in range(1, len(level)))]
    found = [e for e in ends if e != -1]
    return text[start : min(found) if found else len(text)]


def started(protocol: str) -> Any:
    """A fresh session of the protocol through the API."""
    result: Ok[Any] | Error
    if protocol == "pbft":
        result = api.start_byzantine_consensus(None, REPLICAS, {"master_key": KEY})
    elif protocol == "weighted":
        result = api.start_weighted_consensus("plan", ["a", "b", "c"])
    else:
        result = api.start_iterative_consensus("plan a budget", ["a", "b"])
    assert isinstance(result, Ok), result
    return result.session


# --- the README ----------------------------------------------------------------------------


def test_the_readme_tables_are_the_declarations() -> None:
    """Regenerate with `python -m impl.fields` when a declaration changes."""
    events = section("Events and their fields", "### ")
    for protocol in api.FIELDS.values():
        table = f"#### `{protocol.name}` (`{protocol.start}`)\n\n{fields.markdown(protocol)}\n"
        assert table in events, f"README's {protocol.name} table differs: python -m impl.fields"
    headings = re.findall(r"^#### `(\w+)`", events, re.MULTILINE)
    assert tuple(headings) == tuple(api.FIELDS) == registry.names()


def test_main_prints_the_tables(capsys: pytest.CaptureFixture[str]) -> None:
    fields.main()
    out = capsys.readouterr().out
    assert out.startswith("#### `pbft` (`start_byzantine_consensus`)\n\n| event_type |")
    assert out.count("Any event can also be refused with") == 3
    assert out.strip() in section("Events and their fields", "### ")


def readme_example() -> str:
    text = section("Submitting a PBFT client request", "### ")
    blocks = re.findall(r"```pycon\n(.*?)```", text, re.DOTALL)
    assert len(blocks) == 1, "the section has one pycon example"
    return str(blocks[0])


def test_the_readme_pbft_example_runs_as_printed() -> None:
    example = readme_example()
    test = doctest.DocTestParser().get_doctest(example, {}, "README", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.REPORT_NDIFF)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0 and result.attempted >= 10
    assert '"operation": "deposit 10"' in example and "proposal_submission" in example


# --- unknown and missing fields -------------------------------------------------------------


def test_a_misspelt_field_is_named() -> None:
    s = started("weighted")
    data = {"agnet_id": "a", "vote": "accept", "confidence": 0.9}
    assert api.handle_event(s, "vote_submission", data) == Error(
        "unknown_field",
        "vote_submission: unknown field 'agnet_id'; the fields are agent_id, vote, "
        "confidence, reasoning",
    )
    assert api.handle_event(s, "consensus_check", {"now": 1}) == Error(
        "unknown_field", "consensus_check: unknown field 'now'; it has no fields"
    )


def test_a_missing_quality_score_is_missing() -> None:
    """It was `score_out_of_range` ("None is not in [0, 1]")."""
    s = started("iterative")
    for agent in ("a", "b"):
        data = {"agent_id": agent, "proposal": "plan", "confidence": 1.0}
        accepted = api.handle_event(s, "proposal_submission", data)
        assert isinstance(accepted, Ok)
        s = accepted.session
    pair = {"from_agent": "a", "target_agent": "b"}
    assert api.handle_event(s, "feedback_submission", {**pair, "feedback": {}}) == Error(
        "missing_field", "feedback_submission: missing field 'feedback.quality_score'"
    )
    typo = {**pair, "feedback": {"qualty_score": 0.5}}
    refused = api.handle_event(s, "feedback_submission", typo)
    assert isinstance(refused, Error) and refused.reason == "unknown_field"
    assert refused.detail.startswith(
        "feedback_submission: unknown field 'feedback.qualty_score'; the fields of feedback "
        "are target_proposal, quality_score,"
    )
    seed = {"quality_score": 0.5, "confidence": 0.9, "improvement_suggestions": ["shorter"]}
    assert isinstance(api.handle_event(s, "feedback_submission", {**pair, "feedback": seed}), Ok)
    # a feedback that is not a mapping keeps its reason
    bad = api.handle_event(s, "feedback_submission", {**pair, "feedback": 0.5})
    assert isinstance(bad, Error) and bad.reason == "score_out_of_range"


EVENTS = [(p.name, e) for p in api.FIELDS.values() for e in p.events.values()]


@pytest.mark.parametrize(("protocol", "event"), EVENTS, ids=lambda x: getattr(x, "name", x))
def test_every_event_refuses_an_unknown_field(protocol: str, event: Event) -> None:
    s = started(protocol)
    data = {f.name: f.default for f in event.fields if not f.required}
    data["no_such_field"] = 1
    result = api.handle_event(s, event.name, data)
    names = ", ".join(f.name for f in event.fields)
    there = f"; the fields are {names}" if names else "; it has no fields"
    assert result == Error("unknown_field", f"{event.name}: unknown field 'no_such_field'{there}")
    assert s == started(protocol)  # refused: the session is as it was


def required_cases() -> list[tuple[str, Event, str]]:
    return [
        (p.name, e, f.name)
        for p in api.FIELDS.values()
        for e in p.events.values()
        for f in e.fields
        if f.required
    ]


@pytest.mark.parametrize(
    ("protocol", "event", "name"), required_cases(), ids=lambda x: getattr(x, "name", x)
)
def test_every_required_field_is_named_when_missing(protocol: str, event: Event, name: str) -> None:
    s = started(protocol)
    data = {f.name: None for f in event.fields if f.required and f.name != name}
    result = api.handle_event(s, event.name, data)
    also = " (or give 'request')" if event.field(name).unless == "request" else ""
    assert result == Error("missing_field", f"{event.name}: missing field {name!r}{also}")


def test_the_declarations_are_consistent() -> None:
    for protocol in api.FIELDS.values():
        for name, event in protocol.events.items():
            assert name == event.name
            for shared in protocol.shared:
                assert shared in event.fields, (protocol.name, name)
            for f in event.fields:
                if f.unless is not None:
                    assert not event.field(f.unless).required
    assert set(api.FIELDS["weighted"].events) == set(iw.EVENTS)
    assert set(api.FIELDS["iterative"].events) == set(ii.EVENTS)
    assert set(api.FIELDS["pbft"].events) == set(pbft.EVENTS)
    with pytest.raises(KeyError):
        iw.EVENTS["vote_submission"].field("agnet_id")


def test_requirements_and_defaults_as_the_docs_state_them() -> None:
    assert Field("a", "t", "m").requirement() == "required"
    assert Field("a", "t", "m", unless="b").requirement() == "required unless `b` is given"
    assert Field("a", "t", "m", default=None).requirement() == "optional"
    assert Field("a", "t", "m", default=1.0).requirement() == "optional, default `1.0`"
    assert Field("a", "t", "m", default=()).requirement() == "optional, default `[]`"
    assert Field("a", "t", "m", default=("x", 2)).requirement() == 'optional, default `["x", 2]`'
    assert Field("a", "t", "m", default=True).requirement() == "optional, default `true`"
    assert Field("a", "t", "m", default="s", default_text="t").requirement() == (
        "optional, default t"
    )
    assert repr(REQUIRED) == "REQUIRED"
    vote = iw.EVENTS["vote_submission"]
    assert vote.value({}, "confidence") == 1.0 and vote.value({"confidence": 0.5}, "confidence")
    piped = fields.Protocol("p", "start", fields.events(Event("e", (Field("a|b", "t", "m"),))), ())
    assert "`a\\|b`" in fields.markdown(piped)


# --- the reasons each event declares ----------------------------------------------------------


def declared(protocol: str, event_type: str) -> set[str]:
    p = api.FIELDS[protocol]
    return {*p.events[event_type].reasons, *(r for r, _ in p.common)}


POOLS: dict[str, list[Any]] = {
    "agent_id": ["a", "b", "c", "zz", 7],
    "from_agent": ["a", "b", "zz"],
    "target_agent": ["a", "b", "zz"],
    "vote": ["accept", "reject", "maybe", True],
    "confidence": [0.5, 1.0, 2.0, "sure"],
    "reasoning": ["because", 7],
    "proposal": ["plan a budget", "plan the budget", 7],
    "based_on": [["a"], "a"],
    "correct": [True, False, "yes"],
    "feedback": [{"quality_score": 0.5}, {"quality_score": 2}, {}, {"score": 1}, 0.5],
}
METRIC_POOL = [0.2, 0.9, 1.5, None]


@st.composite
def event_and_data(draw: st.DrawFn, protocol: str) -> tuple[str, Any]:
    events = api.FIELDS[protocol].events
    name = draw(st.sampled_from([*events, "no_such_event"]))
    if name == "no_such_event" or draw(st.integers(0, 30)) == 0:
        return name, draw(st.sampled_from([None, {}, [], {"x": 1}]))
    data: dict[str, Any] = {}
    for f in events[name].fields:
        if draw(st.integers(0, 9)) == 0:  # now and then a field is left out
            continue
        if f.required or draw(st.booleans()):
            data[f.name] = draw(st.sampled_from(POOLS.get(f.name, METRIC_POOL)))
    if draw(st.integers(0, 15)) == 0:
        data["extra"] = 1
    return name, data


def reasons_hold(protocol: str, events: list[tuple[str, Any]]) -> set[str]:
    """Feed the events to a fresh session; every refusal's reason is one its event
    declares (an unknown event: the common ones). The reasons seen."""
    s = started(protocol)
    seen = set()
    for name, data in events:
        result = api.handle_event(s, name, data)
        if isinstance(result, Error):
            known = declared(protocol, name) if name in api.FIELDS[protocol].events else set()
            assert result.reason in known | {r for r, _ in api.FIELDS[protocol].common}, (
                name,
                data,
                result,
            )
            seen.add(result.reason)
        else:
            s = result.session
    return seen


WALKS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@WALKS
@given(st.lists(event_and_data("weighted"), max_size=25))
def test_weighted_refusals_are_declared(events: list[tuple[str, Any]]) -> None:
    reasons_hold("weighted", events)


@WALKS
@given(st.lists(event_and_data("iterative"), max_size=40))
def test_iterative_refusals_are_declared(events: list[tuple[str, Any]]) -> None:
    reasons_hold("iterative", events)


def test_pbft_refusals_are_declared() -> None:
    """An adversary's run (seeded): every `message_rejected` names a declared reason."""
    seen: set[str] = set()
    for seed, faulty in ((0, 0), (1, 3), (2, 1), (3, 0)):
        sink = CollectingSink()
        rt = Runtime(4, (faulty,), seed=seed, record=True, sink=sink, checkpoint_interval=1)
        rng = random.Random(seed)
        requests = [rt.submit(v) for v in (1, 2)]
        for _ in range(600):
            adversary(rt, rng, faulty, requests)
        for e in sink.events:
            if e.event == "message_rejected":
                event, reason = str(e.metadata["event"]), str(e.metadata["reason"])
                assert reason in declared("pbft", event), (event, reason)
                seen.add(reason)
    assert len(seen) >= 8, seen


def adversary(rt: Runtime, rng: random.Random, faulty: int, requests: list[Any]) -> None:
    """One move of a simple adversary: deliver (mostly), mess with packets, fire timers,
    or speak for the faulty replica."""
    move = rng.randrange(20)
    if rt.inflight and move < 13:
        rt.deliver(rng.randrange(len(rt.inflight)))
    elif rt.inflight and move == 13:
        getattr(rt, rng.choice(["duplicate", "delay", "drop"]))(rng.randrange(len(rt.inflight)))
    elif move == 14 and (not rt.inflight or rng.random() < 0.2):
        rt.fire_latest(rng.randrange(4))
    elif move in (15, 16) and rt.sent:
        m = rng.choice(rt.sent)
        if isinstance(m.body, PrepareMsg | CommitMsg) and rng.random() < 0.5:
            rt.forge(m.sender, [rng.randrange(4)], m.body)
        else:
            rt.replay(m, [rng.randrange(4)])
    elif move == 17:
        req = rng.choice(requests)
        d = pbft.request_digest(req.request)
        view, seq = rng.randrange(2), rng.choice([1, 2, 300])  # 300: above the watermark
        rt.byzantine_send(faulty, [rng.randrange(4)], PrePrepareMsg(view, seq, d), req)
        kind = CommitMsg if rng.random() < 0.5 else PrepareMsg
        rt.byzantine_vote(kind, view, seq, d, [rng.randrange(4)])
    elif move == 18:
        if rng.random() < 0.5:
            rt.bogus_view_change(faulty, 1 + rng.randrange(2), [rng.randrange(4)])
        else:
            rt.byzantine_view_change(faulty, 1 + rng.randrange(2), [rng.randrange(4)])
    elif move == 19:
        snap = Snapshot(rng.randrange(1, 3), "made-up", ())
        body = CheckpointMsg(snap.seq, pbft.snapshot_digest(snap), faulty)
        rt.byzantine_send(faulty, [rng.randrange(4)], body, snap)


def reason_literals(path: Path) -> set[str]:
    """The reasons a module's source refuses with: `Error("x", ...)`, and the validation
    functions' `return "x"` (PBFT's `conflicting_*` are accepted, not refused)."""
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Error":
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
        if isinstance(node, ast.FunctionDef) and node.name.startswith("validate_"):
            for inner in ast.walk(node):
                value = inner.value if isinstance(inner, ast.Return) else None
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    found.add(value.value)
    return {r for r in found if not r.startswith("conflicting_")} - {"invalid_config"}


@pytest.mark.parametrize(
    ("protocol", "module"),
    [("pbft", "pbft.py"), ("weighted", "weighted.py"), ("iterative", "iterative.py")],
)
def test_the_sources_reasons_are_declared(protocol: str, module: str) -> None:
    """Every reason the handler's module refuses with is declared, and every declared
    reason is in the module (or, for the API's own, in impl/api.py and impl/fields.py)."""
    impl = ROOT / "impl"
    everything = api.FIELDS[protocol].reasons()
    assert reason_literals(impl / module) <= everything
    texts = "".join((impl / m).read_text(encoding="utf-8") for m in (module, "api.py", "fields.py"))
    for reason in everything:
        assert f'"{reason}"' in texts, reason


# --- a PBFT client request as plain data ------------------------------------------------------


def signed(client: str, timestamp: int, operation: int | str) -> pbft.AuthRequest:
    request = pbft.ClientRequest(client, timestamp, operation)
    return pbft.AuthRequest(request, KeyRing(client, KEY, 4).authenticator(tuple(request)))


def test_the_plain_request_is_the_signed_one() -> None:
    primary = started("pbft")
    plain = api.handle_event(
        primary, "proposal_submission", {"client": "alice", "timestamp": 1, "operation": 7}
    )
    old = api.handle_event(primary, "proposal_submission", {"request": signed("alice", 1, 7)})
    assert isinstance(plain, Ok) and isinstance(old, Ok)
    assert plain.session == old.session and plain.effects == old.effects
    assert [type(e).__name__ for e in plain.effects] == ["Send", "Telemetry", "SetTimer"]
    # the handler itself takes the signed form only: nothing on the network signs
    direct = pbft.handle_byzantine_event(
        primary, "proposal_submission", {"client": "alice", "timestamp": 1, "operation": 7}
    )
    assert isinstance(direct, Error) and direct.reason == "unknown_field"
    # `now` is carried over; a duplicate is a duplicate
    later = api.handle_event(
        plain.session,
        "proposal_submission",
        {"client": "alice", "timestamp": 2, "operation": 8, "now": 5},
    )
    assert isinstance(later, Ok) and later.session.now == 5
    again = api.handle_event(
        later.session, "proposal_submission", {"client": "alice", "timestamp": 2, "operation": 8}
    )
    assert isinstance(again, Error) and again.reason == "duplicate_message"


def test_a_backup_keeps_a_plain_request_and_times_it() -> None:
    backup = api.start_byzantine_consensus(None, REPLICAS, {"master_key": KEY, "replica": "r2"})
    assert isinstance(backup, Ok)
    result = api.handle_event(
        backup.session, "proposal_submission", {"client": "bob", "timestamp": 1, "operation": "x"}
    )
    assert isinstance(result, Ok)
    assert not any(isinstance(e, Send) for e in result.effects)
    assert any(isinstance(e, SetTimer) for e in result.effects)


@pytest.mark.parametrize(
    ("data", "starts"),
    [
        ({"client": "", "timestamp": 1, "operation": 7}, "proposal_submission: client must"),
        ({"client": 3, "timestamp": 1, "operation": 7}, "proposal_submission: client must"),
        ({"client": "replica:1", "timestamp": 1, "operation": 7}, "proposal_submission: client"),
        ({"client": "c", "timestamp": 0, "operation": 7}, "proposal_submission: timestamp"),
        ({"client": "c", "timestamp": True, "operation": 7}, "proposal_submission: timestamp"),
        ({"client": "c", "timestamp": "1", "operation": 7}, "proposal_submission: timestamp"),
        ({"client": "c", "timestamp": 1, "operation": 1.5}, "proposal_submission: operation"),
        ({"client": "c", "timestamp": 1, "operation": False}, "proposal_submission: operation"),
        (
            {"client": "c", "request": signed("c", 1, 7)},
            "proposal_submission: give request, or client, timestamp and operation; not both "
            "('client' with 'request')",
        ),
        ({"client": "c", "timestamp": 1, "operation": 7, "now": -1}, "now must be an int"),
    ],
)
def test_bad_plain_requests_are_malformed(data: Mapping[str, Any], starts: str) -> None:
    primary = started("pbft")
    result = api.handle_event(primary, "proposal_submission", data)
    assert isinstance(result, Error) and result.reason == "malformed_message", result
    assert result.detail.startswith(starts), result.detail
    assert "\n" not in result.detail


def test_pbft_refusals_keep_the_session() -> None:
    primary = started("pbft")
    before = primary
    for data in (
        {"client": "c", "timestamp": 1},
        {"client": "c", "timestamp": 1, "operation": 7, "opertion": 7},
        {"request": 1},
        None,
    ):
        result = api.handle_event(primary, "proposal_submission", data)
        assert isinstance(result, Error)
        assert primary == before
    refused = api.handle_event(primary, "proposal_submission", None)
    assert isinstance(refused, Error) and refused.reason == "missing_field"
