"""Driving the PBFT implementation along the spec's actions (the runtime, in record mode).

Each spec action is mapped to what makes an honest replica take it in the impl: deliver
the message it reacts to (PrePrepare: the request to the primary; Prepare: the
pre-prepare to the backup; Commit / Execute: prepares / commits to the replica until it
is prepared / committed-local; Timeout: its timer; NewView: view-changes to the new
primary; AcceptNewView: the NEW-VIEW to the backup; StableCheckpoint: checkpoints), with
the faulty replicas' part played by the adversary (a faulty primary's pre-prepare or
NEW-VIEW, the faulty replicas' votes and view-changes), which is what the spec's
implicit Byzantine support stands for. `follow` reports the first step at which the
impl departs from a trace: it cannot take the step (and why), or its abstraction is
not the trace's state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from impl.auth import NULL_DIGEST
from impl.core import CollectingSink, Error, Ok, Telemetry
from impl.pbft import (
    EVENT_OF,
    CheckpointMsg,
    CommitMsg,
    PrepareMsg,
    PrePrepareMsg,
    Signed,
    ViewChangeMsg,
)
from impl.refinement.pbft import abstract, spec_path, violated
from impl.runtime import Packet, Runtime
from model_check.result import Trace
from spec import pbft as spec


def small_runtime(n: int = 4, faulty: tuple[int, ...] = (), **kw: Any) -> Runtime:
    """A runtime for unit tests: telemetry collected, no checkpoints, a log of 8."""
    kw.setdefault("sink", CollectingSink())
    kw.setdefault("checkpoint_interval", 0)
    kw.setdefault("log_size", 8)
    return Runtime(n, faulty, **kw)


def outcome(rt: Runtime) -> tuple[object, ...]:
    """What a run decided, refused, where each replica ended, and how many deliveries."""
    return (
        rt.decided,
        sorted(rt.rejected.items()),
        {i: (s.view, s.state) for i, s in rt.sessions.items()},
        rt.delivered,
    )


def conformance_runtime(config: spec.PbftConfig, seed: int = 0) -> Runtime:
    """A runtime inside the spec configuration's bounds, recording for the abstraction."""
    return Runtime(
        config.replicas,
        config.faulty,
        seed=seed,
        checkpoint_interval=config.checkpoint_interval,
        log_size=config.log_size if config.checkpoint_interval else config.max_seq,
        seq_limit=config.max_seq,
        max_view=config.max_view,
        record=True,
        base_timeout=10,
    )


@attrs.frozen
class Departure:
    """Where the impl left a trace: the step index (1-based), its action and why."""

    step: int
    action: str
    how: str


