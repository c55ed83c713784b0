"""Lesion finding: acne lesions, open wounds, crusts and cold sores on one face.

Two detectors share one *work image*, the face resampled so that forehead top to chin (landmarks
10 and 152) spans :data:`WORK_FACE_HEIGHT` pixels, cropped to the face oval grown by
:data:`SEARCH_MARGIN` of that height (expert marks sit on the jaw, temples and hairline too; the
six analysis regions hold only 47 % of them, the grown oval over 92 %, see ``docs/detectors.md``).

**Acne** (comedones, papules, pustules, nodules): candidates are local maxima of difference-of-
Gaussian responses of CIELAB a* (red) and -L* (dark); each candidate is described by
56 numbers (radial colour profile, asymmetry, texture, blob responses, position on the face)
and scored by a gradient-boosted tree ensemble trained on ACNE04 expert marks
(``models/lesions_acne.npz``, ``scripts/train_lesions.py``, ``models/LESIONS.md``). Survivors of
non-maximum suppression above the model's threshold are named by colour and size rules
(:func:`acne_kind`).

**Open wounds, crusts, cold sores**: no labelled photos exist, so these are rules on colour
differences from the person's own skin, sized in millimetres through the iris scale
(:func:`find_patches`). A raw red patch is an open wound, a yellow-brown or dark patch a crust; a
wound, crust or cluster of small spots on or beside the lip border is a cold sore.

All coordinates returned are pixels of the oriented photo.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from skintrack.core.face import FACE_OVAL
from skintrack.core.regions import EXCLUDE, LIPS, REGION_NAMES

#: The face is resampled so that forehead top (landmark 10) to chin (landmark 152) spans this many
#: pixels: the median of ACNE04 (485 px), so the model sees photos at the scale it learned from.
WORK_FACE_HEIGHT = 480
#: The search area is the face oval grown by this share of the face height (work pixels: 58).
SEARCH_MARGIN = 0.12
#: Candidate patches are (2 * PATCH_RADIUS + 1) work pixels square.
PATCH_RADIUS = 10
#: Difference-of-Gaussian inner sigmas (work pixels); each outer sigma is DOG_RATIO times larger.
DOG_SIGMAS = (1.2, 2.0, 3.0, 5.0)
DOG_RATIO = 2.5
#: A candidate's strongest red-or-dark response must exceed this many standard deviations of the
#: response over the search area (keeps 90 % of expert marks reachable at ~1,330 candidates).
CANDIDATE_MIN_Z = 1.0
#: At detection time only candidates with a response of at least this many z are scored: the
#: weaker ones (38 % of them) almost never pass the threshold, and scoring them costs time.
#: Measured on the cross-validated predictions of ACNE04 dev (see models/LESIONS.md): recall
#: 0.410 -> 0.406, precision 0.428 -> 0.439, F1 0.418 -> 0.422. Training still sees all
#: candidates (more negatives to learn from).
DETECT_MIN_Z = 1.6
#: Ring radii (work pixels) of the radial colour profile.
RINGS = (0.0, 1.0, 2.0, 3.0, 4.5, 6.5, 10.0)
#: An acne spot whose centre lies deeper than this inside the outer lip outline is dropped.
LIP_INSIDE_MM = 1.0
#: Two detections closer than this (work pixels) are one lesion (non-maximum suppression).
NMS_RADIUS = 8.0

FEATURE_POINTS = {
    "eyes": EXCLUDE["right_eye"] + EXCLUDE["left_eye"],
    "brows": EXCLUDE["right_brow"] + EXCLUDE["left_brow"],
    "lips": EXCLUDE["lips"],
    "nostrils": EXCLUDE["right_nostril"] + EXCLUDE["left_nostril"],
}

ACNE_KINDS = ("comedone", "papule", "pustule", "nodule")
PATCH_KINDS = ("open_wound", "crust", "cold_sore")
KINDS = ACNE_KINDS + PATCH_KINDS

# --- Kind rules (CIELAB units relative to the person's median skin; sizes in mm) -------------------
#: Redness (a* above skin) from which a spot counts as inflamed (papule, pustule, nodule).
INFLAMED_DA = 4.0
#: A pustule's head: a pixel within 3 work px of an inflamed spot this much lighter (L*) than the
#: spot's surroundings, and no bluer.
PUSTULE_HEAD_DL = 12.0
#: Inflamed lesions at least this wide are nodules (dermatology: nodules are >= 5 mm).
NODULE_MIN_MM = 5.0
#: Open wound: raw red surface, a* this far above skin, L* at least this far below it.
WOUND_DA = 14.0
WOUND_DL = -4.0
#: Crust: yellow-brown (b* above skin, L* off it either way) or dark-brown (L* far below skin,
#: not grey).
CRUST_DB = 8.0
CRUST_DL = -8.0
CRUST_DARK_DL = -28.0
#: Dark crusts must keep at least this share of the skin's chroma (hair and shadow are grey).
CRUST_DARK_CHROMA = 0.8
#: Patches smaller than this (mm across) are left to the acne detector; beside the lips, spots of
#: at least SPOT_MIN_SHARE of that area count toward a cold-sore cluster.
PATCH_MIN_MM = 3.0
SPOT_MIN_SHARE = 0.07
#: Length over width above which a patch is a fold shadow or a hair, not a lesion.
PATCH_MAX_ELONGATION = 2.5
#: The local skin colour a patch is compared with: a blur of about this many mm.
REFERENCE_MM = 12.0
#: Pixels further than this (CIELAB units, any channel) from the median skin are not skin for the
#: local reference (eye masks, hair, background, lesions themselves).
REFERENCE_MAX_DIFF = 25.0
REFERENCE_MAX_DA = 8.0
#: Margin (mm) kept around the eyes for patches (periorbital darkening is common).
EYE_MARGIN_MM = 6.0
#: A cold sore's inflamed base beside the lip: a* this far above the local skin.
COLD_SORE_DA = 10.0
#: A patch must end at a border: the colour difference from the local skin measured in a ring
#: EDGE_RING_MM wide around it may be at most EDGE_MAX_SHARE of the difference inside it.
EDGE_RING_MM = 1.5
EDGE_MAX_SHARE = 0.5
#: Growing a patch takes pixels at least this share as different; growth beyond EDGE_MAX_GROWTH
#: times the core's area means the colour change has no border.
EDGE_GROW_SHARE = 0.4
EDGE_MAX_GROWTH = 8.0
#: Around the lips (this many mm beyond their outline) patches are searched at full resolution.
LIP_ZONE_MM = 8.0
#: Vesicles: pale spots at least this much lighter (L*) than the local skin.
VESICLE_DL = 8.0
#: A red patch up to this size (mm) whose centre is this much lighter (L*) than the local skin
#: is a pustule.
PUSTULE_MAX_MM = 7.0
PUSTULE_HEAD_DL_PATCH = 6.0
#: Margin (mm) kept around the lips, and twice it around eyes, brows and nostrils.
FEATURE_MARGIN_MM = 1.5
#: A wound, crust or spot cluster whose edge is within this distance of the lip border (mm) is a
#: cold sore (herpes labialis sits on or just beside the vermilion border).
LIP_BORDER_MM = 4.0
#: A cluster of at least this many small spots within CLUSTER_MM of each other beside the lip
#: border is a cold sore (grouped vesicles).
CLUSTER_MIN_SPOTS = 3
CLUSTER_MM = 6.0
#: A lesion's extent: the connected pixels around a detection whose contrast with the skin
#: around it (max of a* rise and half the L* change) is at least EXTENT_SHARE of the contrast at
#: its peak, looked for within EXTENT_WINDOW times the blob-scale radius (at least
#: EXTENT_MIN_WINDOW work pixels). Below EXTENT_MIN_CONTRAST (CIELAB units) the blob scale stays.
EXTENT_SHARE = 0.5
EXTENT_WINDOW = 4.0
EXTENT_MIN_WINDOW = 8
EXTENT_MAX_WINDOW = 32
EXTENT_MAX_ELONGATION = 1.8
#: An outline more than this many times the blob-scale radius is not taken (a 4 mm pustule
#: detected at the smallest scale measures about 3.4 times it).
EXTENT_MAX_RATIO = 4.0
EXTENT_MIN_CONTRAST = 3.0
#: Two acne detections are one lesion when either centre lies within this share of the other's
#: extent radius (a pustule's red base peaks on both sides of its pale head).
MERGE_SHARE = 1.0
#: MediaPipe's inner-lip loop: the mouth opening (teeth, tongue) where no lesion can be.
INNER_LIPS = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178,
              88, 95)
#: Findings within this distance (mm) of a region's polygon are "next to" that region.
NEAR_REGION_MM = 10.0
#: Assumed scale when the iris scale is unknown (mm per work pixel at WORK_FACE_HEIGHT: an adult
#: forehead-top-to-chin distance of about 185 mm).
DEFAULT_FACE_HEIGHT_MM = 185.0

MODEL_DIR = Path(__file__).resolve().parents[3] / "models"
MODEL_NAME = "lesions_acne.npz"


@dataclass(frozen=True)
class Finding:
    """One lesion found on a photo.

    ``x``, ``y`` and ``radius_px`` are pixels of the oriented photo; ``diameter_mm`` is through
    the iris scale (``None`` when unknown). ``region`` is the analysis region holding the centre,
    ``"lips"`` on the lips, or ``None`` off the six regions (jaw, temples, hairline);
    ``near_regions`` are the regions within :data:`NEAR_REGION_MM`. ``score`` is 0-1 certainty.
    ``id`` is stable for the same kind at the same place of the same photo. ``off_skin`` says
    why the finding is not on the face's skin (hair, ear, background ...; see
    :mod:`skintrack.core.skin`), '' when it is or was not judged: only findings on the skin count
    for the verdict and the recovery status.
    """

    id: str
    kind: str
    x: float
    y: float
    radius_px: float
    diameter_mm: float | None
    region: str | None
    score: float
    near_regions: tuple[str, ...] = ()
    off_skin: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown finding kind {self.kind!r}")
        if not self.id:
            raise ValueError("a finding needs an id")
        if not (np.isfinite(self.x) and np.isfinite(self.y)) or self.radius_px < 0:
            raise ValueError("a finding needs a finite position and a non-negative radius")
        if not 0.0 <= self.score <= 1.0:
            raise ValueError("finding score must be within 0-1")
        if self.region is not None and self.region not in REGION_NAMES + ("lips",):
            raise ValueError(f"unknown region {self.region!r}")
        if any(r not in REGION_NAMES for r in self.near_regions):
            raise ValueError("near_regions must name analysis regions")

    @property
    def regions(self) -> frozenset[str]:
        """The region holding the finding and the regions next to it."""
        return frozenset(self.near_regions) | ({self.region} if self.region else set())

    def to_record(self) -> dict:
        """The JSON record in ``analyze --json`` ``findings``."""
        return {
            "id": self.id, "kind": self.kind, "x": round(self.x, 1), "y": round(self.y, 1),
            "radius_px": round(self.radius_px, 1),
            "diameter_mm": None if self.diameter_mm is None else round(self.diameter_mm, 2),
            "region": self.region, "near_regions": list(self.near_regions),
            "score": round(self.score, 3), "off_skin": self.off_skin or None,
        }

    @classmethod
    def from_record(cls, rec: dict) -> Finding:
        return cls(id=str(rec["id"]), kind=str(rec["kind"]), x=float(rec["x"]), y=float(rec["y"]),
                   radius_px=float(rec["radius_px"]),
                   diameter_mm=None if rec.get("diameter_mm") is None else float(rec["diameter_mm"]),
                   region=rec.get("region"), score=float(rec["score"]),
                   near_regions=tuple(rec.get("near_regions") or ()),
                   off_skin=str(rec.get("off_skin") or ""))


def finding_id(kind: str, x: float, y: float) -> str:
    """Stable short id: a hash of the kind and the position rounded to 4 px."""
    key = f"{kind}:{round(x / 4)}:{round(y / 4)}"
    return hashlib.sha1(key.encode()).hexdigest()[:10]


# --- Work image ------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class LesionWork:
    """The face resampled to the work scale, with its CIELAB image, search mask and responses.

    Work pixel (x, y) is photo pixel ``origin + (x, y) / scale``.
    """

    scale: float  # work pixels per photo pixel
    origin: tuple[int, int]
    lab: np.ndarray  # (h, w, 3) float32 CIELAB D65
    mask: np.ndarray  # (h, w) bool search area
    xy: np.ndarray  # (478, 2) landmarks in work pixels
    skin_lab: tuple[float, float, float]  # median CIELAB of the face oval
    dog: np.ndarray  # (8, h, w) float32 DoG responses of a* and -L*, in robust z units
    roll_rad: float
    mm_per_work_px: float

    def to_photo(self, pts: np.ndarray) -> np.ndarray:
        return np.asarray(pts, np.float64) / self.scale + np.asarray(self.origin, np.float64)


def face_height_px(face) -> float:
    """Forehead top (landmark 10) to chin (landmark 152), photo pixels."""
    xy = face.xy
    return float(np.linalg.norm(xy[10] - xy[152]))


def _halve(img: np.ndarray) -> np.ndarray:
    """Half size, each pixel the mean of a 2 x 2 block (an odd last row or column is dropped).

    OpenCV's bilinear resize at exactly half size samples midway between pixels, which is that
    mean, and it is several times faster than its area resize (0.1 ms vs 0.9 ms for a float work
    image; the area resize takes a slower general path when a side is odd).
    """
    import cv2

    h, w = (img.shape[0] // 2) * 2, (img.shape[1] // 2) * 2
    return cv2.resize(img[:h, :w], (w // 2, h // 2), interpolation=cv2.INTER_LINEAR)


def _resample(crop: np.ndarray, scale: float) -> np.ndarray:
    import cv2

    h, w = crop.shape[:2]
    size = (max(8, round(w * scale)), max(8, round(h * scale)))
    if scale >= 1.0:
        return cv2.resize(crop, size, interpolation=cv2.INTER_LINEAR)
    if scale > 0.5:
        # Photos near the work scale (ACNE04, on which the acne model is trained) take OpenCV's
        # area resize, unchanged.
        return cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    # Large photos: 2 x 2 means until less than a halving is left, then a bilinear step (it
    # still reads every pixel once the remaining reduction is under 2). Every sensor pixel is
    # averaged in; an area resize of the last, non-integer step alone took 7.5 ms on 12 MP.
    while crop.shape[1] >= 2 * size[0] and crop.shape[0] >= 2 * size[1]:
        crop = _halve(crop)
    if crop.shape[1] != size[0] or crop.shape[0] != size[1]:
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_LINEAR)
    return crop


def _dog_stack(ch: np.ndarray, out: np.ndarray, sub: np.ndarray) -> None:
    """Difference-of-Gaussian responses of one channel into ``out`` (len(DOG_SIGMAS), h, w).

    The blurs form one chain (each adds the sigma still missing, so kernels stay small); sigmas
    of 5 px and more run at half resolution, where a wide blur costs a quarter as much and loses
    nothing a 5-px blur keeps (2 x 2 means down, exactly twice the size back up, so the two grids
    stay aligned). Kernels end at 3 sigma (OpenCV's default for float images is 4: 0.3 % of the
    weight, a quarter of the time). Each response is divided by its standard deviation over the
    search area, so thresholds are in z units whatever the photo's contrast.
    """
    import cv2

    h, w = ch.shape
    sigmas = sorted(set(DOG_SIGMAS) | {s * DOG_RATIO for s in DOG_SIGMAS})
    blurred: dict[float, np.ndarray] = {}
    cur, cur_sigma, half = ch, 0.0, False
    for sg in sigmas:
        if sg >= 5.0 and not half:
            if h % 2 or w % 2:
                cur = cv2.copyMakeBorder(cur, 0, h % 2, 0, w % 2, cv2.BORDER_REPLICATE)
            cur = _halve(cur)
            half = True
        inc = float(np.sqrt(sg**2 - cur_sigma**2)) / (2 if half else 1)
        k = 2 * int(np.ceil(3.0 * inc)) + 1
        cur = cv2.GaussianBlur(cur, (k, k), inc)
        cur_sigma = sg
        blurred[sg] = (cv2.resize(cur, (2 * cur.shape[1], 2 * cur.shape[0]),
                                  interpolation=cv2.INTER_LINEAR)[:h, :w] if half else cur)
    for k, sg in enumerate(DOG_SIGMAS):
        d = out[k]
        np.subtract(blurred[sg], blurred[sg * DOG_RATIO], out=d)
        sd = float(d[::3, ::3][sub].std()) if sub.any() else 1.0
        d *= np.float32(1.0 / max(sd, 1e-3))


def prepare(rgb: np.ndarray, face, *, responses: bool = True) -> LesionWork:
    """Resample the face of ``rgb`` (oriented RGB uint8) to the work scale and compute responses.

    With ``responses=False`` the blob responses are left out (``dog`` is empty): enough for
    :func:`find_patches`, which can then run while :func:`with_responses` adds them.
    """
    import cv2

    fh = face_height_px(face)
    scale = WORK_FACE_HEIGHT / max(fh, 1.0)
    xy = face.xy.astype(np.float64)
    oval = xy[list(FACE_OVAL)]
    margin = SEARCH_MARGIN * fh + (PATCH_RADIUS + 2) / scale
    h, w = rgb.shape[:2]
    x0 = int(max(0, np.floor(oval[:, 0].min() - margin)))
    y0 = int(max(0, np.floor(oval[:, 1].min() - margin)))
    x1 = int(min(w, np.ceil(oval[:, 0].max() + margin)))
    y1 = int(min(h, np.ceil(oval[:, 1].max() + margin)))
    crop = _resample(rgb[y0:y1, x0:x1], scale)
    # Rounding the output size changes the scale a little: take it from the sizes.
    scale = float((crop.shape[1] / max(1, x1 - x0) + crop.shape[0] / max(1, y1 - y0)) / 2)
    lab = cv2.cvtColor(crop.astype(np.float32) * np.float32(1 / 255), cv2.COLOR_RGB2Lab)
    wxy = (xy[:, :2] - (x0, y0)) * scale
    oval_mask = np.zeros(crop.shape[:2], np.uint8)
    cv2.fillPoly(oval_mask, [np.round(wxy[list(FACE_OVAL)]).astype(np.int32)], 1)
    inner = oval_mask.astype(bool)
    # A distance transform grows the oval far faster than a large elliptic dilation.
    outside = cv2.distanceTransform(1 - oval_mask, cv2.DIST_L2, 3)
    mask = outside <= SEARCH_MARGIN * WORK_FACE_HEIGHT
    eyes = np.zeros(crop.shape[:2], np.uint8)
    for name in ("right_eye", "left_eye"):
        cv2.fillPoly(eyes, [np.round(wxy[list(EXCLUDE[name])]).astype(np.int32)], 1)
    eyes = eyes.astype(bool)
    mask &= ~eyes
    sub = (inner & ~eyes)[::3, ::3]
    skin = lab[::3, ::3][sub]
    skin_lab = tuple(float(v) for v in np.median(skin, axis=0)) if len(skin) else (60.0, 12.0, 15.0)
    roll = np.arctan2(wxy[152, 0] - wxy[10, 0], wxy[152, 1] - wxy[10, 1])
    mm_per_px = face.mm_per_px if face.mm_per_px else DEFAULT_FACE_HEIGHT_MM / fh
    work = LesionWork(scale=scale, origin=(x0, y0), lab=lab, mask=mask, xy=wxy,
                      skin_lab=skin_lab, dog=np.zeros((0,) + mask.shape, np.float32),
                      roll_rad=float(roll), mm_per_work_px=float(mm_per_px / scale))
    return with_responses(work) if responses else work


def with_responses(work: LesionWork) -> LesionWork:
    """``work`` with its difference-of-Gaussian responses of a* and -L* (see :func:`_dog_stack`)."""
    n = len(DOG_SIGMAS)
    out = np.empty((2 * n,) + work.mask.shape, np.float32)
    sub = work.mask[::3, ::3]
    # b* responses added nothing in cross-validation (F1 0.420 with, 0.418 without) and cost a
    # third of this step: only a* (red) and -L* (dark).
    _dog_stack(np.ascontiguousarray(work.lab[..., 1]), out[:n], sub)
    _dog_stack(np.ascontiguousarray(-work.lab[..., 0]), out[n:], sub)
    return replace(work, dog=out)


# --- Acne candidates and their description --------------------------------------------------------
def candidates(work: LesionWork, min_z: float = CANDIDATE_MIN_Z) -> np.ndarray:
    """Local maxima of the strongest red or dark blob response: (n, 2) int64 work x, y."""
    import cv2

    k = len(DOG_SIGMAS)
    comb = np.maximum(work.dog[:k].max(0), work.dog[k:2 * k].max(0))
    peak = comb >= cv2.dilate(comb, np.ones((5, 5), np.uint8))
    r = PATCH_RADIUS
    inside = np.zeros_like(work.mask)
    inside[r:-r, r:-r] = work.mask[r:-r, r:-r]
    ys, xs = np.nonzero(peak & inside & (comb > min_z))
    return np.stack([xs, ys], 1).astype(np.int64)


@lru_cache(maxsize=1)
def _patch_weights():
    r = PATCH_RADIUS
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    d = np.hypot(xx, yy).ravel()
    ang = np.arctan2(yy, xx).ravel()
    rings = []
    for i in range(len(RINGS) - 1):
        lo, hi = RINGS[i], RINGS[i + 1]
        m = (d <= hi) & ((d > lo) if i else True)
        rings.append(m / m.sum())
    sectors = []
    for j in range(8):
        m = (d > 3.0) & (d <= 8.0) & (((ang + np.pi) // (np.pi / 4)).astype(int) % 8 == j)
        sectors.append(m / m.sum())
    return (np.stack(rings, 1).astype(np.float32), np.stack(sectors, 1).astype(np.float32),
            d <= 3.0, d <= r)


def _patches(ch: np.ndarray, pts: np.ndarray) -> np.ndarray:
    from numpy.lib.stride_tricks import sliding_window_view

    r = PATCH_RADIUS
    win = sliding_window_view(ch, (2 * r + 1, 2 * r + 1))
    return win[pts[:, 1] - r, pts[:, 0] - r].reshape(len(pts), -1)


#: Bumped whenever the candidates or features change, so a cached training set is rebuilt.
FEATURE_VERSION = 4

FEATURE_NAMES: tuple[str, ...] = tuple(
    [f"{c}_ring{i}" for c in "Lab" for i in range(len(RINGS) - 2)]
    + [f"{c}_{n}" for c in "Lab" for n in ("outer_vs_skin", "sector_range", "sector_std",
                                              "inner_std", "inner_max", "inner_min", "patch_std")]
    + ["dark_fraction", "gradient"]
    + [f"dog_{c}_{s}" for c in ("a", "negL") for s in DOG_SIGMAS]
    + ["face_u", "face_v", "d_oval", "d_eyes", "d_brows", "d_lips", "d_nostrils",
       "skin_L", "skin_a", "skin_b"]
)


def candidate_features(work: LesionWork, pts: np.ndarray) -> np.ndarray:
    """(n, len(FEATURE_NAMES)) float32 description of candidates at work pixels ``pts``."""
    rings, sectors, disc3, disc = _patch_weights()
    wdisc = (disc / disc.sum()).astype(np.float32)
    weights = np.concatenate([rings, sectors, wdisc[:, None]], 1)
    nr = rings.shape[1]
    n = len(pts)
    skin = np.asarray(work.skin_lab, np.float32)
    ring_diffs, per_channel = [], []
    extra = []
    for c in range(3):
        p = _patches(work.lab[..., c], pts)
        # Weighted sums as one matrix product each (BLAS) instead of masked copies.
        sums = p @ weights
        rm, sm, mean = sums[:, :nr], sums[:, nr:nr + 8], sums[:, -1]
        outer = rm[:, -1]
        ring_diffs.append(rm[:, :-1] - outer[:, None])
        inner = p[:, disc3]
        var = np.maximum((p * p) @ wdisc - mean * mean, 0.0)
        per_channel.append(np.stack([
            outer - skin[c], sm.max(1) - sm.min(1), sm.std(1), inner.std(1),
            inner.max(1) - outer, inner.min(1) - outer, np.sqrt(var)], 1))
        if c == 0:
            extra.append((p < skin[0] - 20).astype(np.float32) @ (disc / disc.sum()))
            extra.append(_patch_gradient(p))
    dog = work.dog[:, pts[:, 1], pts[:, 0]].T
    parts = ring_diffs + per_channel + [np.stack(extra, 1), dog, _position_features(work, pts),
                                        np.broadcast_to(skin, (n, 3))]
    return np.concatenate([np.asarray(f, np.float32).reshape(n, -1) for f in parts], 1)


def _patch_gradient(p: np.ndarray) -> np.ndarray:
    """Mean |vertical| plus mean |horizontal| L* step inside each (2r+1)-square patch, from the
    candidates' own patches (``p``: (n, (2r+1)^2)); a box filter over the whole work image gave
    the same numbers for every pixel and cost ten times as much."""
    side = 2 * PATCH_RADIUS + 1
    q = p.reshape(len(p), side, side)
    return (np.abs(q[:, 1:] - q[:, :-1]).mean((1, 2))
            + np.abs(q[:, :, 1:] - q[:, :, :-1]).mean((1, 2)))


def _position_features(work: LesionWork, pts: np.ndarray) -> np.ndarray:
    # Position in a face frame: origin at the nose tip (landmark 1), unit face height, upright.
    c, s = np.cos(work.roll_rad), np.sin(work.roll_rad)
    rel = (pts - work.xy[1]) / WORK_FACE_HEIGHT
    cols = [rel[:, 0] * c - rel[:, 1] * s, rel[:, 0] * s + rel[:, 1] * c]
    # Nearest landmark of each group (outline, eyes, brows, lips, nostrils): all distances in one
    # pass, then the minimum within each group's columns.
    groups = (FACE_OVAL, *FEATURE_POINTS.values())
    q = work.xy[[i for idx in groups for i in idx]]
    d2 = (pts[:, None, 0] - q[None, :, 0]) ** 2 + (pts[:, None, 1] - q[None, :, 1]) ** 2
    starts = np.cumsum([0] + [len(idx) for idx in groups[:-1]])
    near = np.minimum.reduceat(d2, starts, axis=1)
    cols.extend(np.sqrt(near.T) / WORK_FACE_HEIGHT)
    return np.stack(cols, 1)


# --- The learned scorer ------------------------------------------------------------------------------
class TreeModel:
    """A gradient-boosted tree ensemble stored as plain arrays (``.npz``), evaluated with numpy.

    Arrays: ``feature`` (int32), ``threshold`` (float64), ``left``/``right`` (int32 child node
    indices, global), ``leaf`` (bool), ``value`` (float32 leaf values), ``roots`` (int32), and
    ``baseline`` (log-odds). A sample goes left when ``x[feature] <= threshold``. No pickle:
    the file cannot run code and does not depend on the scikit-learn version.
    """

    def __init__(self, arrays: dict, meta: dict) -> None:
        self.feature = np.asarray(arrays["feature"], np.int32)
        self.threshold = np.asarray(arrays["threshold"], np.float64)
        self.left = np.asarray(arrays["left"], np.int32)
        self.right = np.asarray(arrays["right"], np.int32)
        self.leaf = np.asarray(arrays["leaf"], bool)
        self.value = np.asarray(arrays["value"], np.float32)
        self.roots = np.asarray(arrays["roots"], np.int32)
        self.baseline = float(np.asarray(arrays["baseline"]).ravel()[0])
        self.depth = int(np.asarray(arrays["depth"]).ravel()[0])
        self.meta = meta
        self.threshold_score = float(meta["threshold"])
        n = len(self.feature)
        if not (len(self.threshold) == len(self.left) == len(self.right) == len(self.leaf)
                == len(self.value) == n) or self.roots.max(initial=0) >= n:
            raise ValueError("inconsistent tree arrays")
        if tuple(meta.get("features", ())) != FEATURE_NAMES:
            raise ValueError("the lesion model was trained on other features; retrain it with "
                             "scripts/train_lesions.py")
        # Leaves point to themselves so that every sample can take the same number of steps.
        idx = np.arange(n, dtype=np.int32)
        self.left = np.where(self.leaf, idx, self.left)
        self.right = np.where(self.leaf, idx, self.right)
        self.feature = np.where(self.leaf, 0, self.feature)
        # children[2 * node + went_left]: one gather per step instead of two and a select.
        self.children = np.stack([self.right, self.left], 1).ravel()
        # Features are float32: comparing them with the largest float32 not above each float64
        # threshold decides exactly as the float64 comparison does, with half the bytes to
        # gather and no conversion (a third of the evaluation time).
        t32 = self.threshold.astype(np.float32)
        up = t32.astype(np.float64) > self.threshold
        t32[up] = np.nextafter(t32[up], np.float32(-np.inf))
        self.threshold32 = t32

    @classmethod
    def load(cls, path: str | Path) -> TreeModel:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(bytes(arrays.pop("meta")).decode())
        return cls(arrays, meta)

    def save(self, path: str | Path) -> None:
        np.savez_compressed(path, feature=self.feature, threshold=self.threshold, left=self.left,
                            right=self.right, leaf=self.leaf, value=self.value, roots=self.roots,
                            baseline=np.array([self.baseline]), depth=np.array([self.depth]),
                            meta=np.frombuffer(json.dumps(self.meta).encode(), np.uint8))

    def certainty(self, score: np.ndarray, kind: str | None = None) -> np.ndarray:
        """The share of unseen detections with this raw ``score`` that were expert-marked lesions
        (the Platt-scaled calibration stored by ``scripts/train_lesions.py``, on a 0.01 grid;
        ``score`` itself when the model has none). With ``kind`` (an acne kind named by
        :func:`acne_kind`), the share among detections of that kind: spots with a pale head on a
        red base were lesions far more often than dark or skin-coloured spots scored alike."""
        cal = self.meta.get("calibration")
        score = np.asarray(score, np.float64)
        if not cal:
            return score
        by_kind = cal.get("by_kind") or {}
        if kind is not None and by_kind:
            # Nodules are papules that grew wide; ACNE04 at 640 px has too few to fit apart.
            return np.interp(score, cal["score"], by_kind.get(kind, by_kind["papule"]))
        return np.interp(score, cal["score"], cal["matched"])

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probability (0-1) for each row of ``x`` (n, features)."""
        x = np.asarray(x, np.float32)
        n = len(x)
        if n == 0:
            return np.zeros(0)
        flat = x.ravel()
        base = (np.arange(n, dtype=np.int32) * x.shape[1])[None, :]
        node = np.repeat(self.roots[:, None], n, axis=1)  # (trees, n)
        for _ in range(self.depth):
            go_left = flat[base + self.feature[node]] <= self.threshold32[node]
            node = self.children[(node << 1) | go_left]
        raw = self.baseline + self.value[node].sum(0, dtype=np.float64)
        return 1.0 / (1.0 + np.exp(-raw))


