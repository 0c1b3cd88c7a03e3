"""`coordspec conform`: the traces the checker writes conform; tampered and mutant ones do not."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import attrs
import pytest

from model_check import cli
from model_check.conform import Conformance, Divergence, param_texts, replay, state_diff
from model_check.engine import Options, check, simulate
from model_check.itf import encode_trace, write_trace
from model_check.report import show_action
from model_check.result import Trace, TraceStep
from spec import registry
from spec.core import Config, ConfigError, GuardError, Model, Specification, make_config
from tests.harness.specs import pinned_counterexample

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "tests" / "models"
QUINT = ROOT / "tests" / "fixtures" / "quint"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def spec_of(name: str) -> Specification[Any]:
    return registry.specification(name)


def write(path: Path, trace: Trace, protocol: str, config: object) -> Path:
    """Write a trace as `coordspec check --trace-out` does: protocol and params in #meta."""
    assert isinstance(config, Config)
    write_trace(path, trace, {"protocol": protocol, "params": param_texts(config.as_dict())})
    return path


# --- what the checker writes conforms -------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "params"),
    [
        ("diehard", []),
        ("mutex", []),  # a liveness violation: a lasso
        ("rumor", ["--agents", "3"]),
        ("tokens", ["--overflow", "true", "--agents", "2"]),
    ],
)
def test_checker_counterexamples_conform_with_no_flags(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, model: str, params: list[str]
) -> None:
    path = str(MODELS / f"{model}.py")
    trace = tmp_path / "cex.itf.json"
    code, _, _ = run(capsys, "check", path, "--quiet", *params, "--trace-out", str(trace))
    assert code == 1 and trace.exists()
    meta = json.loads(trace.read_text())["#meta"]
    assert meta["params"] == {k[2:]: v for k, v in zip(params[::2], params[1::2], strict=True)} | {
        k: v for k, v in meta["params"].items() if f"--{k}" not in params
    }
    code, out, err = run(capsys, "conform", path, str(trace))
    assert (code, err) == (0, "")
    steps = len(json.loads(trace.read_text())["states"]) - 1
    assert out.startswith(f"conforms: {steps} steps replayed through {model}'s step")
    if model == "mutex":
        assert "the lasso closes at state" in out


