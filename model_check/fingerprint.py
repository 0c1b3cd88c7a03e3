"""Stable state fingerprints and the fingerprinted visited set.

A fingerprint is the first 64 bits of BLAKE2b over a canonical text of the state. The
canonical text is built from the value's structure alone (attrs fields in declaration
order, frozenset elements sorted, enum members by name), never from Python's `hash`,
which varies with `PYTHONHASHSEED` for strings. So fingerprints, and with them state
counts and counterexamples, are the same on every run.

`FingerprintSet` keeps the fingerprints in insertion order with an open-addressing
index over them: between 16 and 24 bytes a visited state, where a Python `set` of ints
costs 60 to 90. As in TLC, two distinct states with one fingerprint would be
merged; `collision_probability` estimates how likely that was.
"""

from __future__ import annotations

import enum
import itertools
from array import array
from collections.abc import Callable
from fractions import Fraction
from hashlib import blake2b
from typing import Any

import attrs

_MEMO_LIMIT = 1 << 16
_PLAIN = frozenset({int, str})  # element types whose repr is already canonical


def _fraction_text(q: Fraction) -> str:
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


class Canonicaliser:
    """Turns a state into a canonical string, memoising shared frozensets.

    Values that Python calls equal get the same text (True and 1, Fraction(2) and 2),
    so that the memos, keyed by Python equality, never mix up two texts, and so that
    fingerprint mode merges exactly the states that full-state mode merges.

    Successor states share most of their sub-values with their parent (attrs `evolve`
    copies references), and frozensets cache their hash, so a memo keyed by frozenset
    saves re-sorting large message sets, one keyed by set element saves encoding a
    message again when a set grows by one, and one keyed by identity finds the tuples a
    state shares with its parent. The memos are cleared when they grow past a
    bound, which changes speed only, never the result.
    """

    def __init__(self) -> None:
        self._memo: dict[frozenset[Any], str] = {}
        self._elements: dict[Any, str] = {}  # texts of set elements (often shared)
        self._shared: dict[int, tuple[object, str]] = {}  # texts of tuples, by identity
        self._names: dict[str, list[type]] = {}  # qualified class name -> its classes
        self._dispatch: dict[type, Callable[[Any], str]] = {
            int: int.__repr__,
            str: str.__repr__,
            bool: lambda b: "1" if b else "0",
            type(None): lambda _: "N",
            Fraction: _fraction_text,
            tuple: self._tuple,
            frozenset: self._frozenset,
        }

    def text(self, value: object) -> str:
        """The canonical text of a value built from the types the contract allows."""
        handler = self._dispatch.get(type(value))
        if handler is None:
            handler = self._learn(type(value))
        return handler(value)

    def _learn(self, cls: type) -> Callable[[Any], str]:
        """Make and remember the handler for a type met for the first time."""
        handler: Callable[[Any], str]
        if attrs.has(cls):
            # A small function per class: field reads compiled in, no getattr loop. Only
            # the fields that take part in equality are encoded, as `==` compares them.
            # Each field's handler is looked up inline (`text`'s dispatch without its call).
            fields = [f.name for f in attrs.fields(cls) if f.eq]
            reads = ' + "," + '.join(
                f"(h(type(x := v.{name})) or learn(type(x)))(x)" for name in fields
            )
            opening = repr(self._class_name(cls) + "(")
            source = f"def encode(v):\n    return {opening} + {reads or repr('')} + ')'\n"
            namespace: dict[str, Any] = {"h": self._dispatch.get, "learn": self._learn}
            exec(source, namespace)
            handler = namespace["encode"]
        elif issubclass(cls, enum.Enum) and issubclass(cls, int | str):
            # IntEnum / StrEnum members equal their values: so must their texts.
            handler = lambda member: self.text(member._value_)  # noqa: E731
        elif issubclass(cls, enum.Enum):
            prefix = self._class_name(cls) + "."
            handler = lambda member: prefix + member.name  # noqa: E731
        elif issubclass(cls, frozenset):
            handler = self._frozenset
        elif issubclass(cls, tuple):
            handler = self._tuple
        elif issubclass(cls, int):
            handler = int.__repr__
        else:
            raise TypeError(
                f"cannot fingerprint a value of type {cls.__name__}: states may hold ints, "
                "strings, booleans, None, Fractions, enums, tuples, frozensets and attrs classes"
            )
        self._dispatch[cls] = handler
        return handler

    def _class_name(self, cls: type) -> str:
        """The class's qualified name, unique among the classes this canonicaliser met.

        Two classes of one name in two modules are told apart by the module; two made
        under one qualified name (a class defined in a function called twice) by the
        order in which the search met them, which is the same on every run.
        """
        name = f"{cls.__module__}.{cls.__qualname__}"
        taken = self._names.setdefault(name, [])
        if cls not in taken:
            taken.append(cls)
        index = taken.index(cls)
        return name if index == 0 else f"{name}#{index}"

    def _tuple(self, value: tuple[Any, ...]) -> str:
        if set(map(type, value)) <= _PLAIN:
            # Only ints and strings: Python's own tuple repr is the same text, in C.
            return tuple.__repr__(value)
        # A tuple shared with the parent state (attrs `evolve` copies references) is
        # found by identity; the entry keeps the tuple alive, so its id stays its own.
        seen = self._shared.get(id(value))
        if seen is not None and seen[0] is value:
            return seen[1]
        h, learn = self._dispatch.get, self._learn
        inner = ", ".join([(h(type(v)) or learn(type(v)))(v) for v in value])
        result = "(" + inner + ",)" if len(value) == 1 else "(" + inner + ")"
        if len(self._shared) >= _MEMO_LIMIT:
            self._shared.clear()
        self._shared[id(value)] = (value, result)
        return result

    def _frozenset(self, value: frozenset[Any]) -> str:
        memo = self._memo
        cached = memo.get(value)
        if cached is not None:
            return cached
        elements = self._elements
        h, learn = self._dispatch.get, self._learn
        parts = []
        for v in value:
            part = elements.get(v)
            if part is None:
                part = elements[v] = (h(type(v)) or learn(type(v)))(v)
            parts.append(part)
        parts.sort()
        result = "{" + ",".join(parts) + "}"
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        if len(elements) >= _MEMO_LIMIT:
            elements.clear()
        memo[value] = result
        return result

    def fingerprint(self, value: object) -> int:
        """The 64-bit fingerprint of a value (never 0: 0 marks an empty slot)."""
        digest = blake2b(self.text(value).encode(), digest_size=8).digest()
        return int.from_bytes(digest, "little") or 1


