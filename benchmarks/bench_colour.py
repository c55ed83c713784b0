"""Calibrated redness: speed, phantom accuracy, repeatability, calibration, same-person check.

Prints the figures quoted in docs/colour.md. Sections (run all, or name some):

  speed        colour statistics of a 12 MP photo (target <= 40 ms); compare of two 12 MP photos
               with the change map (target <= 600 ms after model load)
  phantom      known redness added to every frontal sample face, re-measured under the same light
               (target: within 0.3 a*) and under changed light and pose (target: within 0.5)
  repeat       unchanged skin re-photographed (JPEG, framing, turn, light): how far Δa* strays;
               the evidence for REAL_CHANGE_A_STAR and the uncertainty constants
  calibration  a ColorChecker rendered into sample photos through known cameras: detection and
               leave-one-patch-out ΔE2000 per fitting method (target <= 3)
  identity     same-person scores of re-shot faces vs. different people (sample faces, and pairs
               of ACNE04 photos when ../shared/data/acne04-dev is present)
  sclera       do the whites of the eyes help match the light when no skin is untreated?

Usage: .venv/bin/python benchmarks/bench_colour.py [section ...]
"""

from __future__ import annotations

import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, SAMPLES, make_12mp_jpeg, timed  # noqa: E402

FRONTAL = [
    "aptus_1.png",
    "aptus_2.png",
    "aptus_5.png",
    "aptus_6.png",
    "aptus_8.png",
    "obama.jpg",
    "0-f15-hao-ph.jpg",
]
TREATED = {"left_cheek": 3.0, "right_cheek": 3.0, "forehead": 1.5}


def _light_pose_variants(rgb, ph):
    """Re-photographed versions of one image: (name, image, light changed?)."""
    return [
        ("jpeg q95", ph.jpeg_roundtrip(rgb, 95), False),
        ("jpeg q75", ph.jpeg_roundtrip(rgb, 75), False),
        (
            "framing",
            ph.jpeg_roundtrip(ph.change_pose(rgb, angle_deg=4, scale=0.92, shift=(12, -8)), 90),
            False,
        ),
        ("turn", ph.jpeg_roundtrip(ph.change_pose(rgb, yaw_deg=6, angle_deg=-2), 90), False),
        (
            "warm+dim",
            ph.jpeg_roundtrip(ph.change_light(rgb, white_balance=(1.1, 1.0, 0.85), exposure=0.85), 90),
            True,
        ),
        (
            "cool+bright",
            ph.jpeg_roundtrip(ph.change_light(rgb, white_balance=(0.92, 1.0, 1.1), exposure=1.1), 90),
            True,
        ),
        ("side light", ph.jpeg_roundtrip(ph.change_light(rgb, side_shading=0.2), 90), True),
        (
            "all",
            ph.jpeg_roundtrip(
                ph.change_pose(
                    ph.change_light(rgb, white_balance=(1.08, 1.0, 0.9), exposure=0.9, side_shading=-0.15),
                    angle_deg=3,
                    scale=0.95,
                    yaw_deg=-4,
                ),
                85,
            ),
            True,
        ),
    ]


def _pct(values, q):
    return float(np.percentile(np.abs(values), q)) if len(values) else float("nan")


