"""ITF encoding of values and traces, and the deterministic text reports."""

from __future__ import annotations

import enum
import json
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from model_check.engine import check
from model_check.itf import FrozenMap, encode_trace, encode_value, state_vars, write_trace
from model_check.report import Tag, _steps, changes, show, show_action, step_table, to_json
from model_check.result import Trace, TraceStep
from spec.core import Model
from tests.mutants.pbft import MUTANTS


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
    assert show(frozenset({"b", "a"})) == "{a, b}"
    assert show((1, True)) == "<<1, true>>"
    assert show(Fraction(1, 3)) == "1/3"
    assert show(Colour.BLUE) == "BLUE"
    assert show(MappingProxyType({2: "x", 1: "y"})) == "[1 |-> y, 2 |-> x]"
    assert show(Msg("commit", 2)) == "[kind |-> commit, view |-> 2]"
    assert show(None) == "None"
    assert show_action(Send(Msg("c", 1))) == "send(msg=[kind |-> c, view |-> 1])"


def test_changes_show_set_differences() -> None:
    trace = _trace()
    lines = changes(trace.steps[1].state, trace.steps[2].state)
    assert lines == [
        "log: +{[kind |-> commit, view |-> 0]} -{[kind |-> prepare, view |-> 0]}",
        "phase: RED -> BLUE",
        "owner: None -> 2",
    ]
    assert changes(3, 4) == ["state: 3 -> 4"]


def test_step_table_marks_byzantine_steps_and_lasso() -> None:
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(step_table(_trace(), "title"))
    text = console.export_text()
    assert "[byzantine] send(msg=[kind |-> commit, view |-> 0])" in text
    assert "the cycle 1..2 repeats forever" in text
    stutter = Trace(_trace().steps, loop=2)
    console = Console(width=200, record=True)
    console.print(step_table(stutter, "title"))
    assert "stutters forever at step 2" in console.export_text()


class Point(NamedTuple):
    x: int
    y: int


def test_named_tuples_show_and_encode_their_fields() -> None:
    assert show(Point(1, 2)) == "[x |-> 1, y |-> 2]"
    assert encode_value(Point(1, 2)) == {"x": {"#bigint": "1"}, "y": {"#bigint": "2"}}


def test_show_every_kind_of_value() -> None:
    """The one notation (model_check/report.py's docstring), pinned for every kind."""
    assert [show(v) for v in (0, -3, Fraction(3, 5), Fraction(4, 2), True, False)] == [
        "0",
        "-3",
        "3/5",
        "2",
        "true",
        "false",
    ]
    assert [show(v) for v in (None, Colour.RED, Tag("Some"))] == ["None", "RED", "Some"]
    # strings: bare when a word that reads as nothing else, else quoted with JSON escapes
    words = ("idle", "pre-prepared", "no_consensus", "v1.2", "_x")
    assert [show(w) for w in words] == list(words)
    quoted = ("plan a budget", "1", "", "true", "None", "-x", 'say "hi"', "a|->b")
    assert [show(q) for q in quoted] == [
        '"plan a budget"',
        '"1"',
        '""',
        '"true"',
        '"None"',
        '"-x"',
        '"say \\"hi\\""',
        '"a|->b"',
    ]
    assert show(()) == "<<>>" and show(((), (1,), ("a", 2))) == "<<<<>>, <<1>>, <<a, 2>>>>"
    assert show(frozenset()) == "{}"
    assert show(frozenset({(1, 2), (1, 10)})) == "{<<1, 10>>, <<1, 2>>}"  # canonical order
    assert show(Point(1, 2)) == "[x |-> 1, y |-> 2]"
    state = St(frozenset({Msg("a b", 1)}), Fraction(1, 2), Colour.BLUE, None, (1,))
    assert show(state) == (
        '[log |-> {[kind |-> "a b", view |-> 1]}, share |-> 1/2, phase |-> BLUE, '
        "owner |-> None, seq |-> <<1>>]"
    )
    assert show(MappingProxyType({"b": 1, "a": frozenset({True})})) == "[a |-> {true}, b |-> 1]"
    # an ITF record read without types keeps the file's order; a set of them is sorted
    assert show(FrozenMap({"z": 1, "a": (2,)})) == "[z |-> 1, a |-> <<2>>]"
    records = frozenset({FrozenMap({"k": 2}), FrozenMap({"k": 1})})
    assert show(records) == "{[k |-> 1], [k |-> 2]}"
    assert show(1.5) == "1.5"  # outside the contract's types: as Python prints it


