"""The close-up check (issue 14): one patch of skin, no face mesh, the same rules and verdict."""

from __future__ import annotations

import json

import numpy as np
import pytest

from skintrack.core import closeup as C
from skintrack.core import protocol
from skintrack.core.questionnaire import Answers
from skintrack.core.regions import compute_regions
from skintrack.core.verdict import decide, why_not_counted
from skintrack.simulate.answers import NO_RISK_ANSWERS
from skintrack.simulate.lesions import _mm_per_px, place, render
from tests.conftest import SHARED_DATA

NO_RISK = Answers.from_dict(NO_RISK_ANSWERS)
#: Side of a close-up cut out of a sample face (mm).
CUT_MM = 30.0


def cut(rgb, x, y, mmpp, side_mm=CUT_MM):
    half = int(round(side_mm / 2 / mmpp))
    x0, y0 = max(0, int(x) - half), max(0, int(y) - half)
    return np.ascontiguousarray(rgb[y0 : y0 + 2 * half, x0 : x0 + 2 * half]), (x0, y0)


@pytest.mark.parametrize(
    "name, kind, where, mm",
    [
        ("aptus_2.png", "open_wound", "right_cheek", 8.0),
        ("0-f15-hao-ph.jpg", "open_wound", "right_cheek", 8.0),
        ("aptus_6.png", "crust", "forehead", 6.0),
    ],
)
def test_a_painted_lesion_cut_as_a_close_up_is_found_and_postpones(
    engine, load_sample, name, kind, where, mm
):
    photo = load_sample(name)
    face = engine.detect(photo.rgb).face
    rgb, les = render(photo.rgb, face, kind, where, mm, seed=1)
    mmpp = _mm_per_px(face)
    crop, (x0, y0) = cut(rgb, les.x, les.y, mmpp)
    cu = C.analyze_close_up(crop, mm_per_px=mmpp)
    assert cu.quality.ok and not cu.scale_assumed and cu.skin_share > 0.8
    hit = [
        f
        for f in cu.findings
        if f.kind == kind and np.hypot(f.x + x0 - les.x, f.y + y0 - les.y) <= max(les.radius_px, 4)
    ]
    assert hit, [(f.kind, f.x, f.y) for f in cu.findings]
    # Sized in mm through the given scale, within a factor 2 of the painted size.
    assert mm / 2 <= hit[0].diameter_mm <= 2 * mm
    v = decide(cu.findings, cu.quality, answers=NO_RISK, mm_per_px=cu.mm_per_px, close_up=True)
    assert v.decision == "postpone"
    assert any(r.rule_id == "skin_suspend" and hit[0].id in r.finding_ids for r in v.reasons)
    assert "photographed skin" in v.reasons[0].text


@pytest.mark.parametrize("name", ["aptus_1.png", "aptus_6.png", "obama.jpg"])
@pytest.mark.parametrize("where", ["mouth", "left_cheek", "right_cheek"])
def test_close_ups_of_clear_skin_give_go(engine, load_sample, name, where):
    photo = load_sample(name)
    face = engine.detect(photo.rgb).face
    mmpp = _mm_per_px(face)
    if where == "mouth":
        x, y = (face.xy[61] + face.xy[291] + face.xy[0] + face.xy[17]) / 4
        side = 1.8 * float(np.linalg.norm(face.xy[61] - face.xy[291])) * mmpp
    else:
        x, y = compute_regions(photo.rgb, face)[where].polygon.mean(0)
        side = 0.32 * face.width_px * mmpp
    crop, _ = cut(photo.rgb, x, y, mmpp, side)
    cu = C.analyze_close_up(crop, mm_per_px=mmpp)
    assert not [f for f in cu.findings if f.kind in protocol.POSTPONE_KINDS]
    v = decide(cu.findings, cu.quality, answers=NO_RISK, mm_per_px=cu.mm_per_px, close_up=True)
    assert v.decision == "go", [r.text for r in v.reasons]


