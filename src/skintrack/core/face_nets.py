"""The two networks of the face bundle, run by OpenCV's ``dnn`` module: no MediaPipe, no network.

``face_landmarker.task`` is a zip of TFLite models. Two of them are used here, loaded from the
verified bundle bytes in memory (``cv2.dnn.readNetFromTFLite``):

* ``face_detector.tflite``: BlazeFace short range, a 128 x 128 SSD with 896 anchors, giving a box
  and six keypoints (eyes, nose tip, mouth, ear tragions) per face;
* ``face_landmarks_detector.tflite``: the 478-point face mesh (with irises) on a 256 x 256 crop,
  plus a face-presence score.

The geometry around them repeats MediaPipe Tasks' FaceLandmarker graphs (Apache-2.0) so that the
landmarks are MediaPipe's: ``face_detector_graph.cc`` (anchors, decoding, weighted non-maximum
suppression, letterboxed input in -1..1), ``face_landmarks_detector_graph.cc`` (crop rotated so
the eyes are level, 1.5 x the detection box, input 0..1, presence threshold) and the
image-to-tensor sampling of ``image_to_tensor_converter_opencv.cc`` (bilinear, corner to corner).

Everything here works in pixels of the image it is given; :mod:`skintrack.core.face` maps the
points to the photo.
"""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

DETECTOR_MEMBER = "face_detector.tflite"
LANDMARKS_MEMBER = "face_landmarks_detector.tflite"
DETECTOR_SIZE = 128
LANDMARKS_SIZE = 256
NUM_LANDMARKS = 478
#: SsdAnchorsCalculator options of the short-range face detector.
ANCHOR_STRIDES = (8, 16, 16, 16)
ANCHORS_PER_LAYER = 2  # aspect ratio 1.0 plus the interpolated scale, both fixed size 1 x 1
#: TensorsToDetections and NonMaxSuppression options of the face detector graph.
SCORE_CLIP = 100.0
NMS_MIN_IOU = 0.3
#: The landmark crop is the detection box (or the previous frame's landmarks' box) scaled by this.
ROI_SCALE = 1.5
#: Keypoints and landmarks whose line sets the crop's rotation (person's right eye -> left eye).
DETECTION_EYES = (0, 1)
LANDMARK_EYES = (33, 263)


@dataclass(frozen=True)
class Roi:
    """A rotated square-ish region of an image in pixels: centre, size, rotation (radians)."""

    cx: float
    cy: float
    width: float
    height: float
    rotation: float

    def __post_init__(self) -> None:
        if not (self.width > 0 and self.height > 0) or not all(
            math.isfinite(v) for v in (self.cx, self.cy, self.width, self.height, self.rotation)
        ):
            raise ValueError("Roi needs a finite centre and rotation and a positive size")

    def iou(self, other: Roi) -> float:
        """Overlap of the two regions' axis-aligned extents (rotation ignored)."""
        ax0, ay0 = self.cx - self.width / 2, self.cy - self.height / 2
        bx0, by0 = other.cx - other.width / 2, other.cy - other.height / 2
        ix = max(0.0, min(ax0 + self.width, bx0 + other.width) - max(ax0, bx0))
        iy = max(0.0, min(ay0 + self.height, by0 + other.height) - max(ay0, by0))
        inter = ix * iy
        union = self.width * self.height + other.width * other.height - inter
        return inter / union if union > 0 else 0.0


@dataclass(frozen=True, eq=False)
class Detection:
    """One face found by the detector: box (x0, y0, x1, y1) and six keypoints, in pixels."""

    box: tuple[float, float, float, float]
    keypoints: np.ndarray  # (6, 2)
    score: float


@lru_cache(maxsize=1)
def ssd_anchors() -> np.ndarray:
    """Centres (x, y) in 0..1 of the detector's 896 anchors, in the model's output order.

    Layers that share a stride share a feature map (SsdAnchorsCalculator): a 16 x 16 map with 2
    anchors per cell, then an 8 x 8 map with 3 x 2 = 6 anchors per cell.
    """
    out = []
    i = 0
    while i < len(ANCHOR_STRIDES):
        stride = ANCHOR_STRIDES[i]
        j = i
        while j < len(ANCHOR_STRIDES) and ANCHOR_STRIDES[j] == stride:
            j += 1
        per_cell = (j - i) * ANCHORS_PER_LAYER
        n = math.ceil(DETECTOR_SIZE / stride)
        ys, xs = np.mgrid[0:n, 0:n]
        centres = np.stack([(xs.ravel() + 0.5) / n, (ys.ravel() + 0.5) / n], axis=1)
        out.append(np.repeat(centres, per_cell, axis=0))
        i = j
    return np.concatenate(out).astype(np.float64)


