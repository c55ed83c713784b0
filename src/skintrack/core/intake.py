"""Photo intake: any common photo file -> an oriented RGB ``uint8`` array and its capture time.

Every coordinate in skintrack refers to the photo as a person sees it, so EXIF orientation is
applied here, once. Bad files are refused with :class:`~skintrack.core.errors.PhotoError`.

Large camera JPEGs are decoded at a reduced scale first (libjpeg's DCT scaling, ADR 0008): the
analysis rarely needs more, and :attr:`Photo.rgb`, the full-resolution pixels, is decoded only
when something asks for it.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from skintrack.core.errors import PhotoError

MAX_MEGAPIXELS = 100.0
MAX_FILE_BYTES = 300 * 1024 * 1024
SUPPORTED_FORMATS = ("JPEG", "PNG", "TIFF", "WEBP", "MPO")

#: Where a capture time came from. ``file_time`` is approximate (copying a file changes it).
TAKEN_AT_SOURCES = ("exif", "exif_local", "file_time", "camera", "given", "unknown")

_EXIF_IFD = 0x8769
_TAG_DATETIME = 0x0132
_TAG_DATETIME_ORIGINAL = 0x9003
_TAG_OFFSET_TIME_ORIGINAL = 0x9011
_TAG_ORIENTATION = 0x0112

#: A plain camera JPEG is first decoded at 1/2, 1/4 or 1/8 of its size (libjpeg's DCT scaling:
#: every coefficient is read, the inverse transform is smaller) when its long side stays at least
#: this many pixels: twice the size the face landmarker works at (``face.DETECT_LONG_SIDE``), so
#: that a face filling a third of the photo or more keeps the detail the analysis needs at that
#: scale (``analysis.DETAIL_MARGIN``) and the photo is decoded once. Only reductions that divide
#: both sides are used, so a reduced pixel is exactly a block of full ones.
REDUCED_LONG_SIDE = 2000
REDUCTIONS = (8, 4, 2)


@dataclass(frozen=True)
class JpegSource:
    """What a reduced-scale or deferred decode needs: the file's bytes and its EXIF orientation."""

    data: bytes = field(repr=False)
    orientation: int
    label: str


class _DeferredPixels:
    """``Photo.rgb`` when it is decoded on first use (see :class:`_FullPixels`)."""

    def __repr__(self) -> str:
        return "<decoded on first use>"


DEFERRED = _DeferredPixels()


class _FullPixels:
    """Data descriptor behind :attr:`Photo.rgb`: an array, or decoded from the photo's
    :class:`JpegSource` on first use (then kept) when the photo was made with ``rgb=DEFERRED``."""

    def __get__(self, obj: Photo | None, owner: type | None = None) -> np.ndarray:
        if obj is None:
            raise AttributeError("rgb")  # a required dataclass field, no default
        rgb = obj.__dict__["_rgb"]
        if rgb is DEFERRED:
            rgb = obj.pixels(1)
            obj.__dict__["_rgb"] = rgb
        return rgb

    def __set__(self, obj: Photo, value: np.ndarray | _DeferredPixels) -> None:
        if "_rgb" in obj.__dict__:
            raise AttributeError("Photo is frozen")
        obj.__dict__["_rgb"] = value


