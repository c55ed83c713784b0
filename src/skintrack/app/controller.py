"""What the window does when the person acts: sessions, import, capture, analyse, compare.

Each action queues a task on the :class:`~skintrack.app.workers.TaskRunner` and puts its result into
the :class:`~skintrack.app.model.AppModel` when it returns on the GUI thread. Failures become
messages (``message`` signal) saying what to do next; what was saved before stays saved (the
session service imports all-or-nothing).

With a session open, photos go into it: a photo *before treatment* becomes the session's baseline
and is checked; a photo *after treatment* is added, compared with the baseline and the recovery
status is recomputed. Without a session, photos are only analysed and kept in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from skintrack.app.model import AppModel, Later, SessionSummary
from skintrack.app.services import AnalysisService, TrackingService
from skintrack.app.workers import TaskContext, TaskRunner
from skintrack.core.errors import plain
from skintrack.core.readable import hours_text

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp")


@dataclass(frozen=True)
class TimeNeeded:
    """An import refused for a photo's capture time (none in the file, or impossible): the
    person is asked when the photo was taken and the import is tried again with that time.
    ``taken_at`` is the time found in the photo (None when it has none)."""

    name: str
    taken_at: datetime | None
    message: str


class Controller(QObject):
    """Signals: ``navigate(page_name)``, ``message(text, kind)``, ``exported(path)``,
    ``store_damaged(text, diagnosis)`` (the saved data cannot be used; offer a backup)."""

    navigate = Signal(str)
    message = Signal(str, str)
    exported = Signal(str)
    store_damaged = Signal(str, object)

    def __init__(self, model: AppModel, runner: TaskRunner, analysis: AnalysisService,
                 tracking: TrackingService | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.runner = runner
        self.analysis = analysis
        self.tracking = tracking if tracking is not None and tracking.available() else None
        runner.error.connect(lambda text: self.message.emit(text, "error"))
        #: Asks the person whether to replace a baseline that photos after treatment are compared
        #: with (issue 13); tests put their own answer here.
        self.confirm_replace: callable = _ask_replace
        #: Asks the person when a photo was taken, without blocking: ``ask_time(message,
        #: suggested, reply)`` later calls ``reply(aware datetime)``, or ``reply(None)`` when
        #: cancelled; tests put their own answer here.
        self.ask_time: callable = _ask_time

    @property
    def session_id(self) -> int | None:
        s = self.model.session
        return None if s is None else s.id

    # --- the saved data ------------------------------------------------------------------------------
    def check_store(self):
        """At start: open the saved data; when it is damaged, say so and offer a backup."""
        if self.tracking is None:
            return None

        def done(found):
            if found is not None:
                self.store_damaged.emit(*found)

        return self.runner.submit("Checking your saved data", _check_store, self.tracking,
                                  on_done=done)

    def restore_backup(self, backup):
        """Put a backup back (the damaged database is kept aside), then read the sessions."""
        def done(aside):
            where = f" The damaged file was kept in {aside}." if aside else ""
            self.message.emit(f"The backup of {backup.taken_at.astimezone():%d %b %Y %H:%M} was "
                              f"put back ({backup.sessions} session(s)).{where}", "success")
            self.refresh_sessions()

        return self.runner.submit("Putting the backup back", _restore_backup, self.tracking,
                                  backup, on_done=done)

    # --- sessions -------------------------------------------------------------------------------------
    def refresh_sessions(self):
        if self.tracking is None:
            return None
        return self.runner.submit("Reading your sessions", _list_sessions, self.tracking,
                                  on_done=self.model.set_sessions)

    def new_session(self, *, device: str, needle_mm: float, treated_regions, treated_at=None,
                    notes: str = ""):
        """Create a session and open it (then the Capture page, for the baseline photo)."""
        def done(result):
            session, answers = result
            self.refresh_sessions()
            self._session_loaded((session, [], None, answers, None, set(), set(), None, {},
                                  False, None))
            self.message.emit(f"Session {session.id} created. Take the photo before treatment "
                              "now: it is checked and becomes the baseline.", "success")
            self.navigate.emit("capture")

        return self.runner.submit("Creating the session", _new_session, self.tracking, device,
                                  needle_mm, tuple(treated_regions), treated_at, notes,
                                  on_done=done)

    def open_session(self, session_id: int):
        return self.runner.submit(f"Opening session {session_id}", _load_session, self.tracking,
                                  session_id, on_done=self._opened)

    def _opened(self, loaded) -> None:
        self._session_loaded(loaded)
        self.navigate.emit("recovery" if self.model.baseline is not None else "capture")

    def _session_loaded(self, loaded) -> None:
        (session, laters, baseline, answers, status, dismissed, confirmed, photo_id,
         symptoms, simulated, baseline_photo) = loaded
        m = self.model
        m.clear_session_state()
        m.simulated = bool(simulated)
        m.set_session(session)
        # The device and needle entered for the session answer those questions unless the
        # person answered them on the Check page.
        m.answers = {**session_answers(session), **dict(answers or {})}
        m.symptoms = dict(symptoms or {})
        m.set_baseline(baseline, baseline_photo)
        m.set_analysis(baseline, dismissed=dismissed, confirmed=confirmed, photo_id=photo_id)
        m.set_laters(laters)
        m.set_status(status)
        if laters and baseline is not None:
            self.compare_with(laters[-1])

    def close_session(self) -> None:
        self.model.clear_session_state()
        self.model.set_session(None)

    def delete_session(self, session_id: int):
        def done(_r):
            if self.session_id == session_id:
                self.close_session()
            self.message.emit(f"Session {session_id} was deleted.", "info")
            self.refresh_sessions()

        return self.runner.submit(f"Deleting session {session_id}", _delete_session,
                                  self.tracking, session_id, on_done=done)

    def can_delete(self) -> bool:
        return self.tracking is not None and hasattr(_tracker_class(), "delete_session")

    def export_report(self, session_id: int, path: str):
        return self.runner.submit("Writing the report", _export_report, self.tracking, session_id,
                                  path, on_done=lambda p: (self.exported.emit(str(p)),
                                                           self.message.emit(
                                                               f"Report saved: {p}", "success")))

    def can_export(self) -> bool:
        return self.tracking is not None and _report_builder() is not None

    # --- photos in -----------------------------------------------------------------------------------
    def import_paths(self, paths, purpose: str = "check"):
        """Load and analyse photo files off the GUI thread; returns the task handle."""
        paths = [str(p) for p in paths]
        if not paths:
            return None
        label = "Importing 1 photo" if len(paths) == 1 else f"Importing {len(paths)} photos"
        return self._photos_in(label, paths, purpose)

    def use_frame(self, rgb, purpose: str = "check"):
        """A frame the shutter took: analyse it (and save it into the open session)."""
        from skintrack.core.intake import photo_from_array

        photo = photo_from_array(rgb, taken_at=datetime.now(UTC), source="camera")
        return self._photos_in("Analysing the photo", [photo], purpose)

    def _photos_in(self, label, sources, purpose, times=None, replace_ok=False):
        """``times`` maps a photo's file name to the capture time the person gave for it."""
        times = dict(times or {})
        cancelled = lambda: self.message.emit("Cancelled; nothing was added.", "info")  # noqa: E731
        if self.session_id is None or self.tracking is None:
            return self.runner.submit(label, _analyse_sources, sources, self.analysis,
                                      on_done=lambda res: self._analysed(res, purpose),
                                      on_cancelled=cancelled)

        def retry_or(then):
            def done(result):
                if isinstance(result, TimeNeeded):
                    self._ask_time_then_retry(result, label, sources, purpose, times)
                else:
                    then(result)
            return done

        if purpose == "recovery" and self.model.baseline is not None:
            return self.runner.submit(label, _add_follow_ups, self.tracking, self.session_id,
                                      sources, times, on_done=retry_or(self._follow_ups_added),
                                      on_cancelled=cancelled)
        if purpose == "recovery":
            self.message.emit("This session has no baseline photo yet, so this photo is checked "
                              "as the baseline (the photo before treatment).", "info")
        replace = self.model.baseline is not None and bool(self.model.laters)
        if replace and not replace_ok and not self.confirm_replace(
                f"This session's baseline photo already has {len(self.model.laters)} photo"
                f"{'s' if len(self.model.laters) != 1 else ''} after treatment compared with it. "
                "Make the new photo the baseline instead? The old one is kept in the session."):
            self.message.emit("The baseline was kept; nothing was added.", "info")
            return None
        return self.runner.submit(label, _set_baseline, self.tracking, self.session_id,
                                  sources[-1], replace, times,
                                  on_done=retry_or(self._baseline_set), on_cancelled=cancelled)

    def _ask_time_then_retry(self, need: TimeNeeded, label, sources, purpose, times) -> None:
        """The import was refused for a photo's time: say why, ask the person when the photo was
        taken, then try again with that time (nothing was saved meanwhile)."""
        self.message.emit(need.message, "warning")

        def reply(when) -> None:
            if when is None:
                self.message.emit(f"{need.message} Nothing was added.", "info")
            else:
                self._photos_in(label, sources, purpose, {**times, need.name: when},
                                replace_ok=True)

        self.ask_time(need.message, need.taken_at, reply)

    def correct_time(self, photo_id: int, taken_at: datetime):
        """Correct a saved photo's capture time; the session is read again (hours after
        treatment, the curve and the status all follow from it)."""
        sid = self.session_id

        def done(photo):
            self.message.emit(f"The time of {photo.original_name} is now "
                              f"{photo.taken_at.astimezone():%d %b %Y %H:%M}.", "success")
            self.open_session(sid)

        return self.runner.submit("Correcting the photo's time", _set_photo_time, self.tracking,
                                  sid, photo_id, taken_at, on_done=done)

    def _analysed(self, result, purpose: str) -> None:
        analyses, errors = result
        if errors:
            self.message.emit(" ".join(errors) + (" The other photos were imported." if analyses
                                                  else ""), "error")
        if not analyses:
            return
        if purpose == "recovery" and self.model.baseline is not None:
            for a in analyses:
                self.model.add_later(Later(_label(a.photo.taken_at), analysis=a,
                                           thumbnail=_thumbnail(a.photo.rgb)))
            self.compare_with(self.model.laters[-1])
            self.navigate.emit("compare")
            return
        if purpose == "recovery":
            self.message.emit("There is no baseline photo yet, so this photo was taken as the "
                              "baseline. Take recovery photos after treatment.", "info")
        a = analyses[-1]
        self.model.set_analysis(a)
        if a.face is not None:
            self.model.set_baseline(a)
        self.navigate.emit("check")

    def _baseline_set(self, result) -> None:
        analysis, photo, warnings, status = result
        self.model.set_analysis(analysis, photo_id=photo.id)
        self.model.set_baseline(analysis, photo)
        self.model.set_status(status)
        if warnings:
            self.message.emit(" ".join(warnings), "warning")
        self.refresh_sessions()
        self.navigate.emit("check")

    def _follow_ups_added(self, result) -> None:
        laters, warnings, status = result
        for later in laters:
            self.model.add_later(later)
        self.model.set_status(status)
        if warnings:
            self.message.emit(" ".join(warnings), "warning")
        self.compare_with(laters[-1])
        self.refresh_sessions()
        self.navigate.emit("recovery")

    # --- the person's choices -------------------------------------------------------------------------
    def set_finding_choice(self, finding_id: str, choice) -> None:
        self.model.set_finding_choice(finding_id, choice)
        pid = self.model.analysis_photo_id
        if self.tracking is not None and self.session_id is not None and pid is not None:
            self.runner.submit("Saving your choice", _save_finding_choice, self.tracking, pid,
                               finding_id, choice)

    def set_answers(self, answers: dict) -> None:
        """The questionnaire answers changed: recompute the verdict, save them with the session
        (all of them each time, even none: the latest saved set is the one that counts)."""
        self.model.set_answers(answers)
        if self.tracking is not None and self.session_id is not None:
            self.runner.submit("Saving your answers", _save_answers, self.tracking,
                               self.session_id, dict(answers))

    def set_symptoms(self, symptoms: dict) -> None:
        self.model.symptoms = dict(symptoms)
        if self.tracking is None or self.session_id is None:
            return
        self.runner.submit("Updating the recovery status", _save_symptoms, self.tracking,
                           self.session_id, dict(symptoms), on_done=self.model.set_status)

    def set_serum_applied(self, done: bool) -> None:
        """The person ticked (or unticked) the serum or mask step right after treatment."""
        if self.tracking is None or self.session_id is None:
            return
        self.runner.submit("Updating the aftercare", _save_serum, self.tracking, self.session_id,
                           bool(done), on_done=self.model.set_status)

    def refresh_status(self):
        if self.tracking is None or self.session_id is None:
            return None
        return self.runner.submit("Updating the recovery status", _status, self.tracking,
                                  self.session_id, on_done=self.model.set_status)

    # --- comparison ---------------------------------------------------------------------------------
    def compare_with(self, later) -> None:
        baseline = self.model.baseline
        if baseline is None or later is None:
            self.model.set_comparison(None)
            return
        self.runner.submit("Comparing with the baseline photo", _compare, baseline, later,
                           tuple(self.model.treated), self.tracking, self.analysis,
                           on_done=self.model.set_comparison)

    # backwards-compatible name used by the window
    compare_with_baseline = compare_with


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
    return PhotoSource(data=png.tobytes(), name=name,
                       taken_at=(times or {}).get(name, src.taken_at))


