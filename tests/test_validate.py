"""`coordspec validate`: partial logs explained by the spec's behaviours (issue 16 §1).

Logs are made from random walks of the spec itself (tests/harness/observation.py), so
each is certainly a behaviour of the spec: with any variables hidden, arguments left
out, participants unlogged or lines shuffled within a clock, the search must explain
it, with a witness that `coordspec conform` replays. Tampering with one line must make
the log unexplained exactly there, with the reason the spec gives.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from fractions import Fraction
from itertools import zip_longest
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model_check import validate as v
from model_check.conform import replay
from model_check.itf import decode_trace
from model_check.schemas import load
from model_check.schemas import validate as schema_check
from spec.registry import specification
from tests.harness.observation import log_of, text, walk

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "model_check"]
PROTOCOLS = ("pbft", "weighted", "iterative")


def _check(protocol: str, log: str, **kw: Any) -> list[v.Verdict]:
    _, verdicts = v.validate(specification(protocol), log.splitlines(), **kw)
    return verdicts


def _variables(protocol: str) -> list[str]:
    state = specification(protocol).model().initial()[0]
    return sorted(f.name for f in attrs.fields(type(state)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    protocol=st.sampled_from(PROTOCOLS),
    seed=st.integers(0, 10_000),
    steps=st.integers(1, 25),
    data=st.data(),
)
def test_a_log_of_a_spec_behaviour_is_explained(
    protocol: str, seed: int, steps: int, data: st.DataObject
) -> None:
    """Whatever is hidden, the log of a behaviour of the spec is explained, and the
    witness is a behaviour of the spec that `conform` replays."""
    model = specification(protocol).model()
    behaviour = walk(model, steps, seed)
    hidden = data.draw(st.sets(st.sampled_from(_variables(protocol))), label="hidden")
    lines = log_of(model, behaviour, hidden=hidden)
    if not lines:
        return
    verdicts = _check(protocol, text(lines))
    assert [x.result for x in verdicts] == ["explained"]
    witness = verdicts[0].witness
    assert witness is not None
    protocol_obj = v.Protocol(model, v.Meta(), [])
    obj = v.witness_itf(protocol_obj, verdicts[0], {"protocol": protocol})
    assert replay(model, decode_trace(obj, model)).conforms
    explained = [s["#meta"]["line"] for s in obj["states"] if s["#meta"]["line"] is not None]
    assert explained == list(range(1, len(lines) + 1))
    for line in lines:
        assert schema_check(line, load("observation_log")) == []


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), logger=st.sampled_from([(1,), (1, 2), (1, 2, 3)]))
@pytest.mark.untraced
def test_a_pbft_replica_log_is_explained_with_the_others_silent(
    seed: int, logger: tuple[int, ...]
) -> None:
    """Only some replicas log, each its local view: the others' steps are silent."""
    model = specification("pbft").model()
    behaviour = walk(model, 18, seed)
    lines = log_of(model, behaviour, agents=set(logger), local=True, hidden={"log"})
    if not lines:
        return
    verdicts = _check("pbft", text(lines))
    assert verdicts[0].explained, v.report_lines(verdicts)


def test_hidden_arguments_and_unlogged_actions_are_searched_for() -> None:
    model = specification("pbft").model()
    behaviour = walk(model, 20, 7)
    lines = log_of(model, behaviour, hidden_args={"digest"}, unlogged={"execute"})
    assert all("digest" not in line.get("args", {}) for line in lines)
    meta = {"silent": ["execute"]}
    verdicts = _check("pbft", text(lines, meta))
    assert verdicts[0].explained
    steps, silent = verdicts[0].steps()
    unlogged = [type(a).__name__ in ("Execute", "Request") for a, _ in behaviour]
    last = max(k for k, hidden in enumerate(unlogged) if not hidden)
    assert (steps, silent) == (last + 1, sum(unlogged[:last]))
    # without saying that executions are not logged, the observations contradict it
    assert not _check("pbft", text(lines))[0].explained


