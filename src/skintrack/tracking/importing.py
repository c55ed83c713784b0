"""The two-phase import of a photo into a session: read and prepare, check its capture time,
then save, commit, or discard what was written.

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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from skintrack.core.errors import Message, PhotoError, SkintrackError
from skintrack.core.lesions import Finding
from skintrack.core.printable import from_command_line
from skintrack.core.readable import span_text
from skintrack.storage import db
from skintrack.storage import sessions as repo
from skintrack.tracking.errors import BaselineReplaceRefused, CaptureTimeRefused, TrackingError
from skintrack.tracking.records import (
    CLOCK_SKEW,
    MESH_KEY,
    ImportResult,
    PhotoSource,
    _fmt_time,
    _fmt_two_times,
    _hours,
    _utc_now,
)
from skintrack.tracking.views import ViewsMixin, _unusable_reason

if TYPE_CHECKING:
    import sqlite3

    from skintrack.core.analysis import Analysis
    from skintrack.core.intake import Photo
    from skintrack.storage.photostore import StoredPhoto


@dataclass
class _Prepared:
    """A photo read, checked and analysed, ready to be saved (internal)."""

    data: bytes
    fmt: str
    name: str
    new_photo: repo.NewPhoto
    hours: float
    analysis_ok: bool
    analysis_record: dict
    findings: list[Finding]
    comparison: repo.NewComparison | None = None
    warnings: list[str] = field(default_factory=list)
    photo: Photo | None = None  # the decoded photo, dropped once analysed (it holds the pixels)
    stored: StoredPhoto | None = None  # once written to the store


class ImportingMixin(ViewsMixin):
    """The import half of :class:`~skintrack.tracking.Tracker` (its state lives there)."""

    def set_baseline(
        self,
        session_id: int,
        source: str | os.PathLike[str] | PhotoSource,
        *,
        taken_at: datetime | None = None,
        now: datetime | None = None,
        replace: bool = False,
    ) -> ImportResult:
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
            said = (
                f"{prep.name} was taken at {taken}{{hint}}, {later} after the treatment "
                f"started ({started}); the baseline must be taken before treatment"
            )
            raise CaptureTimeRefused(_hinted(said, prep), name=prep.name, taken_at=prep.new_photo.taken_at)
        existing = repo.find_photo(self.conn, session_id, prep.new_photo.sha256)
        if existing is not None and existing.id == session.baseline_photo_id:
            raise TrackingError(f"{prep.name} is already the baseline of session {session_id}")
        if existing is not None and existing.taken_at > session.treated_at:
            raise TrackingError(f"{prep.name} is already in session {session_id}")
        follow_ups = [p for p in self.photos(session_id) if p.taken_at > session.treated_at]
        if session.baseline_photo_id is not None and follow_ups and not replace:
            old = repo.get_photo(self.conn, session.baseline_photo_id)
            said = (
                f"session {session_id} already has a baseline ({old.original_name}) and "
                f"{len(follow_ups)} photo{'s' if len(follow_ups) != 1 else ''} after "
                "treatment compared with it"
            )
            raise BaselineReplaceRefused(
                Message(
                    f"{said}; pass --replace to make {prep.name} the baseline instead (the old one is "
                    f"kept: `skintrack session baseline {session_id} {old.original_name} --replace` "
                    "puts it back)",
                    f"{said}. Confirm to make {prep.name} the baseline instead; the old one is kept "
                    "in the session and can be made the baseline again.",
                )
            )

        analysis = self._analyze(prep)
        problem = _unusable_reason(analysis)
        if problem:
            raise TrackingError(f"{prep.name} cannot be the baseline: {problem}")

        def compared(photo: repo.PhotoRow) -> repo.NewComparison:
            return self._compare(
                session,
                analysis,
                self.stored_analysis(photo),
                photo_id=photo.id,
                hours=_hours(session, photo.taken_at),
            )

        # Re-compare the follow-ups already saved with the new baseline, before writing anything.
        redo = [compared(photo) for photo in follow_ups]

        def write(conn: sqlite3.Connection) -> list[ImportResult]:
            # A former baseline put back keeps its row, its findings and the person's choices.
            row = existing if existing is not None else self._save(conn, session_id, prep)
            repo.set_baseline(conn, session_id, row.id)
            # Under the write lock: a follow-up another process saved since we looked is compared
            # now, or it would be left compared with the old baseline only (out of the curve).
            done = {c.photo_id for c in redo}
            for photo in repo.session_photos(conn, session_id):
                if photo.taken_at > session.treated_at and photo.id not in done:
                    redo.append(compared(photo))
            for cmp in redo:
                repo.save_comparison(conn, dataclasses.replace(cmp, baseline_photo_id=row.id))
            return [ImportResult(row, prep.hours, "baseline", None, tuple(prep.warnings))]

        result = self._commit([prep], write)[0]
        self._keep((result.photo.id, result.photo.sha256), analysis)
        return result

    def set_photo_time(
        self, session_id: int, photo_id: int, taken_at: datetime, *, now: datetime | None = None
    ) -> repo.PhotoRow:
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
            raise CaptureTimeRefused(
                f"{name}: {_fmt_time(taken_at)} is in the future", name=name, taken_at=taken_at
            )
        before = photo.taken_at <= session.treated_at
        if before and taken_at > session.treated_at:
            raise CaptureTimeRefused(
                f"{name} is a photo before treatment: its time must be before the treatment "
                f"started ({_fmt_time(session.treated_at)})",
                name=name,
                taken_at=taken_at,
            )
        if not before:
            if taken_at <= session.treated_at:
                raise CaptureTimeRefused(
                    f"{name} is a photo after treatment: its time must be after the treatment "
                    f"started ({_fmt_time(session.treated_at)})",
                    name=name,
                    taken_at=taken_at,
                )
            if session.baseline_photo_id is not None:
                base = repo.get_photo(self.conn, session.baseline_photo_id)
                if taken_at < base.taken_at:
                    raise CaptureTimeRefused(
                        f"{name} cannot be dated before the baseline photo ({_fmt_time(base.taken_at)})",
                        name=name,
                        taken_at=taken_at,
                    )
        return repo.set_photo_time(
            self.conn, photo_id, taken_at.astimezone(UTC), hours=_hours(session, taken_at), source="given"
        )

    def add_photos(
        self,
        session_id: int,
        sources: Iterable[str | os.PathLike[str] | PhotoSource],
        *,
        taken_at: datetime | None = None,
        now: datetime | None = None,
    ) -> list[ImportResult]:
        """Import post-treatment photos, compare each with the baseline and save it all at once.

        Every photo is read and checked before anything is saved: one unreadable photo or
        refused capture time refuses the whole import, with nothing changed. The comparisons are
        saved against the baseline in force at the commit (computed again if it changed).
        """
        self._writable()
        now = now or _utc_now()
        session = self.session(session_id)
        if session.baseline_photo_id is None:
            said = f"session {session_id} has no baseline photo yet; add the photo taken before treatment"
            raise TrackingError(
                Message(
                    f"{said} with `skintrack session baseline {session_id} PHOTO`",
                    f"{said} first: it becomes the baseline.",
                )
            )
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
                said = (
                    f"{p.name} was taken at {_fmt_time(t)}{{hint}}, before the baseline "
                    f"photo ({_fmt_time(baseline_row.taken_at)}); check the camera clock"
                )
                raise CaptureTimeRefused(_hinted(said, p, always=True), name=p.name, taken_at=t)
            if t < session.treated_at:
                said = (
                    f"{p.name} was taken at {_fmt_time(t)}{{hint}}, before the treatment "
                    f"started ({_fmt_time(session.treated_at)}); a photo before treatment can "
                    "only be the baseline"
                )
                cli = _hinted(said, p)
                raise CaptureTimeRefused(
                    Message(f"{cli} (`skintrack session baseline {session_id} PHOTO`)", cli.plain),
                    name=p.name,
                    taken_at=t,
                )
            sha = p.new_photo.sha256
            if sha in seen or repo.find_photo(self.conn, session_id, sha) is not None:
                raise TrackingError(f"{p.name} is already in session {session_id}")
            seen.add(sha)
            p.hours = _hours(session, t)

        baseline = self.stored_analysis(baseline_row)
        for p in preps:
            later = self._analyze(p)
            compared = self._compare(session, baseline, later, photo_id=0, hours=p.hours)
            p.comparison = compared
            if not compared.usable:
                p.warnings.append(f"not used for the recovery curve: {compared.excluded_reason}")

        def write(conn: sqlite3.Connection) -> list[ImportResult]:
            base_row = self._baseline_in_force(conn, session, baseline_row, preps)
            out = []
            for p in preps:
                compared = p.comparison
                assert compared is not None  # every follow-up was compared above
                row = self._save(conn, session_id, p)
                cmp = repo.save_comparison(
                    conn, dataclasses.replace(compared, photo_id=row.id, baseline_photo_id=base_row.id)
                )
                out.append(ImportResult(row, p.hours, "follow_up", cmp, tuple(p.warnings)))
            return out

        return self._commit(preps, write)

    def _baseline_in_force(
        self,
        conn: sqlite3.Connection,
        session: repo.Session,
        compared_with: repo.PhotoRow,
        preps: Sequence[_Prepared],
    ) -> repo.PhotoRow:
        """Inside the import transaction: the session's baseline now. When another process set
        a new one since ``preps`` were compared, compare them again with it (rare, and slow: it
        holds the write lock for the analyses)."""
        current = repo.get_session(conn, session.id)
        if current.baseline_photo_id == compared_with.id:
            return compared_with
        if current.baseline_photo_id is None:
            raise TrackingError(
                f"the baseline of session {session.id} was removed meanwhile; nothing was saved"
            )
        base_row = repo.get_photo(conn, current.baseline_photo_id)
        baseline = self.stored_analysis(base_row)
        for p in preps:
            if p.new_photo.taken_at < base_row.taken_at:
                raise TrackingError(
                    f"{p.name} was taken at {_fmt_time(p.new_photo.taken_at)}, before the baseline "
                    f"photo set meanwhile ({_fmt_time(base_row.taken_at)}); nothing was saved"
                )
            later = self._analyze_data(p.data, p.name)
            compared = self._compare(current, baseline, later, photo_id=0, hours=p.hours)
            p.comparison = compared
            p.warnings = [w for w in p.warnings if not w.startswith("not used for the recovery")]
            if not compared.usable:
                p.warnings.append(f"not used for the recovery curve: {compared.excluded_reason}")
        return base_row

    # --- internals ------------------------------------------------------------------------------
    def _read(self, source: str | os.PathLike[str] | PhotoSource, taken_at: datetime | None) -> _Prepared:
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
                        f"{MAX_FILE_BYTES / 1e6:.0f} MB skintrack accepts"
                    )
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
        warnings: list[str] = []
        if taken_at is not None:
            if taken_at.tzinfo is None:
                raise TrackingError(
                    Message("--taken-at needs a time zone", "the capture time needs a time zone")
                )
            when, source_kind = taken_at, "given"
        elif photo.taken_at is not None:
            when, source_kind = photo.taken_at, photo.taken_at_source
            if photo.approximate_time:
                said = f"{base_name}: no capture time in the photo; using the file's date {_fmt_time(when)}"
                warnings.append(
                    Message(
                        f"{said} (pass --taken-at if that is wrong)",
                        f"{said}. If that is wrong, correct the photo's time.",
                    )
                )
        else:
            said = f"{name}: the photo has no capture time"
            raise CaptureTimeRefused(
                Message(f"{said}; pass --taken-at", f"{said}; say when it was taken."), name=base_name
            )
        new_photo = repo.NewPhoto(
            sha256=photo.sha256,
            store_name="",
            original_name=base_name,
            width=photo.width,
            height=photo.height,
            taken_at=when.astimezone(UTC),
            taken_at_source=source_kind,
        )
        return _Prepared(
            data=data,
            fmt=photo.format,
            name=base_name,
            new_photo=new_photo,
            hours=0.0,
            analysis_ok=False,
            analysis_record={},
            findings=[],
            warnings=warnings,
            photo=photo,
        )

    def _check_not_future(self, prep: _Prepared, now: datetime) -> None:
        t = prep.new_photo.taken_at
        if t > now + CLOCK_SKEW:
            said = f"{prep.name} is dated {_fmt_time(t)}, in the future; check the camera clock"
            raise CaptureTimeRefused(
                Message(f"{said} or pass --taken-at", f"{said} or correct the photo's time."),
                name=prep.name,
                taken_at=t,
            )

    def _analyze(self, prep: _Prepared) -> Analysis:
        from skintrack.core.analysis import analysis_record, analyze_photo

        if prep.photo is None:
            raise TrackingError(f"{prep.name} was analysed already")  # a photo is analysed once
        analysis = analyze_photo(prep.photo, self.engine)
        prep.analysis_ok = bool(analysis.quality.ok and analysis.face is not None)
        prep.analysis_record = analysis_record(analysis)
        if analysis.face is not None:  # for placing findings on the baseline (new spots)
            prep.analysis_record["face"][MESH_KEY] = [
                [round(float(x), 1), round(float(y), 1)] for x, y in analysis.face.xy[:468]
            ]
        prep.findings = list(analysis.findings)
        prep.photo = None
        return analysis

    def _save(self, conn: sqlite3.Connection, session_id: int, prep: _Prepared) -> repo.PhotoRow:
        """Inside the import transaction: store the file, then its rows."""
        stored = self.store.put(prep.data, prep.fmt)
        prep.stored = stored
        row = repo.insert_photo(conn, session_id, dataclasses.replace(prep.new_photo, store_name=stored.name))
        repo.save_analysis(
            conn, row.id, quality_ok=prep.analysis_ok, record=prep.analysis_record, findings=prep.findings
        )
        return row

    def _commit(
        self, preps: Sequence[_Prepared], write: Callable[[sqlite3.Connection], list[ImportResult]]
    ) -> list[ImportResult]:
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


def _hinted(said: str, prep: _Prepared, *, always: bool = False) -> Message:
    """``said`` with its ``{hint}`` filled in: when the capture time is only the file's date
    (or ``always``), the command line is told to pass ``--taken-at``, the app to correct the
    time."""
    by_file = prep.new_photo.taken_at_source == "file_time"
    where = " (by the file's date)" if by_file else ""
    text = said.replace("{hint}", where)  # not format: a file name may hold braces
    if by_file or always:
        return Message(
            f"{text}; pass --taken-at with the real time", f"{text}. If the time is wrong, correct it."
        )
    return Message(text)