def test_without_a_scale_the_frame_is_assumed_and_said():
    rgb = np.full((480, 640, 3), (205, 160, 140), np.uint8)
    cu = C.analyze_close_up(rgb)
    assert cu.scale_assumed and cu.mm_per_px == pytest.approx(C.ASSUMED_FRAME_MM / 640)
    assert cu.to_record()["assumed_frame_mm"] == C.ASSUMED_FRAME_MM
    assert cu.findings == () and cu.quality.ok and cu.skin_share > 0.95


def test_a_photo_without_skin_asks_for_review():
    rgb = np.zeros((300, 400, 3), np.uint8)
    rgb[:, :, 2] = 200  # blue cloth
    cu = C.analyze_close_up(rgb, mm_per_px=0.1)
    assert cu.quality.codes == ("no_skin",) and cu.findings == ()
    v = decide(cu.findings, cu.quality, answers=NO_RISK, mm_per_px=cu.mm_per_px, close_up=True)
    assert v.decision == "review"


def test_a_coarse_close_up_asks_for_review_as_a_face_does():
    rgb = np.full((120, 160, 3), (205, 160, 140), np.uint8)
    cu = C.analyze_close_up(rgb, mm_per_px=0.9)
    v = decide(cu.findings, cu.quality, answers=NO_RISK, mm_per_px=cu.mm_per_px, close_up=True)
    assert v.decision == "review" and "pixels per millimetre" in v.reasons[0].text


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), 50.0])
def test_implausible_scales_are_refused(bad):
    with pytest.raises(ValueError, match="not plausible"):
        C.check_mm_per_px(bad)


def test_on_a_close_up_every_finding_on_the_skin_counts_without_a_region():
    from skintrack.core.lesions import Finding

    f = Finding(id="a1", kind="crust", x=10, y=10, radius_px=5, diameter_mm=4.0, region=None, score=0.9)
    assert why_not_counted(f) and not why_not_counted(f, close_up=True)
    assert decide([f], None, answers=NO_RISK).decision == "go"  # a face: at its edge, not counted
    assert decide([f], None, answers=NO_RISK, close_up=True).decision == "postpone"
    off = Finding(
        id="a2",
        kind="crust",
        x=10,
        y=10,
        radius_px=5,
        diameter_mm=4.0,
        region=None,
        score=0.9,
        off_skin="hair",
    )
    assert why_not_counted(off, close_up=True)


def test_skin_and_lips_by_colour(engine, load_sample):
    import cv2

    photo = load_sample("aptus_2.png")
    face = engine.detect(photo.rgb).face
    mmpp = _mm_per_px(face)
    cx, cy = (face.xy[61] + face.xy[291] + face.xy[0] + face.xy[17]) / 4
    side = 1.8 * float(np.linalg.norm(face.xy[61] - face.xy[291])) * mmpp
    crop, (x0, y0) = cut(photo.rgb, cx, cy, mmpp, side)
    x, y = place(face, "lip_border", (0.0, 1.0))  # 1 mm inside the upper lip
    lab = cv2.cvtColor(crop.astype(np.float32) / 255, cv2.COLOR_RGB2Lab)
    skin, lips, skin_lab = C.skin_by_colour(lab, mmpp)
    assert skin.mean() > 0.8 and lips.any()
    # The lips found by colour hold the mesh's upper-lip border point.
    assert lips[int(y - y0) - 2 : int(y - y0) + 3, int(x - x0) - 2 : int(x - x0) + 3].any()
    assert 40 < skin_lab[0] < 90 and skin_lab[1] > 0


@pytest.fixture(scope="module")
def dermnet():
    d = SHARED_DATA / "dermnet-dev"
    if not (d / "index.json").is_file():
        pytest.skip("../shared/data/dermnet-dev is not present")
    return d


