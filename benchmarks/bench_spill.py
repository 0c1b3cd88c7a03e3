"""Issue 15's `--memory` table: the visited set in memory against the spilling one.

Usage (from the repository root)::

    python benchmarks/bench_spill.py [--sizes 1e6,1e7] [--fraction 0.25] [--direct]
                                     [--timeout S]

The model is `tests/models/counter.py` (x + 1 and 2x modulo n: exactly n states, 2n + 1
generated, half of them repeats), so the checker's own bookkeeping dominates. For each
size n, two runs, each in a fresh process: the engine (`model_check.engine.check`,
without liveness) with the in-memory `FingerprintSet`, then with the
`SpillingFingerprintSet` limited to `--fraction` of the in-memory set's bytes (so that
it spills), through `Options.memory` (`--memory` on the command line).

With `--direct`, two more runs a size drive the sets alone with the same stream of
lookups as the engine's breadth-first search (index, then add when new), the
fingerprint of x being BLAKE2b of its 8 bytes: the sets' own cost, with no model,
canonical text or parent bookkeeping around it.

Columns: seconds of the search (or of the stream), distinct states per second, the
slowdown (the in-memory run's rate over this one's), the visited set's bytes a state in
memory (`nbytes`) and on disk (`disk_bytes`), the spills, and the process's peak
resident memory (everything: the queue, the parents, the interpreter). Timings are
measurements on a shared machine, never asserted; run one benchmark at a time.
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
from collections import deque
from hashlib import blake2b
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the repository's packages
    sys.path.insert(0, str(ROOT))

from model_check import engine  # noqa: E402
from model_check.diskset import SpillingFingerprintSet  # noqa: E402
from model_check.fingerprint import FingerprintSet  # noqa: E402
from tests.models.counter import Counter, CounterConfig  # noqa: E402


def in_memory_bytes(n: int) -> int:
    """`FingerprintSet.nbytes()` once n fingerprints are in (its growth rule)."""
    size = 1 << 12
    while 2 * n > size - 1:
        size *= 2
    return 8 * n + 4 * size


def engine_cell(n: int, limit: int | None) -> dict[str, Any]:
    """One `check` of the counter model, in this process: its figures."""
    made: list[FingerprintSet | SpillingFingerprintSet] = []
    for cls in (FingerprintSet, SpillingFingerprintSet):
        init = cls.__init__

        def record(self: Any, *args: Any, _init: Any = init, **kwargs: Any) -> None:
            _init(self, *args, **kwargs)
            made.append(self)

        cls.__init__ = record  # type: ignore[method-assign]
    options = engine.Options(check_liveness=False, memory=limit)
    started = time.perf_counter()
    result = engine.check(Counter(CounterConfig(n=n)), options)
    seconds = time.perf_counter() - started
    visited = made[0]
    return {
        "seconds": seconds,
        "search": result.seconds,
        "distinct": result.distinct_states,
        "generated": result.generated_states,
        "nbytes": visited.nbytes(),
        "disk": visited.disk_bytes() if isinstance(visited, SpillingFingerprintSet) else 0,
        "spills": visited.spills if isinstance(visited, SpillingFingerprintSet) else 0,
    }


def direct_cell(n: int, limit: int | None) -> dict[str, Any]:
    """The engine's stream of lookups on the counter, on the set alone."""
    visited = FingerprintSet() if limit is None else SpillingFingerprintSet(limit)
    index, add = visited.index, visited.add

    def key(x: int) -> int:
        return int.from_bytes(blake2b(x.to_bytes(8, "little"), digest_size=8).digest()) or 1

    started = time.perf_counter()
    generated = 1
    add(key(0))
    queue = deque([0])
    while queue:
        x = queue.popleft()
        for y in ((x + 1) % n, (2 * x) % n):
            generated += 1
            fp = key(y)
            if index(fp) < 0:
                add(fp)
                queue.append(y)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "search": seconds,
        "distinct": len(visited),
        "generated": generated,
        "nbytes": visited.nbytes(),
        "disk": visited.disk_bytes() if isinstance(visited, SpillingFingerprintSet) else 0,
        "spills": visited.spills if isinstance(visited, SpillingFingerprintSet) else 0,
    }


def cell(kind: str, n: int, limit: int | None, timeout: float) -> dict[str, Any]:
    """Run one cell in a fresh process; its figures and peak memory, or its error."""
    command = [sys.executable, __file__, "--cell", kind, str(n), str(limit or 0)]
    try:
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"> {timeout:.0f} s"}
    try:
        data: dict[str, Any] = json.loads(done.stdout)
    except ValueError:
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    return data


def run_cell(kind: str, n: int, limit: int) -> None:
    """The child's side of `cell`: print the figures as JSON."""
    figures = (engine_cell if kind == "engine" else direct_cell)(n, limit or None)
    figures["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else "")
    parser.add_argument("--sizes", default="1e6,1e7", help="state counts, comma-separated")
    parser.add_argument(
        "--fraction", type=float, default=0.25, help="the limit, a fraction of the in-memory set"
    )
    parser.add_argument("--direct", action="store_true", help="also drive the sets directly")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    parser.add_argument("--cell", nargs=3, help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.cell:
        run_cell(opts.cell[0], int(opts.cell[1]), int(opts.cell[2]))
        return
    sizes = [int(float(s)) for s in opts.sizes.split(",") if s]
    kinds = ["engine", "direct"] if opts.direct else ["engine"]
    print(f"# {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print("# model: tests/models/counter.py (n states, 2n + 1 generated); engine: check(...,")
    print(
        f"# no liveness); direct: the same lookups on the set alone; limit: {opts.fraction:g}"
        " of the in-memory set's bytes"
    )
    print(
        f"{'kind':<7} {'states':>11} {'set':<16} {'seconds':>8} {'distinct/s':>10} "
        f"{'slowdown':>8} {'mem B/st':>8} {'disk B/st':>9} {'spills':>6} {'peak RSS':>9}"
    )
    for n in sizes:
        limit = int(opts.fraction * in_memory_bytes(n))
        for kind in kinds:
            base: float | None = None
            for name, cap in (("in memory", None), (f"spill {limit / 2**20:.1f} MiB", limit)):
                r = cell(kind, n, cap, opts.timeout)
                if "error" in r:
                    print(f"{kind:<7} {n:>11,} {name:<16} {r['error']}")
                    continue
                rate = r["distinct"] / r["search"] if r["search"] else 0.0
                if base is None:
                    base = rate
                slow = f"{base / rate:.2f}x" if rate else ""
                wrong = "" if r["distinct"] == n else f"  {r['distinct']:,} STATES, NOT {n:,}"
                print(
                    f"{kind:<7} {n:>11,} {name:<16} {r['search']:>8.1f} {rate:>10,.0f} "
                    f"{slow:>8} {r['nbytes'] / n:>8.2f} {r['disk'] / n:>9.2f} "
                    f"{r['spills']:>6} {r['rss'] / 2**20:>6.0f} MiB" + wrong
                )
                sys.stdout.flush()


if __name__ == "__main__":
    main()
