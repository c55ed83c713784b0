"""The check page's findings: the colour a finding is circled in, its zoomed crop, and the row
that shows it with Confirm / Dismiss buttons (:class:`FindingRowWidget`)."""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from skintrack.app.pages.common import hint_label
from skintrack.app.qtimage import rgb_to_pixmap
from skintrack.core import protocol
from skintrack.core.crops import finding_crop
from skintrack.report.text import CERTAINTY_NOTE
from skintrack.words import kind_title, region_phrase, region_title

#: Findings shown with crops; the rest are circled on the photo only (a busy acne photo can have
#: dozens, and the ones that matter for the verdict are listed first).
MAX_FINDING_ROWS = 24
CROP_PX = 112

_RED, _YELLOW, _GREY = (255, 80, 60), (255, 200, 0), (170, 170, 170)
#: Padding where a close-up leaves the photo: the dark of the page, so every row lines up.
_PAD = (38, 42, 46)


def finding_colour(finding, choice: str | None, counted: bool = True) -> tuple[int, int, int]:
    """Red for the kinds that postpone treatment, yellow for other acne, grey when dismissed or
    not counted (off the skin, or away from the treated regions)."""
    if choice == "dismissed" or not counted:
        return _GREY
    return _RED if finding.kind in protocol.POSTPONE_KINDS else _YELLOW


def finding_close_up(rgb: np.ndarray, finding, size: int = CROP_PX) -> np.ndarray:
    """The finding's close-up (:func:`skintrack.core.crops.finding_crop`, as the reports show
    it), ringed in the colour it is circled in on the photo."""
    return finding_crop(
        rgb,
        finding.x,
        finding.y,
        finding.radius_px,
        size=size,
        ring_rgb=finding_colour(finding, None),
        pad_rgb=_PAD,
    )


class FindingRowWidget(QFrame):
    """One finding: the zoomed crop, what it may be, what it means for the verdict, and
    Confirm / Dismiss buttons."""

    choice_made = Signal(str, object)  # finding id, "confirmed" | "dismissed" | None

    def __init__(self, rgb: np.ndarray, finding, parent=None) -> None:
        super().__init__(parent)
        self.finding = finding
        self.not_counted = ""
        self.setFrameShape(QFrame.Shape.StyledPanel)
        lay = QHBoxLayout(self)
        crop = QLabel()
        crop.setPixmap(rgb_to_pixmap(finding_close_up(rgb, finding)))
        crop.setAccessibleName("zoomed view of the finding")
        lay.addWidget(crop)
        text = QVBoxLayout()
        kind = kind_title(finding.kind)
        if finding.region:
            where = region_title(finding.region)
        elif finding.near_regions:
            where = "Next to " + region_phrase(finding.near_regions[0])
        else:
            where = "Edge of the face"
        size = f"{finding.diameter_mm:.1f} mm" if finding.diameter_mm else f"{2 * finding.radius_px:.0f} px"
        self.title = QLabel(f"<b>{html.escape(kind)}</b>")
        text.addWidget(self.title)
        hint = hint_label(f"{where} · about {size} · certainty {finding.score:.0%}")
        hint.setToolTip(CERTAINTY_NOTE)
        text.addWidget(hint)
        self.effect = QLabel()
        self.effect.setWordWrap(True)
        text.addWidget(self.effect)
        buttons = QHBoxLayout()
        self.confirm = QPushButton("Yes, it is there")
        self.confirm.setCheckable(True)
        self.dismiss = QPushButton("No, dismiss")
        self.dismiss.setCheckable(True)
        self.dismiss.setToolTip("For example a freckle, a mole or a shadow")
        self.confirm.clicked.connect(lambda on: self._choose("confirmed" if on else None))
        self.dismiss.clicked.connect(lambda on: self._choose("dismissed" if on else None))
        buttons.addWidget(self.confirm)
        buttons.addWidget(self.dismiss)
        buttons.addStretch(1)
        text.addLayout(buttons)
        lay.addLayout(text, 1)
        self.setAccessibleName(f"Finding: {kind}, {where}")

    def set_state(self, choice: str | None, effect: str | None, not_counted: str = "") -> None:
        """Show the person's choice and what the finding does to the verdict
        (``"postpone"``, ``"review"`` or ``None``); ``not_counted`` says why it does not count
        (off the skin, away from the treated regions): the row is then greyed."""
        self.not_counted = not_counted
        self.confirm.setChecked(choice == "confirmed")
        self.dismiss.setChecked(choice == "dismissed")
        self.title.setEnabled(not not_counted)
        if choice == "dismissed":
            text, colour = "Dismissed: not counted.", "#5f6368"
        elif not_counted:
            text, colour = f"Not counted: {not_counted}.", "#5f6368"
        elif effect == "postpone":
            text, colour = "This postpones treatment.", "#b3261e"
        elif effect == "review":
            text, colour = "Please look: is it there? Confirm or dismiss it.", "#8a4b00"
        elif choice == "confirmed":
            text, colour = "Confirmed.", "#37474f"
        else:
            text, colour = "", "#37474f"
        self.effect.setText(text)
        self.effect.setStyleSheet(f"color: {colour};")
        self.effect.setVisible(bool(text))

    def _choose(self, choice) -> None:
        self.choice_made.emit(self.finding.id, choice)
