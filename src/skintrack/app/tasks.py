"""The controller's tasks: what each action does on the worker thread (the
:class:`~skintrack.app.workers.TaskRunner`), through the session service
(:class:`skintrack.tracking.Tracker`, the one door into the data) and the analysis service. The
:class:`~skintrack.app.controller.Controller` queues them and puts their results into the model;
the two questions asked of the person (replace a baseline? when was this photo taken?) are here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from skintrack.app.model import Later, SessionSummary
from skintrack.app.services import AnalysisService, TrackingService
from skintrack.app.workers import TaskContext
from skintrack.core.errors import plain
from skintrack.core.readable import hours_text


@dataclass(frozen=True)
class TimeNeeded:
    """An import refused for a photo's capture time (none in the file, or impossible): the
    person is asked when the photo was taken and the import is tried again with that time.
    ``taken_at`` is the time found in the photo (None when it has none)."""

    name: str
    taken_at: datetime | None
    message: str


def _label(taken_at, hours: float | None = None, *, simulated: bool = False) -> str:
    when = taken_at.astimezone().strftime("%d %b %H:%M") if taken_at else "time unknown"
    text = f"{when} ({hours_text(hours)} after treatment)" if hours is not None else when
    return f"SIMULATED {text}" if simulated else text


def _tracker_class():
    from skintrack.tracking import Tracker

    return Tracker


def _report_builder():
    """``skintrack.report.build.build_report(tracker, session_id)``, when this version has it."""
    try:
        from skintrack.report import (
            build,
            export,  # noqa: F401
        )
    except ImportError:
        return None
    return getattr(build, "build_report", None)


# --- tasks (run on the worker thread) ---------------------------------------------------------------


def _analyse_sources(ctx: TaskContext, sources, service: AnalysisService):
    from skintrack.core.errors import SkintrackError
    from skintrack.core.intake import load_photo

    analyses, errors = [], []
    for i, src in enumerate(sources):
        ctx.check_cancelled()
        name = Path(src).name if isinstance(src, str) else "the photo"
        ctx.progress(i, len(sources), f"Analysing {name} ({i + 1} of {len(sources)})")
        try:
            photo = load_photo(src) if isinstance(src, str) else src
            analyses.append(service.analyze(photo))
        except SkintrackError as exc:
            errors.append(f"{exc}.".replace("..", "."))
    ctx.progress(len(sources), len(sources))
    return analyses, errors


def _photo_source(src, times=None):
    """A file path stays a path (or is read, with the time the person gave for it); a camera
    Photo becomes PNG bytes for the photo store."""
    if isinstance(src, str):
        when = (times or {}).get(Path(src).name)
        if when is None:
            return src
        from skintrack.tracking import PhotoSource

        return PhotoSource(data=Path(src).read_bytes(), name=src, taken_at=when)
    import cv2

    from skintrack.tracking import PhotoSource

    ok, png = cv2.imencode(".png", cv2.cvtColor(src.rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise RuntimeError("the camera frame could not be encoded")
    stamp = src.taken_at.astimezone().strftime("%Y%m%d-%H%M%S")
    name = f"camera-{stamp}.png"
    return PhotoSource(data=png.tobytes(), name=name, taken_at=(times or {}).get(name, src.taken_at))


def _check_store(ctx: TaskContext, tracking: TrackingService):
    from skintrack.tracking import DamagedDatabase, diagnose

    try:
        tracking.tracker()
    except DamagedDatabase as exc:
        return str(exc), diagnose(tracking.data_dir)
    return None


def _restore_backup(ctx: TaskContext, tracking: TrackingService, backup):
    from skintrack.tracking import restore_backup

    tracking.close()
    return restore_backup(backup, tracking.data_dir)


def _list_sessions(ctx: TaskContext, tracking: TrackingService):
    from skintrack.tracking import is_simulated_session

    t = tracking.tracker()
    out = []
    for s in t.sessions():
        photos = t.photos(s.id)
        out.append(
            SessionSummary(
                s.id,
                s.treated_at,
                s.device,
                s.needle_mm,
                tuple(s.treated_regions),
                len(photos),
                s.baseline_photo_id is not None,
                is_simulated_session(s, photos),
            )
        )
    return out


def session_answers(session) -> dict:
    """The questionnaire answers a session already gives: its device and needle length."""
    from skintrack.core.questionnaire import MAX_PLAUSIBLE_NEEDLE_MM

    out = {"device": session.device}
    if 0 < session.needle_mm <= MAX_PLAUSIBLE_NEEDLE_MM:
        out["needle_mm"] = float(session.needle_mm)
    return out


def _new_session(ctx, tracking, device, needle_mm, treated, treated_at, notes):
    t = tracking.tracker()
    session = t.new_session(
        device=device, needle_mm=needle_mm, treated_regions=treated, treated_at=treated_at, notes=notes
    )
    # Saved as answers too, so the report's check sees the needle length without the person
    # answering the same question twice.
    answers = session_answers(session)
    t.save_questionnaire(session.id, answers)
    return session, answers


def _thumbnail(rgb, height: int = 96):
    import cv2

    h, w = rgb.shape[:2]
    return cv2.resize(rgb, (max(1, round(w * height / h)), height), interpolation=cv2.INTER_AREA)


def _stored_thumbnail(tracking: TrackingService, photo):
    from skintrack.core.intake import decode_photo

    data = tracking.tracker().photo_bytes(photo)
    return _thumbnail(decode_photo(data, name=photo.original_name).rgb)


@dataclass(frozen=True)
class LoadedSession:
    """What the app shows of an opened session: read on a worker thread by :func:`_load_session`
    (a new session has only ``session`` and ``answers``)."""

    session: object  # the tracking Session
    answers: dict = field(default_factory=dict)
    laters: tuple[Later, ...] = ()
    baseline: object = None  # the baseline's stored Analysis
    baseline_photo: object = None  # its stored photo row
    photo_id: int | None = None  # the baseline's photo id
    status: object = None  # the RecoveryStatus
    dismissed: frozenset[str] = frozenset()
    confirmed: frozenset[str] = frozenset()
    symptoms: dict = field(default_factory=dict)
    simulated: bool = False


def _load_session(ctx: TaskContext, tracking: TrackingService, session_id: int) -> LoadedSession:
    from skintrack.tracking import is_simulated_name, is_simulated_session

    t = tracking.tracker()
    ctx.progress(0, 3, "Reading the session")
    session = t.session(session_id)
    photos = t.photos(session_id)
    baseline = photo_id = row = None
    dismissed, confirmed = set(), set()
    laters = []
    notes = {
        pid: f"not used: {cmp.excluded_reason}"
        for pid, cmp in t.session_comparisons(session_id).items()
        if not cmp.usable
    }
    for p in photos:
        if p.id == session.baseline_photo_id:
            continue
        ctx.check_cancelled()
        hours = (p.taken_at - session.treated_at).total_seconds() / 3600
        if hours >= 0:
            sim = is_simulated_name(p.original_name)
            laters.append(
                Later(
                    _label(p.taken_at, hours, simulated=sim),
                    hours=hours,
                    photo_id=p.id,
                    thumbnail=_stored_thumbnail(tracking, p),
                    note=notes.get(p.id, ""),
                    taken_at=p.taken_at,
                    simulated=sim,
                )
            )
    if session.baseline_photo_id is not None:
        ctx.progress(1, 3, "Analysing the baseline photo")
        row = next(p for p in photos if p.id == session.baseline_photo_id)
        stored = t.findings(row.id)
        # The tracker's analysis, with the findings saved for the photo: what the person's
        # confirm/dismiss choices refer to (a detector update must not change the ids shown).
        baseline = t.stored_analysis(row)
        photo_id = row.id
        for f in stored:
            if f.verdict == "dismissed":
                dismissed.add(f.finding_key)
            elif f.verdict == "confirmed":
                confirmed.add(f.finding_key)
    ctx.check_cancelled()
    ctx.progress(2, 3, "Working out the recovery status")
    status = t.status(session_id)
    answers = t.questionnaire(session_id) or {}
    symptoms = t.symptoms(session_id)
    return LoadedSession(
        session=session,
        laters=tuple(laters),
        baseline=baseline,
        answers=answers,
        status=status,
        dismissed=frozenset(dismissed),
        confirmed=frozenset(confirmed),
        photo_id=photo_id,
        symptoms=symptoms.to_dict() if symptoms else {},
        simulated=is_simulated_session(session, photos),
        baseline_photo=row,
    )


def _ask_replace(text: str) -> bool:
    """A Yes/Cancel question to the person (default: Cancel, keep the baseline)."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    answer = QMessageBox.question(
        QApplication.activeWindow(),
        "Replace the baseline photo?",
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes


