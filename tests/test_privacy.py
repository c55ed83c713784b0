"""Private by design: the whole main job runs with the network switched off, and writes only
where it is told to."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

GUARD = """
import socket, sys
class NoNetwork(OSError):
    pass
def refuse(*a, **k):
    raise NoNetwork("network access attempted")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from skintrack.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_demo_runs_with_the_network_refused_and_stays_in_its_folder(tmp_path):
    out_dir = tmp_path / "out"
    home = tmp_path / "home"
    home.mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "QT_QPA_PLATFORM": "offscreen",
           "XDG_DATA_HOME": str(home / "xdg-data"), "XDG_CONFIG_HOME": str(home / "xdg-config")}
    r = subprocess.run([sys.executable, "-c", GUARD, "demo", "-o", str(out_dir)],
                       capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "network access attempted" not in r.stderr
    assert (out_dir / "skintrack-demo-report.pdf").is_file()
    assert (out_dir / "skintrack-demo-report.html").is_file()
    # Nothing was written into the user's own data or config folders (matplotlib's font cache
    # in ~/.cache holds only font names).
    written = [p for p in home.rglob("*") if p.is_file() and ".cache" not in p.parts]
    assert written == [], written