class Driver:
    """Makes the impl take spec actions, one at a time."""

    def __init__(self, config: spec.PbftConfig) -> None:
        self.config = config
        self.rt = conformance_runtime(config)
        self.faulty = sorted(config.faulty)

    def digest(self, value: int) -> str:
        """The impl digest of spec request `value`."""
        if value == spec.NULL:
            return NULL_DIGEST
        for d, req in self.rt.requests.items():
            if req.request.operation == value:
                return d
        raise KeyError(value)

    def state(self) -> spec.PbftState:
        """The abstraction of the runtime now."""
        return abstract(self.rt, self.config)

    def deliver_first(self, wanted: Callable[[Packet], bool]) -> str | None:
        """Deliver the first packet in flight that `wanted` picks; the refusal reason."""
        for k, packet in enumerate(self.rt.inflight):
            if wanted(packet):
                return refusal(self.rt.deliver(k))
        return "no such message in flight"

    def body_to(self, i: int, kind: type, key: tuple[object, ...]) -> Callable[[Packet], bool]:
        def pick(p: Packet) -> bool:
            m = p.data.get("message")
            return (
                p.dest == i
                and isinstance(m, Signed)
                and isinstance(m.body, kind)
                and tuple(m.body)[: len(key)] == key
            )

        return pick

    def until(
        self,
        done: Callable[[], bool],
        i: int,
        kind: type[PrepareMsg] | type[CommitMsg],
        key: tuple[int, int, str],
    ) -> str | None:
        """Deliver matching votes to i (the adversary's last) until `done`."""
        helped = False
        while not done():
            if self.deliver_first(self.body_to(i, kind, key)) is None:
                continue
            if helped or not self.faulty:
                return f"{EVENT_OF[kind]} quorum not reached"
            self.rt.byzantine_vote(kind, *key, [i])
            helped = True
        return None

    def perform(self, a: Any) -> str | None:
        """Make the impl take spec action `a`; None, or why it cannot."""
        rt, n = self.rt, self.config.replicas
        if isinstance(a, spec.Request):
            rt.submit(a.value)
            return None
        if isinstance(a, spec.PrePrepare):
            value = a.digest
            return self.deliver_first(
                lambda p: (
                    p.dest == a.replica
                    and p.event == "proposal_submission"
                    and getattr(p.data["request"], "request", None) is not None
                    and p.data["request"].request.operation == value  # type: ignore[attr-defined]
                )
            )
        d = self.digest(a.digest) if hasattr(a, "digest") else ""
        if isinstance(a, spec.Prepare):
            primary = a.view % n
            if primary in self.config.faulty:
                req = rt.requests[d]
                rt.byzantine_send(primary, [a.replica], PrePrepareMsg(a.view, a.seq, d), req)
            return self.deliver_first(self.body_to(a.replica, PrePrepareMsg, (a.view, a.seq, d)))
        if isinstance(a, spec.Commit):
            key = (a.view, a.seq, d)
            target = spec.CommitMsg(a.view, a.seq, a.digest, a.replica)
            return self.until(lambda: target in self.state().commits, a.replica, PrepareMsg, key)
        if isinstance(a, spec.Execute):
            key = (a.view, a.seq, d)
            i = a.replica
            return self.until(lambda: rt.sessions[i].state.seq >= a.seq, i, CommitMsg, key)
        if isinstance(a, spec.Timeout):
            if rt.latest_timer(a.replica) is None:
                self.deliver_first(
                    lambda p: p.dest == a.replica and p.event == "proposal_submission"
                )
            result = rt.fire_latest(a.replica)
            return refusal(result) if result is not None else "no timer"
        if isinstance(a, spec.NewView):
            return self.new_view(a)
        if isinstance(a, spec.AcceptNewView):
            return self.accept_new_view(a)
        assert isinstance(a, spec.StableCheckpoint)
        i = a.replica
        return self.until_checkpoint(i, a.seq)

    def new_view(self, a: spec.NewView) -> str | None:
        rt, i = self.rt, a.replica
        wanted = [(n, self.digest(x)) for n, x in sorted(a.pre_prepares) if x != spec.NULL]
        helped = False
        while rt.sessions[i].changing:
            if self.deliver_first(self.body_to(i, ViewChangeMsg, (a.view,))) is None:
                continue
            if helped or not self.faulty:
                return "view-change quorum not reached"
            rt.byzantine_view_change(self.faulty[0], a.view, [i], wanted)
            helped = True
        return None

    def accept_new_view(self, a: spec.AcceptNewView) -> str | None:
        rt = self.rt
        primary = a.view % self.config.replicas
        if primary in self.config.faulty:
            wanted = [(n, self.digest(x)) for n, x in sorted(a.pre_prepares) if x != spec.NULL]
            own = rt.byzantine_view_change(primary, a.view, [], wanted)
            honest = [
                m for m in rt.sent if isinstance(m.body, ViewChangeMsg) and m.body.view == a.view
            ]
            quorum = next(iter(rt.sessions.values())).params.q_view_change
            rt.byzantine_new_view(a.view, [a.replica], [own, *honest][:quorum])
        return self.deliver_first(lambda p: p.dest == a.replica and p.event == "new_view")

    def until_checkpoint(self, i: int, seq: int) -> str | None:
        helped = False
        while self.rt.sessions[i].h < seq:
            if self.deliver_first(self.body_to(i, CheckpointMsg, (seq,))) is None:
                continue
            honest = [
                m for m in self.rt.sent if isinstance(m.body, CheckpointMsg) and m.body.seq == seq
            ]
            if helped or not self.faulty or not honest:
                return "checkpoint quorum not reached"
            for j in self.faulty:
                body = CheckpointMsg(seq, honest[0].body.state_digest, j)  # type: ignore[union-attr]
                self.rt.byzantine_send(j, [i], body, honest[0].extra)
            helped = True
        return None


def refusal(result: Ok[Any] | Error | None) -> str | None:
    """Why the impl did not take a message: the Error's reason, or the reason of the
    `message_rejected` telemetry of an accepted-as-evidence message."""
    if isinstance(result, Error):
        return result.reason
    if isinstance(result, Ok):
        for e in result.effects:
            if isinstance(e, Telemetry) and e.event == "message_rejected":
                return str(e.metadata["reason"])
    return None


def follow(
    config: spec.PbftConfig, trace: Trace, model: spec.Pbft | None = None
) -> tuple[Driver, Departure | None, list[int]]:
    """Replay `trace` through the impl: the driver, the first departure (if any), and
    the steps at which the impl ran ahead of the trace.

    The impl follows step k when it takes the action, its abstraction moved by a path of
    correct spec steps (`model`, by default `spec.Pbft(config)`) to a state where every
    invariant of the correct spec holds, and it agrees with the trace's state on every
    replica's variables and holds at least its messages: one impl
    event may take more spec steps than the trace (a primary that receives a request
    pre-prepares it at once), and those steps are the impl running ahead.
    """
    model = model or spec.Pbft(config)
    driver = Driver(config)
    ahead: list[int] = []
    before = driver.state()
    assert before == trace.steps[0].state
    for k, step in enumerate(trace.steps[1:], start=1):
        name = type(step.action).__name__
        if contains(before, step.state):
            ahead.append(k)  # the impl took this step already
            continue
        reason = driver.perform(step.action)
        if reason is not None:
            return driver, Departure(k, name, f"refused: {reason}"), ahead
        now = driver.state()
        if spec_path(model, before, now) is None:
            return driver, Departure(k, name, "not a spec step"), ahead
        broken = violated(model, now)
        if broken:
            return driver, Departure(k, name, "violates " + ", ".join(broken)), ahead
        if now != step.state:
            if not contains(now, step.state):
                return driver, Departure(k, name, "abstraction differs"), ahead
            ahead.append(k)
        before = now
    return driver, None, ahead


def contains(big: spec.PbftState, small: spec.PbftState) -> bool:
    """Same per-replica variables, and every message of `small` is in `big`."""
    same = ("view", "changing", "executed", "stable")
    if any(getattr(big, f) != getattr(small, f) for f in same):
        return False
    return all(
        getattr(small, a.name) <= getattr(big, a.name)
        for a in attrs.fields(spec.PbftState)
        if a.name not in same
    )
