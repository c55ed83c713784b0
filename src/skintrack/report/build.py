"""A :class:`~skintrack.report.model.ReportModel` from a stored session, in one call.

:func:`build_report` reads the session through :class:`skintrack.tracking.Tracker`, the one door
into the data (photos, comparisons, findings with the person's decisions, answers, the recovery
status), takes each photo's analysis from the tracker's views (a report needs pixels lined up,
which the database does not keep; the tracker analyses a stored photo once and keeps it) with the
redness-change map of each follow-up (:meth:`~skintrack.tracking.Tracker.comparison_map`), and
assembles the display data. Numbers shown are the stored ones, so the report says what
``skintrack session status`` says.

Simulated photos (the demo's phantom renders) are recognised by their stored name, which starts
with :data:`SIMULATED_PREFIX`; a session whose notes contain ``SIMULATED`` is reported as simulated
on every page.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime

import numpy as np

from skintrack.core.errors import SkintrackError
from skintrack.core.printable import clean_text
from skintrack.core.progress import Progress
from skintrack.core.protocol import POSTPONE_KINDS
from skintrack.core.readable import hours_text
from skintrack.core.regions import REGION_NAMES
from skintrack.report.assemble import (
    TAKEN_AT_NOTES,
    finding_crop,
    measurements,
    photo_entry,
    similarity,
)
from skintrack.report.model import (
    FINDING_REGIONS,
    AftercareItem,
    Answer,
    CheckSummary,
    Device,
    FindingEntry,
    Normalisation,
    RednessCurve,
    ReportModel,
    ReportPhoto,
    Status,
)
from skintrack.tracking import (
    SIMULATED_PREFIX,
    ComparisonRecord,
    RegionReading,
    is_simulated_name,
    is_simulated_session,
)
from skintrack.words import URGENCY_WORDS, choice_name, status_sentence

TITLE = "skintrack treatment session report"

#: Recovery status -> (report level, headline).
#: Summary level per status; the words come from skintrack.words.STATUS_WORDS.
STATUS_LEVEL = {
    "insufficient_data": "unknown",
    "resolved": "ok",
    "on_track": "ok",
    "slower_than_usual": "watch",
    "persistent": "act",
    "worsening": "act",
}
ADVICE_ORDER = {"urgent": 0, "stop": 1, "caution": 2, "info": 3}
METHOD_WORDS = {
    "chart+untreated_regions": "colour chart in both photos, refined on untreated skin",
    "chart": "colour chart in both photos (true colour)",
    "untreated_regions": "untreated reference regions: the change of light between photos is "
    "measured on untreated skin and taken out of every change",
    "none": "none: colours compared as photographed (no chart, no untreated skin)",
}
#: On photos after treatment only these kinds are listed, when new: the spots the protocol names
#: ("open wounds, acne pustules, or active herpes", plus crusts). Comedones and papules do not
#: appear within hours of a treatment, and the detector finds the smallest of them in one photo but
#: not the next, so listing them as "new" would be noise.
LATER_FINDING_KINDS = POSTPONE_KINDS

#: A finding on a later photo is the same spot as one on the baseline when, lined up, their
#: centres are closer than this many radii (or this share of the face width).
SAME_SPOT_RADII = 2.5
SAME_SPOT_FACE_FRACTION = 0.02
FIT_HOURS = 48.0
FIT_SAMPLES = 97


def _status(rs) -> Status:
    level = STATUS_LEVEL.get(rs.status, "unknown")
    headline = status_sentence(rs.status)
    if rs.urgency != "none":
        level = "act"
        headline = f"{URGENCY_WORDS.get(rs.urgency, '')} {headline}".strip()
    advice = tuple(a.text for a in sorted(rs.advice, key=lambda a: ADVICE_ORDER.get(a.level, 9)))
    conf = f"Confidence: {rs.confidence}." if rs.confidence not in ("none", "") else ""
    return Status(
        level=level,
        headline=headline,
        advice=advice,
        predicted_resolution_hours=rs.predicted_resolved_at_hours,
        detail=conf,
    )


def _curve(rs) -> RednessCurve:
    from skintrack.core.protocol import REDNESS_WINDOW_END_HOURS

    series = {}
    fits = {}
    last = max((o.hours for rr in rs.regions.values() for o in rr.observations), default=0.0)
    # Draw the fits over what the chart shows: the photos, now, and the predicted return.
    end = 1.1 * max(
        REDNESS_WINDOW_END_HOURS + 2.0,
        last,
        rs.hours_since_treatment,
        min(rs.predicted_resolved_at_hours or 0.0, FIT_HOURS),
    )
    hours = np.linspace(0.0, end, FIT_SAMPLES)
    for name, rr in rs.regions.items():
        if name not in REGION_NAMES or not rr.observations:
            continue
        series[name] = tuple((float(o.hours), float(o.delta_a_star)) for o in rr.observations)
        if rr.fit is not None and name in rs.treated_regions:
            fits[name] = tuple(
                (float(h), float(v)) for h, v in zip(hours, rr.fit.predict(hours), strict=True)
            )
    return RednessCurve(
        series=series,
        fitted_by_region=fits,
        fitted_label="fitted fade per treated region (lines)",
        threshold=rs.threshold_a_star or None,
    )


def _aftercare(rs) -> tuple[tuple[AftercareItem, ...], tuple[str, ...]]:
    from skintrack.core.protocol import SRC_AFTERCARE, SRC_SERUM
    from skintrack.core.recovery import SERUM_STEP

    items, notes = [], []
    checks = []
    serum = ""
    for t in rs.timers:
        if t.code == SERUM_STEP:
            # The step right after treatment (issue 17): ticked by the person, not a countdown.
            serum = (
                f"{t.label}: "
                + ("\u2611 applied" if t.done else "\u2610 not ticked")
                + f". Protocol: \u201c{SRC_SERUM}\u201d"
            )
        elif t.code in ("no_makeup_swimming_sun", "no_acids_retinol") and t.hours_from_treatment:
            items.append(AftercareItem(t.label, 0.0, float(t.hours_from_treatment), SRC_AFTERCARE, t.ends_at))
        elif t.code.startswith("check_photo_") and t.hours_from_treatment is not None:
            checks.append(f"{hours_text(t.hours_from_treatment)} " + ("\u2611" if t.done else "\u2610"))
        elif t.until:
            notes.append(f"{t.label}: until {t.until}" + (" (done)" if t.done else "") + ".")
    if checks:
        notes.insert(0, "Check photos after treatment: " + "   ".join(checks))
    if serum:
        notes.insert(0, serum)
    return tuple(items), tuple(notes)


def _normalisation(records: list[ComparisonRecord]) -> Normalisation | None:
    norms = [r for r in records if r.normalisation_method]
    if not norms:
        return None
    methods = [n.normalisation_method for n in norms]
    method = max(set(methods), key=methods.count)
    refs = tuple(dict.fromkeys(r for n in norms for r in n.reference_regions))
    # The uncertainty of a change (the ± beside every Δa*): the largest of each comparison's.
    u = [
        max(float(ch.uncertainty) for ch in r.regions.values() if ch.uncertainty is not None)
        for r in records
        if r.regions and all(ch.uncertainty is not None for ch in r.regions.values())
    ]
    desc = ""
    if len(u) > 1 and f"{min(u):.1f}" != f"{max(u):.1f}":
        desc = (
            f"Each comparison has its own uncertainty, from \u00b1{min(u):.1f} to "
            f"\u00b1{max(u):.1f}; the largest is shown. "
        )
    if len(set(methods)) > 1:
        desc += "Methods used: " + ", ".join(sorted(set(methods))) + "."
    return Normalisation(
        METHOD_WORDS.get(method, method),
        tuple(r for r in refs if r in REGION_NAMES),
        max(u) if u else None,
        desc.strip(),
    )


def _flagged(key: str, value) -> bool:
    """Whether an answer goes against the protocol (it is then shown in red)."""
    from skintrack.core.protocol import (
        ADVISED_AGAINST_CONDITIONS,
        HOME_NEEDLE_MAX_MM,
        WARNING_SYMPTOMS,
    )

    if key in ADVISED_AGAINST_CONDITIONS or key in WARNING_SYMPTOMS:
        return value is True
    if key == "needle_mm":
        return isinstance(value, int | float) and value > HOME_NEEDLE_MAX_MM
    if key == "roller_disinfection":
        return value in ("other", "none")
    if key in ("disinfected_hands_face_tool", "room_clean", "room_ventilated"):
        return value is False
    return False


def _questionnaire(data: Mapping | None) -> tuple[Answer, ...]:
    """The stored answers in the questionnaire's own order and words."""
    if not data:
        return ()
    wording: dict[str, str] = {}
    units: dict[str, str] = {}
    try:
        from skintrack.core import questionnaire as q

        for item in getattr(q, "QUESTIONS", ()):
            key = getattr(item, "id", None) or getattr(item, "key", None)
            text = getattr(item, "text", None)
            if key and text:
                wording[str(key)] = str(text)
                units[str(key)] = str(getattr(item, "unit", "") or "")
    except ImportError:
        pass
    keys = [k for k in wording if k in data] + [k for k in data if k not in wording]
    out = []
    for key in keys:
        value = data[key]
        if isinstance(value, bool):
            answer = "yes" if value else "no"
        elif value is None:
            answer = "not answered"
        elif isinstance(value, (list, tuple)):
            answer = ", ".join(str(v) for v in value) or "none"
        elif isinstance(value, int | float):
            answer = f"{value:g} {units.get(key, '')}".strip()
        else:
            answer = choice_name(str(value))
        question = wording.get(str(key), str(key).replace("_", " ").capitalize())
        out.append(Answer(question, answer, flag=_flagged(str(key), value)))
    return tuple(out)


