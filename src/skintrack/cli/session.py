"""``skintrack session new|baseline|add|status|list|symptoms``: treatment sessions and recovery.

Heavy modules (numpy, OpenCV, the face models) load inside :func:`run`, so ``skintrack --help`` stays
instant. Times given on the command line without a zone are the computer's local time; they are
stored and compared in UTC.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, datetime, timedelta

from skintrack.cli import REGIONS_HELP, parse_regions, positive_id
from skintrack.core.errors import SkintrackError
from skintrack.core.printable import for_terminal as shown
from skintrack.core.readable import MINUS, duration_text, hours_text, signed_number
from skintrack.words import and_list, device_name, kind_name, region_name, region_phrase, status_headline

_TIME_HELP = (
    "a time: 2026-06-24T10:30 (local unless it has +02:00 or Z), 10:30 (today), now, '2h ago' or '90m ago'"
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir", metavar="DIR", help="data folder (default: $SKINTRACK_HOME, else the user data folder)"
    )
    sub = p.add_subparsers(dest="session_command", metavar="ACTION")
    sub.required = True

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_text, description=help_text)
        # SUPPRESS keeps a --data-dir given before the action from being reset by this default.
        sp.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        return sp

    new = action("new", "start a treatment session")
    new.add_argument("--device", required=True, choices=("patch", "roller", "pen"))
    new.add_argument(
        "--needle-mm",
        required=True,
        type=float,
        metavar="MM",
        help="needle length in millimetres (home range 0.25-0.5)",
    )
    new.add_argument(
        "--treated",
        required=True,
        metavar="REGIONS",
        type=parse_regions,
        help=f"comma-separated treated regions: {REGIONS_HELP}",
    )
    new.add_argument("--at", metavar="TIME", help=f"treatment start (default now); {_TIME_HELP}")
    new.add_argument(
        "--products", default="", metavar="LIST", help="comma-separated products applied after treatment"
    )
    new.add_argument("--notes", default="", help="free-text notes")
    new.add_argument("--json", action="store_true", help="print the session as JSON")

    base = action("baseline", "add the photo taken before treatment and compare later ones to it")
    base.add_argument("session", type=positive_id, metavar="SESSION")
    base.add_argument("photo", metavar="PHOTO")
    base.add_argument(
        "--taken-at",
        metavar="TIME",
        help=f"capture time when the photo's own is missing or wrong; {_TIME_HELP}",
    )
    base.add_argument(
        "--replace",
        action="store_true",
        help="replace a baseline that photos after treatment are already compared "
        "with (the old one is kept; set it again with --replace to put it "
        "back)",
    )

    add = action("add", "add photos taken after treatment")
    add.add_argument("session", type=positive_id, metavar="SESSION")
    add.add_argument("photos", nargs="+", metavar="PHOTO")
    add.add_argument("--taken-at", metavar="TIME", help=f"capture time for these photos; {_TIME_HELP}")

    status = action("status", "is the redness fading as it should?")
    status.add_argument("session", type=positive_id, metavar="SESSION")
    status.add_argument("--json", action="store_true", help="print the status as JSON (schema 1)")
    status.add_argument(
        "--as-of", metavar="TIME", help="assess as at this time instead of now (photos after it are ignored)"
    )

    lst = action("list", "list sessions")
    lst.add_argument("--json", action="store_true", help="one JSON object per session per line")

    sym = action("symptoms", "report symptoms a photo cannot show")
    sym.add_argument("session", type=positive_id, metavar="SESSION")
    sym.add_argument(
        "symptoms",
        metavar="LIST",
        help="comma-separated: swelling, oozing, fever, pain (beyond mild burning); or none",
    )

    serum = action("serum", "tick the repairing serum or medical-grade mask applied right after treatment")
    serum.add_argument("session", type=positive_id, metavar="SESSION")
    serum.add_argument("--undo", action="store_true", help="untick it")


def parse_time(text: str, *, now: datetime | None = None) -> datetime:
    """A timezone-aware time from the command line (see ``_TIME_HELP``).

    Times outside the years :data:`~skintrack.core.intake.EARLIEST_YEAR` to ``LATEST_YEAR`` (UTC)
    are refused with one line, as is anything Python's datetime cannot hold.
    """
    from skintrack.core.intake import EARLIEST_YEAR, LATEST_YEAR, plausible_time
    from skintrack.core.printable import for_terminal, shorten

    shown = shorten(for_terminal(text), 40)
    unreadable = SkintrackError(f"cannot read the time {shown!r}; {_TIME_HELP}")
    implausible = SkintrackError(
        f"the time {shown!r} is not a plausible time (years {EARLIEST_YEAR}-{LATEST_YEAR})"
    )
    now = now or datetime.now(UTC)
    t = text.strip()
    if len(t) > 64:
        raise unreadable
    try:
        when = _parse_time(t, now)
    except ValueError:
        raise unreadable from None
    except OverflowError:
        raise implausible from None
    if not plausible_time(when):
        raise implausible
    return when


def _parse_time(t: str, now: datetime) -> datetime:
    if t.lower() == "now":
        return now
    m = re.fullmatch(r"([+-])\s*(\d+(?:\.\d+)?)\s*(h|m|min)", t.lower()) or re.fullmatch(
        r"()(\d+(?:\.\d+)?)\s*(h|m|min)\s+ago", t.lower()
    )
    if m:
        sign = 1 if m.group(1) == "+" else -1
        amount = float(m.group(2))
        delta = timedelta(hours=amount) if m.group(3) == "h" else timedelta(minutes=amount)
        return now + sign * delta
    if re.fullmatch(r"\d{1,2}:\d{2}", t):
        hh, mm = (int(x) for x in t.split(":"))
        return now.astimezone().replace(hour=hh, minute=mm, second=0, microsecond=0)
    when = datetime.fromisoformat(t.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.astimezone()  # the computer's local zone
    return when


def _list(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def _local(when: datetime) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()


def run(args: argparse.Namespace) -> int:
    from skintrack.tracking import Tracker

    with Tracker(args.data_dir) as tracker:
        return _ACTIONS[args.session_command](tracker, args)


# --- actions -------------------------------------------------------------------------------------
def _session_record(s) -> dict:
    return {
        "id": s.id,
        "treated_at": s.treated_at.isoformat(),
        "device": s.device,
        "needle_mm": s.needle_mm,
        "treated_regions": list(s.treated_regions),
        "products": list(s.products),
        "notes": s.notes,
        "baseline_photo_id": s.baseline_photo_id,
    }


def _new(tracker, args) -> int:
    from skintrack.core.protocol import HOME_NEEDLE_MAX_MM

    treated_at = parse_time(args.at) if args.at else None
    from skintrack.core.printable import from_command_line

    s = tracker.new_session(
        device=args.device,
        needle_mm=args.needle_mm,
        treated_regions=list(args.treated),
        treated_at=treated_at,
        products=_list(from_command_line(args.products)),
        notes=from_command_line(args.notes),
    )
    if s.needle_mm > HOME_NEEDLE_MAX_MM:
        print(
            f"skintrack: warning: {s.needle_mm:g} mm needles are medical grade (over "
            f"{HOME_NEEDLE_MAX_MM:g} mm) and unsuitable for home use",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps({**_session_record(s), "technique_steps": list(technique_steps(s.device))}))
        return 0
    regions = and_list(region_phrase(r) for r in s.treated_regions)
    print(
        f"session {s.id}: {device_name(s.device)}, {s.needle_mm:g} mm needles, on {regions}; "
        f"treatment start {_local(s.treated_at)}"
    )
    print(f"next: skintrack session baseline {s.id} PHOTO   (the photo taken before treatment)")
    print_technique(s.device, regions)
    return 0


def region_words(names) -> str:
    """Region identifiers as people read them ("around the mouth", not "perioral")."""
    return ", ".join(region_name(n) for n in names)


def print_technique(device: str, regions: str) -> None:
    """The technique in plain steps, with the treated regions (``regions`` as a sentence says
    them: "the nose and the chin") and the protocol's sentences."""
    from skintrack.core import protocol

    print(f'how to treat {regions} ("{protocol.SRC_PART_TECHNIQUE}"):')
    for i, step in enumerate(technique_steps(device), 1):
        print(f"  {i}. {step}")
    print(f"  {protocol.ENDPOINT_PHOTO_HINT}")
    for sentence in (protocol.SRC_TECHNIQUE, protocol.SRC_ENDPOINT, protocol.SRC_SERUM):
        print(f'  protocol: "{sentence}"')
    from skintrack.core.recovery import CHECK_PHOTO_HOURS

    hours = ", ".join(f"{h:g}" for h in CHECK_PHOTO_HOURS[:-1]) + f" and {CHECK_PHOTO_HOURS[-1]:g}"
    print(
        f'afterwards ("{protocol.SRC_PART_REACTIONS}"): check photos at {hours} hours '
        "(skintrack session add); swelling, oozing, fever or pain beyond a mild burning: "
        "skintrack session symptoms"
    )


