"""Everything together: the acne search (the heatmap network) and the patch search on one face, merged into
:class:`~skintrack.core.lesions.finding.Finding` objects in photo pixels with their regions."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from skintrack.core.acne_heatmap import AcneHeatmap, load_heatmap
from skintrack.core.lesions.acne import acne_kind, colour_kinds, detect_acne, lesion_extent
from skintrack.core.lesions.finding import Finding, finding_id
from skintrack.core.lesions.patches import find_patches
from skintrack.core.lesions.trees import load_model
from skintrack.core.lesions.work import PATCH_RADIUS, prepare, with_responses
from skintrack.core.regions import LIPS, REGION_NAMES

#: An acne spot whose centre lies deeper than this inside the outer lip outline is dropped.
LIP_INSIDE_MM = 1.0
#: Two acne detections are one lesion when either centre lies within this share of the other's
#: extent radius (a pustule's red base peaks on both sides of its pale head).
MERGE_SHARE = 1.0
#: MediaPipe's inner-lip loop: the mouth opening (teeth, tongue) where no lesion can be.
INNER_LIPS = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95)
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
    for (wx, wy), rw, s, f in zip(spots.work_xy, spots.radius_work, spots.score, spots.features, strict=True):
        cx, cy, re = lesion_extent(work, (wx, wy), float(rw))
        kind = acne_kind(f, 2 * re * work.mm_per_work_px)
        for m in merged:
            if np.hypot(cx - m[0], cy - m[1]) <= MERGE_SHARE * max(re, m[2]):
                if kind == "pustule":
                    m[5] = "pustule"
                break
        else:
            merged.append([cx, cy, re, float(s), f, kind])
    return [AcneLesion(float(cx), float(cy), float(re), raw, f, kind) for cx, cy, re, raw, f, kind in merged]


def _network_spots(rgb: np.ndarray, work, net, mm_per_px: float, threshold: float | None):
    """The heatmap network's peaks on the face crop of ``rgb`` (the work image's area), at the
    network's trained scale: photo centres (n, 2), photo radii (n,), probabilities (n,), kept
    where the work image's search area (face oval and margin, without the eyes) lies."""
    h, w = work.lab.shape[:2]
    x0, y0 = work.origin
    x1 = min(rgb.shape[1], int(np.ceil(x0 + w / work.scale)))
    y1 = min(rgb.shape[0], int(np.ceil(y0 + h / work.scale)))
    crop = np.ascontiguousarray(rgb[y0:y1, x0:x1])
    if min(crop.shape[:2]) < 8:
        return np.zeros((0, 2)), np.zeros(0), np.zeros(0)
    pk = net.detect(crop, mm_per_px=mm_per_px, threshold=threshold)
    xy = pk.xy + (x0, y0)
    wxy = np.round((xy - (x0, y0)) * work.scale).astype(np.intp)
    inside = (wxy[:, 0] >= 0) & (wxy[:, 0] < w) & (wxy[:, 1] >= 0) & (wxy[:, 1] < h)
    keep = np.zeros(len(xy), bool)
    keep[inside] = work.mask[wxy[inside, 1], wxy[inside, 0]]
    return xy[keep], pk.radius_px[keep], pk.certainty[keep]


