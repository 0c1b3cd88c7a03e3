"""Errors, and a model's configuration: `Config` classes whose fields are declared with `param`
(a default, an allowed range, a help text), parsed and checked (`make_config`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any, ClassVar, TypeVar

import attrs

C = TypeVar("C")


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
