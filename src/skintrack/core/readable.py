"""Numbers as a person reads them: hours, durations and signed changes, formatted in one place.

Every text that shows a time after treatment or a time left (the app, the reports, the advice,
the command line's sentences) goes through :func:`hours_text` or :func:`duration_text`, so the
same moment is written the same way everywhere, and never as ``6.00291 h`` (what ``:g`` gives
for a time measured to the second) or ``6290.48 h`` (a session from last spring). Signed changes
go through :func:`signed_number`, which never prints ``-0.0``; how far apart two times are,
through :func:`span_text`.
"""

from __future__ import annotations

import math

#: Beyond this many hours a time is said in days: nobody counts 260 hours.
DAYS_FROM_HOURS = 72.0
#: Below this many hours a time keeps one decimal (1.5 h); above it, whole hours (26 h).
DECIMAL_BELOW_HOURS = 10.0
MINUS = "\u2212"


def hours_text(hours: float | None, *, signed: bool = False) -> str:
    """A time counted from treatment start: ``1.5 h``, ``6 h``, ``26 h``, ``262 days``.

    One decimal below :data:`DECIMAL_BELOW_HOURS` (a trailing ``.0`` dropped), whole hours up to
    :data:`DAYS_FROM_HOURS`, whole days beyond. ``signed`` writes ``+2 h`` / ``−0.5 h`` (a time
    that rounds to zero has no sign, and never reads ``-0``). None gives an en dash.
    """
    if hours is None or not math.isfinite(hours):
        return "\u2013"
    a = abs(hours)
    if a >= DAYS_FROM_HOURS:
        days = round(a / 24.0)
        number, unit = f"{days}", "day" if days == 1 else "days"
        shown = float(days)
    else:
        nd = 1 if a < DECIMAL_BELOW_HOURS else 0
        number = f"{a:.{nd}f}"
        if "." in number:
            number = number.rstrip("0").rstrip(".")
        unit, shown = "h", float(number)
    if shown == 0:
        return "0 h"
    sign = ("+" if hours > 0 else MINUS) if signed else ("" if hours > 0 else MINUS)
    return f"{sign}{number} {unit}"


def duration_text(hours: float) -> str:
    """A span of time (a countdown, time since treatment): ``25 min``, ``2 h 05 min``,
    ``3 days 4 h``; a negative span reads as none (``0 min``)."""
    minutes = max(0, round(hours * 60)) if math.isfinite(hours) else 0
    h, m = divmod(minutes, 60)
    if h >= 48:
        d, h = divmod(h, 24)
        return f"{d} days" + (f" {h} h" if h else "")
    return f"{h} h {m:02d} min" if h else f"{m} min"


def span_text(seconds: float) -> str:
    """How far apart two times are, to the second when they are close: "0.4 s", "12 s",
    "2 min 5 s", "2 h 5 min", "3 days" (a refused capture time says by how much it is late)."""
    s = abs(seconds)
    if s < 10:  # the two times shown to the second may differ by one more or less
        return f"{s:.1f} s"
    if s < 60:
        return f"{int(s)} s"
    if s < 3600:
        return f"{int(s // 60)} min" + (f" {int(s % 60)} s" if s < 600 and int(s % 60) else "")
    if s < 48 * 3600:
        h, m = divmod(int(s // 60), 60)
        return f"{h} h" + (f" {m} min" if m else "")
    return f"{s / 86400:.0f} days"


def signed_number(value: float | None, nd: int = 1) -> str:
    """``+1.2``, ``−0.4`` (a true minus); a value that rounds to zero prints as ``0.0``, never
    ``-0.0`` or ``+0.0``. None gives an en dash."""
    if value is None or not math.isfinite(value):
        return "\u2013"
    if round(value, nd) == 0:
        return f"{0.0:.{nd}f}"
    return f"{value:+.{nd}f}".replace("-", MINUS)
