"""ITF encoding of values and traces, and the deterministic text reports."""

from __future__ import annotations

import enum
import json
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from model_check.itf import encode_trace, encode_value, state_vars, write_trace
from model_check.report import changes, show, show_action, step_table
from model_check.result import Trace, TraceStep


class Colour(enum.Enum):
    RED = 1
    BLUE = 2


@attrs.frozen
class Msg:
    kind: str
    view: int


@attrs.frozen
class St:
    log: frozenset[Msg]
    share: Fraction
    phase: Colour
    owner: int | None
    seq: tuple[int, ...]


@attrs.frozen
class Send:
    msg: Msg


def test_encode_values() -> None:
    assert encode_value(True) is True
    assert encode_value("x") == "x"
    assert encode_value(7) == {"#bigint": "7"}
    assert encode_value(-(2**70)) == {"#bigint": str(-(2**70))}
    assert encode_value(None) == {"tag": "None", "value": {"#tup": []}}
    assert encode_value(Colour.RED) == {"tag": "RED", "value": {"#tup": []}}
    assert encode_value(Fraction(2, 3)) == {"num": {"#bigint": "2"}, "den": {"#bigint": "3"}}
    assert encode_value((1, 2)) == [{"#bigint": "1"}, {"#bigint": "2"}]
    assert encode_value(frozenset({"b", "a"})) == {"#set": ["a", "b"]}
    assert encode_value(MappingProxyType({"k": 1})) == {"#map": [["k", {"#bigint": "1"}]]}
    assert encode_value(Msg("commit", 1)) == {
        "tag": "Msg",
        "value": {"kind": "commit", "view": {"#bigint": "1"}},
    }
    with pytest.raises(TypeError, match="cannot encode a value of type float"):
        encode_value(1.5)


@given(st.frozensets(st.text(max_size=3), max_size=6), st.randoms())
def test_set_encoding_ignores_construction_order(items: frozenset[str], rnd: object) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert encode_value(frozenset(shuffled)) == encode_value(items)


def _trace() -> Trace:
    s0 = St(frozenset(), Fraction(0), Colour.RED, None, ())
    s1 = attrs.evolve(s0, log=frozenset({Msg("prepare", 0)}), seq=(1,))
    s2 = attrs.evolve(s1, log=frozenset({Msg("commit", 0)}), phase=Colour.BLUE, owner=2)
    return Trace(
        (
            TraceStep(None, False, s0),
            TraceStep(Send(Msg("prepare", 0)), False, s1),
            TraceStep(Send(Msg("commit", 0)), True, s2),
        ),
        loop=1,
    )


def test_encode_trace(tmp_path: Path) -> None:
    trace = _trace()
    itf = encode_trace(trace, {"property": "p"})
    assert itf["vars"] == [
        "log",
        "share",
        "phase",
        "owner",
        "seq",
        "mbt::actionTaken",
        "mbt::nondetPicks",
    ]
    assert itf["#meta"]["format"] == "ITF" and itf["#meta"]["property"] == "p"
    assert itf["loop"] == 1
    assert itf["states"][2]["#meta"] == {"index": 2, "byzantine": True}
    assert itf["states"][1]["mbt::actionTaken"] == "send"
    assert itf["states"][1]["mbt::nondetPicks"]["msg"]["value"]["tag"] == "Msg"
    path = tmp_path / "t.itf.json"
    write_trace(path, trace)
    assert json.loads(path.read_text())["states"][0]["mbt::actionTaken"] == "init"
    assert state_vars(3) == ["state"]
    plain = encode_trace(Trace((TraceStep(None, False, 3),)))
    assert plain["states"][0]["state"] == {"#bigint": "3"}
    assert "loop" not in plain


def test_show_is_deterministic_and_compact() -> None:
    assert show(frozenset({"b", "a"})) == "{'a', 'b'}"
    assert show((1, True)) == "<<1, true>>"
    assert show(Fraction(1, 3)) == "1/3"
    assert show(Colour.BLUE) == "BLUE"
    assert show(MappingProxyType({2: "x", 1: "y"})) == "[1 |-> 'y', 2 |-> 'x']"
    assert show(Msg("commit", 2)) == "Msg(kind='commit', view=2)"
    assert show(None) == "None"
    assert show_action(Send(Msg("c", 1))) == "send(msg=Msg(kind='c', view=1))"


def test_changes_show_set_differences() -> None:
    trace = _trace()
    lines = changes(trace.steps[1].state, trace.steps[2].state)
    assert lines == [
        "log: +{Msg(kind='commit', view=0)} -{Msg(kind='prepare', view=0)}",
        "phase: RED -> BLUE",
        "owner: None -> 2",
    ]
    assert changes(3, 4) == ["state: 3 -> 4"]


def test_step_table_marks_byzantine_steps_and_lasso() -> None:
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(step_table(_trace(), "title"))
    text = console.export_text()
    assert "[byzantine] send(msg=Msg(kind='commit', view=0))" in text
    assert "the cycle 1..2 repeats forever" in text
    stutter = Trace(_trace().steps, loop=2)
    console = Console(width=200, record=True)
    console.print(step_table(stutter, "title"))
    assert "stutters forever at step 2" in console.export_text()


class Point(NamedTuple):
    x: int
    y: int


def test_named_tuples_show_and_encode_their_fields() -> None:
    assert show(Point(1, 2)) == "Point(x=1, y=2)"
    assert encode_value(Point(1, 2)) == {"x": {"#bigint": "1"}, "y": {"#bigint": "2"}}
