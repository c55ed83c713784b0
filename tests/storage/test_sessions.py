"""Repositories: dataclasses in, dataclasses out; times in UTC; verdicts and answers kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from skintrack.core.lesions import Finding
from skintrack.storage import db
from skintrack.storage import sessions as repo

TOKYO = timezone(timedelta(hours=9))
NEW_YORK = timezone(timedelta(hours=-4))


@pytest.fixture
def conn(tmp_path):
    c = db.connect(tmp_path / "skintrack.db")
    yield c
    c.close()


def new_photo(i: int, taken_at: datetime) -> repo.NewPhoto:
    sha = f"{i:064x}"
    return repo.NewPhoto(sha, f"{sha[:2]}/{sha}.jpg", f"p{i}.jpg", 640, 480, taken_at, "exif")


def make_session(conn, **kw):
    args = dict(
        treated_at=datetime(2026, 6, 24, 17, 0, tzinfo=TOKYO),
        device="roller",
        needle_mm=0.25,
        treated_regions=["left_cheek", "right_cheek"],
        products=["hyaluronic serum"],
        notes="evening",
    )
    args.update(kw)
    return repo.create_session(conn, **args)


def test_session_round_trip_in_utc(conn):
    s = make_session(conn)
    got = repo.get_session(conn, s.id)
    assert got == s
    assert got.treated_at == datetime(2026, 6, 24, 8, 0, tzinfo=UTC)  # the same instant
    assert got.treated_at.tzinfo == UTC
    assert got.treated_regions == ("left_cheek", "right_cheek")
    assert got.products == ("hyaluronic serum",) and got.notes == "evening"
    assert got.baseline_photo_id is None
    assert repo.list_sessions(conn) == [s]


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(device="laser"), "unknown device"),
        (dict(needle_mm=0.0), "not plausible"),
        (dict(needle_mm=25.0), "not plausible"),
        (dict(treated_regions=[]), "at least one"),
        (dict(treated_regions=["cheek"]), "unknown region"),
        (dict(treated_regions=["nose", "nose"]), "twice"),
        (dict(treated_at=datetime(2026, 6, 24, 17, 0)), "timezone-aware"),
    ],
)
def test_invalid_sessions_are_refused_before_saving(conn, kw, message):
    with pytest.raises(ValueError, match=message):
        make_session(conn, **kw)
    assert repo.list_sessions(conn) == []


def test_unknown_session_is_a_readable_error(conn):
    with pytest.raises(db.StorageError, match="there is no session 7"):
        repo.get_session(conn, 7)


def test_photos_sort_by_instant_across_time_zones(conn):
    s = make_session(conn)
    # 10:00 in New York is 14:00 UTC; 20:00 in Tokyo is 11:00 UTC: Tokyo's photo came first.
    ny = repo.insert_photo(conn, s.id, new_photo(1, datetime(2026, 6, 24, 10, 0, tzinfo=NEW_YORK)))
    tk = repo.insert_photo(conn, s.id, new_photo(2, datetime(2026, 6, 24, 20, 0, tzinfo=TOKYO)))
    assert [p.id for p in repo.session_photos(conn, s.id)] == [tk.id, ny.id]
    assert repo.get_photo(conn, ny.id).taken_at == datetime(2026, 6, 24, 14, 0, tzinfo=UTC)


def test_same_photo_twice_in_a_session_is_refused(conn):
    s = make_session(conn)
    when = datetime(2026, 6, 24, 9, 0, tzinfo=UTC)
    repo.insert_photo(conn, s.id, new_photo(1, when))
    with pytest.raises(db.StorageError, match="already in session"):
        repo.insert_photo(conn, s.id, new_photo(1, when))
    other = make_session(conn)
    repo.insert_photo(conn, other.id, new_photo(1, when))  # another session may hold it too


def test_baseline_must_be_a_photo_of_the_session(conn):
    s, other = make_session(conn), make_session(conn)
    p = repo.insert_photo(conn, other.id, new_photo(1, datetime(2026, 6, 24, 7, tzinfo=UTC)))
    with pytest.raises(db.StorageError, match="not part of session"):
        repo.set_baseline(conn, s.id, p.id)
    q = repo.insert_photo(conn, s.id, new_photo(2, datetime(2026, 6, 24, 7, tzinfo=UTC)))
    repo.set_baseline(conn, s.id, q.id)
    assert repo.get_session(conn, s.id).baseline_photo_id == q.id


def test_findings_keep_the_persons_verdict_when_re_analysed(conn):
    s = make_session(conn)
    p = repo.insert_photo(conn, s.id, new_photo(1, datetime(2026, 6, 24, 9, tzinfo=UTC)))
    findings = [
        Finding("f1", "pustule", 100.0, 120.0, 4.0, None, "left_cheek", 0.8),
        Finding("f2", "papule", 300.0, 420.0, 3.0, 1.5, "chin", 0.6),
    ]
    repo.save_analysis(conn, p.id, quality_ok=True, record={"schema": 1}, findings=findings)
    repo.set_finding_verdict(conn, p.id, "f1", "dismissed")
    repo.save_analysis(conn, p.id, quality_ok=True, record={"schema": 1, "again": True}, findings=findings)
    got = {f.finding_key: f for f in repo.photo_findings(conn, p.id)}
    assert got["f1"].verdict == "dismissed" and got["f2"].verdict is None
    assert got["f1"].finding.score == 0.8
    assert repo.get_analysis(conn, p.id) == (True, {"schema": 1, "again": True})
    with pytest.raises(db.StorageError, match="no finding"):
        repo.set_finding_verdict(conn, p.id, "f9", "confirmed")
    with pytest.raises(ValueError):
        repo.set_finding_verdict(conn, p.id, "f2", "maybe")


def test_a_finding_comes_back_as_the_same_frozen_dataclass(conn):
    """Storage gives back the type it was given: equal, field for field, at full precision."""
    s = make_session(conn)
    p = repo.insert_photo(conn, s.id, new_photo(1, datetime(2026, 6, 24, 9, tzinfo=UTC)))
    given = (
        Finding(
            "a1",
            "pustule",
            101.23456,
            7.891,
            3.333333,
            1.23456,
            "left_cheek",
            0.87654321,
            near_regions=("perioral", "chin"),
        ),
        Finding("a2", "comedone", 5.0, 6.0, 0.0, None, None, 0.1, off_skin="hair"),
    )
    repo.save_analysis(conn, p.id, quality_ok=True, record={}, findings=given)
    rows = repo.photo_findings(conn, p.id)
    assert tuple(r.finding for r in rows) == given
    assert all(type(r.finding) is Finding for r in rows)
    assert [(r.finding_key, r.kind, r.region) for r in rows] == [
        ("a1", "pustule", "left_cheek"),
        ("a2", "comedone", None),
    ]
    with pytest.raises(TypeError, match="Finding"):
        repo.save_analysis(conn, p.id, quality_ok=True, record={}, findings=[{"id": "f", "kind": "pustule"}])


def test_finding_rows_of_older_shapes_still_load(conn):
    """A row written by an older version (its record rounded and without ``off_skin``, as
    ``Finding.to_record`` was before issue 13) reads as a Finding on the skin; a partial record
    (no position or score) keeps its key, kind, region and the person's verdict, without one."""
    s = make_session(conn)
    p = repo.insert_photo(conn, s.id, new_photo(1, datetime(2026, 6, 24, 9, tzinfo=UTC)))
    old = {
        "id": "o1",
        "kind": "papule",
        "x": 12.3,
        "y": 45.6,
        "radius_px": 2.5,
        "diameter_mm": None,
        "region": "forehead",
        "near_regions": [],
        "score": 0.42,
    }
    rows = [
        ("o1", "papule", "forehead", json.dumps(old), "confirmed"),
        ("o2", "pustule", "chin", json.dumps({"id": "o2", "kind": "pustule", "region": "chin"}), "dismissed"),
    ]
    with conn:
        conn.executemany(
            "INSERT INTO findings (photo_id, finding_key, kind, region, record,"
            " verdict) VALUES (?, ?, ?, ?, ?, ?)",
            [(p.id, *r) for r in rows],
        )
    got = {r.finding_key: r for r in repo.photo_findings(conn, p.id)}
    assert got["o1"].finding == Finding("o1", "papule", 12.3, 45.6, 2.5, None, "forehead", 0.42)
    assert got["o1"].finding.off_skin == "" and got["o1"].verdict == "confirmed"
    assert got["o2"].finding is None
    assert (got["o2"].kind, got["o2"].region, got["o2"].verdict) == ("pustule", "chin", "dismissed")


