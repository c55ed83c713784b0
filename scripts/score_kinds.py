"""How the acne findings are named, against the exporter's boxes (issue 14's kind figures).

    .venv/bin/python scripts/score_kinds.py [FOLDER] [--every N] [--json OUT]

For every photo of FOLDER (default ``../shared/data/acne04-dev``) with ``roboflow_boxes.json``,
:func:`skintrack.core.lesions.find_lesions` runs on the face (no regions) and each of the
exporter's boxes is matched to the finding whose centre lies inside it nearest the box centre
(:func:`skintrack.core.lesion_scoring.box_holders`). Printed: the share of boxes of each class
holding a finding, how those findings are named (a confusion table), and issue 14's figures:
"pustules" boxes named pustule (target >= 50 %) and inflamed (papule, pustule, nodule; >= 85 %),
"whitehead and blackhead" boxes named inflamed (<= 35 %). Photos without a face hold nothing.

It also prints the exporter's class against the photo's severity grade (``levleG_N.jpg``): every
box of a grade-G photo has one class, so these figures measure how findings are named on photos of
each grade, not whether a lesion's kind is named right (ADR 0209).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

DATA = ROOT.parent / "shared" / "data"


def score(folder: Path, files=None, engine=None):
    """The :class:`~skintrack.core.lesion_scoring.KindTable` of ``folder`` (``files``: a subset)."""
    from skintrack.core import lesions as L
    from skintrack.core.face import FaceEngine
    from skintrack.core.intake import load_photo
    from skintrack.core.lesion_scoring import KindTable, load_boxes

    boxes = load_boxes(folder)
    names = sorted(boxes) if files is None else list(files)
    table = KindTable()
    own = engine is None
    engine = FaceEngine() if own else engine
    try:
        for name in names:
            rgb = load_photo(folder / name).rgb
            det = engine.detect(rgb)
            found = L.find_lesions(rgb, det.faces[0], None) if det.faces else []
            table.add(
                boxes[name], np.array([[f.x, f.y] for f in found]).reshape(-1, 2), [f.kind for f in found]
            )
    finally:
        if own:
            engine.close()
    return table


def grade_table(folder: Path) -> dict[str, dict[str, int]]:
    """Boxes by the photo's severity grade (``levleG`` of its name) and the exporter's class."""
    from skintrack.core.lesion_scoring import load_boxes

    out: dict[str, dict[str, int]] = {}
    for name, boxes in load_boxes(folder).items():
        row = out.setdefault(name.split("_")[0], {})
        for b in boxes:
            row[b[4]] = row.get(b[4], 0) + 1
    return dict(sorted(out.items()))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path, nargs="?", default=DATA / "acne04-dev")
    ap.add_argument("--every", type=int, default=1, help="every N-th photo only")
    ap.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = ap.parse_args(argv)
    from skintrack.core.errors import SkintrackError
    from skintrack.core.lesion_scoring import load_boxes

    t0 = time.perf_counter()
    try:
        files = sorted(load_boxes(args.folder))[:: max(1, args.every)]
        grades = grade_table(args.folder)
        table = score(args.folder, files)
    except SkintrackError as exc:
        print(f"score_kinds: {exc}", file=sys.stderr)
        return 2
    print(
        "exporter's class by photo grade (boxes): "
        + "; ".join(f"{g}: " + ", ".join(f"{c} {n}" for c, n in row.items()) for g, row in grades.items())
    )
    print(f"{args.folder.name}: {len(files)} photos")
    print(table.confusion())
    fig = table.figures()
    print(
        f"pustules boxes named pustule {fig['pustules_named_pustule']:.1%} (target >= 50 %), "
        f"named inflamed {fig['pustules_named_inflamed']:.1%} (>= 85 %); whitehead and "
        f"blackhead boxes named inflamed {fig['comedones_named_inflamed']:.1%} (<= 35 %)"
    )
    print("boxes holding a finding: " + ", ".join(f"{c} {v:.1%}" for c, v in fig["held"].items()))
    print(f"({time.perf_counter() - t0:.0f} s)")
    if args.json:
        args.json.write_text(
            json.dumps(
                {"folder": args.folder.name, "photos": len(files), "by_grade": grades, **table.to_record()},
                indent=1,
            )
            + "\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
