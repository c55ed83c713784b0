"""Repositories for sessions, photos, analyses, findings, comparisons and answers.

Plain functions over an open connection (:func:`skintrack.storage.db.connect`): frozen dataclasses
in, frozen dataclasses out. A function that writes several rows does so atomically: inside the
caller's transaction when there is one (so a whole import commits or vanishes together), else in
its own.

Times are stored as UTC text in one fixed format, so comparing and sorting them in SQL is comparing
instants, whatever the time zone of the camera or the computer.

A row that cannot be read back (a time that does not parse, an unknown region, invalid JSON:
written by another tool or damaged) is skipped with a warning naming it (logger
``skintrack.storage``), so it never takes the other rows down; asked for by its id, it is refused
with the same sentence.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from skintrack.core.lesions import Finding
from skintrack.storage.db import StorageError, storage_errors, transaction

# The records live in storage/records.py; all of them are also read through this module (repo.X).
from skintrack.storage.records import (  # noqa: F401  (re-exported)
    _UNREADABLE,
    ANSWER_KINDS,
    MAX_PLAUSIBLE_NEEDLE_MM,
    VERDICTS,
    AnswerRow,
    ComparisonRecord,
    ComparisonRow,
    FindingRow,
    NewComparison,
    NewPhoto,
    PhotoRow,
    RegionDelta,
    RegionReading,
    Session,
    _aware,
    check_session_fields,
    parse_utc,
    utc_text,
)

log = logging.getLogger("skintrack.storage")
_T = TypeVar("_T")


# --- helpers -------------------------------------------------------------------------------------
def _readable(
    rows: Iterable[sqlite3.Row], convert: Callable[[sqlite3.Row], _T], name: Callable[[sqlite3.Row], str]
) -> list[_T]:
    """``convert`` each row; a row that cannot be read is skipped with a warning naming it."""
    out: list[_T] = []
    for r in rows:
        try:
            out.append(convert(r))
        except _UNREADABLE as exc:
            log.warning(
                "%s cannot be read and is left out (%s); run `skintrack doctor`", name(r), _short(exc)
            )
    return out


def _one(row: sqlite3.Row, convert: Callable[[sqlite3.Row], _T], name: str) -> _T:
    """``convert`` one row asked for by its id; refuse it in one sentence if it cannot be read."""
    try:
        return convert(row)
    except _UNREADABLE as exc:
        raise StorageError(f"{name} cannot be read ({_short(exc)}); run `skintrack doctor`") from None


def _short(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _new_id(cur: sqlite3.Cursor) -> int:
    """The rowid an INSERT just wrote (``lastrowid`` is typed optional; sqlite3 sets it after one)."""
    rowid = cur.lastrowid
    if rowid is None:
        raise StorageError("the database did not return the new row's number")
    return rowid


@contextlib.contextmanager
def _atomic(conn: sqlite3.Connection) -> Iterator[None]:
    if conn.in_transaction:
        with storage_errors():
            yield
    else:
        with transaction(conn):
            yield


def _session(row: sqlite3.Row) -> Session:
    return Session(
        id=row["id"],
        created_at=parse_utc(row["created_at"]),
        treated_at=parse_utc(row["treated_at"]),
        device=row["device"],
        needle_mm=float(row["needle_mm"]),
        treated_regions=tuple(json.loads(row["treated_regions"])),
        products=tuple(json.loads(row["products"])),
        notes=row["notes"],
        baseline_photo_id=row["baseline_photo_id"],
    )


def _photo(row: sqlite3.Row) -> PhotoRow:
    return PhotoRow(
        id=row["id"],
        session_id=row["session_id"],
        sha256=row["sha256"],
        store_name=row["store_name"],
        original_name=row["original_name"],
        width=row["width"],
        height=row["height"],
        taken_at=parse_utc(row["taken_at"]),
        taken_at_source=row["taken_at_source"],
        added_at=parse_utc(row["added_at"]),
    )


# --- sessions ------------------------------------------------------------------------------------
def create_session(
    conn: sqlite3.Connection,
    *,
    treated_at: datetime,
    device: str,
    needle_mm: float,
    treated_regions: Sequence[str],
    products: Sequence[str] = (),
    notes: str = "",
    created_at: datetime | None = None,
) -> Session:
    """Save a new treatment session and return it."""
    created_at = created_at or datetime.now(UTC)
    # Validate through the dataclass before touching the database.
    probe = Session(
        id=1,
        created_at=created_at,
        treated_at=treated_at,
        device=device,
        needle_mm=float(needle_mm),
        treated_regions=tuple(treated_regions),
        products=tuple(products),
        notes=notes,
    )
    with _atomic(conn):
        cur = conn.execute(
            "INSERT INTO sessions (created_at, treated_at, device, needle_mm, treated_regions,"
            " products, notes) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                utc_text(probe.created_at),
                utc_text(probe.treated_at),
                probe.device,
                probe.needle_mm,
                json.dumps(list(probe.treated_regions)),
                json.dumps(list(probe.products)),
                probe.notes,
            ),
        )
        sid = _new_id(cur)
    return get_session(conn, sid)


def get_session(conn: sqlite3.Connection, session_id: int) -> Session:
    """The session with this id; :class:`StorageError` when there is none."""
    with storage_errors():
        row = conn.execute("SELECT * FROM sessions WHERE id = ?", (int(session_id),)).fetchone()
    if row is None:
        raise StorageError(f"there is no session {session_id}; see `skintrack session list`")
    return _one(row, _session, f"session {session_id}")


def list_sessions(conn: sqlite3.Connection) -> list[Session]:
    """All sessions, oldest treatment first."""
    with storage_errors():
        rows = conn.execute("SELECT * FROM sessions ORDER BY treated_at, id").fetchall()
    return _readable(rows, _session, lambda r: f"session {r['id']}")


def delete_session(conn: sqlite3.Connection, session_id: int) -> list[str]:
    """Delete a session with its photos' rows, analyses, comparisons and answers.

    Returns the store names its photos used; the caller removes those no other row refers to,
    after this commits (a crash in between leaves harmless unreferenced files, never a row
    without its file).
    """
    with _atomic(conn):
        get_session(conn, session_id)
        names = [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT store_name FROM photos WHERE session_id = ?", (session_id,)
            )
        ]
        conn.execute("UPDATE sessions SET baseline_photo_id = NULL WHERE id = ?", (session_id,))
        conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
    return names


def set_baseline(conn: sqlite3.Connection, session_id: int, photo_id: int) -> None:
    """Make ``photo_id`` (a photo of this session) the session's baseline."""
    with _atomic(conn):
        ok = conn.execute(
            "SELECT 1 FROM photos WHERE id = ? AND session_id = ?", (photo_id, session_id)
        ).fetchone()
        if ok is None:
            raise StorageError(f"photo {photo_id} is not part of session {session_id}")
        conn.execute("UPDATE sessions SET baseline_photo_id = ? WHERE id = ?", (photo_id, session_id))


