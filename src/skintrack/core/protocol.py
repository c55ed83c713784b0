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

# --- Skin contraindications ---------------------------------------------------------------------
SRC_SKIN_SUSPEND = (
    "If there are open wounds, acne pustules, or active herpes on the skin, treatment should be "
    "suspended until the skin has fully recovered."
)
#: Finding kinds that postpone treatment when in or next to a treated region.
POSTPONE_KINDS = ("pustule", "open_wound", "crust", "cold_sore")

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

# --- Aftercare (hours from treatment start) -----------------------------------------------------
SRC_AFTERCARE = (
    "Avoid makeup, swimming, and sun exposure for 24 hours, and refrain from using high-irritation "
    "ingredients like acids or retinol for 48 hours."
)
NO_MAKEUP_SWIM_SUN_HOURS = 24.0
NO_ACIDS_RETINOL_HOURS = 48.0

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

SRC_SAFETY_FIRST = (
    "It is better to see slower results than to risk skin health."
)

RULES: tuple[Rule, ...] = (
    Rule("needle_length", "Needles longer than 0.5 mm are medical grade and not for home use; "
         "0.25-0.5 mm is the home range.", SRC_NEEDLE),
    Rule("disinfection", "Disinfect hands, face and the tool before treatment; soak a roller in 75 % "
         "alcohol for at least 10 minutes or use a UV sterilisation box.", SRC_DISINFECT),
    Rule("skin_suspend", "Postpone while there are open wounds, acne pustules or an active cold sore "
         "on the skin.", SRC_SKIN_SUSPEND),
    Rule("technique", "Cross-hatch, at most three passes over any area.", SRC_TECHNIQUE),
    Rule("aftercare", "No makeup, swimming or sun for 24 hours; no acids or retinol for 48 hours.",
         SRC_AFTERCARE),
    Rule("redness_window", "Mild redness usually subsides within 4 to 6 hours.", SRC_REDNESS_WINDOW),
    Rule("warning_signs", "Persistent redness, swelling, oozing or fever: stop and consult a "
         "dermatologist.", SRC_WARNING),
    Rule("advised_against", "Not advised when pregnant or breastfeeding, keloid-prone, or on "
         "anticoagulants.", SRC_ADVISED_AGAINST),
    # Added by the pre-treatment check (issue 4): when the photo cannot show the skin, or a spot
    # may be a pustule, wound or cold sore but is uncertain, look again before treating.
    Rule("safety_first", "When the photo cannot show the skin clearly or a spot is uncertain, "
         "check again before treating.", SRC_SAFETY_FIRST),
    # Added by issue 13: dermatology guidance advises against needling over active inflamed acne
    # (papules, nodules), since the needles can spread its bacteria; the protocol names only
    # pustules, and its safety-first sentence covers the rest.
    Rule("inflamed_acne", "Active inflamed acne (red bumps, deep lumps) where you treat: needling "
         "over it can spread bacteria, so look again and wait until it has calmed down.",
         SRC_SAFETY_FIRST),
    # Added by issue 13: the answers decide four of the protocol's rules, so GO needs them all.
    Rule("questions", "Answer every protocol question before treating: each can rule treatment "
         "out.", SRC_SAFETY_FIRST),
)


def rule(rule_id: str) -> Rule:
    """Return the rule with this id (KeyError if unknown)."""
    for r in RULES:
        if r.id == rule_id:
            return r
    raise KeyError(rule_id)
