"""The oracle's Elixir client (issue 16 §4): an implementation in another language,
validated by `coordspec validate` (§1) and `coordspec serve` (§3).

tests/fixtures/elixir/ holds the seed's weighted-voting session and one honest PBFT
replica's normal case, written in Elixir from the seed's handler sketches, and drivers
that run them through fixed scenarios and write what they do as observation logs: the
session's events with what it exposes after each, and each replica's receipts and steps
with a Lamport clock, the three honest replicas' logs merged by clock (and replica 1's
alone). Three copies each seed one bug: a re-vote counted twice, a wrong prepare quorum,
a missing view check. The correct runs must be explained; each bug must be unexplained
at the line where it first shows, which each test finds from the log's own content (a
check written here, independent of the spec), not as a fixed number.

The five Elixir runs happen once per test session, side by side (about 4 s); each log
is validated by the CLI (about 0.5 s each, mostly start-up) and sent to one `serve`
process per run; the whole module takes 16-27 s.
"""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("elixir") is None,
    reason="elixir is not on PATH (make installs Debian's elixir package)",
)

ROOT = Path(__file__).resolve().parent.parent
ELIXIR = ROOT / "tests" / "fixtures" / "elixir"
CLI = [sys.executable, "-m", "model_check"]
Json = Any

#: Each Elixir run: the implementation file it loads and the driver that runs it.
RUNS = {
    "weighted": ("weighted_session.ex", "weighted_driver.exs"),
    "weighted_bug_revote": ("weighted_session_bug_revote.ex", "weighted_driver.exs"),
    "pbft": ("pbft_replica.ex", "pbft_driver.exs"),
    "pbft_bug_quorum": ("pbft_replica_bug_quorum.ex", "pbft_driver.exs"),
    "pbft_bug_view": ("pbft_replica_bug_view.ex", "pbft_driver.exs"),
}

WEIGHTED_LOGS = tuple(
    f"weighted_{name}.jsonl"
    for name in ("early_consensus", "revote", "assessment", "deadline", "random")
)
PBFT_LOGS = tuple(
    f"pbft_{name}{part}.jsonl"
    for name in ("normal", "equivocation", "foreign_view", "two_seqs")
    for part in ("", "_r1")
)

Line = tuple[int, dict[str, Json]]


