"""``skintrack compare``: table, JSON (schema 1), change map, charts, and one-line refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest

from skintrack.cli import main
from skintrack.core.regions import REGION_NAMES
from skintrack.simulate import phantom as ph
from tests.conftest import SAMPLES

pytestmark = pytest.mark.slow

TARGET = {"left_cheek": 5.0, "nose": 2.5}


def _save(path, rgb):
    import cv2

    assert cv2.imwrite(str(path), np.ascontiguousarray(rgb[..., ::-1]))
    return str(path)


@pytest.fixture(scope="module")
def later_photo(tmp_path_factory, engine, load_sample):
    from skintrack.core.analysis import analyze_photo

    a = analyze_photo(load_sample("aptus_2.png"), engine, find_lesions=False)
    red = ph.add_redness(a.photo.rgb, a.regions, delta_a_star=TARGET)
    lit = ph.change_light(red, white_balance=(1.05, 1.0, 0.9), exposure=0.95)
    return _save(tmp_path_factory.mktemp("cmp") / "later.png", ph.jpeg_roundtrip(lit, 92))


BASE = str(SAMPLES / "aptus_2.png")


def test_cli_region_names_match_the_core():
    from skintrack.cli.compare import REGIONS

    assert REGIONS == REGION_NAMES


def test_json_record(later_photo, capsys):
    rc = main(["compare", BASE, later_photo, "--treated", "left_cheek,nose", "--json"])
    out = capsys.readouterr().out
    assert rc == 0
    rec = json.loads(out)
    assert rec["schema"] == 1
    assert rec["baseline"]["image"]["path"] == BASE and rec["later"]["image"]["path"] == later_photo
    assert rec["normalisation"]["method"] == "untreated_regions"
    assert rec["normalisation"]["reference_regions"] == ["forehead", "right_cheek", "chin", "perioral"]
    assert rec["regions"]["left_cheek"]["delta_a_star"] == pytest.approx(5.0, abs=0.5)
    assert rec["regions"]["nose"]["real_change"] is True
    assert abs(rec["regions"]["chin"]["delta_a_star"]) < 0.5
    assert [f["region"] for f in rec["findings"]] == ["left_cheek", "nose"]
    assert rec["findings"][0]["kind"] == "erythema" and rec["findings"][0]["grade"] == "moderate"
    assert "a_star" in rec["baseline"]["regions"]["forehead"]  # colour fields, as in analyze


def test_table_and_map(later_photo, tmp_path, capsys):
    out_png = tmp_path / "map.png"
    rc = main(["compare", BASE, later_photo, "--treated", "left-cheek, nose", "--map", str(out_png)])
    text = capsys.readouterr().out
    assert rc == 0
    assert "left cheek (treated)" in text and "moderate" in text
    assert "light matched by: untreated regions" in text
    from skintrack.core.intake import load_photo

    img = load_photo(out_png)
    assert 200 < img.height <= 1300 and img.width <= 1200


def test_without_treated_regions_the_light_is_not_matched(later_photo, capsys):
    rc = main(["compare", BASE, later_photo, "--json"])
    rec = json.loads(capsys.readouterr().out)
    assert rc == 0 and rec["normalisation"]["method"] == "none"
    assert any("not matched" in w for w in rec["warnings"])


def test_different_person_is_refused(capsys):
    rc = main(["compare", BASE, str(SAMPLES / "aptus_5.png")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "same person" in err and len(err.strip().splitlines()) == 1
    rc = main(["compare", BASE, str(SAMPLES / "obama.jpg"), "--json"])
    rec = json.loads(capsys.readouterr().out)
    assert rc == 2 and rec["same_person"] is False and rec["regions"] == {}


def test_user_errors_are_one_line(later_photo, tmp_path, capsys):
    assert main(["compare", BASE, later_photo, "--treated", "ears"]) == 2
    err = capsys.readouterr().err
    assert "unknown region 'ears'" in err and len(err.strip().splitlines()) == 1
    assert main(["compare", BASE, str(tmp_path / "missing.jpg")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["compare", BASE, later_photo, "--map", str(tmp_path / "no" / "dir" / "m.png")]) == 2
    assert "cannot write the map" in capsys.readouterr().err
    # Both photos need a chart for --chart.
    assert main(["compare", BASE, later_photo, "--chart"]) == 2
    assert "ColorChecker" in capsys.readouterr().err


def test_chart_option(tmp_path, load_sample, capsys):
    photo = load_sample("aptus_8.png").rgb
    base = _save(tmp_path / "b.png", ph.jpeg_roundtrip(ph.camera_response(ph.add_colour_chart(photo)), 92))
    later = _save(
        tmp_path / "l.png",
        ph.jpeg_roundtrip(ph.camera_response(ph.add_colour_chart(photo), white_balance=(0.9, 1.0, 1.15)), 92),
    )
    rc = main(["compare", base, later, "--chart", "--json"])
    rec = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert rec["normalisation"]["method"] == "chart"
    assert rec["calibration"]["baseline"]["held_out_delta_e2000"] <= 3.0
    assert all(abs(r["delta_a_star"]) < 0.6 for r in rec["regions"].values())
