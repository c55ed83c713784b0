"""Piecewise-affine warp through the face mesh, and the colour scale of the change map."""

from __future__ import annotations

import numpy as np
import pytest

from skintrack.core import warp
from skintrack.simulate import phantom as ph

#: Mean landmark distance (pixels) between the baseline and a later photo warped onto it.
ALIGN_TOL_PX = 3.0


def test_mesh_triangles_cover_the_face_mesh():
    tri = warp.mesh_triangles()
    assert tri.shape == (852, 3) and tri.dtype == np.int32
    assert tri.min() >= 0 and tri.max() < warp.MESH_POINTS
    assert len(np.unique(tri)) == warp.MESH_POINTS  # every surface point is a corner


def test_identity_mapping_returns_the_grid(engine, load_sample):
    face = engine.detect(load_sample("aptus_1.png").rgb).face
    m = warp.mesh_mapping(face.xy, face.xy, (1050, 787))
    assert m.valid.mean() > 0.2  # the face covers a good part of the photo
    rows, cols = np.nonzero(m.valid)
    assert np.abs(m.map_x[rows, cols] - cols).max() < 1e-2
    assert np.abs(m.map_y[rows, cols] - rows).max() < 1e-2
    assert not m.valid[0, 0] and m.map_x[0, 0] == -1  # background is outside the mesh


def test_affine_landmark_motion_is_reproduced_exactly(engine, load_sample):
    face = engine.detect(load_sample("aptus_1.png").rgb).face
    a = np.array([[0.95, -0.08, 30.0], [0.08, 0.95, -12.0]])
    moved = face.xy @ a[:, :2].T + a[:, 2]
    m = warp.mesh_mapping(face.xy, moved, (1050, 787), dst_origin=(0, 0), dst_step=1)
    rows, cols = np.nonzero(m.valid)
    expect = np.stack([cols, rows, np.ones_like(cols)], axis=1) @ a.T
    assert np.abs(m.map_x[rows, cols] - expect[:, 0]).max() < 0.02
    assert np.abs(m.map_y[rows, cols] - expect[:, 1]).max() < 0.02


@pytest.fixture(scope="module")
def moved_pair(engine, load_sample):
    base = load_sample("aptus_1.png").rgb
    later = ph.change_pose(base, angle_deg=6, scale=0.9, shift=(20, -15), yaw_deg=6)
    return base, later, engine.detect(base).face, engine.detect(later).face


def test_warp_to_baseline_lines_the_face_up(engine, moved_pair):
    base, later, fb, fl = moved_pair
    out = warp.warp_to_baseline(later, fl, fb, base.shape[:2])
    assert out.shape == base.shape and out.dtype == np.uint8
    again = engine.detect(out).face
    before = np.abs(fl.xy[:468] - fb.xy[:468]).mean()
    after = np.abs(again.xy[:468] - fb.xy[:468]).mean()
    assert before > 20 * ALIGN_TOL_PX  # the pose change moved the face a lot
    assert after < ALIGN_TOL_PX


def test_regions_mapping_aligns_skin_texture(moved_pair):
    from skintrack.core.regions import compute_regions

    base, later, fb, fl = moved_pair
    rb, rl = compute_regions(base, fb), compute_regions(later, fl)
    m = warp.regions_mapping(rb, fb, rl, fl)
    assert m.valid.shape == rb.work_rgb.shape[:2]
    warped = m.sample(rl.work_rgb)
    skin = rb["left_cheek"].usable & m.valid
    diff = np.abs(warped[skin].astype(np.float32) - rb.work_rgb[skin].astype(np.float32)).mean()
    # Without the warp: the later photo read at the baseline's pixel positions.
    ox, oy = rb.origin
    h, w = skin.shape
    same_place = later[oy : oy + h * rb.step : rb.step, ox : ox + w * rb.step : rb.step]
    shifted = np.abs(same_place[skin].astype(np.float32) - rb.work_rgb[skin].astype(np.float32)).mean()
    assert diff < 6.0 and diff < 0.5 * shifted  # aligned, not just similar colours
    one = m.sample(rl.work_rgb[..., :1])
    assert one.shape == rb.work_rgb.shape[:2] + (1,)


def test_delta_colours_scale():
    d = np.array([np.nan, -10.0, 0.0, 10.0, 30.0], np.float32)
    c = warp.delta_colours(d, 10.0)
    assert c.dtype == np.uint8
    assert tuple(c[0]) == (0, 0, 0)
    assert c[1, 2] > c[1, 0]  # less red: blue
    assert c[2].min() > 230  # unchanged: pale
    assert c[3, 0] > 100 and c[3, 1] < 20  # redder: deep red
    assert tuple(c[4]) == tuple(c[3])  # saturates
    with pytest.raises(ValueError):
        warp.delta_colours(d, 0.0)
    img = np.full((1, 5, 3), 100, np.uint8)
    over = warp.overlay_delta(img, d[None], max_delta=10.0)
    assert tuple(over[0, 0]) == (100, 100, 100)  # no measurement: photo untouched
    assert tuple(over[0, 3]) != (100, 100, 100)
    bar = warp.scale_bar(200, 12, 10.0)
    assert bar.shape == (12, 200, 3) and bar[-1, 5, 2] > bar[-1, 5, 0] and bar[-1, -5, 0] > bar[-1, -5, 2]
