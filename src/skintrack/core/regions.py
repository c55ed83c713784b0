"""Named skin regions cut from the face mesh, skin only, with unusable pixels set aside.

Regions are anatomical: ``left_cheek`` is the person's own left cheek (image right in an unmirrored
photo). Each region is a polygon over MediaPipe face-mesh landmarks; eyes, brows, lips and nostrils
are cut out with a margin. Inside a region, pixels that are specular glare, deep shadow or hair are
kept out of colour statistics and counted.

Masks are computed on a grid of every ``step``-th pixel cropped to the face (``step`` chosen so the
face is about :data:`WORK_FACE_WIDTH` samples wide); pixel counts are reported at full resolution.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from skintrack.words import REGION_WORDS, region_phrase

REGION_NAMES = ("forehead", "left_cheek", "right_cheek", "nose", "chin", "perioral")
#: The regions' words live in :mod:`skintrack.words`; this name stays for existing imports.
REGION_LABELS = REGION_WORDS
WORK_FACE_WIDTH = 400


def _region_key(text: str) -> str:
    """Words compared without case, hyphens, underscores, extra spaces or a leading "the"."""
    words = text.replace("-", " ").replace("_", " ").lower().split()
    return " ".join(words[1:] if words[:1] == ["the"] else words)


#: Every way of naming a region that is accepted where regions are typed: the identifiers, the
#: words every front end prints (:func:`skintrack.words.region_name` and, in sentences,
#: :func:`~skintrack.words.region_phrase`: "the skin around the mouth").
_REGION_BY_WORDS = {
    **{_region_key(n): n for n in REGION_NAMES},
    **{_region_key(label): n for n, label in REGION_WORDS.items() if n in REGION_NAMES},
    **{_region_key(region_phrase(n)): n for n in REGION_NAMES},
    _region_key("skin around the mouth"): "perioral",
}


def region_named(text: str) -> str | None:
    """The region identifier for a name as a person types it, or None.

    ``"left_cheek"``, ``"Left cheek"``, ``"left-cheek"`` and ``"the left cheek"`` are all
    ``"left_cheek"`` (the person's own left); ``"around the mouth"`` is ``"perioral"``. The lips
    are not a region that is measured or treated, so ``"lips"`` is None.
    """
    return _REGION_BY_WORDS.get(_region_key(text))


# Polygons as landmark index loops. Right = person's right (image left, unmirrored photo).
POLYGONS: dict[str, tuple[int, ...]] = {
    "forehead": (54, 103, 67, 109, 10, 338, 297, 332, 284, 298, 333, 299, 337, 336, 9, 107, 108, 69, 104, 68),
    "right_cheek": (116, 117, 118, 119, 120, 47, 126, 142, 36, 206, 216, 192, 213, 147, 123),
    "left_cheek": (345, 346, 347, 348, 349, 277, 355, 371, 266, 426, 436, 416, 433, 376, 352),
    "nose": (168, 193, 122, 196, 174, 198, 131, 115, 220, 44, 1, 274, 440, 344, 360, 420, 399, 419, 351, 417),
    "perioral": (
        164,
        167,
        165,
        92,
        206,
        216,
        212,
        202,
        204,
        201,
        200,
        421,
        424,
        422,
        432,
        436,
        426,
        322,
        391,
        393,
    ),
    "chin": (
        202,
        204,
        201,
        200,
        421,
        424,
        422,
        430,
        394,
        379,
        378,
        400,
        377,
        152,
        148,
        176,
        149,
        150,
        169,
        210,
    ),
}

# Features cut out of every region (with a margin proportional to face size).
EXCLUDE: dict[str, tuple[int, ...]] = {
    "right_eye": (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246),
    "left_eye": (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466),
    "right_brow": (70, 63, 105, 66, 107, 55, 65, 52, 53, 46),
    "left_brow": (300, 293, 334, 296, 336, 285, 295, 282, 283, 276),
    "lips": (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146),
    "right_nostril": (219, 218, 237, 44, 125, 141, 94, 2, 97, 99, 60, 75, 240, 235, 64, 48),
    "left_nostril": (439, 438, 457, 274, 354, 370, 94, 2, 326, 328, 290, 305, 460, 455, 294, 278),
}
#: Lips polygon for detectors that look at the lip border (cold sores).
LIPS = EXCLUDE["lips"]
EXCLUDE_MARGIN = 0.025  # of face width, dilation around excluded features

# Thresholds relative to the region's own median lightness (CIELAB L*, 0-100).
GLARE_L_ABOVE = 18.0
GLARE_CHANNEL = 250
SHADOW_L_BELOW = 25.0
HAIR_L_BELOW = 12.0
HAIR_CHROMA_RATIO = 0.65


@dataclass(frozen=True, eq=False)
class Region:
    """One skin region.

    ``mask`` and ``usable`` are boolean arrays on the work grid of the :class:`RegionSet`;
    ``usable`` is ``mask`` less glare, shadow and hair. ``pixels`` and ``excluded``
    are full-resolution pixel counts. ``lab_median`` is CIELAB (D65) over usable pixels.
    """

    name: str
    polygon: np.ndarray  # (n, 2) float32, pixels of the oriented photo
    mask: np.ndarray
    usable: np.ndarray
    pixels: int
    excluded: dict
    lab_median: tuple[float, float, float] | None

    def __post_init__(self) -> None:
        if self.name not in REGION_NAMES:
            raise ValueError(f"unknown region {self.name!r}")
        if self.mask.shape != self.usable.shape or self.mask.dtype != bool:
            raise ValueError("Region masks must be boolean arrays of one shape")


@dataclass(frozen=True, eq=False)
class RegionSet:
    """The regions of one face, on a work grid cropped to the face.

    The work grid samples the photo every ``step`` pixels and covers the face box plus a margin:
    work pixel ``(i, j)`` (row, column) is photo pixel ``(x, y) = (origin[0] + j * step,
    origin[1] + i * step)``. ``work_rgb`` is that crop (uint8) and ``work_lab`` its CIELAB (D65,
    float32). Region masks are boolean arrays of the same shape.
    """

    step: int
    origin: tuple[int, int]  # photo pixel (x, y) of work pixel (0, 0)
    image_size: tuple[int, int]  # width, height (full resolution)
    regions: dict
    work_rgb: np.ndarray
    work_lab: np.ndarray
    face_box: tuple[int, int, int, int]

    def __getitem__(self, name: str) -> Region:
        return self.regions[name]

    def to_work(self, xy: np.ndarray) -> np.ndarray:
        """Photo pixel coordinates (x, y) -> work-grid coordinates (column, row), float."""
        xy = np.asarray(xy, dtype=np.float32)
        return (xy - np.asarray(self.origin, np.float32)) / self.step

    def to_photo(self, xy: np.ndarray) -> np.ndarray:
        """Work-grid coordinates (column, row) -> photo pixel coordinates (x, y)."""
        xy = np.asarray(xy, dtype=np.float32)
        return xy * self.step + np.asarray(self.origin, np.float32)

    def full_mask(self, name: str, *, usable: bool = False) -> np.ndarray:
        """A region's mask over the whole photo at full resolution."""
        import cv2

        r = self.regions[name]
        m = (r.usable if usable else r.mask).astype(np.uint8)
        w, h = self.image_size
        out = np.zeros((h, w), bool)
        ox, oy = self.origin
        big = cv2.resize(
            m, (m.shape[1] * self.step, m.shape[0] * self.step), interpolation=cv2.INTER_NEAREST
        ).astype(bool)
        hh, ww = min(h - oy, big.shape[0]), min(w - ox, big.shape[1])
        out[oy : oy + hh, ox : ox + ww] = big[:hh, :ww]
        return out

    def scaled(self, k: int, image_size: tuple[int, int], face_box: tuple[int, int, int, int]) -> RegionSet:
        """This set, computed on a photo decoded at 1/``k`` scale, in pixels of the full photo
        (``image_size``, ``face_box``): the same work grid and colours, ``k`` times the step,
        polygons and pixel counts at full resolution."""
        from skintrack.core.face import scale_points

        # A work sample is a reduced pixel, whose centre is k * (x + 0.5) - 0.5 at full scale.
        origin = (int(k * self.origin[0] + (k - 1) // 2), int(k * self.origin[1] + (k - 1) // 2))
        area = k * k
        regions = {
            n: replace(
                r,
                polygon=scale_points(r.polygon, k).astype(np.float32),
                pixels=r.pixels * area,
                excluded={c: v * area for c, v in r.excluded.items()},
            )
            for n, r in self.regions.items()
        }
        return replace(
            self,
            step=self.step * k,
            origin=origin,
            image_size=(int(image_size[0]), int(image_size[1])),
            regions=regions,
            face_box=(int(face_box[0]), int(face_box[1]), int(face_box[2]), int(face_box[3])),
        )


def work_step(face_width_px: float) -> int:
    return max(1, int(face_width_px // WORK_FACE_WIDTH))


def polygon(face_xy: np.ndarray, idx: tuple[int, ...]) -> np.ndarray:
    return np.asarray(face_xy[list(idx)], dtype=np.float32)


def compute_regions(rgb: np.ndarray, face) -> RegionSet:
    """Cut the six regions out of ``rgb`` (oriented RGB uint8) for one :class:`Face`."""
    import cv2

    h, w = rgb.shape[:2]
    step = work_step(face.width_px)
    x0, y0, x1, y1 = face.box
    margin = int(0.05 * (x1 - x0))
    ox, oy = max(0, x0 - margin), max(0, y0 - margin)
    ex, ey = min(w, x1 + margin), min(h, y1 + margin)
    work = np.ascontiguousarray(rgb[oy:ey:step, ox:ex:step])
    wh, ww = work.shape[:2]
    xy = face.xy
    origin = np.array([ox, oy], np.float32)
    to_work = lambda pts: np.round((pts - origin) / step).astype(np.int32)  # noqa: E731

    lab = cv2.cvtColor(work.astype(np.float32) * np.float32(1.0 / 255.0), cv2.COLOR_RGB2Lab)

    rad = max(1, int(round(EXCLUDE_MARGIN * face.width_px / step)))
    excl = _excluded(wh, ww, [to_work(polygon(xy, idx)) for idx in EXCLUDE.values()], rad)

    regions = {}
    area = step * step
    for name in REGION_NAMES:
        poly_full = polygon(xy, POLYGONS[name])
        pts = to_work(poly_full)
        # Each region is cut and judged inside its own box of the grid (the same pixels, a
        # fraction of the work), then placed on the whole grid.
        bx0, by0 = np.maximum(pts.min(axis=0), 0)
        bx1, by1 = np.minimum(pts.max(axis=0) + 1, (ww, wh))
        mask = np.zeros((wh, ww), bool)
        usable = np.zeros((wh, ww), bool)
        counts, med = {"glare": 0, "shadow": 0, "hair": 0}, None
        if bx1 > bx0 and by1 > by0:
            box = (slice(by0, by1), slice(bx0, bx1))
            m = np.zeros((by1 - by0, bx1 - bx0), np.uint8)
            cv2.fillPoly(m, [pts - (bx0, by0)], 1)
            mask[box] = m.astype(bool) & ~excl[box]
            u, counts, med = _usable(
                mask[box], np.ascontiguousarray(lab[box]), np.ascontiguousarray(work[box])
            )
            usable[box] = u
        regions[name] = Region(
            name=name,
            polygon=poly_full,
            mask=mask,
            usable=usable,
            pixels=int(usable.sum()) * area,
            excluded={k: v * area for k, v in counts.items()},
            lab_median=med,
        )
    return RegionSet(
        step=step,
        origin=(ox, oy),
        image_size=(w, h),
        regions=regions,
        work_rgb=work,
        work_lab=lab,
        face_box=face.box,
    )


def _excluded(h: int, w: int, polys: list, rad: int) -> np.ndarray:
    """The features' polygons filled and grown by ``rad`` (an elliptic dilation) on an (h, w)
    grid. Each is grown inside its own box (the union of dilations is the dilation of the union):
    the same mask as one dilation of the whole grid, in a fraction of the time."""
    import cv2

    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * rad + 1, 2 * rad + 1))
    out = np.zeros((h, w), bool)
    for pts in polys:
        x0, y0 = np.maximum(pts.min(axis=0) - rad - 1, 0)
        x1, y1 = np.minimum(pts.max(axis=0) + rad + 2, (w, h))
        if x1 <= x0 or y1 <= y0:
            continue
        m = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillPoly(m, [pts - (x0, y0)], 1)
        out[y0:y1, x0:x1] |= cv2.dilate(m, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)
    return out


def _usable(mask: np.ndarray, lab: np.ndarray, rgb: np.ndarray):
    """Split a region mask into usable skin and glare / shadow / hair (counts in work pixels)."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return mask.copy(), {"glare": 0, "shadow": 0, "hair": 0}, None
    px_lab = lab.reshape(-1, 3)[idx]
    L, a, b = px_lab[:, 0], px_lab[:, 1], px_lab[:, 2]
    chroma = np.hypot(a, b)
    med_l = float(np.median(L))
    med_c = float(np.median(chroma))
    rgb_flat = rgb.reshape(-1, 3)
    brightest = np.maximum(np.maximum(rgb_flat[idx, 0], rgb_flat[idx, 1]), rgb_flat[idx, 2])
    glare = (L > med_l + GLARE_L_ABOVE) | (brightest >= GLARE_CHANNEL)
    shadow = ~glare & (L < med_l - SHADOW_L_BELOW)
    hair = ~glare & ~shadow & (L < med_l - HAIR_L_BELOW) & (chroma < HAIR_CHROMA_RATIO * med_c)
    good = ~(glare | shadow | hair)
    usable = np.zeros_like(mask)
    usable.reshape(-1)[idx[good]] = True
    med = None
    if good.any():
        g = px_lab[good]
        med = (float(np.median(g[:, 0])), float(np.median(g[:, 1])), float(np.median(g[:, 2])))
    counts = {"glare": int(glare.sum()), "shadow": int(shadow.sum()), "hair": int(hair.sum())}
    return usable, counts, med
