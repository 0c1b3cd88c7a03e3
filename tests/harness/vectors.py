"""The bounds at which the tests generate each protocol's test vectors, and the model."""

from __future__ import annotations

from typing import Any

from model_check.generate import DEFAULT_MAX_STATES
from spec import registry
from spec.core import Model, make_config

#: Bounds that keep the default runs to a second or two each: the least multiple of 100
#: states (plus a margin) in which the search finds everything it finds in the whole
#: state space at the default bounds.
STATES = {"pbft": 2200, "weighted": 600, "iterative": 3500}


def states(protocol: str) -> int:
    """The test bound of a protocol's vector search (`STATES`; the generator's default
    for a protocol not listed there)."""
    return STATES.get(protocol, DEFAULT_MAX_STATES)


def build(protocol: str, **params: str) -> tuple[Model[Any, Any], Any]:
    """The registered protocol's model and config, with `params` over the defaults."""
    spec = registry.specification(protocol)
    config = make_config(spec.config_type, params)
    return spec.build(config), config
