"""A redness phantom: real face photos with a known amount of added redness, then re-photographed.

Used by the tests of the redness comparison, by the recovery tests (photo series whose redness
fades over hours) and by the demo. Everything is pure NumPy/OpenCV and deterministic.

Redness is rendered the way blood makes skin red: in linear light, each channel is multiplied by
the transmittance of a thin layer of haemoglobin, ``exp(-k_c * c)``, where ``k`` absorbs green
and blue far more than red (:data:`HAEMOGLOBIN_ABSORBANCE`) and ``c`` is a per-pixel amount. The
amount is solved per region so that the region's median CIELAB a* rises by exactly the requested
Δa*, measured the way :func:`skintrack.core.colour.region_statistics` measures it; masks are
feathered inward so the edit has no visible edge and does not spill into neighbouring regions.

The light, pose and compression of a later photo are then changed with :func:`change_light`,
:func:`change_pose` and :func:`jpeg_roundtrip` (and :func:`sensor_noise`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from skintrack.core.colour import (
    a_star_from_linear,
    central_mean,
    linear_to_srgb,
    srgb_to_linear,
)
from skintrack.core.regions import REGION_NAMES, RegionSet, compute_regions

if TYPE_CHECKING:
    from skintrack.core.face import Face

#: Effective absorbance of a thin layer of oxygenated blood in skin for the camera's red, green
#: and blue bands, relative to green. Oxy-haemoglobin's molar extinction (Prahl S, "Optical
#: absorption of hemoglobin", Oregon Medical Laser Center, 1999) is about 3,000 cm-1/M at 600 nm
#: and a few hundred beyond 620 nm, but 30,000-55,000 across 540-580 nm and 20,000-60,000 across
#: 450-500 nm. Weighted by typical camera channel sensitivities, red comes to under a tenth of
#: green; blue is set lower than its extinction suggests because blue light penetrates skin less
#: deeply and reaches less of the dermal blood. The phantom only needs the right shape (green >
#: blue >> red); the amount is solved for the requested Δa*.
HAEMOGLOBIN_ABSORBANCE = (0.08, 1.0, 0.6)

#: Default inward feather of region masks, as a fraction of the face width.
FEATHER_FRACTION = 0.02

#: Limits of the per-region solve. ``MAX_AMOUNT`` is an absorbance in green of 3 (transmittance
#: 5 %), far beyond any erythema; the solve stops within ``SOLVE_TOLERANCE`` a* units.
MAX_AMOUNT = 3.0
SOLVE_TOLERANCE = 0.005


def _as_regions(rgb: np.ndarray, regions: RegionSet | None, face: Face | None) -> RegionSet | None:
    if regions is not None:
        return regions
    if face is not None:
        return compute_regions(rgb, face)
    return None


def _feathered(mask: np.ndarray, feather_px: float) -> np.ndarray:
    """Weights 0 at the mask's border rising smoothly to 1 at ``feather_px`` inside it."""
    import cv2

    if feather_px <= 0:
        return mask.astype(np.float32)
    dist = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)
    t = np.clip(dist / np.float32(feather_px), 0.0, 1.0)
    return (t * t * (3.0 - 2.0 * t)).astype(np.float32)  # smoothstep: no visible edge


def _region_weights(
    regions: RegionSet, name: str, feather_px: float
) -> tuple[np.ndarray, int, int, int, int] | None:
    """The feathered full-resolution weights of one region, as (weights, y0, y1, x0, x1)."""
    full = regions.full_mask(name)
    ys, xs = np.nonzero(full)
    if ys.size == 0:
        return None
    pad = 2
    y0, y1 = max(0, ys.min() - pad), min(full.shape[0], ys.max() + 1 + pad)
    x0, x1 = max(0, xs.min() - pad), min(full.shape[1], xs.max() + 1 + pad)
    return _feathered(full[y0:y1, x0:x1], feather_px), y0, y1, x0, x1


def _absorb(lin: np.ndarray, amount: np.ndarray) -> np.ndarray:
    k = np.asarray(HAEMOGLOBIN_ABSORBANCE, np.float32)
    return lin * np.exp(-np.asarray(amount, np.float32)[..., None] * k)


