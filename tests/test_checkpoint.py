"""Checkpoints of the sequential search: a resumed run's result is the uninterrupted one's.

In-process: a snapshot at every safe point of small models (liveness lassos, invariant
and deadlock counterexamples, witnesses, symmetry, whole states), resumed, gives the
same `CheckResult` (timings aside). Out of process: `coordspec check --checkpoint`
killed (SIGKILL) at 20 seeded random moments, some of them inside a snapshot's write,
and resumed, prints the same `--json` and writes the same ITF bytes; SIGTERM writes a
snapshot and stops. Damaged files and resumes of another model, configuration, option
or source are refused in one line, exit 2.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
import pytest

from model_check import checkpoint, cli
from model_check.checkpoint import (
    FILE_NAME,
    PAUSE_ENV,
    TEMP_NAME,
    Checkpointer,
    CheckpointError,
    difference,
)
from model_check.engine import Options, Progress, check
from model_check.report import to_json
from model_check.result import CheckResult
from spec.core import Config, Invariant, Model, invariant
from spec.variants import find_variant
from tests.harness.profiles import THOROUGH

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "tests" / "models"
#: A variant with a liveness violation (two lassos), witnesses unreached, symmetry on:
#: about 2,600 states, 0.4 s of search.
VARIANT = ["pbft", "--variant", "seed_prepare_rule_silent_backup", "--max-view", "2"]


def strip(result: CheckResult) -> CheckResult:
    """The result without its timing."""
    return attrs.evolve(result, seconds=0.0)


def model_file(name: str) -> Model[Any, Any]:
    """The default model of a file of tests/models."""
    return cli.load_spec(str(MODELS / f"{name}.py")).model()


def cut_and_resume(
    model: Model[Any, Any], options: Options, at: int, directory: Path
) -> tuple[CheckResult, Checkpointer]:
    """Run until `at` expansions, write a snapshot and stop; resume it to the end."""
    first = Checkpointer(directory, stride=1, stop_after=at)
    partial = check(model, options, first)
    if not first.stopped:  # the search ended before `at` expansions
        return partial, first
    assert partial.interrupted and partial.result in ("interrupted", "violation")
    assert (directory / FILE_NAME).is_file()
    again = Checkpointer(resume=directory, stride=1)
    return check(model, options, again), again


# -- every safe point, in process ---------------------------------------------------------

OPTIONS = {
    "first": Options(),
    "continue": Options(stop_at_first=False),
    "full_states": Options(fingerprints=False, stop_at_first=False),
    "max_depth": Options(max_depth=4, stop_at_first=False),
}


@pytest.mark.parametrize("name", ["peterson", "mutex", "knuth_yao", "diehard", "tokens"])
@pytest.mark.parametrize("how", sorted(OPTIONS))
def test_every_safe_point_resumes_to_the_same_result(name: str, how: str, tmp_path: Path) -> None:
    model = model_file(name)
    options = OPTIONS[how]
    whole = check(model, options)
    cuts = 0
    for at in range(whole.distinct_states + 1):
        directory = tmp_path / str(at)
        resumed, saver = cut_and_resume(model, options, at, directory)
        assert strip(resumed) == strip(whole), (name, how, at)
        cuts += saver.resume is not None
    assert cuts >= 1


@pytest.mark.parametrize("name", ["hanoi", "twophase"])
def test_sampled_safe_points_of_larger_models(name: str, tmp_path: Path) -> None:
    model = model_file(name)
    options = Options(stop_at_first=False)
    whole = check(model, options)
    for at in range(0, whole.distinct_states, 23):
        resumed, _ = cut_and_resume(model, options, at, tmp_path / str(at))
        assert strip(resumed) == strip(whole), (name, at)


def test_pbft_variant_lassos_and_symmetry_survive_a_resume(tmp_path: Path) -> None:
    """A symmetry-reduced search with two liveness lassos, cut at several points, some
    of them twice (three segments); `--json`'s object is the same too."""
    variant = find_variant("pbft", "seed_prepare_rule_silent_backup")
    model = variant.model(variant.config)
    options = Options(stop_at_first=False)
    whole = check(model, options)
    assert whole.symmetry and any(c.trace.loop is not None for c in whole.counterexamples)
    config = variant.config.as_dict()
    expected = to_json("pbft", config, whole, model)
    for at in (0, 1, 37, 120, 200, whole.distinct_states - 1):
        resumed, _ = cut_and_resume(model, options, at, tmp_path / str(at))
        assert strip(resumed) == strip(whole), at
        got = to_json("pbft", config, resumed, model)
        assert {**got, "seconds": 0} == {**expected, "seconds": 0}
    # Three segments: cut at 50, resume and cut at 150, resume to the end.
    directory = tmp_path / "three"
    check(model, options, Checkpointer(directory, stride=1, stop_after=50))
    middle = Checkpointer(resume=directory, stride=1, stop_after=150)
    assert check(model, options, middle).interrupted and middle.stopped
    last = check(model, options, Checkpointer(resume=directory))
    assert strip(last) == strip(whole)
    assert last.seconds > 0


