"""A report model assembled from real analyses of the sample photos (no phantom, no session).

The baseline is aptus_1; the "follow-ups" are other real frontal faces, compared region by region
with the baseline's a* (so the numbers are real colour differences between real photos, though not
of one person), with change maps painted over each region's own mask. Findings are the lesion
detector's real findings on the baseline. This exercises every part of the renderers without
depending on the session store.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

FOLLOW_UPS = [
    "aptus_2.png",
    "aptus_5.png",
    "aptus_6.png",
    "aptus_8.png",
    "obama.jpg",
    "0-f15-hao-ph.jpg",
    "aptus_1.png",
]
HOURS = [0.0, 1.0, 2.0, 4.0, 6.0, 8.0, 24.0]


class Change:
    def __init__(self, d, u):
        self.delta_a_star = d
        self.uncertainty = u
        self.real_change = abs(d) > u
        self.grade = "none" if abs(d) <= u else ("mild" if abs(d) < 4 else "marked")


def region_map(analysis, changes) -> np.ndarray:
    """The photo with each region tinted by its Δa* (blue less red, red redder)."""
    from skintrack.core.warp import overlay_delta

    regions = analysis.regions
    delta = np.full(analysis.photo.rgb.shape[:2], np.nan, np.float32)
    for name, ch in changes.items():
        delta[regions.full_mask(name, usable=True)] = ch.delta_a_star
    return overlay_delta(analysis.photo.rgb, delta, max_delta=10.0)


def sample_model(
    engine, load_sample, *, n_follow_ups: int = 7, simulated: bool = False, with_findings: bool = True
):
    from skintrack.core.analysis import analyze_photo
    from skintrack.report.assemble import (
        aftercare_items,
        curve_from_photos,
        finding_entries,
        photo_entry,
    )
    from skintrack.report.model import (
        Answer,
        CheckSummary,
        Device,
        Normalisation,
        ReportModel,
        Status,
    )

    treated_at = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
    treated = ("forehead", "left_cheek", "right_cheek")
    base = analyze_photo(load_sample("aptus_1.png"), engine, find_lesions=with_findings)
    photos = [
        photo_entry(
            base,
            id="P1",
            label="Baseline",
            role="baseline",
            hours=-0.5,
            taken_at=treated_at - timedelta(minutes=30),
            taken_at_source="exif",
            outline=treated,
        )
    ]
    u = 1.2
    for i, name in enumerate(FOLLOW_UPS[:n_follow_ups]):
        a = analyze_photo(load_sample(name), engine, find_lesions=False)
        changes = {}
        for r in base.regions.regions:
            b, lat = base.regions[r].lab_median, a.regions[r].lab_median
            if b and lat:
                changes[r] = Change(float(lat[1] - b[1]), u)
        photos.append(
            photo_entry(
                a,
                id=f"P{i + 2}",
                label="Follow-up",
                role="follow_up",
                hours=HOURS[i % len(HOURS)],
                simulated=simulated,
                delta_map=region_map(a, changes),
                changes=changes,
                taken_at=treated_at + timedelta(hours=HOURS[i % len(HOURS)]),
                taken_at_source="exif",
                notes=(f"a different person ({name}): a renderer test, not a recovery",),
            )
        )
    findings = finding_entries(base, "P1", states={}) if with_findings else ()
    if with_findings and len(findings) < 3:
        # The renderers must show findings whatever the detector finds today: add three at the
        # centres of the cheeks and the forehead of the real baseline, marked as placed here.
        from skintrack.report.assemble import finding_crop
        from skintrack.report.model import FindingEntry

        extra = []
        for i, region in enumerate(("left_cheek", "right_cheek", "forehead")):
            x, y = base.regions[region].polygon.mean(axis=0)
            extra.append(
                FindingEntry(
                    id=f"T{i + 1}",
                    kind="pustule" if i < 2 else "papule",
                    photo_id="P1",
                    region=region,
                    diameter_mm=2.0 + i,
                    score=0.9 - 0.1 * i,
                    crop=finding_crop(base.photo.rgb, float(x), float(y), 6.0, base.face.width_px),
                    note="placed by the test at the region centre",
                )
            )
        findings = tuple(findings) + tuple(extra)
    if len(findings) >= 2:
        from dataclasses import replace

        findings = (
            replace(findings[0], state="confirmed"),
            replace(findings[1], state="dismissed"),
            *findings[2:],
        )
    hs = np.linspace(0, 24, 49)
    fitted = [(float(h), float(5.0 * np.exp(-h / 2.5))) for h in hs]
    return ReportModel(
        title="skintrack treatment session report",
        session_label="Session 1 (test)",
        generated_at=treated_at + timedelta(hours=25),
        status=Status(
            "watch",
            "Redness is higher than expected 24 h after treatment.",
            advice=("Keep to the aftercare rules.", "Take another photo tomorrow morning."),
            predicted_resolution_hours=7.5,
        ),
        photos=tuple(photos),
        curve=curve_from_photos(photos, fitted=fitted, threshold=u),
        treated_at=treated_at,
        treated_regions=treated,
        findings=findings,
        check=CheckSummary(
            "REVIEW",
            ("Spots that may be pustules on the left cheek: look at them.",),
            photo_id="P1",
            checked_at=treated_at - timedelta(minutes=30),
        ),
        device=Device("roller", 0.25),
        questionnaire=(
            Answer("Are you pregnant or breastfeeding?", "no"),
            Answer("Is your skin prone to keloids?", "no"),
            Answer("Do you take anticoagulant medication?", "yes", flag=True),
        ),
        normalisation=Normalisation(
            "untreated reference regions",
            ("nose", "chin"),
            u,
            "Colour changes of the untreated regions are taken as changes of light and removed.",
        ),
        aftercare=aftercare_items(treated_at),
        now_hours=25.0,
        simulated=simulated,
    )
