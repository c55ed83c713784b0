"""The bundle's entry point: the same ``skintrack`` command as the installed package's script."""

import os
import sys


def _matplotlib_settings_as_installed() -> None:
    """matplotlib's settings and font cache where an installed skintrack keeps them (its default
    folders, or the person's own MPLCONFIGDIR), not a new temporary folder each start."""
    before = os.environ.pop("_SKINTRACK_MPLCONFIGDIR", None)
    if before is None:
        return
    if before.startswith("set:"):
        os.environ["MPLCONFIGDIR"] = before.removeprefix("set:")
    else:
        os.environ.pop("MPLCONFIGDIR", None)


if __name__ == "__main__":
    _matplotlib_settings_as_installed()
    from skintrack.cli import main

    sys.exit(main())
