"""Opening a data folder: checked, private, backed up daily, cleared of interrupted imports.

:func:`open_data_folder` is how every skintrack command and the app opens its data (through
:class:`skintrack.tracking.Tracker`):

1. the folder and skintrack's files in it are made private (:mod:`.private`);
2. the database is opened and checked (:func:`skintrack.storage.db.connect`): an empty or damaged
   one raises :class:`~skintrack.storage.db.DamagedDatabase` and nothing is written;
3. a folder nobody may write in (a mounted backup) is opened for reading only;
4. once a day a copy goes into ``backups/`` (SQLite's online backup API), the last
   :data:`KEEP_DAILY` kept;
5. leftovers of an interrupted import are removed under the write lock: temporary files, and
   stored photos no database in the folder refers to (the live one, its backups and any copy set
   aside by a restore). When the lock is busy this waits for the next start.

:func:`diagnose` and :func:`restore_backup` are ``skintrack doctor``'s.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from skintrack.storage import db
from skintrack.storage import sessions as repo
from skintrack.storage.paths import DataPaths
from skintrack.storage.photostore import TEMP_PREFIX, PhotoStore
from skintrack.storage.private import make_private, not_private, private_folder

log = logging.getLogger("skintrack.storage")

#: Daily copies kept in ``backups/`` (the oldest goes when a new day's is taken).
KEEP_DAILY = 5
DAILY_PREFIX = "daily-"
SET_ASIDE = "set-aside"
#: A temporary file outside the photo store (a new database, a backup being written) older than
#: this was left by a killed process; younger ones may belong to a process at work.
STALE_TEMP_S = 3600.0


@dataclass(frozen=True)
class OpenedData:
    """An open, checked data folder: its connection, and whether it may be written."""

    conn: sqlite3.Connection
    read_only: bool
    cleaned: tuple[str, ...] = ()  # store names of leftover photos removed at opening
    disk_full: bool = False  # read-only because the disk is full, not the folder


@dataclass(frozen=True)
class BackupInfo:
    """A database copy in ``backups/``: when it was taken, how many sessions, whether usable."""

    path: Path
    taken_at: datetime
    sessions: int
    problem: str = ""  # empty when the copy is healthy and restorable


@dataclass(frozen=True)
class Diagnosis:
    """What ``skintrack doctor`` found. ``damaged``: the database is refused for use."""

    problems: tuple[str, ...]
    notes: tuple[str, ...]
    backups: tuple[BackupInfo, ...]
    damaged: bool

    @property
    def healthy_backups(self) -> tuple[BackupInfo, ...]:
        return tuple(b for b in self.backups if not b.problem)


def writable(root: Path) -> bool:
    """Whether this process may create files in ``root`` (False on a read-only mount)."""
    return os.access(root, os.W_OK | os.X_OK)


def open_data_folder(paths: DataPaths) -> OpenedData:
    """Open the data folder for use (see the module docstring). Raises StorageError."""
    root = paths.root
    if root.exists() and not writable(root):
        conn = db.connect(paths.database, read_only=True)
        return OpenedData(conn, read_only=True)
    with db.storage_errors(str(root)):
        private_folder(root)
    make_private(root)
    try:
        conn = db.connect(paths.database, backup_dir=paths.backups)
    except db.NoRoomToOpen:
        conn = db.connect(paths.database, read_only=True)
        return OpenedData(conn, read_only=True, disk_full=True)
    try:
        try:
            with db.storage_errors(str(root)):
                daily_backup(conn, paths)
        except (db.StorageError, OSError) as exc:  # a full disk must not stop the reading
            log.warning("today's backup could not be taken: %s", exc)
        cleaned = clean_leftovers(conn, paths)
    except BaseException:
        conn.close()
        raise
    return OpenedData(conn, read_only=False, cleaned=tuple(cleaned))


# --- backups ---------------------------------------------------------------------------------------
def daily_backup(conn: sqlite3.Connection, paths: DataPaths, *, today: str | None = None) -> Path | None:
    """Take today's copy unless there is one (or nothing to keep); keep the last few."""
    today = today or datetime.now().astimezone().strftime("%Y-%m-%d")
    dest = paths.backups / f"{DAILY_PREFIX}{today}.db"
    if dest.exists():
        return None
    if conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0:
        return None  # an empty database needs no copy, and must not push out a useful one
    private_folder(paths.backups)
    db.backup_to(conn, dest)
    dailies = sorted(paths.backups.glob(f"{DAILY_PREFIX}*.db"))
    for old in dailies[:-KEEP_DAILY]:
        with contextlib.suppress(OSError):
            old.unlink()
    return dest


