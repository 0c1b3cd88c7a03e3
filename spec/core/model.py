"""The model: the transition system the tools explore (`Model`), and one whose actions
are guarded by declared, named predicates (`GuardedModel`, `Guard`); the tuple helpers
`put` and `relabel` of the states.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

import attrs

from spec.core.actions import AgentStep, Reliance, action_name
from spec.core.config import GuardError
from spec.core.properties import Eventually, Invariant, Witness

S = TypeVar("S")
A = TypeVar("A")
T = TypeVar("T")


# --- the model -----------------------------------------------------------------------


class Model(abc.ABC, Generic[S, A]):
    """A protocol bound to one configuration: the transition system the tools explore.

    Subclasses implement `initial`, `honest_actions`, `step` and `invariants`, and
    override the rest where the protocol has them.
    """

    #: Whether `canonical` is a symmetry reduction worth using by default.
    symmetry_default: ClassVar[bool] = False

    @abc.abstractmethod
    def initial(self) -> Sequence[S]:
        """The initial states, in a deterministic order."""

    @abc.abstractmethod
    def honest_actions(self, state: S) -> Iterable[A]:
        """The honest actions enabled in `state`, in a deterministic order."""

    def byzantine_actions(self, state: S) -> Iterable[A]:
        """The adversary's actions enabled in `state`, in a deterministic order."""
        return ()

    @abc.abstractmethod
    def step(self, state: S, action: A) -> S:
        """The successor of `state` under `action`.

        Raises:
            GuardError: the action is not enabled in `state`; names the failed guard.
        """

    @abc.abstractmethod
    def invariants(self) -> Sequence[Invariant[S]]:
        """Properties that hold in every reachable state."""

    def witnesses(self) -> Sequence[Witness[S]]:
        """Properties that some reachable state has."""
        return ()

    def eventually(self) -> Sequence[Eventually[S]]:
        """Liveness properties, each under the weak fairness it names."""
        return ()

    def terminal_ok(self, state: S) -> bool:
        """Whether a state with no enabled action is a proper end, not a deadlock."""
        return False

    def constraint(self, state: S) -> bool:
        """State constraint: states outside it are neither kept nor explored."""
        return True

    def canonical(self, state: S) -> S:
        """The representative of the state's symmetry class (identity by default).

        Invariants, witnesses and goals must not tell apart states of one class, and
        action classes used for fairness must be the same for symmetric actions.
        """
        return state

    def has_symmetry(self) -> bool:
        """Whether `canonical` is anything but the identity."""
        return type(self).canonical is not Model.canonical

    def action_class(self, action: A) -> str:
        """The fairness class of an action (by default its name)."""
        return action_name(action)

    def action_classes(self) -> Sequence[str] | None:
        """Every class `action_class` can return, or None when they are not enumerable.

        A liveness property that names a class outside this list is a model error (a
        typo would otherwise make the class never enabled, so never required). With
        None, every class a property names must be met in the explored graph.
        """
        return None

    def phase(self, state: S) -> str | None:
        """The state projected on the protocol's phase variables, for the phase diagram.

        None (the default) means the model declares no phases. Like the invariants, the
        projection must not tell apart states of one symmetry class (`canonical`): the
        diagram is drawn from the symmetry-reduced graph.
        """
        return None

    def relied_on(self, state: S, action: A) -> tuple[Reliance, ...]:
        """The adversary's messages that the step `action` from `state` counted.

        For a model in which faulty participants' messages are implicit (PBFT's: each
        faulty replica counts as the sender of whatever matching message a quorum
        needs), the messages the step's guard actually counted, each with its sender
        as the action arguments name participants: `PREPARE(v0, n1, d1) from faulty 3`.
        The step tables print them (`uses: ...`), `--json` lists them, and the message
        sequence chart draws them from the sender's lifeline. Empty (the default) when
        the step relied on nothing the adversary sent, or the action is not enabled in
        `state`.
        """
        return ()

    def actor(self, action: A) -> str | None:
        """Who takes `action`, as the phase diagram's edges name them (`replica 1`,
        `backup`, `client`).

        The same for symmetric actions (the diagram is drawn from the symmetry-reduced
        graph), so a participant that a symmetry moves is named by its role, not its id.
        None (the default): the diagram names the actor from the action's arguments
        (`ACTOR_FIELDS`).
        """
        return None

    # -- what a participant's log can say (`coordspec validate`, `serve`) -------------

    #: The state variables with one entry per participant (a tuple indexed by its
    #: position): a participant's local part of them is its entry (`local_view`).
    local_fields: ClassVar[tuple[str, ...]] = ()

    #: What a participant is called (`replica`, `agent`): the explorer's tables.
    participant: ClassVar[str] = "agent"

    def log_agents(self) -> Sequence[int]:
        """The participants (replicas, agents) by position: those a log's lines name."""
        return ()

    def local_view(self, state: S, agent: int) -> dict[str, Any]:
        """Participant `agent`'s local part of `state`: what a log line that names an
        agent observes. By default its entry of each of `local_fields`."""
        return {name: getattr(state, name)[agent] for name in self.local_fields}

    def silent(self, action: A) -> bool:
        """Whether no participant logs `action` (a client's request, say), so that a
        behaviour explaining a log may take it between any two lines."""
        return False

    def unreceived(self, state: S, action: A, received: Sequence[Mapping[str, Any]]) -> str | None:
        """Why the actor of `action` cannot take it in `state` having received only the
        messages `received` (wire form, in the order received); None when it can. The
        log's `#meta.receipts` says whose logs list every message they received; by
        default a protocol asks nothing of them."""
        return None

    def receivable(self, state: S, agent: int, message: Mapping[str, Any]) -> str | None:
        """Why `agent` cannot have received `message` (in the protocol's wire form) in
        `state`; None when it can. By default the protocol has no messages."""
        return f"{type(self).__name__} has no messages to receive"

    #: Whether the protocol's steps are its participants' receipts of messages
    #: (`agent_step`): `generate --per-agent` then writes each case in the form named
    #: after `participant`.
    message_steps: ClassVar[bool] = False

    def agent_step(self, state: S, action: A, post: S | None) -> AgentStep | str:
        """The actor's part in `action` taken from `state` (`post` the state after, None
        for a refused step), or why no participant takes it. Only a protocol with
        `message_steps` has one."""
        return f"{type(self).__name__} has no messages to receive"

    def enabled(self, state: S) -> list[tuple[A, bool]]:
        """Every enabled action, honest ones first, each with `True` if Byzantine."""
        honest = [(a, False) for a in self.honest_actions(state)]
        return honest + [(a, True) for a in self.byzantine_actions(state)]


