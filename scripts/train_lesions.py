"""Train the acne-lesion scorer (``models/lesions_acne.npz``) on a labelled folder, with grouped CV.

    .venv/bin/pip install -e '.[train]'          # scikit-learn, for training only (ADR 0009)
    .venv/bin/python scripts/train_lesions.py [--data ../shared/data/acne04-dev]
        [--out models/lesions_acne.npz] [--folds 5] [--cache /tmp/skintrack_lesion_features.pkl]

Steps: find the face on every photo (MediaPipe, largest face), compute the work image, the
candidates and their features with :mod:`skintrack.core.lesions` (the exact code that runs at
analysis time); a candidate is positive when it lies within the scorer's matching distance
(max(1.5 r, 6 px)) of an expert circle. Cross-validation splits *photos* into folds (a photo's
candidates never straddle train and test); the score threshold applied to a fold is chosen on
the other folds only, so the reported CV figures are for photos the model and its threshold have
not seen. Photos without a face count as all missed. The final model is trained on all photos,
with the threshold that maximises F1 over all out-of-fold predictions.

The model is exported as plain arrays (no pickle) and checked against scikit-learn's own
predictions before it is written. Training photos are never copied into the repository.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from skintrack.core import lesions as L  # noqa: E402
from skintrack.core.lesion_scoring import (  # noqa: E402
    load_annotations,
    match_lesions,
    match_tolerance,
    pool,
)

#: Gradient boosting settings (scikit-learn HistGradientBoostingClassifier). Depth is capped so
#: that the numpy evaluator needs few steps (speed budget: lesion finding <= 60 ms on 12 MP).
GBM = dict(
    max_iter=200,
    learning_rate=0.1,
    max_depth=6,
    max_leaf_nodes=31,
    min_samples_leaf=40,
    l2_regularization=1.0,
    random_state=0,
)
#: Share of negative candidates kept for training (all positives are kept); speeds training up
#: fourfold on a 2-core machine and costs nothing measurable in CV.
NEGATIVE_SHARE = 0.5
#: The calibrated certainty never goes above this (the best-scored unseen detections were expert
#: lesions about 81 % of the time).
CERTAINTY_CAP = 0.9
THRESHOLDS = np.round(np.arange(0.10, 0.71, 0.02), 2)


def build_features(data_dir: Path, cache: Path | None) -> dict:
    ann = load_annotations(data_dir)
    settings = (
        L.FEATURE_VERSION,
        L.FEATURE_NAMES,
        L.WORK_FACE_HEIGHT,
        L.SEARCH_MARGIN,
        L.DOG_SIGMAS,
        L.CANDIDATE_MIN_Z,
        "face retries marked",
    )
    key = hashlib.sha256(
        (json.dumps({k: v.tolist() for k, v in sorted(ann.items())}) + repr(settings)).encode()
    ).hexdigest()
    if cache and cache.is_file():
        with cache.open("rb") as fh:
            data = pickle.load(fh)
        if data.get("key") == key:
            print(f"features from cache {cache}")
            return data
    from skintrack.core.face import FaceEngine
    from skintrack.core.intake import load_photo

    per = {}
    t0 = time.perf_counter()
    with FaceEngine() as engine:
        for i, name in enumerate(sorted(ann)):
            photo = load_photo(data_dir / name)
            det = engine.detect(photo.rgb)
            # A face found only by the retries (mirrored / bordered: side views) is scored
            # like any other, but the bundled model is trained on directly found faces only.
            retry = det.timing_ms.get("attempts", 1.0) > 1
            if not det.faces:
                per[name] = None
                continue
            work = L.prepare(photo.rgb, det.faces[0])
            pts = L.candidates(work)
            x = L.candidate_features(work, pts)
            xy = work.to_photo(pts)
            gt = ann[name]
            if len(gt):
                d = np.hypot(xy[:, None, 0] - gt[None, :, 0], xy[:, None, 1] - gt[None, :, 1])
                y = (d <= match_tolerance(gt[:, 2])[None]).any(1)
            else:
                y = np.zeros(len(pts), bool)
            per[name] = {"x": x, "y": y, "xy": xy, "work_xy": pts, "retry": retry}
            if (i + 1) % 50 == 0:
                print(f"  {i + 1}/{len(ann)} photos, {time.perf_counter() - t0:.0f} s", flush=True)
    data = {"key": key, "per": per, "truth": ann}
    if cache:
        with cache.open("wb") as fh:
            pickle.dump(data, fh)
    return data


DOG_COLUMNS = [i for i, n in enumerate(L.FEATURE_NAMES) if n.startswith("dog_")]


def kept_order(per_image: dict, prob: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Greedy NMS at the lowest threshold; a higher threshold keeps a prefix of the same list.
    Returns the kept detections' photo positions, scores and acne kinds.

    As at detection time, only candidates whose strongest response reaches
    ``L.DETECT_MIN_Z`` are scored."""
    gated = per_image["x"][:, DOG_COLUMNS].max(1) >= L.DETECT_MIN_Z
    prob = np.where(gated, prob, 0.0)
    keep = L.nms(per_image["work_xy"], prob, L.NMS_RADIUS, float(THRESHOLDS[0]))
    # Nodules differ from papules by size only (the extent is measured in find_lesions): here
    # every inflamed spot without a head is a papule.
    kinds = np.array([L.acne_kind(f, 0.0) for f in per_image["x"][keep]], dtype=object)
    return per_image["xy"][keep], prob[keep], kinds


