"""Report images: re-encoded without EXIF or location; the metadata check catches what it must."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from skintrack.report.images import crop, data_uri, encode_jpeg, encode_png, fit, metadata_markers


def _jpeg_with_gps(rgb) -> bytes:
    """A camera-like JPEG: EXIF with a make, a capture time and a GPS position."""
    im = Image.fromarray(rgb)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0132] = "2026:03:12 09:00:00"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (48.0, 51.0, 24.0)
    gps[3], gps[4] = "E", (2.0, 21.0, 7.0)
    buf = io.BytesIO()
    im.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def test_a_camera_jpeg_is_caught_and_its_re_encoding_is_clean(load_sample):
    rgb = load_sample("obama.jpg").rgb
    camera = _jpeg_with_gps(rgb)
    assert "APP1 (EXIF/XMP)" in metadata_markers(camera)  # the negative case: it must be found
    # What the report does with a photo: decode to pixels (intake), re-encode.
    from skintrack.core.intake import decode_photo

    clean = encode_jpeg(decode_photo(camera).rgb)
    assert metadata_markers(clean) == []
    im = Image.open(io.BytesIO(clean))
    assert not im.getexif() and "exif" not in im.info and "icc_profile" not in im.info


def test_png_metadata_chunks_are_caught_and_ours_have_none():
    from PIL import PngImagePlugin

    rgb = np.full((20, 30, 3), 128, np.uint8)
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "camera app")
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG", pnginfo=info)
    assert "tEXt" in metadata_markers(buf.getvalue())
    assert metadata_markers(encode_png(rgb)) == []


def test_encoders_refuse_to_return_metadata(monkeypatch):
    import skintrack.report.images as images

    monkeypatch.setattr(images, "metadata_markers", lambda data: ["APP1 (EXIF/XMP)"])
    with pytest.raises(RuntimeError, match="metadata"):
        images.encode_jpeg(np.zeros((8, 8, 3), np.uint8))


def test_crop_keeps_aspect_and_pads_outside_the_photo():
    rgb = np.arange(100 * 80 * 3, dtype=np.uint32).reshape(100, 80, 3).astype(np.uint8)
    c = crop(rgb, (10, 10, 30, 50), aspect=0.8)
    assert c.shape[:2] == (40, 32)
    edge = crop(rgb, (-10, -10, 10, 10))
    assert edge.shape[:2] == (20, 20) and edge[:10, :10].max() == 0
    assert np.array_equal(edge[10:, 10:], rgb[:10, :10])


def test_fit_reduces_but_never_enlarges():
    rgb = np.zeros((600, 480, 3), np.uint8)
    assert fit(rgb, 300, 375).shape == (375, 300, 3)
    assert fit(rgb, 1000, 1000).shape == (600, 480, 3)


def test_data_uri_round_trips():
    data = encode_png(np.zeros((4, 4, 3), np.uint8))
    uri = data_uri(data, "image/png")
    assert uri.startswith("data:image/png;base64,")
    import base64

    assert base64.b64decode(uri.split(",", 1)[1]) == data
