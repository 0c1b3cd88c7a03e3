"""`coordspec generate --per-agent`: each case as one participant sees it (`agent.json`).

One module-scoped directory holds the three protocols' vectors at small bounds (PBFT with
one request and a checkpoint every request, two weighted voters, two iterative agents
and an outsider), so it also shows several protocols sharing one output directory.
Every PBFT per-agent case is replayed through the spec: the replica's local state, what
it sends and its local state after are the spec's step seen from that replica, a
rejection's guard is the spec's, and the step of a valid case is rebuilt from what the
file gives the replica alone (`rebuild`: the implementer's job, done here to show it
can be). The weighted and iterative cases are replayed through the spec from their seed
form, and through the reference implementation from `session_start` and `history`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import pytest

from impl.core import Error, Ok
from impl.refinement.tolerance import SNAP_DENOMINATOR, differences
from model_check import conform
from model_check.generate import (
    AGENT_FILE,
    MANIFEST,
    GenerateError,
    fraction,
    generate,
    read_manifest,
    run,
    session_action,
    validate_vectors,
    write,
)
from model_check.generate.per_agent import agent_files, check_per_agent, step_json, to_json
from model_check.itf import ItfError, action_classes, decode_action, decode_state, state_type
from model_check.schemas import definition, validate
from spec import pbft as p
from spec import registry
from spec.core import GuardedModel, GuardError, Invariant, Model, guard
from spec.jsonform import SNAP_DENOMINATOR as READ_DENOMINATOR
from spec.pbft import wire
from spec.sessions import ITERATIVE, WEIGHTED, seed_event, session_json, spec_data
from tests.harness import iterative as hi
from tests.harness import weighted as hw
from tests.harness.specs import model_bounds
from tests.harness.vectors import build

ROOT = Path(__file__).resolve().parent.parent
Json = Any

#: The small bounds of each protocol, and the states explored (each a fraction of a
#: second; every action kind has a valid case at these).
BOUNDS: dict[str, tuple[dict[str, str], int]] = {
    "pbft": ({"requests": "1", "checkpoint_interval": "1"}, 300),
    "weighted": ({"agents": "2", "profiles": "2,1", "feedbacks": "1"}, 100),
    "iterative": ({"agents": "2", "outsiders": "1"}, 100),
}


@attrs.frozen
class Written:
    """The vectors of the three protocols, generated into one directory."""

    out: Path
    models: dict[str, tuple[Model[Any, Any], Any]]
    report: dict[str, list[str]]

    @property
    def manifest(self) -> Json:
        return load(self.out / MANIFEST)

    def cases(self, protocol: str) -> list[Json]:
        """The protocol's single-step cases, in the manifest's order."""
        return [
            c
            for c in self.manifest["cases"]
            if c["path"].startswith(f"{protocol}/") and c["kind"] == "single_step"
        ]

    def agent_cases(self, protocol: str) -> Iterator[tuple[Json, Path, Json]]:
        """(manifest entry, case directory, agent.json) of every case with one."""
        for case in self.cases(protocol):
            if AGENT_FILE in case["files"]:
                where = self.out / case["path"]
                yield case, where, load(where / AGENT_FILE)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Written:
    out = tmp_path_factory.mktemp("per_agent")
    models = {}
    report = {}
    for protocol, (params, states) in BOUNDS.items():
        model, config = build(protocol, **params)
        models[protocol] = (model, config)
        report[protocol] = run(protocol, model, config, out, max_states=states, per_agent=True)
    return Written(out, models, report)


def load(path: Path) -> Json:
    return json.loads(path.read_text(encoding="utf-8"))


def pre_and_action(model: Model[Any, Any], where: Path) -> tuple[Any, Any]:
    """The case's pre state and action, from pre.json and action.json."""
    pre = decode_state(load(where / "pre.json"), state_type(model))
    event = load(where / "action.json")
    try:
        action = decode_action(event["mbt::actionTaken"], event["mbt::nondetPicks"], model)
    except ItfError:  # a perturbed value of the wrong type: the seed event form has it
        from model_check.event_codec import event_action

        action = event_action(model, event["event"])
    return pre, action


def verdict(model: Model[Any, Any], state: Any, action: Any) -> tuple[bool, str | None, Any]:
    """(valid, guard, post) of the spec's step."""
    try:
        return True, None, model.step(state, action)
    except GuardError as err:
        return False, err.guard, None


