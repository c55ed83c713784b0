"""Recovery false alarms on a normal fade, and the courses that must still be called (issue 13).

A normal fade (Δa* = 5 at 0 h on the treated regions, time constant 1.5 h) is rendered with the
redness phantom (``simulate/phantom.py``) onto clear-skin faces, as photos at 1/4, 1, 2, 4 and 6 h
after treatment with a little repeat-photo noise (framing, sensor noise, JPEG) and a change of
light. Each series goes through the real session service (``skintrack.tracking``: lesion
search, skin map, comparison, new spots) and the status is asked after every photo.

Normal fade: never ``worsening`` nor ``persistent``, ``resolved`` at 6 h on at least 19 of 20
faces. The slow (τ 5 h), persistent (no fade) and worsening (rising after the first hour)
courses must still be called (``slower_than_usual``/``persistent``, ``persistent``,
``worsening``). The end-point check (issue 17) must call none of these courses "redder than
slightly pink": their first photo (0.25 h) is at most 5 a*, the threshold.

Usage::

    nice -n 10 .venv/bin/python scripts/measure_recovery.py [--faces 20] [--seed 13] \
        [--courses normal,slow]

The faces are a seeded shuffle of ``../shared/data/clear-dev`` (never copied), the first ones whose
photo passes the quality gate (a baseline must).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"

TREATED = ("forehead", "left_cheek", "right_cheek")
PHOTO_HOURS = (0.25, 1.0, 2.0, 4.0, 6.0)
T0 = datetime(2026, 6, 24, 18, 0, tzinfo=UTC)
#: Redness courses, Δa* on the treated regions at ``hours``.
COURSES = {
    "normal": lambda h: 5.0 * math.exp(-h / 1.5),
    "slow": lambda h: 5.0 * math.exp(-h / 5.0),
    "persistent": lambda h: 5.0,
    "worsening": lambda h: 3.0 + 1.5 * h,
}
#: What each course must be called at its last photo (6 h), and what it must never be called.
EXPECTED_LAST = {
    "normal": {"resolved"},
    "slow": {"persistent"},
    "persistent": {"persistent"},
    "worsening": {"worsening"},
}
NEVER = {
    "normal": {"worsening", "persistent"},
    "slow": {"worsening", "resolved"},
    "persistent": {"resolved", "worsening"},
    "worsening": {"resolved"},
}


def render_series(rgb, regions, course: str, seed: int):
    """(hours, JPEG bytes) of the follow-up photos of ``course`` on one face."""
    import numpy as np

    from skintrack.report.images import encode_jpeg
    from skintrack.simulate import phantom

    rng = np.random.default_rng(seed)
    out = []
    for i, hours in enumerate(PHOTO_HOURS):
        delta = COURSES[course](hours)
        img = phantom.add_redness(
            rgb, regions, delta_a_star=dict.fromkeys(TREATED, delta), seed=seed * 10 + i
        )
        wb = tuple(float(g) for g in 1.0 + rng.normal(0.0, 0.015, 3))
        img = phantom.change_light(img, white_balance=wb, exposure=float(1.0 + rng.normal(0.0, 0.02)))
        img = phantom.change_pose(
            img, angle_deg=float(rng.normal(0.0, 0.7)), shift=tuple(float(v) for v in rng.normal(0.0, 2.0, 2))
        )
        img = phantom.sensor_noise(img, sigma=1.5, seed=seed * 10 + i)
        out.append((hours, encode_jpeg(img, quality=int(rng.integers(86, 94)))))
    return out


def run_series(
    tracker, baseline_jpeg: bytes, rgb, regions, course: str, seed: int, *, with_endpoint: bool = False
):
    """The status after each follow-up photo of ``course`` (a new session in ``tracker``); with
    ``with_endpoint``, also the end-point check of the last status (issue 17)."""
    from skintrack.tracking import PhotoSource

    s = tracker.new_session(device="roller", needle_mm=0.25, treated_regions=TREATED, treated_at=T0, now=T0)
    tracker.set_baseline(s.id, PhotoSource(baseline_jpeg, "baseline.jpg", T0 - timedelta(minutes=15)), now=T0)
    statuses = []
    endpoint = None
    for hours, data in render_series(rgb, regions, course, seed):
        when = T0 + timedelta(hours=hours)
        tracker.add_photos(
            s.id, [PhotoSource(data, f"{course}-{hours:g}h.jpg", when)], now=when + timedelta(minutes=1)
        )
        st = tracker.status(s.id, now=when + timedelta(minutes=2))
        statuses.append(st.status)
        endpoint = st.endpoint
    return (statuses, endpoint) if with_endpoint else statuses


def measure(faces: list[Path], n: int, courses=tuple(COURSES)) -> dict:
    """The statuses of every course on the first ``n`` of ``faces`` whose photo passes the
    quality gate (a baseline must: the others are refused as baselines)."""
    from skintrack.core.analysis import analyze_photo
    from skintrack.core.intake import load_photo
    from skintrack.report.images import encode_jpeg
    from skintrack.tracking import Tracker

    results: dict[str, list] = {c: [] for c in courses}
    used = 0
    with tempfile.TemporaryDirectory() as tmp, Tracker(Path(tmp) / "data") as tracker:
        for k, path in enumerate(faces):
            if used == n:
                break
            photo = load_photo(path)
            a = analyze_photo(photo, tracker.engine, find_lesions=False)
            if a.regions is None or not a.quality.ok:
                continue
            used += 1
            base = encode_jpeg(photo.rgb, quality=92)
            for course in courses:
                results[course].append(
                    run_series(tracker, base, photo.rgb, a.regions, course, seed=k, with_endpoint=True)
                )
    return results


def summarise(results: dict) -> dict:
    out = {}
    for course, runs in results.items():
        series = [statuses for statuses, _ in runs]
        endpoints = [e for _, e in runs if e is not None]
        n = len(series)
        never = sum(not (set(s) & NEVER[course]) for s in series)
        last = sum(s[-1] in EXPECTED_LAST[course] for s in series)
        out[course] = {
            "faces": n,
            "never_wrong": never,
            "called_at_6h": last,
            "last": Counter(s[-1] for s in series),
            "all": Counter(x for s in series for x in s),
            "too_red": sum(bool(e.too_red) for e in endpoints),
            "endpoint_max": max((e.delta_a_star for e in endpoints), default=None),
            "endpoint_max_low": max((e.delta_a_star - e.uncertainty for e in endpoints), default=None),
        }
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--faces", type=int, default=20)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument(
        "--courses", default=",".join(COURSES), help=f"comma-separated courses to run ({', '.join(COURSES)})"
    )
    args = p.parse_args(argv)
    courses = tuple(c.strip() for c in args.courses.split(",") if c.strip())
    if not courses or set(courses) - set(COURSES):
        print(f"--courses: choose from {', '.join(COURSES)}", file=sys.stderr)
        return 2
    folder = DATA / "clear-dev"
    if not folder.is_dir():
        print(f"{folder}: not present", file=sys.stderr)
        return 2
    faces = sorted(folder.glob("*.jpg"))
    random.Random(args.seed).shuffle(faces)
    from skintrack.core.protocol import ENDPOINT_MAX_DELTA_A_STAR

    summary = summarise(measure(faces, args.faces, courses))
    print(
        f"{args.faces} clear-dev faces, photos at {', '.join(f'{h:g}' for h in PHOTO_HOURS)} h, "
        f"treated {', '.join(TREATED)}"
    )
    for course, r in summary.items():
        print(
            f"{course:<11} never {'/'.join(sorted(NEVER[course]))}: {r['never_wrong']}/"
            f"{r['faces']}; at 6 h {'/'.join(sorted(EXPECTED_LAST[course]))}: "
            f"{r['called_at_6h']}/{r['faces']}; last {dict(r['last'])}; all {dict(r['all'])}"
        )
        print(
            f"{'':<11} end point (first photo, 0.25 h): redder than slightly pink "
            f"{r['too_red']}/{r['faces']}; largest Δa* {r['endpoint_max']:+.2f}, largest "
            f"Δa* minus its band {r['endpoint_max_low']:+.2f} (threshold "
            f"{ENDPOINT_MAX_DELTA_A_STAR:g})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
