"""`Delegating`: a model that answers as another does, but where a subclass says not.

The tools that explore a model differently from `check` (the phase machine without its
verdicts, the explorer's check from one state) wrap it in a subclass that overrides
the one thing they change; everything the checker asks of a model is passed through.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from spec.core import Eventually, Invariant, Model, Witness


class Delegating(Model[Any, Any]):
    """`model`, hook for hook (those `model_check.engine.check` calls)."""

    def __init__(self, model: Model[Any, Any]) -> None:
        self.model = model
        self.symmetry_default = model.symmetry_default  # type: ignore[misc]

    def initial(self) -> Sequence[Any]:
        return self.model.initial()

    def honest_actions(self, state: Any) -> Any:  # pragma: no cover - `enabled` is used
        return self.model.honest_actions(state)

    def enabled(self, state: Any) -> list[tuple[Any, bool]]:
        return self.model.enabled(state)

    def step(self, state: Any, action: Any) -> Any:
        return self.model.step(state, action)

    def invariants(self) -> Sequence[Invariant[Any]]:
        return self.model.invariants()

    def witnesses(self) -> Sequence[Witness[Any]]:
        return self.model.witnesses()

    def eventually(self) -> Sequence[Eventually[Any]]:
        return self.model.eventually()

    def terminal_ok(self, state: Any) -> bool:
        return self.model.terminal_ok(state)

    def constraint(self, state: Any) -> bool:
        return self.model.constraint(state)

    def canonical(self, state: Any) -> Any:
        return self.model.canonical(state)

    def has_symmetry(self) -> bool:
        return self.model.has_symmetry()

    def action_class(self, action: Any) -> str:
        return self.model.action_class(action)

    def action_classes(self) -> Sequence[str] | None:
        return self.model.action_classes()
