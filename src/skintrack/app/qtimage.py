"""RGB ``uint8`` arrays <-> QImage, at one place."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage, QPixmap


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """A QImage that owns a copy of ``rgb`` (``(h, w, 3) uint8``); safe to pass between threads."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, int(rgb.strides[0]), QImage.Format.Format_RGB888).copy()


def rgb_to_screen_image(rgb: np.ndarray) -> QImage:
    """A ``Format_RGB32`` QImage of ``rgb``: the format window surfaces use, so painting it at
    its own size is a plain copy (RGB888 would be converted on every paint, on the GUI thread).
    """
    import cv2

    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w = rgb.shape[:2]
    image = QImage(w, h, QImage.Format.Format_RGB32)
    # RGB32 pixels are 0xffRRGGBB words: bytes B, G, R, 255 in little-endian memory.
    rows = np.frombuffer(image.bits(), np.uint8).reshape(h, image.bytesPerLine())[:, : w * 4]
    pixels = rows.reshape(h, w, 4)  # a view: RGB32 rows are exactly w * 4 bytes
    out = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGRA, dst=pixels)
    if out is not pixels and not np.shares_memory(out, pixels):
        pixels[...] = out
    return image


def rgb_to_pixmap(rgb: np.ndarray) -> QPixmap:
    return QPixmap.fromImage(rgb_to_qimage(rgb))


def qimage_to_rgb(image: QImage) -> np.ndarray:
    """A ``(h, w, 3) uint8`` copy of a QImage's pixels."""
    img = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    buf = np.frombuffer(img.constBits(), np.uint8, count=bpl * h).reshape(h, bpl)
    return buf[:, : w * 3].reshape(h, w, 3).copy()
