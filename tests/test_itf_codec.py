"""The ITF decoder: the exact inverse of the encoder, and one-line errors on bad input."""

from __future__ import annotations

import enum
import importlib
import json
import random
import sys
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model_check import itf
from model_check.engine import Options, check, simulate
from model_check.itf import (
    FrozenMap,
    ItfError,
    action_classes,
    decode_action,
    decode_plain,
    decode_state,
    decode_trace,
    decode_value,
    encode_trace,
    encode_value,
    load_json,
    parse_json,
    read_trace,
    state_type,
    write_trace,
)
from model_check.result import CheckResult, Trace, TraceStep
from spec import registry
from spec.core import Model

MODELS = ("diehard", "mutex", "rumor", "tcommit", "tokens")


class Colour(enum.Enum):
    RED = 1
    BLUE = 2


class Point(NamedTuple):
    x: int
    y: Fraction


@attrs.frozen
class Msg:
    kind: str
    view: int


@attrs.frozen
class Other:
    kind: str


@attrs.frozen
class St:
    log: frozenset[Msg]
    share: Fraction
    phase: Colour
    owner: int | None
    seq: tuple[int, ...]
    where: Point
    table: Mapping[int, str]
    pair: tuple[str, bool]
    either: Msg | Other | None


@attrs.frozen
class Send:
    msg: Msg


@attrs.frozen
class Tick:
    NAME = "clock_tick"


class Toy(Model[St, Send | Tick]):
    def initial(self) -> list[St]:
        return [_state()]

    def honest_actions(self, state: St) -> list[Send | Tick]:
        return []

    def step(self, state: St, action: Send | Tick) -> St:
        return state

    def invariants(self) -> list[Any]:
        return []


def _state(**changes: Any) -> St:
    base = St(
        log=frozenset({Msg("prepare", 0), Msg("commit", 1)}),
        share=Fraction(-2, 3),
        phase=Colour.BLUE,
        owner=None,
        seq=(3, 1),
        where=Point(1, Fraction(1, 2)),
        table=MappingProxyType({2: "b", 1: "a"}),
        pair=("x", True),
        either=Other("k"),
    )
    return attrs.evolve(base, **changes)


def _toy_trace() -> Trace:
    s0 = _state()
    s1 = _state(owner=2**80, either=Msg("m", -1))
    return Trace(
        (
            TraceStep(None, False, s0),
            TraceStep(Send(Msg("x", 1)), True, s1),
            TraceStep(Tick(), False, s0),
        ),
        loop=0,
    )


def _json(obj: Any) -> Any:
    return json.loads(json.dumps(obj))


# --- round trips ---------------------------------------------------------------------------


def test_toy_trace_round_trips_and_reencodes_identically() -> None:
    trace = _toy_trace()
    encoded = _json(encode_trace(trace, {"property": "p"}))
    decoded = decode_trace(encoded, Toy())
    assert decoded == trace
    assert decoded.steps[1].byzantine and decoded.loop == 0
    assert isinstance(decoded.steps[0].state.table, MappingProxyType)
    assert _json(encode_trace(decoded, {"property": "p"})) == encoded
    assert action_classes(Toy()) == {"send": Send, "clock_tick": Tick}


def _traces(result: CheckResult) -> list[Trace]:
    return [t for _, t in result.witness_traces] + [c.trace for c in result.counterexamples]


def _assert_round_trip(model: Model[Any, Any], traces: list[Trace]) -> None:
    for trace in traces:
        encoded = _json(encode_trace(trace))
        assert decode_trace(encoded, model) == trace
        assert _json(encode_trace(decode_trace(encoded, model))) == encoded


@pytest.mark.parametrize("protocol", registry.names())
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_protocol_simulations_round_trip(protocol: str, seed: int) -> None:
    model = registry.specification(protocol).model()
    result = simulate(model, 3, 25, seed, Options(progress=None))
    _assert_round_trip(model, [*_traces(result), _walk(model, seed, 25)])


def _walk(model: Model[Any, Any], seed: int, depth: int) -> Trace:
    """A random walk of the model, honest and Byzantine steps alike."""
    rng = random.Random(seed)
    state = rng.choice(list(model.initial()))
    steps = [TraceStep(None, False, state)]
    for _ in range(depth):
        enabled = model.enabled(state)
        if not enabled:
            break
        action, byzantine = rng.choice(enabled)
        state = model.step(state, action)
        steps.append(TraceStep(action, byzantine, state))
    return Trace(tuple(steps))


