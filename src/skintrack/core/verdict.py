"""The pre-treatment verdict: GO, REVIEW or POSTPONE, each reason tied to its protocol sentence.

The ladder (issue 13; all sentences live in :mod:`skintrack.core.protocol`):

- **POSTPONE** (rule ``skin_suspend``): a pustule, open wound, crust or cold sore on or next to a
  treated region (:data:`~skintrack.core.protocol.POSTPONE_KINDS`), found with certainty
  (score >= :func:`certain_score` of its kind) or confirmed by the person.
- **POSTPONE** (rule ``advised_against``): pregnant or breastfeeding, keloid-prone skin, or
  anticoagulant medication.
- **POSTPONE** (rule ``needle_length``): needles longer than 0.5 mm are medical grade.
- **POSTPONE** (rule ``disinfection``): hands, face and tool not disinfected, or a reused roller
  not soaked in 75 % alcohol for 10 minutes nor UV-sterilised.
- **REVIEW** (rule ``inflamed_acne``): active acne on or next to a treated region: a papule or
  nodule found with certainty, or more acne spots of any kind (comedones too: a photo's kind
  names are unchecked, ADR 0211's amendment) than the "almost clear" grade allows
  (:data:`ALMOST_CLEAR_INFLAMED`) counted as the expected number of real lesions (the sum of the
  calibrated certainties of the findings certain enough to count; :mod:`skintrack.core.evidence`).
- **REVIEW** (rule ``safety_first``): a postponing kind of finding is uncertain (score below its
  :func:`certain_score` and not confirmed): the person should look, then confirm or dismiss it;
  or the photo cannot show the skin (any capture-quality problem, no face, too coarse a scale).
  A wound, crust or cold sore so uncertain that its rule finds as much on clear skin is no
  evidence at all (:func:`skintrack.core.evidence.too_uncertain`; its score is the calibrated
  certainty of :func:`skintrack.core.evidence.calibrate`).
- **REVIEW** (rule ``questions``): a protocol question that applies is not answered (GO needs
  the answers), the checklist's included (issue 17: device, beginner on a first session, room,
  disinfection).
- **REVIEW** (rule ``environment``): the room is not clean. "Keep the environment clean during
  operation" is something the person can put right in minutes, then answer again; it is not a
  reason to lose the day.
- **GO** otherwise.

Advice that does not stand against GO (issue 17; :attr:`Verdict.advice`, each with its sentence):
a beginner with a roller or a pen (rule ``device_choice``: patches are "the safest choice", not
the only one), a reused roller (rule ``roller_reuse``: it can breed bacteria, uneven pressure
abrades), a room that is not well ventilated (rule ``environment``: "preferably").

Only findings on the skin count (:func:`why_not_counted`): not on hair, an ear, an eyebrow, the
background, glasses or the lips (see :mod:`skintrack.core.skin`), and only inside one of the six
regions or next to a treated one. Findings the person dismissed ("that is a freckle") are left
out; confirmed ones count as certain. With no treated regions given, the whole face is treated.

On a close-up of one patch of skin (``close_up=True``, :mod:`skintrack.core.closeup`) there are no
regions: the photo is the patch to be treated, and every finding on its skin counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from skintrack.core import evidence, protocol
from skintrack.core.questionnaire import unanswered
from skintrack.core.regions import REGION_NAMES
from skintrack.words import and_list, kind_with_article, region_phrase

if TYPE_CHECKING:
    from skintrack.core.lesions import Finding

DECISIONS = ("go", "review", "postpone")
#: A postponing finding at or above its kind's certain score postpones on its own; below it asks
#: for a look. Wounds, crusts and cold sores carry certainties calibrated from their rule scores
#: (:func:`skintrack.core.evidence.calibrate`, ADR 0211: painted lesions against clear faces):
#: 0.6 and up decide alone.
CERTAIN_SCORE = 0.6
#: A pustule's score is calibrated (models/LESIONS.md): the share of unseen ACNE04 detections
#: scored like it that were expert-marked lesions; just over the detector's threshold that is
#: about 1 in 4. At one chance in three a pustule postpones on its own ("It is better to see slower
#: results than to risk skin health": waiting costs days, needling over a pustule risks
#: infection); below, the person is asked to look. (Before calibration this was a raw score of
#: 0.6, which maps to about 0.38.) Since certainty is calibrated per kind, a spot the colour rules
#: name a pustule reads at least ~0.54 (unseen detections so named were lesions 19 times in 23),
#: so every pustule the detector reports postpones; the bar still applies to stored older scores.
CERTAIN_PUSTULE_SCORE = 1 / 3
#: Coarsest photo scale (mm of skin per photo pixel) at which the lesion search can be trusted
#: to see a pustule: painted 3-4 mm pustules were found on the frontal sample faces at 0.23-0.56
#: mm per pixel and 3 times in 27 (2-4 mm) at 0.67-0.73 (docs/detectors.md). A coarser photo
#: cannot show that the skin is clear, so the check asks for a closer one.
MAX_CHECK_MM_PER_PX = 0.6
#: The US FDA's Investigator's Global Assessment of acne grades "almost clear" as "rare
#: non-inflammatory lesions with no more than one small inflammatory lesion" (FDA draft guidance
#: "Acne Vulgaris: Establishing Effectiveness of Drugs Intended for Treatment", 2018). More
#: inflamed lesions than that, in expected number (the sum of calibrated certainties, confirmed
#: ones counting 1), is active acne to review; so is a certain nodule (the IGA's "mild" grade has
#: none). The numbers live in :mod:`skintrack.core.protocol` (``INFLAMED_*``, chosen by
#: measurement: ADR 0211).
ALMOST_CLEAR_INFLAMED = protocol.INFLAMED_EXPECTED_MAX


def certain_score(kind: str) -> float:
    """The score at which a finding of ``kind`` counts as found with certainty."""
    return CERTAIN_PUSTULE_SCORE if kind == "pustule" else CERTAIN_SCORE


#: Why a finding too uncertain to be evidence does not count (shown greyed with it).
TOO_UNCERTAIN_WORDS = "too uncertain to count: this rule finds as much on clear skin"
#: Short words for each protocol question, for the reason that lists the unanswered ones.
QUESTION_WORDS = {
    "pregnant_or_breastfeeding": "pregnancy or breastfeeding",
    "keloid_prone": "keloids",
    "anticoagulants": "blood thinners",
    "device": "the device",
    "needle_mm": "needle length",
    "roller_reused": "a reused roller",
    "roller_disinfection": "how the roller was disinfected",
    "disinfected_hands_face_tool": "disinfection of hands, face and tool",
    "beginner": "whether you are a beginner",
    "room_clean": "a clean room",
    "room_ventilated": "a ventilated room",
}


@dataclass(frozen=True)
class Reason:
    """Why a decision was taken: plain text, the protocol rule and its source sentence, and the
    ids of the findings it is about (empty for questionnaire and photo reasons)."""

    text: str
    rule_id: str
    source_sentence: str
    finding_ids: tuple[str, ...] = ()
    decision: str = "postpone"

    def __post_init__(self) -> None:
        rule = protocol.rule(self.rule_id)  # KeyError: unknown rule
        if not self.text:
            raise ValueError("a reason needs text")
        if self.source_sentence != rule.source:
            raise ValueError("a reason's source sentence must be its rule's")
        if self.decision not in DECISIONS[1:]:
            raise ValueError("a reason supports 'review' or 'postpone'")

    @property
    def message(self) -> str:
        return self.text

    def to_record(self) -> dict:
        return {
            "text": self.text,
            "rule": self.rule_id,
            "source": self.source_sentence,
            "finding_ids": list(self.finding_ids),
            "decision": self.decision,
        }


@dataclass(frozen=True)
class Note:
    """Advice that does not stand against treatment: plain text, its rule and source sentence."""

    text: str
    rule_id: str
    source_sentence: str

    def __post_init__(self) -> None:
        if not self.text:
            raise ValueError("a note needs text")
        if self.source_sentence != protocol.rule(self.rule_id).source:
            raise ValueError("a note's source sentence must be its rule's")

    def to_record(self) -> dict:
        return {"text": self.text, "rule": self.rule_id, "source": self.source_sentence}


@dataclass(frozen=True)
class Verdict:
    """The decision and every reason for it (most serious first); ``advice`` does not change the
    decision."""

    decision: str
    reasons: tuple[Reason, ...] = ()
    treated: tuple[str, ...] = ()
    advice: tuple[Note, ...] = ()

    def __post_init__(self) -> None:
        if self.decision not in DECISIONS:
            raise ValueError(f"decision must be one of {DECISIONS}")
        worst = max((DECISIONS.index(r.decision) for r in self.reasons), default=0)
        if DECISIONS.index(self.decision) != worst:
            raise ValueError("the decision must be the most serious of its reasons")

    @property
    def go(self) -> bool:
        return self.decision == "go"

    def to_record(self) -> dict:
        return {
            "decision": self.decision,
            "treated": list(self.treated),
            "reasons": [r.to_record() for r in self.reasons],
            "advice": [n.to_record() for n in self.advice],
        }


def _reason(text: str, rule_id: str, finding_ids=(), decision="postpone") -> Reason:
    return Reason(text, rule_id, protocol.rule(rule_id).source, tuple(finding_ids), decision)


def why_not_counted(f: Finding, treated: Iterable[str] = (), *, close_up: bool = False) -> str:
    """Why a finding does not count for the verdict ('' when it does), in plain words.

    It counts when it lies on the face's skin (:attr:`~skintrack.core.lesions.Finding.off_skin`
    empty), is evidence at all (a wound, crust or cold sore whose calibrated certainty is below
    :data:`~skintrack.core.protocol.EVIDENCE_MIN_CERTAINTY` is not:
    :func:`skintrack.core.evidence.too_uncertain`) and lies inside one of the six regions or next
    to a treated one (``treated`` empty: the whole face). On a close-up (``close_up``) the photo is
    the patch to treat: being on its skin is enough. A person's confirmation makes a finding
    certain, so it counts whatever its score (:func:`decide`).
    """
    from skintrack.core.skin import OFF_SKIN_WORDS

    off = f.off_skin
    if off:
        return OFF_SKIN_WORDS.get(off, "not on the skin")
    if evidence.too_uncertain(f.kind, f.score):
        return TOO_UNCERTAIN_WORDS
    if close_up:
        return ""
    treated = set(treated) or set(REGION_NAMES)
    region = f.region
    near = set(f.near_regions)
    if region in treated or near & treated:
        return ""
    if region is None and not near:
        return "at the edge of the face, outside the regions checked"
    return "away from the regions to be treated"


def _where(f: Finding, close_up: bool = False) -> str:
    if close_up:
        return "on the photographed skin"
    region = f.region
    if region:
        return f"on {region_phrase(region)}"
    near = f.near_regions
    if near:
        return f"next to {region_phrase(near[0])}"
    return "at the edge of the face"


def _size(f: Finding, mm_per_px: float | None) -> str:
    d = f.diameter_mm
    if d is None and mm_per_px and f.radius_px:
        d = 2 * f.radius_px * mm_per_px
    return f", about {d:.0f} mm" if d else ""


def check_treated(treated: Iterable[str]) -> tuple[str, ...]:
    """Validate region names; ``ValueError`` names the unknown ones."""
    out = tuple(dict.fromkeys(treated))
    bad = [t for t in out if t not in REGION_NAMES]
    if bad:
        raise ValueError(f"unknown region(s) {', '.join(bad)}; regions: {', '.join(REGION_NAMES)}")
    return out


def decide(
    findings: Iterable[Finding],
    quality,
    *,
    answers=None,
    treated: Iterable[str] = (),
    dismissed: Iterable[str] = frozenset(),
    confirmed: Iterable[str] = frozenset(),
    mm_per_px: float | None = None,
    first_session: bool = True,
    close_up: bool = False,
) -> Verdict:
    """The verdict for one photo's findings, its capture quality and the person's answers.

    Parameters
    ----------
    findings : :class:`~skintrack.core.lesions.Finding` objects.
    quality : :class:`~skintrack.core.quality.Quality` of the photo (``None``: not judged).
    answers : :class:`~skintrack.core.questionnaire.Answers` or ``None`` (questions not asked).
    treated : region names to be treated; empty means the whole face.
    dismissed, confirmed : finding ids the person dismissed or confirmed.
    mm_per_px : photo scale, for sizes in the reasons when a finding has no ``diameter_mm``; a
        scale coarser than :data:`MAX_CHECK_MM_PER_PX` asks for review (small pustules would not
        show).
    first_session : no session was recorded before this one: the beginner question applies.
    close_up : the photo is a close-up of the one patch of skin to be treated (no face, no
        regions): every finding on its skin counts, wherever it lies.
    """
    treated = check_treated(treated)
    dismissed = frozenset(dismissed)
    confirmed = frozenset(confirmed)
    reasons: list[Reason] = []

    # Skin: lesions that suspend treatment, where the treatment goes; only findings on the skin.
    treated_set = set(treated) or set(REGION_NAMES)

    def counts(f: Finding) -> bool:
        # A finding too uncertain to count on its own counts once the person confirms it.
        why = why_not_counted(f, treated, close_up=close_up)
        return not why or (why == TOO_UNCERTAIN_WORDS and f.id in confirmed)

    counted = [f for f in findings if f.id not in dismissed and counts(f)]
    for f in counted:
        fid = f.id
        kind = f.kind
        if kind not in protocol.POSTPONE_KINDS:
            continue
        regions = set(f.near_regions) | ({f.region} - {None})
        if not close_up and not regions & treated_set:
            continue
        what = f"{kind_with_article(kind)} {_where(f, close_up)}{_size(f, mm_per_px)}"
        if fid in confirmed or f.score >= certain_score(kind):
            reasons.append(
                _reason(f"There is {what}: wait until the skin has fully recovered.", "skin_suspend", (fid,))
            )
        else:
            reasons.append(
                _reason(
                    f"There may be {what}: look at it and confirm or dismiss it before treating.",
                    "safety_first",
                    (fid,),
                    "review",
                )
            )
    inflamed = _inflamed_reason(counted, treated_set, confirmed)
    if inflamed is not None:
        reasons.append(inflamed)

    # The person.
    missing = unanswered(answers, first_session=first_session)
    if missing:
        n = len(missing)
        reasons.append(
            _reason(
                f"{n} of the protocol's questions {'is' if n == 1 else 'are'} not answered yet "
                f"({', '.join(QUESTION_WORDS.get(q, q) for q in missing)}): answer "
                f"{'it' if n == 1 else 'them'} before you treat, as each can rule treatment out.",
                "questions",
                (),
                "review",
            )
        )
    if answers is not None:
        for cond in answers.advised_against:
            words = {
                "pregnant_or_breastfeeding": "You are pregnant or breastfeeding",
                "keloid_prone": "Your skin forms keloids",
                "anticoagulants": "You take anticoagulant medication",
            }[cond]
            reasons.append(_reason(f"{words}: home microneedling is advised against.", "advised_against"))
        if answers.needle_mm is not None and answers.needle_mm > protocol.HOME_NEEDLE_MAX_MM:
            reasons.append(
                _reason(
                    f"Needles of {answers.needle_mm:g} mm are medical grade (over "
                    f"{protocol.HOME_NEEDLE_MAX_MM:g} mm): not for home use; home devices are "
                    f"{protocol.HOME_NEEDLE_MIN_MM:g}-{protocol.HOME_NEEDLE_MAX_MM:g} mm.",
                    "needle_length",
                )
            )
        if answers.disinfected_hands_face_tool is False:
            reasons.append(_reason("Disinfect your hands, your face and the tool first.", "disinfection"))
        if (
            answers.device in (None, "roller")
            and answers.roller_reused
            and answers.roller_disinfection in ("other", "none")
        ):
            reasons.append(
                _reason(
                    f"A reused roller must soak in {protocol.ROLLER_ALCOHOL_PERCENT} % alcohol for at "
                    f"least {protocol.ROLLER_SOAK_MIN_MINUTES} minutes, or go through a UV "
                    "sterilisation box, before use.",
                    "disinfection",
                )
            )
        if answers.room_clean is False:
            reasons.append(
                _reason(
                    "The room is not clean: wipe the surfaces and clear the dust where you will work, "
                    "then answer again.",
                    "environment",
                    (),
                    "review",
                )
            )
    notes = _notes(answers)

    # The photo.
    if mm_per_px is not None and mm_per_px > MAX_CHECK_MM_PER_PX:
        reasons.append(
            _reason(
                f"The photo shows too little detail to rule out small pustules: about "
                f"{1 / mm_per_px:.1f} pixels per millimetre of skin, at least "
                f"{1 / MAX_CHECK_MM_PER_PX:.1f} needed. Take it closer, or with a better camera.",
                "safety_first",
                (),
                "review",
            )
        )
    if quality is not None and not quality.ok:
        for p in quality.problems:
            reasons.append(
                _reason(
                    f"The photo cannot show the skin well enough: {p.message}", "safety_first", (), "review"
                )
            )

    reasons.sort(key=lambda r: -DECISIONS.index(r.decision))
    decision = DECISIONS[max((DECISIONS.index(r.decision) for r in reasons), default=0)]
    return Verdict(decision=decision, reasons=tuple(reasons), treated=treated, advice=notes)


def _note(text: str, rule_id: str) -> Note:
    return Note(text, rule_id, protocol.rule(rule_id).source)


def _notes(answers) -> tuple[Note, ...]:
    """The checklist's advice that does not postpone (see the module docstring)."""
    if answers is None:
        return ()
    out = []
    if answers.beginner and answers.device is not None and answers.device != protocol.BEGINNER_DEVICE:
        device = {"roller": "a roller", "pen": "a microneedle pen"}.get(answers.device, answers.device)
        out.append(
            _note(
                f"You are a beginner using {device}: dissolvable patches are the safest choice for a "
                "beginner (a fixed needle length, single use, nothing to sterilise). If you go ahead, "
                "press lightly and keep to the steps.",
                "device_choice",
            )
        )
    if answers.device in (None, "roller") and answers.roller_reused:
        out.append(
            _note(
                "A reused roller needs extra caution: its needles can breed bacteria, and uneven "
                "pressure can abrade the skin. Disinfect it every time and replace it when the "
                "needles are blunt or bent.",
                "roller_reuse",
            )
        )
    if answers.room_ventilated is False:
        out.append(
            _note("Open a window if you can: the protocol prefers a well-ventilated room.", "environment")
        )
    return tuple(out)


