"""Colour calibration from a 24-patch ColorChecker Classic in the photo.

A phone camera's colours depend on its sensor, its processing and the light. With a chart of
known colours in the frame, the photo's colours can be mapped back to true colour, and redness
read in absolute CIELAB units. Steps:

1. **Find the chart** with OpenCV's Macbeth-chart detector (``cv2.mcc``) on a copy of at most
   :data:`DETECT_LONG_SIDE` pixels, and read the mean colour of each patch. A chart seen upside
   down is put right by its grey row (white must be brighter than black).
2. **Fit a correction** from camera RGB to linear sRGB. Candidates: sRGB decoding or a per-channel
   tone curve fitted on the six grey patches, followed by a 3x3 matrix or a root-polynomial
   (degree 2, Finlayson et al. 2015) fitted by least squares; and OpenCV's ``cv2.ccm`` model
   (gamma 2.2, 3x3 matrix minimising CIEDE2000). Each is scored by **leave-one-patch-out**: fit on
   23 patches, measure ΔE2000 on the one left out, for every patch. The candidate with the lowest
   held-out mean wins.
3. **Refuse** a calibration whose held-out mean ΔE2000 exceeds :data:`MAX_HELD_OUT_DELTA_E`.

References
----------
.. [1] X-Rite (2014). "New color specifications for ColorChecker SG and Classic charts": CIELAB
   (D50, 2°) of the ColorChecker Classic made from November 2014 on.
.. [2] Finlayson GD, Mackiewicz M, Hurlbert A (2015). "Color correction using root-polynomial
   regression". IEEE Transactions on Image Processing 24(5):1460-1470.
.. [3] Sharma G, Wu W, Dalal EN (2005). The CIEDE2000 color-difference formula (see
   :func:`skintrack.core.colour.delta_e_2000`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from skintrack.core.colour import (
    D65_WHITE,
    SRGB_TO_XYZ,
    delta_e_2000,
    lab_from_xyz,
    linear_from_lab_d50,
    linear_to_srgb8,
    srgb_to_linear,
)
from skintrack.core.errors import SkintrackError

#: ColorChecker Classic patch names, row by row from the dark-skin corner (patches 1-24).
PATCH_NAMES = (
    "dark skin",
    "light skin",
    "blue sky",
    "foliage",
    "blue flower",
    "bluish green",
    "orange",
    "purplish blue",
    "moderate red",
    "purple",
    "yellow green",
    "orange yellow",
    "blue",
    "green",
    "red",
    "yellow",
    "magenta",
    "cyan",
    "white 9.5",
    "neutral 8",
    "neutral 6.5",
    "neutral 5",
    "neutral 3.5",
    "black 2",
)
#: CIELAB (D50, 2°) of the ColorChecker Classic, November 2014 edition and later (X-Rite [1]_).
CHART_LAB_D50 = np.array(
    [
        [37.54, 14.37, 14.92],
        [64.66, 19.27, 17.50],
        [49.32, -3.82, -22.54],
        [43.46, -12.74, 22.72],
        [54.94, 9.61, -24.79],
        [70.48, -32.26, -0.37],
        [62.73, 35.83, 56.50],
        [39.43, 10.75, -45.17],
        [50.57, 48.64, 16.67],
        [30.10, 22.54, -20.87],
        [71.77, -24.13, 58.19],
        [71.51, 18.24, 67.37],
        [28.37, 15.42, -49.80],
        [54.38, -39.72, 32.27],
        [42.43, 51.05, 28.62],
        [81.80, 2.67, 80.41],
        [50.63, 51.28, -14.12],
        [49.57, -29.71, -28.32],
        [95.19, -1.03, 2.93],
        [81.29, -0.57, 0.44],
        [66.89, -0.75, -0.06],
        [50.76, -0.13, 0.14],
        [35.63, -0.46, -0.48],
        [20.64, 0.07, -0.46],
    ]
)
#: The chart in linear sRGB (Bradford-adapted to D65). Cyan lies slightly outside sRGB (red < 0).
CHART_LINEAR = linear_from_lab_d50(CHART_LAB_D50)
#: The chart in CIELAB for D65, the space every ΔE here is measured in.
CHART_LAB_D65 = lab_from_xyz(CHART_LINEAR @ SRGB_TO_XYZ.T, D65_WHITE).astype(np.float64)
GREY_PATCHES = (18, 19, 20, 21, 22, 23)
SKIN_PATCHES = (0, 1)

#: Held-out mean ΔE2000 above which a calibration is refused.
MAX_HELD_OUT_DELTA_E = 5.0
#: Held-out mean ΔE2000 a good chart photo achieves (the target of the tests).
GOOD_HELD_OUT_DELTA_E = 3.0
#: Smallest a* uncertainty (95 % band, a* units) a calibration claims, however well its two
#: skin patches were predicted.
MIN_A_STAR_UNCERTAINTY = 0.3
#: Long side (pixels) of the copy the chart detector searches: the detector's time grows with
#: the image, and a chart big enough to use is still over 100 pixels wide at this size.
DETECT_LONG_SIDE = 1600
#: Patch values (8-bit) at or above this are clipped and left out of fits.
CLIPPED = 250.0

METHODS = (
    "srgb+matrix",
    "srgb+root_polynomial",
    "tone_curve+matrix",
    "tone_curve+root_polynomial",
    "opencv_ccm",
)


class CalibrationError(SkintrackError):
    """No usable colour chart, or a calibration too poor to trust."""


@dataclass(frozen=True, eq=False)
class ChartDetection:
    """A chart found in a photo: ``patches`` are the mean 8-bit RGB of the 24 patches
    (``(24, 3) float64``, chart order), ``corners`` its outline in photo pixels (``(4, 2)``)."""

    patches: np.ndarray
    corners: np.ndarray

    def __post_init__(self) -> None:
        if self.patches.shape != (24, 3):
            raise ValueError("a ColorChecker Classic has 24 patches")
        if not np.all(np.isfinite(self.patches)):
            raise ValueError("patch colours must be finite")


@dataclass(frozen=True, eq=False)
class Calibration:
    """A fitted colour correction from camera RGB to linear sRGB.

    ``held_out_delta_e`` is the mean leave-one-patch-out CIEDE2000 over the usable patches and
    ``held_out_per_patch`` each patch's (NaN for a clipped patch). ``a_star_uncertainty`` is the
    95 % band of a* implied by the held-out errors of the two skin patches (a* units, at least
    :data:`MIN_A_STAR_UNCERTAINTY`).
    """

    method: str
    held_out_delta_e: float
    held_out_max: float
    held_out_per_patch: np.ndarray
    a_star_uncertainty: float
    params: dict = field(default_factory=dict)
    chart: ChartDetection | None = None

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"calibration method must be one of {METHODS}")
        if not np.isfinite(self.held_out_delta_e) or self.held_out_delta_e < 0:
            raise ValueError("held_out_delta_e must be a finite, non-negative ΔE2000")

    def apply_linear(self, rgb8: np.ndarray) -> np.ndarray:
        """Corrected linear sRGB (``float32``) of 8-bit camera RGB ``(..., 3)``."""
        return _apply(self.method, self.params, rgb8)

    def apply(self, rgb: np.ndarray) -> np.ndarray:
        """The photo corrected to sRGB (``uint8``), ready for analysis."""
        rgb = np.asarray(rgb)
        if rgb.dtype != np.uint8:
            raise ValueError("Calibration.apply needs a uint8 image")
        return linear_to_srgb8(self.apply_linear(rgb))

    def to_record(self) -> dict:
        return {
            "method": self.method,
            "held_out_delta_e2000": round(self.held_out_delta_e, 2),
            "held_out_max": round(self.held_out_max, 2),
            "a_star_uncertainty": round(self.a_star_uncertainty, 2),
        }


# --- Detection ---------------------------------------------------------------------------------------


def find_chart(rgb: np.ndarray) -> ChartDetection | None:
    """Find a ColorChecker Classic in an RGB ``uint8`` photo, or ``None``.

    Searches a copy of at most :data:`DETECT_LONG_SIDE` pixels (patch means are as good there,
    and the detector is much faster); corners are returned in full-resolution pixels.
    """
    import cv2

    h, w = rgb.shape[:2]
    k = max(h, w) / DETECT_LONG_SIDE
    small = rgb
    if k > 1:
        small = cv2.resize(rgb, (round(w / k), round(h / k)), interpolation=cv2.INTER_AREA)
    else:
        k = 1.0
    # opencv-contrib's mcc module is missing from the cv2 stubs.
    detector = cv2.mcc.CCheckerDetector_create()  # type: ignore[attr-defined]
    bgr = np.ascontiguousarray(small[..., ::-1])
    if not detector.process(bgr, 1):
        return None
    checker = detector.getBestColorChecker()
    if checker is None:
        return None
    stats = np.asarray(checker.getChartsRGB(), np.float64).reshape(24, 3, -1)
    patches = stats[:, :, 1]  # columns: pixel count, mean, std, min, max; channels R, G, B
    corners = np.asarray(checker.getBox(), np.float64).reshape(4, 2) * k
    greys = patches[list(GREY_PATCHES)].mean(axis=1)
    if greys[0] < greys[-1]:  # white darker than black: the chart was read upside down
        patches = patches[::-1].copy()
        corners = corners[[2, 3, 0, 1]]
    if not np.all(np.diff(patches[list(GREY_PATCHES)].mean(axis=1)) < 0):
        return None  # the grey row is not a ramp: not a chart (or a badly lit one)
    return ChartDetection(patches=patches, corners=corners)


# --- Models ------------------------------------------------------------------------------------------


def _rp2(lin: np.ndarray) -> np.ndarray:
    """Degree-2 root-polynomial terms: R, G, B, sqrt(RG), sqrt(GB), sqrt(RB) [2]_ (they scale
    with exposure like the input, so the fit holds at any brightness)."""
    lin = np.maximum(lin, 0.0)
    r, g, b = lin[..., 0], lin[..., 1], lin[..., 2]
    return np.stack([r, g, b, np.sqrt(r * g), np.sqrt(g * b), np.sqrt(r * b)], axis=-1)


def _fit_tone_curve(rgb8: np.ndarray, use: np.ndarray) -> np.ndarray:
    """Per-channel power law ``v ** gamma`` fitted on the grey patches (log-log least squares,
    through the origin) against their reference luminance; returns the three gammas."""
    greys = [i for i in GREY_PATCHES if use[i]]
    y_ref = CHART_LINEAR[greys] @ SRGB_TO_XYZ[1]
    gammas = np.full(3, 2.2)
    for c in range(3):
        v = rgb8[greys, c] / 255.0
        ok = (v > 0.02) & (y_ref > 0)
        if ok.sum() >= 3:
            lv, ly = np.log(v[ok]), np.log(y_ref[ok])
            # ly = gamma * lv + offset: the offset is exposure, absorbed by the matrix.
            a = np.stack([lv, np.ones_like(lv)], axis=1)
            gammas[c] = float(np.clip(np.linalg.lstsq(a, ly, rcond=None)[0][0], 1.0, 3.5))
    return gammas


def _linearise(method: str, params: dict, rgb8: np.ndarray) -> np.ndarray:
    """Camera values (8-bit scale, uint8 images or float patch means) to linear light."""
    rgb8 = np.asarray(rgb8)
    if method == "srgb+matrix" or method == "srgb+root_polynomial":
        if rgb8.dtype == np.uint8:
            return srgb_to_linear(rgb8)
        return srgb_to_linear(rgb8.astype(np.float32) / np.float32(255.0))
    gamma = np.broadcast_to(np.asarray(params["gamma"], np.float32), (3,))
    if rgb8.dtype == np.uint8:  # a 256-entry table per channel: fast on 12 MP photos
        codes = np.arange(256, dtype=np.float32) / np.float32(255.0)
        out = np.empty(rgb8.shape, np.float32)
        for c in range(3):
            out[..., c] = np.power(codes, gamma[c])[rgb8[..., c]]
        return out
    v = np.maximum(rgb8.astype(np.float32) / np.float32(255.0), 0)
    return np.power(v, gamma)


def _apply(method: str, params: dict, rgb8: np.ndarray) -> np.ndarray:
    lin = _linearise(method, params, rgb8)
    m = np.asarray(params["matrix"], np.float32)
    feats = _rp2(lin) if method.endswith("root_polynomial") else lin
    return (feats @ m).astype(np.float32)


def _fit(method: str, rgb8: np.ndarray, use: np.ndarray) -> dict:
    """Fit one candidate on the patches where ``use`` is true; returns its parameters."""
    if method == "opencv_ccm":
        return _fit_opencv(rgb8, use)
    params: dict = {}
    if method.startswith("tone_curve"):
        params["gamma"] = _fit_tone_curve(rgb8, use).tolist()
    lin = _linearise(method, params, rgb8[use])
    feats = _rp2(lin) if method.endswith("root_polynomial") else lin
    target = CHART_LINEAR[use]
    params["matrix"] = np.linalg.lstsq(feats, target, rcond=None)[0]
    return params


def _fit_opencv(rgb8: np.ndarray, use: np.ndarray) -> dict:
    import cv2

    src = (rgb8 / 255.0).reshape(24, 1, 3).astype(np.float64)
    model = cv2.ccm.ColorCorrectionModel(
        src, CHART_LAB_D50.reshape(24, 1, 3).astype(np.float64), cv2.ccm.COLOR_SPACE_LAB_D50_2
    )
    model.setColorSpace(cv2.ccm.COLOR_SPACE_SRGB)
    model.setCcmType(cv2.ccm.CCM_LINEAR)
    model.setDistance(cv2.ccm.DISTANCE_CIE2000)
    model.setLinearization(cv2.ccm.LINEARIZATION_GAMMA)
    model.setLinearizationGamma(2.2)
    model.setWeightsList(use.astype(np.float64).reshape(24, 1))
    model.compute()
    return {"gamma": 2.2, "matrix": np.asarray(model.getColorCorrectionMatrix(), np.float64)}


def _delta_e(lin: np.ndarray, idx) -> np.ndarray:
    lab = lab_from_xyz(np.asarray(lin, np.float64) @ SRGB_TO_XYZ.T, D65_WHITE)
    return delta_e_2000(lab, CHART_LAB_D65[idx])


def held_out_errors(method: str, rgb8: np.ndarray, use: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-patch-out: ΔE2000 and a* error of each usable patch predicted by a fit on the
    other usable patches (NaN for unusable ones)."""
    de = np.full(24, np.nan)
    da = np.full(24, np.nan)
    for i in np.flatnonzero(use):
        keep = use.copy()
        keep[i] = False
        params = _fit(method, rgb8, keep)
        pred = _apply(method, params, rgb8[i : i + 1])
        de[i] = float(_delta_e(pred, [i])[0])
        lab = lab_from_xyz(pred.astype(np.float64) @ SRGB_TO_XYZ.T, D65_WHITE)
        da[i] = float(lab[0, 1] - CHART_LAB_D65[i, 1])
    return de, da


