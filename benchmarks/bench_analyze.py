"""Speed of ``analyze`` on a 12-megapixel JPEG, per stage, after the model has loaded.

Targets (issue 14): the whole analysis (decode, landmarks, regions, quality, colour, lesions, skin
map) <= 100 ms in-process; lesion finding <= 40 ms; ``skintrack --help`` < 0.5 s.

The photo is analysed as shipped (decoded at a reduced scale, ADR 0008) and, interleaved in the
same process so that the machine's drifting speed hits both alike, at full resolution (the photo's
pixels given as an array, which is analysed as it is): the difference is what reduced decoding
gains. A reference blur time and the load average say how busy the machine was.
"""

from __future__ import annotations

import dataclasses
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, load_average, make_12mp_jpeg, reference_ms, timed  # noqa: E402

RUNS = 9
STAGES = ("decode", "landmarks", "decode_finer", "regions", "quality", "colour", "lesions", "skin")


def _one(path: Path, engine, full: bool) -> tuple[dict, float, object]:
    from skintrack.core.analysis import analyze_photo
    from skintrack.core.intake import load_photo

    t0 = time.perf_counter()
    photo = load_photo(path)
    if full:
        photo = dataclasses.replace(photo, rgb=photo.rgb)  # the pixels as an array: full scale
    decode = (time.perf_counter() - t0) * 1e3
    a = analyze_photo(photo, engine)
    total = (time.perf_counter() - t0) * 1e3
    return {"decode": decode, **a.timing_ms}, total, a


def main() -> None:
    from skintrack.core.face import FaceEngine

    tmp = Path(tempfile.gettempdir()) / "skintrack_bench_12mp.jpg"
    path = make_12mp_jpeg(tmp)
    print(f"load average before: {load_average()}; reference blur {reference_ms():.2f} ms")
    runs: dict[str, tuple[dict, list]] = {"reduced": ({}, []), "full": ({}, [])}
    with FaceEngine() as engine:
        for full in (False, True):  # warm-up
            _one(path, engine, full)
        for _ in range(RUNS):
            for name, full in (("reduced", False), ("full", True)):
                stages, total, a = _one(path, engine, full)
                for k, v in stages.items():
                    runs[name][0].setdefault(k, []).append(v)
                runs[name][1].append(total)
                if not full:
                    shipped = a
    p = shipped.photo
    print(
        f"analyze, 12 MP JPEG ({p.width} x {p.height}), face width {shipped.face.width_px:.0f} "
        f"px, analysed at 1/{shipped.reduction}; median of {RUNS} after warm-up, interleaved:"
    )
    print(f"  {'stage':<14}{'shipped':>10}{'full scale':>12}")
    for k in STAGES:
        a = runs["reduced"][0].get(k)
        b = runs["full"][0].get(k)
        if a is None and b is None:
            continue
        fa = f"{statistics.median(a):8.1f}ms" if a else f"{'-':>10}"
        fb = f"{statistics.median(b):10.1f}ms" if b else f"{'-':>12}"
        print(f"  {k:<14}{fa}{fb}")
    ta, tb = statistics.median(runs["reduced"][1]), statistics.median(runs["full"][1])
    print(
        f"  {'whole':<14}{ta:8.1f}ms{tb:10.1f}ms   (target <= 100; best shipped "
        f"{min(runs['reduced'][1]):.1f})"
    )
    les = statistics.median(runs["reduced"][0]["lesions"])
    print(f"  lesion finding {les:.1f} ms (target <= 40)")
    print(
        f"load average after: {load_average()}; reference blur {reference_ms():.2f} ms "
        "(0.46 ms when the two-core test VM runs quick: scale the figures above)"
    )

    med, best = timed(
        lambda: subprocess.run(
            [sys.executable, "-m", "skintrack", "--help"], capture_output=True, check=True, cwd=ROOT
        ),
        repeat=5,
    )
    print(f"skintrack --help: median {med:.0f} ms, best {best:.0f} ms   (target < 500)")


if __name__ == "__main__":
    main()
