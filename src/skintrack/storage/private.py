"""The data folder is private: the folder 0700, every file skintrack keeps in it 0600 (0400 read-only).

Photos of faces (with their EXIF, GPS included) and notes about skin are health data; the usual
umask 022 would leave them readable by every local user. Modes are set explicitly, so the umask
does not matter, and :func:`make_private` fixes a folder an earlier skintrack left readable.

Only skintrack's own entries are touched, never other files a person keeps in a folder they
passed as ``--data-dir``.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600
READ_ONLY_FILE_MODE = 0o400
#: Entries of the data folder that are skintrack's (files and folders, walked recursively).
OWN_ENTRIES = (
    "skintrack.db",
    "skintrack.db-wal",
    "skintrack.db-shm",
    "skintrack.db-journal",
    "photos",
    "backups",
    "set-aside",
    "app-settings.ini",
    ".skintrack-demo",
)
_OWN_PREFIXES = (".tmp-",)


def private_folder(path: Path) -> Path:
    """Create ``path`` (and its parents) if needed and make it 0700; return it."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    _chmod(path, FOLDER_MODE)
    return path


def private_mode(current: int, is_dir: bool) -> int:
    """0700 for a folder; 0600 for a file, 0400 when its owner may not write it."""
    if is_dir:
        return FOLDER_MODE
    return FILE_MODE if current & stat.S_IWUSR else READ_ONLY_FILE_MODE


def make_private(root: Path) -> int:
    """Make the data folder and skintrack's entries in it private; return how many changed.

    Errors (a read-only mount, a folder owned by someone else) are ignored: reading must still
    work there, and writing is refused elsewhere with its own sentence.
    """
    if not root.is_dir():
        return 0
    changed = int(_chmod(root, FOLDER_MODE))
    for entry in _own_entries(root):
        changed += _fix(entry)
        if entry.is_dir() and not entry.is_symlink():
            for dirpath, dirnames, filenames in os.walk(entry):
                for name in dirnames + filenames:
                    changed += _fix(Path(dirpath) / name)
    return changed


def not_private(root: Path) -> list[str]:
    """skintrack's entries that other users could read (for ``skintrack doctor``)."""
    found = []
    paths = [root] + list(_own_entries(root))
    for entry in list(paths[1:]):
        if entry.is_dir() and not entry.is_symlink():
            for dirpath, dirnames, filenames in os.walk(entry):
                paths += [Path(dirpath) / n for n in dirnames + filenames]
    for p in paths:
        with contextlib.suppress(OSError):
            if p.lstat().st_mode & 0o077:
                found.append(str(p))
    return found


def _own_entries(root: Path) -> Iterator[Path]:
    try:
        names = os.listdir(root)
    except OSError:
        return
    for name in names:
        if name in OWN_ENTRIES or name.startswith(_OWN_PREFIXES):
            yield root / name


def _fix(path: Path) -> int:
    try:
        st = path.lstat()
    except OSError:
        return 0
    if stat.S_ISLNK(st.st_mode):
        return 0
    want = private_mode(st.st_mode, stat.S_ISDIR(st.st_mode))
    return int(_chmod(path, want, st.st_mode))


def _chmod(path: Path, mode: int, current: int | None = None) -> bool:
    try:
        if current is None:
            current = path.stat().st_mode
        if stat.S_IMODE(current) == mode:
            return False
        os.chmod(path, mode)
        return True
    except OSError:
        return False
