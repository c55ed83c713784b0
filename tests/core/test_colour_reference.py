"""Our colour conversions checked against scikit-image's (ADR 0009: scikit-image is a test
dependency, the reference we measure ``core/colour.py`` against; the product does not import it)."""

from __future__ import annotations

import numpy as np
import skimage.color
from skimage.color.colorconv import xyz_from_rgb

from skintrack.core import colour

#: CIELAB agreement in L*, a*, b* units (docs/colour.md: ours matches scikit-image to about 0.005;
#: float32 arithmetic through OpenCV).
LAB_TOL = 0.01


def _srgb8_samples() -> np.ndarray:
    """Every grey and 20,000 seeded 8-bit sRGB colours, as one ``(n, 1, 3)`` image."""
    rng = np.random.default_rng(15)
    greys = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)
    mixed = rng.integers(0, 256, (20_000, 3), dtype=np.uint8)
    return np.concatenate([greys, mixed])[:, None, :]


def test_lab_of_8bit_srgb_matches_scikit_image():
    px = _srgb8_samples()
    ours = colour.lab_from_linear(colour.srgb_to_linear(px))
    ref = skimage.color.rgb2lab(px)  # D65, 2° observer, exact sRGB curve
    assert np.abs(ours - ref).max() < LAB_TOL
    assert np.abs(colour.a_star_from_linear(colour.srgb_to_linear(px)) - ref[..., 1]).max() < LAB_TOL


def test_linear_srgb_matches_scikit_image_decoding():
    codes = np.arange(256, dtype=np.uint8)
    px = np.stack([codes, np.zeros_like(codes), np.zeros_like(codes)], axis=-1)[:, None, :]
    # scikit-image's X of a pure red is the decoded value times its sRGB matrix's first entry.
    x_ref = skimage.color.rgb2xyz(px)[:, 0, 0] / xyz_from_rgb[0, 0]
    assert np.abs(colour.srgb_to_linear(codes) - x_ref).max() < 1e-6


def test_our_srgb_matrix_is_scikit_images_to_its_precision():
    # scikit-image rounds IEC 61966-2-1's matrix to 6 decimals; ours keeps 7.
    assert np.abs(colour.SRGB_TO_XYZ - xyz_from_rgb).max() < 1e-4


def test_xyz_and_lab_both_ways_match_scikit_image():
    px = _srgb8_samples()
    xyz = skimage.color.rgb2xyz(px)
    lab = skimage.color.xyz2lab(xyz)
    assert np.abs(colour.lab_from_xyz(xyz) - lab).max() < LAB_TOL
    assert np.abs(colour.xyz_from_lab(lab) - xyz).max() < 1e-6


def test_ciede2000_matches_scikit_image():
    rng = np.random.default_rng(9)
    n = 5000
    lab1 = np.stack([rng.uniform(5, 95, n), rng.uniform(-60, 60, n), rng.uniform(-60, 60, n)], axis=1)
    lab2 = lab1 + rng.normal(0.0, 4.0, lab1.shape)
    lab2[:50, 1:] = 0.0  # neutral colours, where the hue angle is undefined
    ours = colour.delta_e_2000(lab1, lab2)
    ref = skimage.color.deltaE_ciede2000(lab1, lab2)
    assert np.abs(ours - ref).max() < 1e-9