def test_a_resumed_run_goes_on_writing_snapshots(tmp_path: Path) -> None:
    model = model_file("twophase")
    options = Options(stop_at_first=False)
    whole = check(model, options)
    check(model, options, Checkpointer(tmp_path / "a", stride=1, stop_after=10))
    onwards = Checkpointer(tmp_path / "b", resume=tmp_path / "a", stride=1, every=1e-9)
    assert strip(check(model, options, onwards)) == strip(whole)
    assert onwards.writes > 100 and onwards.last_bytes > 0 and onwards.load_seconds > 0
    assert (tmp_path / "b" / FILE_NAME).is_file()


# -- signals, in process ------------------------------------------------------------------


def raising(sig: signal.Signals, times: int) -> Callable[[Progress], None]:
    """A progress callback that raises `sig` `times` times on its first call."""
    calls = []

    def report(_: Progress) -> None:
        calls.append(1)
        if len(calls) == 1:
            for _n in range(times):
                signal.raise_signal(sig)

    return report


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_writes_a_snapshot_and_stops(sig: signal.Signals, tmp_path: Path) -> None:
    model = model_file("paxos")
    options = Options(stop_at_first=False)
    whole = check(model, options)
    watched = attrs.evolve(options, progress=raising(sig, 1), progress_interval=0.0)
    saver = Checkpointer(tmp_path)
    before = signal.getsignal(sig)
    partial = check(model, watched, saver)
    assert signal.getsignal(sig) == before  # the handlers are put back
    assert partial.interrupted and saver.stopped
    word = "SIGTERM" if sig == signal.SIGTERM else "Ctrl-C"
    assert partial.incomplete_reason == f"an interrupt ({word})"
    assert strip(check(model, options, Checkpointer(resume=tmp_path))) == strip(whole)


def test_a_second_signal_stops_at_once_without_a_snapshot(tmp_path: Path) -> None:
    model = model_file("paxos")
    watched = Options(stop_at_first=False, progress=raising(signal.SIGINT, 2))
    watched = attrs.evolve(watched, progress_interval=0.0)
    saver = Checkpointer(tmp_path)
    partial = check(model, watched, saver)
    assert partial.interrupted and not saver.stopped
    assert saver.writes == 0


def test_signals_off_or_outside_the_main_thread_are_left_alone(tmp_path: Path) -> None:
    import threading

    model = model_file("peterson")
    results: list[CheckResult] = []
    worker = threading.Thread(
        target=lambda: results.append(check(model, Options(), Checkpointer(tmp_path / "t")))
    )
    worker.start()
    worker.join()
    off = check(model, Options(), Checkpointer(tmp_path / "o", signals=False))
    assert strip(results[0]) == strip(off) == strip(check(model, Options()))