@pytest.mark.parametrize("name", MODELS)
def test_example_model_traces_round_trip(name: str) -> None:
    model = importlib.import_module(f"tests.models.{name}").SPEC.model()
    result = check(model, Options(progress=None, stop_at_first=False))
    traces = _traces(result)
    assert traces
    _assert_round_trip(model, traces)


def test_weighted_exhaustive_witnesses_round_trip() -> None:
    model = importlib.import_module("spec.weighted").SPEC.model(
        {"agents": "2", "profiles": "2,1", "max_votes": "1"}
    )
    result = check(model, Options(progress=None))
    _assert_round_trip(model, _traces(result))


# --- value-level round trip over generated types --------------------------------------------

#: A type, a strategy for its values, and whether they are hashable (no mapping inside).
_Leaf = tuple[Any, st.SearchStrategy[Any], bool]

#: Subscripted at run time with generated element types.
_TUPLE: Any = tuple
_FROZENSET: Any = frozenset
_MAPPING: Any = Mapping

_LEAVES: list[_Leaf] = [
    (int, st.integers(-(2**100), 2**100), True),
    (bool, st.booleans(), True),
    (str, st.text(max_size=4), True),
    (Fraction, st.fractions(), True),
    (Colour, st.sampled_from(Colour), True),
    (Msg, st.builds(Msg, st.text(max_size=3), st.integers(-5, 5)), True),
    (Point, st.builds(Point, st.integers(), st.fractions()), True),
]


def _extend(inner: st.SearchStrategy[_Leaf]) -> st.SearchStrategy[_Leaf]:
    def seq(leaf: _Leaf) -> _Leaf:
        return _TUPLE[leaf[0], ...], st.lists(leaf[1], max_size=3).map(tuple), leaf[2]

    def fset(leaf: _Leaf) -> _Leaf:
        return _FROZENSET[leaf[0]], st.frozensets(leaf[1], max_size=3), True

    def opt(leaf: _Leaf) -> _Leaf:
        return leaf[0] | None, st.none() | leaf[1], leaf[2]

    def pair(a: _Leaf, b: _Leaf) -> _Leaf:
        return _TUPLE[a[0], b[0]], st.tuples(a[1], b[1]), a[2] and b[2]

    def mapping(leaf: _Leaf) -> _Leaf:
        values = st.dictionaries(st.integers(0, 9), leaf[1], max_size=3)
        return _MAPPING[int, leaf[0]], values.map(MappingProxyType), False

    return (
        inner.map(seq)
        | inner.filter(lambda leaf: leaf[2]).map(fset)
        | inner.map(mapping)
        | inner.filter(lambda leaf: leaf[0] is not bool).map(opt)
        | st.tuples(inner, inner).map(lambda ab: pair(*ab))
    )


_TYPES = st.recursive(st.sampled_from(_LEAVES), _extend, max_leaves=4)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_values_round_trip(data: st.DataObject) -> None:
    hint, values, _ = data.draw(_TYPES)
    value = data.draw(values)
    encoded = _json(encode_value(value))
    decoded = decode_value(encoded, hint)
    assert decoded == value
    assert _json(encode_value(decoded)) == encoded


def test_decode_value_accepts_quint_forms() -> None:
    assert decode_value({"#tup": [{"#bigint": "1"}, "a"]}, tuple[int, str]) == (1, "a")
    assert decode_value(7, int) == 7  # a plain JSON number, as older Apalache writes
    assert decode_value({"#bigint": "4"}, Fraction) == 4
    assert decode_value({"#map": [[1, 2]]}, dict[int, int]) == {1: 2}
    assert decode_value(["a", 1], tuple) == ("a", 1)
    assert decode_value([{"#set": []}], Any) == (frozenset(),)


# --- errors name the place -------------------------------------------------------------------


def _error(obj: Any, hint: Any) -> str:
    with pytest.raises(ItfError) as caught:
        decode_value(obj, hint, "x")
    text = str(caught.value)
    assert "\n" not in text
    return text


