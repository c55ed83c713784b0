"""Text a person typed, made safe for reports and the terminal."""

from __future__ import annotations

from skintrack.core.printable import clean_text, for_terminal, from_command_line, shorten


def test_clean_text_keeps_every_script_and_drops_controls():
    s = "a\tb\r\nc\rd\x1b[31me\x07\x00f \u202eg\u202c 中文 日本語 😀 é\u0301"
    assert clean_text(s) == "a b\nc\ndef g 中文 日本語 😀 é\u0301"
    assert clean_text(s, multiline=False) == "a b c def g 中文 日本語 😀 é\u0301"
    assert clean_text("\x1b]0;title\x07x\x1bc y") == "xc y"  # OSC sequence; a lone ESC
    assert clean_text("x\ud800y\ufffez") == "xyz"  # lone surrogate, noncharacter
    assert clean_text("plain words") == "plain words"


def test_for_terminal_shows_controls_escaped_on_one_line():
    assert for_terminal("face \x1b[31mred.jpg") == "face \\x1b[31mred.jpg"
    assert for_terminal("a\nb\tc\u202ed") == "a\\nb\\tc\\u202ed"
    assert for_terminal("caf\udce9.jpg") == "caf\\xe9.jpg"  # an undecodable byte of a file name
    assert for_terminal("中文 😀 café") == "中文 😀 café"


def test_shorten_says_how_long_the_value_was():
    assert shorten("short") == "short"
    long = shorten("x" * 5000, 80)
    assert len(long) <= 80 and long.endswith("(5,000 characters)")


def test_bytes_that_are_not_utf8_become_replacement_characters():
    import os

    arg = os.fsdecode(b"bad \xff byte")  # what sys.argv holds for such an argument
    assert from_command_line(arg) == "bad \ufffd byte"
    assert from_command_line("中文 ok") == "中文 ok"
