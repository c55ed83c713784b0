"""The protocol's questions before a treatment, and the person's answers.

The questions are data (:data:`QUESTIONS`) so that the app can show them and the command line can
read them from a JSON file (``skintrack check --answers FILE``). Each question belongs to one
protocol rule of :mod:`skintrack.core.protocol`; the verdict (:mod:`skintrack.core.verdict`) turns
the answers into reasons. A question left unanswered is ``None``; the verdict cannot be GO while
a question that applies (:func:`applies`, :func:`unanswered`) is unanswered.

Some of the questions form the **checklist** before treatment (:data:`CHECKLIST`, issue 17): the
device (patches are safest for a beginner; a reused roller's risk), a clean, ventilated room, and
disinfection, each item with its protocol sentences. Whether the person is a beginner is asked on
a first session only (``first_session``).

Answers file (every key optional)::

    {"pregnant_or_breastfeeding": false, "keloid_prone": false, "anticoagulants": false,
     "device": "roller", "needle_mm": 0.25, "roller_reused": true,
     "roller_disinfection": "alcohol_75_10min", "disinfected_hands_face_tool": true,
     "beginner": false, "room_clean": true, "room_ventilated": true}
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields
from pathlib import Path

from skintrack.core import protocol
from skintrack.core.errors import SkintrackError

#: How a reused roller was disinfected (protocol: 75 % alcohol for >= 10 minutes, or a UV box).
ROLLER_DISINFECTION = ("alcohol_75_10min", "uv_box", "other", "none")
#: Longest needle the questionnaire accepts as a plausible answer (mm): anything longer is a typo.
MAX_PLAUSIBLE_NEEDLE_MM = 5.0


@dataclass(frozen=True)
class Question:
    """One question: ``kind`` is ``"yes_no"``, ``"choice"`` (one of ``choices``) or ``"number"``
    (``unit``). ``rule_id`` names the protocol rule it serves."""

    id: str
    text: str
    kind: str
    rule_id: str
    choices: tuple[str, ...] = ()
    unit: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("yes_no", "choice", "number"):
            raise ValueError(f"unknown question kind {self.kind!r}")
        if self.kind == "choice" and not self.choices:
            raise ValueError("a choice question needs choices")
        protocol.rule(self.rule_id)  # KeyError for an unknown rule


QUESTIONS: tuple[Question, ...] = (
    Question("pregnant_or_breastfeeding", "Are you pregnant or breastfeeding?", "yes_no", "advised_against"),
    Question(
        "keloid_prone", "Does your skin form keloids (raised, overgrown scars)?", "yes_no", "advised_against"
    ),
    Question(
        "anticoagulants",
        "Do you take anticoagulant (blood-thinning) medication?",
        "yes_no",
        "advised_against",
    ),
    Question("device", "Which device will you use?", "choice", "needle_length", choices=protocol.DEVICES),
    Question(
        "needle_mm", "Needle length of the device, in millimetres?", "number", "needle_length", unit="mm"
    ),
    Question("roller_reused", "Is the roller one you have used before?", "yes_no", "disinfection"),
    Question(
        "roller_disinfection",
        "How was the roller disinfected since its last use?",
        "choice",
        "disinfection",
        choices=ROLLER_DISINFECTION,
    ),
    Question(
        "disinfected_hands_face_tool",
        "Have you disinfected your hands, your face and the tool?",
        "yes_no",
        "disinfection",
    ),
    # Issue 17, the checklist; last, so that answers files and scripted answers stay in order.
    Question(
        "beginner", "Is this your first time microneedling at home (a beginner)?", "yes_no", "device_choice"
    ),
    Question(
        "room_clean",
        "Is the room you will treat in clean (surfaces wiped, no dust)?",
        "yes_no",
        "environment",
    ),
    Question(
        "room_ventilated",
        "Is the room well ventilated (a window open, or fresh air)?",
        "yes_no",
        "environment",
    ),
)
QUESTION_IDS = tuple(q.id for q in QUESTIONS)


@dataclass(frozen=True)
class ChecklistItem:
    """One item of the checklist before treatment: a short title, the questions that tick it, and
    the protocol sentences it rests on (shown beside it)."""

    id: str
    title: str
    question_ids: tuple[str, ...]
    sentences: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.title or not self.question_ids or not self.sentences:
            raise ValueError("a checklist item needs a title, questions and its sentences")
        for qid in self.question_ids:
            if qid not in QUESTION_IDS:
                raise ValueError(f"unknown question {qid!r}")


#: Shown above the checklist: why the checks exist at all (the protocol's opening).
CHECKLIST_INTRO = protocol.SRC_INTRO
#: Shown below it: the protocol's closing.
CHECKLIST_CLOSING = protocol.SRC_CLOSING
CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem(
        "device",
        "Your device: dissolvable patches are safest for a beginner",
        ("device", "beginner", "needle_mm", "roller_reused", "roller_disinfection"),
        (protocol.SRC_PART_DEVICE, protocol.SRC_DEVICE_KINDS, protocol.SRC_PATCH, protocol.SRC_ROLLER_REUSE),
    ),
    ChecklistItem(
        "room",
        "A clean, well-ventilated room",
        ("room_clean", "room_ventilated"),
        (protocol.SRC_ENVIRONMENT,),
    ),
    ChecklistItem(
        "disinfection",
        "Hands, face and tool disinfected",
        ("disinfected_hands_face_tool",),
        (protocol.SRC_PART_DISINFECTION, protocol.SRC_DISINFECT),
    ),
)
#: Question id -> the checklist item it belongs to.
CHECKLIST_OF = {qid: item.id for item in CHECKLIST for qid in item.question_ids}


def question(qid: str) -> Question:
    for q in QUESTIONS:
        if q.id == qid:
            return q
    raise KeyError(qid)


@dataclass(frozen=True)
class Answers:
    """The person's answers; ``None`` means not answered. Validates itself."""

    pregnant_or_breastfeeding: bool | None = None
    keloid_prone: bool | None = None
    anticoagulants: bool | None = None
    device: str | None = None
    needle_mm: float | None = None
    roller_reused: bool | None = None
    roller_disinfection: str | None = None
    disinfected_hands_face_tool: bool | None = None
    beginner: bool | None = None
    room_clean: bool | None = None
    room_ventilated: bool | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            q = question(f.name)
            v = getattr(self, f.name)
            if v is None:
                continue
            if q.kind == "yes_no" and not isinstance(v, bool):
                raise SkintrackError(f"answer {q.id!r} must be true or false, not {v!r}")
            if q.kind == "choice" and v not in q.choices:
                raise SkintrackError(f"answer {q.id!r} must be one of {', '.join(q.choices)}; got {v!r}")
            if q.kind == "number":
                if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                    raise SkintrackError(f"answer {q.id!r} must be a number of {q.unit}, not {v!r}")
                if not 0 < v <= MAX_PLAUSIBLE_NEEDLE_MM:
                    raise SkintrackError(
                        f"answer {q.id!r}: {v} {q.unit} is not a plausible "
                        f"needle length (0-{MAX_PLAUSIBLE_NEEDLE_MM:g} mm)"
                    )
        if self.device == "patch" and self.roller_reused:
            raise SkintrackError("answers: a dissolvable patch cannot be a reused roller")

    @classmethod
    def from_dict(cls, data: dict) -> Answers:
        """Answers from a mapping of question id -> value (unknown ids are refused)."""
        if not isinstance(data, dict):
            raise SkintrackError("answers must be a JSON object of question id -> answer")
        unknown = sorted(set(data) - set(QUESTION_IDS))
        if unknown:
            raise SkintrackError(
                f"unknown question(s) in answers: {', '.join(unknown)}; known: {', '.join(QUESTION_IDS)}"
            )
        values = dict(data)
        if isinstance(values.get("needle_mm"), int) and not isinstance(values["needle_mm"], bool):
            values["needle_mm"] = float(values["needle_mm"])
        return cls(**values)

    def to_dict(self) -> dict:
        """Question id -> answer, answered questions only (what storage keeps)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    @property
    def advised_against(self) -> tuple[str, ...]:
        """The protocol's advised-against conditions answered "yes"."""
        return tuple(c for c in protocol.ADVISED_AGAINST_CONDITIONS if getattr(self, c) is True)


