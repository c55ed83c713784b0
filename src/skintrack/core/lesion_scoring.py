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
from dataclasses import dataclass, field
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
        if self.predictions < 0 or self.truths < 0 or len(self.pairs) > min(self.predictions, self.truths):
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
            "images": self.images,
            "no_face_images": self.no_face_images,
            "truths": self.truths,
            "predictions": self.predictions,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "recall": round(self.recall, 4),
            "precision": round(self.precision, 4),
            "f1": round(self.f1, 4),
            "count_mae": round(self.count_mae, 3),
        }

    def summary(self) -> str:
        return (
            f"{self.images} photos ({self.no_face_images} without a face), "
            f"{self.truths} expert lesions, {self.predictions} predicted: "
            f"recall {self.recall:.3f}, precision {self.precision:.3f}, F1 {self.f1:.3f}, "
            f"count error {self.count_mae:.2f} per photo"
        )


def pool(matches: Iterable[ImageMatch]) -> LesionScore:
    """Pool per-photo matchings into one :class:`LesionScore`."""
    ms = list(matches)
    if not ms:
        return LesionScore(images=0, no_face_images=0, truths=0, predictions=0, tp=0, count_mae=0.0)
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
        raise SkintrackError(f"{path}: no such file (a labelled folder needs annotations.json)") from None
    except (OSError, ValueError) as exc:
        raise SkintrackError(f"{path}: cannot be read as JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise SkintrackError(f"{path}: expected an object of file name -> annotation")
    out: dict[str, np.ndarray] = {}
    for name, entry in raw.items():
        try:
            xyr = np.asarray(entry["lesions_xyr"], np.float64).reshape(-1, 3)
        except (KeyError, TypeError, ValueError):
            raise SkintrackError(f"{path}: {name!r} needs a list 'lesions_xyr' of [x, y, r]") from None
        if not np.isfinite(xyr).all() or (xyr[:, 2] < 0).any():
            raise SkintrackError(f"{path}: {name!r} has a non-finite centre or negative radius")
        out[str(name)] = xyr
    return out


#: A detector for :func:`score_folder`: RGB photo -> predicted centres (n, 2), or None (no face).
Detector = Callable[[np.ndarray], "np.ndarray | None"]


def score_folder(
    folder: str | Path,
    detector: Detector,
    *,
    files: Sequence[str] | None = None,
    progress: Callable[[str, ImageMatch], None] | None = None,
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


# --- Kinds against the exporter's boxes (issue 14) -------------------------------------------------
#: The exporter's classes in ``roboflow_boxes.json``, in the order of the confusion tables.
BOX_CLASS_ORDER = ("whitehead and blackhead", "papules", "pustules", "nodules and cysts")
#: Kinds counted as inflamed acne.
INFLAMED = ("papule", "pustule", "nodule")


def load_boxes(folder: str | Path) -> dict[str, list[tuple[float, float, float, float, str]]]:
    """Read ``roboflow_boxes.json`` of a folder: file name -> [(xmin, ymin, xmax, ymax, class)]."""
    path = Path(folder) / "roboflow_boxes.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SkintrackError(f"{path}: no such file (the exporter's boxes)") from None
    except (OSError, ValueError) as exc:
        raise SkintrackError(f"{path}: cannot be read as JSON ({exc})") from None
    out = {}
    for name, boxes in raw.items():
        try:
            out[str(name)] = [(float(b[0]), float(b[1]), float(b[2]), float(b[3]), str(b[4])) for b in boxes]
        except (TypeError, ValueError, IndexError):
            raise SkintrackError(f"{path}: {name!r} needs boxes [xmin, ymin, xmax, ymax, class]") from None
    return out


def box_holders(boxes, xy: np.ndarray) -> list[int | None]:
    """For each box, the index of the point of ``xy`` ((n, 2) photo pixels) inside it nearest its
    centre, or ``None`` when no point lies inside (edges included)."""
    xy = np.asarray(xy, np.float64).reshape(-1, 2)
    out: list[int | None] = []
    for x0, y0, x1, y1, _ in boxes:
        inside = np.nonzero((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1))[0]
        if not len(inside):
            out.append(None)
            continue
        d = np.hypot(xy[inside, 0] - (x0 + x1) / 2, xy[inside, 1] - (y0 + y1) / 2)
        out.append(int(inside[int(d.argmin())]))
    return out


@dataclass
class KindTable:
    """How the findings in the exporter's boxes are named: per box class, the number of boxes,
    those holding a finding, and the kinds they are named (the finding nearest the box centre)."""

    boxes: dict = field(default_factory=dict)  # class -> number of boxes
    held: dict = field(default_factory=dict)  # class -> boxes holding a finding
    named: dict = field(default_factory=dict)  # class -> {kind: count}

    def __post_init__(self) -> None:
        self.boxes = self.boxes or {c: 0 for c in BOX_CLASS_ORDER}
        self.held = self.held or {c: 0 for c in BOX_CLASS_ORDER}
        self.named = self.named or {c: {} for c in BOX_CLASS_ORDER}

    def add(self, boxes, xy, kinds) -> None:
        for box, i in zip(boxes, box_holders(boxes, xy), strict=True):
            c = box[4]
            self.boxes[c] = self.boxes.get(c, 0) + 1
            if i is None:
                continue
            self.held[c] = self.held.get(c, 0) + 1
            named = self.named.setdefault(c, {})
            named[kinds[i]] = named.get(kinds[i], 0) + 1

    def share(self, cls: str, kinds) -> float:
        """Of the boxes of ``cls`` holding a finding, the share named one of ``kinds``."""
        held = self.held.get(cls, 0)
        return sum(self.named.get(cls, {}).get(k, 0) for k in kinds) / held if held else 0.0

    def figures(self) -> dict:
        """The issue's figures: pustule boxes named pustule and inflamed, comedone boxes named
        inflamed, and the share of boxes of each class holding a finding."""
        return {
            "pustules_named_pustule": round(self.share("pustules", ("pustule",)), 4),
            "pustules_named_inflamed": round(self.share("pustules", INFLAMED), 4),
            "comedones_named_inflamed": round(self.share("whitehead and blackhead", INFLAMED), 4),
            "held": {
                c: round(self.held.get(c, 0) / self.boxes[c], 4) if self.boxes.get(c) else 0.0
                for c in BOX_CLASS_ORDER
            },
        }

    def to_record(self) -> dict:
        return {"boxes": self.boxes, "held": self.held, "named": self.named, **self.figures()}

    def confusion(self) -> str:
        """A plain-text confusion table: box class rows, named kind columns (counts)."""
        kinds = ("comedone", "papule", "pustule", "nodule", "other")
        lines = [f"{'exporter box':26s} {'boxes':>6s} {'held':>6s} " + " ".join(f"{k:>9s}" for k in kinds)]
        for c in BOX_CLASS_ORDER:
            named = self.named.get(c, {})
            other = sum(v for k, v in named.items() if k not in kinds)
            cells = [named.get(k, 0) for k in kinds[:-1]] + [other]
            lines.append(
                f"{c:26s} {self.boxes.get(c, 0):6d} {self.held.get(c, 0):6d} "
                + " ".join(f"{v:9d}" for v in cells)
            )
        return "\n".join(lines)
