"""The wound, crust and cold-sore rules on real photos, and the close-up check (issue 14).

On ``../shared/data/dermnet-dev`` (29 cold sores, 14 impetigo crusts; all but one close-ups):

- **face check** (what ``skintrack check PHOTO`` does): the face mesh, then the lesion search;
  most close-ups show no face, so it stops there. A photo counts as *found* when a postponing kind
  (pustule, open wound, crust, cold sore) is among its findings on the skin.
- **close-up check** (``skintrack check --close-up PHOTO``, the scale assumed): the skin found by
  colour and the same rules; found as above, and *named right* when the photo's own kind (cold
  sore, crust) is among the findings.

On ``../shared/data/clear-dev`` (600 synthetic clear faces): close-ups of clear skin, cropped around
the mouth and on both cheeks (the face mesh only places the crops; their scale is the face's, as a
person would pass with ``--mm-per-px``), each checked with every question answered "no risk":
the share given GO, and the share whose skin gives no reason against GO (the other reason is the
photo scale: a crop of a 512-px portrait is coarser than the 0.6 mm per pixel the check asks for).
Given for the even-numbered faces (the half the close-up settings are tuned on), the odd-numbered
(unseen) and all, around the mouth and on the cheeks apart.

Every figure is also given per ITA° skin-tone group of the photo's measured skin colour.

Usage::

    nice -n 10 .venv/bin/python scripts/measure_closeup.py [--clear-sample N] [--seed 14]
        [--no-face-check] [--json OUT]

The photos are read from the shared folder and never copied.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from skintrack.simulate.answers import NO_RISK_ANSWERS

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
NO_RISK = NO_RISK_ANSWERS
#: Crops of clear skin: around the mouth (this many mouth widths square) and on each cheek (this
#: share of the face width square, centred on the cheek region).
MOUTH_CROP_WIDTHS = 1.8
CHEEK_CROP_SHARE = 0.32


def photo_half(name: str) -> str:
    """ "even" (the half the close-up settings are tuned on) or "odd" (unseen) by photo number."""
    m = re.search(r"(\d+)\D*$", Path(name).stem)
    return "odd" if m and int(m.group(1)) % 2 else "even"


def tone_of(lab) -> str:
    from skintrack.core.colour import ita_deg, skin_tone

    return skin_tone(float(ita_deg(lab[0], lab[2])))


def measure_dermnet(folder: Path, engine=None) -> dict:
    from skintrack.core import protocol
    from skintrack.core.closeup import analyze_close_up
    from skintrack.core.intake import load_photo

    index = json.loads((folder / "index.json").read_text())
    rows = []
    for rel, info in sorted(index.items()):
        photo = load_photo(folder / rel)
        cu = analyze_close_up(photo.rgb)
        kinds = sorted({f.kind for f in cu.findings if not f.off_skin})
        row = {
            "file": rel,
            "kind": info["kind"],
            "tone": tone_of(cu.skin_lab),
            "close_up_kinds": kinds,
            "close_up_found": any(k in protocol.POSTPONE_KINDS for k in kinds),
            "close_up_named": info["kind"] in kinds,
        }
        if engine is not None:
            from skintrack.core.analysis import analyze_photo
            from skintrack.core.verdict import why_not_counted

            a = analyze_photo(photo, engine)
            fk = sorted({f.kind for f in a.findings if not why_not_counted(f)})
            row.update(
                face_found=a.face is not None,
                face_kinds=fk,
                face_found_kind=any(k in protocol.POSTPONE_KINDS for k in fk),
                face_named=info["kind"] in fk,
            )
        rows.append(row)
    return {"rows": rows}


def clear_crops(rgb, face, regions):
    """(name, crop, mm_per_px) close-ups of clear skin placed by the face mesh."""
    import numpy as np

    from skintrack.core.lesions import DEFAULT_FACE_HEIGHT_MM, face_height_px

    xy = face.xy
    mmpp = face.mm_per_px or DEFAULT_FACE_HEIGHT_MM / face_height_px(face)
    h, w = rgb.shape[:2]

    def crop(cx, cy, side):
        half = int(round(side / 2))
        x0, y0 = int(round(cx)) - half, int(round(cy)) - half
        if x0 < 0 or y0 < 0 or x0 + 2 * half > w or y0 + 2 * half > h or half < 16:
            return None
        return np.ascontiguousarray(rgb[y0 : y0 + 2 * half, x0 : x0 + 2 * half])

    out = []
    mouth_w = float(np.linalg.norm(xy[61] - xy[291]))
    c = (xy[61] + xy[291] + xy[0] + xy[17]) / 4
    out.append(("mouth", crop(c[0], c[1], MOUTH_CROP_WIDTHS * mouth_w), mmpp))
    for name in ("left_cheek", "right_cheek"):
        poly = regions[name].polygon
        cc = poly.mean(0)
        out.append((name, crop(cc[0], cc[1], CHEEK_CROP_SHARE * face.width_px), mmpp))
    return [(n, c, s) for n, c, s in out if c is not None]


def measure_clear(paths, engine) -> dict:
    from skintrack.core.closeup import analyze_close_up
    from skintrack.core.intake import load_photo
    from skintrack.core.questionnaire import Answers
    from skintrack.core.regions import compute_regions
    from skintrack.core.verdict import decide

    answers = Answers.from_dict(NO_RISK)
    rows = []
    for p in paths:
        photo = load_photo(p)
        face = engine.detect(photo.rgb).face
        if face is None:
            continue
        regions = compute_regions(photo.rgb, face)
        for name, rgb, mmpp in clear_crops(photo.rgb, face, regions):
            for scale_name, given in (("face", mmpp),):
                cu = analyze_close_up(rgb, mm_per_px=given)
                v = decide(cu.findings, cu.quality, answers=answers, mm_per_px=cu.mm_per_px, close_up=True)
                skin_reasons = [r for r in v.reasons if r.finding_ids]
                rows.append(
                    {
                        "file": p.name,
                        "half": photo_half(p.name),
                        "crop": name,
                        "scale": scale_name,
                        "mm_per_px": cu.mm_per_px,
                        "tone": tone_of(cu.skin_lab),
                        "decision": v.decision,
                        "skin_clear": not skin_reasons,
                        "quality_ok": cu.quality.ok,
                        "kinds": sorted({f.kind for f in cu.findings}),
                    }
                )
    return {"rows": rows}


def _pct(n, d):
    return f"{100 * n / d:5.1f} % ({n}/{d})" if d else "   -"


def report(dermnet: dict | None, clear: dict | None) -> None:
    if dermnet:
        rows = dermnet["rows"]
        print(f"dermnet-dev: {len(rows)} photos")
        for kind in ("cold_sore", "crust", None):
            sub = [r for r in rows if kind is None or r["kind"] == kind]
            label = kind or "all"
            found = _pct(sum(r["close_up_found"] for r in sub), len(sub))
            named = _pct(sum(r["close_up_named"] for r in sub), len(sub))
            line = f"  {label:<10} close-up: postponing kind found {found}, named right {named}"
            if sub and "face_found" in sub[0]:
                line += (
                    f";  face check: face {sum(r['face_found'] for r in sub)}/{len(sub)}, "
                    f"postponing kind found {_pct(sum(r['face_found_kind'] for r in sub), len(sub))}"
                )
            print(line)
        by_tone = defaultdict(list)
        for r in rows:
            by_tone[r["tone"]].append(r)
        print("  per ITA° tone group (close-up, postponing kind found):")
        for tone, sub in sorted(by_tone.items()):
            print(f"    {tone:<13} {_pct(sum(r['close_up_found'] for r in sub), len(sub))}")
        kinds = Counter(k for r in rows for k in r["close_up_kinds"])
        print(f"  kinds reported (photos): {dict(kinds)}")
    if clear:
        rows = clear["rows"]
        for scale in ("face", "assumed"):
            sub = [r for r in rows if r["scale"] == scale]
            if not sub:
                continue
            print(
                f"clear-dev close-ups, scale {scale}: {len(sub)} crops of "
                f"{len({r['file'] for r in sub})} faces"
            )
            for half in ("even", "odd", None):
                hs = [r for r in sub if half is None or r.get("half", photo_half(r["file"])) == half]
                print(
                    f"  {half or 'all'} photo numbers"
                    + (" (tuning half)" if half == "even" else " (unseen)" if half else "")
                )
                for crop in ("mouth", "cheeks", "left_cheek", "right_cheek", None):
                    s2 = [
                        r
                        for r in hs
                        if crop is None or r["crop"] == crop or (crop == "cheeks" and r["crop"] != "mouth")
                    ]
                    print(
                        f"    {crop or 'all':<12} GO "
                        f"{_pct(sum(r['decision'] == 'go' for r in s2), len(s2))}"
                        f", skin gives no reason against GO "
                        f"{_pct(sum(r['skin_clear'] for r in s2), len(s2))}"
                        f", postponed {_pct(sum(r['decision'] == 'postpone' for r in s2), len(s2))}"
                    )
            by_tone = defaultdict(list)
            for r in sub:
                by_tone[r["tone"]].append(r)
            print("  per ITA° tone group (GO; skin gives no reason against GO):")
            for tone, s2 in sorted(by_tone.items()):
                print(
                    f"    {tone:<13} GO {_pct(sum(r['decision'] == 'go' for r in s2), len(s2))}; "
                    f"skin {_pct(sum(r['skin_clear'] for r in s2), len(s2))}"
                )
            kinds = Counter(k for r in sub for k in r["kinds"])
            print(
                f"  kinds reported (crops): {dict(kinds)}; median scale "
                f"{sorted(r['mm_per_px'] for r in sub)[len(sub) // 2]:.3f} mm/px"
            )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--clear-sample",
        type=int,
        default=0,
        help="check a seeded sample of this many clear faces (default: all)",
    )
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument(
        "--no-face-check",
        action="store_true",
        help="skip the face check on dermnet-dev (the 'before' figures)",
    )
    ap.add_argument("--no-clear", action="store_true", help="skip clear-dev")
    ap.add_argument("--json", metavar="OUT", help="write every per-photo row to this file")
    args = ap.parse_args(argv)
    from skintrack.core.face import FaceEngine

    t0 = time.perf_counter()
    dermnet = clear = None
    with FaceEngine() as engine:
        d = DATA / "dermnet-dev"
        if (d / "index.json").is_file():
            dermnet = measure_dermnet(d, None if args.no_face_check else engine)
        else:
            print(f"{d} is not present", file=sys.stderr)
        c = DATA / "clear-dev"
        if c.is_dir() and not args.no_clear:
            paths = sorted(p for p in c.iterdir() if p.suffix.lower() in (".jpg", ".png"))
            if args.clear_sample:
                paths = sorted(random.Random(args.seed).sample(paths, min(args.clear_sample, len(paths))))
            clear = measure_clear(paths, engine)
    report(dermnet, clear)
    print(f"[{time.perf_counter() - t0:.0f} s]")
    if args.json:
        Path(args.json).write_text(json.dumps({"dermnet": dermnet, "clear": clear}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
