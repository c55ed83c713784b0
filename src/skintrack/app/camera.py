"""Frame sources for the live preview: a real camera through OpenCV, or a fake one that plays photos.

A :class:`FrameSource` hands out RGB ``uint8`` frames (BGR from OpenCV is converted here, at the
edge). The fake camera composes sample photos onto a 1280 x 720 canvas, optionally drifting a
little between frames like a hand-held phone, so the app, its tests and the frame-rate benchmark run
on a machine with no camera.

This module has no Qt: the preview thread in :mod:`skintrack.app.preview` drives it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from skintrack.core.errors import SkintrackError

PREVIEW_SIZE = (1280, 720)  # width, height requested from cameras, pixels


class CameraUnavailable(SkintrackError):
    """No camera could be opened; the message says what to do instead."""


NO_CAMERA_MESSAGE = (
    "No camera was found on this computer. You can import a photo you took with "
    "your phone instead (Import photo, or drag it onto this window)."
)


class FrameSource:
    """A source of RGB frames. ``open()`` raises :class:`CameraUnavailable` when it cannot start."""

    name = "camera"

    def open(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def read(self) -> np.ndarray | None:
        """The next frame (``(h, w, 3) uint8`` RGB), or ``None`` when the source has ended."""
        raise NotImplementedError  # pragma: no cover - interface

    def close(self) -> None:  # pragma: no cover - interface
        pass

    def __enter__(self) -> FrameSource:
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def quiet_opencv_log() -> None:
    """Keep OpenCV's own console lines quiet unless ``SKINTRACK_DEBUG`` is set.

    Looking for a camera where there is none makes OpenCV print ``[ WARN ]`` and ``[ERROR]`` lines
    from each of its video back-ends; the app says it in its window instead
    (:data:`NO_CAMERA_MESSAGE`). Called before a camera is opened.
    """
    import os

    import cv2

    if not os.environ.get("SKINTRACK_DEBUG"):
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)


class OpenCVCamera(FrameSource):
    """A webcam through ``cv2.VideoCapture`` at (up to) 1280 x 720."""

    def __init__(self, index: int = 0, size: tuple[int, int] = PREVIEW_SIZE) -> None:
        self.index = index
        self.size = size
        self.name = f"camera {index}"
        self._cap = None

    def open(self) -> None:
        import cv2

        quiet_opencv_log()
        cap = cv2.VideoCapture(self.index)
        if not cap.isOpened():
            cap.release()
            raise CameraUnavailable(NO_CAMERA_MESSAGE)
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.size[0])
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.size[1])
        ok, frame = cap.read()
        if not ok or frame is None:
            cap.release()
            raise CameraUnavailable(
                "The camera is there but sends no picture; it may be in use by "
                "another program. Close that program, or import a photo."
            )
        self._cap = cap

    def read(self) -> np.ndarray | None:
        import cv2

        if self._cap is None:
            return None
        ok, frame = self._cap.read()
        if not ok or frame is None:
            return None
        return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def camera_available(index: int = 0) -> bool:
    """True when ``cv2.VideoCapture(index)`` opens (a quick probe, released at once)."""
    import cv2

    quiet_opencv_log()
    cap = cv2.VideoCapture(index)
    try:
        return bool(cap.isOpened())
    finally:
        cap.release()


def compose_frame(
    rgb: np.ndarray,
    size: tuple[int, int] = PREVIEW_SIZE,
    *,
    face_height: float = 0.95,
    shift: tuple[float, float] = (0.0, 0.0),
    scale: float = 1.0,
) -> np.ndarray:
    """Place a photo on a camera-sized canvas the way a webcam would frame a face.

    The photo is scaled so its height is ``face_height`` of the canvas (times ``scale``), centred and
    moved by ``shift`` (pixels); the rest of the canvas is a neutral wall grey.
    """
    import cv2

    w, h = size
    ph, pw = rgb.shape[:2]
    s = face_height * h / ph * scale
    m = np.array([[s, 0, (w - pw * s) / 2 + shift[0]], [0, s, (h - ph * s) / 2 + shift[1]]], np.float32)
    return cv2.warpAffine(
        rgb,
        m,
        (w, h),
        flags=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(118, 116, 112),
    )


class FakeCamera(FrameSource):
    """Plays a sequence of photos as camera frames (for tests, benchmarks and demos).

    Parameters
    ----------
    photos : sequence of RGB arrays or photo paths
        Each becomes ``frames_per_photo`` frames in turn; with ``loop`` the sequence repeats.
    size : (width, height)
        Frame size in pixels (1280 x 720 like a webcam).
    fps : float or None
        Pace frames in real time at this rate; ``None`` hands them out as fast as asked.
    drift_px : float
        Hand-held wobble: each frame moves by up to this many pixels (a slow sine), so "hold
        still" guidance can be exercised. 0 gives identical frames.
    """

    def __init__(
        self,
        photos: Sequence,
        *,
        size: tuple[int, int] = PREVIEW_SIZE,
        fps: float | None = 30.0,
        frames_per_photo: int = 30,
        loop: bool = True,
        drift_px: float = 0.0,
        name: str = "fake camera",
    ) -> None:
        if not photos:
            raise ValueError("FakeCamera needs at least one photo")
        self.size, self.fps, self.loop = size, fps, loop
        self.frames_per_photo = max(1, int(frames_per_photo))
        self.drift_px = float(drift_px)
        self.name = name
        self._photos = list(photos)
        self._frames: list[np.ndarray] = []
        self._index = 0
        self._next_t = 0.0
        self._open = False

    def open(self) -> None:
        from skintrack.core.intake import load_photo

        if not self._frames:
            for p in self._photos:
                rgb = p if isinstance(p, np.ndarray) else load_photo(Path(p)).rgb
                self._frames.append(compose_frame(rgb, self.size))
        self._index = 0
        self._next_t = time.perf_counter()
        self._open = True

    def read(self) -> np.ndarray | None:
        if not self._open:
            return None
        n = len(self._frames) * self.frames_per_photo
        if self._index >= n:
            if not self.loop:
                return None
            self._index = 0
        if self.fps:
            now = time.perf_counter()
            if self._next_t > now:
                time.sleep(self._next_t - now)
            self._next_t = max(self._next_t, now) + 1.0 / self.fps
        i = self._index
        self._index += 1
        frame = self._frames[i // self.frames_per_photo]
        if self.drift_px:
            import cv2

            dx = self.drift_px * np.sin(i * 0.7)
            dy = self.drift_px * np.cos(i * 0.5)
            m = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
            return cv2.warpAffine(frame, m, self.size, borderMode=cv2.BORDER_REPLICATE)
        return frame.copy()

    def close(self) -> None:
        self._open = False
