"""The pre-treatment verdict: every rule, with its protocol sentence."""

from __future__ import annotations

from dataclasses import replace

import pytest

from skintrack.core import protocol
from skintrack.core.lesions import Finding
from skintrack.core.quality import BLURRED, NO_FACE, Quality
from skintrack.core.questionnaire import Answers, unanswered
from skintrack.core.skin import OFF_SKIN_WORDS
from skintrack.core.verdict import (
    CERTAIN_PUSTULE_SCORE,
    CERTAIN_SCORE,
    MAX_CHECK_MM_PER_PX,
    Reason,
    Verdict,
    certain_score,
    why_not_counted,
)
from skintrack.core.verdict import decide as _decide

GOOD = Quality(())
#: Every protocol question answered, none of them a risk: since issue 13 GO needs the answers, so
#: the rules about findings and the photo are tested with them given.
NO_RISK = Answers(
    pregnant_or_breastfeeding=False,
    keloid_prone=False,
    anticoagulants=False,
    device="pen",
    needle_mm=0.5,
    disinfected_hands_face_tool=True,
    beginner=False,
    room_clean=True,
    room_ventilated=True,
)


def decide(findings, quality, *, answers=NO_RISK, **kw):
    return _decide(findings, quality, answers=answers, **kw)


def finding(kind="pustule", region="left_cheek", score=0.9, near=(), fid=None):
    return Finding(
        id=fid or f"{kind}-{region}",
        kind=kind,
        x=10.0,
        y=20.0,
        radius_px=3.0,
        diameter_mm=2.0,
        region=region,
        score=score,
        near_regions=near,
    )


def test_go_when_nothing_stands_against_treatment():
    # One uncertain papule is "almost clear" skin (issue 13: more than one, or a nodule, asks for
    # a look); so is one comedone, however certain ("rare non-inflamed lesions").
    for alone in (finding("papule", score=0.5), finding("comedone", score=0.95)):
        v = decide([alone], GOOD, answers=NO_RISK)
        assert v.decision == "go" and v.reasons == () and v.go
    assert decide([], GOOD, answers=NO_RISK).go


def test_comedones_add_to_the_expected_acne_spots():
    # The kind names are unchecked (ADR 0209/0211): a comedone may be an inflamed spot, so with an
    # uncertain papule it makes more than one expected acne spot, and two comedones do too.
    both = [finding("papule", score=0.5), finding("comedone", score=0.9)]
    v = decide(both, GOOD, answers=NO_RISK)
    assert v.decision == "review" and v.reasons[0].rule_id == "inflamed_acne"
    assert set(v.reasons[0].finding_ids) == {"papule-left_cheek", "comedone-left_cheek"}
    assert "2 acne spots" in v.reasons[0].text and "one of them looking like a red bump" in v.reasons[0].text
    two = [finding("comedone", score=0.6, fid="c0"), finding("comedone", score=0.6, fid="c1")]
    v = decide(two, GOOD, answers=NO_RISK)
    assert v.decision == "review" and "red bump" not in v.reasons[0].text.split(".")[0]
    # Too faint to count, they add nothing; dismissed, they are gone.
    faint = [finding("comedone", score=protocol.INFLAMED_MIN_CERTAINTY - 0.01, fid=f"c{i}") for i in range(9)]
    assert decide(faint, GOOD, answers=NO_RISK).go
    assert decide(two, GOOD, answers=NO_RISK, dismissed={"c0"}).go


@pytest.mark.parametrize("kind", protocol.POSTPONE_KINDS)
def test_postpone_for_each_suspending_kind_in_a_treated_region(kind):
    v = decide([finding(kind)], GOOD, treated=["left_cheek"])
    assert v.decision == "postpone"
    (r,) = v.reasons
    assert r.rule_id == "skin_suspend" and r.source_sentence == protocol.SRC_SKIN_SUSPEND
    assert r.finding_ids == (f"{kind}-left_cheek",)


def test_only_treated_or_neighbouring_regions_count():
    f = finding("pustule", region="forehead")
    assert decide([f], GOOD, treated=["chin"]).decision == "go"
    assert decide([f], GOOD).decision == "postpone"  # no regions given: the whole face
    near = finding("cold_sore", region="lips", near=("perioral", "chin"))
    assert decide([near], GOOD, treated=["perioral"]).decision == "postpone"
    assert decide([near], GOOD, treated=["forehead"]).decision == "go"