@lru_cache(maxsize=2)
def load_model(path: str | None = None) -> TreeModel | None:
    """The bundled acne model, or ``None`` when it has not been trained."""
    p = Path(path) if path else MODEL_DIR / MODEL_NAME
    if not p.is_file():
        alt = Path(__file__).resolve().parent.parent / "_models" / MODEL_NAME
        if not alt.is_file():
            return None
        p = alt
    return TreeModel.load(p)


# --- Acne detection ------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class AcneSpots:
    """Scored acne detections after non-maximum suppression (work pixels and photo pixels)."""

    work_xy: np.ndarray  # (n, 2) int
    photo_xy: np.ndarray  # (n, 2) float
    radius_work: np.ndarray  # (n,)
    score: np.ndarray  # (n,) raw model score (the threshold applies to it)
    features: np.ndarray = field(repr=False)  # (n, F)
    #: (n,) calibrated: the share of unseen detections scored so that were expert lesions.
    certainty: np.ndarray = field(default_factory=lambda: np.zeros(0))


def nms(xy: np.ndarray, score: np.ndarray, radius: float, min_score: float) -> np.ndarray:
    """Indices of the detections kept, best first: each at least ``radius`` from a better one."""
    order = np.argsort(-score, kind="stable")
    order = order[score[order] >= min_score]
    kept: list[int] = []
    pts = np.asarray(xy, np.float64)
    for i in order:
        if kept:
            d2 = ((pts[kept] - pts[i]) ** 2).sum(1)
            if (d2 <= radius * radius).any():
                continue
        kept.append(int(i))
    return np.asarray(kept, np.int64)


