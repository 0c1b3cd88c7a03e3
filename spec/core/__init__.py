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

The package, in the order a protocol is written: `config` (errors and configurations),
`properties`, `actions`, `model` (the model and its guards) and `specification` (what
a protocol module exports); every name is importable from `spec.core`.
"""

from spec.core.actions import (
    ACTOR_FIELDS,
    AgentStep,
    Reliance,
    action_args,
    action_name,
    action_name_of,
    action_names,
    actor_of,
    named_tuple_fields,
    record_fields,
)
from spec.core.config import (
    Config,
    ConfigError,
    GuardError,
    HypothesisError,
    ParamInfo,
    ParamValue,
    SpecError,
    make_config,
    param,
    params_of,
    parse_values,
    unsafe_config,
)
from spec.core.model import (
    Guard,
    GuardedModel,
    Model,
    declared_guards,
    decode_event,
    guard,
    put,
    relabel,
    replace,
    without,
)
from spec.core.properties import (
    Eventually,
    Invariant,
    Witness,
    eventually,
    invariant,
    leads_to,
    witness,
)
from spec.core.specification import (
    Preset,
    Specification,
)

__all__ = [
    "ACTOR_FIELDS",
    "AgentStep",
    "Config",
    "ConfigError",
    "Eventually",
    "Guard",
    "GuardError",
    "GuardedModel",
    "HypothesisError",
    "Invariant",
    "Model",
    "ParamInfo",
    "ParamValue",
    "Preset",
    "Reliance",
    "SpecError",
    "Specification",
    "Witness",
    "action_args",
    "action_name",
    "action_name_of",
    "action_names",
    "actor_of",
    "declared_guards",
    "decode_event",
    "eventually",
    "guard",
    "invariant",
    "leads_to",
    "make_config",
    "named_tuple_fields",
    "param",
    "params_of",
    "parse_values",
    "put",
    "record_fields",
    "relabel",
    "replace",
    "unsafe_config",
    "without",
    "witness",
]
