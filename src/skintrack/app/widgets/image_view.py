"""Picture widgets: a fitted photo with circles drawn over it, and a before/after swipe view."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from skintrack.app.qtimage import rgb_to_qimage

BACKGROUND = QColor(38, 42, 46)
PLACEHOLDER = QColor(190, 196, 202)


@dataclass(frozen=True)
class Circle:
    """A circle to draw over the picture, in picture pixels."""

    x: float
    y: float
    radius: float
    colour: tuple[int, int, int] = (255, 200, 0)
    label: str = ""
    dashed: bool = False


def _as_qimage(image) -> QImage | None:
    if image is None:
        return None
    if isinstance(image, QImage):
        return image
    return rgb_to_qimage(np.asarray(image))


def fitted_rect(image_w: int, image_h: int, area: QRectF) -> QRectF:
    """Where a picture of this size is drawn inside ``area``, aspect kept, centred."""
    if image_w <= 0 or image_h <= 0:
        return QRectF()
    s = min(area.width() / image_w, area.height() / image_h)
    w, h = image_w * s, image_h * s
    return QRectF(area.x() + (area.width() - w) / 2, area.y() + (area.height() - h) / 2, w, h)


class ImageView(QWidget):
    """Shows one picture fitted to the widget, with optional circles; clicks report picture pixels."""

    clicked = Signal(float, float)

    def __init__(self, placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self._circles: tuple[Circle, ...] = ()
        self._placeholder = placeholder
        self._smooth = True
        self.paint_count = 0  # pictures painted (the preview benchmark counts what reached the screen)
        self.setMinimumSize(160, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    # --- model --------------------------------------------------------------------------------
    def set_image(self, image, *, smooth: bool = True) -> None:
        """Show ``image`` (QImage or RGB array; ``None`` shows the placeholder)."""
        self._image = _as_qimage(image)
        self._smooth = smooth
        self.update()

    def image(self) -> QImage | None:
        return self._image

    def set_circles(self, circles) -> None:
        self._circles = tuple(circles)
        self.update()

    def circles(self) -> tuple[Circle, ...]:
        return self._circles

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self.update()

    def placeholder(self) -> str:
        return self._placeholder

    # --- geometry -----------------------------------------------------------------------------
    def image_rect(self) -> QRectF:
        if self._image is None:
            return QRectF()
        return fitted_rect(self._image.width(), self._image.height(), QRectF(self.rect()))

    def to_widget(self, x: float, y: float) -> QPointF:
        r = self.image_rect()
        s = r.width() / max(1, self._image.width()) if self._image else 1.0
        return QPointF(r.x() + x * s, r.y() + y * s)

    def to_image(self, p: QPointF) -> tuple[float, float]:
        r = self.image_rect()
        s = r.width() / max(1, self._image.width()) if self._image else 1.0
        return ((p.x() - r.x()) / s, (p.y() - r.y()) / s)

    # --- painting -----------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.fillRect(self.rect(), BACKGROUND)
        if self._image is None:
            self._paint_placeholder(p)
            return
        self.paint_count += 1
        rect = self.image_rect()
        size = self._image.deviceIndependentSize()
        if abs(rect.width() - size.width()) < 1.0 and abs(rect.height() - size.height()) < 1.0:
            # Made at its on-screen size (the live preview): a plain copy, no scaling.
            p.drawImage(QPointF(round(rect.x()), round(rect.y())), self._image)
        else:
            if self._smooth:
                p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            p.drawImage(rect, self._image)
        self.paint_overlay(p)
        p.end()

    def _paint_placeholder(self, p: QPainter) -> None:
        if self._placeholder:
            p.setPen(PLACEHOLDER)
            f = QFont(self.font())
            f.setPointSizeF(f.pointSizeF() * 1.15)
            p.setFont(f)
            p.drawText(
                self.rect().adjusted(24, 24, -24, -24),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self._placeholder,
            )
        p.end()

    def paint_overlay(self, p: QPainter) -> None:
        if not self._circles or self._image is None:
            return
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        s = self.image_rect().width() / max(1, self._image.width())
        for c in self._circles:
            pen = QPen(QColor(*c.colour), 2.5)
            if c.dashed:
                pen.setStyle(Qt.PenStyle.DashLine)
            p.setPen(pen)
            centre = self.to_widget(c.x, c.y)
            r = max(6.0, c.radius * s + 4)
            p.drawEllipse(centre, r, r)
            if c.label:
                p.drawText(QPointF(centre.x() + r + 3, centre.y() - r), c.label)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._image is not None and event.button() == Qt.MouseButton.LeftButton:
            x, y = self.to_image(event.position())
            if 0 <= x < self._image.width() and 0 <= y < self._image.height():
                self.clicked.emit(x, y)
        super().mousePressEvent(event)


class SwipeView(QWidget):
    """Two aligned pictures of the same size: *before* left of the divider, *after* right of it.

    Drag with the mouse, or use the Left/Right keys (Home/End for the ends), to move the divider.
    ``set_overlay`` draws a third picture (the redness-change map) over the *after* side.
    """

    split_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._before: QImage | None = None
        self._after: QImage | None = None
        self._overlay: QImage | None = None
        self._overlay_opacity = 0.75
        self._split = 0.5
        self._placeholder = ""
        self._labels = ("Before", "After")
        self.setMinimumSize(200, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Before and after swipe view")
        self.setToolTip("Drag, or use the Left and Right keys, to swipe between the photos")

    def set_images(self, before, after) -> None:
        self._before, self._after = _as_qimage(before), _as_qimage(after)
        self.update()

    def set_overlay(self, image, opacity: float = 0.75) -> None:
        self._overlay = _as_qimage(image)
        self._overlay_opacity = float(opacity)
        self.update()

    def set_labels(self, before: str, after: str) -> None:
        self._labels = (before, after)
        self.update()

    def labels(self) -> tuple[str, str]:
        return self._labels

    def has_overlay(self) -> bool:
        return self._overlay is not None

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self.update()

    def split(self) -> float:
        return self._split

    def set_split(self, value: float) -> None:
        value = float(min(1.0, max(0.0, value)))
        if value != self._split:
            self._split = value
            self.split_changed.emit(value)
            self.update()

    def image_rect(self) -> QRectF:
        ref = self._before or self._after
        if ref is None:
            return QRectF()
        return fitted_rect(ref.width(), ref.height(), QRectF(self.rect()))

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.fillRect(self.rect(), BACKGROUND)
        r = self.image_rect()
        if r.isEmpty():
            if self._placeholder:
                p.setPen(PLACEHOLDER)
                p.drawText(
                    self.rect().adjusted(24, 24, -24, -24),
                    Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                    self._placeholder,
                )
            p.end()
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        xs = r.x() + r.width() * self._split
        if self._before is not None:
            p.save()
            p.setClipRect(QRectF(r.x(), r.y(), xs - r.x(), r.height()))
            p.drawImage(r, self._before)
            p.restore()
        if self._after is not None:
            p.save()
            p.setClipRect(QRectF(xs, r.y(), r.right() - xs, r.height()))
            p.drawImage(r, self._after)
            if self._overlay is not None:
                p.setOpacity(self._overlay_opacity)
                p.drawImage(r, self._overlay)
            p.restore()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(QColor(255, 255, 255), 2))
        p.drawLine(QPointF(xs, r.top()), QPointF(xs, r.bottom()))
        p.setBrush(QColor(255, 255, 255))
        p.drawEllipse(QPointF(xs, r.center().y()), 9, 9)
        p.setPen(QColor(255, 255, 255))
        f = QFont(self.font())
        f.setBold(True)
        p.setFont(f)
        # Labels on a dark backing so they read on any photo.
        for text, left in ((self._labels[0], True), (self._labels[1], False)):
            width = p.fontMetrics().horizontalAdvance(text) + 14
            box = QRectF(
                r.x() + 6 if left else r.right() - 6 - width, r.y() + 6, width, p.fontMetrics().height() + 6
            )
            p.fillRect(box, QColor(0, 0, 0, 140))
            p.drawText(box, int(Qt.AlignmentFlag.AlignCenter), text)
        if self.hasFocus():
            p.setPen(QPen(QColor(120, 190, 255), 2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(self.rect().adjusted(1, 1, -1, -1))
        p.end()

    def _split_at(self, x: float) -> None:
        r = self.image_rect()
        if r.width() > 0:
            self.set_split((x - r.x()) / r.width())

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._split_at(event.position().x())

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._split_at(event.position().x())

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        key = event.key()
        if key == Qt.Key.Key_Left:
            self.set_split(self._split - 0.05)
        elif key == Qt.Key.Key_Right:
            self.set_split(self._split + 0.05)
        elif key == Qt.Key.Key_Home:
            self.set_split(0.0)
        elif key == Qt.Key.Key_End:
            self.set_split(1.0)
        else:
            super().keyPressEvent(event)
