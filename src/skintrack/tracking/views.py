"""Computed views of stored photos: the analysis of a stored photo, its comparison with the
baseline (the stored record, and the map drawn from it), and the spots placed on the baseline.

Nothing here writes: the rows are the truth, these are what is computed from them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from skintrack.core.errors import SkintrackError
from skintrack.core.lesions import Finding
from skintrack.core.recovery import NewFinding, Spot
from skintrack.storage import sessions as repo
from skintrack.tracking.records import MESH_KEY, NOT_SAME_FACE
from skintrack.tracking.state import TrackerState

if TYPE_CHECKING:
    from skintrack.core.analysis import Analysis
    from skintrack.core.compare import Comparison

#: Analyses of stored photos kept by a tracker, counted in bytes of their decoded pixels: a
#: session of 787 x 1050 photos fits many times, twelve 12 MP photos are about this much.
ANALYSIS_CACHE_BYTES = 400 * 2**20
#: Comparisons with their map kept by a tracker (a map is the work grid: well under 1 MB).
MAPS_KEPT = 64


class ViewsMixin(TrackerState):
    """The views of :class:`~skintrack.tracking.Tracker` (its state lives there)."""

    # --- one analysis per stored photo ------------------------------------------------------
    def stored_analysis(self, photo: repo.PhotoRow) -> Analysis:
        """The :class:`~skintrack.core.analysis.Analysis` of a stored photo, with the findings
        stored for it (what the person's confirm/dismiss choices refer to), not a new lesion
        search. Made once and kept while the tracker is open (:data:`ANALYSIS_CACHE_BYTES`), so
        the app's pages, the comparisons and the report share it."""
        key = (photo.id, photo.sha256)
        kept = self._analyses.get(key)
        if kept is not None:
            self._analyses.move_to_end(key)
            return kept
        stored = _findings(repo.photo_findings(self.conn, photo.id))
        analysis = self._analyze_data(
            self.photo_bytes(photo), photo.original_name, find_lesions=stored is None
        )
        if stored is not None:
            analysis = dataclasses.replace(analysis, findings=stored)
        self._keep(key, analysis)
        return analysis

    def baseline_analysis(self, photo: repo.PhotoRow) -> Analysis:
        """The analysis of a baseline photo: the one :meth:`set_baseline` just made when it is
        still at hand (no second analysis), else :meth:`stored_analysis`."""
        return self.stored_analysis(photo)

    def stored_rgb(self, photo: repo.PhotoRow) -> np.ndarray:
        """The pixels of a stored photo (from its kept analysis when there is one)."""
        kept = self._analyses.get((photo.id, photo.sha256))
        if kept is not None:
            return kept.photo.rgb
        from skintrack.core.intake import decode_photo

        return decode_photo(self.photo_bytes(photo), path=photo.original_name, name=photo.original_name).rgb

    def _keep(self, key: tuple[int, str], analysis: Analysis) -> None:
        """Keep an analysis for :meth:`stored_analysis` (its findings are the ones stored: storage
        gives back the findings it was given), dropping the least recently used beyond
        :data:`ANALYSIS_CACHE_BYTES`."""
        self._analyses[key] = analysis
        self._analyses.move_to_end(key)
        while (
            len(self._analyses) > 1
            and sum(a.photo.rgb.nbytes for a in self._analyses.values()) > ANALYSIS_CACHE_BYTES
        ):
            self._analyses.popitem(last=False)

    def _analyze_data(self, data: bytes, name: str, *, find_lesions: bool = True) -> Analysis:
        from skintrack.core.analysis import analyze_photo
        from skintrack.core.intake import decode_photo

        decoded = decode_photo(data, path=name, name=name)
        return analyze_photo(decoded, self.engine, find_lesions=find_lesions)

    # --- one comparison with its map ----------------------------------------------------------
    def session_comparisons(self, session_id: int) -> dict[int, repo.ComparisonRow]:
        """The stored comparisons of a session with its current baseline, by later photo id
        (empty without a baseline)."""
        session = self.session(session_id)
        if session.baseline_photo_id is None:
            return {}
        return {
            c.photo_id: c for c in repo.session_comparisons(self.conn, session_id, session.baseline_photo_id)
        }

    def photo(self, photo_id: int) -> repo.PhotoRow:
        """One stored photo's row."""
        return repo.get_photo(self.conn, photo_id)

    def comparison_map(self, session_id: int, photo_id: int) -> Comparison | None:
        """The comparison of a stored later photo with the session's baseline, with its
        redness-change map (:func:`compare_with_map`), on the kept analyses; made once per pair
        while the tracker is open. None without a baseline or a face in either photo."""
        session = self.session(session_id)
        if session.baseline_photo_id is None:
            return None
        base_row, later_row = self.photo(session.baseline_photo_id), self.photo(photo_id)
        key = (base_row.id, base_row.sha256, later_row.id, later_row.sha256, tuple(session.treated_regions))
        if key not in self._maps:
            if len(self._maps) >= MAPS_KEPT:
                self._maps.pop(next(iter(self._maps)))
            self._maps[key] = compare_with_map(
                self.stored_analysis(base_row), self.stored_analysis(later_row), session.treated_regions
            )
        return self._maps[key]

    def _compare(
        self, session: repo.Session, baseline: Analysis, later: Analysis, *, photo_id: int, hours: float
    ) -> repo.NewComparison:
        from skintrack.core.compare import compare_analyses

        reason = _unusable_reason(later)
        if reason:
            return repo.NewComparison(
                photo_id=photo_id,
                baseline_photo_id=0,
                hours=hours,
                usable=False,
                record=repo.ComparisonRecord(),
                excluded_reason=reason,
            )
        cmp = compare_analyses(baseline, later, treated=tuple(session.treated_regions))
        record = _comparison_record(cmp)
        if not cmp.same_person:
            return repo.NewComparison(
                photo_id=photo_id,
                baseline_photo_id=0,
                hours=hours,
                usable=False,
                record=record,
                excluded_reason=NOT_SAME_FACE,
            )
        changes = {
            name: repo.RegionDelta(float(ch.delta_a_star), float(ch.uncertainty), bool(ch.real_change))
            for name, ch in cmp.regions.items()
        }
        return repo.NewComparison(
            photo_id=photo_id, baseline_photo_id=0, hours=hours, usable=True, record=record, changes=changes
        )

    # --- new spots after treatment (issue 13) ------------------------------------------------
    def _mesh(self, photo_id: int) -> tuple[np.ndarray | None, float | None]:
        """The face-mesh landmarks saved with a photo's analysis (None for analyses saved before
        they were kept), and its scale in mm per pixel."""
        stored = repo.get_analysis(self.conn, photo_id)
        face = (stored[1].get("face") or {}) if stored else {}
        mesh = face.get(MESH_KEY)
        return (None if mesh is None else np.asarray(mesh, np.float64)), face.get("mm_per_px")

    def _with_crop(self, spot: NewFinding, photos: Mapping[int, repo.PhotoRow]) -> NewFinding:
        """``spot`` with a zoom of it cut from its stored photo (unchanged if unreadable)."""
        photo = None if spot.photo_id is None else photos.get(spot.photo_id)
        if photo is None or spot.x is None or spot.y is None:
            return spot
        try:
            rgb = self.stored_rgb(photo)
        except SkintrackError:
            return spot
        half = int(max(4 * (spot.radius_px or 0.0), 24))
        x, y = int(round(spot.x)), int(round(spot.y))
        crop = rgb[max(0, y - half) : y + half, max(0, x - half) : x + half].copy()
        return dataclasses.replace(spot, crop=crop if crop.size else None)

    def _spots(self, photo_id: int, base_mesh: np.ndarray | None, *, hours: float | None) -> list[Spot]:
        """A photo's findings placed on the baseline through the face mesh. A baseline keeps
        every finding (a dismissed freckle still marks its place); a later photo only those on
        the skin that the person did not dismiss."""
        from skintrack.core.warp import map_points

        # A row of an older shape has no position to place (repo.FindingRow.finding is None).
        rows = [(r, r.finding) for r in repo.photo_findings(self.conn, photo_id) if r.finding is not None]
        if hours is not None:
            rows = [(r, f) for r, f in rows if r.verdict != "dismissed" and not f.off_skin]
        if not rows:
            return []
        xy = np.array([(f.x, f.y) for _, f in rows], np.float64)
        mesh, _ = self._mesh(photo_id) if hours is not None else (base_mesh, None)
        base = xy if mesh is None or base_mesh is None else map_points(xy, mesh, base_mesh)
        return [
            Spot(
                f.kind,
                f.region,
                float(b[0]),
                float(b[1]),
                f.radius_px,
                f.id,
                hours,
                photo_id,
                f.x,
                f.y,
                r.verdict == "confirmed",
            )
            for (r, f), b in zip(rows, base, strict=True)
        ]


def compare_with_map(baseline: Analysis, later: Analysis, treated: Iterable[str] = ()) -> Comparison | None:
    """:func:`skintrack.core.compare.compare_analyses` with the redness-change map, for the
    pictures (the app's Compare page, the report); None when either photo has no face. The
    numbers shown are the stored comparison's; this is for the map and the alignment."""
    from skintrack.core.compare import compare_analyses

    if baseline.face is None or later.face is None:
        return None
    return compare_analyses(baseline, later, treated=tuple(treated), with_map=True)


def _findings(rows: list[repo.FindingRow]) -> tuple[Finding, ...] | None:
    """The stored findings of a photo; None when one is of an older shape (no ``Finding``)."""
    found = tuple(r.finding for r in rows if r.finding is not None)
    return found if len(found) == len(rows) else None


def _unusable_reason(analysis: Analysis) -> str:
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


def _comparison_record(cmp: Comparison) -> repo.ComparisonRecord:
    """The stored record of a comparison, from its documented fields (rounded as stored)."""
    norm = cmp.normalisation
    return repo.ComparisonRecord(
        same_person=bool(cmp.same_person),
        warnings=tuple(str(w) for w in cmp.warnings),
        normalisation_method=str(norm.method),
        reference_regions=tuple(norm.reference_regions),
        normalisation_uncertainty=float(norm.uncertainty),
        regions={
            name: repo.RegionReading(
                baseline_a_star=round(float(ch.baseline_a_star), 3),
                later_a_star=round(float(ch.later_a_star), 3),
                delta_a_star=round(float(ch.delta_a_star), 3),
                delta_erythema_index=round(float(ch.delta_erythema_index), 4),
                uncertainty=round(float(ch.uncertainty), 3),
                real_change=bool(ch.real_change),
                grade=str(ch.grade),
            )
            for name, ch in cmp.regions.items()
        },
    )
