"""`coordspec generate`: every vector written replays through the spec, validates against
the JSON Schema, and the set covers the protocol's action kinds and guards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import pytest

from model_check import conform
from model_check.cli import main
from model_check.event_codec import EventFormError, event_action, event_table
from model_check.generate import (
    EVENTS_DIR,
    MULTI_STEP,
    GenerateError,
    Vectors,
    generate,
    state_record,
    validate_vectors,
    write,
)
from model_check.itf import ItfError, decode_action, decode_state, decode_trace, state_type
from spec import registry
from spec.core import (
    GuardedModel,
    GuardError,
    Invariant,
    Model,
    Witness,
    action_name,
    declared_guards,
    guard,
)
from tests.harness.vectors import build, states

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module", params=registry.names())
def written(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Model[Any, Any], Vectors, Path]:
    protocol: str = request.param
    model, config = build(protocol)
    vectors = generate(protocol, model, config, max_states=states(protocol))
    out = tmp_path_factory.mktemp(protocol)
    write(vectors, model, out)
    return model, vectors, out


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def decoded_action(model: Model[Any, Any], event: dict[str, Any]) -> Any:
    """The action of an action.json (or a step): from the ITF fields, else the event."""
    try:
        return decode_action(event["mbt::actionTaken"], event["mbt::nondetPicks"], model)
    except ItfError:
        assert event.get("perturbed"), "only a perturbed action may be ill-typed"
        return event_action(model, event["event"])


# --- every vector replays through the spec ----------------------------------------------


def test_single_step_vectors_replay(written: tuple[Model[Any, Any], Vectors, Path]) -> None:
    model, vectors, out = written
    manifest = load(out / "manifest.json")
    cls = state_type(model)
    singles = [c for c in manifest["cases"] if c["kind"] == "single_step"]
    assert len(singles) == len(vectors.cases) > 0
    for case in singles:
        where = out / case["path"]
        pre = decode_state(load(where / "pre.json"), cls)
        event = load(where / "action.json")
        action = decoded_action(model, event)
        assert action_name(action) == case["action"] == Path(case["path"]).parent.name
        assert event["valid"] == case["valid"]
        if case["valid"]:
            post = model.step(pre, action)
            assert state_record(post) == load(where / "post.json")
            assert decode_state(load(where / "post.json"), cls) == post
            assert sorted(case["files"]) == [
                "action.json",
                "history.itf.json",
                "post.json",
                "pre.json",
            ]
        else:
            with pytest.raises(GuardError) as err:
                model.step(pre, action)
            assert err.value.guard == event["guard"] == case["guard"]
            assert err.value.reason == event["reason"]
            assert not (where / "post.json").exists()
        if "event" in event and not event.get("perturbed"):
            assert event_action(model, event["event"]) == action
        history = decode_trace(load(where / "history.itf.json"), model)
        assert conform.replay(model, history).conforms
        assert history.steps[-1].state == pre and len(history) == case["depth"]


def test_event_decoding_vectors(written: tuple[Model[Any, Any], Vectors, Path]) -> None:
    model, vectors, out = written
    cases = [c for c in load(out / "manifest.json")["cases"] if c["kind"] == "event_decoding"]
    has_events = vectors.protocol != "pbft"
    assert len(cases) == (2 if has_events else 0)
    for case in cases:
        event = load(out / case["path"] / "action.json")
        with pytest.raises(GuardError) as err:
            event_action(model, event["event"])
        assert err.value.guard == event["guard"] == case["guard"]
    if has_events:
        assert {c["guard"] for c in cases} == {
            f"unknown_{vectors.protocol}_event",
            "malformed_event",
        }


def test_multi_step_vectors_replay(written: tuple[Model[Any, Any], Vectors, Path]) -> None:
    model, vectors, out = written
    cls = state_type(model)
    cases = [c for c in load(out / "manifest.json")["cases"] if c["kind"] == "multi_step"]
    assert [Path(c["path"]).name for c in cases] == [w.name for w in model.witnesses()]
    for case in cases:
        where = out / case["path"]
        state = decode_state(load(where / "pre.json"), cls)
        assert state in model.initial()
        steps = load(where / "steps.json")
        assert steps and case["depth"] == sum(1 for s in steps if s["valid"])
        for step in steps:
            action = decoded_action(model, step)
            if step["valid"]:
                state = model.step(state, action)
                assert state_record(state) == step["post"]
            else:
                with pytest.raises(GuardError) as err:
                    model.step(state, action)
                assert err.value.guard == step["guard"] == case["guard"]
        assert state_record(state) == load(where / "post.json")
        witness = next(w for w in model.witnesses() if w.name == Path(case["path"]).name)
        assert witness.reached(state)
        trace = decode_trace(load(where / "trace.itf.json"), model)
        assert conform.replay(model, trace).conforms
        log = where / "events.jsonl"
        assert log.exists() == (vectors.protocol != "pbft")
        if log.exists():
            lines = [json.loads(line) for line in log.read_text().splitlines()]
            assert [line["index"] for line in lines] == list(range(len(steps)))
            for line, step in zip(lines, steps, strict=True):
                assert line["event_type"] == step["event"]["event_type"]
                assert line["event_data"] == step["event"]["event_data"]
                assert line["outcome"]["valid"] == step["valid"]


# --- schema, manifest, coverage ----------------------------------------------------------


def test_every_file_validates(written: tuple[Model[Any, Any], Vectors, Path]) -> None:
    _, _, out = written
    assert validate_vectors(out) == []


def test_manifest_counts_match_the_cases(written: tuple[Model[Any, Any], Vectors, Path]) -> None:
    _, vectors, out = written
    manifest = load(out / "manifest.json")
    assert list(manifest["protocols"]) == [vectors.protocol]
    section = manifest["protocols"][vectors.protocol]
    counts = section["counts"]
    assert manifest["counts"] == {k: counts[k] for k in manifest["counts"]}
    assert counts["cases"] == len(manifest["cases"])
    singles = [c for c in manifest["cases"] if c["kind"] == "single_step"]
    assert counts["valid"] == sum(c["valid"] for c in singles)
    assert counts["rejected"] == sum(not c["valid"] for c in singles)
    for kind, per in counts["per_action"].items():
        assert per["valid"] == sum(c["valid"] and c["action"] == kind for c in singles)
        assert per["valid"] <= section["generator"]["cap"]
    for name, n in counts["per_guard"].items():
        assert n == sum(c["guard"] == name for c in singles)
        assert n <= section["generator"]["cap"]
    on_disk = {p.parent.relative_to(out).as_posix() for p in out.rglob("action.json")}
    on_disk |= {p.parent.relative_to(out).as_posix() for p in out.rglob("steps.json")}
    assert on_disk == {c["path"] for c in manifest["cases"]}
    coverage = section["coverage"]
    assert coverage["actions"]["total"] == len(counts["per_action"])
    assert coverage["actions"]["covered"] == sum(
        p["valid"] > 0 for p in counts["per_action"].values()
    )


#: What the default bounds cannot cover, and why (asserted from the evidence).
UNCOVERED_AT_DEFAULTS = {
    # checkpoint_interval = 0: no checkpoints, so no stable checkpoint; max_seq = 1 puts
    # a second pre-prepare for a request outside the watermarks before `not_assigned`
    # or `not_executed` is looked at.
    "pbft": {"stable_checkpoint", "not_assigned", "not_executed"},
    # feedbacks = 0: the model allows no performance feedback.
    "weighted": {"performance_feedback"},
    # early_termination = true: the guard that it is on never fails.
    "iterative": {"early_termination_enabled"},
}


def test_coverage_at_the_default_bounds(written: tuple[Model[Any, Any], Vectors, Path]) -> None:
    model, vectors, _ = written
    cov = vectors.coverage
    assert set(cov.actions) == {action_name(c.action) for c in vectors.cases} | {
        u.name for u in cov.uncovered if u.name in cov.actions
    }
    assert {u.name for u in cov.uncovered} == UNCOVERED_AT_DEFAULTS[vectors.protocol]
    for u in cov.uncovered:
        if u.name in cov.actions:  # never enabled: the guards that rejected it are named
            assert "never enabled" in u.why and "rejected by" in u.why
    assert cov.witnesses_covered == cov.witnesses == tuple(w.name for w in model.witnesses())
    declared = declared_guards(model)
    assert cov.guards == tuple(sorted(g.name for g in declared))
    assert cov.guards_bound == tuple(sorted(g.name for g in declared if g.bound))


@pytest.mark.parametrize(
    ("protocol", "params"),
    [("pbft", {"checkpoint_interval": "1"}), ("weighted", {"feedbacks": "1"})],
)
def test_every_action_is_covered_when_the_bounds_allow(
    protocol: str, params: dict[str, str]
) -> None:
    model, config = build(protocol, **params)
    vectors = generate(protocol, model, config, max_states=1000)
    assert vectors.coverage.actions_covered == vectors.coverage.actions
    assert set(vectors.coverage.actions) == _kinds(vectors)


def _kinds(vectors: Vectors) -> set[str]:
    return {c.kind for c in vectors.cases if c.valid}


def test_the_search_stops_once_everything_is_covered() -> None:
    model, config = build("weighted", feedbacks="1")
    vectors = generate("weighted", model, config)
    assert vectors.stopped == "everything covered"
    assert not vectors.coverage.uncovered
    assert vectors.explored < 1000 and not vectors.complete


# --- the guards of a model, and its broken contracts: a toy model ---------------------


@attrs.frozen
class Counter:
    n: int


@attrs.frozen
class Inc:
    by: int


@attrs.frozen
class Reset:
    pass


@guard("at_top", quote="the toy counts to 2", reason="the counter is full", bound=True)
def below_top(m: object, s: Counter, a: object) -> bool:
    return s.n < 2


@guard(quote="a bound that never binds", reason="past the end", bound=True)
def below_ten(m: object, s: Counter, a: object) -> bool:
    return s.n < 10


@guard(quote="steps are small", reason="steps are small")
def small_step(m: object, s: Counter, a: Inc) -> bool:
    return 10 // a.by <= 10


@guard(quote="steps are of one", reason="steps are of one")
def step_of_one(m: object, s: Counter, a: Inc) -> bool:
    return a.by in (1, 2)


@guard(quote="a reset resets something", reason="nothing to reset")
def nonzero(m: object, s: Counter, a: Reset) -> bool:
    return s.n != 0


class Toy(GuardedModel[Counter, Inc | Reset]):
    """Counts to 2. `Inc(2)` passes the guards but is never a candidate; `Inc(0)` makes
    a guard divide by zero: both break the contract and must be reported. `at_top` and
    `below_ten` are bounds of the model, and `below_ten` never fails."""

    guards = {  # noqa: RUF012
        Inc: (below_top, below_ten, small_step, step_of_one),
        Reset: (below_top, nonzero),
    }

    def initial(self) -> Sequence[Counter]:
        return [Counter(0)]

    def candidates(self, state: Counter) -> list[Inc | Reset]:
        return [Inc(1), Reset()]

    def apply(self, state: Counter, action: Inc | Reset) -> Counter:
        return Counter(state.n + action.by if isinstance(action, Inc) else 0)

    def invariants(self) -> Sequence[Invariant[Counter]]:
        return [Invariant("small", lambda s: s.n <= 2)]

    def witnesses(self) -> Sequence[Witness[Counter]]:
        return [Witness("full", lambda s: s.n == 2)]


def test_the_guards_are_the_declared_ones() -> None:
    names = [g.name for g in declared_guards(Toy())]
    assert names == ["at_top", "below_ten", "small_step", "step_of_one", "nonzero"]


def test_a_toy_model_reports_coverage_and_findings(tmp_path: Path) -> None:
    vectors = generate("toy", Toy())
    assert vectors.complete and vectors.explored == 3
    cov = vectors.coverage
    assert cov.actions == cov.actions_covered == ("inc", "reset")
    assert cov.guards == ("at_top", "below_ten", "nonzero", "small_step", "step_of_one")
    assert cov.guards_covered == ("at_top", "nonzero")
    assert cov.guards_bound == ("at_top", "below_ten")
    assert {u.name for u in cov.uncovered} == {"below_ten", "small_step", "step_of_one"}
    assert vectors.findings_total == 4  # Inc(2) and Inc(0) in the states 0 and 1
    assert vectors.findings == (
        "inc(by=2): passes the guards, but the model does not list it as enabled",
        "inc(by=0): raised ZeroDivisionError (integer division or modulo by zero), not GuardError",
    )
    (multi,) = vectors.multi_step
    assert [action_name(s.action) for s in multi.trace.steps[1:]] == ["inc", "inc"]
    assert multi.rejected is not None and multi.rejected[1].guard == "at_top"
    write(vectors, Toy(), tmp_path)
    assert validate_vectors(tmp_path) == []
    assert not (tmp_path / "toy" / EVENTS_DIR).exists()
    assert (tmp_path / "toy" / MULTI_STEP / "full" / "trace.itf.json").exists()
    manifest = load(tmp_path / "manifest.json")
    assert manifest["protocols"]["toy"]["coverage"]["guards_bound"] == ["at_top", "below_ten"]
    marked = [c["path"] for c in manifest["cases"] if c.get("bound")]
    assert marked == [c["path"] for c in manifest["cases"] if c["guard"] == "at_top"]
    assert marked == ["toy/inc/reject_at_top", "toy/reset/reject_at_top", "toy/_multi_step/full"]
    assert manifest["protocols"]["toy"]["counts"]["per_guard"] == {
        "at_top": 2,
        "below_ten": 0,
        "nonzero": 1,
        "small_step": 0,
        "step_of_one": 0,
    }


def test_a_model_without_guards() -> None:
    from tests.models import diehard

    model = diehard.SPEC.build(diehard.SPEC.default_config())
    vectors = generate("diehard", model)
    # No declared guard to wait for: the search stops once every action kind and
    # witness has a case (its `step`'s `is_action` refusal is no declared guard).
    assert vectors.stopped == "everything covered" and vectors.explored == 6
    assert vectors.coverage.guards == () and not vectors.coverage.uncovered
    assert vectors.coverage.actions_covered == vectors.coverage.actions
    assert all(c.valid for c in vectors.cases)
    assert vectors.coverage.witnesses_covered == vectors.coverage.witnesses


# --- bounds, output directory, command line ---------------------------------------------


def test_bad_bounds_and_directories(tmp_path: Path) -> None:
    with pytest.raises(GenerateError, match="at least 1"):
        generate("toy", Toy(), cap=0)
    vectors = generate("toy", Toy(), cap=1)
    assert all(n <= 1 for n in _per_kind(vectors).values())
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(GenerateError, match="is a file"):
        write(vectors, Toy(), afile)
    write(vectors, Toy(), tmp_path / "out")
    with pytest.raises(GenerateError, match="--force"):
        write(vectors, Toy(), tmp_path / "out")
    stale = tmp_path / "out" / "toy" / "stale.json"
    stale.write_text("{}")
    write(vectors, Toy(), tmp_path / "out", force=True)
    assert not stale.exists()
    assert validate_vectors(tmp_path / "out") == []


def _per_kind(vectors: Vectors) -> dict[str, int]:
    counts: dict[str, int] = {}
    for case in vectors.cases:
        if case.valid:
            counts[case.kind] = counts.get(case.kind, 0) + 1
    return counts


def test_validate_vectors_finds_problems(tmp_path: Path) -> None:
    assert validate_vectors(tmp_path)[0].startswith("manifest.json: cannot be read")
    vectors = generate("toy", Toy())
    write(vectors, Toy(), tmp_path)
    extra = tmp_path / "toy" / "inc" / "valid_0" / "extra.json"
    extra.write_text("{}")
    assert validate_vectors(tmp_path) == ["toy/inc/valid_0/extra.json: not listed in manifest.json"]
    extra.unlink()
    action = tmp_path / "toy" / "inc" / "valid_0" / "action.json"
    action.write_text(json.dumps({"valid": "yes"}))
    assert any("action.json" in e for e in validate_vectors(tmp_path))
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"format": "other"}))
    assert validate_vectors(tmp_path)[0].startswith("manifest.json: ")


def test_cli_generate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "vectors"
    args = ["generate", "weighted", "--out", str(out), "--feedbacks", "1", "--agents", "2"]
    assert main([*args, "--profiles", "2,1", "--max-states", "400"]) == 0
    shown = capsys.readouterr().out
    assert "Actions covered: 6/6" in shown and "Guards rejected: 9/9" in shown
    assert "all valid against the JSON Schemas" in shown
    assert validate_vectors(out) == []
    assert main([*args, "--profiles", "2,1"]) == 2  # the directory holds vectors (no search)
    assert "--force" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["generate", "nonsense", "--out", "x"], "unknown protocol"),
        (["generate", "weighted", "--out", "x", "--agents", "9"], "agents"),
        (["generate", "weighted", "--out", "x", "--bogus", "1"], "unknown option --bogus"),
        (["generate", "weighted"], "--out"),
        (["generate", "weighted", "--out", "x", "--cap", "0"], "--cap"),
    ],
)
def test_cli_bad_input_is_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_cli_unwritable_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("")
    target = blocked / "sub"
    assert main(["generate", "weighted", "--out", str(target), "--max-states", "50"]) == 2
    assert str(target) in capsys.readouterr().err


def test_output_is_identical_whatever_the_hash_seed(tmp_path: Path) -> None:
    def run(seed: str) -> dict[str, bytes]:
        out = tmp_path / f"seed{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        command = [sys.executable, "-m", "model_check", "generate", "iterative"]
        command += ["--out", str(out), "--max-states", "600", "--early-termination", "false"]
        done = subprocess.run(
            command, check=False, env=env, cwd=ROOT, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return {
            p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()
        }

    first, second = run("1"), run("2")
    assert len(first) > 20
    assert first == second


# --- the seed's event form and the helpers ---------------------------------------------


def test_event_form_round_trips() -> None:
    from fractions import Fraction

    from model_check.event_codec import event_form, from_plain, plain
    from spec import iterative, weighted

    model, _ = build("weighted")
    events = event_table(model).events
    assert set(events) >= {"vote_submission", "consensus_check"}
    vote = weighted.VoteSubmission(1, 2, Fraction(1, 2))
    form = event_form(events, vote)
    assert form == {
        "event_type": "vote_submission",
        "event_data": {"agent": 1, "vote": 2, "confidence": "1/2"},
    }
    assert event_action(model, form) == vote
    assert event_form(events, iterative.QualityAssessment()) is None
    assert plain((1, Fraction(2), None, True)) == [1, "2/1", None, True]
    assert from_plain([1, 2], tuple[int, ...]) == (1, 2)
    assert from_plain("1/2", Fraction) == Fraction(1, 2) and from_plain("x", Fraction) == "x"
    assert plain(frozenset({1})) == {"#set": [{"#bigint": "1"}]}
    pbft_model, _ = build("pbft")
    with pytest.raises(EventFormError, match="no seed event form"):
        event_action(pbft_model, form)


def test_made_up_actions_and_perturbations() -> None:
    from fractions import Fraction

    from model_check.generate.probes import made_up, perturbations, zero
    from spec import pbft

    assert made_up(pbft.NewView) == [
        pbft.NewView(0, 0, 0, (), frozenset()),
        pbft.NewView(1, 1, 1, (), frozenset()),
    ]
    assert zero(int | None, True) == 1
    assert zero(bool, True) is True
    assert zero(Fraction, False) == 0 and zero(str, False) == ""
    assert zero(list[int], False) is None
    assert perturbations(True) == [False]
    assert perturbations(3) == [4, 2]
    assert perturbations(Fraction(1, 2)) == [Fraction(-1), Fraction(2)]
    assert perturbations("a") == [0]
    assert perturbations((1,)) == [(1, 0)]
    assert perturbations(("a",)) == [] == perturbations(None)


def test_coverage_lines_show_what_is_missing_and_the_findings() -> None:
    from model_check.generate import coverage_lines

    lines = coverage_lines(generate("toy", Toy()))
    assert lines[2:5] == [
        "Actions covered: 2/2",
        "Guards rejected: 2/5",
        "Witness traces: 1/1",
    ]
    shown = "\n".join(lines)
    assert "Not covered: small_step: no action failed it in the 3 states explored" in shown
    assert lines[-3].startswith("Spec findings: 4 perturbed actions")


def test_spec_form_logs_read_numbers_and_fractions_alike(tmp_path: Path) -> None:
    from fractions import Fraction

    from model_check.conform_events import SpecAgent, parse_log, replay
    from model_check.event_codec import from_plain

    assert from_plain(0.5, Fraction) == from_plain("1/2", Fraction) == Fraction(1, 2)
    assert from_plain(0.1, Fraction) == Fraction(1, 10) and from_plain(True, Fraction) is True
    model, _ = build("weighted")
    line = {"agent": "coordinator", "protocol": "weighted", "event_type": "vote_submission"}
    for confidence in ("1/2", 0.5):
        data = {"agent": 0, "vote": 1, "confidence": confidence}
        text = json.dumps({**line, "event_data": data, "outcome": {"valid": True}})
        assert replay(parse_log(text), SpecAgent(model, model.initial()[0])).conforms
