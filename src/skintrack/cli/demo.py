"""``skintrack demo [-o DIR]``: a sample session from the bundled photos, reported as PDF and HTML.

What it builds, in a data folder inside DIR (never the person's own data):

1. a session treated 7 hours ago (roller, 0.25 mm needles, forehead and both cheeks);
2. the baseline: a real photo from ``sample_images/`` (default ``aptus_1.png``, an acne patient),
   with the questionnaire and the pre-treatment check (the lesion detector's findings on it);
3. follow-up photos at 0, 1, 2, 4 and 6 hours after treatment, rendered from the baseline with the
   redness phantom (:mod:`skintrack.simulate.phantom`): redness added to the treated regions, fading
   exponentially, under slightly different light, framing and JPEG compression. They are named
   ``SIMULATED-...`` and the report labels them SIMULATED on every page;
4. the reports ``DIR/skintrack-demo-report.pdf`` and ``.html``.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
from pathlib import Path

from skintrack.simulate.answers import NO_RISK_ANSWERS, NO_RISK_NEEDLE_MM

DEFAULT_PHOTO = "aptus_1.png"
REPORT_NAME = "skintrack-demo-report"
DATA_NAME = "demo-data"
MARKER = ".skintrack-demo"
#: The simulated treatment: regions, peak redness (Δa*, CIELAB units) at 0 h and the fade's time
#: constant (hours). A time constant of 1.6 h brings the peak under 0.2 a* units by 6 h: the
#: "usually subside within 4 to 6 hours" of the protocol.
TREATED = ("forehead", "left_cheek", "right_cheek")
PEAK_A_STAR = {"forehead": 4.0, "left_cheek": 6.0, "right_cheek": 5.5}
FADE_HOURS = 1.6
FOLLOW_UP_HOURS = (0.0, 1.0, 2.0, 4.0, 6.0)
TREATED_HOURS_AGO = 7.0
#: Small changes between photos, as a phone on a stand in a bathroom would give: white balance
#: gains (R, G, B), exposure, image-plane tilt (degrees), shift (px), JPEG quality.
CAPTURE = (
    ((1.00, 1.00, 1.00), 1.00, 0.0, (0, 0), 92),
    ((1.03, 1.00, 0.97), 0.97, 1.0, (4, -3), 90),
    ((0.98, 1.00, 1.03), 1.03, -1.5, (-5, 2), 88),
    ((1.02, 1.00, 0.99), 0.95, 0.5, (3, 5), 90),
    ((0.99, 1.00, 1.02), 1.02, -0.8, (-2, -4), 91),
)
NEEDLE_MM = NO_RISK_NEEDLE_MM
#: The demo person's questionnaire (``core/questionnaire.py`` ids): none of the advised-against
#: conditions, a reused roller soaked in 75 % alcohol, hands, face and tool disinfected.
DEMO_ANSWERS = NO_RISK_ANSWERS


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-o",
        "--output",
        default="demo_output",
        metavar="DIR",
        help="folder for the reports and the demo's own data (default: demo_output)",
    )
    p.add_argument(
        "--photo",
        default=DEFAULT_PHOTO,
        metavar="NAME",
        help=f"baseline photo from sample_images/ (default {DEFAULT_PHOTO})",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")


def sample_dir() -> Path:
    """``sample_images/`` of the source tree this package runs from."""
    import skintrack

    return Path(skintrack.__file__).resolve().parents[2] / "sample_images"


def _fresh_data_dir(out: Path) -> Path:
    """The demo's data folder inside ``out``, emptied; never a folder the demo did not make."""
    from skintrack.core.errors import SkintrackError

    data = out / DATA_NAME
    if data.exists():
        if not (data / MARKER).is_file():
            raise SkintrackError(
                f"{data} exists and is not a skintrack demo folder; choose another -o folder"
            )
        shutil.rmtree(data)
    data.mkdir(parents=True, mode=0o700)
    data.chmod(0o700)  # mkdir's mode is narrowed by the umask, never widened: set it whatever it is
    fd = os.open(data / MARKER, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("made by `skintrack demo`; safe to delete\n")
    return data


def simulated_follow_ups(baseline_rgb, regions):
    """(hours, JPEG bytes, Δa* per region) of the phantom follow-up photos."""
    from skintrack.report.images import encode_jpeg
    from skintrack.simulate import phantom

    out = []
    for i, hours in enumerate(FOLLOW_UP_HOURS):
        wb, exposure, tilt, shift, quality = CAPTURE[i % len(CAPTURE)]
        delta = {r: peak * math.exp(-hours / FADE_HOURS) for r, peak in PEAK_A_STAR.items()}
        rgb = phantom.add_redness(baseline_rgb, regions, delta_a_star=delta)
        rgb = phantom.change_light(rgb, white_balance=wb, exposure=exposure)
        if tilt or any(shift):
            rgb = phantom.change_pose(rgb, angle_deg=tilt, shift=shift)
        rgb = phantom.sensor_noise(rgb, sigma=1.5, seed=i)
        out.append((hours, encode_jpeg(rgb, quality=quality), delta))
    return out


def run(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime, timedelta

    from skintrack.cli.report import ProgressBar
    from skintrack.core.analysis import analyze_photo
    from skintrack.core.errors import SkintrackError
    from skintrack.core.intake import load_photo
    from skintrack.core.printable import for_terminal
    from skintrack.report.build import SIMULATED_PREFIX, build_report
    from skintrack.report.export import export_report
    from skintrack.tracking import PhotoSource, Tracker

    photo_path = sample_dir() / args.photo
    if not photo_path.is_file():
        raise SkintrackError(
            f"{photo_path}: no such sample photo (the demo runs from a source checkout with sample_images/)"
        )
    out = Path(args.output).expanduser().resolve()
    if not out.exists():
        out.mkdir(parents=True, mode=0o700)  # a folder the demo makes holds private files only
    data = _fresh_data_dir(out)
    bar = ProgressBar("demo", enabled=not args.quiet)
    steps = 4 + (len(FOLLOW_UP_HOURS) + 2) + 2  # setup, building (photos + 1), two files
    done = 0

    def step(text: str) -> None:
        nonlocal done
        done += 1
        bar(done, steps, text)

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    treated_at = now - timedelta(hours=TREATED_HOURS_AGO)
    try:
        with Tracker(data) as tracker:
            session = tracker.new_session(
                device="roller",
                needle_mm=NEEDLE_MM,
                treated_regions=TREATED,
                treated_at=treated_at,
                now=now,
                notes="demo: SIMULATED follow-up photos (redness phantom)",
            )
            tracker.save_questionnaire(session.id, DEMO_ANSWERS, at=treated_at - timedelta(minutes=20))
            step("session")
            tracker.set_baseline(
                session.id,
                PhotoSource(
                    photo_path.read_bytes(), photo_path.name, taken_at=treated_at - timedelta(minutes=15)
                ),
                now=now,
            )
            step("baseline and pre-treatment check")
            base = analyze_photo(load_photo(photo_path), tracker.engine, find_lesions=False)
            renders = simulated_follow_ups(base.photo.rgb, base.regions)
            step("simulated follow-ups")
            sources = [
                PhotoSource(
                    data_,
                    f"{SIMULATED_PREFIX}-{h:g}h-{photo_path.stem}.jpg",
                    taken_at=treated_at + timedelta(hours=h, minutes=2),
                )
                for h, data_, _ in renders
            ]
            tracker.add_photos(session.id, sources, now=now)
            step("follow-ups compared")
            _show_decisions(tracker, session.id)
            model = build_report(tracker, session.id, now=now, progress=lambda d, t, s: step(s))
            written = []
            for suffix in (".pdf", ".html"):
                written.append(
                    export_report(model, out / f"{REPORT_NAME}{suffix}", progress=lambda d, t, s: None)
                )
                step(f"{suffix[1:].upper()} written")
            status = tracker.status(session.id, now=now)
        bar(steps, steps, "done")
    finally:
        bar.finish()
    print(
        f"Demo session {session.id} (baseline {photo_path.name}, follow-ups SIMULATED at "
        f"{', '.join(f'{h:g}' for h in FOLLOW_UP_HOURS)} h): status {status.status}"
    )
    if model.check is not None:
        print(f"Pre-treatment check: {model.check.decision}")
    for path in written:
        print(f"  {for_terminal(path)}")
    print(f"Demo data (delete freely): {for_terminal(data)}")
    return 0


def _show_decisions(tracker, session_id: int) -> None:
    """Decide on two baseline findings, as a person would after looking, so the report shows both
    kinds of decision (the demo's SIMULATED note says the demo made them): confirm the most certain
    harmless acne spot, and dismiss the spots of kinds that would postpone treatment (in the
    sample photo, lip corners the detector takes for cold sores), so no finding postpones the demo's
    treatment. With the default photo (an acne patient) the check still says REVIEW for the
    acne on the treated cheeks (issue 13): a real person would look first."""
    from skintrack.core.protocol import POSTPONE_KINDS

    session = tracker.session(session_id)
    rows = sorted(
        tracker.findings(session.baseline_photo_id),
        key=lambda f: -(f.finding.score if f.finding is not None else 0.0),
    )
    confirm = next((f for f in rows if f.kind not in POSTPONE_KINDS), None)
    if confirm is not None:
        tracker.set_finding_verdict(session.baseline_photo_id, confirm.finding_key, "confirmed")
    for f in rows:
        if f.kind in POSTPONE_KINDS:
            tracker.set_finding_verdict(session.baseline_photo_id, f.finding_key, "dismissed")
