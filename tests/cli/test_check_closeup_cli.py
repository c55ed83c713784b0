"""``skintrack check --close-up``: a photo of one patch of skin, text and JSON, bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from skintrack.cli import main
from skintrack.simulate.lesions import _mm_per_px, render
from tests.cli.test_check_cli import NO_RISK
from tests.conftest import ROOT, SAMPLES, SHARED_DATA

pytestmark = pytest.mark.slow


@pytest.fixture()
def no_risk(tmp_path):
    p = tmp_path / "no-risk.json"
    p.write_text(json.dumps(NO_RISK))
    return p


@pytest.fixture()
def wound_close_up(engine, load_sample, tmp_path):
    """A 30 mm close-up cut around an 8 mm open wound painted on a real face, and its scale."""
    photo = load_sample("aptus_2.png")
    face = engine.detect(photo.rgb).face
    rgb, les = render(photo.rgb, face, "open_wound", "right_cheek", 8.0, seed=1)
    mmpp = _mm_per_px(face)
    half = int(round(15.0 / mmpp))
    crop = rgb[int(les.y) - half : int(les.y) + half, int(les.x) - half : int(les.x) + half]
    path = tmp_path / "wound close-up.png"
    Image.fromarray(crop).save(path)
    return path, mmpp


def run_json(capsys, *args):
    code = main(["check", "--close-up", *map(str, args), "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_a_close_up_of_a_wound_postpones_with_its_scale(capsys, wound_close_up, no_risk):
    path, mmpp = wound_close_up
    code, rec = run_json(capsys, path, "--mm-per-px", f"{mmpp:.5f}", "--answers", no_risk)
    assert code == 0 and rec["schema"] == 1 and rec["face"] is None
    assert rec["close_up"]["scale_assumed"] is False
    assert rec["close_up"]["mm_per_px"] == pytest.approx(mmpp, rel=1e-3)
    wounds = [f for f in rec["findings"] if f["kind"] == "open_wound"]
    assert wounds and wounds[0]["counted"] and 4 <= wounds[0]["diameter_mm"] <= 16
    assert rec["verdict"]["decision"] == "postpone"
    assert rec["verdict"]["reasons"][0]["rule"] == "skin_suspend"
    # Dismissing it (a person who looked) leaves GO.
    code, rec = run_json(
        capsys,
        path,
        "--mm-per-px",
        f"{mmpp:.5f}",
        "--answers",
        no_risk,
        "--dismiss",
        ",".join(f["id"] for f in rec["findings"]),
    )
    assert rec["verdict"]["decision"] == "go"


def test_the_text_report_says_the_scale_was_assumed(capsys, wound_close_up, no_risk):
    path, _ = wound_close_up
    assert main(["check", "--close-up", str(path), "--answers", str(no_risk)]) == 0
    out = capsys.readouterr().out
    assert "close-up of one patch of skin" in out and "assumed" in out and "--mm-per-px" in out


def test_the_close_up_text_report_gives_the_checklists_advice(capsys, wound_close_up, tmp_path):
    """Advice that does not change the decision (a beginner with a reused roller, a stuffy room)
    is printed for a close-up as for a face, each with its protocol sentence."""
    path, mmpp = wound_close_up
    answers = tmp_path / "beginner.json"
    answers.write_text(
        json.dumps(
            {**NO_RISK, "device": "roller", "beginner": True, "roller_reused": True, "room_ventilated": False}
        )
    )
    assert (
        main(["check", "--close-up", str(path), "--mm-per-px", f"{mmpp:.5f}", "--answers", str(answers)]) == 0
    )
    out = capsys.readouterr().out
    advice = [line for line in out.splitlines() if line.startswith("  advice: ")]
    assert len(advice) == 3
    assert any("dissolvable patches" in a for a in advice) and any("window" in a for a in advice)
    assert out.index("advice: ") < out.index("Before you start")


def test_a_clear_skin_close_up_goes(engine, load_sample, tmp_path, capsys, no_risk):
    from skintrack.core.regions import compute_regions

    photo = load_sample("aptus_1.png")
    face = engine.detect(photo.rgb).face
    mmpp = _mm_per_px(face)
    x, y = compute_regions(photo.rgb, face)["left_cheek"].polygon.mean(0)
    half = int(0.16 * face.width_px)
    path = tmp_path / "cheek.png"
    Image.fromarray(
        np.ascontiguousarray(photo.rgb[int(y) - half : int(y) + half, int(x) - half : int(x) + half])
    ).save(path)
    code, rec = run_json(capsys, path, "--mm-per-px", f"{mmpp:.5f}", "--answers", no_risk)
    assert code == 0 and rec["verdict"]["decision"] == "go" and rec["verdict"]["reasons"] == []


def test_a_real_cold_sore_close_up_postpones(capsys, no_risk):
    d = SHARED_DATA / "dermnet-dev" / "cold_sore"
    # Vesicles and crusts on the right half of the upper and lower lip border.
    path = d / "herpes-simplex-labialis-54.jpg"
    if not path.is_file():
        pytest.skip("../shared/data/dermnet-dev is not present")
    code, rec = run_json(capsys, path, "--answers", no_risk)
    assert code == 0 and rec["close_up"]["scale_assumed"] and rec["close_up"]["lips_found"]
    sores = [f for f in rec["findings"] if f["kind"] == "cold_sore"]
    assert sores and all(f["x"] > rec["image"]["width"] / 2 for f in sores)
    assert all(3 <= f["diameter_mm"] <= 20 for f in sores)
    assert rec["verdict"]["decision"] == "postpone"
    assert any("a cold sore on the photographed skin" in r["text"] for r in rec["verdict"]["reasons"])


@pytest.mark.parametrize(
    "args, words",
    [
        (["--mm-per-px", "abc"], "not a number"),
        (["--mm-per-px", "-0.1"], "not plausible"),
        (["--mm-per-px", "1e9"], "not plausible"),
        (["--treated", "nose"], "does not apply to --close-up"),
        (["--dismiss", "nosuchid"], "no finding with id"),
    ],
)
def test_bad_close_up_input_is_one_line_and_exit_2(capsys, args, words):
    code = main(["check", "--close-up", str(SAMPLES / "obama.jpg"), *args])
    err = capsys.readouterr().err
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1


def test_a_scale_without_close_up_is_refused(capsys):
    assert main(["check", str(SAMPLES / "obama.jpg"), "--mm-per-px", "0.1"]) == 2
    assert "applies to --close-up only" in capsys.readouterr().err


def test_a_missing_or_broken_close_up_photo_is_one_line(tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    for path in (tmp_path / "missing.jpg", bad):
        r = subprocess.run(
            [sys.executable, "-m", "skintrack", "check", "--close-up", str(path)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