def score_at(names, truth, kept, thr):
    matches = []
    for name in names:
        if kept.get(name) is None:
            matches.append(match_lesions(None, truth[name]))
        else:
            xy, p, _ = kept[name]
            matches.append(match_lesions(xy[p >= thr], truth[name]))
    return pool(matches)


def best_threshold(names, truth, kept) -> float:
    f1 = [score_at(names, truth, kept, t).f1 for t in THRESHOLDS]
    return float(THRESHOLDS[int(np.argmax(f1))])


def calibrate(names, truth, kept, thr) -> dict:
    """How often a detection with a given score was an expert's lesion, on unseen photos.

    The raw tree score overstates that (the training set keeps only half of the negatives, and
    F1's threshold sits where about one detection in four is matched). For the out-of-fold
    detections at or above the final threshold, matched against the expert circles as the scorer
    does, a logistic fit of "matched" on the score's log-odds (Platt scaling: two numbers, smooth,
    no end effects where detections are few) gives the share of such detections that were expert
    lesions; it is stored on a 0.01 grid and is what a finding's ``score`` says to a person.
    The same is fitted per acne kind as the colour rules name them (``by_kind``): a finding's
    certainty is the one of its kind.
    """
    from sklearn.linear_model import LogisticRegression

    scores, matched, kinds = [], [], []
    for name in names:
        if kept.get(name) is None:
            continue
        xy, p, k = kept[name]
        sel = p >= thr
        m = match_lesions(xy[sel], truth[name])
        hit = np.zeros(int(sel.sum()), bool)
        for i, _ in m.pairs:
            hit[i] = True
        scores.append(p[sel])
        matched.append(hit)
        kinds.append(k[sel])
    x, y, kind = np.concatenate(scores), np.concatenate(matched), np.concatenate(kinds)

    def logit(v):
        v = np.clip(v, 1e-4, 1 - 1e-4)
        return np.log(v / (1 - v))

    fit = LogisticRegression(C=1e6).fit(logit(x)[:, None], y)
    grid = np.round(np.arange(np.floor(thr * 100) / 100, 1.0001, 0.01), 2)
    # Never more than the top bin saw: scores near 1 are few, and certainty is not claimed there.
    share = np.minimum(fit.predict_proba(logit(grid)[:, None])[:, 1], CERTAINTY_CAP)
    bins = np.linspace(thr, 1.0, 7)
    observed = [
        round(float(y[(x >= a) & (x < b)].mean()), 3) if ((x >= a) & (x < b)).any() else None
        for a, b in zip(bins[:-1], bins[1:], strict=True)
    ]
    # By kind: one slope, an offset per kind (papule the reference). Pustules are few at 640 px
    # (a head is one or two pixels), so the usual mild L2 penalty (C = 1) pulls their offset
    # toward the papules' rather than trusting a handful of detections fully.
    names_k = ("comedone", "papule", "pustule")
    onehot = np.stack([kind == "comedone", kind == "pustule"], 1).astype(np.float64)
    fit_k = LogisticRegression(C=1.0).fit(np.column_stack([logit(x), onehot]), y)
    by_kind, kind_detections, kind_observed = {}, {}, {}
    for name in names_k:
        oh = np.array([[name == "comedone", name == "pustule"]], np.float64).repeat(len(grid), 0)
        p_k = fit_k.predict_proba(np.column_stack([logit(grid), oh]))[:, 1]
        by_kind[name] = np.round(np.minimum(p_k, CERTAINTY_CAP), 3).tolist()
        sel = kind == name
        kind_detections[name] = int(sel.sum())
        kind_observed[name] = round(float(y[sel].mean()), 3) if sel.any() else None
    return {
        "score": grid.tolist(),
        "matched": np.round(share, 3).tolist(),
        "detections": int(len(x)),
        "bins": np.round(bins, 3).tolist(),
        "observed": observed,
        "by_kind": by_kind,
        "kind_detections": kind_detections,
        "kind_observed": kind_observed,
    }


