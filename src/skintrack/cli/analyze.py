"""``skintrack analyze PHOTO... [--json]``"""

from __future__ import annotations

import argparse
import json
import sys
import time

from skintrack.core.printable import for_terminal


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("photos", nargs="+", metavar="PHOTO", help="photo files (JPEG, PNG, TIFF, WebP)")
    p.add_argument("--json", action="store_true", help="one JSON object per photo per line")


def run(args: argparse.Namespace) -> int:
    from skintrack.core.analysis import analysis_record, analyze_photo
    from skintrack.core.errors import SkintrackError
    from skintrack.core.face import FaceEngine
    from skintrack.core.intake import load_photo

    failed = 0
    rows = []
    with FaceEngine() as engine:
        for path in args.photos:
            try:
                t0 = time.perf_counter()
                photo = load_photo(path)
                decode_ms = (time.perf_counter() - t0) * 1e3
                rec = analysis_record(analyze_photo(photo, engine), decode_ms=decode_ms)
            except SkintrackError as exc:
                failed += 1
                if args.json:
                    print(json.dumps({"schema": 1, "image": {"path": path}, "error": str(exc)}), flush=True)
                else:
                    print(f"skintrack: {for_terminal(exc)}", file=sys.stderr, flush=True)
                continue
            if args.json:
                print(json.dumps(rec), flush=True)
            else:
                rows.append(rec)
    if not args.json and rows:
        print_table(rows)
    return 2 if failed else 0


def print_table(rows: list[dict]) -> None:
    header = (
        "photo",
        "size",
        "taken (source)",
        "faces",
        "yaw/pitch",
        "mm/px",
        "cheek a* L/R",
        "quality",
        "ms",
    )
    table = [header]
    for r in rows:
        img, face, regs = r["image"], r["face"], r["regions"]
        pose = face["pose"]
        taken = (img["taken_at"] or "-")[:16].replace("T", " ")
        lc, rc = regs.get("left_cheek"), regs.get("right_cheek")
        cheeks = "-"
        if lc and rc and lc["lab_median"] and rc["lab_median"]:
            cheeks = f"{lc['lab_median'][1]:.1f}/{rc['lab_median'][1]:.1f}"
        quality = "ok" if r["quality"]["ok"] else ", ".join(p["code"] for p in r["quality"]["problems"])
        table.append(
            (
                for_terminal(img["path"].rsplit("/", 1)[-1]),
                f"{img['width']}x{img['height']}",
                f"{taken} ({img['taken_at_source']})",
                str(face["faces"]),
                f"{pose['yaw']:+.0f}/{pose['pitch']:+.0f}" if pose else "-",
                f"{face['mm_per_px']:.3f}" if face["mm_per_px"] else "-",
                cheeks,
                quality,
                f"{sum(r['timing_ms'].values()):.0f}",
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for i, row in enumerate(table):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    problems = {p["message"] for r in rows for p in r["quality"]["problems"]}
    if problems:
        print()
        for m in sorted(problems):
            print(f"  * {m}")