# -- refusals, in process -----------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_error(err: str) -> str:
    """The one line of a refusal, without its prefix."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("coordspec: error: "), err
    return lines[0].removeprefix("coordspec: error: ")


@pytest.fixture
def saved(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A checkpoint of the pbft variant, cut at its 100th expansion."""
    directory = tmp_path / "ck"
    variant = find_variant("pbft", "seed_prepare_rule_silent_backup")
    model = variant.model(variant.config)
    saver = Checkpointer(
        directory, stride=1, stop_after=100, label="pbft --variant " + variant.name
    )
    check(model, Options(), saver)
    assert saver.stopped
    return directory


def test_the_cli_resumes_a_snapshot_to_the_same_json(
    saved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["check", *VARIANT[:3], "--json", "--quiet"]
    code, out, _ = run(capsys, *args)
    expected = json.loads(out)
    resumed_code, resumed, _ = run(capsys, *args, "--resume", str(saved))
    assert (resumed_code, code) == (1, 1)
    assert {**json.loads(resumed), "seconds": 0} == {**expected, "seconds": 0}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--max-view", "2"],
            "resume: the checkpoint is of pbft --variant seed_prepare_rule_silent_backup "
            "with max_view=1, this run asks max_view=2",
        ),
        (
            ["--no-liveness"],
            "resume: the checkpoint's search has check_liveness=true, "
            "this run asks check_liveness=false",
        ),
        (
            ["--no-symmetry"],
            "resume: the checkpoint's search has symmetry=true, this run asks symmetry=false",
        ),
        (
            ["--max-states", "9"],
            "resume: the checkpoint's search has max_states=null, this run asks max_states=9",
        ),
    ],
)
def test_a_resume_of_another_config_or_option_is_refused(
    saved: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    code, _, err = run(capsys, "check", *VARIANT[:3], *extra, "--resume", str(saved))
    assert code == 2
    assert one_error(err) == message


def test_a_resume_of_another_model_is_refused(
    saved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "check", "pbft", "--faulty", "3", "--resume", str(saved))
    assert code == 2
    assert one_error(err) == (
        "resume: the checkpoint is of pbft --variant seed_prepare_rule_silent_backup "
        "(spec.variants.pbft.SeedPrepareRule), this run checks pbft (spec.pbft.Pbft)"
    )


def test_a_resume_after_the_model_source_changed_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "peterson.py"
    shutil.copy(MODELS / "peterson.py", source)
    directory = tmp_path / "ck"
    model = cli.load_spec(str(source)).model()
    check(model, Options(), Checkpointer(directory, stride=1, stop_after=3, label="peterson"))
    source.write_text(source.read_text() + "\n# an edit\n")
    code, _, err = run(capsys, "check", str(source), "--resume", str(directory))
    assert code == 2
    assert one_error(err) == (
        "resume: the sources differ from the checkpoint's: peterson.py changed since it was written"
    )


def test_differences_are_named_in_words() -> None:
    base: dict[str, Any] = {
        "label": "m",
        "model": "x.M",
        "params": [["a", "1"]],
        "unsafe": False,
        "options": {"max_depth": None},
        "sources": [["spec/core/model.py", "00"]],
    }
    assert difference(base, base) is None
    fewer = {**base, "params": []}
    assert (
        difference(fewer, base) == "the checkpoint is of m with no parameter a, this run asks a=1"
    )
    assert (
        difference(base, fewer) == "the checkpoint is of m with a=1, this run asks no parameter a"
    )
    unsafe = {**base, "unsafe": True}
    assert difference(unsafe, base) == (
        "the checkpoint is of m with --allow-unsafe-faults, this run is without it"
    )
    grown = {**base, "sources": [*base["sources"], ["spec/new.py", "11"]]}
    assert difference(base, grown) == (
        "the sources differ from the checkpoint's: spec/new.py is new since it was written"
    )
    assert difference(grown, base) == (
        "the sources differ from the checkpoint's: spec/new.py is gone since it was written"
    )


def damage(path: Path, how: str) -> None:
    """Tear, corrupt or rewrite the header of a checkpoint file."""
    data = bytearray(path.read_bytes())
    if how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif how == "header_only":
        path.write_bytes(data[:20])
    elif how == "flip":
        data[len(data) - 100] ^= 0xFF
        path.write_bytes(data)
    elif how == "magic":
        path.write_bytes(b"NOTCKPT!" + data[8:])
    elif how == "version":
        path.write_bytes(data[:8] + (99).to_bytes(4, "little") + data[12:])
    elif how == "directory":
        path.unlink()
        path.mkdir()


@pytest.mark.parametrize(
    ("how", "words"),
    [
        ("truncate", "is damaged (truncated: "),
        ("header_only", "is damaged (truncated: 20 bytes)"),
        ("flip", "is damaged (its SHA-256 does not match its contents)"),
        ("magic", "is damaged (not a coordspec checkpoint)"),
        ("version", "is of checkpoint format 99; this coordspec reads format 1"),
        ("directory", "cannot read"),
    ],
)
def test_a_damaged_checkpoint_is_refused_in_one_line(
    saved: Path, capsys: pytest.CaptureFixture[str], how: str, words: str
) -> None:
    damage(saved / FILE_NAME, how)
    code, _, err = run(capsys, "check", *VARIANT[:3], "--resume", str(saved))
    assert code == 2
    line = one_error(err)
    assert f"{saved / FILE_NAME}" in line and words in line, line


def test_a_leftover_temporary_file_is_ignored(
    saved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (saved / TEMP_NAME).write_bytes(b"COORDCKP torn write")
    args = ["check", *VARIANT[:3], "--json", "--quiet"]
    _, expected, _ = run(capsys, *args)
    code, out, _ = run(capsys, *args, "--resume", str(saved))
    assert code == 1
    assert {**json.loads(out), "seconds": 0} == {**json.loads(expected), "seconds": 0}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["pbft", "--resume", "D"], "need one configuration"),
        (["--checkpoint", "D"], "need one configuration"),
        (["pbft", "--preset", "small", "--checkpoint", "D", "--simulate", "2"], "not --simulate"),
        (["pbft", "--preset", "small", "--checkpoint-every", "1"], "needs --checkpoint DIR"),
        (
            ["pbft", "--preset", "small", "--checkpoint", "D", "--checkpoint-every", "0"],
            "--checkpoint-every 0: expected seconds > 0",
        ),
        (["pbft", "--preset", "small", "--resume", "D"], "resume: no checkpoint in "),
        (["pbft", "--preset", "small", "--checkpoint", "F"], "is a file, not a directory"),
        (["pbft", "--preset", "small", "--checkpoint", "F/sub"], "checkpoint: cannot make "),
    ],
)
def test_checkpoint_options_refuse_what_they_cannot_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], words: str
) -> None:
    (tmp_path / "F").write_text("a file")
    shown = [str(tmp_path / a) if a in ("D", "F", "F/sub") else a for a in args]
    code, _, err = run(capsys, "check", *shown)
    assert code == 2
    assert words in one_error(err)


