"""PBFT's claims restated from the state alone (Castro & Liskov OSDI'99 §4.2-§4.4).

Each claim is a function of the configuration and a state, computed again here with
deliberately naive loops over the message sets: f and the quorum are found from n by
search, CHECKPOINT and PREPARE messages are counted here, the high water mark is h + L
written again, and O is recomputed from view-change sets with a plain loop. The module
reads the state, the configuration and the message records only; it calls nothing of
spec/pbft/predicates.py (tests/test_restated_pbft.py checks that no function of
`spec.pbft` is among its globals), so that a bug in one of the spec's predicates (`H`,
`C`, `certificates`, `prepared_set`, `compute_o`, `V`) is not shared by the property that
states the claim. spec/pbft/properties.py lists these claims after the spec's own
invariants, in the paper's order (`CLAIMS`).

What the model's state lets a claim say: the message sets hold every message an honest
replica sent (they never shrink), the faulty replicas' messages are implicit (each may
have sent any matching message, unless the adversary is silent), and a replica's h only
grows. So "within the water marks when sent" is checked as "at or below its sender's H
now", and the V of a NEW-VIEW, which the model's message does not carry, as "some V of
the view-changes sent, completed by faulty ones, gives its O".
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from itertools import chain, combinations

from spec.pbft.config import PbftConfig
from spec.pbft.messages import (
    NULL,
    Cert,
    CheckpointMsg,
    CommitMsg,
    NewViewContent,
    NewViewMsg,
    PbftState,
    PrepareMsg,
    PrePrepareMsg,
    ViewChangeContent,
    ViewChangeMsg,
)

# --- the constants, found again from n -----------------------------------------------


def tolerated(n: int) -> int:
    """f, found by search: the largest number of faulty replicas with 3f + 1 <= n (§4)."""
    f = 0
    while 3 * (f + 1) + 1 <= n:
        f += 1
    return f


def quorum_of(n: int) -> int:
    """The quorum, found by search: the fewest replicas q such that any two sets of q
    replicas share f + 1 of them, so an honest one (2q - n >= f + 1); 2f + 1 at the
    paper's n = 3f + 1."""
    f, q = tolerated(n), 1
    while 2 * q - n < f + 1:
        q += 1
    return q


def honest_replicas(config: PbftConfig) -> list[int]:
    """The replicas not listed as faulty, in order."""
    return [i for i in range(config.replicas) if i not in config.faulty]


def faulty_helpers(config: PbftConfig, excluded: int | None = None) -> int:
    """How many faulty replicas may have sent a matching message: every faulty one but
    `excluded`, none when the adversary is silent."""
    if config.adversary != "byzantine":
        return 0
    return len({r for r in config.faulty if r != excluded})


# --- §4.2, §4.3: the water marks ---------------------------------------------------------


def high_water_mark(config: PbftConfig, low: int) -> int:
    """H for a low water mark h (§4.3): "H = h + k" with k the log size L, within the
    model's sequence numbers 1..max_seq; with no checkpoints h stays 0 and H is
    max_seq."""
    if config.checkpoint_interval == 0:
        return config.max_seq
    return min(config.max_seq, low + config.log_size)


@functools.lru_cache(maxsize=8192)
def _within_watermarks(
    config: PbftConfig,
    stable: tuple[int, ...],
    pre_prepares: frozenset[PrePrepareMsg],
    prepares: frozenset[PrepareMsg],
    commits: frozenset[CommitMsg],
) -> bool:
    top = {i: high_water_mark(config, stable[i]) for i in honest_replicas(config)}
    for _view, seq, _digest, replica in chain(prepares, commits):
        if replica in top and not 1 <= seq <= top[replica]:
            return False
    for pp in pre_prepares:
        primary = pp.view % config.replicas
        if primary in top and not 1 <= pp.seq <= top[primary]:
            return False
    return True


