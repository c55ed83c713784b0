"""Pages on their own: the model changes, the view follows (sessions, check, recovery, compare)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QMessageBox

from skintrack.app.model import AppModel, SessionSummary
from skintrack.app.pages.check import DECISION_TEXT, CheckPage
from skintrack.app.pages.check_findings import finding_close_up, finding_colour
from skintrack.app.pages.compare import ComparePage
from skintrack.app.pages.recovery import RecoveryPage, chart_data
from skintrack.app.pages.sessions import NewSessionDialog, SessionsPage
from skintrack.core import protocol
from skintrack.core.questionnaire import Answers


def summary(i, photos=2, baseline=True):
    return SessionSummary(
        i, datetime(2026, 11, 20, 9, 0, tzinfo=UTC), "roller", 0.25, ("left_cheek",), photos, baseline
    )


def test_sessions_page_lists_sessions_and_confirms_before_deleting(qtbot, monkeypatch):
    model = AppModel()
    page = SessionsPage(model, can_delete=True)
    qtbot.addWidget(page)
    assert "No sessions yet" in page.current.text()
    model.set_sessions([summary(1), summary(2, photos=0, baseline=False)])
    assert page.table.rowCount() == 2
    assert page.table.item(1, 5).text() == "not yet"
    assert not page.open_button.isEnabled()
    page.table.selectRow(1)
    assert page.selected_id() == 2 and page.open_button.isEnabled()
    with qtbot.waitSignal(page.open_requested) as sig:
        page.open_button.click()
    assert sig.args == [2]
    deleted = []
    page.delete_requested.connect(deleted.append)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    page.delete_selected()
    assert deleted == []  # cancelled: nothing asked of the controller
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    page.delete_selected()
    assert deleted == [2]


def test_sessions_page_without_delete_or_export_support_disables_them(qtbot):
    model = AppModel()
    page = SessionsPage(model, can_delete=False, can_export=False)
    qtbot.addWidget(page)
    model.set_sessions([summary(1)])
    page.table.selectRow(0)
    assert not page.delete_button.isEnabled() and not page.export_button.isEnabled()
    assert "not available" in page.delete_button.toolTip()


def test_new_session_dialog_needs_an_area_and_warns_above_home_needles(qtbot):
    d = NewSessionDialog()
    qtbot.addWidget(d)
    ok = d.buttons.buttons()[0]
    assert not ok.isEnabled()
    d.region_boxes["forehead"].setChecked(True)
    assert ok.isEnabled()
    d.needle.setValue(1.0)
    assert "medical grade" in d.needle_note.text()
    d.needle.setValue(0.5)
    assert "Home range" in d.needle_note.text()
    v = d.values()
    assert v["treated_regions"] == ("forehead",) and v["needle_mm"] == 0.5
    assert v["treated_at"].tzinfo is not None
    assert v["treated_at"] > datetime.now(UTC)  # offered a little ahead: photo and check first
    assert d.result() != QDialog.DialogCode.Accepted


@pytest.fixture(scope="module")
def analysed(engine, load_sample):
    from skintrack.core.analysis import analyze_photo

    return {n: analyze_photo(load_sample(n), engine) for n in ("aptus_1.png", "aptus_4.png")}


@pytest.fixture(scope="module")
def pustule(engine, load_sample):
    """A 4 mm pustule rendered on the left cheek of a clean sample face (simulate/lesions.py),
    analysed: ``(analysis, rendered lesion, analysis of the untouched photo)``."""
    from skintrack.core.analysis import analyze_photo
    from skintrack.core.intake import photo_from_array
    from skintrack.simulate.lesions import render

    photo = load_sample(PUSTULE_FACE)
    clean = analyze_photo(photo, engine)
    rgb, lesion = render(photo.rgb, clean.face, "pustule", "left_cheek", 4.0, seed=7)
    return analyze_photo(photo_from_array(rgb), engine), lesion, clean


#: A clean frontal face (no postponing findings of its own: tests/core/test_lesions.py).
PUSTULE_FACE = "0-f15-hao-ph.jpg"


def check_page(qtbot, model):
    """A Check page wired to its model the way the controller does it (minus the saving)."""
    page = CheckPage(model)
    qtbot.addWidget(page)
    page.finding_choice.connect(model.set_finding_choice)
    page.answers_changed.connect(model.set_answers)
    return page


def expected(model):
    from skintrack.core.verdict import decide

    a = model.analysis
    answers = Answers.from_dict(model.answers) if model.answers else None
    return decide(
        list(a.findings),
        a.quality,
        answers=answers,
        treated=model.treated,
        dismissed=model.dismissed,
        confirmed=model.confirmed,
        mm_per_px=a.face.mm_per_px if a.face else None,
    )


def test_check_page_shows_the_verdict_photo_and_treated_areas(qtbot, analysed):
    model = AppModel()
    page = check_page(qtbot, model)
    assert page.banner.headline.text() == "No photo yet"
    a = analysed["aptus_1.png"]
    model.set_analysis(a)
    assert page.view.image().width() == a.photo.width
    assert page.quality_label.text().startswith("Photo quality: good")
    want = expected(model)
    assert page.verdict == want
    assert page.banner.headline.text() == DECISION_TEXT[want.decision][0]
    assert page.banner.tone == want.decision
    assert "11 questions below not answered yet" in page.banner.body.text()  # 8 + 3 (issue 17)
    assert len(page.view.circles()) == len(a.findings)
    page.region_boxes["chin"].setChecked(True)
    assert model.treated == ("chin",) and page.verdict.treated == ("chin",)
    # A three-quarter view fails the quality check: REVIEW, saying why, with the protocol's words.
    model.set_analysis(analysed["aptus_4.png"])
    assert page.banner.tone == "review"
    body = page.banner.body.text()
    assert "Turn your face" in body
    assert protocol.rule("safety_first").source in body
    assert len(page.view.circles()) == len(analysed["aptus_4.png"].findings)


def test_answering_pregnant_turns_the_verdict_to_postpone(qtbot, analysed):
    model = AppModel()
    page = check_page(qtbot, model)
    model.set_analysis(analysed["aptus_1.png"])
    before = page.verdict.decision
    assert before != "postpone"
    page.questions.answer("pregnant_or_breastfeeding", True)
    assert model.answers == {"pregnant_or_breastfeeding": True}
    assert page.verdict.decision == "postpone"
    assert page.banner.headline.text().startswith("POSTPONE")
    body = page.banner.body.text()
    assert "pregnant or breastfeeding: home microneedling is advised against" in body
    assert protocol.SRC_ADVISED_AGAINST in body  # the protocol sentence, on screen
    assert "10 questions below not answered yet" in body  # 7 + 3 checklist ones (issue 17)
    page.questions.answer("pregnant_or_breastfeeding", False)
    assert page.verdict.decision == before
    # A needle over 0.5 mm postpones too; a patch is not asked the reused-roller questions.
    page.questions.answer("needle_mm", 1.0)
    assert page.verdict.decision == "postpone"
    assert protocol.SRC_NEEDLE in page.banner.body.text()
    page.questions.answer("needle_mm", 0.25)
    page.questions.answer("roller_reused", True)
    page.questions.answer("roller_disinfection", "none")
    assert page.verdict.decision == "postpone"
    page.questions.answer("roller_reused", False)  # a new roller: how it was cleaned is moot
    assert not page.questions.inputs["roller_disinfection"].isEnabled()
    assert "roller_disinfection" not in model.answers and page.verdict.decision == before
    page.questions.answer("roller_reused", True)
    assert model.answers["roller_disinfection"] == "none"
    page.questions.answer("device", "patch")
    assert not page.questions.inputs["roller_reused"].isEnabled()
    assert "roller_reused" not in model.answers and page.verdict.decision == before
    # Every question answered, nothing against: no reminder left.
    for qid, value in (
        ("keloid_prone", False),
        ("anticoagulants", False),
        ("disinfected_hands_face_tool", True),
        ("beginner", False),
        ("room_clean", True),
        ("room_ventilated", True),
    ):
        page.questions.answer(qid, value)
    assert "not answered" not in page.banner.body.text()
    assert page.verdict == expected(model)


def test_a_rendered_pustule_on_a_treated_cheek_postpones_until_dismissed(qtbot, pustule):
    a, lesion, clean = pustule
    model = AppModel()
    page = check_page(qtbot, model)
    model.set_treated(("left_cheek",))
    model.set_analysis(a)
    assert page.verdict.decision == "postpone", [r.text for r in page.verdict.reasons]
    cited = {fid for r in page.verdict.reasons if r.decision == "postpone" for fid in r.finding_ids}
    on_it = {
        f.id
        for f in a.findings
        if f.kind == "pustule" and math.hypot(f.x - lesion.x, f.y - lesion.y) <= lesion.radius_px
    }
    assert cited and cited <= on_it  # what postpones is the painted pustule itself
    assert protocol.SRC_SKIN_SUSPEND in page.banner.body.text()
    # The postponing finding is listed first, circled red, with its zoomed crop.
    row = page.rows[0]
    assert row.finding.id in cited and row.effect.text() == "This postpones treatment."
    assert row.findChild(QLabel).pixmap().width() == 112
    circle = next(c for c in page.view.circles() if (c.x, c.y) == (row.finding.x, row.finding.y))
    assert circle.colour == finding_colour(row.finding, None) == (255, 80, 60)
    # Treating only the forehead, the cheek's pustule does not count.
    model.set_treated(("forehead",))
    assert not any(set(r.finding_ids) & cited for r in page.verdict.reasons)
    model.set_treated(("left_cheek",))
    # The person looks and dismisses it ("that is a freckle"): the verdict is recomputed.
    for fid in cited:
        page.row_for(fid).dismiss.click()
    assert model.dismissed == cited
    assert page.verdict.decision != "postpone"
    assert page.verdict == expected(model)
    assert row.effect.text() == "Dismissed: not counted." and row.dismiss.isChecked()
    circle = next(c for c in page.view.circles() if (c.x, c.y) == (row.finding.x, row.finding.y))
    assert circle.dashed and circle.colour == (170, 170, 170)
    assert page.rows[0] is row  # rows are kept, not rebuilt, so keyboard focus stays
    # Undo: postponed again.
    row.dismiss.click()
    assert page.verdict.decision == "postpone"


def test_go_is_shown_only_when_every_question_is_answered(qtbot, pustule):
    """Issue 13: a clean face with the questions unanswered is REVIEW, not a green GO."""
    _, _, clean = pustule
    model = AppModel()
    page = check_page(qtbot, model)
    model.set_analysis(clean)
    assert page.verdict.decision == "review"
    assert not page.banner.headline.text().startswith("GO")
    assert any(r.rule_id == "questions" for r in page.verdict.reasons)
    answers = {
        "pregnant_or_breastfeeding": False,
        "keloid_prone": False,
        "anticoagulants": False,
        "device": "patch",
        "needle_mm": 0.25,
        "beginner": False,
        "room_clean": True,
        "room_ventilated": True,
    }
    for qid, value in answers.items():
        page.questions.answer(qid, value)
    assert page.verdict.decision == "review"  # one question is still open
    assert "disinfection of hands, face and tool" in page.banner.body.text()
    page.questions.answer("disinfected_hands_face_tool", True)
    assert page.verdict.decision == "go", [r.text for r in page.verdict.reasons]
    assert page.banner.headline.text() == DECISION_TEXT["go"][0]
    page.questions.answer("keloid_prone", None)
    assert page.verdict.decision == "review"


def test_findings_off_the_skin_are_greyed_with_why(qtbot, engine, load_sample):
    """obama.jpg: spots on the ears (where the tree detector found some) are listed last, greyed,
    saying why they do not count, and circled grey and dashed."""
    from skintrack.core.analysis import analyze_photo
    from tests.core.test_skin import obama_with_ear_spots

    a = obama_with_ear_spots(analyze_photo(load_sample("obama.jpg"), engine))
    off = [f for f in a.findings if f.off_skin]
    assert off
    model = AppModel()
    page = check_page(qtbot, model)
    model.set_analysis(a)
    for f in off:
        row = page.row_for(f.id)
        assert row.effect.text().startswith("Not counted: on the ear")
        assert not row.title.isEnabled()
        circle = next(c for c in page.view.circles() if (c.x, c.y) == (f.x, f.y))
        assert circle.dashed and circle.colour == (170, 170, 170)
    assert not {f.id for f in off} & {i for r in page.verdict.reasons for i in r.finding_ids}


def test_refused_answers_say_what_is_wrong(qtbot, analysed):
    model = AppModel()
    page = check_page(qtbot, model)
    model.set_analysis(analysed["aptus_1.png"])
    model.set_answers({"device": "patch", "roller_reused": True})  # e.g. saved by an old version
    assert page.verdict is None and page.banner.headline.text() == "Cannot decide yet"
    assert "dissolvable patch cannot be a reused roller" in page.banner.body.text()


def test_finding_crops_are_square_even_at_the_photo_edge(analysed):
    from skintrack.core.lesions import Finding

    a = analysed["aptus_1.png"]
    for f in list(a.findings[:3]) + [Finding("edge", "papule", 2.0, 3.0, 6.0, None, None, 0.5)]:
        crop = finding_close_up(a.photo.rgb, f)
        assert crop.shape == (112, 112, 3) and crop.dtype == np.uint8


class _Fit:
    amplitude, tau_hours, resolve_hours = 5.0, 1.5, 2.4

    @staticmethod
    def predict(h):
        import numpy as np

        return 5.0 * np.exp(-np.asarray(h) / 1.5)


def _status(**kw):
    from skintrack.core.recovery import (
        Advice,
        NextPhoto,
        Observation,
        RecoveryStatus,
        RegionRecovery,
        Timer,
    )

    now = datetime.now(UTC)
    treated_at = now - timedelta(hours=2)
    obs = (Observation(0.5, 4.0, 0.4, True), Observation(1.5, 2.0, 0.4, True))
    fields = dict(
        status="on_track",
        confidence="medium",
        urgency="none",
        now=now,
        treated_at=treated_at,
        hours_since_treatment=2.0,
        predicted_resolved_at_hours=2.6,
        treated_regions=("left_cheek",),
        regions={
            "left_cheek": RegionRecovery("left_cheek", "on_track", "medium", obs),
            "forehead": RegionRecovery(
                "forehead", "resolved", "medium", (Observation(0.5, 0.1, 0.4, False),)
            ),
        },
        advice=(Advice("normal", "info", "Mild redness is normal."),),
        timers=(Timer("makeup", "No makeup", now + timedelta(hours=21.5), 24.0, True),),
        next_photo=NextPhoto(4.0, now + timedelta(hours=2), "whether the fade stays on course"),
        threshold_a_star=1.0,
    )
    fields.update(kw)
    return RecoveryStatus(**fields)


def test_recovery_page_shows_status_chart_timers_and_next_photo(qtbot):
    model = AppModel()
    page = RecoveryPage(model)
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()
    assert page.banner.headline.text() == "No session open"
    model.set_status(_status())
    assert page.banner.headline.text() == "Fading as expected"
    assert "2.6 h after treatment" in page.banner.body.text()
    assert "Mild redness is normal." in page.advice.text()
    assert "21 h 30 min left" in page.timers.text()
    assert "It will show whether the fade stays on course" in page.next_photo.text()
    assert page.chart.axes is not None
    model.set_status(_status(status="persistent", urgency="consult_dermatologist"))
    assert page.banner.tone == "postpone"
    assert "consult a dermatologist" in page.banner.body.text()


def test_recovery_page_shows_new_spots_to_look_at_with_their_crops(qtbot):
    """Issue 13: a new spot seen once is shown as a zoom to look at, and is no alarm."""
    from skintrack.core.recovery import NewFinding, assess_recovery

    model = AppModel()
    page = RecoveryPage(model)
    qtbot.addWidget(page)
    assert page.spots.isHidden()
    t0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    crop = np.full((48, 48, 3), (200, 120, 110), np.uint8)
    spot = NewFinding(
        "pustule", "left_cheek", 1.0, "f1", photo_id=3, x=10.0, y=10.0, radius_px=3.0, crop=crop
    )
    model.set_status(
        assess_recovery(
            {},
            treated_regions=("left_cheek",),
            treated_at=t0,
            now=t0 + timedelta(hours=1),
            threshold=2.0,
            spots_to_look_at=(spot,),
        )
    )
    assert not page.spots.isHidden() and page.spots.count() == 1
    item = page.spots.item(0)
    assert "pustule" in item.text() and "left cheek" in item.text()
    assert not item.icon().isNull()
    assert page.banner.tone != "postpone"
    assert "one photo only" in page.advice.text()


def test_chart_data_takes_the_treated_fit_and_all_observations():
    import dataclasses

    st = _status()
    st = dataclasses.replace(
        st, regions={**st.regions, "left_cheek": dataclasses.replace(st.regions["left_cheek"], fit=_Fit())}
    )
    d = chart_data(st)
    assert d["series"]["left_cheek"] == [(0.5, 4.0), (1.5, 2.0)]
    assert "forehead" in d["series"]
    assert d["fitted"][0] == (0.0, 5.0) and d["fitted"][-1][1] < 0.05
    assert d["threshold"] == 1.0 and d["now_hours"] == 2.0


def test_compare_swipe_moves_with_the_keyboard_and_slider(qtbot):
    model = AppModel()
    page = ComparePage(model)
    qtbot.addWidget(page)
    assert page.banner.headline.text() == "Nothing to compare yet"
    swipe = page.swipe
    swipe.setFocus()
    qtbot.keyClick(swipe, Qt.Key.Key_Right)
    assert swipe.split() == pytest.approx(0.55)
    assert page.slider.value() == 55
    page.slider.setValue(20)
    assert swipe.split() == pytest.approx(0.2)
    qtbot.keyClick(swipe, Qt.Key.Key_End)
    assert swipe.split() == 1.0


# --- issue 17: the protocol before, during and after ---------------------------------------------
def test_check_page_checklist_ticks_from_the_answers_with_its_sentences(qtbot, analysed):
    model = AppModel()
    model.set_analysis(analysed["aptus_1.png"])
    page = check_page(qtbot, model)
    texts = {i: page.checklist.items[i].text() for i in ("device", "room", "disinfection")}
    assert protocol.SRC_PATCH in texts["device"] and protocol.SRC_ENVIRONMENT in texts["room"]
    assert protocol.SRC_DISINFECT in texts["disinfection"]
    assert {i: page.checklist.state(i) for i in texts} == dict.fromkeys(texts, "open")
    safe = {
        "pregnant_or_breastfeeding": False,
        "keloid_prone": False,
        "anticoagulants": False,
        "device": "roller",
        "needle_mm": 0.25,
        "roller_reused": False,
        "disinfected_hands_face_tool": True,
        "beginner": True,
        "room_clean": True,
        "room_ventilated": True,
    }
    for qid, value in safe.items():
        page.questions.answer(qid, value)
    # A beginner with a roller: advice with its sentence, not a postponement.
    assert page.checklist.state("device") == "attention"
    assert page.checklist.state("room") == "ok" and page.checklist.state("disinfection") == "ok"
    assert page.verdict.decision != "postpone"
    assert [n.rule_id for n in page.verdict.advice] == ["device_choice"]
    body = page.banner.body.text()
    assert "dissolvable patches are the safest choice" in body and "Advice" in body
    page.questions.answer("device", "patch")
    assert page.checklist.state("device") == "ok" and page.verdict.advice == ()
    page.questions.answer("room_clean", False)
    assert page.checklist.state("room") == "attention"
    assert any(r.rule_id == "environment" for r in page.verdict.reasons)


def test_beginner_is_asked_on_a_first_session_only(qtbot, analysed):
    model = AppModel()
    model.set_analysis(analysed["aptus_1.png"])
    page = check_page(qtbot, model)
    assert page.questions.inputs["beginner"].isEnabled()
    first = summary(1)
    second = SessionSummary(2, first.treated_at + timedelta(days=7), "patch", 0.25, ("chin",), 0, False)
    model.set_sessions([first, second])
    model.set_session(second)
    assert not model.first_session and not page.questions.inputs["beginner"].isEnabled()
    assert "whether you are a beginner" not in page.banner.body.text()
    model.set_session(first)
    assert model.first_session and page.questions.inputs["beginner"].isEnabled()


def test_new_session_dialog_shows_the_technique_with_the_treated_areas(qtbot):
    d = NewSessionDialog()
    qtbot.addWidget(d)
    d.device.setCurrentIndex(d.device.findData("roller"))
    d.region_boxes["left_cheek"].setChecked(True)
    text = d.technique.text()
    assert "left cheek" in text.lower()
    for words in (
        "Cross-hatch",
        "No more than 3 passes",
        "Do not rub",
        "slightly pink",
        "repairing serum",
        "within 1 h after treatment",
    ):
        assert words in text, words
    assert "no more than three passes over any area" in text  # the protocol sentence
    d.device.setCurrentIndex(d.device.findData("patch"))
    assert "Press each patch on once" in d.technique.text()
    assert "Cross-hatch" not in d.technique.text()


def test_recovery_page_ticks_the_serum_and_says_the_end_point_plainly(qtbot):
    from skintrack.core.recovery import SERUM_STEP, Advice, Timer

    model = AppModel()
    model.set_session(summary(1))
    page = RecoveryPage(model)
    qtbot.addWidget(page)
    now = datetime.now(UTC)
    serum = Timer(
        SERUM_STEP,
        "Repairing serum or medical-grade mask, right after treatment",
        now - timedelta(hours=2),
        0.0,
        active=True,
    )
    too_red = Advice(
        "endpoint_too_red",
        "caution",
        "Right after treatment the left cheek became redder than slightly pink. Next time, lighter.",
        protocol.SRC_ENDPOINT,
    )
    model.set_status(_status(timers=(serum, *_status().timers), advice=(_status().advice[0], too_red)))
    assert not page.serum_box.isChecked() and page.serum_box.isEnabled()
    assert protocol.SRC_SERUM in page.serum_box.toolTip()
    assert "Next time, lighter" in page.advice.text()
    assert "redder than slightly pink" not in page.banner.body.text()  # no endpoint on record
    assert "Apply pressure until the skin is slightly pink" in page.advice.text()
    assert "Repairing serum" not in page.timers.text()  # the tick box, not a countdown
    assert "No makeup" in page.timers.text()
    with qtbot.waitSignal(page.serum_ticked) as sig:
        page.serum_box.click()
    assert sig.args == [True]
    done = Timer(SERUM_STEP, serum.label, serum.ends_at, 0.0, active=False, done=True)
    model.set_status(_status(timers=(done,)))
    assert page.serum_box.isChecked()
    from skintrack.core.recovery import EndpointCheck

    hard = EndpointCheck(1, 0.3, True, "left_cheek", 7.5, 0.5, 9.6, ("left_cheek",))
    model.set_status(_status(endpoint=hard))
    assert "redder than slightly pink: next time, lighter" in page.banner.body.text()
