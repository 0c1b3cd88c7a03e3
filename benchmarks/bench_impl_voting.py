"""Weighted voting and iterative refinement, timed: the seed's Part 4.3 goals.

Usage: `python benchmarks/bench_impl_voting.py [--repeat R]` (from the repository root).

Rows (each timed R times; the table shows the median and the fastest, in ms):

- `weighted vote, 50 agents`: a whole vote through the API: start a session of 50
  agents (mixed expertise), 50 `vote_submission`s split between two options so that
  nothing is decided early, then `voting_deadline`. Seed: "Weighted voting handles 50
  agents with <1 second response time".
- `weight recalculation, N agents`: one `weight_update_request` on a session of N
  agents whose metrics are all new (N expertise weights, the O(n log n) water-filling
  cap, Gini, entropy, the vote total). Seed: "Sub-100ms weight recalculation" (for its
  1-50 agents); the issue's goal: 10,000 agents under 100 ms. Expertise weights lie in
  [0.1, 2], so among 50 or more agents the cap never binds (FINDINGS W5); the row
  `cap + statistics, one agent above half` times `impl.weighted.recalculate` on
  weights where it does (one agent holds 60% before capping).
- `jaccard convergence, N proposals`: the convergence score of a round of N proposals
  (about 12 words each) against the same agents' previous ones (§3.4's
  `calculate_jaccard_similarity`), and `round_completion` of that round (convergence,
  selection among N composite scores, the consensus level). Seed: "Sub-second proposal
  similarity calculation".

The machine is shared and noisy; timings are measurements, never asserted.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from impl import api  # noqa: E402
from impl import iterative as ii  # noqa: E402
from impl import weighted as iw  # noqa: E402
from impl.core import Ok  # noqa: E402

WORDS = [
    "plan",
    "budget",
    "cut",
    "schedule",
    "team",
    "review",
    "risk",
    "cost",
    "time",
    "scope",
    "launch",
    "test",
    "ship",
    "deploy",
    "quality",
    "user",
    "data",
    "model",
    "metric",
    "goal",
    "owner",
    "report",
    "audit",
    "design",
    "build",
    "fix",
]


def timed(run: Callable[[], object], repeat: int) -> list[float]:
    """Wall-clock milliseconds of `repeat` calls."""
    result = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        result.append((time.perf_counter() - start) * 1000)
    return result


def metrics(rng: random.Random) -> dict[str, float]:
    return {name: round(rng.random(), 3) for name in iw.Metrics._fields}


def whole_vote(n: int) -> Callable[[], object]:
    rng = random.Random(50)
    ids = [f"agent{i}" for i in range(n)]
    expertise = {a: metrics(rng) for a in ids}

    def run() -> object:
        started = api.start_weighted_consensus(
            "release", ids, {"expertise": expertise, "options": ["ship", "wait"]}
        )
        assert isinstance(started, Ok)
        s = started.session
        for i, a in enumerate(ids):
            data = {"agent_id": a, "vote": "ship" if i % 2 else "wait", "confidence": 0.9}
            result = api.handle_event(s, "vote_submission", data)
            assert isinstance(result, Ok)
            s = result.session
        closed = api.handle_event(s, "voting_deadline")
        assert isinstance(closed, Ok) and closed.session.closed
        return closed

    return run


def recalculation(n: int) -> Callable[[], object]:
    rng = random.Random(n)
    ids = [f"agent{i}" for i in range(n)]
    started = api.start_weighted_consensus("p", ids)
    assert isinstance(started, Ok)
    session = started.session
    fresh = tuple((*h, iw.Metrics(*metrics(rng).values())) for h in session.expertise_history)
    session = attrs.evolve(session, expertise_history=fresh)

    def run() -> object:
        result = iw.handle_weighted_event(session, "weight_update_request")
        assert isinstance(result, Ok)
        return result

    return run


def capped(n: int) -> Callable[[], object]:
    rng = random.Random(n)
    weights = [0.1 + 1.9 * rng.random() for _ in range(n)]
    weights[n // 2] = 1.5 * (sum(weights) - weights[n // 2])

    def run() -> object:
        stats = iw.recalculate(weights)
        assert abs(stats.max_individual_weight - 0.5) < 1e-9
        return stats

    return run


def proposal_round(n: int) -> tuple[Callable[[], object], Callable[[], object]]:
    rng = random.Random(n)
    ids = [f"agent{i}" for i in range(n)]
    started = api.start_iterative_consensus("plan", ids, {"max_rounds": 10})
    assert isinstance(started, Ok)
    s = started.session

    def text() -> str:
        return " ".join(rng.choice(WORDS) for _ in range(12))

    for _ in range(2):
        for a in ids:
            data = {"agent_id": a, "proposal": text(), "confidence": rng.random()}
            r = ii.handle_iterative_event(s, "proposal_submission", data)
            assert isinstance(r, Ok)
            s = r.session
        for event in ("phase_transition", "quality_assessment"):
            r = ii.handle_iterative_event(s, event)
            assert isinstance(r, Ok)
            s = r.session
        if not s.proposals_history:
            r = ii.handle_iterative_event(s, "round_completion")
            assert isinstance(r, Ok) and r.session.termination_reason is None
            r = ii.handle_iterative_event(r.session, "phase_transition")
            assert isinstance(r, Ok)
            s = r.session
    analysed = s

    def complete() -> object:
        r = ii.handle_iterative_event(analysed, "round_completion")
        assert isinstance(r, Ok)
        return r

    return (lambda: ii.convergence(analysed)), complete


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=7, help="timings per row (default 7)")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    rows: list[tuple[str, int, Callable[[], object], str]] = [
        ("weighted vote (start, votes, deadline)", 50, whole_vote(50), "seed: < 1000 ms"),
    ]
    for n in (50, 10_000):
        goal = "seed: < 100 ms" if n == 50 else "goal: < 100 ms"
        rows.append(("weight recalculation", n, recalculation(n), goal))
    rows.append(
        ("cap + statistics, one agent above half", 10_000, capped(10_000), "goal: < 100 ms")
    )
    for n in (20, 1_000):
        convergence, complete = proposal_round(n)
        rows.append(("jaccard convergence", n, convergence, "seed: < 1000 ms"))
        rows.append(("round completion (jaccard + selection)", n, complete, "seed: < 1000 ms"))
    print(f"python {platform.python_version()} on {platform.machine()}, {args.repeat} runs per row")
    header = f"{'measurement':<40} {'n':>7} {'median ms':>10} {'best ms':>9}  target"
    print(header)
    print("-" * len(header))
    for name, n, run, goal in rows:
        times = timed(run, args.repeat)
        print(f"{name:<40} {n:>7} {statistics.median(times):>10.2f} {min(times):>9.2f}  {goal}")


if __name__ == "__main__":
    main()