def _symptoms(sym) -> tuple[Answer, ...]:
    if sym is None:
        return ()
    return tuple(
        Answer(name.replace("_", " "), "yes" if getattr(sym, name) else "no", flag=bool(getattr(sym, name)))
        for name in sym.to_dict()
    )


def _check(
    baseline_analysis, stored_findings, session, questionnaire: Mapping | None, photo_id: str
) -> CheckSummary | None:
    """The pre-treatment check of the baseline photo, decided again from what is stored."""
    try:
        from skintrack.core.verdict import decide
    except ImportError:
        return None
    dismissed = tuple(f.finding_key for f in stored_findings if f.verdict == "dismissed")
    confirmed = tuple(f.finding_key for f in stored_findings if f.verdict == "confirmed")
    answers = None
    if questionnaire:
        try:
            from skintrack.core.questionnaire import Answers

            answers = Answers.from_dict(dict(questionnaire))
        except (ImportError, SkintrackError, TypeError, ValueError):
            answers = None  # answers of an older questionnaire: the check is made without them
    face = baseline_analysis.face
    # The stored findings, not a new lesion search: they are what the person decided on.
    findings = [f.finding for f in stored_findings if f.finding is not None]
    verdict = decide(
        findings,
        baseline_analysis.quality,
        answers=answers,
        treated=tuple(session.treated_regions),
        dismissed=dismissed,
        confirmed=confirmed,
        mm_per_px=face.mm_per_px if face is not None else None,
    )
    reasons = tuple(getattr(r, "text", None) or str(r) for r in verdict.reasons)
    return CheckSummary(str(verdict.decision).upper(), reasons, photo_id=photo_id)


