"""Smoke-test the one-folder bundle as a person would run it (``make dist-check``; ADR 0005).

``python packaging/check_bundle.py dist/skintrack``

Runs the bundle's own ``skintrack`` program, never this Python: with a bare environment (no
virtualenv, no PYTHONPATH, PATH without the virtualenv, a fresh HOME and data folder), from a
folder outside the source tree, so neither the source tree's models nor its packages can be found
by accident. Checks ``--help``; ``analyze --json`` on a sample photo (the face model found, the
six regions measured); ``check`` on a sample photo (text and JSON); a session with a baseline
and its PDF report (the fonts inside the bundle); and the app opening offscreen on a fake camera
and closing. Prints the bundle's size and the start times (first and warm runs). Exit 1 with
one line per failure.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHOTO = ROOT / "sample_images" / "obama.jpg"
REGIONS = {"forehead", "left_cheek", "right_cheek", "nose", "chin", "perioral"}
#: Generous per-command limits (a loaded 2-core CI machine): a hang fails, it does not block CI.
TIMEOUT_S = 180

failures: list[str] = []
passed: list[str] = []


def expect(ok: bool, what: str, proc: subprocess.CompletedProcess | None = None) -> None:
    """One line per check; a failed command's exit status and last lines of output after it."""
    detail = f": {show(proc)}" if proc is not None and not ok else ""
    print(f"  {'ok  ' if ok else 'FAIL'} {what}{detail}", flush=True)
    (passed if ok else failures).append(what)


def bare_env(home: Path) -> dict[str, str]:
    env = {
        "HOME": str(home),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "SKINTRACK_HOME": str(home / "skintrack-data"),
        "XDG_RUNTIME_DIR": str(home / "run"),
    }
    (home / "run").mkdir(mode=0o700, exist_ok=True)
    return env


def run(exe: Path, *args: str, env: dict[str, str], cwd: Path) -> tuple[subprocess.CompletedProcess, float]:
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [str(exe), *args],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        proc = subprocess.CompletedProcess([str(exe), *args], 124, "", f"timed out after {TIMEOUT_S} s")
    return proc, time.perf_counter() - t0


def show(proc: subprocess.CompletedProcess) -> str:
    tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-3:]
    return f"exit {proc.returncode}: " + " | ".join(line[:300] for line in tail)


def check_x11(exe: Path, env: dict[str, str], work: Path, data: Path) -> None:
    """The window on a real X11 server (Xvfb): Qt's xcb plugin and the X libraries it loads."""
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as f:
            display = f.readline().strip()
        x_env = {**env, "DISPLAY": f":{display}", "SKINTRACK_STARTUP_REPORT": "1"}
        proc, dt = run(exe, "app", "--data-dir", str(data), "--quit-after", "3", env=x_env, cwd=work)
        expect(
            proc.returncode == 0
            and "window shown after" in proc.stdout
            and "Traceback" not in proc.stderr
            and "[ WARN" not in proc.stderr,
            f"app opens on an X11 display (Xvfb :{display}) and closes ({dt:.1f} s)",
            proc,
        )
    finally:
        xvfb.terminate()
        xvfb.wait(10)


