"""One photo in, one :class:`Analysis` out: intake, face, regions, quality, colour, findings.

:func:`analysis_record` turns an analysis into the stable JSON record of ``skintrack analyze
--json`` (``"schema": 1``). Later stages add fields; existing fields keep their meaning.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from skintrack.core.face import FaceDetection, FaceEngine
from skintrack.core.intake import Photo
from skintrack.core.quality import Quality, assess
from skintrack.core.regions import REGION_NAMES, RegionSet, compute_regions

SCHEMA = 1


@dataclass(frozen=True, eq=False)
class Analysis:
    photo: Photo
    detection: FaceDetection
    regions: RegionSet | None
    quality: Quality
    region_stats: dict = field(default_factory=dict)  # name -> {field: value} (colour issue)
    findings: tuple = ()  # lesion findings (check issue), each marked on or off the skin
    skin: object = None  # the SkinMap (core/skin.py) when a face was found
    timing_ms: dict = field(default_factory=dict)

    @property
    def face(self):
        return self.detection.face


def analyze_photo(photo: Photo, engine: FaceEngine, *, find_lesions: bool = True) -> Analysis:
    """Run the whole per-photo analysis with an open :class:`FaceEngine`."""
    timing: dict[str, float] = {}
    t0 = time.perf_counter()
    detection = engine.detect(photo.rgb)
    t1 = time.perf_counter()
    timing["landmarks"] = (t1 - t0) * 1e3
    regions = None
    if detection.face is not None:
        regions = compute_regions(photo.rgb, detection.face)
    t2 = time.perf_counter()
    timing["regions"] = (t2 - t1) * 1e3
    quality = assess(photo.rgb, detection, regions)
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

            findings = tuple(lesions.find_lesions(photo.rgb, detection.face, regions))
            t5 = time.perf_counter()
            timing["lesions"] = (t5 - t4) * 1e3
            from skintrack.core.skin import mark_findings, skin_map

            skin = skin_map(photo.rgb, detection.face, regions)
            findings = mark_findings(findings, skin)
            from skintrack.core.evidence import calibrate

            findings = calibrate(findings, skin=skin)  # rule scores -> certainties (issue 13)
            timing["skin"] = (time.perf_counter() - t5) * 1e3
    return Analysis(photo=photo, detection=detection, regions=regions, quality=quality,
                    region_stats=stats, findings=findings, skin=skin, timing_ms=timing)


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
                {"yaw": _r(face.pose.yaw, 1), "pitch": _r(face.pose.pitch, 1),
                 "roll": _r(face.pose.roll, 1)} if face else None
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