class FingerprintSet:
    """The visited set: non-zero 64-bit fingerprints, each with its insertion index.

    The fingerprints are kept in insertion order in one `array('Q')` (8 bytes a state),
    so a fingerprint's index is its state's index in breadth-first order; an
    open-addressing table of `array('I')` slots (linear probing, at most half full)
    holds index + 1, or 0 for an empty slot: 8 to 16 bytes more a state, where a Python
    `set` of ints costs 60 to 90 and a `dict` from fingerprint to index over 100. The
    index is what the liveness graph needs of a state it meets again.
    """

    def __init__(self, capacity_log2: int = 12) -> None:
        self._fps = array("Q")
        self._table = array("I", bytes(4 << capacity_log2))
        self._mask = (1 << capacity_log2) - 1

    def __len__(self) -> int:
        return len(self._fps)

    def add(self, fp: int) -> bool:
        """Insert `fp` (its index becomes `len(self) - 1`); return whether it was new."""
        fps = self._fps
        table = self._table
        mask = self._mask
        i = fp & mask
        while True:
            slot = table[i]
            if slot == 0:
                fps.append(fp)
                table[i] = len(fps)
                if 2 * len(fps) > mask:
                    self._grow()
                return True
            if fps[slot - 1] == fp:
                return False
            i = (i + 1) & mask

    def index(self, fp: int) -> int:
        """The insertion index of `fp`, or -1 when it is not stored."""
        fps = self._fps
        table = self._table
        mask = self._mask
        i = fp & mask
        while True:
            slot = table[i]
            if slot == 0:
                return -1
            if fps[slot - 1] == fp:
                return slot - 1
            i = (i + 1) & mask

    def __contains__(self, fp: object) -> bool:
        return isinstance(fp, int) and self.index(fp) >= 0

    def _grow(self) -> None:
        size = 2 * len(self._table)
        if size > 1 << 33:
            raise OverflowError("the visited set is limited to 2**32 - 1 states")
        table = self._table = array("I", bytes(4 * size))
        mask = self._mask = size - 1
        for n, fp in enumerate(self._fps, 1):
            i = fp & mask
            while table[i]:
                i = (i + 1) & mask
            table[i] = n

    def nbytes(self) -> int:
        """Bytes held by the fingerprints and the table."""
        return self._fps.itemsize * len(self._fps) + self._table.itemsize * len(self._table)

    def fingerprints(self) -> list[int]:
        """The stored fingerprints, sorted."""
        return sorted(self._fps)


def collision_probability(distinct: int, generated: int) -> float:
    """TLC's "calculated" estimate of the chance that a fingerprint collision occurred.

    Each of the `generated - distinct` lookups that found a fingerprint already present
    could have been a distinct state whose fingerprint matched one of the `distinct`
    stored ones by chance: about distinct * (generated - distinct) / 2**64.
    """
    return distinct * max(generated - distinct, 0) / 2.0**64


def observed_collision_probability(fingerprints: list[int]) -> float:
    """TLC's "observed" estimate: about 1 / (the smallest gap between two fingerprints).

    With `fingerprints` sorted, a small minimum gap between neighbours means the
    fingerprints crowd more than uniform random values would, and a collision among
    them becomes likelier (Broder's rule of thumb, as TLC applies it).
    """
    if len(fingerprints) < 2:
        return 0.0
    gap = min(b - a for a, b in itertools.pairwise(fingerprints))
    return 1.0 / max(gap, 1)
