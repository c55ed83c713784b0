"""Score the acne detector on a labelled folder (``annotations.json`` + photos).

    .venv/bin/python scripts/score_lesions.py FOLDER [--model models/lesions_acne.npz]
        [--threshold T] [--json] [--per-photo] [--shipped]

``--shipped`` scores what the app reports instead of the trees: the acne-kind findings of
:func:`skintrack.core.lesions.find_lesions` (the heatmap network's spots since ADR 0210's switch).

Uses issue 4's matching rule (:mod:`skintrack.core.lesion_scoring`): a predicted centre matches an
unmatched expert circle within max(1.5 r, 6 px), nearest first; photos where no face is found count
as all missed. Prints recall, precision, F1 and the mean absolute count error.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main(argv=None) -> int:
    from skintrack.core import lesions as L
    from skintrack.core.errors import SkintrackError
    from skintrack.core.face import FaceEngine
    from skintrack.core.lesion_scoring import score_folder

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--model", type=Path, default=None, help="acne model (.npz)")
    ap.add_argument("--threshold", type=float, default=None, help="score threshold (0-1)")
    ap.add_argument("--json", action="store_true", help="print the scores as JSON")
    ap.add_argument("--per-photo", action="store_true", help="one line per photo")
    ap.add_argument(
        "--shipped", action="store_true", help="score find_lesions' acne findings (what the app reports)"
    )
    args = ap.parse_args(argv)
    try:
        model = L.TreeModel.load(args.model) if args.model else L.load_model()
        if model is None:
            raise SkintrackError("no acne model: run scripts/train_lesions.py first")
        t0 = time.perf_counter()
        with FaceEngine() as engine:
            detect = L.acne_detector(engine, model, threshold=args.threshold)
            if args.shipped:
                import numpy as np

                def detect(rgb):
                    det = engine.detect(rgb)
                    if not det.faces:
                        return None
                    found = L.find_lesions(rgb, det.faces[0], None)
                    return np.array(
                        [(f.x, f.y) for f in found if f.kind in L.ACNE_KINDS], np.float64
                    ).reshape(-1, 2)

            def progress(name, m):
                if args.per_photo:
                    face = "" if m.face_found else "  (no face: all missed)"
                    print(
                        f"{name}: {m.truths} expert, {m.predictions} predicted, {m.tp} matched{face}",
                        flush=True,
                    )

            s, _ = score_folder(args.folder, detect, progress=progress)
    except SkintrackError as exc:
        print(f"score_lesions: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(s.to_record()))
    else:
        print(s.summary())
        print(f"({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
