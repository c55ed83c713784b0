"""The recovery status of a session: the stored comparisons as the recovery model's series,
the new spots, the person's answers, and the advice only the session can give."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from skintrack.core.errors import Message
from skintrack.core.recovery import (
    SERUM_STEP,
    Advice,
    NewFinding,
    Observation,
    RecoveryStatus,
    Spot,
    assess_recovery,
    new_spots,
)
from skintrack.storage import sessions as repo
from skintrack.tracking.records import DEFAULT_MM_PER_PX, NOT_SAME_FACE, _utc_now
from skintrack.tracking.views import ViewsMixin


class StatusMixin(ViewsMixin):
    """The status of :class:`~skintrack.tracking.Tracker` (its state lives there)."""

    def status(self, session_id: int, *, now: datetime | None = None) -> RecoveryStatus:
        """The recovery status of a session at ``now`` (default: the current time)."""
        from skintrack.core.compare import REAL_CHANGE_A_STAR

        now = now or _utc_now()
        session = self.session(session_id)
        photos = {p.id: p for p in self.photos(session_id)}
        series: dict[str, list[Observation]] = {}
        excluded = []
        later_spots: list[Spot] = []
        evidence: tuple[NewFinding, ...] = ()
        to_look_at: tuple[NewFinding, ...] = ()
        if session.baseline_photo_id is not None:
            base_mesh, base_mm = self._mesh(session.baseline_photo_id)
            for cmp in repo.session_comparisons(self.conn, session_id, session.baseline_photo_id):
                photo = photos.get(cmp.photo_id)
                if photo is None:
                    continue  # its row could not be read (a warning named it)
                if photo.taken_at > now:
                    continue  # assessing an earlier moment: photos after it do not exist yet
                if not cmp.usable:
                    excluded.append(
                        {
                            "photo_id": cmp.photo_id,
                            "name": photo.original_name,
                            "hours": round(cmp.hours, 2),
                            "reason": cmp.excluded_reason,
                        }
                    )
                    continue
                for region, ch in cmp.changes.items():
                    reading = cmp.record.regions.get(region)
                    series.setdefault(region, []).append(
                        Observation(
                            cmp.hours,
                            ch.delta_a_star,
                            ch.uncertainty,
                            ch.real_change,
                            photo_id=cmp.photo_id,
                            delta_erythema_index=reading.delta_erythema_index if reading else None,
                        )
                    )
                later_spots += self._spots(cmp.photo_id, base_mesh, hours=cmp.hours)
            baseline_spots = self._spots(session.baseline_photo_id, base_mesh, hours=None)
            evidence, to_look_at = new_spots(
                baseline_spots,
                later_spots,
                treated=session.treated_regions,
                mm_per_px=base_mm or DEFAULT_MM_PER_PX,
            )
            to_look_at = tuple(self._with_crop(s, photos) for s in to_look_at)
        symptoms = self.symptoms(session_id)
        status = assess_recovery(
            series,
            treated_regions=session.treated_regions,
            treated_at=session.treated_at,
            now=now,
            threshold=REAL_CHANGE_A_STAR,
            symptoms=symptoms,
            new_findings=evidence,
            needle_mm=session.needle_mm,
            spots_to_look_at=to_look_at,
            serum_applied=SERUM_STEP in self.aftercare_steps(session_id),
        )
        advice = status.advice
        not_alike = [e for e in excluded if e["reason"] == NOT_SAME_FACE]
        if not_alike and status.urgency == "none":
            # compare's identity check also fails when the skin itself has changed a lot, and a
            # strong reaction must not vanish from view as "someone else's photo".
            hours = ", ".join(f"{e['hours']:.1f} h" for e in not_alike)
            advice = (
                Advice(
                    "photo_not_comparable",
                    "caution",
                    f"The photo at {hours} could not be compared with your baseline: the face looks "
                    "different. A strong skin reaction can do that. If your skin looks much redder or "
                    "swollen, stop use and consult a dermatologist; otherwise take another photo in "
                    "the same light and pose as the baseline.",
                ),
            ) + advice
        if session.baseline_photo_id is None:
            said = "This session has no baseline photo: add the photo taken before treatment"
            advice = (
                Advice(
                    "no_baseline",
                    "info",
                    Message(
                        f"{said} with `skintrack session baseline {session_id} PHOTO`.",
                        f"{said}; it becomes the baseline that later photos are compared with.",
                    ),
                ),
            ) + advice
        extra = {
            "session": session.id,
            "baseline_photo_id": session.baseline_photo_id,
            "device": session.device,
            "needle_mm": session.needle_mm,
            "photos": len(photos),
            "excluded_photos": excluded,
        }
        return dataclasses.replace(status, advice=advice, extra=extra)