def two_faulty_counterexample() -> tuple[Model[Any, Any], Trace]:
    """The mutant `two_faulty_of_four`'s shortest counterexample, with its model."""
    mutant = next(m for m in MUTANTS if m.name == "two_faulty_of_four")
    model = mutant.build()
    found = check(model).counterexample
    assert found is not None
    return model, found.trace


def test_step_table_says_which_faulty_messages_each_step_used() -> None:
    from rich.console import Console

    model, trace = two_faulty_counterexample()
    console = Console(width=200, record=True)
    console.print(step_table(trace, "two faulty of four", model))
    text = console.export_text()
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in text.splitlines()]
    last_rows = [row for row in cells if row][-4:]
    # replica 2 prepares the faulty primary's pre-prepare, then commits on the strength
    # of one prepare of its own and one of faulty replica 1: nothing honest about it
    assert last_rows == [
        [
            "2",
            "prepare(replica=2, view=0, seq=1, digest=1)",
            "prepares: +{[view |-> 0, seq |-> 1, digest |-> 1, replica |-> 2]}",
        ],
        ["", "", "uses: PRE-PREPARE(v0, n1, d1) from faulty 0"],
        [
            "3",
            "commit(replica=2, view=0, seq=1, digest=1)",
            "commits: +{[view |-> 0, seq |-> 1, digest |-> 1, replica |-> 2]}",
        ],
        ["", "", "uses: PREPARE(v0, n1, d1) from faulty 1"],
    ]
    assert text.count("uses:") == 2
    # without the model, no `uses` lines
    console = Console(width=200, record=True)
    console.print(step_table(trace, "t"))
    assert "uses:" not in console.export_text()


def test_json_steps_list_what_they_used() -> None:
    model, _ = two_faulty_counterexample()
    result = check(model)
    data = to_json("pbft", {}, result, model)
    steps = data["counterexample"]["steps"]
    assert [s["uses"] for s in steps] == [
        [],
        [],
        ["PRE-PREPARE(v0, n1, d1) from faulty 0"],
        ["PREPARE(v0, n1, d1) from faulty 1"],
    ]
    assert steps[3]["changes"] == [
        "commits: +{[view |-> 0, seq |-> 1, digest |-> 1, replica |-> 2]}"
    ]
    assert all(s["uses"] == [] for s in to_json("pbft", {}, result)["counterexample"]["steps"])
    json.dumps(data)  # plain JSON


def test_equivocation_counterexample_shows_the_faulty_primarys_two_pre_prepares() -> None:
    mutant = next(m for m in MUTANTS if m.name == "accepts_two_pre_prepares")
    model = mutant.build()
    found = check(model).counterexample
    assert found is not None
    uses = [u for step in _steps(found.trace, model) for u in step["uses"]]
    assert uses == [
        "PRE-PREPARE(v0, n1, d1) from faulty 0",
        "PRE-PREPARE(v0, n1, d2) from faulty 0",
        "PRE-PREPARE(v0, n1, d1) from faulty 0",
        "PRE-PREPARE(v0, n1, d2) from faulty 0",
    ]


def test_check_prints_and_lists_the_uses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through `coordspec check`: the step table's `uses:` lines and `--json`'s `uses`."""
    from model_check.cli import main

    model_file = tmp_path / "two_faulty.py"
    model_file.write_text(
        "from spec import pbft\n"
        "from spec.core import Specification\n"
        "from tests.mutants.pbft import TooManyFaultyConfig\n"
        "SPEC = Specification('two_faulty', 'f + 1 faulty', TooManyFaultyConfig, pbft.Pbft)\n",
        encoding="utf-8",
    )
    args = ["check", str(model_file), "--faulty", "0,1", "--quiet"]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "coordspec check two_faulty (replicas=4, faulty=0,1, requests=2," in out
    assert "uses: PRE-PREPARE(v0, n1, d1) from faulty 0" in out
    assert "uses: PREPARE(v0, n1, d1) from faulty 1" in out
    assert main([*args, "--json"]) == 1
    steps = json.loads(capsys.readouterr().out)["counterexample"]["steps"]
    assert steps[3]["action"] == "commit(replica=2, view=0, seq=1, digest=1)"
    assert steps[3]["uses"] == ["PREPARE(v0, n1, d1) from faulty 1"]
