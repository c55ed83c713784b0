"""Import speed of treatment-session photos, and what the storage part of it costs.

Figures printed:

- storage alone: copying a 12 MP camera JPEG into the photo store (temp file, fsync, rename,
  folder fsync) and inserting its rows in one ``BEGIN IMMEDIATE`` transaction with
  ``synchronous=FULL`` (the crash-safety settings), per photo;
- a whole ``Tracker.add_photos`` of one 12 MP follow-up photo: read, decode, analyse, compare
  with the baseline, save (the baseline's analysis already cached, the face model loaded);
- ``Tracker.status`` of a session with five follow-ups (the recovery fit);
- ``skintrack session status`` and ``skintrack session list`` as a person runs them (a new
  process each time: Python start, imports, database open).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, make_12mp_jpeg, timed  # noqa: E402


def jpeg_variant(path: Path, out: Path, quality: int) -> Path:
    """The same 12 MP photo saved again: a distinct file (another hash) of the same face."""
    from PIL import Image

    if not out.exists():
        Image.open(path).save(out, quality=quality)
    return out


def main() -> None:
    from skintrack.storage import db
    from skintrack.storage import sessions as repo
    from skintrack.storage.photostore import PhotoStore
    from skintrack.tracking import PhotoSource, Tracker

    tmp = Path(tempfile.gettempdir())
    big = make_12mp_jpeg(tmp / "skintrack_bench_12mp.jpg")
    data = big.read_bytes()
    print(f"photo: 12 MP JPEG, {len(data) / 1e6:.1f} MB")

    with tempfile.TemporaryDirectory() as d:
        conn = db.connect(Path(d) / "skintrack.db")
        store = PhotoStore(Path(d) / "photos")
        s = repo.create_session(
            conn,
            treated_at=datetime.now(UTC),
            device="roller",
            needle_mm=0.25,
            treated_regions=["left_cheek"],
        )
        record = {"schema": 1, "regions": {f"r{i}": {"lab_median": [60.0, 14.0, 17.0]} for i in range(6)}}
        times = []
        for i in range(20):
            blob = data + i.to_bytes(4, "little")  # a new file each time: a real copy
            t0 = time.perf_counter()
            with db.transaction(conn):
                sp = store.put(blob, "jpeg")
                p = repo.insert_photo(
                    conn,
                    s.id,
                    repo.NewPhoto(sp.sha256, sp.name, f"{i}.jpg", 3024, 4032, datetime.now(UTC), "exif"),
                )
                repo.save_analysis(conn, p.id, quality_ok=True, record=record)
                repo.save_comparison(
                    conn,
                    repo.NewComparison(
                        p.id,
                        p.id,
                        1.0,
                        True,
                        repo.ComparisonRecord(),
                        {"left_cheek": repo.RegionDelta(2.0, 0.5, True)},
                    ),
                )
            times.append((time.perf_counter() - t0) * 1e3)
        conn.close()
    print(
        f"storage only (store copy + rows, fsynced), 20 photos: median "
        f"{statistics.median(times):.1f} ms, best {min(times):.1f} ms per photo"
    )

    with tempfile.TemporaryDirectory() as d, Tracker(d) as tracker:
        t0 = datetime.now(UTC) - timedelta(hours=8)
        s = tracker.new_session(
            device="roller", needle_mm=0.25, treated_regions=["left_cheek", "right_cheek"], treated_at=t0
        )
        start = time.perf_counter()
        tracker.set_baseline(s.id, PhotoSource(data, "baseline.jpg", t0 - timedelta(minutes=5)))
        first = (time.perf_counter() - start) * 1e3
        print(f"set_baseline, 12 MP (includes loading the face model once): {first:.0f} ms")
        adds = []
        for i, h in enumerate((0.5, 1, 2, 4, 6)):
            photo = jpeg_variant(big, tmp / f"skintrack_bench_12mp_q{80 + i}.jpg", 80 + i)
            start = time.perf_counter()
            tracker.add_photos(s.id, [photo], taken_at=t0 + timedelta(hours=h))
            adds.append((time.perf_counter() - start) * 1e3)
        print(
            f"add_photos, one 12 MP follow-up (decode, analyse, compare, save): median "
            f"{statistics.median(adds):.0f} ms, best {min(adds):.0f} ms"
        )
        med, best = timed(lambda: tracker.status(s.id), repeat=9)
        print(
            f"status of a session with 5 follow-ups (recovery fit): median {med:.1f} ms, best {best:.1f} ms"
        )

        def cli(*args):
            subprocess.run(
                [sys.executable, "-m", "skintrack", "session", "--data-dir", d, *args],
                capture_output=True,
                check=True,
                cwd=ROOT,
            )

        med, best = timed(lambda: cli("status", str(s.id)), repeat=5)
        print(f"skintrack session status (new process): median {med:.0f} ms, best {best:.0f} ms")
        med, best = timed(lambda: cli("list"), repeat=5)
        print(f"skintrack session list   (new process): median {med:.0f} ms, best {best:.0f} ms")


if __name__ == "__main__":
    main()