def section_speed(engine) -> None:
    import cv2

    from skintrack.core.analysis import analyze_photo
    from skintrack.core.calibration import find_chart
    from skintrack.core.colour import region_statistics
    from skintrack.core.compare import compare_analyses, delta_map_figure
    from skintrack.core.intake import load_photo
    from skintrack.simulate import phantom as ph

    tmp = Path(tempfile.gettempdir())
    base = make_12mp_jpeg(tmp / "skintrack_bench_12mp.jpg")
    later = tmp / "skintrack_bench_12mp_later.jpg"
    photo = load_photo(base)
    a = analyze_photo(photo, engine, find_lesions=False)
    if not later.exists():
        red = ph.add_redness(photo.rgb, a.regions, delta_a_star={"left_cheek": 4.0})
        cv2.imwrite(str(later), ph.change_pose(red, angle_deg=2)[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92])
    med, best = timed(lambda: region_statistics(a.regions), repeat=15)
    print(
        f"colour statistics, 12 MP photo (work grid {a.regions.work_rgb.shape[1]} x "
        f"{a.regions.work_rgb.shape[0]}): median {med:.1f} ms, best {best:.1f} ms "
        "(target <= 40)"
    )

    def run(lesions: bool):
        t0 = time.perf_counter()
        x, y = load_photo(base), load_photo(later)
        ax = analyze_photo(x, engine, find_lesions=lesions)
        ay = analyze_photo(y, engine, find_lesions=lesions)
        t1 = time.perf_counter()
        c = compare_analyses(ax, ay, treated=("left_cheek",), with_map=True)
        t2 = time.perf_counter()
        delta_map_figure(x.rgb, c)
        t3 = time.perf_counter()
        return (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3, c.timing_ms

    for lesions in (False, True):
        run(lesions)
        rows = [run(lesions) for _ in range(5)]
        dec, cmp_, fig = (statistics.median(r[i] for r in rows) for i in range(3))
        parts = {k: statistics.median(r[3][k] for r in rows) for k in rows[0][3]}
        print(
            f"compare two 12 MP photos {'with' if lesions else 'without'} lesion finding "
            f"(median of 5): decode+analyse both {dec:.0f} ms, compare {cmp_:.0f} ms "
            f"({', '.join(f'{k} {v:.0f}' for k, v in parts.items())}), map image {fig:.0f} ms; "
            f"total {dec + cmp_ + fig:.0f} ms (target <= 600)"
        )
    med, _ = timed(lambda: find_chart(photo.rgb), repeat=3)
    print(f"chart search on a 12 MP photo without a chart: {med:.0f} ms")


def section_phantom(engine) -> None:
    from skintrack.core.analysis import analyze_photo
    from skintrack.core.compare import compare_analyses
    from skintrack.core.intake import load_photo, photo_from_array
    from skintrack.simulate import phantom as ph

    treated_err: dict[str, list[float]] = {}
    untreated_err: dict[str, list[float]] = {}
    lit: dict[str, bool] = {}
    for name in FRONTAL:
        photo = load_photo(SAMPLES / name)
        a = analyze_photo(photo, engine, find_lesions=False)
        red = ph.add_redness(photo.rgb, a.regions, delta_a_star=TREATED)
        worst = 0.0
        for vname, img, light in _light_pose_variants(red, ph):
            lit[vname] = light
            b = analyze_photo(photo_from_array(img), engine, find_lesions=False)
            c = compare_analyses(a, b, treated=tuple(TREATED))
            for r, ch in c.regions.items():
                err = ch.delta_a_star - TREATED.get(r, 0.0)
                worst = max(worst, abs(err))
                (treated_err if r in TREATED else untreated_err).setdefault(vname, []).append(err)
        print(f"  {name:18s} worst |error| {worst:.2f} a*")
    print("max |error| per re-shot kind (treated regions / untreated regions), a* units:")
    for vname, errs in treated_err.items():
        print(
            f"  {vname:12s} {'changed light' if lit[vname] else 'same light':13s} "
            f"{_pct(errs, 100):.2f} / {_pct(untreated_err[vname], 100):.2f}"
        )
    same = [e for v, errs in treated_err.items() if not lit[v] and v != "jpeg q75" for e in errs]
    changed = [e for v, errs in treated_err.items() if lit[v] for e in errs]
    print(f"treated, same light (JPEG q>=90): max |error| {_pct(same, 100):.2f} (target <= 0.3)")
    print(f"treated, changed light and pose:  max |error| {_pct(changed, 100):.2f} (target <= 0.5)")


def section_repeat(engine) -> None:
    from skintrack.core.analysis import analyze_photo
    from skintrack.core.compare import compare_analyses
    from skintrack.core.intake import load_photo, photo_from_array
    from skintrack.simulate import phantom as ph

    cheeks = ("left_cheek", "right_cheek")
    norm_vals, none_same, none_light, loro_u = [], [], [], []
    for name in FRONTAL:
        photo = load_photo(SAMPLES / name)
        a = analyze_photo(photo, engine, find_lesions=False)
        for _vname, img, light in _light_pose_variants(photo.rgb, ph):
            b = analyze_photo(photo_from_array(img), engine, find_lesions=False)
            c = compare_analyses(a, b, treated=cheeks)
            norm_vals += [c.regions[r].delta_a_star for r in cheeks if r in c.regions]
            loro_u.append(c.normalisation.uncertainty)
            raw = compare_analyses(a, b)
            vals = [ch.delta_a_star for ch in raw.regions.values()]
            (none_light if light else none_same).extend(vals)
    print("unchanged skin, |Δa*| percentiles 50 / 95 / 99 / max:")
    for label, v in (
        ("cheeks, light matched on untreated regions", norm_vals),
        ("all regions, no light change, no normalisation", none_same),
        ("all regions, light changed, no normalisation", none_light),
    ):
        print(
            f"  {label:48s} {_pct(v, 50):.2f} / {_pct(v, 95):.2f} / {_pct(v, 99):.2f} / "
            f"{_pct(v, 100):.2f}  (n={len(v)})"
        )
    print(
        f"  leave-one-region-out normalisation uncertainty: median {np.median(loro_u):.2f}, "
        f"max {np.max(loro_u):.2f}"
    )


def section_calibration(engine) -> None:
    from skintrack.core.calibration import (
        METHODS,
        CalibrationError,
        find_chart,
        fit_calibration,
        held_out_errors,
    )
    from skintrack.core.colour import region_statistics
    from skintrack.core.intake import load_photo
    from skintrack.core.regions import compute_regions
    from skintrack.simulate import phantom as ph

    cameras = {
        "default phone": {},
        "cool, gamma 2.4": {"white_balance": (0.85, 1.0, 1.2), "gamma": 2.4},
        "strong cross-talk": {
            "matrix": ((0.7, 0.35, -0.05), (0.1, 0.75, 0.15), (0.05, -0.25, 1.2)),
            "exposure": 0.85,
        },
    }
    found, total = 0, 0
    by_method: dict[str, list[float]] = {m: [] for m in METHODS}
    chosen, face_err_before, face_err_after = [], [], []
    for name in ("aptus_1.png", "aptus_6.png", "obama.jpg", "0-f15-hao-ph.jpg"):
        photo = load_photo(SAMPLES / name)
        face = engine.detect(photo.rgb).face
        truth = region_statistics(compute_regions(photo.rgb, face))
        scene = ph.add_colour_chart(photo.rgb)
        for cam in cameras.values():
            shot = ph.jpeg_roundtrip(ph.camera_response(scene, **cam), 90)
            total += 1
            chart = find_chart(shot)
            if chart is None:
                continue
            found += 1
            use = np.all(chart.patches < 250, axis=1) & np.all(chart.patches > 1, axis=1)
            for m in METHODS:
                by_method[m].append(float(np.nanmean(held_out_errors(m, chart.patches, use)[0])))
            try:
                cal = fit_calibration(chart.patches, chart=chart)
            except CalibrationError as exc:
                print(f"  {name}: refused: {exc}")
                continue
            chosen.append(cal.method)
            fixed = region_statistics(compute_regions(cal.apply(shot), face))
            shot_stats = region_statistics(compute_regions(shot, face))
            for r in truth:
                face_err_before.append(shot_stats[r]["a_star"] - truth[r]["a_star"])
                face_err_after.append(fixed[r]["a_star"] - truth[r]["a_star"])
    print(f"chart found in {found} of {total} rendered photos (4 faces x 3 cameras)")
    for m, v in by_method.items():
        print(f"  {m:28s} held-out mean ΔE2000: mean {np.mean(v):.2f}, worst {np.max(v):.2f}")
    print(f"  chosen: {', '.join(sorted(set(chosen)))}")
    print(
        f"face a* error vs. the true photo: before correction max {_pct(face_err_before, 100):.1f}"
        f", after {_pct(face_err_after, 100):.2f} (median {_pct(face_err_after, 50):.2f})"
    )
    rng = np.random.default_rng(1)
    try:
        fit_calibration(rng.uniform(20, 230, (24, 3)))
        print("random patch colours: NOT refused")
    except CalibrationError as exc:
        print(f"random patch colours: refused ({exc})")


def section_identity(engine) -> None:
    from skintrack.core.analysis import analyze_photo
    from skintrack.core.compare import check_identity, compare_analyses
    from skintrack.core.intake import load_photo, photo_from_array
    from skintrack.core.warp import regions_mapping
    from skintrack.simulate import phantom as ph

    def score(a, b):
        m = regions_mapping(a.regions, a.face, b.regions, b.face)
        fw = (a.regions.face_box[2] - a.regions.face_box[0]) / a.regions.step
        return check_identity(a.face, b.face, a.regions.work_rgb, m.sample(b.regions.work_rgb), m.valid, fw)

    names = sorted(p.name for p in SAMPLES.iterdir() if p.suffix.lower() in (".jpg", ".png"))
    analyses = {}
    for n in names:
        a = analyze_photo(load_photo(SAMPLES / n), engine, find_lesions=False)
        if a.face is not None:
            analyses[n] = a
    same_tex, same_shape, refused_same = [], [], []
    for n in FRONTAL:
        a = analyses[n]
        red = ph.add_redness(a.photo.rgb, a.regions, delta_a_star=TREATED)
        for vname, img, _ in _light_pose_variants(red, ph):
            b = analyze_photo(photo_from_array(img), engine, find_lesions=False)
            s = score(a, b)
            same_tex.append(s.texture_match)
            same_shape.append(s.shape_distance)
            if not compare_analyses(a, b).same_person:
                refused_same.append(f"{n}/{vname}")
    diff = [(score(analyses[x], analyses[y]), x, y) for x, y in itertools.permutations(analyses, 2)]
    accepted = [(x, y) for s, x, y in diff if s.same_person]
    print(
        f"same face re-shot (redness, light, pose, JPEG; n={len(same_tex)}): texture min "
        f"{np.nanmin(same_tex):.3f}, shape max {np.max(same_shape):.4f}; wrongly refused: "
        f"{len(refused_same)} {refused_same[:3]}"
    )
    tex = np.array([s.texture_match for s, _, _ in diff])
    shp = np.array([s.shape_distance for s, _, _ in diff])
    print(
        f"different sample people ({len(diff)} ordered pairs): texture max {np.nanmax(tex):.3f},"
        f" shape min {shp.min():.4f}; wrongly accepted: {len(accepted)} {accepted[:3]}"
    )
    acne = ROOT.parent / "shared" / "data" / "acne04-dev"
    if acne.is_dir():
        files = sorted(acne.glob("*.jpg"))
        rng = np.random.default_rng(0)
        picked = [files[i] for i in rng.choice(len(files), size=min(40, len(files)), replace=False)]
        acne_an = []
        for f in picked:
            a = analyze_photo(load_photo(f), engine, find_lesions=False)
            if a.face is not None:
                acne_an.append(a)
        pairs = list(itertools.combinations(range(len(acne_an)), 2))
        scores = [score(acne_an[i], acne_an[j]) for i, j in pairs]
        acc = sum(s.same_person for s in scores)
        t = np.array([s.texture_match for s in scores])
        print(
            f"ACNE04 pairs of different photos ({len(scores)} pairs of {len(acne_an)} faces, "
            "mostly three-quarter views; one patient may appear twice): texture max "
            f"{np.nanmax(t):.3f}, 99th pct {np.nanpercentile(t, 99):.3f}; accepted as same "
            f"person: {acc}"
        )


def _sclera_gains(a, b):
    """Linear-light gains later->baseline from the whites of the eyes, or None."""
    import cv2

    from skintrack.core.colour import lab_from_linear, srgb_to_linear
    from skintrack.core.regions import EXCLUDE

    def white(an):
        rgb = an.photo.rgb
        xy = an.face.xy
        m = np.zeros(rgb.shape[:2], np.uint8)
        for eye in ("right_eye", "left_eye"):
            cv2.fillPoly(m, [np.round(xy[list(EXCLUDE[eye])]).astype(np.int32)], 1)
        for c, edge in ((468, 469), (473, 474)):
            rad = 1.15 * float(np.linalg.norm(xy[c] - xy[edge]))
            cv2.circle(m, tuple(int(v) for v in np.round(xy[c])), int(round(rad)), 0, -1)
        px = rgb[m.astype(bool)]
        if len(px) < 30:
            return None
        lin = srgb_to_linear(px)
        lab = lab_from_linear(lin)
        ok = (px.max(axis=1) < 250) & (lab[:, 0] > np.percentile(lab[:, 0], 50))
        ok &= np.hypot(lab[:, 1], lab[:, 2]) < 25
        if ok.sum() < 15:
            return None
        return np.median(lin[ok], axis=0)

    wa, wb = white(a), white(b)
    if wa is None or wb is None:
        return None
    return wa / np.maximum(wb, 1e-4)


def section_sclera(engine) -> None:
    from skintrack.core.analysis import analyze_photo
    from skintrack.core.colour import a_star_from_linear, central_mean, srgb_to_linear
    from skintrack.core.compare import compare_analyses
    from skintrack.core.intake import load_photo, photo_from_array
    from skintrack.core.regions import REGION_NAMES
    from skintrack.simulate import phantom as ph

    visible = ["obama.jpg", "0-f15-hao-ph.jpg", "single_face.jpg", "grace_hopper.jpg"]
    none_err, sclera_err = [], []
    for name in visible:
        photo = load_photo(SAMPLES / name)
        a = analyze_photo(photo, engine, find_lesions=False)
        target = dict.fromkeys(REGION_NAMES, 3.0)  # whole face treated: no skin reference
        red = ph.add_redness(photo.rgb, a.regions, delta_a_star=target)
        for _vname, img, light in _light_pose_variants(red, ph):
            if not light:
                continue
            b = analyze_photo(photo_from_array(img), engine, find_lesions=False)
            c = compare_analyses(a, b, treated=REGION_NAMES)
            gains = _sclera_gains(a, b)
            for r, ch in c.regions.items():
                none_err.append(ch.delta_a_star - 3.0)
                if gains is None:
                    continue
                lb = srgb_to_linear(a.regions.work_rgb[a.regions[r].usable])
                ll = srgb_to_linear(b.regions.work_rgb[b.regions[r].usable]) * gains
                d = central_mean(a_star_from_linear(ll)) - central_mean(a_star_from_linear(lb))
                sclera_err.append(d - 3.0)
    print(f"whole face treated, light changed ({len(visible)} faces with visible eyes):")
    print(
        f"  no normalisation:      |error| median {_pct(none_err, 50):.2f}, 95th pct "
        f"{_pct(none_err, 95):.2f}, max {_pct(none_err, 100):.2f}"
    )
    print(
        f"  sclera white balance:  |error| median {_pct(sclera_err, 50):.2f}, 95th pct "
        f"{_pct(sclera_err, 95):.2f}, max {_pct(sclera_err, 100):.2f}"
    )


SECTIONS = {
    "speed": section_speed,
    "phantom": section_phantom,
    "repeat": section_repeat,
    "calibration": section_calibration,
    "identity": section_identity,
    "sclera": section_sclera,
}


def main(argv: list[str]) -> None:
    from skintrack.core.face import FaceEngine

    chosen = argv or list(SECTIONS)
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        raise SystemExit(f"unknown section {unknown[0]!r}; choose from {', '.join(SECTIONS)}")
    with FaceEngine() as engine:
        for s in chosen:
            print(f"== {s}")
            t0 = time.perf_counter()
            SECTIONS[s](engine)
            print(f"   ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
