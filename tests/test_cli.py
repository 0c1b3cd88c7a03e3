"""The `coordspec` command line: commands, exit codes, one-line errors, determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import spec
from model_check import cli
from model_check.progress import Activity
from spec import registry
from spec.registry import Registration

ROOT = Path(__file__).resolve().parent.parent
RUMOR = str(ROOT / "tests" / "models" / "rumor.py")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def fixture_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the rumor fixture as if it were a protocol."""
    monkeypatch.setattr(spec, "PROTOCOLS", (Registration("tests.models.rumor"),))


def test_no_arguments_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys)
    assert code == 0
    assert "check" in out and "list" in out


def test_check_model_file_reports_counterexample(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    trace = tmp_path / "cex.itf.json"
    code, out, _ = run(capsys, "check", RUMOR, "--agents", "3", "--trace-out", str(trace))
    assert code == 1
    assert "Counterexample: invariant not_all_informed violated in 2 steps" in out
    assert "tell(sender=a, receiver=b)" in out
    assert "Result: VIOLATION" in out
    itf = json.loads(trace.read_text())
    assert itf["vars"] == ["informed", "told", "mbt::actionTaken", "mbt::nondetPicks"]
    assert [s["mbt::actionTaken"] for s in itf["states"]] == ["init", "tell", "tell"]
    assert itf["#meta"]["property"] == "not_all_informed"
    assert itf["states"][1]["mbt::nondetPicks"]["sender"] == {"tag": "Some", "value": "a"}


def test_witness_traces_are_written_and_conform(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--witness-out writes each reached witness as ITF; each replays through the spec.
    (One configuration's: `--preset default`, since `check pbft` alone is a portfolio.)"""
    out_dir = tmp_path / "witnesses"
    args = ("check", "pbft", "--preset", "default", "--witness-out", str(out_dir), "--quiet")
    code, out, _ = run(capsys, *args)
    assert code == 0 and "3 witness traces written" in out
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == [
        "executed_after_view_change.itf.json",
        "executed_in_view_0.itf.json",
        "view_change_despite_equivocation.itf.json",
    ]
    for path in sorted(out_dir.iterdir()):
        assert json.loads(path.read_text())["#meta"]["witness"] == path.name.split(".")[0]
        code, out, _ = run(capsys, "conform", "pbft", str(path))
        assert code == 0 and out.startswith("conforms:")


def test_check_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", RUMOR, "--agents=4", "--json", "--continue")
    assert code == 1
    data = json.loads(out)
    assert data["protocol"] == "rumor"
    assert data["config"] == {"agents": 4}
    assert data["result"] == "violation"
    assert data["complete"] is True
    # A state is a tree of who told whom, rooted at `a`: with k of the 4 agents informed
    # there are C(3, k-1) * k**(k-2) of them (Cayley), so 1 + 3 + 9 + 16 = 29.
    assert data["distinct_states"] == 29
    kinds = {p["name"]: (p["kind"], p["status"]) for p in data["properties"]}
    assert kinds == {
        "not_all_informed": ("invariant", "violated"),
        "deadlock": ("deadlock", "holds"),
        "two_informed": ("witness", "reached"),
    }
    assert data["counterexample"]["length"] == 3
    assert data["counterexample"]["itf"]["states"][0]["mbt::actionTaken"] == "init"


def test_check_simulation(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "check", RUMOR, "--simulate", "5", "--depth", "10", "--seed", "7", "--json"
    )
    assert code == 1
    data = json.loads(out)
    assert data["mode"] == "simulation"
    assert data["complete"] is False
    assert data["counterexample"]["property"] == "not_all_informed"


def test_check_bounds_are_reported(capsys: pytest.CaptureFixture[str]) -> None:
    """A run a cap stopped proves nothing: never "OK", exit 3 (not 0, not 1)."""
    code, out, _ = run(capsys, "check", RUMOR, "--max-depth", "1", "--full-states")
    assert code == 3
    assert "Incomplete: stopped by the --max-depth bound of 1 steps" in out
    assert "full states" in out
    assert "Result: INCOMPLETE (stopped by the --max-depth bound of 1 steps" in out
    assert "Result: OK" not in out
    code, out, _ = run(capsys, "check", RUMOR, "--agents", "6", "--max-states", "5", "--quiet")
    assert code == 3
    assert "Result: INCOMPLETE (stopped by the --max-states cap of 5 distinct states" in out
    code, out, _ = run(capsys, "check", RUMOR, "--max-states", "5", "--json", "--quiet")
    data = json.loads(out)
    assert code == 3 and data["result"] == "incomplete" and data["complete"] is False


def test_simulation_without_violation_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    """As TLC's simulation: nothing found in N walks is exit 0, and not called "OK"."""
    args = ("check", "tests/models/tcommit.py", "--simulate", "20", "--depth", "8", "--quiet")
    code, out, _ = run(capsys, *args)
    assert code == 0
    assert "Result: NO VIOLATION FOUND in 20 walks of depth 8" in out
    assert "Result: OK" not in out
    code, out, _ = run(capsys, *args, "--json")
    assert code == 0 and json.loads(out)["result"] == "no_violation_found"


def test_continue_reports_every_violated_property(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--continue: each violated property's shortest counterexample, in the table, in
    --json and as one ITF file per property."""
    trace = tmp_path / "cex.itf.json"
    model = [str(ROOT / "tests" / "models" / "mutex.py"), "--fair-release", "false"]
    code, out, _ = run(capsys, "check", *model, "--continue", "--trace-out", str(trace), "--quiet")
    assert code == 1
    titles = [line.strip() for line in out.splitlines() if line.startswith("Counterexample: ")]
    assert titles == [
        "Counterexample: eventually lock_released violated in 3 steps",
        "Counterexample: eventually p1_enters violated in 10 steps",
    ]
    written = sorted(p.name for p in tmp_path.iterdir())
    assert len(written) == len(titles)
    assert all(name.startswith("cex.") and name.endswith(".itf.json") for name in written)
    for name in written:
        prop = name[len("cex.") : -len(".itf.json")]
        itf = json.loads((tmp_path / name).read_text())
        assert itf["#meta"]["property"] == prop
    code, out, _ = run(capsys, "check", *model, "--continue", "--json", "--quiet")
    data = json.loads(out)
    assert [c["property"] for c in data["counterexamples"]] == ["lock_released", "p1_enters"]
    assert data["counterexample"] == data["counterexamples"][0]
    violated = {p["name"] for p in data["properties"] if p["status"] == "violated"}
    assert {c["property"] for c in data["counterexamples"]} == violated


def test_trace_out_into_a_missing_directory_is_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "nosuch" / "cex.itf.json"
    code, out, err = run(capsys, "check", RUMOR, "--trace-out", str(target), "--quiet")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "no such directory" in err


def test_ctrl_c_prints_the_partial_report_and_exits_130() -> None:
    """SIGINT during a long search: the partial report (states so far), exit 130."""
    import signal
    import time

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "model_check", "check", "pbft", "--max-view", "2"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    line = process.stderr.readline()  # the first progress line: the search is under way
    assert line.startswith("Progress (pbft): "), line
    time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "Result: INTERRUPTED (Ctrl-C)" in out
    assert "Incomplete: stopped by an interrupt (Ctrl-C)" in " ".join(out.split())
    assert "Traceback" not in err
    assert "unknown" in out  # properties not decided are not claimed


CLASH = """
import attrs
from spec.core import Config, Model, Specification, param

@attrs.frozen
class C(Config):
    depth: int = param(1, low=0, high=9, help="a parameter named like --depth")

class M(Model):
    def initial(self): return (0,)
    def honest_actions(self, s): return ()
    def step(self, s, a): return s
    def invariants(self): return ()
    def terminal_ok(self, s): return True

SPEC = Specification("clash", "a model whose parameter clashes", C, lambda c: M())
"""

#: The start of a model file with no parameters, its class `M` half written.
HEADER = """
import attrs
from spec.core import Config, Model, Specification, eventually, param

@attrs.frozen
class C(Config):
    pass

class M(Model):
    def initial(self): return (0,)
"""

TYPO = (
    HEADER
    + """    def honest_actions(self, s): return ("check",) if s == 0 else ()
    def step(self, s, a): return 1
    def invariants(self): return ()
    def terminal_ok(self, s): return True
    def action_class(self, a): return "check"
    def eventually(self):
        @eventually("chek")
        def done(s):
            return s == 1
        return (done,)

SPEC = Specification("typo", "a fairness class misspelt", C, lambda c: M())
"""
)


@pytest.mark.parametrize(
    ("source", "args", "message"),
    [
        (CLASH, ["--depth", "5"], "the model parameter 'depth' is named like the option --depth"),
        (CLASH, [], "the model parameter 'depth' is named like the option --depth"),
        (TYPO, [], "property done is fair to the class 'chek', which is not among"),
        (
            TYPO.replace('    def action_class(self, a): return "check"\n', "").replace(
                "class M(Model):",
                "class M(Model):\n    def action_classes(self): return ('check',)",
            ),
            ["--no-liveness"],
            "fair to the class 'chek', which is not among the model's action classes (check)",
        ),
    ],
)
def test_model_errors_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    source: str,
    args: list[str],
    message: str,
) -> None:
    model = tmp_path / "model.py"
    model.write_text(source)
    code, out, err = run(capsys, "check", str(model), "--quiet", *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err, err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", RUMOR, "--agents", "9"], "agents: expected an integer in 2..8, got 9"),
        (["check", RUMOR, "--agents", "x"], "agents: expected an integer in 2..8, got 'x'"),
        (["check", RUMOR, "--agnts", "3"], "unknown option --agnts: rumor's parameters are"),
        (["check", RUMOR, "--agents"], "option --agents needs a value"),
        (["check", RUMOR, "stray"], "unexpected argument 'stray'"),
        (["check", "nosuch"], "unknown protocol 'nosuch'"),
        (["check", "missing/model.py"], "no such model file: missing/model.py"),
        (["check", "--agents", "3"], "parameters need a protocol"),
        (["check", "--trace-out", "x.json"], "--trace-out and --witness-out need a protocol"),
        (["check", "--witness-out", "d"], "--trace-out and --witness-out need a protocol"),
        (["check", RUMOR, "--witness-out", "pyproject.toml"], "is a file, not a directory"),
        (["check", RUMOR, "--max-depth", "x"], "--max-depth"),
        (["nosuchcommand"], "nosuchcommand"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("coordspec: error: ")
    assert message in lines[0]


def test_file_without_spec(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    model = tmp_path / "nothing.py"
    model.write_text("X = 1\n")
    code, _, err = run(capsys, "check", str(model))
    assert code == 2
    assert "defines no SPEC" in err


BROKEN = """
import attrs
from spec.core import Config, GuardError, Model, Specification

@attrs.frozen
class Cfg(Config):
    pass

@attrs.frozen
class Go:
    pass

class Broken(Model[int, Go]):
    def __init__(self, config: Cfg) -> None:
        pass
    def initial(self):
        return [0]
    def honest_actions(self, state):
        return [Go()]
    def step(self, state, action):
        raise GuardError("go", "never", "this model lists an action it rejects")
    def invariants(self):
        return []

SPEC = Specification("broken", "a model that breaks the contract", Cfg, Broken)
"""


def test_contract_breach_is_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    model = tmp_path / "broken.py"
    model.write_text(BROKEN)
    code, _, err = run(capsys, "check", str(model))
    assert code == 2
    assert "lists Go() as enabled but step rejects it" in err
    assert "guard never failed" in err


def test_check_all_registered(capsys: pytest.CaptureFixture[str], fixture_registry: None) -> None:
    code, out, _ = run(capsys, "check")
    assert code == 1
    assert "rumor" in out and "violation" in out and "not_all_informed" in out
    code, out, _ = run(capsys, "check", "--json")
    assert code == 1
    assert [r["protocol"] for r in json.loads(out)["results"]] == ["rumor"]
    code, out, _ = run(capsys, "check", "rumor", "--agents", "2", "--json")
    assert json.loads(out)["distinct_states"] == 2


def test_list(capsys: pytest.CaptureFixture[str], fixture_registry: None) -> None:
    code, out, _ = run(capsys, "list")
    assert code == 0
    assert "rumor: rumor spreading" in out
    assert "--agents (default 4; an integer in 2..8): number of agents" in out
    assert "invariant not_all_informed" in out
    assert "witness two_informed" in out


def test_nothing_registered(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spec, "PROTOCOLS", ())
    assert run(capsys, "list")[1].startswith("No protocols are registered")
    code, out, _ = run(capsys, "check")
    assert code == 0
    assert "nothing to check" in out


def _coordspec(seed: str, *args: str) -> str:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    done = subprocess.run(
        [sys.executable, "-m", "model_check", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    return done.stdout


def test_output_is_identical_across_hash_seeds() -> None:
    """Counts and counterexamples do not depend on PYTHONHASHSEED."""
    args = ("check", RUMOR, "--agents", "5", "--continue")
    first = json.loads(_coordspec("0", *args, "--json"))
    second = json.loads(_coordspec("4242", *args, "--json"))
    first.pop("seconds")
    second.pop("seconds")
    assert first == second

    def text(seed: str) -> list[str]:
        out = _coordspec(seed, *args, "--quiet")
        return [line for line in out.splitlines() if not line.startswith("Time:")]

    assert text("1") == text("977")


# --- errors are one line and exit 2, everywhere (through the CLI as a subprocess) ---

BOOM = (
    HEADER
    + """    def honest_actions(self, s): return ("inc",) if s < 3 else ()
    def step(self, s, a):
        if s == 2:
            raise ZeroDivisionError("division by zero")
        return s + 1
    def invariants(self): return ()
    def terminal_ok(self, s): return True

SPEC = Specification("boom", "raises in step", C, lambda c: M())
"""
)


def coordspec(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m model_check ARGS` in a subprocess, as a user runs it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "model_check", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("import attrs\nx = (\n", ":2: syntax error: '(' was never closed"),
        ("raise RuntimeError('no config here')\n", "RuntimeError while loading: no config here"),
        (
            BOOM,
            "boom: model error in M: ZeroDivisionError: division by zero "
            "(in 'inc' from a state at depth 2; --debug shows the traceback)",
        ),
        (
            BOOM.replace("raise ZeroDivisionError", "pass  #").replace(
                "return s + 1", "return [s + 1]"
            ),
            "TypeError: cannot fingerprint a value of type list",
        ),
    ],
    ids=["syntax", "import", "step raises", "list in a state"],
)
def test_model_code_errors_are_one_line_and_exit_2(
    tmp_path: Path, source: str, message: str
) -> None:
    model = tmp_path / "model.py"
    model.write_text(source)
    done = coordspec("check", str(model), "--quiet")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
    as_json = coordspec("check", str(model), "--quiet", "--json")
    assert as_json.returncode == 2 and as_json.stderr == ""
    assert message in json.loads(as_json.stdout)["error"]


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    model = tmp_path / "model.py"
    model.write_text(BOOM)
    done = coordspec("check", str(model), "--quiet", "--debug")
    assert done.returncode == 2
    assert "Traceback (most recent call last)" in done.stderr
    assert 'raise ZeroDivisionError("division by zero")' in done.stderr
    assert done.stderr.rstrip().splitlines()[-1].startswith("coordspec: error: boom: model error")


# --- small things ----------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    code, out, _ = run(capsys, "--version")
    assert code == 0 and out == f"coordspec {version('coordspec')}\n"


def test_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "--json")
    assert code == 0
    protocols = {p["name"]: p for p in json.loads(out)["protocols"]}
    assert tuple(protocols) == registry.names()
    pbft = protocols["pbft"]
    assert pbft["parameters"][0] == {
        "name": "replicas",
        "option": "--replicas",
        "kind": "int",
        "default": "4",
        "allowed": "an integer in 1..10",
        "help": "n, the number of replicas",
    }
    kinds = {p["name"]: p["kind"] for p in pbft["properties"]}
    assert kinds["agreement"] == "invariant" and kinds["requests_answered"] == "leads_to"


def test_protocol_help_lists_its_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "pbft", "--help")
    assert code == 0
    assert "--max-depth" in out  # the checker's own options
    assert "Parameters of pbft" in out
    assert "--max-view (default 1; an integer in 0..4)" in out


def test_progress_names_the_protocol_when_not_a_terminal() -> None:
    """The weighted portfolio (the one real portfolio run of the suite, about 8 s): each
    line names the protocol and the preset being checked."""
    done = coordspec("check", "weighted")
    assert done.returncode == 0
    assert done.stdout.splitlines()[-1] == "Result: OK (3 runs)"
    lines = done.stderr.splitlines()
    assert lines and all(line.startswith("Progress (weighted, preset ") for line in lines), lines
    assert any(line.startswith("Progress (weighted, preset default): ") for line in lines)


def test_progress_on_a_terminal_is_a_status_line() -> None:
    """On a terminal the news replaces itself in one status line; quiet says nothing."""
    import io

    from rich.console import Console

    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=100)
    with Activity(quiet=False, console=terminal) as activity:
        assert activity.status is not None
        activity.say("prove: quorum_intersection (1/6)")
        spinner = activity.status.renderable
        assert "prove: quorum_intersection (1/6)" in str(getattr(spinner, "text", ""))
    plain = io.StringIO()
    with Activity(quiet=False, console=Console(file=plain, width=100)) as activity:
        assert activity.status is None
        activity.say("prove: quorum_intersection (1/6)")
    assert plain.getvalue() == "prove: quorum_intersection (1/6)\n"
    silent = io.StringIO()
    with Activity(quiet=True, console=Console(file=silent, force_terminal=True)) as quiet:
        quiet.say("anything")
    assert silent.getvalue() == ""


def test_prove_reports_each_proof_as_it_goes() -> None:
    done = coordspec("prove", "quorum_intersection")
    assert done.returncode == 0
    assert done.stderr.splitlines() == [
        "prove: quorum_intersection (1/1)",
        "prove: quorum_intersection's twin (1/1)",
    ]
    assert coordspec("prove", "quorum_intersection", "--quiet").stderr == ""


def test_model_errors_in_generate_and_diagram_are_one_line(tmp_path: Path) -> None:
    model = tmp_path / "model.py"
    model.write_text(
        BOOM.replace("if s == 2:", "if True:").replace(
            "    def terminal_ok(self, s): return True",
            "    def terminal_ok(self, s): return True\n    def phase(self, s): return str(s)",
        )
    )
    for args in (["generate", str(model), "--out", str(tmp_path / "v")], ["diagram", str(model)]):
        done = coordspec(*args, "--quiet")
        assert done.returncode == 2 and done.stdout == "", args
        assert done.stderr.count("\n") == 1, done.stderr
        assert "ZeroDivisionError: division by zero" in done.stderr


def test_findings_point_at_nothing_outside_the_repository() -> None:
    text = (ROOT / "spec" / "FINDINGS.md").read_text()
    assert "../" not in text and "/shared/" not in text


def test_traces_of_variants_and_unsafe_runs_replay(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`#meta` records --variant and --allow-unsafe-faults, and `conform` honours them."""
    unsafe = tmp_path / "unsafe.itf.json"
    args = ("check", "pbft", "--faulty", "0,1", "--allow-unsafe-faults", "--quiet")
    assert run(capsys, *args, "--trace-out", str(unsafe))[0] == 1
    assert json.loads(unsafe.read_text())["#meta"]["allow_unsafe_faults"] is True
    code, out, _ = run(capsys, "conform", "pbft", str(unsafe))
    assert code == 0 and out.startswith("conforms: 3 steps"), out
    # its pinned agreement is not the first to break (new_view_o_from_v is): --continue
    # is switched on, and each property's counterexample has its own file
    named = ("check", "pbft", "--variant", "new_view_ignores_p", "--quiet")
    assert run(capsys, *named, "--trace-out", str(tmp_path / "variant.itf.json"))[0] == 1
    variant = tmp_path / "variant.agreement.itf.json"
    obj = json.loads(variant.read_text())
    assert obj["#meta"]["variant"] == "new_view_ignores_p"
    code, out, _ = run(capsys, "conform", "pbft", str(variant))
    assert code == 0 and out.startswith("conforms: 14 steps"), out
    obj["#meta"]["variant"] = "no_such_variant"
    variant.write_text(json.dumps(obj))
    code, _, err = run(capsys, "conform", "pbft", str(variant))
    assert code == 2 and "#meta.variant: no variant 'no_such_variant'" in err


def test_presets(capsys: pytest.CaptureFixture[str], fixture_registry: None) -> None:
    code, out, _ = run(capsys, "list")
    assert "preset default: the default bounds" in out
    assert "preset pair: two agents: the smallest rumor (--agents 2)" in out
    presets = json.loads(run(capsys, "list", "--json")[1])["protocols"][0]["presets"]
    assert [p["name"] for p in presets] == ["default", "pair"]
    assert presets[1]["params"] == {"agents": "2"}
    code, out, _ = run(capsys, "check", "rumor", "--preset", "pair", "--json", "--quiet")
    assert code == 1 and json.loads(out)["config"]["agents"] == 2
    # --name value overrides the preset's value
    code, out, _ = run(capsys, "check", "rumor", "--preset", "pair", "--agents", "3", "--json")
    assert json.loads(out)["config"]["agents"] == 3
    code, _, err = run(capsys, "check", "rumor", "--preset", "nope")
    assert code == 2
    assert err.strip().endswith("no preset 'nope' of rumor; the presets are: default, pair")
    code, _, err = run(capsys, "check", "--preset", "pair")
    assert code == 2 and "--preset needs a protocol" in err


def test_preset_and_variant_do_not_combine(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys, "check", "pbft", "--variant", "commit_quorum_2f", "--preset", "default"
    )
    assert code == 2 and "--preset and --variant do not combine" in err


def test_list_names(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "--names")
    assert code == 0 and tuple(out.split()) == registry.names()
