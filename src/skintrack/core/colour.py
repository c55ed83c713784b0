"""Colour science for skin: sRGB decoding, CIELAB, erythema and melanin indices, ITA°, CIEDE2000.

Everything here is vectorised over whole arrays (OpenCV for the colour-space conversions, lookup
tables for the sRGB transfer curve): a per-pixel Python or long NumPy chain is far too slow at
12 MP. Colour statistics are taken on the downsampled work grid of a
:class:`~skintrack.core.regions.RegionSet` (about 400 samples across the face), inside the usable
skin of each region only.

Conventions
-----------
- 8-bit images are sRGB-encoded (IEC 61966-2-1); "linear" means the sRGB primaries in linear light,
  0 (black) to 1 (diffuse white at the camera's exposure).
- CIELAB is CIE 1976 L*a*b* for the D65 white and the 2° observer, the white of sRGB; L* is 0-100,
  a* (green -> red) and b* (blue -> yellow) are in CIELAB units.

References
----------
.. [1] IEC 61966-2-1:1999, Multimedia systems and equipment - Colour measurement and management -
   Part 2-1: Default RGB colour space - sRGB.
.. [2] Dawson JB, Barker DJ, Ellis DJ, Grassam E, Cotterill JA, Fisher GW, Feather JW (1980).
   "A theoretical and experimental study of light absorption and scattering by in vivo skin".
   Physics in Medicine and Biology 25(4):695-709. (Erythema and melanin indices.)
.. [3] Chardon A, Cretois I, Hourseau C (1991). "Skin colour typology and suntanning pathways".
   International Journal of Cosmetic Science 13(4):191-208. (ITA°.)
.. [4] Del Bino S, Sok J, Bessac E, Bernerd F (2006). "Relationship between skin response to
   ultraviolet exposure and skin color type". Pigment Cell Research 19(6):606-614. (ITA° groups.)
.. [5] Sharma G, Wu W, Dalal EN (2005). "The CIEDE2000 color-difference formula: implementation
   notes, supplementary test data, and mathematical observations". Color Research & Application
   30(1):21-30.
.. [6] Fullerton A, Fischer T, Lahti A, Wilhelm KP, Takiwaki H, Serup J (1996). "Guidelines for
   measurement of skin colour and erythema". Contact Dermatitis 35(1):1-10.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

#: Linear sRGB -> CIE XYZ (D65), IEC 61966-2-1 [1]_.
SRGB_TO_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]],
    dtype=np.float64,
)
XYZ_TO_SRGB = np.linalg.inv(SRGB_TO_XYZ)
#: CIE XYZ of the D65 white (2° observer), Y = 1: the white of sRGB.
D65_WHITE = SRGB_TO_XYZ.sum(axis=1)
#: CIE XYZ of the D50 white (2° observer), ICC PCS white, Y = 1.
D50_WHITE = np.array([0.96422, 1.0, 0.82521])
#: Bradford cone-response matrix, for chromatic adaptation between whites (ICC.1:2010 Annex E).
BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])

#: Reflectance floor for the logarithmic indices, so that black or clipped-dark pixels give a
#: large finite value instead of infinity (1/1000 is below any skin reflectance, ~0.1 at 450 nm).
MIN_REFLECTANCE = 1e-3

#: ITA° skin-tone groups, lower bound (degrees) of each, from Del Bino et al. 2006 [4]_:
#: very light > 55 > light > 41 > intermediate > 28 > tan > 10 > brown > -30 > dark.
TONE_GROUPS: tuple[tuple[str, float], ...] = (
    ("very_light", 55.0),
    ("light", 41.0),
    ("intermediate", 28.0),
    ("tan", 10.0),
    ("brown", -30.0),
    ("dark", -math.inf),
)

#: Fields that :func:`region_statistics` adds to each region of ``analyze --json``.
STAT_FIELDS = ("a_star", "a_star_p90", "erythema_index", "melanin_index", "ita_deg", "tone")


# --- sRGB transfer curve ---------------------------------------------------------------------------


def _decode(v: np.ndarray) -> np.ndarray:
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def _encode(v: np.ndarray) -> np.ndarray:
    v = np.clip(v, 0.0, 1.0)
    return np.where(v <= 0.0031308, 12.92 * v, 1.055 * v ** (1.0 / 2.4) - 0.055)


@lru_cache(maxsize=1)
def _decode_lut() -> np.ndarray:
    return _decode(np.arange(256, dtype=np.float64) / 255.0).astype(np.float32)


#: Entries of the encoding table: linear light is quantised to 1/65535 before lookup; the sRGB
#: curve's steepest slope (12.92) makes that at most 0.05 of an 8-bit code.
_ENCODE_STEPS = 65536


@lru_cache(maxsize=1)
def _encode_lut8() -> np.ndarray:
    x = np.arange(_ENCODE_STEPS, dtype=np.float64) / (_ENCODE_STEPS - 1)
    return np.clip(np.round(_encode(x) * 255.0), 0, 255).astype(np.uint8)


def srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    """Decode sRGB to linear light.

    Parameters
    ----------
    rgb : ndarray
        ``uint8`` (0-255, decoded through a 256-entry table) or float (0-1) sRGB values, any shape.

    Returns
    -------
    ndarray
        ``float32`` linear values, 0-1 for in-range input.
    """
    rgb = np.asarray(rgb)
    if rgb.dtype == np.uint8:
        return _decode_lut()[rgb]
    return _decode(rgb.astype(np.float32)).astype(np.float32)


def linear_to_srgb(lin: np.ndarray) -> np.ndarray:
    """Encode linear light (clipped to 0-1) with the sRGB curve; ``float32`` 0-1."""
    return _encode(np.asarray(lin, dtype=np.float32)).astype(np.float32)


def linear_to_srgb8(lin: np.ndarray) -> np.ndarray:
    """Encode linear light (clipped to 0-1) to 8-bit sRGB through a lookup table (fast at 12 MP)."""
    lin = np.asarray(lin, dtype=np.float32)
    idx = np.clip(lin * np.float32(_ENCODE_STEPS - 1) + np.float32(0.5), 0, _ENCODE_STEPS - 1)
    return _encode_lut8()[idx.astype(np.uint16)]


# --- CIELAB ------------------------------------------------------------------------------------------


def lab_from_srgb8(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of an 8-bit sRGB image ``(h, w, 3)``, ``float32``.

    OpenCV converts float input with the exact sRGB curve (its 8-bit path rounds L*, a*, b* to
    integers, far too coarse for a* changes of one unit), which is why the image goes in as float.
    """
    import cv2

    rgb = np.ascontiguousarray(rgb)
    return cv2.cvtColor(rgb.astype(np.float32) * np.float32(1.0 / 255.0), cv2.COLOR_RGB2Lab)


