"""The PBFT replica with the seed's event API (Castro & Liskov OSDI'99 §4; seed Part 1).

`start_pbft(...)` makes one replica's session; `handle_byzantine_event(session,
event_type, event_data)` is the seed's `handle_byzantine_event`: a frozen session in, and
either `Ok(new session, effects)` or `Error(reason, detail)` out. (The seed's public
names, this one, `start_byzantine_consensus` in `impl.api`, the telemetry's `:byzantine`
and the error `unknown_byzantine_event`, keep its word for the protocol; every other name
here says `pbft`, and "Byzantine" means a faulty replica.) A rejected event never
changes the session (the caller keeps the one it had). Effects (`impl.core`): `Send`
(multicast), `SetTimer` (the view-change timer on the runtime's logical clock),
`Telemetry` with the seed's names, and `Decide` (an executed request with its proof: the
2f + 1 matching commits).

Events (the seed's names, plus the paper's CHECKPOINT, which the seed omits):

- `proposal_submission` (`request`: an `AuthRequest`): keep it; the primary assigns the
  next sequence number and multicasts PRE-PREPARE (§4.2).
- `pre_prepare` (`message`: `Signed(PrePrepareMsg)`, the request as `extra`): a backup
  accepts it and multicasts PREPARE (§4.2).
- `prepare`, `commit` (`message`: `Signed(PrepareMsg)` / `Signed(CommitMsg)`): prepared, it
  multicasts COMMIT; committed-local, it executes in order (§4.2).
- `checkpoint` (`message`: `Signed(CheckpointMsg)`, the snapshot as `extra`): with 2f + 1
  matching, the checkpoint is stable, h moves and the log below it is discarded (§4.3).
- `timeout` (`view`, `epoch`): the timer expired; move to view + 1 and multicast
  VIEW-CHANGE (§4.4, §4.5.2).
- `view_change` (`message`: `Signed(ViewChangeMsg)`): keep it; the new primary with 2f + 1
  multicasts NEW-VIEW (§4.4).
- `new_view` (`message`: `Signed(NewViewMsg)`): check V and O, enter the view, prepare O's
  pre-prepares (§4.4).

Every event's data may carry `now`, the runtime's logical clock. Any other event type is
`Error("unknown_byzantine_event")`; `EVENTS` declares each event's fields and reasons
(`impl.fields`): a key the event does not have is `unknown_field`, a required field
absent `missing_field`. A client submits through `impl.api.handle_event`, which also
takes the plain request (`client`, `timestamp`, `operation`) and signs it as the client;
the handler here takes only signed requests, so that nothing on the network makes an
honest replica authenticate as a client.

The validation functions (`validate_*`) name why a message is refused:
`bad_authenticator`, `wrong_view`, `not_from_primary`, `outside_watermarks`,
`digest_mismatch`, `conflicting_pre_prepare` (the primary signed two digests for one
view and sequence number: it joins `suspected_faulty`), `view_changing`,
`malformed_message`, `duplicate_message`, `invalid_view_change`, `invalid_new_view`,
`stale_timer`, `not_primary`.

Memory is bounded (§4.3): the log holds only sequence numbers inside the watermarks
h < n <= h + L, one PREPARE and one COMMIT per sender and sequence number (a second,
different one is evidence against its sender), checkpoints in (h, h + 2L], one
VIEW-CHANGE per sender (its latest); the executed history is a hash chain (`Snapshot`),
not a list.

Simplifications (each stated in the module it concerns): VIEW-CHANGE and NEW-VIEW carry
certificates of messages with full authenticators, and a receiver checks its own entry
(§4's signatures are replaced by authenticators, which is sound for the non-faulty
senders the quorums rely on); the paper's f + 1 rule joins only view + 1; a checkpoint
carries the (small) snapshot itself, so state transfer is adopting it; the reply cache
in the snapshot keeps each client's last timestamp, and the last `Reply` itself (§4.1,
sent straight to the client when a request runs, and again when the client retransmits
a request that ran) is kept beside it (`last_reply`), so a replica that adopted a
checkpoint cannot re-send replies for requests it did not run itself (f + 1 others can).
The client is `impl.client`. A primary assigns numbers only to requests a client sent
it (§4.1: "the client sends the request to the primary"); a request learnt from a
pre-prepare starts the replica's timer but is not proposed again by it as a later
primary (the paper relies on the client's retransmission for that). Messages for other
views are refused (`wrong_view`), not buffered.

The replica logic is written from the paper, independently of `spec.pbft`'s step; it
uses only its quorum functions (the constants policy: `impl.refinement`). Message bodies
are named `*Msg`, apart from the spec's actions (`spec.pbft.PrePrepare` is a step,
`PrePrepareMsg` what it sends). `impl.refinement.pbft` maps runtime configurations to
`spec.pbft` states, and the tests check every step against the spec.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import attrs

from impl.auth import NULL_DIGEST, KeyRing, canonical, digest, principal, verify
from impl.core import (
    Decide,
    Effect,
    Error,
    Ok,
    Send,
    SetTimer,
    Telemetry,
)
from impl.fields import SESSION_FAILED, Event, Field, Protocol, events, refuse_if_failed
from spec.pbft import (
    checkpoint_quorum,
    commit_quorum,
    join_quorum,
    max_faulty,
    prepare_quorum,
    view_change_quorum,
)

#: The protocol's name in telemetry: the seed's `[:foundation, :mabeam, :coordination,
#: :byzantine, event]`.
PROTOCOL = "byzantine"

#: The defaults of a deployment (`start_pbft`); a model's are its bounds
#: (`spec.pbft.PbftConfig`), small enough to be checked exhaustively.
CHECKPOINT_INTERVAL = 128
LOG_SIZE = 256
BASE_TIMEOUT = 100

#: The hash chain of the empty history.
GENESIS = hashlib.sha256(b"coordspec-pbft-genesis").hexdigest()


# --- messages ----------------------------------------------------------------------------


class ClientRequest(NamedTuple):
    """<REQUEST, o, t, c> (§4.1): operation o with timestamp t from client c."""

    client: str
    timestamp: int
    operation: int | str


class AuthRequest(NamedTuple):
    """A request with its client's authenticator (one MAC per replica)."""

    request: ClientRequest
    auth: tuple[bytes, ...]


class PrePrepareMsg(NamedTuple):
    """<PRE-PREPARE, v, n, d> (§4.2); the request travels beside it (`Signed.extra`)."""

    view: int
    seq: int
    digest: str


