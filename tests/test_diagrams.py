"""Tests of the diagrams: phase machines, message sequence charts, `coordspec diagram`.

The staleness test regenerates every DOT file of `diagrams/` (what `make diagrams`
writes) and compares it with the committed one; the rest uses small models whose
phase machines and charts can be worked out by hand.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs
import pytest

import spec
from model_check import diagram
from model_check.cli import main
from model_check.diagram import (
    ENVIRONMENT,
    DiagramError,
    PhaseEdge,
    chart_dot,
    phase_dot,
    phase_machine,
    plain_value,
    trace_chart,
)
from model_check.engine import check
from model_check.itf import FrozenMap, encode_trace
from model_check.report import show
from model_check.result import Trace, TraceStep
from spec import pbft, weighted
from spec.core import Config, Invariant, Model, Reliance, Specification, invariant, param
from tests.mutants import diagrams as generator

ROOT = Path(__file__).resolve().parent.parent
DIAGRAMS = ROOT / "diagrams"


# --- a counter the adversary resets: a phase machine worked out by hand ---------------


@attrs.frozen
class CounterConfig(Config):
    """The counter's bound."""

    top: int = param(3, low=2, high=5, help="the highest count")


@attrs.frozen
class Inc:
    """An honest increment by `replica`."""

    replica: int


@attrs.frozen
class Reset:
    """The adversary sets the counter back to 0."""


class Counter(Model[int, Inc | Reset]):
    """Counts 0..top; two replicas increment; the adversary resets a full counter."""

    def __init__(self, config: CounterConfig) -> None:
        self.top = config.top

    def initial(self) -> Sequence[int]:
        return [0]

    def honest_actions(self, state: int) -> Iterable[Inc | Reset]:
        return [Inc(0), Inc(1)] if state < self.top else []

    def byzantine_actions(self, state: int) -> Iterable[Inc | Reset]:
        return [Reset()] if state == self.top else []

    def step(self, state: int, action: Inc | Reset) -> int:
        return 0 if isinstance(action, Reset) else state + 1

    def invariants(self) -> Sequence[Invariant[int]]:
        @invariant
        def bounded(s: int) -> bool:
            """The count stays in 0..top."""
            return 0 <= s <= self.top

        return [bounded]

    def phase(self, state: int) -> str:
        return "low" if state < 2 else "full" if state == self.top else "high"


class Unphased(Counter):
    """The counter without a phase projection."""

    def phase(self, state: int) -> None:  # type: ignore[override]
        return None


SPEC = Specification("counter", "a counter the adversary resets", CounterConfig, Counter)


def test_phase_machine_of_the_counter() -> None:
    machine = phase_machine(Counter(CounterConfig()))
    assert machine.phases == ("low", "high", "full")
    assert machine.initial == ("low",)
    # Each edge says who moved the phase: the replicas by id (the counter has no
    # symmetry), the adversary's reset by the adversary.
    incs = ("replica 0: inc", "replica 1: inc")
    assert machine.edges == (
        PhaseEdge("low", "high", incs, ()),
        PhaseEdge("high", "full", incs, ()),
        PhaseEdge("full", "low", (), ("adversary: reset",)),
    )
    assert (machine.distinct_states, machine.complete) == (4, True)
    # With top = 2 the count skips the `high` phase.
    short = phase_machine(Counter(CounterConfig(top=2)))
    assert short.phases == ("low", "full")
    assert [(e.source, e.target) for e in short.edges] == [("low", "full"), ("full", "low")]


def test_phase_dot_marks_the_adversary_and_a_partial_run() -> None:
    machine = phase_machine(Counter(CounterConfig()), max_states=2)
    assert not machine.complete
    text = phase_dot(machine, "counter", "counter: a test")
    assert "2 states explored, incomplete" in text
    full = phase_dot(phase_machine(Counter(CounterConfig())), "counter", "counter: a test")
    assert re.search(r"p2 -> p0 \[label=\"adversary: reset\".*style=dashed", full)
    assert 'p0 -> p1 [label="replica 0: inc\nreplica 1: inc"]' in full
    assert "start -> p0" in full
    reduced = attrs.evolve(machine, symmetry=True, complete=True)
    assert '2 states explored (symmetry-reduced)"' in phase_dot(reduced, "counter", "t")
    assert diagram.config_text(CounterConfig(top=4)) == "top=4"
    assert diagram.config_text(None) == "no parameters"


