"""The spilling visited set (`model_check.diskset`): the same answers as `FingerprintSet`
whatever the memory limit, indices after spills, `parse_memory`, the temporary files,
and the synthetic counter model of `benchmarks/bench_spill.py`."""

from __future__ import annotations

import gc
import itertools
import os
import pickle
import random
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model_check import diskset, engine
from model_check.diskset import (
    ENTRY_BYTES,
    SpillingFingerprintSet,
    observed_collision,
    parse_memory,
    visited_set,
)
from model_check.engine import Options, check
from model_check.fingerprint import FingerprintSet
from model_check.result import CheckResult
from spec.core import Model
from tests.models.counter import Counter, CounterConfig
from tests.models.diehard import DieHard, DieHardConfig
from tests.models.tokens import Tokens, TokensConfig

TOP = (1 << 64) - 1

#: Fingerprints: uniform ones, and crowds at the bottom and the top of the range (one
#: home slot, long runs in the table, the last slot reached).
FINGERPRINTS = st.one_of(
    st.integers(1, TOP),
    st.integers(1, 300),
    st.integers(TOP - 300, TOP),
)


def min_gap(fps: list[int]) -> int | None:
    return min((b - a for a, b in itertools.pairwise(fps)), default=None)


def same_answers(ref: FingerprintSet, spilled: SpillingFingerprintSet, probes: list[int]) -> None:
    assert len(spilled) == len(ref)
    for fp in probes:
        assert spilled.index(fp) == ref.index(fp)
        assert (fp in spilled) == (fp in ref)
    assert spilled.fingerprints() == ref.fingerprints()
    assert spilled.min_gap() == min_gap(ref.fingerprints())


# --- equivalence with FingerprintSet ----------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    limit=st.sampled_from([1, 100, 400, 1500, 10**9]),
    stretch=st.sampled_from([1, 8, diskset._STRETCH]),
    ops=st.lists(st.tuples(st.booleans(), FINGERPRINTS), max_size=250),
)
def test_same_answers_as_the_in_memory_set(
    limit: int, stretch: int, ops: list[tuple[bool, int]]
) -> None:
    """Each `add` and `index` answers as FingerprintSet's, under limits that spill
    every few states, and the whole set is the same at the end. (Spills merge a
    stretch of the table at a time: short stretches make many, as large tables do.)"""
    ref = FingerprintSet()
    default, diskset._STRETCH = diskset._STRETCH, stretch
    try:
        with SpillingFingerprintSet(limit) as spilled:
            for look_first, fp in ops:
                if look_first:
                    assert spilled.index(fp) == ref.index(fp)
                assert spilled.add(fp) == ref.add(fp)
            same_answers(ref, spilled, [fp for _, fp in ops] + [1, 2, TOP])
    finally:
        diskset._STRETCH = default


def test_indices_after_many_spills() -> None:
    """Every fingerprint keeps its insertion index through the spills, which merge
    memory into the sorted disk; nothing else is found."""
    rng = random.Random(7)
    fps = list(dict.fromkeys(rng.getrandbits(64) or 1 for _ in range(20_000)))
    with SpillingFingerprintSet(20_000) as spilled:
        most = 0
        for n, fp in enumerate(fps):
            assert spilled.index(fp) == -1
            assert spilled.add(fp)
            assert not spilled.add(fp)
            assert spilled.index(fp) == n
            most = max(most, spilled.nbytes())
        assert spilled.spills >= 10
        assert most <= spilled.limit
        assert spilled.disk_bytes() > ENTRY_BYTES * len(fps) // 2
        for n, fp in enumerate(fps):
            assert spilled.index(fp) == n
        for _ in range(2_000):
            fp = rng.getrandbits(64)
            assert spilled.index(fp) == (fps.index(fp) if fp in fps else -1)
        assert spilled.fingerprints() == sorted(fps)


