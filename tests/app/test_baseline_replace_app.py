"""The app asks before a new photo replaces a baseline that photos are compared with (issue 13)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.app.test_end_to_end import photos, settle, start_session  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow


def test_the_app_asks_before_replacing_the_baseline(qtbot, window, photos, tmp_path):  # noqa: F811
    from skintrack.tracking import Tracker

    w, m, c = window, window.model, window.controller
    settle(qtbot, w)
    start_session(qtbot, w, photos, follow_ups=1)
    base_id = m.analysis_photo_id
    assert base_id is not None and len(m.laters) == 1
    asked = []
    c.confirm_replace = lambda text: asked.append(text) or False
    # Another photo from before treatment, on the Check page: the person says no.
    from PIL import Image

    other = photos["baseline"].parent / "before-again.jpg"
    Image.open(photos["baseline"]).convert("RGB").save(other, quality=85)
    when = (photos["treated_at"] - timedelta(minutes=20)).timestamp()
    import os

    os.utime(other, (when, when))
    c.import_paths([other], "check")
    settle(qtbot, w)
    assert len(asked) == 1 and "1 photo after treatment" in asked[0]
    assert "baseline was kept" in w.message_bar.text()
    assert m.analysis_photo_id == base_id
    # Yes: replaced, the old one kept in the session.
    c.confirm_replace = lambda text: True
    c.import_paths([other], "check")
    settle(qtbot, w)
    assert m.analysis_photo_id not in (None, base_id)
    with Tracker(tmp_path / "data") as tracker:  # this thread's own connection
        assert tracker.session(m.session.id).baseline_photo_id == m.analysis_photo_id
        assert [p.id for p in tracker.former_baselines(m.session.id)] == [base_id]