def test_a_model_without_phases_is_refused() -> None:
    with pytest.raises(DiagramError, match="Unphased declares no phases"):
        phase_machine(Unphased(CounterConfig()))


def test_weighted_phases_at_one_agent() -> None:
    config = weighted.WeightedConfig(
        agents=1, options=1, profiles=(1,), assessments=0, confidence_levels=1, max_votes=1
    )
    machine = phase_machine(weighted.Weighted(config))
    # One agent holds all the weight: its vote decides at once; without it, the deadline.
    assert machine.phases == ("open", "decided", "no_consensus")
    assert machine.edges == (
        PhaseEdge("open", "decided", ("agent: vote_submission",), ()),
        PhaseEdge("open", "no_consensus", ("environment: voting_deadline",), ()),
    )


def test_pbft_phases_do_not_depend_on_symmetry() -> None:
    """The projection is the same on every state of a symmetry class, so the reduced
    graph gives the same machine as the full one (Model.phase's contract)."""
    # Replica 1 (view 1's primary) observed; then no honest primary: all replicas sorted.
    for max_view in (1, 0):
        model = pbft.Pbft(pbft.PbftConfig(requests=1, max_view=max_view))
        reduced = phase_machine(model, symmetry=True)
        full = phase_machine(model, symmetry=False)
        assert reduced.symmetry and not full.symmetry
        assert reduced.distinct_states < full.distinct_states
        assert (reduced.phases, reduced.edges) == (full.phases, full.edges)
        assert {"idle", "prepared", "committed", "executed"} <= {
            p for phase in full.phases for p in phase.split(", ")
        }


# --- message sequence charts ------------------------------------------------------------


@attrs.frozen
class Net:
    """Four nodes' clocks and the set of messages sent."""

    clock: tuple[int, ...]
    sent: frozenset[int]


@attrs.frozen
class Broadcast:
    replica: int
    value: int


@attrs.frozen
class Send:
    replica: int
    to: int


@attrs.frozen
class Tick:
    pass


@attrs.frozen
class Note:
    agent: str
    text: str


def net_trace(loop: int | None = None) -> Trace:
    s0 = Net((0, 0, 0, 0), frozenset())
    s1 = Net((0, 0, 0, 0), frozenset({7}))
    s2 = Net((0, 1, 0, 0), frozenset({7}))
    s3 = Net((0, 1, 0, 0), frozenset({7}))
    return Trace(
        (
            TraceStep(None, False, s0),
            TraceStep(Broadcast(1, 7), False, s1),
            TraceStep(Send(2, 0), True, s2),
            TraceStep(Tick(), False, s3),
        ),
        loop,
    )


def test_chart_of_a_trace() -> None:
    meta = {
        "protocol": "net",
        "property": "safe",
        "kind": "invariant",
        "params": {"n": 4, "faulty": [0, 3]},
    }
    chart = trace_chart(encode_trace(net_trace(), meta))
    # Nodes 0..3 (the clocks' length: node 3 never acts), then the environment.
    assert chart.lifelines == ("replica 0", "replica 1", "replica 2", "replica 3", ENVIRONMENT)
    broadcast, send, tick = chart.steps
    assert (broadcast.actor, broadcast.receivers) == (
        "replica 1",
        ("replica 0", "replica 2", "replica 3"),
    )
    assert broadcast.label == "broadcast(value=7)"
    assert (send.actor, send.receivers, send.byzantine) == ("replica 2", ("replica 0",), True)
    assert send.label == "send"
    assert (tick.actor, tick.receivers, tick.label) == (ENVIRONMENT, (), "tick")
    assert chart.violated == "invariant safe"
    assert chart.title == "net: invariant safe violated in 3 steps\nn=4, faulty=0,3"
    text = chart_dot(chart, "net")
    assert "VIOLATED: invariant safe" in text
    assert "(Byzantine)" in text
    # The broadcast's three arrows and the send's one, in red.
    assert len(re.findall(r"-> l\dr\d+ \[color=black constraint=false\]", text)) == 3
    assert len(re.findall(r"-> l\dr\d+ \[color=red3 constraint=false\]", text)) == 1