def acne_detector(engine, model: TreeModel | None = None, *, threshold: float | None = None):
    """A detector for :func:`skintrack.core.lesion_scoring.score_folder`: photo RGB -> acne centres
    (photo pixels, ``(n, 2)``), or ``None`` when no face is found (the scorer counts that photo as
    all missed). ``engine`` is an open :class:`~skintrack.core.face.FaceEngine`."""

    def detect(rgb: np.ndarray):
        det = engine.detect(rgb)
        if not det.faces:
            return None
        return detect_acne(prepare(rgb, det.faces[0]), model, threshold=threshold).photo_xy

    return detect


def detect_acne(work: LesionWork, model: TreeModel | None = None, *,
                threshold: float | None = None) -> AcneSpots:
    """Candidates, features, scores and suppression on one work image."""
    model = model if model is not None else load_model()
    pts = candidates(work, DETECT_MIN_Z)
    if model is None or not len(pts):
        empty = np.zeros((0, 2))
        return AcneSpots(pts[:0], empty, np.zeros(0), np.zeros(0), np.zeros((0, 0), np.float32))
    feats = candidate_features(work, pts)
    prob = model.predict(feats)
    thr = model.threshold_score if threshold is None else threshold
    keep = nms(pts, prob, NMS_RADIUS, thr)
    k = len(DOG_SIGMAS)
    resp = np.maximum(work.dog[:k, pts[keep, 1], pts[keep, 0]],
                      work.dog[k:2 * k, pts[keep, 1], pts[keep, 0]])
    # A blob responds most to the DoG whose inner sigma is about radius / 1.5.
    radius = 1.5 * np.asarray(DOG_SIGMAS)[resp.argmax(0)] if len(keep) else np.zeros(0)
    return AcneSpots(work_xy=pts[keep], photo_xy=work.to_photo(pts[keep]), radius_work=radius,
                     score=prob[keep], features=feats[keep],
                     certainty=model.certainty(prob[keep]))


