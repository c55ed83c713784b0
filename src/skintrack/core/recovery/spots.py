"""New spots after treatment: which pustules or wounds were not there before, and which of them
are evidence of worsening (seen twice, or confirmed) rather than a spot to look at."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from skintrack.core.recovery.records import NEW_FINDING_KINDS, NewFinding, Spot

#: Two spots whose centres (in the baseline photo, through the face mesh) are closer than their
#: radii plus this many millimetres are one place: a spot there after treatment is not new.
#: Repeat photos of one face land the same skin within 1-2 mm after the mesh warp
#: (docs/recovery.md); lesion centres move a little more as they are re-outlined.
SAME_PLACE_MM = 3.0
#: A new spot becomes evidence of worsening when found on this many photos after treatment.
NEW_SPOT_MIN_PHOTOS = 2


def new_spots(
    baseline: Sequence[Spot], later: Sequence[Spot], *, treated: Iterable[str], mm_per_px: float
) -> tuple[tuple[NewFinding, ...], tuple[NewFinding, ...]]:
    """Which post-treatment spots are evidence of worsening, and which are only to look at.

    A later spot of a kind in :data:`NEW_FINDING_KINDS` on a treated region is *new* when no
    baseline spot (of any kind) lies at the same place (:data:`SAME_PLACE_MM` beyond both radii,
    baseline pixels at ``mm_per_px``). New spots at one place on different photos are one spot;
    it is *evidence* when seen on :data:`NEW_SPOT_MIN_PHOTOS` photos or confirmed, else a spot
    to look at. Returns ``(evidence, to_look_at)``, one :class:`NewFinding` per place (its
    latest sighting, for the crop).
    """
    treated = set(treated)
    tol = SAME_PLACE_MM / max(mm_per_px, 1e-6)

    def same(a: Spot, b: Spot) -> bool:
        return math.hypot(a.base_x - b.base_x, a.base_y - b.base_y) <= (a.radius_px + b.radius_px + tol)

    fresh = [
        s
        for s in later
        if s.kind in NEW_FINDING_KINDS and s.region in treated and not any(same(s, b) for b in baseline)
    ]
    groups: list[list[Spot]] = []
    for s in sorted(fresh, key=lambda s: s.hours or 0.0):
        for g in groups:
            if any(same(s, t) for t in g):
                g.append(s)
                break
        else:
            groups.append([s])
    evidence: list[NewFinding] = []
    look: list[NewFinding] = []
    for g in groups:
        photos = {s.photo_id for s in g}
        confirmed = any(s.confirmed for s in g)
        last = g[-1]
        kind = "open_wound" if any(s.kind == "open_wound" for s in g) else last.kind
        nf = NewFinding(
            kind,
            last.region,
            float(last.hours or 0.0),
            last.finding_id,
            last.photo_id,
            last.x,
            last.y,
            last.radius_px,
            seen_on=len(photos),
            confirmed=confirmed,
        )
        (evidence if confirmed or len(photos) >= NEW_SPOT_MIN_PHOTOS else look).append(nf)
    return tuple(evidence), tuple(look)
