"""The PDF report, written with fpdf2: no browser, no Qt.

Each A4 page is laid out in millimetres from the top left corner into a :class:`Page` (a list of
drawing operations), then written by fpdf2 once every page is known (page numbers need the total).
Text is DejaVu Sans (the TrueType font matplotlib ships), embedded and subset by fpdf2, so it stays
selectable and searchable; it is wrapped by measuring it with the font's own advance widths.
Characters DejaVu Sans has no glyph for (Chinese, Japanese, most emoji) are drawn with Unicode's
Last Resort font (also shipped by matplotlib: the sign of the character's script, and the character
kept in the text), control characters are removed (:func:`skintrack.core.printable.clean_text`): any
text a person can type prints. The charts are drawn by the shared functions of
:mod:`skintrack.report.charts` (the app draws the same ones) and embedded as SVG, so they stay
vectors. Photos are encoded as JPEG from pixel arrays, so they carry no EXIF or location, and fpdf2
embeds the JPEG as it is (``DCTDecode``). Why fpdf2: ``docs/adr/0503-pdf-with-fpdf2.md``.

Page one is the clinician summary and always fits one page; the other sections flow over as many
pages as they need.

The layout engine is :mod:`.layout`, the sections :mod:`.sections`; this module puts them
together (:func:`render_pdf`) and writes the file (:func:`write_pdf`).
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

from skintrack.core.progress import Progress
from skintrack.report import text as T
from skintrack.report.files import atomic_write
from skintrack.report.model import ReportModel
from skintrack.report.pdf.layout import (
    MUTED,
    Flow,
    Page,
    _Writer,
    printable_text,
    text_width_mm,
    wrap,
)
from skintrack.report.pdf.sections import (
    _aftercare,
    _check_section,
    _decorate,
    _disclaimer,
    _findings,
    _photo_block,
    _summary_page,
)


def render_pdf(model: ReportModel, *, progress: Progress | None = None) -> bytes:
    """The whole report as PDF bytes.

    Parameters
    ----------
    model : ReportModel
        What to show.
    progress : callable, optional
        ``progress(done, total, text)`` after each step; it may raise to cancel.

    Returns
    -------
    bytes
        A complete PDF document (A4 pages).
    """
    layout_steps = len(model.photos) + 4
    total = 2 * layout_steps
    done = 0

    def step(text: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(min(done, total), total, text)

    # Lay out every page first (the footers need the page count), then write.
    pages: list[Page] = [Page()]
    _summary_page(model, pages[0])
    step("summary page")
    flow = Flow(pages)
    flow.heading("Every photo", keep=70)
    flow.para(
        "Each photo with its redness change map (against the baseline, after normalisation) "
        "and its measurements: a* is the median CIELAB a* of the region's usable skin, \u0394a* "
        "its change, \u00b1 the uncertainty.",
        size=8,
        color=MUTED,
    )
    for p in model.photos:
        _photo_block(model, flow, p)
        step(f"photo {p.id}")
    _findings(model, flow)
    step("findings")
    _check_section(model, flow)
    flow.heading("Normalisation and uncertainty")
    for line in T.normalisation_lines(model):
        flow.para(line)
    _aftercare(model, flow)
    step("aftercare")
    _disclaimer(model, flow)
    _decorate(model, pages)
    step("layout")

    with tempfile.TemporaryDirectory(prefix="skintrack-pdf-") as tmp:
        writer = _Writer(model)
        writer.fallback(pages, Path(tmp))
        for i, page in enumerate(pages):
            writer.page(page)
            page.ops.clear()
            target = layout_steps + math.ceil((i + 1) * layout_steps / len(pages))
            while done < target - 1 or (i + 1 < len(pages) and done < target):
                step(f"page {i + 1} of {len(pages)}")
        data = writer.output()
    while done < total:
        step("written")
    return data


def write_pdf(model: ReportModel, path: str | os.PathLike[str], *, progress: Progress | None = None) -> Path:
    """Render ``model`` and write it to ``path`` (atomically: a failed export leaves no file)."""
    return atomic_write(Path(path), render_pdf(model, progress=progress))


__all__ = ["printable_text", "render_pdf", "text_width_mm", "wrap", "write_pdf"]
