"""Colour science: sRGB, CIELAB, CIEDE2000 against published values; skin indices on real faces."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from skintrack.core import colour
from tests.conftest import FRONTAL

#: CIELAB of sRGB primaries and greys (D65), IEC 61966-2-1 / CIE 15:2004 arithmetic; the values
#: every colour library reproduces (e.g. sRGB red = L* 53.24, a* 80.09, b* 67.20).
SRGB_LAB = [
    ((255, 0, 0), (53.241, 80.092, 67.203)),
    ((0, 255, 0), (87.735, -86.183, 83.179)),
    ((0, 0, 255), (32.297, 79.188, -107.860)),
    ((255, 255, 255), (100.0, 0.0, 0.0)),
    ((128, 128, 128), (53.585, 0.0, 0.0)),
]
LAB_TOL = 0.01

#: Sharma, Wu & Dalal (2005), Table 1: CIELAB pairs and their CIEDE2000 (4 decimals).
SHARMA_PAIRS = [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 3.1571, -77.2803), (50.0, 0.0, -82.7485), 2.8615),
    ((50.0, 2.8361, -74.0200), (50.0, 0.0, -82.7485), 3.4412),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.49, -0.001), (50.0, -2.49, 0.0009), 7.1792),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((50.0, 2.5, 0.0), (50.0, 3.1736, 0.5854), 1.0000),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((63.0109, -31.0961, -5.8663), (62.8187, -29.7946, -4.0864), 1.2630),
    ((22.7233, 20.0904, -46.6940), (23.0331, 14.9730, -42.5619), 2.0373),
    ((90.8027, -2.0831, 1.4410), (91.1528, -1.6435, 0.0447), 1.4441),
    ((90.9257, -0.5406, -0.9208), (88.6381, -0.8985, -0.7239), 1.5381),
]


def test_srgb_decode_table_matches_formula_and_round_trips():
    codes = np.arange(256, dtype=np.uint8)
    lin = colour.srgb_to_linear(codes)
    assert lin.dtype == np.float32
    v = codes / 255.0
    exact = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
    assert np.abs(lin - exact).max() < 1e-6
    assert np.array_equal(colour.linear_to_srgb8(lin), codes)
    assert np.abs(colour.linear_to_srgb(lin) * 255 - codes).max() < 1e-3


@pytest.mark.parametrize(("rgb", "lab"), SRGB_LAB)
def test_lab_of_srgb_matches_published_values(rgb, lab):
    px = np.array([[rgb]], np.uint8)
    got = colour.lab_from_linear(colour.srgb_to_linear(px))[0, 0]
    assert got.dtype == np.float32
    assert np.allclose(got, lab, atol=LAB_TOL)
    assert colour.a_star_from_linear(colour.srgb_to_linear(px))[0, 0] == pytest.approx(lab[1], abs=LAB_TOL)


def test_xyz_lab_round_trip():
    rng = np.random.default_rng(3)
    lab = np.stack([rng.uniform(5, 95, 500), rng.uniform(-60, 60, 500), rng.uniform(-60, 60, 500)], axis=1)
    back = colour.lab_from_xyz(colour.xyz_from_lab(lab))
    assert np.abs(back - lab).max() < 1e-3


def test_ciede2000_matches_sharma_table():
    a = np.array([p[0] for p in SHARMA_PAIRS])
    b = np.array([p[1] for p in SHARMA_PAIRS])
    expected = np.array([p[2] for p in SHARMA_PAIRS])
    got = colour.delta_e_2000(a, b)
    assert np.abs(got - expected).max() < 5e-5
    assert np.allclose(colour.delta_e_2000(b, a), got)  # symmetric
    assert colour.delta_e_2000(a[0], a[0]) == 0.0


def test_chart_greys_stay_neutral_after_adaptation_to_d65():
    from skintrack.core.calibration import CHART_LAB_D50, CHART_LAB_D65, GREY_PATCHES

    for i in GREY_PATCHES:
        assert abs(CHART_LAB_D65[i, 0] - CHART_LAB_D50[i, 0]) < 0.5
        assert abs(CHART_LAB_D65[i, 1]) < 1.5 and abs(CHART_LAB_D65[i, 2]) < 3.5


def test_erythema_and_melanin_index_formulas():
    lin = np.array([[0.4, 0.4, 0.3], [0.4, 0.2, 0.1], [0.1, 0.05, 0.02]], np.float32)
    ei = colour.erythema_index(lin)
    assert ei[0] == pytest.approx(0.0, abs=1e-4)
    assert ei[1] == pytest.approx(100 * math.log10(2.0), abs=1e-3)
    mi = colour.melanin_index(lin)
    assert mi[2] == pytest.approx(100.0, abs=1e-3)
    assert mi[0] < mi[2]  # darker red reflectance, more melanin
    assert np.isfinite(colour.erythema_index(np.zeros((1, 3), np.float32))).all()


def test_ita_and_tone_groups():
    assert colour.ita_deg(50.0, 10.0) == pytest.approx(0.0)
    assert colour.ita_deg(70.0, 20.0) == pytest.approx(45.0)
    assert colour.skin_tone(60) == "very_light"
    assert colour.skin_tone(55) == "light"  # boundaries belong to the darker group
    assert colour.skin_tone(41.5) == "light"
    assert colour.skin_tone(30) == "intermediate"
    assert colour.skin_tone(20) == "tan"
    assert colour.skin_tone(0) == "brown"
    assert colour.skin_tone(-45) == "dark"
    with pytest.raises(ValueError):
        colour.skin_tone(float("nan"))


def test_central_mean_ignores_tails_and_is_not_stuck_to_a_lattice():
    v = np.concatenate([np.full(90, 10.0), np.full(10, 40.0)])  # 10 % red spots
    assert colour.central_mean(v) == pytest.approx(10.0)
    # 8-bit photos put a* on a lattice: a redness change moves some pixels up one step, not all
    # pixels by a fraction. Here 30 % of the values move up 1 unit (mean +0.3): the median
    # jumps by 0 or 1, the central mean follows the change.
    rng = np.random.default_rng(0)
    lattice = np.repeat(np.arange(5.0, 16.0), 50)
    moved = lattice + (rng.random(lattice.size) < 0.3)
    assert np.median(moved) - np.median(lattice) in (0.0, 1.0)
    assert colour.central_mean(moved) - colour.central_mean(lattice) == pytest.approx(0.3, abs=0.08)
    with pytest.raises(ValueError):
        colour.central_mean(np.zeros(0))


@pytest.fixture(scope="module")
def frontal_stats(engine, load_sample):
    from skintrack.core.analysis import analyze_photo

    return {n: analyze_photo(load_sample(n), engine, find_lesions=False) for n in FRONTAL}


def test_region_statistics_on_real_faces(frontal_stats):
    for name, a in frontal_stats.items():
        stats = colour.region_statistics(a.regions)
        assert set(stats) == set(a.regions.regions)
        for region, s in stats.items():
            assert set(s) == set(colour.STAT_FIELDS), (name, region)
            assert s["a_star_p90"] >= s["a_star"], (name, region)
            assert 0 < s["a_star"] < 40, (name, region)  # skin is red-ish, never green
            assert s["erythema_index"] > 0, (name, region)  # R > G on skin
            assert s["tone"] in {g for g, _ in colour.TONE_GROUPS}
            json.dumps(s)  # JSON-ready plain values


def test_darker_skin_reads_darker(frontal_stats):
    ita = {n: a.region_stats["left_cheek"]["ita_deg"] for n, a in frontal_stats.items()}
    assert ita["obama.jpg"] == min(ita.values())
    assert frontal_stats["obama.jpg"].region_stats["left_cheek"]["tone"] != "very_light"
    assert frontal_stats["aptus_1.png"].region_stats["left_cheek"]["tone"] == "very_light"


def test_analyze_record_carries_colour_fields(frontal_stats):
    from skintrack.core.analysis import analysis_record

    rec = analysis_record(frontal_stats["aptus_1.png"])
    for region in rec["regions"].values():
        for field in colour.STAT_FIELDS:
            assert field in region
    json.dumps(rec)


def test_a_star_tracks_added_redness(frontal_stats):
    """Redder skin (less green, in linear light) must read higher a* and erythema index."""
    a = frontal_stats["aptus_2.png"]
    lin = colour.srgb_to_linear(a.regions.work_rgb[a.regions["left_cheek"].usable])
    redder = lin * np.array([1.0, 0.85, 0.9], np.float32)
    base = colour.skin_statistics(colour.lab_from_linear(lin), lin)
    red = colour.skin_statistics(colour.lab_from_linear(redder), redder)
    assert red["a_star"] > base["a_star"] + 3
    assert red["erythema_index"] == pytest.approx(base["erythema_index"] - 100 * math.log10(0.85), abs=0.05)
    assert red["melanin_index"] == pytest.approx(base["melanin_index"], abs=0.01)
