"""The close-up of one finding, as the app's finding rows and the reports show it.

One function (:func:`finding_crop`) for both, so a spot is framed and ringed alike on screen and on
paper: a square around the spot at photo pixel (x, y), padded where it leaves the photo, scaled to
``size`` pixels, with a ring drawn just outside the spot so the spot itself stays visible.
"""

from __future__ import annotations

import numpy as np

#: The close-up shows this many spot radii on each side, and at least this share of the face
#: width (when known) or :data:`MIN_HALF_PX` pixels, so a tiny spot still shows its surroundings.
CROP_RADII = 4.0
CROP_MIN_FACE_FRACTION = 0.07
MIN_HALF_PX = 24.0
#: The ring's radius: this many spot radii plus :data:`RING_GAP_PX` photo pixels.
RING_RADII = 1.6
RING_GAP_PX = 2.0
#: The ring's colour unless the caller gives one (RGB, yellow), and the padding outside the photo.
RING_RGB = (255, 221, 0)
PAD_RGB = (0, 0, 0)


def finding_crop(
    rgb: np.ndarray,
    x: float,
    y: float,
    radius_px: float,
    face_width_px: float | None = None,
    *,
    size: int = 200,
    ring_rgb: tuple[int, int, int] = RING_RGB,
    pad_rgb: tuple[int, int, int] = PAD_RGB,
) -> np.ndarray:
    """A ``(size, size, 3) uint8`` close-up of the spot at photo pixel (``x``, ``y``).

    Parameters
    ----------
    rgb : ndarray
        ``(h, w, 3) uint8`` photo (RGB, orientation applied).
    x, y, radius_px : float
        The spot's centre and radius, photo pixels.
    face_width_px : float, optional
        Width of the face, photo pixels: the close-up is at least
        :data:`CROP_MIN_FACE_FRACTION` of it on each side.
    size : int
        Side of the returned square, pixels (the crop is enlarged or reduced to it).
    ring_rgb, pad_rgb : tuple of int
        Colour of the ring, and of the padding where the square leaves the photo.
    """
    import cv2

    if size < 8:
        raise ValueError("a close-up needs at least 8 pixels a side")
    r = max(float(radius_px), 0.0)
    half = max(CROP_RADII * r, CROP_MIN_FACE_FRACTION * float(face_width_px or 0.0), MIN_HALF_PX)
    side = max(2, int(round(2 * half)))
    x0, y0 = int(round(float(x) - side / 2)), int(round(float(y) - side / 2))
    window = np.empty((side, side, 3), np.uint8)
    window[:] = pad_rgb
    h, w = rgb.shape[:2]
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x0 + side, w), min(y0 + side, h)
    if sx1 > sx0 and sy1 > sy0:
        window[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = rgb[sy0:sy1, sx0:sx1]
    scale = size / side
    out = cv2.resize(window, (size, size), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    ring = max(4.0, (r * RING_RADII + RING_GAP_PX) * scale)
    centre = (int(round((float(x) - x0) * scale)), int(round((float(y) - y0) * scale)))
    cv2.circle(
        out,
        centre,
        int(round(ring)),
        tuple(int(c) for c in ring_rgb),
        max(1, size // 90),
        lineType=cv2.LINE_AA,
    )
    return out
