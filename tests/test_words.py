"""The one vocabulary (docs/adr/0010): every region, kind, status, decision, device and choice the
code can produce has its words, and the command line, the app and the report name a region alike."""

from __future__ import annotations

import pytest

from skintrack import words
from skintrack.core import protocol
from skintrack.core.lesions import KINDS, Finding
from skintrack.core.questionnaire import QUESTIONS
from skintrack.core.recovery import STATUSES, URGENCIES
from skintrack.core.regions import REGION_NAMES, region_named
from skintrack.core.verdict import DECISIONS, decide

# --- every identifier the code can produce has words ----------------------------------------


@pytest.mark.parametrize("region", REGION_NAMES)
def test_every_region_has_a_name_a_title_and_a_phrase_that_read_back(region):
    name = words.region_name(region)
    assert region in words.REGION_WORDS and name and "_" not in name
    assert words.region_title(region) == name[0].upper() + name[1:]
    assert words.region_phrase(region).startswith("the ")
    # Whatever form a person copies from the screen, typed back it is the same region.
    for shown in (name, words.region_title(region), words.region_phrase(region)):
        assert region_named(shown) == region, shown


def test_the_lips_have_a_name_but_are_not_a_region_to_treat():
    assert words.region_name("lips") == "lips"
    assert region_named("lips") is None


def test_around_the_mouth_has_one_name_and_one_sentence_form():
    assert words.region_name("perioral") == "around the mouth"
    assert words.region_phrase("perioral") == "the skin around the mouth"
    assert words.region_phrase("left_cheek") == "the left cheek"
    assert words.region_phrase(None) == "the face" and words.region_name(None) == "face"
    assert words.region_names(["nose", "perioral", "chin"]) == "nose, around the mouth and chin"


@pytest.mark.parametrize("kind", sorted(set(KINDS) | set(protocol.POSTPONE_KINDS)))
def test_every_finding_kind_has_all_its_words(kind):
    w = words.KIND_WORDS[kind]  # KeyError: a kind the detector can produce has no words
    assert w.name and w.plural != w.name and w.title and w.explanation
    assert "_" not in w.name + w.plural
    # The article follows the sound: "an open wound", "a pustule".
    assert (w.article == "an") == (w.name[0] in "aeiou")
    assert words.kind_with_article(kind) == f"{w.article} {w.name}"


def test_a_kind_without_words_is_named_by_its_identifier_not_dropped():
    assert words.kind_name("milium_cyst") == "milium cyst"
    assert words.kind_with_article("ingrown_hair") == "an ingrown hair"


@pytest.mark.parametrize("status", STATUSES)
def test_every_recovery_status_has_a_headline_and_a_sentence(status):
    headline, sentence = words.STATUS_WORDS[status]
    assert headline and sentence.endswith(".")
    assert words.status_headline(status) == headline
    assert words.status_sentence(status) == sentence


@pytest.mark.parametrize("urgency", URGENCIES)
def test_every_urgency_has_its_sentence(urgency):
    assert urgency in words.URGENCY_WORDS
    assert bool(words.URGENCY_WORDS[urgency]) == (urgency != "none")


@pytest.mark.parametrize("decision", DECISIONS)
def test_every_decision_has_its_word_and_headline(decision):
    assert words.decision_word(decision) == decision.upper()
    assert words.decision_headline(decision).startswith(decision.upper() + ": ")


def test_every_device_and_every_questionnaire_choice_has_words():
    assert set(protocol.DEVICES) <= set(words.DEVICE_WORDS)
    choices = {c for q in QUESTIONS for c in (q.choices or ())}
    assert choices, "the questionnaire offers choices"
    missing = choices - set(words.CHOICE_WORDS)
    assert not missing, f"choices without words: {sorted(missing)}"
    assert words.choice_title("uv_box") == "In a UV sterilisation box"


def test_and_list():
    assert words.and_list([]) == "" and words.and_list(["a"]) == "a"
    assert words.and_list(["a", "b", "c"]) == "a, b and c"


# --- the front ends and core say the same --------------------------------------------------


def _pustule(region: str) -> Finding:
    return Finding(
        id="p1", kind="pustule", x=10.0, y=10.0, radius_px=3.0, diameter_mm=2.0, region=region, score=0.99
    )


def test_the_verdict_says_the_sentence_form_of_the_region():
    v = decide([_pustule("perioral")], None, treated=("perioral",))
    texts = " ".join(r.text for r in v.reasons)
    assert "a pustule on the skin around the mouth" in texts


def test_the_command_line_the_app_and_the_report_name_a_region_alike(tmp_path, capsys, qtbot):
    """One real check through each front end: the region ``perioral`` reads "around the mouth"
    in a list (the app's labels capitalised) and "the skin around the mouth" in a sentence,
    never the identifier."""
    from PySide6.QtWidgets import QWidget

    from skintrack.app.pages.common import region_checkboxes
    from skintrack.app.pages.sessions import technique_html
    from skintrack.cli import main
    from skintrack.report.text import region_label

    name, phrase = words.region_name("perioral"), words.region_phrase("perioral")

    # Command line: `session new` says where to treat in a sentence, `session list` lists names.
    d = ["session", "--data-dir", str(tmp_path)]
    assert main([*d, "new", "--device", "pen", "--needle-mm", "0.25", "--treated", "perioral"]) == 0
    created = capsys.readouterr().out
    assert f"how to treat {phrase} (" in created and "perioral" not in created
    assert main([*d, "list"]) == 0
    listed = capsys.readouterr().out
    assert name in listed and "perioral" not in listed

    # Report: the label of a finding's or a measurement's region.
    assert region_label("perioral") == name

    # App: the region check boxes (session dialog, check page) and the technique text.
    holder = QWidget()
    qtbot.addWidget(holder)
    grid, boxes = region_checkboxes(lambda *_: None)
    holder.setLayout(grid)
    assert boxes["perioral"].text() == "Around the mouth" == words.region_title("perioral")
    assert f"On {phrase}:" in technique_html("pen", ("perioral",))
