"""``skintrack check``: findings and a verdict, as text and JSON, with answers and choices."""

from __future__ import annotations

import json

import pytest

from skintrack.cli import main
from skintrack.core import protocol
from tests.conftest import SAMPLES


def run_json(capsys, *args):
    code = main(["check", *map(str, args), "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_clean_face_goes_and_json_has_the_findings_and_verdict(capsys):
    code, rec = run_json(capsys, SAMPLES / "obama.jpg")
    assert code == 0 and rec["schema"] == 1
    assert rec["verdict"]["decision"] == "go" and rec["verdict"]["reasons"] == []
    assert rec["face"]["found"] and rec["answers"] is None
    for f in rec["findings"]:
        assert f["kind"] not in protocol.POSTPONE_KINDS


def test_answers_postpone_with_protocol_sentences(tmp_path, capsys):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"anticoagulants": True, "needle_mm": 1.0}))
    code, rec = run_json(capsys, SAMPLES / "obama.jpg", "--answers", answers, "--treated",
                         "left_cheek,chin")
    assert code == 0
    v = rec["verdict"]
    assert v["decision"] == "postpone" and v["treated"] == ["left_cheek", "chin"]
    assert {r["rule"] for r in v["reasons"]} == {"advised_against", "needle_length"}
    assert {r["source"] for r in v["reasons"]} == {protocol.SRC_ADVISED_AGAINST,
                                                   protocol.SRC_NEEDLE}
    assert rec["answers"] == {"anticoagulants": True, "needle_mm": 1.0}


def test_rendered_wound_postpones_and_dismissing_it_goes(engine, load_sample, tmp_path, capsys):
    from PIL import Image

    from skintrack.core.lesion_render import render

    photo = load_sample("obama.jpg")
    rgb, _ = render(photo.rgb, engine.detect(photo.rgb).face, "open_wound", "right_cheek", 8.0)
    path = tmp_path / "wound.png"
    Image.fromarray(rgb).save(path)
    code, rec = run_json(capsys, path, "--treated", "right_cheek")
    assert code == 0 and rec["verdict"]["decision"] == "postpone"
    (reason,) = rec["verdict"]["reasons"]
    assert reason["rule"] == "skin_suspend" and "open wound" in reason["text"]
    wound_id = reason["finding_ids"][0]
    code, rec = run_json(capsys, path, "--treated", "right_cheek", "--dismiss", wound_id)
    assert rec["verdict"]["decision"] == "go" and rec["dismissed"] == [wound_id]
    # Treating only the forehead: the cheek's wound does not stand in the way.
    code, rec = run_json(capsys, path, "--treated", "forehead")
    assert rec["verdict"]["decision"] == "go"
    # Text output names the decision, the reason and the protocol sentence.
    assert main(["check", str(path), "--treated", "right_cheek"]) == 0
    out = capsys.readouterr().out
    assert "POSTPONE" in out and protocol.SRC_SKIN_SUSPEND in out and wound_id in out


def test_poor_photo_asks_for_review(tmp_path, capsys):
    from PIL import Image, ImageFilter

    im = Image.open(SAMPLES / "aptus_1.png").convert("RGB").filter(ImageFilter.GaussianBlur(12))
    path = tmp_path / "blurred.jpg"
    im.save(path)
    code, rec = run_json(capsys, path)
    assert code == 0 and rec["verdict"]["decision"] == "review"
    assert any(r["rule"] == "safety_first" for r in rec["verdict"]["reasons"])


def test_photo_too_coarse_for_small_pustules_asks_for_review(capsys):
    """grace_hopper.jpg: the face is ~190 px wide, about 1.4 px per mm of skin; painted 2-4 mm
    pustules go unseen at that scale, so a clear result cannot be trusted."""
    code, rec = run_json(capsys, SAMPLES / "grace_hopper.jpg")
    assert code == 0 and rec["face"]["found"]
    assert rec["verdict"]["decision"] == "review"
    assert any(r["rule"] == "safety_first" and "pixels per millimetre" in r["text"]
               for r in rec["verdict"]["reasons"])


@pytest.mark.parametrize("args, words", [
    (["--treated", "jaw"], "unknown region"),
    (["--dismiss", "nosuchid"], "no finding with id"),
    (["--answers", "/nonexistent/answers.json"], "no such answers file"),
])
def test_user_errors_are_one_line_and_exit_2(capsys, args, words):
    code = main(["check", str(SAMPLES / "obama.jpg"), *args])
    err = capsys.readouterr().err
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1


def test_bad_answers_file_is_refused(tmp_path, capsys):
    p = tmp_path / "a.json"
    p.write_text(json.dumps({"needle_mm": "long"}))
    assert main(["check", str(SAMPLES / "obama.jpg"), "--answers", str(p)]) == 2
    assert "needle_mm" in capsys.readouterr().err
