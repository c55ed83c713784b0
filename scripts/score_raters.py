"""How well ACNE04's two expert annotations agree (issue 14; ADR 0210, second session).

The exporter's boxes (``roboflow_boxes.json``, the original ACNE04 annotation) are scored as if
they were a detector against the Acne04-v2 expert circles (``annotations.json``) with the
project's scorer (:mod:`skintrack.core.lesion_scoring`): a box centre matches a circle within
``max(1.5 r, 6 px)``. The original raters boxed about one lesion in three, so only the precision
(the share of their boxes that the other experts also marked) is meaningful.

Usage::

    .venv/bin/python scripts/score_raters.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from skintrack.core.lesion_scoring import load_annotations, load_boxes, score

ROOT = Path(__file__).resolve().parents[1]


def agreement(folder: Path):
    truths = load_annotations(folder)
    boxes = load_boxes(folder)
    names = sorted(truths)
    preds = [
        np.array([((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for b in boxes.get(n, [])], float).reshape(-1, 2)
        for n in names
    ]
    return score(preds, [truths[n] for n in names])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = ap.parse_args(argv)
    found = False
    for split in ("acne04-dev", "acne04-train"):
        folder = args.data / split
        if not (folder / "annotations.json").is_file() or not (folder / "roboflow_boxes.json").is_file():
            continue
        found = True
        s = agreement(folder)
        print(
            f"{split}: {s.predictions} boxes, {s.truths} circles, {s.tp} boxes match a circle: "
            f"precision {s.tp / max(s.predictions, 1):.3f}, recall {s.tp / max(s.truths, 1):.3f}"
        )
    if not found:
        print(f"{args.data}: no ACNE04 folder with annotations and boxes", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
