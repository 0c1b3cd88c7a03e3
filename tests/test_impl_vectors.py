"""The implementation replays every test vector that `coordspec generate` writes (issue 8).

A module-scoped fixture runs `model_check.generate.generate` and `write` for each
protocol into a temporary directory, at the bounds of `tests.harness.vectors.STATES`
(600 / 3,500 / 2,200 states for weighted / iterative / pbft): the least
multiple of 100 states in which the search finds every case it finds in the whole state
space at the default bounds, so the vectors are those of `coordspec generate PROTOCOL`
(1-2 s of CPU each here, against 10 s / 16 s / 9 s for the default bound's 50,000-state
exploration). `COORDSPEC_VECTORS_DEFAULT=1` runs `test_the_bounds_give_the_default_cases`,
which checks that the cases are the same as at the default bound.

Every case directory is then replayed through the implementation:

- single-step cases (`<action>/<case>/`): the implementation reaches `pre` by replaying
  `history.itf.json` (read with `model_check.itf.read_trace`), its abstraction must equal
  `pre` (within the implementation's tolerance), the case's event is applied, and a
  valid event must be accepted and lead to `post`; an invalid one must be refused, with
  the spec's guard as the reason (or the implementation's name for it, `REASONS`);
- event-decoding cases (`_events/<case>/`): the event is refused by the same name;
- multi-step cases (`_multi_step/<witness>/`): every step of `steps.json` in order, each
  state checked, the final event refused.

Weighted voting and iterative refinement take the seed's `event` form through their
registered adapters (`impl.refinement.weighted.ADAPTER`, `...iterative.ADAPTER`),
translated to the seed's field names by `weighted_event` / `iterative_event`. PBFT has
no event form in the spec: its actions are taken through the runtime by
`tests.harness.pbft.Driver`, as the trace replays do (see `PBFT_*` below for how its
states and refusals compare).

An event that a guard the spec declares as a model bound (`Guard.bound`) rejects is
accepted by the implementation, which has no such bound (impl/weighted.py: "no bound on
re-votes, assessments or feedbacks"); the test asserts that it is. Every case is expressible (since
the spec's Timeout needs the replica's timer to run, as the impl's does: spec/FINDINGS.md
P9); none is skipped: the per-protocol tallies must add up to the manifest's case count.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import pytest

from impl import weighted as iw
from impl.core import Error, Ok
from impl.refinement.pbft import spec_path, violated
from impl.refinement.tolerance import differences
from model_check.generate import EVENTS_DIR, MULTI_STEP, generate, write
from model_check.itf import decode_action, decode_state, read_trace, state_type
from model_check.result import Trace
from spec import pbft as spec_pbft
from spec import registry
from spec import weighted as w
from spec.core import Model
from tests.harness import iterative as hi
from tests.harness import weighted as hw
from tests.harness.pbft import Driver, contains, follow
from tests.harness.specs import model_bounds
from tests.harness.vectors import build, states

Json = Any

#: The implementation's names for each spec guard that it names differently (the
#: weighted impl reads metrics, not the model's profile numbers; the spec's
#: `malformed_event` for data that does not fit the action is the impl's `unknown_field`
#: or `missing_field`; `tests.harness.weighted` and `.iterative`).
REASONS: dict[str, dict[str, tuple[str, ...]]] = {
    "weighted": dict(hw.REASONS),
    "iterative": dict(hi.REASONS),
}


# --- the vectors ----------------------------------------------------------------------------


@attrs.frozen
class Written:
    """One protocol's vectors on disk, with the model they were generated from."""

    protocol: str
    model: Model[Any, Any]
    config: Any
    out: Path
    manifest: Json

    def cases(self, kind: str) -> list[Json]:
        """The manifest's entries of one kind, in the manifest's (deterministic) order."""
        return [c for c in self.manifest["cases"] if c["kind"] == kind]


@pytest.fixture(scope="module")
def vectors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Written]:
    """`coordspec generate` for every protocol, written under one temporary directory."""
    result = {}
    for protocol in registry.names():
        model, config = build(protocol)
        found = generate(protocol, model, config, max_states=states(protocol))
        out = tmp_path_factory.mktemp(f"vectors_{protocol}")
        write(found, model, out)
        manifest = load(out / "manifest.json")
        result[protocol] = Written(protocol, model, config, out, manifest)
    return result