def test_grows_then_spills_long_stretches() -> None:
    """The table doubles while the limit allows, then spills; a spill copies long
    stretches of the disk between fingerprints in memory (here all of it, after)."""
    rng = random.Random(11)
    fps = [rng.getrandbits(64) | 1 << 40 for _ in range(100_000)]
    low = list(range(1, 200))  # below every fingerprint on disk
    ref = FingerprintSet()
    with SpillingFingerprintSet(500_000) as spilled:
        homes: list[int] = []
        for fp in fps:
            assert spilled.add(fp) == ref.add(fp)
            if not homes or homes[-1] != spilled._homes:
                homes.append(spilled._homes)
        assert homes[:3] == [4096, 8192, 16384]
        assert spilled.nbytes() <= spilled.limit
        assert spilled.spills >= 1
        spilled._spill()  # all on disk, then a spill of fingerprints below it all
        for fp in low:
            assert spilled.add(fp) == ref.add(fp)
        spilled._spill()
        assert len(spilled._fps) == 0
        same_answers(ref, spilled, fps[::97] + low)


def test_a_run_reaching_the_last_slot_spills() -> None:
    """Fingerprints crowding the last home slot fill the spare slots past it; the one
    that would take the last slot (always empty, it ends every probe) spills first."""
    ref = FingerprintSet()
    with SpillingFingerprintSet(10**9) as spilled:
        crowd = [TOP - k for k in range(40)]
        for fp in crowd:
            assert spilled.add(fp) == ref.add(fp)
        assert spilled.spills == 1
        same_answers(ref, spilled, crowd)


def test_fingerprints_and_the_collision_estimate() -> None:
    """`fingerprints` sorted as FingerprintSet's; `min_gap` and the observed collision
    estimate the same, streamed; empty and one-element sets have no gap."""
    with SpillingFingerprintSet(1) as spilled:
        assert spilled.fingerprints() == [] and spilled.min_gap() is None
        spilled.add(5)
        assert spilled.min_gap() is None and spilled.observed_collision() == 0.0
    ref = FingerprintSet()
    with SpillingFingerprintSet(1) as spilled:
        for fp in (10, 3, 1000, 12, TOP, 7, 999):
            ref.add(fp)
            spilled.add(fp)
        assert spilled.spills > 0
        assert spilled.fingerprints() == [3, 7, 10, 12, 999, 1000, TOP]
        assert spilled.min_gap() == 1
        assert observed_collision(spilled) == observed_collision(ref) == 1.0


def test_pickles_for_a_checkpoint() -> None:
    """A checkpoint pickles the visited set: memory and disk come back, with files of
    their own, and go on answering as before."""
    rng = random.Random(3)
    fps = [rng.getrandbits(64) or 1 for _ in range(3_000)]
    ref = FingerprintSet()
    with SpillingFingerprintSet(5_000) as spilled:
        for fp in fps[:2_000]:
            ref.add(fp)
            spilled.add(fp)
        copy = pickle.loads(pickle.dumps(spilled))
    with copy:
        assert copy.spills == spilled.spills > 0
        for fp in fps[2_000:]:
            assert copy.add(fp) == ref.add(fp)
        same_answers(ref, copy, fps)


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        SpillingFingerprintSet(0)


def test_visited_set() -> None:
    """No limit: the in-memory set; a limit: the spilling one, in the directory."""
    assert type(visited_set(None)) is FingerprintSet
    assert type(visited_set(None, "/nonexistent")) is FingerprintSet
    made = visited_set(1 << 20, "/tmp")
    assert isinstance(made, SpillingFingerprintSet)
    assert (made.limit, made.directory) == (1 << 20, "/tmp")
    made.close()


# --- the temporary files ----------------------------------------------------------------


def held(directory: Path) -> list[str]:
    """The files under `directory` this process holds open (Linux: /proc/self/fd)."""
    found = []
    for name in sorted(os.listdir("/proc/self/fd")):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:  # the descriptor of the listing itself
            continue
        if target.startswith(str(directory)):
            found.append(target)
    return found


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc (Linux)")
def test_files_are_unlinked_and_released(tmp_path: Path) -> None:
    """The files are unlinked when made (none is ever seen in the directory, none is
    left by a killed process); `close`, or the set's collection, releases them."""
    spilled = SpillingFingerprintSet(1, str(tmp_path))
    for k in range(1, 50):
        spilled.add(k << 56)
    assert spilled.spills > 0
    assert os.listdir(tmp_path) == []
    assert len(held(tmp_path)) == 2  # the maps of the two files
    assert all(path.endswith("(deleted)") for path in held(tmp_path))
    spilled.close()
    spilled.close()  # a second close is harmless
    assert held(tmp_path) == []

    collected = SpillingFingerprintSet(1, str(tmp_path))
    for k in range(1, 50):
        collected.add(k << 56)
    assert held(tmp_path)
    del collected
    gc.collect()
    assert held(tmp_path) == []
    assert os.listdir(tmp_path) == []


