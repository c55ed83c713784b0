"""Shared fixtures. Qt runs offscreen; the face model loads once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_images"
SHARED_DATA = ROOT.parent / "shared" / "data"

#: Frontal sample faces that pass every quality check (used by most tests).
FRONTAL = [
    "aptus_1.png",
    "aptus_2.png",
    "aptus_5.png",
    "aptus_6.png",
    "aptus_8.png",
    "obama.jpg",
    "0-f15-hao-ph.jpg",
]
#: Every sample photo with exactly one face.
ALL_FACES = sorted(p.name for p in SAMPLES.iterdir() if p.suffix.lower() in (".jpg", ".png"))


@pytest.fixture(scope="session")
def engine():
    from skintrack.core.face import FaceEngine

    with FaceEngine() as e:
        yield e


@pytest.fixture(scope="session")
def load_sample():
    from skintrack.core.intake import load_photo

    cache = {}

    def _load(name: str):
        if name not in cache:
            cache[name] = load_photo(SAMPLES / name)
        return cache[name]

    return _load


@pytest.fixture(scope="session")
def acne04_dir() -> Path:
    d = SHARED_DATA / "acne04-dev"
    if not (d / "annotations.json").is_file():
        pytest.skip("../shared/data/acne04-dev is not present")
    return d


@pytest.fixture()
def tracker(engine, tmp_path):
    """A session service on a fresh data folder, with the session's face engine."""
    from skintrack.tracking import Tracker

    with Tracker(tmp_path / "data", engine=engine) as t:
        yield t


@pytest.fixture(scope="module")
def jpegs(load_sample):
    """Three JPEG encodings of one sample face (qualities 95, 90, 85): distinct photos of it."""
    from skintrack.report.images import encode_jpeg

    rgb = load_sample("aptus_1.png").rgb
    return [encode_jpeg(rgb, quality=q) for q in (95, 90, 85)]