def main(bundle: str) -> int:
    folder = Path(bundle).resolve()
    exe = folder / "skintrack"
    if not exe.is_file():
        print(f"check_bundle: no program at {exe}; run `make dist` first", file=sys.stderr)
        return 2
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    print(f"bundle {folder}: {size_mb:.0f} MB in {len(files)} files")
    internal = folder / "_internal"
    for rel in (
        "skintrack/_models/face_landmarker.task",
        "skintrack/_models/lesions_acne.npz",
        "matplotlib/mpl-data/fonts/ttf/DejaVuSans.ttf",
        "skintrack/app/skintrack.png",
    ):
        expect((internal / rel).is_file(), f"inside the bundle: {rel}")
    for rel in ("skintrack.desktop", "skintrack.png", "install-desktop-entry.sh"):
        expect((folder / rel).is_file(), f"launcher file: {rel}")
    for unused in ("sklearn", "skimage", "scipy", "PySide6/QtNetwork.abi3.so", "pytest"):
        expect(not (internal / unused).exists(), f"left out: {unused}")

    with tempfile.TemporaryDirectory(prefix="skintrack-bundle-") as tmp:
        work = Path(tmp)
        env = bare_env(work)
        photo = work / PHOTO.name  # outside the source tree
        shutil.copy2(PHOTO, photo)

        times: dict[str, list[float]] = {"--help": [], "analyze": []}
        for _ in range(3):
            proc, dt = run(exe, "--help", env=env, cwd=work)
            times["--help"].append(dt)
        expect(proc.returncode == 0 and "usage: skintrack" in proc.stdout, "--help", proc)

        for _ in range(3):
            proc, dt = run(exe, "analyze", "--json", str(photo), env=env, cwd=work)
            times["analyze"].append(dt)
        try:
            rec = json.loads(proc.stdout)
        except ValueError:
            rec = {}
        face = rec.get("face") or {}
        regions = rec.get("regions") or {}
        expect(
            proc.returncode == 0 and face.get("found") is True and face.get("faces") == 1,
            "analyze --json finds the one face",
            proc,
        )
        expect(
            set(regions) >= REGIONS and all(isinstance(regions[r].get("a_star"), float) for r in REGIONS),
            "analyze --json measures the six regions",
        )

        proc, _ = run(exe, "check", str(photo), env=env, cwd=work)
        first_line = (proc.stdout.splitlines() or [""])[0]
        expect(
            proc.returncode == 0 and "REVIEW" in first_line, "check (no answers, no terminal: REVIEW)", proc
        )
        proc, _ = run(
            exe, "check", "--json", "--treated", "left cheek,right_cheek", str(photo), env=env, cwd=work
        )
        try:
            verdict = json.loads(proc.stdout)["verdict"]
        except (ValueError, KeyError):
            verdict = {}
        expect(
            proc.returncode == 0
            and verdict.get("decision") == "review"
            and verdict.get("treated") == ["left_cheek", "right_cheek"],
            'check --json --treated "left cheek,right_cheek": a verdict',
            proc,
        )

        data = work / "data"
        proc, _ = run(
            exe,
            "--data-dir",
            str(data),
            "session",
            "new",
            "--device",
            "roller",
            "--needle-mm",
            "0.25",
            "--treated",
            "left cheek, right cheek",
            "--at",
            "1h ago",
            env=env,
            cwd=work,
        )
        expect(proc.returncode == 0 and proc.stdout.startswith("session 1:"), "session new", proc)
        proc, _ = run(
            exe,
            "session",
            "baseline",
            "--data-dir",
            str(data),
            "1",
            str(photo),
            "--taken-at",
            "2h ago",
            env=env,
            cwd=work,
        )
        expect(proc.returncode == 0, "session baseline", proc)
        pdf = work / "report.pdf"
        proc, _ = run(exe, "report", "1", "-o", str(pdf), "-q", "--data-dir", str(data), env=env, cwd=work)
        body = pdf.read_bytes() if pdf.is_file() else b""
        expect(
            proc.returncode == 0 and body.startswith(b"%PDF") and b"DejaVu" in body,
            "report: a PDF with the bundled DejaVu font",
            proc,
        )
        expect(
            any((work / ".cache" / "matplotlib").glob("fontlist-*.json")),
            "matplotlib's font list kept in ~/.cache (not rebuilt on every start)",
        )

        demo = work / "demo"
        proc, dt = run(exe, "demo", "-o", str(demo), "-q", env=env, cwd=work)
        expect(
            proc.returncode == 0 and any(demo.glob("*.pdf")) and any(demo.glob("*.html")),
            f"demo: the sample session and its reports ({dt:.0f} s)",
            proc,
        )

        app_env = {**env, "QT_QPA_PLATFORM": "offscreen", "SKINTRACK_STARTUP_REPORT": "1"}
        proc, dt = run(
            exe,
            "app",
            "--data-dir",
            str(data),
            "--fake-camera",
            str(photo),
            "--quit-after",
            "4",
            env=app_env,
            cwd=work,
        )
        expect(
            proc.returncode == 0 and "window shown after" in proc.stdout and "Traceback" not in proc.stderr,
            f"app opens offscreen and closes ({dt:.1f} s with 4 s open)",
            proc,
        )
        if "window shown after" in proc.stdout:
            print(f"  app: {proc.stdout.strip().splitlines()[0]}")
        if shutil.which("Xvfb"):
            check_x11(exe, env, work, data)
        else:
            print("  (no Xvfb here: the app on a real X11 display was not tried)")

    for name, ts in times.items():
        print(f"  start time {name}: first {ts[0]:.2f} s, warm {statistics.median(ts[1:]):.2f} s")
    # The plain closing line CI reads: checks, not pytest tests.
    print(f"dist-check: {len(passed)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "dist" / "skintrack")))
