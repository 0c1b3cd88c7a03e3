"""A deterministic simulated network for PBFT replicas, and the adversary that runs it.

The handlers (`impl.pbft`) are pure; this runtime carries out their effects: `Send`
puts one packet per destination in flight, `SetTimer` schedules a `timeout` event on the
logical clock, `Telemetry` goes to the sink, `Decide` is recorded. Whoever drives the
runtime is the adversary and the scheduler at once (Castro & Liskov §2: "an adversary
... can delay communication, ... delay correct nodes"): it picks which packet is
delivered next (`deliver`), and may `drop`, `duplicate` or `delay` (reorder) packets,
`partition` and `heal` the network, `crash` replicas (and `recover` them, by state
transfer through a stable checkpoint) and fire timers (`fire_timer`, which advances the
clock). `run` is the ordinary scheduler: FIFO, or a seeded random order, timers firing
when nothing else is left.

Clients (§4.1, `impl.client`): `client(name)` starts one and `request(name, o)` sends
its next request to the primary; the runtime carries its replies (which cross any
partition, as the client's requests do) and fires its timer, on which it multicasts the
request; `call(name, o)` sends one and runs until it is accepted. `submit` is a client
that multicasts at once and does not listen. Every replica and client is registered in
the directory (`impl.directory`), by agent id, and every message from a replica is
delivered through it.

The Byzantine replicas (`faulty`) have no session: the adversary speaks for them with
their keys (`byzantine_send`), so it can stay silent, equivocate (`equivocate`), support
any quorum (`byzantine_vote`), send view-changes with whatever certificates it can build
from messages it has seen (`byzantine_view_change`) or bogus ones
(`bogus_view_change`), make a faulty primary's NEW-VIEW (`byzantine_new_view`), replay
old messages (`replay`) and forge messages under an honest replica's name (`forge`,
which fails authentication). It sees every message sent, including client requests.

Everything is deterministic: the only randomness is `random.Random(seed)`, and no set
or dict iteration order reaches an output. With `record=True` the runtime keeps what the
abstraction function needs (`impl.refinement.pbft`): every message an honest replica
sent, the requests submitted, and the hash chains of executed histories; without it the
runtime keeps only what is in flight, so its memory stays bounded on long runs.
"""

from __future__ import annotations

import random
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from functools import partial

import attrs

from impl.auth import NULL_DIGEST, KeyRing
from impl.client import PbftClient, client_request, handle_client_event, start_client
from impl.core import Decide, Effect, Error, Ok, Send, SetTimer, Sink, Telemetry, logging_sink
from impl.directory import AgentDirectory, AgentStatus, Route, broadcast
from impl.pbft import (
    EVENT_OF,
    GENESIS,
    PROTOCOL,
    AuthRequest,
    CheckpointMsg,
    ClientRequest,
    CommitMsg,
    Executed,
    NewViewMsg,
    PbftSession,
    PreparedCert,
    PrepareMsg,
    PrePrepareMsg,
    Reply,
    Signed,
    Snapshot,
    StableProof,
    ViewChangeMsg,
    compute_o,
    group_ids,
    handle_byzantine_event,
    request_digest,
    start_pbft,
    valid_stable_proof,
)

Result = Ok[PbftSession] | Error | None

#: The sender of a client's packets.
CLIENT = -1

#: Replica i's process id in the directory is PID_BASE + i; client k's (in the order
#: they first sent) CLIENT_PID_BASE + k.
PID_BASE = 100
CLIENT_PID_BASE = 10_000


@attrs.frozen
class Packet:
    """One message in flight from `sender` to `dest`, as a handler event."""

    ident: int
    sender: int
    dest: int
    event: str
    data: Mapping[str, object] = attrs.field(eq=False)


def _epoch(timer: Timer) -> int:
    epoch = timer.data.get("epoch", 0)
    return epoch if isinstance(epoch, int) else 0


@attrs.frozen
class Timer:
    """A `timeout` event due to `owner` at logical time `at`."""

    at: int
    owner: int
    data: Mapping[str, object] = attrs.field(eq=False)


