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

from datetime import UTC, datetime

from PySide6.QtCore import QObject, Signal

from skintrack.app.model import AppModel, Later
from skintrack.app.services import AnalysisService, TrackingService
from skintrack.app.tasks import (  # the work each action queues
    LoadedSession,
    TimeNeeded,
    _add_follow_ups,
    _analyse_sources,
    _ask_replace,
    _ask_time,
    _check_store,
    _compare,
    _delete_session,
    _export_report,
    _label,
    _list_sessions,
    _load_session,
    _new_session,
    _report_builder,
    _restore_backup,
    _save_answers,
    _save_finding_choice,
    _save_serum,
    _save_symptoms,
    _set_baseline,
    _set_photo_time,
    _status,
    _thumbnail,
    _tracker_class,
    session_answers,
)
from skintrack.app.workers import TaskRunner

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp")


class Controller(QObject):
    """Signals: ``navigate(page_name)``, ``message(text, kind)``, ``exported(path)``,
    ``store_damaged(text, diagnosis)`` (the saved data cannot be used; offer a backup)."""

    navigate = Signal(str)
    message = Signal(str, str)
    exported = Signal(str)
    store_damaged = Signal(str, object)

    def __init__(
        self,
        model: AppModel,
        runner: TaskRunner,
        analysis: AnalysisService,
        tracking: TrackingService | None = None,
        parent: QObject | None = None,
    ) -> None:
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

        return self.runner.submit("Checking your saved data", _check_store, self.tracking, on_done=done)

    def restore_backup(self, backup):
        """Put a backup back (the damaged database is kept aside), then read the sessions."""

        def done(aside):
            where = f" The damaged file was kept in {aside}." if aside else ""
            self.message.emit(
                f"The backup of {backup.taken_at.astimezone():%d %b %Y %H:%M} was "
                f"put back ({backup.sessions} session(s)).{where}",
                "success",
            )
            self.refresh_sessions()

        return self.runner.submit(
            "Putting the backup back", _restore_backup, self.tracking, backup, on_done=done
        )

    # --- sessions -------------------------------------------------------------------------------------
    def refresh_sessions(self):
        if self.tracking is None:
            return None
        return self.runner.submit(
            "Reading your sessions", _list_sessions, self.tracking, on_done=self.model.set_sessions
        )

    def new_session(
        self, *, device: str, needle_mm: float, treated_regions, treated_at=None, notes: str = ""
    ):
        """Create a session and open it (then the Capture page, for the baseline photo)."""

        def done(result):
            session, answers = result
            self.refresh_sessions()
            self._session_loaded(LoadedSession(session=session, answers=answers))
            self.message.emit(
                f"Session {session.id} created. Take the photo before treatment "
                "now: it is checked and becomes the baseline.",
                "success",
            )
            self.navigate.emit("capture")

        return self.runner.submit(
            "Creating the session",
            _new_session,
            self.tracking,
            device,
            needle_mm,
            tuple(treated_regions),
            treated_at,
            notes,
            on_done=done,
        )

    def open_session(self, session_id: int):
        return self.runner.submit(
            f"Opening session {session_id}", _load_session, self.tracking, session_id, on_done=self._opened
        )

    def _opened(self, loaded: LoadedSession) -> None:
        self._session_loaded(loaded)
        self.navigate.emit("recovery" if self.model.baseline is not None else "capture")

    def _session_loaded(self, loaded: LoadedSession) -> None:
        m = self.model
        m.clear_session_state()
        m.simulated = loaded.simulated
        m.set_session(loaded.session)
        # The device and needle entered for the session answer those questions unless the
        # person answered them on the Check page.
        m.answers = {**session_answers(loaded.session), **dict(loaded.answers or {})}
        m.symptoms = dict(loaded.symptoms)
        m.set_baseline(loaded.baseline, loaded.baseline_photo)
        m.set_analysis(
            loaded.baseline,
            dismissed=set(loaded.dismissed),
            confirmed=set(loaded.confirmed),
            photo_id=loaded.photo_id,
        )
        m.set_laters(list(loaded.laters))
        m.set_status(loaded.status)
        if loaded.laters and loaded.baseline is not None:
            self.compare_with(loaded.laters[-1])

    def close_session(self) -> None:
        self.model.clear_session_state()
        self.model.set_session(None)

    def delete_session(self, session_id: int):
        def done(_r):
            if self.session_id == session_id:
                self.close_session()
            self.message.emit(f"Session {session_id} was deleted.", "info")
            self.refresh_sessions()

        return self.runner.submit(
            f"Deleting session {session_id}", _delete_session, self.tracking, session_id, on_done=done
        )

    def can_delete(self) -> bool:
        return self.tracking is not None and hasattr(_tracker_class(), "delete_session")

    def export_report(self, session_id: int, path: str):
        return self.runner.submit(
            "Writing the report",
            _export_report,
            self.tracking,
            session_id,
            path,
            on_done=lambda p: (
                self.exported.emit(str(p)),
                self.message.emit(f"Report saved: {p}", "success"),
            ),
        )

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
            return self.runner.submit(
                label,
                _analyse_sources,
                sources,
                self.analysis,
                on_done=lambda res: self._analysed(res, purpose),
                on_cancelled=cancelled,
            )

        def retry_or(then):
            def done(result):
                if isinstance(result, TimeNeeded):
                    self._ask_time_then_retry(result, label, sources, purpose, times)
                else:
                    then(result)

            return done

        if purpose == "recovery" and self.model.baseline is not None:
            return self.runner.submit(
                label,
                _add_follow_ups,
                self.tracking,
                self.session_id,
                sources,
                times,
                on_done=retry_or(self._follow_ups_added),
                on_cancelled=cancelled,
            )
        if purpose == "recovery":
            self.message.emit(
                "This session has no baseline photo yet, so this photo is checked "
                "as the baseline (the photo before treatment).",
                "info",
            )
        replace = self.model.baseline is not None and bool(self.model.laters)
        if (
            replace
            and not replace_ok
            and not self.confirm_replace(
                f"This session's baseline photo already has {len(self.model.laters)} photo"
                f"{'s' if len(self.model.laters) != 1 else ''} after treatment compared with it. "
                "Make the new photo the baseline instead? The old one is kept in the session."
            )
        ):
            self.message.emit("The baseline was kept; nothing was added.", "info")
            return None
        return self.runner.submit(
            label,
            _set_baseline,
            self.tracking,
            self.session_id,
            sources[-1],
            replace,
            times,
            on_done=retry_or(self._baseline_set),
            on_cancelled=cancelled,
        )

    def _ask_time_then_retry(self, need: TimeNeeded, label, sources, purpose, times) -> None:
        """The import was refused for a photo's time: say why, ask the person when the photo was
        taken, then try again with that time (nothing was saved meanwhile)."""
        self.message.emit(need.message, "warning")

        def reply(when) -> None:
            if when is None:
                self.message.emit(f"{need.message} Nothing was added.", "info")
            else:
                self._photos_in(label, sources, purpose, {**times, need.name: when}, replace_ok=True)

        self.ask_time(need.message, need.taken_at, reply)

    def correct_time(self, photo_id: int, taken_at: datetime):
        """Correct a saved photo's capture time; the session is read again (hours after
        treatment, the curve and the status all follow from it)."""
        sid = self.session_id

        def done(photo):
            self.message.emit(
                f"The time of {photo.original_name} is now {photo.taken_at.astimezone():%d %b %Y %H:%M}.",
                "success",
            )
            self.open_session(sid)

        return self.runner.submit(
            "Correcting the photo's time",
            _set_photo_time,
            self.tracking,
            sid,
            photo_id,
            taken_at,
            on_done=done,
        )

    def _analysed(self, result, purpose: str) -> None:
        analyses, errors = result
        if errors:
            self.message.emit(
                " ".join(errors) + (" The other photos were imported." if analyses else ""), "error"
            )
        if not analyses:
            return
        if purpose == "recovery" and self.model.baseline is not None:
            for a in analyses:
                self.model.add_later(
                    Later(_label(a.photo.taken_at), analysis=a, thumbnail=_thumbnail(a.photo.rgb))
                )
            self.compare_with(self.model.laters[-1])
            self.navigate.emit("compare")
            return
        if purpose == "recovery":
            self.message.emit(
                "There is no baseline photo yet, so this photo was taken as the "
                "baseline. Take recovery photos after treatment.",
                "info",
            )
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
            self.runner.submit(
                "Saving your choice", _save_finding_choice, self.tracking, pid, finding_id, choice
            )

    def set_answers(self, answers: dict) -> None:
        """The questionnaire answers changed: recompute the verdict, save them with the session
        (all of them each time, even none: the latest saved set is the one that counts)."""
        self.model.set_answers(answers)
        if self.tracking is not None and self.session_id is not None:
            self.runner.submit(
                "Saving your answers", _save_answers, self.tracking, self.session_id, dict(answers)
            )

    def set_symptoms(self, symptoms: dict) -> None:
        self.model.symptoms = dict(symptoms)
        if self.tracking is None or self.session_id is None:
            return
        self.runner.submit(
            "Updating the recovery status",
            _save_symptoms,
            self.tracking,
            self.session_id,
            dict(symptoms),
            on_done=self.model.set_status,
        )

    def set_serum_applied(self, done: bool) -> None:
        """The person ticked (or unticked) the serum or mask step right after treatment."""
        if self.tracking is None or self.session_id is None:
            return
        self.runner.submit(
            "Updating the aftercare",
            _save_serum,
            self.tracking,
            self.session_id,
            bool(done),
            on_done=self.model.set_status,
        )

    def refresh_status(self):
        if self.tracking is None or self.session_id is None:
            return None
        return self.runner.submit(
            "Updating the recovery status",
            _status,
            self.tracking,
            self.session_id,
            on_done=self.model.set_status,
        )

    # --- comparison ---------------------------------------------------------------------------------
    def compare_with(self, later) -> None:
        baseline = self.model.baseline
        if baseline is None or later is None:
            self.model.set_comparison(None)
            return
        self.runner.submit(
            "Comparing with the baseline photo",
            _compare,
            baseline,
            later,
            tuple(self.model.treated),
            self.tracking,
            self.session_id,
            on_done=self.model.set_comparison,
        )

    # backwards-compatible name used by the window
    compare_with_baseline = compare_with
