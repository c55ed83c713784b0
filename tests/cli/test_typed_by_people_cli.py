"""The command line as a person types it (issue 16): region words, the data folder before the
command, one-line usage errors, and which of two times is later by how much."""

from __future__ import annotations

import json

import pytest

from skintrack.cli import build_parser, parse_regions
from skintrack.core.errors import SkintrackError
from skintrack.core.regions import REGION_LABELS, REGION_NAMES
from tests.cli._helpers import cli, run
from tests.conftest import SAMPLES

pytestmark = pytest.mark.slow


# --- region names as people say them -------------------------------------------------------------
@pytest.mark.parametrize(
    "typed, ids",
    [
        ("left cheek", ("left_cheek",)),
        ("Left Cheek, RIGHT-CHEEK", ("left_cheek", "right_cheek")),
        ("around the mouth", ("perioral",)),
        ("Around-the-Mouth,skin around the mouth", ("perioral",)),
        ("the forehead ,  nose,chin", ("forehead", "nose", "chin")),
        ("left_cheek,perioral", ("left_cheek", "perioral")),
        ("", ()),
    ],
)
def test_region_words_become_the_identifiers(typed, ids):
    assert parse_regions(typed) == ids


def test_every_word_the_reports_print_is_accepted():
    for name in REGION_NAMES:
        assert parse_regions(REGION_LABELS[name]) == (name,)
        assert parse_regions(REGION_LABELS[name].upper()) == (name,)


@pytest.mark.parametrize(
    "typed, shown",
    [
        ("cheeks", "'cheeks'"),
        ("lips", "'lips'"),
        ("left cheek, jaw, ears", "'jaw', 'ears'"),
        ("left chek", "'left chek'"),
    ],
)
def test_unknown_region_names_are_named_with_the_choices(typed, shown):
    with pytest.raises(SkintrackError) as err:
        parse_regions(typed)
    text = str(err.value)
    assert shown in text and "around the mouth" in text and "left cheek" in text
    assert "\n" not in text


def test_session_new_takes_the_words(capsys, tmp_path):
    code, out, err = cli(
        capsys,
        "session",
        "--data-dir",
        tmp_path,
        "new",
        "--device",
        "roller",
        "--needle-mm",
        "0.25",
        "--treated",
        "Left cheek, around the mouth",
        "--json",
    )
    assert code == 0, err
    assert json.loads(out)["treated_regions"] == ["left_cheek", "perioral"]


def test_check_and_compare_take_the_words(capsys):
    photo = SAMPLES / "obama.jpg"
    code, out, err = cli(capsys, "check", photo, "--treated", "right cheek, Around the mouth", "--json")
    assert code == 0, err
    assert json.loads(out)["verdict"]["treated"] == ["right_cheek", "perioral"]
    code, out, err = cli(capsys, "compare", photo, photo, "--treated", "Left-Cheek", "--json")
    assert code == 0, err
    assert json.loads(out)["treated"] == ["left_cheek"]


