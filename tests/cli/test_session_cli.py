"""`skintrack session ...` as a person runs it: the whole flow, JSON status, one-line errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from skintrack.cli import main
from skintrack.cli.session import parse_time
from skintrack.core.errors import SkintrackError
from tests.cli._helpers import cli, run
from tests.conftest import SAMPLES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def later_jpeg(tmp_path_factory):
    """The sample face saved again as a JPEG: a distinct file of the same, unchanged skin."""
    from PIL import Image

    path = tmp_path_factory.mktemp("photos") / "later.jpg"
    Image.open(SAMPLES / "aptus_1.png").convert("RGB").save(path, quality=92)
    return path


def test_whole_flow_and_status_json(capsys, tmp_path, later_jpeg):
    d = ["session", "--data-dir", str(tmp_path)]
    code, out, err = cli(
        capsys,
        *d,
        "new",
        "--device",
        "roller",
        "--needle-mm",
        "0.25",
        "--treated",
        "left_cheek,right_cheek",
        "--at",
        "3h ago",
        "--products",
        "hyaluronic serum",
    )
    assert code == 0, err
    assert out.startswith("session 1: derma roller, 0.25 mm needles, on the left cheek and the right cheek")

    code, out, err = cli(capsys, *d, "baseline", "1", str(SAMPLES / "aptus_1.png"), "--taken-at", "4h ago")
    assert code == 0, err
    assert "baseline of session 1: aptus_1.png" in out and "1.0 h before treatment" in out

    code, out, err = cli(capsys, *d, "add", "1", str(later_jpeg), "--taken-at", "1h ago")
    assert code == 0, err
    assert "later.jpg: 2.0 h after treatment: left cheek" in out
    assert "status: resolved" in out  # the same skin: no redness left

    code, out, err = cli(capsys, *d, "status", "1", "--json")
    assert code == 0, err
    rec = json.loads(out)
    assert rec["schema"] == 1
    assert rec["status"] == "resolved"
    assert rec["hours_since_treatment"] == pytest.approx(3.0, abs=0.05)
    assert "predicted_resolved_at_hours" in rec
    assert set(rec["regions"]) >= {"left_cheek", "right_cheek"}
    [point] = rec["regions"]["left_cheek"]
    assert point["hours"] == pytest.approx(2.0, abs=0.02)
    assert {"hours", "delta_a_star", "real_change"} <= set(point)
    assert point["real_change"] is False
    assert all({"code", "level", "text"} <= set(a) for a in rec["advice"])
    codes = {t["code"]: t for t in rec["timers"]}
    assert codes["no_makeup_swimming_sun"]["active"] and codes["no_acids_retinol"]["active"]
    assert codes["no_makeup_swimming_sun"]["remaining_hours"] == pytest.approx(21.0, abs=0.05)

    code, out, err = cli(capsys, *d, "status", "1")
    assert code == 0, err
    assert "status: RESOLVED" in out and "advice:" in out and "timers:" in out

    code, out, err = cli(capsys, *d, "list", "--json")
    [session] = [json.loads(line) for line in out.splitlines()]
    assert session["treated_regions"] == ["left_cheek", "right_cheek"]
    assert session["products"] == ["hyaluronic serum"] and session["baseline_photo_id"]

    code, out, err = cli(capsys, *d, "symptoms", "1", "fever")
    assert code == 0, err
    assert "seek medical advice now" in out.lower()
    rec = json.loads(cli(capsys, *d, "status", "1", "--json")[1])
    assert rec["urgency"] == "seek_care_now" and rec["symptoms"]["fever"] is True


@pytest.mark.parametrize(
    "args, message",
    [
        (["status", "7"], "there is no session 7"),
        (
            ["new", "--device", "roller", "--needle-mm", "0.25", "--treated", "cheeks"],
            "unknown region 'cheeks'",
        ),
        (
            [
                "new",
                "--device",
                "roller",
                "--needle-mm",
                "0.25",
                "--treated",
                "nose",
                "--at",
                "yesterday-ish",
            ],
            "cannot read the time",
        ),
        (["add", "1", "nowhere.jpg"], "there is no session 1"),
        (["symptoms", "1", "itching"], "unknown symptom"),
    ],
)
def test_errors_are_one_line_exit_2(capsys, tmp_path, args, message):
    code, out, err = cli(capsys, "session", "--data-dir", str(tmp_path), *args)
    assert code == 2
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_photo_refusals_are_one_line_and_change_nothing(capsys, tmp_path, later_jpeg):
    d = ["session", "--data-dir", str(tmp_path)]
    cli(capsys, *d, "new", "--device", "pen", "--needle-mm", "0.5", "--treated", "forehead", "--at", "2h ago")
    cli(capsys, *d, "baseline", "1", str(SAMPLES / "aptus_1.png"), "--taken-at", "3h ago")
    (tmp_path / "not-a-photo.jpg").write_text("hello")
    for args, message in [
        (["add", "1", str(later_jpeg), "--taken-at", "+2h"], "in the future"),
        (["add", "1", str(later_jpeg), "--taken-at", "5h ago"], "before the baseline"),
        (["add", "1", str(tmp_path / "not-a-photo.jpg"), "--taken-at", "1h ago"], "not an image"),
        (
            ["add", "1", str(later_jpeg), str(tmp_path / "missing.jpg"), "--taken-at", "1h ago"],
            "no such file",
        ),
        (["baseline", "1", str(later_jpeg), "--taken-at", "1h ago"], "after the treatment"),
    ]:
        code, out, err = cli(capsys, *d, *args)
        assert code == 2, (args, out, err)
        assert err.count("\n") == 1 and message in err, err
    code, out, err = cli(capsys, *d, "list")
    assert out.rstrip().endswith("forehead  1 photo")  # only the baseline was saved


def test_subprocess_uses_skintrack_home_and_never_prints_a_traceback(tmp_path):
    home = tmp_path / "home"
    r = run("session", "list", env_home=home)
    assert r.returncode == 0 and "no sessions yet" in r.stdout
    r = run("session", "new", "--device", "patch", "--needle-mm", "0.25", "--treated", "chin", env_home=home)
    assert r.returncode == 0, r.stderr
    assert (home / "skintrack.db").is_file()
    r = run("session", "status", "1", "--json", env_home=home)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["status"] == "insufficient_data"
    # --data-dir after the action wins over SKINTRACK_HOME.
    other = tmp_path / "other"
    r = run("session", "list", "--data-dir", str(other), env_home=home)
    assert "no sessions yet" in r.stdout
    r = run("session", "add", "1", str(SAMPLES / "obama.jpg"), env_home=home)
    assert r.returncode == 2 and "no baseline photo" in r.stderr
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1


def test_medical_grade_needle_warns(capsys, tmp_path):
    code, out, err = cli(
        capsys,
        "session",
        "--data-dir",
        str(tmp_path),
        "new",
        "--device",
        "pen",
        "--needle-mm",
        "1.0",
        "--treated",
        "nose",
    )
    assert code == 0
    assert "medical grade" in err


def test_parse_time():
    now = datetime(2026, 6, 24, 12, 0, tzinfo=UTC)
    assert parse_time("now", now=now) == now
    assert parse_time("2h ago", now=now) == now - timedelta(hours=2)
    assert parse_time("-90m", now=now) == now - timedelta(minutes=90)
    assert parse_time("+1.5h", now=now) == now + timedelta(hours=1.5)
    assert parse_time("2026-06-24T10:00Z") == datetime(2026, 6, 24, 10, tzinfo=UTC)
    assert parse_time("2026-06-24T19:00+09:00") == datetime(2026, 6, 24, 10, tzinfo=UTC)
    local = parse_time("2026-06-24 10:00")
    assert local.tzinfo is not None  # a time without a zone is the computer's local time
    assert local == datetime(2026, 6, 24, 10, 0).astimezone()
    ten_thirty = parse_time("10:30", now=now)
    assert (ten_thirty.hour, ten_thirty.minute) == (10, 30) and ten_thirty.tzinfo is not None
    with pytest.raises(SkintrackError, match="cannot read the time"):
        parse_time("25:99")


def test_new_session_shows_the_technique_and_the_serum_can_be_ticked(capsys, tmp_path):
    """Issue 17: where the person starts a session, the technique in plain steps with the treated
    regions and the protocol's sentences; the serum or mask step is ticked from the command line
    and the status then counts it done."""
    from skintrack.core import protocol

    d = ["session", "--data-dir", str(tmp_path)]
    code, out, err = cli(
        capsys,
        *d,
        "new",
        "--device",
        "roller",
        "--needle-mm",
        "0.25",
        "--treated",
        "forehead,left_cheek",
        "--at",
        "10 min ago",
    )
    assert code == 0, err
    assert "how to treat the forehead and the left cheek (" in out
    steps = [line.strip() for line in out.splitlines() if line.strip()[:2] in {f"{i}." for i in range(1, 9)}]
    assert steps[0].startswith("1. Cross-hatch: move the roller horizontally")
    assert any("No more than 3 passes" in s for s in steps)
    assert any("Do not rub back and forth" in s for s in steps)
    assert any("slightly pink" in s for s in steps)
    assert any("repairing serum or a medical-grade mask" in s for s in steps)
    for sentence in (protocol.SRC_TECHNIQUE, protocol.SRC_ENDPOINT, protocol.SRC_SERUM):
        assert f'protocol: "{sentence}"' in out
    assert protocol.SRC_PART_TECHNIQUE in out and protocol.SRC_PART_REACTIONS in out
    rec = json.loads(
        cli(capsys, *d, "new", "--device", "patch", "--needle-mm", "0.25", "--treated", "chin", "--json")[1]
    )
    assert rec["technique_steps"][0].startswith("Press each patch on once")
    assert not any("Cross-hatch" in s for s in rec["technique_steps"])

    status = json.loads(cli(capsys, *d, "status", "1", "--json")[1])
    serum = status["timers"][0]
    assert serum["code"] == "repairing_serum_or_mask" and serum["active"] and not serum["done"]
    assert "serum" in {a["code"] for a in status["advice"]}
    text = cli(capsys, *d, "status", "1")[1]
    assert "not ticked yet (skintrack session serum 1)" in text
    code, out, err = cli(capsys, *d, "serum", "1")
    assert code == 0 and "ticked as applied" in out
    status = json.loads(cli(capsys, *d, "status", "1", "--json")[1])
    assert status["timers"][0]["done"] and not status["timers"][0]["active"]
    assert "serum" not in {a["code"] for a in status["advice"]}
    assert cli(capsys, *d, "serum", "1", "--undo")[0] == 0
    assert not json.loads(cli(capsys, *d, "status", "1", "--json")[1])["timers"][0]["done"]
    code, out, err = cli(capsys, *d, "serum", "9")
    assert code == 2 and "there is no session 9" in err and "Traceback" not in err


def test_status_says_the_end_point_of_the_first_photo(capsys, tmp_path, engine):
    """A first photo 20 minutes after treatment, +7.5 a* rendered on both cheeks: the status says
    it was redder than slightly pink, with "next time, lighter" and the protocol sentence."""
    from PIL import Image

    from skintrack.core import protocol
    from skintrack.core.analysis import analyze_photo
    from skintrack.core.intake import load_photo
    from skintrack.simulate.phantom import add_redness

    base = analyze_photo(load_photo(SAMPLES / "aptus_1.png"), engine, find_lesions=False)
    red = add_redness(base.photo.rgb, base.regions, delta_a_star={"left_cheek": 7.5, "right_cheek": 7.5})
    hard = tmp_path / "hard.png"
    Image.fromarray(red).save(hard)
    d = ["session", "--data-dir", str(tmp_path / "data")]
    assert (
        cli(
            capsys,
            *d,
            "new",
            "--device",
            "roller",
            "--needle-mm",
            "0.25",
            "--treated",
            "left_cheek,right_cheek",
            "--at",
            "1h ago",
        )[0]
        == 0
    )
    assert cli(capsys, *d, "baseline", "1", str(SAMPLES / "aptus_1.png"), "--taken-at", "70 min ago")[0] == 0
    assert cli(capsys, *d, "add", "1", str(hard), "--taken-at", "40 min ago")[0] == 0
    code, out, err = cli(capsys, *d, "status", "1")
    assert code == 0, err
    assert (
        "end point (first photo, 0.3 h): REDDER THAN SLIGHTLY PINK on the left cheek and the "
        "right cheek: next time, lighter" in out
    )
    assert "Next time, lighter" in out and f'protocol: "{protocol.SRC_ENDPOINT}"' in out
    rec = json.loads(cli(capsys, *d, "status", "1", "--json")[1])
    assert rec["endpoint"]["redder_than_slightly_pink"]
    assert sorted(rec["endpoint"]["too_red"]) == ["left_cheek", "right_cheek"]


def test_sessions_print_regions_as_people_say_them(tmp_path, capsys):
    """`session new` and `session list` say "around the mouth", never the identifier "perioral"."""

    d = ["session", "--data-dir", str(tmp_path)]
    assert (
        main([*d, "new", "--device", "pen", "--needle-mm", "0.25", "--treated", "perioral,left_cheek"]) == 0
    )
    out = capsys.readouterr().out
    assert "around the mouth" in out and "perioral" not in out
    assert main([*d, "list"]) == 0
    out = capsys.readouterr().out
    assert "around the mouth" in out and "perioral" not in out
