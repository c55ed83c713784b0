"""Every number and rule skintrack takes from the home-microneedling protocol, in one place.

Each constant carries the sentence of the protocol (``shared/seed/000_773d5ec59fa58a72.txt``,
"Operational Standards And Risk Prevention For Home Microneedling") that it comes from, so a rule in
the app can always be traced back to its source. Nothing else in the code base may hard-code these.
"""

from __future__ import annotations

from dataclasses import dataclass

PROTOCOL_TITLE = "Operational Standards And Risk Prevention For Home Microneedling"


@dataclass(frozen=True)
class Rule:
    """A protocol rule: a short id, its plain-language statement, and the source sentence."""

    id: str
    statement: str
    source: str

    def __post_init__(self) -> None:
        if not self.id or not self.statement or not self.source:
            raise ValueError("a protocol rule needs an id, a statement and its source sentence")


# --- Needle length (mm) -------------------------------------------------------------------------
SRC_NEEDLE = (
    "It is recommended to choose products with needle lengths between 0.25mm and 0.5mm; anything "
    "exceeding 0.5mm is considered a medical grade and is unsuitable for home operation."
)
HOME_NEEDLE_MIN_MM = 0.25
HOME_NEEDLE_MAX_MM = 0.5  # strictly greater is medical grade

# --- Disinfection --------------------------------------------------------------------------------
SRC_DISINFECT = (
    "Before operating, hands, face, and the microneedling tool must be thoroughly disinfected. "
    "Soak microneedle rollers in 75% medical-grade alcohol for at least 10 minutes, or use a "
    "dedicated UV sterilization box."
)
ROLLER_ALCOHOL_PERCENT = 75
ROLLER_SOAK_MIN_MINUTES = 10
SRC_ROLLER_REUSE = (
    "Microneedle rollers require extra caution-repeated use of needles can breed bacteria, and "
    "uneven pressure application can cause skin abrasions."
)
SRC_PATCH = (
    "For beginners, dissolvable patches are the safest choice, as they have a fixed needle length, "
    "are single-use, and eliminate the issue of repeated sterilization."
)
DEVICES = ("patch", "roller", "pen")
SRC_DEVICE_KINDS = (
    "Home microneedling products on the market are mainly divided into three categories: "
    "microneedle rollers, electric microneedle pens, and dissolvable microneedle patches."
)
#: The device a beginner is advised to use; a roller or pen is advice for a beginner, not a
#: postponement: the protocol calls patches "the safest choice", not the only one.
BEGINNER_DEVICE = "patch"

# --- The room ------------------------------------------------------------------------------------
SRC_ENVIRONMENT = "Keep the environment clean during operation, preferably in a well-ventilated room."

# --- Skin contraindications ---------------------------------------------------------------------
SRC_SKIN_SUSPEND = (
    "If there are open wounds, acne pustules, or active herpes on the skin, treatment should be "
    "suspended until the skin has fully recovered."
)
#: Finding kinds that postpone treatment when in or next to a treated region.
POSTPONE_KINDS = ("pustule", "open_wound", "crust", "cold_sore")
#: Acne kinds weighed by the active-acne rung (pustules postpone on their own): every one adds to
#: the expected number of acne lesions on the treated skin, since a photo's kind names are not
#: checked by any per-lesion label (ADR 0209, ADR 0211 amendment of the second session) ...
ACTIVE_ACNE_KINDS = ("comedone", "papule", "nodule")
#: ... and one of these found with certainty is evidence on its own.
INFLAMED_ACNE_KINDS = ("papule", "nodule")

