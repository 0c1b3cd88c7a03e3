"""The PBFT replica (impl/pbft.py): the seed's event API, validation, timers, checkpoints,
bounded memory, and conformance to spec.pbft (refinement on every step, hypothesis
adversarial schedules, replay of the checker's witness and mutant traces)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from impl import pbft
from impl.auth import NULL_DIGEST, KeyRing
from impl.core import CollectingSink, Decide, Error, Ok, Telemetry
from impl.pbft import (
    CheckpointMsg,
    CommitMsg,
    PrepareMsg,
    PrePrepareMsg,
    ViewChangeMsg,
    handle_byzantine_event,
    request_digest,
)
from impl.refinement.pbft import ADAPTER, AbstractionError, abstract, names, spec_path, violated
from impl.runtime import Runtime
from model_check.engine import Options, check
from model_check.itf import read_trace, write_trace
from model_check.result import CheckResult, Trace
from spec import pbft as spec
from spec import registry
from spec.core import Model
from tests.harness.pbft import Departure, conformance_runtime, follow
from tests.harness.profiles import THOROUGH, machine_settings
from tests.harness.specs import pinned_counterexample
from tests.mutants.pbft import MUTANTS, SEED_MUTANTS, Mutant

MASTER = b"test-master"


def runtime(n: int = 4, faulty: tuple[int, ...] = (), **kw: Any) -> Runtime:
    kw.setdefault("sink", CollectingSink())
    return Runtime(n, faulty, **kw)


def _reason(result: Ok[Any] | Error) -> str | None:
    return result.reason if isinstance(result, Error) else None


def session(i: int = 1, n: int = 4, **kw: Any) -> pbft.PbftSession:
    started = pbft.start_pbft("s", i, n, MASTER, **kw)
    assert isinstance(started, Ok)
    return started.session


# --- the API -----------------------------------------------------------------------------


def test_start_validates_the_config() -> None:
    for kw, field in [
        ({"replicas": 0}, "replicas"),
        ({"replica": 4}, "replica"),
        ({"checkpoint_interval": -1}, "checkpoint_interval"),
        ({"checkpoint_interval": 8, "log_size": 4}, "log_size"),
        ({"base_timeout": 0}, "base_timeout"),
        ({"seq_limit": -1}, "seq_limit"),
    ]:
        args: dict[str, Any] = {"replica": 1, "replicas": 4, **kw}
        replica, replicas = args.pop("replica"), args.pop("replicas")
        result = pbft.start_pbft("s", replica, replicas, MASTER, **args)
        assert isinstance(result, Error) and result.reason == "invalid_config"
        assert result.detail.startswith(field)
    s = session()
    assert (s.params.f, s.params.q_prepare, s.params.q_commit) == (1, 2, 3)
    assert session(n=10).params.q_view_change == 7


def test_unknown_and_malformed_events_are_refused() -> None:
    s = session()
    assert handle_byzantine_event(s, "vote_submission", {}) == Error(
        "unknown_byzantine_event", "no such event 'vote_submission'"
    )
    assert _reason(handle_byzantine_event(s, "prepare", {})) == "missing_field"
    assert _reason(handle_byzantine_event(s, "prepare", {"mesage": None})) == "unknown_field"
    assert _reason(handle_byzantine_event(s, "prepare", {"message": None})) == "malformed_message"
    assert _reason(handle_byzantine_event(s, "prepare", {"now": -1})) == "missing_field"
    late = {"message": None, "now": -1}
    assert _reason(handle_byzantine_event(s, "prepare", late)) == "malformed_message"
    not_a_mapping: Any = "x"
    assert _reason(handle_byzantine_event(s, "prepare", not_a_mapping)) == "malformed_message"
    bad = pbft.Signed(PrePrepareMsg(0, 1, "d"), 0, ())
    assert _reason(handle_byzantine_event(s, "prepare", {"message": bad})) == "malformed_message"
    assert _reason(handle_byzantine_event(s, "proposal_submission", {"request": 1})) == (
        "bad_authenticator"
    )


def test_normal_case_decides_with_a_proof_and_telemetry() -> None:
    sink = CollectingSink()
    rt = runtime(sink=sink, checkpoint_interval=0, log_size=4)
    rt.submit(7)
    effects: list[Any] = []
    while rt.inflight:
        result = rt.deliver(0)
        if isinstance(result, Ok):
            effects.extend(result.effects)
    assert rt.decided == {0: 1, 1: 1, 2: 1, 3: 1}
    decisions = [e for e in effects if isinstance(e, Decide)]
    assert len(decisions) == 4
    for d in decisions:
        assert isinstance(d.value, pbft.Executed) and d.value.operation == 7
        senders = {c.sender for c in d.proof}  # type: ignore[attr-defined]
        assert len(senders) == 3 and all(isinstance(c.body, CommitMsg) for c in d.proof)  # type: ignore[attr-defined]
    got = sink.names()
    assert got.count("pre_prepare_sent") == 1 and got.count("prepare_sent") == 3
    assert got.count("commit_sent") == 4 and got.count("consensus_reached") == 4
    assert all(
        e.name[:4] == ("foundation", "mabeam", "coordination", "byzantine") for e in sink.events
    )
    # every replica ran the same history
    assert len({s.state for s in rt.sessions.values()}) == 1


def _pre_prepare(rt: Runtime, view: int, seq: int, value: int, sender: int = 0) -> pbft.Signed:
    req = rt.submit(value)
    d = request_digest(req.request)
    keys = KeyRing(f"replica:{sender}", rt.master, rt.n)
    body = PrePrepareMsg(view, seq, d)
    return pbft.Signed(body, sender, keys.authenticator(body), req)


def test_validation_names_each_reason_and_never_changes_the_session() -> None:
    rt = runtime(checkpoint_interval=2, log_size=4)
    s = rt.sessions[1]
    good = _pre_prepare(rt, 0, 1, 1)
    cases = {
        "wrong_view": _pre_prepare(rt, 1, 1, 2, sender=1),
        "not_from_primary": _pre_prepare(rt, 0, 1, 3, sender=2),
        "outside_watermarks": _pre_prepare(rt, 0, 5, 4),
        "bad_authenticator": good._replace(auth=tuple(b"x" * 32 for _ in good.auth)),
        "digest_mismatch": good._replace(extra=_pre_prepare(rt, 0, 1, 5).extra),
    }
    for reason, message in cases.items():
        result = handle_byzantine_event(s, "pre_prepare", {"message": message})
        assert isinstance(result, Error) and result.reason == reason, (reason, result)
    ok = handle_byzantine_event(s, "pre_prepare", {"message": good})
    assert isinstance(ok, Ok)
    s2 = ok.session
    assert _reason(handle_byzantine_event(s2, "pre_prepare", {"message": good})) == (
        "duplicate_message"
    )
    # the primary signs a second digest for (0, 1): evidence, the primary is suspected
    other = _pre_prepare(rt, 0, 1, 6)
    result = handle_byzantine_event(s2, "pre_prepare", {"message": other})
    assert isinstance(result, Ok) and result.session.suspected_faulty == frozenset({0})
    assert result.session.log == s2.log
    rejected = [e for e in result.effects if isinstance(e, Telemetry)]
    assert [(e.event, e.metadata["reason"]) for e in rejected] == [
        ("message_rejected", "conflicting_pre_prepare")
    ]
    # a prepare from the primary, and a conflicting prepare from a backup
    keys0 = KeyRing("replica:0", rt.master, 4)
    d = request_digest(good.extra.request)  # type: ignore[union-attr]
    from_primary = pbft.Signed(
        PrepareMsg(0, 1, d, 0), 0, keys0.authenticator(PrepareMsg(0, 1, d, 0))
    )
    assert _reason(handle_byzantine_event(s2, "prepare", {"message": from_primary})) == (
        "not_from_backup"
    )
    keys2 = KeyRing("replica:2", rt.master, 4)
    p1 = pbft.Signed(PrepareMsg(0, 1, d, 2), 2, keys2.authenticator(PrepareMsg(0, 1, d, 2)))
    p2 = pbft.Signed(PrepareMsg(0, 1, "e", 2), 2, keys2.authenticator(PrepareMsg(0, 1, "e", 2)))
    s3 = handle_byzantine_event(s2, "prepare", {"message": p1}).session  # type: ignore[union-attr]
    assert _reason(handle_byzantine_event(s3, "prepare", {"message": p1})) == "duplicate_message"
    flagged = handle_byzantine_event(s3, "prepare", {"message": p2})
    assert isinstance(flagged, Ok) and flagged.session.suspected_faulty == frozenset({2})
    # a replica in a view change takes no normal-case message
    changing = attrs.evolve(s, changing=True)
    assert _reason(handle_byzantine_event(changing, "pre_prepare", {"message": good})) == (
        "view_changing"
    )


def test_forged_and_altered_messages_are_rejected() -> None:
    rt = runtime(faulty=(3,), checkpoint_interval=0, log_size=4)
    rt.submit(1)
    d = request_digest(next(iter(rt.inflight)).data["request"].request)  # type: ignore[attr-defined]
    rt.forge(2, [1], PrepareMsg(0, 1, d, 2))
    rt.forge(0, [1], CommitMsg(0, 1, d, 0))
    rt.run(timers=False)
    assert rt.rejected["bad_authenticator"] == 2
    assert rt.decided == {0: 1, 1: 1, 2: 1}


def test_view_change_timers_double() -> None:
    """§4.5.2: a replica that does not get NEW-VIEW in time moves on, waiting twice as long."""
    rt = runtime(faulty=(0, 1), base_timeout=10, checkpoint_interval=0, log_size=4)
    rt.submit(1)
    rt.run(timers=False)
    durations = []
    for _ in range(3):
        before = rt.clock
        timer = rt.latest_timer(2)
        assert timer is not None
        durations.append(timer.at - before)
        assert isinstance(rt.fire_latest(2), Ok)
    assert durations == [10, 20, 40]
    assert rt.sessions[2].view == 3 and rt.sessions[2].changing
    assert isinstance(rt.fire_timer(2), Error) or rt.latest_timer(2) is not None


def test_stale_timer_is_refused() -> None:
    s = session()
    result = handle_byzantine_event(s, "timeout", {"view": 0, "epoch": 7})
    assert isinstance(result, Error) and result.reason == "stale_timer"


def test_view_change_with_a_silent_primary_executes_in_view_1() -> None:
    rt = runtime(faulty=(0,), base_timeout=5, checkpoint_interval=0, log_size=4)
    sink = rt.sink
    rt.submit(1)
    rt.run()
    assert {i: (s.view, s.changing) for i, s in rt.sessions.items()} == {
        1: (1, False),
        2: (1, False),
        3: (1, False),
    }
    assert rt.decided == {1: 1, 2: 1, 3: 1}
    got = sink.names()  # type: ignore[attr-defined]
    assert got.count("view_change_initiated") == 3 and got.count("new_view_sent") == 1


def test_f_plus_1_view_changes_make_a_replica_join() -> None:
    rt = runtime(faulty=(0,), base_timeout=5, checkpoint_interval=0, log_size=4)
    rt.submit(1)
    rt.run(timers=False)
    rt.fire_latest(1)
    rt.fire_latest(2)  # two view-changes (f + 1) for view 1 reach replica 3
    rt.run(timers=False)
    assert rt.sessions[3].view == 1 and rt.decided == {1: 1, 2: 1, 3: 1}


def test_checkpoints_bound_the_log_over_many_requests() -> None:
    """Stable checkpoints every K = 8 and L = 16: the log stays below a bound.

    1,000 requests by default; 10,000 with `HYPOTHESIS_PROFILE=thorough` (or any number
    in `PBFT_LONG_RUN`); `benchmarks/bench_impl_pbft.py` prints the memory at 1k/5k/10k.
    """
    default = "10000" if THOROUGH else "1000"
    count = int(os.environ.get("PBFT_LONG_RUN", default))
    rt = runtime(checkpoint_interval=8, log_size=16)
    peak = 0
    for k in range(count):
        rt.submit(k, client="client:bench")
        rt.run(timers=False)
        peak = max(peak, *rt.log_sizes().values())
    assert set(rt.decided.values()) == {count}
    n = 4
    bound = 16 * (1 + 2 * n) + 2 * 16 * n + n + 16  # slots + certs + checkpoints + ...
    assert peak <= bound
    s = rt.sessions[1]
    assert s.h == count - count % 8 and all(seq > s.h for seq in s.log)


def test_a_flood_of_byzantine_messages_keeps_memory_bounded() -> None:
    rt = runtime(faulty=(3,), checkpoint_interval=4, log_size=8)
    rt.submit(1)
    rt.run(timers=False)
    for k in range(3000):
        seq, view = k % 40, k % 5
        rt.byzantine_send(3, [0, 1, 2], PrepareMsg(view, seq, f"{k:064x}", 3))
        rt.byzantine_send(3, [0, 1, 2], CommitMsg(view, seq, f"{k:064x}", 3))
        if k % 100 == 0:
            rt.bogus_view_change(3, 1 + k // 100, [0, 1, 2])
    rt.run(timers=False)
    assert max(rt.log_sizes().values()) <= 8 * 4 * 2 + 8
    assert rt.rejected["wrong_view"] > 0 and rt.rejected["outside_watermarks"] > 0
    assert rt.rejected["invalid_view_change"] == 30 * 3
    assert all(s.suspected_faulty <= {3} for s in rt.sessions.values())


def test_state_transfer_to_a_lagging_replica() -> None:
    rt = runtime(checkpoint_interval=2, log_size=4)
    rt.partition({0, 1, 2}, {3})
    for k in range(5):
        rt.submit(k + 1)
    rt.run(timers=False)
    assert rt.sessions[3].state.seq == 0
    rt.heal()
    # replica 3 only needs the checkpoints: drop everything else to it
    for k in range(len(rt.inflight) - 1, -1, -1):
        p = rt.inflight[k]
        if p.dest == 3 and p.event != "checkpoint":
            rt.drop(k)
    rt.run(timers=False)
    assert rt.sessions[3].h == 4 and rt.sessions[3].state == rt.sessions[0].stable.snapshot


def _signed(rt: Runtime, sender: int, body: Any, extra: Any = None) -> pbft.Signed:
    """`body` correctly authenticated by `sender` (any replica: the test holds all keys)."""
    keys = KeyRing(f"replica:{sender}", rt.master, rt.n)
    return pbft.Signed(body, sender, keys.authenticator(body), extra)


def test_checkpoint_validation() -> None:
    rt = runtime(faulty=(3,), checkpoint_interval=2, log_size=4)
    s = rt.sessions[1]
    snap = pbft.Snapshot(2, "c", ())
    good = _signed(rt, 3, pbft.CheckpointMsg(2, pbft.snapshot_digest(snap), 3), snap)
    assert pbft.validate_checkpoint(s, good) is None
    cases = {
        "outside_watermarks": _signed(rt, 3, pbft.CheckpointMsg(3, "d", 3), snap),
        "digest_mismatch": _signed(rt, 3, pbft.CheckpointMsg(2, "d", 3), snap),
        "bad_authenticator": good._replace(sender=2),
    }
    moved = pbft.Snapshot(4, "c", ())
    cases["malformed_message"] = _signed(rt, 3, PrepareMsg(0, 2, "d", 3))
    for reason, m in cases.items():
        assert pbft.validate_checkpoint(s, m) == reason, reason
    wrong_seq = _signed(rt, 3, pbft.CheckpointMsg(2, pbft.snapshot_digest(moved), 3), moved)
    assert pbft.validate_checkpoint(s, wrong_seq) == "digest_mismatch"
    s2 = handle_byzantine_event(s, "checkpoint", {"message": good})
    assert isinstance(s2, Ok)
    assert _reason(handle_byzantine_event(s2.session, "checkpoint", {"message": good})) == (
        "duplicate_message"
    )
    assert _reason(handle_byzantine_event(s, "checkpoint", {"message": wrong_seq})) == (
        "digest_mismatch"
    )


def test_view_change_and_new_view_validation() -> None:
    """Each way a VIEW-CHANGE or NEW-VIEW can be invalid is named, and refused."""
    rt = runtime(faulty=(3,), checkpoint_interval=2, log_size=4, record=True)
    for v in (1, 2, 3):
        rt.submit(v)
    rt.run(timers=False)
    s = rt.sessions[2]
    assert s.h == 2 and s.state.seq == 3
    stable = s.stable
    vc = _signed(rt, 3, pbft.ViewChangeMsg(1, 3, stable, ()))
    assert pbft.validate_view_change(s, vc) is None
    cert = s.certs[3][0]
    with_cert = _signed(rt, 3, pbft.ViewChangeMsg(1, 3, stable, (cert,)))
    assert pbft.validate_view_change(s, with_cert) is None
    pp = cert.pre_prepare
    genesis = pbft.GENESIS_PROOF
    bad_stables = [
        pbft.StableProof(pbft.Snapshot(2, "x", ()), stable.checkpoints),
        pbft.StableProof(pbft.GENESIS_SNAPSHOT, stable.checkpoints),
        pbft.StableProof(stable.snapshot, stable.checkpoints[:2]),
        pbft.StableProof(stable.snapshot, (pp,)),
        pbft.StableProof(stable.snapshot, (stable.checkpoints[0]._replace(sender=3),)),
        "nonsense",
    ]
    bad_certs = [
        cert._replace(prepares=cert.prepares[:1]),
        cert._replace(prepares=(pp, pp)),
        cert._replace(prepares=(cert.prepares[0]._replace(sender=0),) * 2),
        cert._replace(pre_prepare=pp._replace(sender=1)),
        cert._replace(pre_prepare=pp._replace(extra=None)),
        cert._replace(pre_prepare=_signed(rt, 0, pp.body, rt.submit(9))),
        cert._replace(pre_prepare=_signed(rt, 0, pbft.PrepareMsg(0, 3, "d", 0))),
        "nonsense",
    ]
    for bad in bad_stables:
        m = _signed(rt, 3, pbft.ViewChangeMsg(1, 3, bad, ()))  # type: ignore[arg-type]
        assert pbft.validate_view_change(s, m) == "invalid_view_change", bad
    for bad in bad_certs:
        m = _signed(rt, 3, pbft.ViewChangeMsg(1, 3, stable, (bad,)))  # type: ignore[arg-type]
        assert pbft.validate_view_change(s, m) == "invalid_view_change", bad
    old = _signed(rt, 3, pbft.ViewChangeMsg(1, 3, genesis, ()))
    assert pbft.validate_view_change(s, old) is None  # an older checkpoint is still valid
    assert pbft.validate_view_change(s, _signed(rt, 3, pbft.ViewChangeMsg(0, 3, stable, ()))) == (
        "wrong_view"
    )
    kept = handle_byzantine_event(s, "view_change", {"message": vc})
    assert isinstance(kept, Ok) and kept.session.view_changes[3] == vc
    assert _reason(handle_byzantine_event(kept.session, "view_change", {"message": vc})) == (
        "duplicate_message"
    )
    # NEW-VIEW for view 1 (primary 1) from the view-changes of 1, 2 and 3
    vcs = [_signed(rt, i, pbft.ViewChangeMsg(1, i, rt.sessions[i].stable, ())) for i in (1, 2)]
    vcs.append(vc)
    _, o = pbft.compute_o(tuple(vcs))
    pps = tuple(_signed(rt, 1, PrePrepareMsg(1, n, d), r) for n, d, r in o)
    nv = _signed(rt, 1, pbft.NewViewMsg(1, tuple(vcs), pps))
    assert o == () and pbft.validate_new_view(s, nv) is None
    extra_pp = (_signed(rt, 1, PrePrepareMsg(1, 3, NULL_DIGEST)),)
    bad_new_views = {
        "not_from_primary": _signed(rt, 2, pbft.NewViewMsg(1, tuple(vcs), pps)),
        "wrong_view": _signed(rt, 0, pbft.NewViewMsg(0, tuple(vcs), pps)),
        "invalid_new_view": _signed(rt, 1, pbft.NewViewMsg(1, tuple(vcs[:2]), pps)),
    }
    for reason, m in bad_new_views.items():
        assert pbft.validate_new_view(s, m) == reason, reason
    for view_changes, pre_prepares in [
        ((vcs[1], vcs[2], old), pps),  # the primary's own is missing
        ((vcs[0], vcs[0], vcs[2]), pps),  # a sender twice
        ((vcs[0], vcs[1], _signed(rt, 3, pbft.ViewChangeMsg(2, 3, stable, ()))), pps),
        ((vcs[0], vcs[1], with_cert._replace(auth=vc.auth)), pps),
        (tuple(vcs), extra_pp),
    ]:
        m = _signed(rt, 1, pbft.NewViewMsg(1, view_changes, pre_prepares))
        assert pbft.validate_new_view(s, m) == "invalid_new_view"
    # O that does not match, or pre-prepares not from the primary
    vcs_c = [vcs[0], vcs[1], with_cert]
    _, o_c = pbft.compute_o(tuple(vcs_c))
    assert [(n, d == cert.pre_prepare.body.digest) for n, d, _ in o_c] == [(3, True)]  # type: ignore[union-attr]
    wrong_o = (_signed(rt, 1, PrePrepareMsg(1, 3, NULL_DIGEST)),)
    forged_o = (_signed(rt, 2, PrePrepareMsg(1, 3, o_c[0][1]), o_c[0][2]),)
    for pre_prepares in (wrong_o, forged_o):
        m = _signed(rt, 1, pbft.NewViewMsg(1, tuple(vcs_c), pre_prepares))
        assert pbft.validate_new_view(s, m) == "invalid_new_view"
    assert _reason(handle_byzantine_event(s, "new_view", {"message": bad_new_views["wrong_view"]}))
    at_primary = rt.sessions[1]
    assert pbft.validate_new_view(at_primary, nv) == "not_primary"
    accepted = handle_byzantine_event(s, "new_view", {"message": nv})
    assert isinstance(accepted, Ok) and accepted.session.view == 1
    assert not accepted.session.changing and accepted.session.h == 2


def test_canonical_encoding_names_the_type() -> None:
    from impl.auth import canonical

    assert canonical(PrepareMsg(0, 1, "d", 2)) != canonical(CommitMsg(0, 1, "d", 2))
    assert canonical("x") == b"'x'"


# --- conformance: the abstraction, on every step -----------------------------------------


class Conformance:
    """A runtime within a spec configuration's bounds, checked after every step."""

    def __init__(self, config: spec.PbftConfig, seed: int = 0) -> None:
        self.config = config
        self.model = spec.Pbft(config)
        self.rt = conformance_runtime(config, seed)
        self.state = abstract(self.rt, config)
        self.steps: list[tuple[str, ...]] = []

    def check(self) -> None:
        after = abstract(self.rt, self.config)
        path = spec_path(self.model, self.state, after)
        assert path is not None, f"not a spec step: {self.state} -> {after}"
        assert not violated(self.model, after)
        self.steps.append(tuple(names(path)))
        self.state = after


