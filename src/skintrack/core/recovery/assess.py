"""The session status: every region's status, the most concerning treated one, the urgency, and
the advice, timers and next photo that go with it (:func:`assess_recovery`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from skintrack.core.recovery.advice import endpoint_advice, look_advice, session_advice
from skintrack.core.recovery.aftercare import aftercare_timers, next_photo
from skintrack.core.recovery.endpoint import endpoint_check
from skintrack.core.recovery.fit import region_recovery
from skintrack.core.recovery.records import (
    CONFIDENCES,
    STATUSES,
    NewFinding,
    Observation,
    RecoveryStatus,
    Symptoms,
)

#: Order of concern; the session's status is its most concerning treated region.
_SEVERITY = {s: i for i, s in enumerate(STATUSES)}


def assess_recovery(
    series: Mapping[str, Sequence[Observation]],
    *,
    treated_regions: Sequence[str],
    treated_at: datetime,
    now: datetime,
    threshold: float,
    symptoms: Symptoms | None = None,
    new_findings: Sequence[NewFinding] = (),
    needle_mm: float | None = None,
    spots_to_look_at: Sequence[NewFinding] = (),
    serum_applied: bool = False,
) -> RecoveryStatus:
    """The recovery status of a session at ``now``.

    Parameters
    ----------
    series
        Region name -> post-treatment observations (Δa* against the baseline). Regions not
        treated are reported but do not set the status (they are the untreated reference).
    treated_regions
        The regions the session treated (anatomical names).
    treated_at, now
        Treatment start and the moment of assessment, timezone-aware.
    threshold
        The real-change threshold, CIELAB a* units.
    symptoms
        What the person reported, or None when not asked yet.
    new_findings
        New pustules or wounds that are evidence (:func:`new_spots`): they make the status
        ``worsening``.
    spots_to_look_at
        New spots seen once, not confirmed: reported with advice to look, no escalation.
    needle_mm
        Needle length of the session, mm (for the medical-grade warning).
    serum_applied
        The person ticked the serum or mask step (:data:`SERUM_STEP`).

    The first photo after treatment also measures the end point (:func:`endpoint_check`): skin
    redder than slightly pink is said plainly, with "next time, lighter", in the advice.
    """
    for name, when in (("treated_at", treated_at), ("now", now)):
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware")
    if not treated_regions:
        raise ValueError("a session treats at least one region")
    hours_now = (now - treated_at).total_seconds() / 3600.0
    regions = {name: region_recovery(name, obs, threshold=threshold) for name, obs in series.items()}
    treated = [regions[r] for r in treated_regions if r in regions and regions[r].observations]
    photo_hours = sorted({o.hours for rr in regions.values() for o in rr.observations})
    new_findings = tuple(new_findings)

    if not treated:
        status, confidence = "insufficient_data", "none"
    else:
        worst = max(_SEVERITY[rr.status] for rr in treated)
        status = STATUSES[worst]
        deciding = [rr for rr in treated if rr.status == status]
        confidence = min((rr.confidence for rr in deciding), key=CONFIDENCES.index)
    if new_findings and _SEVERITY[status] < _SEVERITY["worsening"]:
        status, confidence = "worsening", "medium"

    predicted = None
    if status in ("on_track", "slower_than_usual"):
        fits = [rr.fit for rr in treated if rr.status != "resolved"]
        hours = [f.resolve_hours for f in fits if f is not None and f.resolve_hours is not None]
        if fits and len(hours) == len(fits):
            predicted = max(hours)

    urgency = {"persistent": "consult_dermatologist", "worsening": "consult_promptly"}.get(status, "none")
    if symptoms is not None:
        if symptoms.oozing or symptoms.fever:
            urgency = "seek_care_now"
        elif (symptoms.swelling or symptoms.pain_beyond_mild_burning) and urgency == "none":
            urgency = "consult_dermatologist"

    single = bool(treated) and max(len(rr.observations) for rr in treated) == 1
    nxt = next_photo(status, treated_at=treated_at, now=now, photo_hours=photo_hours, single_photo=single)
    if urgency != "none":
        nxt = None  # no more waiting and watching: the advice is to get care
    timers = aftercare_timers(
        treated_at,
        now,
        photo_hours=photo_hours,
        back_to_baseline=status == "resolved",
        serum_applied=serum_applied,
    )
    advice = session_advice(
        status,
        hours_now=hours_now,
        predicted=predicted,
        symptoms=symptoms,
        new_findings=new_findings,
        needle_mm=needle_mm,
        nxt=nxt,
        treated=treated,
        timers=timers,
    )
    spots_to_look_at = tuple(spots_to_look_at)
    if spots_to_look_at and not new_findings:
        advice = advice[:1] + (look_advice(spots_to_look_at),) + advice[1:]
    endpoint = endpoint_check(series, treated_regions=treated_regions)
    said = endpoint_advice(endpoint)
    if said is not None:
        # Right after the status: how hard the session was is the first thing to learn from it.
        advice = advice[:1] + (said,) + advice[1:]
    return RecoveryStatus(
        status=status,
        confidence=confidence,
        urgency=urgency,
        now=now,
        treated_at=treated_at,
        hours_since_treatment=hours_now,
        predicted_resolved_at_hours=predicted,
        treated_regions=tuple(treated_regions),
        regions=regions,
        advice=advice,
        timers=timers,
        next_photo=nxt,
        symptoms=symptoms,
        new_findings=new_findings,
        threshold_a_star=threshold,
        spots_to_look_at=spots_to_look_at,
        endpoint=endpoint,
    )
