"""Running the command line in tests: in this process (``cli``) or as a person would, in a new
process (``run``)."""

from __future__ import annotations

import os
import subprocess
import sys

from skintrack.cli import main
from tests.conftest import ROOT


def cli(capsys, *args) -> tuple[int, str, str]:
    """``skintrack ARGS`` in this process: (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def run(*args, env_home=None) -> subprocess.CompletedProcess:
    """``python -m skintrack ARGS`` in a new process (text output; ``SKINTRACK_HOME`` when given)."""
    env = dict(os.environ)
    env.pop("SKINTRACK_DEBUG", None)
    if env_home is not None:
        env["SKINTRACK_HOME"] = str(env_home)
    return subprocess.run(
        [sys.executable, "-m", "skintrack", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env=env,
    )