# --- the directory, the manifest, the schema ---------------------------------------------


def test_the_three_protocols_share_the_directory(written: Written) -> None:
    assert validate_vectors(written.out) == []
    manifest = written.manifest
    assert list(manifest["protocols"]) == ["iterative", "pbft", "weighted"]
    sections = manifest["protocols"]
    totals = {k: sum(s["counts"][k] for s in sections.values()) for k in manifest["counts"]}
    assert manifest["counts"] == totals
    assert manifest["counts"]["cases"] == len(manifest["cases"])
    for protocol, section in sections.items():
        cases = written.cases(protocol)
        summary = section["per_agent"]
        with_file = [c["path"] for c in cases if AGENT_FILE in c["files"]]
        assert summary["written"] == len(with_file) == section["counts"]["per_agent"]
        skipped = [s["path"] for s in summary["skipped"]]
        assert sorted(with_file + skipped) == sorted(c["path"] for c in cases)
        shown = "\n".join(written.report[protocol])
        assert f"Per-agent cases: {len(with_file)} of {len(cases)} single-step cases" in shown
    # the sessions give every case to their coordinator; PBFT keeps back the client's
    # requests, the faulty replica's steps and those of no replica, each with its reason
    assert not sections["weighted"]["per_agent"]["skipped"]
    assert not sections["iterative"]["per_agent"]["skipped"]
    reasons = {s["why"].split(":")[0] for s in sections["pbft"]["per_agent"]["skipped"]}
    assert reasons == {"a client's request", "no replica -1", "replica 0 is faulty"}
    assert "have no participant to give them to" in "\n".join(written.report["pbft"])


def test_a_case_without_per_agent_has_no_agent_file(tmp_path: Path) -> None:
    model, config = build("iterative", agents="2")
    found = generate("iterative", model, config, max_states=50)
    write(found, model, tmp_path)
    assert not list(tmp_path.rglob(AGENT_FILE))
    assert read_manifest(tmp_path) is not None
    assert load(tmp_path / MANIFEST)["protocols"]["iterative"]["per_agent"] is None


def test_agent_files_break_the_schema_when_they_should(written: Written) -> None:
    schema = definition("vectors", "agentCase")
    replica = next(a for c, _, a in written.agent_cases("pbft") if c["action"] == "prepare")
    (_, _, session), *_ = written.agent_cases("weighted")
    for good in (replica, session):
        assert validate(good, schema) == []
        assert validate({**good, "unknown": 1}, schema)  # unknown fields are rejected
        assert validate({**good, "form": "other"}, schema)
        assert validate({k: v for k, v in good.items() if k != "valid"}, schema)
    assert validate({**replica, "deliver": {**replica["deliver"], "extra": 1}}, schema)
    assert validate({**replica, "deliver": {"type": "PING"}}, schema)
    signed = {**replica["deliver"], "authenticator": "mac"}
    assert validate({**replica, "deliver": signed}, schema) == []
    assert validate({**replica, "local_before": {**replica["local_before"], "h": 0}}, schema)
    event = session["event"]
    odd = {**event, "event_data": {**event["event_data"], "profile": 1}}
    assert validate({**session, "event": odd}, schema)
    before = session["session_before"]
    assert validate({**session, "session_before": {**before, "extra": 1}}, schema)
    # fractions as "p/q" or numbers, alike; nothing else
    for value, ok in (("3/5", True), (0.6, True), (1, True), ("3/x", False), (None, False)):
        changed = {**session, "session_before": {**before, "consensus_threshold": value}}
        assert (validate(changed, schema) == []) is ok, value
    # a rejection names its guard; a valid step has what follows it
    assert validate({**replica, "valid": False}, schema)
    assert validate({k: v for k, v in replica.items() if k != "local_after"}, schema)