class PrepareMsg(NamedTuple):
    """<PREPARE, v, n, d, i> (§4.2)."""

    view: int
    seq: int
    digest: str
    replica: int


class CommitMsg(NamedTuple):
    """<COMMIT, v, n, D(m), i> (§4.2)."""

    view: int
    seq: int
    digest: str
    replica: int


class Snapshot(NamedTuple):
    """The service state after executing 1..seq: a hash chain of what was executed, and
    the reply cache (each client's last executed timestamp, sorted by client)."""

    seq: int
    chain: str
    replies: tuple[tuple[str, int], ...]


class CheckpointMsg(NamedTuple):
    """<CHECKPOINT, n, d, i> (§4.3): d is the digest of the snapshot after n."""

    seq: int
    state_digest: str
    replica: int


class Signed(NamedTuple):
    """A message body, its sender, the sender's authenticator over the body, and data the
    body binds by digest (a pre-prepare's request, a checkpoint's snapshot)."""

    body: PrePrepareMsg | PrepareMsg | CommitMsg | CheckpointMsg | ViewChangeMsg | NewViewMsg
    sender: int
    auth: tuple[bytes, ...]
    extra: AuthRequest | Snapshot | None = None


class Reply(NamedTuple):
    """<REPLY, v, t, c, i, r> (§4.1), sent by replica i straight to client c: `result`
    is the service state's hash chain after the request ran (every correct replica
    computes the same), `mac` the MAC under the key i shares with c."""

    view: int
    timestamp: int
    client: str
    replica: int
    result: str
    mac: bytes = b""

    def body(self) -> tuple[int, int, str, int, str]:
        """What the MAC covers."""
        return (self.view, self.timestamp, self.client, self.replica, self.result)


class PreparedCert(NamedTuple):
    """P_m (§4.4): the pre-prepare (with its request) and 2f matching prepares."""

    pre_prepare: Signed
    prepares: tuple[Signed, ...]


class StableProof(NamedTuple):
    """C (§4.4): the stable checkpoint's snapshot and 2f + 1 checkpoint messages."""

    snapshot: Snapshot
    checkpoints: tuple[Signed, ...]


class ViewChangeMsg(NamedTuple):
    """<VIEW-CHANGE, v+1, n, C, P, i> (§4.4)."""

    view: int
    replica: int
    stable: StableProof
    prepared: tuple[PreparedCert, ...]


class NewViewMsg(NamedTuple):
    """<NEW-VIEW, v+1, V, O> (§4.4): O as signed pre-prepares (requests as `extra`)."""

    view: int
    view_changes: tuple[Signed, ...]
    pre_prepares: tuple[Signed, ...]


class Executed(NamedTuple):
    """What a `Decide` effect carries: sequence number n was executed in `view`.

    `operation` is None for the null request and for a request the reply cache shows as
    already executed (a no-op); `chain` is the snapshot's hash chain after n.
    """

    seq: int
    view: int
    digest: str
    request: ClientRequest | None
    operation: int | str | None
    previous: str
    chain: str


#: The state before any execution, and its (empty) stable-checkpoint proof.
GENESIS_SNAPSHOT = Snapshot(0, GENESIS, ())
GENESIS_PROOF = StableProof(GENESIS_SNAPSHOT, ())


def request_digest(request: ClientRequest) -> str:
    """D(m): SHA-256 of the request's canonical encoding."""
    return digest(tuple(request))


def snapshot_digest(snapshot: Snapshot) -> str:
    """The digest a checkpoint message carries."""
    return digest(tuple(snapshot))


def extend_chain(chain: str, executed: str) -> str:
    """The hash chain after executing `executed` (a request digest, or NULL_DIGEST)."""
    return hashlib.sha256(f"{chain}{executed}".encode()).hexdigest()


# --- the session -------------------------------------------------------------------------


@attrs.frozen
class Params:
    """A replica group's validated parameters (`start_pbft` builds them)."""

    replicas: int
    checkpoint_interval: int
    log_size: int
    base_timeout: int
    seq_limit: int
    #: The replicas' agent ids, replica i's at index i: what `Send` names them by.
    participants: tuple[str, ...] = ()
    f: int = attrs.field(init=False)
    q_prepare: int = attrs.field(init=False)
    q_commit: int = attrs.field(init=False)
    q_view_change: int = attrs.field(init=False)
    q_checkpoint: int = attrs.field(init=False)
    q_join: int = attrs.field(init=False)

    @f.default
    def _f(self) -> int:
        return max_faulty(self.replicas)

    @q_prepare.default
    def _q_prepare(self) -> int:
        return prepare_quorum(self.replicas, self.f)

    @q_commit.default
    def _q_commit(self) -> int:
        return commit_quorum(self.replicas, self.f)

    @q_view_change.default
    def _q_view_change(self) -> int:
        return view_change_quorum(self.replicas, self.f)

    @q_checkpoint.default
    def _q_checkpoint(self) -> int:
        return checkpoint_quorum(self.replicas, self.f)

    @q_join.default
    def _q_join(self) -> int:
        return join_quorum(self.replicas, self.f)

    def primary(self, view: int) -> int:
        """§4: the primary of view v is v mod |R|."""
        return view % self.replicas


@attrs.frozen
class Slot:
    """The log for one sequence number in the current view."""

    pre_prepare: Signed | None = None
    prepares: Mapping[int, Signed] = attrs.field(factory=dict)
    commits: Mapping[int, Signed] = attrs.field(factory=dict)
    prepared: bool = False


