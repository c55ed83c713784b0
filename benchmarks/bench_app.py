"""Desktop app speed: time until the window is shown, and the live preview frame rate.

Targets (issue 6): window shown <= 2 s after launch; live preview with the mesh overlay >= 25 frames
per second at 1280 x 720 from the fake camera.

The launch is timed from outside: ``skintrack app`` is started as a new process (interpreter
start, imports, window built and shown) and the clock stops when the window reports it has been
shown (``SKINTRACK_STARTUP_REPORT=1``). The preview is timed in-process, offscreen: frames the
Capture page painted per second, with the camera unpaced (how fast the pipeline can go) and
paced at 30 fps (what a webcam gives).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, SAMPLES  # noqa: E402


def launch_times(repeat: int = 5) -> list[float]:
    env = dict(os.environ, SKINTRACK_STARTUP_REPORT="1", QT_QPA_PLATFORM="offscreen")
    out = []
    with tempfile.TemporaryDirectory() as data:
        for _ in range(repeat):
            t0 = time.perf_counter()
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "skintrack",
                    "app",
                    "--data-dir",
                    data,
                    "--fake-camera",
                    str(SAMPLES / "aptus_1.png"),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                cwd=ROOT,
                env=env,
            )
            line = proc.stdout.readline()
            elapsed = time.perf_counter() - t0
            proc.terminate()
            proc.wait(10)
            if "window shown" not in line:
                raise RuntimeError(f"the app did not report its window: {line!r}")
            out.append(elapsed)
    return out


def preview_rate(fps: float | None, seconds: float = 6.0) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from skintrack.app.camera import FakeCamera
    from skintrack.app.model import AppModel
    from skintrack.app.pages.capture import CapturePage

    app = QApplication.instance() or QApplication([])
    page = CapturePage(
        AppModel(),
        lambda: FakeCamera([SAMPLES / "aptus_1.png", SAMPLES / "obama.jpg"], fps=fps, drift_px=2.0),
    )
    page.resize(1280, 800)
    page.show()

    def wait(ms):
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    while page.frames_shown < 5:  # model loaded, first frames through
        wait(50)
    p = page.preview
    shown0, proc0, cpu0, t0 = page.frames_shown, p.frames_processed, p.cpu_seconds, time.perf_counter()
    painted0 = page.view.paint_count
    gui0 = time.process_time()
    wait(int(seconds * 1000))
    dt = time.perf_counter() - t0
    n = max(1, p.frames_processed - proc0)
    work = sorted(list(p.frame_seconds)[-n:])
    image = page.view.image()
    result = {
        "shown": (page.frames_shown - shown0) / dt,
        "painted": (page.view.paint_count - painted0) / dt,
        "processed": (p.frames_processed - proc0) / dt,
        "cpu_ms": (p.cpu_seconds - cpu0) / n * 1e3,
        "process_cpu_ms": (time.process_time() - gui0) / n * 1e3,
        "size": p.last_frame.shape[1::-1],
        "picture": (image.width(), image.height()),
        "work_p50_ms": work[len(work) // 2] * 1e3,
        "work_p95_ms": work[int(len(work) * 0.95)] * 1e3,
        "late": sum(w > 1 / 30 for w in work) / max(1, len(work)),
    }
    page.stop()
    page.close()
    app.processEvents()
    return result


def main() -> None:
    times = launch_times()
    print(f"skintrack app, process start -> window shown (offscreen), {len(times)} runs:")
    print(
        f"  median {statistics.median(times):.2f} s, best {min(times):.2f} s, "
        f"worst {max(times):.2f} s   (target <= 2 s)"
    )
    for fps in (None, 30.0):
        r = preview_rate(fps)
        label = "unpaced camera" if fps is None else f"camera paced at {fps:g} fps"
        print(
            f"live preview with mesh overlay, {r['size'][0]} x {r['size'][1]} frames shown "
            f"as {r['picture'][0]} x {r['picture'][1]} in a 1280 x 800 window, {label}:"
        )
        print(
            f"  {r['painted']:.1f} frames painted/s ({r['shown']:.1f} handed to the screen), "
            f"{r['processed']:.1f} frames analysed/s   (target >= 25)"
        )
        print(
            f"  work per frame (wall, camera wait excluded): median {r['work_p50_ms']:.1f} ms, "
            f"95th percentile {r['work_p95_ms']:.1f} ms, {r['late']:.1%} over 33 ms"
        )
        print(
            f"  CPU per frame: preview thread {r['cpu_ms']:.1f} ms, whole process "
            f"{r['process_cpu_ms']:.1f} ms (all threads, incl. painting and OpenCV's own)"
        )
    print(f"machine load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
