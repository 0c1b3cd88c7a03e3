"""The coordination API of the seed: start a session, then hand it events.

Seed, "Current Implementation Status": `start_byzantine_consensus/3`,
`start_weighted_consensus/3`, `start_iterative_consensus/3` (proposal, participants,
config), and `handle_event`, which dispatches on the session's kind to
`handle_byzantine_event`, `handle_weighted_event` or `handle_iterative_event` (the seed's
names, kept; inside `impl` the protocol is `pbft`). Every function returns
`Ok(session, effects)` or `Error(reason, detail)`; nothing raises on bad input, and a
refused event leaves the caller's session as it was.

Weighted sessions read and write expertise through an `ExpertiseStore`
(`impl.store`): when a session starts, each participant's latest stored metrics are its
expertise (else the `expertise` given in the config, else average metrics), and every
accepted `expertise_assessment` or `performance_feedback` is written back in one
transaction before the new session is returned. A PBFT session is one replica's
(`impl.pbft`); a runtime (`impl.runtime`) carries messages between replicas.

## Configs

| kind | key | default | allowed |
|---|---|---|---|
| all | `session_id` | derived from the proposal and participants | a non-empty text |
| pbft | `replica`, `master_key`, `client`, ... | see `start_byzantine_consensus` | |
| weighted | `options` | `("accept", "reject")` | distinct texts or integers, at least one |
| weighted | `consensus_threshold` | 0.6 (the seed's example) | a number in [0.01, 1] |
| weighted | `assessment_strategy` | `"dynamic"` | `static`, `dynamic`, `adaptive` |
| weighted | `expertise` | none | agent id -> the four metrics, each in [0, 1] |
| iterative | `max_rounds` | 5 | an integer in 1..100 |
| iterative | `convergence_threshold` | 0.9 (the seed's example) | a number in [0, 1] |
| iterative | `quality_threshold` | 1 | a number in [0, 1] |
| iterative | `early_termination` | true | a boolean |
| iterative | `convergence_method` | `"jaccard"` | `jaccard`, `semantic`, `custom` (all Jaccard) |
| iterative | `reference_texts` | `it.REFERENCE_TEXTS` | texts whose words define quality |

The defaults and ranges of `consensus_threshold`, `assessment_strategy`,
`convergence_threshold`, `quality_threshold`, `early_termination` and
`convergence_method` are the spec's parameters' (`spec.weighted.WeightedConfig`,
`spec.iterative.IterativeConfig`), read from their declarations (`SPEC_DEFAULTS`):
the seed's examples where it gives one (0.6, 0.9), and 1 for `quality_threshold`, where
it gives none. `max_rounds` differs on purpose (the spec's is a model bound). The policy
for every constant the spec and the implementation share, and why these are what they
are, is in `impl.refinement`.

A weighted session has at least one participant, an iterative one at least two; ids are
distinct non-empty texts. An invalid config is `Error("invalid_config", ...)` naming the
key and the allowed values.

## Events

`FIELDS` declares, per protocol, every event's fields and the reasons it is refused for
(`impl.fields`; the README's tables are made from it). A PBFT client submits a request
as plain data, `handle_event(session, "proposal_submission", {"client": "alice",
"timestamp": 1, "operation": "deposit 10"})`: the API signs it as the client (the
caller is the client) and hands the signed request to the replica.

Errors (seed §5.3): `handle_coordination_error(session, (kind, detail), context)`, from
`impl.recovery`, exported here next to `handle_event`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from impl import iterative as it
from impl import pbft, recovery
from impl import weighted as wv
from impl.auth import KeyRing
from impl.core import Error, Ok, Telemetry
from impl.fields import Event, Field, Protocol
from impl.store import ExpertiseStore, StoreError
from spec import iterative as spec_iterative
from spec import weighted as spec_weighted
from spec.core import ParamInfo, params_of

WEIGHTED_KEYS = ("session_id", "options", "consensus_threshold", "assessment_strategy", "expertise")
ITERATIVE_KEYS = (
    "session_id",
    "max_rounds",
    "convergence_threshold",
    "quality_threshold",
    "early_termination",
    "convergence_method",
    "reference_texts",
)


class _InvalidError(Exception):
    """A config problem; becomes `Error("invalid_config", message)`."""


def _spec_param(config_type: type, name: str) -> ParamInfo:
    return next(p for p in params_of(config_type) if p.name == name)


#: The config keys whose default and range are the spec's, with the spec parameter each
#: is read from (the module docstring).
SPEC_DEFAULTS: dict[str, ParamInfo] = {
    "consensus_threshold": _spec_param(spec_weighted.WeightedConfig, "consensus_threshold"),
    "assessment_strategy": _spec_param(spec_weighted.WeightedConfig, "strategy"),
    "convergence_threshold": _spec_param(spec_iterative.IterativeConfig, "convergence_threshold"),
    "quality_threshold": _spec_param(spec_iterative.IterativeConfig, "quality_threshold"),
    "early_termination": _spec_param(spec_iterative.IterativeConfig, "early_termination"),
    "convergence_method": _spec_param(spec_iterative.IterativeConfig, "method"),
}


def _shared_number(config: Mapping[str, Any], key: str) -> float:
    """A number whose default and range are the spec's (`SPEC_DEFAULTS`)."""
    p = SPEC_DEFAULTS[key]
    assert isinstance(p.default, Fraction) and p.low is not None and p.high is not None
    return _number(config, key, float(p.default), float(p.low), float(p.high))


