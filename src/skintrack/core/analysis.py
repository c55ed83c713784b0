"""One photo in, one :class:`Analysis` out: intake, face, regions, quality, colour, findings.

:func:`analysis_record` turns an analysis into the stable JSON record of ``skintrack analyze
--json`` (``"schema": 1``). Later stages add fields; existing fields keep their meaning.

The analysis runs on the photo decoded at the coarsest scale that keeps the detail every step
needs (ADR 0008: a 12 MP phone photo at 1/4 or 1/2); its results are converted to pixels of the
full, oriented photo in one place, :func:`_to_photo_frame`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from skintrack.core.face import Face, FaceDetection, FaceEngine, scale_points, scaled_detection
from skintrack.core.intake import Photo
from skintrack.core.quality import SHARPNESS_FACE_WIDTH, Quality, assess
from skintrack.core.regions import REGION_NAMES, WORK_FACE_WIDTH, RegionSet, compute_regions

if TYPE_CHECKING:
    from skintrack.core.lesions import Finding
    from skintrack.core.skin import SkinMap

SCHEMA = 1

#: The analysis frame keeps the face at least this many times as large as the finest scale a
#: step reads it at (the lesion work image, the skin map, the sharpness measure), and its scale
#: this much finer than the check's limit (``verdict.MAX_CHECK_MM_PER_PX``). Two: the lesion
#: search then reduces the face as it reduces a full 12 MP photo (2 x 2 means, then a bilinear
#: step) and its work image keeps the same detail (high-pass RMS within 1 % of the full-scale
#: path; with 1.1-1.9 times the work scale its area resize kept 84-97 %, ADR 0008).
DETAIL_MARGIN = 2.0


@dataclass(frozen=True, eq=False)
class Analysis:
    """One photo analysed: every coordinate in pixels of the full, oriented photo."""

    photo: Photo
    detection: FaceDetection
    regions: RegionSet | None
    quality: Quality
    #: Region name -> its colour statistics (:func:`skintrack.core.colour.skin_statistics`: median
    #: and 90th-percentile a*, erythema and melanin indices, ITA° as numbers, the tone group as
    #: a word; ``None`` for a region without usable pixels).
    region_stats: dict[str, dict[str, float | str | None]] = field(default_factory=dict)
    #: What the lesion search found, each marked on or off the face's skin (:mod:`core.skin`).
    findings: tuple[Finding, ...] = ()
    #: The face's skin map, when a face was found and lesions were looked for.
    skin: SkinMap | None = None
    #: Milliseconds each step took (decode, landmarks, regions, quality, colour, lesions, skin).
    timing_ms: dict[str, float] = field(default_factory=dict)
    #: The analysis ran on the photo decoded at 1/reduction scale (1: full resolution); every
    #: coordinate above is in pixels of the full, oriented photo all the same.
    reduction: int = 1

    @property
    def face(self) -> Face | None:
        return self.detection.face


def analysis_reduction(face, size: tuple[int, int], start: int) -> int:
    """The coarsest reduction (``start``, ``start / 2``, ... 1) at which ``face`` (in pixels of
    the full photo of ``size``) keeps the detail every step needs, with :data:`DETAIL_MARGIN`."""
    from skintrack.core.lesions import WORK_FACE_HEIGHT
    from skintrack.core.skin import MAP_FACE_HEIGHT
    from skintrack.core.verdict import MAX_CHECK_MM_PER_PX

    xy = face.xy
    height = float(math.hypot(*(xy[10] - xy[152])))
    need_height = DETAIL_MARGIN * max(WORK_FACE_HEIGHT, MAP_FACE_HEIGHT)
    need_width = max(WORK_FACE_WIDTH, DETAIL_MARGIN * SHARPNESS_FACE_WIDTH)
    k = int(start)
    while k > 1:
        fine = (
            height / k >= need_height
            and face.width_px / k >= need_width
            and (face.mm_per_px is None or face.mm_per_px * k <= MAX_CHECK_MM_PER_PX / DETAIL_MARGIN)
        )
        if fine:
            break
        k //= 2
    return k


def analyze_photo(photo: Photo, engine: FaceEngine, *, find_lesions: bool = True) -> Analysis:
    """Run the whole per-photo analysis with an open :class:`FaceEngine`.

    The face is found on the photo at the reduction it was first decoded at
    (:meth:`Photo.reduction_for`); the rest runs at :func:`analysis_reduction` (decoding the
    photo finer, and finding the face again there, when the face needs it). Results are in
    pixels of the full photo.
    """
    timing: dict[str, float] = {}
    t0 = time.perf_counter()
    k = photo.reduction_for()
    rgb = photo.pixels(k)
    detection = engine.detect(rgb)
    t1 = time.perf_counter()
    timing["landmarks"] = (t1 - t0) * 1e3
    size = (photo.width, photo.height)  # the full photo's, whatever ``k`` decodes
    if detection.face is not None and k > 1:
        full = scaled_detection(detection, k, size).face
        finer = analysis_reduction(full, size, k)
        if finer != k:
            # Found again on the finer pixels (the landmarker reads its own ~1000 px copy of
            # them): a photo analysed in full gets the landmarks it always had.
            rgb = photo.pixels(finer)
            detection = engine.detect(rgb)
            k = finer
            t1b = time.perf_counter()
            timing["decode_finer"] = (t1b - t1) * 1e3
            t1 = t1b
    regions = None
    if detection.face is not None:
        regions = compute_regions(rgb, detection.face)
    t2 = time.perf_counter()
    timing["regions"] = (t2 - t1) * 1e3
    quality = assess(rgb, detection, regions, scale=k)
    t3 = time.perf_counter()
    timing["quality"] = (t3 - t2) * 1e3
    stats: dict = {}
    findings: tuple = ()
    skin = None
    if regions is not None:
        from skintrack.core import colour

        stats = colour.region_statistics(regions)
        t4 = time.perf_counter()
        timing["colour"] = (t4 - t3) * 1e3
        if find_lesions:
            from skintrack.core import lesions

            findings = tuple(lesions.find_lesions(rgb, detection.face, regions))
            t5 = time.perf_counter()
            timing["lesions"] = (t5 - t4) * 1e3
            from skintrack.core.skin import mark_findings, skin_map

            skin = skin_map(rgb, detection.face, regions)
            findings = mark_findings(findings, skin)
            from skintrack.core.evidence import calibrate

            findings = calibrate(findings, skin=skin)  # rule scores -> certainties (issue 13)
            timing["skin"] = (time.perf_counter() - t5) * 1e3
    if k > 1:
        detection, regions, findings, skin = _to_photo_frame(k, size, detection, regions, findings, skin)
    return Analysis(
        photo=photo,
        detection=detection,
        regions=regions,
        quality=quality,
        region_stats=stats,
        findings=findings,
        skin=skin,
        timing_ms=timing,
        reduction=k,
    )


def _to_photo_frame(k: int, size: tuple[int, int], detection, regions, findings, skin):
    """Results found on the photo decoded at 1/``k`` scale, in pixels of the full photo."""
    detection = scaled_detection(detection, k, size)
    if regions is not None:
        regions = regions.scaled(k, size, detection.face.box)
    if findings:
        from skintrack.core.lesions import finding_id

        moved = []
        for f in findings:
            x, y = (float(v) for v in scale_points(np.array([f.x, f.y]), k))
            # The id hashes the position: it is taken from the photo's own pixels.
            moved.append(
                dataclasses.replace(f, id=finding_id(f.kind, x, y), x=x, y=y, radius_px=f.radius_px * k)
            )
        findings = tuple(moved)
    if skin is not None:
        skin = skin.scaled(k)
    return detection, regions, findings, skin


def _r(v, nd=2):
    return None if v is None else round(float(v), nd)


def analysis_record(a: Analysis, *, decode_ms: float | None = None) -> dict:
    """The JSON-ready record of one analysis (``analyze --json``, schema 1)."""
    p = a.photo
    face = a.detection.face
    record: dict = {
        "schema": SCHEMA,
        "image": {
            "path": p.path,
            "width": p.width,
            "height": p.height,
            "taken_at": p.taken_at.isoformat() if p.taken_at else None,
            "taken_at_source": p.taken_at_source,
            "sha256": p.sha256,
        },
        "quality": {
            "ok": a.quality.ok,
            "problems": [{"code": q.code, "message": q.message} for q in a.quality.problems],
        },
        "face": {
            "found": a.detection.found,
            "faces": a.detection.count,
            "mm_per_px": _r(face.mm_per_px, 5) if face else None,
            "pose": (
                {"yaw": _r(face.pose.yaw, 1), "pitch": _r(face.pose.pitch, 1), "roll": _r(face.pose.roll, 1)}
                if face
                else None
            ),
            "box": list(face.box) if face else None,
        },
        "regions": {},
        "findings": [f.to_record() for f in a.findings],
        "timing_ms": {},
    }
    if a.regions is not None:
        for name in REGION_NAMES:
            r = a.regions[name]
            entry = {
                "pixels": r.pixels,
                "excluded": dict(r.excluded),
                "lab_median": [_r(v) for v in r.lab_median] if r.lab_median else None,
            }
            entry.update(a.region_stats.get(name, {}))
            record["regions"][name] = entry
    timing = dict(a.timing_ms)
    if decode_ms is not None:
        timing = {"decode": decode_ms, **timing}
    record["timing_ms"] = {k: round(v, 1) for k, v in timing.items()}
    return record
