"""Painted lesions (simulate/lesions.py): the size asked for in millimetres, at the place asked for,
nothing painted elsewhere, and the same picture for the same seed."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from skintrack.simulate.lesions import ANCHORS, RENDER_KINDS, place, render

MM_PER_PX = 0.1


@pytest.fixture()
def skin():
    """A flat skin-coloured patch and a face stub at 0.1 mm per pixel (no face model needed)."""
    rgb = np.empty((240, 240, 3), np.uint8)
    rgb[:] = (205, 160, 140)
    xy = np.full((468, 2), 120.0)
    return rgb, SimpleNamespace(xy=xy, mm_per_px=MM_PER_PX)


@pytest.mark.parametrize("kind", RENDER_KINDS)
def test_a_lesion_is_painted_at_its_place_and_size_only(skin, kind):
    rgb, face = skin
    out, les = render(rgb, face, kind, (120.0, 110.0), 4.0, seed=3)
    assert les.kind == kind and (les.x, les.y) == (120.0, 110.0)
    assert les.radius_px == pytest.approx(2.0 / MM_PER_PX)  # 4 mm across at 0.1 mm per pixel
    changed = np.any(out != rgb, axis=2)
    assert changed[110, 120], "the centre of the lesion is painted"
    ys, xs = np.nonzero(changed)
    reach = np.hypot(xs - 120.0, ys - 110.0).max()
    assert reach <= 2.2 * les.radius_px + 6  # the painted tile around the lesion, no further
    assert np.array_equal(rgb[0, 0], (205, 160, 140)), "the input photo is left as it was"


def test_the_same_seed_paints_the_same_lesion_another_seed_another(skin):
    rgb, face = skin
    a, _ = render(rgb, face, "crust", (120.0, 120.0), 6.0, seed=1)
    b, _ = render(rgb, face, "crust", (120.0, 120.0), 6.0, seed=1)
    c, _ = render(rgb, face, "crust", (120.0, 120.0), 6.0, seed=2)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_place_names_an_anchor_and_shifts_it_by_millimetres(skin):
    _, face = skin
    face.xy[ANCHORS["left_cheek"]] = (150.0, 90.0)
    assert place(face, "left_cheek") == (150.0, 90.0)
    assert place(face, "left_cheek", (1.0, -2.0)) == pytest.approx((160.0, 70.0))


def test_unknown_kinds_places_and_sizes_are_refused(skin):
    rgb, face = skin
    with pytest.raises(ValueError, match="unknown kind"):
        render(rgb, face, "freckle", (120.0, 120.0), 4.0)
    with pytest.raises(ValueError, match="unknown place"):
        place(face, "elbow")
    with pytest.raises(ValueError, match="diameter_mm"):
        render(rgb, face, "pustule", (120.0, 120.0), 0.1)