#: The largest answers file read (bytes). A complete answers file is a few hundred bytes; a file
#: larger than this (or an endless one such as /dev/zero) is refused before it fills the memory.
MAX_ANSWERS_BYTES = 64 * 1024

#: Questions about a reused roller: they apply only to a roller (or while the device is not known).
ROLLER_QUESTIONS = ("roller_reused", "roller_disinfection")


def is_first_session(sessions, this=None) -> bool:
    """Whether ``this`` session (any object with ``id`` and ``treated_at``) is the person's first:
    no other of ``sessions`` was treated before it. ``this`` None: no session is recorded at all.
    The beginner question applies only then."""
    if this is None:
        return not sessions
    return not any(s.id != this.id and s.treated_at < this.treated_at for s in sessions)


def applies(qid: str, answers, *, first_session: bool = True) -> bool:
    """Whether question ``qid`` applies given the other answers (a mapping or :class:`Answers`):
    the reused-roller question to a roller (or while the device is not known), how it was
    disinfected only to a reused one; whether the person is a beginner on a first session only
    (``first_session``: no session recorded before this one)."""
    get = answers.get if hasattr(answers, "get") else lambda k: getattr(answers, k)
    if qid == "beginner":
        return first_session
    if qid in ROLLER_QUESTIONS and get("device") not in (None, "roller"):
        return False
    return not (qid == "roller_disinfection" and get("roller_reused") is False)


