"""Words and numbers as both reports print them, so the HTML and the PDF say exactly the same."""

from __future__ import annotations

from datetime import datetime

from skintrack.core.compare import REAL_CHANGE_A_STAR
from skintrack.core.protocol import (
    HOME_NEEDLE_MAX_MM,
    HOME_NEEDLE_MIN_MM,
    PROTOCOL_TITLE,
)
from skintrack.core.readable import hours_text, signed_number
from skintrack.report.model import FindingEntry, ReportModel, ReportPhoto
from skintrack.words import device_name, kind_name, region_name

#: Colours of status levels and check decisions (text on white).
LEVEL_COLOURS = {"ok": "#1B7F3B", "watch": "#B26B00", "act": "#B00020", "unknown": "#555555"}
DECISION_COLOURS = {"GO": "#1B7F3B", "REVIEW": "#B26B00", "POSTPONE": "#B00020"}
LEVEL_WORDS = {"ok": "On track", "watch": "Keep an eye on it", "act": "Act now", "unknown": "Not known yet"}
STATE_WORDS = {"open": "not yet decided", "confirmed": "confirmed by you", "dismissed": "dismissed by you"}
SIMULATED_TAG = "SIMULATED"
#: What a finding's "certainty" means (the acne score is calibrated; see models/LESIONS.md).
CERTAINTY_NOTE = (
    "Certainty of an acne spot: how often spots of its kind scored like it were "
    "marked by dermatologists on photos the detector had not seen. For wounds, "
    "crusts and cold sores it is how strongly the spot matches the rule, not a "
    "measured rate."
)
PROTOCOL_CREDIT = f"Protocol: \u201c{PROTOCOL_TITLE}\u201d."

REGIONS_CAPTION = "measured regions (treated: thick)"
MEASUREMENT_HEADER = ("region", "a*", "\u0394a*", "\u00b1", "real change", "grade")
#: Findings the person has neither confirmed nor dismissed ("open findings" read like open
#: wounds).
UNDECIDED_FINDINGS = "Undecided findings"
#: A change within the real-change threshold, as the tables' "real change" column says it.
BELOW_THRESHOLD = "no"


def region_label(name: str | None) -> str:
    if not name:
        return "\u2013"
    return region_name(name)


def hours(h: float | None) -> str:
    """``+2 h``, ``+1.5 h``, ``-0.5 h``, ``+26 h``; an en dash when unknown."""
    return hours_text(h, signed=True)


def when(t: datetime | None) -> str:
    """A time as a person reads it, in the time zone it was recorded in."""
    if t is None:
        return "time unknown"
    return f"{t:%d %b %Y %H:%M}"


def signed(v: float | None, nd: int = 1) -> str:
    """``+1.2``, ``\u22120.4``; a value that rounds to zero prints without a sign."""
    return signed_number(v, nd)


def plain(v: float | None, nd: int = 1) -> str:
    if v is None:
        return "\u2013"
    return f"{v:.{nd}f}".replace("-", "\u2212")


def photo_heading(p: ReportPhoto) -> str:
    """``P3 · Follow-up · +2 h``, plus SIMULATED for phantom renders."""
    parts = [p.id, p.label]
    if p.hours_since_treatment is not None:
        parts.append(hours(p.hours_since_treatment))
    if p.simulated:
        parts.append(SIMULATED_TAG)
    return " \u00b7 ".join(parts)


def photo_time(p: ReportPhoto) -> str:
    text = when(p.taken_at)
    if p.taken_at_note:
        text += f" ({p.taken_at_note})"
    return text


def measurement_rows(p: ReportPhoto) -> list[tuple[str, ...]]:
    """Rows of the measurement table of one photo (see :data:`MEASUREMENT_HEADER`)."""
    rows: list[tuple[str, ...]] = []
    for m in p.measurements:
        if m.real_change is None:
            change = "\u2013"
        else:
            change = "yes" if m.real_change else BELOW_THRESHOLD
        rows.append(
            (
                region_label(m.region),
                plain(m.a_star),
                signed(m.delta_a_star),
                plain(m.uncertainty),
                change,
                m.grade or "\u2013",
            )
        )
    return rows