def _inflamed_reason(counted: list[Finding], treated: set[str], confirmed: frozenset[str]) -> Reason | None:
    """The ``inflamed_acne`` reason, or None: acne spots (comedones, papules, nodules) on the skin
    of or next to a treated region that are evidence of active acne
    (:func:`skintrack.core.evidence.inflamed_evidence`: a certain papule or nodule, or more real
    acne spots expected than the "almost clear" grade allows)."""
    items = []
    region_of = {}
    for f in counted:
        kind = f.kind
        if kind not in protocol.ACTIVE_ACNE_KINDS:  # pustules postpone on their own
            continue
        # On or next to a treated region, as for the kinds that postpone (ADR 0211).
        near_treated = [r for r in (f.region, *f.near_regions) if r in treated]
        if not near_treated:
            continue
        fid = f.id
        items.append((fid, kind, 1.0 if fid in confirmed else f.score))
        region_of[fid] = near_treated[0]
    ev = evidence.inflamed_evidence(items)
    if not ev.active:
        return None
    ids = ev.ids
    regions = list(dict.fromkeys(region_of[i] for i in ids))
    n = len(ids)
    where = and_list(region_phrase(r) for r in regions)
    inflamed = sum(kind in protocol.INFLAMED_ACNE_KINDS for fid, kind, _ in items if fid in ev.ids)
    if inflamed == 0:
        named = ""
    elif inflamed == n:
        named = (
            " that looks like a red bump or lump (a papule or nodule)"
            if n == 1
            else " that look like red bumps or lumps (papules, nodules)"
        )
    elif inflamed == 1:
        named = ", one of them looking like a red bump or lump (a papule or nodule)"
    else:
        named = f", {inflamed} of them looking like red bumps or lumps (papules, nodules)"
    return _reason(
        f"There may be active acne: {n} acne spot{'s' if n != 1 else ''} on {where}{named}. "
        "A photo cannot reliably tell a blackhead or whitehead from a spot of inflamed acne, and "
        "needling over inflamed acne can spread its bacteria: dermatologists advise waiting until "
        "it has calmed down. Look at them: dismiss those that are not acne (a freckle, a mole), or "
        "wait and treat around them only with a dermatologist's advice.",
        "inflamed_acne",
        tuple(ids),
        "review",
    )
