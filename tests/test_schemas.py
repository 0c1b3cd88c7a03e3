"""The JSON Schema validator (`model_check.schemas`) and the schema documents themselves."""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model_check.engine import Options, check
from model_check.itf import encode_trace, encode_value, write_trace
from model_check.schemas import (
    ANNOTATIONS,
    KEYWORDS,
    SchemaError,
    definition,
    load,
    validate,
)
from tests.models import diehard

# --- the validator, keyword by keyword ----------------------------------------------


@pytest.mark.parametrize(
    ("schema", "good", "bad"),
    [
        ({"type": "integer"}, [0, -3], [True, 1.5, "1", None]),
        ({"type": "number"}, [1, 1.5], [False, "1"]),
        ({"type": "boolean"}, [True], [0]),
        ({"type": "null"}, [None], [0, ""]),
        ({"type": ["string", "integer"]}, ["a", 3], [False, []]),
        ({"type": "array"}, [[]], [{}]),
        ({"type": "object"}, [{}], [[]]),
        ({"const": True}, [True], [1, False]),
        ({"const": 1}, [1], [True, 1.5]),
        ({"enum": ["a", 2]}, ["a", 2], ["b", 3, True]),
        ({"pattern": "^-?[0-9]+$"}, ["12", "-4", 7], ["1a", ""]),
        ({"minimum": 1}, [1, 2, "x"], [0, -1]),
        ({"items": {"type": "string"}}, [[], ["a"]], [[1], ["a", None]]),
        ({"minItems": 2, "maxItems": 2}, [[1, 2]], [[1], [1, 2, 3]]),
        ({"required": ["a"]}, [{"a": 1}], [{}, {"b": 1}]),
        ({"properties": {"a": {"type": "string"}}}, [{}, {"a": "x"}, {"b": 1}], [{"a": 1}]),
        ({"additionalProperties": False, "properties": {"a": {}}}, [{"a": 1}], [{"b": 1}]),
        ({"additionalProperties": {"type": "integer"}}, [{"x": 1}], [{"x": "1"}]),
        ({"propertyNames": {"pattern": "^[a-z]+$"}}, [{}, {"ab": 1}], [{"A": 1}, {"a1": 0}]),
        ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, ["a", 1], [None]),
        ({"oneOf": [{"type": "integer"}, {"minimum": 5}]}, [1, "x", None], [7]),
    ],
)
def test_each_keyword_accepts_and_rejects(
    schema: dict[str, Any], good: list[Any], bad: list[Any]
) -> None:
    for value in good:
        assert validate(value, schema) == [], value
    for value in bad:
        assert validate(value, schema), value


def test_messages_name_the_path_and_the_problem() -> None:
    schema = {
        "type": "object",
        "properties": {"cases": {"type": "array", "items": {"$ref": "#/$defs/case"}}},
        "$defs": {
            "case": {
                "type": "object",
                "properties": {"path": {"type": "string"}},
                "required": ["path"],
                "additionalProperties": False,
            }
        },
    }
    errors = validate({"cases": [{"path": 1}, {"other": 2}]}, schema)
    assert errors == [
        "$.cases[0].path: expected string, got integer",
        "$.cases[1]: missing required property 'path'",
        "$.cases[1]: unexpected property 'other'",
    ]
    assert validate({"cases": 3}, schema) == ["$.cases: expected array, got integer"]


def test_one_of_reports_no_match_and_several_matches() -> None:
    schema = {"oneOf": [{"type": "integer"}, {"minimum": 5}]}
    assert "exactly one" in validate(7, schema)[0]
    typed = {"oneOf": [{"type": "integer"}, {"type": "string"}]}
    assert "none of the oneOf" in validate(None, typed)[0]
    assert "none of the anyOf" in validate(None, {"anyOf": [{"type": "string"}]})[0]


@pytest.mark.parametrize(
    "schema",
    [
        {"format": "date"},
        {"type": "float"},
        {"$ref": "#/definitions/x"},
        {"$ref": "#/$defs/missing", "$defs": {}},
        {"properties": {"a": {"not": {}}}},
    ],
)
def test_a_schema_asking_more_than_is_checked_is_an_error(schema: dict[str, Any]) -> None:
    with pytest.raises(SchemaError):
        validate({"a": 1}, schema)


def test_unknown_documents_and_definitions_are_errors() -> None:
    with pytest.raises(SchemaError, match="no schema"):
        load("nonsense")
    with pytest.raises(SchemaError, match="no definition"):
        definition("vectors", "nonsense")


# --- the documents ------------------------------------------------------------------


def _schemas(node: Any, inside_map: bool = False) -> Iterator[dict[str, Any]]:
    """Every schema object in a document (not the name->schema maps themselves)."""
    if isinstance(node, dict):
        if not inside_map:
            yield node
        for key, value in node.items():
            if key in ("properties", "$defs"):
                for sub in value.values():
                    yield from _schemas(sub)
            elif key in ("items", "additionalProperties", "propertyNames") and isinstance(
                value, dict
            ):
                yield from _schemas(value)
            elif key in ("oneOf", "anyOf"):
                for sub in value:
                    yield from _schemas(sub)
            elif key in ("const", "enum"):
                continue


