"""Acne detection: candidates scored by the tree model, suppressed, named by colour and size rules
(:func:`acne_kind`) and outlined from their own extent (:func:`lesion_extent`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from skintrack.core.lesions.blobs import DETECT_MIN_Z, NMS_RADIUS, candidates, nms
from skintrack.core.lesions.features import FEATURE_NAMES, candidate_features
from skintrack.core.lesions.shapes import _elongation
from skintrack.core.lesions.trees import TreeModel, load_model
from skintrack.core.lesions.work import DOG_SIGMAS, LesionWork, prepare

# --- Kind rules (CIELAB units relative to the person's median skin; sizes in mm) -------------------
#: Redness (a* above skin) from which a spot counts as inflamed (papule, pustule, nodule).
INFLAMED_DA = 4.0
#: A pustule's head: a pixel within 3 work px of an inflamed spot this much lighter (L*) than the
#: spot's surroundings, and no bluer.
PUSTULE_HEAD_DL = 12.0
#: Inflamed lesions at least this wide are nodules (dermatology: nodules are >= 5 mm).
NODULE_MIN_MM = 5.0
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


def detect_acne(
    work: LesionWork, model: TreeModel | None = None, *, threshold: float | None = None
) -> AcneSpots:
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
    resp = np.maximum(
        work.dog[:k, pts[keep, 1], pts[keep, 0]], work.dog[k : 2 * k, pts[keep, 1], pts[keep, 0]]
    )
    # A blob responds most to the DoG whose inner sigma is about radius / 1.5.
    radius = 1.5 * np.asarray(DOG_SIGMAS)[resp.argmax(0)] if len(keep) else np.zeros(0)
    return AcneSpots(
        work_xy=pts[keep],
        photo_xy=work.to_photo(pts[keep]),
        radius_work=radius,
        score=prob[keep],
        features=feats[keep],
        certainty=model.certainty(prob[keep]),
    )


def acne_kind(features: np.ndarray, diameter_mm: float) -> str:
    """Name an acne spot from its colour profile: comedone, papule, pustule or nodule.

    Red (a* of the spot above its surroundings) marks inflammation; a lighter, yellower centre
    within a red rim is a pustule's head; a wide inflamed spot is a nodule; a spot that is not red
    is a comedone (open: dark; closed: skin-coloured).
    """
    f = dict(zip(FEATURE_NAMES, features, strict=True))
    return _kind(
        max(f["a_ring0"], f["a_ring1"], f["a_ring2"]), f["L_inner_max"], f["b_inner_max"], diameter_mm
    )


def _kind(a_rise: float, l_head: float, b_head: float, diameter_mm: float) -> str:
    red = a_rise >= INFLAMED_DA
    if not red:
        return "comedone"
    # The detection sits on the red base (a* peaks there, not on the pale head), so the head is
    # the brightest pixel within 3 px: much lighter than the surroundings and not bluish (glare
    # on a red spot is white to bluish; pus is white-yellow).
    head = l_head >= PUSTULE_HEAD_DL and b_head >= 0.0
    if head:
        return "pustule"
    if diameter_mm >= NODULE_MIN_MM:
        return "nodule"
    return "papule"


def colour_kinds(work: LesionWork, pts: np.ndarray, diameters_mm) -> list[str]:
    """:func:`acne_kind` of spots at work pixels ``pts`` (see :func:`colour_profile`)."""
    a_rise, l_head, b_head = colour_profile(work, pts)
    return [
        _kind(float(a), float(L), float(b), float(d))
        for a, L, b, d in zip(a_rise, l_head, b_head, diameters_mm, strict=True)
    ]


def colour_profile(work: LesionWork, pts: np.ndarray) -> tuple[np.ndarray, ...]:
    """What :func:`acne_kind` reads at work pixels ``pts`` (n, 2) int: the a* rise of the inner
    rings, the L* and b* of the lightest pixel within 3 px (over the outer ring), as
    :func:`~skintrack.core.lesions.features.candidate_features` has them, without the blob
    responses the rest of the features need."""
    from skintrack.core.lesions.features import _patch_weights, _patches

    pts = np.asarray(pts, np.intp).reshape(-1, 2)
    if not len(pts):
        return np.zeros(0), np.zeros(0), np.zeros(0)
    rings, _sectors, disc3, _disc = _patch_weights()
    per = []
    for c in range(3):
        p = _patches(work.lab[..., c], pts)
        rm = p @ rings
        outer = rm[:, -1]
        if c == 1:
            per.append((rm[:, :3] - outer[:, None]).max(1))
        else:
            per.append(p[:, disc3].max(1) - outer)
    return per[1], per[0], per[2]


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
    return float(found[0]), float(found[1]), float(found[2])


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
    near = contrast[max(0, cy - 2) : cy + 3, max(0, cx - 2) : cx + 3]
    peak = float(near.max())
    if peak < EXTENT_MIN_CONTRAST:
        return ()
    py, px = np.unravel_index(int(near.argmax()), near.shape)
    seed = (max(0, cy - 2) + py, max(0, cx - 2) + px)
    # The connected pixels above half the peak (flood from the peak), then the holes filled (a
    # pustule's head can be less red than half its base) by flooding the outside.
    m = np.zeros((win.shape[0] + 2, win.shape[1] + 2), np.uint8)
    m[1:-1, 1:-1] = contrast >= EXTENT_SHARE * peak
    cv2.floodFill(m, None, (int(seed[1]) + 1, int(seed[0]) + 1), 2, flags=8)
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
