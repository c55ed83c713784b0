"""The report model of a real stored session (baseline, phantom follow-ups, a stranger's photo)."""

from __future__ import annotations

import pytest

from skintrack.core.errors import SkintrackError
from skintrack.report.build import build_report
from tests.report._session import NOW, REDNESS, TREATED, make_session

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stored(tmp_path_factory, engine):
    tracker, sid = make_session(tmp_path_factory.mktemp("data"), engine)
    yield tracker, sid
    tracker.close()


@pytest.fixture(scope="module")
def built(stored):
    tracker, sid = stored
    steps = []
    model = build_report(tracker, sid, now=NOW, progress=lambda d, t, s: steps.append((d, t)))
    return model, steps


def test_photos_in_order_with_roles_maps_and_simulated_labels(built):
    model, _ = built
    assert [p.role for p in model.photos] == ["baseline", "follow_up", "follow_up", "follow_up"]
    base, one, four, stranger = model.photos
    assert base.regions_image is not None and base.delta_map is None and not base.simulated
    assert one.simulated and four.simulated and not stranger.simulated  # by stored name
    assert model.simulated
    for p in (one, four):
        assert p.delta_map is not None and p.delta_map.shape == p.image.shape
        assert p.used_in_curve
    assert [round(p.hours_since_treatment, 2) for p in (one, four)] == list(REDNESS)
    # The stranger is kept, said why, has no map and is not in the curve.
    assert not stranger.used_in_curve and stranger.delta_map is None
    assert any("does not look like" in n for n in stranger.notes)
    assert any("aptus_2.png" in w for w in model.warnings)


def test_numbers_are_the_stored_comparisons(stored, built):
    tracker, sid = stored
    model, _ = built
    from skintrack.storage import sessions as repo

    session = tracker.session(sid)
    stored_cmp = {
        c.photo_id: c for c in repo.session_comparisons(tracker.conn, sid, session.baseline_photo_id)
    }
    rows = tracker.photos(sid)
    for row, p in zip(rows, model.photos, strict=True):
        c = stored_cmp.get(row.id)
        if c is None or not c.usable:
            assert all(m.delta_a_star is None for m in p.measurements)
            continue
        for m in p.measurements:
            assert m.delta_a_star == pytest.approx(c.changes[m.region].delta_a_star)
            assert m.uncertainty == pytest.approx(c.changes[m.region].uncertainty)
    # The phantom added 4 then 1 a* units to the treated regions: the report shows that rise.
    one = model.photos[1]
    for r in TREATED:
        assert one.measurement(r).delta_a_star == pytest.approx(REDNESS[1.0], abs=0.6)
    assert model.peak.id == one.id and model.latest.id == model.photos[2].id


def test_curve_status_aftercare_and_answers(built):
    model, steps = built
    assert set(model.curve.fitted_by_region) == set(TREATED)
    assert [h for h, _ in model.curve.series["left_cheek"]] == list(REDNESS)
    assert model.status.level == "ok" and model.status.predicted_resolution_hours is not None
    assert [a.end_hours for a in model.aftercare] == [24.0, 48.0]
    assert any("Check photos" in n for n in model.aftercare_notes)
    # Normalisation from the usable comparisons only (the refused one normalised nothing).
    assert model.normalisation.reference_regions == ("nose", "chin", "perioral")
    assert model.normalisation.uncertainty < 2.0
    flagged = [a.question for a in model.questionnaire if a.flag]
    assert len(flagged) == 1 and "anticoagulant" in flagged[0].lower()
    assert model.device.kind == "roller" and model.device.needle_length_mm == 0.25
    assert model.notes == "report test"
    assert [d for d, _ in steps] == sorted(d for d, _ in steps) and steps[-1][0] == steps[-1][1]


def test_as_of_leaves_out_later_photos(stored):
    tracker, sid = stored
    from datetime import timedelta

    from tests.report._session import TREATED_AT

    model = build_report(tracker, sid, now=TREATED_AT + timedelta(hours=2))
    assert len(model.photos) == 2 and model.latest.hours_since_treatment == pytest.approx(1.0)
    with pytest.raises(SkintrackError, match="no photos"):
        build_report(tracker, sid, now=TREATED_AT - timedelta(hours=1))