@attrs.frozen(slots=False)
class PbftSession:
    """One replica's state. Frozen: every handler returns a new one.

    Not slotted, so that `_evolve` copies it with one dict update (the hot path).
    """

    session_id: str
    replica: int
    params: Params
    keys: KeyRing = attrs.field(eq=False, repr=False)
    view: int = 0
    changing: bool = False
    stable: StableProof = GENESIS_PROOF
    state: Snapshot = GENESIS_SNAPSHOT
    log: Mapping[int, Slot] = attrs.field(factory=dict)
    certs: Mapping[int, tuple[PreparedCert, ...]] = attrs.field(factory=dict)
    checkpoints: Mapping[int, Mapping[int, Signed]] = attrs.field(factory=dict)
    view_changes: Mapping[int, Signed] = attrs.field(factory=dict)
    pending: Mapping[str, AuthRequest] = attrs.field(factory=dict)
    from_clients: frozenset[str] = frozenset()
    suspected_faulty: frozenset[int] = frozenset()
    #: Each client's last reply (§4.1: re-sent when the client retransmits the request).
    last_reply: Mapping[str, Reply] = attrs.field(factory=dict)
    now: int = 0
    timer_epoch: int = 0
    timer_running: bool = False
    attempts: int = 0
    #: The replicas this one was told have failed (`impl.recovery`: seed §5.3).
    failed_replicas: frozenset[int] = frozenset()
    #: Why the session failed (`impl.recovery`), or None while it has not.
    failed: str | None = None

    @property
    def h(self) -> int:
        """The low water mark: the stable checkpoint's sequence number."""
        return self.stable.snapshot.seq

    @property
    def high(self) -> int:
        """The high water mark H = h + L (and never above the configured `seq_limit`)."""
        top = self.h + self.params.log_size
        return min(top, self.params.seq_limit) if self.params.seq_limit else top

    @property
    def agent_id(self) -> str:
        """This replica's agent id (its name in the directory and in `Send`)."""
        return self.params.participants[self.replica]

    @property
    def is_primary(self) -> bool:
        """Whether this replica is the primary of its current view."""
        return self.params.primary(self.view) == self.replica

    def log_size(self) -> int:
        """Messages held in the log, certificates and checkpoints (the memory bound)."""
        slots = sum(
            len(s.prepares) + len(s.commits) + (s.pre_prepare is not None)
            for s in self.log.values()
        )
        certs = sum(len(c) for c in self.certs.values())
        checkpoints = sum(len(c) for c in self.checkpoints.values())
        return slots + certs + checkpoints + len(self.view_changes) + len(self.pending)


def group_ids(replicas: int, participants: Sequence[str] | None) -> tuple[str, ...] | Error:
    """The replicas' agent ids: `participants` (distinct non-empty texts, one per
    replica), or by default their key names `principal(i)`."""
    ids = tuple(map(principal, range(replicas)) if participants is None else participants)
    if len(ids) != replicas or len(set(ids)) != replicas:
        return Error("invalid_config", f"participants: expected {replicas} distinct agent ids")
    if not all(isinstance(a, str) and a for a in ids):
        return Error("invalid_config", "participants: agent ids are non-empty texts")
    return ids


def start_pbft(
    session_id: str,
    replica: int,
    replicas: int,
    master_key: bytes,
    *,
    checkpoint_interval: int = CHECKPOINT_INTERVAL,
    log_size: int = LOG_SIZE,
    base_timeout: int = BASE_TIMEOUT,
    seq_limit: int = 0,
    participants: Sequence[str] | None = None,
) -> Ok[PbftSession] | Error:
    """Start replica `replica`'s session of a group of `replicas`.

    Args:
        session_id: names the session in telemetry.
        replica: this replica's index, 0..replicas-1.
        replicas: n >= 1; it tolerates f = (n - 1) // 3 Byzantine replicas.
        master_key: the deployment's key material (see `impl.auth`).
        checkpoint_interval: K, a checkpoint every K executions (0: none).
        log_size: L, the high water mark is h + L (L >= K when checkpoints are on).
        base_timeout: the view-change timer's first duration, in logical time units.
        seq_limit: a hard bound on sequence numbers (0: none), to keep runs inside a
            model's bounds.
        participants: the replicas' agent ids in replica order, distinct non-empty
            texts (by default `replica:0`, `replica:1`, ...); a `Send` names its sender
            and destinations by them, and the runtime finds them in its directory.

    Returns:
        `Ok(session)`, or `Error("invalid_config", ...)` naming the field.
    """
    checks = (
        ("replicas", replicas >= 1, f"replicas must be >= 1, got {replicas}"),
        ("replica", 0 <= replica < max(replicas, 1), f"replica must be in 0..{replicas - 1}"),
        ("checkpoint_interval", checkpoint_interval >= 0, "checkpoint_interval must be >= 0"),
        ("log_size", log_size >= max(1, checkpoint_interval), "log_size must be >= max(1, K)"),
        ("base_timeout", base_timeout >= 1, "base_timeout must be >= 1"),
        ("seq_limit", seq_limit >= 0, "seq_limit must be >= 0"),
    )
    for field, ok, message in checks:
        if not ok:
            return Error("invalid_config", f"{field}: {message}")
    ids = group_ids(replicas, participants)
    if isinstance(ids, Error):
        return ids
    params = Params(replicas, checkpoint_interval, log_size, base_timeout, seq_limit, ids)
    keys = KeyRing(principal(replica), master_key, replicas)
    return Ok(PbftSession(session_id, replica, params, keys))


# --- helpers -----------------------------------------------------------------------------


def _sign(s: PbftSession, body: object, extra: AuthRequest | Snapshot | None = None) -> Signed:
    return Signed(body, s.replica, s.keys.authenticator(body), extra)  # type: ignore[arg-type]


def _others(s: PbftSession) -> tuple[int, ...]:
    return tuple(j for j in range(s.params.replicas) if j != s.replica)


def _tele(s: PbftSession, event: str, **metadata: int | str) -> Telemetry:
    return Telemetry(
        PROTOCOL, event, s.session_id, {"view": s.view}, {"replica": s.replica, **metadata}
    )


def _authentic(s: PbftSession, m: Signed) -> bool:
    return verify(s.keys, s.replica, m.sender, m.body, m.auth)


def _request_ok(s: PbftSession, req: object) -> bool:
    """A well-formed client request whose authenticator entry for this replica checks."""
    if not isinstance(req, AuthRequest) or not isinstance(req.request, ClientRequest):
        return False
    return verify(s.keys, s.replica, req.request.client, tuple(req.request), req.auth)


def _executed(s: PbftSession, request: ClientRequest) -> bool:
    """The reply cache: the client's request with this timestamp (or a later one) ran."""
    last = dict(s.state.replies).get(request.client, 0)
    return request.timestamp <= last


# --- validation functions (each returns the reason a message is refused, or None) ---------


def validate_authenticator(s: PbftSession, m: object, kind: type) -> str | None:
    """The message is well formed and its authenticator entry for this replica checks."""
    if not isinstance(m, Signed) or not isinstance(m.body, kind):
        return "malformed_message"
    if getattr(m.body, "replica", m.sender) != m.sender or not _authentic(s, m):
        return "bad_authenticator"
    return None


