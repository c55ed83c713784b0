"""Capture page: the live camera with the face mesh, guidance, the baseline ghost and the shutter.

No camera: the page says so and offers import (file dialog, or drag a photo onto the window).
The preview runs only while the page is on screen.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QKeySequence
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from skintrack.app.camera import FrameSource
from skintrack.app.model import AppModel
from skintrack.app.pages.common import hint_label, title_label
from skintrack.app.preview import PreviewThread
from skintrack.app.widgets.image_view import ImageView
from skintrack.core.verdict import MAX_CHECK_MM_PER_PX

PURPOSE_CHECK = "check"
PURPOSE_RECOVERY = "recovery"


class CapturePage(QWidget):
    """Live capture. Emits ``photo_taken(rgb, purpose)`` and ``import_requested(purpose)``."""

    photo_taken = Signal(object, str)
    import_requested = Signal(str)

    def __init__(
        self, model: AppModel, source_factory: Callable[[], FrameSource], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.source_factory = source_factory
        self.preview: PreviewThread | None = None
        self.camera_message = ""
        self.frames_shown = 0
        self.last_guidance = None
        self.capture_guidance = None  # the guidance of the frame the shutter took

        lay = QVBoxLayout(self)
        lay.addWidget(title_label("Capture"))
        lay.addWidget(
            hint_label(
                "Face the camera in even light from the front, without glasses, hair off the face. "
                "The outline turns green when the photo will be good; the shutter waits for that."
            )
        )

        purpose = QHBoxLayout()
        purpose.addWidget(QLabel("This photo is for:"))
        self.purpose_check = QRadioButton("&Before treatment: check my skin")
        self.purpose_recovery = QRadioButton("&After treatment: track recovery")
        self._purpose_group = QButtonGroup(self)
        for b in (self.purpose_check, self.purpose_recovery):
            self._purpose_group.addButton(b)
            purpose.addWidget(b)
        purpose.addStretch(1)
        self.purpose_check.setChecked(True)
        self.purpose_check.toggled.connect(lambda _on: self._update_detail())
        lay.addLayout(purpose)

        body = QHBoxLayout()
        self.view = ImageView("Starting the camera…")
        self.view.setAccessibleName("Live camera preview")
        body.addWidget(self.view, 3)

        side_widget = QWidget()
        side_widget.setMaximumWidth(360)
        side = QVBoxLayout(side_widget)
        side.setContentsMargins(0, 0, 0, 0)
        self.headline = QLabel("")
        f = QFont(self.headline.font())
        f.setPointSizeF(f.pointSizeF() * 1.35)
        f.setBold(True)
        self.headline.setFont(f)
        self.headline.setWordWrap(True)
        self.headline.setMinimumWidth(260)
        side.addWidget(self.headline)
        self.details = hint_label()
        side.addWidget(self.details)
        side.addStretch(1)
        self.ghost_box = QCheckBox("Show my &baseline photo to line up with")
        self.ghost_box.setChecked(True)
        self.ghost_box.toggled.connect(self._update_ghost)
        side.addWidget(self.ghost_box)
        self.shutter = QPushButton("Take photo")
        self.shutter.setShortcut(QKeySequence(Qt.Key.Key_Space))
        self.shutter.setToolTip(
            "Space: takes the photo as soon as the guidance is satisfied; press again to stop waiting"
        )
        self.shutter.setMinimumHeight(44)
        self.shutter.clicked.connect(self.press_shutter)
        side.addWidget(self.shutter)
        self.import_button = QPushButton("&Import photo…")
        self.import_button.setToolTip("Choose photo files (Ctrl+O), or drag them onto the window")
        self.import_button.clicked.connect(lambda: self.import_requested.emit(self.purpose()))
        side.addWidget(self.import_button)
        self.retry_button = QPushButton("Try the camera &again")
        self.retry_button.clicked.connect(self.start)
        self.retry_button.hide()
        side.addWidget(self.retry_button)
        body.addWidget(side_widget, 1)
        lay.addLayout(body, 1)

        model.baseline_changed.connect(lambda _a: self._update_ghost())
        model.session_changed.connect(lambda _s: self._default_purpose())

    # --- purpose --------------------------------------------------------------------------------
    def purpose(self) -> str:
        return PURPOSE_RECOVERY if self.purpose_recovery.isChecked() else PURPOSE_CHECK

    def set_purpose(self, purpose: str) -> None:
        (self.purpose_recovery if purpose == PURPOSE_RECOVERY else self.purpose_check).setChecked(True)

    def _default_purpose(self) -> None:
        self.set_purpose(PURPOSE_RECOVERY if self.model.baseline is not None else PURPOSE_CHECK)

    def _update_detail(self) -> None:
        """A photo for the check must be fine enough to show small pustules (the verdict's
        ``MAX_CHECK_MM_PER_PX``); one for tracking redness need not."""
        if self.preview is not None:
            self.preview.set_max_mm_per_px(MAX_CHECK_MM_PER_PX if self.purpose() == PURPOSE_CHECK else None)

    # --- preview lifecycle ----------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.start()

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.stop()
        super().hideEvent(event)

    def start(self) -> None:
        if self.preview is not None:
            return
        self.camera_message = ""
        self.retry_button.hide()
        self.view.set_image(None)
        self.view.set_placeholder("Starting the camera…")
        # The last run's guidance would be stale: "Ready" must not show before a new frame.
        self.last_guidance = None
        self.headline.setText("")
        self.details.setText("")
        self._set_shutter_state(armed=False)
        self.preview = PreviewThread(self.source_factory())
        self.preview.frame_ready.connect(self._on_frame)
        self.preview.captured.connect(self._on_captured)
        self.preview.failed.connect(self._on_failed)
        self.preview.ended.connect(self._on_ended)
        self._update_ghost()
        self._update_detail()
        self._send_display_size()
        self.preview.start()
        self._set_shutter_state(armed=False)

    def stop(self) -> None:
        p, self.preview = self.preview, None
        if p is not None:
            p.stop()
            # Drop any picture still queued for this page: the thread is gone.
            p.frame_ready.disconnect(self._on_frame)
            p.deleteLater()
        self._set_shutter_state(armed=False)

    def _update_ghost(self) -> None:
        baseline = self.model.baseline
        has = baseline is not None and baseline.face is not None
        self.ghost_box.setEnabled(has)
        if self.preview is None:
            return
        if has and self.ghost_box.isChecked():
            self.preview.set_ghost(baseline.photo.rgb, baseline.face)
        else:
            self.preview.set_ghost(None)

    # --- shutter ----------------------------------------------------------------------------------
    def press_shutter(self) -> None:
        if self.preview is None:
            return
        self._set_shutter_state(armed=not self.preview.armed)

    def _set_shutter_state(self, *, armed: bool) -> None:
        if self.preview is not None:
            self.preview.arm(armed)
        self.shutter.setText("Waiting for a good frame… (press to stop)" if armed else "Take photo")
        self.shutter.setEnabled(self.preview is not None and not self.camera_message)

    # --- preview signals (GUI thread) -----------------------------------------------------------
    def _send_display_size(self) -> None:
        """Tell the preview thread the picture's size on screen (device pixels); it follows a
        resized window from the next frame on."""
        if self.preview is not None:
            ratio = self.view.devicePixelRatioF()
            self.preview.set_display_size(
                round(self.view.width() * ratio), round(self.view.height() * ratio), ratio
            )

    def _on_frame(self, image, guidance) -> None:
        self._send_display_size()
        self.view.set_image(image, smooth=False)
        self.last_guidance = guidance
        self.frames_shown += 1
        self.headline.setText(guidance.headline)
        rest = guidance.sentences[1:]
        self.details.setText("\n".join(f"• {s}" for s in rest))
        if self.preview is not None:
            self.preview.frame_shown()

    def _on_captured(self, rgb, guidance) -> None:
        self.capture_guidance = guidance
        self._set_shutter_state(armed=False)
        self.photo_taken.emit(rgb, self.purpose())

    def _on_failed(self, message: str) -> None:
        self.camera_message = message
        self.stop()
        self.view.set_image(None)
        self.view.set_placeholder(message)
        self.headline.setText("No camera")
        self.details.setText(
            "Import a photo instead: Import photo, Ctrl+O, or drag a photo file onto this window."
        )
        self.shutter.setEnabled(False)
        self.retry_button.show()
        self.import_button.setFocus()

    def _on_ended(self) -> None:
        self.stop()
        self.view.set_placeholder(
            "The camera stopped sending pictures. Try the camera again, or import a photo."
        )
        self.retry_button.show()