@pytest.mark.slow
def test_real_cold_sores_and_crusts_on_close_ups(dermnet):
    """Measured by scripts/measure_closeup.py: a postponing kind on 31 of 43 photos (72 %, the
    issue's target 70 %; docs/detectors.md). This holds the measured level, less two photos."""
    from skintrack.core.intake import load_photo

    index = json.loads((dermnet / "index.json").read_text())
    found = 0
    for rel in index:
        cu = C.analyze_close_up(load_photo(dermnet / rel).rgb)
        found += any(f.kind in protocol.POSTPONE_KINDS for f in cu.findings)
    assert found >= 29


def _disc_close_up(dlab, mm=5.0, mmpp=0.1, side_mm=40.0):
    """A plain-skin close-up (CIELAB 68, 14, 16) with a soft-edged disc ``mm`` across whose colour
    differs from the skin by ``dlab``."""
    import cv2

    n = int(side_mm / mmpp)
    lab = np.zeros((n, n, 3), np.float32)
    lab[:] = (68.0, 14.0, 16.0)
    yy, xx = np.mgrid[:n, :n]
    w = np.clip((mm / 2 / mmpp - np.hypot(xx - n / 2, yy - n / 2)) / 2 + 0.5, 0, 1)[..., None]
    lab += w * np.asarray(dlab, np.float32)
    rgb = cv2.cvtColor(lab, cv2.COLOR_Lab2RGB)
    return (np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8)


@pytest.mark.parametrize("dlab", [(-14.0, 8.4, 9.6), (-18.0, 11.2, 12.8)])
def test_a_shaded_fold_of_the_skins_own_hue_is_not_a_crust(monkeypatch, dlab):
    """Darker and more saturated at the skin's hue (a fold's shadow, a nostril's rim): the crust
    rule's b* contrast holds, its hue does not."""
    rgb = _disc_close_up(dlab)
    monkeypatch.setattr(C, "CRUST_MIN_DHUE_DEG", -180.0)
    assert [f.kind for f in C.analyze_close_up(rgb, mm_per_px=0.1).findings] == ["crust"]
    monkeypatch.undo()
    assert C.analyze_close_up(rgb, mm_per_px=0.1).findings == ()


def test_a_crust_yellower_in_hue_than_the_skin_is_kept():
    cu = C.analyze_close_up(_disc_close_up((-14.0, 2.0, 14.0)), mm_per_px=0.1)
    assert [f.kind for f in cu.findings] == ["crust"]
    assert 3.0 <= cu.findings[0].diameter_mm <= 8.0


def _parted_lips(mmpp=0.3, side_mm=80.0):
    """Plain skin with parted lips: one red ring 50 x 26 mm (elongation 1.79) around the teeth."""
    import cv2

    n = int(side_mm / mmpp)
    lab = np.zeros((n, n, 3), np.float32)
    lab[:] = (68.0, 14.0, 16.0)
    ring, hole = np.zeros((n, n), np.uint8), np.zeros((n, n), np.uint8)
    cv2.ellipse(ring, (n // 2, n // 2), (int(25 / mmpp), int(13 / mmpp)), 0, 0, 360, 1, -1)
    cv2.ellipse(hole, (n // 2, n // 2), (int(19 / mmpp), int(5 / mmpp)), 0, 0, 360, 1, -1)
    lab[(ring > 0) & (hole == 0)] = (58.0, 32.0, 12.0)  # lips: redder, pinker in hue
    lab[hole > 0] = (85.0, 0.0, 4.0)  # teeth
    rgb = cv2.cvtColor(lab, cv2.COLOR_Lab2RGB)
    return (np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8)


def test_parted_lips_joined_at_the_corners_are_lips_not_a_wound(monkeypatch):
    rgb = _parted_lips()
    cu = C.analyze_close_up(rgb, mm_per_px=0.3)
    assert cu.lips_found and cu.findings == ()
    # Held to closed lips' elongation, the ring was read as one large wound.
    monkeypatch.setattr(C, "LIP_MIN_ELONGATION", 1.8)
    cu = C.analyze_close_up(rgb, mm_per_px=0.3)
    assert not cu.lips_found and [f.kind for f in cu.findings] == ["open_wound"]
