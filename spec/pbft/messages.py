"""PBFT's messages, state and actions (Castro & Liskov OSDI'99 §4).

The message records are what honest replicas have sent (one set per kind in the
state, never shrunk); the actions are the paper's steps, named after them, each with
the parameters that pick one instance. Digests are the request values themselves, and
a checkpoint's state digest is the executed log itself.
"""

from __future__ import annotations

from typing import NamedTuple

import attrs

#: The digest of the null request (§4.4: "a special null request ... which goes
#: through the protocol like other requests, but its execution is a no-op").
NULL = 0


# --- messages (what honest replicas have sent) -----------------------------------------


class PrePrepareMsg(NamedTuple):
    """<PRE-PREPARE, v, n, d> from the primary of view v."""

    view: int
    seq: int
    digest: int


class PrepareMsg(NamedTuple):
    """<PREPARE, v, n, d, i> from backup i."""

    view: int
    seq: int
    digest: int
    replica: int


class CommitMsg(NamedTuple):
    """<COMMIT, v, n, d, i> from replica i."""

    view: int
    seq: int
    digest: int
    replica: int


class CheckpointMsg(NamedTuple):
    """<CHECKPOINT, n, d, i>: the state after executing n is the log `state`."""

    seq: int
    state: tuple[int, ...]
    replica: int


class Cert(NamedTuple):
    """A prepared certificate P_m: the pre-prepare (view, seq, digest) and 2f prepares."""

    seq: int
    digest: int
    view: int


class ViewChangeMsg(NamedTuple):
    """<VIEW-CHANGE, v+1, n, C, P, i>: the stable checkpoint and prepared certificates."""

    view: int
    replica: int
    stable: int
    state: tuple[int, ...]
    prepared: frozenset[Cert]


class NewViewMsg(NamedTuple):
    """<NEW-VIEW, v+1, V, O>, with V summarised by the checkpoint O starts from."""

    view: int
    stable: int
    state: tuple[int, ...]
    pre_prepares: frozenset[tuple[int, int]]


#: What a VIEW-CHANGE carries into the O computation: its stable checkpoint's sequence
#: number and state, and its prepared certificates P.
ViewChangeContent = tuple[int, tuple[int, ...], frozenset[Cert]]

#: What a NEW-VIEW carries: the checkpoint O starts from (min-s, its state) and O itself,
#: as (sequence number, digest) pairs.
NewViewContent = tuple[int, tuple[int, ...], frozenset[tuple[int, int]]]


# --- state -----------------------------------------------------------------------------


@attrs.frozen
class PbftState:
    """Per-replica variables and the sets of messages honest replicas have sent."""

    #: view[i]: the view replica i is in (or moving to, while `changing`).
    view: tuple[int, ...]
    #: changing[i]: i has sent its VIEW-CHANGE for view[i] and awaits the NEW-VIEW.
    changing: tuple[bool, ...]
    #: executed[i]: the digests i has executed, sequence number n at position n - 1.
    executed: tuple[tuple[int, ...], ...]
    #: stable[i]: the sequence number of i's last stable checkpoint (h, §4.3).
    stable: tuple[int, ...]
    #: The client requests sent (§4.1).
    requests: frozenset[int]
    #: The pre-prepares honest primaries have sent (and those of NEW-VIEWs' O).
    pre_prepares: frozenset[PrePrepareMsg]
    #: The prepares honest backups have sent.
    prepares: frozenset[PrepareMsg]
    #: The commits honest replicas have sent.
    commits: frozenset[CommitMsg]
    #: The checkpoints honest replicas have sent.
    checkpoints: frozenset[CheckpointMsg]
    #: The view-changes honest replicas have sent.
    view_changes: frozenset[ViewChangeMsg]
    #: The new-views honest primaries have sent.
    new_views: frozenset[NewViewMsg]


# --- actions ---------------------------------------------------------------------------


@attrs.frozen
class Request:
    """A client sends request `value` (§4.1)."""

    value: int


@attrs.frozen
class PrePrepare:
    """The primary assigns sequence number `seq` to request `digest` (§4.2)."""

    replica: int
    view: int
    seq: int
    digest: int


@attrs.frozen
class Prepare:
    """Backup `replica` accepts the pre-prepare and multicasts PREPARE (§4.2)."""

    replica: int
    view: int
    seq: int
    digest: int


@attrs.frozen
class Commit:
    """`replica` becomes prepared and multicasts COMMIT (§4.2)."""

    replica: int
    view: int
    seq: int
    digest: int


@attrs.frozen
class Execute:
    """`replica`, committed-local, executes `seq` after all lower ones (§4.2)."""

    replica: int
    view: int
    seq: int
    digest: int


@attrs.frozen
class StableCheckpoint:
    """`replica` collects 2f + 1 matching checkpoints and moves h to `seq` (§4.3)."""

    replica: int
    seq: int
    state: tuple[int, ...]


@attrs.frozen
class Timeout:
    """`replica`'s timer expires: it moves to `view` and multicasts VIEW-CHANGE (§4.4)."""

    replica: int
    view: int


@attrs.frozen
class NewView:
    """The new primary multicasts NEW-VIEW with the O it computed (§4.4)."""

    replica: int
    view: int
    stable: int
    state: tuple[int, ...]
    pre_prepares: frozenset[tuple[int, int]]


@attrs.frozen
class AcceptNewView:
    """Backup `replica` checks O, enters `view` and prepares O's pre-prepares (§4.4)."""

    replica: int
    view: int
    stable: int
    state: tuple[int, ...]
    pre_prepares: frozenset[tuple[int, int]]


Action = (
    Request
    | PrePrepare
    | Prepare
    | Commit
    | Execute
    | StableCheckpoint
    | Timeout
    | NewView
    | AcceptNewView
)

#: The actions a replica takes (every one but a client's `Request`).
ReplicaAction = (
    PrePrepare | Prepare | Commit | Execute | StableCheckpoint | Timeout | NewView | AcceptNewView
)

#: The actions of a replica in normal operation in a view (§4.2).
NormalAction = PrePrepare | Prepare | Commit | Execute
