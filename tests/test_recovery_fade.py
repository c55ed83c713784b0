"""Recovery false alarms (issue 13): a normal fade rendered with the redness phantom on sample
faces, through the whole session service, is never called worsening or persistent and is
resolved at 6 h; slow, persistent and worsening courses are still called. The same measurement
on 20 clear-skin faces is ``scripts/measure_recovery.py``."""

from __future__ import annotations

import pytest
from scripts.measure_recovery import EXPECTED_LAST, NEVER, run_series

from skintrack.core.analysis import analyze_photo
from skintrack.report.images import encode_jpeg
from skintrack.tracking import Tracker

pytestmark = pytest.mark.slow

#: Frontal sample faces with a clean capture (tests/conftest.py FRONTAL) of different people.
FACES = ("aptus_5.png", "obama.jpg", "0-f15-hao-ph.jpg")


@pytest.fixture(scope="module")
def tracker(engine, tmp_path_factory):
    with Tracker(tmp_path_factory.mktemp("fade") / "data", engine=engine) as t:
        yield t


def _series(tracker, load_sample, name, course, seed=0):
    photo = load_sample(name)
    a = analyze_photo(photo, tracker.engine, find_lesions=False)
    return run_series(tracker, encode_jpeg(photo.rgb, quality=92), photo.rgb, a.regions, course, seed)


@pytest.mark.parametrize("name", FACES)
def test_a_normal_fade_is_never_an_alarm_and_resolves_by_6_hours(tracker, load_sample, name):
    statuses = _series(tracker, load_sample, name, "normal")
    assert not set(statuses) & NEVER["normal"], statuses
    assert statuses[-1] in EXPECTED_LAST["normal"], statuses


@pytest.mark.parametrize("course", ["slow", "persistent", "worsening"])
def test_slow_persistent_and_worsening_courses_are_still_called(tracker, load_sample, course):
    statuses = _series(tracker, load_sample, "aptus_5.png", course, seed=1)
    assert not set(statuses) & NEVER[course], statuses
    assert statuses[-1] in EXPECTED_LAST[course], statuses
