"""`coordspec explore`'s server (issue 18): every answer against the spec itself.

What the page shows of a path is recomputed here from `Model.step` and `Model.enabled`
alone: the state's cells, the changed marks, the actions and their choice numbers, the
guards that refuse the disabled ones, each property's value. Forged requests are 4xx
with a one-line message; the model's own failures a one-line 500. Traces from `check
--trace-out` / `--witness-out` become paths that replay them state for state, and a
check started from the page's root finds what `coordspec check` finds. The browser
drives the same server in tests/test_explore_browser.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from model_check.cli import main
from model_check.engine import Options, check
from model_check.explore import app as web
from model_check.explore import session as ex
from model_check.itf import read_trace
from model_check.report import show, show_action
from model_check.result import Trace, TraceStep
from spec.core import GuardedModel, Invariant, Model
from spec.registry import specification

ROOT = Path(__file__).resolve().parent.parent
PROTOCOLS = ("pbft", "weighted", "iterative")


def explorer(protocol: str, **params: str) -> ex.Explorer:
    return ex.open_model(specification(protocol), protocol, params, None, False, [])


def client(e: ex.Explorer) -> TestClient:
    """A client without the lifespan: no phase machine job unless a test asks."""
    return TestClient(web.create_app(e), base_url="http://127.0.0.1")


def walk(model: Model[Any, Any], choices: list[int]) -> tuple[tuple[int, ...], list[Any]]:
    """The path of `choices` (each taken modulo what is enabled) and its states."""
    states = [model.initial()[0]]
    path = [0]
    for c in choices:
        enabled = model.enabled(states[-1])
        if not enabled:
            break
        path.append(c % len(enabled))
        states.append(model.step(states[-1], enabled[path[-1]][0]))
    return tuple(path), states


def expected_cells(e: ex.Explorer, state: Any, before: Any) -> dict[str, Any]:
    """Each variable as the page must show it: text, or rows, and the changed marks."""
    model = e.model
    local = ex.participant_fields(model, state)
    out: dict[str, Any] = {}
    for name in type(state).__attrs_attrs__:
        value, prior = getattr(state, name.name), getattr(before, name.name)
        if name.name in local:
            out[name.name] = [(show(v), v != p) for v, p in zip(value, prior, strict=True)]
        elif isinstance(value, frozenset):
            out[name.name] = (len(value), sum(v not in prior for v in value), value != prior)
        else:
            out[name.name] = value != prior
    return out


def check_view(e: ex.Explorer, view: dict[str, Any], state: Any, before: Any) -> None:
    want = expected_cells(e, state, before)
    seen: set[str] = set()
    for section in view["state"]:
        if section["kind"] == "participants":
            for k, row in enumerate(section["rows"]):
                for field, cell in zip(section["fields"], row["cells"], strict=True):
                    assert (cell["text"], cell["changed"]) == want[field][k], (field, k)
                    seen.add(field)
        elif section["kind"] == "set":
            size, fresh, changed = want[section["name"]]
            rows = section["rows"]
            assert (len(rows), sum(r["new"] for r in rows), section["changed"]) == (
                size,
                fresh,
                changed,
            )
            seen.add(section["name"])
        else:
            name = section["name"]
            assert section["changed"] == want[name], name
            if section["kind"] == "value":
                assert section["text"] == show(getattr(state, name))
            seen.add(name)
    assert seen == set(want)


# --- what the page shows, against the spec -------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(choices=st.lists(st.integers(0, 50), max_size=25))
def test_the_state_is_the_specs(protocol: str, choices: list[int]) -> None:
    e = explorer(protocol)
    path, states = walk(e.model, choices)
    for at in range(len(path)):
        view = e.view(path, at)
        assert view["at"] == at and view["path"] == ex.path_text(path)
        assert len(view["steps"]) == len(path) - 1
        check_view(e, view, states[at], states[at - 1] if at else states[at])
        assert view["chart"] == ex.path_text(path[: at + 1])
        assert view["phase"] == e.model.phase(states[at])


@pytest.mark.parametrize(("protocol", "params"), [("pbft", {"faulty": "1"}), ("weighted", {})])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(choices=st.lists(st.integers(0, 50), max_size=20))
def test_the_actions_are_the_specs(
    protocol: str, params: dict[str, str], choices: list[int]
) -> None:
    e = explorer(protocol, **params)
    model = e.model
    assert isinstance(model, GuardedModel)
    path, states = walk(model, choices)
    state = states[-1]
    actions = e.view(path)["actions"]
    enabled = model.enabled(state)
    listed = actions["honest"] + actions["adversary"]
    assert sorted(a["choice"] for a in listed) == list(range(len(enabled)))
    for group, byzantine in (("honest", False), ("adversary", True)):
        for a in actions[group]:
            action, byz = enabled[a["choice"]]
            assert (byz, a["label"]) == (byzantine, show_action(action))
            assert a["uses"] == [str(r) for r in model.relied_on(state, action)]
    refused = [a for a in model.candidates(state) if model.failed_guard(state, a) is not None]
    assert [d["label"] for d in actions["disabled"]] == [show_action(a) for a in refused]
    for d, action in zip(actions["disabled"], refused, strict=True):
        guard = model.failed_guard(state, action)
        assert guard is not None
        assert (d["guard"], d["reason"], d["quote"]) == (
            guard.name,
            guard.explain(model, state, action),
            guard.quote,
        )


def test_pbft_shows_the_faulty_replicas_messages_a_step_counts() -> None:
    """PBFT's adversary is implicit (spec/pbft/adversary.py): what a faulty replica sends
    is counted inside honest steps, and the page lists it under each ("uses")."""
    e = explorer("pbft", faulty="1")
    frontier: list[tuple[int, ...]] = [(0,)]
    for _ in range(4):
        frontier = [(*p, k) for p in frontier for k in range(len(e.paths.node(p).enabled))]
    uses = [u for p in frontier for a in e.view(p)["actions"]["honest"] for u in a["uses"]]
    assert uses and all("faulty" in u for u in uses)


@attrs.frozen
class Move:
    """The toy model's one action: add `by` (the adversary's moves subtract)."""

    by: int


class Tug(Model[int, Move]):
    """A counter the honest side raises and the adversary lowers, within 0..3."""

    def initial(self) -> list[int]:
        return [0]

    def honest_actions(self, state: int) -> list[Move]:
        return [Move(1)] if state < 3 else []

    def byzantine_actions(self, state: int) -> list[Move]:
        return [Move(-1)] if state > 0 else []

    def step(self, state: int, action: Move) -> int:
        return state + action.by

    def invariants(self) -> list[Invariant[int]]:
        return [Invariant("in_range", lambda s: 0 <= s <= 3)]


def test_the_adversarys_actions_are_listed_apart() -> None:
    e = explorer("weighted")
    toy = ex.Explorer(e.spec, Tug(), ex.Setup("toy"))
    c = client(toy)
    top = c.get("/api/state?path=0.0").json()
    assert [a["label"] for a in top["actions"]["honest"]] == ["move(by=1)"]
    assert [(a["label"], a["choice"]) for a in top["actions"]["adversary"]] == [("move(by=-1)", 1)]
    assert top["state"] == [{"kind": "value", "name": "state", "text": "1", "changed": True}]
    down = c.get("/api/state?path=0.0.1").json()
    assert down["steps"][-1] == {
        "n": 2,
        "label": "move(by=-1)",
        "actor": "adversary",
        "byzantine": True,
    }
    assert down["state"][0]["text"] == "0"


def test_properties_are_the_specs_predicates() -> None:
    e = explorer("weighted")
    model = e.model
    path, states = walk(model, [3, 1, 4, 1, 5, 9, 2, 6])
    props = {p["name"]: p for p in e.view(path)["properties"]}
    for inv in model.invariants():
        assert props[inv.name]["value"] == ("holds" if inv.holds(states[-1]) else "violated")
    for w in model.witnesses():
        assert props[w.name]["value"] == ("reached here" if w.reached(states[-1]) else "not here")
    for goal in model.eventually():
        assert props[goal.name]["kind"] == goal.kind


def test_a_dead_end_says_whether_it_is_a_proper_end() -> None:
    e = explorer("iterative")
    path: tuple[int, ...] = (0,)
    for _ in range(100):  # the last action listed ends the session (the first may loop)
        enabled = e.paths.node(path).enabled
        if not enabled:
            break
        path += (len(enabled) - 1,)
    assert not e.paths.node(path).enabled
    props = {p["name"]: p for p in e.view(path)["properties"]}
    ok = e.model.terminal_ok(e.paths.node(path).state)
    assert props["deadlock"]["value"] == (
        "a proper end" if ok else "deadlock: no action is enabled"
    )


def test_a_violated_invariant_is_shown_violated() -> None:
    e = ex.open_model(specification("weighted"), "weighted", {}, "seed_running_total", False, [])
    model = e.model
    result = check(model, Options())
    cex = result.counterexample
    assert cex is not None
    trace_path = ex.ordinals(model, cex.trace)
    props = {p["name"]: p for p in e.view(tuple(trace_path))["properties"]}
    assert props[cex.property]["value"] == "violated"
    assert props[cex.property]["tone"] == "bad"


def test_the_chart_is_diagram_traces() -> None:
    from model_check.diagram import chart_dot, render_svg, trace_chart
    from model_check.itf import encode_trace

    e = explorer("pbft")
    path, _ = walk(e.model, [0, 0, 0, 0, 0, 0])
    meta = {"protocol": "pbft", "params": {}}
    want = render_svg(chart_dot(trace_chart(encode_trace(e.trace_of(path), meta), e.model)))
    assert client(e).get(f"/api/chart.svg?path={ex.path_text(path)}").text == want


# --- requests the server refuses -----------------------------------------------------

REFUSED = [
    ("/api/state?path=0.99", 400, "step 1 chooses action 99, but 2 are enabled there"),
    ("/api/state?path=7", 400, "initial state 7 does not exist"),
    ("/api/state?path=0.x", 400, "expected numbers separated by dots"),
    ("/api/state?path=0..1", 400, "expected numbers separated by dots"),
    ("/api/state?path=0.1&at=9", 400, "at: expected a step 0..1, got 9"),
    ("/api/state?path=0&at=-1", 400, "at: expected a number"),
    ("/api/state?path=0&file=/etc/passwd", 400, "unknown query parameter 'file'"),
    ("/api/state?path=" + ".".join(["0"] * (ex.MAX_PATH + 2)), 400, "longer than"),
    ("/api/chart.svg?path=0.42", 400, "chooses action 42"),
    ("/api/jobs/7", 404, "no job 7"),
    ("/api/jobs/x", 404, "no job x"),
    ("/static/session.py", 404, "no such file"),
    ("/static/..%2Fsession.py", 404, ""),
    ("/etc/passwd", 404, "Not Found"),
]


@pytest.mark.parametrize(("url", "status", "says"), REFUSED)
def test_a_forged_request_is_refused_in_one_line(url: str, status: int, says: str) -> None:
    answer = client(explorer("pbft")).get(url)
    assert answer.status_code == status
    error = answer.json()["error"]
    assert says in error and "\n" not in error and "Traceback" not in error


BODIES = [
    (b"not json", "not JSON"),
    (b"[1]", "expected a JSON object"),
    (b'{"path": 3}', "path: expected a string"),
    (b'{"path": "0.9"}', "chooses action 9"),
    (b'{"max_states": 0}', "max_states: expected a positive integer"),
    (b'{"max_depth": true}', "max_depth: expected a positive integer"),
    (b'{"liveness": "yes"}', "liveness: expected true or false"),
    (b'{"path": "0", "file": "/etc/passwd"}', "unknown field 'file'"),
    (b"{" * 100_000, "larger than"),
]


@pytest.mark.parametrize(("body", "says"), BODIES)
def test_a_malformed_check_request_is_refused(body: bytes, says: str) -> None:
    answer = client(explorer("pbft")).post("/api/check", content=body)
    assert answer.status_code == 400
    assert says in answer.json()["error"]


def test_other_hosts_and_methods_are_refused() -> None:
    c = client(explorer("pbft"))
    assert c.get("/api/model", headers={"host": "evil.example"}).status_code == 400
    assert c.get("/api/model", headers={"host": "localhost:8000"}).status_code == 200
    assert c.post("/api/state").status_code == 405
    assert c.get("/api/check").status_code == 405


class Broken(Model[Any, Any]):
    """A model whose phase projection fails: the server must say so in one line."""

    def __init__(self, inner: Model[Any, Any]) -> None:
        self.inner = inner

    def initial(self) -> Any:
        return self.inner.initial()

    def honest_actions(self, state: Any) -> Any:
        return self.inner.honest_actions(state)

    def step(self, state: Any, action: Any) -> Any:
        return self.inner.step(state, action)

    def invariants(self) -> Any:
        return self.inner.invariants()

    def phase(self, state: Any) -> str:
        raise ZeroDivisionError("a bug\nin the model")


def test_a_failure_in_the_models_code_is_a_one_line_500() -> None:
    e = explorer("weighted")
    broken = ex.Explorer(e.spec, Broken(e.model), e.setup, e.config)
    answer = client(broken).get("/api/state?path=0")
    assert answer.status_code == 500
    assert answer.json()["error"] == (
        "the model's code failed: ZeroDivisionError: a bug in the model"
    )


def test_the_page_and_its_assets_are_served_and_nothing_else() -> None:
    c = client(explorer("pbft"))
    page = c.get("/")
    assert page.status_code == 200 and "/static/explore.js" in page.text
    assert "http" not in page.text.replace("http-equiv", "")  # nothing fetched from elsewhere
    for name, media in web.ASSETS.items():
        answer = c.get(f"/static/{name}")
        assert answer.status_code == 200 and answer.headers["content-type"] == media
        assert "http://" not in answer.text and "https://" not in answer.text


# --- traces from files ---------------------------------------------------------------


@pytest.fixture(scope="module")
def witnesses(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("witnesses")
    assert main(["check", "pbft", "--preset", "small", "--quiet", "--witness-out", str(out)]) == 0
    return out


def test_witness_traces_become_paths_that_replay_them(witnesses: Path) -> None:
    files = sorted(witnesses.glob("*.itf.json"))
    assert len(files) >= 2  # executed_in_view_0 and executed_after_view_change at least
    e = ex.open_model(specification("pbft"), "pbft", {}, None, False, files)
    assert e.setup.params["requests"] == "1"  # the preset's, from the files' #meta
    heading = e.heading()
    assert [t["name"] for t in heading["traces"]] == [f.name for f in files]
    for f, t in zip(files, e.traces, strict=True):
        trace = read_trace(f, e.model)
        assert t.kind == "witness" and t.property == f.name.removesuffix(".itf.json")
        nodes = e.paths.walk(t.path)
        assert [n.state for n in nodes] == [s.state for s in trace.steps]
        assert [n.action for n in nodes] == [s.action for s in trace.steps]
        props = {p["name"]: p for p in e.view(t.path)["properties"]}
        assert props[t.property]["value"] == "reached here"


def test_a_counterexample_brings_its_variant_and_parameters(tmp_path: Path) -> None:
    cex = tmp_path / "cex.itf.json"
    variant = ["--variant", "prepare_quorum_2f_minus_1"]
    code = main(["check", "pbft", *variant, "--quiet", "--trace-out", str(cex)])
    assert code == 1
    e = ex.open_model(specification("pbft"), "pbft", {}, None, False, [cex])
    assert e.setup.variant == "prepare_quorum_2f_minus_1"
    (t,) = e.traces
    assert (t.kind, t.property, len(t.path) - 1) == ("counterexample", "prepared_unique", 4)
    props = {p["name"]: p for p in e.view(t.path)["properties"]}
    assert props["prepared_unique"]["value"] == "violated"


def _trace_file(witnesses: Path, tmp_path: Path, name: str, edit: Any) -> Path:
    obj = json.loads((witnesses / "executed_in_view_0.itf.json").read_text())
    edit(obj)
    path = tmp_path / name
    path.write_text(json.dumps(obj))
    return path


def _last_step_arg(obj: dict[str, Any]) -> None:
    picks = obj["states"][-1]["mbt::nondetPicks"]
    picks[sorted(picks)[-1]]["value"] = {"#bigint": "77"}


def _not_initial(obj: dict[str, Any]) -> None:
    obj["states"][0] = {**obj["states"][2], "#meta": obj["states"][0]["#meta"]}


BAD_TRACES = [
    ("other.itf.json", lambda o: o["#meta"].update(protocol="weighted"), "a trace of 'weighted'"),
    ("variant.itf.json", lambda o: o["#meta"].update(variant="no_such"), "no_such"),
    ("params.itf.json", lambda o: o["#meta"]["params"].update(replicas="x"), "replicas"),
    ("meta.itf.json", lambda o: o.update({"#meta": 3}), "#meta: expected a record"),
    ("first.itf.json", _not_initial, "states[0]: not an initial state"),
    ("action.itf.json", _last_step_arg, "states["),
]


@pytest.mark.parametrize(("name", "edit", "says"), BAD_TRACES)
def test_a_bad_trace_is_one_line_at_the_command_line(
    witnesses: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    edit: Any,
    says: str,
) -> None:
    path = _trace_file(witnesses, tmp_path, name, edit)
    assert main(["explore", "pbft", "--trace", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("coordspec: error: ") and says in err and err.count("\n") == 1


def test_two_traces_of_different_configurations_are_refused(
    witnesses: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _trace_file(witnesses, tmp_path, "a.itf.json", lambda o: None)
    b = _trace_file(
        witnesses, tmp_path, "b.itf.json", lambda o: o["#meta"]["params"].update(max_view="2")
    )
    assert main(["explore", "pbft", "--trace", str(a), "--trace", str(b)]) == 2
    assert "differ from the first trace's" in capsys.readouterr().err


def test_bad_parameters_and_a_port_in_use_are_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import socket

    assert main(["explore", "pbft", "--replicas", "x"]) == 2
    assert main(["explore", "pbft", "--variant", "nope"]) == 2
    assert main(["explore", "pbft", "--faulty", "0,1"]) == 2
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        assert main(["explore", "pbft", "--port", str(busy.getsockname()[1])]) == 2
    finally:
        busy.close()
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 4 and all(x.startswith("coordspec: error: ") for x in lines)
    assert "cannot listen on 127.0.0.1" in lines[-1]


# --- jobs: a check from the page, the phase machine ----------------------------------


def _finish(c: TestClient, number: int, limit: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        job: dict[str, Any] = c.get(f"/api/jobs/{number}").json()
        if job["status"] != "running":
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {number} still running after {limit} s")


def test_a_check_from_the_root_finds_what_check_finds() -> None:
    e = explorer("pbft", requests="1")
    c = client(e)
    started = c.post("/api/check", json={"path": "0"})
    assert started.status_code == 202
    job = _finish(c, started.json()["job"])
    assert job["status"] == "done", job
    result = job["result"]
    want = check(e.model, Options(stop_at_first=False))
    assert (result["distinct"], result["generated"], result["result"]) == (
        want.distinct_states,
        want.generated_states,
        want.result,
    )
    assert [(p["name"], p["status"]) for p in result["properties"]] == [
        (p.name, p.status) for p in want.properties
    ]
    witnessed = {t["property"]: t for t in result["traces"] if t["kind"] == "witness"}
    assert set(witnessed) == {name for name, _ in want.witness_traces}
    for name, trace in want.witness_traces:
        t = witnessed[name]
        assert t["start"] == 0 and t["length"] == len(trace)
        end = e.paths.node(ex.parse_path(t["path"])).state
        assert {p["name"]: p["value"] for p in e.view(ex.parse_path(t["path"]))["properties"]}[
            name
        ] == "reached here"
        assert end == trace.steps[-1].state


def test_a_check_from_a_later_state_starts_there_and_one_runs_at_a_time() -> None:
    e = ex.open_model(specification("weighted"), "weighted", {}, "seed_running_total", False, [])
    c = client(e)
    path, _ = walk(e.model, [0, 0])
    first = c.post("/api/check", json={"path": ex.path_text(path), "liveness": False})
    assert first.status_code == 202
    again = c.post("/api/check", json={"path": "0"})
    if again.status_code == 202:  # the first had already finished: wait for the second
        _finish(c, again.json()["job"])
    else:
        assert again.status_code == 409 and "already running" in again.json()["error"]
    job = _finish(c, first.json()["job"])
    assert job["status"] == "done", job
    for t in job["result"]["traces"]:
        assert t["start"] == len(path) - 1
        assert ex.parse_path(t["path"])[: len(path)] == path
    assert any(t["kind"] == "counterexample" for t in job["result"]["traces"])


def test_a_check_can_be_cancelled() -> None:
    e = explorer("pbft", max_view="2")
    c = client(e)
    number = c.post("/api/check", json={"path": "0"}).json()["job"]
    cancelled = c.delete(f"/api/jobs/{number}").json()
    assert cancelled["status"] in ("cancelled", "done")
    assert c.get(f"/api/jobs/{number}").json()["status"] == cancelled["status"]


def test_the_phase_machine_starts_with_the_server_and_is_diagrams() -> None:
    from model_check.diagram import phase_machine, protocol_diagram, render_svg

    e = explorer("pbft", requests="1")
    with TestClient(web.create_app(e), base_url="http://127.0.0.1") as c:
        deadline = time.monotonic() + 120
        job = c.get("/api/phases").json()
        while job["status"] == "running" and time.monotonic() < deadline:
            time.sleep(0.2)
            job = c.get("/api/phases").json()
    assert job["status"] == "done", job
    machine = phase_machine(e.model)
    assert job["result"]["ids"] == {p: f"p{k}" for k, p in enumerate(machine.phases)}
    assert job["result"]["distinct"] == machine.distinct_states
    assert job["result"]["svg"] == render_svg(
        protocol_diagram(specification("pbft"), {"requests": "1"})
    )


def test_a_model_without_phases_says_so() -> None:
    e = explorer("weighted")
    bare = ex.Explorer(e.spec, Broken(e.model), e.setup, e.config)
    assert client(bare).get("/api/phases").json()["status"] == "none"


# --- determinism ---------------------------------------------------------------------


def test_answers_do_not_depend_on_the_hash_seed() -> None:
    code = (
        "import json; from model_check.explore import session as ex\n"
        "from spec.registry import specification as s\n"
        "out = []\n"
        "for p in ('pbft', 'weighted', 'iterative'):\n"
        "    e = ex.open_model(s(p), p, {}, None, False, []); path = (0,)\n"
        "    for c in (1, 0, 2, 1, 0, 1, 3, 2):\n"
        "        n = e.paths.node(path)\n"
        "        path += (c % len(n.enabled),) if n.enabled else ()\n"
        "    out.append(e.view(path))\n"
        "print(json.dumps(out))\n"
    )
    outs = {
        seed: subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("0", "1")
    }
    assert outs["0"] == outs["1"] and len(outs["0"]) > 1000


def test_a_jobs_process_body_sends_progress_then_its_result() -> None:
    """`jobs._run` (the job process's body) run here, over a pipe: what the server reads."""
    import multiprocessing

    from model_check.explore import jobs

    sent: list[tuple[str, Any]] = []
    for kind, args in (
        ("check", {"path": [0, 0], "limits": {"max_states": 50, "liveness": False}}),
        ("phases", {"limits": {"max_states": 200}}),
        ("check", {"path": [0, 99], "limits": {}}),  # a forged path: failed, said in one line
    ):
        receive, send = multiprocessing.Pipe(duplex=False)
        jobs._run(send, kind, ex.Setup("pbft", {"requests": "1"}), args)
        while True:  # until the closed end (the body closes its end when done)
            try:
                sent.append(receive.recv())
            except EOFError:
                break
    kinds = [what for what, _ in sent]
    assert kinds.count("done") == 2 and kinds[-1] == "failed"
    check_result = next(data for what, data in sent if what == "done")
    assert check_result["result"] == "incomplete" and check_result["distinct"] >= 50
    phases_result = [data for what, data in sent if what == "done"][1]
    assert phases_result["complete"] is False and phases_result["svg"].startswith("<?xml")
    assert "chooses action 99" in sent[-1][1]


def test_a_job_whose_process_dies_is_failed() -> None:
    from model_check.explore import jobs

    job = jobs.Job(1, "check", ex.Setup("no/such/model.py"), {"path": [0], "limits": {}})
    deadline = time.monotonic() + 60
    while job.to_json()["status"] == "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert job.status == "failed" and "no such model file" in (job.error or "")


def test_traces_that_are_no_behaviour_are_refused_where_they_go_wrong(tmp_path: Path) -> None:
    e = explorer("pbft", requests="1")
    model = e.model
    path, states = walk(model, [0, 0, 0])
    trace = e.trace_of(path)
    assert ex.ordinals(model, trace) == list(path)
    assert ex.ordinals(model, Trace(trace.steps[1:]), start=states[1]) == list(path[2:])
    with pytest.raises(ex.ExploreError, match="not the state the trace is to start from"):
        ex.ordinals(model, trace, start=states[1])
    wrong = TraceStep(trace.steps[2].action, False, states[0])
    with pytest.raises(ex.ExploreError, match=r"states\[2\]: the model's step reaches another"):
        ex.ordinals(model, Trace((*trace.steps[:2], wrong)))
    for text, says in (
        ("[1, 2]", "not an ITF trace (expected a JSON object)"),
        ('{"#meta": {"variant": 3}, "states": []}', "#meta.variant: expected a name"),
        ("{not json", "not valid JSON"),
    ):
        bad = tmp_path / "bad.itf.json"
        bad.write_text(text)
        with pytest.raises(ex.ExploreError, match=re.escape(says)):
            ex.open_model(specification("pbft"), "pbft", {}, None, False, [bad])
    good = tmp_path / "good.itf.json"
    good.write_text('{"#meta": {}, "states": 3}')
    with pytest.raises(ex.ExploreError, match=r"good\.itf\.json: states"):
        ex.load_trace(good, model)


class Odd(Tug):
    """The toy with a property whose code fails, and no initial state on demand."""

    empty = False

    def initial(self) -> list[int]:
        return [] if self.empty else [0]

    def invariants(self) -> list[Invariant[int]]:
        return [Invariant("fails", lambda s: 1 // (s - s) == 0)]


def test_a_propertys_failure_is_shown_and_an_empty_model_refused() -> None:
    e = explorer("weighted")
    odd = Odd()
    props = ex.Explorer(e.spec, odd, ex.Setup("toy")).view((0,))["properties"]
    assert props == [
        {
            "name": "fails",
            "kind": "invariant",
            "summary": "",
            "value": "ZeroDivisionError: integer division or modulo by zero",
            "tone": "bad",
        }
    ]
    odd.empty = True
    with pytest.raises(ex.ExploreError, match="no initial state"):
        ex.Explorer(e.spec, odd, ex.Setup("toy"))


def test_sequences_of_records_are_tables_and_other_values_text() -> None:
    e = explorer("iterative")
    path: tuple[int, ...] = (0,)
    for _ in range(12):  # far enough for a round's record in `proposals_history`
        enabled = e.paths.node(path).enabled
        if not enabled:
            break
        path += (len(enabled) - 1,)
    kinds = {s["name"]: s["kind"] for s in e.view(path)["state"]}
    assert kinds["proposals_history"] == "sequence"
    assert kinds["current_phase"] == "value"
    rows = next(s for s in e.view(path)["state"] if s["name"] == "proposals_history")["rows"]
    assert [r["cells"][0] for r in rows] == [str(i) for i in range(len(rows))]
