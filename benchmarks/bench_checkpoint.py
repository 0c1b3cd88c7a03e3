"""What checkpoints cost: the search with and without them, a snapshot's size and times.

Usage (from the repository root)::

    python benchmarks/bench_checkpoint.py [--rows NAME,...]

Each row is one configuration, searched in this process four times: without
checkpoints, with `--checkpoint-every` 1 s and 10 s (each writing into a fresh
temporary directory), and cut in two at half its states (`Checkpointer(stop_after=...)`)
then resumed, whose result must equal the uninterrupted one's (else the row says so).

Columns: distinct states; seconds without checkpoints, with one every 1 s and every 10 s
(the fastest of `--repeat` searches; how many snapshots were written and the seconds
their writes took in all); the half-way snapshot's size in bytes and per state stored
then (the visited set, parents, graph and the queue of states, pickled), the seconds of
its write (pickle, fsync, rename) and of its load on resume (digest check and unpickle).
Timings are measurements on a shared machine, never asserted.
"""

from __future__ import annotations

import argparse
import functools
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model_check.checkpoint import Checkpointer, Snapshot  # noqa: E402
from model_check.engine import Options, check  # noqa: E402
from model_check.result import CheckResult  # noqa: E402
from spec import registry  # noqa: E402
from spec.core import Model  # noqa: E402

#: name -> (protocol, preset, parameters over the preset's)
ROWS: dict[str, tuple[str, str, dict[str, str]]] = {
    "pbft-default": ("pbft", "default", {}),
    "pbft-two_view_changes": ("pbft", "two_view_changes", {}),
    "weighted-default": ("weighted", "default", {}),
    "iterative-default": ("iterative", "default", {}),
    "weighted-4": ("weighted", "default", {"agents": "4", "profiles": "2,1,1,1"}),
}
QUICK = ["pbft-default", "pbft-two_view_changes", "weighted-default"]


def build(protocol: str, preset: str, params: dict[str, str]) -> Model[Any, Any]:
    """The model of a protocol's preset, with `params` over it."""
    spec = registry.specification(protocol)
    return spec.model({**spec.preset(preset).params, **params})


class Timed(Checkpointer):
    """A checkpointer that adds up the seconds of its writes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.writing = 0.0

    def save(self, snapshot: Snapshot) -> None:
        super().save(snapshot)
        self.writing += self.last_write_seconds


def timed(model: Model[Any, Any], saver: Checkpointer | None) -> tuple[float, CheckResult]:
    """Seconds of one search, and its result."""
    began = time.perf_counter()
    result = check(model, Options(), saver)
    return time.perf_counter() - began, result


def best(
    model: Model[Any, Any], make: Callable[[], Timed | None], repeat: int
) -> tuple[float, CheckResult, Timed | None]:
    """The fastest of `repeat` searches (each with a checkpointer `make` gives)."""
    runs = []
    for _ in range(repeat):
        saver = make()
        seconds, result = timed(model, saver)
        runs.append((seconds, result, saver))
    return min(runs, key=lambda r: r[0])


def same(a: CheckResult, b: CheckResult) -> bool:
    """Whether two results are equal, timings aside."""
    return attrs.evolve(a, seconds=0.0) == attrs.evolve(b, seconds=0.0)


def row(name: str, repeat: int) -> str:
    """One table row."""
    model = build(*ROWS[name])
    plain, whole, _ = best(model, lambda: None, repeat)
    cells = [f"`{name}`", f"{whole.distinct_states:,}", f"{plain:.2f}"]
    with tempfile.TemporaryDirectory() as tmp:
        for every in (1.0, 10.0):
            directory = Path(tmp) / f"every{every:g}"
            make = functools.partial(Timed, directory, every=every)
            seconds, result, saver = best(model, make, repeat)
            assert saver is not None
            ok = "" if same(result, whole) else " (DIFFERENT)"
            cells.append(f"{seconds:.2f} ({saver.writes}: {saver.writing:.3f} s){ok}")
        half = Checkpointer(Path(tmp) / "half", stop_after=whole.distinct_states // 2)
        _, partial = timed(model, half)
        resume = Checkpointer(resume=Path(tmp) / "half")
        _, resumed = timed(model, resume)
        ok = "" if same(resumed, whole) else " (DIFFERENT)"
        cells += [
            f"{half.last_bytes:,}",
            f"{half.last_bytes / partial.distinct_states:.0f}",
            f"{half.last_write_seconds:.3f}",
            f"{resume.load_seconds:.3f}{ok}",
        ]
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default=",".join(QUICK), help=f"of {', '.join(ROWS)}")
    parser.add_argument("--repeat", type=int, default=2, help="searches a cell, the fastest shown")
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}")
    print()
    print(
        "| run | distinct | s, no checkpoints | s, every 1 s (writes: their s) | s, every "
        "10 s (writes) | snapshot bytes (half-way) | bytes / state | write s | load s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in args.rows.split(","):
        print(row(name, args.repeat), flush=True)


if __name__ == "__main__":
    main()
