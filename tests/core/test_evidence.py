"""Evidence from the skin (issue 13): the rules' calibrated certainty and the inflamed-acne rung,
kinds and certainties in, the verdict's rung out."""

from __future__ import annotations

from dataclasses import replace

import pytest

from skintrack.core import evidence, protocol
from skintrack.core.evidence import (
    CLOSE_UP_RULES,
    FACE_RULES,
    RULE_KINDS,
    RuleCalibration,
    calibrate,
    inflamed_evidence,
    rule_certainty,
    too_uncertain,
)
from skintrack.core.lesions import Finding
from skintrack.core.quality import Quality
from skintrack.core.questionnaire import Answers
from skintrack.core.verdict import CERTAIN_SCORE, TOO_UNCERTAIN_WORDS, decide, why_not_counted

GOOD = Quality(())
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


def finding(kind, score, region="left_cheek", fid=None):
    return Finding(
        id=fid or f"{kind}-{score}",
        kind=kind,
        x=10.0,
        y=20.0,
        radius_px=3.0,
        diameter_mm=4.0,
        region=region,
        score=score,
    )


TABLE = RuleCalibration(scores=(0.5, 0.8, 0.95), found=(20, 16, 4), real=24, clear=(30, 6, 0), faces=300)


def test_rule_certainty_is_bayes_rule_on_the_measured_rates():
    p = 0.02
    found, clear = (16 + 0.5) / 25, (6 + 0.5) / 301
    expect = p * found / (p * found + (1 - p) * clear)
    assert TABLE.certainty(0.8, p) == pytest.approx(expect, abs=1e-3)
    assert TABLE.certainty(0.85, p) == TABLE.certainty(0.8, p)  # the bar at or below the score
    # A rule that never fired on clear skin is not proof of certainty: smoothed, capped.
    assert TABLE.certainty(0.99, p) < 0.99 or TABLE.certainty(0.99, 0.5) == 0.99
    # The prior matters: the same finding is surer where lesions are more common.
    assert TABLE.certainty(0.8, 0.5) > TABLE.certainty(0.8, 0.02)


def test_rule_certainty_never_falls_as_the_rule_score_rises():
    dip = RuleCalibration(scores=(0.5, 0.7, 0.9), found=(20, 19, 5), real=24, clear=(30, 2, 2), faces=300)
    values = [dip.certainty(s, 0.02) for s in (0.5, 0.6, 0.7, 0.8, 0.9, 0.99)]
    assert values == sorted(values)
    # Below the lowest bar a finding reads as the lowest bar (the rule reports nothing lower).
    assert dip.certainty(0.1, 0.02) == dip.certainty(0.5, 0.02)


def test_rule_calibrations_validate_themselves():
    with pytest.raises(ValueError):
        RuleCalibration(scores=(0.8, 0.5), found=(1, 1), real=2, clear=(1, 1), faces=3)
    with pytest.raises(ValueError):
        RuleCalibration(scores=(0.5,), found=(1, 2), real=2, clear=(1,), faces=3)
    with pytest.raises(ValueError):
        RuleCalibration(scores=(0.5,), found=(1,), real=0, clear=(1,), faces=3)


def test_every_rule_kind_has_a_face_and_a_close_up_calibration():
    assert set(FACE_RULES) == set(RULE_KINDS) == set(CLOSE_UP_RULES)
    for table in (*FACE_RULES.values(), *CLOSE_UP_RULES.values()):
        assert table.real > 0 and table.faces >= 100


def test_calibrate_turns_rule_scores_into_certainties_and_leaves_acne_alone():
    fs = (finding("open_wound", 0.9), finding("papule", 0.4), finding("pustule", 0.7))
    out = calibrate(fs)
    assert (
        out[0].score
        == rule_certainty("open_wound", 0.9)
        == FACE_RULES["open_wound"].certainty(0.9, protocol.LESION_PREVALENCE)
    )
    assert out[1:] == fs[1:]
    close = calibrate(fs, close_up=True)
    assert close[0].score == CLOSE_UP_RULES["open_wound"].certainty(0.9, protocol.CLOSE_UP_LESION_PREVALENCE)
    assert rule_certainty("papule", 0.37) == 0.37


def test_a_too_uncertain_rule_finding_is_shown_but_no_evidence():
    low = protocol.EVIDENCE_MIN_CERTAINTY - 0.01
    faint = finding("cold_sore", low, region="perioral", fid="faint")
    assert too_uncertain("cold_sore", low) and not too_uncertain("cold_sore", low + 0.02)
    assert not too_uncertain("pustule", 0.05)  # acne kinds: the detector's own threshold
    assert why_not_counted(faint) == TOO_UNCERTAIN_WORDS
    assert decide([faint], GOOD, answers=NO_RISK).decision == "go"
    # Uncertain but evidence: review; certain: postpone; confirmed by the person: postpone.
    mid = replace(faint, score=protocol.EVIDENCE_MIN_CERTAINTY + 0.05)
    assert decide([mid], GOOD, answers=NO_RISK).decision == "review"
    assert decide([replace(faint, score=CERTAIN_SCORE)], GOOD, answers=NO_RISK).decision == "postpone"
    v = decide([faint], GOOD, answers=NO_RISK, confirmed={"faint"})
    assert v.decision == "postpone" and v.reasons[0].finding_ids == ("faint",)