def validate_in_view(s: PbftSession, view: int) -> str | None:
    """Normal-case messages are accepted only in the replica's current view (§4.2)."""
    if view != s.view:
        return "wrong_view"
    if s.changing:
        return "view_changing"
    return None


def validate_watermarks(s: PbftSession, seq: int) -> str | None:
    """h < n <= H (§4.2: "the sequence number ... is between a low water mark, h, and a
    high water mark, H")."""
    return None if s.h < seq <= s.high else "outside_watermarks"


def validate_pre_prepare(s: PbftSession, m: object) -> str | None:
    """§4.2: a backup accepts a pre-prepare if the signatures are correct and d is m's
    digest, it is in view v, it has not accepted a pre-prepare for v and n with a
    different digest, and n is between h and H."""
    reason = validate_authenticator(s, m, PrePrepareMsg)
    if reason:
        return reason
    assert isinstance(m, Signed) and isinstance(m.body, PrePrepareMsg)
    pp = m.body
    if m.sender != s.params.primary(pp.view):
        return "not_from_primary"
    if s.is_primary and pp.view == s.view:
        return "not_primary"
    reason = validate_in_view(s, pp.view) or validate_watermarks(s, pp.seq)
    if reason:
        return reason
    if not _request_ok(s, m.extra):
        return "bad_authenticator"
    assert isinstance(m.extra, AuthRequest)
    if request_digest(m.extra.request) != pp.digest:
        return "digest_mismatch"
    slot = s.log.get(pp.seq)
    if slot is not None and slot.pre_prepare is not None:
        if slot.pre_prepare.body.digest == pp.digest:  # type: ignore[union-attr]
            return "duplicate_message"
        return "conflicting_pre_prepare"
    return None


def validate_vote(s: PbftSession, m: object, kind: type) -> str | None:
    """A PREPARE or COMMIT: authentic, in view, inside the watermarks, a prepare not from
    the primary, and the sender's first for this sequence number."""
    reason = validate_authenticator(s, m, kind)
    if reason:
        return reason
    assert isinstance(m, Signed)
    body = m.body
    assert isinstance(body, PrepareMsg | CommitMsg)
    reason = validate_in_view(s, body.view) or validate_watermarks(s, body.seq)
    if reason:
        return reason
    if kind is PrepareMsg and m.sender == s.params.primary(body.view):
        return "not_from_backup"
    slot = s.log.get(body.seq, _EMPTY)
    votes = slot.prepares if kind is PrepareMsg else slot.commits
    old = votes.get(m.sender)
    if old is not None:
        same = old.body.digest == body.digest  # type: ignore[union-attr]
        return "duplicate_message" if same else "conflicting_" + EVENT_OF[kind]
    return None


def validate_checkpoint(s: PbftSession, m: object) -> str | None:
    """A CHECKPOINT: authentic, above h and within 2L of it, its snapshot matching d."""
    reason = validate_authenticator(s, m, CheckpointMsg)
    if reason:
        return reason
    assert isinstance(m, Signed) and isinstance(m.body, CheckpointMsg)
    c = m.body
    k = s.params.checkpoint_interval
    if not k or c.seq % k or not s.h < c.seq <= s.h + 2 * s.params.log_size:
        return "outside_watermarks"
    if not isinstance(m.extra, Snapshot) or snapshot_digest(m.extra) != c.state_digest:
        return "digest_mismatch"
    if m.extra.seq != c.seq:
        return "digest_mismatch"
    if m.sender in s.checkpoints.get(c.seq, {}):
        return "duplicate_message"
    return None


def valid_stable_proof(s: PbftSession, proof: object) -> bool:
    """C: the genesis snapshot, or 2f + 1 authentic matching checkpoints for it."""
    if not isinstance(proof, StableProof) or not isinstance(proof.snapshot, Snapshot):
        return False
    snap = proof.snapshot
    if snap.seq == 0:
        return snap == Snapshot(0, GENESIS, ()) and not proof.checkpoints
    want = CheckpointMsg(snap.seq, snapshot_digest(snap), -1)
    senders = set()
    for c in proof.checkpoints:
        if not isinstance(c, Signed) or not isinstance(c.body, CheckpointMsg):
            return False
        if (c.body.seq, c.body.state_digest) != want[:2] or c.body.replica != c.sender:
            return False
        if not _authentic(s, c):
            return False
        senders.add(c.sender)
    return len(senders) >= s.params.q_checkpoint


def valid_cert(s: PbftSession, cert: object, below: int, above: int) -> bool:
    """P_m: an authentic pre-prepare of a view below `below` for a sequence number above
    `above`, its request (or null), and 2f authentic matching prepares from backups."""
    if not isinstance(cert, PreparedCert) or not isinstance(cert.pre_prepare, Signed):
        return False
    pp_msg = cert.pre_prepare
    pp = pp_msg.body
    if not isinstance(pp, PrePrepareMsg) or not pp.view < below or pp.seq <= above:
        return False
    primary = s.params.primary(pp.view)
    if pp_msg.sender != primary or not _authentic(s, pp_msg):
        return False
    if pp.digest != NULL_DIGEST:
        if not _request_ok(s, pp_msg.extra):
            return False
        assert isinstance(pp_msg.extra, AuthRequest)
        if request_digest(pp_msg.extra.request) != pp.digest:
            return False
    senders = set()
    for p in cert.prepares:
        if not isinstance(p, Signed) or not isinstance(p.body, PrepareMsg):
            return False
        if p.body[:3] != tuple(pp) or p.sender == primary or p.body.replica != p.sender:
            return False
        if not _authentic(s, p):
            return False
        senders.add(p.sender)
    return len(senders) >= s.params.q_prepare


def validate_view_change(s: PbftSession, m: object) -> str | None:
    """A VIEW-CHANGE for a later view (or the one being changed to), with a valid C and
    P (§4.4: the new primary "checks ... the certificates")."""
    reason = validate_authenticator(s, m, ViewChangeMsg)
    if reason:
        return reason
    assert isinstance(m, Signed) and isinstance(m.body, ViewChangeMsg)
    vc = m.body
    if not (vc.view > s.view or (vc.view == s.view and s.changing)):
        return "wrong_view"
    old = s.view_changes.get(m.sender)
    if old is not None and old.body.view >= vc.view:  # type: ignore[union-attr]
        return "duplicate_message"
    if not valid_stable_proof(s, vc.stable):
        return "invalid_view_change"
    h = vc.stable.snapshot.seq
    if not all(valid_cert(s, c, vc.view, h) for c in vc.prepared):
        return "invalid_view_change"
    return None


