"""Trace validation: search the spec's behaviours for one that explains a partial log.

Issue 16 §1, after Cirstea, Kuppe, Loillier and Merz, "Validating Traces of Distributed
Programs Against TLA+ Specifications" (2024): an implementation logs some of its events
and some of its variables, perhaps one agent's only, perhaps merged from several agents
out of global order; the checker looks, breadth-first through the spec's state space
and constrained by the log, for a behaviour that explains every line of it.

## The log (`model_check/schemas/observation_log.schema.json`)

JSON Lines, one object a line (blank lines skipped; line numbers are the file's).

- An optional first line `{"#meta": {...}}`: `protocol`; `params` (the configuration,
  as an ITF trace's `#meta.params`); `agents`, the participants' names by position (so
  lines may say `"agent": "alice"`); `logged`, the participants whose every step is in
  the log (by default those that some line names as its `agent`, and every participant
  when no line names one); `silent`, action names that nobody logs.
- Every other line has at least one of `event`, `observe`, `receive`:
  - `event`: an action, by the spec's name (`Prepare`, `VoteSubmission`) or the seed's
    event type (`vote_submission`); `args`: some or all of its arguments, by the spec's
    names (`agent_id` is read as `agent`).
  - `agent`: who logged the line; the actor of its event (the action's `replica`,
    `agent` or `from_agent` argument) is that agent.
  - `observe`: variables and their values right after the line's event (or at the
    line, without one): the spec state's variables, or with `agent` that agent's local
    part (`Model.local_view`: a replica's view, log, water marks...).
  - `receive`: a message in the protocol's wire form that `agent` received
    (`Model.receivable`, which reads the protocol's wire form).
  - `clock`: an integer, on every line or on none. Lines are explained in clock order;
    lines with equal clocks in any order among themselves.
  - `session`: lines of different sessions are independent runs, each from the initial
    state.
- Values: JSON; a fraction as `"p/q"` or a number (a float agrees with a fraction
  within `TOLERANCE` x max(1, |x|), the implementation's tolerance); a list for a
  tuple or a set (a set in any order); a record as an object of some of its fields;
  a participant by its position or its name.

## The search

A node is a spec state and how many lines are explained. From a node the search may
explain a next line (an enabled action that matches the line's event, arguments and
agent, and after which its observations hold; or, for a line with no event, the
observations and the receipt holding in the state), or take a **silent** step: an
action of a participant that does not log, an action the model declares silent
(`Model.silent`: a client's requests, say), one of the adversary's, or one that
`#meta.silent` names. Lines are taken one clock value at a time; the states where all
of a clock's lines are explained are the candidates the next clock starts from, so the
search keeps every state that explains the log so far, not one guess.

Verdicts: `explained` (with the behaviour, as ITF with each state's `#meta.line`);
`unexplained at line K` (the longest explained prefix is the lines before K; the
candidate states there, and for each why line K is impossible: the failed guard and its
reason, the observed variables that disagree, or that no such action exists); `gave up`
when `max_states` nodes were visited.

The package, in the order a validation goes: `limits` (its bounds, tolerances and the
keys of a log), `log` (reading the log), `values` (when an observed value agrees),
`protocol` (the model's side), `search` (the behaviour that explains the log, and the
verdict) and `report` (the reports and `coordspec validate` itself); every name is
importable from `model_check.validate`.
"""

from __future__ import annotations

from model_check.validate.limits import (
    ALIASES,
    CACHE_LIMIT,
    LINE_KEYS,
    MAX_LINE,
    MAX_STATES,
    META_KEYS,
    SHOWN,
    TOLERANCE,
    LogError,
)
from model_check.validate.log import Line, Meta, parse_line, parse_meta, read_lines
from model_check.validate.protocol import Protocol
from model_check.validate.report import (
    exit_code,
    report_lines,
    run,
    verdict_json,
    witness_itf,
    witness_trace,
)
from model_check.validate.search import (
    Chain,
    Diagnosis,
    SearchBoundError,
    Session,
    Verdict,
    build_model,
    every_missing,
    groups,
    sessions,
    validate,
    validate_session,
)
from model_check.validate.values import agrees, as_json, close

__all__ = [
    "ALIASES",
    "CACHE_LIMIT",
    "LINE_KEYS",
    "MAX_LINE",
    "MAX_STATES",
    "META_KEYS",
    "SHOWN",
    "TOLERANCE",
    "Chain",
    "Diagnosis",
    "Line",
    "LogError",
    "Meta",
    "Protocol",
    "SearchBoundError",
    "Session",
    "Verdict",
    "agrees",
    "as_json",
    "build_model",
    "close",
    "every_missing",
    "exit_code",
    "groups",
    "parse_line",
    "parse_meta",
    "read_lines",
    "report_lines",
    "run",
    "sessions",
    "validate",
    "validate_session",
    "verdict_json",
    "witness_itf",
    "witness_trace",
]
