"""``skintrack demo -o DIR``: end to end, from the bundled photos to both reports."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from skintrack.cli import main
from skintrack.cli.demo import DATA_NAME, FOLLOW_UP_HOURS, MARKER, REPORT_NAME
from tests.report._pdf import read_pdf

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    home = tmp_path_factory.mktemp("home") / "skintrack"
    mp = pytest.MonkeyPatch()
    mp.setenv("SKINTRACK_HOME", str(home))  # the person's own data folder: must stay untouched
    try:
        from contextlib import redirect_stdout
        from io import StringIO

        buf = StringIO()
        with redirect_stdout(buf):
            code = main(["demo", "-o", str(out), "-q"])
    finally:
        mp.undo()
    return code, out, buf.getvalue(), home


def test_demo_writes_both_reports_and_says_where(demo):
    code, out, stdout, home = demo
    assert code == 0
    pdf, html = out / f"{REPORT_NAME}.pdf", out / f"{REPORT_NAME}.html"
    assert str(pdf) in stdout and str(html) in stdout
    assert "SIMULATED" in stdout
    info = read_pdf(pdf.read_bytes())
    assert info.page_count >= 3
    # Baseline + five simulated follow-ups, each photo with its map or regions, on page one and
    # on the detail pages.
    assert len(info.images) >= 2 * 3 + 2 * (1 + len(FOLLOW_UP_HOURS))
    doc = html.read_text(encoding="utf-8")
    assert doc.count('class="tag-sim"') >= len(FOLLOW_UP_HOURS)
    assert "This is not a diagnosis" in doc


def test_demo_writes_private_files(demo):
    """Whatever the umask, what the demo writes is readable by its owner only (issue 12)."""
    _, out, _, _ = demo
    for suffix in (".pdf", ".html"):
        assert (out / f"{REPORT_NAME}{suffix}").stat().st_mode & 0o077 == 0
    assert (out / DATA_NAME).stat().st_mode & 0o077 == 0
    assert (out / DATA_NAME / MARKER).stat().st_mode & 0o077 == 0


def test_demo_data_stays_inside_the_output_folder(demo):
    code, out, _, home = demo
    assert (out / DATA_NAME / MARKER).is_file()
    assert (out / DATA_NAME / "skintrack.db").is_file()
    assert not home.exists()


def test_demo_pdf_says_simulated_on_every_page(demo):
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.skip("poppler's pdftotext is not installed")
    _, out, _, _ = demo
    pdf = out / f"{REPORT_NAME}.pdf"
    for page in range(1, read_pdf(pdf.read_bytes()).page_count + 1):
        text = subprocess.run(
            [exe, "-f", str(page), "-l", str(page), str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "SIMULATED" in text, f"page {page}"


def test_demo_never_empties_a_folder_it_did_not_make(tmp_path, capsys):
    (tmp_path / DATA_NAME).mkdir()
    keep = tmp_path / DATA_NAME / "precious.txt"
    keep.write_text("mine")
    assert main(["demo", "-o", str(tmp_path), "-q"]) == 2
    assert "not a skintrack demo folder" in capsys.readouterr().err
    assert keep.read_text() == "mine"


def test_demo_refuses_an_unknown_sample(tmp_path, capsys):
    assert main(["demo", "-o", str(tmp_path), "--photo", "nobody.png", "-q"]) == 2
    assert "no such sample photo" in capsys.readouterr().err
