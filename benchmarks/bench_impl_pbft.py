"""The PBFT reference implementation (impl/pbft.py on impl/runtime.py): issue 7's table.

Usage: `python benchmarks/bench_impl_pbft.py [--requests N] [--repeat R]` from the
repository root.

Rows:

- decide one request with n = 4, 10, 40, 100 replicas (no faulty replica, FIFO delivery,
  every replica executes it): wall and CPU time (this process's), best of `--repeat`
  runs, and the packets delivered. On a shared machine the CPU column is the steadier.
  The seed asks under 5 s for 10 replicas; the goal is 10 under 20 ms and 100 under 1 s.
- throughput over N sequential requests (default 10,000: each is submitted once the
  previous one executed everywhere) with 4 replicas and checkpoints on (K = 64,
  L = 128): requests per second.
- memory over the same run under `tracemalloc`, at 1k, 5k and 10k requests: the largest
  replica log (messages held: log slots, certificates, checkpoints, view-changes,
  waiting requests), the traced memory now, and the peak since the previous row. Flat
  means the columns do not grow with the number of requests.

Timings are wall-clock on whatever machine runs this; nothing is asserted.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from impl.core import CollectingSink
from impl.runtime import Runtime

K, L = 64, 128


def _quiet() -> CollectingSink:
    """A sink that keeps nothing (telemetry off the measured path)."""

    class Drop(CollectingSink):
        def __call__(self, event: object) -> None:
            return None

    return Drop()


def decide_one(n: int, repeat: int) -> tuple[float, float, int]:
    """Best wall and CPU time (s) for n replicas to decide one request, and the packets
    delivered."""
    best, best_cpu, delivered = float("inf"), float("inf"), 0
    for _ in range(repeat):
        rt = Runtime(n, sink=_quiet(), checkpoint_interval=K, log_size=L)
        started, cpu = time.perf_counter(), time.process_time()
        rt.submit(1)
        rt.run(timers=False)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert rt.decided == dict.fromkeys(range(n), 1), "a replica did not execute"
        best, best_cpu, delivered = min(best, elapsed), min(best_cpu, cpu), rt.delivered
    return best, best_cpu, delivered


def throughput(requests: int) -> tuple[float, float]:
    """Sequential requests per second (wall, CPU) with 4 replicas and checkpoints on."""
    rt = Runtime(4, sink=_quiet(), checkpoint_interval=K, log_size=L)
    started, cpu = time.perf_counter(), time.process_time()
    for k in range(requests):
        rt.submit(k, client="client:bench")
        rt.run(timers=False)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert set(rt.decided.values()) == {requests}
    return requests / elapsed, requests / cpu


def memory(requests: int) -> list[tuple[int, int, float, float]]:
    """(requests done, largest log, traced KiB now, peak KiB since the last row)."""
    marks = sorted({m for m in (1_000, 5_000, 10_000, requests) if m <= requests})
    rows = []
    rt = Runtime(4, sink=_quiet(), checkpoint_interval=K, log_size=L)
    tracemalloc.start()
    for k in range(1, requests + 1):
        rt.submit(k, client="client:bench")
        rt.run(timers=False)
        if k in marks:
            now, peak = tracemalloc.get_traced_memory()
            rows.append((k, max(rt.log_sizes().values()), now / 1024, peak / 1024))
            tracemalloc.reset_peak()
    tracemalloc.stop()
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"# {platform.python_implementation()} {platform.python_version()}, {platform.machine()}")
    print()
    print("| replicas | decide one request (wall) | (CPU) | packets delivered |")
    print("|---:|---:|---:|---:|")
    for n in (4, 10, 40, 100):
        seconds, cpu, delivered = decide_one(n, args.repeat if n < 100 else 1)
        print(f"| {n} | {seconds * 1000:.1f} ms | {cpu * 1000:.1f} ms | {delivered} |", flush=True)
    print()
    rate, cpu_rate = throughput(args.requests)
    print(f"throughput, {args.requests} sequential requests, n = 4, K = {K}, L = {L}: ")
    print(f"{rate:,.0f} requests/s wall ({args.requests / rate:.1f} s), {cpu_rate:,.0f} per CPU s")
    print()
    print("| requests | largest log (messages) | traced memory | peak since previous row |")
    print("|---:|---:|---:|---:|")
    for k, log, now, peak in memory(args.requests):
        print(f"| {k} | {log} | {now:,.0f} KiB | {peak:,.0f} KiB |", flush=True)


if __name__ == "__main__":
    main()
