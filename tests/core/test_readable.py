"""Numbers as people read them (issue 16): one helper for hours and durations, no ``-0.0``, a
session long over said so instead of "6290.48 h after treatment"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from skintrack.core.readable import duration_text, hours_text, signed_number
from skintrack.core.recovery import Observation, assess_recovery


@pytest.mark.parametrize(
    "hours, text",
    [
        (6.00291, "6 h"),
        (1.5, "1.5 h"),
        (0.04, "0 h"),
        (-0.2, "\u22120.2 h"),
        (26.4, "26 h"),
        (6290.48, "262 days"),
        (24.0, "24 h"),
        (9.96, "10 h"),
        (None, "\u2013"),
    ],
)
def test_hours_text(hours, text):
    assert hours_text(hours) == text


def test_signed_hours_and_numbers_never_read_minus_zero():
    assert hours_text(2.0, signed=True) == "+2 h"
    assert hours_text(-0.01, signed=True) == "0 h"
    assert signed_number(-0.04) == "0.0" and signed_number(0.04) == "0.0"
    assert signed_number(-1.26) == "\u22121.3" and signed_number(2.0) == "+2.0"


@pytest.mark.parametrize(
    "hours, text",
    [
        (0.4, "24 min"),
        (2.09, "2 h 05 min"),
        (76.0, "3 days 4 h"),
        (-1.0, "0 min"),
        (48.0, "2 days"),
    ],
)
def test_duration_text(hours, text):
    assert duration_text(hours) == text


T0 = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)


def test_the_next_photo_is_said_in_readable_hours():
    st = assess_recovery(
        {"left_cheek": [Observation(1.0, 3.0, 0.5, True, photo_id=1)]},
        treated_regions=("left_cheek",),
        treated_at=T0,
        now=T0 + timedelta(hours=1, seconds=10.5),
        threshold=1.0,
    )
    text = next(a.text for a in st.advice if a.code == "next_photo")
    assert "Take the next photo 2 h after treatment: it will show whether" in text


def test_a_session_long_over_asks_for_no_photo():
    now = T0 + timedelta(hours=6290.48)
    st = assess_recovery({}, treated_regions=("left_cheek",), treated_at=T0, now=now, threshold=1.0)
    assert st.next_photo is None
    texts = " ".join(a.text for a in st.advice)
    assert "6290" not in texts and "session is over" in texts and "262 days" in texts
    assert "Take the next photo" not in texts and "No photo after treatment yet" not in texts


def test_the_first_photo_sentence_parses():
    st = assess_recovery(
        {}, treated_regions=("left_cheek",), treated_at=T0, now=T0 + timedelta(minutes=20), threshold=1.0
    )
    text = next(a.text for a in st.advice if a.code == "next_photo")
    assert text == (
        "Take the next photo 1 h after treatment: it will show how much redder your "
        "skin is than in the baseline photo, the first point of your redness curve."
    )