@pytest.mark.parametrize(
    "command",
    [
        ["check", SAMPLES / "obama.jpg"],
        ["compare", SAMPLES / "obama.jpg", SAMPLES / "obama.jpg"],
        ["session", "new", "--device", "pen", "--needle-mm", "0.25"],
    ],
)
def test_an_unknown_region_is_one_line_everywhere(capsys, tmp_path, command):
    args = [*command, "--treated", "left cheek,cheeks"]
    if command[0] == "session":
        args = ["--data-dir", tmp_path, *args]
    code, out, err = cli(capsys, *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "unknown region 'cheeks'" in err and "--treated" in err
    assert (
        not (tmp_path / "skintrack.db").exists()
        or "no sessions yet" in cli(capsys, "--data-dir", tmp_path, "session", "list")[1]
    )


def _help_of(*path: str) -> str:
    parser = build_parser()
    for name in path:
        parser = next(a for a in parser._actions if a.dest in ("command", "session_command")).choices[name]
    return " ".join(parser.format_help().split())  # as one line, whatever the terminal width


@pytest.mark.parametrize("path", [("check",), ("compare",), ("session", "new")])
def test_help_puts_the_persons_own_left_on_the_left_cheek(path):
    text = _help_of(*path)
    assert "left_cheek (the person's own left)" in text
    assert "perioral (the person's own left)" not in text
    assert "left cheek" in text  # the words work too


# --- the data folder before or after the command -------------------------------------------------
def test_data_dir_before_the_command_works(capsys, tmp_path):
    data = tmp_path / "data"
    code, out, err = cli(
        capsys,
        "--data-dir",
        data,
        "session",
        "new",
        "--device",
        "patch",
        "--needle-mm",
        "0.25",
        "--treated",
        "chin",
    )
    assert code == 0, err
    assert (data / "skintrack.db").is_file()
    code, out, err = cli(capsys, "--data-dir", data, "session", "list")
    assert code == 0 and out.startswith("   1 ") and "chin" in out


def test_data_dir_after_the_command_wins_over_one_before(capsys, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    assert (
        cli(
            capsys,
            "--data-dir",
            first,
            "session",
            "--data-dir",
            second,
            "new",
            "--device",
            "pen",
            "--needle-mm",
            "0.25",
            "--treated",
            "nose",
        )[0]
        == 0
    )
    assert (second / "skintrack.db").is_file() and not (first / "skintrack.db").exists()
    assert cli(capsys, "--data-dir", first, "session", "list", "--data-dir", second)[1].startswith("   1 ")


def test_data_dir_before_a_command_is_passed_to_it_in_a_real_process(tmp_path):
    home, other = tmp_path / "home", tmp_path / "other"
    r = run(
        "--data-dir",
        other,
        "session",
        "new",
        "--device",
        "patch",
        "--needle-mm",
        "0.25",
        "--treated",
        "left cheek",
        env_home=home,
    )
    assert r.returncode == 0, r.stderr
    assert (other / "skintrack.db").is_file() and not (home / "skintrack.db").exists()
    # The report command reads the session from the folder given before it, not from the home.
    r = run("--data-dir", other, "report", "1", "-o", tmp_path / "r.html", "-q", env_home=home)
    assert r.returncode == 2 and "session 1 has no photos yet" in r.stderr, r.stderr
    r = run("report", "1", "-o", tmp_path / "r.html", "-q", env_home=home)
    assert r.returncode == 2 and "no session 1" in r.stderr, r.stderr


def test_data_dir_with_a_command_that_has_none_is_one_line(capsys, tmp_path):
    code, out, err = cli(capsys, "--data-dir", tmp_path, "analyze", SAMPLES / "obama.jpg")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "--data-dir" in err and "session" in err and "skintrack analyze --help" in err


# --- usage errors: one line, exit 2, where to read more ------------------------------------------
@pytest.mark.parametrize(
    "args, words, hint",
    [
        (["frobnicate"], "invalid choice: 'frobnicate'", "`skintrack --help`"),
        (["session"], "required", "`skintrack session --help`"),
        (["session", "new", "--device", "roller"], "--needle-mm", "`skintrack session new --help`"),
        (
            ["session", "new", "--device", "scalpel", "--needle-mm", "0.25", "--treated", "chin"],
            "invalid choice: 'scalpel'",
            "`skintrack session new --help`",
        ),
        (
            ["session", "new", "--device", "pen", "--needle-mm", "long", "--treated", "chin"],
            "invalid float value: 'long'",
            "`skintrack session new --help`",
        ),
        (["analyze"], "PHOTO", "`skintrack analyze --help`"),
        (
            ["check", "a.jpg", "--no-such-option"],
            "unrecognized arguments: --no-such-option",
            "`skintrack check --help`",
        ),
        (["session", "list", "--jsn"], "unrecognized arguments: --jsn", "`skintrack session list --help`"),
        (["--no-such-option"], "unrecognized arguments: --no-such-option", "`skintrack --help`"),
        (["report", "1"], "-o/--output", "`skintrack report --help`"),
    ],
)
def test_usage_errors_are_one_readable_line_and_exit_2(capsys, tmp_path, args, words, hint):
    code, out, err = (
        cli(capsys, "--data-dir", tmp_path, *args) if args[0] in ("session", "report") else cli(capsys, *args)
    )
    assert code == 2 and out == ""
    assert err.count("\n") == 1, err
    assert err.startswith("skintrack: ") and words in err and hint in err
    assert "usage:" not in err


def test_a_usage_error_in_a_real_process_is_one_line(tmp_path):
    r = run("session", "new", "--device", "roller", env_home=tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "usage:" not in r.stderr
    assert "the following arguments are required: --needle-mm, --treated" in r.stderr
    assert "see `skintrack session new --help`" in r.stderr


def test_help_and_version_still_print_and_exit_0(tmp_path):
    r = run("session", "new", "--help", env_home=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("usage: skintrack session new")
    r = run("--version", env_home=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("skintrack ")


# --- which of two times is later, by how much -----------------------------------------------------
def test_baseline_after_the_treatment_start_says_by_how_much_with_seconds(capsys, tmp_path):
    """``--at "3h ago"`` then ``--taken-at "3h ago"``: the same minute, so the times show their
    seconds, and the message says the photo is the later one and by how much."""
    d = ["--data-dir", tmp_path]
    assert (
        cli(
            capsys,
            *d,
            "session",
            "new",
            "--device",
            "roller",
            "--needle-mm",
            "0.25",
            "--treated",
            "forehead",
            "--at",
            "3h ago",
        )[0]
        == 0
    )
    code, out, err = cli(
        capsys, *d, "session", "baseline", "1", SAMPLES / "obama.jpg", "--taken-at", "3h ago"
    )
    assert code == 2 and err.count("\n") == 1
    import re

    m = re.search(
        r"taken at \S+ (\d\d:\d\d:\d\d) \S+, ([\d.]+) s after the treatment started "
        r"\(\S+ (\d\d:\d\d:\d\d) \S+\)",
        err,
    )
    assert m, err
    assert 0 <= float(m.group(2)) < 10 and m.group(1)[:5] == m.group(3)[:5]


def test_baseline_well_after_the_start_says_minutes_without_seconds(capsys, tmp_path):
    d = ["--data-dir", tmp_path]
    assert (
        cli(
            capsys,
            *d,
            "session",
            "new",
            "--device",
            "roller",
            "--needle-mm",
            "0.25",
            "--treated",
            "forehead",
            "--at",
            "3h ago",
        )[0]
        == 0
    )
    code, out, err = cli(
        capsys, *d, "session", "baseline", "1", SAMPLES / "obama.jpg", "--taken-at", "1h ago"
    )
    assert code == 2 and err.count("\n") == 1
    assert ", 2 h after the treatment started (" in err
    import re

    assert not re.search(r"\d\d:\d\d:\d\d", err)  # different minutes: no seconds shown


@pytest.mark.parametrize(
    "seconds, words",
    [
        (0.4, "0.4 s"),
        (12, "12 s"),
        (59.9, "59 s"),
        (60, "1 min"),
        (125, "2 min 5 s"),
        (3000, "50 min"),
        (3600, "1 h"),
        (7500, "2 h 5 min"),
        (3 * 86400, "3 days"),
    ],
)
def test_time_spans_in_words(seconds, words):
    from skintrack.core.readable import span_text

    assert span_text(seconds) == words
