"""Colour-chart calibration: a ColorChecker rendered into real sample photos through cameras of
known response, found with cv2.mcc, fitted, checked by leave-one-patch-out ΔE2000."""

from __future__ import annotations

import numpy as np
import pytest

from skintrack.core import calibration as cal
from skintrack.core.analysis import analyze_photo
from skintrack.core.colour import (
    D50_WHITE,
    D65_WHITE,
    SRGB_TO_XYZ,
    chromatic_adaptation,
    lab_from_xyz,
    linear_to_srgb,
    region_statistics,
)
from skintrack.core.intake import photo_from_array
from skintrack.core.regions import compute_regions
from skintrack.simulate import phantom as ph

pytestmark = pytest.mark.slow

#: Region a* (CIELAB units) of a chart-corrected photo against the same photo never sent through
#: the camera: the correction must bring a camera that is off by 3-10 units back within this.
CORRECTED_A_STAR_TOL = 1.0
#: Δa* between a baseline and a later photo shot with different cameras, both chart-corrected.
CHART_COMPARE_TOL = 0.5

CAMERAS = {
    "warm phone": {},
    "cool, gamma 2.4": {"white_balance": (0.85, 1.0, 1.2), "gamma": 2.4},
}


def test_reference_chart_is_self_consistent():
    assert cal.CHART_LAB_D50.shape == (24, 3) and len(cal.PATCH_NAMES) == 24
    # Back from D65 to D50 reproduces the published values.
    xyz65 = cal.CHART_LINEAR @ SRGB_TO_XYZ.T
    xyz50 = xyz65 @ chromatic_adaptation(D65_WHITE, D50_WHITE).T
    assert np.abs(lab_from_xyz(xyz50, D50_WHITE) - cal.CHART_LAB_D50).max() < 0.01
    greys = cal.CHART_LINEAR[list(cal.GREY_PATCHES)]
    assert np.all(np.diff(greys.mean(axis=1)) < 0)  # white to black
    assert cal.CHART_LINEAR[17, 0] < 0  # cyan: outside sRGB, as published


@pytest.fixture(scope="module")
def shots(load_sample):
    """(name, camera) -> (true photo, photographed photo with chart)."""
    out = {}
    for name in ("aptus_1.png", "obama.jpg"):
        photo = load_sample(name).rgb
        scene = ph.add_colour_chart(photo)
        for cam, kw in CAMERAS.items():
            out[name, cam] = (photo, ph.jpeg_roundtrip(ph.camera_response(scene, **kw), 90))
    return out


def test_cv2_mcc_finds_the_rendered_chart_in_order(shots):
    photo, shot = shots["aptus_1.png", "warm phone"]
    chart = cal.find_chart(shot)
    assert chart is not None
    expect = ph.camera_response(
        np.round(255 * np.clip(linear_to_srgb(np.clip(cal.CHART_LINEAR, 0, 1)), 0, 1)).astype(np.uint8)[None]
    ).astype(np.float64)[0]
    usable = np.all(expect < 245, axis=1)
    assert np.abs(chart.patches[usable] - expect[usable]).max() < 6  # JPEG and patch edges
    h, w = shot.shape[:2]
    assert chart.corners[:, 0].max() < w / 2 and chart.corners[:, 1].min() > h / 2


def test_an_upside_down_chart_is_read_in_order(load_sample):
    photo = load_sample("aptus_1.png").rgb
    corners = ((300, 1000), (40, 1000), (40, 860), (300, 860))  # chart rotated 180 degrees
    shot = ph.jpeg_roundtrip(ph.camera_response(ph.add_colour_chart(photo, corners)), 90)
    chart = cal.find_chart(shot)
    assert chart is not None
    greys = chart.patches[list(cal.GREY_PATCHES)].mean(axis=1)
    assert np.all(np.diff(greys) < 0)
    assert chart.patches[0, 0] > chart.patches[0, 2]  # dark skin first: reddish, not black


