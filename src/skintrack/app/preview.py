"""The live preview thread: camera frames -> face mesh -> guidance -> an annotated picture.

One :class:`PreviewThread` owns the frame source and a video-mode
:class:`~skintrack.core.face.FaceEngine`. Each frame is downscaled to :data:`DETECT_WIDTH` pixels
for the face mesh (the mesh is as good at that size and several times faster), the guidance is
updated, and the picture is made here, off the GUI thread, at the size it is shown: the frame is
shrunk to the preview's size on screen (area-averaged, sharper than the GUI's nearest-neighbour
scaling), the baseline ghost and the mesh outline are drawn on it, and it is handed over in the
screen's own pixel format, so the GUI thread only copies it to the window. When the GUI thread is
still busy with the previous picture the new one is dropped, so a slow screen never builds a queue
(the guidance keeps running on every frame).
"""

from __future__ import annotations

import threading
import time
from collections import deque

import numpy as np
from PySide6.QtCore import QThread, Signal

from skintrack.app.camera import CameraUnavailable, FrameSource
from skintrack.app.guidance import (
    LIGHT_EVERY_N_FRAMES,
    Ghost,
    GuidanceTracker,
    LiveGuidance,
    ghost_transform,
    make_ghost,
)
from skintrack.app.qtimage import rgb_to_screen_image

#: Width (pixels) of the copy the face mesh runs on.
DETECT_WIDTH = 640
#: The live mesh tracks one face (the engine then skips its face detector on most frames: ~10 ms
#: instead of ~25 ms a frame); a separate search for several faces (~12 ms) runs every this many
#: frames, a multiple of the guidance's light check interval ...
COUNT_FACES_EVERY_N_FRAMES = 3 * LIGHT_EVERY_N_FRAMES
#: ... half-way between two light checks (~8 ms): on the same frame the two made it take ~40 ms,
#: more than a frame's time at 30 fps (4-6 % of frames late instead of none, bench_app.py).
COUNT_FACES_PHASE = LIGHT_EVERY_N_FRAMES // 2
#: Opacity of the baseline photo drawn over the live picture.
GHOST_OPACITY = 0.28

_MESH_COLOUR = (120, 220, 255)  # RGB, light cyan: visible on every skin tone
_READY_COLOUR = (110, 230, 140)
_GHOST_COLOUR = (255, 255, 255)


