"""Fixtures for the app tests: a fake camera playing sample photos, windows on temporary data."""

from __future__ import annotations

import pytest

from tests.conftest import SAMPLES


@pytest.fixture
def fake_camera():
    """A factory of FakeCameras playing sample photos (unpaced: frames as fast as asked)."""
    from skintrack.app.camera import FakeCamera

    def make(*names: str, **kw):
        kw.setdefault("fps", None)
        return FakeCamera([SAMPLES / n for n in (names or ("aptus_1.png",))], **kw)

    return make


@pytest.fixture
def window(qtbot, tmp_path, fake_camera):
    """The main window on a temporary data folder, shown, with a fake camera."""
    from skintrack.app import build_window

    w = build_window(data_dir=tmp_path / "data", source_factory=lambda: fake_camera("aptus_1.png"))
    qtbot.addWidget(w)
    w.restore_geometry()
    w.show()
    yield w
    w.close()