# --- parse_memory -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100000000", 100_000_000),
        ("512M", 512 << 20),
        ("512m", 512 << 20),
        ("2G", 2 << 30),
        ("1.5GiB", 3 << 29),
        ("1.5 gib", 3 << 29),
        ("64K", 64 << 10),
        ("1T", 1 << 40),
        ("2GB", 2 * 10**9),
        ("500MB", 500 * 10**6),
        ("100B", 100),
        (" 3k ", 3072),
        (".5K", 512),
        ("0.3K", 307),
    ],
)
def test_parse_memory(text: str, expected: int) -> None:
    assert parse_memory(text) == expected


@pytest.mark.parametrize("text", ["", "lots", "12X", "-5M", "1e9", "1.2.3G", "G", "0", "0.1"])
def test_parse_memory_rejects(text: str) -> None:
    """A bad amount is a ValueError of one line that names the text."""
    with pytest.raises(ValueError) as caught:
        parse_memory(text)
    message = str(caught.value)
    assert repr(text) in message
    assert "\n" not in message


# --- the synthetic model, and the engine over the spilling set --------------------------


@pytest.mark.parametrize(("n", "depth"), [(1, 0), (2, 1), (1000, 18), (4096, 23)])
def test_counter_has_exactly_n_states(n: int, depth: int) -> None:
    """x + 1 and 2x modulo n reach each of 0..n-1 once: n distinct states, 2n + 1
    generated; the invariant holds, nothing deadlocks; full-state mode agrees. The
    depth: x is reached in (bits of x - 1) doublings and (ones of x) increments, so
    2k - 1 steps for n = 2**k (x = n - 1), 18 for n = 1000 (x = 959 = 0b1110111111)."""
    for fingerprints in (True, False):
        result = check(Counter(CounterConfig(n=n)), Options(fingerprints=fingerprints))
        assert result.complete and result.result == "ok"
        assert (result.distinct_states, result.generated_states) == (n, 2 * n + 1)
        assert result.depth == depth


def check_within(
    model: Model[Any, Any], limit: int, monkeypatch: pytest.MonkeyPatch
) -> CheckResult:
    """`check` with the visited set spilling at `limit` bytes: through `Options.memory`
    once the engine has it, else by handing the engine the spilling set."""
    if "memory" in attrs.fields_dict(Options):
        options: Any = Options  # the field is not there yet as this test is written
        return check(model, options(memory=limit))

    class Limited(SpillingFingerprintSet):
        def __init__(self) -> None:
            super().__init__(limit)

    monkeypatch.setattr(engine, "FingerprintSet", Limited)
    return check(model)


def summary(result: CheckResult) -> tuple[object, ...]:
    """What must not depend on where the visited set lives."""
    return (
        result.distinct_states,
        result.generated_states,
        result.depth,
        result.result,
        result.properties,
        result.counterexamples,
        result.witness_traces,
        result.collision_observed,
    )


@pytest.mark.parametrize(
    "model",
    [
        Counter(CounterConfig(n=3000)),
        DieHard(DieHardConfig()),  # an invariant's shortest counterexample
        Tokens(TokensConfig(agents=3, limit=3, resets=True)),  # liveness: a fair lasso
    ],
    ids=["counter", "diehard", "tokens-resets"],
)
def test_engine_gives_the_same_result_spilling(
    model: Model[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counts, verdicts, counterexamples (a lasso over the liveness graph, which reads
    `index`) and the collision estimate are those of the in-memory run."""
    expected = summary(check(model))
    assert summary(check_within(model, 400, monkeypatch)) == expected
