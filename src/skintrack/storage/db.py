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

Damaged data is never taken for no data (ADR 0303): a new database is built complete under a
temporary name and linked into place, so ``skintrack.db`` never exists half-made; an existing one
that is empty, not a database, fails ``PRAGMA quick_check`` or lacks the skintrack schema is
refused (:class:`DamagedDatabase`) and never migrated, re-created or written over. A copy is taken
with SQLite's online backup API before each migration.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from skintrack.core.errors import SkintrackError

#: Seconds a writer waits for another copy of skintrack to finish its transaction.
BUSY_TIMEOUT_S = 30.0

DISK_FULL_MESSAGE = "the disk is full; nothing was changed. Free some space and try again."


#: What a data folder that cannot be written says (a read-only mount, a folder of another user).
READ_ONLY_MESSAGE = (
    "the data folder {root} is read-only: skintrack can show what is saved but "
    "cannot save anything there; nothing was changed"
)
#: The same when the disk is full.
FULL_DISK_READ_ONLY_MESSAGE = (
    "the disk is full: skintrack can show what is saved in {root} but "
    "cannot save anything; nothing was changed. Free some space and "
    "try again."
)
#: The mode of every file skintrack writes in the data folder: readable by its owner only.
PRIVATE_FILE_MODE = 0o600
_SQLITE_HEADER = b"SQLite format 3\x00"


class StorageError(SkintrackError):
    """The data folder cannot be used as asked (disk full, busy, damaged, newer version)."""


class NoRoomToOpen(StorageError):
    """The disk is full: SQLite cannot even make the WAL's shared-memory file to open for
    writing. The data can still be read (:func:`connect` with ``read_only``)."""


class DamagedDatabase(StorageError):
    """The database exists but is empty, damaged or not skintrack's: refused for every use.

    ``skintrack doctor`` says what is wrong and puts a backup back.
    """


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
    (
        # Issue 17: aftercare steps the person ticks (the serum or mask right after treatment).
        """CREATE TABLE aftercare_steps (
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            step TEXT NOT NULL,
            done_at TEXT NOT NULL,
            PRIMARY KEY (session_id, step)
        )""",
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
                f"{label}the data is busy: another copy of skintrack is saving; try again in a moment"
            ) from None
        if "readonly" in msg or "read-only" in msg:
            raise StorageError(f"{label}the data folder is read-only; nothing was changed") from None
        if "unable to open" in msg:
            raise StorageError(f"{label}the database cannot be opened ({exc})") from None
        raise StorageError(f"{label}database error: {exc}") from None
    except sqlite3.DatabaseError as exc:
        msg = str(exc).lower()
        if "not a database" in msg or "malformed" in msg:
            raise DamagedDatabase(
                f"{label}the database is damaged or is not a skintrack database ({exc}); run "
                "`skintrack doctor`"
            ) from None
        raise StorageError(f"{label}database error: {exc}") from None
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise StorageError(DISK_FULL_MESSAGE) from None
        raise


def connect(
    path: str | Path, *, read_only: bool = False, backup_dir: str | Path | None = None
) -> sqlite3.Connection:
    """Open the database at ``path``, checked; create it (complete) only when there is no file.

    ``read_only`` opens it for reading only (a read-only folder): writes then fail with SQLite's
    "readonly" error, which :func:`storage_errors` turns into one sentence. ``backup_dir`` is
    where a copy goes before a migration (none is taken without it).

    Raises :class:`DamagedDatabase` when the file is empty, damaged or not a skintrack database,
    :class:`StorageError` when it is from a newer skintrack. The connection is in autocommit mode
    (``isolation_level=None``); group writes with :func:`transaction`. Close it when done.
    """
    path = Path(path)
    with storage_errors(str(path)):
        if not path.exists():
            if read_only:
                raise StorageError(f"{path.parent} holds no skintrack data yet")
            path.parent.mkdir(parents=True, exist_ok=True)
            _create(path)
        check_file(path)
        try:
            conn = _open(path, read_only=read_only)
        except sqlite3.OperationalError as exc:
            if not read_only and ("disk i/o error" in str(exc).lower() or "full" in str(exc).lower()):
                raise NoRoomToOpen(DISK_FULL_MESSAGE) from None
            raise
        try:
            check_contents(conn, path)
            if schema_version(conn) < SCHEMA_VERSION:
                if read_only:
                    raise StorageError(
                        f"{path} was written by an older skintrack and must be updated, which "
                        "cannot be done in a read-only folder; nothing was changed"
                    )
                if backup_dir is not None:
                    backup_before_migration(conn, Path(backup_dir))
                migrate(conn)
        except BaseException:
            conn.close()
            raise
    return conn


