"""The later photo brought onto the baseline for the Compare page (no Qt).

Inside the face the later photo is warped triangle by triangle of the face mesh
(:func:`skintrack.core.warp.mesh_mapping`, the same warp the redness map uses), so cheeks, nose and
chin line up even when the head turned a little; outside the face, where there is no mesh, a
single similarity transform fitted to the landmarks keeps hair and background roughly in place.
Both pictures are made at display size (long side :data:`DISPLAY_LONG_SIDE`) to stay quick.
"""

from __future__ import annotations

import numpy as np

DISPLAY_LONG_SIDE = 1200


def display_scale(shape: tuple[int, ...], long_side: int = DISPLAY_LONG_SIDE) -> float:
    return min(1.0, long_side / max(shape[0], shape[1]))


def to_display(rgb: np.ndarray, long_side: int = DISPLAY_LONG_SIDE) -> np.ndarray:
    import cv2

    s = display_scale(rgb.shape, long_side)
    if s == 1.0:
        return rgb
    h, w = rgb.shape[:2]
    return cv2.resize(rgb, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)


def align_later(
    baseline_rgb: np.ndarray,
    baseline_face,
    later_rgb: np.ndarray,
    later_face,
    *,
    long_side: int = DISPLAY_LONG_SIDE,
) -> tuple[np.ndarray, np.ndarray]:
    """``(baseline, later aligned onto it)``, both ``uint8`` RGB of the same display size."""
    import cv2

    from skintrack.core.warp import MESH_POINTS, mesh_mapping

    base = to_display(baseline_rgb, long_side)
    s = base.shape[1] / baseline_rgb.shape[1]
    h, w = base.shape[:2]
    dst = baseline_face.xy[:MESH_POINTS].astype(np.float32) * s
    src = later_face.xy[:MESH_POINTS].astype(np.float32)
    m, _ = cv2.estimateAffinePartial2D(dst, src, method=cv2.LMEDS)
    if m is None:  # degenerate landmarks: fall back to scaling only
        m = np.array([[1 / s, 0, 0], [0, 1 / s, 0]], np.float32)
    outside = cv2.warpAffine(
        later_rgb, m, (w, h), flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE
    )
    mapping = mesh_mapping(
        baseline_face.xy, later_face.xy, (h, w), dst_step=1.0 / s, src_shape=later_rgb.shape[:2]
    )
    inside = mapping.sample(later_rgb)
    return base, np.where(mapping.valid[..., None], inside, outside).astype(np.uint8)
