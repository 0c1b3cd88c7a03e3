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