def _tamper(protocol: str, seed: int) -> tuple[list[dict[str, Any]], int]:
    model = specification(protocol).model()
    lines = log_of(model, walk(model, 20, seed))
    k = random.Random(seed).randrange(len(lines))
    lines[k]["observe"][_variables(protocol)[0]] = "no such value"
    return lines, k + 1


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_tampered_observation_is_unexplained_at_its_line(protocol: str, seed: int) -> None:
    lines, k = _tamper(protocol, seed)
    (verdict,) = _check(protocol, text(lines))
    assert (verdict.result, verdict.line, verdict.lines) == ("unexplained", k, k - 1)
    name = _variables(protocol)[0]
    assert any(f"{name}: the log says" in r for d in verdict.diagnoses for r in d.reasons)


def test_an_impossible_event_names_the_guard_that_refuses_it() -> None:
    log = text(
        [
            {"event": "vote_submission", "args": {"agent": 0, "vote": 1, "confidence": "1/2"}},
            {"event": "vote_submission", "args": {"agent": 0, "vote": 9, "confidence": 1}},
        ]
    )
    (verdict,) = _check("weighted", log)
    assert verdict.line == 2 and verdict.candidates == 1
    assert (
        verdict.diagnoses[0]
        .reasons[0]
        .endswith("refused by unknown_option: option 9 is not listed")
    )


def test_a_float_agrees_within_the_tolerance_and_p_q_alike() -> None:
    first = {"event": "vote_submission", "args": {"agent_id": 1, "vote": 1, "confidence": 0.5}}
    weights = {"agent_weights": [1.6, 0.8 + 1e-12, "4/5"]}
    assert _check("weighted", text([{**first, "observe": weights}]))[0].explained
    weights = {"agent_weights": [1.6, 0.8001, "4/5"]}
    assert not _check("weighted", text([{**first, "observe": weights}]))[0].explained


def test_names_from_meta_agents() -> None:
    meta = {"agents": ["alice", "bob", "carol"]}
    line = {"event": "vote_submission", "args": {"agent_id": "carol", "vote": 2, "confidence": 1}}
    line["observe"] = {"votes_cast": [0, 0, 1]}
    assert _check("weighted", text([line], meta))[0].explained


def test_lines_of_one_clock_are_explained_in_any_order() -> None:
    model = specification("pbft").model()
    lines = log_of(model, walk(model, 16, 3), agents={1, 2, 3}, local=True, hidden={"log"})
    # two by two, the later line of each pair first in the file
    for k, line in enumerate(lines):
        line["clock"] = k // 2
    shuffled = [lines[k ^ 1] if (k ^ 1) < len(lines) else lines[k] for k in range(len(lines))]
    assert _check("pbft", text(shuffled))[0].explained
    # one clock each, in the shuffled order: the order is wrong somewhere
    for k, line in enumerate(shuffled):
        line["clock"] = k
    assert not _check("pbft", text(shuffled))[0].explained


def test_sessions_are_independent_runs() -> None:
    model = specification("weighted").model()
    one = log_of(model, walk(model, 10, 1), session="a")
    two = log_of(model, walk(model, 10, 2), session="b")
    mixed = [x for pair in zip_longest(one, two) for x in pair if x is not None]
    verdicts = _check("weighted", text(mixed))
    assert [x.session for x in verdicts] == ["a", "b"]
    assert all(x.explained for x in verdicts)
    lines = v.report_lines(verdicts)
    assert lines[-1] == f"explained: 2 sessions, {len(one) + len(two)} lines"


def test_the_search_gives_up_at_max_states() -> None:
    model = specification("pbft").model()
    lines = log_of(model, walk(model, 20, 1), agents={1}, local=True)
    (verdict,) = _check("pbft", text(lines), max_states=50)
    assert verdict.result == "gave_up" and verdict.states == 51
    assert verdict.headline().startswith(f"gave up at line {verdict.line} after 51 states")


