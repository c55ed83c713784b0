"""Acne candidates: local maxima of the blob responses, and non-maximum suppression."""

from __future__ import annotations

import numpy as np

from skintrack.core.lesions.work import DOG_SIGMAS, PATCH_RADIUS, LesionWork

#: A candidate's strongest red-or-dark response must exceed this many standard deviations of the
#: response over the search area (keeps 90 % of expert marks reachable at ~1,330 candidates).
CANDIDATE_MIN_Z = 1.0
#: At detection time only candidates with a response of at least this many z are scored: the
#: weaker ones (38 % of them) almost never pass the threshold, and scoring them costs time.
#: Measured on the cross-validated predictions of ACNE04 dev (see models/LESIONS.md): recall
#: 0.410 -> 0.406, precision 0.428 -> 0.439, F1 0.418 -> 0.422. Training still sees all
#: candidates (more negatives to learn from).
DETECT_MIN_Z = 1.6
#: Two detections closer than this (work pixels) are one lesion (non-maximum suppression).
NMS_RADIUS = 8.0


def candidates(work: LesionWork, min_z: float = CANDIDATE_MIN_Z) -> np.ndarray:
    """Local maxima of the strongest red or dark blob response: (n, 2) int64 work x, y."""
    import cv2

    k = len(DOG_SIGMAS)
    comb = np.maximum(work.dog[:k].max(0), work.dog[k : 2 * k].max(0))
    peak = comb >= cv2.dilate(comb, np.ones((5, 5), np.uint8))
    r = PATCH_RADIUS
    inside = np.zeros_like(work.mask)
    inside[r:-r, r:-r] = work.mask[r:-r, r:-r]
    ys, xs = np.nonzero(peak & inside & (comb > min_z))
    return np.stack([xs, ys], 1).astype(np.int64)


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
