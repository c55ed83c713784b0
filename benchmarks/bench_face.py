"""Speed of face finding, and agreement with MediaPipe when it is installed (ADR 0004).

``python benchmarks/bench_face.py [--data DIR ...] [--every N]``

Always: the time to load :class:`FaceEngine` and to find the face (detector, 478-point mesh, pose,
scale) in a ~1000 px photo and in the 12 MP benchmark JPEG, median of 15 after a warm-up.

When the ``mediapipe`` package is importable (it is not a dependency: install it in a throwaway
virtual environment, and mind that its native library connects to Google while it runs, issue
12), the same bundled model also runs through MediaPipe's FaceLandmarker and the script prints,
for every photo in ``sample_images/``: the mean and largest distance between the two engines'
478 points (pixels, and % of the inter-ocular distance), the pose differences (degrees) and the
iris scale (mm per pixel) of each; the same timings; and, for each ``--data`` folder (every N-th
photo), how many photos each engine finds a face on, plainly and with the retries of
:data:`skintrack.core.face.RETRY_ATTEMPTS`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SAMPLES, make_12mp_jpeg, timed  # noqa: E402


class MediaPipeFaces:
    """MediaPipe's FaceLandmarker on the same copy and the same retries, for comparison only."""

    def __init__(self) -> None:
        from mediapipe.tasks.python import vision
        from mediapipe.tasks.python.core.base_options import BaseOptions

        from skintrack.core.face import load_model_bytes

        opts = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=load_model_bytes()),
            running_mode=vision.RunningMode.IMAGE,
            num_faces=2,
            min_face_detection_confidence=0.5,
            min_face_presence_confidence=0.5,
            output_facial_transformation_matrixes=True,
        )
        self._lm = vision.FaceLandmarker.create_from_options(opts)

    def plain(self, rgb: np.ndarray):
        """[(points (478, 3) in pixels of ``rgb``, 4x4 matrix)] of the faces in ``rgb`` as it is."""
        import mediapipe as mp

        from skintrack.core.face import downscale_for_detection

        h, w = rgb.shape[:2]
        small = downscale_for_detection(rgb)
        res = self._lm.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=small))
        out = []
        for i, lms in enumerate(res.face_landmarks):
            pts = np.array([(p.x * w, p.y * h, p.z * w) for p in lms], np.float32)
            out.append((pts, np.asarray(res.facial_transformation_matrixes[i])))
        return out

    def count_with_retries(self, rgb: np.ndarray) -> int:
        import cv2
        import mediapipe as mp

        from skintrack.core.face import RETRY_ATTEMPTS, downscale_for_detection

        small = downscale_for_detection(rgb)
        sh, sw = small.shape[:2]
        for border, mirrored in RETRY_ATTEMPTS:
            img = small[:, ::-1] if mirrored else small
            px, py = round(border * sw), round(border * sh)
            if px or py:
                img = cv2.copyMakeBorder(img, py, py, px, px, cv2.BORDER_CONSTANT, value=(128, 128, 128))
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(img))
            n = len(self._lm.detect(image).face_landmarks)
            if n:
                return n
        return 0

    def close(self) -> None:
        self._lm.close()


