"""Sessions page: the list of treatment sessions; create, open, delete (with confirmation), export."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from skintrack.app.model import AppModel
from skintrack.app.pages.common import (
    hint_label,
    region_checkboxes,
    section_label,
    title_label,
)
from skintrack.core import protocol
from skintrack.words import and_list, capitalised, device_name, region_name, region_phrase

#: The treatment start offered by default: soon, so the baseline photo and the check come first.
DEFAULT_START_IN = timedelta(minutes=30)


def technique_html(device: str, treated: tuple[str, ...]) -> str:
    """The technique steps for ``device`` on the ``treated`` regions, with the protocol's
    sentences (:func:`skintrack.core.protocol.technique_steps`)."""
    import html

    where = and_list(region_phrase(r) for r in treated) or "the areas you tick"
    steps = "".join(f"<li>{html.escape(s)}</li>" for s in protocol.technique_steps(device))
    sentences = " ".join(f"“{html.escape(s)}”" for s in (protocol.SRC_TECHNIQUE, protocol.SRC_ENDPOINT))
    return (
        f"“{html.escape(protocol.SRC_PART_TECHNIQUE)}” On {html.escape(where)}:"
        f"<ol style='margin-left:-20px'>{steps}</ol>"
        f"{html.escape(protocol.ENDPOINT_PHOTO_HINT)} Afterwards, the Recovery page asks how "
        "you feel: “"
        f"{html.escape(protocol.SRC_PART_REACTIONS)}”<br><span style='font-size:small; "
        f"font-style:italic; color:#5f6368'>Protocol: {sentences}</span>"
    )


class NewSessionDialog(QDialog):
    """Device, needle length, treated areas and treatment start of a new session."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New treatment session")
        lay = QVBoxLayout(self)
        lay.addWidget(
            hint_label(
                "Before treatment, take a photo: skintrack checks your skin and keeps it as the "
                "baseline that later photos are compared with."
            )
        )
        form = QFormLayout()
        self.device = QComboBox()
        for d in protocol.DEVICES:
            self.device.addItem(capitalised(device_name(d)), d)
        self.device.currentIndexChanged.connect(self._show_technique)
        form.addRow("&Device:", self.device)
        self.needle = QDoubleSpinBox()
        self.needle.setRange(0.05, 3.0)
        self.needle.setSingleStep(0.05)
        self.needle.setDecimals(2)
        self.needle.setSuffix(" mm")
        self.needle.setValue(protocol.HOME_NEEDLE_MIN_MM)
        self.needle.valueChanged.connect(self._needle_changed)
        form.addRow("&Needle length:", self.needle)
        self.needle_note = hint_label()
        form.addRow("", self.needle_note)
        regions, self.region_boxes = region_checkboxes(self._validate)
        form.addRow("Areas to treat:", regions)
        self.start = QDateTimeEdit(QDateTime.currentDateTime().addSecs(int(DEFAULT_START_IN.total_seconds())))
        self.start.setCalendarPopup(True)
        self.start.setDisplayFormat("dd MMM yyyy  HH:mm")
        form.addRow("Treatment &starts:", self.start)
        self.notes = QLineEdit()
        self.notes.setPlaceholderText("optional: products, anything to remember")
        form.addRow("N&otes:", self.notes)
        lay.addLayout(form)
        # Issue 17: the technique in plain steps, where the person starts the session.
        lay.addWidget(section_label("How to treat"))
        self.technique = QLabel()
        self.technique.setWordWrap(True)
        self.technique.setTextFormat(Qt.TextFormat.RichText)
        self.technique.setAccessibleName("How to treat, step by step")
        lay.addWidget(self.technique)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create session")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self._needle_changed()
        self._validate()

    def _show_technique(self) -> None:
        self.technique.setText(
            technique_html(
                self.device.currentData(), tuple(n for n, b in self.region_boxes.items() if b.isChecked())
            )
        )
        self.technique.setToolTip(f"Protocol: “{protocol.SRC_SERUM}”")
        self.adjustSize()  # the steps differ per device: keep every line in view

    def _needle_changed(self) -> None:
        mm = self.needle.value()
        if mm > protocol.HOME_NEEDLE_MAX_MM:
            self.needle_note.setText(
                f"Over {protocol.HOME_NEEDLE_MAX_MM:g} mm is medical grade and not for home use."
            )
            self.needle_note.setStyleSheet("color: #b3261e;")
        else:
            self.needle_note.setText(
                f"Home range: {protocol.HOME_NEEDLE_MIN_MM:g}–{protocol.HOME_NEEDLE_MAX_MM:g} mm."
            )
            self.needle_note.setStyleSheet("color: #5f6368;")

    def _validate(self) -> None:
        ok = any(b.isChecked() for b in self.region_boxes.values())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
        if hasattr(self, "technique"):
            self._show_technique()

    def values(self) -> dict:
        start = self.start.dateTime().toSecsSinceEpoch()
        return {
            "device": self.device.currentData(),
            "needle_mm": round(self.needle.value(), 2),
            "treated_regions": tuple(n for n, b in self.region_boxes.items() if b.isChecked()),
            "treated_at": datetime.fromtimestamp(start, tz=UTC),
            "notes": self.notes.text().strip(),
        }


