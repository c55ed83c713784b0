"""Face geometry: MediaPipe FaceLandmarker (478 points), head pose and physical scale.

MediaPipe runs on a copy whose long side is about :data:`DETECT_LONG_SIDE` pixels; its normalised
points are mapped back to pixels of the full, oriented photo here and nowhere else.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from skintrack.core.errors import ModelError

MODEL_FILENAME = "face_landmarker.task"
MODEL_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
DETECT_LONG_SIDE = 1000
#: Retries for a still photo in which MediaPipe finds no face: (grey border as a share of the
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
FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400,
             377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67,
             109)


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
    """MediaPipe FaceLandmarker wrapper; a context manager (close it explicitly).

    ``mode="image"`` for still photos, ``mode="video"`` for a live preview (pass increasing
    ``timestamp_ms`` to :meth:`detect`). Finds up to ``max_faces`` faces so that "more than one
    face" can be reported.
    """

    def __init__(self, *, mode: str = "image", max_faces: int = 2, model: Path | None = None,
                 min_confidence: float = 0.5) -> None:
        if mode not in ("image", "video"):
            raise ValueError("mode must be 'image' or 'video'")
        data = load_model_bytes(model)
        os.environ.setdefault("GLOG_minloglevel", "2")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        from mediapipe.tasks.python import vision
        from mediapipe.tasks.python.core.base_options import BaseOptions

        running = vision.RunningMode.IMAGE if mode == "image" else vision.RunningMode.VIDEO
        opts = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=data),
            running_mode=running,
            num_faces=max_faces,
            min_face_detection_confidence=min_confidence,
            min_face_presence_confidence=min_confidence,
            min_tracking_confidence=min_confidence,
            output_facial_transformation_matrixes=True,
        )
        self.mode = mode
        self._mirror = mirror_permutation(data)
        with quiet_native_stderr():
            self._landmarker = vision.FaceLandmarker.create_from_options(opts)
        self._last_ts = -1
        self._warm = False

    def __enter__(self) -> FaceEngine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        lm, self._landmarker = getattr(self, "_landmarker", None), None
        if lm is not None:
            lm.close()

    def __del__(self) -> None:  # pragma: no cover - safety net; callers close explicitly
        try:
            self.close()
        except Exception:
            pass

    def detect(self, rgb: np.ndarray, *, timestamp_ms: int | None = None,
               attempts: tuple[tuple[float, bool], ...] = RETRY_ATTEMPTS) -> FaceDetection:
        """Find faces in an oriented RGB ``uint8`` image; points in pixels of ``rgb``.

        A still photo is tried as it is and then, while no face is found, with the retries of
        ``attempts`` (see :meth:`_detect_still`); a video frame only as it is.
        """
        import mediapipe as mp

        if self._landmarker is None:
            raise RuntimeError("FaceEngine is closed")
        h, w = rgb.shape[:2]
        t0 = time.perf_counter()
        small = downscale_for_detection(rgb)
        t1 = time.perf_counter()
        with quiet_native_stderr(not self._warm):
            if self.mode == "video":
                ts = int(timestamp_ms if timestamp_ms is not None else self._last_ts + 33)
                ts = max(ts, self._last_ts + 1)
                self._last_ts = ts
                image = mp.Image(image_format=mp.ImageFormat.SRGB, data=small)
                result = self._landmarker.detect_for_video(image, ts)
                tries = [((0, 0), False, result)]
            else:
                tries = self._detect_still(mp, small, attempts)
        self._warm = True
        t2 = time.perf_counter()
        faces = []
        (pad_x, pad_y), mirrored, result = tries[-1]
        sh, sw = small.shape[:2]
        matrices = result.facial_transformation_matrixes or []
        for i, lms in enumerate(result.face_landmarks):
            pts = np.array([(p.x, p.y, p.z) for p in lms], dtype=np.float32)
            if pts.shape[0] != 478:
                continue
            mat = np.asarray(matrices[i]) if i < len(matrices) else None
            if mirrored:
                # The mirrored face's point k sits where the real face's mirror partner of k is.
                pts = pts[self._mirror]
                pts[:, 0] = 1.0 - pts[:, 0]
                if mat is not None:
                    flip = np.diag([-1.0, 1.0, 1.0, 1.0])
                    mat = flip @ mat @ flip
            # Normalised coordinates are resolution independent: scale by the full size (less
            # the grey border a retry added around the detection copy).
            pts[:, 0] = (pts[:, 0] * (sw + 2 * pad_x) - pad_x) * (w / sw)
            pts[:, 1] = (pts[:, 1] * (sh + 2 * pad_y) - pad_y) * (h / sh)
            pts[:, 2] *= (sw + 2 * pad_x) * (w / sw)
            faces.append(_make_face(pts, mat, w, h))
        faces.sort(key=lambda f: -f.width_px)
        t3 = time.perf_counter()
        timing = {"downscale": (t1 - t0) * 1e3, "landmarks": (t2 - t1) * 1e3,
                  "geometry": (t3 - t2) * 1e3, "attempts": float(len(tries))}
        return FaceDetection(faces=tuple(faces), image_size=(w, h), timing_ms=timing)

    def _detect_still(self, mp, small: np.ndarray, attempts) -> list:
        """Landmarks of a still photo, retrying where MediaPipe's selfie detector gives up.

        Its face detector misses many side views and faces that fill the frame (close-ups of a
        cheek): when the photo itself yields no face, the same copy is tried mirrored, then inside
        a grey border of :data:`RETRY_BORDER` of its size (so the face fills less of it), then
        both. The first attempt that finds a face wins. Returns the attempts made, each as
        ``((border_x, border_y), mirrored, result)``; the last one is the answer.
        """
        import cv2

        tries = []
        sh, sw = small.shape[:2]
        for border, mirrored in attempts:
            if mirrored and self._mirror is None:
                continue
            px, py = round(border * sw), round(border * sh)
            img = small[:, ::-1] if mirrored else small
            if px or py:
                img = cv2.copyMakeBorder(img, py, py, px, px, cv2.BORDER_CONSTANT,
                                         value=(128, 128, 128))
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(img))
            result = self._landmarker.detect(image)
            tries.append(((px, py), mirrored, result))
            if result.face_landmarks:
                break
        return tries


@lru_cache(maxsize=2)
def mirror_permutation(model: bytes) -> np.ndarray | None:
    """For each of the 478 landmarks, the index of its mirror partner (an involution).

    Read from the model itself: the canonical face mesh in its geometry metadata is exactly
    symmetric about x = 0, so each vertex's partner is the vertex at its mirrored position. The
    ten iris points (not in the canonical mesh) pair as centre to centre and edge to facing edge.
    ``None`` if the metadata cannot be read (then no mirrored retry is made).
    """
    import io
    import struct
    import zipfile

    def fields(buf: bytes):
        i = 0
        while i < len(buf):
            key, i = _varint(buf, i)
            kind = key & 7
            if kind == 0:
                value, i = _varint(buf, i)
            elif kind == 2:
                n, i = _varint(buf, i)
                value, i = buf[i:i + n], i + n
            elif kind == 5:
                value, i = struct.unpack("<f", buf[i:i + 4])[0], i + 4
            elif kind == 1:
                value, i = buf[i:i + 8], i + 8
            else:
                raise ValueError("unsupported protobuf wire type")
            yield key >> 3, kind, value

    try:
        with zipfile.ZipFile(io.BytesIO(model)) as zf:
            meta = zf.read("geometry_pipeline_metadata_landmarks.binarypb")
        # GeometryPipelineMetadata.canonical_mesh (1) -> Mesh3d.vertex_buffer (3): x, y, z, u, v.
        mesh = next(v for f, k, v in fields(meta) if f == 1 and k == 2)
        floats = [v for f, k, v in fields(mesh) if f == 3 and k == 5]
        vert = np.asarray(floats, np.float64).reshape(-1, 5)[:, :3]
    except (KeyError, ValueError, StopIteration, zipfile.BadZipFile, IndexError, struct.error):
        return None
    if len(vert) != 468:
        return None
    mirrored = vert * (-1.0, 1.0, 1.0)
    dist = np.linalg.norm(mirrored[:, None] - vert[None], axis=2)
    perm = dist.argmin(1)
    if dist.min(1).max() > 1e-3 or not (perm[perm] == np.arange(468)).all():
        return None
    iris = np.array([473, 476, 475, 474, 477, 468, 471, 470, 469, 472])
    return np.concatenate([perm, iris]).astype(np.intp)


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


@contextlib.contextmanager
def quiet_native_stderr(active: bool = True):
    """Silence the C++ log lines MediaPipe/TFLite print to fd 2 while a model loads or first runs.

    Set ``SKINTRACK_DEBUG=1`` to see them.
    """
    if not active or os.environ.get("SKINTRACK_DEBUG"):
        yield
        return
    import sys

    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


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
    """Yaw, pitch, roll (degrees) from MediaPipe's 4x4 facial transformation matrix."""
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
