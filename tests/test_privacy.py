"""Private by design: no network at all (watched from outside, in the system calls of real runs),
and the main job writes only where it is told to."""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass

import pytest

from tests.conftest import ROOT, SAMPLES

pytestmark = pytest.mark.slow

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
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_DATA_HOME": str(home / "xdg-data"),
        "XDG_CONFIG_HOME": str(home / "xdg-config"),
    }
    r = subprocess.run(
        [sys.executable, "-c", GUARD, "demo", "-o", str(out_dir)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "network access attempted" not in r.stderr
    assert (out_dir / "skintrack-demo-report.pdf").is_file()
    assert (out_dir / "skintrack-demo-report.html").is_file()
    # Nothing was written into the user's own data or config folders (matplotlib's font cache
    # in ~/.cache holds only font names).
    written = [p for p in home.rglob("*") if p.is_file() and ".cache" not in p.parts]
    assert written == [], written


# --- No internet socket, watched from outside Python ----------------------------------------------
# The guard above patches Python's socket module: it cannot see a native library that opens its
# own sockets (MediaPipe's C++ usage logging did exactly that: a DNS query and a TLS connection
# to play.googleapis.com on every run, issue 12). These tests watch the system calls of real runs
# with strace, following every thread and child process.
#
# The rule is stricter than "no connect() off loopback": no AF_INET or AF_INET6 socket may be
# created at all. skintrack has no network code, so a legitimate one cannot exist; and a datagram
# socket sends with sendto() without ever calling connect(), so a connect-only rule could miss a
# DNS query or a UDP/QUIC beacon. Connects and sends to a non-loopback address are reported too.

STRACE = shutil.which("strace")
needs_strace = pytest.mark.skipif(STRACE is None, reason="strace is not installed (.ci/run installs it)")
#: execve too: the first line of a trace is then the traced program starting, with its pid.
TRACED_CALLS = "execve,socket,connect,sendto,sendmsg"
#: Generous: a loaded two-core CI machine, tracing on. Nothing here is timed.
RUN_TIMEOUT_S = 900

_CALL = re.compile(r"^(?P<pid>\d+)\s+(?P<call>socket|connect|sendto|sendmsg)\((?P<args>.*)$")
_FAMILY = re.compile(r"\b[AP]F_(INET6|INET)\b")
_ADDR4 = re.compile(r'inet_addr\("([^"]+)"\)')
_ADDR6 = re.compile(r'inet_pton\(AF_INET6,\s*"([^"]+)"')


@dataclass(frozen=True)
class NetCall:
    """One internet-family system call in a trace: who, which call, where to (None: not shown)."""

    pid: int
    call: str
    family: str  # "INET" or "INET6"
    address: str | None
    line: str

    @property
    def to_loopback(self) -> bool:
        if self.address is None:
            return False
        ip = ipaddress.ip_address(self.address.split("%")[0])
        mapped = getattr(ip, "ipv4_mapped", None)
        return ip.is_loopback or (mapped is not None and mapped.is_loopback)


def internet_calls(trace: str) -> list[NetCall]:
    """The AF_INET/AF_INET6 ``socket``, ``connect``, ``sendto`` and ``sendmsg`` calls of an
    ``strace -f -o FILE`` trace (lines start with the pid)."""
    out = []
    for line in trace.splitlines():
        m = _CALL.match(line.strip())
        if not m:
            continue
        fam = _FAMILY.search(m["args"])
        if not fam:
            continue
        addr = _ADDR6.search(m["args"]) or _ADDR4.search(m["args"])
        out.append(NetCall(int(m["pid"]), m["call"], fam[1], addr[1] if addr else None, line))
    return out


def offending(calls: list[NetCall]) -> list[str]:
    """Every internet socket created, and every connect or send not to loopback."""
    return [c.line for c in calls if c.call == "socket" or not c.to_loopback]


def _strace(trace_file) -> list[str]:
    cmd = [STRACE, "-f", "-e", f"trace={TRACED_CALLS}", "-o", str(trace_file)]
    # Filtering in the kernel (strace >= 5.3) keeps a traced run near full speed.
    probe = subprocess.run(
        [STRACE, "-f", "--seccomp-bpf", "-e", "trace=connect", "-o", os.devnull, "true"], capture_output=True
    )
    return cmd[:1] + ["--seccomp-bpf"] + cmd[1:] if probe.returncode == 0 else cmd


def _run_traced(args, tmp_path, **kw):
    trace_file = tmp_path / "strace.txt"
    r = subprocess.run(
        _strace(trace_file) + args, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, **kw
    )
    assert trace_file.is_file(), f"strace wrote no trace: {r.stderr[-2000:]}"
    trace = trace_file.read_text(errors="replace")
    # The trace must really cover the run: strace records the program starting and exiting.
    main_pid = _main_pid(trace)
    assert main_pid and re.search(rf"^{main_pid}\s+\+\+\+ exited with", trace, re.M), (
        f"strace could not follow the program (ptrace refused?): {r.stderr[-2000:]}"
    )
    return r, trace


def _main_pid(trace: str) -> str | None:
    m = re.match(r"(\d+)\s+execve\(", trace)
    return m[1] if m else None


def _private_env(tmp_path) -> dict:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return dict(
        os.environ,
        HOME=str(home),
        QT_QPA_PLATFORM="offscreen",
        XDG_DATA_HOME=str(home / "xdg-data"),
        XDG_CONFIG_HOME=str(home / "xdg-config"),
    )


def test_trace_reading_flags_internet_calls_and_spares_loopback():
    trace = "\n".join(
        [
            # MediaPipe 1.2's telemetry, as `strace -f` recorded it before issue 12: DNS, then TLS.
            "5354  socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 5",
            "5354  connect(5, {sa_family=AF_INET, sin_port=htons(53), "
            'sin_addr=inet_addr("10.255.255.53")}, 16) = 0',
            "5360  connect(7, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), "
            'inet_pton(AF_INET6, "2a00:1450:4001:82a::200e", &sin6_addr), sin6_scope_id=0}, 28 '
            "<unfinished ...>",
            '5361  sendto(9, "\\1\\0", 2, MSG_NOSIGNAL, {sa_family=AF_INET, sin_port=htons(443), '
            'sin_addr=inet_addr("142.250.185.78")}, 16) = 2',
            # Loopback and local sockets are no network.
            "5370  connect(3, {sa_family=AF_INET, sin_port=htons(8080), "
            'sin_addr=inet_addr("127.0.0.1")}, 16) = -1 ECONNREFUSED (Connection refused)',
            "5370  connect(4, {sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), "
            'inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0',
            '5370  connect(5, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT',
            "5370  socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 6",
            "5354  +++ exited with 0 +++",
        ]
    )
    calls = internet_calls(trace)
    assert [(c.pid, c.call, c.family, c.address) for c in calls] == [
        (5354, "socket", "INET", None),
        (5354, "connect", "INET", "10.255.255.53"),
        (5360, "connect", "INET6", "2a00:1450:4001:82a::200e"),
        (5361, "sendto", "INET", "142.250.185.78"),
        (5370, "connect", "INET", "127.0.0.1"),
        (5370, "connect", "INET6", "::1"),
    ]
    assert [c.to_loopback for c in calls] == [False, False, False, False, True, True]
    assert offending(calls) == [c.line for c in calls[:4]]


@needs_strace
def test_the_trace_sees_a_socket_opened_by_a_child_process(tmp_path):
    """The watch is not blind: a grandchild's loopback connect shows up with its own pid."""
    child = "import socket\ns = socket.socket()\ns.settimeout(5)\ns.connect_ex(('127.0.0.1', 9))\ns.close()\n"
    parent = f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {child!r}])\n"
    r, trace = _run_traced([sys.executable, "-c", parent], tmp_path)
    assert r.returncode == 0, r.stderr
    calls = internet_calls(trace)
    connects = [c for c in calls if c.call == "connect"]
    assert len(connects) == 1 and connects[0].address == "127.0.0.1" and connects[0].to_loopback
    assert str(connects[0].pid) != _main_pid(trace)  # not the traced program itself
    assert offending(calls) == [c.line for c in calls if c.call == "socket"] != []


