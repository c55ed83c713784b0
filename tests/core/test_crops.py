"""The one close-up of a finding (core/crops.py), shown by the app's finding rows and the reports."""

from __future__ import annotations

import numpy as np
import pytest

from skintrack.core.crops import finding_crop


def _ring(crop, rgb):
    return np.all(np.abs(crop.astype(int) - np.array(rgb)) < 40, axis=-1)


@pytest.mark.parametrize("size", [112, 200])
def test_a_close_up_is_square_at_its_size_even_at_the_photo_edge(load_sample, size):
    rgb = load_sample("aptus_1.png").rgb
    h, w = rgb.shape[:2]
    for x, y, r in ((400.0, 500.0, 5.0), (2.0, 3.0, 6.0), (w - 1.0, h - 1.0, 0.0), (-50.0, 10.0, 3.0)):
        crop = finding_crop(rgb, x, y, r, 500.0, size=size)
        assert crop.shape == (size, size, 3) and crop.dtype == np.uint8


def test_the_ring_is_drawn_around_the_spot_not_over_it(load_sample):
    rgb = load_sample("aptus_1.png").rgb
    crop = finding_crop(rgb, 400.0, 500.0, 5.0, 500.0, ring_rgb=(255, 221, 0))
    ring = _ring(crop, (255, 221, 0))
    c = crop.shape[0] // 2
    assert ring.sum() > 20
    assert not ring[c - 2 : c + 3, c - 2 : c + 3].any()
    # The app rings in its own colour; the same framing otherwise.
    red = finding_crop(rgb, 400.0, 500.0, 5.0, 500.0, ring_rgb=(255, 80, 60))
    assert _ring(red, (255, 80, 60)).sum() > 20 and not _ring(red, (255, 221, 0)).any()


def test_the_padding_outside_the_photo_has_its_colour_and_the_photo_is_not_moved():
    rgb = np.full((100, 100, 3), 200, np.uint8)
    crop = finding_crop(rgb, 0.0, 50.0, 2.0, size=48, pad_rgb=(38, 42, 46), ring_rgb=(255, 0, 0))
    left, right = crop[5:20, 2:10], crop[5:20, -10:-2]  # left of x=0 is outside the photo
    assert np.all(left == (38, 42, 46)) and np.all(right == 200)


def test_a_tiny_spot_keeps_its_surroundings_by_the_face_width():
    rgb = np.zeros((1000, 1000, 3), np.uint8)
    rgb[500, 500 + 60] = 255  # 60 px off a 1 px spot: inside 7 % of a 1000 px face
    assert finding_crop(rgb, 500.0, 500.0, 0.5, 1000.0, size=400, ring_rgb=(0, 0, 255))[..., 0].max() > 0
    assert finding_crop(rgb, 500.0, 500.0, 0.5, None, size=400, ring_rgb=(0, 0, 255))[..., 0].max() == 0