def _timings(label: str, detect, photos) -> None:
    for name, rgb in photos:
        med, best = timed(lambda rgb=rgb: detect(rgb), repeat=15)
        print(f"  {label:<10} {name:<28} median {med:6.1f} ms   best {best:6.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder of photos for the face-found counts (repeatable)",
    )
    ap.add_argument("--every", type=int, default=1, metavar="N", help="every N-th photo of each")
    args = ap.parse_args()

    from skintrack.core.face import FaceEngine, pose_from_matrix
    from skintrack.core.intake import load_photo

    t0 = time.perf_counter()
    engine = FaceEngine()
    print(f"FaceEngine load (hash check, both networks): {(time.perf_counter() - t0) * 1e3:.0f} ms")
    big = make_12mp_jpeg(Path(tempfile.gettempdir()) / "skintrack_bench_12mp.jpg")
    photos = [
        ("obama.jpg (1137 x 910)", load_photo(SAMPLES / "obama.jpg").rgb),
        ("12 MP JPEG (3024 x 4032)", load_photo(big).rgb),
    ]
    print("Face finding, median of 15 after a warm-up:")
    _timings("skintrack", engine.detect, photos)

    try:
        ref = MediaPipeFaces()
    except ImportError:
        print("(mediapipe is not installed: no comparison)")
        engine.close()
        return
    _timings("mediapipe", ref.plain, photos)

    print("\nLandmarks, skintrack vs MediaPipe, plain attempt on the same copy:")
    print(
        f"  {'photo':<18} {'mean px':>8} {'max px':>7} {'mean %IOD':>9} {'max %IOD':>8}"
        f" {'dyaw':>6} {'dpitch':>6} {'droll':>6} {'mm/px MP':>9} {'ours':>7}"
    )
    rows = []
    for path in sorted(p for p in SAMPLES.iterdir() if p.suffix.lower() in (".jpg", ".png")):
        rgb = load_photo(path).rgb
        theirs = ref.plain(rgb)
        ours = engine.detect(rgb, attempts=((0.0, False),)).faces
        if not theirs or not ours:
            print(f"  {path.name:<18} faces: MediaPipe {len(theirs)}, skintrack {len(ours)}")
            continue
        a, b = ours[0], theirs[0][0]
        err = np.linalg.norm(a.xy - b[:, :2], axis=1)
        iod = float(np.linalg.norm(b[468, :2] - b[473, :2]))
        pose = pose_from_matrix(theirs[0][1])
        d = (a.pose.yaw - pose.yaw, a.pose.pitch - pose.pitch, a.pose.roll - pose.roll)
        from skintrack.core.face import _make_face

        mm = _make_face(b, theirs[0][1], rgb.shape[1], rgb.shape[0]).mm_per_px
        rows.append(
            (
                err.mean(),
                err.max(),
                100 * err.mean() / iod,
                100 * err.max() / iod,
                *np.abs(d),
                abs(a.mm_per_px / mm - 1),
            )
        )
        print(
            f"  {path.name:<18} {err.mean():8.2f} {err.max():7.2f} {rows[-1][2]:9.3f}"
            f" {rows[-1][3]:8.3f} {d[0]:6.2f} {d[1]:6.2f} {d[2]:6.2f} {mm:9.4f}"
            f" {a.mm_per_px:7.4f}"
        )
    r = np.array(rows)
    print(
        f"  all {len(r)}: mean of means {r[:, 0].mean():.2f} px ({r[:, 2].mean():.3f} % IOD), "
        f"worst point {r[:, 1].max():.2f} px ({r[:, 3].max():.2f} % IOD); largest |dyaw| "
        f"{r[:, 4].max():.2f}, |dpitch| {r[:, 5].max():.2f}, |droll| {r[:, 6].max():.2f} deg; "
        f"mm/px within {100 * r[:, 7].max():.1f} %"
    )

    for folder in args.data:
        files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))[
            :: args.every
        ]
        counts = {"mp plain": [], "mp retries": [], "ours plain": [], "ours retries": []}
        for p in files:
            rgb = load_photo(p).rgb
            counts["mp plain"].append(len(ref.plain(rgb)))
            counts["mp retries"].append(ref.count_with_retries(rgb))
            counts["ours plain"].append(engine.detect(rgb, attempts=((0.0, False),)).count)
            counts["ours retries"].append(engine.detect(rgb).count)
        found = {k: sum(c >= 1 for c in v) for k, v in counts.items()}
        print(
            f"\n{folder}: {len(files)} photos; a face found: "
            + ", ".join(f"{k} {v}" for k, v in found.items())
        )
        differ = [
            p.name
            for p, x, y in zip(files, counts["mp retries"], counts["ours retries"], strict=True)
            if x != y
        ]
        print(f"  photos where the face counts (with retries) differ: {differ or 'none'}")
        print(f"  median faces per photo: {statistics.median(counts['ours retries'])}")
    ref.close()
    engine.close()


if __name__ == "__main__":
    main()