def _time_needed(exc) -> TimeNeeded:
    return TimeNeeded(exc.name, exc.taken_at, exc.plain)


def _ask_time(message: str, suggested: datetime | None, reply) -> None:
    """Ask when a photo was taken: a window-modal dialog with a date and time field; ``reply``
    gets the time, or None when the person cancels."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QMainWindow

    from skintrack.app.pages.common import CaptureTimeDialog

    parent = QApplication.activeWindow() or next(
        (w for w in QApplication.topLevelWidgets() if isinstance(w, QMainWindow)), None
    )
    dialog = CaptureTimeDialog(message, suggested, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.accepted.connect(lambda: reply(dialog.taken_at()))
    dialog.rejected.connect(lambda: reply(None))
    dialog.open()


def _set_baseline(
    ctx: TaskContext, tracking: TrackingService, session_id: int, src, replace: bool = False, times=None
):
    from skintrack.tracking import CaptureTimeRefused

    ctx.progress(0, 2, "Checking the photo and saving it as the baseline")
    t = tracking.tracker()
    # The tracker analyses the photo once to check and store it, and keeps that analysis.
    try:
        result = t.set_baseline(session_id, _photo_source(src, times), replace=replace)
    except CaptureTimeRefused as exc:
        return _time_needed(exc)
    ctx.progress(1, 2, "Saved")
    analysis = t.baseline_analysis(result.photo)  # with its findings as saved
    return analysis, result.photo, [plain(w) for w in result.warnings], t.status(session_id)


def _add_follow_ups(ctx: TaskContext, tracking: TrackingService, session_id: int, sources, times=None):
    from skintrack.tracking import CaptureTimeRefused

    ctx.progress(0, 1, "Comparing with the baseline and saving")
    t = tracking.tracker()
    try:
        results = t.add_photos(session_id, [_photo_source(s, times) for s in sources])
    except CaptureTimeRefused as exc:
        return _time_needed(exc)
    laters = [
        Later(
            _label(r.photo.taken_at, r.hours),
            hours=r.hours,
            photo_id=r.photo.id,
            thumbnail=_stored_thumbnail(tracking, r.photo),
            note=""
            if r.comparison is None or r.comparison.usable
            else f"not used: {r.comparison.excluded_reason}",
            taken_at=r.photo.taken_at,
        )
        for r in results
    ]
    warnings = [plain(w) for r in results for w in r.warnings]
    return laters, warnings, t.status(session_id)


def _set_photo_time(ctx, tracking, session_id, photo_id, taken_at):
    return tracking.tracker().set_photo_time(session_id, photo_id, taken_at)


def _delete_session(ctx, tracking, session_id):
    return tracking.tracker().delete_session(session_id)


def _export_report(ctx: TaskContext, tracking, session_id, path):
    from skintrack.report.export import export_report

    build = _report_builder()

    # One bar for both halves: gathering the session's pictures (first half), then writing.
    def half(offset):
        def progress(done, total, text=""):
            ctx.check_cancelled()
            ctx.progress(offset * max(total, 1) + done, 2 * max(total, 1), text)

        return progress

    model = build(tracking.tracker(), session_id, progress=half(0))
    return export_report(model, path, progress=half(1))


def _save_finding_choice(ctx, tracking, photo_id, finding_id, choice):
    tracking.tracker().set_finding_verdict(photo_id, finding_id, choice)


def _save_answers(ctx, tracking, session_id, answers):
    tracking.tracker().save_questionnaire(session_id, answers)


def _save_symptoms(ctx, tracking, session_id, symptoms):
    from skintrack.core.recovery import Symptoms

    t = tracking.tracker()
    t.record_symptoms(session_id, Symptoms.from_dict(symptoms))
    return t.status(session_id)


def _save_serum(ctx, tracking, session_id, done):
    from skintrack.core.recovery import SERUM_STEP

    t = tracking.tracker()
    t.set_aftercare_step(session_id, SERUM_STEP, done)
    return t.status(session_id)


def _status(ctx, tracking, session_id):
    return tracking.tracker().status(session_id)


class CompareView:
    """What the Compare page shows: both photos at display size, aligned, and the change map."""

    def __init__(
        self, baseline, later, later_analysis, comparison, base_display, warped, delta_image
    ) -> None:
        self.baseline = baseline
        self.later = later  # the Later item
        self.later_analysis = later_analysis
        self.comparison = comparison
        self.base_display = base_display  # baseline photo at display size
        self.warped = warped  # later photo aligned onto it (same size), or None
        self.delta_image = delta_image  # the map over the baseline (same size), or None


def build_compare_view(baseline, later: Later, later_analysis, treated=(), comparison=None) -> CompareView:
    """Align the later photo onto the baseline for display, with their comparison and its map
    (``comparison``: the tracker's, for a stored photo; else made by
    :func:`skintrack.tracking.compare_with_map`)."""
    from skintrack.app.alignment import align_later, to_display
    from skintrack.core import compare as cmp
    from skintrack.tracking import compare_with_map

    warped = delta_image = None
    base_display = to_display(baseline.photo.rgb)
    if comparison is None:
        comparison = compare_with_map(baseline, later_analysis, treated)
    if comparison is not None:
        base_display, warped = align_later(
            baseline.photo.rgb, baseline.face, later_analysis.photo.rgb, later_analysis.face
        )
        if comparison.same_person and comparison.delta_map is not None:
            delta_image = to_display(cmp.render_delta_map(baseline.photo.rgb, comparison))
    return CompareView(baseline, later, later_analysis, comparison, base_display, warped, delta_image)


def _compare(ctx: TaskContext, baseline, later: Later, treated, tracking, session_id):
    comparison = None
    if later.analysis is not None:
        later_analysis = later.analysis
    else:
        ctx.progress(0, 2, "Reading the later photo")
        t = tracking.tracker()
        later_analysis = t.stored_analysis(t.photo(later.photo_id))
        if session_id is not None:
            comparison = t.comparison_map(session_id, later.photo_id)
    ctx.check_cancelled()
    ctx.progress(1, 2, "Aligning the photos and measuring the change")
    return build_compare_view(baseline, later, later_analysis, treated, comparison)
