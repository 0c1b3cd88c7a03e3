"""The files of the vectors and `manifest.json`: their JSON forms, and writing them.

Several protocols' vectors may share one directory: each writes its own `DIR/<protocol>/`
and its part of `DIR/manifest.json` (`protocols.<protocol>` and its cases), keeping the
other protocols' parts. Every ITF trace written (`history.itf.json`, `trace.itf.json`)
carries the configuration in `#meta.params`, as `check --trace-out` does, so that
`coordspec conform` replays it with no flags whatever the bounds.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from model_check.event_codec import event_form, event_table
from model_check.fingerprint import Canonicaliser
from model_check.generate.per_agent import AGENT_FILE, AgentFiles, agent_files
from model_check.generate.vectors import (
    EVENTS_DIR,
    FORMAT,
    MANIFEST,
    MULTI_STEP,
    VERSION,
    GenerateError,
    Json,
    MultiStep,
    Vectors,
)
from model_check.itf import encode_trace, encode_value, state_vars
from model_check.schemas import definition, validate
from spec.core import Model, action_args, action_name, record_fields


def state_record(state: object, canon: Canonicaliser | None = None) -> dict[str, Json]:
    """A state as an ITF state record: one entry per state variable (`state_vars`)."""
    canon = canon or Canonicaliser()
    if attrs.has(type(state)):
        return {k: encode_value(v, canon) for k, v in record_fields(state).items()}
    return {state_vars(state)[0]: encode_value(state, canon)}


def action_json(action: object, canon: Canonicaliser | None = None) -> dict[str, Json]:
    """An action as Quint's `--mbt` mode writes it: `mbt::actionTaken`, `mbt::nondetPicks`."""
    canon = canon or Canonicaliser()
    picks = {
        k: {"tag": "Some", "value": encode_value(v, canon)} for k, v in action_args(action).items()
    }
    return {"mbt::actionTaken": action_name(action), "mbt::nondetPicks": picks}


def _dump(path: Path, value: Json) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _verdict(valid: bool, guard: str | None, reason: str | None) -> dict[str, Json]:
    if valid:
        return {"valid": True}
    return {"valid": False, "guard": guard, "reason": reason}


def trace_meta(vectors: Vectors, **more: Json) -> dict[str, Json]:
    """The `#meta` of a trace written with the vectors: the protocol, its configuration
    (`params`, as `coordspec conform` reads them back) and `more`."""
    return {"protocol": vectors.protocol, "params": dict(vectors.config), **more}


def case_files(
    vectors: Vectors, events: Mapping[str, type], agents: AgentFiles | None = None
) -> Iterator[tuple[str, Json]]:
    """Every file of the vectors but the manifest: (path relative to DIR, content).

    `agents`: the per-agent forms (`--per-agent`), written as each case's `agent.json`.
    """
    canon = Canonicaliser()
    top = vectors.protocol
    for case in vectors.cases:
        where = f"{top}/{case.kind}/{case.name}"
        event = action_json(case.action, canon)
        form = event_form(events, case.action)
        if form is not None:
            event["event"] = form
        if case.valid:
            event["byzantine"] = case.byzantine
        if case.perturbed:
            event["perturbed"] = True
        event.update(_verdict(case.valid, case.guard, case.reason))
        yield f"{where}/pre.json", state_record(case.pre, canon)
        yield f"{where}/action.json", event
        if case.valid:
            yield f"{where}/post.json", state_record(case.post, canon)
        if case.history is not None:
            meta = trace_meta(vectors, case=f"{case.kind}/{case.name}")
            yield f"{where}/history.itf.json", encode_trace(case.history, meta)
        if agents is not None and where in agents.written:
            yield f"{where}/{AGENT_FILE}", agents.written[where]
    for ev in vectors.event_cases:
        where = f"{top}/{EVENTS_DIR}/{ev.name}"
        yield f"{where}/pre.json", state_record(ev.pre, canon)
        yield f"{where}/action.json", {"event": ev.event, **_verdict(False, ev.guard, ev.reason)}
    for multi in vectors.multi_step:
        yield from _multi_files(vectors, multi, events, canon)


def _multi_files(
    vectors: Vectors, multi: MultiStep, events: Mapping[str, type], canon: Canonicaliser
) -> Iterator[tuple[str, Json]]:
    where = f"{vectors.protocol}/{MULTI_STEP}/{multi.name}"
    steps: list[Json] = []
    log: list[Json] = []
    session = f"{vectors.protocol}-{multi.name}"
    for step in multi.trace.steps[1:]:
        entry = action_json(step.action, canon)
        form = event_form(events, step.action)
        if form is not None:
            entry["event"] = form
            log.append(_log_line(vectors.protocol, session, len(log), form, True, None, None))
        entry.update({"valid": True, "byzantine": step.byzantine})
        entry["post"] = state_record(step.state, canon)
        steps.append(entry)
    if multi.rejected is not None:
        action, err = multi.rejected
        entry = action_json(action, canon)
        form = event_form(events, action)
        if form is not None:
            entry["event"] = form
            log.append(
                _log_line(vectors.protocol, session, len(log), form, False, err.guard, err.reason)
            )
        entry.update(_verdict(False, err.guard, err.reason))
        steps.append(entry)
    yield f"{where}/pre.json", state_record(multi.trace.steps[0].state, canon)
    yield f"{where}/steps.json", steps
    yield f"{where}/post.json", state_record(multi.trace.steps[-1].state, canon)
    meta = trace_meta(vectors, witness=multi.name)
    yield f"{where}/trace.itf.json", encode_trace(multi.trace, meta)
    if log:
        yield f"{where}/events.jsonl", log


