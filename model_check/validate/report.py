"""The verdicts as reports, JSON and ITF witnesses, and `coordspec validate` itself (`run`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from model_check.itf import encode_trace
from model_check.result import Trace, TraceStep
from model_check.validate.limits import MAX_STATES, Json, LogError
from model_check.validate.protocol import Protocol
from model_check.validate.search import Chain, Verdict, validate
from spec.core import Specification

# --- reports -------------------------------------------------------------------------


def witness_trace(chain: Chain) -> tuple[Trace, list[dict[str, Json]]]:
    """The behaviour as a trace, and each state's `#meta` additions (line, silent)."""
    steps = [c for c in chain.steps() if c.action is not None or c.before is None]
    trace = Trace(tuple(TraceStep(c.action, c.byzantine, c.state) for c in steps))
    extra = [{"line": c.line, "silent": c.action is not None and c.line is None} for c in steps]
    return trace, extra


def witness_itf(protocol: Protocol, verdict: Verdict, meta: Mapping[str, Json]) -> dict[str, Json]:
    """The ITF object of a verdict's behaviour: each state's `#meta.line` is the log line
    its step explains (null for a silent step, `#meta.silent` true)."""
    assert verdict.witness is not None
    trace, extra = witness_trace(verdict.witness)
    obj = encode_trace(trace, meta)
    for state, more in zip(obj["states"], extra, strict=True):
        state["#meta"].update(more)
    return obj


def verdict_json(verdict: Verdict) -> dict[str, Json]:
    """One session's verdict as `--json` prints it."""
    steps, silent = verdict.steps()
    out: dict[str, Json] = {
        "session": verdict.session,
        "result": verdict.result,
        "lines": verdict.total,
        "explained_lines": verdict.lines,
        "states": verdict.states,
        "steps": steps,
        "silent_steps": silent,
    }
    if not verdict.explained:
        out["line"] = verdict.line
        out["candidates"] = verdict.candidates
        out["diagnoses"] = [
            {"candidates": d.count, "reasons": list(d.reasons)} for d in verdict.diagnoses
        ]
    return out


def report_lines(verdicts: Sequence[Verdict]) -> list[str]:
    """The text report: each session's headline, and for an unexplained one its
    candidates' diagnoses."""
    out = []
    for verdict in verdicts:
        out.append(verdict.headline())
        for d in verdict.diagnoses:
            out.append(f"  {d.count} candidate(s):")
            out.extend(f"    {reason}" for reason in d.reasons)
    if len(verdicts) > 1 and all(v.explained for v in verdicts):
        total = sum(v.total for v in verdicts)
        out.append(f"explained: {len(verdicts)} sessions, {total} lines")
    return out


def exit_code(verdicts: Sequence[Verdict]) -> int:
    """0 every session explained, 1 one unexplained, 3 the search gave up."""
    last = verdicts[-1]
    return {"explained": 0, "unexplained": 1}.get(last.result, 3)


def run(
    spec: Specification[Any],
    path: Path,
    values: Mapping[str, str],
    *,
    as_json: bool = False,
    max_states: int = MAX_STATES,
    witness_out: Path | None = None,
    emit: Callable[[str], None] = print,
    progress: Callable[[str], None] | None = None,
) -> int:
    """`coordspec validate`: print the verdicts; 0 explained, 1 unexplained, 3 gave up.

    Raises:
        LogError, ConfigError: bad input (the CLI reports it in one line, exit 2).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise LogError(f"cannot read the log: {err}") from None
    protocol, verdicts = validate(spec, text.splitlines(), values, max_states, progress)
    if witness_out is not None:
        last = verdicts[-1]
        if last.witness is not None:
            meta = {"protocol": spec.name, "log": path.name, "result": last.result}
            obj = witness_itf(protocol, last, meta)
            witness_out.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")
    if as_json:
        body = {
            "protocol": spec.name,
            "log": str(path),
            "result": verdicts[-1].result,
            "sessions": [verdict_json(v) for v in verdicts],
        }
        emit(json.dumps(body, indent=2))
    else:
        for line in report_lines(verdicts):
            emit(line)
    return exit_code(verdicts)
