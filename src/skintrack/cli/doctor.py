"""``skintrack doctor [--restore [BACKUP]]``: check the saved data; put a backup back.

Without options it changes nothing: it runs SQLite's full integrity check, reads every row, checks
every stored photo against its hash and lists the backups (``backups/`` in the data folder).
When the database is damaged it names the newest good backup and, at a terminal, offers to put
it back. ``--restore`` does that; the damaged database is moved to ``set-aside/``, never deleted.
Exit status: 0 all well, 1 problems found, 2 refused.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir", metavar="DIR", help="data folder (default: $SKINTRACK_HOME, else the user data folder)"
    )
    p.add_argument(
        "--restore",
        nargs="?",
        const="newest",
        metavar="BACKUP",
        help="put a backup back as the database (default: the newest good one; or a "
        "file name from the list); the current database is set aside, not deleted. "
        "Close the app and other skintrack commands first",
    )


def _local(when) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


def _choose(diagnosis, wanted: str):
    from pathlib import Path

    from skintrack.core.errors import SkintrackError

    good = diagnosis.healthy_backups
    if wanted == "newest":
        if not good:
            raise SkintrackError("there is no good backup to put back; see `skintrack doctor`")
        return good[0]
    for b in diagnosis.backups:
        if wanted in (b.path.name, str(b.path)) or Path(wanted).resolve() == b.path.resolve():
            if b.problem:
                raise SkintrackError(f"the backup {b.path.name} cannot be used: {b.problem}")
            return b
    raise SkintrackError(f"there is no backup {wanted!r}; `skintrack doctor` lists them")


def _restore(backup, data_dir) -> int:
    from skintrack.tracking import restore_backup

    aside = restore_backup(backup, data_dir)
    print(
        f"restored the backup {backup.path.name} (taken {_local(backup.taken_at)}, "
        f"{backup.sessions} session(s))"
    )
    if aside is not None:
        print(f"the database it replaces was moved to {aside} (not deleted)")
    return 0


def run(args: argparse.Namespace) -> int:
    from skintrack.tracking import data_paths, diagnose

    root = data_paths(args.data_dir).root
    d = diagnose(args.data_dir)
    if args.restore:
        return _restore(_choose(d, args.restore), args.data_dir)
    print(f"data folder: {root}")
    for n in d.notes:
        print(f"  {n}")
    for p in d.problems:
        print(f"  problem: {p}")
    if not d.problems:
        print("  no problem found")
    if d.backups:
        print("backups (newest first):")
        for b in d.backups:
            state = f"{b.sessions} session(s)" if not b.problem else f"not usable: {b.problem}"
            print(f"  {b.path.name}  taken {_local(b.taken_at)}  {state}")
    else:
        print("no backups yet (one is taken each day skintrack opens data with sessions in it)")
    if d.damaged:
        good = d.healthy_backups
        if not good:
            print(
                "the database cannot be used and there is no good backup; keep the file: "
                "nothing in it is deleted by skintrack"
            )
            return 1
        print(
            f"the database cannot be used; put the backup {good[0].path.name} back with: "
            "skintrack doctor --restore"
        )
        if sys.stdin.isatty() and sys.stdout.isatty():
            answer = input(f"Put {good[0].path.name} back now? The damaged database is kept aside. [y/N] ")
            if answer.strip().lower() in ("y", "yes"):
                return _restore(good[0], args.data_dir)
    return 1 if d.problems else 0