def load(path: Path) -> Json:
    return json.loads(path.read_text(encoding="utf-8"))


def pre_state(written: Written, case_dir: Path) -> Any:
    return decode_state(load(case_dir / "pre.json"), state_type(written.model))


def post_state(written: Written, case_dir: Path) -> Any:
    return decode_state(load(case_dir / "post.json"), state_type(written.model))


def history(written: Written, case_dir: Path) -> Trace:
    trace = read_trace(case_dir / "history.itf.json", written.model)
    assert trace.steps[-1].state == pre_state(written, case_dir), "history does not end in pre"
    return trace


# --- the seed's event form, in the implementation's field names -----------------------------


def _agent(value: object) -> object:
    """The spec's agent position as the impl's agent id; anything else as it is."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"agent{value}"
    return value


def _number(value: object) -> object:
    """A "p/q" fraction of the event form as a float; anything else as it is."""
    if isinstance(value, str) and "/" in value:
        try:
            return float(Fraction(value))
        except ValueError:
            return value
    return value


def weighted_event(event: Mapping[str, Json]) -> tuple[str, dict[str, Json]]:
    """The impl event of a weighted vector's seed event (`spec.weighted.EVENTS` form).

    Agents become `agent<i>`, options `option<k>`, fractions floats, and a profile the
    model's metric profile (a profile the model does not have becomes metrics outside
    [0, 1], which is what the impl can be told). Unknown fields pass unchanged.
    """
    data: dict[str, Json] = {}
    for key, value in event["event_data"].items():
        if key == "agent":
            data["agent_id"] = _agent(value)
        elif key == "vote":
            is_int = isinstance(value, int) and not isinstance(value, bool)
            data["vote"] = f"option{value}" if is_int else value
        elif key == "confidence":
            data["confidence"] = _number(value)
        elif key == "profile":
            if isinstance(value, int) and 0 <= value < len(w.PROFILES):
                data.update(hw.floats(w.PROFILES[value]))
            else:
                data.update({name: -1.0 for name in iw.Metrics._fields})
        else:
            data[key] = value
    return event["event_type"], data


def iterative_event(event: Mapping[str, Json]) -> tuple[str, dict[str, Json]]:
    """The impl event of an iterative vector's seed event (`spec.iterative.EVENTS` form):
    agents become `agent<i>`, fractions floats, and the score the feedback's
    `quality_score`. Unknown fields pass unchanged."""
    data: dict[str, Json] = {}
    for key, value in event["event_data"].items():
        if key == "agent":
            data["agent_id"] = _agent(value)
        elif key in ("from_agent", "target_agent"):
            data[key] = _agent(value)
        elif key == "confidence":
            data["confidence"] = _number(value)
        elif key == "score":
            data["feedback"] = {"quality_score": _number(value)}
        else:
            data[key] = value
    return event["event_type"], data


def test_event_translation_passes_what_it_cannot_read_unchanged() -> None:
    """Ill-typed values reach the impl as they are, for it to refuse."""
    odd = {"agent": True, "vote": "x", "confidence": "1/x", "profile": 7, "extra": 1}
    event_type, data = weighted_event({"event_type": "vote_submission", "event_data": odd})
    assert event_type == "vote_submission"
    assert data == {
        "agent_id": True,
        "vote": "x",
        "confidence": "1/x",
        "extra": 1,
        **{name: -1.0 for name in iw.Metrics._fields},
    }
    session = hw.start(w.WeightedConfig())
    # the keys a vote does not have are refused by name, the first of them in order
    refused = iw.handle_weighted_event(session, event_type, data)
    assert refused == Error(
        "unknown_field",
        "vote_submission: unknown field 'accuracy'; the fields are agent_id, vote, "
        "confidence, reasoning",
    )
    # without them, the ill-typed values reach the handler
    fields = {k: data[k] for k in ("agent_id", "vote", "confidence")}
    refused = iw.handle_weighted_event(session, event_type, fields)
    assert isinstance(refused, Error) and refused.reason == "not_participant"
    feedback = {"from_agent": "a", "target_agent": 1, "score": "0.5", "proposal": 3}
    assert iterative_event({"event_type": "feedback_submission", "event_data": feedback}) == (
        "feedback_submission",
        {
            "from_agent": "a",
            "target_agent": "agent1",
            "feedback": {"quality_score": "0.5"},
            "proposal": 3,
        },
    )


# --- weighted and iterative: one adapter each ----------------------------------------------


@attrs.frozen
class Events:
    """How a protocol with the seed's event form is driven (its registered adapter)
    and compared (its abstraction, within the tolerance)."""

    protocol: str

    @property
    def adapter(self) -> registry.Adapter:
        found = registry.adapter(self.protocol)
        assert found is not None and found.handle is not None
        return found

    def start(self, config: Any) -> Any:
        if self.protocol == "weighted":
            return hw.start(config)
        return hi.start(config)

    def handle(self, session: Any, event_type: str, data: Mapping[str, Json]) -> Ok[Any] | Error:
        assert self.adapter.handle is not None
        result: Ok[Any] | Error = self.adapter.handle(session, event_type, data)
        return result

    def event(self, event: Mapping[str, Json]) -> tuple[str, dict[str, Json]]:
        return weighted_event(event) if self.protocol == "weighted" else iterative_event(event)

    def event_of(self, action: Any) -> tuple[str, dict[str, Json]]:
        if self.protocol == "weighted":
            return hw.event_of(action)
        return hi.event_of(action)

    def differences(self, session: Any, config: Any, state: Any) -> list[str]:
        """Where the abstraction of `session` departs from `state` ([] within tolerance)."""
        return differences(self.adapter.abstract(session, config), state)


def replay(adapter: Events, written: Written, trace: Trace, where: str) -> Any:
    """The impl session after the trace's actions, each accepted and each state matched."""
    session = adapter.start(written.config)
    diff = adapter.differences(session, written.config, trace.steps[0].state)
    assert not diff, f"{where}: initial state differs: {diff}"
    for k, step in enumerate(trace.steps[1:], start=1):
        result = adapter.handle(session, *adapter.event_of(step.action))
        assert isinstance(result, Ok), f"{where}: history step {k} refused: {result}"
        session = result.session
        diff = adapter.differences(session, written.config, step.state)
        assert not diff, f"{where}: history step {k} differs: {diff}"
    return session


