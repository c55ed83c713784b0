"""Bring a later photo onto the baseline photo, triangle by triangle of the face mesh.

A head is not flat: between two photos it turns, tilts and changes expression a little, so one
homography cannot line up cheeks, nose and chin at once. The face mesh gives the same 468 surface
points in both photos, and the face-mesh tessellation splits the face into 852 small triangles;
each triangle is mapped by its own affine transform (a piecewise-affine warp), which follows the
face wherever the landmarks do.

Everything is computed on the baseline's *work grid* (see :class:`~skintrack.core.regions.RegionSet`):
about 400 samples across the face, the grid that the colour statistics use. Sampling the later
photo at the matching points of its own work grid keeps the whole warp to a few milliseconds for
12 MP photos.

This module also turns a per-pixel Δa* map into a colour image (:func:`delta_colours`,
:func:`overlay_delta`), used by :func:`skintrack.core.compare.render_delta_map`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Landmarks of the face surface (the 10 iris points, 468-477, are not part of the tessellation).
MESH_POINTS = 468


def mesh_triangles() -> np.ndarray:
    """The face-mesh triangles as ``(852, 3) int32`` landmark indices (read-only), from
    :mod:`skintrack.core.face_topology`: MediaPipe's published tessellation."""
    from skintrack.core.face_topology import mesh_triangles as _triangles

    tri = _triangles()
    if tri.max() >= MESH_POINTS:
        raise RuntimeError("unexpected face-mesh tessellation")
    return tri


@dataclass(frozen=True, eq=False)
class GridMapping:
    """Where each pixel of a destination grid comes from in a source grid.

    ``map_x``, ``map_y`` are ``float32`` source-grid coordinates (column, row) for every
    destination pixel, ``-1`` where the pixel is outside the face mesh or the source grid;
    ``valid`` is the boolean mask of pixels that have a source. ``triangle`` is the index of the
    mesh triangle each destination pixel lies in (``-1`` outside).
    """

    map_x: np.ndarray
    map_y: np.ndarray
    valid: np.ndarray
    triangle: np.ndarray

    def __post_init__(self) -> None:
        if not (self.map_x.shape == self.map_y.shape == self.valid.shape == self.triangle.shape):
            raise ValueError("GridMapping arrays must share one shape")
        if self.valid.dtype != bool:
            raise ValueError("GridMapping.valid must be boolean")

    def sample(self, image: np.ndarray, *, nearest: bool = False, fill: float = 0.0) -> np.ndarray:
        """Resample a source-grid image (2-D or ``(h, w, c)``) onto the destination grid."""
        import cv2

        interp = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
        out = cv2.remap(
            np.ascontiguousarray(image),
            self.map_x,
            self.map_y,
            interp,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=fill,
        )
        if out.ndim == 2 and image.ndim == 3:  # OpenCV drops a channel axis of length 1
            out = out[..., None]
        return out


