"""PBFT: Practical Byzantine Fault Tolerance, as a pure transition system.

Source: M. Castro and B. Liskov, "Practical Byzantine Fault Tolerance", OSDI 1999, §4
(the protocol with signed messages), and Part 1 of the MABEAM seed (its event names:
`pre_prepare`, `prepare`, `commit`, `view_change`, `new_view`, `timeout`).

The package reads in the paper's order: `messages` (the message records, the state and
the actions), `config` (the bounds and the constants table: each quorum size with its
reason), `predicates` (the paper's predicates under its names and letters: prepared,
committed-local, committed, h and H, C, V, O...), `actions` (each action's guards,
declared one per condition with the §4.x clause it checks, and its effect),
`adversary` (the Byzantine relation: what faulty replicas contribute to a quorum),
`properties` (invariants, witnesses, liveness) and `symmetry`. `Pbft` assembles them.

## The algorithm (§4)

Replicas `0..n-1`, `n >= 3f + 1`; the primary of view `v` is `v mod n`. A client's
request is assigned a sequence number by the primary (PRE-PREPARE); backups that accept
it say so to everyone (PREPARE); a replica that has the pre-prepare and 2f matching
prepares from different backups is *prepared* and says so (COMMIT); with 2f + 1 matching
commits it has *committed locally* and executes the request once all lower sequence
numbers are executed. Checkpoints every K requests become *stable* with 2f + 1 matching
CHECKPOINT messages; they set the low water mark h, and the high one is H = h + L. A
backup whose timer expires moves to the next view and sends VIEW-CHANGE with its stable
checkpoint (C) and its prepared certificates (P); the new primary, with 2f + 1
view-changes (V), sends NEW-VIEW with the set O of pre-prepares it computes from them,
and backups that recompute the same O accept it and prepare each of its pre-prepares.

## How it is modelled (Lamport's Paxos.tla style)

- One global set per message kind holds every message an honest replica has sent; it is
  never shrunk. An action is enabled once the messages it needs are in the sets:
  asynchrony (delay, reordering, loss of any message not yet used) is the action not
  having happened yet, and duplication changes nothing in a set. There are no receive
  buffers; per-replica variables are small (view, view-change flag, executed log, low
  water mark).
- Messages are authenticated: an honest replica's message exists only if it sent it.
- Byzantine replicas' messages are not stored: each faulty replica counts as a sender of
  whatever matching message a quorum needs (spec/pbft/adversary.py), and `relied_on`
  names, for each step, the ones it counted. With `adversary = silent` the faulty
  replicas send nothing at all (crash faults), the setting for liveness under the
  seed's rules (the `liveness` preset).
- Requests: clients send requests `1..requests` (`request`); digest 0 is the null
  request. A replica executes a request already executed as a no-op (the reply cache of
  §4.1) and records the null digest for it.

## Simplifications

- Replies to clients, client retransmission and the timer's doubling are not modelled;
  `timeout` is nondeterministic and bounded by `max_view`, and enabled only while the
  replica's timer runs (§4.5.2): while a request it could have received waits to be
  executed there, while it awaits a NEW-VIEW, or when f + 1 other replicas have sent
  VIEW-CHANGE for its next view (the f + 1 rule, restricted to the next view as in the
  implementation).
- Digests are the request values themselves; a checkpoint's state digest is the executed
  log itself, so state transfer to a lagging replica is adopting that log.
- A replica's knowledge of being prepared is the COMMIT it sent (it sends one exactly
  when it becomes prepared); its view-change's P is therefore built from its commits.
- A faulty primary's pre-prepare is for a requested value; a null pre-prepare arises
  only from a NEW-VIEW (a faulty-only certificate for the null request would need more
  than f faulty backups).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from spec.core import AgentStep, Guard, GuardedModel, Preset, Specification
from spec.pbft import delivery, wire
from spec.pbft.actions import GUARDS, Actions
from spec.pbft.adversary import Adversary
from spec.pbft.config import (
    CONSTANTS,
    Constant,
    PbftConfig,
    checkpoint_quorum,
    commit_quorum,
    committed_quorum,
    join_quorum,
    max_faulty,
    prepare_quorum,
    quorum,
    reply_quorum,
    view_change_quorum,
)
from spec.pbft.messages import (
    NULL,
    AcceptNewView,
    Action,
    Cert,
    CheckpointMsg,
    Commit,
    CommitMsg,
    Execute,
    NewView,
    NewViewMsg,
    PbftState,
    Prepare,
    PrepareMsg,
    PrePrepare,
    PrePrepareMsg,
    Request,
    StableCheckpoint,
    Timeout,
    ViewChangeMsg,
)
from spec.pbft.predicates import Predicates, Senders
from spec.pbft.properties import Properties
from spec.pbft.symmetry import Symmetric

__all__ = [
    "CONSTANTS",
    "NULL",
    "PRESETS",
    "SPEC",
    "AcceptNewView",
    "Action",
    "Adversary",
    "Cert",
    "CheckpointMsg",
    "Commit",
    "CommitMsg",
    "Constant",
    "Execute",
    "NewView",
    "NewViewMsg",
    "Pbft",
    "PbftConfig",
    "PbftState",
    "PrePrepare",
    "PrePrepareMsg",
    "Predicates",
    "Prepare",
    "PrepareMsg",
    "Request",
    "Senders",
    "StableCheckpoint",
    "Timeout",
    "ViewChangeMsg",
    "checkpoint_quorum",
    "commit_quorum",
    "committed_quorum",
    "join_quorum",
    "max_faulty",
    "prepare_quorum",
    "quorum",
    "reply_quorum",
    "view_change_quorum",
]

# The records' public home is this package: a state's fingerprint hashes each class's
# module and name, so they are named as before the split, and so are their reprs.
for _record in (
    PbftState,
    PrePrepareMsg,
    PrepareMsg,
    CommitMsg,
    CheckpointMsg,
    Cert,
    ViewChangeMsg,
    NewViewMsg,
    Request,
    PrePrepare,
    Prepare,
    Commit,
    Execute,
    StableCheckpoint,
    Timeout,
    NewView,
    AcceptNewView,
    PbftConfig,
):
    _record.__module__ = __name__


class Pbft(Properties, Symmetric, Actions, GuardedModel[PbftState, Action]):
    """PBFT over one configuration: see the package docstring."""

    #: Measured (benchmarks/bench_pbft.py): at the default bounds the reduction cuts the
    #: distinct states 3.9x and the time about 1.8x, so it is on by default.
    symmetry_default = True
    participant = "replica"
    #: A replica's step is its receipt of a message (spec/pbft/delivery.py).
    message_steps = True

    #: Each action's guards, in the order they are checked (spec/pbft/actions.py).
    guards: ClassVar[Mapping[type, tuple[Guard, ...]]] = GUARDS

    def __init__(self, config: PbftConfig) -> None:
        self.config = config
        self.n = config.replicas
        # The constants table's functions, read through this module (a test may patch one).
        self.f = max_faulty(self.n)
        self.faulty = frozenset(config.faulty)
        self.honest = tuple(i for i in range(self.n) if i not in self.faulty)
        self.byzantine = config.adversary == "byzantine"
        self.values = tuple(range(1, config.requests + 1))
        self.q_prepare = prepare_quorum(self.n, self.f)
        self.q_commit = commit_quorum(self.n, self.f)
        self.q_view_change = view_change_quorum(self.n, self.f)
        self.q_checkpoint = checkpoint_quorum(self.n, self.f)
        self.q_committed = committed_quorum(self.n, self.f)
        self.q_join = join_quorum(self.n, self.f)
        self.q_reply = reply_quorum(self.n, self.f)
        self._senders_of = (None, None)
        self._faulty_senders = {}
        self.declare_symmetry()

    # -- what one replica's log says (spec/pbft/wire.py) --------------------------------

    def log_agents(self) -> Sequence[int]:
        return range(self.n)

    def local_view(self, state: PbftState, agent: int) -> dict[str, Any]:
        return wire.local_view(self, state, agent)

    def silent(self, action: Action) -> bool:
        """A client's request is no replica's step: no replica's log records it."""
        return isinstance(action, Request)

    def receivable(self, state: PbftState, agent: int, message: Mapping[str, Any]) -> str | None:
        return wire.receivable(self, state, agent, message)

    def unreceived(
        self, state: PbftState, action: Action, received: Sequence[Mapping[str, Any]]
    ) -> str | None:
        return wire.unreceived(self, action, received)

    def agent_step(
        self, state: PbftState, action: Action, post: PbftState | None
    ) -> AgentStep | str:
        return delivery.agent_step(self, state, action, post)

    def initial(self) -> Sequence[PbftState]:
        n = self.n
        return [
            PbftState(
                view=(0,) * n,
                changing=(False,) * n,
                executed=((),) * n,
                stable=(0,) * n,
                requests=frozenset(),
                pre_prepares=frozenset(),
                prepares=frozenset(),
                commits=frozenset(),
                checkpoints=frozenset(),
                view_changes=frozenset(),
                new_views=frozenset(),
            )
        ]


