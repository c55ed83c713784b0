"""Painted lesions found per ITA° skin-tone group, on every sample face (issue 14).

Paints each postponing kind (``simulate.lesions``: open wound 8 mm on the right cheek, crust 6
mm on the forehead, pustule 4 mm on the left cheek, cold sore 8 mm 3 mm above the upper-lip
border) in ``--seeds`` random shapes on every sample face with one face, runs the face check's
lesion search, and counts a hit when a finding of the right kind lies within the painted
radius. The painted lesion is also cut out as a close-up (3 cm square around it, the face's
scale given) and checked with ``check --close-up``'s analysis: a hit when a postponing kind is
found there. Faces are grouped by the ITA° of their median skin (Del Bino et al. 2006).

Usage::

    nice -n 10 .venv/bin/python scripts/measure_tones.py [--seeds 6] [--faces a.jpg,b.png]
        [--match-scale 0.56]

``--match-scale MM`` first shrinks every face finer than MM mm per pixel to that scale (area
resampling, as a coarser camera or a farther face would give), so that tone groups are compared
at one scale: the darker sample faces are also the coarser ones, and this separates the two.
"""

from __future__ import annotations

import argparse
import math
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_images"
CASES = (
    ("open_wound", "right_cheek", 8.0),
    ("crust", "forehead", 6.0),
    ("pustule", "left_cheek", 4.0),
    ("cold_sore", None, 8.0),
)
#: Side of the close-up cut around a painted lesion (mm).
CLOSE_UP_MM = 30.0


def face_tone(photo, face, regions) -> tuple[float, str]:
    import numpy as np

    from skintrack.core.colour import ita_deg, skin_tone

    labs = [r.lab_median for r in regions.regions.values() if r.lab_median]
    lab = np.median(np.array(labs), axis=0)
    ita = float(ita_deg(lab[0], lab[2]))
    return ita, skin_tone(ita)


def at_scale(photo, face, engine, mm_per_px: float):
    """``photo`` shrunk so its face is ``mm_per_px`` mm per pixel (unchanged when already as
    coarse), with its face found again; None when the face is lost."""
    import dataclasses

    import cv2

    from skintrack.simulate.lesions import _mm_per_px

    k = _mm_per_px(face) / mm_per_px
    if k >= 1.0:
        return photo, face
    h, w = photo.rgb.shape[:2]
    rgb = cv2.resize(photo.rgb, (round(w * k), round(h * k)), interpolation=cv2.INTER_AREA)
    det = engine.detect(rgb)
    if det.count != 1:
        return None
    return dataclasses.replace(photo, rgb=rgb), det.face


def measure(faces: list[str], seeds: int, match_scale: float | None = None) -> list[dict]:
    import numpy as np

    from skintrack.core import lesions as L
    from skintrack.core.closeup import analyze_close_up
    from skintrack.core.face import FaceEngine
    from skintrack.core.intake import load_photo
    from skintrack.core.protocol import POSTPONE_KINDS
    from skintrack.core.regions import compute_regions
    from skintrack.simulate.lesions import _mm_per_px, place, render

    rows = []
    with FaceEngine() as engine:
        for name in faces:
            photo = load_photo(SAMPLES / name)
            det = engine.detect(photo.rgb)
            if det.count != 1:
                continue
            face = det.face
            if match_scale:
                scaled = at_scale(photo, face, engine, match_scale)
                if scaled is None:
                    continue
                photo, face = scaled
            ita, tone = face_tone(photo, face, compute_regions(photo.rgb, face))
            mmpp = _mm_per_px(face)
            for kind, where, mm in CASES:
                at = where or place(face, "lip_border", (0.0, -3.0))
                face_hits = close_hits = 0
                for seed in range(seeds):
                    rgb, les = render(photo.rgb, face, kind, at, mm, seed=seed)
                    f2 = engine.detect(rgb).face
                    if f2 is not None:
                        found = L.find_lesions(rgb, f2, compute_regions(rgb, f2))
                        face_hits += any(
                            f.kind == kind and math.hypot(f.x - les.x, f.y - les.y) <= max(les.radius_px, 4)
                            for f in found
                        )
                    half = int(round(CLOSE_UP_MM / 2 / mmpp))
                    x0, y0 = max(0, int(les.x) - half), max(0, int(les.y) - half)
                    crop = np.ascontiguousarray(rgb[y0 : y0 + 2 * half, x0 : x0 + 2 * half])
                    cu = analyze_close_up(crop, mm_per_px=mmpp)
                    close_hits += any(f.kind in POSTPONE_KINDS for f in cu.findings)
                rows.append(
                    {
                        "face": name,
                        "mm_per_px": mmpp,
                        "ita": ita,
                        "tone": tone,
                        "kind": kind,
                        "face_hits": face_hits,
                        "close_up_hits": close_hits,
                        "n": seeds,
                    }
                )
    return rows


def report(rows: list[dict]) -> None:
    print("painted lesions found (face check / close-up cut), per face:")
    by_face = defaultdict(list)
    for r in rows:
        by_face[(r["face"], r["ita"], r["tone"])].append(r)
    for (name, ita, tone), sub in sorted(by_face.items(), key=lambda kv: -kv[0][1]):
        cells = "  ".join(f"{r['kind']} {r['face_hits']}/{r['n']} ({r['close_up_hits']})" for r in sub)
        print(f"  {name:<18} ITA {ita:6.1f} {tone:<13} {sub[0]['mm_per_px']:.2f} mm/px  {cells}")
    print("per ITA° tone group (face check, close-up cut in brackets):")
    by_tone = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for r in rows:
        t = by_tone[r["tone"]][r["kind"]]
        t[0] += r["face_hits"]
        t[1] += r["close_up_hits"]
        t[2] += r["n"]
    for tone, kinds in by_tone.items():
        faces = len({r["face"] for r in rows if r["tone"] == tone})
        cells = "  ".join(f"{k} {v[0]}/{v[2]} ({v[1]})" for k, v in kinds.items())
        print(f"  {tone:<13} {faces:2d} faces  {cells}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--faces", help="comma-separated sample file names (default: all)")
    ap.add_argument("--match-scale", type=float, metavar="MM", help="shrink finer faces to MM mm/px first")
    args = ap.parse_args(argv)
    faces = (
        args.faces.split(",")
        if args.faces
        else sorted(p.name for p in SAMPLES.iterdir() if p.suffix.lower() in (".jpg", ".png"))
    )
    t0 = time.perf_counter()
    report(measure(faces, args.seeds, args.match_scale))
    print(f"[{time.perf_counter() - t0:.0f} s]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
