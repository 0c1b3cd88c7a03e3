"""MAC authenticators and request digests for the PBFT replica (Castro & Liskov OSDI'99 §3, §4).

§3: "we use message authentication codes (MACs) to authenticate all messages ... each
message carries an authenticator: a vector of MACs, one for each replica." Every pair of
principals (replica-replica, client-replica) shares a secret session key; the MAC for
receiver j is HMAC-SHA256 under the key shared by the sender and j. A receiver checks
only its own entry, so a message altered in transit, or sent under a name whose keys the
sender does not hold (a forged message), is rejected.

Request digests (§4.2, "d is m's digest") are SHA-256 of a canonical encoding: `repr` of
a tuple of ints, strings, `None` and nested tuples is deterministic (never depends on
PYTHONHASHSEED).

Simplifications: the session keys are derived from one master secret of the simulated
deployment (`pair_key`), standing in for the paper's key exchange; a `KeyRing` hands out
only the keys of pairs its owner belongs to, so a Byzantine replica (which holds its own
`KeyRing`) cannot authenticate as anybody else. Keys never rotate.
"""

from __future__ import annotations

import hashlib
import hmac

import attrs

#: The digest of the null request (§4.4: "a special null request ... whose execution is a
#: no-op"): no request hashes to it.
NULL_DIGEST = "0" * 64


def canonical(value: object) -> bytes:
    """The canonical encoding of a message body (ints, strings, None, bytes, tuples).

    The type's name comes first, so that a PREPARE's MAC never authenticates a COMMIT
    with the same fields; `tuple.__repr__` is the C-speed repr of the fields.
    """
    if isinstance(value, tuple):
        return (type(value).__name__ + tuple.__repr__(value)).encode()
    return repr(value).encode()


def digest(value: object) -> str:
    """SHA-256 of the canonical encoding, in hex (the paper's D(m))."""
    return hashlib.sha256(canonical(value)).hexdigest()


def principal(replica: int) -> str:
    """The name of replica i in key derivation."""
    return f"replica:{replica}"


def pair_key(master: bytes, a: str, b: str) -> bytes:
    """The session key shared by principals a and b (the same both ways)."""
    low, high = sorted((a, b))
    return hmac.digest(master, f"{low}|{high}".encode(), "sha256")


@attrs.frozen
class KeyRing:
    """The session keys one principal holds: its key with every replica.

    The cache is an implementation detail (keys are a pure function of the owner and
    the peer), so a `KeyRing` behaves as an immutable value.
    """

    owner: str
    master: bytes = attrs.field(repr=False)
    replicas: int
    _cache: dict[int | str, bytes] = attrs.field(factory=dict, eq=False, repr=False)

    def key(self, peer: int | str) -> bytes:
        """The key shared by the owner and `peer` (a replica index or a principal name)."""
        found = self._cache.get(peer)
        if found is None:
            name = principal(peer) if isinstance(peer, int) else peer
            found = self._cache[peer] = pair_key(self.master, self.owner, name)
        return found

    def authenticator(self, body: object) -> tuple[bytes, ...]:
        """The vector of MACs of `body`, entry j for replica j (§3)."""
        payload = canonical(body)
        return tuple(hmac.digest(self.key(j), payload, "sha256") for j in range(self.replicas))


def verify(
    keys: KeyRing, me: int, sender: int | str, body: object, auth: tuple[bytes, ...]
) -> bool:
    """Whether replica `me` (holding `keys`) accepts `auth` as `sender`'s MAC on `body`.

    `sender` is a replica index or a client's principal name. Only the receiver's own
    entry is checked, as in the paper.
    """
    if not 0 <= me < len(auth):
        return False
    expected = hmac.digest(keys.key(sender), canonical(body), "sha256")
    return hmac.compare_digest(expected, auth[me])
