"""Aftercare timers and check-photo reminders counted from treatment start, and when the next
check photo is due."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from skintrack.core.protocol import (
    NO_ACIDS_RETINOL_HOURS,
    NO_MAKEUP_SWIM_SUN_HOURS,
    REDNESS_WINDOW_END_HOURS,
    REDNESS_WINDOW_START_HOURS,
)
from skintrack.core.readable import hours_text
from skintrack.core.recovery.records import NextPhoto, Timer

#: Reminders for check photos, hours after treatment start: two early photos give the curve its
#: slope, the window's start and end (protocol) tell whether it subsided in time.
CHECK_PHOTO_HOURS = (1.0, 2.0, REDNESS_WINDOW_START_HOURS, REDNESS_WINDOW_END_HOURS)
#: A check photo within this many hours of its reminder time counts as taken.
CHECK_PHOTO_TOLERANCE_HOURS = 0.5
#: A session is over when its last aftercare rule has ended (acids and retinol, 48 h): no check
#: photo is asked for after that, and the status says the session is over.
SESSION_OVER_HOURS = NO_ACIDS_RETINOL_HOURS
#: Next check photo no sooner than this after the last one: closer photos add little slope.
MIN_PHOTO_GAP_HOURS = 0.5
#: The aftercare step the person ticks: the serum or mask right after treatment.
SERUM_STEP = "repairing_serum_or_mask"


def aftercare_timers(
    treated_at: datetime,
    now: datetime,
    *,
    photo_hours: Iterable[float] = (),
    back_to_baseline: bool = False,
    serum_applied: bool = False,
) -> tuple[Timer, ...]:
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
        Timer(
            SERUM_STEP,
            "Repairing serum or medical-grade mask, right after treatment",
            treated_at,
            0.0,
            active=not serum_applied and now < ends(NO_MAKEUP_SWIM_SUN_HOURS),
            done=serum_applied,
        ),
        Timer(
            "no_makeup_swimming_sun",
            "No makeup, swimming or sun exposure",
            ends(NO_MAKEUP_SWIM_SUN_HOURS),
            NO_MAKEUP_SWIM_SUN_HOURS,
            active=now < ends(NO_MAKEUP_SWIM_SUN_HOURS),
        ),
        Timer(
            "no_acids_retinol",
            "No acids or retinol (high-irritation ingredients)",
            ends(NO_ACIDS_RETINOL_HOURS),
            NO_ACIDS_RETINOL_HOURS,
            active=now < ends(NO_ACIDS_RETINOL_HOURS),
        ),
    ]
    for h in CHECK_PHOTO_HOURS:
        done = any(abs(p - h) <= CHECK_PHOTO_TOLERANCE_HOURS for p in photo_hours)
        timers.append(
            Timer(
                f"check_photo_{h:g}h",
                f"Check photo {hours_text(h)} after treatment",
                ends(h),
                h,
                active=not done and now < ends(h + CHECK_PHOTO_TOLERANCE_HOURS),
                done=done,
            )
        )
    timers.append(
        Timer(
            "no_next_session",
            "No next microneedling session",
            None,
            None,
            active=not back_to_baseline,
            done=back_to_baseline,
            until="redness is back to baseline",
        )
    )
    return tuple(timers)


def next_photo(
    status: str,
    *,
    treated_at: datetime,
    now: datetime,
    photo_hours: Sequence[float],
    single_photo: bool = False,
) -> NextPhoto | None:
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
        settles = (
            "whether the redness is back to baseline at 6 hours; if it is still there, stop "
            "home treatment and consult a dermatologist"
        )
    else:
        later = [h for h in CHECK_PHOTO_HOURS if h >= earliest]
        target = later[0] if later else earliest
        if status == "insufficient_data":
            settles = (
                "how much redder your skin is than in the baseline photo, the first "
                "point of your redness curve"
            )
        elif single_photo:
            settles = (
                "whether the redness is fading fast enough to be back to baseline within "
                "the usual 4 to 6 hours"
            )
        elif target >= REDNESS_WINDOW_END_HOURS:
            settles = "whether the redness is back to baseline by the end of the usual 4 to 6 hours"
        else:
            settles = "whether the fade stays on course to be back to baseline by 6 hours"
    return NextPhoto(hours=target, at=treated_at + timedelta(hours=target), settles=settles)