def test_the_registered_adapter_is_the_abstraction_only() -> None:
    """PBFT's events are authenticated messages: no session form for `conform --events`."""
    assert registry.adapter("pbft") is ADAPTER
    assert (ADAPTER.start, ADAPTER.handle, ADAPTER.abstract) == (None, None, abstract)


def test_abstraction_refuses_runs_it_cannot_map() -> None:
    config = spec.PbftConfig()
    with pytest.raises(AbstractionError, match="record=True"):
        abstract(runtime(faulty=(0,)), config)
    with pytest.raises(AbstractionError, match="faulty"):
        abstract(runtime(faulty=(1,), record=True), config)
    rt = conformance_runtime(config)
    rt.submit("text")
    with pytest.raises(AbstractionError, match="no submitted request"):
        abstract(rt, config)


def test_normal_case_and_view_change_refine_the_spec() -> None:
    for faulty in (3, 0):
        c = Conformance(spec.PbftConfig(faulty=(faulty,)))
        c.rt.submit(1)
        c.check()
        while c.rt.inflight or c.rt.timers:
            if c.rt.inflight:
                c.rt.deliver(0)
            else:
                c.rt.fire_timer()
            c.check()
        taken = [a for path in c.steps for a in path]
        assert taken.count("Execute") == 3
        if faulty == 0:
            assert {"Timeout", "NewView", "AcceptNewView"} <= set(taken)


