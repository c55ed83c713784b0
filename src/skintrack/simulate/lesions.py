"""Rendering lesions onto real face photos, sized in millimetres, for tests.

No labelled photos of open wounds, crusts or cold sores exist in this project, so the tests of
those detectors paint them onto the sample faces. Shapes, colours and textures follow textbook
descriptions (see ``docs/detectors.md``):

- **open wound** (erosion / abrasion): an irregular patch of raw, moist, bright red surface with
  specular highlights and a darker rim; 3-15 mm.
- **crust** (scab): dried serum and blood, honey-yellow (impetigo-like) to dark red-brown, rough
  and granular, slightly raised with a thin shadow; 2-10 mm.
- **pustule**: a white-yellow head (about 40 % of its diameter) on a red, raised base; 2-5 mm.
- **cold sore** (herpes labialis): a cluster of 1-2 mm clear-to-white vesicles and small yellow
  crusts on a red base, on or beside the vermilion border of the lip; 5-10 mm across.

Everything is blended into the photo's own shading (the skin's lightness modulates the lesion
colour) so that lighting and grain carry over. This is evidence that the detectors respond to
lesions *as described*, not proof that they find real ones: see ``docs/detectors.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from skintrack.core.face import Face

RENDER_KINDS = ("open_wound", "crust", "pustule", "cold_sore")

#: sRGB colours (0-255) from dermatology atlas descriptions.
RAW_RED = (178, 42, 40)
RAW_RED_DARK = (128, 28, 32)
CRUST_HONEY = (196, 146, 62)
CRUST_BROWN = (112, 62, 34)
PUSTULE_HEAD = (242, 232, 196)
INFLAMED_BASE = (205, 92, 88)
VESICLE = (236, 226, 214)

#: Landmarks where :func:`place` puts a lesion (MediaPipe face-mesh indices).
ANCHORS = {
    "left_cheek": 425,  # person's own left (image right in an unmirrored photo)
    "right_cheek": 205,
    "forehead": 151,
    "chin": 200,
    "nose": 4,
    "lip_border": 270,  # upper-lip vermilion border, person's left
}


@dataclass(frozen=True)
class RenderedLesion:
    """What was painted: kind, centre (photo pixels) and radius (photo pixels, mm)."""

    kind: str
    x: float
    y: float
    radius_px: float
    diameter_mm: float

    def __post_init__(self) -> None:
        if self.kind not in RENDER_KINDS:
            raise ValueError(f"unknown rendered kind {self.kind!r}")
        if self.radius_px <= 0 or self.diameter_mm <= 0:
            raise ValueError("a rendered lesion needs a positive size")


def place(face: Face, where: str, offset_mm: tuple[float, float] = (0.0, 0.0)) -> tuple[float, float]:
    """A photo point at a named anchor of ``face`` (see :data:`ANCHORS`), shifted by mm."""
    if where not in ANCHORS:
        raise ValueError(f"unknown place {where!r}; one of {', '.join(ANCHORS)}")
    x, y = (float(v) for v in face.xy[ANCHORS[where]])
    mmpp = _mm_per_px(face)
    return x + offset_mm[0] / mmpp, y + offset_mm[1] / mmpp


def _mm_per_px(face: Face) -> float:
    if face.mm_per_px:
        return float(face.mm_per_px)
    return 185.0 / float(np.linalg.norm(face.xy[10] - face.xy[152]))


def _blob(
    shape: tuple[int, ...],
    cx: float,
    cy: float,
    r: float,
    rng: np.random.Generator,
    *,
    roughness: float = 0.18,
    soft: float = 0.25,
) -> np.ndarray:
    """Soft irregular blob alpha (0-1): polar radius with a few random harmonics."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ang = np.arctan2(yy - cy, xx - cx)
    rad = np.hypot(xx - cx, yy - cy)
    edge = np.ones_like(ang)
    for k in range(2, 6):
        edge += roughness / k * rng.uniform(0.5, 1.0) * np.cos(k * ang + rng.uniform(0, 2 * np.pi))
    edge *= r
    t = (rad - edge) / max(soft * r, 0.8)
    return np.clip(0.5 - t, 0.0, 1.0)


def _noise(shape: tuple[int, ...], rng: np.random.Generator, scale_px: float) -> np.ndarray:
    """Smooth noise, mean 0, std about 1, with features of about ``scale_px``."""
    import cv2

    n: np.ndarray = rng.standard_normal(shape).astype(np.float32)
    if scale_px > 0.6:
        n = cv2.GaussianBlur(n, (0, 0), scale_px)
    return n / max(float(n.std()), 1e-6)


def _paint(
    img: np.ndarray,
    alpha: np.ndarray,
    colour: tuple[int, int, int],
    shade: np.ndarray,
    texture: np.ndarray | None = None,
) -> None:
    """Blend a colour (lit by the skin's own shading) into ``img`` (float32 0-255) in place."""
    col = np.asarray(colour, np.float32)[None, None, :] * shade[..., None]
    if texture is not None:
        col = col * texture[..., None]
    a = alpha[..., None]
    img[:] = img * (1 - a) + np.clip(col, 0, 255) * a


