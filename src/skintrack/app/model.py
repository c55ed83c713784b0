"""The window's state, as one QObject the pages observe (tests change it and check the views).

It holds what the person is looking at: the open session (when session tracking is available),
the photo being checked and its analysis, the confirm/dismiss choices and questionnaire answers,
the baseline photo and the later photo being compared. It does no work itself: the controller runs
tasks and puts their results here; pages redraw on its signals.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class AppModel(QObject):
    """Observable state of the window.

    Signals
    -------
    session_changed(object) : the open session (or None) and everything derived from it
    check_changed() : the checked photo, its findings' confirm/dismiss, answers or treated regions
    baseline_changed(object) : the baseline Analysis (or None)
    comparison_changed(object) : the current comparison view data (or None)
    status_changed(object) : the recovery status of the open session (or None)
    photos_changed() : the open session's list of photos
    """

    session_changed = Signal(object)
    check_changed = Signal()
    baseline_changed = Signal(object)
    comparison_changed = Signal(object)
    status_changed = Signal(object)
    photos_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = None
        self.analysis = None  # the Analysis shown on the Check page
        self.dismissed: set[str] = set()
        self.confirmed: set[str] = set()
        self.answers: dict = {}
        self.treated: tuple[str, ...] = ()
        self.baseline = None  # Analysis of the baseline photo
        self.laters: list = []  # Analyses of later photos (in memory when no session is open)
        self.comparison = None
        self.status = None
        self.photos: list = []  # the open session's photo records

    # --- session ------------------------------------------------------------------------------
    def set_session(self, session) -> None:
        self.session = session
        if session is not None:
            treated = getattr(session, "treated_regions", None)
            if treated is not None:
                self.treated = tuple(treated)
        self.session_changed.emit(session)

    # --- check --------------------------------------------------------------------------------
    def set_analysis(self, analysis, *, dismissed=(), confirmed=()) -> None:
        self.analysis = analysis
        self.dismissed = set(dismissed)
        self.confirmed = set(confirmed)
        self.check_changed.emit()

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
    def set_baseline(self, analysis) -> None:
        self.baseline = analysis
        self.baseline_changed.emit(analysis)

    def add_later(self, analysis) -> None:
        self.laters.append(analysis)
        self.photos_changed.emit()

    def set_comparison(self, comparison) -> None:
        self.comparison = comparison
        self.comparison_changed.emit(comparison)

    def set_status(self, status) -> None:
        self.status = status
        self.status_changed.emit(status)

    def set_photos(self, photos) -> None:
        self.photos = list(photos)
        self.photos_changed.emit()