def test_checkpoints_refine_the_spec() -> None:
    config = spec.PbftConfig(faulty=(3,), checkpoint_interval=1, max_seq=2, log_size=1)
    c = Conformance(config)
    for v in (1, 2):
        c.rt.submit(v)
        c.check()
    while c.rt.inflight:
        c.rt.deliver(0)
        c.check()
    taken = [a for path in c.steps for a in path]
    assert taken.count("StableCheckpoint") == 6 and taken.count("Execute") == 6
    assert c.state.stable == (2, 2, 2, 0)


class PbftAdversary(RuleBasedStateMachine):
    """The adversary's choices as rules; the refinement check is the invariant."""

    c: Conformance | None = None

    @initialize(
        faulty=st.sampled_from([0, 3, 1]),
        checkpoints=st.booleans(),
        seed=st.integers(0, 3),
        requests=st.integers(0, 2),
    )
    def setup(self, faulty: int, checkpoints: bool, seed: int, requests: int) -> None:
        config = spec.PbftConfig(faulty=(faulty,))
        if checkpoints:
            config = spec.PbftConfig(faulty=(faulty,), checkpoint_interval=1, max_seq=2, log_size=1)
        self.c = Conformance(config, seed)
        self.faulty = faulty
        for value in range(1, requests + 1):
            self.rt.submit(value)
            self.c.check()

    @property
    def rt(self) -> Runtime:
        assert self.c is not None
        return self.c.rt

    def _req(self, value: int) -> str | None:
        for d, r in sorted(self.rt.requests.items()):
            if r.request.operation == value:
                return d
        return None

    def sendable(self) -> list[int]:
        """The requests the spec's guards of `Request` let the client send now."""
        assert self.c is not None
        c = self.c
        values = range(1, c.config.requests + 1)
        return [v for v in values if c.model.is_enabled(c.state, spec.Request(v))]

    @precondition(lambda self: self.c is not None and bool(self.sendable()))
    @rule(value=st.integers(1, 2))
    def submit(self, value: int) -> None:
        if value in self.sendable():
            self.rt.submit(value)

    @precondition(lambda self: self.c is not None and bool(self.rt.inflight))
    @rule(k=st.integers(0, 10**6))
    def deliver(self, k: int) -> None:
        self.rt.deliver(k % len(self.rt.inflight))

    @precondition(lambda self: self.c is not None and bool(self.rt.inflight))
    @rule(steps=st.integers(1, 40), fifo=st.booleans())
    def run_for(self, steps: int, fifo: bool) -> None:
        """The ordinary scheduler for a while (checked after each delivery)."""
        assert self.c is not None
        for _ in range(steps):
            ready = self.rt.deliverable()
            if not ready:
                return
            self.rt.deliver(ready[0] if fifo else self.rt.rng.choice(ready))
            self.c.check()

    @precondition(lambda self: self.c is not None and bool(self.rt.inflight))
    @rule(k=st.integers(0, 10**6), what=st.sampled_from(["drop", "duplicate", "delay"]))
    def mess(self, k: int, what: str) -> None:
        getattr(self.rt, what)(k % len(self.rt.inflight))

    @rule(cut=st.integers(0, 3))
    def partition(self, cut: int) -> None:
        group = {cut, (cut + 1) % 4}
        self.rt.partition(group, set(range(4)) - group)

    @rule()
    def heal(self) -> None:
        self.rt.heal()

    @rule(i=st.integers(0, 3))
    def crash(self, i: int) -> None:
        if not self.rt.crashed:
            self.rt.crash(i)

    @rule(i=st.integers(0, 3))
    def fire_timer(self, i: int) -> None:
        self.rt.fire_latest(i)

    @rule(
        value=st.integers(1, 2), dests=st.sets(st.integers(0, 3), min_size=1), seq=st.integers(1, 2)
    )
    def byzantine_pre_prepare(self, value: int, dests: set[int], seq: int) -> None:
        d = self._req(value)
        if d is not None and self.faulty == 0:
            self.rt.byzantine_send(0, sorted(dests), PrePrepareMsg(0, seq, d), self.rt.requests[d])

    @rule(
        commit=st.booleans(),
        view=st.integers(0, 1),
        seq=st.integers(1, 2),
        value=st.integers(0, 2),
        dest=st.integers(0, 3),
    )
    def byzantine_vote(self, commit: bool, view: int, seq: int, value: int, dest: int) -> None:
        d = NULL_DIGEST if value == 0 else self._req(value)
        if d is not None:
            kind = CommitMsg if commit else PrepareMsg
            self.rt.byzantine_vote(kind, view, seq, d, [dest])

    @rule(dest=st.integers(0, 3), bogus=st.booleans(), want=st.integers(0, 2))
    def byzantine_view_change(self, dest: int, bogus: bool, want: int) -> None:
        if bogus:
            self.rt.bogus_view_change(self.faulty, 1, [dest])
            return
        d = self._req(want)
        wanted = [(1, d)] if d is not None else []
        self.rt.byzantine_view_change(self.faulty, 1, [dest], wanted)

    @rule(dests=st.sets(st.integers(0, 3), min_size=1), want=st.integers(0, 2))
    def byzantine_new_view(self, dests: set[int], want: int) -> None:
        """A faulty primary of view 1 sends NEW-VIEW from the view-changes it has seen."""
        if self.faulty != 1:
            return
        d = self._req(want)
        own = self.rt.byzantine_view_change(1, 1, [], [(1, d)] if d is not None else [])
        honest = [m for m in self.rt.sent if isinstance(m.body, ViewChangeMsg) and m.body.view == 1]
        self.rt.byzantine_new_view(1, sorted(dests), [own, *honest][:3])

    @rule(k=st.integers(0, 10**6), dest=st.integers(0, 3), bogus=st.booleans())
    def byzantine_checkpoint(self, k: int, dest: int, bogus: bool) -> None:
        """The faulty replica vouches for an honest checkpoint, or for a made-up state."""
        honest = [m for m in self.rt.sent if isinstance(m.body, CheckpointMsg)]
        if not honest:
            return
        m = honest[k % len(honest)]
        assert isinstance(m.body, CheckpointMsg) and isinstance(m.extra, pbft.Snapshot)
        snap = m.extra._replace(chain="forged") if bogus else m.extra
        body = CheckpointMsg(m.body.seq, pbft.snapshot_digest(snap), self.faulty)
        self.rt.byzantine_send(self.faulty, [dest], body, snap)

    @rule(k=st.integers(0, 10**6), dest=st.integers(0, 3), forge=st.booleans())
    def replay_or_forge(self, k: int, dest: int, forge: bool) -> None:
        seen = self.rt.sent
        if not seen:
            return
        m = seen[k % len(seen)]
        if forge and isinstance(m.body, PrepareMsg | CommitMsg):
            self.rt.forge(m.sender, [dest], m.body)
        else:
            self.rt.replay(m, [dest])

    @invariant()
    def refines_the_spec(self) -> None:
        if self.c is not None:
            self.c.check()


