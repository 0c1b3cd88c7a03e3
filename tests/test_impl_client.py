"""The PBFT client of §4.1 (impl/client.py) and the runtime carrying it: a request goes to
the primary, a result is accepted on f + 1 matching replies, and a timeout multicasts the
request, which is what starts the backups' timers when the primary is silent."""

from __future__ import annotations

import hmac
from typing import Any

import attrs
import pytest

from impl.auth import KeyRing, canonical
from impl.client import PbftClient, client_request, handle_client_event, start_client
from impl.core import Decide, Error, Ok, Send, SetTimer
from impl.pbft import AuthRequest, ClientRequest, Reply, handle_byzantine_event
from impl.refinement.pbft import abstract, spec_path, violated
from impl.runtime import CLIENT, Runtime
from spec import pbft as spec_pbft
from tests.harness.pbft import conformance_runtime, small_runtime

PEOPLE = ("alice", "bob", "carol", "dave")
KEY = b"coordspec-client-test-key-material"


def runtime(**kw: Any) -> Runtime:
    kw.setdefault("participants", PEOPLE)
    return small_runtime(4, kw.pop("faulty", ()), **kw)


def chains(rt: Runtime) -> set[str]:
    return {s.state.chain for s in rt.sessions.values()}


def test_a_request_goes_to_the_primary_and_f_plus_one_replies_accept_it() -> None:
    rt = runtime()
    rt.client("zed")
    rt.request("zed", "deposit 10")
    assert [(p.sender, p.dest, p.event) for p in rt.inflight] == [
        (CLIENT, 0, "proposal_submission")  # alice, the primary of view 0, alone
    ]
    rt.run(timers=False)
    (result,) = chains(rt)
    assert rt.accepted("zed") == ((1, result),)
    c = rt.clients["zed"]
    assert c is not None and c.outstanding is None and "zed" not in rt.client_timers
    rt.request("zed", "deposit 20")  # the next one, timestamp 2
    rt.run(timers=False)
    assert [t for t, _ in rt.accepted("zed")] == [1, 2]


def test_a_silent_primary_is_replaced_through_the_clients_retransmission() -> None:
    """Replica 0 (alice, the primary) is faulty and silent: no backup hears the request
    until the client's timer multicasts it; their timers then move them to view 1, whose
    primary bob orders it, and the client learns the view from the replies."""
    rt = runtime(faulty=(0,), base_timeout=50)
    rt.client("zed", timeout=10)
    rt.request("zed", 1)
    rt.run(timers=False)
    assert rt.accepted("zed") == () and not rt.timers  # nothing moves without the client
    rt.run()
    assert len(rt.accepted("zed")) == 1
    assert {s.view for s in rt.sessions.values()} == {1}
    c = rt.clients["zed"]
    assert c is not None and c.view == 1 and c.primary == "bob"
    rt.request("zed", 2)
    assert [p.dest for p in rt.inflight] == [1]  # straight to the new primary
    rt.run()
    assert [t for t, _ in rt.accepted("zed")] == [1, 2]


def test_a_retransmitted_request_that_ran_gets_its_reply_again() -> None:
    rt = runtime()
    rt.client("zed")
    signed = rt.request("zed", "x")
    rt.run(timers=False)
    backup = rt.sessions[2]
    again = handle_byzantine_event(backup, "proposal_submission", {"request": signed})
    assert isinstance(again, Ok) and again.session is backup
    (send,) = again.effects
    assert isinstance(send, Send) and send.to == ("zed",)
    assert send.message == backup.last_reply["zed"]


def test_replies_cross_a_partition_and_the_client_reaches_every_replica() -> None:
    rt = runtime()
    rt.client("zed")
    rt.partition({0, 1, 2}, {3})
    rt.request("zed", "x")
    rt.run(timers=False)
    assert len(rt.accepted("zed")) == 1  # alice, bob, carol agree; their replies reach zed


# -- the client alone -----------------------------------------------------------------------


def started(timeout: int = 10) -> PbftClient:
    made = start_client("zed", 4, KEY, PEOPLE, timeout)
    assert isinstance(made, Ok)
    return made.session


def waiting() -> PbftClient:
    asked = client_request(started(), "x")
    assert isinstance(asked, Ok)
    send, timer = asked.effects
    assert (
        isinstance(send, Send) and send.to == ("alice",) and isinstance(send.message, AuthRequest)
    )
    assert isinstance(timer, SetTimer) and timer.at == 10
    return asked.session


def reply(replica: int, result: str = "r", *, key: bytes = KEY, **changes: Any) -> Reply:
    body = attrs.evolve(_Fields(), replica=replica, result=result, **changes)
    r = Reply(body.view, body.timestamp, body.client, body.replica, body.result)
    mac = hmac.digest(KeyRing("zed", key, 4).key(replica), canonical(r.body()), "sha256")
    return r._replace(mac=mac)


@attrs.frozen
class _Fields:
    view: int = 0
    timestamp: int = 1
    client: str = "zed"
    replica: int = 0
    result: str = "r"


def answer(c: PbftClient, r: object) -> Ok[PbftClient] | Error:
    return handle_client_event(c, "reply", {"message": r})


