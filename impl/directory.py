"""The agent directory and the broadcast that consults it (the seed's §5.1).

The seed delivers a coordination message by looking each participant up in Foundation's
ProcessRegistry:

    case Foundation.ProcessRegistry.get_agent_status(agent_id) do
      {:ok, %{pid: pid}} when is_pid(pid) -> send(pid, {:coordination_message, message})
      {:ok, %{node: node, pid: pid}} when node != node() -> send({pid, node}, ...)
      {:error, :not_found} -> Logger.warning("Agent #{agent_id} not found in ProcessRegistry")
      error -> Logger.error("Failed to send message to #{agent_id}: #{inspect(error)}")
    end

`AgentDirectory` is that registry: `get_agent_status(agent_id)` answers
`AgentStatus(pid, node)` (the seed's `{:ok, %{pid, node}}`) or `Error("not_found",
agent_id)`. `broadcast` is
`broadcast_message`: for each agent id, in order, a local delivery when the agent is on
the sender's node, a cross-node one when it is elsewhere, and the seed's warning (on the
`coordspec.directory` logger) when it is not registered; the message still goes to every
agent that is. `send` is told the route (`local` or `cross_node`), so a runtime can count
them; `broadcast` returns the agent ids it did not find.

The seed's clauses are tried in order, and in Erlang a remote pid is a pid too, so its
first clause also takes every cross-node agent and the second never matches (spec/FINDINGS.md
S1). Here the node is compared first: the same delivery, and the cross-node case is
seen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Literal

import attrs

from impl.core import Error

_LOG = logging.getLogger("coordspec.directory")

#: How `broadcast` reached one agent id.
Route = Literal["local", "cross_node", "not_found"]


@attrs.frozen
class AgentStatus:
    """Where an agent runs: its process and the node the process is on."""

    pid: int
    node: str


@attrs.define
class AgentDirectory:
    """Agent id -> `AgentStatus`, the registry the runtime delivers through."""

    _agents: dict[str, AgentStatus] = attrs.field(factory=dict)

    def register(self, agent_id: str, pid: int, node: str) -> None:
        """Record that `agent_id` runs as `pid` on `node` (replacing an earlier entry)."""
        self._agents[agent_id] = AgentStatus(pid, node)

    def unregister(self, agent_id: str) -> None:
        """Forget `agent_id` (its process is gone); unknown ids are ignored."""
        self._agents.pop(agent_id, None)

    def get_agent_status(self, agent_id: str) -> AgentStatus | Error:
        """The seed's `get_agent_status`: `{:ok, %{pid, node}}` or `{:error, :not_found}`."""
        status = self._agents.get(agent_id)
        return Error("not_found", agent_id) if status is None else status

    def agents(self) -> tuple[str, ...]:
        """The registered agent ids, sorted."""
        return tuple(sorted(self._agents))


def broadcast(
    directory: AgentDirectory,
    node: str,
    participants: Iterable[str],
    send: Callable[[AgentStatus, Route], None],
) -> tuple[str, ...]:
    """The seed's `broadcast_message` from a process on `node`: `send(status, route)` for
    each registered participant, in order, and the seed's warning for each unregistered
    one. Returns the participants not found."""
    missing: list[str] = []
    lookup = directory.get_agent_status
    for agent_id in participants:
        found = lookup(agent_id)
        if isinstance(found, Error):
            _LOG.warning("Agent %s not found in ProcessRegistry", agent_id)
            missing.append(agent_id)
        else:
            send(found, "local" if found.node == node else "cross_node")
    return tuple(missing)