def _number(config: Mapping[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = config.get(key, default)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise _InvalidError(f"{key}: expected a number in [{low}, {high}], got {value!r}")
    return float(value)


def _participants(participants: object, least: int) -> tuple[str, ...]:
    if isinstance(participants, str) or not isinstance(participants, Sequence):
        raise _InvalidError(f"participants: expected a list of agent ids, got {participants!r}")
    ids = tuple(participants)
    if len(ids) < least:
        raise _InvalidError(f"participants: at least {least} needed, got {len(ids)}")
    for a in ids:
        if not isinstance(a, str) or not a:
            raise _InvalidError(f"participants: agent ids are non-empty texts, got {a!r}")
    if len(set(ids)) != len(ids):
        raise _InvalidError("participants: agent ids must be distinct")
    return ids


def _config(config: object, keys: Sequence[str]) -> Mapping[str, Any]:
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise _InvalidError(f"config: expected a mapping, got {type(config).__name__}")
    unknown = sorted(str(k) for k in config if k not in keys)
    if unknown:
        raise _InvalidError(f"{unknown[0]}: unknown key; the keys are {', '.join(keys)}")
    return config


def _session_id(kind: str, config: Mapping[str, Any], proposal: str, ids: Sequence[str]) -> str:
    given = config.get("session_id")
    if given is not None:
        if not isinstance(given, str) or not given:
            raise _InvalidError(f"session_id: expected a non-empty text, got {given!r}")
        return given
    digest = hashlib.sha256(repr((kind, proposal, tuple(ids))).encode()).hexdigest()
    return f"{kind}-{digest[:12]}"


def _proposal(proposal: object) -> str:
    if not isinstance(proposal, str):
        raise _InvalidError(f"proposal: expected a text, got {proposal!r}")
    return proposal


def _started(kind: str, session_id: str, agents: int) -> Telemetry:
    return Telemetry(kind, "coordination_started", session_id, {"agents": agents})


# --- weighted ----------------------------------------------------------------------------


def _expertise(config: Mapping[str, Any], ids: Sequence[str]) -> dict[str, wv.Metrics]:
    given = config.get("expertise", {})
    if not isinstance(given, Mapping):
        raise _InvalidError("expertise: expected a mapping of agent id to metrics")
    result = {}
    for agent, data in given.items():
        if agent not in ids:
            raise _InvalidError(f"expertise: {agent!r} is not a participant")
        m = wv.metrics_of(data) if isinstance(data, Mapping) else None
        if not isinstance(m, wv.Metrics):
            detail = m.detail if isinstance(m, Error) else "expected a mapping of the 4 metrics"
            raise _InvalidError(f"expertise: {agent}: {detail}")
        result[agent] = m
    return result


def start_weighted_consensus(
    proposal: object,
    participants: object,
    config: object = None,
    store: ExpertiseStore | None = None,
) -> Ok[wv.WeightedSession] | Error:
    """Start a weighted vote (seed Part 2) among `participants` on `proposal`.

    Returns `Ok(session, (coordination_started, weights_updated))`, or
    `Error("invalid_config", ...)` / `Error("store_failed", ...)`.
    """
    try:
        text = _proposal(proposal)
        ids = _participants(participants, 1)
        c = _config(config, WEIGHTED_KEYS)
        options = c.get("options", ("accept", "reject"))
        if isinstance(options, str) or not isinstance(options, Sequence) or not options:
            raise _InvalidError(f"options: expected a non-empty list, got {options!r}")
        for o in options:
            if isinstance(o, bool) or not isinstance(o, str | int):
                raise _InvalidError(f"options: expected texts or integers, got {o!r}")
        if len(set(options)) != len(options) or wv.NO_CONSENSUS in options:
            raise _InvalidError(f"options: must be distinct and not {wv.NO_CONSENSUS!r}")
        threshold = _shared_number(c, "consensus_threshold")
        strategy = c.get("assessment_strategy", SPEC_DEFAULTS["assessment_strategy"].default)
        if strategy not in wv.STRATEGIES:
            raise _InvalidError(
                f"assessment_strategy: expected one of {', '.join(wv.STRATEGIES)}, got {strategy!r}"
            )
        given = _expertise(c, ids)
        session_id = _session_id("weighted", c, text, ids)
    except _InvalidError as err:
        return Error("invalid_config", str(err))
    try:
        stored = store.load(ids) if store is not None else {}
    except StoreError as err:
        return Error("store_failed", str(err))
    metrics = [stored.get(a) or given.get(a) or wv.AVERAGE for a in ids]
    session = wv.new_session(session_id, text, ids, tuple(options), threshold, strategy, metrics)
    effects = (
        _started("weighted", session_id, len(ids)),
        Telemetry(
            "weighted",
            "weights_updated",
            session_id,
            {
                "max_possible_weight": session.max_possible_weight,
                "gini_coefficient": session.gini_coefficient,
                "max_individual_weight": session.max_individual_weight,
                "weight_entropy": session.weight_entropy,
                "agents": len(ids),
                "from_store": len(stored),
            },
        ),
    )
    return Ok(session, effects)


# --- iterative ---------------------------------------------------------------------------


def start_iterative_consensus(
    proposal: object, participants: object, config: object = None
) -> Ok[it.IterativeSession] | Error:
    """Start an iterative refinement (seed Part 3) of `proposal` among `participants`.

    Returns `Ok(session, (coordination_started,))` or `Error("invalid_config", ...)`.
    """
    try:
        text = _proposal(proposal)
        ids = _participants(participants, 2)
        c = _config(config, ITERATIVE_KEYS)
        rounds = c.get("max_rounds", 5)
        if isinstance(rounds, bool) or not isinstance(rounds, int) or not 1 <= rounds <= 100:
            raise _InvalidError(f"max_rounds: expected an integer in 1..100, got {rounds!r}")
        convergence = _shared_number(c, "convergence_threshold")
        quality = _shared_number(c, "quality_threshold")
        early = c.get("early_termination", SPEC_DEFAULTS["early_termination"].default)
        if not isinstance(early, bool):
            raise _InvalidError(f"early_termination: expected true or false, got {early!r}")
        method = c.get("convergence_method", SPEC_DEFAULTS["convergence_method"].default)
        if method not in it.METHODS:
            raise _InvalidError(
                f"convergence_method: expected one of {', '.join(it.METHODS)}, got {method!r}"
            )
        texts = c.get("reference_texts", it.REFERENCE_TEXTS)
        if (
            isinstance(texts, str)
            or not isinstance(texts, Sequence)
            or not all(isinstance(t, str) for t in texts)
        ):
            raise _InvalidError("reference_texts: expected a list of texts")
        session_id = _session_id("iterative", c, text, ids)
    except _InvalidError as err:
        return Error("invalid_config", str(err))
    session = it.new_session(
        session_id,
        text,
        ids,
        rounds,
        convergence,
        quality,
        early,
        method,
        it.vocabulary_of(texts),
    )
    return Ok(session, (_started("iterative", session_id, len(ids)),))


# --- pbft --------------------------------------------------------------------------------

PBFT_KEYS = (
    "session_id",
    "replica",
    "master_key",
    "client",
    "checkpoint_interval",
    "log_size",
    "base_timeout",
    "seq_limit",
)


def _integer(config: Mapping[str, Any], key: str, default: int) -> int:
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _InvalidError(f"{key}: expected an integer, got {value!r}")
    return value


def start_byzantine_consensus(
    proposal: object, participants: object, config: object = None
) -> Ok[pbft.PbftSession] | Error:
    """Start one PBFT replica's session (seed Part 1) in the group `participants`.

    The session is replica `config["replica"]` (a participant; the first by default),
    keyed by `config["master_key"]` (bytes, required: the deployment's key material,
    `impl.auth`). If `proposal` is not None it is submitted at once, as the client
    `config["client"]`'s first request (an operation: a text or an integer), so the
    primary's session answers with its PRE-PREPARE. The other keys are those of
    `impl.pbft.start_pbft`.
    """
    try:
        ids = _participants(participants, 1)
        c = _config(config, PBFT_KEYS)
        if proposal is not None and (
            isinstance(proposal, bool) or not isinstance(proposal, str | int)
        ):
            raise _InvalidError(f"proposal: expected a text or an integer, got {proposal!r}")
        replica = c.get("replica", ids[0])
        if replica not in ids:
            raise _InvalidError(f"replica: expected one of the participants, got {replica!r}")
        key = c.get("master_key")
        if not isinstance(key, bytes) or len(key) < 16:
            raise _InvalidError("master_key: expected at least 16 bytes of key material")
        session_id = _session_id(pbft.PROTOCOL, c, repr(proposal), ids)
        client = c.get("client", f"client:{session_id}")
        if not isinstance(client, str) or not client:
            raise _InvalidError(f"client: expected a non-empty text, got {client!r}")
        options = {
            name: _integer(c, name, default)
            for name, default in (
                ("checkpoint_interval", pbft.CHECKPOINT_INTERVAL),
                ("log_size", pbft.LOG_SIZE),
                ("base_timeout", pbft.BASE_TIMEOUT),
                ("seq_limit", 0),
            )
        }
    except _InvalidError as err:
        return Error("invalid_config", str(err))
    started = pbft.start_pbft(
        session_id,
        ids.index(replica),
        len(ids),
        key,
        checkpoint_interval=options["checkpoint_interval"],
        log_size=options["log_size"],
        base_timeout=options["base_timeout"],
        seq_limit=options["seq_limit"],
        participants=ids,
    )
    if isinstance(started, Error) or proposal is None:
        return started
    request = pbft.ClientRequest(client, 1, proposal)
    signed = pbft.AuthRequest(request, KeyRing(client, key, len(ids)).authenticator(tuple(request)))
    submitted = pbft.handle_byzantine_event(
        started.session, "proposal_submission", {"request": signed}
    )
    assert isinstance(submitted, Ok), submitted
    return Ok(
        submitted.session,
        (_started(pbft.PROTOCOL, session_id, len(ids)), *submitted.effects),
    )


# --- events ------------------------------------------------------------------------------

#: Events whose acceptance changes an agent's expertise (written to the store).
_MEASUREMENTS = ("expertise_assessment", "performance_feedback")

#: The fields of a client request as `handle_event` takes it: the plain form (§4.1's
#: <REQUEST, o, t, c>), which the API signs as the client, or the signed `request`.
_PLAIN = ("client", "timestamp", "operation")
CLIENT_REQUEST = Event(
    "proposal_submission",
    (
        Field(
            "client",
            "non-empty text, not `replica:<i>`",
            "the client (§4.1's c), as whom the API signs the request",
            unless="request",
        ),
        Field(
            "timestamp",
            "integer >= 1",
            "the client's request number (§4.1's t): a timestamp the replica has executed "
            "for the client is a duplicate",
            unless="request",
        ),
        Field("operation", "text or integer", "what to execute (§4.1's o)", unless="request"),
        Field(
            "request",
            "`pbft.AuthRequest`",
            "instead of the three above: the request signed by its client, as the network "
            "carries it",
            default=None,
        ),
        pbft.NOW,
    ),
    ("malformed_message", "bad_authenticator", "duplicate_message"),
)

#: PBFT's events as `handle_event` takes them (the README's table).
PBFT_FIELDS = Protocol(
    "pbft",
    "start_byzantine_consensus",
    {**pbft.EVENTS, "proposal_submission": CLIENT_REQUEST},
    pbft.COMMON,
    (pbft.NOW,),
)

#: Every protocol's events, by the protocol's name (`impl.fields.markdown` of each is
#: the README's table).
FIELDS: dict[str, Protocol] = {p.name: p for p in (PBFT_FIELDS, wv.FIELDS, it.FIELDS)}


def _client_request(
    session: pbft.PbftSession, data: Mapping[str, Any]
) -> Mapping[str, Any] | Error:
    """A `proposal_submission`'s data in the handler's (signed) form: a plain request is
    checked and signed with the client's keys (the caller is the client)."""
    misfit = CLIENT_REQUEST.check(data)
    if misfit is not None:
        return misfit
    if "request" in data:
        both = [k for k in _PLAIN if k in data]
        if both:
            return Error(
                "malformed_message",
                f"proposal_submission: give request, or client, timestamp and operation; "
                f"not both ({both[0]!r} with 'request')",
            )
        return data
    client, timestamp, operation = (data[k] for k in _PLAIN)
    if not isinstance(client, str) or not client or client.startswith("replica:"):
        return Error(
            "malformed_message",
            f"proposal_submission: client must be a non-empty text not naming a replica, "
            f"not {client!r}",
        )
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 1:
        return Error(
            "malformed_message",
            f"proposal_submission: timestamp must be an integer >= 1, not {timestamp!r}",
        )
    if isinstance(operation, bool) or not isinstance(operation, str | int):
        return Error(
            "malformed_message",
            f"proposal_submission: operation must be a text or an integer, not {operation!r}",
        )
    request = pbft.ClientRequest(client, timestamp, operation)
    keys = KeyRing(client, session.keys.master, session.params.replicas)
    signed: dict[str, Any] = {
        "request": pbft.AuthRequest(request, keys.authenticator(tuple(request)))
    }
    if "now" in data:
        signed["now"] = data["now"]
    return signed


def handle_event(
    session: object,
    event_type: str,
    event_data: Mapping[str, Any] | None = None,
    store: ExpertiseStore | None = None,
) -> Ok[Any] | Error:
    """Dispatch an event on the session's kind (the seed's `handle_*_event`).

    Each event's fields are `FIELDS[protocol].events[event_type]`: a key the event does
    not have is `unknown_field`, a required field absent `missing_field`. A PBFT
    `proposal_submission` may be the client's plain request (`client`, `timestamp`,
    `operation`), which is signed here as the client, or a signed `request`.

    For a weighted session with a `store`, an accepted measurement is written to the
    store (one transaction) before the new session is returned; if the write fails the
    result is `Error("store_failed", ...)` and the caller keeps its session.
    """
    if isinstance(session, wv.WeightedSession):
        result = wv.handle_weighted_event(session, event_type, event_data)
        if isinstance(result, Ok) and store is not None and event_type in _MEASUREMENTS:
            assert event_data is not None
            agent = session.index(event_data["agent_id"])
            assert agent is not None
            try:
                store.record({session.agents[agent]: result.session.latest(agent)}, event_type)
            except StoreError as err:
                return Error("store_failed", str(err))
        return result
    if isinstance(session, it.IterativeSession):
        return it.handle_iterative_event(session, event_type, event_data)
    if isinstance(session, pbft.PbftSession):
        data: Mapping[str, Any] = {} if event_data is None else event_data
        if (
            session.failed is None
            and event_type == "proposal_submission"
            and isinstance(data, Mapping)
        ):  # (a failed session refuses it unsigned: `session_failed`)
            signed = _client_request(session, data)
            if isinstance(signed, Error):
                return signed
            data = signed
        return pbft.handle_byzantine_event(session, event_type, data)
    return Error("unknown_session", f"not a coordination session: {type(session).__name__}")


def handle_coordination_error(
    session: object, error: object, context: object = ""
) -> Ok[Any] | Error:
    """The seed's §5.3 `handle_coordination_error`: telemetry, then the recovery for the
    error's kind (`impl.recovery.handle_coordination_error`, whose docstring has the
    cases); `Ok(session, effects)` for any error."""
    return recovery.handle_coordination_error(session, error, context)
