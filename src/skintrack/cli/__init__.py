"""The ``skintrack`` command line: a thin layer over core, tracking (the one door into the data)
and report.

Each sub-command lives in its own module with ``add_arguments(parser)`` and ``run(args) -> int``;
modules import heavy libraries inside ``run`` so that ``skintrack --help`` answers at once.
Errors the user can act on print one line and exit 2; nothing prints a traceback unless
``SKINTRACK_DEBUG=1``.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import logging
import os
import sys
from typing import Any, NoReturn, TextIO

from skintrack import __version__

#: name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "analyze": ("skintrack.cli.analyze", "find the face, its regions and capture quality in photos"),
    "compare": ("skintrack.cli.compare", "redness change between a baseline and a later photo"),
    "check": ("skintrack.cli.check", "pre-treatment check: GO, REVIEW or POSTPONE"),
    "session": ("skintrack.cli.session", "treatment sessions and recovery tracking"),
    "report": ("skintrack.cli.report", "export a session report (PDF or HTML)"),
    "demo": ("skintrack.cli.demo", "build a sample session from the bundled photos and report it"),
    "app": ("skintrack.cli.app", "open the desktop app"),
    "doctor": ("skintrack.cli.doctor", "check the saved data and put a backup back if it is damaged"),
}


class UsageError(Exception):
    """The command line does not fit the commands (argparse's complaint, one sentence)."""

    def __init__(self, message: str, prog: str) -> None:
        super().__init__(message)
        self.prog = prog

    def line(self) -> str:
        """One line for stderr: what is wrong, and where to read how it is used."""
        where = self.prog.removeprefix("skintrack").strip()
        return f"{where + ': ' if where else ''}{self}; see `{self.prog} --help`"


class _Parser(argparse.ArgumentParser):
    """argparse, except that a usage error is raised for :func:`main` to print as one line
    instead of the usage block and exit status 2 printed here. Sub-command parsers are of the
    same class (argparse makes them with ``type(parent)``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The commands that take ``--data-dir`` (named when it is given to another one).
        self.data_dir_commands: list[str] = []

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, self.prog)


#: Region names for help texts: the identifiers, each side anatomical.
REGIONS_HELP = (
    "forehead, left_cheek (the person's own left), right_cheek, nose, chin, perioral "
    '(around the mouth); words such as "left cheek" work too'
)


def parse_regions(text: str, option: str = "--treated") -> tuple[str, ...]:
    """Comma-separated region names as a person types them -> region identifiers, in order.

    Identifiers (``left_cheek``) and the words the reports print (``left cheek``, ``around the
    mouth``) are accepted in any case, with hyphens or underscores (:func:`~skintrack.core.regions.
    region_named`); an unknown name is refused with one line naming it and the choices.
    """
    from skintrack.core.errors import SkintrackError
    from skintrack.core.printable import for_terminal, shorten
    from skintrack.core.regions import REGION_NAMES, region_named
    from skintrack.words import region_name

    names = [t.strip() for t in text.split(",") if t.strip()]
    found = [region_named(n) for n in names]
    unknown = [n for n, r in zip(names, found, strict=True) if r is None]
    if unknown:
        shown = ", ".join(repr(shorten(for_terminal(n), 40)) for n in unknown[:3])
        choices = ", ".join(region_name(n) for n in REGION_NAMES)
        raise SkintrackError(
            f"{option}: unknown region{'s' if len(unknown) > 1 else ''} {shown}; "
            f"the regions are {choices} (left and right are the person's own), "
            "separated by commas"
        )
    return tuple(dict.fromkeys(r for r in found if r is not None))


def build_parser() -> _Parser:
    parser = _Parser(
        prog="skintrack",
        description="Offline photo checks and redness tracking for safe at-home microneedling.",
    )
    parser.add_argument("--version", action="version", version=f"skintrack {__version__}")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="data folder of the session, report, doctor and app commands "
        "(default: $SKINTRACK_HOME, else the user data folder); it may also "
        "come after the command",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (modname, help_text) in COMMANDS.items():
        try:
            mod = importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            if exc.name != modname:
                raise
            continue  # a command whose module has not landed yet
        p = sub.add_parser(name, help=help_text, description=help_text)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
        for action in p._actions:
            if "--data-dir" in action.option_strings:
                # Unset, the command's own --data-dir must not reset one given before the command.
                action.default = argparse.SUPPRESS
                p.set_defaults(_takes_data_dir=True)
                parser.data_dir_commands.append(name)
    return parser


#: The longest error line printed (characters): a huge value given on the command line or read
#: from a file is cut, never echoed whole.
MAX_ERROR_CHARS = 400


def fail(message: str, code: int = 2) -> int:
    """Print one readable error line and return the exit status.

    Control characters (an escape sequence in a file name, a newline in a value) are shown escaped,
    so the message stays one line and cannot drive the terminal; a very long one is cut.
    """
    from skintrack.core.printable import for_terminal, shorten

    print(f"skintrack: {shorten(for_terminal(message), MAX_ERROR_CHARS)}", file=sys.stderr)
    return code


def positive_id(text: str) -> int:
    """A session number from the command line: a positive integer SQLite can hold.

    Anything else (a word, zero, a number too large to be any session) is refused with one short
    line (:class:`~skintrack.core.errors.SkintrackError`, which :func:`main` prints), never with a
    huge value echoed or an overflow inside SQLite.
    """
    from skintrack.core.errors import SkintrackError
    from skintrack.core.printable import for_terminal, shorten

    t = text.strip()
    if not (t.isascii() and t.isdigit() and len(t) <= 19 and 0 < int(t) < 2**63):
        raise SkintrackError(
            f"there is no session {shorten(for_terminal(t), 30)!r}: a session is "
            "a whole number from 1 (see `skintrack session list`)"
        )
    return int(t)


class _Once(logging.Filter):
    """Each warning once per command, however often the row behind it is read."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if text in self.seen:
            return False
        self.seen.add(text)
        return True


class _WarningLines(logging.StreamHandler[TextIO]):
    """The command line's handler: set up once, however often :func:`show_warnings` runs."""


def show_warnings() -> None:
    """Warnings of the storage (a stored row that cannot be read, ...) as one stderr line each."""
    logger = logging.getLogger("skintrack")
    if not any(isinstance(h, _WarningLines) for h in logger.handlers):
        handler = _WarningLines(sys.stderr)
        handler.setFormatter(logging.Formatter("skintrack: warning: %(message)s"))
        handler.setLevel(logging.WARNING)
        handler.addFilter(_Once())
        logger.addHandler(handler)
        logger.propagate = False


def main(argv: list[str] | None = None) -> int:
    from skintrack.core.errors import SkintrackError

    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # named here, so the hint is the command's own --help
            action = getattr(args, "session_command", None)
            prog = " ".join(["skintrack", *filter(None, (args.command, action))])
            raise UsageError(f"unrecognized arguments: {' '.join(extra)}", prog)
        if args.data_dir is not None and args.command and not getattr(args, "_takes_data_dir", False):
            raise UsageError(
                "--data-dir is for the commands that use saved sessions ("
                f"{', '.join(parser.data_dir_commands)}), not this one",
                f"skintrack {args.command}",
            )
    except UsageError as exc:
        return fail(exc.line())
    except SkintrackError as exc:  # a value refused while parsing (see positive_id)
        return fail(str(exc))
    if not getattr(args, "_run", None):
        parser.print_help()
        return 0

    show_warnings()
    try:
        return int(args._run(args) or 0)
    except SkintrackError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except BrokenPipeError:
        # The reader went away (`skintrack ... | head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except OSError as exc:
        if os.environ.get("SKINTRACK_DEBUG"):
            raise
        if exc.errno == errno.ENOSPC:
            return fail("the disk is full; nothing was changed. Free some space and try again.")
        where = f" ({exc.filename})" if exc.filename else ""
        return fail(f"{exc.strerror or exc}{where}")
    except Exception as exc:  # last resort: one line, never a traceback
        if os.environ.get("SKINTRACK_DEBUG"):
            raise
        from skintrack.core.printable import shorten

        return fail(
            f"internal error: {type(exc).__name__}: {shorten(exc, 200)} (set SKINTRACK_DEBUG=1 for details)",
            1,
        )
