"""The proofs `coordspec prove` runs, in order, each with its negative twin."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.table import Table
from rich.text import Text

from proofs import pbft_induction, quorum, weights
from proofs.core import Result, Theorem, run

#: Every theorem, in the order of issue 6: quorums, weighted quorums, the cap (and the
#: scaling), PBFT safety by induction.
THEOREMS: tuple[Theorem, ...] = (
    quorum.INTERSECTION,
    quorum.INTERSECTION_SETS,
    weights.WEIGHTED_QUORUMS,
    weights.CAP,
    weights.SCALING,
    pbft_induction.THEOREM,
)


class UnknownProofError(LookupError):
    """A name that is not a theorem's."""


def select(names: Sequence[str]) -> list[Theorem]:
    """The theorems named (all of them for no names), in registry order."""
    known = {t.name: t for t in THEOREMS}
    for name in names:
        if name not in known:
            raise UnknownProofError(f"no proof named {name!r} (known: {', '.join(known)})")
    return [t for t in THEOREMS if not names or t.name in names]


def prove(
    theorems: Sequence[Theorem], progress: Callable[[str], None] | None = None
) -> list[Result]:
    """Each theorem, then its twin; `progress` is told which one is being proved."""
    results = []
    for k, theorem in enumerate(theorems, start=1):
        if progress is not None:
            progress(f"prove: {theorem.name} ({k}/{len(theorems)})")
        results.append(run(theorem))
        if progress is not None:
            progress(f"prove: {theorem.name}'s twin ({k}/{len(theorems)})")
        results.append(run(theorem, twin=True))
    return results


def table(results: Sequence[Result]) -> Table:
    """The `coordspec prove` table: name, statement, result, solver seconds."""
    out = Table(title="coordspec prove: Z3 proofs and their negative twins")
    for column in ("proof", "statement", "obligations", "result", "s"):
        out.add_column(column, justify="right" if column in ("obligations", "s") else "left")
    for r in results:
        expected = "refuted" if r.twin else "proved"
        verdict = r.status if r.ok else f"{r.status} (expected {expected})"
        style = "green" if r.ok else "bold red"
        out.add_row(
            r.name,
            r.statement,
            str(len(r.outcomes)),
            Text(verdict, style=style),
            f"{r.seconds:.2f}",
        )
    return out