# --- photos --------------------------------------------------------------------------------------
def insert_photo(
    conn: sqlite3.Connection, session_id: int, photo: NewPhoto, *, added_at: datetime | None = None
) -> PhotoRow:
    """Save a photo row (its file must already be in the store)."""
    added_at = added_at or datetime.now(UTC)
    with _atomic(conn):
        try:
            cur = conn.execute(
                "INSERT INTO photos (session_id, sha256, store_name, original_name, width, height,"
                " taken_at, taken_at_source, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id,
                    photo.sha256,
                    photo.store_name,
                    photo.original_name,
                    photo.width,
                    photo.height,
                    utc_text(photo.taken_at),
                    photo.taken_at_source,
                    utc_text(added_at),
                ),
            )
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                raise StorageError(
                    f"{photo.original_name or 'this photo'} is already in session {session_id}"
                ) from None
            raise StorageError(f"session {session_id} does not exist") from None
        pid = _new_id(cur)
    return get_photo(conn, pid)


def set_photo_time(
    conn: sqlite3.Connection, photo_id: int, taken_at: datetime, *, hours: float, source: str = "given"
) -> PhotoRow:
    """Correct a photo's capture time; its comparisons get ``hours`` (after treatment) with it,
    in one transaction."""
    _aware("taken_at", taken_at)
    with _atomic(conn):
        cur = conn.execute(
            "UPDATE photos SET taken_at = ?, taken_at_source = ? WHERE id = ?",
            (utc_text(taken_at), source, photo_id),
        )
        if cur.rowcount == 0:
            raise StorageError(f"there is no photo {photo_id}")
        conn.execute("UPDATE comparisons SET hours = ? WHERE photo_id = ?", (float(hours), photo_id))
    return get_photo(conn, photo_id)


