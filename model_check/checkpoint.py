"""Checkpoints of the sequential breadth-first search: write, read, compare, resume.

A checkpoint is a consistent snapshot of `model_check.engine`'s search, taken at a safe
point of its loop (between the expansions of two states, never inside `admit`): the
visited set, the queue of states, the parent links, the liveness graph and its goal and
premise bits, the fairness classes met, the witnesses and violations found, and the
counters. Resuming from it continues the search exactly where it stopped, so the result
(counts, verdicts, counterexamples, witness traces) is the uninterrupted run's.

The file, `DIR/checkpoint.bin`, is written whole to `DIR/checkpoint.bin.tmp`, flushed
and synced, renamed onto the final name (`os.replace`, atomic) and the directory synced:
a reader sees the previous complete snapshot or the new one, never a mix; a temporary
file left by a kill during a write is never read (the next write replaces it). Its
layout (little-endian):

    magic b"COORDCKP" | format version u32 | manifest length u32 | payload length u64
    | SHA-256 of manifest + payload (32 bytes) | manifest (JSON) | payload (pickle)

The digest is checked before anything is parsed or unpickled, so a torn, truncated or
corrupted file is refused (`CheckpointError`, one line), never used. The manifest names
what the snapshot is of: the model's class, its configuration's parameters as the
command line types them, the SHA-256 of each source file the search depends on (the
packages of the model's classes and the checker's search modules, `source_files`) and the
options that change the result; a resume that differs in any of them is refused, naming
the first difference. The payload is a pickle (arrays pickle as their bytes, states as
their attrs fields): a checkpoint is trusted input, to be resumed only from a directory
of one's own.

One run writes into a directory at a time (the temporary file's name is fixed).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import signal
import struct
import sys
import threading
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import IO, Any

import attrs

from model_check.engine import CheckerError, VisitedSet
from model_check.liveness import Graph
from spec.core import Config, Model

#: The format written; a file of another version is refused.
FORMAT_VERSION = 1
MAGIC = b"COORDCKP"
_HEADER = struct.Struct("<8sIIQ32s")
#: The checkpoint's file name in its directory, and the temporary one it is written to.
FILE_NAME = "checkpoint.bin"
TEMP_NAME = FILE_NAME + ".tmp"
#: Seconds between two snapshots when `--checkpoint-every` is not given.
DEFAULT_EVERY = 300.0
#: The checker's modules whose sources a snapshot depends on, besides the model's.
CHECKER_MODULES = (
    "model_check.engine",
    "model_check.diskset",
    "model_check.fingerprint",
    "model_check.liveness",
    "model_check.traces",
    "model_check.checkpoint",
)
#: A test hook: seconds to sleep in the middle of each write (a kill then tears it).
PAUSE_ENV = "COORDSPEC_CHECKPOINT_TEST_PAUSE"
_CHUNK = 1 << 20


class CheckpointError(CheckerError):
    """A checkpoint cannot be written, read or resumed: one line naming why."""


@attrs.define
class Snapshot:
    """The state of a breadth-first search at a safe point (`_Explorer.run`'s locals)."""

    visited: VisitedSet
    queue: deque[Any]
    parents: array[int]
    ordinals: array[int]
    graph: Graph | None
    goals: list[bytearray]
    premises: list[bytearray]
    classes: dict[str, int]
    witness_found: dict[str, int]
    violations: dict[str, tuple[str, int]]
    generated: int
    depth: int
    level_end: int
    expanded: int
    incomplete: str | None
    seconds: float


# -- what a snapshot is of --------------------------------------------------------------


def param_text(value: object) -> str:
    """A configuration value as the command line types it (`faulty=0,3`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def source_files(model: Model[Any, Any]) -> dict[str, Path]:
    """The source files a search of `model` depends on, by a portable name.

    For each class in the model's method resolution order outside the standard library,
    every `.py` file of its top-level package, subpackages included (a class of
    `spec/x/` and its base `spec.core.Model` give `spec/**/*.py`: the protocol, the
    contract, the restated properties and the symmetry it uses), or its module alone
    when it is in no package (a model file); and the checker's `CHECKER_MODULES`.
    """
    files: dict[str, Path] = {}
    for name in dict.fromkeys(cls.__module__ for cls in type(model).__mro__):
        module = sys.modules.get(name)
        top = name.partition(".")[0]
        file = getattr(module, "__file__", None)
        if top in sys.stdlib_module_names or module is None or file is None:
            continue
        path = Path(file)
        package = sys.modules.get(top)
        if module.__package__ and getattr(package, "__file__", None):
            root = Path(str(getattr(package, "__file__", ""))).parent
            for member in root.rglob("*.py"):
                files[f"{top}/{member.relative_to(root).as_posix()}"] = member
        else:
            files[path.name] = path
    for name in CHECKER_MODULES:
        files[name.replace(".", "/") + ".py"] = Path(str(sys.modules[name].__file__))
    return dict(sorted(files.items()))


def file_digest(path: Path) -> str:
    """The SHA-256 of a file, in hex."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def manifest(
    model: Model[Any, Any], options: Mapping[str, object], label: str | None = None
) -> dict[str, Any]:
    """What a snapshot of a search of `model` is of (JSON-ready).

    Args:
        model: the model searched; its `config` (a `spec.core.Config`), when it has one,
            gives the parameters.
        options: the options that change the result, by name.
        label: how the model is named to a person (`mymodel`, `mymodel --variant x`); the
            model's class name when omitted.
    """
    cls = type(model)
    config = getattr(model, "config", None)
    params = (
        [[k, param_text(v)] for k, v in config.as_dict().items()]
        if isinstance(config, Config)
        else []
    )
    return {
        "format": FORMAT_VERSION,
        "label": label or cls.__name__,
        "model": f"{cls.__module__}.{cls.__qualname__}",
        "params": params,
        "unsafe": bool(isinstance(config, Config) and config.unsafe),
        "options": {k: options[k] for k in sorted(options)},
        "sources": [[name, file_digest(p)] for name, p in source_files(model).items()],
    }


