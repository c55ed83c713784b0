"""Face finding on real photos: landmarks, pose, scale, no face, two faces, model integrity."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image

from skintrack.core.errors import ModelError
from skintrack.core.face import (
    MODEL_SHA256,
    FaceEngine,
    downscale_for_detection,
    load_model_bytes,
    mirror_permutation,
    model_path,
)
from skintrack.core.intake import load_photo
from tests.conftest import ALL_FACES, FRONTAL, SAMPLES

#: Typical adult face width is 130-160 mm; the iris-based scale must land the face oval in a
#: plausible band whatever the photo's resolution.
FACE_WIDTH_MM = (100.0, 190.0)


@pytest.mark.parametrize("name", ALL_FACES)
def test_every_sample_has_one_face_with_478_points(engine, load_sample, name):
    photo = load_sample(name)
    det = engine.detect(photo.rgb)
    assert det.count == 1, name
    face = det.face
    assert face.landmarks.shape == (478, 3) and face.landmarks.dtype == np.float32
    x0, y0, x1, y1 = face.box
    assert 0 <= x0 < x1 <= photo.width and 0 <= y0 < y1 <= photo.height
    # Points are in photo pixels: nose tip inside the face box.
    nx, ny = face.xy[1]
    assert x0 < nx < x1 and y0 < ny < y1
    assert face.mm_per_px is not None
    width_mm = face.width_px * face.mm_per_px
    assert FACE_WIDTH_MM[0] < width_mm < FACE_WIDTH_MM[1], (name, width_mm)


def test_points_map_back_to_full_resolution(engine, load_sample):
    """A 3x upscaled photo gives the same landmarks times 3 (within a few pixels)."""
    photo = load_sample("aptus_1.png")
    big = np.asarray(Image.fromarray(photo.rgb).resize((photo.width * 3, photo.height * 3)))
    a = engine.detect(photo.rgb).face
    b = engine.detect(big).face
    err = np.abs(b.xy - 3 * a.xy)
    assert np.median(err) < 3.0 * 3
    assert b.mm_per_px == pytest.approx(a.mm_per_px / 3, rel=0.1)


def test_downscale_copy_is_about_1000_px():
    rgb = np.zeros((4032, 3024, 3), np.uint8)
    small = downscale_for_detection(rgb)
    assert max(small.shape[:2]) in range(950, 1051)
    assert small.flags["C_CONTIGUOUS"]
    tiny = np.zeros((600, 400, 3), np.uint8)
    assert downscale_for_detection(tiny).shape == tiny.shape


def test_pose_frontal_and_turned(engine, load_sample):
    for name in FRONTAL:
        pose = engine.detect(load_sample(name).rgb).face.pose
        assert abs(pose.yaw) < 10 and abs(pose.pitch) < 15 and abs(pose.roll) < 10, name
    turned = engine.detect(load_sample("aptus_3.png").rgb).face.pose
    assert abs(turned.yaw) > 20
    mirrored = engine.detect(np.ascontiguousarray(load_sample("aptus_3.png").rgb[:, ::-1])).face.pose
    assert np.sign(mirrored.yaw) == -np.sign(turned.yaw)
    assert abs(abs(mirrored.yaw) - abs(turned.yaw)) < 5


def test_no_face_is_a_result_not_an_error(engine):
    import skimage

    cat = load_photo(shutil.os.path.join(skimage.data_dir, "chelsea.png"))
    det = engine.detect(cat.rgb)
    assert det.count == 0 and not det.found and det.face is None


def test_two_faces_are_reported(engine, load_sample):
    a = load_sample("aptus_1.png").rgb
    b = load_sample("aptus_8.png").rgb
    both = np.concatenate([a, b], axis=1)
    det = engine.detect(both)
    assert det.count == 2
    assert det.face is None  # no single face to analyse


def test_video_mode_tracks_frames(load_sample):
    frames = [load_sample(n).rgb for n in ("aptus_1.png", "aptus_1.png", "aptus_2.png")]
    with FaceEngine(mode="video") as video:
        results = [video.detect(f, timestamp_ms=i * 40) for i, f in enumerate(frames)]
    assert all(r.count == 1 for r in results)


def test_engine_closes_and_refuses_after_close(load_sample):
    e = FaceEngine()
    e.close()
    e.close()  # idempotent
    with pytest.raises(RuntimeError):
        e.detect(load_sample("aptus_1.png").rgb)


def test_model_hash_is_verified(tmp_path, monkeypatch):
    assert load_model_bytes()[:4]  # the bundled model loads
    import hashlib

    assert hashlib.sha256(model_path().read_bytes()).hexdigest() == MODEL_SHA256
    altered = tmp_path / "face_landmarker.task"
    data = bytearray(model_path().read_bytes())
    data[1000] ^= 0xFF
    altered.write_bytes(bytes(data))
    monkeypatch.setenv("SKINTRACK_MODEL", str(altered))
    with pytest.raises(ModelError, match="damaged or not the expected file"):
        FaceEngine()
    monkeypatch.setenv("SKINTRACK_MODEL", str(tmp_path / "missing.task"))
    with pytest.raises(ModelError, match="missing"):
        FaceEngine()


@pytest.mark.slow
def test_model_is_packaged_in_the_wheel(tmp_path):
    """The wheel carries the model so an installed skintrack finds it without the source tree."""
    import subprocess
    import sys
    import zipfile

    from tests.conftest import ROOT

    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0 and "hatchling" in (out.stderr + out.stdout):
        out = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
            capture_output=True,
            text=True,
        )
    assert out.returncode == 0, out.stderr[-2000:]
    wheel = next(tmp_path.glob("skintrack-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        info = z.getinfo("skintrack/_models/face_landmarker.task")
        assert info.file_size == 3_758_596
        import hashlib

        assert hashlib.sha256(z.read(info)).hexdigest() == MODEL_SHA256
        # Every model beside it (the lesion scorer, any ONNX model) and the app's icon too.
        names = set(z.namelist())
        for model in (ROOT / "models").iterdir():
            assert f"skintrack/_models/{model.name}" in names, model.name
        assert "skintrack/app/skintrack.png" in names


def test_sample_folder_documents_every_photo():
    readme = (SAMPLES / "README.md").read_text()
    for name in ALL_FACES:
        assert name in readme, f"{name} has no source/licence note in sample_images/README.md"


def test_mirror_partners_come_from_the_model_and_pair_known_points():
    perm = mirror_permutation(load_model_bytes())
    assert perm.shape == (478,)
    assert (perm[perm] == np.arange(478)).all()  # an involution
    # Outer and inner eye corners, mouth corners, cheek edges, iris centres swap; the nose tip,
    # forehead top and chin lie on the midline.
    for a, b in ((33, 263), (133, 362), (61, 291), (234, 454), (468, 473)):
        assert perm[a] == b and perm[b] == a
    for m in (1, 10, 152):
        assert perm[m] == m


@pytest.mark.parametrize("attempt", [(0.0, True), (0.25, False), (0.25, True)])
def test_each_retry_maps_its_points_back_to_the_same_face(engine, load_sample, attempt):
    """Mirrored and bordered retries give the landmarks of a direct detection, anatomy kept."""
    photo = load_sample("obama.jpg")
    direct = engine.detect(photo.rgb).face
    det = engine.detect(photo.rgb, attempts=(attempt,))
    assert det.count == 1 and det.timing_ms["attempts"] == 1
    face = det.face
    err = np.linalg.norm(face.xy - direct.xy, axis=1)
    assert np.median(err) < 0.02 * direct.width_px, attempt
    # The person's right eye stays on the image's left (anatomical sides survive the mirror).
    assert face.xy[33, 0] < face.xy[263, 0]
    assert abs(face.pose.yaw - direct.pose.yaw) < 5 and abs(face.pose.roll - direct.pose.roll) < 5
    assert face.mm_per_px == pytest.approx(direct.mm_per_px, rel=0.1)


def test_side_views_the_selfie_detector_misses_are_found_by_the_retries(engine, acne04_dir):
    """ACNE04 side views on which MediaPipe alone finds no face: the retries find most of them."""
    names = [
        "levle0_305.jpg",
        "levle0_32.jpg",
        "levle0_86.jpg",
        "levle1_23.jpg",
        "levle1_367.jpg",
        "levle1_89.jpg",
        "levle1_93.jpg",
        "levle3_77.jpg",
    ]
    found = 0
    for name in names:
        rgb = load_photo(acne04_dir / name).rgb
        assert engine.detect(rgb, attempts=((0.0, False),)).count == 0, name
        det = engine.detect(rgb)
        if det.count == 1:
            found += 1
            assert det.timing_ms["attempts"] > 1
            x0, y0, x1, y1 = det.face.box
            assert x1 - x0 > 0.2 * rgb.shape[1], name  # a face, not a speck
    assert found >= 7
