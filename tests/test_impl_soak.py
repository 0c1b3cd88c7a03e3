"""The soak's mechanics in small (benchmarks/bench_soak.py runs the long one): a client's
requests through n = 4 replicas, the current primary crashing every 100 requests and
coming back 50 later (`Runtime.recover`, state transfer through a stable checkpoint).
Each request is accepted, each crash is followed by one view change, the recovered
replica is back in step by the next crash, and the logs and the client stay bounded."""

from __future__ import annotations

import attrs
import pytest

from impl.client import KEEP_ACCEPTED, start_client
from impl.core import Error, Telemetry
from impl.pbft import Snapshot, StableProof
from impl.runtime import Runtime

N, K, L = 4, 8, 16
EVERY, REQUESTS = 100, 300
CLIENT = "client:soak"


def _drop(event: Telemetry) -> None:
    """A sink that keeps nothing."""


def runtime() -> Runtime:
    rt = Runtime(N, sink=_drop, checkpoint_interval=K, log_size=L)
    rt.client(CLIENT)
    return rt


def live(rt: Runtime) -> list[int]:
    return [i for i in rt.honest if i not in rt.crashed]


def view(rt: Runtime) -> int:
    (v,) = {rt.sessions[i].view for i in live(rt)}  # the live replicas agree
    return v


#: What a replica's log can hold (`PbftSession.log_size`): L sequence numbers of one
#: pre-prepare, n - 1 prepares, n commits and a certificate for each of two views (the
#: one it prepared in, and the next, O's); checkpoints for (h, h + 2L]; one view-change
#: per replica; and the waiting request.
LOG_BOUND = L * (1 + (N - 1) + N + 2) + (2 * L // K) * N + N + 1


def test_requests_accepted_through_crashes_view_changes_and_recoveries() -> None:
    rt = runtime()
    crashed: int | None = None
    views = []
    for k in range(REQUESTS):
        if k % EVERY == EVERY // 2:
            assert crashed is not None
            rt.recover(crashed)
            crashed = None
        if k % EVERY == 0:
            before = view(rt)
            crashed = before % N  # the current primary
            rt.crash(crashed)
        result = rt.call(CLIENT, k + 1)
        primary = rt.sessions[view(rt) % N]
        assert rt.accepted(CLIENT)[-1] == (k + 1, result) == (k + 1, primary.state.chain)
        assert not rt.inflight
        if k % EVERY == 0:
            views.append(view(rt))
            assert views[-1] == before + 1  # one view change, and the new primary ordered it
        assert max(rt.log_sizes().values()) <= LOG_BOUND
        if k % EVERY == EVERY - 1:  # the replica recovered at 50 is in step by the next crash
            states = {(rt.sessions[i].view, rt.sessions[i].state) for i in rt.honest}
            assert len(states) == 1 and not rt.crashed
            assert set(rt.decided.values()) == {k + 1}
    assert views == [1, 2, 3]
    assert {s.state.seq for s in rt.sessions.values()} == {REQUESTS}
    assert [t for t, _ in rt.accepted(CLIENT)] == list(range(REQUESTS - KEEP_ACCEPTED + 1, 301))
    assert len(rt.timers) == 0 and not rt.client_timers


def test_recovery_takes_only_a_proof_it_checks_and_a_view_f_plus_one_report() -> None:
    rt = runtime()
    for k in range(2 * K + 3):
        rt.call(CLIENT, k + 1)
    rt.crash(3)
    for k in range(2 * K + 3, 3 * K + 1):
        rt.call(CLIENT, k + 1)
    true = rt.sessions[0].stable
    assert true.snapshot.seq == 3 * K
    # replica 2 answers with a view nobody is in and a proof without checkpoints
    bogus = StableProof(Snapshot(9 * K, "forged", ()), ())
    rt.sessions[2] = attrs.evolve(rt.sessions[2], view=7, stable=bogus)
    back = rt.recover(3)
    assert back.view == 0 and back.stable == true and back.state == true.snapshot
    assert not back.log and not back.changing and 3 not in rt.crashed and 3 not in rt.timers


def test_recover_refuses_a_live_replica_and_too_few_answers() -> None:
    rt = runtime()
    with pytest.raises(ValueError, match="not a crashed honest replica"):
        rt.recover(1)
    for i in (1, 2, 3):
        rt.crash(i)
    with pytest.raises(ValueError, match="1 live replicas answer, f \\+ 1 = 2 needed"):
        rt.recover(1)


def test_call_refuses_when_no_quorum_answers() -> None:
    rt = runtime()
    rt.crash(2)
    rt.crash(3)
    with pytest.raises(ValueError, match="request 1 of 'client:soak' not accepted"):
        rt.call(CLIENT, 1, max_steps=500)


def test_a_client_keeps_at_least_one_result() -> None:
    made = start_client("zed", N, b"key", keep=0)
    assert isinstance(made, Error) and made.detail == "keep: must be >= 1"