def within_watermarks(config: PbftConfig, s: PbftState) -> bool:
    """Every message an honest replica sent is at or below its high water mark H = h + L.

    Its PRE-PREPAREs, PREPAREs and COMMITs: §4.2, condition 4 of accepting a
    pre-prepare: "the sequence number in the pre-prepare message is between a low water
    mark, h, and a high water mark, H" (and so for prepares and commits), with
    "H = h + k" (§4.3). h only grows, so a message that was within the marks when sent
    is at or below the sender's H now (the low mark of the time is not in the state).
    The pre-prepares of an honest primary's NEW-VIEW are its own too.
    """
    return _within_watermarks(config, s.stable, s.pre_prepares, s.prepares, s.commits)


# --- §4.3: stable checkpoints --------------------------------------------------------------


def checkpoint_backed(
    config: PbftConfig, checkpoints: Iterable[CheckpointMsg], seq: int, state: tuple[int, ...]
) -> bool:
    """(seq, state) is the initial checkpoint, or 2f + 1 matching CHECKPOINT messages
    from different replicas may have been sent: the honest ones counted in the set, and
    the faulty replicas (which may send any)."""
    if seq == 0:
        return state == ()
    senders = set()
    for c in checkpoints:
        if c.seq == seq and c.state == state and c.replica not in config.faulty:
            senders.add(c.replica)
    return len(senders) + faulty_helpers(config) >= quorum_of(config.replicas)


@functools.lru_cache(maxsize=8192)
def _stable_checkpoints_proven(
    config: PbftConfig,
    stable: tuple[int, ...],
    executed: tuple[tuple[int, ...], ...],
    checkpoints: frozenset[CheckpointMsg],
    view_changes: frozenset[ViewChangeMsg],
    new_views: frozenset[NewViewMsg],
) -> bool:
    for i in honest_replicas(config):
        if not checkpoint_backed(config, checkpoints, stable[i], executed[i][: stable[i]]):
            return False
    carried = [(m.stable, m.state) for m in view_changes]
    carried += [(m.stable, m.state) for m in new_views]
    return all(checkpoint_backed(config, checkpoints, seq, state) for seq, state in carried)


def stable_checkpoints_proven(config: PbftConfig, s: PbftState) -> bool:
    """Every stable checkpoint honest replicas hold or send has 2f + 1 CHECKPOINT messages.

    Matching ones, from different replicas: §4.3: "Each replica collects checkpoint
    messages in its log until it has 2f + 1 of them for sequence number n with the same
    digest d signed by different replicas ... These 2f + 1 messages are the proof of
    correctness for the checkpoint", and "the low-water mark h is equal to the sequence
    number of the last stable checkpoint"; §4.4: a VIEW-CHANGE carries "C ... a set of
    2f + 1 valid checkpoint messages proving the correctness of s", and a NEW-VIEW
    starts O from one. Checked: each honest replica's h with the first h entries of its
    log (its state after h), each honest VIEW-CHANGE's checkpoint and each NEW-VIEW's,
    counting the CHECKPOINT messages here (the initial checkpoint 0 needs none).
    """
    return _stable_checkpoints_proven(
        config, s.stable, s.executed, s.checkpoints, s.view_changes, s.new_views
    )