def compute_o(
    view_changes: tuple[Signed, ...],
) -> tuple[StableProof, tuple[tuple[int, str, AuthRequest | None], ...]]:
    """The new primary's O (§4.4) from the view-changes V: the stable checkpoint it starts
    from, and (n, d, request) for each n in (min-s, max-s].

    "min-s [is] the sequence number of the latest stable checkpoint in V and max-s [is]
    the highest sequence number in a prepare message in V ... for each sequence number n
    between min-s and max-s ... (1) ... the request digest in the pre-prepare message for
    sequence number n with the highest view number in V ... (2) ... d_null."

    Two valid certificates of one view and sequence number cannot disagree (§4.2's
    invariant), so the highest view picks one; the larger digest breaks the tie a broken
    replica could make, as `spec.pbft.compute_o` does.
    """
    vcs = [m.body for m in view_changes if isinstance(m.body, ViewChangeMsg)]
    stable = max((vc.stable for vc in vcs), key=lambda p: p.snapshot.seq)
    min_s = stable.snapshot.seq
    best: dict[int, tuple[int, str, AuthRequest | None]] = {}
    for vc in vcs:
        for cert in vc.prepared:
            pp = cert.pre_prepare.body
            assert isinstance(pp, PrePrepareMsg)
            if pp.seq <= min_s:
                continue
            old = best.get(pp.seq)
            extra = cert.pre_prepare.extra
            req = extra if isinstance(extra, AuthRequest) else None
            if old is None or (pp.view, pp.digest) > old[:2]:
                best[pp.seq] = (pp.view, pp.digest, req)
    max_s = max(best, default=min_s)
    o = []
    for n in range(min_s + 1, max_s + 1):
        found = best.get(n)
        o.append((n, NULL_DIGEST, None) if found is None else (n, found[1], found[2]))
    return stable, tuple(o)


def validate_new_view(s: PbftSession, m: object) -> str | None:
    """A NEW-VIEW from the new primary with 2f + 1 valid view-changes for its view (the
    primary's own among them) and the O they give (§4.4: a backup "verifies that O is
    correct by performing a computation similar to the one used by the primary")."""
    reason = validate_authenticator(s, m, NewViewMsg)
    if reason:
        return reason
    assert isinstance(m, Signed) and isinstance(m.body, NewViewMsg)
    nv = m.body
    if m.sender != s.params.primary(nv.view):
        return "not_from_primary"
    if not (nv.view > s.view or (nv.view == s.view and s.changing)):
        return "wrong_view"
    if s.replica == m.sender:
        return "not_primary"
    senders = set()
    for vc in nv.view_changes:
        if (
            not isinstance(vc, Signed)
            or not isinstance(vc.body, ViewChangeMsg)
            or vc.body.view != nv.view
            or vc.body.replica != vc.sender
            or not _authentic(s, vc)
            or not valid_stable_proof(s, vc.body.stable)
            or not all(
                valid_cert(s, c, nv.view, vc.body.stable.snapshot.seq) for c in vc.body.prepared
            )
        ):
            return "invalid_new_view"
        senders.add(vc.sender)
    if len(senders) != len(nv.view_changes) or len(senders) < s.params.q_view_change:
        return "invalid_new_view"
    if m.sender not in senders:
        return "invalid_new_view"
    _, o = compute_o(nv.view_changes)
    if len(o) != len(nv.pre_prepares):
        return "invalid_new_view"
    for (n, d, _), pp in zip(o, nv.pre_prepares, strict=True):
        if not isinstance(pp, Signed) or pp.body != PrePrepareMsg(nv.view, n, d):
            return "invalid_new_view"
        if pp.sender != m.sender or not _authentic(s, pp):
            return "invalid_new_view"
    return None


# --- transitions -------------------------------------------------------------------------


_EMPTY = Slot()


def _evolve(s: PbftSession, changes: Mapping[str, object]) -> PbftSession:
    """`attrs.evolve` for the session, without its per-call introspection (the hot path:
    every message delivered makes a new session). The session has no validators, and
    `changes` names only its fields."""
    new = object.__new__(PbftSession)
    fields = new.__dict__
    fields.update(s.__dict__)
    fields.update(changes)
    return new