@pytest.mark.parametrize(
    ("obj", "hint", "message"),
    [
        ([], frozenset[int], 'x: expected {"#set": [...]}, got a list'),
        ({"#set": 3}, frozenset[int], 'x: expected {"#set": [...]} with a list, got a number'),
        (True, int, 'x: expected an integer {"#bigint": "..."}, got a boolean'),
        ({"#bigint": 12}, int, "x: #bigint must be a string of digits, got a number"),
        ({"#bigint": "1e3"}, int, "x: #bigint must be a string of digits, got '1e3'"),
        ({"#bigint": "9" * 5000}, int, "x: #bigint has 5000 digits, more than the 4300 allowed"),
        (1, bool, "x: expected a boolean, got a number"),
        (None, str, "x: expected a string, got null"),
        ([1], Fraction, 'x: expected a fraction {"num": ..., "den": ...}, got a list'),
        ({"num": 1, "den": 0}, Fraction, "x.den: a fraction's denominator must be positive, got 0"),
        (
            {"tag": "GREEN", "value": {"#tup": []}},
            Colour,
            "x: 'GREEN' is not a Colour (one of RED, BLUE)",
        ),
        (
            {"tag": "RED", "value": 1},
            Colour,
            'x.value: expected the unit {"#tup": []}, got a number',
        ),
        ({"tag": 1, "value": 1}, Colour, "x.tag: expected a string, got a number"),
        ({"x": 1}, Point, "x.y: missing (a field of Point)"),
        ({"x": 1, "y": 1, "z": 1}, Point, "x.z: not a field of Point"),
        (3, Point, "x: expected a record of Point, got a number"),
        (
            {"tag": "Other", "value": {"kind": "a"}},
            Msg,
            "x: expected the variant 'Msg', got 'Other'",
        ),
        (
            {"tag": "Msg", "value": {"kind": 1, "view": 1}},
            Msg | Other,
            "x.value.kind: expected a string, got a number",
        ),
        ("a", int | Fraction, "x: expected int | fractions.Fraction, got a string"),
        ("1", int | None, "x: expected an integer"),
        ({"#bigint": "9" * 4400}, int | str | None, "x: #bigint has 4400 digits"),
        (
            ["a"],
            tuple[int, ...] | str,
            'x[0]: expected an integer {"#bigint": "..."}, got a string',
        ),
        ([1, 2], tuple[int], "x: expected 1 elements, got 2"),
        ("ab", tuple[int, ...], "x: expected a list (a sequence), got a string"),
        ({"#map": [[1]]}, Mapping[int, int], "x[0]: expected a [key, value] pair, got a list"),
        (
            {"#set": [{"#map": []}]},
            frozenset[Mapping[int, int]],
            "x[0]: a set element or map key must not contain a map",
        ),
        (1, complex, "x: cannot decode into the type complex"),
        (
            {"#set": []},
            None,
            'x: expected the variant \'None\' {"tag": ..., "value": ...}, got {"#set": ...}',
        ),
    ],
)
def test_errors_name_the_path(obj: Any, hint: Any, message: str) -> None:
    assert _error(obj, hint).startswith(message)


def test_depth_limit_is_an_itf_error() -> None:
    deep: Any = {"#bigint": "1"}
    hint: Any = int
    for _ in range(itf.MAX_DEPTH + 2):
        deep, hint = [deep], tuple[hint, ...]
    assert "nested deeper than 100 levels" in _error(deep, hint)
    plain: Any = 1
    for _ in range(itf.MAX_DEPTH + 2):
        plain = [plain]
    with pytest.raises(ItfError, match="nested deeper"):
        decode_plain(plain)


def test_unresolvable_hints_are_reported() -> None:
    @attrs.frozen
    class Local:
        value: Undefined  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(ItfError, match="cannot resolve the type hints of Local"):
        decode_value({"tag": "Local", "value": {"value": 1}}, Local)


def test_invalid_attrs_values_are_itf_errors() -> None:
    @attrs.frozen
    class Positive:
        n: int = attrs.field(validator=attrs.validators.gt(0))

    obj = {"tag": "Positive", "value": {"n": {"#bigint": "-1"}}}
    with pytest.raises(ItfError, match="value: not a valid Positive"):
        decode_value(obj, Positive)


# --- decode_plain --------------------------------------------------------------------------


