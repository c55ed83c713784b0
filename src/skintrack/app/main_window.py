"""The main window: navigation, the pages, the message bar and the progress panel.

A thin wiring layer: it builds the pages with their model and services, connects their signals
to the controller, and remembers its size and position (QSettings). All behaviour lives in the
pages, the controller and the background tasks.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from skintrack.app.camera import FrameSource
from skintrack.app.controller import PHOTO_SUFFIXES, Controller
from skintrack.app.model import AppModel
from skintrack.app.pages.capture import CapturePage
from skintrack.app.pages.check import CheckPage
from skintrack.app.pages.compare import ComparePage
from skintrack.app.pages.recovery import RecoveryPage
from skintrack.app.pages.sessions import SessionsPage
from skintrack.app.widgets.messages import MessageBar, ProgressPanel
from skintrack.app.workers import TaskRunner

DEFAULT_SIZE = QSize(1200, 800)
#: Fits a 1366 x 768 laptop screen at 125 % scaling (1093 x 614 logical pixels) with room to spare.
MINIMUM_SIZE = QSize(760, 540)
PHOTO_FILTER = "Photos (*.jpg *.jpeg *.png *.tif *.tiff *.webp);;All files (*)"


class MainWindow(QMainWindow):
    """The skintrack window.

    Parameters
    ----------
    model, controller, runner
        Shared state, actions and the background task runner.
    settings : QSettings
        Where the window geometry and last folder are remembered.
    source_factory : callable returning a FrameSource
        The camera for the Capture page (a fake one in tests).
    services : list
        Objects with ``close()`` to close on the task thread when the window closes.
    """

    def __init__(
        self,
        *,
        model: AppModel,
        controller: Controller,
        runner: TaskRunner,
        settings: QSettings,
        source_factory: Callable[[], FrameSource],
        services: list | None = None,
    ) -> None:
        super().__init__()
        self.model, self.controller, self.runner, self.settings = model, controller, runner, settings
        self.setWindowTitle("skintrack")
        self.setMinimumSize(MINIMUM_SIZE)
        self.setAcceptDrops(True)

        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(8, 8, 8, 4)
        self.message_bar = MessageBar()
        outer.addWidget(self.message_bar)
        row = QHBoxLayout()
        self.nav = QListWidget()
        self.nav.setObjectName("Navigation")
        self.nav.setAccessibleName("Pages")
        self.nav.setFixedWidth(190)
        row.addWidget(self.nav)
        self.stack = QStackedWidget()
        row.addWidget(self.stack, 1)
        outer.addLayout(row, 1)
        self.progress = ProgressPanel()
        outer.addWidget(self.progress)
        self.setCentralWidget(central)

        self.services = list(services or [])
        self.sessions = SessionsPage(
            model,
            available=controller.tracking is not None,
            can_delete=controller.can_delete(),
            can_export=controller.can_export(),
        )
        self.capture = CapturePage(model, source_factory)
        self.check = CheckPage(model)
        self.recovery = RecoveryPage(model)
        self.compare = ComparePage(model)
        self.pages: dict[str, QWidget] = {}
        self.add_page("sessions", "Sessions", self.sessions)
        self.add_page("capture", "Capture", self.capture)
        self.add_page("check", "Check", self.check)
        self.add_page("recovery", "Recovery", self.recovery)
        self.add_page("compare", "Compare", self.compare)
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)

        # Page signals -> controller; controller -> window.
        self.sessions.create_requested.connect(lambda v: controller.new_session(**v))
        self.sessions.open_requested.connect(controller.open_session)
        self.sessions.delete_requested.connect(controller.delete_session)
        self.sessions.export_requested.connect(self.choose_report_file)
        self.capture.photo_taken.connect(controller.use_frame)
        self.capture.import_requested.connect(self.choose_photos)
        self.check.finding_choice.connect(controller.set_finding_choice)
        self.check.answers_changed.connect(controller.set_answers)
        self.recovery.symptoms_changed.connect(controller.set_symptoms)
        self.recovery.serum_ticked.connect(controller.set_serum_applied)
        self.recovery.later_chosen.connect(self._later_chosen)
        self.recovery.take_photo_requested.connect(self._take_recovery_photo)
        self.recovery.time_corrected.connect(controller.correct_time)
        self.compare.later_chosen.connect(self._later_chosen)
        controller.navigate.connect(self.show_page)
        controller.message.connect(self.show_message)
        controller.store_damaged.connect(self.offer_restore)
        self.store_dialog: QMessageBox | None = None
        runner.busy.connect(self.progress.start)
        runner.progress.connect(self.progress.set_progress)
        runner.idle.connect(self.progress.finish)
        self.progress.cancel_requested.connect(runner.cancel_all)
        self._actions()
        self._apply_style()
        self._restored = False

    # --- pages ----------------------------------------------------------------------------------------
    def add_page(self, key: str, title: str, widget: QWidget) -> None:
        n = len(self.pages) + 1
        item = QListWidgetItem(title)
        item.setToolTip(f"{title} (Ctrl+{n})")
        item.setSizeHint(QSize(0, 40))
        self.nav.addItem(item)
        self.stack.addWidget(widget)
        self.pages[key] = widget
        if n <= 9:
            action = QAction(f"Show {title}", self)
            action.setShortcut(QKeySequence(f"Ctrl+{n}"))
            action.triggered.connect(lambda _c=False, k=key: self.show_page(k))
            self.addAction(action)

    def show_page(self, key: str) -> None:
        if key not in self.pages:
            return
        self.nav.setCurrentRow(list(self.pages).index(key))

    def current_page(self) -> str:
        return list(self.pages)[self.stack.currentIndex()]

    def _actions(self) -> None:
        open_action = QAction("Import photos…", self)
        open_action.setShortcut(QKeySequence.StandardKey.Open)
        open_action.triggered.connect(lambda: self.choose_photos(self.capture.purpose()))
        self.addAction(open_action)
        esc = QAction("Dismiss message", self)
        esc.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        esc.triggered.connect(self.message_bar.dismiss)
        self.addAction(esc)
        nav = QAction("Go to the page list", self)
        nav.setShortcut(QKeySequence("Ctrl+L"))
        nav.triggered.connect(self.nav.setFocus)
        self.addAction(nav)

    def _apply_style(self) -> None:
        # Calm: light neutral background, generous padding, one accent colour. Sizes in em/pt so
        # the layout follows the system font and 125 % scaling.
        self.setStyleSheet("""
            QMainWindow { background: #f6f7f8; }
            #Navigation { background: #eceff1; border: none; border-radius: 6px;
                          font-size: 11.5pt; padding: 4px; }
            #Navigation::item { padding: 6px 10px; border-radius: 4px; color: #263238; }
            #Navigation::item:selected { background: #1f5fa8; color: white; }
            QPushButton { padding: 5px 12px; }
        """)

    # --- messages ------------------------------------------------------------------------------------
    def show_message(self, text: str, kind: str = "error", action_text: str = "", action=None) -> None:
        self.message_bar.show_message(text, kind, action_text=action_text, action=action)

    def offer_restore(self, text: str, diagnosis) -> None:
        """A plain dialog: the saved data cannot be used; put the newest good backup back?"""
        box = QMessageBox(QMessageBox.Icon.Warning, "Your saved data cannot be used", "", parent=self)
        box.setObjectName("StoreDamagedDialog")
        good = diagnosis.healthy_backups
        box.setText(f"{text[0].upper()}{text[1:]}.\n\nskintrack has not changed it.")
        if good:
            b = good[0]
            box.setInformativeText(
                f"The newest good backup is from {b.taken_at.astimezone():%d %b %Y %H:%M} "
                f"({b.sessions} session(s)). Put it back? The damaged file is kept aside, not "
                "deleted; anything saved after that backup is not in it."
            )
            restore = box.addButton("Put the backup back", QMessageBox.ButtonRole.AcceptRole)
            restore.clicked.connect(lambda: self.controller.restore_backup(b))
            box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
        else:
            box.setInformativeText(
                "There is no backup to put back. Keep the file; run `skintrack doctor` for details."
            )
            box.addButton(QMessageBox.StandardButton.Close)
        self.store_dialog = box
        box.open()

    # --- import ------------------------------------------------------------------------------------
    def choose_photos(self, purpose: str = "check") -> None:
        start = str(self.settings.value("last_folder", str(Path.home())))
        paths, _ = QFileDialog.getOpenFileNames(self, "Import photos", start, PHOTO_FILTER)
        if paths:
            self.settings.setValue("last_folder", str(Path(paths[0]).parent))
            self.controller.import_paths(paths, purpose)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        if _photo_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt override
        paths = _photo_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.controller.import_paths(paths, self.capture.purpose())

    def _later_chosen(self, index: int) -> None:
        if 0 <= index < len(self.model.laters):
            self.controller.compare_with(self.model.laters[index])
            self.show_page("compare")

    def _take_recovery_photo(self) -> None:
        self.capture.set_purpose("recovery")
        self.show_page("capture")

    def choose_report_file(self, session_id: int) -> None:
        start = str(
            Path(str(self.settings.value("last_folder", str(Path.home()))))
            / f"skintrack-session-{session_id}.pdf"
        )
        path, _ = QFileDialog.getSaveFileName(self, "Export report", start, "PDF (*.pdf);;Web page (*.html)")
        if path:
            self.controller.export_report(session_id, path)

    # --- geometry memory ----------------------------------------------------------------------------
    def restore_geometry(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            screen = self.screen().availableGeometry() if self.screen() else None
            size = DEFAULT_SIZE
            if screen is not None:
                size = size.boundedTo(QSize(int(screen.width() * 0.92), int(screen.height() * 0.9)))
            self.resize(size.expandedTo(MINIMUM_SIZE))
        page = self.settings.value("window/page")
        if isinstance(page, str) and page in self.pages:
            self.show_page(page)
        elif self.nav.currentRow() < 0:
            self.nav.setCurrentRow(0)
        self._restored = True

    def save_geometry(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        if self.nav.currentRow() >= 0:
            self.settings.setValue("window/page", self.current_page())
        self.settings.sync()
        with contextlib.suppress(OSError):  # it lives in the private data folder
            os.chmod(self.settings.fileName(), 0o600)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.save_geometry()
        self.capture.stop()
        self.runner.cancel_all()
        # The database and the face model are closed on the thread that uses them.
        services, self.services = self.services, []
        if services:
            self.runner.submit("Closing", _close_all, services)
        self.runner.wait(10000)
        super().closeEvent(event)


def _close_all(ctx, services) -> None:
    for s in reversed(services):
        s.close()


def _photo_paths(mime) -> list[str]:
    if not mime.hasUrls():
        return []
    return [
        u.toLocalFile()
        for u in mime.urls()
        if u.isLocalFile() and u.toLocalFile().lower().endswith(PHOTO_SUFFIXES)
    ]
