"""Computed views of stored photos: the analysis of a stored photo, its comparison with the
baseline (the stored record, and the map drawn from it), and the spots placed on the baseline.

Nothing here writes: the rows are the truth, these are what is computed from them.
"""

from __future__ import annotations

import dataclasses

from skintrack.core.errors import SkintrackError
from skintrack.core.recovery import Spot
from skintrack.storage import sessions as repo
from skintrack.tracking.records import MESH_KEY, NOT_SAME_FACE


class ViewsMixin:
    """The views of :class:`~skintrack.tracking.Tracker` (its state lives there)."""

    def _analyze_stored(self, photo: repo.PhotoRow):
        return self._analyze_data(self.photo_bytes(photo), photo.original_name)

    def _analyze_data(self, data: bytes, name: str):
        from skintrack.core.analysis import analyze_photo
        from skintrack.core.intake import decode_photo

        decoded = decode_photo(data, path=name, name=name)
        return analyze_photo(decoded, self.engine)

    def baseline_analysis(self, photo: repo.PhotoRow):
        """The analysis of a baseline photo: the one :meth:`set_baseline` just made when it is
        still at hand (no second analysis), else analysed again from the stored file."""
        return self._baseline_analysis(photo)

    def _baseline_analysis(self, photo: repo.PhotoRow):
        key = (photo.id, photo.sha256)
        if key not in self._baselines:
            self._baselines[key] = self._analyze_stored(photo)
        return self._baselines[key]

    def _compare(self, session: repo.Session, baseline, later, *, photo_id: int,
                 hours: float) -> repo.NewComparison:
        from skintrack.core.compare import compare_analyses

        reason = _unusable_reason(later)
        if reason:
            return repo.NewComparison(photo_id=photo_id, baseline_photo_id=0, hours=hours,
                                      usable=False, record={}, excluded_reason=reason)
        cmp = compare_analyses(baseline, later, treated=tuple(session.treated_regions))
        record = _comparison_record(cmp)
        if not cmp.same_person:
            return repo.NewComparison(
                photo_id=photo_id, baseline_photo_id=0, hours=hours, usable=False, record=record,
                excluded_reason=NOT_SAME_FACE)
        changes = {name: repo.RegionDelta(float(ch.delta_a_star), float(ch.uncertainty),
                                          bool(ch.real_change))
                   for name, ch in cmp.regions.items()}
        return repo.NewComparison(photo_id=photo_id, baseline_photo_id=0, hours=hours,
                                  usable=True, record=record, changes=changes)

    # --- new spots after treatment (issue 13) ------------------------------------------------
    def _mesh(self, photo_id: int):
        """The face-mesh landmarks saved with a photo's analysis (None for analyses saved before
        they were kept), and its scale in mm per pixel."""
        import numpy as np

        stored = repo.get_analysis(self.conn, photo_id)
        face = (stored[1].get("face") or {}) if stored else {}
        mesh = face.get(MESH_KEY)
        return (None if mesh is None else np.asarray(mesh, np.float64)), face.get("mm_per_px")

    def _with_crop(self, spot, photos: dict):
        """``spot`` with a zoom of it cut from its stored photo (unchanged if unreadable)."""
        from skintrack.core.intake import decode_photo

        photo = photos.get(spot.photo_id)
        if photo is None or spot.x is None:
            return spot
        try:
            rgb = decode_photo(self.photo_bytes(photo), path=photo.original_name,
                               name=photo.original_name).rgb
        except SkintrackError:
            return spot
        half = int(max(4 * (spot.radius_px or 0.0), 24))
        x, y = int(round(spot.x)), int(round(spot.y))
        crop = rgb[max(0, y - half):y + half, max(0, x - half):x + half].copy()
        return dataclasses.replace(spot, crop=crop if crop.size else None)

    def _spots(self, photo_id: int, base_mesh, *, hours: float | None) -> list[Spot]:
        """A photo's findings placed on the baseline through the face mesh. A baseline keeps
        every finding (a dismissed freckle still marks its place); a later photo only those on
        the skin that the person did not dismiss."""
        from skintrack.core.warp import map_points

        rows = repo.photo_findings(self.conn, photo_id)
        if hours is not None:
            rows = [f for f in rows if f.verdict != "dismissed" and not f.record.get("off_skin")]
        if not rows:
            return []
        xy = [(float(f.record["x"]), float(f.record["y"])) for f in rows]
        mesh, _ = self._mesh(photo_id) if hours is not None else (base_mesh, None)
        base = xy if mesh is None or base_mesh is None else map_points(xy, mesh, base_mesh)
        return [Spot(f.kind, f.region, float(b[0]), float(b[1]),
                     float(f.record.get("radius_px") or 0.0),
                     f.finding_key, hours, photo_id, p[0], p[1], f.verdict == "confirmed")
                for f, p, b in zip(rows, xy, base, strict=True)]


def _unusable_reason(analysis) -> str:
    """Why a photo cannot be compared (no single face, failed quality check), or ''."""
    det = analysis.detection
    if det.count == 0:
        return "no face found"
    if det.count > 1:
        return f"{det.count} faces in the photo; skintrack needs exactly one"
    if analysis.regions is None:
        return "the face regions could not be measured"
    if not analysis.quality.ok:
        return "; ".join(p.message for p in analysis.quality.problems)
    return ""


def _comparison_record(cmp) -> dict:
    """A JSON-ready record of a comparison, built from its documented fields."""
    norm = cmp.normalisation
    return {
        "same_person": bool(cmp.same_person),
        "warnings": [str(w) for w in cmp.warnings],
        "normalisation": {"method": str(norm.method),
                          "reference_regions": list(norm.reference_regions),
                          "uncertainty": float(norm.uncertainty)},
        "regions": {
            name: {"baseline_a_star": round(float(ch.baseline_a_star), 3),
                   "later_a_star": round(float(ch.later_a_star), 3),
                   "delta_a_star": round(float(ch.delta_a_star), 3),
                   "delta_erythema_index": round(float(ch.delta_erythema_index), 4),
                   "uncertainty": round(float(ch.uncertainty), 3),
                   "real_change": bool(ch.real_change), "grade": str(ch.grade)}
            for name, ch in cmp.regions.items()
        },
    }
