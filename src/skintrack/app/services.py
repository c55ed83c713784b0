"""Services the window's background tasks use: the face model for photo analysis.

Everything here runs on the :class:`~skintrack.app.workers.TaskRunner` thread only; the GUI thread
never calls it directly.
"""

from __future__ import annotations

import threading


class AnalysisService:
    """One image-mode FaceEngine, loaded on first use (about 0.3 s) and reused for every photo."""

    def __init__(self) -> None:
        self._engine = None
        self._lock = threading.Lock()

    def engine(self):
        from skintrack.core.face import FaceEngine

        if self._engine is None:
            self._engine = FaceEngine(mode="image", max_faces=2)
        return self._engine

    def analyze(self, photo):
        """The :class:`~skintrack.core.analysis.Analysis` of one photo."""
        from skintrack.core.analysis import analyze_photo

        with self._lock:
            return analyze_photo(photo, self.engine())

    def close(self) -> None:
        with self._lock:
            engine, self._engine = self._engine, None
            if engine is not None:
                engine.close()


class TrackingService:
    """The session database (:class:`skintrack.tracking.Tracker`) for the window.

    SQLite connections belong to the thread that opened them, so the tracker is opened on the
    task runner's (single, never-expiring) thread on first use and only ever used there. It
    shares the analysis service's face model.
    """

    def __init__(self, data_dir, analysis: AnalysisService) -> None:
        self.data_dir = data_dir
        self.analysis = analysis
        self._tracker = None

    @staticmethod
    def available() -> bool:
        try:
            import skintrack.tracking  # noqa: F401
        except ImportError:
            return False
        return True

    def tracker(self):
        from skintrack.tracking import Tracker

        if self._tracker is None:
            self._tracker = Tracker(self.data_dir, engine=self.analysis.engine())
        return self._tracker

    def close(self) -> None:
        tracker, self._tracker = self._tracker, None
        if tracker is not None:
            tracker.close()