# Keyword-only: ``rgb``'s descriptor reads as a default to a type checker (at run time it is a
# required field), and keyword-only fields may come in any order.
@dataclass(frozen=True, eq=False, kw_only=True)
class Photo:
    """A decoded photo ready for analysis.

    ``rgb`` is ``(height, width, 3) uint8`` with EXIF orientation applied: the photo as a person
    sees it, the frame of every coordinate skintrack stores or shows. ``taken_at`` is
    timezone-aware (UTC offset known or assumed, see ``taken_at_source``) or ``None``.

    A large camera JPEG is made with ``rgb=DEFERRED`` and its ``jpeg`` source: :meth:`pixels`
    gives the photo decoded at 1/2, 1/4 or 1/8 scale for the analysis, and ``rgb`` is decoded in
    full only when first read. ``size`` is then the full (width, height). A photo made with an
    array (or ``dataclasses.replace(photo, rgb=array)``) is that array at every scale.
    """

    path: str
    rgb: _FullPixels = _FullPixels()  # reads as an array; set with one or DEFERRED
    sha256: str
    taken_at: datetime | None
    taken_at_source: str
    format: str = "unknown"
    size: tuple[int, int] | None = None
    jpeg: JpegSource | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        rgb = self.__dict__["_rgb"]
        if rgb is DEFERRED:
            if self.jpeg is None or self.size is None:
                raise ValueError("a Photo decoded on first use needs its JPEG source and size")
        else:
            if not isinstance(rgb, np.ndarray) or rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
                raise ValueError("Photo.rgb must be an (h, w, 3) uint8 array")
            # The array is the photo: a source or size left from another photo must not stand in.
            object.__setattr__(self, "jpeg", None)
            object.__setattr__(self, "size", (int(rgb.shape[1]), int(rgb.shape[0])))
        if self.taken_at_source not in TAKEN_AT_SOURCES:
            raise ValueError(f"unknown taken_at_source {self.taken_at_source!r}")
        if self.taken_at is not None and self.taken_at.tzinfo is None:
            raise ValueError("Photo.taken_at must be timezone-aware")

    def __repr__(self) -> str:  # without the pixels (and without decoding them)
        return (
            f"Photo(path={self.path!r}, size={self.size}, format={self.format!r}, "
            f"sha256={self.sha256[:12]!r}..., taken_at={self.taken_at!r})"
        )

    def _full_size(self) -> tuple[int, int]:
        """``size``, which :meth:`__post_init__` always sets."""
        if self.size is None:
            raise ValueError("Photo.size is not set (a Photo made without its __init__?)")
        return self.size

    @property
    def width(self) -> int:
        return int(self._full_size()[0])

    @property
    def height(self) -> int:
        return int(self._full_size()[1])

    def reduction_for(self, long_side: int = REDUCED_LONG_SIDE) -> int:
        """The largest reduction (1, 2, 4 or 8) :meth:`pixels` decodes with the long side kept at
        least ``long_side`` pixels; 1 for photos without a JPEG source."""
        if self.jpeg is None:
            return 1
        w, h = self._full_size()
        for k in REDUCTIONS:
            if w % k == 0 and h % k == 0 and max(w, h) // k >= long_side:
                return k
        return 1

    def pixels(self, reduction: int = 1) -> np.ndarray:
        """The oriented photo at 1/``reduction`` scale (kept once decoded).

        Pixel (i, j) of the result is the block of ``reduction`` x ``reduction`` full pixels from
        (reduction * i, reduction * j): a point (x, y) there is ``reduction * (x + 0.5) - 0.5``
        in :attr:`rgb`. Only reductions of :data:`REDUCTIONS` that divide both sides exist; any
        other (and any reduction of a photo without a JPEG source) raises ``ValueError``.
        """
        cache = self.__dict__.setdefault("_pixels", {})
        got = cache.get(reduction)
        if got is not None:
            return got
        if reduction == 1 and self.__dict__["_rgb"] is not DEFERRED:
            return self.__dict__["_rgb"]
        src = self.jpeg
        w, h = self._full_size()
        # Without a JPEG source the array above was every scale (``__post_init__``).
        if src is None or (
            reduction != 1 and (reduction not in REDUCTIONS or w % reduction or h % reduction)
        ):
            raise ValueError(f"no 1/{reduction} decode of a {w} x {h} photo")
        flip = src.orientation in (5, 6, 7, 8)
        stored = (h, w) if flip else (w, h)
        arr = _decode_jpeg(src.data, stored, reduction, src.label)
        arr = np.ascontiguousarray(_apply_orientation(arr, src.orientation))
        cache[reduction] = arr
        return arr

    @property
    def approximate_time(self) -> bool:
        return self.taken_at_source in ("file_time", "unknown")


