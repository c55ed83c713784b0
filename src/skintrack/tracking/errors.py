"""Refusals of a session operation, each a reason the person can act on."""

from __future__ import annotations

from datetime import datetime

from skintrack.core.errors import SkintrackError


class TrackingError(SkintrackError):
    """A session operation refused for a reason the person can act on."""


class CaptureTimeRefused(TrackingError):
    """A photo's capture time is missing, or impossible for its place in the session (a photo
    after treatment dated before it, a baseline dated after it, a date in the future).

    ``name`` is the photo's file name, ``taken_at`` the time found in it (None when it has none):
    the command line says to pass ``--taken-at``; the app asks the person for the time.
    """

    def __init__(self, message: str, *, name: str, taken_at: datetime | None = None) -> None:
        super().__init__(message)
        self.name = name
        self.taken_at = taken_at


class BaselineReplaceRefused(TrackingError):
    """Setting a baseline would replace one that photos after treatment are compared with; the
    caller must say ``replace`` (the command line's ``--replace``, a confirmation in the app)."""