PbftAdversary.TestCase.settings = machine_settings(100, 50, thorough_steps=60)
TestPbftAdversary = PbftAdversary.TestCase


# --- replay of the checker's traces ---------------------------------------------------------

# The impl follows the checker's witness and counterexample traces, driven by
# `tests.harness.pbft.follow` (its module docstring: how each spec action is taken).


def predicate_departure(
    mutant: spec.Pbft, correct: spec.Pbft, trace: Trace
) -> tuple[int, str, tuple[int, int, int, int]] | None:
    """The first step whose state the mutant judges differently from the correct spec in
    the paper's predicates: (step, predicate, (replica, view, seq, digest))."""
    for k, step in enumerate(trace.steps):
        s = step.state
        for i in correct.honest:
            for v, n, d in sorted(set(correct.accepted(s, i))):
                for name in ("prepared", "committed_local"):
                    ours = getattr(correct, name)(s, i, v, n, d)
                    theirs = getattr(mutant, name)(s, i, v, n, d)
                    if ours != theirs:
                        return k, name, (i, v, n, d)
    return None


def through_itf(trace: Trace, model: Model[Any, Any], path: Path) -> Trace:
    """The trace as the checker writes it (`--trace-out`) and as a replayer reads it."""
    write_trace(path, trace)
    decoded = read_trace(path, model)
    assert decoded == trace
    return decoded