def judge(
    adapter: Events,
    written: Written,
    session: Any,
    entry: Mapping[str, Json],
    post: Any,
    where: str,
) -> tuple[str, Any]:
    """Apply one vector event to `session` and check the verdict; (outcome, session).

    Outcomes: "accepted" (valid, the abstraction is `post`), "refused" (invalid, the
    reason is the guard's), "not_refused" (a model bound, accepted by the impl).
    """
    event_type, data = adapter.event(entry["event"])
    result = adapter.handle(session, event_type, data)
    protocol = written.protocol
    if entry["valid"]:
        assert isinstance(result, Ok), f"{where}: the impl refuses a valid event: {result}"
        diff = adapter.differences(result.session, written.config, post)
        assert not diff, f"{where}: the state after the event differs from post: {diff}"
        return "accepted", result.session
    guard = entry["guard"]
    if guard in model_bounds(written.model):
        assert isinstance(result, Ok), f"{where}: {guard} is a model bound; impl: {result}"
        return "not_refused", session
    assert isinstance(result, Error), f"{where}: the impl accepts an event {guard} rejects"
    expected = REASONS[protocol].get(guard, (guard,))
    assert result.reason in expected, f"{where}: reason {result.reason!r}, spec {guard!r}"
    return "refused", session


def single_step(written: Written, adapter: Events) -> Iterator[tuple[str, str]]:
    """Every single-step case replayed: (case path, outcome)."""
    for case in written.cases("single_step"):
        where = case["path"]
        folder = written.out / where
        session = replay(adapter, written, history(written, folder), where)
        diff = adapter.differences(session, written.config, pre_state(written, folder))
        assert not diff, f"{where}: the impl's state is not pre: {diff}"
        entry = load(folder / "action.json")
        post = post_state(written, folder) if entry["valid"] else None
        if entry["valid"]:  # the event form and the decoded action say the same
            action = decode_action(
                entry["mbt::actionTaken"], entry["mbt::nondetPicks"], written.model
            )
            assert adapter.event(entry["event"]) == adapter.event_of(action), where
        outcome, _ = judge(adapter, written, session, entry, post, where)
        yield where, outcome


