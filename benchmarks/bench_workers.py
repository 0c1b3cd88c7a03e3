"""Issue 15's scaling table: one worker, `--workers N` and `--cluster local:N`, side by side.

Usage (from the repository root)::

    python benchmarks/bench_workers.py [--rows NAME,...] [--workers 1,2] [--cluster 2]
                                       [--timeout S]

Each cell is one `coordspec check ... --json --quiet` in a fresh process. The first
line of a row is the one-process engine; then `--workers N` for each N given, then
`--cluster local:N` (Ray, when it is installed), which starts its local cluster inside
the run; `--extra` adds options to every run (`--extra=--no-liveness`). Every run must
report the sequential run's distinct and generated states, or the row says so.

Columns: the run's own seconds (the JSON's `seconds`: the search, the Ray cluster's start
included, the interpreter's start not), distinct states per second, the speed-up over the
sequential engine (distinct states/s divided by the sequential's), and, for parallel runs,
the bytes shipped between workers per state shipped and the states shipped per distinct
state (from the `workers:` line on standard error). Timings are measurements on a shared
machine, never asserted; run one benchmark at a time.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: name -> (what it is, `coordspec check` arguments)
ROWS: dict[str, tuple[str, list[str]]] = {
    "pbft-default": ("PBFT's default preset", ["pbft", "--preset", "default"]),
    "pbft-view2": ("PBFT with two view changes (--max-view 2)", ["pbft", "--max-view", "2"]),
    "twophase-8": (
        "Two-phase commit, 8 resource managers (a classic model, TLC's TwoPhase)",
        ["tests/models/twophase.py", "--rms", "8"],
    ),
    "twophase-7": (
        "Two-phase commit, 7 resource managers",
        ["tests/models/twophase.py", "--rms", "7"],
    ),
}

QUICK = ["pbft-default", "twophase-7"]

SHIPPED = re.compile(r"workers: .*shipped ([\d,]+) states, ([\d,]+) bytes")


def run(args: list[str], extra: list[str], timeout: float) -> dict[str, Any]:
    """One `check` in a fresh process: its numbers, or why there are none."""
    command = [sys.executable, "-m", "model_check", "check", *args, *extra, "--json", "--quiet"]
    started = time.monotonic()
    try:
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"> {timeout:.0f} s"}
    wall = time.monotonic() - started
    try:
        data = json.loads(done.stdout)
    except ValueError:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": last}
    found = SHIPPED.search(done.stderr)
    return {
        "seconds": float(data["seconds"]),
        "wall": wall,
        "distinct": int(data["distinct_states"]),
        "generated": int(data["generated_states"]),
        "shipped": int(found.group(1).replace(",", "")) if found else None,
        "shipped_bytes": int(found.group(2).replace(",", "")) if found else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else "")
    parser.add_argument("--rows", default=",".join(QUICK), help="rows; all: every row")
    parser.add_argument("--workers", default="1,2", help="worker counts, comma-separated")
    parser.add_argument("--cluster", default="2", help="local Ray cluster sizes ('' for none)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per run")
    parser.add_argument(
        "--extra", default="", help="options for every run of a row, e.g. '--no-liveness'"
    )
    opts = parser.parse_args()
    names = list(ROWS) if opts.rows == "all" else opts.rows.split(",")
    unknown = [n for n in names if n not in ROWS]
    if unknown:
        parser.error(f"unknown row {unknown[0]!r}; rows: {', '.join(ROWS)}")
    extra = opts.extra.split()
    modes: list[tuple[str, list[str]]] = [("sequential", extra)]
    modes += [(f"workers {n}", ["--workers", n, *extra]) for n in opts.workers.split(",") if n]
    if importlib.util.find_spec("ray") is not None:
        modes += [
            (f"cluster local:{n}", ["--cluster", f"local:{n}"])
            for n in opts.cluster.split(",")
            if n
        ]
    else:
        print("# Ray is not installed: no cluster column (pip install 'coordspec[cluster]')")
    print(f"# {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(
        f"{'row':<14} {'mode':<17} {'distinct':>10} {'generated':>11} {'seconds':>8} "
        f"{'distinct/s':>10} {'speed-up':>8} {'B/shipped':>9} {'shipped/st':>10}"
    )
    for name in names:
        what, args = ROWS[name]
        print(f"# {name}: {what}: coordspec check {' '.join(args)}")
        base: dict[str, Any] | None = None
        for mode, extra in modes:
            r = run(args, extra, opts.timeout)
            if "error" in r:
                print(f"{name:<14} {mode:<17} {r['error']}")
                continue
            rate = r["distinct"] / r["seconds"] if r["seconds"] else 0.0
            if base is None:
                base = {**r, "rate": rate}
            same = (r["distinct"], r["generated"]) == (base["distinct"], base["generated"])
            speed = f"{rate / base['rate']:.2f}x" if base["rate"] else ""
            shipped = per = ""
            if r["shipped"]:
                shipped = f"{r['shipped_bytes'] / r['shipped']:.0f}"
                per = f"{r['shipped'] / max(r['distinct'], 1):.2f}"
            print(
                f"{name:<14} {mode:<17} {r['distinct']:>10,} {r['generated']:>11,} "
                f"{r['seconds']:>8.1f} {rate:>10,.0f} {speed:>8} {shipped:>9} {per:>10}"
                + ("" if same else "  COUNTS DIFFER from the sequential run")
            )
            sys.stdout.flush()


if __name__ == "__main__":
    main()