def test_comparisons_round_trip_and_replace(conn):
    s = make_session(conn)
    base = repo.insert_photo(conn, s.id, new_photo(1, datetime(2026, 6, 24, 7, tzinfo=UTC)))
    later = repo.insert_photo(conn, s.id, new_photo(2, datetime(2026, 6, 24, 9, tzinfo=UTC)))
    changes = {"left_cheek": repo.RegionDelta(3.2, 0.4, True), "forehead": repo.RegionDelta(0.3, 0.4, False)}
    first = repo.ComparisonRecord(warnings=("v1",))
    second = repo.ComparisonRecord(
        same_person=True,
        warnings=("v2",),
        normalisation_method="untreated_regions",
        reference_regions=("forehead", "chin"),
        normalisation_uncertainty=0.8,
        regions={"left_cheek": repo.RegionReading(10.5, 13.7, 3.2, 0.051, 0.4, True, "moderate")},
    )
    repo.save_comparison(conn, repo.NewComparison(later.id, base.id, 1.0, True, first, changes))
    repo.save_comparison(conn, repo.NewComparison(later.id, base.id, 1.0, True, second, changes))
    rows = repo.session_comparisons(conn, s.id, base.id)
    assert len(rows) == 1 and rows[0].record == second  # the same typed record, replaced
    assert rows[0].changes == changes
    assert conn.execute("SELECT count(*) FROM region_changes").fetchone()[0] == 2  # no leftovers
    with pytest.raises(ValueError, match="reason"):
        repo.NewComparison(later.id, base.id, 1.0, False, repo.ComparisonRecord())