def find_lesions(
    rgb: np.ndarray, face, regions, *, model: AcneHeatmap | None = None, threshold: float | None = None
) -> list[Finding]:
    """All findings on one face: acne lesions, open wounds, crusts and cold sores.

    The acne spots come from the heatmap network (:mod:`skintrack.core.acne_heatmap`, ADR 0210)
    run on the face crop at its trained scale; each is named by the colour rules
    (:func:`~skintrack.core.lesions.acne.colour_kinds`) and scored by the network's calibrated
    certainty; a pustule must also be one of the tree detector's pustules (:mod:`.acne`, run only
    when a lesion could be one). Wounds, crusts and cold sores come from the colour rules
    (:mod:`~skintrack.core.lesions.patches`).

    Parameters
    ----------
    rgb : (h, w, 3) uint8 oriented photo.
    face : :class:`~skintrack.core.face.Face` found on it.
    regions : its :class:`~skintrack.core.regions.RegionSet` (for the ``region`` of findings),
        or ``None``.
    model, threshold : the acne network and its peak threshold (default: the bundled network).
    """
    import cv2

    net = model if model is not None else load_heatmap()
    tree_model = load_model()
    base = prepare(rgb, face, responses=False)
    # The wound/crust/cold-sore search needs colour only: it runs on a second thread while the
    # network runs here (and the trees, when a lesion could be a pustule).
    patch_search = _pool().submit(find_patches, base)
    work = base
    mm_per_px = face.mm_per_px  # photo pixels
    scale_mm = mm_per_px if mm_per_px else work.mm_per_work_px * work.scale
    if net is not None:
        xy, rad, prob = _network_spots(rgb, work, net, scale_mm, threshold)
    else:
        xy, rad, prob = np.zeros((0, 2)), np.zeros(0), np.zeros(0)
    patches = patch_search.result()
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
        findings.append(
            Finding(
                id=finding_id(p.kind, x, y),
                kind=p.kind,
                x=float(x),
                y=float(y),
                radius_px=float(r),
                diameter_mm=2 * r * mm_per_px if mm_per_px else None,
                region=region,
                score=round(p.score, 3),
                near_regions=near,
            )
        )
    taken = [(work.to_photo(np.array(p.work_xy)), p.radius_work / work.scale) for p in patches]
    if net is None or not len(xy):  # no network file: the rules' findings only
        return findings
    # A finding's score is the network's calibrated certainty (models/ACNE_HEATMAP.md). Each spot
    # is outlined from its own extent (lesion_extent, as the trees' detections were: it re-centres
    # and sizes a lesion from its contrast with the skin around it; the network's radius seeds
    # it), and peaks whose outlines hold each other's centre are one lesion (the higher kept).
    sure = net.certainty(prob)
    h, w = work.lab.shape[:2]

    def clip(q):
        q = np.asarray(q, np.intp).reshape(-1, 2).copy()
        q[:, 0] = np.clip(q[:, 0], PATCH_RADIUS, w - PATCH_RADIUS - 1)
        q[:, 1] = np.clip(q[:, 1], PATCH_RADIUS, h - PATCH_RADIUS - 1)
        return q

    wxy = (xy - np.asarray(work.origin, np.float64)) * work.scale
    lesions: list[list[float]] = []  # work x, work y, work radius, certainty
    for (wx, wy), r, s in zip(wxy, rad * work.scale, sure, strict=True):
        cx, cy, re = lesion_extent(work, (wx, wy), max(1.0, float(r) / 2))
        if any(np.hypot(cx - m[0], cy - m[1]) <= MERGE_SHARE * max(re, m[2]) for m in lesions):
            continue
        lesions.append([cx, cy, re, float(s)])
    if not lesions:
        return findings
    les = np.asarray(lesions, np.float64)
    wpts = clip(np.round(les[:, :2]))
    # The colour rules name each lesion at its centre. A pustule, the kind that postpones alone,
    # must also be one of the trees' detections named a pustule: the colour rules read a pustule
    # from its red base, where the trees' blob candidates sit (the network centres it on its pale
    # head, and read from the centre or points around it the rules also named glare on a red spot
    # of aptus_5 a pustule). A network lesion holding such a detection (MERGE_SHARE of its
    # extent) is a pustule; one the rules name a pustule without it is a papule (it is red).
    diam = 2 * les[:, 2] * work.mm_per_work_px
    kinds = colour_kinds(work, wpts, diam)
    # The trees (blob responses, features: ~30 ms on the 12 MP benchmark) run only when a lesion
    # could be one: the rules name a pustule at its centre or at one of eight points on its base
    # (half and all of its radius, four directions).
    maybe = np.asarray([k == "pustule" for k in kinds])
    for dx, dy, share in (
        (1, 0, 0.5),
        (-1, 0, 0.5),
        (0, 1, 0.5),
        (0, -1, 0.5),
        (1, 0, 1.0),
        (-1, 0, 1.0),
        (0, 1, 1.0),
        (0, -1, 1.0),
    ):
        rim = np.maximum(2.0, share * les[:, 2])
        q = clip(wpts + np.round(np.column_stack([dx * rim, dy * rim])))
        maybe |= np.asarray([k == "pustule" for k in colour_kinds(work, q, diam)])
    tree_pustules = np.zeros((0, 2))
    if maybe.any() and tree_model is not None:
        responses = with_responses(base)
        tree_pustules = np.asarray(
            [
                (m.x, m.y)
                for m in merge_detections(responses, detect_acne(responses, tree_model))
                if m.kind == "pustule"
            ],
            np.float64,
        ).reshape(-1, 2)
    for i in range(len(kinds)):
        near = np.hypot(tree_pustules[:, 0] - les[i, 0], tree_pustules[:, 1] - les[i, 1])
        confirmed = bool((near <= MERGE_SHARE * max(les[i, 2], 2.0)).any())
        if confirmed:
            kinds[i] = "pustule"
        elif kinds[i] == "pustule":
            kinds[i] = "papule"
    mouth = face.xy[list(INNER_LIPS)].astype(np.float32).reshape(-1, 1, 2)
    lip_inside_px = LIP_INSIDE_MM / scale_mm
    photo_xy = work.to_photo(les[:, :2])
    for (x, y), r, s, kind in zip(photo_xy, les[:, 2] / work.scale, les[:, 3], kinds, strict=True):
        # A spot inside a wound, crust or cold sore is part of it, not a separate lesion.
        if any(np.hypot(x - c[0], y - c[1]) <= rr for c, rr in taken):
            continue
        # Inside the mouth opening are teeth and tongue, not skin.
        if cv2.pointPolygonTest(mouth, (float(x), float(y)), False) >= 0:
            continue
        # Acne does not form on the red of the lips (no oil glands there); spots well inside the
        # lip outline are lip texture or teeth edges. Cold sores there come from the patch rules.
        if cv2.pointPolygonTest(lips, (float(x), float(y)), True) > lip_inside_px:
            continue
        region, near = locate(x, y)
        findings.append(
            Finding(
                id=finding_id(kind, x, y),
                kind=kind,
                x=float(x),
                y=float(y),
                radius_px=float(r),
                diameter_mm=2 * float(r) * mm_per_px if mm_per_px else None,
                region=region,
                score=round(float(s), 3),
                near_regions=near,
            )
        )
    return findings
