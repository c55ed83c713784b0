"""Screenshots of every page of the desktop app, into ``docs/screenshots/``.

Runs offscreen (no display needed): a fake camera plays a sample face; a session is made in a
temporary data folder with a real sample photo as the baseline and three photos "after treatment"
rendered by the redness phantom (a normal fade on the cheeks). On the Check page the questions are
answered as the person would; ``check-checklist`` shows the checklist before treatment for a
beginner with a roller in a stuffy room (issue 17); ``check-postpone`` is a second sample face with
a 4 mm pustule painted on the left cheek by ``simulate/lesions.py``, checked without a session;
``recovery-endpoint`` is a second session whose first photo is far redder than slightly pink
(+7.5 a* rendered 20 minutes after treatment): the end-point message. Each page is
grabbed with ``QWidget.grab()``. ``--scale 1.25`` renders at 125 % scaling (files end in
``-125``).

    .venv/bin/python scripts/screenshots.py [--scale 1.25] [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_images"
TREATED = ("left_cheek", "right_cheek")


def make_photos(folder: Path, treated_at: datetime) -> tuple[Path, list[Path]]:
    import numpy as np
    from PIL import Image

    from skintrack.core.face import FaceEngine
    from skintrack.core.intake import load_photo
    from skintrack.core.regions import compute_regions
    from skintrack.simulate.phantom import add_redness

    rgb = load_photo(SAMPLES / "aptus_5.png").rgb
    with FaceEngine() as engine:
        regions = compute_regions(rgb, engine.detect(rgb).face)

    def save(img, name, when):
        path = folder / name
        Image.fromarray(img).save(path)
        os.utime(path, (when.timestamp(), when.timestamp()))
        return path

    baseline = save(rgb, "before.png", treated_at - timedelta(minutes=40))
    pustule = _pustule_photo(folder / "pustule.png")
    later = []
    for i, hours in enumerate((0.5, 1.5, 2.4)):
        delta = 6.0 * np.exp(-hours / 1.5)
        red = add_redness(rgb, regions, delta_a_star=dict.fromkeys(TREATED, delta), seed=i)
        later.append(save(red, f"after_{hours:g}h.png", treated_at + timedelta(hours=hours)))
    return baseline, later, pustule


def too_red_photos(folder: Path, treated_at: datetime) -> tuple[Path, Path]:
    """A baseline and a first photo 20 minutes after treatment, +7.5 a* on the cheeks."""
    from PIL import Image

    from skintrack.core.face import FaceEngine
    from skintrack.core.intake import load_photo
    from skintrack.core.regions import compute_regions
    from skintrack.simulate.phantom import add_redness

    rgb = load_photo(SAMPLES / "aptus_5.png").rgb
    with FaceEngine() as engine:
        regions = compute_regions(rgb, engine.detect(rgb).face)
    out = []
    for name, img, when in (
        ("before-2.png", rgb, treated_at - timedelta(minutes=30)),
        (
            "hard_0.3h.png",
            add_redness(rgb, regions, delta_a_star=dict.fromkeys(TREATED, 7.5), seed=9),
            treated_at + timedelta(minutes=20),
        ),
    ):
        path = folder / name
        Image.fromarray(img).save(path)
        os.utime(path, (when.timestamp(), when.timestamp()))
        out.append(path)
    return out[0], out[1]


def _pustule_photo(path: Path) -> Path:
    """A clean sample face with a 4 mm pustule painted on the left cheek (simulate/lesions)."""
    from PIL import Image

    from skintrack.core.face import FaceEngine
    from skintrack.core.intake import load_photo
    from skintrack.simulate.lesions import render

    rgb = load_photo(SAMPLES / "0-f15-hao-ph.jpg").rgb
    with FaceEngine() as engine:
        face = engine.detect(rgb).face
    Image.fromarray(render(rgb, face, "pustule", "left_cheek", 4.0, seed=7)[0]).save(path)
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--size", default="1280x820", help="window size in logical pixels")
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.scale != 1.0:
        os.environ["QT_SCALE_FACTOR"] = f"{args.scale:g}"
    suffix = "" if args.scale == 1.0 else f"-{round(args.scale * 100)}"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from skintrack.app import build_window
    from skintrack.app.camera import FakeCamera, OpenCVCamera

    _app = QApplication.instance() or QApplication(sys.argv[:1])  # kept alive until the end

    def wait(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def settle(window, timeout=120.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            wait(150)
            if not window.runner.active:
                wait(200)
                if not window.runner.active:
                    return
        raise RuntimeError("the app did not finish its work in time")

    def shot(widget, name: str) -> None:
        path = out / f"{name}{suffix}.png"
        widget.grab().save(str(path))
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)

    w_px, h_px = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        treated_at = datetime.now(UTC) - timedelta(hours=2.5)
        baseline, later, pustule = make_photos(tmp, treated_at)
        win = build_window(
            data_dir=tmp / "data", source_factory=lambda: FakeCamera([SAMPLES / "aptus_5.png"], drift_px=1.0)
        )
        win.resize(w_px, h_px)
        win.show()
        settle(win)
        c = win.controller
        c.new_session(
            device="roller",
            needle_mm=0.25,
            treated_regions=TREATED,
            treated_at=treated_at,
            notes="hyaluronic serum after",
        )
        settle(win)
        c.import_paths([baseline], "check")
        settle(win)
        # The questions, answered on the Check page (device and needle come from the session).
        for qid, value in (
            ("pregnant_or_breastfeeding", False),
            ("keloid_prone", False),
            ("anticoagulants", False),
            ("roller_reused", True),
            ("roller_disinfection", "alcohol_75_10min"),
            ("disinfected_hands_face_tool", True),
            ("beginner", False),
            ("room_clean", True),
            ("room_ventilated", True),
        ):
            win.check.questions.answer(qid, value)
        settle(win)
        win.capture.set_purpose("recovery")
        c.import_paths(later, "recovery")
        settle(win)
        win.message_bar.dismiss()

        win.show_page("sessions")
        win.sessions.table.selectRow(0)
        wait(200)
        shot(win, "sessions")
        win.show_page("capture")  # the preview starts again: wait for 20 new frames
        shown = win.capture.frames_shown
        while win.capture.frames_shown < shown + 20:
            wait(100)
        shot(win, "capture")
        win.show_page("check")
        wait(300)
        shot(win, "check")
        # The checklist (issue 17): a beginner with a reused roller in a stuffy room.
        win.check.questions.answer("beginner", True)
        win.check.questions.answer("room_ventilated", False)
        settle(win)
        win.check.scroll.ensureWidgetVisible(win.check.checklist)
        wait(300)
        shot(win, "check-checklist")
        win.show_page("recovery")
        wait(800)
        shot(win, "recovery")
        win.compare.later_chosen.emit(0)
        settle(win)
        win.compare.map_box.setChecked(True)
        win.compare.swipe.set_split(0.45)
        wait(300)
        shot(win, "compare")

        # A second session pressed too hard: the end-point message on the Recovery page.
        hard_at = datetime.now(UTC) - timedelta(minutes=40)
        before2, hard = too_red_photos(tmp, hard_at)
        c.new_session(device="roller", needle_mm=0.25, treated_regions=TREATED, treated_at=hard_at, notes="")
        settle(win)
        win.capture.set_purpose("check")
        c.import_paths([before2], "check")
        settle(win)
        win.capture.set_purpose("recovery")
        c.import_paths([hard], "recovery")
        settle(win)
        win.message_bar.dismiss()
        win.show_page("recovery")
        wait(800)
        shot(win, "recovery-endpoint")

        # A check without a session: a pustule on the cheek to be treated, two questions left.
        c.close_session()
        win.capture.set_purpose("check")
        c.import_paths([pustule], "check")
        settle(win)
        win.check.region_boxes["left_cheek"].setChecked(True)
        win.check.region_boxes["right_cheek"].setChecked(True)
        for qid, value in (
            ("pregnant_or_breastfeeding", False),
            ("keloid_prone", False),
            ("anticoagulants", False),
            ("device", "pen"),
            ("needle_mm", 0.5),
        ):
            win.check.questions.answer(qid, value)
        win.check.scroll.ensureWidgetVisible(win.check.rows[0])
        win.message_bar.dismiss()
        wait(300)
        shot(win, "check-postpone")

        from skintrack.app.pages.sessions import NewSessionDialog

        dialog = NewSessionDialog(win)
        dialog.device.setCurrentIndex(dialog.device.findData("roller"))
        dialog.region_boxes["left_cheek"].setChecked(True)
        dialog.region_boxes["right_cheek"].setChecked(True)
        dialog.show()
        wait(200)
        shot(dialog, "new-session")
        dialog.close()
        win.close()

        nocam = build_window(data_dir=tmp / "data2", source_factory=lambda: OpenCVCamera(97))
        nocam.resize(w_px, h_px)
        nocam.show()
        nocam.show_page("capture")
        end = time.monotonic() + 20
        while not nocam.capture.camera_message and time.monotonic() < end:
            wait(100)
        wait(200)
        shot(nocam, "capture-no-camera")
        nocam.close()
    return 0


if __name__ == "__main__":
    if "--both" in sys.argv:  # normal and 125 % in two processes (the scale is per process)
        argv = [a for a in sys.argv[1:] if a != "--both"]
        for extra in ([], ["--scale", "1.25"]):
            subprocess.run([sys.executable, __file__, *argv, *extra], check=True)
        sys.exit(0)
    sys.exit(main())
