"""Speed of the session report: a session with 8 photos (baseline + 7 follow-ups), PDF and HTML.

Target (issue 7): a report of a session with 8 photos in <= 5 s. Measured in-process after the
face model has loaded (as ``skintrack report`` or the app's Export run it: read the session,
analyse and compare each photo again for its map, lay out, write), and as a cold command
(``skintrack report``: interpreter start, imports, model load included). The follow-ups are phantom
renders of a real sample face; two photo sizes: the sample's own 787 x 1050, and a 12 MP phone
photo (3024 x 4032 JPEG). CPU time is printed beside wall time because the benchmark machine is
shared.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, SAMPLES, make_12mp_jpeg  # noqa: E402

TREATED = ("forehead", "left_cheek", "right_cheek")
HOURS = (0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0)
NOW = datetime(2026, 3, 12, 16, 0, tzinfo=UTC)
TREATED_AT = NOW - timedelta(hours=7)


def make_session(data_dir: Path, photo: Path, engine) -> int:
    from skintrack.core.analysis import analyze_photo
    from skintrack.core.intake import load_photo
    from skintrack.core.phantom import add_redness, change_light
    from skintrack.report.images import encode_jpeg
    from skintrack.tracking import PhotoSource, Tracker

    with Tracker(data_dir, engine=engine) as t:
        s = t.new_session(device="roller", needle_mm=0.25, treated_regions=TREATED,
                          treated_at=TREATED_AT, now=NOW, notes="benchmark: SIMULATED")
        t.set_baseline(s.id, PhotoSource(photo.read_bytes(), photo.name,
                                         taken_at=TREATED_AT - timedelta(minutes=10)), now=NOW)
        base = analyze_photo(load_photo(photo), engine, find_lesions=False)
        sources = []
        for i, h in enumerate(HOURS):
            d = 6.0 * 2.718 ** (-h / 1.6)
            rgb = add_redness(base.photo.rgb, base.regions, delta_a_star={r: d for r in TREATED})
            rgb = change_light(rgb, exposure=1.0 - 0.01 * i)
            sources.append(PhotoSource(encode_jpeg(rgb, quality=90), f"SIMULATED-{h:g}h.jpg",
                                       taken_at=TREATED_AT + timedelta(hours=h, minutes=1)))
        t.add_photos(s.id, sources, now=NOW)
        return s.id


def measure(data_dir: Path, sid: int, engine, out: Path, repeat: int = 3) -> dict:
    from skintrack.report.build import build_report
    from skintrack.report.export import export_report
    from skintrack.tracking import Tracker

    rows: dict[str, list[tuple[float, float]]] = {}

    def timed(key, fn):
        w, c = time.perf_counter(), time.process_time()
        r = fn()
        rows.setdefault(key, []).append((time.perf_counter() - w, time.process_time() - c))
        return r

    with Tracker(data_dir, engine=engine) as t:
        build_report(t, sid, now=NOW)  # warm-up (first matplotlib and font use)
        for _ in range(repeat):
            model = timed("build model (8 photos)", lambda: build_report(t, sid, now=NOW))
            timed("write PDF", lambda m=model: export_report(m, out / "r.pdf"))
            timed("write HTML", lambda m=model: export_report(m, out / "r.html"))
    res = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
           for k, v in rows.items()}
    b = res["build model (8 photos)"]
    res["total, PDF"] = (b[0] + res["write PDF"][0], b[1] + res["write PDF"][1])
    res["total, HTML"] = (b[0] + res["write HTML"][0], b[1] + res["write HTML"][1])
    res["_sizes"] = ((out / "r.pdf").stat().st_size, (out / "r.html").stat().st_size)
    return res


def cold_command(data_dir: Path, sid: int, out: Path, suffix: str, runs: int = 3):
    """(median, best) wall time of the whole command, a fresh interpreter each run."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "skintrack", "report", str(sid), "-o",
                        str(out / f"cold{suffix}"), "--data-dir", str(data_dir), "-q",
                        "--as-of", NOW.isoformat()],
                       check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def main() -> None:
    from skintrack.core.face import FaceEngine

    tmp = Path(tempfile.mkdtemp(prefix="skintrack_bench_report_"))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with FaceEngine() as engine:
        for label, photo in (("787 x 1050 sample", SAMPLES / "aptus_1.png"),
                             ("12 MP JPEG", make_12mp_jpeg(Path(tempfile.gettempdir())
                                                           / "skintrack_bench_12mp.jpg"))):
            data = tmp / label.split()[0]
            sid = make_session(data, photo, engine)
            res = measure(data, sid, engine, tmp)
            pdf_kb, html_kb = (s / 1024 for s in res.pop("_sizes"))
            print(f"report of a session with 8 photos, {label} (median of 3, after warm-up):")
            for k, (w, c) in res.items():
                mark = "   (target <= 5 s)" if k.startswith("total") else ""
                print(f"  {k:<24} {w:6.2f} s wall  {c:6.2f} s CPU{mark}")
            print(f"  sizes: PDF {pdf_kb:.0f} KB, HTML {html_kb:.0f} KB")
            for suffix in (".pdf", ".html"):
                med, best = cold_command(data, sid, tmp, suffix)
                print(f"  cold `skintrack report -o x{suffix}` median {med:.2f} s, best {best:.2f} s "
                      "wall (start, imports, face model included)")


if __name__ == "__main__":
    main()
