"""Small building blocks shared by the pages (titles, section headers, banners)."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from skintrack.words import region_title


def region_checkboxes(on_toggled, columns: int = 3):
    """The six regions as a grid of check boxes (anatomical labels); returns (layout, boxes)."""
    from PySide6.QtWidgets import QCheckBox, QGridLayout

    from skintrack.core.regions import REGION_NAMES

    grid = QGridLayout()
    boxes: dict[str, QCheckBox] = {}
    for i, name in enumerate(REGION_NAMES):
        box = QCheckBox(region_title(name))
        box.toggled.connect(on_toggled)
        grid.addWidget(box, i // columns, i % columns)
        boxes[name] = box
    return grid, boxes


def title_label(text: str) -> QLabel:
    label = QLabel(text)
    f = QFont(label.font())
    f.setPointSizeF(f.pointSizeF() * 1.6)
    f.setBold(True)
    label.setFont(f)
    label.setAccessibleName(text)
    return label


def section_label(text: str) -> QLabel:
    label = QLabel(text)
    f = QFont(label.font())
    f.setPointSizeF(f.pointSizeF() * 1.15)
    f.setBold(True)
    label.setFont(f)
    return label


def hint_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: #5f6368;")
    return label


#: Banner colours (background, text) for decisions and statuses.
BANNER_COLOURS = {
    "go": ("#e7f5ea", "#1e6b34"),
    "review": ("#fff4e0", "#8a4b00"),
    "postpone": ("#fdecea", "#b3261e"),
    "neutral": ("#eef1f4", "#37474f"),
}


class Banner(QFrame):
    """A coloured box with a large headline and a paragraph under it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Banner")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(16, 12, 16, 12)
        self.headline = QLabel()
        f = QFont(self.headline.font())
        f.setPointSizeF(f.pointSizeF() * 1.5)
        f.setBold(True)
        self.headline.setFont(f)
        self.headline.setWordWrap(True)
        self.body = QLabel()
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.headline)
        lay.addWidget(self.body)
        self.tone = "neutral"
        self.set("", "", "neutral")

    def set(self, headline: str, body: str = "", tone: str = "neutral") -> None:
        bg, fg = BANNER_COLOURS.get(tone, BANNER_COLOURS["neutral"])
        self.tone = tone
        self.setStyleSheet(
            f"#Banner {{ background: {bg}; border-radius: 6px; }} #Banner QLabel {{ color: {fg}; }}"
        )
        self.headline.setText(headline)
        self.body.setText(body)
        self.body.setVisible(bool(body))
        self.setAccessibleName(headline)
        self.setAccessibleDescription(body)


def html_list(items) -> str:
    import html

    items = [i for i in items if i]
    if not items:
        return ""
    return (
        "<ul style='margin-left:-20px'>" + "".join(f"<li>{html.escape(str(i))}</li>" for i in items) + "</ul>"
    )


class CaptureTimeDialog(QDialog):
    """Asks when a photo was taken: the reason in words, a date and time field (local time)
    showing the time found in the photo (or now), then "Use this time" or Cancel."""

    def __init__(
        self, message: str, suggested: datetime | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("When was this photo taken?")
        lay = QVBoxLayout(self)
        self.message_label = QLabel(message)
        self.message_label.setWordWrap(True)
        lay.addWidget(self.message_label)
        lay.addWidget(hint_label("Set the date and time the photo was taken (your local time)."))
        when = suggested or datetime.now(UTC)
        self.time_edit = QDateTimeEdit(QDateTime.fromSecsSinceEpoch(int(when.timestamp())))
        self.time_edit.setCalendarPopup(True)
        self.time_edit.setDisplayFormat("dd MMM yyyy  HH:mm")
        self.time_edit.setAccessibleName("Time the photo was taken")
        lay.addWidget(self.time_edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Use this time")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def taken_at(self) -> datetime:
        """The time entered, as an aware datetime (UTC)."""
        return datetime.fromtimestamp(self.time_edit.dateTime().toSecsSinceEpoch(), tz=UTC)