def _log_line(
    protocol: str,
    session: str,
    index: int,
    form: Mapping[str, Json],
    valid: bool,
    guard: str | None,
    reason: str | None,
) -> dict[str, Json]:
    """One line of a per-agent event log: the session's coordinator handles every event."""
    return {
        "agent": "coordinator",
        "protocol": protocol,
        "session_id": session,
        "index": index,
        "event_type": form["event_type"],
        "event_data": form["event_data"],
        "outcome": _verdict(valid, guard, reason),
    }


def protocol_manifest(
    vectors: Vectors, files: Mapping[str, Sequence[str]], agents: AgentFiles | None = None
) -> tuple[dict[str, Json], list[dict[str, Json]]]:
    """One protocol's part of the manifest: its `protocols` entry (configuration,
    generator, counts, coverage, findings, per-agent forms) and its cases.

    A case rejected by a guard that is a bound of the model (`Coverage.guards_bound`)
    says so (`"bound": true`): an implementation need not refuse it.

    Args:
        vectors: what `generate` chose.
        files: the file names of each case directory, by its path relative to DIR.
        agents: the per-agent forms written (None: `--per-agent` was not given).
    """
    cov = vectors.coverage
    entries = []
    per_action: dict[str, dict[str, int]] = {k: {"valid": 0, "rejected": 0} for k in cov.actions}
    per_guard: dict[str, int] = {g: 0 for g in cov.guards}

    def entry(
        path: str, kind: str, action: str | None, valid: bool, guard: str | None, depth: int
    ) -> None:
        found: dict[str, Json] = {
            "path": path,
            "kind": kind,
            "action": action,
            "valid": valid,
            "guard": guard,
            "depth": depth,
            "files": list(files[path]),
        }
        if guard in cov.guards_bound:
            found["bound"] = True
        entries.append(found)

    for case in vectors.cases:
        path = f"{vectors.protocol}/{case.kind}/{case.name}"
        entry(path, "single_step", case.kind, case.valid, case.guard, case.depth)
        counts = per_action.setdefault(case.kind, {"valid": 0, "rejected": 0})
        counts["valid" if case.valid else "rejected"] += 1
        if case.guard is not None:
            per_guard[case.guard] = per_guard.get(case.guard, 0) + 1
    for ev in vectors.event_cases:
        entry(
            f"{vectors.protocol}/{EVENTS_DIR}/{ev.name}", "event_decoding", None, False, ev.guard, 0
        )
    for multi in vectors.multi_step:
        guard = None if multi.rejected is None else multi.rejected[1].guard
        path = f"{vectors.protocol}/{MULTI_STEP}/{multi.name}"
        entry(path, "multi_step", None, multi.rejected is None, guard, len(multi.trace))
    section = {
        "config": vectors.config,
        "generator": {
            "cap": vectors.cap,
            "max_states": vectors.max_states,
            "explored_states": vectors.explored,
            "depth": vectors.depth,
            "complete": vectors.complete,
            "stopped": vectors.stopped,
            "symmetry": vectors.symmetry,
        },
        "counts": {
            "cases": len(entries),
            "valid": sum(1 for c in vectors.cases if c.valid),
            "rejected": sum(1 for c in vectors.cases if not c.valid),
            "event_decoding": len(vectors.event_cases),
            "multi_step": len(vectors.multi_step),
            "per_agent": 0 if agents is None else len(agents.written),
            "per_action": per_action,
            "per_guard": per_guard,
        },
        "coverage": {
            "actions": _fraction_json(cov.actions_covered, cov.actions),
            "guards": _fraction_json(cov.guards_covered, cov.guards),
            "guards_bound": list(cov.guards_bound),
            "event_guards": list(cov.event_guards),
            "witnesses": _fraction_json(cov.witnesses_covered, cov.witnesses),
            "uncovered": [{"name": u.name, "why": u.why} for u in cov.uncovered],
        },
        "findings": {"total": vectors.findings_total, "shown": list(vectors.findings)},
        "per_agent": None if agents is None else agents.summary(),
    }
    return section, entries


#: The totals of the manifest's top-level `counts`, summed over its protocols.
TOTALS = ("cases", "valid", "rejected", "event_decoding", "multi_step", "per_agent")