def difference(saved: Mapping[str, Any], wanted: Mapping[str, Any]) -> str | None:
    """The first difference between a checkpoint's manifest and this run's, in words
    (`the checkpoint is of mymodel with n=1, this run asks n=2`), or None."""
    was, now = saved["label"], wanted["label"]
    if (was, saved["model"]) != (now, wanted["model"]):
        return (
            f"the checkpoint is of {was} ({saved['model']}), "
            f"this run checks {now} ({wanted['model']})"
        )
    old, new = dict(saved["params"]), dict(wanted["params"])
    for name in [*old, *(n for n in new if n not in old)]:
        if old.get(name) != new.get(name):
            before = f"{name}={old[name]}" if name in old else f"no parameter {name}"
            after = f"{name}={new[name]}" if name in new else f"no parameter {name}"
            return f"the checkpoint is of {was} with {before}, this run asks {after}"
    if saved["unsafe"] != wanted["unsafe"]:

        def word(unsafe: bool) -> str:
            return "with" if unsafe else "without"

        return (
            f"the checkpoint is of {was} {word(saved['unsafe'])} --allow-unsafe-faults, "
            f"this run is {word(wanted['unsafe'])} it"
        )
    for name, value in wanted["options"].items():
        before = saved["options"].get(name)
        if before != value:
            return (
                f"the checkpoint's search has {name}={_json(before)}, "
                f"this run asks {name}={_json(value)}"
            )
    old, new = dict(saved["sources"]), dict(wanted["sources"])
    for name in sorted({*old, *new}):
        if old.get(name) != new.get(name):
            if name not in old:
                change = "is new"
            elif name not in new:
                change = "is gone"
            else:
                change = "changed"
            return f"the sources differ from the checkpoint's: {name} {change} since it was written"
    return None


def _json(value: object) -> str:
    return json.dumps(value)


# -- the file -----------------------------------------------------------------------------


class _HashingWriter:
    """A binary file that hashes what is written to it (pickle streams through it)."""

    def __init__(self, file: IO[bytes], digest: Any) -> None:
        self.file = file
        self.digest = digest
        self.count = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.count += len(data)
        return self.file.write(data)


