"""The lesion scorer: issue 4's matching rule, pooling, annotation loading."""

from __future__ import annotations

import json

import numpy as np
import pytest

from skintrack.core.errors import SkintrackError
from skintrack.core.lesion_scoring import (
    load_annotations,
    match_lesions,
    match_tolerance,
    pool,
    score,
)


def test_tolerance_is_the_larger_of_one_and_a_half_radii_and_six_pixels():
    assert match_tolerance(np.array([1.0, 4.0, 10.0])).tolist() == [6.0, 6.0, 15.0]


def test_a_prediction_matches_within_tolerance_only():
    truth = np.array([[100.0, 100.0, 2.0], [200.0, 200.0, 10.0]])
    m = match_lesions(np.array([[105.9, 100.0], [214.0, 200.0]]), truth)
    assert (m.tp, m.fp, m.fn) == (2, 0, 0)
    m = match_lesions(np.array([[106.1, 100.0], [215.5, 200.0]]), truth)
    assert (m.tp, m.fp, m.fn) == (0, 2, 2)


def test_each_expert_circle_is_matched_once_and_nearest_pairs_win():
    truth = np.array([[100.0, 100.0, 4.0], [108.0, 100.0, 4.0]])
    # Prediction 0 is nearer circle 1 (2 px) than prediction 1 is (5 px): the nearest pair is taken
    # first, so prediction 1 falls back to circle 0 (4 px away) and both match.
    m = match_lesions(np.array([[106.0, 100.0], [104.0, 103.0]]), truth)
    assert m.tp == 2 and set(m.pairs) == {(0, 1), (1, 0)}
    # Two predictions on one circle: one match, one false positive.
    m = match_lesions(np.array([[100.0, 100.0], [101.0, 100.0]]), truth[:1])
    assert (m.tp, m.fp, m.fn) == (1, 1, 0)


def test_no_face_counts_every_expert_circle_as_missed():
    m = match_lesions(None, np.array([[1.0, 2.0, 3.0]] * 4))
    assert (m.tp, m.fp, m.fn, m.face_found) == (0, 0, 4, False)


def test_pooled_scores_and_count_error():
    truths = [
        np.array([[10.0, 10.0, 3.0], [50.0, 50.0, 3.0]]),
        np.array([[10.0, 10.0, 3.0]]),
        np.zeros((0, 3)),
    ]
    preds = [np.array([[11.0, 10.0], [90.0, 90.0], [30.0, 30.0]]), None, np.zeros((0, 2))]
    s = score(preds, truths)
    assert (s.tp, s.fp, s.fn, s.no_face_images) == (1, 2, 2, 1)
    assert s.recall == pytest.approx(1 / 3) and s.precision == pytest.approx(1 / 3)
    assert s.f1 == pytest.approx(1 / 3)
    assert s.count_mae == pytest.approx((1 + 1 + 0) / 3)
    assert s.to_record()["f1"] == pytest.approx(0.3333)
    assert pool([]).images == 0


def test_load_annotations(tmp_path):
    (tmp_path / "annotations.json").write_text(
        json.dumps({"a.jpg": {"severity_grade": 1, "lesions_xyr": [[1, 2, 3]]}, "b.jpg": {"lesions_xyr": []}})
    )
    ann = load_annotations(tmp_path)
    assert ann["a.jpg"].tolist() == [[1.0, 2.0, 3.0]] and ann["b.jpg"].shape == (0, 3)


@pytest.mark.parametrize("content", ["{", "[]", '{"a.jpg": {}}', '{"a.jpg": {"lesions_xyr": [[1, 2, -3]]}}'])
def test_bad_annotations_are_refused_in_one_sentence(tmp_path, content):
    (tmp_path / "annotations.json").write_text(content)
    with pytest.raises(SkintrackError):
        load_annotations(tmp_path)
    with pytest.raises(SkintrackError, match="no such file"):
        load_annotations(tmp_path / "missing")


def test_a_box_is_held_by_the_finding_inside_it_nearest_its_centre():
    from skintrack.core.lesion_scoring import box_holders

    boxes = [
        (10, 10, 30, 30, "pustules"),
        (100, 100, 110, 110, "papules"),
        (0, 0, 50, 50, "whitehead and blackhead"),
    ]
    xy = np.array([[12.0, 12.0], [21.0, 19.0], [30.0, 30.0], [200.0, 200.0]])
    # Edges count; the nearest to the centre wins; an empty box holds nothing.
    assert box_holders(boxes, xy) == [1, None, 2]
    assert box_holders(boxes, np.zeros((0, 2))) == [None, None, None]


def test_kind_table_counts_boxes_held_and_how_they_are_named():
    from skintrack.core.lesion_scoring import KindTable

    t = KindTable()
    boxes = [
        (0, 0, 10, 10, "pustules"),
        (20, 0, 30, 10, "pustules"),
        (40, 0, 50, 10, "pustules"),
        (60, 0, 70, 10, "whitehead and blackhead"),
        (80, 0, 90, 10, "papules"),
    ]
    xy = np.array([[5.0, 5.0], [25.0, 5.0], [65.0, 5.0]])
    t.add(boxes, xy, ["pustule", "comedone", "papule"])
    assert t.boxes["pustules"] == 3 and t.held["pustules"] == 2 and t.held["papules"] == 0
    fig = t.figures()
    assert fig["pustules_named_pustule"] == 0.5 and fig["pustules_named_inflamed"] == 0.5
    assert fig["comedones_named_inflamed"] == 1.0
    assert fig["held"]["pustules"] == round(2 / 3, 4) and fig["held"]["papules"] == 0.0
    table = t.confusion().splitlines()
    assert table[0].split()[-5:] == ["comedone", "papule", "pustule", "nodule", "other"]
    assert table[3].split()[-7:] == ["3", "2", "1", "0", "1", "0", "0"]  # the pustules row