def technique_steps(device: str) -> tuple[str, ...]:
    from skintrack.core.protocol import technique_steps as steps

    return steps(device)


def _baseline(tracker, args) -> int:
    taken_at = parse_time(args.taken_at) if args.taken_at else None
    res = tracker.set_baseline(args.session, args.photo, taken_at=taken_at, replace=args.replace)
    for w in res.warnings:
        print(f"skintrack: warning: {shown(w)}", file=sys.stderr)
    print(
        f"baseline of session {args.session}: {shown(res.photo.original_name)}, taken "
        f"{_local(res.photo.taken_at)} ({-res.hours:.1f} h before treatment)"
    )
    return 0


def _add(tracker, args) -> int:
    taken_at = parse_time(args.taken_at) if args.taken_at else None
    results = tracker.add_photos(args.session, args.photos, taken_at=taken_at)
    for res in results:
        for w in res.warnings:
            print(f"skintrack: warning: {shown(res.photo.original_name)}: {shown(w)}", file=sys.stderr)
        cmp = res.comparison
        treated = tracker.session(args.session).treated_regions
        if cmp is not None and cmp.usable:
            parts = [
                f"{region_words([r])} {cmp.changes[r].delta_a_star:+.1f}"
                f"{'*' if cmp.changes[r].real_change else ''}"
                for r in treated
                if r in cmp.changes
            ]
            detail = "; ".join(parts) + " a*  (* = real change)"
        else:
            detail = "not used for the curve"
        print(f"{shown(res.photo.original_name)}: {res.hours:.1f} h after treatment: {detail}")
    status = tracker.status(args.session)
    print(f"status: {status.status.replace('_', ' ')} (confidence {status.confidence})")
    return 0


