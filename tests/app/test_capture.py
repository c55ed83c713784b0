"""Capture page with a fake camera playing sample frames: preview, guidance, shutter, no camera."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage

from skintrack.app.camera import OpenCVCamera
from skintrack.app.model import AppModel
from skintrack.app.pages.capture import PURPOSE_CHECK, PURPOSE_RECOVERY, CapturePage


@pytest.fixture
def page(qtbot, fake_camera):
    model = AppModel()
    p = CapturePage(model, lambda: fake_camera("aptus_1.png", fps=30))
    qtbot.addWidget(p)
    p.resize(1100, 700)
    yield p
    p.stop()


def test_preview_shows_frames_with_guidance(qtbot, page):
    page.show()
    qtbot.waitUntil(lambda: page.frames_shown >= 15, timeout=15000)
    # The 1280 x 720 frame arrives made at its size on screen, in the screen's pixel format.
    img = page.view.image()
    ratio = page.view.devicePixelRatioF()
    view_w, view_h = page.view.width() * ratio, page.view.height() * ratio
    assert img.format() == QImage.Format.Format_RGB32
    assert img.width() < 1280 and abs(img.width() / img.height() - 1280 / 720) < 0.01
    assert abs(img.width() - view_w) <= 1 or abs(img.height() - view_h) <= 1
    assert page.preview.last_frame.shape == (720, 1280, 3)
    painted = page.view.paint_count
    qtbot.waitUntil(lambda: page.view.paint_count > painted + 5, timeout=5000)
    qtbot.waitUntil(lambda: page.last_guidance is not None and page.last_guidance.ready, timeout=10000)
    assert page.headline.text().startswith("Ready")
    assert page.shutter.isEnabled()


def test_shutter_waits_for_satisfied_guidance_then_takes_the_clean_frame(qtbot, page):
    page.show()
    qtbot.waitUntil(lambda: page.frames_shown >= 2, timeout=15000)
    page.set_purpose(PURPOSE_RECOVERY)
    with qtbot.waitSignal(page.photo_taken, timeout=10000) as sig:
        page.press_shutter()
        assert "Waiting" in page.shutter.text()
    rgb, purpose = sig.args
    assert purpose == PURPOSE_RECOVERY
    assert rgb.shape == (720, 1280, 3) and rgb.dtype == np.uint8
    assert page.capture_guidance.ready and not page.capture_guidance.problems
    # The clean frame has no mesh drawn on it: the face oval colour is absent.
    assert not np.all(rgb == np.array([110, 230, 140], np.uint8), axis=-1).any()
    assert page.shutter.text() == "Take photo"


def test_shutter_does_not_fire_while_the_face_is_turned(qtbot, fake_camera):
    page = CapturePage(AppModel(), lambda: fake_camera("45-m7-di-ph.jpg", fps=30))
    qtbot.addWidget(page)
    page.show()
    taken = []
    page.photo_taken.connect(lambda *a: taken.append(a))
    qtbot.waitUntil(lambda: page.frames_shown >= 2, timeout=15000)
    page.press_shutter()
    qtbot.wait(1200)
    assert taken == []
    assert page.headline.text().startswith("Turn your face")
    page.press_shutter()  # pressing again stops waiting
    assert page.shutter.text() == "Take photo"
    page.stop()


def test_no_camera_says_so_and_offers_import(qtbot):
    page = CapturePage(AppModel(), lambda: OpenCVCamera(97))
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: bool(page.camera_message), timeout=10000)
    assert "No camera" in page.camera_message and "import" in page.camera_message
    assert page.view.placeholder() == page.camera_message
    assert not page.shutter.isEnabled()
    assert page.retry_button.isVisible() and page.import_button.isEnabled()
    with qtbot.waitSignal(page.import_requested) as sig:
        page.import_button.click()
    assert sig.args == [PURPOSE_CHECK]


def test_baseline_ghost_is_offered_once_a_baseline_exists(qtbot, page, engine, load_sample):
    from skintrack.core.analysis import analyze_photo

    page.show()
    assert not page.ghost_box.isEnabled()
    page.model.set_baseline(analyze_photo(load_sample("aptus_1.png"), engine, find_lesions=False))
    assert page.ghost_box.isEnabled() and page.ghost_box.isChecked()
    # The ghost is drawn: the preview differs from a ghost-free preview of the same frame.
    qtbot.waitUntil(lambda: page.frames_shown >= 5, timeout=15000)
    assert page.preview._ghost_photo is not None
    page.ghost_box.setChecked(False)
    assert page.preview._ghost_photo is None


def test_preview_stops_when_the_page_is_hidden(qtbot, page):
    page.show()
    qtbot.waitUntil(lambda: page.frames_shown >= 2, timeout=15000)
    thread = page.preview
    page.hide()
    assert page.preview is None and thread.isFinished()


def test_overlay_is_drawn_at_picture_size_with_the_outline_in_place(engine, load_sample):
    import cv2

    from skintrack.app.camera import compose_frame
    from skintrack.app.guidance import GuidanceTracker
    from skintrack.app.preview import DETECT_WIDTH, draw_overlay, picture_size, shrink
    from skintrack.app.qtimage import qimage_to_rgb, rgb_to_screen_image

    frame = compose_frame(load_sample("aptus_1.png").rgb)
    small = cv2.resize(frame, (DETECT_WIDTH, 360), interpolation=cv2.INTER_AREA)
    guidance = GuidanceTracker().update(frame, small, engine.detect(small), 2.0, 0.0)
    size = picture_size((1280, 720), (900, 700, 1.25))
    assert size == (900, 506)
    assert picture_size((1280, 720), (2000, 1500, 1.0)) == (1280, 720)  # never enlarged
    picture = draw_overlay(frame, guidance, size=size)
    assert picture.shape == (506, 900, 3)
    # The face-oval outline lands where the oval is, scaled into the picture.
    oval = guidance.outline[0] * (900 / 1280)
    plain = shrink(frame, size)
    assert plain.shape == picture.shape
    drawn = np.abs(picture.astype(int) - plain).sum(axis=-1) > 60
    ys, xs = np.nonzero(drawn)
    assert drawn.sum() > 500
    assert abs(xs.min() - oval[:, 0].min()) < 3 and abs(ys.max() - oval[:, 1].max()) < 3
    assert (qimage_to_rgb(rgb_to_screen_image(picture)) == picture).all()


def test_a_photo_for_the_check_asks_for_enough_detail_one_for_recovery_does_not(qtbot, fake_camera):
    from skintrack.core.verdict import MAX_CHECK_MM_PER_PX

    page = CapturePage(AppModel(), lambda: fake_camera("aptus_1.png"))
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.frames_shown >= 1, timeout=15000)
    assert page.purpose() == PURPOSE_CHECK
    assert page.preview.max_mm_per_px == MAX_CHECK_MM_PER_PX
    page.set_purpose(PURPOSE_RECOVERY)
    assert page.preview.max_mm_per_px is None
    page.set_purpose(PURPOSE_CHECK)
    assert page.preview.max_mm_per_px == MAX_CHECK_MM_PER_PX
    page.stop()