def write(directory: Path, header: Mapping[str, Any], snapshot: Snapshot) -> int:
    """Write `snapshot` atomically as `directory/checkpoint.bin`; return its size in bytes.

    Raises:
        CheckpointError: the file cannot be written (the previous one is left as it was).
    """
    final = directory / FILE_NAME
    temp = directory / TEMP_NAME
    text = json.dumps(header, sort_keys=True).encode()
    digest = hashlib.sha256(text)
    pause = float(os.environ.get(PAUSE_ENV) or 0)
    try:
        with temp.open("wb") as f:
            f.write(bytes(_HEADER.size))  # a placeholder: a torn file has no valid magic
            f.write(text)
            out = _HashingWriter(f, digest)
            pickle.dump(snapshot, out, protocol=pickle.HIGHEST_PROTOCOL)
            if pause:
                f.flush()
                time.sleep(pause)
            f.seek(0)
            f.write(_HEADER.pack(MAGIC, FORMAT_VERSION, len(text), out.count, digest.digest()))
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, final)
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as err:
        raise CheckpointError(f"checkpoint: cannot write {final}: {err.strerror or err}") from None
    return _HEADER.size + len(text) + out.count


def read(directory: Path) -> tuple[dict[str, Any], Callable[[], Snapshot]]:
    """The manifest of `directory/checkpoint.bin`, and a function that loads its snapshot.

    The file's length and SHA-256 are checked before its manifest is parsed; the
    snapshot is unpickled only when the returned function is called.

    Raises:
        CheckpointError: no checkpoint there, or a damaged one (torn, truncated,
            corrupted) or of another format version.
    """
    path = directory / FILE_NAME
    try:
        f = path.open("rb")
    except FileNotFoundError:
        raise CheckpointError(
            f"resume: no checkpoint in {directory} (no {FILE_NAME}; "
            "coordspec check ... --checkpoint DIR writes one)"
        ) from None
    except OSError as err:
        raise CheckpointError(f"resume: cannot read {path}: {err.strerror or err}") from None
    with f:
        size = os.fstat(f.fileno()).st_size
        damaged = f"resume: {path} is damaged"
        raw = f.read(_HEADER.size)
        if len(raw) < _HEADER.size:
            raise CheckpointError(f"{damaged} (truncated: {size} bytes); it cannot be used")
        magic, version, text_length, payload_length, expected = _HEADER.unpack(raw)
        if magic != MAGIC:
            raise CheckpointError(f"{damaged} (not a coordspec checkpoint); it cannot be used")
        if version != FORMAT_VERSION:
            raise CheckpointError(
                f"resume: {path} is of checkpoint format {version}; "
                f"this coordspec reads format {FORMAT_VERSION}"
            )
        total = _HEADER.size + text_length + payload_length
        if size != total:
            raise CheckpointError(
                f"{damaged} (truncated: {size} of {total} bytes); it cannot be used"
            )
        digest = hashlib.sha256()
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
        if digest.digest() != expected:
            raise CheckpointError(
                f"{damaged} (its SHA-256 does not match its contents); it cannot be used"
            )
        f.seek(_HEADER.size)
        text = f.read(text_length)
    header = json.loads(text)

    def load() -> Snapshot:
        with path.open("rb") as g:
            g.seek(_HEADER.size + text_length)
            snapshot = pickle.load(g)
        if not isinstance(snapshot, Snapshot):  # pragma: no cover - the digest matched
            raise CheckpointError(f"{damaged} (its payload is no snapshot)")
        return snapshot

    return header, load


# -- a run's checkpoints ------------------------------------------------------------------


