"""Checker throughput and memory: TCommit scaled from 3 resource managers up.

Usage: `python benchmarks/bench_checker.py [--max-rms N]` (from the repository root).

Each row is one exhaustive run of `model_check.engine.check` in a fresh Python process,
because the peak resident set size (`resource.getrusage(...).ru_maxrss`) is a
process-wide high-water mark: measured in one process, every row would show the
largest run's peak. The rows are TCommit (tests/models/tcommit.py) with 3 to N
resource managers in fingerprint mode, then, at the largest size, full-state mode and
symmetry reduction, and Die Hard as the smallest model (its time is mostly start-up).

Columns: distinct and generated states; wall-clock seconds of the `check` call alone;
generated and distinct states per second; the peak RSS of the process and its growth
during the run (peak minus the RSS after imports), in MiB; and the bytes the visited
set and the trace arrays hold per distinct state (`visited_bytes / distinct`, which the
checker only counts in fingerprint mode). Timings are measurements, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from model_check.engine import Options, check  # noqa: E402
from spec.core import Model  # noqa: E402
from tests.models import diehard, tcommit  # noqa: E402

DEFAULT_MAX_RMS = 8  # 8 RMs: 6,816 states, about half a second; 10 is the config's cap


def rss_kib() -> int:
    """The process's peak resident set size so far, in KiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS


def build(job: dict[str, Any]) -> Model[Any, Any]:
    """The model a job names."""
    if job["model"] == "diehard":
        return diehard.SPEC.model()
    return tcommit.SPEC.model({"rms": str(job["rms"])})


def measure(job: dict[str, Any]) -> dict[str, Any]:
    """Run one check (in this process) and report its numbers."""
    model = build(job)
    options = Options(
        fingerprints=job["fingerprints"], symmetry=job["symmetry"], stop_at_first=False
    )
    before = rss_kib()
    started = time.perf_counter()
    result = check(model, options)
    seconds = time.perf_counter() - started
    return {
        "distinct": result.distinct_states,
        "generated": result.generated_states,
        "seconds": seconds,
        "rss_before_kib": before,
        "rss_peak_kib": rss_kib(),
        "visited_bytes": result.visited_bytes,
        "complete": result.complete,
        "result": result.result,
    }


def run_child(job: dict[str, Any]) -> dict[str, Any]:
    """Measure a job in a fresh interpreter, so that its peak RSS is its own."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(job)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    measured: dict[str, Any] = json.loads(done.stdout)
    return measured


def jobs(max_rms: int) -> list[dict[str, Any]]:
    """The rows: Die Hard, TCommit 3..max_rms, then full-state and symmetry at the top."""
    result: list[dict[str, Any]] = [
        {"model": "diehard", "rms": None, "fingerprints": True, "symmetry": False}
    ]
    for rms in range(min(3, max_rms), max_rms + 1):
        result.append({"model": "tcommit", "rms": rms, "fingerprints": True, "symmetry": False})
    result.append({"model": "tcommit", "rms": max_rms, "fingerprints": False, "symmetry": False})
    result.append({"model": "tcommit", "rms": max_rms, "fingerprints": True, "symmetry": True})
    return result


COLUMNS = (
    ("model", 8),
    ("rms", 4),
    ("mode", 18),
    ("distinct", 9),
    ("generated", 10),
    ("seconds", 8),
    ("gen/s", 9),
    ("distinct/s", 10),
    ("peak MiB", 8),
    ("+MiB", 6),
    ("B/state", 7),
)


def row(job: dict[str, Any], m: dict[str, Any]) -> list[str]:
    """One table row, formatted."""
    mode = "fingerprints" if job["fingerprints"] else "full states"
    if job["symmetry"]:
        mode += "+symmetry"
    seconds = m["seconds"]
    per_state = f"{m['visited_bytes'] / m['distinct']:.1f}" if m["visited_bytes"] else "-"
    return [
        job["model"],
        "-" if job["rms"] is None else str(job["rms"]),
        mode,
        f"{m['distinct']:,}",
        f"{m['generated']:,}",
        f"{seconds:.3f}",
        f"{m['generated'] / seconds:,.0f}" if seconds > 0 else "-",
        f"{m['distinct'] / seconds:,.0f}" if seconds > 0 else "-",
        f"{m['rss_peak_kib'] / 1024:.1f}",
        f"{(m['rss_peak_kib'] - m['rss_before_kib']) / 1024:.1f}",
        per_state,
    ]


def format_line(cells: list[str]) -> str:
    """Cells padded to the column widths: the first three left, the numbers right."""
    parts = []
    for i, (cell, (_, width)) in enumerate(zip(cells, COLUMNS, strict=True)):
        parts.append(cell.ljust(width) if i < 3 else cell.rjust(width))
    return "  ".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else "")
    parser.add_argument(
        "--max-rms",
        type=int,
        default=DEFAULT_MAX_RMS,
        help=f"largest number of resource managers, 1..10 (default {DEFAULT_MAX_RMS})",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(measure(json.loads(args.child))))
        return 0
    if not 1 <= args.max_rms <= 10:
        parser.error("--max-rms must be between 1 and 10")
    print("coordspec checker benchmark: TCommit, exhaustive BFS, one fresh process per row")
    print(f"machine: {platform.platform()}; {platform.machine()}; {os.cpu_count()} CPUs")
    print(f"python:  {platform.python_implementation()} {platform.python_version()}")
    print()
    header = format_line([name for name, _ in COLUMNS])
    print(header)
    print("-" * len(header))
    for job in jobs(args.max_rms):
        measured = run_child(job)
        print(format_line(row(job, measured)), flush=True)
    print()
    print("peak MiB: the process's peak RSS; +MiB: its growth during the check call.")
    print("B/state: visited-set and trace-array bytes per distinct state (fingerprints).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