def _check_store(ctx: TaskContext, tracking: TrackingService):
    from skintrack.storage.db import DamagedDatabase
    from skintrack.tracking import diagnose

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
        out.append(SessionSummary(s.id, s.treated_at, s.device, s.needle_mm,
                                  tuple(s.treated_regions), len(photos),
                                  s.baseline_photo_id is not None,
                                  is_simulated_session(s, photos)))
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
    session = t.new_session(device=device, needle_mm=needle_mm, treated_regions=treated,
                            treated_at=treated_at, notes=notes)
    # Saved as answers too, so the report's check sees the needle length without the person
    # answering the same question twice.
    answers = session_answers(session)
    t.save_questionnaire(session.id, answers)
    return session, answers


def _with_stored_findings(analysis, rows):
    """The analysis with the findings saved for its photo (what the person's confirm/dismiss
    choices refer to). Analysing the same file again gives the same findings, but a detector
    update must not leave the page showing ids the session does not have."""
    import dataclasses

    from skintrack.core.lesions import Finding

    try:
        stored = tuple(Finding.from_record(r.record) for r in rows)
    except (KeyError, TypeError, ValueError):  # a record from an older version: keep the new ones
        return analysis
    return dataclasses.replace(analysis, findings=stored)


def _thumbnail(rgb, height: int = 96):
    import cv2

    h, w = rgb.shape[:2]
    return cv2.resize(rgb, (max(1, round(w * height / h)), height), interpolation=cv2.INTER_AREA)