def test_command_line_overrides_the_trace_params(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = str(MODELS / "tokens.py")
    trace = tmp_path / "cex.itf.json"
    run(capsys, "check", path, "--quiet", "--overflow", "true", "--trace-out", str(trace))
    # Without the mutant's off-by-one guard the last increment is not allowed.
    code, out, _ = run(capsys, "conform", path, str(trace), "--overflow", "false")
    assert code == 1
    last = len(json.loads(trace.read_text())["states"]) - 1
    assert out.startswith(f"diverges at step {last} (increment(")


def _small(name: str) -> dict[str, str]:
    """The protocol's `small` preset: every witness it claims reached in a few hundred
    states."""
    return dict(registry.specification(name).preset("small").params)


@pytest.mark.parametrize("name", registry.names())
def test_protocol_witnesses_conform(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    spec = spec_of(name)
    small = spec.model(_small(name))
    exhaustive = check(small, Options(progress=None, check_liveness=False))
    default = spec.model()
    simulated = simulate(default, 10, 30, 7, Options(progress=None))
    cases = [(small, t) for _, t in exhaustive.witness_traces]
    cases += [(default, t) for _, t in simulated.witness_traces]
    assert len(cases) >= 2
    for i, (model, trace) in enumerate(cases):
        path = write(tmp_path / f"w{i}.itf.json", trace, name, model.config)  # type: ignore[attr-defined]
        code, out, err = run(capsys, "conform", name, str(path))
        assert (code, err) == (0, ""), out
        assert out.startswith(f"conforms: {len(trace)} steps replayed through {name}'s step")


def test_byzantine_steps_are_counted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, pbft_trace: tuple[Model[Any, Any], Trace]
) -> None:
    model, trace = pbft_trace
    flagged = Trace(tuple(attrs.evolve(s, byzantine=i == 1) for i, s in enumerate(trace.steps)))
    path = write(tmp_path / "t.itf.json", flagged, "pbft", model.config)  # type: ignore[attr-defined]
    code, out, _ = run(capsys, "conform", "pbft", str(path), "--json")
    data = json.loads(out)
    assert code == 0 and data["result"] == "conforms" and data["byzantine_steps"] == 1
    assert data["divergence"] is None and data["steps"] == len(trace)
    code, out, _ = run(capsys, "conform", "pbft", str(path))
    assert out == f"conforms: {len(trace)} steps replayed through pbft's step, 1 by the adversary\n"


def test_quint_trace_conforms(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "conform", str(QUINT / "vote.py"), str(QUINT / "vote.itf.json"))
    assert (code, out) == (0, "conforms: 4 steps replayed through vote's step\n")


# --- tampered traces ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pbft_trace() -> tuple[Model[Any, Any], Trace]:
    """A PBFT run through a view change (10 steps, shortest), at requests = 1."""
    model = spec_of("pbft").model({"requests": "1"})
    result = check(model, Options(progress=None, check_liveness=False))
    return model, dict(result.witness_traces)["executed_after_view_change"]


def _itf(pbft_trace: tuple[Model[Any, Any], Trace]) -> dict[str, Any]:
    model, trace = pbft_trace
    meta = {"protocol": "pbft", "params": param_texts(model.config.as_dict())}  # type: ignore[attr-defined]
    obj: dict[str, Any] = json.loads(json.dumps(encode_trace(trace, meta)))
    return obj


def _conform(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, obj: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    path = tmp_path / "t.itf.json"
    path.write_text(json.dumps(obj), encoding="utf-8")
    code, out, err = run(capsys, "conform", "pbft", str(path), "--json")
    assert err == ""
    return code, json.loads(out)


def _first(trace: Trace, action: str) -> int:
    return next(
        i for i, s in enumerate(trace.steps) if i and show_action(s.action).startswith(action)
    )


def test_a_changed_field_is_shown_as_a_set_diff(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, pbft_trace: tuple[Model[Any, Any], Trace]
) -> None:
    _, trace = pbft_trace
    k = _first(trace, "prepare(")
    obj = _itf(pbft_trace)
    commits = obj["states"][k]["commits"]["#set"]
    bogus = {"view": {"#bigint": "0"}, "seq": {"#bigint": "1"}, "digest": {"#bigint": "1"}}
    commits.append(bogus | {"replica": {"#bigint": "3"}})
    code, data = _conform(capsys, tmp_path, obj)
    assert code == 1 and data["result"] == "diverges"
    div = data["divergence"]
    assert (div["step"], div["kind"], div["guard"]) == (k, "state", None)
    assert div["action"] == show_action(trace.steps[k].action)
    assert div["diff"] == [
        "commits: unexpected {[view |-> 0, seq |-> 1, digest |-> 1, replica |-> 3]}"
    ]
    # Every later state carries the same change; only the first step is named.
    obj["states"][k]["commits"]["#set"].pop()
    obj["states"][k]["view"][1] = {"#bigint": "7"}
    code, data = _conform(capsys, tmp_path, obj)
    assert data["divergence"]["diff"] == ["view: expected <<0, 0, 0, 0>>, found <<0, 7, 0, 0>>"]


def test_a_swapped_action_names_the_failed_guard(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, pbft_trace: tuple[Model[Any, Any], Trace]
) -> None:
    model, trace = pbft_trace
    k = _first(trace, "prepare(")
    obj = _itf(pbft_trace)
    # The primary of view 0 (replica 0) does not send PREPARE.
    obj["states"][k]["mbt::nondetPicks"]["replica"]["value"] = {"#bigint": "0"}
    code, data = _conform(capsys, tmp_path, obj)
    div = data["divergence"]
    assert code == 1 and div["step"] == k and div["kind"] == "guard"
    action = attrs.evolve(trace.steps[k].action, replica=0)
    with pytest.raises(GuardError) as caught:
        model.step(trace.steps[k - 1].state, action)
    assert div["guard"] == caught.value.guard
    assert div["reason"] == f"guard {caught.value.guard} failed: {caught.value.reason}"
    assert div["action"] == show_action(action)
    # Two steps swapped: the later one is not yet enabled.
    obj = _itf(pbft_trace)
    j = _first(trace, "commit(")
    states = obj["states"]
    states[j - 1]["mbt::actionTaken"], states[j]["mbt::actionTaken"] = (
        states[j]["mbt::actionTaken"],
        states[j - 1]["mbt::actionTaken"],
    )
    states[j - 1]["mbt::nondetPicks"], states[j]["mbt::nondetPicks"] = (
        states[j]["mbt::nondetPicks"],
        states[j - 1]["mbt::nondetPicks"],
    )
    code, data = _conform(capsys, tmp_path, obj)
    assert code == 1 and data["divergence"]["step"] == j - 1


def test_a_dropped_state_is_reported_where_it_was(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, pbft_trace: tuple[Model[Any, Any], Trace]
) -> None:
    _, trace = pbft_trace
    for k in (1, len(trace) // 2):
        obj = _itf(pbft_trace)
        del obj["states"][k]
        code, data = _conform(capsys, tmp_path, obj)
        assert code == 1 and data["divergence"]["step"] == k
        assert data["divergence"]["kind"] in ("guard", "state")


def test_a_wrong_initial_state_diverges_at_step_0(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, pbft_trace: tuple[Model[Any, Any], Trace]
) -> None:
    obj = _itf(pbft_trace)
    obj["states"][0]["requests"] = {"#set": [{"#bigint": "1"}]}
    path = tmp_path / "t.itf.json"
    path.write_text(json.dumps(obj), encoding="utf-8")
    code, out, _ = run(capsys, "conform", "pbft", str(path))
    assert code == 1
    assert out == "diverges at step 0: not an initial state\n  requests: unexpected {1}\n"


def test_replay_kinds_on_a_plain_model() -> None:
    tokens = importlib.import_module("tests.models.tokens")
    model = tokens.SPEC.model({"agents": "2"})
    s0 = model.initial()[0]
    inc = next(a for a, _ in model.enabled(s0))
    s1 = model.step(s0, inc)
    ok = replay(model, Trace((TraceStep(None, False, s0), TraceStep(inc, False, s1)), loop=0))
    assert ok.divergence is not None
    assert ok.divergence == Divergence(
        1,
        None,
        "loop",
        None,
        "the lasso does not close: the last state is not state 0",
        ok.divergence.diff,
    )
    assert ok.divergence.diff and not ok.conforms
    assert replay(model, Trace((TraceStep(None, False, s0), TraceStep(inc, False, s1)))).conforms


class Fragile(Model[int, str]):
    """Only `up` from 0 is enabled; `step` computes anything and crashes on `boom`."""

    def initial(self) -> list[int]:
        return [0]

    def honest_actions(self, state: int) -> list[str]:
        return ["up"] if state == 0 else []

    def step(self, state: int, action: str) -> int:
        if action == "boom":
            raise ValueError("boom\nsecond line")
        return state + 1

    def invariants(self) -> list[Any]:
        return []


def test_replay_reports_steps_the_model_never_lists() -> None:
    model = Fragile()
    ok = replay(model, Trace((TraceStep(None, False, 0), TraceStep("up", False, 1))))
    assert ok == Conformance(1, 0, None, None) and ok.line("fragile").startswith("conforms: 1")
    late = replay(
        model,
        Trace((TraceStep(None, False, 0), TraceStep("up", False, 1), TraceStep("up", False, 2))),
    )
    assert late.divergence is not None
    assert (late.divergence.step, late.divergence.kind) == (2, "not_enabled")
    crash = replay(model, Trace((TraceStep(None, False, 0), TraceStep("boom", False, 1))))
    assert crash.divergence is not None and crash.divergence.kind == "error"
    assert crash.divergence.reason == "the spec's step failed: ValueError: boom"
    wrong = replay(model, Trace((TraceStep(None, False, 5),)))
    assert wrong.divergence is not None
    assert wrong.divergence.diff == ("state: expected 0, found 5",)


def test_state_diff_lines() -> None:
    rumor = importlib.import_module("tests.models.rumor")
    a = rumor.RumorState(frozenset({"a", "b"}), frozenset())
    b = rumor.RumorState(frozenset({"a", "c"}), frozenset({("a", "c")}))
    assert state_diff(a, b) == (
        "informed: missing {b}; unexpected {c}",
        "told: unexpected {<<a, c>>}",
    )
    assert state_diff(a, a) == ()


# --- mutant counterexamples do not conform to the real spec -----------------------------------


def _mutants() -> list[Any]:
    out = []
    for family in registry.names():
        module = importlib.import_module(f"tests.mutants.{family}")
        out += [pytest.param(family, m, id=m.name) for m in module.MUTANTS]
    return out


#: Where each mutant's counterexample leaves the real spec: the kind of divergence and
#: the guard. A mutant that only changes a predicate (a quorum size inside `prepared`,
#: who may sign) takes the real spec's steps: its counterexample conforms, and the real
#: spec's invariant holds all along it (checked below).
DIVERGES = {
    "accepts_two_pre_prepares": ("guard", "no_conflicting_pre_prepare"),
    "new_view_ignores_p": ("guard", "valid_o"),
    "view_change_without_p": ("state", None),
    "seed_running_total": ("state", None),
    "seed_cap_without_redistribution": ("initial", None),
    "seed_option_blind_consensus": ("state", None),
    "votes_after_decision": ("guard", "after_decision"),
    "seed_tally_at_vote_time": ("state", None),
    "seed_all_submitted_counts_outsiders": ("initial", None),
    "self_feedback_counted": ("guard", "self_feedback"),
    "no_max_rounds": ("state", None),
}


@pytest.mark.parametrize(("family", "mutant"), _mutants())
def test_mutant_counterexamples_against_the_real_spec(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, family: str, mutant: Any
) -> None:
    model, cex = pinned_counterexample(mutant)
    broken: Any = model  # a protocol's model, with its `config`
    assert replay(broken, cex.trace).conforms  # the mutant's own trace replays on the mutant
    spec = spec_of(family)
    params = param_texts(broken.config.as_dict())
    if type(broken.config) is not spec.config_type:
        with pytest.raises(ConfigError, match=r"^faulty: 2 faulty replicas need n >= 7"):
            make_config(spec.config_type, params)
        return
    real = spec.build(broken.config)
    path = tmp_path / "cex.itf.json"
    write_trace(path, cex.trace, {"protocol": family, "params": params})
    code, out, err = run(capsys, "conform", family, str(path), "--json")
    if mutant.name == "map_order_tie_break":  # its state has a variable the spec lacks
        assert code == 2 and err == ""  # with --json the error is JSON, on stdout
        assert "states[0].order: not a field of IterativeState" in json.loads(out)["error"]
        return
    data = json.loads(out)
    if mutant.name not in DIVERGES:
        assert code == 0, data
        named = {p.name: p for p in real.invariants()}
        if cex.kind == "invariant":
            assert all(named[cex.property].holds(s.state) for s in cex.trace.steps)
        else:  # a lasso that is not fair in the real spec: it enables more there
            assert cex.trace.loop is not None
            stuck = cex.trace.steps[cex.trace.loop].state
            assert {show_action(a) for a, _ in real.enabled(stuck)} > {
                show_action(a) for a, _ in broken.enabled(stuck)
            }
        return
    assert code == 1, data
    div = data["divergence"]
    assert (div["kind"], div["guard"]) == DIVERGES[mutant.name]
    k = div["step"]
    prefix = Trace(cex.trace.steps[:k]) if k else None
    assert prefix is None or replay(real, prefix).conforms
    if k:
        assert div["action"] == show_action(cex.trace.steps[k].action)
    assert out.count("\n") > 1 and err == ""


# --- bad input: one line, exit 2 ------------------------------------------------------------


def test_meta_params_may_be_json_values(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = spec_of("pbft")
    model = spec.model({"faulty": "3", "requests": "1"})
    result = simulate(model, 5, 20, 3, Options(progress=None))
    trace = result.witness_traces[0][1]
    params = {"faulty": [3], "requests": 1, "replicas": "4", "checkpoint_interval": 0}
    path = tmp_path / "t.itf.json"
    write_trace(path, trace, {"params": params | {"adversary": "byzantine"}})
    code, out, _ = run(capsys, "conform", "pbft", str(path))
    assert code == 0 and out.startswith("conforms:")
    tcommit = str(MODELS / "tcommit.py")
    write_trace(path, Trace((TraceStep(None, False, _tcommit_initial()),)), {"params": {}})
    assert run(capsys, "conform", tcommit, str(path))[0] == 0


def _tcommit_initial() -> Any:
    return importlib.import_module("tests.models.tcommit").SPEC.model().initial()[0]


@pytest.mark.parametrize(
    ("meta", "args", "message"),
    [
        ({"protocol": "weighted"}, [], "#meta.protocol: the trace is of 'weighted', not 'pbft'"),
        ([], [], "#meta: expected a record"),
        ({"params": [1]}, [], "#meta.params: expected a record of configuration parameters"),
        ({"params": {"faulty": [True]}}, [], "#meta.params.faulty: expected a string, number"),
        ({"params": {"faulty": {}}}, [], "#meta.params.faulty: expected a string, number"),
        ({"params": {"replicas": 99}}, [], "replicas: expected an integer in 1..10, got 99"),
        ({"params": {"colour": "red"}}, [], "colour: unknown parameter"),
        ({"params": {"a\nb": "red"}}, [], "#meta.params: 'a\\nb' is not a parameter name"),
        ({}, ["--adversary", "loud"], "adversary: expected one of byzantine, silent"),
        ({}, ["--colour", "red"], "unknown option --colour"),
        ({"params": {"max_view": True}}, [], "max_view: expected an integer in 0..4, got 'true'"),
    ],
)
def test_bad_meta_and_params_are_one_line(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    pbft_trace: tuple[Model[Any, Any], Trace],
    meta: Any,
    args: list[str],
    message: str,
) -> None:
    obj = _itf(pbft_trace)
    obj["#meta"] = meta
    path = tmp_path / "t.itf.json"
    path.write_text(json.dumps(obj), encoding="utf-8")
    code, out, err = run(capsys, "conform", "pbft", str(path), *args)
    assert (code, out) == (2, "")
    assert err.startswith("coordspec: error: ") and err.count("\n") == 1
    assert message in err


def test_missing_file_and_unknown_protocol(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "conform", "pbft", str(tmp_path / "none.itf.json"))
    assert code == 2 and "cannot read" in err and err.count("\n") == 1
    code, _, err = run(capsys, "conform", "paxos", str(tmp_path / "none.itf.json"))
    assert code == 2 and "unknown protocol 'paxos'" in err
