"""The PDF layout engine: A4 pages in millimetres, text measured and wrapped with the font's own
widths, and the writer that hands the recorded pages to fpdf2.

Each page is laid out into a :class:`Page` (a list of drawing operations) and written by
:class:`_Writer` once every page is known (page numbers need the total). Text is DejaVu Sans,
embedded and subset by fpdf2; characters it has no glyph for are drawn with Unicode's Last Resort
font (:func:`printable_text`). Charts are embedded as SVG (:func:`_chart_svg`), photos as JPEG
from pixel arrays (no EXIF). What goes on the pages: :mod:`skintrack.report.pdf.sections`.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np

from skintrack.core.printable import clean_text
from skintrack.report.model import ReportModel

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

    def text(
        self,
        x: float,
        y: float,
        s: str,
        *,
        size: float = 8.5,
        weight: str = "normal",
        color: str = INK,
        ha: str = "left",
        va: str = "top",
    ) -> float:
        """Draw one line with its top (``va="top"``) at ``y``; return its width in mm."""
        s = printable_text(s, weight)
        w = text_width_mm(s, size, weight)
        x0 = x - (w if ha == "right" else w / 2 if ha == "center" else 0.0)
        base = y + (ASCENT_EM * size * PT_TO_MM if va == "top" else 0.0)
        self._add(3.0, "text", x0, base, s, size, weight, color)
        return w

    def para(
        self,
        x: float,
        y: float,
        s: str,
        width: float,
        *,
        size: float = 8.5,
        weight: str = "normal",
        color: str = INK,
        leading: float = 1.3,
    ) -> float:
        """Draw ``s`` wrapped to ``width`` mm; return the height used in mm."""
        step = size * PT_TO_MM * leading
        lines = wrap(s, width, size, weight)
        for i, line in enumerate(lines):
            self.text(x, y + i * step, line, size=size, weight=weight, color=color)
        return len(lines) * step

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        *,
        fc: str = "none",
        ec: str = LINE,
        lw: float = 0.6,
        z: float = 0.5,
    ) -> None:
        """A rectangle; ``fc``/``ec`` "none" for no fill/edge; ``lw`` in points."""
        self._add(z, "rect", x, y, w, h, fc, ec, lw)

    def hline(self, x0: float, x1: float, y: float, *, color: str = LINE, lw: float = 0.6) -> None:
        self._add(2.0, "line", x0, x1, y, color, lw)

    def chart(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        draw: Callable,
        *,
        pad: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0),
    ) -> None:
        """A chart: ``draw(ax)`` on a matplotlib Axes filling the box (mm); ``pad`` (left, top,
        right, bottom, mm) is room around it for tick labels and the legend."""
        self._add(1.5, "chart", x, y, w, h, draw, pad)

    def image(
        self, x: float, y: float, w: float, h: float, rgb: np.ndarray, *, border: bool = True
    ) -> tuple[float, float]:
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

    def para(
        self,
        s: str,
        *,
        size: float = 8.5,
        weight: str = "normal",
        color: str = INK,
        x: float = MARGIN,
        width: float = CONTENT_W,
        gap: float = 1.5,
    ) -> None:
        lines = wrap(s, width, size, weight)
        step = size * PT_TO_MM * 1.3
        for line in lines:
            page = self.need(step)
            page.text(x, self.y, line, size=size, weight=weight, color=color)
            self.y += step
        self.y += gap


def _chart_svg(w: float, h: float, draw: Callable, pad: tuple[float, float, float, float]) -> bytes:
    """An SVG (text as paths, no metadata) of ``draw(ax)`` on an Axes of ``w`` x ``h`` mm inside
    a transparent figure ``pad`` mm larger on each side."""
    import matplotlib
    from matplotlib.figure import Figure

    pl, pt, pr, pb = pad
    fw, fh = w + pl + pr, h + pt + pb
    # Text colour given explicitly (INK, not the default black): matplotlib leaves the fill of
    # black text unset, and fpdf2 would then paint it in the last fill colour it used.
    with matplotlib.rc_context(
        {
            "svg.fonttype": "path",
            "svg.hashsalt": "skintrack",
            "font.family": "DejaVu Sans",
            "text.color": INK,
            "axes.labelcolor": INK,
            "xtick.labelcolor": INK,
            "ytick.labelcolor": INK,
        }
    ):
        fig = Figure(figsize=(fw / 25.4, fh / 25.4))
        fig.patch.set_alpha(0.0)
        ax = fig.add_axes((pl / fw, pb / fh, w / fw, h / fh))
        draw(ax)
        buf = io.BytesIO()
        fig.savefig(
            buf,
            format="svg",
            transparent=True,
            metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
        )
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
        chars = {
            c
            for page in pages
            for _z, _i, kind, a in page.ops
            if kind == "text"
            for fb, run in _runs(a[2], a[4])
            if fb
            for c in run
        }
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
