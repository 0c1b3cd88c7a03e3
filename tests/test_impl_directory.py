"""The agent directory and the broadcast through it (the seed's §5.1, impl/directory.py),
and the runtime delivering by agent id across two simulated nodes."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impl import api
from impl.core import Error, Ok, Send
from impl.directory import AgentDirectory, AgentStatus, Route, broadcast
from impl.pbft import start_pbft
from impl.runtime import PID_BASE, Runtime
from tests.harness.pbft import outcome, small_runtime

PEOPLE = ("alice", "bob", "carol", "dave")
KEY = b"coordspec-directory-test-key"


def runtime(**kw: Any) -> Runtime:
    return small_runtime(4, kw.pop("faulty", ()), **kw)


def test_get_agent_status_answers_the_seeds_two_shapes() -> None:
    directory = AgentDirectory()
    directory.register("bob", 7, "node-1")
    directory.register("alice", 3, "node-0")
    assert directory.get_agent_status("alice") == AgentStatus(3, "node-0")
    missing = directory.get_agent_status("carol")
    assert isinstance(missing, Error) and (missing.reason, missing.detail) == ("not_found", "carol")
    directory.register("alice", 4, "node-1")  # a restarted agent replaces its entry
    assert directory.get_agent_status("alice") == AgentStatus(4, "node-1")
    assert directory.agents() == ("alice", "bob")
    directory.unregister("alice")
    directory.unregister("nobody")  # ignored
    assert directory.agents() == ("bob",)


def test_broadcast_routes_local_cross_node_and_warns_for_an_unknown_agent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    directory = AgentDirectory()
    directory.register("alice", 1, "node-0")
    directory.register("bob", 2, "node-0")
    directory.register("carol", 3, "node-1")
    sent: list[tuple[int, Route]] = []
    with caplog.at_level(logging.WARNING, logger="coordspec.directory"):
        missing = broadcast(
            directory,
            "node-0",
            ("bob", "zoe", "carol"),
            lambda status, route: sent.append((status.pid, route)),
        )
    assert missing == ("zoe",)
    assert sent == [(2, "local"), (3, "cross_node")]  # the others still get it, in order
    assert caplog.messages == ["Agent zoe not found in ProcessRegistry"]


def test_a_replica_names_its_sender_and_destinations_by_agent_id() -> None:
    started = api.start_byzantine_consensus(
        "deposit 10", list(PEOPLE), {"master_key": KEY, "client": "cli"}
    )
    assert isinstance(started, Ok)
    sends = [e for e in started.effects if isinstance(e, Send)]
    assert [(s.sender, s.to) for s in sends] == [("alice", ("bob", "carol", "dave"))]
    assert started.session.agent_id == "alice"


@pytest.mark.parametrize(
    ("participants", "why"),
    [(("a", "b"), "3 distinct"), (("a", "b", "a"), "3 distinct"), (("a", "", "c"), "non-empty")],
)
def test_start_pbft_refuses_bad_agent_ids(participants: tuple[str, ...], why: str) -> None:
    started = start_pbft("s", 0, 3, KEY, participants=participants)
    assert isinstance(started, Error) and started.reason == "invalid_config"
    assert started.detail.startswith("participants: ") and why in started.detail


def test_runtime_bad_directory_parameters_are_one_clear_error() -> None:
    with pytest.raises(ValueError, match=re.escape("nodes: expected 1..4, got 0")):
        runtime(nodes=0)
    with pytest.raises(ValueError, match="participants"):
        runtime(participants=("a", "b", "c"))
    with pytest.raises(ValueError, match="participants"):  # no honest session to check
        runtime(participants=("a", "b"), faulty=(0, 1, 2, 3))


def test_the_runtime_registers_every_replica_on_two_nodes() -> None:
    rt = runtime(participants=PEOPLE)
    assert rt.directory.agents() == tuple(sorted(PEOPLE))
    statuses = [rt.directory.get_agent_status(a) for a in PEOPLE]
    assert statuses == [
        AgentStatus(PID_BASE + 0, "node-0"),
        AgentStatus(PID_BASE + 1, "node-0"),
        AgentStatus(PID_BASE + 2, "node-1"),
        AgentStatus(PID_BASE + 3, "node-1"),
    ]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), nodes=st.integers(1, 4), named=st.booleans())
def test_where_the_replicas_run_and_what_they_are_called_change_no_run(
    seed: int, nodes: int, named: bool
) -> None:
    """Delivery by agent id through the directory, on any number of nodes, is the same
    run as on one node with the default names: the same packets in the same order."""

    def go(**kw: Any) -> tuple[object, ...]:
        rt = runtime(faulty=(3,), seed=seed, base_timeout=5, **kw)
        for v in (1, 2):
            rt.submit(v)
        rt.run(order="random", max_steps=400)
        return (*outcome(rt), rt.routes["not_found"])

    plain = go(nodes=1)
    assert go(nodes=nodes, participants=PEOPLE if named else None) == plain


def test_both_routes_are_taken_and_counted() -> None:
    rt = runtime(participants=PEOPLE)
    rt.submit(1)
    rt.run()
    assert set(rt.decided.values()) == {1} and len(rt.decided) == 4
    # Each multicast of alice/bob reaches its node-mate locally and carol/dave across.
    assert rt.routes["local"] > 0 and rt.routes["cross_node"] > rt.routes["local"]
    assert rt.routes["not_found"] == 0
    single = runtime(participants=PEOPLE, nodes=1)
    single.submit(1)
    single.run()
    assert single.routes["cross_node"] == 0
    assert single.routes["local"] == rt.routes["local"] + rt.routes["cross_node"]


def test_an_agent_missing_from_the_directory_is_warned_of_and_the_rest_commit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """dave's process left the registry: every message to him is a warning and is not
    sent; he is one replica out of f = 1, so alice, bob and carol still execute."""
    rt = runtime(participants=PEOPLE)
    rt.directory.unregister("dave")
    rt.submit(1)  # the client's multicast does not go through the directory
    with caplog.at_level(logging.WARNING, logger="coordspec.directory"):
        rt.run(timers=False)  # (with timers, dave's would go on changing views alone)
    assert {rt.participants[i] for i, seq in rt.decided.items() if seq == 1} >= {
        "alice",
        "bob",
        "carol",
    }
    assert rt.routes["not_found"] > 0
    assert set(caplog.messages) == {"Agent dave not found in ProcessRegistry"}
    assert len(caplog.messages) == rt.routes["not_found"]