@attrs.frozen
class Guard:
    """One enabling condition of an action, declared as data.

    A guard is a named predicate `holds(model, state, action)`, with the paper's or the
    seed's clause it checks (`quote`) and the sentence a refusal gives (`reason`: a
    `str.format` template over `m` (the model), `s` (the state) and `a` (the action), or
    a function of the three). `bound` marks the guards that only express a bound of the
    model (`max_votes`...), not a rule of the protocol: an implementation need not refuse
    what they refuse. `name` is the name a refusal reports (`GuardError.guard`), which is
    what the oracle, the vectors and the implementation's errors say.

    The checker (`GuardedModel`), the vector generator, the oracle's errors and the
    hypothesis preconditions all read the same declaration.
    """

    name: str
    quote: str
    holds: Callable[[Any, Any, Any], bool] = attrs.field(repr=False)
    reason: str | Callable[[Any, Any, Any], str] = attrs.field(repr=False)
    bound: bool = False

    def explain(self, model: object, state: object, action: object) -> str:
        """Why the guard fails for `action` in `state` (its `reason`, filled in)."""
        if callable(self.reason):
            return self.reason(model, state, action)
        return self.reason.format(m=model, s=state, a=action)


def guard(
    name: str | None = None,
    *,
    quote: str,
    reason: str | Callable[[Any, Any, Any], str],
    bound: bool = False,
) -> Callable[[Callable[[Any, Any, Any], bool]], Guard]:
    """Declare a predicate `(model, state, action) -> bool` as a `Guard` (named after
    the function unless `name` is given)."""

    def declare(fn: Callable[[Any, Any, Any], bool]) -> Guard:
        return Guard(name or fn.__name__, quote, fn, reason, bound)

    return declare


def without(guards: Sequence[Guard], *names: str) -> tuple[Guard, ...]:
    """`guards` less those named (a variant that drops a guard says which one)."""
    missing = set(names) - {g.name for g in guards}
    if missing:
        raise ValueError(f"no guard named {', '.join(sorted(missing))}")
    return tuple(g for g in guards if g.name not in names)


def replace(guards: Sequence[Guard], new: Guard) -> tuple[Guard, ...]:
    """`guards` with the guard named `new.name` replaced by `new`, in its place."""
    if new.name not in {g.name for g in guards}:
        raise ValueError(f"no guard named {new.name}")
    return tuple(new if g.name == new.name else g for g in guards)


