"""Runs the real ``skintrack app`` command and closes it once it has done its first real work.

``python app_driver.py DATA_DIR PHOTO``

The app starts exactly as ``skintrack app --data-dir DATA_DIR --fake-camera PHOTO`` (the command
line, the window, its services and warm-up), offscreen. The driver then opens the Capture page,
waits for the live preview to find the face in a camera frame, imports PHOTO for a check, waits
until its analysis is on the Check page, and closes the window as a person would. One line on
stdout per step; exit status 3 if the steps are not done within ``SKINTRACK_DRIVER_TIMEOUT_S``
(default 600 s). Used by ``test_privacy.py`` under strace: a real process, no mocks.
"""

from __future__ import annotations

import os
import sys


def main(data_dir: str, photo: str) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    import skintrack.app as app_package
    from skintrack.cli import main as cli_main

    build_window = app_package.build_window
    timeout_ms = int(float(os.environ.get("SKINTRACK_DRIVER_TIMEOUT_S", "600")) * 1000)

    def driven_window(**kwargs):
        window = build_window(**kwargs)
        steps = {"frame": False, "imported": False}

        def poll() -> None:
            if not window.isVisible():
                return
            if not steps["frame"]:
                if window.current_page() != "capture":
                    window.show_page("capture")
                guidance = window.capture.last_guidance
                if guidance is not None and guidance.face_box is not None:
                    steps["frame"] = True
                    print("face found in a live frame", flush=True)
                    window.controller.import_paths([photo])
                    steps["imported"] = True
            elif steps["imported"]:
                analysis = window.controller.model.analysis
                if analysis is not None and analysis.face is not None:
                    print("photo analysed", flush=True)
                    timer.stop()
                    window.close()
                    return

        def give_up() -> None:
            print("timed out", flush=True)
            QApplication.instance().exit(3)

        timer = QTimer(window)
        timer.setInterval(100)
        timer.timeout.connect(poll)
        timer.start()
        QTimer.singleShot(timeout_ms, give_up)
        return window

    app_package.build_window = driven_window
    return cli_main(["app", "--data-dir", data_dir, "--fake-camera", photo])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
