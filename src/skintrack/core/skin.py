"""Where the face's own skin is: a per-photo skin map from the face mesh and the skin's colour.

The lesion search looks beyond the six analysis regions (the jaw, the temples, the hairline), and
there it also sees hair, ears, eyebrows, background showing through hair and the frames of
glasses. Only findings on skin may decide the verdict or the recovery status (issue 13), so each
photo gets a :class:`SkinMap`:

1. **Mesh.** The face oval is the face. Outside it, only the bands above the brows (forehead and
   hairline) and below the mouth (jaw) may be skin: beside the face between those lines are the
   ears and the side of the head. Inside it, the eyes and eyebrows (with a margin) and the lips
   are not skin, except a band along the lip border, where cold sores sit.
2. **Colour.** The person's own skin colour is learnt from the six regions (CIELAB medians and
   robust spreads, so a few lesions do not move it). A pixel far from it is not skin: darker and
   greyer is hair, an eyebrow or a frame; another hue or a far lightness is background.

A finding is judged by the ring of skin around it (its own pixels are a lesion, whatever their
colour): it is on the skin when most of that ring is skin. :func:`mark_findings` writes the
reason a finding is off the skin into :attr:`~skintrack.core.lesions.Finding.off_skin`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from skintrack.core.face import FACE_OVAL
from skintrack.core.regions import EXCLUDE, POLYGONS, REGION_NAMES

#: The map samples the face so that forehead top to chin (landmarks 10, 152) spans this many
#: pixels (about 0.6 mm per map pixel on an adult face): fine enough for the gaps between strands
#: of hair, a few milliseconds per photo.
MAP_FACE_HEIGHT = 300
#: The map covers the face oval grown by this share of the face height (the lesion search's
#: margin, 0.12, and a ring around its edge).
MAP_MARGIN = 0.16
#: Margin (mm) around the eyes and eyebrows that is not judged as skin: lashes, brow hairs,
#: make-up, the shadow of the brow ridge.
EYE_MARGIN_MM = 2.0
BROW_MARGIN_MM = 2.0
#: The nostrils are cut out of the regions (``regions.EXCLUDE``) and are not skin to treat; the
#: margin covers the shadowed groove around the nose wings.
NOSTRIL_MARGIN_MM = 2.0
#: Inside the lip outline, a band this wide (mm) along the border still counts as skin for cold
#: sores (herpes labialis sits on and beside the vermilion border); deeper is lip.
LIP_BORDER_BAND_MM = 2.0
#: Colour distance, in robust standard deviations of the person's skin, beyond which a pixel is
#: not skin. Skin varies little in hue across a face under one light; lightness varies with
#: shading, so it gets a wider tolerance (:data:`MIN_SPREAD` floors keep an even synthetic face
#: from making every shadow "not skin").
MAX_HUE_Z = 4.0
MAX_L_Z = 4.5
#: Floors of the robust spreads (CIELAB units): L*, a*, b*.
MIN_SPREAD = (6.0, 2.5, 3.0)
#: Hair of the skin's own colour (fair strands over the forehead) and the frames of glasses show
#: as texture: lightness detail finer than TEXTURE_DETAIL_MM, its RMS over TEXTURE_MM. A pixel is
#: textured above TEXTURE_RATIO times the skin's median (at least TEXTURE_MIN, L* units); an area
#: where more than TEXTURE_SHARE of a TEXTURE_AREA_MM window is textured is hair. A single lesion
#: is textured too, but over a few millimetres only, so it stays skin.
TEXTURE_DETAIL_MM = 1.0
TEXTURE_MM = 1.5
TEXTURE_RATIO = 3.0
TEXTURE_MIN = 2.5
TEXTURE_AREA_MM = 8.0
TEXTURE_SHARE = 0.5
#: Below the mouth, outside the face oval by more than this (mm), is the neck, not the face.
JAW_BAND_MM = 3.0
#: A finding counts as on the skin when at least this share of the ring around it is skin.
MIN_SKIN_SHARE = 0.5
#: The ring around a finding: from its radius (at least RING_INNER_MM) out to RING_OUTER_MM more.
RING_INNER_MM = 1.0
RING_OUTER_MM = 3.0
#: Assumed face height (mm, landmark 10 to 152) when the iris scale is unknown.
DEFAULT_FACE_HEIGHT_MM = 185.0

#: Why a place is not skin: codes kept in finding records, words shown to the person.
OFF_SKIN_WORDS = {
    "hair": "hair, an eyebrow or a dark frame, not skin",
    "background": "not skin (background or an object)",
    "ear": "on the ear or the side of the head",
    "eyebrow": "on an eyebrow",
    "eye": "on an eye or eyelid",
    "lips": "on the lips",
    "neck": "below the jaw line, not on the face",
    "nostril": "in or at the edge of a nostril",
}
_SKIN, _HAIR, _BACKGROUND, _EAR, _BROW, _EYE, _LIPS, _LIP_BORDER, _NECK, _NOSTRIL = range(10)
_CODES = {
    _HAIR: "hair",
    _BACKGROUND: "background",
    _EAR: "ear",
    _BROW: "eyebrow",
    _EYE: "eye",
    _LIPS: "lips",
    _NECK: "neck",
    _NOSTRIL: "nostril",
}


@dataclass(frozen=True, eq=False)
class SkinMap:
    """Where the skin is on one photo.

    ``label`` is a (h, w) uint8 map over the face: 0 skin, else why not (see :data:`_CODES`; 7 is
    the lip-border band, skin for cold sores only). Map pixel (col, row) is photo pixel
    ``origin + (col, row) / scale``. ``skin_lab`` is the person's skin colour (CIELAB, D65) and
    ``spread`` its robust standard deviations; ``mm_per_px`` the photo scale used for rings.
    """

    label: np.ndarray
    origin: tuple[int, int]
    scale: float
    skin_lab: tuple[float, float, float]
    spread: tuple[float, float, float]
    mm_per_px: float

    def __post_init__(self) -> None:
        if self.label.ndim != 2 or self.label.dtype != np.uint8:
            raise ValueError("SkinMap.label must be a 2-D uint8 map")
        if self.scale <= 0 or self.mm_per_px <= 0:
            raise ValueError("SkinMap scale and mm_per_px must be positive")

    @property
    def skin(self) -> np.ndarray:
        """Boolean map of skin (the lip-border band excluded)."""
        return self.label == _SKIN

    def scaled(self, k: int) -> SkinMap:
        """This map, made on a photo decoded at 1/``k`` scale, over the full photo: map pixels
        are unchanged, ``k`` times as many photo pixels lie under each (a reduced pixel's centre
        is ``k * (x + 0.5) - 0.5`` at full scale, see ``face.scale_points``)."""
        x0, y0 = self.origin
        origin = (int(k * x0 + (k - 1) // 2), int(k * y0 + (k - 1) // 2))
        return dataclasses.replace(self, origin=origin, scale=self.scale / k, mm_per_px=self.mm_per_px / k)

    def full_mask(self, size: tuple[int, int]) -> np.ndarray:
        """The skin as a boolean mask over a photo of ``size`` (width, height)."""
        import cv2

        w, h = size
        out = np.zeros((h, w), bool)
        ox, oy = self.origin
        mh, mw = self.label.shape
        pw, ph = round(mw / self.scale), round(mh / self.scale)
        big = cv2.resize(
            self.skin.astype(np.uint8), (max(1, pw), max(1, ph)), interpolation=cv2.INTER_NEAREST
        ).astype(bool)
        x1, y1 = min(w, ox + big.shape[1]), min(h, oy + big.shape[0])
        out[oy:y1, ox:x1] = big[: y1 - oy, : x1 - ox]
        return out

    def judge(self, x: float, y: float, radius_px: float, kind: str) -> str:
        """Why the finding at photo (x, y) of ``radius_px`` is not on the skin ('' if it is)."""
        cx = (x - self.origin[0]) * self.scale
        cy = (y - self.origin[1]) * self.scale
        h, w = self.label.shape
        ix, iy = int(round(cx)), int(round(cy))
        if not (0 <= ix < w and 0 <= iy < h):
            return "background"
        centre = int(self.label[iy, ix])
        # The mesh decides where a finding's centre lies on a feature; colour decides the rest.
        if centre in (_EAR, _BROW, _EYE, _LIPS, _NECK, _NOSTRIL):
            return _CODES[centre]
        if centre == _LIP_BORDER:
            return "" if kind == "cold_sore" else "lips"
        px_mm = self.mm_per_px / self.scale  # mm per map pixel
        inner = max(radius_px * self.scale, RING_INNER_MM / px_mm)
        outer = inner + RING_OUTER_MM / px_mm
        r = int(np.ceil(outer))
        y0, y1, x0, x1 = max(0, iy - r), min(h, iy + r + 1), max(0, ix - r), min(w, ix + r + 1)
        yy, xx = np.mgrid[y0:y1, x0:x1]
        d = np.hypot(xx - cx, yy - cy)
        ring = self.label[y0:y1, x0:x1][(d >= inner) & (d <= outer)]
        if ring.size == 0:
            return ""
        skin = (ring == _SKIN) | ((ring == _LIP_BORDER) & (kind == "cold_sore"))
        if kind == "cold_sore":
            # Beside the lip border half the ring is lip: lip counts as the cold sore's own side.
            skin |= ring == _LIPS
        if skin.mean() >= MIN_SKIN_SHARE:
            return ""
        others = ring[~skin]
        vals, counts = np.unique(others, return_counts=True)
        code = int(vals[np.argmax(counts)])
        return _CODES.get(code, "lips")


def _fill(shape, polys, scale_xy) -> np.ndarray:
    import cv2

    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.round(scale_xy(p)).astype(np.int32) for p in polys], 1)
    return m.astype(bool)


def _grow(mask: np.ndarray, px: float) -> np.ndarray:
    import cv2

    if px < 0.5:
        return mask
    d = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 3)
    return d <= px


def _resize(crop: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``crop`` resampled to ``size`` (area means when reducing).

    A reduction by four or more first takes whole-number block means (OpenCV's fast path for an
    integer factor; the last few rows and columns that do not fill a block are left out) so that
    the area resize of what is left still reduces by two to four: a third of the time of one
    area resize of a 12 MP face, and near-identical maps (ADR 0008).
    """
    import cv2

    h, w = crop.shape[:2]
    f = int(min(w / size[0], h / size[1]) / 2)
    if f >= 2:
        crop = cv2.resize(crop[: h - h % f, : w - w % f], (w // f, h // f), interpolation=cv2.INTER_AREA)
        h, w = crop.shape[:2]
    if (w, h) == tuple(size):
        return crop
    return cv2.resize(crop, size, interpolation=cv2.INTER_AREA if w > size[0] else cv2.INTER_LINEAR)


def skin_map(rgb: np.ndarray, face, regions=None) -> SkinMap:
    """The :class:`SkinMap` of the face on ``rgb`` (oriented RGB uint8).

    ``regions`` (a :class:`~skintrack.core.regions.RegionSet`) is accepted for symmetry with the
    other per-photo steps; the colour is learnt from the region polygons on the map itself.
    """
    import cv2

    xy = face.xy.astype(np.float64)
    fh = float(np.linalg.norm(xy[10] - xy[152]))
    mm_per_px = face.mm_per_px if face.mm_per_px else DEFAULT_FACE_HEIGHT_MM / max(fh, 1.0)
    scale = MAP_FACE_HEIGHT / max(fh, 1.0)
    oval = xy[list(FACE_OVAL)]
    margin = MAP_MARGIN * fh
    h, w = rgb.shape[:2]
    x0 = int(max(0, np.floor(oval[:, 0].min() - margin)))
    y0 = int(max(0, np.floor(oval[:, 1].min() - margin)))
    x1 = int(min(w, np.ceil(oval[:, 0].max() + margin)))
    y1 = int(min(h, np.ceil(oval[:, 1].max() + margin)))
    crop = rgb[y0:y1, x0:x1]
    size = (max(8, round((x1 - x0) * scale)), max(8, round((y1 - y0) * scale)))
    small = _resize(crop, size)
    scale = float((size[0] / max(1, x1 - x0) + size[1] / max(1, y1 - y0)) / 2)
    lab = cv2.cvtColor(small.astype(np.float32) * np.float32(1 / 255), cv2.COLOR_RGB2Lab)
    shape = lab.shape[:2]
    px_mm = mm_per_px / scale  # mm per map pixel

    def to_map(pts):
        return (np.asarray(pts, np.float64) - (x0, y0)) * scale

    mxy = to_map(xy)
    # The oval's convex hull: on a turned face the projected oval crosses itself, and a filled
    # self-crossing polygon has holes. The six regions are face whatever the oval does.
    hull = cv2.convexHull(xy[list(FACE_OVAL)].astype(np.float32)).reshape(-1, 2)
    regions_mask = _fill(shape, [xy[list(POLYGONS[n])] for n in REGION_NAMES], to_map)
    inside_oval = _fill(shape, [hull], to_map) | regions_mask
    eyes = _grow(
        _fill(shape, [xy[list(EXCLUDE[n])] for n in ("right_eye", "left_eye")], to_map), EYE_MARGIN_MM / px_mm
    )
    brows = _grow(
        _fill(shape, [xy[list(EXCLUDE[n])] for n in ("right_brow", "left_brow")], to_map),
        BROW_MARGIN_MM / px_mm,
    )
    lips = _fill(shape, [xy[list(EXCLUDE["lips"])]], to_map)
    nostrils = _grow(
        _fill(shape, [xy[list(EXCLUDE[n])] for n in ("right_nostril", "left_nostril")], to_map),
        NOSTRIL_MARGIN_MM / px_mm,
    )
    lip_depth = cv2.distanceTransform(lips.astype(np.uint8), cv2.DIST_L2, 3)
    lip_band = lips & (lip_depth <= LIP_BORDER_BAND_MM / px_mm)

    # Beside the face, between the brows and the mouth, lie the ears and the side of the head.
    # The lines follow the face's roll: distances along its vertical axis (10 -> 152).
    axis = mxy[152] - mxy[10]
    axis /= max(float(np.linalg.norm(axis)), 1e-6)
    cols = np.arange(shape[1], dtype=np.float32)[None, :] - np.float32(mxy[10, 0])
    rows = np.arange(shape[0], dtype=np.float32)[:, None] - np.float32(mxy[10, 1])
    along = cols * np.float32(axis[0]) + rows * np.float32(axis[1])

    def level(idx) -> float:
        p = mxy[list(idx)]
        return float(np.mean((p[:, 0] - mxy[10, 0]) * axis[0] + (p[:, 1] - mxy[10, 1]) * axis[1]))

    brow_line = level(EXCLUDE["right_brow"] + EXCLUDE["left_brow"])
    mouth_line = level((61, 291))
    ears = ~inside_oval & (along > brow_line) & (along < mouth_line)
    beyond = cv2.distanceTransform((~inside_oval).astype(np.uint8), cv2.DIST_L2, 3)
    neck = (beyond > JAW_BAND_MM / px_mm) & (along >= mouth_line)

    # The person's skin colour from the six regions (features cut out).
    sample = regions_mask & ~eyes & ~brows & ~lips
    pix = lab[sample] if sample.any() else lab[inside_oval]
    med = np.median(pix, axis=0)
    mad = np.median(np.abs(pix - med), axis=0) * 1.4826
    spread = np.maximum(mad, MIN_SPREAD)
    z = (lab - med.astype(np.float32)) * (1.0 / spread).astype(np.float32)
    hue_far = z[..., 1] ** 2 + z[..., 2] ** 2 > np.float32(MAX_HUE_Z**2)
    dark = z[..., 0] < -MAX_L_Z
    light = z[..., 0] > MAX_L_Z
    chroma2 = lab[..., 1] ** 2 + lab[..., 2] ** 2
    greyer = chroma2 < np.float32((0.75 * float(np.hypot(med[1], med[2]))) ** 2)
    hair = (dark | (hue_far & greyer & (z[..., 0] < 0))) & ~light
    lum = np.ascontiguousarray(lab[..., 0])
    detail = lum - cv2.GaussianBlur(lum, (0, 0), TEXTURE_DETAIL_MM / px_mm)
    energy = np.sqrt(cv2.GaussianBlur(detail * detail, (0, 0), TEXTURE_MM / px_mm))
    ref = float(np.median(energy[sample])) if sample.any() else 1.0
    textured = (energy > max(TEXTURE_RATIO * ref, TEXTURE_MIN)).astype(np.float32)
    win = max(3, int(round(TEXTURE_AREA_MM / px_mm)) | 1)
    hair |= cv2.blur(textured, (win, win)) > TEXTURE_SHARE
    background = ~hair & (hue_far | light)
    # Small specks either way (a pore, a single strand) are smoothed out.
    k = np.ones((3, 3), np.uint8)
    hair = cv2.morphologyEx(hair.astype(np.uint8), cv2.MORPH_OPEN, k).astype(bool)
    background = cv2.morphologyEx(background.astype(np.uint8), cv2.MORPH_OPEN, k).astype(bool)

    label = np.full(shape, _SKIN, np.uint8)
    label[background] = _BACKGROUND
    label[hair] = _HAIR
    label[ears] = _EAR
    label[neck] = _NECK
    label[lips & ~lip_band] = _LIPS
    label[lip_band] = _LIP_BORDER
    label[brows] = _BROW
    label[nostrils & ~lips] = _NOSTRIL
    label[eyes] = _EYE
    return SkinMap(
        label=label,
        origin=(x0, y0),
        scale=scale,
        skin_lab=(float(med[0]), float(med[1]), float(med[2])),
        spread=(float(spread[0]), float(spread[1]), float(spread[2])),
        mm_per_px=float(mm_per_px),
    )


def mark_findings(findings, skin: SkinMap | None) -> tuple:
    """The findings with :attr:`off_skin` set to why each is not on the skin ('' when it is)."""
    if skin is None:
        return tuple(findings)
    return tuple(dataclasses.replace(f, off_skin=skin.judge(f.x, f.y, f.radius_px, f.kind)) for f in findings)