def _solve_amount(lin: np.ndarray, weight: np.ndarray, target: float) -> float:
    """Amount ``c`` for which the central mean of a* over ``lin * T(c * weight)`` exceeds that
    of ``lin`` by ``target`` (the estimator :func:`skintrack.core.compare.compare_analyses`
    uses)."""
    if target == 0.0 or lin.size == 0:
        return 0.0
    base = central_mean(a_star_from_linear(lin))

    def delta(c: float) -> float:
        return central_mean(a_star_from_linear(_absorb(lin, c * weight))) - base

    lo, hi = (0.0, MAX_AMOUNT) if target > 0 else (-MAX_AMOUNT, 0.0)
    f_lo, f_hi = delta(lo) - target, delta(hi) - target
    if f_lo * f_hi > 0:
        raise ValueError(f"Δa* {target:+.1f} is beyond what the phantom can render on this skin")
    c = 0.0
    for _ in range(60):  # regula falsi with bisection safeguard; a* is monotonic in c
        c = hi - f_hi * (hi - lo) / (f_hi - f_lo) if f_hi != f_lo else 0.5 * (lo + hi)
        if not lo < c < hi:
            c = 0.5 * (lo + hi)
        f = delta(c) - target
        if abs(f) < SOLVE_TOLERANCE:
            break
        if (f < 0) == (f_lo < 0):
            lo, f_lo = c, f
        else:
            hi, f_hi = c, f
    return c