# --- Evidence from the skin (issue 13; core/evidence.py, ADR 0211) -------------------------------
# The protocol asks to suspend treatment over open wounds, pustules and active herpes
# (SRC_SKIN_SUSPEND) and puts skin health first (SRC_SAFETY_FIRST); these numbers say when a
# finding is evidence of one. Each was chosen by measurement on faces the figures are not
# reported on alone (docs/adr/0211-evidence-thresholds.md).
#: Share of face checks assumed to hold a real open wound, crust or cold sore on the skin to be
#: treated: herpes labialis recurs in roughly a fifth to a third of adults a few times a year
#: for 7-10 days each (about 1-2 % of people on a given day), and a person does not plan a
#: treatment over a visible wound. The prior of the rules' calibrated certainty
#: (:func:`skintrack.core.evidence.rule_certainty`).
LESION_PREVALENCE = 0.02
#: On a close-up the person photographs the one spot that worries them: one in two is assumed
#: real (no more is known of it).
CLOSE_UP_LESION_PREVALENCE = 0.5
#: Below this calibrated certainty a wound, crust or cold sore is no evidence (shown greyed, never
#: a reason): the rule finds as much on clear skin. One in five is about where the acne detector
#: stops reporting (its weakest reported spots are real about one time in four to five).
EVIDENCE_MIN_CERTAINTY = 0.2
#: Inflamed acne (papules, nodules) on or next to the treated skin is evidence of active acne
#: when one is found with certainty (INFLAMED_CERTAIN: the verdict's certain score, 0.6), or when
#: more than INFLAMED_EXPECTED_MAX real ones are expected: the sum of the calibrated certainties
#: of those at INFLAMED_MIN_CERTAINTY or more. The bar of one is the "almost clear" grade of the
#: FDA's Investigator's Global Assessment ("no more than one small inflammatory lesion"; 2018
#: draft guidance on acne vulgaris). Less certain spots add nothing: on clear skin the detector
#: reports papules of modest certainty too. INFLAMED_MIN_CERTAINTY is the one number chosen by
#: measurement (scripts/calibrate_evidence.py), with the other two fixed: on ACNE04's training
#: split against the even half of clear-dev, the largest difference between the share of acne
#: faces and of clear faces the skin flags. Re-chosen for the heatmap network's certainties
#: (ADR 0210, 2026-12-01; both sets were among its training photos, so optimistic): no floor
#: (J 87.0 % - 6.0 %; 0.3-0.5 gave 86.3-85.9 % - 6.0 %, 0.6 84.3 % - 6.0 %); 0.25 lies below the
#: network's lowest reported certainty (0.286). The trees' choice was 0.4 (84.1 % - 4.7 %).
INFLAMED_MIN_CERTAINTY = 0.25
INFLAMED_EXPECTED_MAX = 1.0
INFLAMED_CERTAIN = 0.6

# --- Technique ------------------------------------------------------------------------------------
SRC_TECHNIQUE = (
    'When using a roller, follow the "cross-hatching" technique: roll horizontally first, then '
    "vertically, no more than three passes over any area, and avoid rubbing repeatedly in the same "
    "spot."
)
MAX_PASSES_PER_AREA = 3
SRC_ENDPOINT = (
    'Apply pressure until the skin is slightly pink; discard the misconception that "redder equals '
    'more effective."'
)
#: The end point, "slightly pink", in CIELAB Δa* against the pre-treatment baseline. Visual
#: grading scales of erythema separate "very slight (barely perceptible)" erythema (Draize grade
#: 1, "mild") from "well-defined" erythema (Draize grade 2) (Draize JH, Woodard G, Calvery HO
#: 1944, J Pharmacol Exp Ther 82:377-390). Chromameter studies that graded the same sites by eye
#: put the mild erythema of a soap-chamber test at a Δa* of about 1 to 3 (Babulak SW et al.
#: 1986, J Soc Cosmet Chem 37:475-479: six soaps, a* 7.0-7.8 before and 8.8-10.1 after, Δa*
#: 1.1-2.9, correlating with the visual grades) and well-defined
#: ("moderate") erythema at about 4 to 5, marked beyond about 7 (Wilhelm KP, Maibach HI 1989,
#: J Am Acad Dermatol 21:1306-1308; Fullerton A et al. 1996, Contact Dermatitis 35:1-10, the
#: European guidelines). Between 4 and 5 the mild and well-defined grades overlap (observers
#: disagree, and ``core.compare`` already calls it "moderate" from 4); from 5 on, erythema is
#: well-defined by every reading. So "redder than slightly pink" is a Δa* above 5, beyond the
#: photo's own 95 % band: only what is surely well-defined erythema is called too much. The
#: recovery model's normal course starts inside the overlap (5 a* at 0 h in tests/test_tracking.py,
#: 4.2 at the first photo of scripts/measure_recovery.py) and must not be called too red.
ENDPOINT_MAX_DELTA_A_STAR = 5.0
#: The same bound as a change of the erythema index (EI = 100·log10(R/G) of linear camera
#: reflectance, ``core.colour.erythema_index``; Dawson et al. 1980). Published EI readings come
#: from narrow-band meters and do not transfer to a camera's broad channels, so the bound is
#: carried over through our own measurement: the phantom's haemoglobin-like redness raises the
#: camera EI by 1.12-1.46 (median 1.25) units per a* unit on the seven frontal sample faces
#: (forehead and cheeks at +3, +4 and +6 a*; ``tests/core/test_endpoint.py`` checks it), so Δa* 5
#: is a ΔEI of about 6.2. Reported beside Δa*; Δa* decides.
ENDPOINT_MAX_DELTA_ERYTHEMA_INDEX = 6.2
#: Only a photo taken within this many hours of the treatment start measures the end point: the
#: redness fades with a time constant of hours (docs/recovery.md), so a later first photo shows
#: less than the skin reached, and the check would pass a session that was too hard.
ENDPOINT_PHOTO_MAX_HOURS = 1.0
#: Said where a session starts, so that the first photo can measure the end point.
ENDPOINT_PHOTO_HINT = (
    f"Take a photo within {ENDPOINT_PHOTO_MAX_HOURS:g} h after treatment: it shows whether you "
    "stopped at slightly pink."
)