def export(clf) -> L.TreeModel:
    feature, threshold, left, right, leaf, value, roots = [], [], [], [], [], [], []
    depth = 0
    offset = 0
    for stage in clf._predictors:  # one tree per boosting iteration (binary problem)
        nodes = stage[0].nodes
        roots.append(offset)
        feature.append(nodes["feature_idx"].astype(np.int32))
        threshold.append(nodes["num_threshold"].astype(np.float64))
        left.append(nodes["left"].astype(np.int32) + offset)
        right.append(nodes["right"].astype(np.int32) + offset)
        leaf.append(nodes["is_leaf"].astype(bool))
        value.append(nodes["value"].astype(np.float32))
        depth = max(depth, int(nodes["depth"].max()))
        offset += len(nodes)
    arrays = {
        "feature": np.concatenate(feature),
        "threshold": np.concatenate(threshold),
        "left": np.concatenate(left),
        "right": np.concatenate(right),
        "leaf": np.concatenate(leaf),
        "value": np.concatenate(value),
        "roots": np.asarray(roots, np.int32),
        "baseline": np.asarray(clf._baseline_prediction, np.float64).ravel()[:1],
        "depth": np.array([depth]),
    }
    return arrays


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "acne04-dev")
    ap.add_argument("--out", type=Path, default=ROOT / "models" / L.MODEL_NAME)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/skintrack_lesion_features.pkl"))
    ap.add_argument(
        "--train-on-retry-faces",
        action="store_true",
        help="also train on faces found only by the face finder's retries (side "
        "views); the bundled model does not: see models/LESIONS.md",
    )
    args = ap.parse_args(argv)

    import sklearn
    from sklearn.ensemble import HistGradientBoostingClassifier

    data = build_features(args.data, args.cache)
    per, truth = data["per"], data["truth"]
    names = sorted(truth)
    with_face = [n for n in names if per[n] is not None]
    # Photos to learn from; every photo with a face is scored.
    trainable = [n for n in with_face if args.train_on_retry_faces or not per[n]["retry"]]
    fold_of = {n: i % args.folds for i, n in enumerate(np.random.RandomState(0).permutation(names))}
    rng = np.random.RandomState(1)
    sample = {n: (per[n]["y"] | (rng.rand(len(per[n]["y"])) < NEGATIVE_SHARE)) for n in trainable}

    def fit(train_names):
        x = np.concatenate([per[n]["x"][sample[n]] for n in train_names])
        y = np.concatenate([per[n]["y"][sample[n]] for n in train_names])
        return HistGradientBoostingClassifier(**GBM).fit(x, y)

    t0 = time.perf_counter()
    oof_kept: dict = {n: None for n in names}
    for k in range(args.folds):
        train = [n for n in trainable if fold_of[n] != k]
        clf = fit(train)
        for n in with_face:
            if fold_of[n] == k:
                oof_kept[n] = kept_order(per[n], clf.predict_proba(per[n]["x"])[:, 1])
        print(f"fold {k + 1}/{args.folds} trained, {time.perf_counter() - t0:.0f} s", flush=True)

    fold_scores, fold_thr, matches = [], [], []
    for k in range(args.folds):
        test = [n for n in names if fold_of[n] == k]
        other = [n for n in names if fold_of[n] != k]
        thr = best_threshold(other, truth, oof_kept)
        s = score_at(test, truth, oof_kept, thr)
        fold_scores.append(s)
        fold_thr.append(thr)
        for n in test:
            xy, p, _ = oof_kept[n] if oof_kept[n] is not None else (None, None, None)
            matches.append(match_lesions(None if xy is None else xy[p >= thr], truth[n]))
        print(f"fold {k + 1}: threshold {thr:.2f} (chosen on the other folds): {s.summary()}")
    cv = pool(matches)
    print(f"CV ({args.folds} folds by photo): {cv.summary()}")

    final_thr = best_threshold(names, truth, oof_kept)
    calibration = calibrate(names, truth, oof_kept, final_thr)
    clf = fit(trainable)
    arrays = export(clf)
    meta = {
        "threshold": final_thr,
        "features": list(L.FEATURE_NAMES),
        "feature_version": L.FEATURE_VERSION,
        "trained_on": str(args.data.name),
        "annotations_sha256": hashlib.sha256((args.data / "annotations.json").read_bytes()).hexdigest(),
        "photos": len(names),
        "photos_with_face": len(with_face),
        "photos_trained_on": len(trainable),
        "candidates": int(sum(len(per[n]["y"]) for n in trainable)),
        "detect_min_z": L.DETECT_MIN_Z,
        "gbm": GBM,
        "negative_share": NEGATIVE_SHARE,
        "sklearn": sklearn.__version__,
        "cv": {
            "folds": args.folds,
            **cv.to_record(),
            "fold_thresholds": fold_thr,
            "fold_f1": [round(s.f1, 4) for s in fold_scores],
        },
        "calibration": calibration,
        "command": "python scripts/train_lesions.py"
        + (" --train-on-retry-faces" if args.train_on_retry_faces else ""),
    }
    model = L.TreeModel(arrays, meta)
    check = np.concatenate([per[n]["x"] for n in with_face[:20]])
    ours = model.predict(check)
    ref = clf.predict_proba(check)[:, 1]
    if not np.allclose(ours, ref, atol=1e-4):
        raise SystemExit(f"exported model disagrees with scikit-learn (max {abs(ours - ref).max()})")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    whole = score_at(
        names,
        truth,
        {n: (kept_order(per[n], model.predict(per[n]["x"])) if per[n] is not None else None) for n in names},
        final_thr,
    )
    print(
        f"final model: {len(arrays['roots'])} trees, depth {arrays['depth'][0]}, "
        f"threshold {final_thr:.2f} -> {args.out}"
    )
    print(f"whole dev set with the final model (seen in training): {whole.summary()}")
    print(json.dumps(meta["cv"]))
    cal = dict(zip(calibration["score"], calibration["matched"], strict=True))
    print(
        "calibrated certainty (share of unseen detections that were expert lesions): "
        + ", ".join(f"score {s:.2f} -> {cal[s]:.2f}" for s in sorted(cal)[::10])
    )
    for kind, share in calibration["by_kind"].items():
        print(
            f"  {kind}: {calibration['kind_detections'][kind]} unseen detections, "
            f"{calibration['kind_observed'][kind]} were lesions; "
            + ", ".join(
                f"{s:.2f} -> {v:.2f}" for s, v in list(zip(calibration["score"], share, strict=True))[::20]
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
