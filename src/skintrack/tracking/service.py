"""The session service: treatment sessions, their photos and the recovery status.

Used by the command line, the app and the report: the one door into :mod:`skintrack.storage`
(ADR 0006). It ties :mod:`skintrack.core` (photo intake, analysis, comparison, the recovery model)
to storage (SQLite and the photo store); neither of those imports it. :class:`Tracker` is the
facade; its parts live beside it: the import (:mod:`.importing`), the views of stored photos
(:mod:`.views`) and the status (:mod:`.status`).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING

from skintrack.core.errors import SkintrackError
from skintrack.core.questionnaire import Answers
from skintrack.core.recovery import SERUM_STEP, Symptoms
from skintrack.storage import db, folder
from skintrack.storage import sessions as repo
from skintrack.storage.paths import DataPaths, resolve_data_dir
from skintrack.storage.photostore import PhotoStore
from skintrack.tracking.errors import TrackingError
from skintrack.tracking.importing import ImportingMixin
from skintrack.tracking.records import MAX_PLANNED_AHEAD, _fmt_time, _utc_now
from skintrack.tracking.status import StatusMixin

if TYPE_CHECKING:
    from skintrack.core.face import FaceEngine


class Tracker(ImportingMixin, StatusMixin):
    """Sessions in one data folder. Use as a context manager, or call :meth:`close`.

    Parameters
    ----------
    data_dir
        The data folder (``--data-dir``); None uses ``$SKINTRACK_HOME`` or the user data folder.
    engine
        An open :class:`~skintrack.core.face.FaceEngine` to share (the caller closes it). Without
        one, the tracker opens its own on first use and closes it in :meth:`close`.
    """

    def __init__(
        self, data_dir: str | os.PathLike[str] | None = None, *, engine: FaceEngine | None = None
    ) -> None:
        self.paths: DataPaths = resolve_data_dir(data_dir)
        opened = folder.open_data_folder(self.paths)
        self.conn = opened.conn
        #: True when the data folder cannot be written (a read-only mount): reads only.
        self.read_only = opened.read_only
        self._disk_full = opened.disk_full
        self.store = PhotoStore(self.paths.photos)
        self._engine = engine
        self._own_engine = False
        self._analyses = OrderedDict()  # typed in TrackerState
        self._maps = {}

    # --- lifecycle ------------------------------------------------------------------------------
    def __enter__(self) -> Tracker:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._own_engine and self._engine is not None:
            self._engine.close()
        self._engine = None
        self._analyses.clear()
        self._maps.clear()
        self.conn.close()  # closing twice is harmless; a closed connection refuses every query

    @property
    def engine(self) -> FaceEngine:
        if self._engine is None:
            from skintrack.core.face import FaceEngine

            self._engine = FaceEngine(mode="image")
            self._own_engine = True
        return self._engine

    def _writable(self) -> None:
        """Refuse a write at once, before any slow work, when the folder is read-only."""
        if self.read_only:
            message = db.FULL_DISK_READ_ONLY_MESSAGE if self._disk_full else db.READ_ONLY_MESSAGE
            raise db.StorageError(message.format(root=self.paths.root))

    # --- sessions -------------------------------------------------------------------------------
    def new_session(
        self,
        *,
        device: str,
        needle_mm: float,
        treated_regions: Sequence[str],
        treated_at: datetime | None = None,
        products: Sequence[str] = (),
        notes: str = "",
        now: datetime | None = None,
    ) -> repo.Session:
        """Start a session. ``treated_at`` (treatment start) defaults to now."""
        self._writable()
        now = now or _utc_now()
        treated_at = treated_at or now
        if treated_at.tzinfo is None:
            raise TrackingError("the treatment start needs a time zone")
        if treated_at > now + MAX_PLANNED_AHEAD:
            raise TrackingError(
                f"the treatment start {_fmt_time(treated_at)} is more than a day ahead; check the date"
            )
        try:
            return repo.create_session(
                self.conn,
                treated_at=treated_at,
                device=device,
                needle_mm=needle_mm,
                treated_regions=treated_regions,
                products=products,
                notes=notes,
                created_at=now,
            )
        except ValueError as exc:
            raise TrackingError(str(exc)) from None

    def sessions(self) -> list[repo.Session]:
        return repo.list_sessions(self.conn)

    def session(self, session_id: int) -> repo.Session:
        return repo.get_session(self.conn, session_id)

    def delete_session(self, session_id: int) -> None:
        """Delete a session, its rows and the stored photos no other session uses."""
        self._writable()
        names = repo.delete_session(self.conn, session_id)
        self._analyses.clear()
        self._maps.clear()
        try:
            with db.transaction(self.conn):  # under the write lock: no import is adopting them
                referenced = repo.referenced_store_names(self.conn)
                for name in names:
                    if name not in referenced:
                        self.store.discard(name)
        except OSError:
            pass  # the rows are gone; a file left behind is unreferenced and harmless

    def photos(self, session_id: int) -> list[repo.PhotoRow]:
        return repo.session_photos(self.conn, session_id)

    def photo_bytes(self, photo: repo.PhotoRow) -> bytes:
        """The stored file of a photo, checked against its hash."""
        return self.store.read(photo.store_name, sha256=photo.sha256)

    def former_baselines(self, session_id: int) -> list[repo.PhotoRow]:
        """Photos taken before treatment that are not the current baseline: baselines replaced
        with ``replace``, which can be put back."""
        session = self.session(session_id)
        return [
            p
            for p in self.photos(session_id)
            if p.taken_at <= session.treated_at and p.id != session.baseline_photo_id
        ]

    # --- the person's answers -------------------------------------------------------------------
    def record_symptoms(self, session_id: int, symptoms: Symptoms, *, at: datetime | None = None) -> None:
        """Save what the person reports now (swelling, oozing, fever, pain beyond mild burning)."""
        self._writable()
        self.session(session_id)
        repo.add_answers(self.conn, session_id, "symptoms", symptoms.to_dict(), at=at)

    def symptoms(self, session_id: int) -> Symptoms | None:
        row = repo.latest_answers(self.conn, session_id, "symptoms")
        return None if row is None else Symptoms.from_dict(row.data)

    def save_questionnaire(
        self, session_id: int, answers: Answers | Mapping[str, object], *, at: datetime | None = None
    ) -> None:
        """Save pre-treatment questionnaire answers (:class:`Answers`, or their dict)."""
        self._writable()
        self.session(session_id)
        data = answers.to_dict() if isinstance(answers, Answers) else dict(answers)
        repo.add_answers(self.conn, session_id, "questionnaire", data, at=at)

    def questionnaire(self, session_id: int) -> dict | None:
        row = repo.latest_answers(self.conn, session_id, "questionnaire")
        return None if row is None else dict(row.data)

    def set_aftercare_step(
        self, session_id: int, step: str, done: bool, *, at: datetime | None = None
    ) -> None:
        """Tick (or untick) an aftercare step, such as the serum or mask right after treatment
        (:data:`skintrack.core.recovery.SERUM_STEP`)."""
        if step != SERUM_STEP:
            raise SkintrackError(f"unknown aftercare step {step!r}; steps: {SERUM_STEP}")
        self._writable()
        repo.set_aftercare_step(self.conn, session_id, step, done, at=at)

    def aftercare_steps(self, session_id: int) -> dict[str, datetime]:
        """The ticked aftercare steps of a session: step -> when ticked."""
        return repo.aftercare_steps(self.conn, session_id)

    def is_first_session(self, session_id: int | None = None) -> bool:
        """No session was treated before this one (``None``: no session recorded at all)."""
        from skintrack.core.questionnaire import is_first_session

        this = None if session_id is None else self.session(session_id)
        return is_first_session(self.sessions(), this)

    def findings(self, photo_id: int) -> list[repo.FindingRow]:
        return repo.photo_findings(self.conn, photo_id)

    def set_finding_verdict(self, photo_id: int, finding_id: str, verdict: str | None) -> None:
        """The person confirms or dismisses a finding (None undoes it)."""
        self._writable()
        try:
            repo.set_finding_verdict(self.conn, photo_id, finding_id, verdict)
        except ValueError as exc:
            raise TrackingError(str(exc)) from None

    def check_store(self) -> list[str]:
        """Problems found in the data folder: database integrity, missing or altered photo files."""
        problems = db.integrity_problems(self.conn)
        for session in self.sessions():
            for photo in self.photos(session.id):
                try:
                    self.photo_bytes(photo)
                except SkintrackError as exc:
                    problems.append(str(exc))
        return problems
