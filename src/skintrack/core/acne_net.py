"""A small convolutional network scoring the acne blob candidates (models/acne_net.onnx).

The candidates are the ones of :func:`skintrack.core.lesions.candidates` (strongest red or dark
difference-of-Gaussian response of at least ``DETECT_MIN_Z``); the network sees a
``NET_SIZE`` x ``NET_SIZE`` patch of the work image around each (CIELAB relative to the person's
median skin, and the strongest a* and -L* blob responses) and gives the probability that an expert
marked a lesion there. Trained with PyTorch (``scripts/train_acne_net.py``, optional extra
``[train]``), run here with OpenCV's ``cv2.dnn`` from the exported ONNX file: no PyTorch at run time.
See models/ACNE_NET.md and ADR 0208.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

#: Patch half-size (work pixels): the network sees (2 * NET_RADIUS + 1) pixels square, 9.5 mm on
#: an adult face at the work scale (0.38 mm per pixel).
NET_RADIUS = 12
NET_SIZE = 2 * NET_RADIUS + 1
#: Input channels: L*, a*, b* minus the person's median skin (divided by these), then the
#: strongest a* and -L* blob responses (robust z units, divided by DOG_SCALE).
LAB_SCALE = (20.0, 10.0, 10.0)
DOG_SCALE = 4.0
CHANNELS = 5
MODEL_NAME = "acne_net.onnx"


def net_input(work, pts: np.ndarray) -> np.ndarray:
    """The network's input for candidates ``pts`` ((n, 2) int work x, y): (n, 5, S, S) float32."""
    import cv2

    from skintrack.core.lesions import DOG_SIGMAS

    k = len(DOG_SIGMAS)
    pts = np.asarray(pts, np.int64).reshape(-1, 2)
    h, w = work.mask.shape
    chans = np.empty((h, w, CHANNELS), np.float32)
    for c in range(3):
        chans[..., c] = (work.lab[..., c] - np.float32(work.skin_lab[c])) * np.float32(1.0 / LAB_SCALE[c])
    chans[..., 3] = work.dog[:k].max(0) * np.float32(1.0 / DOG_SCALE)
    chans[..., 4] = work.dog[k : 2 * k].max(0) * np.float32(1.0 / DOG_SCALE)
    r = NET_RADIUS
    padded = cv2.copyMakeBorder(chans, r, r, r, r, cv2.BORDER_REPLICATE)
    # Row and column indices of every patch pixel: (n, S) each; fancy indexing gathers them.
    off = np.arange(NET_SIZE)
    rows = pts[:, 1:2] + off[None, :]
    cols = pts[:, 0:1] + off[None, :]
    out = padded[rows[:, :, None], cols[:, None, :]]  # (n, S, S, C)
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2))


class AcneNet:
    """The exported network and its metadata (threshold, calibration), run with ``cv2.dnn``."""

    def __init__(self, path: Path):
        import cv2

        self.path = Path(path)
        self._net = cv2.dnn.readNetFromONNX(str(self.path))
        self._net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
        meta_path = self.path.with_suffix(".json")
        self.meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
        self.threshold = float(self.meta.get("threshold", 0.5))
        # cv2.dnn.Net is not safe to share between threads.
        self._lock = threading.Lock()

    def predict(self, x: np.ndarray, batch: int = 512) -> np.ndarray:
        """Probabilities (n,) for inputs (n, C, S, S) float32."""
        if not len(x):
            return np.zeros(0, np.float32)
        out = []
        with self._lock:
            for i in range(0, len(x), batch):
                self._net.setInput(np.ascontiguousarray(x[i : i + batch], np.float32))
                out.append(np.asarray(self._net.forward()).reshape(-1))
        logit = np.concatenate(out).astype(np.float64)
        return (1.0 / (1.0 + np.exp(-logit))).astype(np.float32)

    def certainty(self, prob, kind: str | None = None):
        """Calibrated share of detections with this score that were expert lesions (dev)."""
        cal = self.meta.get("calibration")
        p = np.asarray(prob, np.float64)
        if not cal:
            return p
        a, b = cal["matched"]
        if kind is not None and kind in cal.get("by_kind", {}):
            a, b = cal["by_kind"][kind]
        z = a * np.log(np.clip(p, 1e-6, 1 - 1e-6) / np.clip(1 - p, 1e-6, 1)) + b
        return np.minimum(1.0 / (1.0 + np.exp(-z)), cal.get("cap", 0.9))


_LOADED: dict[str, AcneNet] = {}


def load_net(path: str | Path | None = None) -> AcneNet | None:
    """The bundled network (cached), or ``None`` when the model file is absent."""
    from skintrack.core.lesions import model_file

    p = model_file(MODEL_NAME, path)
    if p is None:
        return None
    key = str(p.resolve())
    if key not in _LOADED:
        _LOADED[key] = AcneNet(p)
    return _LOADED[key]


def detect_acne_net(work, net: AcneNet | None = None, *, threshold: float | None = None):
    """Candidates, network scores and suppression on one work image: a
    :class:`skintrack.core.lesions.AcneSpots` like the tree detector's (its ``features`` are the
    hand-made features of the kept detections, which name their kind)."""
    from skintrack.core import lesions as L

    net = net if net is not None else load_net()
    pts = L.candidates(work, L.DETECT_MIN_Z)
    if net is None or not len(pts):
        empty = np.zeros((0, 2))
        return L.AcneSpots(
            pts[:0], empty, np.zeros(0), np.zeros(0), np.zeros((0, len(L.FEATURE_NAMES)), np.float32)
        )
    prob = net.predict(net_input(work, pts))
    thr = net.threshold if threshold is None else threshold
    keep = L.nms(pts, prob, L.NMS_RADIUS, thr)
    k = len(L.DOG_SIGMAS)
    kp = pts[keep]
    resp = np.maximum(work.dog[:k, kp[:, 1], kp[:, 0]], work.dog[k : 2 * k, kp[:, 1], kp[:, 0]])
    radius = 1.5 * np.asarray(L.DOG_SIGMAS)[resp.argmax(0)] if len(keep) else np.zeros(0)
    feats = L.candidate_features(work, kp) if len(keep) else np.zeros((0, len(L.FEATURE_NAMES)), np.float32)
    return L.AcneSpots(
        work_xy=kp,
        photo_xy=work.to_photo(kp),
        radius_work=radius,
        score=prob[keep],
        features=feats,
        certainty=net.certainty(prob[keep]),
    )


def acne_net_detector(engine, net: AcneNet | None = None, *, threshold: float | None = None):
    """A detector for :func:`skintrack.core.lesion_scoring.score_folder` (see
    :func:`skintrack.core.lesions.acne_detector`)."""
    from skintrack.core import lesions as L

    def detect(rgb: np.ndarray):
        det = engine.detect(rgb)
        if not det.faces:
            return None
        return detect_acne_net(L.prepare(rgb, det.faces[0]), net, threshold=threshold).photo_xy

    return detect