def treated_mean_line(model: ReportModel, p: ReportPhoto) -> str:
    """``treated regions Δa* +4.2`` for a photo, or a word on why there is none."""
    if p.role == "baseline":
        if p.regions_image is not None:
            return "reference photo; outlines: the measured regions (treated ones thicker)"
        return "reference: changes are measured against this photo"
    v = p.mean_delta(model.treated_regions)
    if v is None:
        return "not compared" + (f": {p.notes[0]}" if p.notes else "")
    which = "treated regions" if model.treated_regions else "all regions"
    names = set(model.treated_regions)
    us = [
        m.uncertainty
        for m in p.measurements
        if m.uncertainty is not None and m.delta_a_star is not None and (not names or m.region in names)
    ]
    tail = f" \u00b1 {max(us):.1f}" if us else ""
    return f"{which} \u0394a* {signed(v)}{tail}"


def device_line(model: ReportModel) -> str:
    d = model.device
    if d is None:
        return "device not recorded"
    text = device_name(d.kind)
    if d.needle_length_mm is not None:
        text += f", needles {d.needle_length_mm:g} mm"
        if d.within_home_range is False:
            if d.needle_length_mm > HOME_NEEDLE_MAX_MM:
                text += f" (over {HOME_NEEDLE_MAX_MM:g} mm: medical grade, not for home use)"
            else:
                text += f" (under the {HOME_NEEDLE_MIN_MM:g}\u2013{HOME_NEEDLE_MAX_MM:g} mm home range)"
    return text


def treatment_line(model: ReportModel) -> str:
    parts = [f"treated {when(model.treated_at)}" if model.treated_at else "treatment time not recorded"]
    parts.append(device_line(model))
    if model.treated_regions:
        parts.append("regions: " + ", ".join(region_label(r) for r in model.treated_regions))
    if model.products:
        parts.append("products: " + ", ".join(model.products))
    return " \u00b7 ".join(parts)


def status_lines(model: ReportModel) -> tuple[str, list[str]]:
    """(headline, detail lines) of the status box."""
    s = model.status
    lines = list(s.advice)
    if s.predicted_resolution_hours is not None:
        lines.append(
            "Redness predicted to settle by about "
            f"{hours_text(s.predicted_resolution_hours)} after treatment."
        )
    if s.detail:
        lines.append(s.detail)
    return f"{LEVEL_WORDS[s.level]}: {s.headline}", lines


def check_line(model: ReportModel) -> str:
    c = model.check
    if c is None:
        return "Pre-treatment check: not done"
    text = f"Pre-treatment check: {c.decision}"
    if c.reasons:
        text += f" ({c.reasons[0]}" + (f"; +{len(c.reasons) - 1} more" if len(c.reasons) > 1 else "") + ")"
    return text


def finding_line(f: FindingEntry, model: ReportModel) -> str:
    where = (
        "lips"
        if f.region == "lips"
        else (region_label(f.region) if f.region else "outside the measured regions")
    )
    bits = [kind_name(f.kind), where]
    if f.diameter_mm is not None:
        bits.append(f"about {f.diameter_mm:.1f} mm")
    if f.score is not None:
        bits.append(f"certainty {f.score:.0%}")
    p = model.photo(f.photo_id)
    bits.append(f"on {p.id} ({p.label})")
    return " \u00b7 ".join(bits)


def finding_decision(f: FindingEntry) -> str:
    """The person's decision as three tick boxes: ☐ open ☑ confirmed ☐ dismissed."""
    boxes = []
    for state, word in (("confirmed", "confirmed"), ("dismissed", "dismissed"), ("open", "undecided")):
        boxes.append(("\u2611 " if f.state == state else "\u2610 ") + word)
    return "   ".join(boxes)


def normalisation_lines(model: ReportModel) -> list[str]:
    n = model.normalisation
    if n is None:
        return [
            "No normalisation was recorded: changes are raw colour differences between photos "
            "and may include changes of light."
        ]
    lines = [f"Method: {n.method}."]
    if n.reference_regions:
        lines.append(
            "Reference (untreated) regions: " + ", ".join(region_label(r) for r in n.reference_regions) + "."
        )
    if n.uncertainty is not None:
        lines.append(
            f"Uncertainty of a change: \u00b1{n.uncertainty:.1f} CIELAB a* units (95 %), "
            "the \u00b1 printed with every \u0394a*: what differences of light, camera "
            "and pose can make."
        )
        lines.append(
            f"Real-change threshold: \u00b1{REAL_CHANGE_A_STAR:.1f} a* (or the "
            "uncertainty, when larger). Only a change beyond it counts as real; the "
            "chart shades it."
        )
    if n.description:
        lines.append(n.description)
    return lines
