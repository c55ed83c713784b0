"""The sections of the PDF report, laid out on the engine's pages (:mod:`.layout`): page one (the
clinician summary, always one page), a block per photo, the findings, the pre-treatment check,
the aftercare, the disclaimer, and the running header and footer.
"""

from __future__ import annotations

from skintrack.report import text as T
from skintrack.report.charts import SIMULATED_COLOUR, aftercare_chart, redness_chart
from skintrack.report.images import fit
from skintrack.report.model import ReportModel, ReportPhoto
from skintrack.report.pdf.layout import (
    BOTTOM,
    CONTENT_W,
    CROP_PX,
    DETAIL_PX,
    INK,
    MARGIN,
    MUTED,
    PAGE_H,
    PAGE_W,
    PT_TO_MM,
    SUMMARY_NOTE_LINES,
    SUMMARY_PX,
    Flow,
    Page,
    text_width_mm,
    wrap,
)


def _map_slot(page: Page, x: float, y: float, w: float, h: float, p: ReportPhoto, px) -> None:
    """The change map; for the baseline its measured regions; else a word on why there is none."""
    if p.delta_map is not None:
        page.image(x, y, w, h, fit(p.delta_map, *px))
    elif p.regions_image is not None:
        page.image(x, y, w, h, fit(p.regions_image, *px))
    else:
        page.placeholder(
            x, y, w, h, "reference photo: no change map" if p.role == "baseline" else "no change map"
        )


# --- page one --------------------------------------------------------------------------------------
def _summary_page(model: ReportModel, page: Page) -> None:
    y = MARGIN
    page.text(MARGIN, y, model.title, size=15, weight="bold")
    page.text(
        PAGE_W - MARGIN, y + 1.0, f"report made {T.when(model.generated_at)}", size=8, color=MUTED, ha="right"
    )
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
        page.para(
            MARGIN + 3,
            y + 1.8,
            model.simulated_note,
            CONTENT_W - 6,
            size=8.5,
            weight="bold",
            color=SIMULATED_COLOUR,
        )
        y += h + 3.0
    for warning in model.warnings:
        y += page.para(MARGIN, y, warning, CONTENT_W, size=8.5, weight="bold", color=SIMULATED_COLOUR)
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
        dw = page.text(x + lw, y, c.decision, size=8.5, weight="bold", color=T.DECISION_COLOURS[c.decision])
        rest = "; ".join(c.reasons)
        if rest:
            first = wrap(rest, w - lw - dw - 4, 8.5)
            page.text(x + lw + dw + 2, y, "\u2013 " + first[0], size=8.5)
            y += 8.5 * PT_TO_MM * 1.3
            remainder = rest[len(first[0]) :].strip()
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
        tail = " \u00b7 ".join(
            b
            for b in (p.id, T.hours(p.hours_since_treatment) if p.hours_since_treatment is not None else "")
            if b
        )
        tw = page.text(cx + hw + 1.2, y, "\u00b7 " + tail, size=8.5)
        if p.simulated:
            page.text(cx + hw + tw + 2.4, y, T.SIMULATED_TAG, size=8.5, weight="bold", color=SIMULATED_COLOUR)
        page.text(cx, y + 4.0, T.photo_time(p), size=7, color=MUTED)
        iy = y + 7.5
        page.image(cx, iy, img_w, img_h, fit(p.image, *SUMMARY_PX))
        _map_slot(page, cx + img_w + 1.5, iy, img_w, img_h, p, SUMMARY_PX)
        page.para(cx, iy + img_h + 1.5, T.treated_mean_line(model, p), col_w, size=7.2)
    y += 7.5 + img_h + 1.5 + 2 * 7.2 * PT_TO_MM * 1.3 + 1.0
    page.text(
        MARGIN,
        y,
        "Maps: blue = less red than the baseline, white = unchanged, orange to dark red = redder.",
        size=7,
        color=MUTED,
    )
    y += 6.0

    # The redness curve, drawn as vectors onto the page.
    page.text(MARGIN, y, "Redness change per region since treatment", size=10, weight="bold")
    y += 5.5
    chart_h = 52.0

    def draw_curve(ax) -> None:
        redness_chart(
            ax,
            **model.curve.chart_kwargs(),
            treated=model.treated_regions,
            now_hours=model.now_hours,
            simulated=model.simulated,
            font_size=7.5,
        )
        if ax.legend_ is not None:
            ax.legend_.set_bbox_to_anchor((0.5, -0.15))

    page.chart(MARGIN + 14, y, CONTENT_W - 16, chart_h, draw_curve, pad=(14.0, 3.0, 2.0, 24.0))
    y += chart_h + 25.0

    # Undecided findings, as many as fit.
    open_f = model.open_findings
    page.text(MARGIN, y, f"{T.UNDECIDED_FINDINGS} ({len(open_f)})", size=10, weight="bold")
    y += 5.5
    if not open_f:
        page.text(
            MARGIN,
            y,
            "None: every spot found has been confirmed or dismissed, or none was found.",
            size=8,
            color=MUTED,
        )
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
    hw = page.text(
        MARGIN, y, T.photo_heading(p).replace(f" \u00b7 {T.SIMULATED_TAG}", ""), size=10, weight="bold"
    )
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
        ty += page.para(
            table_x,
            ty,
            "Photo quality: " + " ".join(p.quality_problems),
            table_w,
            size=7.5,
            color=SIMULATED_COLOUR,
        )
    for n in p.notes:
        ty += page.para(table_x, ty, n, table_w, size=7.5, color=MUTED)
    flow.y += block_h


