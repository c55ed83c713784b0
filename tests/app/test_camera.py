"""Frame sources: the fake camera plays sample photos as 1280 x 720 frames; no camera is refused."""

from __future__ import annotations

import time

import numpy as np
import pytest

from skintrack.app.camera import CameraUnavailable, FakeCamera, OpenCVCamera, compose_frame
from tests.conftest import SAMPLES


def test_fake_camera_plays_each_photo_in_turn_as_webcam_frames():
    cam = FakeCamera(
        [SAMPLES / "aptus_1.png", SAMPLES / "obama.jpg"], fps=None, frames_per_photo=2, loop=False
    )
    with cam:
        frames = []
        while (f := cam.read()) is not None:
            frames.append(f)
    assert len(frames) == 4
    assert all(f.shape == (720, 1280, 3) and f.dtype == np.uint8 for f in frames)
    assert np.array_equal(frames[0], frames[1])
    assert not np.array_equal(frames[1], frames[2])  # the second photo starts
    # Handed-out frames are copies: drawing on one must not change the next.
    frames[2][:] = 0
    assert frames[3].any()


def test_fake_camera_paces_frames_in_real_time():
    with FakeCamera([SAMPLES / "aptus_1.png"], fps=50) as cam:
        cam.read()
        t0 = time.perf_counter()
        for _ in range(10):
            cam.read()
        elapsed = time.perf_counter() - t0
    assert 0.15 <= elapsed <= 0.6  # 10 frames at 50 fps = 0.2 s


def test_fake_camera_drift_moves_the_picture():
    with FakeCamera([SAMPLES / "aptus_1.png"], fps=None, drift_px=6) as cam:
        a, b = cam.read(), cam.read()
    assert not np.array_equal(a, b)


def test_compose_frame_centres_the_photo_on_a_wall_grey_canvas(load_sample):
    rgb = load_sample("aptus_1.png").rgb
    frame = compose_frame(rgb, (1280, 720))
    assert frame.shape == (720, 1280, 3)
    assert tuple(frame[360, 5]) == (118, 116, 112)  # left margin is wall
    assert not np.array_equal(frame[360, 640], (118, 116, 112))


def test_missing_camera_is_refused_with_advice_to_import():
    cam = OpenCVCamera(index=97)  # no computer has 98 cameras
    with pytest.raises(CameraUnavailable, match="import"):
        cam.open()
    assert cam.read() is None


def _open_missing_camera(debug: bool):
    """A real process that looks for a camera there is none of, as the app does (issue 16)."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {k: v for k, v in os.environ.items() if k not in ("SKINTRACK_DEBUG", "OPENCV_LOG_LEVEL")}
    if debug:
        env["SKINTRACK_DEBUG"] = "1"
    code = (
        "from skintrack.app.camera import CameraUnavailable, OpenCVCamera, camera_available\n"
        "assert not camera_available(97)\n"
        "try:\n    OpenCVCamera(97).open()\nexcept CameraUnavailable:\n    print('no camera')\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )


def test_no_camera_keeps_the_console_quiet_unless_debugging():
    quiet = _open_missing_camera(debug=False)
    assert quiet.returncode == 0 and quiet.stdout == "no camera\n", quiet.stderr
    assert "[ WARN" not in quiet.stderr and "[ERROR" not in quiet.stderr, quiet.stderr
    # SKINTRACK_DEBUG=1 lets OpenCV speak: the lines are there to be silenced.
    loud = _open_missing_camera(debug=True)
    assert loud.returncode == 0 and ("[ WARN" in loud.stderr or "[ERROR" in loud.stderr)
