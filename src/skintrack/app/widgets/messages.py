"""The message bar (errors and notices inside the window) and the progress panel of running tasks."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

_STYLES = {
    "error": ("#fdecea", "#b3261e"),
    "warning": ("#fff4e0", "#a05a00"),
    "info": ("#e8f1fb", "#1f5fa8"),
    "success": ("#e7f5ea", "#1e6b34"),
}


class MessageBar(QFrame):
    """A calm, dismissable message at the top of the window, with an optional action button."""

    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MessageBar")
        self.kind = "info"
        self._action: Callable[[], None] | None = None
        lay = QHBoxLayout(self)
        lay.setContentsMargins(14, 8, 8, 8)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.label, 1)
        self.action_button = QPushButton()
        self.action_button.clicked.connect(self._run_action)
        lay.addWidget(self.action_button)
        self.close_button = QPushButton("Dismiss")
        self.close_button.setToolTip("Hide this message (Esc)")
        self.close_button.clicked.connect(self.dismiss)
        lay.addWidget(self.close_button)
        self.hide()

    def show_message(
        self,
        text: str,
        kind: str = "error",
        *,
        action_text: str = "",
        action: Callable[[], None] | None = None,
    ) -> None:
        bg, fg = _STYLES.get(kind, _STYLES["info"])
        self.kind = kind
        self.setStyleSheet(
            f"#MessageBar {{ background: {bg}; border-left: 5px solid {fg}; "
            f"border-radius: 4px; }} #MessageBar QLabel {{ color: {fg}; }}"
        )
        self.label.setText(text)
        self.setAccessibleName(f"{kind} message")
        self.setAccessibleDescription(text)
        self._action = action
        self.action_button.setVisible(bool(action_text and action))
        self.action_button.setText(action_text)
        self.show()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""

    def dismiss(self) -> None:
        self.hide()
        self.closed.emit()

    def _run_action(self) -> None:
        action = self._action
        self.dismiss()
        if action is not None:
            action()


class ProgressPanel(QFrame):
    """What is running in the background, how far it got, and a Cancel button."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 2, 8, 2)
        self.label = QLabel()
        lay.addWidget(self.label, 1)
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(260)
        self.bar.setTextVisible(False)
        lay.addWidget(self.bar)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop this task; nothing half-done is kept")
        self.cancel_button.clicked.connect(self.cancel_requested.emit)
        lay.addWidget(self.cancel_button)
        self.hide()

    def start(self, label: str) -> None:
        self.label.setText(label)
        self.bar.setRange(0, 0)  # busy until the task reports steps
        self.cancel_button.setEnabled(True)
        self.show()

    def set_progress(self, done: int, total: int, text: str) -> None:
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(done)
        if text:
            self.label.setText(text)

    def finish(self) -> None:
        self.hide()
