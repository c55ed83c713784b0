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

The modules, one job each: :mod:`.records` (the dataclasses), :mod:`.fit` (the fade and a region's
status), :mod:`.spots` (new spots), :mod:`.endpoint` (the end-point check), :mod:`.aftercare`
(timers and the next photo), :mod:`.advice` (the sentences a person reads) and :mod:`.assess`
(:func:`assess_recovery`, the session status). The names below are the package's interface.
"""

from skintrack.core.recovery.advice import (
    STATUS_WORDS,
    URGENCY_WORDS,
    endpoint_advice,
    look_advice,
    session_advice,
)
from skintrack.core.recovery.aftercare import (
    CHECK_PHOTO_HOURS,
    CHECK_PHOTO_TOLERANCE_HOURS,
    MIN_PHOTO_GAP_HOURS,
    SERUM_STEP,
    SESSION_OVER_HOURS,
    aftercare_timers,
    next_photo,
)
from skintrack.core.recovery.assess import (
    assess_recovery,
)
from skintrack.core.recovery.endpoint import (
    endpoint_check,
)
from skintrack.core.recovery.fit import (
    AMPLITUDE_STEPS,
    MAX_AMPLITUDE_A_STAR,
    PREDICTION_HORIZON_HOURS,
    RISE_AFTER_HOURS,
    RISE_SIGMAS,
    TAU_GRID_HOURS,
    fit_decay,
    region_recovery,
)
from skintrack.core.recovery.records import (
    BAND_95_SIGMAS,
    CONFIDENCES,
    NEW_FINDING_KINDS,
    REPEATABILITY_LIMIT_SIGMAS,
    SCHEMA,
    STATUSES,
    SYMPTOM_NAMES,
    URGENCIES,
    Advice,
    DecayFit,
    EndpointCheck,
    NewFinding,
    NextPhoto,
    Observation,
    RecoveryStatus,
    RegionRecovery,
    Spot,
    Symptoms,
    Timer,
)
from skintrack.core.recovery.spots import (
    NEW_SPOT_MIN_PHOTOS,
    SAME_PLACE_MM,
    new_spots,
)

__all__ = [
    "AMPLITUDE_STEPS",
    "BAND_95_SIGMAS",
    "CHECK_PHOTO_HOURS",
    "CHECK_PHOTO_TOLERANCE_HOURS",
    "CONFIDENCES",
    "MAX_AMPLITUDE_A_STAR",
    "MIN_PHOTO_GAP_HOURS",
    "NEW_FINDING_KINDS",
    "NEW_SPOT_MIN_PHOTOS",
    "PREDICTION_HORIZON_HOURS",
    "REPEATABILITY_LIMIT_SIGMAS",
    "RISE_AFTER_HOURS",
    "RISE_SIGMAS",
    "SAME_PLACE_MM",
    "SCHEMA",
    "SERUM_STEP",
    "SESSION_OVER_HOURS",
    "STATUSES",
    "STATUS_WORDS",
    "SYMPTOM_NAMES",
    "TAU_GRID_HOURS",
    "URGENCIES",
    "URGENCY_WORDS",
    "Advice",
    "DecayFit",
    "EndpointCheck",
    "NewFinding",
    "NextPhoto",
    "Observation",
    "RecoveryStatus",
    "RegionRecovery",
    "Spot",
    "Symptoms",
    "Timer",
    "aftercare_timers",
    "assess_recovery",
    "endpoint_advice",
    "endpoint_check",
    "fit_decay",
    "look_advice",
    "new_spots",
    "next_photo",
    "region_recovery",
    "session_advice",
]
