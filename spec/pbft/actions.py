"""PBFT's actions as guard/effect pairs (Castro & Liskov OSDI'99 §4.1-§4.4).

Each action's guards are declared data (`spec.core.Guard`), one named check per
condition, each quoting the clause it checks; `GUARDS` gives every action's tuple, in
the order they are checked (the first that fails is the one a refusal names, in the
vectors and the oracle's errors). Every action of a replica is first checked to name
one (`is_replica`). `Actions.apply` is the effects; `Actions.candidates` the instances
worth trying in a state (the guards then decide).
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from spec.core import Guard, guard, put
from spec.pbft.adversary import Adversary
from spec.pbft.messages import (
    NULL,
    AcceptNewView,
    Action,
    CheckpointMsg,
    Commit,
    CommitMsg,
    Execute,
    NewView,
    NewViewMsg,
    NormalAction,
    PbftState,
    Prepare,
    PrepareMsg,
    PrePrepare,
    PrePrepareMsg,
    ReplicaAction,
    Request,
    StableCheckpoint,
    Timeout,
    ViewChangeMsg,
)

# --- guards every replica's action shares ------------------------------------------------


@guard(
    quote='§4: "We denote the set of replicas by R and identify each replica using an '
    'integer in {0, ..., |R| - 1}"',
    reason=lambda m, s, a: f"no replica {a.replica} (0..{m.n - 1})",
)
def is_replica(m: Actions, s: PbftState, a: ReplicaAction) -> bool:
    """The action names a replica 0..n-1."""
    return 0 <= a.replica < m.n


@guard(
    quote="the model: a faulty replica takes no step of its own; what it sends is the "
    "Byzantine relation's (spec/pbft/adversary.py)",
    reason="replica {a.replica} is faulty",
)
def is_honest(m: Actions, s: PbftState, a: ReplicaAction) -> bool:
    """The replica is honest."""
    return a.replica not in m.faulty


@guard(
    quote='§4.2, condition 2 of accepting a pre-prepare: "it is in view v"; §4.4: a replica '
    'that starts a view change "stops accepting messages (other than checkpoint, '
    'view-change, and new-view messages)"',
    reason="replica {a.replica} is not in normal operation in view {a.view}",
)
def in_view(m: Actions, s: PbftState, a: NormalAction) -> bool:
    """The replica is in view `a.view` and not changing views."""
    return s.view[a.replica] == a.view and not s.changing[a.replica]


def _outside(m: Actions, s: PbftState, a: PrePrepare | Prepare | Commit) -> str:
    w = m.window(s, a.replica)
    return f"sequence number {a.seq} is outside ({w.start - 1}, {w.stop - 1}]"


@guard(
    quote='§4.2, condition 4: "the sequence number in the pre-prepare message is between a '
    'low water mark, h, and a high water mark, H" (and so for prepares and commits)',
    reason=_outside,
)
def in_watermarks(m: Actions, s: PbftState, a: PrePrepare | Prepare | Commit) -> bool:
    """h < a.seq <= H at the replica."""
    return a.seq in m.window(s, a.replica)


#: The checks of a replica's step in normal operation (§4.2).
NORMAL = (is_replica, is_honest, in_view)


# --- §4.1: a client sends a request --------------------------------------------------------
# "A client c requests the execution of state machine operation o by sending a
# <REQUEST, o, t, c> message to the primary."


@guard(
    quote="the model's bound: the client requests are 1..requests",
    reason="no client request {a.value}",
    bound=True,
)
def is_value(m: Actions, s: PbftState, a: Request) -> bool:
    """The request is one of the model's 1..requests."""
    return a.value in m.values


@guard(
    "not_sent",
    quote="the model: each request is sent once (client retransmission is not modelled)",
    reason="request {a.value} was already sent",
)
def request_not_sent(m: Actions, s: PbftState, a: Request) -> bool:
    """The request has not been sent."""
    return a.value not in s.requests


# --- §4.2: the primary pre-prepares ----------------------------------------------------
# "In the pre-prepare phase, the primary assigns a sequence number, n, to the request,
# multicasts a pre-prepare message with m piggybacked to all the backups, and appends
# the message to its log."


@guard(
    quote='§4.2: "the primary assigns a sequence number, n, to the request"; §4: "The '
    'primary of a view is replica p such that p = v mod |R|"',
    reason="replica {a.replica} is not view {a.view}'s primary",
)
def is_primary(m: Actions, s: PbftState, a: PrePrepare) -> bool:
    """The replica is the primary of `a.view`."""
    return a.replica == m.primary(a.view)


