"""The session service end to end: real sample faces, the redness phantom, the real face model.

Recovery series are rendered from sample photos with a known Δa*(t) in the treated regions, then
"re-photographed" with repeat-photo noise (light, pose, JPEG); each rendered photo is imported and
analysed once, and the statuses of all series are computed once per module.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from skintrack.core.errors import PhotoError, SkintrackError
from skintrack.core.lesions import Finding
from skintrack.core.recovery import Symptoms
from skintrack.storage import db, photostore
from skintrack.storage import sessions as repo
from skintrack.tracking import PhotoSource, Tracker, TrackingError

from .conftest import SAMPLES

T0 = datetime(2026, 6, 24, 18, 0, tzinfo=UTC)  # treatment start of every simulated session
HOURS = (0.0, 1.0, 2.0, 4.0, 6.0)
TREATED = ("left_cheek", "right_cheek")
FACES = ("aptus_1.png", "obama.jpg")
SEEDS = (0,)  # each face is its own seed of noise; the model test runs 200 seeds
CHILD = Path(__file__).with_name("tracking_child.py")

#: Δa*(t) in the treated regions (a* units, hours after treatment).
SCENARIOS = {
    "normal": lambda t: 5.0 * np.exp(-t / 2.0),  # time constant 2 h: gone well before 6 h
    "slow": lambda t: 7.0 * np.exp(-t / 15.0),  # fading, far too slowly
    "persistent": lambda t: 5.0 + 0.0 * t,
    # Rising after the first hour, to 8 a* at 6 h. (Much redder and compare's identity check
    # starts to call the face another person's: see the excluded-photo advice in tracking.)
    "worsening": lambda t: 3.0 + 1.0 * max(t - 1.0, 0.0),
}
EXPECTED = {  # status after the photo at this hour, for every face and seed
    "normal": {4.0: {"on_track", "resolved"}, 6.0: {"resolved"}},
    "slow": {4.0: {"slower_than_usual"}, 6.0: {"persistent"}},
    "persistent": {2.0: {"slower_than_usual"}, 4.0: {"slower_than_usual"}, 6.0: {"persistent"}},
    "worsening": {4.0: {"worsening"}, 6.0: {"worsening"}},
}


def encode_jpeg(rgb: np.ndarray, quality: int = 92) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(rgb[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


def rephotograph(rgb: np.ndarray, rng: np.random.Generator) -> bytes:
    """Repeat-photo noise: another lamp, exposure and framing, a phone's JPEG."""
    from skintrack.simulate.phantom import change_light, change_pose

    out = change_light(
        rgb,
        white_balance=(1 + rng.normal(0, 0.02), 1.0, 1 + rng.normal(0, 0.02)),
        exposure=1 + rng.normal(0, 0.04),
        side_shading=rng.uniform(-0.04, 0.04),
    )
    out = change_pose(
        out,
        angle_deg=rng.normal(0, 1.5),
        scale=1 + rng.normal(0, 0.015),
        shift=(rng.normal(0, 4), rng.normal(0, 4)),
    )
    return encode_jpeg(out, quality=int(rng.integers(85, 96)))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("tracking")