def list_backups(paths: DataPaths) -> list[BackupInfo]:
    """The copies in ``backups/``, newest first, each checked as :func:`db.connect` would."""
    out: list[BackupInfo] = []
    if not paths.backups.is_dir():
        return out
    for p in paths.backups.glob("*.db"):
        if p.name.startswith(TEMP_PREFIX):
            continue
        taken = datetime.fromtimestamp(p.stat().st_mtime, UTC)
        try:
            conn = _open_copy(p)
            try:
                n = conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
            finally:
                conn.close()
            out.append(BackupInfo(p, taken, int(n)))
        except (db.StorageError, sqlite3.Error) as exc:
            out.append(BackupInfo(p, taken, 0, problem=str(exc)))
    return sorted(out, key=lambda b: (b.taken_at, b.path.name), reverse=True)


def _open_copy(path: Path) -> sqlite3.Connection:
    """A database file opened read-only and checked; it is never modified."""
    db.check_file(path)
    return _open_read_only(path, immutable=True)


def _open_read_only(path: Path, *, immutable: bool = False) -> sqlite3.Connection:
    """``path`` opened read-only and its contents checked. ``immutable``: no other process
    writes it (a backup), so SQLite need not look for locks or a WAL; a live database that
    another copy may be writing (it has a WAL) is opened without it."""
    conn = sqlite3.connect(
        f"{path.resolve().as_uri()}?mode=ro{'&immutable=1' if immutable else ''}", uri=True
    )
    conn.row_factory = sqlite3.Row
    try:
        db.check_contents(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


def restore_backup(paths: DataPaths, backup: Path) -> Path | None:
    """Put ``backup`` back as the database; the current one is moved aside, never deleted.

    Returns the folder the current database (with its ``-wal`` and ``-shm``) was moved to, or
    None when there was none. Close the app and other skintrack commands first.
    """
    _open_copy(backup).close()  # refuse a damaged copy before touching anything
    if in_use(paths.database):
        raise db.StorageError(
            "another copy of skintrack (the app or a command) has the data open; close it and "
            "run the restore again; nothing was changed"
        )
    aside = None
    with db.storage_errors(str(paths.root)):
        current = [
            p
            for p in (paths.database, Path(f"{paths.database}-wal"), Path(f"{paths.database}-shm"))
            if p.exists()
        ]
        if current:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            aside = private_folder(paths.root / SET_ASIDE / stamp)
            for p in current:
                os.replace(p, aside / p.name)
        src = _open_copy(backup)
        try:
            db.backup_to(src, paths.database)
        finally:
            src.close()
    return aside


def in_use(database: Path) -> bool:
    """Whether another process has this WAL database open.

    Every SQLite connection to a WAL database holds a shared POSIX lock on the "DMS" byte (128)
    of the ``-shm`` file while it is open; a write lock on it is refused while one does. (Locks
    of this process do not count: close its own connections first.) Not known on Windows: False.
    """
    shm = Path(f"{database}-shm")
    if os.name != "posix" or not shm.exists():
        return False
    import fcntl

    try:
        fd = os.open(shm, os.O_RDWR)
    except OSError:
        return False
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 128)
        except OSError:
            return True
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, 128)
        return False
    finally:
        os.close(fd)


