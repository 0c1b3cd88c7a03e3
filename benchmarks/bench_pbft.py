"""PBFT model-checking at scale: the rows of issue 3's scale goals.

Usage: `python benchmarks/bench_pbft.py [--limit SECONDS] [--only LABEL ...]` from the
repository root. Each row runs `coordspec check pbft ... --json` in its own process, so
its peak resident set size (from `os.wait4`) is its own; a row that passes `--limit`
is stopped and reported with the counts of its last progress line. Rows marked
`simulate` run random walks instead (`--simulate RUNS --depth D --seed 0`).

Columns: distinct and generated states, BFS depth, seconds (the checker's own clock),
distinct states per second, peak RSS in MiB, and the verdict. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: (label, parameters and options for `coordspec check pbft`)
ROWS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("default (symmetry)", ()),
    ("default, no symmetry", ("--no-symmetry",)),
    ("default, full states", ("--full-states",)),
    ("faulty backup", ("--faulty", "3")),
    ("silent backup", ("--faulty", "3", "--adversary", "silent")),
    ("views 0..2", ("--max-view", "2")),
    ("seq 1..2, faulty backup", ("--max-seq", "2", "--faulty", "3")),
    (
        "checkpoints K=1 L=1, seq 1..2",
        ("--max-seq", "2", "--faulty", "3", "--checkpoint-interval", "1", "--log-size", "1"),
    ),
    ("n=7 f=2, requests 1", ("--replicas", "7", "--faulty", "0,3", "--requests", "1")),
    (
        "n=7 f=2 simulate",
        ("--replicas", "7", "--faulty", "0,3", "--simulate", "2000", "--depth", "60"),
    ),
)

PROGRESS = re.compile(r"Progress: ([\d,]+) distinct, ([\d,]+) generated, queue [\d,]+, depth (\d+)")


def run_row(args: tuple[str, ...], limit: float) -> dict[str, Any]:
    """Run one row in a child process; return its JSON summary or its last progress."""
    # one configuration: the default preset, which the row's parameters override (without
    # parameters `check pbft` would check the whole portfolio)
    command = [sys.executable, "-m", "model_check", "check", "pbft", "--preset", "default"]
    command += ["--json", *args]
    started = time.monotonic()
    child = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    timer = threading.Timer(limit, child.kill)
    timer.start()
    stdout, stderr = child.stdout, child.stderr
    assert stdout is not None and stderr is not None
    err_lines: list[str] = []
    reader = threading.Thread(target=lambda: err_lines.extend(stderr))
    reader.start()
    out = stdout.read()
    reader.join()
    _, status, usage = os.wait4(child.pid, 0)
    timer.cancel()
    elapsed = time.monotonic() - started
    peak_mib = usage.ru_maxrss / 1024
    if os.waitstatus_to_exitcode(status) in (0, 1) and out.strip():
        data: dict[str, Any] = json.loads(out)
        data["peak_mib"] = peak_mib
        return data
    last = next((m for line in reversed(err_lines) if (m := PROGRESS.search(line))), None)
    return {
        "result": f"stopped at {limit:.0f} s",
        "distinct_states": int(last.group(1).replace(",", "")) if last else 0,
        "generated_states": int(last.group(2).replace(",", "")) if last else 0,
        "depth": int(last.group(3)) if last else 0,
        "seconds": elapsed,
        "peak_mib": peak_mib,
        "complete": False,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the rows and print the table."""
    parser = argparse.ArgumentParser(description="PBFT model-checking benchmark")
    parser.add_argument("--limit", type=float, default=600.0, help="seconds per row")
    parser.add_argument("--only", nargs="*", default=None, help="labels of rows to run")
    args = parser.parse_args(argv)
    print("coordspec PBFT benchmark: one fresh process per row")
    print(f"machine: {platform.platform()}; {os.cpu_count()} CPUs; limit {args.limit:.0f} s/row")
    print(f"python:  {platform.python_implementation()} {platform.python_version()}")
    header = (
        f"{'row':32} {'distinct':>11} {'generated':>11} {'depth':>5} {'seconds':>8} "
        f"{'distinct/s':>10} {'peak MiB':>9}  result"
    )
    print(header)
    print("-" * len(header))
    for label, row_args in ROWS:
        if args.only and label not in args.only:
            continue
        m = run_row(row_args, args.limit)
        seconds = float(m["seconds"])
        rate = m["distinct_states"] / seconds if seconds > 0 else 0.0
        verdict = m["result"] if m.get("complete", True) else f"{m['result']} (incomplete)"
        print(
            f"{label:32} {m['distinct_states']:>11,} {m['generated_states']:>11,} "
            f"{m['depth']:>5} {seconds:>8.1f} {rate:>10,.0f} {m['peak_mib']:>9.0f}  {verdict}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