def test_the_schema_describes_the_mappings() -> None:
    defs = definition("vectors", "agentCase")["$defs"]
    for table, name in ((WEIGHTED, "weightedSession"), (ITERATIVE, "iterativeSession")):
        props = defs[name]["properties"]
        flat = {}
        for key, value in props.items():
            if key == "weight_distribution_stats":
                flat.update({f"{key}.{k}": v for k, v in value["properties"].items()})
            else:
                flat[key] = value
        assert sorted(flat) == sorted(f.seed for f in table)
        for f in table:
            assert flat[f.seed]["description"].startswith(f.meaning), f.seed
            assert f"`{f.spec}`" in flat[f.seed]["description"]
    model, _ = build("pbft")
    local = model.local_view(model.initial()[0], 1)
    assert sorted(defs["replicaLocal"]["properties"]) == sorted(local)
    from spec.pbft.delivery import DELIVERS

    for step, what in DELIVERS.items():
        assert f"{step}: {what}" in defs["delivered"]["description"]
    for name in ("vote_submission", "feedback_submission", "proposal_submission"):
        assert any(
            b["properties"]["event_type"]["const"] == name for b in defs["seedEvent"]["oneOf"]
        )


def test_the_schema_allows_the_fields_the_implementation_takes() -> None:
    from impl import iterative as ii
    from impl import weighted as iw

    branches = definition("vectors", "seedEvent")["$defs"]["seedEvent"]["oneOf"]
    allowed = {
        b["properties"]["event_type"]["const"]: b["properties"]["event_data"]["properties"]
        for b in branches
    }
    for table in (iw.EVENTS, ii.EVENTS):
        for name, event in table.items():
            fields = {f.name for f in event.fields} - {"now"}
            assert set(allowed[name]) == fields, name
            for f in event.fields:
                if f.fields:
                    inner = allowed[name][f.name]["properties"]
                    assert set(inner) == {g.name for g in f.fields}, f.name


# --- PBFT: every case replays through the spec ----------------------------------------


def rebuild(model: p.Pbft, agent: Json) -> Any:
    """The step a replica takes on `deliver`, from what agent.json gives it alone."""
    i, msg, local = agent["agent"], agent["deliver"], agent["local_before"]
    kind = msg["type"]
    if kind == "TIMEOUT":
        return p.Timeout(i, msg["view"] + 1)
    if kind == "REQUEST":
        v = local["view"]
        used = {m["seq"] for m in local["log"] if m["type"] == "PRE-PREPARE" and m["view"] == v}
        n = local["low_water_mark"] + 1
        while n in used:
            n += 1
        return p.PrePrepare(i, v, n, msg["value"])
    if kind == "VIEW-CHANGE":
        own = [m for m in local["log"] if m["type"] == kind and m["view"] == msg["view"]]
        vcs: list[Any] = [wire.decode(m, model.n)[0] for m in [*own, *agent["received"], msg]]
        o = model.compute_o([(vc.stable, vc.state, vc.prepared) for vc in vcs])
        return p.NewView(i, msg["view"], *o)
    message: Any = wire.decode(msg, model.n)[0]
    if kind == "CHECKPOINT":
        return p.StableCheckpoint(i, message.seq, message.state)
    if kind == "NEW-VIEW":
        return p.AcceptNewView(i, message.view, message.stable, message.state, message.pre_prepares)
    step = {"PRE-PREPARE": p.Prepare, "PREPARE": p.Commit, "COMMIT": p.Execute}[kind]
    return step(i, message.view, message.seq, message.digest)


def senders(messages: Sequence[Json], kind: str) -> set[int]:
    return {m["replica"] for m in messages if m["type"] == kind}