def test_dismissed_findings_are_ignored_and_confirmed_ones_are_certain():
    sure, unsure = finding(fid="a", score=0.95), finding(fid="b", score=CERTAIN_PUSTULE_SCORE - 0.05)
    assert decide([sure], GOOD, dismissed={"a"}).decision == "go"
    v = decide([unsure], GOOD)
    assert v.decision == "review" and v.reasons[0].rule_id == "safety_first"
    assert "confirm or dismiss" in v.reasons[0].text
    assert decide([unsure], GOOD, confirmed={"b"}).decision == "postpone"
    assert decide([sure, unsure], GOOD, dismissed={"a", "b"}).decision == "go"


def test_a_pustule_calibrated_certainty_and_a_rule_score_have_their_own_bars():
    """A pustule's score is a calibrated share of real lesions (one in three decides); a wound's,
    crust's or cold sore's is a rule score (0.6 decides)."""
    assert certain_score("pustule") == CERTAIN_PUSTULE_SCORE < CERTAIN_SCORE
    for kind in ("open_wound", "crust", "cold_sore"):
        assert certain_score(kind) == CERTAIN_SCORE
    mid = (CERTAIN_PUSTULE_SCORE + CERTAIN_SCORE) / 2
    assert decide([finding("pustule", score=mid)], GOOD).decision == "postpone"
    assert decide([finding("open_wound", score=mid)], GOOD).decision == "review"
    assert decide([finding("pustule", score=CERTAIN_PUSTULE_SCORE - 0.01)], GOOD).decision == "review"


def test_a_poor_photo_asks_for_review():
    v = decide([], Quality((BLURRED,)))
    assert v.decision == "review" and BLURRED.message in v.reasons[0].text
    assert decide([], Quality((NO_FACE,))).decision == "review"
    # A certain postponing finding outranks a photo problem; both reasons are given.
    v = decide([finding()], Quality((BLURRED,)))
    assert v.decision == "postpone" and [r.decision for r in v.reasons] == ["postpone", "review"]


@pytest.mark.parametrize("condition", protocol.ADVISED_AGAINST_CONDITIONS)
def test_people_advised_against_are_postponed(condition):
    v = decide([], GOOD, answers=Answers(**{condition: True}))
    assert v.decision == "postpone"
    assert v.reasons[0].rule_id == "advised_against"
    assert v.reasons[0].source_sentence == protocol.SRC_ADVISED_AGAINST


def test_needle_length_limit_is_strictly_over_half_a_millimetre():
    assert decide([], GOOD, answers=replace(NO_RISK, needle_mm=0.5)).decision == "go"
    assert decide([], GOOD, answers=replace(NO_RISK, needle_mm=0.25)).decision == "go"
    v = decide([], GOOD, answers=Answers(needle_mm=0.75))
    assert v.decision == "postpone" and v.reasons[0].source_sentence == protocol.SRC_NEEDLE
    assert "medical grade" in v.reasons[0].text


def test_disinfection_rules():
    assert decide([], GOOD, answers=Answers(disinfected_hands_face_tool=False)).decision == "postpone"
    for how in ("none", "other"):
        v = decide([], GOOD, answers=Answers(device="roller", roller_reused=True, roller_disinfection=how))
        assert v.decision == "postpone" and v.reasons[0].rule_id == "disinfection"
        assert "75 %" in v.reasons[0].text and "10 minutes" in v.reasons[0].text
    for how in ("alcohol_75_10min", "uv_box"):
        assert (
            decide(
                [],
                GOOD,
                answers=replace(NO_RISK, device="roller", roller_reused=True, roller_disinfection=how),
            ).decision
            == "go"
        )


def test_records_and_self_checks():
    v = decide([finding()], GOOD, treated=["left_cheek", "left_cheek"])
    rec = v.to_record()
    assert rec["decision"] == "postpone" and rec["treated"] == ["left_cheek"]
    assert rec["reasons"][0]["source"] == protocol.SRC_SKIN_SUSPEND
    # A finding read back from its record decides alike (storage gives back Finding objects).
    assert decide([Finding.from_record(finding().to_record())], GOOD).decision == "postpone"
    with pytest.raises(ValueError, match="unknown region"):
        decide([], GOOD, treated=["jaw"])
    with pytest.raises(ValueError):
        Reason("x", "skin_suspend", "another sentence")
    with pytest.raises(ValueError):
        Verdict("go", (Reason("x", "skin_suspend", protocol.SRC_SKIN_SUSPEND),))


