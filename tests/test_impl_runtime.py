"""The simulated network and adversary (impl/runtime.py): determinism, the scheduler's
powers (drop, duplicate, delay, partition, crash, timers) and the Byzantine behaviours."""

from __future__ import annotations

import subprocess
import sys

import pytest

from impl.core import CollectingSink, Error, Ok
from impl.pbft import (
    CommitMsg,
    NewViewMsg,
    PrepareMsg,
    PrePrepareMsg,
    Signed,
    ViewChangeMsg,
    request_digest,
)
from impl.runtime import Runtime
from tests.harness.pbft import outcome
from tests.harness.pbft import small_runtime as runtime


def test_bad_parameters_are_one_clear_error() -> None:
    with pytest.raises(ValueError, match="faulty"):
        Runtime(4, (4,))
    with pytest.raises(ValueError, match="log_size"):
        Runtime(4, (), checkpoint_interval=8, log_size=4)


def test_same_seed_same_run() -> None:
    def go(seed: int) -> tuple[object, ...]:
        rt = runtime(faulty=(0,), seed=seed, base_timeout=5)
        for v in (1, 2, 3):
            rt.submit(v)
        rt.run(order="random")
        return outcome(rt)

    assert go(1) == go(1)
    for seed in (1, 2):
        rt = runtime(faulty=(0,), seed=seed, base_timeout=5)
        for v in (1, 2, 3):
            rt.submit(v)
        rt.run(order="random")
        assert len({s.state for s in rt.sessions.values()}) == 1
        assert len(rt.sessions[1].state.replies) == 3  # every request ran, once


def test_run_is_the_same_whatever_pythonhashseed() -> None:
    code = (
        "from impl.runtime import Runtime\n"
        "rt = Runtime(4, (0,), seed=3, checkpoint_interval=2, log_size=4, base_timeout=5)\n"
        "[rt.submit(v) for v in range(5)]\n"
        "rt.run(order='random')\n"
        "print(rt.decided, sorted(rt.rejected.items()), rt.sessions[1].state.chain)\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": seed, "PYTHONPATH": "."},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("0", "1", "12345")
    }
    assert len(outputs) == 1


def test_drop_duplicate_and_delay() -> None:
    rt = runtime()
    rt.submit(1)
    first = rt.inflight[0]
    rt.duplicate(0)
    assert rt.inflight[-1].data is first.data and len(rt.inflight) == 5
    rt.delay(0)
    assert rt.inflight[-1] is first
    rt.drop(len(rt.inflight) - 1)
    rt.run()
    # the primary got its copy (the duplicate), the second copy is refused
    assert rt.decided == {0: 1, 1: 1, 2: 1, 3: 1}
    assert rt.rejected["duplicate_message"] == 0
    rt.submit(2)
    rt.duplicate(0)
    rt.run(timers=False)
    assert rt.rejected["duplicate_message"] == 1


def test_partition_holds_packets_until_heal() -> None:
    rt = runtime()
    rt.partition({0, 1}, {2, 3})
    rt.submit(1)
    rt.run(timers=False)
    assert rt.decided == {} and rt.inflight
    assert rt.deliver(rt.deliverable()[0] if rt.deliverable() else 0) is None
    assert not rt.connected(0, 2) and rt.connected(2, 3)
    rt.heal()
    rt.run(timers=False)
    assert rt.decided == {0: 1, 1: 1, 2: 1, 3: 1}


def test_crashed_replica_stops() -> None:
    rt = runtime()
    rt.crash(3)
    rt.submit(1)
    rt.run(timers=False)
    assert rt.decided == {0: 1, 1: 1, 2: 1}
    assert rt.sessions[3].state.seq == 0


def test_timers_fire_on_the_logical_clock() -> None:
    rt = runtime(faulty=(0,), base_timeout=7)
    assert rt.fire_timer() is None and rt.fire_latest(1) is None
    rt.submit(1)
    rt.run(timers=False)
    assert rt.clock == 0 and {t.at for t in rt.timers.values()} == {7}
    assert isinstance(rt.fire_timer(), Ok)
    assert rt.clock == 7


def test_max_view_bounds_timeouts() -> None:
    rt = runtime(faulty=(0,), base_timeout=3, max_view=1)
    rt.submit(1)
    rt.run(timers=False)
    rt.fire_latest(1)
    assert rt.sessions[1].view == 1
    assert rt.fire_latest(1) is None and rt.sessions[1].view == 1