def test_decode_plain() -> None:
    obj = {
        "n": {"#bigint": "-3"},
        "s": {"#set": [{"a": 1}, {"a": 1}]},
        "m": {"#map": [["k", [1, True]]]},
        "t": {"#tup": ["x"]},
        "v": {"tag": "Some", "value": {"#tup": []}},
    }
    plain = decode_plain(obj)
    assert plain == {
        "n": -3,
        "s": frozenset({FrozenMap({"a": 1})}),
        "m": {"k": (1, True)},
        "t": ("x",),
        "v": ("Some", ()),
    }
    assert hash(plain) == hash(FrozenMap(dict(plain)))
    assert len(plain) == 5 and "FrozenMap(" in repr(plain)
    for bad, message in [
        (1.5, "not an ITF value: a number"),
        (None, "not an ITF value: null"),
        ({"#unserializable": "x"}, "#unserializable: not an ITF form"),
    ]:
        with pytest.raises(ItfError, match=message):
            decode_plain(bad)


# --- states, actions, traces ------------------------------------------------------------------


def test_decode_state_and_action_errors() -> None:
    record = _json(encode_trace(_toy_trace()))["states"][0]
    assert decode_state(record, St) == _state()
    del record["owner"]
    with pytest.raises(ItfError, match=r"^state.owner: missing \(a field of St\)$"):
        decode_state(record, St)
    assert decode_state({"state": {"#bigint": "3"}}, int) == 3
    with pytest.raises(ItfError, match="expected a record with the variable 'state'"):
        decode_state({"x": 1}, int)
    model = Toy()
    assert decode_action("clock_tick", {}, model) == Tick()
    for name, picks, message in [
        ("fly", {}, r"mbt::actionTaken: unknown action 'fly'; the actions are send, clock_tick"),
        (3, {}, "mbt::actionTaken: expected an action name, got a number"),
        ("send", [], "mbt::nondetPicks: expected a record of arguments, got a list"),
        ("send", {}, r"mbt::nondetPicks.msg: missing \(a field of Send\)"),
        (
            "send",
            {"msg": {"tag": "None", "value": {"#tup": []}}},
            r"msg: missing \(a field of Send\)",
        ),
        ("send", {"msg": {"tag": "Any", "value": 1}}, "msg: expected Some"),
        ("send", {"msg": 1}, "mbt::nondetPicks.msg: expected a variant"),
    ]:
        with pytest.raises(ItfError, match=message):
            decode_action(name, picks, model)


def _toy_obj() -> Any:
    return _json(encode_trace(_toy_trace()))


def _trace_error(obj: Any) -> str:
    with pytest.raises(ItfError) as caught:
        decode_trace(obj, Toy())
    return str(caught.value)


def test_decode_trace_errors() -> None:
    assert _trace_error([]) == "not an ITF trace: expected a JSON object, got a list"
    assert _trace_error({"states": []}).startswith("states: expected a non-empty list")
    obj = _toy_obj()
    obj["vars"] = [1]
    assert _trace_error(obj) == "vars: expected a list of variable names"
    obj = _toy_obj()
    obj["#meta"] = []
    assert _trace_error(obj) == "#meta: expected a record, got a list"
    obj = _toy_obj()
    obj["states"][1] = 5
    assert _trace_error(obj) == "states[1]: expected a record of variables, got a number"
    obj = _toy_obj()
    obj["states"][1]["#meta"]["byzantine"] = "yes"
    assert _trace_error(obj) == "states[1].#meta: expected a record whose byzantine is a boolean"
    obj = _toy_obj()
    del obj["states"][2]["mbt::actionTaken"]
    assert _trace_error(obj) == "states[2].mbt::actionTaken: missing (the action of this step)"
    obj = _toy_obj()
    obj["states"][1]["log"] = []
    assert _trace_error(obj) == 'states[1].log: expected {"#set": [...]}, got a list'
    obj = _toy_obj()
    obj["states"][1]["mbt::actionTaken"] = "fly"
    assert _trace_error(obj).startswith("states[1].mbt::actionTaken: unknown action 'fly'")
    obj = _toy_obj()
    obj["states"][0]["extra"] = 1
    assert _trace_error(obj) == "states[0].extra: not a field of St"
    del obj["states"][0]["extra"]
    obj["states"][0]["extra\nline" + "x" * 100] = 1
    assert _trace_error(obj) == "states[0].'extra\\nline" + "x" * 30 + "': not a field of St"
    for loop in (3, -1, True, "0"):
        obj = _toy_obj()
        obj["loop"] = loop
        assert _trace_error(obj).startswith("loop: expected a state index 0..2")


