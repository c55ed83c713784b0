"""The records of the recovery model: what goes in (observations, symptoms, spots) and what comes
out (the fit, the status of a region and of the session, advice, timers, the next photo).

Frozen dataclasses that check themselves; ``to_record`` gives the ``session status --json`` form.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from skintrack.core.protocol import (
    ENDPOINT_MAX_DELTA_A_STAR,
    ENDPOINT_MAX_DELTA_ERYTHEMA_INDEX,
    WARNING_SYMPTOMS,
)

SCHEMA = 1
STATUSES = ("insufficient_data", "resolved", "on_track", "slower_than_usual", "persistent", "worsening")
CONFIDENCES = ("none", "low", "medium", "high")
#: What the person should do, least to most urgent.
URGENCIES = ("none", "consult_dermatologist", "consult_promptly", "seek_care_now")
#: The real-change threshold is a repeatability limit: two photos of unchanged skin differ by less
#: in 95 % of cases. For normal errors the repeatability limit is 2.77 standard deviations of one
#: reading (ISO 5725-6: r = 1.96·√2·σ), so no photo is assumed more precise than threshold / 2.77,
#: whatever its comparison reports.
REPEATABILITY_LIMIT_SIGMAS = 2.77
#: ``Observation.uncertainty`` is the half-width of a 95 % band, as the comparison reports it.
BAND_95_SIGMAS = 1.96
#: Findings that make a post-treatment course "worsening" when new (protocol: "open wounds, acne
#: pustules").
NEW_FINDING_KINDS = ("pustule", "open_wound")
SYMPTOM_NAMES = WARNING_SYMPTOMS + ("pain_beyond_mild_burning",)


@dataclass(frozen=True)
class Observation:
    """One region of one post-treatment photo.

    ``hours`` since treatment start; ``delta_a_star`` the redness change against the baseline
    (CIELAB a*, positive = redder); ``uncertainty`` the half-width of its 95 % band (a* units,
    as :class:`skintrack.core.compare.RegionChange` reports it); ``real_change`` whether the
    comparison judged it a real change.
    """

    hours: float
    delta_a_star: float
    uncertainty: float
    real_change: bool
    photo_id: int | None = None
    #: The change of the erythema index against the baseline (EI units), when measured.
    delta_erythema_index: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.hours) and self.hours >= 0):
            raise ValueError("Observation.hours must be finite and >= 0 (after treatment start)")
        if not math.isfinite(self.delta_a_star):
            raise ValueError("Observation.delta_a_star must be finite")
        if not (math.isfinite(self.uncertainty) and self.uncertainty >= 0):
            raise ValueError("Observation.uncertainty must be finite and >= 0")

    @property
    def redder(self) -> bool:
        """Redder than the baseline by a real change (beyond the real-change threshold)."""
        return self.real_change and self.delta_a_star > 0

    def sigma(self, threshold: float) -> float:
        """Standard uncertainty (a* units), never below the threshold's repeatability."""
        return max(self.uncertainty / BAND_95_SIGMAS, threshold / REPEATABILITY_LIMIT_SIGMAS)


@dataclass(frozen=True)
class Symptoms:
    """What the person reports that a photo cannot show. All False means "none of these"."""

    swelling: bool = False
    oozing: bool = False
    fever: bool = False
    pain_beyond_mild_burning: bool = False

    def __post_init__(self) -> None:
        for name in SYMPTOM_NAMES:
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"Symptoms.{name} must be True or False")

    @property
    def reported(self) -> tuple[str, ...]:
        return tuple(n for n in SYMPTOM_NAMES if getattr(self, n))

    def to_dict(self) -> dict[str, bool]:
        return {n: getattr(self, n) for n in SYMPTOM_NAMES}

    @classmethod
    def from_dict(cls, data: Mapping) -> Symptoms:
        unknown = set(data) - set(SYMPTOM_NAMES)
        if unknown:
            raise ValueError(f"unknown symptom {sorted(unknown)[0]!r}; use {', '.join(SYMPTOM_NAMES)}")
        return cls(**{k: bool(v) for k, v in data.items()})

    @classmethod
    def from_names(cls, names: Iterable[str]) -> Symptoms:
        names = [n.strip() for n in names if n.strip() and n.strip() != "none"]
        aliases = {"pain": "pain_beyond_mild_burning"}
        return cls.from_dict({aliases.get(n, n): True for n in names})


