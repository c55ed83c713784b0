"""The app on damaged saved data: it says so in a plain dialog and offers the newest good backup."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtWidgets import QMessageBox


def _sessions(data, n: int) -> None:
    from skintrack.tracking import Tracker

    for _ in range(n):  # each opening after the first session takes today's copy
        with Tracker(data) as t:
            t.new_session(
                device="roller",
                needle_mm=0.25,
                treated_regions=["chin"],
                treated_at=datetime(2026, 6, 24, 8, tzinfo=UTC),
            )


def test_damaged_store_at_start_offers_the_backup_and_restores_it(qtbot, tmp_path, fake_camera):
    from skintrack.app import build_window

    data = tmp_path / "data"
    _sessions(data, 2)
    (data / "skintrack.db").write_bytes(b"")  # emptied by a failed sync
    w = build_window(data_dir=data, source_factory=lambda: fake_camera())
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.store_dialog is not None and w.store_dialog.isVisible(), timeout=30000)
    box = w.store_dialog
    assert "is empty (0 bytes)" in box.text()
    assert "1 session(s)" in box.informativeText()
    assert w.model.sessions == []
    [restore] = [b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole]
    assert restore.text() == "Put the backup back"
    restore.click()
    qtbot.waitUntil(lambda: len(w.model.sessions) == 1, timeout=30000)
    assert "put back" in w.message_bar.text()
    [aside] = (data / "set-aside").glob("*/skintrack.db")
    assert aside.stat().st_size == 0  # kept, not deleted
    w.close()


def test_healthy_store_shows_no_dialog(qtbot, tmp_path, fake_camera):
    from skintrack.app import build_window

    data = tmp_path / "data"
    _sessions(data, 1)
    w = build_window(data_dir=data, source_factory=lambda: fake_camera())
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: len(w.model.sessions) == 1, timeout=30000)
    w.runner.wait(10000)
    assert w.store_dialog is None
    w.close()


def test_the_window_settings_in_the_data_folder_are_private(qtbot, tmp_path, fake_camera):
    import os
    import stat

    from skintrack.app import build_window

    old = os.umask(0o022)
    try:
        data = tmp_path / "data"
        w = build_window(data_dir=data, source_factory=lambda: fake_camera())
        qtbot.addWidget(w)
        w.restore_geometry()
        w.show()
        w.close()
        w = build_window(data_dir=data, source_factory=lambda: fake_camera())  # written again
        qtbot.addWidget(w)
        w.restore_geometry()
        w.show()
        w.close()
    finally:
        os.umask(old)
    ini = data / "app-settings.ini"
    assert ini.is_file()
    assert stat.S_IMODE(ini.stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
