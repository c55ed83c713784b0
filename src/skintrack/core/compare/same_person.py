"""Same person? The later face against the baseline, by fine skin texture after alignment.

The median, over small tiles, of the best normalised correlation of band-passed lightness decides;
the mesh shape (3-D Procrustes distance of the 468 landmarks) decides only when there is no
texture to compare. Measurements: ``docs/colour.md`` and ``benchmarks/bench_colour.py identity``.
"""

from __future__ import annotations

import math

import numpy as np

from skintrack.core.compare.results import Identity

#: Same-person check (``benchmarks/bench_colour.py identity``). The decision rests on skin
#: texture: the median tile correlation of band-passed lightness after alignment. The same
#: frontal faces re-shot with redness, light, pose and JPEG changes score 0.97-0.99; different
#: people score at most 0.62 (240 ordered pairs of sample faces) and 0.67 (703 pairs of ACNE04
#: photos). Real repeat photos (other light direction, focus, expression) will score lower than
#: the phantom's, so the bar sits nearer the different-person side.
#: The search range was widened from 0.75 % to 2.5 % of face width after strong redness (cheeks
#: +12 a* and more, a reaction the app must never drop) moved MediaPipe's mesh by 7-30 px on
#: aptus_1 and the tiles no longer met: re-shot faces with +12 to +20 a* now score >= 0.87
#: (7 frontal faces), while different sample people score at most 0.71 and ACNE04 pairs at most
#: 0.75 (one pair; the set may hold one patient twice), hence the bar at 0.80.
SAME_PERSON_MIN_TEXTURE = 0.80
#: When no tile has texture to compare (a very smooth or blurred face), the mesh shape decides:
#: 3-D Procrustes distance of unit-size landmark sets. Frontal re-shots stay under 0.016, but
#: different people start at 0.018, so shape alone only catches gross mismatches.
SAME_PERSON_MAX_SHAPE = 0.03
#: Texture tiles: side and search range (fraction of face width) and band-pass scales.
TEXTURE_TILE = 0.06
TEXTURE_SEARCH = 0.025
TEXTURE_SIGMAS = (0.005, 0.015)


def shape_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Procrustes distance of two ``(n, 3)`` landmark sets after removing position, size and
    rotation (0 = same shape; unit-size shapes, so at most about 1.4)."""
    p = np.asarray(a, np.float64)[:468]
    q = np.asarray(b, np.float64)[:468]
    p = p - p.mean(axis=0)
    q = q - q.mean(axis=0)
    p /= np.linalg.norm(p)
    q /= np.linalg.norm(q)
    u, s, vt = np.linalg.svd(p.T @ q)
    s[-1] *= np.sign(np.linalg.det(u @ vt))  # a rotation, never a mirror image
    return float(math.sqrt(max(0.0, 2.0 - 2.0 * s.sum())))


def texture_match(base_rgb: np.ndarray, later_rgb: np.ndarray, valid: np.ndarray, face_width: float) -> float:
    """Median over tiles of the best normalised correlation of band-passed lightness.

    Both images are on one grid (the later one warped onto the baseline); each tile of the
    baseline is searched for within a few pixels in the later image, which absorbs the small
    residual misalignment of the mesh. Flat tiles (no texture to match) are skipped.
    """
    import cv2

    s1, s2 = (max(0.6, f * face_width) for f in TEXTURE_SIGMAS)

    def band(img):
        g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
        return cv2.GaussianBlur(g, (0, 0), s1) - cv2.GaussianBlur(g, (0, 0), s2)

    a, b = band(base_rgb), band(later_rgb)
    tile = max(8, int(round(TEXTURE_TILE * face_width)))
    r = max(1, int(round(TEXTURE_SEARCH * face_width)))
    h, w = valid.shape
    ny, nx = (h - 2 * r) // tile, (w - 2 * r) // tile
    if ny < 1 or nx < 1:
        return float("nan")
    # Tile statistics in one pass: coverage (the search window must lie in the mesh, hence the
    # erosion by r) and texture of both images. Flat tiles (under half a grey level of
    # band-passed texture) have nothing to match.
    kernel = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
    inner = cv2.erode(valid.astype(np.uint8), kernel).astype(np.float32)

    def blocks(img):
        return img[r : r + ny * tile, r : r + nx * tile].reshape(ny, tile, nx, tile)

    cover = blocks(inner).mean(axis=(1, 3))
    tex_a = blocks(a).std(axis=(1, 3))
    tex_b = blocks(b).std(axis=(1, 3))
    scores = []
    for ty, tx in zip(*np.nonzero((cover >= 0.95) & (tex_a >= 0.5) & (tex_b >= 0.5)), strict=True):
        y, x = r + ty * tile, r + tx * tile
        t = a[y : y + tile, x : x + tile]
        win = b[y - r : y + tile + r, x - r : x + tile + r]
        scores.append(float(cv2.matchTemplate(win, t, cv2.TM_CCOEFF_NORMED).max()))
    return float(np.median(scores)) if len(scores) >= 5 else float("nan")


def check_identity(
    base_face, later_face, base_rgb: np.ndarray, warped_rgb: np.ndarray, valid: np.ndarray, face_width: float
) -> Identity:
    """Decide whether the later face is the baseline's person (see the module notes)."""
    dist = shape_distance(base_face.landmarks, later_face.landmarks)
    tex = texture_match(base_rgb, warped_rgb, valid, face_width)
    # Texture decides; mesh shape only when there is no texture to compare, since similar faces
    # share a shape and a turned head changes it.
    same = tex >= SAME_PERSON_MIN_TEXTURE if not math.isnan(tex) else dist <= SAME_PERSON_MAX_SHAPE
    return Identity(shape_distance=dist, texture_match=tex, same_person=same)
