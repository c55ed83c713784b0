"""Face geometry: the 478-point face mesh, head pose and physical scale.

The bundled MediaPipe FaceLandmarker models run through OpenCV (:mod:`skintrack.core.face_nets`,
no MediaPipe library and no network, ADR 0004) on a copy whose long side is about
:data:`DETECT_LONG_SIDE` pixels; the points are mapped back to pixels of the full, oriented photo
here and nowhere else.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from skintrack.core.errors import ModelError

if TYPE_CHECKING:
    from skintrack.core.face_nets import FaceNets

MODEL_FILENAME = "face_landmarker.task"
MODEL_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
DETECT_LONG_SIDE = 1000
#: Retries for a still photo in which the detector finds no face: (grey border as a share of the
#: photo's size on each side, mirrored). See :meth:`FaceEngine._detect_still`.
RETRY_BORDER = 0.25
RETRY_ATTEMPTS = ((0.0, False), (0.0, True), (RETRY_BORDER, False), (RETRY_BORDER, True))

#: Horizontal visible iris diameter of adults, mm. Rüfer F, Schröder A, Erb C (2005) "White-to-white
#: corneal diameter: normal values in healthy humans obtained with the Orbscan II topography
#: system", Cornea 24(3):259-261: 11.71 +/- 0.42 mm (n=593). MediaPipe Iris uses 11.7 mm as well.
IRIS_DIAMETER_MM = 11.7

# Landmark indices (MediaPipe face mesh topology). Iris points exist only in the 478-point model.
RIGHT_IRIS = (468, 469, 470, 471, 472)  # person's right eye: centre, then 4 edge points
LEFT_IRIS = (473, 474, 475, 476, 477)
FACE_OVAL = (
    10,
    338,
    297,
    332,
    284,
    251,
    389,
    356,
    454,
    323,
    361,
    288,
    397,
    365,
    379,
    378,
    400,
    377,
    152,
    148,
    176,
    149,
    150,
    136,
    172,
    58,
    132,
    93,
    234,
    127,
    162,
    21,
    54,
    103,
    67,
    109,
)


@dataclass(frozen=True)
class Pose:
    """Head pose in degrees. ``yaw`` > 0: nose turned toward the image left (the person's right);
    ``pitch`` and ``roll`` follow the same rotation decomposition (ZYX of the facial
    transformation matrix); only their magnitudes are used for guidance."""

    yaw: float
    pitch: float
    roll: float


@dataclass(frozen=True, eq=False)
class Face:
    """One face. ``landmarks`` is ``(478, 3) float32``: x, y in pixels of the oriented photo,
    z in the same pixel units (relative depth, smaller is nearer the camera)."""

    landmarks: np.ndarray
    pose: Pose
    mm_per_px: float | None
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (pixels, bounds of all landmarks)

    def __post_init__(self) -> None:
        if self.landmarks.shape != (478, 3):
            raise ValueError("Face.landmarks must be (478, 3)")

    @property
    def xy(self) -> np.ndarray:
        return self.landmarks[:, :2]

    @property
    def width_px(self) -> float:
        return float(self.box[2] - self.box[0])


@dataclass(frozen=True, eq=False)
class FaceDetection:
    """The face-finding result for one photo: zero, one or several faces (never an exception)."""

    faces: tuple[Face, ...]
    image_size: tuple[int, int]  # width, height
    timing_ms: dict = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.faces)

    @property
    def found(self) -> bool:
        return len(self.faces) >= 1

    @property
    def face(self) -> Face | None:
        """The face, when exactly one was found."""
        return self.faces[0] if len(self.faces) == 1 else None


def model_path() -> Path:
    """Locate the bundled model: installed wheel, then source tree, then ``SKINTRACK_MODEL``."""
    env = os.environ.get("SKINTRACK_MODEL")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    candidates = [
        here.parent.parent / "_models" / MODEL_FILENAME,  # installed wheel
        here.parents[3] / "models" / MODEL_FILENAME,  # source tree: src/skintrack/core/face.py
    ]
    for c in candidates:
        if c.is_file():
            return c
    return candidates[-1]


@lru_cache(maxsize=4)
def _verified(path_str: str, size: int, mtime: float) -> bytes:
    data = Path(path_str).read_bytes()
    if hashlib.sha256(data).hexdigest() != MODEL_SHA256:
        raise ModelError(
            f"The face model {path_str} is damaged or not the expected file (SHA-256 mismatch); "
            "reinstall skintrack or restore models/face_landmarker.task (see models/README.md)."
        )
    return data


def load_model_bytes(path: Path | None = None) -> bytes:
    """The model file's bytes after checking its SHA-256; :class:`ModelError` if missing/altered."""
    p = Path(path) if path else model_path()
    try:
        st = p.stat()
    except OSError:
        raise ModelError(
            f"The face model is missing ({p}); reinstall skintrack or restore "
            "models/face_landmarker.task (see models/README.md)."
        ) from None
    return _verified(str(p), st.st_size, st.st_mtime)


class FaceEngine:
    """The bundled face models (detector and 478-point mesh) run by OpenCV; a context manager
    (close it explicitly). No MediaPipe and no network: see ADR 0004.

    ``mode="image"`` for still photos, ``mode="video"`` for a live preview (pass increasing
    ``timestamp_ms`` to :meth:`detect`): in video mode a face found in one frame is followed into
    the next from its landmarks, and the detector runs only while fewer than ``max_faces`` are
    followed. Finds up to ``max_faces`` faces so that "more than one face" can be reported.
    """

    def __init__(
        self,
        *,
        mode: str = "image",
        max_faces: int = 2,
        model: Path | None = None,
        min_confidence: float = 0.5,
    ) -> None:
        if mode not in ("image", "video"):
            raise ValueError("mode must be 'image' or 'video'")
        if max_faces < 1:
            raise ValueError("max_faces must be at least 1")
        data = load_model_bytes(model)
        from skintrack.core.face_geometry import canonical_face
        from skintrack.core.face_nets import FaceNets, LandmarkSmoother

        self.mode = mode
        self.max_faces = int(max_faces)
        self.min_confidence = float(min_confidence)
        self._mirror = mirror_permutation(data)
        self._canonical = canonical_face(data)
        self._nets: FaceNets | None = FaceNets(data)
        self._tracked: list = []  # video mode: the crops of the faces followed from the last frame
        # Video mode with one face: MediaPipe's landmark smoothing (its stream mode did the same).
        self._smoother = LandmarkSmoother() if mode == "video" and self.max_faces == 1 else None
        self._last_ts = -1

    def __enter__(self) -> FaceEngine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._nets = None
        self._tracked = []

    def detect(
        self,
        rgb: np.ndarray,
        *,
        timestamp_ms: int | None = None,
        attempts: tuple[tuple[float, bool], ...] = RETRY_ATTEMPTS,
    ) -> FaceDetection:
        """Find faces in an oriented RGB ``uint8`` image; points in pixels of ``rgb``.

        A still photo is tried as it is and then, while no face is found, with the retries of
        ``attempts`` (see :meth:`_detect_still`); a video frame only as it is.
        """
        if self._nets is None:
            raise RuntimeError("FaceEngine is closed")
        h, w = rgb.shape[:2]
        t0 = time.perf_counter()
        small = downscale_for_detection(rgb)
        sh, sw = small.shape[:2]
        t1 = time.perf_counter()
        if self.mode == "video":
            ts = int(timestamp_ms if timestamp_ms is not None else self._last_ts + 33)
            self._last_ts = max(ts, self._last_ts + 1)
            found, n_attempts = self._detect_video(small, self._last_ts / 1000.0), 1
        else:
            found, n_attempts = self._detect_still(small, attempts)
        t2 = time.perf_counter()
        faces = []
        for pts in found:
            mat = None
            if self._canonical is not None:
                from skintrack.core.face_geometry import pose_matrix

                norm = pts / (sw, sh, sw)
                mat = pose_matrix(norm, sw, sh, self._canonical)
            full = pts.copy()
            full[:, 0] *= w / sw
            full[:, 1] *= h / sh
            full[:, 2] *= w / sw
            faces.append(_make_face(full.astype(np.float32), mat, w, h))
        faces.sort(key=lambda f: -f.width_px)
        t3 = time.perf_counter()
        timing = {
            "downscale": (t1 - t0) * 1e3,
            "landmarks": (t2 - t1) * 1e3,
            "geometry": (t3 - t2) * 1e3,
            "attempts": float(n_attempts),
        }
        return FaceDetection(faces=tuple(faces), image_size=(w, h), timing_ms=timing)

    def _open_nets(self) -> FaceNets:
        if self._nets is None:
            raise RuntimeError("FaceEngine is closed")
        return self._nets

    def _landmarks_of(self, img: np.ndarray, rois) -> list[tuple]:
        """(points, crop) of each crop whose face the landmark network confirms."""
        out = []
        nets = self._open_nets()
        for roi in rois:
            pts, presence = nets.landmarks(img, roi)
            if presence >= self.min_confidence:
                out.append((pts, roi))
        return out

    def _find(self, img: np.ndarray) -> list[tuple]:
        """Detector, then landmarks in each detection's crop: MediaPipe's image mode."""
        from skintrack.core.face_nets import roi_from_detection

        dets = self._open_nets().detect(img, min_score=self.min_confidence, max_faces=self.max_faces)
        rois = [roi_from_detection(d) for d in dets]
        return self._landmarks_of(img, [r for r in rois if r is not None])

    def _detect_video(self, small: np.ndarray, t: float) -> list[np.ndarray]:
        """Follow the faces of the last frame; run the detector only for missing ones. The next
        frame's crops come from the raw points; one face's points are then smoothed over time."""
        from skintrack.core.face_nets import roi_from_detection, roi_from_landmarks

        found = self._landmarks_of(small, self._tracked)
        if len(found) < self.max_faces:
            dets = self._open_nets().detect(small, min_score=self.min_confidence, max_faces=self.max_faces)
            rois = [r for r in (roi_from_detection(d) for d in dets) if r is not None]
            # A detection of a face already followed is the same face: keep the followed one.
            new = [r for r in rois if all(r.iou(f[1]) <= self.min_confidence for f in found)]
            found += self._landmarks_of(small, new[: self.max_faces - len(found)])
        tracked = (roi_from_landmarks(pts[:, :2]) for pts, _ in found)
        self._tracked = [r for r in tracked if r is not None]
        points = [pts for pts, _ in found]
        if self._smoother is not None:
            if points:
                points = [self._smoother(points[0], t)]
            else:
                self._smoother.reset()
        return points

    def _detect_still(self, small: np.ndarray, attempts) -> tuple[list[np.ndarray], int]:
        """Landmarks of a still photo, retrying where the selfie detector gives up.

        Its face detector misses many side views and faces that fill the frame (close-ups of a
        cheek): when the photo itself yields no face, the same copy is tried mirrored, then inside
        a grey border of :data:`RETRY_BORDER` of its size (so the face fills less of it), then
        both. The first attempt that finds a face wins. Returns its faces' points in pixels of
        ``small`` (anatomy kept: a mirrored face's points are mapped through their mirror
        partners) and the number of attempts made.
        """
        import cv2

        sh, sw = small.shape[:2]
        n = 0
        for border, mirrored in attempts:
            if mirrored and self._mirror is None:
                continue
            n += 1
            px, py = round(border * sw), round(border * sh)
            img = small[:, ::-1] if mirrored else small
            if px or py:
                img = cv2.copyMakeBorder(img, py, py, px, px, cv2.BORDER_CONSTANT, value=(128, 128, 128))
            found = self._find(np.ascontiguousarray(img))
            if not found:
                continue
            out = []
            for pts, _ in found:
                pts = pts.copy()
                pts[:, 0] -= px
                pts[:, 1] -= py
                if mirrored:
                    # The mirrored face's point k sits where the real face's mirror partner of k is.
                    pts = pts[self._mirror]
                    pts[:, 0] = sw - pts[:, 0]
                out.append(pts)
            return out, n
        return [], n


def scale_points(xy: np.ndarray, k: float) -> np.ndarray:
    """Pixel coordinates on an image decoded at 1/``k`` scale -> the same points at full scale.

    Pixel (i, j) of the reduced image is the block of k x k full pixels from (k * i, k * j), so
    pixel centres map as ``k * (x + 0.5) - 0.5``.
    """
    return k * (np.asarray(xy, np.float64) + 0.5) - 0.5


def scaled_face(face: Face, k: float, size: tuple[int, int]) -> Face:
    """``face`` found on an image decoded at 1/``k`` scale, in pixels of the image ``k`` times
    larger whose (width, height) is ``size``. The pose does not change; the iris scale does."""
    pts = np.array(face.landmarks, np.float32)
    pts[:, :2] = scale_points(face.landmarks[:, :2], k)
    pts[:, 2] *= np.float32(k)
    w, h = size
    x0, y0 = np.floor(pts[:, :2].min(axis=0)).astype(int)
    x1, y1 = np.ceil(pts[:, :2].max(axis=0)).astype(int)
    box = (max(0, int(x0)), max(0, int(y0)), min(w, int(x1)), min(h, int(y1)))
    mm = None if face.mm_per_px is None else face.mm_per_px / k
    return Face(landmarks=pts, pose=face.pose, mm_per_px=mm, box=box)


def scaled_detection(det: FaceDetection, k: float, size: tuple[int, int]) -> FaceDetection:
    """:func:`scaled_face` for every face of ``det``; ``size`` is the larger image's."""
    return FaceDetection(
        faces=tuple(scaled_face(f, k, size) for f in det.faces),
        image_size=(int(size[0]), int(size[1])),
        timing_ms=dict(det.timing_ms),
    )


def mirror_permutation(model: bytes) -> np.ndarray | None:
    """For each of the 478 landmarks, the index of its mirror partner (an involution); see
    :func:`skintrack.core.face_geometry.mirror_permutation`."""
    from skintrack.core.face_geometry import mirror_permutation as _from_model

    return _from_model(model)


def downscale_for_detection(rgb: np.ndarray, long_side: int = DETECT_LONG_SIDE) -> np.ndarray:
    """A contiguous copy whose long side is about ``long_side`` px (never upscaled)."""
    import cv2

    h, w = rgb.shape[:2]
    k = max(h, w) / float(long_side)
    if k <= 1.25:
        return np.ascontiguousarray(rgb)
    step = int(k)  # integer pre-decimation, then a cheap exact resize
    if step >= 2:
        rgb = rgb[step // 2 :: step, step // 2 :: step]
        h, w = rgb.shape[:2]
        k = max(h, w) / float(long_side)
    if k > 1.05:
        rgb = cv2.resize(rgb, (round(w / k), round(h / k)), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(rgb)


def pose_from_matrix(mat: np.ndarray) -> Pose:
    """Yaw, pitch, roll (degrees) from the 4x4 facial transformation matrix (canonical face to
    camera, as MediaPipe's face-geometry pipeline defines it)."""
    r = np.asarray(mat, dtype=np.float64)[:3, :3]
    # Remove any scale the matrix carries.
    r = r / np.cbrt(max(np.linalg.det(r), 1e-12))
    yaw = math.degrees(math.asin(max(-1.0, min(1.0, -r[2, 0]))))
    pitch = math.degrees(math.atan2(r[2, 1], r[2, 2]))
    roll = math.degrees(math.atan2(r[1, 0], r[0, 0]))
    return Pose(yaw=-yaw, pitch=-pitch, roll=-roll)


def _iris_diameter_px(xy: np.ndarray, idx: tuple[int, ...]) -> float:
    c, a, b, d, e = (xy[i] for i in idx)
    horiz = float(np.linalg.norm(a - d))
    vert = float(np.linalg.norm(b - e))
    return max(horiz, vert)  # the larger is least shortened by eyelids and head turn


def _make_face(pts: np.ndarray, mat: np.ndarray | None, w: int, h: int) -> Face:
    xy = pts[:, :2]
    # All points, not only the oval: in a turned face the nose tip sticks out past the oval.
    x0, y0 = np.floor(xy.min(axis=0)).astype(int)
    x1, y1 = np.ceil(xy.max(axis=0)).astype(int)
    box = (max(0, int(x0)), max(0, int(y0)), min(w, int(x1)), min(h, int(y1)))
    diam = [_iris_diameter_px(xy, RIGHT_IRIS), _iris_diameter_px(xy, LEFT_IRIS)]
    d = float(np.mean(diam))
    mm_per_px = IRIS_DIAMETER_MM / d if d > 2 else None
    pose = pose_from_matrix(mat) if mat is not None else Pose(0.0, 0.0, 0.0)
    return Face(landmarks=pts, pose=pose, mm_per_px=mm_per_px, box=box)
