"""A real stored session for report tests: aptus_1 as baseline, phantom follow-ups, one stranger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[2] / "sample_images"
TREATED = ("forehead", "left_cheek", "right_cheek")
NOW = datetime(2026, 3, 12, 16, 0, tzinfo=UTC)
TREATED_AT = NOW - timedelta(hours=7)
#: Δa* added to the treated regions of the follow-ups, by hours after treatment.
REDNESS = {1.0: 4.0, 4.0: 1.0}


def make_session(data_dir, engine):
    """Create the session; return (tracker, session id). The caller closes the tracker."""
    from skintrack.core.analysis import analyze_photo
    from skintrack.core.intake import load_photo
    from skintrack.report.images import encode_jpeg
    from skintrack.simulate.phantom import add_redness, change_light
    from skintrack.tracking import PhotoSource, Tracker

    tracker = Tracker(data_dir, engine=engine)
    s = tracker.new_session(
        device="roller",
        needle_mm=0.25,
        treated_regions=TREATED,
        treated_at=TREATED_AT,
        now=NOW,
        notes="report test",
    )
    base_path = SAMPLES / "aptus_1.png"
    tracker.set_baseline(
        s.id,
        PhotoSource(base_path.read_bytes(), "aptus_1.png", taken_at=TREATED_AT - timedelta(minutes=10)),
        now=NOW,
    )
    base = analyze_photo(load_photo(base_path), engine, find_lesions=False)
    sources = []
    for hours, delta in REDNESS.items():
        rgb = add_redness(base.photo.rgb, base.regions, delta_a_star={r: delta for r in TREATED})
        rgb = change_light(rgb, white_balance=(1.02, 1.0, 0.98), exposure=0.97)
        sources.append(
            PhotoSource(
                encode_jpeg(rgb, quality=92),
                f"SIMULATED-{hours:g}h.jpg",
                taken_at=TREATED_AT + timedelta(hours=hours),
            )
        )
    # Another person's face: stored, but refused by the same-person check.
    sources.append(
        PhotoSource(
            (SAMPLES / "aptus_2.png").read_bytes(), "aptus_2.png", taken_at=TREATED_AT + timedelta(hours=5)
        )
    )
    tracker.add_photos(s.id, sources, now=NOW)
    tracker.save_questionnaire(
        s.id,
        {"pregnant_or_breastfeeding": False, "anticoagulants": True},
        at=TREATED_AT - timedelta(minutes=20),
    )
    return tracker, s.id