@pytest.fixture(scope="module")
def series_statuses(engine, load_sample, data_dir):
    """(scenario, face, seed) -> {hour: status after that photo}, plus the tracker's records."""
    from skintrack.core.regions import compute_regions
    from skintrack.simulate.phantom import add_redness

    results = {}
    with Tracker(data_dir / "series", engine=engine) as tracker:
        for face_name in FACES:
            photo = load_sample(face_name)
            regions = compute_regions(photo.rgb, engine.detect(photo.rgb).face)
            for scenario, curve in SCENARIOS.items():
                for seed in SEEDS:
                    rng = np.random.default_rng(
                        [seed, FACES.index(face_name), list(SCENARIOS).index(scenario)]
                    )
                    s = tracker.new_session(
                        device="roller",
                        needle_mm=0.25,
                        treated_regions=TREATED,
                        treated_at=T0,
                        now=T0 - timedelta(minutes=15),
                    )
                    tracker.set_baseline(
                        s.id,
                        PhotoSource(rephotograph(photo.rgb, rng), "baseline.jpg", T0 - timedelta(minutes=10)),
                        now=T0,
                    )
                    statuses = {}
                    for h in HOURS:
                        red = add_redness(
                            photo.rgb, regions, delta_a_star={r: float(curve(h)) for r in TREATED}
                        )
                        when = T0 + timedelta(hours=h, minutes=2)
                        [res] = tracker.add_photos(
                            s.id, [PhotoSource(rephotograph(red, rng), f"{h:g}h.jpg", when)], now=when
                        )
                        assert res.comparison.usable, res.comparison.excluded_reason
                        statuses[h] = tracker.status(s.id, now=when).status
                    results[(scenario, face_name, seed)] = statuses
    return results


@pytest.mark.slow
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_simulated_recovery_gets_the_right_status(series_statuses, scenario):
    for (sc, face, seed), statuses in series_statuses.items():
        if sc != scenario:
            continue
        for hour, allowed in EXPECTED[scenario].items():
            assert statuses[hour] in allowed, (scenario, face, seed, statuses)


def test_measured_series_follows_the_rendered_redness(series_statuses, data_dir):
    """The stored Δa* of a rendered normal fade tracks the rendered curve."""
    with Tracker(data_dir / "series") as tracker:
        session = next(s for s in tracker.sessions())  # the first: aptus_1, normal, seed 0
        st = tracker.status(session.id, now=T0 + timedelta(hours=7))
        for region in TREATED:
            got = [(o.hours, o.delta_a_star) for o in st.regions[region].observations]
            assert len(got) == len(HOURS)
            for h, d in got:
                assert d == pytest.approx(SCENARIOS["normal"](h), abs=1.5), (region, got)


def test_the_end_point_check_calls_only_the_too_red_first_photo(series_statuses, data_dir):
    """Issue 17: the first photo (2 minutes after the treatment start) of the normal course (5 a*,
    at the threshold), the persistent one (5 a*) and the worsening one (3 a*) are no redder than
    slightly pink; the slow course starts at 7 a*, well-defined erythema: "next time, lighter"."""
    from skintrack.core.protocol import SRC_ENDPOINT

    order = [(sc, face) for face in FACES for sc in SCENARIOS]  # the sessions' creation order
    with Tracker(data_dir / "series") as tracker:
        for session, (scenario, face) in zip(tracker.sessions(), order, strict=True):
            st = tracker.status(session.id, now=T0 + timedelta(hours=7))
            rec = st.to_record()["endpoint"]
            assert rec["measured"] and rec["hours"] == pytest.approx(2 / 60, abs=0.01)
            too_red = scenario == "slow"
            assert rec["redder_than_slightly_pink"] == too_red, (scenario, face, rec)
            codes = {a.code: a for a in st.advice}
            if too_red:
                assert set(rec["too_red"]) == set(TREATED)
                assert codes["endpoint_too_red"].source == SRC_ENDPOINT
                assert "Next time, lighter" in codes["endpoint_too_red"].text
            else:
                assert "endpoint_ok" in codes, (scenario, face)


# --- a small session for the behaviour tests ------------------------------------------------------
@pytest.fixture(scope="module")
def sample_jpegs(load_sample):
    """A baseline and two later photos of the same face (re-encoded: distinct files)."""
    rgb = load_sample("aptus_1.png").rgb
    return [encode_jpeg(rgb, q) for q in (95, 90, 85)]


def started(tracker, sample_jpegs):
    s = tracker.new_session(device="roller", needle_mm=0.25, treated_regions=TREATED, treated_at=T0, now=T0)
    tracker.set_baseline(s.id, PhotoSource(sample_jpegs[0], "before.jpg", T0 - timedelta(minutes=5)), now=T0)
    return s