class _Step:
    """A session being updated by one event, and the effects collected so far."""

    def __init__(self, s: PbftSession) -> None:
        self.s = s
        self.effects: list[Effect] = []

    def set(self, **changes: object) -> None:
        self.s = _evolve(self.s, changes)

    def multicast(self, message: Signed) -> None:
        ids = self.s.params.participants
        self.effects.append(Send(self.s.agent_id, tuple(ids[j] for j in _others(self.s)), message))

    def tele(self, event: str, **metadata: int | str) -> None:
        self.effects.append(_tele(self.s, event, **metadata))

    def done(self) -> Ok[PbftSession]:
        return Ok(self.s, tuple(self.effects))

    # -- timers (§4.5.2) ------------------------------------------------------------------

    def start_timer(self) -> None:
        s = self.s
        epoch = s.timer_epoch + 1
        self.set(timer_epoch=epoch, timer_running=True)
        duration = s.params.base_timeout * 2**s.attempts
        self.effects.append(
            SetTimer(str(s.replica), s.now + duration, {"view": s.view, "epoch": epoch})
        )

    def refresh_timer(self, restart: bool = False) -> None:
        """Run the timer while a request waits (and restart it when asked); stop it when
        none does. While changing views it keeps running (waiting for NEW-VIEW)."""
        s = self.s
        if s.changing:
            return
        if not s.pending:
            if s.timer_running:
                self.set(timer_running=False, timer_epoch=s.timer_epoch + 1)
        elif restart or not s.timer_running:
            self.start_timer()

    # -- normal case (§4.2) ---------------------------------------------------------------

    def put_slot(self, seq: int, slot: Slot) -> None:
        self.set(log={**self.s.log, seq: slot})

    def propose(self) -> None:
        """The primary assigns sequence numbers to waiting requests, in arrival order."""
        s = self.s
        if not s.is_primary or s.changing:
            return
        assigned = {
            slot.pre_prepare.body.digest  # type: ignore[union-attr]
            for slot in s.log.values()
            if slot.pre_prepare is not None
        }
        seq = s.h + 1
        for d, req in s.pending.items():
            if d in assigned or d not in s.from_clients:
                continue
            while seq in self.s.log and self.s.log[seq].pre_prepare is not None:
                seq += 1
            if seq > self.s.high:
                return
            pp = _sign(self.s, PrePrepareMsg(s.view, seq, d), req)
            self.put_slot(seq, attrs.evolve(self.s.log.get(seq, _EMPTY), pre_prepare=pp))
            self.multicast(pp)
            self.tele("pre_prepare_sent", seq=seq, digest=d)

    def add_request(self, req: AuthRequest) -> None:
        d = request_digest(req.request)
        if d not in self.s.pending and not _executed(self.s, req.request):
            self.set(pending={**self.s.pending, d: req})

    def progress(self, seq: int) -> None:
        """Prepared: multicast COMMIT; then execute whatever is committed-local in order."""
        s = self.s
        slot = s.log.get(seq)
        if (
            slot is not None
            and slot.pre_prepare is not None
            and not slot.prepared
            and len(slot.prepares) >= s.params.q_prepare
        ):
            pp = slot.pre_prepare.body
            assert isinstance(pp, PrePrepareMsg)
            matching = tuple(
                m
                for j, m in sorted(slot.prepares.items())
                if m.body.digest == pp.digest  # type: ignore[union-attr]
            )
            if len(matching) >= s.params.q_prepare:
                commit = _sign(s, CommitMsg(s.view, seq, pp.digest, s.replica))
                cert = PreparedCert(slot.pre_prepare, matching[: s.params.q_prepare])
                self.put_slot(
                    seq,
                    attrs.evolve(slot, prepared=True, commits={**slot.commits, s.replica: commit}),
                )
                self.set(certs={**self.s.certs, seq: (*self.s.certs.get(seq, ()), cert)})
                self.multicast(commit)
                self.tele("commit_sent", seq=seq, digest=pp.digest)
        self.execute()

    def committed_local(self, seq: int) -> tuple[Signed, ...] | None:
        slot = self.s.log.get(seq)
        if slot is None or not slot.prepared or slot.pre_prepare is None:
            return None
        if len(slot.commits) < self.s.params.q_commit:
            return None
        d = slot.pre_prepare.body.digest  # type: ignore[union-attr]
        matching = tuple(
            m
            for _, m in sorted(slot.commits.items())
            if m.body.digest == d  # type: ignore[union-attr]
        )
        return matching if len(matching) >= self.s.params.q_commit else None

    def execute(self) -> None:
        """§4.2: "replica i executes the operation requested by m after committed-local is
        true and i's state reflects the sequential execution of all requests with lower
        sequence numbers"."""
        ran = False
        while not self.s.changing:
            s = self.s
            seq = s.state.seq + 1
            proof = self.committed_local(seq)
            if proof is None:
                break
            pp_msg = s.log[seq].pre_prepare
            assert pp_msg is not None and isinstance(pp_msg.body, PrePrepareMsg)
            d = pp_msg.body.digest
            req = pp_msg.extra.request if isinstance(pp_msg.extra, AuthRequest) else None
            replies = dict(s.state.replies)
            operation: int | str | None = None
            if req is not None and not _executed(s, req):
                operation = req.operation
                replies[req.client] = req.timestamp
            chain = extend_chain(s.state.chain, d if operation is not None else NULL_DIGEST)
            state = Snapshot(seq, chain, tuple(sorted(replies.items())))
            pending = {k: v for k, v in s.pending.items() if k != d and not _done(state, v)}
            self.set(state=state, pending=pending, from_clients=s.from_clients & pending.keys())
            done = Executed(seq, s.view, d, req, operation, s.state.chain, chain)
            self.effects.append(Decide(done, proof))
            if req is not None and operation is not None:
                self.reply(Reply(s.view, req.timestamp, req.client, s.replica, chain))
            self.tele("consensus_reached", seq=seq, digest=d)
            ran = True
            k = s.params.checkpoint_interval
            if k and seq % k == 0:
                c = _sign(self.s, CheckpointMsg(seq, snapshot_digest(state), s.replica), state)
                self.multicast(c)
                self.record_checkpoint(c)
        if ran:
            self.set(attempts=0)
            self.refresh_timer(restart=True)

    def reply(self, reply: Reply) -> None:
        """§4.1: "replica i sends the reply directly to the client"; kept to re-send."""
        s = self.s
        mac = hmac.digest(s.keys.key(reply.client), canonical(reply.body()), "sha256")
        signed = reply._replace(mac=mac)
        self.set(last_reply={**s.last_reply, reply.client: signed})
        self.effects.append(Send(s.agent_id, (reply.client,), signed))

    # -- checkpoints and garbage collection (§4.3) ----------------------------------------

    def record_checkpoint(self, c: Signed) -> None:
        body = c.body
        assert isinstance(body, CheckpointMsg)
        at = {**self.s.checkpoints.get(body.seq, {}), c.sender: c}
        self.set(checkpoints={**self.s.checkpoints, body.seq: at})
        matching = tuple(
            m
            for _, m in sorted(at.items())
            if m.body.state_digest == body.state_digest  # type: ignore[union-attr]
        )
        if len(matching) >= self.s.params.q_checkpoint:
            assert isinstance(c.extra, Snapshot)
            self.adopt(StableProof(c.extra, matching[: self.s.params.q_checkpoint]))
            self.tele("checkpoint_stable", seq=body.seq)
            self.propose()
            self.execute()

    def adopt(self, proof: StableProof) -> None:
        """Make `proof` the stable checkpoint (if newer): h moves, everything at or below
        it is discarded, and a replica behind it adopts its snapshot (state transfer)."""
        s = self.s
        h = proof.snapshot.seq
        if h <= s.h:
            return
        state = s.state
        if state.seq < h:
            state = proof.snapshot
        self.set(
            stable=proof,
            state=state,
            log={n: x for n, x in s.log.items() if n > h},
            certs={n: x for n, x in s.certs.items() if n > h},
            checkpoints={n: x for n, x in s.checkpoints.items() if n > h},
            pending=(pending := {k: v for k, v in s.pending.items() if not _done(state, v)}),
            from_clients=s.from_clients & pending.keys(),
        )

    # -- view change (§4.4) ---------------------------------------------------------------

    def start_view_change(self) -> None:
        s = self.s
        view = s.view + 1
        prepared = tuple(c for n in sorted(s.certs) for c in s.certs[n])
        vc = _sign(s, ViewChangeMsg(view, s.replica, s.stable, prepared))
        self.set(
            view=view,
            changing=True,
            log={},
            attempts=s.attempts + 1,
            view_changes={
                j: m
                for j, m in s.view_changes.items()
                if m.body.view >= view  # type: ignore[union-attr]
            }
            | {s.replica: vc},
        )
        self.multicast(vc)
        self.tele("view_change_initiated", new_view=view)
        self.start_timer()
        self.try_new_view()

    def try_new_view(self) -> None:
        """The new primary, changing to v with 2f + 1 view-changes for v (its own among
        them), multicasts NEW-VIEW and enters v."""
        s = self.s
        if not s.changing or not s.is_primary:
            return
        mine = [
            m
            for j, m in sorted(s.view_changes.items())
            if m.body.view == s.view  # type: ignore[union-attr]
        ]
        if len(mine) < s.params.q_view_change:
            return
        own = s.view_changes[s.replica]
        chosen = (own, *[m for m in mine if m.sender != s.replica][: s.params.q_view_change - 1])
        stable, o = compute_o(chosen)
        pps = tuple(_sign(s, PrePrepareMsg(s.view, n, d), req) for n, d, req in o)
        nv = _sign(s, NewViewMsg(s.view, chosen, pps))
        self.multicast(nv)
        self.tele("new_view_sent", new_view=s.view)
        self.enter_view(stable, pps, prepare=False)
        self.propose()

    def enter_view(self, stable: StableProof, pps: tuple[Signed, ...], prepare: bool) -> None:
        """Adopt V's checkpoint, enter the view in normal operation with O in the log; a
        backup multicasts a PREPARE for each of O's pre-prepares."""
        self.adopt(stable)
        s = self.s
        log: dict[int, Slot] = {}
        for pp in pps:
            body = pp.body
            assert isinstance(body, PrePrepareMsg)
            if isinstance(pp.extra, AuthRequest):
                self.add_request(pp.extra)
            slot = Slot(pre_prepare=pp)
            if prepare:
                p = _sign(s, PrepareMsg(body.view, body.seq, body.digest, s.replica))
                self.multicast(p)
                self.tele("prepare_sent", seq=body.seq, digest=body.digest)
                slot = attrs.evolve(slot, prepares={s.replica: p})
            if body.seq > s.h:
                log[body.seq] = slot
        self.set(
            log=log,
            changing=False,
            view_changes={
                j: m
                for j, m in self.s.view_changes.items()
                if m.body.view > s.view  # type: ignore[union-attr]
            },
        )
        self.set(timer_running=False, timer_epoch=self.s.timer_epoch + 1)
        self.refresh_timer()


