"""The records that storage takes and gives back: frozen dataclasses that check themselves, and
the UTC text form of times (ADR 0300). The queries over them are in :mod:`skintrack.storage.sessions`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from skintrack.core.lesions import Finding
from skintrack.core.protocol import DEVICES
from skintrack.core.regions import REGION_NAMES

#: A needle longer than this is not a microneedling device at all; refuse it as a typing error.
MAX_PLAUSIBLE_NEEDLE_MM = 3.0
ANSWER_KINDS = ("questionnaire", "symptoms")
VERDICTS = ("confirmed", "dismissed")
#: What reading a stored value can raise when the row was damaged or written by another tool.
_UNREADABLE = (ValueError, TypeError, KeyError, AttributeError, OverflowError)


# --- time ----------------------------------------------------------------------------------------
def utc_text(when: datetime) -> str:
    """``when`` (timezone-aware) as fixed-width UTC ISO 8601 text."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("times must be timezone-aware")
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def parse_utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _aware(name: str, when: datetime) -> None:
    if not isinstance(when, datetime) or when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


# --- dataclasses ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Session:
    """One treatment: when it started, with what, on which regions.

    ``needle_mm`` is the needle length in millimetres; ``treated_regions`` are anatomical region
    names (``left_cheek`` is the person's own left); ``baseline_photo_id`` is the pre-treatment
    photo every later photo is compared with (None until set).
    """

    id: int
    created_at: datetime
    treated_at: datetime
    device: str
    needle_mm: float
    treated_regions: tuple[str, ...]
    products: tuple[str, ...] = ()
    notes: str = ""
    baseline_photo_id: int | None = None

    def __post_init__(self) -> None:
        _aware("created_at", self.created_at)
        _aware("treated_at", self.treated_at)
        check_session_fields(self.device, self.needle_mm, self.treated_regions)
        if not all(isinstance(p, str) and p.strip() for p in self.products):
            raise ValueError("products must be non-empty names")


def check_session_fields(device: str, needle_mm: float, treated_regions: Sequence[str]) -> None:
    """Raise ValueError with a readable sentence when a session's fields are not usable."""
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}; use one of {', '.join(DEVICES)}")
    if not (0 < float(needle_mm) <= MAX_PLAUSIBLE_NEEDLE_MM):
        raise ValueError(
            f"needle length {needle_mm} mm is not plausible (expected 0 to {MAX_PLAUSIBLE_NEEDLE_MM:g} mm)"
        )
    if not treated_regions:
        raise ValueError("name at least one treated region")
    unknown = [r for r in treated_regions if r not in REGION_NAMES]
    if unknown:
        raise ValueError(f"unknown region {unknown[0]!r}; use names from {', '.join(REGION_NAMES)}")
    if len(set(treated_regions)) != len(treated_regions):
        raise ValueError("a treated region is named twice")


@dataclass(frozen=True)
class NewPhoto:
    """A photo about to be saved: its store file and what is known about its capture."""

    sha256: str
    store_name: str
    original_name: str
    width: int
    height: int
    taken_at: datetime
    taken_at_source: str

    def __post_init__(self) -> None:
        _aware("taken_at", self.taken_at)
        if len(self.sha256) != 64:
            raise ValueError("sha256 must be 64 hex digits")
        if self.width <= 0 or self.height <= 0:
            raise ValueError("a photo has positive width and height")


@dataclass(frozen=True)
class PhotoRow(NewPhoto):
    """A saved photo of a session."""

    id: int = 0
    session_id: int = 0
    added_at: datetime | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.id <= 0 or self.session_id <= 0:
            raise ValueError("a saved photo has positive id and session_id")


@dataclass(frozen=True)
class FindingRow:
    """A stored lesion finding of one photo with the person's verdict (None until they decide).

    ``finding`` is the :class:`~skintrack.core.lesions.Finding` that was saved, the same frozen
    dataclass; it is None for a record of a shape no ``Finding`` can be made from (a partial
    record of an early version), whose key, kind, region and verdict are still kept.
    """

    photo_id: int
    finding_key: str
    kind: str
    region: str | None
    finding: Finding | None
    verdict: str | None = None

    def __post_init__(self) -> None:
        if self.verdict is not None and self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}")
        f = self.finding
        if f is not None and (f.id, f.kind, f.region) != (self.finding_key, self.kind, self.region):
            raise ValueError("a finding row's key, kind and region are its finding's")