def get_photo(conn: sqlite3.Connection, photo_id: int) -> PhotoRow:
    with storage_errors():
        row = conn.execute("SELECT * FROM photos WHERE id = ?", (photo_id,)).fetchone()
    if row is None:
        raise StorageError(f"there is no photo {photo_id}")
    return _one(row, _photo, f"photo {photo_id}")


def find_photo(conn: sqlite3.Connection, session_id: int, sha256: str) -> PhotoRow | None:
    with storage_errors():
        row = conn.execute(
            "SELECT * FROM photos WHERE session_id = ? AND sha256 = ?", (session_id, sha256)
        ).fetchone()
    return None if row is None else _one(row, _photo, f"photo {row['id']}")


def session_photos(conn: sqlite3.Connection, session_id: int) -> list[PhotoRow]:
    """The session's photos in capture order."""
    with storage_errors():
        rows = conn.execute(
            "SELECT * FROM photos WHERE session_id = ? ORDER BY taken_at, id", (session_id,)
        ).fetchall()
    return _readable(
        rows, _photo, lambda r: f"photo {r['id']} ({r['original_name']}) of session {session_id}"
    )


def referenced_store_names(conn: sqlite3.Connection) -> set[str]:
    with storage_errors():
        return {r[0] for r in conn.execute("SELECT DISTINCT store_name FROM photos")}


# --- analyses and findings -------------------------------------------------------------------------
def save_analysis(
    conn: sqlite3.Connection,
    photo_id: int,
    *,
    quality_ok: bool,
    record: Mapping,
    findings: Sequence[Finding] = (),
    created_at: datetime | None = None,
) -> None:
    """Save a photo's analysis record (``analyze --json`` schema) and its findings.

    Each finding is stored with the keys of its ``analyze --json`` record and comes back from
    :func:`photo_findings` as the same ``Finding``; the person's verdicts on findings already
    saved for this photo are kept.
    """
    created_at = created_at or datetime.now(UTC)
    with _atomic(conn):
        conn.execute(
            "INSERT OR REPLACE INTO analyses (photo_id, quality_ok, record, created_at) VALUES (?, ?, ?, ?)",
            (photo_id, int(bool(quality_ok)), json.dumps(dict(record)), utc_text(created_at)),
        )
        for f in findings:
            if not isinstance(f, Finding):
                raise TypeError(f"save_analysis takes Finding objects, not {type(f).__name__}")
            conn.execute(
                "INSERT INTO findings (photo_id, finding_key, kind, region, record)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (photo_id, finding_key) DO UPDATE SET"
                " kind = excluded.kind, region = excluded.region, record = excluded.record",
                (photo_id, f.id, f.kind, f.region, json.dumps(_finding_record(f))),
            )


def _finding_record(f: Finding) -> dict:
    """The stored form of a finding: the keys of :meth:`Finding.to_record` (so the rows of every
    version read alike), at full precision so that it comes back as the same ``Finding``."""
    return {**dataclasses.asdict(f), "near_regions": list(f.near_regions)}


def get_analysis(conn: sqlite3.Connection, photo_id: int) -> tuple[bool, dict] | None:
    """``(quality_ok, record)`` of a photo, or None when it has not been analysed."""
    with storage_errors():
        row = conn.execute(
            "SELECT quality_ok, record FROM analyses WHERE photo_id = ?", (photo_id,)
        ).fetchone()
    if row is None:
        return None
    found = _readable(
        [row], lambda r: (bool(r[0]), dict(json.loads(r[1]))), lambda r: f"the analysis of photo {photo_id}"
    )
    return found[0] if found else None


