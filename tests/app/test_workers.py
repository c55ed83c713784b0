"""The task runner: results, progress, cancel and failures come back to the GUI thread."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QThread, QTimer

from skintrack.app.workers import TaskRunner, user_message
from skintrack.core.errors import PhotoError


def test_result_and_progress_arrive_on_the_gui_thread(qtbot):
    runner = TaskRunner()
    gui = QThread.currentThread()
    seen = {"progress": [], "threads": set()}

    def task(ctx, n):
        seen["worker"] = threading.current_thread().name
        for i in range(n):
            ctx.progress(i + 1, n, f"step {i + 1}")
        return n * 2

    def done(result):
        seen["result"] = result
        seen["threads"].add(QThread.currentThread() is gui)

    runner.progress.connect(lambda d, t, text: seen["progress"].append((d, t, text)))
    with qtbot.waitSignal(runner.idle, timeout=5000):
        runner.submit("doubling", task, 3, on_done=done)
    assert seen["result"] == 6
    assert seen["threads"] == {True}
    assert seen["worker"] != threading.main_thread().name
    assert seen["progress"][-1] == (3, 3, "step 3")


def test_gui_thread_keeps_running_while_a_task_works(qtbot):
    runner = TaskRunner()
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(20)
    with qtbot.waitSignal(runner.idle, timeout=5000):
        runner.submit("sleeping", lambda ctx: time.sleep(0.5))
    timer.stop()
    assert len(ticks) >= 10  # the event loop ran timers throughout the half second


def test_cancel_stops_at_the_next_check_and_reports_cancelled(qtbot):
    runner = TaskRunner()
    started = threading.Event()
    steps = []
    cancelled = []

    def task(ctx):
        started.set()
        for i in range(200):
            ctx.check_cancelled()
            steps.append(i)
            time.sleep(0.01)
        return "finished"

    results = []
    handle = runner.submit("long", task, on_done=results.append, on_cancelled=lambda: cancelled.append(True))
    assert started.wait(5)
    with qtbot.waitSignal(runner.idle, timeout=5000):
        handle.cancel()
    assert cancelled == [True] and results == []
    assert len(steps) < 200


def test_failures_become_one_readable_message(qtbot):
    runner = TaskRunner()
    errors = []
    runner.error.connect(errors.append)

    def bad(ctx):
        raise PhotoError("holiday.jpg: the file is truncated")

    def broken(ctx):
        raise ZeroDivisionError("division by zero")

    runner.submit("bad", bad)
    runner.submit("broken", broken)
    # Wait for both: the worker may finish (and report idle) between the two submissions.
    qtbot.waitUntil(lambda: len(errors) == 2, timeout=5000)
    assert errors[0] == "holiday.jpg: the file is truncated"
    assert errors[1].startswith("Something went wrong (ZeroDivisionError") and "try again" in errors[1]


def test_user_message_for_os_errors_names_the_file():
    msg = user_message(PermissionError(13, "Permission denied", "/x/photo.jpg"))
    assert "Permission denied" in msg and "/x/photo.jpg" in msg and "Nothing was changed" in msg