def test_every_pbft_case_is_the_spec_step_seen_by_its_replica(written: Written) -> None:
    model, _ = written.models["pbft"]
    assert isinstance(model, p.Pbft)
    kinds: dict[str, int] = {}
    for case, where, agent in written.agent_cases("pbft"):
        pre, action = pre_and_action(model, where)
        i = agent["agent"]
        assert i == action.replica and i not in model.faulty, where
        assert agent["action"] == step_json(action)
        assert agent["local_before"] == to_json(model.local_view(pre, i))
        valid, guard_name, post = verdict(model, pre, action)
        assert valid == agent["valid"] == case["valid"], where
        for m in [*agent["received"], *agent["local_before"]["log"], *agent.get("send", [])]:
            wire.decode(m, model.n)  # every message is in the wire form
        if not valid:
            assert guard_name == agent["guard"] == case["guard"], where
            assert "send" not in agent and "local_after" not in agent
            continue
        kinds[case["action"]] = kinds.get(case["action"], 0) + 1
        after = to_json(model.local_view(post, i))
        assert agent["local_after"] == after
        before = agent["local_before"]["log"]
        assert agent["send"] == [m for m in after["log"] if m not in before]
        for j in model.honest:  # the step is the replica's own: no other replica's changes
            if j != i:
                assert model.local_view(post, j) == model.local_view(pre, j), where
        assert agent["receivable"] is True, where
        for m in agent["received"]:
            assert model.receivable(pre, i, m) is None, where
        assert rebuild(model, agent) == action, where
        # what it received backs the step (`Model.unreceived`), and `deliver` completes it
        assert model.unreceived(pre, action, [*agent["received"], agent["deliver"]]) is None
        counted = isinstance(action, p.Prepare | p.Commit | p.Execute)
        if counted and agent["deliver"].get("replica") != i:
            assert model.unreceived(pre, action, agent["received"]) is not None, where
        own = agent["local_before"]["log"]
        got = [*agent["received"], agent["deliver"]]
        if isinstance(action, p.Commit):
            assert len(senders([*got, *own], "PREPARE")) == model.q_prepare
        if isinstance(action, p.Execute):
            assert len(senders([*got, *own], "COMMIT")) == model.q_commit
        if isinstance(action, p.StableCheckpoint):
            assert len(senders([*got, *own], "CHECKPOINT")) == model.q_checkpoint
        if isinstance(action, p.NewView):
            assert len(senders([*got, *own], "VIEW-CHANGE")) == model.q_view_change
    # every action kind but the client's request (no replica's step) has a valid case
    assert set(kinds) == set(action_classes(model)) - {"request"}


def test_a_forged_delivery_says_why_it_cannot_have_been_received(written: Written) -> None:
    forged = [a for _, _, a in written.agent_cases("pbft") if not a["receivable"]]
    assert forged and all(not a["valid"] for a in forged)
    assert {a["unreceivable"].split(" ")[0] for a in forged} <= {"honest", "no"}
    model, _ = written.models["pbft"]
    assert isinstance(model, p.Pbft)
    from spec.pbft.delivery import receipt

    state = model.initial()[0]
    bad = {"type": "PREPARE", "view": 0, "seq": 1, "digest": 1, "replica": 9}
    why = receipt(model, state, 1, bad)
    assert why is not None and why.startswith("PREPARE: replica 9")
    timer = {"type": "TIMEOUT", "view": 0}
    assert receipt(model, state, 1, timer) is None  # receivable


def test_a_new_view_without_a_matching_v_delivers_what_was_sent() -> None:
    from spec.pbft.delivery import delivery

    model, _ = build("pbft")
    assert isinstance(model, p.Pbft)
    state = model.step(model.initial()[0], p.Request(1))  # a request waits: timers run
    for i in (1, 2):
        state = model.step(state, p.Timeout(i, 1))
    wrong = p.NewView(1, 1, 2, (), frozenset())  # no V gives this O
    deliver, received = delivery(model, state, wrong)
    assert deliver["type"] == "VIEW-CHANGE" and deliver["replica"] == 2 and not received
    nobody = p.NewView(1, 1, 0, (), frozenset())
    fresh = model.initial()[0]
    deliver, _ = delivery(model, fresh, nobody)  # no view-change sent: the lowest other's
    assert deliver == {**deliver, "replica": 0, "stable": 0, "prepared": []}


# --- the seed's sessions ------------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["weighted", "iterative"])
def test_session_cases_replay_through_the_spec(written: Written, protocol: str) -> None:
    model, _ = written.models[protocol]
    table = WEIGHTED if protocol == "weighted" else ITERATIVE
    for case, where, agent in written.agent_cases(protocol):
        pre, action = pre_and_action(model, where)
        assert agent["session_before"] == session_json(table, pre)
        state = model.initial()[0]
        for event in agent["history"]:
            state = model.step(state, session_action(model, event))
        assert state == pre, where
        read = session_action(model, agent["event"])
        valid, guard_name, post = verdict(model, pre, read)
        assert valid == agent["valid"] == case["valid"], where
        if valid:
            assert read == action
            assert agent["session_after"] == session_json(table, post)
        else:
            assert guard_name == agent["guard"] == case["guard"], where
            assert agent.get("bound", False) == (guard_name in model_bounds(model))


