"""The issue 14 measurement scripts run and print their figures (per ITA° tone group)."""

from __future__ import annotations

import pytest
from scripts import measure_closeup, measure_tones

from tests.conftest import SHARED_DATA

pytestmark = pytest.mark.slow


def test_tone_group_figures_script_runs(capsys):
    assert measure_tones.main(["--seeds", "1", "--faces", "obama.jpg,aptus_2.png"]) == 0
    out = capsys.readouterr().out
    assert "per ITA° tone group" in out
    # obama.jpg is the darkest frontal sample face (ITA about 35: intermediate), aptus_2 light.
    assert "intermediate" in out and "light" in out
    rows = measure_tones.measure(["aptus_2.png"], seeds=1)
    assert {r["kind"] for r in rows} == {"open_wound", "crust", "pustule", "cold_sore"}
    # The painted wound on a light face is found by both checks.
    wound = next(r for r in rows if r["kind"] == "open_wound")
    assert wound["face_hits"] == 1 and wound["close_up_hits"] == 1


def test_close_up_measurement_script_runs_on_the_shared_photos(capsys):
    if not (SHARED_DATA / "dermnet-dev" / "index.json").is_file():
        pytest.skip("../shared/data/dermnet-dev is not present")
    assert measure_closeup.main(["--no-face-check", "--clear-sample", "3"]) == 0
    out = capsys.readouterr().out
    assert "dermnet-dev: 43 photos" in out and "per ITA° tone group" in out
    assert "clear-dev close-ups" in out