@pytest.mark.parametrize("name", ["vectors", "event_log"])
def test_documents_use_only_the_checked_keywords(name: str) -> None:
    document = load(name)
    assert document["$schema"].endswith("2020-12/schema")
    found = list(_schemas(document))
    assert len(found) > 10
    for schema in found:
        assert set(schema) <= KEYWORDS | ANNOTATIONS, set(schema) - KEYWORDS - ANNOTATIONS
        ref = schema.get("$ref")
        if ref is not None:
            assert ref.removeprefix("#/$defs/") in document["$defs"]


# --- real files against the documents -------------------------------------------------


def test_a_checker_trace_validates_as_itf(tmp_path: Path) -> None:
    model = diehard.SPEC.build(diehard.SPEC.default_config())
    result = check(model, Options())
    assert result.counterexample is not None
    path = tmp_path / "t.itf.json"
    write_trace(path, result.counterexample.trace, {"property": "big_not_4"})
    obj = json.loads(path.read_text())
    schema = definition("vectors", "itfTrace")
    assert validate(obj, schema) == []
    assert validate(dict(obj, states=[{"x": {"#bigint": 1}}]), schema)
    assert validate(dict(obj, loop=-1), schema)
    assert validate(dict(obj, vars="small"), schema)
    assert validate(encode_trace(result.counterexample.trace), schema) == []


class Colour(enum.Enum):
    RED = 1


_values: st.SearchStrategy[Any] = st.recursive(
    st.one_of(
        st.integers(),
        st.booleans(),
        st.text(max_size=3),
        st.fractions(),
        st.none(),
        st.just(Colour.RED),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(tuple),
        st.frozensets(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    ),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None)
@given(_values)
def test_every_itf_value_validates(value: Any) -> None:
    assert validate(encode_value(value), definition("vectors", "itfValue")) == []


@pytest.mark.parametrize(
    "bad",
    [1, 1.5, None, {"#bigint": "1.0"}, {"#bigint": 1}, {"#set": 1}, {"#map": [[1]]}, [None]],
)
def test_non_itf_values_are_rejected(bad: Any) -> None:
    assert validate(bad, definition("vectors", "itfValue"))


def test_action_files_need_a_verdict_and_a_guard_when_rejected() -> None:
    schema = definition("vectors", "action")
    picks = {"agent": {"tag": "Some", "value": {"#bigint": "0"}}}
    valid = {"mbt::actionTaken": "vote", "mbt::nondetPicks": picks, "valid": True}
    assert validate(valid, schema) == []
    rejected = {**valid, "valid": False, "guard": "vote_bound", "reason": "the bound"}
    assert validate(rejected, schema) == []
    assert validate({**valid, "valid": False}, schema)  # no guard
    assert validate({"valid": True}, schema)  # neither mbt fields nor an event
    event = {"event_type": "vote_submission", "event_data": {"agent": 0, "confidence": "1/2"}}
    assert validate({"event": event, "valid": True}, schema) == []
    assert validate({**valid, "post": {}}, schema)  # post belongs in post.json
    assert validate({**valid, "post": {}}, definition("vectors", "step")) == []
    bad_picks = {**valid, "mbt::nondetPicks": {"agent": {"tag": "Maybe", "value": True}}}
    assert validate(bad_picks, schema)


def test_event_log_lines() -> None:
    schema = load("event_log")
    line = {
        "agent": "coordinator",
        "protocol": "weighted",
        "event_type": "vote_submission",
        "event_data": {"agent": 1, "vote": 2, "confidence": "1/2"},
    }
    assert validate(line, schema) == []
    assert validate({**line, "agent": 3, "index": 0, "session_id": "s"}, schema) == []
    assert validate({**line, "outcome": {"valid": True}}, schema) == []
    rejected = {"valid": False, "guard": "vote_bound", "reason": "r"}
    assert validate({**line, "outcome": rejected}, schema) == []
    assert validate({**line, "outcome": {"valid": False}}, schema)
    assert validate({**line, "index": -1}, schema)
    assert validate({**line, "event_data": [1]}, schema)
    assert validate({k: v for k, v in line.items() if k != "event_type"}, schema)
    assert validate({**line, "extra": 1}, schema)
    assert validate(Fraction(1, 2), schema)


def test_manifest_cases_mark_the_guards_that_are_model_bounds() -> None:
    schema = definition("vectors", "manifestCase")
    case = {
        "path": "weighted/vote_submission/reject_vote_bound",
        "kind": "single_step",
        "action": "vote_submission",
        "valid": False,
        "guard": "vote_bound",
        "depth": 4,
        "files": ["action.json", "pre.json"],
    }
    assert validate(case, schema) == []
    assert validate({**case, "bound": True}, schema) == []
    assert validate({**case, "bound": False}, schema)  # absent unless it is one
    coverage = load("vectors")["$defs"]["protocolManifest"]["properties"]["coverage"]
    assert "guards_bound" in coverage["required"]
    assert "guards_unreachable" not in coverage["properties"]