@pytest.mark.parametrize("protocol", ["weighted", "iterative"])
def test_session_cases_replay_through_the_implementation(written: Written, protocol: str) -> None:
    """From agent.json alone: start, replay the history, take the event, compare."""
    model, config = written.models[protocol]
    adapter = registry.adapter(protocol)
    assert adapter is not None and adapter.start is not None and adapter.handle is not None
    reasons = hw.REASONS if protocol == "weighted" else hi.REASONS
    event_of = hw.event_of if protocol == "weighted" else hi.event_of
    outcomes: dict[str, int] = {}
    for _, where, agent in written.agent_cases(protocol):
        started = adapter.start(agent["session_start"])
        assert isinstance(started, Ok), where
        session = started.session
        for event in agent["history"]:
            result = adapter.handle(session, event["event_type"], event["event_data"])
            assert isinstance(result, Ok), (where, result)
            session = result.session
        pre, action = pre_and_action(model, where)
        assert differences(adapter.abstract(session, config), pre) == [], where
        event = agent["event"]
        result = adapter.handle(session, event["event_type"], event["event_data"])
        if agent["valid"]:
            assert (event["event_type"], event["event_data"]) == event_of(action)
            assert isinstance(result, Ok), (where, result)
            post = model.step(pre, action)
            assert differences(adapter.abstract(result.session, config), post) == [], where
            outcome = "accepted"
        elif agent.get("bound"):
            assert isinstance(result, Ok), where  # the implementation has no such bound
            outcome = "not_refused"
        else:
            assert isinstance(result, Error), where
            assert result.reason in reasons.get(agent["guard"], (agent["guard"],)), where
            outcome = "refused"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    assert outcomes["accepted"] and outcomes["refused"]


def test_seed_events_read_back_whatever_the_number_form() -> None:
    model, _ = build("weighted")
    from spec import weighted as w

    vote: dict[str, Any] = {
        "event_type": "vote_submission",
        "event_data": {"agent_id": "agent1", "vote": 2},
    }
    for confidence in ("1/2", 0.5, "2/4"):
        data = {**vote["event_data"], "confidence": confidence}
        assert session_action(model, {**vote, "event_data": data}) == w.VoteSubmission(
            1, 2, Fraction(1, 2)
        )
    by_position = {"agent_id": 1, "vote": "option2", "confidence": 1, "reasoning": "r"}
    assert session_action(model, {**vote, "event_data": by_position}) == w.VoteSubmission(
        1, 2, Fraction(1)
    )
    assert session_action(model, vote) == w.VoteSubmission(1, 2, Fraction(1))  # the default
    with pytest.raises(GuardError) as err:
        session_action(model, {**vote, "event_data": {**by_position, "colour": "red"}})
    assert err.value.guard == "malformed_event"
    with pytest.raises(GuardError) as err:
        session_action(model, {"event_type": "no_such_event", "event_data": {}})
    assert err.value.guard == "unknown_weighted_event"
    metrics = {"accuracy": 0.5, "consistency": "1/2", "domain_knowledge": 0.5}
    assessment = {"agent_id": "agent0", **metrics, "past_performance": 0.5}
    event = {"event_type": "expertise_assessment", "event_data": assessment}
    assert session_action(model, event) == w.ExpertiseAssessment(0, 1)
    odd = {**assessment, "past_performance": 0.7}
    assert session_action(model, {**event, "event_data": odd}) == w.ExpertiseAssessment(0, -1)
    assert spec_data("expertise_assessment", {"agent_id": "agent0", **metrics}) == {
        "agent": 0,
        "accuracy": Fraction(1, 2),
        "consistency": Fraction(1, 2),
        "domain_knowledge": Fraction(1, 2),
    }
    feedback = {"from_agent": "agent0", "target_agent": "agent1"}
    given = {**feedback, "feedback": {"quality_score": 1, "timestamp": "t", "mood": "x"}}
    assert spec_data("feedback_submission", given) == {
        "from_agent": 0,
        "target_agent": 1,
        "score": Fraction(1),
        "feedback.mood": "x",
    }
    assert seed_event({"x": w.VoteSubmission}, w.VoteSubmission(True, "v", "c")) == {  # type: ignore[arg-type]
        "event_type": "x",
        "event_data": {"agent_id": True, "vote": "v", "confidence": "c"},
    }


