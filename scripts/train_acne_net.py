"""Train the acne candidate network (``models/acne_net.onnx``) on acne04-train, select on acne04-dev.

    .venv/bin/pip install -e '.[train]'          # PyTorch (CPU) for training only
    nice -n 19 .venv/bin/python scripts/train_acne_net.py extract --data ../shared/data/acne04-train
    nice -n 19 .venv/bin/python scripts/train_acne_net.py extract --data ../shared/data/acne04-dev
    nice -n 19 .venv/bin/python scripts/train_acne_net.py extract --data ../shared/data/clear-dev \\
        --negatives-only --limit 200
    nice -n 19 .venv/bin/python scripts/train_acne_net.py train [--epochs 8] [--out models/acne_net.onnx]

``extract`` finds the face on every photo with the code that runs at analysis time
(:func:`skintrack.core.lesions.prepare`, :func:`~skintrack.core.lesions.candidates` at
``DETECT_MIN_Z``) and stores each candidate's network input (:func:`skintrack.core.acne_net.net_input`)
under /tmp (never in the repository). A candidate is positive when it lies within the scorer's
matching distance of an expert circle. Training photos keep all positives and a share of the
negatives; dev photos keep every candidate (the scorer needs them all); clear-dev faces give
negatives only.

``train`` fits the network on acne04-train (+ clear-dev negatives) only, exports it to ONNX, checks
that ``cv2.dnn`` reproduces PyTorch's outputs, and measures it on acne04-dev with the project's
scorer (:mod:`skintrack.core.lesion_scoring`, photos without a face count as all missed). The
threshold is chosen on a validation share of the *training* photos, so the dev figure is for
photos neither the weights nor the threshold saw; the dev curve along the threshold is printed too.
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

from skintrack.core import acne_net as N  # noqa: E402
from skintrack.core import lesions as L  # noqa: E402
from skintrack.core.lesion_scoring import (  # noqa: E402
    load_annotations,
    match_lesions,
    match_tolerance,
    pool,
)

CACHE = Path("/tmp/skintrack_acne_net")
#: Share of negative candidates kept from training photos (all positives are kept).
NEGATIVE_SHARE = 0.3
#: Negatives kept per clear-dev face.
CLEAR_PER_FACE = 120
THRESHOLDS = np.round(np.arange(0.10, 0.96, 0.025), 3)
KIND_OF_BOX = {"whitehead and blackhead": 0, "papules": 1, "pustules": 2, "nodules and cysts": 3}


def extract(data: Path, negatives_only: bool, limit: int | None, keep_all: bool) -> Path:
    from skintrack.core.face import FaceEngine
    from skintrack.core.intake import load_photo

    CACHE.mkdir(exist_ok=True)
    out = CACHE / f"{data.name}.npz"
    if negatives_only:
        names = sorted(p.name for p in data.glob("*.jpg"))[:limit]
        ann = {n: np.zeros((0, 3)) for n in names}
        boxes = {}
    else:
        ann = load_annotations(data)
        names = sorted(ann)[:limit]
        bp = data / "roboflow_boxes.json"
        boxes = json.loads(bp.read_text()) if bp.is_file() else {}
    rng = np.random.RandomState(0)
    (
        xs,
        ys,
        kinds,
        photo,
        wxy,
        pxy,
    ) = [], [], [], [], [], []
    no_face = []
    t0 = time.perf_counter()
    with FaceEngine() as engine:
        for i, name in enumerate(names):
            rgb = load_photo(data / name).rgb
            det = engine.detect(rgb)
            if not det.faces:
                no_face.append(name)
                continue
            work = L.prepare(rgb, det.faces[0])
            pts = L.candidates(work, L.DETECT_MIN_Z)
            xy = work.to_photo(pts)
            gt = ann[name]
            if len(gt) and len(pts):
                d = np.hypot(xy[:, None, 0] - gt[None, :, 0], xy[:, None, 1] - gt[None, :, 1])
                y = (d <= match_tolerance(gt[:, 2])[None]).any(1)
            else:
                y = np.zeros(len(pts), bool)
            kind = np.full(len(pts), -1, np.int8)
            for x0, y0, x1, y1, cls in boxes.get(name, []):
                inside = (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
                kind[inside] = KIND_OF_BOX.get(cls, -1)
            if negatives_only:
                sel = rng.permutation(len(pts))[:CLEAR_PER_FACE]
            elif keep_all or i % 8 == 7:  # dev photos; training-validation photos (train)
                sel = np.arange(len(pts))
            else:
                sel = np.nonzero(y | (rng.rand(len(pts)) < NEGATIVE_SHARE))[0]
            xs.append(N.net_input(work, pts[sel]).astype(np.float16))
            ys.append(y[sel])
            kinds.append(kind[sel])
            photo.append(np.full(len(sel), i, np.int32))
            wxy.append(pts[sel])
            pxy.append(xy[sel])
            if (i + 1) % 50 == 0:
                print(
                    f"  {data.name}: {i + 1}/{len(names)} photos, {time.perf_counter() - t0:.0f} s",
                    flush=True,
                )
    np.savez(
        out,
        x=np.concatenate(xs),
        y=np.concatenate(ys),
        kind=np.concatenate(kinds),
        photo=np.concatenate(photo),
        work_xy=np.concatenate(wxy),
        photo_xy=np.concatenate(pxy),
        names=np.array(names),
        no_face=np.array(no_face),
    )
    print(
        f"{data.name}: {len(names)} photos ({len(no_face)} without a face), "
        f"{sum(len(v) for v in ys)} candidates kept, {int(sum(v.sum() for v in ys))} positive, "
        f"{time.perf_counter() - t0:.0f} s -> {out}",
        flush=True,
    )
    return out


def make_net():
    import torch.nn as nn

    def block(i, o):
        return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU()]

    # 25 -> 12 -> 6 -> 3 (valid pooling), then a small dense head on the 3 x 3 x 48 map.
    return nn.Sequential(
        *block(N.CHANNELS, 16),
        nn.MaxPool2d(2),
        *block(16, 32),
        nn.MaxPool2d(2),
        *block(32, 48),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(48 * 9, 64),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(64, 1),
    )


def augment(xb, torch):
    """Flips, 90-degree turns and a small shift of the skin-relative colour (per patch)."""
    if torch.rand(1).item() < 0.5:
        xb = xb.flip(3)
    if torch.rand(1).item() < 0.5:
        xb = xb.flip(2)
    k = int(torch.randint(0, 4, (1,)).item())
    if k:
        xb = torch.rot90(xb, k, (2, 3))
    jitter = torch.randn(xb.shape[0], 3, 1, 1) * 0.08
    gain = 1.0 + torch.randn(xb.shape[0], 1, 1, 1) * 0.1
    xb = xb.clone()
    xb[:, :3] = xb[:, :3] * gain + jitter
    return xb


def kept_detections(d: dict, prob: np.ndarray, lo: float):
    """Per photo: NMS at the lowest threshold (a higher one keeps a prefix), photo xy and score."""
    kept = {}
    for i in range(len(d["names"])):
        m = d["photo"] == i
        if not m.any():
            kept[i] = (np.zeros((0, 2)), np.zeros(0))
            continue
        keep = L.nms(d["work_xy"][m], prob[m], L.NMS_RADIUS, lo)
        kept[i] = (d["photo_xy"][m][keep], prob[m][keep])
    return kept


def score(names, no_face, truth, kept, thr):
    matches = []
    for i, name in enumerate(names):
        if name in no_face:
            matches.append(match_lesions(None, truth[name]))
        else:
            xy, p = kept[i]
            matches.append(match_lesions(xy[p >= thr], truth[name]))
    return pool(matches)


def train(args) -> None:
    import torch
    import torch.nn as nn

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    tr = dict(np.load(CACHE / "acne04-train.npz"))
    dev = dict(np.load(CACHE / "acne04-dev.npz"))
    clear = dict(np.load(CACHE / "clear-dev.npz")) if (CACHE / "clear-dev.npz").is_file() else None
    # Validation photos (for epoch and threshold choice): every 8th training photo.
    n_photos = len(tr["names"])
    val_photo = np.arange(n_photos) % 8 == 7
    is_val = val_photo[tr["photo"]]
    if args.share < 1.0:  # learning curve: a share of the training photos
        rs = np.random.RandomState(5)
        use_photo = rs.rand(n_photos) < args.share
        fit = ~is_val & use_photo[tr["photo"]]
    else:
        fit = ~is_val
    xfit = [tr["x"][fit]]
    yfit = [tr["y"][fit]]
    if clear is not None and not args.no_clear:
        xfit.append(clear["x"])
        yfit.append(clear["y"])
    xfit = torch.from_numpy(np.concatenate(xfit).astype(np.float32))
    yfit = torch.from_numpy(np.concatenate(yfit).astype(np.float32))
    print(
        f"fit on {len(yfit)} patches ({int(yfit.sum())} positive), {int(val_photo.sum())} validation photos",
        flush=True,
    )
    net = make_net()
    print(f"{sum(p.numel() for p in net.parameters())} parameters", flush=True)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    pos_idx = torch.nonzero(yfit > 0.5).reshape(-1)
    neg_idx = torch.nonzero(yfit <= 0.5).reshape(-1)
    n_neg = int(len(neg_idx) * args.neg_per_epoch)
    per_epoch = len(pos_idx) + n_neg
    steps = args.epochs * (per_epoch // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps)
    # Positives are ~1 in 10 of the kept candidates: weight them up (F1 wants recall).
    pos_w = torch.tensor(args.pos_weight)
    lossf = nn.BCEWithLogitsLoss(pos_weight=pos_w)

    def predict(x):
        net.eval()
        out = []
        with torch.no_grad():
            for i in range(0, len(x), 4096):
                out.append(net(torch.from_numpy(x[i : i + 4096].astype(np.float32))).reshape(-1))
        net.train()
        return torch.sigmoid(torch.cat(out)).numpy()

    tr_truth = load_annotations(Path(args.train_data))
    val_names = [n for i, n in enumerate(tr["names"]) if val_photo[i]]
    val_idx = np.nonzero(val_photo)[0]
    t0 = time.perf_counter()
    best = (-1.0, None, None)
    if args.from_state:  # export a checkpoint written by an earlier run (no training)
        ck = torch.load(args.from_state)
        best = (0.0, float(ck["threshold"]), ck["state"])
    for ep in range(0 if args.from_state else args.epochs):
        # Every positive and a fresh share of the negatives each epoch.
        perm = torch.cat([pos_idx, neg_idx[torch.randperm(len(neg_idx))[:n_neg]]])
        perm = perm[torch.randperm(len(perm))]
        tot = 0.0
        for s in range(per_epoch // args.batch):
            idx = perm[s * args.batch : (s + 1) * args.batch]
            xb = augment(xfit[idx], torch)
            loss = lossf(net(xb).reshape(-1), yfit[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot += float(loss.detach())
        # Validation photos of the training folder (every candidate kept): epoch and threshold.
        pv = predict(tr["x"][is_val])
        sub = {k: tr[k][is_val] for k in ("photo", "work_xy", "photo_xy")}
        sub["names"] = tr["names"]
        kept_all = kept_detections(sub, pv, float(THRESHOLDS[0]))
        kept = {j: kept_all[i] for j, i in enumerate(val_idx)}
        f1s = [score(val_names, set(tr["no_face"]), tr_truth, kept, t).f1 for t in THRESHOLDS]
        j = int(np.argmax(f1s))
        print(
            f"epoch {ep + 1}: loss {tot / max(1, s + 1):.4f}, val F1 {f1s[j]:.3f} at "
            f"{THRESHOLDS[j]:.3f}, {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
        if f1s[j] > best[0]:
            best = (f1s[j], float(THRESHOLDS[j]), {k: v.clone() for k, v in net.state_dict().items()})
            if args.out:
                torch.save({"state": best[2], "threshold": best[1]}, Path(args.out).with_suffix(".pt"))
    net.load_state_dict(best[2])
    net.eval()
    # Dev: every candidate kept, so this is the detector as it runs.
    dev_truth = load_annotations(Path(args.dev_data))
    pd = predict(dev["x"])
    kept = kept_detections(dev, pd, float(THRESHOLDS[0]))
    no_face = set(dev["no_face"].tolist())
    names = dev["names"].tolist()
    print("dev curve (threshold: recall precision F1):")
    curve = []
    for t in THRESHOLDS:
        s = score(names, no_face, dev_truth, kept, t)
        curve.append((float(t), s))
        print(f"  {t:.3f}: {s.recall:.3f} {s.precision:.3f} {s.f1:.3f}")
    # The threshold is the training-validation photos' best unless --select-on-dev.
    thr = best[1]
    if args.select_on_dev:
        thr = max(curve, key=lambda c: c[1].f1)[0]
    final = score(names, no_face, dev_truth, kept, thr)
    print(f"dev at threshold {thr:.3f}: {final.summary()}", flush=True)
    if clear is not None:
        cx = clear["x"]
        pc = predict(cx)
        nf = len(set(clear["photo"].tolist()))
        print(
            f"clear-dev: {(pc >= thr).sum() / max(nf, 1):.2f} sampled candidates over the "
            f"threshold per face (of {CLEAR_PER_FACE} sampled)",
            flush=True,
        )
    if args.out:
        export(net, args, thr, final, torch)


def export(net, args, thr, final, torch) -> None:
    import cv2

    out = Path(args.out)
    net.eval()
    dummy = torch.zeros(1, N.CHANNELS, N.NET_SIZE, N.NET_SIZE)
    torch.onnx.export(
        net,
        dummy,
        str(out),
        input_names=["patch"],
        output_names=["logit"],
        dynamic_axes={"patch": {0: "n"}, "logit": {0: "n"}},
        opset_version=13,
        dynamo=False,
    )
    x = np.random.RandomState(0).randn(64, N.CHANNELS, N.NET_SIZE, N.NET_SIZE).astype(np.float32)
    with torch.no_grad():
        ref = net(torch.from_numpy(x)).numpy().reshape(-1)
    cvnet = cv2.dnn.readNetFromONNX(str(out))
    cvnet.setInput(x)
    got = np.asarray(cvnet.forward()).reshape(-1)
    err = float(np.abs(got - ref).max())
    assert err < 1e-3, f"cv2.dnn differs from PyTorch by {err}"
    meta = {
        "threshold": thr,
        "net_size": N.NET_SIZE,
        "channels": N.CHANNELS,
        "train_data": "acne04-train (Acne04-v2 circles), clear-dev negatives",
        "train_annotations_sha256": hashlib.sha256(
            (Path(args.train_data) / "annotations.json").read_bytes()
        ).hexdigest(),
        "dev": final.to_record(),
        "args": {k: str(v) for k, v in vars(args).items()},
    }
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")
    meta["calibration"] = calibrate(out, Path(args.train_data))
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"wrote {out} ({out.stat().st_size} bytes), cv2.dnn max |diff| {err:.2e}")


def calibrate(onnx_path: Path, train_data: Path) -> dict:
    """Platt scaling of the network's score into the share of detections that were expert
    lesions, overall and per acne kind named by the colour rules, on the training-validation
    photos (every 8th acne04-train photo: not fitted on, not acne04-dev), with the exported
    network run by cv2.dnn exactly as at analysis time."""
    from sklearn.linear_model import LogisticRegression

    from skintrack.core.face import FaceEngine
    from skintrack.core.intake import load_photo

    ann = load_annotations(train_data)
    names = [n for i, n in enumerate(sorted(ann)) if i % 8 == 7]
    net = N.AcneNet(onnx_path)
    lo = float(THRESHOLDS[0])
    rows = []  # (logit, matched, kind)
    with FaceEngine() as engine:
        for name in names:
            rgb = load_photo(train_data / name).rgb
            det = engine.detect(rgb)
            if not det.faces:
                continue
            spots = N.detect_acne_net(L.prepare(rgb, det.faces[0]), net, threshold=lo)
            spots_thr = spots.score >= net.threshold
            xy = spots.photo_xy[spots_thr]
            m = match_lesions(xy, ann[name])
            hit = np.zeros(len(xy), bool)
            for pi, _ in m.pairs:
                hit[pi] = True
            for sc, h, f in zip(spots.score[spots_thr], hit, spots.features[spots_thr], strict=True):
                rows.append((float(np.log(sc / max(1 - sc, 1e-6))), bool(h), L.acne_kind(f, 0.0)))
    z = np.array([r[0] for r in rows])[:, None]
    y = np.array([r[1] for r in rows])
    kinds = np.array([r[2] for r in rows])

    def fit(mask):
        if mask.sum() < 20 or y[mask].all() or not y[mask].any():
            return None
        lr = LogisticRegression(C=1.0).fit(z[mask], y[mask])
        return [float(lr.coef_[0, 0]), float(lr.intercept_[0])]

    cal = {
        "matched": fit(np.ones(len(y), bool)),
        "by_kind": {},
        "cap": 0.9,
        "photos": len(names),
        "detections": int(len(y)),
        "observed": float(y.mean()),
        "kind_detections": {},
        "kind_observed": {},
    }
    for k in L.ACNE_KINDS:
        mk = kinds == k
        cal["kind_detections"][k] = int(mk.sum())
        cal["kind_observed"][k] = float(y[mk].mean()) if mk.any() else None
        f = fit(mk)
        if f is not None:
            cal["by_kind"][k] = f
    if "papule" in cal["by_kind"] and "nodule" not in cal["by_kind"]:
        cal["by_kind"]["nodule"] = cal["by_kind"]["papule"]
    print(f"calibration: {json.dumps(cal)}", flush=True)
    return cal


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sp = ap.add_subparsers(dest="cmd", required=True)
    c = sp.add_parser("calibrate", help="recompute the calibration of an exported network")
    c.add_argument("onnx", type=Path)
    c.add_argument("--train-data", type=Path, default=ROOT.parent / "shared/data/acne04-train")
    e = sp.add_parser("extract")
    e.add_argument("--data", type=Path, required=True)
    e.add_argument("--negatives-only", action="store_true")
    e.add_argument("--keep-all", action="store_true", help="every candidate (dev photos)")
    e.add_argument("--limit", type=int, default=None)
    t = sp.add_parser("train")
    t.add_argument("--train-data", default=str(ROOT.parent / "shared/data/acne04-train"))
    t.add_argument("--dev-data", default=str(ROOT.parent / "shared/data/acne04-dev"))
    t.add_argument("--epochs", type=int, default=6)
    t.add_argument("--batch", type=int, default=256)
    t.add_argument("--lr", type=float, default=3e-3)
    t.add_argument("--pos-weight", type=float, default=2.0)
    t.add_argument("--threads", type=int, default=2)
    t.add_argument(
        "--neg-per-epoch",
        type=float,
        default=0.35,
        help="share of the kept negatives drawn afresh each epoch",
    )
    t.add_argument("--share", type=float, default=1.0, help="share of training photos used")
    t.add_argument("--no-clear", action="store_true")
    t.add_argument("--select-on-dev", action="store_true")
    t.add_argument("--out", default=None)
    t.add_argument("--from-state", default=None, help="skip training: export this checkpoint")
    args = ap.parse_args(argv)
    if args.cmd == "calibrate":
        meta_path = args.onnx.with_suffix(".json")
        meta = json.loads(meta_path.read_text())
        meta["calibration"] = calibrate(args.onnx, args.train_data)
        meta_path.write_text(json.dumps(meta, indent=1) + "\n")
    elif args.cmd == "extract":
        extract(args.data, args.negatives_only, args.limit, args.keep_all)
    else:
        train(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
