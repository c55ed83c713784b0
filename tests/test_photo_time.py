"""A photo's capture time can be corrected, and the service's messages have a plain form for
the app (issue 16): no command names, no options."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from skintrack.core.errors import plain
from skintrack.report.images import encode_png
from skintrack.tracking import (
    BaselineReplaceRefused,
    CaptureTimeRefused,
    PhotoSource,
    TrackingError,
)

pytestmark = pytest.mark.slow

T0 = datetime(2026, 6, 24, 18, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=3)
TREATED = ("left_cheek", "right_cheek")


def assert_plain(text: str) -> None:
    """What the app shows: no command to type, no option."""
    assert "skintrack " not in text and "--" not in text and "`" not in text, text


def session_with_follow_up(tracker, jpegs):
    s = tracker.new_session(device="roller", needle_mm=0.25, treated_regions=TREATED, treated_at=T0, now=T0)
    tracker.set_baseline(s.id, PhotoSource(jpegs[0], "before.jpg", T0 - timedelta(minutes=30)), now=NOW)
    [later] = tracker.add_photos(s.id, [PhotoSource(jpegs[1], "after.jpg", T0 + timedelta(hours=1))], now=NOW)
    return s, later


def test_correcting_a_photo_time_moves_it_on_the_curve(tracker, jpegs):
    s, later = session_with_follow_up(tracker, jpegs)
    assert later.hours == pytest.approx(1.0)
    row = tracker.set_photo_time(s.id, later.photo.id, T0 + timedelta(hours=2, minutes=15), now=NOW)
    assert row.taken_at == T0 + timedelta(hours=2, minutes=15) and row.taken_at_source == "given"
    cmp = tracker.conn.execute(
        "SELECT hours FROM comparisons WHERE photo_id = ?", (later.photo.id,)
    ).fetchone()
    assert cmp["hours"] == pytest.approx(2.25)
    st = tracker.status(s.id, now=NOW)
    hours = {round(o.hours, 3) for rr in st.regions.values() for o in rr.observations}
    assert hours == {2.25}
    # The 1 h check photo is no longer counted as taken; the 2 h one is (within half an hour).
    done = {t.code: t.done for t in st.timers}
    assert not done["check_photo_1h"] and done["check_photo_2h"]


@pytest.mark.parametrize(
    "when, words",
    [
        (T0 - timedelta(minutes=5), "after the treatment started"),
        (T0 - timedelta(minutes=40), "after the treatment started"),
        (NOW + timedelta(hours=1), "in the future"),
    ],
)
def test_a_follow_up_keeps_its_place(tracker, jpegs, when, words):
    s, later = session_with_follow_up(tracker, jpegs)
    with pytest.raises(CaptureTimeRefused, match=words) as err:
        tracker.set_photo_time(s.id, later.photo.id, when, now=NOW)
    assert_plain(err.value.plain)
    assert tracker.photos(s.id)[-1].taken_at == T0 + timedelta(hours=1)  # unchanged


def test_a_baseline_stays_before_treatment(tracker, jpegs):
    s, _ = session_with_follow_up(tracker, jpegs)
    base = tracker.session(s.id).baseline_photo_id
    with pytest.raises(CaptureTimeRefused, match="before the treatment started"):
        tracker.set_photo_time(s.id, base, T0 + timedelta(minutes=10), now=NOW)
    row = tracker.set_photo_time(s.id, base, T0 - timedelta(hours=1), now=NOW)
    assert row.taken_at == T0 - timedelta(hours=1)


def test_every_import_refusal_about_time_has_a_plain_form(tracker, jpegs, load_sample, tmp_path):
    s = tracker.new_session(device="roller", needle_mm=0.25, treated_regions=TREATED, treated_at=T0, now=T0)
    # No baseline yet: adding a photo after treatment is refused, with a plain form.
    with pytest.raises(TrackingError) as err:
        tracker.add_photos(s.id, [PhotoSource(jpegs[1], "after.jpg", T0 + timedelta(hours=1))], now=NOW)
    assert "skintrack session baseline" in str(err.value)  # the command line keeps its hint
    assert_plain(err.value.plain)
    # A photo without any capture time (PNG bytes from memory, no EXIF, no file date).
    png = encode_png(load_sample("aptus_1.png").rgb)
    with pytest.raises(CaptureTimeRefused) as err:
        tracker.set_baseline(s.id, PhotoSource(png, "before.png"), now=NOW)
    assert "--taken-at" in str(err.value) and err.value.taken_at is None
    assert_plain(err.value.plain)
    # A baseline whose file date is after the treatment started.
    path = tmp_path / "before.png"
    path.write_bytes(png)
    late = (T0 + timedelta(minutes=20)).timestamp()
    os.utime(path, (late, late))
    with pytest.raises(CaptureTimeRefused) as err:
        tracker.set_baseline(s.id, path, now=NOW)
    assert err.value.name == "before.png" and err.value.taken_at is not None
    assert "file's date" in err.value.plain
    assert_plain(err.value.plain)
    # The file date used: a warning with a plain form.
    early = (T0 - timedelta(minutes=20)).timestamp()
    os.utime(path, (early, early))
    res = tracker.set_baseline(s.id, path, now=NOW)
    assert res.warnings and "--taken-at" in res.warnings[0]
    assert all(plain(w) for w in res.warnings)
    for w in res.warnings:
        assert_plain(plain(w))
    # A follow-up dated before treatment, and one before the baseline.
    for when in (T0 - timedelta(minutes=10), T0 - timedelta(hours=2)):
        with pytest.raises(CaptureTimeRefused) as err:
            tracker.add_photos(s.id, [PhotoSource(jpegs[1], "after.jpg", when)], now=NOW)
        assert_plain(err.value.plain)
    # In the future.
    with pytest.raises(CaptureTimeRefused) as err:
        tracker.add_photos(s.id, [PhotoSource(jpegs[1], "after.jpg", NOW + timedelta(hours=2))], now=NOW)
    assert "--taken-at" in str(err.value)
    assert_plain(err.value.plain)


def test_replacing_and_no_baseline_advice_have_plain_forms(tracker, jpegs):
    s = tracker.new_session(device="roller", needle_mm=0.25, treated_regions=TREATED, treated_at=T0, now=T0)
    advice = {a.code: a.text for a in tracker.status(s.id, now=NOW).advice}
    assert "skintrack session baseline" in advice["no_baseline"]
    assert_plain(plain(advice["no_baseline"]))
    tracker.set_baseline(s.id, PhotoSource(jpegs[0], "before.jpg", T0 - timedelta(minutes=30)), now=NOW)
    tracker.add_photos(s.id, [PhotoSource(jpegs[1], "after.jpg", T0 + timedelta(hours=1))], now=NOW)
    with pytest.raises(BaselineReplaceRefused) as err:
        tracker.set_baseline(s.id, PhotoSource(jpegs[2], "again.jpg", T0 - timedelta(minutes=5)), now=NOW)
    assert "--replace" in str(err.value)
    assert_plain(err.value.plain)
