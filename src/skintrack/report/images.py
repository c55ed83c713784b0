"""Display images for reports: crop, reduce, encode without metadata, and prove there is none.

Reports leave the computer (a person mails one to a doctor), so nothing in them may carry what
the camera wrote into a photo: EXIF (device, serial numbers, GPS location, capture time), XMP or
IPTC. Report images are always re-encoded here from pixel arrays, which carry no metadata, and
:func:`metadata_markers` checks encoded bytes so the writers (and the tests) can refuse any that
slipped through.
"""

from __future__ import annotations

import base64
import io
import re

import numpy as np


def crop(
    rgb: np.ndarray,
    box: tuple[float, float, float, float],
    *,
    aspect: float | None = None,
    margin: float = 0.0,
) -> np.ndarray:
    """Cut ``box`` (x0, y0, x1, y1, photo pixels) out of ``rgb``, grown by ``margin``.

    Parameters
    ----------
    rgb : ndarray
        ``(h, w, 3) uint8`` image.
    box : tuple of float
        Area to keep, pixels (x0, y0, x1, y1).
    aspect : float, optional
        Width / height wanted; the box is widened or heightened (never shrunk) to it.
    margin : float
        Growth on every side, as a fraction of the box's larger side.

    Returns
    -------
    ndarray
        The crop (a copy), clipped to the image; padding with black where the grown box leaves it.
    """
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = (float(v) for v in box)
    if not (x1 > x0 and y1 > y0):
        raise ValueError("crop box must have x1 > x0 and y1 > y0")
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    bw, bh = x1 - x0, y1 - y0
    grow = margin * max(bw, bh)
    bw, bh = bw + 2 * grow, bh + 2 * grow
    if aspect:
        if bw / bh < aspect:
            bw = bh * aspect
        else:
            bh = bw / aspect
    ix0, iy0 = int(round(cx - bw / 2)), int(round(cy - bh / 2))
    ix1, iy1 = ix0 + max(2, int(round(bw))), iy0 + max(2, int(round(bh)))
    out = np.zeros((iy1 - iy0, ix1 - ix0, 3), np.uint8)
    sx0, sy0, sx1, sy1 = max(ix0, 0), max(iy0, 0), min(ix1, w), min(iy1, h)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - iy0 : sy1 - iy0, sx0 - ix0 : sx1 - ix0] = rgb[sy0:sy1, sx0:sx1]
    return out


def fit(rgb: np.ndarray, max_width: int, max_height: int) -> np.ndarray:
    """Reduce ``rgb`` (never enlarge) to fit ``max_width`` x ``max_height`` pixels, keeping its shape."""
    import cv2

    h, w = rgb.shape[:2]
    scale = min(max_width / w, max_height / h, 1.0)
    if scale >= 1.0:
        return np.ascontiguousarray(rgb)
    size = (max(2, int(round(w * scale))), max(2, int(round(h * scale))))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def encode_jpeg(rgb: np.ndarray, *, quality: int = 85) -> bytes:
    """JPEG bytes of ``rgb`` with no EXIF, XMP, IPTC or ICC segment (baseline JFIF, sRGB assumed)."""
    from PIL import Image

    buf = io.BytesIO()
    # Pillow writes only the JFIF header for an array-born image; exif=b"" makes that explicit.
    Image.fromarray(np.ascontiguousarray(rgb, np.uint8), "RGB").save(
        buf, "JPEG", quality=int(quality), optimize=True, exif=b""
    )
    data = buf.getvalue()
    _refuse_metadata(data)
    return data


def encode_png(rgb: np.ndarray) -> bytes:
    """PNG bytes of ``rgb`` with no text, EXIF, time or ICC chunks."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb, np.uint8), "RGB").save(
        buf, "PNG", optimize=False, compress_level=6
    )
    data = buf.getvalue()
    _refuse_metadata(data)
    return data


def data_uri(data: bytes, mime: str) -> str:
    """A ``data:`` URI holding ``data`` (base64)."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


_JPEG_APP_NAMES = {0xE1: "APP1 (EXIF/XMP)", 0xE2: "APP2 (ICC/FlashPix)", 0xED: "APP13 (IPTC)"}
_PNG_META_CHUNKS = (b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME", b"iCCP")


def metadata_markers(data: bytes) -> list[str]:
    """Names of metadata blocks found in encoded image bytes (JPEG, PNG, SVG); empty when clean.

    JPEG: APP1 (EXIF, XMP), APP2 (ICC), APP13 (IPTC) segments and any ``Exif`` header. PNG: the
    ``eXIf``, text, time and ICC chunks. SVG: ``<metadata>`` elements. Any format: the GPS tag
    names EXIF and XMP use.
    """
    found: list[str] = []
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 4 <= len(data) and data[i] == 0xFF:
            marker = data[i + 1]
            if marker == 0xDA:  # start of scan: no more header segments
                break
            length = int.from_bytes(data[i + 2 : i + 4], "big")
            if marker in _JPEG_APP_NAMES:
                found.append(_JPEG_APP_NAMES[marker])
            i += 2 + length
    elif data[:8] == b"\x89PNG\r\n\x1a\n":
        i = 8
        while i + 8 <= len(data):
            length = int.from_bytes(data[i : i + 4], "big")
            ctype = data[i + 4 : i + 8]
            if ctype in _PNG_META_CHUNKS:
                found.append(ctype.decode("ascii"))
            i += 12 + length
    elif b"<svg" in data[:4096]:
        if re.search(rb"<metadata[\s>]", data):
            found.append("svg metadata")
    if b"Exif\x00\x00" in data:
        found.append("Exif header")
    if re.search(rb"GPS(Latitude|Longitude|Info)|exif:GPS", data):
        found.append("GPS")
    return found


def _refuse_metadata(data: bytes) -> None:
    found = metadata_markers(data)
    if found:  # a library changed behaviour; never let a report carry what it found
        raise RuntimeError(f"encoded report image still carries metadata: {', '.join(found)}")
