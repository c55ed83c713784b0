"""``skintrack check PHOTO [--treated REGION,...] [--answers FILE] [--dismiss ID,...] [--json]``

The pre-treatment check: findings on the photo and a verdict (GO, REVIEW or POSTPONE) with its
reasons, each tied to the protocol sentence it applies.
"""

from __future__ import annotations

import argparse
import json

REGIONS_HELP = "forehead, left_cheek, right_cheek, nose, chin, perioral (the person's own left)"


def _ids(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("photo", metavar="PHOTO", help="photo of the face (JPEG, PNG, TIFF, WebP)")
    p.add_argument("--treated", type=_ids, default=[], metavar="REGION,...",
                   help=f"regions to be treated (default: the whole face): {REGIONS_HELP}")
    p.add_argument("--answers", metavar="FILE",
                   help="JSON file with the protocol questions' answers (see docs/detectors.md)")
    p.add_argument("--dismiss", type=_ids, default=[], metavar="ID,...",
                   help="finding ids you have looked at and dismissed (a freckle, a mole ...)")
    p.add_argument("--confirm", type=_ids, default=[], metavar="ID,...",
                   help="finding ids you have looked at and confirmed")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from skintrack.core.analysis import analysis_record, analyze_photo
    from skintrack.core.errors import SkintrackError
    from skintrack.core.face import FaceEngine
    from skintrack.core.intake import load_photo
    from skintrack.core.questionnaire import load_answers
    from skintrack.core.verdict import check_treated, decide

    try:
        treated = check_treated(args.treated)
    except ValueError as exc:
        raise SkintrackError(f"--treated: {exc}") from None
    answers = load_answers(args.answers) if args.answers else None
    photo = load_photo(args.photo)
    with FaceEngine() as engine:
        analysis = analyze_photo(photo, engine)
    face = analysis.face
    known = {f.id for f in analysis.findings}
    unknown = sorted((set(args.dismiss) | set(args.confirm)) - known)
    if unknown:
        raise SkintrackError(f"no finding with id {', '.join(unknown)} on this photo")
    verdict = decide(analysis.findings, analysis.quality, answers=answers, treated=treated,
                     dismissed=frozenset(args.dismiss), confirmed=frozenset(args.confirm),
                     mm_per_px=face.mm_per_px if face else None)
    if args.json:
        rec = analysis_record(analysis)
        out = {"schema": 1, "image": rec["image"], "quality": rec["quality"],
               "face": rec["face"], "findings": rec["findings"],
               "dismissed": sorted(args.dismiss), "confirmed": sorted(args.confirm),
               "answers": answers.to_dict() if answers else None,
               "verdict": verdict.to_record()}
        print(json.dumps(out))
        return 0
    print_report(analysis, verdict, args, answers is not None)
    return 0


def print_report(analysis, verdict, args, answered: bool) -> None:
    from skintrack.core.printable import for_terminal
    from skintrack.core.verdict import KIND_WORDS, REGION_WORDS

    name = for_terminal(analysis.photo.path.rsplit("/", 1)[-1]) or "photo"
    where = ", ".join(verdict.treated) if verdict.treated else "whole face"
    print(f"{name}: {verdict.decision.upper()}   (treated: {where})")
    for r in verdict.reasons:
        print(f"  - {r.text}")
        print(f"    protocol: \"{r.source_sentence}\"")
    if not verdict.reasons:
        print("  Nothing on the photo or in the answers stands against treatment.")
    if not answered:
        print("  (The protocol questions were not answered: pass --answers FILE.)")
    findings = sorted(analysis.findings, key=lambda f: -f.score)
    if findings:
        print()
        print(f"  {'id':<10}  {'kind':<16}  {'where':<24}  {'size':>7}  {'certainty':>9}  state")
        for f in findings:
            state = ("dismissed" if f.id in args.dismiss else
                     "confirmed" if f.id in args.confirm else "")
            size = f"{f.diameter_mm:.1f} mm" if f.diameter_mm else f"{2 * f.radius_px:.0f} px"
            place = REGION_WORDS.get(f.region or "", "edge of face" if not f.region else f.region)
            kind = KIND_WORDS.get(f.kind, f.kind).split(" ", 1)[-1]
            print(f"  {f.id:<10}  {kind:<16}  {place:<24}  {size:>7}  {f.score:>9.0%}  {state}")
