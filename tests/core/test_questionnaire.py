"""Protocol questions and answers."""

from __future__ import annotations

import json

import pytest

from skintrack.core import protocol
from skintrack.core.errors import SkintrackError
from skintrack.core.questionnaire import QUESTION_IDS, QUESTIONS, Answers, load_answers


def test_every_question_belongs_to_a_protocol_rule_and_matches_an_answer_field():
    assert {q.rule_id for q in QUESTIONS} <= {r.id for r in protocol.RULES}
    assert set(QUESTION_IDS) == set(Answers().to_dict()) | set(QUESTION_IDS)
    assert set(QUESTION_IDS) == set(Answers.__dataclass_fields__)
    for c in protocol.ADVISED_AGAINST_CONDITIONS:
        assert c in QUESTION_IDS
    device = next(q for q in QUESTIONS if q.id == "device")
    assert device.choices == protocol.DEVICES


def test_round_trip_keeps_answered_questions_only():
    data = {
        "pregnant_or_breastfeeding": False,
        "device": "roller",
        "needle_mm": 0.25,
        "roller_reused": True,
        "roller_disinfection": "uv_box",
    }
    a = Answers.from_dict(data)
    assert a.to_dict() == data
    assert Answers.from_dict(a.to_dict()) == a
    assert Answers().to_dict() == {}
    assert Answers.from_dict({"needle_mm": 1}).needle_mm == 1.0


def test_advised_against_lists_yes_answers():
    a = Answers(keloid_prone=True, anticoagulants=False, pregnant_or_breastfeeding=True)
    assert a.advised_against == ("pregnant_or_breastfeeding", "keloid_prone")


@pytest.mark.parametrize(
    "data, words",
    [
        ({"keloid_prone": "yes"}, "true or false"),
        ({"device": "laser"}, "one of patch, roller, pen"),
        ({"needle_mm": "0.5"}, "number"),
        ({"needle_mm": -0.1}, "plausible"),
        ({"needle_mm": 30}, "plausible"),
        ({"colour": "red"}, "unknown question"),
        ({"device": "patch", "roller_reused": True}, "patch"),
    ],
)
def test_bad_answers_are_refused_with_a_clear_message(data, words):
    with pytest.raises(SkintrackError, match=words):
        Answers.from_dict(data)


def test_load_answers_file(tmp_path):
    p = tmp_path / "a.json"
    p.write_text(json.dumps({"needle_mm": 0.5}))
    assert load_answers(p).needle_mm == 0.5
    p.write_text("{not json")
    with pytest.raises(SkintrackError, match="not valid JSON"):
        load_answers(p)
    p.write_text("[1, 2]")
    with pytest.raises(SkintrackError, match="JSON object"):
        load_answers(p)
    with pytest.raises(SkintrackError, match="no such answers file"):
        load_answers(tmp_path / "missing.json")


def test_load_answers_reads_a_bounded_amount_and_never_echoes_it(tmp_path):
    from skintrack.core.questionnaire import MAX_ANSWERS_BYTES

    big = tmp_path / "big.json"
    big.write_text(json.dumps({"device": "z" * (MAX_ANSWERS_BYTES + 10)}))
    with pytest.raises(SkintrackError, match="too large") as err:
        load_answers(big)
    assert "zzz" not in str(err.value) and len(str(err.value)) < 300
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 20_000 + "]" * 20_000)
    with pytest.raises(SkintrackError, match="nested too deeply"):
        load_answers(deep)
    with pytest.raises(SkintrackError, match="is a folder"):
        load_answers(tmp_path)
