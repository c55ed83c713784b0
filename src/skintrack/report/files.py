"""Writing a report file: atomically (a temporary file beside the target, renamed over it only
when complete) and readable by its owner only (0600), whatever the umask. Used by every format's
writer and by :mod:`skintrack.report.export`; it imports none of them.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from skintrack.core.errors import SkintrackError

#: Permissions of a written report: the owner reads and writes it, nobody else.
REPORT_MODE = 0o600


class ReportError(SkintrackError):
    """A report cannot be written (unknown format, unwritable place)."""


def atomic_write(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` (mode 0600) through a temporary file in the same folder;
    return ``path``."""
    path = Path(path)
    if not path.parent.is_dir():
        raise ReportError(f"{path.parent}: no such folder")
    fd, tmp = tempfile.mkstemp(prefix=".tmp-report-", suffix=path.suffix, dir=path.parent)
    try:
        # mkstemp already makes the file 0600 whatever the umask; said again so no change to
        # how the temporary file is made can widen it.
        os.fchmod(fd, REPORT_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path
