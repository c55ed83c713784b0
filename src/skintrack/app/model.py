"""The window's state, as one QObject the pages observe (tests change it and check the views).

It holds what the person is looking at: the open session (when session tracking is available),
the photo being checked and its analysis, the confirm/dismiss choices and questionnaire answers,
the baseline photo and the later photo being compared. It does no work itself: the controller runs
tasks and puts their results here; pages redraw on its signals.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal


@dataclass(frozen=True, eq=False)
class Later:
    """A photo after treatment that can be compared with the baseline: analysed already
    (``analysis``), or stored in the session (``photo_id``) and analysed when chosen."""

    label: str
    hours: float | None = None
    analysis: object = None
    photo_id: int | None = None
    thumbnail: object = None  # small RGB uint8 array for the timeline, or None
    note: str = ""  # e.g. why the photo is not used for the recovery curve
    taken_at: object = None  # the capture time used (aware datetime), when saved in a session
    simulated: bool = False  # rendered by the redness phantom (the demo): shown as SIMULATED

    def __post_init__(self) -> None:
        if self.analysis is None and self.photo_id is None:
            raise ValueError("a later photo needs its analysis or its stored photo id")


@dataclass(frozen=True)
class SessionSummary:
    """One row of the Sessions page."""

    id: int
    treated_at: object  # aware datetime
    device: str
    needle_mm: float
    treated_regions: tuple[str, ...]
    photos: int
    has_baseline: bool
    simulated: bool = False  # the demo's session (tracking.is_simulated_session)


class AppModel(QObject):
    """Observable state of the window.

    Signals
    -------
    session_changed(object) : the open session (or None) and everything derived from it
    check_changed() : the checked photo, its findings' confirm/dismiss, answers or treated regions
    baseline_changed(object) : the baseline Analysis (or None)
    comparison_changed(object) : the current comparison view data (or None)
    status_changed(object) : the recovery status of the open session (or None)
    photos_changed() : the later photos available to compare
    sessions_changed() : the list of sessions in the data folder
    """

    session_changed = Signal(object)
    check_changed = Signal()
    baseline_changed = Signal(object)
    comparison_changed = Signal(object)
    status_changed = Signal(object)
    photos_changed = Signal()
    sessions_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = None
        self.analysis = None  # the Analysis shown on the Check page
        self.dismissed: set[str] = set()
        self.confirmed: set[str] = set()
        self.answers: dict = {}
        self.treated: tuple[str, ...] = ()
        self.baseline = None  # Analysis of the baseline photo
        #: The baseline's stored photo record (its id and the capture time the session uses,
        #: which may have been corrected since the file was read), or None.
        self.baseline_photo = None
        self.laters: list = []  # Analyses of later photos (in memory when no session is open)
        self.comparison = None
        self.status = None
        self.photos: list = []  # the open session's photo records
        self.sessions: list = []  # SessionSummary items for the Sessions page
        self.analysis_photo_id: int | None = None  # stored photo id of the checked photo
        #: The checked photo is a close-up of one patch of skin (core/closeup.py): its findings
        #: and verdict come from the close-up check, computed once per photo and kept here.
        self.close_up = False
        self.close_up_result = None
        self.symptoms: dict = {}
        #: The open session is the demo's (phantom renders): every page says SIMULATED.
        self.simulated = False

    # --- session ------------------------------------------------------------------------------
    def set_session(self, session) -> None:
        self.session = session
        if session is not None:
            treated = getattr(session, "treated_regions", None)
            if treated is not None:
                self.treated = tuple(treated)
        self.session_changed.emit(session)

    @property
    def first_session(self) -> bool:
        """No session was treated before the open one (or none is recorded yet): the checklist
        then asks whether the person is a beginner."""
        from skintrack.core.questionnaire import is_first_session

        return is_first_session(self.sessions, self.session)

    # --- check --------------------------------------------------------------------------------
    def set_analysis(self, analysis, *, dismissed=(), confirmed=(), photo_id=None) -> None:
        self.analysis = analysis
        self.analysis_photo_id = photo_id
        self.dismissed = set(dismissed)
        self.confirmed = set(confirmed)
        self.close_up_result = None
        if self.close_up:
            self._analyse_close_up()
        self.check_changed.emit()

    def set_close_up(self, on: bool) -> None:
        """Check the photo as a close-up of one patch of skin (``on``) or as a face."""
        self.close_up = bool(on)
        if self.close_up and self.close_up_result is None:
            self._analyse_close_up()
        self.check_changed.emit()

    def _analyse_close_up(self) -> None:
        # A few tens of milliseconds (the close-up is analysed at 0.3 mm per pixel): on the GUI
        # thread, like the verdict.
        from skintrack.core.closeup import analyze_close_up

        if self.analysis is not None:
            self.close_up_result = analyze_close_up(self.analysis.photo.rgb)

    def check_findings(self) -> list:
        """The findings the Check page shows: the face's, or the close-up's."""
        if self.close_up:
            return list(self.close_up_result.findings) if self.close_up_result else []
        return list(self.analysis.findings) if self.analysis is not None else []

    def set_finding_choice(self, finding_id: str, choice: str | None) -> None:
        """``choice`` is ``"confirmed"``, ``"dismissed"`` or ``None`` (undecided)."""
        self.dismissed.discard(finding_id)
        self.confirmed.discard(finding_id)
        if choice == "dismissed":
            self.dismissed.add(finding_id)
        elif choice == "confirmed":
            self.confirmed.add(finding_id)
        elif choice is not None:
            raise ValueError(f"unknown choice {choice!r}")
        self.check_changed.emit()

    def finding_choice(self, finding_id: str) -> str | None:
        if finding_id in self.dismissed:
            return "dismissed"
        if finding_id in self.confirmed:
            return "confirmed"
        return None

    def set_answers(self, answers: dict) -> None:
        self.answers = dict(answers)
        self.check_changed.emit()

    def set_treated(self, treated) -> None:
        self.treated = tuple(treated)
        self.check_changed.emit()

    # --- baseline, later photos, comparison -------------------------------------------------------
    def set_baseline(self, analysis, photo=None) -> None:
        """The baseline's Analysis and, when it is saved in the session, its stored photo."""
        self.baseline = analysis
        self.baseline_photo = photo if analysis is not None else None
        self.baseline_changed.emit(analysis)

    def add_later(self, later) -> None:
        """Add a :class:`Later` (a later photo that can be compared with the baseline)."""
        self.laters.append(later)
        self.photos_changed.emit()

    def set_laters(self, laters) -> None:
        self.laters = list(laters)
        self.photos_changed.emit()

    def set_sessions(self, sessions) -> None:
        self.sessions = list(sessions)
        self.sessions_changed.emit()

    def clear_session_state(self) -> None:
        """Forget everything shown for the previous session."""
        self.analysis = None
        self.analysis_photo_id = None
        self.dismissed, self.confirmed = set(), set()
        self.answers, self.symptoms = {}, {}
        self.baseline = None
        self.baseline_photo = None
        self.laters = []
        self.comparison = None
        self.status = None
        self.photos = []
        self.simulated = False
        self.check_changed.emit()
        self.baseline_changed.emit(None)
        self.photos_changed.emit()
        self.comparison_changed.emit(None)
        self.status_changed.emit(None)

    def set_comparison(self, comparison) -> None:
        self.comparison = comparison
        self.comparison_changed.emit(comparison)

    def set_status(self, status) -> None:
        self.status = status
        self.status_changed.emit(status)

    def set_photos(self, photos) -> None:
        self.photos = list(photos)
        self.photos_changed.emit()