def _findings(model: ReportModel, flow: Flow) -> None:
    flow.heading(f"Findings ({len(model.findings)})")
    if not model.findings:
        flow.para("No spots were found on the photos.", color=MUTED)
        return
    flow.para(
        "Each spot skintrack found, with your own decision about it. Sizes are approximate "
        "(from the iris width). " + T.CERTAINTY_NOTE,
        size=8,
        color=MUTED,
    )
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
            yy += page.para(
                tx,
                yy,
                T.finding_decision(f),
                tx_w,
                size=7.5,
                weight="bold" if f.state != "open" else "normal",
            )
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
        page.text(
            MARGIN + lw, flow.y, c.decision, size=9, weight="bold", color=T.DECISION_COLOURS[c.decision]
        )
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
            page.para(
                MARGIN + q_w,
                flow.y,
                a.answer,
                CONTENT_W - q_w - 2,
                size=8,
                weight="bold" if a.flag else "normal",
                color=SIMULATED_COLOUR if a.flag else INK,
            )
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
    page.chart(
        MARGIN,
        flow.y,
        CONTENT_W,
        h,
        lambda ax: aftercare_chart(
            ax,
            items=[(a.label, a.start_hours, a.end_hours) for a in model.aftercare],
            now_hours=model.now_hours,
            treated_at=model.treated_at,
            font_size=7.5,
        ),
        pad=(0.0, 5.0, 0.0, 11.0),
    )
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
        if a.source and a.source not in sources[i + 1 :]:
            flow.para(
                f"Protocol: \u201c{a.source}\u201d",
                size=7.5,
                color=MUTED,
                x=MARGIN + 3,
                width=CONTENT_W - 3,
                gap=1.2,
            )


#: Text sizes tried for the disclaimer box, largest first: a smaller one is used only when it
#: keeps the box on the page the report ends on (no last page holding the disclaimer alone).
DISCLAIMER_SIZES = (9.0, 8.0, 7.5)
DISCLAIMER_GAP = 4.0


def _disclaimer_height(text: str, size: float) -> float:
    lines = wrap(text, CONTENT_W - 8, size)
    return 8 + len(lines) * size * PT_TO_MM * 1.3 + 9


def _disclaimer(model: ReportModel, flow: Flow) -> None:
    room = BOTTOM - flow.y - DISCLAIMER_GAP if flow.page is not None else 0.0
    size = next(
        (s for s in DISCLAIMER_SIZES if _disclaimer_height(model.disclaimer, s) <= room), DISCLAIMER_SIZES[0]
    )
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
                page.text(
                    PAGE_W / 2,
                    10,
                    "SIMULATED DEMO DATA",
                    size=8.5,
                    weight="bold",
                    color=SIMULATED_COLOUR,
                    ha="center",
                )
            page.hline(MARGIN, PAGE_W - MARGIN, 14.5)
        fy = PAGE_H - 10
        page.hline(MARGIN, PAGE_W - MARGIN, fy - 2.5)
        page.text(
            MARGIN,
            fy,
            "Not a diagnosis: see \u201cThis is not a diagnosis\u201d at the end. skintrack, offline.",
            size=7,
            color=MUTED,
        )
        if model.simulated:
            page.text(
                PAGE_W / 2 + 22, fy, "SIMULATED", size=7.5, weight="bold", color=SIMULATED_COLOUR, ha="center"
            )
        page.text(PAGE_W - MARGIN, fy, f"page {i + 1} of {n}", size=7, color=MUTED, ha="right")