@pytest.fixture(scope="module")
def default_run() -> CheckResult:
    # Every witness of the default configuration is reached within 10 steps.
    return check(spec.Pbft(spec.PbftConfig()), Options(check_liveness=False, max_depth=10))


def test_every_spec_witness_is_reproduced_by_the_impl(
    default_run: CheckResult, tmp_path: Path
) -> None:
    model = spec.Pbft(spec.PbftConfig())
    reached = []
    for name, found in default_run.witness_traces:
        trace = through_itf(found, model, tmp_path / f"{name}.itf.json")
        driver, departure, _ahead = follow(spec.PbftConfig(), trace)
        assert departure is None, (name, departure)
        witness = next(w for w in model.witnesses() if w.name == name)
        assert witness.reached(driver.state())
        reached.append(name)
    assert reached == [w.name for w in model.witnesses()]


#: Where each mutant's counterexample leaves the impl: (step, action, how). Mutants whose
#: rule is a rejected message or a different message depart there; mutants that change a
#: predicate (a quorum size, who may count) are followed step by step, and the step named
#: is the first where the mutant judges a replica prepared / committed-local and the
#: correct spec (so the impl, whose replica is not) does not.
DEPARTURES = {
    "accepts_two_pre_prepares": (4, "Prepare", "refused: conflicting_pre_prepare"),
    "new_view_ignores_p": (9, "NewView", "abstraction differs"),
    "view_change_without_p": (6, "Timeout", "abstraction differs"),
    "seed_view_change_committed_only": (6, "Timeout", "abstraction differs"),
    "commit_quorum_2f": (6, "Commit", "committed_local"),
    "prepare_quorum_2f_minus_1": (3, "Prepare", "prepared"),
    "no_authentication": (2, "Prepare", "prepared"),
    "seed_prepares_across_views": (9, "Prepare", "prepared"),
    "seed_prepare_rule_silent_backup": (11, "Prepare", "prepared"),
}