def photo_from_array(
    rgb: np.ndarray, *, taken_at: datetime | None = None, source: str = "camera", path: str = ""
) -> Photo:
    """Wrap an in-memory RGB frame (camera capture, rendered test photo) as a :class:`Photo`."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    if taken_at is None:
        taken_at = datetime.now(UTC)
    elif taken_at.tzinfo is None:
        taken_at = taken_at.astimezone()
    digest = hashlib.sha256(rgb.tobytes()).hexdigest()
    return Photo(path=path, rgb=rgb, sha256=digest, taken_at=taken_at, taken_at_source=source, format="array")


def load_photo(path: str | os.PathLike[str]) -> Photo:
    """Read a photo file.

    Accepts JPEG, PNG, TIFF and WebP, 8- or 16-bit, grey, RGB, RGBA or CMYK; returns oriented
    8-bit RGB. Raises :class:`PhotoError` with one readable sentence for anything unusable.
    """
    p = Path(path)
    name = p.name or str(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise PhotoError(f"{path}: no such file") from None
    except OSError as exc:
        raise PhotoError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if p.is_dir():
        raise PhotoError(f"{path}: is a folder, not a photo")
    if st.st_size == 0:
        raise PhotoError(f"{path}: the file is empty")
    if st.st_size > MAX_FILE_BYTES:
        raise PhotoError(
            f"{path}: the file is {st.st_size / 1e6:.0f} MB, more than the "
            f"{MAX_FILE_BYTES / 1e6:.0f} MB skintrack accepts"
        )
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise PhotoError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return decode_photo(data, path=str(path), mtime=st.st_mtime, name=name)


def decode_photo(data: bytes, *, path: str = "", mtime: float | None = None, name: str = "") -> Photo:
    """Decode photo bytes (see :func:`load_photo`)."""
    from PIL import Image, UnidentifiedImageError

    label = path or name or "photo"
    if not data:
        raise PhotoError(f"{label}: the file is empty")
    digest = hashlib.sha256(data).hexdigest()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise PhotoError(f"{label}: not an image skintrack can read (JPEG, PNG, TIFF or WebP)") from None
    except Image.DecompressionBombError:
        raise PhotoError(f"{label}: the image is too large (over {MAX_MEGAPIXELS:.0f} megapixels)") from None
    except Exception as exc:  # PIL raises many types for broken headers
        raise PhotoError(f"{label}: not a readable image ({exc})") from None

    fmt = (im.format or "unknown").upper()
    if fmt not in SUPPORTED_FORMATS:
        raise PhotoError(f"{label}: {fmt} files are not supported; use JPEG, PNG, TIFF or WebP")
    w, h = im.size
    if w <= 0 or h <= 0:
        raise PhotoError(f"{label}: the image has no pixels")
    if w * h > MAX_MEGAPIXELS * 1e6:
        raise PhotoError(
            f"{label}: the image is {w * h / 1e6:.0f} megapixels, more than the "
            f"{MAX_MEGAPIXELS:.0f} skintrack accepts"
        )

    try:
        exif = im.getexif()
    except Exception:
        exif = None
    orientation = int(exif.get(_TAG_ORIENTATION, 1)) if exif else 1
    taken_at, source = _capture_time(exif, mtime)

    if orientation not in range(1, 9):
        orientation = 1
    if _plain_jpeg(im, fmt):
        if b"\xff\xd9" not in data[-4096:]:
            raise PhotoError(f"{label}: the file is truncated (the JPEG data ends early)")
        shown = (h, w) if orientation in (5, 6, 7, 8) else (w, h)
        photo = Photo(
            path=path,
            rgb=DEFERRED,
            sha256=digest,
            taken_at=taken_at,
            taken_at_source=source,
            format=fmt.lower(),
            size=shown,
            jpeg=JpegSource(data, orientation, label),
        )
        # Decoded now, at the scale the analysis starts from, so that a damaged file is refused
        # here; the full-resolution pixels wait until something reads ``rgb``.
        photo.pixels(photo.reduction_for())
        return photo
    rgb = _decode_pixels(im, data, fmt, label)
    rgb = _apply_orientation(rgb, orientation)
    return Photo(
        path=path,
        rgb=np.ascontiguousarray(rgb),
        sha256=digest,
        taken_at=taken_at,
        taken_at_source=source,
        format=fmt.lower(),
    )


def _plain_jpeg(im, fmt: str) -> bool:
    """A plain 8-bit JPEG (colour or grey) that OpenCV's libjpeg-turbo decodes."""
    return fmt in ("JPEG", "MPO") and im.mode in ("RGB", "L")


