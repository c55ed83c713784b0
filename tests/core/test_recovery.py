"""The recovery model on simulated redness series (pure numbers: no photos here).

Scenarios follow the issue: photos at 0, 1, 2, 4 and 6 h after treatment, with repeat-photo
noise. The end-to-end version on rendered sample faces is in ``tests/test_tracking.py``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest

from skintrack.core import protocol
from skintrack.core.recovery import (
    NewFinding,
    Observation,
    Symptoms,
    aftercare_timers,
    assess_recovery,
    fit_decay,
    region_recovery,
)

THRESHOLD = 1.0  # a* units, as compare.REAL_CHANGE_A_STAR; the model takes it as a parameter
NOISE_SD = 0.35  # repeat-photo noise, a* units (standard deviation; compare measures ~0.25)
BAND = 0.5  # the 95 % half-width a comparison reports with each Δa*
HOURS = (0.0, 1.0, 2.0, 4.0, 6.0)
SEEDS = range(100)
T0 = datetime(2026, 6, 24, 8, 0, tzinfo=UTC)


def curve(kind: str, rng: np.random.Generator):
    """True Δa*(t) of one simulated recovery."""
    if kind == "normal":  # the protocol's course: time constant 1.5-3 h
        # Mild redness (a real change below compare's "moderate" 4 a*), time constant 1.5-3 h.
        a, tau = rng.uniform(2.5, 4.0), rng.uniform(1.5, 3.0)
        return lambda t: a * np.exp(-t / tau)
    if kind == "slow":  # fading, but far too slowly for the 4-6 h window
        a, tau = rng.uniform(4.0, 6.0), rng.uniform(12.0, 20.0)
        return lambda t: a * np.exp(-t / tau)
    if kind == "persistent":  # not fading at all
        a = rng.uniform(3.0, 5.0)
        return lambda t: a + 0.0 * t
    if kind == "worsening":  # rising after the first hour
        a, rate = rng.uniform(3.0, 4.0), rng.uniform(1.5, 2.5)
        return lambda t: a + rate * max(t - 1.0, 0.0)
    raise ValueError(kind)


def observe(value: float, hours: float, rng) -> Observation:
    d = value + rng.normal(0.0, NOISE_SD)
    return Observation(hours, d, BAND, abs(d) > max(THRESHOLD, BAND))


def run_series(kind: str, seed: int) -> dict[float, str]:
    """Status after each photo of one simulated series."""
    rng = np.random.default_rng(seed)
    f = curve(kind, rng)
    obs, out = [], {}
    for h in HOURS:
        obs.append(observe(f(h), h, rng))
        st = assess_recovery(
            {"left_cheek": list(obs)},
            treated_regions=["left_cheek"],
            treated_at=T0,
            now=T0 + timedelta(hours=h, minutes=5),
            threshold=THRESHOLD,
        )
        out[h] = st.status
    return out


@pytest.fixture(scope="module")
def outcomes():
    return {
        kind: [run_series(kind, s) for s in SEEDS] for kind in ("normal", "slow", "persistent", "worsening")
    }


# The statuses that must come out for every seed, after the photo at each hour.
EXPECTED = {
    "normal": {6.0: {"resolved"}},
    "slow": {4.0: {"slower_than_usual"}, 6.0: {"persistent"}},
    "persistent": {2.0: {"slower_than_usual"}, 4.0: {"slower_than_usual"}, 6.0: {"persistent"}},
    "worsening": {4.0: {"worsening"}, 6.0: {"worsening"}},
}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_status_is_right_for_every_seed(outcomes, kind):
    for seed, statuses in zip(SEEDS, outcomes[kind], strict=True):
        for hour, allowed in EXPECTED[kind].items():
            assert statuses[hour] in allowed, (kind, seed, hour, statuses)


def test_early_calls_are_mostly_right(outcomes):
    """Two or three noisy photos cannot always tell a normal from a slow fade; most of the time
    they must (rates measured at NOISE_SD = 0.5 are in docs/recovery.md)."""

    def rate(kind, hour, allowed):
        return np.mean([s[hour] in allowed for s in outcomes[kind]])

    assert rate("normal", 1.0, {"on_track", "resolved"}) >= 0.6
    assert rate("normal", 2.0, {"on_track", "resolved"}) >= 0.9
    assert rate("normal", 4.0, {"on_track", "resolved"}) >= 0.97
    assert rate("slow", 1.0, {"slower_than_usual"}) >= 0.95
    assert rate("slow", 2.0, {"slower_than_usual"}) >= 0.98
    assert rate("worsening", 2.0, {"worsening"}) >= 0.35


def test_fit_recovers_time_constant_and_resolution_time():
    tau, a = 2.0, 6.0
    obs = [Observation(h, a * np.exp(-h / tau), 0.1, True) for h in (0.0, 1.0, 2.0, 4.0)]
    fit = fit_decay(obs, threshold=THRESHOLD)
    assert fit.tau_hours == pytest.approx(tau, rel=0.05)
    assert fit.amplitude == pytest.approx(a, rel=0.05)
    expected = tau * np.log(a / THRESHOLD)  # 2.2 h
    assert fit.resolve_hours == pytest.approx(expected, abs=0.25)
    assert fit.resolve_low <= expected <= fit.resolve_high
    assert fit.p_by_window_end > 0.99
    assert float(fit.predict(2.0)) == pytest.approx(a * np.exp(-1.0), rel=0.05)


def test_fit_of_flat_series_predicts_nothing():
    obs = [Observation(h, 5.0, 0.3, True) for h in (0.0, 1.0, 2.0, 3.0)]
    fit = fit_decay(obs, threshold=THRESHOLD)
    assert fit.resolve_hours is None or fit.resolve_hours > 24
    assert fit.p_by_window_end < 0.05


def test_fit_needs_two_photos():
    with pytest.raises(ValueError):
        fit_decay([Observation(1.0, 4.0, 0.5, True)], threshold=THRESHOLD)


def test_no_photo_after_treatment_says_what_to_do():
    st = assess_recovery(
        {}, treated_regions=["nose"], treated_at=T0, now=T0 + timedelta(minutes=20), threshold=THRESHOLD
    )
    assert st.status == "insufficient_data"
    assert st.confidence == "none"
    assert st.next_photo is not None and st.next_photo.hours == 1.0
    assert st.next_photo.at == T0 + timedelta(hours=1)
    assert "no_photo_yet" in [a.code for a in st.advice]


def test_one_photo_is_on_track_with_low_confidence_and_names_the_next_photo():
    obs = {"left_cheek": [Observation(0.5, 5.0, 0.5, True)]}
    st = assess_recovery(
        obs, treated_regions=["left_cheek"], treated_at=T0, now=T0 + timedelta(hours=0.6), threshold=THRESHOLD
    )
    assert (st.status, st.confidence) == ("on_track", "low")
    assert st.predicted_resolved_at_hours is None
    assert st.next_photo.hours == 1.0
    assert "fading fast enough" in st.next_photo.settles
    assert any(a.code == "next_photo" and "1 h after treatment" in a.text for a in st.advice)


def test_one_photo_at_six_hours_still_red_is_persistent():
    obs = {"left_cheek": [Observation(6.5, 4.5, 0.5, True)]}
    st = assess_recovery(
        obs, treated_regions=["left_cheek"], treated_at=T0, now=T0 + timedelta(hours=7), threshold=THRESHOLD
    )
    assert st.status == "persistent"
    assert st.urgency == "consult_dermatologist"
    assert st.next_photo is None
    persistent = next(a for a in st.advice if a.code == "persistent")
    assert "consult a dermatologist" in persistent.text
    assert persistent.source == protocol.SRC_WARNING


def test_slower_than_usual_asks_for_the_six_hour_photo():
    obs = [Observation(h, 6.0 * np.exp(-h / 15.0), 0.3, True) for h in (0.0, 1.0, 2.0)]
    st = assess_recovery(
        {"chin": obs},
        treated_regions=["chin"],
        treated_at=T0,
        now=T0 + timedelta(hours=2.1),
        threshold=THRESHOLD,
    )
    assert st.status == "slower_than_usual"
    assert st.next_photo.hours == protocol.REDNESS_WINDOW_END_HOURS
    assert "6 hours" in st.next_photo.settles


def test_untreated_regions_do_not_set_the_status():
    treated = [Observation(h, 6.0 * np.exp(-h / 2.0), 0.3, True) for h in (0.0, 1.0, 2.0)]
    rising = [Observation(h, 1.0 + 3.0 * h, 0.3, True) for h in (0.0, 1.0, 2.0)]
    st = assess_recovery(
        {"left_cheek": treated, "forehead": rising},
        treated_regions=["left_cheek"],
        treated_at=T0,
        now=T0 + timedelta(hours=2.1),
        threshold=THRESHOLD,
    )
    assert st.status == "on_track"
    assert st.regions["forehead"].status == "worsening"  # reported, not deciding


def test_worst_treated_region_decides():
    good = [Observation(h, 6.0 * np.exp(-h / 2.0), 0.3, True) for h in (0.0, 1.0, 2.0)]
    flat = [Observation(h, 6.0, 0.3, True) for h in (0.0, 1.0, 2.0)]
    st = assess_recovery(
        {"left_cheek": good, "right_cheek": flat},
        treated_regions=["left_cheek", "right_cheek"],
        treated_at=T0,
        now=T0 + timedelta(hours=2.1),
        threshold=THRESHOLD,
    )
    assert st.status == "slower_than_usual"
    assert "right cheek" in next(a for a in st.advice if a.code == "slower_than_usual").text


def test_new_pustules_make_it_worsening_even_when_the_redness_fades():
    obs = [Observation(h, 6.0 * np.exp(-h / 2.0), 0.3, True) for h in (0.0, 1.0, 2.0)]
    st = assess_recovery(
        {"left_cheek": obs},
        treated_regions=["left_cheek"],
        treated_at=T0,
        now=T0 + timedelta(hours=2.1),
        threshold=THRESHOLD,
        new_findings=[NewFinding("pustule", "left_cheek", 2.0)],
    )
    assert st.status == "worsening"
    assert st.urgency == "consult_promptly"
    codes = [a.code for a in st.advice]
    assert "worsening" in codes and "suspend_until_healed" in codes
    assert "pustules" in next(a for a in st.advice if a.code == "worsening").text


def test_early_rise_within_the_first_hour_is_not_worsening():
    # The flush can build for a few minutes after needling; only later rises count.
    obs = [
        Observation(0.0, 2.5, 0.3, True),
        Observation(0.7, 7.0, 0.3, True),
        Observation(1.5, 5.5, 0.3, True),
        Observation(2.5, 4.0, 0.3, True),
    ]
    rr = region_recovery("nose", obs, threshold=THRESHOLD)
    assert rr.status != "worsening"


@pytest.mark.parametrize(
    "symptom, urgency, code",
    [
        ("oozing", "seek_care_now", "seek_care_now"),
        ("fever", "seek_care_now", "seek_care_now"),
        ("swelling", "consult_dermatologist", "swelling"),
        ("pain_beyond_mild_burning", "consult_dermatologist", "pain"),
    ],
)
def test_symptoms_override_the_curve(symptom, urgency, code):
    obs = [Observation(h, 6.0 * np.exp(-h / 2.0), 0.3, True) for h in (0.0, 1.0, 2.0)]
    st = assess_recovery(
        {"left_cheek": obs},
        treated_regions=["left_cheek"],
        treated_at=T0,
        now=T0 + timedelta(hours=2.1),
        threshold=THRESHOLD,
        symptoms=Symptoms(**{symptom: True}),
    )
    assert st.status == "on_track"  # the photos still say what they say
    assert st.urgency == urgency
    assert st.advice[0].code == code  # the most urgent advice comes first
    assert st.next_photo is None  # no more watching and waiting
    if code == "seek_care_now":
        assert "seek medical advice now" in st.advice[0].text.lower()


def test_no_symptoms_change_nothing():
    obs = [Observation(h, 6.0 * np.exp(-h / 2.0), 0.3, True) for h in (0.0, 1.0, 2.0)]
    st = assess_recovery(
        {"left_cheek": obs},
        treated_regions=["left_cheek"],
        treated_at=T0,
        now=T0 + timedelta(hours=2.1),
        threshold=THRESHOLD,
        symptoms=Symptoms(),
    )
    assert st.urgency == "none"


def test_symptoms_from_names():
    assert Symptoms.from_names(["swelling", "pain"]).reported == ("swelling", "pain_beyond_mild_burning")
    assert Symptoms.from_names(["none"]).reported == ()
    with pytest.raises(ValueError, match="unknown symptom"):
        Symptoms.from_names(["itching"])


def test_aftercare_timers_follow_the_protocol():
    now = T0 + timedelta(hours=30)
    timers = {t.code: t for t in aftercare_timers(T0, now, photo_hours=[1.1, 3.9])}
    assert timers["no_makeup_swimming_sun"].ends_at == T0 + timedelta(hours=24)
    assert not timers["no_makeup_swimming_sun"].active
    assert timers["no_acids_retinol"].ends_at == T0 + timedelta(hours=48)
    assert timers["no_acids_retinol"].active
    assert timers["check_photo_1h"].done and timers["check_photo_4h"].done
    assert not timers["check_photo_2h"].done and not timers["check_photo_6h"].done
    assert timers["no_next_session"].active and timers["no_next_session"].ends_at is None
    rec = timers["no_acids_retinol"].to_record(now)
    assert rec["remaining_hours"] == pytest.approx(18.0)


def test_next_session_rule_ends_when_resolved():
    obs = [Observation(h, d, 0.3, d > THRESHOLD) for h, d in ((0.0, 5.0), (2.0, 2.5), (4.0, 0.4))]
    st = assess_recovery(
        {"left_cheek": obs},
        treated_regions=["left_cheek"],
        treated_at=T0,
        now=T0 + timedelta(hours=4.1),
        threshold=THRESHOLD,
    )
    assert st.status == "resolved"
    timer = next(t for t in st.timers if t.code == "no_next_session")
    assert not timer.active and timer.done
    assert "no_next_session" not in [a.code for a in st.advice]


def test_time_zones_are_instants():
    tokyo = timezone(timedelta(hours=9))
    treated = datetime(2026, 6, 24, 17, 0, tzinfo=tokyo)  # 08:00 UTC
    st = assess_recovery(
        {},
        treated_regions=["nose"],
        treated_at=treated,
        now=datetime(2026, 6, 24, 10, 30, tzinfo=UTC),
        threshold=THRESHOLD,
    )
    assert st.hours_since_treatment == pytest.approx(2.5)


def test_record_has_the_documented_fields_and_is_json():
    obs = [
        Observation(h, 6.0 * np.exp(-h / 2.0), 0.3, True, photo_id=i) for i, h in enumerate((0.0, 1.0, 2.0))
    ]
    st = assess_recovery(
        {"left_cheek": obs},
        treated_regions=["left_cheek"],
        treated_at=T0,
        now=T0 + timedelta(hours=2.1),
        threshold=THRESHOLD,
        needle_mm=1.0,
    )
    rec = json.loads(json.dumps(st.to_record()))
    assert rec["schema"] == 1
    assert rec["status"] == "on_track"
    assert rec["hours_since_treatment"] == pytest.approx(2.1)
    assert 3.0 < rec["predicted_resolved_at_hours"] < 4.2  # 2 h · ln(6 / 1) = 3.6 h
    assert [p["hours"] for p in rec["regions"]["left_cheek"]] == [0.0, 1.0, 2.0]
    assert set(rec["regions"]["left_cheek"][0]) >= {"hours", "delta_a_star", "real_change"}
    assert {a["code"] for a in rec["advice"]} >= {"on_track", "aftercare", "needle_medical_grade"}
    assert {t["code"] for t in rec["timers"]} >= {"no_makeup_swimming_sun", "no_acids_retinol"}


def test_observation_refuses_nonsense():
    with pytest.raises(ValueError):
        Observation(-1.0, 2.0, 0.5, True)
    with pytest.raises(ValueError):
        Observation(1.0, float("nan"), 0.5, True)
    with pytest.raises(ValueError):
        assess_recovery(
            {}, treated_regions=["nose"], treated_at=datetime(2026, 1, 1), now=T0, threshold=THRESHOLD
        )