def acne_kind(features: np.ndarray, diameter_mm: float) -> str:
    """Name an acne spot from its colour profile: comedone, papule, pustule or nodule.

    Red (a* of the spot above its surroundings) marks inflammation; a lighter, yellower centre
    within a red rim is a pustule's head; a wide inflamed spot is a nodule; a spot that is not red
    is a comedone (open: dark; closed: skin-coloured).
    """
    f = dict(zip(FEATURE_NAMES, features, strict=True))
    red = max(f["a_ring0"], f["a_ring1"], f["a_ring2"]) >= INFLAMED_DA
    if not red:
        return "comedone"
    # The detection sits on the red base (a* peaks there, not on the pale head), so the head is
    # the brightest pixel within 3 px: much lighter than the surroundings and not bluish (glare
    # on a red spot is white to bluish; pus is white-yellow).
    head = f["L_inner_max"] >= PUSTULE_HEAD_DL and f["b_inner_max"] >= 0.0
    if head:
        return "pustule"
    if diameter_mm >= NODULE_MIN_MM:
        return "nodule"
    return "papule"


def lesion_extent(work: LesionWork, xy, radius: float) -> tuple[float, float, float]:
    """Centre and radius (work pixels) of the lesion around a detection, from its own extent.

    The detection sits where the blob response peaks, which on a pustule is one side of its red
    base and whose scale is one of four coarse sigmas. Here the lesion is taken as the connected
    pixels around it whose contrast with the skin just outside the window (median of its border)
    is at least :data:`EXTENT_SHARE` of the peak contrast near the detection; its pale head is
    filled in. Returns the centroid and the radius of the equal-area disc; the detection's own
    position and ``radius`` when the contrast is too weak or the lesion fills the window.
    """
    half = int(max(EXTENT_MIN_WINDOW, round(EXTENT_WINDOW * radius)))
    # The blob scale can undersize a lesion (the detection peaks on one side of it): a lesion
    # reaching the window's edge is looked at again in a window twice as wide.
    while True:
        found = _extent_in(work, xy, half)
        if found is not None or half >= EXTENT_MAX_WINDOW:
            break
        half = min(EXTENT_MAX_WINDOW, 2 * half)
    # None (reaches the widest window), () (too faint or ragged to outline), or an outline far
    # wider than any blob response there (a shadow or flush around a small spot): the blob scale.
    if not found or found[2] > EXTENT_MAX_RATIO * radius:
        return float(xy[0]), float(xy[1]), float(radius)
    return found


