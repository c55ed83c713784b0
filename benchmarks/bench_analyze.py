"""Speed of ``analyze`` on a 12-megapixel JPEG, per stage, after the model has loaded.

Targets (issue 2): decode + landmarks + regions + quality <= 150 ms; whole analysis (with colour and
lesions) <= 250 ms; ``skintrack --help`` < 0.5 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, make_12mp_jpeg, timed  # noqa: E402


def main() -> None:
    from skintrack.core.analysis import analyze_photo
    from skintrack.core.face import FaceEngine
    from skintrack.core.intake import load_photo

    tmp = Path(tempfile.gettempdir()) / "skintrack_bench_12mp.jpg"
    path = make_12mp_jpeg(tmp)
    with FaceEngine() as engine:
        photo = load_photo(path)
        analyze_photo(photo, engine)  # warm-up
        stages: dict[str, list[float]] = {}
        totals = []
        for _ in range(7):
            t0 = time.perf_counter()
            photo = load_photo(path)
            decode = (time.perf_counter() - t0) * 1e3
            a = analyze_photo(photo, engine)
            totals.append((time.perf_counter() - t0) * 1e3)
            stages.setdefault("decode", []).append(decode)
            for k, v in a.timing_ms.items():
                stages.setdefault(k, []).append(v)
    print(f"analyze, 12 MP JPEG ({photo.width} x {photo.height}), median of 7 after warm-up:")
    for k, v in stages.items():
        print(f"  {k:<10} {statistics.median(v):7.1f} ms")
    base = sum(statistics.median(stages[k]) for k in ("decode", "landmarks", "regions", "quality"))
    print(f"  decode+landmarks+regions+quality {base:7.1f} ms   (target <= 150)")
    print(f"  whole analysis                   {statistics.median(totals):7.1f} ms   (target <= 250)")

    med, best = timed(lambda: subprocess.run([sys.executable, "-m", "skintrack", "--help"],
                                             capture_output=True, check=True, cwd=ROOT), repeat=5)
    print(f"skintrack --help: median {med:.0f} ms, best {best:.0f} ms   (target < 500)")


if __name__ == "__main__":
    main()