def _open(path: Path, *, read_only: bool) -> sqlite3.Connection:
    if read_only:
        # A WAL database needs its -shm companion; in a folder nobody may write and with no -wal
        # left behind, "immutable" reads the file as it is without one.
        wal = Path(f"{path}-wal")
        has_frames = wal.exists() and wal.stat().st_size > 0
        flags = "mode=ro" if has_frames else "mode=ro&immutable=1"
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?{flags}", uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None
        )
    else:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        if not read_only:
            # Persistent in the file; cheap to re-assert. The first statement that needs the
            # WAL's shared memory: on a full disk it fails here ("disk I/O error").
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StorageError(f"{path}: cannot switch the database to WAL mode ({mode})")
            conn.execute("PRAGMA synchronous = FULL")
    except BaseException:
        conn.close()
        raise
    return conn


def _create(path: Path) -> None:
    """Build a new, fully migrated database beside ``path`` and link it into place.

    ``skintrack.db`` therefore never exists empty or half-made because of us: an empty one is
    always damage. Two processes creating at once both build one; the first link wins and the
    other's copy is dropped.
    """
    fd, tmp = tempfile.mkstemp(prefix=".tmp-new-", suffix=".db", dir=path.parent)
    os.close(fd)
    try:
        os.chmod(tmp, PRIVATE_FILE_MODE)
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")  # recorded in the file's header
            migrate(conn)
        finally:
            conn.close()  # checkpoints: every page is in the main file
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)  # never replaces: a file another process linked first wins
        except FileExistsError:
            pass
        except OSError:
            if not path.exists():  # a file system without hard links
                os.replace(tmp, path)
    finally:
        for leftover in (tmp, f"{tmp}-wal", f"{tmp}-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover)


def check_file(path: Path) -> None:
    """Refuse, before SQLite sees it, a database file that is empty or not an SQLite file."""
    size = path.stat().st_size
    if size == 0:
        raise DamagedDatabase(
            f"the database {path} is empty (0 bytes), as a failed sync or another program's crash "
            "leaves it; skintrack will not start afresh over it: run `skintrack doctor` to put a "
            "backup back"
        )
    with open(path, "rb") as fh:
        header = fh.read(len(_SQLITE_HEADER))
    if header != _SQLITE_HEADER:
        raise DamagedDatabase(
            f"the database {path} is damaged or is not a skintrack database (its first bytes are "
            "not SQLite's); nothing was changed: run `skintrack doctor` to put a backup back"
        )


def check_contents(conn: sqlite3.Connection, path: Path) -> None:
    """``PRAGMA quick_check`` and the schema version; raise on damage or an unknown version."""
    try:
        problems = [r[0] for r in conn.execute("PRAGMA quick_check") if r[0] != "ok"]
    except sqlite3.DatabaseError as exc:
        problems = [str(exc)]
    if problems:
        more = f" and {len(problems) - 1} more" if len(problems) > 1 else ""
        raise DamagedDatabase(
            f"the database {path} is damaged ({problems[0]}{more}); skintrack will neither use "
            "nor change it: run `skintrack doctor` to put a backup back"
        )
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise StorageError(
            f"the database was written by a newer skintrack (schema {version}, this one knows "
            f"{SCHEMA_VERSION}); update skintrack"
        )
    if version == 0:
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        what = "holds no skintrack data at all" if tables == 0 else "is not a skintrack database"
        raise DamagedDatabase(
            f"the database {path} {what}; skintrack will not start afresh over it: run "
            "`skintrack doctor` to put a backup back"
        )


def backup_before_migration(conn: sqlite3.Connection, backup_dir: Path) -> Path:
    """A copy of the database (SQLite's online backup API) taken before it is migrated."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return backup_to(conn, backup_dir / f"before-schema-{SCHEMA_VERSION}-{stamp}.db")


def backup_to(conn: sqlite3.Connection, dest: Path) -> Path:
    """Copy the database behind ``conn`` to ``dest`` (written whole, then renamed; mode 0600)."""
    dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".db", dir=dest.parent)
    os.close(fd)
    try:
        os.chmod(tmp, PRIVATE_FILE_MODE)
        target = sqlite3.connect(tmp)
        try:
            conn.backup(target)
        finally:
            target.close()
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return dest


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the migrations this database lacks, all in one transaction; return the version."""
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise StorageError(
            f"the database was written by a newer skintrack (schema {version}, this one knows "
            f"{SCHEMA_VERSION}); update skintrack"
        )
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