def fit_calibration(
    patches: np.ndarray, *, methods: tuple[str, ...] = METHODS, chart: ChartDetection | None = None
) -> Calibration:
    """Fit the best correction for 24 measured patch colours (8-bit RGB means).

    Raises
    ------
    CalibrationError
        When too many patches are clipped, or the best held-out mean ΔE2000 exceeds
        :data:`MAX_HELD_OUT_DELTA_E`.
    """
    rgb8 = np.asarray(patches, np.float64)
    if rgb8.shape != (24, 3):
        raise ValueError("need the 24 patch colours of a ColorChecker Classic")
    use = np.all(rgb8 < CLIPPED, axis=1) & np.all(rgb8 > 1.0, axis=1)
    if use.sum() < 18 or not use[list(SKIN_PATCHES)].all():
        raise CalibrationError(
            f"the colour chart is over- or under-exposed ({24 - int(use.sum())} of 24 patches "
            "clipped); photograph it in softer, even light"
        )
    best = None
    for method in methods:
        de, da = held_out_errors(method, rgb8, use)
        mean = float(np.nanmean(de))
        if best is None or mean < best[1]:
            best = (method, mean, de, da)
    if best is None:
        raise ValueError("name at least one calibration method")
    method, mean, de, da = best
    # The a* error where it matters: the two skin patches, each predicted by a fit that did not
    # see it (a pessimistic stand-in for skin, which the real fit does see), with a floor for
    # the luck of two patches.
    a_u = max(MIN_A_STAR_UNCERTAINTY, 1.96 * float(np.sqrt(np.nanmean(np.square(da[list(SKIN_PATCHES)])))))
    cal = Calibration(
        method=method,
        held_out_delta_e=mean,
        held_out_max=float(np.nanmax(de)),
        held_out_per_patch=de,
        a_star_uncertainty=a_u,
        params=_fit(method, rgb8, use),
        chart=chart,
    )
    if mean > MAX_HELD_OUT_DELTA_E:
        raise CalibrationError(
            f"the colour chart calibration is not reliable (held-out ΔE2000 {mean:.1f}, more "
            f"than {MAX_HELD_OUT_DELTA_E:.0f}); photograph the chart flat, evenly lit, without "
            "glare, and fill more of the frame with it"
        )
    return cal


def calibrate_photo(rgb: np.ndarray) -> Calibration:
    """Find the chart in a photo and fit its correction.

    Raises
    ------
    CalibrationError
        When no chart is found or the fit is refused.
    """
    chart = find_chart(rgb)
    if chart is None:
        raise CalibrationError("no 24-patch ColorChecker Classic was found in the photo")
    return fit_calibration(chart.patches, chart=chart)
