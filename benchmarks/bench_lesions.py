"""Speed of lesion finding on a 12-megapixel JPEG (target, issue 4: <= 60 ms), per step.

Also prints how often painted lesions (``simulate.lesions``, 6 random shapes each) are found on
four sample faces, and the acne detector's scores on ``../shared/data/acne04-dev`` when it is present
(whole set with the bundled model, which was trained on it: see models/LESIONS.md for the
cross-validated figures on unseen photos).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, make_12mp_jpeg  # noqa: E402


def main() -> None:
    from skintrack.core import lesions as L
    from skintrack.core.face import FaceEngine
    from skintrack.core.intake import load_photo
    from skintrack.core.regions import compute_regions

    path = make_12mp_jpeg(Path(tempfile.gettempdir()) / "skintrack_bench_12mp.jpg")
    photo = load_photo(path)
    with FaceEngine() as engine:
        face = engine.detect(photo.rgb).face
    regions = compute_regions(photo.rgb, face)
    model = L.load_model()
    L.find_lesions(photo.rgb, face, regions)  # warm-up
    steps: dict[str, list[float]] = {}
    totals = []
    for _ in range(15):
        t0 = time.perf_counter()
        findings = L.find_lesions(photo.rgb, face, regions)
        totals.append((time.perf_counter() - t0) * 1e3)
        t = time.perf_counter()
        base = L.prepare(photo.rgb, face, responses=False)
        t1 = time.perf_counter()
        work = L.with_responses(base)
        t2 = time.perf_counter()
        pts = L.candidates(work, L.DETECT_MIN_Z)
        feats = L.candidate_features(work, pts)
        t3 = time.perf_counter()
        model.predict(feats)
        t4 = time.perf_counter()
        L.find_patches(base)
        t5 = time.perf_counter()
        for k, v in (
            ("resample+colour", t1 - t),
            ("blob responses", t2 - t1),
            ("candidates+features", t3 - t2),
            ("tree model", t4 - t3),
            ("wound/crust/cold sore*", t5 - t4),
        ):
            steps.setdefault(k, []).append(v * 1e3)
    print(
        f"lesion finding, 12 MP JPEG ({photo.width} x {photo.height}), face height "
        f"{L.face_height_px(face):.0f} px, {len(pts)} candidates scored, {len(findings)} "
        "findings; median of 15 after warm-up, each step run alone:"
    )
    for k, v in steps.items():
        print(f"  {k:<24} {statistics.median(v):6.1f} ms")
    print("  (* runs on a second thread during the responses and the acne scoring)")
    print(
        f"  find_lesions total        {statistics.median(totals):6.1f} ms   (target <= 60; "
        f"best {min(totals):.1f})"
    )
    print(
        f"  machine speed now: {reference_ms():.2f} ms for a reference blur (0.46 ms when the "
        "two-core test VM runs quick, up to 0.8 when it runs slow: scale the figures above)"
    )

    render_recall()

    data = ROOT.parent / "shared" / "data" / "acne04-dev"
    if (data / "annotations.json").is_file():
        from skintrack.core.lesion_scoring import score_folder

        with FaceEngine() as engine:
            t0 = time.perf_counter()
            s, _ = score_folder(data, L.acne_detector(engine, model))
        print(
            f"acne04-dev, whole set, bundled model (seen in training): {s.summary()} "
            f"[{time.perf_counter() - t0:.0f} s]"
        )
        cv = model.meta.get("cv", {})
        if cv:
            print(
                f"cross-validated ({cv['folds']} folds by photo, unseen photos): recall "
                f"{cv['recall']:.3f}, precision {cv['precision']:.3f}, F1 {cv['f1']:.3f}"
            )


def reference_ms() -> float:
    """Median time of one fixed OpenCV blur (a 619 x 501 float image, sigma 1.2): this VM's speed
    drifts by a factor of about 1.6 within an hour, and every figure above drifts with it."""
    import cv2
    import numpy as np

    img = np.random.default_rng(0).random((619, 501), dtype=np.float32)
    times = []
    for _ in range(60):
        t = time.perf_counter()
        cv2.GaussianBlur(img, (0, 0), 1.2)
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def render_recall(seeds: int = 6) -> None:
    """Painted lesions found (right kind, centre within the painted radius) per face and kind."""
    import math

    from skintrack.core import lesions as L
    from skintrack.core.face import FaceEngine
    from skintrack.core.intake import load_photo
    from skintrack.core.regions import compute_regions
    from skintrack.simulate.lesions import place, render

    cases = [
        ("open_wound", "right_cheek", 8.0),
        ("crust", "forehead", 6.0),
        ("pustule", "left_cheek", 4.0),
        ("cold_sore", None, 8.0),
    ]
    print(f"painted lesions found, {seeds} shapes each (cold sore: 3 mm above the lip border):")
    with FaceEngine() as engine:
        for name in ("0-f15-hao-ph.jpg", "aptus_2.png", "aptus_6.png", "obama.jpg"):
            photo = load_photo(ROOT / "sample_images" / name)
            face = engine.detect(photo.rgb).face
            row = []
            for kind, where, mm in cases:
                at = where or place(face, "lip_border", (0.0, -3.0))
                hits = 0
                for seed in range(seeds):
                    rgb, les = render(photo.rgb, face, kind, at, mm, seed=seed)
                    f2 = engine.detect(rgb).face
                    found = L.find_lesions(rgb, f2, compute_regions(rgb, f2))
                    hits += any(
                        f.kind == kind and math.hypot(f.x - les.x, f.y - les.y) <= max(les.radius_px, 4)
                        for f in found
                    )
                row.append(f"{kind} {hits}/{seeds}")
            print(f"  {name:<18} " + "  ".join(row))


if __name__ == "__main__":
    main()
