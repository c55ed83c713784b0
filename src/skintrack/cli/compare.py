"""``skintrack compare BASELINE LATER [--treated REGION,...] [--json] [--map OUT.png] [--chart]``"""

from __future__ import annotations

import argparse
import json
import sys
import time

from skintrack.cli import REGIONS_HELP, parse_regions
from skintrack.core.printable import for_terminal
from skintrack.core.readable import signed_number
from skintrack.words import region_name

REGIONS = ("forehead", "left_cheek", "right_cheek", "nose", "chin", "perioral")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("baseline", metavar="BASELINE", help="the photo taken before treatment")
    p.add_argument("later", metavar="LATER", help="a photo taken after treatment")
    p.add_argument(
        "--treated",
        metavar="REGION,...",
        type=parse_regions,
        default=(),
        help=f"the regions you treated, comma-separated ({REGIONS_HELP}); the others "
        "are used to match the light of the two photos",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object (schema 1)")
    p.add_argument(
        "--map", metavar="OUT.png", help="also write the redness-change map (baseline face, coloured by Δa*)"
    )
    p.add_argument(
        "--chart",
        action="store_true",
        help="both photos show a 24-patch ColorChecker Classic: correct their colours with it",
    )


def run(args: argparse.Namespace) -> int:
    import dataclasses

    from skintrack.core.analysis import analysis_record, analyze_photo
    from skintrack.core.compare import compare_analyses
    from skintrack.core.errors import SkintrackError
    from skintrack.core.face import FaceEngine
    from skintrack.core.intake import load_photo

    treated = tuple(args.treated)
    photos, decode_ms = [], []
    for path in (args.baseline, args.later):
        t0 = time.perf_counter()
        photos.append(load_photo(path))
        decode_ms.append((time.perf_counter() - t0) * 1e3)
    calibrations = None
    if args.chart:
        from skintrack.core.calibration import CalibrationError, calibrate_photo

        found = []
        for label, photo in zip(("baseline", "later"), photos, strict=True):
            try:
                found.append(calibrate_photo(photo.rgb))
            except CalibrationError as exc:
                raise SkintrackError(f"{label} photo {photo.path}: {exc}") from None
        photos = [dataclasses.replace(p, rgb=c.apply(p.rgb)) for p, c in zip(photos, found, strict=True)]
        calibrations = tuple(found)

    # Lesion findings belong in the JSON records (as in ``analyze``); the table does not show
    # them, so plain output skips that work.
    with FaceEngine() as engine:
        analyses = [analyze_photo(p, engine, find_lesions=args.json) for p in photos]
    comparison = compare_analyses(
        analyses[0], analyses[1], treated=treated, with_map=bool(args.map), calibrations=calibrations
    )
    if args.map and comparison.same_person:
        write_map(args.map, analyses[0].photo.rgb, comparison)
    if args.json:
        records = [analysis_record(a, decode_ms=d) for a, d in zip(analyses, decode_ms, strict=True)]
        rec = comparison.to_record(records[0], records[1])
        if calibrations:
            rec["calibration"] = {
                "baseline": calibrations[0].to_record(),
                "later": calibrations[1].to_record(),
            }
        print(json.dumps(rec))
        return 0 if comparison.same_person else 2
    if not comparison.same_person:
        raise SkintrackError(comparison.warnings[0])
    print_table(comparison, args)
    return 0


def write_map(path: str, baseline_rgb, comparison) -> None:
    """The change map cropped to the baseline face, with its colour scale, as an image file."""
    import cv2

    from skintrack.core.compare import delta_map_figure
    from skintrack.core.errors import SkintrackError

    figure = delta_map_figure(baseline_rgb, comparison)
    if not cv2.imwrite(path, figure[..., ::-1]):
        raise SkintrackError(
            f"cannot write the map to {path} (use a .png or .jpg name in an existing folder)"
        )


def _signed(value: float) -> str:
    """A change for the table: ``+1.2``, ``-0.4``, never ``-0.0`` (ASCII minus in a terminal)."""
    return signed_number(value).replace("\u2212", "-")


def print_table(c, args) -> None:
    from skintrack.core.compare import REAL_CHANGE_A_STAR

    header = ("region", "a* before", "a* after", "Δa*", "± (95%)", "ΔEI", "real change")
    rows = [header]
    for name in REGIONS:
        ch = c.regions.get(name)
        if ch is None:
            continue
        label = region_name(name) + (" (treated)" if name in c.treated else "")
        real = (ch.grade if ch.grade != "none" else "yes (less red)") if ch.real_change else "no"
        rows.append(
            (
                label,
                f"{ch.baseline_a_star:.1f}",
                f"{ch.later_a_star:.1f}",
                _signed(ch.delta_a_star),
                f"{ch.uncertainty:.1f}",
                _signed(ch.delta_erythema_index),
                real,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for i, row in enumerate(rows):
        print("  ".join(cell.ljust(wd) for cell, wd in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * wd for wd in widths))
    n = c.normalisation
    ref = (
        f" (reference: {', '.join(region_name(r) for r in n.reference_regions)})"
        if n.reference_regions
        else ""
    )
    # One uncertainty figure (the table's ±); the light matching's own share is in --json.
    print(f"\nlight matched by: {n.method.replace('_', ' ')}{ref}")
    print(f"real change: beyond the real-change threshold (±{REAL_CHANGE_A_STAR:.1f} a*) and beyond its ±")
    for f in c.findings():
        print(f"  * {f['message']}")
    for w in c.warnings:
        print(f"  ! {for_terminal(w)}")
    if args.map:
        print(f"map written to {for_terminal(args.map)}")
    sys.stdout.flush()
