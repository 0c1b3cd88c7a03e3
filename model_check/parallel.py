"""The breadth-first search on several processes, or on a Ray cluster, with the sequential
engine's results.

The fingerprint space is partitioned: a state belongs to the worker `owner(fp)`, which
alone keeps it in its visited set and expands it. The search is level-synchronous, one
breadth-first level at a time:

1. each worker expands its share of the level, in the order of the states' global
   indices; a successor is canonicalised and fingerprinted where it is generated, kept
   if its owner is the worker itself, or else put in a batch for its owner; a successor
   whose fingerprint is stored already, by any worker, is dropped where it is generated
   (each worker knows every stored fingerprint: with a level's indices come the other
   workers' new fingerprints, 8 bytes a state);
2. the batches cross over; each owner drops the fingerprints it has, and for a
   fingerprint met several times keeps the least *discovery key* `(parent index,
   ordinal)`: the step by which the sequential engine, which expands states in index
   order and their actions in order, would have found it first;
3. the coordinator merges the owners' sorted keys: the merged order is the order in
   which the sequential engine stores the next level, so each new state gets the
   sequential engine's index, and the parents and ordinals (`traces.Parents`) are the
   same arrays. Each worker learns its new states' indices from the merged keys.

The first invariant violation, deadlock, witness and `--max-states` cut are then events
in the sequential engine's own order (a deadlock of state `g` comes before the steps out
of `g`), so the run stops where the sequential one stops, with the same distinct and
generated counts, and every trace is rebuilt from the same parents. The counts, verdicts,
counterexamples (lassos included) and witness traces are those of `engine.check`, for
any number of workers and under any `PYTHONHASHSEED`. What differs is the machine's
side: the seconds, and the bytes held (`visited_bytes` adds every worker's set of
fingerprints to the engine's).

Liveness: with `eventually` properties each worker also reports, for every step of the
states it expanded, the step's fairness class (by name, numbered as the worker meets
them), whether it stutters or leaves the state constraint, and its target's fingerprint
(12 bytes a step); the coordinator builds the engine's graph from them, node by node in
index order (the classes numbered as the engine numbers them), and decides liveness on
it as the engine does: the same lassos. It keeps the engine's visited set, in index
order, for the targets' indices.

Transports: `ProcessPool` forks local worker processes that exchange batches through
`multiprocessing` queues; `RayPool` runs the same `Partition`s as Ray actors (the
optional `coordspec[cluster]` extra), on a local cluster it starts or on one it joins.
Batches cross as bytes, pickled once by the sender (fingerprints and keys as arrays,
the states as one pickle per batch, so the sub-values successive states share are
written once), which is also what `ShippingStats` counts.
"""

from __future__ import annotations

import bisect
import contextlib
import importlib.util
import multiprocessing
import os
import pickle
import signal
import sys
import time
from array import array
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import attrs

from model_check.diskset import visited_set
from model_check.engine import (
    CheckerError,
    ModelError,
    Options,
    Progress,
    _Explorer,
    model_error,
    take,
)
from model_check.fingerprint import Canonicaliser
from model_check.result import CheckResult
from model_check.traces import NO_PARENT
from spec.core import Model

#: The bits of a fingerprint that choose its owner (the low bits index the hash tables).
OWNER_SHIFT = 40
#: A discovery key: the parent's global index in the high 32 bits, the ordinal below.
ORDINAL_BITS = 32
ORDINAL_MASK = (1 << ORDINAL_BITS) - 1
#: The prefix of the module names the command line gives model files it loads by path.
FILE_MODULE_PREFIX = "_coordspec_"


def owner(fp: int, workers: int) -> int:
    """The worker a fingerprint belongs to."""
    return (fp >> OWNER_SHIFT) % workers


class ParallelError(CheckerError):
    """A worker failed outside the model (a lost process, a cluster that cannot start)."""


@attrs.define
class ShippingStats:
    """What crossed between workers in a run."""

    workers: int
    transport: str
    levels: int = 0
    states_shipped: int = 0
    bytes_shipped: int = 0  # the states' batches (fingerprints, keys, pickled states)
    fingerprint_bytes: int = 0  # each level's new fingerprints, sent to the other workers
    edge_bytes: int = 0  # the steps reported for the liveness graph

    @property
    def bytes_per_state(self) -> float:
        """Bytes shipped per state shipped."""
        return self.bytes_shipped / self.states_shipped if self.states_shipped else 0.0


@attrs.frozen
class LevelStats:
    """One worker's expansion of its share of a level."""

    indices: array[int]  # the global index of each state expanded, in order
    counts: array[int]  # the successors generated from each (0: none expanded)
    deadlocks: list[int]  # indices of the states with no enabled action, not proper ends
    first_cut: int  # the first state not expanded for --max-depth, or -1
    # With liveness, each step of each expanded state, in order (`Partition.expand`):
    tags: array[int] = attrs.field(factory=lambda: array("I"))
    targets: array[int] = attrs.field(factory=lambda: array("Q"))  # successor fingerprints
    names: tuple[str, ...] = ()  # fairness classes met for the first time, in order


@attrs.frozen
class LevelReport:
    """One owner's new states of the next level, after the exchange."""

    keys: array[int]  # discovery keys, sorted
    fps: bytes  # the new states' fingerprints, in the keys' order (array bytes)
    violations: dict[str, int]  # invariant -> the least key of a state violating it
    goals: tuple[bytes, ...]  # per eventually-property, its goal bit per new state
    premises: tuple[bytes, ...]  # per eventually-property, its premise bit (or b"")
    witnesses: dict[str, int]  # witness -> the least key of a state reaching it
    shipped_states: int
    shipped_bytes: int
    error: tuple[bool, str] | None = None  # (a ModelError?, its one line) from a worker

    @staticmethod
    def none() -> LevelReport:
        """The report of a level that found nothing."""
        return LevelReport(array("Q"), b"", {}, (), (), {}, 0, 0)