def unanswered(answers, *, first_session: bool = True) -> tuple[str, ...]:
    """Ids of the questions that apply and are not answered (all of them for ``None``)."""
    if answers is None:
        answers = {}
    data = answers.to_dict() if isinstance(answers, Answers) else dict(answers)
    return tuple(
        q.id for q in QUESTIONS if data.get(q.id) is None and applies(q.id, data, first_session=first_session)
    )


def checklist_state(item: ChecklistItem, answers, *, first_session: bool = True) -> str:
    """``"open"`` while a question of ``item`` that applies is unanswered, else ``"ok"`` when
    every answer is the safe one, else ``"attention"`` (the verdict says why)."""
    data = {} if answers is None else (answers.to_dict() if isinstance(answers, Answers) else dict(answers))
    open_ = unanswered(data, first_session=first_session)
    if any(q in open_ for q in item.question_ids):
        return "open"
    risky = {
        "beginner": data.get("beginner") is True
        and data.get("device") not in (None, protocol.BEGINNER_DEVICE),
        "needle_mm": (data.get("needle_mm") or 0) > protocol.HOME_NEEDLE_MAX_MM,
        "roller_reused": data.get("roller_reused") is True,
        "roller_disinfection": data.get("roller_disinfection") in ("other", "none"),
        "room_clean": data.get("room_clean") is False,
        "room_ventilated": data.get("room_ventilated") is False,
        "disinfected_hands_face_tool": data.get("disinfected_hands_face_tool") is False,
    }
    return (
        "attention"
        if any(
            risky.get(q, False) for q in item.question_ids if applies(q, data, first_session=first_session)
        )
        else "ok"
    )


def load_answers(path: str | Path) -> Answers:
    """Read an answers JSON file; :class:`SkintrackError` with one readable sentence if bad.

    At most :data:`MAX_ANSWERS_BYTES` are read; a larger file, one nested too deeply for the JSON
    reader or one that is not text is refused. The error names the file, never its content.
    """
    from skintrack.core.printable import for_terminal, shorten

    name = shorten(for_terminal(path), 120)
    p = Path(path)
    try:
        if p.is_dir():
            raise SkintrackError(f"{name}: is a folder, not an answers file")
        with p.open("rb") as f:
            raw = f.read(MAX_ANSWERS_BYTES + 1)
    except FileNotFoundError:
        raise SkintrackError(f"{name}: no such answers file") from None
    except OSError as exc:
        raise SkintrackError(f"{name}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    if len(raw) > MAX_ANSWERS_BYTES:
        raise SkintrackError(
            f"{name}: too large for an answers file (over "
            f"{MAX_ANSWERS_BYTES // 1024} KiB; one is a few hundred bytes)"
        )
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SkintrackError(f"{name}: cannot be read (not UTF-8 text)") from None
    except RecursionError:
        raise SkintrackError(f"{name}: not valid answers (nested too deeply)") from None
    except json.JSONDecodeError as exc:
        where = f" at line {exc.lineno} column {exc.colno}"
        raise SkintrackError(f"{name}: not valid JSON ({exc.msg or 'not JSON'}{where})") from None
    except ValueError as exc:  # a number too long to convert, ...
        msg = getattr(exc, "msg", None) or "not JSON"
        raise SkintrackError(f"{name}: not valid JSON ({msg})") from None
    try:
        return Answers.from_dict(data)
    except SkintrackError as exc:
        raise SkintrackError(f"{name}: {shorten(exc, 240)}") from None
