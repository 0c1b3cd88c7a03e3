"""A visited set bigger than memory: fingerprints spill to a sorted file (`--memory`).

`SpillingFingerprintSet` answers as `FingerprintSet` does (`add`, `index`, `in`,
`len`, the sorted `fingerprints`), for the same adds in the same order, whatever its
limit; only where the fingerprints live differs. In the spirit of TLC's DiskFPSet:

- In memory, the fingerprints added since the last spill, in insertion order in an
  `array('Q')`, and an open-addressing table of `array('I')` slots (index + 1, 0 for
  empty, at most half full) whose home slot is the fingerprint's *high* bits scaled to
  the table (`(fp >> 32) * homes >> 32`, monotone in `fp`). Linear probing never
  wraps (a few spare slots past the last home, the last always empty), so read slot
  by slot the table is sorted run by run: each run of full slots holds exactly the
  fingerprints whose homes are in it. So a spill sorts the memory a stretch of the
  table at a time (some thousand slots, up to an empty one), with no copy of the whole.
- On disk, every fingerprint spilled so far, sorted, in one file of `Q` (8 bytes) and,
  beside it, its insertion index in one of `I` (4 bytes): 12 bytes a state, read
  through `mmap`. A directory in memory splits the file into buckets by the
  fingerprints' top bits (64 to 128 fingerprints, about 1 KiB, a bucket on average;
  4 bytes a bucket, where it starts): a disk lookup is two array reads and a `bisect`
  of one bucket. (Fingerprints are uniform, so the buckets are even; a `bisect` over a sparse
  index of every 512th fingerprint instead cost 0.5 us more a lookup.)
- When the table is half full and may not grow within the limit, the memory is merged
  into the file (a new file is written, the old one dropped), a stretch of the table
  at a time: where the disk's stretch is about as long as the memory's, the two are
  sorted together in C; where it is longer, each fingerprint in memory finds its
  place on disk (a `bisect`) and the disk between is copied as whole slices, so the
  Python work is per fingerprint in memory, not on disk.
- A lookup checks memory first, then the disk. The engine asks `index(fp)` and, for a
  new state, `add(fp)` next: `add` does not look on disk again for the fingerprint
  that `index` just missed there.

The limit bounds `nbytes()`: the table, the fingerprints in memory and the directory
(which grows by 1/32 to 1/16 byte a spilled state, so the table shrinks as the disk
grows). Beyond it, a spill works in about 2 MB (a stretch, the output's buffers). The
pages of the file that the operating system caches are not counted, as TLC does not
count them. The files are unlinked as soon as they are created
(`tempfile.TemporaryFile`), so they vanish at `close`, at exit, or if the process is
killed; during a spill the old and new files coexist (the disk peaks at twice).

`visited_set` builds one of the two sets from `--memory`; `parse_memory` reads the
option's text.
"""

from __future__ import annotations

import heapq
import mmap
import operator
import re
import tempfile
import weakref
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from itertools import repeat
from operator import and_, lshift, or_, rshift
from typing import IO, Any

from model_check.fingerprint import FingerprintSet, observed_collision_probability

#: The most disk fingerprints a bucket of the directory holds on average (at least
#: half as many).
BUCKET = 128
#: Bytes on disk a spilled state: its fingerprint (8) and its insertion index (4).
ENTRY_BYTES = 12
#: Slots past the table's last home, so that a probe never wraps around; the last
#: slot is never filled and stops every probe.
_PAD = 32
#: The table's first size (in home slots) and its least.
_FIRST_HOMES = 1 << 12
_LEAST_HOMES = 4
#: Entries buffered by a spill before they are written.
_CHUNK = 1 << 16
#: Slots of the table a spill takes at a time (about half as many fingerprints).
_STRETCH = 1 << 13
#: A spill merges a stretch of memory with the disk's in C when the disk's stretch
#: holds at most this many times as many fingerprints. (Measured: in C, 0.35 us an
#: entry of either; else 1 us a fingerprint in memory, the disk copied as slices.)
_DENSE = 2


