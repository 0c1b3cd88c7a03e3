"""Fingerprints: the canonical text, the visited set and the collision estimates."""

from __future__ import annotations

import enum
import random
import subprocess
import sys
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model_check.engine import Options, check
from model_check.fingerprint import (
    Canonicaliser,
    FingerprintSet,
    collision_probability,
    observed_collision_probability,
)
from spec.core import Invariant, Model

ROOT = Path(__file__).resolve().parent.parent


class Colour(enum.Enum):
    RED = 1
    BLUE = 2


class Phase(enum.StrEnum):
    PREPARE = "prepare"


@attrs.frozen
class Inner:
    x: int
    tag: str


@attrs.frozen
class Outer:
    inner: Inner
    items: frozenset[str | int]
    pair: tuple[object, object]


# --- Canonicaliser ---------------------------------------------------------------------


def test_canonical_text_is_structural() -> None:
    text = Canonicaliser().text
    assert text(3) == "3"
    assert text(-7) == "-7"
    assert text("a,b") == "'a,b'"
    assert text(None) == "N"
    assert text(Fraction(3, 6)) == "1/2"
    assert text((1, "x")) == "(1, 'x')"  # Python's own repr, for ints and strings
    assert text((True, "x")) == "(1, 'x')"  # and the same text for an equal tuple
    assert text((1,)) == text((True,)) == "(1,)"
    assert text(frozenset({3, 1, 2})) == "{1,2,3}"
    assert text(Colour.BLUE) == "tests.test_fingerprint.Colour.BLUE"
    outer = Outer(Inner(1, "t"), frozenset({"b", "a"}), (2, 3))
    here = "tests.test_fingerprint."
    assert text(outer) == f"{here}Outer({here}Inner(1,'t'),{{'a','b'}},(2, 3))"


def _state_class(module: str) -> type:
    """A class `State(x)` made in `module`: the same __name__ wherever it is made."""

    @attrs.frozen
    class State:
        x: object

    State.__module__ = module
    return State


#: Two classes named `State` in two modules, as two model files would define them.
StateA = _state_class("model_a")
StateB = _state_class("model_b")
#: A third class under StateA's very qualified name (the factory called again).
StateA2 = _state_class("model_a")


def test_classes_of_one_name_are_told_apart() -> None:
    canon = Canonicaliser()
    assert StateA(0) != StateB(0)
    assert canon.text(StateA(0)) != canon.text(StateB(0))
    assert canon.fingerprint(StateA(0)) != canon.fingerprint(StateB(0))
    # One qualified name, two classes: told apart in the order the search meets them.
    assert StateA(0) != StateA2(0)
    assert canon.text(StateA(0)) == "model_a._state_class.<locals>.State(0)"
    assert canon.text(StateA2(0)) == "model_a._state_class.<locals>.State#1(0)"


def test_fields_outside_equality_are_not_encoded() -> None:
    @attrs.frozen
    class Cached:
        x: int
        note: str = attrs.field(eq=False)

    assert Cached(1, "a") == Cached(1, "b")
    canon = Canonicaliser()
    assert canon.text(Cached(1, "a")) == canon.text(Cached(1, "b"))


#: Values of every type the contract allows, including some that Python calls equal
#: across types (True == 1, Fraction(2) == 2, Phase.PREPARE == "prepare").
SCALARS = st.sampled_from(
    [
        *(-2, -1, 0, 1, 2, 3, True, False, None),
        *(Fraction(1, 2), Fraction(2), Fraction(-1, 3)),
        *("", "a", "b", "a,b", "'", "1", "prepare", "Colour.RED"),
        *Colour,
        *Phase,
    ]
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(tuple),
        st.frozensets(inner, max_size=3),
        st.builds(Inner, st.integers(-2, 2), st.sampled_from(["", "t"])),
        st.builds(StateA, inner),
        st.builds(StateB, inner),
        st.builds(
            Outer,
            st.builds(Inner, st.just(0), st.just("t")),
            st.just(frozenset({1})),
            st.tuples(inner, inner),
        ),
    ),
    max_leaves=8,
)