def test_a_photo_too_coarse_to_show_small_pustules_asks_for_review():
    coarse = decide([], GOOD, mm_per_px=MAX_CHECK_MM_PER_PX * 1.2)
    assert coarse.decision == "review"
    (reason,) = coarse.reasons
    assert reason.rule_id == "safety_first" and reason.source_sentence == protocol.SRC_SAFETY_FIRST
    assert "pixels per millimetre" in reason.text and "closer" in reason.text
    # Fine enough, or no scale known: nothing to say about the photo.
    assert decide([], GOOD, mm_per_px=MAX_CHECK_MM_PER_PX * 0.9).decision == "go"
    assert decide([], GOOD, mm_per_px=None).decision == "go"
    # A pustule on a coarse photo still postpones: what is seen counts.
    assert decide([finding()], GOOD, mm_per_px=1.0).decision == "postpone"


# --- issue 13: only skin decides, the inflamed-acne rung, the questions rung ---------------------
def test_findings_off_the_skin_or_off_the_regions_do_not_count():
    hair = replace(finding("pustule", region=None, near=("forehead",)), off_skin="hair")
    assert decide([hair], GOOD).decision == "go"
    assert why_not_counted(hair) == OFF_SKIN_WORDS["hair"]
    edge = finding("pustule", region=None, fid="edge")
    assert decide([edge], GOOD).decision == "go"
    assert "edge of the face" in why_not_counted(edge)
    # The same spot on the skin, next to the forehead, postpones.
    on_skin = replace(hair, off_skin="")
    assert why_not_counted(on_skin) == ""
    assert decide([on_skin], GOOD).decision == "postpone"
    # Records as stored carry the reason too.
    assert decide([Finding.from_record(hair.to_record())], GOOD).decision == "go"
    assert Finding.from_record(hair.to_record()).off_skin == "hair"


def test_inflamed_acne_on_a_treated_region_asks_for_review_with_its_source():
    papules = [finding("papule", score=0.6, fid=f"p{i}") for i in range(2)]
    v = decide(papules, GOOD)
    assert v.decision == "review"
    (r,) = v.reasons
    assert r.rule_id == "inflamed_acne" and r.source_sentence == protocol.SRC_SAFETY_FIRST
    assert set(r.finding_ids) == {"p0", "p1"} and "inflamed acne" in r.text
    assert "left cheek" in r.text and "bacteria" in r.text
    # Not where the treatment goes, dismissed, or off the skin: no reason.
    assert decide(papules, GOOD, treated=["forehead"]).decision == "go"
    assert decide(papules, GOOD, dismissed={"p0", "p1"}).decision == "go"
    # (One dismissed leaves a certain one, evidence on its own: ADR 0211.)
    assert decide(papules, GOOD, dismissed={"p0"}).reasons[0].finding_ids == ("p1",)
    assert decide([replace(p, off_skin="ear") for p in papules], GOOD).decision == "go"
    # One papule of modest certainty is not active acne (ADR 0211) ...
    modest = (protocol.INFLAMED_MIN_CERTAINTY + protocol.INFLAMED_CERTAIN) / 2
    assert decide([finding("papule", score=modest)], GOOD).decision == "go"
    # ... a confirmed one is certain, and a certain one is evidence on its own ...
    assert decide([finding("papule", score=modest, fid="p0")], GOOD, confirmed={"p0"}).decision == "review"
    # ... spots certain enough to count add up to more than one expected lesion ...
    n = int(protocol.INFLAMED_EXPECTED_MAX / modest) + 1
    counted = [finding("papule", score=modest, fid=f"f{i}") for i in range(n)]
    assert decide(counted, GOOD).decision == "review"
    # ... while faint ones (the detector reports such spots on clear skin too) add nothing ...
    faint = [finding("papule", score=protocol.INFLAMED_MIN_CERTAINTY - 0.2, fid=f"f{i}") for i in range(4)]
    assert decide(faint, GOOD).decision == "go"
    # ... and a certain nodule alone is beyond "mild".
    assert decide([finding("nodule", score=CERTAIN_SCORE)], GOOD).decision == "review"
    assert decide([finding("nodule", score=CERTAIN_SCORE - 0.1)], GOOD).decision == "go"


