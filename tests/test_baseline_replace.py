"""The baseline is not replaced by accident (issue 13): refused unless asked, the old one kept
and put back; through the session service and the command line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from skintrack.cli import main
from skintrack.storage import sessions as repo
from skintrack.tracking import BaselineReplaceRefused, PhotoSource
from tests.conftest import SAMPLES

pytestmark = pytest.mark.slow

T0 = datetime(2026, 6, 24, 18, 0, tzinfo=UTC)
TREATED = ("left_cheek", "right_cheek")


def rows(tracker):
    return [
        tuple(r)
        for t in ("sessions", "photos", "comparisons")
        for r in tracker.conn.execute(f"SELECT * FROM {t}")
    ]


def test_replacing_a_baseline_with_follow_ups_needs_replace_and_can_be_undone(tracker, jpegs):
    s = tracker.new_session(device="roller", needle_mm=0.25, treated_regions=TREATED, treated_at=T0, now=T0)
    first = tracker.set_baseline(
        s.id, PhotoSource(jpegs[0], "before.jpg", T0 - timedelta(minutes=30)), now=T0
    )
    # Without follow-ups a baseline may still be changed freely (nothing is compared with it).
    second = tracker.set_baseline(
        s.id, PhotoSource(jpegs[1], "before2.jpg", T0 - timedelta(minutes=10)), now=T0
    )
    assert tracker.session(s.id).baseline_photo_id == second.photo.id
    now = T0 + timedelta(hours=1)
    [later] = tracker.add_photos(s.id, [PhotoSource(jpegs[2], "later.jpg", now)], now=now)
    before = rows(tracker)
    with pytest.raises(BaselineReplaceRefused, match="--replace") as err:
        tracker.set_baseline(s.id, PhotoSource(jpegs[0], "before.jpg", T0 - timedelta(minutes=30)), now=now)
    assert "before2.jpg" in str(err.value) and "1 photo after treatment" in str(err.value)
    assert rows(tracker) == before  # refused: nothing changed
    # Put the first baseline back: its row is reused (not re-imported) and the follow-up is
    # compared with it again.
    back = tracker.set_baseline(
        s.id, PhotoSource(jpegs[0], "before.jpg", T0 - timedelta(minutes=30)), now=now, replace=True
    )
    assert back.photo.id == first.photo.id
    assert tracker.session(s.id).baseline_photo_id == first.photo.id
    assert [c.photo_id for c in repo.session_comparisons(tracker.conn, s.id, first.photo.id)] == [
        later.photo.id
    ]
    assert [p.id for p in tracker.former_baselines(s.id)] == [second.photo.id]
    assert len(tracker.photos(s.id)) == 3
    assert tracker.status(s.id, now=now).extra["baseline_photo_id"] == first.photo.id
    # A photo after treatment is never a baseline, replace or not.
    with pytest.raises(Exception, match="already in session"):
        tracker.set_baseline(
            s.id, PhotoSource(jpegs[2], "later.jpg", T0 - timedelta(minutes=5)), now=now, replace=True
        )


def test_session_baseline_refuses_without_replace_on_the_command_line(capsys, tmp_path):
    from PIL import Image

    later = tmp_path / "later.jpg"
    Image.open(SAMPLES / "aptus_1.png").convert("RGB").save(later, quality=92)
    other = tmp_path / "other.jpg"
    Image.open(SAMPLES / "aptus_1.png").convert("RGB").save(other, quality=80)
    d = ["session", "--data-dir", str(tmp_path / "data")]
    assert (
        main(
            [
                *d,
                "new",
                "--device",
                "roller",
                "--needle-mm",
                "0.25",
                "--treated",
                "left_cheek",
                "--at",
                "3h ago",
            ]
        )
        == 0
    )
    assert main([*d, "baseline", "1", str(SAMPLES / "aptus_1.png"), "--taken-at", "4h ago"]) == 0
    assert main([*d, "add", "1", str(later), "--taken-at", "1h ago"]) == 0
    capsys.readouterr()
    assert main([*d, "baseline", "1", str(other), "--taken-at", "3.5h ago"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--replace" in err and "aptus_1.png" in err
    assert main([*d, "baseline", "1", str(other), "--taken-at", "3.5h ago", "--replace"]) == 0
    assert "baseline of session 1: other.jpg" in capsys.readouterr().out
    # ... and back.
    assert main([*d, "baseline", "1", str(SAMPLES / "aptus_1.png"), "--taken-at", "4h ago", "--replace"]) == 0
    assert "baseline of session 1: aptus_1.png" in capsys.readouterr().out