# --- §4.4: the view-change's P ---------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def valid_certificates(
    config: PbftConfig,
    below: int,
    requests: frozenset[int],
    pre_prepares: frozenset[PrePrepareMsg],
    prepares: frozenset[PrepareMsg],
) -> frozenset[Cert]:
    """Every valid prepared certificate P_m of a view below `below`, by a plain search
    of every (view, sequence number, digest).

    §4.4: "Each set P_m contains a valid pre-prepare message (without the corresponding
    client message) and 2f matching, valid prepare messages signed by different backups
    with the same view, sequence number, and the digest of m": the digest is a request
    sent or the null one; the pre-prepare is in the set, or the view's primary is
    faulty and not silent; and the backups other than the primary whose PREPARE is in
    the set, with the faulty backups, are at least 2f (the quorum less one).
    """
    need = quorum_of(config.replicas) - 1
    found = set()
    for view in range(below):
        primary = view % config.replicas
        for seq in range(1, config.max_seq + 1):
            for digest in [NULL, *sorted(requests)]:
                if primary in config.faulty:
                    if config.adversary != "byzantine":
                        continue
                elif PrePrepareMsg(view, seq, digest) not in pre_prepares:
                    continue
                backups = set()
                for p in prepares:
                    matches = (p.view, p.seq, p.digest) == (view, seq, digest)
                    if matches and p.replica != primary and p.replica not in config.faulty:
                        backups.add(p.replica)
                if len(backups) + faulty_helpers(config, excluded=primary) >= need:
                    found.add(Cert(seq, digest, view))
    return frozenset(found)


@functools.lru_cache(maxsize=8192)
def _view_changes_carry_prepared(
    config: PbftConfig,
    view_changes: frozenset[ViewChangeMsg],
    requests: frozenset[int],
    pre_prepares: frozenset[PrePrepareMsg],
    prepares: frozenset[PrepareMsg],
    commits: frozenset[CommitMsg],
) -> bool:
    for vc in view_changes:
        valid = valid_certificates(config, vc.view, requests, pre_prepares, prepares)
        for c in vc.prepared:
            if c.seq <= vc.stable or c not in valid:
                return False
        for view, seq, digest, replica in commits:
            mine = replica == vc.replica and view < vc.view and seq > vc.stable
            if mine and Cert(seq, digest, view) not in vc.prepared:
                return False
    return True


def view_changes_carry_prepared(config: PbftConfig, s: PbftState) -> bool:
    """An honest VIEW-CHANGE's P: valid certificates, one per request prepared above n.

    Only valid prepared certificates, and one for each request its sender prepared above
    its checkpoint n: §4.4: "P is a set containing a set P_m for each request m that
    prepared at i with a sequence number higher than n", n its stable checkpoint, each
    P_m "a valid pre-prepare message ... and 2f matching, valid prepare messages signed
    by different backups" (`valid_certificates`, of views below the view-change's). An
    honest replica sends COMMIT exactly when it becomes prepared (§4.2), and only in its
    view, so every COMMIT it sent in an earlier view names a request that prepared at it
    before its VIEW-CHANGE: each one above n must be in P.
    """
    return _view_changes_carry_prepared(
        config, s.view_changes, s.requests, s.pre_prepares, s.prepares, s.commits
    )


# --- §4.4: the NEW-VIEW's O ----------------------------------------------------------------


def o_from(vcs: Sequence[ViewChangeContent]) -> NewViewContent:
    """The checkpoint and O that §4.4 computes from the view-changes of a V, a plain loop.

    "min-s [is] the sequence number of the latest stable checkpoint in V and max-s [is]
    the highest sequence number in a prepare message in V"; for each n between them,
    "the request digest in the pre-prepare message for sequence number n with the
    highest view number in V", or the null request when no set in P has n. (Certificates
    at or below min-s are below the checkpoint: they are not counted. Two of one view
    and number are never valid at once; if a broken variant makes them, the higher
    digest is taken, as the spec does.)
    """
    low = 0
    state: tuple[int, ...] = ()  # the initial checkpoint
    for stable, st, _ in vcs:
        low, state = max((low, state), (stable, st))
    best: dict[int, tuple[int, int]] = {}
    high = low
    for _, _, prepared in vcs:
        for c in prepared:
            if c.seq <= low:
                continue
            high = max(high, c.seq)
            if c.seq not in best or (c.view, c.digest) > best[c.seq]:
                best[c.seq] = (c.view, c.digest)
    o = set()
    for n in range(low + 1, high + 1):
        o.add((n, best[n][1] if n in best else NULL))
    return low, state, frozenset(o)