def manifest(
    vectors: Vectors,
    files: Mapping[str, Sequence[str]],
    agents: AgentFiles | None = None,
    others: Mapping[str, Json] | None = None,
) -> dict[str, Json]:
    """The manifest of DIR: this protocol's part (`protocol_manifest`) and the other
    protocols' parts of the manifest already there (`others`, its protocol replaced).

    Its `protocols` are by name, its `cases` by protocol name and then in each
    protocol's order, its `counts` the totals: the same bytes whatever order the
    protocols were generated in.
    """
    section, entries = protocol_manifest(vectors, files, agents)
    sections: dict[str, Json] = {}
    cases: dict[str, list[Json]] = {}
    if others is not None:
        sections = {p: s for p, s in others["protocols"].items() if p != vectors.protocol}
        for case in others["cases"]:
            owner = case["path"].split("/", 1)[0]
            if owner in sections:
                cases.setdefault(owner, []).append(case)
    sections[vectors.protocol] = section
    cases[vectors.protocol] = entries
    names = sorted(sections)
    return {
        "format": FORMAT,
        "version": VERSION,
        "protocols": {p: sections[p] for p in names},
        "cases": [c for p in names for c in cases.get(p, [])],
        "counts": {k: sum(sections[p]["counts"][k] for p in names) for k in TOTALS},
    }


def _fraction_json(covered: Sequence[str], total: Sequence[str]) -> dict[str, Json]:
    return {"covered": len(covered), "total": len(total), "names": list(covered)}


def read_manifest(out: Path) -> dict[str, Json] | None:
    """`out/manifest.json` when it is a manifest of this format and version (its schema's
    `manifest`); None when there is none, or it is not one."""
    try:
        listed = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if validate(listed, definition("vectors", "manifest")):
        return None
    found: dict[str, Json] = listed
    return found


def _without(listed: Mapping[str, Json], protocol: str) -> dict[str, Json]:
    """A manifest with one protocol's part taken out."""
    sections = {p: s for p, s in listed["protocols"].items() if p != protocol}
    return {
        **listed,
        "protocols": sections,
        "cases": [c for c in listed["cases"] if c["path"].split("/", 1)[0] in sections],
        "counts": {k: sum(s["counts"][k] for s in sections.values()) for k in TOTALS},
    }


def prepare_out(out: Path, protocol: str, force: bool) -> None:
    """Make sure the vectors of `protocol` can be written under `out`, beside those of
    other protocols.

    With `force`, this protocol's directory and its part of the manifest are removed
    (and a manifest that is not one of this format and version is replaced).

    Raises:
        GenerateError: `out` is a file, or holds this protocol's vectors already, or a
            `manifest.json` that is not one of this version (unless `force`).
    """
    if out.exists() and not out.is_dir():
        raise GenerateError(f"--out {out} is a file, not a directory")
    top, man = out / protocol, out / MANIFEST
    listed = read_manifest(out)
    if man.exists() and listed is None:
        if not force:
            raise GenerateError(
                f"{man} is not a manifest of coordspec-vectors version {VERSION}; "
                "use --force to replace it"
            )
        man.unlink()
    holds = listed is not None and protocol in listed["protocols"]
    if top.exists() or holds:
        if not force:
            raise GenerateError(
                f"{out} already holds {protocol} vectors ({top.name}/ or its part of "
                f"{MANIFEST}); use --force to replace them"
            )
        if top.is_dir():
            shutil.rmtree(top)
        elif top.exists():
            top.unlink()
        if listed is not None:
            rest = _without(listed, protocol)
            if rest["protocols"]:
                _dump(man, rest)
            else:
                man.unlink()


def write(
    vectors: Vectors,
    model: Model[Any, Any],
    out: Path,
    force: bool = False,
    per_agent: bool = False,
) -> list[Path]:
    """Write the vectors under `out` and this protocol's part of `manifest.json`;
    return the files written. `per_agent`: also each case's `agent.json`
    (`model_check.generate.per_agent`).

    Raises:
        GenerateError: `out` is a file, or holds this protocol's vectors already (unless
            `force`, which removes those first); `per_agent` for a model without
            participants.
    """
    prepare_out(out, vectors.protocol, force)
    agents = None
    if per_agent:
        bounds = frozenset(vectors.coverage.guards_bound)
        agents = agent_files(vectors.protocol, model, vectors.cases, bounds)
    events = event_table(model).events
    written: list[Path] = []
    files: dict[str, list[str]] = {}
    for rel, content in case_files(vectors, events, agents):
        path = out / rel
        folder, _, name = rel.rpartition("/")
        files.setdefault(folder, []).append(name)
        if name.endswith(".jsonl"):
            path.parent.mkdir(parents=True, exist_ok=True)
            lines = [json.dumps(line, sort_keys=True) for line in content]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        else:
            _dump(path, content)
        written.append(path)
    man = out / MANIFEST
    _dump(man, manifest(vectors, files, agents, read_manifest(out)))
    written.append(man)
    return written
