"""Named variants of the protocols: the broken rules and configurations the checker
must catch, each with what it reproduces and what the checker reports.

A variant is a model builder (a mutant of a protocol's model class, or the protocol's
own) and the configuration where its break shows: a rule of the seed's design that
`spec/FINDINGS.md` records (`reproduces` names the entry, such as `P8`), or a mutant
that breaks one rule of the spec on purpose (`reproduces` is `mutant`). Each pins the
property the checker reports violated and the length of its shortest counterexample
(breadth-first, the model's default symmetry), as the tests check.

`coordspec check PROTOCOL --variant NAME` checks one (its parameters may be overridden
with `--name value`, except those the variant fixes), `coordspec list --variants`
lists them. The command line finds them through `variants_of`, so `model_check` names
no protocol; each protocol's variants are the `VARIANTS` of the module its registration
(`spec.PROTOCOLS`) names.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

import attrs

from spec import registry
from spec.core import (
    Config,
    ConfigError,
    Model,
    SpecError,
    Specification,
    make_config,
    parse_values,
    unsafe_config,
)

M_co = TypeVar("M_co", bound="Model[Any, Any]", covariant=True)
C = TypeVar("C", bound=Config)

#: `reproduces` of a variant that is no finding of the seed: a rule broken on purpose.
MUTANT = "mutant"


@attrs.frozen
class Variant(Generic[M_co]):
    """A protocol variant, where it shows, and what the checker must find.

    Attributes:
        name: the variant's name (`--variant NAME`), unique within its protocol.
        protocol: the protocol it is a variant of (`coordspec check PROTOCOL`).
        description: one line: what is broken.
        reproduces: the `spec/FINDINGS.md` entry it reproduces (`P8`, `W1`...), or
            `mutant`.
        model: the model builder, called with the configuration: a mutant's class or
            the protocol's own.
        config: the configuration where the break shows (the variant's defaults).
        property: the property the checker reports violated (`deadlock` for one).
        length: the length of its shortest counterexample (a lasso's prefix and cycle).
        first: whether `check` reports `property` first; when not, it is found with
            `--continue` (a run that does not stop at the first violation).
        fixed: parameters the variant's model ignores, which may not be overridden.
    """

    name: str
    protocol: str
    description: str
    reproduces: str
    model: Callable[[Any], M_co]
    config: Config
    property: str
    length: int
    first: bool = True
    fixed: tuple[str, ...] = ()

    def build(self) -> M_co:
        """The variant's model at its own configuration."""
        return self.model(self.config)

    def configure(self, values: Mapping[str, str], unsafe: bool = False) -> Config:
        """The variant's configuration with `values` (command-line strings by parameter
        name) overriding its own; with `unsafe`, its hypotheses unchecked.

        Raises:
            ConfigError: an unknown, fixed or malformed parameter, a value out of
                range; `HypothesisError` (without `unsafe`) outside the hypotheses.
        """
        for name in values:
            if name in self.fixed:
                raise ConfigError(name, f"fixed by the variant {self.name} (its model ignores it)")
        config_type = type(self.config)
        parsed = parse_values(config_type, values)
        chosen = unsafe_config(config_type) if unsafe else config_type
        return chosen(**{**self.config.as_dict(), **parsed})

    def expected(self) -> str:
        """What the checker reports: `agreement violated in 12 steps`."""
        steps = "step" if self.length == 1 else "steps"
        found = "" if self.first else " (with --continue)"
        return f"{self.property} violated in {self.length} {steps}{found}"


class UnknownVariantError(SpecError):
    """A variant name that the protocol does not have; the message names the known ones."""


def variants_of(protocol: str) -> dict[str, Variant[Model[Any, Any]]]:
    """The variants of a protocol by name, in their order (empty for a protocol that
    has none, such as a model file's)."""
    module_name = registry.variants_module(protocol)
    if module_name is None:
        return {}
    variants: tuple[Variant[Model[Any, Any]], ...] = importlib.import_module(module_name).VARIANTS
    return {v.name: v for v in variants}


def all_variants() -> list[Variant[Model[Any, Any]]]:
    """Every variant of every protocol, by protocol, then in each protocol's order."""
    return [v for protocol in registry.names() for v in variants_of(protocol).values()]


def find_variant(protocol: str, name: str) -> Variant[Model[Any, Any]]:
    """The protocol's variant `name`.

    Raises:
        UnknownVariantError: the protocol has no such variant (the message, one line,
            names the ones it has).
    """
    variants = variants_of(protocol)
    if name not in variants:
        known = ", ".join(variants) or "none"
        raise UnknownVariantError(
            f"{protocol} has no variant {name!r}; its variants are: {known} "
            "(coordspec list --variants)"
        )
    return variants[name]


def preset_config(spec: Specification[C], name: str) -> C:
    """The configuration of `spec`'s preset `name` (a portfolio mutant's own)."""
    return make_config(spec.config_type, spec.preset(name).params)
