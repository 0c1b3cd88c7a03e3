"""Generate `diagrams/`: the protocols' phase machines and one counterexample per family.

`make diagrams` writes, for each protocol, `<protocol>.dot` and `.svg`: the phase
machine at the default configuration, by `coordspec diagram <protocol> --out ... --svg`
(`protocol_dots` gives the same text); then it runs `python -m tests.mutants.diagrams
diagrams`, which writes for each mutant family (the mutant modules of this package)
`mutant_<name>.dot` and `.svg`: the message sequence chart of the shortest
counterexample the checker finds for one representative mutant, drawn from its ITF
encoding as `coordspec diagram --trace` draws a trace file (with the mutant's own model
for what each step relied on, since `#meta` would rebuild the unbroken protocol).
`tests/test_diagrams.py` regenerates the DOT text and fails when the committed files
are stale.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from model_check.diagram import chart_dot, config_values, protocol_diagram, trace_chart, write
from model_check.itf import encode_trace
from spec import registry
from tests.harness.specs import pinned_counterexample
from tests.mutants import iterative, pbft, weighted

#: One representative per family of bugs: (protocol, mutant), the family in the comment.
FAMILIES: tuple[tuple[str, pbft.Mutant | iterative.Mutant], ...] = (
    # a missing guard: a backup accepts a second pre-prepare for one sequence number
    ("pbft", next(m for m in pbft.MUTANTS if m.name == "accepts_two_pre_prepares")),
    # double counting: the seed's running total adds a re-vote again (W1)
    ("weighted", next(m for m in weighted.MUTANTS if m.name == "seed_running_total")),
    # a missing bound: without max_rounds a session can refine forever (a lasso)
    ("iterative", next(m for m in iterative.MUTANTS if m.name == "no_max_rounds")),
    # a wrong quorum: the seed's 2f + 1 at n = 5 (P8)
    ("pbft", next(m for m in pbft.MUTANTS if m.name == "seed_quorum_2f_plus_1_at_n5")),
    # a view change that loses a prepared certificate
    ("pbft", next(m for m in pbft.MUTANTS if m.name == "new_view_ignores_p")),
    # no authentication: a forged message counts
    ("pbft", next(m for m in pbft.MUTANTS if m.name == "no_authentication")),
    # liveness: the seed's prepare rule stalls with one silent backup (stuttering)
    ("pbft", next(m for m in pbft.MUTANTS if m.name == "seed_prepare_rule_silent_backup")),
    # a decision that is not final: votes after the decision move it
    ("weighted", next(m for m in weighted.MUTANTS if m.name == "votes_after_decision")),
    # a missing guard in refinement: feedback on one's own proposal counts
    ("iterative", next(m for m in iterative.MUTANTS if m.name == "self_feedback_counted")),
)


def protocol_dots() -> dict[str, str]:
    """File name -> DOT text of each protocol's phase machine at its defaults."""
    result = {}
    for spec in registry.specifications().values():
        result[f"{spec.name}.dot"] = protocol_diagram(spec)
    return result


def mutant_dot(protocol: str, mutant: pbft.Mutant | iterative.Mutant) -> str:
    """The chart of the mutant's shortest counterexample of its pinned property, drawn
    from its ITF encoding.

    Raises:
        AssertionError: the checker finds no counterexample (the mutant is not caught).
    """
    model, found = pinned_counterexample(mutant)  # the pinned property's (`first`)
    meta = {
        "protocol": protocol,
        "property": found.property,
        "kind": found.kind,
        "params": config_values(getattr(model, "config", None)),
    }
    chart = trace_chart(encode_trace(found.trace, meta), model)  # the mutant's relied_on
    return chart_dot(chart, f"mutant_{mutant.name}")


def mutant_dots() -> dict[str, str]:
    """File name -> DOT text of each family's counterexample chart."""
    return {f"mutant_{m.name}.dot": mutant_dot(protocol, m) for protocol, m in FAMILIES}


def generate(directory: Path, svg: bool = True, protocols: bool = False) -> list[Path]:
    """Write the mutant families' charts (with `protocols`, the phase machines too) into
    `directory`; the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    texts = {**protocol_dots(), **mutant_dots()} if protocols else mutant_dots()
    written = []
    for name, text in texts.items():
        written += write(text, directory / name, svg)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m tests.mutants.diagrams [--all] [--no-svg] [DIR]` (default `diagrams`):
    the charts; `--all` adds the phase machines, `--no-svg` writes DOT text only."""
    args = list(sys.argv[1:] if argv is None else argv)
    flags = {a for a in args if a.startswith("--")}
    unknown = flags - {"--all", "--no-svg"}
    if unknown:
        print(f"unknown option {sorted(unknown)[0]}", file=sys.stderr)
        return 2
    places = [a for a in args if not a.startswith("--")]
    directory = Path(places[0] if places else "diagrams")
    for path in generate(directory, "--no-svg" not in flags, "--all" in flags):
        print(f"Wrote {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover - the `make diagrams` entry point
    sys.exit(main())
