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
"""

from __future__ import annotations

import io
import math
import tempfile
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np

from skintrack.core.printable import clean_text
from skintrack.core.progress import Progress
from skintrack.report import text as T
from skintrack.report.charts import SIMULATED_COLOUR, aftercare_chart, redness_chart
from skintrack.report.images import fit
from skintrack.report.model import ReportModel, ReportPhoto

PAGE_W, PAGE_H = 210.0, 297.0  # A4, mm
MARGIN = 12.0
CONTENT_W = PAGE_W - 2 * MARGIN
SUMMARY_NOTE_LINES = 2  # lines of the session's notes on page one (all of them under "Notes")
TOP = 20.0  # first content line on pages after the first (below the running header)
BOTTOM = PAGE_H - 16.0  # last content line (above the footer)
INK, MUTED, LINE = "#1d1d1f", "#5f6368", "#c8c8cc"
PT_TO_MM = 25.4 / 72.0
#: Embedded pixel sizes (width, height; 4:5 like the display crops): page one's photos are drawn
#: about 29 mm wide (~260 dpi), the detail pages' about 44 mm (~170 dpi), finding close-ups 22 mm.
SUMMARY_PX = (300, 375)
DETAIL_PX = (300, 375)
CROP_PX = (160, 160)

#: JPEG quality of embedded photos: visually lossless on skin at these sizes.
JPEG_QUALITY = 88
#: Height of DejaVu Sans' ascender of "l" (em): a line drawn with its top at y has its baseline
#: this far below (the layout places text by its top, as the matplotlib writer did).
ASCENT_EM = 1556 / 2048
#: What a character without a glyph in DejaVu Sans prints as when there is no fallback font.
NO_GLYPH = "\ufffd"
FONT_FILES = {"normal": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf"}
#: The fallback font, also shipped by matplotlib: Unicode's *Last Resort* font draws every code
#: point as the sign of its script or block (a framed 字 for a CJK ideograph), so a character
#: DejaVu Sans lacks still shows that something is written there, and the PDF keeps the character
#: itself for copying and searching. All its glyphs are 2350/2048 em wide.
FALLBACK_FILE = "LastResortHE-Regular.ttf"
FALLBACK_ADVANCE_EM = 2350 / 2048


def font_path(weight: str = "normal") -> Path:
    """DejaVu Sans (``weight`` "normal" or "bold"): the TrueType file matplotlib ships."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / FONT_FILES[weight]


@lru_cache(maxsize=1)
def fallback_font_path() -> Path | None:
    """The Last Resort font matplotlib ships (3.6 and later), or None without it."""
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / FALLBACK_FILE
    return path if path.is_file() else None


@lru_cache(maxsize=2)
def _metrics(weight: str) -> tuple[dict[int, float], float]:
    """(code point -> advance width in em of DejaVu Sans, the advance of any other character:
    the fallback font's, or NO_GLYPH's without it)."""
    from fontTools.ttLib import TTFont

    font = TTFont(font_path(weight), lazy=True)
    em = float(font["head"].unitsPerEm)
    hmtx = font["hmtx"].metrics
    adv = {cp: hmtx[name][0] / em for cp, name in font.getBestCmap().items()}
    font.close()
    return adv, (FALLBACK_ADVANCE_EM if fallback_font_path() is not None else adv[ord(NO_GLYPH)])


@lru_cache(maxsize=4096)
def printable_text(s: str, weight: str = "normal") -> str:
    """``s`` as the PDF can draw it on one line: control characters removed, tabs and line breaks
    as spaces. A character DejaVu Sans has no glyph for is kept for the fallback font (U+FFFD
    without one); combining marks and invisible format characters without a glyph, such as emoji
    variation selectors, are dropped (the fallback would draw each as a box of its own)."""
    s = clean_text(s, multiline=False)
    adv, _ = _metrics(weight)
    if all(ord(c) in adv for c in s):
        return s
    fallback = fallback_font_path() is not None
    out = []
    for c in s:
        if ord(c) in adv:
            out.append(c)
        elif unicodedata.category(c) not in ("Mn", "Me", "Cf"):
            out.append(c if fallback else NO_GLYPH)
    return "".join(out)


def _runs(s: str, weight: str) -> list[tuple[bool, str]]:
    """``s`` cut into runs of (drawn with the fallback font?, text)."""
    adv, _ = _metrics(weight)
    runs: list[tuple[bool, str]] = []
    for c in s:
        fb = ord(c) not in adv
        if runs and runs[-1][0] == fb:
            runs[-1] = (fb, runs[-1][1] + c)
        else:
            runs.append((fb, c))
    return runs


