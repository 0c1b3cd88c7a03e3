"""Expertise scores that persist across sessions: the seed's "Reputation System".

Seed, Part 2 §2.1: "Persistent expertise scores across sessions" and "Reputation System:
Long-term agent performance tracking". A weighted-voting session loads each agent's
latest expertise metrics when it starts, and every `expertise_assessment` or
`performance_feedback` it accepts is written back (`impl.api.handle_event`).

`ExpertiseStore` is the small interface the API needs; `SqliteExpertiseStore` keeps it
in SQLite (the standard library's `sqlite3`) in WAL mode, one transaction per update:
the agent's current metrics (`expertise`) and an append-only history of every
measurement (`expertise_history`, in the order written). The database path is an
argument, else the environment variable `COORDSPEC_EXPERTISE_DB`, else
`coordspec-expertise.sqlite3` in the working directory; `:memory:` gives a private
in-memory database (for tests).
"""

from __future__ import annotations

import math
import os
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Protocol

from impl.weighted import Metrics

#: The environment variable that names the default database.
ENV = "COORDSPEC_EXPERTISE_DB"
DEFAULT_FILE = "coordspec-expertise.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS expertise (
    agent_id TEXT PRIMARY KEY,
    accuracy REAL NOT NULL,
    consistency REAL NOT NULL,
    domain_knowledge REAL NOT NULL,
    past_performance REAL NOT NULL,
    updates INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS expertise_history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_id TEXT NOT NULL,
    source TEXT NOT NULL,
    accuracy REAL NOT NULL,
    consistency REAL NOT NULL,
    domain_knowledge REAL NOT NULL,
    past_performance REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS expertise_history_agent ON expertise_history (agent_id, seq);
"""


class StoreError(Exception):
    """The store cannot be opened or written (the message names the database)."""


class ExpertiseStore(Protocol):
    """Where expertise scores live between sessions."""

    def load(self, agent_ids: Iterable[str]) -> dict[str, Metrics]:
        """The latest metrics of those agents that have any (others are absent)."""
        ...

    def record(self, updates: Mapping[str, Metrics], source: str) -> None:
        """Make `updates` the agents' latest metrics, all in one transaction."""
        ...

    def history(self, agent_id: str) -> list[Metrics]:
        """Every measurement of the agent recorded so far, oldest first."""
        ...


def default_path() -> str:
    """`$COORDSPEC_EXPERTISE_DB`, else `coordspec-expertise.sqlite3` here."""
    return os.environ.get(ENV) or DEFAULT_FILE


def _checked(agent_id: str, m: Metrics) -> Metrics:
    if not isinstance(agent_id, str) or not agent_id:
        raise StoreError(f"agent id must be a non-empty text, not {agent_id!r}")
    for name, value in zip(Metrics._fields, m, strict=True):
        if not isinstance(value, int | float) or not math.isfinite(value) or not 0 <= value <= 1:
            raise StoreError(f"{agent_id}: {name} must be in [0, 1], not {value!r}")
    return Metrics(*(float(x) for x in m))


class SqliteExpertiseStore:
    """`ExpertiseStore` in SQLite (WAL mode, one transaction per `record`)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = str(path) if path is not None else default_path()
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as err:
            raise StoreError(f"cannot open expertise store {self.path}: {err}") from None

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> SqliteExpertiseStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def journal_mode(self) -> str:
        """SQLite's journal mode (`wal` on a file, `memory` for `:memory:`)."""
        row = self._db.execute("PRAGMA journal_mode").fetchone()
        return str(row[0])

    def load(self, agent_ids: Iterable[str]) -> dict[str, Metrics]:
        wanted = list(dict.fromkeys(agent_ids))
        found: dict[str, Metrics] = {}
        chunk = 500
        for start in range(0, len(wanted), chunk):
            part = wanted[start : start + chunk]
            marks = ",".join("?" * len(part))
            rows = self._db.execute(
                "SELECT agent_id, accuracy, consistency, domain_knowledge, past_performance"
                f" FROM expertise WHERE agent_id IN ({marks})",
                part,
            )
            for agent_id, *values in rows:
                found[agent_id] = Metrics(*values)
        return {a: found[a] for a in wanted if a in found}

    def record(self, updates: Mapping[str, Metrics], source: str) -> None:
        rows = [(a, *_checked(a, m)) for a, m in sorted(updates.items())]
        try:
            with _Transaction(self._db):
                self._db.executemany(
                    "INSERT INTO expertise VALUES (?, ?, ?, ?, ?, 1)"
                    " ON CONFLICT(agent_id) DO UPDATE SET accuracy = excluded.accuracy,"
                    " consistency = excluded.consistency,"
                    " domain_knowledge = excluded.domain_knowledge,"
                    " past_performance = excluded.past_performance,"
                    " updates = updates + 1",
                    rows,
                )
                self._db.executemany(
                    "INSERT INTO expertise_history (agent_id, source, accuracy, consistency,"
                    " domain_knowledge, past_performance) VALUES (?, ?, ?, ?, ?, ?)",
                    [(a, source, *m) for a, *m in rows],
                )
        except sqlite3.Error as err:
            raise StoreError(f"cannot write expertise store {self.path}: {err}") from None

    def history(self, agent_id: str) -> list[Metrics]:
        rows = self._db.execute(
            "SELECT accuracy, consistency, domain_knowledge, past_performance"
            " FROM expertise_history WHERE agent_id = ? ORDER BY seq",
            (agent_id,),
        )
        return [Metrics(*row) for row in rows]

    def updates(self, agent_id: str) -> int:
        """How many times the agent's metrics were recorded (0 if never)."""
        row = self._db.execute(
            "SELECT updates FROM expertise WHERE agent_id = ?", (agent_id,)
        ).fetchone()
        return int(row[0]) if row else 0


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK when the block raises."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *_: object) -> None:
        self.db.execute("ROLLBACK" if kind is not None else "COMMIT")
