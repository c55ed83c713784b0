"""Skin regions on real photos: all six present, skin only, anatomical sides, EXIF invariance."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from skintrack.core.intake import load_photo
from skintrack.core.regions import EXCLUDE, REGION_NAMES, compute_regions, polygon
from tests.conftest import ALL_FACES


def _regions(engine, photo):
    det = engine.detect(photo.rgb)
    assert det.face is not None
    return det.face, compute_regions(photo.rgb, det.face)


@pytest.mark.parametrize("name", ALL_FACES)
def test_six_regions_with_skin_pixels(engine, load_sample, name):
    photo = load_sample(name)
    face, rs = _regions(engine, photo)
    assert tuple(rs.regions) == REGION_NAMES
    for r in rs.regions.values():
        assert r.mask.dtype == bool and r.mask.shape == rs.work_rgb.shape[:2]
        assert r.pixels > 0, (name, r.name)
        assert not (r.usable & ~r.mask).any()
        assert set(r.excluded) == {"glare", "shadow", "hair"}
        L, a, b = r.lab_median
        assert 15 < L < 95 and -5 < a < 40 and -5 < b < 45, (name, r.name, r.lab_median)


def test_regions_exclude_eyes_brows_lips_and_do_not_overlap(engine, load_sample):
    import cv2

    photo = load_sample("aptus_1.png")
    face, rs = _regions(engine, photo)
    for feature in ("right_eye", "left_eye", "right_brow", "left_brow", "lips"):
        m = np.zeros(rs.work_rgb.shape[:2], np.uint8)
        pts = np.round(rs.to_work(polygon(face.xy, EXCLUDE[feature]))).astype(np.int32)
        cv2.fillPoly(m, [pts], 1)
        for r in rs.regions.values():
            assert not (r.mask & m.astype(bool)).any(), (feature, r.name)
    total = sum(r.mask.astype(int) for r in rs.regions.values())
    # Neighbouring polygons share edges; allow that rasterised seam, nothing more.
    assert (total > 1).sum() < 0.02 * (total > 0).sum()


def test_left_cheek_is_the_persons_left(engine, load_sample):
    """In an unmirrored photo the person's left cheek is on the image right."""
    photo = load_sample("aptus_1.png")
    face, rs = _regions(engine, photo)
    lx = rs["left_cheek"].polygon[:, 0].mean()
    rx = rs["right_cheek"].polygon[:, 0].mean()
    nose_x = face.xy[1, 0]
    assert rx < nose_x < lx


@pytest.mark.parametrize("name", ["aptus_1.png", "obama.jpg", "0-f15-hao-ph.jpg"])
def test_mirrored_photo_swaps_cheeks(engine, load_sample, name):
    photo = load_sample(name)
    _, rs = _regions(engine, photo)
    mirrored = load_photo_array(np.ascontiguousarray(photo.rgb[:, ::-1]))
    _, rm = _regions(engine, mirrored)
    w = photo.width
    for a, b in (("left_cheek", "right_cheek"), ("right_cheek", "left_cheek")):
        ma = rs.full_mask(a)
        mb = rm.full_mask(b)[:, ::-1]
        iou = (ma & mb).sum() / (ma | mb).sum()
        assert iou > 0.75, (name, a, iou)
    # The colour of the mirrored left cheek is the original right cheek's.
    assert rm["left_cheek"].lab_median[1] == pytest.approx(rs["right_cheek"].lab_median[1], abs=1.0)
    assert w == mirrored.width


def load_photo_array(rgb):
    from skintrack.core.intake import photo_from_array

    return photo_from_array(rgb)


def test_exif_rotated_file_gives_the_same_regions(engine, load_sample, tmp_path):
    """A photo stored sideways with an EXIF orientation tag is analysed as displayed."""
    photo = load_sample("aptus_2.png")
    stored = np.rot90(photo.rgb, k=1)  # pixels stored rotated 90 deg counter-clockwise
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    path = tmp_path / "sideways.jpg"
    Image.fromarray(np.ascontiguousarray(stored)).save(path, quality=97, exif=exif)
    rotated = load_photo(path)
    assert rotated.rgb.shape == photo.rgb.shape
    _, a = _regions(engine, photo)
    _, b = _regions(engine, rotated)
    for name in REGION_NAMES:
        ma, mb = a.full_mask(name), b.full_mask(name)
        iou = (ma & mb).sum() / (ma | mb).sum()
        assert iou > 0.85, (name, iou)
        assert b[name].lab_median[1] == pytest.approx(a[name].lab_median[1], abs=1.0)


def test_glare_and_shadow_are_counted_not_measured(engine, load_sample):
    photo = load_sample("aptus_1.png")
    face, rs = _regions(engine, photo)
    rgb = photo.rgb.copy()
    # Paint a white specular spot and a black shadow patch in the middle of the left cheek.
    cx, cy = rs["left_cheek"].polygon.mean(axis=0).astype(int)
    r = int(face.width_px * 0.03)
    rgb[cy - r : cy + r, cx - r : cx + r] = 255
    rgb[cy + 2 * r : cy + 4 * r, cx - r : cx + r] = 8
    rs2 = compute_regions(rgb, face)
    before, after = rs["left_cheek"], rs2["left_cheek"]
    assert after.excluded["glare"] > before.excluded["glare"] + (2 * r) ** 2 * 0.5
    assert after.excluded["shadow"] > before.excluded["shadow"] + (2 * r) ** 2 * 0.5
    # The median colour of the usable skin is not pulled by the painted patches.
    assert after.lab_median[0] == pytest.approx(before.lab_median[0], abs=1.5)


def test_region_named_takes_the_words_people_use():
    from skintrack.core.regions import REGION_LABELS, REGION_NAMES, region_named

    for name in REGION_NAMES:
        assert region_named(name) == name
        assert region_named(REGION_LABELS[name].title()) == name
        assert region_named(f"the {name.replace('_', '-')}") == name
    assert region_named("  Skin   around-the_mouth ") == "perioral"
    # The lips are where cold sores are found, not a region that is measured or treated.
    assert region_named("lips") is None and region_named("cheek") is None
    assert region_named("") is None
