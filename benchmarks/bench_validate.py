"""Issue 16's validation table: seconds to explain a log of N events, by what it hides.

Usage (from the repository root)::

    python benchmarks/bench_validate.py [--sizes 100,1000,10000] [--quick]
                                        [--protocols pbft,weighted,iterative]
                                        [--repeat 3] [--once-over 10] [--profile N]

Every log is made of the spec's own behaviours (`tests/harness/observation.py`): random
walks of the protocol's default model (seeds 0, 1, 2, ...), each written by `log_of` as
one session (`"session": "s<seed>"`), sessions concatenated until the log has N lines
(the last one cut short: a prefix of a behaviour is a behaviour) and interleaved four at
a time, line by line, as a merged log would be. The specs are bounded (a weighted
session is 3 to 10 events, a PBFT one about 17), so a long log is many independent
sessions, each searched from the initial state; the figures per event are what grows.

Rows, for each protocol and size, from least hidden to most (the `hidden` column):

- `one var`: every event with its arguments, one variable hidden in every line's
  global observation: PBFT `prepares` (the prepare messages sent, which the replicas'
  Prepare lines then do not pin), weighted `agent_weights` (the capped weights that a
  WeightUpdateRequest or ExpertiseAssessment recomputes), iterative
  `feedback_collection` (the feedback received in the round).
- `half vars`: every second variable of the state, in its declared order (the header
  names them).
- `all vars`: events and their arguments only, no observation.
- `all vars, -ARG`: events only, one argument left out as well (PBFT `digest`,
  weighted `confidence`, iterative `proposal`; not `score`, which has one value in the
  default model): the search tries every value enabled.
- PBFT only, `replica 1`, `replicas 1,2`: those replicas log their own steps and local
  view (`local_view`, the `log` of messages hidden), the others' steps and the client's
  requests are silent and searched for.

Columns: events (log lines), sessions, runs (best of `--repeat`; a row whose first run
takes over `--once-over` seconds runs once), seconds (`model_check.validate.validate`
on the log's text lines: parsing, every session's search, the verdicts), states
searched (the sum of the sessions' nodes, the same in every run), states per event,
events per second, and the result: every session must be explained; a row that is not
says so in capitals and the script exits 1. `--profile N` prints cProfile's top N
functions (cumulative time) after each row. The full table takes about 20 minutes on
2 cores, most of it PBFT's `replica 1` row at 10,000 events (`--quick`: a minute and a
half). Timings are measurements on a shared machine, never asserted; run one benchmark
at a time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import sys
import time
from collections.abc import Collection, Sequence
from itertools import count, zip_longest
from pathlib import Path
from typing import Any

import attrs

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the repository's packages
    sys.path.insert(0, str(ROOT))

from model_check.validate import Verdict, validate  # noqa: E402
from spec.core import Model, Specification  # noqa: E402
from spec.registry import specification  # noqa: E402
from tests.harness.observation import log_of, text, walk  # noqa: E402

Json = Any

PROTOCOLS = ("pbft", "weighted", "iterative")
#: The one variable hidden in the least hidden row, by protocol.
ONE_VARIABLE = {"pbft": "prepares", "weighted": "agent_weights", "iterative": "feedback_collection"}
#: The argument left out in the events-only row, by protocol.
ONE_ARGUMENT = {"pbft": "digest", "weighted": "confidence", "iterative": "proposal"}
#: Sessions interleaved line by line.
INTERLEAVE = 4
#: The longest walk (every protocol's walks end sooner: the specs are bounded).
WALK_STEPS = 1000
#: The validator's budget for the whole log (its default, 10^6, is for one file's search).
MAX_STATES = 10**9


@attrs.frozen
class Level:
    """What a row's logs leave out: `log_of`'s keyword arguments."""

    name: str
    hidden: frozenset[str] = frozenset()
    hidden_args: frozenset[str] = frozenset()
    agents: frozenset[int] | None = None
    local: bool = False


def variables(model: Model[Any, Any]) -> list[str]:
    """The state's variables in their declared order."""
    return [f.name for f in attrs.fields(type(model.initial()[0]))]


def levels(protocol: str, model: Model[Any, Any]) -> list[Level]:
    """The rows of one protocol, from least hidden to most."""
    every = variables(model)
    one, arg = ONE_VARIABLE[protocol], ONE_ARGUMENT[protocol]
    out = [
        Level(f"one var ({one})", frozenset({one})),
        Level(f"half vars ({(len(every) + 1) // 2} of {len(every)})", frozenset(every[::2])),
        Level("all vars", frozenset(every)),
        Level(f"all vars, -{arg}", frozenset(every), frozenset({arg})),
    ]
    if protocol == "pbft":
        log = frozenset({"log"})
        out.append(Level("replica 1 (local, -log)", log, agents=frozenset({1}), local=True))
        out.append(Level("replicas 1,2 (local, -log)", log, agents=frozenset({1, 2}), local=True))
    return out


class Behaviours:
    """The protocol's random walks by seed, each walked once."""

    def __init__(self, model: Model[Any, Any]) -> None:
        self.model = model
        self._walks: list[list[tuple[Any, Any]]] = []

    def __call__(self, seed: int) -> list[tuple[Any, Any]]:
        while len(self._walks) <= seed:
            self._walks.append(walk(self.model, WALK_STEPS, len(self._walks)))
        return self._walks[seed]


