"""The protocol registry: how the one list of protocols (`spec.PROTOCOLS`) is read.

Each protocol is registered once, in `spec/__init__.py`, as a `Registration`: the
module of its spec (exporting `SPEC`, a `spec.core.Specification`: its name, config,
model, seed events and decoder, named presets), the module of its named variants
(exporting `VARIANTS`), and the module of its reference implementation's adapter
(exporting `ADAPTER`, an `Adapter`: start, handle, abstraction function). The command
line, the Makefile (through `coordspec list`), the diagrams, `conform --events` and the
tests' parametrisations all derive from it; nothing else lists the protocols.

Modules are imported when first asked for, so that reading the list costs nothing and
`spec` does not import `impl`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from spec.core import SpecError, Specification


@attrs.frozen
class Registration:
    """One protocol: the modules of its spec, its variants and its implementation.

    Attributes:
        spec: the module exporting `SPEC`.
        variants: the module exporting `VARIANTS` (a tuple of `spec.variants.Variant`),
            or None.
        impl: the module exporting `ADAPTER` (an `Adapter`), or None.
    """

    spec: str
    variants: str | None = None
    impl: str | None = None


@attrs.frozen
class Adapter:
    """How the oracle drives a protocol's reference implementation (from `impl/`).

    Attributes:
        start: `session_start`'s data -> the implementation's result (`impl.core.Ok`
            holding the new session, or `impl.core.Error`); None when the implementation
            has no session form (its events cannot be replayed with `conform --events`).
        handle: (session, event type, event data) -> the implementation's result.
        abstract: the abstraction function: an implementation state -> the spec state
            it stands for.
    """

    start: Callable[[Mapping[str, Any]], Any] | None
    handle: Callable[[Any, str, Mapping[str, Any]], Any] | None
    abstract: Callable[..., Any]


class UnknownProtocolError(SpecError):
    """No registered protocol has that name; the message lists the registered ones."""


def registrations() -> tuple[Registration, ...]:
    """The registered protocols, in order (`spec.PROTOCOLS`)."""
    import spec

    return spec.PROTOCOLS


def _registration(name: str) -> Registration:
    for r in registrations():
        if specification_of(r).name == name:
            return r
    known = ", ".join(names()) or "none registered"
    raise UnknownProtocolError(f"unknown protocol {name!r}; the protocols are: {known}")


def specification_of(r: Registration) -> Specification[Any]:
    """The `SPEC` of a registration's spec module."""
    spec: Specification[Any] = importlib.import_module(r.spec).SPEC
    return spec


def specifications() -> dict[str, Specification[Any]]:
    """The registered protocols' specs by name, in registration order."""
    return {s.name: s for s in map(specification_of, registrations())}


def names() -> tuple[str, ...]:
    """The registered protocols' names, in order."""
    return tuple(specifications())


def specification(name: str) -> Specification[Any]:
    """The registered protocol `name`'s spec.

    Raises:
        UnknownProtocolError: no such protocol.
    """
    return specification_of(_registration(name))


def variants_module(name: str) -> str | None:
    """The module of a protocol's variants (None: it has none, or is not registered)."""
    for r in registrations():
        if specification_of(r).name == name:
            return r.variants
    return None


def adapter(name: str) -> Adapter | None:
    """The adapter of a protocol's implementation (None: it has no implementation).

    Raises:
        UnknownProtocolError: no such protocol.
    """
    module = _registration(name).impl
    if module is None:
        return None
    found: Adapter = importlib.import_module(module).ADAPTER
    return found