def test_a_snapshot_that_cannot_be_written_stops_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / TEMP_NAME).mkdir()  # the temporary file cannot be opened
    args = ["check", str(MODELS / "paxos.py"), "--checkpoint", str(tmp_path)]
    code, _, err = run(capsys, *args, "--checkpoint-every", "0.000001")
    assert code == 2
    assert one_error(err).startswith(f"checkpoint: cannot write {tmp_path / FILE_NAME}: ")


def test_the_cli_says_how_to_resume_after_a_signal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Signalled(Checkpointer):
        """A checkpointer that sees a SIGTERM at its 1000th expansion."""

        def due(self, expanded: int) -> bool:
            if expanded >= 1000:
                self.signal = signal.SIGTERM
            return super().due(expanded)

    monkeypatch.setattr(cli.check, "Checkpointer", Signalled)
    model = [str(MODELS / "paxos.py"), "--continue", "--json", "--quiet"]
    code, out, err = run(capsys, "check", *model, "--checkpoint", str(tmp_path))
    assert code == 1 and json.loads(out)["incomplete_reason"] == "an interrupt (SIGTERM)"
    assert err.strip() == (
        f"coordspec: interrupted: checkpoint written to {tmp_path / FILE_NAME}; "
        f"to resume, run the same command with --resume {tmp_path}"
    )
    monkeypatch.undo()
    _, whole, _ = run(capsys, "check", *model)
    code, resumed, _ = run(capsys, "check", *model, "--resume", str(tmp_path))
    assert code == 1
    assert {**json.loads(resumed), "seconds": 0} == {**json.loads(whole), "seconds": 0}