@settings(max_examples=300)
@given(VALUES, VALUES)
def test_equal_texts_exactly_for_equal_values(a: object, b: object) -> None:
    # Fingerprint mode must merge exactly the states that full-state mode merges.
    canon = Canonicaliser()
    assert (canon.text(a) == canon.text(b)) == (a == b)
    fresh = Canonicaliser()  # and the memos never change a text
    assert fresh.text(b) == canon.text(b) and fresh.text(a) == canon.text(a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (True, 1),
        (False, 0),
        (Fraction(2), 2),
        (Phase.PREPARE, "prepare"),
        ((1, Fraction(4, 2)), (True, 2)),
        (frozenset({1, 2}), frozenset({True, Fraction(2)})),
    ],
)
def test_values_python_calls_equal_have_one_text(a: object, b: object) -> None:
    assert a == b
    assert Canonicaliser().text(a) == Canonicaliser().text(b)
    canon = Canonicaliser()  # one canonicaliser, memo warmed by `a` first
    assert canon.fingerprint(a) == canon.fingerprint(b)


def test_plain_enum_members_differ_from_their_values() -> None:
    canon = Canonicaliser()
    red: object = Colour.RED
    assert red != 1
    assert canon.text(Colour.RED) != canon.text(1)
    assert canon.text(Colour.RED) != canon.text("Colour.RED")


def test_unsupported_values_are_refused() -> None:
    canon = Canonicaliser()
    for value in ([1, 2], {"a": 1}, 1.5, {1, 2}):
        with pytest.raises(TypeError, match="cannot fingerprint"):
            canon.text(value)


def test_fingerprint_is_64_bit_and_never_zero() -> None:
    canon = Canonicaliser()
    seen = {canon.fingerprint(i) for i in range(2000)}
    assert len(seen) == 2000
    assert all(0 < fp < 2**64 for fp in seen)


def test_memo_is_bounded_and_does_not_change_results(monkeypatch: pytest.MonkeyPatch) -> None:
    from model_check import fingerprint

    monkeypatch.setattr(fingerprint, "_MEMO_LIMIT", 4)
    small, fresh = Canonicaliser(), Canonicaliser()
    values = [frozenset({i, i + 1, -i}) for i in range(20)]
    for _ in range(2):
        for value in values:
            assert small.text(value) == fresh.text(value)
    assert len(small._memo) <= 4


@settings(max_examples=200)
@given(st.lists(st.one_of(st.text(max_size=5), st.integers(-5, 5)), max_size=12), st.randoms())
def test_equal_frozensets_have_equal_text(items: list[str | int], rnd: random.Random) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)
    a = frozenset(items)
    b: frozenset[str | int] = frozenset()
    for item in shuffled:  # built up one element at a time, in another order
        b = b | {item}
    # Separate canonicalisers, so that the memo cannot hand back the first text.
    assert Canonicaliser().text(a) == Canonicaliser().text(b)
    assert Canonicaliser().fingerprint(Outer(Inner(0, ""), a, (0, False))) == (
        Canonicaliser().fingerprint(Outer(Inner(0, ""), b, (0, False)))
    )


@given(st.frozensets(st.text(max_size=4)), st.frozensets(st.text(max_size=4)))
def test_different_frozensets_have_different_text(a: frozenset[str], b: frozenset[str]) -> None:
    canon = Canonicaliser()
    assert (canon.text(a) == canon.text(b)) == (a == b)


def test_fingerprints_do_not_depend_on_pythonhashseed() -> None:
    program = (
        "from model_check.fingerprint import Canonicaliser\n"
        "value = frozenset({'alpha', 'beta', 'gamma', ('d', 'e'), frozenset({'x', 'y'})})\n"
        "print(Canonicaliser().fingerprint(value))\n"
    )
    outputs = set()
    for seed in ("0", "1", "12345"):
        done = subprocess.run(
            [sys.executable, "-c", program],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        )
        outputs.add(done.stdout.strip())
    assert len(outputs) == 1
    value = frozenset({"alpha", "beta", "gamma", ("d", "e"), frozenset({"x", "y"})})
    assert outputs == {str(Canonicaliser().fingerprint(value))}


