"""What goes in and out of the session service besides storage's rows: a photo to import, an
imported photo, the rules on capture times, and the SIMULATED names of the demo."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from skintrack.storage import sessions as repo

#: A capture time this far ahead of the computer's clock is still accepted: phone and computer
#: clocks drift by seconds to minutes, and refusing a photo for that would only confuse.
CLOCK_SKEW = timedelta(minutes=5)
#: A planned treatment may be entered up to a day ahead; further is almost surely a typing error.
MAX_PLANNED_AHEAD = timedelta(hours=24)
NOT_SAME_FACE = "the face does not look like the one in the baseline photo"
#: Key of the face-mesh landmarks (468 x, y photo pixels) in a stored analysis record.
MESH_KEY = "mesh_xy"
#: Scale assumed for new-spot distances when a baseline has none (mm per photo pixel).
DEFAULT_MM_PER_PX = 0.2
#: Stored photo names starting with this are phantom renders (the demo), labelled SIMULATED
#: wherever they are shown: the app and the reports ask :func:`is_simulated_name`.
SIMULATED_PREFIX = "SIMULATED"


def is_simulated_name(name: str) -> bool:
    """A photo rendered by the redness phantom (the demo), by its stored name."""
    return name.upper().startswith(SIMULATED_PREFIX)


def is_simulated_session(session: repo.Session, photos: Iterable[repo.PhotoRow]) -> bool:
    """A session shown as SIMULATED: its notes say so, or a photo of it is a phantom render."""
    return "SIMULATED" in (session.notes or "").upper() or any(
        is_simulated_name(p.original_name) for p in photos
    )


@dataclass(frozen=True)
class PhotoSource:
    """A photo to import from memory (a camera frame encoded as PNG/JPEG by the app).

    ``taken_at`` overrides the time found in the file; it must be timezone-aware.
    """

    data: bytes
    name: str
    taken_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.data:
            raise ValueError("PhotoSource.data is empty")
        if self.taken_at is not None and self.taken_at.tzinfo is None:
            raise ValueError("PhotoSource.taken_at must be timezone-aware")


@dataclass(frozen=True)
class ImportResult:
    """One imported photo: its row, hours after treatment, and the comparison when it is a
    follow-up (None for the baseline)."""

    photo: repo.PhotoRow
    hours: float
    role: str  # "baseline" or "follow_up"
    comparison: repo.ComparisonRow | None = None
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.role not in ("baseline", "follow_up"):
            raise ValueError("role is 'baseline' or 'follow_up'")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _fmt_time(when: datetime, *, seconds: bool = False) -> str:
    """A time as the person reads it: their local time zone, with the offset."""
    return when.astimezone().strftime(f"%Y-%m-%d %H:%M{':%S' if seconds else ''} %Z").strip()


def _fmt_two_times(a: datetime, b: datetime) -> tuple[str, str]:
    """Two times as :func:`_fmt_time`, with seconds when they fall in the same minute."""
    seconds = _fmt_time(a) == _fmt_time(b)
    return _fmt_time(a, seconds=seconds), _fmt_time(b, seconds=seconds)


def _hours(session: repo.Session, when: datetime) -> float:
    return (when - session.treated_at).total_seconds() / 3600.0