class Checkpointer:
    """The checkpoints of one search: where they go, when, and where to resume from.

    Handed to `model_check.engine.check`, which calls `start` before its search,
    `due` at its safe points (every `stride` expansions: a cheap test) and `save` when
    one is due. Afterwards it says what was written (`writes`, `last_bytes`,
    `last_write_seconds`, `load_seconds`; `stopped`: the search stopped at a snapshot).

    Args:
        directory: where to write the snapshots (`DIR/checkpoint.bin`); None with
            `resume`: into the resumed directory.
        resume: a directory whose checkpoint the search resumes from.
        every: seconds between two snapshots.
        label: the model's name, for the messages (`mymodel`, `mymodel --variant x`).
        stride: test the clock every this many expansions (a power of two).
        stop_after: write a snapshot at the first safe point after this many
            expansions and stop, as an interrupted run (a run cut in two, for tests).
        signals: on SIGINT and SIGTERM during the search (in the main thread), write a
            snapshot at the next safe point and stop as an interrupted run; a second
            signal stops at once, without one.
    """

    def __init__(
        self,
        directory: Path | None = None,
        *,
        resume: Path | None = None,
        every: float = DEFAULT_EVERY,
        label: str | None = None,
        stride: int = 256,
        stop_after: int | None = None,
        signals: bool = True,
    ) -> None:
        target = directory if directory is not None else resume
        if target is None:
            raise ValueError("a Checkpointer needs a directory to write or to resume from")
        if every <= 0:
            raise ValueError("the seconds between two checkpoints must be positive")
        if stride < 1 or stride & (stride - 1):
            raise ValueError("the stride must be a power of two")
        self.directory = target
        self.resume = resume
        self.every = every
        self.label = label
        self.mask = stride - 1
        self.stop_after = stop_after
        self.signals = signals
        self.signal: int | None = None  # the signal received, once one is
        self.stopping = False  # a snapshot is due and the search stops after it
        self.stopped = False  # the search stopped at a snapshot written whole
        self.header: dict[str, Any] = {}
        self.next_at = 0.0
        self.writes = 0
        self.last_bytes = 0
        self.last_write_seconds = 0.0
        self.load_seconds = 0.0

    @property
    def path(self) -> Path:
        """The checkpoint file written."""
        return self.directory / FILE_NAME

    @property
    def reason(self) -> str:
        """Why the search stopped at a snapshot (the result's `incomplete_reason`)."""
        if self.signal == signal.SIGTERM:
            return "an interrupt (SIGTERM)"
        if self.signal is not None:
            return "an interrupt (Ctrl-C)"
        return f"a stop after {self.stop_after} expansions (checkpoint)"

    def start(self, model: Model[Any, Any], options: Mapping[str, object]) -> Snapshot | None:
        """Prepare the directory; with `resume`, the snapshot to resume from.

        Raises:
            CheckpointError: the directory cannot be made, or the checkpoint is missing,
                damaged, or of another model, configuration, source or option (the
                first difference named).
        """
        self.header = manifest(model, options, self.label)
        snapshot = None
        if self.resume is not None:
            began = time.monotonic()
            saved, load = read(self.resume)
            different = difference(saved, self.header)
            if different is not None:
                raise CheckpointError(f"resume: {different}")
            snapshot = load()
            self.load_seconds = time.monotonic() - began
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise CheckpointError(
                f"checkpoint: cannot make {self.directory}: {err.strerror or err}"
            ) from None
        self.next_at = time.monotonic() + self.every
        return snapshot

    def due(self, expanded: int) -> bool:
        """Whether a snapshot is due at this safe point (`stopping` says whether the
        search stops after it)."""
        if self.signal is not None or (self.stop_after is not None and expanded >= self.stop_after):
            self.stopping = True
            return True
        return time.monotonic() >= self.next_at

    def save(self, snapshot: Snapshot) -> None:
        """Write the snapshot (atomically: `write`).

        Raises:
            CheckpointError: it cannot be written.
        """
        began = time.monotonic()
        self.last_bytes = write(self.directory, self.header, snapshot)
        self.writes += 1
        self.stopped = self.stopping
        now = time.monotonic()
        self.last_write_seconds = now - began
        self.next_at = now + self.every

    @contextlib.contextmanager
    def watch(self) -> Iterator[None]:
        """While the search runs: SIGINT and SIGTERM ask for a snapshot and a stop."""
        if not self.signals or threading.current_thread() is not threading.main_thread():
            yield
            return
        caught = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.getsignal(sig) for sig in caught}

        def handler(signum: int, frame: FrameType | None) -> None:
            if self.signal is not None:  # a second signal: stop now, without a snapshot
                raise KeyboardInterrupt
            self.signal = signum

        for sig in caught:
            signal.signal(sig, handler)
        try:
            yield
        finally:
            for sig, before in previous.items():
                signal.signal(sig, before)