def test_chart_of_a_lasso_and_named_participants() -> None:
    steps = (
        TraceStep(None, False, Net((0,), frozenset())),
        TraceStep(Note("ann", "hello world " * 6), False, Net((0,), frozenset())),
        TraceStep(Note("bob", "x"), False, Net((0,), frozenset())),
    )
    chart = trace_chart(encode_trace(Trace(steps, 1)))
    assert chart.lifelines == ("agent ann", "agent bob")
    assert chart.steps[0].label.endswith("...)")
    assert len(chart.steps[0].label) < 80
    assert (chart.loop, chart.violated, chart.title) == (1, None, "a trace of 2 steps")
    text = chart_dot(chart)
    assert "(the cycle starts here)" in text
    assert "the cycle returns to state 1" in text


class Leaning(Counter):
    """The counter whose increments lean on messages of others (`relied_on`)."""

    def relied_on(self, state: int, action: Inc | Reset) -> tuple[Reliance, ...]:
        if isinstance(action, Inc) and action.replica == 0:
            return (Reliance("TICK(1)", 1), Reliance("TOCK", 0))  # 0 is the actor itself
        hints = (Reliance("a hint without a sender"), Reliance("PING", "x"))
        return hints if isinstance(action, Inc) else ()


def counter_trace() -> Trace:
    return Trace(
        (
            TraceStep(None, False, 0),
            TraceStep(Inc(0), False, 1),
            TraceStep(Inc(1), False, 2),
        )
    )


def test_chart_draws_what_a_step_relied_on_from_the_faulty_lifeline() -> None:
    model = Leaning(CounterConfig())
    chart = trace_chart(encode_trace(counter_trace()), model)
    first, second = chart.steps
    assert first.uses == (("replica 1", "TICK(1)"), ("replica 0", "TOCK"))
    assert second.uses == ((None, "a hint without a sender"), ("replica x", "PING"))
    assert chart.faulty == ("replica 0", "replica 1", "replica x")
    text = chart_dot(chart)
    # a row from which the faulty message leaves replica 1's lifeline, then the step
    assert re.search(
        r"l1r1 -> l0r2 \[label=\"faulty: TICK\(1\)\" color=red3 constraint=false "
        r"fontcolor=red3 style=dashed\]",
        text,
    )
    assert "uses: TOCK" in text and "uses: a hint without a sender" in text
    assert 'l1r0 [label="replica 1\n(faulty)" color=red3' in text
    # without the model (or a trace of another model) the chart is drawn as before
    plain = trace_chart(encode_trace(counter_trace()))
    assert all(step.uses == () for step in plain.steps) and plain.faulty == ()
    assert trace_chart(encode_trace(net_trace()), model).steps[0].uses == ()


def pbft_witness(tmp_path: Path, params: dict[str, str]) -> Path:
    """A PBFT trace in which the faulty primary's messages count, as an ITF file whose
    `#meta` names `params`."""
    model = pbft.Pbft(pbft.PbftConfig(requests=1, max_view=0))
    trace = dict(check(model).witness_traces)["executed_in_view_0"]
    path = tmp_path / "pbft.itf.json"
    meta = {"protocol": "pbft", "witness": "executed_in_view_0", "params": params}
    path.write_text(json.dumps(encode_trace(trace, meta)), encoding="utf-8")
    return path