def _status(tracker, args) -> int:
    from skintrack.core.protocol import ENDPOINT_MAX_DELTA_A_STAR
    from skintrack.core.recovery import SERUM_STEP

    now = parse_time(args.as_of) if args.as_of else None
    st = tracker.status(args.session, now=now)
    if args.json:
        print(json.dumps(st.to_record()))
        return 0
    s = tracker.session(args.session)
    h = st.hours_since_treatment
    ago = f"{duration_text(h)} ago" if h >= 0 else f"in {duration_text(-h)}"
    print(
        f"session {s.id}: {device_name(s.device)} {s.needle_mm:g} mm on "
        f"{region_words(s.treated_regions)}; treated "
        f"{_local(s.treated_at)} ({ago})"
    )
    words = status_headline(st.status)
    headline = (
        f"status: {st.status.replace('_', ' ').upper()} ({words[:1].lower()}{words[1:]}, "
        f"confidence {st.confidence})"
    )
    if st.predicted_resolved_at_hours is not None:
        headline += f"; back to baseline about {hours_text(st.predicted_resolved_at_hours)} after treatment"
    print(headline)
    ep = st.endpoint
    if ep is not None and ep.measured:
        verdict = (
            "REDDER THAN SLIGHTLY PINK on "
            + and_list(region_phrase(r) for r in ep.too_red)
            + ": next time, lighter"
            if ep.too_red
            else "within slightly pink"
        )
        print(
            f"end point (first photo, {ep.hours:.1f} h): {verdict} "
            f"(Δa* {ep.delta_a_star:+.1f}, limit +{ENDPOINT_MAX_DELTA_A_STAR:g})"
        )
    # One column per photo (two photos may share an hour).
    columns = sorted({(o.hours, o.photo_id or 0) for rr in st.regions.values() for o in rr.observations})
    if columns:
        names = [n for n in st.treated_regions if n in st.regions]
        names += [n for n in st.regions if n not in names]
        label = "Δa* vs baseline"
        width = max(len(label), *(len(region_words([n])) for n in names)) + 1
        print("  " + label.ljust(width) + "".join(f"{h:>8.1f}h" for h, _ in columns))
        for n in names:
            rr = st.regions[n]
            by_key = {(o.hours, o.photo_id or 0): o for o in rr.observations}
            cells = "".join(
                f"{signed_number(by_key[k].delta_a_star).replace(MINUS, '-'):>8}"
                f"{'*' if by_key[k].real_change else ' '}"
                if k in by_key
                else f"{'-':>9}"
                for k in columns
            )
            mark = "" if n in st.treated_regions else "  (untreated)"
            print(f"  {region_words([n]).ljust(width)}{cells}  {rr.status.replace('_', ' ')}{mark}")
        print("  (* = real change)")
    for ex in st.extra.get("excluded_photos", []):
        print(f"  not used: {shown(ex['name'])} ({ex['hours']:.1f} h): {shown(ex['reason'])}")
    print("advice:")
    for a in st.advice:
        print(f"  - {a.text}")
        if a.code == "endpoint_too_red":
            print(f'    protocol: "{a.source}"')
    if st.spots_to_look_at:
        photo_names = {p.id: p.original_name for p in tracker.photos(args.session)}
        print("new spots to look at (seen on one photo only, not counted as getting worse):")
        for sp in st.spots_to_look_at:
            print(
                f"  - {kind_name(sp.kind)} on {region_phrase(sp.region)}"
                f", {photo_names.get(sp.photo_id, 'photo')} ({sp.hours:.1f} h) at x {sp.x:.0f}, "
                f"y {sp.y:.0f}"
            )
    active = [t for t in st.timers if t.active]
    if active:
        print("timers:")
        for t in active:
            if t.ends_at is None:
                print(f"  - {t.label}: until {t.until}")
            elif t.code == SERUM_STEP:
                print(f"  - {t.label}: not ticked yet (skintrack session serum {s.id})")
            elif t.code.startswith("check_photo"):
                due = (t.ends_at - st.now).total_seconds() / 3600.0
                when = f"in {due:.1f} h" if due > 0 else "now"
                print(f"  - {t.label}: due {_local(t.ends_at)} ({when})")
            else:
                left = max(0.0, (t.ends_at - st.now).total_seconds() / 3600.0)
                print(f"  - {t.label}: until {_local(t.ends_at)} ({left:.1f} h left)")
    return 0


