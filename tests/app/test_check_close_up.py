"""The Check page's close-up option (issue 14): a photo of one patch of skin, no face."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from skintrack.app.model import AppModel
from skintrack.app.pages.check import DECISION_TEXT
from tests.app.test_pages import check_page

NO_RISK = {
    "pregnant_or_breastfeeding": False,
    "keloid_prone": False,
    "anticoagulants": False,
    "device": "patch",
    "needle_mm": 0.25,
    "disinfected_hands_face_tool": True,
    "beginner": False,
    "room_clean": True,
    "room_ventilated": True,
}


def _wound_close_up(engine, load_sample):
    """The analysis of a 40 mm cut around an 8 mm wound painted on a real face (the app assumes
    a 100 mm frame: sizes read 2.5 times larger, which the verdict does not depend on)."""
    from skintrack.core.analysis import analyze_photo
    from skintrack.core.intake import photo_from_array
    from skintrack.simulate.lesions import _mm_per_px, render

    photo = load_sample("aptus_2.png")
    face = engine.detect(photo.rgb).face
    rgb, les = render(photo.rgb, face, "open_wound", "right_cheek", 8.0, seed=1)
    half = int(round(20.0 / _mm_per_px(face)))
    crop = np.ascontiguousarray(
        rgb[max(0, int(les.y) - half) : int(les.y) + half, max(0, int(les.x) - half) : int(les.x) + half]
    )
    return analyze_photo(photo_from_array(crop), engine)


def test_a_wound_close_up_postpones_once_the_box_is_ticked(qtbot, engine, load_sample):
    analysis = _wound_close_up(engine, load_sample)
    model = AppModel()
    page = check_page(qtbot, model)
    model.set_analysis(analysis)
    model.set_answers(NO_RISK)
    # As a face photo: no face, so the skin cannot be judged; the hint points to the box.
    assert analysis.face is None and page.verdict.decision == "review"
    assert "tick the box" in page.findings_hint.text()
    page.close_up_box.setChecked(True)
    assert model.close_up and model.close_up_result is not None
    assert page.verdict.decision == "postpone", [r.text for r in page.verdict.reasons]
    assert page.banner.headline.text() == DECISION_TEXT["postpone"][0]
    assert "assumed" in page.close_up_hint.text()
    assert not any(b.isEnabled() for b in page.region_boxes.values())
    wound = [r for r in page.rows if r.finding.kind == "open_wound"]
    assert wound
    # Dismissing it, as on a face, leaves only the photo's scale: 157 px taken as 100 mm is
    # coarser than the 0.6 mm per pixel the check asks for (REVIEW, "take it closer").
    for row in list(page.rows):
        page.finding_choice.emit(row.finding.id, "dismissed")
    assert page.verdict.decision == "review"
    assert [r.rule_id for r in page.verdict.reasons] == ["safety_first"]
    assert "pixels per millimetre" in page.verdict.reasons[0].text
    # Unticked: back to the face check.
    page.close_up_box.setChecked(False)
    assert page.verdict.decision == "review" and all(b.isEnabled() for b in page.region_boxes.values())


def test_a_close_up_asks_the_beginner_question_on_a_first_session_only(qtbot, engine, load_sample):
    """The person's choices weigh the same on a close-up as on a face: on a later session the
    beginner question does not apply, so leaving it unanswered asks for nothing."""
    from datetime import timedelta

    from tests.app.test_pages import summary

    model = AppModel()
    page = check_page(qtbot, model)
    model.set_analysis(_wound_close_up(engine, load_sample))
    model.set_answers({k: v for k, v in NO_RISK.items() if k != "beginner"})
    page.close_up_box.setChecked(True)
    asked = [r for r in page.verdict.reasons if r.rule_id == "questions"]
    assert asked and "beginner" in asked[0].text
    first = summary(1)
    second = replace(summary(2), treated_at=first.treated_at + timedelta(days=7))
    model.set_sessions([first, second])
    model.set_session(second)
    assert not model.first_session and model.close_up
    assert not [r for r in page.verdict.reasons if r.rule_id == "questions"]