@dataclass(frozen=True)
class RegionDelta:
    """Redness change of one region against the baseline, CIELAB a* units."""

    delta_a_star: float
    uncertainty: float
    real_change: bool

    def __post_init__(self) -> None:
        if not self.uncertainty >= 0:
            raise ValueError("uncertainty must be >= 0")


@dataclass(frozen=True)
class RegionReading:
    """One region of a stored comparison, as compare measured it: CIELAB a* of each photo, the
    change (a* units), the change of the erythema index, the 95 % half-width and the grade.
    A field an older record lacks is None ('' for the grade)."""

    baseline_a_star: float | None = None
    later_a_star: float | None = None
    delta_a_star: float | None = None
    delta_erythema_index: float | None = None
    uncertainty: float | None = None
    real_change: bool | None = None
    grade: str = ""

    @classmethod
    def from_json(cls, rec: Mapping) -> RegionReading:
        def number(key: str) -> float | None:
            v = rec.get(key)
            return None if v is None else float(v)

        real = rec.get("real_change")
        return cls(
            number("baseline_a_star"),
            number("later_a_star"),
            number("delta_a_star"),
            number("delta_erythema_index"),
            number("uncertainty"),
            None if real is None else bool(real),
            str(rec.get("grade") or ""),
        )

    def to_json(self) -> dict:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


@dataclass(frozen=True)
class ComparisonRecord:
    """What a stored comparison found beside its region deltas (the ``record`` column): whether
    the face is the same person's, compare's warnings, the light normalisation (its method,
    reference regions and a* uncertainty) and each region's reading. An unusable comparison
    refused before measuring has the empty record; fields an older record lacks are empty."""

    same_person: bool | None = None
    warnings: tuple[str, ...] = ()
    normalisation_method: str = ""
    reference_regions: tuple[str, ...] = ()
    normalisation_uncertainty: float | None = None
    regions: Mapping[str, RegionReading] = field(default_factory=dict)

    @classmethod
    def from_json(cls, rec: object) -> ComparisonRecord:
        """Read a stored record (any version's: unknown keys are ignored)."""
        if not isinstance(rec, dict):
            raise ValueError("a comparison record is a JSON object")
        norm = rec.get("normalisation") or {}
        same = rec.get("same_person")
        u = norm.get("uncertainty")
        return cls(
            same_person=None if same is None else bool(same),
            warnings=tuple(str(w) for w in rec.get("warnings") or ()),
            normalisation_method=str(norm.get("method") or ""),
            reference_regions=tuple(str(r) for r in norm.get("reference_regions") or ()),
            normalisation_uncertainty=None if u is None else float(u),
            regions={
                str(name): RegionReading.from_json(ch) for name, ch in (rec.get("regions") or {}).items()
            },
        )

    def to_json(self) -> dict:
        """The stored form: the keys compare's records have always had."""
        out: dict = {}
        if self.same_person is not None:
            out["same_person"] = self.same_person
        if self.warnings:
            out["warnings"] = list(self.warnings)
        if self.normalisation_method:
            out["normalisation"] = {
                "method": self.normalisation_method,
                "reference_regions": list(self.reference_regions),
                "uncertainty": self.normalisation_uncertainty,
            }
        if self.regions:
            out["regions"] = {name: r.to_json() for name, r in self.regions.items()}
        return out


@dataclass(frozen=True)
class NewComparison:
    """A later photo compared with the session baseline, ``hours`` after treatment start.

    ``usable`` False (with ``excluded_reason``) keeps the comparison on record but out of the
    recovery curve: a failed quality check, another person, no face.
    """

    photo_id: int
    baseline_photo_id: int
    hours: float
    usable: bool
    record: ComparisonRecord
    changes: Mapping[str, RegionDelta] = field(default_factory=dict)
    excluded_reason: str = ""

    def __post_init__(self) -> None:
        unknown = [r for r in self.changes if r not in REGION_NAMES]
        if unknown:
            raise ValueError(f"unknown region {unknown[0]!r}")
        if not self.usable and not self.excluded_reason:
            raise ValueError("an unusable comparison needs its reason")


@dataclass(frozen=True)
class ComparisonRow(NewComparison):
    id: int = 0


@dataclass(frozen=True)
class AnswerRow:
    """Questionnaire answers or reported symptoms (``data``, JSON-ready) at a time."""

    session_id: int
    kind: str
    answered_at: datetime
    data: Mapping

    def __post_init__(self) -> None:
        if self.kind not in ANSWER_KINDS:
            raise ValueError(f"answer kind must be one of {ANSWER_KINDS}")
        _aware("answered_at", self.answered_at)