@guard(
    quote='§4.2: "a pre-prepare message with m piggybacked", m a client\'s request (§4.1)',
    reason="no request {a.digest} was sent",
)
def requested(m: Actions, s: PbftState, a: PrePrepare) -> bool:
    """A client sent the request."""
    return a.digest in s.requests


@guard(
    quote='§4.2: "the primary assigns a sequence number, n, to the request": the model\'s '
    "primary takes the lowest number above h not yet assigned in its view",
    reason=lambda m, s, a: f"the next sequence number is {m.next_seq(s, a.view)}",
)
def next_seq(m: Actions, s: PbftState, a: PrePrepare) -> bool:
    """`a.seq` is the primary's next sequence number in the view."""
    return a.seq == m.next_seq(s, a.view)


@guard(
    quote='§4.2: "the primary assigns a sequence number, n, to the request": one per '
    "request in a view (the model)",
    reason="request {a.digest} already has a number in view {a.view}",
)
def not_assigned(m: Actions, s: PbftState, a: PrePrepare) -> bool:
    """The request has no sequence number in the view yet."""
    return not any(p.view == a.view and p.digest == a.digest for p in s.pre_prepares)


@guard(
    quote="§4.1: a request executes once (the replicas' reply cache): the model's primary "
    "does not assign one it has executed",
    reason="request {a.digest} was executed",
)
def not_executed(m: Actions, s: PbftState, a: PrePrepare) -> bool:
    """The primary has not executed the request."""
    return a.digest not in s.executed[a.replica]


# --- §4.2: a backup accepts the pre-prepare and prepares ----------------------------------
# "A backup accepts a pre-prepare message provided: 1) the signatures in the request and
# the pre-prepare message are correct and d is the digest for m; 2) it is in view v;
# 3) it has not accepted a pre-prepare message for view v and sequence number n
# containing a different digest; 4) the sequence number in the pre-prepare message is
# between a low water mark, h, and a high water mark, H." (2: `in_view`; 4:
# `in_watermarks`.) "If backup i accepts the <PRE-PREPARE, v, n, d> message, it enters
# the prepare phase by multicasting a <PREPARE, v, n, d, i> message."


@guard(
    quote='§4.2: "If backup i accepts the <PRE-PREPARE, v, n, d> message, it enters the '
    'prepare phase"',
    reason="replica {a.replica} is the primary",
)
def is_backup(m: Actions, s: PbftState, a: Prepare) -> bool:
    """The replica is a backup of the view."""
    return a.replica != m.primary(a.view)


@guard(
    quote='§4.2, condition 1: "the signatures in the request and the pre-prepare message '
    "are correct and d is the digest for m\": view v's primary sent it (a faulty one may "
    "send any, spec/pbft/adversary.py)",
    reason="no pre-prepare ({a.view}, {a.seq}, {a.digest})",
)
def has_pre_prepare(m: Actions, s: PbftState, a: Prepare) -> bool:
    """The pre-prepare (v, n, d) exists (`pre_prepare_available`)."""
    return m.pre_prepare_available(s, a.view, a.seq, a.digest)


def _conflict(m: Actions, s: PbftState, a: Prepare) -> str:
    digest = min(
        q.digest
        for q in s.prepares
        if q.replica == a.replica and q.view == a.view and q.seq == a.seq
    )
    return (
        f"replica {a.replica} already accepted digest {digest} for "
        f"view {a.view}, sequence number {a.seq}"
    )


@guard(
    quote='§4.2, condition 3: "it has not accepted a pre-prepare message for view v and '
    'sequence number n containing a different digest"',
    reason=_conflict,
)
def no_conflicting_pre_prepare(m: Actions, s: PbftState, a: Prepare) -> bool:
    """The backup has accepted no pre-prepare for (v, n) yet (a second with the same
    digest would change nothing)."""
    return not any(
        q.replica == a.replica and q.view == a.view and q.seq == a.seq for q in s.prepares
    )


# --- §4.2: a prepared replica commits --------------------------------------------------
# "Replica i multicasts a <COMMIT, v, n, D(m), i> to the other replicas when
# prepared(m, v, n, i) becomes true."


@guard(
    "not_sent",
    quote='§4.2: i multicasts its COMMIT "when prepared(m, v, n, i) becomes true": once',
    reason="this commit was already sent",
)
def commit_not_sent(m: Actions, s: PbftState, a: Commit) -> bool:
    """The replica has not sent this commit."""
    return CommitMsg(a.view, a.seq, a.digest, a.replica) not in s.commits