def tally(outcomes: list[tuple[str, str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _, outcome in outcomes:
        counts[outcome] = counts.get(outcome, 0) + 1
    return dict(sorted(counts.items()))


#: What the single-step cases of each protocol come to (pinned: a change in the
#: generator or the impl shows here).
EVENT_TALLIES = {
    "weighted": {"accepted": 15, "not_refused": 3, "refused": 12},
    "iterative": {"accepted": 21, "refused": 18},
}


@pytest.mark.parametrize("protocol", ["weighted", "iterative"])
def test_single_step_vectors_replay_through_the_handlers(
    vectors: dict[str, Written], protocol: str
) -> None:
    written = vectors[protocol]
    outcomes = list(single_step(written, Events(protocol)))
    assert len(outcomes) == len(written.cases("single_step"))
    counts = written.manifest["counts"]
    assert sum(1 for _, o in outcomes if o == "accepted") == counts["valid"]
    assert tally(outcomes) == EVENT_TALLIES[protocol]
    bound_cases = sorted(p for p, o in outcomes if o == "not_refused")
    expected = sorted(
        c["path"] for c in written.cases("single_step") if c["guard"] in model_bounds(written.model)
    )
    assert bound_cases == expected


@pytest.mark.parametrize("protocol", ["weighted", "iterative"])
def test_event_decoding_vectors_are_refused_by_name(
    vectors: dict[str, Written], protocol: str
) -> None:
    written = vectors[protocol]
    adapter = Events(protocol)
    cases = written.cases("event_decoding")
    assert [c["path"].rpartition("/")[2] for c in cases] == [
        "unknown_event_type",
        "malformed_event_data",
    ]
    for case in cases:
        folder = written.out / case["path"]
        assert case["path"].startswith(f"{protocol}/{EVENTS_DIR}/")
        session = adapter.start(written.config)
        diff = adapter.differences(session, written.config, pre_state(written, folder))
        assert not diff, f"{case['path']}: {diff}"
        outcome, after = judge(adapter, written, session, load(folder / "action.json"), None, "")
        assert outcome == "refused" and after is session, case["path"]


#: The witnesses whose runs each protocol's multi-step cases replay, and the guard that
#: rejects each run's final event.
MULTI = {
    "weighted": {
        "cap_binds": "feedback_bound",
        "deadline_without_consensus": "after_deadline",
        "early_consensus": "after_decision",
    },
    "iterative": {"ended_by_max_rounds": "after_termination"},
}


@pytest.mark.parametrize("protocol", ["weighted", "iterative"])
def test_multi_step_vectors_replay_through_the_handlers(
    vectors: dict[str, Written], protocol: str
) -> None:
    written = vectors[protocol]
    adapter = Events(protocol)
    seen = {}
    for case in written.cases("multi_step"):
        where = case["path"]
        assert where.startswith(f"{protocol}/{MULTI_STEP}/")
        folder = written.out / where
        session = adapter.start(written.config)
        diff = adapter.differences(session, written.config, pre_state(written, folder))
        assert not diff, f"{where}: initial state: {diff}"
        steps = load(folder / "steps.json")
        kinds = state_type(written.model)
        for k, entry in enumerate(steps):
            post = decode_state(entry["post"], kinds) if entry["valid"] else None
            outcome, session = judge(adapter, written, session, entry, post, f"{where}[{k}]")
        diff = adapter.differences(session, written.config, post_state(written, folder))
        assert not diff, f"{where}: final state: {diff}"
        events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
        assert [e["event_type"] for e in events] == [s["event"]["event_type"] for s in steps]
        seen[where.rpartition("/")[2]] = steps[-1].get("guard")
        assert outcome == (
            "not_refused" if steps[-1]["guard"] in model_bounds(written.model) else "refused"
        )
    assert seen == MULTI[protocol]


# --- PBFT: spec actions through the runtime ------------------------------------------------
#
# The spec's PBFT actions are the steps of replicas (and of the client), not events one
# hands to a replica: `tests.harness.pbft.Driver.perform` makes the runtime take one
# by delivering the messages (and firing the timer) that lead an honest replica to it,
# with the Byzantine replica's help where the spec counts it implicitly. One impl event
# may take several spec steps (a primary pre-prepares a request as it receives it), so
# the impl may be ahead of a vector: its abstraction then holds `pre` (or `post`) within
# it (`contains`: the same per-replica variables, a superset of the messages), which is
# how `follow` replays traces too.
#
# Valid vectors: the impl reaches `pre` by `follow`ing history.itf.json, takes the action
# (or has taken it already: "ahead"), moves by a path of correct spec steps that breaks
# no invariant, and ends in `post` (or ahead of it).
# Invalid vectors: no message makes an honest replica take a step its guard forbids, so
# "refused" is checked as: after the attempt the impl has moved only by correct spec
# steps (none of them the rejected action), breaking no invariant; and how the impl
# declined is pinned per guard in `PBFT_REFUSALS` (the runtime's rejection reason, the
# driver finding no message to deliver, or a stutter where the replica ignores it).

#: How the impl declines each rejected PBFT action, by (action, guard). A reason in
#: snake_case is the impl's own (`message_rejected`); "no such message in flight", "no
#: timer" and "... quorum not reached" are the driver's (nothing the network holds leads
#: the replica there); "stutter": the attempt changes nothing (the replica has done it
#: already, or is not in the state the action needs); "no such request": the action
#: names a request no client submitted, for which the impl has no message at all.
PBFT_REFUSALS: dict[tuple[str, str], str] = {
    ("accept_new_view", "is_honest_backup"): "no such message in flight",
    ("accept_new_view", "newer_view"): "wrong_view",
    ("accept_new_view", "valid_new_view"): "no such message in flight",
    ("commit", "in_view"): "no such request",
    ("commit", "in_watermarks"): "prepare quorum not reached",
    ("commit", "not_sent"): "stutter",
    ("commit", "prepared"): "no such request",
    ("execute", "committed_local"): "no such request",
    ("execute", "in_order"): "stutter",
    ("new_view", "is_honest_primary"): "stutter",
    ("new_view", "view_changing"): "stutter",
    ("new_view", "valid_o"): "view-change quorum not reached",
    ("pre_prepare", "in_view"): "no such message in flight",
    ("pre_prepare", "in_watermarks"): "no such message in flight",
    ("pre_prepare", "is_honest"): "no such message in flight",
    ("pre_prepare", "is_primary"): "no such message in flight",
    ("pre_prepare", "is_replica"): "no such replica",
    ("prepare", "is_replica"): "no such replica",
    ("commit", "is_replica"): "no such replica",
    ("pre_prepare", "next_seq"): "no such message in flight",
    ("pre_prepare", "requested"): "no such message in flight",
    ("prepare", "has_pre_prepare"): "no such request",
    ("prepare", "in_view"): "no such request",
    ("prepare", "in_watermarks"): "outside_watermarks",
    ("prepare", "is_honest"): "no such message in flight",
    ("prepare", "is_backup"): "no such message in flight",
    ("prepare", "no_conflicting_pre_prepare"): "duplicate_message",
    ("request", "not_sent"): "stutter",
    ("stable_checkpoint", "has_proof"): "checkpoint quorum not reached",
    ("stable_checkpoint", "newer"): "stutter",
    ("timeout", "is_honest"): "no timer",
    ("timeout", "next_view"): "no timer",
    ("timeout", "timer_running"): "no timer",
}

#: What the impl breaks when it takes an action that a guard the spec declares a model
#: bound rejects (it has no such bound): the abstraction leaves the model's domain, and
#: this invariant of it names how. (`is_value`: the model's requests are 1..requests;
#: any operation is a request to the impl.)
PBFT_BEYOND_BOUNDS: dict[str, str] = {"is_value": "type_ok"}


def attempt(driver: Driver, action: Any) -> str | None:
    """`driver.perform(action)`: None, or why the impl did not take it ("no such
    replica" for a replica number the runtime has no session for)."""
    replica = getattr(action, "replica", None)
    if replica is not None and replica not in range(driver.config.replicas):
        return "no such replica"
    try:
        return driver.perform(action)
    except KeyError:  # Driver.digest: the spec's digest names no submitted request
        return "no such request"


def pbft_case(written: Written, path: str) -> str:
    """Replay one PBFT single-step case; its outcome ("accepted", "ahead", "refused: ...",
    "not_refused: ...")."""
    model, config = written.model, written.config
    assert isinstance(model, spec_pbft.Pbft)
    folder = written.out / path
    entry = load(folder / "action.json")
    action = decode_action(entry["mbt::actionTaken"], entry["mbt::nondetPicks"], model)
    pre = pre_state(written, folder)
    driver, departure, _ahead = follow(config, history(written, folder))
    assert departure is None, f"{path}: history departs: {departure}"
    before = driver.state()
    assert contains(before, pre), f"{path}: the impl's state does not hold pre"
    if entry["valid"]:
        post = post_state(written, folder)
        if before != pre and contains(before, post):
            return "ahead"  # the impl took this step with an earlier event
        reason = attempt(driver, action)
        assert reason is None, f"{path}: the impl refuses a valid action: {reason}"
        after = driver.state()
        assert spec_path(model, before, after) is not None, f"{path}: not a spec step"
        assert not violated(model, after), f"{path}: {violated(model, after)}"
        assert contains(after, post), f"{path}: the impl's state does not hold post"
        return "accepted"
    key = (entry["mbt::actionTaken"], entry["guard"])
    reason = attempt(driver, action)
    after = driver.state()
    if entry["guard"] in model_bounds(model):
        assert reason is None, f"{path}: {reason}"
        assert violated(model, after) == [PBFT_BEYOND_BOUNDS[entry["guard"]]], path
        return f"not_refused: {PBFT_BEYOND_BOUNDS[entry['guard']]}"
    taken = spec_path(model, before, after)
    assert taken is not None, f"{path}: the attempt left the spec"
    assert action not in taken, f"{path}: the impl took the rejected action"
    assert not violated(model, after), f"{path}: {violated(model, after)}"
    how = "stutter" if reason is None and after == before else str(reason)
    assert how == PBFT_REFUSALS.get(key), f"{path}: {key} declined as {how!r}"
    return f"refused: {how}"


def test_pbft_single_step_vectors_replay_through_the_runtime(vectors: dict[str, Written]) -> None:
    written = vectors["pbft"]
    cases = written.cases("single_step")
    outcomes = [(c["path"], pbft_case(written, c["path"])) for c in cases]
    counts = {k: v for k, v in tally([(p, o.partition(":")[0]) for p, o in outcomes]).items()}
    assert counts == {"accepted": 22, "ahead": 2, "not_refused": 1, "refused": 33}
    assert (
        sum(counts.values())
        == written.manifest["counts"]["valid"] + (written.manifest["counts"]["rejected"])
    )
    # every rejection the generator wrote is either declined as pinned or a model bound:
    # the tables have no entry the vectors do not use
    used = {(c["action"], c["guard"]) for c in cases if not c["valid"]}
    bounds = model_bounds(written.model)
    assert sorted(k for k in used if k[1] not in bounds) == sorted(PBFT_REFUSALS)
    assert sorted({g for _, g in used if g in bounds}) == sorted(PBFT_BEYOND_BOUNDS)


def test_pbft_multi_step_vectors_replay_through_the_runtime(vectors: dict[str, Written]) -> None:
    written = vectors["pbft"]
    model, config = written.model, written.config
    assert isinstance(model, spec_pbft.Pbft)
    found = {}
    for case in written.cases("multi_step"):
        where = case["path"]
        folder = written.out / where
        trace = read_trace(folder / "trace.itf.json", model)
        steps = load(folder / "steps.json")
        assert len(steps) == len(trace.steps)  # every step, then the rejected event
        driver, departure, _ahead = follow(config, trace)
        assert departure is None, f"{where}: {departure}"
        assert contains(driver.state(), post_state(written, folder)), where
        last = steps[-1]
        assert not last["valid"]
        action = decode_action(last["mbt::actionTaken"], last["mbt::nondetPicks"], model)
        before = driver.state()
        reason = attempt(driver, action)
        after = driver.state()
        taken = spec_path(model, before, after)
        assert taken is not None and action not in taken, where
        how = "stutter" if reason is None and after == before else str(reason)
        assert how == PBFT_REFUSALS[(last["mbt::actionTaken"], last["guard"])], where
        found[where.rpartition("/")[2]] = (len(trace.steps) - 1, last["guard"])
    assert found == {
        "executed_after_view_change": (10, "not_sent"),
        "executed_in_view_0": (6, "not_sent"),
        "view_change_despite_equivocation": (7, "not_sent"),
    }


@pytest.mark.skipif(
    not os.environ.get("COORDSPEC_VECTORS_DEFAULT"),
    reason="45 s of CPU: set COORDSPEC_VECTORS_DEFAULT=1",
)
@pytest.mark.parametrize("protocol", registry.names())
def test_the_bounds_give_the_default_cases(protocol: str) -> None:
    model, config = build(protocol)
    bounded = generate(protocol, model, config, max_states=states(protocol))
    default = generate(protocol, model, config)
    assert bounded.cases == default.cases
