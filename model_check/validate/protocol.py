"""The model's side of a validation: what a log line can mean in the spec (its actions,
their actors, the observations of a state).
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Any

import attrs

from model_check.event_codec import event_table, from_plain
from model_check.itf import action_classes, state_vars
from model_check.validate.limits import ALIASES, Json, LogError, bounded
from model_check.validate.log import Line, Meta, _where
from model_check.validate.values import _shown, agrees, as_json
from spec.core import ACTOR_FIELDS, Model, action_args, actor_of

# --- the model's side ----------------------------------------------------------------


class Protocol:
    """What the search asks of the model about a log: its action names, arguments,
    actors, local views, silent steps and receipts, for one log's `#meta`."""

    def __init__(self, model: Model[Any, Any], meta: Meta, lines: Sequence[Line]) -> None:
        self.model = model
        self.meta = meta
        self.classes = action_classes(model)
        for cls in list(self.classes.values()):
            self.classes.setdefault(cls.__name__, cls)
        table = event_table(model)
        self.by_event = {name: cls for name, cls in table.events.items()}
        self.names: dict[type, tuple[str, ...]] = {}
        for name, cls in [*self.classes.items(), *self.by_event.items()]:
            self.names[cls] = (*self.names.get(cls, ()), name)
        self.agents = tuple(model.log_agents())
        self._arguments: dict[int, tuple[Line, dict[str, Json]]] = {}
        # by value, shared by the sessions (bounded: cleared when full)
        self.enabled_cache: dict[Any, list[tuple[Any, bool]]] = {}
        self.target_cache: dict[tuple[Any, Any], Any] = {}
        self.view_cache: dict[tuple[Any, int], dict[str, Any]] = {}
        first = model.initial()[0]
        self.variables = tuple(state_vars(first))
        self.local = tuple(model.local_view(first, self.agents[0])) if self.agents else ()
        for line in lines:
            self.check(line)
        self.logged = self._logged(lines)
        if meta.receipts is True:
            self.receipts = self.logged
        elif meta.receipts is False:
            self.receipts = frozenset()
        else:
            self.receipts = frozenset(self.agent(a, "#meta.receipts") for a in meta.receipts)
        self.silent_names = frozenset(meta.silent)
        for name in meta.silent:
            if name not in self.classes and name not in self.by_event:
                raise LogError(f"#meta.silent: no action {name!r:.40}")
        self._hints: dict[type, dict[str, Any]] = {}

    def agent(self, value: Json, where: str) -> int:
        """A participant's position, from its position or its name in `#meta.agents`."""
        if isinstance(value, str) and value in self.meta.agents:
            return self.meta.agents.index(value)
        if isinstance(value, int) and not isinstance(value, bool) and value in self.agents:
            return value
        known = ", ".join(self.meta.agents) or ", ".join(map(str, self.agents))
        raise LogError(f"{where}: no agent {value!r:.40} (agents: {known})")

    def action_class(self, line: Line) -> type:
        """The action class a line's event names."""
        assert line.event is not None
        cls = self.classes.get(line.event) or self.by_event.get(line.event)
        if cls is None:
            known = sorted({*self.classes, *self.by_event})
            raise LogError(
                f"{_where(line.number)}: no action {line.event!r:.40} (known: {', '.join(known)})"
            )
        return cls

    def arguments(self, line: Line) -> dict[str, Json]:
        """A line's arguments under the spec's names, agents as positions."""
        found = self._arguments.get(line.number)
        if found is None or found[0] is not line:
            found = (line, self._read_arguments(line))
            self._arguments[line.number] = found
        return found[1]

    def _read_arguments(self, line: Line) -> dict[str, Json]:
        cls = self.action_class(line)
        fields = [f.name for f in attrs.fields(cls)]
        out: dict[str, Json] = {}
        for key, given in line.args.items():
            name = ALIASES.get(key, key)
            if name not in fields:
                raise LogError(
                    f"{_where(line.number)}: {line.event} has no argument {key!r:.40} "
                    f"(it has {', '.join(fields) or 'none'})"
                )
            if name in ACTOR_FIELDS or name == "target_agent":
                out[name] = self.agent(given, f"{_where(line.number)}: args.{key}")
            else:
                out[name] = given
        return out

    def check(self, line: Line) -> None:
        """A line's names: its action, arguments, agent and variables exist."""
        where = _where(line.number)
        if line.agent is not None:
            self.agent(line.agent, f"{where}: agent")
        if line.event is not None:
            self.arguments(line)
        if line.observe is not None:
            known = self.local if line.agent is not None else self.variables
            for name in line.observe:
                if name not in known:
                    scope = "agent's local variable" if line.agent is not None else "variable"
                    raise LogError(
                        f"{where}: observe: no {scope} {name!r:.40} (there are {', '.join(known)})"
                    )

    def _logged(self, lines: Sequence[Line]) -> frozenset[int]:
        if self.meta.logged is not None:
            return frozenset(self.agent(a, "#meta.logged") for a in self.meta.logged)
        named = {self.agent(line.agent, "agent") for line in lines if line.agent is not None}
        return frozenset(named) if named else frozenset(self.agents)

    def actor(self, action: object) -> int | None:
        """The participant that takes `action` (`spec.core.actor_of`)."""
        who = actor_of(action)
        return who if isinstance(who, int) and not isinstance(who, bool) else None

    def is_silent(self, action: object, byzantine: bool) -> bool:
        """Whether `action` may happen with no line of the log recording it."""
        if byzantine or self.model.silent(action):
            return True
        if any(name in self.silent_names for name in self.names.get(type(action), ())):
            return True
        actor = self.actor(action)
        return actor is not None and actor not in self.logged

    def matches(self, action: object, line: Line) -> bool:
        """Whether `action` is the line's event: its class, the arguments given, its actor."""
        if type(action) is not self.action_class(line):
            return False
        args = action_args(action)
        for name, value in self.arguments(line).items():
            if not agrees(value, args[name]):
                return False
        if line.agent is not None:
            actor = self.actor(action)
            return actor is None or actor == self.agent(line.agent, "agent")
        return True

    def view(self, state: object, agent: int) -> dict[str, Any]:
        """`agent`'s local view of `state` (`Model.local_view`, cached)."""
        key = (state, agent)
        found = self.view_cache.get(key)
        if found is None:
            found = self.model.local_view(state, agent)
            bounded(self.view_cache)[key] = found
        return found

    def observed(self, state: object, line: Line) -> bool:
        """Whether every observation of the line holds in `state`."""
        if line.observe is None:
            return True
        if line.agent is not None:
            values = self.view(state, self.agent(line.agent, "agent"))
            return all(agrees(obs, values[name]) for name, obs in line.observe.items())
        return all(agrees(obs, getattr(state, name)) for name, obs in line.observe.items())

    def disagreements(self, state: object, line: Line) -> list[str]:
        """The line's observations that `state` contradicts, one text each."""
        if line.observe is None:
            return []
        if line.agent is not None:
            i = self.agent(line.agent, "agent")
            values = self.view(state, i)
            scope = f"agent {i}'s "
        else:
            values = {name: getattr(state, name) for name in line.observe}
            scope = ""
        return [
            f"{scope}{name}: the log says {_shown(obs)}, "
            f"the spec has {_shown(as_json(values[name]))}"
            for name, obs in line.observe.items()
            if not agrees(obs, values[name])
        ]

    def receipt(self, state: object, line: Line) -> str | None:
        """Why the line's `receive` is impossible in `state` (None: possible or none)."""
        if line.receive is None:
            return None
        assert line.agent is not None
        try:
            return self.model.receivable(state, self.agent(line.agent, "agent"), line.receive)
        except ValueError as err:
            raise LogError(f"{_where(line.number)}: receive: {err}") from None

    def build(self, line: Line) -> object | None:
        """The line's action, when its arguments give all of it (None otherwise)."""
        cls = self.action_class(line)
        args = self.arguments(line)
        if line.agent is not None:
            for name in ACTOR_FIELDS:
                if name in {f.name for f in attrs.fields(cls)} and name not in args:
                    args[name] = self.agent(line.agent, "agent")
                    break
        if set(args) != {f.name for f in attrs.fields(cls)}:
            return None
        hints = self._hints.setdefault(cls, typing.get_type_hints(cls))
        values = {}
        for name, given in args.items():
            values[name] = from_plain(given, hints.get(name))
        try:
            action: object = cls(**values)
        except (TypeError, ValueError):
            return None
        return action