@guard(
    "prepared",
    quote='§4.2: "Replica i multicasts a <COMMIT, v, n, D(m), i> ... when prepared(m, v, n, '
    'i) becomes true"',
    reason="replica {a.replica} is not prepared",
)
def is_prepared(m: Actions, s: PbftState, a: Commit) -> bool:
    """prepared(m, v, n, i)."""
    return m.prepared(s, a.replica, a.view, a.seq, a.digest)


# --- §4.2: a committed-local replica executes ------------------------------------------
# "Each replica i executes the operation requested by m after committed-local(m, v, n, i)
# is true and i's state reflects the sequential execution of all requests with lower
# sequence numbers."


@guard(
    quote="§4.2: \"and i's state reflects the sequential execution of all requests with "
    'lower sequence numbers"',
    reason=lambda m, s, a: f"replica {a.replica} has executed {len(s.executed[a.replica])}",
)
def in_order(m: Actions, s: PbftState, a: Execute) -> bool:
    """`a.seq` is the replica's next sequence number to execute."""
    return a.seq == len(s.executed[a.replica]) + 1


@guard(
    "committed_local",
    quote='§4.2: "Each replica i executes the operation requested by m after '
    'committed-local(m, v, n, i) is true"',
    reason="replica {a.replica} is not committed-local",
)
def is_committed_local(m: Actions, s: PbftState, a: Execute) -> bool:
    """committed-local(m, v, n, i)."""
    return m.committed_local(s, a.replica, a.view, a.seq, a.digest)


# --- §4.3: a checkpoint becomes stable -------------------------------------------------
# "Each replica collects checkpoint messages in its log until it has 2f + 1 of them for
# sequence number n with the same digest d signed by different replicas ... A checkpoint
# with a proof is called a stable checkpoint."


@guard(
    quote='§4.3: "The low-water mark h is equal to the sequence number of the last stable '
    'checkpoint": a later one moves it',
    reason=lambda m, s, a: f"h is already {s.stable[a.replica]}",
)
def newer(m: Actions, s: PbftState, a: StableCheckpoint) -> bool:
    """The checkpoint is above the replica's h."""
    return a.seq > m.h(s, a.replica)


@guard(
    quote='§4.3: "These 2f + 1 messages are the proof of correctness for the checkpoint"',
    reason="no 2f + 1 matching checkpoints",
)
def has_proof(m: Actions, s: PbftState, a: StableCheckpoint) -> bool:
    """The checkpoint has a proof C (`stable_proofs`)."""
    return (a.seq, a.state) in m.stable_proofs(s)


# --- §4.4: a timer expires --------------------------------------------------------------
# "If the timer of backup i expires in view v, the backup starts a view change to move the
# system to view v+1. It stops accepting messages (other than checkpoint, view-change, and
# new-view messages) and multicasts a <VIEW-CHANGE, v+1, n, C, P, i> message."


@guard(
    quote='§4.4: "the backup starts a view change to move the system to view v+1" (views '
    "up to the model's max_view)",
    reason="view {a.view} is not the next one in bounds",
)
def next_view(m: Actions, s: PbftState, a: Timeout) -> bool:
    """`a.view` is the replica's next view, within max_view."""
    return a.view == s.view[a.replica] + 1 and a.view <= m.config.max_view


@guard(
    quote='§4.5.2: "A backup is waiting for a request if it received a valid request and '
    "has not executed it. A backup starts a timer when it receives a request and the timer "
    'is not already running"; it runs on while the backup awaits NEW-VIEW ("If the timer '
    'expires in view v+1 before it receives a valid new-view message"); and "if a replica '
    "receives a set of f + 1 valid view-change messages from other replicas for views "
    "greater than its current view, it sends a view-change message ... even if its timer "
    'has not expired"',
    reason="replica {a.replica}'s timer is not running: it waits for no request, awaits no "
    "NEW-VIEW, and has no f + 1 view-changes for view {a.view}",
)
def timer_running(m: Actions, s: PbftState, a: Timeout) -> bool:
    """The replica's timer runs (`timer_runs`), or the f + 1 rule applies."""
    return m.timer_runs(s, a.replica, a.view)


# --- §4.4: the new primary sends NEW-VIEW ---------------------------------------------------
# "When the primary p of view v+1 receives 2f valid view-change messages for view v+1
# from other replicas, it multicasts a <NEW-VIEW, v+1, V, O> message to all other
# replicas."


