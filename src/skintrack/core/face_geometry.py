"""The face bundle's geometry metadata: canonical face mesh, head pose and mirror partners.

``face_landmarker.task`` carries ``geometry_pipeline_metadata_landmarks.binarypb``: the canonical
face mesh (468 vertices, centimetres, symmetric about x = 0) and the weighted landmark basis its
Procrustes fit uses. :func:`pose_matrix` is the face-geometry pipeline of MediaPipe Tasks
(``face_geometry/libs/geometry_pipeline.cc`` and ``procrustes_solver.cc``, Apache-2.0) written
again in NumPy with the same default environment (a perspective camera with a 63° vertical field of
view, the origin at the top-left corner), so yaw, pitch and roll keep the meaning and the values
they had when MediaPipe computed them.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

METADATA_MEMBER = "geometry_pipeline_metadata_landmarks.binarypb"
#: Vertices of the canonical mesh (the 478-point model adds 10 iris points after them).
MESH_VERTICES = 468
#: The default environment of MediaPipe's FaceGeometryFromLandmarksGraph.
VERTICAL_FOV_DEGREES = 63.0
NEAR = 1.0


@dataclass(frozen=True, eq=False)
class CanonicalFace:
    """The canonical face mesh (``(468, 3)`` cm) and the Procrustes weight of each vertex."""

    vertices: np.ndarray
    weights: np.ndarray

    def __post_init__(self) -> None:
        if self.vertices.shape != (MESH_VERTICES, 3) or self.weights.shape != (MESH_VERTICES,):
            raise ValueError("canonical face must have 468 vertices and weights")
        if not (self.weights >= 0).all() or self.weights.sum() <= 0:
            raise ValueError("canonical face weights must be non-negative and not all zero")


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def _fields(buf: bytes) -> Iterator[tuple[int, int, Any]]:
    """(field number, wire type, value) of each field of a protobuf message, in order: an int
    (varint), a float (32-bit) or bytes (length-delimited, 64-bit), by the wire type."""
    i = 0
    value: Any
    while i < len(buf):
        key, i = _varint(buf, i)
        kind = key & 7
        if kind == 0:
            value, i = _varint(buf, i)
        elif kind == 2:
            n, i = _varint(buf, i)
            value, i = buf[i : i + n], i + n
        elif kind == 5:
            value, i = struct.unpack("<f", buf[i : i + 4])[0], i + 4
        elif kind == 1:
            value, i = buf[i : i + 8], i + 8
        else:
            raise ValueError("unsupported protobuf wire type")
        yield key >> 3, kind, value


@lru_cache(maxsize=2)
def canonical_face(model: bytes) -> CanonicalFace | None:
    """The canonical mesh and Procrustes weights from the bundle; ``None`` if unreadable."""
    try:
        with zipfile.ZipFile(io.BytesIO(model)) as zf:
            meta = zf.read(METADATA_MEMBER)
        top = list(_fields(meta))
        # GeometryPipelineMetadata.canonical_mesh (1) -> Mesh3d.vertex_buffer (3): x, y, z, u, v.
        mesh = next(v for f, k, v in top if f == 1 and k == 2)
        floats = [v for f, k, v in _fields(mesh) if f == 3 and k == 5]
        vert = np.asarray(floats, np.float64).reshape(-1, 5)[:, :3]
        # procrustes_landmark_basis (2) -> WeightedLandmarkRef {landmark_id (1), weight (2)}.
        weights = np.zeros(len(vert))
        for f, k, v in top:
            if f == 2 and k == 2:
                ref = {ff: vv for ff, _, vv in _fields(v)}
                weights[int(ref[1])] = float(ref[2])
        return CanonicalFace(vertices=vert, weights=weights)
    except (KeyError, ValueError, StopIteration, zipfile.BadZipFile, IndexError, struct.error):
        return None


@lru_cache(maxsize=2)
def mirror_permutation(model: bytes) -> np.ndarray | None:
    """For each of the 478 landmarks, the index of its mirror partner (an involution).

    Read from the model itself: the canonical face mesh in its geometry metadata is exactly
    symmetric about x = 0, so each vertex's partner is the vertex at its mirrored position. The
    ten iris points (not in the canonical mesh) pair as centre to centre and edge to facing edge.
    ``None`` if the metadata cannot be read (then no mirrored retry is made).
    """
    face = canonical_face(model)
    if face is None:
        return None
    vert = face.vertices
    mirrored = vert * (-1.0, 1.0, 1.0)
    dist = np.linalg.norm(mirrored[:, None] - vert[None], axis=2)
    perm = dist.argmin(1)
    if dist.min(1).max() > 1e-3 or not (perm[perm] == np.arange(MESH_VERTICES)).all():
        return None
    iris = np.array([473, 476, 475, 474, 477, 468, 471, 470, 469, 472])
    return np.concatenate([perm, iris]).astype(np.intp)


def _procrustes(source: np.ndarray, target: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """4x4 similarity transform (scale * rotation, translation) taking ``source`` onto ``target``.

    Both ``(3, n)``; the weighted orthogonal Procrustes solution without reflection (Akca 2003,
    section 2.4), as MediaPipe's ``FloatPrecisionProcrustesSolver`` computes it.
    """
    sw = np.sqrt(weights)
    ws = source * sw
    wt = target * sw
    total = float(weights.sum())
    centre = (ws * sw).sum(axis=1, keepdims=True) / total
    centred = ws - centre * sw
    u, _, vt = np.linalg.svd(wt @ centred.T)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        u[:, 2] *= -1.0
    rotation = u @ vt
    scale = float(((rotation @ centred) * wt).sum() / (centred * ws).sum())
    rs = scale * rotation
    translation = ((wt - rs @ ws) * sw).sum(axis=1) / total
    mat = np.eye(4)
    mat[:3, :3] = rs
    mat[:3, 3] = translation
    return mat


def pose_matrix(norm_landmarks: np.ndarray, width: int, height: int, face: CanonicalFace) -> np.ndarray:
    """The facial transformation matrix (canonical face -> camera space) of one face.

    ``norm_landmarks`` are the first 468 points normalised to the ``width`` x ``height`` frame
    they were found in (x, y in 0..1, z scaled like x). MediaPipe's two-pass metric estimate:
    project on the near plane, fit a scale, unproject with it, fit again, then the final fit.
    """
    pts = np.asarray(norm_landmarks[:MESH_VERTICES], np.float64).T.copy()  # (3, 468)
    height_at_near = 2.0 * NEAR * np.tan(0.5 * np.radians(VERTICAL_FOV_DEGREES))
    width_at_near = width * height_at_near / height
    left, bottom = -0.5 * width_at_near, -0.5 * height_at_near
    canon = face.vertices.T

    # Project XY on the near plane (origin at the top-left corner: y flips).
    pts[1] = 1.0 - pts[1]
    pts *= np.array([[width_at_near], [height_at_near], [width_at_near]])
    pts[0] += left
    pts[1] += bottom
    depth_offset = pts[2].mean()

    def scale_of(p: np.ndarray) -> float:
        return float(np.linalg.norm(_procrustes(canon, p, face.weights)[:3, 0]))

    def unproject(p: np.ndarray, scale: float) -> np.ndarray:
        q = p.copy()
        q[2] = (q[2] - depth_offset + NEAR) / scale
        q[0] = q[0] * q[2] / NEAR
        q[1] = q[1] * q[2] / NEAR
        q[2] *= -1.0  # screen space is left-handed, metric space right-handed
        return q

    first = pts.copy()
    first[2] *= -1.0
    s1 = scale_of(first)
    s2 = scale_of(unproject(pts, s1))
    metric = unproject(pts, s1 * s2)
    return _procrustes(canon, metric, face.weights)
