"""Try to learn acne kinds from the exporter's boxes of acne04-train (issue 14), and show why it
cannot work: no model is written.

    .venv/bin/python scripts/train_kinds.py [--data ../shared/data/acne04-train]
        [--cache /tmp/skintrack_kind_features.npz]

Steps: on every photo, the acne lesions exactly as :func:`skintrack.core.lesions.find_lesions`
builds them (bundled tree model, detections merged by their extent,
:func:`skintrack.core.lesions.merge_detections`) and their kind features (the detection's 56
candidate features, the same at the centre of the lesion's extent, its diameter and raw score); a
lesion inside one of the exporter's boxes takes that box's class as its label (the box nearest its
centre when several hold it). Printed:

1. the exporter's class against the photo's severity grade (the ``levleG`` of its name): on
   acne04-train and acne04-dev every box of a grade-G photo has the same class, so the "kind"
   labels are the photo's grade, not the lesion's kind (ADR 0209);
2. multinomial logistic models (standardised features, several L2 strengths) and a gradient-
   boosted model, cross-validated by photo (5 folds): out-of-fold log-loss and accuracy against
   the class prior's. acne04-dev is never read here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from skintrack.core import lesions as L  # noqa: E402
from skintrack.core.lesion_scoring import (  # noqa: E402
    load_boxes,
)

DATA = ROOT.parent / "shared" / "data"
#: L2 strength of the logistic model (scikit-learn's C), chosen by out-of-fold log-loss.
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)
FOLDS = 5
#: The exporter's class names, as the kinds they would stand for.
BOX_CLASSES = {
    "whitehead and blackhead": "comedone",
    "papules": "papule",
    "pustules": "pustule",
    "nodules and cysts": "nodule",
}
KIND_FEATURE_NAMES = L.FEATURE_NAMES + tuple(f"c_{n}" for n in L.FEATURE_NAMES) + ("diameter_mm", "raw_score")


def kind_features(work, lesions) -> np.ndarray:
    """The detection's features, the same at the centre of the lesion's extent (a pustule's pale
    head sits there, not where its red base peaks), its diameter (mm) and raw tree score."""
    if not lesions:
        return np.zeros((0, len(KIND_FEATURE_NAMES)), np.float32)
    h, w = work.mask.shape
    r = L.PATCH_RADIUS
    centre = np.array(
        [[min(max(round(le.x), r), w - r - 1), min(max(round(le.y), r), h - r - 1)] for le in lesions],
        np.int64,
    )
    det = np.stack([le.features for le in lesions]).astype(np.float32)
    extra = np.array([[2 * le.radius * work.mm_per_work_px, le.raw] for le in lesions], np.float32)
    return np.concatenate([det, L.candidate_features(work, centre), extra], 1)


def lesions_of(engine, rgb, model):
    """The merged acne lesions of one photo: (kind features, photo xy) or None without a face."""
    det = engine.detect(rgb)
    if not det.faces:
        return None
    work = L.prepare(rgb, det.faces[0])
    spots = L.detect_acne(work, model)
    les = L.merge_detections(work, spots)
    xy = work.to_photo(np.array([[le.x, le.y] for le in les]).reshape(-1, 2))
    return kind_features(work, les), xy


def build(data_dir: Path, cache: Path | None) -> dict:
    """Per photo: kind features, photo xy of the lesions, and the boxes."""
    boxes = load_boxes(data_dir)
    model = L.load_model()
    key = hashlib.sha256(
        (
            json.dumps(boxes, sort_keys=True)
            + repr(KIND_FEATURE_NAMES)
            + repr(L.FEATURE_VERSION)
            + model.meta.get("annotations_sha256", "")
            + str(model.threshold_score)
        ).encode()
    ).hexdigest()
    if cache and cache.is_file():
        z = np.load(cache, allow_pickle=False)
        if str(z["key"]) == key:
            print(f"features from cache {cache}")
            names = [str(n) for n in z["names"]]
            per = {}
            for i, n in enumerate(names):
                if z["found"][i]:
                    s = z["starts"][i]
                    e = z["starts"][i + 1]
                    per[n] = (z["x"][s:e], z["xy"][s:e])
                else:
                    per[n] = None
            return {"per": per, "boxes": boxes}
    from skintrack.core.face import FaceEngine
    from skintrack.core.intake import load_photo

    per = {}
    t0 = time.perf_counter()
    with FaceEngine() as engine:
        for i, name in enumerate(sorted(boxes)):
            per[name] = lesions_of(engine, load_photo(data_dir / name).rgb, model)
            if (i + 1) % 50 == 0:
                print(f"  {i + 1}/{len(boxes)} photos, {time.perf_counter() - t0:.0f} s", flush=True)
    if cache:
        names = sorted(per)
        xs = [per[n][0] for n in names if per[n] is not None]
        xys = [per[n][1] for n in names if per[n] is not None]
        counts = [len(per[n][0]) if per[n] is not None else 0 for n in names]
        np.savez(
            cache,
            key=key,
            names=np.array(names),
            found=np.array([per[n] is not None for n in names]),
            starts=np.concatenate([[0], np.cumsum(counts)]),
            x=np.concatenate(xs),
            xy=np.concatenate(xys),
        )
    return {"per": per, "boxes": boxes}


def labelled(data: dict):
    """Lesions inside a box: features, kind index, photo index."""
    X, y, group = [], [], []
    for gi, name in enumerate(sorted(data["per"])):
        got = data["per"][name]
        boxes = data["boxes"].get(name, [])
        if got is None:
            continue
        x, xy = got
        # Each lesion's label: the box nearest its centre among those holding it.
        label = np.full(len(x), -1)
        best = np.full(len(x), np.inf)
        for x0, y0, x1, y1, cls in boxes:
            inside = (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
            d = np.hypot(xy[:, 0] - (x0 + x1) / 2, xy[:, 1] - (y0 + y1) / 2)
            take = inside & (d < best)
            label[take] = L.ACNE_KINDS.index(BOX_CLASSES[cls])
            best[take] = d[take]
        keep = np.nonzero(label >= 0)[0]
        X.append(x[keep])
        y.append(label[keep])
        group += [gi] * len(keep)
    return np.concatenate(X), np.concatenate(y), np.array(group)


def main(argv=None) -> int:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold
    from sklearn.preprocessing import StandardScaler

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA / "acne04-train")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/skintrack_kind_features.npz"))
    args = ap.parse_args(argv)
    if "acne04-dev" in str(args.data):
        print("train_kinds: acne04-dev is the measurement set; train on acne04-train", file=sys.stderr)
        return 2
    grades: dict[str, dict[str, int]] = {}
    for name, boxes in load_boxes(args.data).items():
        row = grades.setdefault(name.split("_")[0], {})
        for b in boxes:
            row[b[4]] = row.get(b[4], 0) + 1
    print("exporter's class by photo grade (boxes):")
    for g in sorted(grades):
        print(f"  {g}: " + ", ".join(f"{c} {n}" for c, n in sorted(grades[g].items())))
    data = build(args.data, args.cache)
    X, y, group = labelled(data)
    print(
        f"{len(y)} lesions in boxes on {len(set(group))} photos; by kind "
        + ", ".join(f"{k} {int((y == i).sum())}" for i, k in enumerate(L.ACNE_KINDS))
    )
    scaler = StandardScaler().fit(X)
    Xs = scaler.transform(X)
    cv = list(GroupKFold(FOLDS).split(Xs, y, group))
    results = {}
    for c in C_GRID:
        logits = np.zeros((len(y), len(L.ACNE_KINDS)))
        for tr, te in cv:
            clf = LogisticRegression(C=c, max_iter=3000).fit(Xs[tr], y[tr])
            logits[te] = clf.decision_function(Xs[te])
        z = logits - logits.max(1, keepdims=True)
        lp = z - np.log(np.exp(z).sum(1, keepdims=True))
        results[c] = (float(-lp[np.arange(len(y)), y].mean()), logits)
        print(
            f"  C={c}: out-of-fold log-loss {results[c][0]:.4f}, accuracy "
            f"{(logits.argmax(1) == y).mean():.3f}"
        )
    prior = np.bincount(y, minlength=len(L.ACNE_KINDS)) / len(y)
    print(
        f"class prior: log-loss {float(-np.log(prior[y]).mean()):.4f}, accuracy "
        f"{prior.max():.3f} (always the commonest class)"
    )
    from sklearn.ensemble import HistGradientBoostingClassifier

    prob = np.zeros((len(y), len(L.ACNE_KINDS)))
    for tr, te in cv:
        gbm = HistGradientBoostingClassifier(
            max_iter=150, learning_rate=0.05, max_depth=4, min_samples_leaf=40, random_state=0
        ).fit(X[tr], y[tr])
        prob[te] = gbm.predict_proba(X[te])
    print(
        f"gradient boosting: out-of-fold log-loss "
        f"{float(-np.log(np.clip(prob[np.arange(len(y)), y], 1e-9, 1)).mean()):.4f}, "
        f"accuracy {(prob.argmax(1) == y).mean():.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