@pytest.mark.parametrize("cam", list(CAMERAS))
@pytest.mark.parametrize("name", ["aptus_1.png", "obama.jpg"])
def test_calibration_meets_the_held_out_target_and_fixes_the_face(shots, engine, name, cam):
    photo, shot = shots[name, cam]
    c = cal.calibrate_photo(shot)
    assert c.method in cal.METHODS
    assert c.held_out_delta_e <= cal.GOOD_HELD_OUT_DELTA_E
    assert c.held_out_per_patch.shape == (24,)
    assert 0 < c.a_star_uncertainty < 2
    fixed = c.apply(shot)
    assert fixed.dtype == np.uint8 and fixed.shape == shot.shape
    face = engine.detect(photo).face
    truth = region_statistics(compute_regions(photo, face))
    before = region_statistics(compute_regions(shot, face))
    after = region_statistics(compute_regions(fixed, face))
    worst_before = max(abs(before[r]["a_star"] - truth[r]["a_star"]) for r in truth)
    worst_after = max(abs(after[r]["a_star"] - truth[r]["a_star"]) for r in truth)
    assert worst_before > 2.5  # the camera really is off
    assert worst_after <= CORRECTED_A_STAR_TOL


def test_root_polynomial_and_opencv_candidates_are_scored(shots):
    _, shot = shots["aptus_1.png", "warm phone"]
    chart = cal.find_chart(shot)
    use = np.all(chart.patches < cal.CLIPPED, axis=1)
    scores = {m: float(np.nanmean(cal.held_out_errors(m, chart.patches, use)[0])) for m in cal.METHODS}
    assert all(np.isfinite(v) for v in scores.values())
    # A camera with gamma 2.0 is not sRGB: fitting the tone curve must beat assuming sRGB.
    assert scores["tone_curve+matrix"] < scores["srgb+matrix"]
    assert cal.fit_calibration(chart.patches).method == min(scores, key=scores.get)


def test_poor_or_missing_charts_are_refused(load_sample):
    rng = np.random.default_rng(1)
    with pytest.raises(cal.CalibrationError, match="ΔE2000"):
        cal.fit_calibration(rng.uniform(20, 230, (24, 3)))
    clipped = np.full((24, 3), 255.0)
    clipped[:4] = 100.0
    with pytest.raises(cal.CalibrationError, match="exposed"):
        cal.fit_calibration(clipped)
    photo = load_sample("aptus_2.png").rgb
    assert cal.find_chart(photo) is None
    with pytest.raises(cal.CalibrationError, match="no 24-patch"):
        cal.calibrate_photo(photo)


def test_a_true_srgb_camera_needs_almost_no_correction(load_sample):
    photo = load_sample("aptus_2.png").rgb
    shot = ph.add_colour_chart(photo)  # no camera response: the chart is exact sRGB
    c = cal.calibrate_photo(shot)
    assert c.held_out_delta_e < 1.5
    diff = np.abs(c.apply(photo).astype(np.int16) - photo.astype(np.int16))
    assert diff.mean() < 3


def test_chart_normalisation_in_a_comparison(load_sample, engine):
    """Baseline and later shot with different cameras: corrected by their charts, the redness
    change is recovered, where the raw photos are 7+ units apart."""
    photo = load_sample("aptus_6.png")
    a0 = analyze_photo(photo, engine, find_lesions=False)
    target = {"left_cheek": 3.0, "right_cheek": 3.0}
    red = ph.add_redness(photo.rgb, a0.regions, delta_a_star=target)
    b_shot = ph.jpeg_roundtrip(ph.camera_response(ph.add_colour_chart(photo.rgb)), 92)
    l_shot = ph.jpeg_roundtrip(
        ph.camera_response(ph.add_colour_chart(red), gamma=2.3, white_balance=(0.9, 1.0, 1.15), exposure=0.9),
        92,
    )
    cb, cl = cal.calibrate_photo(b_shot), cal.calibrate_photo(l_shot)
    from skintrack.core.compare import compare_analyses

    ab = analyze_photo(photo_from_array(cb.apply(b_shot)), engine, find_lesions=False)
    al = analyze_photo(photo_from_array(cl.apply(l_shot)), engine, find_lesions=False)
    c = compare_analyses(ab, al, calibrations=(cb, cl))
    assert c.normalisation.method == "chart"
    assert c.normalisation.uncertainty == pytest.approx(
        np.hypot(cb.a_star_uncertainty, cl.a_star_uncertainty)
    )
    for region, ch in c.regions.items():
        assert abs(ch.delta_a_star - target.get(region, 0.0)) <= CHART_COMPARE_TOL, region
    both = compare_analyses(ab, al, treated=tuple(target), calibrations=(cb, cl))
    assert both.normalisation.method == "chart+untreated_regions"
    raw = compare_analyses(
        analyze_photo(photo_from_array(b_shot), engine, find_lesions=False),
        analyze_photo(photo_from_array(l_shot), engine, find_lesions=False),
    )
    assert abs(raw.regions["chin"].delta_a_star) > 3  # what the chart saved us from