# --- Aftercare (hours from treatment start) -----------------------------------------------------
SRC_AFTERCARE = (
    "Avoid makeup, swimming, and sun exposure for 24 hours, and refrain from using high-irritation "
    "ingredients like acids or retinol for 48 hours."
)
NO_MAKEUP_SWIM_SUN_HOURS = 24.0
NO_ACIDS_RETINOL_HOURS = 48.0
SRC_SERUM = (
    "Immediately after the procedure, apply a repairing serum or medical-grade mask. At this "
    "moment, the skin channels are open, absorption efficiency is at its peak, but the skin is "
    "also most vulnerable."
)

# --- Normal course of redness -------------------------------------------------------------------
SRC_REDNESS_WINDOW = (
    "Mild redness and a burning sensation are normal and usually subside within 4 to 6 hours."
)
REDNESS_WINDOW_START_HOURS = 4.0
REDNESS_WINDOW_END_HOURS = 6.0

# --- Warning signs --------------------------------------------------------------------------------
SRC_WARNING = (
    "However, if persistent erythema, swelling, oozing, or fever occurs, it may be a sign of "
    "infection or allergy. Stop use immediately and consult a dermatologist."
)
WARNING_SYMPTOMS = ("swelling", "oozing", "fever")

# --- People advised against home microneedling ---------------------------------------------------
SRC_ADVISED_AGAINST = (
    "Special reminder: Pregnant or breastfeeding women, individuals with keloid-prone skin, and "
    "those taking anticoagulant medications are advised against home microneedling."
)
ADVISED_AGAINST_CONDITIONS = ("pregnant_or_breastfeeding", "keloid_prone", "anticoagulants")

SRC_SAFETY_FIRST = "It is better to see slower results than to risk skin health."

#: The protocol's framing sentences: not rules, but the reason skintrack checks at all. They are
#: shown with the checklist (``core.questionnaire.CHECKLIST_INTRO``) and listed in docs/protocol.md.
SRC_INTRO = (
    "At-home microneedling is becoming a popular skincare trend, but the accompanying safety "
    "concerns cannot be ignored. The essence of microneedling is the physical creation of "
    "microchannels in the skin; improper operation not only fails to yield ideal results but can "
    "also lead to infection, allergic reactions, or even permanent scarring. Therefore, mastering "
    "a scientifically standardized操作流程 (operational process) is lesson number one for every "
    "home user."
)
#: The protocol's four parts open with a sentence each; the checklist, the technique steps and
#: the aftercare list are headed by them.
SRC_PART_DEVICE = "First, the choice of equipment is crucial."
SRC_PART_DISINFECTION = "Second, a strict disinfection process is non-negotiable."
SRC_PART_TECHNIQUE = "Third, correct operating methods determine both efficacy and safety."
SRC_PART_REACTIONS = "Finally, recognize adverse reactions and respond promptly."
SRC_CLOSING = (
    "Home microneedling is a double-edged sword: used correctly, it is a powerful skincare tool; "
    "used incorrectly, it can be a skin disaster. Safety must always come first."
)

