"""Speed of the acne candidate network (models/acne_net.onnx, cv2.dnn) against the tree scorer on
the 12 MP benchmark photo: same work image and candidates, each scorer run alone (ADR 0208)."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import make_12mp_jpeg  # noqa: E402


def main() -> None:
    from skintrack.core import acne_net as N
    from skintrack.core import lesions as L
    from skintrack.core.face import FaceEngine
    from skintrack.core.intake import load_photo

    photo = load_photo(make_12mp_jpeg(Path(tempfile.gettempdir()) / "skintrack_bench_12mp.jpg"))
    with FaceEngine() as engine:
        face = engine.detect(photo.rgb).face
    work = L.prepare(photo.rgb, face)
    net, model = N.load_net(), L.load_model()
    pts = L.candidates(work, L.DETECT_MIN_Z)
    steps: dict[str, list[float]] = {}
    for _ in range(16):
        t0 = time.perf_counter()
        x = N.net_input(work, pts)
        t1 = time.perf_counter()
        net.predict(x)
        t2 = time.perf_counter()
        spots = N.detect_acne_net(work, net)
        t3 = time.perf_counter()
        feats = L.candidate_features(work, pts)
        model.predict(feats)
        t4 = time.perf_counter()
        L.detect_acne(work, model)
        t5 = time.perf_counter()
        for k, v in (
            ("net input", t1 - t0),
            ("net (cv2.dnn)", t2 - t1),
            ("detect_acne_net", t3 - t2),
            ("trees: features+score", t4 - t3),
            ("detect_acne (trees)", t5 - t4),
        ):
            steps.setdefault(k, []).append(v * 1e3)
    print(
        f"12 MP photo, {len(pts)} candidates, {len(spots.work_xy)} network detections; "
        "median of 15 after warm-up:"
    )
    for k, v in steps.items():
        print(f"  {k:<24} {statistics.median(v[1:]):6.1f} ms (best {min(v[1:]):.1f})")


if __name__ == "__main__":
    main()