def snapshot(tracker) -> tuple:
    """Everything saved: rows of every table and the store's files."""
    tables = ("sessions", "photos", "analyses", "findings", "comparisons", "region_changes", "answers")
    rows = tuple(tuple(tuple(r) for r in tracker.conn.execute(f"SELECT * FROM {t}")) for t in tables)
    return rows, tuple(tracker.store.names())


def test_import_saves_photo_analysis_and_comparison(tracker, sample_jpegs):
    s = started(tracker, sample_jpegs)
    [res] = tracker.add_photos(
        s.id,
        [PhotoSource(sample_jpegs[1], "later.jpg", T0 + timedelta(hours=1))],
        now=T0 + timedelta(hours=1, minutes=1),
    )
    assert res.role == "follow_up" and res.hours == pytest.approx(1.0)
    assert res.comparison.usable
    assert set(TREATED) <= set(res.comparison.changes)
    # The same face re-encoded: no real redness change.
    assert all(abs(c.delta_a_star) < 1.0 for c in res.comparison.changes.values())
    assert tracker.photo_bytes(res.photo) == sample_jpegs[1]
    ok, record = repo.get_analysis(tracker.conn, res.photo.id)
    assert ok and record["face"]["found"]
    assert tracker.session(s.id).baseline_photo_id is not None
    assert tracker.check_store() == []
    st = tracker.status(s.id, now=T0 + timedelta(hours=1, minutes=2))
    assert st.status == "resolved"
    assert st.extra["photos"] == 2