def _extent_in(work: LesionWork, xy, half: int) -> tuple[float, ...] | None:
    """The lesion's centroid and radius within a window ``half`` work pixels around ``xy``;
    ``None`` when it reaches the window's edge, ``()`` when it is too faint to outline."""
    import cv2

    x, y = int(round(xy[0])), int(round(xy[1]))
    h, w = work.lab.shape[:2]
    x0, y0, x1, y1 = max(0, x - half), max(0, y - half), min(w, x + half + 1), min(h, y + half + 1)
    win = work.lab[y0:y1, x0:x1]
    if win.shape[0] < 5 or win.shape[1] < 5:
        return ()
    border = np.concatenate([win[0], win[-1], win[1:-1, 0], win[1:-1, -1]])
    ref = np.median(border, axis=0)
    contrast = np.maximum(win[..., 1] - ref[1], 0.5 * np.abs(win[..., 0] - ref[0]))
    cx, cy = x - x0, y - y0
    near = contrast[max(0, cy - 2):cy + 3, max(0, cx - 2):cx + 3]
    peak = float(near.max())
    if peak < EXTENT_MIN_CONTRAST:
        return ()
    py, px = np.unravel_index(int(near.argmax()), near.shape)
    seed = (max(0, cy - 2) + py, max(0, cx - 2) + px)
    # The connected pixels above half the peak (flood from the peak), then the holes filled (a
    # pustule's head can be less red than half its base) by flooding the outside.
    m = np.zeros((win.shape[0] + 2, win.shape[1] + 2), np.uint8)
    m[1:-1, 1:-1] = contrast >= EXTENT_SHARE * peak
    cv2.floodFill(m, None, (seed[1] + 1, seed[0] + 1), 2, flags=8)
    outside = (m != 2).astype(np.uint8)
    cv2.floodFill(outside, None, (0, 0), 0)
    comp = ((m == 2) | (outside == 1))[1:-1, 1:-1]
    if comp[0].any() or comp[-1].any() or comp[:, 0].any() or comp[:, -1].any():
        return None  # no border within this window
    # A lesion is compact and fills most of its outline; a long or ragged area above half the
    # peak is a band of redness (a fold, the edge of a flush), not the spot's own extent.
    if _elongation(comp) > EXTENT_MAX_ELONGATION:
        return ()
    ys, xs = np.nonzero(comp)
    return float(xs.mean() + x0), float(ys.mean() + y0), float(np.sqrt(len(xs) / np.pi))


# --- Open wounds, crusts and cold sores ---------------------------------------------------------------
@dataclass(frozen=True)
class Patch:
    kind: str  # open_wound | crust | cold_sore
    work_xy: tuple[float, float]
    radius_work: float
    score: float


