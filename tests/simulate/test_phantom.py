"""The redness phantom: known Δa* where asked, nothing elsewhere, haemoglobin-like, reproducible."""

from __future__ import annotations

import numpy as np
import pytest

from skintrack.core.colour import a_star_from_linear, central_mean, linear_to_srgb, srgb_to_linear
from skintrack.core.regions import REGION_NAMES
from skintrack.simulate import phantom as ph

#: How close the rendered 8-bit photo must come to the requested Δa*, read the way the phantom
#: defines it (central mean over the region's usable work-grid samples, same landmarks).
RENDER_TOL = 0.05


@pytest.fixture(scope="module")
def aptus2(engine, load_sample):
    from skintrack.core.analysis import analyze_photo

    return analyze_photo(load_sample("aptus_2.png"), engine, find_lesions=False)


def _region_a(rgb, regions, name):
    ox, oy = regions.origin
    h, w = regions.work_rgb.shape[:2]
    s = regions.step
    work = rgb[oy : oy + h * s : s, ox : ox + w * s : s]
    return central_mean(a_star_from_linear(srgb_to_linear(work[regions[name].usable])))


def test_named_regions_get_their_delta_and_the_rest_is_untouched(aptus2):
    rgb, regions = aptus2.photo.rgb, aptus2.regions
    target = {"left_cheek": 4.0, "nose": 2.0, "forehead": -1.5}
    out = ph.add_redness(rgb, regions, delta_a_star=target)
    assert out.dtype == np.uint8 and out.shape == rgb.shape
    for name in REGION_NAMES:
        d = _region_a(out, regions, name) - _region_a(rgb, regions, name)
        assert d == pytest.approx(target.get(name, 0.0), abs=RENDER_TOL), name
    touched = np.zeros(rgb.shape[:2], bool)
    for name in target:
        touched |= regions.full_mask(name)
    assert np.array_equal(out[~touched], rgb[~touched])  # bit-identical outside
    assert not np.array_equal(out, rgb)


def test_redness_is_haemoglobin_like(aptus2):
    rgb, regions = aptus2.photo.rgb, aptus2.regions
    out = ph.add_redness(rgb, regions, delta_a_star={"right_cheek": 6.0})
    m = regions.full_mask("right_cheek")
    ratio = srgb_to_linear(out[m]).mean(axis=0) / srgb_to_linear(rgb[m]).mean(axis=0)
    r, g, b = ratio
    assert g < b < r <= 1.0  # green absorbed most, then blue; red nearly kept
    assert r > 0.9 and g < 0.9


