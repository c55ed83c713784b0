"""The report model: everything a report shows, as plain frozen dataclasses.

A :class:`ReportModel` is built once (from a stored session by :mod:`skintrack.report.build`, or
from analyses in memory by :mod:`skintrack.report.assemble`) and then rendered by
:mod:`skintrack.report.html` and :mod:`skintrack.report.pdf`. The renderers know nothing about
sessions, databases or face meshes, so they can be tested, and changed, on their own.

Pixels in the model are display images (RGB ``uint8``, already cropped, aligned and reduced), never
whole photos: the model is what leaves the computer, and carries no file metadata at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from skintrack.core.protocol import (
    HOME_NEEDLE_MAX_MM,
    HOME_NEEDLE_MIN_MM,
    REDNESS_WINDOW_END_HOURS,
    REDNESS_WINDOW_START_HOURS,
    SRC_WARNING,
)
from skintrack.core.regions import REGION_NAMES

PHOTO_ROLES = ("baseline", "check", "follow_up")
#: Where a finding can be: a measured region, or the lips (cold sores sit on the lip border).
FINDING_REGIONS = REGION_NAMES + ("lips",)
FINDING_STATES = ("open", "confirmed", "dismissed")
#: Status levels, from reassuring to urgent; renderers colour them.
STATUS_LEVELS = ("ok", "watch", "act", "unknown")
DECISIONS = ("GO", "REVIEW", "POSTPONE")

SIMULATED_NOTE = (
    "SIMULATED: the follow-up photos of this demo were rendered from a real baseline photo by "
    "skintrack's redness phantom, and the decisions on findings were made by the demo. They show "
    "how the report reads, not a real person's recovery."
)

DISCLAIMER = (
    "This report is not a diagnosis. skintrack is not a medical device: it measures changes of colour "
    "in photos taken at home, under home lighting, and flags spots for a person to look at. It cannot "
    "tell an infection, an allergy or a scar from normal healing, and it can be wrong both ways. "
    "The protocol skintrack follows says: \u201c" + SRC_WARNING + "\u201d "
    "If you are worried, or anything gets worse, see a doctor or dermatologist and show them this "
    "report."
)


def _check_rgb(name: str, a: np.ndarray | None, *, optional: bool = False) -> None:
    if a is None and optional:
        return
    if not isinstance(a, np.ndarray) or a.ndim != 3 or a.shape[2] != 3 or a.dtype != np.uint8:
        raise ValueError(f"{name} must be an (h, w, 3) uint8 RGB array")
    if a.shape[0] < 2 or a.shape[1] < 2:
        raise ValueError(f"{name} is too small to show")


def _check_aware(name: str, when: datetime | None) -> None:
    if when is not None and (not isinstance(when, datetime) or when.tzinfo is None):
        raise ValueError(f"{name} must be a timezone-aware datetime")


@dataclass(frozen=True)
class RegionMeasurement:
    """Redness of one region in one photo.

    ``a_star`` is the median CIELAB a* (D65) over the region's usable skin. ``delta_a_star`` is the
    change against the baseline after normalisation (a* units), ``uncertainty`` its half-width
    (a* units); ``real_change`` says whether the change exceeds the uncertainty. ``grade`` is the
    comparison's plain-word grade ("none", "mild", ...), empty when not compared.
    """

    region: str
    a_star: float | None = None
    delta_a_star: float | None = None
    delta_erythema_index: float | None = None
    uncertainty: float | None = None
    real_change: bool | None = None
    grade: str = ""

    def __post_init__(self) -> None:
        if self.region not in REGION_NAMES:
            raise ValueError(f"unknown region {self.region!r}")
        if self.uncertainty is not None and not self.uncertainty >= 0:
            raise ValueError("uncertainty must be >= 0")


@dataclass(frozen=True, eq=False)
class ReportPhoto:
    """One photo of the session as the report shows it.

    ``image`` is the display image (the face area of the photo, aligned to the baseline when a
    warp was possible); ``delta_map`` the redness-change map over the same area (None for the
    baseline and for photos that could not be compared). ``hours_since_treatment`` is negative for
    photos taken before treatment.
    """

    id: str
    label: str
    role: str
    image: np.ndarray
    taken_at: datetime | None = None
    taken_at_note: str = ""
    hours_since_treatment: float | None = None
    simulated: bool = False
    delta_map: np.ndarray | None = None
    quality_problems: tuple[str, ...] = ()
    measurements: tuple[RegionMeasurement, ...] = ()
    notes: tuple[str, ...] = ()
    used_in_curve: bool = True
    regions_image: np.ndarray | None = None

    def __post_init__(self) -> None:
        if not self.id or not self.label:
            raise ValueError("a report photo needs an id and a label")
        if self.role not in PHOTO_ROLES:
            raise ValueError(f"photo role must be one of {PHOTO_ROLES}")
        _check_rgb(f"photo {self.id} image", self.image)
        _check_rgb(f"photo {self.id} delta_map", self.delta_map, optional=True)
        _check_rgb(f"photo {self.id} regions_image", self.regions_image, optional=True)
        _check_aware(f"photo {self.id} taken_at", self.taken_at)
        names = [m.region for m in self.measurements]
        if len(set(names)) != len(names):
            raise ValueError(f"photo {self.id} measures a region twice")

    def measurement(self, region: str) -> RegionMeasurement | None:
        for m in self.measurements:
            if m.region == region:
                return m
        return None

    def mean_delta(self, regions: tuple[str, ...] = ()) -> float | None:
        """Mean Δa* over ``regions`` (all measured regions when empty); None if none measured."""
        vals = [
            m.delta_a_star
            for m in self.measurements
            if m.delta_a_star is not None and (not regions or m.region in regions)
        ]
        return float(np.mean(vals)) if vals else None


@dataclass(frozen=True, eq=False)
class FindingEntry:
    """A spot found on a photo, with the person's own decision about it.

    ``state`` is "open" (not yet looked at), "confirmed" (the person agrees it is there) or
    "dismissed" (the person says it is not a problem). ``diameter_mm`` is approximate (iris scale).
    ``crop`` is a close-up around the spot, or None.
    """

    id: str
    kind: str
    photo_id: str
    region: str | None = None
    diameter_mm: float | None = None
    score: float | None = None
    state: str = "open"
    crop: np.ndarray | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if not self.id or not self.kind:
            raise ValueError("a finding needs an id and a kind")
        if self.state not in FINDING_STATES:
            raise ValueError(f"finding state must be one of {FINDING_STATES}")
        if self.region is not None and self.region not in FINDING_REGIONS:
            raise ValueError(f"unknown region {self.region!r}")
        _check_rgb(f"finding {self.id} crop", self.crop, optional=True)

    @property
    def is_open(self) -> bool:
        return self.state == "open"


@dataclass(frozen=True)
class Status:
    """Where recovery stands: a level, one headline sentence and advice sentences."""

    level: str
    headline: str
    advice: tuple[str, ...] = ()
    predicted_resolution_hours: float | None = None
    detail: str = ""

    def __post_init__(self) -> None:
        if self.level not in STATUS_LEVELS:
            raise ValueError(f"status level must be one of {STATUS_LEVELS}")
        if not self.headline:
            raise ValueError("a status needs a headline")


@dataclass(frozen=True)
class CheckSummary:
    """The pre-treatment check: GO, REVIEW or POSTPONE, with the reasons in plain words."""

    decision: str
    reasons: tuple[str, ...] = ()
    photo_id: str | None = None
    checked_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.decision not in DECISIONS:
            raise ValueError(f"decision must be one of {DECISIONS}")
        _check_aware("checked_at", self.checked_at)


@dataclass(frozen=True)
class Device:
    """The device used: ``kind`` ("patch", "roller", "pen") and needle length in mm."""

    kind: str
    needle_length_mm: float | None = None

    def __post_init__(self) -> None:
        if not self.kind:
            raise ValueError("a device needs its kind")
        if self.needle_length_mm is not None and not self.needle_length_mm > 0:
            raise ValueError("needle length must be positive (mm)")

    @property
    def within_home_range(self) -> bool | None:
        """True when the needle is in the protocol's home range (0.25-0.5 mm)."""
        if self.needle_length_mm is None:
            return None
        return HOME_NEEDLE_MIN_MM <= self.needle_length_mm <= HOME_NEEDLE_MAX_MM