def _stored_thumbnail(tracking: TrackingService, photo):
    from skintrack.core.intake import decode_photo

    data = tracking.tracker().photo_bytes(photo)
    return _thumbnail(decode_photo(data, name=photo.original_name).rgb)


def _stored_analysis(tracking: TrackingService, photo):
    from skintrack.core.intake import decode_photo

    t = tracking.tracker()
    data = t.photo_bytes(photo)
    decoded = decode_photo(data, path=photo.original_name, name=photo.original_name)
    return tracking.analysis.analyze(decoded)


def _load_session(ctx: TaskContext, tracking: TrackingService, session_id: int):
    from skintrack.tracking import is_simulated_name, is_simulated_session

    t = tracking.tracker()
    ctx.progress(0, 3, "Reading the session")
    session = t.session(session_id)
    photos = t.photos(session_id)
    baseline = photo_id = row = None
    dismissed, confirmed = set(), set()
    laters = []
    from skintrack.storage import sessions as repo

    notes = {}
    if session.baseline_photo_id is not None:
        for cmp in repo.session_comparisons(t.conn, session_id, session.baseline_photo_id):
            if not cmp.usable:
                notes[cmp.photo_id] = f"not used: {cmp.excluded_reason}"
    for p in photos:
        if p.id == session.baseline_photo_id:
            continue
        ctx.check_cancelled()
        hours = (p.taken_at - session.treated_at).total_seconds() / 3600
        if hours >= 0:
            sim = is_simulated_name(p.original_name)
            laters.append(Later(_label(p.taken_at, hours, simulated=sim), hours=hours,
                                photo_id=p.id, thumbnail=_stored_thumbnail(tracking, p),
                                note=notes.get(p.id, ""), taken_at=p.taken_at, simulated=sim))
    if session.baseline_photo_id is not None:
        ctx.progress(1, 3, "Analysing the baseline photo")
        row = next(p for p in photos if p.id == session.baseline_photo_id)
        stored = t.findings(row.id)
        baseline = _with_stored_findings(_stored_analysis(tracking, row), stored)
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
    return (session, laters, baseline, answers, status, dismissed, confirmed, photo_id,
            symptoms.to_dict() if symptoms else {}, is_simulated_session(session, photos), row)