@functools.lru_cache(maxsize=4096)
def forged_view_changes(
    config: PbftConfig,
    view: int,
    requests: frozenset[int],
    pre_prepares: frozenset[PrePrepareMsg],
    prepares: frozenset[PrepareMsg],
    checkpoints: frozenset[CheckpointMsg],
) -> tuple[ViewChangeContent, ...]:
    """What the faulty replicas' VIEW-CHANGEs in a V for `view` may carry together: any
    backed checkpoint (the latest of theirs is the only one O reads) and any set of
    valid certificates (the union of theirs), every combination."""
    backed: set[tuple[int, tuple[int, ...]]] = {(0, ())}
    for c in checkpoints:
        if checkpoint_backed(config, checkpoints, c.seq, c.state):
            backed.add((c.seq, c.state))
    certs = sorted(valid_certificates(config, view, requests, pre_prepares, prepares))
    subsets = [frozenset(x) for k in range(len(certs) + 1) for x in combinations(certs, k)]
    return tuple((seq, state, p) for seq, state in sorted(backed) for p in subsets)


@functools.lru_cache(maxsize=4096)
def o_justified(
    config: PbftConfig,
    new_view: NewViewMsg,
    view_changes: frozenset[ViewChangeMsg],
    requests: frozenset[int],
    pre_prepares: frozenset[PrePrepareMsg],
    prepares: frozenset[PrepareMsg],
    checkpoints: frozenset[CheckpointMsg],
) -> bool:
    """Some V for the NEW-VIEW's view gives its checkpoint and O (`o_from`): the new
    primary's own VIEW-CHANGE, any others sent for that view, and, when the adversary is
    not silent, the faulty replicas' (`forged_view_changes`), 2f + 1 of them at least."""
    view = new_view.view
    primary = view % config.replicas
    sent = {vc.replica: vc for vc in view_changes if vc.view == view}
    if primary not in sent:
        return False
    target = (new_view.stable, new_view.state, new_view.pre_prepares)
    need, forgers = quorum_of(config.replicas), faulty_helpers(config)
    others = sorted(r for r in sent if r != primary)
    for size in range(len(others) + 1):
        for chosen in combinations(others, size):
            members = [sent[primary], *(sent[r] for r in chosen)]
            honest = [(m.stable, m.state, m.prepared) for m in members]
            missing = need - len(honest)
            if missing <= 0 and o_from(honest) == target:
                return True
            if forgers > 0 and missing <= forgers:
                forged = forged_view_changes(
                    config, view, requests, pre_prepares, prepares, checkpoints
                )
                if any(o_from([*honest, f]) == target for f in forged):
                    return True
    return False


def new_view_o_from_v(config: PbftConfig, s: PbftState) -> bool:
    """Each honest NEW-VIEW's O is the one §4.4 computes from some V of 2f + 1.

    Some V of 2f + 1 view-changes for its view at least, the new primary's own among
    them: §4.4: "V is a set containing the valid view-change messages received by the primary
    plus the view-change message for v+1 the primary sent", and O is computed from V
    (`o_from`); backups accept it only "if the set O is correct". The model's NEW-VIEW
    does not carry V, so the claim is that some V gives its checkpoint and O: the honest
    VIEW-CHANGEs sent for the view, as sent, and the faulty replicas' (valid ones:
    backed checkpoints, valid certificates). Messages are never withdrawn and validity
    only grows, so a V that gave O when it was sent still does.
    """
    return all(
        o_justified(
            config, nv, s.view_changes, s.requests, s.pre_prepares, s.prepares, s.checkpoints
        )
        for nv in s.new_views
    )


#: The claims, in the paper's order: the water marks (§4.2, §4.3), stable checkpoints
#: (§4.3), the view-change's P and the NEW-VIEW's O (§4.4).
CLAIMS = (
    within_watermarks,
    stable_checkpoints_proven,
    view_changes_carry_prepared,
    new_view_o_from_v,
)