@dataclass(frozen=True)
class Answer:
    """One questionnaire answer; ``flag`` marks an answer that changes the advice."""

    question: str
    answer: str
    flag: bool = False

    def __post_init__(self) -> None:
        if not self.question:
            raise ValueError("an answer needs its question")


@dataclass(frozen=True)
class Normalisation:
    """How photos were made comparable, and how far a change can be trusted.

    ``method`` names it (e.g. "untreated reference regions", "colour chart"); ``uncertainty`` is
    the uncertainty of a change, the ± printed with every Δa* (half-width of its 95 % band, CIELAB
    a* units; the largest over the session's comparisons).
    """

    method: str
    reference_regions: tuple[str, ...] = ()
    uncertainty: float | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if not self.method:
            raise ValueError("a normalisation needs its method")
        if self.uncertainty is not None and not self.uncertainty >= 0:
            raise ValueError("uncertainty must be >= 0")


@dataclass(frozen=True)
class AftercareItem:
    """One aftercare rule over hours since treatment start, with the protocol sentence it follows."""

    label: str
    start_hours: float
    end_hours: float
    source: str = ""
    ends_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.label:
            raise ValueError("an aftercare item needs a label")
        if not 0 <= self.start_hours <= self.end_hours:
            raise ValueError("aftercare hours must satisfy 0 <= start <= end")
        _check_aware("ends_at", self.ends_at)


