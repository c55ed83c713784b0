"""Large camera JPEGs are decoded at a reduced scale and analysed there (ADR 0008); every result
is still in pixels of the full, oriented photo."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PIL import Image

from skintrack.core.analysis import analysis_reduction, analyze_photo
from skintrack.core.errors import PhotoError
from skintrack.core.face import scale_points
from skintrack.core.intake import DEFERRED, load_photo, photo_from_array
from tests.conftest import SAMPLES

BIG = (3024, 4032)  # portrait 12 MP, as the benchmark photo


def _big_face(size=BIG, face_share: float = 1.0) -> np.ndarray:
    """aptus_1 scaled so that it fills ``face_share`` of a ``size`` frame (grey around it)."""
    im = Image.open(SAMPLES / "aptus_1.png").convert("RGB")
    w, h = size
    fw, fh = round(w * face_share), round(h * face_share)
    canvas = np.full((h, w, 3), 128, np.uint8)
    x0, y0 = (w - fw) // 2, (h - fh) // 2
    canvas[y0 : y0 + fh, x0 : x0 + fw] = np.asarray(im.resize((fw, fh), Image.LANCZOS))
    return canvas


def _jpeg(path, rgb: np.ndarray, orientation: int = 1) -> str:
    exif = Image.Exif()
    if orientation != 1:
        exif[0x0112] = orientation
    Image.fromarray(rgb).save(path, quality=92, exif=exif)
    return str(path)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    rgb = _big_face()
    return rgb, _jpeg(tmp_path_factory.mktemp("big") / "big.jpg", rgb)


@pytest.fixture(scope="module")
def big_analyses(engine, big):
    photo = load_photo(big[1])
    return analyze_photo(photo, engine), analyze_photo(dataclasses.replace(photo, rgb=photo.rgb), engine)


def _block_mean(rgb: np.ndarray, k: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    return rgb.reshape(h // k, k, w // k, k, 3).astype(np.float32).mean(axis=(1, 3))


def test_a_12_mp_jpeg_is_decoded_at_half_scale_and_in_full_only_when_read(big):
    rgb, path = big
    photo = load_photo(path)
    assert (photo.width, photo.height) == BIG and photo.reduction_for() == 2
    assert photo.reduction_for(1000) == 4
    assert photo.__dict__["_rgb"] is DEFERRED  # nothing decoded at full scale yet
    for k in (2, 4):
        small = photo.pixels(k)
        assert small.shape == (BIG[1] // k, BIG[0] // k, 3) and small.dtype == np.uint8
        # A reduced pixel is the block of k x k full pixels it covers (up to JPEG noise).
        assert np.abs(small - _block_mean(rgb, k)).mean() < 2.0
    full = photo.rgb
    assert full.shape == rgb.shape and np.abs(full.astype(int) - rgb).mean() < 3.0
    assert photo.rgb is full  # decoded once, then kept
    assert "<decoded on first use>" not in repr(photo) and "3024" in repr(photo)


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_reduced_pixels_follow_the_exif_orientation(tmp_path, big, orientation):
    from PIL import ImageOps

    rgb = big[0]
    path = _jpeg(tmp_path / "o.jpg", rgb, orientation)
    photo = load_photo(path)
    shown = np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))
    assert (photo.height, photo.width) == shown.shape[:2]
    assert photo.reduction_for() == 2
    assert np.abs(photo.pixels(2) - _block_mean(shown, 2)).mean() < 2.0
    assert np.abs(photo.rgb.astype(int) - shown).max() <= 2


def test_small_photos_arrays_and_other_formats_are_analysed_as_they_are(tmp_path, engine, big):
    photo = load_photo(SAMPLES / "obama.jpg")  # 910 x 1137: under twice the reduced long side
    assert photo.reduction_for() == 1 and photo.pixels(1) is photo.rgb
    assert analyze_photo(photo, engine).reduction == 1
    png = tmp_path / "big.png"
    Image.fromarray(big[0]).save(png)
    assert load_photo(png).reduction_for() == 1  # only JPEGs have DCT scaling
    arr = photo_from_array(big[0])
    assert arr.reduction_for() == 1 and arr.jpeg is None
    # Pixels given as an array replace the file's: the analysis must read them, not the JPEG.
    jpg = load_photo(big[1])
    dim = dataclasses.replace(jpg, rgb=(jpg.rgb // 2).astype(np.uint8))
    assert dim.jpeg is None and dim.reduction_for() == 1 and dim.size == BIG
    with pytest.raises(ValueError):
        dim.pixels(4)


def test_a_damaged_or_truncated_big_jpeg_is_refused_at_intake(tmp_path, big):
    data = open(big[1], "rb").read()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(PhotoError, match="truncated"):
        load_photo(cut)


def test_analysis_at_half_scale_is_in_the_full_photos_pixels(big_analyses):
    reduced, full = big_analyses
    assert reduced.reduction == 2 and full.reduction == 1
    assert reduced.detection.image_size == BIG == full.detection.image_size
    fw = full.face.width_px
    # Landmarks, box and scale agree with the full-scale analysis (the landmarker sees a ~1000 px
    # copy either way: the difference is its input's resampling, well under 1 % of the face).
    assert np.abs(reduced.face.xy - full.face.xy).max() < 0.01 * fw
    assert np.abs(np.subtract(reduced.face.box, full.face.box)).max() < 0.01 * fw
    assert reduced.face.mm_per_px == pytest.approx(full.face.mm_per_px, rel=0.02)
    rr, rf = reduced.regions, full.regions
    assert rr.image_size == BIG and rr.step % 2 == 0  # a grid step of whole reduced pixels
    for name in rr.regions:
        assert np.abs(rr[name].polygon - rf[name].polygon).max() < 0.01 * fw
        assert rr[name].pixels == pytest.approx(rf[name].pixels, rel=0.05)
        assert reduced.region_stats[name]["a_star"] == pytest.approx(
            full.region_stats[name]["a_star"], abs=0.1
        )
        # The work grid maps onto the full photo where the polygon says.
        m = rr.full_mask(name)
        assert m.shape == (BIG[1], BIG[0])
        cx, cy = rr[name].polygon.mean(axis=0)
        assert m[int(cy) - 200 : int(cy) + 200, int(cx) - 200 : int(cx) + 200].any()
    for f in reduced.findings:
        assert 0 <= f.x < BIG[0] and 0 <= f.y < BIG[1]
    sr, sf = reduced.skin.full_mask(BIG), full.skin.full_mask(BIG)
    assert (sr & sf).sum() / (sr | sf).sum() > 0.95
    assert reduced.quality.codes == full.quality.codes


def test_a_painted_lesion_is_found_at_the_same_place_at_both_scales(tmp_path, engine):
    from skintrack.core.lesions import WORK_FACE_HEIGHT
    from skintrack.simulate.lesions import render

    base = _big_face()
    face = engine.detect(base).face
    rgb, lesion = render(base, face, "open_wound", "left_cheek", 8.0, seed=3)
    photo = load_photo(_jpeg(tmp_path / "wound.jpg", rgb))
    reduced = analyze_photo(photo, engine)
    full = analyze_photo(dataclasses.replace(photo, rgb=photo.rgb), engine)
    assert reduced.reduction == 2

    def hit(a):
        near = [
            f
            for f in a.findings
            if f.kind == "open_wound" and np.hypot(f.x - lesion.x, f.y - lesion.y) < lesion.radius_px
        ]
        assert near, f"no wound at the painted place in the 1/{a.reduction} analysis"
        return near[0]

    a, b = hit(reduced), hit(full)
    # The lesion search works on a face WORK_FACE_HEIGHT pixels high at either scale: within two
    # of its pixels (about 11 photo pixels here, 0.6 mm) after mapping back.
    work_px = np.hypot(*(full.face.xy[10] - full.face.xy[152])) / WORK_FACE_HEIGHT
    assert np.hypot(a.x - b.x, a.y - b.y) <= 2 * work_px
    assert a.radius_px == pytest.approx(b.radius_px, rel=0.25)
    assert a.diameter_mm == pytest.approx(b.diameter_mm, rel=0.25)


def test_a_small_face_in_a_big_photo_is_decoded_finer(tmp_path, engine):
    # A face 45 % of the frame's size is ~1170 px high: at 1/2 it would be under twice the
    # lesion work scale (480 px); the photo is decoded again, in full.
    path = _jpeg(tmp_path / "far.jpg", _big_face(face_share=0.45))
    photo = load_photo(path)
    a = analyze_photo(photo, engine)
    assert a.face is not None and photo.reduction_for() == 2
    assert a.reduction == 1 and "decode_finer" in a.timing_ms
    assert a.detection.image_size == BIG
    assert analysis_reduction(a.face, BIG, 2) == 1
    # The big face is kept at 1/2, and would be at 1/4 only if twice as large again.
    big = analyze_photo(load_photo(_jpeg(tmp_path / "near.jpg", _big_face())), engine)
    height = np.hypot(*(big.face.xy[10] - big.face.xy[152]))
    assert big.reduction == 2 and "decode_finer" not in big.timing_ms
    assert height / 2 >= 2 * 480 > height / 4
    assert analysis_reduction(big.face, BIG, 4) == 2


def test_scale_points_maps_pixel_centres():
    # Reduced pixel 0 covers full pixels 0..3 (centre 1.5); pixel 2 covers 8..11 (centre 9.5).
    assert np.allclose(scale_points(np.array([[0.0, 2.0]]), 4), [[1.5, 9.5]])
    assert np.allclose(scale_points(np.array([[0.0]]), 1), [[0.0]])
