"""The session service: treatment sessions, their photos and the recovery status.

Used by the command line, the app and the report. It ties :mod:`skintrack.core` (photo intake,
analysis, comparison, the recovery model) to :mod:`skintrack.storage` (SQLite and the photo
store); neither of those imports it.

An import is done in two halves so that a crash cannot leave half of it behind:

1. everything slow and fallible happens first, in memory: read and decode each photo, check its
   capture time, analyse it with one :class:`~skintrack.core.face.FaceEngine`, compare it with
   the baseline. A photo that cannot be read refuses the whole import before anything is written.
2. then one ``BEGIN IMMEDIATE`` transaction copies the files into the store and inserts every
   row. Killed inside it, SQLite rolls the rows back; a store file written before the kill is
   unreferenced and harmless. Failing inside it (disk full), the rows roll back and the files this
   import added are removed again.

Capture times are compared as instants (UTC): a follow-up photo dated before the baseline, or
after "now", is refused; so is a baseline taken after the treatment started.

Every comparison is saved against the baseline in force when it commits: inside the write
transaction the session's baseline is read again, and when another process switched it while this
one was analysing, the comparisons are computed again there (ADR 0303). The data folder is opened
checked (:func:`skintrack.storage.folder.open_data_folder`): a damaged database is refused, a
read-only folder can be read but refuses every write in one sentence.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from skintrack.core.errors import Message, PhotoError, SkintrackError
from skintrack.core.printable import from_command_line
from skintrack.core.readable import span_text
from skintrack.core.recovery import (
    SERUM_STEP,
    Advice,
    Observation,
    RecoveryStatus,
    Spot,
    Symptoms,
    assess_recovery,
    new_spots,
)
from skintrack.storage import db, folder
from skintrack.storage import sessions as repo
from skintrack.storage.folder import BackupInfo, Diagnosis
from skintrack.storage.paths import DataPaths, resolve_data_dir
from skintrack.storage.photostore import PhotoStore

#: A capture time this far ahead of the computer's clock is still accepted: phone and computer
#: clocks drift by seconds to minutes, and refusing a photo for that would only confuse.
CLOCK_SKEW = timedelta(minutes=5)
#: A planned treatment may be entered up to a day ahead; further is almost surely a typing error.
MAX_PLANNED_AHEAD = timedelta(hours=24)
NOT_SAME_FACE = "the face does not look like the one in the baseline photo"
#: Key of the face-mesh landmarks (468 x, y photo pixels) in a stored analysis record.
MESH_KEY = "mesh_xy"
#: Scale assumed for new-spot distances when a baseline has none (mm per photo pixel).
DEFAULT_MM_PER_PX = 0.2
#: Stored photo names starting with this are phantom renders (the demo), labelled SIMULATED
#: wherever they are shown: the app and the reports ask :func:`is_simulated_name`.
SIMULATED_PREFIX = "SIMULATED"


def is_simulated_name(name: str) -> bool:
    """A photo rendered by the redness phantom (the demo), by its stored name."""
    return name.upper().startswith(SIMULATED_PREFIX)


def is_simulated_session(session: repo.Session, photos: Iterable[repo.PhotoRow]) -> bool:
    """A session shown as SIMULATED: its notes say so, or a photo of it is a phantom render."""
    return ("SIMULATED" in (session.notes or "").upper()
            or any(is_simulated_name(p.original_name) for p in photos))


class TrackingError(SkintrackError):
    """A session operation refused for a reason the person can act on."""


class CaptureTimeRefused(TrackingError):
    """A photo's capture time is missing, or impossible for its place in the session (a photo
    after treatment dated before it, a baseline dated after it, a date in the future).

    ``name`` is the photo's file name, ``taken_at`` the time found in it (None when it has none):
    the command line says to pass ``--taken-at``; the app asks the person for the time.
    """

    def __init__(self, message: str, *, name: str, taken_at: datetime | None = None) -> None:
        super().__init__(message)
        self.name = name
        self.taken_at = taken_at


class BaselineReplaceRefused(TrackingError):
    """Setting a baseline would replace one that photos after treatment are compared with; the
    caller must say ``replace`` (the command line's ``--replace``, a confirmation in the app)."""


@dataclass(frozen=True)
class PhotoSource:
    """A photo to import from memory (a camera frame encoded as PNG/JPEG by the app).

    ``taken_at`` overrides the time found in the file; it must be timezone-aware.
    """

    data: bytes
    name: str
    taken_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.data:
            raise ValueError("PhotoSource.data is empty")
        if self.taken_at is not None and self.taken_at.tzinfo is None:
            raise ValueError("PhotoSource.taken_at must be timezone-aware")


@dataclass(frozen=True)
class ImportResult:
    """One imported photo: its row, hours after treatment, and the comparison when it is a
    follow-up (None for the baseline)."""

    photo: repo.PhotoRow
    hours: float
    role: str  # "baseline" or "follow_up"
    comparison: repo.ComparisonRow | None = None
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.role not in ("baseline", "follow_up"):
            raise ValueError("role is 'baseline' or 'follow_up'")


@dataclass
class _Prepared:
    """A photo read, checked and analysed, ready to be saved (internal)."""

    data: bytes
    fmt: str
    name: str
    new_photo: repo.NewPhoto | None
    hours: float
    analysis_ok: bool
    analysis_record: dict
    findings: list[dict]
    comparison: repo.NewComparison | None = None
    warnings: list[str] = field(default_factory=list)
    photo: object = None  # the decoded Photo, dropped once analysed (it holds the pixels)
    stored: object = None  # the StoredPhoto once written to the store


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _fmt_time(when: datetime, *, seconds: bool = False) -> str:
    """A time as the person reads it: their local time zone, with the offset."""
    return when.astimezone().strftime(f"%Y-%m-%d %H:%M{':%S' if seconds else ''} %Z").strip()


def _fmt_two_times(a: datetime, b: datetime) -> tuple[str, str]:
    """Two times as :func:`_fmt_time`, with seconds when they fall in the same minute."""
    seconds = _fmt_time(a) == _fmt_time(b)
    return _fmt_time(a, seconds=seconds), _fmt_time(b, seconds=seconds)


class Tracker:
    """Sessions in one data folder. Use as a context manager, or call :meth:`close`.

    Parameters
    ----------
    data_dir
        The data folder (``--data-dir``); None uses ``$SKINTRACK_HOME`` or the user data folder.
    engine
        An open :class:`~skintrack.core.face.FaceEngine` to share (the caller closes it). Without
        one, the tracker opens its own on first use and closes it in :meth:`close`.
    """

    def __init__(self, data_dir: str | os.PathLike[str] | None = None, *, engine=None) -> None:
        self.paths: DataPaths = resolve_data_dir(data_dir)
        opened = folder.open_data_folder(self.paths)
        self.conn = opened.conn
        #: True when the data folder cannot be written (a read-only mount): reads only.
        self.read_only = opened.read_only
        self._disk_full = opened.disk_full
        self.store = PhotoStore(self.paths.photos)
        self._engine = engine
        self._own_engine = False
        self._baselines: dict[tuple[int, str], object] = {}  # (photo id, sha) -> Analysis

    # --- lifecycle ------------------------------------------------------------------------------
    def __enter__(self) -> Tracker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._own_engine and self._engine is not None:
            self._engine.close()
        self._engine = None
        self._baselines.clear()
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    @property
    def engine(self):
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
    def new_session(self, *, device: str, needle_mm: float, treated_regions: Sequence[str],
                    treated_at: datetime | None = None, products: Sequence[str] = (),
                    notes: str = "", now: datetime | None = None) -> repo.Session:
        """Start a session. ``treated_at`` (treatment start) defaults to now."""
        self._writable()
        now = now or _utc_now()
        treated_at = treated_at or now
        if treated_at.tzinfo is None:
            raise TrackingError("the treatment start needs a time zone")
        if treated_at > now + MAX_PLANNED_AHEAD:
            raise TrackingError(
                f"the treatment start {_fmt_time(treated_at)} is more than a day ahead; check the "
                "date")
        try:
            return repo.create_session(self.conn, treated_at=treated_at, device=device,
                                       needle_mm=needle_mm, treated_regions=treated_regions,
                                       products=products, notes=notes, created_at=now)
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
        self._baselines.clear()
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

    # --- importing ------------------------------------------------------------------------------
    def set_baseline(self, session_id: int, source: str | os.PathLike[str] | PhotoSource, *,
                     taken_at: datetime | None = None, now: datetime | None = None,
                     replace: bool = False) -> ImportResult:
        """Import the pre-treatment photo and make it the session's baseline.

        Any follow-up photos already saved are compared again with the new baseline, including
        those another process saves while this one analyses (found again under the write lock).
        A session that has a baseline and follow-ups keeps it unless ``replace`` (the photos after
        treatment are read against it: :class:`BaselineReplaceRefused`); a replaced baseline
        stays in the session and is put back by setting it again with ``replace``.
        """
        self._writable()
        now = now or _utc_now()
        session = self.session(session_id)
        prep = self._read(source, taken_at)
        self._check_not_future(prep, now)
        prep.hours = _hours(session, prep.new_photo.taken_at)
        if prep.new_photo.taken_at > session.treated_at:
            taken, started = _fmt_two_times(prep.new_photo.taken_at, session.treated_at)
            later = span_text((prep.new_photo.taken_at - session.treated_at).total_seconds())
            said = (f"{prep.name} was taken at {taken}{{hint}}, {later} after the treatment "
                    f"started ({started}); the baseline must be taken before treatment")
            raise CaptureTimeRefused(_hinted(said, prep), name=prep.name,
                                     taken_at=prep.new_photo.taken_at)
        existing = repo.find_photo(self.conn, session_id, prep.new_photo.sha256)
        if existing is not None and existing.id == session.baseline_photo_id:
            raise TrackingError(f"{prep.name} is already the baseline of session {session_id}")
        if existing is not None and existing.taken_at > session.treated_at:
            raise TrackingError(f"{prep.name} is already in session {session_id}")
        follow_ups = [p for p in self.photos(session_id) if p.taken_at > session.treated_at]
        if session.baseline_photo_id is not None and follow_ups and not replace:
            old = repo.get_photo(self.conn, session.baseline_photo_id)
            said = (f"session {session_id} already has a baseline ({old.original_name}) and "
                    f"{len(follow_ups)} photo{'s' if len(follow_ups) != 1 else ''} after "
                    "treatment compared with it")
            raise BaselineReplaceRefused(Message(
                f"{said}; pass --replace to make {prep.name} the baseline instead (the old one is "
                f"kept: `skintrack session baseline {session_id} {old.original_name} --replace` "
                "puts it back)",
                f"{said}. Confirm to make {prep.name} the baseline instead; the old one is kept "
                "in the session and can be made the baseline again."))

        analysis = self._analyze(prep)
        problem = _unusable_reason(analysis)
        if problem:
            raise TrackingError(f"{prep.name} cannot be the baseline: {problem}")
        # Re-compare the follow-ups already saved with the new baseline, before writing anything.
        redo = []
        for photo in follow_ups:
            later = self._analyze_stored(photo)
            redo.append(self._compare(session, analysis, later, photo_id=photo.id,
                                      hours=_hours(session, photo.taken_at)))

        def write(conn) -> list[ImportResult]:
            # A former baseline put back keeps its row, its findings and the person's choices.
            row = existing if existing is not None else self._save(conn, session_id, prep)
            repo.set_baseline(conn, session_id, row.id)
            # Under the write lock: a follow-up another process saved since we looked is compared
            # now, or it would be left compared with the old baseline only (out of the curve).
            done = {c.photo_id for c in redo}
            for photo in repo.session_photos(conn, session_id):
                if photo.taken_at > session.treated_at and photo.id not in done:
                    redo.append(self._compare(session, analysis, self._analyze_stored(photo),
                                              photo_id=photo.id,
                                              hours=_hours(session, photo.taken_at)))
            for cmp in redo:
                repo.save_comparison(conn, dataclasses.replace(cmp, baseline_photo_id=row.id))
            return [ImportResult(row, prep.hours, "baseline", None, tuple(prep.warnings))]

        result = self._commit([prep], write)[0]
        self._baselines[(result.photo.id, result.photo.sha256)] = analysis
        return result

    def former_baselines(self, session_id: int) -> list[repo.PhotoRow]:
        """Photos taken before treatment that are not the current baseline: baselines replaced
        with ``replace``, which can be put back."""
        session = self.session(session_id)
        return [p for p in self.photos(session_id) if p.taken_at <= session.treated_at
                and p.id != session.baseline_photo_id]

    def set_photo_time(self, session_id: int, photo_id: int, taken_at: datetime, *,
                       now: datetime | None = None) -> repo.PhotoRow:
        """Correct the capture time of a saved photo (a camera clock set wrong, a file date that
        is not the capture time). What depends on it is updated with it, in one transaction: the
        hours after treatment of its comparisons, and so the recovery curve and status.

        A photo keeps its place in the session: a photo before treatment (the baseline, or a
        former one) stays before the treatment start, a photo after it stays after it and not
        before the baseline; no time is in the future. Refused with :class:`CaptureTimeRefused`.
        """
        self._writable()
        if taken_at.tzinfo is None:
            raise TrackingError("the capture time needs a time zone")
        now = now or _utc_now()
        session = self.session(session_id)
        photo = repo.get_photo(self.conn, photo_id)
        if photo.session_id != session_id:
            raise TrackingError(f"photo {photo_id} is not part of session {session_id}")
        name = photo.original_name
        if taken_at > now + CLOCK_SKEW:
            raise CaptureTimeRefused(f"{name}: {_fmt_time(taken_at)} is in the future",
                                     name=name, taken_at=taken_at)
        before = photo.taken_at <= session.treated_at
        if before and taken_at > session.treated_at:
            raise CaptureTimeRefused(
                f"{name} is a photo before treatment: its time must be before the treatment "
                f"started ({_fmt_time(session.treated_at)})", name=name, taken_at=taken_at)
        if not before:
            if taken_at <= session.treated_at:
                raise CaptureTimeRefused(
                    f"{name} is a photo after treatment: its time must be after the treatment "
                    f"started ({_fmt_time(session.treated_at)})", name=name, taken_at=taken_at)
            if session.baseline_photo_id is not None:
                base = repo.get_photo(self.conn, session.baseline_photo_id)
                if taken_at < base.taken_at:
                    raise CaptureTimeRefused(
                        f"{name} cannot be dated before the baseline photo "
                        f"({_fmt_time(base.taken_at)})", name=name, taken_at=taken_at)
        return repo.set_photo_time(self.conn, photo_id, taken_at.astimezone(UTC),
                                   hours=_hours(session, taken_at), source="given")

    def add_photos(self, session_id: int,
                   sources: Iterable[str | os.PathLike[str] | PhotoSource], *,
                   taken_at: datetime | None = None,
                   now: datetime | None = None) -> list[ImportResult]:
        """Import post-treatment photos, compare each with the baseline and save it all at once.

        Every photo is read and checked before anything is saved: one unreadable photo or
        refused capture time refuses the whole import, with nothing changed. The comparisons are
        saved against the baseline in force at the commit (computed again if it changed).
        """
        self._writable()
        now = now or _utc_now()
        session = self.session(session_id)
        if session.baseline_photo_id is None:
            said = (f"session {session_id} has no baseline photo yet; add the photo taken "
                    "before treatment")
            raise TrackingError(Message(
                f"{said} with `skintrack session baseline {session_id} PHOTO`",
                f"{said} first: it becomes the baseline."))
        baseline_row = repo.get_photo(self.conn, session.baseline_photo_id)
        sources = list(sources)
        if not sources:
            raise TrackingError("name at least one photo")
        preps = [self._read(s, taken_at) for s in sources]
        seen: set[str] = set()
        for p in preps:
            self._check_not_future(p, now)
            t = p.new_photo.taken_at
            if t < baseline_row.taken_at:
                said = (f"{p.name} was taken at {_fmt_time(t)}{{hint}}, before the baseline "
                        f"photo ({_fmt_time(baseline_row.taken_at)}); check the camera clock")
                raise CaptureTimeRefused(_hinted(said, p, always=True), name=p.name, taken_at=t)
            if t < session.treated_at:
                said = (f"{p.name} was taken at {_fmt_time(t)}{{hint}}, before the treatment "
                        f"started ({_fmt_time(session.treated_at)}); a photo before treatment can "
                        "only be the baseline")
                cli = _hinted(said, p)
                raise CaptureTimeRefused(Message(
                    f"{cli} (`skintrack session baseline {session_id} PHOTO`)", cli.plain),
                    name=p.name, taken_at=t)
            sha = p.new_photo.sha256
            if sha in seen or repo.find_photo(self.conn, session_id, sha) is not None:
                raise TrackingError(f"{p.name} is already in session {session_id}")
            seen.add(sha)
            p.hours = _hours(session, t)

        baseline = self._baseline_analysis(baseline_row)
        for p in preps:
            later = self._analyze(p)
            p.comparison = self._compare(session, baseline, later, photo_id=0, hours=p.hours)
            if not p.comparison.usable:
                p.warnings.append(f"not used for the recovery curve: {p.comparison.excluded_reason}")

        def write(conn) -> list[ImportResult]:
            base_row = self._baseline_in_force(conn, session, baseline_row, preps)
            out = []
            for p in preps:
                row = self._save(conn, session_id, p)
                cmp = repo.save_comparison(conn, dataclasses.replace(
                    p.comparison, photo_id=row.id, baseline_photo_id=base_row.id))
                out.append(ImportResult(row, p.hours, "follow_up", cmp, tuple(p.warnings)))
            return out

        return self._commit(preps, write)

    def _baseline_in_force(self, conn, session: repo.Session, compared_with: repo.PhotoRow,
                           preps: Sequence[_Prepared]) -> repo.PhotoRow:
        """Inside the import transaction: the session's baseline now. When another process set
        a new one since ``preps`` were compared, compare them again with it (rare, and slow: it
        holds the write lock for the analyses)."""
        current = repo.get_session(conn, session.id)
        if current.baseline_photo_id == compared_with.id:
            return compared_with
        if current.baseline_photo_id is None:
            raise TrackingError(f"the baseline of session {session.id} was removed meanwhile; "
                                "nothing was saved")
        base_row = repo.get_photo(conn, current.baseline_photo_id)
        baseline = self._baseline_analysis(base_row)
        for p in preps:
            if p.new_photo.taken_at < base_row.taken_at:
                raise TrackingError(
                    f"{p.name} was taken at {_fmt_time(p.new_photo.taken_at)}, before the baseline "
                    f"photo set meanwhile ({_fmt_time(base_row.taken_at)}); nothing was saved")
            later = self._analyze_data(p.data, p.name)
            p.comparison = self._compare(current, baseline, later, photo_id=0, hours=p.hours)
            p.warnings = [w for w in p.warnings if not w.startswith("not used for the recovery")]
            if not p.comparison.usable:
                p.warnings.append(
                    f"not used for the recovery curve: {p.comparison.excluded_reason}")
        return base_row

    # --- the person's answers -------------------------------------------------------------------
    def record_symptoms(self, session_id: int, symptoms: Symptoms, *,
                        at: datetime | None = None) -> None:
        """Save what the person reports now (swelling, oozing, fever, pain beyond mild burning)."""
        self._writable()
        self.session(session_id)
        repo.add_answers(self.conn, session_id, "symptoms", symptoms.to_dict(), at=at)

    def symptoms(self, session_id: int) -> Symptoms | None:
        row = repo.latest_answers(self.conn, session_id, "symptoms")
        return None if row is None else Symptoms.from_dict(row.data)

    def save_questionnaire(self, session_id: int, answers, *, at: datetime | None = None) -> None:
        """Save pre-treatment questionnaire answers (an object with ``to_dict()``, or a dict)."""
        self._writable()
        self.session(session_id)
        data = answers.to_dict() if hasattr(answers, "to_dict") else dict(answers)
        repo.add_answers(self.conn, session_id, "questionnaire", data, at=at)

    def questionnaire(self, session_id: int) -> dict | None:
        row = repo.latest_answers(self.conn, session_id, "questionnaire")
        return None if row is None else dict(row.data)

    def set_aftercare_step(self, session_id: int, step: str, done: bool, *,
                           at: datetime | None = None) -> None:
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

    # --- status ---------------------------------------------------------------------------------
    def status(self, session_id: int, *, now: datetime | None = None) -> RecoveryStatus:
        """The recovery status of a session at ``now`` (default: the current time)."""
        from skintrack.core.compare import REAL_CHANGE_A_STAR

        now = now or _utc_now()
        session = self.session(session_id)
        photos = {p.id: p for p in self.photos(session_id)}
        series: dict[str, list[Observation]] = {}
        excluded = []
        later_spots: list[Spot] = []
        evidence, to_look_at = (), ()
        if session.baseline_photo_id is not None:
            base_mesh, base_mm = self._mesh(session.baseline_photo_id)
            for cmp in repo.session_comparisons(self.conn, session_id, session.baseline_photo_id):
                photo = photos.get(cmp.photo_id)
                if photo is None:
                    continue  # its row could not be read (a warning named it)
                if photo.taken_at > now:
                    continue  # assessing an earlier moment: photos after it do not exist yet
                if not cmp.usable:
                    excluded.append({"photo_id": cmp.photo_id, "name": photo.original_name,
                                     "hours": round(cmp.hours, 2), "reason": cmp.excluded_reason})
                    continue
                recorded = (cmp.record or {}).get("regions") or {}
                for region, ch in cmp.changes.items():
                    dei = (recorded.get(region) or {}).get("delta_erythema_index")
                    series.setdefault(region, []).append(Observation(
                        cmp.hours, ch.delta_a_star, ch.uncertainty, ch.real_change,
                        photo_id=cmp.photo_id,
                        delta_erythema_index=float(dei) if isinstance(dei, int | float) else None))
                later_spots += self._spots(cmp.photo_id, base_mesh, hours=cmp.hours)
            baseline_spots = self._spots(session.baseline_photo_id, base_mesh, hours=None)
            evidence, to_look_at = new_spots(
                baseline_spots, later_spots, treated=session.treated_regions,
                mm_per_px=base_mm or DEFAULT_MM_PER_PX)
            to_look_at = tuple(self._with_crop(s, photos) for s in to_look_at)
        symptoms = self.symptoms(session_id)
        status = assess_recovery(
            series, treated_regions=session.treated_regions, treated_at=session.treated_at,
            now=now, threshold=REAL_CHANGE_A_STAR, symptoms=symptoms, new_findings=evidence,
            needle_mm=session.needle_mm, spots_to_look_at=to_look_at,
            serum_applied=SERUM_STEP in self.aftercare_steps(session_id))
        advice = status.advice
        not_alike = [e for e in excluded if e["reason"] == NOT_SAME_FACE]
        if not_alike and status.urgency == "none":
            # compare's identity check also fails when the skin itself has changed a lot, and a
            # strong reaction must not vanish from view as "someone else's photo".
            hours = ", ".join(f"{e['hours']:.1f} h" for e in not_alike)
            advice = (Advice(
                "photo_not_comparable", "caution",
                f"The photo at {hours} could not be compared with your baseline: the face looks "
                "different. A strong skin reaction can do that. If your skin looks much redder or "
                "swollen, stop use and consult a dermatologist; otherwise take another photo in "
                "the same light and pose as the baseline."),) + advice
        if session.baseline_photo_id is None:
            said = "This session has no baseline photo: add the photo taken before treatment"
            advice = (Advice("no_baseline", "info", Message(
                f"{said} with `skintrack session baseline {session_id} PHOTO`.",
                f"{said}; it becomes the baseline that later photos are compared with.")),
                      ) + advice
        extra = {"session": session.id, "baseline_photo_id": session.baseline_photo_id,
                 "device": session.device, "needle_mm": session.needle_mm,
                 "photos": len(photos), "excluded_photos": excluded}
        return dataclasses.replace(status, advice=advice, extra=extra)

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

    # --- internals ------------------------------------------------------------------------------
    def _read(self, source, taken_at: datetime | None) -> _Prepared:
        from skintrack.core.intake import MAX_FILE_BYTES, decode_photo

        if isinstance(source, PhotoSource):
            data, name, mtime = source.data, source.name, None
            taken_at = source.taken_at or taken_at
        else:
            path = Path(source)
            name = str(source)
            try:
                st = path.stat()
                if st.st_size > MAX_FILE_BYTES:  # refuse before reading it into memory
                    raise PhotoError(
                        f"{name}: the file is {st.st_size / 1e6:.0f} MB, more than the "
                        f"{MAX_FILE_BYTES / 1e6:.0f} MB skintrack accepts")
                data = path.read_bytes()
                mtime = st.st_mtime
            except FileNotFoundError:
                raise PhotoError(f"{name}: no such file") from None
            except IsADirectoryError:
                raise PhotoError(f"{name}: is a folder, not a photo") from None
            except OSError as exc:
                raise PhotoError(f"{name}: cannot be read ({exc.strerror or exc})") from None
        # A file name from the command line may hold bytes that are not UTF-8 (kept by Python as
        # lone surrogates, which SQLite cannot store): keep a readable name with U+FFFD instead.
        base_name = from_command_line(Path(name).name)
        photo = decode_photo(data, path=name, mtime=mtime, name=base_name)
        warnings = []
        if taken_at is not None:
            if taken_at.tzinfo is None:
                raise TrackingError(Message("--taken-at needs a time zone",
                                            "the capture time needs a time zone"))
            when, source_kind = taken_at, "given"
        elif photo.taken_at is not None:
            when, source_kind = photo.taken_at, photo.taken_at_source
            if photo.approximate_time:
                said = (f"{base_name}: no capture time in the photo; using the file's date "
                        f"{_fmt_time(when)}")
                warnings.append(Message(f"{said} (pass --taken-at if that is wrong)",
                                        f"{said}. If that is wrong, correct the photo's time."))
        else:
            said = f"{name}: the photo has no capture time"
            raise CaptureTimeRefused(Message(f"{said}; pass --taken-at",
                                             f"{said}; say when it was taken."), name=base_name)
        new_photo = repo.NewPhoto(
            sha256=photo.sha256, store_name="", original_name=base_name,
            width=photo.width, height=photo.height, taken_at=when.astimezone(UTC),
            taken_at_source=source_kind)
        return _Prepared(data=data, fmt=photo.format, name=base_name, new_photo=new_photo,
                         hours=0.0, analysis_ok=False, analysis_record={}, findings=[],
                         warnings=warnings, photo=photo)

    def _check_not_future(self, prep: _Prepared, now: datetime) -> None:
        t = prep.new_photo.taken_at
        if t > now + CLOCK_SKEW:
            said = f"{prep.name} is dated {_fmt_time(t)}, in the future; check the camera clock"
            raise CaptureTimeRefused(Message(f"{said} or pass --taken-at",
                                             f"{said} or correct the photo's time."),
                                     name=prep.name, taken_at=t)

    def _analyze(self, prep: _Prepared):
        from skintrack.core.analysis import analysis_record, analyze_photo

        analysis = analyze_photo(prep.photo, self.engine)
        prep.analysis_ok = bool(analysis.quality.ok and analysis.face is not None)
        prep.analysis_record = analysis_record(analysis)
        if analysis.face is not None:  # for placing findings on the baseline (new spots)
            prep.analysis_record["face"][MESH_KEY] = [
                [round(float(x), 1), round(float(y), 1)] for x, y in analysis.face.xy[:468]]
        prep.findings = [f.to_record() for f in analysis.findings]
        prep.photo = None
        return analysis

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

    def _save(self, conn, session_id: int, prep: _Prepared) -> repo.PhotoRow:
        """Inside the import transaction: store the file, then its rows."""
        stored = self.store.put(prep.data, prep.fmt)
        prep.stored = stored
        row = repo.insert_photo(conn, session_id,
                                dataclasses.replace(prep.new_photo, store_name=stored.name))
        repo.save_analysis(conn, row.id, quality_ok=prep.analysis_ok,
                           record=prep.analysis_record, findings=prep.findings)
        return row

    def _commit(self, preps: Sequence[_Prepared], write):
        try:
            with db.transaction(self.conn):
                return write(self.conn)
        except BaseException:
            self._discard_new_files(preps)
            raise

    def _discard_new_files(self, preps: Sequence[_Prepared]) -> None:
        """After a failed import, remove store files it created that no row refers to.

        Done under the write lock: every import writes its files while holding it, so no other
        import can be about to refer to a file we remove.
        """
        created = [p.stored.name for p in preps if p.stored is not None and p.stored.created]
        if not created:
            return
        try:
            with db.transaction(self.conn):
                referenced = repo.referenced_store_names(self.conn)
                for name in created:
                    if name not in referenced:
                        self.store.discard(name)
        except (SkintrackError, OSError):
            pass  # an unreferenced file is harmless; never hide the original error


# --- the doctor ------------------------------------------------------------------------------------
def no_session_yet(data_dir: str | os.PathLike[str] | None = None) -> bool:
    """Whether the data folder holds no session yet (a first session: the checklist asks whether
    the person is a beginner). Read-only: nothing is created or migrated; a missing, unreadable or
    older folder counts as none, so the question is asked rather than skipped."""
    path = resolve_data_dir(data_dir).database
    if not path.is_file():
        return True
    try:
        conn = db.connect(path, read_only=True)
    except Exception:  # noqa: BLE001 - any trouble reading: treat as a first session and ask
        return True
    try:
        return conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 0
    except Exception:  # noqa: BLE001
        return True
    finally:
        conn.close()


def diagnose(data_dir: str | os.PathLike[str] | None = None) -> Diagnosis:
    """Check a data folder without changing it (``skintrack doctor``; the app at start)."""
    return folder.diagnose(resolve_data_dir(data_dir))


def restore_backup(backup: BackupInfo | str | os.PathLike[str],
                   data_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """Put a backup back as the database; the current one is set aside (returned), not deleted."""
    path = backup.path if isinstance(backup, BackupInfo) else Path(backup)
    return folder.restore_backup(resolve_data_dir(data_dir), path)


def _hinted(said: str, prep: _Prepared, *, always: bool = False) -> Message:
    """``said`` with its ``{hint}`` filled in: when the capture time is only the file's date
    (or ``always``), the command line is told to pass ``--taken-at``, the app to correct the
    time."""
    by_file = prep.new_photo.taken_at_source == "file_time"
    where = " (by the file's date)" if by_file else ""
    text = said.replace("{hint}", where)  # not format: a file name may hold braces
    if by_file or always:
        return Message(f"{text}; pass --taken-at with the real time",
                       f"{text}. If the time is wrong, correct it.")
    return Message(text)


def _hours(session: repo.Session, when: datetime) -> float:
    return (when - session.treated_at).total_seconds() / 3600.0


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
