"""A heatmap (centre-point) network for acne lesions (models/acne_heatmap.onnx), run with cv2.dnn.

The network (first stages of ImageNet EfficientNet-Lite0 and a light decoder, trained on the
ACNE04 train photos by ``scripts/train_heatmap.py``) maps an RGB photo to a stride-4 map of lesion
centre probabilities, a sub-cell offset and the lesion radius. Peaks of the map (3 x 3 local
maxima over the threshold) are the detections. It was trained at the scale of the ACNE04 photos,
:data:`ACNE04_MM_PER_PX` (median over train photos, by iris and by face height alike); a photo at
another known scale is resampled to it first.

Since 2026-12-01 it finds the acne spots of :func:`skintrack.core.lesions.find_lesions` (ADR 0210,
"Switched on"); :meth:`AcneHeatmap.certainty` turns a peak's probability into the share of such
peaks that were expert lesions (``calibration`` in the model's JSON, fitted on acne04-dev by
``scripts/calibrate_heatmap.py``). No PyTorch at run time: OpenCV's ``dnn`` reads the ONNX file.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODEL_NAME = "acne_heatmap.onnx"
MODEL_DIR = Path(__file__).resolve().parents[3] / "models"
#: Millimetres per pixel of the 640 x 640 ACNE04 photos the network was trained on (median over a
#: sample of acne04-train faces: 0.387 by iris diameter, 0.383 by forehead-to-chin height).
ACNE04_MM_PER_PX = 0.385
#: Output stride of the map (input pixels per map cell).
STRIDE = 4
#: The input sides are padded to a multiple of this (the network downsamples 8 times).
PAD_TO = 8


@dataclass(frozen=True)
class HeatmapPeaks:
    """Detections in pixels of the photo given: centres (n, 2) x, y, radii (n,), certainties (n,).

    ``certainty`` is the network's peak probability (not calibrated per kind); sorted high first.
    """

    xy: np.ndarray
    radius_px: np.ndarray
    certainty: np.ndarray

    def __len__(self) -> int:
        return len(self.certainty)


def _resolve(path: str | Path | None) -> Path:
    """``path``, else the shipped network where :func:`skintrack.core.lesions.model_file` finds
    it (the repository's models/, then the installed package's copy)."""
    if path is not None:
        return Path(path)
    from skintrack.core.lesions import model_file

    return model_file(MODEL_NAME) or MODEL_DIR / MODEL_NAME


class AcneHeatmap:
    """The exported network and its metadata (threshold, normalisation), run with ``cv2.dnn``."""

    def __init__(self, path: str | Path | None = None):
        import cv2

        self.path = _resolve(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"{self.path}: no such model file")
        self._net = cv2.dnn.readNetFromONNX(str(self.path))
        self._net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
        meta_path = self.path.with_suffix(".json")
        self.meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
        self.threshold = float(self.meta.get("threshold", 0.5))
        self.mean = float(self.meta.get("mean", 127.0))
        self.std = float(self.meta.get("std", 128.0))
        self._lock = threading.Lock()  # a cv2.dnn.Net is not safe to share between threads

    def certainty(self, prob) -> np.ndarray:
        """The calibrated certainty of peaks of probability ``prob``: the share of acne04-dev
        peaks in the same probability bin that matched an expert circle (the network's selection
        set; ``calibration`` in the model's JSON). ``prob`` itself when there is no calibration."""
        prob = np.asarray(prob, np.float64)
        cal = self.meta.get("calibration")
        if not cal:
            return prob
        edges = np.asarray(cal["probability"], np.float64)
        sure = np.asarray(cal["certainty"], np.float64)
        i = np.clip(np.searchsorted(edges, prob, side="right") - 1, 0, len(edges) - 1)
        return sure[i]

    def maps(self, rgb: np.ndarray) -> np.ndarray:
        """The raw output (4, ceil(h/4), ceil(w/4)) for an RGB uint8 image at the trained scale:
        centre logit, offset x, offset y (cells), log radius (input pixels)."""
        import cv2

        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or min(rgb.shape[:2]) < PAD_TO:
            raise ValueError("an RGB image (h, w, 3) of at least 8 x 8 pixels is needed")
        h, w = rgb.shape[:2]
        ph, pw = -h % PAD_TO, -w % PAD_TO
        if ph or pw:
            rgb = cv2.copyMakeBorder(rgb, 0, ph, 0, pw, cv2.BORDER_REFLECT101)
        x = (rgb.astype(np.float32) - np.float32(self.mean)) * np.float32(1.0 / self.std)
        x = np.ascontiguousarray(x.transpose(2, 0, 1)[None])
        with self._lock:
            self._net.setInput(x)
            out = np.asarray(self._net.forward())[0]
        return out[:, : -(-h // STRIDE), : -(-w // STRIDE)]

    def detect(
        self, rgb: np.ndarray, mm_per_px: float | None = None, threshold: float | None = None
    ) -> HeatmapPeaks:
        """Lesion centres on an RGB photo, in its pixels.

        ``mm_per_px`` is the photo's scale; ``None`` means an ACNE04-like photo (the trained
        scale, :data:`ACNE04_MM_PER_PX`). Other scales are resampled to the trained one first.
        """
        import cv2

        thr = self.threshold if threshold is None else float(threshold)
        rgb = np.asarray(rgb)
        f = 1.0 if mm_per_px is None else float(mm_per_px) / ACNE04_MM_PER_PX
        if not np.isfinite(f) or f <= 0:
            raise ValueError("mm_per_px must be a positive number")
        img = rgb
        if abs(f - 1.0) > 0.02:
            h, w = rgb.shape[:2]
            size = (max(PAD_TO, round(w * f)), max(PAD_TO, round(h * f)))
            interp = cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR
            img = cv2.resize(rgb, size, interpolation=interp)
            f = (size[0] / w + size[1] / h) / 2
        else:
            f = 1.0
        xy, rad, prob = peaks(self.maps(img), thr)
        return HeatmapPeaks(xy=xy / f, radius_px=rad / f, certainty=prob)


def peaks(out: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local maxima (3 x 3 cells) of the centre map over ``threshold``: centres (n, 2) in input
    pixels, radii (n,) in input pixels and probabilities (n,), highest probability first."""
    import cv2

    logit = np.asarray(out[0], np.float32)
    prob = 1.0 / (1.0 + np.exp(-logit))
    peak = (prob >= cv2.dilate(prob, np.ones((3, 3), np.uint8))) & (prob >= threshold)
    iy, ix = np.nonzero(peak)
    xy = np.column_stack([(ix + out[1, iy, ix]) * STRIDE, (iy + out[2, iy, ix]) * STRIDE]).astype(np.float64)
    rad = np.exp(np.asarray(out[3, iy, ix], np.float64))
    p = prob[iy, ix].astype(np.float64)
    order = np.argsort(-p, kind="stable")
    return xy.reshape(-1, 2)[order], rad[order], p[order]


_DEFAULT: AcneHeatmap | None = None
_DEFAULT_LOCK = threading.Lock()


def load_heatmap(path: str | Path | None = None) -> AcneHeatmap | None:
    """The shipped network (cached), or ``None`` when ``models/acne_heatmap.onnx`` is absent."""
    global _DEFAULT
    if path is not None:
        return AcneHeatmap(path)
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            p = _resolve(None)
            if not p.is_file():
                return None
            _DEFAULT = AcneHeatmap(p)
        return _DEFAULT


def heatmap_detector(model: AcneHeatmap, threshold: float | None = None):
    """A detector for :func:`skintrack.core.lesion_scoring.score_folder` on ACNE04-like photos:
    RGB photo -> (n, 2) centres. It needs no face, so no photo counts as "no face"."""

    def detect(rgb: np.ndarray) -> np.ndarray:
        return model.detect(rgb, threshold=threshold).xy

    return detect