def decode_detections(raw: np.ndarray, logits: np.ndarray, min_score: float) -> list[tuple]:
    """Boxes, keypoints and scores of the anchors scoring at least ``min_score`` (0..1 units
    of the detector input), best first. ``raw`` is ``(896, 16)``, ``logits`` ``(896,)``."""
    anchors = ssd_anchors()
    raw = raw.astype(np.float64)
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits.astype(np.float64), -SCORE_CLIP, SCORE_CLIP)))
    keep = np.flatnonzero(scores >= min_score)
    keep = keep[np.argsort(-scores[keep], kind="stable")]
    out = []
    for k in keep:
        ax, ay = anchors[k]
        cx, cy = raw[k, 0] / DETECTOR_SIZE + ax, raw[k, 1] / DETECTOR_SIZE + ay
        w, h = raw[k, 2] / DETECTOR_SIZE, raw[k, 3] / DETECTOR_SIZE
        box = np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
        kps = raw[k, 4:16].reshape(6, 2) / DETECTOR_SIZE + (ax, ay)
        out.append((box, kps, float(scores[k])))
    return out


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def weighted_nms(dets: list[tuple], min_iou: float = NMS_MIN_IOU) -> list[tuple]:
    """MediaPipe's WEIGHTED non-maximum suppression: each best remaining detection absorbs all
    that overlap it by more than ``min_iou`` (itself included); its box and keypoints become
    their score-weighted mean, its score stays the best one. ``dets`` must be sorted best first."""
    remaining = list(dets)
    out = []
    while remaining:
        top_box = remaining[0][0]
        group = [d for d in remaining if _iou(d[0], top_box) > min_iou]
        rest = [d for d in remaining if _iou(d[0], top_box) <= min_iou]
        w = np.array([d[2] for d in group])
        box = (np.array([d[0] for d in group]) * w[:, None]).sum(0) / w.sum()
        kps = (np.array([d[1] for d in group]) * w[:, None, None]).sum(0) / w.sum()
        out.append((box, kps, remaining[0][2]))
        if len(rest) == len(remaining):
            break
        remaining = rest
    return out


def _rotation(p0: np.ndarray, p1: np.ndarray) -> float:
    """DetectionsToRectsCalculator: the angle that brings p0 -> p1 level (target angle 0)."""
    angle = -math.atan2(-(p1[1] - p0[1]), p1[0] - p0[0])
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


def _roi(cx, cy, width, height, rotation) -> Roi | None:
    try:
        return Roi(float(cx), float(cy), float(width), float(height), float(rotation))
    except ValueError:  # a degenerate box (no area, not finite): no crop, no face
        return None


def roi_from_detection(det: Detection) -> Roi | None:
    """The landmark crop for a detection: its box scaled 1.5x, turned so the eyes are level
    (``None`` for a degenerate box)."""
    x0, y0, x1, y1 = det.box
    rot = _rotation(det.keypoints[DETECTION_EYES[0]], det.keypoints[DETECTION_EYES[1]])
    return _roi((x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) * ROI_SCALE, (y1 - y0) * ROI_SCALE, rot)


def roi_from_landmarks(xy: np.ndarray) -> Roi | None:
    """The next video frame's crop from this frame's landmarks: their box, squared on its long
    side and scaled 1.5x, turned so that the outer eye corners are level."""
    x0, y0 = xy.min(axis=0)
    x1, y1 = xy.max(axis=0)
    side = max(x1 - x0, y1 - y0) * ROI_SCALE
    rot = _rotation(xy[LANDMARK_EYES[0]], xy[LANDMARK_EYES[1]])
    return _roi((x0 + x1) / 2, (y0 + y1) / 2, side, side, rot)


def crop(rgb: np.ndarray, roi: Roi, size: int, *, zero_border: bool) -> np.ndarray:
    """``size`` x ``size`` bilinear samples of ``roi`` (ImageToTensor's corner-to-corner map)."""
    import cv2

    corners = cv2.boxPoints(((roi.cx, roi.cy), (roi.width, roi.height), math.degrees(roi.rotation)))
    dst = np.array([[0, size], [0, 0], [size, 0]], np.float32)
    m = cv2.getAffineTransform(corners[:3].astype(np.float32), dst)
    border = cv2.BORDER_CONSTANT if zero_border else cv2.BORDER_REPLICATE
    return cv2.warpAffine(
        rgb, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=border, borderValue=(0, 0, 0)
    )


def _blob(img: np.ndarray, scale: float, offset: float) -> np.ndarray:
    """HWC uint8 -> NCHW float32 in the model's value range (OpenCV's importer takes NCHW)."""
    return (img.astype(np.float32) * scale + offset).transpose(2, 0, 1)[None].copy()


