"""The finding type: one lesion found on a photo, and the kinds it may be."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from skintrack.core.regions import REGION_NAMES

ACNE_KINDS = ("comedone", "papule", "pustule", "nodule")
PATCH_KINDS = ("open_wound", "crust", "cold_sore")
KINDS = ACNE_KINDS + PATCH_KINDS


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
            "id": self.id,
            "kind": self.kind,
            "x": round(self.x, 1),
            "y": round(self.y, 1),
            "radius_px": round(self.radius_px, 1),
            "diameter_mm": None if self.diameter_mm is None else round(self.diameter_mm, 2),
            "region": self.region,
            "near_regions": list(self.near_regions),
            "score": round(self.score, 3),
            "off_skin": self.off_skin or None,
        }

    @classmethod
    def from_record(cls, rec: dict) -> Finding:
        return cls(
            id=str(rec["id"]),
            kind=str(rec["kind"]),
            x=float(rec["x"]),
            y=float(rec["y"]),
            radius_px=float(rec["radius_px"]),
            diameter_mm=None if rec.get("diameter_mm") is None else float(rec["diameter_mm"]),
            region=rec.get("region"),
            score=float(rec["score"]),
            near_regions=tuple(rec.get("near_regions") or ()),
            off_skin=str(rec.get("off_skin") or ""),
        )


def finding_id(kind: str, x: float, y: float) -> str:
    """Stable short id: a hash of the kind and the position rounded to 4 px."""
    key = f"{kind}:{round(x / 4)}:{round(y / 4)}"
    return hashlib.sha1(key.encode()).hexdigest()[:10]