@guard(
    quote='§4.4: "When the primary p of view v+1 receives 2f valid view-change messages" '
    "(a faulty primary's NEW-VIEW is the Byzantine relation's)",
    reason="replica {a.replica} is not an honest primary",
)
def is_honest_primary(m: Actions, s: PbftState, a: NewView) -> bool:
    """The replica is honest and the primary of `a.view`."""
    return a.replica not in m.faulty and a.replica == m.primary(a.view)


@guard(
    quote='§4.4: V holds "the view-change message for v+1 the primary sent": the primary '
    "has moved to v+1 and awaits its NEW-VIEW",
    reason="replica {a.replica} has not moved to view {a.view}",
)
def view_changing(m: Actions, s: PbftState, a: NewView) -> bool:
    """The primary is changing to `a.view`."""
    return s.view[a.replica] == a.view and s.changing[a.replica]


@guard(
    quote='§4.4: "V is a set containing the valid view-change messages received by the '
    'primary plus the view-change message for v+1 the primary sent", and O is computed '
    "from V",
    reason="no 2f + 1 view-changes give this O",
)
def valid_o(m: Actions, s: PbftState, a: NewView) -> bool:
    """Some V gives the NEW-VIEW's checkpoint and O (`new_view_choices`)."""
    return (a.stable, a.state, a.pre_prepares) in m.new_view_choices(s, a.view, a.replica)


# --- §4.4: a backup accepts NEW-VIEW -----------------------------------------------------
# "A backup accepts a new-view message for view v+1 if it is signed properly, if the
# view-change messages it contains are valid for view v+1, and if the set O is correct
# ... Then it ... multicasts a prepare for each message in O to all the other replicas,
# adds these prepares to its log, and enters view v+1."


@guard(
    quote='§4.4: "A backup accepts a new-view message for view v+1"',
    reason="replica {a.replica} is not an honest backup",
)
def is_honest_backup(m: Actions, s: PbftState, a: AcceptNewView) -> bool:
    """The replica is honest and a backup of `a.view`."""
    return a.replica not in m.faulty and a.replica != m.primary(a.view)


@guard(
    quote='§4.4: "and enters view v+1": from an earlier view, or changing to v+1',
    reason="replica {a.replica} is past view {a.view}",
)
def newer_view(m: Actions, s: PbftState, a: AcceptNewView) -> bool:
    """The replica is below `a.view`, or changing to it."""
    i = a.replica
    return s.view[i] < a.view or (s.view[i] == a.view and s.changing[i])


@guard(
    quote='§4.4: "if it is signed properly, if the view-change messages it contains are '
    'valid for view v+1, and if the set O is correct"',
    reason="no such valid NEW-VIEW",
)
def valid_new_view(m: Actions, s: PbftState, a: AcceptNewView) -> bool:
    """The NEW-VIEW was sent, or a faulty primary may send it (`new_view_available`)."""
    return m.new_view_available(s, a.view, (a.stable, a.state, a.pre_prepares))


#: The guards of each action, in the order they are checked.
GUARDS: dict[type, tuple[Guard, ...]] = {
    Request: (is_value, request_not_sent),
    PrePrepare: (
        *NORMAL,
        is_primary,
        requested,
        next_seq,
        in_watermarks,
        not_assigned,
        not_executed,
    ),
    Prepare: (*NORMAL, is_backup, has_pre_prepare, in_watermarks, no_conflicting_pre_prepare),
    Commit: (*NORMAL, in_watermarks, commit_not_sent, is_prepared),
    Execute: (*NORMAL, in_order, is_committed_local),
    StableCheckpoint: (is_replica, is_honest, newer, has_proof),
    Timeout: (is_replica, is_honest, next_view, timer_running),
    NewView: (is_replica, is_honest_primary, view_changing, valid_o),
    AcceptNewView: (is_replica, is_honest_backup, newer_view, valid_new_view),
}


