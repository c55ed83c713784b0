"""``skintrack report SESSION -o FILE.pdf|FILE.html``: export a session report.

The format follows the file name. Progress goes to stderr as a bar (one line per step when stderr
is not a terminal); the path written goes to stdout.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from skintrack.cli import positive_id


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("session", type=positive_id, metavar="SESSION", help="session number (see `session list`)")
    p.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="the report file: FILE.pdf or FILE.html"
    )
    p.add_argument(
        "--data-dir", metavar="DIR", help="data folder (default: $SKINTRACK_HOME, else the user data folder)"
    )
    p.add_argument(
        "--as-of",
        metavar="TIME",
        help="report the session as at this ISO time (default now; local time unless it has +02:00 or Z)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")


class ProgressBar:
    """``progress(done, total, text)`` drawn on stderr: one redrawn line on a terminal, plain
    lines otherwise (logs, CI)."""

    WIDTH = 28

    def __init__(self, label: str, *, stream=None, enabled: bool = True) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._open = False

    def __call__(self, done: int, total: int, text: str = "") -> None:
        if not self.enabled:
            return
        total = max(int(total), 1)
        done = min(max(int(done), 0), total)
        filled = round(self.WIDTH * done / total)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        line = f"{self.label} [{bar}] {100 * done // total:3d}% {text}"
        if self.tty:
            self.stream.write("\r" + line[:100].ljust(100))
            self._open = True
            if done >= total:
                self.finish()
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False


def parse_as_of(text: str | None) -> datetime | None:
    from skintrack.core.errors import SkintrackError
    from skintrack.core.intake import plausible_time
    from skintrack.core.printable import for_terminal, shorten

    if not text:
        return None
    refused = SkintrackError(
        f"--as-of {shorten(for_terminal(text), 40)!r}: give an ISO time such as 2026-06-24T16:30"
    )
    try:
        when = datetime.fromisoformat(text.strip())
        when = when if when.tzinfo is not None else when.astimezone()
    except (ValueError, OverflowError):
        raise refused from None
    if not plausible_time(when):
        raise refused
    return when


def export_session(tracker, session_id: int, output: str, *, now: datetime | None = None, progress=None):
    """Build the report of one session and write it; return the path written.

    ``progress(done, total, text)`` sees one continuous count over reading the session and
    writing the file.
    """
    from pathlib import Path

    from skintrack.report.build import build_report
    from skintrack.report.export import ReportError, export_report, report_format

    # Refuse a bad file name or folder before any slow work.
    report_format(output)
    if not Path(output).resolve().parent.is_dir():
        raise ReportError(f"{Path(output).parent}: no such folder")
    rows = tracker.photos(session_id)
    build_steps = len(rows) + 1
    write_steps = 2 * (len(rows) + 4)  # what the writers report for this many photos
    total = build_steps + write_steps

    def build_progress(done, _total, text):
        if progress is not None:
            progress(done, total, text)

    def write_progress(done, wtotal, text):
        if progress is not None:
            progress(build_steps + round(done * write_steps / max(wtotal, 1)), total, text)

    model = build_report(tracker, session_id, now=now, progress=build_progress)
    return export_report(model, output, progress=write_progress)


def run(args: argparse.Namespace) -> int:
    from skintrack.tracking import Tracker

    now = parse_as_of(args.as_of)
    bar = ProgressBar("report", enabled=not args.quiet)
    try:
        with Tracker(args.data_dir) as tracker:
            path = export_session(tracker, args.session, args.output, now=now, progress=bar)
    finally:
        bar.finish()
    from skintrack.core.printable import for_terminal

    print(for_terminal(path))
    return 0
