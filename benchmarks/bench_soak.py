"""Soak: issue 19's "memory usage remains stable during extended operation".

Usage: `python benchmarks/bench_soak.py [--requests 100000] [--every 10000]
[--sample 1000] [--warmup N] [--no-tracemalloc] [--diff N]` from the repository root.

The run: n = 4 replicas (f = 1), checkpoints on (K = 64, L = 128), one client sending
`--requests` requests one after the other (`Runtime.call`: each is delivered until the
client accepts it, a timer firing only when nothing is in flight and it still waits).
Before request 1, 1 + every, 1 + 2 * every, ... the current primary crashes: the
client's request to it is lost, the client's timer multicasts it, the backups' timers
expire and they move to the next view, whose primary orders it. Halfway to the next
crash the crashed replica recovers (`Runtime.recover`: a fresh session, state transfer
through the latest stable checkpoint), so the next crash again leaves 2f + 1 live
replicas. The script stops with an error if a request is not accepted, or if the view
did not advance at a crash.

Every `--sample` requests, after `gc.collect()`, a row: requests done, the view, the
memory `tracemalloc` traces now (every Python object the run allocated and still holds:
it starts after the imports), the most it traced since the previous row (the peak, which
covers a whole checkpoint cycle when `--sample` >= K), the resident set (RSS,
/proc/self/statm: the whole process, interpreter and modules included, and with
tracemalloc on its own tables), each replica's log (`Runtime.log_sizes`: log slots,
certificates, checkpoints, view-changes, waiting requests; a crashed replica keeps
the log it had) and the wall time so far. The rows are kept in arrays allocated before
tracing starts, so that the benchmark's own bookkeeping is not in the traced figures.

At the end, over the rows after `--warmup` requests (default: the first `--every`):
for each measure the least, the most, the spread (max - min) / min and the drift (last
- first) / first, in percent, and the slope of a least-squares line, in bytes per 1,000
requests. The traced memory rises and falls with the logs (they fill for K requests and
empty at each stable checkpoint), with which replica is down, and with the view
changes (a view change carries the prepared certificates above the checkpoint), so its
spread is that of a bounded cycle, not growth. Growth shows when rows in the same phase
are compared: the run repeats itself every lcm(4 * every, K, sample) requests (40,000
by default: the crashes have gone round the four replicas, and the checkpoints and rows
recur at the same requests), so each row after the warm-up is compared with the row
one period later. The verdict: flat when the RSS's spread is within 10% and (with
tracing) no such pair's traced memory differs by more than 10% of the traced mean.
Then the throughput (requests/s, wall and CPU), with the machine. `--no-tracemalloc`
runs without tracing (the throughput without its overhead; the verdict on RSS alone);
`--diff N` prints the N source lines whose traced memory grew most from the first row
after the warm-up to the last row in the same phase (or the last row, when the run is
shorter than a period).

Timings are wall-clock on whatever machine runs this; nothing is asserted about them.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import sys
import time
import tracemalloc
from array import array
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from impl.core import Telemetry
from impl.runtime import Runtime

K, L = 64, 128
REPLICAS = 4
CLIENT = "client:soak"
PAGE = os.sysconf("SC_PAGE_SIZE")
STATM = os.open("/proc/self/statm", os.O_RDONLY)  # opened once, before any tracing
FLAT = 10  # percent


def _drop(event: Telemetry) -> None:
    """A sink that keeps nothing (telemetry off the measured path)."""


def rss() -> int:
    """This process's resident set, in bytes (/proc/self/statm's second field)."""
    return int(os.pread(STATM, 200, 0).split()[1]) * PAGE


def view_of(rt: Runtime) -> int:
    """The view the live replicas are in (the highest, should they differ)."""
    return max(s.view for i, s in rt.sessions.items() if i not in rt.crashed)


class Rows:
    """The samples, column by column, in arrays of a fixed size (no allocation later)."""

    COLUMNS = ("requests", "view", "traced", "peak", "rss", "crashed", "seconds_ms")

    def __init__(self, count: int) -> None:
        self.count = 0
        self.columns = {name: array("q", bytes(8 * count)) for name in self.COLUMNS}
        self.logs = [array("q", bytes(8 * count)) for _ in range(REPLICAS)]

    def add(self, values: Sequence[int], logs: Sequence[int]) -> None:
        for name, value in zip(self.COLUMNS, values, strict=True):
            self.columns[name][self.count] = value
        for column, size in zip(self.logs, logs, strict=True):
            column[self.count] = size
        self.count += 1

    def get(self, name: str, k: int) -> int:
        return self.columns[name][k]

    def show(self, k: int) -> str:
        """Row k as a Markdown table row."""

        def kib(name: str) -> str:
            value = self.get(name, k)
            return f"{value / 1024:,.0f} KiB" if value else "-"

        logs = [column[k] for column in self.logs]
        crashed = self.get("crashed", k)
        return (
            f"| {self.get('requests', k):,} | {self.get('view', k)} | {kib('traced')} "
            f"| {kib('peak')} | {kib('rss')} | {max(logs)} | {'/'.join(map(str, logs))} "
            f"| {'-' if crashed < 0 else crashed} | {self.get('seconds_ms', k) / 1000:.1f} |"
        )


HEADER = (
    "| requests | view | traced | traced peak | RSS | largest log | logs (replica 0..3) "
    "| crashed | s |\n|---:|---:|---:|---:|---:|---:|---|---:|---:|"
)


def soak(
    requests: int, every: int, sample: int, trace: bool, diff_at: tuple[int, ...] = ()
) -> tuple[Rows, float, float, list[tracemalloc.Snapshot]]:
    """Run the soak, printing each row; returns the rows, the wall and CPU seconds, and
    the snapshots taken at the requests `diff_at` (with tracing)."""
    rt = Runtime(REPLICAS, sink=_drop, checkpoint_interval=K, log_size=L)
    rt.client(CLIENT)
    rows = Rows(requests // sample)
    snapshots: list[tracemalloc.Snapshot] = []
    crashed: int | None = None
    if trace:
        tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    for k in range(requests):
        if k % every == every // 2 and crashed is not None:
            rt.recover(crashed)
            crashed = None
        if k % every == 0:
            before = view_of(rt)
            crashed = before % REPLICAS
            rt.crash(crashed)
        try:
            rt.call(CLIENT, k + 1)
        except ValueError as error:
            raise SystemExit(f"bench_soak: {error}") from None
        if rt.accepted(CLIENT)[-1][0] != k + 1 or rt.inflight:
            raise SystemExit(f"bench_soak: request {k + 1} was not accepted")
        if k % every == 0 and view_of(rt) <= before:
            raise SystemExit(f"bench_soak: no view change after the crash before {k + 1}")
        if (k + 1) % sample == 0:
            gc.collect()
            traced, peak = tracemalloc.get_traced_memory() if trace else (0, 0)
            elapsed = int(1000 * (time.perf_counter() - started))
            values = (k + 1, view_of(rt), traced, peak, rss(), -1 if crashed is None else crashed)
            rows.add((*values, elapsed), tuple(rt.log_sizes().values()))
            if trace:
                tracemalloc.reset_peak()
                if k + 1 in diff_at:
                    snapshots.append(tracemalloc.take_snapshot())
            print(rows.show(rows.count - 1), flush=True)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    if trace:
        tracemalloc.stop()
    return rows, wall, cpu, snapshots


def spread(values: Sequence[int]) -> tuple[int, int, float, float]:
    """Least, most, (max - min) / min and (last - first) / first, in percent."""
    low, high = min(values), max(values)
    return low, high, 100 * (high - low) / low, 100 * (values[-1] - values[0]) / values[0]


def slope(xs: Sequence[int], ys: Sequence[int]) -> float:
    """The least-squares slope of ys on xs (0 for fewer than two points)."""
    n = len(xs)
    if n < 2:
        return 0.0
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx


def period(every: int, sample: int) -> int:
    """Requests after which the run is in the same phase again: the crashes rotate over
    the replicas (one view per crash), and the checkpoints and the rows recur."""
    return math.lcm(REPLICAS * every, K, sample)


def summary(rows: Rows, warmup: int, every: int, sample: int, trace: bool) -> bool:
    """Print the measures after the warm-up and the same-phase comparison; returns
    whether the memory is flat."""
    after = [k for k in range(rows.count) if rows.get("requests", k) > warmup]
    xs = [rows.get("requests", k) for k in after]
    print(f"after the first {warmup:,} requests ({len(after)} rows):")
    print()
    print("| measure | min | max | spread | drift | slope |")
    print("|---|---:|---:|---:|---:|---:|")
    measures = [("RSS", "rss")]
    if trace:
        measures[:0] = [("traced now", "traced"), ("traced peak since the last row", "peak")]
    for label, name in measures:
        ys = [rows.get(name, k) for k in after]
        low, high, width, drift = spread(ys)
        print(
            f"| {label} | {low / 1024:,.0f} KiB | {high / 1024:,.0f} KiB | {width:.1f}% "
            f"| {drift:+.1f}% | {1000 * slope(xs, ys):+,.0f} B per 1,000 requests |"
        )
    flat = spread([rows.get("rss", k) for k in after])[2] <= FLAT
    p = period(every, sample)
    at = {rows.get("requests", k): k for k in range(rows.count)}
    pairs = [(k, at[x + p]) for k, x in zip(after, xs, strict=True) if x + p in at]
    print()
    if not pairs:
        print(f"same phase: the run is shorter than warm-up + one period ({p:,} requests)")
        return flat
    print(f"same phase, one period ({p:,} requests) apart, {len(pairs)} pairs of rows:")
    for label, name in measures:
        growth = [rows.get(name, b) - rows.get(name, a) for a, b in pairs]
        mean = sum(rows.get(name, k) for k in after) / len(after)
        worst = max(range(len(pairs)), key=lambda j: abs(growth[j]))
        percent = 100 * growth[worst] / mean
        print(
            f"- {label}: mean {sum(growth) / len(growth) / 1024:+,.1f} KiB, the most "
            f"{growth[worst] / 1024:+,.1f} KiB (at {rows.get('requests', pairs[worst][1]):,}), "
            f"{percent:+.1f}% of its mean after the warm-up ({mean / 1024:,.0f} KiB)"
        )
        if name == "traced":
            flat = flat and abs(percent) <= FLAT
    return flat


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--every", type=int, default=10_000, help="a crash every N requests")
    parser.add_argument("--sample", type=int, default=1_000, help="a row every N requests")
    parser.add_argument("--warmup", type=int, default=None, help="default: --every")
    parser.add_argument("--no-tracemalloc", dest="trace", action="store_false")
    parser.add_argument("--diff", type=int, default=0, metavar="N")
    args = parser.parse_args(argv)
    warmup = args.every if args.warmup is None else args.warmup
    for name in ("requests", "every", "sample"):
        if getattr(args, name) < 1:
            parser.error(f"--{name}: expected a positive integer")
    if args.requests % args.sample:
        parser.error("--requests: expected a multiple of --sample")
    if not 0 <= warmup < args.requests - args.sample:
        parser.error(f"--warmup: expected 0..{args.requests - args.sample - 1}")
    print(
        f"# {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs; n = {REPLICAS}, K = {K}, L = {L}; "
        f"{args.requests:,} requests, a crash every {args.every:,}; "
        f"tracemalloc {'on' if args.trace else 'off'}"
    )
    print()
    print(HEADER)
    # --diff: from the first row after the warm-up to the last row in the same phase
    first = (warmup // args.sample + 1) * args.sample
    p = period(args.every, args.sample)
    last = first + (args.requests - first) // p * p
    if last == first:
        last = args.requests // args.sample * args.sample
    diff_at = (first, last) if args.diff and first < last else ()
    rows, wall, cpu, snaps = soak(args.requests, args.every, args.sample, args.trace, diff_at)
    print()
    flat = summary(rows, warmup, args.every, args.sample, args.trace)
    print()
    on = "RSS spread, and traced growth at the same phase," if args.trace else "RSS spread"
    print(f"verdict: {'flat' if flat else 'NOT flat'} ({on} within {FLAT}%)")
    print(
        f"throughput: {args.requests / wall:,.0f} requests/s wall ({wall:.1f} s), "
        f"{args.requests / cpu:,.0f} per CPU second; views 0 to {rows.get('view', rows.count - 1)}"
    )
    if len(snaps) == 2:
        print()
        print(f"traced growth by line, request {first:,} to {last:,}:")
        for stat in snaps[1].compare_to(snaps[0], "lineno")[: args.diff]:
            print(f"  {stat}")


if __name__ == "__main__":
    main()
