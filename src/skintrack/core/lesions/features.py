"""The description of an acne candidate: 56 numbers (radial colour profile, asymmetry, texture,
blob responses, position on the face) that the tree model scores and the kind rules read."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from skintrack.core.face import FACE_OVAL
from skintrack.core.lesions.work import DOG_SIGMAS, PATCH_RADIUS, WORK_FACE_HEIGHT, LesionWork
from skintrack.core.regions import EXCLUDE

#: Ring radii (work pixels) of the radial colour profile.
RINGS = (0.0, 1.0, 2.0, 3.0, 4.5, 6.5, 10.0)

FEATURE_POINTS = {
    "eyes": EXCLUDE["right_eye"] + EXCLUDE["left_eye"],
    "brows": EXCLUDE["right_brow"] + EXCLUDE["left_brow"],
    "lips": EXCLUDE["lips"],
    "nostrils": EXCLUDE["right_nostril"] + EXCLUDE["left_nostril"],
}


@lru_cache(maxsize=1)
def _patch_weights():
    r = PATCH_RADIUS
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
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
    return (np.stack(rings, 1).astype(np.float32), np.stack(sectors, 1).astype(np.float32), d <= 3.0, d <= r)


def _patches(ch: np.ndarray, pts: np.ndarray) -> np.ndarray:
    from numpy.lib.stride_tricks import sliding_window_view

    r = PATCH_RADIUS
    win = sliding_window_view(ch, (2 * r + 1, 2 * r + 1))
    return win[pts[:, 1] - r, pts[:, 0] - r].reshape(len(pts), -1)


#: Bumped whenever the candidates or features change, so a cached training set is rebuilt.
FEATURE_VERSION = 4

FEATURE_NAMES: tuple[str, ...] = tuple(
    [f"{c}_ring{i}" for c in "Lab" for i in range(len(RINGS) - 2)]
    + [
        f"{c}_{n}"
        for c in "Lab"
        for n in (
            "outer_vs_skin",
            "sector_range",
            "sector_std",
            "inner_std",
            "inner_max",
            "inner_min",
            "patch_std",
        )
    ]
    + ["dark_fraction", "gradient"]
    + [f"dog_{c}_{s}" for c in ("a", "negL") for s in DOG_SIGMAS]
    + [
        "face_u",
        "face_v",
        "d_oval",
        "d_eyes",
        "d_brows",
        "d_lips",
        "d_nostrils",
        "skin_L",
        "skin_a",
        "skin_b",
    ]
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
        rm, sm, mean = sums[:, :nr], sums[:, nr : nr + 8], sums[:, -1]
        outer = rm[:, -1]
        ring_diffs.append(rm[:, :-1] - outer[:, None])
        inner = p[:, disc3]
        var = np.maximum((p * p) @ wdisc - mean * mean, 0.0)
        per_channel.append(
            np.stack(
                [
                    outer - skin[c],
                    sm.max(1) - sm.min(1),
                    sm.std(1),
                    inner.std(1),
                    inner.max(1) - outer,
                    inner.min(1) - outer,
                    np.sqrt(var),
                ],
                1,
            )
        )
        if c == 0:
            extra.append((p < skin[0] - 20).astype(np.float32) @ (disc / disc.sum()))
            extra.append(_patch_gradient(p))
    dog = work.dog[:, pts[:, 1], pts[:, 0]].T
    parts = (
        ring_diffs
        + per_channel
        + [np.stack(extra, 1), dog, _position_features(work, pts), np.broadcast_to(skin, (n, 3))]
    )
    return np.concatenate([np.asarray(f, np.float32).reshape(n, -1) for f in parts], 1)


def _patch_gradient(p: np.ndarray) -> np.ndarray:
    """Mean |vertical| plus mean |horizontal| L* step inside each (2r+1)-square patch, from the
    candidates' own patches (``p``: (n, (2r+1)^2)); a box filter over the whole work image gave
    the same numbers for every pixel and cost ten times as much."""
    side = 2 * PATCH_RADIUS + 1
    q = p.reshape(len(p), side, side)
    return np.abs(q[:, 1:] - q[:, :-1]).mean((1, 2)) + np.abs(q[:, :, 1:] - q[:, :, :-1]).mean((1, 2))


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