@dataclass(frozen=True)
class NewFinding:
    """A pustule or wound-like finding in a post-treatment photo that the baseline did not have.

    ``photo_id`` and ``x``, ``y``, ``radius_px`` (pixels of that photo) locate it for a crop;
    ``seen_on`` is the number of photos after treatment that show it at the same place;
    ``confirmed`` whether the person said it is there. ``crop`` is an RGB uint8 zoom of it for
    the person to look at (set by the session service; not part of the record).
    """

    kind: str
    region: str | None
    hours: float
    finding_id: str = ""
    photo_id: int | None = None
    x: float | None = None
    y: float | None = None
    radius_px: float | None = None
    seen_on: int = 1
    confirmed: bool = False
    crop: object = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in NEW_FINDING_KINDS:
            raise ValueError(f"NewFinding.kind must be one of {NEW_FINDING_KINDS}")
        if self.seen_on < 1:
            raise ValueError("a new finding is seen on at least one photo")

    def to_record(self) -> dict:
        return {
            "kind": self.kind,
            "region": self.region,
            "hours": round(float(self.hours), 2),
            "finding_id": self.finding_id,
            "photo_id": self.photo_id,
            "x": None if self.x is None else round(float(self.x), 1),
            "y": None if self.y is None else round(float(self.y), 1),
            "radius_px": None if self.radius_px is None else round(float(self.radius_px), 1),
            "seen_on": self.seen_on,
            "confirmed": self.confirmed,
        }


@dataclass(frozen=True)
class Spot:
    """A finding placed on the baseline photo for new-spot matching.

    ``base_x``, ``base_y`` are its centre in baseline photo pixels (mapped through the face mesh
    for a later photo); ``x``, ``y``, ``radius_px`` are pixels of its own photo. ``hours`` is
    None for a baseline finding. Kinds are any finding kind (a baseline papule that turns into a
    pustule is the same spot, not a new one).
    """

    kind: str
    region: str | None
    base_x: float
    base_y: float
    radius_px: float
    finding_id: str = ""
    hours: float | None = None
    photo_id: int | None = None
    x: float = 0.0
    y: float = 0.0
    confirmed: bool = False


@dataclass(frozen=True)
class EndpointCheck:
    """How red the treated skin became: the first photo after treatment against "slightly pink".

    ``hours`` of that photo after treatment start; ``measured`` is False when it came later than
    :data:`~skintrack.core.protocol.ENDPOINT_PHOTO_MAX_HOURS` (the redness has faded by then, so
    it cannot show the end point). ``delta_a_star`` and ``uncertainty`` (95 % half-width, a*
    units) and ``delta_erythema_index`` (EI units, or None) are those of the reddest treated
    region (``region``); ``too_red`` names the treated regions whose Δa* exceeds
    :data:`~skintrack.core.protocol.ENDPOINT_MAX_DELTA_A_STAR` by more than their band.
    """

    photo_id: int | None
    hours: float
    measured: bool
    region: str
    delta_a_star: float
    uncertainty: float
    delta_erythema_index: float | None = None
    too_red: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.too_red and not self.measured:
            raise ValueError("only a photo soon after treatment can show skin too red")

    @property
    def redder_than_slightly_pink(self) -> bool:
        return bool(self.too_red)

    def to_record(self) -> dict:
        dei = self.delta_erythema_index
        return {
            "photo_id": self.photo_id,
            "hours": round(float(self.hours), 2),
            "measured": self.measured,
            "region": self.region,
            "delta_a_star": round(float(self.delta_a_star), 2),
            "uncertainty": round(float(self.uncertainty), 2),
            "delta_erythema_index": None if dei is None else round(float(dei), 2),
            "max_delta_a_star": ENDPOINT_MAX_DELTA_A_STAR,
            "max_delta_erythema_index": ENDPOINT_MAX_DELTA_ERYTHEMA_INDEX,
            "too_red": list(self.too_red),
            "redder_than_slightly_pink": self.redder_than_slightly_pink,
        }


@dataclass(frozen=True)
class DecayFit:
    """Exponential fade ``Δa*(t) = amplitude·exp(-t/tau_hours)`` fitted to one region.

    ``amplitude`` (a* units) and ``tau_hours`` are the most probable curve. ``resolve_hours`` is
    the posterior median of when Δa* falls below the threshold (hours after treatment; None
    beyond :data:`PREDICTION_HORIZON_HOURS`), ``resolve_low``/``resolve_high`` a 90 % credible
    interval (``resolve_high`` None when unbounded), ``p_by_window_end`` the probability that it
    is back by 6 h, ``p_still_redder`` the probability that Δa* was still above the threshold at
    the last photo (``last_hours``).
    """

    amplitude: float
    tau_hours: float
    resolve_hours: float | None
    resolve_low: float
    resolve_high: float | None
    p_by_window_end: float
    p_still_redder: float
    last_hours: float
    n_photos: int

    def __post_init__(self) -> None:
        for name in ("p_by_window_end", "p_still_redder"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} is a probability")
        if self.amplitude < 0 or self.tau_hours <= 0:
            raise ValueError("a decay has amplitude >= 0 and a positive time constant")

    def predict(self, hours: float | np.ndarray) -> float | np.ndarray:
        """The fitted Δa* (a* units) at ``hours`` after treatment (for drawing the curve)."""
        return self.amplitude * np.exp(-np.asarray(hours, dtype=np.float64) / self.tau_hours)