def build_log(
    model: Model[Any, Any], behaviours: Behaviours, level: Level, events: int
) -> tuple[list[dict[str, Json]], int]:
    """A log of exactly `events` lines at `level`, and its number of sessions."""
    parts: list[list[dict[str, Json]]] = []
    total = 0
    for seed in count():
        if total >= events:
            break
        lines = log_of(
            model,
            behaviours(seed),
            hidden=level.hidden,
            hidden_args=level.hidden_args,
            agents=level.agents,
            local=level.local,
            session=f"s{seed}",
        )
        if lines:
            parts.append(lines[: events - total])
            total += len(parts[-1])
        elif seed > 1000 and not parts:
            raise SystemExit(f"{level.name}: no walk of the first 1,000 logs a line")
    log: list[dict[str, Json]] = []
    for k in range(0, len(parts), INTERLEAVE):
        for row in zip_longest(*parts[k : k + INTERLEAVE]):
            log.extend(line for line in row if line is not None)
    return log, len(parts)


@attrs.frozen
class Measured:
    """One row's figures."""

    seconds: float
    runs: int
    states: int
    verdicts: tuple[Verdict, ...]
    profile: str = ""


def measure(
    spec: Specification[Any],
    lines: Sequence[str],
    repeat: int,
    once_over: float,
    profile: int,
) -> Measured:
    """The best of up to `repeat` validations of `lines` (one when the first is slow)."""
    best = float("inf")
    states: int | None = None
    verdicts: tuple[Verdict, ...] = ()
    runs = 0
    while runs < repeat:
        started = time.perf_counter()
        _, found = validate(spec, lines, max_states=MAX_STATES)
        seconds = time.perf_counter() - started
        runs += 1
        searched = sum(v.states for v in found)
        if states is not None and searched != states:
            raise SystemExit(f"{spec.name}: {searched:,} states searched, then {states:,}")
        states, verdicts, best = searched, tuple(found), min(best, seconds)
        if seconds > once_over:
            break
    shown = ""
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        validate(spec, lines, max_states=MAX_STATES)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(profile)
        shown = out.getvalue()
    assert states is not None
    return Measured(best, runs, states, verdicts, shown)


def result(verdicts: Collection[Verdict], sessions: int) -> str:
    """The row's result: `explained` when every session is, else the first failure loudly."""
    bad = [v for v in verdicts if not v.explained]
    if bad:
        return "NOT EXPLAINED: " + bad[0].headline()
    if len(verdicts) != sessions:
        return f"ONLY {len(verdicts)} OF {sessions} SESSIONS VALIDATED"
    return "explained"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else "")
    parser.add_argument("--sizes", default="100,1000,10000", help="log lengths, comma-separated")
    parser.add_argument("--quick", action="store_true", help="sizes 100 and 1000 only")
    parser.add_argument("--protocols", default=",".join(PROTOCOLS), help="comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs a row, the best reported")
    parser.add_argument(
        "--once-over", type=float, default=10.0, help="a row whose first run takes longer runs once"
    )
    parser.add_argument("--profile", type=int, default=0, help="print cProfile's top N per row")
    opts = parser.parse_args()
    try:
        sizes = [100, 1000] if opts.quick else [int(s) for s in opts.sizes.split(",") if s]
    except ValueError:
        parser.error(f"--sizes: expected integers, got {opts.sizes!r}")
    if not sizes or min(sizes) < 1:
        parser.error("--sizes: expected positive integers")
    if opts.repeat < 1:
        parser.error("--repeat: expected at least 1")
    names = [p for p in opts.protocols.split(",") if p]
    unknown = [p for p in names if p not in PROTOCOLS]
    if unknown or not names:
        parser.error(f"--protocols: unknown {unknown[:1]}; protocols: {', '.join(PROTOCOLS)}")
    print(f"# {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(
        "# model_check.validate.validate on a log of N lines: sessions of the default "
        "model's random walks,"
    )
    print(
        f"# {INTERLEAVE} interleaved at a time; best of --repeat {opts.repeat} (one run if over "
        f"{opts.once_over:g} s); max_states {MAX_STATES:,} for the whole log"
    )
    failed = False
    for protocol in names:
        spec = specification(protocol)
        model = spec.model()
        behaviours = Behaviours(model)
        rows = levels(protocol, model)
        half = next(r for r in rows if r.name.startswith("half"))
        print(f"# {protocol}: half vars hides {', '.join(sorted(half.hidden))}")
        print(
            f"{'protocol':<9} {'events':>6} {'hidden':<29} {'sessions':>8} {'runs':>4} "
            f"{'seconds':>8} {'states':>10} {'st/event':>8} {'events/s':>8}  result"
        )
        for events in sizes:
            for level in rows:
                log, sessions = build_log(model, behaviours, level, events)
                lines = text(log, {"protocol": protocol}).splitlines()
                m = measure(spec, lines, opts.repeat, opts.once_over, opts.profile)
                verdict = result(m.verdicts, sessions)
                failed = failed or verdict != "explained"
                rate = len(log) / m.seconds if m.seconds else 0.0
                print(
                    f"{protocol:<9} {len(log):>6,} {level.name:<29} {sessions:>8,} {m.runs:>4} "
                    f"{m.seconds:>8.2f} {m.states:>10,} {m.states / len(log):>8.1f} "
                    f"{rate:>8,.0f}  {verdict}"
                )
                if m.profile:
                    print(m.profile)
                sys.stdout.flush()
    if failed:
        raise SystemExit("some rows were not explained (NOT EXPLAINED above)")


if __name__ == "__main__":
    main()