def test_equivocating_primary_cannot_split_the_backups() -> None:
    rt = runtime(faulty=(0,), base_timeout=5)
    a, b = rt.submit(1), rt.submit(2)
    rt.equivocate(0, 1, {1: a, 2: a, 3: b})
    rt.run()
    executed = {s.state for s in rt.sessions.values()}
    assert len(executed) == 1
    assert sorted(rt.decided.values()) == [2, 2, 2]


def test_replayed_messages_change_nothing() -> None:
    rt = runtime(record=True)
    rt.submit(1)
    rt.run(timers=False)
    states = dict(rt.sessions)
    for m in list(rt.sent):
        rt.replay(m, range(4))
    rt.run(timers=False)
    assert rt.sessions == states
    assert rt.rejected["duplicate_message"] > 0


def test_forged_messages_fail_authentication() -> None:
    rt = runtime(faulty=(3,))
    req = rt.submit(1)
    d = request_digest(req.request)
    rt.forge(0, [1, 2], PrePrepareMsg(0, 1, d))
    forged = rt.inflight[-1].data["message"]
    assert isinstance(forged, Signed) and forged.sender == 0
    for _ in range(2):
        result = rt.deliver(len(rt.inflight) - 1)
        assert isinstance(result, Error) and result.reason == "bad_authenticator"
    # with no faulty replica the adversary has no keys at all
    clean = runtime()
    clean.forge(1, [2], PrepareMsg(0, 1, d, 1))
    assert clean.deliver(0).reason == "bad_authenticator"  # type: ignore[union-attr]


def test_byzantine_votes_count_only_once() -> None:
    rt = runtime(faulty=(3,))
    req = rt.submit(1)
    d = request_digest(req.request)
    rt.run(timers=False)
    rt.byzantine_vote(CommitMsg, 0, 1, d, [0, 1, 2])
    rt.byzantine_vote(CommitMsg, 0, 1, d, [0])
    rt.run(timers=False)
    assert rt.rejected["duplicate_message"] >= 1
    assert rt.decided == {0: 1, 1: 1, 2: 1}


def test_byzantine_view_change_and_new_view() -> None:
    """A faulty primary of view 1 completes a view change with a valid NEW-VIEW."""
    rt = runtime(faulty=(1,), base_timeout=5, record=True)
    req = rt.submit(1)
    d = request_digest(req.request)
    rt.inflight.clear()  # the old primary never hears of it
    for i in (2, 3):
        rt._handle(i, "proposal_submission", {"request": req})
        rt.fire_latest(i)
    honest = [m for m in rt.sent if isinstance(m.body, ViewChangeMsg)]
    own = rt.byzantine_view_change(1, 1, [], [(1, d)])
    rt.inflight.clear()
    nv = rt.byzantine_new_view(1, [0, 2, 3], [own, *honest])
    assert nv is not None and isinstance(nv.body, NewViewMsg)
    rt.run(timers=False)
    assert {i: s.view for i, s in rt.sessions.items()} == {0: 1, 2: 1, 3: 1}
    assert not any(s.changing for s in rt.sessions.values())
    pre_prepare = rt.byzantine_send(1, [], PrePrepareMsg(1, 1, d), req)
    assert rt.byzantine_new_view(1, [0], [pre_prepare]) is None


def test_certificates_from_seen_messages() -> None:
    rt = runtime(faulty=(0,), record=True)
    req = rt.submit(1)
    d = request_digest(req.request)
    rt.byzantine_send(0, [1, 2, 3], PrePrepareMsg(0, 1, d), req)
    rt.run(timers=False)
    certs = rt.certificates(1)
    assert list(certs) == [1] and certs[1][0].pre_prepare.body == PrePrepareMsg(0, 1, d)
    assert rt.certificates(0) == {}


def test_log_sizes_and_telemetry_of_rejections() -> None:
    sink = CollectingSink()
    rt = runtime(sink=sink)
    rt.submit(1)
    rt.duplicate(1)
    rt.run(timers=False)
    assert set(rt.log_sizes()) == {0, 1, 2, 3}
    rejected = [e for e in sink.events if e.event == "message_rejected"]
    assert [e.metadata["reason"] for e in rejected] == ["duplicate_message"]
