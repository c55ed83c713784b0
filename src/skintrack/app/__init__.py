"""The desktop app (PySide6). The only package that imports Qt.

:func:`build_window` assembles the window from its parts (tests use it with a fake camera and a
temporary data folder); :func:`run_app` opens it for a person (``skintrack app``).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def default_source_factory():
    from skintrack.app.camera import OpenCVCamera

    return OpenCVCamera(0)


def build_window(*, data_dir: str | os.PathLike | None = None, source_factory=None, settings=None):
    """Create the model, services, runner, controller and the main window (not shown).

    Returns the :class:`~skintrack.app.main_window.MainWindow`; closing it closes the services
    (the session database and the face model) on their thread.
    """
    from PySide6.QtCore import QSettings

    from skintrack.app.controller import Controller
    from skintrack.app.main_window import MainWindow
    from skintrack.app.model import AppModel
    from skintrack.app.services import AnalysisService, TrackingService
    from skintrack.app.workers import TaskRunner
    from skintrack.tracking import prepare_data_folder

    # Made private here, before the window settings are written into it: the session store opens
    # later on the worker thread, and a window closed before that would otherwise leave the folder
    # as the umask makes it. A folder that cannot be made is reported by the store.
    paths = prepare_data_folder(data_dir)
    if settings is None:
        # Kept in the data folder, so a second data folder (--data-dir) has its own window state
        # and tests never touch the person's settings.
        settings = QSettings(str(paths.root / "app-settings.ini"), QSettings.Format.IniFormat)
    model = AppModel()
    runner = TaskRunner()
    analysis = AnalysisService()
    tracking = TrackingService(paths.root, analysis)
    controller = Controller(model, runner, analysis, tracking)
    window = MainWindow(
        model=model,
        controller=controller,
        runner=runner,
        settings=settings,
        source_factory=source_factory or default_source_factory,
        services=[analysis, tracking],
    )
    window.data_paths = paths
    controller.check_store()  # a damaged store is said at once, with a backup offered
    controller.refresh_sessions()
    return window


def run_app(
    argv: list[str] | None = None, *, data_dir=None, source_factory=None, quit_after_ms: int | None = None
) -> int:
    """Open the window and run until it is closed; returns the exit status."""
    t0 = time.perf_counter()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(list(argv or sys.argv[:1]))
    app.setApplicationName("skintrack")
    app.setOrganizationName("skintrack")
    # The launcher's name (skintrack.desktop) and the icon drawn for it (packaging/draw_icon.py).
    app.setDesktopFileName("skintrack")
    from PySide6.QtGui import QIcon

    app.setWindowIcon(QIcon(str(Path(__file__).with_name("skintrack.png"))))
    window = build_window(data_dir=data_dir, source_factory=source_factory)
    window.restore_geometry()
    window.show()
    if os.environ.get("SKINTRACK_STARTUP_REPORT"):
        QTimer.singleShot(
            0, lambda: print(f"window shown after {time.perf_counter() - t0:.3f} s", flush=True)
        )
    # Load what the first analysis and the first chart need while the person looks at the window.
    window.runner.submit("Starting up", _warm_up, window.controller.analysis, quiet=True)
    if quit_after_ms is not None:
        QTimer.singleShot(quit_after_ms, window.close)
    return int(app.exec())


__all__ = ["build_window", "run_app"]


def _warm_up(ctx, analysis) -> None:
    from skintrack.app.widgets.chart import warm_up

    warm_up()
    analysis.engine()
