"""The SQLite connection: WAL, foreign keys, atomic versioned migrations, readable errors."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from skintrack.storage import db
from skintrack.storage import sessions as repo


def test_new_database_is_wal_with_foreign_keys_and_current_schema(tmp_path):
    conn = db.connect(tmp_path / "a" / "skintrack.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.schema_version(conn) == db.SCHEMA_VERSION >= 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {
        "sessions",
        "photos",
        "analyses",
        "findings",
        "comparisons",
        "region_changes",
        "answers",
    } <= tables
    assert db.integrity_problems(conn) == []
    conn.close()


def test_reopening_keeps_data_and_does_not_migrate_again(tmp_path):
    path = tmp_path / "skintrack.db"
    conn = db.connect(path)
    repo.create_session(
        conn, treated_at=datetime.now(UTC), device="patch", needle_mm=0.25, treated_regions=["chin"]
    )
    conn.close()
    conn = db.connect(path)
    assert len(repo.list_sessions(conn)) == 1
    assert db.migrate(conn) == db.SCHEMA_VERSION
    conn.close()


def test_failed_migration_leaves_nothing_half_done(tmp_path, monkeypatch):
    broken = (("CREATE TABLE first_step (x INTEGER)", "CREATE TABLE oops (syntax error here"),)
    monkeypatch.setattr(db, "MIGRATIONS", broken)
    monkeypatch.setattr(db, "SCHEMA_VERSION", 1)
    with pytest.raises(db.StorageError):
        db.connect(tmp_path / "skintrack.db")
    raw = sqlite3.connect(tmp_path / "skintrack.db")
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 0
    assert raw.execute("SELECT count(*) FROM sqlite_master WHERE name = 'first_step'").fetchone()[0] == 0
    raw.close()


def test_database_from_a_newer_skintrack_is_refused(tmp_path):
    raw = sqlite3.connect(tmp_path / "skintrack.db")
    raw.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(db.StorageError, match="newer skintrack"):
        db.connect(tmp_path / "skintrack.db")


def test_a_file_that_is_not_a_database_gets_a_readable_error(tmp_path):
    (tmp_path / "skintrack.db").write_bytes(b"these are not the bytes of a database" * 100)
    with pytest.raises(db.StorageError, match="not a skintrack database"):
        db.connect(tmp_path / "skintrack.db")


def test_transaction_rolls_back_everything_on_error(tmp_path):
    conn = db.connect(tmp_path / "skintrack.db")
    with pytest.raises(RuntimeError):
        with db.transaction(conn):
            repo.create_session(
                conn, treated_at=datetime.now(UTC), device="pen", needle_mm=0.5, treated_regions=["nose"]
            )
            raise RuntimeError("crash in the middle")
    assert repo.list_sessions(conn) == []
    assert not conn.in_transaction


def test_foreign_keys_are_enforced(tmp_path):
    conn = db.connect(tmp_path / "skintrack.db")
    with pytest.raises(db.StorageError, match="does not exist"):
        repo.insert_photo(
            conn,
            42,
            repo.NewPhoto("a" * 64, "aa/" + "a" * 64 + ".jpg", "x.jpg", 10, 10, datetime.now(UTC), "given"),
        )


def test_full_database_says_disk_full_and_changes_nothing(tmp_path):
    conn = db.connect(tmp_path / "skintrack.db")
    s = repo.create_session(
        conn, treated_at=datetime.now(UTC), device="roller", needle_mm=0.25, treated_regions=["nose"]
    )
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "disk full" (SQLITE_FULL)
    with pytest.raises(db.StorageError, match="disk is full; nothing was changed"):
        repo.add_answers(conn, s.id, "questionnaire", {"notes": "x" * 200_000})
    assert repo.latest_answers(conn, s.id, "questionnaire") is None
    assert [x.id for x in repo.list_sessions(conn)] == [s.id]
    assert db.integrity_problems(conn) == []