def _lab_f(t: np.ndarray) -> np.ndarray:
    """CIELAB's cube-root compression, ``float32``; OpenCV's ``pow`` is several times faster than
    ``np.cbrt`` on large arrays."""
    import cv2

    t = np.ascontiguousarray(t, dtype=np.float32)
    d = 6.0 / 29.0
    f = cv2.pow(np.maximum(t, np.float32(0.0)), 1.0 / 3.0)
    low = t <= np.float32(d**3)  # rare for skin: patch the linear toe only where needed
    if low.any():
        f[low] = t[low] / np.float32(3 * d * d) + np.float32(4.0 / 29.0)
    return f


def _transform(values: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``values @ matrix.T`` for ``(..., 3)`` float32 arrays with OpenCV (vectorised, much faster
    than NumPy's matmul for a 3-wide inner dimension)."""
    import cv2

    v = np.ascontiguousarray(values, dtype=np.float32)
    m = np.asarray(matrix, np.float32)
    out = cv2.transform(v.reshape(-1, 1, 3), m)
    return out.reshape(v.shape[:-1] + (m.shape[0],))


def lab_from_xyz(xyz: np.ndarray, white: np.ndarray = D65_WHITE) -> np.ndarray:
    """CIELAB from CIE XYZ (``(..., 3)``) for the given white (Y = 1); ``float32``."""
    xyz = np.asarray(xyz, dtype=np.float32)
    f = _lab_f(xyz / np.asarray(white, np.float32))
    out = np.empty(xyz.shape, np.float32)
    out[..., 0] = 116.0 * f[..., 1] - 16.0
    out[..., 1] = 500.0 * (f[..., 0] - f[..., 1])
    out[..., 2] = 200.0 * (f[..., 1] - f[..., 2])
    return out


def xyz_from_lab(lab: np.ndarray, white: np.ndarray = D65_WHITE) -> np.ndarray:
    """CIE XYZ (Y = 1 at the white) from CIELAB for the given white; ``float64``."""
    lab = np.asarray(lab, dtype=np.float64)
    fy = (lab[..., 0] + 16.0) / 116.0
    fx = fy + lab[..., 1] / 500.0
    fz = fy - lab[..., 2] / 200.0
    d = 6.0 / 29.0

    def inv(f):
        return np.where(f > d, f**3, 3 * d * d * (f - 4.0 / 29.0))

    return np.stack([inv(fx), inv(fy), inv(fz)], axis=-1) * np.asarray(white, np.float64)


def lab_from_linear(lin: np.ndarray) -> np.ndarray:
    """CIELAB (D65) from linear sRGB ``(..., 3)``; ``float32``. Values are not clipped, so a
    normalised image that overshoots 1 keeps its true L*."""
    xyz_n = _transform(lin, SRGB_TO_XYZ / D65_WHITE[:, None])  # X/Xn, Y/Yn, Z/Zn
    return lab_from_xyz(xyz_n, np.ones(3))


def a_star_from_linear(lin: np.ndarray) -> np.ndarray:
    """CIELAB a* (D65) alone from linear sRGB ``(..., 3)``: the redness axis, at a third of the
    cost of :func:`lab_from_linear`; ``float32``."""
    f = _lab_f(_transform(lin, SRGB_TO_XYZ[:2] / D65_WHITE[:2, None]))  # X/Xn, Y/Yn
    return (np.float32(500.0) * (f[..., 0] - f[..., 1])).astype(np.float32)


def chromatic_adaptation(src_white: np.ndarray, dst_white: np.ndarray) -> np.ndarray:
    """Bradford chromatic-adaptation matrix taking XYZ under ``src_white`` to ``dst_white``."""
    s = BRADFORD @ np.asarray(src_white, np.float64)
    d = BRADFORD @ np.asarray(dst_white, np.float64)
    return np.linalg.inv(BRADFORD) @ np.diag(d / s) @ BRADFORD


def linear_from_lab_d50(lab_d50: np.ndarray) -> np.ndarray:
    """Linear sRGB of CIELAB values given for D50 (as colour charts are published), Bradford-
    adapted to D65. Out-of-gamut colours give values below 0 or above 1 (not clipped)."""
    xyz50 = xyz_from_lab(lab_d50, D50_WHITE)
    xyz65 = xyz50 @ chromatic_adaptation(D50_WHITE, D65_WHITE).T
    return xyz65 @ XYZ_TO_SRGB.T


# --- Skin indices ------------------------------------------------------------------------------------


def erythema_index(lin: np.ndarray) -> np.ndarray:
    """Erythema index from linear red and green reflectance (Dawson et al. 1980 [2]_).

    ``EI = 100 * (log10(1 / G) - log10(1 / R)) = 100 * log10(R / G)``

    Haemoglobin absorbs green light (540-580 nm) far more than red (> 620 nm), so more blood in
    the skin lowers G much more than R and raises EI; a uniform change of light cancels in the
    ratio. Dawson measured narrow-band reflectance with a spectrophotometer; the camera's broad
    red and green channels stand in for it, so values are comparable between photos of one
    camera, not with published instrument readings.

    Parameters
    ----------
    lin : ndarray
        Linear RGB ``(..., 3)``.

    Returns
    -------
    ndarray
        ``float32`` EI (dimensionless index units), shape ``lin.shape[:-1]``.
    """
    lin = np.maximum(np.asarray(lin, np.float32), np.float32(MIN_REFLECTANCE))
    return (100.0 * np.log10(lin[..., 0] / lin[..., 1])).astype(np.float32)


def melanin_index(lin: np.ndarray) -> np.ndarray:
    """Melanin index ``MI = 100 * log10(1 / R)`` from linear red reflectance (Dawson et al. [2]_).

    In the red, melanin is the main absorber (haemoglobin absorbs little), so darker skin gives a
    higher MI. ``R`` is relative to the camera's white (1.0), so MI also rises with a darker
    exposure: compare MI only between photos with the same (or chart-corrected) exposure.
    """
    lin = np.maximum(np.asarray(lin, np.float32)[..., 0], np.float32(MIN_REFLECTANCE))
    return (-100.0 * np.log10(lin)).astype(np.float32)


def ita_deg(l_star: float | np.ndarray, b_star: float | np.ndarray):
    """Individual typology angle ``ITA° = atan((L* - 50) / b*) * 180 / pi`` (Chardon 1991 [3]_).

    Computed with ``atan2`` so that ``b* = 0`` gives ±90° instead of a division by zero; for skin
    (b* > 0) it equals the published formula.
    """
    return np.degrees(np.arctan2(np.asarray(l_star, np.float64) - 50.0, np.asarray(b_star, np.float64)))


def skin_tone(ita: float) -> str:
    """ITA° skin-tone group (Del Bino et al. 2006 [4]_): ``very_light``, ``light``,
    ``intermediate``, ``tan``, ``brown`` or ``dark``."""
    if not math.isfinite(ita):
        raise ValueError("ITA must be a finite angle")
    for name, lower in TONE_GROUPS:
        if ita > lower:
            return name
    return TONE_GROUPS[-1][0]


# --- Colour difference -------------------------------------------------------------------------------


def delta_e_2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference (kL = kC = kH = 1), vectorised, after Sharma et al. 2005 [5]_.

    Parameters
    ----------
    lab1, lab2 : ndarray
        CIELAB ``(..., 3)``, broadcastable.

    Returns
    -------
    ndarray
        ``float64`` ΔE00, shape of the broadcast inputs without the last axis.
    """
    lab1 = np.asarray(lab1, np.float64)
    lab2 = np.asarray(lab2, np.float64)
    L1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    L2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]
    c1 = np.hypot(a1, b1)
    c2 = np.hypot(a2, b2)
    cm7 = ((c1 + c2) / 2.0) ** 7
    g = 0.5 * (1.0 - np.sqrt(cm7 / (cm7 + 25.0**7)))
    a1p, a2p = (1.0 + g) * a1, (1.0 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360.0
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360.0
    h1p = np.where(c1p == 0, 0.0, h1p)
    h2p = np.where(c2p == 0, 0.0, h2p)

    dl = L2 - L1
    dc = c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180.0, dh - 360.0, np.where(dh < -180.0, dh + 360.0, dh))
    dh = np.where(c1p * c2p == 0, 0.0, dh)
    dH = 2.0 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh) / 2.0)

    lm = (L1 + L2) / 2.0
    cmp_ = (c1p + c2p) / 2.0
    hsum = h1p + h2p
    hm = np.where(
        c1p * c2p == 0,
        hsum,
        np.where(
            np.abs(h1p - h2p) <= 180.0,
            hsum / 2.0,
            np.where(hsum < 360.0, (hsum + 360.0) / 2.0, (hsum - 360.0) / 2.0),
        ),
    )
    t = (
        1.0
        - 0.17 * np.cos(np.radians(hm - 30.0))
        + 0.24 * np.cos(np.radians(2.0 * hm))
        + 0.32 * np.cos(np.radians(3.0 * hm + 6.0))
        - 0.20 * np.cos(np.radians(4.0 * hm - 63.0))
    )
    d_theta = 30.0 * np.exp(-(((hm - 275.0) / 25.0) ** 2))
    cm7p = cmp_**7
    rc = 2.0 * np.sqrt(cm7p / (cm7p + 25.0**7))
    sl = 1.0 + 0.015 * (lm - 50.0) ** 2 / np.sqrt(20.0 + (lm - 50.0) ** 2)
    sc = 1.0 + 0.045 * cmp_
    sh = 1.0 + 0.015 * cmp_ * t
    rt = -np.sin(np.radians(2.0 * d_theta)) * rc
    return np.sqrt((dl / sl) ** 2 + (dc / sc) ** 2 + (dH / sh) ** 2 + rt * (dc / sc) * (dH / sh))


# --- Per-region statistics -----------------------------------------------------------------------------

#: Percentiles between which :func:`central_mean` averages.
CENTRAL_RANGE = (25.0, 75.0)


def central_mean(values: np.ndarray) -> float:
    """Mean of the middle half of the values by rank, 25th to 75th percentile (interquartile
    mean).

    As robust as the median to the tails of a region (a red spot, a strand of hair, residual
    glare), but it averages over half the pixels instead of picking one: 8-bit photos give a*
    values on a lattice, and a median sticks to lattice points and jumps between them, which
    biases changes of a fraction of a unit (measured: +0.13 a* on a 1.5-unit change of a dark,
    smooth face; the interquartile mean: +0.003).
    """
    v = np.asarray(values, np.float32).ravel()
    if v.size == 0:
        raise ValueError("central_mean of no values")
    # By rank, not by value: on lattice data many values tie at the quartiles, and a cut by
    # value would take all or none of them.
    k0 = int(v.size * CENTRAL_RANGE[0] / 100.0)
    k1 = max(k0 + 1, int(round(v.size * CENTRAL_RANGE[1] / 100.0)))
    part = np.partition(v, (k0, k1 - 1))
    return float(part[k0:k1].mean(dtype=np.float64))


def skin_statistics(lab: np.ndarray, lin: np.ndarray) -> dict:
    """Colour statistics of one set of skin pixels.

    Parameters
    ----------
    lab : ndarray
        CIELAB ``(n, 3)`` of the pixels.
    lin : ndarray
        Linear RGB ``(n, 3)`` of the same pixels.

    Returns
    -------
    dict
        ``a_star`` (median a*), ``a_star_p90`` (90th percentile of a*), ``erythema_index`` and
        ``melanin_index`` (medians over pixels), ``ita_deg`` (ITA° of the median L* and b*) and
        ``tone`` (its group); plain floats rounded to 0.01, or ``None`` for no pixels.
    """
    if len(lab) == 0:
        return dict.fromkeys(STAT_FIELDS)
    a = lab[:, 1]
    a_med, a_p90 = np.percentile(a, (50.0, 90.0))
    ei = float(np.median(erythema_index(lin)))
    mi = float(np.median(melanin_index(lin)))
    ita = float(ita_deg(float(np.median(lab[:, 0])), float(np.median(lab[:, 2]))))
    return {
        "a_star": round(float(a_med), 2),
        "a_star_p90": round(float(a_p90), 2),
        "erythema_index": round(ei, 2),
        "melanin_index": round(mi, 2),
        "ita_deg": round(ita, 2),
        "tone": skin_tone(ita),
    }


def region_statistics(regions) -> dict:
    """Per-region colour statistics, the colour fields of ``analyze --json`` regions.

    Parameters
    ----------
    regions : RegionSet
        The face's regions; statistics use each region's ``usable`` work-grid pixels of the set's
        ``work_rgb``, decoded to linear light and converted to CIELAB (D65) here.

    Returns
    -------
    dict
        ``{region name: {field: value}}`` with the fields of :func:`skin_statistics`.
    """
    rgb = regions.work_rgb.reshape(-1, 3)
    out = {}
    for name, region in regions.regions.items():
        px_lin = srgb_to_linear(rgb[np.flatnonzero(region.usable)])
        # CIELAB from linear light with the exact sRGB curve rather than ``work_lab``: OpenCV's
        # float conversion approximates the curve and is off by up to 0.1 a* on skin colours.
        out[name] = skin_statistics(lab_from_linear(px_lin), px_lin)
    return out
