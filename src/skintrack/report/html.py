"""The HTML report: one self-contained file, every image embedded as a ``data:`` URI.

The page is built from escaped pieces only (no templating engine), and every element is closed, so
the file is well-formed XML as well as HTML5: the tests parse it with an XML parser. Photos, maps and
crops are JPEG re-encoded from pixel arrays (no EXIF, no location); the charts are SVG drawn by the
same functions as the PDF and the app.

The first section is the clinician summary (status, the three photos with their maps, the redness
curve, undecided findings); printing the page from a browser puts it on a page of its own.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from html import escape
from pathlib import Path

from skintrack.core.printable import clean_text
from skintrack.core.progress import Progress
from skintrack.report import text as T
from skintrack.report.charts import aftercare_chart, redness_chart
from skintrack.report.files import atomic_write
from skintrack.report.images import data_uri, encode_jpeg, metadata_markers
from skintrack.report.model import ReportModel, ReportPhoto

CSS = """
:root { --ink: #1d1d1f; --muted: #5f6368; --line: #d9d9de; --sim: #B00020; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 980px; padding: 18px 22px 40px; font-size: 14px; line-height: 1.4; }
h1 { font-size: 22px; margin: 0 0 2px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 2px solid var(--line); padding-bottom: 3px; }
h3 { font-size: 15px; margin: 14px 0 4px; }
.meta, .muted { color: var(--muted); font-size: 12.5px; }
.simulated { border: 2px solid var(--sim); color: var(--sim); font-weight: bold; padding: 6px 10px;
             margin: 8px 0; border-radius: 4px; }
.tag-sim { color: var(--sim); font-weight: bold; }
.status { border-left: 8px solid var(--level); background: #f7f7f9; padding: 8px 12px; margin: 10px 0; }
.status .headline { font-weight: bold; font-size: 16px; color: var(--level); }
.status ul { margin: 4px 0 4px 18px; padding: 0; }
.decision { font-weight: bold; }
.trio { display: grid; grid-template-columns: repeat(3, 1fr); gap: 12px; margin: 10px 0; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 4px; }
figure { margin: 0; }
figure img { width: 100%; height: auto; display: block; border: 1px solid var(--line); }
.placeholder { border: 1px dashed var(--line); color: var(--muted); font-size: 12px; padding: 8px;
               display: flex; align-items: center; justify-content: center; text-align: center;
               aspect-ratio: 4 / 5; }
figcaption { font-size: 12.5px; margin-top: 3px; }
.chart { width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 13px; margin: 4px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.photo { display: grid; grid-template-columns: 220px 220px 1fr; gap: 12px; margin: 10px 0 18px;
         break-inside: avoid; }
.finding { display: grid; grid-template-columns: 110px 1fr; gap: 10px; margin: 8px 0;
           break-inside: avoid; }
.finding img { width: 110px; height: 110px; object-fit: cover; }
.flag { color: var(--sim); font-weight: bold; }
.disclaimer { border: 2px solid var(--ink); padding: 10px 14px; margin-top: 24px; }
footer { margin-top: 30px; color: var(--muted); font-size: 12px; }
@media print {
  @page { size: A4; margin: 12mm; }
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  #summary { break-after: page; }
  h2 { break-after: avoid; }
}
"""

PHOTO_PX = (360, 450)
#: Undecided findings listed in the summary (all of them are in the Findings section).
SUMMARY_FINDINGS = 10  # width, height of embedded photos and maps (4:5, the display crop's shape)


def _e(s: object) -> str:
    """Escaped text, less control characters (XML 1.0 forbids most of them in a file at all)."""
    return escape(clean_text(s), quote=True)


def _lines(s: str) -> str:
    """Escaped text whose line breaks show (``<br />``)."""
    return "<br />".join(_e(line) for line in clean_text(s).split("\n"))


def _el(tag: str, body: str = "", **attrs: object) -> str:
    """``<tag attrs>body</tag>``; ``body`` must already be escaped HTML."""
    a = "".join(f' {k.rstrip("_").replace("_", "-")}="{_e(v)}"' for k, v in attrs.items() if v is not None)
    return f"<{tag}{a}>{body}</{tag}>"


def _img(src: str, alt: str, **attrs: object) -> str:
    a = "".join(f' {k.rstrip("_").replace("_", "-")}="{_e(v)}"' for k, v in attrs.items())
    return f'<img src="{src}" alt="{_e(alt)}"{a} />'


def _jpeg_uri(rgb) -> str:
    return data_uri(encode_jpeg(rgb, quality=85), "image/jpeg")


def svg_chart(draw: Callable, size: tuple[float, float], **data) -> bytes:
    """An SVG of ``draw(figure, **data)`` (a chart function of :mod:`skintrack.report.charts`)."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(
        {"svg.fonttype": "none", "svg.hashsalt": "skintrack", "font.family": "DejaVu Sans"}
    ):
        fig = Figure(figsize=size, layout="constrained")
        draw(fig, **data)
        buf = io.BytesIO()
        # No metadata block: no creation date, no software name (the file says what it needs to).
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    data_ = buf.getvalue()
    if metadata_markers(data_):
        raise RuntimeError("chart SVG carries metadata")
    return data_


def _figure(rgb, alt: str, caption: str = "") -> str:
    body = _img(_jpeg_uri(rgb), alt)
    if caption:
        body += _el("figcaption", caption)
    return _el("figure", body)


def _placeholder(text: str) -> str:
    return _el("div", _e(text), class_="placeholder")


def _map_slot(p: ReportPhoto, images: dict, what: str, *, caption: bool = True) -> str:
    """The change map; for the baseline its measured regions; else a word on why there is none."""
    _, dmap, regs = images[p.id]
    if dmap is not None:
        return _figure(dmap, f"{what}: redness change map of {p.id}")
    if regs is not None:
        return _figure(regs, f"{what}: measured regions on {p.id}", _e(T.REGIONS_CAPTION) if caption else "")
    return _placeholder("reference photo: no change map" if p.role == "baseline" else "no change map")


def _sim(p: ReportPhoto) -> str:
    return f' <span class="tag-sim">{T.SIMULATED_TAG}</span>' if p.simulated else ""


def _summary(model: ReportModel, images: dict) -> str:
    parts = []
    headline, lines = T.status_lines(model)
    colour = T.LEVEL_COLOURS[model.status.level]
    status = _el("div", _e(headline), class_="headline")
    if lines:
        status += _el("ul", "".join(_el("li", _e(x)) for x in lines))
    c = model.check
    if c is not None:
        colour = T.DECISION_COLOURS[c.decision]
        check = f'Pre-treatment check: <span class="decision" style="color:{colour}">{_e(c.decision)}</span>'
        if c.reasons:
            check += " \u2013 " + _e("; ".join(c.reasons))
    else:
        check = "Pre-treatment check: not done"
    status += _el("div", check)
    status += _el("div", _e(T.treatment_line(model)), class_="meta")
    parts.append(_el("div", status, class_="status", style=f"--level:{colour}"))

    cells = []
    for heading, p in model.summary_photos():
        pair = _figure(images[p.id][0], f"{heading}: photo {p.id}")
        pair += _map_slot(p, images, heading, caption=False)
        tail = " \u00b7 ".join(
            [p.id] + ([T.hours(p.hours_since_treatment)] if p.hours_since_treatment is not None else [])
        )
        cap = (
            _el("strong", _e(heading))
            + " \u00b7 "
            + _e(tail)
            + _sim(p)
            + "<br />"
            + _el("span", _e(T.photo_time(p)), class_="muted")
            + "<br />"
            + _e(T.treated_mean_line(model, p))
        )
        cells.append(_el("div", _el("div", pair, class_="pair") + _el("figcaption", cap)))
    parts.append(_el("div", "".join(cells), class_="trio"))
    parts.append(
        _el(
            "p",
            _e("Maps: blue = less red than the baseline, white = unchanged, orange to dark red = redder."),
            class_="muted",
        )
    )

    parts.append(
        _img(images["_chart"], "Redness change per region against hours since treatment", class_="chart")
    )

    open_f = model.open_findings
    parts.append(_el("h3", f"{T.UNDECIDED_FINDINGS} ({len(open_f)})"))
    if open_f:
        shown = open_f[:SUMMARY_FINDINGS]
        items = "".join(_el("li", _e(f"{f.id}: {T.finding_line(f, model)}")) for f in shown)
        if len(open_f) > len(shown):
            items += _el("li", _e(f"and {len(open_f) - len(shown)} more: see Findings."), class_="muted")
        parts.append(_el("ul", items))
    else:
        parts.append(
            _el(
                "p",
                "None: every spot found has been confirmed or dismissed, or none was found.",
                class_="muted",
            )
        )
    return _el("section", _el("h2", "Summary") + "".join(parts), id="summary")


def _photos(model: ReportModel, images: dict, progress: Callable[[str], None]) -> str:
    out = [_el("h2", "Every photo")]
    for p in model.photos:
        progress(f"photo {p.id}")
        photo_fig = _figure(images[p.id][0], f"photo {p.id}")
        map_fig = _map_slot(p, images, p.label)
        info = _el("h3", _e(T.photo_heading(p).replace(f" \u00b7 {T.SIMULATED_TAG}", "")) + _sim(p))
        info += _el("div", _e(T.photo_time(p)), class_="muted")
        rows = T.measurement_rows(p)
        if rows:
            head = "".join(
                _el("th", _e(h), class_=None if i == 0 else "num") for i, h in enumerate(T.MEASUREMENT_HEADER)
            )
            body = "".join(
                _el(
                    "tr", "".join(_el("td", _e(v), class_=None if i == 0 else "num") for i, v in enumerate(r))
                )
                for r in rows
            )
            info += _el("table", _el("thead", _el("tr", head)) + _el("tbody", body))
        info += _el("div", _e(T.treated_mean_line(model, p)))
        if p.quality_problems:
            info += _el("div", "Photo quality: " + _e(" ".join(p.quality_problems)), class_="flag")
        for n in p.notes:
            info += _el("div", _e(n), class_="muted")
        if not p.used_in_curve and p.role == "follow_up":
            info += _el("div", "Not used in the redness curve.", class_="muted")
        out.append(_el("div", photo_fig + map_fig + _el("div", info), class_="photo"))
    return _el("section", "".join(out), id="photos")


def _findings(model: ReportModel) -> str:
    out = [_el("h2", f"Findings ({len(model.findings)})")]
    if not model.findings:
        out.append(_el("p", "No spots were found on the photos.", class_="muted"))
    else:
        out.append(_el("p", _e(T.CERTAINTY_NOTE), class_="muted"))
    for f in model.findings:
        crop = (
            _img(_jpeg_uri(f.crop), f"close-up of finding {f.id}")
            if f.crop is not None
            else _placeholder("no close-up")
        )
        info = _el("strong", _e(f.id)) + " \u00b7 " + _e(T.finding_line(f, model))
        info += _el("div", "Your decision: " + _e(T.finding_decision(f)))
        if f.note:
            info += _el("div", _e(f.note), class_="muted")
        out.append(_el("div", crop + _el("div", info), class_="finding"))
    return _el("section", "".join(out), id="findings")


def _check(model: ReportModel) -> str:
    out = [_el("h2", "Pre-treatment check, questionnaire and device")]
    c = model.check
    if c is not None:
        out.append(
            _el(
                "p",
                "Decision: "
                + _el(
                    "span", _e(c.decision), class_="decision", style=f"color:{T.DECISION_COLOURS[c.decision]}"
                )
                + (f" ({_e(T.when(c.checked_at))})" if c.checked_at else ""),
            )
        )
        if c.reasons:
            out.append(_el("ul", "".join(_el("li", _e(r)) for r in c.reasons)))
    else:
        out.append(_el("p", "No pre-treatment check was recorded.", class_="muted"))
    out.append(_el("p", "Device: " + _e(T.device_line(model))))
    if model.products:
        out.append(_el("p", "Products applied after treatment: " + _e(", ".join(model.products))))
    for title, answers in (("Questionnaire", model.questionnaire), ("Reported symptoms", model.symptoms)):
        if not answers:
            continue
        out.append(_el("h3", title))
        rows = "".join(
            _el("tr", _el("td", _e(a.question)) + _el("td", _e(a.answer), class_="flag" if a.flag else None))
            for a in answers
        )
        out.append(_el("table", _el("tbody", rows)))
    return _el("section", "".join(out), id="check")


def _normalisation(model: ReportModel) -> str:
    body = "".join(_el("p", _e(x)) for x in T.normalisation_lines(model))
    return _el("section", _el("h2", "Normalisation and uncertainty") + body, id="normalisation")


def _aftercare(model: ReportModel, images: dict) -> str:
    out = [_el("h2", "Aftercare")]
    for note in model.aftercare_notes:
        out.append(_el("p", _e(note)))
    if model.aftercare:
        out.append(_img(images["_aftercare"], "Aftercare timeline", class_="chart"))
        rows = "".join(
            _el(
                "tr",
                _el("td", _e(a.label))
                + _el("td", _e(f"{T.hours(a.start_hours)} to {T.hours(a.end_hours)}"))
                + _el("td", _e(T.when(a.ends_at) if a.ends_at else "\u2013"))
                + _el("td", _e(f"\u201c{a.source}\u201d" if a.source else ""), class_="muted"),
            )
            for a in model.aftercare
        )
        head = "".join(_el("th", h) for h in ("rule", "hours after treatment", "until", "protocol"))
        out.append(_el("table", _el("thead", _el("tr", head)) + _el("tbody", rows)))
    else:
        out.append(_el("p", "No aftercare timeline was recorded.", class_="muted"))
    return _el("section", "".join(out), id="aftercare")


def render_html(model: ReportModel, *, progress: Progress | None = None) -> str:
    """The whole report as one HTML document (a string).

    Parameters
    ----------
    model : ReportModel
        What to show.
    progress : callable, optional
        ``progress(done, total, text)`` after each step; it may raise to cancel.

    Returns
    -------
    str
        A complete, self-contained HTML5 document (also well-formed XML).
    """
    total = 2 * len(model.photos) + 3  # images and block per photo, charts, summary, the rest
    done = 0

    def step(text: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(min(done, total), total, text)

    images: dict = {}
    for p in model.photos:
        from skintrack.report.images import fit

        img = fit(p.image, *PHOTO_PX)
        dmap = fit(p.delta_map, *PHOTO_PX) if p.delta_map is not None else None
        regs = fit(p.regions_image, *PHOTO_PX) if p.regions_image is not None else None
        images[p.id] = (img, dmap, regs)
        step(f"images of {p.id}")
    chart = svg_chart(
        redness_chart,
        (7.6, 3.6),
        **model.curve.chart_kwargs(),
        treated=model.treated_regions,
        now_hours=model.now_hours,
        simulated=model.simulated,
    )
    images["_chart"] = data_uri(chart, "image/svg+xml")
    if model.aftercare:
        aft = svg_chart(
            aftercare_chart,
            (7.6, 0.5 + 0.45 * len(model.aftercare)),
            items=[(a.label, a.start_hours, a.end_hours) for a in model.aftercare],
            now_hours=model.now_hours,
            treated_at=model.treated_at,
        )
        images["_aftercare"] = data_uri(aft, "image/svg+xml")
    step("charts")

    sim = ""
    if model.simulated:
        sim = _el("div", _e(model.simulated_note), class_="simulated", role="note")
    header = _el("h1", _e(model.title)) + _el(
        "div", _e(f"{model.session_label} \u00b7 report made {T.when(model.generated_at)}"), class_="meta"
    )
    if model.notes:
        header += _el("div", _el("strong", "Notes: ") + _lines(model.notes), class_="notes")
    header += sim
    warnings = ""
    if model.warnings:
        warnings = _el("ul", "".join(_el("li", _e(w), class_="flag") for w in model.warnings))
    sections = [_el("header", header + warnings), _summary(model, images)]
    step("summary")
    sections.append(_photos(model, images, step))
    sections.append(_findings(model))
    sections.append(_check(model))
    sections.append(_normalisation(model))
    sections.append(_aftercare(model, images))
    sections.append(
        _el(
            "section",
            _el("h2", "This is not a diagnosis")
            + _el("p", _e(model.disclaimer))
            + _el("p", _e(T.PROTOCOL_CREDIT), class_="muted"),
            id="disclaimer",
            class_="disclaimer",
        )
    )
    foot = f"skintrack \u00b7 {model.session_label} \u00b7 {T.when(model.generated_at)}"
    if model.simulated:
        foot += f" \u00b7 {T.SIMULATED_TAG} DEMO DATA"
    sections.append(_el("footer", _e(foot)))
    step("sections")
    title = model.title + (f" ({T.SIMULATED_TAG})" if model.simulated else "")
    doc = (
        "<!DOCTYPE html>\n"
        '<html lang="en">'
        + _el(
            "head",
            '<meta charset="utf-8" />'
            '<meta name="viewport" content="width=device-width, initial-scale=1" />'
            + _el("title", _e(title))
            + _el("style", CSS),
        )
        + _el("body", "".join(sections))
        + "</html>\n"
    )
    return doc


def write_html(model: ReportModel, path: str | os.PathLike[str], *, progress: Progress | None = None) -> Path:
    """Render ``model`` and write it to ``path`` (atomically: a failed export leaves no file)."""
    doc = render_html(model, progress=progress)
    return atomic_write(Path(path), doc.encode("utf-8"))
