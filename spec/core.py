"""The spec contract: what every protocol module exposes and every tool consumes.

A protocol is written once, as a `Model` bound to a frozen `Config`, and read by the
model checker, the conformance oracle, the tests and the diagram generator alike
(DESIGN.md, "The spec contract"). The pieces:

- `Config`: a frozen attrs class whose fields are declared with `param`, so that each
  has a default, an allowed range and a one-line help text that the CLI shows and
  validates (`ConfigError` names the field and the allowed values).
- `Model`: `initial()`, `honest_actions(state)` and `byzantine_actions(state)` (the
  actions enabled in a state, in a deterministic order, the adversary's kept apart),
  `step(state, action)` (the pure transition; `GuardError` names the guard that failed),
  and the named properties: `invariants` (always), `witnesses` (sometimes) and
  `eventually` (liveness under weak fairness of named action classes). Optional hooks
  serve the readers of counterexamples: `phase` and `actor` (the phase diagram) and
  `relied_on` (the adversary's implicit messages a step counted).
- `Specification`: the one object a protocol module exports: its name, one-line
  summary, config class and the function that builds the model.

States and actions are frozen attrs instances built from integers, strings, booleans,
`Fraction`, enums, tuples, frozensets and other frozen attrs instances, so that equal
states are equal and hash equal, and so that the checker can fingerprint them without
depending on `PYTHONHASHSEED`.
"""

from __future__ import annotations

import abc
import re
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any, ClassVar, Generic, TypeVar

import attrs

if typing.TYPE_CHECKING:
    from spec.sessions import SessionForm

S = TypeVar("S")
A = TypeVar("A")
C = TypeVar("C")
T = TypeVar("T")


class SpecError(Exception):
    """Base class of the errors a specification raises on purpose."""


