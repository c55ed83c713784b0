"""End to end through the window: new session -> baseline -> check -> photos after treatment ->
recovery status -> compare, on a real sample face with redness added by the phantom.

The follow-up photos carry the redness of a normal fade (Δa* = 6·exp(-t/1.5 h) on the treated
cheeks); their capture times come from the files' dates, set as a phone's would be.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from PIL import Image

from skintrack.app.pages.check import DECISION_TEXT
from skintrack.core import protocol
from tests.conftest import SAMPLES

pytestmark = pytest.mark.slow

TREATED = ("left_cheek", "right_cheek")
FADE_A_STAR = 6.0
FADE_TAU_H = 1.5


def settle(qtbot, window, timeout=60000):
    """Wait until no task is running, including tasks started by finished ones."""

    def idle_twice():
        if window.runner.active:
            return False
        qtbot.wait(150)
        return not window.runner.active

    qtbot.waitUntil(idle_twice, timeout=timeout)


def start_session(qtbot, window, photos, *, follow_ups: int = 0) -> None:
    """Through the controller, as the pages do: a session on the left cheek, its baseline, and
    the first ``follow_ups`` photos after treatment; waits for every task."""
    c = window.controller
    c.new_session(
        device="roller", needle_mm=0.25, treated_regions=("left_cheek",), treated_at=photos["treated_at"]
    )
    settle(qtbot, window)
    c.import_paths([photos["baseline"]], "check")
    settle(qtbot, window)
    if follow_ups:
        c.import_paths(photos["follow_ups"][:follow_ups], "recovery")
        settle(qtbot, window)


def save_with_time(rgb, path, when: datetime):
    Image.fromarray(rgb).save(path)
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """Baseline and three follow-ups (0.5, 1.5, 2.4 h) of aptus_5, dated relative to now."""
    from skintrack.core.face import FaceEngine
    from skintrack.core.intake import load_photo
    from skintrack.core.regions import compute_regions
    from skintrack.simulate.phantom import add_redness

    d = tmp_path_factory.mktemp("e2e")
    rgb = load_photo(SAMPLES / "aptus_5.png").rgb
    with FaceEngine() as engine:
        regions = compute_regions(rgb, engine.detect(rgb).face)
    now = datetime.now(UTC)
    treated_at = now - timedelta(hours=2.5)
    out = {
        "treated_at": treated_at,
        "baseline": save_with_time(rgb, d / "before.png", treated_at - timedelta(minutes=40)),
    }
    follow = []
    for i, hours in enumerate((0.5, 1.5, 2.4)):
        delta = FADE_A_STAR * np.exp(-hours / FADE_TAU_H)
        red = add_redness(rgb, regions, delta_a_star=dict.fromkeys(TREATED, delta), seed=i)
        follow.append(save_with_time(red, d / f"after_{hours:g}h.png", treated_at + timedelta(hours=hours)))
    out["follow_ups"] = follow
    return out


def test_new_session_baseline_check_follow_ups_status_compare(qtbot, window, photos):
    w, m, c = window, window.model, window.controller
    settle(qtbot, w)
    assert m.sessions == []

    # 1. New session (as the dialog would submit it).
    c.new_session(device="roller", needle_mm=0.25, treated_regions=TREATED, treated_at=photos["treated_at"])
    settle(qtbot, w)
    assert m.session is not None and m.session.treated_regions == TREATED
    assert w.current_page() == "capture"
    assert [s.id for s in m.sessions] == [m.session.id]

    # 2. Baseline photo, checked.
    c.import_paths([photos["baseline"]], w.capture.purpose())
    settle(qtbot, w)
    assert w.current_page() == "check"
    assert m.baseline is not None and m.baseline.face is not None
    assert m.analysis is m.baseline and m.analysis_photo_id is not None
    assert set(m.treated) == set(TREATED)
    boxes = {n for n, b in w.check.region_boxes.items() if b.isChecked()}
    assert boxes == set(TREATED)
    assert m.status is not None and m.status.status == "insufficient_data"

    # 3. The check: the real verdict, the session's device and needle already answered.
    check = w.check
    assert m.answers == {"device": "roller", "needle_mm": 0.25}
    assert check.verdict is not None and check.verdict.treated == TREATED
    first = check.verdict.decision
    assert check.banner.headline.text() == DECISION_TEXT[first][0]
    assert len(check.view.circles()) == len(m.analysis.findings) > 0
    check.questions.answer("pregnant_or_breastfeeding", True)
    settle(qtbot, w)
    assert check.verdict.decision == "postpone"
    assert protocol.SRC_ADVISED_AGAINST in check.banner.body.text()
    safe = {
        "pregnant_or_breastfeeding": False,
        "keloid_prone": False,
        "anticoagulants": False,
        "roller_reused": False,
        "disinfected_hands_face_tool": True,
        "beginner": False,
        "room_clean": True,
        "room_ventilated": True,
    }
    for qid, value in safe.items():
        check.questions.answer(qid, value)
    settle(qtbot, w)
    assert m.answers == {"device": "roller", "needle_mm": 0.25, **safe}
    assert check.verdict.decision == first and "not answered" not in check.banner.body.text()
    # Confirm the most certain finding, dismiss the next: both are saved with the session.
    row_a, row_b = check.rows[0], check.rows[1]
    row_a.confirm.click()
    row_b.dismiss.click()
    settle(qtbot, w)
    assert m.confirmed == {row_a.finding.id} and m.dismissed == {row_b.finding.id}
    decided = check.verdict
    assert "Error" not in w.message_bar.text() and "no finding" not in w.message_bar.text()

    # 4. Photos after treatment (the Capture page's "after treatment" purpose).
    w.capture.set_purpose("recovery")
    c.import_paths(photos["follow_ups"], w.capture.purpose())
    settle(qtbot, w)
    assert w.current_page() in ("recovery", "compare")

    # 5. Status: a normal fade is on track, with a fitted curve on the chart.
    st = m.status
    assert st.status == "on_track", (st.status, [a.text for a in st.advice])
    assert st.predicted_resolved_at_hours is not None and st.predicted_resolved_at_hours < 6.0
    assert w.recovery.banner.headline.text() == "Fading as expected"
    assert w.recovery.timeline.count() == 3
    ax = w.recovery.chart.axes
    labels = [line.get_label() for line in ax.get_lines()]
    assert any("fitted" in lab for lab in labels)
    assert w.recovery.timers.text().count("min left") >= 2  # 24 h and 48 h aftercare countdowns

    # 6. Compare: the latest photo aligned onto the baseline, with the map.
    view = m.comparison
    assert view is not None and view.comparison.same_person
    assert view.warped.shape == view.base_display.shape
    assert view.delta_image is not None
    rows = {
        w.compare.table.item(r, 0).text(): w.compare.table.item(r, 1).text()
        for r in range(w.compare.table.rowCount())
    }
    assert "Left cheek (treated)" in rows
    # Pick the first follow-up (0.5 h, Δa* ~4.3 on the cheeks) from the list.
    w.compare.later_chosen.emit(0)
    settle(qtbot, w)
    first = m.comparison.comparison.regions["left_cheek"]
    assert first.real_change and 3.0 < first.delta_a_star < 5.6
    assert abs(m.comparison.comparison.regions["forehead"].delta_a_star) < 1.0
    w.compare.map_box.setChecked(True)
    assert w.compare.swipe.has_overlay()

    # 7. Symptoms count: oozing -> seek care now, whatever the curve says.
    c.set_symptoms({"swelling": False, "oozing": True, "fever": False, "pain_beyond_mild_burning": False})
    settle(qtbot, w)
    assert m.status.urgency == "seek_care_now"
    c.set_symptoms(dict.fromkeys(("swelling", "oozing", "fever", "pain_beyond_mild_burning"), False))
    settle(qtbot, w)

    # 8. Everything was saved: reopening the session from the list brings it back.
    sid = m.session.id
    assert [s.photos for s in m.sessions] == [4]
    c.close_session()
    assert m.status is None and m.baseline is None
    c.open_session(sid)
    settle(qtbot, w)
    assert m.session.id == sid and len(m.laters) == 3 and m.baseline is not None
    assert m.status.status == "on_track"
    assert w.current_page() in ("recovery", "compare")
    # ... with the check as it was left: answers, confirmed and dismissed findings, verdict.
    assert m.answers == {"device": "roller", "needle_mm": 0.25, **safe}
    assert m.confirmed == {row_a.finding.id} and m.dismissed == {row_b.finding.id}
    assert check.verdict == decided
    assert check.row_for(row_b.finding.id).dismiss.isChecked()

    # 9. Export the report (when the report module of this version can build one).
    if c.can_export():
        target = photos["baseline"].parent / "report.html"
        steps = []
        c.runner.progress.connect(lambda done, total, text: steps.append((done, total, text)))
        c.export_report(sid, str(target))
        settle(qtbot, w, timeout=120000)
        assert target.is_file() and target.stat().st_size > 1000
        # The bar moves while the session's pictures are gathered, not only while writing.
        # ("report data" is the last step of gathering; the writers never say it.)
        gathered = [d / t for d, t, text in steps if t and text == "report data"]
        assert gathered and all(f <= 0.5 for f in gathered)
        assert max(d / t for d, t, _ in steps if t) == 1.0
        assert "Report saved" in w.message_bar.text()

    # 10. Delete it (the page has asked for confirmation): the list is empty, nothing is open.
    assert c.can_delete()
    c.delete_session(sid)
    settle(qtbot, w)
    assert m.sessions == [] and m.session is None and m.status is None


def test_a_session_with_a_medical_grade_needle_is_postponed_at_the_check(qtbot, window, photos):
    w, m, c = window, window.model, window.controller
    c.new_session(device="pen", needle_mm=1.0, treated_regions=("forehead",), treated_at=photos["treated_at"])
    settle(qtbot, w)
    c.import_paths([photos["baseline"]], "check")
    settle(qtbot, w)
    assert w.current_page() == "check"
    assert m.answers == {"device": "pen", "needle_mm": 1.0}  # from the session
    assert w.check.verdict.decision == "postpone"
    assert "1 mm are medical grade" in w.check.banner.body.text()
    assert protocol.SRC_NEEDLE in w.check.banner.body.text()
    assert not w.check.questions.inputs["roller_reused"].isEnabled()  # a pen is not a roller


def test_a_photo_dated_after_treatment_cannot_be_the_baseline(qtbot, window, photos):
    w, m, c = window, window.model, window.controller
    c.new_session(
        device="patch", needle_mm=0.25, treated_regions=("forehead",), treated_at=photos["treated_at"]
    )
    settle(qtbot, w)
    c.import_paths([photos["follow_ups"][0]], "check")
    settle(qtbot, w)
    assert "after the treatment started" in w.message_bar.text()
    assert m.baseline is None  # nothing half-saved


def test_setting_the_baseline_analyses_the_photo_once(qtbot, window, photos, monkeypatch):
    """The tracker's analysis (made to check and store the photo) is the one the page shows."""
    from skintrack.core import analysis as analysis_module

    calls = []
    real = analysis_module.analyze_photo

    def counting(photo, *args, **kwargs):
        calls.append(photo)
        return real(photo, *args, **kwargs)

    monkeypatch.setattr(analysis_module, "analyze_photo", counting)
    w, m, c = window, window.model, window.controller
    c.new_session(device="roller", needle_mm=0.25, treated_regions=TREATED, treated_at=photos["treated_at"])
    settle(qtbot, w)
    calls.clear()
    c.import_paths([photos["baseline"]], w.capture.purpose())
    settle(qtbot, w)
    assert m.baseline is not None and m.baseline.face is not None
    assert m.analysis_photo_id is not None and m.analysis.findings is not None
    assert len(calls) == 1
