"""The end-point check (issue 17): the first photo after treatment against "slightly pink".

Pure numbers first (the rule), then the redness phantom through the real comparison: at the
threshold and below it nothing fires, clearly above it the person is told "next time, lighter".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from skintrack.core import protocol
from skintrack.core.recovery import (
    SERUM_STEP,
    Observation,
    aftercare_timers,
    assess_recovery,
    endpoint_advice,
    endpoint_check,
)
from skintrack.simulate import phantom as ph

T0 = datetime(2026, 6, 24, 18, 0, tzinfo=UTC)
TREATED = ("forehead", "left_cheek", "right_cheek")
LIMIT = protocol.ENDPOINT_MAX_DELTA_A_STAR
#: The band compare reports with untreated-region normalisation on the sample faces (a* units).
BAND = 0.47


def series(delta: float, *, hours: float = 0.25, band: float = BAND, dei: float | None = None):
    return {
        r: [Observation(hours, delta, band, delta > 1.0, photo_id=7, delta_erythema_index=dei)]
        for r in TREATED
    }


def test_the_threshold_is_the_published_bound_and_sits_above_the_normal_course():
    # Mild erythema (Babulak 1986) up to ~3 a*, well-defined from 4-5 (Wilhelm & Maibach 1989):
    # the bound is the top of the overlap; the recovery model's normal course starts below it.
    assert protocol.ENDPOINT_MAX_DELTA_A_STAR == 5.0
    assert protocol.ENDPOINT_MAX_DELTA_ERYTHEMA_INDEX == pytest.approx(1.25 * LIMIT, abs=0.1)
    assert protocol.rule("endpoint").source == protocol.SRC_ENDPOINT


@pytest.mark.parametrize("delta", [0.0, 2.5, 4.23, LIMIT, LIMIT + BAND - 0.01])
def test_at_the_threshold_and_below_it_nothing_fires(delta):
    check = endpoint_check(series(delta), treated_regions=TREATED)
    assert check.measured and check.too_red == ()
    advice = endpoint_advice(check)
    assert advice.code == "endpoint_ok" and advice.source == protocol.SRC_ENDPOINT
    assert "slightly pink" in advice.text and "lighter" not in advice.text


def test_redder_than_slightly_pink_says_so_plainly_with_next_time_lighter():
    check = endpoint_check(series(7.0, dei=8.9), treated_regions=TREATED)
    assert check.too_red == TREATED and check.redder_than_slightly_pink
    a = endpoint_advice(check)
    assert a.code == "endpoint_too_red" and a.level == "caution" and a.source == protocol.SRC_ENDPOINT
    for words in (
        "redder than slightly pink",
        "too much pressure or too many passes",
        "Next time, lighter",
        "+7.0",
        "erythema index +8.9",
        "+5",
    ):
        assert words in a.text, words
    rec = check.to_record()
    assert rec["redder_than_slightly_pink"] and rec["too_red"] == list(TREATED)
    assert rec["max_delta_a_star"] == LIMIT and rec["delta_erythema_index"] == 8.9


def test_only_the_regions_beyond_their_band_are_named():
    s = series(3.0)
    s["left_cheek"] = [Observation(0.5, 6.5, 0.5, True, photo_id=7)]
    s["forehead"] = [Observation(0.5, 5.3, 0.5, True, photo_id=7)]  # within its band of 5
    for r in ("right_cheek",):
        s[r] = [Observation(0.5, 3.0, 0.5, True, photo_id=7)]
    check = endpoint_check(s, treated_regions=TREATED)
    assert check.too_red == ("left_cheek",) and check.region == "left_cheek"
    assert "left cheek" in endpoint_advice(check).text
    # Untreated regions never count.
    assert endpoint_check(s, treated_regions=("right_cheek",)).too_red == ()


def test_a_first_photo_after_the_first_hour_cannot_show_the_end_point():
    check = endpoint_check(series(8.0, hours=2.0), treated_regions=TREATED)
    assert not check.measured and check.too_red == ()
    a = endpoint_advice(check)
    assert a.code == "endpoint_not_measured" and "within 1 h" in a.text
    assert endpoint_check({}, treated_regions=TREATED) is None
    assert endpoint_advice(None) is None


def test_only_the_first_photo_measures_it():
    s = {
        r: [Observation(0.25, 3.0, BAND, True, photo_id=1), Observation(1.5, 8.0, BAND, True, photo_id=2)]
        for r in TREATED
    }
    check = endpoint_check(s, treated_regions=TREATED)
    assert check.photo_id == 1 and check.too_red == ()


def test_the_status_carries_it_into_advice_and_record():
    now = T0 + timedelta(hours=0.5)
    st = assess_recovery(series(7.5), treated_regions=TREATED, treated_at=T0, now=now, threshold=1.0)
    codes = [a.code for a in st.advice]
    assert codes[1] == "endpoint_too_red", codes  # right after the status itself
    rec = st.to_record()
    assert rec["endpoint"]["redder_than_slightly_pink"] and rec["schema"] == 1
    normal = assess_recovery(series(4.2), treated_regions=TREATED, treated_at=T0, now=now, threshold=1.0)
    assert "endpoint_too_red" not in [a.code for a in normal.advice]
    assert normal.to_record()["endpoint"]["too_red"] == []
    none_yet = assess_recovery({}, treated_regions=TREATED, treated_at=T0, now=now, threshold=1.0)
    assert none_yet.endpoint is None and none_yet.to_record()["endpoint"] is None


def test_the_normal_course_of_the_recovery_model_never_fires():
    """docs/recovery.md's simulated normal course (A 2.5-4 a* at 0 h, τ 1.5-3 h) with its
    repeat-photo noise (σ 0.35 a*, a 0.5 band), first photo at 0-1 h, over 500 seeds. (The
    rendered normal courses are checked through the real pipeline: tests/test_tracking.py and
    scripts/measure_recovery.py.)"""
    import numpy as np

    rng = np.random.default_rng(17)
    fired = 0
    for _ in range(500):
        amplitude, tau, first = rng.uniform(2.5, 4.0), rng.uniform(1.5, 3.0), rng.uniform(0, 1)
        measured = amplitude * np.exp(-first / tau) + rng.normal(0, 0.35)
        check = endpoint_check(series(float(measured), hours=float(first), band=0.5), treated_regions=TREATED)
        fired += bool(check.too_red)
    assert fired == 0


def test_serum_step_is_first_in_the_aftercare_list_and_ticks():
    now = T0 + timedelta(hours=0.2)
    timers = aftercare_timers(T0, now)
    assert timers[0].code == SERUM_STEP and timers[0].active and not timers[0].done
    assert [t.code for t in timers[1:3]] == ["no_makeup_swimming_sun", "no_acids_retinol"]
    ticked = aftercare_timers(T0, now, serum_applied=True)[0]
    assert ticked.done and not ticked.active
    st = assess_recovery({}, treated_regions=TREATED, treated_at=T0, now=now, threshold=1.0)
    serum = [a for a in st.advice if a.code == "serum"]
    assert serum and serum[0].source == protocol.SRC_SERUM
    done = assess_recovery(
        {}, treated_regions=TREATED, treated_at=T0, now=now, threshold=1.0, serum_applied=True
    )
    assert "serum" not in [a.code for a in done.advice]
    assert done.to_record()["timers"][0] == {
        "code": SERUM_STEP,
        "label": timers[0].label,
        "ends_at": T0.isoformat(),
        "hours_from_treatment": 0.0,
        "remaining_hours": 0.0,
        "active": False,
        "done": True,
    }


# --- the phantom through the real comparison -----------------------------------------------------
@pytest.fixture(scope="module")
def faces(engine, load_sample):
    from skintrack.core.analysis import analyze_photo

    return {
        n: analyze_photo(load_sample(n), engine, find_lesions=False) for n in ("aptus_2.png", "obama.jpg")
    }


def _measured(engine, base, delta: float, seed: int):
    """Render ``delta`` on the treated regions, re-photograph it (other light, a little turn,
    JPEG) and compare with the baseline: the observations of a first photo at 0.25 h."""
    import numpy as np

    from skintrack.core.analysis import analyze_photo
    from skintrack.core.compare import compare_analyses
    from skintrack.core.intake import photo_from_array

    rng = np.random.default_rng(seed)
    img = ph.add_redness(base.photo.rgb, base.regions, delta_a_star=dict.fromkeys(TREATED, delta), seed=seed)
    img = ph.change_light(
        img,
        white_balance=(1 + rng.normal(0, 0.015), 1.0, 1 + rng.normal(0, 0.015)),
        exposure=float(1 + rng.normal(0, 0.02)),
    )
    img = ph.change_pose(img, angle_deg=float(rng.normal(0, 0.7)))
    img = ph.jpeg_roundtrip(img, quality=90)
    later = analyze_photo(photo_from_array(img), engine, find_lesions=False)
    c = compare_analyses(base, later, treated=TREATED)
    return {
        r: [
            Observation(
                0.25,
                ch.delta_a_star,
                ch.uncertainty,
                ch.real_change,
                photo_id=2,
                delta_erythema_index=ch.delta_erythema_index,
            )
        ]
        for r, ch in c.regions.items()
    }


@pytest.mark.slow
@pytest.mark.parametrize("name", ["aptus_2.png", "obama.jpg"])
def test_phantom_at_the_threshold_and_below_it_does_not_fire_above_it_does(engine, faces, name):
    base = faces[name]
    for delta, fires in ((3.0, False), (4.2, False), (LIMIT, False), (7.0, True)):
        obs = _measured(engine, base, delta, seed=int(delta * 10))
        check = endpoint_check(obs, treated_regions=TREATED)
        assert check.measured
        assert bool(check.too_red) == fires, (name, delta, check)
        if fires:
            assert set(check.too_red) == set(TREATED)
            assert "Next time, lighter" in endpoint_advice(check).text
        # The erythema index moves with a* as the bound assumes (1.12-1.46 EI per a* unit).
        dei, da = check.delta_erythema_index, check.delta_a_star
        assert 1.05 * da <= dei <= 1.55 * da, (name, delta, da, dei)
