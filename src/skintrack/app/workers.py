"""Background work for the window: every slow step (analysis, import, comparison) runs here.

A task is a plain callable ``fn(ctx, *args)`` that may run on any thread. It reports progress through
``ctx.progress(done, total, text)`` and checks ``ctx.check_cancelled()`` between steps, so the person
can press *Cancel* and nothing half-done is kept. Results come back to the GUI thread through Qt's
queued signals; the GUI thread never waits on a task.

All tasks share one worker thread: the face model and the session database are used by one task at a
time (they are not safe to share between threads), and a 2-core laptop stays responsive.
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot


class Cancelled(Exception):
    """Raised inside a task by :meth:`TaskContext.check_cancelled` after the person cancelled."""


class TaskContext:
    """What a running task sees: progress reporting and the cancel flag."""

    def __init__(self, signals: _TaskSignals) -> None:
        self._signals = signals
        self._cancel = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def check_cancelled(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    def progress(self, done: int, total: int, text: str = "") -> None:
        """Report ``done`` of ``total`` steps (``total`` 0: unknown) with a short sentence."""
        self._signals.progress.emit(int(done), int(total), text)


class _TaskSignals(QObject):
    progress = Signal(int, int, str)
    done = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    ended = Signal()


def user_message(exc: BaseException) -> str:
    """One readable sentence for a failure, saying what to do next."""
    from skintrack.core.errors import SkintrackError

    if isinstance(exc, SkintrackError):
        return exc.plain  # the form without command names or options
    if isinstance(exc, MemoryError):
        return "The computer ran out of memory. Close other programs and try again."
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror or exc}{where}. Nothing was changed; check the file and try again."
    return (
        f"Something went wrong ({type(exc).__name__}: {exc}). Nothing was changed; "
        "try again, and if it keeps happening, report it with the details printed in the terminal."
    )


@dataclass
class TaskHandle:
    """A submitted task; ``cancel()`` asks it to stop at its next check."""

    label: str
    context: TaskContext
    signals: _TaskSignals
    finished: bool = False

    def cancel(self) -> None:
        self.context.cancel()


class _Runnable(QRunnable):
    def __init__(self, fn: Callable, args: tuple, handle: TaskHandle) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn, self._args, self._handle = fn, args, handle

    def run(self) -> None:  # worker thread
        h = self._handle
        try:
            h.context.check_cancelled()
            result = self._fn(h.context, *self._args)
            if h.context.cancelled:
                h.signals.cancelled.emit()
            else:
                h.signals.done.emit(result)
        except Cancelled:
            h.signals.cancelled.emit()
        except BaseException as exc:  # noqa: BLE001 - every failure becomes a message, never a crash
            traceback.print_exc(file=sys.stderr)
            h.signals.failed.emit(user_message(exc))
        finally:
            h.finished = True  # also true before the queued ``ended`` reaches the GUI thread
            h.signals.ended.emit()


class TaskRunner(QObject):
    """Runs tasks on one background thread and tells the window what is going on.

    Signals: ``busy(label)`` when a task starts being tracked, ``progress(done, total, text)``,
    ``idle()`` when no task is left, ``error(message)`` for a failed task whose submitter gave no
    ``on_error``.
    """

    busy = Signal(str)
    progress = Signal(int, int, str)
    idle = Signal()
    error = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        # One thread for the app's lifetime: the session database connection is bound to it.
        self._pool.setExpiryTimeout(-1)
        self._handles: list[TaskHandle] = []

    @property
    def active(self) -> list[TaskHandle]:
        return [h for h in self._handles if not h.finished]

    def submit(
        self,
        label: str,
        fn: Callable,
        *args,
        on_done: Callable | None = None,
        on_error: Callable[[str], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        quiet: bool = False,
    ) -> TaskHandle:
        """Queue ``fn(ctx, *args)``; callbacks run on the GUI thread.

        A ``quiet`` task (start-up warm-up) is not shown in the progress panel.
        """
        signals = _TaskSignals()
        handle = TaskHandle(label, TaskContext(signals), signals)
        if on_done is not None:
            signals.done.connect(on_done)
        signals.failed.connect(on_error if on_error is not None else self.error.emit)
        if on_cancelled is not None:
            signals.cancelled.connect(on_cancelled)
        if not quiet:
            signals.progress.connect(self.progress.emit)
            signals.ended.connect(lambda h=handle: self._ended(h))
            self._handles.append(handle)
            self.busy.emit(label)
        self._quiet_keep = getattr(self, "_quiet_keep", [])
        if quiet:  # keep the signals object alive until the task ends
            self._quiet_keep.append(handle)
            signals.ended.connect(lambda h=handle: self._quiet_keep.remove(h))
        self._pool.start(_Runnable(fn, args, handle))
        return handle

    def cancel_all(self) -> None:
        for h in self.active:
            h.cancel()

    def wait(self, msecs: int = -1) -> bool:
        """Block until the queue is empty (tests and shutdown only, never on a user action)."""
        return self._pool.waitForDone(msecs)

    @Slot()
    def _ended(self, handle: TaskHandle) -> None:
        self._handles = [h for h in self._handles if not h.finished]
        if self._handles:
            self.busy.emit(self._handles[0].label)
        else:
            self.idle.emit()
