"""Issue 16 in the app: a photo's time seen and corrected, no message naming a command or an
option, the demo marked SIMULATED, aftercare ticked as the report ticks it, the chart's legend
outside the plot."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from tests.app.test_end_to_end import photos, settle, start_session  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow


def assert_plain(text: str) -> None:
    assert "skintrack " not in text and "--" not in text and "`" not in text, text


def record_messages(controller) -> list[str]:
    shown: list[str] = []
    controller.message.connect(lambda text, kind: shown.append(text))
    return shown


def test_a_refused_time_is_asked_for_and_the_photo_saved_with_it(
    qtbot,
    window,
    photos,  # noqa: F811
    tmp_path,
):
    from skintrack.tracking import Tracker

    w, m, c = window, window.model, window.controller
    shown = record_messages(c)
    settle(qtbot, w)
    start_session(qtbot, w, photos)
    # A photo after treatment whose file date says before treatment (a camera clock set wrong).
    wrong = tmp_path / "after-wrong-date.png"
    wrong.write_bytes(photos["follow_ups"][1].read_bytes())
    early = (photos["treated_at"] - timedelta(minutes=10)).timestamp()
    os.utime(wrong, (early, early))
    asked = []
    real_time = photos["treated_at"] + timedelta(hours=1, minutes=30)
    c.ask_time = lambda message, suggested, reply: (asked.append((message, suggested)), reply(real_time))
    c.import_paths([wrong], "recovery")
    settle(qtbot, w)
    assert len(asked) == 1
    message, suggested = asked[0]
    assert "before the treatment started" in message and suggested is not None
    assert_plain(message)
    assert len(m.laters) == 1 and abs(m.laters[0].hours - 1.5) < 0.01
    assert m.laters[0].taken_at == real_time
    with Tracker(tmp_path / "data") as t:
        [row] = [p for p in t.photos(m.session.id) if p.original_name == wrong.name]
        assert row.taken_at_source == "given"
    # Cancelled: nothing is added, and the message says so plainly.
    c.ask_time = lambda message, suggested, reply: reply(None)
    wrong2 = tmp_path / "after-wrong-date-2.png"
    wrong2.write_bytes(photos["follow_ups"][2].read_bytes())
    os.utime(wrong2, (early, early))
    c.import_paths([wrong2], "recovery")
    settle(qtbot, w)
    assert len(m.laters) == 1 and "Nothing was added" in w.message_bar.text()
    for text in shown + [w.message_bar.text()]:
        assert_plain(text)


def test_the_recovery_page_corrects_a_saved_photo_time(qtbot, window, photos):  # noqa: F811
    from skintrack.app.pages.common import CaptureTimeDialog

    w, m, c = window, window.model, window.controller
    shown = record_messages(c)
    settle(qtbot, w)
    start_session(qtbot, w, photos, follow_ups=1)
    page = w.recovery
    page.timeline.setCurrentRow(0)
    assert page.time_button.isEnabled()
    assert f"{m.laters[0].taken_at.astimezone():%d %b %Y %H:%M}" in page.time_note.text()
    dialog = page.correct_time()
    assert isinstance(dialog, CaptureTimeDialog)
    corrected = photos["treated_at"] + timedelta(hours=2)
    dialog.time_edit.setDateTime(dialog.time_edit.dateTime().fromSecsSinceEpoch(int(corrected.timestamp())))
    dialog.accept()
    settle(qtbot, w)
    assert abs(m.laters[0].hours - 2.0) < 0.02
    obs = [o.hours for rr in m.status.regions.values() for o in rr.observations]
    assert obs and all(abs(h - 2.0) < 0.02 for h in obs)
    assert any("is now" in text for text in shown)
    # A time that is not possible is refused in plain words; nothing changes.
    page.timeline.setCurrentRow(0)
    dialog = page.correct_time()
    before = photos["treated_at"] - timedelta(hours=1)
    dialog.time_edit.setDateTime(dialog.time_edit.dateTime().fromSecsSinceEpoch(int(before.timestamp())))
    dialog.accept()
    settle(qtbot, w)
    assert "after the treatment started" in w.message_bar.text()
    assert_plain(w.message_bar.text())
    assert abs(m.laters[0].hours - 2.0) < 0.02


def test_the_recovery_page_shows_and_corrects_the_baseline_time(
    qtbot,
    window,
    photos,  # noqa: F811
    tmp_path,
):
    from skintrack.app.pages.common import CaptureTimeDialog
    from skintrack.tracking import Tracker

    def stored_baseline_time():
        with Tracker(tmp_path / "data") as t:
            s = t.session(m.session.id)
            return next(p.taken_at for p in t.photos(s.id) if p.id == s.baseline_photo_id)

    w, m, c = window, window.model, window.controller
    shown = record_messages(c)
    settle(qtbot, w)
    page = w.recovery
    assert not page.baseline_time_button.isEnabled() and page.correct_baseline_time() is None
    start_session(qtbot, w, photos)
    # Shown as saved, right after the import.
    saved = stored_baseline_time()
    assert page.baseline_time_button.isEnabled()
    assert f"{saved.astimezone():%d %b %Y %H:%M}" in page.baseline_note.text()
    dialog = page.correct_baseline_time()
    assert isinstance(dialog, CaptureTimeDialog)
    assert dialog.taken_at() == saved.replace(microsecond=0)
    corrected = (photos["treated_at"] - timedelta(hours=3)).replace(second=0, microsecond=0)
    assert abs(corrected - saved) > timedelta(minutes=5)
    dialog.time_edit.setDateTime(dialog.time_edit.dateTime().fromSecsSinceEpoch(int(corrected.timestamp())))
    dialog.accept()
    settle(qtbot, w)
    assert stored_baseline_time() == corrected
    assert any("is now" in text for text in shown)
    # Shown again after the session is read back, from the stored time.
    assert m.baseline_photo.taken_at == corrected
    assert f"{corrected.astimezone():%d %b %Y %H:%M}" in page.baseline_note.text()
    # A baseline after the treatment started is refused in plain words; nothing is saved.
    dialog = page.correct_baseline_time()
    after = photos["treated_at"] + timedelta(minutes=30)
    dialog.time_edit.setDateTime(dialog.time_edit.dateTime().fromSecsSinceEpoch(int(after.timestamp())))
    dialog.accept()
    settle(qtbot, w)
    assert "before the treatment started" in w.message_bar.text()
    assert_plain(w.message_bar.text())
    assert stored_baseline_time() == corrected
    assert f"{corrected.astimezone():%d %b %Y %H:%M}" in page.baseline_note.text()
    for text in shown:
        assert_plain(text)


def test_the_demo_session_is_simulated_in_the_app(qtbot, window, photos, tmp_path):  # noqa: F811
    from skintrack.tracking import PhotoSource, Tracker

    w, m, c = window, window.model, window.controller
    settle(qtbot, w)
    treated = photos["treated_at"]
    with Tracker(tmp_path / "data") as t:
        s = t.new_session(
            device="roller",
            needle_mm=0.25,
            treated_regions=("left_cheek",),
            treated_at=treated,
            notes="demo: SIMULATED follow-up photos",
        )
        t.set_baseline(s.id, photos["baseline"])
        t.add_photos(
            s.id,
            [
                PhotoSource(
                    photos["follow_ups"][0].read_bytes(),
                    "SIMULATED-0.5h-aptus_5.png",
                    treated + timedelta(hours=0.5),
                )
            ],
        )
    c.refresh_sessions()
    settle(qtbot, w)
    assert m.sessions[0].simulated
    assert "SIMULATED" in w.sessions.table.item(0, 0).text()
    c.open_session(s.id)
    settle(qtbot, w)
    assert m.simulated
    assert "SIMULATED" in w.recovery.banner.body.text()
    assert m.laters[0].simulated and m.laters[0].label.startswith("SIMULATED")
    texts = [t.get_text() for t in w.recovery.chart.axes.texts]
    assert "SIMULATED" in texts


def test_aftercare_ticks_as_the_report_does():
    from skintrack.app.pages.recovery import timer_state
    from skintrack.core.recovery import aftercare_timers

    treated = datetime(2026, 6, 24, 18, 0, tzinfo=UTC)
    now = treated + timedelta(hours=3)
    timers = {t.code: t for t in aftercare_timers(treated, now, photo_hours=[1.1])}
    # Taken: done, as the report's ☑; its time passed without a photo: not taken, never "done".
    assert "done" in timer_state(timers["check_photo_1h"], now)
    assert timers["check_photo_1h"].done
    missed = timer_state(timers["check_photo_2h"], now)
    assert "done" not in missed and "not taken" in missed and not timers["check_photo_2h"].done
    assert "due in" in timer_state(timers["check_photo_4h"], now)
    assert "left" in timer_state(timers["no_makeup_swimming_sun"], now)
    done = {t.code: t for t in aftercare_timers(treated, now, photo_hours=[], back_to_baseline=True)}
    assert "done" in timer_state(done["no_next_session"], now)


def test_the_chart_legend_sits_outside_the_plot(qtbot):
    from skintrack.app.widgets.chart import ChartView

    view = ChartView()
    qtbot.addWidget(view)
    view.resize(640, 360)
    view.show()
    series = {
        r: [(0.5, 5.0), (1.5, 3.0), (2.5, 1.5)]
        for r in ("forehead", "left_cheek", "right_cheek", "nose", "chin", "perioral")
    }
    view.plot(
        series=series,
        fitted=[(0.0, 6.0), (3.0, 1.0)],
        threshold=1.0,
        treated=("left_cheek", "right_cheek"),
        now_hours=2.6,
    )
    view.canvas.draw()
    renderer = view.canvas.get_renderer()
    axes_box = view.axes.get_window_extent(renderer)
    legend_box = view.legend.get_window_extent(renderer)
    fig_box = view.figure.bbox
    assert not axes_box.overlaps(legend_box)
    assert legend_box.y1 <= axes_box.y0  # under the plot
    assert axes_box.width >= 0.8 * fig_box.width  # the plot keeps the window's width
    assert legend_box.x0 >= fig_box.x0 and legend_box.x1 <= fig_box.x1  # no entry cut off
    labels = [t.get_text() for t in view.legend.get_texts()]
    assert any("real-change threshold (±1.0)" in t for t in labels)
    assert not any("uncertainty" in t for t in labels)