def test_comparison_records_of_older_shapes_still_load(conn):
    """The record column as older versions wrote it: the empty record of a refused comparison,
    and a record without the erythema index or grade (and a key no version reads now)."""
    s = make_session(conn)
    base = repo.insert_photo(conn, s.id, new_photo(1, datetime(2026, 6, 24, 7, tzinfo=UTC)))
    refused = repo.insert_photo(conn, s.id, new_photo(2, datetime(2026, 6, 24, 8, tzinfo=UTC)))
    later = repo.insert_photo(conn, s.id, new_photo(3, datetime(2026, 6, 24, 9, tzinfo=UTC)))
    old = {
        "same_person": True,
        "warnings": ["light changed"],
        "schema": 0,
        "normalisation": {
            "method": "untreated_regions",
            "reference_regions": ["forehead"],
            "uncertainty": 0.9,
        },
        "regions": {
            "chin": {
                "baseline_a_star": 11.0,
                "later_a_star": 12.5,
                "delta_a_star": 1.5,
                "uncertainty": 0.9,
                "real_change": True,
            }
        },
    }
    with conn:
        conn.executemany(
            "INSERT INTO comparisons (photo_id, baseline_photo_id, hours, usable,"
            " excluded_reason, record) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (refused.id, base.id, 1.0, 0, "no face found", "{}"),
                (later.id, base.id, 2.0, 1, "", json.dumps(old)),
            ],
        )
    first, second = repo.session_comparisons(conn, s.id, base.id)
    assert first.record == repo.ComparisonRecord() and first.excluded_reason == "no face found"
    rec = second.record
    assert (
        rec.same_person,
        rec.warnings,
        rec.normalisation_method,
        rec.reference_regions,
        rec.normalisation_uncertainty,
    ) == (True, ("light changed",), "untreated_regions", ("forehead",), 0.9)
    assert rec.regions == {"chin": repo.RegionReading(11.0, 12.5, 1.5, None, 0.9, True, "")}


def test_answers_latest_wins_and_history_stays(conn):
    s = make_session(conn)
    t = datetime(2026, 6, 24, 9, tzinfo=UTC)
    repo.add_answers(conn, s.id, "symptoms", {"swelling": True}, at=t)
    repo.add_answers(conn, s.id, "symptoms", {"swelling": False}, at=t + timedelta(hours=1))
    assert repo.latest_answers(conn, s.id, "symptoms").data == {"swelling": False}
    assert repo.latest_answers(conn, s.id, "questionnaire") is None
    assert conn.execute("SELECT count(*) FROM answers").fetchone()[0] == 2
    with pytest.raises(db.StorageError):
        repo.add_answers(conn, 999, "symptoms", {})


def test_delete_session_removes_every_row_of_it_and_nothing_else(conn):
    s, other = make_session(conn), make_session(conn)
    t = datetime(2026, 6, 24, 7, tzinfo=UTC)
    base = repo.insert_photo(conn, s.id, new_photo(1, t))
    later = repo.insert_photo(conn, s.id, new_photo(2, t + timedelta(hours=2)))
    kept = repo.insert_photo(conn, other.id, new_photo(2, t))  # same file in another session
    repo.set_baseline(conn, s.id, base.id)
    repo.save_analysis(
        conn,
        later.id,
        quality_ok=True,
        record={},
        findings=[Finding("f", "pustule", 1.0, 2.0, 1.0, None, None, 0.5)],
    )
    repo.save_comparison(
        conn,
        repo.NewComparison(
            later.id, base.id, 1.0, True, repo.ComparisonRecord(), {"chin": repo.RegionDelta(1.0, 0.5, False)}
        ),
    )
    repo.add_answers(conn, s.id, "symptoms", {"fever": False})
    names = repo.delete_session(conn, s.id)
    assert sorted(names) == sorted({base.store_name, later.store_name})
    for table in ("photos", "analyses", "findings", "comparisons", "region_changes", "answers"):
        rows = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        assert rows == (1 if table == "photos" else 0), table
    assert [x.id for x in repo.list_sessions(conn)] == [other.id]
    assert repo.get_photo(conn, kept.id) == kept
    assert db.integrity_problems(conn) == []