# --- leftovers of interrupted imports ----------------------------------------------------------------
def clean_leftovers(conn: sqlite3.Connection, paths: DataPaths) -> list[str]:
    """Remove temporary files and unreferenced photos; return the photos removed.

    Done under the write lock, taken without waiting: every import writes its photo files while
    holding it, so no import is in flight while we look. Photos any database copy in the folder
    refers to are kept (a restored backup may need them); when a copy cannot be read, all are kept.
    """
    store = PhotoStore(paths.photos)
    removed: list[str] = []
    _remove_stale(paths.root.glob(f"{TEMP_PREFIX}*"))
    _remove_stale(paths.backups.glob(f"{TEMP_PREFIX}*"))
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return removed  # another copy of skintrack is saving: clean at the next start
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(db.BUSY_TIMEOUT_S * 1000)}")
    try:
        store.remove_stale_temp_files(older_than_s=0.0)
        referenced = repo.referenced_store_names(conn)
        orphans = store.unreferenced(referenced)
        if orphans:
            kept = _referenced_by_copies(paths)
            if kept is not None:
                for name in orphans:
                    if name not in kept:
                        store.discard(name)
                        removed.append(name)
    except (OSError, db.StorageError) as exc:
        log.warning("could not clear what an interrupted import left behind (%s)", exc)
    finally:
        conn.execute("COMMIT")
    if removed:
        log.info("removed %d photo file(s) an interrupted import left behind", len(removed))
    return removed


def _referenced_by_copies(paths: DataPaths) -> set[str] | None:
    """Store names every backup and set-aside database refers to; None if one cannot be read."""
    names: set[str] = set()
    copies = list(paths.backups.glob("*.db")) if paths.backups.is_dir() else []
    set_aside = paths.root / SET_ASIDE
    if set_aside.is_dir():
        copies += list(set_aside.glob("*/skintrack.db"))
    for p in copies:
        if p.name.startswith(TEMP_PREFIX):
            continue
        wal = Path(f"{p}-wal")
        if wal.exists() and wal.stat().st_size > 0:
            return None  # a set-aside database with its own WAL: its rows are not all in the file
        try:
            c = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
            try:
                names |= {r[0] for r in c.execute("SELECT DISTINCT store_name FROM photos")}
            finally:
                c.close()
        except sqlite3.Error:
            return None
    return names


def _remove_stale(paths: Iterable[Path]) -> None:
    cutoff = time.time() - STALE_TEMP_S
    for p in paths:
        with contextlib.suppress(OSError):
            if p.is_file() and p.stat().st_mtime < cutoff:
                p.unlink()


# --- doctor ------------------------------------------------------------------------------------------
def diagnose(paths: DataPaths) -> Diagnosis:
    """Check everything without changing anything: the database (full integrity check, rows that
    cannot be read), every photo file against its hash, leftovers, file modes and the backups."""
    problems: list[str] = []
    notes: list[str] = []
    damaged = False
    backups = tuple(list_backups(paths))
    if not paths.database.exists():
        notes.append(f"{paths.root} holds no database yet")
        return Diagnosis(tuple(problems), tuple(notes), backups, damaged)
    try:
        conn = (
            _open_copy(paths.database)
            if not Path(f"{paths.database}-wal").exists()
            else _open_read_only(paths.database)
        )
    except db.StorageError as exc:
        return Diagnosis((str(exc),), tuple(notes), backups, isinstance(exc, db.DamagedDatabase))
    try:
        problems += db.integrity_problems(conn)
        unreadable: list[str] = []
        handler = _Collect(unreadable)
        log.addHandler(handler)
        try:
            sessions = repo.list_sessions(conn)
            store = PhotoStore(paths.photos)
            for s in sessions:
                for photo in repo.session_photos(conn, s.id):
                    try:
                        store.read(photo.store_name, sha256=photo.sha256)
                    except db.StorageError as exc:
                        problems.append(str(exc))
                    repo.photo_findings(conn, photo.id)
                    repo.get_analysis(conn, photo.id)
                if s.baseline_photo_id is not None:
                    repo.session_comparisons(conn, s.id, s.baseline_photo_id)
            orphans = store.unreferenced(repo.referenced_store_names(conn))
        finally:
            log.removeHandler(handler)
        problems += unreadable
        notes.append(f"{len(sessions)} session(s) in {paths.database}")
        if orphans:
            notes.append(
                f"{len(orphans)} photo file(s) no session refers to (kept while a backup "
                "or a set-aside database may need them)"
            )
    finally:
        conn.close()
    loose = not_private(paths.root)
    if loose:
        problems.append(
            f"{len(loose)} file(s) other users could read, e.g. {loose[0]}; any "
            "skintrack command run by their owner makes them private"
        )
    return Diagnosis(tuple(problems), tuple(notes), backups, damaged)


class _Collect(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record.getMessage())
