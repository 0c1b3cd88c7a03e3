"""Checking a vectors directory against the JSON Schemas (`model_check/schemas/`)."""

from __future__ import annotations

import json
from pathlib import Path

from model_check.schemas import definition, validate

#: The `$defs` entry of `vectors.schema.json` for each file name of a vectors directory.
FILE_SCHEMAS = {
    "pre.json": "stateRecord",
    "post.json": "stateRecord",
    "action.json": "action",
    "steps.json": "steps",
    "trace.itf.json": "itfTrace",
    "history.itf.json": "itfTrace",
    "manifest.json": "manifest",
    "agent.json": "agentCase",
}


def validate_vectors(out: Path) -> list[str]:
    """Check `out/manifest.json` and every file it lists against the JSON Schemas.

    Returns one message per problem (`file: path: problem`), [] when all are valid; a
    file on disk under a protocol the manifest lists, that it does not list, is a
    problem too (so is a case outside its protocol's directory).
    """
    errors: list[str] = []
    try:
        listed = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return [f"manifest.json: cannot be read: {err}"]
    errors += [f"manifest.json: {e}" for e in validate(listed, definition("vectors", "manifest"))]
    if errors:
        return errors
    expected = {"manifest.json"}
    protocols = list(listed["protocols"])
    for case in listed["cases"]:
        if case["path"].split("/", 1)[0] not in protocols:
            errors.append(f"{case['path']}: not under a protocol of manifest.json")
            continue
        for name in case["files"]:
            rel = f"{case['path']}/{name}"
            expected.add(rel)
            text = (out / rel).read_text(encoding="utf-8")
            if name.endswith(".jsonl"):
                schema = definition("event_log", "event")
                for n, line in enumerate(text.splitlines()):
                    errors += [f"{rel}:{n + 1}: {e}" for e in validate(json.loads(line), schema)]
                continue
            kind = FILE_SCHEMAS.get(name)
            if kind is None:
                errors.append(f"{rel}: no schema for a file called {name}")
                continue
            errors += [
                f"{rel}: {e}" for e in validate(json.loads(text), definition("vectors", kind))
            ]
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    for rel in sorted(on_disk - expected):
        if rel.split("/", 1)[0] in protocols:
            errors.append(f"{rel}: not listed in manifest.json")
    return errors
