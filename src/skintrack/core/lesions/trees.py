"""The learned acne scorer's format: a gradient-boosted tree ensemble as plain arrays (``.npz``,
no pickle), evaluated with numpy, and where the bundled model files are found."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from skintrack.core.lesions.features import FEATURE_NAMES

#: The repository's models folder (a source checkout); an installed wheel or the desktop bundle
#: keeps the same files in ``skintrack/_models`` (ADR 0002).
MODEL_DIR = Path(__file__).resolve().parents[4] / "models"
MODEL_NAME = "lesions_acne.npz"


def model_file(name: str, path: str | Path | None = None) -> Path | None:
    """The model file to load: ``path`` when given, else ``name`` in the repository's models
    folder, else in the installed package's ``_models``; ``None`` when there is none."""
    p = Path(path) if path else MODEL_DIR / name
    if p.is_file():
        return p
    alt = Path(__file__).resolve().parents[2] / "_models" / name
    return alt if alt.is_file() else None


class TreeModel:
    """A gradient-boosted tree ensemble stored as plain arrays (``.npz``), evaluated with numpy.

    Arrays: ``feature`` (int32), ``threshold`` (float64), ``left``/``right`` (int32 child node
    indices, global), ``leaf`` (bool), ``value`` (float32 leaf values), ``roots`` (int32), and
    ``baseline`` (log-odds). A sample goes left when ``x[feature] <= threshold``. No pickle:
    the file cannot run code and does not depend on the scikit-learn version.
    """

    def __init__(self, arrays: dict, meta: dict) -> None:
        self.feature = np.asarray(arrays["feature"], np.int32)
        self.threshold = np.asarray(arrays["threshold"], np.float64)
        self.left = np.asarray(arrays["left"], np.int32)
        self.right = np.asarray(arrays["right"], np.int32)
        self.leaf = np.asarray(arrays["leaf"], bool)
        self.value = np.asarray(arrays["value"], np.float32)
        self.roots = np.asarray(arrays["roots"], np.int32)
        self.baseline = float(np.asarray(arrays["baseline"]).ravel()[0])
        self.depth = int(np.asarray(arrays["depth"]).ravel()[0])
        self.meta = meta
        self.threshold_score = float(meta["threshold"])
        n = len(self.feature)
        if (
            not (
                len(self.threshold)
                == len(self.left)
                == len(self.right)
                == len(self.leaf)
                == len(self.value)
                == n
            )
            or self.roots.max(initial=0) >= n
        ):
            raise ValueError("inconsistent tree arrays")
        if tuple(meta.get("features", ())) != FEATURE_NAMES:
            raise ValueError(
                "the lesion model was trained on other features; retrain it with scripts/train_lesions.py"
            )
        # Leaves point to themselves so that every sample can take the same number of steps.
        idx = np.arange(n, dtype=np.int32)
        self.left = np.where(self.leaf, idx, self.left)
        self.right = np.where(self.leaf, idx, self.right)
        self.feature = np.where(self.leaf, 0, self.feature)
        # children[2 * node + went_left]: one gather per step instead of two and a select.
        self.children = np.stack([self.right, self.left], 1).ravel()
        # Features are float32: comparing them with the largest float32 not above each float64
        # threshold decides exactly as the float64 comparison does, with half the bytes to
        # gather and no conversion (a third of the evaluation time).
        t32 = self.threshold.astype(np.float32)
        up = t32.astype(np.float64) > self.threshold
        t32[up] = np.nextafter(t32[up], np.float32(-np.inf))
        self.threshold32 = t32

    @classmethod
    def load(cls, path: str | Path) -> TreeModel:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(bytes(arrays.pop("meta")).decode())
        return cls(arrays, meta)

    def save(self, path: str | Path) -> None:
        np.savez_compressed(
            path,
            feature=self.feature,
            threshold=self.threshold,
            left=self.left,
            right=self.right,
            leaf=self.leaf,
            value=self.value,
            roots=self.roots,
            baseline=np.array([self.baseline]),
            depth=np.array([self.depth]),
            meta=np.frombuffer(json.dumps(self.meta).encode(), np.uint8),
        )

    def certainty(self, score: np.ndarray, kind: str | None = None) -> np.ndarray:
        """The share of unseen detections with this raw ``score`` that were expert-marked lesions
        (the Platt-scaled calibration stored by ``scripts/train_lesions.py``, on a 0.01 grid;
        ``score`` itself when the model has none). With ``kind`` (an acne kind named by
        :func:`acne_kind`), the share among detections of that kind: spots with a pale head on a
        red base were lesions far more often than dark or skin-coloured spots scored alike."""
        cal = self.meta.get("calibration")
        score = np.asarray(score, np.float64)
        if not cal:
            return score
        by_kind = cal.get("by_kind") or {}
        if kind is not None and by_kind:
            # Nodules are papules that grew wide; ACNE04 at 640 px has too few to fit apart.
            return np.interp(score, cal["score"], by_kind.get(kind, by_kind["papule"]))
        return np.interp(score, cal["score"], cal["matched"])

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probability (0-1) for each row of ``x`` (n, features)."""
        x = np.asarray(x, np.float32)
        n = len(x)
        if n == 0:
            return np.zeros(0)
        flat = x.ravel()
        base = (np.arange(n, dtype=np.int32) * x.shape[1])[None, :]
        node = np.repeat(self.roots[:, None], n, axis=1)  # (trees, n)
        for _ in range(self.depth):
            go_left = flat[base + self.feature[node]] <= self.threshold32[node]
            node = self.children[(node << 1) | go_left]
        raw = self.baseline + self.value[node].sum(0, dtype=np.float64)
        return 1.0 / (1.0 + np.exp(-raw))


@lru_cache(maxsize=2)
def load_model(path: str | None = None) -> TreeModel | None:
    """The bundled acne model, or ``None`` when it has not been trained."""
    p = model_file(MODEL_NAME, path)
    return None if p is None else TreeModel.load(p)
