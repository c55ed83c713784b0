"""``skintrack check PHOTO [--treated REGION,...] [--answers FILE] [--dismiss ID,...] [--json]``

``skintrack check --close-up PHOTO [--mm-per-px MM]``: a photo of one patch of skin, without a
face (:mod:`skintrack.core.closeup`); the same rules and the same verdict ladder.

The pre-treatment check: findings on the photo and a verdict (GO, REVIEW or POSTPONE) with its
reasons, each tied to the protocol sentence it applies.

GO needs every protocol question answered. On a terminal, without ``--answers``, the checklist
before treatment is shown with its protocol sentences, then the questions are asked one by one (an
empty answer leaves a question open); in a script, pass ``--answers FILE``: without it the verdict
is REVIEW, with a reason saying the questions are unanswered. Whether the person is a beginner is
asked only when the data folder holds no session yet (a first session).
"""

from __future__ import annotations

import argparse
import json
import sys

from skintrack.cli import REGIONS_HELP, parse_regions
from skintrack.words import decision_word, kind_name, region_name, region_phrase


def _ids(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def mm_per_px(text: str) -> float:
    """A scale from the command line, refused in one line when it is no plausible number."""
    from skintrack.core.closeup import check_mm_per_px
    from skintrack.core.errors import SkintrackError
    from skintrack.core.printable import for_terminal, shorten

    try:
        return check_mm_per_px(float(text))
    except ValueError as exc:
        msg = (
            str(exc)
            if "plausible" in str(exc)
            else f"{shorten(for_terminal(text.strip()), 30)!r} is not a number"
        )
        raise SkintrackError(f"--mm-per-px: {msg}") from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("photo", metavar="PHOTO", help="photo of the face (JPEG, PNG, TIFF, WebP)")
    p.add_argument(
        "--treated",
        type=parse_regions,
        default=(),
        metavar="REGION,...",
        help=f"regions to be treated (default: the whole face): {REGIONS_HELP}",
    )
    p.add_argument(
        "--answers",
        metavar="FILE",
        help="JSON file with the protocol questions' answers (see docs/detectors.md); "
        "without it the questions are asked on a terminal",
    )
    p.add_argument(
        "--dismiss",
        type=_ids,
        default=[],
        metavar="ID,...",
        help="finding ids you have looked at and dismissed (a freckle, a mole ...)",
    )
    p.add_argument(
        "--confirm",
        type=_ids,
        default=[],
        metavar="ID,...",
        help="finding ids you have looked at and confirmed",
    )
    p.add_argument(
        "--close-up",
        action="store_true",
        help="the photo is a close-up of one patch of skin (no whole face): skin is "
        "found by colour and every finding on it counts",
    )
    p.add_argument(
        "--mm-per-px",
        type=mm_per_px,
        metavar="MM",
        help="with --close-up: mm of skin per photo pixel (default: the photo's longer "
        "side is taken to span 100 mm, a phone about 10 cm from the skin)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from skintrack.core.analysis import analysis_record, analyze_photo
    from skintrack.core.errors import SkintrackError
    from skintrack.core.face import FaceEngine
    from skintrack.core.intake import load_photo
    from skintrack.core.questionnaire import load_answers
    from skintrack.core.verdict import check_treated, decide

    if args.close_up:
        if args.treated:
            raise SkintrackError(
                "--treated does not apply to --close-up: the close-up is the patch to be treated"
            )
    elif args.mm_per_px is not None:
        raise SkintrackError("--mm-per-px applies to --close-up only (a face photo is scaled by the iris)")
    try:
        treated = check_treated(args.treated)
    except ValueError as exc:
        raise SkintrackError(f"--treated: {exc}") from None
    answers = load_answers(args.answers) if args.answers else None
    photo = load_photo(args.photo)
    first = first_session()
    if answers is None and stdin_is_terminal():
        answers = ask_questions(sys.stdin, sys.stderr, first_session=first)
    if args.close_up:
        return run_close_up(photo, answers, args, first_session=first)
    with FaceEngine() as engine:
        analysis = analyze_photo(photo, engine)
    face = analysis.face
    _refuse_unknown_ids(analysis.findings, args)
    verdict = decide(
        analysis.findings,
        analysis.quality,
        answers=answers,
        treated=treated,
        dismissed=frozenset(args.dismiss),
        confirmed=frozenset(args.confirm),
        mm_per_px=face.mm_per_px if face else None,
        first_session=first,
    )
    if args.json:
        rec = analysis_record(analysis)
        print_json(
            analysis.findings,
            rec["findings"],
            image=rec["image"],
            quality=rec["quality"],
            face=rec["face"],
            args=args,
            answers=answers,
            verdict=verdict,
            first_session=first,
            treated=treated,
        )
        return 0
    print_report(analysis, verdict, args, answers is not None)
    print_checklist(answers, first_session=first)
    return 0


def print_json(
    findings,
    records,
    *,
    image,
    quality,
    face,
    args,
    answers,
    verdict,
    first_session: bool,
    treated=(),
    close_up=None,
) -> None:
    """The check as one JSON object (schema 1): each finding's record says whether it counts
    and why not; ``close_up`` (the close-up's record) is present only for ``--close-up``."""
    from skintrack.core.verdict import why_not_counted

    for f, rec in zip(findings, records, strict=True):
        why = why_not_counted(f, treated, close_up=close_up is not None)
        rec["counted"] = not why
        rec["not_counted_because"] = why or None
    out = {"schema": 1, "image": image, "quality": quality, "face": face}
    if close_up is not None:
        out["close_up"] = close_up
    out.update(
        {
            "findings": records,
            "dismissed": sorted(args.dismiss),
            "confirmed": sorted(args.confirm),
            "answers": answers.to_dict() if answers else None,
            "verdict": verdict.to_record(),
            "first_session": first_session,
            "checklist": checklist_record(answers, first_session=first_session),
        }
    )
    print(json.dumps(out))


def first_session() -> bool:
    """Whether no session is recorded yet in the data folder (``$SKINTRACK_HOME`` or the user's
    own), looked at read-only (:func:`skintrack.tracking.no_session_yet`)."""
    from skintrack.tracking import no_session_yet

    return no_session_yet()


def checklist_record(answers, *, first_session: bool) -> list[dict]:
    """The checklist items with their state (open, ok, attention) and protocol sentences."""
    from skintrack.core.questionnaire import CHECKLIST, checklist_state

    return [
        {
            "id": item.id,
            "title": item.title,
            "state": checklist_state(item, answers, first_session=first_session),
            "questions": list(item.question_ids),
            "sentences": list(item.sentences),
        }
        for item in CHECKLIST
    ]


CHECK_MARKS = {"ok": "[x]", "attention": "[!]", "open": "[ ]"}


def print_checklist(answers, *, first_session: bool, out=None) -> None:
    """The checklist before treatment, each item ticked or not, with its protocol sentences."""
    out = out or sys.stdout
    print(file=out)
    from skintrack.core.questionnaire import CHECKLIST_CLOSING

    print("  Before you start (the protocol's checklist):", file=out)
    for rec in checklist_record(answers, first_session=first_session):
        print(f"  {CHECK_MARKS[rec['state']]} {rec['title']}", file=out)
        for sentence in rec["sentences"]:
            print(f'      "{sentence}"', file=out)
    print(f'  "{CHECKLIST_CLOSING}"', file=out)


def _refuse_unknown_ids(findings, args) -> None:
    """``--dismiss`` and ``--confirm`` may name only findings of this photo (one readable line)."""
    from skintrack.core.errors import SkintrackError

    unknown = sorted((set(args.dismiss) | set(args.confirm)) - {f.id for f in findings})
    if unknown:
        raise SkintrackError(f"no finding with id {', '.join(unknown)} on this photo")


def run_close_up(photo, answers, args, *, first_session: bool) -> int:
    """``check --close-up``: the close-up analysis and the verdict ladder (close_up=True)."""
    from skintrack.core.closeup import analyze_close_up
    from skintrack.core.verdict import decide

    cu = analyze_close_up(photo.rgb, mm_per_px=args.mm_per_px)
    _refuse_unknown_ids(cu.findings, args)
    verdict = decide(
        cu.findings,
        cu.quality,
        answers=answers,
        dismissed=frozenset(args.dismiss),
        confirmed=frozenset(args.confirm),
        mm_per_px=cu.mm_per_px,
        close_up=True,
        first_session=first_session,
    )
    if args.json:
        image = {
            "path": photo.path,
            "width": photo.width,
            "height": photo.height,
            "taken_at": photo.taken_at.isoformat() if photo.taken_at else None,
            "taken_at_source": photo.taken_at_source,
            "sha256": photo.sha256,
        }
        quality = {
            "ok": cu.quality.ok,
            "problems": [{"code": q.code, "message": q.message} for q in cu.quality.problems],
        }
        print_json(
            cu.findings,
            [f.to_record() for f in cu.findings],
            image=image,
            quality=quality,
            face=None,
            args=args,
            answers=answers,
            verdict=verdict,
            first_session=first_session,
            close_up=cu.to_record(),
        )
        return 0
    from skintrack.core.printable import for_terminal

    name = for_terminal(photo.path.rsplit("/", 1)[-1]) or "photo"
    print(f"{name}: {decision_word(verdict.decision)}   (close-up of one patch of skin)")
    how = (
        f"assumed: the longer side spans {cu.mm_per_px * max(photo.width, photo.height):.0f} "
        "mm; pass --mm-per-px if you know it"
        if cu.scale_assumed
        else "given"
    )
    print(f"  scale {cu.mm_per_px:.3f} mm per pixel ({how}); skin found on {cu.skin_share:.0%} of the photo")
    _print_reasons(verdict)
    if answers is None:
        print(NOT_ASKED)
    if cu.findings:
        print()
        print(f"  {'id':<10}  {'kind':<16}  {'at (x, y px)':<14}  {'size':>7}  {'certainty':>9}  state")
        for f in sorted(cu.findings, key=lambda f: -f.score):
            state = "dismissed" if f.id in args.dismiss else "confirmed" if f.id in args.confirm else ""
            kind = kind_name(f.kind)
            at = f"{f.x:.0f}, {f.y:.0f}"
            print(f"  {f.id:<10}  {kind:<16}  {at:<14}  {f.diameter_mm:>4.1f} mm  {f.score:>9.0%}  {state}")
    print_checklist(answers, first_session=first_session)
    return 0


def stdin_is_terminal() -> bool:
    """Whether a person can answer questions here (stdin is a terminal)."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def ask_questions(inp, out, *, first_session: bool = True):
    """Ask the protocol questions that apply, one per line on ``out``, answers read from ``inp``.

    The checklist's items are shown first, each with its protocol sentences. An empty line leaves
    a question unanswered (the verdict then asks for review); an answer that does not fit is
    asked again; end of input stops asking. Whether the person is a beginner is asked on a
    ``first_session`` only. Returns :class:`~skintrack.core.questionnaire.Answers`.
    """
    from skintrack.core.errors import SkintrackError
    from skintrack.core.questionnaire import CHECKLIST, CHECKLIST_INTRO, QUESTIONS, Answers, applies

    given: dict = {}
    print(f'"{CHECKLIST_INTRO}"', file=out)
    print("Before you start, the checklist:", file=out)
    for i, item in enumerate(CHECKLIST, 1):
        print(f"  {i}. {item.title}", file=out)
        for sentence in item.sentences:
            print(f'     "{sentence}"', file=out)
    print("The protocol's questions (press Enter to leave one unanswered):", file=out)
    for q in QUESTIONS:
        if not applies(q.id, given, first_session=first_session):
            continue
        while True:
            if q.kind == "yes_no":
                hint = "y/n"
            elif q.kind == "choice":
                hint = ", ".join(f"{i} {c}" for i, c in enumerate(q.choices, 1))
            else:
                hint = q.unit
            print(f"{q.text} [{hint}] ", end="", file=out, flush=True)
            line = inp.readline()
            if not line:  # end of input: the rest stay unanswered
                print(file=out)
                return Answers.from_dict(given)
            text = line.strip().lower()
            if not text:
                break
            value = _parse_answer(q, text)
            if value is None:
                print(
                    "  Please answer "
                    + (
                        "y or n"
                        if q.kind == "yes_no"
                        else "with a number from the list"
                        if q.kind == "choice"
                        else f"with a length in {q.unit}"
                    )
                    + ".",
                    file=out,
                )
                continue
            try:
                Answers.from_dict({**given, q.id: value})
            except SkintrackError as exc:
                print(f"  {exc}", file=out)
                continue
            given[q.id] = value
            break
    return Answers.from_dict(given)


def _parse_answer(q, text: str):
    if q.kind == "yes_no":
        return {"y": True, "yes": True, "n": False, "no": False}.get(text)
    if q.kind == "choice":
        if text.isdigit() and 1 <= int(text) <= len(q.choices):
            return q.choices[int(text) - 1]
        return text if text in q.choices else None
    try:
        return float(text.replace(",", ".").removesuffix("mm").strip())
    except ValueError:
        return None


#: Said under the verdict when the protocol questions were neither asked nor given in a file.
NOT_ASKED = (
    "  (The protocol questions were not answered: run on a terminal to be asked them, "
    "or pass --answers FILE.)"
)


def _print_reasons(verdict) -> None:
    """The verdict's reasons, each with its protocol sentence (or that there is none), then its
    advice (which does not change the decision), for the face and the close-up alike."""
    for r in verdict.reasons:
        print(f"  - {r.text}")
        print(f'    protocol: "{r.source_sentence}"')
    if not verdict.reasons:
        print("  Nothing on the photo or in the answers stands against treatment.")
    for n in verdict.advice:
        print(f"  advice: {n.text}")
        print(f'    protocol: "{n.source_sentence}"')


def print_report(analysis, verdict, args, answered: bool) -> None:
    from skintrack.core.printable import for_terminal
    from skintrack.core.verdict import why_not_counted

    name = for_terminal(analysis.photo.path.rsplit("/", 1)[-1]) or "photo"
    where = ", ".join(region_name(r) for r in verdict.treated) if verdict.treated else "whole face"
    print(f"{name}: {decision_word(verdict.decision)}   (treated: {where})")
    _print_reasons(verdict)
    if not answered:
        print(NOT_ASKED)
    # Findings that count first; the others are listed with why they do not count.
    findings = sorted(analysis.findings, key=lambda f: (bool(why_not_counted(f, verdict.treated)), -f.score))
    if findings:
        print()
        print(f"  {'id':<10}  {'kind':<16}  {'where':<24}  {'size':>7}  {'certainty':>9}  state")
        for f in findings:
            why = why_not_counted(f, verdict.treated)
            state = "dismissed" if f.id in args.dismiss else "confirmed" if f.id in args.confirm else ""
            if why:
                state = f"not counted: {why}" + (f" ({state})" if state else "")
            size = f"{f.diameter_mm:.1f} mm" if f.diameter_mm else f"{2 * f.radius_px:.0f} px"
            place = (
                region_name(f.region)
                if f.region
                else f"next to {region_phrase(f.near_regions[0])}"
                if f.near_regions
                else "edge of face"
            )
            kind = kind_name(f.kind)
            print(f"  {f.id:<10}  {kind:<16}  {place:<24}  {size:>7}  {f.score:>9.0%}  {state}")
