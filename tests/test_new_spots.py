"""A new spot after treatment is evidence only when new, on treated skin and seen again (issue 13).

The rules are pure functions in ``core/recovery.py`` (:func:`new_spots`); the session service
places each photo's findings on the baseline through the face mesh (``core/warp.map_points``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from skintrack.core.recovery import (
    SAME_PLACE_MM,
    NewFinding,
    Spot,
    assess_recovery,
    new_spots,
)
from skintrack.storage import sessions as repo
from skintrack.tracking import PhotoSource

pytestmark = pytest.mark.slow

T0 = datetime(2026, 6, 24, 18, 0, tzinfo=UTC)
MM_PER_PX = 0.2
TREATED = ("left_cheek", "right_cheek")


def spot(kind="pustule", region="left_cheek", x=500.0, y=600.0, hours=1.0, photo=2, **kw):
    return Spot(kind, region, x, y, 4.0, f"{kind}-{photo}-{x}", hours, photo, x, y, **kw)


def test_a_spot_at_a_baseline_spot_is_not_new_whatever_its_kind():
    base = [spot("papule", hours=None, photo=1)]
    tol_px = SAME_PLACE_MM / MM_PER_PX
    near = [spot(x=500 + tol_px, photo=p, hours=h) for p, h in ((2, 1.0), (3, 2.0))]
    assert new_spots(base, near, treated=TREATED, mm_per_px=MM_PER_PX) == ((), ())
    far = [spot(x=500 + 8 + tol_px + 1, photo=p, hours=h) for p, h in ((2, 1.0), (3, 2.0))]
    evidence, look = new_spots(base, far, treated=TREATED, mm_per_px=MM_PER_PX)
    assert len(evidence) == 1 and look == ()


def test_seen_once_is_to_look_at_twice_or_confirmed_is_evidence():
    once = [spot()]
    evidence, look = new_spots([], once, treated=TREATED, mm_per_px=MM_PER_PX)
    assert evidence == () and [(f.kind, f.region, f.seen_on) for f in look] == [("pustule", "left_cheek", 1)]
    assert look[0].photo_id == 2 and look[0].x == 500.0  # where to cut its crop
    twice = [spot(photo=2, hours=1.0), spot(x=503, photo=3, hours=2.0)]
    evidence, look = new_spots([], twice, treated=TREATED, mm_per_px=MM_PER_PX)
    assert look == () and [(f.seen_on, f.hours, f.photo_id) for f in evidence] == [(2, 2.0, 3)]
    confirmed = [spot(confirmed=True)]
    evidence, _ = new_spots([], confirmed, treated=TREATED, mm_per_px=MM_PER_PX)
    assert evidence[0].confirmed and evidence[0].seen_on == 1
    # Two spots at two places, each seen once, are two spots to look at, not one alarm.
    apart = [spot(x=300, photo=2), spot(x=700, photo=3, hours=2.0)]
    evidence, look = new_spots([], apart, treated=TREATED, mm_per_px=MM_PER_PX)
    assert evidence == () and len(look) == 2


@pytest.mark.parametrize(
    "region, kind",
    [("forehead", "pustule"), (None, "pustule"), ("left_cheek", "papule"), ("lips", "open_wound")],
)
def test_only_pustules_and_wounds_on_a_treated_region_count(region, kind):
    spots = [spot(kind, region, photo=2), spot(kind, region, photo=3, hours=2.0)]
    assert new_spots([], spots, treated=TREATED, mm_per_px=MM_PER_PX) == ((), ())


def test_spots_to_look_at_do_not_escalate_the_status():
    look = (NewFinding("pustule", "left_cheek", 1.0, "f", photo_id=2, x=1.0, y=2.0),)
    st = assess_recovery(
        {},
        treated_regions=TREATED,
        treated_at=T0,
        now=T0 + timedelta(hours=1),
        threshold=2.0,
        spots_to_look_at=look,
    )
    assert st.status == "insufficient_data" and st.urgency == "none"
    assert st.spots_to_look_at == look
    advice = next(a for a in st.advice if a.code == "spot_to_look_at")
    assert advice.level == "caution" and "one photo only" in advice.text
    rec = st.to_record()
    assert rec["spots_to_look_at"][0]["photo_id"] == 2 and rec["new_findings"] == []
    st = assess_recovery(
        {},
        treated_regions=TREATED,
        treated_at=T0,
        now=T0 + timedelta(hours=1),
        threshold=2.0,
        new_findings=look,
    )
    assert st.status == "worsening" and st.urgency == "consult_promptly"


def _set_findings(tracker, photo_id, findings):
    """Store these findings for a photo (records without a score or size get 0.5 and none: the
    placing of spots reads neither)."""
    from skintrack.core.lesions import Finding

    ok, record = repo.get_analysis(tracker.conn, photo_id)
    repo.save_analysis(
        tracker.conn,
        photo_id,
        quality_ok=ok,
        record=record,
        findings=[Finding.from_record({"score": 0.5, "diameter_mm": None, **f}) for f in findings],
    )


def test_the_session_places_spots_through_the_face_mesh(tracker, load_sample, capsys):
    """Follow-ups framed 40 px right and 30 px down: a pustule where the baseline had a papule is
    not new, though its photo coordinates moved by 50 px; a pustule at a new place on two photos
    makes the status worsening."""
    from skintrack.report.images import encode_jpeg
    from skintrack.simulate import phantom

    rgb = load_sample("aptus_1.png").rgb
    moved = phantom.change_pose(rgb, shift=(40, 30))
    s = tracker.new_session(device="roller", needle_mm=0.25, treated_regions=TREATED, treated_at=T0, now=T0)
    base = tracker.set_baseline(
        s.id, PhotoSource(encode_jpeg(rgb, quality=95), "before.jpg", T0 - timedelta(minutes=5)), now=T0
    )
    later = tracker.add_photos(
        s.id,
        [
            PhotoSource(encode_jpeg(moved, quality=q), f"later{q}.jpg", T0 + timedelta(hours=h))
            for q, h in ((92, 1), (90, 2))
        ],
        now=T0 + timedelta(hours=2),
    )
    cheek = tracker.baseline_analysis(base.photo).regions["left_cheek"].polygon.mean(0)
    x, y = float(cheek[0]), float(cheek[1])
    _set_findings(
        tracker,
        base.photo.id,
        [{"id": "b1", "kind": "papule", "region": "left_cheek", "x": x, "y": y, "radius_px": 4}],
    )
    for r in later:  # the same skin, 50 px away in photo pixels
        _set_findings(
            tracker,
            r.photo.id,
            [
                {
                    "id": "s1",
                    "kind": "pustule",
                    "region": "left_cheek",
                    "x": x + 40,
                    "y": y + 30,
                    "radius_px": 4,
                }
            ],
        )
    now = T0 + timedelta(hours=2, minutes=5)
    st = tracker.status(s.id, now=now)
    assert st.new_findings == () and st.spots_to_look_at == ()
    # A pustule 15 mm away from any baseline spot, on both photos: evidence.
    mm = tracker.baseline_analysis(base.photo).face.mm_per_px
    for r in later:
        _set_findings(
            tracker,
            r.photo.id,
            [
                {
                    "id": "s2",
                    "kind": "pustule",
                    "region": "left_cheek",
                    "x": x + 40,
                    "y": y + 30 + 15 / mm,
                    "radius_px": 4,
                }
            ],
        )
    st = tracker.status(s.id, now=now)
    assert st.status == "worsening" and [f.seen_on for f in st.new_findings] == [2]
    # On one of the two photos only: a spot to look at, with a zoom cut from that photo.
    tracker.set_finding_verdict(later[1].photo.id, "s2", "dismissed")
    st = tracker.status(s.id, now=now)
    assert st.status != "worsening"
    (look,) = st.spots_to_look_at
    assert look.photo_id == later[0].photo.id and look.crop.shape[2] == 3
    assert look.crop.shape[0] >= 40
    # The command line lists it, by photo and place.
    from skintrack.cli import main

    capsys.readouterr()
    assert (
        main(
            [
                "session",
                "--data-dir",
                str(tracker.paths.root),
                "status",
                str(s.id),
                "--as-of",
                now.isoformat(),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "new spots to look at" in out and "pustule on the left cheek, later92.jpg" in out
    tracker.set_finding_verdict(later[1].photo.id, "s2", None)
    # Off the skin (marked by the skin map) it does not count at all.
    for r in later:
        tracker.conn.execute(
            "UPDATE findings SET record = json_set(record, '$.off_skin', 'hair') WHERE photo_id = ?",
            (r.photo.id,),
        )
    tracker.conn.commit()
    st = tracker.status(s.id, now=now)
    assert st.new_findings == () and st.spots_to_look_at == ()


def test_demo_with_obama_is_a_normal_fade_not_worsening(tmp_path, capsys):
    """``skintrack demo --photo obama.jpg`` reported WORSENING for a normal fade because of one
    "new pustule" on an ear."""
    from skintrack.cli import main

    assert main(["demo", "--photo", "obama.jpg", "-o", str(tmp_path), "-q"]) == 0
    out = capsys.readouterr().out
    assert "status resolved" in out and "worsening" not in out.lower()