MALFORMED = [
    ("[1]", "line 1: expected a JSON object"),
    ('{"event": "prepare", "color": 1}', "line 1: unknown key 'color'"),
    ('{"args": {}}', "line 1: a line has an event, an observe or a receive"),
    ('{"event": 3}', "line 1: event: expected an action name"),
    ('{"event": "prepare", "args": []}', "line 1: args: expected an object"),
    ('{"observe": {}, "args": {"a": 1}}', "line 1: args without an event"),
    ('{"observe": 1}', "line 1: observe: expected an object"),
    ('{"observe": {}, "agent": true}', "line 1: agent: expected a position or a name"),
    ('{"receive": {}}', "line 1: receive: say which agent received it (agent)"),
    ('{"observe": {}, "clock": "x"}', "line 1: clock: expected an integer"),
    ('{"observe": {}, "session": [1]}', "line 1: session: expected a string or an integer"),
    ('{"event": "nope"}', "line 1: no action 'nope' (known: "),
    ('{"event": "prepare", "args": {"colour": 1}}', "line 1: prepare has no argument 'colour'"),
    ('{"observe": {"colour": 1}}', "line 1: observe: no variable 'colour'"),
    ('{"observe": {"votes": 1}, "agent": 1}', "line 1: observe: no agent's local variable"),
    ('{"observe": {}, "agent": 9}', "line 1: agent: no agent 9"),
    ('{"observe": {}, "clock": 1}\n{"observe": {}}', "line 2: a clock on some lines only"),
    ('{"#meta": {"colour": 1}}\n{"observe": {}}', "line 1: #meta: unknown key 'colour'"),
    ('{"#meta": {"agents": [1]}}\n{"observe": {}}', "line 1: #meta.agents: expected a list"),
    ('{"#meta": {"logged": [true]}}\n{"observe": {}}', "line 1: #meta.logged: expected"),
    ('{"#meta": {"silent": "x"}}\n{"observe": {}}', "line 1: #meta.silent: expected"),
    ('{"#meta": {"silent": ["nope"]}}\n{"observe": {}}', "#meta.silent: no action 'nope'"),
    ('{"#meta": {"protocol": 1}}\n{"observe": {}}', "line 1: #meta.protocol: expected a name"),
    ('{"#meta": {"protocol": "weighted"}}\n{"observe": {}}', "#meta.protocol: the log is of"),
    ('{"#meta": {"params": {"max_view": [true]}}}\n{"observe": {}}', "line 1: #meta.params"),
    ('{"observe": {}}\n{"#meta": {}}', "line 2: #meta is the first line, alone"),
    ("", "the log has no lines"),
    ('{"agent": 1, "receive": {"type": "HELLO"}}', "line 1: receive: message type 'HELLO'"),
]


@pytest.mark.parametrize(("log", "message"), MALFORMED)
def test_a_malformed_log_is_one_line_naming_the_problem(log: str, message: str) -> None:
    with pytest.raises(v.LogError) as err:
        _check("pbft", log + "\n")
    assert message in str(err.value) and "\n" not in str(err.value)


def _cli(*args: str, seed: str = "0") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, cwd=ROOT, env=env, check=False
    )


def test_cli_verdicts_exit_codes_and_witness(tmp_path: Path) -> None:
    model = specification("pbft").model()
    lines = log_of(model, walk(model, 20, 4), agents={1, 2}, local=True, hidden={"log"})
    good = tmp_path / "good.jsonl"
    good.write_text(text(lines, {"protocol": "pbft", "params": {"max_view": 1}}))
    out = [
        _cli(
            "validate",
            "pbft",
            str(good),
            "--json",
            f"--witness-out={tmp_path / s}.itf.json",
            seed=s,
        )
        for s in ("0", "1")
    ]
    assert [r.returncode for r in out] == [0, 0]
    assert out[0].stdout == out[1].stdout
    assert (tmp_path / "0.itf.json").read_bytes() == (tmp_path / "1.itf.json").read_bytes()
    assert json.loads(out[0].stdout)["result"] == "explained"
    assert _cli("conform", "pbft", str(tmp_path / "0.itf.json")).returncode == 0
    lines[2]["observe"]["view"] = 7
    bad = tmp_path / "bad.jsonl"
    bad.write_text(text(lines))
    result = _cli("validate", "pbft", str(bad))
    assert result.returncode == 1
    assert result.stdout.startswith("unexplained at line 3: 2 of")
    assert "agent " in result.stdout and "view: the log says 7, the spec has" in result.stdout
    gave_up = _cli("validate", "pbft", str(good), "--max-states", "5")
    assert gave_up.returncode == 3 and gave_up.stdout.startswith("gave up at line")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"event": \n')
    result = _cli("validate", "pbft", str(broken))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "line 1" in result.stderr
    missing = _cli("validate", "pbft", str(tmp_path / "none.jsonl"))
    assert missing.returncode == 2 and "cannot read the log" in missing.stderr
    param = _cli("validate", "pbft", str(good), "--max-view", "99")
    assert param.returncode == 2 and "max_view" in param.stderr