def _decode_jpeg(data: bytes, size: tuple[int, int], reduction: int, label: str) -> np.ndarray:
    """A plain JPEG as RGB uint8 at 1/``reduction`` scale, orientation NOT applied; ``size`` is
    the stored (width, height)."""
    import cv2

    flags = {
        1: 0,
        2: cv2.IMREAD_REDUCED_COLOR_2,
        4: cv2.IMREAD_REDUCED_COLOR_4,
        8: cv2.IMREAD_REDUCED_COLOR_8,
    }[reduction] & ~cv2.IMREAD_COLOR
    arr = cv2.imdecode(
        np.frombuffer(data, np.uint8), flags | cv2.IMREAD_COLOR_RGB | cv2.IMREAD_IGNORE_ORIENTATION
    )
    w, h = size
    want = (-(-h // reduction), -(-w // reduction))
    if arr is None or arr.shape[:2] != want:
        raise PhotoError(f"{label}: the JPEG data is damaged")
    return arr


def _decode_pixels(im, data: bytes, fmt: str, label: str) -> np.ndarray:
    """Pixels as RGB uint8, orientation NOT yet applied (everything but plain JPEGs)."""
    try:
        im.load()
    except Exception as exc:
        msg = str(exc)
        if "truncated" in msg or "broken" in msg.lower():
            raise PhotoError(f"{label}: the file is truncated") from None
        raise PhotoError(f"{label}: the image data is damaged ({msg})") from None
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "I;16N"):
        a = np.asarray(im).astype(np.float32)
        top = 65535.0 if a.max() > 255 else 255.0
        g = np.clip(a / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.dstack([g, g, g])
    if mode == "F":
        a = np.asarray(im, dtype=np.float32)
        top = 1.0 if a.max() <= 1.0 else float(a.max())
        g = np.clip(a / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.dstack([g, g, g])
    wide_rgb = mode.startswith("RGB") and np.asarray(im).dtype != np.uint8
    if mode in ("RGB;16", "RGBA;16", "RGBX;16") or wide_rgb:
        a = np.asarray(im).astype(np.float32)[..., :3]
        return np.clip(a / 257.0 + 0.5, 0, 255).astype(np.uint8)
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in im.info):
        from PIL import Image

        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
    if mode != "RGB":
        im = im.convert("RGB")
    return np.asarray(im)


def _apply_orientation(rgb: np.ndarray, orientation: int) -> np.ndarray:
    """Apply EXIF orientation 1-8 (as PIL's ``ImageOps.exif_transpose`` does)."""
    if orientation == 2:
        return rgb[:, ::-1]
    if orientation == 3:
        return rgb[::-1, ::-1]
    if orientation == 4:
        return rgb[::-1, :]
    if orientation == 5:
        return np.transpose(rgb, (1, 0, 2))
    if orientation == 6:
        return np.rot90(rgb, k=-1)
    if orientation == 7:
        return np.rot90(rgb, k=1)[:, ::-1]
    if orientation == 8:
        return np.rot90(rgb, k=1)
    return rgb


#: Capture and treatment times are taken only within these years: a camera clock reset to 1970 or
#: a date of 9999-12-31 is a mistake, not a time (and 9999-12-31 -23:59 is past what Python's
#: datetime can hold in UTC).
EARLIEST_YEAR = 1990
LATEST_YEAR = 2199


def plausible_time(when: datetime) -> bool:
    """True when the timezone-aware ``when`` falls within EARLIEST_YEAR..LATEST_YEAR in UTC."""
    try:
        utc = when.astimezone(UTC)
    except (OverflowError, ValueError):
        return False
    return EARLIEST_YEAR <= utc.year <= LATEST_YEAR


def _parse_offset(text: str) -> timezone | None:
    text = text.strip().strip("\x00")
    if len(text) == 6 and text[0] in "+-" and text[3] == ":":
        try:
            sign = 1 if text[0] == "+" else -1
            return timezone(sign * timedelta(hours=int(text[1:3]), minutes=int(text[4:6])))
        except ValueError:
            return None
    if text.upper() == "Z":
        return UTC
    return None


def _capture_time(exif, mtime: float | None) -> tuple[datetime | None, str]:
    """EXIF DateTimeOriginal (with OffsetTimeOriginal when present), else the file time."""
    if exif:
        try:
            sub = exif.get_ifd(_EXIF_IFD)
        except Exception:
            sub = {}
        raw = sub.get(_TAG_DATETIME_ORIGINAL) or exif.get(_TAG_DATETIME)
        if isinstance(raw, bytes):
            raw = raw.decode("ascii", "ignore")
        if isinstance(raw, str):
            try:
                naive = datetime.strptime(raw.strip().strip("\x00")[:19], "%Y:%m:%d %H:%M:%S")
            except ValueError:
                naive = None
            if naive is not None and EARLIEST_YEAR <= naive.year <= LATEST_YEAR:
                off = sub.get(_TAG_OFFSET_TIME_ORIGINAL)
                if isinstance(off, bytes):
                    off = off.decode("ascii", "ignore")
                tz = _parse_offset(off) if isinstance(off, str) else None
                if tz is not None:
                    when = naive.replace(tzinfo=tz)
                    if plausible_time(when):
                        return when, "exif"
                else:
                    # No offset recorded: the camera's wall clock, taken as this computer's zone.
                    try:
                        when = naive.astimezone()
                    except (OverflowError, ValueError):
                        when = None
                    if when is not None and plausible_time(when):
                        return when, "exif_local"
    if mtime is not None:
        return datetime.fromtimestamp(mtime, tz=UTC), "file_time"
    return None, "unknown"
