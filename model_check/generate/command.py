"""`coordspec generate`: search, write, check against the schemas, and report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from model_check.generate.files import prepare_out, write
from model_check.generate.per_agent import AGENT_FILE, check_per_agent
from model_check.generate.search import generate
from model_check.generate.validation import validate_vectors
from model_check.generate.vectors import DEFAULT_CAP, DEFAULT_MAX_STATES, GenerateError, Vectors
from spec.core import Model


def coverage_lines(vectors: Vectors) -> list[str]:
    """The coverage report printed by `coordspec generate`."""
    cov = vectors.coverage
    n_valid = sum(1 for c in vectors.cases if c.valid)
    n_rejected = len(vectors.cases) - n_valid
    lines = [
        f"coordspec generate {vectors.protocol}: {len(vectors.cases)} single-step cases "
        f"({n_valid} valid, {n_rejected} rejected), {len(vectors.event_cases)} event-decoding, "
        f"{len(vectors.multi_step)} multi-step",
        f"Explored {vectors.explored} states to depth {vectors.depth}; stopped: {vectors.stopped}.",
        f"Actions covered: {len(cov.actions_covered)}/{len(cov.actions)}",
        f"Guards rejected: {len(cov.guards_covered)}/{len(cov.guards)}",
        f"Witness traces: {len(cov.witnesses_covered)}/{len(cov.witnesses)}",
    ]
    if cov.event_guards:
        lines.append(f"Event-decoding guards: {', '.join(cov.event_guards)}")
    for u in cov.uncovered:
        lines.append(f"Not covered: {u.name}: {u.why}")
    if vectors.findings_total:
        lines.append(
            f"Spec findings: {vectors.findings_total} perturbed actions broke the step contract; "
            "the first ones:"
        )
        lines += [f"  {f}" for f in vectors.findings]
    return lines


def run(
    protocol: str,
    model: Model[Any, Any],
    config: object,
    out: Path,
    *,
    cap: int = DEFAULT_CAP,
    max_states: int = DEFAULT_MAX_STATES,
    symmetry: bool | None = None,
    force: bool = False,
    per_agent: bool = False,
    progress: Callable[[str], None] | None = None,
) -> list[str]:
    """`coordspec generate`: choose, write and check the vectors; return the report lines.

    `per_agent`: also write each case as one participant sees it (`agent.json`,
    `model_check.generate.per_agent`). `progress` is told each stage as it begins.

    Raises:
        GenerateError: bad bounds or output directory, `per_agent` for a model without
            participants, or written files that break the schema (a bug in coordspec).
    """

    def say(text: str) -> None:
        if progress is not None:
            progress(f"generate {protocol}: {text}")

    prepare_out(out, protocol, force)  # before the search, so a bad --out fails at once
    if per_agent:
        check_per_agent(protocol, model)
    say("exploring the reachable states and choosing the cases")
    vectors = generate(protocol, model, config, cap=cap, max_states=max_states, symmetry=symmetry)
    say(f"writing {len(vectors.cases)} cases under {out}")
    written = write(vectors, model, out, force=force, per_agent=per_agent)
    say(f"checking {len(written)} files against the JSON Schemas")
    problems = validate_vectors(out)
    if problems:  # pragma: no cover - the generator and the schema disagree: a bug
        raise GenerateError(f"the files written break the schema: {problems[0]}")
    lines = coverage_lines(vectors)
    if per_agent:
        agents = sum(1 for p in written if p.name == AGENT_FILE)
        line = f"Per-agent cases: {agents} of {len(vectors.cases)} single-step cases"
        if agents < len(vectors.cases):
            line += (
                f"; {len(vectors.cases) - agents} have no participant to give them to "
                "(manifest.json says why)"
            )
        lines.append(line + ".")
    lines.append(f"Wrote {len(written)} files under {out} (all valid against the JSON Schemas).")
    return lines
