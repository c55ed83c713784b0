"""tracking's views: one analysis per stored photo, kept; one comparison with its map; the report
built from them analyses nothing twice."""

from __future__ import annotations

import numpy as np
import pytest

from skintrack.core import analysis as analysis_module
from skintrack.core.lesions import Finding
from tests.report._session import NOW, TREATED, make_session


@pytest.fixture(scope="module")
def stored(tmp_path_factory, engine):
    data = tmp_path_factory.mktemp("data")
    tracker, sid = make_session(data, engine)
    yield tracker, sid, data
    tracker.close()


@pytest.fixture()
def calls(monkeypatch):
    """Every analyze_photo call, as its find_lesions flag."""
    seen: list[bool] = []
    real = analysis_module.analyze_photo

    def counting(photo, *args, **kwargs):
        seen.append(kwargs.get("find_lesions", True))
        return real(photo, *args, **kwargs)

    monkeypatch.setattr(analysis_module, "analyze_photo", counting)
    return seen


@pytest.fixture()
def fresh(stored, engine):
    """A second tracker on the same folder: nothing kept yet."""
    from skintrack.tracking import Tracker

    _, sid, data = stored
    with Tracker(data, engine=engine) as t:
        yield t, sid


def _rows(t, sid):
    session = t.session(sid)
    base = next(p for p in t.photos(sid) if p.id == session.baseline_photo_id)
    later = next(p for p in t.photos(sid) if p.original_name == "SIMULATED-1h.jpg")
    return base, later


def test_the_baseline_set_is_kept_without_a_second_analysis(stored, calls):
    t, sid, _ = stored
    base, _ = _rows(t, sid)
    analysis = t.baseline_analysis(base)
    assert calls == []
    assert analysis.face is not None
    assert [f.id for f in analysis.findings] == [f.finding_key for f in t.findings(base.id)]
    # Storage gives back the very findings the analysis made: the same frozen dataclasses.
    assert analysis.findings == tuple(r.finding for r in t.findings(base.id))


def test_a_stored_photo_is_analysed_once_with_its_stored_findings(fresh, calls):
    t, sid = fresh
    base, later = _rows(t, sid)
    a = t.stored_analysis(base)
    assert calls == [False]  # no new lesion search: the findings are the stored ones
    assert t.stored_analysis(base) is a and t.baseline_analysis(base) is a
    assert calls == [False]
    assert [f.id for f in a.findings] == [f.finding_key for f in t.findings(base.id)]
    # What the app's pages and the report are given: Finding objects, equal to the stored ones.
    assert a.findings and all(type(f) is Finding for f in a.findings)
    assert a.findings == tuple(r.finding for r in t.findings(base.id))
    assert t.stored_analysis(later) is not a and len(calls) == 2
    assert np.array_equal(t.stored_rgb(later), t.stored_analysis(later).photo.rgb)


def test_the_comparison_with_its_map_is_made_once_and_is_core_s(fresh, calls):
    from skintrack.core.compare import compare_analyses
    from skintrack.tracking import compare_with_map

    t, sid = fresh
    base, later = _rows(t, sid)
    cmp = t.comparison_map(sid, later.id)
    assert cmp is not None and cmp.same_person and cmp.delta_map is not None
    assert t.comparison_map(sid, later.id) is cmp
    assert len(calls) == 2  # the two photos, once each
    direct = compare_analyses(
        t.stored_analysis(base), t.stored_analysis(later), treated=TREATED, with_map=True
    )
    assert np.array_equal(direct.delta_map, cmp.delta_map, equal_nan=True)
    # the stored numbers are the comparison's
    row = t.session_comparisons(sid)[later.id]
    for name, change in row.changes.items():
        assert change.delta_a_star == pytest.approx(float(cmp.regions[name].delta_a_star))
    assert compare_with_map(t.stored_analysis(base), t.stored_analysis(later), TREATED) is not None


def test_the_kept_analyses_are_bounded_by_their_pixels(fresh, calls, monkeypatch):
    from skintrack.tracking import views

    t, sid = fresh
    base, later = _rows(t, sid)
    one_photo = t.stored_analysis(base).photo.rgb.nbytes
    monkeypatch.setattr(views, "ANALYSIS_CACHE_BYTES", one_photo + 1)
    t.stored_analysis(later)  # pushes the baseline out
    assert len(t._analyses) == 1
    t.stored_analysis(base)
    assert calls == [False, False, False]


def test_a_report_built_twice_analyses_nothing_the_second_time(fresh, calls):
    from skintrack.report.build import build_report

    t, sid = fresh
    first = build_report(t, sid, now=NOW)
    n = len(t.photos(sid))
    assert len(calls) == n and not any(calls)  # each photo once, no lesion search
    second = build_report(t, sid, now=NOW)
    assert len(calls) == n
    assert [p.id for p in second.photos] == [p.id for p in first.photos]
    for a, b in zip(first.photos, second.photos, strict=True):
        assert a.measurements == b.measurements and a.notes == b.notes
        assert np.array_equal(a.image, b.image)
        assert (a.delta_map is None) == (b.delta_map is None)
        if a.delta_map is not None:
            assert np.array_equal(a.delta_map, b.delta_map, equal_nan=True)