class GuardedModel(Model[S, A]):
    """A model whose enabled actions are candidates that pass their declared guards.

    The paper's style: `guards` (which actions are possible: for each action class, its
    ordered tuple of `Guard`s, each quoting the condition it checks) kept apart from
    `apply` (what an action does). `honest_actions` keeps the candidates whose guards
    all hold (plain predicates, no exceptions); `step` raises `GuardError` naming the
    first guard that fails, then applies, except for an action that `honest_actions`
    has just listed for this very state.
    """

    #: The guards of each action class, in the order they are checked.
    guards: ClassVar[Mapping[type, tuple[Guard, ...]]] = {}

    _listed: tuple[object, list[A], set[int]] = (None, [], set())

    @abc.abstractmethod
    def candidates(self, state: S) -> Iterable[A]:
        """Every action worth trying in `state`, in a fixed order (the guards decide)."""

    @abc.abstractmethod
    def apply(self, state: S, action: A) -> S:
        """The effect of an action whose guards hold."""

    def guards_of(self, action: object) -> tuple[Guard, ...]:
        """The declared guards of the action's class.

        Raises:
            GuardError: `known_action` for an action of no declared class.
        """
        found = self.guards.get(type(action))
        if found is None:
            raise GuardError(action_name(action), "known_action", f"unknown action {action!r}")
        return found

    def failed_guard(self, state: S, action: A) -> Guard | None:
        """The first guard of `action` that is false in `state`, or None."""
        for g in self.guards_of(action):
            if not g.holds(self, state, action):
                return g
        return None

    def is_enabled(self, state: S, action: A) -> bool:
        """Every guard of `action` holds in `state`."""
        return all(h(self, state, action) for h in self._predicates(action))

    _checks: tuple[object, dict[type, tuple[Callable[[Any, Any, Any], bool], ...]]] = (None, {})

    def _predicates(self, action: object) -> tuple[Callable[[Any, Any, Any], bool], ...]:
        """The `holds` of the action's guards, from a table built once per `guards`.

        Raises:
            GuardError: `known_action` for an action of no declared class.
        """
        table, checks = self._checks
        if table is not self.guards:
            checks = {cls: tuple(g.holds for g in gs) for cls, gs in self.guards.items()}
            self._checks = (self.guards, checks)
        found = checks.get(type(action))
        if found is None:
            self.guards_of(action)  # raises known_action
        return found or ()

    def guard(self, state: S, action: A) -> None:
        """Raise `GuardError` naming the first guard of `action` that fails in `state`."""
        failed = self.failed_guard(state, action)
        if failed is not None:
            raise GuardError(action_name(action), failed.name, failed.explain(self, state, action))

    def honest_actions(self, state: S) -> list[A]:
        # `is_enabled` inlined: this loop is the checker's innermost one.
        predicates = self._predicates
        result = []
        for a in self.candidates(state):
            for h in predicates(a):
                if not h(self, state, a):
                    break
            else:
                result.append(a)
        # Kept with the actions themselves, so that their ids stay theirs.
        self._listed = (state, result, {id(a) for a in result})
        return result

    def step(self, state: S, action: A) -> S:
        last, _, listed = self._listed
        if last is not state or id(action) not in listed:
            self.guard(state, action)
        return self.apply(state, action)


def declared_guards(model: object) -> tuple[Guard, ...]:
    """Every guard a model declares (`GuardedModel.guards`), once each by name, in
    declaration order; () for a model that declares none."""
    table: Mapping[type, tuple[Guard, ...]] = getattr(model, "guards", {})
    seen: dict[str, Guard] = {}
    for guards in table.values():
        for g in guards:
            seen.setdefault(g.name, g)
    return tuple(seen.values())


def decode_event(
    events: Mapping[str, type], unknown: str, event_type: str, data: Mapping[str, object]
) -> Any:
    """The action for a seed event name and its data.

    Raises:
        GuardError: `unknown` (such as `unknown_weighted_event`) for a name not in
            `events`; `malformed_event` for data that does not fit the action.
    """
    cls = events.get(event_type)
    if cls is None:
        raise GuardError(event_type, unknown, f"no such event {event_type!r}")
    try:
        return cls(**data)
    except TypeError as err:
        raise GuardError(event_type, "malformed_event", str(err)) from None


def put(values: tuple[T, ...], i: int, value: T) -> tuple[T, ...]:
    """`values` with position i replaced by `value` (TLA+: `[values EXCEPT ![i] = value]`).

    The one tuple-update helper of the specs and models: states are tuples, never lists.
    """
    return (*values[:i], value, *values[i + 1 :])


def relabel(values: tuple[T, ...], mapping: Sequence[int]) -> tuple[T, ...]:
    """`values` with the entry at position i moved to position mapping[i]."""
    out = list(values)
    for i, value in enumerate(values):
        out[mapping[i]] = value
    return tuple(out)