class ConfigError(SpecError, ValueError):
    """A configuration parameter is missing, malformed or out of its allowed range."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class HypothesisError(ConfigError):
    """A well-formed configuration outside a hypothesis of the protocol's guarantees
    (such as PBFT's n >= 3f + 1): the model can run it, but its theorems do not cover
    it. `Config.check_hypotheses` raises it; `unsafe_config` switches the check off.

    Attributes:
        warning: one sentence for the output of a run that allows it anyway
            ("2 faulty replicas of 4 is outside PBFT's hypothesis n >= 3f + 1: ...").
    """

    def __init__(self, field: str, message: str, warning: str) -> None:
        super().__init__(field, message)
        self.warning = warning


class GuardError(SpecError):
    """An action was given to `step` in a state where one of its guards is false.

    Attributes:
        action: the action's name (`action_name`).
        guard: the name of the guard predicate that failed, as the spec names it.
        reason: a sentence saying why, in the protocol's own terms.
    """

    def __init__(self, action: str, guard: str, reason: str) -> None:
        super().__init__(f"{action}: guard {guard} failed: {reason}")
        self.action = action
        self.guard = guard
        self.reason = reason


# --- configuration parameters ------------------------------------------------------

ParamValue = int | bool | str | Fraction | tuple[int, ...]

_PARAM = "coordspec_param"


@attrs.frozen
class ParamInfo:
    """What the CLI and `coordspec list` know about one configuration parameter."""

    name: str
    kind: str  # "int" | "bool" | "str" | "fraction" | "ints"
    default: ParamValue
    low: int | Fraction | None
    high: int | Fraction | None
    choices: tuple[str, ...]
    help: str
    distinct: bool = True

    @property
    def option(self) -> str:
        """The command-line option: `max_view` -> `--max-view`."""
        return "--" + self.name.replace("_", "-")

    def shown_default(self) -> str:
        """The default as it would be typed on the command line."""
        value = self.default
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, tuple):
            return ",".join(str(v) for v in value) or '""'
        return str(value)

    def allowed(self) -> str:
        """The allowed values, in words, for help texts and error messages."""
        if self.kind == "bool":
            return "true or false"
        if self.kind == "str":
            return "one of " + ", ".join(self.choices)
        bounds = f"{_fmt(self.low)}..{_fmt(self.high)}"
        if self.kind == "ints":
            which = "distinct integers" if self.distinct else "integers"
            return f"a comma-separated list of {which} in {bounds} (may be empty)"
        noun = "an integer" if self.kind == "int" else "a fraction p/q"
        return f"{noun} in {bounds}"

    def parse(self, text: str) -> ParamValue:
        """Parse a command-line string into this parameter's type.

        Raises:
            ConfigError: the text is not of the parameter's type.
        """
        text = text.strip()
        try:
            if self.kind == "bool":
                lowered = text.lower()
                if lowered in ("true", "on", "yes", "1"):
                    return True
                if lowered in ("false", "off", "no", "0"):
                    return False
                raise ValueError(text)
            if self.kind == "int":
                return int(text)
            if self.kind == "fraction":
                return Fraction(text)
            if self.kind == "ints":
                return tuple(int(part) for part in text.split(",") if part.strip())
        except (ValueError, ZeroDivisionError):
            raise ConfigError(self.name, f"expected {self.allowed()}, got {text!r}") from None
        return text

    def check(self, value: object) -> None:
        """Check a value against the parameter's type and range.

        Raises:
            ConfigError: naming the parameter and the allowed values.
        """
        bad = ConfigError(self.name, f"expected {self.allowed()}, got {value!r}")
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise bad
            return
        if self.kind == "str":
            if value not in self.choices:
                raise bad
            return
        if self.kind == "ints":
            if not isinstance(value, tuple) or (self.distinct and len(set(value)) != len(value)):
                raise bad
            items: tuple[object, ...] = value
        else:
            items = (value,)
        for item in items:
            numeric = isinstance(item, int | Fraction) and not isinstance(item, bool)
            if not numeric or (self.kind == "int" and not isinstance(item, int)):
                raise bad
            assert isinstance(item, int | Fraction)
            if (self.low is not None and item < self.low) or (
                self.high is not None and item > self.high
            ):
                raise bad


def _fmt(bound: int | Fraction | None) -> str:
    return "" if bound is None else str(bound)


def param(
    default: ParamValue,
    *,
    help: str,
    low: int | Fraction | None = None,
    high: int | Fraction | None = None,
    choices: Sequence[str] = (),
    distinct: bool = True,
) -> Any:
    """Declare a configuration field with its default, allowed range and help text.

    Args:
        default: the default value; its type fixes the parameter's kind (int, bool,
            str, Fraction, or a tuple of ints).
        help: one line for `coordspec list` and `--help`.
        low, high: inclusive bounds for numbers (each element of a tuple of ints).
        choices: the allowed strings, for a str parameter.
        distinct: for a tuple of ints, whether its elements must differ.
    """
    if isinstance(default, bool):
        kind = "bool"
    elif isinstance(default, int):
        kind = "int"
    elif isinstance(default, Fraction):
        kind = "fraction"
    elif isinstance(default, str):
        kind = "str"
    else:
        kind = "ints"
    info = {
        "kind": kind,
        "low": low,
        "high": high,
        "choices": tuple(choices),
        "help": help,
        "distinct": distinct,
    }
    return attrs.field(default=default, metadata={_PARAM: info})


def params_of(config_type: type[Any]) -> tuple[ParamInfo, ...]:
    """The parameters of a config class, in declaration order."""
    result = []
    for field in attrs.fields(config_type):
        info = field.metadata.get(_PARAM)
        if info is None:
            continue
        result.append(ParamInfo(name=field.name, default=field.default, **info))
    return tuple(result)


class Config:
    """Base class of protocol configurations: frozen attrs with `param` fields.

    Subclasses are `@attrs.frozen` and may override `validate` for constraints that
    relate several fields, and `check_hypotheses` for the hypotheses of the protocol's
    guarantees (such as n >= 3f + 1); the per-field ranges are checked here.
    """

    #: The switch that skips `check_hypotheses`: set on the classes `unsafe_config`
    #: makes (and on a mutant's configuration), never on a protocol's own.
    unsafe: ClassVar[bool] = False

    def __attrs_post_init__(self) -> None:
        for info in params_of(type(self)):
            info.check(getattr(self, info.name))
        self.validate()
        if not self.unsafe:
            self.check_hypotheses()

    def validate(self) -> None:
        """Check constraints between fields; raise `ConfigError` naming a field."""

    def check_hypotheses(self) -> None:
        """Check the hypotheses of the protocol's guarantees; raise `HypothesisError`.

        Unlike `validate`'s constraints these describe configurations the model can
        run, outside what its theorems claim; an `unsafe` configuration skips them.
        """

    def hypothesis_warnings(self) -> tuple[str, ...]:
        """The hypotheses this configuration violates, as `HypothesisError.warning`
        sentences (empty when there are none, whether or not it is `unsafe`)."""
        try:
            self.check_hypotheses()
        except HypothesisError as err:
            return (err.warning,)
        return ()

    def as_dict(self) -> dict[str, ParamValue]:
        """The parameter values, in declaration order."""
        return {info.name: getattr(self, info.name) for info in params_of(type(self))}


_UNSAFE: dict[type[Any], type[Any]] = {}


def unsafe_config(config_type: type[C]) -> type[C]:
    """`config_type` with its hypotheses unchecked (`Config.unsafe`): a subclass whose
    instances may lie outside what the protocol's theorems assume (PBFT with more than
    f faulty replicas), to show what breaks there. Named, shown and compared like
    `config_type`'s, except that an unsafe config never equals a checked one.

    Raises:
        ConfigError: `config_type` is not a `Config`, so it has no hypotheses to skip.
    """
    if not issubclass(config_type, Config):
        raise ConfigError("config", f"{config_type.__name__} is not a spec.core.Config")
    if config_type.unsafe:
        return config_type
    made = _UNSAFE.get(config_type)
    if made is None:
        namespace = {
            "unsafe": True,
            "__module__": config_type.__module__,
            "__qualname__": config_type.__qualname__,
            "__doc__": f"{config_type.__name__} with its hypotheses unchecked.",
        }
        made = attrs.frozen(type(config_type.__name__, (config_type,), namespace))
        _UNSAFE[config_type] = made
    return made


def parse_values(config_type: type[Any], values: Mapping[str, str]) -> dict[str, ParamValue]:
    """Command-line strings keyed by parameter name, parsed into the parameters' types.

    Raises:
        ConfigError: an unknown parameter or a malformed value.
    """
    infos = {info.name: info for info in params_of(config_type)}
    parsed: dict[str, ParamValue] = {}
    for name, text in values.items():
        info = infos.get(name)
        if info is None:
            known = ", ".join(i.option for i in infos.values()) or "none"
            raise ConfigError(name, f"unknown parameter; the parameters are {known}")
        parsed[name] = info.parse(text)
    return parsed


def make_config(config_type: type[C], values: Mapping[str, str], unsafe: bool = False) -> C:
    """Build a config from command-line strings keyed by parameter name; with `unsafe`,
    of `unsafe_config(config_type)`, whose hypotheses are not checked.

    Raises:
        ConfigError: an unknown parameter, a malformed value or a value out of range;
            `HypothesisError` (without `unsafe`) for one outside the hypotheses.
    """
    parsed = parse_values(config_type, values)
    return (unsafe_config(config_type) if unsafe else config_type)(**parsed)


# --- properties ----------------------------------------------------------------------


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n", 1)[0].strip()


@attrs.frozen
class Invariant(Generic[S]):
    """A property that holds in every reachable state ("always")."""

    name: str
    holds: Callable[[S], bool]
    doc: str = ""

    @property
    def summary(self) -> str:
        """The first line of the docstring."""
        return _first_line(self.doc)


@attrs.frozen
class Witness(Generic[S]):
    """A property some reachable state must have ("sometimes").

    An unreached witness is a failure: it shows that the model cannot do something it
    was meant to do, which is how a vacuous model is caught.
    """

    name: str
    reached: Callable[[S], bool]
    doc: str = ""

    @property
    def summary(self) -> str:
        """The first line of the docstring."""
        return _first_line(self.doc)


@attrs.frozen
class Eventually(Generic[S]):
    """Every fair behaviour reaches a state satisfying `goal` (TLA+: `<>goal`), or,
    with a `premise`, every fair behaviour that reaches a premise state reaches a goal
    state at or after it (TLA+: `premise ~> goal`, that is `[](premise => <>goal)`).

    Fairness is TLA+'s weak fairness `WF_vars(A)` of each named action class A in
    `fairness`: a behaviour is fair when no class stays enabled forever without being
    taken, where, as in TLA+, only steps that change the state count: a class is
    enabled in a state when one of its actions leads to a different state (ENABLED
    <<A>>_vars), and it is taken by such a step, never by a stutter (a step back to the
    same state). Classes are given by `Model.action_class` (by default the action's
    name); actions of the adversary (`byzantine_actions`) are never fair. A behaviour
    may stutter forever in a state where no fair class is enabled. Strong fairness is
    not offered: none of the protocols needs it.
    """

    name: str
    goal: Callable[[S], bool]
    fairness: tuple[str, ...]
    doc: str = ""
    premise: Callable[[S], bool] | None = None

    @property
    def kind(self) -> str:
        """`eventually` (`<>goal`) or `leads_to` (`premise ~> goal`)."""
        return "eventually" if self.premise is None else "leads_to"

    @property
    def summary(self) -> str:
        """The first line of the docstring."""
        return _first_line(self.doc)


def invariant(fn: Callable[[S], bool]) -> Invariant[S]:
    """Make an `Invariant` from a predicate, named and documented by the function."""
    return Invariant(fn.__name__, fn, fn.__doc__ or "")


def witness(fn: Callable[[S], bool]) -> Witness[S]:
    """Make a `Witness` from a predicate, named and documented by the function."""
    return Witness(fn.__name__, fn, fn.__doc__ or "")


def eventually(*fairness: str) -> Callable[[Callable[[S], bool]], Eventually[S]]:
    """Make an `Eventually` from a goal predicate, under weak fairness of `fairness`."""

    def wrap(fn: Callable[[S], bool]) -> Eventually[S]:
        return Eventually(fn.__name__, fn, tuple(fairness), fn.__doc__ or "")

    return wrap


def leads_to(
    premise: Callable[[S], bool], *fairness: str
) -> Callable[[Callable[[S], bool]], Eventually[S]]:
    """Make `premise ~> goal` from a goal predicate, under weak fairness of `fairness`.

    The property is named and documented by the goal function:

        @leads_to(lambda s: s.requested, "execute")
        def answered(s): ...
    """

    def wrap(fn: Callable[[S], bool]) -> Eventually[S]:
        return Eventually(fn.__name__, fn, tuple(fairness), fn.__doc__ or "", premise)

    return wrap


# --- actions -------------------------------------------------------------------------

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


_NAMES: dict[type, str] = {}


def action_name(action: object) -> str:
    """The action's name: the class attribute `NAME` or the class name in snake_case."""
    name = _NAMES.get(type(action))
    return name if name is not None else action_name_of(type(action))