def test_agrees_reads_every_kind_of_value() -> None:
    from spec.pbft.messages import Cert

    cert = Cert(1, 2, 0)
    assert v.agrees({"seq": 1}, cert) and v.agrees([1, 2, 0], cert)
    assert not v.agrees({"colour": 1}, cert)
    assert v.agrees([[1, 2, 0]], frozenset({cert})) and not v.agrees([[1, 2, 1]], {cert})
    assert not v.agrees([1], frozenset({1, 2})) and not v.agrees(1, frozenset())
    assert v.agrees({"a": 1}, {"a": 1, "b": 2}) and not v.agrees({"c": 1}, {"a": 1})
    assert v.agrees(None, None) and not v.agrees(0, None) and not v.agrees(1, True)
    assert v.agrees("3/5", Fraction(3, 5)) and not v.agrees("x", 1) and not v.agrees(True, 1)
    assert not v.agrees(1, object())


def test_run_prints_the_verdict_and_writes_the_witness(tmp_path: Path) -> None:
    model = specification("iterative").model()
    lines = log_of(model, walk(model, 12, 2), hidden={"feedback_collection"}, session="s")
    log = tmp_path / "log.jsonl"
    log.write_text(text(lines))
    out: list[str] = []
    code = v.run(
        specification("iterative"), log, {}, witness_out=tmp_path / "w.itf.json", emit=out.append
    )
    assert code == 0 and out[0].startswith(f"session s: explained: {len(lines)} lines by")
    assert json.loads((tmp_path / "w.itf.json").read_text())["#meta"]["result"] == "explained"
    lines[-1]["observe"]["current_round"] = 99
    log.write_text(text(lines))
    out = []
    assert v.run(specification("iterative"), log, {}, as_json=True, emit=out.append) == 1
    body = json.loads(out[0])
    assert body["result"] == "unexplained" and body["sessions"][0]["line"] == len(lines)
    log.write_text("x" * (v.MAX_LINE + 1))
    with pytest.raises(v.LogError, match="longer than"):
        v.run(specification("iterative"), log, {})


def test_pbft_messages_on_the_wire() -> None:
    from spec.pbft import wire

    model = specification("pbft").model({"faulty": "0", "adversary": "silent"})
    state = model.initial()[0]
    pre = {"type": "PRE-PREPARE", "view": 0, "seq": 1, "digest": 1, "replica": 0}
    assert model.receivable(state, 1, pre) == "replica 0 is faulty and silent: it sends nothing"
    errors = [
        ({"type": "PREPARE", "view": 0, "seq": 1, "digest": 1}, "PREPARE.replica: expected"),
        ({**pre, "replica": 2}, "replica 2 is not view's primary 0"),
        ({"type": "PREPARE", "view": 0, "seq": 1, "digest": 1, "replica": 7}, "not one of 0..3"),
        ({"type": "CHECKPOINT", "seq": 1, "state": "x", "replica": 1}, "a list of integers"),
        ({**pre, "colour": 1}, "unknown field 'colour'"),
        ([], "a message is a JSON object"),
    ]
    vc = {"type": "VIEW-CHANGE", "view": 1, "replica": 1, "stable": 0, "state": []}
    errors += [
        ({**vc, "prepared": [1]}, "each is {seq, digest, view}"),
        ({**vc, "prepared": 1}, "expected a list"),
        ({"type": "NEW-VIEW", "view": 1, "stable": 0, "state": [], "pre_prepares": [1]}, "[seq,"),
    ]
    for message, text_ in errors:
        with pytest.raises(wire.WireError) as err:
            wire.decode(message, 4)
        assert text_ in str(err.value)
    good = {**vc, "prepared": [{"seq": 1, "digest": 2, "view": 0}], "authenticator": "mac"}
    message, sender = wire.decode(good, 4)
    assert sender == 1 and wire.encode(message)["prepared"] == good["prepared"]
    nv = {"type": "NEW-VIEW", "view": 1, "stable": 0, "state": [], "pre_prepares": [[1, 2]]}
    assert wire.decode(nv, 4)[1] == 1
    with pytest.raises(wire.WireError, match="not a PBFT message"):
        wire.encode((1, 2))
    honest = specification("pbft").model()
    behaviour = walk(honest, 30, 11)
    for _, after in behaviour:
        for i in range(4):
            for sent in honest.local_view(after, i)["log"]:
                assert honest.receivable(after, (i + 1) % 4, sent) is None
    assert any(honest.local_view(s, 1)["log"] for _, s in behaviour)