def test_feather_has_no_hard_edge(aptus2):
    rgb, regions = aptus2.photo.rgb, aptus2.regions
    out = ph.add_redness(rgb, regions, delta_a_star={"left_cheek": 6.0})
    diff = np.abs(out.astype(np.int16) - rgb.astype(np.int16)).sum(axis=2).astype(np.float32)
    m = regions.full_mask("left_cheek")
    import cv2

    edge = m & ~cv2.erode(m.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    deep = cv2.erode(m.astype(np.uint8), np.ones((41, 41), np.uint8)).astype(bool)
    assert diff[edge].mean() < 0.35 * diff[deep].mean()


def test_whole_image_and_face_only_forms(aptus2):
    rgb = aptus2.photo.rgb
    whole = ph.add_redness(rgb[:200, :200], delta_a_star=2.0)
    lin0, lin1 = srgb_to_linear(rgb[:200, :200]), srgb_to_linear(whole)
    assert central_mean(a_star_from_linear(lin1)) - central_mean(a_star_from_linear(lin0)) == pytest.approx(
        2.0, abs=0.1
    )
    by_face = ph.add_redness(rgb, face=aptus2.face, delta_a_star={"chin": 3.0})
    d = _region_a(by_face, aptus2.regions, "chin") - _region_a(rgb, aptus2.regions, "chin")
    assert d == pytest.approx(3.0, abs=RENDER_TOL)


def test_bad_requests_are_refused(aptus2):
    rgb = aptus2.photo.rgb
    with pytest.raises(ValueError, match="unknown regions"):
        ph.add_redness(rgb, aptus2.regions, delta_a_star={"ear": 2.0})
    with pytest.raises(ValueError, match="face"):
        ph.add_redness(rgb, delta_a_star={"nose": 2.0})
    with pytest.raises(ValueError):
        ph.add_redness(rgb.astype(np.float32), aptus2.regions, delta_a_star=1.0)
    with pytest.raises(ValueError, match="beyond"):
        ph.add_redness(rgb, aptus2.regions, delta_a_star={"nose": 400.0})


def test_reproducible_for_a_seed(aptus2):
    rgb, regions = aptus2.photo.rgb, aptus2.regions
    a = ph.add_redness(rgb, regions, delta_a_star={"nose": 3.0}, seed=5)
    b = ph.add_redness(rgb, regions, delta_a_star={"nose": 3.0}, seed=5)
    c = ph.add_redness(rgb, regions, delta_a_star={"nose": 3.0}, seed=6)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.array_equal(ph.sensor_noise(rgb, seed=1), ph.sensor_noise(rgb, seed=1))


def test_change_light_in_linear_light(aptus2):
    rgb = aptus2.photo.rgb[300:700, 200:600]
    out = ph.change_light(rgb, white_balance=(1.1, 1.0, 0.8), exposure=0.9)
    lin0, lin1 = srgb_to_linear(rgb), srgb_to_linear(out)
    keep = (rgb.max(axis=2) < 200) & (rgb.min(axis=2) > 20)  # no clipping
    ratio = lin1[keep].mean(axis=0) / lin0[keep].mean(axis=0)
    assert ratio == pytest.approx([0.99, 0.9, 0.72], abs=0.01)
    shaded = srgb_to_linear(ph.change_light(rgb, side_shading=0.3))
    left, right = shaded[:, :20].mean() / lin0[:, :20].mean(), shaded[:, -20:].mean() / lin0[:, -20:].mean()
    assert left == pytest.approx(1.0, abs=0.02) and right == pytest.approx(0.7, abs=0.03)
    flipped = srgb_to_linear(ph.change_light(rgb, side_shading=-0.3))
    assert flipped[:, :20].mean() < flipped[:, -20:].mean() * lin0[:, :20].mean() / lin0[:, -20:].mean()
    with pytest.raises(ValueError):
        ph.change_light(rgb, exposure=0)
    with pytest.raises(ValueError):
        ph.change_light(rgb, side_shading=1.5)


def test_change_pose_and_jpeg(aptus2):
    rgb = aptus2.photo.rgb
    assert np.array_equal(ph.change_pose(rgb), rgb)
    moved = ph.change_pose(rgb, shift=(10, 0))
    assert np.array_equal(moved[:, 110:300], rgb[:, 100:290])
    turned = ph.change_pose(rgb, angle_deg=5, scale=0.9, yaw_deg=6)
    assert turned.shape == rgb.shape and not np.array_equal(turned, rgb)
    j = ph.jpeg_roundtrip(rgb, 90)
    mse = np.mean((j.astype(np.float32) - rgb.astype(np.float32)) ** 2)
    assert 10 * np.log10(255**2 / mse) > 30  # PSNR: a faithful but lossy copy


def test_camera_and_chart(aptus2):
    from skintrack.core.calibration import CHART_LINEAR

    rgb = aptus2.photo.rgb
    scene = ph.add_colour_chart(rgb)
    changed = np.any(scene != rgb, axis=2)
    assert 0.02 < changed.mean() < 0.2  # about a third of the width, in the bottom-left corner
    assert changed[-150:-60, 60:250].mean() > 0.5 and not changed[:200, -200:].any()
    # The camera applies its matrix, white balance and gamma: a mid grey (neutral 5) comes out
    # as the model says.
    grey = np.full((4, 4, 3), 0, np.uint8)
    grey[:] = np.round(linear_to_srgb(np.clip(CHART_LINEAR[21], 0, 1)) * 255).astype(np.uint8)
    shot = ph.camera_response(grey).astype(np.float32).mean(axis=(0, 1))
    lin = srgb_to_linear(grey[0, 0])
    expect = (np.asarray(ph.CAMERA_MATRIX) @ lin) * ph.CAMERA_WHITE_BALANCE
    assert shot == pytest.approx(255 * expect ** (1 / ph.CAMERA_GAMMA), abs=1.0)