def action_names(actions: object) -> tuple[str, ...]:
    """The names of the action classes of a union type (`Request | PrePrepare | ...`),
    in its order: what `Model.action_classes` returns when classes are action names."""
    members = typing.get_args(actions) or (actions,)
    return tuple(action_name_of(cls) for cls in members if isinstance(cls, type))


def action_name_of(cls: type) -> str:
    """The name of the actions of class `cls`, as `action_name` gives it."""
    name = _NAMES.get(cls)
    if name is None:
        explicit = getattr(cls, "NAME", None)
        name = explicit if isinstance(explicit, str) else _CAMEL.sub("_", cls.__name__).lower()
        _NAMES[cls] = name
    return name


def record_fields(value: object) -> dict[str, Any]:
    """An attrs instance's fields by name, in declaration order (empty for other values)."""
    cls: Any = type(value)
    if not attrs.has(cls):
        return {}
    return {f.name: getattr(value, f.name) for f in attrs.fields(cls)}


def named_tuple_fields(value: object) -> dict[str, Any] | None:
    """A NamedTuple's fields by name, or None for any other value."""
    names = getattr(type(value), "_fields", None)
    if not isinstance(value, tuple) or not isinstance(names, tuple):
        return None
    return dict(zip(names, value, strict=True))


def action_args(action: object) -> dict[str, Any]:
    """The action's arguments: its attrs fields in declaration order."""
    return record_fields(action)