Batch = tuple[bytes, bytes, bytes]  # fingerprints, keys (array bytes), pickled states
#: A step's tag, beside its fairness class's number: it leads back to the same state (a
#: stutter, which never takes or enables a class), or out of the state constraint.
STUTTER = 1 << 30
OUTSIDE = 1 << 31
CLASS_MASK = STUTTER - 1
#: The batch of a worker that has nothing for an owner (or failed).
EMPTY_BATCH: Batch = (b"", b"", pickle.dumps([]))


class _LevelWork:
    """What a worker's expansion of a level has gathered so far (`Partition.part`)."""

    def __init__(self, workers: int) -> None:
        self.out_fps = [array("Q") for _ in range(workers)]
        self.out_keys = [array("Q") for _ in range(workers)]
        self.out_states: list[list[Any]] = [[] for _ in range(workers)]
        self.indices, self.counts = array("I"), array("I")
        self.deadlocks: list[int] = []
        self.cut = -1
        self.tags, self.targets = array("I"), array("Q")
        self.met = array("Q")  # the fingerprints the current part met first
        self.names_before = -1
        self.error: CheckerError | None = None


class Partition:
    """One worker's share of the search: the states whose fingerprints it owns.

    Args:
        model: the model searched (each worker has its own copy).
        options: the run's options (only those that shape the search are read).
        worker: this worker's number, from 0.
        workers: how many workers share the search.
    """

    def __init__(self, model: Model[Any, Any], options: Options, worker: int, workers: int):
        self.model = model
        self.options = options
        self.worker = worker
        self.workers = workers
        symmetry = model.symmetry_default if options.symmetry is None else options.symmetry
        self.symmetry = bool(symmetry and model.has_symmetry())
        self.canon = Canonicaliser()
        self.invariants = list(model.invariants())
        self.witnesses = list(model.witnesses())
        # Every stored fingerprint, this worker's and the others' (these arrive with each
        # level's indices): a successor stored anywhere is dropped where it is generated,
        # unshipped and, under symmetry, not canonicalised, as in the one-process engine.
        self.known = visited_set(options.memory)
        self.liveness = list(model.eventually()) if options.check_liveness else []
        self.class_ids: dict[str, int] = {}  # fairness class -> its number (from 1) here
        self.sent: set[int] = set()  # the fingerprints shipped during this level
        self.hints: set[int] = set()  # those the others met in this level's earlier parts
        self.cursor = 0  # the frontier's next state to expand
        self._work: _LevelWork | None = None  # the level being expanded, part by part
        self.frontier: list[tuple[int, Any]] = []  # (global index, state), in index order
        self.pending: dict[int, tuple[int, Any]] = {}  # fp -> (least key, state) this level
        self.level: list[tuple[int, int, Any]] = []  # (key, fp, state) of the new level
        self.found: set[str] = set()  # properties the coordinator has recorded already

    def start(self, states: Sequence[tuple[int, Any]], stored: bytes) -> None:
        """Take the initial states this worker owns, (global index, state), and the
        fingerprints of every stored initial state (array bytes)."""
        for idx, state in states:
            self.frontier.append((idx, state))
        self._learn(stored)

    def _learn(self, stored: bytes) -> None:
        fps = array("Q")
        fps.frombytes(stored)
        add = self.known.add
        for fp in fps:
            add(fp)

    def part(self, depth: int, upto: int | None, hints: bytes = b"") -> bytes:
        """Expand this worker's states of level `depth` with an index below `upto` (None:
        the rest), after learning `hints`: the fingerprints the other workers met in the
        level's earlier parts; return the fingerprints this part met first.

        A successor met in an earlier part, by any worker, was reached by a step with a
        smaller discovery key (its parent's index is smaller), so it is dropped here as the
        engine drops a state it stored a moment ago: not canonicalised, not shipped. A
        model error is kept for `expand`, which raises it.
        """
        if self._work is None:
            self._work = _LevelWork(self.workers)
            self._work.names_before = len(self.class_ids)
        work = self._work
        fps_in = array("Q")
        fps_in.frombytes(hints)
        self.hints.update(fps_in)
        if work.error is not None:
            return b""
        try:
            self._expand(depth, upto, work)
        except CheckerError as err:
            work.error = err
        met, work.met = work.met, array("Q")
        return met.tobytes()

    def expand(self, depth: int, hints: bytes = b"") -> tuple[LevelStats, list[Batch | None]]:
        """Expand the rest of this worker's share of level `depth` (`part`); the level's
        batches for the other owners.

        Raises:
            CheckerError: the model broke the contract.
            ModelError: the model's own code raised.
        """
        self.part(depth, None, hints)
        work, self._work = self._work, None
        assert work is not None
        self.frontier, self.cursor = [], 0
        if work.error is not None:
            raise work.error
        me = self.worker
        batches: list[Batch | None] = [
            None
            if dest == me
            else (
                work.out_fps[dest].tobytes(),
                work.out_keys[dest].tobytes(),
                pickle.dumps(work.out_states[dest], protocol=pickle.HIGHEST_PROTOCOL),
            )
            for dest in range(self.workers)
        ]
        names = tuple(list(self.class_ids)[work.names_before :])
        stats = LevelStats(
            work.indices, work.counts, work.deadlocks, work.cut, work.tags, work.targets, names
        )
        return stats, batches

    def expand_reported(
        self, depth: int, hints: bytes = b""
    ) -> tuple[LevelStats, list[Batch], tuple[bool, str] | None]:
        """`expand` as a worker reports it: a batch for every owner (its own slot empty),
        and a model error as (whether a `ModelError`, its one line) with an empty level
        and empty batches, since every owner still waits for one batch from each worker."""
        error = None
        try:
            stats, batches = self.expand(depth, hints)
        except CheckerError as err:
            error = (isinstance(err, ModelError), str(err))
            stats, batches = LevelStats(array("I"), array("I"), [], -1), [None] * self.workers
        return stats, [EMPTY_BATCH if b is None else b for b in batches], error

    def _expand(self, depth: int, upto: int | None, work: _LevelWork) -> None:
        """The states of the frontier from the cursor up to index `upto` (see `part`)."""
        model, options = self.model, self.options
        workers, me = self.workers, self.worker
        fingerprint = self.canon.fingerprint
        symmetry = self.symmetry
        known, sent, pending, hints = self.known, self.sent, self.pending, self.hints
        out_fps, out_keys, out_states = work.out_fps, work.out_keys, work.out_states
        indices, counts, deadlocks, met = work.indices, work.counts, work.deadlocks, work.met
        max_depth = options.max_depth
        action: Any = None
        # With liveness, every step is recorded for the coordinator's graph: its tag (the
        # fairness class's number, 0 for the adversary's; STUTTER, OUTSIDE) and target.
        graph = bool(self.liveness)
        tags, targets = work.tags, work.targets
        class_ids = self.class_ids
        frontier = self.frontier
        cursor = self.cursor
        try:
            while cursor < len(frontier):
                idx, state = frontier[cursor]
                if upto is not None and idx >= upto:
                    break
                cursor += 1
                indices.append(idx)
                action = None
                enabled = model.enabled(state)
                if not enabled:
                    counts.append(0)
                    if options.check_deadlock and not model.terminal_ok(state):
                        deadlocks.append(idx)
                    continue
                if max_depth is not None and depth >= max_depth:
                    counts.append(0)
                    if work.cut < 0:
                        work.cut = idx
                    continue
                counts.append(len(enabled))
                base = idx << ORDINAL_BITS
                for ordinal, (action, byzantine) in enumerate(enabled):
                    successor = take(model, state, action)
                    if graph:
                        tag = 0
                        if not byzantine:
                            name = model.action_class(action)
                            tag = class_ids.get(name, 0)
                            if not tag:
                                tag = class_ids[name] = len(class_ids) + 1
                            if successor == state:
                                tag |= STUTTER
                        if not model.constraint(successor):
                            tags.append(tag | OUTSIDE)
                            targets.append(0)
                            continue
                        tags.append(tag)
                        targets.append(0)  # the fingerprint, once known (below)
                    elif not model.constraint(successor):
                        continue
                    if symmetry:
                        # As in the engine: a representative already met needs no
                        # canonicalisation (these sets hold representatives only).
                        fp = fingerprint(successor)
                        if fp in pending or fp in sent or fp in hints or known.index(fp) >= 0:
                            if graph:
                                targets[-1] = fp
                            continue
                        canonical = model.canonical(successor)
                        if canonical is not successor:
                            successor = canonical
                            fp = fingerprint(successor)
                    else:
                        fp = fingerprint(successor)
                    if graph:
                        targets[-1] = fp
                    if fp in hints:
                        continue  # met in an earlier part, by a smaller key
                    dest = (fp >> OWNER_SHIFT) % workers
                    if dest == me:
                        if fp not in pending and known.index(fp) < 0:
                            pending[fp] = (base | ordinal, successor)
                            met.append(fp)
                    elif fp not in sent and known.index(fp) < 0:
                        sent.add(fp)
                        met.append(fp)
                        out_fps[dest].append(fp)
                        out_keys[dest].append(base | ordinal)
                        out_states[dest].append(successor)
        except CheckerError:
            raise
        except Exception as err:  # the model's own code failed: say where
            raise model_error(model, err, action, depth) from err
        finally:
            self.cursor = cursor

    def receive(self, batches: Sequence[Batch], found: Sequence[str] = ()) -> LevelReport:
        """Merge the other workers' batches into this level's new states; report them.

        `found` names the properties already recorded (no need to look for them again).
        """
        self.found.update(found)
        known, pending = self.known, self.pending
        self.sent, self.hints = set(), set()
        shipped_states = shipped_bytes = 0
        for fps_bytes, keys_bytes, states_bytes in batches:
            fps, keys = array("Q"), array("Q")
            fps.frombytes(fps_bytes)
            keys.frombytes(keys_bytes)
            states = pickle.loads(states_bytes)
            shipped_states += len(fps)
            shipped_bytes += len(fps_bytes) + len(keys_bytes) + len(states_bytes)
            for fp, key, state in zip(fps, keys, states, strict=True):
                if known.index(fp) >= 0:
                    continue
                least = pending.get(fp)
                if least is None or key < least[0]:
                    pending[fp] = (key, state)
        level = sorted(((key, fp, state) for fp, (key, state) in pending.items()))
        self.pending = {}
        self.level = level
        violations: dict[str, int] = {}
        witnesses: dict[str, int] = {}
        invariants = [inv for inv in self.invariants if inv.name not in self.found]
        looking = [wit for wit in self.witnesses if wit.name not in self.found]
        keys_out, fps_out = array("Q"), array("Q")
        goals = [bytearray() for _ in self.liveness]
        premises = [bytearray() for _ in self.liveness]
        for key, fp, state in level:
            fps_out.append(fp)
            keys_out.append(key)
            for k, prop in enumerate(self.liveness):
                goals[k].append(1 if prop.goal(state) else 0)
                if prop.premise is not None:
                    premises[k].append(1 if prop.premise(state) else 0)
            if looking:
                for wit in looking:
                    if wit.reached(state):
                        witnesses[wit.name] = key
                looking = [w for w in looking if w.name not in witnesses]
            for inv in invariants:
                if inv.name not in violations and not inv.holds(state):
                    violations[inv.name] = key
        return LevelReport(
            keys_out,
            fps_out.tobytes(),
            violations,
            tuple(bytes(g) for g in goals),
            tuple(bytes(p) for p in premises),
            witnesses,
            shipped_states,
            shipped_bytes,
        )

    def assign(self, merged: array[int], base: int, stored: bytes) -> None:
        """Give this worker's new states their global indices, `base` + rank in `merged`;
        learn the fingerprints the other workers stored in the level (array bytes)."""
        self._learn(stored)
        frontier: list[tuple[int, Any]] = []
        lo = 0
        add = self.known.add
        for key, fp, state in self.level:
            add(fp)
            lo = bisect.bisect_left(merged, key, lo)
            frontier.append((base + lo, state))
        self.frontier = frontier
        self.level = []

    def nbytes(self) -> int:
        """The bytes this worker's set of fingerprints holds."""
        return self.known.nbytes()