def test_any_unanswered_question_asks_for_review():
    v = _decide([], GOOD)  # no answers at all
    assert v.decision == "review"
    (r,) = v.reasons
    assert r.rule_id == "questions" and r.source_sentence == protocol.SRC_SAFETY_FIRST
    assert r.text.startswith("11 of the protocol's questions are not answered")  # 8 + 3 (issue 17)
    partial = replace(NO_RISK, keloid_prone=None)
    (r,) = _decide([], GOOD, answers=partial).reasons
    assert r.rule_id == "questions" and "keloids" in r.text and r.text.startswith("1 of")
    # Roller questions do not apply to a pen, and how a roller was disinfected not to a new one.
    assert unanswered(NO_RISK) == ()
    assert unanswered(replace(NO_RISK, device="roller")) == ("roller_reused", "roller_disinfection")
    assert unanswered(replace(NO_RISK, device="roller", roller_reused=False)) == ()
    # A postponing answer still postpones with others missing; the missing ones are listed too.
    v = _decide([], GOOD, answers=Answers(anticoagulants=True))
    assert v.decision == "postpone" and {r.rule_id for r in v.reasons} == {"advised_against", "questions"}


def test_the_ladder_orders_reasons_most_serious_first():
    v = _decide(
        [finding("pustule", fid="sure"), finding("open_wound", score=CERTAIN_SCORE - 0.1, fid="unsure")],
        Quality((BLURRED,)),
    )
    decisions = [r.decision for r in v.reasons]
    assert v.decision == "postpone" and decisions == sorted(decisions, key=lambda d: d != "postpone")
    assert {r.rule_id for r in v.reasons} == {"skin_suspend", "safety_first", "questions"}


def test_checklist_answers_feed_the_ladder():
    """Issue 17: a beginner with a roller or a pen is advice, not a postponement; a patch needs
    none; a reused roller's risk is advice; a room that is not clean asks for review, one that is
    not ventilated is advice; the beginner question applies on a first session only."""
    from skintrack.core.questionnaire import CHECKLIST, checklist_state

    for device in ("roller", "pen"):
        v = _decide(
            [],
            GOOD,
            answers=replace(
                NO_RISK, device=device, beginner=True, roller_reused=False if device == "roller" else None
            ),
        )
        assert v.decision == "go" and v.reasons == ()
        [note] = v.advice
        assert note.rule_id == "device_choice" and note.source_sentence == protocol.SRC_PATCH
        assert "patches are the safest choice" in note.text
    assert _decide([], GOOD, answers=replace(NO_RISK, device="patch", beginner=True)).advice == ()
    v = _decide(
        [], GOOD, answers=replace(NO_RISK, device="roller", roller_reused=True, roller_disinfection="uv_box")
    )
    assert v.decision == "go" and [n.rule_id for n in v.advice] == ["roller_reuse"]
    assert v.advice[0].source_sentence == protocol.SRC_ROLLER_REUSE
    v = _decide([], GOOD, answers=replace(NO_RISK, room_clean=False))
    assert v.decision == "review" and [r.rule_id for r in v.reasons] == ["environment"]
    v = _decide([], GOOD, answers=replace(NO_RISK, room_ventilated=False))
    assert v.decision == "go" and v.advice[0].source_sentence == protocol.SRC_ENVIRONMENT
    for open_q in ("room_clean", "room_ventilated", "beginner"):
        v = _decide([], GOOD, answers=replace(NO_RISK, **{open_q: None}))
        assert v.decision == "review" and v.reasons[0].rule_id == "questions", open_q
    later = _decide([], GOOD, answers=replace(NO_RISK, beginner=None), first_session=False)
    assert later.decision == "go"
    assert "advice" in later.to_record()
    states = {i.id: checklist_state(i, replace(NO_RISK, room_ventilated=False)) for i in CHECKLIST}
    assert states == {"device": "ok", "room": "attention", "disinfection": "ok"}
    assert {i.id: checklist_state(i, None) for i in CHECKLIST} == dict.fromkeys(
        ("device", "room", "disinfection"), "open"
    )