#: The argument names that name an action's actor, in the order they are looked for:
#: the actor of an action is its first argument named one of these (the message
#: sequence charts', the observation logs' and the per-agent vectors' reading).
ACTOR_FIELDS = ("replica", "agent", "from_agent", "sender", "src", "node", "process", "i")


def actor_of(action: object) -> Any:
    """The value of the first of `action`'s arguments named one of `ACTOR_FIELDS`, or None."""
    args = action_args(action)
    for name in ACTOR_FIELDS:
        if name in args:
            return args[name]
    return None


@attrs.frozen
class Reliance:
    """A message of the adversary that a step counted (`Model.relied_on`).

    `message` is a short text (`PREPARE(v0, n1, d1)`); `sender` the faulty participant
    that sent it, as the action arguments name participants (None: unknown).
    """

    message: str
    sender: object = None

    def __str__(self) -> str:
        return self.message if self.sender is None else f"{self.message} from faulty {self.sender}"


@attrs.frozen
class AgentStep:
    """One participant's part in a step of a message-passing protocol (`Model.agent_step`):
    what an implementation of that participant alone receives and sends.

    Attributes:
        agent: the participant taking the step (its position).
        deliver: the message (wire form) whose receipt triggers the step.
        unreceivable: why the participant cannot have received `deliver`; None when it
            can.
        received: the other messages (wire form) of the quorum or certificate the step
            counts, which it must have received before `deliver`.
        send: for a step taken, the messages it sends; None for a refused one.
    """

    agent: int
    deliver: Mapping[str, Any]
    unreceivable: str | None
    received: Sequence[Mapping[str, Any]]
    send: Sequence[Mapping[str, Any]] | None


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


