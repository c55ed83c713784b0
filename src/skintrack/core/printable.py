"""Text a person typed (notes, product names, file names), made safe to print.

Whatever someone types or names a file can hold a tab, a carriage return, an escape sequence
(``ESC [31m`` turns a terminal red; others move the cursor or set the window title), a bidi
override that reverses what follows, or, in a file name the system could not decode, a lone
surrogate. Reports and the terminal show such text through these functions:

- :func:`clean_text` for reports: tabs become spaces, line breaks become ``\\n``, every other
  control character is removed (XML 1.0 forbids most of them in a file at all);
- :func:`for_terminal` for the command line: control characters are shown escaped (``\\x1b``),
  so the name stays recognisable but cannot drive the terminal;
- :func:`shorten` keeps an echoed value short (a 150 MB value must not become the error line).
"""

from __future__ import annotations

import re
import unicodedata

#: Bidirectional embedding, override and isolate controls: invisible, and they reorder what
#: follows them ("trojan source" file names).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
_LINE_BREAKS = ("\r\n", "\r", "\u2028", "\u2029", "\x85", "\v", "\f")
#: Terminal escape sequences (ECMA-48 CSI such as ``ESC [31m``, OSC such as a window title):
#: removed whole from reports, not just their ESC, so pasted coloured text reads as text.
_ESCAPE_SEQUENCE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")


def _unsafe(ch: str) -> bool:
    """A control character, a bidi control, a lone surrogate or a noncharacter."""
    cat = unicodedata.category(ch)
    return (
        cat == "Cc"
        or cat == "Cs"
        or ch in BIDI_CONTROLS
        or (0xFDD0 <= ord(ch) <= 0xFDEF)
        or (ord(ch) & 0xFFFE) == 0xFFFE
    )


def clean_text(text: object, *, multiline: bool = True) -> str:
    """``text`` as a report shows it: no control characters.

    Tabs become one space; ``\\r\\n``, ``\\r`` and the Unicode line separators become ``\\n`` (or
    one space when ``multiline`` is false); terminal escape sequences, every other control
    character, bidi control, lone surrogate and noncharacter are removed. Printable text, emoji
    and every script are kept.
    """
    s = str(text)
    if "\x1b" in s:
        s = _ESCAPE_SEQUENCE.sub("", s)
    for br in _LINE_BREAKS:
        s = s.replace(br, "\n")
    s = s.replace("\t", " ")
    if not multiline:
        s = s.replace("\n", " ")
    if s.isprintable():  # the usual case: nothing to remove
        return s
    return "".join(ch for ch in s if ch == "\n" or not _unsafe(ch))


def for_terminal(text: object) -> str:
    """``text`` on one terminal line: control characters shown as escapes, never sent raw.

    A byte the file system could not decode (a lone surrogate from Python's ``surrogateescape``)
    shows as ``\\xNN``; a control character as ``\\n``, ``\\t``, ``\\x1b``, ``\\u202e``.
    """
    s = str(text)
    if s.isprintable():
        return s
    out = []
    for ch in s:
        if ch == " " or not _unsafe(ch):
            out.append(ch)
        elif 0xDC80 <= ord(ch) <= 0xDCFF:  # surrogateescape: the undecodable byte
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        else:
            out.append(repr(ch)[1:-1] if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
    return "".join(out)


def from_command_line(text: str) -> str:
    """``text`` from ``sys.argv``, with bytes that were not UTF-8 (which Python keeps as lone
    surrogates, and which no file or database can store) replaced by U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def shorten(text: object, limit: int = 80) -> str:
    """``text`` cut to at most ``limit`` characters, with an ellipsis and the length when cut."""
    s = str(text)
    if len(s) <= limit:
        return s
    tail = f"\u2026 ({len(s):,} characters)"
    return s[: max(limit - len(tail), 8)] + tail