class Runtime:
    """n replicas (the `faulty` ones played by the adversary) on a simulated network."""

    def __init__(
        self,
        replicas: int,
        faulty: Iterable[int] = (),
        *,
        seed: int = 0,
        checkpoint_interval: int = 128,
        log_size: int = 256,
        base_timeout: int = 100,
        seq_limit: int = 0,
        max_view: int | None = None,
        record: bool = False,
        sink: Sink = logging_sink,
        session_id: str = "pbft",
        participants: Sequence[str] | None = None,
        nodes: int = 2,
    ) -> None:
        """Start every honest replica, and register every replica in the directory:
        replica i as agent `participants[i]` (default `replica:i`), process `PID_BASE +
        i`, on node `node-k` (the replicas split into `nodes` contiguous groups).

        Raises:
            ValueError: a bad parameter (the message names it).
        """
        self.n = replicas
        self.faulty = frozenset(faulty)
        if not self.faulty <= set(range(replicas)):
            raise ValueError(f"faulty: replicas must be in 0..{replicas - 1}")
        if not 1 <= nodes <= max(replicas, 1):
            raise ValueError(f"nodes: expected 1..{max(replicas, 1)}, got {nodes}")
        self.master = f"coordspec-{seed}".encode()
        self.rng = random.Random(seed)
        self.max_view = max_view
        self.base_timeout = base_timeout
        self.record = record
        self.sink = sink
        self.sessions: dict[int, PbftSession] = {}
        # How replica i's session starts (at first, and again when it recovers).
        self.start = partial(
            start_pbft,
            session_id,
            replicas=replicas,
            master_key=self.master,
            checkpoint_interval=checkpoint_interval,
            log_size=log_size,
            base_timeout=base_timeout,
            seq_limit=seq_limit,
            participants=participants,
        )
        for i in range(replicas):
            if i in self.faulty:
                continue
            started = self.start(i)
            if isinstance(started, Error):
                raise ValueError(started.detail)
            self.sessions[i] = started.session
        ids = group_ids(replicas, participants)
        if isinstance(ids, Error):  # (when every replica is faulty, no session checked them)
            raise ValueError(ids.detail)
        self.participants = ids
        self.node_of = tuple(f"node-{i * nodes // replicas}" for i in range(replicas))
        self.directory = AgentDirectory()
        for i, agent in enumerate(self.participants):
            self.directory.register(agent, PID_BASE + i, self.node_of[i])
        # How each destination of each Send was reached (local, cross_node, not_found).
        self.routes: Counter[Route] = Counter()
        # The clients, in the order they first sent: a PbftClient for one made with
        # `client` (it hears replies), None for `submit`'s (it does not listen).
        self.clients: dict[str, PbftClient | None] = {}
        self.client_names: list[str] = []  # client k is process CLIENT_PID_BASE + k
        self.client_timers: dict[str, tuple[int, Mapping[str, object]]] = {}
        self.keys = {i: KeyRing(f"replica:{i}", self.master, replicas) for i in self.faulty}
        self.inflight: deque[Packet] = deque()
        # Each replica's live timer: the one it set last (a new one makes the old stale).
        self.timers: dict[int, Timer] = {}
        self.clock = 0
        self.crashed: set[int] = set()
        self.groups: tuple[frozenset[int], ...] = ()
        self.next_ident = 0
        self.rejected: Counter[str] = Counter()
        self.decided: dict[int, int] = {}
        self.delivered = 0
        # What the abstraction and the adversary need (record mode only).
        self.sent: list[Signed] = []
        self.requests: dict[str, AuthRequest] = {}
        self.chains: dict[str, tuple[str, ...]] = {GENESIS: ()}
        self.seen: list[Signed] = []
        self.last_timestamp: dict[str, int] = {}

    # -- the network ----------------------------------------------------------------------

    @property
    def honest(self) -> tuple[int, ...]:
        """The replicas with a session, in order."""
        return tuple(sorted(self.sessions))

    def _put(self, sender: int, dest: int, event: str, data: Mapping[str, object]) -> None:
        self.inflight.append(Packet(self.next_ident, sender, dest, event, data))
        self.next_ident += 1

    def connected(self, a: int, b: int) -> bool:
        """Whether the partition (if any) lets a packet from a reach b (clients reach all,
        and all reach them)."""
        if not self.groups or CLIENT in (a, b):
            return True
        return any(a in g and b in g for g in self.groups)

    def deliverable(self) -> list[int]:
        """Positions of the packets that can be delivered now."""
        return [k for k, p in enumerate(self.inflight) if self.connected(p.sender, p.dest)]

    def _enrol(self, name: str, client: PbftClient | None) -> None:
        if name not in self.clients:
            self.directory.register(name, CLIENT_PID_BASE + len(self.client_names), self.node_of[0])
            self.client_names.append(name)
        self.clients[name] = client

    def submit(self, operation: int | str, client: str | None = None) -> AuthRequest:
        """A client that does not listen multicasts a request to every replica at once (as
        a retransmission would, §4.1); returns it. See `client` for one that waits."""
        name = client or f"client:{operation}"
        if name not in self.clients:
            self._enrol(name, None)
        timestamp = self.last_timestamp.get(name, 0) + 1
        self.last_timestamp[name] = timestamp
        request = ClientRequest(name, timestamp, operation)
        auth = KeyRing(name, self.master, self.n).authenticator(tuple(request))
        signed = AuthRequest(request, auth)
        if self.record:
            self.requests[request_digest(request)] = signed
        for i in range(self.n):
            self._put(CLIENT, i, "proposal_submission", {"request": signed})
        return signed

    # -- clients (§4.1) -------------------------------------------------------------------

    def client(self, name: str, timeout: int | None = None) -> PbftClient:
        """Start client `name` (registered in the directory on node-0): it sends each
        request to the primary, accepts a result on f + 1 matching replies, and on its
        timer (`timeout`, by default the replicas' base timeout) multicasts it."""
        if self.clients.get(name) is not None:
            raise ValueError(f"client: {name!r} is started already")
        started = start_client(
            name, self.n, self.master, self.participants, timeout or self.base_timeout
        )
        if isinstance(started, Error):
            raise ValueError(started.detail)
        self._enrol(name, started.session)
        return started.session

    def accepted(self, name: str) -> tuple[tuple[int, str], ...]:
        """The (timestamp, result) pairs client `name` has accepted, in order (the last
        ones: a client keeps `impl.client.KEEP_ACCEPTED`)."""
        c = self.clients.get(name)
        return () if c is None else c.accepted

    def request(self, name: str, operation: int | str) -> AuthRequest:
        """Client `name` (see `client`) sends its next request to the primary; returns it.

        Raises:
            ValueError: no such client, or its previous request is not accepted yet.
        """
        c = self.clients.get(name)
        if c is None:
            raise ValueError(f"client: no client {name!r} (start it with Runtime.client)")
        result = client_request(attrs.evolve(c, now=self.clock), operation)
        if isinstance(result, Error):
            raise ValueError(str(result))
        self._client_effects(result.session, result.effects)
        signed = result.session.outstanding
        assert signed is not None
        self.last_timestamp[name] = signed.request.timestamp
        if self.record:
            self.requests[request_digest(signed.request)] = signed
        return signed

    def call(self, name: str, operation: int | str, max_steps: int = 1_000_000) -> str:
        """Client `name` sends its next request (`request`) and waits for the result:
        every packet is delivered (FIFO), and a timer (the earliest, as in `run`) fires
        only when nothing is in flight and the request still waits. So the logical clock
        moves only while the client waits: a client that has its result sends the next
        request before any replica's timer expires. Returns the accepted result.

        Raises:
            ValueError: as `request`; or nothing is left to deliver or fire (or
                `max_steps` steps were taken) and the request is not accepted.
        """
        signed = self.request(name, operation)
        steps = self.run(max_steps, timers=False)
        while self._waiting(name) and steps < max_steps and self.run(1):  # a timer fired
            steps += 1 + self.run(max_steps - steps - 1, timers=False)
        c = self.clients[name]
        assert c is not None  # (`request` refuses a client that does not listen)
        if c.outstanding is not None:
            raise ValueError(f"call: request {signed.request.timestamp} of {name!r} not accepted")
        return c.accepted[-1][1]

    def _waiting(self, name: str) -> bool:
        c = self.clients[name]
        return c is not None and c.outstanding is not None

    def fire_client_timer(self, name: str) -> Ok[PbftClient] | Error | None:
        """Advance the clock to client `name`'s timer and fire it (None: none is set)."""
        due = self.client_timers.pop(name, None)
        c = self.clients.get(name)
        if due is None or c is None:
            return None
        self.clock = max(self.clock, due[0])
        return self._client_event(c, "timeout", due[1])

    def _client_event(
        self, c: PbftClient, event: str, data: Mapping[str, object]
    ) -> Ok[PbftClient] | Error:
        result = handle_client_event(c, event, {**data, "now": max(self.clock, c.now)})
        if isinstance(result, Error):
            self.rejected[result.reason] += 1
            return result
        self._client_effects(result.session, result.effects)
        return result

    def _client_effects(self, c: PbftClient, effects: tuple[Effect, ...]) -> None:
        self.clients[c.name] = c
        for effect in effects:
            if isinstance(effect, Send):
                assert isinstance(effect.message, AuthRequest)
                data = {"request": effect.message}
                self._broadcast(CLIENT, effect.to, "proposal_submission", data)
            elif isinstance(effect, SetTimer):
                self.client_timers[c.name] = (effect.at, effect.data)
            elif isinstance(effect, Decide):
                self.client_timers.pop(c.name, None)

    def deliver(self, k: int = 0) -> Result:
        """Deliver the packet at position k; returns the handler's answer (None when the
        destination is faulty or crashed, or the partition holds the packet)."""
        packet = self.inflight[k]
        if not self.connected(packet.sender, packet.dest):
            return None
        del self.inflight[k]
        if packet.dest == CLIENT:
            reply = packet.data["message"]
            assert isinstance(reply, Reply)
            c = self.clients.get(reply.client)
            if c is not None:
                self._client_event(c, "reply", packet.data)
            return None
        return self._handle(packet.dest, packet.event, packet.data)

    def drop(self, k: int) -> None:
        """Lose the packet at position k."""
        del self.inflight[k]

    def duplicate(self, k: int) -> None:
        """Put a copy of the packet at position k at the end of the queue."""
        p = self.inflight[k]
        self._put(p.sender, p.dest, p.event, p.data)

    def delay(self, k: int) -> None:
        """Move the packet at position k to the end of the queue (reordering)."""
        p = self.inflight[k]
        del self.inflight[k]
        self.inflight.append(p)

    def partition(self, *groups: Iterable[int]) -> None:
        """Only replicas in one group can talk; held packets wait for `heal`."""
        self.groups = tuple(frozenset(g) for g in groups)

    def heal(self) -> None:
        """End the partition."""
        self.groups = ()

    def crash(self, i: int) -> None:
        """Replica i stops: packets to it are lost from now on, its timers never fire."""
        self.crashed.add(i)

    def recover(self, i: int) -> PbftSession:
        """Crashed replica i restarts, and catches up by state transfer through a stable
        checkpoint; returns its new session.

        A crash loses the replica's volatile state: it restarts from a fresh session (its
        keys come from the master key, as at the start). It then asks the other replicas
        for their stable checkpoint and view, and takes (1) the most recent stable
        checkpoint proof that it checks itself (`valid_stable_proof`: 2f + 1 authentic
        CHECKPOINT messages matching the snapshot, which f faulty replicas cannot make),
        adopting its snapshot, so h and the service state are the checkpoint's (state
        transfer is adopting the snapshot, `impl.pbft`'s simplification), and (2) the
        (f + 1)-th highest view reported, which at least one correct replica is in or
        past; it enters that view in normal operation, its timer stopped, its log empty.

        From there it is an ordinary backup: it accepts the view's pre-prepares and votes
        at once, and it executes again from the next checkpoint that becomes stable (it
        adopts that snapshot, which covers the requests it missed, and then executes the
        committed ones above it). Recovered during a view change, it misses that view's
        NEW-VIEW (and O's requests) and is behind in the same way until then. While it is
        behind, a request it learns from a pre-prepare starts its view-change timer; if
        that expires before the next stable checkpoint, it starts a view change nobody
        joins and stays out of the group (the replica has no way to fetch the requests it
        missed). `call` lets timers fire only while its client waits, so a recovered
        replica catches up first when requests keep coming.

        A simplification, stated here: the question and the answers are the runtime's,
        not messages (`impl.pbft` has no message asking for state). Only the live honest
        replicas answer (the adversary keeps the faulty ones silent). Packets to i still
        in flight are delivered to the new session; the old session's timer is dropped.

        Raises:
            ValueError: i is not a crashed honest replica, or fewer than f + 1 other
                replicas are live to answer.
        """
        if i not in self.crashed or i not in self.sessions:
            raise ValueError(f"recover: replica {i} is not a crashed honest replica")
        started = self.start(i)
        assert isinstance(started, Ok)  # the same parameters started it before
        fresh = started.session
        live = [s for j, s in sorted(self.sessions.items()) if j != i and j not in self.crashed]
        f = fresh.params.f
        if len(live) < f + 1:
            raise ValueError(f"recover: {len(live)} live replicas answer, f + 1 = {f + 1} needed")
        proofs = [s.stable for s in live if valid_stable_proof(fresh, s.stable)]
        stable = max(proofs, key=lambda p: p.snapshot.seq, default=fresh.stable)
        view = sorted((s.view for s in live), reverse=True)[f]
        session = attrs.evolve(fresh, view=view, stable=stable, state=stable.snapshot)
        self.sessions[i] = session
        self.crashed.discard(i)
        self.timers.pop(i, None)
        return session

    # -- timers ---------------------------------------------------------------------------

    def _next_timer(self, owner: int | None = None) -> Timer | None:
        due = [t for t in self.timers.values() if owner is None or t.owner == owner]
        return min(due, key=lambda t: (t.at, t.owner, _epoch(t)), default=None)

    def fire_timer(self, owner: int | None = None) -> Result:
        """Advance the clock to the next timer (of `owner`, if given) and fire it."""
        due = self._next_timer(owner)
        return None if due is None else self._fire(due)

    def latest_timer(self, owner: int) -> Timer | None:
        """The timer `owner` set last (the only one its session would not call stale)."""
        return self.timers.get(owner)

    def fire_latest(self, owner: int) -> Result:
        """Fire the timer `owner` set last, advancing the clock to it."""
        timer = self.latest_timer(owner)
        return None if timer is None else self._fire(timer)

    def _fire(self, timer: Timer) -> Result:
        del self.timers[timer.owner]
        self.clock = max(self.clock, timer.at)
        if self.max_view is not None:
            session = self.sessions.get(timer.owner)
            if session is not None and session.view + 1 > self.max_view:
                return None  # the run stays within the views a model bounds
        return self._handle(timer.owner, "timeout", timer.data)

    # -- handling -------------------------------------------------------------------------

    def _handle(self, dest: int, event: str, data: Mapping[str, object]) -> Result:
        session = self.sessions.get(dest)
        if session is None or dest in self.crashed:
            return None
        self.delivered += 1
        if session.now != self.clock:
            data = {**data, "now": self.clock}
        result = handle_byzantine_event(session, event, data)
        if isinstance(result, Error):
            self.rejected[result.reason] += 1
            self.sink(
                Telemetry(
                    PROTOCOL,
                    "message_rejected",
                    session.session_id,
                    {"view": session.view},
                    {"replica": dest, "reason": result.reason, "event": event},
                )
            )
            return result
        self.sessions[dest] = result.session
        self._carry_out(dest, result.effects)
        if not result.session.timer_running:
            self.timers.pop(dest, None)  # stopped: no timeout will come
        return result

    def _broadcast(
        self, owner: int, to: tuple[str, ...], event: str, data: Mapping[str, object]
    ) -> None:
        """Deliver through the directory, from `owner`'s node (a client's is node-0), as
        the seed's broadcast_message: to replicas and to clients that listen."""
        node = self.node_of[0 if owner == CLIENT else owner]
        missing = broadcast(self.directory, node, to, partial(self._send_to, owner, event, data))
        self.routes["not_found"] += len(missing)

    def _send_to(
        self, owner: int, event: str, data: Mapping[str, object], to: AgentStatus, route: Route
    ) -> None:
        self.routes[route] += 1
        if to.pid < CLIENT_PID_BASE:
            self._put(owner, to.pid - PID_BASE, event, data)
        elif self.clients[self.client_names[to.pid - CLIENT_PID_BASE]] is not None:  # listens
            self._put(owner, CLIENT, event, data)

    def _carry_out(self, owner: int, effects: tuple[Effect, ...]) -> None:
        for effect in effects:
            if isinstance(effect, Send) and isinstance(effect.message, Reply):
                self._broadcast(owner, effect.to, "reply", {"message": effect.message})
            elif isinstance(effect, Send):
                message = effect.message
                assert isinstance(message, Signed)
                if self.record:
                    self.sent.append(message)
                    self.seen.append(message)
                event = EVENT_OF[type(message.body)]
                self._broadcast(owner, effect.to, event, {"message": message})
            elif isinstance(effect, SetTimer):
                self.timers[owner] = Timer(effect.at, owner, effect.data)
            elif isinstance(effect, Telemetry):
                self.sink(effect)
            elif isinstance(effect, Decide):
                done = effect.value
                assert isinstance(done, Executed)
                self.decided[owner] = done.seq
                if self.record:
                    ran = done.digest if done.operation is not None else NULL_DIGEST
                    self.chains[done.chain] = (*self.chains[done.previous], ran)

    # -- the ordinary scheduler -----------------------------------------------------------

    def run(self, max_steps: int = 1_000_000, order: str = "fifo", timers: bool = True) -> int:
        """Deliver packets (FIFO or seeded random order) until none is deliverable; then
        fire timers if asked, and go on. Returns the number of steps taken."""
        steps = 0
        while steps < max_steps:
            if self.inflight and not self.groups:
                k = 0 if order == "fifo" else self.rng.randrange(len(self.inflight))
                self.deliver(k)
            else:
                ready = self.deliverable()
                if ready:
                    k = ready[0] if order == "fifo" else self.rng.choice(ready)
                    self.deliver(k)
                elif timers and (self.timers or self.client_timers):
                    self._fire_next()
                else:
                    break
            steps += 1
        return steps

    def _fire_next(self) -> None:
        """Fire the earliest timer, a replica's or a client's (a replica's first on a tie)."""
        replica = self._next_timer()
        client = min(self.client_timers.items(), key=lambda kv: (kv[1][0], kv[0]), default=None)
        if client is not None and (replica is None or client[1][0] < replica.at):
            self.fire_client_timer(client[0])
        else:
            assert replica is not None
            self._fire(replica)

    # -- the adversary (Byzantine replicas) -----------------------------------------------

    def byzantine_send(
        self,
        sender: int,
        dests: Iterable[int],
        body: PrePrepareMsg | PrepareMsg | CommitMsg | CheckpointMsg | ViewChangeMsg | NewViewMsg,
        extra: AuthRequest | Snapshot | None = None,
    ) -> Signed:
        """Faulty `sender` sends `body`, correctly authenticated with its own keys."""
        keys = self.keys[sender]
        message = Signed(body, sender, keys.authenticator(body), extra)
        if self.record:
            self.seen.append(message)
        for d in dests:
            self._put(sender, d, EVENT_OF[type(body)], {"message": message})
        return message

    def forge(
        self, as_replica: int, dests: Iterable[int], body: PrePrepareMsg | PrepareMsg | CommitMsg
    ) -> Signed:
        """Send `body` under honest `as_replica`'s name; the adversary lacks its keys, so
        the authenticator is made with a faulty replica's keys (and fails)."""
        keys = self.keys[min(self.faulty)] if self.faulty else KeyRing("x", b"?", self.n)
        message = Signed(body, as_replica, keys.authenticator(body))
        for d in dests:
            self._put(as_replica, d, EVENT_OF[type(body)], {"message": message})
        return message

    def replay(self, message: Signed, dests: Iterable[int]) -> None:
        """Send an old message again, unchanged, under its original sender."""
        for d in dests:
            self._put(message.sender, d, EVENT_OF[type(message.body)], {"message": message})

    def equivocate(self, view: int, seq: int, split: Mapping[int, AuthRequest]) -> None:
        """A faulty primary of `view` pre-prepares a different request to each backup."""
        primary = view % self.n
        for dest, req in sorted(split.items()):
            d = request_digest(req.request)
            self.byzantine_send(primary, [dest], PrePrepareMsg(view, seq, d), req)

    def byzantine_vote(
        self,
        kind: type[PrepareMsg] | type[CommitMsg],
        view: int,
        seq: int,
        digest: str,
        dests: Iterable[int],
    ) -> None:
        """Every faulty replica (the primary excluded, for prepares) sends a matching vote."""
        targets = tuple(dests)
        for j in sorted(self.faulty):
            if kind is PrepareMsg and j == view % self.n:
                continue
            self.byzantine_send(j, targets, kind(view, seq, digest, j))

    def certificates(self, below: int) -> dict[int, list[PreparedCert]]:
        """Every prepared certificate the adversary can assemble from messages it has seen
        (record mode): pre-prepares of views below `below` with 2f matching prepares."""
        pre = [m for m in self.seen if isinstance(m.body, PrePrepareMsg) and m.body.view < below]
        prepares: dict[tuple[int, int, str], dict[int, Signed]] = {}
        for m in self.seen:
            if isinstance(m.body, PrepareMsg):
                prepares.setdefault(m.body[:3], {}).setdefault(m.sender, m)
        need = next(iter(self.sessions.values())).params.q_prepare if self.sessions else 0
        found: dict[int, list[PreparedCert]] = {}
        for pp in pre:
            body = pp.body
            assert isinstance(body, PrePrepareMsg)
            primary = body.view % self.n
            senders = prepares.get((body.view, body.seq, body.digest), {})
            votes = [m for j, m in sorted(senders.items()) if j != primary]
            if len(votes) >= need:
                cert = PreparedCert(pp, tuple(votes[:need]))
                if cert not in found.get(body.seq, []):
                    found.setdefault(body.seq, []).append(cert)
        return found

    def byzantine_view_change(
        self,
        sender: int,
        view: int,
        dests: Iterable[int],
        wanted: Iterable[tuple[int, str]] = (),
    ) -> Signed:
        """Faulty `sender` sends VIEW-CHANGE for `view` with the genesis checkpoint and a
        valid certificate for each wanted (seq, digest) that it can build."""
        certs = self.certificates(view)
        chosen = []
        for seq, d in sorted(wanted):
            options = [c for c in certs.get(seq, []) if c.pre_prepare.body.digest == d]  # type: ignore[union-attr]
            if options:
                chosen.append(max(options, key=lambda c: c.pre_prepare.body.view))  # type: ignore[union-attr]
        stable = StableProof(Snapshot(0, GENESIS, ()), ())
        return self.byzantine_send(
            sender, dests, ViewChangeMsg(view, sender, stable, tuple(chosen))
        )

    def bogus_view_change(self, sender: int, view: int, dests: Iterable[int]) -> Signed:
        """Faulty `sender` claims a prepared certificate it cannot have (forged prepares)."""
        req = next(iter(self.requests.values()), None)
        d = request_digest(req.request) if req else NULL_DIGEST
        pp = Signed(
            PrePrepareMsg(0, 1, d), 0, self.keys[sender].authenticator(PrePrepareMsg(0, 1, d)), req
        )
        fake = tuple(
            Signed(
                PrepareMsg(0, 1, d, j), j, self.keys[sender].authenticator(PrepareMsg(0, 1, d, j))
            )
            for j in range(1, self.n)
        )
        stable = StableProof(Snapshot(0, GENESIS, ()), ())
        body = ViewChangeMsg(view, sender, stable, (PreparedCert(pp, fake),))
        return self.byzantine_send(sender, dests, body)

    def byzantine_new_view(
        self, view: int, dests: Iterable[int], view_changes: Iterable[Signed]
    ) -> Signed | None:
        """The faulty primary of `view` sends NEW-VIEW for the given view-changes (its own
        must be among them), with the O they give."""
        primary = view % self.n
        vcs = tuple(view_changes)
        bodies = tuple(v.body for v in vcs)
        if not all(isinstance(b, ViewChangeMsg) for b in bodies):
            return None
        _, o = compute_o(vcs)
        keys = self.keys[primary]
        pps = tuple(
            Signed(
                PrePrepareMsg(view, n, d), primary, keys.authenticator(PrePrepareMsg(view, n, d)), r
            )
            for n, d, r in o
        )
        return self.byzantine_send(primary, dests, NewViewMsg(view, vcs, pps))

    def log_sizes(self) -> dict[int, int]:
        """Each honest replica's log size (messages held), for the memory bound."""
        return {i: s.log_size() for i, s in sorted(self.sessions.items())}
