"""Damaged data is never taken for no data; the data folder is private (issue 12).

Watched from outside, as a person meets it: the real ``skintrack`` command in a subprocess (under
the usual umask 022), a real SQLite file emptied or overwritten with random bytes, rows written by
another tool, a folder nobody may write in.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from skintrack.storage import db, folder
from skintrack.storage import sessions as repo
from skintrack.storage.paths import resolve_data_dir
from skintrack.storage.photostore import PhotoStore

from ..conftest import ROOT, SAMPLES

pytestmark = pytest.mark.slow

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes and users")


def skintrack(*args, user: int | None = None, check: bool = False) -> subprocess.CompletedProcess:
    """Run the real command line under umask 022 (and as ``user`` when given)."""

    def child_setup():
        os.umask(0o022)
        if user is not None:
            os.setgid(user)
            os.setuid(user)

    proc = subprocess.run(
        [sys.executable, "-m", "skintrack", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        preexec_fn=child_setup if os.name == "posix" else None,
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def new_sessions(data: Path, n: int = 2) -> None:
    for _ in range(n):
        skintrack(
            "session",
            "new",
            "--data-dir",
            data,
            "--device",
            "roller",
            "--needle-mm",
            "0.25",
            "--treated",
            "left_cheek,right_cheek",
            "--at",
            "2026-06-24T18:00Z",
            check=True,
        )


def with_baseline(data: Path) -> None:
    new_sessions(data, 1)
    skintrack(
        "session",
        "baseline",
        "--data-dir",
        data,
        "1",
        SAMPLES / "aptus_1.png",
        "--taken-at",
        "2026-06-24T17:50Z",
        check=True,
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def one_line(text: str) -> str:
    lines = [x for x in text.splitlines() if x.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


# --- private files -----------------------------------------------------------------------------------
@posix_only
def test_the_data_folder_and_every_file_in_it_are_private_under_umask_022(tmp_path):
    data = tmp_path / "data"
    with_baseline(data)
    assert mode(data) == 0o700
    files = [p for p in data.rglob("*")]
    photos = [p for p in files if p.is_file() and p.parent.parent.name == "photos"]
    assert photos and (data / "backups").is_dir() and (data / "skintrack.db").is_file()
    for p in files:
        if p.is_dir():
            assert mode(p) == 0o700, p
        else:
            assert mode(p) in (0o600, 0o400), (p, oct(mode(p)))
    assert all(mode(p) == 0o400 for p in photos)  # stored photos stay read-only


@posix_only
def test_a_readable_folder_left_by_an_earlier_version_is_made_private_on_start(tmp_path):
    data = tmp_path / "data"
    with_baseline(data)
    for p in [data, *data.rglob("*")]:  # as skintrack left them before, under umask 022
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    other = data / "my-notes.txt"  # not skintrack's: left alone
    other.write_text("mine")
    os.chmod(other, 0o644)
    skintrack("session", "list", "--data-dir", data, check=True)
    assert mode(data) == 0o700
    for p in data.rglob("*"):
        if p != other:
            assert mode(p) in ((0o700,) if p.is_dir() else (0o600, 0o400)), (p, oct(mode(p)))
    assert mode(other) == 0o644


# --- damaged data -----------------------------------------------------------------------------------
def test_an_emptied_database_is_reported_refused_and_never_created_again(tmp_path):
    data = tmp_path / "data"
    new_sessions(data, 2)
    (data / "photos").mkdir(exist_ok=True)
    (data / "skintrack.db").write_bytes(b"")  # `: > skintrack.db`, as a failed sync leaves it
    listed = skintrack("session", "list", "--data-dir", data)
    assert listed.returncode == 2
    assert "no sessions yet" not in listed.stdout
    assert "is empty (0 bytes)" in one_line(listed.stderr)
    new = skintrack(
        "session", "new", "--data-dir", data, "--device", "pen", "--needle-mm", "0.5", "--treated", "nose"
    )
    assert new.returncode == 2 and "empty" in one_line(new.stderr)
    assert (data / "skintrack.db").stat().st_size == 0  # not re-created over


def test_random_bytes_over_two_pages_refuse_every_write(tmp_path):
    data = tmp_path / "data"
    new_sessions(data, 3)
    path = data / "skintrack.db"
    raw = bytearray(path.read_bytes())
    page = 4096
    assert len(raw) >= 4 * page
    rng = random.Random(12)
    raw[2 * page : 4 * page] = bytes(rng.getrandbits(8) for _ in range(2 * page))
    path.write_bytes(bytes(raw))
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    new = skintrack(
        "session", "new", "--data-dir", data, "--device", "pen", "--needle-mm", "0.5", "--treated", "nose"
    )
    assert new.returncode == 2
    assert "damaged" in one_line(new.stderr) and "skintrack doctor" in new.stderr
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # nothing committed into it
    doctor = skintrack("doctor", "--data-dir", data)
    assert doctor.returncode == 1 and "is damaged" in doctor.stdout
    assert "skintrack doctor --restore" in doctor.stdout  # today's copy was taken before
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # the doctor only looked


def test_a_file_of_another_kind_or_without_our_schema_is_refused(tmp_path):
    empty_schema = tmp_path / "a" / "skintrack.db"
    empty_schema.parent.mkdir()
    raw = sqlite3.connect(empty_schema)
    raw.execute("PRAGMA journal_mode = WAL")  # a valid SQLite file with no tables in it
    raw.close()
    with pytest.raises(db.DamagedDatabase, match="holds no skintrack data"):
        db.connect(empty_schema)
    assert (
        sqlite3.connect(empty_schema).execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    )  # no schema created into it
    other = tmp_path / "b" / "skintrack.db"
    other.parent.mkdir()
    raw = sqlite3.connect(other)
    raw.execute("CREATE TABLE recipes (name TEXT)")
    raw.commit()
    raw.close()
    with pytest.raises(db.DamagedDatabase, match="not a skintrack database"):
        db.connect(other)


def test_a_bad_row_is_skipped_with_a_warning_naming_it(tmp_path):
    data = tmp_path / "data"
    new_sessions(data, 4)
    raw = sqlite3.connect(data / "skintrack.db")
    raw.execute("UPDATE sessions SET treated_at = 'yesterday-ish' WHERE id = 2")
    raw.execute("UPDATE sessions SET treated_regions = '[\"elbow\"]' WHERE id = 3")
    raw.execute("UPDATE sessions SET products = '{not json' WHERE id = 4")
    raw.commit()
    raw.close()
    listed = skintrack("session", "list", "--data-dir", data)
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()] == ["1"]
    warnings = sorted(listed.stderr.splitlines())
    assert len(warnings) == 3 and "Traceback" not in listed.stderr
    for sid, warning in zip((2, 3, 4), warnings, strict=True):
        assert warning.startswith(f"skintrack: warning: session {sid} cannot be read"), warning
    status = skintrack("session", "status", "--data-dir", data, "2")
    assert status.returncode == 2
    assert "session 2 cannot be read" in one_line(status.stderr)
    assert skintrack("session", "status", "--data-dir", data, "1").returncode == 0
    doctor = skintrack("doctor", "--data-dir", data)
    assert doctor.returncode == 1
    problems = [line for line in doctor.stdout.splitlines() if "problem:" in line]
    assert [p.split("problem: ")[1].split(" cannot")[0] for p in sorted(problems)] == [
        "session 2",
        "session 3",
        "session 4",
    ]


def test_a_bad_photo_or_comparison_row_leaves_status_and_report_working(tmp_path, engine, load_sample):
    from datetime import timedelta

    from skintrack.tracking import PhotoSource, Tracker

    from ..test_tracking import T0, TREATED, encode_jpeg

    rgb = load_sample("aptus_1.png").rgb
    data = tmp_path / "data"
    with Tracker(data, engine=engine) as t:
        s = t.new_session(device="roller", needle_mm=0.25, treated_regions=TREATED, treated_at=T0, now=T0)
        t.set_baseline(
            s.id, PhotoSource(encode_jpeg(rgb, 95), "before.jpg", T0 - timedelta(minutes=5)), now=T0
        )
        for h, q in ((1, 90), (2, 85), (3, 80)):
            t.add_photos(
                s.id,
                [PhotoSource(encode_jpeg(rgb, q), f"{h}h.jpg", T0 + timedelta(hours=h))],
                now=T0 + timedelta(hours=h),
            )
    raw = sqlite3.connect(data / "skintrack.db")
    raw.execute("UPDATE photos SET taken_at = 'garbage' WHERE original_name = '1h.jpg'")
    raw.execute(
        "UPDATE comparisons SET record = '{bad' WHERE photo_id ="
        " (SELECT id FROM photos WHERE original_name = '2h.jpg')"
    )
    raw.commit()
    raw.close()
    status = skintrack("session", "status", "--data-dir", data, "1", "--json")
    assert status.returncode == 0, status.stderr
    warnings = status.stderr.splitlines()
    assert len(warnings) == len(set(warnings)) == 2, status.stderr  # each named once
    assert any("photo 2 (1h.jpg) of session 1 cannot be read" in w for w in warnings)
    assert any("the comparison of photo 3 with its baseline cannot be read" in w for w in warnings)
    record = json.loads(status.stdout)
    hours = {o["hours"] for obs in record["regions"].values() for o in obs}
    assert hours == {3.0}  # the readable follow-up is still on the curve
    out = skintrack("report", "1", "-o", tmp_path / "r.html", "--data-dir", data, "-q")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "r.html").stat().st_size > 0


# --- backups, doctor and restore ---------------------------------------------------------------------
def test_a_migration_is_preceded_by_a_backup(tmp_path, monkeypatch):
    paths = resolve_data_dir(tmp_path / "data")
    conn = db.connect(paths.database)
    repo.create_session(
        conn,
        treated_at=datetime(2026, 6, 24, 8, tzinfo=UTC),
        device="roller",
        needle_mm=0.25,
        treated_regions=["chin"],
    )
    conn.close()
    # The next skintrack brings one more migration.
    monkeypatch.setattr(db, "MIGRATIONS", db.MIGRATIONS + (("CREATE TABLE extra (x INTEGER)",),))
    monkeypatch.setattr(db, "SCHEMA_VERSION", len(db.MIGRATIONS))
    conn = db.connect(paths.database, backup_dir=paths.backups)
    assert db.schema_version(conn) == db.SCHEMA_VERSION
    conn.close()
    [copy] = paths.backups.glob(f"before-schema-{db.SCHEMA_VERSION}-*.db")
    old = sqlite3.connect(copy)
    assert old.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION - 1
    assert old.execute("SELECT device FROM sessions").fetchall() == [("roller",)]
    old.close()
    if os.name == "posix":
        assert mode(copy) == 0o600


def test_daily_copies_roll(tmp_path):
    paths = resolve_data_dir(tmp_path / "data")
    conn = db.connect(paths.database)
    assert folder.daily_backup(conn, paths, today="2026-06-01") is None  # nothing to keep yet
    repo.create_session(
        conn,
        treated_at=datetime(2026, 6, 24, 8, tzinfo=UTC),
        device="roller",
        needle_mm=0.25,
        treated_regions=["chin"],
    )
    for day in range(1, 9):
        assert folder.daily_backup(conn, paths, today=f"2026-06-0{day}") is not None
        assert folder.daily_backup(conn, paths, today=f"2026-06-0{day}") is None  # once a day
    conn.close()
    kept = sorted(p.name for p in paths.backups.glob("daily-*.db"))
    assert kept == [f"daily-2026-06-0{d}.db" for d in range(4, 9)]
    assert all(not b.problem and b.sessions == 1 for b in folder.list_backups(paths))


def test_doctor_puts_a_backup_back_and_keeps_the_damaged_file(tmp_path):
    data = tmp_path / "data"
    new_sessions(data, 2)  # the second command's opening took today's copy
    (data / "skintrack.db").write_bytes(b"")
    checked = skintrack("doctor", "--data-dir", data)
    assert checked.returncode == 1
    assert "is empty (0 bytes)" in checked.stdout
    assert "skintrack doctor --restore" in checked.stdout
    restored = skintrack("doctor", "--data-dir", data, "--restore")
    assert restored.returncode == 0, restored.stderr
    assert "restored the backup daily-" in restored.stdout
    [aside] = (data / "set-aside").glob("*/skintrack.db")
    assert aside.stat().st_size == 0  # the damaged file is kept, never deleted
    listed = skintrack("session", "list", "--data-dir", data, check=True)
    assert [line.split()[0] for line in listed.stdout.splitlines()] == ["1"]
    assert skintrack("doctor", "--data-dir", data).returncode == 0


@posix_only
def test_doctor_does_not_restore_under_a_running_copy(tmp_path):
    data = tmp_path / "data"
    new_sessions(data, 2)
    app = sqlite3.connect(data / "skintrack.db")  # another copy of skintrack, still open
    app.execute("SELECT count(*) FROM sessions").fetchone()
    try:
        refused = skintrack("doctor", "--data-dir", data, "--restore")
        assert refused.returncode == 2
        assert "has the data open; close it" in one_line(refused.stderr)
        assert not (data / "set-aside").exists()
    finally:
        app.close()
    assert skintrack("doctor", "--data-dir", data, "--restore").returncode == 0


def test_doctor_refuses_an_unknown_backup_in_one_line(tmp_path):
    data = tmp_path / "data"
    new_sessions(data, 1)
    out = skintrack("doctor", "--data-dir", data, "--restore", "nope.db")
    assert out.returncode == 2 and "no backup 'nope.db'" in one_line(out.stderr)


# --- leftovers of an interrupted import -------------------------------------------------------------
def test_leftovers_of_an_interrupted_import_are_cleaned_when_the_store_opens(tmp_path):
    data = tmp_path / "data"
    new_sessions(data, 1)
    store = PhotoStore(data / "photos")
    orphan = store.put(b"a photo whose rows were never committed", "jpeg")
    temp = store.root / orphan.name[:2] / ".tmp-abc123"
    temp.write_bytes(b"half a photo")
    os.utime(temp, (0, 0))
    skintrack("session", "list", "--data-dir", data, check=True)
    assert not temp.exists()
    assert not store.path(orphan.name).exists()


def test_a_photo_a_backup_refers_to_is_not_cleaned(tmp_path):
    data = tmp_path / "data"
    new_sessions(data, 2)  # the second opening took today's copy
    store = PhotoStore(data / "photos")
    kept = store.put(b"a photo only yesterday's backup refers to", "jpeg")
    copy = sqlite3.connect(next((data / "backups").glob("daily-*.db")))
    copy.execute(
        "INSERT INTO photos (session_id, sha256, store_name, width, height, taken_at,"
        " taken_at_source, added_at) VALUES (1, ?, ?, 1, 1, 't', 'given', 't')",
        (kept.sha256, kept.name),
    )
    copy.commit()
    copy.close()
    skintrack("session", "list", "--data-dir", data, check=True)
    assert store.path(kept.name).exists()  # a restore of that backup will need it


# --- a read-only data folder ------------------------------------------------------------------------
def _read_only_runner(data: Path):
    """A way to run skintrack with ``data`` read-only, as a read-only mount or another user's
    folder is: a private read-only bind mount for root (who may write anywhere), else chmod."""
    if os.geteuid() != 0:
        os.chmod(data, 0o500)
        return lambda *args: skintrack(*args)
    probe = subprocess.run(
        [
            "unshare",
            "-m",
            "sh",
            "-c",
            f"mount --bind '{data}' '{data}' && mount -o remount,bind,ro '{data}' && ! touch '{data}/x'",
        ],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        pytest.skip(f"running as root without a way to mount read-only ({probe.stderr.strip()})")

    def run(*args):
        script = (
            f"mount --bind '{data}' '{data}' && mount -o remount,bind,ro '{data}' && umask 022 && exec \"$@\""
        )
        return subprocess.run(
            ["unshare", "-m", "sh", "-c", script, "sh", sys.executable, "-m", "skintrack", *map(str, args)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=300,
        )

    return run


@posix_only
def test_a_read_only_folder_can_be_read_but_refuses_writes(tmp_path):
    data = tmp_path / "data"
    with_baseline(data)
    report = tmp_path / "report.html"
    before = sorted((p.name, p.stat().st_mtime_ns) for p in data.rglob("*"))
    run = _read_only_runner(data)
    try:
        listed = run("session", "list", "--data-dir", data)
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout.split()[0] == "1"
        status = run("session", "status", "--data-dir", data, "1", "--json")
        assert status.returncode == 0, status.stderr
        out = run("report", "1", "-o", report, "--data-dir", data, "-q")
        assert out.returncode == 0, out.stderr
        assert report.stat().st_size > 0
        new = run(
            "session", "new", "--data-dir", data, "--device", "pen", "--needle-mm", "0.5", "--treated", "nose"
        )
        assert new.returncode == 2
        assert "read-only" in one_line(new.stderr)
        symptoms = run("session", "symptoms", "--data-dir", data, "1", "fever")
        assert symptoms.returncode == 2 and "read-only" in one_line(symptoms.stderr)
    finally:
        os.chmod(data, 0o700)
    assert sorted((p.name, p.stat().st_mtime_ns) for p in data.rglob("*")) == before


@posix_only
def test_a_full_disk_still_lets_the_person_read(tmp_path):
    """A data folder on a full disk (a small tmpfs filled up, in a private mount namespace)."""
    data = tmp_path / "data"
    with_baseline(data)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=1m tmpfs '{mnt}'"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a small file system here ({probe.stderr.strip()})")
    full = mnt / "data"
    runs = {
        "list": ["session", "list"],
        "status": ["session", "status", "1", "--json"],
        "report": ["report", "1", "-o", str(tmp_path / "report.html"), "-q"],
        "new": ["session", "new", "--device", "pen", "--needle-mm", "0.5", "--treated", "nose"],
    }
    script = [
        f"mount -t tmpfs -o size=20m tmpfs '{mnt}'",
        f"cp -a '{data}' '{full}'",
        f"dd if=/dev/zero of='{mnt}/fill' bs=64k 2>/dev/null; true",
        "umask 022",
    ]
    for name, args in runs.items():
        cmd = " ".join(f"'{a}'" for a in [sys.executable, "-m", "skintrack", *args])
        script.append(f"echo '=== {name}'; {cmd} --data-dir '{full}' 2>&1; echo \"=== rc $?\"")
    out = subprocess.run(
        ["unshare", "-m", "sh", "-c", "\n".join(script)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    ).stdout
    results: dict[str, tuple[int, str]] = {}
    last, text = "", ""
    for block in out.split("=== ")[1:]:
        head, _, body = block.partition("\n")
        if head.startswith("rc "):
            results[last] = (int(head[3:]), text)
        else:
            last, text = head, body
    assert {k: v[0] for k, v in results.items()} == {"list": 0, "status": 0, "report": 0, "new": 2}, out
    assert results["list"][1].split()[0] == "1"
    assert "disk is full" in one_line(results["new"][1])
    assert (tmp_path / "report.html").stat().st_size > 0