def _params_dict(params: Mapping[str, str]) -> dict[str, str]:
    return dict(params)


@attrs.frozen
class Preset:
    """A named configuration of a protocol, kept next to its spec (TLC: an MC file).

    Attributes:
        name: what `--preset` selects (`default`, `liveness`, `proof`, ...).
        summary: what the bound is for, in one sentence.
        params: the parameters that differ from the defaults, as command-line strings.
        portfolio: whether the preset is one of the protocol's portfolio, the presets
            that `coordspec check PROTOCOL` (no parameters) checks one after the other
            so that together they exercise every feature of the spec.
    """

    name: str
    summary: str
    params: Mapping[str, str] = attrs.field(factory=dict, converter=_params_dict)
    portfolio: bool = False


@attrs.frozen
class Specification(Generic[C]):
    """What a protocol module exports: its name, summary, config and model builder.

    Attributes:
        events: the seed's event names, each with its action class (the conformance
            oracle's event decoder reads it); empty when the protocol has none.
        decode: the seed event decoder (`from_event(event_type, data)`), if any.
        presets: the protocol's named configurations, `default` first.
        session: the seed's session form of the state and events (spec/sessions.py),
            for a protocol whose coordinator takes every event; None otherwise.
    """

    name: str
    summary: str
    config_type: type[C]
    build: Callable[[C], Model[Any, Any]]
    events: Mapping[str, type] = attrs.field(factory=dict)
    decode: Callable[[str, Mapping[str, object]], Any] | None = None
    presets: tuple[Preset, ...] = ()
    session: SessionForm | None = None

    def params(self) -> tuple[ParamInfo, ...]:
        """The configuration parameters."""
        return params_of(self.config_type)

    def default_config(self) -> C:
        """The default configuration."""
        return self.config_type()

    def preset(self, name: str) -> Preset:
        """The named preset (`default` always exists: the defaults).

        Raises:
            ConfigError: no preset has that name (the message lists them).
        """
        for p in self.all_presets():
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.all_presets())
        raise ConfigError("preset", f"no preset {name!r} of {self.name}; the presets are: {known}")

    def all_presets(self) -> tuple[Preset, ...]:
        """The declared presets, with `default` (the defaults) first if not declared."""
        if any(p.name == "default" for p in self.presets):
            return self.presets
        return (Preset("default", "the default bounds", {}), *self.presets)

    def portfolio(self) -> tuple[Preset, ...]:
        """The presets marked `portfolio`, in their declared order (empty when none is:
        then `coordspec check PROTOCOL` checks the defaults alone)."""
        return tuple(p for p in self.all_presets() if p.portfolio)

    def model(self, values: Mapping[str, str] | None = None) -> Model[Any, Any]:
        """Build the model from command-line strings (defaults for the rest).

        Raises:
            ConfigError: as `make_config`.
        """
        return self.build(make_config(self.config_type, values or {}))
