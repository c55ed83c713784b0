"""Write a report to a file: the format follows the file name (``.pdf`` or ``.html``).

Writing is atomic: the report goes to a temporary file beside the target and is renamed over it
only when complete, so a cancelled or failed export never leaves half a report (nor destroys an
earlier one of the same name). A report is health data: it is written readable by its owner only
(0600), whatever the umask.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from skintrack.core.errors import SkintrackError
from skintrack.core.progress import Progress
from skintrack.report.model import ReportModel

FORMATS = {".pdf": "pdf", ".html": "html", ".htm": "html"}
#: Permissions of a written report: the owner reads and writes it, nobody else.
REPORT_MODE = 0o600


class ReportError(SkintrackError):
    """A report cannot be written (unknown format, unwritable place)."""


def report_format(path: str | os.PathLike[str]) -> str:
    """``"pdf"`` or ``"html"`` from the file name; :class:`ReportError` for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ReportError(f"{path}: name the report file .pdf or .html")
    return FORMATS[suffix]


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


def export_report(model: ReportModel, path: str | os.PathLike[str], *,
                  progress: Progress | None = None) -> Path:
    """Write ``model`` as PDF or HTML, by the file name's suffix.

    Parameters
    ----------
    model : ReportModel
        The report to write.
    path : path-like
        Target file, ``.pdf`` or ``.html``. Its folder must exist.
    progress : callable, optional
        ``progress(done, total, text)`` called as the export goes; raising from it cancels the
        export (nothing is written).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    fmt = report_format(path)
    if fmt == "pdf":
        from skintrack.report.pdf import write_pdf

        return write_pdf(model, path, progress=progress)
    from skintrack.report.html import write_html

    return write_html(model, path, progress=progress)
