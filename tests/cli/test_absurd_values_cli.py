"""Absurd values get one short line on stderr and exit 2: never an internal error, a traceback, an
overflow inside SQLite or a whole file echoed back."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from skintrack.cli import main
from tests.conftest import ROOT, SAMPLES

#: An error line is short: a few hundred characters at most, whatever value caused it.
MAX_LINE = 450


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines[:3]
    assert "internal error" not in lines[0] and "Traceback" not in err
    assert len(lines[0]) <= MAX_LINE
    return lines[0]


@pytest.fixture()
def data(tmp_path, capsys):
    d = tmp_path / "data"
    assert (
        main(
            [
                "session",
                "--data-dir",
                str(d),
                "new",
                "--device",
                "roller",
                "--needle-mm",
                "0.25",
                "--treated",
                "forehead",
                "--at",
                "2h ago",
            ]
        )
        == 0
    )
    capsys.readouterr()
    return d


@pytest.mark.parametrize(
    "when", ["9999-12-31T23:59-23:59", "99999999999999h ago", "0001-01-01T00:00+23:59", "9" * 5000 + "h ago"]
)
def test_absurd_taken_at_is_one_line(data, capsys, when):
    code = main(
        [
            "session",
            "--data-dir",
            str(data),
            "baseline",
            "1",
            str(SAMPLES / "aptus_1.png"),
            "--taken-at",
            when,
        ]
    )
    line = one_line(capsys.readouterr().err)
    assert code == 2 and "time" in line


@pytest.mark.parametrize("action", [["status"], ["symptoms", "none"]])
def test_session_number_beyond_sqlite_is_one_line(data, capsys, action):
    code = main(["session", "--data-dir", str(data), action[0], "99999999999999999999", *action[1:]])
    line = one_line(capsys.readouterr().err)
    assert code == 2 and "no session" in line


def test_report_of_a_session_number_beyond_sqlite_is_one_line(data, tmp_path, capsys):
    code = main(
        ["report", "99999999999999999999", "-o", str(tmp_path / "r.pdf"), "--data-dir", str(data), "-q"]
    )
    assert code == 2 and "no session" in one_line(capsys.readouterr().err)
    assert not (tmp_path / "r.pdf").exists()


def test_exif_date_past_what_python_holds_falls_back_to_the_file_time(data, tmp_path, capsys):
    """9999-12-31 23:59:59 at -23:59 is 10000-01-01 in UTC: read as no capture time at all."""
    from PIL import Image

    photo = tmp_path / "far-future.jpg"
    exif = Image.Exif()
    sub = exif.get_ifd(0x8769)
    sub[36867] = "9999:12:31 23:59:59"  # DateTimeOriginal
    sub[36881] = "-23:59"  # OffsetTimeOriginal
    Image.open(SAMPLES / "aptus_1.png").convert("RGB").save(photo, exif=exif, quality=90)
    os.utime(photo, (os.path.getmtime(photo) - 3 * 3600,) * 2)  # a file time before treatment

    code = main(["session", "--data-dir", str(data), "baseline", "1", str(photo)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "internal error" not in err and "file's date" in err
    assert "baseline of session 1: far-future.jpg" in out and "1.0 h before treatment" in out


# --- answers files -----------------------------------------------------------------------------
def check_answers(path, capsys) -> str:
    code = main(["check", str(SAMPLES / "obama.jpg"), "--answers", str(path)])
    line = one_line(capsys.readouterr().err)
    assert code == 2
    return line


def test_deeply_nested_answers_are_refused(tmp_path, capsys):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    assert "too large" in check_answers(deep, capsys)
    # Within the size limit and still too deep for the JSON reader.
    deep.write_text("[" * 30_000 + "]" * 30_000)
    assert "nested too deeply" in check_answers(deep, capsys)


def test_endless_answers_file_is_refused_without_reading_it_all(capsys):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    assert "too large" in check_answers("/dev/zero", capsys)


def test_huge_answers_value_is_not_echoed(tmp_path, capsys):
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"device": "x" * 2_000_000}))
    assert "too large" in check_answers(big, capsys)
    # A long value inside a file of allowed size: the message names it, briefly.
    big.write_text(json.dumps({"device": "y" * 60_000}))
    line = check_answers(big, capsys)
    assert "device" in line and "yyyyyyyy" in line and "y" * 1000 not in line


def test_absurd_values_from_outside_python_are_one_line(tmp_path):
    """The real command in a fresh process: exit status 2, one line, nothing else."""
    env = dict(os.environ, SKINTRACK_HOME=str(tmp_path / "home"))
    env.pop("SKINTRACK_DEBUG", None)
    proc = subprocess.run(
        [sys.executable, "-m", "skintrack", "session", "status", "99999999999999999999"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    one_line(proc.stderr)