def test_refusals_change_nothing(tracker, sample_jpegs, tmp_path):
    s = started(tracker, sample_jpegs)
    before = snapshot(tracker)
    later = sample_jpegs[1]
    now = T0 + timedelta(hours=2)
    cases = [
        (PhotoSource(later, "early.jpg", T0 - timedelta(hours=1)), "before the baseline"),
        (PhotoSource(later, "between.jpg", T0 - timedelta(minutes=2)), "before the treatment started"),
        (PhotoSource(later, "future.jpg", now + timedelta(hours=3)), "in the future"),
        (PhotoSource(sample_jpegs[0], "again.jpg", T0 + timedelta(hours=1)), "already in"),
        (PhotoSource(b"GIF89a not really", "bad.gif", T0 + timedelta(hours=1)), "bad.gif"),
    ]
    for source, message in cases:
        with pytest.raises(SkintrackError, match=message):
            tracker.add_photos(s.id, [source], now=now)
        assert snapshot(tracker) == before, message
    # One unreadable photo among good ones refuses the whole import.
    (tmp_path / "broken.jpg").write_bytes(later[: len(later) // 3])
    with pytest.raises(PhotoError, match="broken.jpg"):
        tracker.add_photos(
            s.id, [PhotoSource(later, "ok.jpg", T0 + timedelta(hours=1)), tmp_path / "broken.jpg"], now=now
        )
    with pytest.raises(PhotoError, match="no such file"):
        tracker.add_photos(s.id, [tmp_path / "missing.jpg"], now=now)
    assert snapshot(tracker) == before


def test_baseline_rules(tracker, sample_jpegs, load_sample):
    s = tracker.new_session(device="patch", needle_mm=0.25, treated_regions=["nose"], treated_at=T0, now=T0)
    with pytest.raises(TrackingError, match="no baseline"):
        tracker.add_photos(
            s.id,
            [PhotoSource(sample_jpegs[1], "x.jpg", T0 + timedelta(hours=1))],
            now=T0 + timedelta(hours=2),
        )
    with pytest.raises(TrackingError, match="after the treatment started"):
        tracker.set_baseline(
            s.id,
            PhotoSource(sample_jpegs[0], "late.jpg", T0 + timedelta(minutes=30)),
            now=T0 + timedelta(hours=1),
        )
    turned = encode_jpeg(load_sample("45-m7-di-ph.jpg").rgb)
    with pytest.raises(TrackingError, match="cannot be the baseline"):
        tracker.set_baseline(s.id, PhotoSource(turned, "turned.jpg", T0 - timedelta(minutes=5)), now=T0)
    assert tracker.photos(s.id) == []


def test_new_baseline_recompares_saved_photos(tracker, sample_jpegs, load_sample):
    from skintrack.simulate.phantom import add_redness

    s = started(tracker, sample_jpegs)
    photo = load_sample("aptus_1.png")
    red = add_redness(
        photo.rgb, face=tracker.engine.detect(photo.rgb).face, delta_a_star={r: 4.0 for r in TREATED}
    )
    tracker.add_photos(
        s.id, [PhotoSource(encode_jpeg(red), "red.jpg", T0 + timedelta(hours=1))], now=T0 + timedelta(hours=1)
    )
    old = tracker.session(s.id).baseline_photo_id
    # A redder "baseline": the later photo is now no redder than it. (Replacing a baseline that
    # photos are compared with must be asked for since issue 13.)
    tracker.set_baseline(
        s.id,
        PhotoSource(encode_jpeg(red, 97), "red-before.jpg", T0 - timedelta(minutes=1)),
        now=T0 + timedelta(hours=1),
        replace=True,
    )
    new = tracker.session(s.id).baseline_photo_id
    assert new != old
    [cmp] = repo.session_comparisons(tracker.conn, s.id, new)
    assert all(abs(c.delta_a_star) < 1.0 for c in cmp.changes.values())
    [old_cmp] = repo.session_comparisons(tracker.conn, s.id, old)
    assert old_cmp.changes["left_cheek"].delta_a_star > 2.5


def test_symptoms_and_questionnaire_are_saved_per_session(tracker, sample_jpegs):
    s = started(tracker, sample_jpegs)
    assert tracker.symptoms(s.id) is None
    tracker.record_symptoms(s.id, Symptoms(oozing=True))
    st = tracker.status(s.id, now=T0 + timedelta(hours=1))
    assert st.urgency == "seek_care_now"
    assert st.advice[0].code == "seek_care_now"
    tracker.record_symptoms(s.id, Symptoms())
    assert tracker.status(s.id, now=T0 + timedelta(hours=1)).urgency == "none"
    tracker.save_questionnaire(s.id, {"pregnant_or_breastfeeding": False, "needle_mm": 0.25})
    assert tracker.questionnaire(s.id)["needle_mm"] == 0.25


def test_a_new_pustule_seen_once_is_to_look_at_and_worsening_once_confirmed(tracker, sample_jpegs):
    s = started(tracker, sample_jpegs)
    [res] = tracker.add_photos(
        s.id,
        [PhotoSource(sample_jpegs[1], "later.jpg", T0 + timedelta(hours=1))],
        now=T0 + timedelta(hours=1),
    )
    # Findings as the lesion detector records them (its own tests cover detection).
    ok, record = repo.get_analysis(tracker.conn, res.photo.id)
    repo.save_analysis(
        tracker.conn,
        res.photo.id,
        quality_ok=ok,
        record=record,
        findings=[
            Finding("p1", "pustule", 500, 600, 0.0, None, "left_cheek", 0.5),
            Finding("n1", "pustule", 400, 200, 0.0, None, "forehead", 0.5),  # untreated
        ],
    )
    now = T0 + timedelta(hours=1, minutes=5)
    st = tracker.status(s.id, now=now)
    # Issue 13: seen on one photo only, a new spot is one to look at, not an alarm ...
    assert st.status != "worsening" and st.new_findings == ()
    assert [(f.kind, f.region) for f in st.spots_to_look_at] == [("pustule", "left_cheek")]
    # ... until the person confirms it.
    tracker.set_finding_verdict(res.photo.id, "p1", "confirmed")
    st = tracker.status(s.id, now=now)
    assert st.status == "worsening"
    assert [(f.kind, f.region) for f in st.new_findings] == [("pustule", "left_cheek")]
    tracker.set_finding_verdict(res.photo.id, "p1", "dismissed")
    assert tracker.status(s.id, now=now).status == "resolved"


def test_full_disk_during_import_changes_nothing(tracker, sample_jpegs, monkeypatch):
    s = started(tracker, sample_jpegs)
    before = snapshot(tracker)

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(photostore.os, "fsync", full)
    with pytest.raises(db.StorageError, match="disk is full; nothing was changed"):
        tracker.add_photos(
            s.id,
            [PhotoSource(sample_jpegs[1], "x.jpg", T0 + timedelta(hours=1))],
            now=T0 + timedelta(hours=1),
        )
    monkeypatch.undo()
    assert snapshot(tracker) == before


class _DiskFullsAt:
    """The connection, except that one statement fails as SQLite does on a full disk.

    (A real SQLITE_FULL cannot be provoked reliably here: the few rows of an import fit in pages
    SQLite already has; ``tests/storage/test_db.py`` maps a real one.)
    """

    def __init__(self, conn, statement_start: str):
        self._conn, self._start = conn, statement_start

    def _check(self, sql):
        if sql.lstrip().startswith(self._start):
            raise sqlite3.OperationalError("database or disk is full")

    def execute(self, sql, *args):
        self._check(sql)
        return self._conn.execute(sql, *args)

    def executemany(self, sql, *args):
        self._check(sql)
        return self._conn.executemany(sql, *args)

    def __getattr__(self, name):
        return getattr(self._conn, name)


def test_full_database_during_import_changes_nothing(tracker, sample_jpegs):
    s = started(tracker, sample_jpegs)
    before = snapshot(tracker)
    real = tracker.conn
    # The last statement of an import: the file is copied and most rows inserted by then.
    tracker.conn = _DiskFullsAt(real, "INSERT INTO region_changes")
    try:
        with pytest.raises(db.StorageError, match="disk is full; nothing was changed"):
            tracker.add_photos(
                s.id,
                [PhotoSource(sample_jpegs[1], "x.jpg", T0 + timedelta(hours=1))],
                now=T0 + timedelta(hours=1),
            )
    finally:
        tracker.conn = real
    assert not real.in_transaction
    assert snapshot(tracker) == before  # rows rolled back and the copied file removed again


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
@pytest.mark.parametrize("kill_point", ["after_copy", "before_commit"])
def test_process_killed_mid_import_loses_nothing(engine, tmp_path, sample_jpegs, kill_point):
    data = tmp_path / "data"
    with Tracker(data, engine=engine) as tracker:
        s = started(tracker, sample_jpegs)
        tracker.add_photos(
            s.id,
            [PhotoSource(sample_jpegs[1], "1h.jpg", T0 + timedelta(hours=1))],
            now=T0 + timedelta(hours=1),
        )
        before = snapshot(tracker)
    photo = tmp_path / "2h.jpg"
    photo.write_bytes(sample_jpegs[2])
    taken = (T0 + timedelta(hours=2)).isoformat()
    proc = subprocess.run(
        [sys.executable, str(CHILD), str(data), str(s.id), str(photo), taken, kill_point],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    with Tracker(data, engine=engine) as tracker:
        rows, files = snapshot(tracker)
        assert rows == before[0]  # no row of the killed import, every earlier row intact
        # Its copied file (after_copy) had no row: opening the store again removed it.
        assert files == before[1]
        assert tracker.check_store() == []
        assert tracker.store.unreferenced(repo.referenced_store_names(tracker.conn)) == []
        # Retrying the import completes it.
        [res] = tracker.add_photos(
            s.id, [photo], taken_at=T0 + timedelta(hours=2), now=T0 + timedelta(hours=2)
        )
        assert tracker.store.unreferenced(repo.referenced_store_names(tracker.conn)) == []
        assert res.comparison.usable
        assert len(tracker.photos(s.id)) == 3


def test_photo_source_validates():
    with pytest.raises(ValueError):
        PhotoSource(b"", "x.jpg")
    with pytest.raises(ValueError):
        PhotoSource(b"x", "x.jpg", datetime(2026, 1, 1))
    assert dataclasses.is_dataclass(PhotoSource)
    assert SAMPLES.is_dir()


def test_photo_excluded_as_another_face_is_not_silently_dropped(tracker, sample_jpegs):
    """compare's identity check can fail on strongly reddened skin; the person must hear of it."""
    from skintrack.tracking import NOT_SAME_FACE

    s = started(tracker, sample_jpegs)
    [res] = tracker.add_photos(
        s.id,
        [PhotoSource(sample_jpegs[1], "later.jpg", T0 + timedelta(hours=2))],
        now=T0 + timedelta(hours=2),
    )
    # Record it as compare does when the identity check fails.
    repo.save_comparison(
        tracker.conn,
        repo.NewComparison(
            res.photo.id,
            res.comparison.baseline_photo_id,
            res.hours,
            False,
            repo.ComparisonRecord(same_person=False),
            excluded_reason=NOT_SAME_FACE,
        ),
    )
    st = tracker.status(s.id, now=T0 + timedelta(hours=2, minutes=5))
    assert st.status == "insufficient_data"
    assert st.extra["excluded_photos"][0]["reason"] == NOT_SAME_FACE
    assert st.advice[0].code == "photo_not_comparable"
    assert "consult a dermatologist" in st.advice[0].text


def test_delete_session_removes_its_photos_from_the_store(tracker, sample_jpegs):
    s = started(tracker, sample_jpegs)
    tracker.add_photos(
        s.id,
        [PhotoSource(sample_jpegs[1], "later.jpg", T0 + timedelta(hours=1))],
        now=T0 + timedelta(hours=1),
    )
    keep = started(tracker, sample_jpegs)  # shares the baseline file
    tracker.delete_session(s.id)
    assert [x.id for x in tracker.sessions()] == [keep.id]
    assert len(list(tracker.store.names())) == 1  # the shared baseline stays, the rest is gone
    assert tracker.check_store() == []
    with pytest.raises(db.StorageError, match="no session"):
        tracker.status(s.id)


def test_serum_tick_is_kept_per_session_and_first_session_is_known(tracker, sample_jpegs, tmp_path):
    from skintrack.core.recovery import SERUM_STEP

    assert tracker.is_first_session()
    s = started(tracker, sample_jpegs)
    assert tracker.is_first_session(s.id) and not tracker.is_first_session()
    later = tracker.new_session(
        device="patch",
        needle_mm=0.25,
        treated_regions=("chin",),
        treated_at=T0 + timedelta(days=7),
        now=T0 + timedelta(days=7),
    )
    assert not tracker.is_first_session(later.id) and tracker.is_first_session(s.id)
    tracker.set_aftercare_step(s.id, SERUM_STEP, True, at=T0 + timedelta(minutes=20))
    assert tracker.aftercare_steps(s.id) == {SERUM_STEP: T0 + timedelta(minutes=20)}
    assert tracker.aftercare_steps(later.id) == {}
    with Tracker(tmp_path / "data") as again:  # saved, not only in memory
        st = again.status(s.id, now=T0 + timedelta(hours=1))
        assert st.timers[0].code == SERUM_STEP and st.timers[0].done
        assert not again.status(later.id, now=T0 + timedelta(days=7, hours=1)).timers[0].done
    with pytest.raises(SkintrackError, match="unknown aftercare step"):
        tracker.set_aftercare_step(s.id, "moisturiser", True)
    tracker.delete_session(s.id)  # its ticks go with it
    assert tracker.conn.execute("SELECT COUNT(*) FROM aftercare_steps").fetchone()[0] == 0
