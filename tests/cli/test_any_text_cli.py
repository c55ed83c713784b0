"""Any text a person types (notes, products, file names) goes through every command and both
reports: tabs, emoji, Chinese and Japanese, carriage returns, escape sequences, control characters."""

from __future__ import annotations

import re
import shutil
import subprocess
from xml.etree import ElementTree

import pytest

from skintrack.cli import main
from skintrack.report.images import metadata_markers
from tests.conftest import SAMPLES
from tests.report._pdf import read_pdf

pytestmark = pytest.mark.slow

NOTES = (
    "first line\twith a tab\r\nsecond line: 😀 中文 日本語のメモ\rthird line "
    "\x1b[31mred\x1b[0m bell\x07 nul-free \u202eevil\u202c end"
)
PRODUCTS = "vitamin C serum,hyaluronic\tacid,アロエ gel 🌿"
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e]")


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """A session with the awkward notes and products, its baseline a photo carrying EXIF with a
    GPS position, named with an escape sequence."""
    from contextlib import redirect_stderr, redirect_stdout
    from io import StringIO

    from PIL import Image

    root = tmp_path_factory.mktemp("anytext")
    data = root / "data"
    photo = root / "face \x1b[31mred\x1b[0m.jpg"
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (52.0, 22.0, 1.5), "E", (4.0, 53.0, 0.0)
    Image.open(SAMPLES / "aptus_1.png").convert("RGB").save(photo, exif=exif, quality=92)
    out, err = StringIO(), StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        assert (
            main(
                [
                    "session",
                    "--data-dir",
                    str(data),
                    "new",
                    "--device",
                    "roller",
                    "--needle-mm",
                    "0.25",
                    "--treated",
                    "forehead,left_cheek",
                    "--at",
                    "2h ago",
                    "--notes",
                    NOTES,
                    "--products",
                    PRODUCTS,
                ]
            )
            == 0
        )
        code = main(["session", "--data-dir", str(data), "baseline", "1", str(photo), "--taken-at", "3h ago"])
    assert code == 0, err.getvalue()
    return root, data, out.getvalue() + err.getvalue()


def test_terminal_never_gets_raw_control_characters(session, capsys):
    root, data, printed = session
    assert "baseline of session 1: face \\x1b[31mred\\x1b[0m.jpg" in printed
    assert not CONTROL.search(printed)
    # An error naming the file: the same, escaped, on one line.
    code = main(
        [
            "session",
            "--data-dir",
            str(data),
            "add",
            "1",
            str(root / "face \x1b[31mred\x1b[0m.jpg"),
            "--taken-at",
            "4h ago",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "\\x1b[31m" in err and not CONTROL.search(err)


def _report(session, tmp_path, suffix) -> bytes:
    _, data, _ = session
    out = tmp_path / f"r{suffix}"
    code = main(["report", "1", "-o", str(out), "--data-dir", str(data), "-q"])
    assert code == 0
    return out.read_bytes()


def test_html_report_shows_all_the_text_and_stays_well_formed(session, tmp_path, capsys):
    html = _report(session, tmp_path, ".html").decode("utf-8")
    capsys.readouterr()
    ElementTree.fromstring(html.split("\n", 1)[1])  # well-formed XML after the doctype
    assert not CONTROL.search(html)
    for words in (
        "first line with a tab",
        "second line: 😀 中文 日本語のメモ",
        "third line",
        "red bell",
        "evil",
        "vitamin C serum",
        "hyaluronic acid",
        "アロエ gel 🌿",
    ):
        assert words in html, words
    assert "<br />second line" in html  # the notes keep their lines


def test_pdf_report_shows_products_and_every_line_of_the_notes(session, tmp_path, capsys):
    pdf = _report(session, tmp_path, ".pdf")
    capsys.readouterr()
    info = read_pdf(pdf)  # opens, every image decodes
    assert info.page_count >= 3
    assert info.images
    for im in info.images:  # the baseline photo's EXIF and GPS stay behind
        assert metadata_markers(im.data) == []
    assert b"GPS" not in info.info
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.skip("poppler's pdftotext is not installed (the PDF was still written)")
    path = tmp_path / "r.pdf"
    text = subprocess.run([exe, str(path), "-"], capture_output=True, text=True, check=True).stdout
    text = " ".join(text.split())
    for words in (
        "first line with a tab",
        "third line",
        "red bell",
        "evil end",
        "vitamin C serum",
        "hyaluronic acid",
        "products:",
    ):
        assert words in text, words
    # Characters DejaVu Sans has no glyph for are drawn by the fallback font and kept as text.
    assert "second line: 😀 中文 日本語のメモ" in text


def test_html_of_the_report_holds_no_location(session, tmp_path, capsys):
    import base64

    html = _report(session, tmp_path, ".html").decode("utf-8")
    capsys.readouterr()
    uris = re.findall(r'data:([\w/+]+);base64,([^"]+)', html)
    assert sum(kind == "image/jpeg" for kind, _ in uris) >= 2
    for _, b64 in uris:  # every embedded picture is re-encoded from pixels: no EXIF, no GPS
        assert metadata_markers(base64.b64decode(b64)) == []
    text = re.sub(r'data:[^"]+', "", html)
    assert "GPS" not in text and "Exif" not in text


def test_notes_with_bytes_that_are_not_utf8_are_kept_readable(tmp_path, capsys):
    """A terminal in another encoding can pass bytes that are not UTF-8: stored with U+FFFD."""
    import json
    import os

    d = ["session", "--data-dir", str(tmp_path)]
    code = main(
        [
            *d,
            "new",
            "--device",
            "pen",
            "--needle-mm",
            "0.25",
            "--treated",
            "chin",
            "--notes",
            os.fsdecode(b"caf\xe9 au lait"),
            "--products",
            os.fsdecode(b"cr\xe8me"),
        ]
    )
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main([*d, "list", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["notes"] == "caf\ufffd au lait" and rec["products"] == ["cr\ufffdme"]


def test_a_photo_named_with_bytes_that_are_not_utf8_is_stored_with_a_readable_name(tmp_path, capsys):
    """A file name in another encoding (lone surrogates in Python) is stored with U+FFFD, not refused
    with an internal error."""
    import json
    import os

    photo = tmp_path / os.fsdecode(b"visage-\xe9t\xe9.png")
    shutil.copy(SAMPLES / "aptus_1.png", photo)
    d = ["session", "--data-dir", str(tmp_path / "data")]
    assert (
        main([*d, "new", "--device", "pen", "--needle-mm", "0.25", "--treated", "chin", "--at", "2h ago"])
        == 0
    )
    code = main([*d, "baseline", "1", str(photo), "--taken-at", "3h ago"])
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main([*d, "status", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["baseline_photo_id"] == 1
    from skintrack.tracking import Tracker

    with Tracker(tmp_path / "data") as tracker:
        assert [p.original_name for p in tracker.photos(1)] == ["visage-\ufffdt\ufffd.png"]