def test_inflamed_rung_counts_certain_enough_findings_only():
    lo, t, sure = (protocol.INFLAMED_MIN_CERTAINTY, protocol.INFLAMED_EXPECTED_MAX, protocol.INFLAMED_CERTAIN)
    s = (lo + sure) / 2  # certain enough to count, not certain alone
    n = int(t / s) + 1  # just enough of them to expect more than t real lesions
    many = [(f"p{i}", "papule", s) for i in range(n)]
    ev = inflamed_evidence(many)
    assert ev.active and ev.expected == pytest.approx(n * s) and len(ev.ids) == n
    assert not ev.certain
    assert not inflamed_evidence(many[:-1]).active
    # Below the certainty that counts they add nothing, however many.
    faint = [(f"f{i}", "papule", lo - 0.01) for i in range(50)]
    assert not inflamed_evidence(faint).active and inflamed_evidence(faint).ids == ()
    # One certain papule or nodule is evidence on its own; a modest one is not.
    for kind in ("papule", "nodule"):
        assert inflamed_evidence([("x", kind, sure)]).active
        assert not inflamed_evidence([("x", kind, sure - 0.01)]).active
    assert not inflamed_evidence([]).active
    # A comedone adds to the expected number (its name is unchecked) but is not evidence alone.
    assert not inflamed_evidence([("c", "comedone", 0.99)]).active
    pair = inflamed_evidence([("c", "comedone", sure), ("d", "comedone", sure)])
    assert pair.active and not pair.certain and pair.ids == ("c", "d")


def test_inflamed_rung_in_the_verdict_one_modest_papule_is_not_evidence():
    lo, sure = protocol.INFLAMED_MIN_CERTAINTY, protocol.INFLAMED_CERTAIN
    one = finding("papule", (lo + sure) / 2, fid="p")
    assert decide([one], GOOD, answers=NO_RISK).decision == "go"
    s = (lo + sure) / 2
    n = int(protocol.INFLAMED_EXPECTED_MAX / s) + 1
    many = [finding("papule", s, fid=f"p{i}") for i in range(n)]
    v = decide(many, GOOD, answers=NO_RISK)
    assert v.decision == "review" and v.reasons[0].rule_id == "inflamed_acne"
    assert set(v.reasons[0].finding_ids) == {f"p{i}" for i in range(n)}
    # A certain one alone, or one the person confirms, is evidence.
    v = decide([replace(one, score=sure)], GOOD, answers=NO_RISK)
    assert v.decision == "review"
    assert "1 acne spot on" in v.reasons[0].text and "that looks like a red bump" in v.reasons[0].text
    assert decide([one], GOOD, answers=NO_RISK, confirmed={"p"}).decision == "review"
    # Off the treated regions they do not count; next to one (within 10 mm) they do, as the
    # postponing kinds do.
    assert decide(many, GOOD, answers=NO_RISK, treated=["forehead"]).decision == "go"
    beside = [replace(f, region=None, near_regions=("left_cheek",)) for f in many]
    v = decide(beside, GOOD, answers=NO_RISK, treated=["left_cheek"])
    assert v.decision == "review" and "left cheek" in v.reasons[0].text
    assert decide(beside, GOOD, answers=NO_RISK, treated=["chin"]).decision == "go"


def test_the_evidence_numbers_are_protocol_constants():
    for name in (
        "LESION_PREVALENCE",
        "CLOSE_UP_LESION_PREVALENCE",
        "EVIDENCE_MIN_CERTAINTY",
        "INFLAMED_MIN_CERTAINTY",
        "INFLAMED_EXPECTED_MAX",
        "INFLAMED_CERTAIN",
    ):
        assert isinstance(getattr(protocol, name), float)
    assert 0 < protocol.LESION_PREVALENCE < protocol.CLOSE_UP_LESION_PREVALENCE <= 0.5
    assert 0 < protocol.EVIDENCE_MIN_CERTAINTY < CERTAIN_SCORE
    # "A certain one" is the verdict's own certain score, not a second bar.
    assert protocol.INFLAMED_CERTAIN == CERTAIN_SCORE
    assert protocol.INFLAMED_MIN_CERTAINTY < protocol.INFLAMED_CERTAIN
    assert evidence.RULE_KINDS == ("open_wound", "crust", "cold_sore")


def test_a_rule_finding_is_judged_on_the_skin_beyond_its_own_rim():
    """The rules measure a lesion's core; its rim (a scab's edge, its shadow) is darker than skin
    and reads as hair. Wounds, crusts and cold sores are judged by the ring beyond twice their
    radius; acne spots keep the skin map's own ring."""
    import numpy as np

    from skintrack.core.skin import SkinMap

    yy, xx = np.mgrid[0:100, 0:100]
    d = np.hypot(xx - 50, yy - 50)
    label = np.zeros((100, 100), np.uint8)  # skin
    label[(d >= 3) & (d <= 7.5)] = 1  # a dark rim around the lesion, read as hair
    skin = SkinMap(
        label=label,
        origin=(0, 0),
        scale=1.0,
        skin_lab=(60.0, 12.0, 15.0),
        spread=(6.0, 2.5, 3.0),
        mm_per_px=0.5,
    )
    crust = Finding(
        id="c",
        kind="crust",
        x=50.0,
        y=50.0,
        radius_px=3.0,
        diameter_mm=3.0,
        region="forehead",
        score=0.99,
        off_skin="hair",
    )
    papule = replace(crust, id="p", kind="papule", score=0.5)
    assert skin.judge(50, 50, 3.0, "crust") == "hair"  # the ring at the radius: the rim
    out = calibrate((crust, papule), skin=skin)
    assert out[0].off_skin == "" and not why_not_counted(out[0])
    assert out[1].off_skin == "hair"  # acne kinds: as the skin map judged them
    # Real hair all around stays hair at twice the radius too.
    label[(d >= 3) & (d <= 20)] = 1
    assert calibrate((crust,), skin=skin)[0].off_skin == "hair"
