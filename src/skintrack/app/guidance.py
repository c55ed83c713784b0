"""Live capture guidance: the quality checks of :mod:`skintrack.core.quality`, frame by frame.

The preview runs the face mesh on a downscaled copy of each camera frame. From it this module says,
in the same sentences the photo check uses, what the person should change ("Move closer", "Turn your
face toward the camera", "Too dark: add light from the front"), adds the two things only a live
view can judge (holding still, lining up with the baseline photo), and decides when the shutter may
take the frame: when nothing is left to fix and that has held for :data:`READY_HOLD_S` seconds.

No Qt here: the preview thread feeds :class:`GuidanceTracker` and shows what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from skintrack.core import quality as q
from skintrack.core.face import FACE_OVAL, Face, FaceDetection
from skintrack.core.regions import EXCLUDE

#: Seconds the guidance must stay satisfied before the shutter takes the frame (lets the camera
#: settle and avoids firing on a single lucky frame).
READY_HOLD_S = 0.5
#: Face movement, in face widths per second (smoothed), above which we ask the person to hold
#: still. A face held in the hand drifts at about 0.02-0.05; a deliberate head move exceeds 0.3.
MAX_MOTION_FACE_WIDTHS_PER_S = 0.12
#: Time constant of the motion smoothing, seconds.
MOTION_SMOOTHING_S = 0.15
#: Lighting and focus are judged on every n-th frame (they change slowly and cost ~10 ms; at
#: 30 fps this is six times a second).
LIGHT_EVERY_N_FRAMES = 5
#: Lining up with the baseline ghost: centre offset (face widths) and size ratio tolerances.
MAX_GHOST_OFFSET = 0.12
MAX_GHOST_SIZE_RATIO = 1.12
#: Fraction of the face width the face oval may come to the frame edge before it counts as cut off.
EDGE_MARGIN = 0.02

#: The face detector misses faces much under ~140 px in a 1280 x 720 frame, so "no face" in a live
#: view often means "too far away": the sentence says both.
NO_FACE_LIVE = q.Problem(
    "no_face", "No face found: face the camera from about an arm's length away, your whole face in the frame."
)
HOLD_STILL = q.Problem("moving", "Hold still for a moment.")
CUT_OFF = q.Problem("face_cut_off", "Move back a little: your whole face must be in the frame.")
GHOST_CLOSER = q.Problem("ghost_closer", "Come a little closer to fill the outline of your baseline photo.")
GHOST_BACK = q.Problem("ghost_back", "Move back a little to match the outline of your baseline photo.")
GHOST_OFFSET = q.Problem("ghost_offset", "Line your face up with the outline of your baseline photo.")
#: For the pre-treatment check the photo must show enough detail (the verdict asks for review
#: beyond ``verdict.MAX_CHECK_MM_PER_PX``): the live view asks for it before the shutter fires.
TOO_FAR_FOR_CHECK = q.Problem(
    "too_far_for_check", "Come closer: at this distance small pustules would not show."
)

#: Order in which problems are shown: the first one is the thing to fix first.
PRIORITY = (
    "no_face",
    "several_faces",
    "face_cut_off",
    "face_too_small",
    "too_far_for_check",
    "turned",
    "tilted",
    "ghost_back",
    "ghost_closer",
    "ghost_offset",
    "too_dark",
    "too_bright",
    "uneven_light",
    "blurred",
    "moving",
)
_LIGHT_CODES = ("too_dark", "too_bright", "uneven_light")

#: Landmark loops drawn as the live mesh outline (face oval, eyes, brows, lips).
OUTLINE_LOOPS: tuple[tuple[int, ...], ...] = (
    FACE_OVAL,
    EXCLUDE["right_eye"],
    EXCLUDE["left_eye"],
    EXCLUDE["right_brow"],
    EXCLUDE["left_brow"],
    EXCLUDE["lips"],
)


@dataclass(frozen=True, eq=False)
class Ghost:
    """The baseline face to line up with: its face-oval polygon in *frame* pixels."""

    oval: np.ndarray  # (36, 2) float32
    box: tuple[float, float, float, float]

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2)


def ghost_transform(photo_size: tuple[int, int], frame_size: tuple[int, int]) -> np.ndarray:
    """2x3 affine matrix placing a photo in a frame: scaled to the frame height, centred.

    A baseline taken by the same camera maps onto itself; a portrait phone photo is shown at the
    same face height in the middle of the frame.
    """
    pw, ph = photo_size
    fw, fh = frame_size
    s = fh / ph
    return np.array([[s, 0, (fw - pw * s) / 2], [0, s, 0]], np.float32)


def make_ghost(face: Face, photo_size: tuple[int, int], frame_size: tuple[int, int]) -> Ghost:
    """The baseline :class:`Face` (photo pixels) as a :class:`Ghost` in frame pixels."""
    m = ghost_transform(photo_size, frame_size)
    oval = face.xy[list(FACE_OVAL)] @ m[:, :2].T + m[:, 2]
    return Ghost(
        oval=oval.astype(np.float32),
        box=(
            float(oval[:, 0].min()),
            float(oval[:, 1].min()),
            float(oval[:, 0].max()),
            float(oval[:, 1].max()),
        ),
    )


@dataclass(frozen=True, eq=False)
class LiveGuidance:
    """What the preview shows for one frame.

    ``problems`` are in :data:`PRIORITY` order (empty when the frame would pass); ``ready`` is
    True once nothing has been wrong for :data:`READY_HOLD_S`. ``outline`` holds the mesh loops in
    frame pixels (empty with no face). ``motion`` is in face widths per second.
    """

    problems: tuple[q.Problem, ...]
    ready: bool
    outline: tuple[np.ndarray, ...] = ()
    face_box: tuple[float, float, float, float] | None = None
    motion: float | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.problems)

    @property
    def sentences(self) -> tuple[str, ...]:
        return tuple(p.message for p in self.problems)

    @property
    def headline(self) -> str:
        if self.problems:
            return self.problems[0].message
        return "Almost ready: hold still." if not self.ready else "Ready: the photo can be taken."


class GuidanceTracker:
    """Turns successive face detections of a live preview into :class:`LiveGuidance`.

    Feed :meth:`update` every frame with the full-size frame, the detection made on a copy
    downscaled by ``scale`` (frame pixels = small pixels * ``scale``) and the time in seconds.
    """

    def __init__(self, *, ghost: Ghost | None = None, max_mm_per_px: float | None = None) -> None:
        self.ghost = ghost
        #: Coarsest scale (mm of skin per frame pixel, from the iris) the photo may have; ``None``:
        #: any (tracking redness needs no fine detail).
        self.max_mm_per_px = max_mm_per_px
        self._prev_xy: np.ndarray | None = None
        self._prev_t: float | None = None
        self._motion: float | None = None
        self._light: tuple[q.Problem, ...] = ()
        self._blurred = False
        self._frame_no = 0
        self._clear_since: float | None = None

    def reset(self) -> None:
        self._prev_xy = self._prev_t = self._motion = None
        self._light, self._blurred, self._clear_since = (), False, None

    def update(
        self,
        frame: np.ndarray,
        small: np.ndarray,
        detection: FaceDetection,
        scale: float,
        t: float,
        *,
        faces_seen: int | None = None,
    ) -> LiveGuidance:
        """Guidance for one frame. ``faces_seen`` is the latest count from a separate several-face
        search (the live mesh tracks one face only, which keeps it fast)."""
        self._frame_no += 1
        if detection.count != 1 or (faces_seen or 0) > 1:
            self.reset()
            several = detection.count > 1 or (faces_seen or 0) > 1
            return LiveGuidance((q.MANY_FACES if several else NO_FACE_LIVE,), False)
        face = detection.face
        xy = face.xy * scale
        h, w = frame.shape[:2]
        x0, y0 = xy[:, 0].min(), xy[:, 1].min()
        x1, y1 = xy[:, 0].max(), xy[:, 1].max()
        fw = float(x1 - x0)
        problems: list[q.Problem] = []

        margin = EDGE_MARGIN * fw
        if x0 < margin or y0 < margin or x1 > w - margin or y1 > h - margin:
            problems.append(CUT_OFF)
        if fw < q.MIN_FACE_WIDTH_PX or fw < q.MIN_FACE_FRACTION * min(w, h):
            problems.append(q.TOO_SMALL)
        elif (
            self.max_mm_per_px is not None and face.mm_per_px and face.mm_per_px / scale > self.max_mm_per_px
        ):
            problems.append(TOO_FAR_FOR_CHECK)
        if abs(face.pose.yaw) > q.MAX_ABS_YAW_DEG:
            problems.append(q.TURNED)
        if abs(face.pose.pitch) > q.MAX_ABS_PITCH_DEG:
            problems.append(q.TILTED)
        if self.ghost is not None:
            problems.extend(self._ghost_problems((x0, y0, x1, y1)))

        self._update_motion(xy, fw, t)
        if self._frame_no % LIGHT_EVERY_N_FRAMES == 1 or LIGHT_EVERY_N_FRAMES == 1:
            self._update_light(frame, small, detection, scale)
        problems.extend(self._light)
        if self._blurred:
            problems.append(q.BLURRED)
        if self._motion is not None and self._motion > MAX_MOTION_FACE_WIDTHS_PER_S:
            problems.append(HOLD_STILL)

        problems.sort(key=lambda p: PRIORITY.index(p.code) if p.code in PRIORITY else len(PRIORITY))
        if problems:
            self._clear_since = None
        elif self._clear_since is None:
            self._clear_since = t
        ready = not problems and t - self._clear_since >= READY_HOLD_S
        outline = tuple(xy[list(loop)].astype(np.float32) for loop in OUTLINE_LOOPS)
        return LiveGuidance(
            tuple(problems), ready, outline, (float(x0), float(y0), float(x1), float(y1)), self._motion
        )

    def _ghost_problems(self, box) -> list[q.Problem]:
        g = self.ghost
        fw = box[2] - box[0]
        ratio = fw / max(g.width, 1.0)
        if ratio < 1 / MAX_GHOST_SIZE_RATIO:
            return [GHOST_CLOSER]
        if ratio > MAX_GHOST_SIZE_RATIO:
            return [GHOST_BACK]
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        gx, gy = g.centre
        if np.hypot(cx - gx, cy - gy) > MAX_GHOST_OFFSET * g.width:
            return [GHOST_OFFSET]
        return []

    def _update_motion(self, xy: np.ndarray, fw: float, t: float) -> None:
        if self._prev_xy is not None and self._prev_t is not None and t > self._prev_t:
            dt = t - self._prev_t
            # Median point speed: robust to a few landmarks jumping on a blink.
            speed = float(np.median(np.linalg.norm(xy - self._prev_xy, axis=1))) / max(fw, 1.0) / dt
            alpha = min(1.0, dt / MOTION_SMOOTHING_S)
            self._motion = speed if self._motion is None else ((1 - alpha) * self._motion + alpha * speed)
        self._prev_xy, self._prev_t = xy.copy(), t

    def _update_light(self, frame, small, detection, scale) -> None:
        from skintrack.core.regions import compute_regions

        face = detection.face
        try:
            regions = compute_regions(small, face)
        except Exception:  # a degenerate mesh at the frame edge: judge light next time
            return
        verdict = q.assess(small, detection, regions)
        self._light = tuple(p for p in verdict.problems if p.code in _LIGHT_CODES)
        # Sharpness on the full-size frame: the small copy would hide blur.
        bx = tuple(int(round(v * scale)) for v in face.box)
        h, w = frame.shape[:2]
        bx = (max(0, bx[0]), max(0, bx[1]), min(w, bx[2]), min(h, bx[3]))
        self._blurred = q.sharpness(frame, bx) < q.MIN_SHARPNESS
