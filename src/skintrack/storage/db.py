"""The SQLite connection: WAL journal, foreign keys, a busy timeout and versioned migrations.

Why these settings:

- ``journal_mode=WAL`` lets a reader (the app showing a session) and a writer (the command line
  importing photos) work at once, and makes a commit one append to the ``-wal`` file, so a crash
  at any instant leaves either the whole transaction or none of it.
- ``synchronous=FULL`` fsyncs the WAL at every commit: a power cut right after "saved" cannot lose
  the import the person was just told about. Imports are a few rows, so the cost is invisible.
- ``foreign_keys=ON`` (off by default in SQLite, per connection) so that no analysis, finding or
  comparison row can point at a photo that does not exist.
- Every write runs in ``BEGIN IMMEDIATE``: it takes the write lock before reading, so two copies
  of the program never interleave a read-check-write, and a second writer waits (busy timeout)
  instead of failing half-way.

The schema version is SQLite's ``user_version``; :data:`MIGRATIONS` ``[i]`` brings version ``i`` to
``i + 1``. A database made by a newer skintrack is refused rather than guessed at.
"""

from __future__ import annotations

import contextlib
import errno
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from skintrack.core.errors import SkintrackError

#: Seconds a writer waits for another copy of skintrack to finish its transaction.
BUSY_TIMEOUT_S = 30.0

DISK_FULL_MESSAGE = "the disk is full; nothing was changed. Free some space and try again."


class StorageError(SkintrackError):
    """The data folder cannot be used as asked (disk full, busy, damaged, newer version)."""


# Each migration is a tuple of single SQL statements (no ``executescript``: it would COMMIT the
# surrounding transaction and make a half-migrated database possible).
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        # Times are UTC ISO 8601 text with a fixed format, so text order is time order.
        """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            treated_at TEXT NOT NULL,
            device TEXT NOT NULL,
            needle_mm REAL NOT NULL CHECK (needle_mm > 0),
            treated_regions TEXT NOT NULL,
            products TEXT NOT NULL DEFAULT '[]',
            notes TEXT NOT NULL DEFAULT '',
            baseline_photo_id INTEGER REFERENCES photos(id) DEFERRABLE INITIALLY DEFERRED
        )""",
        """CREATE TABLE photos (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
            store_name TEXT NOT NULL,
            original_name TEXT NOT NULL DEFAULT '',
            width INTEGER NOT NULL CHECK (width > 0),
            height INTEGER NOT NULL CHECK (height > 0),
            taken_at TEXT NOT NULL,
            taken_at_source TEXT NOT NULL,
            added_at TEXT NOT NULL,
            UNIQUE (session_id, sha256)
        )""",
        "CREATE INDEX photos_by_session ON photos (session_id, taken_at)",
        """CREATE TABLE analyses (
            photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
            quality_ok INTEGER NOT NULL CHECK (quality_ok IN (0, 1)),
            record TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE findings (
            id INTEGER PRIMARY KEY,
            photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
            finding_key TEXT NOT NULL,
            kind TEXT NOT NULL,
            region TEXT,
            record TEXT NOT NULL,
            verdict TEXT CHECK (verdict IN ('confirmed', 'dismissed')),
            verdict_at TEXT,
            UNIQUE (photo_id, finding_key)
        )""",
        """CREATE TABLE comparisons (
            id INTEGER PRIMARY KEY,
            photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
            baseline_photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
            hours REAL NOT NULL,
            usable INTEGER NOT NULL CHECK (usable IN (0, 1)),
            excluded_reason TEXT NOT NULL DEFAULT '',
            record TEXT NOT NULL,
            UNIQUE (photo_id, baseline_photo_id)
        )""",
        """CREATE TABLE region_changes (
            comparison_id INTEGER NOT NULL REFERENCES comparisons(id) ON DELETE CASCADE,
            region TEXT NOT NULL,
            delta_a_star REAL NOT NULL,
            uncertainty REAL NOT NULL CHECK (uncertainty >= 0),
            real_change INTEGER NOT NULL CHECK (real_change IN (0, 1)),
            PRIMARY KEY (comparison_id, region)
        )""",
        """CREATE TABLE answers (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('questionnaire', 'symptoms')),
            answered_at TEXT NOT NULL,
            data TEXT NOT NULL
        )""",
        "CREATE INDEX answers_by_session ON answers (session_id, kind, answered_at)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


@contextlib.contextmanager
def storage_errors(where: str = "") -> Iterator[None]:
    """Turn SQLite and disk errors into one readable :class:`StorageError` sentence."""
    label = f"{where}: " if where else ""
    try:
        yield
    except sqlite3.OperationalError as exc:
        msg = str(exc).lower()
        if "disk is full" in msg or "database or disk is full" in msg:
            raise StorageError(DISK_FULL_MESSAGE) from None
        if "locked" in msg or "busy" in msg:
            raise StorageError(
                f"{label}the data is busy: another copy of skintrack is saving; try again in a "
                "moment") from None
        if "readonly" in msg or "read-only" in msg:
            raise StorageError(f"{label}the data folder is read-only; nothing was changed") from None
        if "unable to open" in msg:
            raise StorageError(f"{label}the database cannot be opened ({exc})") from None
        raise StorageError(f"{label}database error: {exc}") from None
    except sqlite3.DatabaseError as exc:
        msg = str(exc).lower()
        if "not a database" in msg or "malformed" in msg:
            raise StorageError(
                f"{label}the database is damaged or is not a skintrack database ({exc})") from None
        raise StorageError(f"{label}database error: {exc}") from None
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise StorageError(DISK_FULL_MESSAGE) from None
        raise


def connect(path: str | Path) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the database at ``path``.

    The connection is in autocommit mode (``isolation_level=None``); group writes with
    :func:`transaction`. Close it when done.
    """
    path = Path(path)
    with storage_errors(str(path)):
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            # Persistent in the file; cheap to re-assert. Needs the lock only the first time.
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StorageError(f"{path}: cannot switch the database to WAL mode ({mode})")
            conn.execute("PRAGMA synchronous = FULL")
            migrate(conn)
        except BaseException:
            conn.close()
            raise
    return conn


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the migrations this database lacks, all in one transaction; return the version."""
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise StorageError(
            f"the database was written by a newer skintrack (schema {version}, this one knows "
            f"{SCHEMA_VERSION}); update skintrack")
    if version == SCHEMA_VERSION:
        return version
    with transaction(conn):
        # Another process may have migrated while we waited for the write lock.
        version = schema_version(conn)
        for steps in MIGRATIONS[version:]:
            for statement in steps:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")
    return SCHEMA_VERSION


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``; roll back on any exception (including KeyboardInterrupt)."""
    with storage_errors():
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")


def integrity_problems(conn: sqlite3.Connection) -> list[str]:
    """SQLite's own integrity and foreign-key checks; an empty list means consistent."""
    problems = [r[0] for r in conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
    problems += [f"foreign key: {tuple(r)}" for r in conn.execute("PRAGMA foreign_key_check")]
    return problems
