"""The PDF report, drawn with matplotlib (Agg-free PDF backend): no browser, no Qt, no new dependency.

Each A4 page is a matplotlib :class:`~matplotlib.figure.Figure` laid out in millimetres from the top
left corner; text is wrapped by measuring it with the font it is drawn in (DejaVu Sans, shipped with
matplotlib, embedded as TrueType so the text stays selectable). The redness chart on page one is
drawn by :func:`skintrack.report.charts.redness_chart` straight onto the page, as vectors. Photos are
embedded from pixel arrays, so they carry no EXIF or location. Why matplotlib rather than Qt's PDF
writer: ``docs/adr/0500-pdf-with-matplotlib.md``.

Page one is the clinician summary and always fits one page; the other sections flow over as many
pages as they need.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np

from skintrack.report import text as T
from skintrack.report.charts import SIMULATED_COLOUR, aftercare_chart, redness_chart
from skintrack.report.images import fit
from skintrack.report.model import ReportModel, ReportPhoto

Progress = Callable[[int, int, str], None]

PAGE_W, PAGE_H = 210.0, 297.0  # A4, mm
MARGIN = 12.0
CONTENT_W = PAGE_W - 2 * MARGIN
TOP = 20.0  # first content line on pages after the first (below the running header)
BOTTOM = PAGE_H - 16.0  # last content line (above the footer)
INK, MUTED, LINE = "#1d1d1f", "#5f6368", "#c8c8cc"
PT_TO_MM = 25.4 / 72.0
#: Embedded pixel sizes (width, height; 4:5 like the display crops): page one's photos are drawn
#: about 29 mm wide (~260 dpi), the detail pages' about 44 mm (~170 dpi), finding close-ups 22 mm.
SUMMARY_PX = (300, 375)
DETAIL_PX = (300, 375)
CROP_PX = (160, 160)

#: JPEG quality of embedded photos: visually lossless on skin at these sizes, ~10x smaller than
#: matplotlib's own lossless (Flate) images and ~20x faster to encode.
JPEG_QUALITY = 88

RC = {"pdf.fonttype": 3, "font.family": "DejaVu Sans", "pdf.compression": 6,
      "image.composite_image": False}


@lru_cache(maxsize=4)
def _advances(weight: str):
    """Per-character advance widths (em units) of DejaVu Sans, and the kerning-free fallback."""
    from matplotlib.font_manager import FontProperties, findfont, get_font
    from matplotlib.ft2font import LoadFlags

    font = get_font(findfont(FontProperties(family="DejaVu Sans", weight=weight)))
    em = float(font.units_per_EM)
    cache: dict[str, float] = {}

    def advance(ch: str) -> float:
        a = cache.get(ch)
        if a is None:
            a = font.load_char(ord(ch), flags=LoadFlags.NO_SCALE).horiAdvance / em
            cache[ch] = a
        return a

    return advance


@lru_cache(maxsize=8192)
def text_width_mm(s: str, size: float, weight: str = "normal") -> float:
    """Width of ``s`` drawn in DejaVu Sans at ``size`` points, millimetres.

    Sums glyph advances (kerning ignored: DejaVu Sans kerns little, and wrapping keeps a margin);
    measuring through matplotlib's text layout costs ~25 us per character, this ~0.1 us.
    """
    if not s:
        return 0.0
    adv = _advances(weight)
    return sum(adv(c) for c in s) * size * PT_TO_MM


def wrap(s: str, width_mm: float, size: float, weight: str = "normal") -> list[str]:
    """Greedy word wrap of ``s`` into lines at most ``width_mm`` wide (long words are split)."""
    lines: list[str] = []
    for para in s.split("\n"):
        words = para.split(" ")
        cur = ""
        for word in words:
            trial = f"{cur} {word}" if cur else word
            if text_width_mm(trial, size, weight) <= width_mm:
                cur = trial
                continue
            if cur:
                lines.append(cur)
            while text_width_mm(word, size, weight) > width_mm and len(word) > 1:
                cut = len(word)
                while cut > 1 and text_width_mm(word[:cut], size, weight) > width_mm:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            cur = word
        lines.append(cur)
    return lines


class Page:
    """One A4 page; every position and size in millimetres from the top left corner.

    Text, rules and photos go on one page-sized Axes whose data units are millimetres (y down):
    one Axes per page rather than one per photo, since each Axes costs matplotlib ~10 ms.
    """

    def __init__(self) -> None:
        from matplotlib.figure import Figure

        self.fig = Figure(figsize=(PAGE_W / 25.4, PAGE_H / 25.4))
        ax = self.fig.add_axes((0.0, 0.0, 1.0, 1.0))
        ax.set_xlim(0.0, PAGE_W)
        ax.set_ylim(PAGE_H, 0.0)
        ax.set_axis_off()
        self.ax = ax

    def text(self, x: float, y: float, s: str, *, size: float = 8.5, weight: str = "normal",
             color: str = INK, ha: str = "left", va: str = "top") -> float:
        """Draw one line; return its width in mm."""
        self.ax.text(x, y, s, fontsize=size, fontweight=weight, color=color, ha=ha, va=va,
                     parse_math=False, clip_on=False)
        return text_width_mm(s, size, weight)

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
        from matplotlib.patches import Rectangle

        self.ax.add_patch(Rectangle((x, y), w, h, facecolor=fc, edgecolor=ec, linewidth=lw,
                                    zorder=z, clip_on=False))

    def hline(self, x0: float, x1: float, y: float, *, color: str = LINE, lw: float = 0.6) -> None:
        self.ax.plot([x0, x1], [y, y], color=color, linewidth=lw, solid_capstyle="butt",
                     clip_on=False)

    def axes(self, x: float, y: float, w: float, h: float):
        """A new Axes (for a chart) over the box, mm."""
        return self.fig.add_axes((x / PAGE_W, 1.0 - (y + h) / PAGE_H, w / PAGE_W, h / PAGE_H))

    def image(self, x: float, y: float, w: float, h: float, rgb: np.ndarray, *,
              border: bool = True) -> tuple[float, float]:
        """Draw ``rgb`` fitted (shape kept) into the box, centred; return the drawn (w, h) in mm."""
        ih, iw = rgb.shape[:2]
        scale = min(w / iw, h / ih)
        dw, dh = iw * scale, ih * scale
        x0 = x + (w - dw) / 2
        self.ax.imshow(rgb, extent=(x0, x0 + dw, y + dh, y), interpolation="none", aspect="auto",
                       zorder=1)
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
    sub = model.session_label + (f" \u00b7 {model.notes}" if model.notes else "")
    page.text(MARGIN, y, wrap(sub, CONTENT_W, 8.5)[0], size=8.5, color=MUTED)
    y += 4.5
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
    ax = page.axes(MARGIN + 14, y, CONTENT_W - 16, chart_h)
    redness_chart(ax, **model.curve.chart_kwargs(), treated=model.treated_regions,
                  now_hours=model.now_hours, simulated=model.simulated, font_size=7.5)
    if ax.legend_ is not None:
        ax.legend_.set_bbox_to_anchor((0.5, -0.15))
    y += chart_h + 25.0

    # Open findings, as many as fit.
    open_f = model.open_findings
    page.text(MARGIN, y, f"Open findings ({len(open_f)})", size=10, weight="bold")
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
    page = flow.need(h + 4)
    ax = page.axes(MARGIN, flow.y, CONTENT_W, h)
    aftercare_chart(ax, items=[(a.label, a.start_hours, a.end_hours) for a in model.aftercare],
                    now_hours=model.now_hours, treated_at=model.treated_at, font_size=7.5)
    flow.y += h + 12.0
    for note in model.aftercare_notes:
        flow.para(note, gap=0.8)
    for a in model.aftercare:
        line = f"{a.label}: {T.hours(a.start_hours)} to {T.hours(a.end_hours)}"
        if a.ends_at:
            line += f", until {T.when(a.ends_at)}"
        flow.para(line, weight="bold", gap=0.3)
        if a.source:
            flow.para(f"Protocol: \u201c{a.source}\u201d", size=7.5, color=MUTED, x=MARGIN + 3,
                      width=CONTENT_W - 3, gap=1.2)


def _disclaimer(model: ReportModel, flow: Flow) -> None:
    lines = wrap(model.disclaimer, CONTENT_W - 8, 9)
    h = 8 + len(lines) * 9 * PT_TO_MM * 1.3 + 9
    page = flow.need(h + 12)
    flow.y += 4
    y0 = flow.y
    page.text(MARGIN + 4, y0 + 3, "This is not a diagnosis", size=12, weight="bold")
    yy = y0 + 9
    yy += page.para(MARGIN + 4, yy, model.disclaimer, CONTENT_W - 8, size=9)
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


def _embed_photos_as_jpeg(pdf_pages) -> bool:
    """Make ``pdf_pages`` write opaque RGB images as JPEG (``DCTDecode``) instead of Flate.

    matplotlib only writes lossless images; photos are 10x larger that way and take most of the
    export time. This replaces one method of the ``PdfFile`` behind ``pdf_pages`` (matplotlib is
    pinned below 3.12 in pyproject.toml); if that method is not there, images stay lossless and
    nothing else changes. ``tests/report/test_pdf.py`` checks the photos come out as JPEG.
    """
    import matplotlib
    from matplotlib.backends.backend_pdf import Name

    from skintrack.report.images import encode_jpeg

    try:
        pdf_file = pdf_pages._ensure_file()
        original = pdf_file._writeImg
    except AttributeError:
        return False

    def write_image(data, id, smask=None):
        if (smask is None and data.ndim == 3 and data.shape[2] == 3 and data.dtype == np.uint8
                and min(data.shape[:2]) >= 16):
            jpeg = encode_jpeg(data, quality=JPEG_QUALITY)
            obj = {"Type": Name("XObject"), "Subtype": Name("Image"), "Width": data.shape[1],
                   "Height": data.shape[0], "ColorSpace": Name("DeviceRGB"), "BitsPerComponent": 8,
                   "Filter": Name("DCTDecode")}
            # Compression off for this one stream: JPEG data must not be deflated again.
            with matplotlib.rc_context({"pdf.compression": 0}):
                pdf_file.beginStream(id, pdf_file.reserveObject("length of image stream"), obj)
                pdf_file.currentstream.write(jpeg)
                pdf_file.endStream()
            return
        original(data, id, smask)

    pdf_file._writeImg = write_image
    return True


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
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages

    layout_steps = len(model.photos) + 4
    total = 2 * layout_steps
    done = 0

    def step(text: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(min(done, total), total, text)

    with matplotlib.rc_context(RC):
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

        buf = io.BytesIO()
        meta = {"Title": model.title + (" (SIMULATED)" if model.simulated else ""),
                "Subject": model.session_label, "Creator": "skintrack", "Author": None}
        with PdfPages(buf, metadata=meta) as pdf:
            _embed_photos_as_jpeg(pdf)
            for i, page in enumerate(pages):
                pdf.savefig(page.fig)
                page.fig.clear()
                target = layout_steps + math.ceil((i + 1) * layout_steps / len(pages))
                while done < target:
                    step(f"page {i + 1} of {len(pages)}")
    return buf.getvalue()


def write_pdf(model: ReportModel, path: str | Path, *, progress: Progress | None = None) -> Path:
    """Render ``model`` and write it to ``path`` (atomically: a failed export leaves no file)."""
    from skintrack.report.export import atomic_write

    return atomic_write(Path(path), render_pdf(model, progress=progress))
