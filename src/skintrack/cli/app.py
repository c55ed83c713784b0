"""``skintrack app [--data-dir DIR]``: open the desktop app."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir", metavar="DIR", help="data folder (default: $SKINTRACK_HOME, else your user data folder)"
    )
    p.add_argument(
        "--fake-camera",
        metavar="PHOTO",
        nargs="+",
        help="play these photos as the camera (for trying the app without a webcam)",
    )
    # For smoke tests of an installed program or the bundle (`make dist-check`): open the window,
    # then close it as a person would after this many seconds.
    p.add_argument("--quit-after", type=float, metavar="SECONDS", help=argparse.SUPPRESS)


def display_problem(environ=None, platform: str | None = None) -> str | None:
    """Why Qt could not open a window here, as one sentence, or None.

    Qt aborts the whole process (no exception to catch) when it finds no display, so the command
    checks first. Only Linux/BSD desktops need an X11 or Wayland display; macOS and Windows always
    have one.
    """
    import os
    import sys

    env = os.environ if environ is None else environ
    plat = sys.platform if platform is None else platform
    if env.get("QT_QPA_PLATFORM") or not plat.startswith(("linux", "freebsd", "openbsd")):
        return None
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return (
        "no display to open a window on (neither DISPLAY nor WAYLAND_DISPLAY is set); run "
        "skintrack app from your desktop session"
    )


def run(args: argparse.Namespace) -> int:
    problem = display_problem()
    if problem:
        from skintrack.core.errors import SkintrackError

        raise SkintrackError(problem)
    from skintrack.app import run_app

    factory = None
    if args.fake_camera:
        from skintrack.app.camera import FakeCamera

        photos = list(args.fake_camera)
        factory = lambda: FakeCamera(photos, drift_px=1.5)  # noqa: E731
    quit_after_ms = None if args.quit_after is None else max(0, int(args.quit_after * 1000))
    return run_app(data_dir=args.data_dir, source_factory=factory, quit_after_ms=quit_after_ms)