@needs_strace
def test_demo_opens_no_internet_socket(tmp_path):
    out_dir = tmp_path / "out"
    r, trace = _run_traced(
        [sys.executable, "-m", "skintrack", "demo", "-o", str(out_dir)],
        tmp_path,
        cwd=ROOT,
        env=_private_env(tmp_path),
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert (out_dir / "skintrack-demo-report.pdf").is_file()
    bad = offending(internet_calls(trace))
    assert bad == [], "skintrack demo used the network:\n" + "\n".join(bad)


@needs_strace
def test_app_opens_no_internet_socket(tmp_path):
    """The real ``skintrack app`` offscreen: window, live preview on the fake camera until the
    face is found, one photo imported and analysed, window closed (tests/app_driver.py)."""
    data = tmp_path / "data"
    driver = ROOT / "tests" / "app_driver.py"
    r, trace = _run_traced(
        [sys.executable, str(driver), str(data), str(SAMPLES / "aptus_1.png")],
        tmp_path,
        cwd=ROOT,
        env=_private_env(tmp_path),
    )
    assert r.returncode == 0, r.stdout + r.stderr[-2000:]
    lines = r.stdout.splitlines()
    assert "face found in a live frame" in lines and "photo analysed" in lines, r.stdout
    bad = offending(internet_calls(trace))
    assert bad == [], "skintrack app used the network:\n" + "\n".join(bad)


def test_no_code_or_dependency_brings_mediapipe_back():
    """MediaPipe's native library phones home (issue 12): the face models run through OpenCV."""
    import tomllib

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert not [d for d in deps if d.lower().startswith("mediapipe")]
    src = ROOT / "src" / "skintrack"
    users = [
        p.relative_to(ROOT).as_posix()
        for p in src.rglob("*.py")
        if re.search(r"^\s*(import|from)\s+mediapipe\b", p.read_text(), re.M)
    ]
    assert users == []
