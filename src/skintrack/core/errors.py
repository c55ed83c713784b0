"""The one exception family skintrack raises for bad input and unusable data."""


class SkintrackError(Exception):
    """A problem the user can act on; ``str(err)`` is one readable sentence."""


class PhotoError(SkintrackError):
    """A photo could not be used (missing, not an image, truncated, too large, ...)."""


class ModelError(SkintrackError):
    """The bundled face model is missing or altered."""