def render(
    rgb: np.ndarray,
    face: Face,
    kind: str,
    at: tuple[float, float] | str,
    diameter_mm: float,
    *,
    seed: int = 0,
) -> tuple[np.ndarray, RenderedLesion]:
    """A copy of ``rgb`` with one lesion of ``kind`` painted at ``at`` (photo pixels or an anchor
    name), ``diameter_mm`` across. Returns the new image and what was painted."""
    import cv2

    if kind not in RENDER_KINDS:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(RENDER_KINDS)}")
    if not 0.5 <= diameter_mm <= 40:
        raise ValueError("diameter_mm must be within 0.5-40 mm")
    cx, cy = place(face, at) if isinstance(at, str) else (float(at[0]), float(at[1]))
    mmpp = _mm_per_px(face)
    r = diameter_mm / 2 / mmpp
    rng = np.random.default_rng(seed)
    h, w = rgb.shape[:2]
    pad = int(np.ceil(r * 2.2 + 6))
    x0, y0 = max(0, int(cx) - pad), max(0, int(cy) - pad)
    x1, y1 = min(w, int(cx) + pad + 1), min(h, int(cy) + pad + 1)
    out = rgb.copy()
    tile = out[y0:y1, x0:x1].astype(np.float32)
    lx, ly = cx - x0, cy - y0
    grey = cv2.cvtColor(tile.astype(np.uint8), cv2.COLOR_RGB2GRAY).astype(np.float32)
    # The skin's own shading, relative to its local mean: keeps lighting and grain.
    shade = np.clip(grey / max(float(np.median(grey)), 1.0), 0.6, 1.4)
    shape = tile.shape[:2]
    if kind == "open_wound":
        a = _blob(shape, lx, ly, r, rng, roughness=0.3, soft=0.12) * 0.95
        rim = np.clip(_blob(shape, lx, ly, r * 1.15, rng, roughness=0.3, soft=0.2) - a, 0, 1)
        _paint(tile, rim * 0.6, (170, 80, 75), shade)
        tex = 1.0 + 0.10 * _noise(shape, rng, max(0.6, r / 10))
        mix = np.clip(0.5 + 0.5 * _noise(shape, rng, max(1.0, r / 4)), 0, 1)[..., None]
        col = np.asarray(RAW_RED, np.float32) * (1 - mix) + np.asarray(RAW_RED_DARK, np.float32) * mix
        tile[:] = tile * (1 - a[..., None]) + np.clip(col * (shade * tex)[..., None], 0, 255) * a[..., None]
        # Moist surface: small specular glints.
        glint = (_noise(shape, rng, max(0.6, r / 12)) > 2.2).astype(np.float32) * a
        _paint(tile, cv2.GaussianBlur(glint, (0, 0), 0.8) * 0.8, (250, 235, 230), np.ones(shape, np.float32))
    elif kind == "crust":
        a = _blob(shape, lx, ly, r, rng, roughness=0.35, soft=0.1) * 0.97
        shadow = np.clip(_blob(shape, lx + 0.15 * r, ly + 0.2 * r, r * 1.08, rng) - a, 0, 1)
        _paint(tile, shadow * 0.5, (90, 60, 50), shade)
        mix = np.clip(0.5 + 0.45 * _noise(shape, rng, max(0.8, r / 3)), 0, 1)[..., None]
        col = np.asarray(CRUST_HONEY, np.float32) * (1 - mix) + np.asarray(CRUST_BROWN, np.float32) * mix
        grain = 1.0 + 0.16 * _noise(shape, rng, 0.7)
        tile[:] = tile * (1 - a[..., None]) + np.clip(col * (shade * grain)[..., None], 0, 255) * a[..., None]
    elif kind == "pustule":
        base = _blob(shape, lx, ly, r, rng, roughness=0.1, soft=0.6) * 0.75
        _paint(tile, base, INFLAMED_BASE, shade)
        head = _blob(shape, lx, ly, 0.4 * r, rng, roughness=0.08, soft=0.35) * 0.95
        _paint(tile, head, PUSTULE_HEAD, np.clip(shade, 0.9, 1.2))
    else:  # cold sore: red base, grouped vesicles, a few small crusts
        base = _blob(shape, lx, ly, r, rng, roughness=0.25, soft=0.35) * 0.8
        _paint(tile, base, INFLAMED_BASE, shade)
        n = int(rng.integers(5, 9))
        for i in range(n):
            ang = rng.uniform(0, 2 * np.pi)
            dist = r * 0.6 * np.sqrt(rng.uniform(0.05, 1.0))
            vx, vy = lx + dist * np.cos(ang), ly + dist * np.sin(ang)
            vr = rng.uniform(0.6, 1.0) / mmpp
            if i % 3 == 2:
                _paint(tile, _blob(shape, vx, vy, vr, rng, soft=0.3) * 0.95, CRUST_HONEY, shade)
            else:
                _paint(
                    tile,
                    _blob(shape, vx, vy, vr, rng, roughness=0.05, soft=0.4) * 0.9,
                    VESICLE,
                    np.clip(shade, 0.9, 1.25),
                )
    out[y0:y1, x0:x1] = np.clip(tile + 0.5, 0, 255).astype(np.uint8)
    return out, RenderedLesion(kind=kind, x=cx, y=cy, radius_px=float(r), diameter_mm=float(diameter_mm))