def test_the_cli_names_the_last_snapshot_after_a_second_signal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Twice(Checkpointer):
        """A checkpointer that writes at 256 expansions and sees two Ctrl-Cs at 512."""

        def due(self, expanded: int) -> bool:
            if expanded >= 512:
                raise KeyboardInterrupt
            return expanded >= 256

    monkeypatch.setattr(cli.check, "Checkpointer", Twice)
    model = [str(MODELS / "paxos.py"), "--continue", "--quiet"]
    code, out, err = run(capsys, "check", *model, "--checkpoint", str(tmp_path))
    assert code == 1 and "INTERRUPTED" not in out
    assert err.strip() == (
        f"coordspec: interrupted: the last checkpoint is {tmp_path / FILE_NAME}; "
        f"to resume, run the same command with --resume {tmp_path}"
    )


def test_the_test_pause_sleeps_inside_a_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PAUSE_ENV, "0.001")
    saver = Checkpointer(tmp_path, stride=1, stop_after=5)
    check(model_file("peterson"), Options(), saver)
    assert saver.stopped and saver.last_write_seconds >= 0.001


def test_checkpointer_arguments_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs a directory"):
        Checkpointer()
    with pytest.raises(ValueError, match="positive"):
        Checkpointer(tmp_path, every=0)
    with pytest.raises(ValueError, match="power of two"):
        Checkpointer(tmp_path, stride=3)
    assert Checkpointer(tmp_path).reason == "a stop after None expansions (checkpoint)"


# -- a model whose fingerprints depend on the order classes are met -------------------------


def make_tag() -> type:
    """A class made anew by each call: two calls give two classes of one name."""

    @attrs.frozen
    class Tag:
        value: int

    return Tag


FIRST, SECOND = make_tag(), make_tag()


@invariant
def anything(state: tuple[Any, Any]) -> bool:
    """Holds."""
    return True


@attrs.frozen
class TwinConfig(Config):
    """No parameters."""


class Twins(Model[tuple[Any, Any], int]):
    """One state holding an instance of each of two classes of one qualified name."""

    def __init__(self) -> None:
        self.config = TwinConfig()

    def initial(self) -> Sequence[tuple[Any, Any]]:
        return ((FIRST(0), SECOND(0)),)

    def honest_actions(self, state: tuple[Any, Any]) -> list[int]:
        return [1] if state[0].value == 0 else []

    def step(self, state: tuple[Any, Any], action: int) -> tuple[Any, Any]:
        return (FIRST(action), SECOND(action))

    def invariants(self) -> Sequence[Invariant[tuple[Any, Any]]]:
        return (anything,)

    def terminal_ok(self, state: tuple[Any, Any]) -> bool:
        return True


def test_a_model_with_twin_class_names_cannot_be_checkpointed(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"two classes named .*Tag"):
        check(Twins(), Options(), Checkpointer(tmp_path, stride=1, stop_after=0))


def test_the_source_files_cover_the_spec_and_the_checker() -> None:
    files = checkpoint.source_files(model_file("peterson"))
    assert "peterson.py" in files and "spec/core/model.py" in files
    assert "spec/symmetry.py" in files and "spec/restated/weighted.py" in files
    assert "model_check/engine.py" in files and "model_check/checkpoint.py" in files
    assert list(files) == sorted(files)


# -- out of process: SIGKILL at random moments, SIGTERM -------------------------------------