def _fallback_subset(chars: set[str], folder: Path) -> Path:
    """The fallback font cut down to ``chars``, saved in ``folder``: fpdf2 would take seconds to
    read the whole font's million-entry character map, the subset milliseconds."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(fallback_font_path())
    options = subset.Options()
    options.layout_features = []
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(c) for c in chars))
    subsetter.subset(font)
    out = folder / "fallback.ttf"
    font.save(out)
    font.close()
    return out


@lru_cache(maxsize=8192)
def text_width_mm(s: str, size: float, weight: str = "normal") -> float:
    """Width of ``s`` drawn in DejaVu Sans at ``size`` points, millimetres.

    Sums glyph advances (kerning ignored: DejaVu Sans kerns little, and wrapping keeps a margin).
    """
    if not s:
        return 0.0
    adv, missing = _metrics(weight)
    return sum(adv.get(ord(c), missing) for c in s) * size * PT_TO_MM


def wrap(s: str, width_mm: float, size: float, weight: str = "normal") -> list[str]:
    """Greedy word wrap of ``s`` into lines at most ``width_mm`` wide (long words are split).

    Line breaks in ``s`` start new lines; the lines come back drawable (:func:`printable_text`).
    """
    lines: list[str] = []
    for para in clean_text(s).split("\n"):
        words = printable_text(para, weight).split(" ")
        cur = ""
        for word in words:
            trial = f"{cur} {word}" if cur else word
            if text_width_mm(trial, size, weight) <= width_mm:
                cur = trial
                continue
            if cur:
                lines.append(cur)
            pieces = _split_word(word, width_mm, size, weight)
            lines.extend(pieces[:-1])
            cur = pieces[-1]
        lines.append(cur)
    return lines


def _split_word(word: str, width_mm: float, size: float, weight: str) -> list[str]:
    """``word`` cut into pieces at most ``width_mm`` wide (at least one character each), in one
    pass: a pasted 100,000-character "word" costs milliseconds, not minutes."""
    adv, missing = _metrics(weight)
    limit = width_mm / (size * PT_TO_MM)  # em
    pieces, start, used = [], 0, 0.0
    for i, c in enumerate(word):
        a = adv.get(ord(c), missing)
        if used + a > limit and i > start:
            pieces.append(word[start:i])
            start, used = i, 0.0
        used += a
    pieces.append(word[start:])
    return pieces


def _rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


class Page:
    """One A4 page; every position and size in millimetres from the top left corner.

    Drawing calls are recorded (with a z order: backgrounds 0-0.5, photos 1, borders 2, text 3)
    and written by :func:`render_pdf` once all pages are laid out.
    """

    def __init__(self) -> None:
        self.ops: list[tuple[float, int, str, tuple]] = []

    def _add(self, z: float, kind: str, *args) -> None:
        self.ops.append((z, len(self.ops), kind, args))

    def text(self, x: float, y: float, s: str, *, size: float = 8.5, weight: str = "normal",
             color: str = INK, ha: str = "left", va: str = "top") -> float:
        """Draw one line with its top (``va="top"``) at ``y``; return its width in mm."""
        s = printable_text(s, weight)
        w = text_width_mm(s, size, weight)
        x0 = x - (w if ha == "right" else w / 2 if ha == "center" else 0.0)
        base = y + (ASCENT_EM * size * PT_TO_MM if va == "top" else 0.0)
        self._add(3.0, "text", x0, base, s, size, weight, color)
        return w

    def para(self, x: float, y: float, s: str, width: float, *, size: float = 8.5,
             weight: str = "normal", color: str = INK, leading: float = 1.3) -> float:
        """Draw ``s`` wrapped to ``width`` mm; return the height used in mm."""
        step = size * PT_TO_MM * leading
        lines = wrap(s, width, size, weight)
        for i, line in enumerate(lines):
            self.text(x, y + i * step, line, size=size, weight=weight, color=color)
        return len(lines) * step

    def rect(self, x: float, y: float, w: float, h: float, *, fc: str = "none", ec: str = LINE,
             lw: float = 0.6, z: float = 0.5) -> None:
        """A rectangle; ``fc``/``ec`` "none" for no fill/edge; ``lw`` in points."""
        self._add(z, "rect", x, y, w, h, fc, ec, lw)

    def hline(self, x0: float, x1: float, y: float, *, color: str = LINE, lw: float = 0.6) -> None:
        self._add(2.0, "line", x0, x1, y, color, lw)

    def chart(self, x: float, y: float, w: float, h: float, draw: Callable, *,
              pad: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)) -> None:
        """A chart: ``draw(ax)`` on a matplotlib Axes filling the box (mm); ``pad`` (left, top,
        right, bottom, mm) is room around it for tick labels and the legend."""
        self._add(1.5, "chart", x, y, w, h, draw, pad)

    def image(self, x: float, y: float, w: float, h: float, rgb: np.ndarray, *,
              border: bool = True) -> tuple[float, float]:
        """Draw ``rgb`` fitted (shape kept) into the box, centred; return the drawn (w, h) in mm."""
        ih, iw = rgb.shape[:2]
        scale = min(w / iw, h / ih)
        dw, dh = iw * scale, ih * scale
        x0 = x + (w - dw) / 2
        self._add(1.0, "image", x0, y, dw, dh, rgb)
        if border:
            self.rect(x0, y, dw, dh, lw=0.4, z=2)
        return dw, dh

    def placeholder(self, x: float, y: float, w: float, h: float, s: str) -> None:
        self.rect(x, y, w, h, ec=LINE, lw=0.5)
        lines = wrap(s, w - 4, 7.0)
        step = 7.0 * PT_TO_MM * 1.3
        y0 = y + h / 2 - len(lines) * step / 2
        for i, line in enumerate(lines):
            self.text(x + w / 2, y0 + i * step, line, size=7.0, color=MUTED, ha="center")


class Flow:
    """Pages after the first: a cursor that moves down and opens a new page when one is full."""

    def __init__(self, pages: list[Page]) -> None:
        self.pages = pages
        self.page: Page | None = None
        self.y = BOTTOM

    def need(self, h: float) -> Page:
        if self.page is None or self.y + h > BOTTOM:
            self.page = Page()
            self.pages.append(self.page)
            self.y = TOP
        return self.page

    def heading(self, s: str, *, keep: float = 30.0) -> None:
        page = self.need(10.0 + keep)
        self.y += 2.0
        page.text(MARGIN, self.y, s, size=12.5, weight="bold")
        self.y += 6.0
        page.hline(MARGIN, PAGE_W - MARGIN, self.y, color=INK, lw=0.8)
        self.y += 3.0

    def para(self, s: str, *, size: float = 8.5, weight: str = "normal", color: str = INK,
             x: float = MARGIN, width: float = CONTENT_W, gap: float = 1.5) -> None:
        lines = wrap(s, width, size, weight)
        step = size * PT_TO_MM * 1.3
        for line in lines:
            page = self.need(step)
            page.text(x, self.y, line, size=size, weight=weight, color=color)
            self.y += step
        self.y += gap


def _map_slot(page: Page, x: float, y: float, w: float, h: float, p: ReportPhoto, px) -> None:
    """The change map; for the baseline its measured regions; else a word on why there is none."""
    if p.delta_map is not None:
        page.image(x, y, w, h, fit(p.delta_map, *px))
    elif p.regions_image is not None:
        page.image(x, y, w, h, fit(p.regions_image, *px))
    else:
        page.placeholder(x, y, w, h, "reference photo: no change map" if p.role == "baseline"
                         else "no change map")


# --- page one --------------------------------------------------------------------------------------
def _summary_page(model: ReportModel, page: Page) -> None:
    y = MARGIN
    page.text(MARGIN, y, model.title, size=15, weight="bold")
    page.text(PAGE_W - MARGIN, y + 1.0, f"report made {T.when(model.generated_at)}", size=8,
              color=MUTED, ha="right")
    y += 7.0
    # The session and its notes: at most SUMMARY_NOTE_LINES here, all of them under "Notes".
    sub = model.session_label + (f" \u00b7 {model.notes}" if model.notes else "")
    lines = wrap(sub, CONTENT_W, 8.5)
    if len(lines) > SUMMARY_NOTE_LINES:
        more = " \u2026 (all notes: see Notes)"
        last = lines[SUMMARY_NOTE_LINES - 1]
        while last and text_width_mm(last + more, 8.5) > CONTENT_W:
            last = last[:-1]
        lines = lines[: SUMMARY_NOTE_LINES - 1] + [last.rstrip() + more]
    for line in lines:
        page.text(MARGIN, y, line, size=8.5, color=MUTED)
        y += 8.5 * PT_TO_MM * 1.3
    y += 4.5 - 8.5 * PT_TO_MM * 1.3
    page.hline(MARGIN, PAGE_W - MARGIN, y, color=INK, lw=0.8)
    y += 2.5
    if model.simulated:
        lines = wrap(model.simulated_note, CONTENT_W - 6, 8.5, "bold")
        h = len(lines) * 8.5 * PT_TO_MM * 1.3 + 3.5
        page.rect(MARGIN, y, CONTENT_W, h, ec=SIMULATED_COLOUR, lw=1.5)
        page.para(MARGIN + 3, y + 1.8, model.simulated_note, CONTENT_W - 6, size=8.5, weight="bold",
                  color=SIMULATED_COLOUR)
        y += h + 3.0
    for w in model.warnings:
        y += page.para(MARGIN, y, w, CONTENT_W, size=8.5, weight="bold", color=SIMULATED_COLOUR)
    if model.warnings:
        y += 1.5

    # Status box: headline, advice, check decision, treatment line.
    headline, lines = T.status_lines(model)
    colour = T.LEVEL_COLOURS[model.status.level]
    y0 = y
    x = MARGIN + 6
    w = CONTENT_W - 9
    y += 2.5
    y += page.para(x, y, headline, w, size=11, weight="bold", color=colour)
    for line in lines[:5]:
        page.text(x, y, "\u2022", size=8.5)
        y += page.para(x + 3.5, y, line, w - 3.5, size=8.5)
    y += 0.8
    c = model.check
    label = "Pre-treatment check: "
    lw = page.text(x, y, label, size=8.5, weight="bold")
    if c is None:
        page.text(x + lw, y, "not done", size=8.5, color=MUTED)
        y += 8.5 * PT_TO_MM * 1.3
    else:
        dw = page.text(x + lw, y, c.decision, size=8.5, weight="bold",
                       color=T.DECISION_COLOURS[c.decision])
        rest = "; ".join(c.reasons)
        if rest:
            first = wrap(rest, w - lw - dw - 4, 8.5)
            page.text(x + lw + dw + 2, y, "\u2013 " + first[0], size=8.5)
            y += 8.5 * PT_TO_MM * 1.3
            remainder = rest[len(first[0]):].strip()
            if remainder:
                y += page.para(x, y, remainder, w, size=8.5)
        else:
            y += 8.5 * PT_TO_MM * 1.3
    y += page.para(x, y, T.treatment_line(model), w, size=7.5, color=MUTED)
    y += 2.0
    page.rect(MARGIN, y0, CONTENT_W, y - y0, fc="#f5f5f7", ec="none", z=0.1)
    page.rect(MARGIN, y0, 3.0, y - y0, fc=colour, ec="none", z=0.2)
    y += 5.0

    # Baseline, peak, latest: photo and map side by side in three columns.
    gap = 5.0
    col_w = (CONTENT_W - 2 * gap) / 3
    img_w = (col_w - 1.5) / 2
    img_h = img_w * 5 / 4
    trio = model.summary_photos()
    for i, (heading, p) in enumerate(trio):
        cx = MARGIN + i * (col_w + gap)
        hw = page.text(cx, y, heading, size=9, weight="bold")
        tail = " \u00b7 ".join(b for b in (p.id, T.hours(p.hours_since_treatment)
                                            if p.hours_since_treatment is not None else "") if b)
        tw = page.text(cx + hw + 1.2, y, "\u00b7 " + tail, size=8.5)
        if p.simulated:
            page.text(cx + hw + tw + 2.4, y, T.SIMULATED_TAG, size=8.5, weight="bold",
                      color=SIMULATED_COLOUR)
        page.text(cx, y + 4.0, T.photo_time(p), size=7, color=MUTED)
        iy = y + 7.5
        page.image(cx, iy, img_w, img_h, fit(p.image, *SUMMARY_PX))
        _map_slot(page, cx + img_w + 1.5, iy, img_w, img_h, p, SUMMARY_PX)
        page.para(cx, iy + img_h + 1.5, T.treated_mean_line(model, p), col_w, size=7.2)
    y += 7.5 + img_h + 1.5 + 2 * 7.2 * PT_TO_MM * 1.3 + 1.0
    page.text(MARGIN, y, "Maps: blue = less red than the baseline, white = unchanged, orange to dark "
              "red = redder.", size=7, color=MUTED)
    y += 6.0

    # The redness curve, drawn as vectors onto the page.
    page.text(MARGIN, y, "Redness change per region since treatment", size=10, weight="bold")
    y += 5.5
    chart_h = 52.0

    def draw_curve(ax) -> None:
        redness_chart(ax, **model.curve.chart_kwargs(), treated=model.treated_regions,
                      now_hours=model.now_hours, simulated=model.simulated, font_size=7.5)
        if ax.legend_ is not None:
            ax.legend_.set_bbox_to_anchor((0.5, -0.15))

    page.chart(MARGIN + 14, y, CONTENT_W - 16, chart_h, draw_curve, pad=(14.0, 3.0, 2.0, 24.0))
    y += chart_h + 25.0

    # Undecided findings, as many as fit.
    open_f = model.open_findings
    page.text(MARGIN, y, f"{T.UNDECIDED_FINDINGS} ({len(open_f)})", size=10, weight="bold")
    y += 5.5
    if not open_f:
        page.text(MARGIN, y, "None: every spot found has been confirmed or dismissed, or none was found.",
                  size=8, color=MUTED)
        return
    step = 8.0 * PT_TO_MM * 1.35
    room = int((BOTTOM - y) // step)
    shown = open_f if len(open_f) <= room else open_f[: max(0, room - 1)]
    for f in shown:
        page.text(MARGIN, y, f.id, size=8, weight="bold")
        line = wrap(T.finding_line(f, model), CONTENT_W - 12, 8.0)[0]
        page.text(MARGIN + 10, y, line, size=8)
        y += step
    if len(shown) < len(open_f):
        page.text(MARGIN, y, f"and {len(open_f) - len(shown)} more: see Findings.", size=8, color=MUTED)


# --- the following pages -----------------------------------------------------------------------------
def _photo_block(model: ReportModel, flow: Flow, p: ReportPhoto) -> None:
    img_w = 40.0
    img_h = img_w * 5 / 4
    table_x = MARGIN + 2 * img_w + 6
    table_w = PAGE_W - MARGIN - table_x
    rows = T.measurement_rows(p)
    extra = [T.treated_mean_line(model, p)]
    notes_h = sum(len(wrap(s, table_w, 7.5)) for s in extra + list(p.notes)) * 7.5 * PT_TO_MM * 1.3
    if p.quality_problems:
        notes_h += len(wrap("Photo quality: " + " ".join(p.quality_problems), table_w, 7.5)) * 3.6
    table_h = (len(rows) + 1) * 4.3 + 2 + notes_h
    block_h = 9.0 + max(img_h, table_h) + 5.0
    page = flow.need(block_h)
    y = flow.y
    hw = page.text(MARGIN, y, T.photo_heading(p).replace(f" \u00b7 {T.SIMULATED_TAG}", ""), size=10,
                   weight="bold")
    if p.simulated:
        page.text(MARGIN + hw + 2.5, y, T.SIMULATED_TAG, size=10, weight="bold", color=SIMULATED_COLOUR)
    page.text(PAGE_W - MARGIN, y + 0.5, T.photo_time(p), size=7.5, color=MUTED, ha="right")
    y += 5.5
    page.image(MARGIN, y, img_w, img_h, fit(p.image, *DETAIL_PX))
    _map_slot(page, MARGIN + img_w + 2, y, img_w, img_h, p, DETAIL_PX)
    ty = y
    if rows:
        cols = (0.0,) * 6  # left edges (only the first column is left-aligned)
        aligns = ("left", "right", "right", "right", "right", "right")
        ends = (0.0, 0.36, 0.50, 0.60, 0.80, 1.0)  # right edges, fractions of the table width
        for j, h in enumerate(T.MEASUREMENT_HEADER):
            xx = table_x + (cols[j] if aligns[j] == "left" else ends[j]) * table_w
            page.text(xx, ty, h, size=7.5, weight="bold", ha=aligns[j])
        ty += 4.3
        page.hline(table_x, table_x + table_w, ty - 0.8)
        for r in rows:
            for j, v in enumerate(r):
                xx = table_x + (cols[j] if aligns[j] == "left" else ends[j]) * table_w
                page.text(xx, ty, v, size=7.5, ha=aligns[j])
            ty += 4.3
        ty += 1.5
    for s in extra:
        ty += page.para(table_x, ty, s, table_w, size=7.5)
    if p.quality_problems:
        ty += page.para(table_x, ty, "Photo quality: " + " ".join(p.quality_problems), table_w,
                        size=7.5, color=SIMULATED_COLOUR)
    for n in p.notes:
        ty += page.para(table_x, ty, n, table_w, size=7.5, color=MUTED)
    flow.y += block_h


def _findings(model: ReportModel, flow: Flow) -> None:
    flow.heading(f"Findings ({len(model.findings)})")
    if not model.findings:
        flow.para("No spots were found on the photos.", color=MUTED)
        return
    flow.para("Each spot skintrack found, with your own decision about it. Sizes are approximate "
              "(from the iris width). " + T.CERTAINTY_NOTE, size=8, color=MUTED)
    col_w = (CONTENT_W - 6) / 2
    crop = 20.0
    tx_w = col_w - crop - 3
    for i in range(0, len(model.findings), 2):
        pair = model.findings[i : i + 2]
        heights = []
        for f in pair:
            n = len(wrap(T.finding_line(f, model), tx_w, 7.5)) + len(wrap(T.finding_decision(f), tx_w, 7.5))
            heights.append(max(crop, 5 + n * 3.6 + (3.6 if f.note else 0)))
        h = max(heights) + 3.0
        page = flow.need(h)
        for k, f in enumerate(pair):
            x = MARGIN + k * (col_w + 6)
            y = flow.y
            if f.crop is not None:
                page.image(x, y, crop, crop, fit(f.crop, *CROP_PX))
            else:
                page.placeholder(x, y, crop, crop, "no close-up")
            tx = x + crop + 3
            page.text(tx, y, f.id, size=8.5, weight="bold")
            yy = y + 4.2
            yy += page.para(tx, yy, T.finding_line(f, model), tx_w, size=7.5)
            yy += page.para(tx, yy, T.finding_decision(f), tx_w, size=7.5,
                            weight="bold" if f.state != "open" else "normal")
            if f.note:
                page.para(tx, yy, f.note, tx_w, size=7.5, color=MUTED)
        flow.y += h


def _check_section(model: ReportModel, flow: Flow) -> None:
    flow.heading("Pre-treatment check, questionnaire and device")
    c = model.check
    if c is None:
        flow.para("No pre-treatment check was recorded.", color=MUTED)
    else:
        page = flow.need(6)
        lw = page.text(MARGIN, flow.y, "Decision: ", size=9, weight="bold")
        page.text(MARGIN + lw, flow.y, c.decision, size=9, weight="bold",
                  color=T.DECISION_COLOURS[c.decision])
        if c.checked_at:
            page.text(PAGE_W - MARGIN, flow.y, T.when(c.checked_at), size=7.5, color=MUTED, ha="right")
        flow.y += 5.0
        for r in c.reasons:
            flow.para("\u2022 " + r, x=MARGIN + 2, width=CONTENT_W - 2, gap=0.5)
        flow.y += 1.5
    flow.para("Device: " + T.device_line(model), weight="bold")
    if model.products:
        flow.para("Products applied after treatment: " + ", ".join(model.products))
    if model.notes:
        flow.para("Notes", size=9.5, weight="bold", gap=0.8)
        flow.para(model.notes, gap=2.0)
    for title, answers in (("Questionnaire", model.questionnaire), ("Reported symptoms", model.symptoms)):
        if not answers:
            continue
        flow.para(title, size=9.5, weight="bold", gap=0.8)
        q_w = CONTENT_W * 0.62
        for a in answers:
            ql = wrap(a.question, q_w - 2, 8)
            al = wrap(a.answer, CONTENT_W - q_w - 2, 8, "bold" if a.flag else "normal")
            h = max(len(ql), len(al)) * 8 * PT_TO_MM * 1.3 + 1.2
            page = flow.need(h)
            page.para(MARGIN, flow.y, a.question, q_w - 2, size=8)
            page.para(MARGIN + q_w, flow.y, a.answer, CONTENT_W - q_w - 2, size=8,
                      weight="bold" if a.flag else "normal",
                      color=SIMULATED_COLOUR if a.flag else INK)
            flow.y += h
            page.hline(MARGIN, PAGE_W - MARGIN, flow.y - 0.6, lw=0.3)
        flow.y += 2.0


def _aftercare(model: ReportModel, flow: Flow) -> None:
    flow.heading("Aftercare", keep=40)
    if not model.aftercare:
        flow.para("No aftercare timeline was recorded.", color=MUTED)
        for note in model.aftercare_notes:
            flow.para(note, gap=0.8)
        return
    h = 9.0 + 7.0 * len(model.aftercare)
    page = flow.need(h + 16)
    flow.y += 4.0  # room for the "now" label above the chart
    page.chart(MARGIN, flow.y, CONTENT_W, h, lambda ax: aftercare_chart(
        ax, items=[(a.label, a.start_hours, a.end_hours) for a in model.aftercare],
        now_hours=model.now_hours, treated_at=model.treated_at, font_size=7.5),
        pad=(0.0, 5.0, 0.0, 11.0))
    flow.y += h + 12.0
    for note in model.aftercare_notes:
        flow.para(note, gap=0.8)
    sources = [a.source for a in model.aftercare if a.source]
    for i, a in enumerate(model.aftercare):
        line = f"{a.label}: {T.hours(a.start_hours)} to {T.hours(a.end_hours)}"
        if a.ends_at:
            line += f", until {T.when(a.ends_at)}"
        flow.para(line, weight="bold", gap=0.3)
        # Rules from one protocol sentence quote it once, under the last of them.
        if a.source and a.source not in sources[i + 1:]:
            flow.para(f"Protocol: \u201c{a.source}\u201d", size=7.5, color=MUTED, x=MARGIN + 3,
                      width=CONTENT_W - 3, gap=1.2)


#: Text sizes tried for the disclaimer box, largest first: a smaller one is used only when it
#: keeps the box on the page the report ends on (no last page holding the disclaimer alone).
DISCLAIMER_SIZES = (9.0, 8.0, 7.5)
DISCLAIMER_GAP = 4.0


def _disclaimer_height(text: str, size: float) -> float:
    lines = wrap(text, CONTENT_W - 8, size)
    return 8 + len(lines) * size * PT_TO_MM * 1.3 + 9


def _disclaimer(model: ReportModel, flow: Flow) -> None:
    room = BOTTOM - flow.y - DISCLAIMER_GAP if flow.page is not None else 0.0
    size = next((s for s in DISCLAIMER_SIZES if _disclaimer_height(model.disclaimer, s) <= room),
                DISCLAIMER_SIZES[0])
    h = _disclaimer_height(model.disclaimer, size)
    page = flow.need(h + DISCLAIMER_GAP)
    flow.y += DISCLAIMER_GAP
    y0 = flow.y
    page.text(MARGIN + 4, y0 + 3, "This is not a diagnosis", size=12, weight="bold")
    yy = y0 + 9
    yy += page.para(MARGIN + 4, yy, model.disclaimer, CONTENT_W - 8, size=size)
    page.para(MARGIN + 4, yy + 1, T.PROTOCOL_CREDIT, CONTENT_W - 8, size=7.5, color=MUTED)
    page.rect(MARGIN, y0, CONTENT_W, h, ec=INK, lw=1.2)
    flow.y = y0 + h


def _decorate(model: ReportModel, pages: list[Page]) -> None:
    """Running header, footer and page numbers (known only once every page is laid out)."""
    n = len(pages)
    for i, page in enumerate(pages):
        if i > 0:
            page.text(MARGIN, 10, model.title, size=8, color=MUTED)
            page.text(PAGE_W - MARGIN, 10, model.session_label, size=8, color=MUTED, ha="right")
            if model.simulated:
                page.text(PAGE_W / 2, 10, "SIMULATED DEMO DATA", size=8.5, weight="bold",
                          color=SIMULATED_COLOUR, ha="center")
            page.hline(MARGIN, PAGE_W - MARGIN, 14.5)
        fy = PAGE_H - 10
        page.hline(MARGIN, PAGE_W - MARGIN, fy - 2.5)
        page.text(MARGIN, fy, "Not a diagnosis: see \u201cThis is not a diagnosis\u201d at the end. "
                  "skintrack, offline.", size=7, color=MUTED)
        if model.simulated:
            page.text(PAGE_W / 2 + 22, fy, "SIMULATED", size=7.5, weight="bold",
                      color=SIMULATED_COLOUR, ha="center")
        page.text(PAGE_W - MARGIN, fy, f"page {i + 1} of {n}", size=7, color=MUTED, ha="right")


def _chart_svg(w: float, h: float, draw: Callable, pad: tuple[float, float, float, float]) -> bytes:
    """An SVG (text as paths, no metadata) of ``draw(ax)`` on an Axes of ``w`` x ``h`` mm inside
    a transparent figure ``pad`` mm larger on each side."""
    import matplotlib
    from matplotlib.figure import Figure

    pl, pt, pr, pb = pad
    fw, fh = w + pl + pr, h + pt + pb
    # Text colour given explicitly (INK, not the default black): matplotlib leaves the fill of
    # black text unset, and fpdf2 would then paint it in the last fill colour it used.
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "skintrack",
                                "font.family": "DejaVu Sans", "text.color": INK,
                                "axes.labelcolor": INK, "xtick.labelcolor": INK,
                                "ytick.labelcolor": INK}):
        fig = Figure(figsize=(fw / 25.4, fh / 25.4))
        fig.patch.set_alpha(0.0)
        ax = fig.add_axes((pl / fw, pb / fh, w / fw, h / fh))
        draw(ax)
        buf = io.BytesIO()
        fig.savefig(buf, format="svg", transparent=True,
                    metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    return buf.getvalue()


class _Writer:
    """Writes recorded :class:`Page` operations with fpdf2."""

    def __init__(self, model: ReportModel) -> None:
        from fpdf import FPDF

        pdf = FPDF(unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margin(0)
        pdf.add_font("DejaVu", "", font_path("normal"))
        pdf.add_font("DejaVu", "B", font_path("bold"))
        pdf.set_title(model.title + (" (SIMULATED)" if model.simulated else ""))
        pdf.set_subject(model.session_label)
        pdf.set_creator("skintrack")
        pdf.set_producer("skintrack")
        pdf.set_creation_date(model.generated_at)
        self.pdf = pdf

    def fallback(self, pages: list[Page], folder: Path) -> None:
        """Load the fallback font, cut down to the characters the pages need from it (if any)."""
        chars = {c for page in pages for _z, _i, kind, a in page.ops if kind == "text"
                 for fb, run in _runs(a[2], a[4]) if fb for c in run}
        if chars and fallback_font_path() is not None:
            self.pdf.add_font("LastResort", "", _fallback_subset(chars, folder))

    def page(self, page: Page) -> None:
        from skintrack.report.images import encode_jpeg

        pdf = self.pdf
        pdf.add_page()
        for _z, _i, kind, a in sorted(page.ops, key=lambda op: (op[0], op[1])):
            if kind == "text":
                x, base, s, size, weight, color = a
                pdf.set_text_color(*_rgb(color))
                for fallback, run in _runs(s, weight):
                    if fallback:
                        pdf.set_font("LastResort", "", size)
                    else:
                        pdf.set_font("DejaVu", "B" if weight == "bold" else "", size)
                    pdf.text(x, base, run)
                    x += text_width_mm(run, size, weight)
            elif kind == "rect":
                x, y, w, h, fc, ec, lw = a
                style = ("F" if fc != "none" else "") + ("D" if ec != "none" else "")
                if not style:
                    continue
                if fc != "none":
                    pdf.set_fill_color(*_rgb(fc))
                if ec != "none":
                    pdf.set_draw_color(*_rgb(ec))
                    pdf.set_line_width(lw * PT_TO_MM)
                pdf.rect(x, y, w, h, style=style)
            elif kind == "line":
                x0, x1, y, color, lw = a
                pdf.set_draw_color(*_rgb(color))
                pdf.set_line_width(lw * PT_TO_MM)
                pdf.line(x0, y, x1, y)
            elif kind == "image":
                x, y, w, h, rgb = a
                jpeg = encode_jpeg(rgb, quality=JPEG_QUALITY)
                pdf.image(io.BytesIO(jpeg), x=x, y=y, w=w, h=h)
            elif kind == "chart":
                x, y, w, h, draw, pad = a
                svg = _chart_svg(w, h, draw, pad)
                pl, pt, pr, pb = pad
                pdf.image(io.BytesIO(svg), x=x - pl, y=y - pt, w=w + pl + pr, h=h + pt + pb)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


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
    flow.para("Each photo with its redness change map (against the baseline, after normalisation) "
              "and its measurements: a* is the median CIELAB a* of the region's usable skin, \u0394a* "
              "its change, \u00b1 the uncertainty.", size=8, color=MUTED)
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


def write_pdf(model: ReportModel, path: str | Path, *, progress: Progress | None = None) -> Path:
    """Render ``model`` and write it to ``path`` (atomically: a failed export leaves no file)."""
    from skintrack.report.export import atomic_write

    return atomic_write(Path(path), render_pdf(model, progress=progress))
