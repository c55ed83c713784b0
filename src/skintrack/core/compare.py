"""Redness change between a baseline photo and a later photo of the same face.

How a comparison is made (details and measurements in ``docs/colour.md``):

1. **Same person?** The later face is checked against the baseline by its fine skin texture after
   alignment (the median, over small tiles, of the best normalised correlation of band-passed
   lightness), or by its mesh shape (3-D Procrustes distance of the 468 landmarks) when there is
   no texture to compare. A different face is refused: no region is measured.
2. **Alignment.** The later photo is warped onto the baseline's work grid triangle by triangle of
   the face mesh (:mod:`skintrack.core.warp`), so the two photos are compared skin point by skin
   point on the pixels usable in both.
3. **Normalisation.** Light differs between photos. With a colour chart in both photos the photos
   were corrected to true colour before analysis (``chart``). Without one, skin the person did not
   treat is the reference (``untreated_regions``): a per-channel gain in linear light with a shared
   left-right / up-down shading slope is fitted on the untreated regions and applied to the whole
   later face. Its uncertainty is measured by leaving each reference region out in turn. With
   neither, the colours are compared as photographed (``none``) and the uncertainty is large.
4. **Per region:** the central (interquartile) mean of CIELAB a* and of the erythema index over
   the skin usable in both photos, their change, an uncertainty band, and whether the change is
   real (larger than both :data:`REAL_CHANGE_A_STAR` and the band), graded none / mild /
   moderate / marked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from skintrack.core.colour import (
    a_star_from_linear,
    central_mean,
    erythema_index,
    srgb_to_linear,
)
from skintrack.core.errors import SkintrackError
from skintrack.core.regions import REGION_NAMES

SCHEMA = 1
NEAREST = True

#: Δa* (CIELAB units) that repeat photos of unchanged skin stay within: a change is real only
#: beyond it. Our repeat measurements (the frontal sample faces re-photographed with another JPEG
#: quality, framing, small turn, white balance, exposure and side light;
#: ``benchmarks/bench_colour.py repeat``) stay within 0.48 on cheeks normalised on the untreated
#: regions (99th percentile 0.25, n = 112) and within 0.58 without any light change (99th
#: percentile 0.37). Camera repeatability of a* in the literature is about 1 unit (Fullerton et
#: al. 1996, Contact Dermatitis 35:1-10), which also covers what a phantom cannot (skin
#: temperature, posture, time of day, a different phone). We take the literature's 1 unit; the
#: comparison's own uncertainty band is applied on top when it is wider.
REAL_CHANGE_A_STAR = 1.0

#: Lower bounds of Δa* (CIELAB units) for the grades of a real increase. In chromameter studies of
#: irritant erythema, visual scores rise with Δa* roughly as slight redness from a couple of units,
#: moderate around 4-5 and marked beyond about 7 (Fullerton 1996; Wilhelm KP, Maibach HI 1989, J Am
#: Acad Dermatol 21:1306-1308); these bounds are a rounded reading of that, not a validated scale.
#: Below ``moderate`` a real change is ``mild``: the "slightly pink" end point of the protocol.
GRADE_MODERATE_A_STAR = 4.0
GRADE_MARKED_A_STAR = 7.0
GRADES = ("none", "mild", "moderate", "marked")

#: Normalisation methods, from best to worst.
METHODS = ("chart+untreated_regions", "chart", "untreated_regions", "none")
#: Uncertainty (a* units, 95 % band) when nothing corrects the light between the two photos:
#: above the largest error (2.1) of our changed-light repeat set (white balance ±10-15 %,
#: exposure ±15 %, 20 % side light) without normalisation. Real rooms can differ more, hence the
#: warning that comes with ``none``.
NONE_UNCERTAINTY = 2.5
#: Floor of the normalisation uncertainty with untreated regions (a* units): above the 99th
#: percentile (0.25) and near the maximum (0.48) of |Δa*| on unchanged cheeks normalised on the
#: other regions in our repeat measurements.
UNTREATED_MIN_UNCERTAINTY = 0.4
#: Uncertainty of a region's own difference that remains with identical light: sampling,
#: JPEG and registration (a* units, 95 % band): the 95th percentile (0.22) of |Δa*| over all
#: regions of unchanged faces re-photographed without a light change.
REGION_REPEAT_UNCERTAINTY = 0.25

#: Common usable work-grid samples a region needs to be measured (about 1 % of the face).
MIN_REGION_SAMPLES = 150
#: Side of the tiles (fraction of face width) over which light log-ratios are averaged before the
#: light field is fitted: it keeps single lesions or misaligned edges from steering the fit.
LIGHT_TILE = 0.03
#: Tiles whose log-ratio is further than this (natural log) from the median are left out of the
#: light fit (a moved shadow, a spot of glare).
LIGHT_OUTLIER_LOG = 0.25
#: Reference samples used for a light fit (evenly thinned beyond that): plenty for 3-5 numbers.
LIGHT_MAX_SAMPLES = 20000
#: Minimum spread (standard deviation, fraction of face width) of reference tiles along an axis
#: for a shading slope along that axis to be fitted.
LIGHT_MIN_SPREAD = 0.08

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


class CompareError(SkintrackError):
    """Two photos cannot be compared (no single face, unknown region names...)."""


# --- Results -----------------------------------------------------------------------------------------

def _finite(name: str, v: float) -> None:
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite")


@dataclass(frozen=True)
class RegionChange:
    """The redness change of one region (CIELAB a* units unless noted).

    ``baseline_a_star`` and ``later_a_star`` are central means
    (:func:`~skintrack.core.colour.central_mean`) over the skin usable in both photos, the later
    one after normalisation; ``delta_a_star`` is their difference. ``delta_erythema_index``
    is the same for the Dawson erythema index (index units). ``uncertainty`` is the half-width of
    the 95 % band of ``delta_a_star``. ``real_change`` is true when ``|delta_a_star|`` exceeds both
    :data:`REAL_CHANGE_A_STAR` and ``uncertainty``; ``grade`` grades a real increase (a real
    decrease or no real change is ``none``). ``samples`` counts the work-grid samples measured.
    """

    region: str
    baseline_a_star: float
    later_a_star: float
    delta_a_star: float
    delta_erythema_index: float
    uncertainty: float
    real_change: bool
    grade: str
    samples: int = 0

    def __post_init__(self) -> None:
        if self.region not in REGION_NAMES:
            raise ValueError(f"unknown region {self.region!r}")
        for name in ("baseline_a_star", "later_a_star", "delta_a_star", "delta_erythema_index",
                     "uncertainty"):
            _finite(name, getattr(self, name))
        if self.uncertainty < 0:
            raise ValueError("uncertainty must be >= 0")
        if self.grade not in GRADES:
            raise ValueError(f"grade must be one of {GRADES}")
        if self.grade != "none" and not (self.real_change and self.delta_a_star > 0):
            raise ValueError("only a real increase has a grade")

    def to_record(self) -> dict:
        return {
            "baseline_a_star": round(self.baseline_a_star, 2),
            "later_a_star": round(self.later_a_star, 2),
            "delta_a_star": round(self.delta_a_star, 2),
            "delta_erythema_index": round(self.delta_erythema_index, 2),
            "uncertainty": round(self.uncertainty, 2),
            "real_change": self.real_change,
            "grade": self.grade,
            "samples": self.samples,
        }


@dataclass(frozen=True)
class Normalisation:
    """How the later photo's light was matched to the baseline.

    ``method`` is one of :data:`METHODS`; ``reference_regions`` the untreated regions used;
    ``uncertainty`` the half-width of its 95 % band in a* units. ``gains`` are the later photo's
    linear-light channel gains at the face centre (R, G, B) and ``shading`` the fitted light slope
    (natural-log gain per face width, along x and y), for the record.
    """

    method: str
    reference_regions: tuple[str, ...]
    uncertainty: float
    gains: tuple[float, float, float] = (1.0, 1.0, 1.0)
    shading: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"normalisation method must be one of {METHODS}")
        _finite("uncertainty", self.uncertainty)
        if self.uncertainty < 0:
            raise ValueError("uncertainty must be >= 0")
        bad = [r for r in self.reference_regions if r not in REGION_NAMES]
        if bad:
            raise ValueError(f"unknown region {bad[0]!r}")
        if "untreated" in self.method and not self.reference_regions:
            raise ValueError("normalising on untreated regions needs at least one of them")

    def to_record(self) -> dict:
        return {
            "method": self.method,
            "reference_regions": list(self.reference_regions),
            "uncertainty": round(self.uncertainty, 2),
            "gains": [round(g, 4) for g in self.gains],
            "shading": [round(s, 4) for s in self.shading],
        }


@dataclass(frozen=True)
class Identity:
    """The same-person check: mesh ``shape_distance`` (unit-size 3-D Procrustes distance) and
    skin ``texture_match`` (median tile correlation, -1..1, NaN when no textured tile)."""

    shape_distance: float
    texture_match: float
    same_person: bool

    def to_record(self) -> dict:
        tm = None if math.isnan(self.texture_match) else round(self.texture_match, 3)
        return {"same_person": self.same_person, "shape_distance": round(self.shape_distance, 4),
                "texture_match": tm}


@dataclass(frozen=True, eq=False)
class Comparison:
    """A baseline/later comparison.

    ``delta_map`` is ``float32`` Δa* (later minus baseline, normalised) on the **baseline's work
    grid** (:class:`~skintrack.core.regions.RegionSet`: photo pixel ``(x, y) = map_origin +
    map_step * (column, row)``), lightly smoothed, NaN outside the skin measured in both photos;
    ``None`` unless asked for. ``same_person`` False means refused: ``regions`` is empty.
    """

    regions: dict[str, RegionChange]
    normalisation: Normalisation
    same_person: bool
    warnings: tuple[str, ...]
    delta_map: np.ndarray | None = None
    map_origin: tuple[int, int] = (0, 0)
    map_step: int = 1
    identity: Identity | None = None
    treated: tuple[str, ...] = ()
    timing_ms: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.same_person and self.regions:
            raise ValueError("a refused comparison measures no region")
        bad = [r for r in self.regions if r not in REGION_NAMES]
        if bad:
            raise ValueError(f"unknown region {bad[0]!r}")
        if self.delta_map is not None and self.delta_map.dtype != np.float32:
            raise ValueError("delta_map must be float32")

    def findings(self) -> list[dict]:
        """One ``erythema`` finding per region that became really redder, graded."""
        out = []
        for name in REGION_NAMES:
            ch = self.regions.get(name)
            if ch is None or not ch.real_change or ch.delta_a_star <= 0:
                continue
            label = name.replace("_", " ")
            out.append({
                "id": f"erythema:{name}",
                "kind": "erythema",
                "region": name,
                "grade": ch.grade,
                "delta_a_star": round(ch.delta_a_star, 2),
                "uncertainty": round(ch.uncertainty, 2),
                "treated": name in self.treated,
                "message": (f"The {label} is redder than in the baseline photo: a* "
                            f"{ch.delta_a_star:+.1f} ± {ch.uncertainty:.1f} ({ch.grade})."),
            })
        return out

    def to_record(self, baseline_record: dict, later_record: dict) -> dict:
        """The ``compare --json`` object (``"schema": 1``)."""
        return {
            "schema": SCHEMA,
            "baseline": baseline_record,
            "later": later_record,
            "same_person": self.same_person,
            "identity": self.identity.to_record() if self.identity else None,
            "treated": list(self.treated),
            "normalisation": self.normalisation.to_record(),
            "real_change_a_star": REAL_CHANGE_A_STAR,
            "regions": {name: ch.to_record() for name, ch in self.regions.items()},
            "findings": self.findings(),
            "warnings": list(self.warnings),
            "timing_ms": {k: round(v, 1) for k, v in self.timing_ms.items()},
        }


def grade_for(delta_a_star: float, real_change: bool) -> str:
    """The grade of a change: ``none`` unless it is a real increase, then mild / moderate /
    marked by :data:`GRADE_MODERATE_A_STAR` and :data:`GRADE_MARKED_A_STAR`."""
    if not real_change or delta_a_star <= 0:
        return "none"
    if delta_a_star >= GRADE_MARKED_A_STAR:
        return "marked"
    if delta_a_star >= GRADE_MODERATE_A_STAR:
        return "moderate"
    return "mild"


def is_real_change(delta_a_star: float, uncertainty: float) -> bool:
    return abs(delta_a_star) > max(REAL_CHANGE_A_STAR, uncertainty)


# --- Same person -------------------------------------------------------------------------------------

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


def texture_match(base_rgb: np.ndarray, later_rgb: np.ndarray, valid: np.ndarray,
                  face_width: float) -> float:
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


def check_identity(base_face, later_face, base_rgb: np.ndarray, warped_rgb: np.ndarray,
                   valid: np.ndarray, face_width: float) -> Identity:
    """Decide whether the later face is the baseline's person (see the module notes)."""
    dist = shape_distance(base_face.landmarks, later_face.landmarks)
    tex = texture_match(base_rgb, warped_rgb, valid, face_width)
    # Texture decides; mesh shape only when there is no texture to compare, since similar faces
    # share a shape and a turned head changes it.
    same = tex >= SAME_PERSON_MIN_TEXTURE if not math.isnan(tex) else dist <= SAME_PERSON_MAX_SHAPE
    return Identity(shape_distance=dist, texture_match=tex, same_person=same)


