"""The photo store: each photo kept once, named by the SHA-256 of its bytes, never modified.

Layout: ``photos/ab/abcdef....jpg`` (the first two hex digits shard the folder so that no folder
grows past a few hundred files for a lifetime of sessions). A file is written to a temporary name
in the same folder, flushed and fsynced, made read-only, then renamed into place and the folder
fsynced; a rename within one file system is atomic, so a reader sees either no file or the whole
file, never a partial one. Because the name is the hash of the content, writing the same photo
twice (two copies of skintrack, a retried import) is harmless: both produce the same bytes.

A crash between writing a file and saving its database rows leaves an unreferenced file, which is
harmless (nothing points at it) and is found by :meth:`PhotoStore.unreferenced`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from skintrack.storage.db import DISK_FULL_MESSAGE, StorageError
from skintrack.storage.private import READ_ONLY_FILE_MODE, private_folder

#: File extension kept for each photo format (so the stored file opens in any viewer).
EXTENSIONS = {"jpeg": ".jpg", "mpo": ".jpg", "png": ".png", "tiff": ".tif", "webp": ".webp"}
TEMP_PREFIX = ".tmp-"
_NAME = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{64}\.[a-z]{2,5}$")


@dataclass(frozen=True)
class StoredPhoto:
    """Where a photo lives in the store. ``created`` is False when it was already there."""

    sha256: str
    name: str  # relative to the store root, e.g. "ab/abcdef....jpg"
    size: int
    created: bool

    def __post_init__(self) -> None:
        if not _NAME.match(self.name) or not self.name[3:].startswith(self.sha256):
            raise ValueError(f"not a photo store name: {self.name!r}")


def store_name(sha256: str, fmt: str) -> str:
    """The store-relative name of a photo with this hash and format ("jpeg", "png", ...)."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError("sha256 must be 64 lowercase hex digits")
    ext = EXTENSIONS.get(fmt.lower(), ".img")
    return f"{sha256[:2]}/{sha256}{ext}"


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable; not possible (nor needed) on Windows.
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class PhotoStore:
    """Content-addressed, write-once photo files under ``root``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, name: str) -> Path:
        if not _NAME.match(name):
            raise ValueError(f"not a photo store name: {name!r}")
        return self.root / name

    def put(self, data: bytes, fmt: str) -> StoredPhoto:
        """Store ``data`` (the photo file's bytes) unless an intact copy is already there.

        Raises :class:`StorageError` (disk full, read-only folder) with nothing left behind.
        """
        sha = hashlib.sha256(data).hexdigest()
        name = store_name(sha, fmt)
        final = self.root / name
        if final.is_file() and self._intact(final, sha):
            return StoredPhoto(sha, name, len(data), created=False)
        tmp = None
        try:
            # Private whatever the umask: the photos are faces with their EXIF (ADR 0303).
            private_folder(self.root)
            private_folder(final.parent)
            fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=final.parent)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, READ_ONLY_FILE_MODE)
            os.replace(tmp, final)
            tmp = None
            _fsync_dir(final.parent)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise StorageError(DISK_FULL_MESSAGE) from None
            if isinstance(exc, PermissionError):
                raise StorageError(
                    f"the photo folder {self.root} is not writable; nothing was changed"
                ) from None
            raise
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        return StoredPhoto(sha, name, len(data), created=True)

    def read(self, name: str, *, sha256: str | None = None) -> bytes:
        """The bytes of a stored photo; with ``sha256``, refuse a copy that no longer matches it."""
        path = self.path(name)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise StorageError(f"the stored photo {name} is missing from {self.root}") from None
        if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
            raise StorageError(f"the stored photo {name} is damaged (its content changed)")
        return data

    def discard(self, name: str) -> None:
        """Remove a stored file. Only for files no database row refers to (see tracking)."""
        path = self.path(name)
        with contextlib.suppress(FileNotFoundError):
            os.chmod(path, 0o600)  # Windows will not unlink a read-only file
            path.unlink()

    def names(self) -> Iterator[str]:
        """Every stored photo name (temporary files excluded)."""
        if not self.root.is_dir():
            return
        for shard in sorted(self.root.iterdir()):
            if not shard.is_dir():
                continue
            for f in sorted(shard.iterdir()):
                name = f"{shard.name}/{f.name}"
                if _NAME.match(name):
                    yield name

    def unreferenced(self, referenced: Iterable[str]) -> list[str]:
        """Stored files no row refers to (left by an interrupted import)."""
        keep = set(referenced)
        return [n for n in self.names() if n not in keep]

    def remove_stale_temp_files(self, older_than_s: float = 3600.0) -> int:
        """Delete temporary files an interrupted write left behind; return how many.

        Only files older than ``older_than_s`` go, so a write in progress in another process is
        never touched.
        """
        if not self.root.is_dir():
            return 0
        cutoff = time.time() - older_than_s
        removed = 0
        for tmp in self.root.glob(f"*/{TEMP_PREFIX}*"):
            try:
                if tmp.stat().st_mtime < cutoff:
                    tmp.unlink()
                    removed += 1
            except OSError:
                continue
        return removed

    @staticmethod
    def _intact(path: Path, sha: str) -> bool:
        h = hashlib.sha256()
        try:
            with open(path, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
        except OSError:
            return False
        return h.hexdigest() == sha