def _list_sessions(tracker, args) -> int:
    sessions = tracker.sessions()
    if args.json:
        for s in sessions:
            print(json.dumps(_session_record(s)))
        return 0
    if not sessions:
        print(
            "no sessions yet: skintrack session new --device roller --needle-mm 0.25 "
            "--treated left_cheek,right_cheek"
        )
        return 0
    for s in sessions:
        n = len(tracker.photos(s.id))
        print(
            f"{s.id:>4}  {_local(s.treated_at)}  {s.device:<6} {s.needle_mm:g} mm  "
            f"{region_words(s.treated_regions)}  {n} photo{'s' if n != 1 else ''}"
            f"{'' if s.baseline_photo_id else '  (no baseline)'}"
        )
    return 0


def _symptoms(tracker, args) -> int:
    from skintrack.core.recovery import Symptoms

    try:
        symptoms = Symptoms.from_names(_list(args.symptoms))
    except ValueError as exc:
        raise SkintrackError(str(exc)) from None
    tracker.record_symptoms(args.session, symptoms)
    st = tracker.status(args.session)
    reported = ", ".join(symptoms.reported) or "none"
    print(f"symptoms recorded for session {args.session}: {reported}")
    for a in st.advice:
        if a.level in ("urgent", "stop"):
            print(f"  - {a.text}")
    return 0


def _serum(tracker, args) -> int:
    from skintrack.core.recovery import SERUM_STEP

    tracker.set_aftercare_step(args.session, SERUM_STEP, not args.undo)
    print(
        f"session {args.session}: repairing serum or mask "
        f"{'not ticked' if args.undo else 'ticked as applied'}"
    )
    return 0


_ACTIONS = {
    "new": _new,
    "baseline": _baseline,
    "add": _add,
    "status": _status,
    "list": _list_sessions,
    "symptoms": _symptoms,
    "serum": _serum,
}
