"""``skintrack report SESSION -o FILE``: writes the PDF or HTML of a stored session."""

from __future__ import annotations

import pytest

from skintrack.cli import main
from tests.report._pdf import read_pdf
from tests.report._session import NOW, make_session

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory, engine):
    d = tmp_path_factory.mktemp("data")
    tracker, sid = make_session(d, engine)
    tracker.close()
    assert sid == 1
    return d


@pytest.mark.parametrize("suffix", [".pdf", ".html"])
def test_report_writes_the_file_and_shows_progress(tmp_path, data_dir, capsys, suffix):
    out = tmp_path / f"session{suffix}"
    code = main(["report", "1", "-o", str(out), "--data-dir", str(data_dir), "--as-of", NOW.isoformat()])
    captured = capsys.readouterr()
    assert code == 0
    assert captured.out.strip() == str(out)
    bars = [line for line in captured.err.splitlines() if line.startswith("report [")]
    assert len(bars) >= 5 and "100%" in bars[-1]  # one line per step when stderr is not a tty
    data = out.read_bytes()
    if suffix == ".pdf":
        assert read_pdf(data).page_count >= 3
    else:
        assert data.startswith(b"<!DOCTYPE html>") and b"SIMULATED" in data


def test_quiet_report_prints_only_the_path(tmp_path, data_dir, capsys):
    out = tmp_path / "r.html"
    assert main(["report", "1", "-o", str(out), "--data-dir", str(data_dir), "-q"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == str(out) and "report [" not in captured.err


@pytest.mark.parametrize(
    "args, message",
    [
        (["1", "-o", "report.docx"], "name the report file .pdf or .html"),
        (["7", "-o", "r.pdf"], "there is no session 7"),
        (["1", "-o", "no/such/folder/r.pdf"], "no such folder"),
        (["1", "-o", "r.pdf", "--as-of", "yesterday"], "--as-of"),
    ],
)
def test_report_errors_are_one_line(tmp_path, data_dir, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    code = main(["report", *args, "--data-dir", str(data_dir), "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and message in err[0], err
    assert not any(tmp_path.iterdir())  # nothing half-written