@dataclass(frozen=True)
class RednessCurve:
    """The data of the redness chart (see :func:`skintrack.report.charts.redness_chart`).

    ``series`` maps a region to ``(hours since treatment, Δa*)`` points; ``fitted`` is one fitted
    recovery curve sampled as ``(hours, Δa*)``, or ``fitted_by_region`` one per region (the
    recovery model fits each region); ``threshold`` the real-change threshold (a* units: a
    change within ± it is not counted as real), drawn as a band; ``window`` the protocol's 4-6 h.
    """

    series: Mapping[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)
    fitted: tuple[tuple[float, float], ...] = ()
    fitted_by_region: Mapping[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)
    fitted_label: str = "fitted recovery curve"
    threshold: float | None = None
    window: tuple[float, float] = (REDNESS_WINDOW_START_HOURS, REDNESS_WINDOW_END_HOURS)

    def __post_init__(self) -> None:
        unknown = [r for r in (*self.series, *self.fitted_by_region) if r not in REGION_NAMES]
        if unknown:
            raise ValueError(f"unknown region {unknown[0]!r}")
        if self.fitted and self.fitted_by_region:
            raise ValueError("give one fitted curve or one per region, not both")
        if self.threshold is not None and not self.threshold >= 0:
            raise ValueError("threshold must be >= 0")

    def chart_kwargs(self) -> dict:
        """Keyword arguments for :func:`~skintrack.report.charts.redness_chart`."""
        fitted = (
            {k: tuple(v) for k, v in self.fitted_by_region.items()} if self.fitted_by_region else self.fitted
        )
        return {
            "series": {k: tuple(v) for k, v in self.series.items()},
            "fitted": fitted,
            "fitted_label": self.fitted_label,
            "threshold": self.threshold,
            "window": self.window,
        }