class FaceNets:
    """The detector and the landmark network, loaded once from the bundle's bytes."""

    def __init__(self, bundle: bytes) -> None:
        import cv2

        with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
            detector = zf.read(DETECTOR_MEMBER)
            landmarks = zf.read(LANDMARKS_MEMBER)
        self._detector = cv2.dnn.readNetFromTFLite(np.frombuffer(detector, np.uint8))
        self._landmarks = cv2.dnn.readNetFromTFLite(np.frombuffer(landmarks, np.uint8))
        self._det_out = list(self._detector.getUnconnectedOutLayersNames())
        self._lm_out = list(self._landmarks.getUnconnectedOutLayersNames())

    def detect(self, rgb: np.ndarray, *, min_score: float, max_faces: int) -> list[Detection]:
        """Faces in ``rgb`` (pixels of ``rgb``), best first, at most ``max_faces``.

        The whole image is letterboxed onto the detector's square input (black bars), as
        MediaPipe does; detections are projected back through the same letterbox.
        """
        h, w = rgb.shape[:2]
        side = float(max(w, h))
        roi = Roi(w / 2, h / 2, side, side, 0.0)
        tensor = crop(rgb, roi, DETECTOR_SIZE, zero_border=True)
        self._detector.setInput(_blob(tensor, 1 / 127.5, -1.0))
        outs = dict(zip(self._det_out, self._detector.forward(self._det_out), strict=True))
        raw = outs["regressors"].reshape(-1, 16)
        logits = outs["classificators"].reshape(-1)
        found = weighted_nms(decode_detections(raw, logits, min_score))[:max_faces]
        off = np.array([(side - w) / 2, (side - h) / 2])
        out = []
        for box, kps, score in found:
            b = box.reshape(2, 2) * side - off
            x0, y0, x1, y1 = (float(v) for v in b.ravel())
            out.append(Detection(box=(x0, y0, x1, y1), keypoints=kps * side - off, score=score))
        return out

    def landmarks(self, rgb: np.ndarray, roi: Roi) -> tuple[np.ndarray, float]:
        """The 478 points (x, y, z in pixels of ``rgb``; z relative, nearer is smaller) of the
        face in ``roi``, and the network's face-presence probability."""
        tensor = crop(rgb, roi, LANDMARKS_SIZE, zero_border=False)
        self._landmarks.setInput(_blob(tensor, 1 / 255.0, 0.0))
        outs = self._landmarks.forward(self._lm_out)
        pts = outs[0].reshape(NUM_LANDMARKS, 3).astype(np.float64) / LANDMARKS_SIZE
        logit = float(np.clip(outs[1].reshape(-1)[0], -SCORE_CLIP, SCORE_CLIP))
        presence = 1.0 / (1.0 + math.exp(-logit))
        # LandmarkProjectionCalculator: from the crop's unit square to the image.
        u = (pts[:, 0] - 0.5) * roi.width
        v = (pts[:, 1] - 0.5) * roi.height
        c, s = math.cos(roi.rotation), math.sin(roi.rotation)
        out = np.empty((NUM_LANDMARKS, 3))
        out[:, 0] = roi.cx + c * u - s * v
        out[:, 1] = roi.cy + s * u + c * v
        out[:, 2] = pts[:, 2] * roi.width
        return out, presence


class LandmarkSmoother:
    """MediaPipe's landmark smoothing for one face in a video (``LandmarksSmoothingCalculator``
    with the face landmarker's One Euro filter: min cutoff 0.05 Hz, beta 80, derivative cutoff
    1 Hz; speeds measured in face sizes per second). A still face is smoothed strongly, a moving
    one barely, so the mesh neither shimmers nor lags.

    Casiez G, Roussel N, Vogel D (2012) "1€ filter: a simple speed-based low-pass filter for
    noisy input in interactive systems", Proc. CHI 2012: 2527-2530.
    """

    MIN_CUTOFF_HZ = 0.05
    BETA = 80.0
    DERIVATIVE_CUTOFF_HZ = 1.0
    START_FREQUENCY_HZ = 30.0

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._t: float | None = None
        self._freq = self.START_FREQUENCY_HZ
        self._raw: np.ndarray | None = None
        self._smooth: np.ndarray | None = None
        self._speed: np.ndarray | None = None

    def _alpha(self, cutoff):
        tau = 1.0 / (2 * math.pi * cutoff)
        return 1.0 / (1.0 + tau * self._freq)

    def __call__(self, pts: np.ndarray, t: float) -> np.ndarray:
        """The smoothed points (``(n, 3)`` pixels) for a frame at time ``t`` (seconds)."""
        span = pts[:, :2].max(axis=0) - pts[:, :2].min(axis=0)
        scale = float(span.mean())  # the face's size: mean of its box's width and height
        if scale < 1e-6 or (self._t is not None and t <= self._t):
            return pts
        if self._t is not None:
            self._freq = 1.0 / (t - self._t)
        self._t = t
        if self._raw is None:
            speed = np.zeros_like(pts)
        else:
            speed = (pts - self._raw) / scale * self._freq
        a = self._alpha(self.DERIVATIVE_CUTOFF_HZ)
        self._speed = speed if self._speed is None else a * speed + (1 - a) * self._speed
        alpha = self._alpha(self.MIN_CUTOFF_HZ + self.BETA * np.abs(self._speed))
        self._smooth = pts if self._smooth is None else alpha * pts + (1 - alpha) * self._smooth
        self._raw = pts
        return self._smooth
