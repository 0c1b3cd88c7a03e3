"""The SQLite expertise store (impl/store.py): persistence, WAL, one transaction per
update, history, errors that name the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from impl.store import ENV, ExpertiseStore, SqliteExpertiseStore, StoreError, default_path
from impl.weighted import Metrics

NOVICE = Metrics(0.2, 0.2, 0.2, 0.2)
EXPERT = Metrics(1.0, 1.0, 1.0, 1.0)


def test_record_load_and_history_in_memory() -> None:
    store: ExpertiseStore = SqliteExpertiseStore(":memory:")
    assert store.load(["a", "b"]) == {}
    store.record({"b": NOVICE, "a": EXPERT}, "expertise_assessment")
    store.record({"a": NOVICE}, "performance_feedback")
    assert store.load(["b", "a", "c", "a"]) == {"b": NOVICE, "a": NOVICE}
    assert list(store.load(["b", "a"])) == ["b", "a"]  # in the order asked
    assert store.history("a") == [EXPERT, NOVICE]
    assert store.history("c") == []
    assert isinstance(store, SqliteExpertiseStore)
    assert store.updates("a") == 2 and store.updates("c") == 0
    assert store.journal_mode() == "memory"
    store.close()


def test_a_file_store_uses_wal_and_persists(tmp_path: Path) -> None:
    path = tmp_path / "expertise.sqlite3"
    with SqliteExpertiseStore(path) as first:
        assert first.journal_mode() == "wal"
        first.record({"a": EXPERT}, "expertise_assessment")
        with SqliteExpertiseStore(path) as reader:  # a second connection sees the commit
            assert reader.load(["a"]) == {"a": EXPERT}
    with SqliteExpertiseStore(str(path)) as again:
        assert again.load(["a"]) == {"a": EXPERT}
        assert again.history("a") == [EXPERT]


def test_the_default_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV, raising=False)
    assert default_path() == "coordspec-expertise.sqlite3"
    target = tmp_path / "from-env.sqlite3"
    monkeypatch.setenv(ENV, str(target))
    assert default_path() == str(target)
    with SqliteExpertiseStore() as store:
        store.record({"x": NOVICE}, "test")
    assert target.exists()


def test_many_agents_load_in_chunks() -> None:
    store = SqliteExpertiseStore(":memory:")
    ids = [f"agent{i}" for i in range(1203)]
    store.record({a: EXPERT if i % 2 else NOVICE for i, a in enumerate(ids)}, "bulk")
    loaded = store.load(ids)
    assert len(loaded) == 1203 and loaded["agent7"] == EXPERT and loaded["agent8"] == NOVICE


@pytest.mark.parametrize(
    ("updates", "message"),
    [
        ({"a": Metrics(1.5, 0, 0, 0)}, "a: accuracy must be in [0, 1], not 1.5"),
        ({"a": Metrics(0, 0, 0, float("nan"))}, "a: past_performance must be in [0, 1]"),
        ({"": NOVICE}, "agent id must be a non-empty text"),
    ],
)
def test_bad_updates_are_refused_and_nothing_is_written(
    updates: dict[str, Metrics], message: str
) -> None:
    store = SqliteExpertiseStore(":memory:")
    with pytest.raises(StoreError, match=message.replace("[", r"\[").replace("]", r"\]")):
        store.record({"ok": EXPERT, **updates}, "test")
    assert store.load(["ok"]) == {}


def test_an_update_is_one_transaction() -> None:
    """A failure in the middle of an update (here a trigger on the history) rolls back
    every row of it."""
    store = SqliteExpertiseStore(":memory:")
    store.record({"boom": NOVICE}, "first")
    store._db.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON expertise_history"
        " WHEN NEW.source = 'second' BEGIN SELECT RAISE(ABORT, 'refused'); END"
    )
    with pytest.raises(StoreError, match="cannot write expertise store :memory:: refused"):
        store.record({"a": EXPERT, "boom": EXPERT}, "second")
    assert store.load(["a", "boom"]) == {"boom": NOVICE}
    assert store.updates("boom") == 1


def test_an_unusable_path_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open expertise store"):
        SqliteExpertiseStore(tmp_path / "missing" / "dir" / "x.sqlite3")
    not_a_db = tmp_path / "text.sqlite3"
    not_a_db.write_text("this is not a database, " * 100)
    with pytest.raises(StoreError, match="cannot open expertise store"):
        SqliteExpertiseStore(not_a_db)