def to_srgb8(lin: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """Encode linear light to 8-bit sRGB with a uniform dither of ±half a code.

    Plain rounding of a smooth photo rounds many equal pixels the same way and shifts region
    statistics (measured: +0.13 a* on a 1.5-unit change of a dark face); a camera's own noise
    dithers. Deterministic for a ``seed``.
    """
    rng = np.random.default_rng(seed)
    enc = linear_to_srgb(lin) * np.float32(255.0)
    enc += rng.random(enc.shape, dtype=np.float32) - np.float32(0.5)
    return np.clip(np.round(enc), 0, 255).astype(np.uint8)


def add_redness(
    rgb: np.ndarray,
    regions: RegionSet | None = None,
    *,
    face: Face | None = None,
    delta_a_star: float | dict[str, float],
    feather_px: float | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Add haemoglobin-like redness with a known rise of median a* per region.

    Parameters
    ----------
    rgb : ndarray
        The photo, ``(h, w, 3) uint8`` sRGB; not modified.
    regions : RegionSet, optional
        The regions of ``rgb``'s face. If omitted they are computed from ``face``.
    face : Face, optional
        The face of ``rgb`` (used only when ``regions`` is not given).
    delta_a_star : float or dict
        CIELAB a* units. A dict maps region names to their Δa* (regions not named are left
        exactly unchanged); a number applies to all six regions, or, with neither ``regions`` nor
        ``face``, uniformly to the whole image.
    feather_px : float, optional
        Width of the inward feather of each region's mask in pixels (default 2 % of the face
        width). The requested Δa* is met on the region's usable work-grid pixels, feather
        included, as the central (interquartile) mean of a* that the comparison uses.
    seed : int
        Seed of the half-code dither of the 8-bit output (:func:`to_srgb8`).

    Returns
    -------
    ndarray
        A new ``uint8`` image.

    Raises
    ------
    ValueError
        For unknown region names, a dict without a face, or a Δa* the skin cannot render.
    """
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError("add_redness needs an (h, w, 3) uint8 image")
    rs = _as_regions(rgb, regions, face)
    if isinstance(delta_a_star, dict):
        targets = {str(k): float(v) for k, v in delta_a_star.items()}
        unknown = set(targets) - set(REGION_NAMES)
        if unknown:
            raise ValueError(f"unknown regions {sorted(unknown)}; use {', '.join(REGION_NAMES)}")
        if rs is None:
            raise ValueError("per-region redness needs the face or its regions")
    else:
        if rs is None:
            return _uniform_redness(rgb, float(delta_a_star), seed)
        targets = dict.fromkeys(REGION_NAMES, float(delta_a_star))
    targets = {k: v for k, v in targets.items() if v != 0.0}
    if not targets:
        return rgb.copy()

    fx0, _, fx1, _ = rs.face_box
    feather = FEATHER_FRACTION * (fx1 - fx0) if feather_px is None else float(feather_px)
    lin_work = srgb_to_linear(rs.work_rgb)
    ox, oy = rs.origin
    out = rgb.copy()
    for n_done, (name, target) in enumerate(targets.items()):
        got = _region_weights(rs, name, feather)
        if got is None:
            continue
        weight, y0, y1, x0, x1 = got
        # The weights at the region's usable work-grid samples: the pixels the analysis reads.
        rows, cols = np.nonzero(rs[name].usable)
        py, px = oy + rows * rs.step - y0, ox + cols * rs.step - x0
        inside = (py >= 0) & (py < weight.shape[0]) & (px >= 0) & (px < weight.shape[1])
        w_px = np.zeros(rows.size, np.float32)
        w_px[inside] = weight[py[inside], px[inside]]
        amount = _solve_amount(lin_work[rows, cols], w_px, target)
        view = out[y0:y1, x0:x1]
        inside = weight > 0  # only the region changes: the rest keeps its exact values
        lin = srgb_to_linear(view[inside])
        view[inside] = to_srgb8(_absorb(lin, amount * weight[inside]), seed=seed + n_done)
    return out


def _uniform_redness(rgb: np.ndarray, target: float, seed: int) -> np.ndarray:
    lin = srgb_to_linear(rgb)
    sample = lin[:: max(1, rgb.shape[0] // 200), :: max(1, rgb.shape[1] // 200)].reshape(-1, 3)
    amount = _solve_amount(sample, np.ones(len(sample), np.float32), target)
    return to_srgb8(_absorb(lin, np.full(rgb.shape[:2], amount, np.float32)), seed=seed)


def change_light(
    rgb: np.ndarray,
    *,
    white_balance: tuple[float, float, float] = (1.0, 1.0, 1.0),
    exposure: float = 1.0,
    side_shading: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    """Re-light a photo in linear light.

    Parameters
    ----------
    white_balance : tuple of float
        Gains of the red, green and blue channels (a warmer lamp: red > 1, blue < 1).
    exposure : float
        Overall gain (0.8 = 20 % less light).
    side_shading : float
        Fraction of light lost from one side of the image to the other, linearly across its width:
        positive darkens toward the image right, negative toward the left (0.2: the far side gets
        20 % less light).
    seed : int
        Seed of the half-code dither of the 8-bit output (:func:`to_srgb8`).

    Returns
    -------
    ndarray
        ``uint8`` sRGB; values pushed above white clip, as in a camera.
    """
    if exposure <= 0 or min(white_balance) <= 0:
        raise ValueError("exposure and white-balance gains must be positive")
    if not -1.0 < side_shading < 1.0:
        raise ValueError("side_shading must be between -1 and 1")
    h, w = rgb.shape[:2]
    gain = np.asarray(white_balance, np.float32) * np.float32(exposure)
    lin = srgb_to_linear(rgb) * gain
    if side_shading:
        ramp = np.linspace(0.0, 1.0, w, dtype=np.float32)
        if side_shading < 0:
            ramp = ramp[::-1]
        lin *= (1.0 - abs(side_shading) * ramp)[None, :, None]
    return to_srgb8(lin, seed=seed)


def change_pose(
    rgb: np.ndarray,
    *,
    angle_deg: float = 0.0,
    scale: float = 1.0,
    shift: tuple[float, float] = (0, 0),
    yaw_deg: float = 0.0,
) -> np.ndarray:
    """Move the photo as a slightly different framing would.

    ``angle_deg`` rotates in the image plane (counter-clockwise, head tilt) and ``scale`` zooms,
    both about the image centre; ``shift`` moves by (x, y) pixels; ``yaw_deg`` turns the image
    plane about a vertical axis through the centre (a perspective warp: a flat stand-in for a
    small head turn). Borders are filled by replicating the edge; the size is unchanged.
    """
    import cv2

    h, w = rgb.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), float(angle_deg), float(scale))
    m[:, 2] += np.asarray(shift, np.float64)
    hom = np.vstack([m, [0.0, 0.0, 1.0]])
    if yaw_deg:
        f = 1.2 * max(w, h)  # a normal lens: field of view about 45 degrees
        k = np.array([[f, 0, w / 2.0], [0, f, h / 2.0], [0, 0, 1]])
        t = np.radians(yaw_deg)
        r = np.array([[np.cos(t), 0, np.sin(t)], [0, 1, 0], [-np.sin(t), 0, np.cos(t)]])
        hom = k @ r @ np.linalg.inv(k) @ hom
    return cv2.warpPerspective(
        np.ascontiguousarray(rgb), hom, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def jpeg_roundtrip(rgb: np.ndarray, quality: int = 90) -> np.ndarray:
    """Encode as JPEG (4:2:0, like a phone camera) at ``quality`` and decode again."""
    import cv2

    ok, buf = cv2.imencode(
        ".jpg", np.ascontiguousarray(rgb[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    )
    if not ok:
        raise ValueError("JPEG encoding failed")
    return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR_RGB))


def sensor_noise(rgb: np.ndarray, *, sigma: float = 2.0, seed: int = 0) -> np.ndarray:
    """Add Gaussian noise of ``sigma`` 8-bit codes per channel (reproducible for a ``seed``)."""
    rng = np.random.default_rng(seed)
    noisy = rgb.astype(np.float32) + rng.normal(0.0, sigma, rgb.shape).astype(np.float32)
    return np.clip(np.round(noisy), 0, 255).astype(np.uint8)


# --- A colour chart and a camera, for calibration tests ----------------------------------------------

#: A plausible phone-camera response: sensor-to-sRGB cross-talk (rows sum to 1, so grey stays
#: grey before white balance), a warm-lamp white balance error, and a plain gamma instead of the
#: sRGB curve.
CAMERA_MATRIX = ((0.86, 0.18, -0.04), (0.06, 0.84, 0.10), (0.02, -0.14, 1.12))
CAMERA_WHITE_BALANCE = (1.18, 1.0, 0.78)
CAMERA_GAMMA = 2.0


def add_colour_chart(
    rgb: np.ndarray,
    corners: tuple[tuple[float, float], ...] | None = None,
    *,
    patch_px: int = 60,
) -> np.ndarray:
    """Paste a ColorChecker Classic (24 patches, reference colours in sRGB) into a photo.

    The chart is drawn flat (black frame, patches with gaps as on the real chart), then warped
    onto ``corners`` (four photo points: top-left, top-right, bottom-right, bottom-left; default:
    the bottom-left corner of the photo, about a third of its width). Out-of-gamut reference
    values (the cyan patch) are clipped to sRGB, as a printed chart photographed through a
    perfect sRGB camera would be.
    """
    import cv2

    from skintrack.core.calibration import CHART_LINEAR

    h, w = rgb.shape[:2]
    gap, border = patch_px // 6, patch_px // 3
    cw, ch = 6 * patch_px + 5 * gap + 2 * border, 4 * patch_px + 3 * gap + 2 * border
    chart_lin = np.full((ch, cw, 3), 0.01, np.float32)  # the chart's black frame
    for i, colour in enumerate(np.clip(CHART_LINEAR, 0.0, 1.0)):
        r, c = divmod(i, 6)
        y, x = border + r * (patch_px + gap), border + c * (patch_px + gap)
        chart_lin[y : y + patch_px, x : x + patch_px] = colour
    chart = to_srgb8(chart_lin)
    if corners is None:
        cwid = w / 3.0
        chei = cwid * ch / cw
        x0, y1 = 0.04 * w, h - 0.04 * h
        corners = ((x0, y1 - chei), (x0 + cwid, y1 - chei * 1.04), (x0 + cwid * 1.02, y1), (x0, y1))
    src = np.array([[0, 0], [cw, 0], [cw, ch], [0, ch]], np.float32)
    hom = cv2.getPerspectiveTransform(src, np.array(corners, np.float32))
    warped = cv2.warpPerspective(chart, hom, (w, h), flags=cv2.INTER_AREA)
    inside = cv2.warpPerspective(np.full((ch, cw), 255, np.uint8), hom, (w, h)) > 127
    out = np.array(rgb, copy=True)
    out[inside] = warped[inside]
    return out


def camera_response(
    rgb: np.ndarray,
    *,
    matrix: npt.ArrayLike = CAMERA_MATRIX,
    white_balance: npt.ArrayLike = CAMERA_WHITE_BALANCE,
    gamma: float = CAMERA_GAMMA,
    exposure: float = 1.0,
    seed: int = 0,
) -> np.ndarray:
    """Photograph an sRGB scene with a camera of known response.

    The scene's linear light goes through the colour ``matrix`` (camera RGB = M @ linear sRGB),
    the ``white_balance`` gains and ``exposure``, is clipped at white and encoded with
    ``v ** (1 / gamma)``, with a half-code dither.
    """
    lin = srgb_to_linear(rgb)
    cam = lin @ np.asarray(matrix, np.float32).T
    cam *= np.asarray(white_balance, np.float32) * np.float32(exposure)
    enc = np.power(np.clip(cam, 0.0, 1.0), np.float32(1.0 / gamma)) * np.float32(255.0)
    rng = np.random.default_rng(seed)
    enc += rng.random(enc.shape, dtype=np.float32) - np.float32(0.5)
    return np.clip(np.round(enc), 0, 255).astype(np.uint8)