def test_finding_entries_are_the_stored_findings(stored, built):
    """The report reads the Finding objects storage gives back (no record indexing): each entry of
    the baseline is a stored finding on the skin, with its score and size."""
    tracker, sid = stored
    model, _ = built
    base_id = tracker.session(sid).baseline_photo_id
    kept = {r.finding_key: r.finding for r in tracker.findings(base_id)}
    entries = [e for e in model.findings if e.photo_id == "P1"]
    assert entries

    def key(kind, score, diameter_mm):
        return kind, score, -1.0 if diameter_mm is None else diameter_mm

    assert sorted(key(e.kind, e.score, e.diameter_mm) for e in entries) == sorted(
        key(f.kind, f.score, f.diameter_mm) for f in kept.values() if not f.off_skin
    )


def test_pre_treatment_check_is_decided_from_what_is_stored(built):
    pytest.importorskip("skintrack.core.verdict")
    model, _ = built
    c = model.check
    assert c is not None and c.photo_id == "P1"
    # The stored questionnaire says anticoagulants: the protocol advises against treatment.
    assert c.decision == "POSTPONE"
    assert any("anticoagulant" in r.lower() for r in c.reasons)


def test_maps_lie_over_the_baseline_and_colour_the_treated_skin(built):
    import numpy as np

    model, _ = built
    base, one = model.photos[0], model.photos[1]
    # Outside the measured skin the map shows the baseline photo itself, pixel for pixel.
    assert np.array_equal(one.delta_map[:8, :8], base.image[:8, :8])
    # On the treated cheeks (+4 a*) the map is warmer than the photo under it.
    h, w = one.delta_map.shape[:2]
    cheek = (slice(int(0.55 * h), int(0.65 * h)), slice(int(0.70 * w), int(0.80 * w)))
    d = one.delta_map[cheek].astype(float).mean(axis=(0, 1)) - base.image[cheek].astype(float).mean(
        axis=(0, 1)
    )
    assert d[0] - d[2] > 10  # more red than blue added


def test_serum_step_and_end_point_are_in_the_report(stored, built, tmp_path, engine):
    """Issue 17: the serum or mask step beside the 24 h and 48 h rules, ticked or not; the end
    point of the first photo in the status advice ("next time, lighter" when too red)."""
    from datetime import timedelta

    from skintrack.core.analysis import analyze_photo
    from skintrack.core.intake import load_photo
    from skintrack.core.protocol import SRC_SERUM
    from skintrack.core.recovery import SERUM_STEP
    from skintrack.report.images import encode_jpeg
    from skintrack.simulate.phantom import add_redness
    from skintrack.tracking import PhotoSource, Tracker
    from tests.report._session import SAMPLES, TREATED_AT

    model, _ = built
    assert model.aftercare_notes[0].startswith("Repairing serum or medical-grade mask")
    assert "\u2610 not ticked" in model.aftercare_notes[0] and SRC_SERUM in model.aftercare_notes[0]
    # The first photo (1 h, +4 a*) stayed within slightly pink.
    assert any("no redder than slightly pink" in a for a in model.status.advice)
    tracker, sid = stored
    tracker.set_aftercare_step(sid, SERUM_STEP, True, at=TREATED_AT + timedelta(minutes=5))
    try:
        again = build_report(tracker, sid, now=NOW)
        assert "\u2611 applied" in again.aftercare_notes[0]
    finally:
        tracker.set_aftercare_step(sid, SERUM_STEP, False)

    # A session pressed too hard: +7.5 a* on the first photo, 20 minutes after treatment.
    with Tracker(tmp_path / "data", engine=engine) as t:
        s = t.new_session(
            device="roller", needle_mm=0.25, treated_regions=TREATED, treated_at=TREATED_AT, now=NOW
        )
        base_path = SAMPLES / "aptus_1.png"
        t.set_baseline(
            s.id,
            PhotoSource(base_path.read_bytes(), "aptus_1.png", taken_at=TREATED_AT - timedelta(minutes=10)),
            now=NOW,
        )
        base = analyze_photo(load_photo(base_path), engine, find_lesions=False)
        red = add_redness(base.photo.rgb, base.regions, delta_a_star=dict.fromkeys(TREATED, 7.5))
        t.add_photos(
            s.id,
            [
                PhotoSource(
                    encode_jpeg(red, quality=92),
                    "SIMULATED-0.3h.jpg",
                    taken_at=TREATED_AT + timedelta(minutes=20),
                )
            ],
            now=NOW,
        )
        hard = build_report(t, s.id, now=NOW)
    [said] = [a for a in hard.status.advice if "redder than slightly pink" in a]
    assert "Next time, lighter" in said and "too much pressure or too many passes" in said
