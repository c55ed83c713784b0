"""Every word a person reads about regions, finding kinds, statuses, devices and choices.

One vocabulary for the command line, the app, the reports and the sentences core builds (the
verdict's reasons, the recovery advice), so that a region, a kind of spot or a status is called the
same everywhere (docs/adr/0010). Plain Python, no Qt, and it imports nothing from skintrack: every
layer, core included, may import it.

Each set of words is keyed by the identifier the code uses (``"perioral"``, ``"open_wound"``,
``"on_track"``). Where a sentence needs another form of the same name there is one documented
variant next to it (:func:`region_phrase` for "on the skin around the mouth", :func:`kind_title`
for a heading); there are no other spellings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# --- Regions ----------------------------------------------------------------------------------

#: The measured regions and the lips (where cold sores sit), as a person reads them in a list or a
#: table. Left and right are anatomical: ``left_cheek`` is the person's own left cheek.
REGION_WORDS = {
    "forehead": "forehead",
    "left_cheek": "left cheek",
    "right_cheek": "right cheek",
    "nose": "nose",
    "chin": "chin",
    "perioral": "around the mouth",
    "lips": "lips",
}
#: The same regions as the object of a sentence ("on ...", "next to ..."): "around the mouth" is
#: a place, not a thing, so it becomes "the skin around the mouth".
_REGION_PHRASES = {"perioral": "the skin around the mouth"}
#: Where a finding or spot has no region.
NO_REGION = "face"


def region_name(region: str | None) -> str:
    """A region as a person reads it in a list or a table: ``"left cheek"``,
    ``"around the mouth"``; ``"face"`` for None; an unknown identifier with spaces."""
    if not region:
        return NO_REGION
    return REGION_WORDS.get(region, region.replace("_", " "))


def region_title(region: str | None) -> str:
    """:func:`region_name` capitalised for a label or a check box: ``"Around the mouth"``."""
    return capitalised(region_name(region))


def region_phrase(region: str | None) -> str:
    """A region as the object of a sentence, with its article: ``"the left cheek"``,
    ``"the skin around the mouth"``, ``"the face"`` for None."""
    if region in _REGION_PHRASES:
        return _REGION_PHRASES[region]
    return "the " + region_name(region)


def region_names(regions: Iterable[str | None]) -> str:
    """Regions in a sentence: ``"nose"``, ``"nose and chin"``, ``"forehead, nose and chin"``."""
    return and_list([region_name(r) for r in regions])


# --- Finding kinds ----------------------------------------------------------------------------


@dataclass(frozen=True)
class KindWords:
    """How one kind of finding is named: the noun alone and with its article, the plural, a
    heading in plain words, and what it is, explained to someone who has not heard the noun."""

    name: str
    article: str
    plural: str
    title: str
    explanation: str

    def __post_init__(self) -> None:
        if not all((self.name, self.plural, self.title, self.explanation)):
            raise ValueError("a kind needs every word")
        if self.article not in ("a", "an"):
            raise ValueError("the article is 'a' or 'an'")

    @property
    def with_article(self) -> str:
        return f"{self.article} {self.name}"


KIND_WORDS = {
    "comedone": KindWords(
        "comedone",
        "a",
        "comedones",
        "Blackhead or whitehead",
        "a blocked pore: a blackhead (open) or a whitehead (closed)",
    ),
    "papule": KindWords(
        "papule", "a", "papules", "Red bump (papule)", "a small red bump of inflamed acne, without a head"
    ),
    "pustule": KindWords(
        "pustule",
        "a",
        "pustules",
        "Pustule (white or yellow head)",
        "a bump of inflamed acne with a white or yellow head of pus",
    ),
    "nodule": KindWords(
        "nodule",
        "a",
        "nodules",
        "Deep lump (nodule)",
        "a deep, often painful lump of inflamed acne under the skin",
    ),
    "open_wound": KindWords(
        "open wound", "an", "open wounds", "Open wound", "broken skin that is not yet closed"
    ),
    "crust": KindWords(
        "crust (scab)",
        "a",
        "crusts (scabs)",
        "Crust (scab)",
        "dried blood or fluid over skin that is healing",
    ),
    "cold_sore": KindWords(
        "cold sore",
        "a",
        "cold sores",
        "Cold sore",
        "blisters or a crust at the lip border from the herpes virus",
    ),
}
#: A kind not in :data:`KIND_WORDS` (only a test or a newer database can give one).
_UNKNOWN_KIND = KindWords("spot", "a", "spots", "Spot", "a spot on the skin")


def kind_words(kind: str) -> KindWords:
    """The words of a finding kind; an unknown kind is named by its identifier."""
    if kind in KIND_WORDS:
        return KIND_WORDS[kind]
    name = kind.replace("_", " ") or _UNKNOWN_KIND.name
    return KindWords(
        name, "an" if name[:1] in "aeiou" else "a", name + "s", capitalised(name), _UNKNOWN_KIND.explanation
    )


def kind_name(kind: str) -> str:
    """``"open wound"``, ``"crust (scab)"``: in a table or after a number."""
    return kind_words(kind).name


def kind_with_article(kind: str) -> str:
    """``"an open wound"``, ``"a pustule"``: in a sentence."""
    return kind_words(kind).with_article


def kind_plural(kind: str) -> str:
    """``"open wounds"``, ``"cold sores"``."""
    return kind_words(kind).plural


def kind_title(kind: str) -> str:
    """A heading in plain words: ``"Blackhead or whitehead"``, ``"Red bump (papule)"``."""
    return kind_words(kind).title


# --- Statuses and decisions -------------------------------------------------------------------

#: Each recovery status: a short headline and a full sentence. The app's banner shows the
#: headline, the report's status box the sentence, the command line both.
STATUS_WORDS = {
    "insufficient_data": (
        "Not enough photos yet",
        "No photo after treatment yet: the redness curve starts with the first one.",
    ),
    "resolved": ("Redness is back to normal", "The redness is back to baseline."),
    "on_track": ("Fading as expected", "The redness is fading as expected."),
    "slower_than_usual": ("Fading, but slower than usual", "The redness is fading more slowly than usual."),
    "persistent": ("Still redder after 6 hours", "The redness persists beyond the usual 4 to 6 hours."),
    "worsening": ("Getting worse", "Getting worse: more redness, or new spots, since treatment."),
}
#: What to do, one sentence per urgency (wording follows the protocol's warning sentence).
URGENCY_WORDS = {
    "none": "",
    "consult_dermatologist": "Stop home treatment and consult a dermatologist.",
    "consult_promptly": "Consult a dermatologist promptly.",
    "seek_care_now": "Seek medical advice now.",
}


def status_headline(status: str) -> str:
    """``"Fading as expected"``; an unknown status by its identifier."""
    return STATUS_WORDS.get(status, (capitalised(status.replace("_", " ")), ""))[0]


def status_sentence(status: str) -> str:
    """``"The redness is fading as expected."``; an unknown status by its identifier."""
    return STATUS_WORDS.get(status, ("", capitalised(status.replace("_", " ")) + "."))[1]


#: The check's decision: the word in capitals every front end prints, and what it means.
DECISION_WORDS = {
    "go": ("GO", "your skin looks ready"),
    "review": ("REVIEW", "look again before you start"),
    "postpone": ("POSTPONE", "do not treat today"),
}


def decision_word(decision: str) -> str:
    """``"GO"``, ``"REVIEW"``, ``"POSTPONE"``."""
    return DECISION_WORDS.get(decision, (decision.upper(), ""))[0]


def decision_headline(decision: str) -> str:
    """``"GO: your skin looks ready"``."""
    word, meaning = DECISION_WORDS.get(decision, (decision.upper(), ""))
    return f"{word}: {meaning}" if meaning else word


# --- Devices and questionnaire choices --------------------------------------------------------

#: The devices the protocol names (protocol.DEVICES), as a person reads them.
DEVICE_WORDS = {
    "patch": "dissolvable microneedle patch",
    "roller": "derma roller",
    "pen": "microneedle pen",
}
#: The questionnaire's other choices (how a reused roller was disinfected).
CHOICE_WORDS = {
    **DEVICE_WORDS,
    "alcohol_75_10min": "soaked in 75 % alcohol for 10 minutes or more",
    "uv_box": "in a UV sterilisation box",
    "other": "another way",
    "none": "not disinfected",
}


def device_name(device: str) -> str:
    """``"derma roller"``; an unknown device by its identifier."""
    return DEVICE_WORDS.get(device, device.replace("_", " "))


def choice_name(choice: str) -> str:
    """A questionnaire choice in a sentence or a table: ``"in a UV sterilisation box"``."""
    return CHOICE_WORDS.get(choice, choice.replace("_", " "))


def choice_title(choice: str) -> str:
    """:func:`choice_name` capitalised for a list to pick from."""
    return capitalised(choice_name(choice))


# --- Small helpers ----------------------------------------------------------------------------


def capitalised(text: str) -> str:
    """The first letter in capitals, the rest as it is (``"UV box"`` keeps its capitals)."""
    return text[:1].upper() + text[1:]


def and_list(items: Iterable[str]) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
