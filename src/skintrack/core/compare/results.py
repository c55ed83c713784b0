"""What a comparison says: the per-region change, the light normalisation, the same-person check
and the comparison as a whole, with the rules that grade a change (real or not; none / mild /
moderate / marked).

These are the frozen records :func:`skintrack.core.compare.compare_analyses` returns; ``compare
--json``, the session service and the report read them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from skintrack.core.compare.sentences import redder_than_baseline
from skintrack.core.errors import SkintrackError
from skintrack.core.regions import REGION_NAMES

SCHEMA = 1

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


class CompareError(SkintrackError):
    """Two photos cannot be compared (no single face, unknown region names...)."""


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
        for name in (
            "baseline_a_star",
            "later_a_star",
            "delta_a_star",
            "delta_erythema_index",
            "uncertainty",
        ):
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
        return {
            "same_person": self.same_person,
            "shape_distance": round(self.shape_distance, 4),
            "texture_match": tm,
        }


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
            out.append(
                {
                    "id": f"erythema:{name}",
                    "kind": "erythema",
                    "region": name,
                    "grade": ch.grade,
                    "delta_a_star": round(ch.delta_a_star, 2),
                    "uncertainty": round(ch.uncertainty, 2),
                    "treated": name in self.treated,
                    "message": redder_than_baseline(name, ch.delta_a_star, ch.uncertainty, ch.grade),
                }
            )
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
