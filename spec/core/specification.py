"""What a protocol module exports (`Specification`) and its named configurations (`Preset`)."""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

import attrs

from spec.core.config import ConfigError, ParamInfo, make_config, params_of
from spec.core.model import Model

if typing.TYPE_CHECKING:
    from spec.sessions import SessionForm

C = TypeVar("C")


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