@pytest.mark.parametrize("mutant", MUTANTS + SEED_MUTANTS, ids=lambda m: m.name)
def test_mutant_counterexamples_leave_the_impl(mutant: Mutant, tmp_path: Path) -> None:
    liveness = mutant.property in {e.name for e in mutant.build().eventually()}
    model, cex = pinned_counterexample(mutant, check_liveness=liveness)
    trace = through_itf(cex.trace, model, tmp_path / "cex.itf.json")
    config = model.config  # type: ignore[attr-defined]
    correct = spec.Pbft(config)
    driver, departure, _ahead = follow(config, trace)
    final = driver.state()
    if mutant.name == "two_faulty_of_four":
        # The broken assumption is the environment's (n >= 3f + 1), not a rule: with two
        # Byzantine replicas of four the impl reaches the violation too, as any would.
        assert departure == Departure(3, "Commit", f"violates {mutant.property}")
        return
    assert not violated(correct, final)
    if departure is not None:
        found = (departure.step, departure.action, departure.how)
    else:
        at = predicate_departure(model, correct, trace)  # type: ignore[arg-type]
        assert at is not None
        k, predicate, (i, v, n, d) = at
        found = (k, type(trace.steps[k].action).__name__, predicate)
        session = driver.rt.sessions[i]
        digest = driver.digest(d)
        certs = session.certs.get(n, ())
        assert not any(tuple(c.pre_prepare.body)[:3] == (v, n, digest) for c in certs)
        if trace.loop is not None:
            # a liveness lasso: the impl does not stutter where the mutant does
            driver.rt.run(timers=False)
            assert max(s.state.seq for s in driver.rt.sessions.values()) >= 1
    if mutant.name in DEPARTURES:
        assert found == DEPARTURES[mutant.name]
