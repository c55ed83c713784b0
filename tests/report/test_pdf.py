"""The PDF report: opens, has its pages and photos, says SIMULATED and not-a-diagnosis, no metadata."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from skintrack.report.images import metadata_markers
from skintrack.report.pdf import render_pdf, text_width_mm, wrap, write_pdf
from tests.report._pdf import read_pdf

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pdf_bytes(report_model):
    return render_pdf(report_model)


def _images_expected(model) -> int:
    """Photos and maps on page one, then every photo with its map, then the finding close-ups."""
    summary = sum(
        1 + (p.delta_map is not None or p.regions_image is not None) for _, p in model.summary_photos()
    )
    detail = sum(1 + (p.delta_map is not None or p.regions_image is not None) for p in model.photos)
    crops = sum(f.crop is not None for f in model.findings)
    return summary + detail + crops


def test_pdf_opens_with_pages_and_every_image(report_model, pdf_bytes):
    info = read_pdf(pdf_bytes)
    assert info.page_count >= 4  # summary, photos (8 of them), check..., disclaimer
    assert all(n > 500 for n in info.content_bytes), "a page has (almost) nothing drawn on it"
    # Every photo, map and close-up is painted; an image painted twice (the same display image
    # on page one and on its detail page) is stored once.
    assert sum(len(p) for p in info.page_images) == _images_expected(report_model)
    assert {n for p in info.page_images for n in p} == {im.obj for im in info.images}
    # Photos go in as JPEG (small, fast); each one decodes to its declared size (read_pdf checks).
    assert {im.filter for im in info.images} == {"DCTDecode"}
    assert b"SIMULATED" in info.info  # the document title says so too


def test_pdf_images_carry_no_exif_or_location(pdf_bytes):
    info = read_pdf(pdf_bytes)
    for im in info.images:
        assert metadata_markers(im.data) == [], f"image object {im.obj}"
    assert b"GPS" not in pdf_bytes and b"Exif" not in pdf_bytes


def test_pdf_text_says_simulated_on_every_page_and_not_a_diagnosis(tmp_path, report_model, pdf_bytes):
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.skip("poppler's pdftotext is not installed")
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf_bytes)
    n = read_pdf(path.read_bytes()).page_count
    for page in range(1, n + 1):
        text = subprocess.run(
            [exe, "-f", str(page), "-l", str(page), str(path), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "SIMULATED" in text, f"page {page} does not say SIMULATED"
    text = subprocess.run([exe, str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "This is not a diagnosis" in text
    assert "Undecided findings" in text.split("Every photo")[0]  # on page one
    for p in report_model.photos:
        assert f"{p.id} \u00b7" in text


def test_pdf_renders_with_poppler(tmp_path, small_model, pdftoppm):
    path = write_pdf(small_model, tmp_path / "r.pdf")
    subprocess.run(
        [pdftoppm, "-r", "30", "-png", str(path), str(tmp_path / "page")], check=True, capture_output=True
    )
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == read_pdf(path.read_bytes()).page_count
    import numpy as np
    from PIL import Image

    first = np.asarray(Image.open(pngs[0]).convert("L"))
    assert first.std() > 20  # text, photos and a chart, not a blank page


def test_page_one_is_the_summary_and_fits_one_page(report_model, pdf_bytes):
    info = read_pdf(pdf_bytes)
    images = {im.obj: im for im in info.images}
    trio = report_model.summary_photos()
    assert [h for h, _ in trio] == ["Baseline", "Peak redness", "Latest"]
    # Page one paints exactly the three photos and their maps (the baseline's regions), nothing
    # of the detail pages: the summary fits on it.
    first = [images[n] for n in info.page_images[0] if n in images]
    assert len(first) == 6
    assert all(im.width <= 300 and im.height <= 375 for im in first)
    # The redness chart is drawn there as vectors: far more drawing than text alone.
    assert info.content_bytes[0] > 20000
    # Every other image (photos, maps, close-ups) is on a later page.
    later = sum(len(p) for p in info.page_images[1:])
    assert later + len(first) == _images_expected(report_model)


def test_progress_is_monotonic_and_complete(small_model):
    seen = []
    render_pdf(small_model, progress=lambda d, t, s: seen.append((d, t, s)))
    done = [d for d, _, _ in seen]
    assert done == sorted(done) and done[-1] == seen[-1][1]
    assert len({t for _, t, _ in seen}) == 1


def test_cancelled_export_leaves_no_file(tmp_path, small_model):
    class Stop(Exception):
        pass

    def cancel(done, total, text):
        if done >= 3:
            raise Stop

    target = tmp_path / "r.pdf"
    target.write_bytes(b"an older report")
    with pytest.raises(Stop):
        write_pdf(small_model, target, progress=cancel)
    assert target.read_bytes() == b"an older report"
    assert [p.name for p in tmp_path.iterdir()] == ["r.pdf"]


def test_wrap_fits_the_width_it_is_given():
    text = (
        "Mild redness and a burning sensation are normal and usually subside within 4 to 6 "
        "hours; a supercalifragilisticexpialidociouslylongword too."
    )
    lines = wrap(text, 40.0, 8.5)
    assert len(lines) > 2
    assert all(text_width_mm(line, 8.5) <= 40.0 for line in lines)
    assert " ".join(lines).replace("  ", " ").replace(" ", "") == text.replace(" ", "")


def test_written_pdf_is_private_whatever_the_umask(tmp_path, small_model):
    import os

    umask = os.umask(0o022)
    try:
        path = write_pdf(small_model, tmp_path / "r.pdf")
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o600


def test_any_text_renders_with_a_fallback_glyph(tmp_path, small_model):
    """Tabs, control characters, CJK and emoji in the notes: the PDF is written, never a crash
    ("No glyphs have been loaded"), every line of the notes is laid out, and characters DejaVu
    Sans lacks are drawn with the fallback font and kept as text."""
    import dataclasses

    from skintrack.report.pdf import printable_text

    notes = "a\tb\r\nsecond \x1b[31mline\x07 中文 \U0001f9f4\nthird"
    assert printable_text("a\tb \x1b[31m中\U0001f9f4\u20dd") == "a b 中\U0001f9f4"
    assert wrap(notes, 150, 8.5) == ["a b", "second line 中文 \U0001f9f4", "third"]
    pdf = render_pdf(dataclasses.replace(small_model, notes=notes))
    assert read_pdf(pdf).page_count >= 3
    assert b"LastResort" in pdf  # the fallback font is embedded (cut down to what is used)
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.skip("poppler's pdftotext is not installed")
    (tmp_path / "r.pdf").write_bytes(pdf)
    text = subprocess.run(
        [exe, str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "second line 中文 \U0001f9f4" in text and "third" in text


def test_without_a_fallback_font_missing_glyphs_print_as_replacement(monkeypatch, small_model):
    import dataclasses

    from skintrack.report.pdf import layout as P

    monkeypatch.setattr(P, "fallback_font_path", lambda: None)
    for cached in (P._metrics, P.printable_text, P.text_width_mm):
        cached.cache_clear()
    try:
        assert P.printable_text("中文 ok") == "\ufffd\ufffd ok"
        data = render_pdf(dataclasses.replace(small_model, notes="中文 ok"))
        assert read_pdf(data).page_count >= 3 and b"LastResort" not in data
    finally:
        for cached in (P._metrics, P.printable_text, P.text_width_mm):
            cached.cache_clear()


def test_wrap_splits_a_pasted_huge_word_quickly():
    import time

    word = "\u00e9x" * 100_000
    t0 = time.perf_counter()
    lines = wrap(f"before {word} after", 60.0, 8.5)
    assert time.perf_counter() - t0 < 5.0
    assert "".join(lines[1:-1]) + lines[-1].removesuffix(" after") == word
    assert all(text_width_mm(line, 8.5) <= 60.0 for line in lines)