@dataclass(frozen=True, eq=False)
class ReportModel:
    """Everything a session report shows. Built once, rendered as HTML or PDF.

    Photos are in capture order. ``now_hours`` is hours since treatment when the report was made.
    ``notes`` (the person's own words, any number of lines) and ``products`` (applied after
    treatment) are shown as typed, less control characters.
    ``simulated`` marks a report whose photos include phantom renders: every page says so.
    """

    title: str
    session_label: str
    generated_at: datetime
    status: Status
    photos: tuple[ReportPhoto, ...]
    notes: str = ""
    products: tuple[str, ...] = ()
    curve: RednessCurve = field(default_factory=RednessCurve)
    treated_at: datetime | None = None
    treated_regions: tuple[str, ...] = ()
    findings: tuple[FindingEntry, ...] = ()
    check: CheckSummary | None = None
    device: Device | None = None
    questionnaire: tuple[Answer, ...] = ()
    symptoms: tuple[Answer, ...] = ()
    normalisation: Normalisation | None = None
    aftercare: tuple[AftercareItem, ...] = ()
    aftercare_notes: tuple[str, ...] = ()
    now_hours: float | None = None
    simulated: bool = False
    simulated_note: str = SIMULATED_NOTE
    warnings: tuple[str, ...] = ()
    disclaimer: str = DISCLAIMER

    def __post_init__(self) -> None:
        if not self.title or not self.session_label:
            raise ValueError("a report needs a title and a session label")
        _check_aware("generated_at", self.generated_at)
        _check_aware("treated_at", self.treated_at)
        if not self.photos:
            raise ValueError("a report needs at least one photo")
        ids = [p.id for p in self.photos]
        if len(set(ids)) != len(ids):
            raise ValueError("photo ids must be unique")
        for f in self.findings:
            if f.photo_id not in ids:
                raise ValueError(f"finding {f.id} refers to unknown photo {f.photo_id}")
        if self.check is not None and self.check.photo_id is not None and self.check.photo_id not in ids:
            raise ValueError(f"the check refers to unknown photo {self.check.photo_id}")
        unknown = [r for r in self.treated_regions if r not in REGION_NAMES]
        if unknown:
            raise ValueError(f"unknown treated region {unknown[0]!r}")
        if sum(p.role == "baseline" for p in self.photos) > 1:
            raise ValueError("a report has at most one baseline photo")
        if any(p.simulated for p in self.photos) and not self.simulated:
            raise ValueError("a report holding simulated photos must be marked simulated")
        if self.simulated and not self.simulated_note:
            raise ValueError("a simulated report needs its note")
        if not self.disclaimer:
            raise ValueError("a report always carries its not-a-diagnosis statement")

    # --- the three photos of page one ---------------------------------------------------------
    @property
    def baseline(self) -> ReportPhoto | None:
        for p in self.photos:
            if p.role == "baseline":
                return p
        return None

    @property
    def follow_ups(self) -> tuple[ReportPhoto, ...]:
        return tuple(p for p in self.photos if p.role == "follow_up")

    @property
    def peak(self) -> ReportPhoto | None:
        """The follow-up photo with the largest mean redness change over the treated regions."""
        best, best_v = None, None
        for p in self.follow_ups:
            v = p.mean_delta(self.treated_regions)
            if v is not None and (best_v is None or v > best_v):
                best, best_v = p, v
        return best

    @property
    def latest(self) -> ReportPhoto | None:
        """The last follow-up photo that was compared (by hours since treatment, then order); the
        last follow-up at all when none was."""
        ups = tuple(p for p in self.follow_ups if p.used_in_curve) or self.follow_ups
        if not ups:
            return None
        return max(enumerate(ups), key=lambda t: (t[1].hours_since_treatment or 0.0, t[0]))[1]

    def summary_photos(self) -> tuple[tuple[str, ReportPhoto], ...]:
        """(heading, photo) for page one: baseline, peak and latest, without repeats."""
        out: list[tuple[str, ReportPhoto]] = []
        seen: set[str] = set()
        for heading, p in (("Baseline", self.baseline), ("Peak redness", self.peak), ("Latest", self.latest)):
            if p is not None and p.id not in seen:
                out.append((heading, p))
                seen.add(p.id)
        if not out:
            out.append(("Photo", self.photos[-1]))
        return tuple(out)

    @property
    def open_findings(self) -> tuple[FindingEntry, ...]:
        return tuple(f for f in self.findings if f.is_open)

    def photo(self, photo_id: str) -> ReportPhoto:
        for p in self.photos:
            if p.id == photo_id:
                return p
        raise KeyError(photo_id)
