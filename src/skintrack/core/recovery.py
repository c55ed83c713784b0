"""The recovery model: is the redness after a treatment fading as it should?

The protocol's normal course is "Mild redness and a burning sensation are normal and usually subside
within 4 to 6 hours" (:data:`~skintrack.core.protocol.SRC_REDNESS_WINDOW`). For every
post-treatment photo we have, per region, the redness change against the pre-treatment baseline
(Δa*, CIELAB units, with its uncertainty and whether it is a real change). From that series this
module decides a status:

``insufficient_data``
    no usable photo after treatment yet; say when to take one.
``resolved``
    the latest photo shows no real redness left.
``on_track``
    still redder, but the fitted fade is back below the real-change threshold by 6 h.
``slower_than_usual``
    still redder before 6 h and the fade (if any) will not reach baseline by 6 h.
``persistent``
    6 h or more after treatment and still really redder: stop home treatment, see a dermatologist.
``worsening``
    redness rising after the first hour, or a new pustule or wound on a treated region seen on
    two photos after treatment (or confirmed by the person): consult promptly. A new spot seen on
    one photo only is a *spot to look at* (:func:`new_spots`), not an alarm: with a lesion
    detector that is right about half the time, a series of photos nearly always holds one.

The fade is modelled as an exponential decay toward the baseline, ``Δa*(t) = A·exp(-t/τ)``
(inflammatory erythema after a standardised skin injury fades roughly exponentially; a decay
toward zero needs only two parameters, so two photos determine it). The posterior over (A, τ) is
computed on a grid; it gives the probability that redness was still above the real-change
threshold at the latest photo, the predicted time it falls below the threshold with a credible
interval, and the probability that this happens by 6 h: those probabilities decide the status
and say how sure it is. See ``docs/recovery.md`` and ``docs/adr/0301-...``.

Symptoms the camera cannot see (swelling, oozing, fever, pain beyond mild burning) are asked, and
override the curve's advice: "if persistent erythema, swelling, oozing, or fever occurs, it may be
a sign of infection or allergy. Stop use immediately and consult a dermatologist."

Everything here is a pure function of numbers and times: no photos, no database.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from skintrack.core.protocol import (
    ENDPOINT_MAX_DELTA_A_STAR,
    ENDPOINT_MAX_DELTA_ERYTHEMA_INDEX,
    ENDPOINT_PHOTO_MAX_HOURS,
    HOME_NEEDLE_MAX_MM,
    MAX_PASSES_PER_AREA,
    NO_ACIDS_RETINOL_HOURS,
    NO_MAKEUP_SWIM_SUN_HOURS,
    REDNESS_WINDOW_END_HOURS,
    REDNESS_WINDOW_START_HOURS,
    SRC_AFTERCARE,
    SRC_ENDPOINT,
    SRC_NEEDLE,
    SRC_REDNESS_WINDOW,
    SRC_SAFETY_FIRST,
    SRC_SERUM,
    SRC_SKIN_SUSPEND,
    SRC_WARNING,
    WARNING_SYMPTOMS,
)
from skintrack.core.readable import duration_text, hours_text

SCHEMA = 1
STATUSES = ("insufficient_data", "resolved", "on_track", "slower_than_usual", "persistent",
            "worsening")
#: Order of concern; the session's status is its most concerning treated region.
_SEVERITY = {s: i for i, s in enumerate(STATUSES)}
CONFIDENCES = ("none", "low", "medium", "high")
#: What the person should do, least to most urgent.
URGENCIES = ("none", "consult_dermatologist", "consult_promptly", "seek_care_now")
#: The words every front end (app, command line, report) uses for each status: a short headline
#: and a full sentence. Kept here so the app and the report never say two different things.
STATUS_WORDS = {
    "insufficient_data": ("Not enough photos yet",
                          "No photo after treatment yet: the redness curve starts with the first one."),
    "resolved": ("Redness is back to normal", "The redness is back to baseline."),
    "on_track": ("Fading as expected", "The redness is fading as expected."),
    "slower_than_usual": ("Fading, but slower than usual",
                          "The redness is fading more slowly than usual."),
    "persistent": ("Still redder after 6 hours",
                   "The redness persists beyond the usual 4 to 6 hours."),
    "worsening": ("Getting worse", "Getting worse: more redness, or new spots, since treatment."),
}
#: What to do, one sentence per urgency (wording follows the protocol's warning sentence).
URGENCY_WORDS = {
    "none": "",
    "consult_dermatologist": "Stop home treatment and consult a dermatologist.",
    "consult_promptly": "Consult a dermatologist promptly.",
    "seek_care_now": "Seek medical advice now.",
}

#: Reminders for check photos, hours after treatment start: two early photos give the curve its
#: slope, the window's start and end (protocol) tell whether it subsided in time.
CHECK_PHOTO_HOURS = (1.0, 2.0, REDNESS_WINDOW_START_HOURS, REDNESS_WINDOW_END_HOURS)
#: A check photo within this many hours of its reminder time counts as taken.
CHECK_PHOTO_TOLERANCE_HOURS = 0.5
#: A session is over when its last aftercare rule has ended (acids and retinol, 48 h): no check
#: photo is asked for after that, and the status says the session is over.
SESSION_OVER_HOURS = NO_ACIDS_RETINOL_HOURS
#: Redness may still build and settle in the first hour (the flush right after needling); a rise
#: counts as worsening only between photos both taken after it.
RISE_AFTER_HOURS = 1.0
#: A rise must exceed the real-change threshold and this many combined standard uncertainties, so
#: that repeat-photo noise between any two of several photos does not read as worsening.
RISE_SIGMAS = 4.0
#: The real-change threshold is a repeatability limit: two photos of unchanged skin differ by less
#: in 95 % of cases. For normal errors the repeatability limit is 2.77 standard deviations of one
#: reading (ISO 5725-6: r = 1.96·√2·σ), so no photo is assumed more precise than threshold / 2.77,
#: whatever its comparison reports.
REPEATABILITY_LIMIT_SIGMAS = 2.77
#: ``Observation.uncertainty`` is the half-width of a 95 % band, as the comparison reports it.
BAND_95_SIGMAS = 1.96
#: Largest Δa* (a* units) the fit considers right after treatment, unless a photo shows more
#: (then 2.5 times the largest seen): "marked" erythema starts near 7 a*.
MAX_AMPLITUDE_A_STAR = 12.0
#: Next check photo no sooner than this after the last one: closer photos add little slope.
MIN_PHOTO_GAP_HOURS = 0.5
#: Predictions beyond this many hours are reported as "not predictable" (None).
PREDICTION_HORIZON_HOURS = 72.0
#: Time constants (hours) the fit considers; log-spaced, so the prior is flat in log τ.
TAU_GRID_HOURS = np.geomspace(0.1, 1000.0, 121)  # 8 % steps
#: Points of the amplitude grid (0.075 a* steps up to MAX_AMPLITUDE_A_STAR).
AMPLITUDE_STEPS = 161
#: Findings that make a post-treatment course "worsening" when new (protocol: "open wounds, acne
#: pustules").
NEW_FINDING_KINDS = ("pustule", "open_wound")
SYMPTOM_NAMES = WARNING_SYMPTOMS + ("pain_beyond_mild_burning",)
#: Two spots whose centres (in the baseline photo, through the face mesh) are closer than their
#: radii plus this many millimetres are one place: a spot there after treatment is not new.
#: Repeat photos of one face land the same skin within 1-2 mm after the mesh warp
#: (docs/recovery.md); lesion centres move a little more as they are re-outlined.
SAME_PLACE_MM = 3.0
#: A new spot becomes evidence of worsening when found on this many photos after treatment.
NEW_SPOT_MIN_PHOTOS = 2
#: The aftercare step the person ticks: the serum or mask right after treatment.
SERUM_STEP = "repairing_serum_or_mask"


# --- inputs --------------------------------------------------------------------------------------
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
        return {"kind": self.kind, "region": self.region, "hours": round(float(self.hours), 2),
                "finding_id": self.finding_id, "photo_id": self.photo_id,
                "x": None if self.x is None else round(float(self.x), 1),
                "y": None if self.y is None else round(float(self.y), 1),
                "radius_px": None if self.radius_px is None else round(float(self.radius_px), 1),
                "seen_on": self.seen_on, "confirmed": self.confirmed}


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


def new_spots(baseline: Sequence[Spot], later: Sequence[Spot], *, treated: Iterable[str],
              mm_per_px: float) -> tuple[tuple[NewFinding, ...], tuple[NewFinding, ...]]:
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
        return math.hypot(a.base_x - b.base_x, a.base_y - b.base_y) <= (
            a.radius_px + b.radius_px + tol)

    fresh = [s for s in later if s.kind in NEW_FINDING_KINDS and s.region in treated
             and not any(same(s, b) for b in baseline)]
    groups: list[list[Spot]] = []
    for s in sorted(fresh, key=lambda s: (s.hours or 0.0)):
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
        nf = NewFinding(kind, last.region, float(last.hours or 0.0), last.finding_id,
                        last.photo_id, last.x, last.y, last.radius_px, seen_on=len(photos),
                        confirmed=confirmed)
        (evidence if confirmed or len(photos) >= NEW_SPOT_MIN_PHOTOS else look).append(nf)
    return tuple(evidence), tuple(look)


# --- outputs -------------------------------------------------------------------------------------
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
        return {"photo_id": self.photo_id, "hours": round(float(self.hours), 2),
                "measured": self.measured, "region": self.region,
                "delta_a_star": round(float(self.delta_a_star), 2),
                "uncertainty": round(float(self.uncertainty), 2),
                "delta_erythema_index": None if dei is None else round(float(dei), 2),
                "max_delta_a_star": ENDPOINT_MAX_DELTA_A_STAR,
                "max_delta_erythema_index": ENDPOINT_MAX_DELTA_ERYTHEMA_INDEX,
                "too_red": list(self.too_red),
                "redder_than_slightly_pink": self.redder_than_slightly_pink}


def endpoint_check(series: Mapping[str, Sequence[Observation]], *,
                   treated_regions: Sequence[str]) -> EndpointCheck | None:
    """The end-point check of the first photo after treatment (None before there is one).

    The protocol: "Apply pressure until the skin is slightly pink; discard the misconception that
    'redder equals more effective'" (:data:`~skintrack.core.protocol.SRC_ENDPOINT`). A treated
    region is redder than slightly pink when its Δa* on the first photo, taken within
    :data:`~skintrack.core.protocol.ENDPOINT_PHOTO_MAX_HOURS`, exceeds
    :data:`~skintrack.core.protocol.ENDPOINT_MAX_DELTA_A_STAR` by more than its own 95 % band:
    only what the photo shows beyond doubt is called too much.
    """
    first: dict[str, Observation] = {}
    for name in treated_regions:
        obs = series.get(name) or ()
        if obs:
            first[name] = min(obs, key=lambda o: o.hours)
    if not first:
        return None
    hours = min(o.hours for o in first.values())
    # One photo: the earliest; regions it does not measure are left out.
    first = {n: o for n, o in first.items() if o.hours == hours}
    measured = hours <= ENDPOINT_PHOTO_MAX_HOURS
    region, obs = max(first.items(), key=lambda item: item[1].delta_a_star)
    too_red = tuple(n for n, o in first.items()
                    if measured and o.delta_a_star - o.uncertainty > ENDPOINT_MAX_DELTA_A_STAR)
    return EndpointCheck(obs.photo_id, hours, measured, region, obs.delta_a_star, obs.uncertainty,
                         obs.delta_erythema_index, too_red)


def endpoint_advice(check: EndpointCheck | None) -> Advice | None:
    """The end point in plain words: too red ("next time, lighter"), within slightly pink, or a
    first photo too late to tell; None before the first photo."""
    if check is None:
        return None
    limit = f"+{ENDPOINT_MAX_DELTA_A_STAR:g}"
    if not check.measured:
        return Advice(
            "endpoint_not_measured", "info",
            f"Your first photo came {check.hours:.1f} h after treatment: too late to see how red "
            f"the skin became. Next time take one within {ENDPOINT_PHOTO_MAX_HOURS:g} h; it shows "
            "whether you stopped at slightly pink.", SRC_ENDPOINT)
    dei = (f", erythema index {check.delta_erythema_index:+.1f}"
           if check.delta_erythema_index is not None else "")
    if check.too_red:
        where = _names(check.too_red)
        return Advice(
            "endpoint_too_red", "caution",
            f"Right after treatment the {where} became redder than slightly pink (redness "
            f"{check.delta_a_star:+.1f} ± {check.uncertainty:.1f} a*{dei}; slightly pink stays "
            f"below {limit}). That means too much pressure or too many passes. Next time, "
            f"lighter: press gently, at most {MAX_PASSES_PER_AREA} passes, and stop at slightly "
            "pink. Redder is not more effective.", SRC_ENDPOINT)
    return Advice(
        "endpoint_ok", "info",
        f"Right after treatment the skin was no redder than slightly pink (redness "
        f"{check.delta_a_star:+.1f} a* on the {check.region.replace('_', ' ')}{dei}; the limit is "
        f"{limit}): the pressure was right.", SRC_ENDPOINT)


def _names(regions: Sequence[str]) -> str:
    names = [r.replace("_", " ") for r in regions]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


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
        return {"hours": round(self.hours, 2), "at": self.at.astimezone(UTC).isoformat(),
                "settles": self.settles}


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
                name: [{"hours": r(o.hours), "delta_a_star": r(o.delta_a_star),
                        "uncertainty": r(o.uncertainty), "real_change": o.real_change,
                        "photo_id": o.photo_id} for o in rr.observations]
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


# --- the fit -------------------------------------------------------------------------------------
def _weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: Sequence[float]) -> list:
    # Only grid points with weight matter; dropping the rest makes the sort cheap.
    keep = weights > 1e-12 * weights.max()
    values, weights = values[keep], weights[keep]
    order = np.argsort(values, kind="stable")
    cdf = np.cumsum(weights[order])
    cdf /= cdf[-1]
    idx = np.minimum(np.searchsorted(cdf, qs), len(values) - 1)
    return [float(v) for v in values[order][idx]]


def fit_decay(observations: Sequence[Observation], *, threshold: float,
              window_end_hours: float = REDNESS_WINDOW_END_HOURS) -> DecayFit:
    """Fit ``Δa*(t) = A·exp(-t/τ)`` to two or more observations of one region.

    The posterior is computed on a grid: ``τ`` over :data:`TAU_GRID_HOURS` (flat in log τ),
    ``A`` from 0 to :data:`MAX_AMPLITUDE_A_STAR` or 2.5 times the largest Δa* seen (flat),
    Gaussian errors with each photo's
    standard uncertainty (:meth:`Observation.sigma`). A decay toward the baseline cannot start
    below it, so ``A >= 0``: a paler-than-baseline series has nothing to fade.

    Parameters
    ----------
    observations
        Post-treatment observations (hours >= 0), two or more.
    threshold
        Real-change threshold, CIELAB a* units: "back to baseline" means below it.
    window_end_hours
        The end of the normal window (6 h); ``p_by_window_end`` is P(back by then).
    """
    if len(observations) < 2:
        raise ValueError("fitting a decay needs two or more photos")
    if threshold <= 0:
        raise ValueError("threshold must be positive (a* units)")
    t = np.array([o.hours for o in observations], dtype=np.float64)
    d = np.array([o.delta_a_star for o in observations], dtype=np.float64)
    w = 1.0 / np.array([o.sigma(threshold) for o in observations], dtype=np.float64) ** 2
    tau = TAU_GRID_HOURS
    amp = np.linspace(0.0, max(MAX_AMPLITUDE_A_STAR, 2.5 * float(d.max())), AMPLITUDE_STEPS)
    e = np.exp(-t[None, :] / tau[:, None])  # (K, N)
    # Weighted squared residuals for every (A, τ), expanded so no (J, K, N) array is needed.
    s_ee, s_de, s_dd = (e * e * w).sum(1), (e * d * w).sum(1), float((d * d * w).sum())
    chi2 = s_dd - 2.0 * amp[:, None] * s_de[None, :] + amp[:, None] ** 2 * s_ee[None, :]
    post = np.exp(-0.5 * (chi2 - chi2.min()))
    post /= post.sum()
    last = float(t.max())
    p_still = float(post[amp[:, None] * np.exp(-last / tau)[None, :] > threshold].sum())
    # When Δa* falls below the threshold: τ·ln(A/θ), or 0 if it starts below.
    resolve = np.log(np.maximum(amp, threshold) / threshold)[:, None] * tau[None, :]
    flat_resolve, flat_post = resolve.ravel(), post.ravel()
    p_on_time = float(flat_post[flat_resolve <= window_end_hours].sum())
    low, median, high = _weighted_quantiles(flat_resolve, flat_post, (0.05, 0.5, 0.95))
    j, k = np.unravel_index(int(np.argmax(post)), post.shape)
    return DecayFit(
        amplitude=float(amp[j]),
        tau_hours=float(tau[k]),
        resolve_hours=median if median <= PREDICTION_HORIZON_HOURS else None,
        resolve_low=low,
        resolve_high=high if high <= PREDICTION_HORIZON_HOURS else None,
        p_by_window_end=min(max(p_on_time, 0.0), 1.0),
        p_still_redder=min(max(p_still, 0.0), 1.0),
        last_hours=last,
        n_photos=len(observations),
    )


def _confidence_from_p(p: float) -> str:
    """How sure a two-way call is, from the probability of the side chosen."""
    p = max(p, 1.0 - p)
    return "high" if p >= 0.9 else "medium" if p >= 0.7 else "low"


def _confidence_from_z(z: float) -> str:
    """How sure a threshold call is, from the margin in standard uncertainties."""
    return "high" if z >= 2.0 else "medium" if z >= 1.0 else "low"


def _largest_rise(obs: Sequence[Observation], threshold: float) -> tuple[float, float] | None:
    """The most significant rise between two photos both after the first hour.

    Returns ``(rise, z)`` (a* units, and rise over its combined uncertainty) of the pair that
    exceeds both the threshold and :data:`RISE_SIGMAS`, or None.
    """
    late = [o for o in obs if o.hours >= RISE_AFTER_HOURS]
    found = None
    for i, a in enumerate(late):
        for b in late[i + 1:]:
            if b.hours <= a.hours:
                continue
            rise = b.delta_a_star - a.delta_a_star
            sigma = math.hypot(a.sigma(threshold), b.sigma(threshold))
            if rise > threshold and rise > RISE_SIGMAS * sigma:
                z = rise / sigma
                if found is None or z > found[1]:
                    found = (rise, z)
    return found


def region_recovery(region: str, observations: Sequence[Observation], *,
                    threshold: float) -> RegionRecovery:
    """Status of one region from its post-treatment observations (any order)."""
    obs = tuple(sorted(observations, key=lambda o: o.hours))
    if not obs:
        return RegionRecovery(region, "insufficient_data", "none", obs,
                              reason="no usable photo after treatment")
    rise = _largest_rise(obs, threshold)
    if rise is not None:
        return RegionRecovery(region, "worsening", _confidence_from_z(rise[1] - RISE_SIGMAS + 1.0),
                              obs, reason=f"redness rose by {rise[0]:.1f} a* after the first hour")
    last = obs[-1]
    if len(obs) == 1:
        z_last = (last.delta_a_star - threshold) / last.sigma(threshold)
        if not last.redder:
            return RegionRecovery(region, "resolved", _confidence_from_z(-z_last), obs,
                                  reason="no real redness left in the photo")
        if last.hours >= REDNESS_WINDOW_END_HOURS:
            return RegionRecovery(
                region, "persistent", _confidence_from_z(z_last + 1.0), obs,
                reason=f"still {last.delta_a_star:.1f} a* redder {last.hours:.1f} h after treatment")
        # Redness this early is the normal course; one point cannot show how fast it fades.
        return RegionRecovery(region, "on_track", "low", obs,
                              reason="one photo after treatment: redness at this stage is normal")
    # With two or more photos the curve, not the last photo alone, says whether redness is left:
    # one reading near the threshold flips with repeat-photo noise, the fit through all of them
    # does not.
    fit = fit_decay(obs, threshold=threshold)
    if fit.p_still_redder < 0.5:
        return RegionRecovery(region, "resolved", _confidence_from_p(fit.p_still_redder), obs, fit,
                              reason="no real redness left at the latest photo")
    if last.hours >= REDNESS_WINDOW_END_HOURS:
        return RegionRecovery(
            region, "persistent", _confidence_from_p(fit.p_still_redder), obs, fit,
            reason=f"still {last.delta_a_star:.1f} a* redder {last.hours:.1f} h after treatment")
    status = "on_track" if fit.p_by_window_end >= 0.5 else "slower_than_usual"
    confidence = _confidence_from_p(fit.p_by_window_end)
    if len(obs) == 2 and confidence == "high":
        # Two points fix both parameters exactly: nothing is left to check the fit against.
        confidence = "medium"
    when = (f"back by about {fit.resolve_hours:.1f} h" if fit.resolve_hours is not None
            else "not fading measurably")
    return RegionRecovery(region, status, confidence, obs, fit, reason=when)


# --- timers and next photo -----------------------------------------------------------------------
def aftercare_timers(treated_at: datetime, now: datetime, *, photo_hours: Iterable[float] = (),
                     back_to_baseline: bool = False,
                     serum_applied: bool = False) -> tuple[Timer, ...]:
    """Aftercare rules and check-photo reminders, counted from treatment start.

    The first is the protocol's step right after treatment, a repairing serum or a medical-grade
    mask (:data:`~skintrack.core.protocol.SRC_SERUM`): ``done`` once the person ticks it
    (``serum_applied``), ``active`` while not done within the first 24 hours.

    ``photo_hours`` are the hours after treatment of the photos taken so far (a reminder within
    :data:`CHECK_PHOTO_TOLERANCE_HOURS` of one counts as done). ``back_to_baseline`` ends the
    "no next session" rule, which is ours: the clinic systems we looked at do not give it.
    """
    photo_hours = list(photo_hours)

    def ends(h: float) -> datetime:
        return treated_at + timedelta(hours=h)

    timers = [
        Timer(SERUM_STEP, "Repairing serum or medical-grade mask, right after treatment",
              treated_at, 0.0, active=not serum_applied and now < ends(NO_MAKEUP_SWIM_SUN_HOURS),
              done=serum_applied),
        Timer("no_makeup_swimming_sun", "No makeup, swimming or sun exposure",
              ends(NO_MAKEUP_SWIM_SUN_HOURS), NO_MAKEUP_SWIM_SUN_HOURS,
              active=now < ends(NO_MAKEUP_SWIM_SUN_HOURS)),
        Timer("no_acids_retinol", "No acids or retinol (high-irritation ingredients)",
              ends(NO_ACIDS_RETINOL_HOURS), NO_ACIDS_RETINOL_HOURS,
              active=now < ends(NO_ACIDS_RETINOL_HOURS)),
    ]
    for h in CHECK_PHOTO_HOURS:
        done = any(abs(p - h) <= CHECK_PHOTO_TOLERANCE_HOURS for p in photo_hours)
        timers.append(Timer(f"check_photo_{h:g}h", f"Check photo {hours_text(h)} after treatment",
                            ends(h), h, active=not done and now < ends(h + CHECK_PHOTO_TOLERANCE_HOURS),
                            done=done))
    timers.append(Timer("no_next_session", "No next microneedling session", None, None,
                        active=not back_to_baseline, done=back_to_baseline,
                        until="redness is back to baseline"))
    return tuple(timers)


def next_photo(status: str, *, treated_at: datetime, now: datetime,
               photo_hours: Sequence[float], single_photo: bool = False) -> NextPhoto | None:
    """When the next check photo is due, and what it will settle; None when no photo is needed."""
    if status in ("resolved", "persistent", "worsening"):
        return None
    hours_now = (now - treated_at).total_seconds() / 3600.0
    if hours_now > SESSION_OVER_HOURS:
        return None  # long over: a photo now no longer follows the fade
    last = max(photo_hours) if photo_hours else None
    earliest = max(hours_now, 0.0) if last is None else max(hours_now, last + MIN_PHOTO_GAP_HOURS)
    if status == "slower_than_usual":
        target = max(REDNESS_WINDOW_END_HOURS, earliest)
        settles = ("whether the redness is back to baseline at 6 hours; if it is still there, stop "
                   "home treatment and consult a dermatologist")
    else:
        later = [h for h in CHECK_PHOTO_HOURS if h >= earliest]
        target = later[0] if later else earliest
        if status == "insufficient_data":
            settles = ("how much redder your skin is than in the baseline photo, the first "
                       "point of your redness curve")
        elif single_photo:
            settles = ("whether the redness is fading fast enough to be back to baseline within "
                       "the usual 4 to 6 hours")
        elif target >= REDNESS_WINDOW_END_HOURS:
            settles = ("whether the redness is back to baseline by the end of the usual 4 to 6 "
                       "hours")
        else:
            settles = "whether the fade stays on course to be back to baseline by 6 hours"
    return NextPhoto(hours=target, at=treated_at + timedelta(hours=target), settles=settles)


# --- the session status --------------------------------------------------------------------------
def assess_recovery(
    series: Mapping[str, Sequence[Observation]],
    *,
    treated_regions: Sequence[str],
    treated_at: datetime,
    now: datetime,
    threshold: float,
    symptoms: Symptoms | None = None,
    new_findings: Sequence[NewFinding] = (),
    needle_mm: float | None = None,
    spots_to_look_at: Sequence[NewFinding] = (),
    serum_applied: bool = False,
) -> RecoveryStatus:
    """The recovery status of a session at ``now``.

    Parameters
    ----------
    series
        Region name -> post-treatment observations (Δa* against the baseline). Regions not
        treated are reported but do not set the status (they are the untreated reference).
    treated_regions
        The regions the session treated (anatomical names).
    treated_at, now
        Treatment start and the moment of assessment, timezone-aware.
    threshold
        The real-change threshold, CIELAB a* units.
    symptoms
        What the person reported, or None when not asked yet.
    new_findings
        New pustules or wounds that are evidence (:func:`new_spots`): they make the status
        ``worsening``.
    spots_to_look_at
        New spots seen once, not confirmed: reported with advice to look, no escalation.
    needle_mm
        Needle length of the session, mm (for the medical-grade warning).
    serum_applied
        The person ticked the serum or mask step (:data:`SERUM_STEP`).

    The first photo after treatment also measures the end point (:func:`endpoint_check`): skin
    redder than slightly pink is said plainly, with "next time, lighter", in the advice.
    """
    for name, when in (("treated_at", treated_at), ("now", now)):
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware")
    if not treated_regions:
        raise ValueError("a session treats at least one region")
    hours_now = (now - treated_at).total_seconds() / 3600.0
    regions = {name: region_recovery(name, obs, threshold=threshold)
               for name, obs in series.items()}
    treated = [regions[r] for r in treated_regions if r in regions and regions[r].observations]
    photo_hours = sorted({o.hours for rr in regions.values() for o in rr.observations})
    new_findings = tuple(new_findings)

    if not treated:
        status, confidence = "insufficient_data", "none"
    else:
        worst = max(_SEVERITY[rr.status] for rr in treated)
        status = STATUSES[worst]
        deciding = [rr for rr in treated if rr.status == status]
        confidence = min((rr.confidence for rr in deciding), key=CONFIDENCES.index)
    if new_findings and _SEVERITY[status] < _SEVERITY["worsening"]:
        status, confidence = "worsening", "medium"

    predicted = None
    if status in ("on_track", "slower_than_usual"):
        fits = [rr.fit for rr in treated if rr.status != "resolved"]
        if fits and all(f is not None and f.resolve_hours is not None for f in fits):
            predicted = max(f.resolve_hours for f in fits)

    urgency = {"persistent": "consult_dermatologist", "worsening": "consult_promptly"}.get(
        status, "none")
    if symptoms is not None:
        if symptoms.oozing or symptoms.fever:
            urgency = "seek_care_now"
        elif (symptoms.swelling or symptoms.pain_beyond_mild_burning) and urgency == "none":
            urgency = "consult_dermatologist"

    single = bool(treated) and max(len(rr.observations) for rr in treated) == 1
    nxt = next_photo(status, treated_at=treated_at, now=now, photo_hours=photo_hours,
                     single_photo=single)
    if urgency != "none":
        nxt = None  # no more waiting and watching: the advice is to get care
    timers = aftercare_timers(treated_at, now, photo_hours=photo_hours,
                              back_to_baseline=status == "resolved", serum_applied=serum_applied)
    advice = _advice(status, hours_now=hours_now, predicted=predicted, symptoms=symptoms,
                     new_findings=new_findings, needle_mm=needle_mm, nxt=nxt, treated=treated,
                     timers=timers)
    spots_to_look_at = tuple(spots_to_look_at)
    if spots_to_look_at and not new_findings:
        advice = advice[:1] + (_look_advice(spots_to_look_at),) + advice[1:]
    endpoint = endpoint_check(series, treated_regions=treated_regions)
    said = endpoint_advice(endpoint)
    if said is not None:
        # Right after the status: how hard the session was is the first thing to learn from it.
        advice = advice[:1] + (said,) + advice[1:]
    return RecoveryStatus(
        status=status, confidence=confidence, urgency=urgency, now=now, treated_at=treated_at,
        hours_since_treatment=hours_now, predicted_resolved_at_hours=predicted,
        treated_regions=tuple(treated_regions), regions=regions, advice=advice, timers=timers,
        next_photo=nxt, symptoms=symptoms, new_findings=new_findings, threshold_a_star=threshold,
        spots_to_look_at=spots_to_look_at, endpoint=endpoint)


def _look_advice(spots: Sequence[NewFinding]) -> Advice:
    """Advice for new spots seen on one photo: look, and watch the next photo; no alarm."""
    where = sorted({(s.region or "face").replace("_", " ") for s in spots})
    kinds = sorted({s.kind.replace("_", " ") for s in spots})
    n = len(spots)
    return Advice(
        "spot_to_look_at", "caution",
        f"{n} new spot{'s' if n != 1 else ''} to look at on the {', '.join(where)} (possibly "
        f"{' or '.join('a ' + k for k in kinds)}), seen on one photo only. Look at "
        f"{'them' if n != 1 else 'it'} in a mirror: if you see a pustule or an open wound, or "
        "the next photo shows it again, stop use and consult a dermatologist.", SRC_WARNING)


def _region_list(rrs: Sequence[RegionRecovery]) -> str:
    names = [rr.region.replace("_", " ") for rr in rrs]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _advice(status: str, *, hours_now: float, predicted: float | None, symptoms: Symptoms | None,
            new_findings: Sequence[NewFinding], needle_mm: float | None, nxt: NextPhoto | None,
            treated: Sequence[RegionRecovery], timers: Sequence[Timer]) -> tuple[Advice, ...]:
    out: list[Advice] = []
    if symptoms is not None and (symptoms.oozing or symptoms.fever):
        which = " and ".join(s for s in ("oozing", "fever") if getattr(symptoms, s))
        out.append(Advice(
            "seek_care_now", "urgent",
            f"You reported {which}: it may be a sign of infection or allergy. Seek medical advice "
            "now, whatever the photos show, and do not microneedle again until a doctor has seen "
            "it.", SRC_WARNING))
    if symptoms is not None and symptoms.swelling:
        out.append(Advice(
            "swelling", "stop",
            "You reported swelling: it may be a sign of infection or allergy. Stop use immediately "
            "and consult a dermatologist.", SRC_WARNING))
    if symptoms is not None and symptoms.pain_beyond_mild_burning:
        out.append(Advice(
            "pain", "stop",
            "Only mild redness and a burning sensation are normal after microneedling. Pain beyond "
            "that is not: stop use and consult a dermatologist.", SRC_REDNESS_WINDOW))

    red = [rr for rr in treated if rr.status == status]
    if status == "insufficient_data":
        if hours_now < 0:
            out.append(Advice("not_started", "info",
                              f"The treatment starts in {duration_text(-hours_now)}. Take the "
                              "baseline "
                              "photo before you start."))
        elif hours_now <= SESSION_OVER_HOURS:  # a session long over says so below instead
            out.append(Advice(
                "no_photo_yet", "info",
                "No photo after treatment yet. Mild redness and a burning sensation are normal and "
                "usually subside within 4 to 6 hours; photos show whether yours does.",
                SRC_REDNESS_WINDOW))
    elif status == "resolved":
        out.append(Advice("resolved", "info",
                          "The redness is back to baseline in every treated region.",
                          SRC_REDNESS_WINDOW))
    elif status == "on_track":
        if predicted is not None:
            text = ("Mild redness is normal and usually subsides within 4 to 6 hours; yours is "
                    f"fading on course (back to baseline about {hours_text(predicted)} after "
                    "treatment).")
        else:
            text = ("Mild redness and a burning sensation are normal and usually subside within "
                    "4 to 6 hours. One photo cannot show the fade yet.")
        out.append(Advice("on_track", "info", text, SRC_REDNESS_WINDOW))
    elif status == "slower_than_usual":
        when = (f"at about {predicted:.1f} h" if predicted is not None
                else "not at the rate seen so far")
        out.append(Advice(
            "slower_than_usual", "caution",
            f"The redness in the {_region_list(red)} is fading more slowly than usual: back to "
            f"baseline {when}, not within the usual 4 to 6 hours. Keep to the aftercare; if it is "
            "still there at 6 hours, stop home treatment and consult a dermatologist.",
            SRC_REDNESS_WINDOW))
    elif status == "persistent":
        out.append(Advice(
            "persistent", "stop",
            f"The {_region_list(red)} {'is' if len(red) == 1 else 'are'} still redder than before "
            f"treatment {hours_text(hours_now)} on; mild redness usually subsides within 4 to 6 "
            "hours. Persistent erythema may be a sign of infection or allergy: stop home "
            "microneedling and consult a dermatologist.", SRC_WARNING))
    elif status == "worsening":
        reasons = []
        if red:
            reasons.append(f"the redness in the {_region_list(red)} is increasing")
        if new_findings:
            kinds = sorted({f.kind.replace("_", " ") + "s" for f in new_findings})
            reasons.append("new " + " and ".join(kinds) + " appeared after treatment")
        out.append(Advice(
            "worsening", "stop",
            f"{'; '.join(reasons).capitalize()}. This may be a sign of infection or allergy: stop "
            "use immediately and consult a dermatologist promptly.", SRC_WARNING))
        if new_findings:
            out.append(Advice(
                "suspend_until_healed", "stop",
                "Do not microneedle over open wounds or acne pustules; wait until the skin has "
                "fully recovered.", SRC_SKIN_SUSPEND))

    if hours_now > SESSION_OVER_HOURS and status not in ("persistent", "worsening"):
        out.append(Advice(
            "session_over", "info",
            f"This session is over: it was {duration_text(hours_now)} ago, so no more check "
            "photos are needed. For a next session, start a new one with a new baseline photo."))
    if nxt is not None:
        out.append(Advice("next_photo", "info",
                          f"Take the next photo {hours_text(nxt.hours)} after treatment: it "
                          f"will show {nxt.settles}."))
    if any(t.active for t in timers if t.code == SERUM_STEP) and hours_now >= 0:
        out.append(Advice(
            "serum", "info",
            "Immediately after the procedure, apply a repairing serum or a medical-grade mask: the "
            "skin's channels are open, so it absorbs best now, but it is also most vulnerable. "
            "Tick it when done.", SRC_SERUM))
    if any(t.active for t in timers if t.code in ("no_makeup_swimming_sun", "no_acids_retinol")):
        out.append(Advice(
            "aftercare", "info",
            "Avoid makeup, swimming and sun exposure for 24 hours, and acids or retinol for "
            "48 hours after treatment.", SRC_AFTERCARE))
    if status != "resolved":
        out.append(Advice("no_next_session", "info",
                          "Do not plan the next session before the redness is back to baseline: "
                          "it is better to see slower results than to risk skin health.",
                          SRC_SAFETY_FIRST))
    if needle_mm is not None and needle_mm > HOME_NEEDLE_MAX_MM:
        out.append(Advice(
            "needle_medical_grade", "caution",
            f"This session used {needle_mm:g} mm needles: anything exceeding 0.5 mm is considered "
            "medical grade and is unsuitable for home operation.", SRC_NEEDLE))
    return tuple(out)
