"""The report model checks itself and picks page one's photos."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import numpy as np
import pytest

from skintrack.report.model import (
    Device,
    FindingEntry,
    RednessCurve,
    RegionMeasurement,
    ReportModel,
    ReportPhoto,
    Status,
)

IMG = np.zeros((10, 8, 3), np.uint8)
NOW = datetime(2026, 3, 12, 16, 0, tzinfo=UTC)


def photo(pid, role="follow_up", hours=1.0, deltas=None, sim=False):
    ms = tuple(RegionMeasurement(r, 10.0, d, uncertainty=0.5) for r, d in (deltas or {}).items())
    return ReportPhoto(
        id=pid, label=pid, role=role, image=IMG, hours_since_treatment=hours, measurements=ms, simulated=sim
    )


def model(photos, **kw):
    return ReportModel(
        title="t",
        session_label="s",
        generated_at=NOW,
        status=Status("ok", "fine"),
        photos=tuple(photos),
        **kw,
    )


def test_peak_is_the_reddest_treated_follow_up_and_latest_the_last():
    m = model(
        [
            photo("P1", "baseline", -0.5),
            photo("P2", hours=0.0, deltas={"left_cheek": 6.0, "nose": 9.0}),
            photo("P3", hours=2.0, deltas={"left_cheek": 3.0, "nose": 0.0}),
            photo("P4", hours=6.0, deltas={"left_cheek": 0.5, "nose": 12.0}),
        ],
        treated_regions=("left_cheek",),
    )
    # The untreated nose is the light reference: it does not decide the peak.
    assert m.peak.id == "P2"
    assert m.latest.id == "P4"
    assert [h for h, _ in m.summary_photos()] == ["Baseline", "Peak redness", "Latest"]
    assert m.photos[1].mean_delta(("left_cheek",)) == 6.0


def test_summary_does_not_repeat_a_photo():
    m = model([photo("P1", "baseline", -0.5), photo("P2", hours=1.0, deltas={"chin": 2.0})])
    assert [p.id for _, p in m.summary_photos()] == ["P1", "P2"]
    only = model([photo("P1", "baseline", -0.5)])
    assert [h for h, _ in only.summary_photos()] == ["Baseline"]


def test_a_report_with_simulated_photos_must_say_so():
    with pytest.raises(ValueError, match="simulated"):
        model([photo("P1", sim=True)])
    m = model([photo("P1", sim=True)], simulated=True)
    assert m.simulated and "SIMULATED" in m.simulated_note


def test_model_refuses_inconsistent_content():
    with pytest.raises(ValueError, match="unknown photo"):
        model([photo("P1")], findings=(FindingEntry("F1", "pustule", "P9"),))
    with pytest.raises(ValueError, match="unique"):
        model([photo("P1"), photo("P1")])
    with pytest.raises(ValueError, match="at least one photo"):
        model([])
    with pytest.raises(ValueError, match="timezone-aware"):
        ReportModel(
            title="t",
            session_label="s",
            generated_at=datetime(2026, 1, 1),
            status=Status("ok", "x"),
            photos=(photo("P1"),),
        )
    with pytest.raises(ValueError, match="not-a-diagnosis"):
        model([photo("P1")], disclaimer="")
    with pytest.raises(ValueError, match="uint8"):
        ReportPhoto(id="P1", label="x", role="baseline", image=IMG.astype(np.float32))
    with pytest.raises(ValueError, match="unknown region"):
        RegionMeasurement("left_ear")
    with pytest.raises(ValueError, match="state"):
        FindingEntry("F1", "pustule", "P1", state="maybe")
    with pytest.raises(ValueError, match="not both"):
        RednessCurve(fitted=((0.0, 1.0),), fitted_by_region={"chin": ((0.0, 1.0),)})


def test_device_home_range_follows_the_protocol():
    assert Device("roller", 0.25).within_home_range is True
    assert Device("roller", 0.5).within_home_range is True
    assert Device("pen", 0.75).within_home_range is False  # medical grade
    assert Device("patch").within_home_range is None


def test_open_findings_are_those_not_decided():
    m = model(
        [photo("P1", "baseline")],
        findings=(
            FindingEntry("F1", "pustule", "P1"),
            FindingEntry("F2", "pustule", "P1", state="dismissed"),
            FindingEntry("F3", "cold_sore", "P1", region="lips", state="confirmed"),
        ),
    )
    assert [f.id for f in m.open_findings] == ["F1"]


def test_chart_kwargs_pass_per_region_fits():
    c = RednessCurve(series={"chin": ((1.0, 2.0),)}, fitted_by_region={"chin": ((0.0, 3.0),)})
    kw = c.chart_kwargs()
    assert kw["fitted"] == {"chin": ((0.0, 3.0),)} and kw["window"] == (4.0, 6.0)
    assert dataclasses.replace(c, fitted_by_region={}).chart_kwargs()["fitted"] == ()


def test_latest_prefers_a_compared_photo():
    stranger = dataclasses.replace(photo("P3", hours=5.0), used_in_curve=False)
    m = model([photo("P1", "baseline", -0.5), photo("P2", hours=1.0, deltas={"chin": 1.0}), stranger])
    assert m.latest.id == "P2"
    assert model([photo("P1", "baseline"), stranger]).latest.id == "P3"