class _Disk:
    """The sorted run on disk: the maps of its two unlinked files, and their views."""

    def __init__(self) -> None:
        self.maps: list[mmap.mmap] = []
        self.fps: memoryview | None = None  # the fingerprints, sorted ('Q')
        self.idx: memoryview | None = None  # their insertion indices ('I')

    def open(self, fps_file: IO[bytes], idx_file: IO[bytes]) -> None:
        """Map two written files as the run (after `close` of the previous one). The
        caller may close the files then: a map keeps its own descriptor."""
        self.maps = [
            mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) for f in (fps_file, idx_file)
        ]
        self.fps = memoryview(self.maps[0]).cast("Q")
        self.idx = memoryview(self.maps[1]).cast("I")

    def close(self) -> None:
        """Release the views and the maps (the system then frees the files)."""
        for view in (self.fps, self.idx):
            if view is not None:
                view.release()
        self.fps = self.idx = None
        for m in self.maps:
            m.close()
        self.maps = []


class SpillingFingerprintSet:
    """The visited set within `limit_bytes` of memory, the rest on disk.

    Same interface and same answers as `FingerprintSet` (see the module docstring),
    plus `disk_bytes()`, `spills` (how many times memory was merged into the disk),
    `min_gap()` (the least gap between two stored fingerprints, streamed) and `close`.
    Files go to `directory` (default: the system's temporary directory). The limit
    is kept down to a table of a few slots; below some hundred bytes the set keeps
    that least table and spills every couple of states (slow, for tests only).
    """

    def __init__(self, limit_bytes: int, directory: str | None = None) -> None:
        self._setup(limit_bytes, directory)

    def _setup(self, limit_bytes: int, directory: str | None) -> None:
        """An empty set (for `__init__` and `__setstate__`)."""
        if limit_bytes <= 0:
            raise ValueError(f"the memory limit must be positive, not {limit_bytes}")
        self.limit = limit_bytes
        self.directory = directory
        self.spills = 0
        self._disk = _Disk()
        self._finalizer = weakref.finalize(self, self._disk.close)
        self._count = 0  # fingerprints on disk; they have the indices 0 .. count - 1
        # Bucket b of the disk (fingerprints with fp >> shift == b) is
        # starts[b] .. starts[b + 1] - 1.
        self._shift = 64
        self._starts = array("I", [0, 0])
        self._miss = 0  # the fingerprint `index` last found nowhere (0: none)
        self._fps = array("Q")  # in memory since the last spill, in insertion order
        self._homes = min(_FIRST_HOMES, self._most_homes())
        self._table = self._empty_table(self._homes)

    # -- sizes ------------------------------------------------------------------------

    def _most_homes(self) -> int:
        """The most home slots whose table, half full, fits the limit beside the
        directory (at least a few)."""
        room = self.limit - self._starts.itemsize * len(self._starts) - 4 * _PAD
        return max(_LEAST_HOMES, room // 8)  # 4 bytes a slot, 8 a fingerprint, half full

    @staticmethod
    def _empty_table(homes: int) -> array[int]:
        return array("I", bytes(4 * (homes + _PAD)))

    def __len__(self) -> int:
        return self._count + len(self._fps)

    def nbytes(self) -> int:
        """Bytes held in memory: the fingerprints, the table and the directory."""
        return (
            self._fps.itemsize * len(self._fps)
            + self._table.itemsize * len(self._table)
            + self._starts.itemsize * len(self._starts)
        )

    def disk_bytes(self) -> int:
        """Bytes of the sorted run on disk (fingerprints and indices)."""
        return ENTRY_BYTES * self._count

    # -- lookups ----------------------------------------------------------------------

    def _on_disk(self, fp: int) -> int:
        """The insertion index of `fp` on disk, or -1."""
        disk = self._disk
        assert disk.fps is not None and disk.idx is not None
        b = fp >> self._shift
        hi = self._starts[b + 1]
        j = bisect_left(disk.fps, fp, self._starts[b], hi)
        if j < hi and disk.fps[j] == fp:
            return int(disk.idx[j])
        return -1

    def index(self, fp: int) -> int:
        """The insertion index of `fp`, or -1 when it is not stored."""
        fps = self._fps
        table = self._table
        i = ((fp >> 32) * self._homes) >> 32
        while True:
            slot = table[i]
            if slot == 0:
                break
            if fps[slot - 1] == fp:
                return self._count + slot - 1
            i += 1
        if self._count:  # `_on_disk`, inline
            disk = self._disk
            assert disk.fps is not None and disk.idx is not None
            b = fp >> self._shift
            hi = self._starts[b + 1]
            j = bisect_left(disk.fps, fp, self._starts[b], hi)
            if j < hi and disk.fps[j] == fp:
                return int(disk.idx[j])
        self._miss = fp
        return -1

    def __contains__(self, fp: object) -> bool:
        return isinstance(fp, int) and self.index(fp) >= 0

    def add(self, fp: int) -> bool:
        """Insert `fp` (its index becomes `len(self) - 1`); return whether it was new."""
        fps = self._fps
        table = self._table
        i = ((fp >> 32) * self._homes) >> 32
        while True:
            slot = table[i]
            if slot == 0:
                break
            if fps[slot - 1] == fp:
                return False
            i += 1
        # Only adds store, and only `add(fp)` stores fp: a miss of `index` stays one.
        if self._count and fp != self._miss and self._on_disk(fp) >= 0:
            return False
        self._miss = 0
        if i == len(table) - 1:  # a run reached the last slot (all but impossible)
            self._spill()
            fps, table = self._fps, self._table
            i = ((fp >> 32) * self._homes) >> 32
        fps.append(fp)
        table[i] = len(fps)
        if 2 * len(fps) >= self._homes:
            self._make_room()
        return True

    # -- growing and spilling ---------------------------------------------------------

    def _make_room(self) -> None:
        """The table is half full: double it if the limit allows, else spill."""
        homes = min(2 * self._homes, self._most_homes())
        if homes <= self._homes:
            self._spill()
            return
        # More homes never push more fingerprints past the last one (those with homes
        # from t on in the new table had homes from t / 2 on in the old, with half the
        # slots to fill before the end): the last slot stays empty.
        table = self._empty_table(homes)
        for n, fp in enumerate(self._fps, 1):
            i = ((fp >> 32) * homes) >> 32
            while table[i]:
                i += 1
            table[i] = n
        self._table, self._homes = table, homes

    def _sorted_memory(self) -> Iterator[tuple[int, int]]:
        """The fingerprints in memory with their positions in it, sorted: run by run
        of the table (see the module docstring)."""
        fps = self._fps
        run: list[int] = []
        for slot in self._table:  # the last slot is empty: every run ends
            if slot:
                run.append(slot)
            elif run:
                if len(run) > 1:
                    run.sort(key=lambda s: fps[s - 1])
                for s in run:
                    yield fps[s - 1], s - 1
                run.clear()

    def _spill(self) -> None:
        """Merge the memory into the disk; empty the memory (the table shrinks if the
        directory has grown into its room)."""
        if len(self) >= 1 << 32:
            raise OverflowError("the visited set is limited to 2**32 - 1 states")
        with self._file("fps") as fps_out, self._file("idx") as idx_out:
            self._merge(fps_out, idx_out)
            fps_out.flush()
            idx_out.flush()
            self._disk.close()
            self._disk.open(fps_out, idx_out)
        self._count += len(self._fps)
        self._index_disk()
        self._fps = array("Q")
        self._homes = min(self._homes, self._most_homes())
        self._table = self._empty_table(self._homes)
        self.spills += 1

    def _index_disk(self) -> None:
        """Build the directory of the disk's buckets (2**bits of them, so that each
        holds BUCKET / 2 to BUCKET fingerprints on average)."""
        fps = self._disk.fps
        assert fps is not None
        bits = (self._count // BUCKET).bit_length()
        self._shift = shift = 64 - bits
        starts = array("I", (bisect_left(fps, b << shift) for b in range(1 << bits)))
        starts.append(self._count)
        self._starts = starts

    def _file(self, name: str) -> IO[bytes]:
        """A new temporary file in the directory, unlinked already (where the system
        allows it; else when it is closed)."""
        return tempfile.TemporaryFile(prefix=f"coordspec-{name}-", dir=self.directory)

    def _merge(self, fps_out: IO[bytes], idx_out: IO[bytes]) -> None:
        """Write the disk and the memory, merged, to the two files."""
        empty = memoryview(b"")
        disk_fps = empty.cast("Q") if self._disk.fps is None else self._disk.fps
        disk_idx = empty.cast("I") if self._disk.idx is None else self._disk.idx
        count, base = self._count, self._count
        shift, starts = self._shift, self._starts
        out_fps, out_idx = array("Q"), array("I")

        def flush() -> None:
            out_fps.tofile(fps_out)
            out_idx.tofile(idx_out)
            del out_fps[:], out_idx[:]

        def copy(start: int, end: int) -> None:
            """Copy disk entries start .. end - 1 (a long stretch straight to the files)."""
            if end - start < _CHUNK:
                out_fps.frombytes(disk_fps[start:end].cast("B"))
                out_idx.frombytes(disk_idx[start:end].cast("B"))
            else:
                flush()
                fps_out.write(disk_fps[start:end].cast("B"))
                idx_out.write(disk_idx[start:end].cast("B"))

        # The table is cut into stretches of slots ending at an empty slot, so that
        # each holds whole runs: the fingerprints in memory with homes a .. b - 1,
        # which lie between the thresholds of a and b; the disk's below b's threshold
        # are pos .. end - 1. Where the stretch of disk is short, the two are merged
        # in C (packed as fp << 32 | index, sorted together); else each fingerprint
        # in memory finds its place on disk and the disk between is copied as a slice.
        table, fps, homes = self._table, self._fps, self._homes
        last = len(table) - 1  # always empty
        rebase = (base - 1).__add__  # slot -> insertion index
        position = (-1).__add__  # slot -> position in memory
        pos = 0  # the disk is written up to here
        a = 0
        while a < last:
            b = min(a + _STRETCH, last)
            while table[b]:
                b += 1
            slots = list(filter(None, table[a:b]))
            a = b + 1
            if not slots:
                continue
            memory = map(fps.__getitem__, map(position, slots))
            packed = list(map(or_, map(lshift, memory, repeat(32)), map(rebase, slots)))
            threshold = -((-b << 32) // homes) << 32  # the least fingerprint of home b
            if threshold >> 64 or not count:
                end = count
            else:
                bucket = threshold >> shift
                end = bisect_left(disk_fps, threshold, max(pos, starts[bucket]), starts[bucket + 1])
            if end - pos <= _DENSE * len(slots):
                packed += map(or_, map(lshift, disk_fps[pos:end], repeat(32)), disk_idx[pos:end])
                packed.sort()
                out_fps.extend(map(rshift, packed, repeat(32)))
                out_idx.extend(map(and_, packed, repeat(0xFFFFFFFF)))
                pos = end
            else:
                packed.sort()
                for entry in packed:
                    fp = entry >> 32
                    j = bisect_left(disk_fps, fp, pos, end)
                    if j > pos:
                        copy(pos, j)
                        pos = j
                    out_fps.append(fp)
                    out_idx.append(entry & 0xFFFFFFFF)
            if len(out_fps) >= _CHUNK:
                flush()
        if pos < count:
            copy(pos, count)
        flush()

    # -- the whole set ----------------------------------------------------------------

    def fingerprints(self) -> list[int]:
        """The stored fingerprints, sorted (in memory: for small sets; see `min_gap`)."""
        memory = [fp for fp, _ in self._sorted_memory()]
        if not self._count:
            return memory
        assert self._disk.fps is not None
        return list(heapq.merge(self._disk.fps, memory))

    def min_gap(self) -> int | None:
        """The least difference between two stored fingerprints (None for fewer than
        two), without holding them all: the disk's own gaps (in C), then each
        fingerprint in memory against its neighbours in memory and on disk."""
        best: int | None = None
        disk = self._disk.fps
        if self._count >= 2:
            assert disk is not None
            best = min(map(operator.sub, disk[1:], disk[:-1]))
        before: int | None = None
        for fp, _ in self._sorted_memory():
            gaps = [] if before is None else [fp - before]
            before = fp
            if self._count:
                assert disk is not None
                bucket = fp >> self._shift
                j = bisect_left(disk, fp, self._starts[bucket], self._starts[bucket + 1])
                if j > 0:
                    gaps.append(fp - disk[j - 1])
                if j < self._count:
                    gaps.append(disk[j] - fp)
            if gaps:
                least = min(gaps)
                best = least if best is None else min(best, least)
        return best

    def observed_collision(self) -> float:
        """TLC's "observed" collision estimate (`observed_collision_probability`)."""
        gap = self.min_gap()
        return 0.0 if gap is None else 1.0 / max(gap, 1)

    # -- lifetime ---------------------------------------------------------------------

    def close(self) -> None:
        """Drop the files (also done when the set is collected, or at exit). The set
        must not be used afterwards."""
        self._finalizer()

    def __enter__(self) -> SpillingFingerprintSet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        """For a checkpoint: the memory as it is and the disk's contents as bytes."""
        disk = self._disk
        return {
            "limit": self.limit,
            "directory": self.directory,
            "spills": self.spills,
            "fps": self._fps,
            "homes": self._homes,
            "table": self._table,
            "miss": self._miss,
            "disk_fps": b"" if disk.fps is None else disk.fps.tobytes(),
            "disk_idx": b"" if disk.idx is None else disk.idx.tobytes(),
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._setup(state["limit"], state["directory"])
        self.spills = state["spills"]
        self._fps, self._homes, self._table = state["fps"], state["homes"], state["table"]
        self._miss = state["miss"]
        if state["disk_fps"]:
            with self._file("fps") as fps_file, self._file("idx") as idx_file:
                fps_file.write(state["disk_fps"])
                idx_file.write(state["disk_idx"])
                fps_file.flush()
                idx_file.flush()
                self._disk.open(fps_file, idx_file)
            assert self._disk.fps is not None
            self._count = len(self._disk.fps)
            self._index_disk()


def visited_set(
    memory: int | None, directory: str | None = None
) -> FingerprintSet | SpillingFingerprintSet:
    """The visited set for `--memory`: all in memory when `memory` is None (the
    directory is then unused), else within `memory` bytes, spilling to `directory`."""
    if memory is None:
        return FingerprintSet()
    return SpillingFingerprintSet(memory, directory)


def observed_collision(visited: FingerprintSet | SpillingFingerprintSet) -> float:
    """TLC's "observed" collision estimate of either set (streamed for the spilling one)."""
    if isinstance(visited, SpillingFingerprintSet):
        return visited.observed_collision()
    return observed_collision_probability(visited.fingerprints())


_UNITS = {
    "": 1,
    "b": 1,
    "k": 1 << 10,
    "kib": 1 << 10,
    "m": 1 << 20,
    "mib": 1 << 20,
    "g": 1 << 30,
    "gib": 1 << 30,
    "t": 1 << 40,
    "tib": 1 << 40,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
}
_AMOUNT = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)\s*")


def parse_memory(text: str) -> int:
    """Bytes from a `--memory` text: a number of bytes ("100000000"), or a number with
    a unit: K, M, G, T or KiB, MiB, GiB, TiB (powers of 1024: "512M", "1.5GiB"), or KB,
    MB, GB, TB (powers of 1000); units in any case. Rounded down to whole bytes.

    Raises:
        ValueError: the text is not such an amount, or it is less than one byte.
    """
    found = _AMOUNT.fullmatch(text)
    unit = _UNITS.get(found.group(2).lower()) if found else None
    if found is None or unit is None:
        raise ValueError(
            f"cannot read {text!r} as an amount of memory: give bytes or a number with a "
            "unit, e.g. 100000000, 512M, 2G, 1.5GiB (K, M, G, T: powers of 1024; KB, MB, "
            "GB, TB: of 1000)"
        )
    try:
        amount = int(Decimal(found.group(1)) * unit)
    except InvalidOperation as err:  # pragma: no cover - the pattern admits decimals only
        raise ValueError(f"cannot read {text!r} as an amount of memory") from err
    if amount < 1:
        raise ValueError(f"the memory limit {text!r} is less than one byte")
    return amount
