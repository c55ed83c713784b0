"""Everything together: the acne search and the patch search on one face, merged into
:class:`~skintrack.core.lesions.finding.Finding` objects in photo pixels with their regions."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from skintrack.core.lesions.acne import acne_kind, detect_acne, lesion_extent
from skintrack.core.lesions.finding import Finding, finding_id
from skintrack.core.lesions.patches import find_patches
from skintrack.core.lesions.trees import TreeModel, load_model
from skintrack.core.lesions.work import prepare, with_responses
from skintrack.core.regions import LIPS, REGION_NAMES

#: An acne spot whose centre lies deeper than this inside the outer lip outline is dropped.
LIP_INSIDE_MM = 1.0
#: Two acne detections are one lesion when either centre lies within this share of the other's
#: extent radius (a pustule's red base peaks on both sides of its pale head).
MERGE_SHARE = 1.0
#: MediaPipe's inner-lip loop: the mouth opening (teeth, tongue) where no lesion can be.
INNER_LIPS = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178,
              88, 95)
#: Findings within this distance (mm) of a region's polygon are "next to" that region.
NEAR_REGION_MM = 10.0


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


def _pool():
    """The patch search's worker, looked up on the package (``skintrack.core.lesions._POOL``,
    which re-exports it): the one name to replace it by, e.g. with an inline runner in tests."""
    from skintrack.core import lesions

    return lesions._POOL


@dataclass(frozen=True, eq=False)
class AcneLesion:
    """One acne lesion after merging the detections of it (work pixels)."""

    x: float
    y: float
    radius: float  # from the lesion's own extent (lesion_extent)
    raw: float  # the best detection's raw tree score
    features: np.ndarray  # the best detection's candidate features
    kind: str  # acne_kind of the detections; a pustule head seen from any of them wins


def merge_detections(work, spots) -> list[AcneLesion]:
    """The acne lesions behind the detections ``spots`` (:class:`AcneSpots`, best score first).

    Each detection is re-centred and sized from the lesion's own extent; detections of one lesion
    (a centre within the other's extent) are merged into the first. A pustule's head seen from
    any side of its base makes the colour rules' name of the merged lesion a pustule.
    """
    merged: list[list] = []  # [work x, work y, radius, raw score, features, rule kind]
    for (wx, wy), rw, s, f in zip(spots.work_xy, spots.radius_work, spots.score,
                                  spots.features, strict=True):
        cx, cy, re = lesion_extent(work, (wx, wy), float(rw))
        kind = acne_kind(f, 2 * re * work.mm_per_work_px)
        for m in merged:
            if np.hypot(cx - m[0], cy - m[1]) <= MERGE_SHARE * max(re, m[2]):
                if kind == "pustule":
                    m[5] = "pustule"
                break
        else:
            merged.append([cx, cy, re, float(s), f, kind])
    return [AcneLesion(float(cx), float(cy), float(re), raw, f, kind)
            for cx, cy, re, raw, f, kind in merged]


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
    patch_search = _pool().submit(find_patches, base)
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
    # A finding's score is the calibrated certainty for its kind, not the raw tree score
    # (models/LESIONS.md); merging can turn a lesion into a pustule, so it is looked up last.
    merged = merge_detections(work, spots)
    mouth = face.xy[list(INNER_LIPS)].astype(np.float32).reshape(-1, 1, 2)
    lip_inside_px = LIP_INSIDE_MM / (work.mm_per_work_px * work.scale)
    for le in merged:
        cx, cy, rw, kind = le.x, le.y, le.radius, le.kind
        s = float(model.certainty(le.raw, kind))
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