def coordspec(
    directory: Path, trace: Path, *extra: str, pause: float = 0.0
) -> subprocess.Popen[str]:
    """`coordspec check VARIANT --json --checkpoint DIR --checkpoint-every 0.05`, started."""
    env = {**os.environ, PAUSE_ENV: str(pause) if pause else ""}
    args = [sys.executable, "-m", "model_check", "check", *VARIANT, "--json", "--quiet"]
    args += ["--checkpoint", str(directory), "--checkpoint-every", "0.05"]
    args += ["--trace-out", str(trace), *extra]
    return subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, dict[str, Any], str]:
    """Wait for a run; its exit code, its JSON without the timing, its standard error."""
    out, err = process.communicate(timeout=120)
    data = json.loads(out) if out.strip() else {}
    data.pop("seconds", None)
    return process.returncode, data, err


def search_begun(process: subprocess.Popen[str], directory: Path) -> float:
    """Wait until the run has made its checkpoint directory (its search begins then)."""
    deadline = time.monotonic() + 60
    while not directory.exists():
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.002)
    return time.monotonic()


def test_sigkill_at_random_moments_then_resume_gives_the_same_output(tmp_path: Path) -> None:
    base_trace = tmp_path / "base.itf.json"
    process = coordspec(tmp_path / "base", base_trace)
    began = search_begun(process, tmp_path / "base")
    code, expected, _ = finish(process)
    span = time.monotonic() - began  # the search's seconds (and the report's)
    assert code == 1 and expected["counterexamples"]
    rng = random.Random(15)
    resumed = torn = fresh = twice = 0
    rounds = 20 if THOROUGH else 8  # every fourth kills while a snapshot is written
    for round_ in range(rounds):
        directory, trace = tmp_path / f"run{round_}", tmp_path / f"run{round_}.itf.json"
        during_write = round_ % 4 == 3
        process = coordspec(directory, trace, pause=0.2 if during_write else 0.0)
        if during_write:  # kill while a snapshot is half written (the second one, or later)
            deadline = time.monotonic() + 30
            while not (directory / FILE_NAME).exists() or not (directory / TEMP_NAME).exists():
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.002)
        else:  # a moment of the search (about one in ten before its first snapshot)
            search_begun(process, directory)
            time.sleep(rng.uniform(0.0, 1.0) * span)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=120)
        if process.returncode != -signal.SIGKILL:  # it ended before the kill
            assert process.returncode == 1
            continue
        torn += (directory / TEMP_NAME).exists()
        if not (directory / FILE_NAME).exists():  # killed before its first snapshot
            again = coordspec(directory, trace, "--resume", str(directory))
            code, data, _ = finish(again)
            assert code == 2 and data["error"].startswith("resume: no checkpoint in "), data
            fresh += 1
            continue
        if round_ % 5 == 1:  # kill the resumed run too: it goes on writing into DIR
            again = coordspec(directory, trace, "--resume", str(directory))
            time.sleep(0.2 + rng.uniform(0.0, 0.5) * span)
            again.send_signal(signal.SIGKILL)
            again.communicate(timeout=120)
            twice += again.returncode == -signal.SIGKILL
        code, data, _ = finish(coordspec(directory, trace, "--resume", str(directory)))
        assert code == 1, data
        assert data == expected, round_
        assert trace.read_bytes() == base_trace.read_bytes()
        resumed += 1
    assert resumed >= rounds // 2 and torn >= rounds // 4 - 1, (resumed, torn, fresh, twice)


def test_sigterm_writes_a_snapshot_and_the_resumed_run_is_the_same(tmp_path: Path) -> None:
    base_trace = tmp_path / "base.itf.json"
    code, expected, _ = finish(coordspec(tmp_path / "base", base_trace))
    directory, trace = tmp_path / "ck", tmp_path / "cex.itf.json"
    process = coordspec(directory, trace)
    while not (directory / FILE_NAME).exists():  # the search has begun
        assert process.poll() is None
        time.sleep(0.002)
    process.send_signal(signal.SIGTERM)
    code, partial, err = finish(process)
    assert code == 130 and partial["result"] == "interrupted"
    assert partial["incomplete_reason"] == "an interrupt (SIGTERM)"
    assert f"checkpoint written to {directory / FILE_NAME}" in err
    code, data, _ = finish(coordspec(directory, trace, "--resume", str(directory)))
    assert code == 1 and data == expected
    assert trace.read_bytes() == base_trace.read_bytes()
