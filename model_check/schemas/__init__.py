"""The JSON Schemas of coordspec's files, and a validator for the part of JSON Schema
they use.

Two schema documents live beside this module (JSON Schema 2020-12):

- `vectors.schema.json`: the test vectors `coordspec generate` writes (the ITF state
  records `pre.json`/`post.json`, the events `action.json`, the multi-step `steps.json`,
  the ITF traces `trace.itf.json`, and `manifest.json`), one `$defs` entry per file kind;
- `event_log.schema.json`: one line of a per-agent event log in JSON Lines, the seed's
  `event_type` and `event_data` (seed, §1.4: `handle_*_event(session, event_type,
  event_data, state)`) with the agent that handled it and, optionally, the outcome;
- `observation_log.schema.json`: one line of the partial logs `coordspec validate` and
  `coordspec serve` explain (model_check/validate/).

`validate` checks an instance against a schema using only the keywords these documents
use: `type`, `properties`, `required`, `additionalProperties`, `propertyNames`, `items`,
`minItems`, `maxItems`, `enum`, `const`, `pattern`, `minimum`, `$ref` (to `#/$defs/...`),
`oneOf` and `anyOf`. Any other keyword in a schema is an error, so a schema never silently
asks for more than is checked. (`jsonschema` would do; this keeps coordspec free of it.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

Json = Any

#: The schema documents, by short name.
SCHEMA_FILES = {
    "vectors": "vectors.schema.json",
    "event_log": "event_log.schema.json",
    "observation_log": "observation_log.schema.json",
}

#: The keywords `validate` understands; annotations that check nothing are allowed too.
KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "minItems",
        "maxItems",
        "enum",
        "const",
        "pattern",
        "propertyNames",
        "minimum",
        "$ref",
        "oneOf",
        "anyOf",
    }
)
ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description", "$comment"})

_TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")


class SchemaError(ValueError):
    """A schema uses a keyword or a `$ref` that `validate` does not understand."""


@cache
def load(name: str) -> dict[str, Json]:
    """The schema document `name` (`vectors` or `event_log`).

    Raises:
        SchemaError: no such schema.
    """
    file = SCHEMA_FILES.get(name)
    if file is None:
        raise SchemaError(f"no schema {name!r}; the schemas are {', '.join(SCHEMA_FILES)}")
    text = (Path(__file__).parent / file).read_text(encoding="utf-8")
    document: dict[str, Json] = json.loads(text)
    return document


def definition(name: str, entry: str) -> dict[str, Json]:
    """A standalone schema for one `$defs` entry of a document (its `$ref`s resolve).

    Raises:
        SchemaError: no such document or entry.
    """
    document = load(name)
    if entry not in document.get("$defs", {}):
        raise SchemaError(f"schema {name!r} has no definition {entry!r}")
    return {"$ref": f"#/$defs/{entry}", "$defs": document["$defs"]}


def validate(instance: Json, schema: Mapping[str, Json]) -> list[str]:
    """The ways `instance` breaks `schema`: one message each, `path: problem`; [] if valid.

    `$ref`s are resolved against `schema` itself (its `$defs`).

    Raises:
        SchemaError: the schema uses a keyword this validator does not check.
    """
    errors: list[str] = []
    _check(instance, schema, schema, "$", errors)
    return errors


def _type_of(value: Json) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _has_type(value: Json, expected: str) -> bool:
    actual = _type_of(value)
    return actual == expected or (expected == "number" and actual == "integer")


def _resolve(ref: str, root: Mapping[str, Json]) -> Mapping[str, Json]:
    prefix = "#/$defs/"
    target = root.get("$defs", {}).get(ref[len(prefix) :]) if ref.startswith(prefix) else None
    if not isinstance(target, Mapping):
        raise SchemaError(f"cannot resolve $ref {ref!r} (only #/$defs/<name> is supported)")
    return target


def _check(
    value: Json, schema: Mapping[str, Json], root: Mapping[str, Json], path: str, errors: list[str]
) -> None:
    unknown = set(schema) - KEYWORDS - ANNOTATIONS
    if unknown:
        raise SchemaError(f"unsupported schema keywords at {path}: {', '.join(sorted(unknown))}")
    if "$ref" in schema:
        _check(value, _resolve(schema["$ref"], root), root, path, errors)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        for t in types:
            if t not in _TYPES:
                raise SchemaError(f"unknown type {t!r} at {path}")
        if not any(_has_type(value, t) for t in types):
            errors.append(f"{path}: expected {' or '.join(types)}, got {_type_of(value)}")
            return
    if "const" in schema and not _same(value, schema["const"]):
        errors.append(f"{path}: expected {json.dumps(schema['const'])}")
    if "enum" in schema and not any(_same(value, v) for v in schema["enum"]):
        allowed = ", ".join(json.dumps(v) for v in schema["enum"])
        errors.append(f"{path}: expected one of {allowed}, got {json.dumps(value)}")
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        errors.append(f"{path}: {value!r} does not match {schema['pattern']!r}")
    numeric = _type_of(value) in ("integer", "number")
    if numeric and "minimum" in schema and value < schema["minimum"]:
        errors.append(f"{path}: {value} is below the minimum {schema['minimum']}")
    if isinstance(value, list):
        _check_array(value, schema, root, path, errors)
    if isinstance(value, dict):
        _check_object(value, schema, root, path, errors)
    for keyword in ("oneOf", "anyOf"):
        if keyword in schema:
            _check_alternatives(value, schema[keyword], keyword, root, path, errors)


def _same(a: Json, b: Json) -> bool:
    """JSON equality: `true` is not `1`."""
    return _type_of(a) == _type_of(b) and a == b


def _check_array(
    value: list[Json],
    schema: Mapping[str, Json],
    root: Mapping[str, Json],
    path: str,
    errors: list[str],
) -> None:
    if "minItems" in schema and len(value) < schema["minItems"]:
        errors.append(f"{path}: {len(value)} items, at least {schema['minItems']} expected")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        errors.append(f"{path}: {len(value)} items, at most {schema['maxItems']} expected")
    if "items" in schema:
        for i, item in enumerate(value):
            _check(item, schema["items"], root, f"{path}[{i}]", errors)


def _check_object(
    value: dict[str, Json],
    schema: Mapping[str, Json],
    root: Mapping[str, Json],
    path: str,
    errors: list[str],
) -> None:
    properties = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in value:
            errors.append(f"{path}: missing required property {name!r}")
    names = schema.get("propertyNames")
    if names is not None:
        for name in value:
            _check(name, names, root, f"{path}.{name}", errors)
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        where = f"{path}.{name}"
        if name in properties:
            _check(item, properties[name], root, where, errors)
        elif extra is False:
            errors.append(f"{path}: unexpected property {name!r}")
        elif isinstance(extra, Mapping):
            _check(item, extra, root, where, errors)


def _check_alternatives(
    value: Json,
    alternatives: list[Mapping[str, Json]],
    keyword: str,
    root: Mapping[str, Json],
    path: str,
    errors: list[str],
) -> None:
    failures = []
    matched = 0
    for alternative in alternatives:
        found: list[str] = []
        _check(value, alternative, root, path, found)
        failures.append(found)
        if not found:
            matched += 1
            if keyword == "anyOf":
                return  # the first match settles anyOf (and keeps nested ITF values linear)
    if matched > 1:
        errors.append(f"{path}: matches {matched} of the oneOf alternatives, exactly one expected")
    elif matched == 0:
        closest = min(failures, key=len)
        errors.append(f"{path}: matches none of the {keyword} alternatives ({closest[0]})")
