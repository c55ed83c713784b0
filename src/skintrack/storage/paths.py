"""Where skintrack keeps its data: ``--data-dir``, else ``$SKINTRACK_HOME``, else the user data folder.

The folder holds ``skintrack.db`` (SQLite, with its ``-wal`` and ``-shm`` companions) and
``photos/`` (the content-addressed photo store) and ``backups/`` (copies of the database). Nothing
is created until skintrack opens it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_HOME = "SKINTRACK_HOME"
APP_NAME = "skintrack"
DATABASE_NAME = "skintrack.db"
PHOTOS_NAME = "photos"
BACKUPS_NAME = "backups"


@dataclass(frozen=True)
class DataPaths:
    """The files of one skintrack data folder."""

    root: Path

    def __post_init__(self) -> None:
        if not isinstance(self.root, Path):
            raise TypeError("DataPaths.root must be a pathlib.Path")
        if not self.root.is_absolute():
            raise ValueError("DataPaths.root must be an absolute path")

    @property
    def database(self) -> Path:
        return self.root / DATABASE_NAME

    @property
    def photos(self) -> Path:
        return self.root / PHOTOS_NAME

    @property
    def backups(self) -> Path:
        """Copies of the database (SQLite's online backup API): daily, and before migrations."""
        return self.root / BACKUPS_NAME


def default_data_dir() -> Path:
    """The per-user data folder of this platform (``~/.local/share/skintrack`` on Linux)."""
    from platformdirs import user_data_path

    return Path(user_data_path(APP_NAME, appauthor=False))


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> DataPaths:
    """The data folder to use: ``explicit`` (``--data-dir``), else ``$SKINTRACK_HOME``, else the default.

    ``~`` is expanded and the result made absolute so that a later ``chdir`` cannot move it.
    """
    if explicit is not None and str(explicit) != "":
        root = Path(explicit)
    elif os.environ.get(ENV_HOME):
        root = Path(os.environ[ENV_HOME])
    else:
        root = default_data_dir()
    return DataPaths(root.expanduser().resolve())