def _done(state: Snapshot, req: AuthRequest) -> bool:
    return req.request.timestamp <= dict(state.replies).get(req.request.client, 0)


# --- the handlers --------------------------------------------------------------------------


def _on_request(s: PbftSession, data: Mapping[str, object]) -> Ok[PbftSession] | Error:
    req = data["request"]
    if not _request_ok(s, req):
        return Error("bad_authenticator", "the request's authenticator does not check")
    assert isinstance(req, AuthRequest)
    d = request_digest(req.request)
    last = s.last_reply.get(req.request.client)
    if last is not None and last.timestamp == req.request.timestamp:
        # §4.1: a retransmitted request that already ran gets its reply again
        return Ok(s, (Send(s.agent_id, (last.client,), last),))
    if d in s.from_clients or _executed(s, req.request):
        return Error("duplicate_message", "this request is already known")
    step = _Step(s)
    step.add_request(req)
    step.set(from_clients=s.from_clients | {d})
    step.propose()
    step.refresh_timer()
    return step.done()


def _on_pre_prepare(s: PbftSession, m: Signed) -> Ok[PbftSession] | Error:
    reason = validate_pre_prepare(s, m)
    if reason == "conflicting_pre_prepare":
        step = _Step(s)
        step.set(suspected_faulty=s.suspected_faulty | {m.sender})
        step.tele("message_rejected", reason=reason, sender=m.sender)
        return step.done()
    if reason:
        return Error(reason, f"pre-prepare from {m.sender}")
    pp = m.body
    assert isinstance(pp, PrePrepareMsg) and isinstance(m.extra, AuthRequest)
    step = _Step(s)
    p = _sign(s, PrepareMsg(pp.view, pp.seq, pp.digest, s.replica))
    slot = s.log.get(pp.seq, _EMPTY)
    step.put_slot(
        pp.seq, attrs.evolve(slot, pre_prepare=m, prepares={**slot.prepares, s.replica: p})
    )
    step.add_request(m.extra)
    step.multicast(p)
    step.tele("prepare_sent", seq=pp.seq, digest=pp.digest)
    step.progress(pp.seq)
    step.refresh_timer()
    return step.done()


def _on_vote(s: PbftSession, m: Signed, kind: type) -> Ok[PbftSession] | Error:
    reason = validate_vote(s, m, kind)
    if reason and reason.startswith("conflicting_"):
        step = _Step(s)
        step.set(suspected_faulty=s.suspected_faulty | {m.sender})
        step.tele("message_rejected", reason=reason, sender=m.sender)
        return step.done()
    if reason:
        return Error(reason, f"{EVENT_OF[kind]} from {m.sender}")
    body = m.body
    assert isinstance(body, PrepareMsg | CommitMsg)
    step = _Step(s)
    slot = s.log.get(body.seq, _EMPTY)
    if kind is PrepareMsg:
        slot = Slot(slot.pre_prepare, {**slot.prepares, m.sender: m}, slot.commits, slot.prepared)
    else:
        slot = Slot(slot.pre_prepare, slot.prepares, {**slot.commits, m.sender: m}, slot.prepared)
    step.put_slot(body.seq, slot)
    step.progress(body.seq)
    return step.done()


def _on_checkpoint(s: PbftSession, m: Signed) -> Ok[PbftSession] | Error:
    reason = validate_checkpoint(s, m)
    if reason:
        return Error(reason, f"checkpoint from {m.sender}")
    step = _Step(s)
    step.record_checkpoint(m)
    return step.done()


def _on_timeout(s: PbftSession, data: Mapping[str, object]) -> Ok[PbftSession] | Error:
    if data.get("epoch") != s.timer_epoch or not s.timer_running or data.get("view") != s.view:
        return Error("stale_timer", f"no timer {data.get('epoch')} in view {s.view}")
    step = _Step(s)
    step.start_view_change()
    return step.done()