def test_fractions_and_json_values() -> None:
    half = Fraction(1, 2)
    assert fraction("1/2") == fraction(0.5) == fraction("2/4") == half
    assert (
        fraction(0.1) == Fraction(1, 10)
        and fraction(3) == 3
        and fraction("-3/4") == -Fraction(3, 4)
    )
    for bad in (True, None, "x", "1/0", "1/2/3", float("inf"), float("nan"), [1]):
        assert fraction(bad) is None, bad
    assert READ_DENOMINATOR == SNAP_DENOMINATOR  # numbers read as the implementation reads them
    assert to_json({"a": (half, None)}) == {"a": ["1/2", None]}
    assert to_json(frozenset({(1, 2), (0, 3)})) == [[0, 3], [1, 2]]
    assert to_json(p.Cert(1, 2, 0)) == {"seq": 1, "digest": 2, "view": 0}
    assert to_json(p.Timeout(1, 2)) == {"replica": 1, "view": 2}
    with pytest.raises(GenerateError, match="no JSON form"):
        to_json(object())


# --- #meta.params: vectors at non-default bounds replay with no flags ---------------------


def test_traces_carry_their_configuration(written: Written) -> None:
    traces = sorted(written.out.rglob("*.itf.json"))
    assert len(traces) > 50
    for path in traces:
        protocol = path.relative_to(written.out).parts[0]
        spec = registry.specification(protocol)
        meta = load(path)["#meta"]
        assert meta["params"] == written.manifest["protocols"][protocol]["config"]
        assert conform.conform(spec, path).conforms, path
    # without it, a trace of two weighted agents is not one of the default three
    history = next(p for p in traces if p.parts[-4] == "weighted")
    bare = load(history)
    del bare["#meta"]["params"]
    stripped = written.out.parent / "bare.itf.json"
    stripped.write_text(json.dumps(bare))
    replayed = conform.conform(registry.specification("weighted"), stripped)
    assert replayed.line("weighted") == "diverges at step 0: not an initial state"


# --- several protocols in one directory; --force ------------------------------------------


def small(protocol: str, out: Path, force: bool = False, per_agent: bool = False) -> list[str]:
    params, _ = BOUNDS[protocol]
    model, config = build(protocol, **params)
    return run(protocol, model, config, out, max_states=40, force=force, per_agent=per_agent)