# --- FingerprintSet --------------------------------------------------------------------


def test_fingerprint_set_add_and_contains() -> None:
    fps = FingerprintSet(capacity_log2=2)
    assert len(fps) == 0 and 5 not in fps
    assert fps.add(5)
    assert not fps.add(5)
    assert 5 in fps and 6 not in fps
    assert "5" not in fps
    assert len(fps) == 1


def test_fingerprint_set_grows_and_stays_at_most_half_full() -> None:
    fps = FingerprintSet(capacity_log2=2)
    assert fps.nbytes() == 4 * 4  # four empty 4-byte slots, no fingerprint yet
    # Colliding low bits (multiples of 1024) exercise linear probing across growth.
    values = [1024 * i + 1 for i in range(1, 300)] + [2**64 - 1, 2**63]
    for value in values:
        assert fps.add(value)
    assert len(fps) == len(values)
    assert all(v in fps for v in values)
    assert 1024 * 301 + 1 not in fps
    slots = (fps.nbytes() - 8 * len(values)) // 4
    assert slots & (slots - 1) == 0  # a power of two
    assert len(values) * 2 <= slots < len(values) * 4 + 8
    assert fps.fingerprints() == sorted(values)


@settings(max_examples=100)
@given(st.lists(st.integers(1, 2**64 - 1) | st.integers(1, 64), max_size=300))
def test_fingerprint_set_behaves_like_a_set(values: list[int]) -> None:
    fps = FingerprintSet(capacity_log2=1)
    model: set[int] = set()
    for value in values:
        assert fps.add(value) == (value not in model)
        model.add(value)
        assert len(fps) == len(model)
    assert fps.fingerprints() == sorted(model)
    order = list(dict.fromkeys(values))  # first insertions, in order
    for value in [*values, 65, 2**64 - 2]:
        assert (value in fps) == (value in model)
        assert fps.index(value) == (order.index(value) if value in model else -1)


# --- collision estimates ---------------------------------------------------------------


def test_calculated_collision_probability() -> None:
    assert collision_probability(0, 0) == 0.0
    assert collision_probability(10, 10) == 0.0
    assert collision_probability(10, 5) == 0.0  # never negative
    assert collision_probability(2**20, 2**20 + 2**12) == 2.0**32 / 2.0**64
    assert collision_probability(16, 97) == 16 * 81 / 2.0**64


def test_observed_collision_probability() -> None:
    assert observed_collision_probability([]) == 0.0
    assert observed_collision_probability([42]) == 0.0
    assert observed_collision_probability([1, 11, 14, 100]) == pytest.approx(1 / 3)
    assert observed_collision_probability([5, 5]) == 1.0  # gap 0 counts as 1
    spread = [i * 2**60 for i in range(1, 15)]
    assert observed_collision_probability(spread) == 1 / 2**60


class _TwoClasses(Model[Any, Any]):
    """Two initial states, `model_a.State(0)` and `model_b.State(0)`, and no actions."""

    def initial(self) -> Sequence[Any]:
        return (StateA(0), StateB(0))

    def honest_actions(self, state: Any) -> list[Any]:
        return []

    def step(self, state: Any, action: Any) -> Any:  # pragma: no cover - no actions
        raise AssertionError

    def invariants(self) -> Sequence[Invariant[Any]]:
        return ()

    def terminal_ok(self, state: Any) -> bool:
        return True


def test_states_of_same_named_classes_are_two_states_in_both_modes() -> None:
    for fingerprints in (True, False):
        result = check(_TwoClasses(), Options(fingerprints=fingerprints))
        assert result.distinct_states == 2, f"fingerprints={fingerprints}"
