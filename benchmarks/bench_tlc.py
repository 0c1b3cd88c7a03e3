"""coordspec against TLC 2.20 (one worker) on identical models, side by side.

Usage: `python benchmarks/bench_tlc.py [--rows NAME,...]` (from the repository root;
needs java and TLC's jar, found as tests/tlc.py finds them).

Each row is one model that both tools explore with identical distinct-state counts
(tests/test_tlc_*.py prove it): the TLA+ fixture in tests/fixtures/tlc/ run by TLC, and
its port run by `model_check.engine.check` in a fresh Python process, one after the
other. TLC checks no property at all (a violated invariant would stop it early), while
coordspec checks its port's invariants with `--continue` (so the ratio is conservative
for coordspec); neither checks a temporal property (coordspec runs `--no-liveness`,
without the explored graph); deadlock checking as the cfg says. TLC's time
is its process's wall-clock time, JVM start included (about 1 s); coordspec's is its
process's too, interpreter start and imports included. The last column is the ratio of
generated states per second (coordspec / TLC; above 1 coordspec is faster), generated
states being what each tool counts (they differ by TLC's convention on Paxos: README,
"The checker's answers are TLC's answers"). Timings are measurements, never asserted.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests import tlc  # noqa: E402

#: name -> (TLA+ module, cfg constant overrides, coordspec model file, its parameters)
ROWS: dict[str, tuple[str, dict[str, str], str, list[str]]] = {
    "pbft": ("pbft/PBFT.tla", {}, "spec.pbft", ["--preset", "default", "--no-symmetry"]),
    "paxos-b2": (
        "Paxos/Paxos.tla",
        {"MaxBallot": "2"},
        "tests/models/paxos.py",
        ["--max-ballot", "2"],
    ),
    "ewd840-n4": ("EWD840/EWD840.tla", {"N": "4"}, "tests/models/ewd840.py", ["--nodes", "4"]),
}


def tlc_cfg(module: Path, overrides: dict[str, str]) -> str:
    """The fixture's cfg without its properties, its constants set as `overrides` says."""
    base, _, _ = tlc.split_cfg(module.with_suffix(".cfg").read_text())
    for name, value in overrides.items():
        lines = []
        for line in base.splitlines():
            words = line.split()
            for k, word in enumerate(words[:-2]):
                if word == name and words[k + 1] == "=":
                    words[k + 2] = value
            lines.append(" ".join(words) if name in words else line)
        base = "\n".join(lines) + "\n"
    return base


def coordspec(model: str, params: list[str]) -> tuple[dict[str, object], float]:
    """`coordspec check MODEL PARAMS --no-liveness --json` in a fresh process."""
    target = "pbft" if model == "spec.pbft" else model
    command = [sys.executable, "-m", "model_check", "check", target, *params]
    started = time.monotonic()
    done = subprocess.run(
        [*command, "--no-liveness", "--continue", "--json", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    return json.loads(done.stdout), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else "")
    parser.add_argument("--rows", default=",".join(ROWS), help="rows to run, comma-separated")
    args = parser.parse_args()
    reason = tlc.missing()
    if reason is not None:
        sys.exit(f"bench_tlc: {reason}")
    header = (
        "model",
        "distinct",
        "TLC gen",
        "cs gen",
        "TLC s",
        "cs s",
        "TLC gen/s",
        "cs gen/s",
        "ratio",
    )
    print(" | ".join(header))
    for name in args.rows.split(","):
        module, overrides, model, params = ROWS[name]
        path = tlc.FIXTURES / module
        run = tlc.run(path, tlc_cfg(path, overrides), timeout=3600)
        ours, seconds = coordspec(model, params)
        if ours["distinct_states"] != run.distinct:
            sys.exit(f"bench_tlc: {name}: {ours['distinct_states']} != TLC's {run.distinct}")
        generated = int(str(ours["generated_states"]))
        tlc_rate = run.generated / run.seconds
        our_rate = generated / seconds
        row = (
            name,
            f"{run.distinct:,}",
            f"{run.generated:,}",
            f"{generated:,}",
            f"{run.seconds:.1f}",
            f"{seconds:.1f}",
            f"{tlc_rate:,.0f}",
            f"{our_rate:,.0f}",
            f"{our_rate / tlc_rate:.2f}x",
        )
        print(" | ".join(row), flush=True)


if __name__ == "__main__":
    main()