def _on_view_change(s: PbftSession, m: Signed) -> Ok[PbftSession] | Error:
    reason = validate_view_change(s, m)
    if reason:
        return Error(reason, f"view-change from {m.sender}")
    vc = m.body
    assert isinstance(vc, ViewChangeMsg)
    step = _Step(s)
    step.set(view_changes={**s.view_changes, m.sender: m})
    # §4.5.2's f + 1 rule (restricted to the next view): join a view change that f + 1
    # replicas have started, so a view change does not wait for every timer.
    if not s.changing and vc.view == s.view + 1:
        joining = {
            j
            for j, x in step.s.view_changes.items()
            if x.body.view == vc.view  # type: ignore[union-attr]
        }
        if len(joining) >= s.params.q_join:
            step.start_view_change()
            return step.done()
    step.try_new_view()
    return step.done()


def _on_new_view(s: PbftSession, m: Signed) -> Ok[PbftSession] | Error:
    reason = validate_new_view(s, m)
    if reason:
        return Error(reason, f"new-view from {m.sender}")
    nv = m.body
    assert isinstance(nv, NewViewMsg)
    step = _Step(s)
    stable, _ = compute_o(nv.view_changes)
    step.set(view=nv.view)
    step.enter_view(stable, nv.pre_prepares, prepare=True)
    for n in sorted(step.s.log):
        step.progress(n)
    return step.done()


#: Every event's `now`: the runtime's logical clock.
NOW = Field(
    "now",
    "integer >= the session's clock",
    "the runtime's logical clock (timers are set on it)",
    default=None,
    default_text="the session's clock",
)
_AUTH = ("malformed_message", "bad_authenticator")
_NORMAL = (*_AUTH, "wrong_view", "view_changing", "outside_watermarks")


def _message(kind: str) -> Field:
    return Field("message", f"`Signed` ({kind})", "the message as a replica sent it")


#: Each event: its data's fields and the reasons it is refused for (`impl.fields`).
#: `proposal_submission` here is the network's form, a signed request; `impl.api` also
#: takes the client's plain one (`impl.api.PBFT_FIELDS`).
EVENTS: dict[str, Event] = events(
    Event(
        "proposal_submission",
        (
            Field(
                "request",
                "`AuthRequest`",
                "a client's request (`ClientRequest`) with its authenticator",
            ),
            NOW,
        ),
        ("bad_authenticator", "duplicate_message"),
    ),
    Event(
        "pre_prepare",
        (_message("`PrePrepareMsg`, the request as `extra`"), NOW),
        (*_NORMAL, "not_from_primary", "not_primary", "digest_mismatch", "duplicate_message"),
    ),
    Event(
        "prepare",
        (_message("`PrepareMsg`"), NOW),
        (*_NORMAL, "not_from_backup", "duplicate_message"),
    ),
    Event("commit", (_message("`CommitMsg`"), NOW), (*_NORMAL, "duplicate_message")),
    Event(
        "checkpoint",
        (_message("`CheckpointMsg`, the snapshot as `extra`"), NOW),
        (*_AUTH, "outside_watermarks", "digest_mismatch", "duplicate_message"),
    ),
    Event(
        "timeout",
        (
            Field("view", "integer", "the view the timer was set in (the `SetTimer`'s data)"),
            Field("epoch", "integer", "which timer (the `SetTimer`'s data)"),
            NOW,
        ),
        ("stale_timer",),
    ),
    Event(
        "view_change",
        (_message("`ViewChangeMsg`"), NOW),
        (*_AUTH, "wrong_view", "duplicate_message", "invalid_view_change"),
    ),
    Event(
        "new_view",
        (_message("`NewViewMsg`"), NOW),
        (*_AUTH, "not_from_primary", "wrong_view", "not_primary", "invalid_new_view"),
    ),
)

#: Any PBFT event's common reasons.
COMMON = (
    ("unknown_byzantine_event", "no such event_type"),
    ("malformed_message", "event_data is not a mapping, or `now` is before the clock"),
    ("unknown_field", "a key the event does not have"),
    ("missing_field", "a required field is absent"),
    SESSION_FAILED,
)

#: The replica's events as its handler takes them (the network's form).
FIELDS = Protocol("pbft", "start_pbft", EVENTS, COMMON, (NOW,))


def handle_byzantine_event(
    session: PbftSession, event_type: str, event_data: Mapping[str, object]
) -> Ok[PbftSession] | Error:
    """The seed's `handle_byzantine_event`: one event on one replica's session.

    Returns:
        `Ok(session, effects)`, or `Error(reason, detail)` with the session unchanged
        (`unknown_byzantine_event` for an event type not in `EVENTS`, `unknown_field`
        and `missing_field` for data that does not fit its declaration; every event on
        a failed session `session_failed`).
    """
    failed = refuse_if_failed(session.failed)
    if failed is not None:
        return failed
    event = EVENTS.get(event_type)
    if event is None:
        return Error("unknown_byzantine_event", f"no such event {event_type!r}")
    if not isinstance(event_data, Mapping):
        return Error("malformed_message", "event data must be a mapping")
    misfit = event.check(event_data)
    if misfit is not None:
        return misfit
    now = event_data.get("now", session.now)
    if not isinstance(now, int) or now < session.now:
        return Error("malformed_message", f"now must be an int >= {session.now}")
    if now != session.now:
        session = _evolve(session, {"now": now})
    if event_type == "proposal_submission":
        return _on_request(session, event_data)
    if event_type == "timeout":
        return _on_timeout(session, event_data)
    m = event_data["message"]
    if not isinstance(m, Signed):
        return Error("malformed_message", "data['message'] must be a Signed message")
    if event_type == "pre_prepare":
        return _on_pre_prepare(session, m)
    if event_type == "prepare":
        return _on_vote(session, m, PrepareMsg)
    if event_type == "commit":
        return _on_vote(session, m, CommitMsg)
    if event_type == "checkpoint":
        return _on_checkpoint(session, m)
    if event_type == "view_change":
        return _on_view_change(session, m)
    return _on_new_view(session, m)


#: The event name that carries each message body.
EVENT_OF: Mapping[type, str] = {
    PrePrepareMsg: "pre_prepare",
    PrepareMsg: "prepare",
    CommitMsg: "commit",
    CheckpointMsg: "checkpoint",
    ViewChangeMsg: "view_change",
    NewViewMsg: "new_view",
}