#: The named configurations (TLC's MC files): `coordspec check pbft --preset NAME`. Those
#: marked `portfolio` are what `coordspec check pbft` checks, one after the other: the
#: default and one small, exhaustive configuration per feature the default leaves out
#: (each catches a mutant of spec/variants/pbft.py's `PORTFOLIO` that the default misses).
PRESETS = (
    Preset(
        "default",
        "n = 4, replica 0 (view 0's primary) Byzantine, two requests, views 0..1, one "
        "sequence number",
        portfolio=True,
    ),
    Preset(
        "liveness",
        "a crashed backup (replica 3 sends nothing): the eventually-properties under "
        "crash faults, where the seed's prepare rule loses liveness (FINDINGS P1)",
        {"faulty": "3", "adversary": "silent"},
    ),
    Preset(
        "proof",
        "the bound of the inductive invariant (proofs/pbft_induction.py): two sequence "
        "numbers, no checkpoints",
        {"max_seq": "2"},
    ),
    Preset(
        "checkpoints",
        "checkpoints every request and two sequence numbers: every action and guard has "
        "a vector (coordspec generate)",
        {"checkpoint_interval": "1", "max_seq": "2"},
    ),
    Preset(
        "n5",
        "n = 5 (f = 1), view 0 only: the quorum is 4, not the seed's 2f + 1 (FINDINGS P8)",
        {"replicas": "5", "max_view": "0"},
    ),
    Preset(
        "small",
        "one client request: every witness reached in a few thousand states, for quick "
        "conformance runs",
        {"requests": "1"},
    ),
    Preset(
        "two_seqs",
        "two sequence numbers in view 0 under the Byzantine primary: a quorum of prepares "
        "or commits for one number never counts another's",
        {"max_seq": "2", "max_view": "0"},
        portfolio=True,
    ),
    Preset(
        "watermarks",
        "checkpoints every request with a log of 1 (H = h + 1 binds: number 2 waits for "
        "checkpoint 1 to be stable) in view 0 under the Byzantine primary: a replica that "
        "lags adopts a stable checkpoint's state",
        {"checkpoint_interval": "1", "max_seq": "2", "log_size": "1", "max_view": "0"},
        portfolio=True,
    ),
    Preset(
        "checkpoint_view_change",
        "checkpoints every request, a log of 1 and a crashed backup (replica 3 silent): a "
        "view change after a checkpoint, whose VIEW-CHANGE carries the certificates above "
        "its stable one",
        {
            "checkpoint_interval": "1",
            "max_seq": "2",
            "log_size": "1",
            "faulty": "3",
            "adversary": "silent",
        },
        portfolio=True,
    ),
    Preset(
        "two_view_changes",
        "views 0..2 with a crashed backup (replica 3 silent): two view changes, the second "
        "NEW-VIEW's O computed from certificates of both earlier views",
        {"max_view": "2", "faulty": "3", "adversary": "silent"},
        portfolio=True,
    ),
    Preset(
        "faulty_backup",
        "replica 1 Byzantine: a faulty backup in view 0 under an honest primary, then view "
        "1's faulty primary, whose NEW-VIEW the backups check against V",
        {"faulty": "1"},
        portfolio=True,
    ),
)

SPEC = Specification(
    name="pbft",
    summary="PBFT (Castro & Liskov OSDI'99 §4): normal case, checkpoints, view change",
    config_type=PbftConfig,
    build=Pbft,
    presets=PRESETS,
)
