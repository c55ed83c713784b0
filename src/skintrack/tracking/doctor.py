"""The data folder checked and repaired without a session open: ``skintrack doctor``, the app at
start, and whether any session exists yet (the checklist's first-session question)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from skintrack.storage import db, folder
from skintrack.storage.folder import BackupInfo, Diagnosis
from skintrack.storage.paths import DataPaths, resolve_data_dir
from skintrack.storage.private import private_folder


def no_session_yet(data_dir: str | os.PathLike[str] | None = None) -> bool:
    """Whether the data folder holds no session yet (a first session: the checklist asks whether
    the person is a beginner). Read-only: nothing is created or migrated; a missing, unreadable or
    older folder counts as none, so the question is asked rather than skipped."""
    path = resolve_data_dir(data_dir).database
    if not path.is_file():
        return True
    try:
        conn = db.connect(path, read_only=True)
    except Exception:  # noqa: BLE001 - any trouble reading: treat as a first session and ask
        return True
    try:
        return conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 0
    except Exception:  # noqa: BLE001
        return True
    finally:
        conn.close()


def diagnose(data_dir: str | os.PathLike[str] | None = None) -> Diagnosis:
    """Check a data folder without changing it (``skintrack doctor``; the app at start)."""
    return folder.diagnose(resolve_data_dir(data_dir))


def restore_backup(
    backup: BackupInfo | str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None
) -> Path | None:
    """Put a backup back as the database; the current one is set aside (returned), not deleted."""
    path = backup.path if isinstance(backup, BackupInfo) else Path(backup)
    return folder.restore_backup(resolve_data_dir(data_dir), path)


def data_paths(data_dir: str | os.PathLike[str] | None = None) -> DataPaths:
    """The paths of a data folder (``--data-dir``; None: ``$SKINTRACK_HOME`` or the user data
    folder), without opening or creating anything."""
    return resolve_data_dir(data_dir)


def prepare_data_folder(data_dir: str | os.PathLike[str] | None = None) -> DataPaths:
    """The paths of a data folder, its root created if needed and made private (0700). A folder
    that cannot be made is left as it is: opening the store reports it."""
    paths = resolve_data_dir(data_dir)
    with contextlib.suppress(OSError):
        private_folder(paths.root)
    return paths