def _affines(dst: np.ndarray, src: np.ndarray, tri: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-triangle 2x3 affine maps from ``dst`` points to ``src`` points, and which are usable."""
    d = dst[tri]  # (t, 3, 2)
    s = src[tri]
    m = np.concatenate([d, np.ones(d.shape[:2] + (1,), d.dtype)], axis=2)  # (t, 3, 3)
    det = np.linalg.det(m)
    ok = np.abs(det) > 1e-6  # a degenerate (flat) triangle covers no pixel anyway
    a = np.zeros((len(tri), 3, 2), np.float64)
    a[ok] = np.linalg.solve(m[ok], s[ok])  # rows: [x y 1] @ a = src
    return a, ok


def mesh_mapping(
    dst_xy: np.ndarray,
    src_xy: np.ndarray,
    dst_shape: tuple[int, int],
    *,
    dst_origin: tuple[float, float] = (0.0, 0.0),
    dst_step: float = 1.0,
    src_origin: tuple[float, float] = (0.0, 0.0),
    src_step: float = 1.0,
    src_shape: tuple[int, int] | None = None,
) -> GridMapping:
    """Piecewise-affine mapping of a destination grid into a source grid through the face mesh.

    Parameters
    ----------
    dst_xy, src_xy : ndarray
        ``(>=468, 2)`` landmark positions in photo pixels of the destination (baseline) and the
        source (later) photo.
    dst_shape : tuple of int
        ``(rows, columns)`` of the destination grid.
    dst_origin, dst_step : float
        The destination grid's pixel ``(i, j)`` is photo pixel ``(x, y) = dst_origin + step *
        (j, i)`` (the work-grid convention of :class:`~skintrack.core.regions.RegionSet`).
    src_origin, src_step : float
        The same for the source grid that will be sampled.
    src_shape : tuple of int, optional
        ``(rows, columns)`` of the source grid; destination pixels that fall outside it are
        marked invalid.

    Returns
    -------
    GridMapping
    """
    import cv2

    tri = mesh_triangles()
    h, w = dst_shape
    dst = (np.asarray(dst_xy, np.float64)[:MESH_POINTS] - np.asarray(dst_origin, np.float64)) / dst_step
    src = (np.asarray(src_xy, np.float64)[:MESH_POINTS] - np.asarray(src_origin, np.float64)) / src_step
    aff, ok = _affines(dst, src, tri)

    # Triangle index of every destination pixel; 4 fractional bits keep the edges sub-pixel.
    shift = 4
    label = np.full((h, w), -1, np.int32)
    pts = np.round(dst[tri] * (1 << shift)).astype(np.int32)
    for t in np.flatnonzero(ok):
        cv2.fillConvexPoly(label, pts[t], int(t), cv2.LINE_8, shift)

    # Per-pixel affine coefficients by table lookup, one contiguous float32 plane each (row
    # ``len(tri)`` of the table means "no triangle").
    table = np.zeros((6, len(tri) + 1), np.float32)
    table[:, :-1] = aff.transpose(2, 1, 0).reshape(6, -1)  # ax, bx, cx, ay, by, cy
    idx = np.where(label >= 0, label, len(tri)).ravel()
    c = [np.take(table[k], idx).reshape(h, w) for k in range(6)]
    xs = np.arange(w, dtype=np.float32)[None, :]
    ys = np.arange(h, dtype=np.float32)[:, None]
    sx = xs * c[0] + ys * c[1] + c[2]
    sy = xs * c[3] + ys * c[4] + c[5]
    valid = label >= 0
    if src_shape is not None:
        sh, sw = src_shape
        valid &= (sx >= 0) & (sy >= 0) & (sx <= sw - 1) & (sy <= sh - 1)
    map_x = np.where(valid, sx, np.float32(-1.0))
    map_y = np.where(valid, sy, np.float32(-1.0))
    return GridMapping(map_x=map_x, map_y=map_y, valid=valid, triangle=label)


def map_points(points: np.ndarray, from_xy: np.ndarray, to_xy: np.ndarray) -> np.ndarray:
    """Photo points of one photo mapped onto another through the face mesh.

    Each point takes the affine map of the mesh triangle it lies in (of ``from_xy``, the
    landmarks of the photo it is on) to ``to_xy`` (the other photo's landmarks); a point outside
    the mesh (hairline, jaw) takes the triangle whose corners it is nearest to, extrapolated.
    ``points`` is ``(n, 2)`` photo pixels; returns ``(n, 2)`` float64 photo pixels of the other
    photo.
    """
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    if not len(pts):
        return pts.copy()
    tri = mesh_triangles()
    a = np.asarray(from_xy, np.float64)[:MESH_POINTS]
    b = np.asarray(to_xy, np.float64)[:MESH_POINTS]
    aff, ok = _affines(a, b, tri)
    corners = a[tri]  # (t, 3, 2)
    # Barycentric coordinates of every point in every triangle: (n, t, 3).
    v0, v1 = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
    det = v0[:, 0] * v1[:, 1] - v0[:, 1] * v1[:, 0]
    det = np.where(np.abs(det) > 1e-9, det, np.inf)
    d = pts[:, None, :] - corners[None, :, 0]
    l1 = (d[..., 0] * v1[None, :, 1] - d[..., 1] * v1[None, :, 0]) / det
    l2 = (v0[None, :, 0] * d[..., 1] - v0[None, :, 1] * d[..., 0]) / det
    inside = np.minimum(np.minimum(1 - l1 - l2, l1), l2)
    inside[:, ~ok] = -np.inf
    best = np.argmax(inside, axis=1)
    homog = np.concatenate([pts, np.ones((len(pts), 1))], axis=1)  # (n, 3)
    return np.einsum("nk,nkj->nj", homog, aff[best])


def regions_mapping(baseline_regions, baseline_face, later_regions, later_face) -> GridMapping:
    """The mapping of the baseline's work grid into the later photo's work grid."""
    return mesh_mapping(
        baseline_face.xy,
        later_face.xy,
        baseline_regions.work_rgb.shape[:2],
        dst_origin=baseline_regions.origin,
        dst_step=baseline_regions.step,
        src_origin=later_regions.origin,
        src_step=later_regions.step,
        src_shape=later_regions.work_rgb.shape[:2],
    )


# --- Colour-mapped Δa* -------------------------------------------------------------------------------

#: Colour stops of the Δa* scale, from "less red" through "unchanged" to "redder": blue, a pale
#: neutral, then yellow-orange to deep red (a diverging scale, readable by the common red-green
#: colour-blind, since its two arms differ in blue vs. yellow and in lightness).
_STOPS = np.array(
    [
        [-1.0, 33, 102, 172],
        [-0.5, 103, 169, 207],
        [0.0, 247, 247, 247],
        [0.25, 254, 224, 144],
        [0.5, 253, 174, 97],
        [0.75, 215, 48, 39],
        [1.0, 127, 0, 38],
    ],
    dtype=np.float32,
)


def delta_colours(delta: np.ndarray, max_delta: float) -> np.ndarray:
    """Colours (``uint8`` RGB, shape ``delta.shape + (3,)``) for Δa* values on a diverging scale
    saturating at ``±max_delta``; NaN gives black (callers mask it out)."""
    if max_delta <= 0:
        raise ValueError("max_delta must be positive")
    t = np.clip(np.nan_to_num(np.asarray(delta, np.float32) / np.float32(max_delta)), -1.0, 1.0)
    out = np.empty(t.shape + (3,), np.float32)
    for c in range(3):
        out[..., c] = np.interp(t, _STOPS[:, 0], _STOPS[:, c + 1])
    rgb = np.round(out).astype(np.uint8)
    rgb[np.isnan(delta)] = 0
    return rgb


def overlay_delta(
    photo_rgb: np.ndarray, delta: np.ndarray, *, alpha: float = 0.6, max_delta: float = 10.0
) -> np.ndarray:
    """Blend the colour-mapped ``delta`` (same height and width as ``photo_rgb``, NaN where
    there is no measurement) over ``photo_rgb``; ``uint8`` RGB."""
    colours = delta_colours(delta, max_delta).astype(np.float32)
    base = photo_rgb.astype(np.float32)
    have = ~np.isnan(delta)
    out = base.copy()
    out[have] = (1.0 - alpha) * base[have] + alpha * colours[have]
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def scale_bar(width: int, height: int, max_delta: float) -> np.ndarray:
    """A horizontal colour bar from ``-max_delta`` to ``+max_delta`` (``uint8`` RGB), with tick
    marks at -max, 0 and +max."""
    ramp = np.linspace(-max_delta, max_delta, width, dtype=np.float32)
    bar = np.repeat(delta_colours(ramp, max_delta)[None], height, axis=0)
    for x in (0, width // 2, width - 1):
        bar[: max(2, height // 3), max(0, x - 1) : x + 1] = 0
    return bar


def warp_to_baseline(
    later_rgb: np.ndarray, later_face, baseline_face, baseline_shape: tuple[int, int], *, grid_step: int = 8
) -> np.ndarray:
    """The later photo warped onto the baseline photo's frame, for showing the two side by side.

    Inside the face mesh the warp is piecewise affine; outside it (hair, background) one
    similarity transform fitted to the landmarks carries the rest of the picture along. The
    mapping is computed on a grid every ``grid_step`` pixels and interpolated, which is exact
    inside each triangle up to the grid resolution and keeps 12 MP photos fast.

    Returns
    -------
    ndarray
        ``uint8`` RGB of ``baseline_shape`` (rows, columns).
    """
    import cv2

    h, w = baseline_shape[:2]
    gh, gw = h // grid_step + 2, w // grid_step + 2
    lh, lw = later_rgb.shape[:2]
    # Grid point i sits at pixel i*step + (step-1)/2: exactly where OpenCV's linear resize by
    # ``step`` places the centre of source pixel i, so the upsampled map lines up with pixels.
    off = (grid_step - 1) / 2.0
    mapping = mesh_mapping(
        baseline_face.xy,
        later_face.xy,
        (gh, gw),
        dst_origin=(off, off),
        dst_step=grid_step,
        src_shape=(lh, lw),
    )
    sim, _ = cv2.estimateAffinePartial2D(
        baseline_face.xy[:MESH_POINTS].astype(np.float32), later_face.xy[:MESH_POINTS].astype(np.float32)
    )
    if sim is None:
        sim = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    ys, xs = np.mgrid[0:gh, 0:gw].astype(np.float32) * np.float32(grid_step) + np.float32(off)
    gx = sim[0, 0] * xs + sim[0, 1] * ys + sim[0, 2]
    gy = sim[1, 0] * xs + sim[1, 1] * ys + sim[1, 2]
    # Inside the mesh, take the piecewise-affine source; pixels just outside blend smoothly.
    inside = mapping.triangle >= 0
    weight = cv2.GaussianBlur(inside.astype(np.float32), (0, 0), 1.0) * inside
    mx = np.where(inside, mapping.map_x, 0) * weight + gx * (1 - weight)
    my = np.where(inside, mapping.map_y, 0) * weight + gy * (1 - weight)
    # The piecewise map marks sources outside the later photo as -1: use the similarity there.
    lost = inside & ~mapping.valid
    mx[lost], my[lost] = gx[lost], gy[lost]
    full_x = cv2.resize(
        mx.astype(np.float32), (gw * grid_step, gh * grid_step), interpolation=cv2.INTER_LINEAR
    )[:h, :w]
    full_y = cv2.resize(
        my.astype(np.float32), (gw * grid_step, gh * grid_step), interpolation=cv2.INTER_LINEAR
    )[:h, :w]
    return cv2.remap(
        np.ascontiguousarray(later_rgb), full_x, full_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