class PreviewThread(QThread):
    """Runs the preview loop until :meth:`stop`.

    Signals: ``frame_ready(QImage, LiveGuidance)``; ``captured(rgb, guidance)`` with the clean RGB
    frame when an armed shutter fires; ``failed(str)`` when the source cannot start; ``ended()`` when the
    source runs out.
    """

    frame_ready = Signal(object, object)
    captured = Signal(object, object)
    failed = Signal(str)
    ended = Signal()

    def __init__(self, source: FrameSource, parent=None) -> None:
        super().__init__(parent)
        self.source = source
        self._stop = threading.Event()
        self._armed = threading.Event()
        self._in_flight = threading.Event()
        self._ghost_lock = threading.Lock()
        self._ghost_photo: tuple[np.ndarray, object] | None = None
        self._ghost_cache: tuple[tuple, np.ndarray, Ghost] | None = None
        self._display: tuple[int, int, float] | None = None  # width, height (device px), ratio
        self._max_mm_per_px: float | None = None
        self.frames_processed = 0
        self.frames_emitted = 0
        self.cpu_seconds = 0.0  # this thread's CPU time spent on frames (benchmark figure)
        #: Wall time (s) of the work on each recent frame, camera wait excluded (benchmark figure).
        self.frame_seconds: deque[float] = deque(maxlen=2000)
        self.last_frame: np.ndarray | None = None

    # --- called from the GUI thread -----------------------------------------------------------
    def stop(self, wait_ms: int = 3000) -> None:
        self._stop.set()
        self.wait(wait_ms)

    def arm(self, armed: bool = True) -> None:
        """Arm the shutter: the next frame whose guidance is satisfied is captured."""
        (self._armed.set if armed else self._armed.clear)()

    @property
    def armed(self) -> bool:
        return self._armed.is_set()

    def frame_shown(self) -> None:
        """The GUI thread has painted the last picture; the next one may be sent."""
        self._in_flight.clear()

    def set_display_size(self, width_px: int, height_px: int, pixel_ratio: float = 1.0) -> None:
        """The preview's size on screen in device pixels (``pixel_ratio`` device pixels per
        logical pixel, 1.25 at 125 % scaling): pictures are made to fit it."""
        self._display = (int(width_px), int(height_px), float(pixel_ratio))

    def set_max_mm_per_px(self, value: float | None) -> None:
        """The coarsest photo scale the guidance accepts (``None``: any); see
        :attr:`GuidanceTracker.max_mm_per_px`."""
        self._max_mm_per_px = value

    @property
    def max_mm_per_px(self) -> float | None:
        return self._max_mm_per_px

    def set_ghost(self, rgb: np.ndarray | None, face=None) -> None:
        """Show ``rgb`` (the baseline photo) faintly, and line up against ``face`` (its Face)."""
        with self._ghost_lock:
            self._ghost_photo = None if rgb is None else (rgb, face)
            self._ghost_cache = None

    # --- the preview thread ---------------------------------------------------------------------
    def run(self) -> None:
        import cv2

        from skintrack.core.face import FaceEngine

        try:
            self.source.open()
        except CameraUnavailable as exc:
            self.failed.emit(str(exc))
            return
        except Exception as exc:  # a driver error is reported like a missing camera
            self.failed.emit(f"The camera could not be started ({exc}). Import a photo instead.")
            return
        tracker = GuidanceTracker()
        t0 = time.perf_counter()
        try:
            with (
                FaceEngine(mode="video", max_faces=1) as engine,
                FaceEngine(mode="image", max_faces=2) as counter,
            ):
                faces_seen = None
                while not self._stop.is_set():
                    frame = self.source.read()
                    if frame is None:
                        self.ended.emit()
                        break
                    cpu0, wall0 = time.thread_time(), time.perf_counter()
                    h, w = frame.shape[:2]
                    scale = max(1.0, w / DETECT_WIDTH)
                    small = (
                        frame
                        if scale == 1.0
                        else cv2.resize(
                            frame, (round(w / scale), round(h / scale)), interpolation=cv2.INTER_AREA
                        )
                    )
                    scale = w / small.shape[1]
                    t = time.perf_counter() - t0
                    detection = engine.detect(small, timestamp_ms=int(t * 1000))
                    if self.frames_processed % COUNT_FACES_EVERY_N_FRAMES == COUNT_FACES_PHASE:
                        faces_seen = counter.detect(small).count
                    display = self._display
                    size = picture_size((w, h), display)
                    ghost_img, ghost = self._ghost_for((w, h), size)
                    tracker.ghost = ghost
                    tracker.max_mm_per_px = self._max_mm_per_px
                    guidance = tracker.update(frame, small, detection, scale, t, faces_seen=faces_seen)
                    self.frames_processed += 1
                    self.last_frame = frame
                    if self._armed.is_set() and guidance.ready:
                        self._armed.clear()
                        self.captured.emit(frame.copy(), guidance)
                    if self._in_flight.is_set():
                        self.cpu_seconds += time.thread_time() - cpu0
                        self.frame_seconds.append(time.perf_counter() - wall0)
                        continue  # the screen has not caught up: drop this picture
                    picture = draw_overlay(frame, guidance, ghost_img, ghost, size=size)
                    image = rgb_to_screen_image(picture)
                    if display is not None:
                        image.setDevicePixelRatio(display[2])
                    self.cpu_seconds += time.thread_time() - cpu0
                    self.frame_seconds.append(time.perf_counter() - wall0)
                    self._in_flight.set()
                    self.frames_emitted += 1
                    self.frame_ready.emit(image, guidance)
        finally:
            self.source.close()

    def _ghost_for(self, frame_size: tuple[int, int], picture: tuple[int, int]):
        """The baseline photo placed in a picture of size ``picture`` (drawn), and its face
        outline in *frame* pixels (for the guidance); cached until either size changes."""
        import cv2

        with self._ghost_lock:
            if self._ghost_photo is None:
                return None, None
            key = (frame_size, picture)
            if self._ghost_cache is None or self._ghost_cache[0] != key:
                rgb, face = self._ghost_photo
                ph, pw = rgb.shape[:2]
                m = ghost_transform((pw, ph), picture)
                img = cv2.warpAffine(rgb, m, picture, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
                ghost = make_ghost(face, (pw, ph), frame_size) if face is not None else None
                self._ghost_cache = (key, img, ghost)
            return self._ghost_cache[1], self._ghost_cache[2]


def picture_size(frame_size: tuple[int, int], display: tuple[int, int, float] | None) -> tuple[int, int]:
    """The size (pixels) of the preview picture: the frame fitted into the display, aspect kept,
    never enlarged (the GUI scales the rare larger view up when painting)."""
    w, h = frame_size
    if not display or display[0] <= 0 or display[1] <= 0:
        return w, h
    s = min(1.0, display[0] / w, display[1] / h)
    return max(1, round(w * s)), max(1, round(h * s))


def shrink(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``rgb`` resized down to ``size`` (width, height), quickly and without aliasing.

    OpenCV's area averaging is fast only for whole-number ratios (1280 -> 939 px takes ~7 ms,
    a quarter of a frame's time): halve by area averaging while the picture is over twice the
    size, then finish with bilinear, which does not alias at ratios above one half (~1 ms).
    """
    import cv2

    out = rgb
    while out.shape[1] >= 2 * size[0] and out.shape[0] >= 2 * size[1]:
        out = cv2.resize(out, (out.shape[1] // 2, out.shape[0] // 2), interpolation=cv2.INTER_AREA)
    if (out.shape[1], out.shape[0]) != tuple(size):
        out = cv2.resize(out, size, interpolation=cv2.INTER_LINEAR)
    elif out is rgb:
        out = rgb.copy()
    return out


def draw_overlay(
    frame: np.ndarray,
    guidance: LiveGuidance,
    ghost_img: np.ndarray | None = None,
    ghost: Ghost | None = None,
    *,
    size: tuple[int, int] | None = None,
) -> np.ndarray:
    """The picture shown: the frame at ``size`` (width, height; default the frame's), the
    baseline ghost (already at ``size``) faintly over it, the live mesh outline.

    ``guidance.outline`` and ``ghost.oval`` are in frame pixels.
    """
    import cv2

    h, w = frame.shape[:2]
    size = size or (w, h)
    out = shrink(frame, size) if size != (w, h) else frame.copy()
    if ghost_img is not None:
        cv2.addWeighted(out, 1.0 - GHOST_OPACITY, ghost_img, GHOST_OPACITY, 0.0, dst=out)
    scale = np.array([size[0] / w, size[1] / h], np.float32)
    thick = max(1, round(size[0] / 640))
    # Sub-pixel outlines (4 fractional bits): at picture size a rounded outline would wobble.
    shift = 4

    def pts(xy):
        return np.round(xy * scale * (1 << shift)).astype(np.int32)

    if ghost is not None:
        cv2.polylines(out, [pts(ghost.oval)], True, _GHOST_COLOUR, thick + 1, cv2.LINE_AA, shift)
    if guidance.outline:
        colour = _READY_COLOUR if not guidance.problems else _MESH_COLOUR
        cv2.polylines(out, [pts(p) for p in guidance.outline], True, colour, thick, cv2.LINE_AA, shift)
    return out
