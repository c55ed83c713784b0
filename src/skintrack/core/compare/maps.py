"""The redness-change map: Δa* smoothed on the baseline's work grid, and drawn over the baseline
photo (:func:`render_delta_map`, and :func:`delta_map_figure` with its colour scale)."""

from __future__ import annotations

import numpy as np

from skintrack.core.compare.results import Comparison


def smoothed_delta_map(union: np.ndarray, delta: np.ndarray, shape: tuple[int, int], fw: float) -> np.ndarray:
    """Δa* per work pixel, smoothed by normalised convolution (so edges are not pulled toward
    zero), NaN where nothing was measured. The smoothing (1 % of face width) averages away pixel
    noise and residual misalignment of fine texture."""
    import cv2

    h, w = shape
    flat_val = np.zeros(h * w, np.float32)
    flat_have = np.zeros(h * w, np.float32)
    flat_val[union] = delta
    flat_have[union] = 1.0
    val, have = flat_val.reshape(h, w), flat_have.reshape(h, w)
    sigma = max(0.8, 0.01 * fw)
    num = cv2.GaussianBlur(val, (0, 0), sigma)
    den = cv2.GaussianBlur(have, (0, 0), sigma)
    out = np.full((h, w), np.nan, np.float32)
    ok = have > 0
    out[ok] = num[ok] / np.maximum(den[ok], 1e-6)
    return out


def render_delta_map(
    baseline_rgb: np.ndarray, comparison: Comparison, *, max_delta: float = 10.0, alpha: float = 0.65
) -> np.ndarray:
    """The redness-change map over the baseline photo.

    Parameters
    ----------
    baseline_rgb : ndarray
        The baseline photo, ``(h, w, 3) uint8``.
    comparison : Comparison
        Made ``with_map=True``.
    max_delta : float
        Δa* (CIELAB units) at which the colour scale saturates: redder is yellow -> red, less
        red is blue, unchanged is pale.
    alpha : float
        Opacity of the colours over the photo.

    Returns
    -------
    ndarray
        ``uint8`` RGB of the baseline photo's size, coloured where skin was measured.
    """
    out = baseline_rgb.copy()
    x0, y0, x1, y1 = _map_extent(baseline_rgb, comparison)
    if x1 > x0 and y1 > y0:
        out[y0:y1, x0:x1] = _overlay_crop(baseline_rgb[y0:y1, x0:x1], comparison, max_delta, alpha)
    return out


def delta_map_figure(
    baseline_rgb: np.ndarray, comparison: Comparison, *, max_delta: float = 10.0, max_side: int = 1200
) -> np.ndarray:
    """The change map cropped to the baseline face, at most ``max_side`` pixels high or wide,
    with its colour scale underneath (``uint8`` RGB): the image ``compare --map`` writes."""
    import cv2

    from skintrack.core.warp import scale_bar

    x0, y0, x1, y1 = _map_extent(baseline_rgb, comparison)
    if x1 <= x0 or y1 <= y0:
        raise ValueError("the map does not overlap the photo")
    crop = baseline_rgb[y0:y1, x0:x1]
    k = min(1.0, max_side / max(crop.shape[:2]))
    # Shrink the photo first (a 12 MP face crop is ~6 MP), then lay the map over it.
    if k < 1:
        crop = cv2.resize(
            crop, (round(crop.shape[1] * k), round(crop.shape[0] * k)), interpolation=cv2.INTER_AREA
        )
    img = _overlay_crop(crop, comparison, max_delta, 0.65, scale=k)
    w = img.shape[1]
    bar_h = max(12, w // 40)
    pad = bar_h // 2
    text_h = max(14, w // 30)
    panel = np.full((pad + bar_h + pad + text_h + pad, w, 3), 255, np.uint8)
    margin = w // 10
    panel[pad : pad + bar_h, margin : w - margin] = scale_bar(w - 2 * margin, bar_h, max_delta)
    scale = text_h / 30.0
    baseline = pad + bar_h + pad + text_h - 2
    labels = ((f"-{max_delta:g} less red", margin), ("0", w // 2), (f"+{max_delta:g} redder", w - margin))
    for text, x in labels:
        (tw, _), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        xpos = int(np.clip(x - tw // 2, 0, w - tw))
        cv2.putText(
            panel, text, (xpos, baseline), cv2.FONT_HERSHEY_SIMPLEX, scale, (40, 40, 40), 1, cv2.LINE_AA
        )
    title = "change of a* (CIELAB) since the baseline photo"
    tscale = min(scale, 0.9 * w / max(1, cv2.getTextSize(title, cv2.FONT_HERSHEY_SIMPLEX, 1, 1)[0][0]))
    head = np.full((text_h + 2 * pad, w, 3), 255, np.uint8)
    cv2.putText(
        head,
        title,
        (margin // 2, pad + text_h - 2),
        cv2.FONT_HERSHEY_SIMPLEX,
        tscale,
        (40, 40, 40),
        1,
        cv2.LINE_AA,
    )
    return np.vstack([head, img, panel])


def _map_extent(baseline_rgb: np.ndarray, comparison: Comparison) -> tuple[int, int, int, int]:
    """The photo rectangle (x0, y0, x1, y1) the work-grid map covers."""
    if comparison.delta_map is None:
        raise ValueError("this comparison has no map: compare with with_map=True")
    gh, gw = comparison.delta_map.shape
    ox, oy = comparison.map_origin
    s = comparison.map_step
    h, w = baseline_rgb.shape[:2]
    return ox, oy, min(w, ox + gw * s), min(h, oy + gh * s)


def _overlay_crop(
    crop: np.ndarray, comparison: Comparison, max_delta: float, alpha: float, *, scale: float = 1.0
) -> np.ndarray:
    """Blend the colour-mapped Δa* over ``crop``, the photo area of the map shrunk by ``scale``."""
    import cv2

    from skintrack.core.warp import delta_colours

    dm = comparison.delta_map
    if dm is None:
        raise ValueError("the comparison has no map (compare_analyses(..., with_map=True))")
    step = comparison.map_step
    colours = delta_colours(dm, max_delta)
    # Opacity grows with the size of the change, so unchanged skin stays visible under a light
    # tint and real changes stand out.
    strength = np.clip(np.abs(np.nan_to_num(dm)) / np.float32(0.3 * max_delta), 0.0, 1.0)
    have = ((~np.isnan(dm)) * (np.float32(0.35) + np.float32(0.65) * strength) * np.float32(alpha)).astype(
        np.float32
    )
    ch, cw = crop.shape[:2]
    f = step * scale
    if f != 1:
        # Work pixel (i, j) sits at crop pixel (j*f, i*f): scale the grid by ``f``.
        size = (max(1, round(dm.shape[1] * f)), max(1, round(dm.shape[0] * f)))
        interp = cv2.INTER_LINEAR if f > 1 else cv2.INTER_AREA
        colours = cv2.resize(colours, size, interpolation=interp)
        have = cv2.resize(have, size, interpolation=interp)
        if colours.shape[0] < ch or colours.shape[1] < cw:  # rounding: pad by the edge
            pad = ((0, max(0, ch - colours.shape[0])), (0, max(0, cw - colours.shape[1])))
            colours = np.pad(colours, pad + ((0, 0),), mode="edge")
            have = np.pad(have, pad, mode="edge")
    colours = np.ascontiguousarray(colours[:ch, :cw])
    have = np.ascontiguousarray(have[:ch, :cw])
    return cv2.blendLinear(colours, np.ascontiguousarray(crop), have, 1.0 - have)
