"""Display pieces: framing, lining up with the baseline, cropped warps, close-ups, outlines."""

from __future__ import annotations

import numpy as np
import pytest

from skintrack.report.assemble import (
    DISPLAY_PX,
    display_transform,
    finding_crop,
    regions_outline,
    similarity,
    warp_for_display,
)


def test_display_transform_frames_the_face_with_margin_at_4_to_5():
    m = display_transform((100, 200, 300, 400))
    corners = np.array([[100, 200, 1], [300, 400, 1]], float) @ m.T
    # The face box lands inside the display with room on every side, centred.
    assert (corners >= 0).all() and (corners[:, 0] <= DISPLAY_PX[0]).all()
    assert (corners[:, 1] <= DISPLAY_PX[1]).all()
    assert np.allclose(corners.mean(axis=0), np.array(DISPLAY_PX) / 2)


def test_similarity_recovers_a_tilt_and_zoom(load_sample, engine):
    from skintrack.core.analysis import analyze_photo

    a = analyze_photo(load_sample("aptus_1.png"), engine, find_lesions=False)
    xy = a.face.xy.astype(np.float64)
    c = xy.mean(axis=0)
    t = np.radians(4.0)
    rot = 1.1 * np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    moved = (xy - c) @ rot.T + c + (12.0, -7.0)
    m = similarity(moved, xy)  # moved -> original
    back = moved @ m[:, :2].T + m[:, 2]
    assert np.abs(back - xy).max() < 0.05


def test_cropped_warp_equals_a_whole_photo_warp(load_sample):
    import cv2

    rgb = load_sample("obama.jpg").rgb
    m = display_transform((300, 300, 620, 700))
    ours = warp_for_display(rgb, m)
    whole = cv2.warpAffine(
        rgb,
        m,
        DISPLAY_PX,
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(235, 235, 235),
    )
    assert np.abs(ours.astype(int) - whole.astype(int)).max() <= 1


def test_warp_onto_keeps_what_the_map_does_not_cover():
    under = np.full((DISPLAY_PX[1], DISPLAY_PX[0], 3), 50, np.uint8)
    small = np.full((10, 10, 3), 200, np.uint8)
    out = warp_for_display(small, np.array([[1.0, 0, 100], [0, 1.0, 100]]), onto=under)
    assert (out[105, 105] == 200).all() and (out[0, 0] == 50).all() and (under == 50).all()


def test_a_large_reduction_averages_instead_of_aliasing():
    # A fine black-and-white stripe pattern reduced 8x must come out mid-grey, not stripes.
    rgb = np.zeros((4000, 3200, 3), np.uint8)
    rgb[:, ::2] = 255
    out = warp_for_display(rgb, display_transform((0, 0, 3200, 4000)))
    inner = out[100:-100, 100:-100].astype(float)
    assert abs(inner.mean() - 127.5) < 10 and inner.std() < 15


def test_finding_close_up_is_square_and_ringed(load_sample):
    rgb = load_sample("aptus_1.png").rgb
    crop = finding_crop(rgb, 400.0, 500.0, 5.0, 500.0)
    assert crop.shape[0] == crop.shape[1]
    yellow = (crop[..., 0] > 200) & (crop[..., 1] > 180) & (crop[..., 2] < 80)
    assert yellow.sum() > 20  # the ring is drawn
    assert not yellow[
        crop.shape[0] // 2 - 2 : crop.shape[0] // 2 + 3, crop.shape[1] // 2 - 2 : crop.shape[1] // 2 + 3
    ].any()  # the spot is not


def test_region_outlines_on_the_display_image_match_the_photo(load_sample, engine):
    from skintrack.core.analysis import analyze_photo

    a = analyze_photo(load_sample("aptus_1.png"), engine, find_lesions=False)
    m = display_transform(a.face.box)
    shown = warp_for_display(a.photo.rgb, m)
    drawn = regions_outline(a, ("left_cheek",), transform=m, onto=shown)
    changed = np.any(drawn != shown, axis=2)
    # Outlines are where the polygons are: the forehead polygon's centre row is crossed.
    poly = a.regions["forehead"].polygon @ m[:, :2].T + m[:, 2]
    assert changed.sum() > 500
    y = int(round(poly[:, 1].mean()))
    assert changed[y - 20 : y + 20].any()
    assert regions_outline(a, transform=None) is not None
    with pytest.raises(ValueError):
        display_transform((10, 10, 5, 20))