class Actions(Adversary):
    """The candidates worth trying in a state, and each action's effect."""

    def candidates(self, s: PbftState) -> Iterator[Action]:
        """Every action worth trying in s (the guards then decide), in a fixed order."""
        for r in self.values:
            yield Request(r)
        for i in self.honest:
            v = s.view[i]
            if s.changing[i]:
                if i == self.primary(v):
                    for o in sorted(self.new_view_choices(s, v, i)):
                        yield NewView(i, v, *o)
            else:
                if i == self.primary(v):
                    n = self.next_seq(s, v)
                    for d in sorted(s.requests):
                        yield PrePrepare(i, v, n, d)
                else:
                    options = {p for p in s.pre_prepares if p.view == v}
                    if self.byzantine and self.primary(v) in self.faulty:
                        options |= {
                            PrePrepareMsg(v, n, d)
                            for n in self.window(s, i)
                            for d in self.signed_requests(s)
                        }
                    for p in sorted(options):
                        yield Prepare(i, *p)
                mine = sorted({x for x in self.accepted(s, i) if x[0] == v})
                for x in mine:
                    yield Commit(i, *x)
                n = len(s.executed[i]) + 1
                for x in mine:
                    if x[1] == n:
                        yield Execute(i, *x)
            for seq, st in sorted(self.stable_proofs(s)):
                if seq > s.stable[i]:
                    yield StableCheckpoint(i, seq, st)
            if s.view[i] < self.config.max_view:
                yield Timeout(i, s.view[i] + 1)
        for v in range(1, self.config.max_view + 1):
            leader = self.primary(v)
            if leader in self.faulty:
                if not self.byzantine:
                    continue
                offers = self.new_view_choices(s, v, None)
            else:
                offers = {(m.stable, m.state, m.pre_prepares) for m in s.new_views if m.view == v}
            for o in sorted(offers):
                for i in self.honest:
                    if i != leader and (s.view[i] < v or (s.view[i] == v and s.changing[i])):
                        yield AcceptNewView(i, v, *o)

    def apply(self, s: PbftState, a: Action) -> PbftState:
        """The effect of an enabled action (the guards have been checked)."""
        if isinstance(a, Request):
            return attrs.evolve(s, requests=s.requests | {a.value})
        if isinstance(a, PrePrepare):
            # "multicasts a pre-prepare message ... and appends the message to its log"
            return attrs.evolve(
                s, pre_prepares=s.pre_prepares | {PrePrepareMsg(a.view, a.seq, a.digest)}
            )
        if isinstance(a, Prepare):
            msg = PrepareMsg(a.view, a.seq, a.digest, a.replica)
            return attrs.evolve(s, prepares=s.prepares | {msg})
        if isinstance(a, Commit):
            msg_c = CommitMsg(a.view, a.seq, a.digest, a.replica)
            return attrs.evolve(s, commits=s.commits | {msg_c})
        if isinstance(a, Execute):
            log = s.executed[a.replica]
            done = (*log, self.execution(log, a.digest))
            checkpoints = s.checkpoints
            k = self.config.checkpoint_interval
            if k and a.seq % k == 0:
                # §4.3: "When a replica i produces a checkpoint, it multicasts a message
                # <CHECKPOINT, n, d, i>"
                checkpoints = checkpoints | {CheckpointMsg(a.seq, done, a.replica)}
            return attrs.evolve(
                s,
                executed=put(s.executed, a.replica, done),
                checkpoints=checkpoints,
            )
        if isinstance(a, StableCheckpoint):
            return self._adopt(s, a.replica, a.seq, a.state)
        if isinstance(a, Timeout):
            i = a.replica
            low, state = self.stable_checkpoint(s, i)
            vc = ViewChangeMsg(a.view, i, low, state, self.prepared_set(s, i))
            return attrs.evolve(
                s,
                view=put(s.view, i, a.view),
                changing=put(s.changing, i, True),
                view_changes=s.view_changes | {vc},
            )
        if isinstance(a, NewView):
            s = self._adopt(s, a.replica, a.stable, a.state)
            return attrs.evolve(
                s,
                changing=put(s.changing, a.replica, False),
                new_views=s.new_views | {NewViewMsg(a.view, a.stable, a.state, a.pre_prepares)},
                pre_prepares=s.pre_prepares
                | {PrePrepareMsg(a.view, n, d) for n, d in a.pre_prepares},
            )
        assert isinstance(a, AcceptNewView)
        s = self._adopt(s, a.replica, a.stable, a.state)
        return attrs.evolve(
            s,
            view=put(s.view, a.replica, a.view),
            changing=put(s.changing, a.replica, False),
            prepares=s.prepares | {PrepareMsg(a.view, n, d, a.replica) for n, d in a.pre_prepares},
        )

    def execution(self, log: tuple[int, ...], d: int) -> int:
        """What executing request d appends to a replica's executed `log`: d, or null for
        a request it executed before (the reply cache: §4.1's timestamps "ensure
        exactly-once semantics for the execution of client requests")."""
        return NULL if d in log else d

    def _adopt(self, s: PbftState, i: int, seq: int, state: tuple[int, ...]) -> PbftState:
        """Move h to a stable checkpoint, fetching its state if i is behind (§4.3)."""
        if seq <= s.stable[i]:
            return s
        executed = s.executed
        if len(executed[i]) < seq:
            executed = put(executed, i, state)
        return attrs.evolve(s, stable=put(s.stable, i, seq), executed=executed)
