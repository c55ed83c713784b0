"""Findings of the present detector on the development sets, cached for calibrating the verdict's
evidence rules (issue 13; :mod:`skintrack.core.evidence`).

The verdict is a pure function of a photo's findings, its quality and its scale, so the evidence
thresholds can be chosen and measured from one pass of the detector. Each set is written as JSON
lines under ``--out`` (default ``/tmp/skintrack-findings``, never the repository):

- ``acne04-dev``, ``acne04-train``, ``clear-dev``: one row per photo: ``photo``, ``face``,
  ``quality_ok``, ``problems`` (messages), ``mm_per_px``, ``findings`` (records, each marked on or
  off the skin);
- ``painted``: lesions painted with :mod:`skintrack.simulate.lesions` on the sample faces
  (wound 8 mm on a cheek, crust 6 mm on the forehead, pustule 4 mm on a cheek, cold sore 8 mm
  above the lip border; ``--seeds`` shapes each): the row adds ``painted`` (kind, x, y, radius);
- ``dermnet``: the close-up check on ``dermnet-dev`` (scale assumed): ``kind`` and ``findings``;
- ``clear-crops``: the close-up check on close-ups of clear skin cut from every clear-dev face
  (around the mouth and on both cheeks, at the face's scale, as ``measure_closeup.py`` cuts them):
  ``crop``, ``quality_ok``, ``mm_per_px``, ``findings``.

Usage::

    nice -n 10 .venv/bin/python scripts/collect_findings.py [--sets clear-dev,acne04-dev,...]
        [--seeds 4] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SETS = ("painted", "dermnet", "clear-dev", "acne04-dev", "acne04-train", "clear-crops")
PAINT_FACES = (
    "0-f15-hao-ph.jpg",
    "45-m7-di-ph.jpg",
    "aptus_2.png",
    "aptus_6.png",
    "obama.jpg",
    "single_face.jpg",
)
PAINT_CASES = (
    ("open_wound", "right_cheek", 8.0),
    ("crust", "forehead", 6.0),
    ("pustule", "left_cheek", 4.0),
    ("cold_sore", None, 8.0),
)


def _row(analysis) -> dict:
    face = analysis.face
    return {
        "face": face is not None,
        "quality_ok": bool(analysis.quality.ok and face is not None),
        "problems": [p.message for p in analysis.quality.problems],
        "mm_per_px": face.mm_per_px if face is not None else None,
        "findings": [f.to_record() for f in analysis.findings],
    }


def photos(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))


def collect(name: str, engine, out, seeds: int) -> int:
    from skintrack.core.analysis import analyze_photo
    from skintrack.core.intake import Photo, load_photo

    n = 0
    if name == "painted":
        import dataclasses

        from skintrack.simulate.lesions import place, render

        for face_name in PAINT_FACES:
            photo = load_photo(ROOT / "sample_images" / face_name)
            face = engine.detect(photo.rgb).face
            for kind, where, mm in PAINT_CASES:
                at = where or place(face, "lip_border", (0.0, -3.0))
                for seed in range(seeds):
                    rgb, les = render(photo.rgb, face, kind, at, mm, seed=seed)
                    p2: Photo = dataclasses.replace(photo, rgb=rgb)
                    row = _row(analyze_photo(p2, engine))
                    row.update(
                        photo=face_name,
                        seed=seed,
                        painted={"kind": kind, "x": les.x, "y": les.y, "radius_px": les.radius_px},
                    )
                    out.write(json.dumps(row) + "\n")
                    n += 1
        return n
    if name == "dermnet":
        from skintrack.core.closeup import analyze_close_up

        folder = DATA / "dermnet-dev"
        index = json.loads((folder / "index.json").read_text())
        for rel, info in sorted(index.items()):
            cu = analyze_close_up(load_photo(folder / rel).rgb)
            out.write(
                json.dumps(
                    {
                        "photo": rel,
                        "kind": info["kind"],
                        "mm_per_px": cu.mm_per_px,
                        "quality_ok": bool(cu.quality.ok),
                        "findings": [f.to_record() for f in cu.findings],
                    }
                )
                + "\n"
            )
            n += 1
        return n
    if name == "clear-crops":
        from skintrack.core.closeup import analyze_close_up
        from skintrack.core.regions import compute_regions

        sys.path.insert(0, str(ROOT / "scripts"))
        from measure_closeup import clear_crops

        for path in photos(DATA / "clear-dev"):
            photo = load_photo(path)
            face = engine.detect(photo.rgb).face
            if face is None:
                continue
            for crop, rgb, mmpp in clear_crops(photo.rgb, face, compute_regions(photo.rgb, face)):
                cu = analyze_close_up(rgb, mm_per_px=mmpp)
                out.write(
                    json.dumps(
                        {
                            "photo": path.name,
                            "crop": crop,
                            "mm_per_px": cu.mm_per_px,
                            "quality_ok": bool(cu.quality.ok),
                            "findings": [f.to_record() for f in cu.findings],
                        }
                    )
                    + "\n"
                )
                n += 1
        return n
    for path in photos(DATA / name):
        row = _row(analyze_photo(load_photo(path), engine))
        row["photo"] = path.name
        out.write(json.dumps(row) + "\n")
        n += 1
    return n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--out", default="/tmp/skintrack-findings")
    args = ap.parse_args(argv)
    names = [s for s in args.sets.split(",") if s]
    bad = [s for s in names if s not in SETS]
    if bad:
        print(f"unknown set(s) {', '.join(bad)}; sets: {', '.join(SETS)}", file=sys.stderr)
        return 2
    from skintrack.core import evidence
    from skintrack.core.face import FaceEngine

    # The evidence tables are measured from the rules' own scores: keep them uncalibrated here
    # (findings are still judged on the skin as the verdict judges them).
    evidence.FACE_RULES, evidence.CLOSE_UP_RULES = {}, {}

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with FaceEngine() as engine:
        for name in names:
            t0 = time.perf_counter()
            with open(out_dir / f"{name}.jsonl", "w") as out:
                n = collect(name, engine, out, args.seeds)
            print(f"{name}: {n} rows, {time.perf_counter() - t0:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