def test_trace_diagram_rebuilds_the_protocol_to_draw_the_faulty_messages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = pbft_witness(tmp_path, {"requests": "1", "max_view": "0"})
    assert main(["diagram", "--trace", str(path)]) == 0
    text = capsys.readouterr().out
    # replica 0, view 0's faulty primary: its pre-prepare reaches the backups' prepares,
    # its commit the executions; dashed red arrows from its lifeline (column 0)
    arrows = re.findall(r"l0r\d+ -> l\dr\d+ \[label=\"([^\"]*)\"[^\]]*style=dashed\]", text)
    assert "faulty: PRE-PREPARE(v0, n1, d1)" in arrows
    assert "faulty: COMMIT(v0, n1, d1)" in arrows
    assert 'l0r0 [label="replica 0\n(faulty)"' in text
    # a configuration the protocol refuses (two faulty of four) or an unknown protocol:
    # the chart is drawn from the trace alone
    path = pbft_witness(tmp_path, {"requests": "1", "max_view": "0", "faulty": "0,1"})
    assert main(["diagram", "--trace", str(path)]) == 0
    assert "faulty:" not in capsys.readouterr().out
    obj = json.loads(path.read_text(encoding="utf-8"))
    assert diagram.rebuild(obj, {}) is None
    assert diagram.rebuild({**obj, "#meta": {"protocol": ["pbft"]}}, {"pbft": pbft.SPEC}) is None


def test_chart_of_a_trace_without_steps() -> None:
    chart = trace_chart(encode_trace(Trace((TraceStep(None, False, 5),))))
    assert (chart.lifelines, chart.steps) == ((), ())
    assert "digraph trace" in chart_dot(chart)


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ([], "the trace: expected a JSON object"),
        ({"states": []}, "states: expected a non-empty list"),
        ({"states": [{}], "loop": 3}, "loop: expected a state index 0..0"),
        ({"states": [{}], "loop": True}, "loop: expected a state index"),
        ({"states": [7]}, r"states\[0\]: expected a JSON object"),
        ({"states": [{}, {"x": 1}]}, r"states\[1\].mbt::actionTaken: expected"),
        ({"states": [{"mbt::nondetPicks": []}]}, "expected a record of arguments"),
        (
            {"states": [{"mbt::nondetPicks": {"a": {"#bigint": "1"}}}]},
            r"nondetPicks.a: expected Some\(value\)",
        ),
        ({"states": [{"x": 1.5}]}, r"states\[0\].x"),
    ],
)
def test_malformed_traces_are_one_line_errors(obj: Any, message: str) -> None:
    with pytest.raises(DiagramError, match=message) as caught:
        trace_chart(obj)
    assert "\n" not in str(caught.value)


def test_show_plain_values() -> None:
    assert show(plain_value(True)) == "true"
    assert show(plain_value(FrozenMap({"num": 1, "den": 2}))) == "1/2"
    assert show(plain_value(FrozenMap({"a": 1, "b": "x"}))) == "[a |-> 1, b |-> x]"
    assert show(plain_value(frozenset({10, 9}))) == "{10, 9}"  # canonical, whatever the seed
    assert show(plain_value(("None", ()))) == "None"
    assert show(plain_value((1, (2, 3)))) == "<<1, <<2, 3>>>>"


def test_rendering_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Failed:
        returncode = 1
        stderr = "Error: syntax error in line 1\nmore"
        stdout = ""

    with pytest.raises(DiagramError, match=r"dot failed: Error: syntax error in line 1$"):
        diagram.render_svg("digraph {", runner=lambda *a, **k: Failed())
    with pytest.raises(DiagramError, match="cannot write"):
        diagram.write("digraph {}\n", tmp_path / "missing" / "x.dot", svg=False)
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(DiagramError, match="dot is not installed"):
        diagram.render_svg("digraph {}")


# --- the command line ---------------------------------------------------------------------


@pytest.fixture
def counter_file(tmp_path: Path) -> Path:
    path = tmp_path / "counter_model.py"
    path.write_text("from tests.test_diagrams import SPEC  # noqa: F401\n", encoding="utf-8")
    return path