def photo_findings(conn: sqlite3.Connection, photo_id: int) -> list[FindingRow]:
    with storage_errors():
        rows = conn.execute("SELECT * FROM findings WHERE photo_id = ? ORDER BY id", (photo_id,)).fetchall()
    return _readable(
        rows,
        lambda r: FindingRow(
            photo_id=r["photo_id"],
            finding_key=r["finding_key"],
            kind=r["kind"],
            region=r["region"],
            finding=_stored_finding(r),
            verdict=r["verdict"],
        ),
        lambda r: f"finding {r['finding_key']} of photo {photo_id}",
    )


def _stored_finding(row: sqlite3.Row) -> Finding | None:
    """The ``Finding`` of a stored record; None for a record of an older, partial shape.

    Records written before ``off_skin`` existed (or without ``near_regions``) read as findings
    on the skin next to no region, as :meth:`Finding.from_record` defines; a record without a
    position, size or score (or one that disagrees with its row's key, kind and region) is no
    ``Finding``: its row keeps its key, kind, region and verdict.
    """
    record = json.loads(row["record"])
    if not isinstance(record, dict):
        raise ValueError("a finding record is a JSON object")
    try:
        finding = Finding.from_record(record)
    except (KeyError, TypeError, ValueError):
        return None
    if (finding.id, finding.kind, finding.region) != (row["finding_key"], row["kind"], row["region"]):
        return None  # hand-edited: the row's columns are what verdicts and counts refer to
    return finding


def set_finding_verdict(
    conn: sqlite3.Connection,
    photo_id: int,
    finding_key: str,
    verdict: str | None,
    *,
    at: datetime | None = None,
) -> None:
    """Record the person's confirm/dismiss (or None to undo) for one finding."""
    if verdict is not None and verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}")
    at = at or datetime.now(UTC)
    with _atomic(conn):
        cur = conn.execute(
            "UPDATE findings SET verdict = ?, verdict_at = ? WHERE photo_id = ? AND finding_key = ?",
            (verdict, utc_text(at) if verdict else None, photo_id, str(finding_key)),
        )
        if cur.rowcount != 1:
            raise StorageError(f"photo {photo_id} has no finding {finding_key!r}")


# --- comparisons -----------------------------------------------------------------------------------
def save_comparison(conn: sqlite3.Connection, comparison: NewComparison) -> ComparisonRow:
    """Save (or replace) the comparison of a photo with a baseline, with its region changes."""
    c = comparison
    with _atomic(conn):
        conn.execute(
            "DELETE FROM comparisons WHERE photo_id = ? AND baseline_photo_id = ?",
            (c.photo_id, c.baseline_photo_id),
        )
        cur = conn.execute(
            "INSERT INTO comparisons (photo_id, baseline_photo_id, hours, usable, excluded_reason,"
            " record) VALUES (?, ?, ?, ?, ?, ?)",
            (
                c.photo_id,
                c.baseline_photo_id,
                float(c.hours),
                int(c.usable),
                c.excluded_reason,
                json.dumps(c.record.to_json()),
            ),
        )
        cid = _new_id(cur)
        conn.executemany(
            "INSERT INTO region_changes (comparison_id, region, delta_a_star, uncertainty,"
            " real_change) VALUES (?, ?, ?, ?, ?)",
            [
                (cid, name, float(d.delta_a_star), float(d.uncertainty), int(bool(d.real_change)))
                for name, d in c.changes.items()
            ],
        )
    return ComparisonRow(
        id=cid,
        photo_id=c.photo_id,
        baseline_photo_id=c.baseline_photo_id,
        hours=float(c.hours),
        usable=c.usable,
        record=c.record,
        changes=dict(c.changes),
        excluded_reason=c.excluded_reason,
    )