class SessionsPage(QWidget):
    """Signals ask the controller to act: ``create_requested(dict)``, ``open_requested(id)``,
    ``delete_requested(id)`` (already confirmed), ``export_requested(id)``."""

    create_requested = Signal(dict)
    open_requested = Signal(int)
    delete_requested = Signal(int)
    export_requested = Signal(int)

    def __init__(
        self,
        model: AppModel,
        *,
        available: bool = True,
        can_delete: bool = True,
        can_export: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.available = available
        lay = QVBoxLayout(self)
        lay.addWidget(title_label("Sessions"))
        lay.addWidget(
            hint_label(
                "One session per treatment: the photo before, the check, and the photos after while "
                "the redness fades. Everything stays on this computer."
            )
        )
        self.current = QLabel()
        self.current.setWordWrap(True)
        lay.addWidget(self.current)
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(
            ["Session", "Treatment start", "Device", "Treated areas", "Photos", "Baseline"]
        )
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setAccessibleName("Sessions")
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        self.table.itemSelectionChanged.connect(self._selection_changed)
        lay.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.new_button = QPushButton("&New session…")
        self.new_button.setToolTip("Ctrl+N")
        self.new_button.clicked.connect(self.new_session)
        self.open_button = QPushButton("&Open")
        self.open_button.clicked.connect(self.open_selected)
        self.delete_button = QPushButton("&Delete…")
        self.delete_button.clicked.connect(self.delete_selected)
        self.export_button = QPushButton("&Export report…")
        self.export_button.clicked.connect(self.export_selected)
        for b in (self.new_button, self.open_button, self.delete_button, self.export_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        lay.addLayout(buttons)
        self._can_delete = can_delete
        self._can_export = can_export
        if not can_delete:
            self.delete_button.setToolTip("Deleting sessions is not available in this version.")
        if not can_export:
            self.export_button.setToolTip("Report export is not available in this version yet.")
        QShortcut(
            QKeySequence.StandardKey.New,
            self,
            activated=self.new_session,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        QShortcut(QKeySequence(Qt.Key.Key_Delete), self.table, activated=self.delete_selected)
        QShortcut(QKeySequence(Qt.Key.Key_Return), self.table, activated=self.open_selected)
        model.sessions_changed.connect(self.refresh)
        model.session_changed.connect(lambda _s: self.refresh())
        if not available:
            self.current.setText("Session tracking is not available in this version.")
            self.new_button.setEnabled(False)
        self.refresh()

    # --- model -> view ------------------------------------------------------------------------------
    def refresh(self) -> None:
        open_id = self.model.session.id if self.model.session is not None else None
        selected = self.selected_id() or open_id
        self.table.setRowCount(0)
        for s in self.model.sessions:
            row = self.table.rowCount()
            self.table.insertRow(row)
            start = s.treated_at.astimezone().strftime("%d %b %Y %H:%M")
            cells = [
                f"{s.id}"
                + ("  SIMULATED" if getattr(s, "simulated", False) else "")
                + ("  (open)" if s.id == open_id else ""),
                start,
                f"{capitalised(device_name(s.device))}, {s.needle_mm:g} mm",
                ", ".join(region_name(r) for r in s.treated_regions),
                str(s.photos),
                "yes" if s.has_baseline else "not yet",
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, s.id)
                self.table.setItem(row, col, item)
            if s.id == selected:
                self.table.selectRow(row)
        if self.available:
            if open_id is not None:
                self.current.setText(f"Session {open_id} is open.")
            elif self.model.sessions:
                self.current.setText("Open a session to continue it, or start a new one.")
            else:
                self.current.setText("No sessions yet. Start one with New session (Ctrl+N).")
        self._selection_changed()

    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        return self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)

    def _selection_changed(self) -> None:
        has = self.selected_id() is not None
        self.open_button.setEnabled(has)
        self.delete_button.setEnabled(has and self._can_delete)
        self.export_button.setEnabled(has and self._can_export)

    # --- actions --------------------------------------------------------------------------------------
    def new_session(self) -> None:
        if not self.available:
            return
        dialog = NewSessionDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.create_requested.emit(dialog.values())

    def open_selected(self) -> None:
        sid = self.selected_id()
        if sid is not None:
            self.open_requested.emit(sid)

    def delete_selected(self) -> None:
        sid = self.selected_id()
        if sid is None or not self._can_delete:
            return
        answer = QMessageBox.question(
            self,
            "Delete session",
            f"Delete session {sid} with all its photos and results? This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_requested.emit(sid)

    def export_selected(self) -> None:
        sid = self.selected_id()
        if sid is not None and self._can_export:
            self.export_requested.emit(sid)