def _ask_replace(text: str) -> bool:
    """A Yes/Cancel question to the person (default: Cancel, keep the baseline)."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    answer = QMessageBox.question(
        QApplication.activeWindow(), "Replace the baseline photo?", text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel)
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
        (w for w in QApplication.topLevelWidgets() if isinstance(w, QMainWindow)), None)
    dialog = CaptureTimeDialog(message, suggested, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.accepted.connect(lambda: reply(dialog.taken_at()))
    dialog.rejected.connect(lambda: reply(None))
    dialog.open()


def _set_baseline(ctx: TaskContext, tracking: TrackingService, session_id: int, src,
                  replace: bool = False, times=None):
    from skintrack.tracking import CaptureTimeRefused

    ctx.progress(0, 2, "Checking the photo and saving it as the baseline")
    t = tracking.tracker()
    # The tracker analyses the photo once to check and store it, and keeps that analysis.
    try:
        result = t.set_baseline(session_id, _photo_source(src, times), replace=replace)
    except CaptureTimeRefused as exc:
        return _time_needed(exc)
    ctx.progress(1, 2, "Saved")
    analysis = _with_stored_findings(t.baseline_analysis(result.photo),
                                     t.findings(result.photo.id))
    return analysis, result.photo, [plain(w) for w in result.warnings], t.status(session_id)


def _add_follow_ups(ctx: TaskContext, tracking: TrackingService, session_id: int, sources,
                    times=None):
    from skintrack.tracking import CaptureTimeRefused

    ctx.progress(0, 1, "Comparing with the baseline and saving")
    t = tracking.tracker()
    try:
        results = t.add_photos(session_id, [_photo_source(s, times) for s in sources])
    except CaptureTimeRefused as exc:
        return _time_needed(exc)
    laters = [Later(_label(r.photo.taken_at, r.hours), hours=r.hours, photo_id=r.photo.id,
                    thumbnail=_stored_thumbnail(tracking, r.photo),
                    note="" if r.comparison is None or r.comparison.usable
                    else f"not used: {r.comparison.excluded_reason}", taken_at=r.photo.taken_at)
              for r in results]
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

    def __init__(self, baseline, later, later_analysis, comparison, base_display, warped,
                 delta_image) -> None:
        self.baseline = baseline
        self.later = later  # the Later item
        self.later_analysis = later_analysis
        self.comparison = comparison
        self.base_display = base_display  # baseline photo at display size
        self.warped = warped  # later photo aligned onto it (same size), or None
        self.delta_image = delta_image  # the map over the baseline (same size), or None


def build_compare_view(baseline, later: Later, later_analysis, treated=()) -> CompareView:
    """Compare two analyses and align the later photo onto the baseline for display."""
    from skintrack.app.alignment import align_later, to_display
    from skintrack.core import compare as cmp

    comparison = warped = delta_image = None
    base_display = to_display(baseline.photo.rgb)
    if baseline.face is not None and later_analysis.face is not None:
        comparison = cmp.compare_analyses(baseline, later_analysis, treated=tuple(treated),
                                          with_map=True)
        base_display, warped = align_later(baseline.photo.rgb, baseline.face,
                                           later_analysis.photo.rgb, later_analysis.face)
        if comparison.same_person and comparison.delta_map is not None:
            delta_image = to_display(cmp.render_delta_map(baseline.photo.rgb, comparison))
    return CompareView(baseline, later, later_analysis, comparison, base_display, warped,
                       delta_image)


def _compare(ctx: TaskContext, baseline, later: Later, treated, tracking, service):
    if later.analysis is not None:
        later_analysis = later.analysis
    else:
        from skintrack.storage import sessions as repo

        ctx.progress(0, 2, "Reading the later photo")
        photo = repo.get_photo(tracking.tracker().conn, later.photo_id)
        later_analysis = _stored_analysis(tracking, photo)
    ctx.check_cancelled()
    ctx.progress(1, 2, "Aligning the photos and measuring the change")
    return build_compare_view(baseline, later, later_analysis, treated)

