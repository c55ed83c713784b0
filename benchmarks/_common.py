"""Shared helpers for the benchmark scripts (not a test module)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_images"


def make_12mp_jpeg(out: Path, source: str = "aptus_1.png") -> Path:
    """A sample face scaled to 3024 x 4032 (portrait 12 MP) and saved as a camera-like JPEG."""
    from PIL import Image

    if not out.exists():
        im = Image.open(SAMPLES / source).convert("RGB")
        im.resize((3024, 4032), Image.LANCZOS).save(out, quality=92)
    return out


def timed(fn, repeat: int = 7):
    """Median and best wall time (ms) of ``fn()`` over ``repeat`` runs after one warm-up."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), min(times)
