"""The issue 13 evidence scripts: the clear-dev halves, the per-half figures and the rule tables
built from cached findings (no photos needed)."""

from __future__ import annotations

import json

from scripts import calibrate_evidence, measure_verdict


def _finding(kind, score, x=50.0, y=50.0, region="forehead", off_skin=None):
    return {
        "id": f"{kind}{x}{y}{score}",
        "kind": kind,
        "x": x,
        "y": y,
        "radius_px": 4.0,
        "diameter_mm": 3.0,
        "region": region,
        "near_regions": [],
        "score": score,
        "off_skin": off_skin,
    }


def test_clear_dev_halves_split_by_the_photo_number():
    assert measure_verdict.photo_number("fake_resized_12.jpg") == 12
    assert calibrate_evidence.number("fake_resized_7.jpg") == 7
    rows = [{"photo": f"fake_resized_{i}.jpg"} for i in range(6)]
    assert [r["photo"] for r in calibrate_evidence.half(rows, 0)] == [
        "fake_resized_0.jpg",
        "fake_resized_2.jpg",
        "fake_resized_4.jpg",
    ]
    assert len(calibrate_evidence.half(rows, 1)) == 3


def test_per_half_figures_are_computed_from_the_rows():
    rows = [
        {
            "photo": "a_0.jpg",
            "decision": "go",
            "quality_ok": True,
            "skin_reason": False,
            "findings": 4,
            "on_skin": 2,
            "reasons": [],
        },
        {
            "photo": "a_2.jpg",
            "decision": "postpone",
            "quality_ok": True,
            "skin_reason": True,
            "findings": 6,
            "on_skin": 4,
            "postponing_on_skin": 2,
            "postponing_evidence": 1,
            "reasons": [{"decision": "postpone", "finding_ids": ["x"]}],
        },
    ]
    r = measure_verdict.summarise(rows)
    assert r["photos"] == 2 and r["go"] == 0.5 and r["postpone"] == 0.5
    assert r["skin_reason"] == 0.5 and r["skin_postpone"] == 0.5
    assert r["on_skin_per_face"] == 3.0 and r["quality_ok_go"] == 0.5
    # Issue 14's clear-skin figure: faces with a postponing kind on the skin (rows of an older
    # JSON without the fields count as none).
    assert r["postponing_kind"] == 0.5 and r["postponing_evidence"] == 0.5


def test_rule_tables_count_painted_lesions_found_and_clear_faces(tmp_path):
    painted = [
        # Found at 0.9 on the skin, where it was painted.
        {
            "photo": "f.jpg",
            "painted": {"kind": "crust", "x": 50, "y": 50, "radius_px": 6},
            "findings": [_finding("crust", 0.9)],
        },
        # Found, but judged off the skin: not found for the verdict.
        {
            "photo": "f.jpg",
            "painted": {"kind": "crust", "x": 50, "y": 50, "radius_px": 6},
            "findings": [_finding("crust", 0.99, off_skin="hair")],
        },
        # Missed (the finding is elsewhere).
        {
            "photo": "f.jpg",
            "painted": {"kind": "crust", "x": 50, "y": 50, "radius_px": 6},
            "findings": [_finding("crust", 0.99, x=200.0)],
        },
    ]
    clear = [
        {"photo": "c_0.jpg", "findings": [_finding("crust", 0.6)]},
        {"photo": "c_2.jpg", "findings": [_finding("crust", 0.99, region=None)]},
        {"photo": "c_4.jpg", "findings": []},
    ]
    scores, found, real, neg, faces = calibrate_evidence.face_rule_table(painted, clear, "crust")
    assert real == 3 and faces == 3
    by = dict(zip(scores, zip(found, neg, strict=True), strict=True))
    assert by[0.5] == (1, 1) and by[0.9] == (1, 0) and by[0.95] == (0, 0)
    # The script reads the cache and prints the tables and the figures.
    for name, rows in (("painted", painted), ("clear-dev", clear)):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert calibrate_evidence.main(["--dir", str(tmp_path), "--emit"]) == 0
    assert calibrate_evidence.main(["--dir", str(tmp_path / "none")]) == 2


def test_rater_agreement_scores_box_centres_against_the_circles(tmp_path, capsys):
    from scripts import score_raters

    folder = tmp_path / "acne04-dev"
    folder.mkdir()
    circles = {"a.jpg": {"severity_grade": 1, "lesions_xyr": [[100, 100, 4], [200, 200, 4], [300, 300, 4]]}}
    # One box centred on a circle, one 4 px off (within 6 px), one far from any circle.
    boxes = {
        "a.jpg": [
            [96, 96, 104, 104, "pustules"],
            [199, 199, 207, 207, "pustules"],
            [10, 10, 20, 20, "papules"],
        ]
    }
    (folder / "annotations.json").write_text(json.dumps(circles))
    (folder / "roboflow_boxes.json").write_text(json.dumps(boxes))
    s = score_raters.agreement(folder)
    assert (s.predictions, s.truths, s.tp) == (3, 3, 2)
    assert score_raters.main(["--data", str(tmp_path)]) == 0
    assert "precision 0.667, recall 0.667" in capsys.readouterr().out
    assert score_raters.main(["--data", str(tmp_path / "none")]) == 2
