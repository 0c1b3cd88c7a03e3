"""Which counterexample comes first, and `python -m model_check`."""

from __future__ import annotations

import runpy
import sys
from collections.abc import Sequence

import attrs
import pytest

from model_check.engine import Options, check
from spec.core import Invariant, Model, invariant


@attrs.frozen
class Go:
    """Move to `target`."""

    target: int


class Fork(Model[int, Go]):
    """0 -> 1 -> 3 (3 breaks the invariant) and 0 -> 2, where 2 is stuck (a deadlock)."""

    EDGES: dict[int, tuple[int, ...]] = {0: (1, 2), 1: (3,), 2: (), 3: ()}  # noqa: RUF012

    def initial(self) -> Sequence[int]:
        return [0]

    def honest_actions(self, state: int) -> list[Go]:
        return [Go(t) for t in self.EDGES[state]]

    def step(self, state: int, action: Go) -> int:
        return action.target

    def invariants(self) -> list[Invariant[int]]:
        @invariant
        def not_three(state: int) -> bool:
            """The state is never 3."""
            return state != 3

        return [not_three]


def test_a_shallower_deadlock_beats_a_deeper_invariant_violation() -> None:
    """State 3 (depth 2) is generated before state 2 (depth 1) is expanded."""
    result = check(Fork(), Options())
    assert result.result == "violation"
    first = result.counterexample
    assert first is not None
    assert (first.property, len(first.trace)) == ("deadlock", 1)
    assert [c.property for c in result.counterexamples] == ["deadlock", "not_three"]
    assert len(result.counterexamples[1].trace) == 2


def test_without_deadlock_checking_the_invariant_is_reported() -> None:
    result = check(Fork(), Options(check_deadlock=False))
    assert [c.property for c in result.counterexamples] == ["not_three"]


def test_python_dash_m(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["model_check", "--help"])
    with pytest.raises(SystemExit) as stop:
        runpy.run_module("model_check", run_name="__main__")
    assert stop.value.code == 0
    assert "check" in capsys.readouterr().out


def test_liveness_can_be_skipped() -> None:
    """Without liveness the graph is not kept and the property is reported unknown."""
    from tests.models import mutex

    model = mutex.SPEC.model({"fair_release": "false"})
    full = check(model, Options(stop_at_first=False))
    safety = check(model, Options(stop_at_first=False, check_liveness=False))
    assert full.distinct_states == safety.distinct_states
    live = {p.name: p.status for p in full.properties if p.kind == "eventually"}
    skipped = {p.name: p.status for p in safety.properties if p.kind == "eventually"}
    assert "violated" in live.values()
    assert set(skipped) == set(live) and set(skipped.values()) == {"unknown"}


def test_check_and_generate_rebuild_the_same_witness_traces() -> None:
    """One trace module (`model_check.traces`): the checker's witness traces and the
    generator's multi-step runs, both concrete runs rebuilt under symmetry, agree."""
    from model_check.generate import generate
    from spec.registry import specification

    model = specification("weighted").model({"agents": "2", "profiles": "2,1"})
    assert model.symmetry_default
    checked = dict(check(model, Options(stop_at_first=False)).witness_traces)
    chosen = {m.name: m.trace for m in generate("weighted", model).multi_step}
    assert chosen and checked == chosen


def test_parents_record_the_search() -> None:
    from model_check.traces import NO_PARENT, Parents

    book = Parents(Fork(), lambda s: s, lambda s: s, symmetry=False)
    for parent, ordinal in [(NO_PARENT, 0), (0, 0), (0, 1), (1, 0)]:
        book.add(parent, ordinal)
    assert len(book) == 4 and book.initial_indices() == [0]
    assert list(book.depths()) == [0, 1, 1, 2] and book.path_to(3) == [0, 1, 3]
    assert [s.state for s in book.trace_to(3).steps] == [0, 1, 3]
    assert [s.state for s in book.trace_to(1).steps] == [0, 1]  # from the runs kept
    book.parents.append(0)  # an `add` interrupted between its appends
    book.trim()
    assert len(book) == 4 == len(book.ordinals)