def test_a_faulty_replicas_different_result_is_not_enough() -> None:
    """f = 1: replica 3's reply (valid MAC, another result) and one honest reply do not
    make a result; a second honest one does, and Decide carries the f + 1 replies."""
    c = waiting()
    for r in (reply(3, "forged"), reply(1)):
        got = answer(c, r)
        assert isinstance(got, Ok) and not got.effects
        c = got.session
    got = answer(c, reply(2, view=1))
    assert isinstance(got, Ok)
    (decide,) = got.effects
    assert isinstance(decide, Decide) and decide.value == "r"
    assert [r.replica for r in decide.proof] == [1, 2]  # type: ignore[attr-defined]
    assert got.session.accepted == ((1, "r"),) and got.session.view == 1
    assert got.session.outstanding is None


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("not a reply", "malformed_message"),
        (reply(7), "malformed_message"),
        (reply(1, key=b"another deployment's key"), "bad_authenticator"),
        (reply(1)._replace(result="changed"), "bad_authenticator"),
        (reply(1, client="yan"), "not_for_this_client"),
        (reply(1, timestamp=2), "stale_reply"),
    ],
)
def test_a_bad_reply_is_refused_with_its_reason(message: object, reason: str) -> None:
    c = waiting()
    got = answer(c, message)
    assert isinstance(got, Error) and got.reason == reason


def test_the_clients_other_refusals() -> None:
    c = waiting()
    once = answer(c, reply(1))
    assert isinstance(once, Ok)
    twice = answer(once.session, reply(1))
    assert isinstance(twice, Error) and twice.reason == "duplicate_message"
    idle = answer(started(), reply(1))
    assert isinstance(idle, Error) and idle.reason == "stale_reply"
    busy = client_request(c, "y")
    assert isinstance(busy, Error) and busy.reason == "request_outstanding"
    stale = handle_client_event(c, "timeout", {"epoch": 0})
    assert isinstance(stale, Error) and stale.reason == "stale_timer"
    back = handle_client_event(attrs.evolve(c, now=5), "timeout", {"epoch": 1, "now": 4})
    assert isinstance(back, Error) and back.reason == "malformed_event"
    other = handle_client_event(c, "commit", {})
    assert isinstance(other, Error) and other.reason == "unknown_client_event"


def test_a_timeout_multicasts_the_request_and_sets_the_timer_again() -> None:
    c = waiting()
    got = handle_client_event(c, "timeout", {"epoch": c.timer_epoch, "now": 10})
    assert isinstance(got, Ok)
    send, timer = got.effects
    assert isinstance(send, Send) and send.to == PEOPLE and send.message == c.outstanding
    assert isinstance(timer, SetTimer) and timer.at == 20
    assert isinstance(send.message, AuthRequest)
    assert send.message.request == ClientRequest("zed", 1, "x")


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("", 4, KEY), "name"),
        (("zed", 4, KEY, PEOPLE[:3]), "participants"),
        (("zed", 4, KEY, None, 0), "timeout"),
    ],
)
def test_start_client_refuses_a_bad_config(args: tuple[Any, ...], field: str) -> None:
    made = start_client(*args)
    assert isinstance(made, Error) and made.detail.startswith(f"{field}: ")


def test_the_runtimes_client_errors_are_one_clear_error() -> None:
    rt = runtime()
    with pytest.raises(ValueError, match="no client 'zed'"):
        rt.request("zed", 1)
    rt.client("zed")
    with pytest.raises(ValueError, match="started already"):
        rt.client("zed")
    with pytest.raises(ValueError, match="timeout"):
        rt.client("yan", timeout=-1)
    rt.request("zed", 1)
    with pytest.raises(ValueError, match="request_outstanding"):
        rt.request("zed", 2)
    assert rt.fire_client_timer("nobody") is None


# -- against the spec ---------------------------------------------------------------------


@pytest.mark.parametrize(("order", "seed"), [("fifo", 0), ("random", 0), ("random", 1)])
def test_every_step_of_a_client_driven_run_is_a_spec_step(order: str, seed: int) -> None:
    """PBFT's default (replica 0, the first primary, faulty and silent): the client's
    request to the primary, its timeouts and multicasts, the backups' timeouts and the
    view change, the replies; after each delivery or timer, the abstraction of the
    runtime is reached from the one before by spec steps, and no invariant is broken.

    In FIFO order the request is accepted in view 1. In a random order a backup may get
    the new primary's PRE-PREPARE before its NEW-VIEW and refuse it (messages for other
    views are not buffered); within the model's one view change nothing orders the
    request again, and the client retransmits in vain: the run is cut at 300 steps."""
    config = spec_pbft.PbftConfig()
    model = spec_pbft.Pbft(config)
    rt = conformance_runtime(config, seed)
    rt.client("zed", timeout=5)
    rt.request("zed", 1)
    before = abstract(rt, config)
    steps = 0
    while steps < 300 and not rt.accepted("zed") and rt.run(max_steps=1, order=order):
        after = abstract(rt, config)
        assert spec_path(model, before, after) is not None, f"step {steps} is no spec step"
        assert violated(model, after) == []
        before, steps = after, steps + 1
    assert {s.view for s in rt.sessions.values()} == {1}
    if order == "fifo":
        assert len(rt.accepted("zed")) == 1