# --- Light normalisation -----------------------------------------------------------------------------

@dataclass(frozen=True)
class _LightModel:
    offsets: np.ndarray  # (3,) natural-log gains at the face centre
    slope: np.ndarray  # (2,) shared log-gain slope per face width along x, y

    def gains(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        shade = self.slope[0] * x + self.slope[1] * y
        return np.exp(self.offsets[None, :] + shade[:, None]).astype(np.float32)


def _fit_light(x: np.ndarray, y: np.ndarray, log_ratio: np.ndarray, tile_id: np.ndarray
               ) -> _LightModel:
    """Fit per-channel log gains with a shared shading slope to tile means of ``log_ratio``."""
    med = np.median(log_ratio, axis=0)
    keep = np.all(np.abs(log_ratio - med) < LIGHT_OUTLIER_LOG, axis=1)
    x, y, lr, tid = x[keep], y[keep], log_ratio[keep], tile_id[keep]
    if lr.shape[0] == 0:
        return _LightModel(med.astype(np.float64), np.zeros(2))
    # Tile ids are small non-negative integers: compact them without sorting.
    present = np.zeros(int(tid.max()) + 1, np.int64)
    present[tid] = 1
    inv = (np.cumsum(present) - 1)[tid]
    n = np.bincount(inv).astype(np.float64)
    tx = np.bincount(inv, x) / n
    ty = np.bincount(inv, y) / n
    tl = np.stack([np.bincount(inv, lr[:, c]) / n for c in range(3)], axis=1)
    wsum = n.sum()

    def spread(v):
        m = (n * v).sum() / wsum
        return math.sqrt(max(0.0, (n * (v - m) ** 2).sum() / wsum))

    use = [spread(tx) >= LIGHT_MIN_SPREAD, spread(ty) >= LIGHT_MIN_SPREAD]
    k = len(n)
    cols = [np.kron(np.eye(3), np.ones((k, 1)))]  # one offset per channel
    if use[0]:
        cols.append(np.tile(tx, 3)[:, None])
    if use[1]:
        cols.append(np.tile(ty, 3)[:, None])
    a = np.hstack(cols)
    rhs = tl.T.reshape(-1)  # channel-major, matching the offsets' block layout
    sw = np.sqrt(np.tile(n, 3))
    sol, *_ = np.linalg.lstsq(a * sw[:, None], rhs * sw, rcond=None)
    slope = np.zeros(2)
    i = 3
    for axis in (0, 1):
        if use[axis]:
            slope[axis] = sol[i]
            i += 1
    return _LightModel(sol[:3].astype(np.float64), slope)


# --- Comparison --------------------------------------------------------------------------------------

def _region_face_width(regions) -> float:
    x0, _, x1, _ = regions.face_box
    return max(1.0, (x1 - x0) / regions.step)


def _usable_union(regions) -> np.ndarray:
    out = np.zeros(regions.work_rgb.shape[:2], bool)
    for r in regions.regions.values():
        out |= r.usable
    return out


def _refused(identity: Identity, treated: tuple[str, ...], warnings: list[str],
             timing: dict) -> Comparison:
    warnings.insert(0, "The later photo does not look like the same person as the baseline "
                       "photo; it was not compared. Use photos of one person only.")
    return Comparison(regions={}, normalisation=Normalisation("none", (), NONE_UNCERTAINTY),
                      same_person=False, warnings=tuple(warnings), identity=identity,
                      treated=treated, timing_ms=timing)


def compare_analyses(baseline, later, *, treated: tuple[str, ...] = (), with_map: bool = False,
                     calibrations=None) -> Comparison:
    """Compare the redness of a later photo with the baseline, region by region.

    Parameters
    ----------
    baseline, later : Analysis
        Analyses (:func:`skintrack.core.analysis.analyze_photo`) with one face each.
    treated : tuple of str
        The regions that were treated; every other region with enough skin is a reference for
        the light normalisation. Empty: nothing is known to be untreated, so no skin can be a
        reference and the photos are compared as photographed (unless charts were used).
    with_map : bool
        Also compute :attr:`Comparison.delta_map`.
    calibrations : tuple of Calibration, optional
        The colour-chart calibrations of (baseline, later) when both analyses were made on
        chart-corrected photos (:mod:`skintrack.core.calibration`); their held-out error sets
        the uncertainty.

    Returns
    -------
    Comparison

    Raises
    ------
    CompareError
        When a photo has no single face or ``treated`` names an unknown region.
    """
    import time

    from skintrack.core.warp import regions_mapping

    t0 = time.perf_counter()
    treated = tuple(dict.fromkeys(str(t) for t in treated))
    unknown = [t for t in treated if t not in REGION_NAMES]
    if unknown:
        raise CompareError(f"unknown region {unknown[0]!r}; regions are {', '.join(REGION_NAMES)}")
    for label, a in (("baseline", baseline), ("later", later)):
        if a.face is None or a.regions is None:
            n = a.detection.count
            raise CompareError(f"the {label} photo has {'no' if n == 0 else n} face"
                               f"{'' if n == 1 else 's'}; a comparison needs exactly one")
    warnings: list[str] = []
    for label, a in (("baseline", baseline), ("later", later)):
        for p in a.quality.problems:
            warnings.append(f"{label.capitalize()} photo: {p.message}")
    b_regs, l_regs = baseline.regions, later.regions
    timing: dict[str, float] = {}

    mapping = regions_mapping(b_regs, baseline.face, l_regs, later.face)
    warped_rgb = mapping.sample(l_regs.work_rgb)
    t1 = time.perf_counter()
    timing["warp"] = (t1 - t0) * 1e3
    fw = _region_face_width(b_regs)
    identity = check_identity(baseline.face, later.face, b_regs.work_rgb, warped_rgb,
                              mapping.valid, fw)
    t2 = time.perf_counter()
    timing["identity"] = (t2 - t1) * 1e3
    if not identity.same_person:
        return _refused(identity, treated, warnings, timing)
    yaw_diff = abs(baseline.face.pose.yaw - later.face.pose.yaw)
    if yaw_diff > 10:
        warnings.append(f"The head is turned {yaw_diff:.0f}° differently from the baseline photo; "
                        "side regions compare less reliably. Face the camera the same way.")

    # Linear light of both photos on the baseline grid; the later one warped in linear light so
    # that interpolation mixes light, not encoded values.
    lin_b = srgb_to_linear(b_regs.work_rgb)
    lin_l = mapping.sample(srgb_to_linear(l_regs.work_rgb), nearest=NEAREST)
    later_ok = mapping.sample(_usable_union(l_regs).astype(np.uint8), nearest=True).astype(bool)
    common = mapping.valid & later_ok
    idx: dict[str, np.ndarray] = {}
    for name in REGION_NAMES:
        i = np.flatnonzero(b_regs[name].usable & common)
        if i.size >= MIN_REGION_SAMPLES:
            idx[name] = i
        else:
            warnings.append(f"Too little skin of the {name.replace('_', ' ')} is visible in both "
                            "photos to measure it.")
    h, w = common.shape
    # Every measured sample once, in one flat set ("union"); regions are positions into it.
    in_any = np.zeros(h * w, bool)
    for i in idx.values():
        in_any[i] = True
    union = np.flatnonzero(in_any)
    pos = np.full(h * w, -1, np.int64)
    pos[union] = np.arange(union.size)
    where = {name: pos[i] for name, i in idx.items()}
    lb = lin_b.reshape(-1, 3)[union]
    ll = lin_l.reshape(-1, 3)[union]
    # Face-centred coordinates in face widths, for the shading slope.
    step = b_regs.step
    ox, oy = b_regs.origin
    rows, cols = np.divmod(union, w)
    x = ((ox + cols * step - (b_regs.face_box[0] + b_regs.face_box[2]) / 2.0) / (fw * step))
    y = ((oy + rows * step - (b_regs.face_box[1] + b_regs.face_box[3]) / 2.0) / (fw * step))
    a_b = a_star_from_linear(lb)

    refs = tuple(n for n in REGION_NAMES if n not in treated and n in idx) if treated else ()
    model = None
    loro: list[float] = []
    if refs:
        tile = max(2, int(round(LIGHT_TILE * fw)))
        model, loro = _normalise(refs, where, lb, ll, x, y, rows, cols, tile, w, a_b)
    elif treated:
        warnings.append("Every region was treated: no untreated skin is left to correct the light "
                        "with, so the change includes any change of light.")
    norm = _normalisation(model, refs, loro, calibrations)
    if norm.method == "none":
        warnings.append("The light of the two photos was not matched (no colour chart and no "
                        "untreated region named): changes include any change of light.")
    t3 = time.perf_counter()
    timing["normalise"] = (t3 - t2) * 1e3

    if model is not None:
        ll = ll * model.gains(x, y)
    a_l = a_star_from_linear(ll)
    ei_b = erythema_index(lb)
    ei_l = erythema_index(ll)
    changes: dict[str, RegionChange] = {}
    for name, k in where.items():
        ab, al = central_mean(a_b[k]), central_mean(a_l[k])
        d = al - ab
        dei = central_mean(ei_l[k]) - central_mean(ei_b[k])
        u = math.hypot(norm.uncertainty, REGION_REPEAT_UNCERTAINTY)
        real = is_real_change(d, u)
        changes[name] = RegionChange(region=name, baseline_a_star=ab, later_a_star=al,
                                     delta_a_star=d, delta_erythema_index=dei, uncertainty=u,
                                     real_change=real, grade=grade_for(d, real), samples=int(k.size))
    delta_map = None
    if with_map:
        delta_map = _smoothed_map(union, a_l - a_b, (h, w), fw)
    timing["measure"] = (time.perf_counter() - t3) * 1e3
    return Comparison(regions=changes, normalisation=norm, same_person=True,
                      warnings=tuple(warnings), delta_map=delta_map, map_origin=b_regs.origin,
                      map_step=step, identity=identity, treated=treated, timing_ms=timing)


def _normalise(refs, where, lb, ll, x, y, rows, cols, tile, w, a_b):
    """Fit the light model on all reference regions, and leave-one-region-out residuals (a*).

    Each region's samples are thinned evenly so that all references together give at most
    :data:`LIGHT_MAX_SAMPLES` (plenty for five numbers); log-ratios are taken of those only.
    """
    total = sum(where[n].size for n in refs)
    stride = max(1, total // LIGHT_MAX_SAMPLES)
    floor = np.float32(1e-3)
    per = {}
    for n in refs:
        k = where[n][::stride]
        lr = np.log(np.maximum(lb[k], floor)) - np.log(np.maximum(ll[k], floor))
        tid = (rows[k] // tile) * (w // tile + 1) + cols[k] // tile
        per[n] = (x[k], y[k], lr, tid)

    def fit(names):
        parts = [per[n] for n in names]
        return _fit_light(*(np.concatenate([p[j] for p in parts]) for j in range(4)))

    model = fit(refs)
    loro = []
    if len(refs) >= 2:
        for held in refs:
            m = fit([n for n in refs if n != held])
            k = where[held]
            a_l = a_star_from_linear(ll[k] * m.gains(x[k], y[k]))
            loro.append(central_mean(a_l) - central_mean(a_b[k]))
    return model, loro


def _normalisation(model, refs, loro, calibrations) -> Normalisation:
    chart_u = None
    if calibrations:
        chart_u = math.hypot(*(c.a_star_uncertainty for c in calibrations))
    if model is not None:
        # Leave-one-region-out residuals are the honest error of extrapolating the light from
        # some untreated regions to another region: their RMS, as a 95 % band.
        u = UNTREATED_MIN_UNCERTAINTY
        if loro:
            u = max(u, 1.96 * math.sqrt(float(np.mean(np.square(loro)))))
        elif len(refs) == 1:
            u = max(u, 2 * UNTREATED_MIN_UNCERTAINTY)  # one reference: nothing to check it by
        if chart_u is not None:
            u = min(u, math.hypot(chart_u, UNTREATED_MIN_UNCERTAINTY))
        gains = tuple(float(g) for g in np.exp(model.offsets))
        return Normalisation("chart+untreated_regions" if chart_u is not None else
                             "untreated_regions", tuple(refs), float(u), gains,
                             (float(model.slope[0]), float(model.slope[1])))
    if chart_u is not None:
        return Normalisation("chart", (), float(chart_u))
    return Normalisation("none", (), NONE_UNCERTAINTY)


def _smoothed_map(union: np.ndarray, delta: np.ndarray, shape: tuple[int, int],
                  fw: float) -> np.ndarray:
    """Δa* per work pixel, smoothed by normalised convolution (so edges are not pulled toward
    zero), NaN where nothing was measured. The smoothing (1 % of face width) averages away pixel
    noise and residual misalignment of fine texture."""
    import cv2

    h, w = shape
    val = np.zeros(h * w, np.float32)
    have = np.zeros(h * w, np.float32)
    val[union] = delta
    have[union] = 1.0
    val, have = val.reshape(h, w), have.reshape(h, w)
    sigma = max(0.8, 0.01 * fw)
    num = cv2.GaussianBlur(val, (0, 0), sigma)
    den = cv2.GaussianBlur(have, (0, 0), sigma)
    out = np.full((h, w), np.nan, np.float32)
    ok = have > 0
    out[ok] = num[ok] / np.maximum(den[ok], 1e-6)
    return out


def render_delta_map(baseline_rgb: np.ndarray, comparison: Comparison, *,
                     max_delta: float = 10.0, alpha: float = 0.65) -> np.ndarray:
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


def delta_map_figure(baseline_rgb: np.ndarray, comparison: Comparison, *,
                     max_delta: float = 10.0, max_side: int = 1200) -> np.ndarray:
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
        crop = cv2.resize(crop, (round(crop.shape[1] * k), round(crop.shape[0] * k)),
                          interpolation=cv2.INTER_AREA)
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
    labels = ((f"-{max_delta:g} less red", margin), ("0", w // 2),
              (f"+{max_delta:g} redder", w - margin))
    for text, x in labels:
        (tw, _), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        xpos = int(np.clip(x - tw // 2, 0, w - tw))
        cv2.putText(panel, text, (xpos, baseline), cv2.FONT_HERSHEY_SIMPLEX, scale, (40, 40, 40),
                    1, cv2.LINE_AA)
    title = "change of a* (CIELAB) since the baseline photo"
    tscale = min(scale, 0.9 * w / max(1, cv2.getTextSize(title, cv2.FONT_HERSHEY_SIMPLEX, 1, 1)[0][0]))
    head = np.full((text_h + 2 * pad, w, 3), 255, np.uint8)
    cv2.putText(head, title, (margin // 2, pad + text_h - 2), cv2.FONT_HERSHEY_SIMPLEX, tscale,
                (40, 40, 40), 1, cv2.LINE_AA)
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


def _overlay_crop(crop: np.ndarray, comparison: Comparison, max_delta: float,
                  alpha: float, *, scale: float = 1.0) -> np.ndarray:
    """Blend the colour-mapped Δa* over ``crop``, the photo area of the map shrunk by ``scale``."""
    import cv2

    from skintrack.core.warp import delta_colours

    dm = comparison.delta_map
    step = comparison.map_step
    colours = delta_colours(dm, max_delta)
    # Opacity grows with the size of the change, so unchanged skin stays visible under a light
    # tint and real changes stand out.
    strength = np.clip(np.abs(np.nan_to_num(dm)) / np.float32(0.3 * max_delta), 0.0, 1.0)
    have = (~np.isnan(dm)) * (np.float32(0.35) + np.float32(0.65) * strength) * np.float32(alpha)
    have = have.astype(np.float32)
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