@pytest.mark.untraced  # tests/harness/tracing.py: ~20 s traced
def test_the_manifest_is_the_same_whatever_order_the_protocols_come_in(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    small("weighted", first)
    small("iterative", first)
    small("iterative", second)
    small("weighted", second)
    assert (first / MANIFEST).read_bytes() == (second / MANIFEST).read_bytes()
    with pytest.raises(GenerateError, match="already holds weighted vectors"):
        small("weighted", first)
    small("weighted", first, force=True, per_agent=True)  # replaced; iterative kept
    listed = load(first / MANIFEST)
    assert listed["protocols"]["weighted"]["per_agent"]["written"] > 0
    assert listed["protocols"]["iterative"] == load(second / MANIFEST)["protocols"]["iterative"]
    assert validate_vectors(first) == []
    # --force on the last protocol of a directory removes its manifest part, then writes it
    import shutil

    shutil.rmtree(first / "iterative")
    small("iterative", first, force=True)
    assert (first / MANIFEST).read_bytes() != b"" and validate_vectors(first) == []


def test_a_foreign_manifest_is_replaced_only_with_force(tmp_path: Path) -> None:
    (tmp_path / MANIFEST).write_text(json.dumps({"format": "coordspec-vectors", "version": 2}))
    with pytest.raises(GenerateError, match="not a manifest of coordspec-vectors version 3"):
        small("iterative", tmp_path)
    small("iterative", tmp_path, force=True)
    assert validate_vectors(tmp_path) == []
    # a manifest whose protocols' directories are gone: --force drops the part and the file
    small("iterative", tmp_path, force=True)
    listed = load(tmp_path / MANIFEST)
    listed["cases"].append({**listed["cases"][0], "path": "elsewhere/x/y"})
    (tmp_path / MANIFEST).write_text(json.dumps(listed))
    assert validate_vectors(tmp_path) == ["elsewhere/x/y: not under a protocol of manifest.json"]


# --- models without the seed's forms ------------------------------------------------------


@attrs.frozen
class Counters:
    counts: tuple[int, ...]


@attrs.frozen
class Bump:
    agent: int


@attrs.frozen
class Tick:
    pass


@guard(quote="each counter counts to 1", reason="agent {a.agent} is done")
def below_one(m: object, s: Counters, a: Bump) -> bool:
    return 0 <= a.agent < len(s.counts) and s.counts[a.agent] < 1


class Agents(GuardedModel[Counters, Bump | Tick]):
    """Two agents, each bumping its own counter once; a tick is nobody's."""

    guards = {Bump: (below_one,), Tick: ()}  # noqa: RUF012
    local_fields = ("counts",)

    def log_agents(self) -> Sequence[int]:
        return (0, 1)

    def initial(self) -> Sequence[Counters]:
        return [Counters((0, 0))]

    def candidates(self, state: Counters) -> list[Bump | Tick]:
        return [Bump(0), Bump(1), Tick()]

    def apply(self, state: Counters, action: Bump | Tick) -> Counters:
        if isinstance(action, Tick):
            return state
        counts = list(state.counts)
        counts[action.agent] += 1
        return Counters(tuple(counts))

    def invariants(self) -> Sequence[Invariant[Counters]]:
        return [Invariant("small", lambda s: max(s.counts) <= 1)]


def test_any_model_with_participants_gets_the_local_form(tmp_path: Path) -> None:
    model = Agents()
    lines = run("agents", model, None, tmp_path, per_agent=True)
    assert validate_vectors(tmp_path) == [], lines
    files = sorted(tmp_path.rglob(AGENT_FILE))
    forms = [load(f) for f in files]
    assert {f["form"] for f in forms} == {"local"}
    valid = next(f for f in forms if f["valid"])
    assert valid["local_before"] == {"counts": 0} and valid["local_after"] == {"counts": 1}
    skipped = load(tmp_path / MANIFEST)["protocols"]["agents"]["per_agent"]["skipped"]
    whys = {s["why"] for s in skipped}
    assert "the action names no participant" in whys  # the tick
    assert any(w.endswith("is not a participant") for w in whys)  # a perturbed bump


def test_a_model_without_participants_is_refused_at_once(tmp_path: Path) -> None:
    from tests.models import diehard

    model = diehard.SPEC.build(diehard.SPEC.default_config())
    with pytest.raises(GenerateError, match="names no participants") as err:
        run("diehard", model, None, tmp_path / "out", per_agent=True)
    assert len(str(err.value).splitlines()) == 1
    assert not (tmp_path / "out" / "diehard").exists()  # refused before the search
    with pytest.raises(GenerateError, match="names no participants"):
        check_per_agent("diehard", model)
    with pytest.raises(GenerateError, match="names no participants"):
        agent_files("diehard", model, (), frozenset())


# --- the same bytes whatever the hash seed; the command line ------------------------------


def test_output_is_identical_whatever_the_hash_seed(tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from tests.harness.vectors import build; "
        "from model_check.generate import run\n"
        "for name, params in (('pbft', {'requests': '1'}), ('weighted', {'agents': '2', "
        "'profiles': '2,1'})):\n"
        "    m, c = build(name, **params)\n"
        "    run(name, m, c, Path(sys.argv[1]), max_states=150, per_agent=True)\n"
    )

    def files(seed: str) -> dict[str, bytes]:
        out = tmp_path / f"seed{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script, str(out)],
            check=False,
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        return {
            p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()
        }

    first, second = files("1"), files("2")
    assert sum(1 for name in first if name.endswith(AGENT_FILE)) > 40
    assert first == second


def test_cli_per_agent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from model_check.cli import main

    out = str(tmp_path / "v")
    args = ["generate", "weighted", "--out", out, "--agents", "2", "--profiles", "2,1"]
    assert main([*args, "--max-states", "60", "--per-agent"]) == 0
    assert "Per-agent cases:" in capsys.readouterr().out
    assert validate_vectors(tmp_path / "v") == []
    assert main(["generate", "pbft", "--out", out, "--requests", "1", "--max-states", "60"]) == 0
    assert list(load(tmp_path / "v" / MANIFEST)["protocols"]) == ["pbft", "weighted"]
    capsys.readouterr()
    assert main(["generate", "tests/models/diehard.py", "--out", out, "--per-agent"]) == 2
    err = capsys.readouterr().err
    assert "names no participants" in err and len(err.strip().splitlines()) == 1
