"""The one exception family skintrack raises for bad input and unusable data."""

from __future__ import annotations


class Message(str):
    """A message for the command line that also has a ``plain`` form for the app: the same
    sentence without command names or options (someone using the app types no commands)."""

    plain: str

    def __new__(cls, text: str, plain: str | None = None) -> Message:
        obj = super().__new__(cls, text)
        obj.plain = str(text) if plain is None else plain
        return obj


def plain(text: object) -> str:
    """The plain form of a message or error: :attr:`Message.plain` when it has one."""
    if isinstance(text, BaseException):
        text = text.args[0] if len(text.args) == 1 else str(text)
    return getattr(text, "plain", None) or str(text)


class SkintrackError(Exception):
    """A problem the user can act on; ``str(err)`` is one readable sentence. Raised with a
    :class:`Message`, it also has a plain form for the app (:func:`plain`)."""

    @property
    def plain(self) -> str:
        return plain(self)


class PhotoError(SkintrackError):
    """A photo could not be used (missing, not an image, truncated, too large, ...)."""


class ModelError(SkintrackError):
    """The bundled face model is missing or altered."""
