"""Words and numbers that agree (issue 16), read from the real demo reports: one uncertainty
figure, the threshold named as a threshold, readable sentences; and the PDF layout fixes."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SRC = Path(__file__).resolve().parents[2] / "src" / "skintrack"
#: Sentences issue 16 found that did not parse or read wrong; none may come back.
BAD_WORDS = (
    "starts the redness curve",
    "not treated and removed",
    "skintrack is {sure}",
    "skintrack is sure",
    "Really redder",
    "Open findings",
    "within measurement uncertainty",
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from skintrack.cli import main

    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "-o", str(out), "-q"]) == 0
    return out


def _html_text(path: Path) -> str:
    raw = re.sub(r"data:[^\"')]+", "", path.read_text())
    return html.unescape(re.sub(r"<[^>]+>", " ", raw))


def _pdf_text(path: Path) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.skip("poppler's pdftotext is not installed")
    return subprocess.run([exe, "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_one_uncertainty_figure_and_a_named_threshold(demo):
    for text in (
        _html_text(demo / "skintrack-demo-report.html"),
        _pdf_text(demo / "skintrack-demo-report.pdf"),
    ):
        # Every ± after a number in the tables and summary lines is the same figure as the
        # "Uncertainty of a change" line; the ±1.0 is the threshold, named as such.
        u = re.search(r"Uncertainty of a change: \u00b1(\d\.\d)", text).group(1)
        mean_pm = set(re.findall(r"\u0394a\* [+\u2212]?\d+\.\d \u00b1 (\d\.\d)", text))
        assert mean_pm == {u}, (mean_pm, u)
        assert "Real-change threshold: \u00b11.0" in text
        assert not re.search(r"from \u00b1(\d\.\d) to \u00b1\1", text)
        assert "Undecided findings" in text and "Open findings" not in text
        assert "not treated and removed" not in text
        assert "-0.0" not in text and "\u22120.0" not in text


def test_the_pdf_ends_without_a_page_for_the_disclaimer_alone(demo):
    text = _pdf_text(demo / "skintrack-demo-report.pdf")
    last = text.split("\f")[-2] if text.endswith("\f") else text.split("\f")[-1]
    assert "This is not a diagnosis" in last
    body = [ln for ln in last.splitlines() if ln.strip()]
    assert len(body) > 12  # more than the running header, the box and the footer


def test_the_disclaimer_fits_on_the_page_when_a_smaller_size_lets_it():
    from skintrack.report.model import DISCLAIMER
    from skintrack.report.pdf import layout, sections

    class M:
        disclaimer = DISCLAIMER

    need = sections._disclaimer_height(DISCLAIMER, sections.DISCLAIMER_SIZES[-1])
    assert need < sections._disclaimer_height(DISCLAIMER, sections.DISCLAIMER_SIZES[0])
    pages: list = []
    flow = layout.Flow(pages)
    flow.need(1.0)
    flow.y = layout.BOTTOM - sections.DISCLAIMER_GAP - need - 0.1  # room for the smallest size only
    sections._disclaimer(M, flow)
    assert len(pages) == 1
    flow.y = layout.BOTTOM - 5.0  # no room at all: a new page, at full size
    sections._disclaimer(M, flow)
    assert len(pages) == 2


def test_the_now_line_passes_under_the_aftercare_bars():
    from matplotlib.figure import Figure

    from skintrack.report.charts import aftercare_chart

    ax = aftercare_chart(Figure(), items=[("no makeup", 0.0, 24.0), ("no acids", 0.0, 48.0)], now_hours=3.0)
    now_line = [ln for ln in ax.lines if list(ln.get_xdata()) == [3.0, 3.0]][0]
    assert all(now_line.get_zorder() < p.get_zorder() for p in ax.patches)
    now_label = [t for t in ax.texts if t.get_text() == "now"][0]
    assert now_label.get_va() == "bottom"  # above the axes, not over the top bar's words
    assert [t.get_text() for t in ax.texts if t.get_text().startswith("until")] == [
        "until 24 h",
        "until 48 h",
    ]


def test_the_sentences_that_did_not_parse_are_gone_from_the_source():
    found = []
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        found += [f"{path.relative_to(SRC)}: {w}" for w in BAD_WORDS if w in text]
    assert not found, found
    # No ``:g`` for hours a person reads: hours go through core.readable.
    for path in SRC.rglob("*.py"):
        for line in path.read_text().splitlines():
            assert not re.search(r"hours:g\}|_hours:g\}", line), f"{path}: {line.strip()}"
