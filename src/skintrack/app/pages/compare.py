"""Compare page: the baseline and a later photo aligned, a swipe between them, and the
redness-change map as an overlay, with the per-region numbers beside them."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSlider,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from skintrack.app.model import AppModel
from skintrack.app.pages.common import Banner, hint_label, html_list, title_label
from skintrack.app.widgets.image_view import SwipeView
from skintrack.core.readable import signed_number
from skintrack.core.regions import REGION_NAMES
from skintrack.words import region_name, region_title

GRADE_TEXT = {
    "none": "no change",
    "mild": "mildly redder",
    "moderate": "moderately redder",
    "marked": "markedly redder",
}


class ComparePage(QWidget):
    """Shows ``model.comparison`` (a :class:`~skintrack.app.controller.CompareView`).

    Emits ``later_chosen(index)`` when the person picks another later photo from the list.
    """

    later_chosen = Signal(int)

    def __init__(self, model: AppModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        lay = QVBoxLayout(self)
        lay.addWidget(title_label("Compare with the baseline"))
        lay.addWidget(
            hint_label(
                "The later photo is warped onto the baseline so the same skin sits at the same place. "
                "Drag the divider (or use the Left and Right keys) to swipe between them."
            )
        )

        top = QHBoxLayout()
        top.addWidget(QLabel("Later photo:"))
        self.chooser = QComboBox()
        self.chooser.setMinimumWidth(260)
        self.chooser.activated.connect(self.later_chosen.emit)
        top.addWidget(self.chooser)
        self.map_box = QCheckBox("Show the redness-change &map")
        self.map_box.toggled.connect(self._apply_overlay)
        top.addWidget(self.map_box)
        top.addStretch(1)
        lay.addLayout(top)

        body = QHBoxLayout()
        left = QVBoxLayout()
        self.swipe = SwipeView()
        self.swipe.set_placeholder(
            'Take a photo after treatment (Capture page, "After treatment") '
            "to compare it with your baseline photo."
        )
        left.addWidget(self.swipe, 1)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setValue(50)
        self.slider.setAccessibleName("Swipe position")
        self.slider.valueChanged.connect(lambda v: self.swipe.set_split(v / 100))
        self.swipe.split_changed.connect(lambda f: self.slider.setValue(round(f * 100)))
        left.addWidget(self.slider)
        body.addLayout(left, 3)

        side = QVBoxLayout()
        self.banner = Banner()
        side.addWidget(self.banner)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Region", "Change (Δa*)", "Meaning"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setAccessibleName("Redness change per region")
        side.addWidget(self.table, 1)
        self.note = hint_label()
        side.addWidget(self.note)
        body.addLayout(side, 2)
        lay.addLayout(body, 1)

        model.comparison_changed.connect(lambda _c: self.refresh())
        model.photos_changed.connect(self._fill_chooser)
        model.baseline_changed.connect(lambda _b: self.refresh())
        self.refresh()

    def _fill_chooser(self) -> None:
        self.chooser.blockSignals(True)
        self.chooser.clear()
        for i, later in enumerate(self.model.laters):
            self.chooser.addItem(f"{i + 1}. {later.label}")
        current = self.model.comparison
        if current is not None and current.later in self.model.laters:
            self.chooser.setCurrentIndex(self.model.laters.index(current.later))
        elif self.model.laters:
            self.chooser.setCurrentIndex(len(self.model.laters) - 1)
        self.chooser.blockSignals(False)

    def refresh(self) -> None:
        self._fill_chooser()
        view = self.model.comparison
        if view is None:
            self.swipe.set_images(None, None)
            self.map_box.setEnabled(False)
            self.table.setRowCount(0)
            base = self.model.baseline
            self.banner.set(
                "Nothing to compare yet" if base is None else "Baseline ready",
                "First take a baseline photo before treatment."
                if base is None
                else "Take a photo after treatment to see how the redness changes.",
                "neutral",
            )
            self.note.setText("")
            return
        after = view.warped
        if after is None:  # no face to align on: show the later photo as it is, same size
            import cv2

            h, w = view.base_display.shape[:2]
            after = cv2.resize(view.later_analysis.photo.rgb, (w, h), interpolation=cv2.INTER_AREA)
        self.swipe.set_images(view.base_display, after)
        self.map_box.setEnabled(view.delta_image is not None)
        self._apply_overlay()
        self._show_numbers(view)

    def _apply_overlay(self) -> None:
        view = self.model.comparison
        if view is not None and view.delta_image is not None and self.map_box.isChecked():
            self.swipe.set_overlay(view.delta_image, 1.0)
            self.swipe.set_labels("Before", "Redness change (blue less red, red redder)")
        else:
            self.swipe.set_overlay(None)
            self.swipe.set_labels("Before", "After")

    def _show_numbers(self, view) -> None:
        c = view.comparison
        self.table.setRowCount(0)
        notes = []
        if view.warped is None:
            notes.append("No face was found in one of the photos, so they are shown unaligned.")
        if c is None:
            self.banner.set(
                "Photos side by side",
                "The redness change cannot be measured: each photo needs one clearly visible face.",
                "neutral",
            )
            self.note.setText(" ".join(notes))
            return
        if not c.same_person:
            self.banner.set(
                "These look like two different people",
                html_list(c.warnings) or "The later photo is not compared.",
                "postpone",
            )
            self.note.setText(" ".join(notes))
            return
        redder = [n for n, rc in c.regions.items() if rc.real_change and rc.delta_a_star > 0]
        if redder:
            names = ", ".join(region_name(n) for n in redder)
            self.banner.set(
                "Redder than the baseline",
                f"A real change, redder: {html.escape(names)}. "
                "See the Recovery page for whether that is expected now.",
                "review",
            )
        else:
            self.banner.set(
                "No real change in redness",
                "Every region is within what repeat photos of unchanged skin vary by.",
                "go",
            )
        for name in REGION_NAMES:
            rc = c.regions.get(name)
            if rc is None:
                continue
            row = self.table.rowCount()
            self.table.insertRow(row)
            label = region_title(name) + (" (treated)" if name in self.model.treated else "")
            self.table.setItem(row, 0, QTableWidgetItem(label))
            self.table.setItem(
                row, 1, QTableWidgetItem(f"{signed_number(rc.delta_a_star)} ± {rc.uncertainty:.1f}")
            )
            meaning = (
                GRADE_TEXT.get(rc.grade, rc.grade) if rc.real_change else "below the real-change threshold"
            )
            self.table.setItem(row, 2, QTableWidgetItem(meaning))
        from skintrack.core.compare import REAL_CHANGE_A_STAR

        norm = c.normalisation
        notes.append(
            f"Normalisation: {norm.method.replace('_', ' ')}"
            + (f" (reference: {', '.join(norm.reference_regions)})" if norm.reference_regions else "")
            + ". ± is the uncertainty of each "
            f"change (95 %); only a change beyond the real-change threshold (±"
            f"{REAL_CHANGE_A_STAR:.1f}, or the uncertainty when larger) counts as real."
        )
        notes.extend(c.warnings)
        self.note.setText(" ".join(notes))