# --- running the Elixir drivers, once per session ------------------------------------


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every Elixir run's output directory (all five started at once, then awaited)."""
    base = tmp_path_factory.mktemp("elixir")
    source = base / "src"
    shutil.copytree(ELIXIR, source)
    copies = _copies()
    for copy in copies.COPIES:  # the seeded-bug copies are made here, not kept
        (source / copy).write_text(copies.expected(copy))
    started: dict[str, subprocess.Popen[str]] = {}
    for run, (impl, driver) in RUNS.items():
        command = ["elixir", "-r", "coord_log.ex", "-r", impl, driver, str(base / run)]
        process = subprocess.Popen(
            command, cwd=source, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        started[run] = process
    for run, process in started.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, f"{run}: {err or out}"
        assert "warning" not in err, f"{run}: {err}"
    return {run: base / run for run in RUNS}


def _log(runs: dict[str, Path], run: str, name: str) -> Path:
    return runs[run] / name


def _protocol(name: str) -> str:
    return name.split("_", 1)[0]


def read_log(path: Path) -> list[Line]:
    """The log's lines but `#meta`, each with its file line number."""
    out = []
    for number, text in enumerate(path.read_text().splitlines(), 1):
        if text.strip():
            obj = json.loads(text)
            if "#meta" not in obj:
                out.append((number, obj))
    return out


def validate(path: Path) -> tuple[int, dict[str, Json]]:
    """`coordspec validate PROTOCOL LOG --json`: the exit code and the report."""
    done = subprocess.run(
        [*CLI, "validate", _protocol(path.name), str(path), "--json"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode in (0, 1), done.stderr or done.stdout
    report: dict[str, Json] = json.loads(done.stdout)
    return done.returncode, report


def serve(protocol: str, paths: Sequence[Path]) -> dict[str, list[dict[str, Json]]]:
    """Each log's lines sent one by one to one `coordspec serve PROTOCOL` (a reset
    between logs), one answer read per line: the answers, by log name."""
    process = subprocess.Popen(
        [*CLI, "serve", protocol],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    assert process.stdin is not None and process.stdout is not None

    def ask(text: str) -> dict[str, Json]:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(text + "\n")
        process.stdin.flush()
        answer = process.stdout.readline()
        assert answer, f"serve ended: {process.stderr.read() if process.stderr else ''}"
        reply: dict[str, Json] = json.loads(answer)
        return reply

    answers = {}
    try:
        for path in paths:
            assert ask(json.dumps({"reset": True})) == {"reset": True, "ok": True}
            texts = [t for t in path.read_text().splitlines() if t.strip()]
            answers[path.name] = [ask(t) for t in texts]
    finally:
        process.stdin.close()
        process.wait(timeout=60)
    return answers


@pytest.fixture(scope="session")
def online(runs: dict[str, Path]) -> dict[tuple[str, str], list[dict[str, Json]]]:
    """The serve answers to every log of every run, by (run, log name)."""
    out = {}
    for run, directory in runs.items():
        names = WEIGHTED_LOGS if run.startswith("weighted") else PBFT_LOGS
        answers = serve(_protocol(run), [directory / name for name in names])
        out.update({(run, name): a for name, a in answers.items()})
    return out


# --- where each bug shows, from the log's content alone --------------------------------


def first_thin_commit(lines: Sequence[Line], quorum: int = 2) -> int | None:
    """The first Commit whose (view, seq, digest) fewer than `quorum` (2f) replicas had
    logged a matching Prepare for, at a clock no later than the Commit's (equal clocks
    may be in any order)."""
    for number, line in lines:
        if line.get("event") != "Commit":
            continue
        key = line["args"]
        senders = {
            other["agent"]
            for _, other in lines
            if other.get("event") == "Prepare"
            and other["args"] == key
            and other["clock"] <= line["clock"]
        }
        if len(senders) < quorum:
            return number
    return None


def first_unbacked_commit(lines: Sequence[Line], quorum: int = 2) -> int | None:
    """The first Commit of a replica that had received, with its own, fewer than
    `quorum` (2f) matching PREPAREs (its log lists every message it received)."""
    for number, line in lines:
        if line.get("event") != "Commit":
            continue
        slot = {k: line["args"][k] for k in ("view", "seq", "digest")}
        senders = {line["agent"]}
        for earlier, other in lines:
            message = other.get("receive", {})
            mine = earlier < number and other.get("agent") == line["agent"]
            if mine and message.get("type") == "PREPARE" and message.items() >= slot.items():
                senders.add(message["replica"])
        if len(senders) < quorum:
            return number
    return None


def first_foreign_view(lines: Sequence[Line]) -> int | None:
    """The first step of a replica in a view other than the one it observes itself in."""
    for number, line in lines:
        if "event" in line and line["args"]["view"] != line["observe"]["view"]:
            return number
    return None


def first_double_count(lines: Sequence[Line]) -> int | None:
    """The first line whose `weighted_total` is not the sum, over each agent's latest
    vote (a re-vote replaces the earlier one), of its confidence times the agent's
    observed weight."""
    latest: dict[tuple[object, int], float] = {}
    for number, line in lines:
        session = line.get("session")
        if line.get("event") == "vote_submission":
            args = line["args"]
            latest[(session, args["agent_id"])] = args["confidence"]
        observe = line["observe"]
        expected = sum(
            c * observe["agent_weights"][agent] for (s, agent), c in latest.items() if s == session
        )
        if not math.isclose(observe["weighted_total"], expected, rel_tol=1e-9, abs_tol=1e-12):
            return number
    return None


#: Each seeded bug: its run, the log that shows it, where it shows, and the spec's reason
#: the verdict must give.
BUGS: dict[str, tuple[str, str, Callable[[Sequence[Line]], int | None], str]] = {
    "revote_counted_twice": (
        "weighted_bug_revote",
        "weighted_revote.jsonl",
        first_double_count,
        "weighted_total: the log says",
    ),
    "wrong_quorum": (
        "pbft_bug_quorum",
        "pbft_normal.jsonl",
        first_thin_commit,
        "is refused by prepared: replica 1 is not prepared",
    ),
    "missing_view_check": (
        "pbft_bug_view",
        "pbft_foreign_view.jsonl",
        first_foreign_view,
        "is refused by in_view: replica 1 is not in normal operation in view 4",
    ),
}


def content_check(name: str, lines: Sequence[Line]) -> int | None:
    """Where the content checks find a bug in a log (a merged log's quorum is checked by
    the senders' prepares, replica 1's alone by the prepares it received)."""
    if name.startswith("weighted"):
        return first_double_count(lines)
    merged = not name.endswith("_r1.jsonl")
    quorum = first_thin_commit(lines) if merged else first_unbacked_commit(lines)
    return quorum or first_foreign_view(lines)


def _logs() -> Iterator[tuple[str, str]]:
    yield from (("weighted", name) for name in WEIGHTED_LOGS)
    yield from (("pbft", name) for name in PBFT_LOGS)


# --- the tests ---------------------------------------------------------------------


def _copies() -> Any:
    """tests/fixtures/elixir/make_bug_copies.py, which makes the seeded-bug copies."""
    spec = importlib.util.spec_from_file_location("make_bug_copies", ELIXIR / "make_bug_copies.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_seeded_bug_copy_is_its_source_with_one_marked_change(tmp_path: Path) -> None:
    module = _copies()
    copies = {impl for impl, _ in RUNS.values()} - {"weighted_session.ex", "pbft_replica.ex"}
    assert set(module.COPIES) == copies
    for copy in sorted(copies):
        source, correct, buggy = module.COPIES[copy]
        text = module.expected(copy)
        assert "SEEDED BUG" in buggy and correct not in text
        assert text.replace(buggy, correct).endswith((ELIXIR / source).read_text())
    module.main([str(tmp_path)])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(copies)


def test_every_run_writes_every_scenario(runs: dict[str, Path]) -> None:
    for run, directory in runs.items():
        names = WEIGHTED_LOGS if run.startswith("weighted") else PBFT_LOGS
        assert sorted(p.name for p in directory.iterdir()) == sorted(names), run
        for name in names:
            assert len(read_log(directory / name)) >= 4, (run, name)


@pytest.mark.parametrize(("run", "name"), list(_logs()))
def test_a_correct_run_is_explained(run: str, name: str, runs: dict[str, Path]) -> None:
    path = _log(runs, run, name)
    assert content_check(name, read_log(path)) is None  # nor do the content checks
    code, report = validate(path)
    assert code == 0 and report["result"] == "explained", report
    assert all(s["result"] == "explained" for s in report["sessions"])


@pytest.mark.parametrize(("run", "name"), list(_logs()))
def test_a_correct_run_is_ok_online(
    run: str, name: str, online: dict[tuple[str, str], list[dict[str, Json]]]
) -> None:
    answers = online[(run, name)]
    assert answers[0] == {"line": 1, "ok": True, "meta": True}
    assert [a.get("ok") for a in answers] == [True] * len(answers), answers
    assert [a["line"] for a in answers] == list(range(1, len(answers) + 1))


@pytest.mark.parametrize("bug", list(BUGS))
def test_a_seeded_bug_is_unexplained_where_it_shows(
    bug: str,
    runs: dict[str, Path],
    online: dict[tuple[str, str], list[dict[str, Json]]],
) -> None:
    run, name, shows, reason = BUGS[bug]
    path = _log(runs, run, name)
    k = shows(read_log(path))
    assert k is not None
    code, report = validate(path)
    assert code == 1 and report["result"] == "unexplained", report
    verdict = report["sessions"][-1]
    assert verdict["line"] == k, verdict
    reasons = [r for d in verdict["diagnoses"] for r in d["reasons"]]
    assert any(reason in r for r in reasons), reasons
    answers = online[(run, name)]
    failed = [a for a in answers if not a.get("ok")]
    assert failed[0]["line"] == k and failed[0]["result"] == "unexplained", failed[0]
    assert all(a.get("ok") for a in answers[: k - 1])
    assert not any("error" in a for a in answers)


def test_a_missing_view_check_shows_in_replica_1s_log_alone(runs: dict[str, Path]) -> None:
    path = _log(runs, "pbft_bug_view", "pbft_foreign_view_r1.jsonl")
    k = first_foreign_view(read_log(path))
    code, report = validate(path)
    assert code == 1 and report["sessions"][-1]["line"] == k is not None


def test_a_wrong_quorum_shows_in_replica_1s_log_alone(runs: dict[str, Path]) -> None:
    """Replica 1's log lists every message it received (`#meta.receipts`), so its early
    commit is not backed by 2f matching prepares, even with replicas 2 and 3 silent."""
    path = _log(runs, "pbft_bug_quorum", "pbft_normal_r1.jsonl")
    k = first_unbacked_commit(read_log(path))
    code, report = validate(path)
    assert code == 1 and report["sessions"][-1]["line"] == k is not None, report
    reasons = [r for d in report["sessions"][-1]["diagnoses"] for r in d["reasons"]]
    assert any("is not backed by what it received" in r for r in reasons), reasons
