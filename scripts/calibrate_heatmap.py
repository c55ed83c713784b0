"""Calibrate the heatmap network's peak probability into a certainty (issue 13/14, ADR 0210).

Runs the shipped network (``models/acne_heatmap.onnx``) on every ``acne04-dev`` photo at its
trained scale with a low threshold, matches the peaks to the expert circles with the project's
scorer (:func:`skintrack.core.lesion_scoring.match_lesions`, all peaks of a photo at 0.35 or
more: just under the shipped threshold, so lower peaks do not take expert circles) and, per bin
of peak probability, takes the share of peaks that were expert lesions. The shares are made
non-decreasing (pool adjacent violators) and written as ``certainty`` into
``models/acne_heatmap.json`` with ``--write``.

acne04-dev is the network's SELECTION set (its threshold and training length were chosen on it;
it never trained on it), so the mapping is fitted on the selection set, not on unseen photos.
Acne photos are dense with lesions: on clear skin the same probability is less often a lesion.

Usage::

    nice -n 10 .venv/bin/python scripts/calibrate_heatmap.py [--write]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
EDGES = (0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 1.01)


def pav(values, weights):
    """Non-decreasing least-squares fit (pool adjacent violators)."""
    blocks = [[v, w, 1] for v, w in zip(values, weights, strict=True)]
    i = 0
    while i < len(blocks) - 1:
        if blocks[i][0] > blocks[i + 1][0]:
            v1, w1, n1 = blocks[i]
            v2, w2, n2 = blocks[i + 1]
            w = w1 + w2
            blocks[i] = [(v1 * w1 + v2 * w2) / max(w, 1e-9), w, n1 + n2]
            del blocks[i + 1]
            i = max(0, i - 1)
        else:
            i += 1
    out = []
    for v, _w, n in blocks:
        out.extend([v] * n)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help="store the mapping in the model's JSON")
    args = ap.parse_args(argv)
    from skintrack.core.acne_heatmap import load_heatmap
    from skintrack.core.intake import load_photo
    from skintrack.core.lesion_scoring import load_annotations, match_lesions

    folder = DATA / "acne04-dev"
    if not folder.is_dir():
        print(f"{folder}: not found", file=sys.stderr)
        return 2
    net = load_heatmap()
    ann = load_annotations(folder)
    probs, real = [], []
    for name in sorted(ann):
        rgb = load_photo(folder / name).rgb
        pk = net.detect(rgb, threshold=EDGES[0])
        m = match_lesions(pk.xy, ann[name])
        hit = np.zeros(len(pk), bool)
        for p, _t in m.pairs:
            hit[p] = True
        probs.extend(pk.certainty.tolist())
        real.extend(hit.tolist())
    probs, real = np.asarray(probs), np.asarray(real)
    shares, counts = [], []
    for lo, hi in zip(EDGES[:-1], EDGES[1:], strict=True):
        sel = (probs >= lo) & (probs < hi)
        counts.append(int(sel.sum()))
        shares.append(float(real[sel].mean()) if sel.any() else 0.0)
    fit = pav(shares, counts)
    print("bin        peaks  real share  fitted")
    for lo, n, s, f in zip(EDGES[:-1], counts, shares, fit, strict=True):
        print(f">= {lo:4.2f}  {n:6d}  {s:10.3f}  {f:6.3f}")
    cal = {
        "probability": [round(e, 2) for e in EDGES[:-1]],
        "certainty": [round(min(f, 0.99), 3) for f in fit],
        "peaks": counts,
        "fitted_on": "acne04-dev (the network's selection set; not trained on), "
        "peaks matched by lesion_scoring.match_lesions, "
        "scripts/calibrate_heatmap.py",
    }
    print(json.dumps(cal))
    if args.write:
        path = net.path.with_suffix(".json")
        meta = json.loads(path.read_text())
        meta["calibration"] = cal
        path.write_text(json.dumps(meta, indent=1) + "\n")
        print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