def test_cli_phase_machine(
    counter_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diagram", str(counter_file), "--top", "2"]) == 0
    text = capsys.readouterr().out
    assert "counter: a counter the adversary resets\ntop=2" in text
    assert "p1 [label=full]" in text
    out = tmp_path / "counter.dot"
    assert main(["diagram", str(counter_file), "--out", str(out), "--svg"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"Wrote {out}",
        f"Wrote {out.with_suffix('.svg')}",
    ]
    svg = out.with_suffix(".svg").read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and ">high</text>" in svg


def test_cli_trace_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = tmp_path / "diehard.itf.json"
    assert main(["check", "tests/models/diehard.py", "--quiet", "--trace-out", str(trace)]) == 1
    capsys.readouterr()
    assert main(["diagram", "--trace", str(trace)]) == 0
    text = capsys.readouterr().out
    meta = json.loads(trace.read_text(encoding="utf-8"))["#meta"]
    assert f"VIOLATED: {meta['kind']} {meta['property']}" in text
    assert "environment" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["diagram"], "give a protocol or --trace"),
        (["diagram", "pbft", "--trace", "x.itf.json"], "give a protocol or --trace"),
        (["diagram", "pbft", "--svg"], "--svg needs --out"),
        (["diagram", "nosuch"], "unknown protocol 'nosuch'"),
        (["diagram", "pbft", "--replicas", "99"], "replicas: expected an integer in 1..10"),
        (["diagram", "tests/models/diehard.py"], "declares no phases"),
        (["diagram", "--trace", "no/such.itf.json"], "cannot read no/such.itf.json"),
        (["diagram", "--trace", "x.itf.json", "--top=2"], "parameters need a protocol"),
        (["diagram", "--trace", "x.itf.json", "--top", "2"], "parameters need a protocol"),
    ],
)
def test_cli_bad_input_exits_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_output_does_not_depend_on_the_hash_seed(counter_file: Path, tmp_path: Path) -> None:
    trace = tmp_path / "t.itf.json"
    trace.write_text(json.dumps(encode_trace(net_trace(2))), encoding="utf-8")
    script = (
        "from model_check.cli import main; "
        f"main(['diagram', {str(counter_file)!r}]); main(['diagram', '--trace', {str(trace)!r}])"
    )
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "digraph counter" in done.stdout and "digraph trace" in done.stdout
        outputs.add(done.stdout)
    assert len(outputs) == 1


# --- diagrams/ is up to date ------------------------------------------------------------


def _labels(dot_text: str) -> set[str]:
    """The node labels of a DOT text (as the SVG shows them: one text per line)."""
    found = set()
    for label in re.findall(r'\[label=("(?:[^"\\]|\\.)*"|[^ \]]+)', dot_text):
        for line in label.strip('"').split("\n"):
            if line:
                escaped = line.replace('\\"', '"').replace("&", "&amp;")
                escaped = escaped.replace("<", "&lt;").replace(">", "&gt;")
                escaped = escaped.replace('"', "&quot;").replace("'", "&#39;")
                found.add(escaped.replace("-", "&#45;"))  # as dot writes them
    return found


def test_committed_diagrams_are_up_to_date(tmp_path: Path) -> None:
    """`make diagrams` output, regenerated: the DOT text must match exactly.

    The generator runs in a subprocess without the coverage tracer, at the speed of
    `make diagrams` (the phase machines explore the protocols at their defaults).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("COV_CORE")}
    env["PYTHONPATH"] = str(ROOT)
    subprocess.run(
        [sys.executable, "-m", "tests.mutants.diagrams", "--all", "--no-svg", str(tmp_path)],
        capture_output=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    fresh = {p.name: p.read_text(encoding="utf-8") for p in sorted(tmp_path.glob("*.dot"))}
    assert set(fresh) == {p.name for p in DIAGRAMS.glob("*.dot")}
    stale = [n for n, text in fresh.items() if (DIAGRAMS / n).read_text("utf-8") != text]
    assert not stale, f"diagrams/ is stale ({', '.join(stale)}): run `make diagrams`"
    for name, text in fresh.items():
        svg = (DIAGRAMS / name).with_suffix(".svg").read_text(encoding="utf-8")
        missing = {label for label in _labels(text) if f">{label}</text>" not in svg}
        assert not missing, f"{name}'s SVG lacks {sorted(missing)}: run `make diagrams`"


def test_generator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generator, "FAMILIES", generator.FAMILIES[1:2])
    monkeypatch.setattr(spec, "PROTOCOLS", ())
    assert generator.main(["--all", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["mutant_seed_running_total.dot", "mutant_seed_running_total.svg"]
    committed = DIAGRAMS / "mutant_seed_running_total.dot"
    assert (tmp_path / written[0]).read_text(encoding="utf-8") == committed.read_text("utf-8")
    assert generator.main(["--bogus"]) == 2
