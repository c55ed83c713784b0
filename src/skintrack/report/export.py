"""Write a report to a file: the format follows the file name (``.pdf`` or ``.html``).

Writing is atomic: the report goes to a temporary file beside the target and is renamed over it
only when complete, so a cancelled or failed export never leaves half a report (nor destroys an
earlier one of the same name). A report is health data: it is written readable by its owner only
(0600), whatever the umask.
"""

from __future__ import annotations

import os
from pathlib import Path

from skintrack.core.progress import Progress
from skintrack.report.files import REPORT_MODE, ReportError, atomic_write
from skintrack.report.model import ReportModel

FORMATS = {".pdf": "pdf", ".html": "html", ".htm": "html"}


def report_format(path: str | os.PathLike[str]) -> str:
    """``"pdf"`` or ``"html"`` from the file name; :class:`ReportError` for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ReportError(f"{path}: name the report file .pdf or .html")
    return FORMATS[suffix]


def export_report(
    model: ReportModel, path: str | os.PathLike[str], *, progress: Progress | None = None
) -> Path:
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


__all__ = ["FORMATS", "REPORT_MODE", "ReportError", "atomic_write", "export_report", "report_format"]