def _map_on_work_grid(baseline_rgb: np.ndarray, cmp) -> tuple[np.ndarray, tuple[int, int], int]:
    """The redness-change map over the part of the baseline it covers, at work-grid resolution.

    ``core.compare.render_delta_map`` colours the whole photo at full resolution; a report shows
    the face about 400 pixels wide, which is the work grid's resolution, so the baseline part
    under the map is first reduced to it (area average): for a 12 MP photo this is ~60x fewer
    pixels to colour. Returns (map, photo pixel of its top-left corner, photo pixels per map pixel).
    """
    import cv2

    from skintrack.core.compare import render_delta_map

    ox, oy = cmp.map_origin
    step = int(cmp.map_step)
    gh, gw = cmp.delta_map.shape
    part = baseline_rgb[oy : oy + gh * step, ox : ox + gw * step]
    if step > 1:
        size = (max(1, -(-part.shape[1] // step)), max(1, -(-part.shape[0] // step)))
        part = cv2.resize(part, size, interpolation=cv2.INTER_AREA)
    grid = dataclasses.replace(cmp, map_origin=(0, 0), map_step=1)
    return render_delta_map(np.ascontiguousarray(part), grid), (ox, oy), step


def _finding_entry(row, photo_id: str, analysis) -> FindingEntry | None:
    f = row.finding
    if f is None:
        return None  # a stored record of an older shape: no place to show
    if f.off_skin:
        return None  # not on the skin (hair, ear, background ...): it counts for nothing (ADR 0205)
    face = analysis.face
    fw = face.width_px if face is not None else min(analysis.photo.rgb.shape[:2])
    state = {"confirmed": "confirmed", "dismissed": "dismissed"}.get(row.verdict or "", "open")
    region = row.region if row.region in FINDING_REGIONS else None
    return FindingEntry(
        id=f"{photo_id}:{row.finding_key}",
        kind=row.kind,
        photo_id=photo_id,
        region=region,
        diameter_mm=f.diameter_mm,
        score=f.score,
        state=state,
        crop=finding_crop(analysis.photo.rgb, f.x, f.y, f.radius_px, fw),
    )


def _is_new(row, later, base_rows, baseline) -> bool:
    """Whether a later photo's finding is a spot the baseline did not have (lined up by face)."""
    if later.face is None or baseline.face is None:
        return True
    f = row.finding
    if f is None:
        return True
    m = similarity(later.face.xy, baseline.face.xy)
    bx, by = m @ np.array([f.x, f.y, 1.0])
    tol = max(SAME_SPOT_RADII * f.radius_px, SAME_SPOT_FACE_FRACTION * baseline.face.width_px)
    for b in base_rows:
        if b.kind != row.kind or b.finding is None:
            continue
        if np.hypot(b.finding.x - bx, b.finding.y - by) <= tol:
            return False
    return True


def _later_photo(tracker, session, row, pid: str, analysis, baseline, cmp_row, base_image) -> ReportPhoto:
    """A photo other than the baseline: its stored comparison's numbers and notes, and the map
    of the tracker's comparison with the baseline lined up over the baseline's picture."""
    hours = (row.taken_at - session.treated_at).total_seconds() / 3600.0
    notes: list[str] = []
    dmap = None
    dmap_origin, dmap_step = (0, 0), 1
    changes = None
    used = False
    if row.taken_at <= session.treated_at:
        role, label = "check", "Before treatment"
    else:
        role, label = "follow_up", "After treatment"
    if cmp_row is not None:
        used = cmp_row.usable
        if not cmp_row.usable:
            notes.append(f"Not used for the redness curve: {cmp_row.excluded_reason}.")
        else:
            changes = {
                name: dataclasses.replace(
                    cmp_row.record.regions.get(name) or RegionReading(),
                    delta_a_star=d.delta_a_star,
                    uncertainty=d.uncertainty,
                    real_change=d.real_change,
                )
                for name, d in cmp_row.changes.items()
            }
        notes.extend(cmp_row.record.warnings)
    elif role == "follow_up":
        notes.append("Not compared with a baseline.")
    if baseline is not None and changes is not None and analysis.face is not None:
        try:
            cmp = tracker.comparison_map(session.id, row.id)
            if cmp is not None and cmp.same_person and cmp.delta_map is not None:
                dmap, dmap_origin, dmap_step = _map_on_work_grid(baseline.photo.rgb, cmp)
        except SkintrackError as exc:
            notes.append(f"No change map: {exc}")
    entry = photo_entry(
        analysis,
        id=pid,
        label=label,
        role=role,
        hours=hours,
        simulated=is_simulated_name(row.original_name),
        delta_map=dmap,
        delta_map_origin=dmap_origin,
        delta_map_step=dmap_step,
        changes=changes,
        notes=tuple(dict.fromkeys(notes)),
        used_in_curve=used,
        taken_at=row.taken_at.astimezone(),
        taken_at_source=row.taken_at_source,
        align_to=baseline if analysis.face is not None else None,
        baseline_image=base_image,
    )
    if changes is None:
        entry = dataclasses.replace(entry, measurements=measurements(analysis))
    return entry


def _new_findings(rows, pid: str, analysis, baseline, base_rows) -> list[FindingEntry]:
    """The findings of a later photo the protocol names, when the baseline did not have them."""
    out = []
    for f in rows:
        if f.kind not in LATER_FINDING_KINDS:
            continue
        if baseline is not None and not _is_new(f, analysis, base_rows, baseline):
            continue
        e = _finding_entry(f, pid, analysis)
        if e is not None:
            out.append(
                dataclasses.replace(e, note="new since the baseline photo") if baseline is not None else e
            )
    return out


def build_report(
    tracker,
    session_id: int,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
    simulated: bool | None = None,
) -> ReportModel:
    """Everything the report of one session shows.

    Parameters
    ----------
    tracker : skintrack.tracking.Tracker
        An open tracker on the data folder (its face engine is used and left open).
    session_id : int
        The session.
    now : datetime, optional
        The moment the report describes (default: now); photos taken later are left out.
    progress : callable, optional
        ``progress(done, total, text)`` after each photo; it may raise to cancel.
    simulated : bool, optional
        Force the SIMULATED label on or off; by default it follows the session notes and the
        photo names (:data:`SIMULATED_PREFIX`).

    Returns
    -------
    ReportModel
    """
    now = now or datetime.now(UTC)
    session = tracker.session(session_id)
    rows = [p for p in tracker.photos(session_id) if p.taken_at <= now]
    if not rows:
        raise SkintrackError(f"session {session_id} has no photos yet: nothing to report")
    total = len(rows) + 1
    done = 0

    def step(text: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, text)

    rs = tracker.status(session_id, now=now)
    base_id = session.baseline_photo_id
    comparisons = tracker.session_comparisons(session_id)
    treated = tuple(session.treated_regions)
    # The tracker's analysis of each stored photo (kept while it is open; findings as stored, no
    # new lesion search) and its comparison with the map: nothing is analysed twice.
    load = tracker.stored_analysis

    baseline = None
    base_row = next((r for r in rows if r.id == base_id), None)
    if base_row is not None:
        baseline = load(base_row)
    ids = {r.id: f"P{i + 1}" for i, r in enumerate(rows)}
    photos: list[ReportPhoto] = []
    findings: list[FindingEntry] = []
    warnings: list[str] = []
    records: list[ComparisonRecord] = []
    base_findings = tracker.findings(base_id) if base_row is not None else []
    base_image = None  # the baseline's display image, made once
    for row in rows:
        pid = ids[row.id]
        sim = is_simulated_name(row.original_name)
        hours = (row.taken_at - session.treated_at).total_seconds() / 3600.0
        when = row.taken_at.astimezone()  # shown in this computer's time zone
        if baseline is not None and row.id == base_id:  # the row the baseline was loaded from
            photos.append(
                photo_entry(
                    baseline,
                    id=pid,
                    label="Baseline",
                    role="baseline",
                    hours=hours,
                    simulated=sim,
                    taken_at=when,
                    taken_at_source=row.taken_at_source,
                    outline=treated,
                )
            )
            base_image = photos[-1].image if baseline.face is not None else None
            for f in base_findings:
                e = _finding_entry(f, pid, baseline)
                if e is not None:
                    findings.append(e)
            step(f"photo {pid}")
            continue
        analysis = load(row)
        cmp_row = comparisons.get(row.id)
        if cmp_row is not None and cmp_row.usable:
            records.append(cmp_row.record)  # a refused comparison normalised nothing: left out
        photos.append(_later_photo(tracker, session, row, pid, analysis, baseline, cmp_row, base_image))
        findings += _new_findings(tracker.findings(row.id), pid, analysis, baseline, base_findings)
        step(f"photo {pid}")

    # Per photo, the kinds the protocol warns about first, then by certainty; then numbered.
    order = {pid: i for i, pid in enumerate(ids.values())}
    findings.sort(key=lambda f: (order[f.photo_id], f.kind not in POSTPONE_KINDS, -(f.score or 0.0)))
    findings = [dataclasses.replace(f, id=f"F{i + 1}") for i, f in enumerate(findings)]
    norm = _normalisation(records)
    aftercare, aftercare_notes = _aftercare(rs)
    q = tracker.questionnaire(session_id)
    check = None
    if baseline is not None and base_row is not None:  # both or neither
        check = _check(baseline, base_findings, session, q, ids[base_id])
        if check is not None:
            check = dataclasses.replace(check, checked_at=base_row.taken_at.astimezone())
    for ex in rs.extra.get("excluded_photos", ()):
        warnings.append(
            f"{ex.get('name', 'a photo')} ({ex.get('hours')} h) was left out of the "
            f"redness curve: {ex.get('reason')}."
        )
    is_sim = bool(simulated) if simulated is not None else is_simulated_session(session, rows)
    model = ReportModel(
        title=TITLE,
        session_label=f"Session {session.id}",
        notes=clean_text(session.notes or "").strip(),
        products=tuple(clean_text(p, multiline=False) for p in session.products),
        generated_at=now.astimezone(),
        status=_status(rs),
        photos=tuple(dataclasses.replace(p, simulated=p.simulated and is_sim) for p in photos),
        curve=_curve(rs),
        treated_at=session.treated_at.astimezone(),
        treated_regions=treated,
        findings=tuple(findings),
        check=check,
        device=Device(session.device, float(session.needle_mm)),
        questionnaire=_questionnaire(q),
        symptoms=_symptoms(tracker.symptoms(session_id)),
        normalisation=norm,
        aftercare=aftercare,
        aftercare_notes=aftercare_notes,
        now_hours=rs.hours_since_treatment,
        simulated=is_sim,
        warnings=tuple(warnings),
    )
    step("report data")
    return model


__all__ = ["build_report", "SIMULATED_PREFIX", "TAKEN_AT_NOTES", "is_simulated_name"]