def _local_reference(lab: np.ndarray, weight: np.ndarray, sigma: float) -> np.ndarray:
    """Smooth local skin colour (CIELAB) at ``sigma`` work pixels: a blur of skin pixels only
    (normalised convolution, so hair, background or an eye mask next to the skin do not pull it),
    computed at quarter resolution."""
    import cv2

    h, w = lab.shape[:2]
    if h < 8 or w < 8:
        size = (max(1, w // 4), max(1, h // 4))
        wt = cv2.resize(weight.astype(np.float32), size, interpolation=cv2.INTER_AREA)
        num = cv2.resize(lab * weight[..., None].astype(np.float32), size,
                         interpolation=cv2.INTER_AREA)
    else:
        wt = _halve(_halve(weight.astype(np.float32)))
        num = _halve(_halve(lab * weight[..., None].astype(np.float32)))
    s = max(sigma / 4, 0.5)
    wt = cv2.GaussianBlur(wt, (0, 0), s)
    num = cv2.GaussianBlur(num, (0, 0), s)
    ref = num / np.maximum(wt, 1e-3)[..., None]
    return cv2.resize(ref, (w, h), interpolation=cv2.INTER_LINEAR)


def _feature_mask(work: LesionWork, names, grow_px: int) -> np.ndarray:
    import cv2

    h, w = work.mask.shape
    m = np.zeros((h, w), np.uint8)
    polys = [np.round(work.xy[list(EXCLUDE[name])]).astype(np.int32) for name in names]
    for poly in polys:
        cv2.fillPoly(m, [poly], 1)
    if grow_px > 0:
        # Only the box around the features (grown by the margin) can change: dilating that box
        # instead of the whole image costs a fraction (the eyes' margin is a 33-px ellipse).
        pts = np.concatenate(polys)
        x0, y0 = np.maximum(pts.min(0) - grow_px - 1, 0)
        x1, y1 = np.minimum(pts.max(0) + grow_px + 2, (w, h))
        if x1 <= x0 or y1 <= y0:
            return m.astype(bool)
        k = 2 * grow_px + 1
        m[y0:y1, x0:x1] = cv2.dilate(m[y0:y1, x0:x1],
                                     cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    return m.astype(bool)


def _half(work: LesionWork) -> LesionWork:
    """The work image at half resolution (colour only): a quarter of the pixels to look at."""
    h, w = work.lab.shape[:2]
    lab = _halve(work.lab)
    return LesionWork(scale=work.scale / 2, origin=work.origin, lab=lab,
                      mask=work.mask[: 2 * (h // 2):2, : 2 * (w // 2):2], xy=work.xy / 2,
                      skin_lab=work.skin_lab, dog=work.dog[:0], roll_rad=work.roll_rad,
                      mm_per_work_px=work.mm_per_work_px * 2)


def find_patches(work: LesionWork) -> list[Patch]:
    """Open wounds and crusts (colour patches) and cold sores (at the lip border), work pixels.

    Colours are compared with the skin's smooth local colour (a blur of about
    :data:`REFERENCE_MM`), so uneven light and the person's own complexion do not read as lesions.
    The search runs at half the work resolution (about 0.8 mm per pixel on an adult face): the
    smallest patch (3 mm) still spans several pixels, and it costs a quarter as much.
    """
    half = [Patch(p.kind, (2 * p.work_xy[0] + 0.5, 2 * p.work_xy[1] + 0.5), 2 * p.radius_work,
                  p.score) for p in _find_patches(_half(work))]
    # Vesicles are 1-2 mm: around the mouth the search runs again at full resolution, on a crop
    # wide enough for the local skin reference, and decides everything there.
    mm = work.mm_per_work_px
    lips = work.xy[list(LIPS)]
    (lx0, ly0), (lx1, ly1) = lips.min(0), lips.max(0)
    zone = LIP_ZONE_MM / mm
    ctx = zone + REFERENCE_MM / mm
    h, w = work.lab.shape[:2]
    x0, y0 = max(0, int(lx0 - ctx)), max(0, int(ly0 - ctx))
    x1, y1 = min(w, int(lx1 + ctx) + 1), min(h, int(ly1 + ctx) + 1)

    def in_zone(p: Patch) -> bool:
        return lx0 - zone <= p.work_xy[0] <= lx1 + zone and ly0 - zone <= p.work_xy[1] <= ly1 + zone

    crop = LesionWork(scale=work.scale, origin=work.origin, lab=work.lab[y0:y1, x0:x1],
                      mask=work.mask[y0:y1, x0:x1], xy=work.xy - (x0, y0),
                      skin_lab=work.skin_lab, dog=work.dog[:0], roll_rad=work.roll_rad,
                      mm_per_work_px=mm)
    near_mouth = [Patch(p.kind, (p.work_xy[0] + x0, p.work_xy[1] + y0), p.radius_work, p.score)
                  for p in _find_patches(crop)]
    out: list[Patch] = []
    # One lesion may show as a cluster and as a patch: keep the surest of overlapping ones.
    for p in sorted([p for p in half if not in_zone(p)] + [p for p in near_mouth if in_zone(p)],
                    key=lambda p: -p.score):
        if all(np.hypot(p.work_xy[0] - q.work_xy[0], p.work_xy[1] - q.work_xy[1])
               > max(p.radius_work, q.radius_work) for q in out):
            out.append(p)
    return out


def _find_patches(work: LesionWork) -> list[Patch]:
    """The patch rules on a face's work image: the masks come from the face mesh."""
    import cv2

    lab = work.lab
    mmpp = work.mm_per_work_px
    oval = np.zeros(lab.shape[:2], np.uint8)
    cv2.fillPoly(oval, [np.round(work.xy[list(FACE_OVAL)]).astype(np.int32)], 1)
    grow = max(1, int(round(FEATURE_MARGIN_MM / mmpp)))
    lips = _feature_mask(work, ("lips",), 0)
    lips_grown = _feature_mask(work, ("lips",), grow)
    # Eyes, brows (hair is dark) and nostrils (deep shadow) are never searched.
    others = _feature_mask(work, ("right_brow", "left_brow", "right_nostril", "left_nostril"),
                           2 * grow)
    # Dark circles and lid shadows under the eyes mimic crusts: a wider margin there.
    others |= _feature_mask(work, ("right_eye", "left_eye"),
                            max(1, int(round(EYE_MARGIN_MM / mmpp))))
    return patches_in(lab, work.skin_lab, mmpp, area=oval.astype(bool), skin=oval.astype(bool)
                      & ~others, lips=lips, lips_grown=lips_grown)


def patches_in(lab: np.ndarray, skin_lab, mmpp: float, *, area: np.ndarray, skin: np.ndarray,
               lips: np.ndarray, lips_grown: np.ndarray,
               reference_max_db: float = REFERENCE_MAX_DIFF, reference_mm: float = REFERENCE_MM,
               max_growth: float = EDGE_MAX_GROWTH, dark_crusts: bool = True) -> list[Patch]:
    """Open wounds, crusts, pustules and cold sores on a CIELAB image, by the rules above.

    ``area`` is where the local skin reference may be learnt (the face oval; on a close-up, the
    skin found by colour), ``skin`` where patches are searched, ``lips`` the lips (cold sores sit
    on and beside their border; an empty mask: none in view) and ``lips_grown`` the lips with a
    margin that the red and dark rules leave alone. ``mmpp`` is mm per pixel of ``lab``.
    ``reference_max_db`` keeps pixels this much yellower (b*) than the skin out of the local
    reference, ``reference_mm`` is the reference's blur, ``max_growth`` the growth beyond which a
    patch has no border (:func:`_sharp_edged`), and ``dark_crusts`` whether the dark-crust rule
    applies: the face keeps the defaults; the close-up (:mod:`skintrack.core.closeup`) sets
    them from its measurements.
    """
    import cv2

    # Channel by channel: a max over the last axis of three is a slow reduction in numpy.
    # Red spots are kept out of their own reference with a tighter a* limit.
    plain = np.ones(lab.shape[:2], bool)
    for c, limit in enumerate((REFERENCE_MAX_DIFF, REFERENCE_MAX_DA, reference_max_db)):
        plain &= np.abs(lab[..., c] - np.float32(skin_lab[c])) <= limit
    # The lips are redder than skin: left out, they cannot hide a red patch beside them.
    ref = _local_reference(lab, area & plain & ~lips_grown, reference_mm / mmpp)
    dl = lab[..., 0] - ref[..., 0]
    da = lab[..., 1] - ref[..., 1]
    db = lab[..., 2] - ref[..., 2]
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    skin_chroma = float(np.hypot(skin_lab[1], skin_lab[2]))
    raw = (da >= WOUND_DA) & (dl <= WOUND_DL)
    # Honey-yellow crusts are darker than light skin and lighter than dark skin: both count.
    # A crust is yellower than it is red (dried serum, brown blood); a patch redder than it is
    # yellow is inflamed or shadowed skin (dark circles beside a reddened cheek), not a crust.
    crust = ((db >= CRUST_DB) & (np.abs(dl) >= -CRUST_DL) & (da < WOUND_DA) & (db >= da)) | (
        (dl <= CRUST_DARK_DL) & (chroma >= CRUST_DARK_CHROMA * skin_chroma) & (da >= 0)
        & (db >= 0) & dark_crusts)
    # Lips are red and often darker: red/dark rules look at skin only, so the lip border itself
    # cannot read as a wound; a cold sore shows as a patch on the skin touching that border.
    raw &= skin & ~lips_grown
    crust &= skin & ~lips_grown
    lip_dist = (cv2.distanceTransform((~lips).astype(np.uint8), cv2.DIST_L2, 3) * mmpp
                if lips.any() else np.full(lab.shape[:2], np.inf, np.float32))
    min_area = np.pi * (PATCH_MIN_MM / 2 / mmpp) ** 2
    kernel = np.ones((3, 3), np.uint8)
    found: list[tuple[str, np.ndarray, float]] = []
    bases: list[tuple[int, tuple[float, float, float, float]]] = []
    spots = []
    # The inflamed base of a cold sore beside the lip: red, whatever its lightness.
    base = (da >= COLD_SORE_DA) & skin & ~lips_grown & (lip_dist <= LIP_BORDER_MM) & ~raw
    for kind, m in (("open_wound", raw), ("crust", crust), ("cold_sore", base)):
        m = cv2.morphologyEx(m.astype(np.uint8), cv2.MORPH_OPEN, kernel)
        labels, comps = _components(m, min_area * SPOT_MIN_SHARE)
        for i, area, (x, y, bw, bh), _ in comps:
            comp = labels[y:y + bh, x:x + bw] == i
            near_lip = float(lip_dist[y:y + bh, x:x + bw][comp].min()) <= LIP_BORDER_MM
            if kind == "cold_sore" and not near_lip:
                continue
            # A cold sore's red base counts from half the patch size: its vesicles decide.
            if area < (min_area / 4 if kind == "cold_sore" else min_area):
                if near_lip and kind != "cold_sore":
                    spots.append((x + bw / 2, y + bh / 2, float(np.sqrt(area / np.pi))))
                continue
            # Shadows in folds and hair strands are long and thin; lesions are compact.
            if _elongation(comp) > PATCH_MAX_ELONGATION:
                continue
            if kind != "cold_sore" and not _sharp_edged(comp, (x, y), dl, da, db, mmpp,
                                                        max_growth=max_growth,
                                                        ignore=lips_grown):
                continue
            full = np.zeros(lab.shape[:2], bool)
            full[y:y + bh, x:x + bw] = comp
            sel = full
            strength = float(np.mean(da[sel])) if kind == "open_wound" else float(
                np.mean(db[sel] - dl[sel]))
            found.append(("cold_sore" if near_lip else kind, full, strength))
            if kind == "cold_sore":
                bases.append((len(found) - 1, (x - bw / 2, y - bh / 2, x + 1.5 * bw,
                                               y + 1.5 * bh)))
    # Vesicles: small pale domes on the skin beside the lip border.
    pale = (dl >= VESICLE_DL) & skin & ~lips_grown & (lip_dist <= LIP_BORDER_MM)
    _, comps = _components(pale.astype(np.uint8), min_area * SPOT_MIN_SHARE, max_area=4 * min_area)
    if comps:
        # A vesicle sits on a red base; a pale spot on plain skin is a highlight.
        k = 2 * max(1, int(round(1.5 / mmpp))) + 1
        red_around = cv2.dilate(da, np.ones((k, k), np.uint8))
    for _, area, _, (fx, fy) in comps:
        if red_around[int(round(fy)), int(round(fx))] < COLD_SORE_DA:
            continue
        spots.append((fx, fy, float(np.sqrt(area / np.pi))))
    # A red patch beside the lip is a cold sore only with vesicles or small crusts on it; alone it
    # is the lip's own colour running past the landmark outline.
    drop = {i for i, (bx0, by0, bx1, by1) in bases
            if sum(bx0 <= sx <= bx1 and by0 <= sy <= by1 for sx, sy, _ in spots) < 2}
    found = [f for i, f in enumerate(found) if i not in drop]
    out = _merge_patches(found, dl, mmpp)
    out.extend(_spot_clusters(spots, mmpp))
    return out


def _components(mask: np.ndarray, min_area: float, max_area: float = np.inf):
    """8-connected components of a uint8 mask with ``min_area <= area < max_area``: the label
    image and, per component, ``(label, area, (x, y, w, h), (cx, cy))``.

    ``cv2.connectedComponentsWithStats`` costs about 1 ms on a work image even when nearly
    empty (eight calls per face); labelling alone is a tenth of that, and the few components
    that matter are measured here.
    """
    import cv2

    if not mask.any():
        return None, []
    n, labels = cv2.connectedComponents(mask, connectivity=8)
    area = np.bincount(labels.ravel(), minlength=n)
    out = []
    for i in np.nonzero((area >= min_area) & (area < max_area))[0]:
        if i == 0:
            continue
        ys, xs = np.nonzero(labels == i)
        x0, y0 = int(xs.min()), int(ys.min())
        out.append((int(i), int(area[i]), (x0, y0, int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1),
                    (float(xs.mean()), float(ys.mean()))))
    return labels, out


def _sharp_edged(comp, xy, dl, da, db, mmpp: float, ignore: np.ndarray,
                 max_growth: float = EDGE_MAX_GROWTH) -> bool:
    """Whether a patch stands out from the skin right around it.

    The patch is first grown to the pixels that differ from the local skin at least
    :data:`EDGE_GROW_SHARE` as much as its core does (hysteresis, so a crust whose colour varies
    is taken whole); then the skin in a ring :data:`EDGE_RING_MM` wide around it must be close to
    the local skin colour. A crust or wound ends at a border; a soft shadow (beside the nose,
    under a fold) fades out and keeps growing, so the ring around it is still dark. Pixels in
    ``ignore`` (the lips) take no part: a sore beside the lip
    must not be judged by the lip's own red.
    """
    import cv2

    x, y = xy
    g = max(1, int(round(EDGE_RING_MM / mmpp)))
    pad = 3 * g + max(comp.shape)
    h, w = dl.shape
    x0, y0 = max(0, x - pad), max(0, y - pad)
    x1, y1 = min(w, x + comp.shape[1] + pad), min(h, y + comp.shape[0] + pad)
    core = np.zeros((y1 - y0, x1 - x0), np.uint8)
    core[y - y0:y - y0 + comp.shape[0], x - x0:x - x0 + comp.shape[1]] = comp
    d = np.stack([dl[y0:y1, x0:x1], da[y0:y1, x0:x1], db[y0:y1, x0:x1]], -1)
    core_diff = d[core.astype(bool)].mean(0)
    inside = float(np.linalg.norm(core_diff))
    # Grow along pixels that differ from the skin in the same direction as the core does.
    skip = ignore[y0:y1, x0:x1]
    along = ((d @ (core_diff / max(inside, 1e-6))) >= EDGE_GROW_SHARE * inside) & ~skip
    n, labels = cv2.connectedComponents(along.astype(np.uint8) | core, connectivity=8)
    grown = labels == labels[core.astype(bool)][0]
    if grown.sum() > max_growth * core.sum():
        return False  # it keeps spreading: a shadow or uneven light, not a lesion
    m = grown.astype(np.uint8)
    ring = (cv2.dilate(m, np.ones((2 * g + 1, 2 * g + 1), np.uint8)).astype(bool) & ~grown
            & ~skip)
    if not ring.any():
        return True
    around = float(np.linalg.norm(d[ring].mean(0)))
    return bool(around <= EDGE_MAX_SHARE * inside)


def _elongation(comp: np.ndarray) -> float:
    """Length over width of a component (square root of its coordinate covariance eigenvalues)."""
    ys, xs = np.nonzero(comp)
    if len(xs) < 3:
        return 1.0
    ev = np.linalg.eigvalsh(np.cov(np.stack([xs, ys]).astype(np.float64)))
    return float(np.sqrt(max(ev[1], 1e-9) / max(ev[0], 0.25)))


def _merge_patches(found, dl: np.ndarray, mm_per_px: float) -> list[Patch]:
    """Touching wound and crust components are one lesion (a scab on a wound); the kind of the
    larger part wins, and a cold sore wins over both. A small red patch with a pale centre is a
    pustule (white head on a red base), not a wound."""
    import cv2

    if not found:
        return []
    r_pustule = PUSTULE_MAX_MM / 2 / mm_per_px
    union = np.zeros(found[0][1].shape, np.uint8)
    for _, m, _ in found:
        union |= m
    union = cv2.dilate(union, np.ones((5, 5), np.uint8))
    n, labels = cv2.connectedComponents(union, connectivity=8)
    out = []
    for g in range(1, n):
        parts = [(k, m, s) for k, m, s in found if labels[m].max() == g]
        if not parts:
            continue
        area = {k: 0 for k, _, _ in parts}
        for k, m, _ in parts:
            area[k] += int(m.sum())
        kind = "cold_sore" if "cold_sore" in area else max(area, key=area.get)
        allm = np.zeros_like(parts[0][1])
        for _, m, _ in parts:
            allm |= m
        ys, xs = np.nonzero(allm)
        strength = max(s for _, _, s in parts)
        cx, cy, r = float(xs.mean()), float(ys.mean()), float(np.sqrt(len(xs) / np.pi))
        if kind == "open_wound":
            # Look for the head in the (filled) centre: the pale head is not red enough to be
            # part of the raw mask.
            y0, y1 = max(0, int(cy - r / 2)), int(cy + r / 2) + 1
            x0, x1 = max(0, int(cx - r / 2)), int(cx + r / 2) + 1
            centre = dl[y0:y1, x0:x1]
            if centre.size and float(centre.max()) >= PUSTULE_HEAD_DL_PATCH and r <= r_pustule:
                kind = "pustule"
        out.append(Patch(kind, (cx, cy), r,
                         float(np.clip(0.5 + strength / 60.0, 0.5, 0.99))))
    return out


def _spot_clusters(spots, mmpp: float) -> list[Patch]:
    if len(spots) < CLUSTER_MIN_SPOTS:
        return []
    pts = np.array([(x, y) for x, y, _ in spots])
    link = CLUSTER_MM / mmpp
    n = len(pts)
    group = list(range(n))

    def root(i):
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    for i in range(n):
        for j in range(i + 1, n):
            if np.hypot(*(pts[i] - pts[j])) <= link:
                group[root(i)] = root(j)
    out = []
    for g in {root(i) for i in range(n)}:
        members = [i for i in range(n) if root(i) == g]
        if len(members) >= CLUSTER_MIN_SPOTS:
            c = pts[members].mean(0)
            r = float(np.max(np.hypot(*(pts[members] - c).T)) + max(spots[i][2] for i in members))
            out.append(Patch("cold_sore", (float(c[0]), float(c[1])), r,
                             float(min(0.95, 0.5 + 0.1 * len(members)))))
    return out


# --- Everything together -----------------------------------------------------------------------------
def _region_of(xy: np.ndarray, regions) -> tuple[str | None, dict[str, float]]:
    """The region holding a photo point, and its distance (photo px) to every region."""
    import cv2

    inside = None
    dists = {}
    p = (float(xy[0]), float(xy[1]))
    for name in REGION_NAMES:
        poly = regions[name].polygon.astype(np.float32).reshape(-1, 1, 2)
        d = cv2.pointPolygonTest(poly, p, True)
        dists[name] = max(0.0, -d)
        if d >= 0 and inside is None:
            inside = name
    return inside, dists


#: One worker for the patch search that overlaps the acne search in :func:`find_lesions`.
_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="skintrack-lesions")


def find_lesions(rgb: np.ndarray, face, regions, *, model: TreeModel | None = None,
                 threshold: float | None = None) -> list[Finding]:
    """All findings on one face: acne lesions, open wounds, crusts and cold sores.

    Parameters
    ----------
    rgb : (h, w, 3) uint8 oriented photo.
    face : :class:`~skintrack.core.face.Face` found on it.
    regions : its :class:`~skintrack.core.regions.RegionSet` (for the ``region`` of findings),
        or ``None``.
    model, threshold : the acne model and its score threshold (default: the bundled model).
    """
    import cv2

    model = model if model is not None else load_model()
    base = prepare(rgb, face, responses=False)
    # The wound/crust/cold-sore search needs colour only: it runs on a second thread while the
    # blob responses and the acne scorer run here. On this project's two-core test machine that
    # gains little (the numpy steps of both threads take turns on Python's lock; splitting the
    # two response channels across the threads did not help either), more with more cores.
    patch_search = _POOL.submit(find_patches, base)
    work = with_responses(base)
    spots = detect_acne(work, model, threshold=threshold)
    patches = patch_search.result()
    mm_per_px = face.mm_per_px  # photo pixels
    findings: list[Finding] = []
    lips = face.xy[list(LIPS)].astype(np.float32).reshape(-1, 1, 2)

    def locate(x, y):
        if regions is None:
            return None, ()
        inside, dists = _region_of(np.array([x, y]), regions)
        if inside is None and cv2.pointPolygonTest(lips, (float(x), float(y)), False) >= 0:
            inside = "lips"
        near_px = NEAR_REGION_MM / mm_per_px if mm_per_px else 0.06 * face.width_px
        near = tuple(n for n in REGION_NAMES if n != inside and dists[n] <= near_px)
        return inside, near

    for p in patches:
        x, y = work.to_photo(np.array(p.work_xy))
        r = p.radius_work / work.scale
        region, near = locate(x, y)
        findings.append(Finding(
            id=finding_id(p.kind, x, y), kind=p.kind, x=float(x), y=float(y), radius_px=float(r),
            diameter_mm=2 * r * mm_per_px if mm_per_px else None, region=region,
            score=round(p.score, 3), near_regions=near))
    taken = [(work.to_photo(np.array(p.work_xy)), p.radius_work / work.scale) for p in patches]
    # Each detection re-centred and sized from the lesion's own extent; detections of one lesion
    # (a centre within the other's extent) are merged, best score first. A pustule's head seen
    # from any side of its base makes the merged lesion a pustule.
    merged: list[list] = []  # [work x, work y, radius, raw score, kind]
    # A finding's score is the calibrated certainty for its kind, not the raw tree score
    # (models/LESIONS.md); merging can turn a lesion into a pustule, so it is looked up last.
    for (wx, wy), rw, s, f in zip(spots.work_xy, spots.radius_work, spots.score,
                                  spots.features, strict=True):
        cx, cy, re = lesion_extent(work, (wx, wy), float(rw))
        kind = acne_kind(f, 2 * re * work.mm_per_work_px)
        for m in merged:
            if np.hypot(cx - m[0], cy - m[1]) <= MERGE_SHARE * max(re, m[2]):
                if kind == "pustule":
                    m[4] = "pustule"
                break
        else:
            merged.append([cx, cy, re, float(s), kind])
    mouth = face.xy[list(INNER_LIPS)].astype(np.float32).reshape(-1, 1, 2)
    lip_inside_px = LIP_INSIDE_MM / (work.mm_per_work_px * work.scale)
    for cx, cy, rw, raw, kind in merged:
        s = float(model.certainty(raw, kind))
        x, y = work.to_photo(np.array([cx, cy]))
        # A spot inside a wound, crust or cold sore is part of it, not a separate lesion.
        if any(np.hypot(x - c[0], y - c[1]) <= r for c, r in taken):
            continue
        # Inside the mouth opening are teeth and tongue, not skin.
        if cv2.pointPolygonTest(mouth, (float(x), float(y)), False) >= 0:
            continue
        # Acne does not form on the red of the lips (no oil glands there); spots well inside the
        # lip outline are lip texture or teeth edges. Cold sores there come from the patch rules.
        if cv2.pointPolygonTest(lips, (float(x), float(y)), True) > lip_inside_px:
            continue
        r = float(rw / work.scale)
        region, near = locate(x, y)
        findings.append(Finding(
            id=finding_id(kind, x, y), kind=kind, x=float(x), y=float(y), radius_px=r,
            diameter_mm=2 * r * mm_per_px if mm_per_px else None, region=region,
            score=round(float(s), 3), near_regions=near))
    return findings
