"""The live preview thread: camera frames -> face mesh -> guidance -> an annotated picture.

One :class:`PreviewThread` owns the frame source and a video-mode
:class:`~skintrack.core.face.FaceEngine`. Each frame is downscaled to :data:`DETECT_WIDTH` pixels
for the face mesh (the mesh is as good at that size and several times faster), the guidance is
updated, the mesh outline and the baseline ghost are drawn onto a copy, and the result is handed to
the GUI thread. When the GUI thread is still busy with the previous picture the new one is dropped,
so a slow screen never builds a queue (the guidance keeps running on every frame).
"""

from __future__ import annotations

import threading
import time

import numpy as np
from PySide6.QtCore import QThread, Signal

from skintrack.app.camera import CameraUnavailable, FrameSource
from skintrack.app.guidance import Ghost, GuidanceTracker, LiveGuidance, ghost_transform, make_ghost
from skintrack.app.qtimage import rgb_to_qimage

#: Width (pixels) of the copy the face mesh runs on.
DETECT_WIDTH = 640
#: The live mesh tracks one face (MediaPipe then skips its face detector on most frames: ~10 ms
#: instead of ~25 ms a frame); a separate search for several faces runs every this many frames.
COUNT_FACES_EVERY_N_FRAMES = 15
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
        self._ghost_cache: tuple[tuple[int, int], np.ndarray, Ghost] | None = None
        self.frames_processed = 0
        self.frames_emitted = 0
        self.cpu_seconds = 0.0  # this thread's CPU time spent on frames (benchmark figure)
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
            with FaceEngine(mode="video", max_faces=1) as engine, \
                    FaceEngine(mode="image", max_faces=2) as counter:
                faces_seen = None
                while not self._stop.is_set():
                    frame = self.source.read()
                    if frame is None:
                        self.ended.emit()
                        break
                    cpu0 = time.thread_time()
                    h, w = frame.shape[:2]
                    scale = max(1.0, w / DETECT_WIDTH)
                    small = frame if scale == 1.0 else cv2.resize(
                        frame, (round(w / scale), round(h / scale)), interpolation=cv2.INTER_AREA)
                    scale = w / small.shape[1]
                    t = time.perf_counter() - t0
                    detection = engine.detect(small, timestamp_ms=int(t * 1000))
                    if self.frames_processed % COUNT_FACES_EVERY_N_FRAMES == 0:
                        faces_seen = counter.detect(small).count
                    ghost_img, ghost = self._ghost_for((w, h))
                    tracker.ghost = ghost
                    guidance = tracker.update(frame, small, detection, scale, t, faces_seen=faces_seen)
                    self.frames_processed += 1
                    self.last_frame = frame
                    if self._armed.is_set() and guidance.ready:
                        self._armed.clear()
                        self.captured.emit(frame.copy(), guidance)
                    if self._in_flight.is_set():
                        self.cpu_seconds += time.thread_time() - cpu0
                        continue  # the screen has not caught up: drop this picture
                    picture = draw_overlay(frame, guidance, ghost_img, ghost)
                    image = rgb_to_qimage(picture)
                    self.cpu_seconds += time.thread_time() - cpu0
                    self._in_flight.set()
                    self.frames_emitted += 1
                    self.frame_ready.emit(image, guidance)
        finally:
            self.source.close()

    def _ghost_for(self, size: tuple[int, int]):
        import cv2

        with self._ghost_lock:
            if self._ghost_photo is None:
                return None, None
            if self._ghost_cache is None or self._ghost_cache[0] != size:
                rgb, face = self._ghost_photo
                ph, pw = rgb.shape[:2]
                m = ghost_transform((pw, ph), size)
                img = cv2.warpAffine(rgb, m, size, borderMode=cv2.BORDER_CONSTANT)
                ghost = make_ghost(face, (pw, ph), size) if face is not None else None
                self._ghost_cache = (size, img, ghost)
            return self._ghost_cache[1], self._ghost_cache[2]


def draw_overlay(frame: np.ndarray, guidance: LiveGuidance, ghost_img: np.ndarray | None = None,
                 ghost: Ghost | None = None) -> np.ndarray:
    """The picture shown: the frame, the baseline ghost faintly over it, the live mesh outline."""
    import cv2

    if ghost_img is not None:
        out = cv2.addWeighted(frame, 1.0 - GHOST_OPACITY, ghost_img, GHOST_OPACITY, 0.0)
    else:
        out = frame.copy()
    thick = max(1, round(frame.shape[1] / 640))
    if ghost is not None:
        cv2.polylines(out, [np.round(ghost.oval).astype(np.int32)], True, _GHOST_COLOUR, thick + 1,
                      cv2.LINE_AA)
    if guidance.outline:
        colour = _READY_COLOUR if not guidance.problems else _MESH_COLOUR
        cv2.polylines(out, [np.round(p).astype(np.int32) for p in guidance.outline], True, colour,
                      thick, cv2.LINE_AA)
    return out
