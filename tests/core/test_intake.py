"""Photo intake: formats, bit depths, colour modes, EXIF orientation and time, refusals."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from PIL import Image

from skintrack.core.errors import PhotoError
from skintrack.core.intake import MAX_MEGAPIXELS, decode_photo, load_photo, photo_from_array
from tests.conftest import SAMPLES

FACE = SAMPLES / "aptus_1.png"


@pytest.fixture(scope="module")
def face_rgb() -> np.ndarray:
    return np.asarray(Image.open(FACE).convert("RGB"))


def _save(tmp_path, im: Image.Image, name: str, **kw) -> str:
    p = tmp_path / name
    im.save(p, **kw)
    return str(p)


@pytest.mark.parametrize(
    ("name", "kw"),
    [("a.jpg", {"quality": 95}), ("a.png", {}), ("a.tif", {}), ("a.webp", {"lossless": True})],
)
def test_common_formats_decode_to_rgb_uint8(tmp_path, face_rgb, name, kw):
    path = _save(tmp_path, Image.fromarray(face_rgb), name, **kw)
    photo = load_photo(path)
    assert photo.rgb.dtype == np.uint8 and photo.rgb.shape == face_rgb.shape
    tol = 6 if name.endswith(".jpg") else 0
    assert np.abs(photo.rgb.astype(int) - face_rgb.astype(int)).mean() <= tol
    assert photo.format in ("jpeg", "png", "tiff", "webp")
    assert len(photo.sha256) == 64


def test_grey_rgba_cmyk_and_16_bit(tmp_path, face_rgb):
    grey = Image.fromarray(face_rgb).convert("L")
    p = load_photo(_save(tmp_path, grey, "g.png"))
    assert p.rgb.shape[2] == 3 and np.array_equal(p.rgb[..., 0], p.rgb[..., 1])

    rgba = Image.fromarray(face_rgb).convert("RGBA")
    alpha = np.full(face_rgb.shape[:2], 255, np.uint8)
    alpha[:10] = 0  # fully transparent top rows composite onto white
    rgba.putalpha(Image.fromarray(alpha))
    p = load_photo(_save(tmp_path, rgba, "a.png"))
    assert (p.rgb[:10] == 255).all() and np.array_equal(p.rgb[20:], face_rgb[20:])

    cmyk = Image.fromarray(face_rgb).convert("CMYK")
    p = load_photo(_save(tmp_path, cmyk, "c.jpg", quality=95))
    assert p.rgb.shape == face_rgb.shape
    assert np.abs(p.rgb.astype(int) - face_rgb.astype(int)).mean() < 12

    g16 = (np.asarray(grey).astype(np.uint16) * 257).astype(np.uint16)
    p = load_photo(_save(tmp_path, Image.fromarray(g16), "g16.png"))
    assert p.rgb.dtype == np.uint8
    assert np.abs(p.rgb[..., 0].astype(int) - np.asarray(grey).astype(int)).max() <= 1

    rgb16 = face_rgb.astype(np.uint16) * 257
    path = tmp_path / "rgb16.tif"
    import tifffile

    tifffile.imwrite(path, rgb16, photometric="rgb")
    p = load_photo(path)
    assert np.abs(p.rgb.astype(int) - face_rgb.astype(int)).max() <= 1


@pytest.mark.parametrize("orientation", [1, 2, 3, 4, 5, 6, 7, 8])
def test_exif_orientation_matches_pillow_transpose(tmp_path, face_rgb, orientation):
    from PIL import ImageOps

    im = Image.fromarray(face_rgb[:300, :200])
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = _save(tmp_path, im, "o.jpg", quality=95, exif=exif)
    expected = np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))
    photo = load_photo(path)
    assert photo.rgb.shape == expected.shape
    assert np.abs(photo.rgb.astype(int) - expected.astype(int)).max() <= 2


def test_capture_time_from_exif_with_offset(tmp_path, face_rgb):
    exif = Image.Exif()
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = "2026:03:14 09:30:00"
    sub[0x9011] = "+02:00"
    path = _save(tmp_path, Image.fromarray(face_rgb), "t.jpg", exif=exif)
    p = load_photo(path)
    assert p.taken_at_source == "exif"
    assert p.taken_at == datetime(2026, 3, 14, 7, 30, tzinfo=UTC)
    assert p.taken_at.utcoffset() == timedelta(hours=2)
    assert not p.approximate_time


def test_capture_time_without_offset_and_without_exif(tmp_path, face_rgb):
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2026:03:14 09:30:00"
    p = load_photo(_save(tmp_path, Image.fromarray(face_rgb), "t.jpg", exif=exif))
    assert p.taken_at_source == "exif_local"
    assert p.taken_at.replace(tzinfo=None) == datetime(2026, 3, 14, 9, 30)

    path = _save(tmp_path, Image.fromarray(face_rgb), "n.png")
    stamp = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))
    p = load_photo(path)
    assert p.taken_at_source == "file_time" and p.approximate_time
    assert p.taken_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "date, offset",
    [
        ("9999:12:31 23:59:59", "-23:59"),  # 10000-01-01 in UTC: past what datetime can hold
        ("9999:12:31 23:59:59", None),  # in this computer's zone
        ("2400:01:01 00:00:00", "+01:00"),  # holdable, but no camera took it
    ],
)
def test_impossible_exif_date_is_read_as_no_capture_time(tmp_path, face_rgb, date, offset):
    exif = Image.Exif()
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = date
    if offset:
        sub[0x9011] = offset
    path = _save(tmp_path, Image.fromarray(face_rgb), "t.jpg", exif=exif)
    stamp = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))
    p = load_photo(path)
    assert p.taken_at_source == "file_time" and p.approximate_time
    assert p.taken_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert p.taken_at.astimezone(UTC)  # every time intake gives converts to UTC


def test_refusals_are_photo_errors_with_one_line(tmp_path, face_rgb):
    cases = {}
    cases["missing"] = tmp_path / "nope.jpg"
    (tmp_path / "empty.jpg").write_bytes(b"")
    cases["empty"] = tmp_path / "empty.jpg"
    (tmp_path / "text.jpg").write_text("this is not an image\n")
    cases["not an image"] = tmp_path / "text.jpg"
    buf = io.BytesIO()
    Image.fromarray(face_rgb).save(buf, "JPEG", quality=95)
    (tmp_path / "trunc.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    cases["truncated"] = tmp_path / "trunc.jpg"
    buf = io.BytesIO()
    Image.fromarray(face_rgb).save(buf, "PNG")
    (tmp_path / "trunc.png").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    cases["truncated png"] = tmp_path / "trunc.png"
    cases["folder"] = tmp_path
    expected = {
        "missing": "no such file",
        "empty": "empty",
        "not an image": "not an image",
        "truncated": "truncated",
        "truncated png": "truncated",
        "folder": "folder",
    }
    for key, path in cases.items():
        with pytest.raises(PhotoError) as info:
            load_photo(path)
        msg = str(info.value)
        assert expected[key] in msg, (key, msg)
        assert "\n" not in msg and str(path) in msg


def test_decompression_bomb_refused_before_decoding(tmp_path):
    # A 1-bit PNG of 12,000 x 10,000 pixels: 120 MP but only a few kilobytes on disk.
    big = Image.new("1", (12_000, 10_000))
    path = _save(tmp_path, big, "bomb.png", optimize=True)
    assert os.path.getsize(path) < 1_000_000
    with pytest.raises(PhotoError, match="megapixels"):
        load_photo(path)
    assert MAX_MEGAPIXELS == 100


def test_unsupported_format_is_refused(tmp_path, face_rgb):
    path = _save(tmp_path, Image.fromarray(face_rgb), "a.bmp")
    with pytest.raises(PhotoError, match="not supported"):
        load_photo(path)


def test_photo_from_array_and_bytes(face_rgb):
    p = photo_from_array(face_rgb, taken_at=datetime(2026, 1, 1, 12, tzinfo=UTC))
    assert p.taken_at_source == "camera" and p.width == face_rgb.shape[1]
    buf = io.BytesIO()
    Image.fromarray(face_rgb).save(buf, "PNG")
    q = decode_photo(buf.getvalue(), name="x.png")
    assert np.array_equal(q.rgb, face_rgb) and q.taken_at_source == "unknown"
    with pytest.raises(ValueError):
        photo_from_array(face_rgb[..., 0])
