"""Every protocol sentence is in core/protocol.py, used by the code, listed in docs/protocol.md with
what skintrack does with it, and covered by tests that exist (issue 17: none "quoted only")."""

from __future__ import annotations

import ast
import re

import pytest

from skintrack.core import protocol
from tests.conftest import ROOT

SEED = ROOT.parent / "shared" / "seed" / "000_773d5ec59fa58a72.txt"
DOC = ROOT / "docs" / "protocol.md"
SRC = ROOT / "src" / "skintrack"


def split_sentences(text: str) -> list[str]:
    """Sentences of the protocol's prose: a full stop (maybe inside a closing quote), then space
    and a capital letter."""
    return [s.strip() for s in re.split(r'(?<=[.!?])(?:["”])?\s+(?=[A-Z])', text) if s.strip()]


def source_constants() -> dict[str, str]:
    return {
        name: value
        for name, value in vars(protocol).items()
        if name.startswith("SRC_") and isinstance(value, str)
    }


def protocol_sentences() -> list[str]:
    """Every sentence the SRC_ constants hold (each sentence once)."""
    out: list[str] = []
    for value in source_constants().values():
        for s in split_sentences(value):
            if s not in out:
                out.append(s)
    return out


@pytest.mark.skipif(not SEED.is_file(), reason="the seed text is not present")
def test_every_seed_sentence_is_a_protocol_constant():
    body = SEED.read_text(encoding="utf-8").split("\n", 3)[3]
    paragraphs = [p.strip() for p in body.splitlines() if p.strip()]
    held = " ".join(source_constants().values())
    sentences = [s for p in paragraphs for s in split_sentences(p)]
    assert len(sentences) == 27
    for s in sentences:
        assert s.rstrip('"') in held, s


def _names_used_outside_protocol() -> set[str]:
    used: set[str] = set()
    for path in SRC.rglob("*.py"):
        if path.name == "protocol.py" and path.parent.name == "core":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                used.add(node.id)
            elif isinstance(node, ast.Attribute):
                used.add(node.attr)
            elif isinstance(node, ast.alias):
                used.add(node.name.rsplit(".", 1)[-1])
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                used.add(node.value)
    return used


def test_no_sentence_is_quoted_only():
    """Each SRC_ constant is used outside core/protocol.py, or is the source of a rule whose id
    the code uses (a verdict reason, advice)."""
    used = _names_used_outside_protocol()
    rules_used = {r.id for r in protocol.RULES if r.id in used}
    for name, value in source_constants().items():
        by_rule = any(r.source == value for r in protocol.RULES if r.id in rules_used)
        assert name in used or by_rule, f"{name} is quoted only"


def _rows() -> list[tuple[str, str, str]]:
    rows = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\|\s*(\d+)\s*\|\s*“(.+)”\s*\|(.+)\|(.+)\|\s*$", line)
        if m:
            rows.append((m.group(2), m.group(3).strip(), m.group(4).strip()))
    return rows


def test_the_doc_lists_every_sentence_with_what_is_done_and_existing_tests():
    rows = _rows()
    listed = [sentence for sentence, _, _ in rows]
    assert len(rows) == 27
    held = " ".join(source_constants().values())
    for sentence in listed:
        assert sentence in held, sentence  # word for word
    for sentence in protocol_sentences():
        assert any(sentence.rstrip('"') in s for s in listed), sentence
    for sentence, done, tests in rows:
        assert done and "quoted only" not in done.lower(), sentence
        named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", tests)
        assert named, sentence
        for file, test in named:
            text = (ROOT / file).read_text(encoding="utf-8")
            assert re.search(rf"^def {test}\(", text, re.M), f"{file}::{test} does not exist"
