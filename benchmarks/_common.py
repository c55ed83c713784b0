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


def reference_ms() -> float:
    """Median time of one fixed OpenCV blur (a 619 x 501 float image, sigma 1.2): this VM's speed
    drifts by a factor of about 1.6 within an hour (0.46 ms when it runs quick), and every timing
    drifts with it."""
    import cv2
    import numpy as np

    img = np.random.default_rng(0).random((619, 501), dtype=np.float32)
    times = []
    for _ in range(60):
        t = time.perf_counter()
        cv2.GaussianBlur(img, (0, 0), 1.2)
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as ``uptime`` prints them."""
    import os

    try:
        return ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"
