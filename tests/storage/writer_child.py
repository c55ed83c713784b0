"""A child process that imports fake photos into a data folder (used by test_crash.py).

``python writer_child.py DATA_DIR SESSION PREFIX COUNT [--start I] [--die-after-put N]
[--die-before-commit N]``

Each import is what skintrack does for a real photo: inside one write transaction, copy the file
into the store, insert the photo, its analysis and a comparison. After each commit it prints
``committed PREFIX-I`` (flushed), so the parent knows what was promised as saved. The ``--die-*``
options SIGKILL the process at that point of import N: no clean-up, no rollback, no atexit.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from datetime import UTC, datetime, timedelta

from skintrack.core.lesions import Finding
from skintrack.storage import db
from skintrack.storage import sessions as repo
from skintrack.storage.paths import resolve_data_dir
from skintrack.storage.photostore import PhotoStore


def fake_photo(prefix: str, i: int) -> bytes:
    # Unique, and big enough (~200 kB) that a write is not instantaneous.
    return (f"{prefix}-{i}|".encode() * 20000)[:200_000]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir")
    ap.add_argument("session", type=int)
    ap.add_argument("prefix")
    ap.add_argument("count", type=int)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--die-after-put", type=int, default=-1)
    ap.add_argument("--die-before-commit", type=int, default=-1)
    a = ap.parse_args()
    paths = resolve_data_dir(a.data_dir)
    conn = db.connect(paths.database)
    store = PhotoStore(paths.photos)
    t0 = datetime(2026, 6, 24, 8, 0, tzinfo=UTC)
    for i in range(a.start, a.count):
        data = fake_photo(a.prefix, i)
        with db.transaction(conn):
            sp = store.put(data, "jpeg")
            if i == a.die_after_put:
                os.kill(os.getpid(), signal.SIGKILL)
            photo = repo.insert_photo(
                conn,
                a.session,
                repo.NewPhoto(
                    sp.sha256, sp.name, f"{a.prefix}-{i}.jpg", 640, 480, t0 + timedelta(minutes=i), "given"
                ),
            )
            repo.save_analysis(
                conn,
                photo.id,
                quality_ok=True,
                record={"name": photo.original_name},
                findings=[Finding("f1", "pustule", 10.0, 20.0, 3.0, None, "chin", 0.5)],
            )
            repo.save_comparison(
                conn,
                repo.NewComparison(
                    photo.id,
                    photo.id,
                    i / 60.0,
                    True,
                    repo.ComparisonRecord(warnings=(f"i={i}",)),
                    {"chin": repo.RegionDelta(1.0, 0.5, False)},
                ),
            )
            if i == a.die_before_commit:
                os.kill(os.getpid(), signal.SIGKILL)
        print(f"committed {a.prefix}-{i}", flush=True)
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
