"""The HTML report: one well-formed, self-contained file whose images are all embedded and clean."""

from __future__ import annotations

import base64
import io
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from PIL import Image

from skintrack.report.html import render_html, write_html
from skintrack.report.images import metadata_markers

XHTML_IMG = "img"


@pytest.fixture(scope="module")
def html_doc(report_model):
    return render_html(report_model)


def _tree(doc: str) -> ET.Element:
    # An XML parser is stricter than any browser: every element closed, every entity escaped.
    return ET.fromstring(doc.split("\n", 1)[1])


def _data(src: str) -> tuple[str, bytes]:
    assert src.startswith("data:"), f"image not embedded: {src[:60]}"
    head, payload = src.split(",", 1)
    assert head.endswith(";base64")
    return head[5:].split(";")[0], base64.b64decode(payload, validate=True)


def test_html_is_well_formed_and_self_contained(html_doc):
    assert html_doc.startswith("<!DOCTYPE html>\n")
    root = _tree(html_doc)
    assert root.tag == "html"
    # Nothing is fetched from anywhere: no src/href that is not a data URI, no scripts.
    for el in root.iter():
        for attr in ("src", "href"):
            if attr in el.attrib:
                assert el.attrib[attr].startswith("data:"), el.attrib[attr][:80]
        assert el.tag != "script"
    assert "http://" not in html_doc and "https://" not in html_doc

    class Strict(HTMLParser):
        def __init__(self):
            super().__init__()
            self.stack = []

        def handle_starttag(self, tag, attrs):
            if tag not in ("meta", "img", "br"):
                self.stack.append(tag)

        def handle_startendtag(self, tag, attrs):
            pass

        def handle_endtag(self, tag):
            assert self.stack and self.stack.pop() == tag, f"</{tag}> closes the wrong element"

    p = Strict()
    p.feed(html_doc)
    p.close()
    assert p.stack == []


def test_html_holds_every_image_decodable_and_clean(report_model, html_doc):
    imgs = [el for el in _tree(html_doc).iter() if el.tag == XHTML_IMG]
    photos = [el for el in imgs if _data(el.attrib["src"])[0] == "image/jpeg"]
    charts = [el for el in imgs if _data(el.attrib["src"])[0] == "image/svg+xml"]
    summary = sum(
        1 + (p.delta_map is not None or p.regions_image is not None) for _, p in report_model.summary_photos()
    )
    detail = sum(1 + (p.delta_map is not None or p.regions_image is not None) for p in report_model.photos)
    crops = sum(f.crop is not None for f in report_model.findings)
    assert len(photos) == summary + detail + crops
    assert len(charts) == 2  # redness curve and aftercare timeline
    for el in imgs:
        assert el.attrib.get("alt"), "every image has a text alternative"
        mime, data = _data(el.attrib["src"])
        assert metadata_markers(data) == [], el.attrib["alt"]
        if mime == "image/jpeg":
            im = Image.open(io.BytesIO(data))
            im.load()
            assert im.format == "JPEG" and not im.getexif()
        else:
            ET.fromstring(data)  # the SVG charts are well-formed too


def test_html_says_simulated_and_not_a_diagnosis(report_model, html_doc):
    root = _tree(html_doc)
    text = "".join(root.itertext())
    assert "SIMULATED" in root.find("head/title").text
    assert report_model.simulated_note in text
    disclaimer = [el for el in root.iter() if el.attrib.get("id") == "disclaimer"]
    assert disclaimer and "This is not a diagnosis" in "".join(disclaimer[0].itertext())
    for sid in ("summary", "photos", "findings", "check", "normalisation", "aftercare"):
        assert any(el.attrib.get("id") == sid for el in root.iter()), sid
    # Every simulated photo is tagged where it is shown.
    sim_tags = [el for el in root.iter() if el.attrib.get("class") == "tag-sim"]
    n_sim = sum(p.simulated for p in report_model.photos)
    n_sim_summary = sum(p.simulated for _, p in report_model.summary_photos())
    assert len(sim_tags) == n_sim + n_sim_summary


def test_html_shows_decisions_and_answers(report_model, html_doc):
    text = "".join(_tree(html_doc).itertext())
    assert "\u2611 confirmed" in text and "\u2611 dismissed" in text
    for a in report_model.questionnaire:
        assert a.question in text
    assert "derma roller, needles 0.25 mm" in text
    assert "\u00b11.2 CIELAB a* units" in text


def test_html_escapes_what_it_is_given(small_model):
    import dataclasses

    tricky = dataclasses.replace(
        small_model, session_label='Session <1> & "x"', notes="</section><script>alert(1)</script>"
    )
    doc = render_html(tricky)
    _tree(doc)
    assert "<script>" not in doc and "&lt;script&gt;" in doc


def test_not_simulated_report_says_nothing_of_simulation(small_model):
    doc = render_html(small_model)
    assert "SIMULATED" not in doc


def test_write_html_is_atomic(tmp_path, small_model):
    target = tmp_path / "r.html"
    seen = []
    write_html(small_model, target, progress=lambda d, t, s: seen.append((d, t)))
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]
    assert seen[-1][0] == seen[-1][1] and [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_written_report_is_private_whatever_the_umask(tmp_path, small_model):
    """Health data: the report is readable by its owner only (issue 12), even over an older
    report of the same name that others could read."""
    import os

    (tmp_path / "r.html").write_text("an older report")
    os.chmod(tmp_path / "r.html", 0o644)
    umask = os.umask(0o022)
    try:
        path = write_html(small_model, tmp_path / "r.html")
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o600