def session_comparisons(
    conn: sqlite3.Connection, session_id: int, baseline_photo_id: int
) -> list[ComparisonRow]:
    """Comparisons of the session's photos with this baseline, in order of hours."""
    with storage_errors():
        rows = conn.execute(
            "SELECT c.* FROM comparisons c JOIN photos p ON p.id = c.photo_id"
            " WHERE p.session_id = ? AND c.baseline_photo_id = ? ORDER BY c.hours, c.id",
            (session_id, baseline_photo_id),
        ).fetchall()
        changes: dict[int, list[sqlite3.Row]] = {}
        for ch in conn.execute(
            "SELECT rc.* FROM region_changes rc JOIN comparisons c ON c.id = rc.comparison_id"
            " JOIN photos p ON p.id = c.photo_id WHERE p.session_id = ?"
            " AND c.baseline_photo_id = ? ORDER BY rc.region",
            (session_id, baseline_photo_id),
        ):
            changes.setdefault(ch["comparison_id"], []).append(ch)

    def comparison(r: sqlite3.Row) -> ComparisonRow:
        return ComparisonRow(
            id=r["id"],
            photo_id=r["photo_id"],
            baseline_photo_id=r["baseline_photo_id"],
            hours=float(r["hours"]),
            usable=bool(r["usable"]),
            excluded_reason=r["excluded_reason"],
            record=ComparisonRecord.from_json(json.loads(r["record"])),
            changes={
                ch["region"]: RegionDelta(
                    float(ch["delta_a_star"]), float(ch["uncertainty"]), bool(ch["real_change"])
                )
                for ch in changes.get(r["id"], [])
            },
        )

    return _readable(rows, comparison, lambda r: f"the comparison of photo {r['photo_id']} with its baseline")


# --- answers ---------------------------------------------------------------------------------------
def add_answers(
    conn: sqlite3.Connection, session_id: int, kind: str, data: Mapping, *, at: datetime | None = None
) -> AnswerRow:
    """Save questionnaire answers or reported symptoms; earlier ones stay on record."""
    row = AnswerRow(session_id=session_id, kind=kind, answered_at=at or datetime.now(UTC), data=dict(data))
    with _atomic(conn):
        try:
            conn.execute(
                "INSERT INTO answers (session_id, kind, answered_at, data) VALUES (?, ?, ?, ?)",
                (session_id, kind, utc_text(row.answered_at), json.dumps(dict(data))),
            )
        except sqlite3.IntegrityError:
            raise StorageError(f"there is no session {session_id}") from None
    return row


def latest_answers(conn: sqlite3.Connection, session_id: int, kind: str) -> AnswerRow | None:
    with storage_errors():
        r = conn.execute(
            "SELECT * FROM answers WHERE session_id = ? AND kind = ?"
            " ORDER BY answered_at DESC, id DESC LIMIT 1",
            (session_id, kind),
        ).fetchone()
    if r is None:
        return None
    found = _readable(
        [r],
        lambda r: AnswerRow(
            session_id=r["session_id"],
            kind=r["kind"],
            answered_at=parse_utc(r["answered_at"]),
            data=dict(json.loads(r["data"])),
        ),
        lambda r: f"the {kind} answers {r['id']} of session {session_id}",
    )
    return found[0] if found else None


# --- aftercare steps -------------------------------------------------------------------------------
def set_aftercare_step(
    conn: sqlite3.Connection, session_id: int, step: str, done: bool, *, at: datetime | None = None
) -> None:
    """Tick (``done``) or untick an aftercare step of a session, such as the serum or mask."""
    if not step:
        raise ValueError("an aftercare step needs a name")
    at = at or datetime.now(UTC)
    _aware("at", at)
    with _atomic(conn):
        get_session(conn, session_id)
        if done:
            conn.execute(
                "INSERT OR REPLACE INTO aftercare_steps (session_id, step, done_at) VALUES (?, ?, ?)",
                (session_id, step, utc_text(at)),
            )
        else:
            conn.execute("DELETE FROM aftercare_steps WHERE session_id = ? AND step = ?", (session_id, step))


def aftercare_steps(conn: sqlite3.Connection, session_id: int) -> dict[str, datetime]:
    """Step name -> when it was ticked, for the ticked steps of a session."""
    with storage_errors():
        rows = conn.execute(
            "SELECT step, done_at FROM aftercare_steps WHERE session_id = ?", (session_id,)
        ).fetchall()
    return {r[0]: parse_utc(r[1]) for r in rows}
