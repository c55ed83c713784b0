"""``skintrack app [--data-dir DIR]``: open the desktop app."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", metavar="DIR",
                   help="data folder (default: $SKINTRACK_HOME, else your user data folder)")
    p.add_argument("--fake-camera", metavar="PHOTO", nargs="+",
                   help="play these photos as the camera (for trying the app without a webcam)")


def run(args: argparse.Namespace) -> int:
    from skintrack.app import run_app

    factory = None
    if args.fake_camera:
        from skintrack.app.camera import FakeCamera

        photos = list(args.fake_camera)
        factory = lambda: FakeCamera(photos, drift_px=1.5)  # noqa: E731
    return run_app(data_dir=args.data_dir, source_factory=factory)
