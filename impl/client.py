"""A PBFT client as the paper's §4.1 describes it, pure like the replica.

"A client c requests the execution of state machine operation o by sending a <REQUEST,
o, t, c> message to the primary. ... A replica sends the reply to the request directly
to the client. The reply has the form <REPLY, v, t, c, i, r> ... The client waits for
f + 1 replies with valid signatures from different replicas, and with the same t and r,
before accepting the result r. ... If the client does not receive replies soon enough,
it broadcasts the request to all replicas."

`start_client(name, replicas, master_key, participants)` makes the client's state;
`client_request(c, operation)` sends the next request to the primary of the last view a
reply named (view 0 at first) and sets the client's timer; `handle_client_event(c,
"reply" | "timeout", data)` answers `Ok(new state, effects)` or `Error(reason)`, the
state unchanged on an error:

- a reply whose MAC does not check is `bad_authenticator`, one for another client
  `not_for_this_client`, one for no outstanding request or another timestamp
  `stale_reply`, a second from one replica for the same request `duplicate_message`;
- f + 1 replies from different replicas with the same timestamp and result accept it:
  `Decide(result, the replies)`, the view is the replies', and the timer stops; the
  client keeps the last `keep` accepted (timestamp, result) pairs (`accepted`), so that
  a long-running client's memory stays bounded;
- a timeout while the request waits multicasts it to every replica (which is what
  starts the backups' view-change timers, §4.5.2) and sets the timer again; a timeout
  of an older timer, or with nothing outstanding, is `stale_timer`.

One request is outstanding at a time (§4.1: "a client waits for one request to complete
before sending the next one"). The runtime (`impl.runtime.Runtime.client`) carries the
effects out.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence

import attrs

from impl.auth import KeyRing, canonical
from impl.core import Decide, Effect, Error, Ok, Send, SetTimer
from impl.pbft import BASE_TIMEOUT, AuthRequest, ClientRequest, Reply, group_ids
from spec.pbft import max_faulty, reply_quorum

#: How many accepted results a client keeps by default (the last ones).
KEEP_ACCEPTED = 128


@attrs.frozen
class PbftClient:
    """One client's state."""

    name: str
    participants: tuple[str, ...]
    keys: KeyRing = attrs.field(eq=False, repr=False)
    timeout: int = BASE_TIMEOUT
    view: int = 0
    timestamp: int = 0
    outstanding: AuthRequest | None = None
    #: The outstanding request's replies so far: replica -> its reply.
    replies: Mapping[int, Reply] = attrs.field(factory=dict)
    timer_epoch: int = 0
    now: int = 0
    #: The last `keep` accepted (timestamp, result) pairs, oldest first.
    accepted: tuple[tuple[int, str], ...] = ()
    keep: int = KEEP_ACCEPTED

    @property
    def f(self) -> int:
        """The number of faulty replicas the group tolerates."""
        return max_faulty(len(self.participants))

    @property
    def q_reply(self) -> int:
        """The matching replies a result needs (f + 1: the spec's `reply_quorum`)."""
        return reply_quorum(len(self.participants), self.f)

    @property
    def primary(self) -> str:
        """The primary of the last view a reply named (§4.1: p = v mod |R|)."""
        return self.participants[self.view % len(self.participants)]


def start_client(
    name: str,
    replicas: int,
    master_key: bytes,
    participants: Sequence[str] | None = None,
    timeout: int = BASE_TIMEOUT,
    keep: int = KEEP_ACCEPTED,
) -> Ok[PbftClient] | Error:
    """Client `name` of a group of `replicas` (agent ids `participants`, by default
    the replicas' key names); `timeout` is how long it waits for f + 1 replies, `keep`
    how many accepted results it remembers (the last ones)."""
    if not name:
        return Error("invalid_config", "name: a client's name is a non-empty text")
    ids = group_ids(replicas, participants)
    if isinstance(ids, Error):
        return ids
    if timeout < 1:
        return Error("invalid_config", "timeout: must be >= 1")
    if keep < 1:
        return Error("invalid_config", "keep: must be >= 1")
    keys = KeyRing(name, master_key, replicas)
    return Ok(PbftClient(name, ids, keys, timeout, keep=keep))


def _timer(c: PbftClient) -> tuple[PbftClient, SetTimer]:
    epoch = c.timer_epoch + 1
    return attrs.evolve(c, timer_epoch=epoch), SetTimer(c.name, c.now + c.timeout, {"epoch": epoch})


def client_request(c: PbftClient, operation: int | str) -> Ok[PbftClient] | Error:
    """Send <REQUEST, o, t, c> with the next timestamp to the primary, and set the timer."""
    if c.outstanding is not None:
        return Error("request_outstanding", "a client waits for one request at a time")
    request = ClientRequest(c.name, c.timestamp + 1, operation)
    signed = AuthRequest(request, c.keys.authenticator(tuple(request)))
    waiting, timer = _timer(attrs.evolve(c, timestamp=request.timestamp, outstanding=signed))
    return Ok(waiting, (Send(c.name, (c.primary,), signed), timer))


def _on_reply(c: PbftClient, reply: object) -> Ok[PbftClient] | Error:
    if not isinstance(reply, Reply) or not 0 <= reply.replica < len(c.participants):
        return Error("malformed_message", "expected a Reply from a replica of the group")
    expected = hmac.digest(c.keys.key(reply.replica), canonical(reply.body()), "sha256")
    if not hmac.compare_digest(expected, reply.mac):
        return Error("bad_authenticator", "the reply's MAC does not check")
    if reply.client != c.name:
        return Error("not_for_this_client", f"the reply is for {reply.client}")
    if c.outstanding is None or reply.timestamp != c.timestamp:
        return Error("stale_reply", f"no request with timestamp {reply.timestamp} waits")
    if reply.replica in c.replies:
        return Error("duplicate_message", "this replica has replied already")
    replies = {**c.replies, reply.replica: reply}
    matching = tuple(r for _, r in sorted(replies.items()) if r.result == reply.result)
    if len(matching) < c.q_reply:
        return Ok(attrs.evolve(c, replies=replies))
    kept = c.accepted[max(0, len(c.accepted) + 1 - c.keep) :]
    done = attrs.evolve(
        c,
        view=max(r.view for r in matching),
        outstanding=None,
        replies={},
        timer_epoch=c.timer_epoch + 1,  # the timer stops
        accepted=(*kept, (reply.timestamp, reply.result)),
    )
    return Ok(done, (Decide(reply.result, matching),))


def _on_timeout(c: PbftClient, data: Mapping[str, object]) -> Ok[PbftClient] | Error:
    if c.outstanding is None or data.get("epoch") != c.timer_epoch:
        return Error("stale_timer", "no request waits on this timer")
    again, timer = _timer(c)
    effects: tuple[Effect, ...] = (Send(c.name, c.participants, c.outstanding), timer)
    return Ok(again, effects)


def handle_client_event(
    c: PbftClient, event_type: str, data: Mapping[str, object]
) -> Ok[PbftClient] | Error:
    """`reply` (`message`: a `Reply`) or `timeout` (`epoch`); either may carry `now`."""
    now = data.get("now", c.now)
    if not isinstance(now, int) or now < c.now:
        return Error("malformed_event", "now: the logical clock never goes back")
    c = attrs.evolve(c, now=now) if now != c.now else c
    if event_type == "reply":
        return _on_reply(c, data.get("message"))
    if event_type == "timeout":
        return _on_timeout(c, data)
    return Error("unknown_client_event", f"{event_type!r}: a client takes reply and timeout")