#: A level is expanded in at most this many parts, of at least `PART_STATES` states each.
PARTS = 8
PART_STATES = 4


def parts(first: int, size: int, workers: int) -> list[int]:
    """The index bounds between the parts of the level of `size` states from `first`
    (`Partition.part`): between two parts the workers learn what the others met."""
    if workers < 2:
        return []
    count = min(PARTS, size // PART_STATES)
    return [first + size * k // count for k in range(1, count)] if count > 1 else []


def others(stored: list[bytes], worker: int) -> bytes:
    """The fingerprints the other workers stored (what `worker` must learn)."""
    return b"".join(data for w, data in enumerate(stored) if w != worker)


class Pool(Protocol):
    """The workers of a run, however they are hosted."""

    workers: int
    transport: str

    def start(self, shares: list[list[tuple[int, Any]]], stored: bytes) -> None: ...

    def level(
        self, depth: int, found: Sequence[str], bounds: Sequence[int] = ()
    ) -> list[tuple[LevelStats, LevelReport]]: ...

    def assign(self, merged: array[int], base: int, stored: list[bytes]) -> None: ...

    def nbytes(self) -> list[int]: ...

    def close(self) -> None: ...


class LocalPool:
    """The same partitioned search with every `Partition` in this process, one after the
    other: no speed-up, but the exchange can be followed in a debugger, and tests measure
    the algorithm's coverage with it."""

    transport = "in-process"

    def __init__(self, model: Model[Any, Any], options: Options, workers: int) -> None:
        self.workers = workers
        self.partitions = [Partition(model, options, w, workers) for w in range(workers)]

    def start(self, shares: list[list[tuple[int, Any]]], stored: bytes) -> None:
        for partition, share in zip(self.partitions, shares, strict=True):
            partition.start(share, stored)

    def level(
        self, depth: int, found: Sequence[str], bounds: Sequence[int] = ()
    ) -> list[tuple[LevelStats, LevelReport]]:
        met = [b""] * self.workers
        for upto in bounds:
            met = [p.part(depth, upto, others(met, w)) for w, p in enumerate(self.partitions)]
        outs = [p.expand_reported(depth, others(met, w)) for w, p in enumerate(self.partitions)]
        failed = next((error for _, _, error in outs if error is not None), None)
        if failed is not None:  # as a worker process reports it
            return [(s, attrs.evolve(LevelReport.none(), error=failed)) for s, _, _ in outs]
        answers = []
        for dest, partition in enumerate(self.partitions):
            inbound = [batches[dest] for src, (_, batches, _) in enumerate(outs) if src != dest]
            answers.append((outs[dest][0], partition.receive(inbound, found)))
        return answers

    def assign(self, merged: array[int], base: int, stored: list[bytes]) -> None:
        for w, partition in enumerate(self.partitions):
            partition.assign(merged, base, others(stored, w))

    def nbytes(self) -> list[int]:
        return [partition.nbytes() for partition in self.partitions]

    def close(self) -> None:
        self.partitions = []


# -- local processes -------------------------------------------------------------------


def _process_main(
    partition: Partition,
    conn: Any,
    inboxes: list[Any],
) -> None:  # pragma: no cover - runs in the forked worker; its effects are tested
    """A worker process: answer the coordinator's commands until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator handles Ctrl-C
    me, workers = partition.worker, partition.workers
    while True:
        command, *args = conn.recv()
        if command == "stop":
            break
        try:
            if command == "start":
                partition.start(args[0], args[1])
                conn.send(None)
            elif command == "part":
                conn.send(partition.part(*args))
            elif command == "expand":
                depth, found, hints = args
                stats, batches, error = partition.expand_reported(depth, hints)
                for dest in range(workers):
                    if dest != me:
                        inboxes[dest].put((me, batches[dest]))
                received = [inboxes[me].get() for _ in range(workers - 1)]
                received.sort(key=lambda item: item[0])
                report = partition.receive([batch for _, batch in received], found)
                if error is not None:
                    report = attrs.evolve(report, error=error)
                conn.send((stats, report))
            elif command == "assign":
                merged = array("Q")
                merged.frombytes(args[0])
                partition.assign(merged, args[1], args[2])
                conn.send(None)
            elif command == "nbytes":
                conn.send(partition.nbytes())
        except BaseException as err:
            conn.send(("failed", f"{type(err).__name__}: {err}"))
            raise
    conn.close()


class ProcessPool:
    """`workers` forked processes on this machine, one `Partition` each."""

    transport = "processes"

    def __init__(self, model: Model[Any, Any], options: Options, workers: int) -> None:
        self.workers = workers
        context = multiprocessing.get_context("fork")
        self.inboxes = [context.Queue() for _ in range(workers)]
        self.conns: list[Any] = []
        self.processes: list[Any] = []
        for worker in range(workers):
            parent, child = context.Pipe()
            partition = Partition(model, options, worker, workers)
            process = context.Process(
                target=_process_main, args=(partition, child, self.inboxes), daemon=True
            )
            process.start()
            child.close()
            self.conns.append(parent)
            self.processes.append(process)

    def _ask(self, *messages: tuple[Any, ...]) -> list[Any]:
        for worker, (conn, message) in enumerate(zip(self.conns, messages, strict=True)):
            try:
                conn.send(message)
            except OSError:
                raise ParallelError(f"worker {worker} ended unexpectedly") from None
        answers = []
        for worker, conn in enumerate(self.conns):
            try:
                answer = conn.recv()
            except EOFError:
                raise ParallelError(f"worker {worker} ended unexpectedly") from None
            if isinstance(answer, tuple) and answer and answer[0] == "failed":
                raise ParallelError(f"worker {worker} failed: {answer[1]}")
            answers.append(answer)
        return answers

    def start(self, shares: list[list[tuple[int, Any]]], stored: bytes) -> None:
        self._ask(*[("start", share, stored) for share in shares])

    def level(
        self, depth: int, found: Sequence[str], bounds: Sequence[int] = ()
    ) -> list[tuple[LevelStats, LevelReport]]:
        met = [b""] * self.workers
        for upto in bounds:
            met = self._ask(*[("part", depth, upto, others(met, w)) for w in range(self.workers)])
        return self._ask(
            *[("expand", depth, list(found), others(met, w)) for w in range(self.workers)]
        )

    def assign(self, merged: array[int], base: int, stored: list[bytes]) -> None:
        data = merged.tobytes()
        self._ask(*[("assign", data, base, others(stored, w)) for w in range(self.workers)])

    def nbytes(self) -> list[int]:
        return self._ask(*[("nbytes",)] * self.workers)

    def close(self) -> None:
        for conn in self.conns:
            with contextlib.suppress(OSError):
                conn.send(("stop",))
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():  # pragma: no cover - a worker stuck in the model
                process.kill()
        for inbox in self.inboxes:
            inbox.close()


# -- Ray -------------------------------------------------------------------------------

RAY_MISSING = "--cluster needs Ray: pip install 'coordspec[cluster]'"


def parse_cluster(address: str) -> tuple[str, int | None]:
    """`local:N` (a local cluster of N workers) or a Ray address (`ray://host:port`,
    `host:port`, `auto`); returns (address, N) with N None for an existing cluster.

    Raises:
        ValueError: a malformed address, named in one line.
    """
    if address.startswith("local:"):
        count = address.removeprefix("local:")
        if not count.isdigit() or int(count) < 1:
            raise ValueError(f"--cluster {address}: local:N needs a number of workers N >= 1")
        return "local", int(count)
    if address == "auto" or address.startswith("ray://") or ":" in address:
        return address, None
    raise ValueError(f"--cluster {address}: expected local:N, ray://HOST:PORT, HOST:PORT or auto")


class RayPool:
    """The `Partition`s as Ray actors, one per worker, on a local or existing cluster.

    The batches go from actor to actor through Ray's object store: the coordinator passes
    the references on and never fetches them.
    """

    transport = "ray"

    def __init__(
        self, model: Model[Any, Any], options: Options, address: str, workers: int | None
    ) -> None:
        try:
            import ray
        except ImportError:  # pragma: no cover - the extra is installed by make test
            raise ParallelError(RAY_MISSING) from None
        self.ray = ray
        self.started = False
        if not ray.is_initialized():
            init: dict[str, Any] = {
                "include_dashboard": False,
                "logging_level": "ERROR",
                "log_to_driver": False,
                "configure_logging": False,
            }
            if address == "local":
                init["num_cpus"] = workers
                # The workers import the model's modules as the coordinator does.
                init["runtime_env"] = {"env_vars": {"PYTHONPATH": os.pathsep.join(_paths())}}
            else:  # pragma: no cover - needs a running cluster (README: on a real cluster)
                init["address"] = address
            ray.init(**init)
            self.started = True
        if workers is None:
            resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
            workers = max(int(resources.get("CPU", 1)), 1)
        self.workers = workers
        # A model loaded from a file (`coordspec check path/model.py`) lives in a module the
        # workers cannot import by name: each loads the file first (at the same path).
        module = sys.modules.get(type(model).__module__)
        source = None
        if module is not None and module.__name__.startswith(FILE_MODULE_PREFIX):
            source = (module.__name__, str(module.__file__))
        data = ray.cloudpickle.dumps(model)  # type: ignore[no-untyped-call]
        actor: Any = ray.remote(num_cpus=1)(_RayPartition)
        self.actors: list[Any] = [
            actor.remote(source, data, options, w, workers) for w in range(workers)
        ]

    def start(self, shares: list[list[tuple[int, Any]]], stored: bytes) -> None:
        ref = self.ray.put(stored)
        self.ray.get([a.start.remote(s, ref) for a, s in zip(self.actors, shares, strict=True)])

    def level(
        self, depth: int, found: Sequence[str], bounds: Sequence[int] = ()
    ) -> list[tuple[LevelStats, LevelReport]]:
        ray, workers = self.ray, self.workers
        met: list[bytes] = [b""] * workers
        for upto in bounds:
            met = ray.get(
                [a.part.remote(depth, upto, others(met, w)) for w, a in enumerate(self.actors)]
            )
        outs = [
            a.expand.options(num_returns=workers + 1).remote(depth, others(met, w))
            for w, a in enumerate(self.actors)
        ]
        reports = []
        for dest, actor in enumerate(self.actors):
            inbound = [outs[src][1 + dest] for src in range(workers) if src != dest]
            reports.append(actor.receive.remote(list(found), *inbound))
        stats = ray.get([out[0] for out in outs])
        got = ray.get(reports)
        return list(zip(stats, got, strict=True))

    def assign(self, merged: array[int], base: int, stored: list[bytes]) -> None:
        ref = self.ray.put(merged.tobytes())
        self.ray.get(
            [a.assign.remote(ref, base, others(stored, w)) for w, a in enumerate(self.actors)]
        )

    def nbytes(self) -> list[int]:
        return list(self.ray.get([a.nbytes.remote() for a in self.actors]))

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)
        if self.started:
            self.ray.shutdown()


def _paths() -> list[str]:
    return [os.path.abspath(p or os.curdir) for p in sys.path if not p.endswith(".zip")]


def load_module(name: str, path: str) -> Any:
    """Import the file `path` as the module `name`: how the command line loads a model
    file, and how a Ray actor loads it again.

    Raises:
        ImportError: no loader takes the file; or whatever the file's own code raises.
    """
    found = importlib.util.spec_from_file_location(name, path)
    if found is None or found.loader is None:  # pragma: no cover - a file no loader takes
        raise ImportError(f"cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(found)
    sys.modules[name] = module
    found.loader.exec_module(module)
    return module


class _RayPartition:
    """A `Partition` behind Ray's actor interface (batches in and out as values)."""

    def __init__(
        self,
        source: tuple[str, str] | None,
        model: bytes,
        options: Options,
        worker: int,
        workers: int,
    ) -> None:
        if source is not None and source[0] not in sys.modules:
            load_module(*source)
        self.partition = Partition(pickle.loads(model), options, worker, workers)
        self.error: tuple[bool, str] | None = None

    def start(self, share: list[tuple[int, Any]], stored: bytes) -> None:
        self.partition.start(share, stored)

    def part(self, depth: int, upto: int, hints: bytes) -> bytes:
        return self.partition.part(depth, upto, hints)

    def expand(self, depth: int, hints: bytes = b"") -> tuple[Any, ...]:
        stats, batches, self.error = self.partition.expand_reported(depth, hints)
        return (stats, *batches)

    def receive(self, found: list[str], *batches: Batch) -> LevelReport:
        report = self.partition.receive(batches, found)
        if self.error is not None:
            report, self.error = attrs.evolve(report, error=self.error), None
        return report

    def assign(self, merged: bytes, base: int, stored: bytes) -> None:
        keys = array("Q")
        keys.frombytes(merged)
        self.partition.assign(keys, base, stored)

    def nbytes(self) -> int:
        return self.partition.nbytes()


# -- the coordinator -------------------------------------------------------------------


def refuse(model: Model[Any, Any], options: Options) -> str | None:
    """Why `options` cannot run on workers, or None."""
    if not options.fingerprints:
        return "--workers and --cluster need fingerprints (not --full-states)"
    if options.on_edge is not None:
        return "--workers and --cluster do not report the explored edges"
    return None


def check_parallel(
    model: Model[Any, Any],
    options: Options | None = None,
    *,
    workers: int = 2,
    cluster: str | None = None,
    in_process: bool = False,
) -> tuple[CheckResult, ShippingStats]:
    """`engine.check` on `workers` local processes, on the Ray
    cluster `cluster` (`parse_cluster`), or with `in_process` on `LocalPool`; the same
    result, and what was shipped.

    Raises:
        CheckerError: the model broke the contract, or the options cannot run in parallel.
        ModelError: the model's own code raised.
        ValueError: a malformed `cluster` address.
    """
    options = options or Options()
    reason = refuse(model, options)
    if reason is not None:
        raise CheckerError(reason)
    # The workers report nothing as they go: the coordinator reports progress per level.
    shipped = attrs.evolve(options, progress=None, on_edge=None)

    address, count = parse_cluster(cluster) if cluster is not None else ("", None)

    def pool() -> Pool:
        if cluster is not None:
            return RayPool(model, shipped, address, count)
        if in_process:
            return LocalPool(model, shipped, workers)
        return ProcessPool(model, shipped, workers)

    return _Coordinator(model, options).run(pool)


class _Coordinator:
    """The sequential engine's bookkeeping (`_Explorer`), fed level by level."""

    def __init__(self, model: Model[Any, Any], options: Options) -> None:
        self.model = model
        self.options = options
        self.explorer = _Explorer(model, options)
        self.book = self.explorer.book
        self.visited = visited_set(options.memory)  # the engine's, in index order
        self.names: list[list[str]] = []  # each worker's fairness classes, by number - 1

    def run(self, pool_factory: Callable[[], Pool]) -> tuple[CheckResult, ShippingStats]:
        started = time.monotonic()
        model, options, explorer = self.model, self.options, self.explorer
        book = self.book
        generated = 0
        incomplete: str | None = None
        stop = False  # the search ended before the queue did (the engine's `stop`)
        interrupted = False
        # The initial states, as the engine stores them (their order is model.initial()'s).
        initial: list[tuple[int, int, Any]] = []
        visited = self.visited
        try:
            for i, state in enumerate(model.initial()):
                generated += 1
                if not model.constraint(state):
                    continue
                kept = explorer.represent(state)
                fp = explorer.canon.fingerprint(kept)
                if not visited.add(fp):
                    continue
                idx = book.add(NO_PARENT, i)
                initial.append((idx, fp, kept))
                self.explorer.judge(kept, idx)
                if self._stops_at_admission(idx):
                    stop = True
                    incomplete = self._cap_reason(idx)
                    break
            if stop and options.check_deadlock and "deadlock" not in explorer.violations:
                # As the engine: a deadlock among the stored initial states is as short.
                for idx, _fp, state in initial:
                    if not model.enabled(state) and not model.terminal_ok(state):
                        explorer.violations["deadlock"] = ("deadlock", idx)
                        break
        except Exception as err:  # the model's own code failed: say where
            raise model_error(model, err, None, 0) from err
        pool = pool_factory()
        stats = ShippingStats(pool.workers, pool.transport)
        depth = 0
        try:
            shares: list[list[tuple[int, Any]]] = [[] for _ in range(pool.workers)]
            for idx, fp, state in initial:
                shares[owner(fp, pool.workers)].append((idx, state))
            pool.start(shares, array("Q", (entry[1] for entry in initial)).tobytes())
            frontier = 0 if stop else len(initial)
            while frontier and not stop:
                found = sorted(set(explorer.violations) | set(explorer.witness_found))
                first = len(book) - frontier  # the level's states are the last stored
                answers = pool.level(depth, found, parts(first, frontier, pool.workers))
                stop, incomplete, generated, frontier = self._level(
                    depth, answers, generated, stats, incomplete, pool
                )
                if frontier:
                    depth += 1  # states of the next level were stored
                if options.progress is not None:
                    options.progress(
                        Progress(len(book), generated, frontier, depth, time.monotonic() - started)
                    )
            held = pool.nbytes()
        except KeyboardInterrupt:  # Ctrl-C: the levels finished so far
            interrupted = stop = True
            incomplete = "an interrupt (Ctrl-C)"
            held = []
        finally:
            pool.close()
        complete = not stop and incomplete is None and not explorer._stopped_early()
        if incomplete is None and not complete:
            incomplete = "the first violation (--continue goes on)"
        result = explorer._result(
            generated=generated,
            depth=depth,
            seconds=time.monotonic() - started,
            complete=complete,
            incomplete=incomplete,
            visited=visited,
        )
        # The engine's bytes, and each worker's set of fingerprints.
        held_bytes = result.visited_bytes + sum(held)
        result = attrs.evolve(result, visited_bytes=held_bytes, interrupted=interrupted)
        return result, stats

    # -- what the engine does when it stores a state ----------------------------------

    def _stops_at_admission(self, idx: int) -> bool:
        options = self.options
        if options.max_states is not None and idx + 1 >= options.max_states:
            return True
        return options.stop_at_first and any(v[1] == idx for v in self.explorer.violations.values())

    def _cap_reason(self, idx: int) -> str | None:
        cap = self.options.max_states
        if cap is not None and idx + 1 >= cap:
            return f"the --max-states cap of {cap} distinct states"
        return None

    def _level(
        self,
        depth: int,
        answers: list[tuple[LevelStats, LevelReport]],
        generated: int,
        stats: ShippingStats,
        incomplete: str | None,
        pool: Pool,
    ) -> tuple[bool, str | None, int, int]:
        """Fold one level's answers into the book, in the sequential engine's order.

        Returns (stop, the incomplete reason, the generated count, the number of new
        states stored).
        """
        options, explorer, book = self.options, self.explorer, self.book
        for _, report in answers:
            if report.error is not None:
                is_model_error, message = report.error
                raise (ModelError if is_model_error else CheckerError)(message)
        stats.levels += 1
        for level, report in answers:
            stats.states_shipped += report.shipped_states
            stats.bytes_shipped += report.shipped_bytes
            stats.edge_bytes += len(level.tags) * 4 + len(level.targets) * 8
        # The level's states in index order, with what each generated.
        first = min((s.indices[0] for s, _ in answers if len(s.indices)), default=0)
        size = sum(len(s.indices) for s, _ in answers)
        counts = array("I", bytes(4 * size))
        deadlocks: list[int] = []
        for s, _ in answers:
            for idx, count in zip(s.indices, s.counts, strict=True):
                counts[idx - first] = count
            deadlocks.extend(s.deadlocks)
        deadlocks.sort()
        cuts = [s.first_cut for s, _ in answers if s.first_cut >= 0]
        merged = array("Q", sorted(k for _, r in answers for k in r.keys))
        base = len(book)

        # The events of the level, each at its time in the sequential engine: a deadlock
        # of state g at (g, -1), before g's steps; a new state at its discovery key.
        def at(idx: int) -> int:  # a deadlock's time, just before the steps out of idx
            return (idx << ORDINAL_BITS) - 1

        end: int | None = None  # the time the engine stops at
        stops_at_deadlock = options.check_deadlock and options.stop_at_first
        if stops_at_deadlock and deadlocks and "deadlock" not in explorer.violations:
            end = at(deadlocks[0])
        violation_keys = {
            name: min(r.violations[name] for _, r in answers if name in r.violations)
            for name in sorted({n for _, r in answers for n in r.violations})
        }
        if options.stop_at_first and violation_keys:
            first_violation = min(violation_keys.values())
            end = first_violation if end is None else min(end, first_violation)
        cap = options.max_states
        if cap is not None and base + len(merged) >= cap:
            cap_key = merged[cap - 1 - base]
            end = cap_key if end is None else min(end, cap_key)

        def index_of(key: int) -> int:
            return base + bisect.bisect_left(merged, key)

        kept = len(merged) if end is None else bisect.bisect_right(merged, end)
        # A level at --max-depth expands nothing: only a deadlock can end it early.
        if cuts and (end is None or at(min(cuts)) < end):
            incomplete = incomplete or f"the --max-depth bound of {options.max_depth} steps"
        # Deadlocks, witnesses and violations up to the end, as the engine records them.
        for g in deadlocks:
            if options.check_deadlock and (end is None or at(g) <= end):
                explorer.violations.setdefault("deadlock", ("deadlock", g))
                break
        witness_keys: dict[str, int] = {}
        for _, r in answers:
            for name, key in r.witnesses.items():
                witness_keys[name] = min(key, witness_keys.get(name, key))
        for wit in explorer.witnesses:
            reached = witness_keys.get(wit.name)
            if reached is None or wit.name in explorer.witness_found:
                continue
            if end is None or reached <= end:
                explorer.witness_found[wit.name] = index_of(reached)
        for inv in explorer.invariants:
            broken = violation_keys.get(inv.name)
            if broken is None or inv.name in explorer.violations:
                continue
            if end is None or broken <= end:
                explorer.violations[inv.name] = ("invariant", index_of(broken))
        # The generated count at the end: every step of the states expanded before it.
        if end is None:
            generated += sum(counts)
        else:
            parent, ordinal = (end + 1) >> ORDINAL_BITS, (end + 1) & ORDINAL_MASK
            if ordinal == 0:  # a deadlock's time: the state `parent` generated nothing
                generated += sum(counts[: parent - first])
            else:
                parent, ordinal = end >> ORDINAL_BITS, end & ORDINAL_MASK
                generated += sum(counts[: parent - first]) + ordinal + 1
        book.parents.extend(k >> ORDINAL_BITS for k in merged[:kept])
        book.ordinals.extend(k & ORDINAL_MASK for k in merged[:kept])
        self._store(answers, merged, kept)
        if end is None:
            if explorer.graph is not None:
                self._edges(answers, first, size)
            if merged:
                stored = [r.fps for _, r in answers]
                stats.fingerprint_bytes += sum(len(others(stored, w)) for w in range(len(stored)))
                pool.assign(merged, base, stored)
            return False, incomplete, generated, len(merged)
        stopped_by_admission = end >= 0 and ((end + 1) & ORDINAL_MASK) != 0
        if stopped_by_admission:
            if cap is not None and base + kept >= cap:
                incomplete = f"the --max-states cap of {cap} distinct states"
            if options.check_deadlock and "deadlock" not in explorer.violations:
                # As the engine: a deadlock later in this level is a shorter counterexample.
                parent = end >> ORDINAL_BITS
                later = [g for g in deadlocks if g > parent]
                if later:
                    explorer.violations["deadlock"] = ("deadlock", later[0])
        return True, incomplete, generated, kept

    def _store(
        self, answers: list[tuple[LevelStats, LevelReport]], merged: array[int], kept: int
    ) -> None:
        """Store the first `kept` states of the level in index order, as the engine does:
        their fingerprints in the visited set, the goal and premise bits of each."""
        explorer = self.explorer
        size = len(merged)
        fps = array("Q", bytes(8 * size))
        goals = [bytearray(size) for _ in explorer.liveness]
        premises = [bytearray(size) for _ in explorer.liveness]
        for _, report in answers:
            theirs = array("Q")
            theirs.frombytes(report.fps)
            lo = 0
            ranks = []
            for key in report.keys:
                lo = bisect.bisect_left(merged, key, lo)
                ranks.append(lo)
            for rank, fp in zip(ranks, theirs, strict=True):
                fps[rank] = fp
            for k, prop in enumerate(explorer.liveness):
                for rank, bit in zip(ranks, report.goals[k], strict=True):
                    goals[k][rank] = bit
                if prop.premise is not None:
                    for rank, bit in zip(ranks, report.premises[k], strict=True):
                        premises[k][rank] = bit
        add = self.visited.add
        for fp in fps[:kept]:
            add(fp)
        for k, prop in enumerate(explorer.liveness):
            explorer.goals[k].extend(goals[k][:kept])
            if prop.premise is not None:
                explorer.premises[k].extend(premises[k][:kept])

    def _edges(self, answers: list[tuple[LevelStats, LevelReport]], first: int, size: int) -> None:
        """The graph's nodes of the level's states, in index order, with the engine's
        edges and fairness bits (the classes numbered in the order the engine meets them)."""
        explorer = self.explorer
        graph = explorer.graph
        assert graph is not None
        classes = explorer.classes
        index = self.visited.index
        while len(self.names) < len(answers):
            self.names.append([])
        where: list[tuple[int, int, int]] = [(0, 0, 0)] * size
        for w, (s, _) in enumerate(answers):
            self.names[w].extend(s.names)
            offset = 0
            for idx, count in zip(s.indices, s.counts, strict=True):
                where[idx - first] = (w, offset, count)
                offset += count
        for w, offset, count in where:
            tags, targets, names = answers[w][0].tags, answers[w][0].targets, self.names[w]
            mask = 0
            for ordinal in range(count):
                tag = tags[offset + ordinal]
                bit = 0
                number = tag & CLASS_MASK
                if number:  # an honest step: the engine's `class_bit`
                    name = names[number - 1]
                    bit = classes.get(name, 0)
                    if not bit:
                        bit = classes[name] = 1 << len(classes)
                    if tag & STUTTER:
                        bit = 0
                    mask |= bit
                if tag & OUTSIDE:
                    continue
                graph.add_edge(index(targets[offset + ordinal]), ordinal, bit)
            graph.close_node(mask)