def test_with_complete_receipts_a_step_must_be_backed_by_what_was_received() -> None:
    slot = {"view": 0, "seq": 1, "digest": 1}
    pre = {"agent": 1, "receive": {"type": "PRE-PREPARE", **slot}}
    prepared = {"agent": 1, "event": "Prepare", "args": slot}

    def got(kind: str, sender: int) -> dict[str, Any]:
        return {"agent": 1, "receive": {"type": kind, **slot, "replica": sender}}

    def act(event: str) -> dict[str, Any]:
        return {"agent": 1, "event": event, "args": slot}

    full = {"receipts": True}
    (verdict,) = _check("pbft", text([pre, prepared, act("Commit")], full))
    assert verdict.line == 4 and any(
        "counts 1 matching PREPARE(v0, n1, d1) (from 1), its own among them: it needs 2" in r
        for d in verdict.diagnoses
        for r in d.reasons
    )
    # the same log without the claim that it lists every receipt: explained
    assert _check("pbft", text([pre, prepared, act("Commit")]))[0].explained
    backed = [pre, prepared, got("PREPARE", 2), act("Commit"), got("COMMIT", 3)]
    (verdict,) = _check("pbft", text([*backed, act("Execute")], {"receipts": [1]}))
    assert verdict.line == 7 and "it needs 3" in verdict.diagnoses[-1].reasons[0]
    done = [*backed, got("COMMIT", 2), act("Execute")]
    names = {"receipts": ["r1"], "agents": ["r0", "r1", "r2", "r3"]}
    assert _check("pbft", text(done, names))[0].explained
    (verdict,) = _check("pbft", text([prepared], full))
    assert "has not received the PRE-PREPARE(v0, n1, d1) from replica 0" in str(verdict.diagnoses)
    with pytest.raises(v.LogError, match=r"#meta\.receipts: expected true or a list"):
        _check("pbft", text([pre], {"receipts": "all"}))
    assert _check("pbft", text([pre, prepared], {"receipts": False}))[0].explained


def test_progress_is_reported_about_once_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    model = specification("weighted").model()
    lines = log_of(model, walk(model, 10, 1), session="a") + log_of(
        model, walk(model, 10, 2), session="b"
    )
    ticks = iter(range(0, 1000, 2))
    monkeypatch.setattr("model_check.validate.search.time.monotonic", lambda: float(next(ticks)))
    heard: list[str] = []
    _, verdicts = v.validate(
        specification("weighted"), text(lines).splitlines(), progress=heard.append
    )
    assert heard and heard[-1].startswith(
        f"validate weighted: {len(lines)} of {len(lines)} lines, "
    )
    assert heard[-1].endswith(f"{sum(x.states for x in verdicts):,} states searched")


def test_the_cli_default_bound_is_the_validators() -> None:
    from model_check.cli import VALIDATE_MAX_STATES

    assert VALIDATE_MAX_STATES == v.MAX_STATES