RULES: tuple[Rule, ...] = (
    Rule(
        "needle_length",
        "Needles longer than 0.5 mm are medical grade and not for home use; 0.25-0.5 mm is the home range.",
        SRC_NEEDLE,
    ),
    Rule(
        "disinfection",
        "Disinfect hands, face and the tool before treatment; soak a roller in 75 % "
        "alcohol for at least 10 minutes or use a UV sterilisation box.",
        SRC_DISINFECT,
    ),
    Rule(
        "skin_suspend",
        "Postpone while there are open wounds, acne pustules or an active cold sore on the skin.",
        SRC_SKIN_SUSPEND,
    ),
    Rule("technique", "Cross-hatch, at most three passes over any area.", SRC_TECHNIQUE),
    # Added by issue 17: the rest of the protocol, before, during and after.
    Rule(
        "device_choice",
        "For a beginner, dissolvable patches are the safest choice; a reused roller can breed bacteria.",
        SRC_PATCH,
    ),
    Rule(
        "roller_reuse",
        "A roller used again can breed bacteria, and uneven pressure can abrade the skin.",
        SRC_ROLLER_REUSE,
    ),
    Rule("environment", "Work in a clean room, preferably a well-ventilated one.", SRC_ENVIRONMENT),
    Rule("endpoint", "Stop at slightly pink: redder is not more effective.", SRC_ENDPOINT),
    Rule("serum", "Right after treatment, apply a repairing serum or a medical-grade mask.", SRC_SERUM),
    Rule(
        "aftercare",
        "No makeup, swimming or sun for 24 hours; no acids or retinol for 48 hours.",
        SRC_AFTERCARE,
    ),
    Rule("redness_window", "Mild redness usually subsides within 4 to 6 hours.", SRC_REDNESS_WINDOW),
    Rule(
        "warning_signs",
        "Persistent redness, swelling, oozing or fever: stop and consult a dermatologist.",
        SRC_WARNING,
    ),
    Rule(
        "advised_against",
        "Not advised when pregnant or breastfeeding, keloid-prone, or on anticoagulants.",
        SRC_ADVISED_AGAINST,
    ),
    # Added by the pre-treatment check (issue 4): when the photo cannot show the skin, or a spot
    # may be a pustule, wound or cold sore but is uncertain, look again before treating.
    Rule(
        "safety_first",
        "When the photo cannot show the skin clearly or a spot is uncertain, check again before treating.",
        SRC_SAFETY_FIRST,
    ),
    # Added by issue 13: dermatology guidance advises against needling over active inflamed acne
    # (papules, nodules), since the needles can spread its bacteria; the protocol names only
    # pustules, and its safety-first sentence covers the rest.
    Rule(
        "inflamed_acne",
        "Active inflamed acne (red bumps, deep lumps) where you treat: needling "
        "over it can spread bacteria, so look again and wait until it has calmed down.",
        SRC_SAFETY_FIRST,
    ),
    # Added by issue 13: the answers decide four of the protocol's rules, so GO needs them all.
    Rule(
        "questions",
        "Answer every protocol question before treating: each can rule treatment out.",
        SRC_SAFETY_FIRST,
    ),
)


def technique_steps(device: str) -> tuple[str, ...]:
    """The technique in a few plain steps for ``device`` (one of :data:`DEVICES`), from
    :data:`SRC_TECHNIQUE`, :data:`SRC_ENDPOINT` and :data:`SRC_SERUM`. The cross-hatching rule is
    the protocol's for rollers; a pen is moved the same way, and a patch is pressed on once."""
    if device not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}")
    moves: tuple[str, ...]
    if device == "patch":
        moves = (
            "Press each patch on once, on clean, dry skin, and leave it as its instructions "
            "say; do not press it again or rub over it.",
        )
    else:
        tool = "roller" if device == "roller" else "pen"
        moves = (
            f"Cross-hatch: move the {tool} horizontally over an area first, then vertically.",
            f"No more than {MAX_PASSES_PER_AREA} passes over any area.",
            "Do not rub back and forth in the same spot.",
        )
    return moves + (
        "Stop when the skin is slightly pink: redder is not more effective.",
        "Right after: apply a repairing serum or a medical-grade mask.",
    )


def rule(rule_id: str) -> Rule:
    """Return the rule with this id (KeyError if unknown)."""
    for r in RULES:
        if r.id == rule_id:
            return r
    raise KeyError(rule_id)
