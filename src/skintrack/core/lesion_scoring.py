"""Scoring a lesion detector against expert marks: recall, precision, F1 and count error.

The matching rule (issue 4): a predicted centre matches an *unmatched* expert circle when it lies
within ``max(1.5 * r, 6 px)`` of the circle's centre; pairs are taken nearest first, so each
prediction and each expert circle is used at most once. Unmatched predictions are false
positives, unmatched circles false negatives. A photo on which no face is found counts as
all missed: every expert circle on it is a false negative.

Scores are pooled over all lesions of all photos (micro-averaged), the way detection benchmarks
on ACNE04 report them; the count error is the mean over photos of ``|predicted - expert|``.

The annotation format is the one of ``shared/data/acne04-dev/annotations.json``::

    {"file.jpg": {"severity_grade": 0, "lesions_xyr": [[x, y, r], ...]}, ...}

with centres and radii in pixels of the image file, origin at its top-left corner.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from skintrack.core.errors import SkintrackError

#: A prediction matches an expert circle of radius r within max(MATCH_RADIUS_FACTOR * r,
#: MATCH_MIN_PX) pixels (issue 4's rule).
MATCH_RADIUS_FACTOR = 1.5
MATCH_MIN_PX = 6.0


def match_tolerance(radius_px: np.ndarray) -> np.ndarray:
    """Matching distance (pixels) for expert circles of the given radii (pixels)."""
    return np.maximum(MATCH_RADIUS_FACTOR * np.asarray(radius_px, np.float64), MATCH_MIN_PX)


@dataclass(frozen=True)
class ImageMatch:
    """The matching of one photo.

    ``pairs`` holds (prediction index, expert index) of each match; ``face_found`` False means
    the detector could not run and every expert circle is missed.
    """

    predictions: int
    truths: int
    pairs: tuple[tuple[int, int], ...]
    face_found: bool = True

    def __post_init__(self) -> None:
        if self.predictions < 0 or self.truths < 0 or len(self.pairs) > min(self.predictions,
                                                                             self.truths):
            raise ValueError("inconsistent ImageMatch counts")

    @property
    def tp(self) -> int:
        return len(self.pairs)

    @property
    def fp(self) -> int:
        return self.predictions - self.tp

    @property
    def fn(self) -> int:
        return self.truths - self.tp


def match_lesions(pred_xy: np.ndarray | None, truth_xyr: np.ndarray) -> ImageMatch:
    """Match predicted centres to expert circles, nearest pair first.

    Parameters
    ----------
    pred_xy : (n, 2) array of predicted centres (pixels), or ``None`` when no face was found.
    truth_xyr : (m, 3) array of expert circles: centre x, y and radius r (pixels).
    """
    truth = np.asarray(truth_xyr, np.float64).reshape(-1, 3)
    if pred_xy is None:
        return ImageMatch(predictions=0, truths=len(truth), pairs=(), face_found=False)
    pred = np.asarray(pred_xy, np.float64).reshape(-1, 2)
    if not len(pred) or not len(truth):
        return ImageMatch(predictions=len(pred), truths=len(truth), pairs=())
    dist = np.hypot(pred[:, None, 0] - truth[None, :, 0], pred[:, None, 1] - truth[None, :, 1])
    ok = dist <= match_tolerance(truth[:, 2])[None, :]
    pi, ti = np.nonzero(ok)
    order = np.argsort(dist[pi, ti], kind="stable")
    used_p = np.zeros(len(pred), bool)
    used_t = np.zeros(len(truth), bool)
    pairs = []
    for k in order:
        p, t = int(pi[k]), int(ti[k])
        if not used_p[p] and not used_t[t]:
            used_p[p] = used_t[t] = True
            pairs.append((p, t))
    return ImageMatch(predictions=len(pred), truths=len(truth), pairs=tuple(pairs))


@dataclass(frozen=True)
class LesionScore:
    """Pooled scores over a set of photos (counts are lesions; ``count_mae`` is per photo)."""

    images: int
    no_face_images: int
    truths: int
    predictions: int
    tp: int
    count_mae: float

    def __post_init__(self) -> None:
        if not 0 <= self.tp <= min(self.truths, self.predictions) or self.images < 0:
            raise ValueError("inconsistent LesionScore counts")

    @property
    def fp(self) -> int:
        return self.predictions - self.tp

    @property
    def fn(self) -> int:
        return self.truths - self.tp

    @property
    def recall(self) -> float:
        return self.tp / self.truths if self.truths else 1.0

    @property
    def precision(self) -> float:
        return self.tp / self.predictions if self.predictions else 1.0

    @property
    def f1(self) -> float:
        denom = self.truths + self.predictions
        return 2.0 * self.tp / denom if denom else 1.0

    def to_record(self) -> dict:
        return {
            "images": self.images, "no_face_images": self.no_face_images,
            "truths": self.truths, "predictions": self.predictions,
            "tp": self.tp, "fp": self.fp, "fn": self.fn,
            "recall": round(self.recall, 4), "precision": round(self.precision, 4),
            "f1": round(self.f1, 4), "count_mae": round(self.count_mae, 3),
        }

    def summary(self) -> str:
        return (f"{self.images} photos ({self.no_face_images} without a face), "
                f"{self.truths} expert lesions, {self.predictions} predicted: "
                f"recall {self.recall:.3f}, precision {self.precision:.3f}, F1 {self.f1:.3f}, "
                f"count error {self.count_mae:.2f} per photo")


def pool(matches: Iterable[ImageMatch]) -> LesionScore:
    """Pool per-photo matchings into one :class:`LesionScore`."""
    ms = list(matches)
    if not ms:
        return LesionScore(images=0, no_face_images=0, truths=0, predictions=0, tp=0,
                           count_mae=0.0)
    return LesionScore(
        images=len(ms),
        no_face_images=sum(not m.face_found for m in ms),
        truths=sum(m.truths for m in ms),
        predictions=sum(m.predictions for m in ms),
        tp=sum(m.tp for m in ms),
        count_mae=float(np.mean([abs(m.predictions - m.truths) for m in ms])),
    )


def score(predictions: Sequence[np.ndarray | None], truths: Sequence[np.ndarray]) -> LesionScore:
    """Score predicted centres against expert circles, photo by photo (``None``: no face)."""
    if len(predictions) != len(truths):
        raise ValueError("one prediction array per photo is needed")
    return pool(match_lesions(p, t) for p, t in zip(predictions, truths, strict=True))


def load_annotations(folder: str | Path) -> dict[str, np.ndarray]:
    """Read ``annotations.json`` of a labelled folder: file name -> (n, 3) array of x, y, r."""
    path = Path(folder) / "annotations.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SkintrackError(f"{path}: no such file (a labelled folder needs annotations.json)"
                             ) from None
    except (OSError, ValueError) as exc:
        raise SkintrackError(f"{path}: cannot be read as JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise SkintrackError(f"{path}: expected an object of file name -> annotation")
    out: dict[str, np.ndarray] = {}
    for name, entry in raw.items():
        try:
            xyr = np.asarray(entry["lesions_xyr"], np.float64).reshape(-1, 3)
        except (KeyError, TypeError, ValueError):
            raise SkintrackError(f"{path}: {name!r} needs a list 'lesions_xyr' of [x, y, r]"
                                 ) from None
        if not np.isfinite(xyr).all() or (xyr[:, 2] < 0).any():
            raise SkintrackError(f"{path}: {name!r} has a non-finite centre or negative radius")
        out[str(name)] = xyr
    return out


#: A detector for :func:`score_folder`: RGB photo -> predicted centres (n, 2), or None (no face).
Detector = Callable[[np.ndarray], "np.ndarray | None"]


def score_folder(folder: str | Path, detector: Detector, *, files: Sequence[str] | None = None,
                 progress: Callable[[str, ImageMatch], None] | None = None
                 ) -> tuple[LesionScore, dict[str, ImageMatch]]:
    """Run ``detector`` on every annotated photo of ``folder`` and score it.

    Returns the pooled score and each photo's matching. ``files`` limits the run to some photos.
    """
    from skintrack.core.intake import load_photo

    ann = load_annotations(folder)
    names = sorted(ann) if files is None else list(files)
    per: dict[str, ImageMatch] = {}
    for name in names:
        if name not in ann:
            raise SkintrackError(f"{name}: not in {Path(folder) / 'annotations.json'}")
        photo = load_photo(Path(folder) / name)
        m = match_lesions(detector(photo.rgb), ann[name])
        per[name] = m
        if progress is not None:
            progress(name, m)
    return pool(per.values()), per