@dataclass(frozen=True)
class RegionRecovery:
    region: str
    status: str
    confidence: str
    observations: tuple[Observation, ...]
    fit: DecayFit | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")
        if self.confidence not in CONFIDENCES:
            raise ValueError(f"unknown confidence {self.confidence!r}")


@dataclass(frozen=True)
class Advice:
    """One piece of advice. ``level``: info, caution, stop or urgent. ``source`` is the protocol
    sentence it rests on, or "skintrack" for advice of our own."""

    code: str
    level: str
    text: str
    source: str = "skintrack"

    def __post_init__(self) -> None:
        if self.level not in ("info", "caution", "stop", "urgent"):
            raise ValueError(f"unknown advice level {self.level!r}")

    def to_record(self) -> dict:
        return {"code": self.code, "level": self.level, "text": self.text}


@dataclass(frozen=True)
class Timer:
    """An aftercare rule or reminder counted from treatment start.

    ``ends_at`` None means "until a condition is met" (``until`` says which).
    """

    code: str
    label: str
    ends_at: datetime | None
    hours_from_treatment: float | None
    active: bool
    done: bool = False
    until: str = ""

    def to_record(self, now: datetime) -> dict:
        remaining = None
        if self.ends_at is not None:
            remaining = round(max(0.0, (self.ends_at - now).total_seconds() / 3600.0), 2)
        return {
            "code": self.code,
            "label": self.label,
            "ends_at": self.ends_at.astimezone(UTC).isoformat() if self.ends_at else None,
            "hours_from_treatment": self.hours_from_treatment,
            "remaining_hours": remaining,
            "active": self.active,
            "done": self.done,
            **({"until": self.until} if self.until else {}),
        }


@dataclass(frozen=True)
class NextPhoto:
    """When to take the next check photo and what it will settle."""

    hours: float
    at: datetime
    settles: str

    def to_record(self) -> dict:
        return {
            "hours": round(self.hours, 2),
            "at": self.at.astimezone(UTC).isoformat(),
            "settles": self.settles,
        }


@dataclass(frozen=True)
class RecoveryStatus:
    """The state of one session's recovery at ``now``."""

    status: str
    confidence: str
    urgency: str
    now: datetime
    treated_at: datetime
    hours_since_treatment: float
    predicted_resolved_at_hours: float | None
    treated_regions: tuple[str, ...]
    regions: Mapping[str, RegionRecovery]
    advice: tuple[Advice, ...]
    timers: tuple[Timer, ...]
    next_photo: NextPhoto | None
    symptoms: Symptoms | None = None
    new_findings: tuple[NewFinding, ...] = ()
    threshold_a_star: float = 0.0
    extra: Mapping = field(default_factory=dict)
    spots_to_look_at: tuple[NewFinding, ...] = ()
    endpoint: EndpointCheck | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")
        if self.urgency not in URGENCIES:
            raise ValueError(f"unknown urgency {self.urgency!r}")
        if self.confidence not in CONFIDENCES:
            raise ValueError(f"unknown confidence {self.confidence!r}")

    def to_record(self) -> dict:
        """The ``session status --json`` record (``"schema": 1``)."""

        def r(v, nd=2):
            return None if v is None else round(float(v), nd)

        return {
            "schema": SCHEMA,
            **dict(self.extra),
            "status": self.status,
            "confidence": self.confidence,
            "urgency": self.urgency,
            "treated_at": self.treated_at.astimezone(UTC).isoformat(),
            "now": self.now.astimezone(UTC).isoformat(),
            "hours_since_treatment": r(self.hours_since_treatment),
            "predicted_resolved_at_hours": r(self.predicted_resolved_at_hours),
            "real_change_threshold_a_star": r(self.threshold_a_star),
            "treated_regions": list(self.treated_regions),
            "regions": {
                name: [
                    {
                        "hours": r(o.hours),
                        "delta_a_star": r(o.delta_a_star),
                        "uncertainty": r(o.uncertainty),
                        "real_change": o.real_change,
                        "photo_id": o.photo_id,
                    }
                    for o in rr.observations
                ]
                for name, rr in self.regions.items()
            },
            "region_status": {
                name: {
                    "status": rr.status,
                    "confidence": rr.confidence,
                    "reason": rr.reason,
                    "tau_hours": r(rr.fit.tau_hours) if rr.fit else None,
                    "predicted_resolved_at_hours": r(rr.fit.resolve_hours) if rr.fit else None,
                    "p_back_by_window_end": r(rr.fit.p_by_window_end, 3) if rr.fit else None,
                }
                for name, rr in self.regions.items()
            },
            "symptoms": self.symptoms.to_dict() if self.symptoms else None,
            "new_findings": [f.to_record() for f in self.new_findings],
            "spots_to_look_at": [f.to_record() for f in self.spots_to_look_at],
            "advice": [a.to_record() for a in self.advice],
            "timers": [t.to_record(self.now) for t in self.timers],
            "next_photo": self.next_photo.to_record() if self.next_photo else None,
            "endpoint": self.endpoint.to_record() if self.endpoint else None,
        }
