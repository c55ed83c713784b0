"""The main window: navigation by keyboard, geometry memory, imports (dialog-free), drops, errors."""

from __future__ import annotations

import shutil

from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from tests.conftest import SAMPLES


def test_pages_are_reachable_by_keyboard(qtbot, window):
    keys = list(window.pages)
    assert {"capture", "check", "compare"} <= set(keys)
    for i, key in enumerate(keys, start=1):
        qtbot.keyClick(window, Qt.Key.Key_0 + i, Qt.KeyboardModifier.ControlModifier)
        assert window.current_page() == key
    # The page list itself takes focus (Ctrl+L) and moves with the arrow keys.
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.nav.hasFocus()
    window.show_page(keys[0])
    qtbot.keyClick(window.nav, Qt.Key.Key_Down)
    assert window.current_page() == keys[1]


def test_window_remembers_its_geometry_and_page(qtbot, tmp_path, fake_camera):
    from skintrack.app import build_window

    ini = tmp_path / "settings.ini"
    w = build_window(
        data_dir=tmp_path,
        source_factory=lambda: fake_camera(),
        settings=QSettings(str(ini), QSettings.Format.IniFormat),
    )
    qtbot.addWidget(w)
    w.restore_geometry()
    w.show()
    w.resize(790, 585)
    w.show_page("compare")
    w.close()
    w2 = build_window(
        data_dir=tmp_path,
        source_factory=lambda: fake_camera(),
        settings=QSettings(str(ini), QSettings.Format.IniFormat),
    )
    qtbot.addWidget(w2)
    w2.restore_geometry()
    w2.show()
    assert (w2.width(), w2.height()) == (790, 585)
    assert w2.current_page() == "compare"
    w2.close()


def test_sensible_default_size_and_minimum(window):
    # The minimum fits a 1366 x 768 laptop at 125 % scaling (1093 x 614 logical pixels)...
    assert window.minimumWidth() <= 1093 and window.minimumHeight() <= 614
    # ...and is large enough for the pages to stay readable.
    assert window.minimumWidth() >= 700 and window.minimumHeight() >= 500
    # A first start fits the (800 x 800 offscreen) screen.
    screen = window.screen().availableGeometry()
    assert window.width() <= screen.width() and window.height() <= screen.height()


def test_import_analyses_off_the_gui_thread_and_opens_the_check(qtbot, window):
    with qtbot.waitSignal(window.runner.idle, timeout=30000):
        window.controller.import_paths([SAMPLES / "aptus_2.png"], "check")
        assert window.progress.isVisible()  # progress shown while the task runs
    assert window.current_page() == "check"
    a = window.model.analysis
    assert a is not None and a.photo.path.endswith("aptus_2.png") and a.face is not None
    assert window.check.view.image().width() == a.photo.width
    assert window.model.baseline is a  # a checked photo becomes the baseline to compare with
    assert not window.progress.isVisible()


def test_a_broken_photo_gives_a_message_and_loses_nothing(qtbot, window, tmp_path):
    with qtbot.waitSignal(window.runner.idle, timeout=30000):
        window.controller.import_paths([SAMPLES / "aptus_2.png"], "check")
    before = window.model.analysis
    broken = tmp_path / "broken.jpg"
    broken.write_bytes((SAMPLES / "single_face.jpg").read_bytes()[:2000])
    with qtbot.waitSignal(window.runner.idle, timeout=30000):
        window.controller.import_paths([broken], "check")
    assert window.message_bar.isVisible()
    text = window.message_bar.text()
    assert "broken.jpg" in text and ("truncated" in text.lower() or "not a readable" in text)
    assert window.model.analysis is before  # the earlier photo is still there
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.message_bar.isVisible()


def test_dropping_photo_files_imports_them(qtbot, window, tmp_path):
    photo = tmp_path / "dropped.png"
    shutil.copy(SAMPLES / "aptus_5.png", photo)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo)), QUrl.fromLocalFile(str(tmp_path / "notes.txt"))])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    # A drag of text files only is refused at the door.
    text_only = QMimeData()
    text_only.setUrls([QUrl.fromLocalFile(str(tmp_path / "notes.txt"))])
    refused = QDragEnterEvent(
        QPoint(50, 50),
        Qt.DropAction.CopyAction,
        text_only,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, refused)
    assert not refused.isAccepted()
    enter = QDragEnterEvent(QPoint(50, 50), *args)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    with qtbot.waitSignal(window.runner.idle, timeout=30000):
        QApplication.sendEvent(window, QDropEvent(QPointF(50, 50), *args))
    assert window.model.analysis.photo.path == str(photo)


def test_closing_cancels_running_work(qtbot, window):
    window.controller.import_paths([SAMPLES / "aptus_1.png"] * 6, "check")
    window.close()
    assert not window.runner.active


def test_focus_moves_through_the_capture_controls_with_tab(qtbot, window):
    window.show_page("capture")
    window.capture.purpose_check.setFocus()
    seen = set()
    for _ in range(12):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.add(QApplication.focusWidget())
    assert window.capture.import_button in seen
    assert window.capture.ghost_box in seen or not window.capture.ghost_box.isEnabled()