class Untyped(Model[Any, Any]):
    def initial(self) -> list[Any]:
        return []

    def honest_actions(self, state: Any) -> list[Any]:
        return []

    def step(self, state: Any, action: Any) -> Any:
        return state

    def invariants(self) -> list[Any]:
        return []


class Bare(Untyped):
    pass


class Empty(Model[St, Send]):
    def initial(self) -> list[St]:
        return []

    def honest_actions(self, state: St) -> list[Send]:
        return []

    def step(self, state: St, action: Send) -> St:
        return state

    def invariants(self) -> list[Any]:
        return []


def test_model_types() -> None:
    assert state_type(Toy()) is St
    assert state_type(Empty()) is St
    assert action_classes(Empty()) == {"send": Send}
    with pytest.raises(ItfError, match="Bare has no initial state and names no state type"):
        state_type(Bare())
    assert action_classes(Bare()) == {}


# --- files ------------------------------------------------------------------------------------


def test_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.itf.json"
    write_trace(path, _toy_trace())
    assert read_trace(path, Toy()) == _toy_trace()
    with pytest.raises(ItfError, match=r"cannot read .*missing"):
        load_json(tmp_path / "missing")
    path.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(ItfError, match=r"is not UTF-8 \(byte 7\)"):
        load_json(path)
    path.write_text('{"a": ', encoding="utf-8")
    with pytest.raises(ItfError, match=r"is not valid JSON: Expecting value \(line 1 column 7\)"):
        load_json(path)
    monkeypatch.setattr(itf, "MAX_FILE_BYTES", 3)
    with pytest.raises(ItfError, match="is larger than the 3 bytes allowed"):
        load_json(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("NaN", "NaN is not JSON"),
        ('{"x": -Infinity}', "-Infinity is not JSON"),
        ("1" * 5000, "not valid JSON: Exceeds the limit"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply to parse"),
    ],
)
def test_parse_json_errors(text: str, message: str) -> None:
    with pytest.raises(ItfError, match=message):
        parse_json(text)


# --- a trace written by Quint ----------------------------------------------------------------

QUINT = Path(__file__).parent / "fixtures" / "quint"


def test_quint_trace_decodes_without_loss() -> None:
    from model_check.cli import load_spec

    original = json.loads((QUINT / "vote.itf.json").read_text(encoding="utf-8"))
    assert original["#meta"]["source"] == "vote.qnt"
    model = load_spec(str(QUINT / "vote.py")).model()
    trace = read_trace(QUINT / "vote.itf.json", model)
    vote = sys.modules[type(model).__module__]
    assert len(trace) == 4 and trace.loop is None
    assert [type(s.action).__name__ for s in trace.steps[1:]] == ["Cast", "Cast", "Cast", "Decide"]
    last = trace.steps[-1].state
    assert last.voted == {"alice": 10**20, "bob": 2**70, "carol": 3}
    assert last.decision == vote.Decided(vote.Choice.No, 2**70)
    assert vote.Ballot("bob", vote.Abstain(2), 2) in last.ballots
    assert last.last == ("bob", 2) and last.history == ("alice", "carol", "bob")
    reencoded = _json(encode_trace(trace))
    assert reencoded["vars"] == original["vars"]
    for i, (theirs, ours) in enumerate(zip(original["states"], reencoded["states"], strict=True)):
        assert set(theirs) == set(ours)
        for var in original["vars"]:
            # Both sides read the same without a type: nothing was lost or added.
            if var == "mbt::nondetPicks":
                some = {k: v for k, v in theirs[var].items() if v["tag"] == "Some"}
                assert decode_plain(some) == decode_plain(ours[var])
                continue
            assert decode_plain(theirs[var]) == decode_plain(ours[var]), (i, var)
            # And byte for byte where the two encodings coincide (see the README).
            if var not in ("last", "ballots"):
                assert theirs[var] == ours[var], (i, var)
        assert theirs["ballots"]["#set"] == [] or len(ours["ballots"]["#set"]) == len(
            theirs["ballots"]["#set"]
        )
    plain = decode_plain(original)
    assert plain["states"][4]["decision"] == ("Decided", {"outcome": ("No", ()), "weight": 2**70})
    assert plain["states"][1]["last"] == ("alice", 0)
