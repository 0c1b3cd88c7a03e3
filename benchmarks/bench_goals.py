"""Issue 14's speed and memory goals, one row each, optionally against an older tree.

Usage (from the repository root)::

    python benchmarks/bench_goals.py [--rows NAME,...] [--baseline PATH] [--timeout S]

Each row is one `coordspec check` run in a fresh process (`python -m model_check check
... --json --quiet`), so its peak resident set size is its own (`os.wait4`'s rusage of
that child). With `--baseline PATH` (a checkout of an older commit, e.g. made with
`git worktree add /tmp/base <commit>`) every row runs there first, then here, one after
the other, and the last column is the ratio of the two wall-clock times (above 1 this
tree is faster); the two runs must report the same distinct and generated states, or
the row says so. A run over `--timeout` seconds is stopped and shown as `> S`.

Columns: distinct and generated states, wall-clock seconds of the process (interpreter
start and imports included), generated states per second, peak RSS in MiB, and the
bytes the visited set, the trace arrays and the liveness graph hold per distinct state
(`visited_bytes / distinct`). Timings are measurements on a shared machine, never
asserted; compare the ratio column, measured side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: name -> (the goal, `coordspec check` arguments)
ROWS: dict[str, tuple[str, list[str]]] = {
    "pbft-default": ("one preset, with liveness", ["pbft", "--preset", "default"]),
    "pbft-portfolio": ("the default check: every preset, < 60 s", ["pbft"]),
    "pbft-view2": ("--max-view 2 with liveness, < 60 s, < 1 GB", ["pbft", "--max-view", "2"]),
    "pbft-f3-seq2": (
        "--faulty 3 --max-seq 2, < 5 min",
        ["pbft", "--faulty", "3", "--max-seq", "2"],
    ),
    "weighted-default": ("< 3 s", ["weighted", "--preset", "default"]),
    "weighted-4": ("4 agents, < 30 s", ["weighted", "--agents", "4", "--profiles", "2,1,1,1"]),
    "iterative-default": ("< 3 s", ["iterative", "--preset", "default"]),
    "iterative-3": ("3 rounds, < 2 min", ["iterative", "--max-rounds", "3"]),
}

#: The rows run when --rows is not given (the others take minutes before issue 14).
QUICK = ["pbft-default", "weighted-default", "iterative-default"]


def run(tree: Path, args: list[str], timeout: float) -> dict[str, Any]:
    """One `check` in a fresh process of `tree`: its numbers, or `timeout: True`."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, "-m", "model_check", "check", *args, "--json", "--quiet"]
    started = time.monotonic()
    child = subprocess.Popen(
        command, cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    timer = threading.Timer(timeout, child.kill)
    timer.start()
    assert child.stdout is not None
    out = child.stdout.read()
    child.stdout.close()
    # wait4 reaps the child and gives its own rusage: ru_maxrss is its peak RSS in KiB.
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = status
    timer.cancel()
    seconds = time.monotonic() - started
    if seconds >= timeout:
        return {"timeout": True, "seconds": timeout}
    peak_kib = usage.ru_maxrss
    try:
        data = json.loads(out)
    except ValueError:
        data = {"error": "no JSON on standard output"}
    if "error" in data:
        return {"timeout": False, "error": str(data["error"]), "seconds": seconds}
    runs = data.get("portfolio")
    if runs is not None:  # a portfolio: its presets' totals
        results: list[dict[str, Any]] = runs
        distinct = sum(r["distinct_states"] for r in results)
        generated = sum(r["generated_states"] for r in results)
        visited = max(r.get("visited_bytes", 0) / max(r["distinct_states"], 1) for r in results)
    else:
        distinct = data.get("distinct_states", 0)
        generated = data.get("generated_states", 0)
        visited = data.get("visited_bytes", 0) / max(distinct, 1)
    return {
        "timeout": False,
        "seconds": seconds,
        "distinct": distinct,
        "generated": generated,
        "peak_mib": peak_kib / 1024,
        "bytes_per_state": visited,
    }


def cell(r: dict[str, Any]) -> str:
    if "error" in r:
        return f"error: {r['error']}"
    if r["timeout"]:
        stopped = f"> {r['seconds']:.0f}"
        return f"{'':>10} {'':>11} {stopped:>8} {'':>9} {'':>8} {'':>6}"
    rate = r["generated"] / r["seconds"] if r["seconds"] else 0.0
    return (
        f"{r['distinct']:>10,} {r['generated']:>11,} {r['seconds']:>8.1f} {rate:>9,.0f} "
        f"{r['peak_mib']:>8.0f} {r['bytes_per_state']:>6.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else "")
    parser.add_argument(
        "--rows", default=",".join(QUICK), help="rows, comma-separated; all: every row"
    )
    parser.add_argument("--baseline", type=Path, help="an older checkout to compare with")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per run")
    opts = parser.parse_args()
    names = list(ROWS) if opts.rows == "all" else opts.rows.split(",")
    unknown = [n for n in names if n not in ROWS]
    if unknown:
        parser.error(f"unknown row {unknown[0]!r}; rows: {', '.join(ROWS)}")
    print(f"# {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    head = f"{'distinct':>10} {'generated':>11} {'seconds':>8} {'gen/s':>9} {'MiB':>8} {'B/st':>6}"
    print(f"{'row':<18} {'tree':<8} {head}  ratio")
    for name in names:
        goal, args = ROWS[name]
        print(f"# {name}: {goal}: coordspec check {' '.join(args)}")
        base = run(opts.baseline, args, opts.timeout) if opts.baseline else None
        here = run(ROOT, args, opts.timeout)
        if base is not None:
            print(f"{name:<18} {'baseline':<8} {cell(base)}")
        ratio = ""
        if base is not None:
            ratio = f"{base['seconds'] / here['seconds']:.2f}x"
            if (
                not base["timeout"]
                and not here["timeout"]
                and ((base["distinct"], base["generated"]) != (here["distinct"], here["generated"]))
            ):
                ratio += " (counts differ!)"
            elif base["timeout"]:
                ratio = "> " + ratio
        print(f"{name:<18} {'this':<8} {cell(here)}  {ratio}", flush=True)


if __name__ == "__main__":
    main()
